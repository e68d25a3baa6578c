"""Entry point of `scripts/bench`: one run measures everything issues 5 and 16 ask for.

Order: seed, PostgreSQL's own baseline, an empty Litestar handler on the same server setup and
load (the ceiling), the batched load with the lag probe and then the open-loop run on the same
server, the same load with batching off (LEDGER_MAX_BATCH=1), with --nodes the multi-node run,
then a full rebuild from N events. Each load run gets a fresh server process, so its peak memory
is its own.
"""

from __future__ import annotations

import contextlib
import os
import shlex
import shutil
import signal
import sys
import tempfile
from pathlib import Path

from . import (
    ab,
    as_of,
    baseline,
    empty,
    holds,
    nodes,
    rebuild,
    reconcile,
    report,
    sender_levers,
)
from .environment import ROOT, Database
from .load_run import run_load
from .options import parse
from .seed import seed


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


def only_holds(args, argv: list[str]) -> int:
    database = Database.open()
    results: dict = {"command": " ".join(["scripts/bench", *map(shlex.quote, argv)]),
                     "machine": report.machine(), "database": database.describe()}  # fmt: skip
    try:
        print(f"seeding {args.holds:,} holds due at once ...", flush=True)
        results["holds"] = holds.measure(
            database, args.holds, args.open_loop_rate, args.seconds, args.workers
        )
    finally:
        database.close()
    path = report.write(results, args.out)
    print()
    print(holds.text(results["holds"]))
    print(f"\nfigures written to {path}")
    return 0


def end_servers_with_this_run() -> None:
    """A bench stopped with SIGTERM left its servers answering and its embedded PostgreSQL
    running: Python's default SIGTERM skips every `finally`, and a server in a session of its own
    outlived the bench. SIGTERM now tears down as Ctrl-C does, and each `serve` ends with the
    bench even after a kill -9 (`app.ops.lifeline`, as with a test run)."""
    from app.ops.lifeline import PARENT_ENV

    os.environ[PARENT_ENV] = str(os.getpid())
    signal.signal(signal.SIGTERM, _stop_like_ctrl_c)


def _stop_like_ctrl_c(signum: int, frame: object) -> None:
    raise KeyboardInterrupt(f"stopped by signal {signum}")


def main(argv: list[str]) -> int:
    args = parse(argv)
    end_servers_with_this_run()
    if args.only_reconcile:
        return only_reconcile(args, argv)
    if args.only_holds:
        return only_holds(args, argv)
    if args.only_as_of:
        return as_of.only(args, argv)
    plan = plan_runs(args)
    database = Database.open()
    results: dict = {
        "command": " ".join(["scripts/bench", *map(shlex.quote, argv)]),
        "machine": report.machine(),
        "database": database.describe(),
        "connections": args.connections,
    }
    with contextlib.ExitStack() as cleanup:  # the A's database dropped first, then the server
        cleanup.callback(database.close)
        results["postgres"] = database.server_version()
        print("seeding catalog and clicks ...", flush=True)
        fresh = int(6000 * 0.4 * args.seconds)  # creations; when they run out, flow + exto
        seeded = seed(
            database.address, database.folder or Path("/tmp"), args.leads, fresh, len(plan)
        )
        at_ref = ab.database(database) if args.ab_ref else None
        if at_ref is not None:
            cleanup.callback(at_ref.close)
        if not args.only_rebuild:
            print("measuring PostgreSQL's baseline ...", flush=True)
            results["baseline"] = baseline.measure(
                database.address, args.connections, args.baseline_seconds
            )
        if not args.no_empty and not args.only_rebuild:
            print("empty Litestar handler, same server setup and load ...", flush=True)
            results["empty_handler"] = empty.measure(
                args.workers, args.seconds, args.connections, seeded.with_lead,
                seeded.fresh[0], database.folder or Path("/tmp"), args.open_loop_rate,
            )  # fmt: skip
        load_runs(args, database, seeded, plan, results, at_ref)
        if args.sender_levers:
            print("the sender alone, lever by lever ...", flush=True)
            levers = sender_levers.measure(database, args.sender_deliveries, args.ab_ref, at_ref)
            results["sender_levers"] = levers
        if "baseline" in results:
            results["ratios"] = ratios(results)
        if not args.no_rebuild:
            found = rebuild.grow_and_measure(database.address, args.events)
            results["live_catch_up"], results["rebuild"] = found
            if at_ref is not None:  # in the A's own database, grown from its own load's log
                with ab.checkout(args.ab_ref) as code:
                    found = rebuild.grow_and_measure(at_ref.address, args.events, code, args.ab_ref)
                results["live_catch_up_at_ref"], results["rebuild_at_ref"] = found
                results["rebuild_at_ref"]["ref"] = args.ab_ref
            results["ratios"] = {**results.get("ratios", {}), **ab.rebuild_ratio(results)}
    path = report.write(results, args.out)
    print()
    print(report.text(results))
    print(f"\nfigures written to {path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}")
    return 0


