"""Public real-data benchmark: DECI beside PC, GES, DirectLiNGAM and DAGMA-linear on published networks
and the Tübingen cause-effect pairs, all read from files shipped inside registry packages.

Cases (never the data sets kept for the final evaluation; see DEVELOPERS.md):
- pgmpy 1.1.2 linear-Gaussian networks magic-niab (44 nodes), magic-irri (64), arth150 (107), sampled
  with pgmpy's own ``simulate`` (n = 2,000, seed 0), from ``pgmpy/utils/example_models/*.json``;
- pgmpy's discrete networks alarm, insurance, hepar2 (n = 5,000, seed 0), from ``*.bif.gz``;
- cdt 0.6.0's ``Tuebingen_pairs.csv`` (from its wheel, downloaded once into bench/data/ with
  ``pip download --no-deps``): every pair is stored cause -> effect, so half of them (seed 0) are
  swapped; cdt pair ids 1, 5, 13, 19, 25, 38, 42, 47, 48, 52, 60, 67, 69, 81, 89 are excluded. Pairs with
  more than ``PAIR_ROWS`` rows are subsampled to that many (seed 0).

Every (case, method) runs in its own process (wall seconds and peak RSS per fit) and its result is
cached as JSON under bench/data/realdata/, so the benchmark is resumable: a second run only computes
what is missing (``--fresh`` recomputes). Run it with the benchmark environment, which has the peers::

    bench/data/venv/bin/python bench/realdata.py --cases magic-niab,insurance --write
    bench/data/venv/bin/python bench/realdata.py --cases tuebingen --pairs 20   # the first 20 pairs

Scores: adjacency F1 and orientation F1 (an undirected edge counts for adjacency only), SHD (an
undirected edge is one error), CPDAG-SHD (pairs whose state differs between the equivalence classes of
the output and of the truth; a PC/GES output is its own CPDAG), calibration of DECI's edge
probabilities (ECE, Brier; bench/calibration.py). Tübingen: forced choice by the higher direction
probability (DECI), the oriented edge (DirectLiNGAM), the larger |weight| (DAGMA); PC and GES cannot
orient a pair, so an undirected or empty answer scores 0.5. Unweighted accuracy over pairs.
"""

from __future__ import annotations

import argparse
import gzip
import json
import multiprocessing as mp
import resource
import subprocess
import sys
import time
import zipfile
from pathlib import Path
from queue import Empty

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.calibration import calibration, forecasts  # noqa: E402

DATA = ROOT / "bench" / "data"
CACHE = DATA / "realdata"
RESULTS = ROOT / "bench" / "RESULTS.md"
LINEAR = {"magic-niab": 2000, "magic-irri": 2000, "arth150": 2000}
DISCRETE = {"insurance": 5000, "alarm": 5000, "hepar2": 5000}
CASES = ("magic-niab", "insurance", "alarm", "magic-irri", "hepar2", "arth150", "tuebingen")
METHODS = ("deci", "pc", "ges", "lingam", "dagma")
EXCLUDED_PAIRS = {1, 5, 13, 19, 25, 38, 42, 47, 48, 52, 60, 67, 69, 81, 89}  # kept for the final evaluation
PAIR_ROWS = 2000
CDT = "cdt==0.6.0"
SEED = 0


# --- data --------------------------------------------------------------------------------------


def _pgmpy_file(name: str) -> Path:
    import pgmpy

    return Path(pgmpy.__file__).parent / "utils" / "example_models" / name


def network(case: str) -> tuple[pd.DataFrame, np.ndarray]:
    """(data, true adjacency) of a pgmpy network, sampled with pgmpy's simulate."""
    if case in LINEAR:
        from pgmpy.models import LinearGaussianBayesianNetwork

        model = LinearGaussianBayesianNetwork.load(str(_pgmpy_file(f"{case}.json")))
        df = model.simulate(n_samples=LINEAR[case], seed=SEED)
    else:
        from pgmpy.readwrite import BIFReader

        text = gzip.decompress(_pgmpy_file(f"{case}.bif.gz").read_bytes()).decode("utf-8")
        model = BIFReader(string=text).get_model()
        df = model.simulate(n_samples=DISCRETE[case], seed=SEED, show_progress=False)
        df = df.astype(str)
    names = sorted(df.columns)
    df = df[names]
    true = np.zeros((len(names), len(names)), dtype=bool)
    for a, b in model.edges():
        true[names.index(a), names.index(b)] = True
    return df, true


