"""Constraints: what the analyst knows that the data cannot tell, point and click, checked as you go."""

import streamlit as st

from ui import constraints_view as view
from ui import knowledge_offers as offers
from ui import ts_view
from ui.page import WORKFLOW, page_frame, stop_unless_ready

state = page_frame("Constraints")
st.title("Constraints")
st.markdown(
    "Tell the model what you already know: edges that cannot or must exist, an order in time, "
    "variables caused by nothing or causing nothing, and soft beliefs. Everything here is optional."
)
stop_unless_ready(
    state.data is not None, "Load a dataset first: the constraints are about its variables.", WORKFLOW[0]
)

names = state.data.schema.names
view.get_constraints(state)
view.show_flash()
view.show_conflicts(state)
offers.render_time_order_offer(state, names, view.try_update)
offers.render_randomised_switch(state, names, view.try_update)

labels = ["Edges", "Order (tiers)", "Roots & leaves", "Beliefs", "Import / export"]
if state.data.layout is not None:  # time series: decisions per lag, and how the rest apply
    labels.append("Per lag (time series)")
edges, tiers, roots, beliefs, files, *per_lag = st.tabs(labels)
with edges:
    view.edges_section(state, names)
with tiers:
    view.tiers_section(state, names)
with roots:
    view.roots_leaves_section(state, names)
with beliefs:
    view.beliefs_section(state, names)
with files:
    view.import_export_section(state)
for tab in per_lag:
    with tab:
        ts_view.render_lag_constraints(state)

view.show_matrix_and_summary(state, names)
st.page_link("pages/3_Discover.py", label="Next: 3. Discover", icon=":material/search:")
