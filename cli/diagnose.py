"""`syncdoctor diagnose`: the support engineer's main command."""
from __future__ import annotations

import functools
from enum import Enum
from pathlib import Path
from typing import Annotated, Optional

import typer

from syncdoctor.api.pipeline import Knowledge, Request, Source
from syncdoctor.api.knowledge import default_rules_dir
from syncdoctor.api.run import diagnose as diagnose_request

from . import common, org, outputs
from .common import EXIT_CODES_HELP, Format, RulesOption, SymptomOption, fail
from .outputs import write_output
from .report import Report, run
from .audit import signing_key
import json
import yaml


class Layout(str, Enum):
    """How JSON writes results (engine/layout.py, docs/results.md)."""
    shared = "shared"
    full = "full"


@org.with_login()
def diagnose(
    facts: Annotated[Optional[Path], typer.Option("--facts", help="Facts snapshot file (YAML or JSON).", dir_okay=False)] = None,
    user: Annotated[Optional[str], typer.Option("--user", help="The Salesforce user: username, email or id.")] = None,
    all_users: Annotated[bool, typer.Option("--all", help="Diagnose every user of the snapshot.")] = False,
    symptom: SymptomOption = None,
    business_unit: Annotated[Optional[str], typer.Option("--business-unit", help="Only this business unit (id or name).")] = None,
    fmt: Annotated[Format, typer.Option("--format", help="Output format.", case_sensitive=False)] = Format.text,
    out: Annotated[Optional[Path], typer.Option("--out", help="Write the report to this file instead of stdout.", dir_okay=False)] = None,
    layout: Annotated[Optional[Layout], typer.Option(
        "--layout", help="JSON only: 'shared' (the default with --all) writes each result's proof and the facts, rule "
                         "statuses and citations results share once; 'full' writes every result whole (docs/results.md).")] = None,
    only_problems: Annotated[bool, typer.Option("--only-problems", help="With --all: keep only results with something to act on "
                                                "(a cause, an escalation or a remedy).")] = False,
    all_verdicts: Annotated[bool, typer.Option("--all-verdicts", help="With --all, text: list every result, informational "
                                               "ones too (by default a scan's text lists what needs action or is not "
                                               "decided, and counts the rest in the summary).")] = False,
    audit: Annotated[Optional[Path], typer.Option("--audit", help="Also write an audit record (JSON) to this file.", dir_okay=False)] = None,
    audit_key: Annotated[Optional[Path], typer.Option("--audit-key", help="Sign the audit record with this private key "
                                                      "(`syncdoctor audit keygen`).", dir_okay=False)] = None,
    ask: org.Ask = False,
    answers: org.Answers = None,
    from_org: Annotated[bool, typer.Option("--org", help="Read the facts from a live org instead of --facts (login options below).",
                                           rich_help_panel="Login")] = False,
    save_facts: Annotated[Optional[Path], typer.Option("--save-facts", help="With --org: also write the collected snapshot here.",
                                                       dir_okay=False, rich_help_panel="Login")] = None,
    login: org.Login = org.LOGIN,
    jobs: Annotated[int, typer.Option("--jobs", min=1, max=64,
                                      help="With --all: diagnose in this many worker processes.")] = 1,
    verify_remedies: Annotated[bool, typer.Option(
        "--verify-remedies", help="Apply each change a remedy declares to the snapshot in memory, diagnose again, and say under "
                                  "the remedy whether the cause goes away and who else the change affects (docs/whatif.md).")] = False,
    rules: RulesOption = None,
) -> None:
    """Diagnose why a user does or does not sync, with the cause, the remedy and the article section.

    Example:

        syncdoctor diagnose --facts org.yaml --user jdoe@acme.example --symptom not-syncing

        syncdoctor diagnose --org --target-org acme --user jdoe@acme.example --ask
    """
    # A whole-org scan runs in worker processes (a crash names its input); without an audit
    # record it is streamed in every format (memory flat in the number of users).
    scan = all_users and not ask
    _check_usage(user, all_users, facts, from_org, jobs, scan)
    outputs.check({"--out": out, "--audit": audit, "--save-facts": save_facts},  # before any work
                  {"--facts": facts, "--answers": answers, "--private-key-file": login.private_key_file, "--audit-key": audit_key,
                   "--rules": rules or default_rules_dir()})
    if audit_key is not None and audit is None:
        raise fail("--audit-key signs the record of --audit: give --audit FILE too")
    if layout is not None and fmt is not Format.json:
        raise fail("--layout chooses how JSON results are written: give --format json too")
    shared = fmt is Format.json and (layout is Layout.shared or (layout is None and all_users))
    report = Report(fmt, out, only_problems, audit, signing_key(audit_key), shared, all_verdicts, verify_remedies)
    if from_org and not (user or all_users):
        raise fail("say which user: --user USERNAME|EMAIL|ID, or --all")
    source = facts if facts is not None else (lambda know, req: _org_source(req, know, save_facts, login))
    call = functools.partial(diagnose_request, rules, source, user=user, all_users=all_users, business_unit=business_unit,
                             symptom=symptom, answers=answers, jobs=jobs if scan else None, proofs=fmt is not Format.json,
                             debug=common.DEBUG)
    raise typer.Exit(run(report, ask, all_users, call))


def _check_usage(user: str | None, all_users: bool, facts: Path | None, from_org: bool, jobs: int, scan: bool) -> None:
    """The options that go together, before anything is read."""
    if user and all_users:
        raise fail("give either --user or --all, not both")
    if (facts is None) == (not from_org):
        raise fail("give either --facts FILE or --org (with login options), not both" if facts else
                   "say where the facts come from: --facts FILE, or --org with login options")
    if jobs > 1 and not scan:
        raise fail("--jobs works with --all (without --ask)")


def _org_source(request: Request, know: Knowledge, save_facts: Path | None, login: org.Login) -> Source:
    """The facts read from a live org (the collection reported on stderr), saved with --save-facts."""
    from syncdoctor.api.org import CollectRequest, Secrets  # local: the collectors cost 0.3-0.5 s to import (api/org.py); only commands that read an org pay it
    req = CollectRequest(login.auth(), [request.business_unit] if request.business_unit else [],
                         None if request.all_users else request.user, login.ae_api_url, login.http())
    collection = org.run_collection(req, Secrets())
    org.report_collection(collection, know.ruleset)
    if save_facts is not None:
        write_output(snapshot_text(collection.data, save_facts), save_facts, private=True)
    return Source(collection.data, f"org ({collection.auth_method} login)", resolve_users=collection.resolve_users)


def snapshot_text(data: dict, path: Path) -> str:
    """A snapshot as JSON or YAML, chosen by the file's extension."""
    if path.suffix.lower() == ".json":
        return json.dumps(data, indent=2, ensure_ascii=False) + "\n"

    class NoAliases(yaml.SafeDumper):
        """syncdoctor refuses anchors and aliases in what it reads: never write any."""

        def ignore_aliases(self, data: object) -> bool:
            return True
    return yaml.dump(data, Dumper=NoAliases, sort_keys=False, allow_unicode=True, width=120)


diagnose.__doc__ = (diagnose.__doc__ or "") + "\n\n    " + EXIT_CODES_HELP
