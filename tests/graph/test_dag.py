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


def test_the_refinements_start_keeps_a_pair_whose_orientation_q_left_open():
    from deci_core.graph.dag import most_probable_dag, most_probable_skeleton_dag

    p = np.array([[0, 0.45, 0], [0.44, 0, 0.7], [0, 0.1, 0]])
    none = np.zeros((3, 3), dtype=bool)
    assert most_probable_dag(p, none).sum() == 1  # 0.45 / 0.44: neither direction above 0.5
    assert most_probable_skeleton_dag(p, none).astype(int).tolist() == [[0, 1, 0], [0, 0, 1], [0, 0, 0]]
    forbidden = none.copy()
    forbidden[0, 1] = True  # the pair then rests on 1 -> 0 alone (0.44): not above 0.5
    assert not most_probable_skeleton_dag(p, forbidden)[:, 0].any()
