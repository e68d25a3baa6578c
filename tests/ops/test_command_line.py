"""The `postback-ledger` console command: its help names the commands a new user needs."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = Path(sys.executable).parent / "postback-ledger"


def help_of(*arguments: str) -> str:
    finished = subprocess.run(
        [str(SCRIPT), *arguments, "--help"], capture_output=True, text=True, timeout=60
    )
    assert finished.returncode == 0, finished.stderr
    return finished.stdout


def test_the_console_command_is_installed():
    assert SCRIPT.exists()


def test_its_help_lists_serve_and_catalog():
    text = help_of()

    assert "serve" in text and "catalog" in text


@pytest.mark.parametrize(
    ("command", "options"),
    [(("serve",), ["--host", "--port"]), (("catalog", "apply"), ["file"])],
)
def test_each_command_documents_its_options(command, options):
    text = help_of(*command)

    for option in options:
        assert option in text
