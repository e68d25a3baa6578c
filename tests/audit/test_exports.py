"""Exports of postbacks, ledger entries and lead histories, as CSV and NDJSON, streamed."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime

from tests.controls import ADMIN, change, create, new_click


def export(client, services, dataset: str, **params) -> tuple[str, str]:
    services.runner.catch_up()
    response = client.get(f"/api/exports/{dataset}", params=params, headers=ADMIN)
    assert response.status_code == 200, response.text
    return response.headers["content-type"], response.text


def approved_lead(client, flow: str = "cc-traffic") -> str:
    click = new_click(client, flow=flow)
    lead_id = create(client, click=click).json()["id"]
    change(client, click=click, status="approve")
    return lead_id


def test_postbacks_export_as_csv_has_one_row_per_postback(demo, services):
    approved_lead(demo)

    media, text = export(demo, services, "postbacks", format="csv")

    rows = list(csv.DictReader(io.StringIO(text)))
    assert media.startswith("text/csv")
    assert [row["outcome"] for row in rows] == ["created", "changed"]
    assert json.loads(rows[1]["params"])["status"] == ["approve"]


def test_postbacks_export_for_a_webmaster_leaves_out_other_webmasters_leads(demo, services):
    mine = approved_lead(demo, flow="cc-traffic")
    approved_lead(demo, flow="cc-push")

    _, text = export(demo, services, "postbacks", format="ndjson", webmaster="wm-1")

    lines = [json.loads(line) for line in text.splitlines()]
    assert {line["lead_id"] for line in lines} == {mine}


def test_postbacks_export_of_a_period_leaves_out_later_postbacks(demo, services):
    approved_lead(demo)
    later = datetime.now(UTC).isoformat()
    approved_lead(demo)

    _, text = export(demo, services, "postbacks", format="ndjson", to=later)

    assert len(text.splitlines()) == 2


def test_histories_export_as_ndjson_holds_one_history_a_line(demo, services):
    first, second = approved_lead(demo), approved_lead(demo)

    _, text = export(demo, services, "histories", format="ndjson", advertiser="adv-1")

    histories = [json.loads(line) for line in text.splitlines()]
    assert [history["id"] for history in histories] == [first, second]
    assert [len(history["steps"]) for history in histories] == [2, 2]


def test_histories_export_as_csv_shows_the_money_before_and_after_each_step(demo, services):
    approved_lead(demo)

    _, text = export(demo, services, "histories", format="csv")

    created, approved = csv.DictReader(io.StringIO(text))
    assert created["commission_before"] == ""
    assert created["commission_after"] == "10.00 USD"
    assert (approved["status_before"], approved["status_after"]) == ("new", "approve")


def test_an_export_with_nothing_in_it_is_a_header_only(demo, services):
    _, text = export(demo, services, "ledger", format="csv", advertiser="nobody")

    assert text.splitlines()[0].startswith("id,posting_id,lead_id")
    assert len(text.splitlines()) == 1


def test_an_unknown_dataset_is_refused(demo):
    response = demo.get("/api/exports/passwords", headers=ADMIN)

    assert response.status_code == 400


def test_an_export_by_dates_reads_each_as_a_day_in_the_ledger_time_zone(demo, services):
    approved_lead(demo)
    today = datetime.now(UTC).date()

    _, included = export(demo, services, "postbacks", format="ndjson", **{"from": str(today)})
    _, excluded = export(demo, services, "postbacks", format="ndjson", to=str(today))

    assert len(included.splitlines()) == 2
    assert excluded == ""


def test_an_export_with_a_bound_that_is_no_date_names_the_parameter_as_sent(demo):
    response = demo.get("/api/exports/ledger", params={"from": "1 Dec"}, headers=ADMIN)

    assert response.status_code == 400
    assert response.json()["error"] == "invalid_parameter"
    assert response.json()["message"].startswith("from '1 Dec' is not a date")
    assert "from_" not in response.text


def test_a_date_bound_is_its_midnight_in_the_ledger_time_zone():
    from app.audit.period import bound

    assert bound("2026-12-01", "from", "Europe/Moscow") == datetime(2026, 11, 30, 21, tzinfo=UTC)
    assert bound("2026-12-01T10:00:00", "from", "Europe/Moscow") == datetime(
        2026, 12, 1, 10, tzinfo=UTC
    )


def test_csv_booleans_are_true_and_false_as_in_the_json_answers():
    from app.audit.exports import csv_rows

    text = b"".join(csv_rows([{"dry_run": True, "ignored": False}])).decode()

    assert text.splitlines() == ["dry_run,ignored", "true,false"]


def test_a_lead_download_names_one_charset(demo, services):
    from tests.support.test_page import logged_in

    lead_id = approved_lead(demo)
    services.runner.catch_up()
    logged_in(demo)

    response = demo.get(f"/support/leads/{lead_id}/entries.csv")

    assert response.status_code == 200
    assert response.headers["content-type"].lower().count("charset") == 1
