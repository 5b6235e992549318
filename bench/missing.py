"""Missing-values benchmark: DECI's own handling of gaps vs complete data, listwise deletion, mean
imputation and scikit-learn's IterativeImputer followed by DECI.

Synthetic suite: random nonlinear SEMs (``deci_core.samples.synthetic``, ER graphs, 2 edges per node,
mixed non-Gaussian noise, n = 2,000) at d = 10 and 20; in half of the columns (chosen at random)
10% or 30% of the cells are removed, MCAR (uniformly) or MAR (a cell's chance of being missing is a
logistic function of one always-observed column, slope 2 in standard deviations, the intercept set
so the share is exact in expectation). Real table: causaldata 0.1.5 ``thornton_hiv`` with its own
gaps (randomised incentive ``any`` -> learned result ``got``); read from the package's sdist, cached
under bench/data/ (``pip download --no-deps causaldata==0.1.5``).

Metrics: orientation F1 of the most probable graph, ATE error (absolute, in the outcome's standard
deviations) on one (ancestor, descendant) pair with a true effect above 0.1, imputation RMSE on the
removed cells (standard deviations; mean imputation, IterativeImputer, and the model's q mean), wall
seconds of the whole fit (imputation included). All fits single-threaded, one at a time.

Examples::

    python bench/missing.py --sizes 10 --seeds 1 --rows /tmp/missing.jsonl      # append rows
    python bench/missing.py --real --rows /tmp/missing.jsonl
    python bench/missing.py --rows /tmp/missing.jsonl --report --write           # table -> RESULTS.md
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tarfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

RESULTS = ROOT / "bench" / "RESULTS.md"
DATA = ROOT / "bench" / "data"
ROWS, A, B = 2000, 1.0, -1.0
METHODS = ("complete", "listwise", "mean", "iterative", "model")
SECTION = "## Missing values"


def dataset(d: int, seed: int):
    from deci_core.samples.synthetic import random_nonlinear_sem

    sem = random_nonlinear_sem(d, edges_per_node=2.0, graph_kind="er", noise="mixed", seed=seed)
    return sem, sem.sample(ROWS, np.random.default_rng(100 + seed))


def effect_pair(sem) -> tuple[str, str]:
    """The first (ancestor, descendant) pair in topological order with |true ATE| > 0.1."""
    from deci_core.effects import EffectQuery
    from deci_core.graph.dag import reachability

    reach = reachability(np.asarray(sem.adjacency, dtype=bool))
    for i in sem.order:
        for j in np.flatnonzero(reach[i]):
            if i != j and abs(sem.ate(EffectQuery(sem.names[i], sem.names[j], A, B), n=20_000)) > 0.1:
                return sem.names[i], sem.names[j]
    raise RuntimeError("no pair with an effect")  # pragma: no cover - every suite SEM has one


def remove_cells(df: pd.DataFrame, mechanism: str, rate: float, seed: int) -> pd.DataFrame:
    """Half the columns lose ``rate`` of their cells, MCAR or MAR on an always-observed column."""
    rng = np.random.default_rng(1000 + seed)
    names = list(df.columns)
    gappy = list(rng.choice(names, size=len(names) // 2, replace=False))
    drivers = [n for n in names if n not in gappy]
    out = df.copy()
    for name in gappy:
        if mechanism == "mcar":
            p = np.full(len(df), rate)
        else:
            driver = df[str(rng.choice(drivers))].to_numpy()
            z = 2.0 * (driver - driver.mean()) / driver.std()
            p = _logistic_with_mean(z, rate)
        out.loc[rng.random(len(df)) < p, name] = np.nan
    return out


def _logistic_with_mean(z: np.ndarray, rate: float) -> np.ndarray:
    low, high = -20.0, 20.0
    for _ in range(60):
        mid = (low + high) / 2
        if (1 / (1 + np.exp(-(z + mid)))).mean() < rate:
            low = mid
        else:
            high = mid
    return 1 / (1 + np.exp(-(z + low)))


def prepared(method: str, gappy: pd.DataFrame, complete: pd.DataFrame, schema, seed: int):
    """(table given to DECI, imputed table or None, seconds spent preparing it)."""
    start = time.perf_counter()
    if method == "complete":
        return complete, None, 0.0
    if method == "listwise":
        return gappy.dropna(), None, time.perf_counter() - start
    if method == "model":
        return gappy, None, 0.0
    if method == "mean":
        filled = gappy.fillna(gappy.mean(numeric_only=True))
    else:
        from sklearn.experimental import enable_iterative_imputer  # noqa: F401
        from sklearn.impute import IterativeImputer

        values = IterativeImputer(random_state=seed, max_iter=10).fit_transform(gappy.to_numpy(dtype=float))
        filled = pd.DataFrame(values, columns=gappy.columns, index=gappy.index)
    filled = _snap_discrete(filled, schema)
    return filled, filled, time.perf_counter() - start


def _snap_discrete(filled: pd.DataFrame, schema) -> pd.DataFrame:
    """Imputed binary cells to the nearer level (a regression imputer returns numbers in between)."""
    out = filled.copy()
    for spec in schema.modeled:
        if spec.type.value == "binary":
            lo, hi = (float(c) for c in spec.categories)
            out[spec.name] = np.where(out[spec.name] - lo < hi - out[spec.name], lo, hi)
    return out


def fit_one(
    method: str, gappy: pd.DataFrame, complete: pd.DataFrame, seed: int, budget: dict, constraints=None
):
    from deci_core.config import ModelConfig, TrainingConfig
    from deci_core.data.schema import infer_schema
    from deci_core.model import DECI

    schema = infer_schema(complete if method == "complete" else gappy)
    table, imputed, prep_seconds = prepared(method, gappy, complete, schema, seed)
    start = time.perf_counter()
    config = TrainingConfig(seed=seed, num_threads=1, **budget)
    model = DECI(ModelConfig(), config).fit(table, constraints, schema=schema)
    seconds = prep_seconds + time.perf_counter() - start
    if method == "model" and model.imputer_ is not None:
        x, observed = model.encoder_.encode_masked(gappy)
        imputed = model.encoder_.decode(model.imputer_.most_likely(x, observed))
        imputed.index = gappy.index
    return model, imputed, seconds, len(table)


def imputation_rmse(
    imputed: pd.DataFrame | None, gappy: pd.DataFrame, complete: pd.DataFrame
) -> float | None:
    if imputed is None:
        return None
    holes = gappy.isna().to_numpy()
    truth, guess = complete.to_numpy(dtype=float), imputed[complete.columns].to_numpy(dtype=float)
    return float(np.sqrt(np.mean((truth[holes] - guess[holes]) ** 2))) if holes.any() else None


def synthetic_rows(d: int, seed: int, budget: dict, settings: list[tuple[str, float]], sink) -> list[dict]:
    from discovery import scores

    from deci_core.effects import EffectQuery

    sem, complete = dataset(d, seed)
    t, y = effect_pair(sem)
    truth = sem.ate(EffectQuery(t, y, A, B))
    true_adj = np.asarray(sem.adjacency, dtype=bool)
    settings = [("none", 0.0), *settings]
    rows = []
    for mechanism, rate in settings:
        gappy = complete if mechanism == "none" else remove_cells(complete, mechanism, rate, seed)
        for method in ("complete",) if mechanism == "none" else METHODS[1:]:
            row = {"d": d, "seed": seed, "mechanism": mechanism, "rate": rate, "method": method, **budget}
            try:
                model, imputed, seconds, used = fit_one(method, gappy, complete, seed, budget)
                est = model.ate(t, y, A, B, seed=seed).value
                row.update(
                    orient_f1=scores(
                        model.graph_posterior_.most_probable(), np.zeros_like(true_adj), true_adj
                    )["orient_f1"],
                    ate_error=abs(est - truth),
                    rmse=imputation_rmse(imputed, gappy, complete),
                    seconds=round(seconds, 1),
                    steps=model.fit_summary_.steps,
                    rows_used=used,
                )
            except Exception as exc:  # noqa: BLE001 - a failed fit is a result (e.g. too few rows left)
                row["error"] = f"{type(exc).__name__}: {exc}"[:200]
            sink(row)
            rows.append(row)
    return rows


def thornton() -> pd.DataFrame:
    """causaldata 0.1.5's thornton_hiv, cached under bench/data/ (read from the package's sdist)."""
    DATA.mkdir(parents=True, exist_ok=True)
    cached = DATA / "thornton_hiv.csv"
    if not cached.exists():
        sdist = DATA / "causaldata-0.1.5.tar.gz"
        if not sdist.exists():
            subprocess.run(
                [sys.executable, "-m", "pip", "download", "--no-deps", "causaldata==0.1.5", "-d", str(DATA)],
                check=True,
            )
        with tarfile.open(sdist) as tar:
            member = tar.extractfile("causaldata-0.1.5/causaldata/thornton_hiv/thornton_hiv.dta")
            pd.read_stata(member).to_csv(cached, index=False)
    return pd.read_csv(cached)


def real_rows(budget: dict, seeds: int, sink) -> list[dict]:
    """thornton_hiv: each method's ATE of `any` on `got` next to the randomised difference in means.

    `any` is declared a root (it was randomised): what an analyst would tell the model. Without it,
    every method's graph had `got -> any` or no edge (ATE 0) in our first run.
    """
    from deci_core.constraints import Constraints

    df = thornton().drop(columns=["villnum"])
    seen = df.dropna(subset=["any", "got"])
    reference = float(seen.loc[seen["any"] == 1, "got"].mean() - seen.loc[seen["any"] == 0, "got"].mean())
    rows = []
    for seed in range(seeds):
        for method in METHODS[1:]:
            row = {
                "d": "thornton_hiv",
                "seed": seed,
                "mechanism": "own",
                "rate": float(df.isna().mean().mean()),
            }
            row.update(method=method, reference=reference, roots="any", **budget)
            try:
                model, _, seconds, used = fit_one(method, df, df, seed, budget, Constraints(roots=("any",)))
                est = model.ate("any", "got", 1, 0, seed=seed).value
                probs = model.graph_posterior_.edge_probs
                row.update(
                    ate=est,
                    ate_error=abs(est - reference),
                    edge_any_got=float(probs.loc["any", "got"]),
                    seconds=round(seconds, 1),
                    rows_used=used,
                )
            except Exception as exc:  # noqa: BLE001
                row["error"] = f"{type(exc).__name__}: {exc}"[:200]
            sink(row)
            rows.append(row)
    return rows


def _median(values: list, fmt: str = ".2f") -> str:
    values = [v for v in values if v is not None]
    return f"{statistics.median(values):{fmt}}" if values else "–"


def _budgets(rows: list[dict]) -> str:
    """The fits' budgets in words, from the rows' own settings."""
    seen = sorted({(r.get("preset"), r.get("max_steps"), r.get("max_seconds")) for r in rows}, key=str)
    return "; ".join(
        f"preset {preset}, {f'{steps:,} steps' if steps else 'its steps'}, "
        f"{f'{seconds:.0f} s cap' if seconds else 'its time cap'}"
        for preset, steps, seconds in seen
    )


def report(rows: list[dict]) -> str:
    synthetic = [r for r in rows if r["d"] != "thornton_hiv" and "error" not in r]
    lines = [
        SECTION,
        "",
        f"`bench/missing.py` (one process, single-threaded fits, {_budgets(synthetic)}, refinement included; "
        "medians over the seeds shown). Synthetic: random "
        "nonlinear SEMs, ER, 2 edges/node, mixed noise, n = 2,000; "
        "gaps in half the columns; MAR = logistic in one always-observed column. ATE error: absolute, in "
        "the outcome's standard deviations; imputation RMSE on the removed cells, in standard deviations.",
        "",
        "| d | gaps | method | seeds | orientation F1 | ATE error | imputation RMSE | seconds | rows used |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    keys = sorted(
        {(r["d"], r["mechanism"], r["rate"]) for r in synthetic},
        key=lambda k: (k[0], k[1] != "none", k[1], k[2]),
    )
    for d, mechanism, rate in keys:
        for method in METHODS:
            group = [
                r
                for r in synthetic
                if (r["d"], r["mechanism"], r["rate"], r["method"]) == (d, mechanism, rate, method)
            ]
            if not group:
                continue
            gaps = "none" if mechanism == "none" else f"{mechanism.upper()} {rate:.0%}"
            lines.append(
                f"| {d} | {gaps} | {method} | {len(group)} | {_median([r['orient_f1'] for r in group])} | "
                f"{_median([r['ate_error'] for r in group])} | {_median([r['rmse'] for r in group])} | "
                f"{_median([r['seconds'] for r in group], '.0f')} | "
                f"{_median([r['rows_used'] for r in group], ',.0f')} |"
            )
    failures = [r for r in rows if "error" in r]
    real = [r for r in rows if r["d"] == "thornton_hiv" and "error" not in r and r.get("roots") == "any"]
    if real:
        lines += [
            "",
            f"thornton_hiv (causaldata 0.1.5; 4,820 rows, `villnum` excluded; randomised difference in means "
            f"of `got` by `any` on the rows with both: {real[0]['reference']:+.3f}; `any` declared a root, "
            "since it was randomised):",
            "",
            "| method | seeds | ATE any -> got | abs. difference to the randomised estimate "
            "| q(any -> got) | seconds | rows used |",
            "| --- | --- | --- | --- | --- | --- | --- |",
        ]
        for method in METHODS[1:]:
            group = [r for r in real if r["method"] == method]
            if group:
                lines.append(
                    f"| {method} | {len(group)} | {_median([r['ate'] for r in group])} | "
                    f"{_median([r['ate_error'] for r in group])} | "
                    f"{_median([r['edge_any_got'] for r in group])} | "
                    f"{_median([r['seconds'] for r in group], '.0f')} | "
                    f"{_median([r['rows_used'] for r in group], ',.0f')} |"
                )
    if failures:
        lines += [
            "",
            "Failed fits: "
            + "; ".join(
                f"{r['d']} {r['mechanism']} {r['rate']} {r['method']} s{r['seed']}: {r['error']}"
                for r in failures
            ),
        ]
    return "\n".join(lines) + "\n"


def write_section(text: str, path: Path = RESULTS) -> None:
    """Replace the '## Missing values' section of RESULTS.md (up to the next '## '), keeping the others."""
    old = path.read_text() if path.exists() else "# Benchmark results\n"
    start = old.find(SECTION)
    if start < 0:
        new = old.rstrip() + "\n\n" + text
    else:
        end = old.find("\n## ", start + 1)
        new = old[:start] + text + ("" if end < 0 else old[end:])
    path.write_text(new)


def main() -> None:
    import torch

    torch.set_num_threads(1)
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="", help="comma-separated d values, e.g. 10,20")
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--first-seed", type=int, default=0)
    parser.add_argument(
        "--settings",
        default="mcar:0.1,mcar:0.3,mar:0.1,mar:0.3",
        help="mechanism:share pairs, comma-separated",
    )
    parser.add_argument("--preset", default="quick")
    parser.add_argument("--max-steps", type=int, help="steps per fit (default: the preset's)")
    parser.add_argument("--max-seconds", type=float, help="seconds per fit, refinement included")
    parser.add_argument("--real", action="store_true", help="also thornton_hiv")
    parser.add_argument("--rows", type=Path, help="JSON-lines file results are appended to (and read from)")
    parser.add_argument("--report", action="store_true", help="print the table of every row in --rows")
    parser.add_argument("--write", action="store_true", help="replace the section in bench/RESULTS.md")
    args = parser.parse_args()
    budget = {"preset": args.preset, "max_steps": args.max_steps, "max_seconds": args.max_seconds}
    settings = [(m, float(r)) for m, r in (item.split(":") for item in args.settings.split(","))]
    rows: list[dict] = []

    def sink(row: dict) -> None:
        print(json.dumps(row), file=sys.stderr, flush=True)
        if args.rows:
            with args.rows.open("a") as handle:
                handle.write(json.dumps(row) + "\n")

    if args.real:
        rows += real_rows(budget, 1, sink)
    for d in [int(s) for s in args.sizes.split(",") if s]:
        for seed in range(args.first_seed, args.first_seed + args.seeds):
            rows += synthetic_rows(d, seed, budget, settings, sink)
    if args.report or args.write:
        everything = [json.loads(line) for line in args.rows.read_text().splitlines()] if args.rows else rows
        text = report(everything)
        print(text)
        if args.write:
            write_section(text)


if __name__ == "__main__":
    main()
