"""Delaunay complexes and the alpha layer with the reference implementation's names."""

from __future__ import annotations

import numpy as np
import torch

from ..._delaunay import delaunay_top
from ...nn import AlphaLayer as _AlphaLayer
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


class AlphaLayer(_AlphaLayer):
    """:class:`topolayer.nn.AlphaLayer` that also takes ``(N, 1)`` points (the reference's 1D case).

    On a line the Delaunay complex is the path through the sorted points, and its flag filtration
    has only H0: every vertex is born at 0 and each gap between neighbours ends one bar (the
    component of the larger coordinate, a choice that does not change the diagram).

    Examples
    --------
    >>> import torch
    >>> (h0,), _ = AlphaLayer(maxdim=0)(torch.tensor([[0.0], [3.0], [1.0]]))
    >>> h0
    tensor([[0., 1.],
            [0., 2.],
            [0., inf]])
    """

    def forward(self, x: torch.Tensor):
        if isinstance(x, torch.Tensor) and x.dim() == 2 and x.shape[1] == 1:
            if not x.is_floating_point():
                raise TypeError(f"x must be floating point, got {x.dtype}")
            if len(x) == 0:
                raise ValueError("x must hold at least one point, got shape (0, 1)")
            if not torch.isfinite(x).all():
                raise ValueError("x must be finite")
            s = torch.sort(x[:, 0], stable=True).values
            gaps = torch.sort(s[1:] - s[:-1], stable=True).values
            if not self.keep_zero:
                gaps = gaps[gaps > 0]
            deaths = torch.cat([gaps, torch.full((1,), torch.inf, dtype=x.dtype, device=x.device)])
            h0 = torch.stack([torch.zeros_like(deaths), deaths], 1)
            empty = x.new_zeros((0, 2))
            return (h0,) + (empty,) * int(self.maxdim), True
        return super().forward(x)
