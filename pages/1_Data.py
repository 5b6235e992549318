"""Data page: load a table (upload or sample), check how it was understood, fix types, see warnings."""

import streamlit as st

from ui import data_view, missing_view, ts_view, units_view
from ui.errors import error_boundary
from ui.page import page_frame

state = page_frame("Data")
st.title("Data")
st.write(
    "Bring a table with one row per observation and one column per variable. Check below how each "
    "column was understood: change a type or exclude a column before discovering causes."
)
data_view.render_loader(state)
if data_view.render_switch_question(state):
    st.stop()
if state.data is None:
    st.info("No data yet: upload a file or pick a sample dataset above.")
    st.stop()

st.divider()
with error_boundary("summarising the table"):
    data_view.render_overview(state.data)
    profile = data_view.render_columns(state)
    units_view.render_units(state)
    missing_view.render_missing(state, profile)
    ts_view.render_time_series(state)
    st.subheader("Warnings")
    data_view.render_warnings(profile)
    data_view.render_charts(state.data)
st.page_link("pages/2_Constraints.py", label="Next: 2. Constraints (optional)", icon=":material/rule:")
