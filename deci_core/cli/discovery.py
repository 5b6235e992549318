"""The ``fit``, ``continue`` and ``graph`` subcommands (see :mod:`deci_core.cli.main` for the registry).

``fit``'s JSON says ``"converged"`` and, in ``"convergence"``, why (:mod:`deci_core.training.convergence`):
a graph from an unconverged fit is not a result yet. ``continue RUN_DIR DATA.csv [--steps N]
[--max-seconds S]`` continues its training from the saved state (not from scratch) and rewrites the run.

Time series: ``fit --time-column T [--series-column S] [--lags K]`` learns a temporal graph and also
writes ``RUN_DIR/edge_probs_lagged.csv`` (``parent,child,lag,probability``, every pair and lag, self
edges at lags >= 1; lag 0 is instantaneous); ``edge_probs.csv`` then holds the summary graph.
``graph`` on such a run prints ``{"temporal": true, "edges": [[parent, child, lag, probability],
...], "acyclic": true}`` (acyclic: the instantaneous part).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from deci_core.cli.main import add_na_values, load_run, read_csv, read_json, register
from deci_core.config import MISSING_POLICIES, PRESETS, ModelConfig, TrainingConfig
from deci_core.data.schema import infer_schema
from deci_core.data.windows import GAP_POLICIES, TimeSeriesLayout
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
    parser.add_argument("--max-steps", type=int, help="training step budget (default: the preset's)")
    parser.add_argument(
        "--types", help='JSON file {"column": "continuous" | "binary" | "categorical" | "excluded"}'
    )
    parser.add_argument(
        "--missing",
        choices=MISSING_POLICIES,
        default="model",
        help="missing cells: 'model' (default) keeps every row and imputes inside the model; "
        "'drop' drops the rows with a missing modelled value",
    )
    add_na_values(parser)
    parser.add_argument("--time-column", help="read the table as time series ordered by this column")
    parser.add_argument("--series-column", help="column naming each series (default: one series)")
    parser.add_argument("--lags", type=int, help="largest lag K (default: from the autocorrelation)")
    parser.add_argument(
        "--gap-policy", choices=GAP_POLICIES, default="drop", help="irregular steps: drop, resample or error"
    )
    parser.add_argument("--no-instantaneous", action="store_true", help="only lagged effects")


@register("fit", "Learn a graph posterior and SEM from a CSV file.", _fit_args)
def fit_command(args: argparse.Namespace) -> dict[str, Any]:
    from deci_core.constraints import Constraints
    from deci_core.model import DECI

    df = read_csv(args.data, args.na_values)
    schema = infer_schema(df)
    if args.types:
        types = read_json(args.types, "Types")
        if not isinstance(types, dict):
            raise DataError('Types file must hold an object like {"age": "continuous"}.')
        schema = schema.with_types(types, df)
    constraints = (
        Constraints.from_dict(read_json(args.constraints, "Constraints")) if args.constraints else None
    )
    training = TrainingConfig(
        seed=args.seed, preset=args.preset, max_seconds=args.max_seconds, max_steps=args.max_steps
    )
    layout = _layout(args)
    config = ModelConfig(missing=args.missing)
    model = DECI(config, training).fit(
        df, constraints, schema, callbacks=[_stderr_progress], time_series=layout
    )
    out = Path(args.out)
    model.save(out)
    model.graph_posterior_.edge_probs.to_csv(out / "edge_probs.csv")
    if layout is not None:
        model.graph_posterior_.lagged_table().to_csv(out / "edge_probs_lagged.csv", index=False)
        info = model.time_series_
        return {
            **_run_summary(model, out),
            "temporal": True,
            "lags": info.lags,
            "windows": info.windows,
            "dropped_windows": info.dropped,
            "spacing": info.spacing.sentence(),
        }
    return _static_summary(model, out, df, schema, args.na_values)


def _run_summary(model, out: Path) -> dict[str, Any]:
    """What every fit's JSON says: where it is, how training went, the edges found."""
    summary = model.fit_summary_
    edges = model.graph_posterior_.edges()
    return {
        "run_dir": str(out),
        "variables": list(model.encoder_.names),
        "steps": summary.steps,
        "seconds": summary.seconds,
        "stopped": summary.stopped,
        **_convergence(summary),
        "num_edges": len(edges),
        "edges": [list(e) for e in edges],
        "acyclic": True,
    }


def _static_summary(model, out: Path, df, schema, na_values) -> dict[str, Any]:
    summary = model.fit_summary_
    return {
        **_run_summary(model, out),
        "missing": {
            "policy": summary.missing_policy,
            "na_values": list(na_values),
            "cells": summary.missing_cells,
            "rows": len(df),
            "rows_used": summary.rows,
            "dropped_rows": summary.dropped_rows,
        },
        "excluded": {v.name: v.reason for v in schema.variables if v.type.value == "excluded"},
        **_unidentified(model.graph_posterior_, None),
    }


def _convergence(summary) -> dict[str, Any]:
    """The verdict (:mod:`deci_core.training.convergence`); an unconverged graph is not a result."""
    return {"converged": bool(summary.converged), "convergence": summary.convergence}


def _continue_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("run_dir", help="run directory written by `fit` (rewritten in place)")
    parser.add_argument("data", help="the CSV file the run was fitted on")
    parser.add_argument("--steps", type=int, help="more steps (default: the preset's again)")
    parser.add_argument("--max-seconds", type=float, help="more seconds (default: the preset's again)")
    add_na_values(parser)


@register("continue", "Continue a fit's training from where it stopped (not from scratch).", _continue_args)
def continue_command(args: argparse.Namespace) -> dict[str, Any]:
    model = load_run(args.run_dir)
    df = read_csv(args.data, args.na_values)
    model.continue_fit(df, args.steps, args.max_seconds, callbacks=[_stderr_progress])
    out = Path(args.run_dir)
    model.save(out)
    model.graph_posterior_.edge_probs.to_csv(out / "edge_probs.csv")
    return _static_summary(model, out, df, model.schema_, args.na_values)


def _layout(args: argparse.Namespace) -> TimeSeriesLayout | None:
    if not args.time_column:
        if args.series_column or args.lags is not None or args.no_instantaneous:
            raise DataError("--series-column, --lags and --no-instantaneous need --time-column.")
        return None
    return TimeSeriesLayout(
        args.time_column, args.series_column, args.lags, args.gap_policy, not args.no_instantaneous
    )


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
    if getattr(posterior, "temporal", False):
        edges = posterior.edges(args.threshold)
        instant = posterior.most_probable(0.5 if args.threshold is None else args.threshold)[0]
        return {"temporal": True, "edges": [list(e) for e in edges], "acyclic": bool(is_dag(instant))}
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
