"""Invoices: drawn from a sealed statement, paid in parts, later changes on the next one."""

from __future__ import annotations

from tests.controls import ADMIN
from tests.ledger_controls import changed
from tests.periods.period_controls import closed, lead_approved, moment_after_now


def issue(client, period: int, advertiser: str = "adv-1"):
    return client.post(
        "/api/invoices", json={"advertiser": advertiser, "period": period}, headers=ADMIN
    )


def issued(client, period: int) -> dict:
    response = issue(client, period)
    assert response.status_code == 201, response.text
    return response.json()


def pay(client, invoice: str, amount: str, reference: str):
    return client.post(
        f"/api/invoices/{invoice}/payments",
        json={"amount": amount, "reference": reference},
        headers=ADMIN,
    )


def test_an_invoice_bills_the_approved_money_of_the_period(demo, services):
    lead_approved(demo, "i-1")
    lead_approved(demo, "i-2")
    closed(demo, moment_after_now())

    invoice = issued(demo, 1)

    assert invoice["id"] and invoice["currency"] == "USD"
    assert invoice["total"] == "30.00" and invoice["state"] == "open"
    assert invoice["lines"] == [
        {"kind": "approved in the period", "amount": "30.00", "cause": None}
    ]


def test_a_cancel_after_an_invoice_is_a_credit_line_with_its_cause_on_the_next(demo, services):
    lead_approved(demo, "i-1")
    closed(demo, moment_after_now())
    issued(demo, 1)
    changed(demo, exto="i-1", status="cancel")
    lead_approved(demo, "i-2")
    closed(demo, moment_after_now())

    invoice = issued(demo, 2)

    assert invoice["total"] == "0.00"
    assert invoice["lines"][0] == {
        "kind": "approved in the period",
        "amount": "15.00",
        "cause": None,
    }
    credit = invoice["lines"][1]
    assert credit["kind"] == "credit: clawed_back" and credit["amount"] == "-15.00"
    assert "postback:" in credit["cause"]


def test_payments_in_parts_idempotent_by_reference_until_paid(demo, services):
    lead_approved(demo, "i-1")
    closed(demo, moment_after_now())
    invoice = issued(demo, 1)["id"]

    first = pay(demo, invoice, "5.00", "wire-1")
    again = pay(demo, invoice, "5.00", "wire-1")
    other = pay(demo, invoice, "6.00", "wire-1")
    too_much = pay(demo, invoice, "10.01", "wire-2")
    zero = pay(demo, invoice, "0", "wire-3")
    rest = pay(demo, invoice, "10.00", "wire-4")

    assert first.status_code == 201 and first.json()["outstanding"] == "10.00"
    assert again.json() == first.json()  # the same payment, named by the same id
    assert first.json()["payment_id"] not in (None, rest.json()["payment_id"], invoice)
    assert other.status_code == 409 and too_much.status_code == 409
    assert "10.00 outstanding" in too_much.json()["message"]
    assert zero.status_code == 422
    assert rest.json()["state"] == "paid" and rest.json()["outstanding"] == "0.00"


def test_open_invoices_are_listed_with_days_overdue(demo, services):
    lead_approved(demo, "i-1")
    closed(demo, moment_after_now())
    invoice = issued(demo, 1)["id"]
    services.runner.catch_up()

    listed = demo.get("/api/invoices", params={"state": "open"}, headers=ADMIN).json()

    assert [(i["id"], i["days_overdue"]) for i in listed["items"]] == [(invoice, 0)]
    pay(demo, invoice, "15.00", "wire-1")
    services.runner.catch_up()
    assert demo.get("/api/invoices", params={"state": "open"}, headers=ADMIN).json()["items"] == []


def test_bad_invoices_are_refused(demo, services):
    lead_approved(demo, "i-1")
    closed(demo, moment_after_now())
    issued(demo, 1)

    assert issue(demo, 1).status_code == 409  # issued once
    assert issue(demo, 9).status_code == 404  # no such period
    assert issue(demo, 1, advertiser="adv-nobody").status_code == 422
    assert pay(demo, "00000000-0000-0000-0000-000000000000", "1.00", "w").status_code == 404
