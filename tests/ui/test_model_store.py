"""The model store: same key same model, keys change with constraints, corrupt entries rejected, restarts."""

import json

import numpy as np
import pytest

from deci_core.config import ModelConfig, TrainingConfig
from deci_core.constraints import Constraints
from deci_core.data.schema import data_fingerprint, infer_schema
from deci_core.errors import ModelFileError
from deci_core.model import DECI
from deci_core.samples.synthetic import sem_from_edges
from ui.model_store import ModelStore, compare_runs, model_key

MODEL = ModelConfig(noise="gaussian", hidden=8)
TRAINING = TrainingConfig(seed=0, max_steps=15, patience=0, batch_size=64)


@pytest.fixture(scope="module")
def table():
    sem = sem_from_edges(["a", "b", "c"], [("a", "b"), ("b", "c")], seed=0)
    return sem.sample(200, np.random.default_rng(0))


@pytest.fixture(scope="module")
def fitted(table):
    return DECI(MODEL, TRAINING).fit(table)


NONE = Constraints()


def _key(table, constraints=NONE, training=TRAINING):
    schema = infer_schema(table)
    return model_key(data_fingerprint(table, schema), schema, constraints, MODEL, training)


def _put(store, key, model, fingerprint="fp"):
    posterior = model.graph_posterior_
    run = {
        "data_fingerprint": fingerprint,
        "names": list(posterior.names),
        "edges": posterior.edges(),
        "edge_probs": posterior.probs.tolist(),
    }
    return store.put(key, model, run)


def test_keys_depend_on_constraints_config_and_seed_but_are_stable(table):
    key = _key(table)
    assert key == _key(table)
    assert key != _key(table, Constraints(forbidden=[("a", "b")]))
    assert _key(table, Constraints(forbidden=[("a", "b")])) != _key(
        table, Constraints(forbidden=[("b", "a")])
    )
    assert key != _key(table, training=TrainingConfig(seed=1, max_steps=15, patience=0, batch_size=64))
    assert key != _key(table.assign(a=table["a"] + 1.0))


def test_same_key_returns_the_same_model_also_after_a_restart(tmp_path, table, fitted):
    store = ModelStore(tmp_path)
    key = _key(table)
    assert store.get(key) is None and not store.contains(key)
    record = _put(store, key, fitted)
    assert store.get(key) is fitted  # memory
    assert record["files"] and (tmp_path / "models" / key / "run.json").is_file()
    restarted = ModelStore(tmp_path)  # a new process: nothing in memory
    loaded = restarted.get(key)
    assert loaded is not fitted
    np.testing.assert_allclose(loaded.graph_posterior_.probs, fitted.graph_posterior_.probs)
    assert restarted.get(key) is loaded
    assert [r["key"] for r in restarted.runs("fp")] == [key] and restarted.runs("other") == []
    assert restarted.runs("fp", kind="refit") == [] and len(restarted.runs(kind=None)) == 1


def test_corrupted_entry_is_rejected_with_a_clear_message(tmp_path, table, fitted):
    store = ModelStore(tmp_path)
    key = _key(table)
    _put(store, key, fitted)
    weights = next(p for p in (tmp_path / "models" / key).rglob("weights.pt"))
    weights.write_bytes(weights.read_bytes()[:-10] + b"0123456789")
    with pytest.raises(ModelFileError, match="corrupted.*weights.pt.*not loaded"):
        ModelStore(tmp_path).get(key)
    _put(store, key, fitted)  # training again replaces the corrupted entry
    assert ModelStore(tmp_path).get(key) is not None


def test_half_written_entry_is_rejected_and_temporary_folders_ignored(tmp_path, table, fitted):
    store = ModelStore(tmp_path)
    key = _key(table)
    _put(store, key, fitted)
    (tmp_path / "models" / key / "run.json").unlink()  # as if killed before the metadata landed
    with pytest.raises(ModelFileError, match="incomplete"):
        ModelStore(tmp_path).get(key)
    (tmp_path / "models" / ".tmp-xyz").mkdir()
    assert ModelStore(tmp_path).runs() == []


def test_memory_is_bounded(tmp_path, fitted):
    store = ModelStore(tmp_path, memory_size=2)
    for k in ("k1", "k2", "k3"):
        _put(store, k, fitted)
    assert list(store._memory) == ["k2", "k3"]
    assert store.get("k1") is not fitted  # reloaded from disk


def test_compare_runs_lists_added_removed_and_changed():
    a = {"names": ["x", "y"], "edges": [["x", "y", 0.9]], "edge_probs": [[0, 0.9], [0.05, 0]]}
    b = {"names": ["x", "y"], "edges": [["y", "x", 0.7]], "edge_probs": [[0, 0.2], [0.7, 0]]}
    diff = compare_runs(a, b)
    assert diff.added == [("y", "x", 0.7)] and diff.removed == [("x", "y", 0.9)]
    assert diff.changed[0][:2] == ("x", "y") and len(diff.changed) == 2
    assert compare_runs(a, a).changed == []
    json.dumps(diff.added)
