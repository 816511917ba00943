// Implicit grids for the cubical algorithms: the three constructions (V, T, Freudenthal), the
// shape of a grid, and the padded layout (one layer of padding on every active axis) in which
// every pixel has its whole neighbourhood, with the flat offsets of the neighbourhoods: 4 / 6
// axis, 8 / 26 full, 6 / 14 Freudenthal edges (Kuhn triangulation). Flat indices fit in 32
// bits (the driver checks the size). Cells are totally ordered by (value, flat index). Also the
// pieces the algorithms share: the union-find's find (path halving), prefetching, edge bit sets.
#pragma once

#include <algorithm>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "../interrupt.hpp"
#include "../types.hpp"

namespace topolayer {

enum class construction { freudenthal = 0, V = 1, T = 2 };

inline construction parse_construction(const std::string& s) {
    if (s == "freudenthal") return construction::freudenthal;
    if (s == "V") return construction::V;
    if (s == "T") return construction::T;
    throw std::invalid_argument("construction must be 'freudenthal', 'V' or 'T', got '" + s + "'");
}

// Shape of one grid. 2D grids are n0 == 1 with ndim == 2 (the first axis is inactive).
struct grid_shape {
    index_t n0 = 1, n1 = 1, n2 = 1;
    int ndim = 2;
    index_t size() const { return n0 * n1 * n2; }
};

// The grid of a row-major shape of 2 or 3 entries (the caller checks the count).
inline grid_shape grid_shape_of(const std::vector<index_t>& shape) {
    grid_shape g;
    g.ndim = static_cast<int>(shape.size());
    g.n0 = g.ndim == 3 ? shape[0] : 1;
    g.n1 = shape[shape.size() - 2];
    g.n2 = shape[shape.size() - 1];
    return g;
}

namespace detail {

using u32 = std::uint32_t;
using u64 = std::uint64_t;

inline constexpr u32 pad_rank = 0xFFFFFFFFu;  // rank of padding cells: after every pixel
inline constexpr u32 no_rank = 0xFFFFFFFFu;   // death of an essential class

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
        if (kind == 1) out.insert(out.end(), {{0, 1, 1}, {0, 1, -1}});
        if (kind == 2) out.push_back({0, 1, 1});
        return out;
    }
    if (kind == 0) return {{0, 0, 1}, {0, 1, 0}, {1, 0, 0}};
    if (kind == 1) {
        for (int a = -1; a <= 1; ++a)
            for (int b = -1; b <= 1; ++b)
                for (int c = -1; c <= 1; ++c)
                    if (a > 0 || (a == 0 && b > 0) || (a == 0 && b == 0 && c > 0)) out.push_back({a, b, c});
        return out;
    }
    for (int m = 1; m < 8; ++m) out.push_back({(m >> 2) & 1, (m >> 1) & 1, m & 1});
    return out;
}

