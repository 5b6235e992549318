"""The Data page's parts: loading (upload or sample), the column summary, type overrides, the
missing-value policy, warnings and plotly figures.

User strings (file and column names) never reach HTML: tables go through ``st.dataframe``,
markdown gets backslash escapes (:func:`ui.text.md_escape`) and plotly labels are
entity-escaped. A rejected upload shows an error and leaves the loaded dataset in place.
"""

from __future__ import annotations

import html
from collections.abc import Callable
from dataclasses import replace

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from deci_core.data.profiling import Profile, correlation_matrix, profile_table
from deci_core.data.schema import TableSchema, VariableType, infer_schema, suggest_transforms
from deci_core.data.tables import (
    MAX_UPLOAD_MB,
    SUPPORTED_SUFFIXES,
    list_sheets,
    missing_token_counts,
    read_table,
)
from deci_core.errors import DeciError
from deci_core.samples.scenarios import DATASET_DIR, SAMPLES, load_sample
from deci_core.samples.timeseries import TS_SAMPLES
from ui import missing_view
from ui.errors import describe_unexpected
from ui.number_format import format_number
from ui.state import AppState, LoadedData
from ui.text import md_escape
from ui.ts_session import ts_sample_data

UPLOAD_KEY = "data.uploader"
_SEEN = "data.seen_upload"  # (file id, sheet) of the upload already processed, and its error if any
_PROFILE = "data.profile"  # (LoadedData, Profile, correlations) of the dataset last summarised
TYPES = [t.value for t in VariableType]
PREVIEW_ROWS = 200


def render_loader(state: AppState) -> None:
    """Upload a file or load a sample in one click; on success the dataset in ``state`` is replaced."""
    upload, samples = st.columns([3, 2], gap="large")
    with upload:
        st.subheader("Upload a table")
        file = st.file_uploader(
            f"CSV, TSV, TXT, Parquet or Excel (.xlsx), up to {MAX_UPLOAD_MB} MB",
            type=list(SUPPORTED_SUFFIXES),
            key=UPLOAD_KEY,
            help="The delimiter (comma, semicolon, tab), encoding (UTF-8, Latin-1) and decimal commas "
            "are detected.",
        )
        if file is not None:
            _handle_upload(state, file)
    with samples:
        st.subheader("…or try a sample")
        for name, title in SAMPLES.items():
            label, _, detail = title.partition(": ")  # named as in the README: "Online shop (marketing)"
            button = f"{label} ({name})"
            if st.button(button, key=f"data.sample.{name}", help=detail or None, width="stretch"):
                if _guarded(state, f"loading the sample '{name}'", lambda n=name: _sample_data(n)) is None:
                    st.rerun()  # redraw the sidebar's step status with the new data
        for name, title in TS_SAMPLES.items():  # time series: loaded with its layout on (ui.ts_session)
            label, _, detail = title.partition(": ")
            if st.button(label, key=f"data.sample.{name}", help=detail or None, width="stretch"):
                if _guarded(state, f"loading the sample '{name}'", lambda n=name: ts_sample_data(n)) is None:
                    st.rerun()


def _handle_upload(state: AppState, file) -> None:
    content = file.getvalue()
    sheet = None
    if file.name.lower().endswith(".xlsx"):
        try:
            sheets = list_sheets(content)
        except DeciError as exc:
            st.error(md_escape(f"Could not load '{file.name}': {exc}"))
            return
        if len(sheets) > 1:
            sheet = st.selectbox("Sheet", sheets, key="data.sheet", help="This workbook has several sheets.")
    token = (file.file_id, sheet)
    seen = st.session_state.get(_SEEN)
    if seen and seen[0] == token:
        if seen[1]:
            st.error(seen[1])  # the rejection stays visible while that file is selected
        return
    label = file.name if sheet is None else f"{file.name} [{sheet}]"
    error = _guarded(state, f"loading '{label}'", lambda: _upload_data(content, file.name, sheet, label))
    st.session_state[_SEEN] = (token, error)
    if error is None:
        st.rerun()  # redraw the sidebar's step status with the new data


