"""Refutations: does the estimate survive the checks a sound one survives?

Four checks, each run against the SEM (refitted on the held graph, the most probable one) and against
the doubly robust estimate (EconML on that graph's optimal adjustment set):

- **placebo treatment**: the treatment replaced by a placebo with the same dependence on the
  adjustment set and on the upstream variables the graph calls unrelated to the outcome (fitted on
  them, its unexplained part shuffled across rows, or levels drawn from a logistic fit; see
  :func:`_tied`) but no effect on anything. A sound estimate gives 0. A plain permutation
  would also give 0 for a model that forgets a confounder; keeping the placebo tied to the observed
  confounders makes an estimate that does not adjust for them fail (``tests/effects/test_refute.py``).
- **random common cause**: an independent standard-normal column added as a cause of treatment and
  outcome. A sound estimate does not move.
- **dummy outcome**: the outcome replaced by one that depends on the adjustment set and the upstream
  variables the graph calls unrelated to the treatment (fitted and shuffled as above) but not on the
  treatment. A sound estimate gives 0.
- **data subset**: the estimate refitted on ``subsets`` random 80% subsets with the graph held; their
  mean should stay with the full-data estimate.

Each SEM check refits only what it changes: the SEM on the held graph with the modified column (the
random common cause: with one more variable), ``refit_on_graph``'s fixed-graph schedule, seconds
each. The reference ("original") of the SEM rows is the SEM refitted on the unmodified data with the
same graph and seed, so that refit noise does not pass for a failure.

p-values (normal approximations): against 0, ``2 (1 - Phi(|new| / se_new))``; against the original,
``2 (1 - Phi(|new - original| / se_original))`` (the original's standard error as the scale: the two
estimates share most of the data, so this is conservative). The SEM rows use at least the spread of
the data-subset refits scaled to the full sample (:func:`refit_spread`) as the standard error: the
SEM's own leaves out its networks' sampling variability. A check passes when ``p >= 0.05``; with
eight checks, one failure in a sound model happens about a third of the time, hence the words in
:func:`summary_sentence`.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Callable
from dataclasses import asdict, dataclass, replace
from statistics import NormalDist
from typing import Any

import numpy as np
import pandas as pd

from deci_core.data.encoder import TableEncoder
from deci_core.data.schema import TableSchema, VariableSpec, VariableType
from deci_core.effects.adjustment import optimal_adjustment_set
from deci_core.effects.doubly_robust import _Arms, _fit_one
from deci_core.effects.estimate import format_effect
from deci_core.effects.linear import _features
from deci_core.effects.query import EffectQuery, EffectQueryError
from deci_core.effects.simulate import average_effect
from deci_core.graph.dag import descendants
from deci_core.training.fixed_graph import (
    fresh_sem,
    masked_inputs,
    point_posterior,
    refit_on_graph,
    train_fixed,
    training_for_refit,
)

CHECKS = {
    "placebo treatment": "a treatment with no effect (tied to the same covariates) gives 0",
    "random common cause": "adding an independent common cause leaves the estimate unchanged",
    "dummy outcome": "an outcome the treatment cannot affect gives 0",
    "data subset": "refits on random 80% subsets stay with the full-data estimate",
}
"""Check name -> what it checks, in words."""
ESTIMATORS = ("sem", "dr")
LEVEL = 0.05
RANDOM_CAUSE = "random_common_cause"
SUBSET_FRACTION = 0.8


@dataclass(frozen=True)
class Refutation:
    """One check on one estimator.

    Attributes:
        name: key of CHECKS. estimator: "sem" or "dr". checks: what it checks, in words.
        original: the reference estimate. new: the estimate under the check. expected: what a sound
            estimate gives (0, or the original). std_error: of ``new`` (checks against 0) or of the
            original (checks against it). p_value, passed: see the module docstring.
    """

    name: str
    estimator: str
    checks: str
    original: float
    new: float
    expected: float
    std_error: float
    p_value: float
    passed: bool
    sentence: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class RefutationReport:
    """All checks for one question, plus the graph and adjustment set they held."""

    query: EffectQuery
    refutations: tuple[Refutation, ...]
    graph: tuple[tuple[str, str], ...]
    adjustment_set: tuple[str, ...]

    @property
    def failed(self) -> tuple[Refutation, ...]:
        return tuple(r for r in self.refutations if not r.passed)

    def table(self) -> pd.DataFrame:
        return pd.DataFrame([r.to_dict() for r in self.refutations])

    def summary_sentence(self) -> str:
        return summary_sentence(self.refutations)

    def to_dict(self) -> dict[str, Any]:
        return {
            "query": self.query.to_dict(),
            "refutations": [r.to_dict() for r in self.refutations],
            "graph": [list(e) for e in self.graph],
            "adjustment_set": list(self.adjustment_set),
            "summary": self.summary_sentence(),
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> RefutationReport:
        return cls(
            EffectQuery.from_dict(d["query"]),
            tuple(Refutation(**r) for r in d["refutations"]),
            tuple(tuple(e) for e in d["graph"]),
            tuple(d["adjustment_set"]),
        )


def refute(
    model: Any,
    df: pd.DataFrame,
    query: EffectQuery,
    *,
    estimators: tuple[str, ...] = ESTIMATORS,
    subsets: int = 3,
    steps: int | None = None,
    num_samples: int = 4000,
    learner: str = "linear",
    seed: int = 0,
    progress: Callable[[int, int, str], Any] | None = None,
) -> RefutationReport:
    """Run the checks of the module docstring on the model's most probable graph.

    Args:
        model: fitted (``encoder_``, ``sem_``, ``graph_posterior_``; ``schema_`` for the random cause).
        df: the training data in user units (the model's columns).
        query: the question (ATE, ATT or ATC; conditioning is not used).
        estimators: subset of ("sem", "dr").
        subsets: refits of the data-subset check.
        steps: fixed-graph steps per SEM refit (default: ``refit_on_graph``'s).
        learner: EconML learner of the DR rows ("linear": LinearDML; "dr": DRLearner, discrete T).
        progress: called ``(done, total, what)`` before each refit or fit.
    """
    unknown = sorted(set(estimators) - set(ESTIMATORS))
    if unknown:
        raise EffectQueryError(f"Unknown estimator(s) {unknown}: use {list(ESTIMATORS)}.")
    if query.conditioning:
        raise EffectQueryError("Refutations check an average effect: drop the conditioning.")
    names = list(model.encoder_.names)
    t, y = names.index(query.treatment), names.index(query.outcome)
    graph = np.asarray(model.graph_posterior_.most_probable(), dtype=bool)
    z = optimal_adjustment_set(graph, t, y)
    if z is None:
        raise EffectQueryError(
            f"The most probable graph has no directed path from {query.treatment} to {query.outcome}: "
            "the effect is 0 on it, there is nothing to refute."
        )
    rng = np.random.default_rng(seed)
    for_placebo = [names[i] for i in _tied(graph, t, y, z, away_from=y)]
    for_dummy = [names[i] for i in _tied(graph, t, y, z, away_from=t)]
    variants = {
        "placebo treatment": _resampled(df, model.encoder_, query.treatment, for_placebo, rng),
        "dummy outcome": _resampled(df, model.encoder_, query.outcome, for_dummy, rng),
        RANDOM_CAUSE: df.assign(**{RANDOM_CAUSE: rng.standard_normal(len(df))}),
        "subsets": [
            df.sample(frac=SUBSET_FRACTION, random_state=int(rng.integers(2**31))) for _ in range(subsets)
        ],
    }
    steps_total = (4 + subsets) * len(estimators)
    tick = _Ticker(progress, steps_total)
    rows: list[Refutation] = []
    if "sem" in estimators:
        rows += _sem_checks(model, df, query, graph, variants, steps, num_samples, seed, tick)
    if "dr" in estimators:
        z_names = tuple(names[i] for i in z)
        rows += _dr_checks(model, df, query, z_names, variants, learner, seed, tick)
    edges = tuple((names[i], names[j]) for i, j in zip(*np.nonzero(graph), strict=True))
    return RefutationReport(query, tuple(rows), edges, tuple(names[i] for i in z))


class _Ticker:
    def __init__(self, callback: Callable[[int, int, str], Any] | None, total: int) -> None:
        self.callback, self.total, self.done = callback, total, 0

    def __call__(self, what: str) -> None:
        if self.callback is not None:
            self.callback(self.done, self.total, what)
        self.done += 1


def _sem_checks(model, df, query, graph, variants, steps, num_samples, seed, tick) -> list[Refutation]:
    def effect(fitted: Any) -> tuple[float, float]:
        est = average_effect(
            fitted, query, num_graphs=1, num_samples=num_samples, seed=seed, data_rows=fitted.num_rows_
        )
        return est.value, est.std_error

    def refit(data: pd.DataFrame, what: str, offset: int) -> tuple[float, float]:
        tick(f"SEM: {what}")
        return effect(refit_on_graph(_reseeded(model, offset), data, graph, steps=steps))

    base, base_se = refit(df, "reference refit", 0)
    placebo = refit(variants["placebo treatment"], "placebo treatment", 1)
    dummy = refit(variants["dummy outcome"], "dummy outcome", 2)
    tick("SEM: random common cause")
    common = effect(_refit_with_cause(model, variants[RANDOM_CAUSE], graph, query, steps))
    subset = [refit(s, f"data subset {k + 1}", 3 + k) for k, s in enumerate(variants["subsets"])]
    spread = refit_spread([v for v, _ in subset])
    placebo, dummy = (placebo[0], max(placebo[1], spread)), (dummy[0], max(dummy[1], spread))
    return _rows("sem", query, base, max(base_se, spread), placebo, common, dummy, subset)


def _reseeded(model: Any, offset: int) -> Any:
    """A shallow copy whose refits start from other weights (seed + offset): the subsets' spread then
    includes the networks' dependence on their start, as the placebo's and dummy's refits do."""
    if not offset or not hasattr(model, "training_config"):
        return model
    twin = copy.copy(model)
    twin.training_config = replace(model.training_config, seed=model.training_config.seed + offset)
    return twin


def refit_spread(subset_values: list[float]) -> float:
    """The SEM refit's sampling spread at full size, from the 80%-subset refits (0 with fewer than 2).

    An 80% subset's estimate differs from the full-data one with variance about (1/0.8 - 1) = 1/4 of
    the full-data variance, so the full-size spread is about twice the subsets' standard deviation.
    Why: the SEM's own standard error leaves out its networks' sampling variability; refits of a
    placebo with no effect (d = 5, n = 1,000, default networks) spread 2-3x wider than it."""
    if len(subset_values) < 2:
        return 0.0
    return float(np.std(subset_values, ddof=1) / math.sqrt(1 / SUBSET_FRACTION - 1))


def _dr_checks(model, df, query, z_names, variants, learner, seed, tick) -> list[Refutation]:
    def fit(data: pd.DataFrame, what: str, extra: tuple[str, ...] = ()) -> tuple[float, float]:
        tick(f"DR: {what}")
        return dr_effect(model.encoder_, data, query, z_names, learner, seed, extra)

    base, base_se = fit(df, "reference fit")
    placebo = fit(variants["placebo treatment"], "placebo treatment")
    common = fit(variants[RANDOM_CAUSE], "random common cause", (RANDOM_CAUSE,))
    dummy = fit(variants["dummy outcome"], "dummy outcome")
    subset = [fit(s, f"data subset {k + 1}") for k, s in enumerate(variants["subsets"])]
    return _rows("dr", query, base, base_se, placebo, common, dummy, subset)


def dr_effect(
    encoder: TableEncoder,
    df: pd.DataFrame,
    query: EffectQuery,
    z_names: tuple[str, ...],
    learner: str = "linear",
    seed: int = 0,
    extra: tuple[str, ...] = (),
) -> tuple[float, float]:
    """(value, std_error) of one EconML learner adjusting for ``z_names`` (+ raw numeric ``extra``)."""
    used = [query.treatment, query.outcome, *z_names, *extra]
    data = _Arms(df.dropna(subset=used), encoder, query)
    z = data.covariates(z_names)
    if extra:
        z = np.concatenate([z, data.rows[list(extra)].to_numpy(dtype=float)], axis=1)
    keep = np.ones(len(data.t), dtype=bool)
    value, se, _ = _fit_one(learner, z, data, keep, query.estimand, seed, 100)
    return value, se


def _rows(estimator, query, base, base_se, placebo, common, dummy, subset) -> list[Refutation]:
    mean_subset = float(np.mean([s[0] for s in subset])) if subset else float("nan")
    out = [
        _against_zero("placebo treatment", estimator, query, base, *placebo),
        _against_original("random common cause", estimator, query, base, base_se, common[0]),
        _against_zero("dummy outcome", estimator, query, base, *dummy),
    ]
    if subset:
        out.append(_against_original("data subset", estimator, query, base, base_se, mean_subset))
    return out


def _against_zero(name, estimator, query, original, new, se) -> Refutation:
    p = _p_value(new, se)
    passed = p >= LEVEL
    d = _fmt(new, se)
    sentence = f"{_who(estimator)} {name} gives {d} ({'p = ' + _p(p)}): " + (
        "consistent with 0, as a sound estimate gives." if passed else _fail_words(name, query)
    )
    return Refutation(name, estimator, CHECKS[name], original, new, 0.0, se, p, passed, sentence)


def _against_original(name, estimator, query, original, se, new) -> Refutation:
    p = _p_value(new - original, se)
    passed = p >= LEVEL
    change = abs(new - original) / abs(original) if original else float("inf")
    sentence = (
        f"{_who(estimator)} {name} moves the estimate from {_fmt(original, se)} to {_fmt(new, se)} "
        f"({change:.0%}, p = {_p(p)}): "
        + ("within its uncertainty, as a sound estimate stays." if passed else _fail_words(name, query))
    )
    return Refutation(name, estimator, CHECKS[name], original, new, original, se, p, passed, sentence)


def _fail_words(name: str, query: EffectQuery) -> str:
    return {
        "placebo treatment": (
            f"a treatment with no effect still shows one, so the estimate picks up association that is "
            f"not {query.treatment}'s effect: check for a confounder the graph does not adjust for."
        ),
        "dummy outcome": (
            f"an outcome {query.treatment} cannot affect still moves with it: the adjustment misses a "
            "common cause."
        ),
        "random common cause": "an irrelevant common cause moved it: the estimate is fragile.",
        "data subset": "it depends on which rows are used: the estimate is unstable on this data.",
    }[name]


def summary_sentence(refutations: tuple[Refutation, ...] | list[Refutation]) -> str:
    """One sentence over all checks (none failed / which failed and what it suggests)."""
    failed = [r for r in refutations if not r.passed]
    if not refutations:
        return "No refutation was run."
    if not failed:
        return f"The estimate passed all {len(refutations)} refutations at the 5% level."
    names = ", ".join(f"{r.name} ({r.estimator.upper()})" for r in failed)
    hint = (
        " One failure in this many checks happens by chance about a third of the time in a sound model."
        if len(failed) == 1
        else ""
    )
    return f"{len(failed)} of {len(refutations)} refutations failed: {names}.{hint}"


def _who(estimator: str) -> str:
    return "SEM:" if estimator == "sem" else "Doubly robust:"


def _fmt(value: float, se: float) -> str:
    return format_effect(value, max(abs(value), se), sign=True)


def _p(p: float) -> str:
    return f"{p:.3f}" if p >= 0.001 else "< 0.001"


def _p_value(diff: float, se: float) -> float:
    if not math.isfinite(diff):
        return 0.0
    if se <= 0 or not math.isfinite(se):
        return 1.0 if diff == 0 else 0.0
    return 2 * (1 - NormalDist().cdf(abs(diff) / se))


def _tied(graph: np.ndarray, t: int, y: int, z: tuple[int, ...], away_from: int) -> list[int]:
    """The variables a placebo (``away_from=y``) or dummy outcome (``away_from=t``) is redrawn from:
    the adjustment set z, plus the other non-descendants of the treatment that the held graph says
    are d-separated from ``away_from`` given z. Under a correct graph the redrawn column is then
    independent of the other side given z, so a sound estimate gives 0; a variable the graph wrongly
    leaves unconnected (an omitted confounder) ties the two and the check fails. Variables open to
    the other side (an instrument for the placebo, a collider's parent) would make even a sound
    estimate fail, so they are left out."""
    import networkx as nx

    below = descendants(graph, t)
    g = nx.DiGraph()
    g.add_nodes_from(range(len(graph)))
    g.add_edges_from((int(i), int(j)) for i, j in zip(*np.nonzero(graph), strict=True))
    given = set(z)
    out = []
    for v in range(len(graph)):
        if v in (t, y) or below[v]:
            continue
        if v in given or nx.is_d_separator(g, {v}, {away_from}, given):
            out.append(v)
    return out


def _resampled(
    df: pd.DataFrame, encoder: TableEncoder, column: str, covariates: list[str], rng: np.random.Generator
) -> pd.DataFrame:
    """``df`` with ``column`` redrawn from its fit on ``covariates``: fitted value plus shuffled
    residuals (continuous) or levels drawn from a logistic fit (discrete); a plain shuffle without
    covariates. Rows where the column is missing stay missing."""
    out = df.copy()
    seen = df[column].notna().to_numpy()
    x = _design(df.loc[seen], encoder, covariates)
    spec = encoder.spec(column)
    if spec.type is VariableType.CONTINUOUS:
        target = pd.to_numeric(df.loc[seen, column]).to_numpy(float)
        beta = np.linalg.lstsq(x, target, rcond=None)[0]
        fitted = x @ beta
        out.loc[seen, column] = fitted + rng.permutation(target - fitted)
        return out
    from sklearn.linear_model import LogisticRegression

    levels = df.loc[seen, column].to_numpy()
    if x.shape[1] == 1:
        out.loc[seen, column] = rng.permutation(levels)
        return out
    clf = LogisticRegression(max_iter=1000).fit(x[:, 1:], levels)
    probs = clf.predict_proba(x[:, 1:])
    picks = (probs.cumsum(1) > rng.random((len(probs), 1))).argmax(1)
    out.loc[seen, column] = clf.classes_[picks]
    return out


def _design(df: pd.DataFrame, encoder: TableEncoder, covariates: list[str]) -> np.ndarray:
    blocks = [np.ones((len(df), 1))]
    for name in covariates:
        complete = df[name].notna().all()
        blocks.append(_features(df[name], encoder, name) if complete else _filled(df[name], encoder, name))
    return np.concatenate(blocks, axis=1)


def _filled(col: pd.Series, encoder: TableEncoder, name: str) -> np.ndarray:
    """Features of a column with gaps: the gaps filled with its mean (continuous) or first level."""
    spec = encoder.spec(name)
    fill = col.mean() if spec.type is VariableType.CONTINUOUS else spec.categories[0]
    return _features(col.fillna(fill), encoder, name)


@dataclass
class _Refitted:
    """The minimal fitted object effect queries accept (an SEM on a point posterior)."""

    encoder_: Any
    sem_: Any
    graph_posterior_: Any
    num_rows_: int
    model_config: Any


def _refit_with_cause(
    model: Any, df: pd.DataFrame, graph: np.ndarray, query: EffectQuery, steps: int | None
) -> _Refitted:
    """The SEM refitted with one more variable, a cause of treatment and outcome."""
    names = list(model.encoder_.names)
    specs = [model.encoder_.spec(n) for n in names]
    schema = TableSchema((*specs, VariableSpec(RANDOM_CAUSE, VariableType.CONTINUOUS, (), "added")))
    encoder = TableEncoder.fit(df, schema, allow_missing=True)
    d = len(names)
    adj = np.zeros((d + 1, d + 1), dtype=bool)
    adj[:d, :d] = graph
    adj[d, names.index(query.treatment)] = adj[d, names.index(query.outcome)] = True
    config = training_for_refit(model.training_config, steps, None)
    sem = fresh_sem(encoder, model.model_config, config.seed)
    x, observed, imputer = masked_inputs(encoder, df, model.model_config, config.seed)
    train_fixed(sem, x, adj, config, (), observed, imputer)
    return _Refitted(encoder, sem, point_posterior(encoder.names, adj), len(df), model.model_config)
