// An exact optimal W_p matching between the finite points of two persistence diagrams, in
// O(n + m) memory. Min-cost flow on the usual reduction, the diagonal copies merged into two hubs
// (D feeds the y_j sent to the diagonal, E takes the x_i sent there, D -> E carries the rest), by
// successive shortest paths (Dijkstra on reduced costs; Ahuja, Magnanti, Orlin 1993, ch. 9) over the
// complete graph, never stored: a settled x_i meets the y_j best-first through a k-d tree whose
// nodes bound cost^p - potential from below (as Kerber, Morozov, Nigmetov 2017 bid), and the hubs'
// edges come from sets sorted by reduced cost. Potentials stay feasible on every edge, which
// certifies optimality up to the rounding of the costs; n searches, each touching what it settles.
#pragma once

#include <algorithm>
#include <cmath>
#include <limits>
#include <set>
#include <stdexcept>
#include <utility>
#include <vector>

#include "assignment.hpp"
#include "kd_tree.hpp"
#include "types.hpp"

namespace topolayer {

struct wasserstein_plan {
    std::vector<index_t> pairs;   // (i, j) row-major: x_i matched with y_j
    std::vector<index_t> diag_x;  // x_i sent to the diagonal
    std::vector<index_t> diag_y;  // y_j sent to the diagonal
};

namespace detail {

class wasserstein_solver {
  public:
    wasserstein_solver(const double* x, index_t n, const double* y, index_t m, double p, double r)
        : x_(x), y_(y), n_(n), m_(m), D_(n + m), E_(n + m + 1), p_(p), g_(r) {
        if (!(p >= 1) || std::isinf(p)) throw std::invalid_argument("p must be finite and >= 1");
        wx_.resize(static_cast<std::size_t>(n));
        for (index_t i = 0; i < n; ++i) wx_[i] = pw(g_.diag(x + 2 * i));
        std::vector<index_t> ids(static_cast<std::size_t>(std::max(n, m)));
        for (index_t k = 0; k < std::max(n, m); ++k) ids[k] = k;
        std::vector<index_t> where(static_cast<std::size_t>(std::max(n, m)));
        // y is renumbered in tree order: a leaf's points are then contiguous in every array that
        // the searches read. Big leaves: near x the bounds prune little, and scanning is cheap.
        ytree_.build(y, ids.data(), m, where.data(), 64);
        y_order_ = ytree_.relabel();
        y_sorted_.resize(static_cast<std::size_t>(2 * m));
        wy_.resize(static_cast<std::size_t>(m));
        for (index_t j = 0; j < m; ++j) {
            y_sorted_[2 * j] = y[2 * y_order_[j]];
            y_sorted_[2 * j + 1] = y[2 * y_order_[j] + 1];
            wy_[j] = pw(g_.diag(y + 2 * y_order_[j]));
        }
        y_ = y_sorted_.data();
        xtree_.build(x, ids.data(), n, where.data());
    }

    void solve() {
        const index_t V = n_ + m_ + 2;
        pi_.assign(static_cast<std::size_t>(V), 0.0);
        out_.assign(static_cast<std::size_t>(n_), none);
        in_.assign(static_cast<std::size_t>(m_), none);
        key_d_.assign(static_cast<std::size_t>(m_), 0.0);
        key_e_.assign(static_cast<std::size_t>(n_), 0.0);
        dist_.assign(static_cast<std::size_t>(V), 0.0);
        pred_.assign(static_cast<std::size_t>(V), -1);
        seen_.assign(static_cast<std::size_t>(V), 0);
        done_.assign(static_cast<std::size_t>(V), 0);
        // Feasible potentials: pi_x = pi_D = pi_E = 0 and pi_y = the cheapest way into y (its
        // nearest x or the diagonal); their tight edges taken greedily.
        std::vector<index_t> best(static_cast<std::size_t>(m_), diag);
        for (index_t j = 0; j < m_; ++j) {
            pi_[n_ + j] = wy_[j];
            const auto nn = xtree_.nearest(y_ + 2 * j, g_);
            if (nn.first >= 0 && pw(nn.second) < wy_[j]) {
                pi_[n_ + j] = pw(nn.second);
                best[j] = xtree_.id(nn.first);
            }
        }
        for (index_t j = 0; j < m_; ++j) gen_d_.insert({key_d_[j] = wy_[j] - pi_[n_ + j], j});
        for (index_t j = 0; j < m_; ++j) {
            if (best[j] == diag) {
                set_in(j, diag);
            } else if (out_[best[j]] == none) {
                set_out(best[j], j);
                set_in(j, best[j]);
            }
        }
        f_de_ = std::min(m_ - from_diag_, n_ - to_diag_);
        ytree_.set_weights(pi_.data() + n_);
        for (index_t i = 0; i < n_; ++i)
            if (out_[i] == none) shortest_path_from(i);
        while (supply_d() > 0) shortest_path_from(D_);
    }

