"""Entry point of `scripts/bench`: one run measures everything issue 5 asks for.

Order: seed, PostgreSQL's own baseline, the batched load with the lag probe, the same load with
batching off (LEDGER_MAX_BATCH=1), then a full rebuild from N events. Each load run gets a fresh
server process, so its peak memory is its own.
"""

from __future__ import annotations

import argparse
import os
import shlex
import shutil
import sys
import tempfile
from pathlib import Path

from . import baseline, deliveries, lag, load, rebuild, reconcile, report
from .environment import (
    ADMIN_TOKEN,
    ROOT,
    Database,
    Server,
    cpu_seconds,
    postgres_pid,
    projections_cpu_seconds,
    wait_for_projections,
)
from .seed import seed


def parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="scripts/bench",
        description="Benchmark the postback write path as deployed: a real granian server, "
        "PostgreSQL (embedded in a fresh /tmp folder, or a fresh database on DATABASE_URL), "
        "wrk over loopback. Prints the figures and writes bench-results/<time>.json.",
    )
    parser.add_argument(
        "--quick", action="store_true", help="short runs, 200k-event rebuild (~3 min)"
    )
    parser.add_argument(
        "--seconds", type=int, help="length of each load run (default 30; quick 12)"
    )
    parser.add_argument(
        "--connections", type=int, default=64, help="concurrent senders (default 64)"
    )
    parser.add_argument(
        "--workers",
        type=int,
        default=None,
        help="HTTP worker processes (default: as deployed, one per CPU)",
    )
    parser.add_argument(
        "--max-batch",
        type=int,
        default=None,
        help="LEDGER_MAX_BATCH of the batched run (default: the service's)",
    )
    parser.add_argument(
        "--events", type=int, help="events to rebuild from (default 1,000,000; quick 200,000)"
    )
    parser.add_argument(
        "--leads",
        type=int,
        default=20_000,
        help="seeded leads that status changes target (default 20,000)",
    )
    parser.add_argument(
        "--baseline-seconds", type=int, help="length of each pgbench run (default 10; quick 5)"
    )
    parser.add_argument(
        "--projections",
        choices=["process", "workers"],
        default="process",
        help="where the read models run: 'process' (as deployed) one process of their own beside"
        " the workers, 'workers' a runner thread inside each worker",
    )
    parser.add_argument(
        "--log-level",
        default=None,
        help="LEDGER_LOG_LEVEL of the server (default: as deployed, INFO: a log line per refused"
        " postback, none per accepted one)",
    )
    parser.add_argument("--no-naive", action="store_true", help="skip the run with batching off")
    parser.add_argument(
        "--deliveries",
        action="store_true",
        help="one more batched run with every webmaster's postbacks sent to a local receiver:"
        " deliveries/s, commit-to-receipt p50/p99, queue depth, postbacks/s against batched",
    )
    parser.add_argument("--no-rebuild", action="store_true", help="skip the rebuild measurement")
    parser.add_argument(
        "--only-rebuild",
        action="store_true",
        help="measure the rebuild alone: no baseline, no naive run; one short load (--seconds,"
        " default 5 here) makes the log that is grown to --events",
    )
    parser.add_argument(
        "--only-reconcile",
        action="store_true",
        help="measure `postback-ledger reconcile` alone on generated statements of --lines/10 "
        "and --lines lines (time and peak memory of each)",
    )
    parser.add_argument(
        "--lines", type=int, default=100_000, help="statement lines to reconcile (default 100,000)"
    )
    parser.add_argument(
        "--out",
        type=Path,
        default=ROOT / "bench-results",
        help="folder for the JSON (default bench-results/)",
    )
    args = parser.parse_args(argv)
    if args.only_rebuild:
        args.no_naive, args.no_rebuild = True, False
    args.seconds = args.seconds or (5 if args.only_rebuild else 12 if args.quick else 30)
    args.events = args.events or (200_000 if args.quick else 1_000_000)
    args.baseline_seconds = args.baseline_seconds or (5 if args.quick else 10)
    return args


def only_reconcile(args, argv: list[str]) -> int:
    database = Database.open()
    folder = Path(tempfile.mkdtemp(prefix="plb-reco-", dir="/tmp"))
    results: dict = {"command": " ".join(["scripts/bench", *map(shlex.quote, argv)]),
                     "machine": report.machine(), "database": database.describe()}  # fmt: skip
    try:
        results["reconcile"] = reconcile.measure(database.address, folder, args.lines)
    finally:
        database.close()
        shutil.rmtree(folder, ignore_errors=True)
    path = report.write(results, args.out)
    print()
    print(reconcile.text(results["reconcile"]))
    print(f"\nfigures written to {path}")
    return 0


