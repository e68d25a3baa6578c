"""A webmaster's or advertiser's account: balances per bucket and currency, their course over
time as a chart drawn on the server, and the account's ledger entries, newest first, paged.

Every figure is as the holder reads it (see `app.support.views`): + grows what the webmaster has
earned or what the advertiser owes. The commission ledger's tables are read through their owner,
`projections.commission_ledger.reads`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from litestar import Controller, Request, get
from litestar.params import FromPath, FromQuery
from litestar.response import Template

from app.ledger.answers import amount_text
from app.support.chart import balance_chart, series_per_currency
from app.support.session import LoginRequired, page_context, read_cursor, require_login, to_login
from app.support.views import direction_of, signed
from domain.ledger import Bucket, holder_view
from projections.commission_ledger import reads

KINDS = ("webmaster", "advertiser")
PAGE = 50


@dataclass(frozen=True)
class AccountEntry:
    """One entry of the account's page: when, which lead, the holder's signed figure."""

    id: int
    at: datetime
    lead_id: str
    bucket: str
    shown: str
    direction: str
    stored: str
    currency: str
    reverses: bool
    rule_version: str
    restated: bool  # posted by a recalculation (a rebuild that repriced the lead)


def account_entry(account: str, row: dict) -> AccountEntry:
    seen = Decimal(amount_text(holder_view(account, row["amount"]), row["currency"]))
    return AccountEntry(
        row["id"], row["recorded_at"], str(row["lead_id"]), row["bucket"], signed(seen),
        direction_of(seen), amount_text(row["amount"], row["currency"]), row["currency"],
        row["reverses"],
        row["rule_version"], row["recalculation_id"] is not None,
    )  # fmt: skip


def balance_rows(balances: reads.Balances) -> list[dict]:
    """Per currency: each bucket's balance and their total, as text with its sign."""
    rows = []
    for currency, buckets in sorted(balances.items()):
        total = sum(buckets.values(), Decimal(0))
        shown = {bucket.value: _plain(buckets[bucket.value], currency) for bucket in Bucket}
        rows.append({"currency": currency, **shown, "total": _plain(total, currency)})
    return rows


def _plain(amount: Decimal, currency: str) -> str:
    """The amount in the currency's minor units; a minus only when it is below zero."""
    text = amount_text(abs(amount) if amount.is_zero() else amount, currency)
    return text.replace("-", "−")


class AccountController(Controller):
    """`/support/accounts/{webmaster|advertiser}/{id}`, behind the login."""

    path = "/support/accounts"
    guards = [require_login]
    exception_handlers = {LoginRequired: to_login}
    include_in_schema = False

    @get("/{kind:str}/{holder:str}", sync_to_thread=True)
    def account(
        self,
        request: Request,
        kind: FromPath[str],
        holder: FromPath[str],
        before: FromQuery[int | None] = None,
    ) -> Template:
        account = f"{kind}:{holder}"
        if kind not in KINDS or "\x00" in holder:
            return _not_found(request, kind, holder)
        with read_cursor(request) as cursor:
            balances = reads.balances_of(cursor, account)
            unit, points = reads.balance_series(cursor, account)
            where = reads.EntryFilter(account=account)
            rows = reads.entries_newest_first(cursor, where, before, PAGE + 1)
        if not balances and not rows:
            return _not_found(request, kind, holder)
        charts = [(one, balance_chart(one)) for one in series_per_currency(unit, points)]
        context = page_context(
            request, kind=kind, holder=holder, account=account, charts=charts,
            balances=balance_rows(balances), buckets=[bucket.value for bucket in Bucket],
            entries=[account_entry(account, row) for row in rows[:PAGE]],
            next_before=rows[PAGE - 1]["id"] if len(rows) > PAGE else None, paged=before,
        )  # fmt: skip
        return Template("account.html", context=context)


def _not_found(request: Request, kind: str, holder: str) -> Template:
    context = page_context(request, kind=kind, holder=holder, account=None)
    return Template("account.html", context=context, status_code=404)
