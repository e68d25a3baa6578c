"""Reconciling one uploaded statement: read it, match it against the lead view, store the result.

All of it happens in one transaction, so a statement that fails halfway (a bad amount on line
80,000) leaves nothing behind; only the refusal is then stored, in a transaction of its own.
Lines are read, matched and copied in chunks: each chunk looks up just the leads its lines
name (by exto and by click, both indexed), so memory stays flat whatever the file's length.
Duplicates and the leads no line found are then settled in SQL over the stored lines.

Matching reads the lead view (a projection), so a postback accepted a moment ago may not be
seen yet; settling (`app.reconciliation.settling`) always decides on the leads themselves.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from itertools import islice
from typing import BinaryIO
from uuid import UUID

import psycopg
from eventsourcing.persistence import OperationalError

from app.eventstore.application import LedgerApplication
from app.reconciliation import staging, store, turns
from app.reconciliation.cancelling import Cancel, Cancelled
from app.reconciliation.parsing import Statement, StatementError
from domain.catalog_view import CatalogView
from domain.identity import time_ordered_id
from domain.money import Money
from domain.reconciliation import LedgerLead, Tolerances, Verdict, classify, duplicate_key
from domain.statement import NO_MAPPING, MappingError, StatementLine, StatementMapping
from domain.statuses import Status
from projections.lead_view.statement_leads import leads_named

CHUNK = 1_000


@dataclass(frozen=True)
class Upload:
    """What the uploader asked for. Without `mapping` the file is read with our own column
    names: the advertiser's remembered mapping is applied only when `use_remembered` asks."""

    advertiser: str
    start: datetime
    end: datetime
    actor: str
    file_name: str = "statement.csv"
    mapping: str | None = None
    tolerances: Tolerances = field(default_factory=Tolerances)
    use_remembered: bool = False


class Refused(Exception):
    """A statement refused as a whole; `reconciliation_id` names the stored refusal."""

    def __init__(self, error: StatementError, reconciliation_id: UUID) -> None:
        super().__init__(error.message)
        self.error = error
        self.reconciliation_id = reconciliation_id


def reconcile(
    app: LedgerApplication,
    catalog: CatalogView,
    upload: Upload,
    file: BinaryIO,
    progress: Callable[[int], None] | None = None,
    cancel: Cancel | None = None,
) -> tuple[UUID, dict]:
    """(id, summary) of the stored reconciliation; raises Refused after storing the refusal,
    Busy when the advertiser's turn is taken, Cancelled when `cancel` stopped it."""
    cancel = cancel or Cancel()
    digest, size = _digest(file)
    run = _run_row(upload, digest, size)
    datastore = app.recorder.datastore
    with datastore.transaction(commit=True) as cursor:  # apart: DDL locks last to the commit
        store.create_tables(cursor)
    remembered = None
    try:
        with datastore.transaction(commit=True) as cursor:
            cancel.watch(cursor.connection)
            turns.take(cursor, upload.advertiser, "upload", run["id"])
            remembered = store.mapping_of(cursor, upload.advertiser)
            mapping = _mapping(upload, remembered)
            statement = Statement(file, mapping, catalog, progress).open()
            store.insert_run(cursor, {**run, "header": statement.header,
                                      "mapping": mapping.to_text()})  # fmt: skip
            staging.create(cursor)
            _match_lines(cursor, run["id"], statement, catalog, upload, cancel)
            staging.finish(cursor, run["id"], upload.advertiser, upload.start, upload.end)
            cancel.check()
            summary = store.summary_of(cursor, run["id"])
            store.set_summary(cursor, run["id"], summary)
            if upload.mapping is not None:
                store.remember_mapping(cursor, upload.advertiser, mapping.to_text(), upload.actor)
    except StatementError as error:
        _hint_remembered(error, upload, remembered)
        store_refusal(app, upload, error, run)
        raise Refused(error, run["id"]) from None
    except (psycopg.errors.QueryCanceled, OperationalError) as error:
        cause = error if isinstance(error, psycopg.Error) else error.__cause__
        if not isinstance(cause, psycopg.errors.QueryCanceled):
            raise
        raise Cancelled("the reconciliation's query was cancelled; nothing was stored") from None
    return run["id"], summary


def _digest(file: BinaryIO) -> tuple[str, int]:
    sha, size = hashlib.sha256(), 0
    while chunk := file.read(1 << 20):
        sha.update(chunk)
        size += len(chunk)
    file.seek(0)
    return sha.hexdigest(), size


def _run_row(upload: Upload, digest: str, size: int) -> dict:
    return {
        "id": time_ordered_id(),
        "advertiser": upload.advertiser,
        "period_from": upload.start,
        "period_to": upload.end,
        "file_name": upload.file_name,
        "sha256": digest,
        "size": size,
        "mapping": upload.mapping or "",
        "amount_tolerance": upload.tolerances.amount,
        "time_tolerance_seconds": int(upload.tolerances.time.total_seconds()),
        "actor": upload.actor,
        "created_at": datetime.now(UTC),
        "outcome": "reconciled",
    }


