"""The command line for people and scripts: one-line errors, JSON on request, whole values in a
pipe, readable logs on a terminal, quiet when it joins a running embedded PostgreSQL."""

from __future__ import annotations

import argparse
import io
import json
import logging
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from rich.console import Console

from app.cli.main import build_parser, main
from app.cli.rebuild import _logs_through
from app.eventstore.database import start_embedded
from app.ops.logs import log_style
from tests import leftovers
from tests.controls import change, create, new_click

SCRIPT = Path(sys.executable).parent / "postback-ledger"


def run(*arguments: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(SCRIPT), *arguments], capture_output=True, text=True, timeout=120, env=env
    )


def every_command(parser: argparse.ArgumentParser, prefix: tuple[str, ...] = ()):
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                yield (*prefix, name)
                yield from every_command(sub, (*prefix, name))


def test_every_command_has_help(capsys):
    commands = list(every_command(build_parser()))
    assert ("lead", "history") in commands and ("serve",) in commands

    for command in commands:
        with pytest.raises(SystemExit) as ended:
            main([*command, "--help"])
        assert ended.value.code == 0, command
        assert "usage: postback-ledger " + " ".join(command) in capsys.readouterr().out


def test_a_command_group_without_its_command_prints_the_group_help_and_exit_code_2(capsys):
    assert main(["database"]) == 2

    assert "usage: postback-ledger database" in capsys.readouterr().err


@pytest.mark.parametrize(
    "command",
    [
        ("catalog", "apply"),
        ("projections", "rebuild"),
        ("audit", "verify"),
        ("audit", "check"),
        ("sites", "signing-secret"),
        ("lead", "history"),
    ],
)
def test_every_command_that_prints_data_offers_json(command, capsys):
    with pytest.raises(SystemExit):
        main([*command, "--help"])

    assert "--json" in capsys.readouterr().out


def test_a_missing_catalog_file_is_one_line_and_exit_code_2(tmp_path):
    finished = run("catalog", "apply", str(tmp_path / "nonexistent.toml"))

    assert finished.returncode == 2
    assert finished.stderr.strip().splitlines() == [
        f"postback-ledger: cannot read the catalog {tmp_path / 'nonexistent.toml'}: "
        "No such file or directory"
    ]


def test_an_invalid_catalog_is_one_line_and_exit_code_2(tmp_path):
    broken = tmp_path / "broken.toml"
    broken.write_text("[[offers]]\nid = 'x'\n")

    finished = run("catalog", "apply", str(broken))

    assert finished.returncode == 2
    assert finished.stderr.startswith("postback-ledger: catalog not applied:")
    assert "Traceback" not in finished.stderr


def test_a_bad_database_url_is_one_line_and_exit_code_2():
    env = {**os.environ, "DATABASE_URL": "mysql://nowhere/db"}

    finished = run("audit", "check", env=env)

    assert finished.returncode == 2
    assert "DATABASE_URL must start with postgresql://" in finished.stderr
    assert "Traceback" not in finished.stderr


@pytest.fixture
def history_lead(demo, database, monkeypatch):
    click = new_click(demo)
    lead_id = create(demo, click=click, exto="cli-exto-1").json()["id"]
    change(demo, click=click, status="approve", goal="dep")
    monkeypatch.setenv("DATABASE_URL", database.url())
    return {"id": lead_id, "click": click, "exto": "cli-exto-1"}


@pytest.mark.parametrize("named_by", ["click", "exto"])
def test_lead_history_finds_the_lead_by_click_or_exto(history_lead, named_by, capsys):
    # "--": a click id begins with "-" 1 time in 64, and would read as an option (seen in CI)
    assert main(["lead", "history", "--", history_lead[named_by]]) == 0

    assert f"Lead {history_lead['id']}" in capsys.readouterr().out


def test_lead_history_lists_the_leads_an_exto_names_when_there_are_several(
    demo, database, monkeypatch, capsys
):
    ids = [create(demo, flow=flow, exto="shared-exto").json()["id"] for flow in ("101", "102")]
    monkeypatch.setenv("DATABASE_URL", database.url())

    assert main(["lead", "history", "shared-exto"]) == 2

    told = capsys.readouterr().err
    assert all(lead_id in told for lead_id in ids)
    assert "2 leads match 'shared-exto'; name one by its id" in told


def test_lead_history_in_a_pipe_prints_whole_values(history_lead, capsys):
    assert main(["lead", "history", history_lead["id"]]) == 0

    printed = capsys.readouterr().out
    assert "…" not in printed
    assert history_lead["click"] in printed


def test_lead_history_json_is_the_history_document(history_lead, capsys):
    assert main(["lead", "history", history_lead["exto"], "--json"]) == 0

    document = json.loads(capsys.readouterr().out)
    assert document["id"] == history_lead["id"]
    assert len(document["steps"]) == 2


def test_audit_commands_print_json_for_scripts(history_lead, capsys):
    assert main(["audit", "verify", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["intact"] is True
    assert main(["audit", "check", "--json"]) == 0
    checked = json.loads(capsys.readouterr().out)
    assert checked["ok"] is True and checked["violations"] == []


def test_logs_are_text_on_a_terminal_and_json_elsewhere_unless_configured(monkeypatch):
    monkeypatch.delenv("LEDGER_LOG_FORMAT", raising=False)
    terminal = io.StringIO()
    terminal.isatty = lambda: True  # type: ignore[method-assign]
    monkeypatch.setattr(sys, "stderr", terminal)
    assert log_style() == "text"
    monkeypatch.setenv("LEDGER_LOG_FORMAT", "json")
    assert log_style() == "json"
    monkeypatch.setattr(sys, "stderr", io.StringIO())
    monkeypatch.delenv("LEDGER_LOG_FORMAT")
    assert log_style() == "json"


def test_log_records_during_the_rebuild_bar_go_through_its_console():
    screen = io.StringIO()
    console = Console(file=screen, width=120)
    with _logs_through(console):
        logging.getLogger("postback_ledger").warning("a record while the bar is drawn")

    assert "a record while the bar is drawn" in screen.getvalue()


@pytest.fixture
def running_embedded():
    folder = leftovers.temp_folder("plc")
    server = start_embedded(folder)
    yield folder
    server.cleanup()
    shutil.rmtree(folder, ignore_errors=True)


def test_a_command_joining_a_running_embedded_postgres_prints_no_warning_and_no_start(
    running_embedded,
):
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "XDG_RUNTIME_DIR")}
    env.update(LEDGER_DATA_DIR=str(running_embedded), LEDGER_LOG_FORMAT="text")

    finished = run("audit", "check", env=env)

    assert finished.returncode == 0, finished.stderr
    assert "RuntimeDirWarning" not in finished.stderr
    assert "starting embedded PostgreSQL" not in finished.stderr
