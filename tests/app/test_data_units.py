"""AppTest: units set on the Data page are kept in the schema (per dataset) and change no fingerprint."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest

from tests.conftest import APP_DIR
from ui.state import STATE_KEY
from ui.units_view import unit_key


def test_units_are_saved_per_dataset_without_touching_the_fingerprint():
    at = AppTest.from_file(str(APP_DIR / "app.py"), default_timeout=30).run()
    at = at.switch_page("pages/1_Data.py").run()
    at.button(key="data.sample.marketing").click().run()
    data = at.session_state[STATE_KEY].data
    fingerprint, names = data.fingerprint, list(data.raw.columns)
    assert "revenue" in names and "(marketing)" in at.button(key="data.sample.marketing").label
    at.text_input(key=unit_key(data.load_id, names.index("revenue"))).input(" USD ")  # sent on submit
    at.button(key=f"FormSubmitter:data.units.{data.load_id}-Save units").click().run()
    assert not at.exception
    data = at.session_state[STATE_KEY].data
    assert data.schema.units == {"revenue": "USD"} and data.fingerprint == fingerprint
    assert ("revenue", "continuous") in {(v[0], v[1]) for v in data.summary().variables}
    assert any("unit: USD" in v[2] for v in data.summary().variables)
    at.button(key="data.sample.health").click().run()  # another dataset: its boxes start empty
    new = at.session_state[STATE_KEY].data
    assert new.schema.units == {} and not any(
        w.value for w in at.text_input if w.key and w.key.startswith(f"data.unit.{new.load_id}.")
    )
