"""The graph page's pieces: the offline vis-network editor, a widget editor, versions, import/export.

The editor is a components-v2 component (UI-NOTES §3a): vis-network 9.1.2 is read from the pyvis
wheel, our JS/CSS/HTML from ``assets/editor/``; nothing is fetched from a CDN. Every mouse edit is a
trigger value handled by :meth:`GraphSession.apply` in a callback, before the script body runs, so
the same run draws the result. Names are user data: they travel only in the component's ``data``
(drawn as canvas text / ``textContent``) and in markdown-escaped messages, never as HTML.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

import pandas as pd
import pyvis
import streamlit as st

from deci_core.errors import GraphError
from deci_core.graph.drawing import to_svg
from deci_core.graph.formats import format_for_filename, read_graph, to_dagitty, write_graph
from ui.data_state import LoadedData
from ui.errors import error_boundary
from ui.graph_session import (
    Model,
    can_refit,
    discovered_model,
    discovery_run_key,
    settle_refit,
    use_graph_for_effects,
)
from ui.graph_state import GraphSession, allowing
from ui.state import AppState, get_state
from ui.text import md_escape

ASSETS = Path(__file__).resolve().parents[1] / "assets" / "editor"
VIS_JS = Path(pyvis.__file__).parent / "templates" / "lib" / "vis-9.1.2" / "vis-network.min.js"
EDITOR_KEY = "graph.editor"
ACTIONS = {
    "add": "Add edge",
    "delete": "Delete edge",
    "reverse": "Reverse edge",
    "lock": "Lock edge",
    "unlock": "Unlock edge",
}
EXPORTS = {
    "gml": ("GML", "text/plain"),
    "dot": ("DOT", "text/vnd.graphviz"),
    "dagitty": ("DAGitty", "text/plain"),
    "json": ("JSON", "application/json"),
    "csv": ("CSV edge list", "text/csv"),
}
@functools.cache
def _editor():
    """Register the component once per process (vis-network first: it defines ``globalThis.vis``)."""
    js = VIS_JS.read_text(encoding="utf-8") + "\n;\n" + (ASSETS / "editor.js").read_text(encoding="utf-8")
    return st.components.v2.component(
        "deci_graph_editor",
        html=(ASSETS / "editor.html").read_text(encoding="utf-8"),
        css=(ASSETS / "editor.css").read_text(encoding="utf-8"),
        js=js,
        isolate_styles=True,
    )


# ---------------------------------------------------------------------- session


def ensure_session(state: AppState) -> GraphSession | None:
    """The session's graph, created from the discovered model on first visit (None if neither)."""
    session = state.graph
    if session is None:
        model = discovered_model(state)
        if model is not None:
            session = GraphSession.from_model(model, run_key=discovery_run_key(state))
            state.graph = session = _bound(state, session)
    return session


def _bound(state: AppState, session: GraphSession) -> GraphSession:
    """``session`` tagged with the fingerprint of the data it belongs to."""
    session.data_fingerprint = None if state.data is None else state.data.fingerprint
    return session


def offer_new_run(state: AppState, session: GraphSession) -> None:
    """Offer to start over when discovery ran again, or when the data's variables changed."""
    data = state.data
    if data is not None and list(data.schema.names) != list(session.current.names):
        st.warning(
            "This graph's variables differ from the data now loaded. Start over to work on a graph "
            "for the current data (your versions of this graph are dropped)."
        )
        if st.button("Start over for the current data", key="graph.start_over_data"):
            state.graph = None
            st.rerun()
        return
    key = discovery_run_key(state)
    model = discovered_model(state) if key not in (None, session.run_key) else None
    if model is None:
        return
    st.info("A newer discovery run exists. Your edits stay on the old graph until you start over.")
    if st.button("Start over from the newest discovery run", key="graph.start_over"):
        state.graph = _bound(state, GraphSession.from_model(model, run_key=key))
        st.rerun()


def node_info(state: AppState, names: tuple[str, ...]) -> list[dict[str, str]]:
    """Per node: its variable type (from the data's schema) and treatment/outcome role."""
    schema = None if state.data is None else state.data.schema
    kinds = {}
    for n in names:
        try:
            kinds[n] = schema[n].type.value if schema is not None else ""
        except KeyError:
            kinds[n] = ""
    effects = state.effects
    roles = {} if effects is None else {effects.outcome: "outcome", effects.treatment: "treatment"}
    return [{"id": n, "kind": kinds[n], "role": roles.get(n, "")} for n in names]


