"""EMS and China Post (中国邮政): 【EMS】/【中国邮政】 SMS and mails from ems.com.cn / chinapost.com.cn.

EMS notices get carrier ``ems``, other 邮政 notices ``china_post``.

The SMS patterns and the shared extraction live in :mod:`smartreturn.parsers.courier_cn`.
"""

from __future__ import annotations

from typing import ClassVar

from smartreturn.parsers.courier_cn import CourierParser


class EmsParser(CourierParser):
    name: ClassVar[str] = "ems"
    version: ClassVar[int] = 2
    fallback: ClassVar[bool] = False
    senders: ClassVar[tuple[str, ...]] = ("@ems.com.cn", "@11183.com.cn", "@chinapost.com.cn")
