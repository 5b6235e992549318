"""The Discover step: settings, the background training job, the current run, and the run history.

Training runs in a worker (``ui.jobs``) that never calls Streamlit: it fits ``DECI``, reports
progress through a callback, and on success puts the model in the model store; the page only
learns the store key. A cancelled run returns "stop" from the callback, so ``fit`` raises
``FitCancelled`` and nothing is stored. Other pages use :func:`current_model` / :func:`current_run`.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from deci_core.config import PRESETS, ModelConfig, TrainingConfig
from deci_core.constraints import Constraints
from deci_core.errors import ModelFileError
from deci_core.training.callbacks import STOP, FitProgress
from ui.jobs import Job, start_job
from ui.model_store import ModelStore, get_store, model_key

PRESET_LABELS = {
    "quick": "Quick: a first look",
    "standard": "Standard",
    "thorough": "Thorough: a final answer",
}
PROGRESS_EVERY = 5  # steps between progress reports: also how promptly Cancel takes effect
# Always contains the engine's default, whatever it is tuned to.
SPARSITY_LEVELS = tuple(sorted({0.001, 0.003, 0.01, 0.03, 0.1, 0.3, ModelConfig.sparsity}))
# Seconds per training step on a 2-core CPU, one torch thread (bench/RESULTS.md: 4 ms at d = 5,
# 7.5 ms at d = 10, 12 ms at d = 20, 30 ms at d = 50); minibatches are drawn with replacement, so
# the table's size does not enter. Plus a few seconds to start (encoding, model set-up).
_STEP_SECONDS_BASE, _STEP_SECONDS_PER_VARIABLE, _START_SECONDS = 0.0015, 0.00057, 3.0
# The graph refinement after training fits about one candidate per ordered pair of variables first
# (~0.06 s each, bench/RESULTS.md), then a few per move; it stays within the time budget.
_REFINE_SECONDS_PER_PAIR = 0.1


@dataclass
class DiscoverySettings:
    """What the user chose on the Discover page (kept here: widget keys vanish on page switch)."""

    preset: str = "quick"
    noise: str = "spline"
    sparsity: float = ModelConfig.sparsity
    max_steps: int | None = None  # None: the preset's
    max_seconds: float | None = None  # None: the preset's
    seed: int = 0

    def configs(self) -> tuple[ModelConfig, TrainingConfig]:
        model = ModelConfig(noise=self.noise, sparsity=self.sparsity)
        training = TrainingConfig(
            seed=int(self.seed),
            preset=self.preset,
            max_steps=self.max_steps,
            max_seconds=self.max_seconds,
            progress_every=PROGRESS_EVERY,
        )
        return model, training


@dataclass
class DiscoveryState:
    """This session's discovery: the settings, the running job (if any) and the current run's key."""

    settings: DiscoverySettings = field(default_factory=DiscoverySettings)
    job: Job | None = None
    job_key: str | None = None
    run_key: str | None = None
    run_fingerprint: str | None = None
    notice: tuple[str, str] | None = None  # (kind: success|warning|error, text): the last outcome to tell

    @property
    def running(self) -> bool:
        return self.job is not None and not self.job.done

    def settle(self) -> None:
        """Adopt a finished job's result (called from any page, so a run finishing elsewhere lands)."""
        job = self.job
        if job is None or not job.done:
            return
        if job.cancelled:
            self.notice = ("warning", "Training was cancelled; nothing was kept.")
        elif job.error:
            self.notice = ("error", f"Training failed: {job.error}")
        elif job.result:
            self.run_key, self.run_fingerprint = job.result
            moves = ((get_store().run(self.run_key) or {}).get("summary") or {}).get("refine_moves", 0)
            self.notice = ("success", finished_notice(job.elapsed_s, moves))
        self.job, self.job_key = None, None

    def status(self) -> str | None:
        self.settle()
        if self.running:
            return f"training… {self.job.progress:.0%}"
        if self.run_key:
            return "model ready"
        return None


def finished_notice(seconds: float, refine_moves: int) -> str:
    """What the page says when training ends, including what the graph refinement changed."""
    text = f"Training finished in {seconds:.0f} s; the model is saved."
    if refine_moves:
        changes = "one change" if refine_moves == 1 else f"{refine_moves} changes"
        text += f" A final edge-by-edge check of the graph (cross-fitted likelihood) made {changes} to it."
    return text


def get_discovery(state: Any) -> DiscoveryState:
    if state.discovery is None:
        state.discovery = DiscoveryState()
    return state.discovery


def estimate_seconds(training: TrainingConfig, variables: int) -> float:
    """Rough time: start-up, steps × seconds per step, then the graph refinement; capped by the budget.

    An upper estimate: training often stops earlier, once the edge probabilities settle.
    """
    per_step = _STEP_SECONDS_BASE + _STEP_SECONDS_PER_VARIABLE * variables
    refine = _REFINE_SECONDS_PER_PAIR * variables * (variables - 1) if training.refine else 0.0
    return _START_SECONDS + min(training.seconds, training.steps * per_step + refine)


def preset_estimates(variables: int) -> dict[str, float]:
    return {name: estimate_seconds(TrainingConfig(preset=name), variables) for name in PRESETS}


