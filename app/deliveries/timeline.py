"""Deliveries in a lead's history: "to webmaster" under the event that caused each.

The lead history (API and support page) is built from the event store; the deliveries table
says what each event sent, keyed by the event's position. Support answering "did the webmaster
hear of this approval?" reads it on the same line as the approval, attempt by attempt.
"""

from __future__ import annotations

from collections import defaultdict
from uuid import UUID

import psycopg

from app.deliveries.wire import SentOut, attempt_out, delivery_out
from app.staff import actions
from projections.deliveries import reads

# Their rows in the actions log name who resent a delivery (the API's, the support page's).
RESENDS = (
    "POST /api/deliveries/{delivery_id}/resend",
    "POST /support/deliveries/{delivery_id}/resend",
)


def attach(cursor: psycopg.Cursor, lead_id: UUID, steps: list) -> None:
    """Fill each history event's `sent` with the deliveries it caused."""
    by_position: dict[int, list[SentOut]] = defaultdict(list)
    rows = reads.of_lead(cursor, lead_id)
    resent = actions.touching(cursor, RESENDS, "delivery_id", [str(row["id"]) for row in rows])
    for row in rows:
        attempts = [attempt_out(a) for a in row["attempt_log"]]
        by = [f"{a['actor']} at {a['at']:%Y-%m-%d %H:%M:%S} UTC" for a in resent[str(row["id"])]]
        by_position[row["position"]].append(SentOut(delivery_out(row), attempts, by))
    for step in steps:
        for event in step.events:
            event.sent = by_position.get(event.position, [])


def sent_lines(event) -> list[str]:
    """The support page's lines for one event's deliveries, each attempt on its own line; the
    first line says truthfully where the delivery stands (never "sent" when it was not)."""
    lines = []
    for sent in event.sent:
        delivery = sent.delivery
        lines.append(
            f"↳ To webmaster {delivery.webmaster} ({delivery.event}): {delivery.url}"
            f" — {standing(delivery, sent.attempt_log)}"
        )
        lines += [f"   resent by {by}" for by in sent.resent_by]
        lines += [f"   attempt {a.attempt}: {_answer(a)}" for a in sent.attempt_log]
    return lines


def standing(delivery, attempts) -> str:
    """queued, sending, failed (retry at …), received (HTTP 200), waiting (URL suspended), …"""
    last = attempts[-1] if attempts else None
    said = _said(last) if last else ""
    if delivery.state == "delivered":
        return f"received ({said})"
    if delivery.state == "cancelled":
        return "cancelled by an operator"
    if delivery.state == "failed":
        return f"failed for good ({said}) after {len(attempts)} attempt(s)"
    if delivery.state == "suspended":
        return "waiting: its URL is suspended"
    if last is None:
        return "queued"
    if last.outcome == "sending":
        return "sending"
    when = delivery.next_attempt_at
    retry = f", retry at {when:%Y-%m-%d %H:%M:%S} UTC" if when else ", retry now"
    return f"failed ({said}){retry}"


def _said(attempt) -> str:
    if attempt.outcome in ("sending", "unknown"):
        return "answer unknown" if attempt.outcome == "unknown" else "sending"
    return f"HTTP {attempt.http_status}" if attempt.http_status else attempt.error or "no answer"


def _answer(attempt) -> str:
    if attempt.outcome == "sending":
        return f"sending since {attempt.at:%Y-%m-%d %H:%M:%S} UTC"
    said = _said(attempt)
    retry = f", next try {attempt.next_attempt_at:%H:%M:%S} UTC" if attempt.next_attempt_at else ""
    return f"{said} in {attempt.duration_ms:.0f} ms at {attempt.at:%Y-%m-%d %H:%M:%S} UTC{retry}"
