"""Effects: what happens to an outcome if we set a treatment, with honest uncertainty."""

import streamlit as st

from deci_core.data.schema import VariableType
from ui import effects_dr_view as dr_view
from ui import effects_session as fx
from ui import effects_view as view
from ui import trust_view, ts_effects_view
from ui.errors import error_boundary
from ui.page import WORKFLOW, page_frame, stop_unless_ready

state = page_frame("Effects")
st.title("Effects")
st.caption("What would happen to an outcome if you set a treatment to one value instead of another?")
model, description = None, ""
with error_boundary("loading the model"):
    model, description = fx.model_for_effects(state)
stop_unless_ready(model is not None, description or "No model yet: run discovery first.", WORKFLOW[2])
if getattr(model, "is_temporal", False):  # time series: what happens next, step by step
    ts_effects_view.render(state, model)
    st.stop()
effects = fx.get_effects(state)
fx.bind(state, effects)  # results made on other data or with another model are dropped, not shown
effects.settle()
table = fx.data_table(state, model)
units = fx.units(state)
names = list(model.encoder_.names)
st.caption(description)

c1, c2 = st.columns(2)
t_index = names.index(effects.treatment) if effects.treatment in names else 0
treatment = c1.selectbox("Treatment (what you would change)", names, index=t_index, key="effects.treatment")
others = [n for n in names if n != treatment]
o_index = others.index(effects.outcome) if effects.outcome in others else len(others) - 1
outcome = c2.selectbox("Outcome (what you care about)", others, index=o_index, key="effects.outcome")
effects.treatment, effects.outcome = treatment, outcome
with error_boundary("checking the graph"):
    warning = fx.path_warning(model, treatment, outcome)
    if warning:
        st.warning(warning)

a_default, b_default = fx.default_values(model, treatment, table)
c1, c2, c3 = st.columns(3)
a = view.value_input(model, f"Set {treatment} to", treatment, a_default, f"effects.a.{treatment}", c1)
b = view.value_input(model, "instead of", treatment, b_default, f"effects.b.{treatment}", c2)
level = None
if fx.kind(model, outcome) is not VariableType.CONTINUOUS:
    cats = fx.levels(model, outcome)
    level = c3.selectbox(f"Probability that {outcome} is", cats, index=len(cats) - 1, key="effects.level")
with st.expander("Settings"):
    s1, s2, s3 = st.columns(3)
    settings = {
        "num_graphs": s1.slider("Graphs sampled", 1, 100, 20, key="effects.num_graphs"),
        "num_samples": s2.select_slider(
            "Simulated units per graph", [1000, 2000, 4000, 10000, 20000], 4000, key="effects.num_samples"
        ),
        "seed": int(s3.number_input("Seed", 0, 10**6, 0, key="effects.seed")),
    }
    trim = st.checkbox("Trim rows without overlap (doubly robust estimate)", key="effects.trim_on")
    settings["trim"] = (
        st.slider("Keep propensity within [x, 1 − x]", 0.01, 0.2, 0.05, key="effects.trim") if trim else None
    )
estimand = st.radio(
    "Average over",
    ["ate", "att", "atc"],
    horizontal=True,
    key="effects.estimand",
    format_func=lambda e: {"ate": "everyone (ATE)", "att": "the treated (ATT)", "atc": "the controls (ATC)"}[
        e
    ],
)
query = {
    "treatment": treatment,
    "outcome": outcome,
    "treatment_value": a,
    "control_value": b,
    "outcome_level": level,
    "estimand": estimand,
}
if st.button("Estimate effect", type="primary", key="effects.run", disabled=effects.running is not None):
    with error_boundary("starting the estimate"):
        fx.start_estimate(effects, model, table, description, query, settings)


def _monitor():
    job = effects.running
    if job is None:
        return
    if job.done:
        st.rerun()
    st.progress(job.progress, text=job.message)
    if st.button("Cancel", key="effects.cancel"):
        job.cancel()


st.fragment(_monitor, run_every=0.5 if effects.running is not None else None)()
if effects.message:
    (st.info if effects.message_ok else st.error)(effects.message)

result = effects.result
if result is not None:
    st.subheader("Result")
    view.result_card(result, units)
    if st.button("Add to report", key="effects.add", disabled=effects.in_report(result)):
        fx.add_to_report(effects, result, units)
        st.rerun()
    labels = [
        "Distributions",
        "Across graphs",
        "Doubly robust (EconML)",
        "By subgroup",
        "Every row",
        "What if",
    ]
    tabs = st.tabs(labels)
    with tabs[0]:
        st.plotly_chart(view.arms_figure(result), key="effects.arms_chart")
    with tabs[1]:
        view.uncertainty_panel(result.estimate, units)
    with tabs[2]:
        dr_view.dr_panel(result.estimate, result.dr, result.dr_error, result.linear, units)
    with tabs[3]:
        view.subgroup_tab(model, effects, table, settings, description, units)
    with tabs[4]:
        view.rows_tab(model, effects, table, settings, units)
    with tabs[5]:
        view.what_if_tab(model, effects, table, units)
if effects.report_note():
    st.caption(effects.report_note())
with error_boundary("showing the trust checks"):
    trust_view.trust_section(state, model, effects, table)
