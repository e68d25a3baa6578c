"""The A of an A/B in one bench run: the server's code as it is at another git ref.

`git archive` writes that ref's `app`, `domain` and `projections` into a temporary folder, and the
server starts with that folder first on PYTHONPATH, so the same virtualenv imports that code in
place of this checkout's (the editable install's finder comes after PYTHONPATH). The schema must
be the same at both refs: both runs share one database.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

from .environment import ROOT

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


def environment(code: Path) -> dict[str, str]:
    rest = os.environ.get("PYTHONPATH")
    return {"PYTHONPATH": f"{code}{os.pathsep}{rest}" if rest else str(code)}
