// A finite abstract simplicial complex, stored once and reused across persistence calls.
//
// Simplices of dimension d are rows of d+1 increasing vertex ids, sorted lexicographically;
// dimension 0 is always the vertex set {0, ..., n_vertices-1}. Global simplex ids run over
// dimensions in increasing order (offset[d] + local id), so a face always has a smaller global
// id than its cofaces. Facets are precomputed: facet i of a d-simplex omits its vertex i.
// Building costs O(n d^2 log n) for n simplices (sort + binary search); it is done once.
#pragma once

#include <algorithm>
#include <numeric>
#include <string>
#include <vector>

#include "interrupt.hpp"
#include "sort.hpp"
#include "types.hpp"

namespace topolayer {

struct simplicial_complex {
    index_t n_vertices = 0;
    std::vector<index_t> n_simplices;            // per dimension
    std::vector<index_t> offset;                 // global id of the first simplex of each dimension
    std::vector<std::vector<cell_t>> vertices;   // per dimension, row-major (n_d, d+1)
    std::vector<std::vector<cell_t>> facets;     // per dimension d >= 1, row-major (n_d, d+1)
    // Per (top-1)-simplex its top cofaces, two slots each (-1: none), when no (top-1)-simplex
    // has more than two (a pseudomanifold, with boundary or not: surfaces, tetrahedral meshes,
    // Delaunay triangulations); empty otherwise. The top dimension then needs no reduction.
    std::vector<cell_t> top_cofaces;