def run_key_for(state: Any) -> str:
    """The store key of the current data, constraints and settings."""
    data = state.data
    model, training = get_discovery(state).settings.configs()
    return model_key(data.fingerprint, data.schema, state.constraints or Constraints(), model, training)


def start_discovery(state: Any, store: ModelStore | None = None) -> str:
    """Load the model for these settings from the store if present, else start training.

    Returns:
        "loaded" (the same settings were run before) or "started".
    """
    store = store or get_store()
    disc = get_discovery(state)
    key = run_key_for(state)
    data = state.data
    warning = None
    if store.contains(key):
        try:
            store.get(key)
        except ModelFileError as exc:  # rejected, never loaded: discard it and train again
            store.forget(key)
            warning = f"{exc} It was discarded; training again."
        else:
            disc.run_key, disc.run_fingerprint = key, data.fingerprint
            disc.notice = ("success", "Loaded instantly: these settings were run before.")
            return "loaded"
    model_config, training_config = disc.settings.configs()
    disc.job = start_job(
        "training the model",
        train_and_store,
        table=data.table,
        schema=data.schema,
        constraints=state.constraints or Constraints(),
        model_config=model_config,
        training_config=training_config,
        store=store,
        key=key,
        run_info={
            "data_name": data.name,
            "data_fingerprint": data.fingerprint,
            "preset": disc.settings.preset,
        },
    )
    disc.job_key, disc.notice = key, ("warning", warning) if warning else None
    return "started"


def train_and_store(
    *, report, should_stop, table, schema, constraints, model_config, training_config, store, key, run_info
) -> tuple[str, str]:
    """The worker: fit, then save to the store. Never calls Streamlit. Returns (key, data fingerprint)."""
    from deci_core.model import DECI

    def on_progress(p: FitProgress) -> str | None:
        fraction = max(p.step / max(p.max_steps, 1), p.elapsed_s / max(p.elapsed_s + p.eta_s, 1e-9))
        if p.phase == "refining":
            text = f"checking the graph edge by edge (cross-fitted likelihood) · {p.elapsed_s:.0f} s so far"
        else:
            text = f"step {p.step:,} of {p.max_steps:,} · about {p.eta_s:.0f} s left"
        report(
            fraction,
            text,
            step=p.step,
            objective=p.objective,
            acyclicity=p.acyclicity,
            num_edges=p.num_edges,
            elapsed_s=p.elapsed_s,
            eta_s=p.eta_s,
            edge_probs=None if p.edge_probs is None else p.edge_probs.copy(),
        )
        return STOP if should_stop() else None

    started = time.time()
    model = DECI(model_config, training_config).fit(
        table, constraints=constraints, schema=schema, callbacks=[on_progress]
    )
    report(1.0, "saving the model")
    posterior = model.graph_posterior_
    record = {
        **run_info,
        "kind": "discovery",
        "started": started,
        "rows": int(len(table)),
        "names": list(posterior.names),
        "model_config": model_config.to_dict(),
        "training_config": training_config.to_dict(),
        "constraints": constraints.to_dict(),
        "summary": model.fit_summary_.to_dict(),
        "edges": [[a, b, p] for a, b, p in posterior.edges()],
        "edge_probs": posterior.probs.tolist(),
    }
    store.put(key, model, record)
    return key, run_info["data_fingerprint"]


def current_run(state: Any, store: ModelStore | None = None) -> dict[str, Any] | None:
    """The run.json of this session's current model, or None (no run, or it was for other data)."""
    disc = state.discovery
    if disc is None:
        return None
    disc.settle()
    if disc.run_key is None or state.data is None or disc.run_fingerprint != state.data.fingerprint:
        return None
    return (store or get_store()).run(disc.run_key)


def current_model(state: Any, store: ModelStore | None = None):
    """This session's current fitted ``DECI`` (shared and read-only), or None.

    Raises:
        ModelFileError: the stored model is corrupted (it is not loaded).
    """
    if current_run(state, store) is None:
        return None
    return (store or get_store()).get(state.discovery.run_key)


def select_run(state: Any, key: str, store: ModelStore | None = None) -> None:
    """Make a stored run the current one (reload from history)."""
    store = store or get_store()
    store.get(key)  # raises ModelFileError if corrupted
    run = store.run(key) or {}
    disc = get_discovery(state)
    disc.run_key, disc.run_fingerprint = key, run.get("data_fingerprint")
    disc.notice = ("success", "Reloaded a previous run.")


def describe_run(run: dict[str, Any]) -> str:
    """One line about a run, for pickers and history tables."""
    when = time.strftime("%Y-%m-%d %H:%M", time.localtime(float(run.get("saved", 0))))
    summary = run.get("summary", {})
    model, training = run.get("model_config", {}), run.get("training_config", {})
    return (
        f"{when} · {run.get('preset', training.get('preset', '?'))} · {model.get('noise', '?')} noise · "
        f"seed {training.get('seed', '?')} · {len(run.get('edges', []))} edges · "
        f"objective {summary.get('objective', float('nan')):.3f}"
    )
