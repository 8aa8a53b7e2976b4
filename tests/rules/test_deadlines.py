"""recompute_deadlines() on a real SQLite store."""

from __future__ import annotations

from datetime import date, datetime, timezone
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from smartreturn import clock
from smartreturn.apply.agenda import recompute_deadlines
from smartreturn.rules.deadlines import RuleContext
from smartreturn.rules.policies import load_rules
from smartreturn.store.tables import Deadline
from tests.rules import rows

BERLIN = ZoneInfo("Europe/Berlin")
CTX = RuleContext(load_rules(), BERLIN)
NOW = datetime(2026, 11, 25, 8, 0, tzinfo=timezone.utc)


@pytest.fixture(autouse=True)
def _rows_are_written_at_now():
    """Rows the tests leave undated record NOW as their arrival, not the day the suite runs."""
    with clock.pinned(NOW):
        yield


def deadlines(session) -> dict[tuple[str, int, int | None], Deadline]:
    return {(d.kind, d.order_id, d.return_case_id): d for d in session.scalars(select(Deadline))}


def test_windows_and_refund_deadlines_are_stored_with_rule_and_confidence(sqlite_db) -> None:
    with sqlite_db.session() as session:
        known = rows.order(session, delivered=datetime(2026, 11, 13, 12, tzinfo=timezone.utc))
        assumed = rows.order(session, platform="taobao", region="cn", ordered=datetime(2026, 11, 20, 2, tzinfo=timezone.utc),
                             delivered=None, currency="CNY", status="shipped")
        returned = rows.order(session, platform="amazon", delivered=datetime(2026, 11, 1, 12, tzinfo=timezone.utc))
        case = rows.case(session, returned, status="received", received=datetime(2026, 11, 20, 12, tzinfo=timezone.utc))
        assert recompute_deadlines(session, NOW, CTX) == 3
        stored = deadlines(session)
        window = stored[("return_window", known.id, None)]
        assert (window.due_on, window.rule_id, window.anchor, window.confidence) == (
            date(2026, 11, 27), "eu.14day_withdrawal", "last_delivery", "known")
        window = stored[("return_window", assumed.id, None)]
        assert (window.due_on, window.rule_id, window.confidence) == (date(2026, 11, 30), "taobao.7day_no_reason", "assumed")
        # the order with a return under way gets case deadlines, not a window
        assert ("return_window", returned.id, None) not in stored
        refund = stored[("refund_due", returned.id, case.id)]
        # Amazon.de is bound by EU law: 14 days from the withdrawal notice; its date is unknown, so the
        # goods' arrival stands in (the notice came before it): assumed, the lenient reading
        assert (refund.due_on, refund.rule_id, refund.anchor, refund.confidence) == (
            date(2026, 12, 4), "eu.refund_14d", "return_requested", "assumed")


def test_recompute_is_an_idempotent_upsert(sqlite_db) -> None:
    with sqlite_db.session() as session:
        order = rows.order(session, delivered=None, ordered=datetime(2026, 11, 10, 12, tzinfo=timezone.utc))
        assert recompute_deadlines(session, NOW, CTX) == 1
        assert recompute_deadlines(session, NOW, CTX) == 0
        assert deadlines(session)[("return_window", order.id, None)].confidence == "assumed"
        # the delivery mail arrives: the same row now holds the known date
        order.delivered_at = datetime(2026, 11, 16, 9, tzinfo=timezone.utc)
        assert recompute_deadlines(session, NOW, CTX) == 1
        rows_now = session.scalars(select(Deadline)).all()
        assert len(rows_now) == 1
        assert (rows_now[0].due_on, rows_now[0].confidence) == (date(2026, 11, 30), "known")
        # it turns out to be custom-made: no right of withdrawal, the row goes
        order.category = "custom_made"
        assert recompute_deadlines(session, NOW, CTX) == 1
        assert session.scalars(select(Deadline)).all() == []


def test_closed_cases_keep_their_deadlines(sqlite_db) -> None:
    with sqlite_db.session() as session:
        order = rows.order(session)
        case = rows.case(session, order, status="received", received=datetime(2026, 11, 2, 12, tzinfo=timezone.utc))
        recompute_deadlines(session, NOW, CTX)
        case.status = "refunded"
        case.received_at = datetime(2026, 11, 5, 12, tzinfo=timezone.utc)
        assert recompute_deadlines(session, NOW, CTX) == 0
        assert deadlines(session)[("refund_due", order.id, case.id)].due_on == date(2026, 11, 16)


def test_old_and_cancelled_orders_are_not_watched(sqlite_db) -> None:
    with sqlite_db.session() as session:
        rows.order(session, ordered=datetime(2025, 1, 1, tzinfo=timezone.utc), delivered=datetime(2025, 1, 3, tzinfo=timezone.utc))
        rows.order(session, status="cancelled", ordered=datetime(2026, 11, 20, tzinfo=timezone.utc))
        assert recompute_deadlines(session, NOW, CTX) == 0
        # a pre-order: ordered long ago, delivered this week
        late = rows.order(session, ordered=datetime(2026, 1, 5, tzinfo=timezone.utc),
                          delivered=datetime(2026, 11, 23, 12, tzinfo=timezone.utc))
        assert recompute_deadlines(session, NOW, CTX) == 1
        assert deadlines(session)[("return_window", late.id, None)].due_on == date(2026, 12, 7)


def test_without_an_order_date_the_first_mail_about_the_order_stands_in(sqlite_db) -> None:
    from smartreturn.store.tables import CaseEvent

    with sqlite_db.session() as session:
        order = rows.order(session, ordered=None, delivered=None, status="shipped")
        for when in (datetime(2026, 11, 12, 9, tzinfo=timezone.utc), datetime(2026, 11, 10, 9, tzinfo=timezone.utc)):
            session.add(CaseEvent(kind="shipped", occurred_at=when, order_id=order.id, source="mail"))
        undated = rows.order(session, ordered=None, delivered=None, status="shipped")
        recompute_deadlines(session, NOW, CTX)
        stored = deadlines(session)
        window = stored[("return_window", order.id, None)]
        # first mail Nov 10 + 3 assumed transit days in the EU = Nov 13, + 14 days = Fri Nov 27
        assert (window.due_on, window.confidence) == (date(2026, 11, 27), "assumed")
        assert ("return_window", undated.id, None) not in stored