def plan_runs(args) -> list[str]:
    """The load runs in order; each takes the fresh clicks file of its index."""
    optional = {
        "naive": not args.no_naive,
        "with_deliveries": args.deliveries,
        "deliveries_flat": args.deliveries and args.deliveries_flat,
        "at_ref": bool(args.ab_ref),
        "nodes": args.nodes > 1,
    }
    return ["batched", *(name for name, wanted in optional.items() if wanted)]


def load_runs(
    args, database: Database, seeded, plan: list[str], results: dict, at_ref: Database | None
) -> None:
    """`at_ref`: the A's own database (`ab.database`), when an A/B is asked."""
    if "at_ref" in plan:
        # The A first, as in earlier runs; in a database of its own, on the same server.
        print(f"batched run of the code at {args.ab_ref} (A/B) ...", flush=True)
        with ab.checkout(args.ab_ref) as code:
            # With --deliveries the A sends too: it is compared with the run that sends.
            results["at_ref"] = run_load(
                args, at_ref, seeded, "at-ref", args.max_batch, plan.index("at_ref"),
                send=args.deliveries, code=code,
            )  # fmt: skip
        results["at_ref"]["ref"] = args.ab_ref
        results["at_ref"]["database"] = at_ref.address.dbname
    print("batched run ...", flush=True)
    results["batched"] = run_load(args, database, seeded, "batched", args.max_batch, 0)
    if opened := results["batched"].pop("open_loop", None):
        results["open_loop"] = opened
    if "naive" in plan:
        print("naive run (LEDGER_MAX_BATCH=1) ...", flush=True)
        results["naive"] = run_load(args, database, seeded, "naive", 1, plan.index("naive"))
    if "with_deliveries" in plan:
        print("batched run sending postbacks to webmasters ...", flush=True)
        results["with_deliveries"] = run_load(
            args, database, seeded, "deliveries", args.max_batch,
            plan.index("with_deliveries"), send=True,
        )  # fmt: skip
        results["deliveries"] = results["with_deliveries"].pop("deliveries")
    if "deliveries_flat" in plan:
        # The priority lever's A: every process of `serve` at one nice value.
        print("the same, every process at one CPU priority ...", flush=True)
        results["deliveries_flat"] = run_load(
            args, database, seeded, "deliveries-flat", args.max_batch,
            plan.index("deliveries_flat"), send=True, extra_env=FLAT_PRIORITIES,
        )  # fmt: skip
    if "nodes" in plan:
        print(f"{args.nodes} serve nodes and a read-models node ...", flush=True)
        fresh = seeded.fresh[plan.index("nodes")]
        results["nodes"] = nodes.run(args, database, seeded.with_lead, fresh)


FLAT_PRIORITIES = {"LEDGER_HTTP_WORKERS_NICE": "0", "LEDGER_READ_MODELS_NICE": "0"}


def ratios(results: dict) -> dict:
    rate = results["batched"]["load"]["acknowledged_per_second"]
    found = {
        "postbacks_per_baseline_commit": round(
            rate / results["baseline"]["insert_commits_per_second"], 3
        )
    }
    if "empty_handler" in results:
        found["postbacks_per_empty_handler"] = round(
            rate / results["empty_handler"]["requests_per_second"], 3
        )
    if "with_deliveries" in results:
        found["with_deliveries_over_batched"] = round(
            results["with_deliveries"]["load"]["acknowledged_per_second"] / rate, 3
        )
    if "at_ref" in results:
        b = results["with_deliveries" if "deliveries" in results["at_ref"] else "batched"]
        found["batched_over_at_ref"] = round(
            b["load"]["acknowledged_per_second"]
            / results["at_ref"]["load"]["acknowledged_per_second"],
            3,
        )
        found.update(ab.cpu_ratios(b, results["at_ref"]))
    if "naive" in results:
        found["batched_over_naive"] = round(
            rate / results["naive"]["load"]["acknowledged_per_second"], 2
        )
    return found


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
