"""The dispute scenario: create → approve → goal change → rate fixed retroactively → rebuild →
advertiser sends cancel. The history shows every step with the money before and after, and the
as-of answers for each moment are the ledger as it stood then."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from app.audit.answers import balances_as_of_out
from tests.controls import ADMIN, DEMO_CATALOG, change, create, new_click

DEP_RATE = (
    b'webmaster = { amount = "40.00", currency = "USD" }\n'
    b'  advertiser = { amount = "55.00", currency = "USD" }\n'
)


def fixed_dep_rate(effective_from: datetime) -> bytes:
    """The demo catalog with the deposit goal's rate corrected from `effective_from` on."""
    stamp = effective_from.strftime("%Y-%m-%dT%H:%M:%S.%fZ").encode()
    fixed = (
        b'webmaster = { amount = "45.00", currency = "USD" }\n'
        b'  advertiser = { amount = "60.00", currency = "USD" }\n'
        b"  effective_from = " + stamp + b"\n"
    )
    assert DEMO_CATALOG.count(DEP_RATE) == 1
    return DEMO_CATALOG.replace(DEP_RATE, fixed)


def moment() -> datetime:
    return datetime.now(UTC)


def lead_as_of(client, lead_id: str, at: datetime) -> dict:
    response = client.get(f"/api/leads/{lead_id}", params={"as_of": at.isoformat()}, headers=ADMIN)
    assert response.status_code == 200, response.text
    return response.json()


def commission(figure: dict) -> str:
    return figure["webmaster_commission"]["amount"]


@pytest.fixture
def dispute(demo, services):
    """Plays the scenario; returns (lead id, moments after each step)."""
    fix_from = moment()  # the rate is later corrected from here on: before the lead existed
    click = new_click(demo)
    lead_id = create(demo, click=click).json()["id"]
    moments = {"created": moment()}
    change(demo, click=click, status="approve")
    moments["approved"] = moment()
    change(demo, click=click, status="approve", goal="dep")
    moments["goal changed"] = moment()
    applied = demo.post("/api/admin/catalog", content=fixed_dep_rate(fix_from), headers=ADMIN)
    assert applied.json()["rebuild_needed"] is True, applied.text
    moments["rate fixed"] = moment()
    services.runner.catch_up()
    rebuilt = demo.post(
        "/api/recalculations", json={"projections": "all", "dry_run": False}, headers=ADMIN
    )
    assert rebuilt.status_code == 200, rebuilt.text
    moments["rebuilt"] = moment()
    change(demo, click=click, status="cancel")
    moments["cancelled"] = moment()
    services.runner.catch_up()
    return lead_id, moments


def test_the_history_shows_every_step_with_the_money_before_and_after(demo, dispute):
    lead_id, _ = dispute

    steps = demo.get(f"/api/leads/{lead_id}/history", headers=ADMIN).json()["steps"]

    shown = [
        (
            step["kind"],
            step["before"] and step["before"]["status"],
            step["after"]["status"],
            step["before"] and commission(step["before"]),
            commission(step["after"]),
            step["after"]["rule_version"],
        )
        for step in steps
    ]
    assert shown == [
        ("postback", None, "new", None, "10.00", "offer-1/reg@v1"),
        ("postback", "new", "approve", "10.00", "10.00", "offer-1/reg@v1"),
        ("postback", "approve", "approve", "10.00", "40.00", "offer-1/dep@v1"),
        ("recalculation", "approve", "approve", "40.00", "45.00", "offer-1/dep@v2"),
        ("postback", "approve", "cancel", "45.00", "45.00", "offer-1/dep@v2"),
    ]
    assert steps[3]["recalculation"]["actor"] == "support"


@pytest.mark.parametrize(
    ("step", "status", "goal", "earned"),
    [
        ("created", "new", "reg", "10.00"),
        ("approved", "approve", "reg", "10.00"),
        ("goal changed", "approve", "dep", "40.00"),
        ("rate fixed", "approve", "dep", "40.00"),  # typed in, not yet applied by a rebuild
        ("rebuilt", "approve", "dep", "45.00"),
        ("cancelled", "cancel", "dep", "45.00"),
    ],
)
def test_the_lead_as_of_each_moment_is_the_ledger_as_it_stood(
    demo, dispute, step, status, goal, earned
):
    lead_id, moments = dispute

    figure = lead_as_of(demo, lead_id, moments[step])

    assert (figure["status"], figure["goal"], commission(figure)) == (status, goal, earned)


@pytest.mark.parametrize(
    ("step", "pending", "approved"),
    [
        ("created", "10.00", "0.00"),
        ("approved", "0.00", "10.00"),
        ("goal changed", "0.00", "40.00"),
        ("rate fixed", "0.00", "40.00"),
        ("rebuilt", "0.00", "45.00"),
        ("cancelled", "0.00", "0.00"),
    ],
)
def test_the_webmasters_balance_as_of_each_moment_is_the_ledger_as_it_stood(
    demo, dispute, step, pending, approved
):
    _, moments = dispute

    response = demo.get(
        "/api/balances",
        params={"webmaster": "wm-1", "as_of": moments[step].isoformat()},
        headers=ADMIN,
    )

    assert response.status_code == 200, response.text
    assert response.json()["balances"]["USD"] == {
        "pending": pending,
        "hold": "0.00",
        "approved": approved,
    }


@pytest.mark.parametrize("account", ["webmaster=wm-1", "advertiser=adv-1", "network=1"])
def test_balances_as_of_now_equal_the_balances_the_ledger_holds(demo, services, dispute, account):
    name, _, value = account.partition("=")
    ledger = demo.get("/api/balances", params={name: value}, headers=ADMIN).json()
    holder = ledger["account"]

    recomputed = balances_as_of_out(services, holder, moment()).balances

    assert recomputed == ledger["balances"]
