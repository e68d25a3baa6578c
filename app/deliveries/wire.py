"""The delivery log's JSON shapes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import UUID

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
    queued_at: datetime
    position: int  # the lead event's position in the event log


class DeliveryPage(msgspec.Struct):
    """A page of the delivery log; `next`: the `cursor` of the next page, null at the end."""

    items: list[DeliveryOut]
    next: str | None = None


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


class TargetPage(msgspec.Struct):
    """A page of URLs in id order; `next`: the `cursor` of the next page (the last id of this
    one: any id names a place in the order), null at the end."""

    items: list[TargetOut]
    next: str | None = None


def delivery_out(row: dict) -> DeliveryOut:
    return DeliveryOut(
        id=str(row["id"]),
        lead=str(row["lead"]),
        webmaster=row["webmaster"],
        event=row["event"],
        url=masked_url(row["url"], row.get("secret"), row.get("url_secret")),
        state=row["state"],
        attempts=row["attempts"],
        next_attempt_at=row["next_attempt_at"],
        queued_at=row["queued_at"],
        position=row["position"],
    )


# `<queued_at in µs since 1970>.<position>.<delivery id>`: every string of this pattern names a
# place in the order (so the schema says exactly what is accepted); clients pass `next` back.
CURSOR_PATTERN = (
    r"^\d{1,16}\.\d{1,18}\.[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$"
)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)


def page_cursor(row: dict) -> str:
    """The cursor of the page after `row`."""
    return f"{(row['queued_at'] - _EPOCH) // _MICROSECOND}.{row['position']}.{row['id']}"


def after_cursor(cursor: str) -> tuple[datetime, int, UUID]:
    """The row a `cursor` names; ValueError if it does not have the cursor's pattern."""
    try:
        micros, position, delivery = cursor.split(".")
        return _EPOCH + int(micros) * _MICROSECOND, int(position), UUID(delivery)
    except (ValueError, OverflowError):
        raise ValueError("cursor: not a cursor this service gave (use `next` as it is)") from None


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
