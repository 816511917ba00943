// 2D images: H0 and H1 by union-find over the saddles only. The lower link of every pixel (a
// mask on its ring of neighbours) is computed in one branch-free raster pass; regular pixels
// get their union-find parent there, and only saddles (two or more runs in the link) are
// sorted and visited, for H0 (primal adjacency) and for the top dimension (dual adjacency on
// the upper link, the outside being one more node: Alexander duality; Bleile, Garin, Heiss,
// Maggs & Robins 2022). Cost: one pass over the pixels, a sort of the saddles, near-constant
// finds. Every parent pointer goes to an earlier cell (a later one, above).
#pragma once

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <utility>
#include <vector>

#include "../interrupt.hpp"
#include "../sort.hpp"
#include "grid.hpp"

namespace topolayer {

namespace detail {

// The same, for a union-find whose paths are mostly short (the 2D saddle passes, where every
// regular pixel points straight into a run of its link, so most finds end within three steps):
// those take four loads and a store and no unpredictable branch. (Branches on the path length
// would be mispredicted on fresh data, which costs more than the loads they save.)
inline u32 find_root_short(u32* parent, u32 x) {
    const u32 p = parent[x];
    const u32 gp = parent[p];
    const u32 g3 = parent[gp];
    parent[x] = g3;
    if (parent[g3] == g3) return g3;
    return find_root(parent, g3);
}

// ---- 2D: union-find over the ring of neighbours --------------------------------------------
//
// Around a pixel, the 8 neighbours (6 for Freudenthal) form a cycle in which consecutive cells
// are adjacent under every construction's adjacency (the link of the vertex). A run of entered
// cells along that cycle is therefore one connected set, and a pixel joins one component per
// run (for 4-adjacency: per run that contains an axis neighbour). A table from the mask of
// entered cells to these runs replaces most finds; a pixel in a single run needs none.
struct ring_table {
    int size = 8;                                 // cells on the ring
    std::vector<std::array<std::int8_t, 4>> rep;  // per mask: one ring position per run, -1 ends
    // bridges (8-adjacency on the 8-ring): the two axis cells beside a missing diagonal cell
    // are adjacent too, so runs separated by one diagonal gap are one component.
    ring_table(int ring_size, bool axis_only, bool bridges = false)
        : size(ring_size), rep(std::size_t{1} << ring_size) {
        for (int m0 = 0; m0 < (1 << size); ++m0) {
            auto& out = rep[static_cast<std::size_t>(m0)];
            out.fill(-1);
            int k = 0;
            auto wrap = [&](int i) { return ((i % size) + size) % size; };
            auto on0 = [&](int i) { return (m0 >> wrap(i)) & 1; };
            int m = m0;
            if (bridges)
                for (int i = 1; i < size; i += 2)
                    if (!on0(i) && on0(i - 1) && on0(i + 1)) m |= 1 << i;
            auto on = [&](int i) { return (m >> wrap(i)) & 1; };
            auto pick = [&](int i, int len) {  // the representative of the run i .. i + len - 1
                bool adjacent = !axis_only;
                int chosen = -1;
                for (int j = i; j < i + len; ++j) {
                    adjacent = adjacent || wrap(j) % 2 == 0;
                    if (chosen < 0 && on0(j) && (!axis_only || wrap(j) % 2 == 0)) chosen = wrap(j);
                }
                if (adjacent && k < 4) out[static_cast<std::size_t>(k++)] = static_cast<std::int8_t>(chosen);
            };
            if (m == (1 << size) - 1) {
                pick(0, size);
                continue;
            }
            for (int i = 0; i < size; ++i) {
                if (!on(i) || on(i - 1)) continue;  // i starts a run
                int len = 0;
                while (on(i + len)) ++len;
                pick(i, len);
            }
        }
    }
};

// The 8 ring positions of a pixel in cyclic order (axis neighbours at even positions); the
// Freudenthal ring is positions 0, 1, 2, 4, 5, 6 of it.
inline std::array<index_t, 8> ring_offsets(index_t w) { return {1, w + 1, w, w - 1, -1, -w - 1, -w, -w + 1}; }

// Per mask of entered cells on the 8-ring: one ring position per run (a connected set under
// adjacency `kind`: 0 axis, 1 full, 2 Freudenthal, which ignores positions 3 and 7), -1 ends.
using ring_runs = std::array<std::array<std::int8_t, 4>, 256>;
inline const ring_runs& ring_runs_for(int kind) {
    static const std::array<ring_runs, 3> tables = [] {
        std::array<ring_runs, 3> t{};
        const ring_table axis(8, true), full(8, false, true), freud(6, false);
        constexpr int pos6[6] = {0, 1, 2, 4, 5, 6};
        for (std::size_t m = 0; m < 256; ++m) {
            t[0][m] = axis.rep[m];
            t[1][m] = full.rep[m];
            std::size_t m6 = 0;
            for (int i = 0; i < 6; ++i) m6 |= ((m >> pos6[i]) & 1u) << i;
            auto rep = freud.rep[m6];
            for (auto& p : rep)
                if (p >= 0) p = static_cast<std::int8_t>(pos6[p]);
            t[2][m] = rep;
        }
        return t;
    }();
    return tables[static_cast<std::size_t>(kind)];
}

// Per lower-link mask, what the raster pass of prepare_saddles needs for one pair of
// adjacencies (down, up) and one padded row length: the offset of the first run's cell in each
// direction (0 if there is no run: the pixel itself), and whether the pixel is a saddle. A mask
// has two or more runs below if and only if its complement has as many above (checked for every
// mask and construction by the C++ tests), so one flag serves both directions.
struct link_table {
    int kind_down = -1, kind_up = -1;
    index_t w = -1;
    std::array<std::int32_t, 256> down{}, up{};
    std::array<std::uint8_t, 256> saddle{};

