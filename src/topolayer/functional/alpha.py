"""Differentiable alpha-complex persistence of 2D/3D point clouds.

The Delaunay triangulation (``scipy.spatial.Delaunay``) carries two filtrations:

* ``weak=False`` — the alpha filtration: a simplex enters at the radius of the smallest empty
  ball whose boundary holds its vertices. That is its own smallest circumscribing radius when
  that ball is empty (a Gabriel simplex), else the smallest value of its cofaces (the simplex is
  "attached"). Values are radii (GUDHI's ``AlphaComplex`` reports squared radii).
* ``weak=True`` — the reference implementation's ``AlphaLayer``: the flag filtration of the
  Delaunay complex by edge length (Rips values restricted to Delaunay simplices).

Persistence runs on the general simplicial core (``topolayer._core``) and returns critical
simplices; each bar's birth and death are then recomputed in torch from the critical simplex's
vertices (circumradius or edge length), so gradients reach the points.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import torch

from .. import _core
from ..diagram import Diagram, DiagramBatch

__all__ = ["alpha"]


def _delaunay_top(p: np.ndarray) -> tuple[np.ndarray, np.ndarray, int]:
    """Top simplices of the Delaunay triangulation of ``p`` (N, D) in its affine hull.

    Returns (top simplices (m, r+1), extra edges (e, 2) joining dropped duplicates, r) where r is
    the affine dimension used (points of lower rank are triangulated in their own hull).
    """
    from scipy.spatial import Delaunay, QhullError

    n, dim = p.shape
    centred = p - p.mean(0)
    sv = np.linalg.svd(centred, compute_uv=False) if n > 1 else np.zeros(1)
    scale = sv[0] if sv.size and sv[0] > 0 else 1.0
    rank = int((sv > 1e-10 * scale).sum()) if n > 1 else 0
    if rank == 0:  # one point, or all points equal
        e = (
            np.stack([np.arange(1, n), np.zeros(n - 1, dtype=np.int64)], 1)
            if n > 1
            else np.zeros((0, 2))
        )
        return np.zeros((0, 1), dtype=np.int64), e.astype(np.int64), 0
    if rank < dim:
        _, _, vt = np.linalg.svd(centred, full_matrices=False)
        q = centred @ vt[:rank].T
    else:
        q = p
    if rank == 1:
        order = np.argsort(q[:, 0], kind="stable")
        e = np.stack([order[:-1], order[1:]], 1).astype(np.int64)
        return e, np.zeros((0, 2), dtype=np.int64), 1
    try:
        tri = Delaunay(q)
    except QhullError as err:  # pragma: no cover - rank test above catches the usual cases
        raise ValueError(
            f"x: Delaunay triangulation failed ({err}); are the points degenerate?"
        ) from err
    extra = (
        tri.coplanar[:, [0, 2]].astype(np.int64)
        if len(tri.coplanar)
        else np.zeros((0, 2), dtype=np.int64)
    )
    return tri.simplices.astype(np.int64), extra, rank


def _gram_radius2_np(p: np.ndarray, s: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Squared circumradius and circumcentre of simplices ``s`` (m, k+1) in their affine hull."""
    k = s.shape[1] - 1
    p0 = p[s[:, 0]]
    if k == 0:
        return np.zeros(len(s)), p0
    v = p[s[:, 1:]] - p0[:, None, :]  # (m, k, D)
    g = np.einsum("mid,mjd->mij", v, v)
    b = 0.5 * np.einsum("mii->mi", g)
    if k == 1:
        lam = np.full((len(s), 1), 0.5)
    elif k == 2:
        det = g[:, 0, 0] * g[:, 1, 1] - g[:, 0, 1] ** 2
        det = np.where(det == 0, np.finfo(float).tiny, det)
        lam = np.stack(
            [
                (g[:, 1, 1] * b[:, 0] - g[:, 0, 1] * b[:, 1]) / det,
                (g[:, 0, 0] * b[:, 1] - g[:, 0, 1] * b[:, 0]) / det,
            ],
            1,
        )
    else:
        lam = np.linalg.solve(g, b[..., None])[..., 0]
    r2 = np.einsum("mi,mi->m", lam, b)
    centre = p0 + np.einsum("mi,mid->md", lam, v)
    return r2, centre


def _radius_torch(x: torch.Tensor, s: torch.Tensor) -> torch.Tensor:
    """Circumradius (in the affine hull) of simplices ``s`` (m, k+1) of points ``x``, in torch."""
    k = s.shape[1] - 1
    if k == 0 or len(s) == 0:
        return x.new_zeros(len(s))
    p0 = x[s[:, 0]]
    v = x[s[:, 1:]] - p0[:, None, :]
    g = v @ v.transpose(1, 2)
    b = 0.5 * torch.diagonal(g, dim1=1, dim2=2)
    if k == 1:
        r2 = 0.5 * b[:, 0]
    else:
        lam = torch.linalg.solve(g, b.unsqueeze(-1)).squeeze(-1)
        r2 = (lam * b).sum(-1)
    pos = r2 > 0
    return torch.where(
        pos, torch.sqrt(torch.where(pos, r2, torch.ones_like(r2))), torch.zeros_like(r2)
    )


