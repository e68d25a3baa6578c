"""A catalog change is in force when `POST /api/admin/catalog` answers, in every process.

Each worker holds its own catalog snapshot, reloaded now and then; the postback path saves only
if the catalog is still at the version it decided with (`app.eventstore.recorder`). So right
after the answer, over many connections spread across several workers, a site's new key is
accepted and a revoked global token, or the site's old key, refused: no answer follows the
catalog that was just replaced.
"""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlencode

from app.postbacks.parsing import parse_parameters
from app.postbacks.processing import CREATION, PostbackRequest
from domain.signatures import sign, site_signing_secret
from tests.controls import ADMIN, DEMO_CATALOG, GLOBAL_TOKEN, SITE_TOKEN
from tests.servers import running_server

WORKERS = 3
PARALLEL = 24
NEW_SITE_TOKEN = "7-n3w-key"


def changed_catalog() -> bytes:
    document = DEMO_CATALOG.replace(b'key = "s3cr3t"', b'key = "n3w-key"')
    document = document.replace(
        b'global_tokens = ["demo-global-token"]', b'global_tokens = ["next-global-token"]'
    )
    assert document.count(b"n3w-key") == 1 and b'"demo-global-token"]' not in document
    return document


def send_all(server, tokens: list[str], label: str, secret: str | None = None) -> list:
    """One creation per token, all at once, each on a connection of its own (any worker may
    answer); signed with `secret` when given."""
    start = threading.Barrier(len(tokens), timeout=60)

    def send(i: int, token: str):
        query = urlencode({"token": token, "flow": "101", "exto": f"{label}-{i}"})
        headers = {}
        if secret is not None:
            path = "/api/site/click.json"
            headers["X-Signature"] = sign(
                secret, int(time.time()), "GET", path, query.encode(), b""
            )
        start.wait()
        with server.client() as own:
            return own.get(f"/api/site/click.json?{query}", headers=headers)

    with ThreadPoolExecutor(len(tokens)) as pool:
        futures = [pool.submit(send, i, token) for i, token in enumerate(tokens)]
        return [future.result() for future in futures]


def test_right_after_the_answer_every_worker_follows_the_new_catalog(database, tmp_path):
    # Snapshots never grow old enough to reload by themselves: only the rule keeps them honest.
    slow_reload = {"LEDGER_CATALOG_RELOAD_SECONDS": "600"}
    with running_server(database, tmp_path / "server", workers=WORKERS, env=slow_reload) as server:
        # Every worker holds the old catalog: its tokens are accepted everywhere.
        warm = send_all(server, [SITE_TOKEN, GLOBAL_TOKEN] * (PARALLEL // 2), "warm")
        assert {response.status_code for response in warm} == {200}
        with server.client() as http:
            applied = http.post(
                "/api/admin/catalog", content=changed_catalog(), headers=server.admin_headers
            )
        assert applied.status_code == 200, applied.text

        tokens = [NEW_SITE_TOKEN, GLOBAL_TOKEN, SITE_TOKEN] * (PARALLEL // 3)
        answers = send_all(server, tokens, "after")

    pairs = zip(tokens, answers, strict=True)
    outcomes = [(token, r.status_code, r.json().get("error")) for token, r in pairs]
    assert {o for o in outcomes if o[0] == NEW_SITE_TOKEN} == {(NEW_SITE_TOKEN, 200, None)}
    assert {o for o in outcomes if o[0] == GLOBAL_TOKEN} == {(GLOBAL_TOKEN, 401, "invalid_token")}
    assert {o for o in outcomes if o[0] == SITE_TOKEN} == {(SITE_TOKEN, 401, "invalid_token")}


def test_a_postback_screened_under_an_older_catalog_meets_the_newer_ones_access_rules(
    demo, services
):
    screened_with = services.catalog.current().version
    signed = b'key = "s3cr3t"\n  require_signature = true'
    signed_only = DEMO_CATALOG.replace(b'key = "s3cr3t"', signed)
    assert demo.post("/api/admin/catalog", content=signed_only, headers=ADMIN).status_code == 200
    query = f"token={SITE_TOKEN}&flow=101&exto=late-rule".encode()
    parsed = parse_parameters(query, b"", "")
    request = PostbackRequest(
        CREATION, "GET", parsed.values, parsed.recorded, "127.0.0.1", "test",
        screened_version=screened_with,
    )  # fmt: skip

    (result,) = services.processor.process([request])

    assert (result.http_status, result.error) == (401, "bad_signature")


def test_a_site_that_now_signs_accepts_signed_postbacks_on_every_worker_at_once(database, tmp_path):
    """Workers whose catalog copy did not yet know the site signs used to pass its postbacks
    unchecked, and the writer then refused them as unsigned, signed or not."""
    env = {"LEDGER_CATALOG_RELOAD_SECONDS": "600", "LEDGER_SIGNING_KEY": "test-signing-key"}
    secret = site_signing_secret("test-signing-key", 7)
    signs = DEMO_CATALOG.replace(b'key = "s3cr3t"', b'key = "s3cr3t"\n  require_signature = true')
    with running_server(database, tmp_path / "server", workers=WORKERS, env=env) as server:
        warm = send_all(server, [SITE_TOKEN] * PARALLEL, "warm")
        assert {response.status_code for response in warm} == {200}
        with server.client() as http:
            applied = http.post("/api/admin/catalog", content=signs, headers=server.admin_headers)
        assert applied.status_code == 200, applied.text

        signed = send_all(server, [SITE_TOKEN] * PARALLEL, "signed", secret)
        unsigned = send_all(server, [SITE_TOKEN] * (PARALLEL // 2), "unsigned")
        log = server.log_tail(120)  # what the server said, should an answer be wrong

    signed_answers = [(r.status_code, r.json().get("error")) for r in signed]
    assert signed_answers == [(200, None)] * PARALLEL, log
    assert {(r.status_code, r.json().get("error")) for r in unsigned} == {(401, "bad_signature")}
