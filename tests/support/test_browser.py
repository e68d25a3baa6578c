"""The support page in a real headless Chromium against a real server: log in, find a lead,
read its timeline, filter the postback log. Screenshots land in test-artifacts/."""

from __future__ import annotations

import time
from urllib.parse import parse_qs, urlparse

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select, WebDriverWait

from tests.browser import chromium_session, screenshot
from tests.controls import SITE_TOKEN
from tests.servers import running_server

pytestmark = pytest.mark.slow


@pytest.fixture
def chromium(tmp_path):
    yield from chromium_session(tmp_path)


@pytest.fixture
def server(database, tmp_path):
    with running_server(database, tmp_path / "server") as live:
        yield live


def disputed_lead(server) -> tuple[str, str]:
    """A lead with a life worth reading: created, held, approved on a better goal, a refused
    cancel with a wrong token, then a real cancel. Returns (click, lead id)."""
    with server.client() as http:
        landing = http.get("/go/cc-traffic", params={"sub1": "spring"}, follow_redirects=False)
        click = parse_qs(urlparse(landing.headers["location"]).query)["click"][0]
        send = lambda path, **params: http.get(path, params={"token": SITE_TOKEN, **params})  # noqa: E731
        lead_id = send("/api/site/click.json", click=click, exto="order-1042").json()["id"]
        send("/api/site/status.json", click=click, status="hold")
        send("/api/site/status.json", click=click, status="approved", goal="deposit")
        refused = {"token": "7-wrong", "click": click, "status": "cancel"}
        http.get("/api/site/status.json", params=refused)
        last = send("/api/site/status.json", click=click, status="cancelled").json()["position"]
        http.get(f"/api/leads/{lead_id}", params={"after": last}, headers=server.admin_headers)
        wait_for_log(http, server, click, 5)
    return click, lead_id


def wait_for_log(http, server, click: str, count: int) -> None:
    deadline = time.monotonic() + 60  # generous: the machine may be loaded
    while time.monotonic() < deadline:
        items = http.get("/api/postbacks", params={"click": click}, headers=server.admin_headers)
        if len(items.json()["items"]) >= count:
            return
        time.sleep(0.05)
    raise AssertionError("the postback log did not catch up")


def log_in(driver, server) -> None:
    driver.get(f"{server.base_url}/support")
    assert "/support/login" in driver.current_url
    driver.find_element(By.ID, "token").send_keys(server.admin_token)
    driver.find_element(By.ID, "login").click()
    WebDriverWait(driver, 10).until(lambda d: "/support/login" not in d.current_url)


def test_support_staff_find_a_lead_by_click_and_read_its_timeline(chromium, server):
    click, lead_id = disputed_lead(server)
    log_in(chromium, server)

    chromium.find_element(By.ID, "q").send_keys(click)
    chromium.find_element(By.ID, "search").click()

    WebDriverWait(chromium, 10).until(lambda d: "/support/leads/" in d.current_url)
    assert chromium.current_url.endswith(f"/support/leads/{lead_id}")
    steps = chromium.find_elements(By.CSS_SELECTOR, "#timeline > li")
    assert len(steps) == 5
    text = chromium.find_element(By.ID, "timeline").text
    assert "Goal reg → dep" in text
    assert "invalid_token" in text
    assert "+30.00" in text  # the commission went from 10.00 to 40.00 USD
    screenshot(chromium, "support-lead-timeline")


def test_support_staff_filter_the_postback_log_to_rejected_postbacks(chromium, server):
    disputed_lead(server)
    log_in(chromium, server)
    chromium.get(f"{server.base_url}/support/postbacks")
    assert len(chromium.find_elements(By.CSS_SELECTOR, "#postback-log tbody tr")) == 5
    screenshot(chromium, "support-postback-log")

    Select(chromium.find_element(By.NAME, "outcome")).select_by_visible_text("rejected")
    chromium.find_element(By.ID, "apply-filters").click()
    WebDriverWait(chromium, 10).until(lambda d: "outcome=rejected" in d.current_url)

    rows = chromium.find_elements(By.CSS_SELECTOR, "#postback-log tbody tr")
    assert len(rows) == 1
    assert "invalid_token" in rows[0].text
    screenshot(chromium, "support-postback-log-rejected")


def test_support_staff_see_a_recalculation_in_the_timeline_of_a_disputed_lead(chromium, server):
    from datetime import UTC, datetime

    from tests.audit.test_dispute_scenario import fixed_dep_rate

    fix_from = datetime.now(UTC)
    click, lead_id = disputed_lead(server)
    with server.client() as http:
        catalog = http.post(
            "/api/admin/catalog", content=fixed_dep_rate(fix_from), headers=server.admin_headers
        )
        assert catalog.json()["rebuild_needed"], catalog.text
        rebuild = {"projections": "all", "dry_run": False}
        started = http.post("/api/recalculations", json=rebuild, headers=server.admin_headers)
        assert started.status_code == 200, started.text
    log_in(chromium, server)
    chromium.get(f"{server.base_url}/support/leads/{lead_id}")

    recalculation = chromium.find_element(By.CSS_SELECTOR, "#timeline > li.kind-recalculation")
    assert "40.00 USD" in recalculation.text and "45.00 USD" in recalculation.text
    assert "+5.00" in recalculation.text
    screenshot(chromium, "support-lead-recalculated")
    recalculation.screenshot(
        str(
            screenshot(chromium, "support-lead-recalculated").parent
            / "support-recalculation-step.png"
        )
    )
