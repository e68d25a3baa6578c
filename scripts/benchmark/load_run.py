"""One load run of the bench on a fresh server, and what it measured.

The server starts for the run alone, so its peak memory is its own; around the closed-loop load
(`load.drive`) it samples CPU, the read models' lag and PostgreSQL's writes and commits, and, on
the batched run's server, the open-loop run; with `send` a receiver takes the webmasters'
postbacks and the same server is measured sending (`deliveries`).
"""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from pathlib import Path

from . import ab, cpu, deliveries, lag, load, open_loop, writes
from .environment import ADMIN_TOKEN, Database, Server, postgres_pid, wait_for_projections


def run_load(
    args, database: Database, seeded, name: str, max_batch: int | None, run: int, send=False,
    code: Path | None = None, extra_env: dict | None = None,
) -> dict:  # fmt: skip
    """One load run on a fresh server; `code`: a folder of app, domain, projections to serve
    instead of this checkout's (the A of an A/B); `extra_env`: settings of this run's server."""
    folder = Path(tempfile.mkdtemp(prefix="plb-run-", dir="/tmp"))
    receiver = deliveries.Receiver() if send else None
    env = {
        **(deliveries.ENV if send else {}), **(ab.environment(code) if code else {}),
        **(extra_env or {}),
    }  # fmt: skip
    try:
        server = Server.start(database, args.workers, max_batch, folder, args.projections, env)
    except BaseException:  # Ctrl-C or SIGTERM while it starts: its folder goes too
        shutil.rmtree(folder, ignore_errors=True)
        if receiver is not None:
            receiver.stop()
        raise
    postgres = postgres_pid(database)
    sent = None
    try:
        if receiver is not None:
            deliveries.configure(server.base, ADMIN_TOKEN, receiver.port)
        caught_up = wait_for_projections(database)
        written_before = writes.settled_sample(database.address.conninfo())  # catch-up's too
        committed_before = writes.commits(database.address.conninfo())
        cpu_before = cpu.sample(server.process.pid, postgres)
        probe, lags = lag.start(server.port, database.address, args.seconds)
        began = time.time()
        result = load.drive(
            server.base, args.seconds, args.connections, seeded.with_lead, seeded.fresh[run], name
        )
        window = deliveries.load_ended(began, database.address, receiver)
        cpu_after = cpu.sample(server.process.pid, postgres)
        spent = cpu.per_postback(cpu_before, cpu_after, result["acknowledged"])
        probe.join(args.seconds + 60)
        result_lag = lag.summarise(lags.recv() if lags.poll(5) else [])
        if probe.is_alive() or probe.exitcode:
            result_lag["probe_failed"] = f"alive={probe.is_alive()} exit={probe.exitcode}"
            probe.kill()
        wait_for_projections(database)
        written = writes.per_postback(  # the lag probe's postbacks wrote too
            written_before, writes.settled_sample(database.address.conninfo()),
            result["acknowledged"] + result_lag["samples"],
        )  # fmt: skip
        # Every commit of the run and of the read models' catch-up after it, per second of load.
        committed = writes.commits(database.address.conninfo()) - committed_before
        written["commits_per_second_of_load"] = round(committed / result["seconds"], 1)
        written["postbacks_per_commit"] = round(
            (result["acknowledged"] + result_lag["samples"]) / max(1, committed), 2
        )
        if receiver is not None:
            rate = args.deliveries_open_loop_rate  # the same server, sending, at a steady rate
            opening = lambda: open_loop.measure(server.port, rate, args.seconds, seeded.with_lead)  # noqa: E731
            sent = deliveries.measure(database.address, receiver, window, opening if rate else None)
        opened = _open_loop(args, database, server, seeded) if name == "batched" else None
    finally:
        if receiver is not None:  # the next run's server must not send to this run's receiver
            deliveries.configure(server.base, ADMIN_TOKEN, None)
        server.stop()
        shutil.rmtree(folder, ignore_errors=True)
        if receiver is not None and sent is None:
            receiver.stop()
    mb = 1024 * 1024
    return {
        "max_batch": max_batch or "default",
        "workers": args.workers or os.cpu_count(),
        "projections": args.projections,
        "load": result,
        "lag": result_lag,
        "projections_caught_up_before_run_seconds": caught_up,
        "cpu_ms_per_postback": spent,
        "postgres_writes_per_postback": written,
        "peak_rss_mb": {
            "largest_process": round(server.peak_rss_process / mb, 1),
            "all_processes": round(server.peak_rss_total / mb, 1),
        },
        "server_log": str(server.log_path),
        **({"deliveries": sent} if sent is not None else {}),
        **({"open_loop": opened} if opened else {}),
    }


def _open_loop(args, database: Database, server: Server, seeded) -> dict | None:
    """On the batched run's server once its read models have caught up: a constant rate."""
    if not args.open_loop_rate:
        return None
    wait_for_projections(database)
    print(f"open-loop run at {args.open_loop_rate:,.0f} postbacks/s ...", flush=True)
    return open_loop.measure(server.port, args.open_loop_rate, args.seconds, seeded.with_lead)
