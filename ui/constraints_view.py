"""The Constraints page's widgets and logic: everything point-and-click, checked as you go.

The constraints live in ``state.constraints`` (a frozen :class:`Constraints`); widgets write to it
through callbacks, which run before the script body, so the same run shows the new state. Adding
an edge or a belief that would contradict the rest is refused with the reason; multiselects
(tiers, roots, leaves) apply at once and any conflict is listed in red until it is fixed.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from deci_core.constraints import Constraints
from deci_core.errors import ConstraintError
from ui.state import AppState
from ui.text import md_escape

P = "constraints."  # widget-key namespace
FLASH = P + "flash"  # a message from the last callback, shown once
IMPORTED = P + "imported_id"  # the uploaded file already imported
MAX_TIERS = 8
SYMBOLS = {"allowed": "", "forbidden": "✗", "required": "✓", "self": "—"}
COLORS = {
    "✗": "background-color: #fee2e2",
    "✓": "background-color: #dcfce7",
    "—": "background-color: #f3f4f6",
}


def get_constraints(state: AppState) -> Constraints:
    if state.constraints is None:
        state.constraints = Constraints()
    return state.constraints


# ---------------------------------------------------------------- callbacks
def _flash(kind: str, text: str) -> None:
    st.session_state[FLASH] = (kind, text)


def try_update(state: AppState, updated: Constraints, what: str) -> None:
    """Keep ``updated`` unless it adds a conflict; otherwise explain why not."""
    names = state.data.schema.names
    before = set(get_constraints(state).conflicts(names))
    new = [p for p in updated.conflicts(names) if p not in before]
    if new:
        _flash("error", f"Not added: {what} would contradict the other constraints. " + " ".join(new))
    else:
        state.constraints = updated
        _flash("success", f"Added: {what}.")


def _add_edge(state: AppState) -> None:
    a, b, kind = st.session_state[P + "source"], st.session_state[P + "target"], st.session_state[P + "kind"]
    c = get_constraints(state)
    if a == b:
        _flash("error", "Pick two different variables: a variable cannot cause itself.")
    elif kind == "forbidden":
        try_update(state, c.with_forbidden(a, b), f"{a} → {b} forbidden")
    else:
        try_update(state, c.with_required(a, b), f"{a} → {b} required")


def _add_belief(state: AppState) -> None:
    a, b = st.session_state[P + "belief_source"], st.session_state[P + "belief_target"]
    p = st.session_state[P + "belief_p"] / 100
    if a == b:
        _flash("error", "Pick two different variables for a belief.")
    else:
        try_update(state, get_constraints(state).with_belief(a, b, p), f"belief {a} → {b} at {p:.0%}")


def _remove(state: AppState, kind: str, a: str, b: str) -> None:
    c = get_constraints(state)
    state.constraints = {
        "forbidden": c.without_forbidden,
        "required": c.without_required,
        "belief": c.without_belief,
    }[kind](a, b)


def _set_tiers(state: AppState, count: int) -> None:
    tiers = [st.session_state.get(f"{P}tier.{k}", []) for k in range(count)]
    state.constraints = get_constraints(state).with_tiers(tiers, st.session_state.get(P + "within", False))


def _set_roots_leaves(state: AppState) -> None:
    c = get_constraints(state).with_roots(st.session_state[P + "roots"])
    state.constraints = c.with_leaves(st.session_state[P + "leaves"])


def reset_widgets() -> None:
    """Forget widget values so they show ``state.constraints`` again (after an import or a drop)."""
    for key in [k for k in st.session_state if isinstance(k, str) and k.startswith(P) and k != IMPORTED]:
        if key.startswith((P + "tier", P + "roots", P + "leaves", P + "within")):
            del st.session_state[key]


def import_json(state: AppState, raw: bytes) -> None:
    """Replace the constraints by a JSON file's (malformed files leave them unchanged)."""
    try:
        state.constraints = Constraints.from_json(raw)
    except ConstraintError as exc:
        _flash("error", f"Could not import the file: {exc}")
        return
    reset_widgets()
    _flash("success", "Imported the constraints from the file.")


def drop_unknown(state: AppState) -> None:
    kept, dropped = get_constraints(state).restricted_to(state.data.schema.names)
    state.constraints = kept
    reset_widgets()
    _flash("success", "Dropped rules about variables not in the data: " + "; ".join(dropped) + ".")


# ---------------------------------------------------------------- rendering
def show_flash() -> None:
    kind, text = st.session_state.pop(FLASH, (None, None))
    if kind == "error":
        st.error(text)
    elif kind == "success":
        st.success(text)


def show_conflicts(state: AppState) -> list[str]:
    """List current conflicts in red (with a fix for unknown variables); return them."""
    names = state.data.schema.names
    c = get_constraints(state)
    problems = c.conflicts(names)
    for problem in problems:
        st.error(problem, icon=":material/warning:")
    if c.variables() - set(names):
        st.button(
            "Drop the rules about missing variables",
            key=P + "drop_unknown",
            on_click=drop_unknown,
            args=(state,),
        )
    return problems