def _upload_data(content: bytes, filename: str, sheet: str | None, label: str) -> LoadedData:
    raw = read_table(content, filename, sheet=sheet)
    tokens = missing_token_counts(content, filename, sheet=sheet)
    return missing_view.loaded(label, raw, "upload", (content, filename, sheet), tokens)


def _sample_data(name: str) -> LoadedData:
    raw, _ = load_sample(name)
    return missing_view.loaded(name, raw, "sample", None, {})


def _guarded(state: AppState, action: str, build) -> str | None:
    """Build a LoadedData and install it; on failure show (and return) the message, keeping the old data."""
    try:
        state.load_data(build())  # with later work in the session, it waits for render_switch_question
        return None
    except DeciError as exc:
        message = md_escape(f"Could not finish {action}: {exc}") + (
            "\n\nThe dataset loaded before is still in use." if state.data else ""
        )
    except Exception as exc:  # noqa: BLE001 - the boundary is the point
        message = md_escape(describe_unexpected(action, exc))
    st.error(message)
    return message


def render_switch_question(state: AppState) -> bool:
    """Ask once what happens to the later steps when another dataset was loaded; True while asking."""
    new = state.pending_data
    if new is None:
        return False
    work = ", ".join(state.later_work())
    old = "the data loaded before" if state.data is None else f"“{state.data.name}”"
    with st.container(border=True):
        st.markdown(
            f"**You loaded “{md_escape(new.name)}”.** This session holds work made on {md_escape(old)}: "
            f"{md_escape(work)}. What should happen to it?"
        )
        if state.pending_compatible():
            st.caption("The new table has the same variables and types, so the later steps can be kept: "
                       "the model, graph and estimates then stand for the new rows (the report says where "
                       "each estimate was made). Per-row results are recomputed.")
        else:
            st.caption("The new table's variables or types differ: keeping retains only what still applies "
                       "(constraints on variables it still has; a graph with the same variables). The "
                       "rest is cleared either way: nothing made on one table is shown for another.")
        clear, keep, cancel = st.columns(3)
        answer = ...
        if clear.button("Clear later steps", key="data.switch.clear", type="primary", width="stretch"):
            answer = False
        if keep.button("Keep them where compatible", key="data.switch.keep", width="stretch"):
            answer = True
        if cancel.button(f"Cancel: stay with {old}", key="data.switch.cancel", width="stretch"):
            answer = None
    if answer is ...:
        return True
    cleared = state.resolve_pending(answer)
    if answer is not None:
        gone = f" Cleared: {', '.join(cleared)}." if cleared else ""
        state.notices.append(f"Now using “{new.name}”.{gone}")
    st.rerun()
    return True


def render_overview(data: LoadedData) -> None:
    """Name, size, the data card of a sample, and a preview of the rows."""
    rows, cols = data.raw.shape
    source = "sample dataset" if data.source == "sample" else "uploaded file"
    st.markdown(
        f"**{md_escape(data.name)}** ({source}): **{rows:,} rows × {cols} columns**, "
        f"{len(data.schema.names)} modelled variables."
    )
    if data.source == "sample":
        card = DATASET_DIR / f"{data.name}.md"
        if card.exists():
            with st.expander("Data card: what the variables mean, the true graph and true effects"):
                st.markdown(card.read_text(encoding="utf-8"))
    with st.expander(f"Preview (first {min(rows, PREVIEW_ROWS)} rows)", expanded=True):
        st.dataframe(data.raw.head(PREVIEW_ROWS), hide_index=True, height=260)


