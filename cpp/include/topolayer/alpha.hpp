// Alpha and weak-alpha filtrations of 2D/3D point clouds on their Delaunay triangulation, and the
// critical simplices of their persistence pairs (Edelsbrunner & Mücke 1994, "Three-dimensional
// alpha shapes"): a simplex enters at the squared radius of its smallest empty circumscribing
// ball, its own ball if empty, else the value of its lowest coface (it is "attached", as GUDHI's
// AlphaComplex defines it), settled from the top down. Weak: edge length and its flag filtration.
// Persistence: planar.hpp in the plane, reduction.hpp in 3D. O(n log n) for n simplices besides
// the reduction. Invariants: values are monotone (a face never above a coface), each is the own
// value of its source simplex, and results depend on the input only (never on thread counts).
#pragma once

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <memory>
#include <numeric>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "alpha/exact.hpp"
#include "alpha/geometry.hpp"
#include "complex.hpp"
#include "parallel.hpp"
#include "planar.hpp"
#include "reduction.hpp"
#include "types.hpp"
#include "union_find.hpp"

namespace topolayer {

// One cloud's Delaunay triangulation in its affine hull, as topolayer._delaunay.delaunay_top
// gives it (Qhull's output: flat simplices on degenerate input included).
struct delaunay_view {
    int rank = 0;                  // affine dimension of the points, 0..D
    const index_t* top = nullptr;  // (n_top, rank + 1) vertex ids in Qhull's order
    index_t n_top = 0;
    const index_t* neighbors = nullptr;  // (n_top, rank + 1), -1 on the hull; or null
    const index_t* extra = nullptr;      // (n_extra, 2) edges joining points Qhull left out
    index_t n_extra = 0;
    const double* coords = nullptr;  // (n, rank) coordinates Qhull saw; null: the points themselves
};

// The filtered complex of one cloud. Planar complexes (top dimension <= 2) keep Qhull's order of
// the triangles (each row sorted); 3D ones are built by build_complex (rows sorted).
struct alpha_filtration {
    simplicial_complex complex;
    bool planar = false;
    std::vector<double> value;    // per global simplex id: squared radius (alpha) or length (weak)
    std::vector<index_t> source;  // per global simplex id: the simplex whose own value it is
    std::vector<char> flat_tet;   // per tetrahedron (3D alpha): flat, valued by its vertices' circle
};

// Per homology dimension k, each bar's critical (source) simplices as rows of D + 1 vertex ids,
// -1 padded: births[k] and deaths[k] hold n_k rows; an essential bar's death row is all -1.
struct alpha_bars {
    std::vector<std::vector<index_t>> births, deaths;
};

// The pairs-op contract for a batch (topolayer._ops): per dimension (n_k, 3) rows of (item,
// birth cell, death cell or -1) and (n_k, 2) positions (birth cell, death cell or C), and the
// (C, D + 1) cell table of global point ids. Per dimension, per item: its birth rows, then its
// death rows.
struct alpha_batch_result {
    std::vector<std::vector<index_t>> rows, positions;
    std::vector<index_t> cells;
};

namespace alpha_detail {
// A face (2 to 4 sorted vertex ids), ordered by size and then lexicographically.
struct face {
    int size = 0;
    std::array<index_t, 4> v{};
    bool operator<(const face& o) const { return size != o.size ? size < o.size : v < o.v; }
    bool operator==(const face& o) const { return size == o.size && v == o.v; }
    bool inside(const face& o) const {  // a subset of o
        return std::includes(o.v.begin(), o.v.begin() + o.size, v.begin(), v.begin() + size);
    }
};

// Appends the faces with at least two vertices of the sorted row s (w vertices).
inline void faces_of(const index_t* s, int w, std::vector<face>& out) {
    for (int mask = 1; mask < (1 << w); ++mask) {
        face f;
        for (int j = 0; j < w; ++j)
            if (mask & (1 << j)) f.v[static_cast<std::size_t>(f.size++)] = s[j];
        if (f.size >= 2) out.push_back(f);
    }
}

inline void sort_unique(std::vector<face>& f) {
    std::sort(f.begin(), f.end());
    f.erase(std::unique(f.begin(), f.end()), f.end());
}

// Whether removing the top simplices `group` (rows of `top`, width w), with the faces that no
// kept top simplex holds, is a sequence of elementary collapses (so the homotopy type stays) that
// loses no vertex. by_vertex[starts[v]..starts[v + 1]) lists the kept top simplices at vertex v.
// Free faces are taken in (size, vertex ids) order; the groups are a few simplices, where the
// order does not decide whether the collapse succeeds.
inline bool collapses_away(const index_t* top, int w, const std::vector<index_t>& group,
                           const std::vector<index_t>& by_vertex,
                           const std::vector<index_t>& starts) {
    auto sorted_row = [&](index_t t) {  // insertion sort of at most four ids
        std::array<index_t, 4> r{};
        for (int j = 0; j < w; ++j) {
            const index_t x = top[t * w + j];
            int i = j;
            for (; i > 0 && r[static_cast<std::size_t>(i - 1)] > x; --i)
                r[static_cast<std::size_t>(i)] = r[static_cast<std::size_t>(i - 1)];
            r[static_cast<std::size_t>(i)] = x;
        }
        return r;
    };
    std::vector<index_t> verts;
    for (index_t t : group) verts.insert(verts.end(), top + t * w, top + (t + 1) * w);
    std::sort(verts.begin(), verts.end());
    verts.erase(std::unique(verts.begin(), verts.end()), verts.end());
    std::vector<index_t> near;
    for (index_t v : verts) {
        const auto a = static_cast<std::size_t>(starts[static_cast<std::size_t>(v)]);
        const auto b = static_cast<std::size_t>(starts[static_cast<std::size_t>(v) + 1]);
        if (a == b) return false;
        near.insert(near.end(), by_vertex.begin() + static_cast<std::ptrdiff_t>(a),
                    by_vertex.begin() + static_cast<std::ptrdiff_t>(b));
    }
    std::sort(near.begin(), near.end());
    near.erase(std::unique(near.begin(), near.end()), near.end());
    std::vector<face> held, rest;
    for (index_t t : near) faces_of(sorted_row(t).data(), w, held);
    sort_unique(held);
    for (index_t t : group) faces_of(sorted_row(t).data(), w, rest);
    sort_unique(rest);
    rest.erase(std::remove_if(
                   rest.begin(), rest.end(),
                   [&](const face& f) { return std::binary_search(held.begin(), held.end(), f); }),
               rest.end());
    std::vector<char> alive(rest.size(), 1);
    std::size_t left = rest.size();
    while (left > 0) {
        bool found = false;
        for (std::size_t i = 0; i < rest.size() && !found; ++i) {
            if (!alive[i]) continue;
            std::size_t count = 0, coface = 0;
            for (std::size_t j = 0; j < rest.size(); ++j)
                if (alive[j] && rest[j].size == rest[i].size + 1 && rest[i].inside(rest[j])) {
                    ++count;
                    coface = j;
                }
            if (count == 1) {
                alive[i] = alive[coface] = 0;
                left -= 2;
                found = true;
            }
        }
        if (!found) return false;
    }
    return true;
}

// Whether the hull facet of top simplex i opposite its vertex j (o: the simplex's exact
// orientation) is locally convex: around each ridge of the facet (a vertex of a hull edge in the
// plane, an edge of a hull triangle in 3D) the walk through Qhull's neighbours reaches the
// next hull facet, whose far vertex must not lie strictly beyond the facet's hyperplane.
inline bool hull_facet_convex(const double* q, int k, const index_t* top, const index_t* nbr,
                              index_t i, int j, int o) {
    const int w = k + 1;
    const index_t* t = top + i * w;
    for (int skip = 0; skip < w; ++skip) {
        if (skip == j) continue;
        // Ridge: the facet less vertex t[skip]. Entering a simplex through the facet ridge + y,
        // leave through ridge + z, z its vertex off the ridge other than y.
        auto on_ridge = [&](index_t v) {
            for (int a = 0; a < w; ++a)
                if (a != j && a != skip && t[a] == v) return true;
            return false;
        };
        index_t cur = i, y = t[skip], far = -1;
        for (index_t step = 0; step < 4096 && far < 0; ++step) {
            const index_t* c = top + cur * w;
            index_t z = -1;
            int y_at = -1;
            for (int a = 0; a < w; ++a) {
                if (c[a] == y) y_at = a;
                else if (!on_ridge(c[a])) z = c[a];
            }
            if (y_at < 0 || z < 0) return false;  // not a consistent triangulation
            const index_t next = nbr[cur * w + y_at];
            if (next < 0) far = z;
            else if (next == i) return false;
            cur = next;
            y = z;
        }
        if (far < 0) return false;
        const double* p[4];
        for (int a = 0; a < w; ++a) p[a] = q + t[a] * k;
        p[j] = q + far * k;  // far replacing the opposite vertex: beyond iff the sign flips
        if (exact::orientation(p, k) == -o) return false;
    }
    return true;
}

// Whether Qhull's top simplex i (rank k, width k + 1) of q (n, k) is a real Delaunay simplex by
// exact predicates: not degenerate, on the other side of each shared facet from its neighbour,
// no neighbour's opposite vertex strictly inside its circumsphere (a triangulation all of whose
// facets are locally Delaunay is the Delaunay triangulation), and its hull facets convex.
inline bool locally_delaunay(const double* q, int k, const index_t* top, const index_t* nbr,
                             index_t i) {
    const int w = k + 1;
    const index_t* t = top + i * w;
    const double* p[4];
    for (int a = 0; a < w; ++a) p[a] = q + t[a] * k;
    const int o = exact::orientation(p, k);
    if (o == 0) return false;
    for (int j = 0; j < w; ++j) {
        const index_t u = nbr[i * w + j];
        if (u < 0) {
            if (!hull_facet_convex(q, k, top, nbr, i, j, o)) return false;
            continue;
        }
        index_t e = -1;  // u's vertex opposite the shared facet
        for (int b = 0; b < w; ++b) {
            const index_t v = top[u * w + b];
            if (std::find(t, t + w, v) == t + w) e = v;
        }
        if (e < 0) return false;
        const double* r[4] = {p[0], p[1], p[2], p[3]};
        r[j] = q + e * k;
        if (exact::orientation(r, k) == o) return false;  // folded over the facet
        if (exact::in_sphere(p, k, q + e * k) > 0) return false;
        // Cospherical with its neighbour within rounding (a cell of a jittered grid): Qhull's
        // choice among the near-ties, whose values double precision does not resolve.
        cell_t s[4];
        for (int a = 0; a < w; ++a) s[a] = static_cast<cell_t>(t[a]);
        const ball b = circumball(q, k, s, k);
        double edge2 = 0;
        for (int a = 1; a < w; ++a) edge2 += distance2(p[a], p[0], k);
        const double gap = std::abs(std::sqrt(distance2(q + e * k, b.centre.data(), k)) -
                                    std::sqrt(b.r2));
        if (gap <= alpha_thin_rtol * std::sqrt(edge2 / k)) return false;
    }
    return true;
}

// Whether a thin real tetrahedron's circumradius is resolved in double precision: the floating
// circumballs of it and its faces (what the torch side recomputes too) within 1e-9 of the exact
// values. Slivers of
// input within rounding of a degeneracy (jittered grids) are not: their values there are
// noise that would order them at random, so they stay flat, valued by their vertices' circle.
inline bool radius_resolved(const double* q, const index_t* t) {
    const double* p[4] = {q + t[0] * 3, q + t[1] * 3, q + t[2] * 3, q + t[3] * 3};
    const double exact_r2 = exact::circumradius2(p);
    const cell_t s[4] = {static_cast<cell_t>(t[0]), static_cast<cell_t>(t[1]),
                         static_cast<cell_t>(t[2]), static_cast<cell_t>(t[3])};
    const double r2 = circumball(q, 3, s, 3).r2;
    auto close = [](double x, double exact) {
        return std::isfinite(exact) && std::abs(x - exact) <= 1e-9 * exact;
    };
    if (!close(r2, exact_r2)) return false;
    for (int j = 0; j < 4; ++j) {  // and its faces' (near-collinear ones are not)
        const double* f[3];
        cell_t fs[3];
        for (int a = 0, m = 0; a < 4; ++a)
            if (a != j) {
                f[m] = p[a];
                fs[m++] = s[a];
            }
        const ball fb = circumball(q, 3, fs, 2);
        if (!close(fb.r2, exact::triangle_circumradius2(f))) return false;
        // The opposite vertex on the face's circle within rounding (four cocircular points): the
        // attachment test cannot tell in from out.
        double scale2 = 0;
        for (int a = 1; a < 4; ++a) scale2 += distance2(p[a], p[0], 3);
        const double gap = std::abs(std::sqrt(distance2(p[j], fb.centre.data(), 3)) -
                                    std::sqrt(fb.r2));
        if (gap <= alpha_thin_rtol * std::sqrt(scale2 / 3)) return false;
        // A near-collinear face: whether a point lies in its ball is beyond the attachment
        // test's margin.
        double e[2][3];
        for (int a = 0; a < 2; ++a)
            for (int d = 0; d < 3; ++d) e[a][d] = f[a + 1][d] - f[0][d];
        const vec3 n = cross(e[0], e[1]);
        const double area2 = dot(n.data(), n.data(), 3);
        const double scale = (dot(e[0], e[0], 3) + dot(e[1], e[1], 3)) / 2;
        if (area2 <= alpha_thin_rtol * alpha_thin_rtol * scale * scale) return false;
    }
    return true;
}

// Which of Qhull's top simplices are flat: thin (alpha_thin_rtol) and either thinner than
// alpha_flat_rtol or, where Qhull's neighbours are known, not a real Delaunay simplex by the
// exact test above (nor, in 3D, one whose values double precision resolves).
inline std::vector<char> flat_top_simplices(const double* q, int k, const index_t* top,
                                            const index_t* nbr, index_t m) {
    const int w = k + 1;
    std::vector<char> flat(static_cast<std::size_t>(m), 0);
    for (index_t i = 0; i < m; ++i) {
        mat3 v{};
        const double* q0 = q + top[i * w] * k;
        for (int a = 0; a < k; ++a)
            for (int d = 0; d < k; ++d) v[a][d] = q[top[i * w + a + 1] * k + d] - q0[d];
        const double vol = relative_volume(v, k);
        flat[static_cast<std::size_t>(i)] =
            vol <= alpha_thin_rtol &&
            (vol <= alpha_flat_rtol || nbr == nullptr || !locally_delaunay(q, k, top, nbr, i) ||
             (k == 3 && !radius_resolved(q, top + i * w)));
    }
    return flat;
}

// Qhull's triangulated output of degenerate input (grids, cospherical, coplanar or collinear
// points) holds flat simplices: in 3D four coplanar vertices whose faces are two different
// triangulations of one planar polygon, in the plane three collinear vertices on a hull edge. On
// the hull one side of such a simplex is glued to nothing but flat simplices; dropping each
// connected group of flat simplices (joined through Qhull's neighbours) that reaches the hull,
// with the faces that only it holds, leaves a proper triangulation there. A group stays when its
// removal would not be a collapse (the homotopy type must not change); then the others are
// tested again. flat: flat_top_simplices. Returns whether some rows of top (width k + 1) go;
// `kept` then holds the others.
inline bool drop_hull_flat_simplices(index_t n, int k, const index_t* top, const index_t* nbr,
                                     index_t m, const std::vector<char>& flat,
                                     std::vector<index_t>& kept) {
    const int w = k + 1;
    const auto um = static_cast<std::size_t>(m);
    if (std::find(flat.begin(), flat.end(), 1) == flat.end()) return false;
    union_find groups(m);
    for (index_t i = 0; i < m; ++i) {
        if (!flat[static_cast<std::size_t>(i)]) continue;
        for (int j = 0; j < w; ++j) {
            const index_t b = nbr[i * w + j];
            if (b < 0 || !flat[static_cast<std::size_t>(b)]) continue;
            const index_t ra = groups.find(i), rb = groups.find(b);
            if (ra != rb) groups.link(std::min(ra, rb), std::max(ra, rb));
        }
    }
    std::vector<char> on_hull(um, 0), drop(um, 0);
    for (index_t i = 0; i < m; ++i)
        for (int j = 0; j < w; ++j)
            if (flat[static_cast<std::size_t>(i)] && nbr[i * w + j] < 0)
                on_hull[static_cast<std::size_t>(groups.find(i))] = 1;
    for (index_t i = 0; i < m; ++i)
        drop[static_cast<std::size_t>(i)] =
            flat[static_cast<std::size_t>(i)] && on_hull[static_cast<std::size_t>(groups.find(i))];
    std::vector<index_t> starts(static_cast<std::size_t>(n) + 1), by_vertex;
    std::vector<std::pair<index_t, index_t>> cand;  // (group root, simplex)
    for (;;) {
        cand.clear();
        for (index_t i = 0; i < m; ++i)
            if (drop[static_cast<std::size_t>(i)]) cand.push_back({groups.find(i), i});
        if (cand.empty()) break;
        // Kept top simplices by vertex (CSR), so each group looks only at its neighbourhood.
        std::fill(starts.begin(), starts.end(), 0);
        for (index_t i = 0; i < m; ++i)
            if (!drop[static_cast<std::size_t>(i)])
                for (int j = 0; j < w; ++j) ++starts[static_cast<std::size_t>(top[i * w + j]) + 1];
        for (std::size_t v = 0; v + 1 < starts.size(); ++v) starts[v + 1] += starts[v];
        by_vertex.assign(static_cast<std::size_t>(starts.back()), 0);
        std::vector<index_t> at(starts.begin(), starts.end() - 1);
        for (index_t i = 0; i < m; ++i)
            if (!drop[static_cast<std::size_t>(i)])
                for (int j = 0; j < w; ++j)
                    by_vertex[static_cast<std::size_t>(
                        at[static_cast<std::size_t>(top[i * w + j])]++)] = i;
        std::sort(cand.begin(), cand.end());
        std::vector<index_t> blocked, group;
        for (std::size_t a = 0; a < cand.size();) {
            std::size_t b = a;
            group.clear();
            while (b < cand.size() && cand[b].first == cand[a].first)
                group.push_back(cand[b++].second);
            if (!collapses_away(top, w, group, by_vertex, starts))
                blocked.insert(blocked.end(), group.begin(), group.end());
            a = b;
        }
        if (blocked.empty()) break;
        for (index_t i : blocked) drop[static_cast<std::size_t>(i)] = 0;
    }
    if (std::find(drop.begin(), drop.end(), 1) == drop.end()) return false;
    kept.clear();
    for (index_t i = 0; i < m; ++i)
        if (!drop[static_cast<std::size_t>(i)])
            kept.insert(kept.end(), top + i * w, top + (i + 1) * w);
    return true;
}

// Vertices, edges and triangles of a planar triangulation (top: rows of w = 1, 2 or 3 vertex ids;
// extra: more edges). Edges are sorted; triangles keep the order of top, each row sorted. Facet j
// of a simplex omits its vertex j, as in build_complex.
inline simplicial_complex planar_complex(index_t n, const index_t* top, index_t m, int w,
                                         const index_t* extra, index_t n_extra) {
    const index_t n_tris = w == 3 ? m : 0;
    std::vector<cell_t> tris(static_cast<std::size_t>(3 * n_tris));
    for (index_t t = 0; t < n_tris; ++t) {
        index_t s[3] = {top[3 * t], top[3 * t + 1], top[3 * t + 2]};
        std::sort(s, s + 3);
        for (int j = 0; j < 3; ++j)
            tris[static_cast<std::size_t>(3 * t + j)] = static_cast<cell_t>(s[j]);
    }
    // Edges grouped by their smaller vertex (a counting sort), each group sorted: edge ids then
    // run in lexicographic order, and an edge is found by scanning its group (a few entries).
    auto for_each_edge = [&](auto&& fn) {
        for (index_t t = 0; t < n_tris; ++t) {
            const cell_t* s = tris.data() + 3 * t;
            fn(s[1], s[2]);
            fn(s[0], s[2]);
            fn(s[0], s[1]);
        }
        for (index_t e = 0; e < n_extra; ++e) fn(extra[2 * e], extra[2 * e + 1]);
        if (w == 2)
            for (index_t e = 0; e < m; ++e) fn(top[2 * e], top[2 * e + 1]);
    };
    std::vector<index_t> start(static_cast<std::size_t>(n) + 1, 0);
    for_each_edge(
        [&](index_t a, index_t b) { ++start[static_cast<std::size_t>(std::min(a, b)) + 1]; });
    for (std::size_t v = 0; v < static_cast<std::size_t>(n); ++v) start[v + 1] += start[v];
    std::vector<cell_t> other(static_cast<std::size_t>(start.back()));
    {
        std::vector<index_t> at(start.begin(), start.end() - 1);
        for_each_edge([&](index_t a, index_t b) {
            other[static_cast<std::size_t>(at[static_cast<std::size_t>(std::min(a, b))]++)] =
                static_cast<cell_t>(std::max(a, b));
        });
    }
    index_t n_edges = 0;  // sort and deduplicate each group, compacting in place
    for (std::size_t u = 0; u < static_cast<std::size_t>(n); ++u) {
        const auto a = other.begin() + static_cast<std::ptrdiff_t>(start[u]);
        const auto b = other.begin() + static_cast<std::ptrdiff_t>(start[u + 1]);
        std::sort(a, b);
        const auto count = std::unique(a, b) - a;
        std::copy(a, a + count, other.begin() + static_cast<std::ptrdiff_t>(n_edges));
        start[u] = n_edges;
        n_edges += count;
    }
    start[static_cast<std::size_t>(n)] = n_edges;
    if (n_edges > max_cells || n_tris > max_cells)
        throw std::invalid_argument(
            "alpha: at most 2^31 - 1 simplices per dimension are supported");
    auto edge_id = [&](cell_t u, cell_t v) {  // u < v
        index_t e = start[static_cast<std::size_t>(u)];
        while (other[static_cast<std::size_t>(e)] != v) ++e;
        return static_cast<cell_t>(e);
    };

    simplicial_complex K;
    K.n_vertices = n;
    K.n_simplices = {n, n_edges};
    if (n_tris > 0) K.n_simplices.push_back(n_tris);
    K.offset = {0, n};
    if (n_tris > 0) K.offset.push_back(n + n_edges);
    K.vertices.resize(K.n_simplices.size());
    K.facets.resize(K.n_simplices.size());
    K.vertices[0].resize(static_cast<std::size_t>(n));
    std::iota(K.vertices[0].begin(), K.vertices[0].end(), cell_t{0});
    auto& edges = K.vertices[1];
    auto& ends = K.facets[1];
    edges.resize(static_cast<std::size_t>(2 * n_edges));
    ends.resize(static_cast<std::size_t>(2 * n_edges));
    for (std::size_t u = 0; u < static_cast<std::size_t>(n); ++u)
        for (index_t e = start[u]; e < start[u + 1]; ++e) {
            const auto ue = static_cast<std::size_t>(e);
            edges[2 * ue] = ends[2 * ue + 1] = static_cast<cell_t>(u);
            edges[2 * ue + 1] = ends[2 * ue] = other[ue];
        }
    if (n_tris > 0) {
        auto& f = K.facets[2];
        f.resize(static_cast<std::size_t>(3 * n_tris));
        for (std::size_t i = 0; i < f.size(); i += 3) {
            const cell_t* s = tris.data() + i;
            f[i] = edge_id(s[1], s[2]);
            f[i + 1] = edge_id(s[0], s[2]);
            f[i + 2] = edge_id(s[0], s[1]);
        }
        K.vertices[2] = std::move(tris);
    }
    return K;
}

// Faces of flat tetrahedra (per dimension 1, 2, by local id) and an exact emptiness test of balls:
// the usual attachment test (a coface's opposite vertex inside the face's ball) relies on the
// face's star covering a neighbourhood of it, which a flat tetrahedron breaks for its own faces
// (its opposite vertices lie on the circle; a point inside can be anywhere).
struct flat_faces {
    std::vector<char> of_dim[3];
    std::unique_ptr<point_tree> tree;
};

// Gives Qhull's flat tetrahedra their alpha values; returns their faces for a global test.
// The flat tetrahedra left after drop_hull_flat_simplices lie inside the hull: four concyclic
// vertices of a planar polygon Q of the Delaunay subdivision (cospherical input, grids), whose
// faces are both triangulations of Q, each glued to the cell on its side. Dropping one would leave
// the 2-sphere those two triangulations make unfilled (a false H2 class), so they stay, with the
// value the alpha filtration gives all of Q's interior simplices: the squared radius of the
// smallest empty sphere through Q. That is Q's circle when its ball holds no input point; else the
// nearer end of Q's Voronoi segment, i.e. the smaller value of the tetrahedra on either side
// (through chains of flat ones), passed along tetrahedra that share a triangle.
inline flat_faces settle_flat_tetrahedra(const double* p, index_t n, const simplicial_complex& K,
                                         const std::vector<char>& flat_tet,
                                         std::vector<double>& value, std::vector<index_t>& source) {
    flat_faces out;
    const index_t n_tets = K.n_simplices[3];
    std::vector<index_t> flat;
    for (index_t t = 0; t < n_tets; ++t)
        if (flat_tet[static_cast<std::size_t>(t)]) flat.push_back(t);
    if (flat.empty()) return out;
    out.of_dim[2].assign(static_cast<std::size_t>(K.n_simplices[2]), 0);
    out.of_dim[1].assign(static_cast<std::size_t>(K.n_simplices[1]), 0);
    for (index_t t : flat)
        for (int j = 0; j < 4; ++j) {
            const cell_t tri = K.facet_ids(3, t)[j];
            out.of_dim[2][static_cast<std::size_t>(tri)] = 1;
            for (int i = 0; i < 3; ++i)
                out.of_dim[1][static_cast<std::size_t>(K.facet_ids(2, tri)[i])] = 1;
        }
    out.tree = std::make_unique<point_tree>(p, n, 3);
    std::vector<index_t> attached;
    for (index_t t : flat) {
        const ball b = circumball(p, 3, K.simplex(3, t), 3, true);
        if (out.tree->holds_point(b.r2, b.centre.data())) attached.push_back(t);
    }
    if (attached.empty()) return out;

    // Tetrahedra sharing a triangle, as directed links into the attached flat ones: consecutive
    // tetrahedra in (triangle, tetrahedron) order, both ways.
    std::vector<std::pair<cell_t, cell_t>> by_tri;
    by_tri.reserve(static_cast<std::size_t>(4 * n_tets));
    for (index_t t = 0; t < n_tets; ++t)
        for (int j = 0; j < 4; ++j)
            by_tri.push_back({K.facet_ids(3, t)[j], static_cast<cell_t>(t)});
    std::sort(by_tri.begin(), by_tri.end());
    std::vector<char> is_att(static_cast<std::size_t>(n_tets), 0);
    for (index_t t : attached) is_att[static_cast<std::size_t>(t)] = 1;
    std::vector<index_t> a_side, b_side;
    for (std::size_t i = 0; i + 1 < by_tri.size(); ++i)
        if (by_tri[i].first == by_tri[i + 1].first) {
            a_side.push_back(by_tri[i].second);
            b_side.push_back(by_tri[i + 1].second);
        }
    std::vector<index_t> u, w;  // u -> w
    for (std::size_t i = 0; i < a_side.size(); ++i)
        if (is_att[static_cast<std::size_t>(b_side[i])])
            u.push_back(a_side[i]), w.push_back(b_side[i]);
    for (std::size_t i = 0; i < a_side.size(); ++i)
        if (is_att[static_cast<std::size_t>(a_side[i])])
            u.push_back(b_side[i]), w.push_back(a_side[i]);

    double* tv = value.data() + K.offset[3];
    index_t* ts = source.data() + K.offset[3];
    std::vector<double> own(attached.size());
    for (std::size_t i = 0; i < attached.size(); ++i) {
        own[i] = tv[attached[i]];
        tv[attached[i]] = std::numeric_limits<double>::infinity();
    }
    // Values only fall, so this ends; chains of flat tetrahedra are short. Each round reads the
    // values and sources of the round before; among equal offers the last link's source wins.
    std::vector<double> best(static_cast<std::size_t>(n_tets),
                             std::numeric_limits<double>::infinity());
    std::vector<double> cand(u.size());
    std::vector<index_t> cand_src(u.size());
    for (;;) {
        bool better = false;
        for (std::size_t i = 0; i < u.size(); ++i) {
            cand[i] = tv[u[i]];
            cand_src[i] = ts[u[i]];
            if (cand[i] < tv[w[i]]) {
                better = true;
                best[static_cast<std::size_t>(w[i])] =
                    std::min(best[static_cast<std::size_t>(w[i])], cand[i]);
            }
        }
        if (!better) break;
        for (std::size_t i = 0; i < u.size(); ++i)
            if (cand[i] < tv[w[i]] && cand[i] == best[static_cast<std::size_t>(w[i])])
                ts[w[i]] = cand_src[i];
        for (std::size_t i = 0; i < u.size(); ++i) {
            auto& bw = best[static_cast<std::size_t>(w[i])];
            if (bw < tv[w[i]]) tv[w[i]] = bw;
        }
        for (std::size_t i = 0; i < u.size(); ++i)
            best[static_cast<std::size_t>(w[i])] = std::numeric_limits<double>::infinity();
    }
    for (std::size_t i = 0; i < attached.size(); ++i)  // no proper tetrahedron around
        if (std::isinf(tv[attached[i]])) tv[attached[i]] = own[i];
    return out;
}

// Alpha values: own squared radii, flat tetrahedra settled, then from the top down each face takes
// the lowest value of its cofaces (and that coface's source) when one of them attaches it (its
// opposite vertex lies strictly inside the face's ball) or when that value is below its own.
inline void alpha_values(const double* p, index_t n, int D, alpha_filtration& F) {
    const simplicial_complex& K = F.complex;
    const int top = K.top_dim();
    auto& value = F.value;
    auto& source = F.source;
    for (int d = 1; d <= top; ++d) {
        const index_t count = K.n_simplices[static_cast<std::size_t>(d)],
                      off = K.offset[static_cast<std::size_t>(d)];
        for (index_t i = 0; i < count; ++i)
            value[static_cast<std::size_t>(off + i)] =
                circumball(p, D, K.simplex(d, i), d,
                           d == 3 && F.flat_tet[static_cast<std::size_t>(i)])
                    .r2;
    }
    flat_faces near;
    if (top == 3 && !F.planar) near = settle_flat_tetrahedra(p, n, K, F.flat_tet, value, source);
    std::vector<double> best;
    std::vector<index_t> best_src;
    std::vector<char> attached, ball_holds;
    for (int d = top; d >= 2; --d) {
        const index_t count = K.n_simplices[static_cast<std::size_t>(d)],
                      off = K.offset[static_cast<std::size_t>(d)];
        const index_t n_faces = K.n_simplices[static_cast<std::size_t>(d - 1)];
        const index_t foff = K.offset[static_cast<std::size_t>(d - 1)];
        const double* fr2 = value.data() + foff;  // still the faces' own values
        // Faces' centres are computed again where needed (the same bits as their values'), from
        // the coface's vertices less the opposite one: the face's own vertex row, in cache.
        best.assign(static_cast<std::size_t>(n_faces), std::numeric_limits<double>::infinity());
        best_src.assign(static_cast<std::size_t>(n_faces), -1);
        attached.assign(static_cast<std::size_t>(n_faces), 0);
        const auto& flat_face = near.of_dim[d - 1];
        if (!flat_face.empty()) {
            ball_holds.assign(static_cast<std::size_t>(n_faces), 0);
            for (index_t f = 0; f < n_faces; ++f)
                if (flat_face[static_cast<std::size_t>(f)])
                    ball_holds[static_cast<std::size_t>(f)] = near.tree->holds_point(
                        fr2[f], circumball(p, D, K.simplex(d - 1, f), d - 1).centre.data());
        }
        for (index_t s = 0; s < count; ++s) {
            const double cv = value[static_cast<std::size_t>(off + s)];
            const index_t cs = source[static_cast<std::size_t>(off + s)];
            const cell_t* verts = K.simplex(d, s);
            const cell_t* facets = K.facet_ids(d, s);
            for (int j = 0; j <= d; ++j) {
                const auto f = static_cast<std::size_t>(facets[j]);
                cell_t face[3];
                for (int i = 0, q = 0; i <= d; ++i)
                    if (i != j) face[q++] = verts[i];
                const ball fb = circumball(p, D, face, d - 1);
                const double dist2 =
                    distance2(p + static_cast<index_t>(verts[j]) * D, fb.centre.data(), D);
                if (dist2 < fr2[f] * (1 - 1e-12) || (!flat_face.empty() && ball_holds[f]))
                    attached[f] = 1;
                if (cv < best[f]) {
                    best[f] = cv;
                    best_src[f] = cs;
                } else if (cv == best[f]) {
                    best_src[f] = cs;  // the last of equal cofaces
                }
            }
        }
        for (index_t f = 0; f < n_faces; ++f) {
            const auto uf = static_cast<std::size_t>(f);
            if (attached[uf] || value[static_cast<std::size_t>(foff + f)] > best[uf]) {
                value[static_cast<std::size_t>(foff + f)] = best[uf];
                source[static_cast<std::size_t>(foff + f)] = best_src[uf];
            }
        }
    }
    // Edges of duplicate or left-out points have no cofaces: they keep their own values.
}

// Weak values: edge lengths, and above them the longest edge (the first of equal facets).
inline void weak_values(const double* p, int D, alpha_filtration& F) {
    const simplicial_complex& K = F.complex;
    if (K.top_dim() < 1) return;
    const index_t n_e = K.n_simplices[1], eoff = K.offset[1];
    for (index_t e = 0; e < n_e; ++e) {
        const cell_t* uv = K.simplex(1, e);
        F.value[static_cast<std::size_t>(eoff + e)] = std::sqrt(
            distance2(p + static_cast<index_t>(uv[0]) * D, p + static_cast<index_t>(uv[1]) * D, D));
    }
    for (int d = 2; d <= K.top_dim(); ++d) {
        const index_t off = K.offset[static_cast<std::size_t>(d)],
                      foff = K.offset[static_cast<std::size_t>(d - 1)];
        for (index_t s = 0; s < K.n_simplices[static_cast<std::size_t>(d)]; ++s) {
            const cell_t* f = K.facet_ids(d, s);
            index_t arg = foff + f[0];
            for (int j = 1; j <= d; ++j)
                if (F.value[static_cast<std::size_t>(foff + f[j])] >
                    F.value[static_cast<std::size_t>(arg)])
                    arg = foff + f[j];
            F.value[static_cast<std::size_t>(off + s)] = F.value[static_cast<std::size_t>(arg)];
            F.source[static_cast<std::size_t>(off + s)] = F.source[static_cast<std::size_t>(arg)];
        }
    }
}

inline void check_ids(const index_t* ids, index_t count, index_t lo, index_t hi, const char* what) {
    for (index_t i = 0; i < count; ++i)
        if (ids[i] < lo || ids[i] >= hi)
            throw std::out_of_range(std::string("alpha: ") + what + " entry " + std::to_string(i) +
                                    " is " + std::to_string(ids[i]) + ", outside [" +
                                    std::to_string(lo) + ", " + std::to_string(hi) + ")");
}

inline void check_triangulation(index_t n, int D, const delaunay_view& tri, bool weak) {
    if (D != 2 && D != 3)
        throw std::invalid_argument("alpha: points must be 2D or 3D, got D = " + std::to_string(D));
    if (tri.rank < 0 || tri.rank > D)
        throw std::invalid_argument("alpha: rank must be in 0.." + std::to_string(D) + ", got " +
                                    std::to_string(tri.rank));
    if (tri.n_top < 0 || tri.n_extra < 0)
        throw std::invalid_argument("alpha: negative simplex count");
    if (tri.rank == 0 && tri.n_top > 0)
        throw std::invalid_argument("alpha: rank 0 has no top simplices");
    const int w = tri.rank + 1;
    check_ids(tri.top, tri.n_top * w, 0, n, "top");
    for (index_t t = 0; t < tri.n_top; ++t)
        for (int a = 0; a < w; ++a)
            for (int b = a + 1; b < w; ++b)
                if (tri.top[t * w + a] == tri.top[t * w + b])
                    throw std::invalid_argument("alpha: top simplex " + std::to_string(t) +
                                                " repeats a vertex");
    check_ids(tri.extra, 2 * tri.n_extra, 0, n, "extra");
    if (tri.neighbors != nullptr)
        check_ids(tri.neighbors, tri.n_top * w, -1, tri.n_top, "neighbors");
    if (!weak && tri.rank >= 2 && tri.rank < D && tri.neighbors != nullptr && tri.coords == nullptr)
        throw std::invalid_argument(
            "alpha: a cloud of rank < D needs the coordinates of its triangulation");
}

}  // namespace alpha_detail

// The filtered Delaunay complex of one cloud: points (n, D), D in {2, 3}, and its triangulation.
// Alpha (weak = false): the flat simplices on the hull are dropped, values are squared radii.
// Weak: Qhull's triangulation as it is, edge lengths and their flag values.
template <class T>
alpha_filtration make_alpha_filtration(const T* points, index_t n, int D, const delaunay_view& tri,
                                       bool weak) {
    alpha_detail::check_triangulation(n, D, tri, weak);
    if (n > max_cells) throw std::invalid_argument("alpha: at most 2^31 - 1 points are supported");
    check_finite(points, n * D, "x");
    std::vector<double> p(points, points + n * D);
    const int r = tri.rank, w = r + 1;
    std::vector<index_t> kept;  // the top simplices left by the clean-up, if it runs
    std::vector<std::array<index_t, 4>> flat_rows;  // sorted vertices of flat tetrahedra
    const index_t* top = tri.top;
    index_t n_top = tri.n_top;
    if (!weak && r >= 2) {
        const double* q = tri.coords != nullptr && r < D ? tri.coords : p.data();
        const std::vector<char> flat =
            alpha_detail::flat_top_simplices(q, r, tri.top, tri.neighbors, tri.n_top);
        for (index_t i = 0; r == 3 && i < tri.n_top; ++i)
            if (flat[static_cast<std::size_t>(i)]) {
                std::array<index_t, 4> row;
                std::copy(tri.top + i * w, tri.top + (i + 1) * w, row.begin());
                std::sort(row.begin(), row.end());
                flat_rows.push_back(row);
            }
        if (tri.neighbors != nullptr &&
            alpha_detail::drop_hull_flat_simplices(n, r, tri.top, tri.neighbors, tri.n_top, flat,
                                                   kept)) {
            top = kept.data();
            n_top = static_cast<index_t>(kept.size()) / w;
        }
    }
    alpha_filtration F;
    if (r <= 2) {
        F.complex = alpha_detail::planar_complex(n, top, n_top, w, tri.extra, tri.n_extra);
        F.planar = true;
    } else {
        std::vector<std::vector<index_t>> given(4);
        given[1].assign(tri.extra, tri.extra + 2 * tri.n_extra);
        given[3].assign(top, top + n_top * w);
        F.complex = build_complex(std::move(given), n);
        const index_t n_tets = F.complex.n_simplices[3];
        F.flat_tet.assign(static_cast<std::size_t>(n_tets), 0);
        if (!flat_rows.empty()) {
            std::sort(flat_rows.begin(), flat_rows.end());
            for (index_t t = 0; t < n_tets; ++t) {
                const cell_t* s = F.complex.simplex(3, t);
                std::array<index_t, 4> row = {s[0], s[1], s[2], s[3]};
                std::sort(row.begin(), row.end());
                F.flat_tet[static_cast<std::size_t>(t)] =
                    std::binary_search(flat_rows.begin(), flat_rows.end(), row);
            }
        }
    }
    std::vector<index_t>().swap(kept);
    const index_t total = F.complex.total();
    F.value.assign(static_cast<std::size_t>(total), 0.0);
    F.source.resize(static_cast<std::size_t>(total));
    std::iota(F.source.begin(), F.source.end(), index_t{0});
    if (weak)
        alpha_detail::weak_values(p.data(), D, F);
    else
        alpha_detail::alpha_values(p.data(), n, D, F);
    return F;
}

// The critical (source) simplices of each bar of one cloud's alpha (or weak) persistence, up to
// homology dimension max_dim, as local vertex ids.
template <class T>
alpha_bars alpha_critical_simplices(const T* points, index_t n, int D, const delaunay_view& tri,
                                    int max_dim, bool weak, bool keep_zero) {
    if (max_dim < 0)
        throw std::invalid_argument("max_dim must be >= 0, got " + std::to_string(max_dim));
    const alpha_filtration F = make_alpha_filtration(points, n, D, tri, weak);
    const simplicial_complex& K = F.complex;
    pairs_result pairs;
    if (F.planar) {
        const index_t n_e = K.n_simplices[1], n_t = K.top_dim() >= 2 ? K.n_simplices[2] : 0;
        const std::vector<index_t> edges(K.vertices[1].begin(), K.vertices[1].end());
        std::vector<index_t> tri_edges;
        if (n_t > 0) tri_edges.assign(K.facets[2].begin(), K.facets[2].end());
        pairs = planar_pairs(n, edges.data(), n_e, tri_edges.data(), n_t, F.value.data(),
                             std::min(max_dim, 1), keep_zero);
    } else {
        pairs = filtration_pairs(K, F.value.data(), max_dim, keep_zero);
    }
    const int w = D + 1;
    alpha_bars out;
    out.births.resize(static_cast<std::size_t>(max_dim + 1));
    out.deaths.resize(static_cast<std::size_t>(max_dim + 1));
    auto row_of = [&](index_t id, std::vector<index_t>& dst) {
        const std::size_t at = dst.size();
        dst.resize(at + static_cast<std::size_t>(w), -1);
        if (id == no_death) return;
        const index_t s = F.source[static_cast<std::size_t>(id)];
        int d = K.top_dim();
        while (K.offset[static_cast<std::size_t>(d)] > s) --d;
        const index_t local = s - K.offset[static_cast<std::size_t>(d)];
        const cell_t* v = K.simplex(d, local);
        // A flat tetrahedron's value is the circle of its first three vertices (concyclic).
        const int last = d == 3 && !F.planar && F.flat_tet[static_cast<std::size_t>(local)] ? 2 : d;
        for (int j = 0; j <= last; ++j) dst[at + static_cast<std::size_t>(j)] = v[j];
    };
    for (std::size_t i = 0; i < pairs.size(); ++i) {
        const auto k = static_cast<std::size_t>(pairs.dim[i]);
        if (pairs.dim[i] > max_dim) continue;
        row_of(pairs.birth[i], out.births[k]);
        row_of(pairs.death[i], out.deaths[k]);
    }
    return out;
}

// A batch: the points of every item stacked (sum n_i, D), item i's rows in
// [starts[i], starts[i + 1]), each with its triangulation; items on up to n_threads threads
// (0: every core), the result the same for every count.
template <class T>
alpha_batch_result alpha_batch(const T* points, int D, const std::vector<index_t>& starts,
                               const std::vector<delaunay_view>& tris, int max_dim, bool weak,
                               bool keep_zero, int n_threads) {
    if (max_dim < 0)
        throw std::invalid_argument("max_dim must be >= 0, got " + std::to_string(max_dim));
    const auto n_items = static_cast<index_t>(tris.size());
    if (starts.size() != tris.size() + 1)
        throw std::invalid_argument("alpha: one start per item and one past the end");
    std::vector<alpha_bars> items(tris.size());
    parallel_for(n_items, n_threads, [&](index_t i) {
        const auto u = static_cast<std::size_t>(i);
        items[u] = alpha_critical_simplices(points + starts[u] * D, starts[u + 1] - starts[u], D,
                                            tris[u], max_dim, weak, keep_zero);
    });
    const int w = D + 1;
    const auto dims = static_cast<std::size_t>(max_dim + 1);
    index_t bars = 0;
    for (const auto& it : items)
        for (const auto& b : it.births) bars += static_cast<index_t>(b.size()) / w;
    const index_t n_cells = 2 * bars;
    alpha_batch_result out;
    out.rows.resize(dims);
    out.positions.resize(dims);
    out.cells.resize(static_cast<std::size_t>(n_cells * w));
    index_t at = 0;  // next cell
    for (std::size_t k = 0; k < dims; ++k) {
        std::size_t n_k = 0;
        for (const auto& it : items) n_k += it.births[k].size() / static_cast<std::size_t>(w);
        out.rows[k].reserve(3 * n_k);
        out.positions[k].reserve(2 * n_k);
        for (std::size_t i = 0; i < items.size(); ++i) {
            auto& births = items[i].births[k];
            auto& deaths = items[i].deaths[k];
            const index_t m = static_cast<index_t>(births.size()) / w, shift = starts[i];
            auto put = [&](const std::vector<index_t>& src, index_t cell0) {
                for (std::size_t j = 0; j < src.size(); ++j)
                    out.cells[static_cast<std::size_t>(cell0 * w) + j] =
                        src[j] >= 0 ? src[j] + shift : -1;
            };
            put(births, at);
            put(deaths, at + m);
            for (index_t j = 0; j < m; ++j) {
                const bool essential = deaths[static_cast<std::size_t>(j * w)] < 0;
                const index_t b = at + j, d = at + m + j;
                out.rows[k].insert(out.rows[k].end(),
                                   {static_cast<index_t>(i), b, essential ? no_death : d});
                out.positions[k].insert(out.positions[k].end(), {b, essential ? n_cells : d});
            }
            at += 2 * m;
            std::vector<index_t>().swap(births);
            std::vector<index_t>().swap(deaths);
        }
    }
    return out;
}

}  // namespace topolayer
