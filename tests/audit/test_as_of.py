"""Leads and balances as the ledger stood at a past moment, computed from the event store."""

from __future__ import annotations

from datetime import UTC, datetime

from app.audit.answers import balances_as_of_out
from tests.controls import ADMIN, change, create, new_click


def now() -> str:
    return datetime.now(UTC).isoformat()


def lead_at(client, lead_id: str, moment: str):
    return client.get(f"/api/leads/{lead_id}", params={"as_of": moment}, headers=ADMIN)


def test_a_lead_as_of_a_moment_shows_the_status_it_had_then(demo):
    click = new_click(demo)
    lead_id = create(demo, click=click).json()["id"]
    while_new = now()
    change(demo, click=click, status="approve")

    assert lead_at(demo, lead_id, while_new).json()["status"] == "new"
    assert lead_at(demo, lead_id, now()).json()["status"] == "approve"


def test_a_lead_as_of_a_moment_shows_the_money_of_its_goal_then(demo):
    click = new_click(demo)
    lead_id = create(demo, click=click).json()["id"]
    on_registration = now()
    change(demo, click=click, status="approve", goal="dep")

    then = lead_at(demo, lead_id, on_registration).json()
    later = lead_at(demo, lead_id, now()).json()

    assert then["webmaster_commission"] == {"amount": "10.00", "currency": "USD"}
    assert later["webmaster_commission"] == {"amount": "40.00", "currency": "USD"}
    assert later["rule_version"].startswith("offer-1/dep@v")


def test_a_lead_before_its_creation_is_not_found(demo):
    before = now()
    lead_id = create(demo, click=new_click(demo)).json()["id"]

    assert lead_at(demo, lead_id, before).status_code == 404


def test_balances_as_of_a_moment_sum_the_positions_of_that_moment(demo, services):
    first, second = new_click(demo), new_click(demo)
    create(demo, click=first)
    change(demo, click=first, status="approve")
    create(demo, click=second)
    before_hold = datetime.now(UTC)
    change(demo, click=second, status="hold")
    services.runner.catch_up()

    then = balances_as_of_out(services, "webmaster:wm-1", before_hold).balances
    later = balances_as_of_out(services, "webmaster:wm-1", datetime.now(UTC)).balances

    assert then == {"USD": {"pending": "10.00", "hold": "0.00", "approved": "10.00"}}
    assert later == {"USD": {"pending": "0.00", "hold": "10.00", "approved": "10.00"}}
