"""The progress bar of a long run (cli/report.py `_progress`) is gone once its round is done:
with `--all --ask`, a bar left live would redraw over the next question's prompt (and over what
the engineer types) ten times a second while the question waits."""
from __future__ import annotations

import io

from rich.console import Console
from rich.progress import Progress

from syncdoctor.cli import report


def test_the_bar_stops_when_its_round_is_done(monkeypatch):
    bars: list[Progress] = []

    class Recorded(Progress):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            bars.append(self)

    monkeypatch.setattr(report, "Progress", Recorded)
    monkeypatch.setattr(report, "err_console", lambda: Console(file=io.StringIO(), force_terminal=True))
    users = report.PROGRESS_FROM + 100
    with report._progress() as start:
        advance = start(users)
        assert advance is not None and bars[0].live.is_started
        advance(users - 1)
        assert bars[0].live.is_started  # still diagnosing
        advance(1)
        assert not bars[0].live.is_started  # the round is over: nothing redraws while --ask waits
        again = start(users)  # the next round of --ask gets a bar of its own
        assert again is not None and bars[1].live.is_started
    assert not bars[1].live.is_started
