"""JD Logistics (京东物流): 【京东物流】/【京东快递】 SMS and mails from jdl.com.

JD.com's own order mails and 【京东】 order SMS belong to the ``jd`` platform parser.

The SMS patterns and the shared extraction live in :mod:`smartreturn.parsers.courier_cn`.
"""

from __future__ import annotations

from typing import ClassVar

from smartreturn.parsers.courier_cn import CourierParser


class JdLogisticsParser(CourierParser):
    name: ClassVar[str] = "jd_logistics"
    version: ClassVar[int] = 2
    fallback: ClassVar[bool] = False
    senders: ClassVar[tuple[str, ...]] = ("@jdl.com", "@jdl.cn")
