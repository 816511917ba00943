// Betti matching of two images on the same grid (Stucki et al. 2023, 2024), from the induced
// matchings of Bauer & Lesnick: for a prediction L and a target G, the comparison image
// C = min(L, G) (sublevel sets: L_t and G_t are both contained in C_t), the barcodes of L, G and
// C and the image barcodes of the inclusions L -> C and G -> C. A bar of L is matched to the image
// bar with the same birth cell (the surjection of L onto the image keeps births), that one to the
// bar of C with the same death cell (the injection of the image into C keeps deaths), and
// likewise from G; an L bar and a G bar reaching the same bar of C are matched.
//
// The image barcode is the pairing of C's boundary matrix with its columns in C's order and its
// rows in the domain's order. Per homology dimension:
//  - H0: one union-find over the vertices, edges in C's order; each component keeps its oldest
//    vertex under each of the three orders, and a merge kills the younger one of each;
//  - the top dimension: the same on the dual graph (top cells plus one outer node), the
//    (top-1)-cells in decreasing order; this is the anti-transposed matrix, whose pairing is the
//    same;
//  - H1 of a volume: column reduction with clearing (a column that is a birth of the dimension
//    above reduces to zero whatever the row order).
// Cells are ordered by (value, id), faces before cofaces at equal values. Only bars of nonzero
// length count, in L, G and C; essential bars are not returned.
//
// Constructions: V (pixels are vertices, a cell takes the largest value of its vertices) and T
// (pixels are top cells, a cell takes the smallest value of the pixels containing it). A bar is
// returned as the pixels whose values are its birth and death, so that a caller gathers them.
#pragma once

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstring>
#include <limits>
#include <stdexcept>
#include <string>
#include <vector>

#include "../interrupt.hpp"
#include "../types.hpp"

namespace topolayer {

namespace bm_detail {

using u32 = std::uint32_t;
using u64 = std::uint64_t;
inline constexpr u32 none = 0xFFFFFFFFu;

// The cell complex of a 2D or 3D grid. Vertices form a grid of nv[0..ndim) points (row-major,
// axis 0 slowest); a cell is (base vertex, set of axes it spans). Inside one dimension k, cells
// have local ids base * n_masks(k) + slot, so local ids order cells by (base vertex, slot).
struct grid_complex {
    int ndim = 2;
    bool t_construction = false;
    std::array<index_t, 3> np{1, 1, 1};  // pixels per axis
    std::array<index_t, 3> nv{1, 1, 1};  // vertices per axis
    std::array<index_t, 3> sv{0, 0, 0};  // vertex strides
    std::array<index_t, 3> sp{0, 0, 0};  // pixel strides
    index_t n_vertices = 0, n_pixels = 0;
    // per dimension k: the masks with k bits (of ndim), in increasing order
    std::array<std::vector<u32>, 4> masks;

    grid_complex(const std::vector<index_t>& shape, bool t) : ndim(static_cast<int>(shape.size())), t_construction(t) {
        n_vertices = 1;
        n_pixels = 1;
        for (int a = 0; a < ndim; ++a) {
            np[a] = shape[static_cast<std::size_t>(a)];
            nv[a] = np[a] + (t ? 1 : 0);
            n_pixels *= np[a];
            n_vertices *= nv[a];
        }
        index_t s = 1, p = 1;
        for (int a = ndim - 1; a >= 0; --a) {
            sv[a] = s;
            sp[a] = p;
            s *= nv[a];
            p *= np[a];
        }
        for (u32 m = 0; m < (1u << ndim); ++m) masks[static_cast<std::size_t>(__builtin_popcount(m))].push_back(m);
        // Ties between cells of one base vertex: edges in the order of the axis they span, the
        // 2-cells of a volume in the order of the axis they miss (as Betti-Matching-3D).
        if (ndim == 3) std::reverse(masks[2].begin(), masks[2].end());
    }
    std::size_t n_masks(int k) const { return masks[static_cast<std::size_t>(k)].size(); }
    index_t n_slots(int k) const { return n_vertices * static_cast<index_t>(n_masks(k)); }

