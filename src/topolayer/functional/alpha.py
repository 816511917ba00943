"""Differentiable alpha-complex persistence of 2D/3D point clouds.

The Delaunay triangulation (``scipy.spatial.Delaunay``) carries two filtrations:

* ``weak=False`` — the alpha filtration: a simplex enters at the radius of the smallest empty
  ball whose boundary holds its vertices. That is its own smallest circumscribing radius when
  that ball is empty (a Gabriel simplex), else the smallest value of its cofaces (the simplex is
  "attached"). Values are radii (GUDHI's ``AlphaComplex`` reports squared radii).
* ``weak=True`` — the reference implementation's ``AlphaLayer``: the flag filtration of the
  Delaunay complex by edge length (Rips values restricted to Delaunay simplices).

Degenerate input (grids, cospherical or coplanar points) makes Qhull's triangulated output hold
flat simplices, so it is no triangulation: the alpha filtration drops those on the hull
(``_drop_hull_flat_simplices``) and gives those inside their true values
(``_settle_flat_tetrahedra``).

Persistence runs, in the plane, on a union-find for H0 and a dual union-find over the triangles
for H1 (``_core.planar_pairs``); in 3D on the general simplicial core. Both return critical
simplices; each bar's birth and death are then recomputed in torch from the critical simplex's
vertices (circumradius or edge length), so gradients reach the points.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import torch

from .. import _core, _ops_rips  # noqa: F401  (_ops_rips registers topolayer::alpha_pairs)
from .._bars import safe_root
from ..diagram import Diagram, DiagramBatch

__all__ = ["alpha"]


def _delaunay_top(p: np.ndarray, drop_flat: bool = True) -> tuple[np.ndarray, np.ndarray, int]:
    """Top simplices of the Delaunay triangulation of ``p`` (N, D) in its affine hull.

    Returns (top simplices (m, r+1), extra edges (e, 2) joining dropped duplicates, r) where r is
    the affine dimension used (points of lower rank are triangulated in their own hull).
    ``drop_flat`` removes Qhull's flat simplices on the hull (``_drop_hull_flat_simplices``);
    the weak filtration keeps Qhull's output as it is, like the reference implementation.
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
    top = tri.simplices.astype(np.int64)
    if drop_flat:
        top = _drop_hull_flat_simplices(q, top, tri.neighbors)
    return top, extra, rank


def _drop_hull_flat_simplices(q: np.ndarray, top: np.ndarray, nbr: np.ndarray) -> np.ndarray:
    """Remove the flat top simplices that Qhull lays on flat parts of the convex hull.

    SciPy always asks Qhull for triangulated output ('Qt'). On degenerate input (grids,
    cospherical, coplanar or collinear points) that output holds flat simplices: in 3D four
    coplanar vertices whose faces are two different triangulations of one planar polygon, in the
    plane three collinear vertices on a hull edge. The complex is then no triangulation. On the
    hull one side of such a flat simplex is glued to nothing but flat simplices; dropping each
    connected group of flat simplices that reaches the hull (``nbr``: Qhull's neighbours, -1 on
    the hull), with the faces that only it holds, leaves a proper triangulation there. Flat
    tetrahedra that remain lie between two Delaunay cells (they close the 2-sphere that the two
    triangulations of their polygon make); ``_settle_flat_tetrahedra`` gives them their values.
    A group is kept when its removal would not be a collapse (``_collapses_away``): a thin but
    real simplex taken for flat must not change the homotopy type.
    """
    flat = _is_flat(q[top[:, 1:]] - q[top[:, :1]])
    if not flat.any():
        return top
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    m, w = top.shape
    a, b = np.repeat(np.arange(m), w), nbr.reshape(-1).astype(np.int64)
    link = flat[a] & (b >= 0) & flat[np.maximum(b, 0)]
    graph = coo_matrix((np.ones(int(link.sum())), (a[link], b[link])), shape=(m, m))
    _, comp = connected_components(graph, directed=False)
    on_hull = np.zeros(comp.max() + 1, dtype=bool)
    on_hull[comp[a[flat[a] & (b < 0)]]] = True
    drop = flat & on_hull[comp]
    while drop.any():
        # Kept top simplices by vertex (CSR), so each group looks only at its neighbourhood.
        kept = np.nonzero(~drop)[0]
        order = np.argsort(top[kept].ravel(), kind="stable")
        by_vertex = np.repeat(kept, w)[order]
        starts = np.searchsorted(top[kept].ravel()[order], np.arange(len(q) + 1))
        cand = np.nonzero(drop)[0]
        cand = cand[np.argsort(comp[cand], kind="stable")]
        bounds = np.flatnonzero(np.diff(comp[cand])) + 1
        blocked = [
            g for g in np.split(cand, bounds) if not _collapses_away(top, g, by_vertex, starts)
        ]
        if not blocked:
            break
        drop[np.concatenate(blocked)] = False
    return top[~drop]


