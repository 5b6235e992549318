"""Training progress and time left in words, calibrated from the steps measured so far.

The preset estimates on the Discover page come from benchmark timings (seconds per step on an idle
machine); under load a step can take twice as long. Once a run has reported a few steps, the time left
is the measured seconds per step times the steps left (capped by the time budget), plus the graph
refinement scaled by the same slowdown; after a run, that slowdown calibrates the next estimates.
No Streamlit here: the sidebar and the Discover page both read these words.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

MIN_MEASURED_STEPS = 20
"""Steps that must be measured (after the first report, which includes set-up) before calibrating."""


def step_reports(payloads: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """The training job's progress payloads that carry a step count, in order."""
    return [p for p in list(payloads) if "step" in p]


def measured_step_seconds(reports: Sequence[dict[str, Any]]) -> float | None:
    """Seconds per step measured between the first and the last training report (None: too few)."""
    training = [r for r in reports if r.get("phase", "training") == "training"]
    if len(training) < 2:
        return None
    first, last = training[0], training[-1]
    steps = last["step"] - first["step"]
    if steps < MIN_MEASURED_STEPS:
        return None
    return max(last["elapsed_s"] - first["elapsed_s"], 0.0) / steps


def slowdown(reports: Sequence[dict[str, Any]]) -> float | None:
    """Measured over predicted seconds per step (1: as benchmarked; 2: twice as slow), None if unknown."""
    measured = measured_step_seconds(reports)
    predicted = reports[-1].get("predicted_step_s") if reports else None
    if measured is None or not predicted:
        return None
    return measured / predicted


def seconds_left(reports: Sequence[dict[str, Any]]) -> float | None:
    """Calibrated seconds left (training plus the refinement that follows); None until measured."""
    if not reports:
        return None
    last = reports[-1]
    factor = slowdown(reports)
    if last.get("phase") == "refining":
        refine = float(last.get("refine_s") or 0.0) * (factor or 1.0)
        return max(refine - float(last.get("refine_elapsed_s") or 0.0), 0.0)
    rate = measured_step_seconds(reports)
    if rate is None:
        return None
    left = rate * max(int(last.get("max_steps", last["step"])) - last["step"], 0)
    left += float(last.get("refine_s") or 0.0) * (factor or 1.0)
    budget = last.get("max_seconds")  # training and the refinement after it share the time budget
    return min(left, max(float(budget) - last["elapsed_s"], 0.0)) if budget else left


def duration_words(seconds: float) -> str:
    """"about 40 s", "about 3 min"."""
    if seconds < 90:
        return f"about {max(round(seconds), 1):.0f} s"
    return f"about {seconds / 60:.0f} min"


def progress_words(payloads: Sequence[dict[str, Any]]) -> str:
    """One line for the sidebar and the page: "step 735 of 4,000 · about 40 s left" (never a bare %)."""
    reports = step_reports(payloads)
    if not reports:
        return "preparing the data and the model…"
    last = reports[-1]
    eta = seconds_left(reports)
    if last.get("phase") == "refining":
        left = "" if eta is None else f" · {duration_words(eta)} left"
        return f"checking the graph edge by edge{left}"
    total = last.get("max_steps")
    steps = f"step {last['step']:,}" + (f" of {int(total):,}" if total else "")
    return steps + (" · estimating the time left…" if eta is None else f" · {duration_words(eta)} left")
