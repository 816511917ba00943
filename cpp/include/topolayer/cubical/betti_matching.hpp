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
//    same. On an image, whose cells and the outer node make a sphere, an edge joins two
//    components of the dual graph exactly when it joins none in H0 (it closes a cycle, which a
//    later square kills), so only those edges are walked;
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
#include <functional>
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
        if (ndim != 2 && ndim != 3) throw std::invalid_argument("the grid must be 2D or 3D");
        for (index_t s : shape)
            if (s < 1) throw std::invalid_argument("every grid dimension must be >= 1");
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

    // The value of a cell and the pixel that gives it (of values or of their keys).
    template <class V>
    V value(const V* px, index_t base, u32 mask, index_t* pixel) const {
        index_t c[3];
        coords(base, c);
        if (!t_construction) {
            // largest value over the vertices; ties go to the farthest vertex
            V best{};
            index_t arg = -1;
            for (u32 sub = mask + 1; sub-- > 0;) {
                if ((sub & ~mask) != 0) continue;
                index_t v = base;
                for (int a = 0; a < ndim; ++a)
                    if (sub & axis_bit(a)) v += sv[a];
                if (arg < 0 || px[v] > best) {
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
        V best{};
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
            if (inside && (arg < 0 || px[p] < best)) {
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
    x += 0.0;  // -0 to +0: the two are equal values, tied like any other
    u64 b;
    std::memcpy(&b, &x, sizeof b);
    return (b >> 63) ? ~b : (b | (u64{1} << 63));
}

// The valid cells of one dimension and, per filtration, their values and their order.
struct cells_of_dim {
    std::vector<u32> ids;  // valid local ids, increasing
};

// Values are compared as 32-bit keys (value_keys): order-preserving, and equal exactly for equal
// values, so that a cell's key is the largest (V) or smallest (T) key of its pixels, and the
// arrays that the passes read at random are half as large as doubles.
struct filtration {
    std::vector<u32> key;  // per local id (valid ones): the key of its value
    // the valid local ids by (value, id), each with its key: (key << 32) | id
    std::vector<u64> sorted;
    u32 id(std::size_t i) const { return static_cast<u32>(sorted[i]); }
};

// An order-preserving 32-bit key of a float.
inline u32 float_key(float v) {
    v += 0.0f;  // -0 to +0: the two are equal values, tied like any other
    u32 b;
    std::memcpy(&b, &v, sizeof b);
    return (b >> 31) ? ~b : (b | 0x80000000u);
}

// Stable LSD radix sort of records by an unsigned key (key(r)): as few passes of at most 11
// bits as the largest key needs, the bits shared out evenly between them (fewer buckets scatter
// with fewer cache misses), passes whose digit is the same for every key skipped. The counts of
// every pass come from one read of the keys. Records carry their ids (in increasing order at
// the start, so that equal keys stay in id order), one array to scatter into per pass.
template <class R, class Key>
void radix_sort(std::vector<R>& a, std::vector<R>& b, Key key) {
    const std::size_t n = a.size();
    if (n == 0) return;
    using K = decltype(key(a[0]));
    K all = 0;
    for (std::size_t i = 0; i < n; ++i) all |= key(a[i]);
    unsigned bits = 0;
    while (bits < 8 * sizeof(K) && (all >> bits) != 0) ++bits;
    const unsigned passes = (bits + 10) / 11;
    if (passes == 0) return;
    const unsigned width = (bits + passes - 1) / passes;
    const std::size_t buckets = std::size_t{1} << width;
    const K mask = static_cast<K>(buckets - 1);
    b.resize(n);
    std::vector<std::size_t> count(passes * buckets, 0);
    for (std::size_t i = 0; i < n; ++i) {
        const K k = key(a[i]);
        for (unsigned p = 0; p < passes; ++p) ++count[p * buckets + ((k >> (width * p)) & mask)];
    }
    for (unsigned p = 0; p < passes; ++p) {
        const unsigned shift = width * p;
        std::size_t* c = count.data() + p * buckets;
        if (c[(key(a[0]) >> shift) & mask] == n) continue;
        std::size_t sum = 0;
        for (std::size_t j = 0; j < buckets; ++j) {
            const std::size_t t = c[j];
            c[j] = sum;
            sum += t;
        }
        for (std::size_t i = 0; i < n; ++i) b[c[(key(a[i]) >> shift) & mask]++] = a[i];
        a.swap(b);
    }
}

// A 32-bit key and a 32-bit id as one word, (key << 32) | id: a cell's age, by key, then by id,
// one integer to compare; high_key gives the key back.
inline u64 age(u32 k, u32 i) { return (u64{k} << 32) | i; }
inline u32 high_key(u64 r) { return static_cast<u32>(r >> 32); }

struct double_record {
    u64 key;
    u32 id;
};

struct sort_scratch {
    std::vector<u64> a, b;
    std::vector<double_record> da, db;
};

// f.key must be set; fills f.sorted.
inline void sort_filtration(filtration& f, const std::vector<u32>& ids, sort_scratch& s) {
    const std::size_t n = ids.size();
    f.sorted.resize(n);
    for (std::size_t i = 0; i < n; ++i) f.sorted[i] = age(f.key[ids[i]], ids[i]);
    radix_sort(f.sorted, s.b, high_key);
}

// C's cells of one dimension in order, against a binary target (binary_keys), from L's order:
// a cell's C key (fc.key) is 0 on K, else one more than its L key unless the clamp at hi or a
// vertex in K changed it. The cells whose C key is their L key plus one keep L's order among
// themselves; K's come first, in id order; the rest, few unless much of the prediction is above
// hi (then sort_filtration), are sorted on their own and merged in.
inline void sorted_from(filtration& fc, const filtration& fl, const std::vector<u32>& ids, sort_scratch& s) {
    const std::size_t n = ids.size();
    fc.sorted.resize(n + 1);  // every record is written at the next free slot, kept or not
    u64* out = fc.sorted.data();
    const u32* ck = fc.key.data();
    std::size_t n_k = 0;  // K's cells: key 0, records (0 << 32) | id
    for (const u32 id : ids) {
        out[n_k] = id;
        n_k += ck[id] == 0;
    }
    const std::size_t most = n / 16;  // beyond, sort_filtration: `other` holds at most one more
    s.a.resize(most + 1);
    u64* same = out + n_k;
    u64* other = s.a.data();
    std::size_t n_same = 0, n_other = 0;
    for (const u64 rec : fl.sorted) {
        const u32 id = static_cast<u32>(rec);
        const u32 c = ck[id];
        const u64 r = age(c, id);
        const bool kept = u64{c} == u64{high_key(rec)} + 1;
        same[n_same] = r;
        other[std::min(n_other, most)] = r;
        n_same += kept;
        n_other += !kept & (c != 0);
    }
    fc.sorted.pop_back();
    if (n_other == 0) return;
    if (n_other > most) {
        sort_filtration(fc, ids, s);
        return;
    }
    std::sort(other, other + n_other);  // in L's order: by key, and by id where keys tie
    // backwards, so that a record of `same` is read before its slot is written
    std::size_t i = n_same, j = n_other, w = n_k + n_same + n_other;
    while (j > 0) {
        if (i > 0 && same[i - 1] > other[j - 1])
            out[--w] = same[--i];
        else
            out[--w] = other[--j];
    }
}

// The keys of n values: their float keys if every value is a float and not `ranked`, else
// their dense ranks (0 for the smallest value), whose fewer bits take fewer radix passes
// (ranked: for grids whose cells outnumber the pixels enough to pay for the pixels' sort).
inline void value_keys(const double* p, std::size_t n, std::vector<u32>& key, sort_scratch& s, bool ranked,
                       bool& exact_float) {
    key.resize(n);
    exact_float = true;
    for (std::size_t i = 0; i < n; ++i) exact_float &= static_cast<double>(static_cast<float>(p[i])) == p[i];
    if (exact_float) {
        for (std::size_t i = 0; i < n; ++i) key[i] = float_key(static_cast<float>(p[i]));
        if (!ranked) return;
        s.a.resize(n);
        for (std::size_t i = 0; i < n; ++i) s.a[i] = age(key[i], static_cast<u32>(i));
        radix_sort(s.a, s.b, high_key);
        u32 rank = 0;
        for (std::size_t i = 0; i < n; ++i) {
            rank += i > 0 && high_key(s.a[i]) != high_key(s.a[i - 1]);
            key[static_cast<u32>(s.a[i])] = rank;
        }
        return;
    }
    s.da.resize(n);
    for (std::size_t i = 0; i < n; ++i) s.da[i] = {order_key(p[i]), static_cast<u32>(i)};
    radix_sort(s.da, s.db, [](const double_record& r) { return r.key; });
    u32 rank = 0;
    for (std::size_t i = 0; i < n; ++i) {
        rank += i > 0 && s.da[i].key != s.da[i - 1].key;
        key[s.da[i].id] = rank;
    }
}

struct bar {
    u32 birth, death;  // local ids: birth in dimension k, death in dimension k + 1
};

// The passes below walk cells in filtration order, which jumps about the grid, and read
// arrays indexed by cell that outgrow the caches on volumes; each prefetches what the cell
// `ahead` places later will read.
constexpr std::size_t ahead = 16;
inline void prefetch(const void* p) { __builtin_prefetch(p); }

// H0's edge e (base vertex and the neighbour `step` along its axis): the parents and ages of
// both vertices and, on volumes (ranks not null), its rank's slot
inline void prefetch_edge(u32 e, u32 base, index_t step, const u32* parent, const u64* ages, const u32* ranks,
                          std::size_t stride) {
    const u32 other = static_cast<u32>(base + step);
    prefetch(parent + base);
    prefetch(parent + other);
    prefetch(ages + base);
    prefetch(ages + other);
    if (ranks != nullptr) prefetch(ranks + stride * e);
}

// The top dimension's cells a and b (a (d-1)-cell's cofaces): their parents, keys and, where
// given, ages
inline void prefetch_cofaces(u32 a, u32 b, const u32* parent, const u32* keys, const u64* ages) {
    for (const u32 c : {a, b}) {
        prefetch(parent + c);
        prefetch(keys + c);
        if (ages != nullptr) prefetch(ages + c);
    }
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
                        ids.push_back(
                            static_cast<bm_detail::u32>(v * static_cast<index_t>(nm) + static_cast<index_t>(s)));
            }
            for (std::size_t s = 0; s < nm; ++s) {
                const bm_detail::u32 mask = g_.masks[static_cast<std::size_t>(k)][s];
                std::vector<index_t> o;
                for (bm_detail::u32 sub = 0; sub < 8; ++sub) {
                    if ((sub & ~mask) != 0) continue;
                    index_t off = 0;
                    for (int a = 0; a < d; ++a)
                        if (sub & g_.axis_bit(a)) off += g_.sv[a];
                    o.push_back(off);
                }
                vertex_offsets_[static_cast<std::size_t>(k)].push_back(std::move(o));
                face_slot_[static_cast<std::size_t>(k)][mask] = static_cast<index_t>(s);
            }
        }
        for (int k = 1; k <= d; ++k)
            for (const bm_detail::u32 mask : g_.masks[static_cast<std::size_t>(k)]) {
                std::vector<std::pair<index_t, index_t>> faces;
                for (int a = 0; a < d; ++a) {
                    const bm_detail::u32 bit = g_.axis_bit(a);
                    if (!(mask & bit)) continue;
                    const index_t slot = face_slot_[static_cast<std::size_t>(k - 1)][mask & ~bit];
                    faces.emplace_back(0, slot);
                    faces.emplace_back(g_.sv[a], slot);
                }
                boundary_table_[static_cast<std::size_t>(k)].push_back(std::move(faces));
            }
        vertex_flags_.resize(static_cast<std::size_t>(g_.n_vertices));
        {
            index_t c[3];
            for (index_t v = 0; v < g_.n_vertices; ++v) {
                g_.coords(v, c);
                std::uint8_t fl = 0;
                for (int a = 0; a < d; ++a) {
                    if (c[a] == 0) fl |= static_cast<std::uint8_t>(1u << a);
                    if (c[a] + 1 == g_.nv[a]) fl |= static_cast<std::uint8_t>(1u << (3 + a));
                }
                vertex_flags_[static_cast<std::size_t>(v)] = fl;
            }
        }
    }

    // Whether a binary target (binary_target()) may skip its own reductions; the bindings turn
    // it off for a target that takes a gradient, a test to compare both paths.
    void set_binary_shortcut(bool on) { binary_shortcut_ = on; }

    int ndim() const { return g_.ndim; }
    index_t n_pixels() const { return g_.n_pixels; }

    // The bytes held by the matcher's buffers (their capacities), for a cache of matchers.
    std::size_t footprint() const {
        std::size_t b = 0;
        auto add = [&b](const auto& v) { b += v.capacity() * sizeof(v[0]); };
        for (const auto& c : cells_) add(c.ids);
        for (const auto& per_input : f_)
            for (const auto& f : per_input) {
                add(f.key);
                add(f.sorted);
            }
        add(comp_);
        for (const auto& k : pixel_key_) add(k);
        add(sort_.a);
        add(sort_.b);
        add(sort_.da);
        add(sort_.db);
        add(vertex_flags_);
        add(uf_parent_);
        add(rep_key_);
        for (const auto& k : vertex_age_) add(k);
        for (int x = 0; x < 3; ++x) {
            add(cedge_[x]);
            add(h1_todo_[x]);
            add(cycle_edges_[x]);
        }
        add(crank_);
        for (int k = 0; k < h1_streams; ++k) {
            add(pivots_[k]);
            add(work_[k]);
            add(slot_[k]);
            add(taken_[k]);
        }
        add(sum_);
        add(long_);
        return b;
    }

    // l and g: the pixel values of the two inputs (sublevel filtrations).
    void run(const double* l, const double* g, betti_matching_result& out) {
        using namespace bm_detail;
        const int d = g_.ndim;
        binary_ = binary_shortcut_ && binary_target(l, g);
        if (!binary_) {  // else C's keys come from L's (binary_keys)
            comp_.resize(static_cast<std::size_t>(g_.n_pixels));
            for (index_t i = 0; i < g_.n_pixels; ++i) comp_[static_cast<std::size_t>(i)] = std::min(l[i], g[i]);
        }
        const double* px[3] = {l, g, comp_.data()};
        for (int x = 0; x < 3; ++x) {
            bool exact_float = true;
            // Ranks pay for their pixels' sort on volumes (two dimensions of cells to sort).
            const bool ranked = d == 3;
            const bool from_l = binary_ && x > 0;  // G's and C's keys from L's (binary_keys)
            if (from_l)
                binary_keys(x, l, g);
            else
                value_keys(px[x], static_cast<std::size_t>(g_.n_pixels), pixel_key_[x], sort_, ranked, exact_float);
            // lo is the smallest value of G and of C
            lo_key_[x] = exact_float && !ranked && !from_l ? float_key(static_cast<float>(lo_)) : 0;
            const u32* p = pixel_key_[x].data();
            for (int k = 0; k <= d; ++k) {
                if (binary_ && x == 1 && k > 0) break;  // only G's vertex keys are read then
                const auto& ids = cells_[static_cast<std::size_t>(k)].ids;
                filtration& f = f_[x][static_cast<std::size_t>(k)];
                // top cells: then the outer node of top_dimension's dual graph, later than all
                f.key.resize(static_cast<std::size_t>(g_.n_slots(k)) + (k == d));
                if (k == d) f.key.back() = ~u32{0};
                const index_t nm = static_cast<index_t>(g_.n_masks(k));
                if (!g_.t_construction) {
                    switch (k) {  // the largest key over the cell's 2^k vertices
                    case 0:
                        v_keys<0>(p, f.key);
                        break;
                    case 1:
                        v_keys<1>(p, f.key);
                        break;
                    case 2:
                        v_keys<2>(p, f.key);
                        break;
                    default:
                        v_keys<3>(p, f.key);
                        break;
                    }
                } else {
                    index_t pixel;
                    for (u32 id : ids)
                        f.key[id] = g_.value(p, id / nm, g_.masks[static_cast<std::size_t>(k)][id % nm], &pixel);
                }
                if (k == 1 || k == d - 1) {
                    // Ranks (volumes) sort in two radix passes, which cost no more than
                    // sorted_from's two passes over as many cells; float keys take three.
                    if (from_l && !ranked)
                        sorted_from(f, f_[0][static_cast<std::size_t>(k)], ids, sort_);
                    else
                        sort_filtration(f, ids, sort_);
                }
                // vertex ages, for the union-finds in H0 (C's keeps, per root, the ages of the
                // eldest vertices of L and of G in its component, in theirs)
                if (k != 0) continue;
                auto& key = vertex_age_[x];
                key.resize(f.key.size());
                for (u32 id : ids) key[id] = bm_detail::age(f.key[id], id);
            }
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
    bool binary_shortcut_ = true, binary_ = false;
    double lo_ = 0;              // a binary target's low value
    u32 lo_key_[3] = {0, 0, 0};  // per input: the key of lo (of G and C against a binary target)

    // Whether g takes two values lo < hi, l >= lo everywhere and l > lo wherever g is hi. Then
    // the complex K of the cells at lo in G is also exactly the cells at lo in C = min(L, G),
    // in both constructions: C is lo on K's pixels and above lo elsewhere. So K's cells come
    // first in C's order, and among themselves in id order, as in G's.
    bool binary_target(const double* l, const double* g) {
        const index_t n = g_.n_pixels;
        double hi = g[0];
        lo_ = g[0];
        for (index_t i = 1; i < n; ++i) {
            lo_ = std::min(lo_, g[i]);
            hi = std::max(hi, g[i]);
        }
        if (!(lo_ < hi)) return false;
        bool ok = true;
        for (index_t i = 0; i < n; ++i) {
            const bool at_lo = g[i] == lo_;
            ok &= (at_lo | (g[i] == hi)) & (l[i] >= lo_) & (at_lo | (l[i] > lo_));
        }
        return ok;
    }

    // Keys of G and C against a binary target (lo < hi) from L's (pixel_key_[0]: order-
    // preserving, equal exactly for equal values), without sorting. G: 0 at lo,
    // 1 at hi. C = min(L, G): lo on K, min(L, hi) elsewhere, where L > lo; so 0 on K and
    // 1 + min(L's key, r) elsewhere, r the smallest key of L at or above hi outside K: the
    // values below hi have smaller keys. lo's key is 0 in both.
    void binary_keys(int x, const double* l, const double* g) {
        const std::size_t n = static_cast<std::size_t>(g_.n_pixels);
        std::vector<u32>& key = pixel_key_[x];
        const u32* kl = pixel_key_[0].data();
        key.resize(n);
        if (x == 1) {
            for (std::size_t i = 0; i < n; ++i) key[i] = g[i] != lo_;
            return;
        }
        u32 r = bm_detail::none;
        for (std::size_t i = 0; i < n; ++i)
            if (g[i] != lo_ && l[i] >= g[i]) r = std::min(r, kl[i]);
        for (std::size_t i = 0; i < n; ++i) key[i] = g[i] == lo_ ? 0 : std::min(kl[i], r) + 1;
    }

    std::array<bm_detail::cells_of_dim, 4> cells_;
    std::array<std::array<bm_detail::filtration, 4>, 3> f_;  // [L, G, C][dimension]
    std::vector<double> comp_;
    std::vector<u32> pixel_key_[3];  // per input: the key of each pixel's value
    bm_detail::sort_scratch sort_;
    // per dimension and slot: the offsets of a cell's vertices from its base vertex (first 0)
    std::array<std::vector<std::vector<index_t>>, 4> vertex_offsets_;
    // per dimension k and mask of dimension k: its slot
    std::array<std::array<index_t, 8>, 4> face_slot_{};
    // per dimension k and slot: the faces as (vertex step from the base, slot of the face)
    std::array<std::vector<std::vector<std::pair<index_t, index_t>>>, 4> boundary_table_;
    // per vertex: bit a if it is first along axis a, bit 3 + a if it is last
    std::vector<std::uint8_t> vertex_flags_;
    std::vector<u32> uf_parent_;
    // per input and vertex: its age (bm_detail::age); C's pass in dimension_0 overwrites L's
    // and G's
    std::vector<bm_detail::u64> vertex_age_[3];
    std::vector<bm_detail::u64> rep_key_;  // top_dimension: per root, the C age of its eldest cell
    // H1 of a volume (see reduce()). A reduced column, kept at its pivot (where taken_ says so):
    // n entries, the pivot implicit; up to three more inline, longer ones in long_ from offset
    // at[0] + 2^32 at[1].
    struct h1_slot {
        u32 n;
        u32 at[3];
    };
    std::vector<u32> crank_;       // per edge and input: its compressed rank (compress_row)
    // Per input, as sorted records (bm_detail::age: key, id), so that a pair's length is read
    // without the key arrays: per compressed rank, the edge; the 2-cells left after clearing,
    // in its order.
    std::vector<bm_detail::u64> cedge_[3];
    std::vector<bm_detail::u64> h1_todo_[3];
    // An image's edges that join no two components in H0, per input, as its sorted records; by
    // duality (the image and the outer node make a sphere), the only edges that join two
    // components of top_dimension's dual graph, which walks them alone.
    std::vector<bm_detail::u64> cycle_edges_[3];
    std::vector<u32> pivots_[5];   // per stream and column: the pivot's compressed rank
    std::vector<u32> work_[5], sum_, long_;
    std::vector<h1_slot> slot_[5];  // per stream and compressed rank
    // per stream and compressed rank: whether a reduced column is kept there, a bit each, so
    // that finding a free pivot does not touch its slot
    std::vector<bm_detail::u64> taken_[5];

    // V construction: the key of every valid cell of dimension K, the largest over its 2^K
    // vertices (each slot's vertex offsets from its base vertex, the largest last). Slot by
    // slot, over every base vertex whose cell lies inside the array: the invalid cells among
    // them get keys that nothing reads, and the loop has no division nor branch.
    template <int K>
    void v_keys(const u32* p, std::vector<u32>& val) const {
        constexpr int nv = 1 << K;
        const auto& offs = vertex_offsets_[static_cast<std::size_t>(K)];
        const std::size_t nm = offs.size();
        u32* out = val.data();
        for (std::size_t slot = 0; slot < nm; ++slot) {
            std::size_t o[nv];
            for (int t = 0; t < nv; ++t) o[t] = static_cast<std::size_t>(offs[slot][static_cast<std::size_t>(t)]);
            const std::size_t n = static_cast<std::size_t>(g_.n_vertices);
            const std::size_t end = n > o[nv - 1] ? n - o[nv - 1] : 0;
            for (std::size_t v = 0; v < end; ++v) {
                u32 m = p[v];
                for (int t = 1; t < nv; ++t) m = std::max(m, p[v + o[t]]);
                out[v * nm + slot] = m;
            }
        }
    }

    // a local id divided by the number of slots (1, 2 or 3), by constant divisors
    static u32 div_slots(u32 id, std::size_t n_slots) { return n_slots == 1 ? id : n_slots == 2 ? id >> 1 : id / 3; }

    // (base vertex, slot) of a local id; the number of slots is 1, 2 or 3, constant divisors
    static void split(u32 id, std::size_t n_slots, index_t& base, std::size_t& slot) {
        const u32 b = n_slots == 1 ? id : n_slots == 2 ? id >> 1 : id / 3;
        base = b;
        slot = id - b * static_cast<u32>(n_slots);
    }

    // the boundary of a cell of dimension k (local id) as local ids of dimension k - 1
    int boundary(int k, u32 id, u32* out) const {
        index_t base;
        std::size_t slot;
        split(id, g_.n_masks(k), base, slot);
        const index_t nl = static_cast<index_t>(g_.n_masks(k - 1));
        int n = 0;
        for (const auto& [step, face] : boundary_table_[static_cast<std::size_t>(k)][slot])
            out[n++] = static_cast<u32>((base + step) * nl + face);
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

    // H0: union-find over vertices, the root of a component its eldest vertex. Vertex ages are
    // compared as 64-bit keys (value key, then id), one integer comparison.
    void dimension_0(betti_matching_result::dim_result& out, const double* const* px) {
        using namespace bm_detail;
        const u32 nv = static_cast<u32>(g_.n_vertices);
        const std::size_t ne = static_cast<std::size_t>(g_.ndim);  // edge slots per vertex
        index_t step[3];
        for (std::size_t s = 0; s < ne; ++s) step[s] = g_.sv[s];  // edge slot s spans axis s
        std::vector<bar> bars[2];
        std::vector<u32> by_birth[2];
        std::vector<u32>& parent = uf_parent_;
        parent.resize(nv);
        const bool volume = g_.ndim == 3;  // H1 reads the compressed rows (compress_row)
        if (volume) crank_.resize(rank_stride() * f_[2][1].key.size());
        for (int x = 0; x < (binary_ ? 1 : 2); ++x) {
            const u64* vk = vertex_age_[x].data();
            const filtration& fe = f_[x][1];
            for (u32 i = 0; i < nv; ++i) parent[i] = i;
            by_birth[x].assign(nv, none);
            const std::size_t n = fe.sorted.size();
            u32 kept = 0;
            if (volume) cedge_[x].resize(n);
            u64* cycles = nullptr;
            std::size_t n_cycles = 0;
            if (!volume) {
                cycle_edges_[x].resize(n + 1);  // every edge written at the next free slot
                cycles = cycle_edges_[x].data();
            }
            for (std::size_t i = 0; i < n; ++i) {
                if (i + ahead < n) {
                    const u32 e = static_cast<u32>(fe.sorted[i + ahead]), base = div_slots(e, ne);
                    prefetch_edge(e, base, step[e - base * ne], parent.data(), vk, volume ? crank_.data() : nullptr,
                                  rank_stride());
                }
                const u64 rec = fe.sorted[i];
                const u32 e = static_cast<u32>(rec);
                const u32 base = div_slots(e, ne);
                // branch-free but for new bars: a cycle edge (a == b) writes parent[a] = a
                const u32 r = find(parent, base);
                const u32 q = find(parent, static_cast<u32>(base + step[e - base * ne]));
                const bool swap = vk[q] < vk[r];
                const u32 a = swap ? q : r, b = swap ? r : q;  // a: the elder root
                parent[b] = a;
                const bool merge = a != b;
                if (volume) {
                    compress_row(x, rec, merge, kept);
                } else {
                    cycles[n_cycles] = rec;
                    n_cycles += !merge;
                }
                // a bar of nonzero length: b's value (its age's high half) below the edge's
                if (merge & (high_key(vk[b]) != high_key(rec))) {
                    by_birth[x][b] = static_cast<u32>(bars[x].size());
                    bars[x].push_back({b, e});
                }
            }
            if (volume)
                cedge_[x].resize(kept);
            else
                cycle_edges_[x].resize(n_cycles);
        }
        // C's union-find; each root keeps the ages of the eldest vertex of its component in L
        // and in G (the vertex id is the age's low half)
        const u64* ck = vertex_age_[2].data();
        const filtration& ce = f_[2][1];
        u64* r0 = vertex_age_[0].data();
        u64* r1 = vertex_age_[1].data();
        for (u32 i = 0; i < nv; ++i) parent[i] = i;
        std::vector<std::pair<u32, u32>> matches;
        const std::size_t n = ce.sorted.size();
        u32 kept = 0;
        if (volume) cedge_[2].resize(n);
        u64* cycles = nullptr;
        std::size_t n_cycles = 0;
        if (!volume) {
            cycle_edges_[2].resize(n + 1);
            cycles = cycle_edges_[2].data();
        }
        for (std::size_t i = 0; i < n; ++i) {
            if (i + ahead < n) {
                const u32 e = static_cast<u32>(ce.sorted[i + ahead]), base = div_slots(e, ne);
                prefetch_edge(e, base, step[e - base * ne], parent.data(), ck, volume ? crank_.data() : nullptr,
                              rank_stride());
                prefetch(r0 + base);
                prefetch(r1 + base);
            }
            const u64 rec = ce.sorted[i];
            const u32 e = static_cast<u32>(rec);
            const u32 base = div_slots(e, ne);
            const u32 r = find(parent, base);
            const u32 q = find(parent, static_cast<u32>(base + step[e - base * ne]));
            const bool swap = ck[q] < ck[r];
            const u32 a = swap ? q : r, b = swap ? r : q;
            parent[b] = a;
            const bool merge = a != b;
            if (volume) {
                compress_row(2, rec, merge, kept);
            } else {
                cycles[n_cycles] = rec;
                n_cycles += !merge;
            }
            const u64 y0 = std::max(r0[a], r0[b]), y1 = std::max(r1[a], r1[b]);
            r0[a] = std::min(r0[a], r0[b]);
            r1[a] = std::min(r1[a], r1[b]);
            if (!(merge & (high_key(ck[b]) != high_key(rec)))) continue;
            const u32 il = by_birth[0][static_cast<u32>(y0)];
            if (binary_) {
                // A binary target's bars are born at the eldest vertex of each component of K
                // but the eldest of all, and die at hi. C joins K's edges first, in G's order,
                // so its components then are K's; each later merge that ends a G-eldest vertex
                // in K (y1, whose key is 0 above the id) is one bar of G, seen through the
                // image in C, and has nonzero length in C (b at lo, the edge above). G's own
                // death edge is not computed: this edge is one at hi.
                if ((y1 >> 32) != 0) continue;
                if (il != none) matches.emplace_back(il, static_cast<u32>(bars[1].size()));
                bars[1].push_back({static_cast<u32>(y1), e});
                continue;
            }
            const u32 ig = by_birth[1][static_cast<u32>(y1)];
            if (il != none && ig != none) matches.emplace_back(il, ig);
        }
        if (volume)
            cedge_[2].resize(kept);
        else
            cycle_edges_[2].resize(n_cycles);
        emit(out, 0, bars[0], bars[1], matches, px);
    }

    // The top dimension: union-find over the top cells and an outer node, the (top-1)-cells in
    // decreasing order (on an image, only H0's cycle edges: cycle_edges_); the elder of two roots
    // is the later top cell, of the larger key (the outer node is the eldest of all).
    void top_dimension(betti_matching_result::dim_result& out, const double* const* px) {
        using namespace bm_detail;
        const int d = g_.ndim;
        const std::size_t D = static_cast<std::size_t>(d);
        const u32 outer = static_cast<u32>(g_.n_slots(d));
        const bool volume = d == 3;  // H1 reads the columns left after clearing (clear_column)
        // cofaces of a (d-1)-cell: the two top cells beside it, or the outer node
        const std::size_t nm = g_.n_masks(d - 1);
        const auto& lower = g_.masks[D - 1];
        int missing_axis[3] = {0, 0, 0};  // per slot of a (d-1)-cell: the axis it does not span
        for (std::size_t t = 0; t < lower.size(); ++t)
            while (g_.axis_bit(missing_axis[t]) & lower[t]) ++missing_axis[t];
        const std::uint8_t* flags = vertex_flags_.data();
        auto cofaces = [&](u32 id, u32& c0, u32& c1) {
            const u32 base = div_slots(id, nm);
            const int m = missing_axis[id - base * nm];
            const std::uint8_t fl = flags[base];
            // top cells have one slot per vertex: local id = base vertex
            c0 = (fl >> (3 + m)) & 1u ? outer : base;
            c1 = (fl >> m) & 1u ? outer : static_cast<u32>(base - g_.sv[m]);
        };
        std::vector<u32>& parent = uf_parent_;
        parent.resize(static_cast<std::size_t>(outer) + 1);
        rep_key_.resize(static_cast<std::size_t>(outer) + 1);
        u64* r2 = rep_key_.data();
        std::vector<bar> bars[2];
        std::vector<u32> by_image_death[2];
        for (int x = 0; x < (binary_ ? 1 : 2); ++x) {
            const filtration& fl = f_[x][D - 1];
            const u32* tk = f_[x][D].key.data();  // its last slot: the outer node
            for (u32 i = 0; i <= outer; ++i) parent[i] = i;
            const u32* ck = f_[2][D].key.data();
            for (u32 i = 0; i <= outer; ++i) r2[i] = age(ck[i], i);
            by_image_death[x].assign(static_cast<std::size_t>(outer) + 1, none);
            std::vector<u64>& todo = h1_todo_[x];
            std::size_t n_todo = 0;
            if (volume) todo.resize(fl.sorted.size());
            const std::vector<u64>& walk = volume ? fl.sorted : cycle_edges_[x];
            for (std::size_t i = walk.size(); i-- > 0;) {
                if (i >= ahead) {
                    u32 c0, c1;
                    cofaces(static_cast<u32>(walk[i - ahead]), c0, c1);
                    prefetch_cofaces(c0, c1, parent.data(), tk, r2);
                }
                const u64 rec = walk[i];
                const u32 e = static_cast<u32>(rec);
                u32 c0, c1;
                cofaces(e, c0, c1);
                const u32 r = find(parent, c0), q = find(parent, c1);
                const bool swap = age(tk[q], q) > age(tk[r], r);
                const u32 a = swap ? q : r, b = swap ? r : q;  // a: the elder root in x
                parent[b] = a;
                const bool merge = a != b;
                if (volume) clear_column(todo, rec, merge, n_todo);
                const u64 young = std::min(r2[a], r2[b]);
                r2[a] = std::max(r2[a], r2[b]);
                // b is the outer node only when !merge
                if (merge && tk[b] != high_key(rec)) {
                    by_image_death[x][static_cast<u32>(young)] = static_cast<u32>(bars[x].size());
                    bars[x].push_back({e, b});
                }
            }
            if (volume) h1_columns(todo, n_todo);
        }
        const filtration& cl = f_[2][D - 1];
        const u32* ck = f_[2][D].key.data();
        for (u32 i = 0; i <= outer; ++i) parent[i] = i;
        std::vector<std::pair<u32, u32>> matches;
        std::vector<u64>& todo = h1_todo_[2];
        std::size_t n_todo = 0;
        if (volume) todo.resize(cl.sorted.size());
        const std::vector<u64>& walk = volume ? cl.sorted : cycle_edges_[2];
        for (std::size_t i = walk.size(); i-- > 0;) {
            if (i >= ahead) {
                u32 c0, c1;
                cofaces(static_cast<u32>(walk[i - ahead]), c0, c1);
                prefetch_cofaces(c0, c1, parent.data(), ck, nullptr);
            }
            const u64 rec = walk[i];
            const u32 e = static_cast<u32>(rec);
            u32 c0, c1;
            cofaces(e, c0, c1);
            const u32 r = find(parent, c0), q = find(parent, c1);
            const bool swap = age(ck[q], q) > age(ck[r], r);
            const u32 a = swap ? q : r, b = swap ? r : q;
            parent[b] = a;
            const bool merge = a != b;
            if (volume) clear_column(todo, rec, merge, n_todo);
            if (!merge || ck[b] == high_key(rec)) continue;  // b may be the outer node when !merge
            const u32 il = by_image_death[0][b];
            if (binary_) {
                // A binary target's bars are born at K's (d-1)-cells and die at hi. C joins the
                // top cells across the cells outside K first, which leaves the components G
                // has then (in another order), and then K's cells in G's order; so both see
                // the same merges there, C naming the dying component by its C-eldest top
                // cell b, as by_image_death does. Each merge of nonzero length at a cell of K
                // is one bar of G; G's own death cell is not computed: b is one at hi.
                if ((rec >> 32) != lo_key_[2]) continue;
                if (il != none) matches.emplace_back(il, static_cast<u32>(bars[1].size()));
                bars[1].push_back({e, b});
                continue;
            }
            const u32 ig = by_image_death[1][b];
            if (il != none && ig != none) matches.emplace_back(il, ig);
        }
        if (volume) h1_columns(todo, n_todo);
        emit(out, d - 1, bars[0], bars[1], matches, px);
    }

    // Compression (Bauer, Kerber & Reininghaus, "Clear and compress"): the rows of the edges that
    // merge two components in the rows' order can be dropped without changing any pivot. With
    // V the reduction of the edge-vertex matrix in that order (D1 V = R, V unitriangular), every
    // column z of the 2-cell matrix is a cycle, so V^-1 z has no entry on a merging edge (the
    // nonzero columns of R have distinct pivots, hence are independent); and D2 with those rows
    // dropped is the block of V on the other edges, again unitriangular in the row order, times
    // V^-1 D2 with the same rows dropped. Multiplying by a unitriangular matrix on the left
    // keeps the rank of every lower-left submatrix, hence the pivots. Rows are kept as ranks
    // among the remaining edges, so each column has at most four entries to start with; H0's
    // pass, which walks the edges in the rows' order, numbers them.
    // crank_[stride * e + x]: the rank of edge e among the kept edges of input x, or none; the
    // inputs side by side, since the reductions with C's columns read them together. With a
    // binary target only L's and C's are kept, C's at x = 1 (rank_stride, rank_slot).
    std::size_t rank_stride() const { return binary_ ? binary_streams::stride : all_streams::stride; }
    std::size_t rank_slot(int x) const {
        return static_cast<std::size_t>(binary_ ? binary_streams::slot[x] : all_streams::slot[x]);
    }
    void compress_row(int x, bm_detail::u64 rec, bool merge, u32& kept) {
        crank_[rank_stride() * static_cast<std::size_t>(static_cast<u32>(rec)) + rank_slot(x)] =
            merge ? bm_detail::none : kept;
        cedge_[x][kept] = rec;
        kept += !merge;
    }

    // The column reductions of H1, from dimension 2 to 1, as h1_streams streams in lockstep.
    // Stream s reduces the 2-cells of h1_todo_[list_of[s]] (in order) with the rows of input
    // x_of[s] (compress_row); pivots_[s][i]: the row rank of the pivot of its column i, or
    // none. The streams: L's own bars, G's own bars, and with C's columns the two image
    // reductions (rows in L's and in G's order) and C's own. They are independent, and the walk
    // is bound by cache misses (the ranks of a column's edges, the reduced column at a pivot,
    // all random): the ranks and the first pivot are prefetched some columns ahead, and the
    // additions of the streams are interleaved, so that their misses overlap.
    // A binary target (binary_target()) needs only the streams of L, the image L -> C and C:
    // see middle_dimension.
    static constexpr int h1_streams = 5, h1_lists = 3;
    // stride and slot: where crank_ keeps the ranks of input x (compress_row)
    struct all_streams {
        static constexpr int n = 5;
        static constexpr int x_of[n] = {0, 1, 0, 1, 2};
        static constexpr int list_of[n] = {0, 1, 2, 2, 2};
        static constexpr std::size_t stride = 4;
        static constexpr int slot[3] = {0, 1, 2};
    };
    struct binary_streams {
        static constexpr int n = 3;
        static constexpr int x_of[n] = {0, 0, 2};
        static constexpr int list_of[n] = {0, 2, 2};
        static constexpr std::size_t stride = 2;
        static constexpr int slot[3] = {0, -1, 1};
    };

    // the sum of column col and the reduced column at s (same pivot), into col
    void add_column(std::vector<u32>& col, const h1_slot& s) {
        std::vector<u32>& sum = sum_;
        const u32* qb = s.n <= 4 ? s.at : long_.data() + (s.at[0] | (bm_detail::u64{s.at[1]} << 32));
        const u32* qe = qb + (s.n - 1);
        sum.resize(col.size() + s.n);
        const u32* p = col.data() + 1;
        const u32* pe = col.data() + col.size();
        u32* o = sum.data();
        while (p != pe && qb != qe) {
            if (*p > *qb)
                *o++ = *p++;
            else if (*qb > *p)
                *o++ = *qb++;
            else {
                ++p;
                ++qb;
            }
        }
        while (p != pe) *o++ = *p++;
        while (qb != qe) *o++ = *qb++;
        sum.resize(static_cast<std::size_t>(o - sum.data()));
        col.swap(sum);
    }

    // keeps reduced column col at its pivot s
    void keep_column(const std::vector<u32>& col, h1_slot& s) {
        s.n = static_cast<u32>(col.size());
        if (col.size() <= 4) {
            for (std::size_t t = 1; t < col.size(); ++t) s.at[t - 1] = col[t];
        } else {
            const bm_detail::u64 off = long_.size();
            s.at[0] = static_cast<u32>(off);
            s.at[1] = static_cast<u32>(off >> 32);
            long_.insert(long_.end(), col.begin() + 1, col.end());
        }
    }

    // The reduced columns kept at the first entries of col: the first is read next; the others
    // may become its pivot after that addition, so they are fetched early too.
    static void prefetch_pivots(const h1_slot* slots, const std::vector<u32>& col) {
        const std::size_t m = std::min<std::size_t>(col.size(), 3);
        for (std::size_t t = 0; t < m; ++t) __builtin_prefetch(slots + col[t]);
    }

    template <class S>
    void reduce() {
        constexpr int h1_streams = S::n;
        constexpr const int* x_of = S::x_of;
        constexpr const int* list_of = S::list_of;
        using namespace bm_detail;
        constexpr std::size_t ahead_rank = 16, ahead_slot = 6, ring = 8;
        static_assert(ahead_slot < ahead_rank && ahead_slot < ring, "prefetch distances");
        std::size_t n = 0;
        for (int l = 0; l < h1_lists; ++l) n = std::max(n, h1_todo_[l].size());
        h1_slot* slots[h1_streams];
        u64* taken[h1_streams];
        for (int k = 0; k < h1_streams; ++k) {
            slot_[k].resize(cedge_[x_of[k]].size());
            slots[k] = slot_[k].data();
            taken_[k].assign((cedge_[x_of[k]].size() + 63) / 64, 0);
            taken[k] = taken_[k].data();
            pivots_[k].assign(h1_todo_[list_of[k]].size(), none);
        }
        long_.clear();
        // the columns computed ahead, pivot first
        u32 cols[ring][h1_streams][4];
        int len[ring][h1_streams];
        const u32* crank = crank_.data();
        auto edges = [&](u32 f, u32* bnd) {
            index_t base;
            std::size_t slot;
            split(f, 3, base, slot);
            const auto& tab = boundary_table_[2][slot];
            for (int t = 0; t < 4; ++t)
                bnd[t] = static_cast<u32>((base + tab[static_cast<std::size_t>(t)].first) * 3 +
                                          tab[static_cast<std::size_t>(t)].second);
        };
        auto prepare = [&](std::size_t i) {
            u32 bnd[h1_lists][4];
            for (int l = 0; l < h1_lists; ++l)
                if (i < h1_todo_[l].size()) edges(static_cast<u32>(h1_todo_[l][i]), bnd[l]);
            const std::size_t q = i % ring;
            for (int k = 0; k < h1_streams; ++k) {
                len[q][k] = 0;
                if (i >= h1_todo_[list_of[k]].size()) continue;
                // rank + 1, so that a dropped row (none) becomes 0 and sorts last; a sorting
                // network without branches, as which rows are kept is unpredictable
                u32 a[4];
                for (int t = 0; t < 4; ++t)
                    a[t] = crank[S::stride * static_cast<std::size_t>(bnd[list_of[k]][t]) +
                                 static_cast<std::size_t>(S::slot[x_of[k]])] +
                           1;
                auto order2 = [](u32& hi, u32& lo) {
                    const u32 h = std::max(hi, lo), l = std::min(hi, lo);
                    hi = h;
                    lo = l;
                };
                order2(a[0], a[1]);
                order2(a[2], a[3]);
                order2(a[0], a[2]);
                order2(a[1], a[3]);
                order2(a[1], a[2]);
                u32* c = cols[q][k];
                for (int t = 0; t < 4; ++t) c[t] = a[t] - 1;
                len[q][k] = (a[0] != 0) + (a[1] != 0) + (a[2] != 0) + (a[3] != 0);
                __builtin_prefetch(slots[k] + (a[0] != 0 ? c[0] : 0));
                // a pivot taken already: an addition comes, whose result may have c[1] as pivot
                if (a[1] != 0 && (taken[k][c[0] >> 6] >> (c[0] & 63) & 1)) __builtin_prefetch(slots[k] + c[1]);
            }
        };
        for (std::size_t i = 0; i < std::min(n, ahead_slot); ++i) prepare(i);
        for (std::size_t i = 0; i < n; ++i) {
            if ((i & 4095) == 4095) check_interrupt();
            if (i + ahead_rank < n) {
                for (int l = 0; l < h1_lists; ++l) {
                    if (i + ahead_rank >= h1_todo_[l].size()) continue;
                    u32 bnd[4];
                    edges(static_cast<u32>(h1_todo_[l][i + ahead_rank]), bnd);
                    for (int t = 0; t < 4; ++t)
                        __builtin_prefetch(crank + S::stride * static_cast<std::size_t>(bnd[t]));
                }
            }
            if (i + ahead_slot < n) prepare(i + ahead_slot);
            const std::size_t q = i % ring;
            unsigned pending = 0;  // streams whose column i is being added to
            for (int k = 0; k < h1_streams; ++k) {
                const u32* c = cols[q][k];
                const int m = len[q][k];
                if (m == 0) continue;
                h1_slot& s = slots[k][c[0]];
                if (!(taken[k][c[0] >> 6] >> (c[0] & 63) & 1)) {  // most columns: a new pivot, no addition
                    taken[k][c[0] >> 6] |= u64{1} << (c[0] & 63);
                    s.n = static_cast<u32>(m);
                    s.at[0] = c[1];
                    s.at[1] = c[2];
                    s.at[2] = c[3];
                    pivots_[k][i] = c[0];
                    continue;
                }
                std::vector<u32>& col = work_[k];
                col.assign(c, c + m);
                add_column(col, s);
                if (col.empty()) continue;
                prefetch_pivots(slots[k], col);
                pending |= 1u << k;
            }
            while (pending) {
                for (int k = 0; k < h1_streams; ++k) {
                    if (!(pending & (1u << k))) continue;
                    std::vector<u32>& col = work_[k];
                    const u32 p = col[0];
                    h1_slot& s = slots[k][p];
                    if (!(taken[k][p >> 6] >> (p & 63) & 1)) {
                        taken[k][p >> 6] |= u64{1} << (p & 63);
                        keep_column(col, s);
                        pivots_[k][i] = col[0];
                        pending &= ~(1u << k);
                        continue;
                    }
                    add_column(col, s);
                    if (col.empty()) {
                        pending &= ~(1u << k);
                        continue;
                    }
                    prefetch_pivots(slots[k], col);
                }
            }
        }
    }

    // Clearing (Chen & Kerber, "Persistent homology computation with a twist"): a 2-cell that
    // gives birth in the top dimension (a merge of the dual union-find) reduces to zero, in
    // any row order. The others are H1's columns: the top-dimension pass, which walks the
    // 2-cells in decreasing order, keeps them at todo[0, n) (clear_column), and h1_columns puts
    // them in increasing order.
    static void clear_column(std::vector<bm_detail::u64>& todo, bm_detail::u64 f, bool merge, std::size_t& n) {
        todo[n] = f;
        n += !merge;
    }
    static void h1_columns(std::vector<bm_detail::u64>& todo, std::size_t n) {
        todo.resize(n);
        std::reverse(todo.begin(), todo.end());
    }

    // H1 of a volume. Every column left after clearing is a death: a 2-cell that reduces to zero
    // creates a 2-cycle, which the contractible grid fills, so it is paired in the top
    // dimension. Pivots are compressed ranks, turned back into edges for the bars only.
    void middle_dimension(betti_matching_result::dim_result& out, const double* const* px) {
        using namespace bm_detail;
        if (binary_) {
            h1_todo_[1].clear();  // G has no stream
            reduce<binary_streams>();
        } else {
            reduce<all_streams>();
        }
        std::vector<bar> bars[2];
        std::vector<u32> by_birth[2];  // per compressed rank of x: the index of its bar
        for (int x = 0; x < (binary_ ? 1 : 2); ++x) {
            by_birth[x].assign(cedge_[x].size(), none);
            const std::vector<u64>& todo = h1_todo_[x];
            for (std::size_t i = 0; i < todo.size(); ++i) {
                const u32 r = pivots_[x][i];
                if (r == none) continue;
                const u64 e = cedge_[x][r], f = todo[i];
                if (high_key(e) != high_key(f)) {
                    by_birth[x][r] = static_cast<u32>(bars[x].size());
                    bars[x].push_back({static_cast<u32>(e), static_cast<u32>(f)});
                }
            }
        }
        // C's pairs; an image pair shares its column (the death) with C's pair and its row (the
        // birth) with the bar of its input
        std::vector<std::pair<u32, u32>> matches;
        const std::vector<u64>& todo = h1_todo_[2];
        if (binary_) {
            binary_target_h1(bars, by_birth[0], matches);
        } else {
            for (std::size_t i = 0; i < todo.size(); ++i) {
                const u32 rl = pivots_[2][i], rg = pivots_[3][i], rc = pivots_[4][i];
                if (rl == none || rg == none || rc == none) continue;
                if (high_key(cedge_[2][rc]) == high_key(todo[i])) continue;
                const u32 il = by_birth[0][rl], ig = by_birth[1][rg];
                if (il != none && ig != none) matches.emplace_back(il, ig);
            }
        }
        emit(out, 1, bars[0], bars[1], matches, px);
    }

    // H1 of a volume against a binary target (binary_target()), from the streams of L, the
    // image L -> C and C alone. With the rows of a boundary matrix in two blocks, K's edges
    // first, the number of the first j reduced columns whose pivot lies in K's block is
    // rank D[:, <= j] - rank D[not K, <= j], whatever the order inside each block; so whether
    // column j of the image reduction G -> C has its pivot in K is the same with G's rows
    // (K, then the rest, each by id) as with C's (K by id, then the rest by value), which is C's
    // own reduction. A C bar of nonzero length (its death outside K) is matched from G exactly
    // when that pivot is in K: an image bar born in K, hence born with a bar of G of nonzero
    // length (the K columns, first in C's order as in G's, kill the same rows in both).
    // G's bars are the classes of H1(K), all (lo, hi): born at the K edges kept by C's
    // compression (the same as G's: K's edges come first, in the same order) that no K column
    // of C takes as pivot. Which of them a matched C bar meets is not determined without G's
    // own reduction; the bars are equal in value, so the matched ones take births in order and
    // the matched C bar's 2-cell as death, the others C's last 2-cell (a cell at hi in G).
    void binary_target_h1(std::vector<bm_detail::bar>* bars, const std::vector<u32>& by_birth_l,
                          std::vector<std::pair<u32, u32>>& matches) {
        using namespace bm_detail;
        const filtration& cf = f_[2][2];
        const std::vector<u64>& todo = h1_todo_[2];
        const std::vector<u64>& edge = cedge_[2];
        std::vector<u32>& killed = sum_;  // per compressed rank in K: killed by a K column
        std::size_t n_k = 0;              // K's kept edges: the first compressed ranks
        while (n_k < edge.size() && high_key(edge[n_k]) == lo_key_[2]) ++n_k;
        killed.assign(n_k, 0);
        std::vector<u32> c_death;  // the matched C bars' 2-cells, in match order
        for (std::size_t i = 0; i < todo.size(); ++i) {
            const u32 rl = pivots_[1][i], rc = pivots_[2][i];
            if (rc == none || rc >= n_k) continue;
            if (high_key(todo[i]) == lo_key_[2]) {
                killed[rc] = 1;
                continue;
            }
            if (rl == none) continue;
            const u32 il = by_birth_l[rl];
            if (il == none) continue;
            matches.emplace_back(il, static_cast<u32>(c_death.size()));
            c_death.push_back(static_cast<u32>(todo[i]));
        }
        std::vector<bar>& bg = bars[1];
        const u32 last = cf.sorted.empty() ? 0 : cf.id(cf.sorted.size() - 1);
        for (std::size_t r = 0; r < n_k; ++r)
            if (!killed[r])
                bg.push_back({static_cast<u32>(edge[r]), bg.size() < c_death.size() ? c_death[bg.size()] : last});
        if (bg.size() < c_death.size())
            throw std::logic_error("Betti matching: more matched target bars than target bars");
    }
};

}  // namespace topolayer
