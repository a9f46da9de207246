"""Reading a live org from the CLI: the login options shared by `facts collect` and
`diagnose --org`, the consultation loop, and the collection report on stderr."""
from __future__ import annotations

import functools
import inspect
import sys
import typing
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Callable, Optional, TypeVar

import typer

from syncdoctor.api.knowledge import Ruleset
from syncdoctor.api.snapshots import consult

if TYPE_CHECKING:  # the collectors (simple-salesforce, requests) load only when an org is read
    from syncdoctor.api.org import AuthOptions  # local: the collectors cost 0.3-0.5 s to import (api/org.py); only commands that read an org pay it
    from syncdoctor.api.org import Collection, CollectRequest
    from syncdoctor.api.org import HttpPolicy, Secrets

from . import common
from .common import EXIT_COLLECT, EXIT_USAGE, did_you_mean, err_console, fail
from .formats.escape import term, visible

T = TypeVar("T")

TargetOrg = Annotated[Optional[str], typer.Option("--target-org", help="Use the Salesforce CLI's login for this alias (`sf org display`; on CLI 2.136.8+ also `sf org auth show-access-token`).", rich_help_panel="Login")]
Username = Annotated[Optional[str], typer.Option("--username", envvar="SYNCDOCTOR_USERNAME", help="Salesforce username (password or JWT login).", rich_help_panel="Login")]
Password = Annotated[Optional[str], typer.Option("--password", envvar="SYNCDOCTOR_PASSWORD", show_default=False,
                                                 help="Password; better from SYNCDOCTOR_PASSWORD or the prompt (asked without echo).", rich_help_panel="Login")]
SecurityToken = Annotated[Optional[str], typer.Option("--security-token", envvar="SYNCDOCTOR_SECURITY_TOKEN", show_default=False,
                                                      help="Security token for password login (empty when the IP is trusted).", rich_help_panel="Login")]
SessionId = Annotated[Optional[str], typer.Option("--session-id", envvar="SYNCDOCTOR_SESSION_ID", show_default=False,
                                                  help="An access token (with --instance-url).", rich_help_panel="Login")]
InstanceUrl = Annotated[Optional[str], typer.Option("--instance-url", help="The org's URL, https://yourdomain.my.salesforce.com (overrides the login's).", rich_help_panel="Login")]
ConsumerKey = Annotated[Optional[str], typer.Option("--consumer-key", envvar="SYNCDOCTOR_CONSUMER_KEY", help="Connected app consumer key (JWT bearer login).", rich_help_panel="Login")]
PrivateKeyFile = Annotated[Optional[Path], typer.Option("--private-key-file", help="Private key for JWT bearer login.", dir_okay=False, rich_help_panel="Login")]
Sandbox = Annotated[bool, typer.Option("--sandbox", help="A sandbox: log in at test.salesforce.com, read AE at pi.demo.pardot.com.", rich_help_panel="Login")]
LoginUrl = Annotated[Optional[str], typer.Option("--login-url", help="Log in here instead of login/test.salesforce.com (My Domain, a proxy).", rich_help_panel="Login")]
AeApiUrl = Annotated[Optional[str], typer.Option("--ae-api-url", help="Account Engagement API host (default: chosen from the org: pi.demo.pardot.com for sandboxes and Developer Edition orgs, else pi.pardot.com).", rich_help_panel="Login")]
Timeout = Annotated[float, typer.Option("--timeout", help="Seconds to wait for each HTTP answer.", min=0.1, rich_help_panel="Login")]
Retries = Annotated[int, typer.Option("--retries", help="Retries of a call that failed for a reason retrying can fix.", min=0, max=10, rich_help_panel="Login")]
Backoff = Annotated[float, typer.Option("--backoff", help="First retry delay in seconds (doubles each time).", min=0, hidden=True)]
Ask = Annotated[bool, typer.Option("--ask", help="Ask the engineer, interactively, for facts no API exposes (only those that decide something).")]
Answers = Annotated[Optional[Path], typer.Option("--answers", help="Answers to those questions, from a YAML file (docs/collecting.md).", dir_okay=False)]


