"""`syncdoctor what-if`: apply changes to the org in memory and report whom they affect
(api/whatif.py). Changes come from a changes file (engine/schema/changes.schema.json) and from
one option per kind, written as an admin says them: `--assign "role-and-subordinates:VP Sales ->
Acme North America/Marketing Users"`."""
from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Optional

import typer

from syncdoctor.api.errors import CannotApply, NotFound

from syncdoctor.api.pipeline import Knowledge, Source
from syncdoctor.api.snapshots import Snapshot

from . import org, outputs, service
from .common import EXIT_USAGE, Format, RulesOption, SymptomOption, check_symptom, did_you_mean, fail
from .outputs import write_output
from .audit import signing_key
from syncdoctor.api.pipeline import Request
from .diagnose import _org_source
from .formats.whatif import FORMATS
from syncdoctor.api.changes import load_changes
from syncdoctor.api.changes import check_specs
from syncdoctor.api import pipeline
from syncdoctor.api import audit_record

from . import formats

ARROW = " -> "
TYPES = {"user": "user", "public-group": "public_group", "group": "public_group", "role": "role",
         "role-and-subordinates": "role_and_subordinates", "role-and-internal-subordinates": "role_and_internal_subordinates"}
USER_GROUPS = {"marketing": "marketing", "marketing users": "marketing", "sales": "sales", "sales users": "sales"}
SETTINGS = {"move-to-recycle-bin-without-profile": "move_to_recycle_bin_without_profile",
            "update-role-on-profile-change": "update_role_on_profile_change"}
NO_ROLE = "(none)"


class _Bad(ValueError):
    """A change option that cannot be read; the message says the form it takes."""


def _split(value: str, form: str) -> tuple[str, str]:
    left, arrow, right = value.rpartition(ARROW)
    if not arrow or not left.strip() or not right.strip():
        raise _Bad(f"write it as {form!r}")
    return left.strip(), right.strip()


def _word(value: str, table: dict[str, str], what: str) -> str:
    w = value.strip().lower().replace("_", "-")
    for k, v in table.items():
        if w in (k, k.replace("-", " ")):
            return v
    raise _Bad(f"{value!r} is not {what}: one of {', '.join(table)}{did_you_mean(w, table) or ''}")


def _member(text: str) -> dict[str, Any]:
    kind, colon, name = text.partition(":")
    if not colon or not name.strip():
        raise _Bad("name the member as TYPE:NAME, TYPE one of " + ", ".join(TYPES))
    return {"type": _word(kind, TYPES, "a member type"), "name": name.strip()}


def _assign(kind: str) -> Any:
    def read(v: str) -> dict[str, Any]:
        member, where = _split(v, "TYPE:NAME -> BUSINESS UNIT/Marketing Users")
        bu, slash, group = where.rpartition("/")
        if not slash or not bu.strip():
            raise _Bad("name the user group as BUSINESS UNIT/Marketing Users (or /Sales Users)")
        return {"change": kind, "member": _member(member), "business_unit": bu.strip(),
                "group": _word(group, USER_GROUPS, "a user group")}
    return read


def _membership(kind: str) -> Any:
    def read(v: str) -> dict[str, Any]:
        member, group = _split(v, "TYPE:NAME -> PUBLIC GROUP")
        return {"change": kind, "member": _member(member), "public_group": group}
    return read


def _set_role(v: str) -> dict[str, Any]:
    user, role = _split(v, f"USER -> ROLE (or USER -> {NO_ROLE})")
    return {"change": "set_role", "user": user, "role": None if role == NO_ROLE else role}


def _set_profile(v: str) -> dict[str, Any]:
    user, profile = _split(v, "USER -> PROFILE")
    return {"change": "set_profile", "user": user, "profile": profile}


def _assignment(v: str, form: str) -> tuple[str, str, str]:
    """'NAME=VALUE -> BUSINESS UNIT' as (name, value, business unit)."""
    left, bu = _split(v, form)
    name, eq, value = left.rpartition("=")
    if not eq or not name.strip() or not value.strip():
        raise _Bad(f"write it as {form!r}")
    return name.strip(), value.strip(), bu


def _select(v: str) -> dict[str, Any]:
    profile, role, bu = _assignment(v, "PROFILE=ROLE -> BUSINESS UNIT")
    return {"change": "select_profile", "profile": profile, "role": role, "business_unit": bu}


def _unselect(v: str) -> dict[str, Any]:
    profile, bu = _split(v, "PROFILE -> BUSINESS UNIT")
    return {"change": "unselect_profile", "profile": profile, "business_unit": bu}