def _collapses_away(
    top: np.ndarray, group: np.ndarray, by_vertex: np.ndarray, starts: np.ndarray
) -> bool:
    """Whether removing the top simplices ``group``, and the faces that no kept top simplex holds,
    is a sequence of elementary collapses (so the homotopy type stays) that loses no vertex.

    ``by_vertex[starts[v]:starts[v + 1]]`` lists the kept top simplices at vertex v. Exact
    degeneracies always pass; a thin but real simplex near the flatness threshold may not.
    """
    from itertools import combinations

    verts = np.unique(top[group])
    if (starts[verts + 1] == starts[verts]).any():
        return False
    near = np.unique(np.concatenate([by_vertex[starts[v] : starts[v + 1]] for v in verts]))
    rows = np.sort(top[near], axis=1).tolist()
    held = {f for t in rows for k in range(2, len(t) + 1) for f in combinations(t, k)}
    rest = {
        f
        for t in np.sort(top[group], axis=1).tolist()
        for k in range(2, len(t) + 1)
        for f in combinations(t, k)
        if f not in held
    }
    cofaces = {f: {g for g in rest if len(g) == len(f) + 1 and set(f) <= set(g)} for f in rest}
    while rest:
        free = next(((f, next(iter(c))) for f, c in cofaces.items() if len(c) == 1), None)
        if free is None:
            return False
        for f in free:
            rest.discard(f)
            del cofaces[f]
            for c in cofaces.values():
                c.discard(f)
    return True


# A full-dimensional simplex is flat when |det| of its edge vectors is below this fraction of
# (mean squared edge length)^(k/2). Qhull's flat simplices on exactly degenerate input measure
# ~1e-16; this threshold also takes input within ~1e-7 of a degeneracy (float32 grids, rounded
# coordinates), where Qhull's own rounding already bends its output, for degenerate. Random
# clouds rarely hold real simplices this thin. Near-degenerate input just above the threshold
# (relative perturbations ~1e-6..1e-5) is the one regime where the result may still stray from
# exact arithmetic.
_FLAT_RTOL = 1e-6


def _is_flat(v: np.ndarray) -> np.ndarray:
    """Zero-volume test for k-simplices in R^k from their (m, k, k) edge vectors.

    ``_padded_radius`` applies the same test in torch, so both sides agree on which simplices
    are flat.
    """
    k = v.shape[-1]
    scale = (np.einsum("mij,mij->m", v, v) / k) ** (k / 2)
    return np.abs(_adjugate_solve_np(v, None)[0]) <= _FLAT_RTOL * scale


def _adjugate_solve_np(v: np.ndarray, b: np.ndarray | None) -> tuple[np.ndarray, np.ndarray | None]:
    """``det(v)`` and ``adj(v) b`` for (m, k, k) ``v``, k in {2, 3}, by closed forms.

    ``v x = b`` is then ``x = adj(v) b / det(v)``; as ``_solve_small`` does in torch, without a
    LAPACK call per simplex.
    """
    if v.shape[-1] == 2:
        det = v[:, 0, 0] * v[:, 1, 1] - v[:, 0, 1] * v[:, 1, 0]
        if b is None:
            return det, None
        y0 = v[:, 1, 1] * b[:, 0] - v[:, 0, 1] * b[:, 1]
        return det, np.stack([y0, v[:, 0, 0] * b[:, 1] - v[:, 1, 0] * b[:, 0]], 1)
    r0, r1, r2 = v[:, 0], v[:, 1], v[:, 2]
    c0 = np.cross(r1, r2)
    det = np.einsum("md,md->m", r0, c0)
    if b is None:
        return det, None
    return det, c0 * b[:, :1] + np.cross(r2, r0) * b[:, 1:2] + np.cross(r0, r1) * b[:, 2:]


