"""The delivery log's JSON shapes."""

from __future__ import annotations

from datetime import datetime

import msgspec

from app.deliveries.masking import masked_url


class AttemptOut(msgspec.Struct):
    attempt: int
    at: datetime
    url: str
    method: str
    http_status: int | None
    error: str | None
    response: str
    duration_ms: float
    outcome: str
    next_attempt_at: datetime | None


class DeliveryOut(msgspec.Struct):
    """A delivery: `state` is pending, delivered, failed or suspended (its URL is)."""

    id: str
    lead: str
    webmaster: str
    event: str
    url: str
    state: str
    attempts: int
    next_attempt_at: datetime | None


class DeliveryPage(msgspec.Struct):
    items: list[DeliveryOut]


class DeliveryDetail(msgspec.Struct):
    delivery: DeliveryOut
    attempt_log: list[AttemptOut]


class TargetOut(msgspec.Struct):
    """A URL deliveries go to; `suspended_at` set while it is suspended."""

    id: str
    url: str
    consecutive_failures: int
    suspended_at: datetime | None
    waiting: int


def delivery_out(row: dict) -> DeliveryOut:
    return DeliveryOut(
        id=str(row["id"]),
        lead=str(row["lead"]),
        webmaster=row["webmaster"],
        event=row["event"],
        url=masked_url(row["url"], row.get("secret")),
        state=row["state"],
        attempts=row["attempts"],
        next_attempt_at=row["next_attempt_at"],
    )


def attempt_out(row: dict) -> AttemptOut:
    fields = {name: row[name] for name in AttemptOut.__struct_fields__}
    return AttemptOut(**fields)


def target_out(row: dict) -> TargetOut:
    return TargetOut(
        id=str(row["id"]),
        url=row["url"],
        consecutive_failures=row["consecutive_failures"],
        suspended_at=row["suspended_at"],
        waiting=row["waiting"],
    )


class SentOut(msgspec.Struct):
    """A delivery as a lead's history shows it, under the event that caused it."""

    delivery: DeliveryOut
    attempt_log: list[AttemptOut]
    resent_by: list[str] = []  # who sent it again by hand ("name at time"), oldest first
