"""build_agenda() on a small real SQLite store: one of each thing the user should see."""

from __future__ import annotations

from datetime import date, datetime, timezone
from decimal import Decimal

import pytest

from smartreturn.config import Settings
from smartreturn.model import Money
from smartreturn.rules.agenda import AgendaKind, Urgency
from smartreturn.apply.agenda import build_agenda
from tests.rules import rows
from tests.rules.rows import utc

NOW = datetime(2026, 11, 25, 8, 0, tzinfo=timezone.utc)  # 09:00 in Berlin
SETTINGS = Settings.model_validate({"general": {"timezone": "Europe/Berlin"}, "rules": {"region": "de"}})


@pytest.fixture
def store(sqlite_db):
    ids = {}
    with sqlite_db.session() as s:
        shop = rows.merchant(s, "Kleiner Laden")
        ids["today"] = rows.order(s, platform="amazon", delivered=utc(2026, 10, 26, 10), total="19.99",
                                  items=("USB cable",)).id  # Amazon: 30 days -> Nov 25, today
        ids["soon"] = rows.order(s, delivered=utc(2026, 11, 13, 10), shop=shop, total="120.00",
                                 items=("Boots <b>",)).id    # EU 14 days -> Fri Nov 27
        ids["later"] = rows.order(s, delivered=utc(2026, 11, 20, 10)).id  # Dec 4: not yet
        with_case = rows.order(s, delivered=utc(2026, 11, 13, 10))     # window Nov 27, but a return is under way
        ids["with_case"] = with_case.id
        rows.case(s, with_case, status="requested", requested=utc(2026, 11, 24, 10))
        overdue = rows.case(s, rows.order(s, shop=shop), status="received", received=utc(2026, 11, 5, 12),
                            expected="89.90", reason="defective")
        ids["overdue"] = overdue.id
        waiting = rows.case(s, rows.order(s), status="shipped", shipped=utc(2026, 11, 18, 9), expected="50.00")
        rows.parcel(s, for_case=waiting, direction="return", status="delivered", delivered=utc(2026, 11, 21, 9))
        ids["waiting"] = waiting.id
        stuck = rows.case(s, rows.order(s, platform="taobao", region="cn", currency="CNY"), status="shipped",
                          expected="299.00")
        ids["stuck_parcel"] = rows.parcel(s, for_case=stuck, direction="return", carrier="sf",
                                          last_event=utc(2026, 11, 15, 3)).id
        ids["refunded"] = rows.case(s, rows.order(s), status="refunded", refunded=utc(2026, 11, 24, 20),
                                    refunded_amount="42.00").id
        ids["arrived"] = rows.order(s, delivered=utc(2026, 11, 24, 18), items=("Lamp",)).id
        for sender in ("auto-confirm@amazon.de", "auto-confirm@amazon.de", "shipment-tracking@amazon.de"):
            rows.message(s, sender=sender, received=utc(2026, 11, 24, 7))
        rows.message(s, sender="news@random.example", received=utc(2026, 11, 24, 7))  # not a known platform
        rows.message(s, sender="newsletter@amazon.de", received=utc(2026, 11, 24, 7))  # advertising, no parser gap
        rows.message(s, sender="auto-confirm@amazon.de", received=utc(2026, 11, 1, 7))  # too old
    return sqlite_db, ids


