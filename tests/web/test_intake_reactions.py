"""Mail that arrives over the API is reacted to like mail from IMAP: a forwarded "the seller received
your return" mail that makes the refund overdue is pushed within seconds (real ``smartreturn web``
subprocess, real HTTP receiver for the Apprise push), and only once."""

from __future__ import annotations

import time
from pathlib import Path

import httpx

from tests.conftest import FIXTURES
from tests.timing import patience
from tests.servers.sinks import HttpReceiver
from tests.web.conftest import start_server, stop_server, write_config

# The server's clock is pinned to 2026-12-06 09:00 Berlin (tests/web/conftest.NOW): the seller received
# the return on 2026-11-24, so the 7-day refund clock (cn.platform.refund_7d) ran out days ago.
RETURN_RECEIVED = (FIXTURES / "taobao" / "forwarded_163_return_received.eml").read_bytes().replace(
    b'From: "=?GBK?B?wO7EyA==?=" <lina_2019@163.com>', b"From: =?GBK?B?wO7EyA==?= <lina_2019@163.com>", 1)
FORWARDER = "lina_2019@163.com"
ORDER = "3456789012349876543"


def pushes(http: HttpReceiver) -> list[dict]:
    return [r["json"] for r in http.requests if r["path"] == "/push" and r["json"]]


def wait_for_pushes(http: HttpReceiver, seconds: float) -> list[dict]:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if found := pushes(http):
            return found
        time.sleep(0.1)
    return pushes(http)


def test_mail_uploaded_over_the_api_that_makes_a_refund_overdue_is_pushed_within_seconds_once(
        tmp_path: Path, http_receiver: HttpReceiver) -> None:
    config, db_url = write_config(tmp_path, forwarders=(FORWARDER,),
                                  before=f'[notify]\nurls = ["{http_receiver.url("push")}"]\ndigest_time = "23:59"\n')
    server = start_server(config, db_url)
    try:
        token = server.cli("token", "create", "phone", "--scope", "ingest")
        assert token.returncode == 0, token.stderr
        api = httpx.Client(base_url=server.url, headers={"Authorization": f"Bearer {token.stdout.strip()}"}, timeout=30)
        assert pushes(http_receiver) == []

        sent = time.monotonic()
        response = api.post("/api/v1/ingest", content=RETURN_RECEIVED, headers={"Content-Type": "message/rfc822"})
        assert response.status_code == 201, response.text
        assert response.json()["status"] == "parsed"
        limit = 10 * patience()  # 10 s on an idle machine
        found = wait_for_pushes(http_receiver, limit)
        assert found, f"no urgent push reached the receiver within {limit:.0f} s of the upload"
        assert time.monotonic() - sent < limit
        assert len(found) == 1 and "late" in found[0]["title"]
        assert ORDER in found[0]["message"]

        again = api.post("/api/v1/ingest", content=RETURN_RECEIVED, headers={"Content-Type": "message/rfc822"})
        assert again.status_code == 200 and again.json()["duplicate"] is True
        time.sleep(2)  # a duplicate triggers nothing; even if it did, the ledger keeps the push single
        assert len(pushes(http_receiver)) == 1
    finally:
        stop_server(server)
