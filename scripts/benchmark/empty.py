"""The ceiling the postback path is measured against: an empty Litestar handler, same setup.

The same granian server (ASGI, the same worker count as `serve`), answering the two postback
paths with a constant JSON body, driven by the same wrk and Lua script as the postback runs.
Batched postbacks/s over its requests/s is a ratio that holds across machines (issue 16).
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from litestar import Litestar, get

from . import load, open_loop
from .environment import ROOT, Server, free_port, stop_group

_ANSWER = b'{"status":"ok"}'


@get(["/api/site/click.json", "/api/site/status.json"], media_type="application/json")
async def empty() -> bytes:
    return _ANSWER


@get("/schema/openapi.json", media_type="application/json", include_in_schema=False)
async def ready() -> bytes:
    return b"{}"


app = Litestar([empty, ready], openapi_config=None)


def measure(
    workers: int | None, seconds: int, connections: int, seeded, fresh, folder, open_rate=0.0
) -> dict:
    """Requests/s and latency of the empty handler under the postback runs' wrk load; with
    `open_rate`, the open-loop generator's own floor at that rate too."""
    port = free_port()
    command = [
        str(ROOT / ".venv/bin/granian"), "--interface", "asgi", "--host", "127.0.0.1",
        "--port", str(port), "--workers", str(workers or os.cpu_count() or 1),
        "--no-access-log", "benchmark.empty:app",
    ]  # fmt: skip
    log_path = Path(folder) / f"empty-{port}.log"
    process = subprocess.Popen(
        command,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT / "scripts")},
        stdout=log_path.open("wb"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    server = Server(process, port, log_path)
    try:
        server._wait_until_ready()
        result = load.drive(server.base, seconds, connections, seeded, fresh, "empty")
        floor = open_loop.measure(port, open_rate, seconds, seeded) if open_rate else None
    finally:
        stop_group(process)
    return {
        "workers": workers or os.cpu_count(),
        "requests_per_second": round(result["requests"] / result["seconds"], 1),
        "latency_ms": result["latency_ms"],
        "codes": result["codes"],
        **({"open_loop": floor} if floor else {}),
    }
