"""Provider status codes -> :class:`~smartreturn.model.ShipmentStatus`.

Each provider speaks its own vocabulary; these tables are the only place that knows it. Unknown codes
map to ``None`` (the caller keeps the previous status and logs the code), never to a guess.
"""

from __future__ import annotations

import logging

from smartreturn.model import ShipmentStatus as S

log = logging.getLogger(__name__)

# --- 17TRACK API v2.2: latest_status.status (main) and .sub_status --------------------------------
SEVENTEEN_TRACK_MAIN: dict[str, S] = {
    "NotFound": S.PENDING,
    "InfoReceived": S.INFO_RECEIVED,
    "InTransit": S.IN_TRANSIT,
    "Expired": S.EXPIRED,
    "AvailableForPickup": S.PICKUP_READY,
    "OutForDelivery": S.OUT_FOR_DELIVERY,
    "DeliveryFailure": S.FAILED_ATTEMPT,
    "Delivered": S.DELIVERED,
    "Exception": S.EXCEPTION,
}

# Sub-statuses that say more than their main status. Every documented sub-status is listed so the
# table test can prove each one maps; most simply inherit the main status.
SEVENTEEN_TRACK_SUB: dict[str, S] = {
    "NotFound_Other": S.PENDING,
    "NotFound_InvalidCode": S.PENDING,
    "InfoReceived": S.INFO_RECEIVED,
    "InTransit_PickedUp": S.IN_TRANSIT,
    "InTransit_Other": S.IN_TRANSIT,
    "InTransit_Departure": S.IN_TRANSIT,
    "InTransit_Arrival": S.IN_TRANSIT,
    "InTransit_CustomsProcessing": S.IN_TRANSIT,
    "InTransit_CustomsReleased": S.IN_TRANSIT,
    "InTransit_CustomsRequiringInformation": S.EXCEPTION,  # the recipient has to act
    "Expired_Other": S.EXPIRED,
    "AvailableForPickup_Other": S.PICKUP_READY,
    "OutForDelivery_Other": S.OUT_FOR_DELIVERY,
    "DeliveryFailure_Other": S.FAILED_ATTEMPT,
    "DeliveryFailure_NoBody": S.FAILED_ATTEMPT,
    "DeliveryFailure_Security": S.FAILED_ATTEMPT,
    "DeliveryFailure_Rejected": S.FAILED_ATTEMPT,
    "DeliveryFailure_InvalidAddress": S.FAILED_ATTEMPT,
    "Delivered_Other": S.DELIVERED,
    "Exception_Other": S.EXCEPTION,
    "Exception_Returning": S.RETURNING,
    "Exception_Returned": S.RETURNED_TO_SENDER,
    "Exception_NoBody": S.EXCEPTION,
    "Exception_Security": S.EXCEPTION,
    "Exception_Damage": S.EXCEPTION,
    "Exception_Rejected": S.EXCEPTION,
    "Exception_Delayed": S.EXCEPTION,
    "Exception_Lost": S.EXCEPTION,
    "Exception_Destroyed": S.EXCEPTION,
    "Exception_Cancel": S.EXCEPTION,
}

# --- AfterShip: tag and subtag ----------------------------------------------------------------------
AFTERSHIP_TAG: dict[str, S] = {
    "Pending": S.PENDING,
    "InfoReceived": S.INFO_RECEIVED,
    "InTransit": S.IN_TRANSIT,
    "OutForDelivery": S.OUT_FOR_DELIVERY,
    "AttemptFail": S.FAILED_ATTEMPT,
    "Delivered": S.DELIVERED,
    "AvailableForPickup": S.PICKUP_READY,
    "Exception": S.EXCEPTION,
    "Expired": S.EXPIRED,
}

# Subtags whose meaning differs from their tag: the return legs of an exception.
AFTERSHIP_SUBTAG: dict[str, S] = {
    "Exception_010": S.RETURNING,            # returning to sender
    "Exception_011": S.RETURNED_TO_SENDER,   # returned to sender
}