def _gram_radius2_np(p: np.ndarray, s: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Squared circumradius and circumcentre of simplices ``s`` (m, k+1) in their affine hull."""
    k = s.shape[1] - 1
    p0 = p[s[:, 0]]
    if k == 0:
        return np.zeros(len(s)), p0
    v = p[s[:, 1:]] - p0[:, None, :]  # (m, k, D)
    g = np.einsum("mid,mjd->mij", v, v)
    b = 0.5 * np.einsum("mii->mi", g)
    if k == v.shape[2]:
        # Full-dimensional: solve v x = b with the edge vectors themselves, whose condition number
        # is the square root of the Gram matrix's (thin simplices of near-degenerate input). A flat
        # tetrahedron (see _settle_flat_tetrahedra) takes the min-norm solution of the Gram
        # system: the circle of its (concyclic) vertices. Three collinear points have no circle;
        # only an exactly singular triangle (never seen in practice) takes that fallback.
        det, y = _adjugate_solve_np(v, b)
        scale = (np.einsum("mij,mij->m", v, v) / k) ** (k / 2)
        flat = np.abs(det) <= _FLAT_RTOL * scale if k == 3 else det == 0  # _is_flat for k = 3
        x = y / np.where(flat, 1.0, det)[:, None]
        if flat.any():
            lam = np.einsum("mij,mj->mi", np.linalg.pinv(g[flat]), b[flat])
            x[flat] = np.einsum("mi,mid->md", lam, v[flat])
        return np.einsum("md,md->m", x, x), p0 + x
    if k == 1:
        lam = np.full((len(s), 1), 0.5)
    else:  # a triangle in R^3: |a x b|^2 directly, not g00 g11 - g01^2 (which cancels)
        n = np.cross(v[:, 0], v[:, 1])
        det = np.einsum("md,md->m", n, n)
        det = np.where(det == 0, np.finfo(float).tiny, det)
        lam = np.stack(
            [
                (g[:, 1, 1] * b[:, 0] - g[:, 0, 1] * b[:, 1]) / det,
                (g[:, 0, 0] * b[:, 1] - g[:, 0, 1] * b[:, 0]) / det,
            ],
            1,
        )
    r2 = np.einsum("mi,mi->m", lam, b)
    centre = p0 + np.einsum("mi,mid->md", lam, v)
    return r2, centre


class _Planar:
    """Vertices, edges and triangles of a planar triangulation built with NumPy (no sort of rows).

    ``facets(2)`` has column j = the edge omitting vertex j, like ``_core.Complex.facets``.
    """

    def __init__(self, top: np.ndarray, extra: np.ndarray, n: int) -> None:
        self.n_vertices = n
        tris = np.sort(top, axis=1) if top.shape[1] == 3 else np.zeros((0, 3), dtype=np.int64)
        pairs = [np.sort(extra, axis=1)] if len(extra) else []
        if top.shape[1] == 2:
            pairs.append(np.sort(top, axis=1))
        f = tris[:, [[1, 2], [0, 2], [0, 1]]]  # (T, 3, 2)
        keys = [f[..., 0].ravel() * n + f[..., 1].ravel()] + [q[:, 0] * n + q[:, 1] for q in pairs]
        allk = np.concatenate(keys) if keys else np.zeros(0, dtype=np.int64)
        uniq, inv = np.unique(allk, return_inverse=True)
        self.edges = (
            np.stack([uniq // n, uniq % n], 1).astype(np.int64) if n else np.zeros((0, 2), np.int64)
        )
        self.tris = tris.astype(np.int64)
        self.tri_edges = inv[: 3 * len(tris)].reshape(-1, 3).astype(np.int64)
        self.n_simplices = [n, len(self.edges)] + ([len(tris)] if len(tris) else [])
        self.top_dim = len(self.n_simplices) - 1

    def simplices(self, d: int) -> np.ndarray:
        return [np.arange(self.n_vertices, dtype=np.int64)[:, None], self.edges, self.tris][d]

    def facets(self, d: int) -> np.ndarray:
        return self.edges if d == 1 else self.tri_edges


class _NearFlat:
    """Faces of flat tetrahedra (per dimension, sorted ids) and an exact emptiness test of balls."""

    def __init__(self, p: np.ndarray, faces: dict[int, np.ndarray]) -> None:
        from scipy.spatial import cKDTree

        self.faces = faces
        self._tree = cKDTree(p)

    def holds_point(self, r2: np.ndarray, centre: np.ndarray) -> np.ndarray:
        """Whether some input point lies strictly inside each ball (centre, squared radius r2)."""
        if len(r2) == 0:
            return np.zeros(0, dtype=bool)
        d, _ = self._tree.query(centre)
        return d * d < r2 * (1 - 1e-12)


def _settle_flat_tetrahedra(
    p: np.ndarray, K, simp: list[np.ndarray], off: np.ndarray, value: np.ndarray, src: np.ndarray
) -> _NearFlat | None:
    """Give Qhull's flat tetrahedra their alpha values; return their faces for a global test.

    The flat tetrahedra left after ``_drop_hull_flat_simplices`` lie inside the hull: four
    concyclic vertices of a planar polygon Q of the Delaunay subdivision (cospherical input,
    grids), whose faces are *both* triangulations of Q, each glued to the cell on its side.
    Dropping one would leave the 2-sphere those two triangulations make unfilled (a false H2
    class), so they stay, with the value the alpha filtration gives all of Q's interior
    simplices: the squared radius of the smallest *empty* sphere through Q. That is Q's circle
    when its ball holds no input point; else the nearer end of Q's Voronoi segment, i.e. the
    smaller value of the tetrahedra on either side (through chains of flat ones).

    The usual attachment test (an opposite vertex of a coface inside the face's smallest ball)
    relies on the star of the face covering a neighbourhood of it; a flat tetrahedron breaks that
    for its own faces (its opposite vertices lie on the circle, the point inside can be anywhere),
    so those faces are tested against all points instead. ``value`` and ``src`` are updated in
    place for the flat tetrahedra.
    """
    tets = simp[3]
    flat = np.nonzero(_is_flat(p[tets[:, 1:]] - p[tets[:, :1]]))[0]
    if len(flat) == 0:
        return None
    tri_of = np.asarray(K.facets(3))  # (T, 4) triangle ids
    edge_of = np.asarray(K.facets(2))  # (F, 3) edge ids
    tri_ids = np.unique(tri_of[flat])
    near = _NearFlat(p, {2: tri_ids, 1: np.unique(edge_of[tri_ids])})
    r2, centre = _gram_radius2_np(p, tets[flat])
    attached = flat[near.holds_point(r2, centre)]
    if len(attached) == 0:
        return near
    # Tetrahedra sharing a triangle, as directed links into the attached flat ones.
    t_rows = np.repeat(np.arange(len(tets)), 4)
    order = np.lexsort((t_rows, tri_of.ravel()))
    tri_sorted, tet_sorted = tri_of.ravel()[order], t_rows[order]
    same = tri_sorted[1:] == tri_sorted[:-1]
    a, b = tet_sorted[:-1][same], tet_sorted[1:][same]
    u, w = np.concatenate([a, b]), np.concatenate([b, a])
    is_att = np.zeros(len(tets), dtype=bool)
    is_att[attached] = True
    u, w = u[is_att[w]], w[is_att[w]]
    tv, ts = value[off[3] : off[4]], src[off[3] : off[4]]  # views: writes land in value/src
    own = tv[attached].copy()
    tv[attached] = np.inf
    while True:  # values only fall, so this ends; chains of flat tetrahedra are short
        cand = tv[u]
        better = cand < tv[w]
        if not better.any():
            break
        best = np.full(len(tets), np.inf)
        np.minimum.at(best, w[better], cand[better])
        hit = better & (cand == best[w])
        tv[w[hit]] = cand[hit]
        ts[w[hit]] = ts[u[hit]]
    lone = np.isinf(tv[attached])  # no proper tetrahedron around (not seen in practice)
    tv[attached[lone]] = own[lone]
    return near


def _filtration(p: np.ndarray, n: int, max_dim: int, weak: bool):
    """Complex, per-simplex values (squared radii or lengths) and source simplex per simplex."""
    top, extra, r = _delaunay_top(p, drop_flat=not weak)
    r = top.shape[1] - 1
    K: _Planar | _core.Complex
    if r <= 2:
        K = _Planar(top, extra, n)
    else:
        given = [np.zeros((0, d + 1), dtype=np.int64) for d in range(r + 1)]
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
    near_flat = _settle_flat_tetrahedra(p, K, simp, off, value, src) if r == 3 else None
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
        if near_flat is not None:  # faces of flat tetrahedra: the opposite vertices do not tell
            g_att = np.zeros(len(simp[d - 1]), dtype=bool)
            sel = near_flat.faces[d - 1]
            g_att[sel] = near_flat.holds_point(fr2[sel], centre[sel])
            attached = attached | g_att[fl]
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


def critical_rows(p: np.ndarray, max_dim: int, weak: bool, keep_zero: bool) -> list[np.ndarray]:
    """Per dimension ``(n_k, 2 (D + 1))`` int64: vertices of each bar's critical simplices.

    The first ``D + 1`` columns hold the birth's source simplex (the simplex whose own radius, or
    for ``weak`` whose edge length, is the birth value), the last ``D + 1`` the death's; ``-1``
    pads smaller simplices and fills an essential death. This is the body of the custom op
    ``topolayer::alpha_pairs``.
    """
    n, dim = p.shape
    if not np.isfinite(p).all():
        raise ValueError("x must be finite, but it has NaN or inf entries")
    K, value, src, simp, off = _filtration(p, n, max_dim, weak)
    if isinstance(K, _Planar):
        pairs = _core.planar_pairs(
            n, K.edges, K.tri_edges, np.ascontiguousarray(value), min(max_dim, 1), keep_zero
        )
    else:
        pairs = _core.filtration(K, np.ascontiguousarray(value[None, :]), max_dim, keep_zero, 1)
    dims_of = np.searchsorted(off, np.arange(len(value)), side="right") - 1
    w = dim + 1
    out = []
    for k in range(max_dim + 1):
        r = np.asarray(pairs[k]) if k < len(pairs) else np.zeros((0, 3), dtype=np.int64)
        rows = np.full((len(r), 2 * w), -1, dtype=np.int64)
        essential = r[:, 2] < 0
        for col, ids in ((0, r[:, 1]), (1, np.where(essential, 0, r[:, 2]))):
            s_ids = src[ids]
            sd = dims_of[s_ids]
            for d in np.unique(sd):
                sel = np.nonzero(sd == d)[0]
                rows[sel, col * w : col * w + d + 1] = simp[d][s_ids[sel] - off[d]]
        rows[essential, w:] = -1
        out.append(rows)
    return out


def _det_small(g: torch.Tensor) -> torch.Tensor:
    if g.shape[-1] == 2:
        return g[:, 0, 0] * g[:, 1, 1] - g[:, 0, 1] * g[:, 1, 0]
    return (g[:, 0] * torch.linalg.cross(g[:, 1], g[:, 2])).sum(-1)


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
    simplices solve with their edge vectors instead (better conditioned, as in
    ``_gram_radius2_np``); each branch sees the identity in the other's rows, so neither makes
    NaN gradients.
    """
    pts = x[verts.clamp(min=0)]  # (m, D + 1, D)
    v = pts[:, 1:] - pts[:, :1]
    # Padding, and a vertex equal to the first (duplicate points), leave the system.
    keep = (verts[:, 1:] >= 0) & ((v.detach() != 0).any(-1))
    # A flat (concyclic) simplex from a degenerate triangulation: its last vertex is redundant.
    vd = v.detach().double() * keep[..., None]  # float64 like _is_flat, whatever x.dtype
    k = vd.shape[-1]
    scale = ((vd * vd).sum((-2, -1)) / k) ** (k / 2)
    flat = keep[:, -1] & (_det_small(vd).abs() <= _FLAT_RTOL * scale) & (k == 3)  # as _is_flat
    keep = keep & ~torch.nn.functional.pad(flat[:, None], (keep.shape[1] - 1, 0))
    v = v * keep[..., None].to(x.dtype)
    g = v @ v.transpose(1, 2)
    b = 0.5 * torch.diagonal(g, dim1=1, dim2=2)
    g = g + torch.diag_embed((~keep).to(x.dtype))
    full = keep.all(-1)[:, None, None]
    eye = torch.eye(k, dtype=x.dtype, device=x.device).expand_as(g)
    lam = _solve_small(torch.where(full, eye, g), b)
    xc = _solve_small(torch.where(full, v, eye), b)  # circumcentre minus first vertex
    r2 = torch.where(full[:, 0, 0], (xc * xc).sum(-1), (lam * b).sum(-1))
    return safe_root(r2, 2)  # zero (sub)gradient at radius 0


def _one(x: torch.Tensor, max_dim: int, weak: bool, keep_zero: bool):
    rows = torch.ops.topolayer.alpha_pairs(x.detach(), max_dim, weak, keep_zero)
    w = x.shape[1] + 1
    bars = []
    for r in rows:
        birth = _padded_radius(x, r[:, :w])
        death = _padded_radius(x, r[:, w:])
        if weak:  # the source is an edge (or a vertex): its length is twice its radius
            birth, death = 2 * birth, 2 * death
        death = torch.where(r[:, w] < 0, torch.full_like(death, math.inf), death)
        bars.append(torch.stack([birth, death], 1))
    return bars, list(rows)


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
        Highest homology dimension, 0..2 (the alpha complex of points in R^D has no homology above D - 1, so H2 of a 2D cloud is empty).
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
