"""Draft recipients (issue 10 item 1, issue 15 item 8): an address that only mail content names never
becomes a draft's To:; the merchant's own domain or the user's choice does; without one the draft
says who to send it to."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path

from sqlalchemy import select
from typer.testing import CliRunner

from smartreturn.config import Settings
from smartreturn.notify.followup import render_followup, to_mime
from smartreturn.pipeline import Source, ingest_bytes
from smartreturn.store.tables import Merchant, Order, ReturnCase

SHOPIFY = Path(__file__).resolve().parents[2] / "fixtures" / "shopify" / "order_confirmation_en.eml"
NOW = datetime(2026, 12, 30, 9, 0, tzinfo=timezone.utc)
FILE = Source(kind="file", path="order.eml")


def store_order(db, sender: str, reply_to: str) -> int:
    """Ingest the Shopify order confirmation sent by ``sender`` with ``Reply-To: reply_to``; add a late return."""
    raw = SHOPIFY.read_bytes()
    raw = raw.replace(b"From: Northwind Outfitters <store+61730521239@t.shopifyemail.com>",
                      f"From: Northwind Outfitters <{sender}>".encode())
    raw = raw.replace(b"Reply-To: Northwind Outfitters <help@northwind-outfitters.com>", f"Reply-To: {reply_to}".encode())
    assert ingest_bytes(db, raw, FILE, Settings()).status == "parsed"
    with db.session() as session:
        order = session.scalars(select(Order)).one()
        case = ReturnCase(order_id=order.id, kind="return", status="received", case_number="",
                          requested_at=NOW - timedelta(days=30), received_at=NOW - timedelta(days=20),
                          expected_refund=Decimal("142.00"), currency="USD")
        session.add(case)
        session.flush()
        return case.id


def draft(db, case_id: int, settings: Settings | None = None, to: str | None = None):
    with db.session() as session:
        return render_followup(session, case_id, NOW, settings or Settings(), language="en", to=to)


def test_an_attackers_reply_to_never_addresses_the_merchant_draft(sqlite_db):
    case_id = store_order(sqlite_db, "orders@northwind-outfitters.com", "Northwind Support <refunds@evil.test>")
    with sqlite_db.session() as session:
        assert session.scalars(select(Merchant.support_email)).one() is None
    followup = draft(sqlite_db, case_id)
    assert followup.to is None
    assert b"evil.test" not in to_mime(followup, from_address="alex@example.net", now=NOW)
    # the draft says who to send it to instead
    assert followup.body.startswith("[To: Northwind Outfitters's customer service.")


def test_a_reply_to_from_a_platform_mailer_is_not_the_merchants_domain(sqlite_db):
    # Shopify sends from its own domain: the shop's Reply-To is not authenticated by anything
    case_id = store_order(sqlite_db, "store+61730521239@t.shopifyemail.com", "help@northwind-outfitters.com")
    assert draft(sqlite_db, case_id).to is None


def test_a_support_address_on_the_merchants_own_sending_domain_addresses_the_draft(sqlite_db):
    case_id = store_order(sqlite_db, "orders@mail.northwind-outfitters.com", "Help <help@northwind-outfitters.com>")
    followup = draft(sqlite_db, case_id)
    assert followup.to == "help@northwind-outfitters.com"
    assert not followup.body.startswith("[To:")
    assert b"To: help@northwind-outfitters.com" in to_mime(followup, from_address=None, now=NOW)


def test_the_users_choice_wins_from_config_or_the_command_line(sqlite_db):
    case_id = store_order(sqlite_db, "orders@northwind-outfitters.com", "refunds@evil.test")
    chosen = Settings.model_validate({"drafts": {"merchant_addresses": {"northwind outfitters": "care@northwind.example"}}})
    assert draft(sqlite_db, case_id, chosen).to == "care@northwind.example"
    assert draft(sqlite_db, case_id, chosen, to="me-chosen@northwind.example").to == "me-chosen@northwind.example"


def test_draft_to_on_the_command_line(tmp_path):
    from smartreturn.cli import app
    from smartreturn.store.db import open_database

    db = open_database(f"sqlite:///{tmp_path / 'smartreturn.db'}")
    case_id = store_order(db, "orders@northwind-outfitters.com", "refunds@evil.test")
    db.dispose()
    env = {"SMARTRETURN_GENERAL__STATE_DIR": str(tmp_path), "SMARTRETURN_NOW": NOW.isoformat(), "SMARTRETURN_CONFIG": ""}
    runner = CliRunner()
    plain = runner.invoke(app, ["draft", f"r{case_id}", "--lang", "en"], env=env)
    assert plain.exit_code == 0, plain.output
    assert "To: (support address unknown)" in plain.output and "evil.test" not in plain.output
    chosen = runner.invoke(app, ["draft", f"r{case_id}", "--lang", "en", "--to", "care@northwind.example"], env=env)
    assert chosen.exit_code == 0 and "To: care@northwind.example" in chosen.output