def _setting(v: str) -> dict[str, Any]:
    name, state, bu = _assignment(v, "SETTING=on|off -> BUSINESS UNIT")
    return {"change": "set_setting", "setting": _word(name, SETTINGS, "a setting"), "business_unit": bu,
            "value": _word(state, {"on": "on", "off": "off"}, "on or off") == "on"}


def _user(kind: str) -> Any:
    return lambda v: {"change": kind, "user": v.strip()}


# option name -> reader, in the order the changes are applied (after a changes file's)
READERS = {"--assign": _assign("assign"), "--unassign": _assign("unassign"), "--add-member": _membership("add_member"),
           "--remove-member": _membership("remove_member"), "--set-role": _set_role, "--set-profile": _set_profile,
           "--activate": _user("activate"), "--deactivate": _user("deactivate"), "--select-profile": _select,
           "--unselect-profile": _unselect, "--setting": _setting,
           "--transfer": lambda v: {"change": "transfer", "business_unit": v.strip()}}

Many = Optional[list[str]]


@org.with_login()
def what_if(
    facts: Annotated[Optional[Path], typer.Option("--facts", help="Facts snapshot file (YAML or JSON).", dir_okay=False)] = None,
    changes: Annotated[Optional[Path], typer.Option("--changes", help="A changes file (YAML or JSON; docs/whatif.md).", dir_okay=False)] = None,
    assign: Annotated[Many, typer.Option("--assign", help="'TYPE:NAME -> BUSINESS UNIT/Marketing Users' (or /Sales Users); "
                                         "TYPE: user, public-group, role, role-and-subordinates, role-and-internal-subordinates.")] = None,
    unassign: Annotated[Many, typer.Option("--unassign", help="'TYPE:NAME -> BUSINESS UNIT/Sales Users': take an assignment off.")] = None,
    add_member: Annotated[Many, typer.Option("--add-member", help="'TYPE:NAME -> PUBLIC GROUP'.")] = None,
    remove_member: Annotated[Many, typer.Option("--remove-member", help="'TYPE:NAME -> PUBLIC GROUP'.")] = None,
    set_role: Annotated[Many, typer.Option("--set-role", help=f"'USER -> ROLE', or 'USER -> {NO_ROLE}' for no role.")] = None,
    set_profile: Annotated[Many, typer.Option("--set-profile", help="'USER -> PROFILE'.")] = None,
    activate: Annotated[Many, typer.Option("--activate", help="USER: activate them.")] = None,
    deactivate: Annotated[Many, typer.Option("--deactivate", help="USER: deactivate them.")] = None,
    select_profile: Annotated[Many, typer.Option("--select-profile", help="'PROFILE=ROLE -> BUSINESS UNIT': check the profile "
                                                 "in the profile table, mapped to that Account Engagement role.")] = None,
    unselect_profile: Annotated[Many, typer.Option("--unselect-profile", help="'PROFILE -> BUSINESS UNIT': uncheck it.")] = None,
    setting: Annotated[Many, typer.Option("--setting", help="'SETTING=on|off -> BUSINESS UNIT'; SETTING: "
                                          "move-to-recycle-bin-without-profile, update-role-on-profile-change.")] = None,
    transfer: Annotated[Many, typer.Option("--transfer", help="BUSINESS UNIT: transfer its user management to Salesforce.")] = None,
    user: Annotated[Optional[str], typer.Option("--user", help="Also show this user's verdicts before and after.")] = None,
    business_unit: Annotated[Optional[str], typer.Option("--business-unit", help="Only this business unit (id or name).")] = None,
    symptom: SymptomOption = None,
    list_all: Annotated[bool, typer.Option("--list", help="Name every user affected (default: the first 5 of each group).")] = False,
    fmt: Annotated[Format, typer.Option("--format", help="Output format.")] = Format.text,
    out: Annotated[Optional[Path], typer.Option("--out", help="Write the report to this file instead of stdout.", dir_okay=False)] = None,
    audit: Annotated[Optional[Path], typer.Option("--audit", help="Also write an audit record (JSON) that records the changes.",
                                                  dir_okay=False)] = None,
    audit_key: Annotated[Optional[Path], typer.Option("--audit-key", help="Sign the audit record with this private key.",
                                                      dir_okay=False)] = None,
    answers: org.Answers = None,
    from_org: Annotated[bool, typer.Option("--org", help="Read the facts from a live org instead of --facts (login options below).",
                                           rich_help_panel="Login")] = False,
    login: org.Login = org.LOGIN,
    rules: RulesOption = None,
) -> None:
    """What a change would do: apply it to the snapshot in memory, diagnose again everyone it can
    reach, and report who gains or loses Account Engagement access, whose role changes, who goes to
    the recycle bin and who gets a new cause. Nothing is changed in the org or the file.

    Example:

        syncdoctor what-if --facts org.yaml --assign "role-and-subordinates:VP Sales -> Acme North America/Marketing Users"

        syncdoctor what-if --facts org.yaml --changes changes.yaml --user asmith@acme.example --list

        syncdoctor what-if --org --target-org acme --answers answers.yaml --deactivate jdoe@acme.example
    """
    given = {"--assign": assign, "--unassign": unassign, "--add-member": add_member, "--remove-member": remove_member,
             "--set-role": set_role, "--set-profile": set_profile, "--activate": activate, "--deactivate": deactivate,
             "--select-profile": select_profile, "--unselect-profile": unselect_profile, "--setting": setting,
             "--transfer": transfer}
    if (facts is None) == (not from_org):
        raise fail("give either --facts FILE or --org (with login options), not both" if facts else
                   "say where the facts come from: --facts FILE, or --org with login options")
    outputs.check({"--out": out, "--audit": audit}, {"--facts": facts, "--changes": changes, "--audit-key": audit_key,
                                                      "--answers": answers, "--private-key-file": login.private_key_file})
    if audit_key is not None and audit is None:
        raise fail("--audit-key signs the record of --audit: give --audit FILE too")
    key = signing_key(audit_key)
    specs = _specs(changes, given)
    know = service.knowledge(rules)
    sym = check_symptom(know.ruleset, symptom)
    snap = _snapshot(facts, answers, know, login if from_org else None, business_unit)
    doc = _run(snap, specs, user, business_unit, sym, know)
    if audit is not None:
        write_output(_audit_record(doc, snap, key, know, user, business_unit, sym), audit, private=True)
    write_output(FORMATS[fmt.value](doc, list_all), out)


