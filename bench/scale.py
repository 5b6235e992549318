"""Scale benchmark: DECI (standard preset) on wide and long synthetic tables, GES and DAGMA-linear beside it.

Our synthetic SEMs (``bench/discovery.py``'s ``dataset``: nonlinear mechanisms, 2 edges per node).
Each fit runs in its own process, one at a time, one torch thread, killed at ``--limit`` seconds;
wall seconds, seconds per training step, peak memory (max RSS of the process) and orientation F1,
plus the convergence verdict and the screening's recall of the true edges. ``--profile`` times the
parts of one discovery step at each d. ``--write`` replaces the "## Scale" section of RESULTS.md.

Examples::

    python bench/scale.py --profile 50,100,200 --cases none
    python bench/scale.py --cases 50x5000,100x5000 --methods deci,ges,dagma --rows /tmp/scale.jsonl
    python bench/scale.py --cases none --rows /tmp/scale.jsonl --write
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import resource
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.discovery import dataset, scores, write_section  # noqa: E402 (after the path set-up)

HEADING = "## Scale"


def run_deci(job: dict) -> dict:
    import torch

    from deci_core.config import TrainingConfig
    from deci_core.model import DECI

    torch.set_num_threads(1)
    df, true = dataset(job["d"], job["kind"], job["noise"], job["seed"], job["n"])
    cfg = TrainingConfig(seed=job["seed"], preset="standard", num_threads=1)
    trained = []

    def keep(progress) -> None:
        if progress.done and not trained:
            trained.append(progress.elapsed_s)

    start = time.perf_counter()
    model = DECI(training_config=cfg).fit(df, callbacks=[keep])
    wall = time.perf_counter() - start
    adj = model.graph_posterior_.most_probable()
    summary = model.fit_summary_
    out = scores(adj, np.zeros_like(adj), true)
    skeleton = true | true.T
    screened = getattr(model, "screened_out_", np.zeros_like(true))
    out.update(
        wall_s=wall,
        steps=summary.steps,
        train_s=trained[0] if trained else None,
        s_per_step=(trained[0] / max(summary.steps, 1)) if trained else None,
        stopped=summary.stopped,
        converged=summary.converged,
        screen_recall=float((skeleton & ~screened).sum() / max(skeleton.sum(), 1)),
        edges=int(adj.sum()),
        true_edges=int(true.sum()),
    )
    return out


def run_peer(job: dict) -> dict:
    df, true = dataset(job["d"], job["kind"], job["noise"], job["seed"], job["n"])
    data = df.to_numpy(dtype=float)
    start = time.perf_counter()
    if job["method"] == "ges":
        from causallearn.search.ScoreBased.GES import ges

        g = ges(data, score_func="local_score_BIC")["G"].graph
        directed, undirected = (g.T == 1) & (g == -1), (g == -1) & (g.T == -1)
    else:
        from dagma.linear import DagmaLinear

        scaled = (data - data.mean(0)) / data.std(0).clip(1e-9)
        weights = DagmaLinear(loss_type="l2").fit(scaled, lambda1=0.02)
        directed, undirected = np.abs(weights) > 0.3, np.zeros_like(true)
        np.fill_diagonal(directed, False)
    out = scores(directed, undirected, true)
    out.update(wall_s=time.perf_counter() - start)
    return out


def _child(job: dict, queue) -> None:
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    try:
        result = run_deci(job) if job["method"] == "deci" else run_peer(job)
        usage = resource.getrusage(resource.RUSAGE_SELF)
        result["peak_mb"] = usage.ru_maxrss / 1024
        queue.put(result)
    except Exception as exc:  # noqa: BLE001 - report and go on
        queue.put({"error": f"{type(exc).__name__}: {exc}"})


def run_job(job: dict, limit: float) -> dict:
    ctx = mp.get_context("spawn")
    queue = ctx.Queue()
    proc = ctx.Process(target=_child, args=(job, queue), daemon=True)
    start = time.perf_counter()
    proc.start()
    try:
        result = queue.get(timeout=limit)
    except Exception:  # noqa: BLE001 - queue.Empty: over the limit
        proc.kill()
        result = {"error": f"did not finish in {limit:.0f} s", "wall_s": time.perf_counter() - start}
    proc.join(10)
    return {**job, **result, "load": os.getloadavg()[0]}


def profile(d: int, n: int = 5000, steps: int = 20) -> dict:
    """Milliseconds per discovery step and its parts at size d (one thread), without and with screening."""
    import torch

    from deci_core.config import ModelConfig, TrainingConfig
    from deci_core.data.encoder import TableEncoder
    from deci_core.data.schema import infer_schema
    from deci_core.graph.dag import acyclicity
    from deci_core.graph.distribution import EdgeLogits, sample_pairs
    from deci_core.sem.structural import SEM
    from deci_core.training.lagrangian import AugmentedLagrangian
    from deci_core.training.objective import GraphPrior, discovery_terms
    from deci_core.training.screening import screen_pairs

    torch.set_num_threads(1)
    df, _ = dataset(d, "er", "gaussian", 0, n)
    enc = TableEncoder.fit(df, infer_schema(df))
    x, mc, tc = enc.encode(df), ModelConfig(), TrainingConfig()
    gen = torch.Generator().manual_seed(0)
    out: dict = {"d": d}
    start = time.perf_counter()
    keep = torch.as_tensor(screen_pairs(x, torch.arange(d), d))
    out["screen_s"] = time.perf_counter() - start
    for label, forbidden in (("dense", torch.zeros(d, d, dtype=torch.bool)), ("screened", ~keep)):
        sem = SEM(enc.types, enc.widths, mc, gen)
        graph = EdgeLogits(forbidden, torch.zeros(d, d, dtype=torch.bool))
        if label == "screened":
            sem.functions.restrict(~graph.forbidden)
        opt = torch.optim.Adam([*sem.parameters(), *graph.parameters()], lr=1e-3)
        al = AugmentedLagrangian()

        def step(sem=sem, graph=graph, opt=opt, al=al):
            idx = torch.randint(len(x), (tc.batch_size,), generator=gen)
            t = discovery_terms(sem, graph.probs(), x[idx], GraphPrior(0.001), al.penalty, len(x), 16, gen)
            opt.zero_grad()
            t.loss.backward()
            opt.step()

        out[f"{label}_ms"] = _time(step, steps)
        graphs = sample_pairs(graph.probs().detach(), 16, gen)
        xb = x[: tc.batch_size].reshape(16, -1, x.shape[1])

        def likelihood(sem=sem, graphs=graphs, xb=xb):
            ll, loc = sem.fit_terms(xb, graphs, mean_functions=False)
            (ll.mean() + loc).backward()

        out[f"{label}_sem_ms"] = _time(likelihood, steps)
    p = torch.full((d, d), 0.1, requires_grad=True)
    out["acyclicity_ms"] = _time(lambda: acyclicity(p).backward(), steps)
    out["sampling_ms"] = _time(lambda: sample_pairs(p.detach(), 16, gen), steps)
    return out


def _time(fn, steps: int) -> float:
    for _ in range(3):
        fn()
    start = time.perf_counter()
    for _ in range(steps):
        fn()
    return (time.perf_counter() - start) / steps * 1000


def table(rows: list[dict]) -> str:
    head = (
        "| d | n | graph, noise | method | orientation F1 | adjacency F1 | SHD | wall s | training s "
        "| steps | s/step | peak MB | converged | screening recall | load |"
    )
    lines = [head, "|" + "---|" * 15]
    for r in rows:
        case = f"| {r['d']} | {r['n']:,} | {r['kind']}, {r['noise']} | {r['method']} |"
        if "error" in r:
            wall = r.get("wall_s", 0)
            lines.append(f"{case} {r['error']} | | | {wall:.0f} | | | | | | | {r['load']:.1f} |")
            continue
        deci = r["method"] == "deci"

        def num(key: str, fmt: str, r: dict = r) -> str:
            return format(r[key], fmt) if r.get(key) is not None else "-"

        lines.append(
            f"{case} {r['orient_f1']:.2f} | {r['adj_f1']:.2f} | {r['shd']} | {r['wall_s']:.0f} | "
            f"{num('train_s', '.0f')} | {num('steps', 'd')} | {num('s_per_step', '.3f')} | "
            f"{r['peak_mb']:.0f} | {('yes' if r['converged'] else 'NO') if deci else '-'} | "
            f"{num('screen_recall', '.3f')} | {r['load']:.1f} |"
        )
    return "\n".join(lines)


def profile_table(profiles: list[dict]) -> str:
    lines = [
        "| d | step ms, all pairs | step ms, screened | SEM likelihood fwd+bwd ms (all / screened) "
        "| acyclicity fwd+bwd ms | 16 graph samples ms | screening s |",
        "|" + "---|" * 7,
    ]
    for p in profiles:
        lines.append(
            f"| {p['d']} | {p['dense_ms']:.0f} | {p['screened_ms']:.0f} | {p['dense_sem_ms']:.0f} / "
            f"{p['screened_sem_ms']:.0f} | {p['acyclicity_ms']:.1f} | {p['sampling_ms']:.1f} | "
            f"{p['screen_s']:.1f} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--cases", default="50x5000,100x5000,200x5000,20x100000", help="DxN list, or none")
    parser.add_argument("--methods", default="deci,ges,dagma")
    parser.add_argument("--kind", default="er")
    parser.add_argument("--noise", default="gaussian")
    parser.add_argument("--seeds", default="0")
    parser.add_argument("--limit", type=float, default=1500, help="seconds before a DECI fit is killed")
    parser.add_argument("--peer-limit", type=float, default=240, help="seconds before a peer is killed")
    parser.add_argument("--profile", default="", help="comma-separated d to profile a step at")
    parser.add_argument("--rows", default="/tmp/scale_rows.jsonl", help="JSON-lines file results go to")
    parser.add_argument("--write", action="store_true")
    parser.add_argument("--note", default="")
    args = parser.parse_args()
    rows_file = Path(args.rows)
    for d in (int(v) for v in args.profile.split(",") if v):
        result = {"profile": profile(d), "load": os.getloadavg()[0]}
        print(json.dumps(result), flush=True)
        with rows_file.open("a") as f:
            f.write(json.dumps(result) + "\n")
    cases = [tuple(int(v) for v in c.split("x")) for c in args.cases.split(",") if c != "none"]
    for d, n in cases:
        for seed in (int(s) for s in args.seeds.split(",")):
            for method in args.methods.split(","):
                job = dict(d=d, n=n, kind=args.kind, noise=args.noise, seed=seed, method=method)
                result = run_job(job, args.limit if method == "deci" else args.peer_limit)
                print(json.dumps(result), flush=True)
                with rows_file.open("a") as f:
                    f.write(json.dumps(result) + "\n")
    if args.write:
        records = [json.loads(line) for line in rows_file.read_text().splitlines() if line.strip()]
        profiles = [r["profile"] for r in records if "profile" in r]
        fits = [r for r in records if "profile" not in r]
        text = args.note + "\n\n" + (profile_table(profiles) + "\n\n" if profiles else "") + table(fits)
        write_section(text, HEADING)


if __name__ == "__main__":
    main()
