"""State machine table: every row is (kind, current status, action) -> expected status."""

from __future__ import annotations

import pytest

from smartreturn.model import EventKind as E
from smartreturn.model import ReturnKind as K
from smartreturn.model import ReturnStatus as S
from smartreturn.rules.state_machine import CliAction as C
from smartreturn.rules.state_machine import apply, is_open

TABLE = [
    # happy path, return
    (K.RETURN, S.REQUESTED, E.RETURN_APPROVED, S.APPROVED),
    (K.RETURN, S.APPROVED, E.RETURN_LABEL, S.LABEL_ISSUED),
    (K.RETURN, S.LABEL_ISSUED, E.RETURN_SHIPPED, S.SHIPPED),
    (K.RETURN, S.SHIPPED, E.RETURN_RECEIVED, S.RECEIVED),
    (K.RETURN, S.RECEIVED, E.REFUND_ISSUED, S.REFUNDED),
    # skipping steps forward is fine (a merchant that never mails "approved")
    (K.RETURN, S.REQUESTED, E.RETURN_SHIPPED, S.SHIPPED),
    (K.REFUND_ONLY, S.REQUESTED, E.REFUND_ISSUED, S.REFUNDED),
    # out-of-order mail never moves backwards
    (K.RETURN, S.REFUNDED, E.RETURN_REQUESTED, S.REFUNDED),
    (K.RETURN, S.REFUNDED, E.RETURN_RECEIVED, S.REFUNDED),
    (K.RETURN, S.RECEIVED, E.RETURN_SHIPPED, S.RECEIVED),
    (K.RETURN, S.SHIPPED, E.RETURN_APPROVED, S.SHIPPED),
    (K.RETURN, S.SHIPPED, E.RETURN_LABEL, S.SHIPPED),
    (K.RETURN, S.APPROVED, E.RETURN_REQUESTED, S.APPROVED),
    # a late rejection or cancellation after the refund changes nothing
    (K.RETURN, S.REFUNDED, E.RETURN_REJECTED, S.REFUNDED),
    (K.RETURN, S.REFUNDED, E.CANCELLED, S.REFUNDED),
    # exchange path
    (K.EXCHANGE, S.RECEIVED, E.EXCHANGE_SHIPPED, S.EXCHANGE_SHIPPED),
    (K.EXCHANGE, S.EXCHANGE_SHIPPED, E.DELIVERED, S.EXCHANGE_DELIVERED),
    (K.EXCHANGE, S.EXCHANGE_DELIVERED, E.RETURN_RECEIVED, S.EXCHANGE_DELIVERED),
    (K.EXCHANGE, S.EXCHANGE_SHIPPED, E.RETURN_SHIPPED, S.EXCHANGE_SHIPPED),
    (K.EXCHANGE, S.RECEIVED, E.REFUND_ISSUED, S.REFUNDED),  # out of stock: refunded instead
    (K.RETURN, S.SHIPPED, E.DELIVERED, S.SHIPPED),  # outbound delivery mail is not about the case
    # rejection
    (K.RETURN, S.REQUESTED, E.RETURN_REJECTED, S.REJECTED),
    (K.RETURN, S.RECEIVED, E.RETURN_REJECTED, S.REJECTED),  # refused after inspection
    (K.EXCHANGE, S.EXCHANGE_SHIPPED, E.RETURN_REJECTED, S.EXCHANGE_SHIPPED),
    (K.RETURN, S.REJECTED, E.RETURN_APPROVED, S.REJECTED),  # late approval mail
    (K.RETURN, S.REJECTED, E.REFUND_ISSUED, S.REFUNDED),    # money wins
    # cancellation only before the parcel left
    (K.RETURN, S.APPROVED, E.CANCELLED, S.CANCELLED),
    (K.RETURN, S.LABEL_ISSUED, E.CANCELLED, S.CANCELLED),
    (K.RETURN, S.SHIPPED, E.CANCELLED, S.SHIPPED),
    (K.RETURN, S.CANCELLED, E.RETURN_SHIPPED, S.CANCELLED),
    # dispute: only a resolution leaves it
    (K.RETURN, S.DISPUTED, E.RETURN_RECEIVED, S.DISPUTED),
    (K.RETURN, S.DISPUTED, E.RETURN_REJECTED, S.DISPUTED),
    (K.RETURN, S.DISPUTED, E.REFUND_ISSUED, S.REFUNDED),
    (K.EXCHANGE, S.DISPUTED, E.EXCHANGE_SHIPPED, S.EXCHANGE_SHIPPED),
    # events that do not concern a return case
    (K.RETURN, S.APPROVED, E.ORDER_PLACED, S.APPROVED),
    (K.RETURN, S.APPROVED, E.SHIPPED, S.APPROVED),
    (K.RETURN, S.APPROVED, "not_an_event", S.APPROVED),
    # tracking of the case's parcels
    (K.RETURN, S.LABEL_ISSUED, "tracking:return:in_transit", S.SHIPPED),
    (K.RETURN, S.SHIPPED, "tracking:return:delivered", S.RECEIVED),
    (K.RETURN, S.REFUNDED, "tracking:return:delivered", S.REFUNDED),
    (K.RETURN, S.RECEIVED, "tracking:return:in_transit", S.RECEIVED),
    (K.RETURN, S.RECEIVED, "tracking:outbound:delivered", S.RECEIVED),
    (K.EXCHANGE, S.EXCHANGE_SHIPPED, "tracking:outbound:delivered", S.EXCHANGE_DELIVERED),
    (K.RETURN, S.SHIPPED, "tracking:return:exception", S.SHIPPED),
    # the user, from the CLI
    (K.RETURN, S.REJECTED, C.REOPEN, S.REQUESTED),
    (K.RETURN, S.REFUNDED, C.REOPEN, S.REFUNDED),
    (K.RETURN, S.REJECTED, C.APPROVE, S.APPROVED),
    (K.RETURN, S.RECEIVED, C.DISPUTE, S.DISPUTED),
    (K.RETURN, S.REFUNDED, "cli:dispute", S.DISPUTED),  # a short refund can still be disputed
    (K.RETURN, S.CANCELLED, C.DISPUTE, S.CANCELLED),
    (K.RETURN, S.SHIPPED, "cli:receive", S.RECEIVED),
    (K.RETURN, S.RECEIVED, C.SHIP, S.RECEIVED),
    (K.RETURN, S.SHIPPED, C.CANCEL, S.SHIPPED),
    (K.RETURN, S.REQUESTED, C.CANCEL, S.CANCELLED),
]


