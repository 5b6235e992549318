"""The Discover step's typed state: the settings chosen, the running job, and the current run.

No Streamlit and no AppState here (:mod:`ui.discovery_session` orchestrates over the whole session).
The current run is known by its model-store key and the fingerprint of the data it was trained on.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from typing import Any

from deci_core.config import ModelConfig, TrainingConfig
from ui.jobs import Job
from ui.model_store import ModelStore, get_store
from ui.progress_words import progress_words, slowdown, step_reports

PROGRESS_EVERY = 5  # steps between progress reports: also how promptly Cancel takes effect


@dataclass
class DiscoverySettings:
    """What the user chose on the Discover page (kept here: widget keys vanish on page switch)."""

    preset: str = "quick"
    noise: str = "spline"
    sparsity: float = ModelConfig.sparsity
    max_steps: int | None = None  # None: the preset's
    max_seconds: float | None = None  # None: the preset's
    seed: int = 0

    def configs(self, missing: str = "model") -> tuple[ModelConfig, TrainingConfig]:
        """The engine's configs for these settings; ``missing`` is the data's missing-value policy."""
        model = ModelConfig(noise=self.noise, sparsity=self.sparsity, missing=missing)
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
    slowdown: float | None = None  # measured / benchmarked seconds per step in the last run (calibrates)

    @property
    def running(self) -> bool:
        return self.job is not None and not self.job.done

    def settle(self) -> None:
        """Adopt a finished job's result (called from any page, so a run finishing elsewhere lands)."""
        job = self.job
        if job is None or not job.done:
            return
        self.slowdown = slowdown(step_reports(job.payloads)) or self.slowdown
        if job.cancelled:
            self.notice = ("warning", "Training was cancelled; nothing was kept.")
        elif job.error:
            self.notice = ("error", f"Training failed: {job.error}")
        elif job.result:
            self.run_key, self.run_fingerprint = job.result
            moves = ((get_store().run(self.run_key) or {}).get("summary") or {}).get("refine_moves", 0)
            self.notice = ("success", finished_notice(job.elapsed_s, moves))
        self.job, self.job_key = None, None

    def to_dict(self) -> dict[str, Any]:
        """The current run's store key and the settings (plain JSON; a running job is not kept)."""
        return {"run_key": self.run_key, "settings": asdict(self.settings)}

    @classmethod
    def from_dict(cls, d: dict[str, Any], fingerprint: str | None) -> DiscoveryState:
        """The state :meth:`to_dict` wrote, for data with ``fingerprint`` (unknown settings are ignored)."""
        known = {f.name for f in fields(DiscoverySettings)}
        settings = DiscoverySettings(**{k: v for k, v in (d.get("settings") or {}).items() if k in known})
        return cls(settings=settings, run_key=str(d.get("run_key")), run_fingerprint=fingerprint)

    def current_key(self, fingerprint: str | None) -> str | None:
        """The current run's store key when it was trained on data with ``fingerprint``, else None."""
        self.settle()
        if self.run_key is None or fingerprint is None or self.run_fingerprint != fingerprint:
            return None
        return self.run_key

    def summary(self, fingerprint: str | None, store: ModelStore | None = None) -> dict[str, Any] | None:
        """The current run's run.json in the model store, for data with ``fingerprint`` (None: no run)."""
        key = self.current_key(fingerprint)
        return None if key is None else (store or get_store()).run(key)

    def status(self) -> str | None:
        self.settle()
        if self.running:
            return f"training: {progress_words(self.job.payloads)}"
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