def run_load(
    args, database: Database, seeded, name: str, max_batch: int | None, run: int, send=False
) -> dict:
    folder = Path(tempfile.mkdtemp(prefix="plb-run-", dir="/tmp"))
    receiver = deliveries.Receiver() if send else None
    env = deliveries.ENV if send else None
    server = Server.start(database, args.workers, max_batch, folder, args.projections, env)
    postgres = postgres_pid(database)
    sent = None
    try:
        if receiver is not None:
            deliveries.configure(server.base, ADMIN_TOKEN, receiver.port)
        caught_up = wait_for_projections(database)
        cpu_before = _cpu(server.process.pid, postgres)
        probe, lags = lag.start(server.port, database.address, args.seconds)
        result = load.drive(
            server.base, args.seconds, args.connections, seeded.with_lead, seeded.fresh[run], name
        )
        cpu = _cpu_per_postback(cpu_before, _cpu(server.process.pid, postgres), result)
        probe.join(args.seconds + 60)
        result_lag = lag.summarise(lags.recv() if lags.poll(5) else [])
        if probe.is_alive() or probe.exitcode:
            result_lag["probe_failed"] = f"alive={probe.is_alive()} exit={probe.exitcode}"
            probe.kill()
        if receiver is not None:
            sent = {"queue_depth_at_end_of_load": deliveries.queue_depth(database.address)}
            sent["drain_seconds"] = deliveries.drain(database.address)
            sent.update(deliveries.summarise(database.address, receiver.stop()))
    finally:
        server.stop()
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
        "cpu_ms_per_postback": cpu,
        "peak_rss_mb": {
            "largest_process": round(server.peak_rss_process / mb, 1),
            "all_processes": round(server.peak_rss_total / mb, 1),
        },
        "server_log": str(server.log_path),
        **({"deliveries": sent} if sent is not None else {}),
    }


def _cpu(server: int, postgres: int | None) -> dict[str, float]:
    """CPU seconds so far: all server processes, of them the read models' process, wrk, PG."""
    found = {
        "server": cpu_seconds(server),
        "of_it_projections": projections_cpu_seconds(server),
        "wrk": load.children_cpu_seconds(),
    }
    if postgres is not None:
        found["postgres"] = cpu_seconds(postgres)
    return found


def _cpu_per_postback(before: dict, after: dict, result: dict) -> dict[str, float]:
    count = max(1, result["acknowledged"])
    return {name: round((after[name] - before[name]) * 1000 / count, 3) for name in before}


def main(argv: list[str]) -> int:
    args = parse(argv)
    if args.only_reconcile:
        return only_reconcile(args, argv)
    runs = (1 if args.no_naive else 2) + args.deliveries
    database = Database.open()
    results: dict = {
        "command": " ".join(["scripts/bench", *map(shlex.quote, argv)]),
        "machine": report.machine(),
        "database": database.describe(),
        "connections": args.connections,
    }
    try:
        results["postgres"] = database.server_version()
        print("seeding catalog and clicks ...", flush=True)
        fresh = int(6000 * 0.4 * args.seconds)  # creations; when they run out, flow + exto
        seeded = seed(database.address, database.folder or Path("/tmp"), args.leads, fresh, runs)
        if not args.only_rebuild:
            print("measuring PostgreSQL's baseline ...", flush=True)
            results["baseline"] = baseline.measure(
                database.address, args.connections, args.baseline_seconds
            )
        print("batched run ...", flush=True)
        results["batched"] = run_load(args, database, seeded, "batched", args.max_batch, 0)
        if not args.no_naive:
            print("naive run (LEDGER_MAX_BATCH=1) ...", flush=True)
            results["naive"] = run_load(args, database, seeded, "naive", 1, 1)
        if args.deliveries:
            print("batched run sending postbacks to webmasters ...", flush=True)
            results["with_deliveries"] = run_load(
                args, database, seeded, "deliveries", args.max_batch, runs - 1, send=True
            )
        if "baseline" in results:
            results["ratios"] = ratios(results)
        if not args.no_rebuild:
            print(f"growing the store to {args.events:,} events ...", flush=True)
            events = rebuild.grow_to(database.address, args.events)
            print("live read models taking in the copied events ...", flush=True)
            results["live_catch_up"] = rebuild.catch_up_live(database.address)
            print("rebuilding ...", flush=True)
            results["rebuild"] = rebuild.measure(database.address, events)
    finally:
        database.close()
    path = report.write(results, args.out)
    print()
    print(report.text(results))
    print(f"\nfigures written to {path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}")
    return 0


def ratios(results: dict) -> dict:
    rate = results["batched"]["load"]["acknowledged_per_second"]
    found = {
        "postbacks_per_baseline_commit": round(
            rate / results["baseline"]["insert_commits_per_second"], 3
        )
    }
    if "with_deliveries" in results:
        found["with_deliveries_over_batched"] = round(
            results["with_deliveries"]["load"]["acknowledged_per_second"] / rate, 3
        )
    if "naive" in results:
        found["batched_over_naive"] = round(
            rate / results["naive"]["load"]["acknowledged_per_second"], 2
        )
    return found


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
