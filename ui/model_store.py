"""One store of trained models, in memory (bounded LRU) and on disk, shared by every session.

A model is keyed by a hash of everything that determines it: the data fingerprint, the variable
types, the constraints, the model and training configurations (the seed is in the latter). The
same settings again load instantly, also after an app restart.

On disk (``$DECI_STUDIO_CACHE``, default ``~/.cache/deci-studio``) each entry is a folder
``models/<key>/`` holding what ``model.save`` writes plus ``run.json``: the settings, time,
summary, data name and fingerprint, the edges, and a SHA-256 of every file. An entry is written
into a temporary folder and renamed into place, so a killed process never leaves a half-written
entry under a key; an entry whose ``run.json`` is missing or whose files do not match their
hashes is rejected with :class:`ModelFileError` and never loaded.

Models handed out are shared between sessions: treat them as read-only.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import threading
import time
import uuid
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import streamlit as st

from deci_core.data.plain import json_default
from deci_core.errors import ModelFileError
from deci_core.model import DECI

RUN_FILE = "run.json"
RUN_FORMAT = 1
MEMORY_SIZE = 4
PROB_CHANGE = 0.1  # probability changes at least this large are listed when comparing runs


def cache_dir() -> Path:
    """Where the store lives: ``$DECI_STUDIO_CACHE`` or ``~/.cache/deci-studio``."""
    return Path(os.environ.get("DECI_STUDIO_CACHE") or Path.home() / ".cache" / "deci-studio")


@st.cache_resource(show_spinner=False)
def _shared_store(root: str) -> ModelStore:
    return ModelStore(root)


def get_store() -> ModelStore:
    """The process-wide store for the configured directory (one per directory, shared by sessions)."""
    return _shared_store(str(cache_dir()))


def model_key(
    fingerprint: str, schema: Any, constraints: Any, model_config: Any, training_config: Any
) -> str:
    """A 20-hex-digit key from what determines a trained model."""
    parts = {
        "data": fingerprint,
        "schema": [(v.name, v.type.value, [str(c) for c in v.categories]) for v in schema.modeled],
        "constraints": constraints.fingerprint(),
        "model": model_config.to_dict(),
        "training": training_config.to_dict(),
    }
    text = json.dumps(parts, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:20]


@dataclass(frozen=True)
class RunComparison:
    """How run B differs from run A (edges of the most probable graphs; probabilities of all pairs)."""

    added: list[tuple[str, str, float]]
    removed: list[tuple[str, str, float]]
    changed: list[tuple[str, str, float, float]]  # (parent, child, p_a, p_b), biggest change first


class ModelStore:
    """Trained models by key; thread-safe (one lock around every operation)."""

    def __init__(self, root: str | Path, memory_size: int = MEMORY_SIZE):
        self.root = Path(root)
        self.models_dir = self.root / "models"
        self.memory_size = memory_size
        self._memory: OrderedDict[str, Any] = OrderedDict()
        self._lock = threading.RLock()

    # ------------------------------------------------------------ entries
    def contains(self, key: str) -> bool:
        with self._lock:
            return key in self._memory or (self.models_dir / key / RUN_FILE).is_file()

    def get(self, key: str) -> Any | None:
        """The model under ``key``, or None if there is none.

        Raises:
            ModelFileError: the entry on disk is corrupted or half-written (it is not loaded).
        """
        with self._lock:
            if key in self._memory:
                self._memory.move_to_end(key)
                return self._memory[key]
            folder = self.models_dir / key
            if not folder.exists():
                return None
            run = self._verified_run(folder)
            model = _load_model(folder, run)
            self._remember(key, model)
            return model

    def put(self, key: str, model: Any, run: dict[str, Any]) -> dict[str, Any]:
        """Save ``model`` with its ``run`` metadata under ``key`` (atomically); return the full run record."""
        with self._lock:
            self.models_dir.mkdir(parents=True, exist_ok=True)
            tmp = self.models_dir / f".tmp-{key}-{uuid.uuid4().hex[:8]}"
            try:
                model.save(tmp / "model")
                record = {
                    **run,
                    "format": RUN_FORMAT,
                    "key": key,
                    "saved": time.time(),
                    "files": _hashes(tmp),
                }
                (tmp / RUN_FILE).write_text(json.dumps(record, indent=1, default=json_default))
                target = self.models_dir / key
                if target.exists():  # a rejected (corrupted) entry, or a rerun of the same settings
                    shutil.rmtree(target)
                os.replace(tmp, target)
            finally:
                shutil.rmtree(tmp, ignore_errors=True)
            self._remember(key, model)
            return record

    def run(self, key: str) -> dict[str, Any] | None:
        """The ``run.json`` of an entry (None if absent or unreadable)."""
        try:
            return json.loads((self.models_dir / key / RUN_FILE).read_text())
        except (OSError, ValueError):
            return None

    def runs(self, fingerprint: str | None = None, kind: str | None = "discovery") -> list[dict[str, Any]]:
        """Complete runs (optionally for one data fingerprint and of one kind), newest first.

        ``kind`` is the run.json ``"kind"`` (absent means "discovery"; refits are "refit"); None: all.
        """
        if not self.models_dir.is_dir():
            return []
        runs = [self.run(p.name) for p in self.models_dir.iterdir() if not p.name.startswith(".")]
        runs = [
            r
            for r in runs
            if r
            and (fingerprint is None or r.get("data_fingerprint") == fingerprint)
            and (kind is None or r.get("kind", "discovery") == kind)
        ]
        return sorted(runs, key=lambda r: -float(r.get("saved", 0)))

    def forget(self, key: str) -> None:
        """Drop an entry from memory and disk."""
        with self._lock:
            self._memory.pop(key, None)
            shutil.rmtree(self.models_dir / key, ignore_errors=True)

    # ------------------------------------------------------------ helpers
    def _remember(self, key: str, model: Any) -> None:
        self._memory[key] = model
        self._memory.move_to_end(key)
        while len(self._memory) > self.memory_size:
            self._memory.popitem(last=False)

    def _verified_run(self, folder: Path) -> dict[str, Any]:
        run = self.run(folder.name)
        where = f"The saved model in {folder}"
        if run is None or not isinstance(run.get("files"), dict):
            raise ModelFileError(
                f"{where} is incomplete (no readable {RUN_FILE}): it was not loaded. Run discovery again."
            )
        if run.get("format") != RUN_FORMAT:
            raise ModelFileError(
                f"{where} has an unsupported format {run.get('format')!r}: run discovery again."
            )
        actual = _hashes(folder)
        for name, digest in run["files"].items():
            if actual.get(name) != digest:
                state = "is missing" if name not in actual else "does not match its checksum"
                raise ModelFileError(
                    f"{where} is corrupted ({name} {state}): it was not loaded. "
                    "Run discovery again to replace it."
                )
        return run


def compare_runs(a: dict[str, Any], b: dict[str, Any], threshold: float = PROB_CHANGE) -> RunComparison:
    """Edges added / removed from run ``a`` to ``b``; pairs whose probability moved by >= threshold."""
    edges_a = {(e[0], e[1]): e[2] for e in a.get("edges", [])}
    edges_b = {(e[0], e[1]): e[2] for e in b.get("edges", [])}
    added = [(s, t, p) for (s, t), p in edges_b.items() if (s, t) not in edges_a]
    removed = [(s, t, p) for (s, t), p in edges_a.items() if (s, t) not in edges_b]
    probs_a, probs_b = _prob_table(a), _prob_table(b)
    changed = [
        (s, t, probs_a[(s, t)], p)
        for (s, t), p in probs_b.items()
        if (s, t) in probs_a and abs(p - probs_a[(s, t)]) >= threshold
    ]
    changed.sort(key=lambda c: -abs(c[3] - c[2]))
    return RunComparison(sorted(added, key=lambda e: -e[2]), sorted(removed, key=lambda e: -e[2]), changed)


def _prob_table(run: dict[str, Any]) -> dict[tuple[str, str], float]:
    names, probs = run.get("names", []), run.get("edge_probs", [])
    return {(a, b): float(probs[i][j]) for i, a in enumerate(names) for j, b in enumerate(names) if a != b}


def _hashes(folder: Path) -> dict[str, str]:
    """SHA-256 of every file under ``folder`` except run.json, by relative path."""
    out = {}
    for path in sorted(folder.rglob("*")):
        if path.is_file() and path.name != RUN_FILE:
            out[path.relative_to(folder).as_posix()] = hashlib.sha256(path.read_bytes()).hexdigest()
    return out


def _load_model(folder: Path, run: dict[str, Any]) -> DECI:
    try:
        return DECI.load(folder / "model")
    except ModelFileError as exc:
        raise ModelFileError(f"The saved model in {folder} could not be loaded: {exc}") from exc


