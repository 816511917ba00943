// Vietoris–Rips persistence as critical edges, never listing the clique complex: the entry
// points (points, a distance matrix, candidate edges within a threshold, points within a
// threshold, the H0 of a graph) and batches. Each validates its input, builds the metric of
// squared Euclidean distances (or the given distances) and runs the engine of rips/engine.hpp
// (Bauer 2021, Ripser). Cost: O(N^2 D) for a dense table, O(E (D + log E)) for candidate edges or
// a graph (plus the k-d tree search of rips/neighbours.hpp for points), then the engine's.
// Invariants: an edge's value is the same wherever it is computed; results are identical for
// every thread count (threads go to the items of a batch, or inside a single item).
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <limits>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "interrupt.hpp"
#include "parallel.hpp"
#include "rips/engine.hpp"
#include "rips/neighbours.hpp"
#include "types.hpp"
#include "union_find.hpp"

namespace topolayer {

// Throws unless every simplex index up to dimension max_dim + 1 fits in 63 bits.
inline void check_index_range(index_t n, int max_dim) {
    // C(n, k) = C(n, k - 1) (n - k + 1) / k, checked in long double before trusting int64.
    long double c = 1;
    for (int k = 1; k <= max_dim + 2 && k <= n; ++k) {
        c = c * static_cast<long double>(n - k + 1) / k;
        if (c > static_cast<long double>(std::numeric_limits<index_t>::max() / 4))
            throw std::invalid_argument("Rips: simplex indices of " + std::to_string(n) + " points in dimension " +
                                        std::to_string(max_dim + 1) +
                                        " overflow 64 bits; lower max_dim or the number of points");
    }
}

inline void check_table(index_t n, std::size_t elem, const rips_options& opt) {
    const double table = static_cast<double>(n) * static_cast<double>(n) * static_cast<double>(elem);
    if (table > opt.memory_budget)
        throw std::invalid_argument(
            "Rips on " + std::to_string(n) + " points needs a " + rips_detail::bytes_str(table) +
            " distance table, over the memory budget of " + rips_detail::bytes_str(opt.memory_budget) +
            (std::isfinite(opt.threshold) ? "; subsample the points (the table is dense even with a threshold)"
                                          : "; pass a `threshold` or subsample the points"));
}

// Rips persistence of n points in R^dim (row-major), Euclidean metric. Threshold in distance units.
template <class T>
rips_result rips_points(const T* x, index_t n, index_t dim, rips_options opt) {
    check_index_range(n, opt.max_dim);
    check_finite(x, n * dim, "x");
    check_table(n, sizeof(T), opt);
    rips_dense_metric<T> m;
    m.n = n;
    m.m.resize(static_cast<std::size_t>(n * n));
    parallel_for(n, opt.n_threads, [&](index_t i) {
        T* row = m.m.data() + i * n;
        const T* xi = x + i * dim;
        for (index_t j = 0; j < n; ++j) {
            const T* xj = x + j * dim;
            row[j] = static_cast<T>(rips_detail::squared_distance(i < j ? xi : xj, i < j ? xj : xi, dim));
        }
    });
    if (std::isfinite(opt.threshold)) opt.threshold = opt.threshold * opt.threshold;  // squared units
    rips_engine<T, rips_dense_metric<T>> engine(m, n, opt);
    return engine.run();
}

// Rips persistence of an (n, n) distance matrix (row-major). It must be non-negative and
// symmetric up to rounding (relative 1e-4); only the lower triangle is read and the diagonal is
// ignored (vertices are born at 0).
template <class T>
rips_result rips_matrix(const T* d, index_t n, rips_options opt) {
    check_index_range(n, opt.max_dim);
    check_finite(d, n * n, "x (distance matrix)");
    T scale = T(0);
    for (index_t i = 0; i < n * n; ++i) scale = std::max(scale, std::abs(d[i]));
    for (index_t i = 0; i < n; ++i) {
        check_interrupt();
        for (index_t j = 0; j < i; ++j) {
            const T a = d[i * n + j], b = d[j * n + i];
            if (a < T(0) || b < T(0))
                throw std::invalid_argument("x (distance matrix) must be non-negative, but x[" + std::to_string(i) +
                                            ", " + std::to_string(j) + "] or its transpose is negative");
            if (std::abs(a - b) > T(1e-4) * (a + b) + T(1e-7) * scale)
                throw std::invalid_argument("x (distance matrix) must be symmetric, but x[" + std::to_string(i) + ", " +
                                            std::to_string(j) + "] = " + std::to_string(static_cast<double>(a)) +
                                            " and x[" + std::to_string(j) + ", " + std::to_string(i) +
                                            "] = " + std::to_string(static_cast<double>(b)));
        }
    }
    check_table(n, sizeof(T), opt);
    rips_dense_metric<T> m;
    m.n = n;
    m.m.resize(static_cast<std::size_t>(n * n));
    for (index_t i = 0; i < n; ++i) {
        check_interrupt();
        for (index_t j = 0; j < n; ++j)
            m.m[static_cast<std::size_t>(i * n + j)] = i == j ? T(0) : i > j ? d[i * n + j] : d[j * n + i];
    }
    rips_engine<T, rips_dense_metric<T>> engine(m, n, opt);
    return engine.run();
}

// Sparse (thresholded) Rips of n points: only the candidate `edges` (pairs of vertex ids, e.g.
// from a k-d tree range query) whose length is <= opt.threshold enter; memory O(N + E).
template <class T>
rips_result rips_sparse_points(const T* x, index_t n, index_t dim, const index_t* edges, index_t n_edges,
                               rips_options opt) {
    check_index_range(n, opt.max_dim);
    check_finite(x, n * dim, "x");
    const double thr2 = opt.threshold * opt.threshold;
    rips_sparse_metric<T> m;
    m.n = n;
    std::vector<index_t> deg(static_cast<std::size_t>(n + 1), 0);
    std::vector<T> len(static_cast<std::size_t>(n_edges));
    std::vector<char> keep(static_cast<std::size_t>(n_edges), 0);
    interrupt_countdown poll;
    for (index_t e = 0; e < n_edges; ++e) {
        poll.tick();
        const index_t a = edges[2 * e], b = edges[2 * e + 1];
        if (a < 0 || b < 0 || a >= n || b >= n)
            throw std::out_of_range("edge " + std::to_string(e) + " has a vertex out of range");
        if (a == b) continue;
        const T v =
            static_cast<T>(rips_detail::squared_distance(x + std::min(a, b) * dim, x + std::max(a, b) * dim, dim));
        if (!(static_cast<double>(v) <= thr2)) continue;
        len[static_cast<std::size_t>(e)] = v;
        keep[static_cast<std::size_t>(e)] = 1;
        ++deg[static_cast<std::size_t>(a + 1)];
        ++deg[static_cast<std::size_t>(b + 1)];
    }
    for (index_t i = 0; i < n; ++i) deg[static_cast<std::size_t>(i + 1)] += deg[static_cast<std::size_t>(i)];
    const double bytes = static_cast<double>(deg.back()) * (sizeof(index_t) + sizeof(T));
    if (bytes > opt.memory_budget)
        throw std::invalid_argument("Rips: the " + std::to_string(deg.back() / 2) +
                                    " edges within the threshold need " + rips_detail::bytes_str(bytes) +
                                    ", over the memory budget of " + rips_detail::bytes_str(opt.memory_budget) +
                                    "; pass a smaller `threshold`");
    m.start = deg;
    m.nbr.resize(static_cast<std::size_t>(deg.back()));
    m.val.resize(static_cast<std::size_t>(deg.back()));
    std::vector<index_t> fill(deg.begin(), deg.end() - 1);
    for (index_t e = 0; e < n_edges; ++e) {
        if (!keep[static_cast<std::size_t>(e)]) continue;
        const index_t a = edges[2 * e], b = edges[2 * e + 1];
        const T v = len[static_cast<std::size_t>(e)];
        auto& fa = fill[static_cast<std::size_t>(a)];
        m.nbr[static_cast<std::size_t>(fa)] = b;
        m.val[static_cast<std::size_t>(fa++)] = v;
        auto& fb = fill[static_cast<std::size_t>(b)];
        m.nbr[static_cast<std::size_t>(fb)] = a;
        m.val[static_cast<std::size_t>(fb++)] = v;
    }
    // Sort each row by neighbour id (duplicates in the input are dropped).
    std::vector<std::pair<index_t, T>> row;
    index_t w = 0;
    std::vector<index_t> start(static_cast<std::size_t>(n + 1), 0);
    for (index_t i = 0; i < n; ++i) {
        poll.tick();
        row.clear();
        for (index_t p = m.start[static_cast<std::size_t>(i)]; p < m.start[static_cast<std::size_t>(i + 1)]; ++p)
            row.emplace_back(m.nbr[static_cast<std::size_t>(p)], m.val[static_cast<std::size_t>(p)]);
        std::sort(row.begin(), row.end(), [](const auto& u, const auto& v) { return u.first < v.first; });
        start[static_cast<std::size_t>(i)] = w;
        for (std::size_t r = 0; r < row.size(); ++r) {
            if (r > 0 && row[r].first == row[r - 1].first) continue;
            m.nbr[static_cast<std::size_t>(w)] = row[r].first;
            m.val[static_cast<std::size_t>(w++)] = row[r].second;
        }
    }
    start[static_cast<std::size_t>(n)] = w;
    m.start = std::move(start);
    m.nbr.resize(static_cast<std::size_t>(w));
    m.val.resize(static_cast<std::size_t>(w));
    opt.threshold = thr2;  // squared units from here on
    rips_engine<T, rips_sparse_metric<T>> engine(m, n, opt);
    return engine.run();
}

// Sparse Rips of n points with a finite threshold, the candidate edges found here: the pairs
// within a hair over the threshold by a k-d tree (rips_sparse_points then keeps those within it
// by its own lengths, so the slack only guards the search's rounding). Throws when the pairs
// would need more than the memory budget (counted before they are all listed).
template <class T>
rips_result rips_sparse_cloud(const T* x, index_t n, index_t dim, rips_options opt) {
    check_index_range(n, opt.max_dim);
    check_finite(x, n * dim, "x");
    constexpr index_t bytes_per_pair = 2 * 8 * 3;  // the candidate list, then both adjacency lists with values
    const double r = opt.threshold * (1 + 1e-6) + 1e-300;
    const double fit = opt.memory_budget / bytes_per_pair;
    const index_t max_pairs = fit < static_cast<double>(std::numeric_limits<index_t>::max() / bytes_per_pair)
                                  ? static_cast<index_t>(fit)
                                  : std::numeric_limits<index_t>::max() / bytes_per_pair;
    std::vector<index_t> pairs;
    const index_t found = pairs_within(x, n, dim, r * r, max_pairs, opt.n_threads, pairs);
    if (found > max_pairs || static_cast<double>(found) * bytes_per_pair > opt.memory_budget)
        throw std::invalid_argument(
            "Rips: the " + std::to_string(found) + " edges within the threshold need about " +
            std::to_string((found * bytes_per_pair) >> 20) + " MiB, over the memory budget of " +
            std::to_string(static_cast<long long>(opt.memory_budget) >> 20) + " MiB; pass a smaller `threshold`");
    return rips_sparse_points(x, n, dim, pairs.data(), found, opt);
}

// H0 of a graph on points (e.g. a Delaunay graph, which contains the Euclidean minimum spanning
// tree): Kruskal on the given edges ordered by (squared length, edge index), elder rule.
template <class T>
rips_result graph_h0(const T* x, index_t n, index_t dim, const index_t* edges, index_t n_edges, bool keep_zero) {
    check_finite(x, n * dim, "x");
    struct e_t {
        T value;
        index_t u, v;
    };
    std::vector<e_t> es(static_cast<std::size_t>(n_edges));
    for (index_t i = 0; i < n_edges; ++i) {
        index_t a = edges[2 * i], b = edges[2 * i + 1];
        if (a < 0 || b < 0 || a >= n || b >= n)
            throw std::out_of_range("edge " + std::to_string(i) + " has a vertex out of range");
        if (a < b) std::swap(a, b);
        es[static_cast<std::size_t>(i)] = {static_cast<T>(rips_detail::squared_distance(x + b * dim, x + a * dim, dim)),
                                           a, b};
    }
    std::sort(es.begin(), es.end(), [](const e_t& p, const e_t& q) {
        if (p.value != q.value) return p.value < q.value;
        if (p.u != q.u) return p.u < q.u;  // edge index C(u, 2) + v orders as (u, v)
        return p.v < q.v;
    });
    rips_result out(0);
    union_find uf = kruskal_h0(
        n, es, [](const e_t& e) { return std::pair<index_t, index_t>(e.u, e.v); },
        [](index_t a, index_t b) { return a > b; },  // vertices enter by index: the larger is younger
        [&](index_t birth, const e_t& e, index_t u, index_t v) {
            if (keep_zero || e.value > T(0)) out.push(0, birth, birth, u, v);
        });
    for (index_t v = 0; v < n; ++v)
        if (uf.find(v) == v) out.push(0, v, v, -1, -1);
    return out;
}

// Batch of independent items; per dimension rows of (item, birth_u, birth_v, death_u, death_v).
// Threads go to the items when there are several, otherwise inside the one item.
template <class Fn>
std::vector<std::vector<index_t>> rips_batch(index_t n_items, int max_dim, int n_threads, Fn&& one) {
    std::vector<rips_result> results(static_cast<std::size_t>(n_items));
    const int outer = n_items > 1 ? n_threads : 1;
    const int inner = n_items > 1 ? 1 : n_threads;
    parallel_for(n_items, outer, [&](index_t i) { results[static_cast<std::size_t>(i)] = one(i, inner); });
    std::vector<std::vector<index_t>> rows(static_cast<std::size_t>(max_dim + 1));
    for (index_t i = 0; i < n_items; ++i) {
        const auto& r = results[static_cast<std::size_t>(i)];
        for (std::size_t k = 0; k < rows.size() && k < r.rows.size(); ++k) {
            const auto& src = r.rows[k];
            for (std::size_t p = 0; p < src.size(); p += 4) {
                rows[k].push_back(i);
                rows[k].insert(rows[k].end(), src.begin() + static_cast<std::ptrdiff_t>(p),
                               src.begin() + static_cast<std::ptrdiff_t>(p + 4));
            }
        }
    }
    return rows;
}

}  // namespace topolayer
