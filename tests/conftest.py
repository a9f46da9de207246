from __future__ import annotations

import atexit
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import pytest
from hypothesis import settings
from typer.testing import CliRunner

from syncdoctor.cli.main import app
from syncdoctor.engine.ruleset import RULES_ENV, default_rules_dir, require_ruleset
from syncdoctor.engine.run import Engine
from syncdoctor.facts.synthetic import generate
from tests.limits import CPU_SECONDS, run_bounded

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "docs" / "examples" / "acme.yaml"
# The project's tests of the engine, the CLI and the formats run on their own fixture ruleset (a
# frozen copy of the knowledge), never on the shipped rules/: a knowledge change that passes
# `syncdoctor rules check` cannot break them. Only the tests marked below read rules/ (SHIPPED).
FIXTURE_RULES = ROOT / "tests" / "fixtures" / "rules"
# The knowledge under test: this checkout's, or a copy's (the author's-loop test replays an edit
# on a copy of the repository and runs tests/test_cases.py against it).
KNOWLEDGE_ROOT = Path(os.environ.get("SYNCDOCTOR_TEST_KNOWLEDGE_ROOT") or ROOT)
SHIPPED = KNOWLEDGE_ROOT / "rules"
# The one CLI runner of every test that invokes the typer app in process.
runner = CliRunner()


def cli(*args: object, catch_exceptions: bool = False) -> Any:
    """`syncdoctor ARGS` in this process, through the one runner: an exception the CLI does not
    turn into an exit code fails the test (unless `catch_exceptions`)."""
    return runner.invoke(app, [str(a) for a in args], catch_exceptions=catch_exceptions)


def cli_process(*args: object, text: bool = True, cpu_seconds: int = CPU_SECONDS, memory: int | None = None,
                **kwargs: Any) -> subprocess.CompletedProcess:
    """`syncdoctor ARGS` as its own process (what signals, exit codes and pipes see), from the
    repository's root; `text=False` keeps the output as bytes. Bounded by the CPU time it uses
    (and `memory` bytes of address space), not by the wall clock (tests/limits.py)."""
    return run_bounded([sys.executable, "-m", "syncdoctor.cli.main", *map(str, args)], cpu_seconds=cpu_seconds,
                       memory=memory, capture_output=True, text=text, cwd=kwargs.pop("cwd", ROOT), **kwargs)


def pytest_configure(config: pytest.Config) -> None:
    """The environment of the whole run, set before any test module is collected: the fixture
    rules, and a private snapshot cache (facts/cache.py) for every test and every CLI process
    tests start, never the user's and never shared with another test run."""
    os.environ[RULES_ENV] = str(FIXTURE_RULES)
    os.environ["SYNCDOCTOR_CACHE_DIR"] = tempfile.mkdtemp(prefix="syncdoctor-test-cache-")
    atexit.register(shutil.rmtree, os.environ["SYNCDOCTOR_CACHE_DIR"], ignore_errors=True)
    os.environ.pop("SYNCDOCTOR_NO_CACHE", None)

settings.register_profile("ci", max_examples=40, deadline=None)
settings.register_profile("thorough", max_examples=1000, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


@pytest.fixture(scope="session")
def ruleset():
    return require_ruleset()


@pytest.fixture(scope="session")
def engine(ruleset):
    return Engine(ruleset)


@pytest.fixture
def rules_copy(tmp_path: Path) -> Path:
    """A private copy of the fixture rules that a test may break."""
    dst = tmp_path / "rules"
    shutil.copytree(default_rules_dir(), dst, ignore=shutil.ignore_patterns("__pycache__"))
    return dst


@pytest.fixture(scope="session")
def generated_org(tmp_path_factory):
    """The one factory of synthetic orgs: `generated_org(users, seed, suffix)` is the path of the
    snapshot `syncdoctor dev generate-org` writes for them, written once per test run."""
    from syncdoctor.cli.diagnose import snapshot_text
    made: dict[tuple[int, int, str], Path] = {}

    def make(users: int, seed: int, suffix: str = ".json") -> Path:
        key = (users, seed, suffix)
        if key not in made:
            path = tmp_path_factory.mktemp("org") / f"org-{users}-{seed}{suffix}"
            path.write_text(snapshot_text(generate(users, seed=seed), path), encoding="utf-8")
            made[key] = path
        return made[key]
    return make
