"""All per-session app state, in one object under one session-state key.

Each workflow step keeps its own small dataclass, defined in the ui module that owns that step;
they hang off :class:`AppState`. Pages read and write state only through :func:`get_state`.
Widget keys are namespaced by page (``"data.uploader"``, ``"effects.treatment"``); values that must
outlive a page switch are copied into the state, since Streamlit deletes unrendered widgets' keys.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import pandas as pd
import streamlit as st

from deci_core.data.schema import TableSchema, data_fingerprint, drop_missing_rows

STATE_KEY = "deci_studio"
MISSING_POLICIES = {
    "drop": "Drop rows with a missing value in any modelled column",
    "model": "Keep them for the model to handle (not supported by the engine yet)",
}


@dataclass
class LoadedData:
    """The dataset in use: the table as read, its (user-edited) schema and the missing-value policy."""

    name: str
    raw: pd.DataFrame
    schema: TableSchema
    missing_policy: str = "drop"
    source: str = "upload"  # "upload" | "sample"

    @cached_property
    def table(self) -> pd.DataFrame:
        """The rows the model sees: modelled columns, missing rows dropped per the policy."""
        return drop_missing_rows(self.raw[self.schema.names], self.schema).reset_index(drop=True)

    @cached_property
    def fingerprint(self) -> str:
        return data_fingerprint(self.table, self.schema)


@dataclass
class AppState:
    """Everything one browser session has built so far.

    The step states are owned by: ``constraints`` deci_core.constraints.Constraints;
    ``discovery`` ui.discovery; ``graph`` ui.graph_session; ``effects`` ui.effects_session;
    ``report`` ui.report. ``None`` means the step has not been started.
    """

    data: LoadedData | None = None
    constraints: Any = None
    discovery: Any = None
    graph: Any = None
    effects: Any = None
    report: Any = None
    notices: list[str] = field(default_factory=list)

    def set_data(self, data: LoadedData) -> None:
        """Replace the dataset; later steps keep their work but are re-checked by their pages."""
        self.data = data


def get_state() -> AppState:
    """This session's AppState, created on first use."""
    if STATE_KEY not in st.session_state:
        st.session_state[STATE_KEY] = AppState()
    return st.session_state[STATE_KEY]
