"""Custom ops for point-cloud persistence: critical edges as int64 indices.

``topolayer::rips_pairs`` runs the C++ Rips core on a flat batch of point clouds (or distance
matrices) and returns, per homology dimension, an ``(n_k, 5)`` int64 tensor of rows
``(item, birth_u, birth_v, death_u, death_v)``. H0 births are the degenerate edge ``(v, v)``;
essential deaths are ``-1``. The op has a fake kernel whose bar counts are dynamic sizes, so
``torch.compile(fullgraph=True)`` traces through it; values (edge lengths) are gathered in torch
by the caller, which is what makes them differentiable.
"""

from __future__ import annotations

import math

import numpy as np
import torch

from . import _core
from ._ops import host_array

__all__ = ["rips_pairs", "alpha_pairs", "graph_h0_pairs", "delaunay_edges"]

# Below this many points the dense O(N^2) spanning tree beats building a Delaunay triangulation.
_DELAUNAY_MIN_POINTS = 512
# With a threshold, from this many points on the sparse variant (memory O(N + E)) is used.
_SPARSE_MIN_POINTS = 1500


def delaunay_edges(points: np.ndarray) -> np.ndarray | None:
    """Edges ``(E, 2)`` of the Delaunay triangulation of 2D/3D points, or None if degenerate.

    Points that Qhull leaves out of the triangulation (exact or near duplicates) are joined to
    their nearest triangulation vertex, so the graph stays connected and still contains a
    Euclidean minimum spanning tree.
    """
    from scipy.spatial import Delaunay, QhullError

    n, dim = points.shape
    if n <= dim + 1:
        return None
    try:
        tri = Delaunay(np.asarray(points, dtype=np.float64))
    except (QhullError, ValueError):
        return None
    s = tri.simplices
    pairs = [s[:, [i, j]] for i in range(dim + 1) for j in range(i + 1, dim + 1)]
    if len(tri.coplanar):
        pairs.append(tri.coplanar[:, [0, 2]])
    e = np.concatenate(pairs).astype(np.int64)
    e.sort(axis=1)
    e = np.unique(e, axis=0)
    return np.ascontiguousarray(e)


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
    method: int,
) -> list[torch.Tensor]:
    """Critical edges of Vietoris–Rips persistence.

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
    method : int
        0 automatic; 1 dense; 2 H0 through the Delaunay graph (2D/3D points, ``max_dim == 0``,
        no threshold); 3 sparse (points with a finite threshold: k-d tree range query, then
        adjacency lists). Automatic picks Delaunay for H0 of >= 512 points and sparse for a
        threshold with >= 1500 points or a dense table over ``memory_budget``.

    Returns
    -------
    list of (n_k, 5) int64 Tensor
        ``(item, birth_u, birth_v, death_u, death_v)`` per bar, on ``data``'s device.
    """
    x = host_array(data)
    c = np.ascontiguousarray(counts.detach().cpu().numpy().astype(np.int64))
    use_delaunay = (
        not precomputed
        and max_dim == 0
        and not np.isfinite(threshold)
        and x.ndim == 2
        and x.shape[1] in (2, 3)
        and (method == 2 or (method == 0 and c.size and c.max() >= _DELAUNAY_MIN_POINTS))
    )
    n_max = int(c.max()) if c.size else 0
    use_sparse = (
        not precomputed
        and np.isfinite(threshold)
        and (
            method == 3
            or (
                method == 0
                and (n_max >= _SPARSE_MIN_POINTS or n_max * n_max * x.itemsize > memory_budget)
            )
        )
    )
    if use_delaunay:
        out = [_delaunay_h0(x, c, keep_zero, n_threads, memory_budget)]
    elif use_sparse:
        out = _sparse(x, c, max_dim, threshold, keep_zero, n_threads, memory_budget)
    elif precomputed:
        out = _core.rips_matrices(
            x.reshape(-1), c, max_dim, threshold, keep_zero, n_threads, memory_budget
        )
    else:
        out = _core.rips_points(x, c, max_dim, threshold, keep_zero, n_threads, memory_budget)
    return [torch.from_numpy(np.asarray(r)).to(data.device) for r in out]