def _cdt_wheel() -> Path:
    found = sorted(DATA.glob("cdt-0.6.0-*.whl"))
    if not found:
        DATA.mkdir(parents=True, exist_ok=True)
        cmd = [sys.executable, "-m", "pip", "download", "--no-deps", CDT, "-d", str(DATA)]
        subprocess.run(cmd, check=True, capture_output=True)
        found = sorted(DATA.glob("cdt-0.6.0-*.whl"))
    return found[0]


def tuebingen_pairs() -> list[dict]:
    """The eligible pairs, each {"id", "x", "y", "swapped"}: x -> y is the truth unless swapped."""
    with zipfile.ZipFile(_cdt_wheel()) as wheel:
        text = wheel.read("cdt/data/resources/Tuebingen_pairs.csv").decode("utf-8")
    rows = [line.split(",") for line in text.strip().splitlines()[1:]]
    rng = np.random.default_rng(SEED)
    swaps = rng.random(len(rows)) < 0.5
    pairs = []
    for (sample, a, b), swap in zip(rows, swaps, strict=True):
        pair_id = int(sample.removeprefix("pair"))
        if pair_id in EXCLUDED_PAIRS:
            continue
        x, y = np.array(a.split(), dtype=float), np.array(b.split(), dtype=float)
        if len(x) > PAIR_ROWS:
            keep = np.sort(np.random.default_rng(SEED + pair_id).choice(len(x), PAIR_ROWS, replace=False))
            x, y = x[keep], y[keep]
        if swap:
            x, y = y, x
        pairs.append({"id": pair_id, "x": x, "y": y, "swapped": bool(swap)})
    return pairs


# --- methods -----------------------------------------------------------------------------------


def run_deci(df: pd.DataFrame, max_seconds: float | None) -> dict:
    from deci_core.config import TrainingConfig
    from deci_core.model import DECI

    cfg = TrainingConfig(seed=SEED, preset="standard", num_threads=1, max_seconds=max_seconds)
    model = DECI(training_config=cfg).fit(df)
    posterior = model.graph_posterior_
    adj = posterior.most_probable()
    return {
        "directed": adj,
        "undirected": np.zeros_like(adj),
        "probs": posterior.probs,
        "not_identifiable": len(posterior.not_identifiable()),
        "stopped": model.fit_summary_.stopped,
        "steps": model.fit_summary_.steps,
        "refine_moves": model.fit_summary_.refine_moves,
    }


def _codes(df: pd.DataFrame) -> np.ndarray:
    if all(pd.api.types.is_numeric_dtype(t) for t in df.dtypes):
        return df.to_numpy(dtype=float)
    return np.stack([pd.Categorical(df[c]).codes for c in df.columns], 1).astype(float)


def run_peer(method: str, df: pd.DataFrame, discrete: bool) -> dict:
    data = _codes(df)
    d = data.shape[1]
    undirected = np.zeros((d, d), dtype=bool)
    if method in ("pc", "ges"):
        if method == "pc":
            from causallearn.search.ConstraintBased.PC import pc

            test = "chisq" if discrete else "fisherz"
            g = pc(data, alpha=0.01, indep_test=test, show_progress=False).G.graph
        else:
            from causallearn.search.ScoreBased.GES import ges

            score = "local_score_BDeu" if discrete else "local_score_BIC"
            g = ges(data, score_func=score)["G"].graph
        # causal-learn: g[j, i] == 1 and g[i, j] == -1 means i -> j; both -1 means i - j
        directed = (g.T == 1) & (g == -1)
        undirected = (g == -1) & (g.T == -1)
        return {"directed": directed, "undirected": undirected}
    if method == "lingam":
        from lingam import DirectLiNGAM

        model = DirectLiNGAM(random_state=SEED).fit(data)
        weights = model.adjacency_matrix_.T  # lingam: B[j, i] != 0 means i -> j
    else:
        from dagma.linear import DagmaLinear

        scaled = (data - data.mean(0)) / data.std(0).clip(1e-9)
        weights = DagmaLinear(loss_type="l2").fit(scaled, lambda1=0.02)
    directed = np.abs(weights) > (0.3 if method == "dagma" else 0.0)
    np.fill_diagonal(directed, False)
    return {"directed": directed, "undirected": undirected, "weights": weights}


