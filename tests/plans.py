"""Reading PostgreSQL's EXPLAIN (FORMAT JSON) plans in the tests that hold a query to its size."""

from __future__ import annotations

from collections.abc import Iterator


def plan_nodes(plan: dict) -> Iterator[dict]:
    """Every node of a plan, the root first."""
    yield plan
    for child in plan.get("Plans", []):
        yield from plan_nodes(child)
