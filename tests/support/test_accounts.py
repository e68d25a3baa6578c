"""The account page through HTTP: balances as the holder reads them, the chart, paged entries."""

from __future__ import annotations

from tests.controls import ADMIN, change, create, new_click
from tests.support.test_page import logged_in


def approved_lead(demo, services) -> str:
    click = new_click(demo)
    lead_id = create(demo, click=click).json()["id"]
    change(demo, click=click, status="hold")
    change(demo, click=click, status="approve", goal="dep")
    services.runner.catch_up()
    return lead_id


def test_a_webmasters_account_page_shows_what_it_earned_with_a_plus(demo, services):
    approved_lead(demo, services)
    logged_in(demo)

    page = demo.get("/support/accounts/webmaster/wm-1")

    assert page.status_code == 200, page.text
    assert "40.00" in page.text
    assert "−40.00" not in page.text.split('id="balances"')[1].split("</table>")[0]
    assert page.text.count('class="series series-') == 3


def test_an_unknown_account_is_a_page_saying_so(demo, services):
    logged_in(demo)

    page = demo.get("/support/accounts/webmaster/nobody")

    assert page.status_code == 404
    assert "No account webmaster nobody" in page.text


def test_the_account_entries_come_newest_first_a_page_at_a_time(demo, services, monkeypatch):
    approved_lead(demo, services)
    logged_in(demo)
    monkeypatch.setattr("app.support.accounts.PAGE", 2)

    first = demo.get("/support/accounts/webmaster/wm-1")
    older = first.text.split('id="older-entries" href="')[1].split('"')[0]
    second = demo.get(older)

    assert first.text.count("<tr><td") == 2 + 1  # two entries and the balances row
    assert "Older entries" in second.text and "Newest entries" in second.text


def test_the_lead_downloads_are_that_leads_only(demo, services):
    lead_id = approved_lead(demo, services)
    approved_lead(demo, services)  # another lead of the same advertiser and webmaster
    logged_in(demo)

    history = demo.get(f"/support/leads/{lead_id}/history.csv").text.splitlines()
    entries = demo.get(f"/support/leads/{lead_id}/entries.csv").text.splitlines()

    assert len(history) == 1 + 3 and all(lead_id in line for line in history[1:])
    assert entries[0].endswith(",holder_amount")
    booked = demo.get(f"/api/leads/{lead_id}/commission", headers=ADMIN).json()["entries"]
    assert len(entries) == 1 + len(booked) and all(lead_id in line for line in entries[1:])


def test_an_advertisers_account_page_shows_what_it_owes_with_a_plus(demo, services):
    approved_lead(demo, services)
    logged_in(demo)

    page = demo.get("/support/accounts/advertiser/adv-1")

    balances = page.text.split('id="balances"')[1].split("</table>")[0]
    assert page.status_code == 200 and "55.00" in balances and "−" not in balances
    assert "What this advertiser owes the network" in page.text
