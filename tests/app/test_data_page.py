"""AppTest for the Data page: upload, samples, type overrides, rejected uploads, HTML-looking names."""

from __future__ import annotations

import io
import json

import numpy as np
import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from tests.conftest import APP_DIR
from ui.data_view import type_key
from ui.state import STATE_KEY

PAGE = "pages/1_Data.py"
HTML_NAME = "<b>bold</b>"


def open_page() -> AppTest:
    at = AppTest.from_file(str(APP_DIR / "app.py"), default_timeout=30).run()
    return at.switch_page(PAGE).run()


def data(at):
    return at.session_state[STATE_KEY].data


def upload(at: AppTest, name: str, content: bytes, mime: str = "text/csv") -> AppTest:
    return at.file_uploader(key="data.uploader").set_value((name, content, mime)).run()


def csv_bytes(n: int = 150, seed: int = 0, sep: str = ",", decimal: str = ".") -> bytes:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=n)
    frame = pd.DataFrame(
        {
            "dose": x.round(3),
            "response": (2 * x + rng.normal(size=n)).round(3),
            "group": rng.choice(["a", "b", "c"], n),
        }
    )
    return frame.to_csv(index=False, sep=sep, decimal=decimal).encode()


def texts(at: AppTest) -> list[str]:
    return [
        str(e.value)
        for kind in ("markdown", "warning", "error", "info", "caption", "success")
        for e in at.get(kind)
    ]


def test_empty_page_offers_upload_and_samples():
    at = open_page()
    assert not at.exception
    uploader = at.file_uploader(key="data.uploader")
    assert set(uploader.allowed_type) >= {".csv", ".tsv", ".txt", ".parquet", ".xlsx"}
    assert "No data yet" in at.info[0].value
    assert [b.key for b in at.button if b.key.startswith("data.sample.")] == [
        "data.sample.marketing",
        "data.sample.health",
        "data.sample.nonlinear20",
        "data.sample.weekly_sales",  # the time-series sample (deci_core.samples.timeseries)
    ]


def test_upload_semicolon_decimal_comma_csv_shows_preview_and_summary():
    at = upload(open_page(), "trial.csv", csv_bytes(sep=";", decimal=","))
    assert not at.exception and not at.error
    loaded = data(at)
    assert loaded.name == "trial.csv" and loaded.source == "upload"
    assert loaded.raw.shape == (150, 3) and loaded.raw["dose"].dtype == float
    assert any("150 rows × 3 columns" in t for t in texts(at))
    summary = at.dataframe[1].value.set_index("column")
    assert summary.loc["dose", "type"] == "continuous" and summary.loc["group", "type"] == "categorical"
    assert summary.loc["dose", "summary"].startswith("mean ") and "%" in summary.loc["group", "summary"]
    assert at.dataframe[0].value.shape == (150, 3)  # the preview
    assert len(at.get("plotly_chart")) == 2  # a variable and the correlation heatmap


def test_sample_loads_in_one_click_with_card_and_warnings():
    at = open_page()
    at.button(key="data.sample.health").click().run()
    assert not at.exception
    loaded = data(at)
    assert loaded.source == "sample" and loaded.name == "health"
    assert "patient_id" not in loaded.schema.names and "visit_date" not in loaded.schema.names
    card = [e for e in at.expander if e.label.startswith("Data card")]
    assert card and "True graph" in card[0].markdown[0].value
    assert any("'patient\\_id' is excluded" in w.value for w in at.warning)
    assert any("rows are used" in t for t in texts(at))
    at.switch_page("app.py").run()
    assert any("health: 1,966 rows × 8 variables" in t for t in texts(at))  # the home page status


