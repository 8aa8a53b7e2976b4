"""Boundary tables for return windows and refund deadlines (the shipped rules)."""

from __future__ import annotations

from datetime import date, datetime, timezone
from zoneinfo import ZoneInfo

import pytest

from smartreturn.errors import ConfigError
from smartreturn.rules.policies import Confidence, DeadlineKind, Subject, load_rules
from smartreturn.rules.return_window import (
    ComputedDeadline,
    Facts,
    NotReturnable,
    days_left,
    deadline_for,
    refund_due,
    return_window,
)
from tests.rules.rows import utc

BERLIN = ZoneInfo("Europe/Berlin")
SHANGHAI = ZoneInfo("Asia/Shanghai")
NEW_YORK = ZoneInfo("America/New_York")
RULES = load_rules()
NOW = datetime(2026, 1, 1, tzinfo=timezone.utc)


def local(tz: ZoneInfo, *args: int) -> datetime:
    return datetime(*args, tzinfo=tz)


def window(subject: Subject, delivered: datetime, tz: ZoneInfo) -> ComputedDeadline:
    result = return_window(Facts(subject, order_date=delivered, delivered_at=delivered), RULES, NOW, tz)
    assert isinstance(result, ComputedDeadline)
    return result


GERMANY = Subject(platform="otto", region="de")
AMAZON_DE = Subject(platform="amazon", region="de")
TAOBAO = Subject(platform="taobao", region="cn")

EU_TABLE = [
    # delivered (local date)             -> last day (14 days, rolled to the next working day)
    (local(BERLIN, 2026, 3, 18, 12), date(2026, 4, 1)),    # Wed -> Wed, a working day: stays
    (local(BERLIN, 2026, 6, 8, 12), date(2026, 6, 22)),    # Mon -> Mon
    (local(BERLIN, 2026, 6, 6, 12), date(2026, 6, 22)),    # Sat -> Sat: rolls over the weekend
    (local(BERLIN, 2026, 6, 7, 12), date(2026, 6, 22)),    # Sun -> Sun: rolls to Monday
    (local(BERLIN, 2026, 3, 20, 12), date(2026, 4, 7)),    # -> Good Friday, weekend, Easter Monday
    (local(BERLIN, 2026, 12, 11, 12), date(2026, 12, 28)),  # -> Christmas Fri+Sat, Sun
    (local(BERLIN, 2026, 9, 19, 12), date(2026, 10, 5)),   # -> German Unity Day (a Saturday)
    # DST starts in Berlin on 2026-03-29: 22:30 UTC that day is already 00:30 CEST on the 30th
    (utc(2026, 3, 28, 23, 30), date(2026, 4, 13)),          # 00:30 CET Mar 29 -> Apr 12 Sun -> Mon 13
    (utc(2026, 3, 29, 22, 30), date(2026, 4, 13)),          # 00:30 CEST Mar 30 -> Apr 13 Mon
    (utc(2026, 3, 29, 21, 30), date(2026, 4, 13)),          # 23:30 CEST Mar 29 -> Apr 12 Sun -> Mon 13
    # DST ends on 2026-10-25
    (utc(2026, 10, 24, 22, 30), date(2026, 11, 9)),         # 00:30 CEST Oct 25 -> Nov 8 Sun -> Mon 9
    (utc(2026, 10, 25, 22, 30), date(2026, 11, 9)),         # 23:30 CET Oct 25 -> Nov 8 Sun -> Mon 9
    (utc(2026, 10, 25, 23, 30), date(2026, 11, 9)),         # 00:30 CET Oct 26 -> Nov 9 Mon
]


@pytest.mark.parametrize(("delivered", "due"), EU_TABLE)
def test_eu_14_days_roll_to_the_next_working_day(delivered: datetime, due: date) -> None:
    result = window(GERMANY, delivered, BERLIN)
    assert (result.due_on, result.rule_id, result.confidence) == (due, "eu.14day_withdrawal", Confidence.KNOWN)


def test_eu_without_a_known_country_rolls_over_weekends_only() -> None:
    # region "eu" is no country: Good Friday is a working day then, Saturday is not
    result = window(Subject(platform="shop", region="eu"), local(BERLIN, 2026, 3, 20, 12), BERLIN)
    assert result.due_on == date(2026, 4, 3)
    result = return_window(Facts(Subject(platform="shop", region="eu"), delivered_at=local(BERLIN, 2026, 3, 20, 12)),
                           RULES, NOW, BERLIN, default_country="DE")
    assert result.due_on == date(2026, 4, 7)


