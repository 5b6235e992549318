"""Effects: what happens to an outcome if we set a treatment, with honest uncertainty."""

import streamlit as st

from deci_core.data import VariableType
from ui import effects_session as fx
from ui import effects_view as view
from ui.errors import error_boundary
from ui.page import page_frame

state = page_frame("Effects")
st.title("Effects")
with error_boundary("loading the model"):
    model, description = fx.model_for_effects(state)
if model is None:
    st.info(description)
    st.page_link("pages/3_Discover.py", label="Go to Discover", icon="🔎")
    st.stop()
effects = fx.get_effects(state)
effects.settle()
table = fx.data_table(state, model)
names = list(model.encoder_.names)
st.caption(description)


def _value_input(label: str, name: str, default, key: str):
    if fx.kind(model, name) is VariableType.CONTINUOUS:
        return st.number_input(label, value=float(default), key=key, format="%.4g")
    options = fx.levels(model, name)
    return st.selectbox(label, options, index=options.index(default), key=key)


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
a = _value_input(f"Set {treatment} to", treatment, a_default, f"effects.a.{treatment}")
b = _value_input("instead of", treatment, b_default, f"effects.b.{treatment}")
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
query = {
    "treatment": treatment,
    "outcome": outcome,
    "treatment_value": a,
    "control_value": b,
    "outcome_level": level,
}
running = effects.job is not None or effects.curve_job is not None
if st.button("Estimate effect", type="primary", key="effects.run", disabled=running):
    with error_boundary("starting the estimate"):
        fx.start_estimate(effects, model, table, description, query, settings)
        running = True


def _monitor():
    job = effects.job or effects.curve_job
    if job is None:
        return
    if job.done:
        st.rerun()
    st.progress(job.progress, text=job.message)
    if st.button("Cancel", key="effects.cancel"):
        job.cancel()


st.fragment(_monitor, run_every=0.5 if running else None)()
if effects.message:
    (st.info if effects.message_ok else st.error)(effects.message)

result = effects.result
if result is not None:
    st.subheader("Result")
    view.result_card(result)
    if st.button("Add to report", key="effects.add"):
        fx.add_to_report(effects, result)
        st.rerun()
    tabs = st.tabs(
        ["Distributions", "Across graphs", "Linear cross-check", "By subgroup", "What if (one row)"]
    )
    with tabs[0]:
        st.plotly_chart(view.arms_figure(result), key="effects.arms_chart")
    with tabs[1]:
        view.uncertainty_panel(result.estimate)
    with tabs[2]:
        view.cross_check_panel(result)
    with tabs[3]:
        q = result.estimate.query
        modifiers = [n for n in names if n not in (q.treatment, q.outcome)]
        modifier = st.selectbox("Effect by", modifiers, key="effects.modifier") if modifiers else None
        if modifier and st.button("Compute effect by subgroup", key="effects.curve", disabled=running):
            with error_boundary("starting the subgroup curve"):
                fx.start_curve(effects, model, modifier, settings)
                st.rerun()
        if result.curve is not None:
            st.plotly_chart(view.curve_figure(result.curve), key="effects.curve_chart")
            st.caption(
                "Conditional effect: the model's simulated units weighted by how close their "
                f"{result.curve.modifier} is to each value (kernel average). Sparse regions are noisy."
            )
    with tabs[4]:
        if table is None:
            st.info("Load the data the model was fitted on to ask about one of its rows.")
        else:
            q = result.estimate.query
            row = int(st.number_input("Row", 0, len(table) - 1, 0, key="effects.cf_row"))
            st.dataframe(table.iloc[[row]], hide_index=True)
            value = _value_input(
                f"Had {q.treatment} been", q.treatment, q.treatment_value, "effects.cf_value"
            )
            if st.button("Compute what-if", key="effects.cf_run"):
                with error_boundary("computing the what-if"):
                    fx.what_if(effects, model, table.iloc[[row]], q.treatment, value, q.outcome)
            if effects.what_if is not None:
                view.counterfactual_panel(effects.what_if)
if effects.report_items:
    st.caption(f"{len(effects.report_items)} estimate(s) added to the report.")
