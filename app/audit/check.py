"""`postback-ledger audit check`: the invariants that must hold in production, checked at once.

Everything is read in one REPEATABLE READ, read-only transaction, so the event store, the read
models and their tracking positions are one consistent snapshot while the service keeps writing.
A read model is compared with the events up to its own tracking position: a projection that lags
is not a violation, one that says something the events do not is.

Checks (each violation is one line of the report):
- the lead view equals the fold of each lead's events, priced with the current catalog;
- every stored postback is in the postback log, and the log holds nothing else;
- no two leads share a (click, exto) or (flow, exto) pair;
- when the commission ledger exists: entries sum to zero per currency, overall and per posting;
  balances equal the sums of the entries; each lead's entries add up to the position its folded
  events book (`app.audit.ledger_invariants`);
- closed periods: their sealed statements equal the statements their entries give
  (`app.periods.seals.statement_problems`).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from uuid import UUID

import psycopg
from psycopg import sql
from psycopg.rows import dict_row

from app.eventstore.application import LedgerApplication
from app.eventstore.database import DatabaseAddress
from app.periods.seals import statement_problems
from domain.lead_state import LeadState, fold
from projections.commission_ledger.invariants import ledger_violations
from projections.lead_view.invariants import duplicate_lead_violations, lead_view_violations
from projections.postback_log.invariants import postback_log_violations
from projections.runner import tracked_position

LEAD_TOPICS = "domain.lead:Lead.%"
POSTBACK_TOPIC = "domain.postback:Postback.Received"
MAX_LINES_PER_CHECK = 50


@dataclass
class AuditReport:
    """What was checked, and every violation found (empty: all invariants hold)."""

    checked: dict[str, int] = field(default_factory=dict)
    violations: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.violations

    def lines(self) -> list[str]:
        counted = ", ".join(f"{what}: {n}" for what, n in self.checked.items())
        verdict = "all invariants hold" if self.ok else f"{len(self.violations)} violations"
        return [f"audit check: {verdict} ({counted})", *self.violations]

    def add(self, violations: list[str]) -> None:
        self.violations += violations[:MAX_LINES_PER_CHECK]
        if len(violations) > MAX_LINES_PER_CHECK:
            self.violations.append(f"... and {len(violations) - MAX_LINES_PER_CHECK} more")


def audit(address: DatabaseAddress, ledger: LedgerApplication) -> AuditReport:
    """Check every invariant on one snapshot of the database."""
    catalog = ledger.catalog_view()
    report = AuditReport()
    with psycopg.connect(address.conninfo(), row_factory=dict_row) as connection:
        connection.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
        connection.read_only = True
        with connection.transaction():
            snapshot = Snapshot(connection, ledger)
            if not snapshot.has_table("lead_view"):
                return report  # nothing has been projected yet: nothing to contradict
            view_at = snapshot.tracked("lead_view")
            folded = snapshot.fold_leads(view_at)
            report.checked["events"] = snapshot.events_read
            report.add(lead_view_violations(snapshot, folded, catalog, view_at))
            report.add(postback_log_violations(snapshot))
            report.add(duplicate_lead_violations(snapshot))
            if snapshot.has_table("ledger_entries"):
                ledger_at = snapshot.tracked("commission_ledger")
                states = folded if ledger_at == view_at else snapshot.fold_leads(ledger_at)
                report.add(ledger_violations(snapshot.cursor(), states, catalog, report.checked))
                report.add(statement_problems(ledger, snapshot.cursor()))
            report.checked["leads"] = len(folded)
    return report


class Snapshot:
    """Reads within the audit's transaction."""

    def __init__(self, connection: psycopg.Connection, ledger: LedgerApplication) -> None:
        self.connection = connection
        self._ledger = ledger
        self.events_read = 0

    def cursor(self) -> psycopg.Cursor:
        return self.connection.cursor()

    def rows(self, statement: sql.Composable | str, params: tuple = ()) -> list[dict]:
        return self.connection.execute(statement, params).fetchall()

    def has_table(self, table: str) -> bool:
        return self.rows("SELECT to_regclass(%s) IS NOT NULL AS present", (table,))[0]["present"]

    def tracked(self, name: str) -> int:
        return tracked_position(self.connection, name)

    def fold_leads(self, up_to: int) -> dict[UUID, LeadState]:
        states: dict[UUID, LeadState] = {}
        for event in self._lead_events(up_to):
            states[event.originator_id] = fold(states.get(event.originator_id), event)
        return states

    def _lead_events(self, up_to: int) -> Iterator[object]:
        from eventsourcing.persistence import StoredEvent

        statement = sql.SQL(
            "SELECT originator_id, originator_version, topic, state FROM {} "
            "WHERE topic LIKE %s AND notification_id <= %s ORDER BY notification_id"
        ).format(sql.Identifier(self._ledger.events_table))
        with self.connection.cursor(name="audit_lead_events") as cursor:
            cursor.itersize = 2000
            for row in cursor.execute(statement, (LEAD_TOPICS, up_to)):
                self.events_read += 1
                yield self._ledger.mapper.to_domain_event(
                    StoredEvent(
                        row["originator_id"],
                        row["originator_version"],
                        row["topic"],
                        bytes(row["state"]),
                    )  # fmt: skip
                )

    @property
    def events_table(self) -> sql.Identifier:
        return sql.Identifier(self._ledger.events_table)