def test_agenda_has_one_of_each_in_order(store) -> None:
    db, ids = store
    with db.session() as session:
        agenda = build_agenda(session, NOW, SETTINGS)
    by_kind = {}
    for item in agenda.items:
        by_kind.setdefault(item.kind, []).append(item)

    windows = by_kind[AgendaKind.WINDOW_CLOSING]
    assert [(w.order_id, w.urgency, w.days_left, w.due_on) for w in windows] == [
        (ids["today"], Urgency.URGENT, 0, date(2026, 11, 25)),
        (ids["soon"], Urgency.SOON, 2, date(2026, 11, 27)),
    ]
    assert windows[0].key == f"window_closing:order:{ids['today']}:2026-11-25:d1"
    assert windows[1].key == f"window_closing:order:{ids['soon']}:2026-11-27:d3"
    assert windows[1].item_names == ("Boots <b>",) and windows[1].merchant == "Kleiner Laden"
    assert windows[0].title == "Return window closes today"

    [overdue] = by_kind[AgendaKind.REFUND_OVERDUE]
    assert (overdue.return_case_id, overdue.urgency, overdue.days_left, overdue.amount) == (
        ids["overdue"], Urgency.URGENT, -6, Money(Decimal("89.90"), "EUR"))
    [received] = by_kind[AgendaKind.RECEIVED_NO_REFUND]
    assert received.return_case_id == ids["waiting"] and received.urgency is Urgency.SOON
    # the refund deadline rides along (EU art. 13(1)): 14 days from the withdrawal notice, which came at
    # the latest when the parcel left on Nov 18 (no request date known: assumed) -> Dec 2
    assert (received.due_on, received.days_left) == (date(2026, 12, 2), 7)
    [stuck] = by_kind[AgendaKind.RETURN_STUCK]
    assert stuck.shipment_id == ids["stuck_parcel"] and stuck.platform == "taobao"
    [refunded] = by_kind[AgendaKind.REFUNDED]
    assert refunded.return_case_id == ids["refunded"] and refunded.amount == Money(Decimal("42.00"), "EUR")
    assert ids["arrived"] in {i.order_id for i in by_kind[AgendaKind.ARRIVED]}
    assert ids["later"] not in {i.order_id for i in agenda.items}
    assert ids["with_case"] not in {i.order_id for i in windows}

    # urgent first, then soon, then info; within a group by priority
    ranks = {Urgency.URGENT: 0, Urgency.SOON: 1, Urgency.INFO: 2}
    assert [ranks[i.urgency] for i in agenda.items] == sorted(ranks[i.urgency] for i in agenda.items)
    urgent = agenda.by_urgency(Urgency.URGENT)
    assert [i.priority for i in urgent] == sorted((i.priority for i in urgent), reverse=True)
    assert urgent[0].kind is AgendaKind.REFUND_OVERDUE  # overdue, defective, dearer than a 20 EUR cable
    assert all(dict(i.factors) for i in agenda.items if i.kind is not AgendaKind.PARSER_HEALTH)

    assert agenda.money_outstanding == (Money(Decimal("299.00"), "CNY"), Money(Decimal("189.90"), "EUR"))  # the requested case counts its order total (50)
    assert agenda.parser_health == (("auto-confirm@amazon.de", 2), ("shipment-tracking@amazon.de", 1))
    assert len(by_kind[AgendaKind.PARSER_HEALTH]) == 2
    assert len({i.key for i in agenda.items}) == len(agenda.items)


def test_keys_are_stable_and_move_with_the_stage(store) -> None:
    db, ids = store
    with db.session() as session:
        first = {i.key for i in build_agenda(session, NOW, SETTINGS).items}
    with db.session() as session:
        again = {i.key for i in build_agenda(session, utc(2026, 11, 25, 12, 0), SETTINGS).items}
    assert first == again
    # two days later the "soon" window is down to its last day: a new (d1) key, the d3 one is gone
    with db.session() as session:
        later = {i.key for i in build_agenda(session, utc(2026, 11, 27, 8, 0), SETTINGS).items}
    assert f"window_closing:order:{ids['soon']}:2026-11-27:d1" in later
    assert f"window_closing:order:{ids['soon']}:2026-11-27:d3" not in later
    assert f"window_closing:order:{ids['today']}:2026-11-25:d1" not in later  # closed yesterday


def test_empty_store(sqlite_db) -> None:
    with sqlite_db.session() as session:
        agenda = build_agenda(session, NOW, SETTINGS)
    assert (agenda.items, agenda.money_outstanding, agenda.parser_health) == ((), (), ())
    assert agenda.generated_at == NOW