# --- Kuaidi100: state (0-14) and, with resultv2=1, the finer per-event statusCode -----------------
KUAIDI100_STATE: dict[str, S] = {
    "0": S.IN_TRANSIT,         # 在途
    "1": S.IN_TRANSIT,         # 揽收 (picked up by the courier)
    "2": S.EXCEPTION,          # 疑难
    "3": S.DELIVERED,          # 签收
    "4": S.RETURNED_TO_SENDER,  # 退签 (the sender signed for the returned parcel)
    "5": S.OUT_FOR_DELIVERY,   # 派件
    "6": S.RETURNING,          # 退回 (on its way back)
    "7": S.IN_TRANSIT,         # 转投 (handed to another carrier)
    "8": S.IN_TRANSIT,         # 清关
    "10": S.IN_TRANSIT,        # 待清关
    "11": S.IN_TRANSIT,        # 清关中
    "12": S.IN_TRANSIT,        # 已清关
    "13": S.EXCEPTION,         # 清关异常
    "14": S.FAILED_ATTEMPT,    # 拒签 (the recipient refused it)
}

# resultv2 sub-states that say more than their parent state.
KUAIDI100_SUBSTATE: dict[str, S] = {
    "101": S.INFO_RECEIVED,    # 已下单
    "102": S.INFO_RECEIVED,    # 待揽收
    "103": S.IN_TRANSIT,       # 已揽收
    "1001": S.IN_TRANSIT,      # 到达派件城市
    "1002": S.IN_TRANSIT,      # 干线
    "1003": S.IN_TRANSIT,      # 转递
    "501": S.PICKUP_READY,     # 投柜或驿站
    "301": S.DELIVERED,        # 本人签收
    "302": S.DELIVERED,        # 派件异常后签收
    "303": S.DELIVERED,        # 代签
    "304": S.DELIVERED,        # 投柜或站签收
    "401": S.RETURNED_TO_SENDER,  # 已销单
    "201": S.EXCEPTION,        # 超时未签收
    "202": S.EXCEPTION,        # 超时未更新
    "203": S.FAILED_ATTEMPT,   # 拒收
    "204": S.FAILED_ATTEMPT,   # 派件异常
    "205": S.PICKUP_READY,     # 柜或驿站超时未取 (still waiting at the locker)
    "206": S.FAILED_ATTEMPT,   # 无法联系
    "207": S.EXCEPTION,        # 超区
    "208": S.EXCEPTION,        # 滞留
    "209": S.EXCEPTION,        # 破损
    "210": S.EXCEPTION,        # 销单
}


def from_17track(main: str | None, sub: str | None = None) -> S | None:
    """17TRACK ``latest_status``/event ``stage`` + ``sub_status``; the sub-status wins when known."""
    if sub and sub in SEVENTEEN_TRACK_SUB:
        return SEVENTEEN_TRACK_SUB[sub]
    if main and main in SEVENTEEN_TRACK_MAIN:
        return SEVENTEEN_TRACK_MAIN[main]
    if main or sub:
        log.warning("unknown 17TRACK status %r/%r", main, sub)
    return None


def from_aftership(tag: str | None, subtag: str | None = None) -> S | None:
    if subtag and subtag in AFTERSHIP_SUBTAG:
        return AFTERSHIP_SUBTAG[subtag]
    if tag and tag in AFTERSHIP_TAG:
        return AFTERSHIP_TAG[tag]
    if tag or subtag:
        log.warning("unknown AfterShip tag %r/%r", tag, subtag)
    return None


def from_kuaidi100(state: str | int | None) -> S | None:
    """A Kuaidi100 ``state`` (0-14) or resultv2 ``statusCode`` (101, 1001, 501, ...)."""
    if state is None or str(state).strip() == "":
        return None
    code = str(state).strip()
    if code in KUAIDI100_SUBSTATE:
        return KUAIDI100_SUBSTATE[code]
    if code in KUAIDI100_STATE:
        return KUAIDI100_STATE[code]
    log.warning("unknown Kuaidi100 state %r", code)
    return None
