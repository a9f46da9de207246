"""Outputs that destroy nothing (cli/outputs.py): devices and FIFOs written through, symlinks
followed, read-only files, inputs and other outputs refused before any work, modes kept,
new org-data files 0600, errors naming the file; and signals cleaning up like Ctrl-C."""
from __future__ import annotations

import json
import os
import shutil
import signal
import stat
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from tests.conftest import EXAMPLE, ROOT, cli, cli_process

USER = ["--user", "asmith@acme.example"]



@pytest.fixture
def facts(tmp_path: Path) -> Path:
    p = tmp_path / "acme.yaml"
    shutil.copy(EXAMPLE, p)
    return p


def _device(tmp_path: Path, name: str, minor: int) -> str:
    """A private copy of /dev/null (minor 3) or /dev/full (7) when allowed (root): a regression
    must never replace the machine's own devices; otherwise the real one (which a non-root
    process cannot replace anyway)."""
    node = tmp_path / name
    try:
        os.mknod(node, stat.S_IFCHR | 0o666, os.makedev(1, minor))
        return str(node)
    except OSError:
        return f"/dev/{name}"


def test_a_device_is_written_through_never_replaced(tmp_path):
    dev = _device(tmp_path, "null", 3)
    before = os.stat(dev)
    r = cli("diagnose", "--facts", str(EXAMPLE), *USER, "--out", dev)
    assert r.exit_code == 1, r.stderr
    after = os.stat(dev)
    assert stat.S_ISCHR(after.st_mode) and after.st_rdev == before.st_rdev


def test_a_full_disk_names_the_file_and_exits_3(tmp_path):
    dev = _device(tmp_path, "full", 7)
    r = cli("diagnose", "--facts", str(EXAMPLE), *USER, "--out", dev)
    assert r.exit_code == 3 and dev in r.stderr and "internal error" not in r.stderr
    assert stat.S_ISCHR(os.stat(dev).st_mode)


def test_a_fifo_is_written_through(tmp_path):
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    got: list[str] = []
    reader = threading.Thread(target=lambda: got.append(open(fifo, encoding="utf-8").read()))
    reader.start()
    r = cli("diagnose", "--facts", str(EXAMPLE), *USER, "--out", str(fifo), "--format", "json")
    reader.join(10)
    assert r.exit_code == 1
    assert stat.S_ISFIFO(os.stat(fifo).st_mode)
    assert json.loads(got[0])["results"]


