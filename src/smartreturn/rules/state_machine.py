"""The return-case state machine (return / exchange / refund-only).

The happy path is a ladder: requested → approved → label_issued → shipped → received → refunded, and
for an exchange … received → exchange_shipped → exchange_delivered. Mail arrives out of order, so a
case only ever climbs the ladder: a late "return requested" mail after the refund changes nothing.

Side states: ``rejected`` (the merchant said no), ``cancelled`` (the buyer withdrew, before shipping),
``disputed`` (escalated to the platform / card issuer). Money is the final word: a refund moves any
open or side state to ``refunded``. The CLI speaks for the user and may also leave a side state
(``reopen``) or move a case forward past a side state.

Pure functions; the store applies them and keeps the evidence (the CaseEvent row) beside.
"""

from __future__ import annotations

from enum import StrEnum

from smartreturn.model import Direction, EventKind, ReturnKind, ReturnStatus, ShipmentStatus

S = ReturnStatus


class CliAction(StrEnum):
    """What the user can say about a case from the command line (``cli:<action>`` in CaseEvent.kind)."""

    APPROVE = "approve"
    LABEL = "label"
    SHIP = "ship"
    RECEIVE = "receive"
    REFUND = "refund"
    EXCHANGE_SHIP = "exchange_ship"
    EXCHANGE_DELIVER = "exchange_deliver"
    REJECT = "reject"
    CANCEL = "cancel"
    DISPUTE = "dispute"
    REOPEN = "reopen"


# Position on the ladder. Refunded sits on top: it closes a return and also an exchange that the
# merchant turned into a refund (out of stock) or topped up.
RANK: dict[ReturnStatus, int] = {
    S.REQUESTED: 0,
    S.APPROVED: 1,
    S.LABEL_ISSUED: 2,
    S.SHIPPED: 3,
    S.RECEIVED: 4,
    S.EXCHANGE_SHIPPED: 5,
    S.EXCHANGE_DELIVERED: 6,
    S.REFUNDED: 7,
}
SIDE_STATES = frozenset({S.REJECTED, S.CANCELLED, S.DISPUTED})
FINAL_STATES = frozenset({S.REFUNDED, S.EXCHANGE_DELIVERED, S.REJECTED, S.CANCELLED})
# States in which the buyer still waits for money or goods (what the agenda and the anomalies watch).
OPEN_STATES = frozenset(RANK) - {S.REFUNDED, S.EXCHANGE_DELIVERED} | {S.DISPUTED}

EVENT_TARGET: dict[EventKind, ReturnStatus] = {
    EventKind.RETURN_REQUESTED: S.REQUESTED,
    EventKind.RETURN_APPROVED: S.APPROVED,
    EventKind.RETURN_REJECTED: S.REJECTED,
    EventKind.RETURN_LABEL: S.LABEL_ISSUED,
    EventKind.RETURN_SHIPPED: S.SHIPPED,
    EventKind.RETURN_RECEIVED: S.RECEIVED,
    EventKind.REFUND_ISSUED: S.REFUNDED,
    EventKind.EXCHANGE_SHIPPED: S.EXCHANGE_SHIPPED,
    EventKind.CANCELLED: S.CANCELLED,
}

CLI_TARGET: dict[CliAction, ReturnStatus] = {
    CliAction.APPROVE: S.APPROVED,
    CliAction.LABEL: S.LABEL_ISSUED,
    CliAction.SHIP: S.SHIPPED,
    CliAction.RECEIVE: S.RECEIVED,
    CliAction.REFUND: S.REFUNDED,
    CliAction.EXCHANGE_SHIP: S.EXCHANGE_SHIPPED,
    CliAction.EXCHANGE_DELIVER: S.EXCHANGE_DELIVERED,
    CliAction.REJECT: S.REJECTED,
    CliAction.CANCEL: S.CANCELLED,
    CliAction.DISPUTE: S.DISPUTED,
    CliAction.REOPEN: S.REQUESTED,
}

