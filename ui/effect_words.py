"""Effect estimates in words and numbers, in the variables' units ("+1,794 USD").

The engine's :meth:`EffectEstimate.sentence` knows no units (a display matter, set on the Data page);
these functions say the same things through :mod:`ui.number_format`, so the Effects page, the report
items and the report read alike. ``units`` maps a variable to its unit (``TableSchema.units``).
No Streamlit here.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from deci_core.effects import EffectEstimate
from deci_core.effects.estimate import RARE_PATH
from ui.number_format import format_interval, format_number

PERCENTAGE_POINTS = "percentage points"
POPULATION = {"ate": "", "att": " among the treated", "atc": " among the controls"}


def effect_unit(est: EffectEstimate, units: Mapping[str, str]) -> tuple[float, str]:
    """(scale, unit) of the effect: the outcome's unit, or ×100 percentage points for a discrete outcome."""
    if est.outcome_discrete:
        return 100.0, PERCENTAGE_POINTS
    return 1.0, units.get(est.query.outcome, "")


def value_words(value: Any, unit: str = "") -> str:
    """A treatment value or level as a user reads it: numbers with separators (and the unit)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return str(value)
    return format_number(value, unit or None, significant=4)


def amounts(est: EffectEstimate, units: Mapping[str, str]) -> dict[str, str]:
    """The estimate and its interval as text, rounded alike: ``value`` ("+1,794 USD") and ``interval``."""
    scale, unit = effect_unit(est, units)
    magnitude = max(abs(est.value), est.std_error) * scale
    low, high = est.interval_95
    return {
        "value": format_number(est.value * scale, unit or None, signed=True, scale=magnitude),
        "interval": format_interval(low * scale, high * scale, unit or None, scale=magnitude),
    }


def effect_sentence(est: EffectEstimate, units: Mapping[str, str]) -> str:
    """The result in plain words with units, e.g. "Raising price from 5 USD to 15 USD changes revenue
    by +1,240 USD (95% interval 1,010 to 1,470 USD)." Same cases as the engine's sentence."""
    q = est.query
    t_unit = units.get(q.treatment, "")
    a, b = value_words(q.treatment_value, t_unit), value_words(q.control_value, t_unit)
    where = _where(q.conditioning, units) + POPULATION[q.estimand]
    if est.no_path:
        return (
            f"In every graph considered, {q.treatment} has no directed path to {q.outcome}, so setting it "
            f"to {a} instead of {b} does not change {q.outcome}{where}: the effect is exactly 0 under this "
            f"graph posterior (0 of {est.num_graphs} graphs drawn have a path). If you know {q.treatment} "
            f"affects {q.outcome}, add the edge as a constraint and refit."
        )
    scale, unit = effect_unit(est, units)
    target = q.outcome
    if est.outcome_discrete:
        target = f"the probability that {q.outcome} = {value_words(q.outcome_level)}"
    action = _action(q.treatment, q.treatment_value, q.control_value, a, b)
    if est.path_probability < RARE_PATH:
        given, (glow, ghigh) = est.effect_given_path, est.interval_given_path()
        magnitude = max(abs(given), est.std_error_given_path) * scale if math.isfinite(given) else None
        average = format_number(est.value * scale, unit or None, signed=True, scale=magnitude)
        return (
            f"Only {est.path_probability:.0%} of the graphs drawn have a directed path from {q.treatment} "
            f"to {q.outcome}: the data give little support for any effect of {q.treatment} on {q.outcome}, "
            f"so the posterior average ({average}) is close to 0 because of the graph, not because of a "
            f"measured null. If such a path exists, {action[0].lower() + action[1:]} changes {target} by "
            f"{format_number(given * scale, unit or None, signed=True, scale=magnitude)}{where} "
            f"({format_interval(glow * scale, ghigh * scale, unit or None, scale=magnitude)})."
        )
    text = amounts(est, units)
    sentence = f"{action} changes {target} by {text['value']}{where} ({text['interval']})."
    if est.path_probability < 1.0:
        magnitude = max(abs(est.value), est.std_error) * scale
        given = format_number(est.effect_given_path * scale, unit or None, signed=True, scale=magnitude)
        sentence += (
            f" A directed path {q.treatment} → {q.outcome} has posterior probability "
            f"{est.path_probability:.0%}; given one, the effect is {given}."
        )
    return sentence


def _action(treatment: str, a: Any, b: Any, a_text: str, b_text: str) -> str:
    try:
        verb = "Raising" if float(a) > float(b) else "Lowering"
        return f"{verb} {treatment} from {b_text} to {a_text}"
    except (TypeError, ValueError):
        return f"Setting {treatment} to {a_text} instead of {b_text}"


def _where(conditioning: Mapping[str, Any], units: Mapping[str, str]) -> str:
    parts = []
    for name, v in (conditioning or {}).items():
        unit = units.get(name, "")
        if isinstance(v, list | tuple) and len(v) == 2 and all(isinstance(x, int | float) for x in v):
            parts.append(f"{name} between {value_words(v[0], unit)} and {value_words(v[1], unit)}")
        elif isinstance(v, list | tuple):
            parts.append(f"{name} in {{{', '.join(value_words(x) for x in v)}}}")
        else:
            parts.append(f"{name} = {value_words(v, unit)}")
    return " for rows with " + " and ".join(parts) if parts else ""
