"""`syncdoctor diagnose`: the support engineer's main command."""
from __future__ import annotations

import contextlib
import json
import os
from enum import Enum
from pathlib import Path
from typing import Annotated, Callable, Iterator, Optional

import typer
from rich.progress import Progress

from syncdoctor.engine.ruleset import default_rules_dir

from . import org, outputs, service
from .common import (EXIT_CAUSE, EXIT_CODES_HELP, EXIT_INTERNAL, EXIT_OK, Format, RulesOption, SymptomOption, check_symptom, color_wanted,
                     err_console, fail, open_output, write_output)
from . import formats
from .formats.words import needs_action


class Layout(str, Enum):
    """How JSON writes many results (engine/layout.py, docs/results.md)."""
    shared = "shared"
    full = "full"


def diagnose(
    facts: Annotated[Optional[Path], typer.Option("--facts", help="Facts snapshot file (YAML or JSON).", dir_okay=False)] = None,
    user: Annotated[Optional[str], typer.Option("--user", help="The Salesforce user: username, email or id.")] = None,
    all_users: Annotated[bool, typer.Option("--all", help="Diagnose every user of the snapshot.")] = False,
    symptom: SymptomOption = None,
    business_unit: Annotated[Optional[str], typer.Option("--business-unit", help="Only this business unit (id or name).")] = None,
    fmt: Annotated[Format, typer.Option("--format", help="Output format.")] = Format.text,
    out: Annotated[Optional[Path], typer.Option("--out", help="Write the report to this file instead of stdout.", dir_okay=False)] = None,
    layout: Annotated[Optional[Layout], typer.Option(
        "--layout", help="JSON only: 'shared' (the default with --all) writes each result's proof and the facts, rule "
                         "statuses and citations results share once; 'full' writes every result whole (docs/results.md).")] = None,
    only_problems: Annotated[bool, typer.Option("--only-problems", help="With --all: keep only results with something to act on (a cause or a remedy).")] = False,
    audit: Annotated[Optional[Path], typer.Option("--audit", help="Also write an audit record (JSON) to this file.", dir_okay=False)] = None,
    audit_key: Annotated[Optional[Path], typer.Option("--audit-key", help="Sign the audit record with this private key "
                                                      "(`syncdoctor audit keygen`).", dir_okay=False)] = None,
    ask: org.Ask = False,
    answers: org.Answers = None,
    from_org: Annotated[bool, typer.Option("--org", help="Read the facts from a live org instead of --facts (login options below).",
                                           rich_help_panel="Login")] = False,
    save_facts: Annotated[Optional[Path], typer.Option("--save-facts", help="With --org: also write the collected snapshot here.",
                                                       dir_okay=False, rich_help_panel="Login")] = None,
    target_org: org.TargetOrg = None, username: org.Username = None, password: org.Password = None,
    security_token: org.SecurityToken = None, session_id: org.SessionId = None, instance_url: org.InstanceUrl = None,
    consumer_key: org.ConsumerKey = None, private_key_file: org.PrivateKeyFile = None, sandbox: org.Sandbox = False,
    login_url: org.LoginUrl = None, ae_api_url: org.AeApiUrl = None, timeout: org.Timeout = 30.0,
    retries: org.Retries = 3, backoff: org.Backoff = 0.5,
    jobs: Annotated[int, typer.Option("--jobs", min=1, max=64,
                                      help="With --all: diagnose in this many worker processes.")] = 1,
    rules: RulesOption = None,
) -> None:
    """Diagnose why a user does or does not sync, with the cause, the remedy and the article section.

    Example:

        syncdoctor diagnose --facts org.yaml --user jdoe@acme.example --symptom not-syncing

        syncdoctor diagnose --org --target-org acme --user jdoe@acme.example --ask
    """
    if user and all_users:
        raise fail("give either --user or --all, not both")
    if (facts is None) == (not from_org):
        raise fail("give either --facts FILE or --org (with login options), not both" if facts else
                   "say where the facts come from: --facts FILE, or --org with login options")
    # A whole-org scan runs in worker processes (a crash names its input); without an audit
    # record it is streamed in every format (memory flat in the number of users).
    scan = all_users and not ask
    if jobs > 1 and not scan:
        raise fail("--jobs works with --all (without --ask)")
    outputs.check({"--out": out, "--audit": audit, "--save-facts": save_facts},  # before any work
                  {"--facts": facts, "--answers": answers, "--private-key-file": private_key_file, "--audit-key": audit_key,
                   "--rules": rules or default_rules_dir()})
    if layout is not None and fmt is not Format.json:
        raise fail("--layout chooses how JSON results are written: give --format json too")
    shared = fmt is Format.json and (layout is Layout.shared or (layout is None and all_users))
    if audit_key is not None and audit is None:
        raise fail("--audit-key signs the record of --audit: give --audit FILE too")
    from .audit import signing_key
    key = signing_key(audit_key)
    selection = {"user": user, "all_users": all_users, "business_unit": business_unit}
    ruleset = service.ruleset(rules)
    sym = check_symptom(ruleset, symptom)
    resolve_users = None
    loaded = None
    if from_org:
        from syncdoctor.facts.collect import CollectRequest
        from syncdoctor.facts.http import HttpPolicy, Secrets
        secrets = Secrets()
        if not (user or all_users):
            raise fail("say which user: --user USERNAME|EMAIL|ID, or --all")
        opts = org.auth_options(target_org, username, password, security_token, session_id, instance_url,
                                consumer_key, private_key_file, sandbox, login_url)
        req = CollectRequest(opts, [business_unit] if business_unit else [], None if all_users else user, ae_api_url,
                             HttpPolicy(timeout, retries, backoff))
        collection = org.run_collection(req, secrets)
        org.report_collection(collection, ruleset)
        data, source_name = collection.data, f"org ({collection.auth_method} login)"
        resolve_users = collection.resolve_users
        if save_facts is not None:
            write_output(snapshot_text(data, save_facts), save_facts, private=True)
    else:
        assert facts is not None
        loaded = service.load(facts)
        data, source_name = loaded.data, loaded.file
    if scan:
        _scan(ruleset, data, source_name, business_unit, sym, answers, resolve_users, out, only_problems, jobs,
              None if from_org else loaded, fmt, audit, (key, selection), shared)
    eng = service.engine(rules)
    runner = _with_progress if all_users else service.run
    snapshot, diagnoses, questions = org.consult_and_diagnose(
        eng, data, source_name, user=user, all_users=all_users, business_unit=business_unit, symptom=sym,
        answers=answers, ask=ask, resolve_users=resolve_users, run=runner, loaded=None if from_org else loaded)
    doc = service.result_document(eng, snapshot, diagnoses, sym)
    doc["questions"] = [q.to_json(snapshot.data) for q in questions]
    if audit is not None:
        if loaded is not None:  # the file as read, before any answers were applied
            snapshot.file_sha256 = loaded.file_sha256
        from .audit import audit_record
        write_output(service_json(audit_record(doc, snapshot, key, selection)), audit, private=True)
    if only_problems:
        doc["results"] = [r for r in doc["results"] if needs_action(r)]
    options = {"color": color_wanted() and out is None} if fmt is Format.text else {}
    if fmt is Format.text and all_users:
        options["show_summary"] = True
    if shared:
        options.update(shared_layout(eng.ruleset, doc["snapshot"]))
    write_output(formats.render(fmt.value, doc, **options), out)
    org.report_questions(questions, snapshot.data)
    raise typer.Exit(EXIT_CAUSE if service.has_action(doc) else EXIT_OK)


