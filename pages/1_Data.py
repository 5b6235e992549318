"""Data page (placeholder until its issue lands)."""

import streamlit as st

from ui.page import page_frame

state = page_frame("Data")
st.title("Data")
st.warning("This step is not built yet.")
