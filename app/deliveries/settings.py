"""The outgoing postbacks' settings, read from the environment by whoever runs the notifier.

`LEDGER_DELIVERY_ALLOW`: comma list of CIDRs that may be reached although private or loopback
(default none). `LEDGER_DELIVERY_RETRY_BASE`: seconds before the first retry (default 60),
doubling with jitter up to 24 h. `LEDGER_DELIVERY_MAX_ATTEMPTS` (default 12).
`LEDGER_DELIVERY_SUSPEND_AFTER`: failed attempts in a row to one URL before it is suspended
(default 10). `LEDGER_DELIVERY_PER_HOST`: requests in flight at once to one host (default 8).
`LEDGER_DELIVERY_CONCURRENCY`: requests in flight at once, all hosts together (default 128; each
is a task on the client's event loop, not a thread).
"""

from __future__ import annotations

import ipaddress
import os
from dataclasses import dataclass

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@dataclass(frozen=True)
class DeliverySettings:
    """How deliveries are sent and retried."""

    allow: tuple[Network, ...] = ()
    retry_base: float = 60.0
    max_attempts: int = 12
    suspend_after: int = 10
    concurrency: int = 128  # requests in flight at once, all hosts together
    per_host: int = 8  # requests in flight at once to one host
    connect_timeout: float = 3.0
    total_timeout: float = 10.0

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> DeliverySettings:
        """The settings, or a ValueError naming the first setting that is wrong."""
        env = os.environ if environ is None else environ
        return cls(
            allow=parse_allow(env.get("LEDGER_DELIVERY_ALLOW", "")),
            retry_base=_number(env, "LEDGER_DELIVERY_RETRY_BASE", "60", float, 0),
            max_attempts=_number(env, "LEDGER_DELIVERY_MAX_ATTEMPTS", "12", int, 1),
            suspend_after=_number(env, "LEDGER_DELIVERY_SUSPEND_AFTER", "10", int, 1),
            per_host=_number(env, "LEDGER_DELIVERY_PER_HOST", "8", int, 1),
            concurrency=_number(env, "LEDGER_DELIVERY_CONCURRENCY", "128", int, 1),
        )


def _number(env, name: str, default: str, kind: type, least: float):
    text = env.get(name, default)
    try:
        value = kind(text)
    except ValueError:
        raise ValueError(f"{name}: {text!r} is not a {kind.__name__}") from None
    if value != value:  # NaN
        raise ValueError(f"{name}: {text!r} is not a number")
    return max(least, value)


def parse_allow(text: str) -> tuple[Network, ...]:
    """`127.0.0.0/8, 10.1.2.3` -> networks; a bad entry stops the start with its name."""
    networks = []
    for item in filter(None, (part.strip() for part in text.split(","))):
        try:
            networks.append(ipaddress.ip_network(item, strict=False))
        except ValueError as error:
            raise ValueError(f"LEDGER_DELIVERY_ALLOW: {item!r} is not a CIDR: {error}") from None
    return tuple(networks)
