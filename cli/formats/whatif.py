"""The what-if report (api/whatif.py's document) in text, markdown, HTML and JSON. One outline
(title, sections of lines) is built once; each format escapes every value for where it lands:
org names are written by strangers."""
from __future__ import annotations

import json
from typing import Any, Callable

from .escape import html_text, json_text, md, visible

SAMPLE = 5  # users named per group unless the whole list is asked for (--list)
MOVE_WORDS = {
    "gains_access": "gain Account Engagement access",
    "loses_access": "lose Account Engagement access",
    "access_unknown": "access becomes, or stops being, unknown",
    "role_changes": "Account Engagement role changes",
    "to_recycle_bin": "Account Engagement user goes to the recycle bin",
    "restored": "Account Engagement user comes back from the recycle bin",
}
GROUP_WORDS = {"marketing": "Marketing Users", "sales": "Sales Users"}


def _value(v: Any) -> str:
    return {True: "yes", False: "no", None: "unknown"}.get(v, str(v)) if not isinstance(v, str) else v


def _who(u: dict[str, Any]) -> str:
    name = u.get("username") or u["id"]
    if "groups" in u:
        via = ", ".join(GROUP_WORDS.get(g, g) for g in u["groups"]) or "a checked profile"
        return f"{name} ({via}; role {u['role'] or 'unknown'})"
    if "before" in u:
        return f"{name}: {_value(u['before'])} → {_value(u['after'])}"
    return name


Outline = list[tuple[str, list[str]]]  # (heading, lines); a line starting with "  " is nested


def outline(doc: dict[str, Any], list_all: bool) -> tuple[str, Outline]:
    title = "What if: " + "; then ".join(c["words"] for c in doc["changes"])
    out: Outline = []
    if doc["notes"]:
        out.append(("Notes", list(doc["notes"])))
    if "user" in doc:
        name = doc["user"]["user"].get("username") or doc["user"]["user"]["id"]
        lines = []
        for r in doc["user"]["results"]:
            bu = r["business_unit"].get("name") or r["business_unit"]["id"]
            codes = lambda vs: ", ".join(f"{v['code']} ({v['kind']})" for v in vs) or "nothing"  # noqa: E731
            lines.append(f"{bu}: before {codes(r['before'])}; after {codes(r['after'])}")
            if r["causes_gone"]:
                lines.append(f"  the cause goes away: {', '.join(r['causes_gone'])}")
            if r["new_causes"]:
                lines.append(f"  new cause: {', '.join(r['new_causes'])}")
        out.append((f"{name}, before and after", lines))
    for group in doc["business_units"]:
        bu = group["business_unit"].get("name") or group["business_unit"]["id"]
        lines = []
        for move, words in MOVE_WORDS.items():
            lines += _listed(words, group[move], list_all)
        for move, words in (("new_causes", "new cause"), ("causes_gone", "cause goes away")):
            for code, entry in group[move].items():
                lines += _listed(f"{words} {code}", entry, list_all)
        out.append((f"Business unit {bu}", lines or ["nobody else is affected"]))
    basis = doc["basis"]
    out.append(("Where this comes from", [
        f"{doc['diagnoses_compared']:,} diagnoses compared (the users each change can reach, before and after); "
        "access is the rules' own reading of the org: a user group reached (managed) or a checked profile "
        "(legacy), an active user, User Sync enabled",
        f"recycle bin: {basis['recycle_bin']}", f"roles: {basis['role']}"]))
    return title, out


def _listed(words: str, entry: dict[str, Any], list_all: bool) -> list[str]:
    if not entry["count"]:
        return []
    users = entry["users"] if list_all else entry["users"][:SAMPLE]
    more = entry["count"] - len(users)
    lines = [f"{entry['count']:,} {'user' if entry['count'] == 1 else 'users'}: {words}"]
    lines += [f"  {_who(u)}" for u in users]
    if more:
        lines.append(f"  … and {more:,} more (--list names them all)")
    return lines


def render_text(doc: dict[str, Any], list_all: bool = False) -> str:
    title, parts = outline(doc, list_all)
    lines = [visible(title)]
    for heading, body in parts:
        lines += ["", visible(heading)] + ["  " + visible(line) for line in body]
    return "\n".join(lines) + "\n"


def render_markdown(doc: dict[str, Any], list_all: bool = False) -> str:
    title, parts = outline(doc, list_all)
    lines = [f"# {md(title)}"]
    for heading, body in parts:
        lines += ["", f"## {md(heading)}", ""]
        lines += [("  - " + md(line[2:])) if line.startswith("  ") else "- " + md(line) for line in body]
    return "\n".join(lines) + "\n"


def render_html(doc: dict[str, Any], list_all: bool = False) -> str:
    title, parts = outline(doc, list_all)
    esc: Callable[[str], str] = html_text
    body = [f"<h1>{esc(title)}</h1>"]
    for heading, lines in parts:
        body.append(f"<h2>{esc(heading)}</h2><ul>")
        for line in lines:
            body.append(f"<li class='sub'>{esc(line[2:])}</li>" if line.startswith("  ") else f"<li>{esc(line)}</li>")
        body.append("</ul>")
    return ("<!DOCTYPE html>\n<html lang='en'><head><meta charset='utf-8'><title>syncdoctor what-if</title><style>"
            "body{font-family:system-ui,sans-serif;margin:2em;max-width:70em}li.sub{margin-left:2em;list-style:circle}"
            "</style></head><body>\n" + "\n".join(body) + "\n</body></html>\n")


def render_json(doc: dict[str, Any], list_all: bool = False) -> str:
    """The document, each group's users cut to the first few unless the whole list is asked for."""
    if not list_all:
        doc = dict(doc, business_units=[_sampled(g) for g in doc["business_units"]])
    return json_text(json.dumps(doc, indent=2, sort_keys=True, ensure_ascii=False)) + "\n"


def _sampled(group: dict[str, Any]) -> dict[str, Any]:
    def cut(entry: dict[str, Any]) -> dict[str, Any]:
        return dict(entry, users=entry["users"][:SAMPLE], listed=len(entry["users"]) <= SAMPLE)
    out = dict(group)
    for move in MOVE_WORDS:
        out[move] = cut(group[move])
    for move in ("new_causes", "causes_gone"):
        out[move] = {code: cut(e) for code, e in group[move].items()}
    return out


FORMATS = {"text": render_text, "markdown": render_markdown, "html": render_html, "json": render_json}
