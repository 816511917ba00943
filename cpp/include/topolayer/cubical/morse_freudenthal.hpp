// 3D persistence (H0, H1, H2) of the Freudenthal construction on a discrete Morse complex, as
// morse_h1.hpp does for V: a gradient matched inside each vertex's lower star is compatible
// with the lower-star filtration, so the Morse complex of its critical cells has the same
// persistence (Robins, Wood & Sheppard 2011). The lower star of a vertex is the cone over its
// lower link, a subcomplex of the link of the Freudenthal triangulation: 14 neighbours, 36 link
// edges (triangles at the vertex), 24 link triangles (tetrahedra). H0: elder rule over the
// critical edges; H2: a union-find in reverse order over the critical triangles, through the
// gradient paths up the tetrahedra; H1: cohomology of the critical edges and triangles, whose
// Morse boundaries are flows down the gradient, with H0-negative edges and H2-paired triangles
// cleared. Cost: one pass over the vertices, then work on the critical cells and their flows.
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
#include "morse_h1.hpp"
#include "pivot_map.hpp"

namespace topolayer {

namespace detail {

// The Freudenthal (Kuhn) triangulation of Z^3: a set of points is a simplex when it is a chain
// (componentwise ordered) whose largest minus smallest point lies in {0, 1}^3. Cells are named
// by their smallest point (the base) and a type: edges by their direction (7), triangles by
// (first step, second step) (12), tetrahedra by the order of the three unit steps (6).
struct freudenthal_tables {
    static offset3 bits(int m) { return {(m >> 2) & 1, (m >> 1) & 1, m & 1}; }
    static int mask(const offset3& o) { return (o.d0 << 2) | (o.d1 << 1) | o.d2; }
    static offset3 sub(const offset3& a, const offset3& b) { return {a.d0 - b.d0, a.d1 - b.d1, a.d2 - b.d2}; }
    static offset3 add(const offset3& a, const offset3& b) { return {a.d0 + b.d0, a.d1 + b.d1, a.d2 + b.d2}; }
    static bool same(const offset3& a, const offset3& b) { return a.d0 == b.d0 && a.d1 == b.d1 && a.d2 == b.d2; }
    static int sum(const offset3& a) { return a.d0 + a.d1 + a.d2; }
    // Sorted into a chain if the points form a simplex; false otherwise.
    static bool chain(std::vector<offset3>& p) {
        std::sort(p.begin(), p.end(), [](const offset3& a, const offset3& b) { return sum(a) < sum(b); });
        for (std::size_t i = 1; i < p.size(); ++i) {
            const offset3 d = sub(p[i], p[i - 1]);
            if (d.d0 < 0 || d.d1 < 0 || d.d2 < 0 || sum(d) == 0) return false;
        }
        const offset3 t = sub(p.back(), p.front());
        return t.d0 <= 1 && t.d1 <= 1 && t.d2 <= 1;
    }

    std::array<std::pair<int, int>, 12> tri_type{};  // (first step, second step) masks
    std::array<std::array<int, 3>, 6> tet_type{};    // the three unit steps, in order
    int tri_index(int al, int be) const {
        for (int t = 0; t < 12; ++t)
            if (tri_type[static_cast<std::size_t>(t)].first == al && tri_type[static_cast<std::size_t>(t)].second == be)
                return t;
        return -1;
    }
    int tet_index(int s0, int s1) const {
        for (int t = 0; t < 6; ++t)
            if (tet_type[static_cast<std::size_t>(t)][0] == s0 && tet_type[static_cast<std::size_t>(t)][1] == s1) return t;
        return -1;
    }
    // A simplex (sorted chain) as (base, type).
    std::pair<offset3, int> name(const std::vector<offset3>& p) const {
        if (p.size() == 2) return {p[0], mask(sub(p[1], p[0])) - 1};
        if (p.size() == 3) return {p[0], tri_index(mask(sub(p[1], p[0])), mask(sub(p[2], p[1])))};
        return {p[0], tet_index(mask(sub(p[1], p[0])), mask(sub(p[2], p[1])))};
    }
    std::vector<offset3> tri_points(const offset3& base, int t) const {
        const auto& ty = tri_type[static_cast<std::size_t>(t)];
        const offset3 a = add(base, bits(ty.first));
        return {base, a, add(a, bits(ty.second))};
    }
    std::vector<offset3> tet_points(const offset3& base, int t) const {
        std::vector<offset3> p{base};
        for (int s : tet_type[static_cast<std::size_t>(t)]) p.push_back(add(p.back(), bits(s)));
        return p;
    }

