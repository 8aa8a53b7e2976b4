"""The shipped rules of the Chinese platforms, China and AliExpress cite the page a reader can check (the law's
own entry, the platform's rule page), not a site's front page; the few platform timers no page could be found for
say so (basis policy, "approximate" in the note) instead of pretending."""

from __future__ import annotations

from datetime import date
from urllib.parse import urlsplit

from smartreturn.rules.policies import Basis, load_rules
from smartreturn.rules.region import CHINESE_PLATFORMS

WATCHED = CHINESE_PLATFORMS | {"aliexpress"}


def _watched(rule) -> bool:
    return bool(rule.platforms & WATCHED) or "cn" in rule.regions


def test_chinese_and_aliexpress_rules_cite_pages_not_site_roots() -> None:
    rules = [rule for rule in load_rules().rules if _watched(rule)]
    assert len(rules) >= 10
    roots = []
    for rule in rules:
        assert rule.source and rule.checked, rule.id
        assert date.fromisoformat(rule.checked) <= date(2026, 12, 6), rule.id
        url = urlsplit(rule.url)
        assert url.scheme == "https", rule.id
        if url.path in ("", "/"):
            roots.append(rule.id)
            assert rule.basis is Basis.POLICY and "approximate" in rule.note, rule.id  # said, not hidden
    # only the platform timers whose numbers no page states are left with a site root
    assert set(roots) <= {"taobao.ship_back_7d", "taobao.respond_5d", "pinduoduo.respond_2d", "taobao.auto_refund_10d"}


def test_the_statutory_chinese_rules_cite_the_law_database_entry() -> None:
    for rule in load_rules().rules:
        if _watched(rule) and rule.basis is Basis.LAW and "消费者权益保护法" in rule.source:
            assert rule.url.startswith("https://flk.npc.gov.cn/law-search/search/flfgDetails?bbbs="), rule.id
            assert "第二十五条" in rule.source, rule.id
