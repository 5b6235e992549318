"""Saving and loading fitted models: JSON for everything readable, a state dict for the weights.

A model directory holds:

- ``config.json``: ``{"model": ModelConfig, "training": TrainingConfig}``;
- ``meta.json``: format name and version, variable names, schema, encoder, constraints, graph
  posterior and fit summary; for a temporal model also ``time_series`` (layout, lags, spacing
  report, the bank of histories effects start from) and a posterior marked ``"temporal": true``;
- ``weights.pt``: the SEM's state dict (tensors only), read with ``torch.load(weights_only=True)``;
- ``resume.pt`` (optional): the training loop's state, from which training can continue
  (:mod:`deci_core.training.checkpoint`; tensors, numbers and lists, read with ``weights_only=True``).

Nothing is pickled. Files are written to temporary names and renamed, so a killed process never
leaves a half-written file under its final name. Loading checks the format and version and raises
:class:`~deci_core.errors.ModelFileError` with what is wrong. This module moves plain parts
(:class:`ModelFiles`) to and from files; :meth:`DECI.save` and :meth:`DECI.load` assemble them.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from deci_core.config import ModelConfig, TrainingConfig
from deci_core.constraints import Constraints
from deci_core.data.encoder import TableEncoder
from deci_core.data.schema import TableSchema
from deci_core.data.windows import TimeSeriesInfo
from deci_core.errors import DeciError, ModelFileError
from deci_core.graph.posterior import GraphPosterior
from deci_core.graph.temporal import TemporalGraphPosterior
from deci_core.training.loop import FitSummary

FORMAT = "deci-studio-model"
FORMAT_VERSION = 1
FILES = ("config.json", "meta.json", "weights.pt")
RESUME_FILE = "resume.pt"


@dataclass(frozen=True)
class ModelFiles:
    """A saved model's parts, read back: plain values and the SEM's state dict (tensors only)."""

    model_config: ModelConfig
    training_config: TrainingConfig
    schema: TableSchema
    encoder: TableEncoder
    constraints: Constraints
    graph_posterior: GraphPosterior | TemporalGraphPosterior
    fit_summary: FitSummary
    sem_state: dict[str, torch.Tensor]
    time_series: TimeSeriesInfo | None = None
    training_state: dict[str, Any] | None = None


def write_model(path: Path, parts: ModelFiles) -> Path:
    """Write a fitted model's parts to directory ``path`` (created if needed). Returns the path."""
    path.mkdir(parents=True, exist_ok=True)
    config = {"model": parts.model_config.to_dict(), "training": parts.training_config.to_dict()}
    meta = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "names": list(parts.encoder.names),
        "schema": parts.schema.to_dict(),
        "encoder": parts.encoder.to_dict(),
        "constraints": parts.constraints.to_dict(),
        "graph_posterior": parts.graph_posterior.to_dict(),
        "fit_summary": parts.fit_summary.to_dict(),
    }
    if parts.time_series is not None:
        meta["time_series"] = parts.time_series.to_dict()
    _atomic_write(path / "config.json", lambda f: f.write(json.dumps(config, indent=2).encode()))
    _atomic_write(path / "meta.json", lambda f: f.write(json.dumps(meta, indent=2, default=str).encode()))
    state = {k: v.detach().cpu() for k, v in parts.sem_state.items()}
    _atomic_write(path / "weights.pt", lambda f: torch.save(state, f))
    if parts.training_state is not None:
        _atomic_write(path / RESUME_FILE, lambda f: torch.save(parts.training_state, f))
    elif (path / RESUME_FILE).exists():
        (path / RESUME_FILE).unlink()  # a stale state from an earlier save must not be resumed
    return path


def read_model(path: Path) -> ModelFiles:
    """Read the parts written by :func:`write_model`.

    Raises:
        ModelFileError: a file is missing, unreadable, of another format/version, or inconsistent.
    """
    missing = [name for name in FILES if not (path / name).is_file()]
    if missing:
        raise ModelFileError(
            f"'{path}' is not a saved model: missing {missing}. Save one with model.save(dir)."
        )
    config, meta = _read_json(path / "config.json"), _read_json(path / "meta.json")
    if meta.get("format") != FORMAT or meta.get("format_version") != FORMAT_VERSION:
        raise ModelFileError(
            f"'{path}' holds format {meta.get('format')!r} version {meta.get('format_version')!r}; "
            f"this version reads {FORMAT!r} version {FORMAT_VERSION}. Refit the model."
        )
    try:
        return ModelFiles(
            ModelConfig.from_dict(config["model"]),
            TrainingConfig.from_dict(config["training"]),
            TableSchema.from_dict(meta["schema"]),
            TableEncoder.from_dict(meta["encoder"]),
            Constraints.from_dict(meta["constraints"]),
            _posterior(meta["graph_posterior"]),
            FitSummary(**meta["fit_summary"]),
            torch.load(path / "weights.pt", map_location="cpu", weights_only=True),
            TimeSeriesInfo.from_dict(meta["time_series"]) if meta.get("time_series") else None,
            _training_state(path / RESUME_FILE),
        )
    except DeciError as exc:
        raise ModelFileError(f"'{path}' could not be loaded: {exc}") from exc
    except Exception as exc:  # noqa: BLE001 - torch.load raises many types on a corrupt file
        raise ModelFileError(f"'{path}' is corrupted or incomplete ({type(exc).__name__}: {exc}).") from exc


def _training_state(path: Path) -> dict[str, Any] | None:
    return torch.load(path, map_location="cpu", weights_only=True) if path.is_file() else None


def _posterior(d: dict[str, Any]) -> GraphPosterior | TemporalGraphPosterior:
    return TemporalGraphPosterior.from_dict(d) if d.get("temporal") else GraphPosterior.from_dict(d)


def _read_json(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text())
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ModelFileError(f"'{path}' is not readable JSON ({exc}).") from exc
    if not isinstance(data, dict):
        raise ModelFileError(f"'{path}' should hold a JSON object.")
    return data


def _atomic_write(target: Path, write) -> None:
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    with open(tmp, "wb") as handle:
        write(handle)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, target)