def _scan(ruleset, data, source_name, business_unit, sym, answers, resolve_users, out, only_problems, jobs,  # type: ignore[no-untyped-def]
          loaded, fmt, audit, signing=(None, None), shared=False):
    from syncdoctor.facts import consult
    from syncdoctor.facts.snapshot import build_snapshot

    from . import bulk
    if answers is not None:
        data = org.with_answers_file(data, answers, resolve_users)
    snapshot = loaded if loaded is not None and answers is None else service.guarded(lambda: build_snapshot(data, source_name))
    try:
        sel = service.select(snapshot, None, True, business_unit)
    except service.UsageProblem as exc:
        raise fail(str(exc)) from None
    header = service.result_document(ruleset, snapshot, [], sym)
    del header["results"]
    questions: list[consult.Question] = []

    def trailer(undetermined: list[dict]) -> dict:
        questions.extend(consult.questions_for([undetermined], ruleset))
        return {"questions": [q.to_json(snapshot.data) for q in questions]}
    options = {"color": color_wanted() and out is None, "show_summary": True} if fmt is Format.text else {}
    if shared:
        options.update(shared_layout(ruleset, header["snapshot"]))
    try:
        with Progress(console=err_console(), transient=True, disable=len(sel.users) <= 200) as progress:
            task = progress.add_task("diagnosing", total=len(sel.users))

            def rows(render: Callable[[dict], str]) -> Iterator[bulk.Row]:
                return bulk.results(ruleset, snapshot, sel, sym, jobs, render, lambda n: progress.advance(task, n))
            if audit is None:  # streamed, whatever the format: memory stays flat
                sink_format = formats.stream(fmt.value, **options)
                render = sink_format.result_shared if options.get("layout") == "shared" else sink_format.result  # type: ignore[attr-defined]
                with open_output(out) as sink:
                    action = bulk.write_stream(sink, sink_format, header, rows(render), only_problems, trailer)
            else:  # the audit record is one document over every result: kept whole
                results, seen = [], []
                with contextlib.closing(rows(formats.stream("json").result)) as stream_rows:
                    for row in stream_rows:
                        results.append(json.loads(row.text))
                        seen.extend(row.undetermined)
                doc = dict(header, results=results, **trailer(seen))
                from .audit import audit_record
                if loaded is not None:  # the file as read, before any answers were applied
                    snapshot.file_sha256 = loaded.file_sha256
                write_output(service_json(audit_record(doc, snapshot, *signing)), audit, private=True)
                action = service.has_action(doc)
                if only_problems:
                    doc["results"] = [r for r in doc["results"] if needs_action(r)]
                write_output(formats.render(fmt.value, doc, **options), out)
    except bulk.WorkerCrashed as exc:
        raise fail(_crash_report(exc, snapshot, ruleset, sym), EXIT_INTERNAL) from None
    org.report_questions(questions, snapshot.data)
    raise typer.Exit(EXIT_CAUSE if action else EXIT_OK)


