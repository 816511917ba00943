r"""Wasserstein and bottleneck distances between persistence diagrams, differentiable.

The optimal matching is combinatorial, so it is solved exactly on detached CPU copies
(:func:`scipy.optimize.linear_sum_assignment` on the augmented cost matrix for Wasserstein, a
threshold search with maximum bipartite matchings for the bottleneck); the distance is then
**recomputed in torch from the matched entries**, so autograd differentiates it with respect
to both diagrams (the matching being locally constant for generic diagrams).

Ground metric and diagonal. Points ``x = (b, d)`` are compared with the ``L_r`` norm
(``r = internal_p``, default ``inf`` as in persim and GUDHI):

.. math:: c(x, y) = \|x - y\|_r, \qquad
          c(x, \Delta) = \min_t \|x - (t, t)\|_r = 2^{1/r - 1}\,|d - b|

(``|d - b| / 2`` for ``r = inf``). A finite point is matched either to a finite point of the
other diagram or to the diagonal.

Essential bars (finite birth, infinite death) are matched among themselves, by sorting their
births (optimal on the line for every ``p >= 1``), at cost ``|b - b'|`` — GUDHI's
``keep_essential_parts=True`` rule. If the two diagrams hold different numbers of essential
bars in the dimension, the distance is ``inf``. ``essential="ignore"`` drops them instead.
Padding rows (non-finite birth) are ignored.

Batches: two :class:`~topolayer.diagram.DiagramBatch` of the same size give one distance per
item (shaped by the first batch's ``batch_shape``, written ``(B,)``); a batch against a single
diagram compares every item with that diagram.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
from scipy.optimize import linear_sum_assignment
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import maximum_bipartite_matching

from . import _bars, _validate
from ._bars import Flat

__all__ = ["wasserstein_distance", "bottleneck_distance", "wasserstein_matching"]


# -- costs (NumPy for the solver, torch for the value) --------------------------------------
def _diag_factor(r: float) -> float:
    return 0.5 if r == float("inf") else 2.0 ** (1.0 / r - 1.0)


def _np_pair_cost(x: np.ndarray, y: np.ndarray, r: float) -> np.ndarray:
    diff = np.abs(x[:, None, :] - y[None, :, :])
    if r == float("inf"):
        return diff.max(axis=2)
    return (diff**r).sum(axis=2) ** (1.0 / r)


def _np_diag_cost(x: np.ndarray, r: float) -> np.ndarray:
    return np.abs(x[:, 1] - x[:, 0]) * _diag_factor(r)


def _t_pair_cost(x: torch.Tensor, y: torch.Tensor, r: float) -> torch.Tensor:
    diff = (x - y).abs()
    if r == float("inf"):
        return diff.amax(dim=1) if len(diff) else diff.sum(dim=1)
    return _bars.safe_root(_bars.safe_pow(diff, r).sum(dim=1), r)


def _t_diag_cost(x: torch.Tensor, r: float) -> torch.Tensor:
    return (x[:, 1] - x[:, 0]).abs() * _diag_factor(r)


# -- input handling ---------------------------------------------------------------------------
def _pair_inputs(dgm1: Any, dgm2: Any, dim: int) -> tuple[Flat, Flat, int]:
    f1 = _bars.flatten(dgm1, dim, "dgm1")
    f2 = _bars.flatten(dgm2, dim, "dgm2")
    if f1.superlevel != f2.superlevel:
        raise ValueError("dgm1 and dgm2 must both be sublevel or both superlevel diagrams")
    if f1.bars.device != f2.bars.device:
        raise ValueError(
            f"dgm1 and dgm2 are on different devices: {f1.bars.device}, {f2.bars.device}"
        )
    if not f1.single and not f2.single and f1.batch_size != f2.batch_size:
        raise ValueError(
            f"dgm1 and dgm2 have different batch sizes: {f1.batch_size} and {f2.batch_size}"
        )
    batch_size = f2.batch_size if f1.single else f1.batch_size
    return f1, f2, batch_size


class _Items:
    """Per-item row indices of one flat diagram dimension, split into finite and essential."""

    def __init__(self, f: Flat) -> None:
        finite, essential = _bars.classify(f.bars)
        self.values = f.bars.detach().to("cpu", torch.float64).numpy()
        batch = f.batch.cpu().numpy()
        fin = finite.cpu().numpy()
        ess = essential.cpu().numpy()
        order = np.argsort(batch, kind="stable")
        bounds = np.searchsorted(batch[order], np.arange(f.batch_size + 1))
        self.finite: list[np.ndarray] = []
        self.essential: list[np.ndarray] = []
        for i in range(f.batch_size):
            rows = order[bounds[i] : bounds[i + 1]]
            self.finite.append(rows[fin[rows]])
            self.essential.append(rows[ess[rows]])
        self.single = f.single

    def item(self, i: int) -> tuple[np.ndarray, np.ndarray]:
        j = 0 if self.single else i
        return self.finite[j], self.essential[j]


def _match_essential(
    v1: np.ndarray, v2: np.ndarray, e1: np.ndarray, e2: np.ndarray
) -> tuple[np.ndarray, np.ndarray, bool]:
    """Rows of essential bars matched by sorted births; ``ok`` False if counts differ."""
    if len(e1) != len(e2):
        return e1[:0], e2[:0], False
    s1 = e1[np.argsort(v1[e1, 0], kind="stable")]
    s2 = e2[np.argsort(v2[e2, 0], kind="stable")]
    return s1, s2, True


def _check_essential(essential: str) -> bool:
    if essential not in ("match", "ignore"):
        raise ValueError(f"essential must be 'match' or 'ignore', got {essential!r}")
    return essential == "match"


def _check_internal_p(internal_p: Any) -> float:
    r = _validate.check_positive(internal_p, "internal_p", allow_inf=True)
    if r < 1:
        raise ValueError(f"internal_p must be >= 1, got {internal_p}")
    return r


# -- Wasserstein ------------------------------------------------------------------------------
def _solve_wasserstein(
    x: np.ndarray, y: np.ndarray, p: float, r: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Optimal matching of finite points ``x`` (n,2), ``y`` (m,2) with the diagonal.

    Returns ``(i, j, i_diag, j_diag)``: matched pairs and the points sent to the diagonal.
    """
    n, m = len(x), len(y)
    if n == 0 or m == 0:
        return np.zeros(0, int), np.zeros(0, int), np.arange(n), np.arange(m)
    # Augmented (n+m) x (m+n) matrix: columns m.. are diagonal copies of the x points, rows
    # n.. are diagonal copies of the y points; diagonal-to-diagonal costs 0.
    big = np.inf
    cost = np.zeros((n + m, m + n))
    cost[:n, :m] = _np_pair_cost(x, y, r) ** p
    dx = np.full((n, n), big)
    np.fill_diagonal(dx, _np_diag_cost(x, r) ** p)
    dy = np.full((m, m), big)
    np.fill_diagonal(dy, _np_diag_cost(y, r) ** p)
    cost[:n, m:] = dx
    cost[n:, :m] = dy
    rows, cols = linear_sum_assignment(cost)
    real = (rows < n) & (cols < m)
    i, j = rows[real], cols[real]
    i_diag = rows[(rows < n) & (cols >= m)]
    j_diag = cols[(rows >= n) & (cols < m)]
    return i, j, i_diag, j_diag


