"""Differentiable level-set persistence of images (2D) and volumes (3D)."""

from __future__ import annotations

from typing import NamedTuple

import torch

from .._logging import logged
from .._ops import plain_eager, resolve_threads
from .._ops.cubical import CONSTRUCTIONS, cubical_pairs, cubical_pairs_kernel
from .._validate import MAX_DIM, as_float_tensor, check_bool, check_choice, check_max_dim
from ..diagram import Diagram, DiagramBatch
from ._common import gather_diagram

__all__ = ["cubical"]


class Options(NamedTuple):
    max_dim: int
    superlevel: bool
    construction: str
    ndim: int
    keep_zero: bool
    n_threads: int  # 0: every core


def check_options(max_dim, superlevel, construction, ndim, keep_zero, n_threads) -> Options:
    """Validated arguments of :func:`cubical` (also what :class:`~topolayer.nn.CubicalLayer`
    checks when it is built)."""
    if (  # the common, well-typed call: no validator calls in the hot path of small images
        type(max_dim) is int
        and 0 <= max_dim <= MAX_DIM
        and type(superlevel) is bool
        and type(keep_zero) is bool
        and type(ndim) is int
        and ndim in (2, 3)
        and construction in CONSTRUCTIONS
        and (n_threads is None or (type(n_threads) is int and n_threads > 0))
    ):
        return Options(max_dim, superlevel, construction, ndim, keep_zero, n_threads or 0)
    if isinstance(ndim, bool) or ndim not in (2, 3):
        raise ValueError(f"ndim must be 2 (images) or 3 (volumes), got {ndim!r}")
    return Options(
        check_max_dim(max_dim),
        check_bool(superlevel, "superlevel"),
        check_choice(construction, "construction", CONSTRUCTIONS),
        int(ndim),
        check_bool(keep_zero, "keep_zero"),
        resolve_threads(n_threads),
    )


def _check_grid(x, ndim: int) -> torch.Tensor:
    x = as_float_tensor(x, "x")
    if x.dim() < ndim:
        raise ValueError(
            f"x must have at least ndim={ndim} dimensions (the grid is the last {ndim}), "
            f"got shape {tuple(x.shape)}"
        )
    if any(s < 1 for s in x.shape[x.dim() - ndim :]):
        raise ValueError(
            f"the grid (last {ndim} dims of x) must be non-empty, got {tuple(x.shape)}"
        )
    return x


@logged("cubical")
def cubical(
    x: torch.Tensor,
    max_dim: int = 1,
    superlevel: bool = False,
    construction: str = "V",
    ndim: int = 2,
    keep_zero: bool = False,
    n_threads: int | None = None,
) -> Diagram | DiagramBatch:
    """Persistence of the sublevel (or superlevel) sets of images or volumes.

    The pixels are totally ordered by (value, flat index); each bar's birth and death are
    values of two pixels of ``x`` (its critical pixels), so autograd gives the exact
    gradient. Three constructions turn a grid into a filtered complex:

    - ``"freudenthal"``: pixels are vertices of the Freudenthal triangulation (2D: each square
      cut along the diagonal (i, j)-(i+1, j+1); 3D: the 6-tetrahedra Kuhn subdivision), with the
      lower-star filtration. Sublevel sets are 6-connected (2D) / 14-connected (3D).
    - ``"V"``: pixels are vertices of the cubical complex (a cell takes the max of its vertices,
      as GUDHI's ``CubicalComplex(vertices=...)`` and ``cripser.computePH``). Sublevel sets are
      4-connected (2D) / 6-connected (3D); their complements 8 / 26-connected.
    - ``"T"``: pixels are top cells (a cell takes the min of its cofaces, as
      ``CubicalComplex(top_dimensional_cells=...)`` and ``cripser.computePH_T``). Sublevel sets
      are 8-connected (2D) / 26-connected (3D); their complements 4 / 6-connected.

    Parameters
    ----------
    x : (..., H, W) or (..., D, H, W) Tensor or array
        Pixel values; the last ``ndim`` dimensions are the grid, every leading dimension is a
        batch. Any float dtype (float16/bfloat16 are computed in float32, gathered from ``x``)
        and any device (the pairs are computed on the CPU).
    max_dim : int
        Highest homology dimension returned (0..255). Dimensions from ``ndim`` on are always
        empty; they are returned without being computed.
    superlevel : bool
        Superlevel filtration: the sublevel filtration of ``-x`` reported in the values of
        ``x`` (bars run downwards, essential deaths are ``-inf``).
    construction : {"V", "T", "freudenthal"}
        Default ``"V"``, as Cubical Ripser and Betti matching use: as fast as ``"T"`` in 2D and
        3D, while ``"freudenthal"`` (the reference implementation's ``LevelSetLayer2D``, which
        keeps it) costs several times more on volumes. GUDHI's ``CubicalComplex`` and
        torch-topological take pixels as top cells: ``"T"``.
    ndim : {2, 3}
        Grid dimension.
    keep_zero : bool
        Keep bars whose birth and death values are equal (ties between distinct pixels).
    n_threads : int, optional
        Threads over batch items (default: all cores). Results do not depend on it.

    Returns
    -------
    Diagram
        If ``x.dim() == ndim``: ``dgm[k]`` is the ``(n_k, 2)`` tensor of (birth, death);
        ``dgm.indices[k]`` the ``(n_k, 2)`` flat (row-major) critical pixels, ``-1`` for the
        death of the essential class.
    DiagramBatch
        Otherwise, with ``batch_shape = x.shape[:-ndim]``.

    Notes
    -----
    The number of bars is data-dependent; the op's fake kernel declares it, so
    ``torch.compile(fullgraph=True)`` traces the whole layer (op, gather, features) into one
    graph. (``torch._dynamo.explain`` still reports a break at the op unless
    ``torch._dynamo.config.capture_dynamic_output_shape_ops = True``; compiling is unaffected.)

    Raises
    ------
    TypeError
        ``x`` is not floating point (tensors and arrays are accepted), or ``max_dim`` is not
        an int.
    ValueError
        ``ndim`` not 2/3 or larger than ``x.dim()``, an empty grid, an unknown
        ``construction``, or NaN/infinite values in ``x``.

    Examples
    --------
    >>> import torch
    >>> from topolayer.functional.cubical import cubical
    >>> img = torch.tensor([[0.0, 5.0, 0.0], [5.0, 1.0, 5.0], [0.0, 5.0, 0.0]])
    >>> cubical(img, max_dim=0, construction="T")[0]
    tensor([[0., 1.],
            [0., 1.],
            [0., 1.],
            [0., inf]])
    """
    opt = check_options(max_dim, superlevel, construction, ndim, keep_zero, n_threads)
    ndim = opt.ndim
    # Nothing lies above H_(ndim - 1) of a grid: compute up to there, return empty dimensions
    # above it.
    requested = opt.max_dim
    opt = opt._replace(max_dim=min(opt.max_dim, ndim - 1))
    x = _check_grid(x, ndim)
    grid = [int(s) for s in x.shape[x.dim() - ndim :]]
    n = 1
    for s in grid:
        n *= s
    batch_shape = tuple(x.shape[: x.dim() - ndim])
    rows = x.reshape(-1, n)
    op = cubical_pairs_kernel if plain_eager(rows) else cubical_pairs
    pairs = op(
        rows.detach(),
        grid,
        opt.construction,
        opt.max_dim,
        opt.superlevel,
        opt.keep_zero,
        opt.n_threads,
    )
    return gather_diagram(
        rows, pairs, opt.superlevel, batch_shape if x.dim() > ndim else None, max_dim=requested
    )
