"""nn.Module wrappers for images and volumes: CubicalLayer and the seed's LevelSetLayer2D."""

from __future__ import annotations

import torch
from torch import nn

from .._validate import check_bool, check_max_dim
from ..diagram import Diagram, DiagramBatch
from ..functional.cubical import check_options, cubical
from ..functional.simplicial import lower_star
from .simplicial import as_reference_output

__all__ = ["CubicalLayer", "LevelSetLayer2D"]


class CubicalLayer(nn.Module):
    """Level-set persistence of images or volumes (see :func:`topolayer.functional.cubical`).

    Parameters
    ----------
    max_dim : int
        Highest homology dimension.
    superlevel : bool
        Superlevel instead of sublevel filtration.
    construction : {"V", "T", "freudenthal"}
        Default ``"V"`` (see :func:`topolayer.functional.cubical`).
    ndim : {2, 3}
        Grid dimension: the last ``ndim`` dims of the input are the grid.
    keep_zero : bool
        Keep zero-length bars.
    n_threads : int, optional
        Threads over batch items (default: all cores).

    Examples
    --------
    >>> import torch
    >>> from topolayer.nn.cubical import CubicalLayer
    >>> layer = CubicalLayer(max_dim=1, construction="V")
    >>> layer(torch.rand(4, 8, 8)).batch_size
    4
    """

    def __init__(
        self,
        max_dim: int = 1,
        superlevel: bool = False,
        construction: str = "V",
        ndim: int = 2,
        keep_zero: bool = False,
        n_threads: int | None = None,
    ) -> None:
        super().__init__()
        check_options(max_dim, superlevel, construction, ndim, keep_zero, n_threads)
        self.max_dim = max_dim
        self.superlevel = superlevel
        self.construction = construction
        self.ndim = ndim
        self.keep_zero = keep_zero
        self.n_threads = n_threads

    def forward(self, x: torch.Tensor) -> Diagram | DiagramBatch:
        """``x`` : (..., H, W) or (..., D, H, W) Tensor -> Diagram or DiagramBatch."""
        return cubical(
            x,
            max_dim=self.max_dim,
            superlevel=self.superlevel,
            construction=self.construction,
            ndim=self.ndim,
            keep_zero=self.keep_zero,
            n_threads=self.n_threads,
        )

    def extra_repr(self) -> str:
        return (
            f"max_dim={self.max_dim}, superlevel={self.superlevel}, "
            f"construction={self.construction!r}, ndim={self.ndim}"
        )


_COMPLEXES = {"freudenthal": "freudenthal", "grid": "T"}


class LevelSetLayer2D(nn.Module):
    """The reference implementation's image layer, now batched and stateless.

    Parameters
    ----------
    size : (int, int)
        ``(width, height)``, as in the reference: vertex index = row * width + col, so an
        ``(H, W)`` image takes ``size=(W, H)``.
    maxdim : int
        Highest homology dimension (default 1).
    sublevel : bool
        Sublevel (True) or superlevel (False) filtration.
    complex : {"freudenthal", "grid", "delaunay"}
        ``"freudenthal"``: the Freudenthal triangulation (diagonal (i, j)-(i+1, j+1)).
        ``"grid"``: the reference's complex with both diagonals; its H0 and H1 are those of the
        ``"T"`` construction (8-connected sublevel sets), which is what is computed here (the
        reference also reports spurious H2 spheres of that complex, never used with maxdim <= 1).
        ``"delaunay"``: scipy's Delaunay triangulation of the lattice (diagonals as Qhull picks
        them), lower-star; computed through the general simplicial core.

    Returns (from ``forward``)
    -------
    (dgms, issublevel)
        For one image (input ``(H, W)`` or ``(W*H,)``): ``dgms`` is a tuple of ``(n_k, 2)``
        tensors, ``k = 0..maxdim``. For a batch (``(..., H, W)`` or ``(..., W*H)``): ``dgms`` is
        a :class:`~topolayer.DiagramBatch`. Zero-length bars are dropped; essential deaths are
        ``+inf`` (sublevel) or ``-inf`` (superlevel), as in the reference.

    Examples
    --------
    >>> import torch
    >>> img = torch.ones(5, 5)
    >>> img[2, 2] = 2.0
    >>> img[1:4, 1:4][img[1:4, 1:4] == 1] = 0.0   # a ring of zeros around a peak
    >>> dgms, issublevel = LevelSetLayer2D((5, 5), maxdim=1)(img)
    >>> dgms[1].tolist()   # the ring closes at 0; the peak fills it at 2
    [[0.0, 2.0]]
    """

    def __init__(self, size, maxdim: int = 1, sublevel: bool = True, complex: str = "freudenthal"):
        super().__init__()
        width, height = (int(s) for s in size)
        if width < 1 or height < 1:
            raise ValueError(f"size must be (width, height) with positive entries, got {size}")
        if complex not in ("freudenthal", "grid", "delaunay"):
            raise ValueError(
                f"complex must be 'freudenthal', 'grid' or 'delaunay', got {complex!r}"
            )
        self.size = (width, height)
        self.maxdim = check_max_dim(maxdim, name="maxdim")
        self.sublevel = check_bool(sublevel, "sublevel")
        self.complex = complex
        self._delaunay = None
        if complex == "delaunay":
            self._delaunay = _delaunay_complex(width, height)

    def _as_images(self, f: torch.Tensor) -> torch.Tensor:
        width, height = self.size
        if not isinstance(f, torch.Tensor):
            raise TypeError(f"input must be a torch.Tensor, got {type(f).__name__}")
        if f.dim() >= 2 and tuple(f.shape[-2:]) == (height, width):
            return f
        if f.dim() >= 1 and f.shape[-1] == width * height:
            return f.reshape(*f.shape[:-1], height, width)
        raise ValueError(
            f"input must have shape (..., {height}, {width}) or (..., {width * height}) for "
            f"size=(width={width}, height={height}), got {tuple(f.shape)}"
        )

    def forward(self, f: torch.Tensor):
        img = self._as_images(f)
        if self._delaunay is not None:
            dgm = _lower_star_delaunay(img, self._delaunay, self.maxdim, not self.sublevel)
        else:
            dgm = cubical(
                img,
                max_dim=self.maxdim,
                superlevel=not self.sublevel,
                construction=_COMPLEXES[self.complex],
            )
        return as_reference_output(dgm, self.sublevel)

    def extra_repr(self) -> str:
        return (
            f"size={self.size}, maxdim={self.maxdim}, sublevel={self.sublevel}, "
            f"complex={self.complex!r}"
        )


def _delaunay_complex(width: int, height: int):
    """SciPy's Delaunay triangulation of the ``width x height`` lattice (the reference's
    ``init_tri_complex``), vertex ``row * width + col``; a path when the grid is one wide."""
    import numpy as np

    from .._delaunay import delaunay_simplices
    from ..complexes import SimplicialComplex

    n = width * height
    if width < 2 or height < 2:
        return SimplicialComplex.path(n)
    xs, ys = np.meshgrid(np.arange(width), np.arange(height))
    pts = np.stack([xs.ravel(), ys.ravel()], axis=1).astype(float)
    return SimplicialComplex.triangle_mesh(delaunay_simplices(pts), n_vertices=n)


def _lower_star_delaunay(img: torch.Tensor, K, maxdim: int, superlevel: bool):
    """Lower-star persistence of ``(..., H, W)`` images on the Delaunay complex ``K``."""
    rows = img.reshape(*img.shape[:-2], img.shape[-2] * img.shape[-1])
    return lower_star(rows, K, max_dim=maxdim, superlevel=superlevel)
