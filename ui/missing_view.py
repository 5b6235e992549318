"""The Data page's missing-values part: what was read as missing, the policy, and where the gaps are.

Three controls and two figures:

- the tokens read as missing, per column, and a multiselect to say which of them mean "missing"
  (a level literally called "None" is kept by taking "None" out); changing it re-reads the file;
- the policy: let the model handle the gaps (the default) or drop the rows with one;
- the missing share per modelled column, and the most common missingness patterns (which columns are
  missing together). The MAR warning (missingness predicted by another column) is among the page's
  warnings (:func:`deci_core.data.missing.mar_warnings`).
"""

from __future__ import annotations

import html
from dataclasses import replace

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from deci_core.data.missing import MISSING_TOKENS, MissingSummary, missingness_patterns, summarise_missing
from deci_core.data.profiling import Profile
from deci_core.data.schema import infer_schema
from deci_core.data.tables import read_table
from deci_core.errors import DeciError
from ui.state import MISSING_POLICIES, AppState, LoadedData
from ui.text import md_escape

TOKENS_KEY = "data.na_tokens"
POLICY_KEY = "data.missing_policy"
_TOKENS_ERROR = "data.na_tokens_error"


def render_missing(state: AppState, profile: Profile) -> None:
    """Tokens, policy, share per column and patterns (module docstring)."""
    data = state.data
    st.subheader("Missing values")
    render_tokens(state)
    data = state.data
    summary = summarise_missing(data.raw, data.schema) if data.schema.modeled else None
    render_policy(state, profile, summary)
    if summary is None or not summary.total:
        return
    left, right = st.columns(2)
    left.plotly_chart(share_figure(summary), key="data.missing_share_chart")
    right.plotly_chart(
        pattern_figure(missingness_patterns(data.raw, data.schema)), key="data.missing_patterns"
    )


def token_label(token: str) -> str:
    return "(empty cell)" if token == "" else token


def render_tokens(state: AppState) -> None:
    """The candidate missing tokens the file holds, and which of them are read as missing."""
    data = state.data
    found: dict[str, dict[str, int]] = getattr(data, "tokens", None) or {}
    present = [t for t in MISSING_TOKENS if t and any(t in counts for counts in found.values())]
    if not present:
        return
    na_values = tuple(getattr(data, "na_values", MISSING_TOKENS))
    rows = [
        {
            "column": col,
            "token": token_label(t),
            "cells": n,
            "read as": "missing" if t in na_values else "a value",
        }
        for col, counts in found.items()
        for t, n in counts.items()
        if t
    ]
    st.markdown("**Tokens read as missing.** The file holds these texts that often mean *missing*:")
    st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch")
    st.session_state[TOKENS_KEY] = [t for t in present if t in na_values]  # the data is the truth
    st.multiselect(
        "Read as missing (take a token out to keep it as a real value, e.g. a level called None)",
        present,
        key=TOKENS_KEY,
        on_change=_tokens_changed,
        args=(state, tuple(present)),
    )
    error = st.session_state.pop(_TOKENS_ERROR, None)
    if error:
        st.error(error)


def _tokens_changed(state: AppState, present: tuple[str, ...]) -> None:
    chosen = st.session_state.get(TOKENS_KEY, [])
    wanted = tuple(t for t in MISSING_TOKENS if t in chosen or t not in present)
    message = reread(state, wanted)
    if message:
        st.session_state[_TOKENS_ERROR] = message


def reread(state: AppState, na_values: tuple[str, ...]) -> str | None:
    """Read the file again with other missing tokens (types inferred afresh); the error message, if any."""
    data = state.data
    source = getattr(data, "source_file", None)
    if source is None or set(na_values) == set(data.na_values):
        return None
    content, filename, sheet = source
    try:
        raw = read_table(content, filename, sheet=sheet, na_values=na_values)
    except DeciError as exc:
        return md_escape(f"Could not read the file with those missing tokens: {exc}")
    state.set_data(replace(data, raw=raw, schema=infer_schema(raw), na_values=na_values))
    return None


