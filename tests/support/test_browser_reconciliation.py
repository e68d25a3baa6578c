"""An operator reconciles a statement from the support page in a real Chromium, without curl:
upload it with its mapping, read the report, dry-run, then accept its differing line."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from tests.browser import screenshot
from tests.controls import SITE_TOKEN
from tests.support.pages import DEADLINE, log_in

pytestmark = pytest.mark.slow


def _lead_in_view(server, exto: str) -> str:
    with server.client() as http:
        response = http.get("/api/site/click.json",
                            params={"token": SITE_TOKEN, "flow": "101", "exto": exto})  # fmt: skip
        assert response.status_code == 200, response.text
        lead_id = response.json()["id"]
        deadline = time.monotonic() + DEADLINE
        while time.monotonic() < deadline:
            if http.get(f"/api/leads/{lead_id}", headers=server.admin_headers).is_success:
                return lead_id
            time.sleep(0.2)
    raise AssertionError("the lead never reached the lead view")


def _type(driver, name: str, value: str) -> None:
    field = driver.find_element(By.NAME, name)
    driver.execute_script("arguments[0].value = arguments[1]", field, value)


def test_an_operator_uploads_reads_dry_runs_and_accepts_a_statement(chromium, server, tmp_path):
    _lead_in_view(server, "o-1")
    file = tmp_path / "acme-november.csv"
    file.write_text("Order ID;Status\r\no-1;Done\r\n", encoding="utf-8")
    today = datetime.now(UTC).date()
    log_in(chromium, server)

    chromium.get(f"{server.base_url}/support/reconciliations")
    _type(chromium, "from", (today - timedelta(days=1)).isoformat())
    _type(chromium, "to", (today + timedelta(days=2)).isoformat())
    chromium.find_element(By.NAME, "mapping").send_keys("exto:Order ID,sta:done")
    chromium.find_element(By.NAME, "file").send_keys(str(file))
    chromium.find_element(By.CSS_SELECTOR, "#upload button[type=submit]").click()
    WebDriverWait(chromium, DEADLINE).until(lambda d: "notice=Reconciled" in d.current_url)
    screenshot(chromium, "support-reconciliation-report")

    assert "acme-november.csv" in chromium.page_source
    assert "statement Done (approve), ledger new" in chromium.find_element(By.ID, "lines").text

    chromium.find_element(By.CSS_SELECTOR, "input[name=classes][value=value_differs]").click()
    chromium.find_element(By.CSS_SELECTOR, "button[value=dry_run]").click()
    WebDriverWait(chromium, DEADLINE).until(lambda d: d.find_elements(By.ID, "outcomes"))
    assert "Dry run" in chromium.page_source
    assert "settled" in chromium.find_element(By.ID, "outcomes").text
    screenshot(chromium, "support-reconciliation-dry-run")

    chromium.find_element(By.CSS_SELECTOR, "button[value=accept]").click()
    WebDriverWait(chromium, DEADLINE).until(lambda d: "Accepted." in d.page_source)
    assert "status" in chromium.find_element(By.ID, "outcomes").text
