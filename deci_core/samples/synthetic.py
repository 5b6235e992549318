"""Nonlinear additive-noise SEMs with a known graph and Monte-Carlo ground-truth effects.

Used for the bundled sample datasets, the tests and the benchmarks. Each node computes

    continuous:  x_i = (f_i(x_pa) + s_i * eps_i - mu_i) / sd_i      (standardised: variance hides order)
    binary:      x_i = 1[u_i < sigmoid(f_i(x_pa))],  u_i ~ U(0, 1)
    categorical: x_i = argmax_k(f_ik(x_pa) + g_ik),   g_ik ~ Gumbel

with ``f_i = linear + tanh-MLP`` on the parents (categorical parents one-hot). Interventions
replace a node's mechanism by a constant; the noise is kept, so the two arms of an effect share
their random numbers and individual effects are exact.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from deci_core.effects.query import EffectQuery
from deci_core.graph.dag import topological_order

NOISE_KINDS = ("gaussian", "laplace", "uniform", "student", "bimodal", "mixed")
_HIDDEN = 8
_PILOT_ROWS = 20_000


def random_dag(
    d: int, edges_per_node: float, kind: str = "er", rng: np.random.Generator | None = None
) -> np.ndarray:
    """A random DAG as an int adjacency (d, d), ``A[i, j] = 1`` meaning i -> j, nodes shuffled.

    ``kind="er"``: Erdős–Rényi with about ``edges_per_node * d`` edges;
    ``kind="sf"``: scale-free (preferential attachment, each new node gets ``edges_per_node`` parents).
    """
    rng = rng or np.random.default_rng(0)
    adj = np.zeros((d, d), dtype=int)
    if kind == "er":
        p = min(1.0, 2.0 * edges_per_node / max(d - 1, 1))
        adj = np.triu((rng.random((d, d)) < p).astype(int), k=1)
    elif kind == "sf":
        m = max(1, int(round(edges_per_node)))
        for j in range(1, d):
            degree = adj.sum(0)[:j] + adj.sum(1)[:j] + 1.0
            parents = rng.choice(j, size=min(m, j), replace=False, p=degree / degree.sum())
            adj[parents, j] = 1
    else:
        raise ValueError(f"unknown graph kind {kind!r}: use 'er' or 'sf'")
    perm = rng.permutation(d)
    return adj[np.ix_(perm, perm)]


@dataclass
class _Mechanism:
    """f(parents) = inputs @ lin + tanh(inputs @ w1 + b1) @ w2 + bias; outputs (n, out)."""

    lin: np.ndarray
    w1: np.ndarray
    b1: np.ndarray
    w2: np.ndarray
    bias: np.ndarray

    def __call__(self, inputs: np.ndarray) -> np.ndarray:
        return inputs @ self.lin + np.tanh(inputs @ self.w1 + self.b1) @ self.w2 + self.bias


@dataclass
class SyntheticSEM:
    """A ground-truth SEM over named variables (see module docstring for the equations)."""

    names: list[str]
    adjacency: np.ndarray
    types: list[str]
    levels: list[tuple] = field(default_factory=list)
    noise: list[str] = field(default_factory=list)
    noise_scale: np.ndarray = field(default_factory=lambda: np.ones(0))
    mechanisms: list[_Mechanism] = field(default_factory=list)
    loc: np.ndarray = field(default_factory=lambda: np.zeros(0))
    scale: np.ndarray = field(default_factory=lambda: np.ones(0))

    @property
    def order(self) -> list[int]:
        return topological_order(self.adjacency)

    def edges(self) -> list[tuple[str, str]]:
        """True edges as (parent, child) name pairs."""
        return [(self.names[i], self.names[j]) for i, j in zip(*np.nonzero(self.adjacency), strict=True)]

    def sample_noise(self, n: int, rng: np.random.Generator) -> list[np.ndarray]:
        """Exogenous noise per node: (n,) for continuous/binary, (n, k) for categorical."""
        out = []
        for i, kind in enumerate(self.types):
            if kind == "binary":
                out.append(rng.random(n))
            elif kind == "categorical":
                out.append(rng.gumbel(size=(n, len(self.levels[i]))))
            else:
                out.append(_draw(self.noise[i], n, rng))
        return out

    def propagate(
        self, noise: list[np.ndarray], interventions: dict[str, object] | None = None
    ) -> pd.DataFrame:
        """Compute every node from the noise in topological order, with ``do(name=value)`` applied."""
        interventions = dict(interventions or {})
        n = len(noise[0])
        values: list[np.ndarray | None] = [None] * len(self.names)
        for i in self.order:
            name = self.names[i]
            if name in interventions:
                values[i] = self._constant(i, interventions[name], n)
                continue
            f = self.mechanisms[i](self._inputs(i, values, n))
            values[i] = self._emit(i, f, noise[i])
        return self._frame(values)

    def sample(
        self, n: int, rng: np.random.Generator, interventions: dict[str, object] | None = None
    ) -> pd.DataFrame:
        """n rows from the observational (or intervened) distribution."""
        return self.propagate(self.sample_noise(n, rng), interventions)

    def ate(self, query: EffectQuery, n: int = 200_000, seed: int = 0) -> float:
        """E[Y | do(T=a)] - E[Y | do(T=b)] by Monte Carlo with common noise (binary Y: change in P(Y=1))."""
        return float(self.individual_effects(query, n, seed)[1].mean())

    def individual_effects(
        self, query: EffectQuery, n: int = 200_000, seed: int = 0
    ) -> tuple[pd.DataFrame, np.ndarray]:
        """Observational rows and each row's exact effect Y(a) - Y(b) under its own noise."""
        noise = self.sample_noise(n, np.random.default_rng(seed))
        rows = self.propagate(noise)
        t, y = query.treatment, query.outcome
        treated = self._numeric(self.propagate(noise, {t: query.treatment_value})[y], y)
        control = self._numeric(self.propagate(noise, {t: query.control_value})[y], y)
        return rows, treated - control

    def cate(
        self,
        query: EffectQuery,
        modifier: str,
        grid: np.ndarray,
        n: int = 200_000,
        seed: int = 0,
    ) -> np.ndarray:
        """E[Y(a) - Y(b) | modifier = g] for each grid value g, by local averaging of exact ITEs.

        For a discrete modifier the grid holds its levels and the average is exact per level; for a
        continuous one, rows within a window of 0.1 standard deviations around g are averaged.
        """
        rows, effects = self.individual_effects(query, n, seed)
        m = rows[modifier]
        if self.types[self.names.index(modifier)] != "continuous":
            return np.array([effects[(m == g).to_numpy()].mean() for g in grid])
        half_width = 0.1 * m.std()
        return np.array([effects[(np.abs(m - g) <= half_width).to_numpy()].mean() for g in grid])

    def _inputs(self, i: int, values: list, n: int) -> np.ndarray:
        parts = [self._features(j, values[j]) for j in np.flatnonzero(self.adjacency[:, i])]
        return np.concatenate(parts, axis=1) if parts else np.zeros((n, 0))

    def _features(self, j: int, value: np.ndarray) -> np.ndarray:
        if self.types[j] == "categorical":
            codes = pd.Categorical(value, categories=self.levels[j]).codes
            return np.eye(len(self.levels[j]))[codes]
        if self.types[j] == "binary":
            return (value == self.levels[j][1]).astype(float)[:, None]
        return value.astype(float)[:, None]

    def _emit(self, i: int, f: np.ndarray, noise: np.ndarray) -> np.ndarray:
        kind = self.types[i]
        if kind == "binary":
            ones = noise < 1.0 / (1.0 + np.exp(-f[:, 0]))
            return np.asarray(self.levels[i], dtype=object)[ones.astype(int)]
        if kind == "categorical":
            return np.asarray(self.levels[i], dtype=object)[(f + noise).argmax(1)]
        return (f[:, 0] + self.noise_scale[i] * noise - self.loc[i]) / self.scale[i]

    def _constant(self, i: int, value: object, n: int) -> np.ndarray:
        if self.types[i] == "continuous":
            return np.full(n, float(value))
        if self.types[i] == "binary" and value not in self.levels[i] and float(value) in (0.0, 1.0):
            value = self.levels[i][int(float(value))]
        if value not in self.levels[i]:
            raise ValueError(f"{self.names[i]!r} has no level {value!r}; levels are {self.levels[i]}")
        return np.full(n, value, dtype=object)

    def _numeric(self, col: pd.Series, name: str) -> np.ndarray:
        i = self.names.index(name)
        if self.types[i] == "binary":
            return (col == self.levels[i][1]).to_numpy(dtype=float)
        if self.types[i] == "categorical":
            raise ValueError(f"effects on categorical {name!r}: compare one level's probability instead")
        return col.to_numpy(dtype=float)

    def _frame(self, values: list) -> pd.DataFrame:
        frame = pd.DataFrame({name: v for name, v in zip(self.names, values, strict=True)})
        for i, kind in enumerate(self.types):
            if kind != "continuous" and all(isinstance(level, (int, np.integer)) for level in self.levels[i]):
                frame[self.names[i]] = frame[self.names[i]].astype(int)
        return frame


