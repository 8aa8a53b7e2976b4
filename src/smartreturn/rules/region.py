"""Which consumer-law region an order falls under, from what the mails tell (platform, shop, currency).

Used when a parser gives no region; the rules then pick CN / EU / UK / US windows. ``None`` means
unknown: the user's ``rules.region`` applies.
"""

from __future__ import annotations

CHINESE_PLATFORMS = frozenset({"jd", "taobao", "tmall", "pinduoduo", "douyin", "vipshop"})
TLD_REGION = {".co.uk": "uk", ".uk": "uk", ".de": "de", ".fr": "fr", ".it": "it", ".es": "es", ".nl": "nl",
              ".be": "be", ".at": "at", ".pl": "pl", ".se": "se", ".ie": "ie", ".com.be": "be", ".cn": "cn",
              ".dk": "dk", ".ch": "ch", ".no": "no", ".cz": "cz", ".hu": "hu", ".pt": "pt", ".fi": "fi", ".com": "us", ".ca": "ca", ".com.au": "au", ".co.jp": "jp"}
CURRENCY_REGION = {"EUR": "eu", "GBP": "uk", "CNY": "cn", "RMB": "cn", "USD": "us", "CAD": "ca", "AUD": "au",
                   "JPY": "jp", "PLN": "pl", "SEK": "se", "DKK": "dk", "CHF": "ch", "NOK": "no", "CZK": "cz",
                   "HUF": "hu", "RON": "ro", "BGN": "bg", "ISK": "is"}


def infer_region(platform: str, merchant: str | None, currency: str | None) -> str | None:
    if platform in CHINESE_PLATFORMS:
        return "cn"
    name = (merchant or "").lower().strip()
    for tld in sorted(TLD_REGION, key=len, reverse=True):  # ".co.uk" before ".uk"
        if name.endswith(tld) and len(name) > len(tld) and " " not in name:  # "Amazon.de", not prose
            return TLD_REGION[tld]
    return CURRENCY_REGION.get((currency or "").upper())
