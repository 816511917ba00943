// Fixed-radius neighbour pairs of a point cloud: every pair (i, j), i < j, of points of R^D whose
// squared Euclidean distance is <= r2, by a k-d tree (Bentley 1975; Friedman, Bentley & Finkel
// 1977): median splits across the widest side, tight bounding boxes, leaves of <= 32 points.
// Cost: O(N log N) to build; a point's query visits the nodes whose box meets its ball, about
// O(log N + k) for k neighbours in low dimension (boxes prune less as D grows). Invariant: a pair
// is reported iff squared_distance below (where every Rips edge value comes from) is <= r2,
// whatever the tree's shape: box bounds sum the same rounded terms in the same order, so a box is
// cut only if all its points are out, and taken without distances only if all are in.
#pragma once

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <utility>
#include <vector>

#include "../parallel.hpp"
#include "../types.hpp"

namespace topolayer {

namespace rips_detail {

// Squared Euclidean distance of points p and q of R^dim, summed in double in coordinate order.
// Every Euclidean edge value comes from here, so an edge has one value in the dense table (both
// rows), the sparse lists, the graph and the neighbour search. Callers pass the point of smaller
// index first, which fixes the operands; (p - q)^2 and (q - p)^2 are equal in IEEE arithmetic
// anyway (rounding to nearest is symmetric).
template <class T>
double squared_distance(const T* p, const T* q, index_t dim) {
    double s = 0;
    for (index_t k = 0; k < dim; ++k) {
        const double t = static_cast<double>(p[k]) - static_cast<double>(q[k]);
        s += t * t;
    }
    return s;
}

}  // namespace rips_detail

// A k-d tree over n points of R^dim (row-major), holding its own copy of them in tree order.
template <class T>
class kd_tree {
  public:
    static constexpr index_t leaf_size = 32;

    kd_tree(const T* x, index_t n, index_t dim) : n_(n), dim_(dim), ids_(static_cast<std::size_t>(n)) {
        for (index_t i = 0; i < n; ++i) ids_[static_cast<std::size_t>(i)] = i;
        if (n == 0) return;
        nodes_.reserve(static_cast<std::size_t>(2 * (n / leaf_size + 1)));
        nodes_.push_back({0, n, -1});
        lo_.resize(static_cast<std::size_t>(dim));
        hi_.resize(static_cast<std::size_t>(dim));
        build(x, 0);
        pts_.resize(static_cast<std::size_t>(n * dim));
        for (index_t p = 0; p < n; ++p)
            std::copy(x + ids_[static_cast<std::size_t>(p)] * dim, x + (ids_[static_cast<std::size_t>(p)] + 1) * dim,
                      pts_.begin() + p * dim);
    }

    // Calls f(i, j), the ids of the point at tree position p and of one at a later position, for
    // every such pair within squared distance r2, in a fixed order. With `count_only`, skips the
    // calls and returns how many pairs there are (boxes inside the ball counted whole).
    template <class F>
    index_t pairs_after(index_t p, double r2, bool count_only, F&& f) const {
        if (n_ == 0) return 0;
        const T* q = pts_.data() + p * dim_;
        const index_t me = ids_[static_cast<std::size_t>(p)];
        index_t found = 0;
        index_t stack[128];  // a median split halves the points: the depth stays below 64
        int top = 0;
        stack[top++] = 0;
        while (top > 0) {
            const index_t id = stack[--top];
            const node& nd = nodes_[static_cast<std::size_t>(id)];
            if (nd.end <= p + 1) continue;  // only later positions: each pair once
            if (!near(id, q, r2)) continue;
            const bool whole = inside(id, q, r2);
            if (!whole && nd.left >= 0) {
                stack[top++] = nd.left + 1;
                stack[top++] = nd.left;
                continue;
            }
            const index_t first = std::max(nd.begin, p + 1);
            if (count_only && whole) {
                found += nd.end - first;
                continue;
            }
            for (index_t s = first; s < nd.end; ++s) {
                if (!whole && rips_detail::squared_distance(q, pts_.data() + s * dim_, dim_) > r2) continue;
                ++found;
                if (!count_only) f(me, ids_[static_cast<std::size_t>(s)]);
            }
        }
        return found;
    }

  private:
    struct node {
        index_t begin, end;  // tree positions [begin, end)
        index_t left;        // children left and left + 1; -1 for a leaf
    };

