"""The API docs page renders with no internet: Swagger UI comes from the installed package.

A real headless Chromium in which no host name resolves but 127.0.0.1 (as on a machine without
internet) opens `/schema` and `/schema/swagger`, and every resource the page loaded came from the
server itself. The page offers the admin and site token schemes under "Authorize".
"""

from __future__ import annotations

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from tests.browser import OFFLINE, chromium_session, screenshot

pytestmark = pytest.mark.slow
LOADED_URLS = "return performance.getEntriesByType('resource').map(e => e.name)"


@pytest.fixture
def offline_chromium(tmp_path):
    yield from chromium_session(tmp_path, OFFLINE)


def operations_shown(driver) -> int:
    return len(driver.find_elements(By.CSS_SELECTOR, ".swagger-ui .opblock"))


@pytest.mark.parametrize("page", ["/schema", "/schema/swagger"])
def test_the_docs_page_renders_every_operation_without_internet(
    offline_chromium, live_server, page
):
    offline_chromium.get(f"{live_server.base_url}{page}")

    WebDriverWait(offline_chromium, 30).until(lambda d: operations_shown(d) >= 20)
    loaded = offline_chromium.execute_script(LOADED_URLS)
    assert loaded, "the page loaded no script or stylesheet"
    assert [url for url in loaded if not url.startswith(live_server.base_url)] == []
    screenshot(offline_chromium, f"docs-offline{page.replace('/', '-')}")


def test_the_docs_page_can_authorize_admin_and_site_calls(offline_chromium, live_server):
    offline_chromium.get(f"{live_server.base_url}/schema")
    WebDriverWait(offline_chromium, 30).until(lambda d: operations_shown(d) >= 20)

    offline_chromium.find_element(By.CSS_SELECTOR, "button.authorize").click()
    dialog = WebDriverWait(offline_chromium, 10).until(
        lambda d: d.find_element(By.CSS_SELECTOR, ".dialog-ux .modal-ux")
    )

    assert "adminToken" in dialog.text
    assert "siteToken" in dialog.text
    screenshot(offline_chromium, "docs-authorize")