def _snapshot(facts: Path | None, answers: Path | None, know: Knowledge, login: org.Login | None,
              business_unit: str | None) -> Snapshot:
    """The snapshot the changes apply to: the file's, or (with `login`) the org's, answers applied."""
    if login is not None:
        source = _org_source(Request(all_users=True, business_unit=business_unit), know, None, login)
    else:
        assert facts is not None
        source = service.guarded(lambda: Source.file(facts))
    if answers is not None:
        source = service.guarded(lambda: source.with_answers_file(answers))
    return service.guarded(source.build)


def _specs(changes: Path | None, given: dict[str, Many]) -> list[tuple[dict[str, Any], str]]:
    specs = service.guarded(lambda: load_changes(changes)) if changes is not None else []
    for option, values in given.items():
        for v in values or []:
            try:
                specs.append((READERS[option](v), f"{option} {v!r}"))
            except _Bad as exc:
                raise fail(f"{option} {v!r}: {exc}") from None
    if not specs:
        raise fail("say what to change: --changes FILE, or an option such as --assign (syncdoctor what-if --help)")
    service.guarded(lambda: check_specs([s for s, _ in specs], "the change options"))
    return specs


def _run(snap: Any, specs: list[tuple[dict[str, Any], str]], user: str | None, business_unit: str | None,
         symptom: str | None, know: Any) -> dict[str, Any]:
    from syncdoctor.api import whatif  # local: api/whatif.py costs about 70 ms to import (python -X importtime); only what-if pays it
    try:
        sel = pipeline.select(snap, user, user is None, business_unit)
        plan = whatif.plan(snap, specs)
    except (NotFound, CannotApply) as exc:
        raise fail(str(exc), EXIT_USAGE) from None
    eng = service.guarded(lambda: whatif.engine_for(know.ruleset))
    return service.guarded(lambda: whatif.report(eng, plan, sel.business_units, symptom, sel.users[0] if user else None))


def _audit_record(doc: dict[str, Any], snap: Any, key: Any, know: Any, user: str | None, business_unit: str | None,
                  symptom: str | None) -> str:
    """The audit record of a what-if run: the changes and the report under `what_if`, the whole
    snapshot, and the asked user's diagnoses before the changes as its results (what replay checks)."""

    sel = pipeline.select(snap, user, False, business_unit) if user else None
    results = [know.engine.diagnose(snap.factset(ui, bi, symptom)).to_json()
               for ui in (sel.users if sel else []) for bi in (sel.business_units if sel else [])]
    record = audit_record.build(dict(pipeline.header(know.ruleset, snap, symptom), results=results), snap, key,
                                {"user": user, "all_users": False, "business_unit": business_unit},
                                {"changes": doc["changes"], "report": doc})
    return formats.render("json", record)
