"""Project bundles: a full round trip restores the session; tampered or foreign files are refused."""

from __future__ import annotations

import hashlib
import io
import json
import zipfile

import pytest

from tests.ui.report_fixtures import REVIEWED, finished_state, train_into
from ui.bundle import BundleError, export_bundle, load_bundle, read_bundle
from ui.discovery_session import current_model
from ui.model_store import ModelStore
from ui.report_state import ReportState
from ui.state import AppState
from ui.trust_state import TrustState


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    store = ModelStore(tmp_path_factory.mktemp("store-a"))
    state = finished_state()
    train_into(state, store)
    report = ReportState(title="Dose study", question="Does it help?", item_ids=("dose-recovery",))
    return state, store, export_bundle(state, report, store=store)


def _rewrite(blob: bytes, changes: dict, fix_manifest: bool = False) -> bytes:
    """A copy of the zip with members replaced/added (bytes) or removed (None)."""
    with zipfile.ZipFile(io.BytesIO(blob)) as zf:
        files = {i.filename: zf.read(i) for i in zf.infolist()}
    for name, data in changes.items():
        if data is None:
            files.pop(name, None)
        else:
            files[name] = data
    if fix_manifest:
        manifest = json.loads(files["manifest.json"])
        listed = {n: d for n, d in files.items() if n != "manifest.json"}
        manifest["files"] = {n: hashlib.sha256(d).hexdigest() for n, d in listed.items()}
        files["manifest.json"] = json.dumps(manifest).encode()
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as zf:
        for name, data in files.items():
            zf.writestr(name, data)
    return out.getvalue()


def test_round_trip_restores_the_session(exported, tmp_path):
    state, _, blob = exported
    fresh_store = ModelStore(tmp_path / "store-b")  # another machine: the models come from the bundle
    restored = AppState()
    said = load_bundle(restored, blob, store=fresh_store)
    assert restored.data.fingerprint == state.data.fingerprint
    assert restored.data.raw.equals(state.data.raw) and restored.data.schema == state.data.schema
    assert restored.constraints == state.constraints
    assert restored.graph.versions == state.graph.versions and REVIEWED in restored.graph.versions
    assert restored.graph.current == state.graph.current and restored.graph.current.locked
    assert restored.graph.probs.equals(state.graph.probs)
    assert restored.effects.report_items == state.effects.report_items
    assert restored.report.title == "Dose study" and restored.report.item_ids == ("dose-recovery",)
    model = current_model(restored, fresh_store)
    original = current_model(state, exported[1])
    assert model is not None
    assert model.graph_posterior_.edge_probs.equals(original.graph_posterior_.edge_probs)
    assert restored.graph.effects_model is not None
    assert any("the discovered model" in s for s in said) and any("2 estimate" in s for s in said)


def test_bundle_lists_every_file_with_a_checksum(exported):
    _, _, blob = exported
    with zipfile.ZipFile(io.BytesIO(blob)) as zf:
        names = set(zf.namelist())
        manifest = json.loads(zf.read("manifest.json"))
    assert {"data/table.csv", "data/schema.json", "constraints.json", "graph.json", "estimates.json"} <= names
    assert any(n.endswith("model/weights.pt") for n in names)
    assert set(manifest["files"]) == names - {"manifest.json"}
    assert manifest["format_version"] == 1 and manifest["data_fingerprint"]
    assert not any(n.endswith((".pkl", ".pickle")) for n in names)


