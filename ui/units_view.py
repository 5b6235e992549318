"""The Data page's units: what each continuous column is measured in ("USD", "kg").

Units are for reading only: result sentences, the what-if, per-row tables and the report write
numbers in them ("+1,794 USD"); they never change the model or any fingerprint. They live in the
schema (``VariableSpec.unit``), so bundles keep them.
"""

from __future__ import annotations

from dataclasses import replace

import streamlit as st

from deci_core.data.schema import VariableType
from deci_core.errors import DeciError
from ui.state import AppState
from ui.text import md_escape

PER_ROW = 4


def unit_key(load_id: str, index: int) -> str:
    """The unit box's widget key for column ``index`` of this load of a dataset."""
    return f"data.unit.{load_id}.{index}"


def render_units(state: AppState) -> None:
    """A box per continuous column for its unit, saved with one button."""
    data = state.data
    names = list(data.raw.columns)
    columns = [s for s in data.schema.modeled if s.type is VariableType.CONTINUOUS]
    if not columns:
        return
    label = "Units" + (f" ({len(data.schema.units)} set)" if data.schema.units else "")
    with st.expander(label, expanded=False), st.form(f"data.units.{data.load_id}", border=False):
        st.caption("What each number is measured in, e.g. USD or kg. Results are then written in these "
                   "units (\"+1,794 USD\"); the model is not affected.")
        entered = {}
        for start in range(0, len(columns), PER_ROW):
            cells = st.columns(PER_ROW)
            for cell, spec in zip(cells, columns[start:start + PER_ROW], strict=False):
                entered[spec.name] = cell.text_input(
                    spec.name, value=spec.unit, max_chars=20, placeholder="no unit",
                    key=unit_key(data.load_id, names.index(spec.name)),
                )
        if st.form_submit_button("Save units") and set_units(state, entered):
            st.rerun()  # the label and the summaries above show the new units


def set_units(state: AppState, units: dict[str, str]) -> bool:
    """Set the loaded data's units (only the display changes); True if they changed. A refusal is
    shown as an error."""
    data = state.data
    try:
        schema = data.schema.with_units(units)
    except DeciError as exc:
        st.error(md_escape(str(exc)))
        return False
    if schema == data.schema:
        return False
    state.set_data(replace(data, schema=schema))
    return True