def render_policy(state: AppState, profile: Profile, summary: MissingSummary | None) -> None:
    """The policy radio and what it does to the rows."""
    data = state.data
    st.session_state[POLICY_KEY] = data.missing_policy  # the data is the truth (new files, bundles)
    st.radio(
        "Rows with a missing value in a modelled column",
        list(MISSING_POLICIES),
        format_func=MISSING_POLICIES.get,
        key=POLICY_KEY,
        horizontal=True,
        on_change=_policy_changed,
        args=(state,),
    )
    if summary is None or not summary.total:
        st.write(f"No missing values in the modelled columns: all {profile.rows:,} rows are used.")
        return
    st.write(policy_sentence(data.missing_policy, summary, profile.usable_rows))


def _policy_changed(state: AppState) -> None:
    state.set_data(replace(state.data, missing_policy=st.session_state[POLICY_KEY]))


def policy_sentence(policy: str, summary: MissingSummary, usable_rows: int) -> str:
    """What the active policy does, in one sentence with the counts."""
    gaps = (
        f"{summary.total:,} cells are missing in {sum(1 for c in summary.cells.values() if c)} modelled "
        f"column(s); {summary.rows_with_gaps:,} of {summary.rows:,} rows have at least one gap."
    )
    if policy == "model":
        return (
            f"{gaps} Active policy: **the model handles the gaps** (an imputation network learned with it); "
            f"**{usable_rows:,} rows are used**."
        )
    return f"{gaps} Active policy: **drop rows**; **{usable_rows:,} rows are used**."


def share_figure(summary: MissingSummary) -> go.Figure:
    """Bar chart: the share of missing cells in each modelled column."""
    shares = summary.shares()
    names = [html.escape(str(n)) for n in shares]
    fig = go.Figure(
        go.Bar(
            x=names,
            y=[100 * s for s in shares.values()],
            marker_color="#E45756",
            hovertemplate="%{x}: %{y:.1f}% missing<extra></extra>",
        )
    )
    fig.update_layout(
        title="Missing share per column",
        yaxis_title="% of rows",
        xaxis_type="category",
        height=320,
        margin=dict(l=40, r=20, t=50, b=40),
    )
    return fig


def pattern_figure(patterns: pd.DataFrame) -> go.Figure:
    """Heatmap of the most common missingness patterns: a row per pattern (its row count on the left),
    a column per variable; dark cells are missing. Columns missing together share dark rows."""
    columns = [c for c in patterns.columns if c != "rows"]
    z = patterns[columns].to_numpy(dtype=float)
    labels = [f"{int(r):,} rows" for r in patterns["rows"]]
    fig = go.Figure(
        go.Heatmap(
            z=z,
            x=[html.escape(str(c)) for c in columns],
            y=[f"#{i + 1}: {label}" for i, label in enumerate(labels)],
            zmin=0,
            zmax=1,
            colorscale=[[0, "#EEEEEE"], [1, "#333333"]],
            showscale=False,
            hovertemplate="%{y} · %{x}: %{z}<extra>1 = missing</extra>",
        )
    )
    fig.update_layout(
        title="Missingness patterns (dark = missing)",
        yaxis_autorange="reversed",
        height=min(480, 140 + 26 * len(labels)),
        margin=dict(l=40, r=20, t=50, b=40),
    )
    return fig


def loaded(label: str, raw: pd.DataFrame, source: str, file: tuple | None, tokens: dict) -> LoadedData:
    """A LoadedData with the default missing-value policy and the reader's tokens recorded."""
    return LoadedData(
        label,
        raw,
        infer_schema(raw),
        LoadedData.missing_policy,
        source,
        na_values=MISSING_TOKENS,
        tokens=tokens,
        source_file=file,
    )
