"""An account's support page in a real Chromium: reached from the lead page, its balances as
the holder reads them, a chart drawn on the server, its entries. Screenshots in test-artifacts/."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from app.support.chart import balance_chart, series_per_currency
from tests.browser import page_width_at, screenshot
from tests.controls import SITE_TOKEN
from tests.support.pages import DEADLINE, disputed_lead, log_in, new_click

pytestmark = pytest.mark.slow
STYLESHEET = Path(__file__).resolve().parents[2] / "app" / "support" / "static" / "support.css"


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


def test_the_balance_chart_is_drawn_in_the_buckets_colours_and_fits_a_narrow_screen(
    chromium, tmp_path
):
    """A month of a webmaster's balances (made up, the live ledger only has seconds of it)."""
    start = datetime(2026, 10, 1, tzinfo=UTC)
    rows = [
        {"at": start + timedelta(days=day), "bucket": bucket, "currency": "USD",
         "amount": Decimal(amount)}
        for day, bucket, amount in [
            (0, "pending", "40.00"), (3, "pending", "120.00"), (5, "hold", "30.00"),
            (9, "pending", "60.00"), (12, "approved", "80.00"), (15, "hold", "0.00"),
            (21, "approved", "130.00"), (25, "pending", "-10.00"), (30, "approved", "125.50"),
        ]
    ]  # fmt: skip
    [series] = series_per_currency("day", rows)
    page = tmp_path / "chart.html"
    page.write_text(
        f'<link rel="stylesheet" href="{STYLESHEET.as_uri()}"><main><section class="card">'
        f"{balance_chart(series)}</section></main>"
    )
    chromium.get(page.as_uri())

    strokes = chromium.execute_script(
        "return [...document.querySelectorAll('polyline.series')]"
        ".map(line => getComputedStyle(line).stroke)"
    )
    assert len(set(strokes)) == 3 and "none" not in strokes
    screenshot(chromium, "support-chart-sample")
    assert page_width_at(chromium, 400) == [400, 400]
    screenshot(chromium, "support-400px-chart-sample", width=400)