    void coords(index_t v, index_t* c) const {
        for (int a = 0; a < ndim; ++a) {
            c[a] = v / sv[a];
            v -= c[a] * sv[a];
        }
    }
    bool valid(const index_t* c, u32 mask) const {
        for (int a = 0; a < ndim; ++a)
            if ((mask & axis_bit(a)) && c[a] + 1 >= nv[a]) return false;
        return true;
    }
    // Bit of axis a in a mask: axis 0 is the lowest bit, so that the edges of one base vertex
    // come in axis order.
    u32 axis_bit(int a) const { return 1u << a; }

    // The value of a cell and the pixel that gives it.
    double value(const double* px, index_t base, u32 mask, index_t* pixel) const {
        index_t c[3];
        coords(base, c);
        if (!t_construction) {
            // largest value over the vertices; ties go to the farthest vertex
            double best = -std::numeric_limits<double>::infinity();
            index_t arg = base;
            for (u32 sub = mask + 1; sub-- > 0;) {
                if ((sub & ~mask) != 0) continue;
                index_t v = base;
                for (int a = 0; a < ndim; ++a)
                    if (sub & axis_bit(a)) v += sv[a];
                if (px[v] > best) {
                    best = px[v];
                    arg = v;
                }
            }
            *pixel = arg;
            return best;
        }
        // smallest value over the pixels containing the cell: pixel (c - o) for offsets o in
        // {0, 1} along the axes the cell does not span
        const u32 free_axes = ((1u << ndim) - 1) & ~mask;
        double best = std::numeric_limits<double>::infinity();
        index_t arg = -1;
        for (u32 sub = free_axes + 1; sub-- > 0;) {
            if ((sub & ~free_axes) != 0) continue;
            index_t p = 0;
            bool inside = true;
            for (int a = 0; a < ndim; ++a) {
                const index_t q = c[a] - ((sub & axis_bit(a)) ? 1 : 0);
                if (q < 0 || q >= np[a]) {
                    inside = false;
                    break;
                }
                p += q * sp[a];
            }
            if (inside && px[p] < best) {
                best = px[p];
                arg = p;
            }
        }
        *pixel = arg;
        return best;
    }
};

// An order-preserving 64-bit key of a double (for sorting by value).
inline u64 order_key(double x) {
    u64 b;
    std::memcpy(&b, &x, sizeof b);
    return (b >> 63) ? ~b : (b | (u64{1} << 63));
}

// The valid cells of one dimension and, per filtration, their values and their order.
struct cells_of_dim {
    std::vector<u32> ids;  // valid local ids, increasing
};

struct filtration {
    std::vector<double> val;  // per local id (valid ones)
    std::vector<u32> order;   // valid local ids by (value, id)
    std::vector<u32> rank;    // per local id: position in order
};

inline void make_filtration(filtration& f, const std::vector<u32>& ids, std::vector<double>&& val,
                            std::vector<std::pair<u64, u32>>& scratch) {
    f.val = std::move(val);
    scratch.resize(ids.size());
    for (std::size_t i = 0; i < ids.size(); ++i) scratch[i] = {order_key(f.val[ids[i]]), ids[i]};
    std::sort(scratch.begin(), scratch.end());
    f.order.resize(ids.size());
    f.rank.assign(f.val.size(), none);
    for (std::size_t i = 0; i < scratch.size(); ++i) {
        f.order[i] = scratch[i].second;
        f.rank[scratch[i].second] = static_cast<u32>(i);
    }
}

struct bar {
    u32 birth, death;  // local ids: birth in dimension k, death in dimension k + 1
};

// (value, id) comparisons inside one filtration and dimension
inline bool older(const filtration& f, u32 a, u32 b) {  // a enters before b
    return f.val[a] < f.val[b] || (f.val[a] == f.val[b] && a < b);
}

inline u32 find(std::vector<u32>& parent, u32 x) {
    while (parent[x] != x) {
        parent[x] = parent[parent[x]];
        x = parent[x];
    }
    return x;
}

}  // namespace bm_detail

// The Betti matching of one item, per homology dimension: matched pairs of bars of L and G,
// and the unmatched bars of each, every bar as the (birth pixel, death pixel) of its input.
struct betti_matching_result {
    struct dim_result {
        std::vector<index_t> matched;      // 4 per match: L birth, L death, G birth, G death
        std::vector<index_t> unmatched_l;  // 2 per bar
        std::vector<index_t> unmatched_g;  // 2 per bar
    };
    std::vector<dim_result> dims;
};

class betti_matcher {
  public:
    betti_matcher(const std::vector<index_t>& shape, bool t_construction) : g_(shape, t_construction) {
        if (g_.ndim != 2 && g_.ndim != 3) throw std::invalid_argument("the grid must be 2D or 3D");
        if (g_.n_vertices * 8 >= static_cast<index_t>(bm_detail::none))
            throw std::invalid_argument("the grid is too large for the Betti matching");
        const int d = g_.ndim;
        for (int k = 0; k <= d; ++k) {
            auto& ids = cells_[static_cast<std::size_t>(k)].ids;
            const std::size_t nm = g_.n_masks(k);
            index_t c[3];
            for (index_t v = 0; v < g_.n_vertices; ++v) {
                g_.coords(v, c);
                for (std::size_t s = 0; s < nm; ++s)
                    if (g_.valid(c, g_.masks[static_cast<std::size_t>(k)][s]))
                        ids.push_back(static_cast<bm_detail::u32>(v * static_cast<index_t>(nm) + static_cast<index_t>(s)));
            }
        }
    }

