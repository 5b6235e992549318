"""Discover page (placeholder until its issue lands)."""

import streamlit as st

from ui.page import page_frame

state = page_frame("Discover")
st.title("Discover")
st.warning("This step is not built yet.")
