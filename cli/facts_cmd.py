"""`syncdoctor facts`: collect a facts snapshot from a live org."""
from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from syncdoctor.api.pipeline import Source
from syncdoctor.api.knowledge import default_rules_dir
from syncdoctor.api.snapshots import build_snapshot, consult

from . import common, org, outputs, service
from .common import EXIT_COLLECT, EXIT_OK, RulesOption, err_console, fail
from .diagnose import snapshot_text
from .formats.escape import visible
from .outputs import write_output
import json

app = typer.Typer(help="Collect facts from a live org into a snapshot file.", no_args_is_help=True)


@app.command("collect")
@org.with_login()
def collect_cmd(
    out: Annotated[Path, typer.Option("--out", help="Snapshot file to write (.yaml or .json), atomically.", dir_okay=False)],
    business_unit: Annotated[Optional[list[str]], typer.Option("--business-unit", help="Only this business unit (repeatable; default: all).")] = None,
    ask: org.Ask = False,
    answers: org.Answers = None,
    login: org.Login = org.LOGIN,
    rules: RulesOption = None,
) -> None:
    """Read users, roles, public groups, business units and Account Engagement users from an org
    and write a facts snapshot. What no API exposes is asked (--ask) or read (--answers).

    Example:

        syncdoctor facts collect --target-org acme --out acme.yaml --answers acme-answers.yaml

    Exit codes: 0 written (parts that could not be read are listed and stay unknown), 2 bad
    input, 3 collection failed (nothing written).
    """
    outputs.check({"--out": out}, {"--answers": answers, "--private-key-file": login.private_key_file,
                                   "--rules": rules or default_rules_dir()})  # before logging in
    from syncdoctor.api.org import CollectRequest, Secrets  # local: the collectors cost 0.3-0.5 s to import (api/org.py); only commands that read an org pay it
    eng = service.engine(rules)
    secrets = Secrets()
    req = CollectRequest(login.auth(), list(business_unit or []), None, login.ae_api_url, login.http())
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
@org.with_login(ae_api=False)
def probe_cmd(
    login: org.Login = org.LOGIN,
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

    from syncdoctor.api.org import CollectError, NotInOrg, Secrets, run_probe  # local: the collectors cost 0.3-0.5 s to import (api/org.py); only commands that read an org pay it
    secrets = Secrets()
    try:
        result = run_probe(login.auth(), login.http(), secrets)
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