    // The matching, in the caller's indices: pairs by increasing i, diag_x and diag_y sorted.
    wasserstein_plan plan() const {
        wasserstein_plan out;
        for (index_t i = 0; i < n_; ++i) {
            if (out_[i] >= 0) {
                out.pairs.push_back(i);
                out.pairs.push_back(y_order_[out_[i]]);
            } else {
                out.diag_x.push_back(i);
            }
        }
        for (index_t j = 0; j < m_; ++j)
            if (in_[j] == diag) out.diag_y.push_back(y_order_[j]);
        std::sort(out.diag_y.begin(), out.diag_y.end());
        return out;
    }

  private:
    static constexpr index_t none = -1, diag = -2;

    double pw(double c) const { return p_ == 1 ? c : p_ == 2 ? c * c : std::pow(c, p_); }
    double w(index_t i, index_t j) const { return pw(g_.pair(x_ + 2 * i, y_ + 2 * j)); }

    // Flow bookkeeping; gen_d_ holds the y_j not fed by D (D -> y_j has room), keyed by
    // wy_j - pi(y_j); gen_e_ the x_i sent to E (E -> x_i is residual), keyed by -wx_i - pi(x_i).
    void set_in(index_t j, index_t v) {
        const index_t old = in_[j];
        if (old == v) return;
        if (old == diag) {
            --from_diag_;
            gen_d_.insert({key_d_[j] = wy_[j] - pi_[n_ + j], j});
        }
        if (v == diag) {
            ++from_diag_;
            gen_d_.erase({key_d_[j], j});
        }
        in_[j] = v;
    }
    void set_out(index_t i, index_t v) {
        const index_t old = out_[i];
        if (old == v) return;
        if (old == diag) {
            --to_diag_;
            gen_e_.erase({key_e_[i], i});
        }
        if (v == diag) {
            ++to_diag_;
            gen_e_.insert({key_e_[i] = -wx_[i] - pi_[i], i});
        }
        out_[i] = v;
    }
    void set_pi(index_t v, double value) {
        const double old = pi_[v];
        if (v < n_ && out_[v] == diag) {
            gen_e_.erase({key_e_[v], v});
            pi_[v] = value;
            gen_e_.insert({key_e_[v] = -wx_[v] - value, v});
        } else if (v >= n_ && v < n_ + m_ && in_[v - n_] != diag) {
            const index_t j = v - n_;
            gen_d_.erase({key_d_[j], j});
            pi_[v] = value;
            gen_d_.insert({key_d_[j] = wy_[j] - value, j});
        } else {
            pi_[v] = value;
        }
        if (v >= n_ && v < n_ + m_) ytree_.update_weight(v - n_, old);
    }

    index_t supply_d() const { return m_ - from_diag_ - f_de_; }
    index_t demand_e() const { return n_ - to_diag_ - f_de_; }
    bool is_sink(index_t v) const { return (v >= n_ && v < n_ + m_) ? in_[v - n_] == none : v == E_ && demand_e() > 0; }

