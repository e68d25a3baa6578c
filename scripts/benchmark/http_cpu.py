"""The HTTP layer of the postback routes alone, against the empty handler: CPU µs per request.

`python -m benchmark.http_cpu [--requests N]` (PYTHONPATH=scripts; a ref's code first on
PYTHONPATH for its A). Both ASGI apps are called in-process, without a server or sockets: the
service as `create_app` builds it (middleware, routing, parsing, screening, answer), with the
group-commit writer replaced by an immediate answer, and the bench's empty handler
(`benchmark.empty`). The difference is what our HTTP layer adds per postback beyond Litestar's
minimum; granian's share is the same for both and is not in either figure. With the postback
fast path (`app.postbacks.fast_path`) the same app is also driven with the postback paths
routed by Litestar (`litestar_routes`): the lever's A and B in one process. The figures are the
event loop thread's CPU (the service's own threads, such as the projection runner, are not in
them), alternated `--rounds` times; each is the median of its rounds.
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import statistics
import tempfile
import time
from pathlib import Path
from uuid import uuid4

from app.eventstore.database import embedded_address, start_embedded
from app.main import create_app
from app.postbacks.processing import PostbackResult
from app.services import Services
from app.settings import Settings

from . import empty
from .seed import seed


def _scope(path: str, query: bytes) -> dict:
    return {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.3"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "root_path": "",
        "query_string": query,
        "headers": [(b"host", b"127.0.0.1"), (b"user-agent", b"wrk")],
        "client": ("127.0.0.1", 40000),
        "server": ("127.0.0.1", 8000),
        "state": {},
    }


async def _start(app) -> tuple[asyncio.Queue, asyncio.Task]:
    messages: asyncio.Queue = asyncio.Queue()
    started = asyncio.Event()
    await messages.put({"type": "lifespan.startup"})

    async def send(message: dict) -> None:
        if message["type"].startswith("lifespan.startup"):
            started.set()

    task = asyncio.create_task(
        app({"type": "lifespan", "asgi": {"version": "3.0"}}, messages.get, send)
    )
    await started.wait()
    return messages, task


async def _drive(app, clicks: list[str], count: int) -> float:
    async def receive() -> dict:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict) -> None:
        pass

    scopes = [
        _scope(
            "/api/site/status.json",
            f"token=7-s3cr3t&click={clicks[n % len(clicks)]}&status=hold".encode(),
        )
        for n in range(count)
    ]
    started = time.thread_time()
    for scope in scopes:
        await app(scope, receive, send)
    return (time.thread_time() - started) * 1e6 / count


async def _measure(address, folder: Path, count: int, rounds: int) -> dict:
    seeded = seed(address, folder, 2000, 0, 1)
    clicks = seeded.with_lead.read_text().split()
    settings = Settings(data_dir=folder, admin_tokens={"bench": "x" * 32}, pool_size=2)
    services = Services.open(settings, address)
    services.start()
    answer = PostbackResult(uuid4(), 200, "changed", uuid4(), 1)

    async def submit(request) -> PostbackResult:
        return answer

    services.writer.submit = submit  # the HTTP layer alone
    app = create_app(settings, services)
    targets = {"service": app, "empty_handler": empty.app}
    routed = getattr(app.asgi_handler, "routed", None)
    if routed is not None:  # the same code with the postback paths routed by Litestar
        targets["litestar_routes"] = litestar = create_app(settings, services)
        litestar.asgi_handler = routed_of(litestar)
    runs: dict[str, list[float]] = {name: [] for name in targets}
    started = []
    try:
        for target in (app, targets.get("litestar_routes")):
            if target is not None:
                started.append(await _start(target))
        for _ in range(rounds):
            for name, target in targets.items():
                await _drive(target, clicks, count // 10)  # warm
                runs[name].append(round(await _drive(target, clicks, count), 1))
        for messages, task in started:
            await messages.put({"type": "lifespan.shutdown"})
            await task
    finally:
        services.close()
    figures = {name: statistics.median(values) for name, values in runs.items()}
    return {
        "requests": count,
        "cpu_us_per_request": figures,
        "rounds": runs,
        "over_empty_us": {
            name: round(value - figures["empty_handler"], 1)
            for name, value in figures.items()
            if name != "empty_handler"
        },
    }


def routed_of(app):
    """The app's Litestar handler behind the postback fast path."""
    return app.asgi_handler.routed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=20_000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="plb-h-", dir="/tmp"))
    server = start_embedded(folder / "pg")
    try:
        print(asyncio.run(_measure(embedded_address(server), folder, args.requests, args.rounds)))
    finally:
        server.cleanup()
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
