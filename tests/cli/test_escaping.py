"""Reports that cannot be hijacked: org names written by an attacker, rendered as Markdown
(parsed by a CommonMark renderer), printed to a terminal (through a pty and through a pipe),
and carried in rich-markup error messages."""
from __future__ import annotations

import json
import os
import pty
import re
import select
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from markdown_it import MarkdownIt

from syncdoctor.cli.main import app
from tests.conftest import EXAMPLE, ROOT, cli_process, runner


MARKDOWN_PAYLOADS = [
    "Evil\n# Forged heading",
    "a | b | c",
    "[click](javascript:alert(1))",
    "![pixel](http://e.vil/p.png)",
    "<img src=x onerror=alert(1)>",
    "<script>alert(1)</script>",
    "`code` and ``more``",
    "&lt;b&gt; &amp; &#60;i&#62;",
    "*em* __strong__ ~~gone~~",
    "1. ordered",
    "- bullet",
    "> quoted",
    "    indented code",
    "===",
    "<http://e.vil/autolink>",
    "trailing backslash \\",
    "line\r\nbreak\u2028sep",
]

TERMINAL_PAYLOADS = [
    "\x1b]52;c;ZXZpbA==\x07",                       # OSC 52: write the clipboard
    "\x1b]8;;http://e.vil\x1b\\click\x1b]8;;\x1b\\",  # OSC 8: a hidden link
    "\x1b[2J\x1b[H",                                 # clear the screen, home the cursor
    "\x1b[1A\x1b[2K",                                # up a line, erase it
    "\x9b2J",                                        # C1 CSI
    "\x9d0;title\x9c",                               # C1 OSC
    "bell\x07 back\x08 cr\r",
    "\u202eevil\u202c",                              # bidi override
]


def hostile_org(names: list[str]) -> dict:
    """acme with attacker-chosen names in business units, usernames, roles and groups."""
    data = yaml.safe_load(EXAMPLE.read_text())
    for i, bu in enumerate(data["business_units"]):
        bu["name"] = names[i % len(names)] + f" bu{i}"
    for i, u in enumerate(data["salesforce"]["users"]):
        u["username"] = f"{names[(i + 1) % len(names)]}{i}@acme.example"
    for i, r in enumerate(data["salesforce"]["roles"]):
        r["name"] = names[(i + 2) % len(names)]
    for i, g in enumerate(data["salesforce"]["public_groups"]):
        g["name"] = names[(i + 3) % len(names)]
    return data


def write(tmp_path: Path, data: dict) -> Path:
    p = tmp_path / "org.json"
    p.write_text(json.dumps(data))
    return p


# -- Markdown ------------------------------------------------------------------------------------
def _tokens(tokens):
    for t in tokens:
        yield t
        if t.children:
            yield from _tokens(t.children)


@pytest.mark.parametrize("start", range(0, len(MARKDOWN_PAYLOADS), 4))
def test_markdown_report_renders_org_names_as_text_only(tmp_path, start):
    names = MARKDOWN_PAYLOADS[start:] + MARKDOWN_PAYLOADS[:start]
    facts = write(tmp_path, hostile_org(names))
    r = runner.invoke(app, ["diagnose", "--facts", str(facts), "--all", "--format", "markdown", "--symptom", "cannot-delete"],
                      catch_exceptions=False)
    assert r.exit_code in (0, 1), r.stderr
    doc = json.loads(runner.invoke(app, ["diagnose", "--facts", str(facts), "--all", "--format", "json",
                                         "--symptom", "cannot-delete"]).stdout)
    md = MarkdownIt("commonmark").enable("table")
    tokens = list(_tokens(md.parse(r.stdout)))
    kinds = {t.type for t in tokens}
    assert not kinds & {"html_block", "html_inline", "image", "code_block", "blockquote_open", "hr"}
    links = [t.attrGet("href") for t in tokens if t.type == "link_open"]
    assert links and all(str(h).startswith("https://help.salesforce.com/") for h in links)
    n_verdicts = sum(len(x["verdicts"]) for x in doc["results"])
    headings = [t.tag for t in tokens if t.type == "heading_open"]
    # one h2 per result, one h3 per verdict, and the summary's h2 last: no forged heading
    assert headings == ["h1"] + [h for x in doc["results"] for h in ["h2"] + ["h3"] * len(x["verdicts"])] + ["h2"]
    assert n_verdicts > 0
    rows = [t for t in tokens if t.type == "tr_open"]
    cells = [t for t in tokens if t.type in ("td_open", "th_open")]
    assert len(cells) == 4 * len(rows)  # business unit, kind, code, users
    html = md.render(r.stdout)
    assert "<img" not in html and "<script" not in html and 'href="javascript' not in html
    text = "".join(t.content for t in tokens if t.type == "text")
    for name in names[:3]:  # each name reads back as the text it is (controls shown as escapes)
        shown = name.replace("\r", "\\x0d").replace("\n", "\\x0a").replace("\u2028", "\\u2028")
        assert shown.strip() in text.replace("&#32;", " ")


