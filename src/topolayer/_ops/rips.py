"""Custom op for Vietoris–Rips persistence: ``topolayer::rips_pairs``.

The C++ core runs on a flat batch of point clouds (or distance matrices) and finds, per bar,
the critical edges. The op returns the result contract of :mod:`topolayer._ops`: a cell is the
edge ``u * N + v`` of the item's ``N x N`` distance matrix (an H0 birth is the vertex
``v * N + v``, value 0). For distance matrices the positions are those entries of the input;
for points they index the lengths of a ``(C, 2)`` table of critical edges (global point ids),
which the caller computes in torch, so gradients reach the points.
"""

from __future__ import annotations

import math
from typing import Literal

import numpy as np
import torch

from .. import _core
from .._delaunay import delaunay_edges
from . import fake_pairs, host_array, vmap_clouds

__all__ = ["rips_pairs", "METHODS"]

#: Rips algorithms: ``"auto"`` picks one of the others from the input.
METHODS = ("auto", "dense", "delaunay", "sparse")
Method = Literal["auto", "dense", "delaunay", "sparse"]

# Below this many points the dense O(N^2) spanning tree beats building a Delaunay triangulation.
_DELAUNAY_MIN_POINTS = 512
# With a threshold, from this many points on the sparse variant (memory O(N + E)) is used.
_SPARSE_MIN_POINTS = 1500


@torch.library.custom_op("topolayer::rips_pairs", mutates_args=())
def rips_pairs(
    data: torch.Tensor,
    counts: torch.Tensor,
    max_dim: int,
    threshold: float,
    precomputed: bool,
    keep_zero: bool,
    n_threads: int,
    memory_budget: float,
    method: str,
) -> list[torch.Tensor]:
    """Critical edges of Vietoris–Rips persistence, in the result contract of
    :mod:`topolayer._ops` (with a ``(C, 2)`` edge table when ``precomputed`` is False).

    Parameters
    ----------
    data : (M, D) float Tensor, or (sum N_i^2,) float Tensor when ``precomputed``
        The points of every item stacked, or every distance matrix flattened and concatenated.
    counts : (B,) int64 Tensor
        Number of points of each item.
    max_dim : int
    threshold : float
        Largest edge length (``inf``: none).
    precomputed, keep_zero : bool
    n_threads : int
        0 uses every core.
    memory_budget : float
        Bytes; larger dense problems raise ``ValueError``.
    method : {"auto", "dense", "delaunay", "sparse"}
        ``"delaunay"``: H0 through the Delaunay graph (2D/3D points, ``max_dim == 0``, no
        threshold); ``"sparse"``: points with a finite threshold (k-d tree range query, then
        adjacency lists). ``"auto"`` picks Delaunay for H0 of >= 512 points and sparse for a
        threshold with >= 1500 points or a dense table over ``memory_budget``.
    """
    x = host_array(data)
    c = np.ascontiguousarray(counts.detach().cpu().numpy().astype(np.int64))
    raw = _raw_rows(
        x, c, max_dim, threshold, precomputed, keep_zero, n_threads, memory_budget, method
    )
    out = _contract(raw, c, precomputed, x.size)
    return [torch.from_numpy(a).to(data.device) for a in out]


@rips_pairs.register_fake
def _rips_pairs_fake(
    data, counts, max_dim, threshold, precomputed, keep_zero, n_threads, memory_budget, method
):
    return fake_pairs(data, max_dim, 0 if precomputed else 2)


@rips_pairs.register_vmap
def _rips_pairs_vmap(
    info,
    in_dims,
    data,
    counts,
    max_dim,
    threshold,
    precomputed,
    keep_zero,
    n_threads,
    budget,
    method,
):
    args = (max_dim, threshold, precomputed, keep_zero, n_threads, budget, method)
    return vmap_clouds(rips_pairs, in_dims, data, counts, args, max_dim + 1)


def _raw_rows(x, c, max_dim, threshold, precomputed, keep_zero, n_threads, budget, method):
    """Per dimension the core's ``(n_k, 5)`` rows ``(item, birth_u, birth_v, death_u, death_v)``.

    The core squares distances; points whose coordinates are so large or small that the squares
    would overflow or underflow are first scaled by a power of two (with the threshold), which
    is exact and keeps every comparison, so the pairs are those of exact arithmetic.
    """
    if not precomputed and x.size and _needs_rescale(x):
        return _rescaled_rows(x, c, max_dim, threshold, keep_zero, n_threads, budget, method)
    n_max = int(c.max()) if c.size else 0
    use_delaunay = (
        not precomputed
        and max_dim == 0
        and not np.isfinite(threshold)
        and x.ndim == 2
        and x.shape[1] in (2, 3)
        and (method == "delaunay" or (method == "auto" and n_max >= _DELAUNAY_MIN_POINTS))
    )
    use_sparse = (
        not precomputed
        and np.isfinite(threshold)
        and (
            method == "sparse"
            or (
                method == "auto"
                and (n_max >= _SPARSE_MIN_POINTS or n_max * n_max * x.itemsize > budget)
            )
        )
    )
    if use_delaunay:
        return [_delaunay_h0(x, c, keep_zero, n_threads, budget)]
    if use_sparse:
        return _sparse(x, c, max_dim, threshold, keep_zero, n_threads, budget)
    if precomputed:
        return _core.rips_matrices(
            x.reshape(-1), c, max_dim, threshold, keep_zero, n_threads, budget
        )
    return _core.rips_points(x, c, max_dim, threshold, keep_zero, n_threads, budget)


