"""`syncdoctor facts`: collect a facts snapshot from a live org."""
from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from syncdoctor.api.pipeline import Source
from syncdoctor.engine.ruleset import default_rules_dir
from syncdoctor.facts import consult
from syncdoctor.facts.snapshot import build_snapshot

from . import common, org, outputs, service
from .common import EXIT_COLLECT, EXIT_OK, RulesOption, err_console, fail
from .diagnose import snapshot_text
from .formats.escape import visible
from .outputs import write_output

app = typer.Typer(help="Collect facts from a live org into a snapshot file.", no_args_is_help=True)


@app.command("collect")
def collect_cmd(
    out: Annotated[Path, typer.Option("--out", help="Snapshot file to write (.yaml or .json), atomically.", dir_okay=False)],
    business_unit: Annotated[Optional[list[str]], typer.Option("--business-unit", help="Only this business unit (repeatable; default: all).")] = None,
    ask: org.Ask = False,
    answers: org.Answers = None,
    target_org: org.TargetOrg = None, username: org.Username = None, password: org.Password = None,
    security_token: org.SecurityToken = None, session_id: org.SessionId = None, instance_url: org.InstanceUrl = None,
    consumer_key: org.ConsumerKey = None, private_key_file: org.PrivateKeyFile = None, sandbox: org.Sandbox = False,
    login_url: org.LoginUrl = None, ae_api_url: org.AeApiUrl = None, timeout: org.Timeout = 30.0,
    retries: org.Retries = 3, backoff: org.Backoff = 0.5,
    rules: RulesOption = None,
) -> None:
    """Read users, roles, public groups, business units and Account Engagement users from an org
    and write a facts snapshot. What no API exposes is asked (--ask) or read (--answers).

    Example:

        syncdoctor facts collect --target-org acme --out acme.yaml --answers acme-answers.yaml

    Exit codes: 0 written (parts that could not be read are listed and stay unknown), 2 bad
    input, 3 collection failed (nothing written).
    """
    outputs.check({"--out": out}, {"--answers": answers, "--private-key-file": private_key_file,
                                   "--rules": rules or default_rules_dir()})  # before logging in
    from syncdoctor.facts.collect import CollectRequest
    from syncdoctor.facts.http import HttpPolicy, Secrets
    eng = service.engine(rules)
    secrets = Secrets()
    opts = org.auth_options(target_org, username, password, security_token, session_id, instance_url,
                            consumer_key, private_key_file, sandbox, login_url)
    req = CollectRequest(opts, list(business_unit or []), None, ae_api_url, HttpPolicy(timeout, retries, backoff))
    collection = org.run_collection(req, secrets)
    data = collection.data
    if answers is not None:
        data = service.guarded(lambda: Source(data, str(out)).with_answers_file(answers)).data
    asked: set[tuple[int, str]] = set()
    while ask:  # one question at a time: the mode decides which settings are asked next
        pending = [q for q in consult.open_questions(data, eng.ruleset) if q.key not in asked]
        if not pending:
            break
        asked.add(pending[0].key)
        given = consult.ask(pending[:1], data, org.prompter(), collection.resolve_users, debug=common.DEBUG)
        if given["business_units"]:
            data = service.guarded(lambda: consult.apply_answers(data, given, "asked interactively",
                                                                 resolve_users=collection.resolve_users))
    service.guarded(lambda: build_snapshot(data, str(out)))  # what is written must read back
    write_output(snapshot_text(data, out), out, private=True)
    org.report_collection(collection, eng.ruleset)
    err_console().print(f"wrote {out}", markup=False, highlight=False)
    raise typer.Exit(EXIT_OK)


@app.command("probe")
def probe_cmd(
    target_org: org.TargetOrg = None, username: org.Username = None, password: org.Password = None,
    security_token: org.SecurityToken = None, session_id: org.SessionId = None, instance_url: org.InstanceUrl = None,
    consumer_key: org.ConsumerKey = None, private_key_file: org.PrivateKeyFile = None, sandbox: org.Sandbox = False,
    login_url: org.LoginUrl = None, timeout: org.Timeout = 30.0, retries: org.Retries = 3, backoff: org.Backoff = 0.5,
    as_json: Annotated[bool, typer.Option("--json", help="Print the findings as JSON.")] = False,
) -> None:
    """Find out, read-only, whether this org's user-group assignments are readable: Group rows by
    type, the groups whose name looks like a Marketing Users / Sales Users group (with member
    counts), the business units (PardotTenant, with CreationStatus), the collecting user's
    permissions, and what could not be read. Writes nothing, to the org or to disk.

    Example:

        syncdoctor facts probe --target-org acme

    Exit codes: 0 probed (parts that could not be read are listed), 2 bad input, 3 login failed.
    """
    import json

    from syncdoctor.facts.auth import CollectError, NotInOrg
    from syncdoctor.facts.http import HttpPolicy, Secrets
    from syncdoctor.facts.probe import run_probe
    secrets = Secrets()
    opts = org.auth_options(target_org, username, password, security_token, session_id, instance_url,
                            consumer_key, private_key_file, sandbox, login_url)
    try:
        result = run_probe(opts, HttpPolicy(timeout, retries, backoff), secrets)
    except NotInOrg as exc:
        raise fail(secrets.redact(str(exc))) from None
    except CollectError as exc:
        raise fail(f"probe failed: {secrets.redact(str(exc))}", EXIT_COLLECT) from None
    if as_json:
        typer.echo(secrets.redact(json.dumps(result.to_json(), indent=2, ensure_ascii=True)))
    else:
        for line in result.lines():
            typer.echo(visible(secrets.redact(line)))  # org names and server messages
    raise typer.Exit(EXIT_OK)
