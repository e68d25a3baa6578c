"""Schemathesis 4, every check, against a live server: the OpenAPI document tells the truth.

(It replaces tests/ops/test_fuzz_openapi.py, which looked for 500s only.)

`st run` reads the served `/schema/openapi.json` and runs its coverage, fuzzing and stateful
phases (following the document's links, e.g. a recalculation started → read, a ledger page →
its lead's reads) with the admin token and the demo site token, on a server with the demo
catalog and a few leads. Every check is on (`--checks all`), plus `error_code_is_listed`
(tests/ops/schemathesis_hooks.py): an error's code must be one its endpoint lists.

Deliberate deviations, configured in tests/ops/schemathesis.toml:
1. The postback endpoints may refuse a schema-valid postback with 400 or 422: whether it is
   accepted depends on the catalog (a known click, flow or goal) and on which parameters go
   together, which no schema can state. Their answers are still checked against the document.
2. `/api/balances` needs exactly one of webmaster, advertiser or network: OpenAPI 3.1 cannot make
   one of several query parameters required, so naming none or two is a schema-valid 400.
3. `POST /api/recalculations` is not checked for accepting schema-invalid bodies: Litestar reads
   JSON bodies leniently (msgspec `strict=False`), so `dry_run` also takes 0/1 and "true".
4. `POST /api/reconciliations` may refuse a schema-valid upload with 400: its period, tolerances
   and mapping follow the statement's own reading rules (a date or a date-time, `1d`,
   `field:Column,…`), and only reading the CSV body tells whether it is a statement. Each
   refusal names the parameter, or the line and column; an advertiser the catalog does not
   name is 404.
5. `GET /api/holds` may refuse a schema-valid request with 400: its `cursor` is opaque (only a
   `next_cursor` this service gave out is one) and `due_before` is a date or an ISO 8601 time.
6. Periods, payouts, payables and invoices may refuse a schema-valid request with 400, 404, 409
   or 422: whether a close, a payout or an invoice is possible depends on the ledger's state
   (money payable, the last close, a known currency with money in it, a readable `until`);
   `/api/payables`' `cursor` is opaque, as `/api/holds`' is (only a next_cursor it gave out).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.controls import SITE_TOKEN
from tests.fault_controls import record_figures
from tests.servers import REPOSITORY

pytestmark = pytest.mark.slow
CONFIG = Path(__file__).with_name("schemathesis.toml")
RUN_SECONDS = 900  # a bound for a hung run, not a speed requirement; it takes about 3 min


def seed_leads(server) -> None:
    """Leads with ledger entries, so that the stateful phase has something to read."""
    with server.client() as http:
        for number in range(3):
            params = {"token": SITE_TOKEN, "flow": "101", "exto": f"seed-{number}"}
            assert http.get("/api/site/click.json", params=params).status_code == 200
            params["status"] = "hold"
            assert http.get("/api/site/status.json", params=params).status_code == 200


def test_schemathesis_finds_nothing_with_all_checks(live_server, tmp_path):
    seed_leads(live_server)
    command = [
        str(Path(sys.executable).parent / "st"), "--config-file", str(CONFIG), "run",
        f"{live_server.base_url}/schema/openapi.json", "--checks", "all",
        "--phases", "coverage,fuzzing,stateful", "--workers", "1", "--no-color",
        "--report", "junit", "--report-dir", str(tmp_path / "report"),
    ]  # fmt: skip
    environment = {
        **os.environ,
        "LEDGER_TEST_ADMIN_TOKEN": live_server.admin_token,
        "LEDGER_TEST_SITE_TOKEN": SITE_TOKEN,
        "PYTHONPATH": str(REPOSITORY),  # for the hooks module
    }
    started = time.monotonic()
    run = subprocess.run(
        command, cwd=REPOSITORY, env=environment, capture_output=True, text=True,
        timeout=RUN_SECONDS,
    )  # fmt: skip

    assert run.returncode == 0, failures_of(run.stdout) + run.stderr[-3000:]
    cases = re.search(r"(\d+) generated", run.stdout)
    record_figures(
        "schemathesis", test_cases=int(cases[1]) if cases else None, failures=0,
        seconds=round(time.monotonic() - started),
    )  # fmt: skip


def failures_of(output: str) -> str:
    """The failures section of `st run`'s output, then its summary."""
    start = output.find("FAILURES")
    end = output.find("WARNINGS", start)
    summary = output[output.find("SUMMARY") :]
    return (output[start:end] if start >= 0 else output[-8000:])[:16000] + summary
