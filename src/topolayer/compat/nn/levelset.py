"""Level-set layers and grid complexes with the reference implementation's names."""

from __future__ import annotations

import numpy as np
import torch

from ... import nn as _nn
from ..._delaunay import delaunay_simplices
from ..._validate import check_bool as _check_bool
from ...functional.simplicial import lower_star as _lower_star
from ...nn.simplicial import as_reference_output as _as_reference_output
from ..functional.persistence import SimplicialComplex
from ..util.construction import unique_simplices

__all__ = [
    "LevelSetLayer",
    "LevelSetLayer1D",
    "LevelSetLayer2D",
    "init_freudenthal_2d",
    "init_grid_2d",
    "init_line_complex",
    "init_tri_complex",
]


def init_line_complex(p: int) -> SimplicialComplex:
    """The path on ``p`` vertices."""
    return SimplicialComplex.path(p)


def init_freudenthal_2d(width: int, height: int) -> SimplicialComplex:
    """Freudenthal triangulation of a ``width x height`` grid, vertex ``i * width + j`` at row i,
    column j, squares split along the diagonal ``(i, j) - (i + 1, j + 1)``."""
    return SimplicialComplex.grid_2d(height, width)


def init_grid_2d(width: int, height: int) -> SimplicialComplex:
    """The grid with both diagonals of every square and the four triangles they make."""
    ids = np.arange(width * height, dtype=np.int64).reshape(height, width)
    a, b = ids[:-1, :-1].ravel(), ids[:-1, 1:].ravel()
    c, d = ids[1:, :-1].ravel(), ids[1:, 1:].ravel()
    tris = np.concatenate([np.stack(t, 1) for t in ((a, b, d), (a, c, d), (b, c, d), (a, b, c))])
    if len(tris) == 0:
        return SimplicialComplex(
            [ids.reshape(-1, 1)]
            + ([np.stack([ids.ravel()[:-1], ids.ravel()[1:]], 1)] if ids.size > 1 else []),
            n_vertices=ids.size,
        )
    return SimplicialComplex(
        [np.zeros((0, 1), np.int64), np.zeros((0, 2), np.int64), tris], n_vertices=ids.size
    )


def init_tri_complex(width: int, height: int) -> SimplicialComplex:
    """SciPy's Delaunay triangulation of the grid points (diagonals not consistently oriented)."""
    xs, ys = np.meshgrid(np.arange(width), np.arange(height))
    points = np.stack([xs.ravel(), ys.ravel()], 1).astype(float)
    return unique_simplices(delaunay_simplices(points), 2)


def _reference_maxdim(maxdim):
    # the reference accepted a bool here (False is 0, True is 1); only these layers do
    return int(maxdim) if isinstance(maxdim, bool) else maxdim


class LevelSetLayer(_nn.LevelSetLayer):
    """``LevelSetLayer(complex, maxdim=1, sublevel=True, alg='hom', keep_zero=False)``.

    ``alg`` is ignored; ``maxdim`` may be a bool (as the reference allowed); a column ``(n, 1)``
    input is flattened as the reference did; ``keep_zero=True`` keeps zero-length bars.

    Examples
    --------
    >>> import torch
    >>> from topolayer.compat.nn.levelset import init_line_complex
    >>> layer = LevelSetLayer(init_line_complex(4), maxdim=0)
    >>> dgms, issublevel = layer(torch.tensor([0.0, 2.0, 1.0, 3.0]))
    >>> dgms[0].tolist(), issublevel
    ([[1.0, 2.0], [0.0, inf]], True)
    """

    def __init__(
        self, complex, maxdim=1, sublevel: bool = True, alg: str = "hom", keep_zero: bool = False
    ) -> None:
        super().__init__(complex, maxdim=_reference_maxdim(maxdim), sublevel=sublevel)
        self.alg = alg
        self.keep_zero = _check_bool(keep_zero, "keep_zero")

    def forward(self, f: torch.Tensor):
        n = self.complex.n_vertices
        if isinstance(f, torch.Tensor) and f.dim() == 2 and f.shape == (n, 1) and n != 1:
            f = f.reshape(-1)
        dgm = _lower_star(f, self.complex, self.maxdim, not self.sublevel, self.keep_zero)
        return _as_reference_output(dgm, self.sublevel)


class LevelSetLayer1D(LevelSetLayer):
    """H0 of the level sets of a signal of length ``size``; returns ``(dgms, issublevel)``.

    Examples
    --------
    >>> import torch
    >>> dgms, issublevel = LevelSetLayer1D(4, sublevel=False)(torch.tensor([0.0, 2.0, 1.0, 3.0]))
    >>> dgms[0].tolist()
    [[2.0, 1.0], [3.0, -inf]]
    """

    def __init__(
        self, size: int, sublevel: bool = True, alg: str = "hom", keep_zero: bool = False
    ) -> None:
        super().__init__(
            init_line_complex(size), maxdim=0, sublevel=sublevel, alg=alg, keep_zero=keep_zero
        )
        self.size = size


class LevelSetLayer2D(_nn.LevelSetLayer2D):
    """``LevelSetLayer2D(size, maxdim=1, sublevel=True, complex="freudenthal", alg='hom')``:
    :class:`topolayer.nn.LevelSetLayer2D` (batched, through the cubical core) with the
    reference's ``alg`` argument, which is ignored.

    Examples
    --------
    >>> import torch
    >>> dgms, issublevel = LevelSetLayer2D((3, 3), maxdim=1)(torch.arange(9.0).reshape(3, 3))
    >>> dgms[0].tolist(), len(dgms[1])
    ([[0.0, inf]], 0)
    """

    def __init__(
        self,
        size,
        maxdim: int = 1,
        sublevel: bool = True,
        complex: str = "freudenthal",
        alg: str = "hom",
    ) -> None:
        super().__init__(size, maxdim=maxdim, sublevel=sublevel, complex=complex)
        self.alg = alg
