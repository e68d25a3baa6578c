"""The JSON shapes on the wire, as msgspec Structs: the contract with senders and staff."""

from __future__ import annotations

from datetime import datetime

import msgspec


class PostbackOk(msgspec.Struct):
    """A postback accepted (or idempotently repeated, or ignored): HTTP 200."""

    id: str
    position: int | None
    status: str = "ok"
    outcome: str = "changed"
    ignored: bool = False


class ErrorBody(msgspec.Struct):
    """Any refusal: `error` is a stable code, `message` plain words for a person."""

    error: str
    message: str
    status: str = "error"


class MoneyOut(msgspec.Struct):
    amount: str
    currency: str


class LeadOut(msgspec.Struct):
    """A lead as the lead view projection holds it."""

    id: str
    click: str | None
    exto: str | None
    flow: int
    offer: str
    advertiser: str
    webmaster: str
    goal: str
    status: str
    advertiser_payout: MoneyOut | None
    webmaster_commission: MoneyOut | None
    rule_version: str
    created_at: datetime
    updated_at: datetime
    version: int
    position: int
    hold_until: datetime | None = None  # when its hold rule ends the hold (None: not on one)
    after_hold: str | None = None  # what the lead becomes then


class PostbackOut(msgspec.Struct):
    """One stored postback with its outcome."""

    id: str
    position: int
    received_at: datetime
    endpoint: str
    method: str
    source_ip: str
    request_id: str
    outcome: str
    error: str | None
    message: str | None
    http_status: int
    lead_id: str | None
    params: dict[str, list[str]]
    resubmit_of: str | None = None
    resubmitted_by: str | None = None  # who re-submitted it (a person's or admin token's name)


class PostbackPage(msgspec.Struct):
    items: list[PostbackOut]
    next_cursor: int | None


class AccountDifference(msgspec.Struct):
    """What a rebuild would change in one account, in one currency, as its holder reads it."""

    account: str
    currency: str
    difference: str


class CatalogApplied(msgspec.Struct):
    """What applying a catalog file changed, and whether a rebuild is needed."""

    changes: list[str]
    catalog_version: int
    rebuild_needed: bool
    retroactive_rate_changes: list[str]
    # The recorded dry run (GET /api/recalculations/{id}) and the leads a rebuild would reprice.
    rebuild_preview: str | None = None
    leads_to_change: list[str] = []
    # How many leads, and per account and currency how much more (negative: less) its holder
    # reads once rebuilt, all buckets together.
    leads_to_reprice: int = 0
    # Leads whose amounts stay and only the rule version shown changes (a rebuild relabels them).
    leads_to_relabel: int = 0
    account_differences: list[AccountDifference] = []


class ResubmissionOut(msgspec.Struct):
    """The outcome of re-submitting a stored postback, linked to the original."""

    original_id: str
    postback_id: str
    outcome: str
    http_status: int
    lead_id: str | None
    position: int | None
    error: str | None
    message: str | None