# The login options: name -> (typer's declaration, default). The first ten are AuthOptions'
# fields (facts/auth.py), the others how Account Engagement and HTTP are reached.
_OPTIONS: dict[str, tuple[Any, Any]] = {
    "target_org": (TargetOrg, None), "username": (Username, None), "password": (Password, None),
    "security_token": (SecurityToken, None), "session_id": (SessionId, None), "instance_url": (InstanceUrl, None),
    "consumer_key": (ConsumerKey, None), "private_key_file": (PrivateKeyFile, None), "sandbox": (Sandbox, False),
    "login_url": (LoginUrl, None), "ae_api_url": (AeApiUrl, None), "timeout": (Timeout, 30.0), "retries": (Retries, 3),
    "backoff": (Backoff, 0.5)}
_HTTP = ("ae_api_url", "timeout", "retries", "backoff")


@dataclass(frozen=True)
class Login:
    """The login options of every command that reads a live org (`diagnose --org`, `what-if
    --org`, `facts collect`, `facts probe`), as the command line gave them: one bundle, declared
    once (`with_login`)."""
    values: tuple[tuple[str, Any], ...] = ()  # (option, value), those given or defaulted

    def get(self, name: str) -> Any:
        return dict(self.values).get(name, _OPTIONS[name][1])

    @property
    def private_key_file(self) -> Path | None:
        return self.get("private_key_file")

    @property
    def ae_api_url(self) -> str | None:
        return self.get("ae_api_url")

    def auth(self) -> AuthOptions:
        """The login, a password asked for on a terminal when it is missing."""
        from syncdoctor.api.org import AuthOptions  # local: the collectors cost 0.3-0.5 s to import (api/org.py); only commands that read an org pay it
        given = {n: self.get(n) for n in _OPTIONS if n not in _HTTP}
        opts = AuthOptions(**dict(given, private_key_file=str(given["private_key_file"]) if given["private_key_file"] else None))
        if opts.username and not (opts.target_org or opts.session_id or opts.consumer_key or opts.private_key_file) \
                and opts.password is None:
            if not sys.stdin.isatty():
                raise fail("password login needs a password: --password, SYNCDOCTOR_PASSWORD, or run on a terminal to be asked")
            opts.password = _interruptible(typer.prompt, "Salesforce password", hide_input=True, err=True)
            if opts.security_token is None:
                opts.security_token = _interruptible(typer.prompt, "Security token (blank if your IP is trusted)", hide_input=True,
                                                     err=True, default="", show_default=False)
        return opts

    def http(self) -> HttpPolicy:
        from syncdoctor.api.org import HttpPolicy  # local: the collectors cost 0.3-0.5 s to import (api/org.py); only commands that read an org pay it
        return HttpPolicy(self.get("timeout"), self.get("retries"), self.get("backoff"))


LOGIN = Login()  # the placeholder default of a command's `login` parameter


def with_login(*, ae_api: bool = True) -> Callable[[Callable[..., T]], Callable[..., T]]:
    """A command's parameter `login: Login = LOGIN` becomes the login options, in its place (the
    order --help lists them in), and reaches the command as one Login. `ae_api=False`: a command
    that does not read Account Engagement has no --ae-api-url."""
    names = [n for n in _OPTIONS if ae_api or n != "ae_api_url"]

    def wrap(fn: Callable[..., T]) -> Callable[..., T]:
        hints = typing.get_type_hints(fn, include_extras=True)
        own = [p.replace(annotation=hints.get(p.name, p.annotation)) for p in inspect.signature(fn).parameters.values()]
        at = next(i for i, p in enumerate(own) if p.name == "login")
        login = [inspect.Parameter(n, inspect.Parameter.POSITIONAL_OR_KEYWORD, default=_OPTIONS[n][1], annotation=_OPTIONS[n][0])
                 for n in names]

        @functools.wraps(fn)
        def command(**kwargs: Any) -> T:
            login = Login(tuple((n, kwargs.pop(n)) for n in names))
            return fn(**kwargs, login=login)
        params = own[:at] + login + own[at + 1:]
        command.__signature__ = inspect.Signature(params)  # type: ignore[attr-defined]
        command.__annotations__ = {p.name: p.annotation for p in params}
        return command
    return wrap


def run_collection(req: CollectRequest, secrets: Secrets) -> Collection:
    from syncdoctor.api.org import CollectError, NotInOrg, collect  # local: the collectors cost 0.3-0.5 s to import (api/org.py); only commands that read an org pay it
    try:
        return collect(req, secrets)
    except NotInOrg as exc:
        raise fail(secrets.redact(str(exc)), EXIT_USAGE) from None
    except CollectError as exc:
        raise fail(f"collection failed: {secrets.redact(str(exc))}", EXIT_COLLECT) from None


