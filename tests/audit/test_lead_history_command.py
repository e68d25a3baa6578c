"""`postback-ledger lead history ID` prints the lead's history as a table."""

from __future__ import annotations

from app.cli.main import main
from tests.controls import change, create, new_click


def test_lead_history_command_prints_each_postback_and_the_money_change(
    demo, database, monkeypatch, capsys
):
    click = new_click(demo)
    lead_id = create(demo, click=click).json()["id"]
    change(demo, click=click, status="approve", goal="dep")
    monkeypatch.setenv("DATABASE_URL", database.url())

    assert main(["lead", "history", lead_id, "--width", "200"]) == 0

    printed = capsys.readouterr().out
    assert f"Lead {lead_id}" in printed
    assert "new → approve" in printed
    assert "10.00 USD → 40.00 USD" in printed


def test_lead_history_command_exits_1_for_an_unknown_lead(demo, database, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", database.url())

    assert main(["lead", "history", "00000000-0000-0000-0000-000000000000"]) == 1