# --- scoring -----------------------------------------------------------------------------------


def graph_scores(out: dict, true: np.ndarray) -> dict:
    from bench.discovery import scores
    from deci_core.graph.equivalence import cpdag

    directed, undirected = out["directed"], out["undirected"]
    result = scores(directed, undirected, true)
    if undirected.any():  # a PDAG: compare it with the true CPDAG as it is
        own = (directed & ~undirected, undirected)
    else:
        own = cpdag(directed)
    result["cpdag_shd"] = _state_shd(own, cpdag(true))
    if "probs" in out:
        result.update(calibration(out["probs"], true))
        p, y = forecasts(out["probs"], true)
        result["forecasts"] = [p.round(4).tolist(), y.astype(int).tolist()]
        result["not_identifiable"] = out["not_identifiable"]
    return result


def _state_shd(first: tuple[np.ndarray, np.ndarray], second: tuple[np.ndarray, np.ndarray]) -> int:
    from deci_core.graph.equivalence import _pair_states

    return int((_pair_states(*first) != _pair_states(*second)).sum())


def pair_choice(method: str, out: dict) -> float:
    """1 if the method says x -> y, 0 if y -> x, 0.5 if it does not choose."""
    if method == "deci":
        p = out["probs"]
        return 1.0 if p[0, 1] > p[1, 0] else 0.0 if p[1, 0] > p[0, 1] else 0.5
    if method == "dagma":
        w = np.abs(out["weights"])
        return 1.0 if w[0, 1] > w[1, 0] else 0.0 if w[1, 0] > w[0, 1] else 0.5
    directed = out["directed"]
    return 1.0 if directed[0, 1] else 0.0 if directed[1, 0] else 0.5


# --- jobs --------------------------------------------------------------------------------------


def run_job(job: dict) -> dict:
    """Run one (case, method) in its own process; {"error": ...} if it failed or ran out of time."""
    ctx = mp.get_context("spawn")
    queue = ctx.Queue()
    proc = ctx.Process(target=_child, args=(job, queue))
    proc.start()
    result = _await_result(proc, queue, job["timeout"])
    proc.join(5)
    if proc.is_alive():
        proc.terminate()
        proc.join()
    if result is None:
        late = proc.exitcode in (None, -15)
        reason = f"timed out after {job['timeout']} s" if late else f"exit code {proc.exitcode}"
        return {**job, "error": reason}
    return {**job, **result}


def _await_result(proc, queue, timeout: float) -> dict | None:
    """The child's result, read before joining it (a large result, e.g. d = 107's forecasts, blocks
    the child until read); None if it died without one or ran past ``timeout`` seconds."""
    deadline = time.perf_counter() + timeout
    while time.perf_counter() < deadline:
        try:
            return queue.get(timeout=1.0)
        except Empty:
            if not proc.is_alive():
                return None
    return None


def _child(job: dict, queue) -> None:
    import torch

    torch.set_num_threads(1)
    try:
        start = time.perf_counter()
        result = _compute(job)
        result["wall_s"] = round(time.perf_counter() - start, 2)
        usage = resource.getrusage(resource.RUSAGE_SELF)
        result["cpu_s"] = round(usage.ru_utime + usage.ru_stime, 2)
        result["peak_mb"] = round(usage.ru_maxrss / 1024, 1)
        queue.put(result)
    except Exception as exc:  # noqa: BLE001 - report and go on with the benchmark
        queue.put({"error": f"{type(exc).__name__}: {exc}"})


def _compute(job: dict) -> dict:
    method, case = job["method"], job["case"]
    if case.startswith("tuebingen:"):
        pair = next(p for p in tuebingen_pairs() if p["id"] == int(case.split(":")[1]))
        df = pd.DataFrame({"x": pair["x"], "y": pair["y"]})
        out = run_deci(df, job["max_seconds"]) if method == "deci" else run_peer(method, df, False)
        choice = pair_choice(method, out)
        return {"correct": choice if not pair["swapped"] else 1.0 - choice, "rows": len(df)}
    df, true = network(case)
    if method == "deci":
        out = run_deci(df, job["max_seconds"])
    else:
        out = run_peer(method, df, case in DISCRETE)
    fit = {k: out[k] for k in ("stopped", "steps", "refine_moves") if k in out}  # DECI: how the fit ended
    return {**graph_scores(out, true), **fit, "rows": len(df), "d": df.shape[1], "edges": int(true.sum())}


