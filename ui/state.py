"""All per-session app state, in one object under one session-state key.

Each workflow step keeps its own typed state, defined in that step's ``*_state`` module (no Streamlit,
no AppState there): :class:`~ui.data_state.LoadedData`, deci_core's
:class:`~deci_core.constraints.Constraints`, :class:`~ui.discovery_state.DiscoveryState`,
:class:`~ui.graph_state.GraphSession`, :class:`~ui.effects_state.EffectsState` and
:class:`~ui.report_state.ReportState`. Each owns ``to_dict`` / ``from_dict`` (project bundles) and
``summary`` (the report), so neither needs to know a step's shape. The ``*_session`` modules do the
work that needs several steps; they take an :class:`AppState`. Pages read and write state only
through :func:`get_state`.

Widget keys are namespaced by page (``"data.uploader"``, ``"effects.treatment"``); values that must
outlive a page switch are copied into the state, since Streamlit deletes unrendered widgets' keys.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import streamlit as st

from deci_core.constraints import Constraints
from ui.data_state import MISSING_POLICIES, LoadedData
from ui.discovery_state import DiscoveryState
from ui.effects_state import EffectsState
from ui.graph_state import GraphSession
from ui.report_state import ReportState

STATE_KEY = "deci_studio"
__all__ = ["MISSING_POLICIES", "STATE_KEY", "AppState", "LoadedData", "get_state"]


@dataclass
class AppState:
    """Everything one browser session has built so far; ``None`` means the step has not been started."""

    data: LoadedData | None = None
    constraints: Constraints | None = None
    discovery: DiscoveryState | None = None
    graph: GraphSession | None = None
    effects: EffectsState | None = None
    report: ReportState | None = None
    notices: list[str] = field(default_factory=list)

    def set_data(self, data: LoadedData) -> None:
        """Replace the dataset; later steps keep their work but are re-checked by their pages."""
        self.data = data


def get_state() -> AppState:
    """This session's AppState, created on first use."""
    if STATE_KEY not in st.session_state:
        st.session_state[STATE_KEY] = AppState()
    return st.session_state[STATE_KEY]
