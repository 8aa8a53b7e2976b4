"""J&T Express (极兔速递): 【极兔速递】 SMS (派送, 待取件 with 取件码, 签收) and mails from jtexpress.com.cn.

J&T took over 百世快递 (Best Express) in China; its waybills are ``JT`` + 13 digits.

The SMS patterns and the shared extraction live in :mod:`smartreturn.parsers.courier_cn`.
"""

from __future__ import annotations

from typing import ClassVar

from smartreturn.parsers.courier_cn import CourierParser


class JtParser(CourierParser):
    name: ClassVar[str] = "jt"
    version: ClassVar[int] = 1
    fallback: ClassVar[bool] = False
    senders: ClassVar[tuple[str, ...]] = ("@jtexpress.com.cn", "@jtexpress.cn")
