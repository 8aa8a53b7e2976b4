"""Whether a parcel's tracking number was confirmed by a carrier format or check digit is stored
(migration 0006, ``shipments.verified``), filled from extraction, kept once confirmed, and an install
upgraded from 0005 keeps its parcels and gets the flag from ``reparse``; on a real SQLite file and a real
PostgreSQL server."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, select, text

from smartreturn.apply.events import apply_events
from smartreturn.apply.manual import ManualReturn, add_manual_return
from smartreturn.config import load_settings
from smartreturn.daemon.doctor import _check_database as diagnose_database
from smartreturn.model import Event, EventKind, ReturnKind, TrackingRef
from smartreturn.pipeline import Source, ingest_bytes, reparse
from smartreturn.store.db import Database, alembic_config
from smartreturn.store.tables import Base, Message, Shipment

from tests.conftest import FIXTURES

T0 = datetime(2026, 11, 19, 15, 0, tzinfo=timezone.utc)
UNVERIFIED = "1ZV2E8470368123455"  # the UPS mail labels it; its check digit fails (fixtures/generic)
VERIFIED = "1ZV2E8470368123454"    # the same number with its right check digit (fixtures/ups)
MAILS = (FIXTURES / "generic" / "ups_delivered_check_digit_fails.eml", FIXTURES / "ups" / "delivered_mychoice_en.eml")


def _alembic(db: Database, action, revision: str) -> None:
    cfg = alembic_config(db.engine.url.render_as_string(hide_password=False))
    with db.engine.begin() as connection:
        cfg.attributes["connection"] = connection
        action(cfg, revision)


def _flags(db: Database) -> dict[str, bool | None]:
    with db.session() as session:
        return {number: flag for number, flag in session.execute(select(Shipment.tracking_number, Shipment.verified))}


def _ingest(db: Database) -> None:
    settings = load_settings(env={})
    for path in MAILS:
        assert ingest_bytes(db, path.read_bytes(), Source(kind="file", path=str(path)), settings).status == "parsed"


def test_extraction_fills_the_flag(any_db) -> None:
    _ingest(any_db)
    flags = _flags(any_db)
    assert flags[UNVERIFIED] is False and flags[VERIFIED] is True


def test_the_schema_matches_the_tables(any_db) -> None:
    with any_db.engine.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    assert [d for d in diff if "shipments" in repr(d)] == []
    column = next(c for c in inspect(any_db.engine).get_columns("shipments") if c["name"] == "verified")
    assert column["nullable"] is True and column["default"] is None


def _rows(db: Database) -> list[tuple]:
    """The parcels and what hangs on them (a batch copy of shipments on SQLite would cascade-delete those)."""
    with db.engine.connect() as connection:
        return [tuple(connection.execute(text(query)).all()) for query in (
            "SELECT id, carrier, tracking_number, status, delivered_at FROM shipments ORDER BY id",
            "SELECT id, shipment_id, status, occurred_at, message_id FROM tracking_events ORDER BY id",
            "SELECT id, shipment_id, kind, message_id FROM case_events ORDER BY id")]


def test_upgrade_from_0005_keeps_the_parcels_and_reparse_fills_the_flag(any_db) -> None:
    _ingest(any_db)
    at_head = _rows(any_db)
    _alembic(any_db, command.downgrade, "0005_agenda_cache")  # an install as it was before 0006, with its rows
    with any_db.engine.connect() as connection:
        assert "verified" not in {c["name"] for c in inspect(connection).get_columns("shipments")}
    before = _rows(any_db)
    assert before == at_head  # the downgrade kept every row too
    assert {row.tracking_number for row in before[0]} == {UNVERIFIED, VERIFIED} and len(before[1]) == len(before[2]) == 2

    _alembic(any_db, command.upgrade, "head")
    assert _rows(any_db) == before  # nothing lost or changed
    assert _flags(any_db) == {UNVERIFIED: None, VERIFIED: None}  # not recorded: nothing is guessed

    settings = load_settings(env={"SMARTRETURN_CONFIG": "",
                                  "SMARTRETURN_DATABASE__URL": any_db.engine.url.render_as_string(hide_password=False)})
    found = diagnose_database(settings)
    assert [f.message for f in found if f.level == "warn"] == [
        "2 parcel(s) read from mail before migration 0006 do not record whether their tracking number is verified: "
        "`smartreturn reparse` fills it in"]
    counts = reparse(any_db, load_settings(env={}))
    assert counts == {"parsed": 2}
    assert _flags(any_db) == {UNVERIFIED: False, VERIFIED: True}
    assert [f.level for f in diagnose_database(settings)] == ["ok"]


def _mention(db: Database, n: int, verified: bool) -> None:
    with db.session() as session:
        message = Message(message_id=f"<v{n}@test>", content_hash=f"{n:064d}", raw=b"raw", size=3, source_kind="file",
                          status="parsed", received_at=T0)
        session.add(message)
        session.flush()
        event = Event(kind=EventKind.SHIPPED, platform="ups", occurred_at=T0 + timedelta(hours=n),
                      tracking=(TrackingRef(UNVERIFIED, "ups", verified=verified),))
        apply_events(session, message, [event], default_time=T0)


def test_a_number_once_confirmed_stays_confirmed(any_db) -> None:
    _mention(any_db, 1, verified=False)
    assert _flags(any_db) == {UNVERIFIED: False}
    _mention(any_db, 2, verified=True)   # another mail's format and check digit confirm it
    assert _flags(any_db) == {UNVERIFIED: True}
    _mention(any_db, 3, verified=False)  # a later redacted mention does not undo that
    assert _flags(any_db) == {UNVERIFIED: True}


def test_a_typed_return_number_is_checked(any_db) -> None:
    for number, carrier, order in ((VERIFIED, "ups", "A-1001"), (UNVERIFIED, "ups", "A-1002"), ("SF1412345678901", None, "A-1003")):
        with any_db.session() as session:
            add_manual_return(session, ManualReturn(order_number=order, platform="manual", kind=ReturnKind.RETURN,
                                                    requested_at=T0, currency="USD", tracking_number=number,
                                                    carrier=carrier))
    assert _flags(any_db) == {VERIFIED: True, UNVERIFIED: False, "SF1412345678901": True}
