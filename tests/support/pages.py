"""Builders for the support page's browser tests: a lead worth reading, logging in, waiting."""

from __future__ import annotations

import time
from urllib.parse import parse_qs, urlparse

from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from tests.controls import SITE_TOKEN

DEADLINE = 30  # seconds: generous, the machine is shared


def disputed_lead(server, exto: str = "order-1042") -> tuple[str, str]:
    """A lead with a life worth reading: created, held, approved on a better goal, a refused
    cancel with a wrong token, then a real cancel. Returns (click, lead id)."""
    with server.client() as http:
        click = new_click(http)
        send = lambda path, **params: http.get(path, params={"token": SITE_TOKEN, **params})  # noqa: E731
        lead_id = send("/api/site/click.json", click=click, exto=exto).json()["id"]
        send("/api/site/status.json", click=click, status="hold")
        send("/api/site/status.json", click=click, status="approved", goal="deposit")
        refused = {"token": "7-wrong", "click": click, "status": "cancel"}
        http.get("/api/site/status.json", params=refused)
        last = send("/api/site/status.json", click=click, status="cancelled").json()["position"]
        http.get(f"/api/leads/{lead_id}", params={"after": last}, headers=server.admin_headers)
        wait_for_log(http, server, click, 5)
    return click, lead_id


def new_click(http) -> str:
    landing = http.get("/go/cc-traffic", params={"sub1": "spring"}, follow_redirects=False)
    return parse_qs(urlparse(landing.headers["location"]).query)["click"][0]


def wait_for_log(http, server, click: str, count: int) -> None:
    deadline = time.monotonic() + DEADLINE
    while time.monotonic() < deadline:
        items = http.get("/api/postbacks", params={"click": click}, headers=server.admin_headers)
        if len(items.json()["items"]) >= count:
            return
        time.sleep(0.05)
    raise AssertionError("the postback log did not catch up")


def log_in(driver, server) -> None:
    driver.get(f"{server.base_url}/support")
    assert "/support/login" in driver.current_url
    driver.find_element(By.ID, "token").send_keys(server.admin_token)
    driver.find_element(By.ID, "login").click()
    WebDriverWait(driver, DEADLINE).until(lambda d: "/support/login" not in d.current_url)


def admin_cookie(server) -> dict[str, str]:
    """The cookie the login form sets, for fetching the page's download links over HTTP."""
    return {"ledger_admin": server.admin_token}
