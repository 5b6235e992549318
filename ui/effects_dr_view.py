"""The Effects page's second opinion: EconML on the sampled graphs' adjustment sets, and the overlap
check (plotly; user strings never rendered as HTML)."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from deci_core.effects import DoublyRobustResult, EffectEstimate, LinearCheck, disagreement
from deci_core.effects.doubly_robust import LEARNER_NAMES
from deci_core.effects.overlap import Overlap
from ui.effect_words import effect_unit
from ui.number_format import crosscheck_verdict, format_interval, format_number


def overlap_figure(check: Overlap) -> go.Figure:
    """Propensity scores (or, for a continuous treatment, standardised distances) by arm."""
    fig = go.Figure()
    for arm, mask in (("treated", check.treated), ("control", ~check.treated)):
        fig.add_trace(go.Histogram(x=check.score[mask], name=arm, opacity=0.6, nbinsx=40))
    if check.support is not None:
        for edge in check.support:
            fig.add_vline(x=edge, line_dash="dash")
    title = (
        "How far the compared values are from each row's usual treatment (sd)"
        if check.continuous
        else f"Propensity P({check.treatment} = treated | adjustment set), by arm"
    )
    fig.update_layout(
        barmode="overlay", height=300, margin=dict(l=10, r=10, t=30, b=10), title=title, yaxis_title="rows"
    )
    return fig


def dr_panel(
    estimate: EffectEstimate,
    dr: DoublyRobustResult | None,
    error: str | None = None,
    linear: LinearCheck | None = None,
    units: dict[str, str] | None = None,
) -> None:
    """The DR estimates beside the SEM's, the linear cross-check (worded as in the report), the
    adjustment sets and the overlap check."""
    if dr is None:
        st.info(error or "Load the data the model was fitted on for the doubly robust estimate.")
        return
    if not dr.learners:
        st.info(dr.sentence())
        return
    st.write(dr.sentence())
    conflict = disagreement(estimate.value, estimate.std_error, dr)
    if conflict:
        st.warning(conflict)
    else:
        st.caption("The SEM's simulation and the doubly robust estimate agree: their difference is within "
                   "its own 95% margin.")
    if linear is not None:  # the same sentence as the report's linear cross-check
        unit = effect_unit(estimate, units or {})[1]
        verdict = crosscheck_verdict(estimate.value, estimate.std_error, linear.value, linear.std_error, unit)
        st.caption(verdict)
    factor, unit = effect_unit(estimate, units or {})
    scale = max(abs(estimate.value), estimate.std_error) * factor
    rows = [("DECI SEM (simulation)", estimate.value, estimate.interval_95)]
    rows += [(LEARNER_NAMES[k], v.value, v.interval_95) for k, v in dr.learners.items()]
    st.dataframe(
        pd.DataFrame(
            {
                "method": [r[0] for r in rows],
                "estimate": [
                    format_number(r[1] * factor, unit or None, signed=True, scale=scale) for r in rows
                ],
                "95% interval": [
                    format_interval(r[2][0] * factor, r[2][1] * factor, unit or None, scale=scale, what="")
                    .strip()
                    for r in rows
                ],
            }
        ),
        hide_index=True,
        key="effects.dr_table",
    )
    st.dataframe(
        pd.DataFrame(
            {
                "adjustment set": [", ".join(s) or "(none)" for s in dr.set_names],
                "share of graphs": list(dr.sets.weights),
            }
        ),
        hide_index=True,
        key="effects.dr_sets",
    )
    for note in dr.notes:
        st.info(note)
    if dr.overlap is not None:
        st.plotly_chart(overlap_figure(dr.overlap), key="effects.overlap_chart")
        st.caption(
            f"{dr.overlap.share_outside:.0%} of the rows are outside common support "
            f"(adjusting for {', '.join(dr.overlap.adjustment_set) or 'nothing'})."
        )
