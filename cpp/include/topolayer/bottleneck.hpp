// The bottleneck distance between the finite points of two persistence diagrams, and one edge
// realising it (Efrat, Itai, Katz 2001; Kerber, Morozov, Nigmetov 2017): the least cost t at which
// A = X + proj(Y), B = Y + proj(X) (x_i–y_j, x_i–proj(x_i), proj(y_j)–y_j, proj–proj at 0; edges of
// cost <= t) has a perfect matching. Each decision is Hopcroft–Karp with neighbour queries to k-d
// trees with deletion (O(n^1.5 log n)), started from the largest matching already known. The
// search bisects on t until few candidate costs remain in its bracket, then searches those: the
// answer is a computed cost, realised by the returned edge.
#pragma once

#include <algorithm>
#include <limits>
#include <utility>
#include <vector>

#include "kd_tree.hpp"
#include "types.hpp"

namespace topolayer {

struct bottleneck_edge {
    enum kind_t : int { none = 0, pair = 1, x_diagonal = 2, y_diagonal = 3 };
    int kind = none;  // pair: x_i with y_j; x_diagonal: x_i with the diagonal; y_diagonal: y_j
    index_t i = -1, j = -1;
    double cost = 0;
};

namespace detail {

// A matching of A (x_0..x_{n-1}, then proj(y_0)..) with B (y_0..y_{m-1}, then proj(x_0)..).
struct bipartite_matching {
    std::vector<index_t> a, b;  // partner of each vertex, -1 if free
    index_t size = 0;
    void reset(index_t n) {
        a.assign(static_cast<std::size_t>(n), -1);
        b.assign(static_cast<std::size_t>(n), -1);
        size = 0;
    }
    void link(index_t u, index_t v) {
        if (a[u] < 0) ++size;
        a[u] = v;
        b[v] = u;
    }
    void unlink(index_t u) {
        if (a[u] < 0) return;
        b[a[u]] = -1;
        a[u] = -1;
        --size;
    }
};

class bottleneck_solver {
  public:
    bottleneck_solver(const double* x, index_t n, const double* y, index_t m, double r)
        : x_(x), y_(y), n_(n), m_(m), g_(r) {
        cx_.resize(static_cast<std::size_t>(n));
        cy_.resize(static_cast<std::size_t>(m));
        for (index_t i = 0; i < n; ++i) cx_[i] = g_.diag(x + 2 * i);
        for (index_t j = 0; j < m; ++j) cy_[j] = g_.diag(y + 2 * j);
        std::vector<index_t> ids(static_cast<std::size_t>(m));
        for (index_t j = 0; j < m; ++j) ids[j] = j;
        where_full_.resize(static_cast<std::size_t>(m));
        where_layer_.resize(static_cast<std::size_t>(m));
        full_.build(y, ids.data(), m, where_full_.data());
    }

    bottleneck_edge solve() {
        const index_t N = n_ + m_;
        bottleneck_edge out;
        if (N == 0) return out;
        // Every point to the diagonal: feasible at the largest diagonal cost.
        bipartite_matching hi_m, lo_m, work;
        hi_m.reset(N);
        lo_m.reset(N);
        double hi = 0;
        for (index_t i = 0; i < n_; ++i) {
            hi_m.link(i, m_ + i);
            hi = std::max(hi, cx_[i]);
        }
        for (index_t j = 0; j < m_; ++j) {
            hi_m.link(n_ + j, j);
            hi = std::max(hi, cy_[j]);
        }
        // A lower bound that is itself a cost: each point must go somewhere.
        double lo = lower_bound();
        if (decide_from(lo, hi_m, lo_m, work)) return best_edge(work);
        std::swap(lo_m, work);
        // Bisect on the value until the bracket (lo, hi] holds few candidate costs.
        const std::size_t cap = static_cast<std::size_t>(std::max<index_t>(64, N));
        std::vector<double> cand;
        for (;;) {
            if (collect(lo, hi, cand, cap)) break;
            const double mid = lo + (hi - lo) / 2;
            if (!(mid > lo && mid < hi)) {  // no double between them: hi is the answer
                cand.assign(1, hi);
                break;
            }
            if (decide_from(mid, hi_m, lo_m, work)) {
                hi = mid;
                std::swap(hi_m, work);
            } else {
                lo = mid;
                std::swap(lo_m, work);
            }
        }
        // The answer is the least feasible candidate; the largest one is feasible (the answer is
        // among them), and hi_m is a matching for it (no cost lies between it and hi).
        if (cand.empty()) cand.assign(1, hi);
        std::sort(cand.begin(), cand.end());
        cand.erase(std::unique(cand.begin(), cand.end()), cand.end());
        std::size_t l = 0, h = cand.size() - 1;
        while (l < h) {
            const std::size_t mid = l + (h - l) / 2;
            if (decide_from(cand[mid], hi_m, lo_m, work)) {
                h = mid;
                std::swap(hi_m, work);
            } else {
                l = mid + 1;
                std::swap(lo_m, work);
            }
        }
        return best_edge(hi_m);
    }