    struct entry {
        double d;
        index_t v;  // a node (t < 0); x_v's tree search number t (t >= 0); -1 / -2: hub D / E
        index_t t;
        bool operator<(const entry& o) const { return d > o.d || (d == o.d && (v > o.v || (v == o.v && t > o.t))); }
    };
    using frontier = std::vector<std::pair<double, std::size_t>>;  // a min-heap of (key, tree node)

    // A lower bound on the reduced cost of x_i -> y_j over the y_j below tree node t.
    double tree_bound(index_t i, std::size_t t) const {
        return pi_[i] + pw(ytree_.lower(t, x_ + 2 * i, g_)) * (1 - ground_metric::slack) - ytree_.max_weight(t);
    }

    // Dijkstra from source s on reduced costs (clamped at 0 against rounding) to the nearest
    // sink; then the potentials of the settled nodes drop by (sink distance - their distance),
    // which keeps every residual reduced cost >= 0 and makes the path tight, and the path is
    // augmented by one unit. A settled x_i meets the y_j through a best-first search of the
    // tree whose frontier is its own small heap, represented in the main heap by its least key
    // (a merge of sorted streams: far fewer operations on the large heap). Nothing keyed above
    // the best sink distance seen so far (ub) is ever needed, so it is not stored.
    void shortest_path_from(index_t s) {
        ++stamp_;
        heap_.clear();
        settled_.clear();
        std::size_t n_searches = 0;
        double ub = std::numeric_limits<double>::infinity();
        std::set<std::pair<double, index_t>>::const_iterator it_d, it_e;
        auto push = [&](const entry& e) {
            heap_.push_back(e);
            std::push_heap(heap_.begin(), heap_.end());
        };
        // cur: the key being processed, a lower bound on every key still to come; a sink reached
        // at cur is therefore nearest, and the search stops at once (plateaus of equal
        // distances, as repeated points make, are then not swept).
        double cur = 0;
        index_t sink = -1;
        double dstar = 0;
        auto relax = [&](index_t u, double d, index_t from) {
            if (sink >= 0 || done_[u] == stamp_ || d > ub) return;
            if (seen_[u] != stamp_ || d < dist_[u]) {
                seen_[u] = stamp_;
                dist_[u] = d;
                pred_[u] = from;
                if (is_sink(u)) {
                    ub = d;
                    if (d <= cur) {
                        sink = u;
                        dstar = d;
                        return;
                    }
                }
                push({d, u, -1});
            }
        };
        auto rc = [](double v) { return v > 0 ? v : 0.0; };
        auto by_key = [](const std::pair<double, std::size_t>& a, const std::pair<double, std::size_t>& b) {
            return a.first > b.first || (a.first == b.first && a.second > b.second);
        };
        // Expands x_i's frontier while its least key is at most the main heap's.
        auto search = [&](index_t i, frontier& f) {
            const double di = dist_[i], pii = pi_[i];
            while (!f.empty() && sink < 0) {
                const auto top = f.front();
                if (top.first > ub) {
                    f.clear();
                    return;
                }
                if (!heap_.empty() && top.first > heap_.front().d) return;
                std::pop_heap(f.begin(), f.end(), by_key);
                f.pop_back();
                cur = top.first;
                const std::size_t t = top.second;
                if (ytree_.is_leaf(t)) {
                    const index_t b = ytree_.slot_begin(t), count = ytree_.slot_end(t) - b;
                    leaf_.resize(static_cast<std::size_t>(count));
                    g_.pairs(x_ + 2 * i, y_ + 2 * b, count, leaf_.data());
                    if (p_ == 2) {
                        for (double& c : leaf_) c = c * c;
                    } else if (p_ != 1) {
                        for (double& c : leaf_) c = std::pow(c, p_);
                    }
                    const double* py = pi_.data() + n_ + b;
                    for (index_t k = 0; k < count; ++k) {
                        const double key = di + rc(leaf_[k] + pii - py[k]);
                        if (key <= ub && b + k != out_[i]) relax(n_ + b + k, key, i);
                    }
                } else {
                    for (std::size_t c : {ytree_.left(t), ytree_.right(t)}) {
                        const double key = di + rc(tree_bound(i, c));
                        if (key > ub) continue;
                        f.push_back({key, c});
                        std::push_heap(f.begin(), f.end(), by_key);
                    }
                }
            }
        };
        relax(s, 0, -1);
        while (!heap_.empty() && sink < 0) {
            std::pop_heap(heap_.begin(), heap_.end());
            const entry e = heap_.back();
            heap_.pop_back();
            cur = e.d;
            if (e.v < 0) {  // the next edge out of a hub, in increasing reduced cost
                const bool is_d = e.v == -1;
                auto& it = is_d ? it_d : it_e;
                const index_t u = it->second;
                ++it;
                const auto& gen = is_d ? gen_d_ : gen_e_;
                const index_t hub = is_d ? D_ : E_;
                relax(is_d ? n_ + u : u, e.d, hub);
                if (it != gen.end()) {
                    const double key = dist_[hub] + rc(pi_[hub] + it->first);
                    if (key <= ub) push({key, e.v, -1});
                }
                continue;
            }
            if (e.t >= 0) {
                frontier& f = frontiers_[static_cast<std::size_t>(e.t)];
                search(e.v, f);
                if (!f.empty()) push({f.front().first, e.v, e.t});
                continue;
            }
            const index_t v = e.v;
            if (done_[v] == stamp_ || e.d > dist_[v]) continue;
            done_[v] = stamp_;
            settled_.push_back(v);
            if (is_sink(v)) {
                sink = v;
                dstar = e.d;
                break;
            }
            const double d = e.d;
            if (v < n_) {
                const index_t i = v;
                if (out_[i] != diag) relax(E_, d + rc(wx_[i] + pi_[i] - pi_[E_]), i);
                const double key = ytree_.empty() ? ub : d + rc(tree_bound(i, 0));
                if (!ytree_.empty() && key <= ub) {
                    if (frontiers_.size() <= n_searches) frontiers_.resize(n_searches + 1);
                    frontier& f = frontiers_[n_searches];
                    f.assign(1, {key, 0});
                    push({key, i, static_cast<index_t>(n_searches++)});
                }
            } else if (v < n_ + m_) {
                const index_t j = v - n_, src = in_[j];
                if (src >= 0) {
                    relax(src, d + rc(pi_[v] - pi_[src] - w(src, j)), v);
                } else {
                    relax(D_, d + rc(pi_[v] - pi_[D_] - wy_[j]), v);
                }
            } else if (v == D_) {
                relax(E_, d + rc(pi_[D_] - pi_[E_]), D_);
                it_d = gen_d_.begin();
                if (it_d != gen_d_.end()) push({d + rc(pi_[D_] + it_d->first), -1, -1});
            } else {
                if (f_de_ > 0) relax(D_, d + rc(pi_[E_] - pi_[D_]), E_);
                it_e = gen_e_.begin();
                if (it_e != gen_e_.end()) push({d + rc(pi_[E_] + it_e->first), -2, -1});
            }
        }
        if (sink < 0) throw std::logic_error("wasserstein_matching: no augmenting path (internal error)");
        for (index_t v : settled_) set_pi(v, pi_[v] + dist_[v] - dstar);
        path_.clear();
        for (index_t v = sink; v != -1; v = pred_[v]) path_.push_back(v);
        std::reverse(path_.begin(), path_.end());
        for (std::size_t t = 0; t + 1 < path_.size(); ++t) {
            const index_t u = path_[t], v = path_[t + 1];
            if (u < n_) {  // x_i -> y_j or x_i -> E
                if (v < n_ + m_) {
                    set_out(u, v - n_);
                    set_in(v - n_, u);
                } else {
                    set_out(u, diag);
                }
            } else if (u == D_) {
                if (v == E_) {
                    ++f_de_;
                } else {
                    set_in(v - n_, diag);
                }
            } else if (u == E_ && v == D_) {
                --f_de_;
            }
            // y_j -> x or y_j -> D, E -> x_k: undoing a unit whose new owner the next edge sets.
        }
    }

