// A 2D k-d tree with deletion over diagram points, and the L_r ground metric, shared by the
// matchings of bottleneck.hpp and wasserstein.hpp.
//
// Median splits on the wider side (Bentley 1975): building O(n log n), a range report of k points
// O(sqrt(n) + k), a nearest neighbour O(log n) expected. Deletion decrements live counts on the
// root path (O(log n)); dead subtrees are skipped, so a reported and deleted point is never met
// again. Pruning uses only bounds that rounding cannot break (ground_metric): every query is the
// exact predicate on the computed costs.
#pragma once

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <utility>
#include <vector>

#include "types.hpp"

namespace topolayer {

// The L_r distance between diagram points (r >= 1 or +inf) and to the diagonal, computed with the
// operations, in the order, that NumPy uses in topolayer.distances for r = 1, 2 and inf, so that
// both give the same doubles. For these three, cost(dx, dy) is non-decreasing in |dx| and |dy|
// even after rounding; std::pow (any other r, and the order p of wasserstein.hpp) is only close
// to monotone, so bounds derived from it are widened by `slack`.
class ground_metric {
  public:
    explicit ground_metric(double r) : r_(r) {
        if (!(r >= 1)) throw std::invalid_argument("internal_p must be >= 1");
        if (std::isinf(r)) {
            kind_ = kind::inf;
            diag_ = 0.5;
        } else {
            kind_ = r == 1 ? kind::one : r == 2 ? kind::two : kind::general;
            diag_ = std::pow(2.0, 1.0 / r - 1.0);
            inv_r_ = 1.0 / r;
        }
    }

    // The cost of the offsets (dx, dy), both >= 0.
    double of(double dx, double dy) const {
        switch (kind_) {
        case kind::inf:
            return dx < dy ? dy : dx;
        case kind::one:
            return dx + dy;
        case kind::two: {
            const double a = dx * dx, b = dy * dy;
            return std::sqrt(a + b);
        }
        default:
            return std::pow(std::pow(dx, r_) + std::pow(dy, r_), inv_r_);
        }
    }
    double pair(const double* a, const double* b) const { return of(std::abs(a[0] - b[0]), std::abs(a[1] - b[1])); }
    // pair(q, pts + 2k) for k < count into out[k]: the same doubles, the kind tested once.
    void pairs(const double* q, const double* pts, index_t count, double* out) const {
        const double qx = q[0], qy = q[1];
        switch (kind_) {
        case kind::inf:
            for (index_t k = 0; k < count; ++k) {
                const double dx = std::abs(qx - pts[2 * k]), dy = std::abs(qy - pts[2 * k + 1]);
                out[k] = dx < dy ? dy : dx;
            }
            return;
        case kind::one:
            for (index_t k = 0; k < count; ++k) out[k] = std::abs(qx - pts[2 * k]) + std::abs(qy - pts[2 * k + 1]);
            return;
        case kind::two:
            for (index_t k = 0; k < count; ++k) {
                const double dx = std::abs(qx - pts[2 * k]), dy = std::abs(qy - pts[2 * k + 1]);
                const double a = dx * dx, b = dy * dy;
                out[k] = std::sqrt(a + b);
            }
            return;
        default:
            for (index_t k = 0; k < count; ++k) out[k] = pair(q, pts + 2 * k);
        }
    }
    // The distance from (birth, death) to the diagonal: |death - birth| 2^{1/r - 1}.
    double diag(const double* a) const { return std::abs(a[1] - a[0]) * diag_; }
    // Bounds on the cost of any offsets >= (dx, dy), resp. <= (dx, dy), componentwise.
    double lower(double dx, double dy) const { return kind_ == kind::general ? of(dx, dy) * (1 - slack) : of(dx, dy); }
    double upper(double dx, double dy) const { return kind_ == kind::general ? of(dx, dy) * (1 + slack) : of(dx, dy); }

