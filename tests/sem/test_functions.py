import torch

from deci_core.sem.functions import NodeMLPs


def _mlp(seed=0):
    col_var = torch.tensor([0, 1, 1, 1, 2])  # variable 1 is a 3-level categorical
    return NodeMLPs(col_var, out_width=3, hidden=8, layers=2, generator=torch.Generator().manual_seed(seed))


def test_non_parent_has_exactly_no_influence():
    mlp = _mlp()
    adj = torch.tensor([[0.0, 1, 1], [0, 0, 0], [0, 0, 0]])  # 0 -> 1, 0 -> 2; 1 is not a parent of 2
    x = torch.randn(6, 5, generator=torch.Generator().manual_seed(1))
    x2 = x.clone()
    x2[:, 1:4] += 10.0  # perturb variable 1 (all its columns)
    out, out2 = mlp(x, adj[None]), mlp(x2, adj[None])
    assert torch.equal(out[..., 2, :], out2[..., 2, :])  # exact, not approximately
    x3 = x.clone()
    x3[:, 0] += 1.0  # perturb a parent: node 2 changes
    assert not torch.allclose(mlp(x3, adj[None])[..., 2, :], out[..., 2, :])


def test_subset_of_nodes_and_row_batches_match_full_evaluation():
    mlp = _mlp(seed=2)
    adj = torch.bernoulli(torch.full((4, 3, 3), 0.5), generator=torch.Generator().manual_seed(3))
    x = torch.randn(7, 5, generator=torch.Generator().manual_seed(4))
    full = mlp(x, adj)
    nodes = torch.tensor([2, 0])
    assert torch.allclose(mlp(x, adj, nodes), full[:, :, nodes], atol=1e-6)
    per_graph = mlp(x.expand(4, 7, 5), adj)  # (S, n, C) input: same rows for every graph
    assert torch.allclose(per_graph, full, atol=1e-6)
