from __future__ import annotations

import atexit
import os
import shutil
import tempfile
from pathlib import Path

import pytest
from hypothesis import settings

from syncdoctor.engine.ruleset import RULES_ENV, default_rules_dir, require_ruleset
from syncdoctor.engine.run import Engine

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
os.environ[RULES_ENV] = str(FIXTURE_RULES)
# The snapshot cache (facts/cache.py) of every test, and of the CLI processes tests start, is a
# private temporary folder: never the user's, and never shared with another test run.
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
