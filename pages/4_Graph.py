"""Graph page: review the discovered graph, edit it, and make the edits count."""

import streamlit as st

from ui import graph_editor_view as ge
from ui import ts_graph_view
from ui.graph_session import discovered_model, model_for_effects
from ui.page import page_frame
from ui.text import md_escape

state = page_frame("Graph")
st.title("Graph")
model = discovered_model(state)
if model is not None and model.is_temporal:  # time series: summary graph, lag view and lag table
    ts_graph_view.render(state, model)
    st.stop()
session = ge.ensure_session(state)
if session is None:
    st.info(
        "No graph yet. Run **3. Discover** to learn one from your data, or import a graph you "
        "already trust (GML, DOT, DAGitty, JSON or a CSV edge list)."
    )
    if st.button("Go to Discover", key="graph.go_discover"):
        st.switch_page("pages/3_Discover.py")
    ge.render_import(state)
    st.stop()

ge.offer_new_run(state, session)
st.caption(
    f"Source: {md_escape(session.source)}. Python checks every edit: a change that would create a cycle is "
    "rejected with the cycle named. Click an edge to select it; drag nodes to arrange them."
)
ge.render_history(state, session)
ge.render_canvas(state, session)
ge.render_identifiability_legend(state, session)
ge.render_message(session)
ge.render_refusal(state, session)

tab_edit, tab_edges, tab_versions, tab_files, tab_use = st.tabs(
    ["Edit with widgets", "Edges", "Versions", "Import / export", "Use the edits"]
)
with tab_edit:
    ge.render_widget_editor(session)
with tab_edges:
    ge.render_edge_table(session)
with tab_versions:
    ge.render_versions(session)
with tab_files:
    ge.render_export(state, session)
    ge.render_import(state)
with tab_use:
    st.write("Effects are computed on the graph you choose here; constraints steer the next discovery run.")
    st.caption(f"Effects now use: {md_escape(model_for_effects(state)[1])}")
    ge.render_use_for_effects(state, session)
    ge.render_to_constraints(state, session)
