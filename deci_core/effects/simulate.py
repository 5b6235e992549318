"""Average and conditional effects by simulating interventions in the learned SEM.

Method (as in DECI, with common random numbers): draw graphs G_1..G_S (the most probable DAG plus
posterior samples); on each graph with a directed path T -> Y, draw noise z (n, C) once and push it
through the SEM twice in one batched pass, under ``do(T=a)`` and ``do(T=b)``. The per-row differences
share all noise, so their mean has far less Monte-Carlo error than two independent arms. The same
noise is reused across graphs. On a graph with no directed path T -> Y the effect is exactly 0 and
nothing is simulated. For a discrete outcome the read-out is the probability of the chosen level given
the simulated parents (same mean as the 0/1 draw, less noise).

ATT / ATC (``query.estimand``): the same simulation, averaged over the simulated units whose factual
treatment is a (ATT) or b (ATC); for a continuous treatment, nearer to a or to b.

CATE ``E[Y(a) - Y(b) | M = m]`` (DECI's approach): simulate the observational rows with the same
noise, so each simulated unit has factual modifier values and a pair of potential outcomes, then
estimate the conditional mean of the difference given the modifiers: a Nadaraya–Watson kernel average
(Gaussian kernel, bandwidth ``bandwidth * 1.06 * sd * n^(-1/(4+k))`` for k continuous point
conditions), exact matching for discrete values, and indicators for ranges / level sets.

Limits: the functions are point estimates (uncertainty about them enters only through the
``var_data`` approximation, see :mod:`deci_core.effects.estimate`); the result is only as good as the
SEM's fit and the graph; a CATE at modifier values the model rarely generates rests on few simulated
rows (the effective number is checked and reported in ``notes``); a modifier downstream of the
treatment is conditioned on its factual (no-intervention) value. Where the arm values are implausible
for many units given the treatment's causes (outside its fitted central 95% on the most probable
graph, for at least ``OVERLAP_NOTE_SHARE`` of the weighted units) the estimate extrapolates the
learned functions beyond the data; a note says so (averages often survive it, individual and subgroup
effects do not: bench/RESULTS.md, heterogeneous effects).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import torch

from deci_core.data.plain import to_plain
from deci_core.data.schema import VariableType
from deci_core.effects.estimate import EffectEstimate
from deci_core.effects.linear import _ols_hc1
from deci_core.effects.query import (
    EffectQuery,
    EffectQueryError,
    GraphDraws,
    Query,
    draw_graphs,
    outside_support,
)
from deci_core.graph.dag import descendants, has_path

MIN_EFFECTIVE_ROWS = 30
_METHOD = (
    "simulated do(T=a) and do(T=b) in the learned SEM with common random numbers, "
    "averaged over graphs from the posterior"
)


@dataclass
class _GraphRun:
    """Simulated units on one graph: per-unit effect (n,), arm means, factual rows (n, C) or None."""

    diff: np.ndarray
    mean_a: float
    mean_b: float
    x_obs: torch.Tensor | None
    x_treated: torch.Tensor | None = None


def average_effect(
    model: Any,
    query: EffectQuery,
    *,
    num_graphs: int = 20,
    num_samples: int | None = None,
    seed: int = 0,
    data_rows: int | None = None,
    bandwidth: float = 1.0,
) -> EffectEstimate:
    """ATE (or CATE when ``query.conditioning`` is set) in the user's units; see the module docstring.

    Args:
        model: a fitted DECI (``encoder_``, ``sem_``, ``graph_posterior_``).
        query: the question (arms a and b: numbers; a level for discrete treatments; 0/1 name a
            binary variable's two levels; conditioning: modifier -> value, ``(low, high)`` or a list
            of levels; outcome_level: the discrete outcome's level compared, default the last).
        num_graphs: graphs drawn (the most probable + ``num_graphs - 1`` samples).
        num_samples: simulated units per graph (default 4,000; 20,000 with conditioning).
        seed: seeds graphs and noise (same seed, same answer).
        data_rows: training rows, for the finite-data variance term (None: term omitted).
        bandwidth: multiplies the kernel bandwidth of continuous point conditions.
    """
    q = Query(model, query)
    conditions = _Conditions(q, query.conditioning or {}, bandwidth)
    n = int(num_samples or (20_000 if conditions else 4_000))
    draws = draw_graphs(model.graph_posterior_, num_graphs, seed)
    z = _noise(q, n, seed)
    per_graph, mc_var, data_var, means_a, means_b, notes = [], [], [], [], [], set()
    observe = bool(conditions) or query.estimand != "ate"
    for g, graph in enumerate(draws.graphs):
        if not has_path(graph, q.t, q.y):
            per_graph.append(0.0), mc_var.append(0.0), data_var.append(0.0)
            continue
        run = _simulate(q, graph, z, observe=observe)
        w = conditions.weights(run.x_obs, graph, notes) if conditions else np.ones(n)
        if query.estimand != "ate":
            w = w * _population(q, run.x_obs, query.estimand)
        if g == 0:
            _overlap_note(q, run.x_treated, graph, w, notes)
        m, v, ess = _weighted_mean_var(run.diff, w)
        per_graph.append(m), mc_var.append(v)
        means_a.append(run.mean_a), means_b.append(run.mean_b)
        data_var.append(
            _data_variance(q, graph, data_rows, seed, ess / n)
            + _spread(run.diff, w, m) / (data_rows * ess / n)
            if data_rows
            else 0.0
        )
    return _estimate(
        q,
        conditions.canonical if conditions else {},
        draws,
        np.array(per_graph),
        np.array(mc_var),
        np.array(data_var),
        means_a,
        means_b,
        n,
        seed,
        notes,
    )


def _population(q: Query, x_obs: torch.Tensor, estimand: str) -> np.ndarray:
    """(n,) 0/1 weights of the simulated units in the estimand's population, by their factual
    (no-intervention) treatment: at a (ATT) or b (ATC); continuous: nearer to a (ATT) or to b (ATC)."""
    values = modifier_values(q, x_obs, q.t)
    spec = q.encoder.specs[q.t]
    if spec.type is VariableType.CONTINUOUS:
        a, b = float(q.treatment_value), float(q.control_value)
        near_a = np.abs(values - a) < np.abs(values - b)
    else:
        code = int(q.a.argmax().item()) if q.a.numel() > 1 else int(q.a[0].item())
        near_a = values == code
        if estimand == "atc":
            code_b = int(q.b.argmax().item()) if q.b.numel() > 1 else int(q.b[0].item())
            return (values == code_b).astype(float)
    return (near_a if estimand == "att" else ~near_a).astype(float)


def _noise(q: Query, n: int, seed: int) -> torch.Tensor:
    gen = torch.Generator(device=q.device).manual_seed(int(seed))
    return q.sem.sample_noise(n, gen)


@torch.no_grad()
def _simulate(q: Query, graph: np.ndarray, z: torch.Tensor, observe: bool) -> _GraphRun:
    adj = q.adjacency(graph)
    # without observed rows to report, only the outcome's ancestors need simulating: the others
    # are held at 0 (they cannot reach the outcome, so its values are the same; ~d/|an(Y)| faster)
    fixed = None if observe else _idle(q, z.shape[0], ~_ancestors(graph, [q.y]))
    xa, xb = q.arms(z, adj, fixed)
    ya, yb = q.readout(xa, adj, expected=True), q.readout(xb, adj, expected=True)
    diff = (ya - yb).double().cpu().numpy()
    x_obs = q.sem.noise_to_sample(z, adj) if observe else None
    return _GraphRun(diff, float(ya.double().mean()), float(yb.double().mean()), x_obs, xa)


OVERLAP_NOTE_SHARE = 0.2
"""Share of (weighted) simulated units with an arm outside the treatment's usual range above which
an estimate carries the extrapolation note."""


def _overlap_note(q: Query, x: torch.Tensor, graph: np.ndarray, w: np.ndarray, notes: set[str]) -> None:
    """Note when many units' arm values are implausible given their causes (most probable graph).

    ``x``: simulated rows (any arm: the treatment's parents are the same in all of them)."""
    outside = outside_support(q, x, q.adjacency(graph))
    share = float((w * outside).sum() / max(w.sum(), 1e-300))
    if share >= OVERLAP_NOTE_SHARE:
        notes.add(
            f"For {share:.0%} of the units, {to_plain(q.treatment_value)} or {to_plain(q.control_value)} is "
            f"outside the usual range of {q.treatment} given its causes (the central 95%): there the "
            "effect is the model's extrapolation, not learned from data. Averages can still be fair; "
            "effects for individuals and small subgroups are unreliable."
        )


def _spread(values: np.ndarray, w: np.ndarray, mean: float) -> float:
    """Weighted variance of the per-unit effects: how much the effect varies between units."""
    return float((w * (values - mean) ** 2).sum() / w.sum())


def _weighted_mean_var(values: np.ndarray, w: np.ndarray) -> tuple[float, float, float]:
    """Weighted mean, its Monte-Carlo variance, and the effective number of units."""
    total = w.sum()
    if total <= 0:
        raise EffectQueryError(
            "No simulated unit matches the conditions: widen the range or pick another value."
        )
    m = float((w * values).sum() / total)
    var = float((w * w * (values - m) ** 2).sum() / total**2)
    return m, var, float(total**2 / (w * w).sum())


DATA_VARIANCE_ROWS = 2_000
"""Rows simulated for the finite-data term: its regression's variance at m rows, times m / n, is the
variance at the n training rows (an OLS variance scales as 1/n), so a 5,000-row table costs as
little as a 2,000-row one (at d = 50, 20 graphs: 0.73 s -> 0.3 s of a 1.5 s ATE query)."""


def _data_variance(q: Query, graph: np.ndarray, rows: int, seed: int, fraction: float) -> float:
    """Sampling variance of a linear backdoor estimate on ``rows`` rows of the fitted SEM: estimated on
    ``min(rows, DATA_VARIANCE_ROWS)`` simulated rows and scaled to ``rows``.

    Divided by ``fraction`` (the share of units that carry weight) for a conditional effect.
    """
    gen = torch.Generator(device=q.device).manual_seed(int(seed) + 7919)
    m = min(int(rows), DATA_VARIANCE_ROWS)
    idle = _idle(q, m, ~_ancestors(graph, [q.y, q.t]))  # only what the regression reads
    x = q.sem.sample(m, q.adjacency(graph), gen, idle).double().cpu().numpy()
    # the linear backdoor regression of linear_backdoor, on the encoded rows (no decoding: the
    # encoding is affine per column, so the estimate and its HC1 error are the same, ~30x faster)
    parents = [int(i) for i in np.flatnonzero(np.asarray(graph)[:, q.t]) if i != q.y]
    t_cols = _regressors(q, x, q.t)
    design = np.concatenate([np.ones((len(x), 1)), t_cols, *(_regressors(q, x, i) for i in parents)], 1)
    if q.discrete:
        binary = q.out_spec.type is VariableType.BINARY
        hit = x[:, q.col] if binary else x[:, q.col + q.level_index]
        y = (1 - hit) if binary and q.level_index == 0 else hit
    else:
        y = x[:, q.col] * q.encoder.scale_of(q.outcome)
    contrast = np.zeros(design.shape[1])
    contrast[1 : 1 + t_cols.shape[1]] = _drop_first(q, q.t, (q.a - q.b).double().cpu().numpy()[None])[0]
    _, cov = _ols_hc1(design, y)
    return float(max(contrast @ cov @ contrast, 0.0)) * (m / int(rows)) / max(fraction, 1e-6)


def _ancestors(graph: np.ndarray, nodes: list[int]) -> np.ndarray:
    """(d,) bool: the nodes and their ancestors."""
    above = np.zeros(len(graph), dtype=bool)
    for j in nodes:
        above |= descendants(np.asarray(graph).T, j)
        above[j] = True
    return above


def _idle(q: Query, n: int, nodes: np.ndarray) -> dict[int, torch.Tensor]:
    """Zeros (n, width) for each of ``nodes`` other than the treatment: held fixed, not simulated."""
    widths = q.encoder.widths
    return {
        int(i): torch.zeros(n, widths[i], device=q.device) for i in np.flatnonzero(nodes) if i != q.t
    }


def _regressors(q: Query, x: np.ndarray, i: int) -> np.ndarray:
    """Variable i's regression columns from encoded rows: its columns, a categorical's first dropped."""
    return _drop_first(q, i, x[:, q.encoder.column_slices[i]])


def _drop_first(q: Query, i: int, block: np.ndarray) -> np.ndarray:
    return block[:, 1:] if q.encoder.specs[i].type is VariableType.CATEGORICAL else block


def _estimate(
    q: Query,
    conditioning: dict,
    draws: GraphDraws,
    per_graph: np.ndarray,
    mc_var: np.ndarray,
    data_var: np.ndarray,
    means_a: list,
    means_b: list,
    n: int,
    seed: int,
    notes: set[str],
) -> EffectEstimate:
    w = draws.weights
    value = float((w * per_graph).sum())
    var_graph = float((w * (per_graph - value) ** 2).sum())
    paths = np.array([has_path(g, q.t, q.y) for g in draws.graphs])
    no_path = float(w[~paths].sum())
    if 0 < no_path < 1:
        notes.add(
            f"{no_path:.0%} of the graphs have no directed path from {q.treatment} to {q.outcome}: "
            f"the effect is exactly 0 on those."
        )
    path_w = w[paths]
    mean_a = float(np.dot(path_w, means_a) / path_w.sum()) if means_a else float("nan")
    mean_b = float(np.dot(path_w, means_b) / path_w.sum()) if means_b else float("nan")
    return EffectEstimate(
        q.resolved(conditioning),
        value,
        var_graph,
        float((w * mc_var).sum()),
        float((w * data_var).sum()),
        tuple(float(v) for v in per_graph),
        tuple(float(v) for v in w),
        draws.num_graphs,
        n,
        int(seed),
        no_path,
        mean_a,
        mean_b,
        q.discrete,
        _METHOD,
        tuple(sorted(notes)),
        tuple(bool(p) for p in paths),
    )


class _Conditions:
    """Per-unit weights for CATE conditions (kernel, match, range or level set)."""

    def __init__(self, q: Query, conditioning: dict[str, Any], bandwidth: float) -> None:
        self.q, self.bandwidth = q, bandwidth
        self.items = [(q.index(name), name, self._canonical(name, v)) for name, v in conditioning.items()]
        self.canonical = {name: value for _, name, value in self.items}
        self.num_kernels = sum(1 for i, _, v in self.items if _is_point(v) and _continuous(q, i))

    def __bool__(self) -> bool:
        return bool(self.items)

    def _canonical(self, name: str, value: Any) -> Any:
        """Numbers for continuous modifiers (a point or a (low, high) range), levels otherwise."""
        if self.q.encoder.spec(name).type is VariableType.CONTINUOUS:
            if _is_point(value):
                try:
                    return float(value)
                except (TypeError, ValueError):
                    raise EffectQueryError(
                        f"'{name}' is continuous: condition on a number or a range."
                    ) from None
            return _range(value, name)
        if _is_point(value):
            return self.q.canonical(name, value)
        return [self.q.canonical(name, v) for v in value]

    def weights(self, x_obs: torch.Tensor, graph: np.ndarray, notes: set[str]) -> np.ndarray:
        w = np.ones(x_obs.shape[0])
        below = descendants(graph, self.q.t)
        for i, name, value in self.items:
            w *= self._one(x_obs, i, name, value)
            if below[i]:
                notes.add(
                    f"{name} is downstream of {self.q.treatment} in some graphs: conditioning is on "
                    f"its value without the intervention."
                )
        ess = w.sum() ** 2 / max((w * w).sum(), 1e-300)
        if ess < MIN_EFFECTIVE_ROWS:
            notes.add(
                f"Only about {ess:.0f} simulated units match the conditions: treat this estimate with care."
            )
        return w

    def _one(self, x_obs: torch.Tensor, i: int, name: str, value: Any) -> np.ndarray:
        values = modifier_values(self.q, x_obs, i)
        if _continuous(self.q, i):
            if _is_point(value):
                n = len(values)
                h = self.bandwidth * 1.06 * values.std() * n ** (-1.0 / (4 + self.num_kernels))
                return np.exp(-0.5 * ((values - float(value)) / max(h, 1e-12)) ** 2)
            low, high = _range(value, name)
            return ((values >= low) & (values <= high)).astype(float)
        levels = list(value) if isinstance(value, (list, tuple, set)) else [value]
        codes = [self._code(name, level) for level in levels]
        return np.isin(values, codes).astype(float)

    def _code(self, name: str, level: Any) -> int:
        encoded = self.q.encode(name, level)
        return int(encoded.argmax().item()) if encoded.numel() > 1 else int(encoded[0].item())


def modifier_values(q: Query, x: torch.Tensor, i: int) -> np.ndarray:
    """A variable's simulated values: user units (continuous) or level codes (discrete), (n,)."""
    cols = q.encoder.column_slices[i]
    spec = q.encoder.specs[i]
    block = x[:, cols].double().cpu().numpy()
    if spec.type is VariableType.CONTINUOUS:
        return q.encoder.to_user_units(spec.name, block[:, 0])
    if spec.type is VariableType.BINARY:
        return (block[:, 0] > 0.5).astype(int)
    return block.argmax(1)


def _continuous(q: Query, i: int) -> bool:
    return q.encoder.specs[i].type is VariableType.CONTINUOUS


def _is_point(value: Any) -> bool:
    return not isinstance(value, (list, tuple, set, np.ndarray, pd.Series))


def _range(value: Any, name: str) -> tuple[float, float]:
    try:
        low, high = (float(v) for v in value)
    except (TypeError, ValueError):
        raise EffectQueryError(
            f"A range for '{name}' needs two numbers (low, high), got {value!r}."
        ) from None
    return min(low, high), max(low, high)


def arm_samples(
    model: Any, query: EffectQuery, *, num_graphs: int = 20, num_samples: int = 2000, seed: int = 0
) -> pd.DataFrame:
    """Simulated outcomes under both arms, for plotting their distributions.

    Units are split between the distinct graphs in proportion to their weight. Returns a DataFrame
    with ``arm`` ("treated" / "control") and ``value`` (the outcome in user units; for a discrete
    outcome the probability of the chosen level given the simulated parents).
    """
    q = Query(model, query)
    draws = draw_graphs(model.graph_posterior_, num_graphs, seed)
    counts = np.maximum(np.round(draws.weights * num_samples).astype(int), 1)
    gen = torch.Generator(device=q.device).manual_seed(int(seed))
    parts = []
    for graph, count in zip(draws.graphs, counts, strict=True):
        adj = q.adjacency(graph)
        xa, xb = q.arms(q.sem.sample_noise(int(count), gen), adj)
        for arm, x in (("treated", xa), ("control", xb)):
            values = q.readout(x, adj, expected=True).double().cpu().numpy()
            parts.append(pd.DataFrame({"arm": arm, "value": values}))
    return pd.concat(parts, ignore_index=True)
