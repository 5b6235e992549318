"""DECI Studio home page: what the app does and where this session stands in the workflow."""

import streamlit as st

from ui.page import WORKFLOW, page_frame, step_status

state = page_frame("Home")
st.title("DECI Studio")
st.markdown(
    "Bring a table of observational data and DECI Studio learns which variables cause which, "
    "with a probability for every edge. Then ask what would happen if you intervened, and get "
    "effects with honest uncertainty, ready to share."
)
st.subheader("Your workflow")
statuses = step_status(state)
for number, step in enumerate(WORKFLOW, start=1):
    link, status = st.columns([1, 3])
    with link:
        st.page_link(step.page, label=f"{number}. {step.label}", icon=step.icon)
    with status:
        st.write(statuses[step.label])
if state.data is None:
    st.info("Start with **1. Data**: upload a CSV, Excel or Parquet file, or pick a sample dataset.")
