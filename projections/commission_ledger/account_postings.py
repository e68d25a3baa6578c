"""Postings that move no lead's money: a payout, an invoice issued, a payment received.

Each is one posting that sums to zero per currency, like a lead's; the payout's or the invoice's
id stands in the `lead_id` column (there is no lead), and `event_type` says which it is:

- `Payout`: what we paid a webmaster. `webmaster:<id>` approved is debited (we owe less),
  `network` `paid` is credited (cash out).
- `Invoiced`: the advertiser's approved money of a closed period is billed. `advertiser:<id>`
  approved is credited by the invoice's total and its `invoiced` bucket debited: the advertiser
  owes as much as before, now as an invoice (approved is what is not billed yet).
- `PaymentReceived`: money received against an invoice. `advertiser:<id>` `invoiced` is credited
  (it owes less), `network` `received` is debited (cash in). As the network's holder reads its
  account (minus the sum), cash received reads negative there and cash paid out positive.

Worked example: lead L approved at 15.00 USD for adv-1; period closed; invoice 15.00 issued;
5.00 received. adv-1 then holds approved 0.00, invoiced 10.00 (what the invoice still wants),
and the network's `received` bucket +5.00 (debit).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from decimal import Decimal
from typing import Any
from uuid import UUID

import psycopg

from domain.invoice import Invoice
from domain.ledger import NETWORK, advertiser_account, webmaster_account
from domain.payout import Payouts

PAYOUT_EVENT = "Payout"
INVOICE_EVENT = "Invoiced"
RECEIPT_EVENT = "PaymentReceived"
ACCOUNT_EVENTS = (PAYOUT_EVENT, INVOICE_EVENT, RECEIPT_EVENT)
INVOICED, RECEIVED = "invoiced", "received"
POSTED = (Payouts.Paid, Invoice.Issued, Invoice.PaymentReceived)

Leg = tuple[str, str, Decimal]  # account, bucket, signed amount


def account_rows(
    cursor: psycopg.Cursor,
    events: Sequence[tuple[int, Any]],
    posting_of: Any,
    recalculation_id: UUID | None,
) -> list[tuple]:
    """Entry rows (the ledger's `ENTRY_COLUMNS`) for the payouts, invoices and payments among
    `events`; `posting_of(position)` names each posting as a lead's would be named."""
    mine = [(at, e) for at, e in events if isinstance(e, POSTED)]
    if not mine:
        return []
    billed = _invoices(cursor, [e for _, e in mine])
    rows: list[tuple] = []
    for at, event in mine:
        owner, event_type, currency, legs = _legs(event, billed)
        rows += _rows(posting_of(at), owner, at, event_type, currency, legs, event.timestamp)
    return [(*row, recalculation_id, row[-1], None) for row in rows]


def _legs(event: Any, billed: dict[UUID, tuple[str, str]]) -> tuple[UUID, str, str, list[Leg]]:
    if isinstance(event, Payouts.Paid):
        amount = Decimal(event.amount)
        wm = webmaster_account(event.webmaster)
        legs = [(wm, "approved", amount), (NETWORK, "paid", -amount)]
        return event.payout_id, PAYOUT_EVENT, event.currency, legs
    if isinstance(event, Invoice.Issued):
        total, account = Decimal(event.total), advertiser_account(event.advertiser)
        legs = [(account, "approved", -total), (account, INVOICED, total)] if total else []
        return event.originator_id, INVOICE_EVENT, event.currency, legs
    account, currency = billed[event.originator_id]
    amount = Decimal(event.amount)
    return (
        event.originator_id,
        RECEIPT_EVENT,
        currency,
        [(account, INVOICED, -amount), (NETWORK, RECEIVED, amount)],
    )


def _rows(
    posting: UUID,
    owner: UUID,
    at: int,
    event_type: str,
    currency: str,
    legs: Iterable[Leg],
    booked_at: Any,
) -> Iterator[tuple]:
    for account, bucket, signed in legs:
        yield (
            posting, owner, at, event_type, None, "", account, bucket, signed, currency, False,
            booked_at,
        )  # fmt: skip


def _invoices(cursor: psycopg.Cursor, events: list[Any]) -> dict[UUID, tuple[str, str]]:
    """The advertiser account and currency of each invoice a payment here is for: from an
    `Issued` in the same page, else from the invoice's booked posting."""
    billed = {
        e.originator_id: (advertiser_account(e.advertiser), e.currency)
        for e in events
        if isinstance(e, Invoice.Issued)
    }
    wanted = {
        e.originator_id for e in events if isinstance(e, Invoice.PaymentReceived)
    } - billed.keys()
    if wanted:
        rows = cursor.execute(
            "SELECT DISTINCT ON (lead_id) lead_id, account, currency FROM ledger_entries "
            "WHERE lead_id = ANY(%s) AND event_type = %s ORDER BY lead_id, id",
            (list(wanted), INVOICE_EVENT),
        ).fetchall()
        billed.update({r["lead_id"]: (r["account"], r["currency"]) for r in rows})
    return billed