    static constexpr double slack = 1e-12;

  private:
    enum class kind { inf, one, two, general };
    double r_;
    kind kind_ = kind::inf;
    double diag_ = 0.5, inv_r_ = 0;
};

class kd_tree {
  public:
    // Builds the tree over the points ids[0..count) of xy (point k at xy[2k], xy[2k + 1]), with
    // at most `leaf` points per leaf; where[id] receives the slot of each of these points. All
    // points start live.
    void build(const double* xy, const index_t* ids, index_t count, index_t* where, index_t leaf = 8) {
        leaf_size_ = std::max<index_t>(1, leaf);
        pts_.resize(static_cast<std::size_t>(2 * count));
        id_.assign(ids, ids + count);
        live_.assign(static_cast<std::size_t>(count), 1);
        nodes_.clear();
        if (count == 0) return;
        // Sort ids by the split coordinate in place; slots are positions in id_.
        build_node(xy, 0, count);
        for (index_t s = 0; s < count; ++s) {
            const index_t k = id_[s];
            pts_[2 * s] = xy[2 * k];
            pts_[2 * s + 1] = xy[2 * k + 1];
            where[k] = s;
        }
        full_.resize(nodes_.size());
        for (std::size_t v = 0; v < nodes_.size(); ++v) full_[v] = nodes_[v].live;
    }

    index_t size() const { return static_cast<index_t>(id_.size()); }
    // Renames every point by its slot (id(slot) == slot from then on); returns the former ids by
    // slot, so that a caller can store its per-point data in tree order.
    std::vector<index_t> relabel() {
        std::vector<index_t> old(id_);
        for (std::size_t s = 0; s < id_.size(); ++s) id_[s] = static_cast<index_t>(s);
        return old;
    }
    index_t id(index_t slot) const { return id_[slot]; }
    bool alive(index_t slot) const { return live_[slot] != 0; }
    index_t live() const { return nodes_.empty() ? 0 : nodes_[0].live; }

    void erase(index_t slot) {
        if (!live_[slot]) return;
        live_[slot] = 0;
        std::size_t v = 0;
        for (;;) {
            --nodes_[v].live;
            if (nodes_[v].right == 0) return;
            v = slot < nodes_[v + 1].end ? v + 1 : static_cast<std::size_t>(nodes_[v].right);
        }
    }

    // Makes every point live again.
    void revive_all() {
        std::fill(live_.begin(), live_.end(), 1);
        for (std::size_t v = 0; v < nodes_.size(); ++v) nodes_[v].live = full_[v];
    }

    // Calls fn(slot, cost) for the live points with cost <= t, in tree order, until fn returns
    // true (then returns true). fn may erase the slot it is given.
    template <class Fn>
    bool report(const double* q, double t, const ground_metric& g, Fn&& fn) const {
        return nodes_.empty() ? false : report_node(0, q, t, g, fn);
    }

    // The live point nearest to q (ties: the first met) as (slot, cost); (-1, inf) if none.
    std::pair<index_t, double> nearest(const double* q, const ground_metric& g) const {
        std::pair<index_t, double> best{-1, std::numeric_limits<double>::infinity()};
        if (!nodes_.empty()) nearest_node(0, q, g, best);
        return best;
    }

    // Appends to out the costs c of the live points with lo < c <= hi; stops and returns false
    // once out holds more than cap values.
    bool collect_between(const double* q, double lo, double hi, const ground_metric& g, std::vector<double>& out,
                         std::size_t cap) const {
        return nodes_.empty() ? true : between_node(0, q, lo, hi, g, out, cap);
    }

