"""A reader never sees internal codes in a verdict's words: messages, details, remedies and
warnings name what to do, not another rule's code (a code inside a `code span` is a command the
reader types, like `syncdoctor explain CODE`, and is allowed). A deprecated rule's code named
anywhere is reported as such, never as an unknown code with a "did you mean"."""
from __future__ import annotations

import re
from typing import Iterable

from syncdoctor.reading.findings import Finding, Severity, Span
from syncdoctor.reading.loader import locate

from ..model import Rule, Ruleset
from .base import Check

_CODE_SPAN = re.compile(r"`[^`]*`")


class CodeInText(Check):
    id = "code-in-text"
    title = "Verdict texts name what to do, not internal codes"
    severity = Severity.WARNING

    def check(self, rule: Rule, ruleset: Ruleset) -> Iterable[Finding]:
        c = rule.conclude
        if c is None or rule.status == "deprecated":
            return
        active = {r.conclude.code for r in ruleset.active_rules if r.conclude}
        retired = {r.conclude.code: r for r in ruleset.rules if r.conclude and r.status == "deprecated"}
        def at(*path: object) -> Span:
            return locate(rule.raw, ["then", "conclude", *path], c.span) if rule.raw else c.span
        texts = [(c.message, at("message")), (c.detail, at("detail"))]
        texts += [(t, at("remedies", i)) for i, t in enumerate(c.remedies)]
        texts += [(t, at("warnings", i)) for i, t in enumerate(c.warnings)]
        for text, span in texts:
            words = _CODE_SPAN.sub("", text)
            for code in sorted(set(re.findall(r"\b[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+\b", words))):
                if code in retired:
                    yield self.finding(span, f"{code} is the code of deprecated rule {retired[code].id}, which no longer "
                                             "runs: say what to do instead", "deprecated-code")
                elif code in active:
                    yield self.finding(span, f"{code} is an internal code: a reader does not know it; say in words what "
                                             f"it stands for (a `syncdoctor explain {code}` command in backticks may stay)")


# A remedy whose instruction is the escalation (its first words, as pins read remedies); a
# conditional "if it is still … an hour later, escalate" is advice, not an escalation.
_ESCALATES = re.compile(r"^\s*(?:then\s+)?escalate to salesforce support\b", re.IGNORECASE)


class EscalationKind(Check):
    """What needs a Salesforce Support case is something to act on: a conclusion whose remedy
    escalates to Support has kind `escalate` (exit 1, kept by --only-problems, counted)."""
    id = "escalation-kind"
    title = "A conclusion that escalates to Salesforce Support has kind escalate"

    def check(self, rule: Rule, ruleset: Ruleset) -> Iterable[Finding]:
        c = rule.conclude
        # kinds already acted on (api/verdicts.py ACTIONABLE; the engine does not import the api)
        if c is None or rule.status == "deprecated" or c.kind in ("cause", "escalate", "remedy"):
            return
        if any(_ESCALATES.match(r) for r in c.remedies):
            span = locate(rule.raw, ["then", "conclude", "kind"], c.span) if rule.raw else c.span
            yield self.finding(span, f"{c.code} tells the reader to escalate to Salesforce Support but is kind {c.kind!r}, "
                                     "which exits 0 and is dropped by --only-problems: make it `kind: escalate` "
                                     "(and bump `version`)")
