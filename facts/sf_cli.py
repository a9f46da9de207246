"""The Salesforce CLI's stored login (`--target-org ALIAS`), for both generations of the CLI.

- Before 2.136.8 (May 2026), `sf org display --target-org ALIAS --json` printed the access
  token in `result.accessToken`.
- From 2.136.8, that field holds a placeholder, `[REDACTED] Use 'sf org auth show-access-token'
  to view` (forcedotcom/cli#3560; salesforcecli/plugin-org#1667 adds the command, #1673 the
  redaction), and the token comes from `sf org auth show-access-token --target-org ALIAS
  --json` (`result.accessToken`; the command refreshes the login first).

`sf org display` still gives the instance URL in both generations, so it is always run first;
`show-access-token` only when the token it printed is not shaped like a token. An older CLI
never sees the new command; a newer one never has its placeholder used as a token."""
from __future__ import annotations

import json
import re
import shutil
import subprocess
from dataclasses import dataclass
from typing import Any, Callable

from .http import Secrets

# An OAuth bearer token is RFC 6750's b64token (letters, digits, "-._~+/", "=" padding);
# Salesforce's session ids add "!" (00D…!…), and are far longer than MIN_TOKEN. A value with
# anything else in it (spaces, brackets, quotes, asterisks, bullets), a bare word such as
# REDACTED, a run of mask characters or a short value is a placeholder, not a token.
_TOKEN = re.compile(r"[A-Za-z0-9!\-._~+/]+=*")
_PLACEHOLDER_WORD = re.compile(r"\W*(redacted|hidden|masked|removed|secret|none|null|undefined)\W*", re.IGNORECASE)
_MASKS = set("xX*#.-_")
MIN_TOKEN = 16
_TIMEOUT = 120


def token_problem(value: Any) -> str | None:
    """Why `value` cannot be an access token (None when it can): absent, or a placeholder
    in the place of the token (a redacted value)."""
    if not isinstance(value, str) or not value.strip():
        return "no access token in its output"
    if (not _TOKEN.fullmatch(value) or _PLACEHOLDER_WORD.fullmatch(value) or set(value) <= _MASKS
            or "redact" in value.lower() or len(value) < MIN_TOKEN):
        return "the access token is redacted in its output (a placeholder, not a token)"
    return None


class CliFailed(Exception):
    """The Salesforce CLI gave no usable login; the message says what to do."""


@dataclass
class CliLogin:
    """Access token and instance URL of one alias, as the installed CLI gives them."""
    alias: str
    secrets: Secrets
    runner: Callable[..., Any] = subprocess.run

    def login(self) -> tuple[str, str]:
        display = self._result(["org", "display", "--target-org", self.alias, "--json"])
        url = display.get("instanceUrl")
        if not isinstance(url, str) or not url:
            raise CliFailed(f"`sf org display --target-org {self.alias}` gave no instance URL; "
                            f"log in again: `sf org login web --alias {self.alias}`")
        token = display.get("accessToken")
        problem = token_problem(token)
        if problem is None:  # an older CLI (or SF_TEMP_SHOW_SECRETS=true): the token is there
            return self._keep(token), url
        command = ["org", "auth", "show-access-token", "--target-org", self.alias, "--json"]
        try:
            shown = self._result(command)
        except CliFailed as exc:
            raise CliFailed(f"`sf org display` printed no usable token ({problem}), and {exc}; update the "
                            "Salesforce CLI (`sf update`: `sf org auth show-access-token` exists from 2.136.8) "
                            f"or log in again (`sf org login web --alias {self.alias}`)") from None
        again = token_problem(shown.get("accessToken"))
        if again is not None:
            raise CliFailed(f"`sf org auth show-access-token --target-org {self.alias}` printed no usable token "
                            f"({again}); log in again: `sf org login web --alias {self.alias}`")
        return self._keep(shown["accessToken"]), url

    def _keep(self, token: str) -> str:
        self.secrets.add(token)
        return token

    def _result(self, args: list[str]) -> dict[str, Any]:
        exe = shutil.which("sf")
        shown = "sf " + " ".join(args[:-1])
        if exe is None:
            raise CliFailed("--target-org needs the Salesforce CLI (`sf`) on PATH; install it or use another "
                            "login option")
        try:
            proc = self.runner([exe, *args], capture_output=True, text=True, timeout=_TIMEOUT)
        except subprocess.TimeoutExpired:
            raise CliFailed(f"`{shown}` did not answer within {_TIMEOUT} s") from None
        except OSError as exc:
            raise CliFailed(f"`{shown}` could not be run ({type(exc).__name__})") from None
        try:
            doc = json.loads(proc.stdout or "{}")
        except json.JSONDecodeError:
            doc = {}
        doc = doc if isinstance(doc, dict) else {}
        result = doc.get("result")
        if proc.returncode != 0 or not isinstance(result, dict):
            why = doc.get("message") or ((proc.stderr or "").strip().splitlines() or ["it printed no result"])[-1]
            raise CliFailed(f"`{shown}` failed: {self.secrets.redact(str(why))[:300]}")
        return result