# Which column of ReturnCase records when a status was reached (for the store).
TIMESTAMP_FIELD: dict[ReturnStatus, str] = {
    S.REQUESTED: "requested_at",
    S.APPROVED: "approved_at",
    S.LABEL_ISSUED: "label_at",
    S.SHIPPED: "shipped_at",
    S.RECEIVED: "received_at",
    S.REFUNDED: "refunded_at",
}


def is_open(status: ReturnStatus | str) -> bool:
    return ReturnStatus(status) in OPEN_STATES


def is_final(status: ReturnStatus | str) -> bool:
    return ReturnStatus(status) in FINAL_STATES


def target_for_tracking(direction: Direction | str, status: ShipmentStatus | str) -> ReturnStatus | None:
    """The case status a tracking status of the case's parcel implies, if any."""
    direction, status = Direction(direction), ShipmentStatus(status)
    if direction is Direction.RETURN:
        if status is ShipmentStatus.DELIVERED:
            return S.RECEIVED
        if status in (ShipmentStatus.IN_TRANSIT, ShipmentStatus.OUT_FOR_DELIVERY, ShipmentStatus.PICKUP_READY):
            return S.SHIPPED
        return None
    if status is ShipmentStatus.DELIVERED:  # the exchange item sent back to the buyer
        return S.EXCHANGE_DELIVERED
    if status in (ShipmentStatus.IN_TRANSIT, ShipmentStatus.OUT_FOR_DELIVERY, ShipmentStatus.PICKUP_READY):
        return S.EXCHANGE_SHIPPED
    return None


def _from_mail(current: ReturnStatus, target: ReturnStatus) -> ReturnStatus:
    if target is S.REFUNDED:
        return S.REFUNDED  # money is the final word, whatever the case looked like
    if current in FINAL_STATES:
        return current
    if current is S.DISPUTED:
        # only a resolution leaves a dispute; earlier-stage mail is late mail
        return target if target in (S.EXCHANGE_SHIPPED, S.EXCHANGE_DELIVERED) else current
    if target is S.CANCELLED:
        # a cancellation only makes sense before the parcel left; later it is a stale mail
        return target if RANK[current] < RANK[S.SHIPPED] else current
    if target is S.REJECTED:
        # the merchant may still refuse after inspecting the parcel, not after sending the exchange
        return target if RANK[current] <= RANK[S.RECEIVED] else current
    if target is S.DISPUTED:
        return target
    return target if RANK[target] > RANK[current] else current


def _from_cli(current: ReturnStatus, action: CliAction) -> ReturnStatus:
    target = CLI_TARGET[action]
    if action is CliAction.REOPEN:
        return S.REQUESTED if current in SIDE_STATES else current
    if action is CliAction.DISPUTE:
        return current if current is S.CANCELLED else S.DISPUTED
    if current in SIDE_STATES and target not in SIDE_STATES:
        return target  # the user says it moved on (e.g. the merchant approved after all)
    return _from_mail(current, target)


def apply(
    current: ReturnStatus | str,
    action: EventKind | CliAction | str,
    kind: ReturnKind | str = ReturnKind.RETURN,
) -> ReturnStatus:
    """The status after ``action`` (a mail's EventKind, a CliAction or "cli:<action>",
    or "tracking:<direction>:<shipment status>"). Never moves backwards; unknown or irrelevant
    actions (e.g. ``shipped`` of the outbound order) leave the status unchanged."""
    current = ReturnStatus(current)
    kind = ReturnKind(kind)
    text = str(action)
    if isinstance(action, CliAction) or text.startswith("cli:"):
        return _from_cli(current, CliAction(text.removeprefix("cli:")))
    if text.startswith("tracking:"):
        _, direction, status = text.split(":", 2)
        target = target_for_tracking(direction, status)
        if target is None or (kind is not ReturnKind.EXCHANGE and target in (S.EXCHANGE_SHIPPED, S.EXCHANGE_DELIVERED)):
            return current
        return _from_mail(current, target)
    try:
        event = EventKind(text)
    except ValueError:
        return current
    target = EVENT_TARGET.get(event)
    if target is None:
        if event is EventKind.DELIVERED and kind is ReturnKind.EXCHANGE and current is S.EXCHANGE_SHIPPED:
            return S.EXCHANGE_DELIVERED
        return current
    return _from_mail(current, target)