// A grid with one layer of padding on every active axis, and flat indices into it.
struct padded_grid {
    index_t n0 = 1, n1 = 1, n2 = 1, p0 = 1, p1 = 1, p2 = 1;
    int ndim = 2;
    padded_grid() = default;
    explicit padded_grid(const grid_shape& g)
        : n0(g.n0), n1(g.n1), n2(g.n2), p0(g.ndim == 3 ? g.n0 + 2 : 1), p1(g.n1 + 2), p2(g.n2 + 2), ndim(g.ndim),
          inv_p1(1.0 / static_cast<double>(p1)), inv_p2(1.0 / static_cast<double>(p2)) {}
    index_t size() const { return p0 * p1 * p2; }
    index_t real_size() const { return n0 * n1 * n2; }
    index_t flat(const offset3& o) const { return (o.d0 * p1 + o.d1) * p2 + o.d2; }
    index_t first() const { return ((ndim == 3 ? 1 : 0) * p1 + 1) * p2 + 1; }  // padded index of pixel 0
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
inline std::vector<index_t> neighbour_offsets(const padded_grid& pg, int kind) {
    std::vector<index_t> out;
    for (const auto& o : half_offsets(pg.ndim, kind)) {
        out.push_back(pg.flat(o));
        out.push_back(-pg.flat(o));
    }
    return out;
}

// Linear passes poll for an interrupt once per poll_cells cells: per row (of `width` cells) a
// countdown from poll_rows(width), or per block of that many cells in flat loops.
inline constexpr index_t poll_cells = index_t{1} << 16;
inline interrupt_countdown poll_rows(index_t width) {
    return interrupt_countdown(static_cast<unsigned>(std::max<index_t>(1, poll_cells / std::max<index_t>(1, width))));
}

// Pixels are visited in value order, i.e. at random places: fetching the neighbourhood of the
// pixel a few steps ahead hides most of the memory latency.
inline constexpr index_t prefetch_distance = 12;
inline void prefetch_rows(const u32* parent, index_t q, const std::vector<index_t>& rows) {
#if defined(__GNUC__) || defined(__clang__)
    for (index_t o : rows) __builtin_prefetch(parent + q + o, 1, 1);
#else
    (void)parent;
    (void)q;
    (void)rows;
#endif
}
// The rows (offsets of the centre column) that a neighbourhood touches; p2 >= 3 is the padded
// row length, so every neighbour offset is within one column of a multiple of p2.
inline std::vector<index_t> neighbour_rows(const std::vector<index_t>& nb, index_t p2) {
    std::vector<index_t> rows{0};
    for (index_t o : nb) {
        index_t r = o >= 0 ? (o + 1) / p2 : -((-o + 1) / p2);
        r *= p2;
        if (std::find(rows.begin(), rows.end(), r) == rows.end()) rows.push_back(r);
    }
    return rows;
}

// The lower link of each of m consecutive vertices r[0..m) of a row (m <= lower_link_run), for
// the lower-star gradients (morse_h1.hpp, morse_freudenthal.hpp): with neighbours at offsets
// nb, lower[j] gets bit k when neighbour k is lower than vertex j, and lowest[j] the lowest of
// the lower neighbours among the first n_min (0 when none is). Loops over the run with no
// branch, which the compiler vectorises: the comparisons are data-dependent, and as branches
// would be mispredicted about half the time. Each loop stays out of line: inlined into the
// caller's loop nest, GCC no longer vectorises it.
#if defined(__GNUC__)
#define TOPOLAYER_NOINLINE __attribute__((noinline))
#else
#define TOPOLAYER_NOINLINE
#endif
inline constexpr index_t lower_link_run = 64;

template <u32 i>
TOPOLAYER_NOINLINE void lower_link_min(const u32* __restrict r, const index_t* nb, index_t m, u32* __restrict lower,
                                       u32* __restrict best, u32* __restrict lowest) {
    const u32* __restrict a = r + nb[i];
    for (index_t j = 0; j < m; ++j) {
        const u32 x = a[j];
        const u32 below = static_cast<u32>(x < r[j]);
        lower[j] = i == 0 ? below : lower[j] | (below << i);
        const u32 b = i == 0 ? r[j] : best[j];
        const bool better = x < b;
        best[j] = better ? x : b;
        lowest[j] = better ? i : (i == 0 ? 0 : lowest[j]);
    }
}

template <u32 k>
TOPOLAYER_NOINLINE void lower_link_four(const u32* __restrict r, const index_t* nb, index_t m, u32* __restrict lower) {
    const u32* __restrict a = r + nb[k];
    const u32* __restrict b = r + nb[k + 1];
    const u32* __restrict c = r + nb[k + 2];
    const u32* __restrict d = r + nb[k + 3];
    for (index_t j = 0; j < m; ++j) {
        const u32 x = r[j];
        lower[j] |= (static_cast<u32>(a[j] < x) << k) | (static_cast<u32>(b[j] < x) << (k + 1)) |
                    (static_cast<u32>(c[j] < x) << (k + 2)) | (static_cast<u32>(d[j] < x) << (k + 3));
    }
}

template <u32 n_min, u32... I, u32... F>
void lower_link_all(const u32* r, const index_t* nb, index_t m, u32* lower, u32* lowest,
                    std::integer_sequence<u32, I...>, std::integer_sequence<u32, F...>) {
    u32 best[lower_link_run];
    (lower_link_min<I>(r, nb, m, lower, best, lowest), ...);
    (lower_link_four<n_min + 4 * F>(r, nb, m, lower), ...);
}

template <u32 n_min, u32 n_all>
void lower_link(const u32* r, const index_t* nb, index_t m, u32* lower, u32* lowest) {
    static_assert(n_min >= 1 && n_all >= n_min && (n_all - n_min) % 4 == 0 && n_all <= 32);
    lower_link_all<n_min>(r, nb, m, lower, lowest, std::make_integer_sequence<u32, n_min>{},
                          std::make_integer_sequence<u32, (n_all - n_min) / 4>{});
}

inline u32 find_root(u32* parent, u32 x) {
    while (parent[x] != x) {
        parent[x] = parent[parent[x]];
        x = parent[x];
    }
    return x;
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

inline int primal_kind(construction c) { return c == construction::V ? 0 : c == construction::T ? 1 : 2; }
inline int dual_kind(construction c) { return c == construction::V ? 1 : c == construction::T ? 0 : 2; }

}  // namespace detail

}  // namespace topolayer
