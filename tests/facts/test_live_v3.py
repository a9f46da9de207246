"""Live orgs, v3 (issue #24), logins: the Salesforce CLI of both generations and SOAP login()
retiring; on the local TLS server, through the real collector, with classes proved over
generated inputs."""
from __future__ import annotations

import string

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import cli
from syncdoctor.facts.auth import soap_login_unavailable
from syncdoctor.facts.sf_cli import token_problem
from tests.facts.fake_salesforce import N_USERS, PASSWORD, SOAP_LOGIN_FAULTS, TOKEN
from tests.facts.test_faults import REDACTED, fake_sf_cli




def collect_target_org(fake_org, tmp_path, *extra: str):
    out = tmp_path / "org.yaml"
    r = cli("facts", "collect", "--out", str(out), "--target-org", "fake", "--ae-api-url", fake_org.base_url,
            "--backoff", "0.01", *extra)
    return r, (yaml.safe_load(out.read_text()) if out.exists() else None)


# -- --target-org with both generations of the Salesforce CLI -----------------------------------

def test_a_current_cli_collects_with_the_token_of_show_access_token(fake_org, tmp_path, monkeypatch):
    log = fake_sf_cli(fake_org, tmp_path, monkeypatch, "current")
    r, data = collect_target_org(fake_org, tmp_path)
    assert r.exit_code == 0, r.stderr
    assert "unknown_reasons" not in data and len(data["salesforce"]["users"]) == N_USERS + 1
    assert data["account_engagement"]["collected_business_units"]
    assert log.read_text().splitlines() == ["org display --target-org fake --json",
                                            "org auth show-access-token --target-org fake --json"]
    assert fake_org.token not in r.stdout + r.stderr + (tmp_path / "org.yaml").read_text()


def test_an_old_cli_collects_with_the_token_of_org_display_and_never_runs_the_new_command(fake_org, tmp_path,
                                                                                          monkeypatch):
    log = fake_sf_cli(fake_org, tmp_path, monkeypatch, "old")
    r, data = collect_target_org(fake_org, tmp_path)
    assert r.exit_code == 0, r.stderr
    assert "unknown_reasons" not in data and len(data["salesforce"]["users"]) == N_USERS + 1
    assert log.read_text().splitlines() == ["org display --target-org fake --json"]


@pytest.mark.parametrize("generation,asked", [("current", "org auth show-access-token --target-org fake --json"),
                                              ("old", "org display --target-org fake --json")])
def test_an_expired_session_asks_the_cli_again_in_either_generation(fake_org, tmp_path, monkeypatch, generation, asked):
    log = fake_sf_cli(fake_org, tmp_path, monkeypatch, generation)
    fake_org.fault("expire", where="FROM+UserRole")
    r, data = collect_target_org(fake_org, tmp_path)
    assert r.exit_code == 0, r.stderr
    assert len(data["salesforce"]["roles"]) == 8 and "unknown_reasons" not in data
    assert log.read_text().splitlines().count(asked) == 2


def test_a_cli_that_redacts_the_token_without_the_new_command_is_exit_3_with_what_to_do(fake_org, tmp_path,
                                                                                       monkeypatch):
    fake_sf_cli(fake_org, tmp_path, monkeypatch, "between")
    r, data = collect_target_org(fake_org, tmp_path)
    assert r.exit_code == 3 and data is None
    assert "redacted" in r.stderr and "sf update" in r.stderr and "sf org login web --alias fake" in r.stderr
    assert "Traceback" not in r.stderr
    assert fake_org.requests == []  # the placeholder was never sent as a token


def test_a_cli_whose_login_died_says_so_instead_of_retrying_the_same_token(fake_org, tmp_path, monkeypatch):
    fake_sf_cli(fake_org, tmp_path, monkeypatch, "current")
    fake_org.token_file = None  # the org moves on, the CLI keeps handing out the old token
    fake_org.fault("expire", where="FROM+UserRole")
    r, _ = collect_target_org(fake_org, tmp_path)
    assert r.exit_code == 3
    assert "gave the same access token again" in r.stderr and "sf org login web --alias fake" in r.stderr


def _cased(text: str, flips: list[bool]) -> str:
    return "".join(c.swapcase() if flip else c for c, flip in zip(text, flips + [False] * len(text)))



