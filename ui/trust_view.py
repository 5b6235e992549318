"""The "Can I trust this?" section of the Effects page: refutations, hidden-confounder sensitivity,
stability over refits, the edges that matter (with "fix this edge") and the audit trail."""

from __future__ import annotations

import json
from typing import Any

import pandas as pd
import streamlit as st

from ui import trust_session as ts
from ui.effects_state import EffectsState
from ui.errors import error_boundary
from ui.graph_session import Model, effects_model_key
from ui.number_format import format_number
from ui.state import AppState
from ui.trust_report import audit_table, contour_figure, edges_table, frequency_figure, refutation_table
from ui.trust_state import TrustState, question_key

TABS = ["Refutations", "Hidden confounding", "Stability", "Edges that matter", "Audit trail"]


def trust_section(state: AppState, model: Model, effects: EffectsState, table: pd.DataFrame | None) -> None:
    trust = ts.get_trust(state)
    trust.settle()
    result = effects.result
    if result is not None and not result.estimate.query.conditioning:
        ts.record_estimate(state, trust, result)
    st.subheader("Can I trust this?")
    if result is None or result.estimate.query.conditioning:
        st.caption("Estimate an average effect first: the checks below test that estimate.")
        _audit(trust)
        return
    key = question_key(ts.query_of(result), effects_model_key(state))
    st.fragment(_monitor, run_every=0.5 if trust.running is not None else None)(trust)
    if trust.message:
        (st.info if trust.message_ok else st.error)(trust.message)
    tabs = st.tabs(TABS)
    checks = trust.refutations.get(key)
    with tabs[0]:
        _refutations(trust, state, model, table, result, checks)
    with tabs[1]:
        _sensitivity(checks)
    with tabs[2]:
        _stability(trust, state, model, result)
    with tabs[3]:
        _edges(trust, state, model, table, result, trust.edges.get(key))
    with tabs[4]:
        _audit(trust)


def _monitor(trust: TrustState) -> None:
    job = trust.running
    if job is None:
        return
    if job.done:
        st.rerun()
    st.progress(job.progress, text=f"{job.name}: {job.message}")
    if st.button("Cancel", key="trust.cancel"):
        job.cancel()


def _refutations(trust, state, model, table, result, checks) -> None:
    st.caption(
        "Each check changes the data in a way whose answer is known and re-estimates: the SEM "
        "refitted on the held graph, and the doubly robust estimate on its adjustment set."
    )
    if table is None:
        st.info("The refutations refit on the data: load the data the model was fitted on.")
        return
    if st.button("Run the refutations", key="trust.refute", disabled=trust.running is not None):
        with error_boundary("starting the refutations"):
            ts.start_refutations(trust, state, model, table, result)
            st.rerun()
    if checks is None:
        return
    report = checks["report"]
    st.markdown(f"**{report['summary']}**")
    st.dataframe(refutation_table(report["refutations"]), hide_index=True, key="trust.refutation_table")


def _sensitivity(checks) -> None:
    if checks is None:
        st.caption("Run the refutations: the sensitivity analysis runs with them.")
        return
    sens = checks.get("sensitivity")
    if sens is None:
        st.info(checks.get("sensitivity_error") or "No sensitivity analysis for this estimate.")
        return
    st.markdown(sens["sentence"])
    st.plotly_chart(contour_figure(sens), key="trust.contour")


def _stability(trust, state, model, result) -> None:
    st.caption(
        "Discovery again on bootstrap resamples of the rows, each with its own seed: how often "
        "does each edge come back? Runs go to a local process pool, or to a Ray cluster."
    )
    c1, c2 = st.columns([1, 2])
    runs = int(c1.number_input("Runs", 2, 100, 8, key="trust.runs"))
    address = c2.text_input(
        "Ray cluster address (empty: this machine's process pool)",
        ts.default_ray_address(),
        key="trust.ray_address",
    )
    if st.button("Run stability", key="trust.stability", disabled=trust.running is not None):
        with error_boundary("starting the stability runs"):
            ts.start_stability(trust, state, runs, address.strip(), result)
            st.rerun()
    if trust.stability is None:
        return
    made_on = json.loads(trust.stability.get("key") or "{}").get("data")
    if state.data is not None and made_on not in (None, state.data.fingerprint):
        st.caption("The last stability runs were made on other data: run them again.")
        return
    summary = trust.stability["summary"]
    st.markdown(summary.get("sentence", ""))
    st.caption(f"{summary['runs']} runs on {summary['executor']} in {format_number(summary['seconds'])} s.")
    freq = pd.DataFrame(**trust.stability["edge_frequency"])
    st.plotly_chart(frequency_figure(freq), key="trust.frequency")
    flagged = disagreements(freq, model)
    if flagged:
        st.warning("Edges where the runs and the posterior disagree by more than 0.3:")
        st.dataframe(pd.DataFrame(flagged), hide_index=True, key="trust.disagreements")


def disagreements(freq: pd.DataFrame, model: Model, threshold: float = 0.3) -> list[dict[str, Any]]:
    probs = model.graph_posterior_.edge_probs
    names = [n for n in freq.index if n in probs.index]
    out = []
    for a in names:
        for b in names:
            f, p = float(freq.loc[a, b]), float(probs.loc[a, b])
            if abs(f - p) > threshold:
                out.append({"edge": f"{a} → {b}", "share of runs": round(f, 2), "posterior": round(p, 2)})
    return out


def _edges(trust, state, model, table, result, rows) -> None:
    st.caption(
        "Uncertain edges (probability between 0.1 and 0.9, or direction not identifiable), ranked by "
        "how much the effect changes with the edge present versus absent."
    )
    if st.button("Rank the edges that matter", key="trust.edges", disabled=trust.running is not None):
        with error_boundary("ranking the edges"):
            ts.start_edges(trust, state, model, table, result)
            st.rerun()
    if rows is None:
        return
    if not rows:
        st.info("No uncertain edge: the posterior is sure of every edge.")
        return
    st.dataframe(edges_table(rows), hide_index=True, key="trust.edges_table")
    for k, row in enumerate(rows[:5]):
        a, b = row["edge"]
        c1, c2, c3 = st.columns([3, 1, 1])
        c1.markdown(f"Fix **{a} → {b}** (changes the effect by {format_number(row['difference'])}):")
        for col, present, label in ((c2, True, "Require"), (c3, False, "Forbid")):
            if col.button(label, key=f"trust.fix.{k}.{label}", disabled=trust.running is not None):
                with error_boundary("adding the constraint"):
                    trust.message, trust.message_ok = ts.fix_edge(state, trust, (a, b), present), True
                    st.rerun()


def _audit(trust: TrustState) -> None:
    if not trust.audit:
        st.caption(
            "Audit trail: nothing yet. Changes that move an estimate (a constraint, a graph edit, a "
            "refit, a type or transform change) are listed here with the estimate before and after."
        )
        return
    st.dataframe(audit_table(trust.audit), hide_index=True, key="trust.audit")
