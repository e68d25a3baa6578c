"""The printable statement of one webmaster for one closed period, on the support page.

What support sends a webmaster who disputes a payment: per currency, what the account held when
the period opened, what moved (accrued, approved, reversed, clawed back, adjusted, paid), what it
held at the close, every change carried in from an earlier period with its cause, and the seal
that proves the figures are the ones closed.
"""

from __future__ import annotations

import msgspec
from litestar import Controller, Request, get
from litestar.params import FromPath
from litestar.response import Template

from app.periods.wire import StatementOut
from app.support.session import LoginRequired, page_context, read_cursor, require_login, to_login
from domain.ledger import webmaster_account
from domain.period_statements import BUCKETS
from projections.periods import reads


class StatementPage(Controller):
    """`/support/statements/{period}/{webmaster}`, behind the login."""

    path = "/support/statements"
    guards = [require_login]
    exception_handlers = {LoginRequired: to_login}
    include_in_schema = False

    @get("/{period:int}/{webmaster:str}", sync_to_thread=True)
    def statement(
        self, request: Request, period: FromPath[int], webmaster: FromPath[str]
    ) -> Template:
        account = webmaster_account(webmaster)
        with read_cursor(request) as cursor:
            closed = reads.period(cursor, period) if 0 < period < 2**31 else None
            rows = (
                [] if closed is None else reads.statements(cursor, period, account, None, None, 100)
            )
        items = [msgspec.json.decode(row["document"], type=StatementOut) for row in rows]
        context = page_context(
            request, period=closed, number=period, webmaster=webmaster, statements=items,
            buckets=BUCKETS,
        )  # fmt: skip
        return Template("statement.html", context=context, status_code=200 if items else 404)
