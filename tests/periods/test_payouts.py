"""Payouts: what is payable is paid once, against the network's cash, and a clawback nets."""

from __future__ import annotations

import threading

import psycopg

from app.periods.closing import CLOSE_LOCK
from tests.controls import ADMIN
from tests.ledger_controls import balances, changed
from tests.periods.period_controls import (
    closed,
    lead_approved,
    moment_after_now,
    movements,
    statement_of,
)


def payout(client, **body):
    return client.post(
        "/api/payouts", json={"webmaster": "wm-1", "currency": "USD", **body}, headers=ADMIN
    )


def paid(client, **body) -> dict:
    response = payout(client, **body)
    assert response.status_code == 201, response.text
    return response.json()


def payable(client) -> str | None:
    response = client.get("/api/payables", params={"currency": "USD"}, headers=ADMIN)
    assert response.status_code == 200, response.text
    found = [item["payable"] for item in response.json()["items"] if item["webmaster"] == "wm-1"]
    return found[0] if found else None


def test_the_worked_example_a_clawback_after_payout_is_netted_by_the_next_payout(demo, services):
    lead_approved(demo, "nov-1")  # accrue, approve: wm-1 earns 10.00 USD
    closed(demo, moment_after_now())  # November
    first = paid(demo, reference="bank-1")  # all that is payable
    assert first["amount"] == "10.00" and first["id"]
    changed(demo, exto="nov-1", status="cancel")  # December: the November lead is cancelled

    december = closed(demo, moment_after_now())

    services.runner.catch_up()
    statement = statement_of(demo, december["id"], "webmaster:wm-1")
    assert statement["opening"]["approved"] == "10.00"
    assert movements(statement) == {
        ("clawed_back", "approved"): "-10.00",
        ("paid", "approved"): "-10.00",
    }
    assert statement["closing"]["approved"] == "-10.00"
    assert [line["kind"] for line in statement["adjustments"]] == ["clawed_back"]
    assert statement_of(demo, december["id"], "network")["closing"]["paid"] == "10.00"
    assert payable(demo) == "-10.00"
    lead_approved(demo, "dec-1")
    lead_approved(demo, "dec-2")  # 20.00 earned in December
    assert paid(demo, reference="bank-2")["amount"] == "10.00"  # nets the clawback
    services.runner.catch_up()
    assert payable(demo) is None  # nothing left
    assert balances(demo, webmaster="wm-1")["USD"]["approved"] == "0.00"


def test_the_same_reference_and_body_answers_the_first_payout_again(demo, services):
    lead_approved(demo, "p-1")
    first = paid(demo, reference="bank-1", amount="4.00")

    again = paid(demo, reference="bank-1", amount="4.00")

    assert again == first
    services.runner.catch_up()
    listed = demo.get("/api/payouts", params={"webmaster": "wm-1"}, headers=ADMIN).json()
    assert [item["id"] for item in listed["items"]] == [first["id"]]


def test_the_same_reference_with_another_body_is_a_conflict(demo, services):
    lead_approved(demo, "p-1")
    paid(demo, reference="bank-1", amount="4.00")

    response = payout(demo, reference="bank-1", amount="5.00")

    assert response.status_code == 409
    assert "another request" in response.json()["message"]


def test_more_than_payable_is_a_conflict_naming_the_payable(demo, services):
    lead_approved(demo, "p-1")

    response = payout(demo, reference="bank-1", amount="10.01")

    assert response.status_code == 409
    assert "payable is 10.00" in response.json()["message"]


def test_bad_payouts_are_refused_and_change_nothing(demo, services):
    lead_approved(demo, "p-1")
    refusals = [
        (payout(demo, reference="r", amount="0"), 422),
        (payout(demo, reference="r", amount="-5.00"), 422),
        (payout(demo, reference="r", amount="ten"), 422),
        (payout(demo, reference="r", currency="XXY"), 422),
        (payout(demo, reference="r", currency="EUR"), 422),  # wm-1 has no EUR
        (payout(demo, reference="r", webmaster="wm-nobody"), 404),
        (payout(demo, reference=" "), 400),
    ]

    assert [(r.status_code, r.json()["status"]) for r, _ in refusals] == [
        (status, "error") for _, status in refusals
    ]
    services.runner.catch_up()
    assert payable(demo) == "10.00"


def test_a_payout_during_a_close_is_refused(demo, services, database):
    lead_approved(demo, "p-1")

    with psycopg.connect(database.conninfo()) as closing:
        closing.execute("SELECT pg_advisory_xact_lock(%s)", (CLOSE_LOCK,))
        response = payout(demo, reference="bank-1")
        closing.rollback()

    assert response.status_code == 409
    assert "being closed" in response.json()["message"]
    assert paid(demo, reference="bank-1")["amount"] == "10.00"


def test_concurrent_payouts_never_pay_more_than_payable(demo, services):
    lead_approved(demo, "p-1")  # 10.00 payable
    start = threading.Barrier(4)
    answers = []

    def paying(n: int) -> None:
        start.wait()
        answers.append(payout(demo, reference=f"bank-{n}", amount="4.00"))

    threads = [threading.Thread(target=paying, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(a.status_code for a in answers) == [201, 201, 409, 409], [a.text for a in answers]
    services.runner.catch_up()
    assert payable(demo) == "2.00"
