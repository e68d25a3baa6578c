"""Settling accepted statement lines: the statement's status and payout become lead events.

The events are the ordinary `Lead.StatusChanged` / `Lead.PayoutSet` (or `Lead.Created` for an
`only_in_statement` line accepted by its number), so every read model and the ledger treat them
as any change; what differs is their cause: `postback_id` is the statement line's own id
(`domain.identity.statement_line_id`) and `statement_line` names the reconciliation, the line
and the file. Leads are changed and saved here, not through the postback writer: a postback
racing a settlement collides on the lead's version and is decided again (see
`app.postbacks.aggregate_loading`); a settlement that collides is decided again here.

A line settles once: the chosen lines are locked while they are settled and marked settled in
the same transaction; a line the lead already agrees with settles with no event. A dry run
decides the same changes, answers what they would do to the balances, and saves nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from itertools import islice
from uuid import UUID

from eventsourcing.persistence import RecordConflictError

from app.eventstore.application import LedgerApplication
from app.reconciliation import store, turns
from app.reconciliation.forecast import Forecast
from app.reconciliation.leads import (
    Skip,
    bring_goal_to_line,
    bring_to_line,
    cancel_for_statement,
    create_from_line,
)
from domain.catalog_view import CatalogView
from domain.identity import statement_line_id
from domain.lead import Lead
from domain.reconciliation import LineClass

CHUNK = 500
_RETRIES = 5
BY_CLASS = {LineClass.VALUE_DIFFERS.value, LineClass.MATCHED.value,
            LineClass.ONLY_IN_LEDGER.value}  # fmt: skip
_MONEY_FIELDS = {"amount", "currency"}
_BY_NUMBER = {LineClass.AMBIGUOUS.value, LineClass.OUTSIDE_PERIOD.value}


class NotSettleable(Exception):
    def __init__(self, code: str, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.code, self.message, self.status = code, message, status


@dataclass
class Acceptance:
    classes: list[str] = field(default_factory=list)
    lines: list[int] = field(default_factory=list)
    dry_run: bool = False
    leads: dict[int, str] = field(default_factory=dict)  # line -> the lead an ambiguous one names


def accept(
    app: LedgerApplication, catalog: CatalogView, run_id: UUID, what: Acceptance, actor: str
) -> dict:
    _check_classes(what.classes)
    outcomes: list[dict] = []
    forecast = Forecast(catalog)
    # One time for the whole settlement, as a postback's is its arrival: a hold it starts runs
    # from here, not from the line's own time (when the lead happened, not when it was held).
    context = {"by": actor, "named": what.leads, "now": datetime.now(UTC)}
    with app.recorder.datastore.transaction(commit=not what.dry_run) as cursor:
        run = _run(cursor, run_id)
        turns.take(cursor, run["advertiser"], "accept", run_id)
        chosen = store.lines_to_settle(cursor, run_id, what.classes, what.lines)
        cancels = [r["line"] for r in chosen if r["class"] == LineClass.ONLY_IN_LEDGER
                   and r["settled_at"] is None]  # fmt: skip
        if not what.dry_run:
            _check_dry_run(chosen)
        rows = iter(chosen)
        while chunk := list(islice(rows, CHUNK)):
            settled = _settle_chunk(app, cursor, catalog, {**run, **context}, chunk,
                                    what.dry_run, forecast)  # fmt: skip
            outcomes += settled
            if not what.dry_run:
                done = {o["line"]: o for o in settled if o["outcome"] in ("settled", "unchanged")}
                store.mark_settled(cursor, run_id, done, actor)
        balances = forecast.balances(cursor)
    if what.dry_run and cancels:
        with app.recorder.datastore.transaction(commit=True) as cursor:
            store.mark_dry_run(cursor, run_id, cancels)
    return {"reconciliation_id": str(run_id), "dry_run": what.dry_run, "lines": outcomes,
            "balances": balances}  # fmt: skip


def _check_classes(classes: list[str]) -> None:
    for name in classes:
        if name in _BY_NUMBER:
            raise NotSettleable("line_by_line", f"{name} lines are settled only when accepted "
                                "by line number (\"lines\": [...])")  # fmt: skip
        if name == LineClass.ONLY_IN_STATEMENT:
            raise NotSettleable("line_by_line", "only_in_statement lines create leads: accept "
                                "them by line number (\"lines\": [...])")  # fmt: skip
        if name not in BY_CLASS:
            raise NotSettleable("not_settleable", f"class {name[:40]!r} cannot be accepted; "
                                "accept value_differs, matched or only_in_ledger, "
                                "or lines by number")  # fmt: skip


def _check_dry_run(rows: list[dict]) -> None:
    """An only_in_ledger line cancels a lead the statement does not even name, so it is done
    only after a dry run that held the line showed what it does to the balances."""
    unseen = [r["line"] for r in rows if r["class"] == LineClass.ONLY_IN_LEDGER
              and r["settled_at"] is None and r["dry_run_at"] is None]  # fmt: skip
    if unseen:
        shown = ", ".join(map(str, unseen[:10])) + (", …" if len(unseen) > 10 else "")
        raise NotSettleable("dry_run_required", f"{len(unseen)} only_in_ledger line(s) ({shown}) "
                            "would cancel leads without a dry run: accept the same selection with "
                            "\"dry_run\": true first, read it, then accept", 409)  # fmt: skip


def _run(cursor, run_id: UUID) -> dict:
    run = store.run_of(cursor, run_id)
    if run is None:
        raise NotSettleable("not_found", f"no reconciliation {run_id}", 404)
    if run["outcome"] != "reconciled":
        raise NotSettleable("refused_statement", "this statement was refused: nothing to accept")
    return run


def _settle_chunk(app, cursor, catalog, run, rows, dry_run, forecast: Forecast) -> list[dict]:
    """Decide the chunk's lines on fresh leads and save them; decide again on a collision."""
    for attempt in range(_RETRIES):
        source = _Loaded(app)
        decided = [_decide(source, catalog, run, row) for row in rows]
        changed = {a.id: a for _, aggregates in decided for a in aggregates}
        leads = [a for a in changed.values() if isinstance(a, Lead)]
        deltas = forecast.deltas(app, cursor, leads)
        if not dry_run:
            try:
                app.save(*changed.values())
            except RecordConflictError:
                if attempt == _RETRIES - 1:
                    raise
                continue
        forecast.add(deltas)
        return [outcome for outcome, _ in decided]
    return []