    void set(int kd, int ku, index_t row_length) {
        if (kd == kind_down && ku == kind_up && row_length == w) return;
        kind_down = kd;
        kind_up = ku;
        w = row_length;
        const auto ring = ring_offsets(w);
        const auto& d = ring_runs_for(kd);
        const auto& u = ring_runs_for(ku);
        for (std::size_t m = 0; m < 256; ++m) {
            const auto& a = d[m];
            const auto& b = u[~m & 255u];
            auto offset = [&](std::int8_t pos) {
                return pos < 0 ? 0 : static_cast<std::int32_t>(ring[static_cast<std::size_t>(pos)]);
            };
            down[m] = offset(a[0]);
            up[m] = offset(b[0]);
            saddle[m] = a[1] >= 0 ? 1 : 0;
        }
    }
};

// ---- 2D: union-find over saddles only ------------------------------------------------------
//
// Whether a ring neighbour entered before a pixel depends on their ranks alone, so the lower
// link of every pixel (a mask on its ring) is known before any union-find. A pixel whose lower
// link is one run is regular: it joins that run's component, so its union-find parent can be
// set to a cell of the run right away, in raster order (no find, no branch). A pixel with no
// run is a minimum (its own root). Only pixels with two or more runs (saddles) merge
// components: they alone are visited in filtration order, with finds. Every parent pointer
// goes to an earlier cell, so a find from an entered pixel never meets one that is not. The
// top dimension is the same on the upper link (the complement of the lower one, padding =
// the outside, entered first) with the dual adjacency, in reverse order.
template <class K>
struct saddle_workspace {
    std::vector<u32> parent_up;
    std::vector<u32> saddles;             // in filtration order
    std::vector<u32> bars_down, bars_up;  // (birth, death) cells found by the saddle passes
    std::vector<std::uint8_t> lower;      // lower-link masks
    std::vector<std::uint8_t> later;      // their bits 0-3 (the neighbours after a cell)
    std::vector<keyed<K>> recs, tmp;      // the saddles, sorted by (key, index)
    std::vector<u32> rest;                // saddles left to the second pass
    link_table links;
};

// Padding keys are all ones: above every finite value's key, so padding never enters first.
// Fills the lower masks, both parent arrays (`up` false: only the down one) and the saddles in
// filtration order (the top dimension visits them in reverse). Only saddles are sorted.
template <class K>
void prepare_saddles(saddle_workspace<K>& s, u32* parent, const K* key, const padded_grid& pg, int kind_down,
                     int kind_up, bool up) {
    const index_t size = pg.size();
    s.lower.resize(static_cast<std::size_t>(size));
    s.later.resize(static_cast<std::size_t>(size));
    if (up) s.parent_up.assign(static_cast<std::size_t>(size), 0u);  // padding: the outside
    if (s.recs.size() < static_cast<std::size_t>(pg.real_size()))    // only grows: no refill
        s.recs.resize(static_cast<std::size_t>(pg.real_size()));
    s.links.set(kind_down, kind_up, pg.p2);
    const std::int32_t* to_down = s.links.down.data();
    const std::int32_t* to_up = s.links.up.data();
    const std::uint8_t* is_saddle = s.links.saddle.data();
    std::uint8_t* lower = s.lower.data();
    u32* parent_up = up ? s.parent_up.data() : nullptr;
    keyed<K>* recs = s.recs.data();
    std::size_t k = 0;
    const std::ptrdiff_t w = static_cast<std::ptrdiff_t>(pg.p2);
    {
        // Lower-link masks, branch-free, in loops over every cell from the first pixel's
        // lower-left neighbour to the last pixel (padding cells between rows get masks too,
        // never read; every neighbour is inside the padded grid). Cells are ordered by (key,
        // index): a neighbour after q in the row-major order enters first only with a smaller
        // key, and one before q unless q has the smaller key. So the four comparisons with the
        // later neighbours (bits 0-3) give the other four bits of those neighbours' masks,
        // negated: four comparisons per cell, then byte operations.
        // In blocks of poll_cells, with a poll between them.
        const std::ptrdiff_t begin = static_cast<std::ptrdiff_t>(pg.first());
        const std::ptrdiff_t end = begin + static_cast<std::ptrdiff_t>((pg.n1 - 1) * pg.p2 + pg.n2);
        std::uint8_t* later = s.later.data();
        for (std::ptrdiff_t b0 = begin - w - 1; b0 < end; b0 += poll_cells) {
            check_interrupt();
            for (std::ptrdiff_t q = b0, b1 = std::min<std::ptrdiff_t>(end, b0 + poll_cells); q < b1; ++q) {
                const K kq = key[q];
                unsigned m = static_cast<unsigned>(key[q + 1] < kq);
                m |= static_cast<unsigned>(key[q + w + 1] < kq) << 1;
                m |= static_cast<unsigned>(key[q + w] < kq) << 2;
                m |= static_cast<unsigned>(key[q + w - 1] < kq) << 3;
                later[q] = static_cast<std::uint8_t>(m);
            }
        }
        for (std::ptrdiff_t b0 = begin; b0 < end; b0 += poll_cells) {
            check_interrupt();
            for (std::ptrdiff_t q = b0, b1 = std::min<std::ptrdiff_t>(end, b0 + poll_cells); q < b1; ++q)
                lower[q] =
                    static_cast<std::uint8_t>(later[q] | ((~later[q - 1] & 1u) << 4) | ((~later[q - w - 1] & 2u) << 4) |
                                              ((~later[q - w] & 4u) << 4) | ((~later[q - w + 1] & 8u) << 4));
        }
    }
    auto poll = poll_rows(pg.n2);
    for (index_t b = 0; b < pg.n1; ++b) {
        poll.tick();
        const std::ptrdiff_t row = static_cast<std::ptrdiff_t>(pg.first() + b * pg.p2);
        const std::ptrdiff_t end = row + static_cast<std::ptrdiff_t>(pg.n2);
        if (up) {
            for (std::ptrdiff_t q = row; q < end; ++q) {
                const unsigned m = lower[q];
                parent[q] = static_cast<u32>(q + to_down[m]);
                parent_up[q] = static_cast<u32>(q + to_up[m]);
                recs[k] = {key[q], static_cast<u32>(q)};
                k += is_saddle[m];
            }
        } else {
            for (std::ptrdiff_t q = row; q < end; ++q) {
                const unsigned m = lower[q];
                parent[q] = static_cast<u32>(q + to_down[m]);
                recs[k] = {key[q], static_cast<u32>(q)};
                k += is_saddle[m];
            }
        }
    }
    // Sort the saddles (records are in index order, and the sort is stable).
    if (k < 64)
        std::stable_sort(s.recs.begin(), s.recs.begin() + static_cast<std::ptrdiff_t>(k),
                         [](const auto& x, const auto& y) { return x.key < y.key; });
    else if (k < (std::size_t{1} << 16))
        radix_sort_high16(s.recs, s.tmp, k);
    else
        radix_sort<11>(s.recs, s.tmp, k);
    recs = s.recs.data();
    s.saddles.resize(k);
    for (std::size_t i = 0; i < k; ++i) s.saddles[i] = recs[i].idx;
}

// (key x, cell x) before (key y, cell y) in the filtration order: one comparison of (key,
// cell) composites, without branches (compilers turn the boolean formula into two branches,
// mispredicted at every other merge).
inline bool cell_before(u32 kx, u32 x, u32 ky, u32 y) { return ((u64{kx} << 32) | x) < ((u64{ky} << 32) | y); }
inline bool cell_before(u64 kx, u32 x, u64 ky, u32 y) {
#if defined(__SIZEOF_INT128__)
    __extension__ typedef unsigned __int128 u128;
    return ((u128{kx} << 32) | x) < ((u128{ky} << 32) | y);
#else
    return (kx < ky) | ((kx == ky) & (x < y));
#endif
}

// The merges at the saddles of one direction, written to `out` as (birth cell, death cell)
// pairs, those of zero length (equal keys) only with keep_zero; returns their number (at most
// 3 per saddle). Down: elder = earlier, a bar is (dying root, saddle). Up: elder = later, the
// outside (cell 0, all padding) eldest of all, a bar is (saddle, dying root). Branch-free apart
// from the finds: a run already in the saddle's component makes a no-op union.
// With Record, the saddles where some run was not merged (a class of the other dimension is
// born there) are listed in `rest`, in the order visited.
template <bool Up, bool Large, class K, bool Record = false>
struct saddle_step {
    u32* parent;
    const K* key;
    const std::uint8_t* lower;
    const ring_runs& runs;
    std::array<std::ptrdiff_t, 8> off;
    bool keep_zero;
    u32* out;
    std::size_t k = 0;  // bars written
    u32* rest = nullptr;
    std::size_t n_rest = 0;

