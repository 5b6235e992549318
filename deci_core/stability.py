"""Stability over refits: would another run of discovery give the same graph (and effect)?

``stability(df, runs=N)`` fits DECI N times, run r on a bootstrap resample of the rows (drawn with
``numpy.random.default_rng([seed, r])``) with training seed ``seed + r``, and returns how often each
edge is in a run's most probable graph (the *edge frequency*), next to the posterior's probabilities,
plus the chosen effect in each run when a question is given.

The runs go through one executor interface, :class:`Executor` (``run(fn, shared, items, on_done)``):

- :class:`LocalPool` (default): a process pool of one worker per two cores (spawned processes, so
  the caller's threads and signal handlers are never forked);
- :class:`InProcess` (``workers=0``): one after another in the calling process;
- :class:`RayCluster`: tasks on a Ray cluster at an address (``DECI_STUDIO_RAY_ADDRESS``, the app's
  setting, the CLI's ``--ray-address``); the table is put into the object store once per run set.
  ``ray.init`` installs signal handlers and needs the main thread, so the Streamlit process never calls
  it: the app runs the CLI's ``stability`` command in a worker process (``ui/trust_session.py``).
  Workers of a cluster on this machine import this checkout (its folder goes on their PYTHONPATH); on
  another machine deci_core must be installed there.

Each run uses one torch thread (``training_config.num_threads``, default 1), so the same seeds give the
same graphs whichever executor runs them (``tests/test_stability.py`` checks Ray against the pool).
This module runs whole fits, so like :mod:`deci_core.fixed_graph` it sits beside the facade it uses.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import pandas as pd

from deci_core.config import ModelConfig, TrainingConfig
from deci_core.constraints import Constraints
from deci_core.data.schema import TableSchema, infer_schema
from deci_core.effects.query import EffectQuery
from deci_core.errors import DeciError

RAY_ADDRESS_ENV = "DECI_STUDIO_RAY_ADDRESS"
DISAGREEMENT = 0.3
"""|edge frequency - posterior probability| above which an edge is flagged."""
OnDone = Callable[[int, int], Any]


class StabilityError(DeciError):
    """A stability run set could not run (bad settings, an unreachable cluster)."""


class Executor(Protocol):
    """Runs ``fn(shared, item)`` for every item; results in the items' order."""

    name: str

    def run(self, fn: Callable, shared: Any, items: Sequence[Any], on_done: OnDone | None = None) -> list: ...


