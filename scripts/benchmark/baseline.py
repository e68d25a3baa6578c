"""What the same PostgreSQL commits at the same concurrency, without the service in between.

`pgbench` (Debian's postgresql-client) runs K clients for T seconds, each committing one
single-row INSERT per transaction: the ceiling for one postback per commit. A second script adds
what eventsourcing's append does in every transaction (LOCK TABLE ... EXCLUSIVE, NOTIFY), which
serialises commits. Without pgbench an asyncio psycopg loop measures the first figure.
"""

from __future__ import annotations

import asyncio
import re
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import psycopg

from app.eventstore.database import DatabaseAddress

_PLAIN = "INSERT INTO bench_baseline (payload) VALUES ('postback');\n"
_LOCKED = (
    "BEGIN;\nLOCK TABLE bench_baseline IN EXCLUSIVE MODE;\nNOTIFY bench_baseline;\n"
    "INSERT INTO bench_baseline (payload) VALUES ('postback');\nCOMMIT;\n"
)


def measure(address: DatabaseAddress, clients: int, seconds: int) -> dict:
    with psycopg.connect(address.conninfo(), autocommit=True) as connection:
        connection.execute(
            "CREATE TABLE IF NOT EXISTS bench_baseline "
            "(id bigserial PRIMARY KEY, payload text, at timestamptz DEFAULT now())"
        )
    if shutil.which("pgbench"):
        return {
            "tool": "pgbench",
            "insert_commits_per_second": _pgbench(address, _PLAIN, clients, seconds),
            "locked_append_commits_per_second": _pgbench(address, _LOCKED, clients, seconds),
        }
    rate = asyncio.run(_psycopg_loop(address, clients, seconds))
    return {"tool": "psycopg asyncio loop", "insert_commits_per_second": rate}


def _pgbench(address: DatabaseAddress, script: str, clients: int, seconds: int) -> float:
    with tempfile.NamedTemporaryFile("w", suffix=".sql", delete=False) as file:
        file.write(script)
    command = [
        "pgbench", "-n", "-c", str(clients), "-j", "2", "-T", str(seconds), "-f", file.name,
        "-h", address.host, "-p", str(address.port), "-U", address.user, address.dbname,
    ]  # fmt: skip
    env = {"PGPASSWORD": address.password} if address.password else {}
    output = subprocess.run(
        command, capture_output=True, text=True, check=True, env={"PATH": "/usr/bin:/bin", **env}
    ).stdout
    Path(file.name).unlink()
    return round(float(re.search(r"tps = ([\d.]+)", output).group(1)), 1)


async def _psycopg_loop(address: DatabaseAddress, clients: int, seconds: int) -> float:
    deadline = time.monotonic() + seconds
    counts = [0] * clients

    async def client(index: int) -> None:
        async with await psycopg.AsyncConnection.connect(
            address.conninfo(), autocommit=True
        ) as connection:
            while time.monotonic() < deadline:
                await connection.execute(_PLAIN)
                counts[index] += 1

    started = time.monotonic()
    await asyncio.gather(*(client(i) for i in range(clients)))
    return round(sum(counts) / (time.monotonic() - started), 1)
