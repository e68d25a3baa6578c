"""A lead's own downloads from its support page: its history and its ledger entries, as CSV.

The page used to link "history exports" to the export of every lead of the lead's advertiser;
these are scoped to the one lead. The entries CSV keeps the ledger's stored, debit-positive
`amount` (the contract of `/api/exports/ledger`) and adds `holder_amount`, the figure the page
shows (+ grows the holder's balance), so the download and the page never disagree unexplained.
"""

from __future__ import annotations

from collections.abc import Iterator
from uuid import UUID

from litestar import Controller, Request, get
from litestar.exceptions import NotFoundException
from litestar.params import FromPath
from litestar.response import Stream

from app.audit.answers import read_history
from app.audit.export_histories import HISTORY_COLUMNS, history_steps
from app.audit.export_routes import ENTRY_COLUMNS
from app.audit.exports import csv_rows
from app.support.session import LoginRequired, read_cursor, require_login, to_login
from domain.ledger import holder_view
from projections.commission_ledger import reads
from projections.periods.reads import entry_periods

CSV = "text/csv"  # Litestar adds "; charset=utf-8" itself (naming it here too sent it twice)


class LeadDownloads(Controller):
    """`/support/leads/{id}/history.csv` and `/support/leads/{id}/entries.csv`."""

    path = "/support/leads"
    guards = [require_login]
    exception_handlers = {LoginRequired: to_login}
    include_in_schema = False

    @get("/{lead_id:uuid}/history.csv", sync_to_thread=True)
    def history(self, request: Request, lead_id: FromPath[UUID]) -> Stream:
        found = read_history(request.app.state.services, lead_id)
        if found is None:
            raise NotFoundException(f"lead {lead_id} is not known")
        content = csv_rows(history_steps([found]), HISTORY_COLUMNS)
        return _download(content, f"lead-{lead_id}-history.csv")

    @get("/{lead_id:uuid}/entries.csv", sync_to_thread=True)
    def entries(self, request: Request, lead_id: FromPath[UUID]) -> Stream:
        with read_cursor(request) as cursor:
            rows = reads.entries_of_lead(cursor, lead_id)
            periods = entry_periods(cursor)
        shown = [
            {
                **row,
                **periods.keys_of(row),
                "holder_amount": holder_view(row["account"], row["amount"]),
            }
            for row in rows
        ]
        content = csv_rows(shown, [*ENTRY_COLUMNS, "holder_amount"])
        return _download(content, f"lead-{lead_id}-entries.csv")


def _download(content: Iterator[bytes], name: str) -> Stream:
    disposition = {"Content-Disposition": f'attachment; filename="{name}"'}
    return Stream(content, media_type=CSV, headers=disposition)
