"""Finance staff: period closes, payouts and invoices carry the person's name, and four eyes
(LEDGER_FOUR_EYES_OVER) holds between two finance people: an invoice or payout over the limit
waits, `pending_approval`, until a second finance person approves it; its creator cannot."""

from __future__ import annotations

import dataclasses

import pytest
from litestar.testing import TestClient

from app.main import create_app
from app.services import Services
from app.settings import four_eyes_limits
from tests.controls import ADMIN, DEMO_CATALOG
from tests.ledger_controls import balances
from tests.periods.period_controls import close, lead_approved, moment_after_now
from tests.staff.controls import add_staff, bearer, refused


@pytest.fixture
def finance(settings, database):
    """A service with four eyes over 15 USD; two finance people (Fay, Finn), an operator."""
    chosen = dataclasses.replace(settings, four_eyes_over=four_eyes_limits("15 USD"))
    services = Services.open(chosen, database)
    services.start()
    with TestClient(create_app(chosen, services)) as client:
        assert client.post("/api/admin/catalog", content=DEMO_CATALOG, headers=ADMIN).is_success
        staff = (("Fay", "finance"), ("Finn", "finance"), ("Olga", "operator"))
        people = {name: bearer(add_staff(client, name, role)) for name, role in staff}
        yield client, services, people
    services.close()


def closed_by(client, headers) -> dict:
    answer = close(client, moment_after_now(), headers=headers)
    assert answer.status_code == 201, answer.text
    return answer.json()


def invoices(client, services) -> list[dict]:
    services.runner.catch_up()
    return client.get("/api/invoices", headers=ADMIN).json()["items"]


def test_a_period_close_payout_and_invoice_name_the_finance_person(finance):
    client, services, people = finance
    lead_approved(client, "n-1")  # 10.00 USD for wm-1, 15.00 USD from adv-1: within the limits

    period = closed_by(client, people["Fay"])
    body = {"webmaster": "wm-1", "currency": "USD", "reference": "bank-1"}
    paid = client.post("/api/payouts", json=body, headers=people["Finn"])
    issued = client.post("/api/invoices", json={"advertiser": "adv-1", "period": 1},
                         headers=people["Fay"])  # fmt: skip

    assert period["closed_by"] == "Fay"
    assert paid.status_code == 201 and paid.json()["requested_by"] == "Finn", paid.text
    services.runner.catch_up()
    [listed] = client.get("/api/payouts", headers=ADMIN).json()["items"]
    assert listed["paid_by"] == "Finn"
    assert issued.status_code == 201 and issued.json()["issued_by"] == "Fay", issued.text
    assert [i["issued_by"] for i in invoices(client, services)] == ["Fay"]


def test_a_payout_over_the_limit_waits_for_a_second_finance_person(finance):
    client, services, people = finance
    lead_approved(client, "p-1")
    lead_approved(client, "p-2")  # 20.00 USD payable to wm-1
    body = {"webmaster": "wm-1", "currency": "USD", "reference": "bank-1"}

    asked = client.post("/api/payouts", json=body, headers=people["Fay"]).json()
    approve = f"/api/payouts/{asked['id']}/approve"

    assert asked["state"] == "pending_approval"
    refused(client.post(approve, headers=people["Fay"]), 403, "forbidden")
    below = refused(client.post(approve, headers=people["Olga"]), 403, "forbidden")
    assert "needs the finance role" in below["message"]
    approved = client.post(approve, headers=people["Finn"])
    assert approved.status_code == 200, approved.text
    assert (approved.json()["state"], approved.json()["approved_by"]) == ("booked", "Finn")


def test_an_invoice_over_the_limit_waits_for_a_second_finance_person(finance):
    client, services, people = finance
    lead_approved(client, "i-1")
    lead_approved(client, "i-2")  # adv-1 owes 30.00 USD, over the 15 USD limit
    closed_by(client, people["Fay"])

    asked = client.post("/api/invoices", json={"advertiser": "adv-1", "period": 1},
                        headers=people["Fay"])  # fmt: skip

    assert asked.status_code == 201, asked.text
    pending = asked.json()
    assert (pending["state"], pending["total"], pending["issued_by"]) == (
        "pending_approval", "30.00", "Fay")  # fmt: skip
    assert invoices(client, services) == []  # not issued: nothing booked, nothing to pay
    assert balances(client, advertiser="adv-1")["USD"]["approved"] == "30.00"
    payment = {"amount": "1.00", "reference": "wire-1"}
    assert client.post(f"/api/invoices/{pending['id']}/payments", json=payment,
                       headers=people["Finn"]).status_code == 409  # fmt: skip
    again = client.post("/api/invoices", json={"advertiser": "adv-1", "period": 1},
                        headers=people["Finn"])  # fmt: skip
    assert again.status_code == 409, again.text

    approve = f"/api/invoices/{pending['id']}/approve"
    refused(client.post(approve, headers=people["Fay"]), 403, "forbidden")
    below = refused(client.post(approve, headers=people["Olga"]), 403, "forbidden")
    assert "needs the finance role" in below["message"]
    approved = client.post(approve, headers=people["Finn"])

    assert approved.status_code == 200, approved.text
    answer = approved.json()
    assert (answer["id"], answer["state"], answer["total"]) == (pending["id"], "open", "30.00")
    assert (answer["issued_by"], answer["approved_by"]) == ("Fay", "Finn")
    assert client.post(approve, headers=people["Finn"]).json() == answer  # approved once
    assert [i["id"] for i in invoices(client, services)] == [pending["id"]]
    held = balances(client, advertiser="adv-1")["USD"]
    assert (held["approved"], held["invoiced"]) == ("0.00", "30.00")


def test_an_invoice_within_the_limit_is_issued_at_once(finance):
    client, services, people = finance
    lead_approved(client, "i-1")  # 15.00 USD: not over the limit
    closed_by(client, people["Fay"])

    issued = client.post("/api/invoices", json={"advertiser": "adv-1", "period": 1},
                         headers=people["Fay"])  # fmt: skip

    assert issued.status_code == 201 and issued.json()["state"] == "open", issued.text
    assert issued.json()["approved_by"] is None
    assert len(invoices(client, services)) == 1
