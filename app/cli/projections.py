"""`postback-ledger projections run|rebuild`: feed the read models, or rebuild them."""

from __future__ import annotations

from app.cli.following import add_exit_with_parent, stop_requested, wait_for
from app.cli.opening import open_services
from app.cli.output import add_json_option


def register(commands) -> None:
    projections = commands.add_parser(
        "projections",
        help="run the read-model projections",
        description="Run or rebuild the read-model projections.",
    ).add_subparsers(title="projections commands")
    run = projections.add_parser(
        "run",
        help="run the projections in this process until interrupted",
        description="Tail the event store into the read models (lead view, commission ledger, "
        "postback log, audit chain). Safe beside servers that also run them: one runner leads "
        "at a time.",
    )
    add_exit_with_parent(run)
    run.set_defaults(handler=run_projections)
    rebuild = projections.add_parser(
        "rebuild",
        help="rebuild projections from the events under the current catalog",
        description="Replay the event store with the current catalog into new tables while the "
        "old ones keep serving, then switch atomically. Records who, when, the rule versions "
        "and the differences per lead and per account (GET /api/recalculations).",
    )
    rebuild.add_argument(
        "name", choices=["leads", "commissions", "all"], help="which projections to rebuild"
    )
    rebuild.add_argument(
        "--dry-run", action="store_true", help="report the differences, switch nothing"
    )
    add_json_option(rebuild)
    rebuild.set_defaults(handler=rebuild_projections)


def rebuild_projections(args) -> int:
    from app.cli.rebuild import projections_rebuild

    return projections_rebuild(open_services(), args.name, args.dry_run, args.json)


def run_projections(args) -> int:
    """Until SIGTERM, Ctrl-C, or (with --exit-with-parent) the end of the parent process."""
    from app.ops.cpu_priority import READ_MODELS_NICE, lower_priority
    from app.ops.gc_tuning import tune_garbage_collector

    stop = stop_requested(args)
    if args.exit_with_parent:  # started by `serve`: behind the notifier for the CPU
        lower_priority(READ_MODELS_NICE)
    services = open_services()
    services.runner.start()
    tune_garbage_collector()
    code = wait_for(stop, "projections", lambda: services.runner.failure)
    services.runner.stop()
    services.ledger.close()
    return code