  private:
    double pair_cost(index_t i, index_t j) const { return g_.pair(x_ + 2 * i, y_ + 2 * j); }

    double edge_cost(index_t a, index_t b) const {
        if (a < n_) return b < m_ ? pair_cost(a, b) : cx_[a];
        return b < m_ ? cy_[b] : 0.0;
    }

    double lower_bound() {
        double lb = 0;
        full_.revive_all();
        for (index_t i = 0; i < n_; ++i) lb = std::max(lb, std::min(cx_[i], full_.nearest(x_ + 2 * i, g_).second));
        kd_tree xt;
        std::vector<index_t> ids(static_cast<std::size_t>(n_)), where(static_cast<std::size_t>(n_));
        for (index_t i = 0; i < n_; ++i) ids[i] = i;
        xt.build(x_, ids.data(), n_, where.data());
        for (index_t j = 0; j < m_; ++j) lb = std::max(lb, std::min(cy_[j], xt.nearest(y_ + 2 * j, g_).second));
        return lb;
    }

    // The costs in (lo, hi] into out (with repeats), or false if there are more than cap.
    bool collect(double lo, double hi, std::vector<double>& out, std::size_t cap) {
        out.clear();
        for (index_t i = 0; i < n_; ++i)
            if (cx_[i] > lo && cx_[i] <= hi) out.push_back(cx_[i]);
        for (index_t j = 0; j < m_; ++j)
            if (cy_[j] > lo && cy_[j] <= hi) out.push_back(cy_[j]);
        if (out.size() > cap) return false;
        full_.revive_all();
        for (index_t i = 0; i < n_; ++i)
            if (!full_.collect_between(x_ + 2 * i, lo, hi, g_, out, cap)) return false;
        return true;
    }

    // Whether a perfect matching with costs <= t exists; work receives a maximum one, started
    // from the larger of lo_m (costs <= t already) and hi_m without its edges above t.
    bool decide_from(double t, const bipartite_matching& hi_m, const bipartite_matching& lo_m,
                     bipartite_matching& work) {
        work = hi_m;
        for (index_t a = 0; a < n_ + m_; ++a)
            if (work.a[a] >= 0 && edge_cost(a, work.a[a]) > t) work.unlink(a);
        if (lo_m.size > work.size) work = lo_m;
        return decide(t, work);
    }

    bool decide(double t, bipartite_matching& M) {
        const index_t N = n_ + m_;
        greedy(t, M);
        while (M.size < N) {
            const index_t last = bfs(t, M);
            if (last < 0) return false;
            build_layers(M, last);
            for (index_t a : roots_) augment_from(a, t, M);
        }
        return true;
    }

    void greedy(double t, bipartite_matching& M) {
        full_.revive_all();
        for (index_t j = 0; j < m_; ++j)
            if (M.b[j] >= 0) full_.erase(where_full_[j]);
        for (index_t i = 0; i < n_; ++i) {
            if (M.a[i] >= 0) continue;
            index_t found = -1;
            full_.report(x_ + 2 * i, t, g_, [&](index_t s, double) {
                found = s;
                return true;
            });
            if (found >= 0) {
                full_.erase(found);
                M.link(i, full_.id(found));
            } else if (M.b[m_ + i] < 0 && cx_[i] <= t) {
                M.link(i, m_ + i);
            }
        }
        std::vector<index_t>& free_x = free_diag_;
        free_x.clear();
        for (index_t k = 0; k < n_; ++k)
            if (M.b[m_ + k] < 0) free_x.push_back(m_ + k);
        for (index_t j = 0; j < m_; ++j) {
            const index_t a = n_ + j;
            if (M.a[a] >= 0) continue;
            if (M.b[j] < 0 && cy_[j] <= t) {
                M.link(a, j);
            } else if (!free_x.empty()) {
                M.link(a, free_x.back());
                free_x.pop_back();
            }
        }
    }

