"""An upload's work against its HTTP connection: stopped when the client leaves; its answers
when the advertiser's turn is taken (409) or the work was cancelled (409, never a 503)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import anyio
import msgspec
from litestar import Request, Response

from app.reconciliation.cancelling import Cancel, Cancelled
from app.reconciliation.turns import Busy

RETRY_AFTER = "5"


class BusyBody(msgspec.Struct, omit_defaults=True):
    """409 advertiser_busy: what runs for the advertiser now, so the client knows what it waits
    for (`GET /api/reconciliations/{running_id}` shows the upload once it is stored)."""

    error: str
    message: str
    running: str
    running_id: str | None = None
    running_since: str | None = None
    status: str = "error"


async def while_connected(request: Request, work: Callable[[], Any], cancel: Cancel) -> Any:
    """`work()` in a worker thread; if the client disconnects meanwhile, `cancel` is triggered
    (the thread stops at once and rolls back) and its Cancelled is raised here."""
    outcome: dict[str, Any] = {}

    async def watch() -> None:
        while (await request.receive())["type"] != "http.disconnect":
            pass
        cancel.trigger()

    async def run(group: anyio.abc.TaskGroup) -> None:
        try:
            outcome["value"] = await anyio.to_thread.run_sync(work)
        except Exception as error:  # handed to the caller below, outside the task group
            outcome["error"] = error
        group.cancel_scope.cancel()

    async with anyio.create_task_group() as group:
        group.start_soon(watch)
        group.start_soon(run, group)
    if "error" in outcome:
        raise outcome["error"]
    return outcome["value"]


def busy_answer(busy: Busy) -> Response:
    body = BusyBody("advertiser_busy", str(busy), busy.kind, busy.run_id,
                    busy.since.isoformat() if busy.since else None)  # fmt: skip
    return Response(msgspec.json.encode(body), status_code=409, media_type="application/json",
                    headers={"Retry-After": RETRY_AFTER})  # fmt: skip


def cancelled_answer(cancelled: Cancelled) -> Response:
    body = {"status": "error", "error": "reconciliation_cancelled", "message": str(cancelled)}
    return Response(msgspec.json.encode(body), status_code=409, media_type="application/json")