    int ndim() const { return g_.ndim; }
    index_t n_pixels() const { return g_.n_pixels; }

    // l and g: the pixel values of the two inputs (sublevel filtrations).
    void run(const double* l, const double* g, betti_matching_result& out) {
        using namespace bm_detail;
        const int d = g_.ndim;
        comp_.resize(static_cast<std::size_t>(g_.n_pixels));
        for (index_t i = 0; i < g_.n_pixels; ++i) comp_[static_cast<std::size_t>(i)] = std::min(l[i], g[i]);
        const double* px[3] = {l, g, comp_.data()};
        for (int x = 0; x < 3; ++x)
            for (int k = 0; k <= d; ++k) {
                const auto& ids = cells_[static_cast<std::size_t>(k)].ids;
                std::vector<double> val(static_cast<std::size_t>(g_.n_slots(k)), 0.0);
                const index_t nm = static_cast<index_t>(g_.n_masks(k));
                index_t pixel;
                for (u32 id : ids)
                    val[id] = g_.value(px[x], id / nm, g_.masks[static_cast<std::size_t>(k)][id % nm], &pixel);
                make_filtration(f_[x][static_cast<std::size_t>(k)], ids, std::move(val), scratch_);
            }
        out.dims.assign(static_cast<std::size_t>(d), {});
        dimension_0(out.dims[0], px);
        check_interrupt();
        top_dimension(out.dims[static_cast<std::size_t>(d - 1)], px);
        check_interrupt();
        if (d == 3) middle_dimension(out.dims[1], px);
    }

  private:
    using u32 = bm_detail::u32;
    bm_detail::grid_complex g_;
    std::array<bm_detail::cells_of_dim, 4> cells_;
    std::array<std::array<bm_detail::filtration, 4>, 3> f_;  // [L, G, C][dimension]
    std::vector<double> comp_;
    std::vector<std::pair<bm_detail::u64, u32>> scratch_;
    std::vector<u32> parent_, rep_[3];
    std::vector<std::uint8_t> cleared_[3];  // top-1 cells that give birth in the top dimension

    // the boundary of a cell of dimension k (local id) as local ids of dimension k - 1
    int boundary(int k, u32 id, u32* out) const {
        const index_t nm = static_cast<index_t>(g_.n_masks(k));
        const index_t base = id / nm;
        const u32 mask = g_.masks[static_cast<std::size_t>(k)][id % nm];
        const auto& lower = g_.masks[static_cast<std::size_t>(k - 1)];
        const index_t nl = static_cast<index_t>(lower.size());
        int n = 0;
        for (int a = 0; a < g_.ndim; ++a) {
            const u32 bit = g_.axis_bit(a);
            if (!(mask & bit)) continue;
            const u32 face = mask & ~bit;
            const index_t slot = std::find(lower.begin(), lower.end(), face) - lower.begin();
            out[n++] = static_cast<u32>(base * nl + slot);
            out[n++] = static_cast<u32>((base + g_.sv[a]) * nl + slot);
        }
        return n;
    }

