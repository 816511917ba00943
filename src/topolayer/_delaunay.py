"""The one place that calls ``scipy.spatial.Delaunay``: every Delaunay user (Rips' Euclidean
minimum spanning tree, the alpha complex, the reference-compatible layers) shares it."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

__all__ = ["delaunay_edges", "delaunay_simplices", "delaunay_top", "Triangulation"]


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
    # Unique rows in (u, v) order through the key u * n + v: a sort of integers, not of rows.
    key = np.unique(e[:, 0] * n + e[:, 1])
    return np.ascontiguousarray(np.stack([key // n, key % n], 1))


class Triangulation(NamedTuple):
    """Top simplices of a Delaunay triangulation in the points' affine hull."""

    top: np.ndarray  # (m, rank + 1) vertex ids
    extra: np.ndarray  # (e, 2) edges joining the points Qhull left out to their nearest vertex
    rank: int  # affine dimension of the points (lower-rank clouds are triangulated in their hull)
    coords: np.ndarray  # (N, rank) coordinates in which the triangulation was made
    neighbors: np.ndarray | None  # Qhull's neighbours of each top simplex (-1 on the hull)


def delaunay_top(p: np.ndarray) -> Triangulation:
    """Delaunay triangulation of ``p`` (N, D) in its affine hull, as Qhull gives it (its flat
    simplices on degenerate input included; the alpha filtration removes them)."""
    from scipy.spatial import Delaunay, QhullError

    n, dim = p.shape
    centred = p - p.mean(0)
    sv = np.linalg.svd(centred, compute_uv=False) if n > 1 else np.zeros(1)
    scale = sv[0] if sv.size and sv[0] > 0 else 1.0
    rank = int((sv > 1e-10 * scale).sum()) if n > 1 else 0
    no_edges = np.zeros((0, 2), dtype=np.int64)
    if rank == 0:  # one point, or all points equal
        e = (
            np.stack([np.arange(1, n), np.zeros(n - 1, dtype=np.int64)], 1)
            if n > 1
            else np.zeros((0, 2))
        )
        return Triangulation(np.zeros((0, 1), dtype=np.int64), e.astype(np.int64), 0, p, None)
    if rank < dim:
        _, _, vt = np.linalg.svd(centred, full_matrices=False)
        q = centred @ vt[:rank].T
    else:
        q = p
    if rank == 1:
        order = np.argsort(q[:, 0], kind="stable")
        e = np.stack([order[:-1], order[1:]], 1).astype(np.int64)
        return Triangulation(e, no_edges, 1, q, None)
    try:
        tri = Delaunay(q)
    except QhullError as err:  # pragma: no cover - rank test above catches the usual cases
        raise ValueError(
            f"x: Delaunay triangulation failed ({err}); are the points degenerate?"
        ) from err
    extra = tri.coplanar[:, [0, 2]].astype(np.int64) if len(tri.coplanar) else no_edges
    return Triangulation(tri.simplices.astype(np.int64), extra, rank, q, tri.neighbors)


def delaunay_simplices(points: np.ndarray) -> np.ndarray:
    """Qhull's top simplices ``(m, D + 1)`` of the Delaunay triangulation of ``points`` (N, D),
    as scipy returns them (the reference implementation's complexes are built from these)."""
    from scipy.spatial import Delaunay

    return Delaunay(np.asarray(points, dtype=np.float64)).simplices.astype(np.int64)
