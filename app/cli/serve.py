"""`postback-ledger serve`: the HTTP API in granian workers, and the read models' own process.

Before anything starts, the port is tried: granian binds with SO_REUSEPORT, so a second server
on a busy port would otherwise start beside the first (or beside an orphan of a killed one) and
share its traffic. Every child ends when this process ends (`app.ops.lifeline`).
"""

from __future__ import annotations

import argparse
import errno
import os
import socket
from pathlib import Path

from app.cli.output import CommandError, UsageError
from app.settings import Settings, ensure_admin_token

WORKER_STOP_SECONDS = 10


def register(commands) -> None:
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
    serve.add_argument(
        "--demo-catalog",
        type=Path,
        metavar="FILE",
        help="apply this catalog TOML file only if the store has no catalog yet (never over an "
        "operator's catalog: a restart keeps its rates and postback targets as they were)",
    )
    serve.set_defaults(handler=run_server)


def run_server(args) -> int:
    from app.cli.catalog import apply_file
    from app.cli.opening import database_address
    from app.ops.lifeline import end_with_parent, serve_names_itself
    from app.ops.projection_process import ProjectionProcess
    from app.postbacks.screening import ensure_signing_key

    # A starter that names itself in LEDGER_SERVE_PID (a test run) takes this server with it
    # when it ends, even by kill -9; the children below then end with this server.
    end_with_parent()
    check_port_free(args.host, args.port)
    settings = ensure_admin_token(Settings.from_env())
    if settings.run_notifier:
        check_delivery_settings()
    check_priority_settings()
    address = database_address(settings)  # starts the embedded server here, once, for all workers
    if settings.require_sync_standby:
        refuse_without_sync_standby(address)
    os.environ["DATABASE_URL"] = address.url()
    if not os.environ.get("LEDGER_ADMIN_TOKEN") and not os.environ.get("LEDGER_ADMIN_TOKENS"):
        os.environ["LEDGER_ADMIN_TOKEN"] = settings.admin_tokens["admin"]
    # Every worker must derive the same site signing secrets.
    os.environ["LEDGER_SIGNING_KEY"] = ensure_signing_key(settings)
    if args.apply_catalog:
        apply_file(argparse.Namespace(file=args.apply_catalog, json=False))
    elif args.demo_catalog:
        apply_demo_catalog(args.demo_catalog)
    projections = args.projections or ("process" if settings.run_projections else "off")
    os.environ["LEDGER_RUN_PROJECTIONS"] = "1" if projections == "workers" else "0"
    serve_names_itself()
    _print_welcome(args, settings, projections)
    runner = ProjectionProcess(data_dir=settings.data_dir) if projections == "process" else None
    # The notifier's follower and sender in processes of their own (app.deliveries.sender_lead).
    notifier = sender = None
    if settings.run_notifier:
        notifier = ProjectionProcess("notifier", settings.data_dir, ("--part", "queue"))
        sender = ProjectionProcess("notifier", settings.data_dir, ("--part", "send"), "sender")
    holds = ProjectionProcess("holds", settings.data_dir) if settings.run_holds else None
    for child in filter(None, (runner, notifier, sender, holds)):
        child.start()
    try:
        _granian(args).serve()
    finally:
        for child in filter(None, (runner, notifier, sender, holds)):
            child.stop()
    return 0


def refuse_without_sync_standby(address) -> None:
    """LEDGER_REQUIRE_SYNC_STANDBY=1: no serving while a commit would not reach a standby."""
    from app.cli.opening import database_errors
    from app.ops.sync_standby import check_before_serving

    with database_errors():
        problem = check_before_serving(address)
    if problem:
        raise UsageError(f"LEDGER_REQUIRE_SYNC_STANDBY=1 and {problem}; not serving")


def check_delivery_settings() -> None:
    """A notifier that cannot read its settings would crash-loop while the server looks ready:
    a wrong setting stops `serve` before anything starts, in one line naming it."""
    from app.deliveries.settings import DeliverySettings

    try:
        DeliverySettings.from_env()
    except ValueError as error:
        raise CommandError(str(error), code=2) from None


def check_priority_settings() -> None:
    """A nice value the workers could not take would end each of them as it starts."""
    from app.ops.cpu_priority import HTTP_WORKERS_NICE, READ_MODELS_NICE, nice_setting

    for name in (HTTP_WORKERS_NICE, READ_MODELS_NICE):
        try:
            nice_setting(name)
        except ValueError as error:
            raise CommandError(str(error), code=2) from None


def apply_demo_catalog(file: Path) -> bool:
    """Apply `file` to a store with no catalog; say which was done. True when applied.

    Applying it on every start reverted an operator's changes: a back-dated rate was superseded by
    a new version "from <restart time>" (in the audit trail for good) and postback targets the
    operator had added were dropped. So the demo catalog only seeds an empty store.
    """
    from app.cli.catalog import apply_file

    version = stored_catalog_version()
    if version:
        print(
            f"catalog: keeping the store's catalog (version {version}); {file} is applied only "
            "to a store with no catalog yet",
            flush=True,
        )
        return False
    print(f"catalog: the store has no catalog yet; applying {file}", flush=True)
    apply_file(argparse.Namespace(file=file, json=False))
    return True


def stored_catalog_version() -> int:
    from app.cli.opening import database_errors, open_services

    services = open_services()
    try:
        with database_errors():
            return services.ledger.catalog_version()
    finally:
        services.ledger.close()


def check_port_free(host: str, port: int) -> None:
    """Fail with a clear message when something already listens on host:port."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # ignore TIME_WAIT only
        try:
            probe.bind((host, port))
        except OSError as error:
            if error.errno == errno.EADDRINUSE:
                raise CommandError(
                    f"port {port} on {host} is already in use (another server?); stop it, or "
                    f"choose another port with --port"
                ) from error
            raise CommandError(f"cannot listen on {host}:{port}: {error.strerror}") from error


def _granian(args):
    from granian import Granian
    from granian.constants import Interfaces

    from app.ops.logs import GRANIAN_LOGGING

    return Granian(
        "app.main:create_served_app",
        factory=True,
        interface=Interfaces.ASGI,
        address=args.host,
        port=args.port,
        workers=args.workers,
        log_access=False,
        log_dictconfig=GRANIAN_LOGGING,
        # A worker whose shutdown hangs (in native code, holding the GIL) is killed after this.
        workers_kill_timeout=WORKER_STOP_SECONDS,
    )


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
