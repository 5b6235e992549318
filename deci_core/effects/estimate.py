"""Value objects for effect estimates: the query, the number, its uncertainty, and words for it.

An :class:`EffectEstimate` is frozen and JSON round-trippable (``to_dict`` / ``from_dict``). Its
uncertainty has three parts, kept apart so an analyst sees where it comes from:

- ``var_graph``: spread of the effect between graphs drawn from the posterior q(G) (weighted);
- ``var_monte_carlo``: simulation error within a graph (averaged over graphs);
- ``var_data``: finite-data error of estimating the effect from n training rows on a given graph,
  approximated by two parts: the sampling variance of a linear backdoor estimate on the fitted SEM's
  own simulated data of the training size (the outcome-model part), plus the spread of the per-unit
  effects divided by n (averaging the effect over n rows' covariates). 0 when n is unknown. The
  SEM's functions are point estimates, so without this term intervals on a confident graph would
  only show simulation error; it does not capture misfit of the networks themselves.

``std_error = sqrt(var_graph + var_monte_carlo + var_data)``; intervals are normal, value ± z·se.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from statistics import NormalDist
from typing import Any

import numpy as np

from deci_core.effects.query import EffectQuery


@dataclass(frozen=True)
class EffectEstimate:
    """An average (or conditional average) treatment effect with its uncertainty.

    Attributes:
        query: the question answered.
        value: the estimate, in the outcome's units (probability change for a discrete outcome).
        var_graph, var_monte_carlo, var_data: variance components (module docstring).
        per_graph: the effect on each distinct graph used, same order as ``graph_weights``.
        graph_weights: share of the drawn graphs equal to each distinct graph (sums to 1).
        num_graphs: graphs drawn (the most probable graph plus posterior samples).
        num_samples: simulated rows per graph and arm.
        seed: seeds graph draws and noise.
        graphs_without_path: share of drawn graphs with no directed path treatment -> outcome (the
            effect is exactly 0 on those, not simulated).
        mean_treated, mean_control: E[Y | do(T=a)] and E[Y | do(T=b)] (graph-weighted).
        outcome_discrete: True when ``value`` is a change in probability of ``query.outcome_level``.
        method: how it was computed, in words.
        notes: caveats worth showing (few matching rows, modifiers downstream of the treatment...).
        path_flags: which distinct graphs have a directed path (see ``path_probability``).
    """

    query: EffectQuery
    value: float
    var_graph: float
    var_monte_carlo: float
    var_data: float
    per_graph: tuple[float, ...]
    graph_weights: tuple[float, ...]
    num_graphs: int
    num_samples: int
    seed: int
    graphs_without_path: float = 0.0
    mean_treated: float = float("nan")
    mean_control: float = float("nan")
    outcome_discrete: bool = False
    method: str = ""
    notes: tuple[str, ...] = ()
    path_flags: tuple[bool, ...] = ()
    """Per distinct graph (``per_graph``'s order): True when it has a directed path treatment -> outcome."""

    @property
    def std_error(self) -> float:
        return math.sqrt(max(self.var_graph + self.var_monte_carlo + self.var_data, 0.0))

    def interval(self, level: float = 0.95) -> tuple[float, float]:
        """Normal interval ``value ± z * std_error`` at the given coverage level."""
        z = NormalDist().inv_cdf(0.5 + level / 2)
        return (self.value - z * self.std_error, self.value + z * self.std_error)

    @property
    def interval_95(self) -> tuple[float, float]:
        return self.interval(0.95)

    @property
    def variance_shares(self) -> dict[str, float]:
        """Share of the variance from the graph, the data and the simulation (sums to 1, or all 0)."""
        parts = {"graph": self.var_graph, "data": self.var_data, "monte_carlo": self.var_monte_carlo}
        total = sum(parts.values())
        return {k: (v / total if total > 0 else 0.0) for k, v in parts.items()}

    @property
    def graph_share(self) -> float:
        """Share of the variance due to not knowing the graph."""
        return self.variance_shares["graph"]

    @property
    def no_path(self) -> bool:
        """True when no drawn graph has a directed path from treatment to outcome (effect exactly 0)."""
        return self.graphs_without_path >= 1.0

    @property
    def path_probability(self) -> float:
        """Posterior probability (share of the drawn graphs) of a directed path treatment -> outcome."""
        return 1.0 - self.graphs_without_path

    @property
    def effect_given_path(self) -> float:
        """The effect averaged over the graphs that have a directed path (NaN when none has one)."""
        w, v, has = self._path_parts()
        return float(w[has] @ v[has] / w[has].sum()) if has.any() and w[has].sum() > 0 else float("nan")

    @property
    def std_error_given_path(self) -> float:
        """Standard error of ``effect_given_path``: spread between graphs with a path, plus the
        simulation and data terms scaled to the graphs with a path."""
        w, v, has = self._path_parts()
        if not has.any() or w[has].sum() <= 0:
            return float("nan")
        share = w[has].sum()
        wp = w[has] / share
        var_graph = float(wp @ (v[has] - wp @ v[has]) ** 2)
        return math.sqrt(max(var_graph + (self.var_monte_carlo + self.var_data) / share, 0.0))

    def interval_given_path(self, level: float = 0.95) -> tuple[float, float]:
        z = NormalDist().inv_cdf(0.5 + level / 2)
        return (
            self.effect_given_path - z * self.std_error_given_path,
            self.effect_given_path + z * self.std_error_given_path,
        )

    def _path_parts(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        w, v = np.asarray(self.graph_weights, dtype=float), np.asarray(self.per_graph, dtype=float)
        has = np.asarray(self.path_flags, dtype=bool) if self.path_flags else v != 0.0
        return w, v, has

    def sentence(self) -> str:
        """The result in plain words, e.g. 'Raising discount from 5 to 15 changes revenue by +1,240 (...)'.

        When the graphs rarely have a directed path (probability below ``RARE_PATH``), the sentence
        says so first and gives the effect given a path, instead of a confident 0."""
        q = self.query
        where = _condition_words(q.conditioning) + _population_words(q.estimand)
        if self.no_path:
            return (
                f"In every graph considered, {q.treatment} has no directed path to {q.outcome}, so "
                f"setting it to {_value(q.treatment_value)} instead of {_value(q.control_value)} "
                f"does not change {q.outcome}{where}: the effect is exactly 0 under this graph posterior "
                f"(probability of a path: 0 of {self.num_graphs} graphs drawn). If you know "
                f"{q.treatment} affects {q.outcome}, add the edge as a constraint and refit."
            )
        target, scale, unit = self._target()
        if self.path_probability < RARE_PATH:
            given, (glow, ghigh) = self.effect_given_path, self.interval_given_path()
            d = _digits(max(abs(given), self.std_error_given_path) * scale)
            return (
                f"Only {self.path_probability:.0%} of the graphs drawn have a directed path from "
                f"{q.treatment} to {q.outcome}: the data give little support for any effect of "
                f"{q.treatment} on {q.outcome}, so the posterior average ({self.value * scale:+,.{d}f}"
                f"{unit}) is close to 0 because of the graph, not because of a measured null. If such "
                f"a path exists, {_action(q).lower()} changes {target} by {given * scale:+,.{d}f}{unit}"
                f"{where} (95% interval {glow * scale:,.{d}f} to {ghigh * scale:,.{d}f})."
            )
        low, high = self.interval_95
        digits = _digits(max(abs(self.value), self.std_error) * scale)
        amount = f"{self.value * scale:+,.{digits}f}{unit}"
        span = f"95% interval {low * scale:,.{digits}f} to {high * scale:,.{digits}f}"
        text = f"{_action(q)} changes {target} by {amount}{where} ({span})."
        if self.path_probability < 1.0:
            given = self.effect_given_path * scale
            text += (
                f" A directed path {q.treatment} -> {q.outcome} has posterior probability "
                f"{self.path_probability:.0%}; given one, the effect is {given:+,.{digits}f}{unit}."
            )
        return text

    def _target(self) -> tuple[str, float, str]:
        q = self.query
        if self.outcome_discrete:
            target = f"the probability that {q.outcome} = {_value(q.outcome_level)}"
            return target, 100.0, " percentage points"
        return q.outcome, 1.0, ""

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["query"] = self.query.to_dict()
        d["per_graph"], d["graph_weights"], d["notes"], d["path_flags"] = (
            list(self.per_graph),
            list(self.graph_weights),
            list(self.notes),
            list(self.path_flags),
        )
        d.update(
            estimate=self.value,
            std_error=self.std_error,
            interval_95=list(self.interval_95),
            variance_shares=self.variance_shares,
            estimand=self.query.estimand,
            path_probability=self.path_probability,
            effect_given_path=self.effect_given_path,
            effect_given_path_interval_95=list(self.interval_given_path()),
            sentence=self.sentence(),
        )
        return {k: _json_float(v) for k, v in d.items()}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> EffectEstimate:
        derived = {
            "estimate",
            "std_error",
            "interval_95",
            "variance_shares",
            "sentence",
            "estimand",
            "path_probability",
            "effect_given_path",
            "effect_given_path_interval_95",
        }
        kwargs = {k: v for k, v in d.items() if k not in derived}
        kwargs["query"] = EffectQuery.from_dict(d["query"])
        for name in ("per_graph", "graph_weights", "notes", "path_flags"):
            kwargs[name] = tuple(kwargs.get(name, ()))
        for name in ("mean_treated", "mean_control"):
            kwargs[name] = float("nan") if kwargs.get(name) is None else kwargs[name]
        return cls(**kwargs)


RARE_PATH = 0.05
"""Path probability below which the sentence leads with "the data give little support for any effect"."""


def _population_words(estimand: str) -> str:
    return {"ate": "", "att": " among the treated", "atc": " among the controls"}[estimand]


def _json_float(v: Any) -> Any:
    return None if isinstance(v, float) and not math.isfinite(v) else v


def _value(v: Any) -> str:
    """A value as a user reads it: numbers with separators, levels as they are."""
    if isinstance(v, (bool, np.bool_)) or not isinstance(v, (int, float, np.integer, np.floating)):
        return str(v)
    v = float(v)
    if v == int(v) and abs(v) < 1e15:
        return f"{int(v):,}"
    return f"{v:,.{_digits(abs(v))}f}".rstrip("0").rstrip(".")


def format_effect(value: float, scale: float | None = None, sign: bool = False) -> str:
    """A number with about three significant digits of ``scale`` (default: the value), separators."""
    digits = _digits(abs(value) if scale is None else scale)
    return f"{value:{'+' if sign else ''},.{digits}f}"


def _digits(magnitude: float) -> int:
    """Decimals that show about three significant digits."""
    if not math.isfinite(magnitude) or magnitude <= 0:
        return 2
    return int(min(max(0, 2 - math.floor(math.log10(magnitude))), 8))


def _action(q: EffectQuery) -> str:
    a, b = q.treatment_value, q.control_value
    try:
        higher = float(a) > float(b)
        verb = "Raising" if higher else "Lowering"
        return f"{verb} {q.treatment} from {_value(b)} to {_value(a)}"
    except (TypeError, ValueError):
        return f"Setting {q.treatment} to {_value(a)} instead of {_value(b)}"


def _condition_words(conditioning: dict[str, Any]) -> str:
    if not conditioning:
        return ""
    parts = []
    for name, v in conditioning.items():
        if isinstance(v, (list, tuple)) and len(v) == 2 and all(isinstance(x, (int, float)) for x in v):
            parts.append(f"{name} between {_value(v[0])} and {_value(v[1])}")
        elif isinstance(v, (list, tuple)):
            parts.append(f"{name} in {{{', '.join(_value(x) for x in v)}}}")
        else:
            parts.append(f"{name} = {_value(v)}")
    return " for rows with " + " and ".join(parts)
