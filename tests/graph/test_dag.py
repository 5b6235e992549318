import numpy as np
import torch

from deci_core.graph.dag import acyclicity, greedy_dag, is_dag, topological_levels


def test_acyclicity_zero_on_dags_positive_on_cycles():
    dag = torch.tensor([[0, 1, 1], [0, 0, 1], [0, 0, 0]], dtype=torch.float32)
    assert acyclicity(dag).abs().item() < 1e-6
    cycle = dag.clone()
    cycle[2, 0] = 1.0
    assert acyclicity(cycle).item() > 0.1
    assert acyclicity(0.3 * cycle).item() > 0  # soft weights too
    assert is_dag(dag.numpy()) and not is_dag(cycle.numpy())


def test_topological_levels_respect_edges():
    adj = np.zeros((4, 4), dtype=bool)
    adj[0, 1] = adj[1, 2] = adj[0, 3] = True
    levels = topological_levels(adj)
    depth = {int(n): k for k, level in enumerate(levels) for n in level}
    assert all(depth[i] < depth[j] for i, j in zip(*np.nonzero(adj), strict=True))
    assert topological_levels(adj | adj.T) is None


def test_greedy_dag_drops_least_probable_edge_of_a_cycle():
    probs = np.zeros((3, 3))
    probs[0, 1], probs[1, 2], probs[2, 0] = 0.9, 0.8, 0.6
    dag = greedy_dag(probs > 0.5, probs)
    assert is_dag(dag)
    assert dag[0, 1] and dag[1, 2] and not dag[2, 0]


def test_greedy_dag_keeps_required_edges_first():
    probs = np.zeros((3, 3))
    probs[0, 1], probs[1, 2], probs[2, 0] = 0.9, 0.8, 0.6
    required = np.zeros((3, 3), dtype=bool)
    required[2, 0] = True
    dag = greedy_dag(probs > 0.5, probs, required)
    assert dag[2, 0] and dag[0, 1] and not dag[1, 2]