def edges_section(state: AppState, names: list[str]) -> None:
    left, mid, kind_col, add = st.columns([3, 3, 3, 2], vertical_alignment="bottom")
    left.selectbox("Cause", names, key=P + "source")
    mid.selectbox("Effect", names, index=min(1, len(names) - 1), key=P + "target")
    kind_col.radio("This edge is", ["forbidden", "required"], key=P + "kind", horizontal=True)
    add.button("Add edge", key=P + "add_edge", on_click=_add_edge, args=(state,), type="primary")
    c = get_constraints(state)
    for kind, edges in (("forbidden", c.forbidden), ("required", c.required)):
        for a, b in edges:
            _removable_row(state, kind, a, b, f"{a} → {b} ({kind})")


def beliefs_section(state: AppState, names: list[str]) -> None:
    st.caption("Soft knowledge enters the prior: the data can still overrule it.")
    left, mid, slider, add = st.columns([3, 3, 3, 2], vertical_alignment="bottom")
    left.selectbox("Cause", names, key=P + "belief_source")
    mid.selectbox("Effect", names, index=min(1, len(names) - 1), key=P + "belief_target")
    slider.slider("How sure (%)", 5, 95, 80, step=5, key=P + "belief_p")
    add.button("Add belief", key=P + "add_belief", on_click=_add_belief, args=(state,))
    for b in get_constraints(state).beliefs:
        _removable_row(state, "belief", *b.edge, f"{b.edge[0]} → {b.edge[1]} ({b.probability:.0%} sure)")


def _removable_row(state: AppState, kind: str, a: str, b: str, text: str) -> None:
    label, button = st.columns([6, 1], vertical_alignment="center")
    label.text(text)
    button.button("Remove", key=f"{P}remove.{kind}.{a}\u241f{b}", on_click=_remove, args=(state, kind, a, b))


def tiers_section(state: AppState, names: list[str]) -> None:
    st.caption(
        "Order groups in time or by what can cause what: nothing in a later tier causes anything earlier."
    )
    c = get_constraints(state)
    count = st.number_input("Number of tiers", 0, MAX_TIERS, value=len(c.tiers), key=P + "tier_count")
    tiers = list(c.tiers) + [()] * max(0, int(count) - len(c.tiers))
    for k in range(int(count)):
        taken = {v for j, t in enumerate(tiers) if j != k for v in t}
        options = [n for n in names if n not in taken or n in tiers[k]]
        default = [v for v in tiers[k] if v in options]
        st.multiselect(
            f"Tier {k + 1}" + (" (earliest)" if k == 0 else ""),
            options,
            default=default,
            key=f"{P}tier.{k}",
            on_change=_set_tiers,
            args=(state, int(count)),
        )
    st.checkbox(
        "No edges within a tier",
        value=c.forbid_within_tiers,
        key=P + "within",
        on_change=_set_tiers,
        args=(state, int(count)),
    )
    if int(count) != len(c.tiers):
        _set_tiers(state, int(count))


def roots_leaves_section(state: AppState, names: list[str]) -> None:
    c = get_constraints(state)
    args = {"on_change": _set_roots_leaves, "args": (state,)}
    st.multiselect(
        "Roots: caused by nothing in the data", names, default=_known(c.roots, names), key=P + "roots", **args
    )
    st.multiselect(
        "Leaves: cause nothing in the data", names, default=_known(c.leaves, names), key=P + "leaves", **args
    )


def _known(values: tuple[str, ...], names: list[str]) -> list[str]:
    return [v for v in values if v in names]


def import_export_section(state: AppState) -> None:
    left, right = st.columns(2)
    with left:
        upload = st.file_uploader("Import constraints (JSON)", type=["json"], key=P + "import")
        if upload is not None and st.session_state.get(IMPORTED) != upload.file_id:
            st.session_state[IMPORTED] = upload.file_id
            import_json(state, upload.getvalue())
            st.rerun()
    with right:
        st.download_button(
            "Export constraints (JSON)",
            get_constraints(state).to_json(),
            file_name="constraints.json",
            mime="application/json",
            key=P + "export",
        )
        st.caption("The same format the command line takes (`--constraints file.json`).")


def matrix_frame(constraints: Constraints, names: list[str]) -> pd.DataFrame:
    """Status of every pair: rows are causes, columns effects; ✓ required, ✗ forbidden, — self."""
    reasons = constraints.forbid_reasons(names)
    required = set(constraints.required)
    cells = [
        [
            SYMBOLS["self"]
            if a == b
            else SYMBOLS["required"]
            if (a, b) in required
            else SYMBOLS["forbidden"]
            if (a, b) in reasons
            else SYMBOLS["allowed"]
            for b in names
        ]
        for a in names
    ]
    return pd.DataFrame(cells, index=names, columns=names)


def show_matrix_and_summary(state: AppState, names: list[str]) -> None:
    c = get_constraints(state)
    st.subheader("Every pair at a glance")
    st.caption("Rows cause columns. ✓ required, ✗ forbidden, blank: left to the data.")
    frame = matrix_frame(c, names)
    st.dataframe(frame.style.map(lambda v: COLORS.get(v, "")))
    st.subheader("In words")
    lines = c.describe()
    if not lines:
        st.info("No constraints: discovery will learn every edge from the data alone.")
    for line in lines:
        st.markdown("- " + md_escape(line))
