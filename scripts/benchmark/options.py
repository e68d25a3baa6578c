"""The command line of `scripts/bench`: what to run, for how long, at what load."""

from __future__ import annotations

import argparse
from pathlib import Path

from .environment import ROOT


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
        help="seeded leads that status changes target (default 20,000); with --only-as-of, the"
        " webmaster's leads",
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
    parser.add_argument(
        "--open-loop-rate",
        type=float,
        default=1000.0,
        help="postbacks/s of the open-loop run after the batched one: latency from each"
        " request's intended send time (default 1,000; 0 skips it)",
    )
    parser.add_argument(
        "--no-empty",
        action="store_true",
        help="skip the empty Litestar handler run (the ceiling of the postbacks_per_empty_handler"
        " ratio)",
    )
    parser.add_argument(
        "--nodes",
        type=int,
        default=1,
        help="with 2 or more: one more run with that many `serve` nodes (--projections off, no"
        " notifier) and one read-models node, load spread over them, then a check that no"
        " acknowledged postback is missing and no lead duplicated",
    )
    parser.add_argument(
        "--ab-ref",
        metavar="GIT_REF",
        help="one more batched run serving the code (app, domain, projections) at this git ref,"
        " e.g. main: the A of an A/B against this checkout, in the same run (with --deliveries"
        " it sends to webmasters too, the A of the run that sends)",
    )
    parser.add_argument("--no-naive", action="store_true", help="skip the run with batching off")
    parser.add_argument(
        "--deliveries",
        action="store_true",
        help="one more batched run with every webmaster's postbacks sent to a local receiver:"
        " deliveries/s, commit-to-receipt p50/p99, queue depth, postbacks/s against batched",
    )
    parser.add_argument(
        "--deliveries-open-loop-rate",
        type=float,
        default=500.0,
        help="postbacks/s of the open-loop run on the sending server after its closed-loop load"
        " (JSON deliveries.open_loop; default 500; 0 skips it)",
    )
    parser.add_argument(
        "--deliveries-flat",
        action="store_true",
        help="with --deliveries: a second sending run with every process of serve at one CPU"
        " priority (LEDGER_HTTP_WORKERS_NICE=0, LEDGER_READ_MODELS_NICE=0), the priority"
        " lever's A in the same run (JSON deliveries_flat)",
    )
    parser.add_argument(
        "--sender-levers",
        action="store_true",
        help="the sender alone, lever by lever, in one run (async client, keep-alive, batching,"
        " the claim's plan; with --ab-ref the sender at that ref too): deliveries/s and CPU ms"
        " per delivery (JSON sender_levers), then the rest as asked",
    )
    parser.add_argument(
        "--sender-deliveries",
        type=int,
        default=3000,
        help="deliveries queued at once for each --sender-levers variant (default 3,000)",
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
        "--only-holds",
        action="store_true",
        help="measure hold releases alone: --holds leads due at once, released while postbacks "
        "arrive at --open-loop-rate (JSON key holds.releases_per_second, postbacks' p99 beside)",
    )
    parser.add_argument(
        "--holds", type=int, default=100_000, help="holds due at once (default 100,000)"
    )
    parser.add_argument(
        "--only-as-of",
        action="store_true",
        help="measure balances as of random moments alone: --leads leads of one webmaster over"
        " --months monthly closes (JSON key as_of.balances_ms.p50, the replay's figure beside)",
    )
    parser.add_argument("--months", type=int, default=12, help="--only-as-of: closed months")
    parser.add_argument(
        "--queries", type=int, default=200, help="--only-as-of: moments asked (default 200)"
    )
    parser.add_argument(
        "--replays", type=int, default=3, help="--only-as-of: moments also replayed (default 3)"
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
    if args.only_holds and args.open_loop_rate == 1000.0:
        args.open_loop_rate = 200.0  # beside the releases, not a saturation test
    args.events = args.events or (200_000 if args.quick else 1_000_000)
    args.baseline_seconds = args.baseline_seconds or (5 if args.quick else 10)
    return args
