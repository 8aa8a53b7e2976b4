"""Tracking-number detection: valid numbers are found with their carrier, look-alikes are not.

Valid numbers are built with the check-digit arithmetic in checkdigit_data (written independently of
the code under test); every near miss changes one digit of a valid number.
"""

from __future__ import annotations

import pytest

from smartreturn.tracking.detect import detect, validate
from tests.tracking import checkdigit_data as cd

UPS = cd.ups("999AA1012345678")                     # 1Z999AA10123456784, UPS's own example
UPS_2 = cd.ups("4E1W56A03930123")
FEDEX = cd.fedex12("39874659301")
USPS = cd.mod10_31("940011189922385924187")          # 22-digit IMpb
DHL_EXPRESS = cd.dhl_express10("123456789")
DHL_SSCC = "00" + cd.mod10_31("34043416109404255")   # 20-digit Sendungsnummer, DHL's GS1 prefix
ROYAL_MAIL = cd.s10("RB", "12345678", "GB")
EMS_CN = cd.s10("EA", "36251409", "CN")
CHINA_POST = cd.s10("RR", "87654321", "CN")
USPS_S10 = cd.s10("LZ", "40035677", "US")


def test_check_digit_helpers_agree_with_known_examples() -> None:
    assert UPS == "1Z999AA10123456784"


@pytest.mark.parametrize(
    ("carrier", "number"),
    [
        ("ups", UPS),
        ("ups", UPS_2),
        ("fedex", FEDEX),
        ("usps", USPS),
        ("usps", USPS_S10),
        ("dhl", DHL_EXPRESS),
        ("dhl_paket", DHL_SSCC),
        ("royal_mail", ROYAL_MAIL),
        ("royal_mail", cd.s10("TT", "58213390", "GB")),  # domestic Tracked 48 service letters
        ("ems", EMS_CN),
        ("china_post", CHINA_POST),
        ("sf", "SF1403251234567"),
        ("jd", "JDVA12345678901"),
        ("jd", "JDX012345678901"),
        ("yto", "YT7512345678901"),
        ("yunexpress", "YT2312345678901234"),
        ("jt", "JT3012345678901"),
        ("cainiao", "LP00512345678901"),
        ("amazon_logistics", "TBA123456789012"),
        ("postnl", "3SABCD1234567"),
    ],
)
def test_validate_accepts_valid_numbers(carrier: str, number: str) -> None:
    assert validate(carrier, number)
    assert validate(carrier, " ".join([number[:4], number[4:]]).lower())  # spaces and case do not matter


@pytest.mark.parametrize(
    ("carrier", "number"),
    [
        ("ups", cd.wrong_last(UPS)),
        ("ups", UPS[:-1]),                       # too short
        ("fedex", cd.wrong_last(FEDEX)),
        ("usps", cd.wrong_last(USPS)),
        ("usps", cd.wrong_digit(USPS, 10)),
        ("dhl", cd.wrong_last(DHL_EXPRESS)),
        ("dhl_paket", cd.wrong_last(DHL_SSCC)),
        ("royal_mail", ROYAL_MAIL[:10] + str((int(ROYAL_MAIL[10]) + 1) % 10) + "GB"),
        ("royal_mail", EMS_CN),                  # right check digit, wrong country
        ("ems", CHINA_POST),                     # registered letter, not EMS
        ("ems", EMS_CN[:10] + str((int(EMS_CN[10]) + 1) % 10) + "CN"),
        ("sf", "SF12345"),
        ("jd", "JD123"),
    ],
)
def test_validate_rejects_near_misses(carrier: str, number: str) -> None:
    assert not validate(carrier, number)


def test_validate_unknown_carrier_raises() -> None:
    with pytest.raises(KeyError):
        validate("nope", UPS)


