"""The ledger's leads while it applies events: as booked, and remembered between pages."""

from __future__ import annotations

from dataclasses import dataclass
from itertools import islice
from uuid import UUID

from domain.lead_state import LeadAmounts, LeadState
from domain.ledger import Position


@dataclass
class Booked:
    """One lead while a page is applied: its folded state, the position its entries book and
    the rule that priced that position (what a reversal of it is labelled with)."""

    state: LeadState | None
    position: Position | None
    amounts: LeadAmounts | None = None
    at: int = 0
    rule: str = ""


class BookedMemory:
    """The leads of recent pages as the ledger booked them, up to `size`, the oldest forgotten.

    Only for a projection that is the sole writer of its tables (a rebuild's fresh ones): a
    lead's next events mostly come soon after its first, and finding it here saves reading and
    decoding its row. Live tables can change under the runner (a rebuild switches them), so the
    live projection keeps nothing (`size` 0).
    """

    def __init__(self, size: int) -> None:
        self._size = size
        self._leads: dict[UUID, Booked] = {}

    def take(self, ids: set[UUID]) -> dict[UUID, Booked]:
        """The remembered ones of these leads, forgotten here until `keep` gives them back."""
        leads = self._leads
        return {i: leads.pop(i) for i in ids if i in leads}

    def keep(self, booked: dict[UUID, Booked]) -> None:
        if not self._size:
            return
        self._leads.update(booked)
        excess = len(self._leads) - self._size
        if excess > 0:
            for lead in list(islice(self._leads, excess)):
                del self._leads[lead]
