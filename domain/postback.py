"""The Postback aggregate: one call of the postback URL as received, and what came of it.

Every call is stored, accepted or not, so support staff can answer "what did we receive and what
did it do?". An accepted postback is saved in the same transaction as the lead events it caused,
so neither exists without the other. Token secrets are masked before they get here.
"""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from domain.identity import time_ordered_id


class Outcome:
    """What a postback did. Plain strings: they are stored in events and shown in the log."""

    CREATED = "created"  # a new lead
    CHANGED = "changed"  # events appended to an existing lead
    DUPLICATE = "duplicate"  # repeat of a creation: answered with the existing lead
    UNCHANGED = "unchanged"  # nothing to change: the lead already says so
    IGNORED = "ignored"  # a non-final status for a lead in a final status
    REJECTED = "rejected"  # refused with an error code; nothing changed


class Postback(Aggregate):
    """A received postback; its single event is the permanent record of the call."""

    class Received(Aggregate.Created):
        endpoint: str
        method: str
        params: dict[str, list[str]]
        source_ip: str
        received_at: datetime
        request_id: str
        outcome: str
        error: str | None
        message: str | None
        http_status: int
        lead_id: UUID | None
        resubmit_of: UUID | None

    @event(Received)
    def __init__(
        self,
        id: UUID,  # noqa: A002 - given, not generated: see domain.identity
        endpoint: str,
        method: str,
        params: dict[str, list[str]],
        source_ip: str,
        received_at: datetime,
        request_id: str,
        outcome: str,
        error: str | None,
        message: str | None,
        http_status: int,
        lead_id: UUID | None,
        resubmit_of: UUID | None = None,
    ) -> None:
        self.endpoint = endpoint
        self.method = method
        self.params = params
        self.source_ip = source_ip
        self.received_at = received_at
        self.request_id = request_id
        self.outcome = outcome
        self.error = error
        self.message = message
        self.http_status = http_status
        self.lead_id = lead_id
        self.resubmit_of = resubmit_of

    @staticmethod
    def new_id() -> UUID:
        return time_ordered_id()