class _Loaded:
    """Aggregates read once per attempt, so two lines about one lead change the same object."""

    def __init__(self, app: LedgerApplication) -> None:
        self._app = app
        self._found: dict[UUID, object] = {}

    def get_or_none(self, aggregate_id: UUID):
        if aggregate_id not in self._found:
            self._found[aggregate_id] = self._app.get_or_none(aggregate_id)
        return self._found[aggregate_id]

    def remember(self, aggregates: list) -> None:
        self._found.update((a.id, a) for a in aggregates)


def _decide(source: _Loaded, catalog: CatalogView, run: dict, row: dict) -> tuple[dict, list]:
    outcome = {"line": row["line"], "class": row["class"], "lead_id": _text(row["lead_id"])}
    if row["settled_at"] is not None:
        lead_id = (row["settlement"] or {}).get("lead_id")
        return {**outcome, "lead_id": lead_id, "outcome": "already_settled"}, []
    cause = statement_line_id(run["id"], row["line"])
    origin = {"reconciliation": str(run["id"]), "line": row["line"], "file": run["file_name"],
              "by": run["by"]}  # fmt: skip
    try:
        if row["class"] == LineClass.ONLY_IN_STATEMENT:
            lead, aggregates, changes = create_from_line(source, catalog, run, row, cause, origin)
            outcome["lead_id"] = str(lead.id)
        elif row["class"] == LineClass.AMBIGUOUS:
            lead = source.get_or_none(_named_lead(run, row))
            outcome["lead_id"] = str(lead.id)
            changes = bring_to_line(lead, catalog, run["now"], row, cause, origin)
            aggregates = [lead] if changes else []
        elif row["class"] == LineClass.OUTSIDE_PERIOD and row["lead_id"] is None:
            lead, aggregates, changes = create_from_line(source, catalog, run, row, cause, origin)
            outcome["lead_id"] = str(lead.id)
        elif row["class"] in (LineClass.VALUE_DIFFERS, LineClass.OUTSIDE_PERIOD):
            lead = source.get_or_none(row["lead_id"])
            differing = {d["field"] for d in row["differences"] or ()}
            changes = bring_goal_to_line(lead, catalog, row, cause, origin) if (
                "goal" in differing) else []  # fmt: skip
            changes += bring_to_line(lead, catalog, run["now"], row, cause, origin,
                                     bool(differing & _MONEY_FIELDS))  # fmt: skip
            aggregates = [lead] if changes else []
        elif row["class"] == LineClass.ONLY_IN_LEDGER:
            lead = source.get_or_none(row["lead_id"])
            changes = cancel_for_statement(lead, cause, origin)
            aggregates = [lead] if changes else []
        else:
            raise Skip(f"a {row['class']} line has nothing to settle")
    except Skip as skip:
        return {**outcome, "outcome": "skipped", "reason": str(skip)}, []
    source.remember(aggregates)
    return {**outcome, "outcome": "settled" if changes else "unchanged",
            "changes": changes, "cause_id": str(cause)}, aggregates  # fmt: skip


def _named_lead(run: dict, row: dict) -> UUID:
    """The lead the user named for an ambiguous line; it must be one of the line's candidates."""
    named = run["named"].get(row["line"])
    choices = [c["lead_id"] for c in row["candidates"] or ()]
    if named is None:
        raise Skip("the line is ambiguous: name its lead in \"leads\" "
                   f"({{\"{row['line']}\": <lead id>}}), one of {', '.join(choices)}")  # fmt: skip
    if named not in choices:
        raise Skip(f"lead {named[:40]} is not one of the line's candidates: {', '.join(choices)}")
    return UUID(named)


def _text(value) -> str | None:
    return None if value is None else str(value)
