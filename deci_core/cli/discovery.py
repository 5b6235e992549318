"""The ``fit`` and ``graph`` subcommands (see :mod:`deci_core.cli.main` for the registry)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from deci_core.cli.main import load_run, read_csv, read_json, register
from deci_core.config import PRESETS, TrainingConfig
from deci_core.data.schema import infer_schema
from deci_core.errors import DataError
from deci_core.graph.dag import is_dag
from deci_core.training.callbacks import FitProgress


def _fit_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("data", help="CSV file, one column per variable")
    parser.add_argument("--out", required=True, help="run directory to write the model to")
    parser.add_argument("--constraints", help="constraints JSON file")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--preset", choices=sorted(PRESETS), default="standard")
    parser.add_argument("--max-seconds", type=float, help="training time budget in seconds")
    parser.add_argument(
        "--types", help='JSON file {"column": "continuous" | "binary" | "categorical" | "excluded"}'
    )


@register("fit", "Learn a graph posterior and SEM from a CSV file.", _fit_args)
def fit_command(args: argparse.Namespace) -> dict[str, Any]:
    from deci_core.constraints import Constraints
    from deci_core.model import DECI

    df = read_csv(args.data)
    schema = infer_schema(df)
    if args.types:
        types = read_json(args.types, "Types")
        if not isinstance(types, dict):
            raise DataError('Types file must hold an object like {"age": "continuous"}.')
        schema = schema.with_types(types, df)
    constraints = (
        Constraints.from_dict(read_json(args.constraints, "Constraints")) if args.constraints else None
    )
    training = TrainingConfig(seed=args.seed, preset=args.preset, max_seconds=args.max_seconds)
    model = DECI(training_config=training).fit(df, constraints, schema, callbacks=[_stderr_progress])
    out = Path(args.out)
    model.save(out)
    model.graph_posterior_.edge_probs.to_csv(out / "edge_probs.csv")
    summary = model.fit_summary_
    edges = model.graph_posterior_.edges()
    return {
        "run_dir": str(out),
        "variables": list(model.encoder_.names),
        "steps": summary.steps,
        "seconds": summary.seconds,
        "stopped": summary.stopped,
        "num_edges": len(edges),
        "edges": [list(e) for e in edges],
        "acyclic": True,
        **_unidentified(model.graph_posterior_, None),
    }


def _stderr_progress(progress: FitProgress) -> None:
    if progress.done or progress.step % 250 == 0:
        print(
            f"step {progress.step}/{progress.max_steps}  objective {progress.objective:.3f}  "
            f"edges {progress.num_edges}  acyclicity {progress.acyclicity:.2g}  "
            f"elapsed {progress.elapsed_s:.0f}s  eta {progress.eta_s:.0f}s",
            file=sys.stderr,
            flush=True,
        )


def _graph_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("run_dir", help="run directory written by `fit`")
    parser.add_argument(
        "--threshold", type=float, help="edges above this probability (default: most probable graph)"
    )


@register("graph", "Print the most probable graph (or edges above a threshold, made acyclic).", _graph_args)
def graph_command(args: argparse.Namespace) -> dict[str, Any]:
    posterior = load_run(args.run_dir).graph_posterior_
    graph = posterior.to_networkx(args.threshold)
    names = list(posterior.names)
    adjacency = [[graph.has_edge(a, b) for b in names] for a in names]
    return {
        "edges": [list(e) for e in posterior.edges(args.threshold)],
        "acyclic": bool(is_dag(adjacency)),
        **_unidentified(posterior, args.threshold),
    }


def _unidentified(posterior, threshold: float | None) -> dict[str, Any]:
    """The edges whose direction the data cannot identify, with the note and the hint."""
    pairs = posterior.not_identifiable() if threshold is None else posterior.not_identifiable(threshold)
    return {
        "not_identifiable": [list(p) for p in pairs],
        "not_identifiable_note": f"{posterior.NOT_IDENTIFIABLE}: {posterior.HINT}" if pairs else "",
    }
