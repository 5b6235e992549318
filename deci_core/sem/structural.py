"""The structural equation model, in encoded model space, for any given graph.

Each variable j is ``x_j = f_j(x_pa(j)) (+) z_j`` where ``f_j`` is a masked MLP
(:mod:`deci_core.sem.functions`) and the noise depends on the variable's type:

- continuous: ``x_j = f_j + e_j``, additive noise ``e_j`` from the learned noise model (spline flow
  or Gaussian, :mod:`deci_core.sem.noise`) driven by a standard-normal base draw ``z_j``; the noise
  distribution may depend on which parents j has in the graph, never on their values;
- binary: ``x_j = 1[f_j + z_j > 0]`` with standard logistic ``z_j`` (Bernoulli on logit ``f_j``);
- categorical (k levels): ``x_j = onehot(argmax_l(f_jl + z_jl))`` with standard Gumbel ``z_jl``
  (softmax over the k logits).

Shapes: n rows, d variables, C encoded columns (``encoder.num_columns``). Rows ``x`` are encoded as by
:class:`~deci_core.data.schema.TableEncoder` (continuous standardised, binary 0/1, categorical one-hot).
Noise ``z`` has the same (n, C) layout: one column per continuous/binary variable (the base draw
``z_j ~ N(0, 1)`` / the logistic draw), k per categorical (Gumbel draws).
Adjacencies follow ``A[i, j] = 1`` for i -> j; variables are addressed by index in
``encoder.names`` order. Interventions are ``{variable index: value}`` with value (width,) or
(n, width) in encoded units (use ``encoder.encode_value``); an intervened variable's columns are fixed
and its incoming edges are cut.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from deci_core.config import ModelConfig
from deci_core.data.schema import VariableType
from deci_core.errors import GraphError
from deci_core.graph.dag import topological_levels
from deci_core.sem.functions import NodeMLPs
from deci_core.sem.noise import make_noise

CONTINUOUS, BINARY, CATEGORICAL = 0, 1, 2
_CODES = {
    VariableType.CONTINUOUS: CONTINUOUS,
    VariableType.BINARY: BINARY,
    VariableType.CATEGORICAL: CATEGORICAL,
}
_NEG = -1e9
Interventions = Mapping[int, torch.Tensor]


class SEM(nn.Module):
    """Functions and noise of all variables; evaluate, sample and invert for a given adjacency.

    Args:
        types: type of each modeled variable (d,), continuous / binary / categorical.
        widths: encoded columns of each variable (d,), 1 except k for a k-level categorical.
        config: network size and noise model.
        generator: seeds the initial weights.
    """

    def __init__(
        self,
        types: Sequence[VariableType],
        widths: Sequence[int],
        config: ModelConfig,
        generator: torch.Generator,
    ) -> None:
        super().__init__()
        codes = torch.tensor([_CODES[VariableType(t)] for t in types])
        width = torch.tensor(list(widths))
        col_var = torch.repeat_interleave(torch.arange(len(width)), width)
        col_pos = torch.cat([torch.arange(int(w)) for w in width])
        self.register_buffer("codes", codes)
        self.register_buffer("col_var", col_var)
        self.register_buffer("col_pos", col_pos)
        self.register_buffer("valid", torch.arange(int(width.max()))[None, :] < width[:, None])  # (d, K)
        for name, code in (("cont", CONTINUOUS), ("bin", BINARY), ("cat", CATEGORICAL)):
            self.register_buffer(f"{name}_idx", torch.nonzero(codes == code).flatten())
        self.functions = self._make_functions(col_var, int(width.max()), config, generator)
        self.noise = make_noise(
            config.noise,
            len(self.cont_idx),
            len(width),
            config.spline_bins,
            config.spline_bound,
            config.spline_prior,
        )

    def _make_functions(
        self, col_var: torch.Tensor, out_width: int, config: ModelConfig, generator: torch.Generator
    ) -> NodeMLPs:
        """The networks ``f_j`` (a temporal SEM feeds them lagged copies of the variables too)."""
        return NodeMLPs(col_var, out_width, config.hidden, config.layers, generator)

    @property
    def num_nodes(self) -> int:
        return int(self.codes.numel())

    @property
    def discrete_nodes(self) -> list[int]:
        """The binary and categorical variables, in index order."""
        return sorted(int(j) for j in torch.cat([self.bin_idx, self.cat_idx]))

    @property
    def num_columns(self) -> int:
        return int(self.col_var.numel())

    # ----- layout helpers -------------------------------------------------------------------
    def _pad(self, x: torch.Tensor) -> torch.Tensor:
        """(..., n, C) columns -> (..., n, d, K) per-variable blocks, zero-padded."""
        out = x.new_zeros(*x.shape[:-1], self.num_nodes, self.valid.shape[1])
        out[..., self.col_var, self.col_pos] = x
        return out

    def _unpad(self, x_pad: torch.Tensor) -> torch.Tensor:
        """(..., d, K) blocks -> (..., C) columns."""
        return x_pad[..., self.col_var, self.col_pos]

    def _as_batch(self, adjacency: torch.Tensor) -> tuple[torch.Tensor, bool]:
        adjacency = torch.as_tensor(adjacency, device=self.codes.device).float()
        return (adjacency.unsqueeze(0), True) if adjacency.dim() == 2 else (adjacency, False)

    # ----- likelihood ----------------------------------------------------------------------
    def node_log_prob(self, x: torch.Tensor, adjacency: torch.Tensor) -> torch.Tensor:
        """Log-likelihood of each variable given its parents (density for continuous variables).

        Args:
            x: (n, C) encoded rows, or (S, n, C): different rows for each graph.
            adjacency: (d, d) or (S, d, d) graphs.

        Returns:
            (n, d), or (S, n, d) for a batch of graphs: ``log p(x_j | x_pa(j), G)``.
        """
        ll, _ = self.fit_terms(x, adjacency, mean_functions=False)
        return ll

    def fit_terms(
        self, x: torch.Tensor, adjacency: torch.Tensor, mean_functions: bool = True
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """The training terms: node log-likelihoods and the continuous functions' location loss.

        With ``mean_functions`` each continuous ``f_j`` is fitted by least squares, so it is the
        conditional mean ``E[x_j | x_pa(j)]``, and the noise model learns the distribution of the
        residual with the residual's gradient stopped (a two-stage fit of the same additive-noise
        SEM). Why: by maximum likelihood a flexible noise model lets ``f_j`` sit at the residual's
        densest point instead of its mean; on a zero-inflated outcome (most rows 0) ``f_j`` fitted
        the spike at 0 in both arms of a randomised binary treatment, and the simulated effect was
        about 0 where the difference in means was 3 SE away from it (tests/effects). Under the
        model's own assumptions (noise independent of the parents) both fits are consistent and the
        likelihood is unchanged, so graph scores mean the same.

        Returns:
            ``(ll, location)``: ll as :meth:`node_log_prob` ((n, d) or (S, n, d)); location, a scalar:
            ``sum_j 0.5 * log(mean_rows r_j^2)`` over continuous j (averaged over graphs), the
            Gaussian profile likelihood whose minimiser is least squares; 0 without mean_functions.
        """
        adj, single = self._as_batch(adjacency)
        ll, location = self._likelihood(self.functions(x, adj), x, adj, mean_functions=mean_functions)
        return (ll[0] if single else ll), location

    def _likelihood(
        self,
        out: torch.Tensor,
        x: torch.Tensor,
        adj: torch.Tensor,
        shift: torch.Tensor | None = None,
        mean_functions: bool = False,
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Network outputs (S, n, d, K), rows (n, C) or (S, n, C) and graphs (S, d, d) -> ll (S, n, d)
        and the location loss (see :meth:`fit_terms`).

        ``shift`` (S, n, m, P): per-row noise parameters added to the learned ones (temporal SEM).
        """
        x_pad = self._pad(x)
        ll = out.new_zeros(out.shape[:3])
        location = out.new_zeros(())
        if self.cont_idx.numel():
            z = x_pad[..., self.cont_idx, 0] - out[..., self.cont_idx, 0]
            if mean_functions:
                location = 0.5 * torch.log(z.square().mean(-2).clamp_min(1e-12)).sum(-1).mean()
                z = z.detach()
            ll[..., self.cont_idx] = self.noise.log_prob(
                z.expand(adj.shape[0], -1, -1), self._parents(adj), shift
            )
        if self.bin_idx.numel():
            logits = out[..., self.bin_idx, 0]
            target = x_pad[..., self.bin_idx, 0].expand_as(logits)
            ll[..., self.bin_idx] = -F.binary_cross_entropy_with_logits(logits, target, reduction="none")
        if self.cat_idx.numel():
            logits = out[..., self.cat_idx, :].masked_fill(~self.valid[self.cat_idx], _NEG)
            ll[..., self.cat_idx] = (torch.log_softmax(logits, -1) * x_pad[..., self.cat_idx, :]).sum(-1)
        return ll, location

    def log_prob(self, x: torch.Tensor, adjacency: torch.Tensor) -> torch.Tensor:
        """Joint log-likelihood of each row, ``sum_j log p(x_j | x_pa(j))``: (n,) or (S, n)."""
        return self.node_log_prob(x, adjacency).sum(-1)

    def _parents(self, adj: torch.Tensor) -> torch.Tensor:
        """Parent indicators of the continuous variables: (S, d, d) -> (S, d, m)."""
        return adj[..., self.cont_idx]

    # ----- noise ---------------------------------------------------------------------------
    @torch.no_grad()
    def sample_noise(self, n: int, generator: torch.Generator | None = None) -> torch.Tensor:
        """Draw exogenous noise (n, C): standard normal, standard logistic, standard Gumbel."""
        shape = (n, self.num_nodes, self.valid.shape[1])
        dev = self.codes.device
        u = torch.rand(shape, generator=generator, device=dev).clamp(1e-7, 1 - 1e-7)
        z_pad = torch.where(self.codes[:, None] == BINARY, torch.logit(u), -torch.log(-torch.log(u)))
        if self.cont_idx.numel():
            z_pad[:, self.cont_idx, 0] = torch.randn(n, len(self.cont_idx), generator=generator, device=dev)
        return self._unpad(z_pad * self.valid)

    @torch.no_grad()
    def noise_to_sample(
        self, z: torch.Tensor, adjacency: torch.Tensor, interventions: Interventions | None = None
    ) -> torch.Tensor:
        """Push noise through the SEM: one pass over the graph's topological levels.

        Nodes of one level (all parents in earlier levels) are computed together, so the whole pass
        costs about one evaluation of the network, not d.

        Args:
            z: (n, C) noise, as from :meth:`sample_noise` or :meth:`sample_to_noise`.
            adjacency: (d, d) DAG (bool or 0/1).
            interventions: ``{index: value (width,) or (n, width)}`` in encoded units.

        Returns:
            (n, C) encoded samples; intervened columns equal the set values.

        Raises:
            GraphError: the adjacency (after cutting intervened nodes' incoming edges) is cyclic.
        """
        adj, x_pad, fixed = self._intervene(z.shape[0], adjacency, interventions, z)
        levels = topological_levels(adj.cpu().numpy() > 0)
        if levels is None:
            raise GraphError("The graph has a directed cycle: the SEM can only be sampled on a DAG.")
        z_pad = self._pad(z)
        live = torch.as_tensor(~fixed, device=z.device)[self.cont_idx]  # continuous, computed below
        if bool(live.any()):  # base draws -> additive noise on this graph (held nodes need none)
            columns = torch.nonzero(live).flatten()
            nodes = self.cont_idx[columns]
            base = z_pad[None, :, nodes, 0]
            z_pad[:, nodes, 0] = self.noise.from_base(base, self._parents(adj[None]), columns=columns)[0]
        for level in levels:
            nodes = torch.as_tensor(level[~fixed[level]], device=z.device)
            if nodes.numel():
                out = self.functions(self._unpad(x_pad), adj[None], nodes)[0]  # (n, m, K)
                x_pad[:, nodes] = self._outputs_to_values(out, z_pad[:, nodes], nodes)
        return self._unpad(x_pad)

    @torch.no_grad()
    def sample(
        self,
        n: int,
        adjacency: torch.Tensor,
        generator: torch.Generator | None = None,
        interventions: Interventions | None = None,
    ) -> torch.Tensor:
        """Draw n encoded rows (n, C) from the (intervened) SEM on a DAG: sample_noise + noise_to_sample."""
        return self.noise_to_sample(self.sample_noise(n, generator), adjacency, interventions)

    @torch.no_grad()
    def sample_to_noise(
        self,
        x: torch.Tensor,
        adjacency: torch.Tensor,
        generator: torch.Generator | None = None,
        nodes: np.ndarray | None = None,
    ) -> torch.Tensor:
        """Abduction: noise (n, C) that reproduces the rows x through :meth:`noise_to_sample`.

        Continuous variables: exact, the base draw of the residual ``x - f(x_pa)``. Binary and
        categorical variables have no unique noise; a draw from its posterior given the observed value
        is returned (a logistic draw truncated to ``f + z > 0`` or ``<= 0``; Gumbel-max "top-down"
        sampling for categoricals), so without an intervention the rows are reproduced exactly.
        ``generator`` seeds these draws (a fixed seed 0 when None).

        Args:
            x: (n, C) encoded rows. adjacency: (d, d) graph.
            nodes: (d,) bool, only these variables' noise is needed (the others' is not meaningful:
                callers hold them fixed); their networks alone are evaluated.
        """
        gen = generator or torch.Generator(device=x.device).manual_seed(0)
        adj, _ = self._as_batch(adjacency)
        if nodes is None:
            out = self.functions(x, adj)[0]  # (n, d, K)
        else:
            index = torch.as_tensor(np.flatnonzero(nodes), device=x.device)
            out = x.new_zeros(x.shape[0], self.num_nodes, self.valid.shape[1])
            if index.numel():
                out[:, index] = self.functions(x, adj, index)[0]
        x_pad = self._pad(x)
        z_pad = x_pad - out  # continuous: the exact residual, mapped to its base draw below
        if self.cont_idx.numel():
            residual = z_pad[None, :, self.cont_idx, 0]
            z_pad[:, self.cont_idx, 0] = self.noise.to_base(residual, self._parents(adj))[0]
        u = torch.rand(out.shape[:-1] + (out.shape[-1] + 1,), generator=gen, device=x.device)
        u = u.clamp(1e-6, 1 - 1e-6)
        binary = _truncated_logistic(out, x_pad, u[..., :-1])
        z_pad = torch.where((self.codes == BINARY)[:, None], binary, z_pad)
        cat = self._posterior_gumbel(out, x_pad, u[..., :-1], u[..., -1:])
        z_pad = torch.where((self.codes == CATEGORICAL)[:, None], cat, z_pad)
        return self._unpad(z_pad * self.valid)

    # ----- internals -----------------------------------------------------------------------
    def _intervene(
        self, n: int, adjacency: torch.Tensor, interventions: Interventions | None, like: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor, np.ndarray]:
        """Cut incoming edges of intervened nodes and pre-fill their values."""
        adj = self._as_batch(adjacency)[0][0].clone()
        x_pad = like.new_zeros(n, self.num_nodes, self.valid.shape[1])
        fixed = np.zeros(self.num_nodes, dtype=bool)
        for index, value in (interventions or {}).items():
            adj[:, index] = 0
            width = int(self.valid[index].sum())
            value = torch.as_tensor(value, dtype=like.dtype, device=like.device).reshape(-1, width)
            x_pad[:, index, :width] = value.expand(n, width)
            fixed[index] = True
        return adj, x_pad, fixed

    def _outputs_to_values(self, out: torch.Tensor, z_pad: torch.Tensor, nodes: torch.Tensor) -> torch.Tensor:
        """Network outputs (n, m, K) and noise (n, m, K) of nodes -> encoded values (n, m, K)."""
        codes, valid = self.codes[nodes][:, None], self.valid[nodes]
        first = F.one_hot(torch.zeros_like(nodes), valid.shape[1]).to(out.dtype)  # position 0
        cont = (out + z_pad) * first
        binary = (out + z_pad > 0).to(out.dtype) * first
        scores = (out + z_pad).masked_fill(~valid, _NEG)
        cat = F.one_hot(scores.argmax(-1), valid.shape[1]).to(out.dtype)
        return torch.where(codes == CONTINUOUS, cont, torch.where(codes == BINARY, binary, cat))

    def _posterior_gumbel(
        self, out: torch.Tensor, x_pad: torch.Tensor, u: torch.Tensor, u_top: torch.Tensor
    ) -> torch.Tensor:
        """Gumbel noise (n, d, K) given that ``argmax(out + z)`` is the observed level.

        The maximum of the perturbed logits is Gumbel(logsumexp) and sits at the observed level; the
        other levels are Gumbels truncated below it (Maddison et al. 2014, "A* sampling").
        """
        logits = out.masked_fill(~self.valid, _NEG)
        top = torch.logsumexp(logits, -1, keepdim=True) - torch.log(-torch.log(u_top))
        others = logits - torch.log(-torch.log(u))
        below = -torch.log(torch.exp(-top) + torch.exp(-others))  # truncated at the max
        perturbed = torch.where(x_pad > 0.5, top.expand_as(logits), below)
        return torch.where(self.valid, perturbed - logits, torch.zeros_like(logits))


def _truncated_logistic(logits: torch.Tensor, x_pad: torch.Tensor, u: torch.Tensor) -> torch.Tensor:
    """Logistic noise z with ``logits + z > 0`` where x = 1 and ``<= 0`` where x = 0."""
    cut = torch.sigmoid(-logits)  # P(z <= -logit)
    v = torch.where(x_pad > 0.5, cut + u * (1 - cut), u * cut)
    return torch.logit(v.clamp(1e-7, 1 - 1e-7))
