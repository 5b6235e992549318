"""Knowledge the Constraints page offers in one click: a time order read from column names, and a
"this treatment was randomised" switch (a root: nothing in the data causes it).

The offers only propose: each applies through the same conflict check as the other constraints, and
the report notes a randomised treatment (``AppState.randomised``).
"""

from __future__ import annotations

import streamlit as st

from deci_core.constraints import Constraints
from deci_core.data.profiling import time_ordered_groups, time_tiers
from deci_core.data.schema import VariableType
from ui.constraints_view import reset_widgets
from ui.state import AppState
from ui.text import md_escape

P = "constraints.offer."


def order_words(tiers: list[list[str]]) -> str:
    return " → ".join("{" + ", ".join(t) + "}" if len(t) > 1 else t[0] for t in tiers)


def render_time_order_offer(state: AppState, names: list[str], apply) -> None:
    """When columns look time-ordered (re74, re75, re78; before/after), offer them as tiers."""
    tiers = time_tiers(names)
    if not tiers:
        return
    c = state.constraints or Constraints()
    groups = ", ".join(" → ".join(g) for g in time_ordered_groups(names))
    with st.container(border=True):
        st.markdown(md_escape(f"These columns look like measurements over time: {groups}."))
        if c.tiers:
            st.caption("Tiers are set already: add these on the Order (tiers) tab if they belong there.")
            return
        if st.button(f"Order them in time: {order_words(tiers)} (later cannot cause earlier)",
                     key=P + "time_order", icon=":material/schedule:"):
            apply(state, c.with_tiers(tiers), f"tiers {order_words(tiers)}")
            reset_widgets()  # the tier and root widgets show the new constraints
            st.rerun()


def render_randomised_switch(state: AppState, names: list[str], apply) -> None:
    """Mark a treatment as randomised: it becomes a root (no parents), and the report says why."""
    schema = state.data.schema
    binary = [n for n in names if schema[n].type is VariableType.BINARY]
    candidates = binary + [n for n in names if n not in binary]
    with st.container(border=True):
        st.markdown("**Randomised treatment**: assigned by chance (an experiment), so nothing in the data "
                    "causes it.")
        left, right = st.columns([2, 3], vertical_alignment="bottom")
        effects = state.effects
        default = effects.treatment if effects is not None and effects.treatment in candidates else None
        treatment = left.selectbox("Treatment", candidates, index=candidates.index(default) if default else 0,
                                   key=P + "randomised_name")
        c = state.constraints or Constraints()
        on = treatment in state.randomised and treatment in c.roots
        wanted = right.toggle(f"{treatment} was randomised", value=on, key=f"{P}randomised.{treatment}")
        if wanted != on:
            set_randomised(state, treatment, wanted, apply)
            reset_widgets()
            st.rerun()


def set_randomised(state: AppState, treatment: str, randomised: bool, apply) -> None:
    """Make ``treatment`` a root and note it (or undo both)."""
    c = state.constraints or Constraints()
    if randomised:
        roots = (*c.roots, treatment) if treatment not in c.roots else c.roots
        apply(state, c.with_roots(roots), f"{treatment} randomised (a root: nothing causes it)")
        if treatment in (state.constraints or Constraints()).roots and treatment not in state.randomised:
            state.randomised = [*state.randomised, treatment]
    else:
        state.constraints = c.with_roots(r for r in c.roots if r != treatment)
        state.randomised = [r for r in state.randomised if r != treatment]


def randomised_notes(state: AppState) -> list[str]:
    """The report's line for each randomised treatment still a root."""
    roots = set((state.constraints or Constraints()).roots)
    return [f"{name} was randomised (assigned by chance, as in an experiment): it is a root, with no causes "
            "among the variables, so its effects need no adjustment for confounders."
            for name in state.randomised if name in roots]
