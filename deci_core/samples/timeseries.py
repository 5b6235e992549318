"""Synthetic time series with known temporal graphs (tests and the benchmark).

Each generator returns ``(df, truth)``: a long table with columns ``series``, ``t`` and the
variables ``x0..x{d-1}``, and the true temporal graph (K+1, d, d) bool (``truth[tau, i, j]`` for
``x_{t-tau}^i -> x_t^j``; for Lorenz-96, the lag-1 slot holds the ODE's dependencies).

- :func:`lorenz96`: dx_i/dt = (x_{i+1} - x_{i-2}) x_{i-1} - x_i + F, integrated by RK4 with step
  0.01 and observed every 0.1 time units, with small Gaussian observation noise.
- :func:`linear_var`: x_t = B0 x_t + A1 x_{t-1} + e with an instantaneous DAG B0, uniform noise.
- :func:`rhino_like`: nonlinear lagged and instantaneous mechanisms and history-dependent noise
  (scale set by the lagged parents), many short series.
- :func:`lagged_chain`: x0 -> x1 -> x2, each at lag 1, plus self lags (the smoke test's truth).
"""

from __future__ import annotations

import numpy as np
import pandas as pd


def _frame(values: np.ndarray) -> pd.DataFrame:
    """(S, T, d) -> long table series, t, x0.."""
    s, t, d = values.shape
    df = pd.DataFrame(values.reshape(s * t, d), columns=[f"x{i}" for i in range(d)])
    df.insert(0, "t", np.tile(np.arange(t), s))
    df.insert(0, "series", np.repeat([f"s{i}" for i in range(s)], t))
    return df


def lorenz96(
    d: int = 10,
    forcing: float = 10.0,
    length: int = 1000,
    seed: int = 0,
    noise: float = 0.1,
    dt: float = 0.01,
    every: float = 0.1,
    burn_in: int = 500,
) -> tuple[pd.DataFrame, np.ndarray]:
    """One Lorenz-96 series of ``length`` observations (see the module docstring)."""
    rng = np.random.default_rng(seed)
    x = forcing + rng.normal(0, 0.01, d)

    def deriv(v: np.ndarray) -> np.ndarray:
        return (np.roll(v, -1) - np.roll(v, 2)) * np.roll(v, 1) - v + forcing

    sub = int(round(every / dt))
    out = np.empty((burn_in + length, d))
    for k in range(burn_in + length):
        for _ in range(sub):
            k1 = deriv(x)
            k2 = deriv(x + dt / 2 * k1)
            k3 = deriv(x + dt / 2 * k2)
            k4 = deriv(x + dt * k3)
            x = x + dt / 6 * (k1 + 2 * k2 + 2 * k3 + k4)
        out[k] = x
    obs = out[burn_in:] + rng.normal(0, noise, (length, d))
    truth = np.zeros((2, d, d), dtype=bool)
    for i in range(d):
        for j in (i - 2, i - 1, i, i + 1):
            truth[1, j % d, i] = True
    return _frame(obs[None]), truth


def _random_dag(d: int, p: float, rng: np.random.Generator) -> np.ndarray:
    perm = rng.permutation(d)
    upper = np.triu(rng.random((d, d)) < p, 1)
    return upper[np.ix_(np.argsort(perm), np.argsort(perm))]


def linear_var(
    d: int = 5, length: int = 1000, seed: int = 0, edge_prob: float | None = None
) -> tuple[pd.DataFrame, np.ndarray]:
    """One linear VAR(1) series with instantaneous effects and uniform noise."""
    rng = np.random.default_rng(seed)
    p = edge_prob if edge_prob is not None else min(1.0, 2.0 / d)
    b0 = _random_dag(d, p, rng)
    a1 = (rng.random((d, d)) < p) & ~np.eye(d, dtype=bool)
    w0 = b0 * rng.choice([-1, 1], (d, d)) * rng.uniform(0.5, 1.0, (d, d))
    w1 = a1 * rng.choice([-1, 1], (d, d)) * rng.uniform(0.3, 0.5, (d, d)) + np.diag(rng.uniform(0.3, 0.5, d))
    w1 *= 0.9 / max(1.0, np.abs(np.linalg.eigvals(w1 @ np.linalg.inv(np.eye(d) - w0))).max())
    inv = np.linalg.inv(np.eye(d) - w0)  # x = (x A1 + e) (I - B0)^{-1}, row-vector convention
    x = np.zeros((length + 100, d))
    for k in range(1, length + 100):
        x[k] = (x[k - 1] @ w1 + rng.uniform(-1, 1, d)) @ inv
    truth = np.stack([b0, (w1 != 0)])
    return _frame(x[100:][None]), truth


