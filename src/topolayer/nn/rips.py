"""Vietoris–Rips layers, modern and reference-compatible.

``VietorisRips`` returns a :class:`~topolayer.Diagram` (one cloud) or a
:class:`~topolayer.DiagramBatch` (a batch or a list). ``RipsLayer`` keeps the reference
implementation's name, arguments and output ``(dgms, issublevel)``, where ``dgms`` is a tuple
of ``(n_k, 2)`` tensors (essential deaths ``inf``) and ``issublevel`` is ``True``. Unlike the
reference, zero-length bars are dropped unless ``keep_zero=True``, no clique complex is built,
and no state is kept between calls.
"""

from __future__ import annotations

import torch
from torch import nn

from .._validate import check_int, check_positive
from ..functional.rips import DEFAULT_MEMORY_BUDGET, DEFAULT_TIME_BUDGET, check_options, rips
from .simplicial import as_reference_output

__all__ = ["VietorisRips", "RipsLayer"]


class VietorisRips(nn.Module):
    """Vietoris–Rips persistence of point clouds (see :func:`topolayer.functional.rips.rips`).

    Parameters
    ----------
    max_dim : int
        Highest homology dimension.
    threshold : float, optional
        Largest edge length.
    metric : {"euclidean", "precomputed"}
    keep_zero : bool
        Keep zero-length bars.
    n_threads : int, optional
        Threads over the batch (or inside a single cloud).
    memory_budget, time_budget
        As in :func:`topolayer.functional.rips.rips`.

    Examples
    --------
    >>> import torch
    >>> from topolayer.nn.rips import VietorisRips
    >>> VietorisRips(max_dim=1)(torch.rand(20, 2))
    Diagram(H0: 20, ...)
    """

    def __init__(
        self,
        max_dim: int = 1,
        threshold: float | None = None,
        metric: str = "euclidean",
        keep_zero: bool = False,
        n_threads: int | None = None,
        memory_budget: float = DEFAULT_MEMORY_BUDGET,
        time_budget: float | None = DEFAULT_TIME_BUDGET,
    ) -> None:
        super().__init__()
        check_options(max_dim, threshold, metric, keep_zero, n_threads, memory_budget, "auto")
        if time_budget is not None:
            check_positive(time_budget, "time_budget", allow_inf=True)
        self.time_budget = time_budget
        self.max_dim = max_dim
        self.threshold = threshold
        self.metric = metric
        self.keep_zero = keep_zero
        self.n_threads = n_threads
        self.memory_budget = memory_budget

    def forward(self, x):
        return rips(
            x,
            self.max_dim,
            self.threshold,
            self.metric,
            self.keep_zero,
            self.n_threads,
            self.memory_budget,
            time_budget=self.time_budget,
        )

    def extra_repr(self) -> str:
        s = f"max_dim={self.max_dim}"
        if self.threshold is not None:
            s += f", threshold={self.threshold}"
        if self.metric != "euclidean":
            s += f", metric={self.metric!r}"
        if self.keep_zero:
            s += ", keep_zero=True"
        return s


def _check_n(n: int | None, x: torch.Tensor) -> None:
    if n is not None and isinstance(x, torch.Tensor) and x.dim() >= 2 and x.shape[-2] != n:
        raise ValueError(f"RipsLayer was built for n={n} points, but x has {x.shape[-2]} points")


class RipsLayer(nn.Module):
    """Rips persistence layer with the reference implementation's interface.

    Parameters
    ----------
    n : int, optional
        Number of points; checked against the input when given (no longer needed).
    maxdim : int
        Highest homology dimension (default 1).
    alg : {"hom", "cohom"}
        Accepted for compatibility; the result does not depend on it.
    keep_zero : bool
        Keep zero-length bars (the reference keeps them all).
    threshold, n_threads : see :class:`VietorisRips`.

    Returns
    -------
    (dgms, issublevel) : (tuple of (n_k, 2) Tensor, bool)
        For one ``(N, D)`` cloud ``dgms`` is a tuple of ``(n_k, 2)`` tensors; for a batch
        ``(B, N, D)`` (or a list of clouds) it is a :class:`~topolayer.DiagramBatch` holding each
        cloud's own diagram. ``issublevel`` is True.

    Examples
    --------
    >>> import torch
    >>> square = torch.tensor([[0.0, 0.0], [1.0, 0.0], [1.0, 1.0], [0.0, 1.0]])
    >>> dgms, issublevel = RipsLayer(maxdim=1)(square)
    >>> dgms[1]
    tensor([[1.0000, 1.4142]])
    """

    def __init__(
        self,
        n: int | None = None,
        maxdim: int = 1,
        alg: str = "hom",
        keep_zero: bool = False,
        threshold: float | None = None,
        n_threads: int | None = None,
    ) -> None:
        super().__init__()
        if alg not in ("hom", "cohom", "hom2"):
            raise ValueError(f"alg must be 'hom' or 'cohom', got {alg!r}")
        if n is not None:
            check_int(n, "n", 1)
        check_options(maxdim, threshold, "euclidean", keep_zero, n_threads, 1.0, "auto")
        self.n = n
        self.maxdim = maxdim
        self.alg = alg
        self.keep_zero = keep_zero
        self.threshold = threshold
        self.n_threads = n_threads

    def forward(self, x: torch.Tensor):
        _check_n(self.n, x)
        d = rips(x, self.maxdim, self.threshold, "euclidean", self.keep_zero, self.n_threads)
        return as_reference_output(d, True)

    def extra_repr(self) -> str:
        return f"n={self.n}, maxdim={self.maxdim}"
