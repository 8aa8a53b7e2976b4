"""The shared agenda (apply/agenda_cache.py): built once per store state and local hour by whichever
process comes first, read by the others from the store, built again after any write."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import timedelta
from decimal import Decimal

from smartreturn.apply.agenda import build_agenda
from smartreturn.apply.agenda_cache import AgendaCache, decode, encode
from smartreturn.config import load_settings
from smartreturn.store.db import open_database
from smartreturn.store.tables import Order

from tests.notify.scenario import NOW, late_refund
from tests.rules.test_agenda_speed import SETTINGS, fill


def test_an_agenda_reads_back_from_its_stored_form_field_for_field(any_db) -> None:
    fill(any_db, 3)
    late_refund(any_db)
    with any_db.session() as session:
        agenda = build_agenda(session, NOW, SETTINGS)
    kinds = {item.kind.value for item in agenda.items}
    assert {"refund_overdue", "window_closing", "return_stuck", "arrived"} <= kinds and agenda.money_outstanding
    assert decode(encode(agenda)) == agenda


def test_an_agenda_a_command_built_is_read_by_another_process_until_the_store_changes(tmp_path) -> None:
    url = f"sqlite:///{tmp_path / 'smartreturn.db'}"
    config = tmp_path / "config.toml"
    config.write_text(f'[general]\ntimezone = "Europe/Berlin"\n[database]\nurl = "{url}"\n', encoding="utf-8")
    db = open_database(url)
    try:
        late_refund(db)
        env = {k: v for k, v in os.environ.items() if not k.startswith("SMARTRETURN_")}
        env.update(SMARTRETURN_CONFIG=str(config), SMARTRETURN_NOW=NOW.isoformat())
        done = subprocess.run([sys.executable, "-m", "smartreturn", "agenda"], env=env, capture_output=True,
                              text=True, timeout=120)
        assert done.returncode == 0, done.stderr
        assert "Ask for the refund" in done.stdout
        settings = load_settings(config, env={k: v for k, v in env.items() if k != "SMARTRETURN_NOW"})
        web = AgendaCache(settings)  # another process: nothing in its memory
        later = NOW + timedelta(minutes=20)
        read = web.get(db, later)
        assert read.generated_at == NOW  # the command's agenda, read from the store, not built again
        assert [i.title for i in read.items][:1] == ["Ask for the refund — due 9 Nov, 16 days late"]
        assert web.get(db, NOW + timedelta(hours=1)).generated_at == NOW + timedelta(hours=1)  # a new hour
        with db.session() as session:
            session.add(Order(platform="otto", order_number="N1", currency="EUR", total=Decimal("10"),
                              order_date=NOW, status="ordered"))
        web.invalidate()  # as the web does after its own writes (another process's show within a second)
        rebuilt = web.get(db, NOW + timedelta(hours=1, minutes=5))
        assert rebuilt.generated_at == NOW + timedelta(hours=1, minutes=5)
    finally:
        db.dispose()


def test_when_the_recheck_is_due_concurrent_readers_read_the_store_fingerprint_once(tmp_path) -> None:
    """20 web requests arriving together after the agenda's second is up: one reads the fingerprint
    (slow under load), the others keep this hour's agenda instead of each reading it too."""
    import threading
    import time

    class CountingCache(AgendaCache):
        reads = 0

        def _key_for(self, db, hour):
            CountingCache.reads += 1
            time.sleep(0.2)  # a slow read (a busy store), so the others arrive while it runs
            return super()._key_for(db, hour)

    url = f"sqlite:///{tmp_path / 'smartreturn.db'}"
    db = open_database(url)
    try:
        late_refund(db)
        cache = CountingCache(SETTINGS)
        first = cache.get(db, NOW)
        cache._checked_at = time.monotonic() - 10  # the recheck is due (no write since: not invalidated)
        CountingCache.reads = 0
        barrier, results = threading.Barrier(20), []

        def request() -> None:
            barrier.wait()
            results.append(cache.get(db, NOW))

        threads = [threading.Thread(target=request) for _ in range(20)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert len(results) == 20 and all(r == first for r in results)
        assert CountingCache.reads == 1
    finally:
        db.dispose()
