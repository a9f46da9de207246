from __future__ import annotations

from typing import Iterable

from ..findings import Finding
from ..model import Rule, Ruleset
from ..schemas import suggest
from .base import Check


class UnresolvedCitation(Check):
    id = "unresolved-citation"
    title = "A citation names an article or section that is not in the registry"

    def check(self, rule: Rule, ruleset: Ruleset) -> Iterable[Finding]:
        for c in rule.citations:
            article = ruleset.articles.get(c.article)
            if article is None:
                yield self.finding(c.span, f"article {c.article} is not in the article registry{suggest(c.article, ruleset.articles)}")
            elif article.section(c.section) is None:
                ids = [s.id for s in article.sections]
                yield self.finding(c.span, f"article {c.article} has no section {c.section!r}{suggest(c.section, ids)}; "
                                           f"its sections are: {', '.join(ids)}")