def cached(job: dict, fresh: bool) -> dict:
    CACHE.mkdir(parents=True, exist_ok=True)
    path = CACHE / f"{job['case'].replace(':', '_')}__{job['method']}.json"
    if path.exists() and not fresh:
        return json.loads(path.read_text())
    result = run_job(job)
    if "error" not in result or "timed out" in result["error"]:
        path.write_text(json.dumps(result))
    print(json.dumps({k: v for k, v in result.items() if k != "forecasts"}), file=sys.stderr, flush=True)
    return result


# --- report ------------------------------------------------------------------------------------


def _fmt(value, digits: int = 2) -> str:
    if value is None:
        return "–"
    return f"{value:.{digits}f}" if isinstance(value, float) else str(value)


def table(results: list[dict]) -> str:
    lines = [
        "| case | method | adjacency F1 | orientation F1 | SHD | CPDAG-SHD | ECE | Brier | wall s"
        " | peak MB |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in results:
        if r["case"].startswith("tuebingen"):
            continue
        if "error" in r:
            lines.append(f"| {r['case']} | {r['method']} | {r['error']} | | | | | | | |")
            continue
        lines.append(
            f"| {r['case']} (d={r['d']}, {r['edges']} edges, n={r['rows']}) | {r['method']} | "
            f"{_fmt(r['adj_f1'])} | {_fmt(r['orient_f1'])} | {r['shd']} | {r['cpdag_shd']} | "
            f"{_fmt(r.get('ece'), 3)} | {_fmt(r.get('brier'), 3)} | {_fmt(r['wall_s'], 1)} | "
            f"{_fmt(r['peak_mb'], 0)} |"
        )
    pairs: dict[str, list[dict]] = {}
    for r in results:
        if r["case"].startswith("tuebingen"):
            pairs.setdefault(r["method"], []).append(r)
    if pairs:
        lines += ["", "| Tübingen pairs | pairs run | correct (forced choice) | failed | median wall s |"]
        lines.append("|---|---|---|---|---|")
        for method, rs in pairs.items():
            ok = [r for r in rs if "error" not in r]
            accuracy = np.mean([r["correct"] for r in ok]) if ok else float("nan")
            wall = np.median([r["wall_s"] for r in ok]) if ok else float("nan")
            lines.append(f"| {method} | {len(ok)} | {accuracy:.0%} | {len(rs) - len(ok)} | {wall:.1f} |")
    return "\n".join(lines)


def write_section(text: str) -> None:
    head = "## Real data (public)"
    old = RESULTS.read_text()
    start = old.find(head)
    if start < 0:
        RESULTS.write_text(old.rstrip() + "\n\n" + head + "\n\n" + text + "\n")
        return
    end = old.find("\n## ", start + len(head))
    end = len(old) if end < 0 else end
    RESULTS.write_text(old[:start] + head + "\n\n" + text + "\n" + old[end:])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", default=",".join(CASES))
    parser.add_argument("--methods", default=",".join(METHODS))
    parser.add_argument("--pairs", type=int, default=0, help="Tübingen: only the first N eligible pairs")
    parser.add_argument("--max-seconds", type=float, help="DECI's budget (default: the standard preset's)")
    parser.add_argument("--timeout", type=int, default=1800, help="seconds per (case, method)")
    parser.add_argument("--fresh", action="store_true", help="recompute cached results")
    parser.add_argument("--write", action="store_true", help="update the Real data section of RESULTS.md")
    parser.add_argument("--note", default="")
    args = parser.parse_args()
    results = []
    for case in args.cases.split(","):
        subcases = [case]
        if case == "tuebingen":
            ids = [p["id"] for p in tuebingen_pairs()]
            subcases = [f"tuebingen:{i}" for i in (ids[: args.pairs] if args.pairs else ids)]
        for sub in subcases:
            for method in args.methods.split(","):
                if sub.startswith("tuebingen") and method == "pc":
                    continue  # two variables: PC's answer is GES's (one undirected edge or none)
                job = {"case": sub, "method": method}
                job.update(max_seconds=args.max_seconds, timeout=args.timeout)
                results.append(cached(job, args.fresh))
    text = table(results)
    print(text)
    if args.write:
        write_section((args.note + "\n\n" if args.note else "") + text)


if __name__ == "__main__":
    main()
