"""The number formatter over a table of values."""

from __future__ import annotations

import math

import pytest

from ui.number_format import agreement, compare_estimates, format_interval, format_number


@pytest.mark.parametrize(
    ("value", "unit", "kwargs", "expected"),
    [
        (10017.6, "USD", {}, "10,018 USD"),
        (1.002e4, None, {}, "10,020"),
        (463.1738, "kg", {}, "463 kg"),
        (-36.04, None, {}, "−36"),
        (1794.4, "USD", {"signed": True}, "+1,794 USD"),
        (0.012345, None, {}, "0.0123"),
        (0.5, None, {}, "0.5"),
        (2.0, None, {"signed": True}, "+2"),
        (0, "kg", {}, "0 kg"),
        (1234567.0, None, {}, "1,234,567"),
        (-0.0004, None, {"significant": 2}, "−0.0004"),
        (float("nan"), "USD", {}, "unavailable"),
        (None, None, {}, "unavailable"),
        (math.inf, None, {}, "∞"),
    ],
)
def test_format_number(value, unit, kwargs, expected):
    assert format_number(value, unit, **kwargs) == expected


def test_intervals_and_points():
    assert format_interval(1790.2, 2210.9, "USD") == "95% interval 1,790 to 2,211 USD"
    point = format_interval(10017.6, 10017.6, "USD")
    assert point.startswith("95% interval unavailable") and "same value (10,018 USD)" in point
    assert "unavailable" in format_interval(None, 3.0)


def test_agreement_across_graphs():
    assert agreement([10017.6] * 20) == "All 20 sampled graphs give the same effect."
    assert agreement([1.0, 1.5]) is None and agreement([3.0]) is None


def test_cross_check_judges_the_difference_against_its_own_uncertainty():
    # the case: −36 against +1,794 with wide intervals that overlap, yet a clear difference
    agree, text = compare_estimates(-36.0, 400.0, 1794.0, 640.0, "USD")
    assert agree is False and "differ by 1,830 USD" in text and "±1,479 USD" in text
    agree, text = compare_estimates(2.02, 0.05, 1.98, 0.04)
    assert agree is True and text.startswith("DECI and the linear regression agree")
    assert compare_estimates(1.0, None, 2.0, None)[0] is False


@pytest.mark.parametrize(
    ("value", "scale", "expected"),
    [(0.43217, 0.43217, "0.432"), (0.3341, 0.43217, "0.334"), (12.0, 1794.0, "12"), (1794.4, 640.0, "1,794")],
)
def test_digits_follow_a_shared_scale(value, scale, expected):
    assert format_number(value, scale=scale) == expected


def test_agreement_counts_the_sampled_graphs_not_the_distinct_ones():
    assert agreement([2.5], sampled=20) == "All 20 sampled graphs give the same effect."
    assert agreement([2.5], sampled=1) is None


def test_effect_sentence_in_units():
    from deci_core.effects import EffectEstimate, EffectQuery
    from ui.effect_words import effect_sentence, value_words
    from ui.effects_session import what_if_default

    q = EffectQuery("treat", "re78", treatment_value=1, control_value=0)
    est = EffectEstimate(q, 1794.4, 40_000.0, 100.0, 60_000.0, (1700.0, 1900.0), (0.5, 0.5), 20, 4000, 0)
    text = effect_sentence(est, {"re78": "USD"})
    assert text.startswith("Raising treat from 0 to 1 changes re78 by +1,794 USD (95% interval ")
    assert text.endswith(" USD).") and "e+" not in text
    assert value_words(12.5, "kg") == "12.5 kg" and value_words("yes") == "yes"
    assert what_if_default(1, 1, 0) == 0 and what_if_default(0, 1, 0) == 1  # never the row's own value
    assert what_if_default("a", "a", "b") == "b" and what_if_default(0.9, 1.0, 0.0) == 0.0
