// Level-set persistence of 2D images and 3D volumes on implicit, padded grids (V, T, Freudenthal).
// Cells are totally ordered by (value, flat index).
// 2D: the lower link of every pixel (a mask on its ring of neighbours) is computed in one
// branch-free raster pass; regular pixels get their union-find parent there, and only saddles
// (two or more runs in the link) are sorted and visited, for H0 (primal adjacency) and for the
// top dimension (dual adjacency on the upper link, the outside being one more node: Alexander
// duality; Bleile, Garin, Heiss, Maggs & Robins 2022).
// 3D: one LSD radix sort; H0 and H2 by union-find (elder rule); H1 of V on the discrete Morse
// complex of a lower-star gradient (Robins, Wood & Sheppard 2011), by cohomology of its critical
// cells cleared with H0; T through its V dual; Freudenthal by cohomology of the implicit complex
// with clearing and apparent pairs (Bauer 2021; Kaji, Sudo & Ahara 2020).
// Pairs are critical pixels, identical for every thread count.
#pragma once

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <exception>
#include <iterator>
#include <limits>
#include <stdexcept>
#include <string>
#include <thread>
#include <type_traits>
#include <vector>

#include "sort.hpp"
#include "types.hpp"

namespace topolayer {

enum class construction { freudenthal = 0, V = 1, T = 2 };

inline construction parse_construction(const std::string &s) {
    if (s == "freudenthal")
        return construction::freudenthal;
    if (s == "V")
        return construction::V;
    if (s == "T")
        return construction::T;
    throw std::invalid_argument("construction must be 'freudenthal', 'V' or 'T', got '" + s + "'");
}

// Shape of one grid. 2D grids are n0 == 1 with ndim == 2 (the first axis is inactive).
struct grid_shape {
    index_t n0 = 1, n1 = 1, n2 = 1;
    int ndim = 2;
    index_t size() const { return n0 * n1 * n2; }
};

namespace detail {

using u32 = std::uint32_t;
using u64 = std::uint64_t;

inline constexpr u32 pad_rank = 0xFFFFFFFFu; // rank of padding cells: after every pixel
inline constexpr u32 no_rank = 0xFFFFFFFFu;  // death of an essential class

struct offset3 {
    int d0, d1, d2;
};

// One half of a neighbourhood (the other half is its negation). kind 0 "axis": 4 / 6
// neighbours; 1 "full": 8 / 26; 2 "freud": the edges of the Freudenthal (Kuhn) triangulation,
// 6 / 14, all with non-negative offsets.
inline std::vector<offset3> half_offsets(int ndim, int kind) {
    std::vector<offset3> out;
    if (ndim == 2) {
        out = {{0, 0, 1}, {0, 1, 0}};
        if (kind == 1)
            out.insert(out.end(), {{0, 1, 1}, {0, 1, -1}});
        if (kind == 2)
            out.push_back({0, 1, 1});
        return out;
    }
    if (kind == 0)
        return {{0, 0, 1}, {0, 1, 0}, {1, 0, 0}};
    if (kind == 1) {
        for (int a = -1; a <= 1; ++a)
            for (int b = -1; b <= 1; ++b)
                for (int c = -1; c <= 1; ++c)
                    if (a > 0 || (a == 0 && b > 0) || (a == 0 && b == 0 && c > 0))
                        out.push_back({a, b, c});
        return out;
    }
    for (int m = 1; m < 8; ++m)
        out.push_back({(m >> 2) & 1, (m >> 1) & 1, m & 1});
    return out;
}

// A grid with one layer of padding on every active axis, and flat indices into it.
struct padded_grid {
    index_t n0 = 1, n1 = 1, n2 = 1, p0 = 1, p1 = 1, p2 = 1;
    int ndim = 2;
    padded_grid() = default;
    explicit padded_grid(const grid_shape &g)
        : n0(g.n0), n1(g.n1), n2(g.n2), p0(g.ndim == 3 ? g.n0 + 2 : 1), p1(g.n1 + 2), p2(g.n2 + 2),
          ndim(g.ndim), inv_p1(1.0 / static_cast<double>(p1)),
          inv_p2(1.0 / static_cast<double>(p2)) {}
    index_t size() const { return p0 * p1 * p2; }
    index_t real_size() const { return n0 * n1 * n2; }
    index_t flat(const offset3 &o) const { return (o.d0 * p1 + o.d1) * p2 + o.d2; }
    index_t first() const {
        return ((ndim == 3 ? 1 : 0) * p1 + 1) * p2 + 1;
    } // padded index of pixel 0
    // Row-major pixel index of padded cell q. Divisions by a reciprocal (exact after one
    // correction, as q < 2^32): this runs for every reported bar, and a multiplication has a
    // fraction of a hardware division's latency.
    index_t real_index(index_t q) const {
        const index_t r = quotient(q, p2, inv_p2), c = q - r * p2;
        const index_t a = quotient(r, p1, inv_p1), b = r - a * p1;
        return ((a - (ndim == 3 ? 1 : 0)) * n1 + (b - 1)) * n2 + (c - 1);
    }
    double inv_p1 = 1.0, inv_p2 = 1.0;
    static index_t quotient(index_t x, index_t d, double inv) {
        index_t t = static_cast<index_t>(static_cast<double>(x) * inv);
        if (t * d > x)
            --t;
        else if ((t + 1) * d <= x)
            ++t;
        return t;
    }
};

// Flat offsets (both halves, interleaved +o, -o) of a neighbourhood in a padded grid.
inline std::vector<index_t> neighbour_offsets(const padded_grid &pg, int kind) {
    std::vector<index_t> out;
    for (const auto &o : half_offsets(pg.ndim, kind)) {
        out.push_back(pg.flat(o));
        out.push_back(-pg.flat(o));
    }
    return out;
}

inline constexpr u32 unset = 0xFFFFFFFFu; // union-find parent of a cell not yet entered

// Pixels are visited in value order, i.e. at random places: fetching the neighbourhood of the
// pixel a few steps ahead hides most of the memory latency.
inline constexpr index_t prefetch_distance = 12;
inline void prefetch_rows(const u32 *parent, index_t q, const std::vector<index_t> &rows) {
#if defined(__GNUC__) || defined(__clang__)
    for (index_t o : rows)
        __builtin_prefetch(parent + q + o, 1, 1);
#else
    (void)parent;
    (void)q;
    (void)rows;
#endif
}
// The rows (offsets of the centre column) that a neighbourhood touches; p2 >= 3 is the padded
// row length, so every neighbour offset is within one column of a multiple of p2.
inline std::vector<index_t> neighbour_rows(const std::vector<index_t> &nb, index_t p2) {
    std::vector<index_t> rows{0};
    for (index_t o : nb) {
        index_t r = o >= 0 ? (o + 1) / p2 : -((-o + 1) / p2);
        r *= p2;
        if (std::find(rows.begin(), rows.end(), r) == rows.end())
            rows.push_back(r);
    }
    return rows;
}

inline u32 find_root(u32 *parent, u32 x) {
    while (parent[x] != x) {
        parent[x] = parent[parent[x]];
        x = parent[x];
    }
    return x;
}

// The same, for a union-find whose paths are mostly short (the 2D saddle passes, where every
// regular pixel points straight into a run of its link, so most finds end within three steps):
// those take four loads and a store and no unpredictable branch. (Branches on the path length
// would be mispredicted on fresh data, which costs more than the loads they save.)
inline u32 find_root_short(u32 *parent, u32 x) {
    const u32 p = parent[x];
    const u32 gp = parent[p];
    const u32 g3 = parent[gp];
    parent[x] = g3;
    if (parent[g3] == g3)
        return g3;
    return find_root(parent, g3);
}

// Bit set of edges (low corner, edge type).
struct edge_bits {
    std::vector<u64> w;
    index_t types = 1;
    void reset(index_t cells, index_t t) {
        types = t;
        w.assign(static_cast<std::size_t>((cells * t + 63) / 64), 0);
    }
    void set(index_t low, index_t type) {
        const u64 i = static_cast<u64>(low * types + type);
        w[i >> 6] |= u64{1} << (i & 63);
    }
    bool get(index_t low, index_t type) const {
        const u64 i = static_cast<u64>(low * types + type);
        return (w[i >> 6] >> (i & 63)) & 1;
    }
};

// H0 by union-find over padded cells in filtration order (`order`), with the primal
// neighbourhood `nb` (interleaved halves). Cells are ordered by (key, index), so the root of a
// component, its eldest cell, is found by comparing keys. With `neg`, the entered neighbours of
// each pixel are taken in filtration order (the cell-level order of its edges) and every edge
// that merges two components is marked. emit(birth cell, death cell or no_rank).
template <class K, class Emit>
void union_find_h0(u32 *parent, const K *key, const u32 *order, index_t n, index_t n_padded,
                   index_t p2, const std::vector<index_t> &nb, edge_bits *neg, Emit &&emit) {
    std::fill(parent, parent + n_padded, unset);
    auto older = [key](u32 x, u32 y) { return key[x] < key[y] || (key[x] == key[y] && x < y); };
    const std::size_t m = nb.size();
    std::array<std::pair<u32, u32>, 32> low{}; // (neighbour cell, slot)
    const auto rows = neighbour_rows(nb, p2);
    for (index_t r = 0; r < n; ++r) {
        if (r + prefetch_distance < n)
            prefetch_rows(parent, order[r + prefetch_distance], rows);
        const u32 q = order[r];
        parent[q] = q;
        u32 root = q;
        auto join = [&](u32 nq) -> bool {
            if (parent[nq] == root)
                return false;
            const u32 x = find_root(parent, nq);
            if (x == root)
                return false;
            if (root == q) {
                parent[q] = x;
                root = x;
                return true;
            }
            u32 young = x, old = root;
            if (older(x, root))
                std::swap(young, old);
            parent[young] = old;
            emit(young, q);
            root = old;
            return true;
        };
        if (!neg) {
            for (std::size_t j = 0; j < m; ++j) {
                const u32 nq = static_cast<u32>(q + nb[j]);
                if (parent[nq] != unset)
                    join(nq);
            }
            continue;
        }
        std::size_t k = 0;
        for (std::size_t j = 0; j < m; ++j) {
            const u32 nq = static_cast<u32>(q + nb[j]);
            if (parent[nq] != unset)
                low[k++] = {nq, static_cast<u32>(j)};
        }
        std::sort(low.begin(), low.begin() + static_cast<std::ptrdiff_t>(k),
                  [&](const auto &x, const auto &y) { return older(x.first, y.first); });
        for (std::size_t i = 0; i < k; ++i) {
            const u32 nq = low[i].first;
            const std::size_t j = low[i].second;
            if (join(nq))
                neg->set(j % 2 == 0 ? q : nq, static_cast<index_t>(j / 2));
        }
    }
    if (n > 0)
        emit(order[0], no_rank);
}

// Top dimension by union-find in reverse filtration order with the dual neighbourhood. All
// padding cells belong to the outside, whose root (padded cell 0) is the eldest. A complement
// component born at its last pixel dies into an elder one at pixel q: the primal class is born
// at q and dies at that last pixel. emit(birth cell, death cell).
template <class K, class Emit>
void union_find_top(u32 *parent, const K *key, const u32 *order, index_t n, const padded_grid &pg,
                    const std::vector<index_t> &nb, Emit &&emit) {
    std::fill(parent, parent + pg.size(), 0u);
    for (index_t a = 0; a < pg.n0; ++a)
        for (index_t b = 0; b < pg.n1; ++b) {
            u32 *row = parent + pg.first() + (a * pg.p1 + b) * pg.p2;
            std::fill(row, row + pg.n2, unset);
        }
    // Reverse order: the elder of two roots is the later one; the outside is eldest of all.
    auto older = [key](u32 x, u32 y) {
        return x == 0 || (y != 0 && (key[x] > key[y] || (key[x] == key[y] && x > y)));
    };
    const std::size_t m = nb.size();
    const auto rows = neighbour_rows(nb, pg.p2);
    for (index_t rr = n - 1; rr >= 0; --rr) {
        if (rr >= prefetch_distance)
            prefetch_rows(parent, order[rr - prefetch_distance], rows);
        const u32 q = order[rr];
        parent[q] = q;
        u32 root = q;
        for (std::size_t j = 0; j < m; ++j) {
            const u32 nq = static_cast<u32>(q + nb[j]);
            const u32 pn = parent[nq];
            if (pn == unset || pn == root)
                continue;
            const u32 x = find_root(parent, nq);
            if (x == root)
                continue;
            if (root == q) {
                parent[q] = x;
                root = x;
                continue;
            }
            u32 young = x, old = root;
            if (older(x, root))
                std::swap(young, old);
            parent[young] = old;
            emit(q, young);
            root = old;
        }
    }
}

// ---- 2D: union-find over the ring of neighbours --------------------------------------------
//
// Around a pixel, the 8 neighbours (6 for Freudenthal) form a cycle in which consecutive cells
// are adjacent under every construction's adjacency (the link of the vertex). A run of entered
// cells along that cycle is therefore one connected set, and a pixel joins one component per
// run (for 4-adjacency: per run that contains an axis neighbour). A table from the mask of
// entered cells to these runs replaces most finds; a pixel in a single run needs none.
struct ring_table {
    int size = 8;                                // cells on the ring
    std::vector<std::array<std::int8_t, 4>> rep; // per mask: one ring position per run, -1 ends
    // bridges (8-adjacency on the 8-ring): the two axis cells beside a missing diagonal cell
    // are adjacent too, so runs separated by one diagonal gap are one component.
    ring_table(int ring_size, bool axis_only, bool bridges = false)
        : size(ring_size), rep(std::size_t{1} << ring_size) {
        for (int m0 = 0; m0 < (1 << size); ++m0) {
            auto &out = rep[static_cast<std::size_t>(m0)];
            out.fill(-1);
            int k = 0;
            auto wrap = [&](int i) { return ((i % size) + size) % size; };
            auto on0 = [&](int i) { return (m0 >> wrap(i)) & 1; };
            int m = m0;
            if (bridges)
                for (int i = 1; i < size; i += 2)
                    if (!on0(i) && on0(i - 1) && on0(i + 1))
                        m |= 1 << i;
            auto on = [&](int i) { return (m >> wrap(i)) & 1; };
            auto pick = [&](int i, int len) { // the representative of the run i .. i + len - 1
                bool adjacent = !axis_only;
                int chosen = -1;
                for (int j = i; j < i + len; ++j) {
                    adjacent = adjacent || wrap(j) % 2 == 0;
                    if (chosen < 0 && on0(j) && (!axis_only || wrap(j) % 2 == 0))
                        chosen = wrap(j);
                }
                if (adjacent && k < 4)
                    out[static_cast<std::size_t>(k++)] = static_cast<std::int8_t>(chosen);
            };
            if (m == (1 << size) - 1) {
                pick(0, size);
                continue;
            }
            for (int i = 0; i < size; ++i) {
                if (!on(i) || on(i - 1))
                    continue; // i starts a run
                int len = 0;
                while (on(i + len))
                    ++len;
                pick(i, len);
            }
        }
    }
};

// The 8 ring positions of a pixel in cyclic order (axis neighbours at even positions); the
// Freudenthal ring is positions 0, 1, 2, 4, 5, 6 of it.
inline std::array<index_t, 8> ring_offsets(index_t w) {
    return {1, w + 1, w, w - 1, -1, -w - 1, -w, -w + 1};
}

// Per mask of entered cells on the 8-ring: one ring position per run (a connected set under
// adjacency `kind`: 0 axis, 1 full, 2 Freudenthal, which ignores positions 3 and 7), -1 ends.
using ring_runs = std::array<std::array<std::int8_t, 4>, 256>;
inline const ring_runs &ring_runs_for(int kind) {
    static const std::array<ring_runs, 3> tables = [] {
        std::array<ring_runs, 3> t{};
        const ring_table axis(8, true), full(8, false, true), freud(6, false);
        constexpr int pos6[6] = {0, 1, 2, 4, 5, 6};
        for (std::size_t m = 0; m < 256; ++m) {
            t[0][m] = axis.rep[m];
            t[1][m] = full.rep[m];
            std::size_t m6 = 0;
            for (int i = 0; i < 6; ++i)
                m6 |= ((m >> pos6[i]) & 1u) << i;
            auto rep = freud.rep[m6];
            for (auto &p : rep)
                if (p >= 0)
                    p = static_cast<std::int8_t>(pos6[p]);
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
        if (kd == kind_down && ku == kind_up && row_length == w)
            return;
        kind_down = kd;
        kind_up = ku;
        w = row_length;
        const auto ring = ring_offsets(w);
        const auto &d = ring_runs_for(kd);
        const auto &u = ring_runs_for(ku);
        for (std::size_t m = 0; m < 256; ++m) {
            const auto &a = d[m];
            const auto &b = u[~m & 255u];
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
template <class K> struct saddle_workspace {
    std::vector<u32> parent_up;
    std::vector<u32> saddles;            // in filtration order
    std::vector<u32> bars_down, bars_up; // (birth, death) cells found by the saddle passes
    std::vector<std::uint8_t> lower;     // lower-link masks
    std::vector<std::uint8_t> later;     // their bits 0-3 (the neighbours after a cell)
    std::vector<keyed<K>> recs, tmp;     // the saddles, sorted by (key, index)
    std::vector<u32> rest;               // saddles left to the second pass
    link_table links;
};

// Padding keys are all ones: above every finite value's key, so padding never enters first.
// Fills the lower masks, both parent arrays (`up` false: only the down one) and the saddles in
// filtration order (the top dimension visits them in reverse). Only saddles are sorted.
template <class K>
void prepare_saddles(saddle_workspace<K> &s, u32 *parent, const K *key, const padded_grid &pg,
                     int kind_down, int kind_up, bool up) {
    const index_t size = pg.size();
    s.lower.resize(static_cast<std::size_t>(size));
    s.later.resize(static_cast<std::size_t>(size));
    if (up)
        s.parent_up.assign(static_cast<std::size_t>(size), 0u); // padding: the outside
    if (s.recs.size() < static_cast<std::size_t>(pg.real_size())) // only grows: no refill
        s.recs.resize(static_cast<std::size_t>(pg.real_size()));
    s.links.set(kind_down, kind_up, pg.p2);
    const std::int32_t *to_down = s.links.down.data();
    const std::int32_t *to_up = s.links.up.data();
    const std::uint8_t *is_saddle = s.links.saddle.data();
    std::uint8_t *lower = s.lower.data();
    u32 *parent_up = up ? s.parent_up.data() : nullptr;
    keyed<K> *recs = s.recs.data();
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
        const std::ptrdiff_t begin = static_cast<std::ptrdiff_t>(pg.first());
        const std::ptrdiff_t end = begin + static_cast<std::ptrdiff_t>((pg.n1 - 1) * pg.p2 + pg.n2);
        std::uint8_t *later = s.later.data();
        for (std::ptrdiff_t q = begin - w - 1; q < end; ++q) {
            const K kq = key[q];
            unsigned m = static_cast<unsigned>(key[q + 1] < kq);
            m |= static_cast<unsigned>(key[q + w + 1] < kq) << 1;
            m |= static_cast<unsigned>(key[q + w] < kq) << 2;
            m |= static_cast<unsigned>(key[q + w - 1] < kq) << 3;
            later[q] = static_cast<std::uint8_t>(m);
        }
        for (std::ptrdiff_t q = begin; q < end; ++q)
            lower[q] = static_cast<std::uint8_t>(
                later[q] | ((~later[q - 1] & 1u) << 4) | ((~later[q - w - 1] & 2u) << 4) |
                ((~later[q - w] & 4u) << 4) | ((~later[q - w + 1] & 8u) << 4));
    }
    for (index_t b = 0; b < pg.n1; ++b) {
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
                         [](const auto &x, const auto &y) { return x.key < y.key; });
    else if (k < (std::size_t{1} << 16))
        radix_sort_high16(s.recs, s.tmp, k);
    else
        radix_sort<11>(s.recs, s.tmp, k);
    recs = s.recs.data();
    s.saddles.resize(k);
    for (std::size_t i = 0; i < k; ++i)
        s.saddles[i] = recs[i].idx;
}

// (key x, cell x) before (key y, cell y) in the filtration order: one comparison of (key,
// cell) composites, without branches (compilers turn the boolean formula into two branches,
// mispredicted at every other merge).
inline bool cell_before(u32 kx, u32 x, u32 ky, u32 y) {
    return ((u64{kx} << 32) | x) < ((u64{ky} << 32) | y);
}
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
// 3 per saddle). Down: elder = earlier, a bar is (dying
// root, saddle). Up: elder = later, the outside (cell 0, all padding) eldest of all, a bar is
// (saddle, dying root). Branch-free apart from the finds: a run already in the saddle's
// component makes a no-op union.
// With Record, the saddles where some run was not merged (a class of the other dimension is
// born there) are listed in `rest`, in the order visited.
template <bool Up, bool Large, class K, bool Record = false> struct saddle_step {
    u32 *parent;
    const K *key;
    const std::uint8_t *lower;
    const ring_runs &runs;
    std::array<std::ptrdiff_t, 8> off;
    bool keep_zero;
    u32 *out;
    std::size_t k = 0; // bars written
    u32 *rest = nullptr;
    std::size_t n_rest = 0;

    saddle_step(u32 *parent_, const K *key_, const std::uint8_t *lower_, const padded_grid &pg,
                int kind, bool keep_zero_, u32 *out_)
        : parent(parent_), key(key_), lower(lower_), runs(ring_runs_for(kind)), off(),
          keep_zero(keep_zero_), out(out_) {
        const auto ring = ring_offsets(pg.p2);
        for (std::size_t i = 0; i < 8; ++i)
            off[i] = static_cast<std::ptrdiff_t>(ring[i]);
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
    static u32 find(u32 *pa, u32 x) { return Large ? find_root(pa, x) : find_root_short(pa, x); }
    void operator()(u32 q) {
        const K kq = key[q];
        const unsigned m = Up ? (~static_cast<unsigned>(lower[q]) & 255u) : lower[q];
        const auto &reps = runs[m];
        u32 root = find(parent, static_cast<u32>(q + off[static_cast<std::size_t>(reps[0])]));
        std::size_t unmerged = 0;
        for (std::size_t i = 1; i < 4 && reps[i] >= 0; ++i) {
            const u32 x =
                find(parent, static_cast<u32>(q + off[static_cast<std::size_t>(reps[i])]));
            const bool x_older = Up ? (x == 0) | ((root != 0) & cell_before(key[root], root,
                                                                             key[x], x))
                                    : cell_before(key[x], x, key[root], root);
            // Selected by masks, not branches: which root is older is a coin toss on fresh
            // data, and compilers otherwise branch on it.
            const u32 pick = u32{0} - static_cast<u32>(x_older);
            const u32 young = (root & pick) | (x & ~pick), old = (x & pick) | (root & ~pick);
            parent[young] = old; // x == root: parent[root] = root, a no-op
            out[2 * k] = Up ? q : young;
            out[2 * k + 1] = Up ? young : q;
            k += (x != root) & (keep_zero | (key[young] != kq));
            if (Record)
                unmerged += x == root;
            root = old;
        }
        parent[q] = root;
        if (Record) {
            rest[n_rest] = q;
            n_rest += unmerged != 0;
        }
    }
};

// Visits n saddles with `step`, forwards or in reverse; large grids prefetch ahead.
template <bool Reverse, bool Large, class Step>
void visit_saddles(Step &step, const u32 *saddles, std::size_t n, std::ptrdiff_t w) {
    for (std::size_t i = 0; i < n; ++i) {
        const std::size_t t = Reverse ? n - 1 - i : i;
        if (Large && i + prefetch_distance < n) // saddles are at random places
            step.prefetch(saddles[Reverse ? t - prefetch_distance : t + prefetch_distance], w);
        step(saddles[t]);
    }
}

// One direction over all saddles (given in filtration order; Up visits them in reverse).
template <bool Up, bool Large, class K>
std::size_t saddle_pass(u32 *parent, const K *key, const std::uint8_t *lower,
                        const std::vector<u32> &saddles, const padded_grid &pg, int kind,
                        bool keep_zero, u32 *out) {
    saddle_step<Up, Large, K> step(parent, key, lower, pg, kind, keep_zero, out);
    visit_saddles<Up, Large>(step, saddles.data(), saddles.size(),
                             static_cast<std::ptrdiff_t>(pg.p2));
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
saddle_passes_sequential(u32 *parent, u32 *parent_up, const K *key, const std::uint8_t *lower,
                         const std::vector<u32> &saddles, const padded_grid &pg, int kind_down,
                         int kind_up, bool keep_zero, u32 *out_down, u32 *out_up,
                         std::vector<u32> &rest) {
    const std::ptrdiff_t w = static_cast<std::ptrdiff_t>(pg.p2);
    rest.resize(saddles.size() + 1);
    saddle_step<FirstUp, Large, K, true> step1(FirstUp ? parent_up : parent, key, lower, pg,
                                               FirstUp ? kind_up : kind_down, keep_zero,
                                               FirstUp ? out_up : out_down);
    step1.rest = rest.data();
    visit_saddles<FirstUp, Large>(step1, saddles.data(), saddles.size(), w);
    saddle_step<!FirstUp, Large, K> step2(FirstUp ? parent : parent_up, key, lower, pg,
                                          FirstUp ? kind_down : kind_up, keep_zero,
                                          FirstUp ? out_down : out_up);
    visit_saddles<true, Large>(step2, rest.data(), step1.n_rest, w); // the other direction
    return FirstUp ? std::make_pair(step2.k, step1.k) : std::make_pair(step1.k, step2.k);
}

inline int primal_kind(construction c) {
    return c == construction::V ? 0 : c == construction::T ? 1 : 2;
}
inline int dual_kind(construction c) {
    return c == construction::V ? 1 : c == construction::T ? 0 : 2;
}

// ---- 3D H1 of a vertex-based construction (V or Freudenthal) ------------------------------

// Edges and 2-cells as vertex offsets from their lowest corner (flat, in a padded grid), and
// for each edge type the 2-cells that contain it.
struct vertex_cells {
    struct face_t {
        int nv = 0;
        std::array<index_t, 4> v{};             // vertex offsets from the base
        std::array<std::pair<int, int>, 4> e{}; // vertex pairs that are edges
        std::array<int, 4> etype{};             // their edge types
        int ne = 0;
    };
    struct cof_t {
        int face;
        index_t shift; // face base = edge low corner - shift
    };
    std::vector<index_t> edge; // flat offset of each edge type (low -> high)
    std::vector<face_t> face;
    std::vector<std::vector<cof_t>> cof;

    vertex_cells(construction c, const padded_grid &pg) {
        const bool cube = c == construction::V;
        const auto eo = half_offsets(3, cube ? 0 : 2);
        for (const auto &o : eo)
            edge.push_back(pg.flat(o));
        auto bit = [](int m) { return offset3{(m >> 2) & 1, (m >> 1) & 1, m & 1}; };
        std::vector<std::vector<offset3>> verts;
        std::vector<std::vector<std::pair<int, int>>> pairs;
        if (cube) {
            for (int a = 0; a < 3; ++a)
                for (int b = a + 1; b < 3; ++b) {
                    const int ma = 4 >> a, mb = 4 >> b;
                    verts.push_back({bit(0), bit(ma), bit(mb), bit(ma | mb)});
                    pairs.push_back({{0, 1}, {0, 2}, {1, 3}, {2, 3}});
                }
        } else {
            for (int al = 1; al < 8; ++al)
                for (int be = 1; be < 8; ++be)
                    if ((al & be) == 0) {
                        verts.push_back({bit(0), bit(al), bit(al | be)});
                        pairs.push_back({{0, 1}, {1, 2}, {0, 2}});
                    }
        }
        cof.resize(edge.size());
        for (std::size_t t = 0; t < verts.size(); ++t) {
            face_t f;
            f.nv = static_cast<int>(verts[t].size());
            for (int i = 0; i < f.nv; ++i)
                f.v[static_cast<std::size_t>(i)] = pg.flat(verts[t][static_cast<std::size_t>(i)]);
            f.ne = static_cast<int>(pairs[t].size());
            for (int i = 0; i < f.ne; ++i) {
                const auto pr = pairs[t][static_cast<std::size_t>(i)];
                const offset3 lo = verts[t][static_cast<std::size_t>(pr.first)];
                const offset3 hi = verts[t][static_cast<std::size_t>(pr.second)];
                const offset3 d{hi.d0 - lo.d0, hi.d1 - lo.d1, hi.d2 - lo.d2};
                int type = -1;
                for (std::size_t j = 0; j < eo.size(); ++j)
                    if (eo[j].d0 == d.d0 && eo[j].d1 == d.d1 && eo[j].d2 == d.d2)
                        type = static_cast<int>(j);
                f.e[static_cast<std::size_t>(i)] = pr;
                f.etype[static_cast<std::size_t>(i)] = type;
                cof[static_cast<std::size_t>(type)].push_back({static_cast<int>(t), pg.flat(lo)});
            }
            face.push_back(f);
        }
    }
};

// A 2-cell in a column: its filtration key (three largest vertex ranks, descending: this
// identifies the cell and refines the (value, dimension, index) order) and its id
// (base cell * number of 2-cell types + type).
struct entry {
    u64 a; // (largest rank << 32) | second largest
    u32 b; // third largest
    u32 id;
    // Branch-free: these run in the heap of the reduction, on unpredictable data.
    bool operator<(const entry &o) const { return (a < o.a) | ((a == o.a) & (b < o.b)); }
    bool operator==(const entry &o) const { return (a == o.a) & (b == o.b); }
    u32 top() const { return static_cast<u32>(a >> 32); }
};

// Open-addressing map from a 2-cell's id to a stored column (linear probing, load <= 1/2).
class pivot_map {
  public:
    static constexpr u32 none = 0xFFFFFFFFu;
    u32 find(u32 id) const {
        if (slots_.empty())
            return none;
        for (std::size_t i = hash(id) & mask_;; i = (i + 1) & mask_) {
            const slot &s = slots_[i];
            if (s.value == none)
                return none;
            if (s.id == id)
                return s.value;
        }
    }
    void insert(u32 id, u32 value) {
        if (2 * (size_ + 1) > slots_.size())
            grow();
        for (std::size_t i = hash(id) & mask_;; i = (i + 1) & mask_) {
            slot &s = slots_[i];
            if (s.value == none) {
                s = {id, value};
                ++size_;
                return;
            }
        }
    }

  private:
    struct slot {
        u32 id;
        u32 value;
    };
    static std::size_t hash(u32 id) {
        const u64 h = static_cast<u64>(id) * 0x9E3779B97F4A7C15ull;
        return static_cast<std::size_t>(h >> 20);
    }
    void grow() {
        std::vector<slot> old;
        old.swap(slots_);
        slots_.assign(old.empty() ? 1024 : 2 * old.size(), slot{0, none});
        mask_ = slots_.size() - 1;
        size_ = 0;
        for (const slot &t : old)
            if (t.value != none)
                insert(t.id, t.value);
    }
    std::vector<slot> slots_;
    std::size_t mask_ = 0, size_ = 0;
};

// Volumes up to this many (padded) cells keep the entries of stored H1 columns; larger ones
// keep only ids. Tests lower it to exercise both paths; set it before any computation.
inline index_t h1_keep_entries_limit = index_t{1} << 22;

// Persistent cohomology 1 -> 2: columns are the edges not cleared by H0 (`neg`), in reverse
// filtration order; a column's pivot is its oldest 2-cell. Pairs (e, s) where s's youngest
// edge is e and e's oldest 2-cell is s (apparent pairs) are recognised without being stored.
// emit(birth rank, death rank or no_rank).
template <class Emit>
void vertex_h1(construction c, const padded_grid &pg, const u32 *rank, const u32 *order, index_t n,
               const edge_bits &neg, Emit &&emit) {
    const vertex_cells cells(c, pg);
    const index_t n_types = static_cast<index_t>(cells.edge.size());
    const index_t n_faces = static_cast<index_t>(cells.face.size());
    const u32 nf32 = static_cast<u32>(n_faces);
    if (pg.size() * n_faces >= static_cast<index_t>(0xFFFFFFFFu))
        throw std::invalid_argument("the volume is too large for H1 (at most 2^32 2-cells)");

    auto make_entry = [&](index_t base, int t, bool &inside) {
        const auto &f = cells.face[static_cast<std::size_t>(t)];
        std::array<u32, 4> rk{};
        inside = true;
        for (int v = 0; v < f.nv; ++v) {
            rk[static_cast<std::size_t>(v)] = rank[base + f.v[static_cast<std::size_t>(v)]];
            if (rk[static_cast<std::size_t>(v)] == pad_rank)
                inside = false;
        }
        if (f.nv == 3)
            rk[3] = 0;
        // Sorting network, descending.
        auto cx = [&rk](std::size_t i, std::size_t j) {
            const u32 a = std::max(rk[i], rk[j]), b = std::min(rk[i], rk[j]);
            rk[i] = a;
            rk[j] = b;
        };
        cx(0, 1);
        cx(2, 3);
        cx(0, 2);
        cx(1, 3);
        cx(1, 2);
        return entry{(static_cast<u64>(rk[0]) << 32) | rk[1], rk[2],
                     static_cast<u32>(base * n_faces + t)};
    };
    // The 2-cells of an edge (unsorted: the heap orders them) and the position of the oldest.
    auto coboundary = [&](index_t low, int type, std::vector<entry> &out) -> std::size_t {
        out.clear();
        std::size_t oldest = 0;
        for (const auto &cf : cells.cof[static_cast<std::size_t>(type)]) {
            bool inside;
            const entry e = make_entry(low - cf.shift, cf.face, inside);
            if (!inside)
                continue;
            if (!out.empty() && e < out[oldest])
                oldest = out.size();
            out.push_back(e);
        }
        return oldest;
    };
    // The youngest edge of a 2-cell: its key and (low corner, type).
    auto youngest_edge = [&](const entry &s, index_t &low, int &type) {
        const u32 s_base32 = s.id / nf32;
        const index_t s_base = static_cast<index_t>(s_base32);
        const auto &f = cells.face[static_cast<std::size_t>(s.id - s_base32 * nf32)];
        u64 best = 0;
        for (int i = 0; i < f.ne; ++i) {
            const auto pr = f.e[static_cast<std::size_t>(i)];
            const index_t qa = s_base + f.v[static_cast<std::size_t>(pr.first)];
            const index_t qb = s_base + f.v[static_cast<std::size_t>(pr.second)];
            const u32 x = rank[qa], y = rank[qb];
            const u64 k = (static_cast<u64>(std::max(x, y)) << 32) | std::min(x, y);
            if (k > best) {
                best = k;
                low = qa;
                type = f.etype[static_cast<std::size_t>(i)];
            }
        }
        return best;
    };

    // Reduced columns that are not apparent are stored sorted (oldest 2-cell first, so a
    // column's first entry is its pivot): pivot id -> (start, length) in the pool. Up to 2^22
    // cells the entries are kept; larger volumes keep only 2-cell ids (in entry order), which
    // halves the memory of the reduction, and recompute the keys when a column is added.
    pivot_map owner;
    std::vector<u64> is_pivot(static_cast<std::size_t>((pg.size() * n_faces + 63) / 64),
                              0); // filters misses
    const bool keep_entries = pg.size() <= h1_keep_entries_limit;
    std::vector<entry> pool_entries;
    std::vector<u32> pool;
    std::vector<std::pair<std::size_t, u32>> spans;
    std::vector<entry> col, other, scratch;
    std::array<std::pair<u32, std::pair<index_t, int>>, 32> low{};
    const std::size_t two_t = static_cast<std::size_t>(2 * n_types);

    // The working column is a sum (mod 2) of sorted runs of entries: the column's coboundary
    // and the columns added to it. A k-way merge over the runs yields its entries in order,
    // equal entries cancelling in pairs; adding a column whose first entry is the current
    // pivot costs one heap step, not its length times a log.
    struct run {
        bool in_scratch;
        std::size_t pos, end;
    };
    std::vector<run> runs;
    std::vector<std::pair<entry, u32>> heap; // (current entry, run), a min-heap
    auto heap_less = [](const std::pair<entry, u32> &x, const std::pair<entry, u32> &y) {
        return y.first < x.first;
    };
    auto at = [&](const run &u) -> const entry & {
        return u.in_scratch ? scratch[u.pos] : pool_entries[u.pos];
    };
    auto add_run = [&](bool in_scratch, std::size_t pos, std::size_t end) {
        if (pos == end)
            return;
        runs.push_back({in_scratch, pos, end});
        const u32 i = static_cast<u32>(runs.size() - 1);
        heap.push_back({at(runs.back()), i});
        std::push_heap(heap.begin(), heap.end(), heap_less);
    };
    auto advance = [&](u32 i) { // the run at the top of the heap moves on
        std::pop_heap(heap.begin(), heap.end(), heap_less);
        run &u = runs[i];
        if (++u.pos < u.end) {
            heap.back().first = at(u);
            std::push_heap(heap.begin(), heap.end(), heap_less);
        } else {
            heap.pop_back();
        }
    };
    // The next entry of the working column (odd multiplicity), removed from the runs.
    auto next_entry = [&](entry &out) -> bool {
        while (!heap.empty()) {
            const entry t = heap.front().first;
            int count = 0;
            while (!heap.empty() && heap.front().first == t) {
                advance(heap.front().second);
                ++count;
            }
            if (count % 2 == 1) {
                out = t;
                return true;
            }
        }
        return false;
    };
    // A sorted copy of `v` in scratch, as a run without its first entry (the pivot it cancels).
    auto add_sorted_tail = [&](std::vector<entry> &v) {
        std::sort(v.begin(), v.end());
        const std::size_t start = scratch.size();
        scratch.insert(scratch.end(), v.begin() + 1, v.end());
        add_run(true, start, scratch.size());
    };

    for (index_t rr = n - 1; rr >= 0; --rr) {
        const u32 r = static_cast<u32>(rr);
        const index_t q = order[r];
        std::size_t k = 0;
        for (std::size_t j = 0; j < two_t; ++j) {
            const index_t off = cells.edge[j / 2];
            const index_t nq = j % 2 == 0 ? q + off : q - off;
            const u32 rn = rank[nq];
            if (rn < r)
                low[k++] = {rn, {j % 2 == 0 ? q : nq, static_cast<int>(j / 2)}};
        }
        std::sort(low.begin(), low.begin() + static_cast<std::ptrdiff_t>(k),
                  [](const auto &x, const auto &y) { return x.first > y.first; });
        for (std::size_t i = 0; i < k; ++i) {
            const index_t elow = low[i].second.first;
            const int etype = low[i].second.second;
            if (neg.get(elow, etype))
                continue;
            const u64 ekey = (static_cast<u64>(r) << 32) | low[i].first;
            const std::size_t oldest = coboundary(elow, etype, col);
            if (col.empty()) {
                emit(r, no_rank);
                continue;
            }
            index_t yl = 0;
            int yt = 0;
            if (youngest_edge(col[oldest], yl, yt) == ekey) { // apparent pair
                emit(r, col[oldest].top());
                continue;
            }
            runs.clear();
            heap.clear();
            scratch.clear();
            std::sort(col.begin(), col.end());
            scratch.assign(col.begin(), col.end());
            add_run(true, 0, scratch.size());
            entry piv{};
            bool found = false;
            while (next_entry(piv)) {
                const u32 col_of = (is_pivot[piv.id >> 6] >> (piv.id & 63)) & 1
                                       ? owner.find(piv.id)
                                       : pivot_map::none;
                if (col_of != pivot_map::none) { // add the column with this pivot: piv cancels
                    const auto span = spans[col_of];
                    if (keep_entries) {
                        add_run(false, span.first + 1, span.first + span.second);
                        continue;
                    }
                    const std::size_t start = scratch.size();
                    for (std::size_t t = span.first + 1; t < span.first + span.second; ++t) {
                        bool inside;
                        const u32 base = pool[t] / nf32;
                        scratch.push_back(make_entry(static_cast<index_t>(base),
                                                     static_cast<int>(pool[t] - base * nf32),
                                                     inside));
                    }
                    add_run(true, start, scratch.size());
                    continue;
                }
                youngest_edge(piv, yl, yt);
                const std::size_t o = coboundary(yl, yt, other);
                if (!other.empty() && other[o] == piv) { // piv is in an apparent pair
                    add_sorted_tail(other);
                    continue;
                }
                found = true;
                break;
            }
            if (!found) {
                emit(r, no_rank);
                continue;
            }
            // Store the reduced column: the pivot, then the rest of the merge (sorted).
            const std::size_t start = keep_entries ? pool_entries.size() : pool.size();
            entry e = piv;
            do {
                if (keep_entries)
                    pool_entries.push_back(e);
                else
                    pool.push_back(e.id);
            } while (next_entry(e));
            const std::size_t end = keep_entries ? pool_entries.size() : pool.size();
            owner.insert(piv.id, static_cast<u32>(spans.size()));
            is_pivot[piv.id >> 6] |= u64{1} << (piv.id & 63);
            spans.push_back({start, static_cast<u32>(end - start)});
            emit(r, piv.top());
        }
    }
}

// ---- 3D H1 of the V construction through a discrete Morse complex -------------------------
//
// Every cell of a lower-star filtration enters with its top vertex, so any acyclic matching of
// cells within each vertex's lower star is a gradient compatible with the filtration, and the
// Morse complex of its critical cells has the same persistence (Robins, Wood & Sheppard 2011;
// Mischaikow & Nanda 2013). Most cells pair up inside their lower star (the zero-length pairs
// that dominate a cell-level reduction), so H1 is reduced on the critical edges and 2-cells only.
//
// The lower star of v is the cone from v over its lower link, a subcomplex of the octahedron
// formed by the 6 axis neighbours (link vertices = edges at v), 12 link edges (squares at v)
// and 8 link triangles (cubes at v); a link cell is present when every other vertex of its
// star cell is lower than v. v pairs with its lowest axis neighbour's edge; then a cell with
// exactly one unpaired facet pairs with it, and when none has, an unpaired cell with no
// unpaired facet becomes critical. Each pairing or critical cell gets the next step number in
// the star: along a gradient path (top rank, step) strictly decreases, which orders the flows.
struct octahedron {
    std::array<int, 6> axis{}, sign{};            // link vertex i: neighbour sign * e_axis
    std::array<std::array<int, 2>, 12> ev{};      // link edge: its two link vertices
    std::array<std::array<int, 3>, 8> tv{}, te{}; // link triangle: its vertices and edges
    std::array<u32, 26> facets{};                 // cell bits 0-5 vertices, 6-17 edges, 18-25
    octahedron() {
        for (int i = 0; i < 6; ++i) {
            axis[static_cast<std::size_t>(i)] = i / 2;
            sign[static_cast<std::size_t>(i)] = i % 2 == 0 ? 1 : -1;
        }
        int k = 0;
        for (int i = 0; i < 6; ++i)
            for (int j = i + 1; j < 6; ++j)
                if (i / 2 != j / 2)
                    ev[static_cast<std::size_t>(k++)] = {i, j};
        auto edge_of = [&](int i, int j) {
            for (int e = 0; e < 12; ++e)
                if ((ev[static_cast<std::size_t>(e)][0] == i &&
                     ev[static_cast<std::size_t>(e)][1] == j) ||
                    (ev[static_cast<std::size_t>(e)][0] == j &&
                     ev[static_cast<std::size_t>(e)][1] == i))
                    return e;
            return -1;
        };
        for (int t = 0; t < 8; ++t) {
            const int a = (t >> 2) & 1, b = (t >> 1) & 1, c = t & 1;
            tv[static_cast<std::size_t>(t)] = {a, 2 + b, 4 + c};
            te[static_cast<std::size_t>(t)] = {edge_of(a, 2 + b), edge_of(a, 4 + c),
                                               edge_of(2 + b, 4 + c)};
        }
        for (int e = 0; e < 12; ++e)
            facets[static_cast<std::size_t>(6 + e)] =
                (1u << ev[static_cast<std::size_t>(e)][0]) |
                (1u << ev[static_cast<std::size_t>(e)][1]);
        for (int t = 0; t < 8; ++t)
            for (int e : te[static_cast<std::size_t>(t)])
                facets[static_cast<std::size_t>(18 + t)] |= 1u << (6 + e);
    }
};

// Per edge of the V complex (low corner * 3 + axis): how the gradient treats it.
// 1-4: paired up with one of its 4 squares; edge_critical: critical and positive (an H1
// birth) once H0 has marked the negative ones edge_negative.
inline constexpr std::uint8_t edge_unset = 0, edge_down = 5, edge_critical = 6, edge_negative = 7;

// H1 pairs of the V construction; rank[q] of each padded cell (pad_rank for padding).
// emit(birth rank, death rank or no_rank), as vertex_h1.
// Cells whose top rank is below `min_rank` (the outside layer of the T dual) take part in H0
// only: a gradient path never climbs back from them, so flows stop there and no pair born
// there is reported.
template <class Emit>
void morse_h1(const padded_grid &pg, const u32 *rank, Emit &&emit, u32 min_rank = 0) {
    static const octahedron oct;
    const index_t size = pg.size();
    if (size * 3 >= static_cast<index_t>(0xFFFFFFFFu))
        throw std::invalid_argument("the volume is too large for H1 (at most 2^32 edges)");
    const std::array<index_t, 3> ax{pg.p1 * pg.p2, pg.p2, 1};
    std::array<index_t, 6> ov{}; // link vertex offsets
    for (std::size_t i = 0; i < 6; ++i)
        ov[i] = oct.sign[i] * ax[static_cast<std::size_t>(oct.axis[i])];
    std::array<index_t, 12> od{}; // link edge diagonal offsets
    for (std::size_t e = 0; e < 12; ++e)
        od[e] = ov[static_cast<std::size_t>(oct.ev[e][0])] + ov[static_cast<std::size_t>(oct.ev[e][1])];
    std::array<index_t, 8> oc{}; // link triangle corner offsets
    for (std::size_t t = 0; t < 8; ++t)
        oc[t] = ov[static_cast<std::size_t>(oct.tv[t][0])] +
                ov[static_cast<std::size_t>(oct.tv[t][1])] +
                ov[static_cast<std::size_t>(oct.tv[t][2])];
    // The other axis and side of each up code (1-4) of an edge on axis a.
    auto other_axis = [](int a, int k) { return k == 0 ? (a == 0 ? 1 : 0) : (a == 2 ? 1 : 2); };
    // Edge and square ids: low corner * 3 + axis (edges) or normal axis (squares).
    auto edge_id = [&](index_t v, int i) -> u32 { // the edge from v to its link vertex i
        const std::size_t a = static_cast<std::size_t>(oct.axis[static_cast<std::size_t>(i)]);
        const index_t base = oct.sign[static_cast<std::size_t>(i)] > 0 ? v : v - ax[a];
        return static_cast<u32>(base * 3 + static_cast<index_t>(a));
    };
    auto square_id = [&](index_t v, int e) -> u32 { // the square at v over link edge e
        const int i = oct.ev[static_cast<std::size_t>(e)][0], j = oct.ev[static_cast<std::size_t>(e)][1];
        const int ai = oct.axis[static_cast<std::size_t>(i)], aj = oct.axis[static_cast<std::size_t>(j)];
        index_t base = v;
        if (oct.sign[static_cast<std::size_t>(i)] < 0)
            base -= ax[static_cast<std::size_t>(ai)];
        if (oct.sign[static_cast<std::size_t>(j)] < 0)
            base -= ax[static_cast<std::size_t>(aj)];
        return static_cast<u32>(base * 3 + (3 - ai - aj));
    };

    // Per edge: its gradient code (low 3 bits) and step in its lower star (high 5 bits).
    std::vector<std::uint8_t> code(static_cast<std::size_t>(size * 3), edge_unset);
    std::vector<u32> parent(static_cast<std::size_t>(size)); // gradient forest, then union-find
    std::vector<u32> crit_edge_ids;
    std::vector<std::pair<u64, u32>> crit_squares; // (top rank << 8 | step, square id)
    auto edge_key = [&](u32 id) -> u64 {
        const index_t base = static_cast<index_t>(id / 3);
        const u32 top = std::max(rank[base], rank[base + ax[id % 3]]);
        return (static_cast<u64>(top) << 8) | (code[id] >> 3);
    };

    for (index_t a0 = 0; a0 < pg.n0; ++a0)
        for (index_t a1 = 0; a1 < pg.n1; ++a1)
            for (index_t a2 = 0; a2 < pg.n2; ++a2) {
                const index_t v = pg.first() + (a0 * pg.p1 + a1) * pg.p2 + a2;
                const u32 rv = rank[v];
                u32 L = 0; // present link cells
                int w0 = -1;
                u32 best = 0;
                for (int i = 0; i < 6; ++i) {
                    const u32 ri = rank[v + ov[static_cast<std::size_t>(i)]];
                    if (ri < rv) {
                        L |= 1u << i;
                        if (w0 < 0 || ri < best) {
                            best = ri;
                            w0 = i;
                        }
                    }
                }
                if (w0 < 0) { // a minimum: a critical vertex
                    parent[static_cast<std::size_t>(v)] = static_cast<u32>(v);
                    continue;
                }
                parent[static_cast<std::size_t>(v)] = static_cast<u32>(v + ov[static_cast<std::size_t>(w0)]);
                {
                    const u32 id = edge_id(v, w0);
                    code[id] = edge_down; // step 0
                }
                for (int e = 0; e < 12; ++e) {
                    const u32 need = oct.facets[static_cast<std::size_t>(6 + e)];
                    if ((L & need) == need && rank[v + od[static_cast<std::size_t>(e)]] < rv)
                        L |= 1u << (6 + e);
                }
                for (int t = 0; t < 8; ++t) {
                    const u32 need = oct.facets[static_cast<std::size_t>(18 + t)];
                    if ((L & need) == need && rank[v + oc[static_cast<std::size_t>(t)]] < rv)
                        L |= 1u << (18 + t);
                }
                u32 U = L & ~(1u << w0);
                std::uint8_t st = 1;
                while (U != 0) {
                    bool changed = true;
                    while (changed) {
                        changed = false;
                        for (u32 m = U & ~0x3Fu; m != 0; m &= m - 1) {
                            const int c = __builtin_ctz(m);
                            if (!((U >> c) & 1u))
                                continue;
                            const u32 f = U & oct.facets[static_cast<std::size_t>(c)];
                            if (f == 0 || (f & (f - 1)) != 0)
                                continue; // not exactly one unpaired facet
                            const int a = __builtin_ctz(f);
                            U &= ~((1u << a) | (1u << c));
                            changed = true;
                            if (a < 6) { // edge v-a pairs up with the square over link edge c
                                const int le = c - 6;
                                const int other = oct.ev[static_cast<std::size_t>(le)][0] == a
                                                      ? oct.ev[static_cast<std::size_t>(le)][1]
                                                      : oct.ev[static_cast<std::size_t>(le)][0];
                                const int A = oct.axis[static_cast<std::size_t>(a)];
                                const int X = oct.axis[static_cast<std::size_t>(other)];
                                const int k = other_axis(A, 0) == X ? 0 : 1;
                                const u32 id = edge_id(v, a);
                                code[id] = static_cast<std::uint8_t>(
                                    (st << 3) | (1 + 2 * k +
                                                 (oct.sign[static_cast<std::size_t>(other)] < 0 ? 1 : 0)));
                            }
                            ++st; // a square pairing with a cube needs no record
                        }
                    }
                    if (U == 0)
                        break;
                    // Stuck: the first unpaired cell with no unpaired facet becomes critical.
                    int c = -1;
                    for (u32 m = U; m != 0; m &= m - 1) {
                        const int x = __builtin_ctz(m);
                        if ((U & oct.facets[static_cast<std::size_t>(x)]) == 0) {
                            c = x;
                            break;
                        }
                    }
                    U &= ~(1u << c);
                    if (c < 6) {
                        const u32 id = edge_id(v, c);
                        code[id] = static_cast<std::uint8_t>((st << 3) | edge_critical);
                        crit_edge_ids.push_back(id);
                    } else if (c < 18) {
                        crit_squares.push_back(
                            {(static_cast<u64>(rv) << 8) | st, square_id(v, c - 6)});
                    }
                    ++st;
                }
            }

    // H0 on the critical edges (in filtration order) tells the negative ones; the others are
    // the columns of the cohomology reduction.
    const std::size_t ne = crit_edge_ids.size();
    std::vector<std::pair<u64, u32>> ce(ne);
    for (std::size_t i = 0; i < ne; ++i)
        ce[i] = {edge_key(crit_edge_ids[i]), crit_edge_ids[i]};
    std::sort(ce.begin(), ce.end());
    u32 *par = parent.data();
    std::vector<u32> positive; // indices into ce
    pivot_map column_of;       // positive critical edge id -> column index
    for (std::size_t i = 0; i < ne; ++i) {
        const u32 id = ce[i].second;
        const index_t base = static_cast<index_t>(id / 3);
        const u32 x = find_root(par, static_cast<u32>(base));
        const u32 y = find_root(par, static_cast<u32>(base + ax[id % 3]));
        if (x != y) {
            par[std::max(x, y)] = std::min(x, y); // which root survives does not matter here
            code[id] = static_cast<std::uint8_t>((code[id] & ~7u) | edge_negative);
            continue;
        }
        if ((ce[i].first >> 8) < min_rank) {
            code[id] = static_cast<std::uint8_t>((code[id] & ~7u) | edge_negative); // outside
            continue;
        }
        column_of.insert(id, static_cast<u32>(positive.size()));
        positive.push_back(static_cast<u32>(i));
    }

    // Flows: the Morse boundary of each critical square over the positive critical edges.
    // Flows run in raster order (neighbouring squares touch the same memory); the columns
    // need the squares' filtration order: sorted_pos[i] is square i's place in it.
    const std::size_t ns = crit_squares.size();
    std::vector<u32> sorted_pos(ns);
    {
        std::vector<u32> by_key(ns);
        for (std::size_t i = 0; i < ns; ++i)
            by_key[i] = static_cast<u32>(i);
        std::sort(by_key.begin(), by_key.end(), [&](u32 x, u32 y) {
            return crit_squares[x].first < crit_squares[y].first;
        });
        for (std::size_t i = 0; i < ns; ++i)
            sorted_pos[by_key[i]] = static_cast<u32>(i);
    }
    // Coboundary entries (column, square's place in the filtration order), gathered flat.
    std::vector<std::pair<u32, u32>> entries;
    // The working chain of a flow is small: a vector of distinct edges (an edge added twice
    // cancels, mod 2), the youngest taken first by a linear scan.
    std::vector<std::pair<u64, u32>> chain; // (edge key, edge id)
    const u64 min_key = static_cast<u64>(min_rank) << 8;
    auto toggle = [&](u32 id) {
        for (std::size_t i = 0; i < chain.size(); ++i)
            if (chain[i].second == id) {
                chain[i] = chain.back();
                chain.pop_back();
                return;
            }
        const u64 k = edge_key(id);
        if (k >= min_key)
            chain.push_back({k, id});
    };
    for (std::size_t si = 0; si < ns; ++si) {
        if ((crit_squares[si].first >> 8) < min_rank)
            continue;
        const u32 sq = crit_squares[si].second;
        const index_t sb = static_cast<index_t>(sq / 3);
        const int N = static_cast<int>(sq % 3);
        const int A = N == 0 ? 1 : 0, B = N == 2 ? 1 : 2;
        chain.clear();
        toggle(static_cast<u32>(sb * 3 + A));
        toggle(static_cast<u32>(sb * 3 + B));
        toggle(static_cast<u32>((sb + ax[static_cast<std::size_t>(B)]) * 3 + A));
        toggle(static_cast<u32>((sb + ax[static_cast<std::size_t>(A)]) * 3 + B));
        while (!chain.empty()) {
            std::size_t top = 0;
            for (std::size_t i = 1; i < chain.size(); ++i)
                if (chain[i].first > chain[top].first)
                    top = i;
            const u32 id = chain[top].second;
            chain[top] = chain.back();
            chain.pop_back();
            const unsigned cd = code[id] & 7u;
            if (cd == edge_critical) {
                entries.push_back({column_of.find(id), sorted_pos[si]});
                continue;
            }
            if (cd == edge_down || cd == edge_negative)
                continue;
            // Up: replace the edge by the other three edges of its square (all of them
            // younger in no case: keys decrease along a gradient path).
            const int ea = static_cast<int>(id % 3);
            const index_t eb = static_cast<index_t>(id / 3);
            const int X = other_axis(ea, (cd - 1) / 2);
            const index_t tb = eb - ((cd - 1) % 2) * ax[static_cast<std::size_t>(X)];
            const u32 e1 = static_cast<u32>(tb * 3 + ea);
            const u32 e2 = static_cast<u32>((tb + ax[static_cast<std::size_t>(X)]) * 3 + ea);
            const u32 e3 = static_cast<u32>(tb * 3 + X);
            const u32 e4 = static_cast<u32>((tb + ax[static_cast<std::size_t>(ea)]) * 3 + X);
            for (u32 f : {e1, e2, e3, e4})
                if (f != id)
                    toggle(f);
        }
    }

    // Columns in compressed form (counting sort by column, then each column sorted).
    const std::size_t n_cols = positive.size();
    std::vector<std::size_t> start(n_cols + 1, 0);
    for (const auto &e : entries)
        ++start[e.first + 1];
    for (std::size_t c = 0; c < n_cols; ++c)
        start[c + 1] += start[c];
    std::vector<u32> cob(entries.size());
    {
        std::vector<std::size_t> at(start.begin(), start.end() - 1);
        for (const auto &e : entries)
            cob[at[e.first]++] = e.second;
    }
    entries = {};
    for (std::size_t c = 0; c < n_cols; ++c)
        std::sort(cob.begin() + static_cast<std::ptrdiff_t>(start[c]),
                  cob.begin() + static_cast<std::ptrdiff_t>(start[c + 1]));
    std::sort(crit_squares.begin(), crit_squares.end());
    // Cohomology on the Morse complex: positive critical edges in reverse order; a column's
    // pivot is its oldest critical square. Reduced columns are kept flat in `pool`.
    std::vector<u32> owner(ns, pivot_map::none);
    std::vector<std::pair<std::size_t, std::size_t>> span(n_cols); // reduced column in pool
    std::vector<u32> pool, col, tmp;
    for (std::size_t pi = n_cols; pi-- > 0;) {
        const u32 birth = static_cast<u32>(ce[positive[pi]].first >> 8);
        col.assign(cob.begin() + static_cast<std::ptrdiff_t>(start[pi]),
                   cob.begin() + static_cast<std::ptrdiff_t>(start[pi + 1]));
        bool paired = false;
        while (!col.empty()) {
            const u32 p = col.front();
            const u32 o = owner[p];
            if (o == pivot_map::none) {
                owner[p] = static_cast<u32>(pi);
                emit(birth, static_cast<u32>(crit_squares[p].first >> 8));
                span[pi] = {pool.size(), pool.size() + col.size()};
                pool.insert(pool.end(), col.begin(), col.end());
                paired = true;
                break;
            }
            const auto sp = span[o];
            tmp.clear();
            std::set_symmetric_difference(col.begin(), col.end(),
                                          pool.begin() + static_cast<std::ptrdiff_t>(sp.first),
                                          pool.begin() + static_cast<std::ptrdiff_t>(sp.second),
                                          std::back_inserter(tmp));
            col.swap(tmp);
        }
        if (!paired)
            emit(birth, no_rank);
    }
}

} // namespace detail

// One grid on its padded layout: key[q] is the sort key of padded cell q (equal keys = equal
// values; the filtration order is (key, index)), order[r] the cell of rank r, parent the
// union-find forest.
template <class T> struct cubical_workspace {
    using key_t = std::conditional_t<sizeof(T) == 4, detail::u32, detail::u64>;
    detail::padded_grid pg;
    std::vector<key_t> key;
    std::vector<detail::u32> order, parent;
    std::vector<keyed<key_t>> a, tmp;       // sort buffers
    detail::saddle_workspace<key_t> saddles; // 2D: link masks, saddle lists
    pairs_result top_out;                    // bars of the top dimension, before appending
    // Small grids: padded cell -> pixel index, kept while a batch has one shape, so that
    // reporting a bar is a load rather than two divisions.
    std::vector<detail::u32> pixel_of;
    grid_shape pixel_of_shape{0, 0, 0, 0};

    index_t pixel(detail::u32 q) const {
        return pixel_of.empty() ? pg.real_index(q) : static_cast<index_t>(pixel_of[q]);
    }

    // Fills key; with `sort`, also order.
    void build(const T *f, const grid_shape &g, bool superlevel, bool sort) {
        using detail::u32;
        pg = detail::padded_grid(g);
        const index_t n = g.size();
        const bool same = pixel_of_shape.n0 == g.n0 && pixel_of_shape.n1 == g.n1 &&
                          pixel_of_shape.n2 == g.n2 && pixel_of_shape.ndim == g.ndim;
        if (!same) {
            pixel_of.clear();
            pixel_of_shape = g;
            if (n <= (index_t{1} << 16)) {
                pixel_of.assign(static_cast<std::size_t>(pg.size()), 0);
                index_t p = 0;
                for (index_t x0 = 0; x0 < g.n0; ++x0)
                    for (index_t x1 = 0; x1 < g.n1; ++x1)
                        for (index_t x2 = 0; x2 < g.n2; ++x2, ++p)
                            pixel_of[static_cast<std::size_t>(
                                pg.first() + (x0 * pg.p1 + x1) * pg.p2 + x2)] = static_cast<u32>(p);
            }
        }
        // Padding keys are all ones, above every finite value's key.
        key.assign(static_cast<std::size_t>(pg.size()), std::numeric_limits<key_t>::max());
        parent.resize(static_cast<std::size_t>(pg.size()));
        // Keys from the values' bits, in place, by integer operations that vectorise; NaN and
        // infinite pixels (all exponent bits set) are looked for only if there is one.
        constexpr key_t exponent = sizeof(key_t) == 4 ? key_t(0x7F800000u)
                                                      : key_t(0x7FF0000000000000ull);
        const key_t flip = superlevel ? ~key_t(0) : key_t(0);
        key_t bad = 0;
        index_t i = 0;
        for (index_t x0 = 0; x0 < g.n0; ++x0)
            for (index_t x1 = 0; x1 < g.n1; ++x1) {
                key_t *row = key.data() + pg.first() + (x0 * pg.p1 + x1) * pg.p2;
                std::memcpy(row, f + i, static_cast<std::size_t>(g.n2) * sizeof(T));
                for (index_t x2 = 0; x2 < g.n2; ++x2) {
                    bad |= key_t((row[x2] & exponent) == exponent);
                    row[x2] = key_from_bits(row[x2], flip);
                }
                i += g.n2;
            }
        if (bad != 0)
            for (index_t j = 0; j < n; ++j)
                if (!std::isfinite(f[j]))
                    throw std::invalid_argument("x must be finite, but pixel " +
                                                std::to_string(j) + " is " +
                                                std::to_string(static_cast<double>(f[j])));
        if (!sort)
            return;
        a.resize(static_cast<std::size_t>(n));
        i = 0;
        for (index_t x0 = 0; x0 < g.n0; ++x0)
            for (index_t x1 = 0; x1 < g.n1; ++x1) {
                const index_t row = pg.first() + (x0 * pg.p1 + x1) * pg.p2;
                for (index_t x2 = 0; x2 < g.n2; ++x2, ++i)
                    a[static_cast<std::size_t>(i)] = {key[static_cast<std::size_t>(row + x2)],
                                                      static_cast<u32>(row + x2)};
            }
        if (n < 64)
            std::stable_sort(a.begin(), a.end(),
                             [](const auto &x, const auto &y) { return x.key < y.key; });
        else if (n < (index_t{1} << 16))
            radix_sort<8>(a, tmp, a.size());
        else
            radix_sort<11>(a, tmp, a.size());
        order.resize(static_cast<std::size_t>(n));
        for (index_t r = 0; r < n; ++r)
            order[static_cast<std::size_t>(r)] = a[static_cast<std::size_t>(r)].idx;
        if (n > (index_t{1} << 21)) { // very large grids: give the sort buffers back now
            a = {};
            tmp = {};
        }
    }

    // rank[q] of every padded cell (pad_rank for padding), for the cell-level 3D H1.
    std::vector<detail::u32> ranks() const {
        std::vector<detail::u32> rank(static_cast<std::size_t>(pg.size()), detail::pad_rank);
        for (std::size_t r = 0; r < order.size(); ++r)
            rank[order[r]] = static_cast<detail::u32>(r);
        return rank;
    }
};

// Persistence pairs of one grid f (row-major, shape g) as critical pixels (flat row-major
// indices), appended to `out`. Dimensions 0..min(max_dim, ndim - 1), grouped by dimension, the
// essential H0 class last in H0. Bars of zero length (equal birth and death values) are dropped
// unless keep_zero; pairs inside one pixel's star (the same critical pixel) are never reported.
// With inner_threads >= 2 the top dimension runs in a second thread, beside H0 (and 3D H1); the
// result is the same. `Out` is a pairs_result or any sink with push(dim, birth, death).
template <class T, class Out>
void cubical_pairs_into(Out &out, const T *f, const grid_shape &g, construction c,
                        int max_dim, bool superlevel, bool keep_zero, int inner_threads = 1) {
    using detail::u32;
    if (g.ndim != 2 && g.ndim != 3)
        throw std::invalid_argument("ndim must be 2 or 3");
    if (g.n0 < 1 || g.n1 < 1 || g.n2 < 1)
        throw std::invalid_argument("the grid must have at least one pixel");
    if (g.ndim == 2 && g.n0 != 1)
        throw std::invalid_argument("a 2D grid has n0 == 1");
    if (max_dim < 0)
        throw std::invalid_argument("max_dim must be >= 0");
    if ((g.n0 + 4) * (g.n1 + 4) * (g.n2 + 4) >=
        static_cast<index_t>(std::numeric_limits<u32>::max()))
        throw std::invalid_argument("the grid has too many pixels (at most about 2^32)");
    const index_t n = g.size();
    // Reused by the calls of one thread (a batch of small images allocates once per thread);
    // a grid of more than 2M cells has its memory released after the call (at most ~60 MB
    // stay cached per thread).
    thread_local cubical_workspace<T> ws_of_thread;
    cubical_workspace<T> &ws = ws_of_thread; // a reference, so a helper thread sees this one
    struct release {
        cubical_workspace<T> &w;
        ~release() {
            if (w.key.size() > (std::size_t{1} << 21))
                w = cubical_workspace<T>{};
        }
    } release_guard{ws};
    ws.build(f, g, superlevel, g.ndim == 3);
    const auto *key = ws.key.data();
    const bool large_grid = ws.pg.size() > (index_t{1} << 16); // beyond the L2 cache
    // Bars between padded cells b and k (k == no_rank: essential).
    auto emit_to = [&ws, key, keep_zero](auto &o, int d, u32 b, u32 k) {
        if (b == k)
            return; // a pair inside one pixel's star: not a bar between two pixels
        if (k == detail::no_rank)
            o.push(d, ws.pixel(b), no_death);
        else if (keep_zero || key[b] != key[k])
            o.push(d, ws.pixel(b), ws.pixel(k));
    };
    auto emit = [&](int d, u32 b, u32 k) { emit_to(out, d, b, k); };
    // The top dimension: in this thread after H0, or in a helper thread with its own forest.
    const bool top = max_dim >= g.ndim - 1;
    pairs_result &top_out = ws.top_out;
    top_out.dim.clear();
    top_out.birth.clear();
    top_out.death.clear();
    auto run_top = [&](u32 *parent) {
        auto em = [&](u32 b, u32 k) { emit_to(top_out, g.ndim - 1, b, k); };
        if (g.ndim == 2) {
            auto &buf = ws.saddles.bars_up;
            buf.resize(6 * ws.saddles.saddles.size() + 2);
            auto pass = [&](auto large) {
                return detail::saddle_pass<true, decltype(large)::value>(
                    ws.saddles.parent_up.data(), key, ws.saddles.lower.data(),
                    ws.saddles.saddles, ws.pg, detail::dual_kind(c), keep_zero, buf.data());
            };
            const std::size_t nb = large_grid ? pass(std::true_type{}) : pass(std::false_type{});
            top_out.dim.reserve(nb);
            top_out.birth.reserve(nb);
            top_out.death.reserve(nb);
            for (std::size_t i = 0; i < nb; ++i) // already filtered by length
                top_out.push(1, ws.pixel(buf[2 * i]), ws.pixel(buf[2 * i + 1]));
        } else
            detail::union_find_top(parent, key, ws.order.data(), n, ws.pg,
                                   detail::neighbour_offsets(ws.pg, detail::dual_kind(c)), em);
    };
    if (g.ndim == 2)
        detail::prepare_saddles(ws.saddles, ws.parent.data(), key, ws.pg, detail::primal_kind(c),
                                detail::dual_kind(c), top);
    // In this thread (no helper), a small 2D grid runs both passes at once.
    const bool top_here = top && inner_threads < 2;
    bool top_done = false;
    std::vector<u32> parent2;
    std::exception_ptr top_error;
    std::thread helper;
    struct joiner {
        std::thread &t;
        ~joiner() {
            if (t.joinable())
                t.join();
        }
    } join_guard{helper};
    if (top && inner_threads >= 2) {
        if (g.ndim == 3)
            parent2.resize(ws.parent.size());
        helper = std::thread([&] {
            try {
                run_top(parent2.data());
            } catch (...) {
                top_error = std::current_exception();
            }
        });
    }
    const bool h1_3d = g.ndim == 3 && max_dim >= 1;
    {
        detail::edge_bits neg;
        // Freudenthal: cohomology of the cell complex; V (and T, by duality): Morse complex.
        const bool cells = h1_3d && c == construction::freudenthal;
        if (cells)
            neg.reset(ws.pg.size(),
                      static_cast<index_t>(detail::half_offsets(3, detail::primal_kind(c)).size()));
        if (g.ndim == 2) {
            auto &buf = ws.saddles.bars_down;
            buf.resize(6 * ws.saddles.saddles.size() + 2);
            std::size_t nb = 0, nb_up = 0; // bars found below, and above if top_done
            if (top_here) { // both passes, the second only where the first left a run
                auto &buf_up = ws.saddles.bars_up;
                buf_up.resize(6 * ws.saddles.saddles.size() + 2);
                auto both = [&](auto first_up, auto large) {
                    return detail::saddle_passes_sequential<decltype(first_up)::value,
                                                            decltype(large)::value>(
                        ws.parent.data(), ws.saddles.parent_up.data(), key,
                        ws.saddles.lower.data(), ws.saddles.saddles, ws.pg, detail::primal_kind(c), detail::dual_kind(c), keep_zero, buf.data(),
                        buf_up.data(), ws.saddles.rest);
                };
                using yes = std::true_type;
                using no = std::false_type;
                const bool up_first = detail::dual_kind(c) == 0; // T: 4-adjacency above
                const auto counts = up_first ? (large_grid ? both(yes{}, yes{}) : both(yes{}, no{}))
                                             : (large_grid ? both(no{}, yes{}) : both(no{}, no{}));
                nb = counts.first;
                nb_up = counts.second;
                top_done = true;
            } else if (large_grid) {
                nb = detail::saddle_pass<false, true>(ws.parent.data(), key, ws.saddles.lower.data(),
                                                      ws.saddles.saddles, ws.pg,
                                                      detail::primal_kind(c), keep_zero, buf.data());
            } else {
                nb = detail::saddle_pass<false, false>(
                    ws.parent.data(), key, ws.saddles.lower.data(), ws.saddles.saddles,
                    ws.pg, detail::primal_kind(c), keep_zero, buf.data());
            }
            for (std::size_t i = 0; i < nb; ++i) // already filtered by length
                out.push(0, ws.pixel(buf[2 * i]), ws.pixel(buf[2 * i + 1]));
            // The essential class: born at the first cell, the root of the one tree left.
            emit(0, detail::find_root(ws.parent.data(), static_cast<u32>(ws.pg.first())),
                 detail::no_rank);
            const auto &buf_up = ws.saddles.bars_up;
            for (std::size_t i = 0; i < nb_up; ++i) // H1 found in this thread, after H0
                out.push(1, ws.pixel(buf_up[2 * i]), ws.pixel(buf_up[2 * i + 1]));
        } else
            detail::union_find_h0(ws.parent.data(), key, ws.order.data(), n, ws.pg.size(), ws.pg.p2,
                                  detail::neighbour_offsets(ws.pg, detail::primal_kind(c)),
                                  cells ? &neg : nullptr, [&](u32 b, u32 k) { emit(0, b, k); });
        if (h1_3d && c == construction::V) {
            const auto rank = ws.ranks();
            detail::morse_h1(ws.pg, rank.data(), [&](u32 b, u32 k) {
                emit(1, ws.order[b], k == detail::no_rank ? k : ws.order[k]);
            });
        } else if (cells) {
            const auto rank = ws.ranks();
            detail::vertex_h1(c, ws.pg, rank.data(), ws.order.data(), n, neg, [&](u32 b, u32 k) {
                emit(1, ws.order[b], k == detail::no_rank ? k : ws.order[k]);
            });
        } else if (h1_3d) {
            // T by duality: H1 of the T-construction is H1 of the V-construction of the
            // complement (reverse order) on the grid grown by one layer of outside voxels, which
            // enter first; each dual pair (a, b) is the primal pair (b, a).
            const auto rank = ws.ranks();
            const grid_shape gd{g.n0 + 2, g.n1 + 2, g.n2 + 2, 3};
            const detail::padded_grid pd(gd);
            const index_t nd_cells = gd.size(), n_out = nd_cells - n;
            std::vector<u32> drank(static_cast<std::size_t>(pd.size()), detail::pad_rank);
            u32 next_out = 0;
            for (index_t a = 0; a < gd.n0; ++a)
                for (index_t b = 0; b < gd.n1; ++b)
                    for (index_t d = 0; d < gd.n2; ++d) {
                        const index_t qd = pd.first() + (a * pd.p1 + b) * pd.p2 + d;
                        u32 rd;
                        if (a == 0 || b == 0 || d == 0 || a == gd.n0 - 1 || b == gd.n1 - 1 ||
                            d == gd.n2 - 1) {
                            rd = next_out++;
                        } else {
                            const index_t q =
                                ws.pg.first() + ((a - 1) * ws.pg.p1 + (b - 1)) * ws.pg.p2 + (d - 1);
                            rd = static_cast<u32>(n_out +
                                                  (n - 1 - rank[static_cast<std::size_t>(q)]));
                        }
                        drank[static_cast<std::size_t>(qd)] = rd;
                    }
            const u32 nn = static_cast<u32>(n), no = static_cast<u32>(n_out);
            detail::morse_h1(
                pd, drank.data(),
                [&](u32 a, u32 b) {
                    if (a < no || b == detail::no_rank || b < no)
                        return;
                    emit(1, ws.order[nn - 1 - (b - no)], ws.order[nn - 1 - (a - no)]);
                },
                no);
        }
    }
    if (helper.joinable()) {
        helper.join();
        if (top_error)
            std::rethrow_exception(top_error);
    } else if (top && !top_done) {
        run_top(ws.parent.data());
    }
    for (std::size_t i = 0; i < top_out.size(); ++i)
        out.push(top_out.dim[i], top_out.birth[i], top_out.death[i]);
}

// The pairs of one grid, as cubical_pairs_into.
template <class T>
pairs_result cubical_pairs(const T *f, const grid_shape &g, construction c, int max_dim,
                           bool superlevel, bool keep_zero, int inner_threads = 1) {
    pairs_result out;
    cubical_pairs_into(out, f, g, c, max_dim, superlevel, keep_zero, inner_threads);
    return out;
}

} // namespace topolayer
