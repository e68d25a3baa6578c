"""Service settings, read from the environment once by the composition root, never at import."""

from __future__ import annotations

import os
import re
import secrets
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import Path


@dataclass(frozen=True)
class Settings:
    """What the service needs to know about its surroundings."""

    data_dir: Path = Path(".ledger")
    database_url: str | None = None
    read_url: str | None = None  # a replica for support and admin reads (app.eventstore.replica)
    admin_tokens: dict[str, str] = field(default_factory=dict)  # name -> token
    run_projections: bool = True
    projection_wait_seconds: float = 5.0
    max_batch: int = 200
    pool_size: int = 10
    # name -> last day (UTC) the admin token is accepted: rotation with an overlap period.
    admin_token_expiry: dict[str, date] = field(default_factory=dict)
    signing_key: str | None = None  # derives per-site signing secrets (domain.signatures)
    rate_limit_per_second: float = 1000.0  # per token and per process; 0 turns it off
    rate_limit_burst: int = 2000
    ready_max_lag: int = 10_000  # /health/ready fails when projections lag more events
    # serve refuses to start, /health/ready answers 503, without a synchronous standby
    require_sync_standby: bool = False
    # How old a worker's catalog snapshot may grow before it looks for a newer one. Only a cost:
    # postbacks are saved only under the catalog version they were decided with.
    catalog_reload_seconds: float = 2.0
    run_notifier: bool = True  # `serve` starts `notifier run` (webmasters' postbacks)
    run_holds: bool = True  # `serve` starts `holds run` (holds that end by their rule)
    hold_check_seconds: float = 60.0  # how often the hold follower releases what is due
    statement_max_bytes: int = 64 * 1024 * 1024  # the largest statement a reconciliation reads
    time_zone: str = "UTC"  # a plain date a user gives (a period's `until`) is midnight here
    # currency -> amount: a payout over it waits for a second person's approval (empty: off)
    four_eyes_over: dict[str, Decimal] = field(default_factory=dict)

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> Settings:
        env = os.environ if environ is None else environ
        return cls(
            data_dir=Path(env.get("LEDGER_DATA_DIR", ".ledger")),
            database_url=env.get("DATABASE_URL") or None,
            read_url=env.get("LEDGER_READ_URL") or None,
            admin_tokens=_admin_tokens(env),
            run_projections=env.get("LEDGER_RUN_PROJECTIONS", "1") not in ("0", "false", "no"),
            max_batch=int(env.get("LEDGER_MAX_BATCH", "200")),
            pool_size=int(env.get("LEDGER_POOL_SIZE", "10")),
            admin_token_expiry=_admin_token_expiry(env),
            signing_key=env.get("LEDGER_SIGNING_KEY") or None,
            rate_limit_per_second=float(env.get("LEDGER_RATE_LIMIT", "1000")),
            rate_limit_burst=int(env.get("LEDGER_RATE_BURST", "2000")),
            ready_max_lag=int(env.get("LEDGER_READY_MAX_LAG", "10000")),
            require_sync_standby=env.get("LEDGER_REQUIRE_SYNC_STANDBY", "0")
            in ("1", "true", "yes"),
            catalog_reload_seconds=float(env.get("LEDGER_CATALOG_RELOAD_SECONDS", "2")),
            run_notifier=env.get("LEDGER_RUN_NOTIFIER", "1") not in ("0", "false", "no"),
            run_holds=env.get("LEDGER_RUN_HOLDS", "1") not in ("0", "false", "no"),
            hold_check_seconds=float(env.get("LEDGER_HOLD_CHECK_SECONDS", "60")),
            statement_max_bytes=int(env.get("LEDGER_STATEMENT_MAX_BYTES", str(64 << 20))),
            time_zone=env.get("LEDGER_TIME_ZONE", "UTC") or "UTC",
            four_eyes_over=four_eyes_limits(env.get("LEDGER_FOUR_EYES_OVER", "")),
        )


def four_eyes_limits(text: str) -> dict[str, Decimal]:
    """`1000 USD,900 EUR` → {"USD": 1000, "EUR": 900}; empty turns four eyes off."""
    limits = {}
    for item in text.split(","):
        if item.strip():
            amount, _, currency = item.strip().partition(" ")
            limits[currency.strip().upper()] = Decimal(amount)
    return limits


def _admin_tokens(env) -> dict[str, str]:
    """`LEDGER_ADMIN_TOKEN=secret` or `LEDGER_ADMIN_TOKENS=alice:secret1,bob:secret2`.

    Several named tokens let an operator rotate one with an overlap period, and let audit
    records say whose token made a change.
    """
    tokens: dict[str, str] = {}
    for item in env.get("LEDGER_ADMIN_TOKENS", "").split(","):
        name, _, token = item.strip().partition(":")
        token = _EXPIRY.sub("", token)
        if name and token:
            tokens[name] = token
    if env.get("LEDGER_ADMIN_TOKEN"):
        tokens.setdefault("admin", env["LEDGER_ADMIN_TOKEN"])
    return tokens


_EXPIRY = re.compile(r":(\d{4}-\d{2}-\d{2})\Z")


def _admin_token_expiry(env) -> dict[str, date]:
    """`LEDGER_ADMIN_TOKENS=old:secret1:2026-12-31,new:secret2`: `old` works until that day."""
    expiry = {}
    for item in env.get("LEDGER_ADMIN_TOKENS", "").split(","):
        name, _, token = item.strip().partition(":")
        found = _EXPIRY.search(token)
        if name and found:
            expiry[name] = date.fromisoformat(found.group(1))
    return expiry


def ensure_admin_token(settings: Settings) -> Settings:
    """Without a configured token, use (or make) one kept in the data directory."""
    if settings.admin_tokens:
        return settings
    path = settings.data_dir / "admin-token"
    if not path.exists():
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(24) + "\n")
        path.chmod(0o600)
    token = path.read_text().strip()
    return Settings(**{**settings.__dict__, "admin_tokens": {"admin": token}})
