"""`lock_for` and `min_payout` over HTTP and PostgreSQL: approved money is payable only after its
offer's lock, and a payout below the webmaster's minimum is refused (issue 22)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tests.controls import ADMIN, DEMO_CATALOG
from tests.hold_controls import Clock
from tests.ledger_controls import changed
from tests.periods.period_controls import lead_approved

OFFER_1 = 'id = "offer-1"\n'
WM_1 = 'id = "wm-1"\n'
LOCK = timedelta(days=30)


def with_rules(client, offer: str = "", webmaster: str = "") -> None:
    """The demo catalog with extra lines in offer-1's table and in wm-1's."""
    text = DEMO_CATALOG.decode().replace(OFFER_1, OFFER_1 + offer + "\n", 1)
    text = text.replace(WM_1, WM_1 + webmaster + "\n", 1)
    response = client.post("/api/admin/catalog", content=text, headers=ADMIN)
    assert response.status_code == 200, response.text


def payout(client, **body):
    return client.post(
        "/api/payouts", json={"webmaster": "wm-1", "currency": "USD", **body}, headers=ADMIN
    )


def payable_of(client, services, currency: str = "USD") -> dict | None:
    services.runner.catch_up()
    response = client.get("/api/payables", params={"currency": currency}, headers=ADMIN)
    assert response.status_code == 200, response.text
    found = [item for item in response.json()["items"] if item["webmaster"] == "wm-1"]
    return found[0] if found else None


def later(by: timedelta) -> Clock:
    return Clock(datetime.now(UTC) + by)


def booked_ago(services, lead_id: str, age: timedelta) -> None:
    """Make what the ledger booked so far for the lead look booked `age` ago, so that a change
    booked now is recent while the approval is past its lock (time moved for what is stored)."""
    services.runner.catch_up()
    with services.ledger.recorder.datastore.transaction(commit=True) as cursor:
        cursor.execute(
            "UPDATE ledger_entries SET recorded_at = recorded_at - %s WHERE lead_id = %s",
            (age, lead_id),
        )


def test_approved_money_is_payable_only_once_its_lock_has_passed(demo, services):
    with_rules(demo, offer='lock_for = "30d"')
    lead_approved(demo, "locked-1")

    services.clock = later(LOCK - timedelta(hours=1))
    waiting = payable_of(demo, services)
    assert (waiting["payable"], waiting["locked"], waiting["payable_now"]) == (
        "0.00",
        "10.00",
        "0.00",
    )
    refused = payout(demo, reference="too-early")
    assert refused.status_code == 409, refused.text
    assert "payable is 0" in refused.json()["message"]

    services.clock = later(LOCK + timedelta(seconds=1))
    ready = payable_of(demo, services)
    assert (ready["payable"], ready["locked"], ready["payable_now"]) == ("10.00", "0.00", "10.00")
    assert payout(demo, reference="after-lock").json()["amount"] == "10.00"


def test_without_a_lock_approved_money_is_payable_at_once(demo, services):
    lead_approved(demo, "open-1")
    assert payable_of(demo, services)["payable_now"] == "10.00"
    assert payout(demo, reference="at-once").status_code == 201


def test_a_cancel_inside_the_lock_reverses_money_that_was_never_payable(demo, services):
    with_rules(demo, offer='lock_for = "30d"')
    lead_approved(demo, "kept")
    lead_approved(demo, "cancelled")
    changed(demo, exto="cancelled", status="cancel")

    services.clock = later(LOCK + timedelta(days=1))

    assert payable_of(demo, services)["payable"] == "10.00"  # the kept lead only
    assert payout(demo, reference="kept-only").json()["amount"] == "10.00"


def test_a_cancel_after_the_lock_takes_the_money_back_at_once(demo, services):
    with_rules(demo, offer='lock_for = "30d"')
    lead_id = lead_approved(demo, "late-cancel")
    booked_ago(services, lead_id, LOCK + timedelta(days=1))
    assert payable_of(demo, services)["payable"] == "10.00"

    changed(demo, exto="late-cancel", status="cancel")  # booked now, 31 days after approval

    assert payable_of(demo, services) is None
    assert payout(demo, reference="nothing").status_code == 409


def test_a_cancel_after_the_payout_is_a_clawback_carried_over(demo, services):
    with_rules(demo, offer='lock_for = "30d"')
    lead_id = lead_approved(demo, "paid-then-cancelled")
    booked_ago(services, lead_id, LOCK + timedelta(days=1))
    assert payout(demo, reference="paid").json()["amount"] == "10.00"

    changed(demo, exto="paid-then-cancelled", status="cancel")

    owed = payable_of(demo, services)
    assert (owed["payable"], owed["carry_over"], owed["payable_now"]) == (
        "-10.00",
        "-10.00",
        "0.00",
    )
    lead_approved(demo, "fresh")  # 10.00 more, still in its lock: nothing to net it yet
    owed = payable_of(demo, services)
    assert (owed["payable"], owed["locked"]) == ("-10.00", "10.00")


def test_a_payout_below_the_minimum_is_refused_naming_the_minimum(demo, services):
    with_rules(demo, webmaster='min_payout = ["50.00 USD", "40.00 EUR"]')
    lead_approved(demo, "small")

    listed = payable_of(demo, services)
    assert listed["payable"] == "10.00"
    assert (listed["below_minimum"], listed["payable_now"]) == ("10.00", "0.00")
    assert listed["min_payout"] == "50.00 USD"
    for body in ({}, {"amount": "5.00"}):
        refused = payout(demo, reference="small-payout", **body)
        assert refused.status_code == 409, refused.text
        assert "minimum payout of 50.00 USD" in refused.json()["message"]
    listed = demo.get("/api/payouts", params={"webmaster": "wm-1"}, headers=ADMIN).json()
    assert listed["items"] == []


def test_a_payout_at_or_over_the_minimum_is_paid(demo, services):
    with_rules(demo, webmaster='min_payout = "10.00 USD"')
    lead_approved(demo, "enough")

    listed = payable_of(demo, services)
    assert (listed["payable_now"], listed["below_minimum"]) == ("10.00", "0.00")
    assert payout(demo, reference="enough").json()["amount"] == "10.00"


def test_a_bad_lock_or_minimum_is_refused_at_apply_and_changes_nothing(demo, services):
    for offer, webmaster, path in (
        ('lock_for = "-3d"', "", "$.offers[0].lock_for"),
        ('lock_for = "3651d"', "", "$.offers[0].lock_for"),
        ("", 'min_payout = "50.00 XXY"', "$.webmasters[0].min_payout"),
    ):
        text = DEMO_CATALOG.decode().replace(OFFER_1, OFFER_1 + offer + "\n", 1)
        text = text.replace(WM_1, WM_1 + webmaster + "\n", 1)
        response = demo.post("/api/admin/catalog", content=text, headers=ADMIN)
        assert response.status_code in (400, 422), response.text
        assert path in response.text
    lead_approved(demo, "still-open")
    assert payable_of(demo, services)["payable_now"] == "10.00"  # no lock was kept


def test_a_lead_the_lead_view_does_not_hold_yet_waits_out_the_longest_lock(demo, services):
    with_rules(demo, offer='lock_for = "30d"')
    lead_id = lead_approved(demo, "not-in-view")
    services.runner.catch_up()
    with services.ledger.recorder.datastore.transaction(commit=True) as cursor:
        cursor.execute("DELETE FROM lead_view WHERE id = %s", (lead_id,))  # a lagging read model

    services.clock = later(timedelta(days=1))

    assert payable_of(demo, services)["payable"] == "0.00"
    services.clock = later(LOCK + timedelta(seconds=1))
    assert payable_of(demo, services)["payable"] == "10.00"
