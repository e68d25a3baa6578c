"""`postback-ledger reconcile FILE …` stores the same report as the upload, and prints it."""

from __future__ import annotations

from app.cli.main import main
from tests.controls import ADMIN, create
from tests.reconciliation.controls import period, statement


def test_reconcile_command_prints_the_summary_and_stores_the_report(
    demo, services, database, monkeypatch, capsys, tmp_path
):
    create(demo, flow="101", exto="o-1")
    create(demo, flow="101", exto="o-2")
    file = tmp_path / "acme.csv"
    file.write_bytes(statement([["o-1", "Approved", "15.00"]], ["Order ID", "Status", "Payout"]))
    monkeypatch.setenv("DATABASE_URL", database.url())
    span = period()

    code = main(["reconcile", str(file), "--advertiser", "adv-1", "--from", span["from"],
                 "--to", span["to"], "--mapping", "exto:Order ID,amount:Payout"])  # fmt: skip

    assert code == 1  # an amount needs a currency: the command says where
    refused = capsys.readouterr().err
    assert "missing_currency" in refused and "line 2, column 'currency'" in refused
    file.write_bytes(
        statement([["o-1", "Approved", "15.00", "USD"]], ["Order ID", "Status", "Payout", "cur"])
    )
    mapping = "exto:Order ID,amount:Payout,currency:cur"
    code = main(["reconcile", str(file), "--advertiser", "adv-1", "--from", span["from"],
                 "--to", span["to"], "--mapping", mapping])  # fmt: skip

    assert code == 0
    printed = capsys.readouterr().out
    assert "value_differs" in printed and "only_in_ledger" in printed
    run_id = printed.split("Reconciliation ", 1)[1].split()[0]
    report = demo.get(f"/api/reconciliations/{run_id}", headers=ADMIN).json()
    assert report["file_name"] == "acme.csv"
    assert report["actor"].startswith("cli:")
    assert {k: v["count"] for k, v in report["summary"].items() if v["count"]} == {
        "value_differs": 1, "only_in_ledger": 1
    }  # fmt: skip