class LocalPool:
    """A process pool on this machine (default: one worker per two cores)."""

    def __init__(self, workers: int | None = None) -> None:
        self.workers = int(workers or max(1, (os.cpu_count() or 2) // 2))
        self.name = f"local process pool ({self.workers} worker{'s' if self.workers > 1 else ''})"

    def run(self, fn: Callable, shared: Any, items: Sequence[Any], on_done: OnDone | None = None) -> list:
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor, as_completed

        results: list[Any] = [None] * len(items)
        context = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(max_workers=min(self.workers, len(items)), mp_context=context) as pool:
            futures = {pool.submit(fn, shared, item): k for k, item in enumerate(items)}
            for done, future in enumerate(as_completed(futures), start=1):
                results[futures[future]] = future.result()
                if on_done is not None:
                    on_done(done, len(items))
        return results


class InProcess:
    """Runs one after another in this process (``workers=0``: debugging, tests, no subprocesses)."""

    name = "this process"

    def run(self, fn: Callable, shared: Any, items: Sequence[Any], on_done: OnDone | None = None) -> list:
        results = []
        for item in items:
            results.append(fn(shared, item))
            if on_done is not None:
                on_done(len(results), len(items))
        return results


class RayCluster:
    """Tasks on the Ray cluster at ``address`` ("127.0.0.1:6379", "ray://host:10001", "auto")."""

    def __init__(self, address: str) -> None:
        if not address:
            raise StabilityError("Give the Ray cluster's address (e.g. 127.0.0.1:6379).")
        self.address, self.name = address, f"Ray cluster at {address}"

    def run(self, fn: Callable, shared: Any, items: Sequence[Any], on_done: OnDone | None = None) -> list:
        try:
            import ray
        except ImportError as exc:  # pragma: no cover - ray is in requirements.txt
            raise StabilityError("Ray is not installed: pip install ray==2.60.0.") from exc
        root = str(Path(__file__).resolve().parents[1])
        path = os.pathsep.join(p for p in (root, os.environ.get("PYTHONPATH", "")) if p)
        try:
            ray.init(
                address=self.address,
                runtime_env={"env_vars": {"PYTHONPATH": path}},
                log_to_driver=False,
                logging_level="ERROR",
            )
        except Exception as exc:  # noqa: BLE001 - any failure to connect is the user's to fix
            raise StabilityError(f"Could not connect to the Ray cluster at {self.address}: {exc}") from exc
        try:
            ref = ray.put(shared)  # the table goes to the cluster once per run set
            task = ray.remote(num_cpus=1)(fn)
            pending = {task.remote(ref, item): k for k, item in enumerate(items)}
            results: list[Any] = [None] * len(items)
            waiting = list(pending)
            while waiting:
                ready, waiting = ray.wait(waiting, num_returns=1)
                results[pending[ready[0]]] = ray.get(ready[0])
                if on_done is not None:
                    on_done(len(items) - len(waiting), len(items))
            return results
        finally:
            ray.shutdown()


def executor_for(ray_address: str | None = None, workers: int | None = None) -> Executor:
    """Ray when an address is given (argument, else ``$DECI_STUDIO_RAY_ADDRESS``), else the pool
    (``workers=0``: in this process)."""
    address = ray_address if ray_address is not None else os.environ.get(RAY_ADDRESS_ENV, "")
    if address:
        return RayCluster(address)
    return InProcess() if workers == 0 else LocalPool(workers)


@dataclass(frozen=True)
class StabilityResult:
    """N discovery runs on bootstrap resamples.

    Attributes:
        names: variables. adjacencies: (N, d, d) bool most probable graph of each run.
        probs: (N, d, d) each run's edge probabilities. effects: the question's effect per run (or
            empty). seconds: wall time of the set. executor: where the runs ran, in words.
    """

    names: tuple[str, ...]
    adjacencies: np.ndarray
    probs: np.ndarray
    effects: tuple[float, ...] = ()
    seconds: float = 0.0
    executor: str = ""
    query: EffectQuery | None = None
    run_seconds: tuple[float, ...] = field(default_factory=tuple)

    @property
    def runs(self) -> int:
        return len(self.adjacencies)

    @property
    def edge_frequency(self) -> pd.DataFrame:
        """Share of runs whose most probable graph has each edge: parent rows x child columns."""
        return pd.DataFrame(self.adjacencies.mean(0), index=list(self.names), columns=list(self.names))

    def disagreements(self, posterior_probs: np.ndarray, threshold: float = DISAGREEMENT) -> list[dict]:
        """Edges whose frequency and posterior probability differ by more than ``threshold``."""
        freq = self.adjacencies.mean(0)
        probs = np.asarray(posterior_probs, dtype=float)
        out = []
        for i, j in zip(*np.nonzero(np.abs(freq - probs) > threshold), strict=True):
            out.append(
                {
                    "edge": [self.names[i], self.names[j]],
                    "frequency": float(freq[i, j]),
                    "probability": float(probs[i, j]),
                }
            )
        return sorted(out, key=lambda e: -abs(e["frequency"] - e["probability"]))

    def summary(self, posterior_probs: np.ndarray | None = None) -> dict[str, Any]:
        freq = self.adjacencies.mean(0)
        edges = [
            [self.names[i], self.names[j], float(freq[i, j])] for i, j in zip(*np.nonzero(freq), strict=True)
        ]
        edges.sort(key=lambda e: -e[2])
        out: dict[str, Any] = {
            "runs": self.runs,
            "executor": self.executor,
            "seconds": round(self.seconds, 2),
            "edges": edges,
            "stable_edges": [e[:2] for e in edges if e[2] >= 0.9],
            "unstable_edges": [e[:2] for e in edges if 0.1 < e[2] < 0.9],
        }
        if self.effects:
            values = np.asarray(self.effects, dtype=float)
            out["effect"] = {
                "query": self.query.to_dict() if self.query else None,
                "per_run": values.tolist(),
                "mean": float(values.mean()),
                "sd": float(values.std(ddof=1)) if len(values) > 1 else 0.0,
                "quantiles_5_50_95": np.quantile(values, [0.05, 0.5, 0.95]).tolist(),
            }
        if posterior_probs is not None:
            out["disagreements"] = self.disagreements(posterior_probs)
        return out

    def sentence(self) -> str:
        freq = self.adjacencies.mean(0)
        stable = int((freq >= 0.9).sum())
        shaky = int(((freq > 0.1) & (freq < 0.9)).sum())
        text = (
            f"Over {self.runs} discovery runs on bootstrap resamples, {stable} edges appeared in at least "
            f"90% of the runs and {shaky} in between 10% and 90%."
        )
        if self.effects:
            values = np.asarray(self.effects, dtype=float)
            low, high = np.quantile(values, [0.05, 0.95])
            text += f" The effect ranged from {low:,.3g} to {high:,.3g} (5% to 95% of runs)."
        return text


@dataclass(frozen=True)
class _Shared:
    """What every run needs, sent once: the table and the settings as plain data."""

    df: pd.DataFrame
    schema: dict
    model_config: dict
    training_config: dict
    constraints: dict
    query: dict | None
    seed: int


def stability_run(shared: _Shared, index: int) -> dict[str, Any]:
    """One run (module docstring): a bootstrap resample, a fit, its graph and effect."""
    from deci_core.model import DECI

    start = time.perf_counter()
    rng = np.random.default_rng([shared.seed, index])
    df = shared.df.iloc[rng.integers(0, len(shared.df), len(shared.df))].reset_index(drop=True)
    training = TrainingConfig.from_dict(shared.training_config)
    training = replace(training, seed=shared.seed + index, num_threads=training.num_threads or 1)
    model = DECI(ModelConfig.from_dict(shared.model_config), training)
    model.fit(df, Constraints.from_dict(shared.constraints), TableSchema.from_dict(shared.schema))
    out = {
        "adjacency": np.asarray(model.graph_posterior_.most_probable(), dtype=bool),
        "probs": np.asarray(model.graph_posterior_.probs, dtype=float),
        "effect": None,
    }
    if shared.query is not None:
        q = EffectQuery.from_dict(shared.query)
        est = model.ate(
            q.treatment,
            q.outcome,
            q.treatment_value,
            q.control_value,
            num_graphs=10,
            num_samples=1000,
            seed=index,
            outcome_level=q.outcome_level,
        )
        out["effect"] = float(est.value)
    out["seconds"] = time.perf_counter() - start
    return out


def stability(
    df: pd.DataFrame,
    *,
    runs: int = 8,
    model_config: ModelConfig | None = None,
    training_config: TrainingConfig | None = None,
    constraints: Constraints | None = None,
    schema: TableSchema | None = None,
    query: EffectQuery | None = None,
    seed: int = 0,
    executor: Executor | None = None,
    on_done: OnDone | None = None,
) -> StabilityResult:
    """Run the set (module docstring); ``on_done(done, total)`` after each run."""
    if runs < 2:
        raise StabilityError(f"Stability needs at least 2 runs, got {runs}.")
    schema = schema or infer_schema(df)
    shared = _Shared(
        df,
        schema.to_dict(),
        (model_config or ModelConfig()).to_dict(),
        (training_config or TrainingConfig()).to_dict(),
        (constraints or Constraints()).to_dict(),
        query.to_dict() if query is not None else None,
        int(seed),
    )
    executor = executor or LocalPool()
    start = time.perf_counter()
    results = executor.run(stability_run, shared, list(range(runs)), on_done)
    names = tuple(schema.names)
    effects = tuple(r["effect"] for r in results) if query is not None else ()
    return StabilityResult(
        names,
        np.stack([r["adjacency"] for r in results]),
        np.stack([r["probs"] for r in results]),
        effects,
        time.perf_counter() - start,
        executor.name,
        query,
        tuple(r["seconds"] for r in results),
    )