    // Hopcroft–Karp's breadth-first search from the free vertices of A. Returns the last layer
    // (odd: a layer of B holding a free vertex), or -1 if no augmenting path exists. Layers of
    // A are even, of B odd; visited_b_ lists B's vertices by layer.
    index_t bfs(double t, const bipartite_matching& M) {
        const index_t N = n_ + m_;
        layer_a_.assign(static_cast<std::size_t>(N), -1);
        layer_b_.assign(static_cast<std::size_t>(N), -1);
        full_.revive_all();
        // proj(x_k) not yet visited, for the complete proj–proj block.
        unvisited_.resize(static_cast<std::size_t>(n_));
        unvisited_pos_.resize(static_cast<std::size_t>(n_));
        for (index_t k = 0; k < n_; ++k) unvisited_[k] = unvisited_pos_[k] = k;
        auto take_unvisited = [&](index_t k) {
            const index_t p = unvisited_pos_[k], last = unvisited_.back();
            unvisited_[p] = last;
            unvisited_pos_[last] = p;
            unvisited_.pop_back();
        };
        roots_.clear();
        for (index_t a = 0; a < N; ++a)
            if (M.a[a] < 0) {
                layer_a_[a] = 0;
                roots_.push_back(a);
            }
        visited_b_.clear();
        std::vector<index_t>& cur = queue_a_;
        std::vector<index_t>& next = next_a_;
        cur = roots_;
        for (index_t L = 0; !cur.empty(); L += 2) {
            const std::size_t first = visited_b_.size();
            bool found = false;
            auto visit = [&](index_t b) {
                layer_b_[b] = L + 1;
                visited_b_.push_back(b);
                if (M.b[b] < 0) found = true;
            };
            for (index_t a : cur) {
                if (a < n_) {
                    full_.report(x_ + 2 * a, t, g_, [&](index_t s, double) {
                        full_.erase(s);
                        visit(full_.id(s));
                        return false;
                    });
                    if (layer_b_[m_ + a] < 0 && cx_[a] <= t) {
                        take_unvisited(a);
                        visit(m_ + a);
                    }
                } else {
                    const index_t j = a - n_;
                    if (layer_b_[j] < 0 && cy_[j] <= t) {
                        full_.erase(where_full_[j]);
                        visit(j);
                    }
                    for (index_t k : unvisited_) visit(m_ + k);
                    unvisited_.clear();
                }
            }
            if (found) return L + 1;
            next.clear();
            for (std::size_t s = first; s < visited_b_.size(); ++s) {
                const index_t a = M.b[visited_b_[s]];
                layer_a_[a] = L + 2;
                next.push_back(a);
            }
            std::swap(cur, next);
        }
        return -1;
    }

    // Per layer of B: a k-d tree of its y points and a list of its proj(x) points; the last
    // layer keeps only free vertices (the others lead nowhere in this phase).
    void build_layers(const bipartite_matching& M, index_t last) {
        const std::size_t n_layers = static_cast<std::size_t>((last + 1) / 2);
        if (trees_.size() < n_layers) trees_.resize(n_layers);
        if (diag_lists_.size() < n_layers) diag_lists_.resize(n_layers);
        diag_pos_.assign(static_cast<std::size_t>(n_), -1);
        std::size_t s = 0;
        for (std::size_t l = 0; l < n_layers; ++l) {
            const index_t layer = static_cast<index_t>(2 * l + 1);
            ys_.clear();
            diag_lists_[l].clear();
            for (; s < visited_b_.size() && layer_b_[visited_b_[s]] == layer; ++s) {
                const index_t b = visited_b_[s];
                const bool keep = layer != last || M.b[b] < 0;
                if (b < m_) {
                    where_layer_[b] = -1;
                    if (keep) ys_.push_back(b);
                } else if (keep) {
                    diag_pos_[b - m_] = static_cast<index_t>(diag_lists_[l].size());
                    diag_lists_[l].push_back(b - m_);
                }
            }
            trees_[l].build(y_, ys_.data(), static_cast<index_t>(ys_.size()), where_layer_.data());
        }
    }

