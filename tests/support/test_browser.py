"""The support page in a real headless Chromium against a real server: log in, find a lead,
read its timeline, filter the postback log. Screenshots land in test-artifacts/."""

from __future__ import annotations

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select, WebDriverWait

from tests.browser import screenshot
from tests.controls import SITE_TOKEN
from tests.support.pages import DEADLINE, disputed_lead, log_in, wait_for_log

pytestmark = pytest.mark.slow


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


def test_re_submit_is_offered_only_where_a_catalog_change_can_help_and_keeps_the_filter(
    chromium, server
):
    click, _ = disputed_lead(server)  # holds an invalid_token refusal
    with server.client() as http:
        unfixable = {"token": SITE_TOKEN, "click": click, "status": "nonsense-word"}
        http.get("/api/site/status.json", params=unfixable)
        wait_for_log(http, server, click, 6)
    log_in(chromium, server)
    chromium.get(f"{server.base_url}/support/postbacks?outcome=rejected&click={click}")

    rows = {
        row.find_element(By.CSS_SELECTOR, ".code-error").text: row
        for row in chromium.find_elements(By.CSS_SELECTOR, "#postback-log tbody tr")
    }
    assert set(rows) == {"invalid_token", "unknown_status"}
    assert not rows["unknown_status"].find_elements(By.CSS_SELECTOR, "button.resubmit")
    assert "sender must fix" in rows["unknown_status"].text
    screenshot(chromium, "support-postback-log-resubmit")

    rows["invalid_token"].find_element(By.CSS_SELECTOR, "button.resubmit").click()
    WebDriverWait(chromium, DEADLINE).until(lambda d: "notice=" in d.current_url)

    assert "/support/postbacks?" in chromium.current_url
    assert "outcome=rejected" in chromium.current_url and f"click={click}" in chromium.current_url
    assert "Re-submitted" in chromium.find_element(By.CSS_SELECTOR, ".notice").text
    assert (
        Select(chromium.find_element(By.NAME, "outcome")).first_selected_option.text == "rejected"
    )
