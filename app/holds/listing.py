"""The running holds as people read them: a page soonest first, sums per webmaster and currency,
and one lead's hold. Shared by `GET /api/holds`, `postback-ledger holds due` and the lead reads.

A page's cursor is the last row's (due_at, lead id), opaque to the caller.
"""

from __future__ import annotations

import base64
import os
from datetime import date, datetime, time
from uuid import UUID
from zoneinfo import ZoneInfo

import msgspec

from app.wire import LeadOut, MoneyOut
from domain.hold_rules import HoldTerms
from domain.lead import Lead
from domain.money import Money
from domain.statuses import Status
from projections.eventlog.events import events_of
from projections.holds import reads
from projections.holds.reads import HoldFilter


class BadCursor(ValueError):
    """A cursor this service did not give out."""


class HoldOut(msgspec.Struct):
    lead_id: str
    hold_until: datetime
    after_hold: str
    rule: str
    hold_for: str
    catalog_version: int
    started_at: datetime
    webmaster: str
    advertiser: str
    offer: str
    goal: str
    webmaster_commission: MoneyOut | None
    description: str


class HoldSum(msgspec.Struct):
    webmaster: str
    currency: str | None
    after_hold: str
    holds: int
    webmaster_commission: str | None


class HoldPage(msgspec.Struct):
    items: list[HoldOut]
    sums: list[HoldSum]
    next_cursor: str | None


def hold_page(services, where: HoldFilter, cursor: str | None, limit: int) -> HoldPage:
    after = decode_cursor(cursor) if cursor else None
    with services.ledger.recorder.datastore.transaction(commit=False) as db:
        if not reads.present(db):
            return HoldPage([], [], None)
        rows = reads.page(db, where, after, limit)
        sums = reads.sums(db, where)
    following = encode_cursor(rows[-1]) if len(rows) == limit else None
    return HoldPage([hold_out(row) for row in rows], [sum_out(s) for s in sums], following)


def hold_out(row: dict) -> HoldOut:
    terms = HoldTerms.from_event(row["terms"])
    return HoldOut(
        lead_id=str(row["lead_id"]),
        hold_until=row["due_at"],
        after_hold=row["after_hold"],
        rule=row["rule"],
        hold_for=row["hold_for"],
        catalog_version=row["catalog_version"],
        started_at=row["started_at"],
        webmaster=row["webmaster"],
        advertiser=row["advertiser"],
        offer=row["offer"],
        goal=row["goal"],
        webmaster_commission=money_out(row["commission"], row["currency"]),
        description=terms.on_hold_words(),
    )


def money_out(amount, currency: str | None) -> MoneyOut | None:
    if amount is None or currency is None:
        return None
    return MoneyOut(**Money(amount, currency).to_wire())


def sum_out(row: dict) -> HoldSum:
    total = row["commission"]
    return HoldSum(
        webmaster=row["webmaster"],
        currency=row["currency"],
        after_hold=row["after_hold"],
        holds=row["holds"],
        webmaster_commission=money_out(total, row["currency"]).amount
        if total is not None
        else None,
    )


def encode_cursor(row: dict) -> str:
    raw = f"{row['due_at'].isoformat()}|{row['lead_id']}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(text: str) -> tuple[datetime, UUID]:
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)).decode()
        due, lead = raw.split("|")
        return datetime.fromisoformat(due), UUID(lead)
    except ValueError as error:
        raise BadCursor("cursor is not one this service gave out") from error


def moment(text: str) -> datetime:
    """A user's date or time: a plain date is midnight in LEDGER_TIME_ZONE (default UTC)."""
    zone = ZoneInfo(os.environ.get("LEDGER_TIME_ZONE", "UTC"))
    if len(text.strip()) == 10:
        return datetime.combine(date.fromisoformat(text.strip()), time(), zone)
    found = datetime.fromisoformat(text.strip())
    return found if found.tzinfo else found.replace(tzinfo=zone)


def lead_hold(services, lead_id: UUID, version: int, db=None) -> HoldTerms | None:
    """The hold a lead is on as of its `version`, if a rule will end it; None otherwise.

    `db`: the cursor the lead was read with (a replica's, say), so its events come from there.
    """
    if db is None:
        with services.ledger.recorder.datastore.transaction(commit=False) as db:
            return lead_hold(services, lead_id, version, db)
    history = events_of(services.ledger, db, [lead_id])[lead_id]
    hold, status = None, None
    for positioned in history:
        event = positioned.event
        if event.originator_version > version:
            break
        if isinstance(event, (Lead.Created, Lead.StatusChanged)):
            hold, status = getattr(event, "hold", None), event.status
    return HoldTerms.from_event(hold) if hold and status == Status.HOLD else None


def with_hold(services, lead: LeadOut, db=None) -> LeadOut:
    """The lead with `hold_until` and `after_hold` of the hold it is on, if a rule ends it."""
    if lead.status != Status.HOLD:
        return lead
    terms = lead_hold(services, UUID(lead.id), lead.version, db)
    if terms is None:
        return lead
    return msgspec.structs.replace(lead, hold_until=terms.until, after_hold=terms.after_hold)
