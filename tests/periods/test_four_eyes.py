"""Four eyes: a payout over LEDGER_FOUR_EYES_OVER is booked only when another person approves."""

from __future__ import annotations

import dataclasses
from decimal import Decimal

import pytest
from litestar.testing import TestClient

from app.main import create_app
from app.services import Services
from app.settings import four_eyes_limits
from tests.controls import DEMO_CATALOG
from tests.periods.period_controls import lead_approved

ALICE = {"Authorization": "Bearer alice-token"}
BOB = {"Authorization": "Bearer bob-token"}


@pytest.fixture
def two_admins(settings, database):
    """A service with two named admins and four eyes over 15 USD."""
    chosen = dataclasses.replace(
        settings,
        admin_tokens={"alice": "alice-token", "bob": "bob-token"},
        four_eyes_over=four_eyes_limits("15 USD,900 EUR"),
    )
    services = Services.open(chosen, database)
    services.start()
    with TestClient(create_app(chosen, services)) as client:
        assert client.post("/api/admin/catalog", content=DEMO_CATALOG, headers=ALICE).is_success
        yield client, services
    services.close()


def payout(client, headers, **body):
    return client.post(
        "/api/payouts", json={"webmaster": "wm-1", "currency": "USD", **body}, headers=headers
    )


def booked_payouts(client, services) -> list[dict]:
    services.runner.catch_up()
    return client.get("/api/payouts", headers=ALICE).json()["items"]


def test_the_limits_read_as_an_amount_per_currency():
    assert four_eyes_limits("1000 USD,900 EUR") == {"USD": Decimal(1000), "EUR": Decimal(900)}
    assert four_eyes_limits("") == {}


def test_a_payout_over_the_limit_waits_for_a_second_person(two_admins):
    client, services = two_admins
    lead_approved(client, "f-1")
    lead_approved(client, "f-2")  # 20.00 USD payable

    asked = payout(client, ALICE, reference="bank-1")

    assert asked.status_code == 201, asked.text
    assert asked.json()["state"] == "pending_approval" and asked.json()["amount"] == "20.00"
    assert booked_payouts(client, services) == []
    approved = client.post(f"/api/payouts/{asked.json()['id']}/approve", headers=BOB)
    assert approved.status_code == 200, approved.text
    assert approved.json()["state"] == "booked" and approved.json()["approved_by"] == "bob"
    assert [p["amount"] for p in booked_payouts(client, services)] == ["20.00"]


def test_the_person_who_asked_cannot_approve(two_admins):
    client, services = two_admins
    lead_approved(client, "f-1")
    lead_approved(client, "f-2")
    asked = payout(client, ALICE, reference="bank-1").json()

    refused = client.post(f"/api/payouts/{asked['id']}/approve", headers=ALICE)

    assert refused.status_code == 403
    assert refused.json()["error"] == "forbidden"
    assert booked_payouts(client, services) == []


def test_a_payout_within_the_limit_is_booked_at_once(two_admins):
    client, services = two_admins
    lead_approved(client, "f-1")

    paid = payout(client, ALICE, reference="bank-1", amount="10.00")

    assert paid.json()["state"] == "booked"
    assert [p["paid_by"] for p in booked_payouts(client, services)] == ["alice"]


def test_approving_an_unknown_payout_is_not_found(two_admins):
    client, _ = two_admins

    response = client.post("/api/payouts/00000000-0000-0000-0000-000000000000/approve", headers=BOB)

    assert response.status_code == 404
