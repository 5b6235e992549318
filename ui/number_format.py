"""One way to write a number for people: in its variable's units, with thousands separators and a
sensible number of significant digits. Used by result sentences, the what-if, per-row tables and the
report. No Streamlit here.
"""

from __future__ import annotations

import math

SIGNIFICANT = 3


def format_number(value: float | int | None, unit: str | None = None, significant: int = SIGNIFICANT,
                  signed: bool = False, scale: float | None = None) -> str:
    """``value`` rounded to ``significant`` digits (never fewer than its integer part), e.g.
    10,020 USD, 463 kg, 0.0123, −36.1; ``signed`` puts a "+" before positive values. With ``scale``
    (e.g. the larger of an estimate and its standard error) the digits follow that magnitude instead,
    so an estimate and its interval bounds are rounded alike."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "unavailable"
    x = float(value)
    if math.isinf(x):
        return ("−" if x < 0 else "+" if signed else "") + "∞"
    if x == 0:
        text = "0"
    else:
        magnitude = abs(scale) if scale is not None and math.isfinite(scale) and scale > 0 else abs(x)
        digits = min(max(0, significant - 1 - math.floor(math.log10(magnitude))), 12)  # whole part kept
        rounded = round(x, digits)
        decimals = max(0, digits)
        text = f"{abs(rounded):,.{decimals}f}"
        if "." in text:
            text = text.rstrip("0").rstrip(".")
        if text == "0":
            x = 0.0
        elif x < 0:
            text = "−" + text
        elif signed:
            text = "+" + text
    return f"{text} {unit}" if unit else text


def format_interval(low: float | None, high: float | None, unit: str | None = None,
                    significant: int = SIGNIFICANT, what: str = "95% interval",
                    scale: float | None = None) -> str:
    """"95% interval 1,790 to 2,210 USD"; an interval that collapses to a point (or is missing) is
    said to be unavailable, with why, rather than shown as "x to x"."""
    if low is None or high is None or any(math.isnan(float(v)) for v in (low, high)):
        return f"{what} unavailable (not computed)"
    lo = format_number(low, None, significant, scale=scale)
    hi = format_number(high, None, significant, scale=scale)
    if lo == hi:
        point = format_number(low, unit, significant, scale=scale)
        return (f"{what} unavailable: every draw gave the same value ({point}), so this interval does not "
                "measure the uncertainty")
    return f"{what} {lo} to {hi}" + (f" {unit}" if unit else "")


def agreement(per_graph: list[float], significant: int = SIGNIFICANT,
              sampled: int | None = None) -> str | None:
    """"All 20 sampled graphs give the same effect" when they do (to the digits shown), else None.

    ``per_graph`` holds one effect per distinct graph; ``sampled`` is how many graphs were drawn
    (several draws may be the same graph), and is the count said when given."""
    count = max(len(per_graph), sampled or 0)
    if count < 2 or not per_graph:
        return None
    texts = {format_number(v, None, significant) for v in per_graph}
    return f"All {count} sampled graphs give the same effect." if len(texts) == 1 else None


def compare_estimates(deci: float, deci_se: float | None, other: float, other_se: float | None,
                      unit: str | None = None, other_name: str = "the linear regression") -> tuple[bool, str]:
    """Do two estimates agree? Their difference is judged against its own uncertainty
    (the standard error of the difference, √(se₁² + se₂²), treating them as independent), not by
    whether the two intervals overlap. Returns (agree, sentence); the page and the report both use it."""
    diff = float(deci) - float(other)
    ses = [s for s in (deci_se, other_se) if s is not None and math.isfinite(float(s))]
    se = math.sqrt(sum(float(s) ** 2 for s in ses)) if ses else float("nan")
    amount = format_number(abs(diff), unit)
    if not math.isfinite(se) or se == 0:
        return False, f"DECI and {other_name} differ by {amount}; that difference's uncertainty is unknown."
    margin = format_number(1.96 * se, unit)
    if abs(diff) <= 1.96 * se:
        return True, (f"DECI and {other_name} agree: they differ by {amount}, within that difference's own "
                      f"95% margin (±{margin}).")
    return False, (f"DECI and {other_name} disagree: they differ by {amount}, more than that difference's "
                   f"own 95% margin (±{margin}).")


LINEAR_CHECK = "the linear cross-check"


def crosscheck_verdict(deci: float, deci_se: float | None, linear: float, linear_se: float | None,
                       unit: str | None = None) -> str:
    """The sentence the Effects page and the report both show for the linear cross-check (a
    ``"percentage points"`` unit means the values are probabilities, shown ×100)."""
    scale = 100.0 if unit == "percentage points" else 1.0

    def scaled(x: float | None) -> float | None:
        return None if x is None else float(x) * scale

    return compare_estimates(scaled(deci), scaled(deci_se), scaled(linear), scaled(linear_se), unit or None,
                             other_name=LINEAR_CHECK)[1]