    const double* x_;
    const double* y_;
    index_t n_, m_, D_, E_;
    double p_;
    ground_metric g_;
    std::vector<double> wx_, wy_;
    kd_tree ytree_, xtree_;         // ytree_ weighs y_j by its potential; its slots are y's indices
    std::vector<index_t> y_order_;  // the caller's index of each y_j
    std::vector<double> y_sorted_;
    std::vector<index_t> out_, in_;  // where x_i goes (y index, diag or none), where y_j comes from
    index_t to_diag_ = 0, from_diag_ = 0, f_de_ = 0;
    std::vector<double> pi_;
    std::set<std::pair<double, index_t>> gen_d_, gen_e_;
    std::vector<double> key_d_, key_e_;
    std::vector<double> dist_;
    std::vector<index_t> pred_, settled_, path_;
    std::vector<unsigned> seen_, done_;
    unsigned stamp_ = 0;
    std::vector<entry> heap_;  // a max-heap under entry::operator< (least distance first)
    std::vector<frontier> frontiers_;
    std::vector<double> leaf_;  // costs^p from one x to the points of one leaf
};

// Whether the smaller diagram is small enough for lopsided_plan: s (n + m) entries of at most
// 32 MiB, and s at most a quarter of all points or both diagrams small.
inline bool lopsided(index_t n, index_t m) {
    const index_t s = std::min(n, m), total = n + m;
    return s == 0 || (s * total <= (index_t{1} << 22) && (4 * s <= total || total <= 128));
}

// Whether the n points of x (row-major pairs) are all the same point (true for n <= 1).
inline bool alike(const double* x, index_t n) {
    for (index_t a = 1; a < n; ++a)
        if (x[2 * a] != x[0] || x[2 * a + 1] != x[1]) return false;
    return true;
}

// The optimal matching from an s x (l + s) assignment, s = min(n, m) points of the smaller
// diagram against the l of the larger: pairing a and b costs c(a, b) - c(a, diag) - c(b, diag)
// (the gain over sending both to the diagonal), and each small point may take its own diagonal
// copy at 0; every large point left over goes to the diagonal. A large point whose pairs all
// cost at least 0 is never needed and its column is dropped. When one diagram's points are all
// alike (a binary target's bars, of any number), that diagram plays the small one and the
// min(n, m) cheapest gains below 0 are the assignment, whatever the sizes.
inline wasserstein_plan lopsided_plan(const double* x, index_t n, const double* y, index_t m, double p, double r) {
    const ground_metric g(r);
    const auto pw = [p](double c) { return p == 1 ? c : p == 2 ? c * c : std::pow(c, p); };
    const bool x_alike = alike(x, n), y_alike = alike(y, m);
    const bool swap = x_alike != y_alike ? y_alike : n > m;
    const double *small = swap ? y : x, *large = swap ? x : y;
    const index_t s = swap ? m : n, l = swap ? n : m;
    std::vector<double> d_large(static_cast<std::size_t>(l));
    for (index_t j = 0; j < l; ++j) d_large[j] = pw(g.diag(large + 2 * j));
    std::vector<index_t> pair_small, pair_large;  // the matched pairs, by small point
    if (s > 0 && l > 0 && (swap ? y_alike : x_alike)) {
        const double d0 = pw(g.diag(small));
        std::vector<double> gain(static_cast<std::size_t>(l));
        for (index_t j = 0; j < l; ++j) gain[j] = pw(g.pair(small, large + 2 * j)) - d0 - d_large[j];
        std::vector<index_t> order;
        for (index_t j = 0; j < l; ++j)
            if (gain[j] < 0) order.push_back(j);
        const auto k = std::min(s, static_cast<index_t>(order.size()));
        const auto cheaper = [&](index_t a, index_t b) { return gain[a] < gain[b]; };
        std::partial_sort(order.begin(), order.begin() + k, order.end(), [&](index_t a, index_t b) {
            return cheaper(a, b) || (!cheaper(b, a) && a < b);  // ties by index, as a stable sort
        });
        for (index_t a = 0; a < k; ++a) {
            pair_small.push_back(a);
            pair_large.push_back(order[a]);
        }
    } else if (s > 0) {
        std::vector<double> d_small(static_cast<std::size_t>(s)), gain(static_cast<std::size_t>(s * l));
        for (index_t a = 0; a < s; ++a) d_small[a] = pw(g.diag(small + 2 * a));
        std::vector<char> useful(static_cast<std::size_t>(l), 0);
        for (index_t a = 0; a < s; ++a) {
            double* row = gain.data() + a * l;
            g.pairs(small + 2 * a, large, l, row);
            for (index_t j = 0; j < l; ++j) {
                row[j] = pw(row[j]) - d_small[a] - d_large[j];
                useful[j] |= static_cast<char>(row[j] < 0);
            }
        }
        std::vector<index_t> cols;
        for (index_t j = 0; j < l; ++j)
            if (useful[j]) cols.push_back(j);
        const auto k = static_cast<index_t>(cols.size()), w = k + s;
        std::vector<double> cost(static_cast<std::size_t>(s * w), std::numeric_limits<double>::infinity());
        for (index_t a = 0; a < s; ++a) {
            for (index_t c = 0; c < k; ++c) cost[a * w + c] = gain[a * l + cols[c]];
            cost[a * w + k + a] = 0.0;
        }
        const auto col_of = rectangular_assignment(cost.data(), s, w);
        for (index_t a = 0; a < s; ++a) {
            if (col_of[a] >= k) continue;
            pair_small.push_back(a);
            pair_large.push_back(cols[col_of[a]]);
        }
    }
    wasserstein_plan plan;
    std::vector<char> small_paired(static_cast<std::size_t>(s), 0);
    std::vector<index_t> partner(static_cast<std::size_t>(l), -1);  // of each large point
    for (std::size_t t = 0; t < pair_small.size(); ++t) {
        small_paired[pair_small[t]] = 1;
        partner[pair_large[t]] = pair_small[t];
    }
    if (swap) {  // pairs in the order of x, as the flow gives them
        for (index_t b = 0; b < l; ++b)
            if (partner[b] >= 0) plan.pairs.insert(plan.pairs.end(), {b, partner[b]});
    } else {
        for (std::size_t t = 0; t < pair_small.size(); ++t)
            plan.pairs.insert(plan.pairs.end(), {pair_small[t], pair_large[t]});
    }
    auto& diag_small = swap ? plan.diag_y : plan.diag_x;
    auto& diag_large = swap ? plan.diag_x : plan.diag_y;
    for (index_t a = 0; a < s; ++a)
        if (!small_paired[a]) diag_small.push_back(a);
    for (index_t b = 0; b < l; ++b)
        if (partner[b] < 0) diag_large.push_back(b);
    return plan;
}

}  // namespace detail

// An optimal matching for W_p (p >= 1) between the finite points x (n, 2) and y (m, 2), row-major
// (birth, death), under the L_r ground metric (r >= 1 or inf). A diagram much smaller than the
// other (a target's few bars against a prediction's many), or two small ones, are matched by a
// dense assignment, a diagram of one repeated point by a sort; others by the min-cost flow.
inline wasserstein_plan wasserstein_matching(const double* x, index_t n, const double* y, index_t m, double p,
                                             double r) {
    if (n < 0 || m < 0) throw std::invalid_argument("wasserstein_matching: negative point count");
    check_finite(x, 2 * n, "x");
    check_finite(y, 2 * m, "y");
    if (!(p >= 1) || std::isinf(p)) throw std::invalid_argument("p must be finite and >= 1");
    if (detail::lopsided(n, m) || detail::alike(x, n) || detail::alike(y, m))
        return detail::lopsided_plan(x, n, y, m, p, r);
    detail::wasserstein_solver solver(x, n, y, m, p, r);
    solver.solve();
    return solver.plan();
}

}  // namespace topolayer
