"""Custom op for alpha-complex persistence of 2D/3D point clouds: ``topolayer::alpha_pairs``.

The Delaunay triangulation (:mod:`topolayer._delaunay`) carries two filtrations:

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
for H1 (``_core.planar_pairs``); in 3D on the general simplicial core. The op returns the
result contract of :mod:`topolayer._ops`: per bar the critical (source) simplices of its birth
and death as rows of a ``(C, D + 1)`` table of vertex ids (``-1`` padded), whose radii (or edge
lengths) the caller computes in torch, so gradients reach the points.
"""

from __future__ import annotations

import numpy as np
import torch

from .. import _core
from .._delaunay import delaunay_top
from . import fake_pairs, vmap_clouds

__all__ = ["alpha_pairs"]


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
    tri = delaunay_top(p)
    top, extra = tri.top, tri.extra
    if not weak and tri.neighbors is not None:
        # The weak filtration keeps Qhull's output as it is, like the reference implementation.
        top = _drop_hull_flat_simplices(tri.coords, top, tri.neighbors)
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


@torch.library.custom_op("topolayer::alpha_pairs", mutates_args=())
def alpha_pairs(
    x: torch.Tensor, counts: torch.Tensor, max_dim: int, weak: bool, keep_zero: bool
) -> list[torch.Tensor]:
    """Critical simplices of alpha (or weak-alpha) persistence of a flat batch of 2D/3D clouds.

    Parameters
    ----------
    x : (sum N_i, D) float Tensor
        The points of every item stacked.
    counts : (B,) int64 Tensor
        Number of points of each item.
    max_dim : int
    weak, keep_zero : bool

    Returns
    -------
    list of Tensor
        The result contract of :mod:`topolayer._ops`, with a ``(C, D + 1)`` table of the
        critical simplices' vertices (global point ids, ``-1`` padded). A cell in the rows is a
        row of that table.
    """
    p = x.detach().cpu().to(torch.float64).numpy()
    c = counts.detach().cpu().numpy().astype(np.int64)
    w = p.shape[1] + 1
    starts = np.cumsum(c) - c
    per_dim: list[list[tuple[int, int, np.ndarray]]] = [[] for _ in range(max_dim + 1)]
    for i, (s, n) in enumerate(zip(starts, c, strict=True)):
        for k, r in enumerate(critical_rows(p[s : s + n], max_dim, weak, keep_zero)):
            per_dim[k].append((i, s, r))
    rows, pos, cells = [], [], []
    total = sum(len(r) for parts in per_dim for _, _, r in parts)
    end = 2 * total
    offset = 0
    for parts in per_dim:
        rk, pk = [], []
        for i, s, r in parts:
            m = len(r)
            b, d = r[:, :w].copy(), r[:, w:].copy()
            essential = d[:, 0] < 0
            b[b >= 0] += s
            d[d >= 0] += s
            cells += [b, d]
            ids = offset + np.arange(m, dtype=np.int64)
            rk.append(np.stack([np.full(m, i), ids, np.where(essential, -1, ids + m)], 1))
            pk.append(np.stack([ids, np.where(essential, end, ids + m)], 1))
            offset += 2 * m
        rows.append(np.concatenate(rk) if rk else np.zeros((0, 3), dtype=np.int64))
        pos.append(np.concatenate(pk) if pk else np.zeros((0, 2), dtype=np.int64))
    table = np.concatenate(cells) if cells else np.zeros((0, w), dtype=np.int64)
    out = [np.ascontiguousarray(a, dtype=np.int64) for a in rows + pos + [table]]
    return [torch.from_numpy(a).to(x.device) for a in out]


@alpha_pairs.register_fake
def _alpha_pairs_fake(x, counts, max_dim, weak, keep_zero):
    return fake_pairs(x, max_dim, x.shape[1] + 1)


@alpha_pairs.register_vmap
def _alpha_pairs_vmap(info, in_dims, x, counts, max_dim, weak, keep_zero):
    return vmap_clouds(alpha_pairs, in_dims, x, counts, (max_dim, weak, keep_zero), max_dim + 1)
