"""Report page: pick what goes in, preview the stand-alone report, download it and the project."""

from datetime import datetime

import streamlit as st

from ui import report_sources as src
from ui.bundle import export_bundle, load_bundle
from ui.errors import error_boundary
from ui.page import page_frame
from ui.report import content_from_state
from ui.report_export import PDF_HELP, PdfUnavailable, chromium_path, estimates_csv, graph_files, html_to_pdf
from ui.report_html import render_html
from ui.report_state import ReportState
from ui.report_types import OPTIONAL_SECTIONS
from ui.text import md_escape

state = page_frame("Report")
st.title("Report")
if not isinstance(state.report, ReportState):
    state.report = ReportState()
opts: ReportState = state.report


def _restore() -> None:
    """Open the uploaded bundle (a callback: runs before the widgets, so they show the restored values)."""
    upload = st.session_state.get("report.bundle")
    if upload is None:
        return
    with error_boundary("opening the project bundle"):
        restored = load_bundle(state, upload.getvalue())
        for key in ("report.title", "report.question", "report.items", "report.version", "report.sections"):
            st.session_state.pop(key, None)
        st.session_state["report.restored"] = md_escape("Restored " + ", ".join(restored) + ".")


with st.expander("Open a project bundle", expanded=state.data is None):
    bundle = st.file_uploader(
        "Project bundle (.zip) exported from DECI Studio", type=["zip"], key="report.bundle"
    )
    st.button("Restore this project", key="report.restore", on_click=_restore, disabled=bundle is None,
              help="Replaces the current session's data, knowledge, graphs, models and estimates.")
if "report.restored" in st.session_state:
    st.success(st.session_state.pop("report.restored"))

if state.data is None:
    st.info("Nothing to report yet: load data on **1. Data** (or open a project bundle above).")
    st.stop()

for reason in src.left_out(state):
    st.warning(md_escape(reason))
items = src.report_items(state)
ids = [src.item_id(item, i) for i, item in enumerate(items)]
labels = {src.item_id(item, i): src.item_label(item, i) for i, item in enumerate(items)}
versions, _ = src.graph_versions(state)

left, right = st.columns(2)
with left:
    opts.title = st.text_input("Title", value=opts.title, key="report.title")
    opts.question = st.text_area("The question, and a short summary for your readers", value=opts.question,
                                 key="report.question", height=140)
with right:
    chosen = [i for i in (opts.item_ids or ids) if i in ids]
    picked = st.multiselect("Estimates to include", ids, default=chosen, format_func=labels.get,
                            key="report.items", placeholder="none: add estimates on 5. Effects")
    opts.item_ids = tuple(picked)
    if versions:
        names = list(versions)
        current = opts.graph_version if opts.graph_version in names else src.default_version(state)
        opts.graph_version = st.selectbox("Graph version", names, index=names.index(current),
                                          key="report.version")
    sections = st.multiselect("Optional sections", list(OPTIONAL_SECTIONS), default=list(opts.sections),
                              format_func=OPTIONAL_SECTIONS.get, key="report.sections")
    opts.sections = tuple(sections)
if not items and not (state.temporal and state.temporal.report_items):  # trajectories: their own section
    st.warning("No estimates yet: on **5. Effects**, use “Add to report” on the effects you want to share.")

html = None
with error_boundary("building the report"):
    content = content_from_state(state, opts)
    html = render_html(content)
    opts.last_built = datetime.now().strftime("%H:%M")
if html is None:
    st.stop()

stamp = datetime.now().strftime("%Y%m%d")
st.subheader("Download")
cols = st.columns(4)
cols[0].download_button("Report (HTML)", html, file_name=f"deci-report-{stamp}.html", mime="text/html",
                        key="report.dl_html", type="primary",
                        help="One file that opens offline in any browser.")
cols[1].download_button("Estimates (CSV)", estimates_csv(content.effects), file_name="estimates.csv",
                        mime="text/csv", key="report.dl_csv", disabled=not content.effects)
files = graph_files(state, opts.graph_version)
with cols[2]:
    if files:
        fmt = st.selectbox("Graph format", list(files), key="report.graph_fmt", label_visibility="collapsed")
        st.download_button(f"Graph ({fmt})", files[fmt], file_name=fmt, key="report.dl_graph")
with cols[3]:
    with error_boundary("packing the project bundle"):
        bundle = export_bundle(state, opts)
        st.download_button("Project bundle (.zip)", bundle, file_name=f"deci-project-{stamp}.zip",
                           mime="application/zip", key="report.dl_bundle",
                           help="Data, knowledge, graph versions, models and estimates: re-opens here.")
if chromium_path() is None:
    st.caption(PDF_HELP)
elif st.button("Make a PDF", key="report.make_pdf"):
    with st.spinner("Printing the report to PDF…"), error_boundary("printing the PDF"):
        try:
            st.session_state["report.pdf"] = (hash(html), html_to_pdf(html))
        except PdfUnavailable as exc:
            st.warning(str(exc))
pdf = st.session_state.get("report.pdf")
if pdf and pdf[0] == hash(html):  # only a PDF of the report as it is now
    st.download_button("Report (PDF)", pdf[1], file_name=f"deci-report-{stamp}.pdf", mime="application/pdf",
                       key="report.dl_pdf")

st.subheader("Preview")
if st.toggle("Show the report here", value=True, key="report.preview"):
    st.iframe(html, height=900, alt="report preview")