def test_markdown_escapes_html_inside_markdown(tmp_path):
    facts = write(tmp_path, hostile_org(["<img src=x onerror=alert(1)>", "<a href='javascript:x'>y</a>"]))
    r = runner.invoke(app, ["diagnose", "--facts", str(facts), "--all", "--format", "markdown"])
    html = MarkdownIt("commonmark").enable("table").render(r.stdout)
    assert "<img" not in html and "<a href='javascript" not in html and "&lt;img src=x onerror=alert(1)&gt;" in html


# -- terminal ------------------------------------------------------------------------------------
def _run_pty(args: list[str]) -> tuple[int, bytes]:
    """Run the console script with stdout and stderr on a pseudo-terminal (colour and links on)."""
    master, slave = pty.openpty()
    env = dict(os.environ, TERM="xterm-256color", COLUMNS="200")
    env.pop("NO_COLOR", None)
    proc = subprocess.Popen([sys.executable, "-m", "syncdoctor.cli.main", *args], stdout=slave, stderr=slave,
                            stdin=subprocess.DEVNULL, cwd=ROOT, env=env)
    os.close(slave)
    out = b""
    while True:
        ready, _, _ = select.select([master], [], [], 60)
        if not ready:
            break
        try:
            chunk = os.read(master, 65536)
        except OSError:
            break
        if not chunk:
            break
        out += chunk
    os.close(master)
    return proc.wait(30), out


FORBIDDEN = [b"\x1b]", b"\x1b[2J", b"\x1b[H", b"\x1b[1A", b"\x1b[2K", b"\x07", b"\x9b", b"\x9d", b"\xc2\x9b", b"\xc2\x9d",
             "\u202e".encode(), b"\x08"]


OUR_LINKS = re.compile(rb"\x1b\]8;[^;\x1b]*;(https://help\.salesforce\.com/[^\x1b\x07]*)?\x1b\\")


def _clean(out: bytes) -> None:
    """No escape sequence but rich's colours and the article links syncdoctor itself makes."""
    out = OUR_LINKS.sub(b"", out)
    for bad in FORBIDDEN:
        assert bad not in out, (bad, out[:2000])
    # what is left of ESC is rich's own colour codes: CSI ... m only
    for m in re.finditer(rb"\x1b(.)", out):
        assert m.group(1) == b"[", out[m.start():m.start() + 20]
    assert not re.search(rb"\x1b\[[0-9;]*[^0-9;m]", out)


@pytest.mark.slow
@pytest.mark.parametrize("command", [["diagnose", "--all"], ["explain", "MANAGED_NOT_ASSIGNED", "--user", "{user}"],
                                     ["explain", "MANAGED_NOT_ASSIGNED", "--user", "{user}", "--why-not"]])
def test_terminal_output_carries_no_escape_sequence_from_org_data(tmp_path, command):
    data = hostile_org(TERMINAL_PAYLOADS)
    facts = write(tmp_path, data)
    user = data["salesforce"]["users"][1]["username"]
    args = [a.replace("{user}", user) for a in command] + ["--facts", str(facts)]
    code, out = _run_pty(args)
    assert code in (0, 1), out[-3000:]
    _clean(out)
    assert b"\\x1b]52" in out or b"\\x1b" in out  # shown, not sent
    piped = cli_process(*args, text=False)
    assert piped.returncode in (0, 1)
    for stream in (piped.stdout, piped.stderr):
        assert b"\x1b" not in stream and b"\x07" not in stream and b"\xc2\x9b" not in stream