def render_columns(state: AppState) -> Profile:
    """The per-column table, and widgets to change a column's type (or exclude it)."""
    data = state.data
    profile, _ = summaries(data)
    st.subheader("Columns")
    st.dataframe(  # narrow count columns, short summaries: reason and summary fit without scrolling
        summary_frame(profile),
        hide_index=True,
        width="stretch",
        column_config={
            "column": st.column_config.TextColumn("column", width="small"),
            "type": st.column_config.TextColumn("type", width="small"),
            "reason": st.column_config.TextColumn("why this type", width="medium"),
            "missing": st.column_config.NumberColumn("missing", width="small"),
            "infinite": st.column_config.NumberColumn("inf", width="small", help="infinite values"),
            "unique": st.column_config.NumberColumn("unique", width="small"),
            "summary": st.column_config.TextColumn("summary", width="large"),
        },
    )
    names = list(data.raw.columns)
    pick, kind, apply, reset = st.columns([3, 2, 1, 1], vertical_alignment="bottom")
    column = pick.selectbox("Column", names, key="data.type_column")
    current = data.schema[column].type.value
    new_type = kind.selectbox(  # keyed per dataset and column: never the previous dataset's choice
        "Type", TYPES, index=TYPES.index(current), key=type_key(data, names.index(column))
    )
    if apply.button("Apply", key="data.type_apply", disabled=new_type == current):
        set_type(state, column, new_type)
        st.rerun()
    if reset.button("Reset all", key="data.type_reset", help="Back to the inferred types"):
        state.set_data(replace(data, schema=infer_schema(data.raw).with_units(data.schema.units)))
        st.rerun()
    render_type_error()
    render_transform_offers(state)
    return profile


def render_transform_offers(state: AppState) -> None:
    """Offer a log for strongly skewed positive columns (with the reason); undo for applied ones."""
    data = state.data
    names = list(data.raw.columns)
    for name, reason in suggest_transforms(data.raw, data.schema).items():
        text, button = st.columns([6, 1], vertical_alignment="center")
        text.info(md_escape(f"Transform offered for '{name}': {reason}."))
        if button.button("Use log", key=f"data.log.{names.index(name)}"):
            set_transform(state, name, "log")
            st.rerun()
    for spec in data.schema.modeled:
        if spec.transform:
            text, button = st.columns([6, 1], vertical_alignment="center")
            note = f"'{spec.name}' is modelled as {spec.transform}({spec.name}); effects stay in its units."
            text.caption(md_escape(note))
            if button.button("Undo", key=f"data.unlog.{names.index(spec.name)}"):
                set_transform(state, spec.name, "")
                st.rerun()


def set_transform(state: AppState, column: str, transform: str) -> bool:
    """Set one continuous column's transform ("log" or ""); errors keep the schema as it was."""
    return _set_schema(
        state, "changing a column transform", lambda d: d.schema.with_transforms({column: transform}, d.raw)
    )


def type_key(data: LoadedData, index: int) -> str:
    """The type dropdown's widget key for column ``index`` of this load of a dataset."""
    return f"data.type_value.{data.load_id}.{index}"


def summaries(data: LoadedData) -> tuple[Profile, pd.DataFrame]:
    """Profile and correlations of the loaded data, computed once per dataset/schema, not on every rerun."""
    memo = st.session_state.get(_PROFILE)
    if memo is None or memo[0] is not data:
        profile = profile_table(data.raw, data.schema, data.missing_policy)
        memo = (data, profile, correlation_matrix(data.raw, data.schema))
        st.session_state[_PROFILE] = memo
    return memo[1], memo[2]


def summary_frame(profile: Profile) -> pd.DataFrame:
    """One display row per column: type, reason, counts, and a one-line summary of the values."""
    table = profile.table()
    summary = [c.levels if np.isnan(c.mean) else _stats(c) for c in profile.columns]
    return table[["column", "type", "reason", "missing", "infinite", "unique"]].assign(summary=summary)


def _stats(c) -> str:
    """"mean 1.2 · sd 0.3 · 0.1 to 5 (median 1)": short enough to read without scrolling."""
    return (f"mean {format_number(c.mean)} · sd {format_number(c.std)} · {format_number(c.min)} to "
            f"{format_number(c.max)} (median {format_number(c.median)})")


