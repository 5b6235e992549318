"""Time left from the measured steps: a table of progress reports and the words they give."""

from __future__ import annotations

import pytest

from ui.progress_words import duration_words, progress_words, seconds_left, slowdown


def reports(steps, seconds_per_step, setup_s=3.0, max_steps=4000, max_seconds=600.0, refine_s=10.0):
    """Progress payloads as the training worker writes them (predicted 0.01 s per step)."""
    return [dict(step=s, max_steps=max_steps, max_seconds=max_seconds, phase="training",
                 predicted_step_s=0.01, refine_s=refine_s, refine_elapsed_s=0.0,
                 elapsed_s=setup_s + s * seconds_per_step, eta_s=0.0) for s in steps]


@pytest.mark.parametrize(
    ("steps", "per_step", "expected_left", "expected_slowdown"),
    [
        ([5, 735], 0.02, 0.02 * 3265 + 10 * 2.0, 2.0),  # twice as slow as benchmarked, refinement too
        ([5, 100, 400], 0.01, 0.01 * 3600 + 10.0, 1.0),  # as benchmarked
        ([5, 10], 0.01, None, None),  # too few steps measured yet: no number rather than a wrong one
    ],
)
def test_time_left_is_calibrated_from_the_measured_steps(steps, per_step, expected_left, expected_slowdown):
    r = reports(steps, per_step)
    left = seconds_left(r)
    assert left == pytest.approx(expected_left) if expected_left is not None else left is None
    assert slowdown(r) == pytest.approx(expected_slowdown) if expected_slowdown else slowdown(r) is None


def test_the_time_budget_caps_the_time_left():
    r = reports([5, 735], 0.5, max_seconds=400.0)  # 3 + 367.5 s elapsed: 29.5 s of the budget left
    assert seconds_left(r) == pytest.approx(29.5)


def test_words_name_the_step_never_a_bare_percentage():
    text = progress_words(reports([5, 735], 0.02))
    assert text == "step 735 of 4,000 · about 85 s left" and "%" not in text
    assert progress_words(reports([5], 0.02)) == "step 5 of 4,000 · estimating the time left…"
    assert progress_words([]) == "preparing the data and the model…"
    last = dict(reports([735], 0.02)[0], phase="refining", refine_elapsed_s=5.0)
    refining = reports([5, 735], 0.02) + [last]
    assert progress_words(refining) == "checking the graph edge by edge · about 15 s left"
    assert duration_words(41) == "about 41 s" and duration_words(300) == "about 5 min"