@pytest.mark.parametrize("payload", TERMINAL_PAYLOADS)
def test_error_messages_carry_no_escape_sequence(tmp_path, payload):
    facts = write(tmp_path, hostile_org(TERMINAL_PAYLOADS))
    code, out = _run_pty(["diagnose", "--facts", str(facts), "--user", payload + "@acme.example"])
    assert code == 2
    _clean(out)
    code, out = _run_pty(["diagnose", "--facts", str(facts), "--user", "x", "--business-unit", payload])
    assert code == 2
    _clean(out)


# -- rich markup -------------------------------------------------------------------------------
@pytest.mark.parametrize("name", ["asmith[/]@acme.example", "[bold]x[/bold]@acme.example", "a[/b]c@acme.example",
                                  "[link=http://e.vil]click[/link]@acme.example", ":smile:x@acme.example"])
def test_markup_in_a_name_is_text_in_messages(tmp_path, name):
    data = yaml.safe_load(EXAMPLE.read_text())
    data["salesforce"]["users"][1]["username"] = name
    facts = write(tmp_path, data)
    r = runner.invoke(app, ["diagnose", "--facts", str(facts), "--user", name[:-1]], catch_exceptions=False)
    assert r.exit_code == 2 and name in r.stderr and "internal error" not in r.stderr
    code, out = _run_pty(["diagnose", "--facts", str(facts), "--user", name[:-1]])
    assert code == 2 and b"\x1b]8;" not in out and b"MarkupError" not in out


@pytest.mark.parametrize("bu", ["EMEA [old]", "[red]EMEA[/red]", "[link=http://e.vil]EMEA[/link]"])
def test_markup_in_a_business_unit_argument_is_kept(bu):
    r = runner.invoke(app, ["diagnose", "--facts", str(EXAMPLE), "--user", "jdoe@acme.example", "--business-unit", bu],
                      catch_exceptions=False)
    assert r.exit_code == 2 and bu in r.stderr


def test_a_hostile_business_unit_name_never_becomes_a_link_in_text(tmp_path):
    data = yaml.safe_load(EXAMPLE.read_text())
    data["business_units"][0]["name"] = "[link=http://e.vil]Acme[/link] [old]"
    code, out = _run_pty(["diagnose", "--facts", str(write(tmp_path, data)), "--user", "asmith@acme.example"])
    assert code == 1 and b"e.vil" in out and b"\x1b]8;;http://e.vil" not in out
    assert b"[old]" in out
    # in an error message's suggestions (stderr), where the old code let rich make it a link
    data["business_units"][0]["name"] = "[link=http://e.vil]Acme North America[/link]"
    code, out = _run_pty(["diagnose", "--facts", str(write(tmp_path, data)), "--user", "asmith@acme.example",
                          "--business-unit", "Acme North Americ"])
    assert code == 2 and b"[link=http://e.vil]Acme North America[/link]" in out and b"\x1b]8;" not in out


@pytest.mark.slow
@pytest.mark.parametrize("extra", [[], ["--all"], ["--all", "--jobs", "2"]])
def test_json_output_carries_c1_and_bidi_controls_as_escapes(tmp_path, extra):
    data = hostile_org(TERMINAL_PAYLOADS)
    facts = write(tmp_path, data)
    args = ["diagnose", "--facts", str(facts), "--format", "json"] + (extra or ["--user", data["salesforce"]["users"][1]["username"]])
    piped = cli_process(*args, text=False)
    assert piped.returncode in (0, 1), piped.stderr
    for bad in (b"\x1b", b"\x07", b"\xc2\x9b", b"\xc2\x9d", "\u202e".encode()):
        assert bad not in piped.stdout
    doc = json.loads(piped.stdout)  # the same values, escaped
    names = {r["business_unit"]["name"] for r in doc["results"]}
    assert {bu["name"] for bu in data["business_units"]} >= names and names
