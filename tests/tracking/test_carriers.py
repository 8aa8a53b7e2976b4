"""The carrier registry: codes, names, URLs and provider codes others rely on."""

from __future__ import annotations

import pytest

from smartreturn.errors import TrackingError
from smartreturn.tracking import carriers

CODES = (
    "ups fedex usps dhl dhl_paket royal_mail evri dpd gls postnl canada_post australia_post amazon_logistics "
    "cainiao 4px yunexpress sf jd zto yto sto yunda ems china_post jt deppon"
).split()


def test_registry_has_the_agreed_codes_first() -> None:
    codes = [c.code for c in carriers.all_carriers()]
    assert codes[:len(CODES)] == CODES and len(set(codes)) == len(codes)


@pytest.mark.parametrize("code", CODES)
def test_every_carrier_is_complete(code: str) -> None:
    carrier = carriers.get(code)
    assert carrier.name_en and carrier.name_zh
    url = carrier.url("ab 123")
    assert url.startswith("https://") and "AB123" in url
    assert carrier.formats, "every carrier can be detected by at least one number format"


def test_unknown_code_raises_a_key_error_that_is_a_tracking_error() -> None:
    with pytest.raises(KeyError):
        carriers.get("pony_express")
    with pytest.raises(TrackingError, match="pony_express"):
        carriers.get("pony_express")


@pytest.mark.parametrize(
    ("name", "code"),
    [
        ("UPS", "ups"),
        ("United Parcel Service", "ups"),
        ("FedEx Ground", "fedex"),
        ("U.S. Postal Service", "usps"),
        ("DHL", "dhl"),
        ("DHL Express", "dhl"),
        ("DHL Paket", "dhl_paket"),
        ("Deutsche Post", "dhl_paket"),
        ("Royal Mail", "royal_mail"),
        ("Royal Mail Tracked 24", "royal_mail"),
        ("Evri", "evri"),
        ("PostNL", "postnl"),
        ("Canada Post", "canada_post"),
        ("Amazon Logistics", "amazon_logistics"),
        ("顺丰速运", "sf"),
        ("顺丰", "sf"),
        ("京东物流", "jd"),
        ("中通快递", "zto"),
        ("圆通速递", "yto"),
        ("申通快递", "sto"),
        ("韵达快递", "yunda"),
        ("中国邮政", "china_post"),
        ("邮政EMS", "ems"),
        ("EMS", "ems"),
        ("菜鸟驿站", "cainiao"),
        ("极兔速递", "jt"),
        ("德邦快递", "deppon"),
        ("云途物流", "yunexpress"),
        ("递四方", "4px"),
        ("  ups  ", "ups"),
        ("Ihre DHL Paket Sendung", "dhl_paket"),
    ],
)
def test_by_name(name: str, code: str) -> None:
    found = carriers.by_name(name)
    assert found is not None and found.code == code


@pytest.mark.parametrize("text", ["", "groups and ups and downs", "Thanks for shopping", "Empfang", "schedule"])
def test_by_name_does_not_guess(text: str) -> None:
    assert carriers.by_name(text) is None


def test_provider_codes_for_the_tracking_apis() -> None:
    assert carriers.get("ups").providers["17track"] == "100002"
    assert carriers.get("fedex").providers["17track"] == "100003"
    assert carriers.get("usps").providers["17track"] == "21051"
    assert carriers.get("dhl_paket").providers["aftership"] == "dhl-germany"
    assert carriers.get("sf").providers["kuaidi100"] == "shunfeng"
    assert carriers.get("china_post").providers["kuaidi100"] == "youzhengguonei"
    assert carriers.get("deppon").providers["kuaidi100"] == "debangkuaidi"
    with pytest.raises(TypeError):
        carriers.get("ups").providers["17track"] = "0"  # type: ignore[index]


def test_carriers_are_hashable_values() -> None:
    assert len({carriers.get("ups"), carriers.get("ups"), carriers.get("sf")}) == 2