    // Weights for best-first searches of cost(q, point)^p - weight: w_by_id[id] is a weight per
    // point (all points count as live); call set_weights once, then update_weight(slot, old) after
    // the weight of the point in that slot changes from `old`.
    void set_weights(const double* w_by_id) {
        w_ = w_by_id;
        wmax_.assign(nodes_.size(), -std::numeric_limits<double>::infinity());
        parent_.assign(nodes_.size(), 0);
        leaf_of_.assign(id_.size(), 0);
        if (!nodes_.empty()) weights_node(0);
    }
    void update_weight(index_t slot, double old) {
        std::size_t v = leaf_of_[slot];
        const double now = w_[id_[slot]];
        // A weight that rises raises the maxima on the way up; one that falls changes nothing
        // unless it was its leaf's maximum.
        if (now >= old) {
            for (;;) {
                if (now <= wmax_[v]) return;
                wmax_[v] = now;
                if (v == 0) return;
                v = parent_[v];
            }
        }
        if (old < wmax_[v]) return;
        const node& leaf = nodes_[v];
        double m = -std::numeric_limits<double>::infinity();
        for (index_t s = leaf.begin; s < leaf.end; ++s) m = std::max(m, w_[id_[s]]);
        for (;;) {
            if (m == wmax_[v]) return;  // nothing changes above
            wmax_[v] = m;
            if (v == 0) return;
            v = parent_[v];
            m = std::max(wmax_[v + 1], wmax_[static_cast<std::size_t>(nodes_[v].right)]);
        }
    }

    // The node structure, for best-first searches driven by the caller. Node 0 is the root.
    bool is_leaf(std::size_t v) const { return nodes_[v].right == 0; }
    std::size_t left(std::size_t v) const { return v + 1; }
    std::size_t right(std::size_t v) const { return static_cast<std::size_t>(nodes_[v].right); }
    index_t slot_begin(std::size_t v) const { return nodes_[v].begin; }
    index_t slot_end(std::size_t v) const { return nodes_[v].end; }
    double max_weight(std::size_t v) const { return wmax_[v]; }
    // A lower bound on the cost from q to every point below v.
    double lower(std::size_t v, const double* q, const ground_metric& g) const { return lower_of(nodes_[v], q, g); }
    bool empty() const { return nodes_.empty(); }

  private:
    struct node {
        double x0, x1, y0, y1;  // bounding box of the points below
        index_t begin, end;     // slots
        index_t right;          // right child (the left one follows the node); 0 for a leaf
        index_t live;
    };

    void build_node(const double* xy, index_t b, index_t e) {
        const std::size_t v = nodes_.size();
        node nd{xy[2 * id_[b]], xy[2 * id_[b]], xy[2 * id_[b] + 1], xy[2 * id_[b] + 1], b, e, 0, e - b};
        for (index_t s = b + 1; s < e; ++s) {
            const double px = xy[2 * id_[s]], py = xy[2 * id_[s] + 1];
            nd.x0 = std::min(nd.x0, px);
            nd.x1 = std::max(nd.x1, px);
            nd.y0 = std::min(nd.y0, py);
            nd.y1 = std::max(nd.y1, py);
        }
        nodes_.push_back(nd);
        if (e - b <= leaf_size_) return;
        const int axis = nd.x1 - nd.x0 >= nd.y1 - nd.y0 ? 0 : 1;
        const index_t mid = b + (e - b) / 2;
        std::nth_element(id_.begin() + b, id_.begin() + mid, id_.begin() + e, [&](index_t u, index_t w) {
            const double cu = xy[2 * u + axis], cw = xy[2 * w + axis];
            return cu < cw || (cu == cw && u < w);
        });
        build_node(xy, b, mid);
        nodes_[v].right = static_cast<index_t>(nodes_.size());
        build_node(xy, mid, e);
    }

