"""The reference's ``topologylayer.functional.sublevel``: ``SubLevelSetDiagram``."""

from __future__ import annotations

from typing import Any

import torch

from .persistence import SimplicialComplex, check_alg

__all__ = ["SubLevelSetDiagram"]


class SubLevelSetDiagram:
    """Sublevel-set persistence of vertex values on a complex, called as the reference called
    its autograd function: ``SubLevelSetDiagram.apply(X, f, maxdim, alg='hom')`` (or on an
    instance, as its layers did).

    ``f`` may have any shape holding one value per vertex of ``X`` (it is flattened; the
    gradient comes back in ``f``'s shape). Returns a tuple of ``(n_k, 2)`` tensors in ``f``'s
    dtype, one per dimension ``0..maxdim``, every pair included as in the reference (zero-length
    ones too); essential bars die at ``+inf``. Autograd differentiates it: each birth and death is
    an entry of ``f``. ``X`` is not modified (the reference stored the filtration in it).

    Examples
    --------
    >>> import torch
    >>> X = SimplicialComplex([[0, 1], [1, 2], [2, 3]])
    >>> f = torch.tensor([0.0, 2.0, 1.0, 3.0], requires_grad=True)
    >>> (h0,) = SubLevelSetDiagram.apply(X, f, 0)
    >>> h0.tolist()
    [[2.0, 2.0], [1.0, 2.0], [3.0, 3.0], [0.0, inf]]
    >>> h0[:, 1].clamp(max=9).sum().backward()
    >>> f.grad.tolist()
    [0.0, 2.0, 0.0, 1.0]
    """

    @staticmethod
    def apply(X: Any, f: Any, maxdim: Any, alg: str = "hom") -> tuple[torch.Tensor, ...]:
        check_alg(alg)
        if not isinstance(X, SimplicialComplex):
            raise TypeError(
                f"X must be a topolayer.compat SimplicialComplex, got {type(X).__name__}"
            )
        return X.sublevel(f, maxdim, keep_zero=True)
