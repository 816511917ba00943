"""Custom ops for diagram distances: ``topolayer::wasserstein_match`` and
``topolayer::bottleneck_match``.

An optimal matching is combinatorial: it is solved on detached CPU copies of the bars and
returned as *row indices* into the flat bars of one homology dimension (the view of
:mod:`topolayer._bars`), so the distance is recomputed in torch from the matched rows and
autograd differentiates it. As ops with fake kernels, the solvers are opaque nodes for
``torch.compile(fullgraph=True)`` and plain calls under ``torch.func`` transforms.

Both ops take the two flat views ``(bars, batch)`` with the number of items ``batch_size`` of
the result; a *single* diagram (``x_single``/``y_single``) is compared with every item.
Rows are classified as in :func:`topolayer._bars.classify`: finite, essential (finite birth,
infinite death) or filler (ignored). Essential bars are matched among themselves by sorted
births; an item whose two diagrams hold different numbers of them is flagged in ``mismatch``.
"""

from __future__ import annotations

import numpy as np
import torch
from scipy.optimize import linear_sum_assignment

from .. import _core

__all__ = [
    "wasserstein_match",
    "bottleneck_match",
    "dense_wasserstein",
    "solve_bottleneck",
    "EDGE_KINDS",
]

#: Kinds of the edge that realises a bottleneck distance, as the C++ solver numbers them.
EDGE_KINDS = ("none", "pair", "x", "y")

_Plan = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]


# -- costs ------------------------------------------------------------------------------------
def _diag_factor(r: float) -> float:
    return 0.5 if r == float("inf") else 2.0 ** (1.0 / r - 1.0)


def _pair_cost(x: np.ndarray, y: np.ndarray, r: float) -> np.ndarray:
    diff = np.abs(x[:, None, :] - y[None, :, :])
    if r == float("inf"):
        return diff.max(axis=2)
    return (diff**r).sum(axis=2) ** (1.0 / r)


def _diag_cost(x: np.ndarray, r: float) -> np.ndarray:
    return np.abs(x[:, 1] - x[:, 0]) * _diag_factor(r)


# -- the flat views, per item -----------------------------------------------------------------
class _Items:
    """Per-item row numbers of one flat diagram dimension, split into finite and essential."""

    def __init__(self, bars: torch.Tensor, batch: torch.Tensor, single: bool) -> None:
        self.values = bars.detach().to("cpu", torch.float64).numpy().reshape(-1, 2)
        b = batch.detach().cpu().numpy().astype(np.int64)
        n_items = int(b.max()) + 1 if b.size else 1
        birth_ok = np.isfinite(self.values[:, 0])
        fin = birth_ok & np.isfinite(self.values[:, 1])
        ess = birth_ok & np.isinf(self.values[:, 1])
        order = np.argsort(b, kind="stable")
        bounds = np.searchsorted(b[order], np.arange(n_items + 1))
        self.finite: list[np.ndarray] = []
        self.essential: list[np.ndarray] = []
        for i in range(n_items):
            rows = order[bounds[i] : bounds[i + 1]]
            self.finite.append(rows[fin[rows]])
            self.essential.append(rows[ess[rows]])
        self.single = single

    def item(self, i: int) -> tuple[np.ndarray, np.ndarray]:
        j = 0 if self.single else i
        if j >= len(self.finite):  # an item without any row
            empty = np.zeros(0, np.int64)
            return empty, empty
        return self.finite[j], self.essential[j]


