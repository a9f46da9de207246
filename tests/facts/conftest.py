"""A local TLS server that speaks Salesforce and Account Engagement (tests/facts/fake_salesforce.py),
trusted through REQUESTS_CA_BUNDLE exactly as an engineer behind a TLS-inspecting proxy would."""
from __future__ import annotations

import logging
import re
import ssl

import pytest
import trustme
from pytest_httpserver import HTTPServer

from tests.facts.fake_salesforce import FakeOrg

# Real Salesforce and Account Engagement hosts the certificate also names, so that a test can
# route them to the local server (`real_hosts`) and check which host the collector chose.
REAL_HOSTS = ("pi.pardot.com", "pi.demo.pardot.com", "login.salesforce.com", "test.salesforce.com")

# The server thread logs each request through werkzeug; keep that out of the captured stderr.
logging.getLogger("werkzeug").setLevel(logging.ERROR)


@pytest.fixture(scope="session")
def ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture(scope="session")
def tls_server(ca):
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1", "localhost", *REAL_HOSTS).configure_cert(context)
    server = HTTPServer(host="127.0.0.1", port=0, ssl_context=context, threaded=True)
    server.start()
    yield server
    server.clear()
    if server.is_running():
        server.stop()


@pytest.fixture
def fake_org(tls_server, ca, tmp_path, monkeypatch) -> FakeOrg:
    base = f"https://127.0.0.1:{tls_server.port}"
    org = FakeOrg(base)
    tls_server.clear()
    tls_server.expect_request(re.compile(".*")).respond_with_handler(org)
    bundle = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(bundle))
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(bundle))
    for name in ("SYNCDOCTOR_PASSWORD", "SYNCDOCTOR_SECURITY_TOKEN", "SYNCDOCTOR_SESSION_ID", "SYNCDOCTOR_USERNAME"):
        monkeypatch.delenv(name, raising=False)
    return org


@pytest.fixture
def real_hosts(tls_server, monkeypatch):
    """Connections to the real Salesforce and AE hosts go to the local server instead (DNS-level
    only: TLS still checks the host name against the certificate)."""
    import urllib3.util.connection as connection
    original = connection.create_connection

    def routed(address, *args, **kwargs):
        host, port = address
        if host in REAL_HOSTS:
            return original(("127.0.0.1", tls_server.port), *args, **kwargs)
        return original(address, *args, **kwargs)
    monkeypatch.setattr(connection, "create_connection", routed)
