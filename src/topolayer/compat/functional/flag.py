"""The reference's ``topologylayer.functional.flag``: ``FlagDiagram``."""

from __future__ import annotations

from typing import Any

import torch

from .persistence import SimplicialComplex, check_alg

__all__ = ["FlagDiagram"]


class FlagDiagram:
    """Flag-filtration persistence of points on a complex (the Rips filtration restricted to
    the complex's simplices), called as the reference called its autograd function:
    ``FlagDiagram.apply(X, y, maxdim, alg='hom')``.

    ``y`` is ``(n_vertices, D)``. Vertices are born at 0 and a simplex enters at its longest
    edge. Returns a tuple of ``(n_k, 2)`` tensors in ``y``'s dtype, dimensions ``0..maxdim``,
    every pair included as in the reference; autograd carries each value to the two endpoints of
    its critical edge (zero on coincident points, where the reference divided by zero).

    Examples
    --------
    >>> import torch
    >>> X = SimplicialComplex([[0, 1], [1, 2], [0, 2]])
    >>> y = torch.tensor([[0.0, 0.0], [3.0, 0.0], [0.0, 4.0]], requires_grad=True)
    >>> h0, h1 = FlagDiagram.apply(X, y, 1)
    >>> h0.tolist(), h1.tolist()
    ([[0.0, 3.0], [0.0, 4.0], [0.0, inf]], [[5.0, inf]])
    >>> h1[0, 0].backward()
    >>> y.grad.tolist()
    [[0.0, 0.0], [0.6000000238418579, -0.800000011920929], [-0.6000000238418579, 0.800000011920929]]
    """

    @staticmethod
    def apply(X: Any, y: Any, maxdim: Any, alg: str = "hom") -> tuple[torch.Tensor, ...]:
        check_alg(alg)
        if not isinstance(X, SimplicialComplex):
            raise TypeError(
                f"X must be a topolayer.compat SimplicialComplex, got {type(X).__name__}"
            )
        return X.flag(y, maxdim, keep_zero=True)
