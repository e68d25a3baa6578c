"""`scripts/bench --nodes N`: N `serve` nodes and one read-models node on one PostgreSQL.

Each `serve` node runs with `--projections off` and no notifier (LEDGER_RUN_NOTIFIER=0); one
`postback-ledger projections run` feeds the read models for all. A wrk per node sends its share
of the load at once (the fresh clicks split between them). Afterwards the event store must hold
a postback record for every acknowledged postback, and one lead per natural key (click + exto,
or flow + exto), however the nodes interleaved. On two cores this shows the deployment shape
holds under load, not a speed-up.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import psycopg

from . import load
from .environment import (
    ADMIN_TOKEN,
    NOT_READ_MODELS,
    ROOT,
    Database,
    Server,
    stop_group,
    wait_for_projections,
)

_NO_NOTIFIER = {"LEDGER_RUN_NOTIFIER": "0"}
_LAST = "SELECT coalesce(max(notification_id), 0) FROM ledger_events"
_RECORDS = (
    "SELECT count(*) FROM ledger_events "
    "WHERE topic = 'domain.postback:Postback.Received' AND notification_id > %s"
)
_DUPLICATES = """
SELECT count(*), coalesce(sum(copies), 0) FROM (
  SELECT count(*) AS copies FROM (
    SELECT convert_from(state, 'UTF8')::jsonb AS lead FROM ledger_events
    WHERE topic = 'domain.lead:Lead.Created') created
  GROUP BY CASE WHEN lead->>'click' IS NOT NULL THEN 'click:' || (lead->>'click')
                ELSE 'flow:' || (lead->>'flow') END,
           coalesce(lead->>'exto', '')
  HAVING count(*) > 1) repeated
"""
_LEADS = "SELECT count(*) FROM ledger_events WHERE topic = 'domain.lead:Lead.Created'"


def run(args, database: Database, seeded: Path, fresh: Path) -> dict:
    workers = args.workers or max(1, (os.cpu_count() or 1) // args.nodes)
    folder = Path(tempfile.mkdtemp(prefix="plb-nodes-", dir="/tmp"))
    servers: list[Server] = []
    projector = None
    try:
        for _ in range(args.nodes):
            servers.append(
                Server.start(database, workers, args.max_batch, folder, "off", _NO_NOTIFIER)
            )
        projector = _projections_node(database, folder)
        wait_for_projections(database, skip=NOT_READ_MODELS)
        before = _scalar(database, _LAST)
        results = _drive_all(args, servers, seeded, fresh)
        caught_up = wait_for_projections(database, skip=NOT_READ_MODELS)
        found = _check(database, before, sum(result["acknowledged"] for result in results))
    finally:
        for server in servers:
            server.stop()
        stop_group(projector)
        shutil.rmtree(folder, ignore_errors=True)
    seconds = max(result["seconds"] for result in results)
    return {
        "nodes": args.nodes,
        "workers_per_node": workers,
        "aggregate_acknowledged_per_second": round(
            sum(result["acknowledged"] for result in results) / seconds, 1
        ),
        "per_node": results,
        "read_models_caught_up_after_load_seconds": caught_up,
        **found,
    }


def _drive_all(args, servers: list[Server], seeded: Path, fresh: Path) -> list[dict]:
    connections = max(1, args.connections // len(servers))
    total = 2 * len(servers)
    with ThreadPoolExecutor(len(servers)) as pool:
        futures = [
            pool.submit(
                load.drive,
                server.base,
                args.seconds,
                connections,
                seeded,
                fresh,
                f"node{index}",
                2,
                (2 * index, total),
            )  # fmt: skip
            for index, server in enumerate(servers)
        ]
        return [future.result() for future in futures]


def _check(database: Database, before: int, acknowledged: int) -> dict:
    stored = _scalar(database, _RECORDS, (before,))
    with psycopg.connect(database.address.conninfo()) as connection:
        keys, copies = connection.execute(_DUPLICATES).fetchone()
    return {
        "acknowledged": acknowledged,
        "postback_records_stored": stored,
        "acknowledged_missing": max(0, acknowledged - stored),
        "leads": _scalar(database, _LEADS),
        "natural_keys_with_more_than_one_lead": keys,
        "ok": acknowledged <= stored and keys == 0,
    }


def _scalar(database: Database, query: str, parameters: tuple = ()) -> int:
    with psycopg.connect(database.address.conninfo()) as connection:
        return connection.execute(query, parameters).fetchone()[0]


def _projections_node(database: Database, folder: Path) -> subprocess.Popen:
    env = {
        **os.environ,
        "DATABASE_URL": database.address.url(),
        "LEDGER_DATA_DIR": str(folder / "data-projections"),
        "LEDGER_ADMIN_TOKEN": ADMIN_TOKEN,
    }
    command = [str(ROOT / ".venv/bin/postback-ledger"), "projections", "run", "--exit-with-parent"]
    return subprocess.Popen(
        command,
        env=env,
        stdout=(folder / "projections.log").open("wb"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def text(found: dict) -> list[str]:
    return [
        f"nodes: {found['nodes']} serve nodes x {found['workers_per_node']} worker(s), read"
        f" models on a node of their own: {found['aggregate_acknowledged_per_second']:,.0f}"
        f" acknowledged postbacks/s in all ("
        + ", ".join(f"{run['acknowledged_per_second']:,.0f}" for run in found["per_node"])
        + " per node)",
        f"  check: {found['acknowledged']:,} acknowledged, {found['postback_records_stored']:,}"
        f" postback records stored, {found['acknowledged_missing']} missing;"
        f" {found['leads']:,} leads, {found['natural_keys_with_more_than_one_lead']} natural keys"
        f" with more than one lead -> {'OK' if found['ok'] else 'FAILED'}",
    ]
