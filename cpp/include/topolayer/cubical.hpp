// Level-set persistence of 2D images and 3D volumes on implicit grids (V, T, Freudenthal).
//
// Pixels are totally ordered by (value, flat index) after one sort (LSD radix, O(N)). H0 is
// union-find over pixels in that order with the construction's primal adjacency (elder rule);
// the top dimension is union-find over pixels in reverse order with the dual adjacency plus one
// "outside" node (Alexander duality; Bleile, Garin, Heiss, Maggs & Robins 2022 for V/T). 3D H1
// is cohomology of the implicit cell complex with clearing by the H0 pairs and apparent pairs
// (Kaji, Sudo & Ahara 2020). Results are pairs of critical pixels; near-linear time and memory.
#pragma once

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <stdexcept>
#include <string>
#include <unordered_map>
#include <vector>

#include "types.hpp"

namespace topolayer {

enum class construction { freudenthal = 0, V = 1, T = 2 };

inline construction parse_construction(const std::string& s) {
    if (s == "freudenthal") return construction::freudenthal;
    if (s == "V") return construction::V;
    if (s == "T") return construction::T;
    throw std::invalid_argument("construction must be 'freudenthal', 'V' or 'T', got '" + s + "'");
}

// Shape of one grid. 2D grids are stored as n0 == 1 with ndim == 2 (the first axis inactive).
struct grid_shape {
    index_t n0 = 1, n1 = 1, n2 = 1;
    int ndim = 2;
    index_t size() const { return n0 * n1 * n2; }
};

namespace detail {

using u32 = std::uint32_t;
using u64 = std::uint64_t;

struct offset3 {
    int d0, d1, d2;
};

// Neighbourhoods (one half; the other half is the negation). "axis": 4 / 6 neighbours,
// "full": 8 / 26, "freud": the edges of the Freudenthal (Kuhn) triangulation, 6 / 14.
inline std::vector<offset3> half_offsets(int ndim, int kind) {
    std::vector<offset3> out;
    if (ndim == 2) {
        out.push_back({0, 0, 1});
        out.push_back({0, 1, 0});
        if (kind == 1) {
            out.push_back({0, 1, 1});
            out.push_back({0, 1, -1});
        } else if (kind == 2) {
            out.push_back({0, 1, 1});
        }
        return out;
    }
    if (kind == 0) {
        out = {{0, 0, 1}, {0, 1, 0}, {1, 0, 0}};
    } else if (kind == 1) {
        for (int a = -1; a <= 1; ++a)
            for (int b = -1; b <= 1; ++b)
                for (int c = -1; c <= 1; ++c) {
                    // keep the lexicographically positive half
                    if (a > 0 || (a == 0 && b > 0) || (a == 0 && b == 0 && c > 0)) out.push_back({a, b, c});
                }
    } else {
        for (int m = 1; m < 8; ++m) out.push_back({(m >> 2) & 1, (m >> 1) & 1, m & 1});
    }
    return out;
}

// Full neighbourhood (both halves) with flat offsets for interior pixels.
struct neighbourhood {
    std::vector<offset3> off;
    std::vector<index_t> flat;
    neighbourhood(const grid_shape& g, int kind) {
        for (const auto& o : half_offsets(g.ndim, kind)) {
            off.push_back(o);
            off.push_back({-o.d0, -o.d1, -o.d2});
        }
        for (const auto& o : off) flat.push_back((o.d0 * g.n1 + o.d1) * g.n2 + o.d2);
    }
};

// Order-preserving unsigned keys of floating-point values (-0.0 and +0.0 map to one key).
inline u32 float_key(float x) {
    if (x == 0.0f) x = 0.0f;
    u32 u;
    std::memcpy(&u, &x, sizeof u);
    return (u & 0x80000000u) ? ~u : (u | 0x80000000u);
}
inline u64 float_key(double x) {
    if (x == 0.0) x = 0.0;
    u64 u;
    std::memcpy(&u, &x, sizeof u);
    return (u & 0x8000000000000000ull) ? ~u : (u | 0x8000000000000000ull);
}

template <class K>
struct keyed {
    K key;
    u32 idx;
};

// Stable LSD radix sort of records by key (11-bit digits; passes where every key shares the
// digit are skipped). Records start in index order, so ties stay in index order.
template <class K>
void radix_sort(std::vector<keyed<K>>& a, std::vector<keyed<K>>& tmp) {
    const std::size_t n = a.size();
    constexpr int bits = 11;
    constexpr int n_passes = (8 * static_cast<int>(sizeof(K)) + bits - 1) / bits;
    constexpr std::size_t buckets = std::size_t{1} << bits;
    std::vector<std::size_t> count(buckets * n_passes, 0);
    for (std::size_t i = 0; i < n; ++i) {
        K k = a[i].key;
        for (int p = 0; p < n_passes; ++p) ++count[p * buckets + static_cast<std::size_t>((k >> (p * bits)) & (buckets - 1))];
    }
    tmp.resize(n);
    for (int p = 0; p < n_passes; ++p) {
        std::size_t* c = count.data() + p * buckets;
        const std::size_t first = static_cast<std::size_t>((a[0].key >> (p * bits)) & (buckets - 1));
        if (c[first] == n) continue;  // all keys share this digit
        std::size_t sum = 0;
        for (std::size_t b = 0; b < buckets; ++b) {
            std::size_t t = c[b];
            c[b] = sum;
            sum += t;
        }
        for (std::size_t i = 0; i < n; ++i) {
            const auto d = static_cast<std::size_t>((a[i].key >> (p * bits)) & (buckets - 1));
            tmp[c[d]++] = a[i];
        }
        a.swap(tmp);
    }
}

inline u32 find_root(u32* parent, u32 x) {
    while (parent[x] != x) {
        parent[x] = parent[parent[x]];
        x = parent[x];
    }
    return x;
}

}  // namespace detail

// The pixel order of one grid: order[r] is the pixel of rank r, rank[p] the rank of pixel p,
// and same_value(r, s) tells whether ranks r and s carry equal values.
template <class T>
struct pixel_order {
    using key_t = std::conditional_t<sizeof(T) == 4, detail::u32, detail::u64>;
    std::vector<detail::u32> order, rank;
    std::vector<key_t> key;  // key[r]: the sort key of rank r

