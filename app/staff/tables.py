"""Creating the staff room's tables (`staff`, `actions`) when the service or a command opens."""

from __future__ import annotations

from app.staff import actions, store


def create_staff_tables(ledger) -> None:
    """Called under the schema lock of `Services.open`, beside the event store's own tables."""
    with ledger.recorder.datastore.transaction(commit=True) as cursor:
        store.create_tables(cursor)
        actions.create_tables(cursor)
