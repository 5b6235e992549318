"""``refute``, ``stability`` and ``edges-that-matter``: can I trust this effect?

``refute RUN_DIR --data DATA.csv --treatment T --outcome Y --treatment-value A --control-value B``
prints ``{"refutations": [{"name", "original", "new", "expected", "p_value", "passed", "sentence",
...}, ...], "sensitivity": {"robustness_value": r, ...}, "summary": ...}``
(:mod:`deci_core.effects.refute`, :mod:`deci_core.effects.sensitivity`).

``stability DATA.csv --out DIR --runs N [--ray-address ADDR] [fit options]`` writes
``DIR/edge_frequency.csv`` (names as header row and first column) and prints a summary
(:mod:`deci_core.stability`); with ``--treatment`` etc. also each run's effect. Without
``--ray-address``, ``$DECI_STUDIO_RAY_ADDRESS`` is used when set, else a local process pool.

``edges-that-matter RUN_DIR --treatment T --outcome Y --treatment-value A --control-value B
[--data DATA.csv]`` prints ``{"edges": [{"edge": [a, b], "probability": p, "effect_if_present": x,
"effect_if_absent": y, ...}, ...]}`` sorted by ``|x - y|`` (:mod:`deci_core.effects.edges_matter`);
with ``--data`` the top ``--refits`` edges are refitted exactly.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from deci_core.cli.main import add_na_values, load_run, read_csv, read_json, register
from deci_core.config import PRESETS, ModelConfig, TrainingConfig
from deci_core.data.plain import finite_or_none
from deci_core.data.schema import infer_schema
from deci_core.effects.query import EffectQuery
from deci_core.errors import DataError


def _question(p: argparse.ArgumentParser, required: bool = True) -> None:
    p.add_argument("--treatment", required=required)
    p.add_argument("--outcome", required=required)
    p.add_argument("--treatment-value", required=required)
    p.add_argument("--control-value", required=required)
    p.add_argument("--outcome-level", default=None, help="level of a discrete outcome (default: the last)")
    p.add_argument("--seed", type=int, default=0)


def _refute_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("run_dir", metavar="RUN_DIR", help="folder written by `fit`")
    p.add_argument("--data", required=True, help="CSV the model was fitted on")
    _question(p)
    p.add_argument("--estimators", default="sem,dr", help="comma-separated: sem, dr (default both)")
    p.add_argument("--subsets", type=int, default=3, help="refits of the data-subset check")
    p.add_argument("--refit-steps", type=int, default=None, help="fixed-graph steps per SEM refit")
    add_na_values(p)


@register("refute", "Refutations and sensitivity to a hidden confounder for one effect.", _refute_args)
def refute_command(args: argparse.Namespace) -> dict[str, Any]:
    from deci_core.effects.refute import refute
    from deci_core.effects.sensitivity import sensitivity

    model = load_run(args.run_dir)
    df = read_csv(args.data, args.na_values)
    query = _query(args)
    estimators = tuple(e.strip() for e in args.estimators.split(",") if e.strip())
    report = refute(
        model,
        df,
        query,
        estimators=estimators,
        subsets=args.subsets,
        steps=args.refit_steps,
        seed=args.seed,
        progress=_progress,
    )
    sens = sensitivity(model, df, query)
    return finite_or_none(
        {
            "refutations": [r.to_dict() for r in report.refutations],
            "sensitivity": sens.to_dict(),
            "summary": report.summary_sentence(),
            "adjustment_set": list(report.adjustment_set),
        }
    )


def _stability_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("data", metavar="DATA.csv")
    p.add_argument("--out", required=True, help="folder to write edge_frequency.csv (and effects.csv)")
    p.add_argument("--runs", type=int, required=True, help="discovery runs on bootstrap resamples")
    p.add_argument("--ray-address", default=None, help="Ray cluster (default: $DECI_STUDIO_RAY_ADDRESS)")
    p.add_argument(
        "--workers", type=int, default=None, help="local pool size (default: cores / 2; 0: in this process)"
    )
    p.add_argument("--constraints", help="constraints JSON file")
    p.add_argument("--types", help="JSON file of column types, as for fit")
    p.add_argument("--preset", choices=sorted(PRESETS), default="quick")
    p.add_argument("--max-seconds", type=float, help="training time budget per run")
    p.add_argument("--max-steps", type=int, help="training steps per run")
    _question(p, required=False)
    add_na_values(p)


@register("stability", "Edge frequencies over discovery runs on bootstrap resamples.", _stability_args)
def stability_command(args: argparse.Namespace) -> dict[str, Any]:
    from deci_core.constraints import Constraints
    from deci_core.stability import executor_for, stability

    df = read_csv(args.data, args.na_values)
    schema = infer_schema(df)
    if args.types:
        schema = schema.with_types(read_json(args.types, "Types"), df)
    constraints = (
        Constraints.from_dict(read_json(args.constraints, "Constraints")) if args.constraints else None
    )
    training = TrainingConfig(
        seed=args.seed, preset=args.preset, max_seconds=args.max_seconds, max_steps=args.max_steps
    )
    query = None
    if args.treatment or args.outcome:
        if None in (args.treatment, args.outcome, args.treatment_value, args.control_value):
            raise DataError(
                "An effect across runs needs --treatment, --outcome, --treatment-value and --control-value."
            )
        query = _query(args)
    executor = executor_for(args.ray_address, args.workers)
    result = stability(
        df,
        runs=args.runs,
        model_config=ModelConfig(),
        training_config=training,
        constraints=constraints,
        schema=schema,
        query=query,
        seed=args.seed,
        executor=executor,
        on_done=lambda done, total: print(f"run {done}/{total} done", file=sys.stderr, flush=True),
    )
    out = Path(args.out)
    try:
        out.mkdir(parents=True, exist_ok=True)
        result.edge_frequency.to_csv(out / "edge_frequency.csv")
        if result.effects:
            import pandas as pd

            pd.DataFrame({"run": range(result.runs), "effect": result.effects}).to_csv(
                out / "effects.csv", index=False
            )
    except OSError as exc:
        raise DataError(f"Could not write to '{out}': {exc.strerror or exc}.") from exc
    return finite_or_none(
        {**result.summary(), "edge_frequency": str(out / "edge_frequency.csv"), "sentence": result.sentence()}
    )


def _edges_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("run_dir", metavar="RUN_DIR", help="folder written by `fit`")
    _question(p)
    p.add_argument("--data", default=None, help="CSV the model was fitted on (for exact refits)")
    p.add_argument("--refits", type=int, default=3, help="top edges refitted exactly (with --data)")
    p.add_argument("--num-graphs", type=int, default=50)
    p.add_argument("--refit-steps", type=int, default=None)
    add_na_values(p)


@register("edges-that-matter", "Uncertain edges ranked by how much they move the effect.", _edges_args)
def edges_command(args: argparse.Namespace) -> dict[str, Any]:
    from deci_core.effects.edges_matter import edges_that_matter

    model = load_run(args.run_dir)
    df = read_csv(args.data, args.na_values) if args.data else None
    rows = edges_that_matter(
        model,
        _query(args),
        df=df,
        num_graphs=args.num_graphs,
        refits=args.refits,
        steps=args.refit_steps,
        seed=args.seed,
    )
    return finite_or_none({"edges": [r.to_dict() for r in rows]})


def _query(args: argparse.Namespace) -> EffectQuery:
    return EffectQuery(
        args.treatment, args.outcome, args.treatment_value, args.control_value, {}, args.outcome_level
    )


def _progress(done: int, total: int, what: str) -> None:
    print(f"[{done + 1}/{total}] {what}", file=sys.stderr, flush=True)