    // Offsets from q to the nearest and the farthest point of a node's box, rounded as the
    // offsets to the points themselves are (rounding is monotone), so cost bounds hold exactly.
    static double gap(double q, double lo, double hi) { return q < lo ? lo - q : q > hi ? q - hi : 0.0; }
    static double far(double q, double lo, double hi) { return std::max(std::abs(q - lo), std::abs(q - hi)); }
    double lower_of(const node& nd, const double* q, const ground_metric& g) const {
        return g.lower(gap(q[0], nd.x0, nd.x1), gap(q[1], nd.y0, nd.y1));
    }
    double cost_at(index_t s, const double* q, const ground_metric& g) const {
        return g.of(std::abs(q[0] - pts_[2 * s]), std::abs(q[1] - pts_[2 * s + 1]));
    }

    template <class Fn>
    bool report_node(std::size_t v, const double* q, double t, const ground_metric& g, Fn& fn) const {
        const node& nd = nodes_[v];
        if (nd.live == 0 || lower_of(nd, q, g) > t) return false;
        if (nd.right == 0) {
            for (index_t s = nd.begin; s < nd.end; ++s) {
                if (!live_[s]) continue;
                const double c = cost_at(s, q, g);
                if (c <= t && fn(s, c)) return true;
            }
            return false;
        }
        return report_node(v + 1, q, t, g, fn) || report_node(static_cast<std::size_t>(nd.right), q, t, g, fn);
    }

    void nearest_node(std::size_t v, const double* q, const ground_metric& g, std::pair<index_t, double>& best) const {
        const node& nd = nodes_[v];
        if (nd.live == 0 || lower_of(nd, q, g) >= best.second) return;
        if (nd.right == 0) {
            for (index_t s = nd.begin; s < nd.end; ++s) {
                if (!live_[s]) continue;
                const double c = cost_at(s, q, g);
                if (c < best.second) best = {s, c};
            }
            return;
        }
        const std::size_t a = v + 1, b = static_cast<std::size_t>(nd.right);
        const bool left_first = lower_of(nodes_[a], q, g) <= lower_of(nodes_[b], q, g);
        nearest_node(left_first ? a : b, q, g, best);
        nearest_node(left_first ? b : a, q, g, best);
    }

    bool between_node(std::size_t v, const double* q, double lo, double hi, const ground_metric& g,
                      std::vector<double>& out, std::size_t cap) const {
        const node& nd = nodes_[v];
        if (nd.live == 0 || lower_of(nd, q, g) > hi) return true;
        if (g.upper(far(q[0], nd.x0, nd.x1), far(q[1], nd.y0, nd.y1)) <= lo) return true;
        if (nd.right == 0) {
            for (index_t s = nd.begin; s < nd.end; ++s) {
                if (!live_[s]) continue;
                const double c = cost_at(s, q, g);
                if (c > lo && c <= hi) {
                    out.push_back(c);
                    if (out.size() > cap) return false;
                }
            }
            return true;
        }
        return between_node(v + 1, q, lo, hi, g, out, cap) &&
               between_node(static_cast<std::size_t>(nd.right), q, lo, hi, g, out, cap);
    }

    double weights_node(std::size_t v) {
        const node& nd = nodes_[v];
        double m = -std::numeric_limits<double>::infinity();
        if (nd.right == 0) {
            for (index_t s = nd.begin; s < nd.end; ++s) {
                m = std::max(m, w_[id_[s]]);
                leaf_of_[s] = v;
            }
        } else {
            const std::size_t r = static_cast<std::size_t>(nd.right);
            parent_[v + 1] = parent_[r] = v;
            m = std::max(weights_node(v + 1), weights_node(r));
        }
        wmax_[v] = m;
        return m;
    }

    index_t leaf_size_ = 8;
    std::vector<node> nodes_;
    std::vector<index_t> full_;  // live counts with every point live
    std::vector<double> pts_;    // coordinates by slot
    std::vector<index_t> id_;    // point id by slot
    std::vector<char> live_;     // by slot
    std::vector<double> wmax_;   // largest weight below each node
    const double* w_ = nullptr;
    std::vector<std::size_t> parent_, leaf_of_;  // for update_weight
};

}  // namespace topolayer
