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
#include <utility>
#include <vector>

#include "complex.hpp"
#include "interrupt.hpp"
#include "parallel.hpp"
#include "sort.hpp"
#include "types.hpp"
#include "union_find.hpp"

namespace topolayer {

// Highest simplex dimension that matters for homology up to max_dim.
inline int reduction_top(const simplicial_complex& K, int max_dim) { return std::min(max_dim + 1, K.top_dim()); }

// The filtration order, one dimension at a time: orders[d] lists the local ids of the
// d-simplices in filtration order. Only the relative order within a dimension matters to the
// reduction (a column holds facets of one dimension; the elder rule compares vertices), so the
// global order need never be materialised.
using dim_orders = std::vector<std::vector<cell_t>>;

// Persistence pairs, in global simplex ids, of the filtration given by per-dimension orders
// of the simplices of dimension <= reduction_top(K, max_dim).
inline pairs_result persistence_in_order(const simplicial_complex& K, const dim_orders& orders, int max_dim) {
    const int top = reduction_top(K, max_dim);
    auto sz = [](index_t i) { return static_cast<std::size_t>(i); };
    // pos[d][local id] = position within dimension d.
    std::vector<std::vector<cell_t>> pos(sz(top + 1));
    for (int d = 0; d <= top; ++d) {
        const auto& ord = orders[sz(d)];
        auto& p = pos[sz(d)];
        p.resize(ord.size());
        for (std::size_t i = 0; i < ord.size(); ++i) p[sz(ord[i])] = static_cast<cell_t>(i);
    }
    std::vector<pairs_result> by_dim(sz(max_dim + 1));
    auto push = [&](int d, index_t b, index_t k) {
        if (d <= max_dim) by_dim[sz(d)].push(d, b, k);
    };
    // state[d][local id]: bit 1 = cleared (the simplex is the pivot of a reduced column one
    // dimension up, so it is positive, its class dies, and its own column reduces to zero);
    // bit 2 = negative (its column is non-zero: it kills a class). A negative row can never
    // hold a pivot one dimension up, so it is left out of those columns (compression: the
    // pairs do not change, since a cycle is determined by its entries at positive simplices).
    constexpr char cleared = 1, negative = 2;
    std::vector<std::vector<char>> state(sz(top + 1));
    for (int d = 0; d <= top; ++d) state[sz(d)].assign(orders[sz(d)].size(), 0);

    // H0 by union-find over vertices (elder rule by vertex position); edges merging nothing
    // are positive (H1 births).
    const auto& vpos = pos[0];
    const std::vector<cell_t> no_edges;
    union_find uf = kruskal_h0(
        K.n_vertices, top >= 1 ? orders[1] : no_edges,
        [&K](cell_t e) {
            const cell_t* uv = K.simplex(1, e);
            return std::pair<index_t, index_t>(uv[0], uv[1]);
        },
        [&vpos, &sz](index_t a, index_t b) { return vpos[sz(a)] > vpos[sz(b)]; },
        [&](index_t birth, cell_t e, index_t, index_t) {
            push(0, birth, K.offset[1] + e);  // the younger root dies
            state[1][sz(e)] |= negative;
        });
    for (cell_t v : orders[0])
        if (uf.find(v) == v) push(0, v, no_death);

    // Dimensions top..2 by reduction, columns in filtration order, pivots as positions in the
    // dimension below. Reduced columns that own a pivot live in one flat pool.
    std::vector<cell_t> col, tmp, pool;
    std::vector<index_t> pool_start;
    std::vector<cell_t> pool_len;
    interrupt_countdown poll;
    for (int d = top; d >= 2; --d) {
        const auto& fpos = pos[sz(d - 1)];
        auto& fstate = state[sz(d - 1)];
        const auto& forder = orders[sz(d - 1)];
        const auto& mystate = state[sz(d)];
        if (d == K.top_dim() && !K.top_cofaces.empty()) {
            // A pseudomanifold's top dimension: each (d-1)-simplex has at most two cofaces, so
            // its coboundary column joins two d-simplices, or one d-simplex and the outside
            // (one coface), and reducing the coboundary matrix is a union-find over the
            // d-simplices with the outside eldest, the (d-1)-simplices in reverse order: each
            // root is the latest d-simplex of its set; a join kills the younger root, the
            // d-simplex that dies into the (d-1)-class born at the joining simplex. Columns
            // that would reduce to zero (negative (d-1)-simplices) join nothing.
            const auto& tpos = pos[sz(d)];
            const cell_t outside = static_cast<cell_t>(orders[sz(d)].size());
            std::vector<cell_t> up(sz(outside + 1));
            std::iota(up.begin(), up.end(), cell_t{0});
            auto find = [&up, &sz](cell_t x) {
                while (up[sz(x)] != x) {
                    up[sz(x)] = up[sz(up[sz(x)])];
                    x = up[sz(x)];
                }
                return x;
            };
            for (std::size_t i = forder.size(); i-- > 0;) {
                poll.tick();
                const cell_t e = forder[i];
                const cell_t* co = K.top_cofaces.data() + 2 * sz(e);
                if (co[0] < 0) continue;  // no coface
                const cell_t a = find(co[0]), b = find(co[1] < 0 ? outside : co[1]);
                if (a == b) continue;
                // elder: the outside, else the later d-simplex
                const bool a_old = a == outside || (b != outside && tpos[sz(a)] > tpos[sz(b)]);
                const cell_t young = a_old ? b : a;
                up[sz(young)] = a_old ? a : b;
                fstate[sz(e)] |= cleared;
                state[sz(d)][sz(young)] |= negative;
                push(d - 1, K.offset[sz(d - 1)] + e, K.offset[sz(d)] + young);
            }
            for (cell_t s : orders[sz(d)])
                if (!(mystate[sz(s)] & negative)) push(d, K.offset[sz(d)] + s, no_death);
            continue;
        }
        std::vector<cell_t> pivot_owner(forder.size(), -1);
        pool.clear();
        pool_start.clear();
        pool_len.clear();
        for (cell_t s : orders[sz(d)]) {
            poll.tick();
            if (mystate[sz(s)] & cleared) continue;
            const cell_t* fs = K.facet_ids(d, s);
            col.clear();
            for (int j = 0; j <= d; ++j)
                if (!(fstate[sz(fs[j])] & negative)) col.push_back(fpos[sz(fs[j])]);
            std::sort(col.begin(), col.end());
            while (!col.empty()) {
                const cell_t owner = pivot_owner[sz(col.back())];
                if (owner < 0) break;
                poll.tick();
                const cell_t* other = pool.data() + pool_start[sz(owner)];
                tmp.clear();
                std::set_symmetric_difference(col.begin(), col.end(), other, other + pool_len[sz(owner)],
                                              std::back_inserter(tmp));
                col.swap(tmp);
            }
            if (col.empty()) {
                push(d, K.offset[sz(d)] + s, no_death);  // positive and not cleared: never dies
                continue;
            }
            const cell_t low = col.back();
            const cell_t birth = forder[sz(low)];
            pivot_owner[sz(low)] = static_cast<cell_t>(pool_len.size());
            pool_start.push_back(static_cast<index_t>(pool.size()));
            pool_len.push_back(static_cast<cell_t>(col.size()));
            pool.insert(pool.end(), col.begin(), col.end());
            fstate[sz(birth)] |= cleared;
            state[sz(d)][sz(s)] |= negative;
            push(d - 1, K.offset[sz(d - 1)] + birth, K.offset[sz(d)] + s);
        }
    }

    // Positive edges whose cycle no triangle kills are essential H1 classes.
    if (top >= 1)
        for (cell_t e : orders[1])
            if (!state[1][sz(e)]) push(1, K.offset[1] + e, no_death);

    pairs_result out;
    for (const auto& r : by_dim) {
        out.dim.insert(out.dim.end(), r.dim.begin(), r.dim.end());
        out.birth.insert(out.birth.end(), r.birth.begin(), r.birth.end());
        out.death.insert(out.death.end(), r.death.begin(), r.death.end());
    }
    return out;
}

// Lower-star (sublevel) persistence of vertex values f; superlevel uses -f. A simplex enters
// with its critical vertex: the vertex of largest (value, id). Simplices are ordered by
// (rank of critical vertex, dimension, id), a refinement of (value, dimension, id) order that
// a counting sort per dimension produces in O(n) after one sort of the vertices. Births and deaths are
// returned as critical *vertices*; bars of zero length are dropped unless keep_zero.
template <class T>
pairs_result lower_star_pairs(const simplicial_complex& K, const T* f, int max_dim, bool superlevel, bool keep_zero) {
    const index_t nv = K.n_vertices;
    check_finite(f, nv, "f");
    auto sz = [](index_t i) { return static_cast<std::size_t>(i); };
    const int top = reduction_top(K, max_dim);
    dim_orders orders(sz(top + 1));
    orders[0] = sorted_order(f, nv, superlevel);
    check_interrupt();
    std::vector<cell_t> rank(sz(nv));
    for (index_t r = 0; r < nv; ++r) rank[sz(orders[0][sz(r)])] = static_cast<cell_t>(r);

    // Critical vertex of every simplex (by global id), and per dimension a counting sort by
    // its rank, stable in local id.
    std::vector<cell_t> crit(sz(K.offset[sz(top)] + K.n_simplices[sz(top)]));
    for (index_t v = 0; v < nv; ++v) crit[sz(v)] = static_cast<cell_t>(v);
    std::vector<cell_t> start(sz(nv + 1));
    for (int d = 1; d <= top; ++d) {
        const index_t off = K.offset[sz(d)];
        const index_t count = K.n_simplices[sz(d)];
        std::fill(start.begin(), start.end(), 0);
        for (index_t i = 0; i < count; ++i) {
            const cell_t* s = K.simplex(d, i);
            cell_t best = s[0];
            for (int j = 1; j <= d; ++j)
                if (rank[sz(s[j])] > rank[sz(best)]) best = s[j];
            crit[sz(off + i)] = best;
            ++start[sz(rank[sz(best)] + 1)];
        }
        for (index_t r = 0; r < nv; ++r) start[sz(r + 1)] += start[sz(r)];
        auto& ord = orders[sz(d)];
        ord.resize(sz(count));
        for (index_t i = 0; i < count; ++i) ord[sz(start[sz(rank[sz(crit[sz(off + i)])])]++)] = static_cast<cell_t>(i);
        check_interrupt();
    }

    pairs_result raw = persistence_in_order(K, orders, max_dim);
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
// no face above a coface. Order: (value, dimension, id), sorted per dimension. Returns global
// simplex ids.
template <class T>
pairs_result filtration_pairs(const simplicial_complex& K, const T* values, int max_dim, bool keep_zero) {
    const index_t total = K.total();
    check_finite(values, total, "values");
    for (int d = 1; d <= K.top_dim(); ++d) {
        const index_t off = K.offset[static_cast<std::size_t>(d)];
        const index_t foff = K.offset[static_cast<std::size_t>(d - 1)];
        for (index_t i = 0; i < K.n_simplices[static_cast<std::size_t>(d)]; ++i) {
            const cell_t* fs = K.facet_ids(d, i);
            for (int j = 0; j <= d; ++j)
                if (values[foff + fs[j]] > values[off + i]) {
                    std::string s;
                    const cell_t* vs = K.simplex(d, i);
                    for (int t = 0; t <= d; ++t) s += (t ? ", " : "") + std::to_string(vs[t]);
                    throw std::invalid_argument(
                        "values must be monotone (a face never above its coface), but simplex (" + s +
                        ") with global id " + std::to_string(off + i) + " has a face with a larger value");
                }
        }
    }
    const int top = reduction_top(K, max_dim);
    dim_orders orders(static_cast<std::size_t>(top + 1));
    for (int d = 0; d <= top; ++d) {
        const index_t off = K.offset[static_cast<std::size_t>(d)];
        auto& ord = orders[static_cast<std::size_t>(d)];
        ord = sorted_order(values + off, K.n_simplices[static_cast<std::size_t>(d)], false);
        check_interrupt();
    }
    pairs_result raw = persistence_in_order(K, orders, max_dim);
    if (keep_zero) return raw;
    pairs_result out;
    for (std::size_t i = 0; i < raw.size(); ++i) {
        if (raw.death[i] != no_death && values[raw.birth[i]] == values[raw.death[i]]) continue;
        out.push(raw.dim[i], raw.birth[i], raw.death[i]);
    }
    return out;
}

// Batched forms: `x` is row-major (n_items, row) and every row is one filtration of K. With
// row > 0 the result has flat positions too (batch_pairs).
template <class T, class Fn>
batch_pairs run_batch(index_t n_items, int max_dim, int n_threads, Fn&& one, index_t row = 0) {
    std::vector<pairs_result> results(static_cast<std::size_t>(n_items));
    parallel_for(n_items, n_threads, [&](index_t i) { results[static_cast<std::size_t>(i)] = one(i); });
    batch_pairs out(max_dim, n_items, row);
    for (index_t i = 0; i < n_items; ++i) out.append(i, results[static_cast<std::size_t>(i)]);
    return out;
}

}  // namespace topolayer