    // The next unused vertex of B at layer layer_a(a) + 1 adjacent to a (used from then on), or -1.
    index_t next_neighbour(index_t a, double t) {
        const std::size_t l = static_cast<std::size_t>(layer_a_[a] / 2);
        const index_t layer = layer_a_[a] + 1;
        kd_tree& tree = trees_[l];
        std::vector<index_t>& diag = diag_lists_[l];
        auto take_diag = [&](index_t k) {
            const index_t p = diag_pos_[k], last = diag.back();
            diag[p] = last;
            diag_pos_[last] = p;
            diag.pop_back();
            diag_pos_[k] = -1;
        };
        if (a < n_) {
            index_t found = -1;
            tree.report(x_ + 2 * a, t, g_, [&](index_t s, double) {
                found = s;
                return true;
            });
            if (found >= 0) {
                tree.erase(found);
                return tree.id(found);
            }
            if (layer_b_[m_ + a] == layer && diag_pos_[a] >= 0 && cx_[a] <= t) {
                take_diag(a);
                return m_ + a;
            }
            return -1;
        }
        const index_t j = a - n_;
        if (layer_b_[j] == layer && where_layer_[j] >= 0 && tree.alive(where_layer_[j]) && cy_[j] <= t) {
            tree.erase(where_layer_[j]);
            return j;
        }
        if (!diag.empty()) {
            const index_t k = diag.back();
            take_diag(k);
            return m_ + k;
        }
        return -1;
    }

    // Depth-first search for an augmenting path from the free vertex root along the layers,
    // with an explicit stack; every vertex of B is tried at most once per phase.
    void augment_from(index_t root, double t, bipartite_matching& M) {
        if (M.a[root] >= 0) return;
        stack_a_.assign(1, root);
        stack_b_.clear();
        while (!stack_a_.empty()) {
            const index_t a = stack_a_.back();
            const index_t b = next_neighbour(a, t);
            if (b < 0) {
                stack_a_.pop_back();
                if (!stack_b_.empty()) stack_b_.pop_back();
                continue;
            }
            stack_b_.push_back(b);
            if (M.b[b] < 0) {
                for (std::size_t s = 0; s < stack_a_.size(); ++s) M.link(stack_a_[s], stack_b_[s]);
                return;
            }
            stack_a_.push_back(M.b[b]);
        }
    }

    // The costliest edge of M (the first one in A's order among equals), proj–proj excluded.
    bottleneck_edge best_edge(const bipartite_matching& M) const {
        bottleneck_edge e;
        double best = -1;
        for (index_t a = 0; a < n_ + m_; ++a) {
            const index_t b = M.a[a];
            if (a >= n_ && b >= m_) continue;
            const double c = edge_cost(a, b);
            if (c <= best) continue;
            best = c;
            if (a < n_ && b < m_) {
                e = {bottleneck_edge::pair, a, b, c};
            } else if (a < n_) {
                e = {bottleneck_edge::x_diagonal, a, -1, c};
            } else {
                e = {bottleneck_edge::y_diagonal, -1, b, c};
            }
        }
        return e;
    }

    const double* x_;
    const double* y_;
    index_t n_, m_;
    ground_metric g_;
    std::vector<double> cx_, cy_;
    kd_tree full_;
    std::vector<index_t> where_full_, where_layer_;
    // Hopcroft–Karp workspace
    std::vector<index_t> layer_a_, layer_b_, roots_, queue_a_, next_a_, visited_b_;
    std::vector<index_t> unvisited_, unvisited_pos_, ys_, diag_pos_, stack_a_, stack_b_, free_diag_;
    std::vector<kd_tree> trees_;
    std::vector<std::vector<index_t>> diag_lists_;
};

}  // namespace detail

// The bottleneck distance between the finite points x (n, 2) and y (m, 2), row-major
// (birth, death), under the L_r ground metric (r >= 1 or inf), with one edge realising it.
inline bottleneck_edge bottleneck_matching(const double* x, index_t n, const double* y, index_t m, double r) {
    if (n < 0 || m < 0) throw std::invalid_argument("bottleneck_matching: negative point count");
    check_finite(x, 2 * n, "x");
    check_finite(y, 2 * m, "y");
    detail::bottleneck_solver solver(x, n, y, m, r);
    return solver.solve();
}

}  // namespace topolayer
