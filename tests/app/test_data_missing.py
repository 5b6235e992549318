"""AppTest for the Data page's missing values: the policy control, the token control, the figures."""

from __future__ import annotations

import numpy as np
import pandas as pd
from streamlit.testing.v1 import AppTest

from tests.conftest import APP_DIR
from ui.state import STATE_KEY

PAGE = "pages/1_Data.py"


def _page_with_upload() -> AppTest:
    rng = np.random.default_rng(0)
    n = 200
    x = rng.normal(size=n)
    frame = pd.DataFrame(
        {
            "dose": x.round(3).astype(object),
            "response": (2 * x + rng.normal(size=n)).round(3),
            "level": np.array(["None", "low", "high"])[np.arange(n) % 3],
        }
    )
    frame.loc[::10, "dose"] = "N/A"
    frame.loc[frame["dose"].ne("N/A") & (x > 1), "response"] = np.nan  # MAR on dose
    content = frame.to_csv(index=False).encode()
    at = AppTest.from_file(str(APP_DIR / "app.py"), default_timeout=30).run()
    at = at.switch_page(PAGE).run()
    return at.file_uploader(key="data.uploader").set_value(("gaps.csv", content, "text/csv")).run()


def _data(at: AppTest):
    return at.session_state[STATE_KEY].data


def _texts(at: AppTest) -> str:
    return " ".join(str(e.value) for kind in ("markdown", "warning", "info") for e in at.get(kind))


def test_policy_defaults_to_dropping_rows_and_can_model_the_gaps():
    at = _page_with_upload()
    assert not at.exception
    data = _data(at)
    gaps = int(data.raw[["dose", "response", "level"]].isna().any(axis=1).sum())
    assert data.missing_policy == "drop" and len(data.table) == 200 - gaps
    assert f"{200 - gaps:,} rows are used" in _texts(at)
    assert "Whether 'response' is missing depends on 'dose'" in _texts(at)  # the MAR warning
    keys = {c.proto.id for c in at.get("plotly_chart")}
    assert len(keys) >= 4  # variable, correlations, missing share, patterns
    at.radio(key="data.missing_policy").set_value("model").run()
    assert not at.exception
    assert _data(at).missing_policy == "model" and len(_data(at).table) == 200
    assert "the model handles the gaps" in _texts(at) and "200 rows are used" in _texts(at)


def test_token_control_keeps_a_level_called_none():
    at = _page_with_upload()
    data = _data(at)
    assert data.raw["level"].isna().sum() == 67 and data.raw["dose"].isna().sum() == 20
    tokens = at.multiselect(key="data.na_tokens")
    assert set(tokens.options) == {"N/A", "None"} and set(tokens.value) == {"N/A", "None"}
    tokens.unselect("None").run()
    assert not at.exception
    data = _data(at)
    assert data.raw["level"].isna().sum() == 0 and "None" in data.schema["level"].categories
    assert data.raw["dose"].isna().sum() == 20 and "None" not in data.na_values
