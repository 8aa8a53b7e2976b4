"""What a web process does once at start-up, so that no request pays for it (bench/bench_web.py).

- Every page template is compiled (Jinja parses and compiles a template on first use: ~50 ms for
  Today with its macros).
- The agenda another process stored for the store as it is (apply/agenda_cache.py) is read and
  decoded (~0.2 s for 10,000 open cases), and what the Returns page's default view derives from it.
  If there is none, a thread builds it after start-up; a request that needs it meanwhile waits for
  that build, as it would have built it itself.
- The objects alive after that (modules, schemas, compiled templates and statements, the agenda) are
  moved out of the cyclic garbage collector's sight (``gc.freeze``): they live as long as the
  process, and a full collection that walked them all took 0.1-0.2 s under load, holding up every
  request in flight.
"""

from __future__ import annotations

import gc
import logging
import threading
import time
from importlib import resources
from typing import Any

from sqlalchemy.exc import SQLAlchemyError

from smartreturn import clock
from smartreturn.errors import SmartReturnError
from smartreturn.notify.render import environment

log = logging.getLogger(__name__)


def page_templates() -> list[str]:
    """The names of the shipped page templates (``web/*.html.j2``)."""
    folder = resources.files("smartreturn").joinpath("templates", "web")
    return sorted(f"web/{entry.name}" for entry in folder.iterdir() if entry.name.endswith(".html.j2"))


def warm_up(state: Any) -> None:
    """Compile the page templates, take the stored agenda (or build it in a thread), freeze the heap."""
    began = time.perf_counter()
    env = environment(state.settings.notify.template_dir)
    for name in page_templates():
        env.get_template(name)  # a template in the user's folder wins, as when rendering
    now = clock.now()
    try:
        loaded = state.agenda.preload(state.db, now)
    except (SQLAlchemyError, SmartReturnError) as exc:  # the first request will report it
        log.warning("web: agenda not preloaded: %s", exc)
        loaded = True
    if loaded:
        _first_returns_page(state, now)
    else:
        threading.Thread(target=_build, args=(state,), name="agenda-build", daemon=True).start()
    gc.collect()
    gc.freeze()
    log.info("web: warmed up in %.0f ms (stored agenda %s)", (time.perf_counter() - began) * 1000,
             "read" if loaded else "absent: building it")


def _first_returns_page(state: Any, now: Any) -> None:
    """What the Returns page's default view derives from the agenda (the open cases in priority
    order, the filter menus), kept like the agenda while the store is unchanged."""
    from smartreturn.web import lists

    lists.returns_page_rows(state, now, status="open", platform=None, merchant=None, reason=None,
                            sort="priority", page_no=1)
    lists.filter_choices(state, now)


def _build(state: Any) -> None:
    try:
        state.agenda.get(state.db, clock.now())
    except Exception:  # noqa: BLE001  (a thread's last resort: the first request that needs it retries)
        log.exception("web: building the agenda at start-up failed")
        return
    gc.collect()
    gc.freeze()