    // the pixel of a cell in input x
    index_t pixel(int x, int k, u32 id, const double* const* px) const {
        const index_t nm = static_cast<index_t>(g_.n_masks(k));
        index_t p;
        g_.value(px[x], id / nm, g_.masks[static_cast<std::size_t>(k)][id % nm], &p);
        return p;
    }

    void emit(betti_matching_result::dim_result& out, int k, const std::vector<bm_detail::bar>& bl,
              const std::vector<bm_detail::bar>& bg, const std::vector<std::pair<u32, u32>>& matches,
              const double* const* px) const {
        std::vector<std::uint8_t> ml(bl.size(), 0), mg(bg.size(), 0);
        for (auto [a, b] : matches) {
            ml[a] = mg[b] = 1;
            out.matched.push_back(pixel(0, k, bl[a].birth, px));
            out.matched.push_back(pixel(0, k + 1, bl[a].death, px));
            out.matched.push_back(pixel(1, k, bg[b].birth, px));
            out.matched.push_back(pixel(1, k + 1, bg[b].death, px));
        }
        for (std::size_t i = 0; i < bl.size(); ++i)
            if (!ml[i]) {
                out.unmatched_l.push_back(pixel(0, k, bl[i].birth, px));
                out.unmatched_l.push_back(pixel(0, k + 1, bl[i].death, px));
            }
        for (std::size_t i = 0; i < bg.size(); ++i)
            if (!mg[i]) {
                out.unmatched_g.push_back(pixel(1, k, bg[i].birth, px));
                out.unmatched_g.push_back(pixel(1, k + 1, bg[i].death, px));
            }
    }

    // H0: union-find over vertices.
    void dimension_0(betti_matching_result::dim_result& out, const double* const* px) {
        using namespace bm_detail;
        const u32 nv = static_cast<u32>(g_.n_vertices);
        std::vector<bar> bars[2];
        std::vector<u32> by_birth[2];
        u32 bnd[6];
        for (int x = 0; x < 2; ++x) {
            const filtration& fv = f_[x][0];
            const filtration& fe = f_[x][1];
            parent_.resize(nv);
            for (u32 i = 0; i < nv; ++i) parent_[i] = i;
            by_birth[x].assign(nv, none);
            for (u32 e : fe.order) {
                boundary(1, e, bnd);
                u32 a = find(parent_, bnd[0]), b = find(parent_, bnd[1]);
                if (a == b) continue;
                if (older(fv, b, a)) std::swap(a, b);  // a: the elder root
                parent_[b] = a;
                if (fv.val[b] != fe.val[e]) {
                    by_birth[x][b] = static_cast<u32>(bars[x].size());
                    bars[x].push_back({b, e});
                }
            }
        }
        // C's union-find; each root keeps the oldest vertex of its component in L and in G
        const filtration& cv = f_[2][0];
        const filtration& ce = f_[2][1];
        parent_.resize(nv);
        rep_[0].resize(nv);
        rep_[1].resize(nv);
        for (u32 i = 0; i < nv; ++i) parent_[i] = rep_[0][i] = rep_[1][i] = i;
        std::vector<std::pair<u32, u32>> matches;
        for (u32 e : ce.order) {
            boundary(1, e, bnd);
            u32 a = find(parent_, bnd[0]), b = find(parent_, bnd[1]);
            if (a == b) continue;
            if (older(cv, b, a)) std::swap(a, b);
            parent_[b] = a;
            u32 young[2];
            for (int x = 0; x < 2; ++x) {
                u32 ra = rep_[x][a], rb = rep_[x][b];
                if (older(f_[x][0], rb, ra)) std::swap(ra, rb);
                rep_[x][a] = ra;
                young[x] = rb;
            }
            if (cv.val[b] == ce.val[e]) continue;
            const u32 il = by_birth[0][young[0]], ig = by_birth[1][young[1]];
            if (il != none && ig != none) matches.emplace_back(il, ig);
        }
        emit(out, 0, bars[0], bars[1], matches, px);
    }

