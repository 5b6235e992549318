"""Effect subcommands of ``python -m deci_core``: ate, cate, counterfactual, ite.

Each prints one JSON object on stdout; expected errors print one line on stderr and exit 2.
``register(subparsers)`` adds them to the engine's CLI; ``main(argv)`` runs them on their own.
Values are given in the data's own units; a binary variable's levels may be named 0 / 1; a
categorical's by label. ``--condition X=v`` conditions on a value, ``X=low..high`` on a range, and
``X=a,b`` on a set of levels.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path
from typing import Any

import pandas as pd

from deci_core.effects.individual import counterfactual, individual_effects
from deci_core.effects.setup import EffectQueryError
from deci_core.effects.simulate import average_effect
from deci_core.errors import DataError, DeciError


def register(subparsers: Any) -> None:
    """Add ate / cate / counterfactual / ite to an argparse subparsers object (``handler`` default)."""
    for name, help_text, handler in (
        ("ate", "average treatment effect", _ate),
        ("cate", "conditional average treatment effect", _cate),
    ):
        p = subparsers.add_parser(name, help=help_text)
        _common(p)
        _arms(p)
        p.add_argument("--num-samples", type=int, default=None, help="simulated units per graph")
        if name == "cate":
            p.add_argument(
                "--condition",
                action="append",
                required=True,
                metavar="X=v",
                help="X=v, X=low..high or X=a,b (repeatable)",
            )
        p.set_defaults(handler=handler)
    p = subparsers.add_parser("counterfactual", help="one row's outcome under an intervention")
    _common(p)
    p.add_argument("--data", required=True, help="CSV with the model's columns")
    p.add_argument("--row", type=int, required=True, help="row position in the file (0 = first data row)")
    p.add_argument("--set", action="append", required=True, metavar="T=v", help="value to set (repeatable)")
    p.add_argument("--outcome", required=True)
    p.add_argument("--abduction-draws", type=int, default=None)
    p.set_defaults(handler=_counterfactual)
    p = subparsers.add_parser("ite", help="every row's individual effect, written to a CSV")
    _common(p)
    _arms(p)
    p.add_argument("--data", required=True, help="CSV with the model's columns")
    p.add_argument("--out", required=True, help="CSV to write: effect, lower_95, upper_95 per input row")
    p.add_argument("--abduction-draws", type=int, default=None)
    p.set_defaults(handler=_ite)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m deci_core", description="Causal effects from a fitted model."
    )
    register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    return run(args)


def run(args: argparse.Namespace) -> int:
    """Execute a parsed effect command: JSON on stdout, or one line on stderr and exit code 2."""
    try:
        result = args.handler(args)
    except DeciError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except (OSError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(json.dumps(_finite(result)))
    return 0


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("run_dir", metavar="RUN_DIR", help="folder written by `fit`")
    p.add_argument("--num-graphs", type=int, default=20, help="graphs drawn (most probable + samples)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--outcome-level", default=None, help="level of a discrete outcome (default: last)")


def _arms(p: argparse.ArgumentParser) -> None:
    p.add_argument("--treatment", required=True)
    p.add_argument("--outcome", required=True)
    p.add_argument("--treatment-value", required=True)
    p.add_argument("--control-value", required=True)


def _load(run_dir: str) -> Any:
    from deci_core.model import DECI

    return DECI.load(run_dir)


def _ate(args: argparse.Namespace, conditioning: dict[str, Any] | None = None) -> dict[str, Any]:
    model = _load(args.run_dir)
    est = average_effect(
        model,
        args.treatment,
        args.outcome,
        args.treatment_value,
        args.control_value,
        conditioning=conditioning,
        num_graphs=args.num_graphs,
        num_samples=args.num_samples,
        seed=args.seed,
        outcome_level=args.outcome_level,
        data_rows=getattr(model, "num_rows_", None),
    )
    return est.to_dict()


def _cate(args: argparse.Namespace) -> dict[str, Any]:
    return _ate(args, dict(parse_condition(c) for c in args.condition))


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


def _read(path: str) -> pd.DataFrame:
    if not Path(path).is_file():
        raise DataError(f"No data file at {path}: give the CSV the effects are for.")
    return pd.read_csv(path)


def _counterfactual(args: argparse.Namespace) -> dict[str, Any]:
    model = _load(args.run_dir)
    df = _read(args.data)
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
    return {**cf.to_dict(), "row": args.row}


def _assignment(text: str) -> tuple[str, str]:
    name, sep, value = text.partition("=")
    if not sep or not name.strip():
        raise EffectQueryError(f"Write --set as T=value; got {text!r}.")
    return name.strip(), value.strip()


def _ite(args: argparse.Namespace) -> dict[str, Any]:
    model = _load(args.run_dir)
    df = _read(args.data)
    result = individual_effects(
        model,
        df,
        args.treatment,
        args.outcome,
        args.treatment_value,
        args.control_value,
        num_graphs=args.num_graphs,
        seed=args.seed,
        outcome_level=args.outcome_level,
        abduction_draws=args.abduction_draws,
    )
    result.table.to_csv(args.out, index=False)
    return {**result.summary(), "out": str(args.out)}


def _finite(value: Any) -> Any:
    """NaN / inf -> None, recursively, so the output is strict JSON."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_finite(v) for v in value]
    return value


if __name__ == "__main__":
    sys.exit(main())
