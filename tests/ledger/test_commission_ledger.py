"""The commission ledger through the API: the worked example of the README, step by step."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from tests.controls import ADMIN
from tests.ledger_controls import (
    balances,
    changed,
    commission,
    created_lead,
    ledger_page,
    posted,
    report,
    sums_per_posting,
)

PENDING_15_10 = [
    ("advertiser:adv-1", "pending", "15.00", False),
    ("network", "pending", "-15.00", False),
    ("network", "pending", "10.00", False),
    ("webmaster:wm-1", "pending", "-10.00", False),
]


def _last_posting(lead: dict) -> list[dict]:
    last = lead["entries"][-1]["posting_id"]
    return [entry for entry in lead["entries"] if entry["posting_id"] == last]


def test_a_new_lead_books_both_sides_in_the_pending_bucket(demo):
    lead_id, position = created_lead(demo, exto="we-1")

    lead = commission(demo, lead_id, after=position)

    assert posted(lead["entries"]) == PENDING_15_10
    assert lead["bucket"] == "pending"
    assert lead["advertiser_payout"] == {"amount": "15.00", "currency": "USD"}
    assert lead["webmaster_commission"] == {"amount": "10.00", "currency": "USD"}
    entry = lead["entries"][0]
    assert entry["event_type"] == "Lead.Created"
    assert entry["position"] == position
    assert entry["postback_id"] and entry["rule_version"] == "offer-1/reg@v1"
    assert entry["recalculation_id"] is None


def test_hold_reverses_the_pending_entries_and_books_them_in_hold(demo):
    lead_id, _ = created_lead(demo, exto="we-2")

    position = changed(demo, exto="we-2", status="hold")

    lead = commission(demo, lead_id, after=position)
    assert posted(_last_posting(lead)) == [
        ("advertiser:adv-1", "pending", "-15.00", True),
        ("network", "pending", "15.00", True),
        ("network", "pending", "-10.00", True),
        ("webmaster:wm-1", "pending", "10.00", True),
        ("advertiser:adv-1", "hold", "15.00", False),
        ("network", "hold", "-15.00", False),
        ("network", "hold", "10.00", False),
        ("webmaster:wm-1", "hold", "-10.00", False),
    ]


def test_a_goal_change_after_approval_reprices_the_approved_entries(demo):
    lead_id, _ = created_lead(demo, exto="we-3")
    changed(demo, exto="we-3", status="approve")

    position = changed(demo, exto="we-3", status="approve", goal="dep")

    lead = commission(demo, lead_id, after=position)
    assert posted(_last_posting(lead)) == [
        ("advertiser:adv-1", "approved", "-15.00", True),
        ("network", "approved", "15.00", True),
        ("network", "approved", "-10.00", True),
        ("webmaster:wm-1", "approved", "10.00", True),
        ("advertiser:adv-1", "approved", "55.00", False),
        ("network", "approved", "-55.00", False),
        ("network", "approved", "40.00", False),
        ("webmaster:wm-1", "approved", "-40.00", False),
    ]
    assert lead["rule_version"] == "offer-1/dep@v1"


def test_cancel_after_approve_reverses_everything_the_lead_held(demo):
    lead_id, _ = created_lead(demo, exto="we-4")
    changed(demo, exto="we-4", status="approve")

    position = changed(demo, exto="we-4", status="cancel")

    lead = commission(demo, lead_id, after=position)
    assert lead["bucket"] is None
    totals: dict[tuple[str, str], Decimal] = {}
    for entry in lead["entries"]:
        key = (entry["account"], entry["bucket"])
        totals[key] = totals.get(key, Decimal(0)) + Decimal(entry["amount"])
    assert set(totals.values()) == {Decimal(0)}


def test_every_posting_sums_to_zero_per_currency(demo):
    lead_id, _ = created_lead(demo, exto="we-5", pay="20.00", cc="EUR")
    position = changed(demo, exto="we-5", status="approve", wm="12.50")

    entries = commission(demo, lead_id, after=position)["entries"]

    assert {entry["currency"] for entry in entries} == {"EUR", "USD"}
    assert set(sums_per_posting(entries).values()) == {Decimal(0)}


def test_balances_show_what_the_webmaster_earned_and_the_advertiser_owes(demo):
    created_lead(demo, exto="b-1")
    changed(demo, exto="b-1", status="hold")
    created_lead(demo, exto="b-2")
    position = changed(demo, exto="b-2", status="approve", goal="dep")

    assert balances(demo, after=position, webmaster="wm-1") == {
        "USD": {"pending": "0.00", "hold": "10.00", "approved": "40.00"}
    }
    assert balances(demo, advertiser="adv-1") == {
        "USD": {"pending": "0.00", "hold": "15.00", "approved": "55.00"}
    }
    assert balances(demo, network="1") == {
        "USD": {"pending": "0.00", "hold": "5.00", "approved": "15.00"}
    }


def test_balances_need_exactly_one_account(demo):
    response = demo.get(
        "/api/balances",
        params={"webmaster": "wm-1", "network": "1"},
        headers=ADMIN,
    )

    assert response.status_code == 400


def test_the_ledger_lists_an_accounts_entries_page_by_page(demo):
    for n in range(3):
        created_lead(demo, exto=f"p-{n}")
    position = changed(demo, exto="p-2", status="hold")

    first = ledger_page(demo, account="webmaster:wm-1", limit=2, after=position)
    second = ledger_page(demo, account="webmaster:wm-1", limit=10, cursor=first["next_cursor"])

    entries = first["items"] + second["items"]
    assert len(entries) == 5  # three creations, and the hold's reversal plus new entry
    assert {entry["account"] for entry in entries} == {"webmaster:wm-1"}
    assert [entry["id"] for entry in entries] == sorted(entry["id"] for entry in entries)
    assert second["next_cursor"] is None


def test_the_report_counts_leads_per_status_and_sums_money_per_bucket_by_offer(demo):
    created_lead(demo, exto="q-1")
    changed(demo, exto="q-1", status="approve")
    created_lead(demo, exto="q-2")
    created_lead(demo, flow="201", exto="q-3", token="8-l0an-key")
    position = changed(demo, exto="q-2", status="trash")

    rows = report(demo, "offer", after=position)

    assert rows == [
        {
            "group": "offer-1",
            "leads": {"approve": 1, "trash": 1},
            "advertiser_payout": {"USD": {"pending": "0.00", "hold": "0.00", "approved": "15.00"}},
            "webmaster_commission": {
                "USD": {"pending": "0.00", "hold": "0.00", "approved": "10.00"}
            },
            "network_margin": {"USD": {"pending": "0.00", "hold": "0.00", "approved": "5.00"}},
        },
        {
            "group": "offer-2",
            "leads": {"new": 1},
            "advertiser_payout": {"EUR": {"pending": "8.50", "hold": "0.00", "approved": "0.00"}},
            "webmaster_commission": {
                "EUR": {"pending": "5.00", "hold": "0.00", "approved": "0.00"}
            },
            "network_margin": {"EUR": {"pending": "3.50", "hold": "0.00", "approved": "0.00"}},
        },
    ]


def test_the_report_by_day_covers_the_leads_created_in_the_period(demo):
    created_lead(demo, exto="d-1")
    _, position = created_lead(demo, exto="d-2")
    today = datetime.now(UTC).date()

    rows = report(demo, "day", after=position, **{"from": today.isoformat() + "T00:00:00Z"})
    tomorrow = report(
        demo, "day", **{"from": (today + timedelta(days=1)).isoformat() + "T00:00:00Z"}
    )

    assert [(row["group"], row["leads"]) for row in rows] == [(today.isoformat(), {"new": 2})]
    assert tomorrow == []


def test_an_unknown_grouping_is_refused(demo):
    response = demo.get("/api/reports/commissions", params={"group_by": "colour"}, headers=ADMIN)

    assert response.status_code == 400


def test_an_account_name_with_a_nul_character_is_a_bad_request(demo):
    for path, params in (
        ("/api/balances", {"webmaster": "wm\x00"}),
        ("/api/ledger", {"account": "network\x00"}),
    ):
        assert demo.get(path, params=params, headers=ADMIN).status_code == 400
