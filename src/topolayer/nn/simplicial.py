"""Level-set persistence modules.

``LowerStar`` returns a :class:`~topolayer.Diagram`; ``LevelSetLayer`` and ``LevelSetLayer1D``
keep the reference implementation's names, arguments and ``(dgms, issublevel)`` output so that
code written for it runs unchanged. All modules are stateless: each call returns its own
diagram, so several forwards followed by one ``backward()`` give each input its own gradient.
"""

from __future__ import annotations

import torch
from torch import nn

from .._validate import check_bool, check_int, check_max_dim
from ..complexes import SimplicialComplex
from ..diagram import Diagram, DiagramBatch
from ..functional.simplicial import _check_complex, check_options, lower_star

__all__ = ["LowerStar", "LevelSetLayer", "LevelSetLayer1D", "as_reference_output"]


def as_reference_output(dgm: Diagram | DiagramBatch, sublevel: bool):
    """The reference implementation's ``(dgms, issublevel)`` form.

    A single diagram gives a tuple of ``(n_k, 2)`` tensors; a batch gives the
    :class:`~topolayer.DiagramBatch` itself (the reference had no batches; the features in
    :mod:`topolayer.nn` accept both).
    """
    if isinstance(dgm, Diagram):
        return tuple(dgm.bars), sublevel
    return dgm, sublevel


class LowerStar(nn.Module):
    """Lower-star (or superlevel) persistence of vertex values on a fixed complex.

    Parameters
    ----------
    complex : SimplicialComplex
    max_dim : int
    superlevel : bool
    keep_zero : bool
    n_threads : int, optional

    Shape: ``(..., n_vertices)`` → Diagram (1D input) or DiagramBatch.

    Examples
    --------
    >>> import torch
    >>> from topolayer import SimplicialComplex
    >>> layer = LowerStar(SimplicialComplex.path(4), max_dim=0)
    >>> layer(torch.tensor([0.0, 2.0, 1.0, 3.0]))[0].tolist()
    [[1.0, 2.0], [0.0, inf]]
    """

    def __init__(
        self,
        complex: SimplicialComplex,
        max_dim: int = 1,
        superlevel: bool = False,
        keep_zero: bool = False,
        n_threads: int | None = None,
    ) -> None:
        super().__init__()
        check_options(max_dim, superlevel, keep_zero, n_threads)
        self.complex = _check_complex(complex)
        self.max_dim = max_dim
        self.superlevel = superlevel
        self.keep_zero = keep_zero
        self.n_threads = n_threads

    def forward(self, f: torch.Tensor) -> Diagram | DiagramBatch:
        return lower_star(
            f, self.complex, self.max_dim, self.superlevel, self.keep_zero, self.n_threads
        )

    def extra_repr(self) -> str:
        return f"{self.complex!r}, max_dim={self.max_dim}, superlevel={self.superlevel}"


class LevelSetLayer(nn.Module):
    """Level-set persistence on a simplicial complex (reference implementation's interface).

    The forward pass returns the pair ``(dgms, issublevel)``, where ``dgms[k]`` is the
    ``(n_k, 2)`` tensor of bars of dimension ``k`` (essential bars with death ``+inf`` or
    ``-inf``; zero-length bars are not returned, unlike the reference, which padded with them).

    Parameters
    ----------
    complex : SimplicialComplex
        The complex whose vertices carry the function values.
    maxdim : int
        Highest homology dimension.
    sublevel : bool
        Sublevel (True) or superlevel (False) filtration.

    Examples
    --------
    >>> import torch
    >>> from topolayer import SimplicialComplex
    >>> layer = LevelSetLayer(SimplicialComplex.path(4), maxdim=0)
    >>> dgms, issublevel = layer(torch.tensor([0.0, 2.0, 1.0, 3.0]))
    >>> dgms[0].tolist(), issublevel
    ([[1.0, 2.0], [0.0, inf]], True)
    """

    def __init__(self, complex: SimplicialComplex, maxdim: int = 1, sublevel: bool = True) -> None:
        super().__init__()
        self.complex = _check_complex(complex)
        self.maxdim = check_max_dim(maxdim, name="maxdim")
        self.sublevel = check_bool(sublevel, "sublevel")

    def forward(self, f: torch.Tensor):
        dgm = lower_star(f, self.complex, self.maxdim, superlevel=not self.sublevel)
        return as_reference_output(dgm, self.sublevel)

    def extra_repr(self) -> str:
        return f"{self.complex!r}, maxdim={self.maxdim}, sublevel={self.sublevel}"


class LevelSetLayer1D(LevelSetLayer):
    """H0 of the level sets of a 1D signal of length ``size`` (reference interface).

    ``forward(f)`` with ``f`` of shape ``(size,)`` (or ``(..., size)``) returns ``(dgms, issublevel)``.

    Examples
    --------
    >>> import torch
    >>> dgms, issublevel = LevelSetLayer1D(4)(torch.tensor([0.0, 2.0, 1.0, 3.0]))
    >>> dgms[0].tolist()
    [[1.0, 2.0], [0.0, inf]]
    """

    def __init__(self, size: int, sublevel: bool = True) -> None:
        size = check_int(size, "size", 1)
        super().__init__(SimplicialComplex.path(size), maxdim=0, sublevel=sublevel)
        self.size = size

    def extra_repr(self) -> str:
        return f"size={self.size}, sublevel={self.sublevel}"