def _length_torch(x: torch.Tensor, s: torch.Tensor) -> torch.Tensor:
    if len(s) == 0:
        return x.new_zeros(0)
    d = x[s[:, 0]] - x[s[:, 1]]
    sq = (d * d).sum(-1)
    pos = sq > 0
    return torch.where(
        pos, torch.sqrt(torch.where(pos, sq, torch.ones_like(sq))), torch.zeros_like(sq)
    )


def _filtration(p: np.ndarray, n: int, max_dim: int, weak: bool):
    """Complex, per-simplex values (squared radii or lengths) and source simplex per simplex."""
    top, extra, _ = _delaunay_top(p)
    r = top.shape[1] - 1
    given = [np.zeros((0, d + 1), dtype=np.int64) for d in range(max(r, 1) + 1)]
    given[r] = np.ascontiguousarray(top)
    if len(extra):
        given[1] = np.ascontiguousarray(np.concatenate([given[1], extra]))
    K = _core.Complex(given, n)
    off = np.concatenate([[0], np.cumsum(K.n_simplices)])
    total = int(off[-1])
    value = np.zeros(total)
    src = np.arange(total, dtype=np.int64)
    simp = [np.asarray(K.simplices(d)) for d in range(K.top_dim + 1)]
    # Own values.
    for d in range(1, K.top_dim + 1):
        s = simp[d]
        if weak:
            if d == 1:
                diff = p[s[:, 0]] - p[s[:, 1]]
                value[off[1] : off[2]] = np.sqrt((diff * diff).sum(1))
        else:
            value[off[d] : off[d + 1]] = _gram_radius2_np(p, s)[0]
    if weak:  # flag filtration: longest edge, found through the facets
        for d in range(2, K.top_dim + 1):
            f = np.asarray(K.facets(d)) + off[d - 1]
            fv = value[f]
            j = np.argmax(fv, axis=1)
            rows = np.arange(len(f))
            value[off[d] : off[d + 1]] = fv[rows, j]
            src[off[d] : off[d + 1]] = src[f[rows, j]]
        return K, value, src, simp, off
    # Alpha: top-down propagation to attached (non-Gabriel) faces.
    for d in range(K.top_dim, 1, -1):
        s = simp[d]
        f = np.asarray(K.facets(d)) + off[d - 1]  # column j omits vertex j
        m = len(s)
        faces = f.reshape(-1)
        opp = s.reshape(-1)
        cof = np.repeat(np.arange(m) + off[d], d + 1)
        fr2, centre = _gram_radius2_np(p, simp[d - 1])
        fl = faces - off[d - 1]
        dist2 = ((p[opp] - centre[fl]) ** 2).sum(1)
        attached = dist2 < fr2[fl] * (1 - 1e-12)
        cv = value[cof]
        best = np.full(len(simp[d - 1]), np.inf)
        np.minimum.at(best, fl, cv)
        hit = cv == best[fl]
        best_src = np.full(len(simp[d - 1]), -1, dtype=np.int64)
        best_src[fl[hit]] = src[cof[hit]]
        any_att = np.zeros(len(simp[d - 1]), dtype=bool)
        any_att[fl[attached]] = True
        own = value[off[d - 1] : off[d]]
        take = any_att | (own > best)
        idx = np.nonzero(take)[0]
        value[off[d - 1] + idx] = best[idx]
        src[off[d - 1] + idx] = best_src[idx]
    # Edges of duplicates / dropped points have no cofaces: they keep their own value.
    return K, value, src, simp, off


def _prepare(x) -> tuple[list[torch.Tensor], bool]:
    if isinstance(x, (list, tuple)):
        if len(x) == 0:
            raise ValueError("x is an empty list; give at least one point cloud")
        items, batched = list(x), True
        names = [f"x[{i}]" for i in range(len(items))]
    elif isinstance(x, torch.Tensor) and x.dim() == 3:
        items, batched = list(x.unbind(0)), True
        names = [f"x[{i}]" for i in range(len(items))]
        if not items:
            raise ValueError("x has batch size 0")
    else:
        items, batched, names = [x], False, ["x"]
    for t, name in zip(items, names, strict=True):
        if not isinstance(t, torch.Tensor):
            raise TypeError(f"{name} must be a torch.Tensor, got {type(t).__name__}")
        if not t.is_floating_point():
            raise TypeError(f"{name} must have a floating dtype, got {t.dtype}")
        if t.dim() != 2 or t.shape[1] not in (2, 3):
            raise ValueError(
                f"{name} must be an (N, 2) or (N, 3) point cloud, got shape {tuple(t.shape)}"
            )
        if t.shape[0] == 0:
            raise ValueError(f"{name} has no points (N = 0); give at least one")
    return items, batched