def _mapping(upload: Upload, remembered: str | None) -> StatementMapping:
    text = upload.mapping
    if text is None and upload.use_remembered:
        if not remembered:
            raise StatementError("invalid_mapping", f"advertiser {upload.advertiser[:40]!r} has "
                                 "no remembered mapping: give the mapping")  # fmt: skip
        text = remembered
    try:
        return StatementMapping.parse(text) if text else NO_MAPPING
    except MappingError as error:
        raise StatementError("invalid_mapping", str(error)) from None


def _hint_remembered(error: StatementError, upload: Upload, remembered: str | None) -> None:
    """A file refused without any mapping may be one the remembered mapping reads: say so."""
    if upload.mapping is None and not upload.use_remembered and remembered:
        error.message += (f" (no mapping was given; {upload.advertiser[:40]}'s remembered one is "
                          f"{remembered[:300]!r}: send it as mapping, or use_remembered_mapping="
                          "true)")  # fmt: skip


def store_refusal(
    app: LedgerApplication, upload: Upload, error: StatementError, run: dict | None = None
) -> UUID:
    """Store that (and why) a statement was refused; its lines are not kept."""
    run = run or _run_row(upload, "", 0)
    refusal = {"error": error.code, "message": error.message, "line": error.line,
               "column": error.column}  # fmt: skip
    with app.recorder.datastore.transaction(commit=True) as cursor:
        store.create_tables(cursor)
        store.insert_run(cursor, {**run, "outcome": "refused", "refusal": refusal})
    return run["id"]


def _match_lines(cursor, run_id: UUID, statement: Statement, catalog, upload: Upload,
                 cancel: Cancel) -> None:  # fmt: skip
    lines = statement.lines()
    goal_of = _goal_resolver(catalog)
    period = (upload.start, upload.end)
    while chunk := list(islice(lines, CHUNK)):
        cancel.check()
        by_exto, by_click = _candidates(cursor, upload.advertiser, [line for line, _ in chunk])
        verdicts = [(line, cells, classify(line, by_exto, by_click, upload.tolerances, goal_of,
                                           period)) for line, cells in chunk]  # fmt: skip
        rows = (_line_row(run_id, line, cells, verdict) for line, cells, verdict in verdicts)
        named = (lead.id for _, _, verdict in verdicts for lead in verdict.candidates)
        staging.copy(cursor, rows, named)


def _goal_resolver(catalog: CatalogView):
    def goal_of(offer: str, word: str) -> str | None:
        found = catalog.offers.get(offer)
        goal = found.resolve_goal(word) if found else None
        return goal.id if goal else word

    return goal_of


def _candidates(cursor, advertiser: str, lines: list[StatementLine]):
    extos = list({line.exto for line in lines if line.exto})
    clicks = list({line.click for line in lines if line.click})
    by_exto: dict[str, list[LedgerLead]] = defaultdict(list)
    by_click: dict[str, list[LedgerLead]] = defaultdict(list)
    for row in leads_named(cursor, advertiser, extos, clicks):
        lead = _ledger_lead(row)
        if lead.exto:
            by_exto[lead.exto].append(lead)
        if lead.click:
            by_click[lead.click].append(lead)
    return by_exto, by_click


def _ledger_lead(row: dict) -> LedgerLead:
    amount, currency = row["advertiser_amount"], row["advertiser_currency"]
    return LedgerLead(
        id=row["id"], exto=row["exto"], click=row["click"], flow=row["flow"], offer=row["offer"],
        goal=row["goal"], status=Status(row["status"]),
        payout=Money(amount, currency) if amount is not None and currency else None,
        created_at=row["created_at"],
    )  # fmt: skip


def _line_row(run_id: UUID, line: StatementLine, cells: dict, verdict: Verdict) -> tuple:
    differences = [
        {"field": d.field, "statement": d.statement, "ledger": d.ledger}
        for d in verdict.differences
    ]
    return (
        run_id, line.line, verdict.line_class.value,
        verdict.lead.id if verdict.lead else None, duplicate_key(line, verdict),
        line.exto, line.click, line.flow, line.status_word,
        line.status.value if line.status else None, line.amount, line.currency, line.time,
        line.goal, store.json_text(cells), store.json_text(differences) if differences else None,
        store.json_text([_candidate(lead) for lead in verdict.candidates])
        if verdict.candidates else None,
        line.skip_reason,
    )  # fmt: skip


def _candidate(lead: LedgerLead) -> dict:
    """An ambiguous line's candidate, as the user chooses among them."""
    payout = lead.payout
    return {"lead_id": str(lead.id), "offer": lead.offer, "flow": lead.flow, "goal": lead.goal,
            "status": lead.status.value, "created_at": lead.created_at.isoformat(),
            "amount": format(payout.amount, "f") if payout else None,
            "currency": payout.currency if payout else None}  # fmt: skip