def rhino_like(
    d: int = 5, num_series: int = 50, length: int = 200, seed: int = 0, lags: int = 1
) -> tuple[pd.DataFrame, np.ndarray]:
    """Nonlinear lagged + instantaneous mechanisms with history-dependent noise, many series."""
    rng = np.random.default_rng(seed)
    p = min(1.0, 1.5 / d)
    b0 = _random_dag(d, p, rng)
    lagged = (rng.random((lags, d, d)) < p) & ~np.eye(d, dtype=bool)[None]
    lagged[0] |= np.eye(d, dtype=bool)  # every variable remembers its own past
    truth = np.concatenate([b0[None], lagged])
    w = rng.uniform(0.5, 1.2, truth.shape) * rng.choice([-1, 1], truth.shape) * truth
    wn = rng.uniform(0.3, 0.8, lagged.shape) * rng.choice([-1, 1], lagged.shape) * lagged
    order = np.argsort(_depth(b0))
    x = np.zeros((num_series, length + 50 + lags, d))
    for k in range(lags, x.shape[1]):
        past = x[:, k - lags : k][:, ::-1]  # (S, K, d) lag-first
        lag_in = np.einsum("skd,kde->se", past, w[1:])
        scale = 0.2 + np.log1p(np.exp(np.einsum("skd,kde->se", past, wn) - 0.5))
        eps = rng.gumbel(0, 1, (num_series, d)) - 0.5772
        for j in order:
            inst = x[:, k] @ w[0][:, j]
            x[:, k, j] = 0.6 * np.tanh(lag_in[:, j]) * 2 + np.sin(inst) * 1.0 + 0.5 * scale[:, j] * eps[:, j]
    return _frame(x[:, 50 + lags :]), truth


def lagged_chain(length: int = 600, seed: int = 0, num_series: int = 4) -> tuple[pd.DataFrame, np.ndarray]:
    """x0 -> x1 -> x2 at lag 1 (x0 autoregressive), Gaussian noise; several series."""
    rng = np.random.default_rng(seed)
    x = np.zeros((num_series, length + 20, 3))
    for k in range(1, x.shape[1]):
        e = rng.normal(0, 0.5, (num_series, 3))
        x[:, k, 0] = 0.7 * x[:, k - 1, 0] + e[:, 0]
        x[:, k, 1] = 1.2 * np.tanh(x[:, k - 1, 0]) + e[:, 1]
        x[:, k, 2] = 1.2 * np.tanh(x[:, k - 1, 1]) + e[:, 2]
    truth = np.zeros((2, 3, 3), dtype=bool)
    truth[1, 0, 0] = truth[1, 0, 1] = truth[1, 1, 2] = True
    return _frame(x[:, 20:]), truth


def _depth(dag: np.ndarray) -> np.ndarray:
    d = dag.shape[0]
    depth = np.zeros(d, dtype=int)
    for _ in range(d):
        depth = np.maximum(depth, (dag * (depth[:, None] + 1)).max(0))
    return depth


TS_SAMPLES: dict[str, str] = {
    "weekly_sales": "Shops by week: price, ads and sales (time series, 4 shops × 104 weeks)",
}
"""Time-series samples the app offers (generated on load, seeded), name -> title."""


def weekly_sales(num_series: int = 4, length: int = 104, seed: int = 0) -> tuple[pd.DataFrame, np.ndarray]:
    """Shops by week: ``price`` and ``ads`` remember their own past; ads last week raise sales this
    week, the price this week lowers them (instantaneous), and sales carry over (lag 1).

    Returns a long table ``shop, week, price, ads, sales`` (price in currency units, ads in thousands,
    sales in units) and the truth (2, 3, 3) over ``price, ads, sales``.
    """
    rng = np.random.default_rng(seed)
    x = np.zeros((num_series, length + 20, 3))
    x[:, 0] = (10.0, 5.0, 100.0)
    for k in range(1, x.shape[1]):
        e = rng.normal(0, 1, (num_series, 3))
        price, ads, sales = x[:, k - 1].T
        x[:, k, 0] = 10 + 0.7 * (price - 10) + 0.5 * e[:, 0]
        x[:, k, 1] = 5 + 0.6 * (ads - 5) + 1.0 * e[:, 1]
        x[:, k, 2] = 40 + 0.5 * sales + 4.0 * ads - 3.0 * x[:, k, 0] + 2.0 * e[:, 2]
    values = x[:, 20:]
    df = pd.DataFrame(
        {
            "shop": np.repeat([f"shop {i + 1}" for i in range(num_series)], length),
            "week": np.tile(np.arange(1, length + 1), num_series),
            "price": values[..., 0].reshape(-1).round(2),
            "ads": values[..., 1].reshape(-1).round(2),
            "sales": values[..., 2].reshape(-1).round(1),
        }
    )
    truth = np.zeros((2, 3, 3), dtype=bool)
    truth[0, 0, 2] = True  # price_t -> sales_t
    truth[1, 0, 0] = truth[1, 1, 1] = truth[1, 2, 2] = True  # self lags
    truth[1, 1, 2] = True  # ads_{t-1} -> sales_t
    return df, truth


def load_ts_sample(name: str) -> pd.DataFrame:
    """A time-series sample's table (see :data:`TS_SAMPLES`)."""
    if name != "weekly_sales":
        raise ValueError(f"Unknown time-series sample '{name}': choose one of {list(TS_SAMPLES)}.")
    return weekly_sales()[0]