    // The top dimension: union-find over the top cells and an outer node, the (top-1)-cells in
    // decreasing order; the elder of two roots is the later top cell (the outer node is the
    // eldest of all).
    void top_dimension(betti_matching_result::dim_result& out, const double* const* px) {
        using namespace bm_detail;
        const int d = g_.ndim;
        const filtration* ft[3] = {&f_[0][static_cast<std::size_t>(d)], &f_[1][static_cast<std::size_t>(d)],
                                   &f_[2][static_cast<std::size_t>(d)]};
        const u32 outer = static_cast<u32>(g_.n_slots(d));
        auto later = [&](int x, u32 a, u32 b) {  // a is elder than b in the dual order of x
            if (a == outer) return true;
            if (b == outer) return false;
            return older(*ft[x], b, a);
        };
        // cofaces of a (d-1)-cell: the two top cells beside it, or the outer node
        const index_t nm = static_cast<index_t>(g_.n_masks(d - 1));
        const auto& lower = g_.masks[static_cast<std::size_t>(d - 1)];
        auto cofaces = [&](u32 id, u32* out2) {
            const index_t base = id / nm;
            const u32 mask = lower[static_cast<std::size_t>(id % nm)];
            int missing = 0;
            while (g_.axis_bit(missing) & mask) ++missing;
            index_t c[3];
            g_.coords(base, c);
            // top cells have one slot per vertex: local id = base vertex
            out2[0] = c[missing] + 1 < g_.nv[missing] ? static_cast<u32>(base) : outer;
            out2[1] = c[missing] >= 1 ? static_cast<u32>(base - g_.sv[missing]) : outer;
        };
        parent_.resize(outer + 1);
        for (int x = 0; x < 3; ++x) rep_[x].resize(outer + 1);
        std::vector<bar> bars[2];
        std::vector<u32> by_image_death[2];
        u32 cf[2];
        for (int x = 0; x < 2; ++x) {
            const filtration& fl = f_[x][static_cast<std::size_t>(d - 1)];
            for (u32 i = 0; i <= outer; ++i) parent_[i] = rep_[2][i] = i;
            by_image_death[x].assign(outer + 1, none);
            cleared_[x].assign(fl.val.size(), 0);
            for (auto it = fl.order.rbegin(); it != fl.order.rend(); ++it) {
                const u32 e = *it;
                cofaces(e, cf);
                u32 a = find(parent_, cf[0]), b = find(parent_, cf[1]);
                if (a == b) continue;
                if (later(x, b, a)) std::swap(a, b);  // a: the elder root in x
                parent_[b] = a;
                cleared_[x][e] = 1;
                u32 ra = rep_[2][a], rb = rep_[2][b];
                if (later(2, rb, ra)) std::swap(ra, rb);
                rep_[2][a] = ra;
                if (ft[x]->val[b] != fl.val[e]) {
                    by_image_death[x][rb] = static_cast<u32>(bars[x].size());
                    bars[x].push_back({e, b});
                }
            }
        }
        const filtration& cl = f_[2][static_cast<std::size_t>(d - 1)];
        cleared_[2].assign(cl.val.size(), 0);
        for (u32 i = 0; i <= outer; ++i) parent_[i] = i;
        std::vector<std::pair<u32, u32>> matches;
        for (auto it = cl.order.rbegin(); it != cl.order.rend(); ++it) {
            const u32 e = *it;
            cofaces(e, cf);
            u32 a = find(parent_, cf[0]), b = find(parent_, cf[1]);
            if (a == b) continue;
            if (later(2, b, a)) std::swap(a, b);
            parent_[b] = a;
            cleared_[2][e] = 1;
            if (ft[2]->val[b] == cl.val[e]) continue;
            const u32 il = by_image_death[0][b], ig = by_image_death[1][b];
            if (il != none && ig != none) matches.emplace_back(il, ig);
        }
        emit(out, d - 1, bars[0], bars[1], matches, px);
    }

