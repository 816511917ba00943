"""Custom op for alpha-complex persistence of 2D/3D point clouds: ``topolayer::alpha_pairs``.

The Delaunay triangulation (:mod:`topolayer._delaunay`) carries two filtrations:

* ``weak=False`` — the alpha filtration: a simplex enters at the radius of the smallest empty
  ball whose boundary holds its vertices. That is its own smallest circumscribing radius when
  that ball is empty (a Gabriel simplex), else the smallest value of its cofaces (the simplex is
  "attached"). Values are radii (GUDHI's ``AlphaComplex`` reports squared radii).
* ``weak=True`` — the reference implementation's ``AlphaLayer``: the flag filtration of the
  Delaunay complex by edge length (Rips values restricted to Delaunay simplices).

Qhull runs here, once per cloud (it releases the GIL: a batch's clouds are triangulated on
worker threads); everything after it is one call of the C++ core
(``cpp/include/topolayer/alpha.hpp``) for the whole batch, on worker threads: the clean-up
of the flat simplices that degenerate input (grids, cospherical or coplanar points) leaves in
Qhull's output, the filtration values, persistence (a union-find and a dual union-find in the
plane, the general reduction in 3D) and each bar's critical (source) simplices. The op returns
the result contract of :mod:`topolayer._ops`, with a ``(C, D + 1)`` table of the critical
simplices' vertices (``-1`` padded), whose radii (or edge lengths) the caller computes in torch,
so gradients reach the points.
"""

from __future__ import annotations

import math
import os
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import torch

from .. import _core
from .._delaunay import delaunay_top
from . import fake_pairs, host_array, to_device, vmap_clouds

__all__ = ["alpha_pairs", "alpha_pairs_kernel"]

_NO_IDS = np.zeros(0, dtype=np.int64)
_MIN_THREADED_POINTS = 4096


def _join(parts: list[np.ndarray], empty: np.ndarray) -> np.ndarray:
    if not parts:
        return empty
    return np.ascontiguousarray(parts[0] if len(parts) == 1 else np.concatenate(parts))


_Packed = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]


def _triangulate(p: np.ndarray, counts: list[int], weak: bool, n_threads: int = 1) -> _Packed:
    """Qhull's triangulation of each item of ``p`` (sum N_i, D), packed for ``_core.alpha_pairs``:
    sizes (B, 4) (points, rank, top simplices, extra edges), top, neighbors (empty when ``weak``,
    which keeps Qhull's output as it is), extra (E, 2), coords (of the coplanar 3D items).

    Qhull releases the GIL, so with ``n_threads`` > 1 (0: every core) the clouds of a large
    batch are triangulated side by side; each triangulation is the same whichever thread makes
    it.
    """
    dim = p.shape[1]
    ends = np.cumsum(counts).tolist()
    clouds = [np.asarray(p[e - n : e], dtype=np.float64) for n, e in zip(counts, ends, strict=True)]
    workers = min(len(clouds), n_threads if n_threads > 0 else os.cpu_count() or 1)
    # Starting threads costs more than Qhull takes on a batch of a few thousand points.
    if workers > 1 and sum(counts) >= _MIN_THREADED_POINTS:
        with ThreadPoolExecutor(workers) as pool:
            tris = list(pool.map(delaunay_top, clouds))
    else:
        tris = [delaunay_top(q) for q in clouds]
    sizes = np.zeros((len(counts), 4), dtype=np.int64)
    tops, nbrs, extras, coords = [], [], [], []
    for i, (n, tri) in enumerate(zip(counts, tris, strict=True)):
        sizes[i] = n, tri.rank, len(tri.top), len(tri.extra)
        tops.append(tri.top.reshape(-1))
        extras.append(tri.extra)
        if not weak:
            nb = tri.neighbors
            nbrs.append(np.full(tri.top.size, -1) if nb is None else nb.reshape(-1))
        if 2 <= tri.rank < dim:
            coords.append(tri.coords.reshape(-1))
    return (
        sizes,
        _join(tops, _NO_IDS).astype(np.int64, copy=False),
        _join(nbrs, _NO_IDS).astype(np.int64, copy=False),
        _join(extras, np.zeros((0, 2), dtype=np.int64)).astype(np.int64, copy=False),
        _join(coords, np.zeros(0)).astype(np.float64, copy=False),
    )