def _draw(kind: str, n: int, rng: np.random.Generator) -> np.ndarray:
    """Unit-variance noise of the given kind."""
    if kind == "gaussian":
        return rng.standard_normal(n)
    if kind == "laplace":
        return rng.laplace(scale=1 / np.sqrt(2), size=n)
    if kind == "uniform":
        return rng.uniform(-np.sqrt(3), np.sqrt(3), size=n)
    if kind == "student":
        return rng.standard_t(5, size=n) / np.sqrt(5 / 3)
    if kind == "bimodal":
        return (rng.choice([-1.0, 1.0], size=n) * 0.9 + 0.45 * rng.standard_normal(n)) / np.sqrt(
            0.81 + 0.2025
        )
    raise ValueError(f"unknown noise kind {kind!r}: use one of {NOISE_KINDS}")


def sem_from_edges(
    names: list[str],
    edges: list[tuple[str, str]],
    types: dict[str, str] | None = None,
    levels: dict[str, tuple] | None = None,
    noise: str = "gaussian",
    seed: int = 0,
    nonlinearity: float = 1.0,
) -> SyntheticSEM:
    """A random nonlinear SEM on a given named graph.

    Args:
        names: variable names, in column order.
        edges: (parent, child) pairs; must form a DAG.
        types: name -> "continuous" | "binary" | "categorical" (default continuous).
        levels: name -> levels for binary/categorical variables (default (0, 1) / ("a", "b", "c")).
        noise: one of NOISE_KINDS; "mixed" picks a non-Gaussian kind per node.
        seed: fixes weights, noise kinds and the standardisation.
        nonlinearity: weight of the tanh-MLP part relative to the linear part.
    """
    rng = np.random.default_rng(seed)
    index = {n: i for i, n in enumerate(names)}
    adj = np.zeros((len(names), len(names)), dtype=int)
    for parent, child in edges:
        adj[index[parent], index[child]] = 1
    types = types or {}
    kinds = [types.get(n, "continuous") for n in names]
    default_levels = {"binary": (0, 1), "categorical": ("a", "b", "c"), "continuous": ()}
    level_list = [tuple((levels or {}).get(n, default_levels[k])) for n, k in zip(names, kinds, strict=True)]
    non_gaussian = ["laplace", "uniform", "student", "bimodal"]
    noise_kinds = [rng.choice(non_gaussian) if noise == "mixed" else noise for _ in names]
    sem = SyntheticSEM(
        names, adj, kinds, level_list, [str(k) for k in noise_kinds], rng.uniform(0.5, 1.0, size=len(names))
    )
    sem.mechanisms = [_random_mechanism(sem, i, rng, nonlinearity) for i in range(len(names))]
    _fit_standardisation(sem, rng)
    return sem


