// 3D H1 of the Freudenthal construction by persistent cohomology (1 -> 2) of the implicit
// complex: columns are the edges H0 left positive (clearing), in reverse filtration order; a
// column's pivot is its oldest triangle, and apparent pairs are recognised without being stored
// (Bauer 2021; Kaji, Sudo & Ahara 2020). A 2-cell's key is its three largest vertex ranks,
// which refines the (value, dimension, index) order. Worst case cubic in the number of edges.
// The cell tables also describe the V construction, whose H1 goes through morse_h1.hpp.
#pragma once

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <utility>
#include <vector>

#include "../interrupt.hpp"
#include "grid.hpp"
#include "pivot_map.hpp"

namespace topolayer {

namespace detail {

// ---- 3D H1 of a vertex-based construction (V or Freudenthal) ------------------------------

// Edges and 2-cells as vertex offsets from their lowest corner (flat, in a padded grid), and
// for each edge type the 2-cells that contain it.
struct vertex_cells {
    struct face_t {
        int nv = 0;
        std::array<index_t, 4> v{};              // vertex offsets from the base
        std::array<std::pair<int, int>, 4> e{};  // vertex pairs that are edges
        std::array<int, 4> etype{};              // their edge types
        int ne = 0;
    };
    struct cof_t {
        int face;
        index_t shift;  // face base = edge low corner - shift
    };
    std::vector<index_t> edge;  // flat offset of each edge type (low -> high)
    std::vector<face_t> face;
    std::vector<std::vector<cof_t>> cof;

