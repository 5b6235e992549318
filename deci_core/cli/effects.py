"""The effect subcommands ``ate``, ``cate``, ``counterfactual`` and ``ite``.

Registered in :mod:`deci_core.cli.main`.

``ate --estimand ate|att|atc --method sem|dr|all [--data DATA.csv] [--trim X]``: ``sem`` simulates
in the SEM (no data needed); ``dr`` estimates on the data with EconML on each sampled graph's
adjustment set (:mod:`deci_core.effects.doubly_robust`), its keys under ``learners``; ``all`` gives
the SEM's keys plus ``dr`` and ``disagreement`` (a sentence, or null). ``method_used`` names it.

Each prints one JSON object on stdout (``estimate``, ``std_error``, ``interval_95``, ``num_graphs``,
``num_samples`` at least; ``counterfactual`` adds ``factual`` and ``counterfactual``; ``ite`` writes
``effect, lower_95, upper_95`` per input row, in the input's order, to ``--out``; rows with gaps are
accepted when the model was fitted with its imputation network, and their effects average over
imputations; ``--na-values`` says which cell texts are missing, as for ``fit``). On a time-series
run, ``ate --horizon H [--hold]`` prints ``estimate_by_step`` ``[e_0, ..., e_H]`` and
``interval_95_by_step`` ``[[lo, hi], ...]``: Y at steps t..t+H after do(X_t = a) minus after
do(X_t = b), from the training histories (:mod:`deci_core.effects.temporal`). Values are in the
data's own units; a binary variable's two levels may be named 0 and 1 (or 0.0 / 1.0), a
categorical's by label. ``--condition X=v`` conditions on a value, ``X=low..high`` on a range and
``X=a,b`` on a set of levels. Expected errors: one line on stderr, exit code 2.
"""

from __future__ import annotations

import argparse
from typing import Any

from deci_core.cli.main import add_na_values, load_run, read_csv, register
from deci_core.data.plain import finite_or_none
from deci_core.effects.doubly_robust import disagreement, doubly_robust
from deci_core.effects.individual import counterfactual, individual_effects
from deci_core.effects.methods import training_rows
from deci_core.effects.query import ESTIMANDS, EffectQuery, EffectQueryError
from deci_core.effects.simulate import average_effect


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("run_dir", metavar="RUN_DIR", help="folder written by `fit`")
    p.add_argument("--num-graphs", type=int, default=20, help="graphs drawn: the most probable + samples")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--outcome-level", default=None, help="level of a discrete outcome (default: the last)")


def _arms(p: argparse.ArgumentParser) -> None:
    _common(p)
    p.add_argument("--treatment", required=True)
    p.add_argument("--outcome", required=True)
    p.add_argument("--treatment-value", required=True)
    p.add_argument("--control-value", required=True)


def _ate_args(p: argparse.ArgumentParser) -> None:
    _arms(p)
    p.add_argument("--num-samples", type=int, default=None, help="simulated units per graph")
    p.add_argument("--estimand", choices=sorted(ESTIMANDS), default="ate", help="ate, att or atc")
    p.add_argument("--horizon", type=int, help="time series: follow the outcome for H steps after")
    p.add_argument("--hold", action="store_true", help="time series: hold the treatment for all steps")


def _ate_only_args(p: argparse.ArgumentParser) -> None:
    _ate_args(p)
    p.add_argument(
        "--method",
        choices=("sem", "dr", "all"),
        default="sem",
        help="sem: DECI's simulation; dr: EconML on each graph's adjustment set (needs --data); all: both",
    )
    p.add_argument("--data", default=None, help="CSV with the model's columns (for --method dr / all)")
    p.add_argument("--trim", type=float, default=None, help="drop rows with propensity outside [x, 1-x] (dr)")


def _cate_args(p: argparse.ArgumentParser) -> None:
    _ate_args(p)
    p.add_argument(
        "--condition",
        action="append",
        required=True,
        metavar="X=v",
        help="X=v, X=low..high or X=a,b (repeatable)",
    )


def _counterfactual_args(p: argparse.ArgumentParser) -> None:
    _common(p)
    p.add_argument("--data", required=True, help="CSV with the model's columns")
    p.add_argument("--row", type=int, required=True, help="row position in the file (0 = first data row)")
    p.add_argument("--set", action="append", required=True, metavar="T=v", help="value to set (repeatable)")
    p.add_argument("--outcome", required=True)
    p.add_argument("--abduction-draws", type=int, default=None)
    add_na_values(p)


def _ite_args(p: argparse.ArgumentParser) -> None:
    _arms(p)
    p.add_argument("--data", required=True, help="CSV with the model's columns")
    p.add_argument("--out", required=True, help="CSV to write: effect, lower_95, upper_95 per input row")
    p.add_argument("--abduction-draws", type=int, default=None)
    add_na_values(p)


