"""Candidate-parent screening before training on wide tables: a cheap, recall-oriented preselection.

With d variables, q(G) has d(d-1) possible edges, the per-node networks read all d inputs and the
refinement's first round fits one candidate per absent pair: costs that grow like d². Most pairs of
a sparse graph are not adjacent, and two cheap statistics find the few that may be:

- marginal dependence, linear or not: ``score[i, j] = max_b |corr(b(x_i), x_j)|`` over the bases
  ``b(x) = x, x², |x|, tanh(2x)`` of the standardised column (a parent acting through ``x²`` has
  no linear correlation with its child, but a large one with the ``x²`` basis);
- partial correlation given all other variables (from the inverse correlation matrix): nonzero for
  the Markov blanket (parents, children and the children's other parents) in a linear-Gaussian
  model, so a weak parent hidden behind strong ones still stands out.

The rule: pair {i, j} is kept when i is among the ``k`` highest-scoring partners of j, or j among
i's, on either statistic (so each variable keeps at least ``k`` partners of each kind, and any
partner that ranks high for the other end too), and every other pair is forbidden in both
directions for training and refinement. Recall over precision: a kept pair that is not an edge
costs only compute; a dropped true edge is lost. Screening runs only above
``TrainingConfig.screen_above`` variables (default 30), so smaller tables are fitted as before.
Measured recall of the true edges is in bench/RESULTS.md ("Scale").
"""

from __future__ import annotations

import numpy as np
import torch

DEFAULT_PARTNERS = 15
"""k: partners kept per variable on each statistic."""


def screen_pairs(
    x: torch.Tensor, col_var: torch.Tensor, num_nodes: int, k: int = DEFAULT_PARTNERS
) -> np.ndarray:
    """The pairs that stay possible: (d, d) bool, symmetric, False on the diagonal.

    Args:
        x: (N, C) encoded rows (a categorical variable's columns: the strongest column counts).
        col_var: (C,) variable of each column. num_nodes: d. k: partners per variable per statistic.
    """
    d = num_nodes
    if d <= k + 1:
        return ~np.eye(d, dtype=bool)
    cols = _standardise(x.detach().cpu().double().numpy())
    marginal = _per_variable(_basis_scores(cols), col_var.cpu().numpy(), d)
    partial = _per_variable(np.abs(_partial_correlations(cols)), col_var.cpu().numpy(), d)
    keep = np.zeros((d, d), dtype=bool)
    for score in (marginal, partial):
        np.fill_diagonal(score, -np.inf)
        top = np.argsort(-score, axis=0)[:k]  # (k, d): the k best partners of each variable
        keep[top, np.arange(d)[None, :]] = True
    keep |= keep.T
    np.fill_diagonal(keep, False)
    return keep


def _standardise(a: np.ndarray) -> np.ndarray:
    sd = a.std(0)
    return (a - a.mean(0)) / np.where(sd > 0, sd, 1.0)


def _basis_scores(cols: np.ndarray) -> np.ndarray:
    """(C, C): max over bases of |corr(b(column a), column b)|."""
    n = cols.shape[0]
    best = np.zeros((cols.shape[1], cols.shape[1]))
    for basis in (cols, cols**2, np.abs(cols), np.tanh(2 * cols)):
        b = _standardise(basis)
        corr = np.abs(b.T @ cols) / n
        best = np.maximum(best, np.maximum(corr, corr.T))
    return best


def _partial_correlations(cols: np.ndarray) -> np.ndarray:
    """(C, C) partial correlations given all other columns (ridge-stabilised inverse correlation)."""
    corr = np.corrcoef(cols, rowvar=False)
    corr = np.nan_to_num(corr) + 1e-3 * np.eye(corr.shape[0])
    precision = np.linalg.pinv(corr)
    scale = np.sqrt(np.abs(np.diag(precision)))
    return -precision / np.outer(scale, scale)


def _per_variable(scores: np.ndarray, col_var: np.ndarray, d: int) -> np.ndarray:
    """Column scores (C, C) -> variable scores (d, d): the largest over each variable's columns."""
    out = np.full((d, d), -np.inf)
    for a in range(scores.shape[0]):
        for_var = np.full(d, -np.inf)
        np.maximum.at(for_var, col_var, scores[a])
        out[col_var[a]] = np.maximum(out[col_var[a]], for_var)
    return out
