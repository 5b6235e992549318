"""Time-series discovery benchmark (issue 15): DECI's temporal variant vs PCMCI+ and VARLiNGAM.

Data, all generated here (``deci_core.samples.timeseries``; pyEDM's Lorenz data is NOT used):
Lorenz-96 integrated by RK4 (step 0.01, observed every 0.1, observation noise sd 0.1), a linear
VAR(1) with an instantaneous DAG and uniform noise, and Rhino-style series (nonlinear lagged and
instantaneous mechanisms, history-dependent Gumbel noise, 50 series of 200 steps).

Scores: summary graph (i -> j at some lag, i != j) AUROC from each method's scores and F1 of its
graph; lagged (collapsed over lags >= 1, self edges included) and instantaneous (G[0], directed,
off-diagonal) AUROC and F1 where the truth has them. Scores: DECI, the edge probabilities
(threshold 0.5 for F1); PCMCI+ (ParCorr, pc_alpha 0.01), 1 - p-value and its graph (an unoriented
instantaneous link counts in both directions); VARLiNGAM, |coefficient| and its pruned graph
(series concatenated: it takes one series).

Run: ``.venv/bin/python bench/timeseries.py [--cases a,b] [--seconds 120] [--out FILE]``; one
process, one torch thread; prints one JSON line per case and method, and a Markdown table at the end.
DYNOTEARS (causalnex) is left out: causalnex needs Python < 3.11.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np
import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from deci_core import DECI, TrainingConfig  # noqa: E402
from deci_core.data.windows import TimeSeriesLayout  # noqa: E402
from deci_core.samples import timeseries as gen  # noqa: E402

CASES = {
    "l96_F10_d10_T250": (gen.lorenz96, dict(d=10, forcing=10.0, length=250), 1),
    "l96_F10_d10_T500": (gen.lorenz96, dict(d=10, forcing=10.0, length=500), 1),
    "l96_F10_d10_T1000_K3": (gen.lorenz96, dict(d=10, forcing=10.0, length=1000), 3),
    "l96_F10_d10_T1000": (gen.lorenz96, dict(d=10, forcing=10.0, length=1000), 1),
    "l96_F40_d10_T1000": (gen.lorenz96, dict(d=10, forcing=40.0, length=1000), 1),
    "l96_F10_d20_T1000": (gen.lorenz96, dict(d=20, forcing=10.0, length=1000), 1),
    "l96_F40_d20_T1000": (gen.lorenz96, dict(d=20, forcing=40.0, length=1000), 1),
    "var_d5_T1000": (gen.linear_var, dict(d=5, length=1000), 1),
    "var_d10_T1000": (gen.linear_var, dict(d=10, length=1000), 1),
    "rhino_d5": (gen.rhino_like, dict(d=5), 1),
    "rhino_d10": (gen.rhino_like, dict(d=10), 1),
    "rhino_d20": (gen.rhino_like, dict(d=20), 1),
}


def auroc(truth: np.ndarray, score: np.ndarray) -> float:
    """Area under the ROC curve (ties count half); NaN when one class is empty."""
    truth, score = np.asarray(truth, bool).ravel(), np.asarray(score, float).ravel()
    pos, neg = score[truth], score[~truth]
    if not len(pos) or not len(neg):
        return float("nan")
    greater = (pos[:, None] > neg[None, :]).sum() + 0.5 * (pos[:, None] == neg[None, :]).sum()
    return float(greater / (len(pos) * len(neg)))


def f1(truth: np.ndarray, pred: np.ndarray) -> float:
    truth, pred = np.asarray(truth, bool).ravel(), np.asarray(pred, bool).ravel()
    tp = (truth & pred).sum()
    return float(2 * tp / max(truth.sum() + pred.sum(), 1))


def scores_of(truth: np.ndarray, score: np.ndarray, pred: np.ndarray) -> dict[str, float]:
    """Summary, lagged and instantaneous AUROC / F1 (arrays (K+1, d, d), truth padded to K+1)."""
    k = max(truth.shape[0], score.shape[0])
    truth, score, pred = (
        np.concatenate([a, np.zeros((k - a.shape[0],) + a.shape[1:], a.dtype)]) for a in (truth, score, pred)
    )
    d = truth.shape[-1]
    off = ~np.eye(d, dtype=bool)
    out = {
        "summary_auroc": auroc(truth.any(0)[off], score.max(0)[off]),
        "summary_f1": f1(truth.any(0)[off], pred.any(0)[off]),
        "lagged_auroc": auroc(truth[1:].any(0), score[1:].max(0)),
        "lagged_f1": f1(truth[1:].any(0), pred[1:].any(0)),
    }
    if truth[0].any():
        out["inst_auroc"] = auroc(truth[0][off], score[0][off])
        out["inst_f1"] = f1(truth[0][off], pred[0][off])
    return out


def run_deci(df, lags: int, seconds: float, seed: int):
    config = TrainingConfig(seed=seed, preset="standard", max_seconds=seconds, num_threads=1)
    model = DECI(training_config=config).fit(df, time_series=TimeSeriesLayout("t", "series", lags=lags))
    probs = model.graph_posterior_.probs
    return probs, model.graph_posterior_.most_probable(), {"steps": model.fit_summary_.steps}


def _arrays(df) -> list[np.ndarray]:
    cols = [c for c in df.columns if c.startswith("x")]
    return [part[cols].to_numpy(float) for _, part in df.groupby("series", sort=True)]


def run_pcmci(df, lags: int, seconds: float, seed: int):
    from tigramite import data_processing as pp
    from tigramite.independence_tests.parcorr import ParCorr
    from tigramite.pcmci import PCMCI

    arrays = _arrays(df)
    if len(arrays) == 1:
        frame = pp.DataFrame(arrays[0])
    else:
        frame = pp.DataFrame({i: a for i, a in enumerate(arrays)}, analysis_mode="multiple")
    pcmci = PCMCI(dataframe=frame, cond_ind_test=ParCorr(), verbosity=0)
    res = pcmci.run_pcmciplus(tau_min=0, tau_max=lags, pc_alpha=0.01)
    graph, p = res["graph"], res["p_matrix"]  # (d, d, K+1): i at lag tau -> j
    score = np.transpose(1.0 - p, (2, 0, 1))
    pred = np.transpose(graph == "-->", (2, 0, 1))
    unoriented = (graph[:, :, 0] == "o-o") | (graph[:, :, 0] == "x-x")
    pred[0] |= unoriented
    return score, pred, {}


def run_varlingam(df, lags: int, seconds: float, seed: int):
    import lingam

    x = np.concatenate(_arrays(df))
    model = lingam.VARLiNGAM(lags=lags, criterion=None, prune=True, random_state=seed)
    model.fit(x)
    b = np.asarray(model.adjacency_matrices_)  # (K+1, d, d), b[tau][i, j]: x_j(t - tau) -> x_i(t)
    score = np.abs(b).transpose(0, 2, 1)
    return score, score > 0, {}


METHODS = {"DECI": run_deci, "PCMCI+": run_pcmci, "VARLiNGAM": run_varlingam}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", default=",".join(CASES))
    parser.add_argument("--methods", default=",".join(METHODS))
    parser.add_argument("--seconds", type=float, default=120.0, help="DECI's training budget per fit")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", default=str(ROOT / "bench" / "data" / "timeseries_results.jsonl"))
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    rows = []
    for case in args.cases.split(","):
        make, kwargs, lags = CASES[case]
        df, truth = make(seed=args.seed, **kwargs)
        for method in args.methods.split(","):
            start = time.perf_counter()
            try:
                score, pred, extra = METHODS[method](df, lags, args.seconds, args.seed)
                row = {**scores_of(truth, np.asarray(score, float), np.asarray(pred, bool)), **extra}
            except Exception as exc:  # noqa: BLE001 - a failing peer is reported, the run goes on
                row = {"error": f"{type(exc).__name__}: {exc}"}
            row = {
                "case": case,
                "method": method,
                "lags": lags,
                "seconds": round(time.perf_counter() - start, 1),
                **row,
            }
            print(json.dumps(row), flush=True)
            with out.open("a") as handle:
                handle.write(json.dumps(row) + "\n")
            rows.append(row)
    print(markdown(rows))
    return 0


def markdown(rows: list[dict]) -> str:
    keys = ["summary_auroc", "summary_f1", "lagged_auroc", "lagged_f1", "inst_auroc", "inst_f1", "seconds"]
    lines = ["| case | method | K | " + " | ".join(keys) + " |", "|" + " --- |" * (len(keys) + 3)]
    for r in rows:
        cells = [f"{r[k]:.2f}" if isinstance(r.get(k), float) else str(r.get(k, "—")) for k in keys]
        if "error" in r:
            cells = [r["error"][:60]] + [""] * (len(keys) - 1)
        lines.append(f"| {r['case']} | {r['method']} | {r['lags']} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


if __name__ == "__main__":
    raise SystemExit(main())