def _sparse(x, counts, max_dim, threshold, keep_zero, n_threads, budget):
    from scipy.spatial import cKDTree

    starts = np.concatenate([[0], np.cumsum(counts)])
    parts: list[list[np.ndarray]] = [[] for _ in range(max_dim + 1)]
    for i in range(len(counts)):
        n = int(counts[i])
        if math.comb(n, max_dim + 2) > 2**61:
            raise ValueError(
                f"Rips: simplex indices of {n} points in dimension {max_dim + 1} overflow 64 bits; "
                "lower max_dim or the number of points"
            )
        pts = np.ascontiguousarray(x[starts[i] : starts[i + 1]])
        tree = cKDTree(pts)
        # A hair over the threshold: the core filters the candidates with its own lengths.
        r = threshold * (1 + 1e-6) + 1e-300
        n_pairs = (int(tree.count_neighbors(tree, r)) - n) // 2  # ordered pairs, self pairs
        need = n_pairs * 2 * 8 * 3  # candidate list, then adjacency lists with values
        if need > budget:
            raise ValueError(
                f"Rips: the {n_pairs} edges within the threshold need about {need >> 20} MiB, over "
                f"the memory budget of {int(budget) >> 20} MiB; pass a smaller `threshold`"
            )
        pairs = tree.query_pairs(r, output_type="ndarray")
        rows = _core.rips_sparse(
            pts,
            np.ascontiguousarray(pairs, dtype=np.int64),
            max_dim,
            threshold,
            keep_zero,
            n_threads,
            budget,
        )
        for k, r in enumerate(rows):
            r = np.array(r)
            r[:, 0] = i
            parts[k].append(r)
    return [np.concatenate(p) if p else np.zeros((0, 5), dtype=np.int64) for p in parts]


def _delaunay_h0(x: np.ndarray, counts: np.ndarray, keep_zero: bool, n_threads: int, budget: float):
    starts = np.concatenate([[0], np.cumsum(counts)])
    parts = []
    for i, n in enumerate(counts):
        pts = x[starts[i] : starts[i + 1]]
        e = delaunay_edges(pts)
        if e is None:  # degenerate (collinear, coplanar, tiny): the dense path is exact and cheap
            r = _core.rips_points(
                pts, np.array([n], dtype=np.int64), 0, np.inf, keep_zero, n_threads, budget
            )[0]
            r = np.array(r)
        else:
            r = np.array(_core.graph_h0(np.ascontiguousarray(pts), e, keep_zero))
        r[:, 0] = i
        parts.append(r)
    return np.concatenate(parts) if parts else np.zeros((0, 5), dtype=np.int64)


@rips_pairs.register_fake
def _rips_pairs_fake(
    data, counts, max_dim, threshold, precomputed, keep_zero, n_threads, memory_budget, method
):
    ctx = torch.library.get_ctx()
    return [
        data.new_empty((ctx.new_dynamic_size(), 5), dtype=torch.int64) for _ in range(max_dim + 1)
    ]


def graph_h0_pairs(points: np.ndarray, edges: np.ndarray, keep_zero: bool = False) -> np.ndarray:
    """H0 of a graph on points (Kruskal, elder rule): ``(n_0, 5)`` rows as :func:`rips_pairs`."""
    pts = np.ascontiguousarray(points)
    if pts.dtype not in (np.float32, np.float64):
        pts = pts.astype(np.float64)
    return np.array(_core.graph_h0(pts, np.ascontiguousarray(edges, dtype=np.int64), keep_zero))


@torch.library.custom_op("topolayer::alpha_pairs", mutates_args=())
def alpha_pairs(x: torch.Tensor, max_dim: int, weak: bool, keep_zero: bool) -> list[torch.Tensor]:
    """Critical simplices of alpha (or weak-alpha) persistence of one 2D/3D cloud.

    Parameters
    ----------
    x : (N, D) float Tensor
    max_dim : int
    weak, keep_zero : bool

    Returns
    -------
    list of (n_k, 2 (D + 1)) int64 Tensor
        Vertices of the birth's and of the death's critical simplex, ``-1`` padded (an
        essential death is all ``-1``), on ``x``'s device.
    """
    from .functional.alpha import critical_rows

    p = x.detach().cpu().to(torch.float64).numpy()
    rows = critical_rows(p, max_dim, weak, keep_zero)
    return [torch.from_numpy(r).to(x.device) for r in rows]


@alpha_pairs.register_fake
def _alpha_pairs_fake(x, max_dim, weak, keep_zero):
    ctx = torch.library.get_ctx()
    w = 2 * (x.shape[1] + 1)
    return [x.new_empty((ctx.new_dynamic_size(), w), dtype=torch.int64) for _ in range(max_dim + 1)]
