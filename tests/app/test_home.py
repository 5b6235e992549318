"""AppTest for the home page: the workflow with each step's status and links."""

from streamlit.testing.v1 import AppTest

from tests.conftest import APP_DIR


def test_home_lists_the_workflow_with_status():
    at = AppTest.from_file(str(APP_DIR / "app.py"), default_timeout=30).run()
    assert not at.exception
    text = " ".join(m.value for m in at.markdown)
    assert "which variables cause which" in text
    labels = [link.label for link in at.get("page_link")]
    for step in ("Data", "Constraints", "Discover", "Graph", "Effects", "Report"):
        assert any(step in label for label in labels), step
    assert "no data yet" in " ".join(str(el.value) for el in at.get("markdown") + at.get("caption"))
