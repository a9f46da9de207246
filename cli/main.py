"""The root `syncdoctor` app. Results go to stdout, diagnostics to stderr; a user's mistake is
a message and an exit code, never a traceback."""
from __future__ import annotations

import contextlib
import os
import sys
from typing import Annotated, Any

# Importing the API first imports syncdoctor.engine, which checks the Python version (one line, exit 2) before
# anything loads durable-rules' C extension.
from syncdoctor.api.knowledge import EngineError  # isort: skip

import typer
from typer.core import TyperCommand, TyperGroup

from syncdoctor.api.pipeline import TOOL_VERSION
from syncdoctor.reading.findings import FindingError

from . import audit, common, dev, facts_cmd, rules_cmd
from .common import EXIT_CODES_HELP, EXIT_INTERNAL, EXIT_USAGE, did_you_mean, err_console, report_findings
from .diagnose import diagnose
from .explain import explain
from .formats.escape import visible
from .whatif import what_if
from .outputs import Terminated, install_signal_handlers


class RootGroup(TyperGroup):
    """The root command, with two fixes that hold for every subcommand, present and future:
    a plain flag shows no `<bool>` in --help (it takes no value), and a value outside an
    option's choices gets the closest choice named."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _plain_flags(self)

    def invoke(self, ctx: typer.Context) -> Any:
        try:
            return super().invoke(ctx)
        except typer.BadParameter as exc:
            _name_closest_choice(exc)
            raise


def _plain_flags(command: TyperCommand | TyperGroup) -> None:
    """An empty metavar for every on/off flag (the help option too): typer would print `<bool>`."""
    params = list(command.params)
    help_option = command.get_help_option(typer.Context(command, **(command.context_settings or {})))
    for param in params + ([help_option] if help_option is not None else []):
        if getattr(param, "is_flag", False) and not getattr(param, "count", False):
            param.metavar = ""
    for sub in getattr(command, "commands", {}).values():
        _plain_flags(sub)


def _name_closest_choice(exc: typer.BadParameter) -> None:
    """Rewrite "Value error, 'x' is not one of ..." (typer's words) as plain words with a
    did-you-mean, reading the choices from the option itself."""
    desc = getattr(exc.param, "type_descriptor", None)
    choices = [getattr(c, "value", c) for c in (getattr(desc, "choices", None) or [])]
    cause = exc.__cause__
    errors = cause.errors() if cause is not None and hasattr(cause, "errors") else []
    if not choices or not errors:
        return
    value = str(errors[0].get("input"))
    exc.message = f"{value!r} is not one of {', '.join(map(str, choices))}" + (did_you_mean(value, choices) or ".")


app = typer.Typer(
    name="syncdoctor",
    cls=RootGroup,
    help=("Troubleshoot Account Engagement (Pardot) User Sync from the facts of an org, with the cause, "
          "the remedy and the Knowledge article section each comes from.\n\n"
          "Example: syncdoctor diagnose --facts org.yaml --user jdoe@acme.example --symptom not-syncing\n\n"
          + EXIT_CODES_HELP),
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"syncdoctor {TOOL_VERSION}")
        raise typer.Exit()


@app.callback()
def root(version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True,
                                                help="Show the version and exit.")] = False) -> None:
    """syncdoctor"""


app.command("diagnose")(diagnose)
app.command("explain")(explain)
app.command("replay")(audit.replay)
app.command("what-if")(what_if)
app.add_typer(rules_cmd.app, name="rules")
app.add_typer(audit.app, name="audit")
app.add_typer(facts_cmd.app, name="facts")
app.add_typer(dev.app, name="dev")


def run() -> None:
    """Console entry point. Click (vendored by typer) handles usage errors itself (message, exit 2);
    expected failures become messages and exit codes here, never a traceback."""
    debug = "--debug" in sys.argv
    if debug:
        sys.argv.remove("--debug")
        common.DEBUG = True  # engine ids and field names in explain and the reports' proofs
    install_signal_handlers()  # SIGTERM/SIGHUP/Ctrl-C unwind: temp files removed, workers ended
    try:
        app()
    except Terminated as exc:
        err_console().print(f"stopped by {exc}: no output file was replaced", markup=False)
        # Everything to clean up was cleaned while unwinding (temp files removed, workers ended).
        # Leave now: interpreter exit joins the worker pool's manager thread, which can wait
        # forever on a pool the signal interrupted mid-message (seen under load).
        for stream in (sys.stdout, sys.stderr):
            with contextlib.suppress(Exception):
                stream.flush()
        os._exit(exc.exit_code)
    except FindingError as exc:
        report_findings(exc.findings)
        raise SystemExit(EXIT_USAGE) from None
    except EngineError as exc:
        err_console().print(visible(f"internal error: {exc}", keep_newlines=True), markup=False)  # it names org input
        raise SystemExit(EXIT_INTERNAL) from None
    except KeyboardInterrupt:
        raise SystemExit(130) from None
    except Exception as exc:
        if debug:
            raise
        err_console().print(f"internal error: {type(exc).__name__} (run with --debug for details)", markup=False)
        raise SystemExit(EXIT_INTERNAL) from None


if __name__ == "__main__":
    run()