# ---------------------------------------------------------------------- canvas


def render_canvas(state: AppState, session: GraphSession) -> None:
    """Mount the mouse editor (height ~600 px)."""
    table = session.edge_table()
    unidentified = set(unidentified_edges(state, session))
    data = {
        "nodes": node_info(state, session.current.names),
        "edges": [
            {
                "from": r.parent,
                "to": r.child,
                "locked": bool(r.locked),
                "origin": r.origin,
                "p": None if pd.isna(r.probability) else float(r.probability),
                "unidentified": (r.parent, r.child) in unidentified,
            }
            for r in table.itertuples()
        ],
        "positions": {n: list(p) for n, p in session.positions.items()},
        "message": session.message,
        "ok": session.message_ok,
        "nonce": session.nonce,
        "height": 520 if len(session.current.names) <= 20 else 760,
    }
    _editor()(key=EDITOR_KEY, data=data, on_edit_change=_on_canvas_edit)


NOT_IDENTIFIABLE_LEGEND = (
    "Purple dotted edges: direction not identifiable from the data (both directions fit it equally "
    "well) — add domain knowledge to orient it (lock or reverse the edge, or add a constraint)."
)


def unidentified_edges(state: AppState, session: GraphSession) -> list[tuple[str, str]]:
    """Edges of the current graph whose direction the discovered model marked not identifiable."""
    model = discovered_model(state)
    posterior = getattr(model, "graph_posterior_", None)
    if posterior is None or getattr(posterior, "unidentified", None) is None:
        return []
    names = set(posterior.names)
    return [
        (u, v)
        for u, v in session.current.edges
        if u in names and v in names and not posterior.is_identifiable(u, v)
    ]


def render_identifiability_legend(state: AppState, session: GraphSession) -> None:
    """The legend for edges whose direction is not identifiable (only when there are some)."""
    edges = unidentified_edges(state, session)
    if edges:
        listed = ", ".join(f"{u} – {v}" for u, v in edges[:8]) + (" …" if len(edges) > 8 else "")
        st.caption(md_escape(f"{NOT_IDENTIFIABLE_LEGEND} ({len(edges)}: {listed})"))


def _on_canvas_edit() -> None:
    value = st.session_state.get(EDITOR_KEY) or {}
    edit = value.get("edit") if hasattr(value, "get") else None
    state = get_state()
    session = state.graph
    if edit and session is not None:
        session.apply(edit, state.constraints)


def render_message(session: GraphSession) -> None:
    if session.message:
        (st.success if session.message_ok else st.error)(md_escape(session.message))


def render_refusal(state: AppState, session: GraphSession) -> None:
    """After a constraint refused an edit: offer to change that constraint and apply the edit."""
    if session.refused is None or session.message_ok or state.constraints is None:
        return
    (a, b), edit = session.refused
    if allowing(state.constraints, a, b) is None:
        st.caption("Tiers forbid this edge: move a variable to another tier on 2. Constraints to allow it.")
        return
    st.button(f"Change the constraint to allow {a} → {b}, then apply the edit", key="graph.allow_refused",
              on_click=_allow_refused, args=(state, session))


def _allow_refused(state: AppState, session: GraphSession) -> None:
    (a, b), edit = session.refused
    changed = allowing(state.constraints, a, b)
    if changed is None:
        return
    state.constraints = changed
    if session.apply(edit, changed):
        session.say(f"{session.message} The constraint was changed to allow {a} → {b} (see 2. Constraints).")


