"""Delaunay complexes and the alpha layer with the reference implementation's names."""

from __future__ import annotations

import numpy as np

from ..._delaunay import delaunay_top
from ...nn import AlphaLayer
from ..functional.persistence import SimplicialComplex
from ..util.construction import unique_simplices

__all__ = ["AlphaLayer", "delaunay_complex", "delaunay_complex_1d"]


def delaunay_complex_1d(x) -> SimplicialComplex:
    """The Delaunay complex of points on a line: consecutive points (in sorted order) joined."""
    order = np.argsort(np.asarray(x, dtype=float).ravel(), kind="stable")
    if len(order) < 2:
        return SimplicialComplex([(int(v),) for v in order], n_vertices=len(order))
    return SimplicialComplex(np.stack([order[:-1], order[1:]], 1), n_vertices=len(order))


def delaunay_complex(x, maxdim: int = 2) -> SimplicialComplex:
    """The Delaunay triangulation of a point cloud ``x`` of shape ``(N, D)``, with its faces up to
    dimension ``maxdim``; 1D clouds use :func:`delaunay_complex_1d`. A cloud in a lower-dimensional
    affine subspace is triangulated there (Qhull alone would reject it)."""
    x = np.asarray(x, dtype=float)
    if x.ndim == 1 or x.shape[1] == 1:
        return delaunay_complex_1d(x)
    return unique_simplices(delaunay_top(x).top, maxdim)