    saddle_step(u32* parent_, const K* key_, const std::uint8_t* lower_, const padded_grid& pg, int kind,
                bool keep_zero_, u32* out_)
        : parent(parent_), key(key_), lower(lower_), runs(ring_runs_for(kind)), off(), keep_zero(keep_zero_),
          out(out_) {
        const auto ring = ring_offsets(pg.p2);
        for (std::size_t i = 0; i < 8; ++i) off[i] = static_cast<std::ptrdiff_t>(ring[i]);
    }
    void prefetch(u32 qa, std::ptrdiff_t w) const {
#if defined(__GNUC__) || defined(__clang__)
        __builtin_prefetch(lower + qa, 0, 1);
        __builtin_prefetch(key + qa, 0, 1);
        __builtin_prefetch(parent + qa - w, 1, 1);
        __builtin_prefetch(parent + qa, 1, 1);
        __builtin_prefetch(parent + qa + w, 1, 1);
#else
        (void)qa;
        (void)w;
#endif
    }
    // Large grids have longer paths (and cache misses): the plain loop is faster there.
    static u32 find(u32* pa, u32 x) { return Large ? find_root(pa, x) : find_root_short(pa, x); }
    void operator()(u32 q) {
        const K kq = key[q];
        const unsigned m = Up ? (~static_cast<unsigned>(lower[q]) & 255u) : lower[q];
        const auto& reps = runs[m];
        u32 root = find(parent, static_cast<u32>(q + off[static_cast<std::size_t>(reps[0])]));
        std::size_t unmerged = 0;
        for (std::size_t i = 1; i < 4 && reps[i] >= 0; ++i) {
            const u32 x = find(parent, static_cast<u32>(q + off[static_cast<std::size_t>(reps[i])]));
            const bool x_older = Up ? (x == 0) | ((root != 0) & cell_before(key[root], root, key[x], x))
                                    : cell_before(key[x], x, key[root], root);
            // Selected by masks, not branches: which root is older is a coin toss on fresh
            // data, and compilers otherwise branch on it.
            const u32 pick = u32{0} - static_cast<u32>(x_older);
            const u32 young = (root & pick) | (x & ~pick), old = (x & pick) | (root & ~pick);
            parent[young] = old;  // x == root: parent[root] = root, a no-op
            out[2 * k] = Up ? q : young;
            out[2 * k + 1] = Up ? young : q;
            k += (x != root) & (keep_zero | (key[young] != kq));
            if (Record) unmerged += x == root;
            root = old;
        }
        parent[q] = root;
        if (Record) {
            rest[n_rest] = q;
            n_rest += unmerged != 0;
        }
    }
};

// Visits n saddles with `step`, forwards or in reverse; large grids prefetch ahead and poll for
// an interrupt (small ones are left to the caller's poll between grids).
template <bool Reverse, bool Large, class Step>
void visit_saddles(Step& step, const u32* saddles, std::size_t n, std::ptrdiff_t w) {
    interrupt_countdown poll;
    for (std::size_t i = 0; i < n; ++i) {
        if (Large) poll.tick();
        const std::size_t t = Reverse ? n - 1 - i : i;
        if (Large && i + prefetch_distance < n)  // saddles are at random places
            step.prefetch(saddles[Reverse ? t - prefetch_distance : t + prefetch_distance], w);
        step(saddles[t]);
    }
}

// One direction over all saddles (given in filtration order; Up visits them in reverse).
template <bool Up, bool Large, class K>
std::size_t saddle_pass(u32* parent, const K* key, const std::uint8_t* lower, const std::vector<u32>& saddles,
                        const padded_grid& pg, int kind, bool keep_zero, u32* out) {
    saddle_step<Up, Large, K> step(parent, key, lower, pg, kind, keep_zero, out);
    visit_saddles<Up, Large>(step, saddles.data(), saddles.size(), static_cast<std::ptrdiff_t>(pg.p2));
    return step.k;
}

// Both passes of a grid, one after the other. A saddle's lower and upper links have as many
// runs, and every run but one merges two components in exactly one of the two directions (an H0
// death below, or the birth of an H1 class that dies by a merge above: Alexander duality). So
// the second pass visits only the saddles where the first left a run unmerged; at the others it
// would make no-op unions only, and their parent already points into one of their runs. The
// first pass (`FirstUp`: the upper links, in reverse order) should be the one with 4-adjacency,
// which merges most. Returns the numbers of bars (down, up).
template <bool FirstUp, bool Large, class K>
std::pair<std::size_t, std::size_t>
saddle_passes_sequential(u32* parent, u32* parent_up, const K* key, const std::uint8_t* lower,
                         const std::vector<u32>& saddles, const padded_grid& pg, int kind_down, int kind_up,
                         bool keep_zero, u32* out_down, u32* out_up, std::vector<u32>& rest) {
    const std::ptrdiff_t w = static_cast<std::ptrdiff_t>(pg.p2);
    rest.resize(saddles.size() + 1);
    saddle_step<FirstUp, Large, K, true> step1(FirstUp ? parent_up : parent, key, lower, pg,
                                               FirstUp ? kind_up : kind_down, keep_zero, FirstUp ? out_up : out_down);
    step1.rest = rest.data();
    visit_saddles<FirstUp, Large>(step1, saddles.data(), saddles.size(), w);
    saddle_step<!FirstUp, Large, K> step2(FirstUp ? parent : parent_up, key, lower, pg, FirstUp ? kind_down : kind_up,
                                          keep_zero, FirstUp ? out_down : out_up);
    visit_saddles<true, Large>(step2, rest.data(), step1.n_rest, w);  // the other direction
    return FirstUp ? std::make_pair(step2.k, step1.k) : std::make_pair(step1.k, step2.k);
}

}  // namespace detail

}  // namespace topolayer
