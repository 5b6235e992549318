"""The Discover page's pieces: settings, the live monitor of a running job, the result, the history."""

from __future__ import annotations

from typing import Any

import pandas as pd
import plotly.graph_objects as go
import streamlit as st
from plotly.subplots import make_subplots

from deci_core.config import NOISE_MODELS, PRESETS, ModelConfig, time_budget
from deci_core.constraints import Constraints
from ui import discovery_session as disc_mod
from ui.discovery_session import PRESET_LABELS, SPARSITY_LEVELS, describe_run, get_discovery
from ui.discovery_state import DiscoverySettings
from ui.errors import error_boundary
from ui.graph_view import edge_heatmap, edge_table, show_graph
from ui.model_store import compare_runs, get_store
from ui.progress_words import duration_words, progress_words, seconds_left, step_reports
from ui.state import AppState

P = "discover."
POLL_SECONDS = 0.5


def _duration(seconds: float) -> str:
    return f"{seconds:.0f} s" if seconds < 90 else f"{seconds / 60:.0f} min"


def settings_form(state: AppState) -> DiscoverySettings:
    """Preset with estimated times, advanced settings in an expander; the choice is kept in state."""
    disc = get_discovery(state)
    s = disc.settings
    rows, d = state.data.table.shape
    estimates = disc_mod.preset_estimates(d, disc.slowdown or 1.0)
    presets = list(PRESETS)
    preset = st.radio(
        "How thorough",
        presets,
        index=presets.index(s.preset),
        key=P + "preset",
        horizontal=True,
        format_func=lambda p: f"{PRESET_LABELS[p]} (about {_duration(estimates[p])})",
    )
    calibrated = (
        f" calibrated from this session's last run (steps took {disc.slowdown:.1f}× the benchmarked time)"
        if disc.slowdown
        else ""
    )
    st.caption(
        f"Estimated for {rows:,} rows × {d} variables on this machine{calibrated}; training stops early "
        "once settled. While it runs, the time left is measured from its own steps."
    )
    with st.expander("Advanced settings"):
        left, right = st.columns(2)
        noise = left.selectbox(
            "Noise model",
            NOISE_MODELS,
            index=NOISE_MODELS.index(s.noise),
            key=P + "noise",
            help="spline: flexible, any noise shape (DECI's default); gaussian: faster, bell-shaped noise.",
        )
        sparsity = left.select_slider(
            "Sparsity strength",
            tuple(sorted({*SPARSITY_LEVELS, s.sparsity})),
            value=s.sparsity,
            key=P + "sparsity",
            help="Cost of each edge in multiples of BIC's ½·log n nats (n rows); larger gives fewer "
            f"edges (default {ModelConfig.sparsity:g} = BIC).",
        )
        steps = right.number_input(
            f"Steps (0: the preset's {int(PRESETS[preset]['max_steps']):,})",
            0,
            100_000,
            s.max_steps or 0,
            step=100,
            key=P + "steps",
        )
        seconds = right.number_input(
            f"Time limit in seconds (0: the preset's {PRESETS[preset]['max_seconds']:.0f})",
            0,
            7200,
            int(s.max_seconds or 0),
            step=5,
            key=P + "seconds",
        )
        seed = right.number_input("Seed", 0, 2**31 - 1, s.seed, key=P + "seed")
    disc.settings = DiscoverySettings(
        preset, noise, float(sparsity), int(steps) or None, float(seconds) or None, int(seed)
    )
    training = disc.settings.configs()[1]
    st.caption(
        f"This run: about {_duration(disc_mod.estimate_seconds(training, d))}, at most "
        f"{_duration(time_budget(training, d))} (the time limit for {d} variables)."
    )
    return disc.settings


def run_controls(state: AppState, blocked: bool) -> None:
    disc = get_discovery(state)
    if st.button("Run discovery", type="primary", key=P + "run", disabled=blocked or disc.running):
        with error_boundary("starting discovery"):
            disc_mod.start_discovery(state)
            st.rerun()


def monitor(state: AppState) -> None:
    """The live view of a running job; polls itself while the job runs."""
    disc = get_discovery(state)
    st.fragment(_monitor_body, run_every=POLL_SECONDS if disc.running else None)(state)


def _monitor_body(state: AppState) -> None:
    disc = get_discovery(state)
    job = disc.job
    if job is None:
        return
    if job.done:
        disc.settle()
        st.rerun(scope="app")
    cancelling = job.cancel_event.is_set()
    words = progress_words(job.payloads)
    st.progress(job.progress, text="Cancelling…" if cancelling else f"Training: {words}")
    st.button("Cancel", key=P + "cancel", on_click=job.cancel, disabled=cancelling)
    reports = step_reports(job.payloads)
    if not reports:
        st.caption("Preparing the data and the model…")
        return
    last = reports[-1]
    cols = st.columns(4)
    cols[0].metric("Step", f"{last['step']:,}")
    cols[1].metric("Edges (p > 0.5)", last["num_edges"])
    cols[2].metric("Acyclicity penalty", f"{last['acyclicity']:.3g}")
    left = seconds_left(reports)
    cols[3].metric("Time left", "estimating…" if left is None else duration_words(left))
    left, right = st.columns(2)
    left.plotly_chart(_curves(reports), key=P + "curves")
    probs = next((p["edge_probs"] for p in reversed(reports) if p.get("edge_probs") is not None), None)
    if probs is not None:
        names = state.data.schema.names
        frame = pd.DataFrame(probs, index=names, columns=names)
        right.plotly_chart(edge_heatmap(frame, "Edge probabilities so far"), key=P + "live_heatmap")


