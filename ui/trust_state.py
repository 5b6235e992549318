"""The "Can I trust this?" section's typed state: checks per estimate, stability, the audit trail.

:class:`TrustState` hangs off ``state.trust``. Refutation and edges-that-matter results are cached
per question and model (:func:`question_key`), so they come back with the estimate; the stability
set is kept per data and constraints. The audit trail is a list of plain dicts::

    {"question": "t → y (1 vs 0)", "changes": ["constraint added: require a → b", ...],
     "before": {"value", "low", "high", "graph"}, "after": {...}, "at": "2026-12-01 12:00:00"}

No Streamlit here (see :mod:`ui.trust_session` for the work and :mod:`ui.trust_view` for widgets).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from ui.jobs import Job


def question_key(query: dict[str, Any], model_key: str | None) -> str:
    """One estimate's question on one model, as a stable string."""
    plain = {
        k: query.get(k)
        for k in ("treatment", "outcome", "treatment_value", "control_value", "outcome_level", "estimand")
    }
    return json.dumps([plain, model_key], sort_keys=True, default=str)


@dataclass
class TrustState:
    """What the trust section keeps between reruns (jobs and results live for the session)."""

    refutations: dict[str, dict[str, Any]] = field(default_factory=dict)  # question key -> result
    edges: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # question key -> rows
    stability: dict[str, Any] | None = None  # summary, edge_frequency (dict), settings key
    refute_job: Job | None = None
    edges_job: Job | None = None
    stability_job: Job | None = None
    job_keys: dict[str, str] = field(default_factory=dict)  # job name -> question/settings key
    audit: list[dict[str, Any]] = field(default_factory=list)
    last: dict[str, dict[str, Any]] = field(default_factory=dict)  # question -> last estimate seen
    pending: list[str] = field(default_factory=list)  # changes made here, waiting for the next estimate
    seen_result: Any = None  # the last EffectResult recorded (held, so its identity is never reused)
    message: str = ""
    message_ok: bool = True

    JOBS = ("refute_job", "edges_job", "stability_job")
    SAVED = {"refutations": dict, "edges": dict, "stability": (dict, type(None)), "audit": list, "last": dict}
    """The fields a bundle keeps, and the JSON type each must have."""

    @property
    def running(self) -> Job | None:
        return self.refute_job or self.edges_job or self.stability_job

    def settle(self) -> None:
        """Take finished jobs' results (called on every page run)."""
        for name in self.JOBS:
            job = getattr(self, name)
            if job is None or not job.done:
                continue
            key = self.job_keys.pop(name, "")
            if job.result is not None:
                if name == "refute_job":
                    self.refutations[key] = job.result
                elif name == "edges_job":
                    self.edges[key] = job.result
                else:
                    self.stability = {**job.result, "key": key}
            if job.error:
                self.message, self.message_ok = job.error, False
            setattr(self, name, None)

    def latest_refutation(self) -> dict[str, Any] | None:
        return next(reversed(self.refutations.values()), None) if self.refutations else None

    @property
    def has_results(self) -> bool:
        """True when there is anything a data switch would lose."""
        return bool(self.refutations or self.edges or self.stability or self.audit)

    def to_dict(self) -> dict[str, Any]:
        """The results and the audit trail as plain JSON (jobs and messages are not kept)."""
        return {name: getattr(self, name) for name in self.SAVED}

    @classmethod
    def from_dict(cls, saved: dict[str, Any]) -> TrustState:
        """A state from :meth:`to_dict`; unknown keys are ignored, wrong types raise ValueError."""
        for name, kind in cls.SAVED.items():
            if name in saved and not isinstance(saved[name], kind):
                raise ValueError(f"trust: {name} has the wrong type ({type(saved[name]).__name__})")
        return cls(**{name: saved[name] for name in cls.SAVED if name in saved})

    def cancel(self) -> None:
        """Stop the running checks (their results would belong to what is being replaced)."""
        for name in self.JOBS:
            job = getattr(self, name)
            if job is not None:
                job.cancel()
            setattr(self, name, None)
        self.job_keys.clear()

    def summary(self) -> dict[str, Any]:
        """What the report shows: the latest checks, the stability summary and the audit trail."""
        return {
            "refutation": self.latest_refutation(),
            "edges": next(reversed(self.edges.values()), None) if self.edges else None,
            "stability": self.stability,
            "audit": list(self.audit),
        }