    vertex_cells(construction c, const padded_grid& pg) {
        const bool cube = c == construction::V;
        const auto eo = half_offsets(3, cube ? 0 : 2);
        for (const auto& o : eo) edge.push_back(pg.flat(o));
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
                    if (eo[j].d0 == d.d0 && eo[j].d1 == d.d1 && eo[j].d2 == d.d2) type = static_cast<int>(j);
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
    u64 a;  // (largest rank << 32) | second largest
    u32 b;  // third largest
    u32 id;
    // Branch-free: these run in the heap of the reduction, on unpredictable data.
    bool operator<(const entry& o) const { return (a < o.a) | ((a == o.a) & (b < o.b)); }
    bool operator==(const entry& o) const { return (a == o.a) & (b == o.b); }
    u32 top() const { return static_cast<u32>(a >> 32); }
};

// Freudenthal volumes go through the Morse complex (morse_freudenthal.hpp); tests set this to
// run the cell-level path below (with the union-finds over every voxel) as their reference.
inline bool freudenthal_by_cells = false;

// Volumes up to this many (padded) cells keep the entries of stored H1 columns; larger ones
// keep only ids. Tests lower it to exercise both paths; set it before any computation.
inline index_t h1_keep_entries_limit = index_t{1} << 22;

// Persistent cohomology 1 -> 2: columns are the edges not cleared by H0 (`neg`), in reverse
// filtration order; a column's pivot is its oldest 2-cell. Pairs (e, s) where s's youngest
// edge is e and e's oldest 2-cell is s (apparent pairs) are recognised without being stored.
// emit(birth rank, death rank or no_rank).
template <class Emit>
void vertex_h1(construction c, const padded_grid& pg, const u32* rank, const u32* order, index_t n,
               const edge_bits& neg, Emit&& emit) {
    const vertex_cells cells(c, pg);
    const index_t n_types = static_cast<index_t>(cells.edge.size());
    const index_t n_faces = static_cast<index_t>(cells.face.size());
    const u32 nf32 = static_cast<u32>(n_faces);
    if (pg.size() * n_faces >= static_cast<index_t>(0xFFFFFFFFu))
        throw std::invalid_argument("the volume is too large for H1 (at most 2^32 2-cells)");

    auto make_entry = [&](index_t base, int t, bool& inside) {
        const auto& f = cells.face[static_cast<std::size_t>(t)];
        std::array<u32, 4> rk{};
        inside = true;
        for (int v = 0; v < f.nv; ++v) {
            rk[static_cast<std::size_t>(v)] = rank[base + f.v[static_cast<std::size_t>(v)]];
            if (rk[static_cast<std::size_t>(v)] == pad_rank) inside = false;
        }
        if (f.nv == 3) rk[3] = 0;
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
        return entry{(static_cast<u64>(rk[0]) << 32) | rk[1], rk[2], static_cast<u32>(base * n_faces + t)};
    };
    // The 2-cells of an edge (unsorted: the heap orders them) and the position of the oldest.
    auto coboundary = [&](index_t low, int type, std::vector<entry>& out) -> std::size_t {
        out.clear();
        std::size_t oldest = 0;
        for (const auto& cf : cells.cof[static_cast<std::size_t>(type)]) {
            bool inside;
            const entry e = make_entry(low - cf.shift, cf.face, inside);
            if (!inside) continue;
            if (!out.empty() && e < out[oldest]) oldest = out.size();
            out.push_back(e);
        }
        return oldest;
    };
    // The youngest edge of a 2-cell: its key and (low corner, type).
    auto youngest_edge = [&](const entry& s, index_t& low, int& type) {
        const u32 s_base32 = s.id / nf32;
        const index_t s_base = static_cast<index_t>(s_base32);
        const auto& f = cells.face[static_cast<std::size_t>(s.id - s_base32 * nf32)];
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
                              0);  // filters misses
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
    std::vector<std::pair<entry, u32>> heap;  // (current entry, run), a min-heap
    auto heap_less = [](const std::pair<entry, u32>& x, const std::pair<entry, u32>& y) { return y.first < x.first; };
    auto at = [&](const run& u) -> const entry& { return u.in_scratch ? scratch[u.pos] : pool_entries[u.pos]; };
    auto add_run = [&](bool in_scratch, std::size_t pos, std::size_t end) {
        if (pos == end) return;
        runs.push_back({in_scratch, pos, end});
        const u32 i = static_cast<u32>(runs.size() - 1);
        heap.push_back({at(runs.back()), i});
        std::push_heap(heap.begin(), heap.end(), heap_less);
    };
    auto advance = [&](u32 i) {  // the run at the top of the heap moves on
        std::pop_heap(heap.begin(), heap.end(), heap_less);
        run& u = runs[i];
        if (++u.pos < u.end) {
            heap.back().first = at(u);
            std::push_heap(heap.begin(), heap.end(), heap_less);
        } else {
            heap.pop_back();
        }
    };
    // The next entry of the working column (odd multiplicity), removed from the runs.
    auto next_entry = [&](entry& out) -> bool {
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
    auto add_sorted_tail = [&](std::vector<entry>& v) {
        std::sort(v.begin(), v.end());
        const std::size_t start = scratch.size();
        scratch.insert(scratch.end(), v.begin() + 1, v.end());
        add_run(true, start, scratch.size());
    };

    interrupt_countdown poll;
    for (index_t rr = n - 1; rr >= 0; --rr) {
        poll.tick();
        const u32 r = static_cast<u32>(rr);
        const index_t q = order[r];
        std::size_t k = 0;
        for (std::size_t j = 0; j < two_t; ++j) {
            const index_t off = cells.edge[j / 2];
            const index_t nq = j % 2 == 0 ? q + off : q - off;
            const u32 rn = rank[nq];
            if (rn < r) low[k++] = {rn, {j % 2 == 0 ? q : nq, static_cast<int>(j / 2)}};
        }
        std::sort(low.begin(), low.begin() + static_cast<std::ptrdiff_t>(k),
                  [](const auto& x, const auto& y) { return x.first > y.first; });
        for (std::size_t i = 0; i < k; ++i) {
            const index_t elow = low[i].second.first;
            const int etype = low[i].second.second;
            if (neg.get(elow, etype)) continue;
            const u64 ekey = (static_cast<u64>(r) << 32) | low[i].first;
            const std::size_t oldest = coboundary(elow, etype, col);
            if (col.empty()) {
                emit(r, no_rank);
                continue;
            }
            index_t yl = 0;
            int yt = 0;
            if (youngest_edge(col[oldest], yl, yt) == ekey) {  // apparent pair
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
                poll.tick();
                const u32 col_of = (is_pivot[piv.id >> 6] >> (piv.id & 63)) & 1 ? owner.find(piv.id) : pivot_map::none;
                if (col_of != pivot_map::none) {  // add the column with this pivot: piv cancels
                    const auto span = spans[col_of];
                    if (keep_entries) {
                        add_run(false, span.first + 1, span.first + span.second);
                        continue;
                    }
                    const std::size_t start = scratch.size();
                    for (std::size_t t = span.first + 1; t < span.first + span.second; ++t) {
                        bool inside;
                        const u32 base = pool[t] / nf32;
                        scratch.push_back(
                            make_entry(static_cast<index_t>(base), static_cast<int>(pool[t] - base * nf32), inside));
                    }
                    add_run(true, start, scratch.size());
                    continue;
                }
                youngest_edge(piv, yl, yt);
                const std::size_t o = coboundary(yl, yt, other);
                if (!other.empty() && other[o] == piv) {  // piv is in an apparent pair
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

}  // namespace detail

}  // namespace topolayer
