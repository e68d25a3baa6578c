"""A lead's support page as support staff read it, in a real Chromium against a real server:
one sign convention, the lead's own downloads, its current amounts and request ids, the
as-of picker, and a page that fits a 400 px screen. Screenshots land in test-artifacts/."""

from __future__ import annotations

import csv
import io
import re
import time
from collections import defaultdict
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from tests.browser import page_width_at, screenshot
from tests.controls import SITE_TOKEN
from tests.support.pages import DEADLINE, admin_cookie, disputed_lead, log_in, new_click

pytestmark = pytest.mark.slow


def open_lead(chromium, server, lead_id: str, query: str = "") -> None:
    chromium.get(f"{server.base_url}/support/leads/{lead_id}{query}")


def amount(text: str) -> Decimal:
    return Decimal(text.replace("−", "-").replace("+", ""))


def test_the_ledger_moved_summary_and_each_entry_read_with_the_same_sign(chromium, server):
    _, lead_id = disputed_lead(server)
    log_in(chromium, server)
    open_lead(chromium, server, lead_id)
    for summary in chromium.find_elements(By.CSS_SELECTOR, "details.entries summary"):
        summary.click()

    for step in chromium.find_elements(By.CSS_SELECTOR, "#timeline > li"):
        summed: dict[str, Decimal] = defaultdict(Decimal)
        for row in step.find_elements(By.CSS_SELECTOR, "details.entries tbody tr"):
            account, bucket, shown = (
                cell.text for cell in row.find_elements(By.TAG_NAME, "td")[:3]
            )
            summed[f"{account} {bucket}"] += amount(shown.split()[0])
        moved = {}
        for item in step.find_elements(By.CSS_SELECTOR, ".effect .moved"):
            label, delta = (
                item.find_element(By.CSS_SELECTOR, ".mono").text,
                item.find_element(By.CSS_SELECTOR, ".delta"),
            )
            moved[label] = amount(delta.text.split()[0])
        assert moved == {label: total for label, total in summed.items() if total}

    created = chromium.find_element(By.CSS_SELECTOR, "#timeline > li").text
    assert "webmaster:wm-1 pending +10.00 USD" in created
    assert "the holder's balance grew" in chromium.find_element(By.ID, "signs").text
    screenshot(chromium, "support-lead-signs")


def test_a_leads_downloads_hold_that_lead_only_with_the_holders_sign_beside_the_stored_one(
    chromium, server
):
    _, lead_id = disputed_lead(server)
    _, other_lead = disputed_lead(server, exto="order-2001")  # the same advertiser's
    log_in(chromium, server)
    open_lead(chromium, server, lead_id)

    history_link = chromium.find_element(By.ID, "lead-history-csv")
    entries_link = chromium.find_element(By.ID, "lead-entries-csv")
    assert "This lead" in history_link.text and "This lead" in entries_link.text
    with server.client(cookies=admin_cookie(server)) as http:
        history = list(
            csv.DictReader(io.StringIO(http.get(history_link.get_attribute("href")).text))
        )
        entries = list(
            csv.DictReader(io.StringIO(http.get(entries_link.get_attribute("href")).text))
        )

    assert len(history) == 5 and {row["lead_id"] for row in history} == {lead_id}
    assert entries and {row["lead_id"] for row in entries} == {lead_id} != {other_lead}
    earned = next(row for row in entries if row["account"] == "webmaster:wm-1")
    assert (earned["amount"], earned["holder_amount"]) == ("-10.00", "10.00")


def test_the_lead_header_shows_the_current_amounts_and_each_postback_its_request_id(
    chromium, server
):
    _, lead_id = disputed_lead(server)
    with server.client() as http:
        sent = http.get(
            "/api/site/status.json",
            params={"token": SITE_TOKEN, "click": "no-such-click", "status": "approve"},
        )
    log_in(chromium, server)
    open_lead(chromium, server, lead_id)

    current = chromium.find_element(By.ID, "current").text
    assert "dep" in current and "55.00 USD" in current and "40.00 USD" in current
    assert chromium.find_element(By.CSS_SELECTOR, ".lead-head .badge.big").text == "cancel"
    assert (
        "holds nothing in the ledger" in chromium.find_element(By.CSS_SELECTOR, ".lead-head").text
    )
    calls = chromium.find_elements(By.CSS_SELECTOR, "#timeline .request-id")
    assert len(calls) == 5 and all(call.text.startswith("request id ") for call in calls)
    screenshot(chromium, "support-lead-header")

    chromium.get(f"{server.base_url}/support/postbacks?click=no-such-click")
    row = chromium.find_element(By.CSS_SELECTOR, "#postback-log tbody tr")
    assert f"request id {sent.headers['x-request-id']}" in row.text
    event = row.find_element(By.TAG_NAME, "abbr")
    assert event.text.startswith("event #") and "event log" in event.get_attribute("title")


