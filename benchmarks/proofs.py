"""What the proofs in plain words cost the text, Markdown and HTML reports: each format rendered
in one process over the same results, without and with the proofs (best of three).

    .venv/bin/python benchmarks/proofs.py --users 200

The results come from `diagnose --all --format json --layout full` on a synthetic org
(`syncdoctor dev generate-org --seed 1`, two business units: two results per user), with the
rules shipped in the package. Prints a Markdown table; docs/performance.md quotes one run."""
from __future__ import annotations

import argparse
import json
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from run import CLI, generate  # noqa: E402  (benchmarks/ is not a package)

from syncdoctor.cli.formats import render  # noqa: E402
from syncdoctor.api.proof import ProofWords  # noqa: E402
from syncdoctor.api.shown import result_words  # noqa: E402
from syncdoctor.engine.ruleset import default_rules_dir, load_ruleset  # noqa: E402


def _best(fmt: str, doc: dict, options: dict, words: ProofWords | None = None, lists: frozenset = frozenset()) -> float:
    """The best of three renderings; with `words`, each result's proofs put in words first (as
    api/stream.py does where a result is computed), every list counted whole."""
    times = []
    for _ in range(3):
        start = time.perf_counter()
        told = [result_words(words, r, lists) for r in doc["results"]] if words is not None else None
        render(fmt, doc, words=told, **options)
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--users", type=int, default=200)
    args = ap.parse_args()
    ruleset, _ = load_ruleset(default_rules_dir())
    assert ruleset is not None
    with tempfile.TemporaryDirectory() as tmp:
        org, out = Path(tmp) / "org.json", Path(tmp) / "results.json"
        generate(args.users, org)
        subprocess.run([*CLI, "diagnose", "--facts", str(org), "--all", "--format", "json", "--layout", "full",
                        "--out", str(out)], capture_output=True, check=False)
        doc = json.loads(out.read_text())
    words = ProofWords(ruleset)
    n = len(doc["results"])
    print(f"{n} results, {platform.processor() or platform.machine()}, Python {platform.python_version()}\n")
    print("| format | without proofs | with proofs | per result, added |\n|---|---|---|---|")
    for fmt in ("text", "markdown", "html"):
        base = {"show_summary": True, "quiet": True} if fmt == "text" else {}
        a, b = _best(fmt, doc, base), _best(fmt, doc, base, words, frozenset(ruleset.vocabulary.lists))
        print(f"| {fmt} | {a:.2f} s | {b:.2f} s | {(b - a) / n * 1000:.2f} ms |")


if __name__ == "__main__":
    main()