@register("ate", "Average treatment effect E[Y|do(T=a)] - E[Y|do(T=b)].", _ate_only_args)
def ate_command(args: argparse.Namespace, conditioning: dict[str, Any] | None = None) -> dict[str, Any]:
    model = load_run(args.run_dir)
    horizon = getattr(args, "horizon", None)
    if model.is_temporal or horizon is not None:
        return _trajectory(model, args, horizon, conditioning)
    method = getattr(args, "method", "sem")
    query = _query(args, conditioning)
    sem = None
    if method in ("sem", "all"):
        sem = average_effect(
            model,
            query,
            num_graphs=args.num_graphs,
            num_samples=args.num_samples,
            seed=args.seed,
            data_rows=training_rows(model),
        )
        if method == "sem":
            return finite_or_none({**sem.to_dict(), "method_used": "sem"})
    if not args.data:
        raise EffectQueryError(f"--method {method} estimates on the data: give it with --data DATA.csv.")
    dr = doubly_robust(
        model, read_csv(args.data), query, num_graphs=args.num_graphs, seed=args.seed, trim=args.trim
    )
    dr_dict = dr.to_dict()
    best = dr.best()
    if sem is None:
        head = {
            "estimate": best.value if best else 0.0,
            "std_error": best.std_error if best else 0.0,
            "interval_95": list(best.interval_95) if best else [0.0, 0.0],
            "num_graphs": args.num_graphs,
            "num_samples": dr.num_rows,
            "estimand": query.estimand,
        }
        return finite_or_none({**head, **dr_dict, "method_used": "dr"})
    conflict = disagreement(sem.value, sem.std_error, dr)
    return finite_or_none({**sem.to_dict(), "dr": dr_dict, "disagreement": conflict, "method_used": "all"})


@register("cate", "Conditional average treatment effect given modifier values.", _cate_args)
def cate_command(args: argparse.Namespace) -> dict[str, Any]:
    return ate_command(args, dict(parse_condition(c) for c in args.condition))


@register("counterfactual", "One row's outcome had a variable been set to a value.", _counterfactual_args)
def counterfactual_command(args: argparse.Namespace) -> dict[str, Any]:
    model = load_run(args.run_dir)
    df = read_csv(args.data, args.na_values)
    if not 0 <= args.row < len(df):
        raise EffectQueryError(f"--row must be between 0 and {len(df) - 1}; got {args.row}.")
    sets = dict(_assignment(s) for s in args.set)
    cf = counterfactual(
        model,
        df.iloc[[args.row]],
        sets,
        args.outcome,
        num_graphs=args.num_graphs,
        seed=args.seed,
        outcome_level=args.outcome_level,
        abduction_draws=args.abduction_draws,
    )
    return finite_or_none({**cf.to_dict(), "row": args.row})


@register("ite", "Every row's individual effect, written to a CSV.", _ite_args)
def ite_command(args: argparse.Namespace) -> dict[str, Any]:
    model = load_run(args.run_dir)
    df = read_csv(args.data, args.na_values)
    result = individual_effects(
        model,
        df,
        _query(args),
        num_graphs=args.num_graphs,
        seed=args.seed,
        abduction_draws=args.abduction_draws,
    )
    try:
        result.table.to_csv(args.out, index=False)
    except OSError as exc:
        raise EffectQueryError(f"Could not write '{args.out}': {exc.strerror or exc}.") from exc
    return finite_or_none({**result.summary(), "out": str(args.out)})


def _trajectory(model: Any, args: argparse.Namespace, horizon: int | None, conditioning: Any) -> dict:
    if not model.is_temporal:
        raise EffectQueryError("--horizon needs a run fitted on time series (fit --time-column T).")
    if horizon is None:
        raise EffectQueryError("This run is a time-series model: give --horizon H (steps to follow).")
    if conditioning:
        raise EffectQueryError("cate is not available for time-series runs; use ate --horizon H.")
    effect = model.trajectory(
        args.treatment,
        args.outcome,
        args.treatment_value,
        args.control_value,
        horizon=horizon,
        hold=args.hold,
        num_graphs=args.num_graphs,
        num_samples=args.num_samples or 1000,
        seed=args.seed,
    )
    return finite_or_none(effect.to_dict())


def _query(args: argparse.Namespace, conditioning: dict[str, Any] | None = None) -> EffectQuery:
    """The question the arguments ask."""
    return EffectQuery(
        args.treatment,
        args.outcome,
        args.treatment_value,
        args.control_value,
        dict(conditioning or {}),
        args.outcome_level,
        getattr(args, "estimand", "ate"),
    )


def parse_condition(text: str) -> tuple[str, Any]:
    """'X=v' -> (X, 'v'); 'X=low..high' -> (X, (low, high)); 'X=a,b' -> (X, ['a', 'b'])."""
    name, sep, value = text.partition("=")
    if not sep or not name.strip() or not value.strip():
        raise EffectQueryError(f"Write a condition as X=value, X=low..high or X=a,b; got {text!r}.")
    value = value.strip()
    if ".." in value:
        low, _, high = value.partition("..")
        return name.strip(), (low, high)
    if "," in value:
        return name.strip(), [v.strip() for v in value.split(",")]
    return name.strip(), value


def _assignment(text: str) -> tuple[str, str]:
    name, sep, value = text.partition("=")
    if not sep or not name.strip():
        raise EffectQueryError(f"Write --set as T=value; got {text!r}.")
    return name.strip(), value.strip()


