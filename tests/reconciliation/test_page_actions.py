"""From the support page, without curl: upload a statement with its mapping, read the report,
dry-run and accept lines (forms behind the support login)."""

from __future__ import annotations

from urllib.parse import unquote

from tests.controls import ADMIN, ADMIN_TOKEN, create
from tests.reconciliation.controls import period, statement


def test_an_operator_uploads_dry_runs_and_accepts_from_the_support_page(demo, services):
    create(demo, flow="101", exto="o-1")
    services.runner.catch_up()
    demo.cookies.set("ledger_admin", ADMIN_TOKEN)
    body = statement([["o-1", "Done"]], ["Order ID", "Status"])
    when = {k: v[:10] for k, v in period().items()}

    form = demo.get("/support/reconciliations")
    uploaded = demo.post(
        "/support/reconciliations/upload", follow_redirects=False,
        data={"advertiser": "adv-1", **when, "mapping": "exto:Order ID,sta:done"},
        files={"file": ("acme.csv", body, "text/csv")},
    )  # fmt: skip
    report = demo.get(uploaded.headers["location"])
    run_id = uploaded.headers["location"].split("/")[-1].split("?")[0]
    dry = demo.post(f"/support/reconciliations/{run_id}/accept",
                    data={"classes": "value_differs", "action": "dry_run"})  # fmt: skip
    unchanged = demo.get(f"/api/reconciliations/{run_id}/lines", headers=ADMIN).json()
    done = demo.post(f"/support/reconciliations/{run_id}/accept",
                     data={"lines": "2", "action": "accept"})  # fmt: skip
    listing = demo.get("/support/reconciliations")

    assert 'id="upload"' in form.text and 'enctype="multipart/form-data"' in form.text
    assert uploaded.status_code == 303, uploaded.text
    assert report.status_code == 200 and "acme.csv" in report.text and 'id="accept"' in report.text
    assert dry.status_code == 200 and "Dry run" in dry.text and "settled" in dry.text
    assert unchanged["items"][0]["settled_at"] is None
    assert done.status_code == 200 and "Accepted." in done.text
    settled = demo.get(f"/api/reconciliations/{run_id}/lines", headers=ADMIN).json()
    assert settled["items"][0]["settled_at"] is not None
    assert "exto:Order ID" in listing.text  # the remembered mapping is shown


def test_a_refused_upload_comes_back_as_the_pages_notice(demo):
    demo.cookies.set("ledger_admin", ADMIN_TOKEN)
    when = {k: v[:10] for k, v in period().items()}

    bad = ("bad.csv", b"exto,amount,currency\no-1,1.2.3,USD\n", "text/csv")

    answer = demo.post("/support/reconciliations/upload", data={"advertiser": "adv-1", **when},
                       files={"file": bad})  # fmt: skip

    assert answer.status_code == 200
    assert "Refused" in answer.text and "line 2" in answer.text


def test_the_page_applies_the_remembered_mapping_only_when_ticked(demo, services):
    create(demo, flow="101", exto="o-1")
    services.runner.catch_up()
    demo.cookies.set("ledger_admin", ADMIN_TOKEN)
    body = statement([["o-1", "Done"]], ["Order ID", "Status"])
    when = {"advertiser": "adv-1", **{k: v[:10] for k, v in period().items()}}

    def send(**fields: str) -> str:
        answer = demo.post(
            "/support/reconciliations/upload", follow_redirects=False,
            data={**when, **fields}, files={"file": ("acme.csv", body, "text/csv")},
        )  # fmt: skip
        return unquote(answer.headers["location"])

    first = send(mapping="exto:Order ID,sta:done")
    unticked = send()
    ticked = send(use_remembered_mapping="true")
    form = demo.get("/support/reconciliations")

    assert first.endswith("notice=Reconciled.") and ticked.endswith("notice=Reconciled.")
    assert "Refused:" in unticked and "use_remembered_mapping=true" in unticked
    assert 'name="use_remembered_mapping"' in form.text