@pytest.mark.parametrize(("kind", "current", "action", "expected"), TABLE)
def test_transition(kind, current, action, expected) -> None:
    assert apply(current, action, kind) == expected


def test_accepts_stored_strings() -> None:
    assert apply("shipped", "return_received", "return") is S.RECEIVED


def test_a_shuffled_mail_history_ends_where_the_ordered_one_does() -> None:
    history = [E.RETURN_REQUESTED, E.RETURN_APPROVED, E.RETURN_LABEL, E.RETURN_SHIPPED,
               E.RETURN_RECEIVED, E.REFUND_ISSUED]
    for order in (history, list(reversed(history)), history[3:] + history[:3]):
        status = S.REQUESTED
        for event in order:
            status = apply(status, event)
        assert status is S.REFUNDED


def test_open_states() -> None:
    assert is_open("received") and is_open("disputed")
    assert not is_open("refunded") and not is_open("cancelled") and not is_open("rejected")


def test_the_store_applies_mail_through_the_state_machine(sqlite_db) -> None:
    from datetime import datetime, timezone

    from sqlalchemy import select

    from smartreturn.model import Event, ReturnKind
    from smartreturn.apply.events import apply_events
    from smartreturn.store.tables import ReturnCase

    when = datetime(2026, 11, 20, 9, tzinfo=timezone.utc)

    def mail(kind: E) -> Event:
        return Event(kind=kind, platform="jd", order_number="JD-1", return_case_number="SVC-9",
                     return_kind=ReturnKind.EXCHANGE, occurred_at=when)

    with sqlite_db.session() as session:
        apply_events(session, None, [mail(E.RETURN_REQUESTED), mail(E.EXCHANGE_SHIPPED)], default_time=when)
        # a stale rejection after the replacement left the warehouse, then a late request mail
        apply_events(session, None, [mail(E.RETURN_REJECTED), mail(E.RETURN_REQUESTED)], default_time=when)
        case = session.scalars(select(ReturnCase)).one()
        assert (case.kind, case.status) == ("exchange", "exchange_shipped")
