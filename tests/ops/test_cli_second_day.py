"""The command line as people use it on the second day: the usage of the command they typed, one
line for a missing file, exit 2 for a request to make precise, ISO 8601 log times, one log
format per output, and help for every group."""

from __future__ import annotations

import json
import logging
import os
import subprocess

import pytest

from app.cli.main import main
from app.ops.logs import configure_logging
from tests.controls import ADMIN_TOKEN, create
from tests.ops.test_cli_output import run
from tests.servers import (
    REPOSITORY,
    LiveServer,
    free_port,
    server_command,
    server_environment,
    stop_server,
    wait_until_serving,
)


def test_a_wrong_option_prints_the_usage_of_the_command_it_was_given_to():
    finished = run("catalog", "apply", "demo.toml", "--dry")

    assert finished.returncode == 2
    assert finished.stderr.splitlines()[0].startswith("usage: postback-ledger catalog apply")
    assert "unrecognized arguments: --dry" in finished.stderr


def test_reconcile_with_a_missing_file_says_so_in_one_line(tmp_path):
    missing = tmp_path / "statement.csv"

    finished = run("reconcile", str(missing), "--advertiser", "adv-1", "--from", "2026-11-01",
                   "--to", "2026-12-01")  # fmt: skip

    assert finished.returncode == 2
    assert finished.stderr.strip() == f"cannot read {missing}: No such file or directory"


def test_reconcile_with_the_database_down_says_so_in_one_line(tmp_path):
    """A reconciliation opened the database without the commands' error handling: a database
    that did not answer ended it with a traceback."""
    statement = tmp_path / "statement.csv"
    statement.write_text("exto,amount\nx-1,10\n")
    env = {**os.environ, "DATABASE_URL": f"postgresql://postgres@127.0.0.1:{free_port()}/x"}

    arguments = ("reconcile", str(statement), "--advertiser", "adv-1", "--from", "2026-11-01",
                 "--to", "2026-12-01", "--mapping", "exto:exto,amount:amount")  # fmt: skip

    finished = run(*arguments, env=env)

    assert finished.returncode == 1
    assert "Traceback" not in finished.stderr
    assert finished.stderr.startswith("postback-ledger: the database does not answer:")
    assert len(finished.stderr.strip().splitlines()) == 1, finished.stderr


def test_lead_history_of_a_query_naming_two_leads_exits_2(demo, database, monkeypatch, capsys):
    for flow in ("101", "102"):
        create(demo, flow=flow, exto="twice")
    monkeypatch.setenv("DATABASE_URL", database.url())

    assert main(["lead", "history", "twice"]) == 2


def test_the_notifier_group_describes_itself():
    finished = run("notifier", "--help")

    assert "Send webmasters their postbacks" in finished.stdout


@pytest.mark.parametrize("style", ["text", "json"])
def test_log_times_are_iso_8601(style, capsys):
    configure_logging("INFO", style)
    logging.getLogger("postback_ledger.test").info("a line")

    line = capsys.readouterr().err.strip().splitlines()[-1]
    stamp = json.loads(line)["time"] if style == "json" else line.split(" ", 1)[0]
    assert len(stamp) == len("2026-12-07T02:20:01.123+00:00") and stamp[10] == "T", line


def test_serve_in_a_pipe_logs_json_lines_only(database, tmp_path):
    """Granian's own lines went to stdout as `[INFO] …`, beside our JSON lines on stderr."""
    port = free_port()
    out, err = tmp_path / "stdout", tmp_path / "stderr"
    env = server_environment(database, tmp_path, ADMIN_TOKEN, {"LEDGER_LOG_LEVEL": "INFO"})
    with out.open("wb") as stdout, err.open("wb") as stderr:
        process = subprocess.Popen(
            server_command(port, 1, None),
            cwd=REPOSITORY,
            env=env,
            stdout=stdout,
            stderr=stderr,
            start_new_session=True,
        )
    server = LiveServer(f"http://127.0.0.1:{port}", ADMIN_TOKEN, err, process)
    try:
        wait_until_serving(server)
    finally:
        stop_server(server)

    lines = [line for line in err.read_text().splitlines() if line.strip()]
    assert lines and all(line.startswith("{") for line in lines), lines[:5]
    assert any(json.loads(line)["logger"] == "_granian" for line in lines)
    assert "[INFO]" not in out.read_text()
