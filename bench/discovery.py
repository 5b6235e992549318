"""Discovery benchmark: DECI presets vs PC and GES on synthetic nonlinear SEMs.

Each fit runs in its own process, so wall time and peak memory (max RSS, including the Python and
torch runtime, ~0.3 GB) are per fit. Prints a table; ``--write`` replaces the "## Discovery" section
of bench/RESULTS.md with it.

Examples::

    python bench/discovery.py                                   # full run (slow: all sizes, 3 seeds)
    python bench/discovery.py --sizes 5,10 --seeds 1 --presets quick,standard --write
    python bench/discovery.py --sizes 50 --n 5000 --kinds er --presets standard --baselines none
    # several partial runs into one table:
    python bench/discovery.py --sizes 5 --rows /tmp/rows.jsonl --profile 0
    python bench/discovery.py --sizes 10 --seeds 2 --rows /tmp/rows.jsonl --write
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import resource
import statistics
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

RESULTS = ROOT / "bench" / "RESULTS.md"

from bench.calibration import calibration  # noqa: E402 (after the path set-up)


def dataset(d: int, kind: str, noise: str, seed: int, n: int):
    """(DataFrame, true adjacency) for one benchmark dataset: ~1 edge/node at d = 5, else 2."""
    from deci_core.samples.synthetic import random_nonlinear_sem

    sem = random_nonlinear_sem(
        d, edges_per_node=1.0 if d <= 5 else 2.0, graph_kind=kind, noise=noise, seed=seed
    )
    return sem.sample(n, np.random.default_rng(seed)), np.asarray(sem.adjacency, dtype=bool)


def scores(pred_directed: np.ndarray, pred_undirected: np.ndarray, true: np.ndarray) -> dict[str, float]:
    """Adjacency F1, orientation F1 (directed edges must match) and SHD (undirected = 1 error)."""
    skeleton_pred = pred_directed | pred_directed.T | pred_undirected
    skeleton_true = true | true.T
    iu = np.triu_indices(true.shape[0], 1)
    adj_f1 = _f1(skeleton_pred[iu], skeleton_true[iu])
    orient_f1 = _f1(pred_directed.ravel(), true.ravel())
    missing_or_extra = int((skeleton_pred[iu] != skeleton_true[iu]).sum())
    right_way = (pred_directed & true) | (pred_directed & true).T
    wrong_way = int((skeleton_pred & skeleton_true & ~right_way)[iu].sum())
    return {"adj_f1": adj_f1, "orient_f1": orient_f1, "shd": missing_or_extra + wrong_way}


def _f1(pred: np.ndarray, true: np.ndarray) -> float:
    tp = float((pred & true).sum())
    if tp == 0:
        return 0.0
    precision, recall = tp / pred.sum(), tp / true.sum()
    return 2 * precision * recall / (precision + recall)


def run_deci(job: dict) -> dict:
    import torch

    from deci_core import graph as graph_utils
    from deci_core.config import TrainingConfig
    from deci_core.model import DECI

    df, true = dataset(job["d"], job["kind"], job["noise"], job["seed"], job["n"])
    cfg = TrainingConfig(
        seed=job["seed"],
        preset=job["method"].split(":")[1],
        num_threads=job["threads"] or None,
        max_seconds=job.get("max_seconds"),
    )
    trained = []  # the first final report: the graph as training left it, before the refinement

    def keep_trained(progress) -> None:
        if progress.done and not trained:
            trained.append((progress.edge_probs, progress.elapsed_s))

    start = time.perf_counter()
    model = DECI(training_config=cfg).fit(df, callbacks=[keep_trained])
    wall = time.perf_counter() - start
    adj = model.graph_posterior_.most_probable()
    del torch
    out = scores(adj, np.zeros_like(adj), true)
    out.update(calibration(model.graph_posterior_.probs, true))
    out["not_identifiable"] = len(model.graph_posterior_.not_identifiable())
    probs, trained_s = trained[0]
    before = graph_utils.most_probable_dag(probs, np.zeros(probs.shape, dtype=bool))
    out.update(
        wall_s=wall,
        acyclic=bool(graph_utils.is_dag(adj)),
        steps=model.fit_summary_.steps,
        stopped=model.fit_summary_.stopped,
        trained_orient_f1=scores(before, np.zeros_like(before), true)["orient_f1"],
        trained_s=trained_s,
        refine_moves=model.fit_summary_.refine_moves,
    )
    return out


def run_causallearn(job: dict) -> dict:
    df, true = dataset(job["d"], job["kind"], job["noise"], job["seed"], job["n"])
    data = df.to_numpy(dtype=float)
    start = time.perf_counter()
    if job["method"] == "pc":
        from causallearn.search.ConstraintBased.PC import pc

        g = pc(data, alpha=0.01, indep_test="fisherz", show_progress=False).G.graph
    else:
        from causallearn.search.ScoreBased.GES import ges

        g = ges(data, score_func="local_score_BIC")["G"].graph
    wall = time.perf_counter() - start
    # causal-learn: g[j, i] == 1 and g[i, j] == -1 means i -> j; both -1 means i - j
    directed = (g.T == 1) & (g == -1)
    undirected = (g == -1) & (g.T == -1)
    out = scores(directed, undirected, true)
    out.update(wall_s=wall, acyclic=None, steps=None, stopped=None)
    return out


def _child(job: dict, queue: mp.Queue) -> None:
    try:
        result = run_deci(job) if job["method"].startswith("deci") else run_causallearn(job)
        usage = resource.getrusage(resource.RUSAGE_SELF)
        result["peak_mb"] = usage.ru_maxrss / 1024
        result["cpu_s"] = usage.ru_utime + usage.ru_stime  # load-independent, unlike wall seconds
        queue.put(result)
    except Exception as exc:  # noqa: BLE001 - report and continue the benchmark
        queue.put({"error": f"{type(exc).__name__}: {exc}"})


def run_job(job: dict) -> dict:
    ctx = mp.get_context("spawn")
    queue = ctx.Queue()
    proc = ctx.Process(target=_child, args=(job, queue))
    proc.start()
    result = queue.get()
    proc.join()
    return {**job, **result}


def table(rows: list[dict]) -> str:
    head = (
        "| d | graph | noise | method | seeds | orientation F1 (median; each seed) | before refinement "
        "| adjacency F1 | SHD | wall s (training) | peak MB | acyclic |"
    )
    lines = [head, "|" + "---|" * 12]
    keys = sorted(
        {(r["d"], r["kind"], r["noise"], r["method"]) for r in rows}, key=lambda k: (k[0], k[1], k[2], k[3])
    )
    for key in keys:
        group = [r for r in rows if (r["d"], r["kind"], r["noise"], r["method"]) == key and "error" not in r]
        if not group:
            lines.append(f"| {key[0]} | {key[1]} | {key[2]} | {key[3]} | 0 | error | | | | | | |")
            continue

        def med(k: str, group: list[dict] = group) -> float:
            return statistics.median(r[k] for r in group)

        f1s = ", ".join(f"{r['orient_f1']:.2f}" for r in group)
        acyclic = (
            "-" if group[0]["acyclic"] is None else ("yes" if all(r["acyclic"] for r in group) else "NO")
        )
        deci = "trained_orient_f1" in group[0]
        before = f"{med('trained_orient_f1'):.2f}" if deci else "-"
        wall = f"{med('wall_s'):.1f}" + (f" ({med('trained_s'):.1f})" if deci else "")
        lines.append(
            f"| {key[0]} | {key[1]} | {key[2]} | {key[3]} | {len(group)} | {med('orient_f1'):.2f} ({f1s}) | "
            f"{before} | {med('adj_f1'):.2f} | {med('shd'):.0f} | {wall} | {med('peak_mb'):.0f} "
            f"| {acyclic} |"
        )
    return "\n".join(lines)


def profile_step(d: int, threads: int) -> str:
    """Where one discovery step's time goes (torch profiler, top operators) at size d."""
    import torch
    from torch.profiler import ProfilerActivity, profile

    from deci_core.config import ModelConfig, TrainingConfig
    from deci_core.data.encoder import TableEncoder
    from deci_core.data.schema import infer_schema
    from deci_core.graph.distribution import EdgeLogits
    from deci_core.sem.structural import SEM
    from deci_core.training.lagrangian import AugmentedLagrangian
    from deci_core.training.objective import GraphPrior, discovery_terms

    threads = threads or TrainingConfig().threads
    torch.set_num_threads(threads)
    df, _ = dataset(d, "er", "gaussian", 0, 2000)
    enc = TableEncoder.fit(df, infer_schema(df))
    x, mc, tc = enc.encode(df), ModelConfig(), TrainingConfig()
    gen = torch.Generator().manual_seed(0)
    sem = SEM(enc.types, enc.widths, mc, gen)
    none = torch.zeros(d, d, dtype=torch.bool)
    graph = EdgeLogits(none, none)
    opt = torch.optim.Adam([*sem.parameters(), *graph.parameters()], lr=1e-3)
    al = AugmentedLagrangian()

    def step():
        idx = torch.randint(len(x), (tc.batch_size,), generator=gen)
        t = discovery_terms(
            sem, graph.probs(), x[idx], GraphPrior(mc.sparsity), al.penalty, len(x), tc.graph_samples, gen
        )
        opt.zero_grad()
        t.loss.backward()
        opt.step()

    for _ in range(10):
        step()
    start = time.perf_counter()
    for _ in range(50):
        step()
    per_step = (time.perf_counter() - start) / 50 * 1000
    with profile(activities=[ProfilerActivity.CPU]) as prof:
        for _ in range(20):
            step()
    ops = sorted(prof.key_averages(), key=lambda e: -e.self_cpu_time_total)[:8]
    total = sum(e.self_cpu_time_total for e in prof.key_averages())
    parts = ", ".join(f"{e.key} {100 * e.self_cpu_time_total / total:.0f}%" for e in ops)
    return f"d = {d}: {per_step:.1f} ms per step ({threads} thread(s)); top operators by self time: {parts}."


