// The matching of the topological loss of Hu et al. (NeurIPS 2019) for one prediction / target
// pair on a grid: per homology dimension, an optimal W2 matching (Euclidean ground norm) between
// the finite bars of the two sublevel diagrams, as critical pixels. One item is one call, so a
// batch runs its items on threads from persistence to matching.
#pragma once

#include <cstddef>
#include <vector>

#include "../cubical.hpp"
#include "../wasserstein.hpp"
#include "betti_matching.hpp"
#include "binary_betti.hpp"

namespace topolayer {

namespace detail {

// The finite bars of one grid, per dimension, as critical pixels (birth, death).
struct finite_bars {
    std::vector<std::vector<index_t>> dims;
    void push(index_t d, index_t b, index_t k) {
        if (k != no_death) dims[static_cast<std::size_t>(d)].insert(dims[static_cast<std::size_t>(d)].end(), {b, k});
    }
};

}  // namespace detail

// The W2 matching of the finite bars of l and g (sublevel filtrations of shape g_shape, bars of
// dimensions 0 .. ndim - 1, zero-length bars left out), pixels in `out` as for Betti matching:
// matched (l birth, l death, g birth, g death), and each side's bars sent to the diagonal. The
// bars are taken in the order of cubical_pairs, so the matching is the one that
// wasserstein_matching gives on the diagrams of cubical(). With g_by_counts, a g of at most two
// values (a binary target) has its bars counted (two_valued_pairs): the same values and so the
// same matching of l's bars, but g's pixels are representatives, not the critical ones.
template <class T>
void hu_matching(const T* l, const T* g, const grid_shape& shape, construction c, betti_matching_result& out,
                 bool g_by_counts = false) {
    const auto n_dims = static_cast<std::size_t>(shape.ndim);
    detail::finite_bars bl{std::vector<std::vector<index_t>>(n_dims)}, bg{bl.dims};
    cubical_pairs_into(bl, l, shape, c, shape.ndim - 1, false, false);
    if (!(g_by_counts && two_valued_pairs(bg, g, shape, c)))
        cubical_pairs_into(bg, g, shape, c, shape.ndim - 1, false, false);
    out.dims.assign(n_dims, {});
    std::vector<double> x, y;
    for (std::size_t d = 0; d < n_dims; ++d) {
        const auto &pl = bl.dims[d], &pg = bg.dims[d];
        x.resize(pl.size());
        y.resize(pg.size());
        for (std::size_t k = 0; k < pl.size(); ++k) x[k] = static_cast<double>(l[pl[k]]);
        for (std::size_t k = 0; k < pg.size(); ++k) y[k] = static_cast<double>(g[pg[k]]);
        const auto plan = wasserstein_matching(x.data(), static_cast<index_t>(pl.size() / 2), y.data(),
                                               static_cast<index_t>(pg.size() / 2), 2.0, 2.0);
        auto& r = out.dims[d];
        for (std::size_t t = 0; t < plan.pairs.size(); t += 2) {
            const index_t i = plan.pairs[t], j = plan.pairs[t + 1];
            r.matched.insert(r.matched.end(), {pl[2 * i], pl[2 * i + 1], pg[2 * j], pg[2 * j + 1]});
        }
        for (index_t i : plan.diag_x) r.unmatched_l.insert(r.unmatched_l.end(), {pl[2 * i], pl[2 * i + 1]});
        for (index_t j : plan.diag_y) r.unmatched_g.insert(r.unmatched_g.end(), {pg[2 * j], pg[2 * j + 1]});
    }
}

}  // namespace topolayer