    void build(const T* f, index_t n, bool superlevel) {
        std::vector<detail::keyed<key_t>> a(static_cast<std::size_t>(n)), tmp;
        for (index_t i = 0; i < n; ++i) {
            if (!std::isfinite(f[i]))
                throw std::invalid_argument("x must be finite, but pixel " + std::to_string(i) + " is " +
                                            std::to_string(static_cast<double>(f[i])));
            key_t k = detail::float_key(f[i]);
            a[static_cast<std::size_t>(i)] = {superlevel ? static_cast<key_t>(~k) : k, static_cast<detail::u32>(i)};
        }
        if (n <= 1024)
            std::sort(a.begin(), a.end(), [](const auto& x, const auto& y) {
                return x.key < y.key || (x.key == y.key && x.idx < y.idx);
            });
        else
            detail::radix_sort(a, tmp);
        tmp.clear();
        tmp.shrink_to_fit();
        order.resize(static_cast<std::size_t>(n));
        rank.resize(static_cast<std::size_t>(n));
        key.resize(static_cast<std::size_t>(n));
        for (index_t r = 0; r < n; ++r) {
            const auto& e = a[static_cast<std::size_t>(r)];
            order[static_cast<std::size_t>(r)] = e.idx;
            key[static_cast<std::size_t>(r)] = e.key;
            rank[e.idx] = static_cast<detail::u32>(r);
        }
    }
    bool same_value(detail::u32 r, detail::u32 s) const { return key[r] == key[s]; }
};

namespace detail {

// Calls fn(rank of neighbour) for each in-grid neighbour of pixel p, and returns whether p lies
// on the border of the grid (touches the outside).
template <class Fn>
inline bool for_neighbours(const grid_shape& g, const neighbourhood& nb, const u32* rank, index_t p, Fn&& fn) {
    const index_t i2 = p % g.n2;
    const index_t q = p / g.n2;
    const index_t i1 = q % g.n1;
    const index_t i0 = q / g.n1;
    const bool border = i2 == 0 || i2 == g.n2 - 1 || i1 == 0 || i1 == g.n1 - 1 ||
                        (g.ndim == 3 && (i0 == 0 || i0 == g.n0 - 1));
    const bool inner = i2 > 0 && i2 < g.n2 - 1 && i1 > 0 && i1 < g.n1 - 1 && (g.ndim == 2 || (i0 > 0 && i0 < g.n0 - 1));
    const std::size_t m = nb.flat.size();
    if (inner) {
        for (std::size_t j = 0; j < m; ++j) fn(rank[p + nb.flat[j]]);
    } else {
        for (std::size_t j = 0; j < m; ++j) {
            const auto& o = nb.off[j];
            const index_t a = i0 + o.d0, b = i1 + o.d1, c = i2 + o.d2;
            if (a < 0 || a >= g.n0 || b < 0 || b >= g.n1 || c < 0 || c >= g.n2) continue;
            fn(rank[p + nb.flat[j]]);
        }
    }
    return border;
}

inline int primal_kind(construction c) { return c == construction::V ? 0 : c == construction::T ? 1 : 2; }
inline int dual_kind(construction c) { return c == construction::V ? 1 : c == construction::T ? 0 : 2; }

}  // namespace detail

// Working memory of one grid, reusable across calls of the same thread.
template <class T>
struct cubical_workspace {
    pixel_order<T> po;
    std::vector<detail::u32> parent;
};

// H0 pairs (birth rank, death rank) by union-find in pixel order with the primal adjacency.
// `emit(d, birth_rank, death_rank_or_npos)` receives each bar.
template <class T, class Emit>
void cubical_h0(const grid_shape& g, construction c, cubical_workspace<T>& ws, Emit&& emit) {
    using detail::u32;
    const index_t n = g.size();
    const detail::neighbourhood nb(g, detail::primal_kind(c));
    auto& parent = ws.parent;
    parent.resize(static_cast<std::size_t>(n + 1));
    u32* par = parent.data();
    const u32* rank = ws.po.rank.data();
    for (u32 r = 0; r < static_cast<u32>(n); ++r) {
        const index_t p = ws.po.order[r];
        par[r] = r;
        u32 root = r;
        detail::for_neighbours(g, nb, rank, p, [&](u32 rn) {
            if (rn > r) return;
            const u32 x = detail::find_root(par, rn);
            if (root == r) {
                par[r] = x;
                root = x;
            } else if (x != root) {
                const u32 young = std::max(x, root), old = std::min(x, root);
                par[young] = old;
                emit(0, young, r);
                root = old;
            }
        });
    }
    if (n > 0) emit(0, 0u, std::numeric_limits<u32>::max());
}

// Top-dimensional pairs by union-find in reverse pixel order with the dual adjacency and an
// outside node (rank n, the eldest). A complement component born at its last pixel q dies into
// an elder one at pixel r: the primal class is born at r and dies at q.
template <class T, class Emit>
void cubical_top(const grid_shape& g, construction c, cubical_workspace<T>& ws, Emit&& emit) {
    using detail::u32;
    const index_t n = g.size();
    const detail::neighbourhood nb(g, detail::dual_kind(c));
    auto& parent = ws.parent;
    parent.resize(static_cast<std::size_t>(n + 1));
    u32* par = parent.data();
    const u32* rank = ws.po.rank.data();
    const u32 outside = static_cast<u32>(n);
    par[outside] = outside;
    for (index_t rr = n - 1; rr >= 0; --rr) {
        const u32 r = static_cast<u32>(rr);
        const index_t p = ws.po.order[r];
        par[r] = r;
        u32 root = r;
        auto join = [&](u32 rn) {
            if (rn < r) return;
            const u32 x = detail::find_root(par, rn);
            if (root == r) {
                par[r] = x;
                root = x;
            } else if (x != root) {
                const u32 young = std::min(x, root), old = std::max(x, root);
                par[young] = old;
                emit(g.ndim - 1, r, young);
                root = old;
            }
        };
        const bool border = detail::for_neighbours(g, nb, rank, p, join);
        if (border) join(outside);
    }
}


namespace detail {

// Cells of dimension 1 and 2 of a vertex-based 3D construction (V or Freudenthal), as vertex
// offsets from the cell's lowest corner, and for each edge type the 2-cells that contain it.
struct vertex_cells {
    std::vector<offset3> edge;                             // edge types {0, edge[j]}
    std::vector<std::vector<offset3>> face;                // 2-cell types: vertex offsets
    std::vector<std::vector<std::pair<int, int>>> face_edges;  // vertex pairs that are edges
    std::vector<std::vector<std::pair<int, offset3>>> cof;     // per edge type: (face type, shift)

