"""``smartreturn run`` with ``[web] enabled = true`` serves the dashboard beside the daemon loop and
stops it with the daemon."""

from __future__ import annotations

import signal
import subprocess
import sys
import time

import httpx

from tests.web.conftest import _env, free_port, write_config


def test_run_serves_the_web_app_and_stops_with_it(tmp_path) -> None:
    port = free_port()
    config, _ = write_config(tmp_path, extra=f"enabled = true\nport = {port}\n")
    daemon = subprocess.Popen([sys.executable, "-m", "smartreturn", "run"], env=_env(config),
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            assert daemon.poll() is None, daemon.stdout.read()
            try:
                login = httpx.get(url + "/login", timeout=1)
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline, "the web app did not come up inside smartreturn run"
                time.sleep(0.1)
        assert login.status_code == 200 and "Sign in" in login.text
        assert httpx.get(url + "/api/v1/agenda").status_code == 401
        daemon.send_signal(signal.SIGTERM)
        assert daemon.wait(timeout=30) == 0
    finally:
        if daemon.poll() is None:
            daemon.kill()
    try:
        httpx.get(url + "/login", timeout=1)
        raise AssertionError("the web app outlived the daemon")
    except httpx.TransportError:
        pass
