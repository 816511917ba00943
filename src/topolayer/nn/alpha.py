"""Alpha-complex layers, modern and reference-compatible.

``Alpha`` returns a :class:`~topolayer.Diagram` (one cloud) or a :class:`~topolayer.DiagramBatch`
(a batch or a list). ``AlphaLayer`` keeps the reference implementation's name, arguments and
output ``(dgms, issublevel)`` (the weak-alpha filtration, as the reference computed).
"""

from __future__ import annotations

import torch
from torch import nn

from ..functional.alpha import alpha, check_options
from .simplicial import as_reference_output

__all__ = ["Alpha", "AlphaLayer"]


class Alpha(nn.Module):
    """Alpha-complex persistence of 2D/3D point clouds (see :func:`topolayer.functional.alpha.alpha`).

    Parameters
    ----------
    max_dim : int
        Highest homology dimension.
    weak : bool
        Flag filtration of the Delaunay complex by edge length (the reference's ``AlphaLayer``).
    keep_zero : bool
        Keep zero-length bars.
    n_threads : int, optional
        Threads over the batch; default every core.

    Examples
    --------
    >>> import torch
    >>> square = torch.tensor([[0.0, 0.0], [1.0, 0.0], [1.0, 1.0], [0.0, 1.0]])
    >>> Alpha(max_dim=1)(square)[1]
    tensor([[0.5000, 0.7071]])
    """

    def __init__(
        self,
        max_dim: int = 1,
        weak: bool = False,
        keep_zero: bool = False,
        n_threads: int | None = None,
    ) -> None:
        super().__init__()
        check_options(max_dim, weak, keep_zero)
        self.max_dim = max_dim
        self.weak = weak
        self.keep_zero = keep_zero
        self.n_threads = n_threads

    def forward(self, x):
        return alpha(x, self.max_dim, self.weak, self.keep_zero, self.n_threads)

    def extra_repr(self) -> str:
        return (
            f"max_dim={self.max_dim}"
            + (", weak=True" if self.weak else "")
            + (", keep_zero=True" if self.keep_zero else "")
        )


class AlphaLayer(nn.Module):
    """Weak-alpha persistence layer with the reference implementation's interface.

    The reference's ``AlphaLayer`` is the flag (Rips) filtration of the Delaunay complex by edge
    length; that is what this computes (``Alpha(weak=True)``).

    Parameters
    ----------
    maxdim : int
        Highest homology dimension (default 0).
    alg : {"hom", "cohom"}
        Accepted for compatibility.
    keep_zero : bool
        Keep zero-length bars.
    n_threads : int, optional
        Threads over the batch; default every core.

    Returns
    -------
    (dgms, issublevel) : (tuple of (n_k, 2) Tensor, bool)
        For one ``(N, D)`` cloud ``dgms`` is a tuple of ``(n_k, 2)`` tensors; for a batch
        ``(B, N, D)`` (or a list of clouds) it is a :class:`~topolayer.DiagramBatch` holding each
        cloud's own diagram.

    Examples
    --------
    >>> import torch
    >>> square = torch.tensor([[0.0, 0.0], [1.0, 0.0], [1.0, 1.0], [0.0, 1.0]])
    >>> dgms, issublevel = AlphaLayer(maxdim=1)(square)   # weak alpha: edge lengths
    >>> dgms[1]
    tensor([[1.0000, 1.4142]])
    """

    def __init__(
        self,
        maxdim: int = 0,
        alg: str = "hom",
        keep_zero: bool = False,
        n_threads: int | None = None,
    ) -> None:
        super().__init__()
        if alg not in ("hom", "cohom", "hom2"):
            raise ValueError(f"alg must be 'hom' or 'cohom', got {alg!r}")
        check_options(maxdim, True, keep_zero)
        self.maxdim = maxdim
        self.alg = alg
        self.keep_zero = keep_zero
        self.n_threads = n_threads

    def forward(self, x: torch.Tensor):
        d = alpha(x, self.maxdim, True, self.keep_zero, self.n_threads)
        return as_reference_output(d, True)

    def extra_repr(self) -> str:
        return f"maxdim={self.maxdim}"