AMAZON_TABLE = [
    (local(BERLIN, 2026, 10, 1, 12), date(2026, 10, 31)),
    (local(BERLIN, 2026, 10, 31, 12), date(2026, 11, 30)),  # the day before the holiday season
    (local(BERLIN, 2026, 11, 1, 12), date(2027, 1, 31)),    # first day of the season
    (local(BERLIN, 2026, 12, 20, 12), date(2027, 1, 31)),
    (local(BERLIN, 2026, 12, 25, 12), date(2027, 1, 31)),   # last day of the EU season (bought by Dec 25)
    (local(BERLIN, 2026, 12, 31, 12), date(2027, 1, 30)),   # bought after Dec 25: plain 30 days
    (local(BERLIN, 2027, 1, 2, 12), date(2027, 2, 1)),      # after the season: plain 30 days
    (utc(2026, 10, 31, 23, 30), date(2027, 1, 31)),         # 00:30 on Nov 1 in Berlin: in the season
    (utc(2026, 10, 31, 22, 30), date(2026, 11, 30)),        # 23:30 on Oct 31 in Berlin: not yet
]


@pytest.mark.parametrize(("delivered", "due"), AMAZON_TABLE)
def test_amazon_30_days_with_holiday_extension(delivered: datetime, due: date) -> None:
    result = window(AMAZON_DE, delivered, BERLIN)
    assert (result.due_on, result.rule_id) == (due, "amazon.30day")


CN_TABLE = [
    (local(SHANGHAI, 2026, 11, 20, 10), date(2026, 11, 27)),
    (local(SHANGHAI, 2026, 11, 20, 23, 59), date(2026, 11, 27)),
    (utc(2026, 11, 20, 17, 0), date(2026, 11, 28)),   # 01:00 on the 21st in Shanghai
    (local(SHANGHAI, 2026, 9, 26, 10), date(2026, 10, 3)),  # National Day week: no roll-over in CN law
]


@pytest.mark.parametrize(("received", "due"), CN_TABLE)
def test_cn_7_days_from_signed_receipt(received: datetime, due: date) -> None:
    result = window(TAOBAO, received, SHANGHAI)
    assert (result.due_on, result.anchor, result.confidence) == (due, "receipt", Confidence.KNOWN)


@pytest.mark.parametrize("category", ["custom_made", "fresh", "digital_download", "opened_software",
                                      "opened_audio_visual", "newspaper"])
def test_cn_statutory_exclusions(category: str) -> None:
    subject = Subject(platform="taobao", region="cn", categories=(category,))
    result = return_window(Facts(subject, delivered_at=local(SHANGHAI, 2026, 11, 20, 10)), RULES, NOW, SHANGHAI)
    assert isinstance(result, NotReturnable)
    # also for a shop that is not a platform we know, by region alone
    result = return_window(Facts(Subject(platform="shop", region="cn", categories=(category,)),
                                 delivered_at=local(SHANGHAI, 2026, 11, 20, 10)), RULES, NOW, SHANGHAI)
    assert isinstance(result, NotReturnable) and result.rule_id == "cn.7day_no_reason.excluded"


def test_an_order_with_one_excluded_item_keeps_its_window() -> None:
    subject = Subject(platform="taobao", region="cn", categories=("custom_made", "clothing"))
    result = window(subject, local(SHANGHAI, 2026, 11, 20, 10), SHANGHAI)
    assert result.due_on == date(2026, 11, 27)


def test_unknown_delivery_is_assumed_from_the_order_date() -> None:
    facts = Facts(TAOBAO, order_date=local(SHANGHAI, 2026, 11, 10, 9))
    result = return_window(facts, RULES, local(SHANGHAI, 2026, 11, 11, 9), SHANGHAI)
    assert (result.anchor_on, result.due_on, result.confidence) == (date(2026, 11, 13), date(2026, 11, 20), Confidence.ASSUMED)


def test_a_parcel_still_in_transit_has_not_started_its_window() -> None:
    facts = Facts(TAOBAO, order_date=local(SHANGHAI, 2026, 11, 1, 9), outbound_in_transit=True)
    result = return_window(facts, RULES, local(SHANGHAI, 2026, 11, 20, 9), SHANGHAI)
    assert (result.anchor_on, result.due_on) == (date(2026, 11, 20), date(2026, 11, 27))


