from __future__ import annotations

import pytest

from tests.tracking.fake_providers import FakeProviderServer


@pytest.fixture
def fake_server():
    with FakeProviderServer() as server:
        yield server
