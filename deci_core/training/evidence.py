"""How much evidence an edge needs: one rule, scaled to the number of rows, for training and refinement.

The rule is the Bayesian information criterion's: an edge is one parameter, and a parameter costs
``½·log n`` nats, where n is the number of rows. It approximates the log Bayes factor of a model
with the edge against one without it, so its cost grows with n only logarithmically: at n = 445 an
edge must buy 3.05 nats of log-likelihood, at n = 2,000 3.80, at n = 100,000 5.76 — whatever
share of its child's variance that is.

- Training: ``log p(G)`` costs ``sparsity * ½·log n`` nats per expected edge; the ELBO is stated per
  row, so the per-row cost is that divided by n (:func:`sparsity_per_row`).
- Refinement (:mod:`deci_core.training.refine`): a move is accepted when its cross-fitted
  log-likelihood gain (every row scored by a model that did not see it), net of ``sparsity *
  ½·log n`` per edge it adds (credited per edge it removes), is at least ``log 20`` ≈ 3.0 nats:
  posterior odds of at least 20 to 1 for the move, under BIC's approximation and even prior odds.

For a linear-Gaussian edge of correlation rho, the log-likelihood an edge buys per row is
``-½·log(1 - rho²)``, so the smallest n at which it is kept is computable
(:func:`rows_to_keep`): below it the edge is dropped, above it kept.

Rows the refinement scores (:func:`score_rows`): scoring a candidate costs time in proportion to
its rows, while the evidence an edge needs grows only with ``log n``. So the refinement scores at
most m rows, the smallest m at which an edge of correlation :data:`RHO_MIN` = 0.05 (0.25% of its
child's variance) is accepted even two standard errors below its expected gain:
``m·a - 2·rho·√m >= log 20 + sparsity·½·log m`` with ``a = -½·log(1 - rho²)`` (the per-row gain
of such an edge has a standard deviation of about rho). That is m = 16,555 rows at the default
sparsity; tables up to that size are scored in full, larger ones on a random subsample of m rows.
"""

from __future__ import annotations

import math

MIN_EVIDENCE_NATS = math.log(20.0)  # odds of 20 to 1 for an accepted move


def edge_cost_nats(rows: int, sparsity: float = 1.0) -> float:
    """Nats one edge must buy over ``rows`` rows: ``sparsity * ½·log n`` (BIC, one parameter)."""
    return sparsity * 0.5 * math.log(max(int(rows), 2))


def sparsity_per_row(rows: int, sparsity: float = 1.0) -> float:
    """The training prior's cost of one expected edge per row (the ELBO is a per-row mean)."""
    return edge_cost_nats(rows, sparsity) / max(int(rows), 1)


def accepts(gain_nats: float, edges_added: int, rows: int, sparsity: float = 1.0) -> bool:
    """Whether a move with this log-likelihood gain (total nats over ``rows`` rows) is accepted."""
    return net_gain(gain_nats, edges_added, rows, sparsity) >= MIN_EVIDENCE_NATS


def net_gain(gain_nats: float, edges_added: int, rows: int, sparsity: float = 1.0) -> float:
    """Log-likelihood gain minus the edges' cost (a removed edge, ``edges_added < 0``, is a credit)."""
    return gain_nats - edges_added * edge_cost_nats(rows, sparsity)


def gaussian_edge_nats_per_row(rho: float) -> float:
    """Log-likelihood per row that a linear-Gaussian parent of correlation rho buys its child."""
    return -0.5 * math.log1p(-rho * rho)


def rows_to_keep(nats_per_row: float, sparsity: float = 1.0) -> int:
    """The smallest n at which an edge buying ``nats_per_row`` (in expectation) is accepted.

    Solves ``n * nats_per_row - sparsity * ½·log n >= log 20`` (its left side grows with n once
    n > sparsity / (2 * nats_per_row)).
    """
    if nats_per_row <= 0:
        raise ValueError("an edge that buys no likelihood is never kept")
    n = max(2, math.ceil(sparsity / (2 * nats_per_row)))
    low, high = n, n
    while not accepts(high * nats_per_row, 1, high, sparsity):
        low, high = high, high * 2
    while low < high:  # smallest accepted n in (low, high]
        mid = (low + high) // 2
        if accepts(mid * nats_per_row, 1, mid, sparsity):
            high = mid
        else:
            low = mid + 1
    return high


RHO_MIN = 0.05
"""The weakest linear-Gaussian edge (correlation) the refinement's row subsample must still resolve."""


def score_rows(rows: int, sparsity: float = 1.0, rho_min: float = RHO_MIN) -> int:
    """Rows the refinement scores: ``min(rows, m)``, m the smallest size that resolves ``rho_min``
    two standard errors below its expected gain (module docstring)."""
    per_row = gaussian_edge_nats_per_row(rho_min)

    def enough(m: int) -> bool:
        return m * per_row - 2 * rho_min * math.sqrt(m) >= MIN_EVIDENCE_NATS + edge_cost_nats(m, sparsity)

    low, high = 2, 1024
    while not enough(high):
        low, high = high, high * 2
    while low < high:
        mid = (low + high) // 2
        low, high = (low, mid) if enough(mid) else (mid + 1, high)
    return min(int(rows), high)
