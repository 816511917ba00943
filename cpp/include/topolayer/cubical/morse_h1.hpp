// 3D H1 of the V construction (and of T, through its V dual) on a discrete Morse complex: a
// gradient matched inside each vertex's lower star is compatible with the lower-star
// filtration, so the Morse complex of its critical cells has the same persistence (Robins, Wood
// & Sheppard 2011; Mischaikow & Nanda 2013). H0 on the critical edges clears the negative ones,
// gradient flows give the Morse coboundaries, and cohomology over Z2 pairs the positive
// critical edges with critical squares. Cost: one pass over the cells for the gradient; the
// flows follow gradient paths down from the critical squares; the reduction sees critical cells.
#pragma once

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <iterator>
#include <stdexcept>
#include <utility>
#include <vector>

#include "../interrupt.hpp"
#include "../sort.hpp"
#include "grid.hpp"
#include "pivot_map.hpp"

namespace topolayer {

namespace detail {

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
    std::array<int, 6> axis{}, sign{};             // link vertex i: neighbour sign * e_axis
    std::array<std::array<int, 2>, 12> ev{};       // link edge: its two link vertices
    std::array<std::array<int, 3>, 8> tv{}, te{};  // link triangle: its vertices and edges
    std::array<u32, 26> facets{};                  // cell bits 0-5 vertices, 6-17 edges, 18-25
    // The link edges whose two vertices are in a set of link vertices (6 bits), and the link
    // triangles whose three edges are in a set of link edges (12 bits).
    std::array<std::uint16_t, 64> edges_within{};
    std::array<std::uint8_t, 4096> triangles_within{};
    octahedron() {
        for (int i = 0; i < 6; ++i) {
            axis[static_cast<std::size_t>(i)] = i / 2;
            sign[static_cast<std::size_t>(i)] = i % 2 == 0 ? 1 : -1;
        }
        int k = 0;
        for (int i = 0; i < 6; ++i)
            for (int j = i + 1; j < 6; ++j)
                if (i / 2 != j / 2) ev[static_cast<std::size_t>(k++)] = {i, j};
        auto edge_of = [&](int i, int j) {
            for (int e = 0; e < 12; ++e)
                if ((ev[static_cast<std::size_t>(e)][0] == i && ev[static_cast<std::size_t>(e)][1] == j) ||
                    (ev[static_cast<std::size_t>(e)][0] == j && ev[static_cast<std::size_t>(e)][1] == i))
                    return e;
            return -1;
        };
        for (int t = 0; t < 8; ++t) {
            const int a = (t >> 2) & 1, b = (t >> 1) & 1, c = t & 1;
            tv[static_cast<std::size_t>(t)] = {a, 2 + b, 4 + c};
            te[static_cast<std::size_t>(t)] = {edge_of(a, 2 + b), edge_of(a, 4 + c), edge_of(2 + b, 4 + c)};
        }
        for (int e = 0; e < 12; ++e)
            facets[static_cast<std::size_t>(6 + e)] =
                (1u << ev[static_cast<std::size_t>(e)][0]) | (1u << ev[static_cast<std::size_t>(e)][1]);
        for (int t = 0; t < 8; ++t)
            for (int e : te[static_cast<std::size_t>(t)]) facets[static_cast<std::size_t>(18 + t)] |= 1u << (6 + e);
        for (u32 m = 0; m < 64; ++m)
            for (int e = 0; e < 12; ++e)
                if ((m & facets[static_cast<std::size_t>(6 + e)]) == facets[static_cast<std::size_t>(6 + e)])
                    edges_within[m] = static_cast<std::uint16_t>(edges_within[m] | (1u << e));
        for (u32 m = 0; m < 4096; ++m)
            for (int t = 0; t < 8; ++t) {
                const u32 need = facets[static_cast<std::size_t>(18 + t)] >> 6;
                if ((m & need) == need)
                    triangles_within[m] = static_cast<std::uint8_t>(triangles_within[m] | (1u << t));
            }
    }
};

// Per edge of the V complex (low corner * 3 + axis): how the gradient treats it.
// 1-4: paired up with one of its 4 squares; edge_critical: critical and positive (an H1
// birth) once H0 has marked the negative ones edge_negative.
inline constexpr std::uint8_t edge_unset = 0, edge_down = 5, edge_critical = 6, edge_negative = 7;

// H1 by persistent cohomology on a Morse complex (morse_h1, morse_freudenthal): `entries` are
// the (column, row) terms of the coboundaries of the positive critical edges (columns, in
// filtration order) over the critical 2-cells (rows, by their place in the filtration order);
// birth(column) and death(row) are their top ranks. Columns run from the youngest; a column's
// pivot is its oldest row; reduced columns are kept flat in one pool. emit(1, birth, death or
// no_rank). `entries` is consumed.
template <class Birth, class Death, class Emit>
void morse_cohomology_h1(std::vector<std::pair<u32, u32>>& entries, std::size_t n_cols, std::size_t n_rows,
                         Birth&& birth, Death&& death, Emit&& emit) {
    interrupt_countdown poll;
    // Columns in compressed form (counting sort by column, then each column sorted).
    std::vector<std::size_t> start(n_cols + 1, 0);
    for (const auto& e : entries) {
        poll.tick();
        ++start[e.first + 1];
    }
    for (std::size_t c = 0; c < n_cols; ++c) start[c + 1] += start[c];
    std::vector<u32> cob(entries.size());
    {
        std::vector<std::size_t> at(start.begin(), start.end() - 1);
        for (const auto& e : entries) {
            poll.tick();
            cob[at[e.first]++] = e.second;
        }
    }
    entries = {};
    for (std::size_t c = 0; c < n_cols; ++c) {
        poll.tick();
        std::sort(cob.begin() + static_cast<std::ptrdiff_t>(start[c]),
                  cob.begin() + static_cast<std::ptrdiff_t>(start[c + 1]));
    }
    check_interrupt();
    std::vector<u32> owner(n_rows, pivot_map::none);
    std::vector<std::pair<std::size_t, std::size_t>> span(n_cols);  // reduced column in pool
    std::vector<u32> pool, col, tmp;
    for (std::size_t pi = n_cols; pi-- > 0;) {
        const u32 b = birth(pi);
        col.assign(cob.begin() + static_cast<std::ptrdiff_t>(start[pi]),
                   cob.begin() + static_cast<std::ptrdiff_t>(start[pi + 1]));
        bool paired = false;
        while (!col.empty()) {
            poll.tick();
            const u32 p = col.front();
            const u32 o = owner[p];
            if (o == pivot_map::none) {
                owner[p] = static_cast<u32>(pi);
                emit(1, b, death(p));
                span[pi] = {pool.size(), pool.size() + col.size()};
                pool.insert(pool.end(), col.begin(), col.end());
                paired = true;
                break;
            }
            const auto sp = span[o];
            tmp.clear();
            std::set_symmetric_difference(col.begin(), col.end(), pool.begin() + static_cast<std::ptrdiff_t>(sp.first),
                                          pool.begin() + static_cast<std::ptrdiff_t>(sp.second),
                                          std::back_inserter(tmp));
            col.swap(tmp);
        }
        if (!paired) emit(1, b, no_rank);
    }
}

// A flow's working chain holds (key, edge id) entries, keys of at most 40 bits (a rank, then
// the step in its lower star). Edge ids below flow_packed_ids (at most 2^24, volumes up to about
// 170^3 for V and 130^3 for Freudenthal) go into one u64 with their key, whose comparisons and
// moves are cheaper than a pair's; the order is the same. A test lowers it to check the pairs
// that larger volumes use.
inline index_t flow_packed_ids = index_t{1} << 24;
inline bool flow_ids_pack(index_t n_ids) { return n_ids <= std::min(flow_packed_ids, index_t{1} << 24); }
inline void flow_entry(u64& e, u64 key, u32 id) { e = (key << 24) | id; }
inline void flow_entry(std::pair<u64, u32>& e, u64 key, u32 id) { e = {key, id}; }
inline u32 flow_id(u64 e) { return static_cast<u32>(e & 0xFFFFFFu); }
inline u32 flow_id(const std::pair<u64, u32>& e) { return e.second; }
// A flow's working chain, from which the youngest edge is taken out next. Up to
// flow_sorted_max entries it is kept sorted, youngest last: an edge enters below the one it
// replaces, the youngest, so the insertion from the back is a short loop, where a binary heap's
// sift comparisons are mispredicted. A longer chain (long flows on large smooth
// structures) turns into a binary heap for the rest of its flow, so a push never costs more than
// flow_sorted_max moves. A test changes the bound to check that both give the same pairs.
inline std::size_t flow_sorted_max = 64;
template <class E>
struct flow_chain {
    std::size_t sorted_max = flow_sorted_max;
    std::vector<E> v;
    bool heap = false;
    void clear() {
        v.clear();
        heap = false;
    }
    bool empty() const { return v.empty(); }
    void push(const E& e) {
        if (!heap) {
            if (v.size() < sorted_max) {
                v.push_back(e);
                auto i = v.end() - 1;
                for (; i != v.begin() && e < *(i - 1); --i) *i = *(i - 1);
                *i = e;
                return;
            }
            std::make_heap(v.begin(), v.end());
            heap = true;
        }
        v.push_back(e);
        std::push_heap(v.begin(), v.end());
    }
    E pop() {
        if (heap) std::pop_heap(v.begin(), v.end());
        const E e = v.back();
        v.pop_back();
        return e;
    }
};

struct morse_scratch {
    std::vector<std::uint8_t> code, in_chain;
    std::vector<u32> parent, cube_up;
    std::vector<u64> ckey;
};

// The matching of a vertex's lower star depends only on its present link cells (26 bits) and
// its lowest neighbour: each (link, lowest) seen is planned once per thread and grid row length,
// found again through a pivot_map, and replayed. A plan is five counts (edge pairs, cube
// pairs, critical edges, squares, cubes), then two entries per op, grouped by kind, cells
// relative to the vertex (3 v for edge and square ids, v for cubes); the step t of an op in the
// star (from 1, in the greedy order) is kept in the code written or the key:
//   edge pair (edge, t << 3 | up code); cube pair (cube, offset to the cube across);
//   critical edge (edge, t << 3 | edge_critical), square (square, t), cube (cube, t).
// Relative ids fit 32 bits: a volume has fewer than 2^32 / 3 padded cells and at least 3 planes.
struct morse_plans {
    enum : int { pair = 0, cube = 1, crit_edge = 2, crit_square = 3, crit_cube = 4, kinds = 5 };
    index_t p1 = -1, p2 = -1;  // the padded strides the ids were made for
    pivot_map start;           // link | lowest << 26 -> offset in ops
    std::vector<std::int32_t> ops;
    void reset(index_t q1, index_t q2) {
        p1 = q1;
        p2 = q2;
        start = pivot_map{};
        ops.clear();
    }
};

// H1 pairs of the V construction; rank[q] of each padded cell (pad_rank for padding).
// emit(dimension, birth rank, death rank or no_rank). With `all_dims`, H0 and H2 come from the
// same gradient: H0 by the elder rule over the critical edges (the gradient forest joins every
// other vertex to a minimum), H2 by a union-find in reverse order over the critical squares,
// whose Morse coboundary has at most two critical cubes: a gradient path up from a square
// crosses each cube through the square it is paired with, ends at a critical cube or leaves the
// grid into the outside, the eldest cell (Alexander duality, as union_find_top).
// Cells whose top rank is below `min_rank` (the outside layer of the T dual) take part in H0
// only: a gradient path never climbs back from them, so flows stop there and no pair born
// there is reported.
template <class Emit>
void morse_h1(const padded_grid& pg, const u32* rank, Emit&& emit, u32 min_rank = 0, bool all_dims = false) {
    static const octahedron oct;
    const index_t size = pg.size();
    if (size * 3 >= static_cast<index_t>(0xFFFFFFFFu))
        throw std::invalid_argument("the volume is too large for H1 (at most 2^32 edges)");
    const std::array<index_t, 3> ax{pg.p1 * pg.p2, pg.p2, 1};
    std::array<index_t, 6> ov{};  // link vertex offsets
    for (std::size_t i = 0; i < 6; ++i) ov[i] = oct.sign[i] * ax[static_cast<std::size_t>(oct.axis[i])];
    // The 26 neighbours of v in the bit order of its link cells: the link vertex i (bit i), the
    // far corner of the square over link edge e (bit 6 + e), of the cube over triangle t (18 + t).
    std::array<index_t, 26> nb{};
    for (std::size_t i = 0; i < 6; ++i) nb[i] = ov[i];
    for (std::size_t e = 0; e < 12; ++e)
        nb[6 + e] = ov[static_cast<std::size_t>(oct.ev[e][0])] + ov[static_cast<std::size_t>(oct.ev[e][1])];
    for (std::size_t t = 0; t < 8; ++t)
        nb[18 + t] = ov[static_cast<std::size_t>(oct.tv[t][0])] + ov[static_cast<std::size_t>(oct.tv[t][1])] +
                     ov[static_cast<std::size_t>(oct.tv[t][2])];
    // The other axis and side of each up code (1-4) of an edge on axis a.
    auto other_axis = [](int a, int k) { return k == 0 ? (a == 0 ? 1 : 0) : (a == 2 ? 1 : 2); };
    // Edge and square ids: low corner * 3 + axis (edges) or normal axis (squares).
    auto edge_id = [&](index_t v, int i) -> u32 {  // the edge from v to its link vertex i
        const std::size_t a = static_cast<std::size_t>(oct.axis[static_cast<std::size_t>(i)]);
        const index_t base = oct.sign[static_cast<std::size_t>(i)] > 0 ? v : v - ax[a];
        return static_cast<u32>(base * 3 + static_cast<index_t>(a));
    };
    auto square_id = [&](index_t v, int e) -> u32 {  // the square at v over link edge e
        const int i = oct.ev[static_cast<std::size_t>(e)][0], j = oct.ev[static_cast<std::size_t>(e)][1];
        const int ai = oct.axis[static_cast<std::size_t>(i)], aj = oct.axis[static_cast<std::size_t>(j)];
        index_t base = v;
        if (oct.sign[static_cast<std::size_t>(i)] < 0) base -= ax[static_cast<std::size_t>(ai)];
        if (oct.sign[static_cast<std::size_t>(j)] < 0) base -= ax[static_cast<std::size_t>(aj)];
        return static_cast<u32>(base * 3 + (3 - ai - aj));
    };

    // The per-cell arrays live in a per-thread scratch: a batch of volumes reuses memory that is
    // already mapped. A volume of more than 2M cells gives it back when done.
    // Raw pointers below, not references to its vectors: GCC reads a reference to a
    // thread_local afresh at every use, which in a shared library is a call (__tls_get_addr).
    thread_local morse_scratch scratch_of_thread;
    morse_scratch& scratch = scratch_of_thread;
    struct release {
        morse_scratch& s;
        bool big;
        ~release() {
            if (big) s = morse_scratch{};
        }
    } release_guard{scratch, size > (index_t{1} << 21)};
    // Per edge: its gradient code (low 3 bits) and step in its lower star (high 5 bits).
    scratch.code.assign(static_cast<std::size_t>(size * 3), edge_unset);
    std::uint8_t* const code = scratch.code.data();
    scratch.parent.resize(static_cast<std::size_t>(size));
    u32* const parent = scratch.parent.data();  // gradient forest, then union-find
    // With all_dims, per cube (by its low corner): itself if critical, else the cube across the
    // square it is paired with; 0 (a padding cell) is the outside, as is every cube that is not
    // in the grid. ckey: the key of each critical cube (only those are read).
    if (all_dims) {
        scratch.cube_up.assign(static_cast<std::size_t>(size), 0u);
        scratch.ckey.resize(static_cast<std::size_t>(size));
    }
    u32* const cube_up = scratch.cube_up.data();
    u64* const ckey = scratch.ckey.data();
    // up_code[e][a]: the code (1-4) of the edge to link vertex a paired with the square over
    // link edge e: the other axis of that square, and the side of the edge it lies on.
    std::array<std::array<std::uint8_t, 6>, 12> up_code{};
    for (std::size_t e = 0; e < 12; ++e)
        for (int end = 0; end < 2; ++end) {
            const int a = oct.ev[e][static_cast<std::size_t>(end)],
                      other = oct.ev[e][static_cast<std::size_t>(1 - end)];
            const int k =
                other_axis(oct.axis[static_cast<std::size_t>(a)], 0) == oct.axis[static_cast<std::size_t>(other)] ? 0
                                                                                                                  : 1;
            up_code[e][static_cast<std::size_t>(a)] =
                static_cast<std::uint8_t>(1 + 2 * k + (oct.sign[static_cast<std::size_t>(other)] < 0 ? 1 : 0));
        }
    // The cube at v in link triangle t's octant: its low corner v + cube_off[t]; across[t][e]:
    // from that corner to the low corner of the cube beyond its face over link edge e.
    std::array<index_t, 8> cube_off{};
    std::array<std::array<index_t, 12>, 8> across{};
    for (std::size_t t = 0; t < 8; ++t) {
        for (int i : oct.tv[t])
            if (oct.sign[static_cast<std::size_t>(i)] < 0)
                cube_off[t] -= ax[static_cast<std::size_t>(oct.axis[static_cast<std::size_t>(i)])];
        for (int e : oct.te[t]) {
            // The face over link edge e misses one link vertex of t: its axis is the face's normal,
            // and the cube beyond lies a step further along that vertex's direction.
            for (int i : oct.tv[t]) {
                const auto& ev = oct.ev[static_cast<std::size_t>(e)];
                if (i != ev[0] && i != ev[1]) across[t][static_cast<std::size_t>(e)] = -ov[static_cast<std::size_t>(i)];
            }
        }
    }
    std::vector<u32> crit_edge_ids;
    std::vector<std::pair<u64, u32>> crit_squares;  // (top rank << 8 | step, square id)
    constexpr u64 cleared = u64{1} << 63;           // a square's key flag: paired in H2
    auto edge_key = [&](u32 id) -> u64 {
        const index_t base = static_cast<index_t>(id / 3);
        const u32 top = std::max(rank[base], rank[base + ax[id % 3]]);
        return (static_cast<u64>(top) << 8) | (code[id] >> 3);
    };

    // Plans the matching of a lower star: pairs greedily (a cell with its one unpaired facet),
    // and when stuck makes the first unpaired cell with no unpaired facet critical.
    thread_local morse_plans plans_of_thread;
    morse_plans& plans = plans_of_thread;
    if (plans.p1 != pg.p1 || plans.p2 != pg.p2) plans.reset(pg.p1, pg.p2);
    std::array<std::vector<std::int32_t>, morse_plans::kinds> grouped;
    const index_t v0 = pg.first() + pg.p1 * pg.p2;  // any interior vertex: ids relative to it
    auto plan = [&](u32 L, int w0, u32 pkey) {
        for (auto& gr : grouped) gr.clear();
        auto add = [&](int kind, index_t cell, index_t value) {
            grouped[static_cast<std::size_t>(kind)].push_back(static_cast<std::int32_t>(cell));
            grouped[static_cast<std::size_t>(kind)].push_back(static_cast<std::int32_t>(value));
        };
        const index_t v3 = 3 * v0;
        u32 U = L & ~(1u << w0);
        index_t st = 1;
        while (U != 0) {
            bool changed = true;
            while (changed) {
                changed = false;
                for (u32 m = U & ~0x3Fu; m != 0; m &= m - 1) {
                    const int c = __builtin_ctz(m);
                    if (!((U >> c) & 1u)) continue;
                    const u32 f = U & oct.facets[static_cast<std::size_t>(c)];
                    if (f == 0 || (f & (f - 1)) != 0) continue;  // not exactly one unpaired facet
                    const int a = __builtin_ctz(f);
                    U &= ~((1u << a) | (1u << c));
                    changed = true;
                    if (a < 6) {  // edge v-a pairs up with the square over link edge c
                        add(morse_plans::pair, edge_id(v0, a) - v3,
                            (st << 3) | up_code[static_cast<std::size_t>(c - 6)][static_cast<std::size_t>(a)]);
                    } else {  // the cube c crosses into the one beyond square a
                        const std::size_t t = static_cast<std::size_t>(c - 18);
                        add(morse_plans::cube, cube_off[t], across[t][static_cast<std::size_t>(a - 6)]);
                    }
                    ++st;
                }
            }
            if (U == 0) break;
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
            if (c < 6)
                add(morse_plans::crit_edge, edge_id(v0, c) - v3, (st << 3) | edge_critical);
            else if (c < 18)
                add(morse_plans::crit_square, square_id(v0, c - 6) - v3, st);
            else
                add(morse_plans::crit_cube, cube_off[static_cast<std::size_t>(c - 18)], st);
            ++st;
        }
        if (st > 32) throw std::logic_error("V lower star plan");  // 5 bits of the edge codes
        const std::size_t at = plans.ops.size();
        for (const auto& gr : grouped) plans.ops.push_back(static_cast<std::int32_t>(gr.size() / 2));
        for (const auto& gr : grouped) plans.ops.insert(plans.ops.end(), gr.begin(), gr.end());
        plans.start.insert(pkey, static_cast<u32>(at));
    };
    // Raw pointers in the loop: GCC reads a reference to a thread_local afresh at every use.
    const pivot_map* const plan_start = &plans.start;
    const std::int32_t* plan_ops = plans.ops.data();

    // Which neighbours are lower, and the lowest axis neighbour, for a run of a row at once.
    constexpr index_t run = lower_link_run;
    u32 lower[run], lowest[run];

    interrupt_countdown poll;
    for (index_t a0 = 0; a0 < pg.n0; ++a0)
        for (index_t a1 = 0; a1 < pg.n1; ++a1)
            for (index_t r0 = 0; r0 < pg.n2; r0 += run) {
                const index_t m = std::min(run, pg.n2 - r0);
                const index_t row = pg.first() + (a0 * pg.p1 + a1) * pg.p2 + r0;
                const u32* const rr = rank + row;
                lower_link<6, 26>(rr, nb.data(), m, lower, lowest);
                for (index_t j = 0; j < m; ++j) {
                    poll.tick();
                    const index_t v = row + j;
                    const u32 rv = rr[j];
                    const u32 nv = lower[j];
                    if ((nv & 0x3Fu) == 0) {  // a minimum: a critical vertex
                        parent[static_cast<std::size_t>(v)] = static_cast<u32>(v);
                        continue;
                    }
                    const int w0 = static_cast<int>(lowest[j]);
                    parent[static_cast<std::size_t>(v)] = static_cast<u32>(v + ov[static_cast<std::size_t>(w0)]);
                    {
                        const u32 id = edge_id(v, w0);
                        code[id] = edge_down;  // step 0
                    }
                    // A link edge is present when its two vertices and the far corner are lower, a
                    // triangle when its three edges and the far corner are.
                    u32 L = (nv & 0x3Fu) | (nv & (static_cast<u32>(oct.edges_within[nv & 0x3Fu]) << 6));
                    L |= nv & (static_cast<u32>(oct.triangles_within[(L >> 6) & 0xFFFu]) << 18);
                    const u32 pkey = L | (static_cast<u32>(w0) << 26);
                    u32 at = plan_start->find(pkey);
                    if (at == pivot_map::none) {
                        plan(L, w0, pkey);
                        plan_ops = plans.ops.data();
                        at = plan_start->find(pkey);
                    }
                    const std::int32_t* op = plan_ops + at;
                    const std::int32_t* cell = op + morse_plans::kinds;
                    const index_t v3 = 3 * v;
                    for (std::int32_t k = 0; k < op[morse_plans::pair]; ++k, cell += 2)
                        code[v3 + cell[0]] = static_cast<std::uint8_t>(cell[1]);
                    if (all_dims) {
                        for (std::int32_t k = 0; k < op[morse_plans::cube]; ++k, cell += 2)
                            cube_up[v + cell[0]] = static_cast<u32>(v + cell[0] + cell[1]);
                    } else
                        cell += 2 * op[morse_plans::cube];
                    for (std::int32_t k = 0; k < op[morse_plans::crit_edge]; ++k, cell += 2) {
                        code[v3 + cell[0]] = static_cast<std::uint8_t>(cell[1]);
                        crit_edge_ids.push_back(static_cast<u32>(v3 + cell[0]));
                    }
                    for (std::int32_t k = 0; k < op[morse_plans::crit_square]; ++k, cell += 2)
                        crit_squares.push_back(
                            {(static_cast<u64>(rv) << 8) | static_cast<u64>(cell[1]), static_cast<u32>(v3 + cell[0])});
                    if (all_dims)
                        for (std::int32_t k = 0; k < op[morse_plans::crit_cube]; ++k, cell += 2) {
                            const u32 cb = static_cast<u32>(v + cell[0]);
                            cube_up[cb] = cb;
                            ckey[cb] = (static_cast<u64>(rv) << 8) | static_cast<u64>(cell[1]);
                        }
                }
            }

    // H0 on the critical edges (in filtration order) tells the negative ones; the others are
    // the columns of the cohomology reduction. Critical cells are sorted by their keys, which
    // are distinct (the rank of the cell's top vertex, then its step in that vertex's lower
    // star): the radix passes (which poll for an interrupt between them) give the one order.
    const std::size_t ne = crit_edge_ids.size();
    std::vector<keyed<u64>> ce(ne), sort_tmp;  // (key, edge id)
    for (std::size_t i = 0; i < ne; ++i) {
        poll.tick();
        ce[i] = {edge_key(crit_edge_ids[i]), crit_edge_ids[i]};
    }
    radix_sort<11>(ce, sort_tmp, ne);
    u32* par = parent;
    std::vector<u32> positive;  // indices into ce
    pivot_map column_of;        // positive critical edge id -> column index
    for (std::size_t i = 0; i < ne; ++i) {
        poll.tick();
        const u32 id = ce[i].idx;
        const index_t base = static_cast<index_t>(id / 3);
        const u32 x = find_root(par, static_cast<u32>(base));
        const u32 y = find_root(par, static_cast<u32>(base + ax[id % 3]));
        if (x != y) {
            // Roots are minima (the gradient forest leads down to them): the elder survives.
            const bool x_old = rank[x] < rank[y];
            const u32 young = x_old ? y : x;
            par[young] = x_old ? x : y;
            if (all_dims) emit(0, rank[young], static_cast<u32>(ce[i].key >> 8));
            code[id] = static_cast<std::uint8_t>((code[id] & ~7u) | edge_negative);
            continue;
        }
        if ((ce[i].key >> 8) < min_rank) {
            code[id] = static_cast<std::uint8_t>((code[id] & ~7u) | edge_negative);  // outside
            continue;
        }
        column_of.insert(id, static_cast<u32>(positive.size()));
        positive.push_back(static_cast<u32>(i));
    }

    if (all_dims && size > 0) {  // the essential class, born at the first vertex
        const u32 r = find_root(par, static_cast<u32>(pg.first()));
        emit(0, rank[r], no_rank);
    }

    // Flows: the Morse boundary of each critical square over the positive critical edges.
    // Flows run in raster order (neighbouring squares touch the same memory); the columns
    // need the squares' filtration order: sorted_pos[i] is square i's place in it.
    const std::size_t ns = crit_squares.size();
    std::vector<u32> sorted_pos(ns);
    {
        std::vector<keyed<u64>> by_key(ns);
        for (std::size_t i = 0; i < ns; ++i) by_key[i] = {crit_squares[i].first, static_cast<u32>(i)};
        radix_sort<11>(by_key, sort_tmp, ns);
        for (std::size_t i = 0; i < ns; ++i) sorted_pos[by_key[i].idx] = static_cast<u32>(i);
        if (all_dims) {
            // H2: the critical squares from the youngest; each joins the components of the
            // critical cubes (or the outside) that its two cofaces flow to. Keys grow along a
            // path up, so every cube met is younger than the square, i.e. already entered.
            // A square that joins two is the pivot of its coboundary column, so its row drops
            // out of the H1 cohomology without changing a pivot (clearing, as compress_rows in
            // betti_matching.hpp): it needs no flow.
            u32* up = cube_up;
            for (std::size_t j = ns; j-- > 0;) {
                poll.tick();
                const std::size_t i = by_key[j].idx;
                const u32 sq = crit_squares[i].second;
                const u32 sb = sq / 3;
                const u32 x = find_root(up, sb);
                const u32 y = find_root(up, static_cast<u32>(sb - ax[sq % 3]));
                if (x == y) continue;
                // The outside (0) is eldest; otherwise, in reverse order, the smaller key is younger.
                const bool x_old = x == 0 || (y != 0 && ckey[x] > ckey[y]);
                const u32 young = x_old ? y : x;
                up[young] = x_old ? x : y;
                emit(2, static_cast<u32>(crit_squares[i].first >> 8), static_cast<u32>(ckey[young] >> 8));
                crit_squares[i].first |= cleared;
            }
        }
    }
    sort_tmp = {};
    // Coboundary entries (column, square's place in the filtration order), gathered flat.
    std::vector<std::pair<u32, u32>> entries;
    // The working chain of a flow, mod 2: (key, edge) entries taken out youngest first
    // (flow_chain) with a mark per edge in the chain; an edge added twice cancels by clearing its
    // mark, and its entry is skipped when it surfaces (keys are distinct per edge, and an edge
    // taken out never comes back: keys decrease along a gradient path). Edges that end a path without a term (paired
    // down with a vertex, or negative) never enter.
    scratch.in_chain.assign(static_cast<std::size_t>(size * 3), 0);
    std::uint8_t* const in_chain = scratch.in_chain.data();  // all clear after each flow
    const u64 min_key = static_cast<u64>(min_rank) << 8;
    auto flows = [&](auto entry_tag) {
        using entry = decltype(entry_tag);
        flow_chain<entry> chain;
        auto toggle = [&](u32 id) {
            const unsigned cd = code[id] & 7u;
            if (cd == edge_down || cd == edge_negative) return;
            if (in_chain[id]) {
                in_chain[id] = 0;
                return;
            }
            const u64 k = edge_key(id);
            if (k < min_key) return;
            in_chain[id] = 1;
            entry e;
            flow_entry(e, k, id);
            chain.push(e);
        };
        // The youngest edge of the chain, taken out; pivot_map::none when it had cancelled.
        auto take = [&]() -> u32 {
            const u32 id = flow_id(chain.pop());
            if (!in_chain[id]) return pivot_map::none;
            in_chain[id] = 0;
            return id;
        };
        for (std::size_t si = 0; si < ns; ++si) {
            if ((crit_squares[si].first & cleared) || (crit_squares[si].first >> 8) < min_rank) continue;
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
                poll.tick();
                const u32 id = take();
                if (id == pivot_map::none) continue;  // it cancelled
                const unsigned cd = code[id] & 7u;
                if (cd == edge_critical) {
                    entries.push_back({column_of.find(id), sorted_pos[si]});
                    continue;
                }
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
                    if (f != id) toggle(f);
            }
        }
    };
    if (flow_ids_pack(size * 3))
        flows(u64{});
    else
        flows(std::pair<u64, u32>{});

    {  // the squares in filtration order
        std::vector<std::pair<u64, u32>> sorted(ns);
        for (std::size_t i = 0; i < ns; ++i) sorted[sorted_pos[i]] = crit_squares[i];
        crit_squares.swap(sorted);
    }
    morse_cohomology_h1(
        entries, positive.size(), ns, [&](std::size_t c) { return static_cast<u32>(ce[positive[c]].key >> 8); },
        [&](u32 r) { return static_cast<u32>(crit_squares[r].first >> 8); }, emit);
}

}  // namespace detail

}  // namespace topolayer
