"""Speed of effect queries on a realistic table: `python bench/effects_speed.py [--profile]`.

A random nonlinear SEM with 60 variables (8 binary, 2 categorical, the rest continuous), 5,000 rows,
its SEM fitted briefly on the true graph (speed does not depend on the fit), and a graph posterior
that puts 0.85 on the true edges and 0.05 on 60 others, so 20 draws give ~20 distinct graphs, as a
discovered posterior does. Measures: per-row effects (``ite``), an ATE query at d = 60 and d = 50
(with the finite-data term, as the app and CLI run it), and the doubly robust estimate (EconML,
3 learners) on the 5,000 rows. ``--profile`` prints the top functions of each under cProfile.
"""

from __future__ import annotations

import argparse
import copy
import cProfile
import pstats
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from deci_core.config import ModelConfig, TrainingConfig  # noqa: E402
from deci_core.effects import EffectQuery, average_effect, doubly_robust, individual_effects  # noqa: E402
from deci_core.fixed_graph import FixedGraphModel  # noqa: E402
from deci_core.graph.dag import descendants  # noqa: E402
from deci_core.graph.posterior import GraphPosterior  # noqa: E402
from deci_core.samples.synthetic import random_nonlinear_sem  # noqa: E402


def mixed_table(d: int, n: int, seed: int = 3) -> tuple[pd.DataFrame, np.ndarray]:
    """A d-variable SEM sample; 8 continuous columns made binary and 2 categorical by thresholds
    (the graph stays the SEM's; the types are what the speed depends on)."""
    sem = random_nonlinear_sem(d, 2.0, "er", "gaussian", seed=seed)
    df = sem.sample(n, np.random.default_rng(0))
    names = list(df.columns)
    for name in names[1:9]:
        df[name] = np.where(df[name] > df[name].median(), "yes", "no")
    for name in names[9:11]:
        df[name] = pd.cut(df[name], 3, labels=["low", "mid", "high"]).astype(str)
    return df, sem.adjacency


def spread_posterior(names: list[str], adj: np.ndarray, seed: int = 0) -> GraphPosterior:
    rng = np.random.default_rng(seed)
    d = len(names)
    probs = adj * 0.85
    order = np.argsort(np.argsort(-adj.sum(0)))  # any fixed order; extra edges only forward in it
    candidates = [(i, j) for i in range(d) for j in range(d) if i != j and not adj[i, j] and not adj[j, i]]
    for k in rng.choice(len(candidates), size=min(60, len(candidates)), replace=False):
        i, j = candidates[k]
        if order[i] < order[j]:
            probs[i, j] = 0.05
    forbidden = (probs == 0) & ~np.eye(d, dtype=bool)
    return GraphPosterior(tuple(names), probs, forbidden, np.zeros((d, d), dtype=bool))


def timed(label: str, profile: bool, fn, *args, **kwargs) -> float:
    if profile:
        prof = cProfile.Profile()
        prof.enable()
    start, cpu = time.perf_counter(), time.process_time()
    fn(*args, **kwargs)
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    if profile:
        prof.disable()
        print(f"--- {label}: {seconds:.2f} s", file=sys.stderr)
        pstats.Stats(prof, stream=sys.stderr).sort_stats("cumulative").print_stats(18)
    return seconds, cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args()
    torch.set_num_threads(1)
    out = {}
    for d in (60, 50):
        df, adj = mixed_table(d, 5000)
        model = FixedGraphModel(ModelConfig(), TrainingConfig(seed=0)).fit(df, adj, steps=30)
        names = list(model.encoder_.names)
        discovered = copy.copy(model)
        discovered.graph_posterior_ = spread_posterior(names, adj)
        t = next(i for i in range(11, d) if descendants(adj, i)[11:].any())
        y = int(np.flatnonzero(descendants(adj, t))[-1])
        query = EffectQuery(names[t], names[y], 1.0, -1.0)
        if d == 60:
            out["ite"] = timed("ite", args.profile, individual_effects, discovered, df, query)
            # a binary treatment (columns 1-8) with a continuous descendant (columns 11 on)
            b = next(i for i in range(1, 9) if descendants(adj, i)[11:].any())
            below = np.flatnonzero(descendants(adj, b)[11:]) + 11
            q = EffectQuery(names[b], names[int(below[-1])], "yes", "no")
            out["dr"] = timed("dr", args.profile, doubly_robust, discovered, df, q)
        out[f"ate_d{d}"] = timed(
            f"ate d={d}", args.profile, average_effect, discovered, query, data_rows=len(df)
        )
    for key, (seconds, cpu) in out.items():
        print(f"{key}: {seconds:.2f} s wall, {cpu:.2f} s CPU")


if __name__ == "__main__":
    main()