def shared_layout(ruleset, snapshot_header: dict) -> dict:  # type: ignore[no-untyped-def]
    """Format options for JSON over many results: the shared layout (engine/layout.py)."""
    from syncdoctor.engine.layout import rules_table
    return {"layout": "shared", "rules": rules_table(ruleset), "snapshot": snapshot_header}


def _crash_report(exc, snapshot, ruleset, sym) -> str:  # type: ignore[no-untyped-def]
    """Name the input that crashed a worker, and keep it as a one-user snapshot for a regression test."""
    if exc.user_index < 0:
        return f"a worker process died ({exc.signal_name}) with ruleset {ruleset.name} {ruleset.version}"
    import tempfile
    u = snapshot.users[exc.user_index]
    bu = snapshot.business_units[exc.bu_index]
    data = json.loads(json.dumps(snapshot.data))
    data["salesforce"]["users"] = [u]
    data["business_units"] = [bu]
    fd, path = tempfile.mkstemp(prefix="syncdoctor-crash-", suffix=".json")
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        json.dump(data, fh, indent=2)
    return (f"the rules engine crashed ({exc.signal_name}) diagnosing user {u.get('username') or u['id']} "
            f"(salesforce.users[{exc.user_index}]) in business unit {bu.get('name') or bu['id']} "
            f"with ruleset {ruleset.name} {ruleset.version} ({ruleset.sha256[:12]}), symptom {sym or 'none'}; "
            f"a snapshot with just that input: {path} (make it a regression test)")


def _with_progress(eng, snapshot, sel, sym):  # type: ignore[no-untyped-def]
    if len(sel.users) <= 200:
        return service.run(eng, snapshot, sel, sym)
    with Progress(console=err_console(), transient=True) as progress:
        task = progress.add_task("diagnosing", total=len(sel.users))
        return service.run(eng, snapshot, sel, sym, lambda n: progress.advance(task, n))


def snapshot_text(data: dict, path: Path) -> str:
    """A snapshot as JSON or YAML, chosen by the file's extension."""
    import json
    if path.suffix.lower() == ".json":
        return json.dumps(data, indent=2, ensure_ascii=False) + "\n"
    import yaml

    class NoAliases(yaml.SafeDumper):
        """syncdoctor refuses anchors and aliases in what it reads: never write any."""

        def ignore_aliases(self, data: object) -> bool:
            return True
    return yaml.dump(data, Dumper=NoAliases, sort_keys=False, allow_unicode=True, width=120)


def service_json(doc: dict) -> str:
    from .formats.jsonfmt import render_json
    return render_json(doc)


diagnose.__doc__ = (diagnose.__doc__ or "") + "\n\n    " + EXIT_CODES_HELP
