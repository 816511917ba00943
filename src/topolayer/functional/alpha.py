"""Differentiable alpha-complex persistence of 2D/3D point clouds.

The Delaunay triangulation (``scipy.spatial.Delaunay``) carries two filtrations:

* ``weak=False`` — the alpha filtration: a simplex enters at the radius of the smallest empty
  ball whose boundary holds its vertices. That is its own smallest circumscribing radius when
  that ball is empty (a Gabriel simplex), else the smallest value of its cofaces (the simplex is
  "attached"). Values are radii (GUDHI's ``AlphaComplex`` reports squared radii).
* ``weak=True`` — the reference implementation's ``AlphaLayer``: the flag filtration of the
  Delaunay complex by edge length (Rips values restricted to Delaunay simplices).

Degenerate input (grids, cospherical or coplanar points) makes Qhull's triangulated output hold
flat simplices, so it is no triangulation: the alpha filtration drops those on the hull and gives
those inside their true values (``drop_hull_flat_simplices`` and ``settle_flat_tetrahedra`` in
``cpp/include/topolayer/alpha.hpp``).

Persistence runs, in the plane, on a union-find for H0 and a dual union-find over the triangles
for H1; in 3D on the general simplicial core (Qhull, then one C++ call for the batch, items on
worker threads). Both return critical simplices; each bar's birth and death are then recomputed in
torch from the critical simplex's vertices (circumradius or edge length), so gradients reach the
points. A flat tetrahedron (four concyclic vertices of a degenerate triangulation) comes from the
op as its first three vertices, whose circle gives its value, so flatness is decided once, in
C++, with exact predicates.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch

from .._bars import safe_root
from .._logging import logged
from .._ops import plain_eager, resolve_threads
from .._ops.alpha import alpha_pairs, alpha_pairs_kernel
from .._validate import as_float_tensor, check_bool, check_max_dim
from ..diagram import Diagram, DiagramBatch
from ._common import gather_diagram
from .rips import is_cloud_list

__all__ = ["alpha"]


def _prepare(x) -> tuple[list[torch.Tensor], bool]:
    if is_cloud_list(x):
        if len(x) == 0:
            raise ValueError("x is an empty list; give at least one point cloud")
        items = [as_float_tensor(t, f"x[{i}]") for i, t in enumerate(x)]
        batched = True
        names = [f"x[{i}]" for i in range(len(items))]
    else:
        x = as_float_tensor(x, "x")
        if x.dim() == 3:
            items, batched = list(x.unbind(0)), True
            names = [f"x[{i}]" for i in range(len(items))]
            if not items:
                raise ValueError("x has batch size 0")
        else:
            items, batched, names = [x], False, ["x"]
    for t, name in zip(items, names, strict=True):
        if t.dim() != 2 or t.shape[1] not in (2, 3):
            raise ValueError(
                f"{name} must be an (N, 2) or (N, 3) point cloud, got shape {tuple(t.shape)}"
            )
        if t.shape[0] == 0:
            raise ValueError(f"{name} has no points (N = 0); give at least one")
    return items, batched


def _solve_small(g: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """Solve ``g λ = b`` for (m, k, k) ``g``, k in {2, 3}, by the adjugate.

    Elementwise formulas (no LAPACK call) keep the batch size free under torch.compile.
    """
    k = g.shape[-1]
    if k == 2:
        det = g[:, 0, 0] * g[:, 1, 1] - g[:, 0, 1] * g[:, 1, 0]
        l0 = g[:, 1, 1] * b[:, 0] - g[:, 0, 1] * b[:, 1]
        l1 = g[:, 0, 0] * b[:, 1] - g[:, 1, 0] * b[:, 0]
        return torch.stack([l0, l1], -1) / det[:, None]
    r0, r1, r2 = g[:, 0], g[:, 1], g[:, 2]
    c0, c1, c2 = torch.linalg.cross(r1, r2), torch.linalg.cross(r2, r0), torch.linalg.cross(r0, r1)
    det = (r0 * c0).sum(-1)
    return (c0 * b[:, :1] + c1 * b[:, 1:2] + c2 * b[:, 2:]) / det[:, None]


def _padded_radius(x: torch.Tensor, verts: torch.Tensor) -> torch.Tensor:
    """Circumradius of simplices given as ``(m, D + 1)`` vertex ids padded with -1, in torch.

    Padded vertices enter the Gram system as identity rows with a zero right-hand side, so one
    batched solve of fixed shape covers vertices (radius 0), edges and triangles. Full-dimensional
    simplices solve with their edge vectors instead (better conditioned, as the C++ core's
    ``circumball`` does); each branch sees the identity in the other's rows, so neither makes
    NaN gradients.
    """
    pts = x[verts.clamp(min=0)]  # (m, D + 1, D)
    v = pts[:, 1:] - pts[:, :1]
    # Simplices so large or small that the solves' sixth powers (Gram determinants) would
    # overflow or underflow are scaled by a power of two (exact), in two factors (one alone
    # overflows for the smallest subnormals).
    big = 20 if x.dtype == torch.float32 else 100
    m = v.detach().abs().amax((1, 2))
    e = torch.frexp(m).exponent
    e = torch.where((e > big) | ((e < -big) & (m > 0)), e, torch.zeros_like(e)).to(x.dtype)
    s1, s2 = torch.exp2(torch.floor(e / 2)), torch.exp2(e - torch.floor(e / 2))
    v = v / s1[:, None, None] / s2[:, None, None]
    # Padding, and a vertex equal to the first (duplicate points), leave the system.
    keep = (verts[:, 1:] >= 0) & ((v.detach() != 0).any(-1))
    k = v.shape[-1]
    v = v * keep[..., None].to(x.dtype)
    g = v @ v.transpose(1, 2)
    b = 0.5 * torch.diagonal(g, dim1=1, dim2=2)
    g = g + torch.diag_embed((~keep).to(x.dtype))
    full = keep.all(-1)[:, None, None]
    eye = torch.eye(k, dtype=x.dtype, device=x.device).expand_as(g)
    lam = _solve_small(torch.where(full, eye, g), b)
    xc = _solve_small(torch.where(full, v, eye), b)  # circumcentre minus first vertex
    r2 = torch.where(full[:, 0, 0], (xc * xc).sum(-1), (lam * b).sum(-1))
    return safe_root(r2, 2) * s1 * s2  # zero (sub)gradient at radius 0


def check_options(max_dim, weak, keep_zero) -> tuple[int, bool, bool]:
    """Validated ``(max_dim, weak, keep_zero)`` of :func:`alpha` (also what the
    :mod:`topolayer.nn` alpha modules check when they are built)."""
    return (
        check_max_dim(max_dim, 2),
        check_bool(weak, "weak"),
        check_bool(keep_zero, "keep_zero"),
    )


def _cell_values(x: torch.Tensor, cells: torch.Tensor, weak: bool) -> torch.Tensor:
    """Values of the op's critical simplices: circumradii, or for ``weak`` edge lengths (an edge
    is the source of every weak value, and its length is twice its radius)."""
    if x.dtype in (torch.float16, torch.bfloat16):  # computed in float32, as the core does
        return _cell_values(x.float(), cells, weak).to(x.dtype)
    r = _padded_radius(x, cells)
    return 2 * r if weak else r


def _indices(pairs: list[torch.Tensor], cells: torch.Tensor, starts: torch.Tensor):
    """Per dimension the ``(n_k, 2 (D + 1))`` vertices (item-local) of each bar's birth and
    death simplices, ``-1`` padded; an essential death is all ``-1``. Read through the
    positions, which index the cell table (also as ``torch.func.vmap`` renumbers it)."""
    m = len(pairs) // 2
    c = len(cells)
    out = []
    for r, p in zip(pairs[:m], pairs[m : 2 * m], strict=True):
        live = p < c  # the rest: essential deaths (and vmap's padding bars)
        v = cells[torch.where(live, p, 0).reshape(-1)].reshape(len(p), 2, cells.shape[1])
        s = starts[r[:, 0].clamp(min=0)][:, None, None]
        v = torch.where((v >= 0) & live[..., None], v - s, torch.full_like(v, -1))
        out.append(v.reshape(len(p), 2 * cells.shape[1]))
    return out


@logged("alpha")
def alpha(
    x: torch.Tensor | Sequence[torch.Tensor],
    max_dim: int = 1,
    weak: bool = False,
    keep_zero: bool = False,
    n_threads: int | None = None,
) -> Diagram | DiagramBatch:
    """Alpha-complex persistence of 2D/3D points, differentiable in the points.

    Parameters
    ----------
    x : (N, D) Tensor, (B, N, D) Tensor or list of (N_i, D) Tensor, D in {2, 3}
        Point clouds. Duplicate points give zero-length H0 bars (dropped unless ``keep_zero``);
        collinear or coplanar clouds are triangulated in their own affine hull.
    max_dim : int
        Highest homology dimension, 0..2 (the alpha complex of points in R^D has no homology above D - 1, so H2 of a 2D cloud is empty).
    weak : bool
        False: the alpha filtration (values are radii, GUDHI's squared radii square-rooted).
        True: flag filtration of the Delaunay complex by edge length (the reference's AlphaLayer).
    keep_zero : bool
        Keep zero-length bars.
    n_threads : int, optional
        Threads over the batch (for the clouds' Delaunay triangulations, then the rest); default
        every core. Results are identical for every thread count.

    Returns
    -------
    Diagram or DiagramBatch
        Bars ``(n_k, 2)`` in ``x``'s dtype; ``indices[k]`` is ``(n_k, 2 (D + 1))`` int64: the
        vertices of the critical (source) simplex of the birth, then of the death, ``-1`` padded.

    Raises
    ------
    TypeError
        Non-floating input.
    ValueError
        Wrong shape, D not 2 or 3, no points, non-finite coordinates, bad ``max_dim`` or
        ``n_threads``.

    Examples
    --------
    >>> import torch
    >>> from topolayer.functional.alpha import alpha
    >>> t = torch.linspace(0, 2 * torch.pi, 13)[:-1]
    >>> dgm = alpha(torch.stack([t.cos(), t.sin()], 1))
    >>> len(dgm[1])
    1
    """
    max_dim, weak, keep_zero = check_options(max_dim, weak, keep_zero)
    threads = resolve_threads(n_threads)
    items, batched = _prepare(x)
    flat = torch.cat(items) if len(items) > 1 else items[0]
    counts = torch.tensor([len(t) for t in items], dtype=torch.int64)
    op = alpha_pairs_kernel if plain_eager(flat) else alpha_pairs
    pairs = op(flat.detach(), counts, max_dim, bool(weak), bool(keep_zero), threads)
    cells = pairs[-1]
    starts = (torch.cumsum(counts, 0) - counts).to(cells.device)
    values = _cell_values(flat, cells, bool(weak))
    return gather_diagram(
        values,
        pairs,
        False,
        (len(items),) if batched else None,
        _indices(pairs, cells, starts),
    )