    // Link of the origin: 14 link vertices, 36 link edges, 24 link triangles.
    std::array<offset3, 14> lv{};
    std::vector<std::array<int, 2>> le;
    std::vector<std::array<int, 3>> lt, lt_edges;  // a link triangle's vertices and link edges

    // Relative to the origin, per star cell: its base (as an offset) and type.
    std::array<std::pair<offset3, int>, 14> star_edge{};
    std::vector<std::pair<offset3, int>> star_tri, star_tet;

    // Per edge type: the triangles that contain such an edge (triangle type, triangle base
    // minus edge base). Per triangle type: its three edges (edge type, edge base minus triangle
    // base) and its two tetrahedra (tet type, tet base minus triangle base). Per tet type: its
    // four triangles (triangle type, triangle base minus tet base).
    std::array<std::vector<std::pair<int, offset3>>, 7> edge_tris;
    std::array<std::array<std::pair<int, offset3>, 3>, 12> tri_edges{};
    std::array<std::array<std::pair<int, offset3>, 2>, 12> tri_tets{};

    freudenthal_tables() {
        int k = 0;
        for (int al = 1; al < 8; ++al)
            for (int be = 1; be < 8; ++be)
                if ((al & be) == 0) tri_type[static_cast<std::size_t>(k++)] = {al, be};
        const int perms[6][3] = {{4, 2, 1}, {4, 1, 2}, {2, 4, 1}, {2, 1, 4}, {1, 4, 2}, {1, 2, 4}};
        for (int t = 0; t < 6; ++t)
            for (int j = 0; j < 3; ++j) tet_type[static_cast<std::size_t>(t)][static_cast<std::size_t>(j)] = perms[t][j];
        for (int m = 1; m < 8; ++m) {
            const offset3 b = bits(m);
            lv[static_cast<std::size_t>(m - 1)] = b;
            lv[static_cast<std::size_t>(m + 6)] = {-b.d0, -b.d1, -b.d2};
        }
        const offset3 zero{0, 0, 0};
        for (int i = 0; i < 14; ++i) {
            std::vector<offset3> p{zero, lv[static_cast<std::size_t>(i)]};
            chain(p);
            star_edge[static_cast<std::size_t>(i)] = name(p);
        }
        for (int i = 0; i < 14; ++i)
            for (int j = i + 1; j < 14; ++j) {
                std::vector<offset3> p{zero, lv[static_cast<std::size_t>(i)], lv[static_cast<std::size_t>(j)]};
                if (!chain(p)) continue;
                le.push_back({i, j});
                star_tri.push_back(name(p));
            }
        auto edge_of = [&](int i, int j) {
            for (std::size_t e = 0; e < le.size(); ++e)
                if ((le[e][0] == i && le[e][1] == j) || (le[e][0] == j && le[e][1] == i)) return static_cast<int>(e);
            return -1;
        };
        for (int i = 0; i < 14; ++i)
            for (int j = i + 1; j < 14; ++j)
                for (int l = j + 1; l < 14; ++l) {
                    std::vector<offset3> p{zero, lv[static_cast<std::size_t>(i)], lv[static_cast<std::size_t>(j)],
                                           lv[static_cast<std::size_t>(l)]};
                    if (!chain(p)) continue;
                    lt.push_back({i, j, l});
                    lt_edges.push_back({edge_of(i, j), edge_of(i, l), edge_of(j, l)});
                    star_tet.push_back(name(p));
                }
        if (le.size() != 36 || lt.size() != 24) throw std::logic_error("Freudenthal link tables");
        for (int t = 0; t < 12; ++t) {
            const auto p = tri_points(zero, t);
            const int pairs[3][2] = {{0, 1}, {1, 2}, {0, 2}};
            for (int e = 0; e < 3; ++e) {
                std::vector<offset3> q{p[static_cast<std::size_t>(pairs[e][0])], p[static_cast<std::size_t>(pairs[e][1])]};
                chain(q);
                const auto nm = name(q);
                tri_edges[static_cast<std::size_t>(t)][static_cast<std::size_t>(e)] = {nm.second, nm.first};
                edge_tris[static_cast<std::size_t>(nm.second)].push_back({t, nm.first});  // edge base - tri base
            }
            int found = 0;
            for (int d0 = -1; d0 <= 0; ++d0)
                for (int d1 = -1; d1 <= 0; ++d1)
                    for (int d2 = -1; d2 <= 0; ++d2)
                        for (int u = 0; u < 6; ++u) {
                            const auto q = tet_points({d0, d1, d2}, u);
                            int inside = 0;
                            for (const auto& x : p)
                                for (const auto& y : q) inside += same(x, y);
                            if (inside == 3) {
                                if (found == 2) throw std::logic_error("Freudenthal tet tables");
                                tri_tets[static_cast<std::size_t>(t)][static_cast<std::size_t>(found++)] = {u, offset3{d0, d1, d2}};
                            }
                        }
            if (found != 2) throw std::logic_error("Freudenthal tet tables");
        }
    }
};

struct morse_freudenthal_scratch {
    std::vector<std::uint16_t> code;  // per edge: step << 5 | in a flow's chain << 4 | status
    std::vector<u32> parent, tet_up;
};

// The matching of a vertex's lower star depends only on its lower link (14 bits) and its lowest
// neighbour: each (link, lowest) is planned once per thread and grid row length, and replayed.
// A plan is five counts (pairs, tets, critical edges, triangles, tets), then two entries for each
// op, grouped by kind so that the replay runs five branch-free loops instead of a switch per
// op. Cells are ids relative to the vertex's own (7 v for edges, 12 v for triangles, 6 v for
// tets); the step t of an op in the star (its position in the greedy order, from 1) is kept in
// the code written or the key pushed:
//   pair (edge, code): the edge is paired up, code = t << 5 | 1 + its triangle's index;
//   tet (tet, other): the tet is paired with the triangle towards `other`;
//   critical edge (edge, code), critical triangle (triangle, t), critical tet (tet, t).
// Relative ids fit 32 bits: a volume has fewer than 2^32 / 12 padded cells and at least 3
// planes, so 12 times a plane is below 2^31.
struct freudenthal_plans {
    enum : int { pair = 0, tet = 1, crit_edge = 2, crit_tri = 3, crit_tet = 4, kinds = 5 };
    static constexpr u32 unplanned = 0xFFFFFFFFu;
    index_t p1 = -1, p2 = -1;          // the padded strides the ids were made for
    std::vector<u32> start;            // per (link << 4 | lowest): offset in ops, or unplanned
    std::vector<std::int32_t> ops;     // each plan: kinds counts, then (cell, value) per op
};

// emit(dimension, birth rank, death rank or no_rank) of every pair of the Freudenthal
// construction; rank[q] of each padded cell (pad_rank for padding).
template <class Emit>
void morse_freudenthal(const padded_grid& pg, const u32* rank, Emit&& emit) {
    static const freudenthal_tables F;
    const index_t size = pg.size();
    if (size * 12 >= static_cast<index_t>(0xFFFFFFFFu))
        throw std::invalid_argument("the volume is too large for H1 (at most 2^32 triangles)");
    auto flat = [&](const offset3& o) { return pg.flat(o); };
    std::array<index_t, 7> edir{};
    for (int m = 1; m < 8; ++m) edir[static_cast<std::size_t>(m - 1)] = flat(freudenthal_tables::bits(m));
    std::array<index_t, 14> ov{}, e_off{};
    std::array<int, 14> e_type{};
    for (std::size_t i = 0; i < 14; ++i) {
        ov[i] = flat(F.lv[i]);
        e_off[i] = flat(F.star_edge[i].first);
        e_type[i] = F.star_edge[i].second;
    }
    std::array<index_t, 36> t_off{};
    std::array<int, 36> t_type{};
    std::array<u32, 36> t_facets{};  // link vertex bits
    for (std::size_t j = 0; j < 36; ++j) {
        t_off[j] = flat(F.star_tri[j].first);
        t_type[j] = F.star_tri[j].second;
        t_facets[j] = (1u << F.le[j][0]) | (1u << F.le[j][1]);
    }
    std::array<index_t, 24> q_off{};
    std::array<int, 24> q_type{};
    std::array<u64, 24> q_facets{};  // link edge bits
    for (std::size_t k = 0; k < 24; ++k) {
        q_off[k] = flat(F.star_tet[k].first);
        q_type[k] = F.star_tet[k].second;
        for (int e : F.lt_edges[k]) q_facets[k] |= u64{1} << e;
    }
    // edges_with[h][x]: the link edges whose link vertices in half h (0-6 or 7-13) are all in
    // the set x of that half; tris_with likewise for link triangles.
    std::array<std::array<u64, 128>, 2> edges_with{};
    std::array<std::array<u32, 128>, 2> tris_with{};
    for (std::size_t h = 0; h < 2; ++h)
        for (u32 x = 0; x < 128; ++x) {
            const u32 have = x << (7 * h), half = 127u << (7 * h);
            for (std::size_t j = 0; j < 36; ++j)
                if ((t_facets[j] & half & ~have) == 0) edges_with[h][x] |= u64{1} << j;
            for (std::size_t k = 0; k < 24; ++k) {
                u32 vs = 0;
                for (int i : F.lt[k]) vs |= 1u << i;
                if ((vs & half & ~have) == 0) tris_with[h][x] |= 1u << k;
            }
        }
    // up_code[j][i]: 1 + the index in edge_tris of triangle j for the edge to link vertex i.
    std::array<std::array<std::uint8_t, 14>, 36> up_code{};
    for (std::size_t j = 0; j < 36; ++j)
        for (int end = 0; end < 2; ++end) {
            const std::size_t i = static_cast<std::size_t>(F.le[j][static_cast<std::size_t>(end)]);
            const auto& list = F.edge_tris[static_cast<std::size_t>(e_type[i])];
            const offset3 shift = freudenthal_tables::sub(F.star_edge[i].first, F.star_tri[j].first);
            for (std::size_t c = 0; c < list.size(); ++c)
                if (list[c].first == t_type[j] && freudenthal_tables::same(list[c].second, shift))
                    up_code[j][i] = static_cast<std::uint8_t>(c + 1);
        }
    // Flat tables for the flows and the tetrahedra.
    std::array<std::vector<std::pair<int, index_t>>, 7> edge_tris;  // (tri type, tri base - edge base)
    for (std::size_t e = 0; e < 7; ++e)
        for (const auto& [t, sh] : F.edge_tris[e]) edge_tris[e].push_back({t, -flat(sh)});
    std::array<std::array<std::pair<int, index_t>, 3>, 12> tri_edges{};  // (edge type, edge base - tri base)
    std::array<std::array<std::pair<int, index_t>, 2>, 12> tri_tets{};   // (tet type, tet base - tri base)
    for (std::size_t t = 0; t < 12; ++t) {
        for (std::size_t e = 0; e < 3; ++e) tri_edges[t][e] = {F.tri_edges[t][e].first, flat(F.tri_edges[t][e].second)};
        for (std::size_t u = 0; u < 2; ++u) tri_tets[t][u] = {F.tri_tets[t][u].first, flat(F.tri_tets[t][u].second)};
    }
    auto tet_id = [](index_t base, int type) { return static_cast<u32>(base * 6 + type); };
    auto edge_id = [](index_t base, int type) { return static_cast<u32>(base * 7 + type); };

    thread_local morse_freudenthal_scratch scratch_of_thread;
    morse_freudenthal_scratch& scratch = scratch_of_thread;
    struct release {
        morse_freudenthal_scratch& s;
        bool big;
        ~release() {
            if (big) s = morse_freudenthal_scratch{};
        }
    } release_guard{scratch, size > (index_t{1} << 20)};
    // Per edge, the low 4 bits: 1 + k when paired up with the triangle edge_tris[type][k] (an
    // edge lies on at most 6 triangles), or one of these; bit 4 during the flows; the step in its
    // lower star in bits 5-15.
    constexpr std::uint16_t e_unset = 0, e_down = 13, e_critical = 14, e_negative = 15;
    scratch.code.assign(static_cast<std::size_t>(size * 7), e_unset);
    std::uint16_t* const code = scratch.code.data();
    scratch.parent.resize(static_cast<std::size_t>(size));
    u32* const parent = scratch.parent.data();
    // Per tet: the tet across the triangle it is paired with; itself if critical; 0 (whose base
    // is a padding cell) if it is not in the grid: the outside.
    scratch.tet_up.assign(static_cast<std::size_t>(size * 6), 0u);
    u32* const tet_up = scratch.tet_up.data();
    std::vector<std::pair<u64, u32>> crit_tets;  // (key, tet id)
    std::vector<u32> crit_edge_ids;
    std::vector<std::pair<u64, u32>> crit_tris;  // (top rank << 8 | step, tri id)
    constexpr u64 cleared = u64{1} << 63;
    auto edge_key = [&](u32 id) -> u64 {
        const index_t base = static_cast<index_t>(id / 7);
        const u32 top = std::max(rank[base], rank[base + edir[id % 7]]);
        return (static_cast<u64>(top) << 8) | (code[id] >> 5);
    };

    // Plans the matching of a lower star: pairs greedily (a link vertex with the one link edge
    // it is the only free face of, a link edge likewise with a link triangle), and when stuck
    // makes the first unpaired cell of lowest dimension critical.
    thread_local freudenthal_plans plans_of_thread;
    freudenthal_plans& plans = plans_of_thread;
    if (plans.start.empty() || plans.p1 != pg.p1 || plans.p2 != pg.p2) {
        plans.start.assign(std::size_t{1} << 18, freudenthal_plans::unplanned);
        plans.ops.clear();
        plans.p1 = pg.p1;
        plans.p2 = pg.p2;
    }
    std::array<std::vector<std::int32_t>, freudenthal_plans::kinds> grouped;
    auto plan = [&](u32 LV, int w0, std::size_t slot) {
        // Present link edges and triangles: all their link vertices are lower.
        const u64 LE = edges_with[0][LV & 127u] & edges_with[1][LV >> 7];
        const u32 LT = tris_with[0][LV & 127u] & tris_with[1][LV >> 7];
        u32 UV = LV & ~(1u << w0);
        u64 UE = LE;
        u32 UT = LT;
        for (auto& gr : grouped) gr.clear();
        std::int64_t step = 0;
        // Op number `step` of the star, as (cell relative to the vertex's ids, value).
        auto add = [&](int kind, int a, int b) {
            const std::int64_t t = ++step;
            auto push = [&gr = grouped[static_cast<std::size_t>(kind)]](std::int64_t x) {
                gr.push_back(static_cast<std::int32_t>(x));
            };
            const auto ua = static_cast<std::size_t>(a), ub = static_cast<std::size_t>(b);
            switch (kind) {
                case freudenthal_plans::pair:  // link vertex b's edge, link edge a's triangle
                    push(7 * e_off[ub] + e_type[ub]);
                    push((t << 5) | up_code[ua][ub]);
                    break;
                case freudenthal_plans::tet: {  // link triangle b's tet across link edge a's triangle
                    const std::int64_t me = 6 * q_off[ub] + q_type[ub];
                    const auto& two = tri_tets[static_cast<std::size_t>(t_type[ua])];
                    const std::int64_t x = 6 * (t_off[ua] + two[0].second) + two[0].first;
                    const std::int64_t y = 6 * (t_off[ua] + two[1].second) + two[1].first;
                    push(me);
                    push(x == me ? y : x);
                    break;
                }
                case freudenthal_plans::crit_edge:
                    push(7 * e_off[ua] + e_type[ua]);
                    push((t << 5) | e_critical);
                    break;
                case freudenthal_plans::crit_tri:
                    push(12 * t_off[ua] + t_type[ua]);
                    push(t);
                    break;
                default:
                    push(6 * q_off[ua] + q_type[ua]);
                    push(t);
            }
        };
        while ((UV | UE | UT) != 0) {
            bool changed = true;
            while (changed) {
                changed = false;
                for (u64 m = UE; m != 0; m &= m - 1) {
                    const int j = __builtin_ctzll(m);
                    if (!((UE >> j) & 1u)) continue;
                    const u32 f = UV & t_facets[static_cast<std::size_t>(j)];
                    if (f == 0 || (f & (f - 1)) != 0) continue;
                    const int i = __builtin_ctz(f);
                    UV &= ~(1u << i);
                    UE &= ~(u64{1} << j);
                    changed = true;
                    add(freudenthal_plans::pair, j, i);
                }
                for (u32 m = UT; m != 0; m &= m - 1) {
                    const int k = __builtin_ctz(m);
                    if (!((UT >> k) & 1u)) continue;
                    const u64 f = UE & q_facets[static_cast<std::size_t>(k)];
                    if (f == 0 || (f & (f - 1)) != 0) continue;
                    const int j = __builtin_ctzll(f);
                    UE &= ~(u64{1} << j);
                    UT &= ~(1u << k);
                    changed = true;
                    add(freudenthal_plans::tet, j, k);
                }
            }
            if ((UV | UE | UT) == 0) break;
            // Stuck: an unpaired cell with no unpaired facet becomes critical.
            if (UV != 0) {  // a vertex of the link always qualifies
                const int i = __builtin_ctz(UV);
                UV &= ~(1u << i);
                add(freudenthal_plans::crit_edge, i, 0);
            } else if (UE != 0) {  // no vertex left: every link edge qualifies
                const int j = __builtin_ctzll(UE);
                UE &= ~(u64{1} << j);
                add(freudenthal_plans::crit_tri, j, 0);
            } else {  // no link edge left: any triangle
                const int k = __builtin_ctz(UT);
                UT &= ~(1u << k);
                add(freudenthal_plans::crit_tet, k, 0);
            }
        }
        if (step >= 256) throw std::logic_error("Freudenthal lower star plan");  // 8 bits of the keys
        const std::size_t at = plans.ops.size();
        for (const auto& gr : grouped) plans.ops.push_back(static_cast<std::int32_t>(gr.size() / 2));
        for (const auto& gr : grouped) plans.ops.insert(plans.ops.end(), gr.begin(), gr.end());
        plans.start[slot] = static_cast<u32>(at);
    };

    // Raw pointers in the loop: GCC reads a reference to a thread_local afresh at every use.
    const u32* const plan_start = plans.start.data();
    const std::int32_t* plan_ops = plans.ops.data();

    // Which neighbours are lower, and the lowest, for a run of a row at once.
    constexpr index_t run = lower_link_run;
    u32 lower[run], lowest[run];

    interrupt_countdown poll;
    for (index_t a0 = 0; a0 < pg.n0; ++a0)
        for (index_t a1 = 0; a1 < pg.n1; ++a1)
            for (index_t r0 = 0; r0 < pg.n2; r0 += run) {
                const index_t m = std::min(run, pg.n2 - r0);
                const index_t row = pg.first() + (a0 * pg.p1 + a1) * pg.p2 + r0;
                lower_link<14, 14>(rank + row, ov.data(), m, lower, lowest);
                for (index_t j = 0; j < m; ++j) {
                    poll.tick();
                    const index_t v = row + j;
                    const u32 rv = rank[v];
                    const u32 LV = lower[j];
                    if (LV == 0) {  // a minimum
                        parent[v] = static_cast<u32>(v);
                        continue;
                    }
                    const int w0 = static_cast<int>(lowest[j]);
                    const std::size_t w = lowest[j];
                    parent[v] = static_cast<u32>(v + ov[w]);
                    code[edge_id(v + e_off[w], e_type[w])] = e_down;
                    const std::size_t slot = (static_cast<std::size_t>(LV) << 4) | w;
                    if (plan_start[slot] == freudenthal_plans::unplanned) {
                        plan(LV, w0, slot);
                        plan_ops = plans.ops.data();
                    }
                    const std::int32_t* op = plan_ops + plan_start[slot];
                    const std::int32_t* cell = op + freudenthal_plans::kinds;
                    const std::int64_t e7 = 7 * v, t6 = 6 * v;
                    for (std::int32_t k = 0; k < op[freudenthal_plans::pair]; ++k, cell += 2)
                        code[e7 + cell[0]] = static_cast<std::uint16_t>(cell[1]);
                    for (std::int32_t k = 0; k < op[freudenthal_plans::tet]; ++k, cell += 2)
                        tet_up[t6 + cell[0]] = static_cast<u32>(t6 + cell[1]);
                    for (std::int32_t k = 0; k < op[freudenthal_plans::crit_edge]; ++k, cell += 2) {
                        code[e7 + cell[0]] = static_cast<std::uint16_t>(cell[1]);
                        crit_edge_ids.push_back(static_cast<u32>(e7 + cell[0]));
                    }
                    for (std::int32_t k = 0; k < op[freudenthal_plans::crit_tri]; ++k, cell += 2)
                        crit_tris.push_back({(static_cast<u64>(rv) << 8) | static_cast<u64>(cell[1]),
                                             static_cast<u32>(12 * v + cell[0])});
                    for (std::int32_t k = 0; k < op[freudenthal_plans::crit_tet]; ++k, cell += 2) {
                        const u32 me = static_cast<u32>(t6 + cell[0]);
                        tet_up[me] = me;
                        crit_tets.push_back({(static_cast<u64>(rv) << 8) | static_cast<u64>(cell[1]), me});
                    }
                }
            }

    // H0: critical edges in filtration order; the negative ones merge two minima's trees.
    const std::size_t ne = crit_edge_ids.size();
    std::vector<keyed<u64>> ce(ne), sort_tmp;
    for (std::size_t i = 0; i < ne; ++i) ce[i] = {edge_key(crit_edge_ids[i]), crit_edge_ids[i]};
    radix_sort<11>(ce, sort_tmp, ne);
    std::vector<u32> positive;
    pivot_map column_of;
    for (std::size_t i = 0; i < ne; ++i) {
        poll.tick();
        const u32 id = ce[i].idx;
        const index_t base = static_cast<index_t>(id / 7);
        const u32 x = find_root(parent, static_cast<u32>(base));
        const u32 y = find_root(parent, static_cast<u32>(base + edir[id % 7]));
        if (x != y) {
            const bool x_old = rank[x] < rank[y];
            const u32 young = x_old ? y : x;
            parent[young] = x_old ? x : y;
            emit(0, rank[young], static_cast<u32>(ce[i].key >> 8));
            code[id] = static_cast<std::uint16_t>((code[id] & ~15u) | e_negative);
            continue;
        }
        column_of.insert(id, static_cast<u32>(positive.size()));
        positive.push_back(static_cast<u32>(i));
    }
    if (size > 0) emit(0, rank[find_root(parent, static_cast<u32>(pg.first()))], no_rank);

    // Critical triangles in filtration order; H2 from the youngest.
    const std::size_t ns = crit_tris.size();
    std::vector<u32> sorted_pos(ns);
    {
        std::vector<keyed<u64>> by_key(ns);
        for (std::size_t i = 0; i < ns; ++i) by_key[i] = {crit_tris[i].first, static_cast<u32>(i)};
        radix_sort<11>(by_key, sort_tmp, ns);
        for (std::size_t i = 0; i < ns; ++i) sorted_pos[by_key[i].idx] = static_cast<u32>(i);
        pivot_map key_of;  // critical tet id -> index in crit_tets
        for (std::size_t i = 0; i < crit_tets.size(); ++i) key_of.insert(crit_tets[i].second, static_cast<u32>(i));
        u32* up = tet_up;
        for (std::size_t jj = ns; jj-- > 0;) {
            poll.tick();
            const std::size_t i = by_key[jj].idx;
            const u32 tid = crit_tris[i].second;
            const index_t sb = static_cast<index_t>(tid / 12);
            const auto& two = tri_tets[tid % 12];
            const u32 x = find_root(up, tet_id(sb + two[0].second, two[0].first));
            const u32 y = find_root(up, tet_id(sb + two[1].second, two[1].first));
            if (x == y) continue;
            const u64 kx = x == 0 ? ~u64{0} : crit_tets[key_of.find(x)].first;
            const u64 ky = y == 0 ? ~u64{0} : crit_tets[key_of.find(y)].first;
            const bool x_old = kx > ky;
            const u32 young = x_old ? y : x;
            up[young] = x_old ? x : y;
            emit(2, static_cast<u32>(crit_tris[i].first >> 8), static_cast<u32>((x_old ? ky : kx) >> 8));
            crit_tris[i].first |= cleared;
        }
    }
    sort_tmp = {};

    // H1: flows of the critical triangles not paired in H2, then cohomology.
    std::vector<std::pair<u32, u32>> entries;
    // An edge's bit 4 marks it in the chain (all clear after each flow): one load per edge.
    constexpr std::uint16_t in_chain = 16;
    // The chain (flow_chain) of (key, edge id), packed where the ids allow (flow_entry).
    auto flows = [&](auto entry_tag) {
        using entry = decltype(entry_tag);
        flow_chain<entry> chain;
        auto toggle = [&](u32 id) {
            const std::uint16_t c = code[id];
            const unsigned cd = c & 15u;
            if (cd == e_down || cd == e_negative) return;
            code[id] = static_cast<std::uint16_t>(c ^ in_chain);
            if (c & in_chain) return;  // it cancels
            entry e;
            flow_entry(e, edge_key(id), id);
            chain.push(e);
        };
        auto toggle_tri = [&](index_t base, int type, u32 skip) {
            for (const auto& [et, off] : tri_edges[static_cast<std::size_t>(type)]) {
                const u32 e = edge_id(base + off, et);
                if (e != skip) toggle(e);
            }
        };
        for (std::size_t si = 0; si < ns; ++si) {
            if (crit_tris[si].first & cleared) continue;
            const u32 tid = crit_tris[si].second;
            chain.clear();
            toggle_tri(static_cast<index_t>(tid / 12), static_cast<int>(tid % 12), pivot_map::none);
            while (!chain.empty()) {
                poll.tick();
                const u32 id = flow_id(chain.pop());
                const std::uint16_t c = code[id];
                if (!(c & in_chain)) continue;  // it had cancelled
                code[id] = static_cast<std::uint16_t>(c ^ in_chain);
                const unsigned cd = c & 15u;
                if (cd == e_critical) {
                    entries.push_back({column_of.find(id), sorted_pos[si]});
                    continue;
                }
                const auto& tri = edge_tris[id % 7][cd - 1];
                toggle_tri(static_cast<index_t>(id / 7) + tri.second, tri.first, id);
            }
        }
    };
    if (flow_ids_pack(size * 7))
        flows(u64{});
    else
        flows(std::pair<u64, u32>{});
    std::vector<u64> death_key(ns);
    for (std::size_t i = 0; i < ns; ++i) death_key[sorted_pos[i]] = crit_tris[i].first & ~cleared;
    morse_cohomology_h1(
        entries, positive.size(), ns, [&](std::size_t c) { return static_cast<u32>(ce[positive[c]].key >> 8); },
        [&](u32 r) { return static_cast<u32>(death_key[r] >> 8); }, emit);
}

}  // namespace detail

}  // namespace topolayer