def test_no_dates_no_deadline() -> None:
    assert return_window(Facts(TAOBAO), RULES, NOW, SHANGHAI) is None


def test_days_left_day_zero_and_the_deadline_day() -> None:
    result = window(GERMANY, utc(2026, 3, 29, 22, 30), BERLIN)  # due Mon 2026-04-13
    assert days_left(result.due_on, utc(2026, 3, 29, 22, 30), BERLIN) == 14   # day 0: delivery day
    assert days_left(result.due_on, utc(2026, 4, 13, 21, 59), BERLIN) == 0    # 23:59 CEST on the last day
    assert days_left(result.due_on, utc(2026, 4, 13, 22, 0), BERLIN) == -1    # midnight: passed


REFUND_TABLE = [
    # subject, merchant received (local), tz, due, rule
    (TAOBAO, local(SHANGHAI, 2026, 11, 1, 10), SHANGHAI, date(2026, 11, 8), "cn.platform.refund_7d"),
    (Subject(platform="shop", region="cn"), local(SHANGHAI, 2026, 11, 1, 10), SHANGHAI, date(2026, 11, 8), "cn.refund_7d"),
    (GERMANY, local(BERLIN, 2026, 11, 2, 10), BERLIN, date(2026, 11, 16), "eu.refund_14d"),
    # business days: Thanksgiving (Thu) and the weekend do not count
    (Subject(platform="amazon", region="us"), local(NEW_YORK, 2026, 11, 25, 10), NEW_YORK, date(2026, 12, 1), "amazon.us.refund_3bd"),
    # Amazon.de is bound by EU law: 14 days from the withdrawal notice (art. 13(1))
    (AMAZON_DE, local(BERLIN, 2026, 12, 24, 10), BERLIN, date(2027, 1, 7), "eu.refund_14d"),
    (Subject(platform="shop", region="jp"), local(BERLIN, 2026, 11, 2, 10), BERLIN, date(2026, 11, 16), "default.refund_14d"),
]


@pytest.mark.parametrize(("subject", "received", "tz", "due", "rule_id"), REFUND_TABLE)
def test_refund_due_after_the_merchant_received_the_return(subject, received, tz, due, rule_id) -> None:
    result = refund_due(Facts(subject, merchant_received_at=received, requested_at=received), RULES, NOW, tz)
    assert (result.due_on, result.rule_id, result.confidence) == (due, rule_id, Confidence.KNOWN)


def test_refund_due_assumed_from_the_return_shipment() -> None:
    result = refund_due(Facts(TAOBAO, return_shipped_at=local(SHANGHAI, 2026, 11, 1, 10)), RULES, NOW, SHANGHAI)
    assert (result.anchor_on, result.due_on, result.confidence) == (date(2026, 11, 4), date(2026, 11, 11), Confidence.ASSUMED)
    assert refund_due(Facts(TAOBAO, requested_at=local(SHANGHAI, 2026, 11, 1, 10)), RULES, NOW, SHANGHAI) is None


def test_taobao_auto_refund_timer() -> None:
    facts = Facts(TAOBAO, requested_at=local(SHANGHAI, 2026, 11, 1, 10), return_shipped_at=local(SHANGHAI, 2026, 11, 2, 10))
    timer = deadline_for(DeadlineKind.AUTO_REFUND, facts, RULES, NOW, SHANGHAI)
    response = deadline_for(DeadlineKind.MERCHANT_RESPONSE, facts, RULES, NOW, SHANGHAI)
    assert (timer.due_on, timer.rule_id) == (date(2026, 11, 12), "taobao.auto_refund_10d")
    assert response.due_on == date(2026, 11, 6)
    assert deadline_for(DeadlineKind.AUTO_REFUND, Facts(AMAZON_DE, return_shipped_at=NOW), RULES, NOW, BERLIN) is None


