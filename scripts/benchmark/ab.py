"""The A of an A/B in one bench run: the server's code as it is at another git ref.

`git archive` writes that ref's `app`, `domain` and `projections` into a temporary folder, and the
server starts with that folder first on PYTHONPATH, so the same virtualenv imports that code in
place of this checkout's (the editable install's finder comes after PYTHONPATH).

Each version has a database of its own on the same PostgreSQL server (`database`): sharing one,
B's read models met the rows and tracking that A's code had left (a duplicate key in lead_view's
COPY, a runner starting a read model again from position 0) whenever their schemas differed. The
same server keeps the comparison fair: the same PostgreSQL, settings and machine for both.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

from .cpu import COMPONENTS
from .environment import ROOT, Database

PACKAGES = ("app", "domain", "projections")


@contextlib.contextmanager
def checkout(ref: str) -> Iterator[Path]:
    folder = Path(tempfile.mkdtemp(prefix="plb-ab-", dir="/tmp"))
    try:
        archive = subprocess.run(
            ["git", "archive", ref, *PACKAGES], cwd=ROOT, capture_output=True, check=True
        ).stdout
        subprocess.run(["tar", "-x", "-C", str(folder)], input=archive, check=True)
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def database(seeded: Database) -> Database:
    """The A's database: a copy of the seeded one, taken before any server of B's code made its
    read models there, so both versions start from the same events and neither sees the other's
    rows. Its `close` drops it."""
    return seeded.copy("at_ref")


def environment(code: Path) -> dict[str, str]:
    rest = os.environ.get("PYTHONPATH")
    return {"PYTHONPATH": f"{code}{os.pathsep}{rest}" if rest else str(code)}


def cpu_ratios(b: dict, a: dict) -> dict:
    """CPU per postback of B over A's, in all (the load generator aside) and by component: the
    figure that stays meaningful when the machine is loaded (rates move with the load)."""
    mine, theirs = b["cpu_ms_per_postback"], a["cpu_ms_per_postback"]
    found = {"cpu_per_postback_over_at_ref": _ratio(mine["server_side"], theirs["server_side"])}
    found["cpu_by_component_over_at_ref"] = {
        name: _ratio(mine[name], theirs[name])
        for name in (*COMPONENTS, "server_side")
        if name in mine and name in theirs and name != "load_generator"
    }
    return found


def rebuild_ratio(results: dict) -> dict:
    if "rebuild" not in results or "rebuild_at_ref" not in results:
        return {}
    return {
        "rebuild_over_at_ref": _ratio(
            results["rebuild"]["events_per_second"], results["rebuild_at_ref"]["events_per_second"]
        )
    }


def _ratio(b: float, a: float) -> float | None:
    return round(b / a, 3) if a else None