def render_history(state: AppState, session: GraphSession) -> None:
    """Undo / redo buttons and, for a discovered graph, the probability threshold."""
    cols = st.columns([1, 1, 1.4, 4])
    cols[0].button(
        "↶ Undo", key="graph.undo", on_click=session.undo, disabled=not session.undo_stack, width="stretch"
    )
    cols[1].button(
        "↷ Redo", key="graph.redo", on_click=session.redo, disabled=not session.redo_stack, width="stretch"
    )
    cols[2].button(
        "Arrange in layers",
        key="graph.arrange",
        on_click=session.arrange,
        width="stretch",
        help="Causes above effects. Your own node positions are replaced.",
    )
    if session.probs is not None:
        model = discovered_model(state)
        cols[3].slider(
            "Edge probability threshold for the discovered graph",
            0.05,
            0.95,
            session.threshold,
            0.05,
            key="graph.threshold",
            disabled=model is None,
            on_change=lambda: session.set_threshold(st.session_state["graph.threshold"], model),
            help="Edges of the discovered graph are those above this posterior probability. "
            "Changing it replays your edits on the new discovered graph.",
        )


# ---------------------------------------------------------------------- widget editor


def render_widget_editor(session: GraphSession) -> None:
    """Source, target, action, Apply: the keyboard-friendly way to make every edit."""
    names = list(session.current.names)
    c1, c2, c3, c4 = st.columns([3, 3, 2, 1], vertical_alignment="bottom")
    c1.selectbox("Source (cause)", names, key="graph.w_source")
    c2.selectbox("Target (effect)", names, index=min(1, len(names) - 1), key="graph.w_target")
    c3.selectbox("Action", list(ACTIONS), format_func=ACTIONS.get, key="graph.w_action")
    c4.button("Apply", key="graph.w_apply", type="primary", on_click=_apply_widget_edit, args=(session,))


def _apply_widget_edit(session: GraphSession) -> None:
    ss = st.session_state
    session.apply(
        {"op": ss["graph.w_action"], "source": ss["graph.w_source"], "target": ss["graph.w_target"]},
        get_state().constraints,
    )


def render_edge_table(session: GraphSession) -> None:
    """The current edges, and the uncertain edges discovery found that are not in the graph."""
    table = session.edge_table()
    st.caption(
        f"{len(table)} edges. 'origin' says whether an edge was {session.base}, added or reversed by you."
    )
    prob = {"probability": st.column_config.NumberColumn(format="%.2f")}
    st.dataframe(table, hide_index=True, width="stretch", column_config=prob)
    if session.probs is not None:
        others = session.candidates(0.2)
        st.caption(f"{len(others)} more pairs have a probability of at least 0.20 but are not in the graph:")
        st.dataframe(others, hide_index=True, width="stretch", column_config=prob)


# ---------------------------------------------------------------------- versions and diff


def render_versions(session: GraphSession) -> None:
    c1, c2 = st.columns(2, vertical_alignment="bottom")
    c1.text_input("Name this version", placeholder="after expert review", key="graph.version_name")
    c2.button(
        "Save version",
        key="graph.save_version",
        on_click=lambda: session.save_version(st.session_state.get("graph.version_name", "")),
    )
    names = list(session.versions)
    c3, c4 = st.columns(2, vertical_alignment="bottom")
    c3.selectbox("Version", names, key="graph.version_pick")
    c4.button(
        "Restore this version",
        key="graph.restore",
        on_click=lambda: session.restore_version(st.session_state["graph.version_pick"]),
    )
    choice = st.selectbox(f"Compare with '{session.base}'", ["current graph", *names], key="graph.diff_pick")
    change = session.diff_from_base(None if choice == "current graph" else choice)
    st.write(f"{md_escape(choice)}: {change.summary()} compared with the {session.base} graph.")
    rows = [
        {"change": kind, "parent": u, "child": v}
        for kind, edges in (
            ("added", change.added),
            ("removed", change.removed),
            ("reversed (now)", change.reversed),
        )
        for u, v in edges
    ]
    if rows:
        st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch")


# ---------------------------------------------------------------------- import and export


def render_import(state: AppState) -> None:
    """Upload GML, DOT, DAGitty, JSON or a CSV edge list; names are checked against the data."""
    st.file_uploader(
        "Import a graph (GML, DOT, DAGitty, JSON, CSV edge list)",
        key="graph.import_file",
        type=["gml", "dot", "gv", "dagitty", "txt", "json", "csv"],
    )
    if st.button("Import this graph", key="graph.import"):
        upload = st.session_state.get("graph.import_file")
        if upload is None:
            st.error("Choose a file first.")
            return
        data, imported = state.data, False
        with error_boundary(f"importing {upload.name}"):
            text = _text_of(upload)
            graph = read_graph(text, format_for_filename(upload.name), data.schema.names if data else None)
            label = f"imported from {upload.name}"
            if state.graph is not None and state.graph.current.names == graph.names:
                state.graph.replace_graph(graph, f"Imported {upload.name} (undo to go back).")
                state.graph.versions[label] = graph
            else:
                state.graph = _bound(state, GraphSession.from_graph(graph, label))
                state.graph.say(f"Imported {upload.name}: {len(graph.edges)} edges.")
            imported = True
        if imported:
            st.rerun()