def random_nonlinear_sem(
    d: int,
    edges_per_node: float = 1.0,
    graph_kind: str = "er",
    noise: str = "gaussian",
    seed: int = 0,
    nonlinearity: float = 1.0,
) -> SyntheticSEM:
    """A random continuous nonlinear SEM on a random DAG, variables named x0 ... x{d-1}."""
    adj = random_dag(d, edges_per_node, graph_kind, np.random.default_rng(seed))
    names = [f"x{i}" for i in range(d)]
    edges = [(names[i], names[j]) for i, j in zip(*np.nonzero(adj), strict=True)]
    return sem_from_edges(names, edges, noise=noise, seed=seed + 1, nonlinearity=nonlinearity)


def _random_mechanism(sem: SyntheticSEM, i: int, rng: np.random.Generator, nonlinearity: float) -> _Mechanism:
    width = sum(
        len(sem.levels[j]) if sem.types[j] == "categorical" else 1
        for j in np.flatnonzero(sem.adjacency[:, i])
    )
    out = len(sem.levels[i]) if sem.types[i] == "categorical" else 1
    signs = rng.choice([-1.0, 1.0], size=(width, out))
    lin = signs * rng.uniform(0.5, 1.2, size=(width, out)) / np.sqrt(max(width, 1))
    w1 = rng.normal(0.0, 1.5, size=(width, _HIDDEN))
    w2 = nonlinearity * rng.normal(0.0, 1.0, size=(_HIDDEN, out)) / np.sqrt(_HIDDEN)
    return _Mechanism(lin, w1, rng.normal(0.0, 0.5, size=_HIDDEN), w2, rng.normal(0.0, 0.3, size=out))


def _fit_standardisation(sem: SyntheticSEM, rng: np.random.Generator) -> None:
    """Set loc/scale so that every continuous node has mean 0 and variance 1 observationally."""
    d = len(sem.names)
    sem.loc, sem.scale = np.zeros(d), np.ones(d)
    noise = sem.sample_noise(_PILOT_ROWS, rng)
    values: list = [None] * d
    for i in sem.order:
        f = sem.mechanisms[i](sem._inputs(i, values, _PILOT_ROWS))
        raw = sem._emit(i, f, noise[i])
        if sem.types[i] == "continuous":
            sem.loc[i], sem.scale[i] = raw.mean(), raw.std() or 1.0
            raw = (raw - sem.loc[i]) / sem.scale[i]
        values[i] = raw