def _one(x: torch.Tensor, max_dim: int, weak: bool, keep_zero: bool):
    p = x.detach().cpu().to(torch.float64).numpy()
    if not np.isfinite(p).all():
        raise ValueError("x must be finite, but it has NaN or inf entries")
    n, dim = p.shape
    K, value, src, simp, off = _filtration(p, n, max_dim, weak)
    pairs = _core.filtration(K, np.ascontiguousarray(value[None, :]), max_dim, keep_zero, 1)
    # Torch values of the needed source simplices.
    bars, indices = [], []
    dims_of = np.searchsorted(off, np.arange(len(value)), side="right") - 1
    width = 2 * (dim + 1)
    for k in range(max_dim + 1):
        r = np.asarray(pairs[k]) if k < len(pairs) else np.zeros((0, 3), dtype=np.int64)
        b_src = src[r[:, 1]]
        essential = r[:, 2] < 0
        d_src = src[np.where(essential, 0, r[:, 2])]
        vals = []
        idx_rows = np.full((len(r), width), -1, dtype=np.int64)
        for col, s_ids in ((0, b_src), (1, d_src)):
            out = x.new_zeros(len(r))
            sd = dims_of[s_ids]
            for d in np.unique(sd):
                sel = np.nonzero(sd == d)[0]
                verts = simp[d][s_ids[sel] - off[d]]
                vt = torch.as_tensor(verts, device=x.device)
                v = (
                    _length_torch(x, vt)
                    if (weak and d == 1)
                    else (x.new_zeros(len(sel)) if d == 0 else _radius_torch(x, vt))
                )
                out = out.index_put((torch.as_tensor(sel, device=x.device),), v)
                idx_rows[sel, col * (dim + 1) : col * (dim + 1) + d + 1] = verts
            vals.append(out)
        ess = torch.as_tensor(essential, device=x.device)
        death = torch.where(ess, torch.full_like(vals[1], math.inf), vals[1])
        idx_rows[essential, dim + 1 :] = -1
        bars.append(torch.stack([vals[0], death], 1))
        indices.append(torch.as_tensor(idx_rows, device=x.device))
    return bars, indices


def alpha(
    x: torch.Tensor | Sequence[torch.Tensor],
    max_dim: int = 1,
    weak: bool = False,
    keep_zero: bool = False,
) -> Diagram | DiagramBatch:
    """Alpha-complex persistence of 2D/3D points, differentiable in the points.

    Parameters
    ----------
    x : (N, D) Tensor, (B, N, D) Tensor or list of (N_i, D) Tensor, D in {2, 3}
        Point clouds. Duplicate points give zero-length H0 bars (dropped unless ``keep_zero``);
        collinear or coplanar clouds are triangulated in their own affine hull.
    max_dim : int
        Highest homology dimension (0..D-1).
    weak : bool
        False: the alpha filtration (values are radii, GUDHI's squared radii square-rooted).
        True: flag filtration of the Delaunay complex by edge length (the reference's AlphaLayer).
    keep_zero : bool
        Keep zero-length bars.

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
        Wrong shape, D not 2 or 3, no points, non-finite coordinates, bad ``max_dim``.

    Examples
    --------
    >>> import torch
    >>> from topolayer.functional.alpha import alpha
    >>> t = torch.linspace(0, 2 * torch.pi, 13)[:-1]
    >>> dgm = alpha(torch.stack([t.cos(), t.sin()], 1))
    >>> len(dgm[1])
    1
    """
    if not isinstance(max_dim, int) or isinstance(max_dim, bool) or not 0 <= max_dim <= 2:
        raise ValueError(f"max_dim must be an int in 0..2, got {max_dim!r}")
    items, batched = _prepare(x)
    results = [_one(t, max_dim, weak, keep_zero) for t in items]
    if not batched:
        bars, idx = results[0]
        return Diagram(bars, idx)
    bars, batch, idx = [], [], []
    for k in range(max_dim + 1):
        bars.append(torch.cat([r[0][k] for r in results]))
        idx.append(torch.cat([r[1][k] for r in results]))
        batch.append(
            torch.cat(
                [
                    torch.full((len(r[0][k]),), i, dtype=torch.int64, device=bars[-1].device)
                    for i, r in enumerate(results)
                ]
            )
        )
    return DiagramBatch(bars, batch, len(results), idx)
