"""The temporal SEM (Rhino, Gong et al. 2023): a variant of :class:`~deci_core.sem.structural.SEM`.

Each variable j at time t is

    x_t^j = f_j(x_{t-tau}^{pa_tau(j)} for tau = 0..K) + g_j(x_{t-tau}^{pa_tau(j)} for tau >= 1, e_t^j)

with ``f_j`` the same masked MLP as the static SEM, fed K+1 copies of the variables (lag 0 = now),
and ``g_j`` the static noise model (spline flow or Gaussian) whose parameters are shifted per row by
a small network of the lagged parents only: history-dependent noise. Binary and categorical
variables use the static likelihoods (Bernoulli / softmax on ``f_j``).

Shapes: windows ``w`` (n, K+1, C) lag-first (``w[:, 0]`` is time t, see :mod:`deci_core.data.windows`),
or (S, n, K+1, C) with different windows per graph; temporal graphs (K+1, d, d) or (S, K+1, d, d)
with ``G[tau, i, j] = 1`` for ``x_{t-tau}^i -> x_t^j``. Internally the window is flattened to
(K+1) * C columns and the graph to ((K+1) d, d): "variable i at lag tau" is input node ``tau * d + i``.
The history network's last layer starts at zero, so training starts from the static noise model.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch

from deci_core.config import ModelConfig
from deci_core.data.schema import VariableType
from deci_core.errors import GraphError
from deci_core.graph.dag import topological_levels
from deci_core.sem.functions import NodeMLPs
from deci_core.sem.structural import SEM, Interventions


class TemporalSEM(SEM):
    """Functions and history-dependent noise for windows of K+1 steps.

    Args:
        types, widths, config, generator: as for :class:`SEM`.
        lags: K >= 1.
    """

    def __init__(
        self,
        types: Sequence[VariableType],
        widths: Sequence[int],
        config: ModelConfig,
        generator: torch.Generator,
        lags: int,
    ) -> None:
        object.__setattr__(self, "lags", int(lags))  # read by _make_functions during SEM.__init__
        super().__init__(types, widths, config, generator)
        lagged = _lagged_columns(self.col_var, self.num_nodes, self.lags, first=1)
        self.history = NodeMLPs(
            lagged, self.noise.num_params, config.hidden, 1, generator, num_nodes=self.num_nodes
        )
        with torch.no_grad():
            self.history.w_out.zero_()

    def _make_functions(
        self, col_var: torch.Tensor, out_width: int, config: ModelConfig, generator: torch.Generator
    ) -> NodeMLPs:
        d = int(col_var.max()) + 1
        flat = _lagged_columns(col_var, d, self.lags, first=0)
        return NodeMLPs(flat, out_width, config.hidden, config.layers, generator, num_nodes=d)

    def _as_batch(self, adjacency: torch.Tensor) -> tuple[torch.Tensor, bool]:
        adjacency = torch.as_tensor(adjacency, device=self.codes.device).float()
        return (adjacency.unsqueeze(0), True) if adjacency.dim() == 3 else (adjacency, False)

    def _shift(self, w: torch.Tensor, adj: torch.Tensor) -> torch.Tensor | None:
        """History-dependent noise parameters (S, n, m, P) from the lagged parents."""
        if not self.cont_idx.numel():
            return None
        past = w[..., 1:, :].flatten(-2)  # (.., n, K*C)
        return self.history(past, adj[:, 1:].flatten(1, 2))[..., self.cont_idx, :]

    def node_log_prob(self, w: torch.Tensor, adjacency: torch.Tensor) -> torch.Tensor:
        """``log p(x_t^j | parents at lags 0..K, G)`` per window and variable: (n, d) or (S, n, d)."""
        adj, single = self._as_batch(adjacency)
        out = self.functions(w.flatten(-2), adj.flatten(1, 2))  # (S, n, d, K)
        ll, _ = self._likelihood(out, w[..., 0, :], adj[:, 0], self._shift(w, adj))
        return ll[0] if single else ll

    def fit_terms(
        self, w: torch.Tensor, adjacency: torch.Tensor, mean_functions: bool = True
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """The training terms: the plain likelihood (the temporal benchmark was measured so), no
        location loss; the static SEM's least-squares functions are not applied to windows yet."""
        ll = self.node_log_prob(w, adjacency)
        return ll, ll.new_zeros(())

    @torch.no_grad()
    def step(
        self,
        past: torch.Tensor,
        z: torch.Tensor,
        graph: torch.Tensor,
        interventions: Interventions | None = None,
    ) -> torch.Tensor:
        """One time step forward: values at t (n, C) from the K previous steps and base noise.

        Args:
            past: (n, K, C) encoded ``x_{t-1}, ..., x_{t-K}`` (lag-first).
            z: (n, C) noise as from :meth:`SEM.sample_noise`.
            graph: (K+1, d, d) temporal graph with an acyclic ``graph[0]``.
            interventions: ``{index: value}`` fixed at t (incoming edges at every lag cut).

        Raises:
            GraphError: ``graph[0]`` (after the cuts) is cyclic.
        """
        n = z.shape[0]
        adj = torch.as_tensor(graph, device=z.device).float().clone()
        x_pad = z.new_zeros(n, self.num_nodes, self.valid.shape[1])
        fixed = np.zeros(self.num_nodes, dtype=bool)
        for index, value in (interventions or {}).items():
            adj[:, :, index] = 0
            width = int(self.valid[index].sum())
            value = torch.as_tensor(value, dtype=z.dtype, device=z.device).reshape(-1, width)
            x_pad[:, index, :width] = value.expand(n, width)
            fixed[index] = True
        levels = topological_levels(adj[0].cpu().numpy() > 0)
        if levels is None:
            raise GraphError("The instantaneous graph has a directed cycle: it can only be sampled on a DAG.")
        w = torch.cat([z.new_zeros(n, 1, z.shape[-1]), past], 1)
        z_pad = self._pad(z)
        if self.cont_idx.numel():
            base = z_pad[None, :, self.cont_idx, 0]
            shift = self._shift(w, adj[None])
            z_pad[:, self.cont_idx, 0] = self.noise.from_base(base, self._parents(adj[None, 0]), shift)[0]
        for level in levels:
            nodes = torch.as_tensor(level[~fixed[level]], device=z.device)
            if nodes.numel():
                w[:, 0] = self._unpad(x_pad)
                out = self.functions(w.flatten(-2), adj.flatten(0, 1)[None], nodes)[0]  # (n, m, K)
                x_pad[:, nodes] = self._outputs_to_values(out, z_pad[:, nodes], nodes)
        return self._unpad(x_pad)

    @torch.no_grad()
    def rollout(
        self,
        past: torch.Tensor,
        z: torch.Tensor,
        graph: torch.Tensor,
        interventions: Sequence[Interventions | None] = (),
    ) -> torch.Tensor:
        """H+1 steps forward from a history: (H+1, n, C).

        Args:
            past: (n, K, C) the K steps before the first simulated one (lag-first).
            z: (H+1, n, C) noise per step.
            graph: (K+1, d, d). interventions: per step, ``{index: value}`` or None (missing = None).
        """
        steps = []
        for h in range(z.shape[0]):
            x = self.step(past, z[h], graph, interventions[h] if h < len(interventions) else None)
            steps.append(x)
            past = torch.cat([x[:, None], past[:, :-1]], 1)
        return torch.stack(steps)

    def noise_to_sample(self, *args, **kwargs):  # noqa: D102 - a window model samples by step / rollout
        raise GraphError("A temporal SEM is sampled step by step: use step() or rollout() with a history.")

    sample_to_noise = noise_to_sample


def _lagged_columns(col_var: torch.Tensor, d: int, lags: int, first: int) -> torch.Tensor:
    """Input node of every flattened column for lags ``first..K``: ``tau * d + var`` (minus first * d)."""
    taus = np.arange(first, lags + 1)
    return torch.cat([col_var + (tau - first) * d for tau in taus]).long()
