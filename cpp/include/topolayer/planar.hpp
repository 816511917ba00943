// Persistence (H0 and H1) of a filtered triangulated planar domain, e.g. a 2D Delaunay or alpha
// complex, by two union-finds and no matrix reduction.
//
// H0: Kruskal on the edges in filtration order with the elder rule. H1: by Alexander duality, the
// H0 of the dual graph (triangles plus the outer face, joined across edges) swept in reverse
// filtration order: a component is born at its latest triangle and an edge that merges two
// components kills the younger one, giving the forward bar (edge, that triangle). The domain must
// be a triangulation of a disc (or of several, or a 1-complex); the outer face never dies.
// Order: (value, dimension, index); ids are global: vertices, then edges, then triangles.
// Cost: O((V + E + T) log(V + E + T)) for the sorts, near-linear otherwise.
#pragma once

#include <algorithm>
#include <numeric>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "types.hpp"
#include "union_find.hpp"

namespace topolayer {

// edges: (n_e, 2) vertex ids; tri_edges: (n_t, 3) edge ids; values: n_v + n_e + n_t filtration
// values (vertices first; a face must not come after its coface). Returns pairs in global ids.
template <class T>
pairs_result planar_pairs(index_t n_v, const index_t* edges, index_t n_e, const index_t* tri_edges, index_t n_t,
                          const T* values, int max_dim, bool keep_zero) {
    const index_t n = n_v + n_e + n_t;
    for (index_t i = 0; i < 2 * n_e; ++i)
        if (edges[i] < 0 || edges[i] >= n_v) throw std::out_of_range("planar: edge vertex out of range");
    for (index_t i = 0; i < 3 * n_t; ++i)
        if (tri_edges[i] < 0 || tri_edges[i] >= n_e) throw std::out_of_range("planar: triangle edge out of range");
    for (index_t e = 0; e < n_e; ++e)
        for (int j = 0; j < 2; ++j)
            if (values[edges[2 * e + j]] > values[n_v + e])
                throw std::invalid_argument("planar: values must be monotone (edge " + std::to_string(e) + ")");
    for (index_t t = 0; t < n_t; ++t)
        for (int j = 0; j < 3; ++j)
            if (values[n_v + tri_edges[3 * t + j]] > values[n_v + n_e + t])
                throw std::invalid_argument("planar: values must be monotone (triangle " + std::to_string(t) + ")");
    auto before = [values](index_t a, index_t b) {  // global ids increase with dimension
        return values[a] < values[b] || (values[a] == values[b] && a < b);
    };
    pairs_result out;

    // H0 over vertices; vertices enter in (value, id) order, so the elder root has the smaller rank.
    std::vector<index_t> vorder(static_cast<std::size_t>(n_v)), vrank(static_cast<std::size_t>(n_v));
    std::iota(vorder.begin(), vorder.end(), index_t{0});
    std::sort(vorder.begin(), vorder.end(), before);
    for (index_t r = 0; r < n_v; ++r) vrank[static_cast<std::size_t>(vorder[static_cast<std::size_t>(r)])] = r;
    // Sorting (value, id) records keeps the comparisons in cache, unlike an indirect sort.
    struct rec {
        T value;
        index_t id;
        bool operator<(const rec& o) const { return value < o.value || (value == o.value && id < o.id); }
    };
    std::vector<rec> recs(static_cast<std::size_t>(n_e));
    for (index_t e = 0; e < n_e; ++e) recs[static_cast<std::size_t>(e)] = {values[n_v + e], n_v + e};
    std::sort(recs.begin(), recs.end());
    std::vector<index_t> eorder(static_cast<std::size_t>(n_e));
    for (index_t e = 0; e < n_e; ++e) eorder[static_cast<std::size_t>(e)] = recs[static_cast<std::size_t>(e)].id;
    union_find uf = kruskal_h0(
        n_v, eorder,
        [edges, n_v](index_t g) { return std::pair<index_t, index_t>(edges[2 * (g - n_v)], edges[2 * (g - n_v) + 1]); },
        [&vrank](index_t a, index_t b) {
            return vrank[static_cast<std::size_t>(a)] > vrank[static_cast<std::size_t>(b)];
        },
        [&](index_t birth, index_t g, index_t, index_t) {
            if (keep_zero || values[birth] != values[g]) out.push(0, birth, g);
        });
    for (index_t v : vorder)
        if (uf.find(v) == v) out.push(0, v, no_death);
    if (max_dim < 1) return out;

    // H1 by the dual sweep. Dual nodes: triangles 0..n_t-1 and the outer face n_t.
    std::vector<index_t> face(static_cast<std::size_t>(2 * n_e), -1);  // the two faces of each edge
    for (index_t t = 0; t < n_t; ++t)
        for (int j = 0; j < 3; ++j) {
            const auto e = static_cast<std::size_t>(tri_edges[3 * t + j]);
            if (face[2 * e] < 0)
                face[2 * e] = t;
            else if (face[2 * e + 1] < 0)
                face[2 * e + 1] = t;
            else
                throw std::invalid_argument("planar: an edge has more than two triangles");
        }
    recs.resize(static_cast<std::size_t>(n_e + n_t));
    for (index_t i = 0; i < n_e + n_t; ++i) recs[static_cast<std::size_t>(i)] = {values[n_v + i], n_v + i};
    std::sort(recs.begin(), recs.end());
    std::vector<index_t> order(static_cast<std::size_t>(n_e + n_t));  // latest first
    for (index_t i = 0; i < n_e + n_t; ++i)
        order[static_cast<std::size_t>(i)] = recs[static_cast<std::size_t>(n_e + n_t - 1 - i)].id;
    std::vector<rec>().swap(recs);
    union_find dual(n_t + 1);
    // Age of a dual root in the reverse sweep: the outer face is the eldest.
    auto age = [&](index_t node) { return node == n_t ? n : node + n_v + n_e; };
    std::vector<index_t> rank(static_cast<std::size_t>(n_t + 1), 0);
    index_t clock = 0;
    rank[static_cast<std::size_t>(n_t)] = -1;
    for (index_t g : order) {
        if (g >= n_v + n_e) {
            rank[static_cast<std::size_t>(g - n_v - n_e)] = clock++;
            continue;
        }
        const auto e = static_cast<std::size_t>(g - n_v);
        if (face[2 * e] < 0) continue;  // an edge on no triangle (a dangling edge) bounds nothing
        const index_t a = face[2 * e], b = face[2 * e + 1] < 0 ? n_t : face[2 * e + 1];
        index_t ra = dual.find(a), rb = dual.find(b);
        if (ra == rb) continue;
        if (rank[static_cast<std::size_t>(ra)] > rank[static_cast<std::size_t>(rb)]) std::swap(ra, rb);
        dual.link(ra, rb);  // rb entered later in the reverse sweep: it is younger and dies
        const index_t death = age(rb);
        if (keep_zero || values[g] != values[death]) out.push(1, g, death);
    }
    return out;
}

}  // namespace topolayer
