"""Discover: learn the causal graph in the background, watch it converge, keep every run."""

import streamlit as st

from deci_core.constraints import Constraints
from ui import discovery_view as view
from ui.discovery_session import get_discovery
from ui.page import WORKFLOW, page_frame, stop_unless_ready
from ui.text import md_escape
from ui.ts_session import constraint_problems

state = page_frame("Discover")
st.title("Discover")
st.markdown(
    "DECI learns a probability for every possible edge from your data and your constraints. "
    "Training runs in the background: you can switch pages and come back."
)
stop_unless_ready(
    state.data is not None, "Load a dataset first: discovery learns from its variables.", WORKFLOW[0]
)

disc = get_discovery(state)
disc.settle()
constraints = state.constraints or Constraints()
problems = constraints.conflicts(state.data.schema.names) or constraint_problems(state)  # time series too
for problem in problems:
    st.error(problem, icon=":material/warning:")
if problems:
    st.page_link(WORKFLOW[1].page, label="Fix the constraints on 2. Constraints", icon=WORKFLOW[1].icon)
elif not constraints.is_empty:
    st.caption("Using your constraints: " + " ".join(md_escape(line) for line in constraints.describe()))

view.settings_form(state)
view.run_controls(state, blocked=bool(problems))
view.show_notice(state)
if disc.running:
    view.monitor(state)
view.result(state)
view.history(state)
