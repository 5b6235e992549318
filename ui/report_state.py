"""The Report step's typed state: what the analyst chose to show (title, question, sections, estimates)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from typing import Any

from ui.report_types import OPTIONAL_SECTIONS


@dataclass
class ReportState:
    """What the analyst chose on the Report page (kept across page switches)."""

    title: str = "What drives the outcome? A causal analysis"
    question: str = ""
    sections: tuple[str, ...] = tuple(OPTIONAL_SECTIONS)
    item_ids: tuple[str, ...] | None = None  # None: every estimate
    graph_version: str | None = None
    last_built: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """The analyst's choices as plain JSON (when the report was last built is not kept)."""
        d = asdict(self)
        d.pop("last_built", None)
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> ReportState:
        """The choices :meth:`to_dict` wrote (unknown keys are ignored)."""
        known = {f.name for f in fields(cls)}
        d = {k: v for k, v in d.items() if k in known}
        for key in ("sections", "item_ids"):
            if d.get(key) is not None:
                d[key] = tuple(str(s) for s in d[key])
        return cls(**d)

    def summary(self) -> str | None:
        return self.status()

    def status(self) -> str | None:
        return f"built {self.last_built}" if self.last_built else None
