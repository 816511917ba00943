"""Differentiable level-set persistence on a simplicial complex."""

from __future__ import annotations

from typing import NamedTuple

import torch

from .._logging import logged
from .._ops import resolve_threads
from .._validate import as_float_tensor, check_bool, check_max_dim
from ..complexes import SimplicialComplex
from ..diagram import Diagram, DiagramBatch
from ._common import gather_diagram

__all__ = ["lower_star", "filtration"]


class Options(NamedTuple):
    max_dim: int
    superlevel: bool
    keep_zero: bool
    n_threads: int  # 0: every core


def check_options(max_dim, superlevel, keep_zero, n_threads) -> Options:
    """Validated arguments of :func:`lower_star` and :func:`filtration` (also what the
    :mod:`topolayer.nn` level-set modules check when they are built)."""
    return Options(
        check_max_dim(max_dim),
        check_bool(superlevel, "superlevel"),
        check_bool(keep_zero, "keep_zero"),
        resolve_threads(n_threads),
    )


def _carried(max_dim: int, K: SimplicialComplex) -> int:
    """``max_dim`` clamped to the complex's dimension: no homology lies above it (the diagram
    is padded with empty dimensions up to ``max_dim``)."""
    return min(max_dim, max(len(K.n_simplices) - 1, 0))


def _check_complex(complex) -> SimplicialComplex:
    if not isinstance(complex, SimplicialComplex):
        raise TypeError(
            f"complex must be a topolayer.SimplicialComplex, got {type(complex).__name__}"
        )
    complex._build()
    return complex


def _rows(
    x: torch.Tensor, n: int, name: str, what: str
) -> tuple[torch.Tensor, tuple[int, ...] | None]:
    if x.dim() == 0:
        raise ValueError(f"{name} must have shape (..., {n}) ({what}), got a scalar")
    if x.shape[-1] != n:
        raise ValueError(f"{name} must have shape (..., {n}) ({what}), got {tuple(x.shape)}")
    batch_shape = tuple(x.shape[:-1]) if x.dim() > 1 else None
    return x.reshape(-1, n), batch_shape


@logged("lower_star")
def lower_star(
    f: torch.Tensor,
    complex: SimplicialComplex,
    max_dim: int = 1,
    superlevel: bool = False,
    keep_zero: bool = False,
    n_threads: int | None = None,
) -> Diagram | DiagramBatch:
    """Persistence of the lower-star (sublevel) or upper-star (superlevel) filtration of ``f``.

    Sublevel: the filtration ``{f <= t}``, in which a simplex's value is the max of its
    vertices' values. Superlevel is the sublevel filtration of ``-f`` reported in the values of ``f``
    (bars run downwards, essential deaths are ``-inf``). Each birth and death is an entry of
    ``f`` (the critical vertex), so autograd gives the exact gradient.

    Parameters
    ----------
    f : (..., n_vertices) Tensor
        Vertex values; leading dimensions are a batch. Any float dtype and device.
    complex : SimplicialComplex
    max_dim : int
        Highest homology dimension returned (0..255); dimensions above the complex's own are
        empty and are returned without being computed.
    superlevel : bool
        Superlevel instead of sublevel filtration.
    keep_zero : bool
        Keep bars of zero length (dropped by default).
    n_threads : int, optional
        Threads over batch items (default: all cores). Results do not depend on it.

    Returns
    -------
    Diagram for a 1D ``f``, DiagramBatch (``batch_shape = f.shape[:-1]``) otherwise.
    ``indices[k]`` hold the critical vertices (birth, death; ``-1`` for essential deaths).

    Raises
    ------
    TypeError
        ``f`` is not floating point, or ``complex`` is not a SimplicialComplex.
    ValueError
        ``f`` has the wrong last dimension or contains NaN/inf.

    Examples
    --------
    >>> import torch, topolayer
    >>> K = topolayer.SimplicialComplex.path(4)
    >>> dgm = topolayer.functional.lower_star(torch.tensor([0.0, 2.0, 1.0, 3.0]), K, max_dim=0)
    >>> dgm[0]
    tensor([[1., 2.],
            [0., inf]])
    """
    K = _check_complex(complex)
    o = check_options(max_dim, superlevel, keep_zero, n_threads)
    f = as_float_tensor(f, "f")
    rows, batch_shape = _rows(f, K.n_vertices, "f", "one value per vertex")
    pairs = torch.ops.topolayer.lower_star_pairs(
        rows.detach(), K._handle, _carried(o.max_dim, K), o.superlevel, o.keep_zero, o.n_threads
    )
    return gather_diagram(rows, pairs, o.superlevel, batch_shape, max_dim=o.max_dim)


@logged("filtration")
def filtration(
    values: torch.Tensor,
    complex: SimplicialComplex,
    max_dim: int = 1,
    keep_zero: bool = False,
    n_threads: int | None = None,
) -> Diagram | DiagramBatch:
    """Persistence of a filtration given by explicit per-simplex values.

    Parameters
    ----------
    values : (..., len(complex)) Tensor
        One value per simplex, indexed by global simplex id (dimension 0 first, then 1, ...;
        within a dimension in the order of ``complex.simplices(d)``). Must be monotone: no face
        has a larger value than a coface (else ValueError naming the simplex).
    complex : SimplicialComplex
    max_dim, keep_zero, n_threads
        As in :func:`lower_star`.

    Returns
    -------
    Diagram or DiagramBatch; ``indices[k]`` hold global simplex ids.

    Examples
    --------
    >>> import torch
    >>> from topolayer import SimplicialComplex
    >>> K = SimplicialComplex([[0, 1], [1, 2], [0, 2]])   # a hollow triangle
    >>> values = torch.tensor([0.0, 0.0, 0.0, 1.0, 2.0, 3.0])  # vertices, then edges (K's order)
    >>> filtration(values, K)[1].tolist()
    [[3.0, inf]]
    """
    K = _check_complex(complex)
    o = check_options(max_dim, False, keep_zero, n_threads)
    values = as_float_tensor(values, "values")
    rows, batch_shape = _rows(values, len(K), "values", "one value per simplex")
    pairs = torch.ops.topolayer.filtration_pairs(
        rows.detach(), K._handle, _carried(o.max_dim, K), o.keep_zero, o.n_threads
    )
    return gather_diagram(rows, pairs, False, batch_shape, max_dim=o.max_dim)