def test_dash_is_stdout(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # the old code wrote a file named "-" here
    r = cli("diagnose", "--facts", str(EXAMPLE), *USER, "--out", "-", "--format", "json")
    assert r.exit_code == 1 and json.loads(r.stdout)["results"]


def test_a_symlink_is_followed_to_its_target(tmp_path):
    target = tmp_path / "real" / "report.md"
    target.parent.mkdir()
    target.write_text("old")
    link = tmp_path / "link.md"
    link.symlink_to(target)
    r = cli("diagnose", "--facts", str(EXAMPLE), *USER, "--out", str(link), "--format", "markdown")
    assert r.exit_code == 1
    assert link.is_symlink() and os.readlink(link) == str(target)
    assert target.read_text().startswith("# syncdoctor diagnosis")
    assert [p.name for p in target.parent.iterdir()] == ["report.md"]  # no temporary file left


@pytest.mark.slow
@pytest.mark.parametrize("mode", [0o444, 0o400])
def test_a_read_only_file_is_refused(tmp_path, mode):
    out = tmp_path / "report.txt"
    out.write_text("keep me")
    out.chmod(mode)
    r = cli("diagnose", "--facts", str(EXAMPLE), *USER, "--out", str(out))
    assert r.exit_code == 2 and str(out) in r.stderr and "read-only" in r.stderr
    assert out.read_text() == "keep me" and stat.S_IMODE(out.stat().st_mode) == mode


@pytest.mark.parametrize("mode", [0o600, 0o640, 0o604])
def test_an_existing_files_mode_is_kept(tmp_path, mode):
    out = tmp_path / "report.txt"
    out.write_text("old")
    out.chmod(mode)
    assert cli("diagnose", "--facts", str(EXAMPLE), *USER, "--out", str(out)).exit_code == 1
    assert stat.S_IMODE(out.stat().st_mode) == mode and "MANAGED_NOT_ASSIGNED" in out.read_text()


def test_new_audit_records_and_snapshots_are_private_reports_follow_the_umask(tmp_path):
    audit, report = tmp_path / "audit.json", tmp_path / "report.txt"
    old = os.umask(0o022)
    try:
        r = cli("diagnose", "--facts", str(EXAMPLE), *USER, "--audit", str(audit), "--out", str(report))
    finally:
        os.umask(old)
    assert r.exit_code == 1
    assert stat.S_IMODE(audit.stat().st_mode) == 0o600
    assert stat.S_IMODE(report.stat().st_mode) == 0o644


def _same_as_facts(facts: Path) -> list[str]:
    hard = facts.parent / "hard.yaml"
    os.link(facts, hard)
    soft = facts.parent / "soft.yaml"
    soft.symlink_to(facts)
    return [str(facts), str(hard), str(soft), f"{facts.parent}/./sub/../{facts.name}"]


@pytest.mark.slow
@pytest.mark.parametrize("option", ["--out", "--audit"])
def test_an_output_that_is_the_input_is_refused(facts, option):
    (facts.parent / "sub").mkdir()
    original = facts.read_bytes()
    for same in _same_as_facts(facts):
        r = cli("diagnose", "--facts", str(facts), *USER, option, same)
        assert r.exit_code == 2, same
        assert "same file as --facts" in r.stderr
        assert facts.read_bytes() == original


@pytest.mark.slow
def test_two_outputs_naming_one_file_are_refused(tmp_path):
    a = tmp_path / "a.json"
    a.write_text("record")
    r = cli("diagnose", "--facts", str(EXAMPLE), *USER, "--audit", str(a), "--out", str(a))
    assert r.exit_code == 2 and "same file" in r.stderr and a.read_text() == "record"
    r = cli("diagnose", "--facts", str(EXAMPLE), *USER, "--audit", "-", "--out", "-")
    assert r.exit_code == 2 and "standard output" in r.stderr


def test_outputs_are_checked_before_the_work(tmp_path):
    audit = tmp_path / "audit.json"
    r = cli("diagnose", "--facts", str(EXAMPLE), "--all", "--audit", str(audit), "--out", str(tmp_path / "no" / "such" / "r.txt"))
    assert r.exit_code == 2 and "does not exist" in r.stderr
    assert not audit.exists()  # nothing was diagnosed, nothing written


def test_an_answers_file_is_an_input_too(tmp_path):
    answers = tmp_path / "answers.yaml"
    answers.write_text("answers_version: 1\nbusiness_units: {}\n")
    r = cli("diagnose", "--facts", str(EXAMPLE), *USER, "--answers", str(answers), "--out", str(answers))
    assert r.exit_code == 2 and "--answers" in r.stderr
    assert answers.read_text().startswith("answers_version")


@pytest.mark.slow
def test_a_folder_is_refused(tmp_path):
    r = cli("diagnose", "--facts", str(EXAMPLE), *USER, "--out", str(tmp_path))
    assert r.exit_code == 2


# -- signals -------------------------------------------------------------------------------------
def _children(pid: int) -> set[int]:
    out: set[int] = set()
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            out |= {int(x) for x in (task / "children").read_text().split()}
        except OSError:
            pass
    return out


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().split(") ")[1].split()[0]
    except OSError:
        return False
    return state != "Z"


@pytest.fixture(scope="module")
def big_org(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("org") / "big.json"
    cli_process("dev", "generate-org", "--users", "6000", "--out", path, check=True)
    return path


@pytest.mark.slow
@pytest.mark.parametrize("sig, code", [(signal.SIGTERM, 143), (signal.SIGHUP, 129), (signal.SIGINT, 130)])
def test_a_signal_ends_workers_removes_temp_files_and_keeps_the_previous_output(tmp_path, big_org, sig, code):
    out = tmp_path / "rep.json"
    out.write_text("previous\n")
    proc = subprocess.Popen([sys.executable, "-m", "syncdoctor.cli.main", "diagnose", "--facts", str(big_org), "--all",
                             "--jobs", "2", "--format", "json", "--out", str(out)],
                            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)
    workers: set[int] = set()
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and proc.poll() is None:
        workers |= _children(proc.pid)
        if len(workers) >= 2 and list(tmp_path.glob(".rep.json.*")):
            break
        time.sleep(0.05)
    assert proc.poll() is None and len(workers) >= 2, "the scan ended before it could be interrupted"
    time.sleep(0.5)
    proc.send_signal(sig)
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == code, err
    assert "Traceback" not in err
    assert out.read_text() == "previous\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["rep.json"]  # no temporary file
    time.sleep(0.2)
    assert not [w for w in workers if _alive(w)], "a worker outlived the run"


@pytest.mark.slow
def test_ctrl_d_during_ask_exits_130():
    proc = cli_process("diagnose", "--facts", ROOT / "rules/cases/orgs/unknowns.yaml", "--user", "nobody@case.example", "--ask",
                       stdin=subprocess.DEVNULL, timeout=60)
    assert proc.returncode == 130, proc.stderr


@pytest.mark.slow
def test_ctrl_c_during_ask_exits_130():
    proc = subprocess.Popen([sys.executable, "-m", "syncdoctor.cli.main", "diagnose", "--facts",
                             str(ROOT / "rules/cases/orgs/unknowns.yaml"), "--user", "nobody@case.example", "--ask"],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=ROOT)
    deadline = time.monotonic() + 30
    err = b""
    while time.monotonic() < deadline and b"comma-separated" not in err:
        err += os.read(proc.stderr.fileno(), 4096)
    proc.send_signal(signal.SIGINT)
    proc.communicate(timeout=30)
    assert proc.returncode == 130


@pytest.mark.slow
def test_dev_stdout_into_a_pipe_is_written_through():
    proc = cli_process("diagnose", "--facts", EXAMPLE, *USER, "--format", "json", "--out", "/dev/stdout", timeout=60)
    assert proc.returncode == 1, proc.stderr
    assert json.loads(proc.stdout)["results"] and Path("/dev/stdout").is_symlink()


def test_a_symlink_loop_is_a_message(tmp_path):
    loop = tmp_path / "loop"
    loop.symlink_to(loop)
    r = cli("diagnose", "--facts", str(EXAMPLE), *USER, "--out", str(loop))
    assert r.exit_code == 2 and str(loop) in r.stderr


def test_facts_collect_checks_its_output_before_logging_in(tmp_path):
    answers = tmp_path / "answers.yaml"
    answers.write_text("answers_version: 1\nbusiness_units: {}\n")
    login = ["--session-id", "00Dx!fake", "--instance-url", "https://127.0.0.1:9", "--timeout", "0.5", "--retries", "0"]
    r = cli("facts", "collect", "--out", str(answers), "--answers", str(answers), *login)
    assert r.exit_code == 2 and "same file as --answers" in r.stderr
    r = cli("facts", "collect", "--out", str(tmp_path / "missing" / "org.yaml"), *login)
    assert r.exit_code == 2 and "does not exist" in r.stderr


@pytest.mark.slow
@pytest.mark.parametrize("where", ["ruleset.yaml", "new-report.txt", "conclude/user-inactive.yaml"])
def test_an_output_inside_the_rules_folder_read_is_refused(tmp_path, facts, where):
    """--out / --audit may not land inside the rules folder the command reads (given with
    --rules, or the default one): the knowledge would be replaced by a report."""
    from tests.conftest import FIXTURE_RULES
    rules = tmp_path / "myrules"
    shutil.copytree(FIXTURE_RULES, rules)
    before = {p: p.read_bytes() for p in rules.rglob("*") if p.is_file()}
    for option in ("--out", "--audit"):
        r = cli("diagnose", "--facts", str(facts), *USER, "--rules", str(rules), option, str(rules / where))
        assert r.exit_code == 2 and "which this command reads" in r.stderr, r.stderr
    assert {p: p.read_bytes() for p in rules.rglob("*") if p.is_file()} == before
    r = cli("diagnose", "--facts", str(facts), *USER, "--out", str(FIXTURE_RULES / "ruleset.yaml"))  # the default folder
    assert r.exit_code == 2 and "--rules" in r.stderr