def report_collection(col: Collection, ruleset: Ruleset) -> None:
    console = err_console()
    for line in col.report_lines():
        console.print(visible(line), markup=False)
    for path, reason in sorted(col.missing.items()):
        console.print(f"[yellow]unknown:[/yellow] {term(path)}: {term(reason)}", highlight=False)
        codes = affected_codes(ruleset, path)
        if codes:
            console.print(f"  diagnoses that need it stay undetermined: {', '.join(codes)}", markup=False)


def affected_codes(ruleset: Ruleset, path: str) -> list[str]:
    """Conclusion codes that (through derivations) read the list at `path`."""
    lists = [name for name, ld in ruleset.vocabulary.lists.items()
             if path.startswith(ld.source.replace("[]", "")) or ld.source.replace("[]", "").startswith(path)]
    kinds = {name for name, fd in ruleset.vocabulary.facts.items() if set(fd.complete_when) & set(lists)}
    if path == "salesforce.users":
        kinds.add("user")
    codes: list[str] = []
    changed = True
    while changed:
        changed = False
        for rule in ruleset.active_rules:
            if not any(p.fact in kinds for b in rule.branches() for p in b):
                continue
            if rule.derive and rule.derive.fact not in kinds:
                kinds.add(rule.derive.fact)
                changed = True
            if rule.conclude and rule.conclude.code not in codes:
                codes.append(rule.conclude.code)
    return sorted(codes)


def prompter() -> consult.Prompter:
    console = err_console()
    return consult.Prompter(
        echo=lambda text: console.print(visible(text, keep_newlines=True), markup=False, highlight=False),
        choose=lambda label, choices: _interruptible(_choose, visible(label), [visible(c) for c in choices]),
        text=lambda label: _interruptible(_read, visible(label)),
    )


def _read(label: str) -> str:
    """One line typed at a prompt. The prompt goes to stderr and nothing to stdout (click's
    prompt writes a space there, into a report piped to a file); end of input is EOFError."""
    sys.stderr.write(f"{label}: ")
    sys.stderr.flush()
    line = sys.stdin.readline()
    if not line:
        raise EOFError
    return line.rstrip("\r\n")


EXIT_INTERRUPTED = 130  # 128 + SIGINT, as a shell reports Ctrl-C; 1 would mean "a cause was found"


def _interruptible(ask: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """A prompt whose Ctrl-C or Ctrl-D (end of input) ends the run with exit 130, not click's
    "Aborted!" exit 1."""
    try:
        return ask(*args, **kwargs)
    except (typer.Abort, EOFError, KeyboardInterrupt):
        err_console().print("\ninterrupted: nothing was written", markup=False, highlight=False)
        raise typer.Exit(EXIT_INTERRUPTED) from None


def _choose(label: str, choices: list[str]) -> str:
    """A choice, not free text: asked again until the answer is one of the choices (or a unique
    prefix). A blank answer means "don't know" wherever that is a choice, as at every prompt."""
    unknown = consult.UNKNOWN in choices
    while True:
        raw = _read(f"{label} ({' / '.join(choices)}{'; blank: ' + consult.UNKNOWN if unknown else ''})").strip().lower()
        if not raw and unknown:
            return consult.UNKNOWN
        picked = [c for c in choices if c.lower() == raw] or [c for c in choices if c.lower().startswith(raw) and raw]
        if len(picked) == 1:
            return picked[0]
        err_console().print(visible(f"  {raw!r} is not one of: {', '.join(choices)}{did_you_mean(raw, choices)}"), markup=False)


def report_questions(questions: list[tuple[str, str, list[str]]]) -> None:
    """The questions still open, on stderr: (where the answer goes, the question, why it is
    needed), as the pipeline words them (api/run.py `Results.open_questions`)."""
    if not questions:
        return
    console = err_console()
    console.print("Questions that would decide what is still undetermined "
                  "(answer with --ask, or in a file given to --answers; see docs/collecting.md):", markup=False)
    for path, question, said in questions:
        console.print(visible(f"  {path}: {question}"), markup=False)
        for why in said:
            console.print(visible(f"      needed because {why}"), markup=False)