    int top_dim() const { return static_cast<int>(n_simplices.size()) - 1; }
    index_t total() const { return offset.empty() ? 0 : offset.back() + n_simplices.back(); }
    const cell_t* simplex(int d, index_t i) const {
        return vertices[static_cast<std::size_t>(d)].data() + i * (d + 1);
    }
    const cell_t* facet_ids(int d, index_t i) const {
        return facets[static_cast<std::size_t>(d)].data() + i * (d + 1);
    }
};

namespace detail {

// Whether build_complex packs rows of up to three vertices into 64-bit keys (tests turn it off
// to compare with the general path).
inline bool pack_rows = true;

inline bool row_less(const index_t* a, const index_t* b, int width) {
    return std::lexicographical_compare(a, a + width, b, b + width);
}

// Sort the rows of `rows` (row-major, `width` columns) lexicographically and drop duplicates.
inline std::vector<index_t> sort_unique_rows(const std::vector<index_t>& rows, int width) {
    const index_t n = static_cast<index_t>(rows.size()) / width;
    std::vector<index_t> order(static_cast<std::size_t>(n));
    std::iota(order.begin(), order.end(), index_t{0});
    std::sort(order.begin(), order.end(), [&](index_t a, index_t b) {
        return row_less(rows.data() + a * width, rows.data() + b * width, width);
    });
    std::vector<index_t> out;
    out.reserve(rows.size());
    const index_t* prev = nullptr;
    for (index_t r : order) {
        const index_t* row = rows.data() + r * width;
        if (prev && std::equal(row, row + width, prev)) continue;
        out.insert(out.end(), row, row + width);
        prev = row;
    }
    return out;
}

// Local id of `row` among the sorted rows of `table`, or -1.
inline index_t find_row(const std::vector<index_t>& table, int width, const index_t* row) {
    index_t lo = 0, hi = static_cast<index_t>(table.size()) / width;
    while (lo < hi) {
        index_t mid = lo + (hi - lo) / 2;
        if (row_less(table.data() + mid * width, row, width)) lo = mid + 1; else hi = mid;
    }
    if (lo < static_cast<index_t>(table.size()) / width &&
        std::equal(row, row + width, table.data() + lo * width))
        return lo;
    return -1;
}

}  // namespace detail

// Fills K.top_cofaces (see there) from K.facets.
inline void set_top_cofaces(simplicial_complex& K) {
    K.top_cofaces.clear();
    const int top = K.top_dim();
    if (top < 1) return;
    std::vector<cell_t> co(static_cast<std::size_t>(2 * K.n_simplices[static_cast<std::size_t>(top - 1)]), -1);
    const index_t n = K.n_simplices[static_cast<std::size_t>(top)];
    for (index_t t = 0; t < n; ++t) {
        const cell_t* fs = K.facet_ids(top, t);
        for (int j = 0; j <= top; ++j) {
            cell_t* slot = co.data() + 2 * static_cast<std::size_t>(fs[j]);
            if (slot[0] < 0)
                slot[0] = static_cast<cell_t>(t);
            else if (slot[1] < 0)
                slot[1] = static_cast<cell_t>(t);
            else
                return;  // a third coface: not a pseudomanifold
        }
    }
    K.top_cofaces = std::move(co);
}

// Build the closure of the given simplices. `given[d]` lists simplices of dimension d as
// row-major (m_d, d+1) vertex ids in any order; every face is added. Vertex ids must lie in
// [0, n_vertices); n_vertices < 0 means "largest id + 1".
inline simplicial_complex build_complex(std::vector<std::vector<index_t>> given, index_t n_vertices) {
    while (!given.empty() && given.back().empty()) given.pop_back();
    index_t max_id = -1;
    for (std::size_t d = 0; d < given.size(); ++d) {
        const int width = static_cast<int>(d) + 1;
        auto& rows = given[d];
        if (rows.size() % static_cast<std::size_t>(width) != 0)
            throw std::invalid_argument("simplices of dimension " + std::to_string(d) +
                                        " must have " + std::to_string(width) + " vertices each");
        for (std::size_t r = 0; r < rows.size(); r += width) {
            std::sort(rows.begin() + static_cast<std::ptrdiff_t>(r),
                      rows.begin() + static_cast<std::ptrdiff_t>(r + width));
            for (int j = 0; j < width; ++j) {
                index_t v = rows[r + j];
                if (v < 0) throw std::invalid_argument("simplices: negative vertex id " + std::to_string(v));
                if (j > 0 && rows[r + j - 1] == v)
                    throw std::invalid_argument("simplices: a simplex of dimension " + std::to_string(d) +
                                                " repeats vertex " + std::to_string(v));
                max_id = std::max(max_id, v);
            }
        }
    }
    if (n_vertices < 0) n_vertices = max_id + 1;
    if (max_id >= n_vertices)
        throw std::out_of_range("simplices: vertex id " + std::to_string(max_id) +
                                " is out of range for n_vertices=" + std::to_string(n_vertices));

    if (n_vertices > max_cells)
        throw std::invalid_argument("n_vertices: at most 2^31 - 1 vertices are supported");
    simplicial_complex K;
    K.n_vertices = n_vertices;
    const int top = std::max(0, static_cast<int>(given.size()) - 1);
    std::vector<std::vector<index_t>> verts(static_cast<std::size_t>(top + 1));
    // Close under faces from the top down: each dimension is the given rows plus the facets
    // of the dimension above. Rows of up to three vertices below 2^21 pack into one 64-bit key
    // (lexicographic order is key order): one radix sort of (key, origin) then names each row
    // and, through the origins, fills the facets of the dimension above, with no search.
    // facet_of[d]: those facets of dimension d, when filled so.
    std::vector<std::vector<cell_t>> facet_of(static_cast<std::size_t>(top + 1));
    constexpr int bits = 21;
    const bool packable = n_vertices <= (index_t{1} << bits) && detail::pack_rows;
    for (int d = top; d >= 1; --d) {
        const int width = d + 1;
        if (packable && d < top && width <= 3) {
            const auto& given_d = given.size() > static_cast<std::size_t>(d) ? given[static_cast<std::size_t>(d)]
                                                                             : std::vector<index_t>{};
            const auto& above = verts[static_cast<std::size_t>(d + 1)];
            const index_t n_above = static_cast<index_t>(above.size()) / (d + 2);
            const index_t n_given = static_cast<index_t>(given_d.size()) / width;
            const index_t n_items = n_above * (d + 2) + n_given;
            if (n_items >= static_cast<index_t>(0xFFFFFFFFu))
                throw std::invalid_argument("simplices: too many faces of dimension " + std::to_string(d));
            auto key_of = [&](const index_t* r, int skip, int w) {
                std::uint64_t k = 0;
                for (int j = 0; j < w; ++j)
                    if (j != skip) k = (k << bits) | static_cast<std::uint64_t>(r[j]);
                return k;
            };
            std::vector<keyed<std::uint64_t>> items(static_cast<std::size_t>(n_items)), tmp;
            std::size_t at = 0;
            for (index_t i = 0; i < n_above; ++i)
                for (int skip = 0; skip < d + 2; ++skip)
                    items[at++] = {key_of(above.data() + i * (d + 2), skip, d + 2),
                                   static_cast<std::uint32_t>(i * (d + 2) + skip)};
            for (index_t i = 0; i < n_given; ++i)  // origins past the facets: given rows
                items[at++] = {key_of(given_d.data() + i * width, -1, width),
                               static_cast<std::uint32_t>(n_above * (d + 2) + i)};
            check_interrupt();
            radix_sort<11>(items, tmp, items.size());
            tmp = {};
            auto& out = verts[static_cast<std::size_t>(d)];
            out.clear();
            auto& fac = facet_of[static_cast<std::size_t>(d + 1)];
            fac.assign(static_cast<std::size_t>(n_above * (d + 2)), 0);
            const std::uint64_t field = (std::uint64_t{1} << bits) - 1;
            index_t id = -1;
            for (std::size_t i = 0; i < items.size(); ++i) {
                if (i == 0 || items[i].key != items[i - 1].key) {
                    ++id;
                    for (int j = width - 1; j >= 0; --j)
                        out.push_back(static_cast<index_t>((items[i].key >> (bits * j)) & field));
                }
                if (items[i].idx < static_cast<std::uint32_t>(n_above * (d + 2))) fac[items[i].idx] = static_cast<cell_t>(id);
            }
            if (id + 1 > max_cells)
                throw std::invalid_argument("simplices: at most 2^31 - 1 simplices per dimension are supported");
            continue;
        }
        std::vector<index_t> rows = given.size() > static_cast<std::size_t>(d) ? given[d] : std::vector<index_t>{};
        if (d < top) {
            const auto& above = verts[static_cast<std::size_t>(d + 1)];
            const index_t n_above = static_cast<index_t>(above.size()) / (d + 2);
            rows.reserve(rows.size() + static_cast<std::size_t>(n_above * (d + 2) * width));
            for (index_t i = 0; i < n_above; ++i) {
                const index_t* s = above.data() + i * (d + 2);
                for (int skip = 0; skip < d + 2; ++skip)
                    for (int j = 0; j < d + 2; ++j)
                        if (j != skip) rows.push_back(s[j]);
            }
        }
        check_interrupt();
        verts[static_cast<std::size_t>(d)] = detail::sort_unique_rows(rows, width);
        if (static_cast<index_t>(verts[static_cast<std::size_t>(d)].size()) / width > max_cells)
            throw std::invalid_argument("simplices: at most 2^31 - 1 simplices per dimension are supported");
    }
    verts[0].resize(static_cast<std::size_t>(n_vertices));
    std::iota(verts[0].begin(), verts[0].end(), index_t{0});

    K.n_simplices.resize(static_cast<std::size_t>(top + 1));
    K.offset.resize(static_cast<std::size_t>(top + 1));
    index_t acc = 0;
    for (int d = 0; d <= top; ++d) {
        K.n_simplices[static_cast<std::size_t>(d)] = static_cast<index_t>(verts[static_cast<std::size_t>(d)].size()) / (d + 1);
        K.offset[static_cast<std::size_t>(d)] = acc;
        acc += K.n_simplices[static_cast<std::size_t>(d)];
    }
    // Empty top dimensions (e.g. only vertices given with n_vertices == 0) are trimmed.
    while (K.n_simplices.size() > 1 && K.n_simplices.back() == 0) {
        K.n_simplices.pop_back();
        K.offset.pop_back();
        verts.pop_back();
    }
    K.vertices.resize(verts.size());
    for (std::size_t d = 0; d < verts.size(); ++d) K.vertices[d].assign(verts[d].begin(), verts[d].end());

    K.facets.resize(K.vertices.size());
    std::vector<index_t> face(static_cast<std::size_t>(K.top_dim() + 1));
    interrupt_countdown poll;
    for (int d = 1; d <= K.top_dim(); ++d) {
        const index_t n = K.n_simplices[static_cast<std::size_t>(d)];
        auto& out = K.facets[static_cast<std::size_t>(d)];
        if (static_cast<std::size_t>(d) < facet_of.size() && !facet_of[static_cast<std::size_t>(d)].empty()) {
            out = std::move(facet_of[static_cast<std::size_t>(d)]);
            continue;
        }
        out.resize(static_cast<std::size_t>(n * (d + 1)));
        for (index_t i = 0; i < n; ++i) {
            poll.tick();
            const index_t* s = verts[static_cast<std::size_t>(d)].data() + i * (d + 1);
            for (int skip = 0; skip <= d; ++skip) {
                int w = 0;
                for (int j = 0; j <= d; ++j)
                    if (j != skip) face[static_cast<std::size_t>(w++)] = s[j];
                index_t f = d == 1 ? face[0] : detail::find_row(verts[static_cast<std::size_t>(d - 1)], d, face.data());
                out[static_cast<std::size_t>(i * (d + 1) + skip)] = static_cast<cell_t>(f);
            }
        }
    }
    set_top_cofaces(K);
    return K;
}

}  // namespace topolayer