def wasserstein_matching(
    dgm1: Any, dgm2: Any, dim: int = 0, p: float = 1.0, internal_p: float = float("inf")
) -> list[dict[str, np.ndarray]]:
    """The optimal matchings behind :func:`wasserstein_distance`, for inspection.

    Parameters
    ----------
    dgm1, dgm2 : Diagram, DiagramBatch or (dgms, issublevel) tuple
        The diagrams (as for :func:`wasserstein_distance`).
    dim : int
        Homology dimension.
    p : float
        Order, ``p >= 1``.
    internal_p : float
        Ground norm, ``>= 1`` (``inf`` allowed).

    Returns
    -------
    list of dict
        One dict per batch item with int arrays ``pairs`` (K, 2) (rows of ``dgm1[dim]`` and
        ``dgm2[dim]`` matched together, finite and essential), ``diag1`` and ``diag2`` (rows
        sent to the diagonal). Row numbers index the flat bars of the dimension.

    Raises
    ------
    TypeError, ValueError
        As :func:`wasserstein_distance`.

    Examples
    --------
    >>> import torch
    >>> from topolayer.diagram import Diagram
    >>> a = Diagram([torch.tensor([[0.0, 1.0], [0.0, 5.0]])])
    >>> b = Diagram([torch.tensor([[0.0, 4.0]])])
    >>> m = wasserstein_matching(a, b, 0)[0]
    >>> m["pairs"].tolist(), m["diag1"].tolist(), m["diag2"].tolist()
    ([[1, 0]], [0], [])
    """
    p = _check_order(p)
    r = _check_internal_p(internal_p)
    f1, f2, batch_size = _pair_inputs(dgm1, dgm2, dim)
    it1, it2 = _Items(f1), _Items(f2)
    out = []
    for b in range(batch_size):
        r1, e1 = it1.item(b)
        r2, e2 = it2.item(b)
        i, j, di, dj = _solve_wasserstein(it1.values[r1], it2.values[r2], p, r)
        s1, s2, _ = _match_essential(it1.values, it2.values, e1, e2)
        pairs = np.stack([np.concatenate([r1[i], s1]), np.concatenate([r2[j], s2])], axis=1)
        out.append({"pairs": pairs.astype(np.int64), "diag1": r1[di], "diag2": r2[dj]})
    return out


