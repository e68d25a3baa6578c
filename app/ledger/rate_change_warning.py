"""After a catalog change: which leads a rebuild would reprice, for the admin answer and the CLI.

A rate that starts in the past asks for a rebuild; the operator is told at once which leads it
would change (a recorded dry run, `projections.rebuild.rate_change_preview`), once the ledger has
caught up with everything written before the change.
"""

from __future__ import annotations

from domain.catalog import CatalogChanges
from projections.commission_ledger.projection import PROJECTION_NAME
from projections.commission_ledger.recalculations import Recalculation
from projections.rebuild.rate_change_preview import preview_rate_changes
from projections.runner import wait_for_position


def preview_after_apply(
    services, changes: CatalogChanges, actor: str, catch_up: bool = False
) -> Recalculation | None:
    """The dry run of a retroactive change; `catch_up` runs the projections here first."""
    if not changes.retroactive_rate_changes:
        return None
    if catch_up:
        services.runner.catch_up()
    else:
        head = services.ledger.recorder.max_notification_id() or 0
        wait_for_position(
            services.ledger, PROJECTION_NAME, head, services.settings.projection_wait_seconds
        )
    return preview_rate_changes(
        services.ledger,
        changes.retroactive_rate_changes,
        services.catalog.refresh(),
        actor,
        changes.version_before,
    )
