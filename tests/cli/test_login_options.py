"""The login options are declared once (cli/org.py, `with_login`) and every command that reads a
live org takes the same bundle: the same options, in --help where the command puts them, and
whatever the command line gives reaches the command as one `Login`."""
from __future__ import annotations

import typer
from hypothesis import given
from hypothesis import strategies as st

from syncdoctor.cli import org
from syncdoctor.cli.main import app
from tests.conftest import runner

COMMANDS = {("diagnose",): True, ("what-if",): True, ("facts", "collect"): True, ("facts", "probe"): False}


def _command(path: tuple[str, ...]):
    cmd = typer.main.get_command(app)
    for name in path:
        cmd = cmd.commands[name]  # type: ignore[attr-defined]
    return cmd


def test_every_org_command_takes_the_one_bundle():
    for path, ae_api in COMMANDS.items():
        options = {p.name: p.opts for p in _command(path).params}
        wanted = {n for n in org._OPTIONS if ae_api or n != "ae_api_url"}
        assert wanted <= set(options), path
        assert all(options[n] == [f"--{n.replace('_', '-')}"] for n in wanted), path
        assert "login" not in options


@given(target=st.one_of(st.none(), st.from_regex(r"[a-z][a-z0-9-]{0,10}", fullmatch=True)),
       timeout=st.floats(0.1, 100, allow_nan=False), retries=st.integers(0, 10), sandbox=st.booleans(),
       ae=st.one_of(st.none(), st.just("https://pi.demo.pardot.com")))
def test_what_the_command_line_says_reaches_the_command_as_one_login(target, timeout, retries, sandbox, ae):
    seen: list[org.Login] = []
    probe = typer.Typer()

    @probe.command()
    @org.with_login()
    def cmd(first: str = "x", login: org.Login = org.LOGIN, last: int = 0) -> None:
        seen.append(login)
        assert (first, last) == ("a", 2)

    args = ["--first", "a", "--last", "2", "--timeout", repr(timeout), "--retries", str(retries)]
    args += (["--target-org", target] if target else []) + (["--sandbox"] if sandbox else []) + (["--ae-api-url", ae] if ae else [])
    r = runner.invoke(probe, args)
    assert r.exit_code == 0, r.output
    [login] = seen
    assert {n: login.get(n) for n in org._OPTIONS} == {n: default for n, (_, default) in org._OPTIONS.items()} | {
        "target_org": target, "timeout": timeout, "retries": retries, "sandbox": sandbox, "ae_api_url": ae}
