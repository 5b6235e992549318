"""The time-series part of a session: per-lag edge decisions (with versions) and trajectories.

No Streamlit here. A temporal model's graph is edited as a table of decisions per lag, "forbid" or
"require" ``x_{t-lag}^parent -> x_t^child``, which the next discovery run obeys (the engine's
``TimeSeriesLayout.forbidden_lagged`` / ``required_lagged``); every change is a version, so undo and
the version list work as on the static graph. Trajectories ("what happens next") are kept as the
engine's ``TrajectoryEffect.to_dict()`` plus the settings they were made with.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

DECISIONS = ("learn", "forbid", "require")
Decision = tuple[str, str, int, str]  # parent, child, lag, "forbid" | "require"


@dataclass
class TemporalState:
    """This session's time-series work, bound to the data it was made on."""

    data_fingerprint: str | None = None
    versions: list[tuple[str, tuple[Decision, ...]]] = field(default_factory=lambda: [("start", ())])
    current: int = 0  # index into versions
    trajectory: dict[str, Any] | None = None  # the last result (TrajectoryEffect.to_dict() + "settings")
    job: Any = None  # the running trajectory job (ui.jobs.Job)
    message: str | None = None
    report_items: list[dict[str, Any]] = field(default_factory=list)

    @property
    def decisions(self) -> tuple[Decision, ...]:
        return self.versions[self.current][1]

    def decide(self, changes: dict[tuple[str, str, int], str], label: str) -> bool:
        """Set decisions ("learn" removes one); a new version when anything changed. True if changed."""
        now = {(p, c, lag): d for p, c, lag, d in self.decisions}
        for edge, decision in changes.items():
            if decision == "learn":
                now.pop(edge, None)
            elif decision in DECISIONS:
                now[edge] = decision
        new = tuple(sorted((p, c, int(lag), d) for (p, c, lag), d in now.items()))
        if new == self.decisions:
            return False
        self.versions = [*self.versions[: self.current + 1], (label, new)]
        self.current = len(self.versions) - 1
        return True

    def undo(self) -> bool:
        if self.current == 0:
            return False
        self.current -= 1
        return True

    def redo(self) -> bool:
        if self.current >= len(self.versions) - 1:
            return False
        self.current += 1
        return True

    def lagged(self, kind: str) -> tuple[tuple[str, str, int], ...]:
        """The decisions of one kind ("forbid" or "require") as ``(parent, child, lag)``."""
        return tuple((p, c, lag) for p, c, lag, d in self.decisions if d == kind)

    def rebind(self, fingerprint: str, keep_decisions: bool, keep_items: bool) -> list[str]:
        """Bind to other data: results always go; decisions and report items where they still fit."""
        cleared = []
        if self.job is not None:
            self.job.cancel()
        self.trajectory, self.job, self.message = None, None, None
        if not keep_decisions and self.decisions:
            self.versions, self.current = [("start", ())], 0
            cleared.append("the per-lag decisions")
        if not keep_items and self.report_items:
            self.report_items = []
            cleared.append("the trajectories")
        self.data_fingerprint = fingerprint
        return cleared

    def to_dict(self) -> dict[str, Any]:
        return {
            "versions": [[label, [list(d) for d in ds]] for label, ds in self.versions],
            "current": self.current,
            "report_items": self.report_items,
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any], fingerprint: str | None) -> TemporalState:
        versions = [
            (str(label), tuple((p, c, int(lag), dec) for p, c, lag, dec in ds))
            for label, ds in d.get("versions") or [["start", []]]
        ]
        current = min(int(d.get("current", 0)), len(versions) - 1)
        return cls(fingerprint, versions, current, report_items=list(d.get("report_items") or []))

    def status(self) -> str | None:
        n = len(self.decisions)
        return f"{n} per-lag decision(s)" if n else None
