// Persistent homology of a filtered simplicial complex, as pairs of critical simplices.
//
// H0 by union-find with the elder rule; dimensions >= 1 by boundary-matrix reduction over Z2
// with the twist (clearing) optimisation: dimensions are reduced from the top down, and a
// column whose simplex was a pivot above is known to reduce to zero and is skipped
// (Chen & Kerber 2011; Bauer, Kerber & Reininghaus 2014). Only simplices of dimension
// <= max_dim + 1 enter. The filtration order is a total order in which faces precede cofaces;
// two entry points build it: lower-star (vertex values) and explicit per-simplex values.
// Worst case cubic in the number of simplices, near-linear on manifold-like inputs.
#pragma once

#include <algorithm>
#include <cmath>
#include <numeric>
#include <string>
#include <vector>

#include "complex.hpp"
#include "parallel.hpp"
#include "types.hpp"
#include "union_find.hpp"

namespace topolayer {

// Highest simplex dimension that matters for homology up to max_dim.
inline int reduction_top(const simplicial_complex& K, int max_dim) {
    return std::min(max_dim + 1, K.top_dim());
}

// Number of simplices of dimension <= top (a prefix of the global ids).
inline index_t prefix_count(const simplicial_complex& K, int top) {
    return K.offset[static_cast<std::size_t>(top)] + K.n_simplices[static_cast<std::size_t>(top)];
}

// Persistence pairs, in global simplex ids, of the filtration that lists the simplices of
// dimension <= reduction_top(K, max_dim) in `order` (each exactly once, faces first).
inline pairs_result persistence_in_order(const simplicial_complex& K, const std::vector<index_t>& order,
                                         int max_dim) {
    const int top = reduction_top(K, max_dim);
    const index_t n = prefix_count(K, top);
    std::vector<index_t> pos(static_cast<std::size_t>(n));
    for (index_t p = 0; p < n; ++p) pos[static_cast<std::size_t>(order[static_cast<std::size_t>(p)])] = p;
    std::vector<pairs_result> by_dim(static_cast<std::size_t>(max_dim + 1));
    auto push = [&](int d, index_t b, index_t k) {
        if (d <= max_dim) by_dim[static_cast<std::size_t>(d)].push(d, b, k);
    };
    // cleared[g]: simplex g is the pivot of a reduced column one dimension up, so it is a
    // positive simplex whose class dies; its own column reduces to zero and is skipped.
    std::vector<char> cleared(static_cast<std::size_t>(n), 0);
    // negative[g]: edge g merges two components. Its row in the boundary of the triangles can
    // never hold a pivot, so it is left out of their columns (compression; the pairs do not
    // change because a cycle is determined by its entries at positive simplices).
    std::vector<char> negative(static_cast<std::size_t>(n), 0);

    // H0 by union-find over vertices; the edges that merge nothing are positive (H1 births).
    union_find uf(K.n_vertices);
    const index_t eoff = top >= 1 ? K.offset[1] : n;
    const index_t eend = top >= 1 ? eoff + K.n_simplices[1] : n;
    for (index_t p = 0; p < n; ++p) {
        const index_t g = order[static_cast<std::size_t>(p)];
        if (g < eoff || g >= eend) continue;
        const index_t* e = K.simplex(1, g - eoff);
        index_t ru = uf.find(e[0]), rv = uf.find(e[1]);
        if (ru == rv) continue;
        if (pos[static_cast<std::size_t>(ru)] > pos[static_cast<std::size_t>(rv)]) std::swap(ru, rv);
        push(0, rv, g);  // the younger root dies
        uf.link(ru, rv);
        negative[static_cast<std::size_t>(g)] = 1;
    }
    for (index_t p = 0; p < n; ++p) {
        const index_t g = order[static_cast<std::size_t>(p)];
        if (g < K.n_vertices && uf.find(g) == g) push(0, g, no_death);
    }

    // Dimensions top..2 by reduction, columns in filtration order. Reduced columns that own a
    // pivot live in one flat pool.
    std::vector<index_t> pivot_owner(static_cast<std::size_t>(n), -1);
    std::vector<index_t> pool, pool_start, pool_len;
    std::vector<index_t> col, tmp;
    for (int d = top; d >= 2; --d) {
        const index_t off = K.offset[static_cast<std::size_t>(d)];
        const index_t end = off + K.n_simplices[static_cast<std::size_t>(d)];
        const index_t foff = K.offset[static_cast<std::size_t>(d - 1)];
        for (index_t p = 0; p < n; ++p) {
            const index_t g = order[static_cast<std::size_t>(p)];
            if (g < off || g >= end || cleared[static_cast<std::size_t>(g)]) continue;
            const index_t* fs = K.facet_ids(d, g - off);
            col.clear();
            for (int j = 0; j <= d; ++j) {
                const index_t face = foff + fs[j];
                if (!negative[static_cast<std::size_t>(face)]) col.push_back(pos[static_cast<std::size_t>(face)]);
            }
            std::sort(col.begin(), col.end());
            while (!col.empty()) {
                const index_t owner = pivot_owner[static_cast<std::size_t>(col.back())];
                if (owner < 0) break;
                const index_t* other = pool.data() + pool_start[static_cast<std::size_t>(owner)];
                tmp.clear();
                std::set_symmetric_difference(col.begin(), col.end(), other,
                                              other + pool_len[static_cast<std::size_t>(owner)],
                                              std::back_inserter(tmp));
                col.swap(tmp);
            }
            if (col.empty()) {
                push(d, g, no_death);  // positive and not cleared: never dies
            } else {
                const index_t low = col.back();
                const index_t birth = order[static_cast<std::size_t>(low)];
                pivot_owner[static_cast<std::size_t>(low)] = static_cast<index_t>(pool_start.size());
                pool_start.push_back(static_cast<index_t>(pool.size()));
                pool_len.push_back(static_cast<index_t>(col.size()));
                pool.insert(pool.end(), col.begin(), col.end());
                cleared[static_cast<std::size_t>(birth)] = 1;
                push(d - 1, birth, g);
            }
        }
    }

    // Positive edges whose cycle no triangle kills are essential H1 classes.
    for (index_t p = 0; p < n; ++p) {
        const index_t g = order[static_cast<std::size_t>(p)];
        if (g >= eoff && g < eend && !negative[static_cast<std::size_t>(g)] && !cleared[static_cast<std::size_t>(g)])
            push(1, g, no_death);
    }

    pairs_result out;
    for (const auto& r : by_dim) {
        out.dim.insert(out.dim.end(), r.dim.begin(), r.dim.end());
        out.birth.insert(out.birth.end(), r.birth.begin(), r.birth.end());
        out.death.insert(out.death.end(), r.death.begin(), r.death.end());
    }
    return out;
}

template <class T>
void check_finite(const T* x, index_t n, const char* what) {
    for (index_t i = 0; i < n; ++i)
        if (!std::isfinite(x[i]))
            throw std::invalid_argument(std::string(what) + " must be finite, but entry " + std::to_string(i) +
                                        " is " + std::to_string(static_cast<double>(x[i])));
}

// Lower-star (sublevel) persistence of vertex values f; superlevel uses -f. A simplex enters
// with its critical vertex: the vertex of largest (value, id). Simplices are ordered by
// (rank of critical vertex, dimension, id), a refinement of (value, dimension, id) order that
// a counting sort produces in O(n) after one sort of the vertices. Births and deaths are
// returned as critical *vertices*; bars of zero length are dropped unless keep_zero.
template <class T>
pairs_result lower_star_pairs(const simplicial_complex& K, const T* f, int max_dim, bool superlevel,
                              bool keep_zero) {
    const index_t nv = K.n_vertices;
    check_finite(f, nv, "vertex values");
    std::vector<index_t> vorder(static_cast<std::size_t>(nv));
    std::iota(vorder.begin(), vorder.end(), index_t{0});
    if (superlevel)
        std::sort(vorder.begin(), vorder.end(), [f](index_t a, index_t b) {
            return f[a] > f[b] || (f[a] == f[b] && a < b);
        });
    else
        std::sort(vorder.begin(), vorder.end(), [f](index_t a, index_t b) {
            return f[a] < f[b] || (f[a] == f[b] && a < b);
        });
    std::vector<index_t> rank(static_cast<std::size_t>(nv));
    for (index_t r = 0; r < nv; ++r) rank[static_cast<std::size_t>(vorder[static_cast<std::size_t>(r)])] = r;

    const int top = reduction_top(K, max_dim);
    const index_t n = prefix_count(K, top);
    std::vector<index_t> crit(static_cast<std::size_t>(n));
    for (index_t v = 0; v < nv; ++v) crit[static_cast<std::size_t>(v)] = v;
    for (int d = 1; d <= top; ++d) {
        const index_t off = K.offset[static_cast<std::size_t>(d)];
        for (index_t i = 0; i < K.n_simplices[static_cast<std::size_t>(d)]; ++i) {
            const index_t* s = K.simplex(d, i);
            index_t best = s[0];
            for (int j = 1; j <= d; ++j)
                if (rank[static_cast<std::size_t>(s[j])] > rank[static_cast<std::size_t>(best)]) best = s[j];
            crit[static_cast<std::size_t>(off + i)] = best;
        }
    }
    // Counting sort by critical rank; stable in global id, hence (rank, dimension, id).
    std::vector<index_t> start(static_cast<std::size_t>(nv + 1), 0);
    for (index_t g = 0; g < n; ++g) ++start[static_cast<std::size_t>(rank[static_cast<std::size_t>(crit[static_cast<std::size_t>(g)])] + 1)];
    for (index_t r = 0; r < nv; ++r) start[static_cast<std::size_t>(r + 1)] += start[static_cast<std::size_t>(r)];
    std::vector<index_t> order(static_cast<std::size_t>(n));
    for (index_t g = 0; g < n; ++g)
        order[static_cast<std::size_t>(start[static_cast<std::size_t>(rank[static_cast<std::size_t>(crit[static_cast<std::size_t>(g)])])]++)] = g;

    pairs_result raw = persistence_in_order(K, order, max_dim);
    pairs_result out;
    for (std::size_t i = 0; i < raw.size(); ++i) {
        const index_t b = crit[static_cast<std::size_t>(raw.birth[i])];
        const index_t k = raw.death[i] == no_death ? no_death : crit[static_cast<std::size_t>(raw.death[i])];
        if (!keep_zero && k != no_death && f[b] == f[k]) continue;
        out.push(raw.dim[i], b, k);
    }
    return out;
}

// Persistence of explicit per-simplex values (indexed by global id), which must be monotone:
// no face above a coface. Order: (value, dimension, id). Returns global simplex ids.
template <class T>
pairs_result filtration_pairs(const simplicial_complex& K, const T* values, int max_dim, bool keep_zero) {
    const index_t total = K.total();
    check_finite(values, total, "simplex values");
    for (int d = 1; d <= K.top_dim(); ++d) {
        const index_t off = K.offset[static_cast<std::size_t>(d)];
        const index_t foff = K.offset[static_cast<std::size_t>(d - 1)];
        for (index_t i = 0; i < K.n_simplices[static_cast<std::size_t>(d)]; ++i) {
            const index_t* fs = K.facet_ids(d, i);
            for (int j = 0; j <= d; ++j)
                if (values[foff + fs[j]] > values[off + i]) {
                    std::string s;
                    const index_t* vs = K.simplex(d, i);
                    for (int t = 0; t <= d; ++t) s += (t ? ", " : "") + std::to_string(vs[t]);
                    throw std::invalid_argument(
                        "values must be monotone (a face never above its coface), but simplex (" + s +
                        ") with global id " + std::to_string(off + i) + " has a face with a larger value");
                }
        }
    }
    const int top = reduction_top(K, max_dim);
    const index_t n = prefix_count(K, top);
    std::vector<index_t> order(static_cast<std::size_t>(n));
    std::iota(order.begin(), order.end(), index_t{0});
    // Global ids already increase with dimension, so (value, id) is (value, dimension, id).
    std::sort(order.begin(), order.end(), [values](index_t a, index_t b) {
        return values[a] < values[b] || (values[a] == values[b] && a < b);
    });
    pairs_result raw = persistence_in_order(K, order, max_dim);
    if (keep_zero) return raw;
    pairs_result out;
    for (std::size_t i = 0; i < raw.size(); ++i) {
        if (raw.death[i] != no_death && values[raw.birth[i]] == values[raw.death[i]]) continue;
        out.push(raw.dim[i], raw.birth[i], raw.death[i]);
    }
    return out;
}

// Batched forms: `x` is row-major (n_items, row) and every row is one filtration of K.
template <class T, class Fn>
batch_pairs run_batch(index_t n_items, int max_dim, int n_threads, Fn&& one) {
    std::vector<pairs_result> results(static_cast<std::size_t>(n_items));
    parallel_for(n_items, n_threads, [&](index_t i) { results[static_cast<std::size_t>(i)] = one(i); });
    batch_pairs out(max_dim);
    for (index_t i = 0; i < n_items; ++i) out.append(i, results[static_cast<std::size_t>(i)]);
    return out;
}

}  // namespace topolayer
