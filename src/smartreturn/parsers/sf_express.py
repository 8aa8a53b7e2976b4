"""SF Express (顺丰速运): 【顺丰速运】 SMS and mails from sf-express.com.

The SMS patterns and the shared extraction live in :mod:`smartreturn.parsers.courier_cn`.
"""

from __future__ import annotations

from typing import ClassVar

from smartreturn.parsers.courier_cn import CourierParser


class SfExpressParser(CourierParser):
    name: ClassVar[str] = "sf_express"
    version: ClassVar[int] = 2
    fallback: ClassVar[bool] = False
    senders: ClassVar[tuple[str, ...]] = ("@sf-express.com", "@sf-express.com.cn")
