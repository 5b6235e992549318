"""Trust benchmark (issue 18): refutations, hidden-confounder sensitivity and stability over refits.

Small synthetic suite, one torch thread, bounded (the 2-core machine is shared with other work, so
wall times are indicative only):

1. ``refute``: SEMs with a known graph (d = 5, random DAG, linear or tanh mechanisms, Gaussian or
   uniform noise, n = 1,000); the model is the SEM fitted on the true graph (FixedGraphModel), the
   question a pair with a directed path. Reported: share of cases whose placebo (and dummy outcome)
   is within its 95% interval of 0, per estimator; |relative change| of the random common cause.
2. ``sensitivity``: linear SEMs with a planted hidden confounder u of varying strength and a true
   effect of either sign; the analysis sees the data without u. A case is right when u (its actual
   partial R² with treatment and outcome) lies beyond the zero line exactly when adjusting for u
   moves the estimate by at least its own size (u could explain it away, whichever way it pushes).
3. ``stability``: discovery (quick preset, 10 s cap) on bootstrap resamples: edge-frequency AUROC
   against the true graph beside the posterior's edge probabilities (one full-data fit), and the wall
   time of 8 runs on the local process pool (1 worker on 2 cores) vs a local 2-worker Ray cluster.

    python bench/trust.py [--part refute|sensitivity|stability|all] [--cases 8]

Prints a markdown section for bench/RESULTS.md ("## Trust").
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from deci_core.config import ModelConfig, TrainingConfig  # noqa: E402
from deci_core.effects.query import EffectQuery  # noqa: E402
from deci_core.effects.refute import refute  # noqa: E402
from deci_core.effects.sensitivity import partial_r2, sensitivity  # noqa: E402
from deci_core.fixed_graph import FixedGraphModel  # noqa: E402
from deci_core.graph.dag import has_path  # noqa: E402
from deci_core.local_ray import local_ray_head  # noqa: E402
from deci_core.model import DECI  # noqa: E402
from deci_core.stability import LocalPool, RayCluster, stability  # noqa: E402
from deci_core.training.fixed_graph import point_posterior  # noqa: E402

NAMES = [f"x{i}" for i in range(5)]


def random_sem(seed: int, n: int = 1000, kind: str = "linear", noise: str = "gaussian", d: int = 5):
    """A random DAG (edge probability 0.5 in a random order) and a table drawn from it."""
    rng = np.random.default_rng(seed)
    order = rng.permutation(d)
    adj = np.zeros((d, d), dtype=bool)
    for a in range(d):
        for b in range(a + 1, d):
            if rng.random() < 0.5:
                adj[order[a], order[b]] = True
    x = np.zeros((n, d))
    for j in order:
        z = rng.normal(size=n) if noise == "gaussian" else rng.uniform(-1.7, 1.7, n)
        parents = np.flatnonzero(adj[:, j])
        value = z
        for p in parents:
            w = rng.choice([-1, 1]) * rng.uniform(0.5, 1.5)
            value = value + (w * x[:, p] if kind == "linear" else 1.5 * np.tanh(w * x[:, p]))
        x[:, j] = (value - value.mean()) / value.std()
    return pd.DataFrame(x, columns=[f"x{i}" for i in range(d)]), adj


def _pair(adj: np.ndarray, rng: np.random.Generator) -> tuple[int, int] | None:
    pairs = [(i, j) for i in range(len(adj)) for j in range(len(adj)) if i != j and has_path(adj, i, j)]
    return pairs[rng.integers(len(pairs))] if pairs else None


def bench_refute(cases: int) -> list[str]:
    rows, start = [], time.perf_counter()
    kinds = [("linear", "gaussian"), ("tanh", "uniform")]
    seed = 0
    while len(rows) < cases:
        kind, noise = kinds[len(rows) % 2]
        df, adj = random_sem(seed, kind=kind, noise=noise)
        pair = _pair(adj, np.random.default_rng(seed))
        seed += 1
        if pair is None:
            continue
        t, y = (NAMES[i] for i in pair)
        model = FixedGraphModel(ModelConfig(noise="spline"), TrainingConfig(seed=0)).fit(df, adj)
        report = refute(model, df, EffectQuery(t, y, 1.0, 0.0), subsets=3)
        rows.append((kind, noise, t, y, report))
        print(
            f"refute case {len(rows)}: {kind}/{noise} {t}->{y}: {report.summary_sentence()}", file=sys.stderr
        )
    seconds = time.perf_counter() - start
    out = ["### Refutations on correct models", ""]
    out.append(
        f"{len(rows)} cases (d = 5, n = 1,000, half linear-Gaussian, half tanh-uniform), "
        f"{seconds:.0f} s in all ({seconds / len(rows):.0f} s per case: 7 SEM refits + 7 DR fits)."
    )
    out += [
        "",
        "| estimator | placebo within 95% of 0 | dummy outcome within 95% of 0 | random common cause "
        "median / max relative change | data subset passed |",
        "| --- | --- | --- | --- | --- |",
    ]
    for est in ("sem", "dr"):
        got = [{r.name: r for r in rep.refutations if r.estimator == est} for *_, rep in rows]
        placebo = np.mean([g["placebo treatment"].passed for g in got])
        dummy = np.mean([g["dummy outcome"].passed for g in got])
        moves = [
            abs(g["random common cause"].new - g["random common cause"].original)
            / max(abs(g["random common cause"].original), 1e-9)
            for g in got
        ]
        subset = np.mean([g["data subset"].passed for g in got])
        out.append(
            f"| {est.upper()} | {placebo:.0%} | {dummy:.0%} | {np.median(moves):.1%} / {np.max(moves):.1%} "
            f"| {subset:.0%} |"
        )
    return out


def bench_sensitivity(cases: int) -> list[str]:
    right, lines = 0, []
    for k in range(cases):
        rng = np.random.default_rng(100 + k)
        n = 2000
        gamma = [0.3, 0.6, 1.0, 1.5][k % 4]
        tau = [0.5, -0.3][k % 2]
        u, w = rng.normal(size=n), rng.normal(size=n)
        t = 0.5 * w + gamma * u + rng.normal(size=n)
        y = tau * t + 0.5 * w + gamma * u + rng.normal(size=n)
        df = pd.DataFrame({"w": w, "t": t, "y": y})
        model = _Model(df, [("w", "t"), ("w", "y"), ("t", "y")])
        s = sensitivity(model, df, EffectQuery("t", "y", 1.0, 0.0))
        ones = np.ones((n, 1))
        r2dz = partial_r2(t, u[:, None], np.hstack([ones, w[:, None]]))
        r2yz = partial_r2(y, u[:, None], np.hstack([ones, w[:, None], t[:, None]]))
        beyond = float(s.zero_line(np.array([r2dz]))[0]) < r2yz
        full = np.linalg.lstsq(np.column_stack([ones, t, w, u]), y, rcond=None)[0][1]
        explains = abs(full - s.estimate) >= abs(s.estimate)  # u moves it by at least its size
        right += beyond == explains
        lines.append(
            f"| {gamma} | {tau:+} | {s.estimate:+.3f} | {full:+.3f} | {r2dz:.2f} / {r2yz:.2f} | "
            f"{s.robustness_value:.2f} | {'beyond' if beyond else 'inside'} | "
            f"{'yes' if beyond == explains else 'NO'} |"
        )
    return [
        "### Sensitivity: planted hidden confounders",
        "",
        f"{right} of {cases} cases on the correct side of the zero line (linear SEM, n = 2,000; u hidden "
        "from the analysis; truth: the OLS estimate with u).",
        "",
        "| confounding γ | true effect | estimate without u | with u | u's partial R² (t / y) | RV "
        "| u vs zero line | correct |",
        "| --- | --- | --- | --- | --- | --- | --- | --- |",
        *lines,
    ]


class _Model:
    def __init__(self, df, edges):
        from deci_core.data.encoder import TableEncoder
        from deci_core.data.schema import infer_schema

        names = list(df.columns)
        adj = np.zeros((len(names), len(names)), dtype=bool)
        for a, b in edges:
            adj[names.index(a), names.index(b)] = True
        self.encoder_ = TableEncoder.fit(df, infer_schema(df))
        self.graph_posterior_ = point_posterior(names, adj)


def _auroc(scores: np.ndarray, truth: np.ndarray) -> float:
    mask = ~np.eye(len(truth), dtype=bool)
    s, t = scores[mask], truth[mask]
    pos, neg = s[t], s[~t]
    if not len(pos) or not len(neg):
        return float("nan")
    return float(((pos[:, None] > neg[None, :]) + 0.5 * (pos[:, None] == neg[None, :])).mean())


def bench_stability(datasets: int, runs: int = 8) -> list[str]:
    config = TrainingConfig(seed=0, preset="quick", max_seconds=10, num_threads=1)
    lines, timing = [], []
    for k in range(datasets):
        df, adj = random_sem(200 + k, n=1000, kind="tanh", noise="uniform")
        ref = DECI(ModelConfig(), config).fit(df)
        result = stability(df, runs=runs, training_config=config, seed=k, executor=LocalPool())
        timing.append(("local pool", result.seconds, sum(result.run_seconds), LocalPool().workers))
        freq_auc = _auroc(result.adjacencies.mean(0), adj)
        post_auc = _auroc(np.asarray(ref.graph_posterior_.probs), adj)
        lines.append(f"| {k} | {int(adj.sum())} | {freq_auc:.2f} | {post_auc:.2f} | {result.seconds:.0f} |")
        print(
            f"stability dataset {k}: frequency AUROC {freq_auc:.2f}, posterior {post_auc:.2f}",
            file=sys.stderr,
        )
        if k == 0:
            with local_ray_head() as address:
                ray_result = stability(
                    df, runs=runs, training_config=config, seed=k, executor=RayCluster(address)
                )
            timing.append(("Ray, 2 workers", ray_result.seconds, sum(ray_result.run_seconds), 2))
    out = [
        "### Stability over refits",
        "",
        f"{runs} quick discovery runs (10 s cap each) on bootstrap resamples; d = 5 tanh/uniform SEMs, "
        "n = 1,000. "
        "AUROC of the edge frequency (and of one full-data fit's posterior probabilities) against the "
        "true directed edges.",
        "",
        "| dataset | true edges | edge-frequency AUROC | posterior AUROC | wall s (local pool) |",
        "| --- | --- | --- | --- | --- |",
        *lines,
        "",
        "| executor | wall s for the set | sum of per-run s | workers | overhead per task s |",
        "| --- | --- | --- | --- | --- |",
    ]
    for name, wall, total, workers in timing:
        overhead = (wall * workers - total) / runs
        out.append(f"| {name} | {wall:.0f} | {total:.0f} | {workers} | {overhead:.1f} |")
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--part", choices=("refute", "sensitivity", "stability", "all"), default="all")
    parser.add_argument("--cases", type=int, default=8)
    parser.add_argument("--datasets", type=int, default=2)
    args = parser.parse_args()
    torch.set_num_threads(1)
    out = ["## Trust (issue 18)", ""]
    if args.part in ("refute", "all"):
        out += bench_refute(args.cases) + [""]
    if args.part in ("sensitivity", "all"):
        out += bench_sensitivity(args.cases) + [""]
    if args.part in ("stability", "all"):
        out += bench_stability(args.datasets) + [""]
    print("\n".join(out))


if __name__ == "__main__":
    main()
