"""The HTML report in a real headless browser (Debian's chromium and chromedriver, installed by
`make test`): it renders, fetches nothing, and expanding a proof tree shows the input facts."""
from __future__ import annotations

import json
import shutil

import pytest
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By

from syncdoctor.cli.main import app
from tests.conftest import EXAMPLE, runner

pytestmark = pytest.mark.slow  # a real headless browser

CHROMIUM, CHROMEDRIVER = shutil.which("chromium") or "/usr/bin/chromium", shutil.which("chromedriver") or "/usr/bin/chromedriver"


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync", "--disable-quic",
                 f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}"):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"performance": "ALL"})
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    yield driver
    driver.quit()


def test_report_renders_and_proof_trees_expand_to_facts(browser, tmp_path):
    report = tmp_path / "report.html"
    r = runner.invoke(app, ["diagnose", "--facts", str(EXAMPLE), "--all", "--format", "html", "--out", str(report)])
    assert r.exit_code == 1, r.stderr
    browser.get(report.as_uri())
    assert browser.title == "syncdoctor diagnosis"
    rows = browser.find_elements(By.CSS_SELECTOR, "#summary tr")
    assert len(rows) > 2 and "MANAGED_NOT_ASSIGNED" in browser.find_element(By.ID, "summary").text
    verdict = browser.find_element(By.CSS_SELECTOR, "div.verdict[data-code='MANAGED_NOT_ASSIGNED']")
    proof = verdict.find_element(By.CSS_SELECTOR, "details.proof")
    fact = proof.find_element(By.CSS_SELECTOR, ":scope > ul .fact")
    assert not fact.is_displayed()  # collapsed
    proof.find_element(By.TAG_NAME, "summary").click()
    assert fact.is_displayed()
    assert "snapshot" in fact.text and "salesforce.users[" in verdict.text
    # Nested derived facts expand down to their own input facts.
    nested = browser.find_elements(By.CSS_SELECTOR, "details.proof details.proof")
    assert nested
    inner, outer = nested[0], nested[0].find_element(By.XPATH, "ancestor::details[1]")
    if not outer.get_attribute("open"):
        outer.find_element(By.TAG_NAME, "summary").click()
    inner_fact = inner.find_element(By.CSS_SELECTOR, ".fact")
    assert not inner_fact.is_displayed()
    inner.find_element(By.TAG_NAME, "summary").click()
    assert inner_fact.is_displayed()
    # Nothing was fetched from any network (chrome:// is the browser's own start page).
    requested = [json.loads(e["message"])["message"]["params"]["request"]["url"] for e in browser.get_log("performance")
                 if '"Network.requestWillBeSent"' in e["message"]]
    assert report.as_uri() in requested
    assert not [u for u in requested if u.startswith(("http:", "https:", "ws:", "wss:", "ftp:"))]