def set_type(state: AppState, column: str, new_type: str) -> bool:
    """Retype one column (choose 'excluded' to leave it out); errors keep the schema as it was."""
    return _set_schema(
        state, "changing a column type", lambda d: d.schema.with_types({column: new_type}, d.raw)
    )


def _set_schema(state: AppState, action: str, edit: Callable[[LoadedData], TableSchema]) -> bool:
    """Apply one schema edit to the loaded data; a refusal is kept for :func:`render_type_error`."""
    data = state.data
    try:
        schema = edit(data)
    except DeciError as exc:
        st.session_state["data.type_error"] = md_escape(str(exc))
        return False
    except Exception as exc:  # noqa: BLE001 - the boundary is the point
        st.session_state["data.type_error"] = md_escape(describe_unexpected(action, exc))
        return False
    state.set_data(replace(data, schema=schema))
    st.session_state.pop("data.type_error", None)
    return True


def render_type_error() -> None:
    """Show (once) why the last type change was refused."""
    message = st.session_state.pop("data.type_error", None)
    if message:
        st.error(message)


def render_warnings(profile: Profile) -> None:
    if not profile.warnings:
        st.success("No warnings: every column was understood.")
    for warning in profile.warnings:
        st.warning(md_escape(warning))


def render_charts(data: LoadedData) -> None:
    """One variable at a time (histogram or bar chart), and the correlation heatmap."""
    st.subheader("Distributions and correlations")
    names = list(data.raw.columns)
    modelled = data.schema.names
    default = names.index(modelled[0]) if modelled else 0
    column = st.selectbox("Variable", names, index=default, key="data.chart_variable")
    st.plotly_chart(
        variable_figure(data.raw[column], column, data.schema[column].type), key="data.variable_chart"
    )
    _, corr = summaries(data)
    if corr.shape[0] >= 2:
        st.plotly_chart(correlation_figure(corr), key="data.correlation_chart")
        st.caption("Pearson correlation of the continuous and binary variables (categoricals are left out).")


def variable_figure(col: pd.Series, name: str, vtype: VariableType) -> go.Figure:
    """Histogram for a continuous column, bar chart of level counts otherwise."""
    label = html.escape(str(name))
    numbers = pd.to_numeric(col, errors="coerce").replace([np.inf, -np.inf], np.nan).dropna()
    if vtype is VariableType.CONTINUOUS and len(numbers):
        fig = go.Figure(
            go.Histogram(
                x=numbers, nbinsx=40, marker_color="#4C78A8", hovertemplate="%{x}: %{y} rows<extra></extra>"
            )
        )
        fig.update_layout(yaxis_title="rows")
    else:
        counts = col.astype("string").fillna("(missing)").value_counts().head(40)
        fig = go.Figure(
            go.Bar(
                x=[html.escape(str(v)) for v in counts.index],
                y=counts.to_numpy(),
                marker_color="#4C78A8",
                hovertemplate="%{x}: %{y} rows<extra></extra>",
            )
        )
        fig.update_layout(yaxis_title="rows", xaxis_type="category")
    fig.update_layout(
        title=f"{label} ({vtype.value})", xaxis_title=label, height=340, margin=dict(l=40, r=20, t=50, b=40)
    )
    return fig


def correlation_figure(corr: pd.DataFrame) -> go.Figure:
    """Heatmap of a correlation matrix, -1 (red) to +1 (blue)."""
    labels = [html.escape(str(n)) for n in corr.columns]
    fig = go.Figure(
        go.Heatmap(
            z=corr.to_numpy(),
            x=labels,
            y=labels,
            zmin=-1,
            zmax=1,
            colorscale="RdBu",
            hovertemplate="%{y} · %{x}: r = %{z:.2f}<extra></extra>",
        )
    )
    size = min(720, 160 + 22 * len(labels))
    fig.update_layout(
        title="Correlations", height=size, yaxis_autorange="reversed", margin=dict(l=40, r=20, t=50, b=40)
    )
    return fig
