"""With PostgreSQL down every endpoint answers at once: 503 with Retry-After, or for `/go` the
visitor sent on (the click recorded once PostgreSQL is back); every endpoint serves again after.

Before the database gate an admin read, the support page or `/go` waited out the event store's
retries (about 30 s) with the database down. Each request here gets a client deadline far below
that but far above the second the gate needs, so a slow machine does not change the outcome.
"""

from __future__ import annotations

import time

import httpx
import pytest

from tests.controls import ADMIN_TOKEN, SITE_TOKEN
from tests.fault_controls import OwnPostgres, record_figures, wait_until
from tests.servers import running_server

pytestmark = pytest.mark.slow
DEADLINE_SECONDS = 10.0  # per request: bounded means well under the ~30 s of the retries
RECOVERY_SECONDS = 30.0


@pytest.fixture
def own_postgres():
    postgres = OwnPostgres()
    yield postgres
    postgres.close()


def endpoints(lead_id: str) -> dict[str, str]:
    """One request per endpoint family: name -> path with its query. A read comes first, so that
    it, not a postback, meets the database down with the breaker still closed."""
    return {
        "lead": f"/api/leads/{lead_id}",
        "lead history": f"/api/leads/{lead_id}/history",
        "commission": f"/api/leads/{lead_id}/commission",
        "postback log": "/api/postbacks?limit=5",
        "balances": "/api/balances?webmaster=wm-1",
        "ledger entries": "/api/ledger?account=webmaster:wm-1",
        "commission report": "/api/reports/commissions",
        "recalculations": "/api/recalculations",
        "export": "/api/exports/postbacks?format=ndjson",
        "support search": "/support/?q=nobody",
        "support lead": f"/support/leads/{lead_id}",
        "support postbacks": "/support/postbacks",
        "readiness": "/health/ready",
        "a link the worker does not know": "/go/999",
        "postback": f"/api/site/click.json?token={SITE_TOKEN}&flow=101&exto=while-down",
    }


def test_every_endpoint_answers_at_once_with_postgres_down_and_serves_again_after(
    own_postgres, tmp_path
):
    database = own_postgres.new_database()
    with running_server(database, tmp_path / "srv") as server, _client(server) as http:
        lead_id = _prepare(http)
        families = endpoints(lead_id)
        assert [name for name, path in families.items() if _serves(http, name, path)] == list(
            families
        )

        own_postgres.stop()
        down = {name: _get(http, path) for name, path in families.items()}
        sent_on = _get(http, "/go/101")
        live = _get(http, "/health/live")
        docs = _get(http, "/schema/openapi.json")
        own_postgres.start()
        started = time.monotonic()
        recovered = wait_until(
            lambda: all(_serves(http, name, path) for name, path in families.items()),
            RECOVERY_SECONDS,
            every=0.05,
        )
        recovery = time.monotonic() - started
        lead_for_deferred = _lead_for_click(http, sent_on.headers["location"])

    not_refused = {
        name: (answer.status_code, answer.headers.get("retry-after"))
        for name, answer in down.items()
        if answer.status_code != 503 or not answer.headers.get("retry-after")
    }
    assert not_refused == {}, server.log_tail(30)
    assert down["lead"].json()["error"] == "database_unavailable"
    assert sent_on.status_code == 302
    assert sent_on.headers["location"].startswith("https://acme.example/land?click=")
    assert live.status_code == 200 and docs.status_code == 200
    assert recovered, server.log_tail(30)
    assert lead_for_deferred.status_code == 200, lead_for_deferred.text
    record_figures(
        "every endpoint with PostgreSQL down",
        endpoints=len(down),
        slowest_503_s=round(max(a.elapsed.total_seconds() for a in down.values()), 2),
        all_serving_again_after_start_s=round(recovery, 2),
    )


def _client(server) -> httpx.Client:
    return httpx.Client(
        base_url=server.base_url,
        headers={"Authorization": f"Bearer {ADMIN_TOKEN}"},
        cookies={"ledger_admin": ADMIN_TOKEN},
        timeout=DEADLINE_SECONDS,
        follow_redirects=False,
    )


def _prepare(http: httpx.Client) -> str:
    """A lead, and a click that loads the catalog into the worker's cache."""
    assert http.get("/go/101").status_code == 302
    created = http.get(
        "/api/site/click.json", params={"token": SITE_TOKEN, "flow": "101", "exto": "before"}
    )
    assert created.status_code == 200, created.text
    return created.json()["id"]


def _lead_for_click(http: httpx.Client, landing: str) -> httpx.Response:
    """A creation postback naming the click the visitor was sent on with, once a click served
    with the database up has recorded the deferred ones."""
    click = httpx.URL(landing).params["click"]
    assert http.get("/go/101").status_code == 302
    return http.get("/api/site/click.json", params={"token": SITE_TOKEN, "click": click})


def _get(http: httpx.Client, path: str) -> httpx.Response:
    return http.get(path)  # a timeout raises: the endpoint was not bounded


def _serves(http: httpx.Client, name: str, path: str) -> bool:
    return http.get(path).status_code < 500