    explicit vertex_cells(construction c) {
        const bool cube = c == construction::V;
        edge = half_offsets(3, cube ? 0 : 2);
        auto bit = [](int m) { return offset3{(m >> 2) & 1, (m >> 1) & 1, m & 1}; };
        auto add = [](offset3 a, offset3 b) { return offset3{a.d0 + b.d0, a.d1 + b.d1, a.d2 + b.d2}; };
        if (cube) {
            for (int a = 0; a < 3; ++a)
                for (int b = a + 1; b < 3; ++b) {
                    const offset3 ea = bit(4 >> a), eb = bit(4 >> b);
                    face.push_back({{0, 0, 0}, ea, eb, add(ea, eb)});
                    face_edges.push_back({{0, 1}, {0, 2}, {1, 3}, {2, 3}});
                }
        } else {
            for (int al = 1; al < 8; ++al)
                for (int be = 1; be < 8; ++be) {
                    if (al & be) continue;
                    face.push_back({{0, 0, 0}, bit(al), bit(al | be)});
                    face_edges.push_back({{0, 1}, {1, 2}, {0, 2}});
                }
        }
        cof.resize(edge.size());
        for (std::size_t t = 0; t < face.size(); ++t)
            for (const auto& e : face_edges[t]) {
                const offset3 lo = face[t][static_cast<std::size_t>(e.first)];
                const offset3 hi = face[t][static_cast<std::size_t>(e.second)];
                const offset3 d{hi.d0 - lo.d0, hi.d1 - lo.d1, hi.d2 - lo.d2};
                for (std::size_t j = 0; j < edge.size(); ++j)
                    if (edge[j].d0 == d.d0 && edge[j].d1 == d.d1 && edge[j].d2 == d.d2)
                        cof[j].push_back({static_cast<int>(t), lo});
            }
    }
};

// Filtration key of a 2-cell: its three largest vertex ranks, descending. It identifies the
// cell, and orders 2-cells by (rank of the critical vertex, ...), a refinement of the
// (value, dimension, index) order.
struct key2 {
    u64 a;  // (largest rank << 32) | second largest
    u32 b;  // third largest
    bool operator<(const key2& o) const { return a < o.a || (a == o.a && b < o.b); }
    bool operator==(const key2& o) const { return a == o.a && b == o.b; }
    u32 top() const { return static_cast<u32>(a >> 32); }
};
struct key2_hash {
    std::size_t operator()(const key2& k) const {
        u64 h = k.a * 0x9E3779B97F4A7C15ull ^ (static_cast<u64>(k.b) + 0x632BE59BD9B4E019ull);
        h ^= h >> 29;
        return static_cast<std::size_t>(h * 0xBF58476D1CE4E5B9ull);
    }
};

struct coord3 {
    index_t i0, i1, i2;
};
inline coord3 coords(const grid_shape& g, index_t p) {
    return {p / (g.n1 * g.n2), (p / g.n2) % g.n1, p % g.n2};
}

// Lower edges of pixel p (those whose other end has a smaller rank), sorted by that rank:
// descending when `descending`, else ascending. Each is (other rank, low corner, edge type).
struct lower_edge {
    u32 other;
    index_t low;
    int type;
};
inline void lower_edges(const grid_shape& g, const vertex_cells& cells, const u32* rank, index_t p, u32 r,
                        bool descending, std::vector<lower_edge>& out) {
    out.clear();
    const coord3 c = coords(g, p);
    for (std::size_t j = 0; j < cells.edge.size(); ++j) {
        const offset3& o = cells.edge[j];
        for (int sgn = 1; sgn >= -1; sgn -= 2) {
            const index_t a = c.i0 + sgn * o.d0, b = c.i1 + sgn * o.d1, d = c.i2 + sgn * o.d2;
            if (a < 0 || a >= g.n0 || b < 0 || b >= g.n1 || d < 0 || d >= g.n2) continue;
            const index_t q = (a * g.n1 + b) * g.n2 + d;
            const u32 rq = rank[q];
            if (rq >= r) continue;
            out.push_back({rq, sgn > 0 ? p : q, static_cast<int>(j)});
        }
    }
    if (descending)
        std::sort(out.begin(), out.end(), [](const lower_edge& x, const lower_edge& y) { return x.other > y.other; });
    else
        std::sort(out.begin(), out.end(), [](const lower_edge& x, const lower_edge& y) { return x.other < y.other; });
}

// 3D H1 of a vertex-based construction (V or Freudenthal) on grid g with the pixel order
// (order, rank): persistent cohomology of the coboundary 1 -> 2, columns (edges) in reverse
// filtration order, edges that kill an H0 class cleared (found by a cell-level union-find),
// apparent pairs taken without reduction. emit(birth rank, death rank or u32 max).
template <class Emit>
void vertex_h1(const grid_shape& g, construction c, const u32* order, const u32* rank, Emit&& emit) {
    const index_t n = g.size();
    const vertex_cells cells(c);
    const index_t n_types = static_cast<index_t>(cells.edge.size());
    // Cell-level H0: which edges are negative (kill a component), edges in filtration order.
    std::vector<bool> negative(static_cast<std::size_t>(n * n_types), false);
    std::vector<lower_edge> le;
    {
        std::vector<u32> par(static_cast<std::size_t>(n));
        for (u32 r = 0; r < static_cast<u32>(n); ++r) {
            par[r] = r;
            lower_edges(g, cells, rank, order[r], r, false, le);
            for (const auto& e : le) {
                const u32 x = find_root(par.data(), e.other), y = find_root(par.data(), r);
                if (x == y) continue;
                par[std::max(x, y)] = std::min(x, y);
                negative[static_cast<std::size_t>(e.low * n_types + e.type)] = true;
            }
        }
    }
    struct stored {
        index_t low;
        int type;
        std::vector<key2> col;  // empty: the raw coboundary of edge (low, type)
    };
    std::vector<stored> columns;
    std::unordered_map<key2, u32, key2_hash> owner;
    std::vector<key2> col, other, tmp;

    auto coboundary = [&](index_t low, int type, std::vector<key2>& out, key2* max_facet_of_min) {
        out.clear();
        const coord3 u = coords(g, low);
        key2 best{~u64{0}, ~u32{0}};
        u64 best_facet = 0;
        for (const auto& ts : cells.cof[static_cast<std::size_t>(type)]) {
            const auto& verts = cells.face[static_cast<std::size_t>(ts.first)];
            const index_t b0 = u.i0 - ts.second.d0, b1 = u.i1 - ts.second.d1, b2 = u.i2 - ts.second.d2;
            std::array<u32, 4> rk{};
            bool inside = true;
            for (std::size_t v = 0; v < verts.size(); ++v) {
                const index_t a = b0 + verts[v].d0, b = b1 + verts[v].d1, d = b2 + verts[v].d2;
                if (a < 0 || a >= g.n0 || b < 0 || b >= g.n1 || d < 0 || d >= g.n2) {
                    inside = false;
                    break;
                }
                rk[v] = rank[(a * g.n1 + b) * g.n2 + d];
            }
            if (!inside) continue;
            std::array<u32, 4> s = rk;
            std::sort(s.begin(), s.begin() + static_cast<std::ptrdiff_t>(verts.size()), std::greater<u32>());
            const key2 k{(static_cast<u64>(s[0]) << 32) | s[1], s[2]};
            out.push_back(k);
            if (max_facet_of_min && k < best) {
                best = k;
                best_facet = 0;
                for (const auto& fe : cells.face_edges[static_cast<std::size_t>(ts.first)]) {
                    const u32 x = rk[static_cast<std::size_t>(fe.first)], y = rk[static_cast<std::size_t>(fe.second)];
                    best_facet = std::max(best_facet, (static_cast<u64>(std::max(x, y)) << 32) | std::min(x, y));
                }
            }
        }
        std::sort(out.begin(), out.end());
        if (max_facet_of_min) max_facet_of_min->a = best_facet;
    };

    for (index_t rr = n - 1; rr >= 0; --rr) {
        const u32 r = static_cast<u32>(rr);
        lower_edges(g, cells, rank, order[r], r, true, le);
        for (const auto& e : le) {
            if (negative[static_cast<std::size_t>(e.low * n_types + e.type)]) continue;
            key2 facet{0, 0};
            coboundary(e.low, e.type, col, &facet);
            const u64 ekey = (static_cast<u64>(r) << 32) | e.other;
            if (!col.empty() && facet.a == ekey && owner.find(col.front()) == owner.end()) {
                owner.emplace(col.front(), static_cast<u32>(columns.size()));
                columns.push_back({e.low, e.type, {}});
                emit(r, col.front().top());
                continue;
            }
            bool modified = false;
            while (!col.empty()) {
                auto it = owner.find(col.front());
                if (it == owner.end()) break;
                const stored& s = columns[it->second];
                const std::vector<key2>* add = &s.col;
                if (s.col.empty()) {
                    coboundary(s.low, s.type, other, nullptr);
                    add = &other;
                }
                tmp.clear();
                std::set_symmetric_difference(col.begin(), col.end(), add->begin(), add->end(), std::back_inserter(tmp));
                col.swap(tmp);
                modified = true;
            }
            if (col.empty()) {
                emit(r, std::numeric_limits<u32>::max());
                continue;
            }
            owner.emplace(col.front(), static_cast<u32>(columns.size()));
            columns.push_back({e.low, e.type, modified ? col : std::vector<key2>{}});
            emit(r, col.front().top());
        }
    }
}

}  // namespace detail

// Persistence pairs of one grid f (row-major, shape g) as critical pixels. Dimensions
// 0..min(max_dim, ndim - 1); bars are grouped by dimension, H0 deaths in pixel order with the
// essential class last. Zero-length bars (equal birth and death values) are dropped unless
// keep_zero; pairs internal to one pixel's star are never reported.
template <class T>
pairs_result cubical_pairs(const T* f, const grid_shape& g, construction c, int max_dim, bool superlevel,
                           bool keep_zero) {
    using detail::u32;
    if (g.ndim != 2 && g.ndim != 3) throw std::invalid_argument("ndim must be 2 or 3");
    if (g.n0 < 1 || g.n1 < 1 || g.n2 < 1) throw std::invalid_argument("the grid must have at least one pixel");
    if (g.ndim == 2 && g.n0 != 1) throw std::invalid_argument("a 2D grid has n0 == 1");
    if (max_dim < 0) throw std::invalid_argument("max_dim must be >= 0");
    const index_t n = g.size();
    if (n >= static_cast<index_t>(std::numeric_limits<u32>::max()) - (g.n0 + 2) * (g.n1 + 2) * (g.n2 + 2))
        throw std::invalid_argument("the grid has too many pixels (at most 2^32 - 2)");
    cubical_workspace<T> ws;
    ws.po.build(f, n, superlevel);
    const auto& order = ws.po.order;
    pairs_result out;
    auto emit = [&](int d, u32 b, u32 k) {
        if (k == std::numeric_limits<u32>::max()) {
            out.push(d, order[b], no_death);
            return;
        }
        if (!keep_zero && ws.po.same_value(b, k)) return;
        out.push(d, order[b], order[k]);
    };
    cubical_h0(g, c, ws, emit);
    if (g.ndim == 3 && max_dim >= 1) {
        if (c != construction::T) {
            detail::vertex_h1(g, c, ws.po.order.data(), ws.po.rank.data(),
                              [&](u32 b, u32 k) { emit(1, b, k); });
        } else {
            // T by duality: H1 of the T-construction is H1 of the V-construction of the
            // complement (reverse order) on the grid padded by one layer of outside voxels,
            // which enter first; each dual pair (a, b) is the primal pair (b, a).
            const grid_shape gp{g.n0 + 2, g.n1 + 2, g.n2 + 2, 3};
            const index_t np = gp.size();
            const index_t n_pad = np - n;
            std::vector<u32> prank(static_cast<std::size_t>(np)), porder(static_cast<std::size_t>(np));
            u32 next_pad = 0;
            for (index_t a = 0; a < gp.n0; ++a)
                for (index_t b = 0; b < gp.n1; ++b)
                    for (index_t d = 0; d < gp.n2; ++d) {
                        const index_t q = (a * gp.n1 + b) * gp.n2 + d;
                        const bool pad = a == 0 || b == 0 || d == 0 || a == gp.n0 - 1 || b == gp.n1 - 1 || d == gp.n2 - 1;
                        if (pad) {
                            prank[static_cast<std::size_t>(q)] = next_pad++;
                        } else {
                            const index_t p = ((a - 1) * g.n1 + (b - 1)) * g.n2 + (d - 1);
                            prank[static_cast<std::size_t>(q)] =
                                static_cast<u32>(n_pad + (n - 1 - ws.po.rank[static_cast<std::size_t>(p)]));
                        }
                        porder[prank[static_cast<std::size_t>(q)]] = static_cast<u32>(q);
                    }
            detail::vertex_h1(gp, construction::V, porder.data(), prank.data(), [&](u32 a, u32 b) {
                if (a < n_pad || b == std::numeric_limits<u32>::max() || b < n_pad) return;
                const u32 ra = static_cast<u32>(n - 1 - (a - n_pad)), rb = static_cast<u32>(n - 1 - (b - n_pad));
                emit(1, rb, ra);
            });
        }
    }
    if (max_dim >= g.ndim - 1) cubical_top(g, c, ws, emit);
    return out;
}

}  // namespace topolayer