def _check_order(p: Any) -> float:
    p = _validate.check_positive(p, "p")
    if p < 1:
        raise ValueError(f"p must be >= 1 for a Wasserstein distance, got {p}")
    return p


def wasserstein_distance(
    dgm1: Any,
    dgm2: Any,
    dim: int = 0,
    p: float = 1.0,
    internal_p: float = float("inf"),
    essential: str = "match",
) -> torch.Tensor:
    r"""The ``p``-Wasserstein distance between two persistence diagrams, differentiable.

    .. math:: W_p(X, Y) = \Big(\min_{\gamma} \sum_{x \in X} c(x, \gamma(x))^p
              + \sum_{\text{essential}} |b - b'|^p\Big)^{1/p}

    over partial matchings ``gamma`` of the finite points, unmatched points going to the
    diagonal (module docstring for ``c`` and the essential rule). The matching is exact
    (Hungarian algorithm); the value is recomputed in torch from the matched entries, so it is
    differentiable with respect to both diagrams. The ``1/p`` root has a zero subgradient at 0.

    Parameters
    ----------
    dgm1, dgm2 : Diagram, DiagramBatch or (dgms, issublevel) tuple
        The diagrams; both sublevel or both superlevel. Two batches must have equal sizes; a
        single diagram against a batch is compared with every item.
    dim : int
        Homology dimension.
    p : float
        Order, ``p >= 1``.
    internal_p : float
        Ground norm ``r >= 1`` (``inf``: the max norm, persim's and GUDHI's default).
    essential : {"match", "ignore"}
        Match essential bars by birth (different counts give ``inf``), or drop them.

    Returns
    -------
    () or (B,) Tensor
        Distances, in the bars' dtype and on their device.

    Raises
    ------
    TypeError, ValueError
        On bad diagrams, ``dim``, ``p`` (``p < 1``), ``internal_p`` (``< 1``), ``essential``,
        mismatched batch sizes, sub/superlevel mixed, or devices differing.

    Examples
    --------
    >>> import torch
    >>> from topolayer.diagram import Diagram
    >>> a = Diagram([torch.tensor([[0.0, 1.0], [0.0, 5.0]])])
    >>> b = Diagram([torch.tensor([[0.0, 4.0]])])
    >>> wasserstein_distance(a, b, 0, p=1)    # |5 - 4| + diagonal cost 1/2
    tensor(1.5000)
    >>> wasserstein_distance(a, b, 0, p=2)    # sqrt(1 + 1/4)
    tensor(1.1180)
    """
    p = _check_order(p)
    r = _check_internal_p(internal_p)
    keep_essential = _check_essential(essential)
    f1, f2, batch_size = _pair_inputs(dgm1, dgm2, dim)
    it1, it2 = _Items(f1), _Items(f2)
    pi, pj, pb, di, db, dj, djb, ei, ej, eb = ([] for _ in range(10))
    mismatch = np.zeros(batch_size, dtype=bool)
    for b in range(batch_size):
        r1, e1 = it1.item(b)
        r2, e2 = it2.item(b)
        i, j, ii, jj = _solve_wasserstein(it1.values[r1], it2.values[r2], p, r)
        pi.append(r1[i])
        pj.append(r2[j])
        pb.append(np.full(len(i), b))
        di.append(r1[ii])
        db.append(np.full(len(ii), b))
        dj.append(r2[jj])
        djb.append(np.full(len(jj), b))
        if keep_essential:
            s1, s2, ok = _match_essential(it1.values, it2.values, e1, e2)
            mismatch[b] = not ok
            ei.append(s1)
            ej.append(s2)
            eb.append(np.full(len(s1), b))
    x, y = f1.bars, f2.bars
    dev = x.device

    def idx(parts: list[np.ndarray]) -> torch.Tensor:
        arr = np.concatenate(parts) if parts else np.zeros(0, np.int64)
        return torch.as_tensor(arr.astype(np.int64), device=dev)

    terms = [
        (_t_pair_cost(x[idx(pi)], y[idx(pj)], r) ** p, idx(pb)),
        (_t_diag_cost(x[idx(di)], r) ** p, idx(db)),
        (_t_diag_cost(y[idx(dj)], r) ** p, idx(djb)),
    ]
    if keep_essential:
        e_x, e_y = x[idx(ei), 0], y[idx(ej), 0]
        terms.append(((e_x - e_y).abs() ** p, idx(eb)))
    total = _bars.anchor(x) + _bars.anchor(y) + x.new_zeros(batch_size)
    for vals, bidx in terms:
        total = total + _bars.segment_sum(vals, bidx, batch_size)
    if mismatch.any():
        total = total + torch.as_tensor(np.where(mismatch, np.inf, 0.0), dtype=x.dtype, device=dev)
    out = _bars.safe_root(total, p)
    return _bars.finish(out, f2 if f1.single else f1)