def test_most_specific_rule_wins_and_user_rules_override(tmp_path) -> None:
    (tmp_path / "mine.toml").write_text(
        '[[return_window]]\nid = "amazon.30day"\nplatform = "amazon"\ndays = 60\nanchor = "delivery"\n'
        '[[return_window]]\nid = "kleiner-laden"\nmerchant = "Kleiner Laden"\ndays = 30\nanchor = "delivery"\n'
        '[[return_window]]\nid = "de.shoes"\nregion = "de"\ncategory = "shoes"\ndays = 100\nanchor = "delivery"\n',
        encoding="utf-8")
    overrides = {"return_window": [{"id": "amazon.30day", "platform": "amazon", "days": 45, "anchor": "delivery"}]}
    rules = load_rules([tmp_path], overrides)
    delivered = local(BERLIN, 2026, 6, 1, 12)

    def due(subject: Subject) -> tuple[date, str]:
        result = return_window(Facts(subject, delivered_at=delivered), rules, NOW, BERLIN)
        return result.due_on, result.rule_id

    assert due(AMAZON_DE) == (date(2026, 7, 16), "amazon.30day")  # the config's 45 beats the file's 60
    assert due(Subject(platform="otto", region="de", merchant="kleiner laden ", categories=("shoes",))) == (date(2026, 7, 1), "kleiner-laden")
    assert due(Subject(platform="otto", region="de", categories=("shoes",))) == (date(2026, 9, 9), "de.shoes")
    excluded = return_window(Facts(Subject(platform="otto", region="de", categories=("custom_made",)),
                                   delivered_at=delivered), rules, NOW, BERLIN)
    assert excluded == NotReturnable("eu.14day_withdrawal.excluded", excluded.note)
    assert due(Subject(platform="otto", region="de")) == (date(2026, 6, 15), "eu.14day_withdrawal")
    assert due(Subject(platform="otto", region="jp")) == (date(2026, 6, 15), "default")


@pytest.mark.parametrize(("text", "message"), [
    ('[[return_window]]\nid = "x"\nanchor = "delivery"\n', "'days'"),
    ('[[return_window]]\nid = "x"\ndays = 3\nanchor = "tomorrow"\n', "tomorrow"),
    ('[[return_window]]\nid = "x"\ndays = 3\nwindow = 4\n', "unknown key"),
    ('[[return_windows]]\nid = "x"\ndays = 3\n', "unknown table [return_windows]"),
    ('[[return_window]]\nid = "x"\ndays = 3\nholiday_extension = { delivered_from = "11-01" }\n', "holiday_extension"),
    ('[[return_window]]\ndays = 3\n', "needs an 'id'"),
])
def test_bad_rules_fail_with_a_clear_error(tmp_path, text: str, message: str) -> None:
    (tmp_path / "bad.toml").write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as excinfo:
        load_rules([tmp_path])
    assert message in str(excinfo.value) and "bad.toml" in str(excinfo.value)


def test_rules_from_the_config_file(tmp_path) -> None:
    from smartreturn.config import load_settings
    from smartreturn.rules.deadlines import RuleContext

    rules_dir = tmp_path / "rules"
    rules_dir.mkdir()
    (rules_dir / "shops.toml").write_text(
        '[[return_window]]\nid = "laden"\nmerchant = "Kleiner Laden"\ndays = 30\nanchor = "delivery"\n', encoding="utf-8")
    config = tmp_path / "config.toml"
    config.write_text(
        f'[general]\ntimezone = "Europe/Berlin"\n[rules]\nregion = "de"\nextra_rules_dir = "{rules_dir}"\n'
        '[[rules.overrides.return_window]]\nid = "amazon.30day"\nplatform = "amazon"\ndays = 40\nanchor = "delivery"\n',
        encoding="utf-8")
    ctx = RuleContext.from_settings(load_settings(config, env={}))
    assert ctx.tz == BERLIN and ctx.default_region == "de"
    delivered = local(BERLIN, 2026, 6, 1, 12)
    shop = return_window(Facts(Subject(platform="otto", region="de", merchant="Kleiner Laden"), delivered_at=delivered),
                         ctx.rules, NOW, ctx.tz)
    amazon = return_window(Facts(AMAZON_DE, delivered_at=delivered), ctx.rules, NOW, ctx.tz)
    assert (shop.rule_id, shop.due_on) == ("laden", date(2026, 7, 1))
    assert (amazon.rule_id, amazon.due_on) == ("amazon.30day", date(2026, 7, 11))


def test_a_stored_rule_id_can_be_explained() -> None:
    rule = RULES.by_id("refund_due", "cn.refund_7d")
    assert rule is not None and "第二十五条" in rule.source and rule.days == 7
    assert RULES.by_id("return_window", "cn.refund_7d") is None
