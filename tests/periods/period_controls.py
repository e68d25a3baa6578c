"""Builders for the period tests: a lead's life, a close, a period's statements."""

from __future__ import annotations

import time
from datetime import UTC, datetime

from litestar.testing import TestClient

from tests.controls import ADMIN
from tests.ledger_controls import changed, created_lead


def lead_approved(client: TestClient, exto: str, **params: str) -> str:
    """A new lead of flow 101 (offer-1, wm-1, adv-1) taken to approve; its id."""
    lead_id, _ = created_lead(client, exto=exto, **params)
    changed(client, exto=exto, status="approve")
    return lead_id


def moment_after_now() -> datetime:
    """A time just past every event stored so far (the clock has moved on from them)."""
    before = datetime.now(UTC)
    while (now := datetime.now(UTC)) <= before:
        time.sleep(0.001)
    return now


def close(client: TestClient, until: datetime | str, headers: dict = ADMIN):
    text = until if isinstance(until, str) else until.isoformat()
    return client.post("/api/periods", json={"until": text}, headers=headers)


def closed(client: TestClient, until: datetime | str) -> dict:
    response = close(client, until)
    assert response.status_code == 201, response.text
    return response.json()


def statements(client: TestClient, period: int, **params: str) -> list[dict]:
    response = client.get(f"/api/periods/{period}/statements", params=params, headers=ADMIN)
    assert response.status_code == 200, response.text
    return response.json()["items"]


def statement_of(client: TestClient, period: int, account: str, currency: str = "USD") -> dict:
    found = statements(client, period, account=account, currency=currency)
    assert len(found) == 1, found
    return found[0]


def movements(statement: dict) -> dict[tuple[str, str], str]:
    return {(line["kind"], line["bucket"]): line["amount"] for line in statement["movements"]}