# -- bottleneck -------------------------------------------------------------------------------
def _solve_bottleneck(x: np.ndarray, y: np.ndarray, r: float) -> tuple[str, int, int]:
    """The edge realising the bottleneck distance of finite points ``x`` and ``y``.

    Returns ``(kind, i, j)`` with kind ``"pair"`` (x_i with y_j), ``"x"`` (x_i with the
    diagonal), ``"y"`` (y_j with the diagonal) or ``"none"`` (no point at all).

    The threshold search: the distance is one of the candidate costs; the smallest
    candidate ``t`` for which the bipartite graph of edges with cost ``<= t`` (points to points,
    points to their own diagonal copy, diagonal copies to each other) has a perfect matching.
    """
    n, m = len(x), len(y)
    if n == 0 and m == 0:
        return "none", -1, -1
    cxy = _np_pair_cost(x, y, r) if n and m else np.zeros((n, m))
    cx = _np_diag_cost(x, r)
    cy = _np_diag_cost(y, r)
    cand = np.unique(np.concatenate([cxy.ravel(), cx, cy]))

    def matching(t: float) -> np.ndarray | None:
        # rows: x_0..x_{n-1}, diag copies of y (n..n+m-1); cols: y_0..y_{m-1}, diag copies of x
        rows, cols = [], []
        ii, jj = np.nonzero(cxy <= t)
        rows.append(ii)
        cols.append(jj)
        ix = np.nonzero(cx <= t)[0]
        rows.append(ix)
        cols.append(m + ix)
        jy = np.nonzero(cy <= t)[0]
        rows.append(n + jy)
        cols.append(jy)
        dd_r, dd_c = np.meshgrid(np.arange(n, n + m), np.arange(m, m + n), indexing="ij")
        rows.append(dd_r.ravel())
        cols.append(dd_c.ravel())
        rr, cc = np.concatenate(rows), np.concatenate(cols)
        g = csr_matrix((np.ones(len(rr)), (rr, cc)), shape=(n + m, m + n))
        match = maximum_bipartite_matching(g, perm_type="column")
        return match if (match >= 0).all() else None

    lo, hi = 0, len(cand) - 1
    while lo < hi:
        mid = (lo + hi) // 2
        if matching(cand[mid]) is not None:
            hi = mid
        else:
            lo = mid + 1
    t = cand[lo]
    match = matching(t)
    assert match is not None
    # The largest matched cost equals t (else a smaller candidate would be feasible).
    best = ("none", -1, -1, -1.0)
    for row, col in enumerate(match):
        if row < n and col < m:
            c, edge = cxy[row, col], ("pair", row, int(col))
        elif row < n:
            c, edge = cx[row], ("x", row, -1)
        elif col < m:
            c, edge = cy[col], ("y", -1, int(col))
        else:
            continue
        if c > best[3]:
            best = (*edge, c)
    return best[0], best[1], best[2]


