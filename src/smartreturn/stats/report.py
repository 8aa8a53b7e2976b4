"""Statistics over orders and returns: by reason, merchant, platform, category and month.

Aggregates run in SQL (GROUP BY) so that 100,000 orders stay fast; only refund latencies, which need
medians, are fetched row by row. Money is kept per currency: amounts in different currencies are
never added up unless the user configured a rate table (``stats.exchange_rates``).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from statistics import median, quantiles
from typing import Any

from sqlalchemy import case, func, literal, select
from sqlalchemy.orm import Session

from smartreturn.config import StatsSettings
from smartreturn.stats.reasons import label
from smartreturn.store.tables import Merchant, Order, ReturnCase

Row = dict[str, Any]
ZERO = Decimal("0.00")


@dataclass(frozen=True, slots=True)
class Stats:
    since: datetime | None
    reasons: list[Row] = field(default_factory=list)
    merchants: list[Row] = field(default_factory=list)
    platforms: list[Row] = field(default_factory=list)
    categories: list[Row] = field(default_factory=list)
    months: list[Row] = field(default_factory=list)
    money: list[Row] = field(default_factory=list)   # one row per currency (+ a converted total row)

    def tables(self) -> dict[str, list[Row]]:
        return {"reasons": self.reasons, "merchants": self.merchants, "platforms": self.platforms,
                "categories": self.categories, "months": self.months, "money": self.money}


def _dec(value: Any) -> Decimal:
    return ZERO if value is None else Decimal(value).quantize(ZERO)


def _days(start: datetime | None, end: datetime | None) -> float | None:
    if start is None or end is None:
        return None
    return round((end - start).total_seconds() / 86400, 2)


def compute_stats(session: Session, *, since: datetime | None = None, language: str = "en",
                  settings: StatsSettings | None = None) -> Stats:
    case_filter = [ReturnCase.requested_at >= since] if since else []
    order_filter = [Order.order_date >= since] if since else []
    merchant_name = func.coalesce(Merchant.name, literal("(unknown)"))

    reasons = []
    reason_col = func.coalesce(ReturnCase.reason_category, literal("other"))
    for category, count, refunded, currency in session.execute(
            select(reason_col, func.count(ReturnCase.id), func.sum(ReturnCase.refunded_amount), ReturnCase.currency)
            .where(*case_filter).group_by(reason_col, ReturnCase.currency)):
        reasons.append({"reason": category, "label": label(category, language), "returns": count,
                        "refunded": _dec(refunded), "currency": currency})
    reasons = _merge_counts(reasons, key="reason", count="returns")

    orders_per_merchant = dict(session.execute(
        select(merchant_name, func.count(Order.id)).outerjoin(Merchant, Order.merchant_id == Merchant.id)
        .where(*order_filter).group_by(merchant_name)).all())
    returns_per_merchant: dict[str, int] = defaultdict(int)
    platform_of: dict[str, str] = {}
    for name, platform, count in session.execute(
            select(merchant_name, Order.platform, func.count(ReturnCase.id)).join(Order, ReturnCase.order_id == Order.id)
            .outerjoin(Merchant, Order.merchant_id == Merchant.id).where(*case_filter).group_by(merchant_name, Order.platform)):
        returns_per_merchant[name] += count
        platform_of.setdefault(name, platform)
    latencies: dict[str, list[float]] = defaultdict(list)
    for name, received, shipped, requested, refunded in session.execute(
            select(merchant_name, ReturnCase.received_at, ReturnCase.shipped_at, ReturnCase.requested_at, ReturnCase.refunded_at)
            .join(Order, ReturnCase.order_id == Order.id).outerjoin(Merchant, Order.merchant_id == Merchant.id)
            .where(ReturnCase.refunded_at.is_not(None), *case_filter)):
        days = _days(received or shipped or requested, refunded)
        if days is not None and days >= 0:
            latencies[name].append(days)
    merchants = []
    for name in sorted(set(orders_per_merchant) | set(returns_per_merchant)):
        orders, returns = orders_per_merchant.get(name, 0), returns_per_merchant.get(name, 0)
        lat = latencies.get(name, [])
        merchants.append({"merchant": name, "orders": orders, "returns": returns,
                          "return_rate": round(returns / orders, 3) if orders else None,
                          "refunds": len(lat), "refund_days_median": round(median(lat), 1) if lat else None,
                          "refund_days_p90": round(_p90(lat), 1) if lat else None})
    merchants.sort(key=lambda r: (-r["returns"], r["merchant"]))

    orders_per_platform = dict(session.execute(
        select(Order.platform, func.count(Order.id)).where(*order_filter).group_by(Order.platform)).all())
    platforms = []
    for platform, returns, refunded_cases in session.execute(
            select(Order.platform, func.count(ReturnCase.id), func.count(ReturnCase.refunded_at))
            .join(Order, ReturnCase.order_id == Order.id).where(*case_filter).group_by(Order.platform)):
        orders = orders_per_platform.pop(platform, 0)
        platforms.append({"platform": platform, "orders": orders, "returns": returns, "refunded": refunded_cases,
                          "return_rate": round(returns / orders, 3) if orders else None})
    platforms += [{"platform": p, "orders": n, "returns": 0, "refunded": 0, "return_rate": 0.0}
                  for p, n in orders_per_platform.items()]
    platforms.sort(key=lambda r: (-r["returns"], r["platform"]))

    category_col = func.coalesce(Order.category, literal("(uncategorised)"))
    categories = [{"category": c, "returns": n} for c, n in session.execute(
        select(category_col, func.count(ReturnCase.id)).join(Order, ReturnCase.order_id == Order.id)
        .where(*case_filter).group_by(category_col).order_by(func.count(ReturnCase.id).desc()))]

    months = _months(session, case_filter)
    money = _money(session, case_filter, settings)
    return Stats(since, reasons, merchants, platforms, categories, months, money)


def _merge_counts(rows: list[Row], *, key: str, count: str) -> list[Row]:
    """One row per key; refunded money stays per currency in 'refunded_by_currency'."""
    merged: dict[str, Row] = {}
    for row in rows:
        target = merged.setdefault(row[key], {key: row[key], "label": row["label"], count: 0, "refunded_by_currency": {}})
        target[count] += row[count]
        if row["currency"] and row["refunded"]:
            per = target["refunded_by_currency"]
            per[row["currency"]] = per.get(row["currency"], ZERO) + row["refunded"]
    out = list(merged.values())
    for row in out:
        row["refunded"] = ", ".join(f"{v} {c}" for c, v in sorted(row.pop("refunded_by_currency").items()))
    return sorted(out, key=lambda r: (-r[count], r[key]))


def _p90(values: list[float]) -> float:
    if len(values) == 1:
        return values[0]
    return quantiles(values, n=10, method="inclusive")[-1]


def _months(session: Session, case_filter: list) -> list[Row]:
    requested: dict[str, int] = defaultdict(int)
    refunded: dict[tuple[str, str], Decimal] = defaultdict(lambda: ZERO)
    refund_count: dict[str, int] = defaultdict(int)
    for requested_at, refunded_at, amount, currency in session.execute(
            select(ReturnCase.requested_at, ReturnCase.refunded_at, ReturnCase.refunded_amount, ReturnCase.currency)
            .where(*case_filter)):
        if requested_at is not None:
            requested[requested_at.strftime("%Y-%m")] += 1
        if refunded_at is not None:
            month = refunded_at.strftime("%Y-%m")
            refund_count[month] += 1
            refunded[(month, currency or "")] += _dec(amount)
    rows = []
    for month in sorted(set(requested) | set(refund_count)):
        money = ", ".join(f"{v} {c}" for (m, c), v in sorted(refunded.items()) if m == month and v)
        rows.append({"month": month, "returns": requested.get(month, 0), "refunds": refund_count.get(month, 0),
                     "refunded": money})
    return rows


def _money(session: Session, case_filter: list, settings: StatsSettings | None) -> list[Row]:
    """Per currency: what the returned orders cost, what is expected back, refunded, pending, and the cost
    of returning (return shipping + the shortfall of closed cases: expected but never refunded)."""
    open_case = case(((ReturnCase.closed_at.is_(None)), 1), else_=0)
    rows = []
    for currency, paid, expected, refunded, shipping, restocking, pending, cases in session.execute(
            select(ReturnCase.currency, func.sum(Order.total), func.sum(ReturnCase.expected_refund),
                   func.sum(ReturnCase.refunded_amount), func.sum(ReturnCase.return_shipping_cost),
                   func.sum(ReturnCase.restocking_fee),
                   func.sum(case((open_case == 1, func.coalesce(ReturnCase.expected_refund, 0)
                                  - func.coalesce(ReturnCase.refunded_amount, 0)), else_=0)),
                   func.count(ReturnCase.id))
            .join(Order, ReturnCase.order_id == Order.id).where(*case_filter).group_by(ReturnCase.currency)):
        # what closed cases did not get back (restocking fees deducted, partial refunds...)
        shortfall = max(ZERO, _dec(expected) - _dec(refunded) - _dec(pending))
        rows.append({"currency": currency or "?", "returns": cases, "paid": _dec(paid), "refund_expected": _dec(expected),
                     "refunded": _dec(refunded), "pending": _dec(pending), "return_shipping": _dec(shipping),
                     "restocking_fees": _dec(restocking),
                     "shortfall": shortfall, "cost_of_returns": _dec(shipping) + shortfall})
    rows.sort(key=lambda r: r["currency"])
    if settings and settings.base_currency and rows:
        converted = _convert(rows, settings)
        if converted:
            rows.append(converted)
    return rows


def _convert(rows: list[Row], settings: StatsSettings) -> Row | None:
    base = settings.base_currency.upper()
    rates = {k.upper(): Decimal(str(v)) for k, v in settings.exchange_rates.items()}
    rates[base] = Decimal(1)
    if any(r["currency"] not in rates for r in rows):
        return None  # no invented exchange rates: without a rate for every currency, no total
    total: Row = {"currency": f"{base} (converted)", "returns": sum(r["returns"] for r in rows)}
    for key in ("paid", "refund_expected", "refunded", "pending", "return_shipping", "restocking_fees", "shortfall",
                "cost_of_returns"):
        total[key] = sum((r[key] * rates[r["currency"]] for r in rows), ZERO).quantize(ZERO)
    return total


__all__ = ["Stats", "compute_stats"]