    // Column reduction of the boundary matrix from dimension 2 to 1, columns in the order of
    // filtration `cols`, rows ranked by filtration `rows`; columns whose cell is marked in
    // `clear` are skipped. Calls on_pair(row cell, column cell) for every pivot.
    template <class OnPair>
    void reduce(const bm_detail::filtration& rows, const bm_detail::filtration& cols,
                const std::vector<std::uint8_t>& clear, OnPair&& on_pair) {
        using namespace bm_detail;
        std::vector<u32>& pivot_col = parent_;  // per row rank: index of the reduced column
        pivot_col.assign(rows.order.size(), none);
        std::vector<u32> store;                  // reduced columns, as row ranks
        std::vector<std::size_t> start{0};
        std::vector<u32> heap;
        u32 bnd[6];
        index_t counter = 0;
        for (u32 f : cols.order) {
            if (clear[f]) continue;
            if ((++counter & 4095) == 0) check_interrupt();
            heap.clear();
            const int n = boundary(2, f, bnd);
            for (int i = 0; i < n; ++i) heap.push_back(rows.rank[bnd[i]]);
            std::make_heap(heap.begin(), heap.end());
            for (;;) {
                // the pivot: the largest row rank with an odd count
                u32 pivot = none;
                while (!heap.empty()) {
                    std::pop_heap(heap.begin(), heap.end());
                    const u32 top = heap.back();
                    heap.pop_back();
                    if (!heap.empty() && heap.front() == top) {
                        std::pop_heap(heap.begin(), heap.end());
                        heap.pop_back();
                        continue;
                    }
                    pivot = top;
                    break;
                }
                if (pivot == none) break;
                const u32 j = pivot_col[pivot];
                if (j == none) {
                    pivot_col[pivot] = static_cast<u32>(start.size() - 1);
                    store.push_back(pivot);
                    for (u32 r : heap) store.push_back(r);
                    start.push_back(store.size());
                    on_pair(rows.order[pivot], f);
                    break;
                }
                // add the stored column j (its pivot cancels the one just taken)
                for (std::size_t t = start[j] + 1; t < start[j + 1]; ++t) {
                    heap.push_back(store[t]);
                    std::push_heap(heap.begin(), heap.end());
                }
            }
        }
    }

    // H1 of a volume.
    void middle_dimension(betti_matching_result::dim_result& out, const double* const* px) {
        using namespace bm_detail;
        std::vector<bar> bars[2];
        std::vector<u32> by_birth[2];
        for (int x = 0; x < 2; ++x) {
            const filtration& fe = f_[x][1];
            const filtration& ff = f_[x][2];
            by_birth[x].assign(fe.val.size(), none);
            reduce(fe, ff, cleared_[x], [&](u32 e, u32 f) {
                if (fe.val[e] != ff.val[f]) {
                    by_birth[x][e] = static_cast<u32>(bars[x].size());
                    bars[x].push_back({e, f});
                }
            });
        }
        // the image pairs: rows in the domain's order, columns in C's; keyed by the death face
        std::vector<u32> image_birth[2];
        for (int x = 0; x < 2; ++x) {
            image_birth[x].assign(f_[2][2].val.size(), none);
            reduce(f_[x][1], f_[2][2], cleared_[2], [&](u32 e, u32 f) { image_birth[x][f] = e; });
        }
        std::vector<std::pair<u32, u32>> matches;
        const filtration& ce = f_[2][1];
        const filtration& cf = f_[2][2];
        reduce(ce, cf, cleared_[2], [&](u32 e, u32 f) {
            if (ce.val[e] == cf.val[f]) return;
            const u32 bl = image_birth[0][f], bg = image_birth[1][f];
            if (bl == none || bg == none) return;
            const u32 il = by_birth[0][bl], ig = by_birth[1][bg];
            if (il != none && ig != none) matches.emplace_back(il, ig);
        });
        emit(out, 1, bars[0], bars[1], matches, px);
    }
};

}  // namespace topolayer
