"""The Effects step's typed state: the chosen pair, results and jobs, and the estimates for the report.

:class:`EffectsState` hangs off ``state.effects``: the chosen treatment and outcome (the graph editor
highlights them), the latest result, and ``report_items`` — plain JSON dicts the report renders:
``{"id", "kind", "estimate": EffectEstimate.to_dict(), "sentence", "linear_check": LinearCheck.to_dict()
| None (LinearDML's estimate, the linear one of the doubly robust learners), "doubly_robust":
DoublyRobustResult.to_dict() | None, "cate_curve": CateCurve.to_dict() | None, "graph": description,
"added_at"}``
(made by :func:`report_item`). No Streamlit and no AppState here: see :mod:`ui.effects_session`.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from deci_core.effects import CateCurve, Counterfactual, DoublyRobustResult, EffectEstimate, LinearCheck
from ui.effect_words import effect_sentence
from ui.jobs import Job


@dataclass
class EffectResult:
    """One computed estimate and what the page shows next to it."""

    estimate: EffectEstimate
    linear: LinearCheck | None
    arms: pd.DataFrame
    graph: str
    seconds: float
    curve: CateCurve | None = None
    dr: DoublyRobustResult | None = None  # EconML on the sampled graphs' adjustment sets
    dr_error: str | None = None  # why there is no DR estimate (e.g. too few rows at the arms)


@dataclass
class EffectsState:
    """What the Effects page keeps between reruns and page switches."""

    treatment: str | None = None
    outcome: str | None = None
    result: EffectResult | None = None
    job: Job | None = None
    curve_job: Job | None = None
    subgroup: EffectResult | None = None
    subgroup_job: Job | None = None
    rows: pd.DataFrame | None = None  # the loaded rows with effect, lower_95, upper_95 columns
    rows_job: Job | None = None
    what_if: Counterfactual | None = None
    report_items: list[dict[str, Any]] = field(default_factory=list)
    reported: list[EffectResult] = field(default_factory=list)  # live results added (this session)
    message: str = ""
    message_ok: bool = True
    data_fingerprint: str | None = None  # the data the results were made on (None: not recorded)
    model_key: str | None = None  # which model they were made with (see ui.graph_session.effects_model_key)

    def clear_results(self) -> None:
        """Forget the live results and cancel their jobs (the report's estimates stay)."""
        for job in (self.job, self.curve_job, self.subgroup_job, self.rows_job):
            if job is not None:
                job.cancel()
        self.job = self.curve_job = self.subgroup_job = self.rows_job = None
        self.result = self.subgroup = self.rows = self.what_if = None
        self.message, self.message_ok = "", True
        self.reported = []

    def bind(self, fingerprint: str | None, model_key: str | None) -> bool:
        """Keep the live results only while they belong to this data and this model; True if dropped."""
        if (self.data_fingerprint, self.model_key) == (fingerprint, model_key):
            return False
        dropped = self.result is not None or self.running is not None
        self.clear_results()
        self.data_fingerprint, self.model_key = fingerprint, model_key
        return dropped

    def to_dict(self) -> dict[str, Any]:
        """What outlives the session: the estimates added to the report (jobs and results do not)."""
        return {"report_items": self.summary()}

    def items_for(self, fingerprint: str | None) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        """The report's estimates made on data with ``fingerprint``, and those made on other data."""
        mine = [i for i in self.summary() if i.get("data_fingerprint") in (None, fingerprint)]
        return mine, [i for i in self.summary() if i.get("data_fingerprint") not in (None, fingerprint)]

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> EffectsState:
        return cls(report_items=[item for item in d.get("report_items") or [] if isinstance(item, dict)])

    def summary(self) -> list[dict[str, Any]]:
        """The estimates the analyst added to the report (JSON dicts, see the module docstring), in order."""
        return [item for item in self.report_items if isinstance(item, dict)]

    def in_report(self, result: EffectResult | None) -> bool:
        """True when this very result (not an earlier one) was added to the report."""
        return result is not None and any(r is result for r in self.reported)

    def report_note(self) -> str | None:
        """What the page says about the report under the current result (never an old result's message)."""
        count = len(self.report_items)
        if self.in_report(self.result):
            return f"This estimate is in the report ({count} estimate(s) in all)."
        if count:
            return f"The report holds {count} earlier estimate(s); this one is not in it yet."
        return None

    def status(self) -> str | None:
        parts = []
        if self.treatment and self.outcome:
            parts.append(f"{self.treatment} → {self.outcome}")
        if self.report_items:
            parts.append(f"{len(self.report_items)} estimate(s) in the report")
        return "; ".join(parts) or None

    @property
    def running(self) -> Job | None:
        """The job in progress, if any (one at a time)."""
        return self.job or self.curve_job or self.subgroup_job or self.rows_job

    def settle(self) -> None:
        """Take finished jobs' results (called on every page run)."""
        if self.rows_job is not None and self.rows_job.done:
            self.rows = self.rows_job.result if self.rows_job.result is not None else self.rows
            if self.rows_job.error:
                self.message, self.message_ok = self.rows_job.error, False
            self.rows_job = None
        if self.subgroup_job is not None and self.subgroup_job.done:
            self.subgroup = self.subgroup_job.result or self.subgroup
            if self.subgroup_job.error:
                self.message, self.message_ok = self.subgroup_job.error, False
            self.subgroup_job = None
        if self.job is not None and self.job.done:
            if self.job.result is not None:
                self.result, self.subgroup, self.rows = self.job.result, None, None
                self.what_if = None
            self.message, self.message_ok = self.job.error or "", self.job.error is None
            self.job = None
        if self.curve_job is not None and self.curve_job.done:
            if self.curve_job.result is not None and self.result is not None:
                self.result.curve = self.curve_job.result
            if self.curve_job.error:
                self.message, self.message_ok = self.curve_job.error, False
            self.curve_job = None



def report_item(
    result: EffectResult, data_fingerprint: str | None = None, units: dict[str, str] | None = None
) -> dict[str, Any]:
    est = result.estimate
    bound = {} if data_fingerprint is None else {"data_fingerprint": data_fingerprint}
    return {
        **bound,
        "id": f"estimate-{int(time.time() * 1000) % 10**10}",
        "kind": "cate" if est.query.conditioning else "ate",
        "estimate": est.to_dict(),
        "sentence": effect_sentence(est, units or {}),
        "units": dict(units or {}),
        "linear_check": result.linear.to_dict() if result.linear else None,
        "doubly_robust": result.dr.to_dict() if result.dr else None,
        "cate_curve": result.curve.to_dict() if result.curve else None,
        "graph": result.graph,
        "added_at": time.strftime("%Y-%m-%d %H:%M:%S"),
    }
