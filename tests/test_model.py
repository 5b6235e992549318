import numpy as np
import pytest
import torch

from deci_core.config import ModelConfig
from deci_core.errors import FitCancelled, ModelFileError, NotFittedError
from deci_core.graph.dag import is_dag
from deci_core.model import DECI, FITTED
from deci_core.training.callbacks import STOP
from tests.known_models import FAST, chain_data


def test_chain_orientation_is_recovered(fitted_chain):
    probs = fitted_chain.graph_posterior_.edge_probs
    assert probs.loc["A", "B"] > 0.5 and probs.loc["B", "C"] > 0.5
    assert probs.loc["B", "A"] < 0.5 and probs.loc["C", "B"] < 0.5
    adj = fitted_chain.graph_posterior_.most_probable()
    assert is_dag(adj) and adj[0, 1] and adj[1, 2] and not adj[0, 2]


def test_same_seed_same_graph_and_a_different_seed_differs(chain_df):
    cfg = FAST.__class__(**{**FAST.to_dict(), "max_steps": 350})
    first, again = (DECI(training_config=cfg).fit(chain_df) for _ in range(2))
    other = DECI(training_config=cfg.__class__(**{**cfg.to_dict(), "seed": 1})).fit(chain_df)
    assert np.array_equal(again.graph_posterior_.probs, first.graph_posterior_.probs)
    assert not np.array_equal(other.graph_posterior_.probs, first.graph_posterior_.probs)


def test_save_load_gives_identical_log_likelihood(tmp_path, chain_df, fitted_chain):
    fitted_chain.save(tmp_path / "run")
    loaded = DECI.load(tmp_path / "run")
    assert loaded.log_likelihood(chain_df) == fitted_chain.log_likelihood(chain_df)
    assert np.array_equal(loaded.graph_posterior_.probs, fitted_chain.graph_posterior_.probs)
    assert loaded.encoder_.names == ["A", "B", "C"]


def test_load_rejects_missing_and_corrupt_files(tmp_path, fitted_chain):
    with pytest.raises(ModelFileError, match="missing"):
        DECI.load(tmp_path / "nothing")
    fitted_chain.save(tmp_path / "run")
    (tmp_path / "run" / "weights.pt").write_bytes(b"not a state dict")
    with pytest.raises(ModelFileError):
        DECI.load(tmp_path / "run")


def test_cancel_leaves_no_fitted_state(chain_df):
    seen = []

    def cancel_at_50(progress):
        seen.append(progress.step)
        return STOP if progress.step >= 50 else None

    model = DECI(training_config=FAST)
    with pytest.raises(FitCancelled):
        model.fit(chain_df, callbacks=[cancel_at_50])
    assert seen and max(seen) == 50
    assert not model.is_fitted and not any(hasattr(model, name) for name in FITTED)
    with pytest.raises(NotFittedError):
        model.save("unused")


def test_progress_reports_edge_probabilities_and_a_final_event(chain_df):
    events = []
    DECI(training_config=FAST.__class__(**{**FAST.to_dict(), "max_steps": 60})).fit(
        chain_df, callbacks=[events.append]
    )
    assert events[-1].done and events[-1].step == 60
    assert events[0].edge_probs.shape == (3, 3) and events[0].eta_s > 0


def test_hard_constraints_hold_after_fit(chain_df):
    cfg = FAST.__class__(**{**FAST.to_dict(), "max_steps": 100})
    model = DECI(training_config=cfg).fit(
        chain_df, constraints={"forbidden": [["A", "B"]], "required": [["C", "A"]]}
    )
    post = model.graph_posterior_
    assert post.edge_probs.loc["A", "B"] == 0.0 and post.edge_probs.loc["C", "A"] == 1.0
    for g in [post.most_probable(), *post.sample(20)]:
        assert is_dag(g) and not g[0, 1] and g[2, 0]


def test_mixed_types_fit_and_sample():
    df = chain_data(400, seed=1)
    df["D"] = np.where(df["B"] > 0, "hi", "lo")
    df["E"] = np.select([df["C"] < -0.5, df["C"] > 0.5], ["x", "z"], "y")
    cfg = FAST.__class__(**{**FAST.to_dict(), "max_steps": 50})
    model = DECI(ModelConfig(noise="gaussian"), cfg).fit(df)
    adj = torch.as_tensor(model.graph_posterior_.most_probable(), dtype=torch.float32)
    rows = model.encoder_.decode(model.sem_.sample(20, adj, torch.Generator().manual_seed(0)))
    assert set(rows["D"]) <= {"hi", "lo"} and set(rows["E"]) <= {"x", "y", "z"}
