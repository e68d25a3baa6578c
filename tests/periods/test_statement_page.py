"""The printable statement support sends a webmaster who disputes a payment."""

from __future__ import annotations

from tests.controls import ADMIN_TOKEN
from tests.ledger_controls import changed
from tests.periods.period_controls import closed, lead_approved, moment_after_now


def test_the_support_page_prints_a_webmasters_statement_with_its_clawback_and_cause(demo, services):
    lead_approved(demo, "s-1")
    closed(demo, moment_after_now())
    changed(demo, exto="s-1", status="cancel")
    closed(demo, moment_after_now())
    services.runner.catch_up()
    demo.cookies.set("ledger_admin", ADMIN_TOKEN)

    page = demo.get("/support/statements/2/wm-1")

    assert page.status_code == 200, page.text
    assert 'Webmaster <span class="mono">wm-1</span>' in page.text
    assert "clawed back" in page.text and "-10.00" in page.text
    assert "postback:" in page.text  # the cause of the change carried in from period 1
    assert "window.print()" in page.text


def test_a_statement_of_a_period_not_closed_is_not_found(demo, services):
    demo.cookies.set("ledger_admin", ADMIN_TOKEN)

    page = demo.get("/support/statements/3/wm-1")

    assert page.status_code == 404
    assert "is not closed" in page.text


def test_the_statement_page_needs_the_login(demo, services):
    page = demo.get("/support/statements/1/wm-1", follow_redirects=False)

    assert page.status_code in (302, 303)