def _stack(values: np.ndarray, rows: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """The points ``values[rows[b]]`` of every item, stacked as C-ordered float64, and counts."""
    idx = np.concatenate(rows) if rows else np.zeros(0, np.int64)
    pts = np.ascontiguousarray(values[idx.astype(np.int64)].reshape(-1, 2), dtype=np.float64)
    return pts, np.array([len(r) for r in rows], dtype=np.int64)


def _essential_rows(it1: _Items, it2: _Items, batch_size: int) -> tuple[np.ndarray, np.ndarray]:
    """``(K, 3)`` rows ``(item, row1, row2)`` of essential bars matched by sorted births, and
    the ``(B,)`` flags of items whose essential counts differ (those get no rows)."""
    parts = []
    mismatch = np.zeros(batch_size, dtype=bool)
    for b in range(batch_size):
        e1, e2 = it1.item(b)[1], it2.item(b)[1]
        if len(e1) != len(e2):
            mismatch[b] = True
            continue
        s1 = e1[np.argsort(it1.values[e1, 0], kind="stable")]
        s2 = e2[np.argsort(it2.values[e2, 0], kind="stable")]
        parts.append(np.stack([np.full(len(s1), b), s1, s2], axis=1))
    rows = np.concatenate(parts) if parts else np.zeros((0, 3))
    return rows.astype(np.int64).reshape(-1, 3), mismatch


# -- Wasserstein ------------------------------------------------------------------------------
def dense_wasserstein(x: np.ndarray, y: np.ndarray, p: float, r: float) -> _Plan:
    """Optimal matching ``(i, j, i_diag, j_diag)`` of ``x`` (n, 2) and ``y`` (m, 2) by the
    Hungarian algorithm on the dense augmented cost matrix."""
    n, m = len(x), len(y)
    if n == 0 or m == 0:
        return np.zeros(0, int), np.zeros(0, int), np.arange(n), np.arange(m)
    # Augmented (n+m) x (m+n) matrix: columns m.. are diagonal copies of the x points, rows
    # n.. are diagonal copies of the y points; diagonal-to-diagonal costs 0.
    cost = np.zeros((n + m, m + n))
    cost[:n, :m] = _pair_cost(x, y, r) ** p
    dx = np.full((n, n), np.inf)
    np.fill_diagonal(dx, _diag_cost(x, r) ** p)
    dy = np.full((m, m), np.inf)
    np.fill_diagonal(dy, _diag_cost(y, r) ** p)
    cost[:n, m:] = dx
    cost[n:, :m] = dy
    rows, cols = linear_sum_assignment(cost)
    real = (rows < n) & (cols < m)
    return (
        rows[real],
        cols[real],
        rows[(rows < n) & (cols >= m)],
        cols[(rows >= n) & (cols < m)],
    )


def _wasserstein_plans(
    it1: _Items, it2: _Items, batch_size: int, p: float, r: float, n_threads: int, dense_max: int
) -> list[_Plan]:
    """Per item, the optimal matching of its finite points (positions in the item's finite
    rows): scipy for items up to ``dense_max`` points, one threaded C++ call for the others."""
    plans: list[_Plan | None] = [None] * batch_size
    big: list[int] = []
    for b in range(batch_size):
        r1, r2 = it1.item(b)[0], it2.item(b)[0]
        if len(r1) + len(r2) <= dense_max:
            plans[b] = dense_wasserstein(it1.values[r1], it2.values[r2], p, r)
        else:
            big.append(b)
    if big:
        x, cx = _stack(it1.values, [it1.item(b)[0] for b in big])
        y, cy = _stack(it2.values, [it2.item(b)[0] for b in big])
        pairs, diag_x, diag_y = _core.wasserstein_matchings(x, cx, y, cy, p, r, n_threads)
        # The rows come in item order: split them at the item boundaries.
        items = np.arange(len(big) + 1)
        bp, bx, by = (np.searchsorted(a[:, 0], items) for a in (pairs, diag_x, diag_y))
        for k, b in enumerate(big):
            pk = pairs[bp[k] : bp[k + 1]]
            plans[b] = (
                pk[:, 1],
                pk[:, 2],
                diag_x[bx[k] : bx[k + 1], 1],
                diag_y[by[k] : by[k + 1], 1],
            )
    return [pl for pl in plans if pl is not None]


def _with_item(b: int, *cols: np.ndarray) -> np.ndarray:
    n = len(cols[0])
    return np.stack([np.full(n, b, np.int64), *(c.astype(np.int64) for c in cols)], axis=1)


def _cat(parts: list[np.ndarray], width: int) -> np.ndarray:
    return np.concatenate(parts) if parts else np.zeros((0, width), np.int64)


@torch.library.custom_op("topolayer::wasserstein_match", mutates_args=())
def wasserstein_match(
    x: torch.Tensor,
    x_batch: torch.Tensor,
    y: torch.Tensor,
    y_batch: torch.Tensor,
    batch_size: int,
    x_single: bool,
    y_single: bool,
    p: float,
    r: float,
    n_threads: int,
    dense_max: int,
) -> list[torch.Tensor]:
    """Optimal ``p``-Wasserstein matchings (ground norm ``L_r``) of every item.

    Returns ``[pairs (K, 3), diag_x (K1, 2), diag_y (K2, 2), essential (K3, 3), mismatch (B,)]``:
    rows ``(item, row of x, row of y)`` of matched finite points, ``(item, row)`` of points
    sent to the diagonal, matched essential bars, and the items whose essential counts differ.
    Items with ``n + m <= dense_max`` finite points use scipy's dense Hungarian algorithm, the
    others the C++ solvers (wasserstein.hpp) on ``n_threads`` threads (0: every core).
    """
    it1, it2 = _Items(x, x_batch, x_single), _Items(y, y_batch, y_single)
    plans = _wasserstein_plans(it1, it2, batch_size, p, r, n_threads, dense_max)
    pairs, dx, dy = [], [], []
    for b in range(batch_size):
        r1, r2 = it1.item(b)[0], it2.item(b)[0]
        i, j, ii, jj = plans[b]
        pairs.append(_with_item(b, r1[i], r2[j]))
        dx.append(_with_item(b, r1[ii]))
        dy.append(_with_item(b, r2[jj]))
    ess, mismatch = _essential_rows(it1, it2, batch_size)
    out = [_cat(pairs, 3), _cat(dx, 2), _cat(dy, 2), ess]
    dev = x.device
    return [torch.from_numpy(a).to(dev) for a in out] + [torch.from_numpy(mismatch).to(dev)]


@wasserstein_match.register_fake
def _wasserstein_match_fake(x, x_batch, y, y_batch, batch_size, x_single, y_single, *args):
    ctx = torch.library.get_ctx()
    return [
        x.new_empty((ctx.new_dynamic_size(), 3), dtype=torch.int64),
        x.new_empty((ctx.new_dynamic_size(), 2), dtype=torch.int64),
        x.new_empty((ctx.new_dynamic_size(), 2), dtype=torch.int64),
        x.new_empty((ctx.new_dynamic_size(), 3), dtype=torch.int64),
        x.new_empty((batch_size,), dtype=torch.bool),
    ]


# -- bottleneck -------------------------------------------------------------------------------
def solve_bottleneck(x: np.ndarray, y: np.ndarray, r: float) -> tuple[str, int, int]:
    """The edge realising the bottleneck distance of finite points ``x`` and ``y``:
    ``(kind, i, j)`` with kind ``"pair"`` (x_i with y_j), ``"x"`` (x_i with the diagonal),
    ``"y"`` (y_j with the diagonal) or ``"none"`` (no point at all)."""
    x = np.ascontiguousarray(x, dtype=np.float64).reshape(-1, 2)
    y = np.ascontiguousarray(y, dtype=np.float64).reshape(-1, 2)
    kind, i, j = _core.bottleneck_matchings(x, np.array([len(x)]), y, np.array([len(y)]), r, 1)[0]
    return EDGE_KINDS[kind], int(i), int(j)


@torch.library.custom_op("topolayer::bottleneck_match", mutates_args=())
def bottleneck_match(
    x: torch.Tensor,
    x_batch: torch.Tensor,
    y: torch.Tensor,
    y_batch: torch.Tensor,
    batch_size: int,
    x_single: bool,
    y_single: bool,
    r: float,
    n_threads: int,
) -> list[torch.Tensor]:
    """The edge realising the bottleneck distance (ground norm ``L_r``) of every item.

    Returns ``[edges (B, 3), essential (K, 3), mismatch (B,)]``: per item ``(kind, row of x,
    row of y)`` with ``kind`` numbered as :data:`EDGE_KINDS` (rows ``-1`` where unused), the
    matched essential bars and the items whose essential counts differ.
    """
    it1, it2 = _Items(x, x_batch, x_single), _Items(y, y_batch, y_single)
    x_pts, x_counts = _stack(it1.values, [it1.item(b)[0] for b in range(batch_size)])
    y_pts, y_counts = _stack(it2.values, [it2.item(b)[0] for b in range(batch_size)])
    raw = _core.bottleneck_matchings(x_pts, x_counts, y_pts, y_counts, r, n_threads)
    edges = np.full((batch_size, 3), -1, np.int64)
    for b in range(batch_size):
        kind, i, j = (int(v) for v in raw[b])
        edges[b, 0] = kind
        if EDGE_KINDS[kind] in ("pair", "x"):
            edges[b, 1] = it1.item(b)[0][i]
        if EDGE_KINDS[kind] in ("pair", "y"):
            edges[b, 2] = it2.item(b)[0][j]
    ess, mismatch = _essential_rows(it1, it2, batch_size)
    dev = x.device
    return [torch.from_numpy(a).to(dev) for a in (edges, ess, mismatch)]


@bottleneck_match.register_fake
def _bottleneck_match_fake(x, x_batch, y, y_batch, batch_size, *args):
    ctx = torch.library.get_ctx()
    return [
        x.new_empty((batch_size, 3), dtype=torch.int64),
        x.new_empty((ctx.new_dynamic_size(), 3), dtype=torch.int64),
        x.new_empty((batch_size,), dtype=torch.bool),
    ]
