"""`./scripts/serve` installs what the service needs; `./scripts/test` adds the test tools.

The first `serve` on a fresh clone installed the test tools too (pytest, schemathesis, selenium,
openapi-python-client, ...): 96 s and a 334 MB venv before the service could start.
"""

from __future__ import annotations

import shutil
import subprocess

from tests.servers import REPOSITORY

FAKE_PYTHON = """#!/bin/sh
echo "$@" >> "$(dirname "$0")/../pip-calls"
"""


def bootstrap(folder, *args: str) -> list[str]:
    """Run scripts/bootstrap in `folder` with a stand-in .venv python; the pip calls it made."""
    (folder / "scripts").mkdir(exist_ok=True)
    shutil.copy(REPOSITORY / "scripts" / "bootstrap", folder / "scripts" / "bootstrap")
    shutil.copy(REPOSITORY / "pyproject.toml", folder / "pyproject.toml")
    python = folder / ".venv" / "bin" / "python"
    python.parent.mkdir(parents=True, exist_ok=True)
    python.write_text(FAKE_PYTHON)
    python.chmod(0o755)
    calls = folder / ".venv" / "pip-calls"
    calls.unlink(missing_ok=True)
    subprocess.run([folder / "scripts" / "bootstrap", *args], check=True, capture_output=True)
    return calls.read_text().splitlines() if calls.exists() else []


def serve_bootstrap_arguments() -> list[str]:
    for line in (REPOSITORY / "scripts" / "serve").read_text().splitlines():
        if line.startswith("./scripts/bootstrap"):
            return line.split()[1:]
    raise AssertionError("scripts/serve does not run scripts/bootstrap")


def test_serve_installs_the_service_without_the_test_tools(tmp_path):
    calls = bootstrap(tmp_path, *serve_bootstrap_arguments())

    assert calls[-1] == "-m pip install --quiet -e ."


def test_the_test_script_installs_the_test_tools_also_over_a_runtime_install(tmp_path):
    bootstrap(tmp_path, *serve_bootstrap_arguments())

    assert bootstrap(tmp_path)[-1] == "-m pip install --quiet -e .[test]"
    assert bootstrap(tmp_path, *serve_bootstrap_arguments()) == []  # nothing more to install
