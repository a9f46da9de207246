"""The root `syncdoctor` app. Results go to stdout, diagnostics to stderr; a user's mistake is
a message and an exit code, never a traceback."""
from __future__ import annotations

import sys
from typing import Annotated

# Importing syncdoctor.engine first checks the Python version (one line, exit 2) before
# anything loads durable-rules' C extension.
from syncdoctor.engine.findings import FindingError
from syncdoctor.engine.run import EngineError

import typer

from . import audit, dev, facts_cmd, rules_cmd
from .formats.escape import visible
from .common import EXIT_CODES_HELP, EXIT_INTERNAL, EXIT_USAGE, err_console, report_findings
from .diagnose import diagnose
from .explain import explain
from .service import TOOL_VERSION

app = typer.Typer(
    name="syncdoctor",
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
    from .outputs import Terminated, install_signal_handlers
    install_signal_handlers()  # SIGTERM/SIGHUP/Ctrl-C unwind: temp files removed, workers ended
    try:
        app()
    except Terminated as exc:
        err_console().print(f"stopped by {exc}: no output file was replaced", markup=False)
        raise SystemExit(exc.exit_code) from None
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
