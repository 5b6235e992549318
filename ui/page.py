"""The frame every page shares: page config, the workflow sidebar with step status, the state."""

from __future__ import annotations

from dataclasses import dataclass

import streamlit as st

from deci_core.constraints import Constraints
from ui.data_state import LoadedData
from ui.discovery_state import DiscoveryState
from ui.effects_state import EffectsState
from ui.graph_state import GraphSession
from ui.report_state import ReportState
from ui.state import AppState, get_state
from ui.text import md_escape
from ui.ts_session import step_status as ts_step_status

APP_TITLE = "DECI Studio"
# The favicon only stays an emoji: a material favicon is fetched from a font CDN, and a local image
# favicon stopped the app from rendering in Chromium (streamlit 1.67). Every icon on the page is material.
APP_ICON = "🧭"


@dataclass(frozen=True)
class Step:
    page: str
    label: str
    icon: str


WORKFLOW = (
    Step("pages/1_Data.py", "Data", ":material/table_chart:"),
    Step("pages/2_Constraints.py", "Constraints", ":material/rule:"),
    Step("pages/3_Discover.py", "Discover", ":material/search:"),
    Step("pages/4_Graph.py", "Graph", ":material/hub:"),
    Step("pages/5_Effects.py", "Effects", ":material/trending_up:"),
    Step("pages/6_Report.py", "Report", ":material/description:"),
)


def step_status(state: AppState) -> dict[str, str]:
    """One short status per workflow step, for the sidebar and the home page."""
    return {
        "Data": _describe(state.data, "no data yet"),
        "Constraints": _describe(state.constraints, "none (optional)"),
        "Discover": _describe(state.discovery, "not run"),
        "Graph": _describe(state.graph, _graph_empty(state)),
        "Effects": _describe(state.effects, "no estimates yet"),
        "Report": _describe(state.report, "not written"),
    } | ts_step_status(state)  # time series: the temporal graph and trajectories


def _graph_empty(state: AppState) -> str:
    """The Graph step before the analyst opened it: the discovered graph when there is one."""
    disc, data = state.discovery, state.data
    if disc is not None and data is not None and disc.current_key(data.fingerprint) is not None:
        return "the discovered graph (not reviewed yet)"
    return "no graph yet"


StepState = LoadedData | Constraints | DiscoveryState | GraphSession | EffectsState | ReportState


def _describe(step_state: StepState | None, empty: str) -> str:
    """A step state describes itself through ``status()``; absent or silent means ``empty``."""
    text = None if step_state is None else step_state.status()
    return text or empty


def page_frame(title: str) -> AppState:
    """Set up a page (config, sidebar) and return the session's state."""
    st.set_page_config(page_title=f"{title} · {APP_TITLE}", page_icon=APP_ICON, layout="wide")
    state = get_state()
    render_sidebar(state, live=title != "Discover")  # that page polls the job itself
    while state.notices:  # one-off messages left by another page (e.g. before st.switch_page)
        st.info(md_escape(state.notices.pop(0)))
    return state


def render_sidebar(state: AppState, live: bool = True) -> None:
    """The workflow links with each step's status; with ``live``, a running training's line is redrawn
    every second (one polling fragment per page: two timers on one page starved each other's reruns)."""
    statuses = step_status(state)
    with st.sidebar:
        st.page_link("app.py", label="Home", icon=":material/home:")
        for number, step in enumerate(WORKFLOW, start=1):
            st.page_link(step.page, label=f"{number}. {step.label}", icon=step.icon)
            if live and step.label == "Discover" and state.discovery is not None and state.discovery.running:
                st.fragment(_live_discover_status, run_every=SIDEBAR_POLL_SECONDS)(state)
            elif step.label == "Discover" and state.discovery is not None and state.discovery.running:
                st.caption("training: its progress is shown on this page")
            else:
                st.caption(statuses[step.label])


SIDEBAR_POLL_SECONDS = 1.0


def _live_discover_status(state: AppState) -> None:
    """The Discover step's line while training runs: redrawn every second with the job's own step."""
    disc = state.discovery
    if disc is None:
        return
    if not disc.running:  # finished meanwhile: redraw the whole page once, with the result
        st.rerun(scope="app")
    st.caption(disc.status() or "")


def stop_unless_ready(ready: bool, message: str, step: Step) -> None:
    """When an earlier step is missing: say so, link to that step, and end this page's run."""
    if not ready:
        st.info(message)
        st.page_link(step.page, label=f"Go to {step.label}", icon=step.icon)
        st.stop()
