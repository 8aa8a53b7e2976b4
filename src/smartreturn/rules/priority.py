"""Priority: a weighted sum of factors in [0, 1], kept apart so the CLI can explain the score.

Factors: time urgency (days left), value (amount against a per-currency scale), reason severity
(a defect matters more than a change of mind), merchant unreliability (share of late refunds in the
user's own history, shrunk towards a prior when the history is short), user preference (config).
Weights come from the config's ``[priority]`` section.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from smartreturn.model import Money, ReasonCategory

# Amount at which the value factor reaches 1, per currency (roughly the same purchasing weight).
VALUE_SCALE: dict[str, Decimal] = {
    "EUR": Decimal(200), "USD": Decimal(200), "GBP": Decimal(170), "CHF": Decimal(200), "CNY": Decimal(1500),
    "JPY": Decimal(30000), "HKD": Decimal(1500), "CAD": Decimal(270), "AUD": Decimal(300), "PLN": Decimal(850),
    "SEK": Decimal(2200), "DKK": Decimal(1500),
}
DEFAULT_VALUE_SCALE = Decimal(200)

REASON_SEVERITY: dict[ReasonCategory, float] = {
    ReasonCategory.DEFECTIVE: 1.0,
    ReasonCategory.WRONG_ITEM: 0.9,
    ReasonCategory.NOT_AS_DESCRIBED: 0.8,
    ReasonCategory.MISSING_PARTS: 0.8,
    ReasonCategory.QUALITY: 0.6,
    ReasonCategory.ARRIVED_LATE: 0.5,
    ReasonCategory.OTHER: 0.5,
    ReasonCategory.SIZE_FIT: 0.4,
    ReasonCategory.CHANGED_MIND: 0.3,
    ReasonCategory.BETTER_PRICE: 0.3,
}
UNKNOWN_REASON = 0.5

# Merchant reliability: share of late refunds, shrunk towards PRIOR_LATE with PRIOR_WEIGHT cases.
PRIOR_LATE = 0.2
PRIOR_WEIGHT = 2.0


@dataclass(frozen=True, slots=True)
class Weights:
    urgency: float = 0.4
    value: float = 0.25
    reason_severity: float = 0.15
    merchant_reliability: float = 0.15
    user_preference: float = 0.05
    prefer: Mapping[str, float] = field(default_factory=dict)  # merchant/platform (lower case) -> 0..1

    @classmethod
    def from_settings(cls, settings: Any) -> "Weights":
        p = settings.priority
        return cls(p.urgency, p.value, p.reason_severity, p.merchant_reliability, p.user_preference,
                   {k.strip().lower(): float(v) for k, v in p.prefer.items()})


@dataclass(frozen=True, slots=True)
class PriorityInput:
    days_left: int | None = None        # negative: overdue; None: no deadline
    amount: Money | None = None
    reason: ReasonCategory | str | None = None
    late_refunds: int = 0               # the merchant's history
    refunds: int = 0
    merchant: str | None = None
    platform: str | None = None


def urgency_factor(days_left: int | None) -> float:
    """1 when due today or overdue, 2/3 tomorrow, 0.4 in three days, ~0.2 in a week, 0 without a deadline."""
    if days_left is None:
        return 0.0
    if days_left <= 0:
        return 1.0
    return 1.0 / (1.0 + days_left / 2.0)


def value_factor(amount: Money | None) -> float:
    if amount is None or amount.amount <= 0:
        return 0.0
    scale = VALUE_SCALE.get(amount.currency, DEFAULT_VALUE_SCALE)
    return min(1.0, math.log1p(float(amount.amount)) / math.log1p(float(scale)))


def reason_factor(reason: ReasonCategory | str | None) -> float:
    if reason is None:
        return UNKNOWN_REASON
    try:
        return REASON_SEVERITY[ReasonCategory(reason)]
    except ValueError:
        return UNKNOWN_REASON


def unreliability(late_refunds: int, refunds: int) -> float:
    """Smoothed share of late refunds: 0.2 for a merchant without history."""
    return (late_refunds + PRIOR_LATE * PRIOR_WEIGHT) / (refunds + PRIOR_WEIGHT)


def preference_factor(weights: Weights, merchant: str | None, platform: str | None) -> float:
    for name in (merchant, platform):
        if name and name.strip().lower() in weights.prefer:
            return max(0.0, min(1.0, weights.prefer[name.strip().lower()]))
    return 0.0


def score(item: PriorityInput, weights: Weights = Weights()) -> tuple[float, tuple[tuple[str, float], ...]]:
    """(score, ((factor, weighted contribution), ...)); the contributions add up to the score."""
    parts = (
        ("urgency", weights.urgency * urgency_factor(item.days_left)),
        ("value", weights.value * value_factor(item.amount)),
        ("reason_severity", weights.reason_severity * reason_factor(item.reason)),
        ("merchant_reliability", weights.merchant_reliability * unreliability(item.late_refunds, item.refunds)),
        ("user_preference", weights.user_preference * preference_factor(weights, item.merchant, item.platform)),
    )
    factors = tuple((name, round(value, 4)) for name, value in parts)
    return round(sum(value for _, value in factors), 4), factors