@pytest.mark.parametrize("tamper, message", [
    (lambda b: _rewrite(b, {"data/table.csv": b"age,dose,recovery\n1,0,2\n"}), "does not match its checksum"),
    (lambda b: _rewrite(b, {"data/table.csv": b"age,dose,recovery\n1,0,2\n"}, fix_manifest=True),
     "does not match its fingerprint"),
    (lambda b: _rewrite(b, {"manifest.json": json.dumps({"format": "deci-studio-bundle", "format_version": 99,
                                                         "files": {}}).encode()}), "newer DECI Studio"),
    (lambda b: _rewrite(b, {"../evil.sh": b"rm -rf /"}, fix_manifest=True), "unexpected file '../evil.sh'"),
    (lambda b: _rewrite(b, {"/etc/cron.d/x": b"* * * * * root true"}, fix_manifest=True), "unexpected file"),
    (lambda b: _rewrite(b, {"models/x/model/a.pkl": b"\x80\x04"}, fix_manifest=True), "unexpected file"),
    (lambda b: _rewrite(b, {"manifest.json": None}), "no manifest.json"),
    (lambda b: _rewrite(b, {"manifest.json": b'{"format": "other"}'}), "not a DECI Studio project bundle"),
    (lambda b: b"PK\x03\x04 this is not really a zip", "not a zip file"),
    (lambda b: b"a,b\n1,2\n", "not a zip file"),
])
def test_tampered_or_foreign_bundles_are_refused(exported, tamper, message):
    with pytest.raises(BundleError, match=message.replace("(", r"\(")):
        read_bundle(tamper(exported[2]))


def test_a_failed_load_leaves_the_session_as_it_was(exported, tmp_path):
    state, _, blob = exported
    before = (state.data, state.constraints, state.graph, state.effects, state.discovery)
    bad = _rewrite(blob, {"graph.json": b'{"base": "discovered", "versions": {}}'}, fix_manifest=True)
    with pytest.raises(BundleError, match="graph.json is malformed"):
        load_bundle(state, bad, store=ModelStore(tmp_path / "s"))
    assert (state.data, state.constraints, state.graph, state.effects, state.discovery) == before


def test_a_model_with_corrupted_weights_is_refused(exported, tmp_path):
    blob = exported[2]
    with zipfile.ZipFile(io.BytesIO(blob)) as zf:
        weights = next(n for n in zf.namelist() if n.endswith("weights.pt"))
    bad = _rewrite(blob, {weights: b"not a state dict"}, fix_manifest=True)
    with pytest.raises(BundleError, match="cannot be loaded"):
        load_bundle(AppState(), bad, store=ModelStore(tmp_path / "s"))


def test_nothing_to_bundle_without_data():
    with pytest.raises(BundleError, match="load a dataset first"):
        export_bundle(AppState())


def test_oversized_bundles_are_refused_before_unpacking(exported, monkeypatch):
    monkeypatch.setattr("ui.bundle.MAX_TOTAL_BYTES", 1000)
    with pytest.raises(BundleError, match="too large once unpacked"):
        read_bundle(exported[2])


def test_a_refit_missing_from_the_store_is_left_out(tmp_path):
    from tests.ui.report_fixtures import train_into

    store = ModelStore(tmp_path / "store")
    state = finished_state()
    train_into(state, store)
    refits = [p for p in store.models_dir.iterdir() if p.name.startswith("refit-")]
    assert len(refits) == 1
    store.forget(refits[0].name)
    restored = AppState()
    load_bundle(restored, export_bundle(state, store=store), store=ModelStore(tmp_path / "other"))
    assert restored.graph.effects_model is None and current_model(restored, ModelStore(tmp_path / "other"))


def test_trust_checks_and_randomised_treatments_travel_in_the_bundle(tmp_path):
    store = ModelStore(tmp_path / "store-a")
    state = finished_state()
    train_into(state, store)
    placebo = {"name": "placebo treatment", "original": 1.9, "new": 0.02, "passed": True}
    refutation = {"refutations": [placebo]}
    state.trust = TrustState(refutations={"question": refutation}, audit=[{"question": "dose → recovery"}])
    state.randomised = ["dose"]
    blob = export_bundle(state, store=store)
    restored = AppState(trust=TrustState(audit=[{"question": "from another project"}]))
    load_bundle(restored, blob, store=ModelStore(tmp_path / "store-b"))
    assert restored.trust.refutations == {"question": refutation}
    assert restored.trust.audit == [{"question": "dose → recovery"}] and restored.randomised == ["dose"]
    state.trust, state.randomised = None, []
    load_bundle(restored, export_bundle(state, store=store), store=ModelStore(tmp_path / "store-c"))
    assert restored.trust is None and restored.randomised == []  # nothing of the previous project stays
    bad = _rewrite(blob, {"trust.json": json.dumps({"checks": {"audit": "x"}}).encode()}, fix_manifest=True)
    with pytest.raises(BundleError, match="trust"):
        read_bundle(bad)
