"""Serving the app with uvicorn: in the foreground (``smartreturn web``) or beside the daemon
(``smartreturn run`` with ``[web] enabled = true``)."""

from __future__ import annotations

import logging
import threading

import uvicorn

from smartreturn.config import Settings
from smartreturn.store.db import Database

log = logging.getLogger(__name__)


def _server(settings: Settings, db: Database | None, host: str | None, port: int | None) -> uvicorn.Server:
    from smartreturn.web.app import create_app

    # access_log off: the calendar feed's URL carries its token, and request lines end up in journald
    config = uvicorn.Config(create_app(settings, db), host=host or settings.web.host, port=port or settings.web.port,
                            log_config=None, access_log=False, proxy_headers=False, server_header=False,
                            timeout_graceful_shutdown=5)
    return uvicorn.Server(config)


def serve(settings: Settings, *, host: str | None = None, port: int | None = None) -> None:
    """Run until SIGINT/SIGTERM."""
    server = _server(settings, None, host, port)
    log.info("web: serving on http://%s:%d", server.config.host, server.config.port)
    server.run()


class Background:
    """The web app in a thread of the daemon; :meth:`stop` ends it."""

    def __init__(self, settings: Settings) -> None:
        self.server = _server(settings, None, None, None)
        self.thread = threading.Thread(target=self.server.run, name="web", daemon=True)

    def start(self) -> "Background":
        self.thread.start()
        log.info("web: serving on http://%s:%d", self.server.config.host, self.server.config.port)
        return self

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)