def test_as_the_ledger_stood_at_offers_a_picker_relative_choices_and_clear_messages(
    chromium, server
):
    _, lead_id = disputed_lead(server)
    log_in(chromium, server)
    open_lead(chromium, server, lead_id)
    picker = chromium.find_element(By.ID, "as-of")
    # Not the browser's locale picker (12-hour "mm/dd/yyyy, --:--:-- --" here): text, 24-hour, UTC
    assert picker.get_attribute("type") == "text"
    assert picker.get_attribute("placeholder") == "YYYY-MM-DD HH:MM:SS"
    assert "UTC" in chromium.find_element(By.ID, "as-of-form").text

    chromium.find_element(By.CSS_SELECTOR, "button[name=ago][value='1 hour ago']").click()
    WebDriverWait(chromium, DEADLINE).until(lambda d: "ago=1+hour+ago" in d.current_url)
    assert "did not exist yet" in chromium.find_element(By.ID, "as-of-answer").text
    an_hour_ago = chromium.find_element(By.ID, "as-of").get_attribute("value")
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d", an_hour_ago), an_hour_ago

    chromium.find_element(By.ID, "as-of").clear()
    chromium.find_element(By.ID, "as-of").send_keys("2026-11-03 14:05")
    chromium.find_element(By.ID, "as-of-show").click()
    WebDriverWait(chromium, DEADLINE).until(lambda d: "at=2026-11-03" in d.current_url)
    assert chromium.find_element(By.ID, "as-of").get_attribute("value") == "2026-11-03 14:05:00"
    assert "2026-11-03 14:05:00 UTC" in chromium.find_element(By.ID, "as-of-answer").text
    screenshot(chromium, "support-lead-as-of-24-hour")

    moment = after_the_lead_was_cancelled()
    picker = chromium.find_element(By.ID, "as-of")
    chromium.execute_script("arguments[0].value = arguments[1]", picker, moment)
    chromium.find_element(By.ID, "as-of-show").click()
    WebDriverWait(chromium, DEADLINE).until(lambda d: "at=" in d.current_url)
    answer = chromium.find_element(By.ID, "as-of-answer").text
    assert "cancel" in answer and "webmaster earns 40.00 USD" in answer
    screenshot(chromium, "support-lead-as-of")

    open_lead(chromium, server, lead_id, "?as_of=last+tuesday")
    problem = chromium.find_element(By.ID, "as-of-answer")
    assert "not a date and time" in problem.text and "error" in problem.get_attribute("class")


def after_the_lead_was_cancelled() -> str:
    """A picker value (to the second, UTC, 24-hour) later than everything written so far."""
    written = datetime.now(UTC).replace(microsecond=0)
    while datetime.now(UTC).replace(microsecond=0) <= written:
        time.sleep(0.05)  # wait for the next whole second: the picker has no finer unit
    return datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S")


@pytest.mark.parametrize(
    "page",
    [
        "/support/login", "/support", "/support/postbacks", "lead",
        "/support/accounts/webmaster/wm-1", "/support/accounts/advertiser/adv-1",
    ],
)  # fmt: skip
def test_every_support_page_fits_a_400_px_wide_screen(chromium, server, page):
    _, lead_id = disputed_lead(server)
    with server.client() as http:  # a long exto: ids must wrap, not widen the page
        click = new_click(http)
        http.get(
            "/api/site/click.json", params={"token": SITE_TOKEN, "click": click, "exto": "x" * 64}
        )
    log_in(chromium, server)
    chromium.get(server.base_url + (f"/support/leads/{lead_id}" if page == "lead" else page))

    viewport, width = page_width_at(chromium, 400)

    assert viewport == 400
    assert width <= 400
    name = "lead" if page == "lead" else page.strip("/").replace("/", "-")
    screenshot(chromium, f"support-400px-{name}", width=400)
