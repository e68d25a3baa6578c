"""Releasing the holds that are due, a page at a time, each exactly once.

A page is the due rows of `holds` (soonest first); their leads are read from the event store in
one query and decided by `domain.hold_release.release` against their newest events, and every
release of the page is saved in one transaction. The store's unique (lead, version) is the
guard: if any lead of the page moved meanwhile (a postback, another follower), the save fails
whole and the page is decided again lead by lead, each against what won. So a kill -9 in the
middle of a page leaves it all saved or none of it, and whatever is left is released by the next
pass; nothing is released twice.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable
from datetime import datetime
from uuid import UUID

from eventsourcing.persistence import RecordConflictError

from app.eventstore.application import LedgerApplication
from domain.hold_release import Released, release
from domain.lead import Lead
from projections.holds import reads
from projections.holds.histories import Histories

log = logging.getLogger(__name__)

_CONFLICT_RETRIES = 5


class Releaser:
    """Decides and saves the releases of due holds; `release_page` does one page."""

    def __init__(
        self,
        app: LedgerApplication,
        page_size: int = 1000,
        before_save: Callable[[list[Lead]], None] | None = None,
    ) -> None:
        self._app = app
        self._histories = Histories(app)
        self._page_size = page_size
        self._before_save = before_save  # tests stand a crash or a racing postback here

    def due(self, now: datetime, after: tuple[datetime, UUID] | None = None) -> list[dict]:
        with self._app.recorder.datastore.transaction(commit=False) as cursor:
            return reads.due(cursor, now, self._page_size, after)

    def release_page(self, rows: list[dict], now: datetime) -> Counter[str]:
        """What deciding each row did (`Released` values), all saved when this returns."""
        leads = self._leads([row["lead_id"] for row in rows])
        outcomes: Counter[str] = Counter()
        changed = []
        for row in rows:
            lead = leads.get(row["lead_id"])
            outcome = Released.SUPERSEDED if lead is None else release(lead, row["terms"], now)
            outcomes[outcome] += 1
            if outcome is Released.RELEASED:
                changed.append(lead)
        if not changed:
            return outcomes
        try:
            self._save(changed)
        except RecordConflictError:
            log.info("a lead of a page of %d releases moved; deciding them one by one", len(rows))
            return self._one_by_one(rows, now)
        return outcomes

    def _one_by_one(self, rows: list[dict], now: datetime) -> Counter[str]:
        outcomes: Counter[str] = Counter()
        for row in rows:
            outcomes[self._release_alone(row["lead_id"], row["terms"], now)] += 1
        return outcomes

    def _release_alone(self, lead_id: UUID, terms: dict, now: datetime) -> Released:
        for _ in range(_CONFLICT_RETRIES):
            lead = self._app.get_or_none(lead_id)
            outcome = Released.SUPERSEDED if lead is None else release(lead, terms, now)
            if outcome is not Released.RELEASED:
                if outcome is Released.SUPERSEDED:
                    log.info("hold of lead %s ended by another change before its release", lead_id)
                return outcome
            try:
                self._save([lead])
                return outcome
            except RecordConflictError:
                log.info("lead %s changed while its hold was released; deciding again", lead_id)
        raise RecordConflictError(f"lead {lead_id} kept changing under its release")

    def _save(self, leads: list[Lead]) -> None:
        if self._before_save is not None:
            self._before_save(leads)
        self._app.save(*leads)

    def _leads(self, ids: list[UUID]) -> dict[UUID, Lead]:
        """Each lead rebuilt from all its events, read in one query."""
        with self._app.recorder.datastore.transaction(commit=False) as cursor:
            histories = self._histories.read(cursor, ids)
        found = {}
        for lead_id, history in histories.items():
            lead = None
            for event in history:
                lead = event.mutate(lead)
            if isinstance(lead, Lead):
                found[lead_id] = lead
        return found