    void build(const T* x, index_t root) {
        std::vector<index_t> todo{root};
        while (!todo.empty()) {
            const index_t id = todo.back();
            todo.pop_back();
            const index_t begin = nodes_[static_cast<std::size_t>(id)].begin;
            const index_t end = nodes_[static_cast<std::size_t>(id)].end;
            // Tight box of the node's points.
            T* lo = lo_.data() + id * dim_;
            T* hi = hi_.data() + id * dim_;
            const T* first = x + ids_[static_cast<std::size_t>(begin)] * dim_;
            std::copy(first, first + dim_, lo);
            std::copy(first, first + dim_, hi);
            for (index_t s = begin + 1; s < end; ++s) {
                const T* pt = x + ids_[static_cast<std::size_t>(s)] * dim_;
                for (index_t k = 0; k < dim_; ++k) {
                    lo[k] = std::min(lo[k], pt[k]);
                    hi[k] = std::max(hi[k], pt[k]);
                }
            }
            if (end - begin <= leaf_size) continue;
            index_t axis = 0;
            for (index_t k = 1; k < dim_; ++k)
                if (static_cast<double>(hi[k]) - lo[k] > static_cast<double>(hi[axis]) - lo[axis]) axis = k;
            const index_t mid = begin + (end - begin) / 2;
            auto* b = ids_.data();
            std::nth_element(b + begin, b + mid, b + end, [&](index_t u, index_t v) {
                const T cu = x[u * dim_ + axis], cv = x[v * dim_ + axis];
                return cu < cv || (cu == cv && u < v);
            });
            const auto left = static_cast<index_t>(nodes_.size());
            nodes_[static_cast<std::size_t>(id)].left = left;
            nodes_.push_back({begin, mid, -1});
            nodes_.push_back({mid, end, -1});
            lo_.resize(nodes_.size() * static_cast<std::size_t>(dim_));
            hi_.resize(nodes_.size() * static_cast<std::size_t>(dim_));
            todo.push_back(left + 1);
            todo.push_back(left);
        }
    }

    // Whether the box of node `id` may hold a point within r2 of q: its nearest point's squared
    // distance, a lower bound of every inner point's sum (same order, monotone rounding).
    bool near(index_t id, const T* q, double r2) const {
        const T* lo = lo_.data() + id * dim_;
        const T* hi = hi_.data() + id * dim_;
        double s = 0;
        for (index_t k = 0; k < dim_; ++k) {
            double t = 0;
            if (q[k] < lo[k])
                t = static_cast<double>(lo[k]) - static_cast<double>(q[k]);
            else if (q[k] > hi[k])
                t = static_cast<double>(q[k]) - static_cast<double>(hi[k]);
            s += t * t;
            if (s > r2) return false;
        }
        return true;
    }

    // Whether every point of the box of node `id` is within r2 of q: its farthest corner's
    // squared distance, an upper bound of every inner point's sum.
    bool inside(index_t id, const T* q, double r2) const {
        const T* lo = lo_.data() + id * dim_;
        const T* hi = hi_.data() + id * dim_;
        double s = 0;
        for (index_t k = 0; k < dim_; ++k) {
            const double a = static_cast<double>(q[k]) - static_cast<double>(lo[k]);
            const double b = static_cast<double>(hi[k]) - static_cast<double>(q[k]);
            const double t = std::max(a, b);
            s += t * t;
            if (s > r2) return false;
        }
        return true;
    }

    index_t n_, dim_;
    std::vector<index_t> ids_;  // point id at each tree position
    std::vector<T> pts_;        // coordinates in tree order
    std::vector<node> nodes_;   // the root first
    std::vector<T> lo_, hi_;    // per node, dim_ bounds each
};

// Every pair (i, j), i < j, of the n points x (row-major, R^dim) within squared distance r2,
// appended to `out` as i, j in an order fixed by the input (not by n_threads). Returns how many
// there are; if that is over max_pairs, `out` is left as it was (the pairs are only counted).
template <class T>
index_t pairs_within(const T* x, index_t n, index_t dim, double r2, index_t max_pairs, int n_threads,
                     std::vector<index_t>& out) {
    const kd_tree<T> tree(x, n, dim);
    constexpr index_t chunk = 512;  // tree positions per task; claimed in order, so work balances
    const index_t n_chunks = (n + chunk - 1) / chunk;
    const int workers = resolve_threads(n_threads, n_chunks);
    std::vector<std::vector<index_t>> parts(static_cast<std::size_t>(workers > 1 ? n_chunks : 1));
    std::vector<index_t> counts(static_cast<std::size_t>(n_chunks), 0);
    std::atomic<index_t> total{0};  // pairs found so far; past max_pairs, only counting goes on
    parallel_for(n_chunks, workers, [&](index_t c) {
        auto& part = parts[workers > 1 ? static_cast<std::size_t>(c) : 0];
        index_t& mine = counts[static_cast<std::size_t>(c)];
        for (index_t p = c * chunk; p < std::min(n, (c + 1) * chunk); ++p) {
            const bool over = total.load(std::memory_order_relaxed) > max_pairs;
            if (over && !part.empty()) std::vector<index_t>().swap(part);
            const index_t k = tree.pairs_after(p, r2, over, [&](index_t i, index_t j) {
                part.push_back(std::min(i, j));
                part.push_back(std::max(i, j));
            });
            mine += k;
            total.fetch_add(k, std::memory_order_relaxed);
        }
    });
    index_t found = 0;
    for (const index_t k : counts) found += k;
    if (found > max_pairs) return found;
    if (out.empty() && parts.size() == 1) {
        out.swap(parts[0]);
        return found;
    }
    out.reserve(out.size() + static_cast<std::size_t>(2 * found));
    for (auto& part : parts) {
        out.insert(out.end(), part.begin(), part.end());
        std::vector<index_t>().swap(part);
    }
    return found;
}

}  // namespace topolayer
