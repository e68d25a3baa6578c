"""CPU time per acknowledged postback, by component: where the two cores go.

Components: the HTTP workers (the `serve` tree less its children below), the read models'
process, the notifier's processes (its queue and its sender), the hold follower, PostgreSQL
(embedded server only: an external server's CPU is not ours to read) and the load generator
(wrk, a finished child of this process).
"""

from __future__ import annotations

from . import load
from .environment import cpu_seconds, projections_cpu_seconds

COMPONENTS = ("server_workers", "read_models", "notifier", "holds", "postgres", "load_generator")


def sample(server: int, postgres: int | None) -> dict[str, float]:
    """CPU seconds so far of each component."""
    whole = cpu_seconds(server)
    read_models = projections_cpu_seconds(server)
    notifier = projections_cpu_seconds(server, b"notifier")
    holds = projections_cpu_seconds(server, b"holds")
    found = {
        "server": whole,
        "server_workers": whole - read_models - notifier - holds,
        "read_models": read_models,
        "notifier": notifier,
        "holds": holds,
        "load_generator": load.children_cpu_seconds(),
    }
    if postgres is not None:
        found["postgres"] = cpu_seconds(postgres)
    return found


def per_postback(before: dict, after: dict, acknowledged: int) -> dict[str, float]:
    """ms of CPU per acknowledged postback, by component, and their total."""
    count = max(1, acknowledged)
    found = {name: round((after[name] - before[name]) * 1000 / count, 3) for name in before}
    found["total"] = round(sum(found.get(name, 0.0) for name in COMPONENTS), 3)
    # What the service costs (the target): the total less the load generator's share.
    found["server_side"] = round(found["total"] - found.get("load_generator", 0.0), 3)
    return found


def text(found: dict[str, float]) -> str:
    parts = [f"{name.replace('_', ' ')} {found[name]}" for name in COMPONENTS if name in found]
    return (
        f"{', '.join(parts)}; total {found.get('total')}"
        f" (less the load generator {found.get('server_side')})"
    )