def test_type_override_and_exclusion_rebuild_the_schema():
    at = open_page()
    at.button(key="data.sample.marketing").click().run()
    names = list(data(at).raw.columns)
    at.selectbox(key="data.type_column").select("discount").run()
    at.selectbox(key=type_key(data(at), names.index("discount"))).select("excluded").run()
    at.button(key="data.type_apply").click().run()
    assert "discount" not in data(at).schema.names and data(at).schema["discount"].reason == "set by user"
    at.selectbox(key="data.type_column").select("season").run()
    at.selectbox(key=type_key(data(at), names.index("season"))).select("binary").run()
    at.button(key="data.type_apply").click().run()
    assert any("binary needs exactly 2" in e.value for e in at.error)
    assert data(at).schema["season"].type.value == "categorical"  # unchanged after the refusal
    at.button(key="data.type_reset").click().run()
    assert "discount" in data(at).schema.names


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("dup.csv", b"a,b,a\n1,2,3\n", "duplicate column names"),
        ("empty.csv", b"", "is empty"),
        ("binary.csv", bytes(range(256)) * 8, "not a text file"),
    ],
)
def test_rejected_upload_keeps_the_previous_dataset(name, content, message):
    at = open_page()
    at.button(key="data.sample.marketing").click().run()
    before = data(at)
    at = upload(at, name, content)
    assert not at.exception
    assert any(message in e.value and "still in use" in e.value for e in at.error)
    assert data(at) is before
    at.run()  # a rerun with the same file keeps showing why it was refused
    assert any(message in e.value for e in at.error) and data(at) is before


def test_html_column_names_are_shown_as_text():
    script = "<script>alert(1)</script>"
    content = f"{HTML_NAME},{script},y\n".encode() + b"".join(
        f"1,{i * 0.5},{i % 7}\n".encode() for i in range(50)
    )
    at = upload(open_page(), "html.csv", content)
    assert not at.exception
    assert list(data(at).raw.columns)[:2] == [HTML_NAME, script]
    for text in texts(at):  # every markdown body escapes the angle brackets
        assert "<b>" not in text.replace("\\<b\\>", "") and "<script>" not in text.replace("\\<script\\>", "")
    assert any("\\<b\\>bold\\</b\\>" in w.value and "constant" in w.value for w in at.warning)
    at.selectbox(key="data.chart_variable").select(script).run()
    layout = json.loads(at.get("plotly_chart")[0].proto.spec)["layout"]
    assert (
        layout["xaxis"]["title"]["text"] == "&lt;script&gt;alert(1)&lt;/script&gt;"
    )  # plotly shows it as text
    assert script not in json.dumps(layout)


def test_excel_sheet_picker_reads_the_chosen_sheet():
    buffer = io.BytesIO()
    with pd.ExcelWriter(buffer, engine="openpyxl") as writer:
        pd.DataFrame({"note": ["x", "y"], "n": [1, 2]}).to_excel(writer, sheet_name="readme", index=False)
        pd.read_csv(io.BytesIO(csv_bytes())).to_excel(writer, sheet_name="data", index=False)
    at = upload(
        open_page(),
        "book.xlsx",
        buffer.getvalue(),
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    assert data(at).name == "book.xlsx [readme]" and data(at).raw.shape == (2, 2)
    at.selectbox(key="data.sheet").select("data").run()
    assert data(at).name == "book.xlsx [data]" and data(at).raw.shape == (150, 3)


def test_missing_value_policy_says_what_is_active():
    at = open_page()
    at.button(key="data.sample.health").click().run()
    assert data(at).missing_policy == "drop" and len(data(at).table) == 1966
    assert any("Active policy: **drop rows**" in t or "Active policy: drop rows" in t for t in texts(at))
    at.radio(key="data.missing_policy").set_value("model").run()
    assert data(at).missing_policy == "model" and len(data(at).table) == 2000
    assert any("the model handles the gaps" in t for t in texts(at))


def test_an_unexpected_failure_is_an_apology_not_a_traceback(monkeypatch):
    import ui.data_view

    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(ui.data_view, "profile_table", broken)
    at = open_page()
    at.button(key="data.sample.marketing").click().run()
    assert not at.exception
    assert any("Sorry, something went wrong while summarising the table" in e.value for e in at.error)
    assert data(at).name == "marketing"  # the data stays loaded


def test_a_skewed_positive_column_is_offered_a_log_recorded_in_the_schema():
    rng = np.random.default_rng(0)
    income, age = np.exp(rng.normal(size=200)).round(3), rng.normal(40, 10, 200).round(1)
    frame = pd.DataFrame({"income": income, "age": age})
    at = upload(open_page(), "skewed.csv", frame.to_csv(index=False).encode())
    offers = [i.value for i in at.info if "Transform offered" in i.value]
    assert len(offers) == 1 and "income" in offers[0] and "skewness" in offers[0]  # markdown-escaped text
    at.button(key="data.log.0").click().run()
    assert data(at).schema["income"].transform == "log"
    assert any("modelled as log" in c.value for c in at.caption)
    at.button(key="data.unlog.0").click().run()
    assert data(at).schema["income"].transform == ""