def _curves(reports: list[dict[str, Any]]) -> go.Figure:
    steps = [p["step"] for p in reports]
    fig = make_subplots(
        rows=2, cols=1, shared_xaxes=True, subplot_titles=("Objective (lower is better)", "Acyclicity")
    )
    fig.add_trace(go.Scatter(x=steps, y=[p["objective"] for p in reports], name="objective"), row=1, col=1)
    fig.add_trace(go.Scatter(x=steps, y=[p["acyclicity"] for p in reports], name="acyclicity"), row=2, col=1)
    fig.update_layout(height=360, showlegend=False, margin={"l": 10, "r": 10, "t": 30, "b": 10})
    fig.update_xaxes(title_text="step", row=2, col=1)
    return fig


def show_notice(state: AppState) -> None:
    disc = get_discovery(state)
    if disc.notice:
        kind, text = disc.notice
        {"error": st.error, "warning": st.warning}.get(kind, st.success)(text)


def result(state: AppState) -> None:
    """The current run: heatmap, most probable graph, edge table."""
    run = disc_mod.current_run(state)
    if run is None:
        return
    st.header("Result")
    st.caption(describe_run(run))
    if run.get("temporal"):  # time series (ui.ts_graph_view has the lags)
        lags = run["temporal"]["lags"]
        st.caption(f"Time series, K = {lags}: the summary graph (an edge if some lag has it; a self edge "
                   "is a variable's own past). The lag view and the lag table are on 4. Graph.")
    converged = _convergence_warning(state, run)
    names = run["names"]
    edges = [tuple(e) for e in run["edges"]]
    probs = pd.DataFrame(run["edge_probs"], index=names, columns=names)
    left, right = st.columns(2)
    with left:
        st.plotly_chart(edge_heatmap(probs), key=P + "heatmap")
    with right:
        st.markdown("**Most probable graph**")
        show_graph(names, edges, alt="most probable causal graph")
    if edges:
        st.dataframe(edge_table(edges), hide_index=True)
    elif converged:
        st.info(
            "No edge has a probability above 0.5 yet. Training may have stopped early: try the "
            "standard preset or a longer time limit, or a lower sparsity strength."
        )
    rules = Constraints.from_dict(run.get("constraints", {})).describe()
    if rules:
        st.caption("With the constraints: " + " ".join(rules))
    st.page_link("pages/4_Graph.py", label="Next: 4. Graph (review and edit)", icon=":material/hub:")


def _convergence_warning(state: AppState, run: dict[str, Any]) -> bool:
    """Warn when training stopped before it converged, with Continue training; True if converged."""
    summary = run.get("summary") or {}
    if summary.get("converged", True):
        return True
    st.warning(
        f"Not converged: this graph is not a result yet. {summary.get('convergence', '')}", icon="⚠️"
    )
    if disc_mod.can_continue(state):
        st.caption("Continue training picks up from where it stopped (not from scratch).")
        if st.button("Continue training", key=P + "continue", type="primary"):
            with error_boundary("continuing the training"):
                disc_mod.continue_discovery(state)
                st.rerun()
    return False


def history(state: AppState) -> None:
    """Previous runs on this data: reload one, compare two."""
    runs = get_store().runs(state.data.fingerprint)
    if not runs:
        return
    with st.expander(f"Run history: {len(runs)} run(s) on this data"):
        labels = {r["key"]: describe_run(r) for r in runs}
        keys = list(labels)
        chosen = st.selectbox("Run", keys, format_func=labels.get, key=P + "history_pick")
        if st.button("Make this the current run", key=P + "reload"):
            with error_boundary("reloading that run"):
                disc_mod.select_run(state, chosen)
                st.rerun()
        if len(runs) < 2:
            return
        st.markdown("**Compare two runs**")
        left, right = st.columns(2)
        a = left.selectbox("Run A", keys, index=1, format_func=labels.get, key=P + "compare_a")
        b = right.selectbox("Run B", keys, index=0, format_func=labels.get, key=P + "compare_b")
        diff = compare_runs(get_store().run(a) or {}, get_store().run(b) or {})
        st.write(f"From A to B: {len(diff.added)} edge(s) added, {len(diff.removed)} removed.")
        frames = {
            "Added in B": pd.DataFrame(diff.added, columns=["cause", "effect", "probability in B"]),
            "Removed in B": pd.DataFrame(diff.removed, columns=["cause", "effect", "probability in A"]),
            "Probability changes ≥ 0.1": pd.DataFrame(diff.changed, columns=["cause", "effect", "A", "B"]),
        }
        for title, frame in frames.items():
            if len(frame):
                st.markdown(f"*{title}*")
                st.dataframe(frame, hide_index=True)