def _found(text: str, **kw: object) -> list[tuple[str, str | None]]:
    return [(d.number, d.carrier) for d in detect(text, **kw)]  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (f"Tracking number: {UPS}", [(UPS, "ups")]),
        ("Your package 1Z 999 AA1 01 2345 678 4 is on its way", [(UPS, "ups")]),
        (f"https://www.ups.com/track?loc=en_US&tracknum={UPS}&requester=ST", [(UPS, "ups")]),
        (f"Order #112-1234567-1234567 shipped with UPS: {UPS}", [(UPS, "ups")]),
        (f"FedEx tracking number {FEDEX}", [(FEDEX, "fedex")]),
        (f"USPS Tracking® {USPS[:4]} {USPS[4:8]} {USPS[8:12]} {USPS[12:16]} {USPS[16:20]} {USPS[20:]}",
         [(USPS, "usps")]),
        (f"Ihre DHL Sendung {DHL_SSCC} kommt heute", [(DHL_SSCC, "dhl_paket")]),
        (f"DHL Express Waybill: {DHL_EXPRESS}", [(DHL_EXPRESS, "dhl")]),
        (f"Royal Mail Tracked 48: {ROYAL_MAIL}", [(ROYAL_MAIL, "royal_mail")]),
        (f"Item {ROYAL_MAIL[:2]} {ROYAL_MAIL[2:5]} {ROYAL_MAIL[5:8]} {ROYAL_MAIL[8:11]} GB has been delivered",
         [(ROYAL_MAIL, "royal_mail")]),
        (f"Tracking number: {ROYAL_MAIL[:2]} {ROYAL_MAIL[2:6]} {ROYAL_MAIL[6:10]} {ROYAL_MAIL[10:]}",
         [(ROYAL_MAIL, "royal_mail")]),
        (f"EMS单号：{EMS_CN}", [(EMS_CN, "ems")]),
        ("【顺丰速运】您的快件SF1403251234567已签收", [("SF1403251234567", "sf")]),
        ("运单号：ＳＦ１４０３２５１２３４５６７（顺丰）", [("SF1403251234567", "sf")]),  # full-width
        ("京东物流 运单号JDVA12345678901 已出库", [("JDVA12345678901", "jd")]),
        ("中通快递 运单号：75312345678901 派送中", [("75312345678901", "zto")]),
        ("【申通快递】您的包裹773123456789012已到达", [("773123456789012", "sto")]),
        ("韵达快递 快递单号 4312345678901", [("4312345678901", "yunda")]),
        ("圆通速递 YT7512345678901", [("YT7512345678901", "yto")]),
        ("AliExpress: tracking LP00512345678901 (Cainiao)", [("LP00512345678901", "cainiao")]),
        ("Shipped with Amazon, tracking ID TBA123456789012", [("TBA123456789012", "amazon_logistics")]),
        (f"Return label for your return: {UPS} and again {UPS}", [(UPS, "ups")]),  # one per number
    ],
)
def test_detect_finds_numbers_with_their_carrier(text: str, expected: list[tuple[str, str | None]]) -> None:
    assert _found(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        f"Tracking number: {cd.wrong_last(UPS)}",                   # UPS check digit wrong
        f"FedEx tracking number {cd.wrong_last(FEDEX)}",             # FedEx check digit wrong
        f"DHL Express Waybill: {cd.wrong_last(DHL_EXPRESS)}",        # mod-7 wrong
        f"Ihre DHL Sendung {cd.wrong_last(DHL_SSCC)} kommt heute",   # GS1 wrong
        f"Royal Mail: {ROYAL_MAIL[:10]}{(int(ROYAL_MAIL[10]) + 3) % 10}GB",
        f"Your order {FEDEX} has shipped",                           # all digits, no carrier near
        f"FedEx: Order number {FEDEX}",                              # labelled as an order
        f"订单号：{FEDEX} 顺丰速运",                                   # 订单号 is not 单号
        "中通快递 联系电话 13812345678",                               # Chinese mobile number
        "DHL Kundenservice: +49 228 4333112 · 0228 43331120",       # phone numbers
        "UPS Store price: 1234567890.00 USD, 12,345,678,901",       # prices
        "DHL Paket – Datum 20261125093000",                          # timestamp
        "Save 20% on 123456789012 items! Code 998877665544 – newsletter",
        "Call us at 0800 1234 5678 9012",
        "Invoice 123456789012345678 for your DHL purchase",
    ],
)
def test_detect_ignores_look_alikes(text: str) -> None:
    assert detect(text) == []


def test_hint_lets_a_carrier_parser_accept_its_all_digit_numbers() -> None:
    text = f"Tracking ID\n{FEDEX}\nDelivered"
    assert _found(text) == []
    assert _found(text, hint="fedex") == [(FEDEX, "fedex")]


def test_nearest_carrier_name_decides_an_ambiguous_number() -> None:
    number = "4312345678901"
    assert _found(f"韵达快递单号 {number}，不是中通快递") == [(number, "yunda")]


def test_confidence_orders_strong_over_ambiguous() -> None:
    strong = detect(f"Tracking number: {UPS}")[0]
    weak = detect("DHL Paket, Sendungsnummer 123456789012")[0]
    assert weak.carrier == "dhl_paket"
    assert strong.confidence > weak.confidence >= 0.5


def test_unchecked_all_digit_numbers_need_a_tracking_keyword_as_well_as_the_name() -> None:
    assert detect("Wir liefern mit DHL Paket. Kundenkonto 340434161094") == []
    assert detect("Wir liefern mit DHL Paket. Ihre Auswahl 340434161094") == []
    assert _found("DHL Paket Sendungsnummer 340434161094") == [("340434161094", "dhl_paket")]


def test_ids_in_links_are_not_tracking_numbers_unless_the_link_says_so() -> None:
    assert detect("DHL Paket newsletter: https://www.dhl.de/nl?id=993311884477") == []
    assert _found(f"FedEx https://www.fedex.com/fedextrack/?trknbr={FEDEX}") == [(FEDEX, "fedex")]


def test_positions_point_into_the_text() -> None:
    text = f"xx {UPS} yy"
    found = detect(text)[0]
    assert text[found.start:found.end] == UPS


def test_s10_of_a_post_outside_the_registry_has_no_carrier() -> None:
    swiss = cd.s10("RR", "47110815", "CH")
    assert _found(f"Sendungsnummer {swiss}") == [(swiss, None)]
    assert detect(f"Sendungsnummer {cd.wrong_digit(swiss, 5)}") == []