# Largest |exponent| of the coordinates for which squared distances stay normal in the core.
_SAFE_EXPONENT = {np.dtype(np.float32): 40, np.dtype(np.float64): 400}


def _needs_rescale(x: np.ndarray) -> bool:
    m = float(np.abs(x).max())
    if m == 0.0:
        return False
    e = math.frexp(m)[1]
    return abs(e) > _SAFE_EXPONENT[x.dtype]


def _rescaled_rows(x, c, max_dim, threshold, keep_zero, n_threads, budget, method):
    """``_raw_rows`` item by item, each scaled by the power of two that brings its largest
    coordinate to [0.5, 1)."""
    starts = np.cumsum(c) - c
    parts: list[list[np.ndarray]] = [[] for _ in range(max_dim + 1)]
    for i, (s, n) in enumerate(zip(starts, c, strict=True)):
        pts = x[s : s + n]
        m = float(np.abs(pts).max()) if n else 0.0
        e = math.frexp(m)[1] if m > 0 else 0
        pts = np.ascontiguousarray(np.ldexp(pts, -e).astype(x.dtype))
        thr = math.ldexp(threshold, -e) if math.isfinite(threshold) else threshold
        one = np.array([n], dtype=np.int64)
        for k, r in enumerate(
            _raw_rows(pts, one, max_dim, thr, False, keep_zero, n_threads, budget, method)
        ):
            r = np.array(r)
            r[:, 0] = i
            parts[k].append(r)
    return [np.concatenate(p) if p else np.zeros((0, 5), dtype=np.int64) for p in parts]


def _contract(raw, counts: np.ndarray, precomputed: bool, n_values: int) -> list[np.ndarray]:
    """The core's ``(item, bu, bv, du, dv)`` rows as rows, positions and (for points) the edge
    table of the result contract."""
    rows, pos, cells = [], [], []
    n_cells = 0 if precomputed else 2 * sum(len(r) for r in raw)
    end = n_values if precomputed else n_cells  # position of +inf; end + 1 holds 0
    starts = np.cumsum(counts) - counts
    if precomputed:
        starts = np.cumsum(counts * counts) - counts * counts
    offset = 0
    for r in raw:
        r = np.asarray(r)
        item, bu, bv, du, dv = r.T
        n = counts[item]
        essential = du < 0
        rows.append(np.stack([item, bu * n + bv, np.where(essential, -1, du * n + dv)], 1))
        if precomputed:
            base = starts[item]
            pb = np.where(bu == bv, end + 1, base + bu * n + bv)
            pd = np.where(essential, end, base + du * n + dv)
        else:
            s = starts[item]
            k = len(r)
            cells.append(np.stack([s + bu, s + bv], 1))
            cells.append(np.stack([s + np.maximum(du, 0), s + np.maximum(dv, 0)], 1))
            ids = offset + np.arange(k, dtype=np.int64)
            pb = np.where(bu == bv, end + 1, ids)
            pd = np.where(essential, end, ids + k)
            offset += 2 * k
        pos.append(np.stack([pb, pd], 1))
    out = [np.ascontiguousarray(a, dtype=np.int64).reshape(-1, 3) for a in rows]
    out += [np.ascontiguousarray(a, dtype=np.int64).reshape(-1, 2) for a in pos]
    if not precomputed:
        table = np.concatenate(cells) if cells else np.zeros((0, 2), dtype=np.int64)
        out.append(np.ascontiguousarray(table, dtype=np.int64))
    return out


def _sparse(x, counts, max_dim, threshold, keep_zero, n_threads, budget):
    # Per item a k-d tree finds the edges within the threshold, then the sparse engine: one call,
    # items on worker threads; it raises ValueError when the edges are over the memory budget.
    return _core.rips_sparse_batch(x, counts, max_dim, threshold, keep_zero, n_threads, budget)


def _delaunay_h0(x: np.ndarray, counts: np.ndarray, keep_zero: bool, n_threads: int, budget: float):
    """H0 of each item through its Delaunay graph (scipy, item by item: the only Python loop),
    then Kruskal on every item in one threaded core call. Degenerate items (collinear, coplanar,
    tiny) take the dense H0 in the same call: exact and cheap."""
    starts = np.concatenate([[0], np.cumsum(counts)])
    graphs = [delaunay_edges(x[starts[i] : starts[i + 1]]) for i in range(len(counts))]
    dense = np.array([e is None for e in graphs], dtype=bool)
    edges = [e for e in graphs if e is not None]
    offsets = np.zeros(len(counts) + 1, dtype=np.int64)
    offsets[1:] = np.cumsum([0 if e is None else len(e) for e in graphs])
    flat = np.concatenate(edges) if edges else np.zeros((0, 2), dtype=np.int64)
    return _core.graph_h0_batch(
        x,
        counts,
        np.ascontiguousarray(flat, dtype=np.int64),
        offsets,
        dense,
        keep_zero,
        n_threads,
        budget,
    )
