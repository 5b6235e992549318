"""Report page (placeholder until its issue lands)."""

import streamlit as st

from ui.page import page_frame

state = page_frame("Report")
st.title("Report")
st.warning("This step is not built yet.")
