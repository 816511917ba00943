// The barcode of a grid with at most two values, lo < hi (a binary segmentation target), by
// counting instead of reducing. Its sublevel filtration has two steps, the complex K of the
// pixels at lo, then the whole grid (contractible), so every finite bar of nonzero length is
// (lo, hi), and in dimension k there are as many as K has k-cycles that die in the grid:
// beta_0(K) - 1, beta_1(K), beta_2(K). beta_0 is a union-find over the lo pixels (axis
// neighbours for V, full for T); by Alexander duality beta_{ndim-1} counts the bounded
// components of the hi pixels in the dual connectivity; in 3D beta_1 follows from the Euler
// characteristic of K, counted over the 2x2x2 blocks of the grid.
#pragma once

#include <array>
#include <utility>
#include <cstdint>
#include <vector>

#include "grid.hpp"

namespace topolayer {

namespace detail {

// Euler characteristic contribution of one 2x2x2 block (bit (d0 << 2) | (d1 << 1) | d2 set for
// a pixel of K) per anchor: every cell of the complex has one anchor (its low corner for V,
// the low voxel of its incident ones for T) and one set S of axes it spans.
inline const std::array<std::array<std::int8_t, 256>, 2>& block_euler() {
    static const auto table = [] {
        std::array<std::array<std::int8_t, 256>, 2> t{};
        for (int b = 0; b < 256; ++b) {
            int v = 0, tt = 0;
            for (int s = 0; s < 8; ++s) {  // the axes a cell spans
                const int sign = (__builtin_popcount(static_cast<unsigned>(s)) % 2) ? -1 : 1;
                bool all = true, any = false;
                for (int q = 0; q < 8; ++q) {
                    if ((q & ~s) == 0) all = all && ((b >> q) & 1);       // V: its vertices
                    if ((q & s) == 0) any = any || ((b >> q) & 1);        // T: its voxels
                }
                v += all ? sign : 0;
                tt += any ? sign : 0;
            }
            t[0][static_cast<std::size_t>(b)] = static_cast<std::int8_t>(v);
            t[1][static_cast<std::size_t>(b)] = static_cast<std::int8_t>(tt);
        }
        return t;
    }();
    return table;
}

// Components of the padded cells where in[q] == want, under the neighbourhood `kind`; with
// `bounded`, only those not touching the padding (which is then `want` and forms the one outer
// component).
inline index_t count_components(const padded_grid& pg, const std::vector<std::uint8_t>& in, std::uint8_t want,
                                int kind, bool bounded, std::vector<u32>& parent) {
    const index_t n = pg.size();
    parent.resize(static_cast<std::size_t>(n));
    std::vector<index_t> half;
    for (const auto& o : half_offsets(pg.ndim, kind)) half.push_back(pg.flat(o));
    // Half offsets are positive flat steps: q joins q - o, so every pair is seen once.
    index_t comps = 0;
    interrupt_countdown poll(1u << 16);
    for (index_t q = 0; q < n; ++q) {
        poll.tick();
        parent[static_cast<std::size_t>(q)] = static_cast<u32>(q);
        if (in[static_cast<std::size_t>(q)] != want) continue;
        ++comps;
        for (index_t o : half) {
            const index_t w = q - o;
            if (w < 0 || in[static_cast<std::size_t>(w)] != want) continue;
            // Neighbours across a row end wrap around in flat indices; padding (never `want`
            // when counting inside, and joined to itself when counting around) absorbs them.
            const u32 x = find_root(parent.data(), static_cast<u32>(q));
            const u32 y = find_root(parent.data(), static_cast<u32>(w));
            if (x != y) {
                parent[std::max(x, y)] = std::min(x, y);
                --comps;
            }
        }
    }
    return bounded ? comps - 1 : comps;  // the outer component holds the padding
}

}  // namespace detail

// Betti numbers (beta_0, beta_1, beta_2) of the complex of the pixels of f equal to lo under
// construction c (V or T), the grid row-major of shape g.
template <class T>
std::array<index_t, 3> binary_betti(const T* f, T lo, const grid_shape& g, construction c) {
    const detail::padded_grid pg(g);
    std::vector<std::uint8_t> in(static_cast<std::size_t>(pg.size()), 0);
    index_t k = 0;
    for (index_t a0 = 0; a0 < pg.n0; ++a0)
        for (index_t a1 = 0; a1 < pg.n1; ++a1)
            for (index_t a2 = 0; a2 < pg.n2; ++a2, ++k)
                in[static_cast<std::size_t>(pg.first() + (a0 * pg.p1 + a1) * pg.p2 + a2)] = f[k] == lo;
    const int primal = detail::primal_kind(c), dual = detail::dual_kind(c);
    std::vector<detail::u32> parent;
    std::array<index_t, 3> beta{};
    beta[0] = detail::count_components(pg, in, 1, primal, false, parent);
    const index_t holes = detail::count_components(pg, in, 0, dual, true, parent);
    if (g.ndim == 2) {
        beta[1] = holes;
        return beta;
    }
    beta[2] = holes;
    const auto& table = detail::block_euler()[c == construction::V ? 0 : 1];
    const index_t s0 = pg.p1 * pg.p2, s1 = pg.p2;
    index_t chi = 0;
    for (index_t a0 = 0; a0 + 1 < pg.p0; ++a0)
        for (index_t a1 = 0; a1 + 1 < pg.p1; ++a1)
            for (index_t a2 = 0; a2 + 1 < pg.p2; ++a2) {
                const std::uint8_t* p = in.data() + (a0 * pg.p1 + a1) * pg.p2 + a2;
                const unsigned b = p[0] << 0 | p[1] << 1 | p[s1] << 2 | p[s1 + 1] << 3 | p[s0] << 4 |
                                   p[s0 + 1] << 5 | p[s0 + s1] << 6 | p[s0 + s1 + 1] << 7;
                chi += table[b];
            }
    beta[1] = beta[0] + beta[2] - chi;
    return beta;
}

// The finite bars of nonzero length of the sublevel filtration of f (shape g, construction V or
// T) when f has at most two values, pushed into `out` (push(dim, birth pixel, death pixel)) for
// dimensions 0 .. g.ndim - 1: every bar is (lo, hi), given by the first pixel at lo and the
// first at hi (the critical pixels of a reduction are other pixels of the same values).
// Returns false, pushing nothing, when f has more than two values.
template <class T, class Out>
bool two_valued_pairs(Out& out, const T* f, const grid_shape& g, construction c) {
    const index_t n = g.size();
    index_t i_lo = 0, i_hi = -1;
    for (index_t i = 1; i < n; ++i) {
        if (f[i] == f[i_lo] || (i_hi >= 0 && f[i] == f[i_hi])) continue;
        if (i_hi >= 0) return false;
        i_hi = i;
    }
    if (i_hi < 0) return true;  // one value: every bar has length zero
    if (f[i_hi] < f[i_lo]) std::swap(i_lo, i_hi);
    const auto beta = binary_betti(f, f[i_lo], g, c);
    for (int d = 0; d < g.ndim; ++d) {
        const index_t count = d == 0 ? beta[0] - 1 : beta[static_cast<std::size_t>(d)];
        for (index_t k = 0; k < count; ++k) out.push(d, i_lo, i_hi);
    }
    return true;
}

}  // namespace topolayer