# A cloud far from the origin (relative to its spread) or of extreme scale is moved to a frame
# where Qhull's and the circumradii's arithmetic works: centred, and scaled by a power of two.
_FAR = 2.0**10
_SCALE_EXPONENT = {np.dtype(np.float32): 40, np.dtype(np.float64): 100}


def _normal_frame(p: np.ndarray, counts: list[int]) -> np.ndarray:
    """``p`` with every item that needs it centred at its centroid and scaled to unit spread
    (float64); the others untouched. Alpha values are then in that frame's units, but only the
    critical simplices leave the op: the caller measures them in the input's coordinates."""
    limit = _SCALE_EXPONENT[p.dtype]
    out = None
    start = 0
    for n in counts:
        q = p[start : start + n]
        centre = q.mean(0, dtype=np.float64)
        spread = float(np.abs(q - centre).max()) if n else 0.0
        far = spread > 0 and float(np.abs(centre).max()) > _FAR * spread
        e = math.frexp(spread)[1] if spread > 0 else 0
        if far or abs(e) > limit:
            if out is None:
                out = p.astype(np.float64, copy=True)
            out[start : start + n] = np.ldexp(q.astype(np.float64) - centre, -e)
        start += n
    return p if out is None else np.ascontiguousarray(out)


def _filtration(p: np.ndarray, weak: bool) -> tuple:
    """The filtered complex of one cloud ``p`` (N, D): per dimension its simplices and facets
    (facet j omits vertex j), the value of every simplex (squared radius, or length when
    ``weak``) and its source simplex, both by global id (vertices, edges, ... in turn)."""
    return _core.alpha_filtration(p, *_triangulate(p, [len(p)], weak), weak)


def alpha_pairs_kernel(
    x: torch.Tensor,
    counts: torch.Tensor,
    max_dim: int,
    weak: bool,
    keep_zero: bool,
    n_threads: int = 0,
) -> list[torch.Tensor]:
    """Critical simplices of alpha (or weak-alpha) persistence of a flat batch of 2D/3D clouds.

    Parameters
    ----------
    x : (sum N_i, D) float Tensor
        The points of every item stacked.
    counts : (B,) int64 Tensor
        Number of points of each item.
    max_dim : int
    weak, keep_zero : bool
    n_threads : int
        Threads over the batch (Qhull's triangulations, then the rest); 0: every core. The
        result is the same for every count.

    Returns
    -------
    list of Tensor
        The result contract of :mod:`topolayer._ops`, with a ``(C, D + 1)`` table of the
        critical simplices' vertices (global point ids, ``-1`` padded). A cell in the rows is a
        row of that table.

    Raises
    ------
    ValueError
        NaN or infinite coordinates.
    """
    p = host_array(x)
    if not np.isfinite(p).all():
        raise ValueError("x must be finite, but it has NaN or inf entries")
    c = counts.detach().cpu().tolist()
    p = _normal_frame(p, c)
    packed = _triangulate(p, c, weak, n_threads)
    out = _core.alpha_pairs(p, *packed, max_dim, weak, keep_zero, n_threads)
    return to_device(out, x.device)


# The op (what torch.compile and export see); eager callers may use the kernel directly
# (topolayer._ops.plain_eager).
alpha_pairs = torch.library.custom_op("topolayer::alpha_pairs", mutates_args=())(alpha_pairs_kernel)


@alpha_pairs.register_fake
def _alpha_pairs_fake(x, counts, max_dim, weak, keep_zero, n_threads=0):
    return fake_pairs(x, max_dim, x.shape[1] + 1)


@alpha_pairs.register_vmap
def _alpha_pairs_vmap(info, in_dims, x, counts, max_dim, weak, keep_zero, n_threads=0):
    args = (max_dim, weak, keep_zero, n_threads)
    return vmap_clouds(alpha_pairs, in_dims, x, counts, args, max_dim + 1)
