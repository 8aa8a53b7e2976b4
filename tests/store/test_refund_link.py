"""A payment app's or bank's refund notice (no order number) pays back the open return it fits,
by amount and merchant; on a real SQLite file and a real PostgreSQL server."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from sqlalchemy import select

from smartreturn.model import Event, EventKind, Money
from smartreturn.apply.events import apply_events
from smartreturn.store.tables import CaseEvent, Message, ReturnCase

SHANGHAI = ZoneInfo("Asia/Shanghai")
T0 = datetime(2026, 11, 10, 9, 0, tzinfo=SHANGHAI)


def _message(session, n: int) -> Message:
    message = Message(message_id=f"<m{n}@test>", content_hash=f"{n:064d}", raw=b"raw", size=3, source_kind="text",
                      status="parsed", received_at=T0)
    session.add(message)
    session.flush()
    return message


def _open_return(session, n: int, platform: str, order: str, merchant: str, amount: str) -> None:
    """An order and a return the merchant has received: the refund is what is still open."""
    events = [
        Event(kind=EventKind.ORDER_PLACED, platform=platform, order_number=order, merchant=merchant,
              occurred_at=T0, total=Money(Decimal(amount), "CNY")),
        Event(kind=EventKind.RETURN_REQUESTED, platform=platform, order_number=order, occurred_at=T0 + timedelta(days=3)),
        Event(kind=EventKind.RETURN_RECEIVED, platform=platform, order_number=order, occurred_at=T0 + timedelta(days=6)),
    ]
    apply_events(session, _message(session, n), events, default_time=T0)


def _refund(platform: str, amount: str, merchant: str | None) -> Event:
    return Event(kind=EventKind.REFUND_ISSUED, platform=platform, merchant=merchant,
                 occurred_at=T0 + timedelta(days=8), refund_amount=Money(Decimal(amount), "CNY"), detail="退款到账")


def _events_of(session, message_id: str) -> list[CaseEvent]:
    message = session.scalars(select(Message).where(Message.message_id == message_id)).one()
    return list(session.scalars(select(CaseEvent).where(CaseEvent.message_id == message.id)))


def _case(session, order_number: str) -> ReturnCase:
    return next(c for c in session.scalars(select(ReturnCase)) if c.order.order_number == order_number)


def _stores(any_db):
    with any_db.session() as session:
        _open_return(session, 1, "taobao", "3601234567890123456", "优衣库官方旗舰店", "59.90")
        _open_return(session, 2, "jd", "301234567890", "京东自营", "35.50")
        _open_return(session, 3, "pinduoduo", "260315-123456789012345", "某某家纺专营店", "35.50")


def test_a_wechat_refund_naming_the_shop_closes_that_return(any_db):
    _stores(any_db)
    with any_db.session() as session:
        apply_events(session, _message(session, 10), [_refund("wechat_pay", "59.90", "优衣库官方旗舰店")],
                     default_time=T0, source="text")
    with any_db.session() as session:
        case = _case(session, "3601234567890123456")
        assert case.status == "refunded"
        assert case.refunded_amount == Decimal("59.90")
        assert case.refunded_at is not None and case.closed_at is not None
        (event,) = _events_of(session, "<m10@test>")
        assert event.return_case_id == case.id and event.kind == "refund_issued"
        assert _case(session, "301234567890").status == "received"  # the others stay open


def test_a_bank_refund_naming_the_platform_picks_that_platforms_return(any_db):
    _stores(any_db)
    with any_db.session() as session:  # 【招商银行】…在财付通-拼多多退款35.50元: two returns expect 35.50
        apply_events(session, _message(session, 10), [_refund("bank", "35.50", "拼多多")], default_time=T0)
    with any_db.session() as session:
        assert _case(session, "260315-123456789012345").status == "refunded"
        assert _case(session, "301234567890").status == "received"


def test_an_ambiguous_or_foreign_refund_links_to_nothing(any_db):
    _stores(any_db)
    with any_db.session() as session:
        apply_events(session, _message(session, 10), [
            _refund("meituan", "35.50", None),             # two open returns expect 35.50, no merchant named
            _refund("wechat_pay", "59.90", "星巴克"),       # the amount fits, the merchant does not
            _refund("alipay", "12.00", "优衣库官方旗舰店"),  # the merchant fits, the amount does not
        ], default_time=T0)
    with any_db.session() as session:
        assert {c.status for c in session.scalars(select(ReturnCase))} == {"received"}
        rows = _events_of(session, "<m10@test>")
        assert len(rows) == 3 and all(r.return_case_id is None for r in rows)  # kept as evidence, unlinked


def test_a_refund_without_merchant_links_when_one_return_expects_the_amount(any_db):
    _stores(any_db)
    with any_db.session() as session:
        apply_events(session, _message(session, 10), [_refund("jd_finance", "59.90", None)], default_time=T0)
    with any_db.session() as session:
        assert _case(session, "3601234567890123456").status == "refunded"


def test_a_closed_return_is_never_paid_twice(any_db):
    _stores(any_db)
    with any_db.session() as session:
        apply_events(session, _message(session, 10), [_refund("wechat_pay", "59.90", "优衣库官方旗舰店")], default_time=T0)
        apply_events(session, _message(session, 11), [_refund("wechat_pay", "59.90", "优衣库官方旗舰店")], default_time=T0)
    with any_db.session() as session:
        assert _case(session, "3601234567890123456").refunded_amount == Decimal("59.90")
        (second,) = _events_of(session, "<m11@test>")
        assert second.return_case_id is None
