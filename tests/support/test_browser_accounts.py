"""An account's support page in a real Chromium: reached from the lead page, its balances as
the holder reads them, a chart drawn on the server, its entries. Screenshots in test-artifacts/."""

from __future__ import annotations

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from tests.browser import screenshot
from tests.controls import SITE_TOKEN
from tests.support.pages import DEADLINE, disputed_lead, log_in, new_click

pytestmark = pytest.mark.slow


def test_support_staff_open_a_webmasters_account_from_a_lead(chromium, server):
    _, lead_id = disputed_lead(server)
    with server.client() as http:  # a second lead, still approved
        click = new_click(http)
        http.get("/api/site/click.json", params={"token": SITE_TOKEN, "click": click})
        http.get(
            "/api/site/status.json",
            params={"token": SITE_TOKEN, "click": click, "status": "approve"},
        )
    log_in(chromium, server)
    chromium.get(f"{server.base_url}/support/leads/{lead_id}")

    chromium.find_element(By.ID, "webmaster-account").click()
    WebDriverWait(chromium, DEADLINE).until(lambda d: "/support/accounts/" in d.current_url)

    assert chromium.current_url.endswith("/support/accounts/webmaster/wm-1")
    balances = chromium.find_element(By.CSS_SELECTOR, "#balances tbody tr").text
    assert balances.split() == ["USD", "0.00", "0.00", "10.00", "10.00"]
    chart = chromium.find_element(By.CSS_SELECTOR, "svg.chart[data-currency=USD]")
    assert len(chart.find_elements(By.CSS_SELECTOR, "polyline.series")) == 3
    rows = chromium.find_elements(By.CSS_SELECTOR, "#account-entries tbody tr")
    assert rows and "+10.00 USD" in rows[0].text
    screenshot(chromium, "support-account-webmaster")

    rows[-1].find_element(By.CSS_SELECTOR, "a").click()
    WebDriverWait(chromium, DEADLINE).until(lambda d: "/support/leads/" in d.current_url)
