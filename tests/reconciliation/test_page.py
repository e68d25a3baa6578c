"""The support page lists reconciliations and shows one report with a tab per class."""

from __future__ import annotations

from tests.controls import ADMIN_TOKEN, create
from tests.reconciliation.controls import statement, uploaded


def test_the_report_page_has_a_tab_per_class_and_lists_the_chosen_class(demo, services):
    create(demo, flow="101", exto="o-1")
    create(demo, flow="101", exto="o-2")
    services.runner.catch_up()
    body = statement([["o-1", "approved"], ["o-9", "new"], ["o-1", "new"]], ["exto", "status"])
    run_id = uploaded(demo, body, file_name="acme-november.csv")["id"]
    demo.cookies.set("ledger_admin", ADMIN_TOKEN)

    listing = demo.get("/support/reconciliations")
    report = demo.get(f"/support/reconciliations/{run_id}", params={"class": "value_differs"})
    duplicates = demo.get(f"/support/reconciliations/{run_id}", params={"class": "duplicates"})

    assert listing.status_code == 200 and "acme-november.csv" in listing.text
    assert report.status_code == 200
    for name in ("matched", "value_differs", "only_in_statement", "only_in_ledger", "duplicates"):
        assert f"?class={name}" in report.text
    assert "<b>status</b>: statement approved (approve), ledger new" in report.text
    assert "repeats 2" in duplicates.text


def test_the_report_page_needs_the_login(client):
    response = client.get("/support/reconciliations", follow_redirects=False)

    assert response.status_code in (302, 303, 307)
    assert "/support/login" in response.headers["location"]
