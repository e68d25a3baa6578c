"""Probes, metrics, request ids and the invariant check, as an operator sees them."""

from __future__ import annotations

import json
import logging

import psycopg

from app.audit.check import audit
from app.ops.logs import JsonFormatter
from tests.controls import change, create
from tests.security_controls import postback_log


def test_liveness_answers_without_touching_the_database(demo):
    assert demo.get("/health/live").json() == {"status": "live"}


def test_readiness_reports_the_lag_of_each_projection(demo, services):
    create(demo, flow="101", exto="ready-1")
    services.runner.catch_up()

    answer = demo.get("/health/ready")

    assert answer.status_code == 200, answer.text
    lag = answer.json()["projection_lag"]
    assert {"lead_view", "postback_log"} <= set(lag) and set(lag.values()) == {0}


def test_readiness_fails_when_projections_lag_beyond_the_limit(demo, services):
    services.runner.stop()
    services.settings.__dict__["ready_max_lag"] = 0  # frozen dataclass: a test-only change
    create(demo, flow="101", exto="lagging")

    answer = demo.get("/health/ready")

    assert answer.status_code == 503
    assert answer.json()["status"] == "not_ready"
    assert "retry-after" in answer.headers


def test_metrics_count_postbacks_by_endpoint_and_outcome(demo, services):
    create(demo, flow="101", exto="m-1")
    create(demo, flow="101", exto="m-1")
    change(demo, flow="101", exto="m-1", status="bogus-word")
    services.runner.catch_up()

    text = demo.get("/metrics").text

    assert 'ledger_postbacks_total{endpoint="click",error="",outcome="created"} 1.0' in text
    assert 'ledger_postbacks_total{endpoint="click",error="",outcome="duplicate"} 1.0' in text
    assert (
        'ledger_postbacks_total{endpoint="status",error="unknown_status",outcome="rejected"} 1.0'
        in text
    )
    assert "ledger_http_request_duration_seconds_bucket" in text
    assert 'ledger_projection_lag_events{projection="lead_view"} 0.0' in text


def test_the_senders_request_id_is_echoed_and_stored_with_the_postback(demo, services):
    response = demo.get(
        "/api/site/click.json",
        params={"token": "7-s3cr3t", "flow": "101", "exto": "rid-1"},
        headers={"X-Request-Id": "sender-req-42"},
    )

    assert response.headers["x-request-id"] == "sender-req-42"
    [stored] = postback_log(demo, services, exto="rid-1")
    assert stored["request_id"] == "sender-req-42"


def test_an_unusable_request_id_is_replaced_by_a_fresh_one(demo, services):
    response = demo.get(
        "/api/site/click.json",
        params={"token": "7-s3cr3t", "flow": "101", "exto": "rid-2"},
        headers={"X-Request-Id": "x" * 500},
    )

    fresh = response.headers["x-request-id"]
    assert len(fresh) == 32
    [stored] = postback_log(demo, services, exto="rid-2")
    assert stored["request_id"] == fresh


def test_log_records_are_json_lines_with_the_request_id():
    from app.ops.logs import REQUEST_ID

    token = REQUEST_ID.set("req-7")
    try:
        record = logging.LogRecord("x", logging.INFO, "", 0, "hello %s", ("world",), None)
        record.outcome = "created"
        line = json.loads(JsonFormatter().format(record))
    finally:
        REQUEST_ID.reset(token)

    assert line["message"] == "hello world"
    assert line["request_id"] == "req-7" and line["outcome"] == "created"


def _access_lines(caplog) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == "postback_ledger.access"]


def test_at_info_a_refused_postback_is_logged_and_an_accepted_one_is_not(demo, caplog):
    caplog.set_level(logging.INFO, logger="postback_ledger.access")
    create(demo, flow="101", exto="quiet-1")
    create(demo, flow="101", exto="loud-1", token="wrong-token")

    lines = _access_lines(caplog)

    assert [(r.status, r.error) for r in lines] == [(401, "invalid_token")]


def test_at_debug_every_postback_has_an_access_line_with_its_outcome(demo, caplog):
    caplog.set_level(logging.DEBUG, logger="postback_ledger.access")
    create(demo, flow="101", exto="seen-1")

    [line] = _access_lines(caplog)

    assert (line.levelno, line.status, line.outcome) == (logging.DEBUG, 200, "created")


def test_the_invariant_check_passes_on_a_busy_ledger(demo, services, database):
    for n in range(5):
        create(demo, flow="101", exto=f"audit-{n}")
        change(demo, flow="101", exto=f"audit-{n}", status="approve", pay="20.00")
    change(demo, flow="101", exto="audit-0", status="cancel")
    create(demo, token="7-wrong", flow="101", exto="refused")
    services.runner.catch_up()

    report = audit(database, services.ledger)

    assert report.ok, report.lines()
    assert report.checked["leads"] == 5


def test_the_invariant_check_reports_a_lead_view_that_contradicts_its_events(
    demo, services, database
):
    lead_id = create(demo, flow="101", exto="tampered").json()["id"]
    services.runner.catch_up()
    with psycopg.connect(database.conninfo(), autocommit=True) as connection:
        connection.execute("UPDATE lead_view SET status = 'approve' WHERE id = %s", (lead_id,))

    report = audit(database, services.ledger)

    assert not report.ok
    assert f"lead {lead_id}: lead view says status" in report.violations[0]


def test_the_invariant_check_reports_a_postback_missing_from_the_log(demo, services, database):
    create(demo, flow="101", exto="lost-from-log")
    services.runner.catch_up()
    with psycopg.connect(database.conninfo(), autocommit=True) as connection:
        connection.execute("DELETE FROM postback_log")

    report = audit(database, services.ledger)

    assert any("missing from the postback log" in line for line in report.violations)


def test_a_rebuilds_progress_is_published_as_a_metric(demo):
    from app.ops.metrics import publishing_rebuild_progress

    seen = []
    publishing_rebuild_progress(lambda done, total: seen.append(done), "all")(250, 1000)

    assert 'ledger_rebuild_progress_ratio{projection="all"} 0.25' in demo.get("/metrics").text
    assert seen == [250]
