"""Priority: ordering and explanations."""

from __future__ import annotations

from decimal import Decimal

import pytest

from smartreturn.config import Settings
from smartreturn.model import Money
from smartreturn.rules.priority import PriorityInput, Weights, score, unreliability, urgency_factor, value_factor

EUR = lambda amount: Money(Decimal(amount), "EUR")  # noqa: E731


def test_factors_explain_the_score() -> None:
    total, factors = score(PriorityInput(days_left=1, amount=EUR("80"), reason="defective"))
    assert [name for name, _ in factors] == ["urgency", "value", "reason_severity", "merchant_reliability", "user_preference"]
    assert total == pytest.approx(sum(value for _, value in factors), abs=1e-3)


def test_ordering() -> None:
    cases = {
        "overdue defective laptop": PriorityInput(days_left=-3, amount=EUR("1200"), reason="defective"),
        "window tomorrow, shirt": PriorityInput(days_left=1, amount=EUR("30"), reason="size_fit"),
        "window in 10 days, shirt": PriorityInput(days_left=10, amount=EUR("30"), reason="size_fit"),
        "window in 10 days, tv": PriorityInput(days_left=10, amount=EUR("900"), reason="size_fit"),
        "no deadline, socks, changed mind": PriorityInput(amount=EUR("8"), reason="changed_mind"),
    }
    ranked = sorted(cases, key=lambda name: -score(cases[name])[0])
    assert ranked == ["overdue defective laptop", "window tomorrow, shirt", "window in 10 days, tv",
                      "window in 10 days, shirt", "no deadline, socks, changed mind"]


def test_an_unreliable_merchant_and_a_preferred_one_rank_higher() -> None:
    base = PriorityInput(days_left=5, amount=EUR("50"), merchant="Slow GmbH", platform="otto")
    late = PriorityInput(days_left=5, amount=EUR("50"), merchant="Slow GmbH", platform="otto", late_refunds=4, refunds=5)
    assert score(late)[0] > score(base)[0]
    weights = Weights(prefer={"otto": 1.0})
    assert score(base, weights)[0] > score(base)[0]


@pytest.mark.parametrize(("days", "expected"), [(-5, 1.0), (0, 1.0), (1, 2 / 3), (3, 0.4), (None, 0.0)])
def test_urgency_boundaries(days, expected) -> None:
    assert urgency_factor(days) == pytest.approx(expected)


def test_value_is_scaled_per_currency() -> None:
    assert value_factor(Money(Decimal("1500"), "CNY")) == pytest.approx(value_factor(EUR("200")))
    assert value_factor(EUR("5000")) == 1.0
    assert value_factor(None) == 0.0


def test_merchant_without_history_is_neutral() -> None:
    assert unreliability(0, 0) == pytest.approx(0.2)
    assert unreliability(10, 10) > 0.8


def test_weights_from_the_config() -> None:
    settings = Settings.model_validate({"priority": {"urgency": 0.0, "value": 1.0, "reason_severity": 0.0,
                                                     "merchant_reliability": 0.0, "user_preference": 0.0}})
    weights = Weights.from_settings(settings)
    cheap_urgent = PriorityInput(days_left=0, amount=EUR("10"))
    dear_later = PriorityInput(days_left=20, amount=EUR("500"))
    assert score(dear_later, weights)[0] > score(cheap_urgent, weights)[0]
    assert score(dear_later)[0] < score(cheap_urgent)[0]  # the default weights favour urgency