def write_section(text: str, heading: str = "## Discovery") -> None:
    """Replace RESULTS.md's section under ``heading`` (up to the next ``## ``) by ``text``, or append it."""
    current = RESULTS.read_text() if RESULTS.exists() else "# Benchmark results\n"
    start = current.find(heading + "\n")
    section = heading + "\n\n" + text.strip() + "\n"
    if start < 0:
        RESULTS.write_text(current.rstrip() + "\n\n" + section)
        return
    end = current.find("\n## ", start + 1)
    rest = current[end + 1 :] if end >= 0 else ""
    RESULTS.write_text(current[:start] + section + ("\n" + rest if rest else ""))


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", default="5,10,20")
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--kinds", default="er,sf", help="graph kinds (d = 5 always uses er)")
    parser.add_argument("--noise", default="gaussian,mixed")
    parser.add_argument("--presets", default="quick,standard")
    parser.add_argument("--baselines", default="pc,ges", help="'none' to skip causal-learn")
    parser.add_argument("--n", type=int, default=2000)
    parser.add_argument(
        "--threads", type=int, default=0, help="torch threads per fit (0: the engine default)"
    )
    parser.add_argument(
        "--max-seconds",
        type=float,
        help="DECI's time budget per fit (default: the preset's); a large one makes fits step-bound,"
        " so a busy machine does not cut them short",
    )
    parser.add_argument("--profile", type=int, default=10, help="profile a step at this d (0: skip)")
    parser.add_argument("--write", action="store_true", help="update the Discovery section of RESULTS.md")
    parser.add_argument("--note", default="", help="text to put above the table")
    parser.add_argument(
        "--rows", help="JSON-lines file: results are appended to it and the table covers all of it"
    )
    args = parser.parse_args()
    methods = [f"deci:{p}" for p in args.presets.split(",") if p]
    if args.baselines != "none":
        try:
            import causallearn  # noqa: F401

            methods += args.baselines.split(",")
        except ImportError:
            print(
                "causal-learn not installed: skipping PC/GES (pip install -r bench/requirements.txt)",
                file=sys.stderr,
            )
    rows = []
    for d in (int(s) for s in args.sizes.split(",")):
        kinds = ["er"] if d <= 5 else args.kinds.split(",")
        for kind in kinds:
            for noise in args.noise.split(","):
                for seed in range(args.seeds):
                    for method in methods:
                        job = dict(
                            d=d,
                            kind=kind,
                            noise=noise,
                            seed=seed,
                            n=args.n,
                            method=method,
                            threads=args.threads,
                            max_seconds=args.max_seconds,
                        )
                        rows.append(run_job(job))
                        print(json.dumps(rows[-1]), file=sys.stderr, flush=True)
    if args.rows:
        with open(args.rows, "a") as handle:
            handle.writelines(json.dumps(r) + "\n" for r in rows)
        rows = [json.loads(line) for line in Path(args.rows).read_text().splitlines() if line.strip()]
    text = table(rows)
    if args.profile:
        text += "\n\nStep profile: " + profile_step(args.profile, args.threads)
    print(text)
    if args.write:
        write_section((args.note + "\n\n" if args.note else "") + text)


if __name__ == "__main__":
    main()
