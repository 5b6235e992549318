"""Command line: ``python -m deci_core <command> ...``.

Commands live in a registry. To add one, write a module that defines how the command reads its
arguments and what it does, registers it, and is listed in :data:`COMMAND_MODULES`; the handler
returns a JSON-able dict that is printed as one line on stdout::

    def _my_args(parser: argparse.ArgumentParser) -> None:
        parser.add_argument("run_dir")

    @register("mine", "one-line help", _my_args)
    def _mine(args: argparse.Namespace) -> dict:
        model = load_run(args.run_dir)
        return {...}

Progress goes to stderr. A :class:`~deci_core.errors.DeciError` becomes a one-line message on stderr
and exit code 2 (never a traceback); any other exception is reported in one line with exit code 1.
"""

from __future__ import annotations

import argparse
import importlib
import json
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from deci_core.data.missing import CLI_NA_VALUES, parse_na_values
from deci_core.data.plain import json_default
from deci_core.errors import DataError, DeciError

Handler = Callable[[argparse.Namespace], dict[str, Any]]


@dataclass(frozen=True)
class Command:
    """A registered subcommand."""

    name: str
    help: str
    configure: Callable[[argparse.ArgumentParser], None]
    handler: Handler


COMMANDS: dict[str, Command] = {}


def register(
    name: str, help: str, configure: Callable[[argparse.ArgumentParser], None]
) -> Callable[[Handler], Handler]:
    """Decorator adding a subcommand ``name`` whose arguments ``configure`` declares."""

    def decorate(handler: Handler) -> Handler:
        COMMANDS[name] = Command(name, help, configure, handler)
        return handler

    return decorate


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m deci_core", description="DECI causal discovery and effects."
    )
    sub = parser.add_subparsers(dest="command", required=True)
    for command in COMMANDS.values():
        command.configure(sub.add_parser(command.name, help=command.help, description=command.help))
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; returns the process exit code (0 ok, 2 user error, 1 bug)."""
    _load_commands()
    args = build_parser().parse_args(argv)
    try:
        result = COMMANDS[args.command].handler(args)
    except DeciError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except Exception as exc:  # noqa: BLE001 - the CLI promises one line, never a traceback
        print(f"unexpected error ({type(exc).__name__}): {exc}", file=sys.stderr)
        return 1
    print(json.dumps(result, default=json_default))
    return 0


COMMAND_MODULES = ("deci_core.cli.discovery", "deci_core.cli.effects", "deci_core.cli.trust")
"""Modules whose import registers commands; add yours here (e.g. "deci_core.cli.effects")."""


def _load_commands() -> None:
    for module in COMMAND_MODULES:
        importlib.import_module(module)


def read_csv(path: str | Path, na_values: Sequence[str] = CLI_NA_VALUES) -> pd.DataFrame:
    """Read a CSV table, with exactly ``na_values`` (and the empty cell) read as missing; raise
    DataError with the reason when it cannot be read."""
    try:
        return pd.read_csv(path, keep_default_na=False, na_values=list(dict.fromkeys(["", *na_values])))
    except FileNotFoundError as exc:
        raise DataError(f"Data file '{path}' does not exist.") from exc
    except (OSError, ValueError, pd.errors.ParserError) as exc:
        raise DataError(f"Data file '{path}' could not be read as CSV: {exc}") from exc


def add_na_values(parser: argparse.ArgumentParser) -> None:
    """The ``--na-values`` option of the commands that read a CSV."""
    parser.add_argument(
        "--na-values",
        type=parse_na_values,
        default=CLI_NA_VALUES,
        metavar="TOKENS",
        help="comma-separated cell texts read as missing (default: NA,NaN; an empty cell always is); "
        "--na-values '' reads only empty cells as missing, so a level called NA or None is kept",
    )


def read_json(path: str | Path, what: str) -> Any:
    """Read a JSON file; raise DataError naming ``what`` it should hold when it cannot be read."""
    try:
        return json.loads(Path(path).read_text())
    except FileNotFoundError as exc:
        raise DataError(f"{what} file '{path}' does not exist.") from exc
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise DataError(f"{what} file '{path}' is not valid JSON: {exc}") from exc


def load_run(run_dir: str | Path):
    """Load the model saved in a run directory (ModelFileError if there is none)."""
    from deci_core.model import DECI

    return DECI.load(run_dir)