def bottleneck_distance(
    dgm1: Any,
    dgm2: Any,
    dim: int = 0,
    internal_p: float = float("inf"),
    essential: str = "match",
) -> torch.Tensor:
    r"""The bottleneck distance between two persistence diagrams, differentiable.

    .. math:: W_\infty(X, Y) = \max\Big(\min_{\gamma} \max_{x} c(x, \gamma(x)),\;
              \max_{\text{essential}} |b - b'|\Big)

    with unmatched finite points going to the diagonal (module docstring). The optimal
    threshold is found exactly (binary search over the candidate costs with maximum bipartite
    matchings); the value is then the torch cost of the one edge that realises it (or of the
    worst essential pair), so the gradient flows to the two points (or the one point and the
    diagonal) of that edge.

    Parameters
    ----------
    dgm1, dgm2 : Diagram, DiagramBatch or (dgms, issublevel) tuple
        As for :func:`wasserstein_distance`.
    dim : int
        Homology dimension.
    internal_p : float
        Ground norm ``r >= 1`` (``inf``, the default, is GUDHI's and persim's).
    essential : {"match", "ignore"}
        Match essential bars by birth (different counts give ``inf``), or drop them.

    Returns
    -------
    () or (B,) Tensor

    Raises
    ------
    TypeError, ValueError
        As :func:`wasserstein_distance`.

    Examples
    --------
    >>> import torch
    >>> from topolayer.diagram import Diagram
    >>> a = Diagram([torch.tensor([[0.0, 1.0], [0.0, 5.0]])])
    >>> b = Diagram([torch.tensor([[0.0, 4.0]])])
    >>> bottleneck_distance(a, b, 0)
    tensor(1.)
    """
    r = _check_internal_p(internal_p)
    keep_essential = _check_essential(essential)
    f1, f2, batch_size = _pair_inputs(dgm1, dgm2, dim)
    it1, it2 = _Items(f1), _Items(f2)
    pi, pj, pb, di, db, dj, djb, ei, ej, eb = ([] for _ in range(10))
    mismatch = np.zeros(batch_size, dtype=bool)
    for b in range(batch_size):
        r1, e1 = it1.item(b)
        r2, e2 = it2.item(b)
        kind, i, j = _solve_bottleneck(it1.values[r1], it2.values[r2], r)
        if kind == "pair":
            pi.append(r1[[i]])
            pj.append(r2[[j]])
            pb.append([b])
        elif kind == "x":
            di.append(r1[[i]])
            db.append([b])
        elif kind == "y":
            dj.append(r2[[j]])
            djb.append([b])
        if keep_essential:
            s1, s2, ok = _match_essential(it1.values, it2.values, e1, e2)
            mismatch[b] = not ok
            ei.append(s1)
            ej.append(s2)
            eb.append(np.full(len(s1), b))
    x, y = f1.bars, f2.bars
    dev = x.device

    def idx(parts: list[Any]) -> torch.Tensor:
        arr = np.concatenate([np.asarray(a, np.int64) for a in parts]) if parts else np.zeros(0)
        return torch.as_tensor(arr.astype(np.int64), device=dev)

    vals = [
        _t_pair_cost(x[idx(pi)], y[idx(pj)], r),
        _t_diag_cost(x[idx(di)], r),
        _t_diag_cost(y[idx(dj)], r),
    ]
    items = [idx(pb), idx(db), idx(djb)]
    if keep_essential:
        vals.append((x[idx(ei), 0] - y[idx(ej), 0]).abs())
        items.append(idx(eb))
    v = torch.cat(vals)
    bi = torch.cat(items)
    base = _bars.anchor(x) + _bars.anchor(y) + x.new_zeros(batch_size)
    out = base.scatter_reduce(0, bi, v, reduce="amax", include_self=True)
    if mismatch.any():
        out = out + torch.as_tensor(np.where(mismatch, np.inf, 0.0), dtype=x.dtype, device=dev)
    return _bars.finish(out, f2 if f1.single else f1)
