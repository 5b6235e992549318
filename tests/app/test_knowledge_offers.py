"""AppTest: the Constraints page offers a time order read from column names and a randomised switch;
the report notes the randomised treatment."""

from __future__ import annotations

import numpy as np
import pandas as pd

from deci_core.data.schema import infer_schema
from tests.app.test_constraints_page import open_page
from ui.report_sources import knowledge
from ui.state import STATE_KEY, AppState, LoadedData


def _earnings_state() -> AppState:
    rng = np.random.default_rng(0)
    n = 120
    treat = rng.integers(0, 2, n)
    re74 = rng.gamma(2.0, 1000.0, n)
    re78 = re74 + 1000 * treat + rng.normal(0, 100, n)
    df = pd.DataFrame({"treat": treat, "age": rng.integers(18, 60, n), "re74": re74,
                       "re75": re74 + rng.normal(0, 100, n), "re78": re78})
    return AppState(data=LoadedData("earnings", df, infer_schema(df)))


def test_time_order_and_randomised_treatment_in_one_click_each():
    at = open_page(_earnings_state())
    assert not at.exception
    assert any("measurements over time\\: re74 → re75 → re78" in m.value for m in at.markdown)
    at.button(key="constraints.offer.time_order").click().run()
    state = at.session_state[STATE_KEY]
    assert state.constraints.tiers == (("re74",), ("re75",), ("re78",))
    assert at.selectbox(key="constraints.offer.randomised_name").value == "treat"  # binary first
    at.toggle(key="constraints.offer.randomised.treat").set_value(True).run()
    state = at.session_state[STATE_KEY]
    assert "treat" in state.constraints.roots and state.randomised == ["treat"]
    assert any("treat was randomised" in line for line in knowledge(state))
    at.toggle(key="constraints.offer.randomised.treat").set_value(False).run()
    state = at.session_state[STATE_KEY]
    assert "treat" not in state.constraints.roots and not any("randomised" in s for s in knowledge(state))
