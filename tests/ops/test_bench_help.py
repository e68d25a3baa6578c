"""Every benchmark tool under `scripts/benchmark` answers `--help` without doing any work.

The tools are commands an operator runs by hand (docs/performance.md quotes each); one that
took `--help` for its first argument started a measurement or failed with a traceback.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

SCRIPTS = Path(__file__).resolve().parents[2] / "scripts"
TOOLS = sorted(
    path.stem
    for path in (SCRIPTS / "benchmark").glob("*.py")
    if re.search(r"^def main\(", path.read_text(), re.MULTILINE)
)


def test_the_tools_are_found():
    assert {"__main__", "writer_cpu", "index_cost", "event_objects"} <= set(TOOLS)


@pytest.mark.parametrize("tool", TOOLS)
def test_each_tool_answers_help_with_its_usage(tool):
    module = "benchmark" if tool == "__main__" else f"benchmark.{tool}"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(SCRIPTS), str(SCRIPTS.parent)])}
    finished = subprocess.run(
        [sys.executable, "-m", module, "--help"],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        cwd=SCRIPTS.parent,
    )

    assert finished.returncode == 0, finished.stderr
    assert finished.stdout.startswith("usage:")
