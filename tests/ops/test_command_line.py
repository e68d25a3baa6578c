"""The `postback-ledger` console command: its help names the commands a new user needs."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

import app.deliveries.settings as settings

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


def test_notifier_run_help_lists_every_delivery_setting_the_notifier_reads():
    read = set(re.findall(r'"(LEDGER_DELIVERY_\w+)"', Path(settings.__file__).read_text()))
    assert len(read) == 6  # PER_HOST, CONCURRENCY, RETRY_BASE, MAX_ATTEMPTS, SUSPEND_AFTER, ALLOW
    text = help_of("notifier", "run")

    assert {name for name in read if name not in text} == set()
