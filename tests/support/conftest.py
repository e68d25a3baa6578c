"""Fixtures for the support page's browser tests: a headless Chromium and a real server."""

from __future__ import annotations

import pytest

from tests.browser import chromium_session
from tests.servers import running_server


@pytest.fixture
def chromium(tmp_path):
    yield from chromium_session(tmp_path)


@pytest.fixture
def server(database, tmp_path):
    with running_server(database, tmp_path / "server") as live:
        yield live