# The placeholders a CLI, a wrapper or a log scrubber may put in place of a token: "redact" in
# any case anywhere (the CLI's own text), another placeholder word alone or in brackets, a mask,
# or anything with a character no bearer token has (spaces, brackets, quotes, bullets).
_filler = st.text(alphabet=string.printable, max_size=40)
_redact = st.builds(lambda flips: _cased("redacted", flips), st.lists(st.booleans(), max_size=8))
_word = st.builds(lambda left, word, right: left + word + right, st.sampled_from(["", "[", "<", "(", "*", "**", "__"]),
                  st.sampled_from(["REDACTED", "hidden", "MASKED", "removed", "secret", "null", "None", "undefined"]),
                  st.sampled_from(["", "]", ">", ")", "*", "**", "__"]))
placeholders = st.one_of(
    st.builds(lambda a, w, b: a + w + b, _filler, _redact, _filler),
    _word,
    st.text(alphabet="*•#xX.", min_size=1, max_size=200),
    st.builds(lambda a, c, b: a + c + b, st.text(string.ascii_letters + string.digits + "!.", max_size=80),
              st.sampled_from(list(" []<>{}\"'*•…,;:()|\\\t")), st.text(max_size=80)),
    st.just(REDACTED), st.just(""), st.just("   "),
)
_b64 = string.ascii_letters + string.digits
tokens = st.one_of(
    st.builds(lambda org, body: f"00D{org}!{body}", st.text(_b64, min_size=12, max_size=15),
              st.text(_b64 + "._", min_size=60, max_size=120)),                          # a Salesforce session id
    st.builds(lambda a, b, c: f"eyJ{a}.{b}.{c}", st.text(_b64 + "-_", min_size=10, max_size=60),
              st.text(_b64 + "-_", min_size=10, max_size=200), st.text(_b64 + "-_", min_size=10, max_size=80)),  # JWT
)


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(placeholders)
def test_any_redacted_shaped_value_is_not_taken_for_a_token(value):
    assert token_problem(value) is not None


@settings(max_examples=300)
@given(tokens)
def test_token_shaped_values_are_taken(value):
    assert token_problem(value) is None


# -- password login: SOAP login() is retiring ---------------------------------------------------

@pytest.mark.parametrize("state", ["disabled", "permission"])
def test_a_password_login_into_an_org_with_login_disabled_is_exit_3_naming_the_retirement(fake_org, tmp_path, state):
    fake_org.soap_login = state
    out = tmp_path / "org.yaml"
    out.write_text("previous\n")
    r = cli("facts", "collect", "--out", str(out), "--username", "admin@fake.example", "--password", PASSWORD,
            "--security-token", TOKEN, "--login-url", fake_org.base_url, "--backoff", "0.01")
    assert r.exit_code == 3, r.stderr
    assert SOAP_LOGIN_FAULTS[state][1] in r.stderr  # the server's own reason
    for words in ("SOAP API login()", "Winter '26", "API version 65.0", "Summer '27", "--target-org",
                  "JWT bearer", "--consumer-key"):
        assert words in r.stderr, words
    assert PASSWORD not in r.stderr and out.read_text() == "previous\n"
    assert sum("/services/Soap/" in p for _, p in fake_org.requests) == 1  # never retried
    assert not any("/services/data/" in p for _, p in fake_org.requests)


def test_a_wrong_password_is_not_mistaken_for_the_retirement(fake_org, tmp_path):
    r = cli("facts", "collect", "--out", str(tmp_path / "o.yaml"), "--username", "admin@fake.example",
            "--password", "wrong-pass-42", "--security-token", TOKEN, "--login-url", fake_org.base_url)
    assert r.exit_code == 3 and "INVALID_LOGIN" in r.stderr and "Summer '27" not in r.stderr


_off = st.sampled_from(["SOAP API login() is disabled by default in this org.", "login() is disabled",
                        "SOAP API login() isn't enabled for this org", "login() is not available in API version 65.0",
                        "The login() call is not supported", "SOAP API login() has been retired",
                        "Enable SOAP API login() in Setup", "user lacks the Use Any API Auth permission",
                        "USE ANY API AUTH required"])


@settings(max_examples=300)
@given(st.text(max_size=60), _off, st.text(max_size=60), st.lists(st.booleans(), max_size=80))
def test_any_login_off_fault_is_recognised_by_its_text(before, said, after, flips):
    assert soap_login_unavailable(before + " " + _cased(said, flips) + " " + after)


@settings(max_examples=300)
@given(st.text(max_size=200).filter(lambda t: "login" not in t.lower() and "any api auth" not in " ".join(t.lower().split())))
def test_a_fault_that_does_not_name_login_is_never_the_retirement(text):
    assert not soap_login_unavailable(text)
    assert not soap_login_unavailable("INVALID_LOGIN: Invalid username, password, security token; or user locked out.")
