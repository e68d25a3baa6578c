"""Assertions shared by the postback tests: what the sender was told, what the store now holds.

Builders live in `tests.controls`; these helpers look at the results: the answer's JSON, the
event store (the truth), the lead view and the postback log (both projections).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from uuid import UUID

from litestar.testing import TestClient

from app.services import Services
from tests.controls import lead, postbacks

SITE_KEY = "s3cr3t"  # the secret half of tests.controls.SITE_TOKEN: must never be stored


def accepted(response) -> dict:
    """The body of an accepted postback (HTTP 200, status ok), checked for its shape."""
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["status"] == "ok", body
    assert set(body) >= {"status", "id", "position"}, body
    UUID(body["id"])
    return body


def refused(response, http_status: int, code: str) -> dict:
    """The body of a refused postback, checked for its HTTP status, code and shape."""
    assert response.status_code == http_status, response.text
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert body["status"] == "error", body
    assert body["error"] == code, body
    assert body["message"], body
    return body


def stored_postbacks(client: TestClient, services: Services, **filters: str) -> list[dict]:
    """The postback log (newest first) once the projections have caught up."""
    services.runner.catch_up()
    return postbacks(client, **filters)


def latest_postback(client: TestClient, services: Services) -> dict:
    return stored_postbacks(client, services)[0]


def assert_logged_refusal(
    client: TestClient, services: Services, http_status: int, code: str
) -> dict:
    """The newest stored postback is a refusal with this code, its token secret masked."""
    row = latest_postback(client, services)
    assert row["outcome"] == "rejected", row
    assert row["error"] == code, row
    assert row["http_status"] == http_status, row
    assert_no_secret(row)
    return row


def assert_no_secret(row: dict) -> None:
    assert SITE_KEY not in json.dumps(row), row
    for token in row["params"].get("token", []):
        assert token.endswith("***"), row


@dataclass(frozen=True)
class LeadSnapshot:
    """A lead as the event store and the lead view hold it, to show that nothing changed."""

    version: int
    status: str
    goal: str
    view: dict


def snapshot(client: TestClient, services: Services, lead_id: str) -> LeadSnapshot:
    aggregate = services.ledger.repository.get(UUID(lead_id))
    services.runner.catch_up()
    return LeadSnapshot(
        aggregate.version, aggregate.status.value, aggregate.goal, lead(client, lead_id)
    )


def event_types(services: Services, lead_id: str) -> list[str]:
    """The lead's stored events, oldest first, by class name."""
    events = services.ledger.events.get(UUID(lead_id))
    return [type(event).__name__ for event in events]


def events_of(services: Services, lead_id: str) -> list:
    return list(services.ledger.events.get(UUID(lead_id)))
