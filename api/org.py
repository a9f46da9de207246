"""A live org, through the API: the login, the collection, the probe, and the secrets kept out of
every output. It loads the collectors (simple-salesforce, requests, cryptography): the CLI imports
it only when a command reads an org. Measured: importing it after the CLI is loaded takes 0.3 to
0.5 s on the project's 2-CPU machine (`python -c "import time, syncdoctor.cli.main;
t = time.perf_counter(); import syncdoctor.api.org; print(time.perf_counter() - t)"`), which every
other command would otherwise pay."""
from __future__ import annotations

from syncdoctor.facts.auth import AuthOptions, CollectError, NotInOrg
from syncdoctor.facts.collect import Collection, CollectRequest, collect
from syncdoctor.facts.http import HttpPolicy, Secrets
from syncdoctor.facts.probe import run_probe

__all__ = ["AuthOptions", "CollectError", "Collection", "CollectRequest", "HttpPolicy", "NotInOrg", "Secrets", "collect",
           "run_probe"]
