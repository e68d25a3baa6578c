"""Uploads and accepts of different advertisers run side by side; one advertiser's are ordered.

An upload of adv-1 is held in the middle of its file (its reader waits on an event), with its
transaction open, as a large upload is while it runs. Meanwhile an upload of adv-2 and an accept
of an adv-2 reconciliation are answered, and a second upload (or accept) of adv-1 is refused at
once with 409 `advertiser_busy` naming the running upload. (Before, every one of them waited for
the held upload's transaction: the hang guard below is the only timing in these tests.)
"""

from __future__ import annotations

import io
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from app.reconciliation.matching import reconcile
from app.reconciliation.options import upload_from
from tests.controls import ADMIN, GLOBAL_TOKEN, create
from tests.reconciliation.controls import period, statement, upload, uploaded

HANG = 120  # seconds: far beyond an answer, only there so a regression fails instead of hanging


class HeldFile(io.BytesIO):
    """A statement whose reading stops after its third line until `release` is set."""

    def __init__(self, data: bytes) -> None:
        super().__init__(data)
        self.reached, self.release = threading.Event(), threading.Event()

    def __iter__(self):
        for number, line in enumerate(io.BytesIO(self.getvalue()), 1):
            if number == 4:
                self.reached.set()
                self.release.wait(HANG)
            yield line


@pytest.fixture
def held_upload(demo, services):
    create(demo, flow="101", exto="o-1")
    services.runner.catch_up()
    rows = [["o-1", "new"], ["o-2", "new"], ["o-3", "new"], ["o-4", "new"]]
    file = HeldFile(statement(rows, ["exto", "status"]))
    when = period()
    job = upload_from("adv-1", when["from"], when["to"], None, "0", "1d", "test", "held.csv")
    with ThreadPoolExecutor(1) as pool:
        running = pool.submit(reconcile, services.ledger, services.catalog.current(), job, file)
        assert file.reached.wait(HANG)
        try:
            yield running
        finally:
            file.release.set()
        running.result(HANG)


def _answer(call):
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(call).result(HANG)


def test_an_upload_of_another_advertiser_is_answered_while_one_runs(demo, held_upload):
    body = statement([["e-1", "new"]], ["exto", "status"])

    response = _answer(lambda: upload(demo, body, advertiser="adv-2"))

    assert response.status_code == 201, response.text
    assert not held_upload.done()


def test_an_accept_of_another_advertiser_is_answered_while_one_runs(demo, services):
    assert create(demo, flow="201", exto="e-1", token=GLOBAL_TOKEN).status_code == 200
    services.runner.catch_up()
    run = uploaded(demo, statement([["e-1", "approved"]], ["exto", "status"]),
                   advertiser="adv-2")  # fmt: skip
    body = {"classes": ["value_differs"], "dry_run": True}
    held = held_upload.__wrapped__(demo, services)
    next(held)
    try:
        response = _answer(lambda: demo.post(f"/api/reconciliations/{run['id']}/accept",
                                             json=body, headers=ADMIN))  # fmt: skip
    finally:
        with pytest.raises(StopIteration):
            next(held)

    assert response.status_code == 200, response.text
    assert [line["outcome"] for line in response.json()["lines"]] == ["settled"]


def test_a_second_upload_of_the_same_advertiser_is_told_what_it_waits_for(demo, held_upload):
    body = statement([["o-1", "new"]], ["exto", "status"])

    response = _answer(lambda: upload(demo, body, advertiser="adv-1"))

    assert response.status_code == 409, response.text
    found = response.json()
    assert found["error"] == "advertiser_busy" and found["running"] == "upload"
    assert found["running_id"] in found["message"] and found["running_since"]
    assert response.headers["retry-after"]


def test_the_running_upload_is_readable_by_the_id_the_refusal_named(demo, services):
    create(demo, flow="101", exto="o-1")
    services.runner.catch_up()
    first = uploaded(demo, statement([["o-1", "new"]], ["exto", "status"]))
    held = held_upload.__wrapped__(demo, services)
    running = next(held)
    try:
        busy = _answer(lambda: upload(demo, statement([["o-1", "new"]], ["exto", "status"])))
        accept = _answer(lambda: demo.post(f"/api/reconciliations/{first['id']}/accept",
                                           json={"lines": [2]}, headers=ADMIN))  # fmt: skip
    finally:
        with pytest.raises(StopIteration):
            next(held)

    assert busy.status_code == 409 and accept.status_code == 409, (busy.text, accept.text)
    run_id, _ = running.result()
    assert busy.json()["running_id"] == accept.json()["running_id"] == str(run_id)
    stored = demo.get(f"/api/reconciliations/{run_id}", headers=ADMIN)
    assert stored.status_code == 200 and stored.json()["file_name"] == "held.csv"