def _text_of(upload: Any) -> str:
    try:
        return upload.getvalue().decode("utf-8-sig")
    except UnicodeDecodeError:
        raise GraphError(f"'{upload.name}' is not a text file (UTF-8): export the graph as text.") from None


def export_text(state: AppState, session: GraphSession, fmt: str) -> str:
    """The current graph in ``fmt`` (EXPORTS or "svg"), treatment/outcome marked where chosen."""
    graph = session.graph_with_positions()
    roles = {r["role"]: r["id"] for r in node_info(state, graph.names) if r["role"]}
    if fmt == "svg":
        return to_svg(graph.names, session.edges_with_probs(), session.positions, roles.values())
    if fmt == "dagitty":
        return to_dagitty(graph, roles.get("treatment"), roles.get("outcome"))
    return write_graph(graph, fmt)


def render_export(state: AppState, session: GraphSession) -> None:
    """One download button per format; the file is written when clicked (always the current graph)."""
    items = [*EXPORTS.items(), ("svg", ("SVG", "image/svg+xml"))]
    for col, (fmt, (label, mime)) in zip(st.columns(len(items)), items, strict=True):
        ext = "txt" if fmt == "dagitty" else fmt
        col.download_button(
            label,
            lambda fmt=fmt: export_text(state, session, fmt),
            file_name=f"causal_graph.{ext}",
            mime=mime,
            key=f"graph.export_{fmt}",
            on_click="ignore",
        )
    st.caption("PNG: use 'Download PNG' above the canvas (the picture as you see it).")


# ---------------------------------------------------------------------- the edits count


def render_use_for_effects(state: AppState, session: GraphSession) -> None:
    """'Use this graph for effects': refit the SEM on the graph in a background job, with progress."""
    model, data = discovered_model(state), state.data
    job = session.refit_job
    running = job is not None and job.running
    why = _why_no_refit(model, data, session)
    label = "Use this graph for effects"
    if why:
        st.button(label, key="graph.use_for_effects", disabled=True, help=why)
        st.caption(f"Not available: {md_escape(why)}")
        return
    if st.button(label, key="graph.use_for_effects", disabled=running, type="primary"):
        running = use_graph_for_effects(state, session) == "started"
    st.fragment(_refit_monitor, run_every=0.5 if running else None)(state, session)


def _why_no_refit(model: Model | None, data: LoadedData | None, session: GraphSession) -> str:
    if data is None:
        return "load the data on the Data page first (the model is fitted to it)."
    if list(data.schema.names) != list(session.current.names):
        return "the graph's variables differ from the data's: import a graph over the data's variables."
    if model is not None and not can_refit(model):
        return "this version of the engine cannot refit a model on a fixed graph."
    return ""


def _refit_monitor(state: AppState, session: GraphSession) -> None:
    job = session.refit_job
    if job is None:
        return
    if job.running:
        st.progress(job.progress, text=md_escape(job.message))
        st.button("Cancel", key="graph.cancel_refit", on_click=job.cancel)
        return
    if job.error:
        st.error(md_escape(job.error))
    elif job.cancelled:
        st.warning("Refitting was cancelled; effects still use the previous model.")
    elif settle_refit(state, session):
        st.rerun(scope="app")


def render_to_constraints(state: AppState, session: GraphSession) -> None:
    """'Turn my edits into constraints and re-run discovery'."""
    if st.button("Turn my edits into constraints and re-run discovery", key="graph.to_constraints"):
        with error_boundary("turning your edits into constraints"):
            state.constraints, notes = session.edits_as_constraints(state.constraints)
            state.notices.append(
                "From your graph edits: " + (", ".join(notes) if notes else "no new constraints")
            )
            st.switch_page("pages/2_Constraints.py")
