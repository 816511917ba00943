// C++-level checks of cubical.hpp, meant to run under AddressSanitizer and UBSan: random 2D and
// 3D grids of every shape class (including 1-wide), every construction, ties on purpose;
// invariants that need no oracle (Euler characteristic of the V complex at every threshold,
// indices inside the grid, one essential class, thread-count invariance) and bad input that
// must throw. The Python tests compare the diagrams with GUDHI and Cubical Ripser.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <stdexcept>

#include "check.hpp"
#include "topolayer/cubical.hpp"
#include "topolayer/reduction.hpp"

using namespace topolayer;

using topolayer_test::throws;

// Euler characteristic of the V complex (cells = boxes of the grid, value = max of corners)
// at threshold t.
static index_t euler_v(const grid_shape& g, const std::vector<double>& f, double t) {
    index_t chi = 0;
    const int d0 = g.ndim == 3 ? 1 : 0;
    for (index_t a = 0; a < g.n0; ++a)
        for (index_t b = 0; b < g.n1; ++b)
            for (index_t c = 0; c < g.n2; ++c)
                for (int m = 0; m < 8; ++m) {  // box spanned from (a, b, c) along the axes in m
                    const int e0 = (m >> 2) & 1, e1 = (m >> 1) & 1, e2 = m & 1;
                    if (e0 && !d0) continue;
                    if (a + e0 >= g.n0 || b + e1 >= g.n1 || c + e2 >= g.n2) continue;
                    double v = -1e300;
                    for (int k = 0; k < 8; ++k) {
                        if ((k & ~m) != 0) continue;
                        const index_t p = ((a + ((k >> 2) & 1)) * g.n1 + b + ((k >> 1) & 1)) * g.n2 + c + (k & 1);
                        v = std::max(v, f[static_cast<std::size_t>(p)]);
                    }
                    if (v <= t) chi += ((e0 + e1 + e2) % 2) ? -1 : 1;
                }
    return chi;
}

// The (birth, death) pixel pairs of dimension d, sorted: pairs compared whatever their order.
static std::vector<std::pair<index_t, index_t>> sorted_dim(const pairs_result& r, int d) {
    std::vector<std::pair<index_t, index_t>> out;
    for (std::size_t i = 0; i < r.size(); ++i)
        if (r.dim[i] == d) out.push_back({r.birth[i], r.death[i]});
    std::sort(out.begin(), out.end());
    return out;
}

int main() {
    std::mt19937 gen(11);
    const construction all[3] = {construction::freudenthal, construction::V, construction::T};
    for (int trial = 0; trial < 240; ++trial) {
        grid_shape g;
        g.ndim = trial % 2 ? 3 : 2;
        g.n0 = g.ndim == 3 ? 1 + static_cast<index_t>(gen() % 5) : 1;
        g.n1 = 1 + static_cast<index_t>(gen() % 7);
        g.n2 = 1 + static_cast<index_t>(gen() % 7);
        const index_t n = g.size();
        std::vector<double> f(static_cast<std::size_t>(n));
        for (auto& x : f) x = static_cast<double>(gen() % 4);  // ties on purpose
        const bool superlevel = trial % 4 >= 2;
        for (construction c : all) {
            pairs_result r = cubical_pairs(f.data(), g, c, g.ndim - 1, superlevel, false);
            index_t essential = 0;
            for (std::size_t i = 0; i < r.size(); ++i) {
                CHECK(r.dim[i] >= 0 && r.dim[i] < g.ndim);
                CHECK(r.birth[i] >= 0 && r.birth[i] < n);
                CHECK(r.death[i] == no_death || (r.death[i] >= 0 && r.death[i] < n));
                if (r.death[i] == no_death) {
                    ++essential;
                    CHECK(r.dim[i] == 0);
                } else {
                    const double b = f[static_cast<std::size_t>(r.birth[i])],
                                 d = f[static_cast<std::size_t>(r.death[i])];
                    CHECK(superlevel ? b > d : b < d);
                }
            }
            CHECK(essential == 1);
            if (c == construction::V && !superlevel) {
                for (double t = 0; t <= 3; t += 1) {
                    index_t chi = 0;
                    for (std::size_t i = 0; i < r.size(); ++i) {
                        const double b = f[static_cast<std::size_t>(r.birth[i])];
                        const bool alive =
                            b <= t && (r.death[i] == no_death || f[static_cast<std::size_t>(r.death[i])] > t);
                        if (alive) chi += r.dim[i] % 2 ? -1 : 1;
                    }
                    CHECK(chi == euler_v(g, f, t));
                }
            }
        }
    }
    // Batches: identical for every thread count.
    {
        grid_shape g{3, 6, 5, 3};
        const index_t n = g.size(), items = 7;
        std::vector<float> x(static_cast<std::size_t>(n * items));
        for (auto& v : x) v = static_cast<float>(gen() % 5);
        auto run = [&](int threads) {
            return run_batch<float>(items, 2, threads, [&](index_t i) {
                return cubical_pairs(x.data() + i * n, g, construction::T, 2, false, false);
            });
        };
        const batch_pairs one = run(1);
        for (int t : {2, 3, 8}) CHECK(run(t).rows == one.rows);
        // The top dimension in a helper thread gives the same pairs, in the same order.
        for (construction c : all) {
            for (int nd : {2, 3}) {
                grid_shape h = nd == 2 ? grid_shape{1, 9, 7, 2} : grid_shape{3, 6, 5, 3};
                const pairs_result a = cubical_pairs(x.data(), h, c, nd - 1, false, true, 1);
                const pairs_result b = cubical_pairs(x.data(), h, c, nd - 1, false, true, 2);
                CHECK(a.dim == b.dim && a.birth == b.birth && a.death == b.death);
            }
        }
    }
    // 3D H1 with stored columns kept as ids only (the path of large volumes): same pairs.
    for (int trial = 0; trial < 12; ++trial) {
        grid_shape g{2 + static_cast<index_t>(gen() % 4), 3 + static_cast<index_t>(gen() % 4),
                     3 + static_cast<index_t>(gen() % 4), 3};
        std::vector<double> f(static_cast<std::size_t>(g.size()));
        for (auto& v : f) v = static_cast<double>(gen() % 1000);
        for (construction c : all) {
            detail::h1_keep_entries_limit = index_t{1} << 22;
            const pairs_result a = cubical_pairs(f.data(), g, c, 2, trial % 2 == 1, false);
            detail::h1_keep_entries_limit = 0;
            const pairs_result b = cubical_pairs(f.data(), g, c, 2, trial % 2 == 1, false);
            CHECK(a.dim == b.dim && a.birth == b.birth && a.death == b.death);
        }
        detail::h1_keep_entries_limit = index_t{1} << 22;
    }
    // 3D V and T with H1: H0 and H2 come from the discrete gradient (morse_h1) instead of the
    // union-finds over every voxel; the pairs are the same pixels. Ties on purpose, thin grids,
    // kept zero-length bars.
    for (int trial = 0; trial < 120; ++trial) {
        grid_shape g{1 + static_cast<index_t>(gen() % 6), 1 + static_cast<index_t>(gen() % 7),
                     1 + static_cast<index_t>(gen() % 7), 3};
        std::vector<double> f(static_cast<std::size_t>(g.size()));
        const unsigned levels = trial % 3 == 0 ? 3u : 1000u;
        for (auto& v : f) v = static_cast<double>(gen() % levels);
        const bool sup = trial % 2 == 1, keep = trial % 4 >= 2;
        for (construction c : {construction::V, construction::T}) {
            const pairs_result morse = cubical_pairs(f.data(), g, c, 2, sup, keep);
            const pairs_result h0 = cubical_pairs(f.data(), g, c, 0, sup, keep);
            CHECK(sorted_dim(morse, 0) == sorted_dim(h0, 0));
            CHECK(sorted_dim(cubical_pairs(f.data(), g, c, 1, sup, keep), 2).empty());
            // H2 by the union-find over every voxel in reverse order (the dual neighbourhood).
            cubical_workspace<double> ws;
            ws.build(f.data(), g, sup, true);
            std::vector<std::pair<index_t, index_t>> top;
            std::vector<detail::u32> parent(static_cast<std::size_t>(ws.pg.size()));
            detail::union_find_top(parent.data(), ws.key.data(), ws.order.data(), g.size(), ws.pg,
                                   detail::neighbour_offsets(ws.pg, detail::dual_kind(c)),
                                   [&](detail::u32 b, detail::u32 k) {
                                       if (b != k && (keep || ws.key[b] != ws.key[k]))
                                           top.push_back({ws.pixel(b), ws.pixel(k)});
                                   });
            std::sort(top.begin(), top.end());
            CHECK(sorted_dim(morse, 2) == top);
        }
    }
    // Freudenthal volumes through the Morse complex against the cell-level path (union-finds
    // over every voxel, cohomology of the implicit complex): the same pixel pairs, every
    // dimension; ties, thin grids, kept zero-length bars, max_dim 1 and 2.
    for (int trial = 0; trial < 120; ++trial) {
        grid_shape g{1 + static_cast<index_t>(gen() % 6), 1 + static_cast<index_t>(gen() % 7),
                     1 + static_cast<index_t>(gen() % 7), 3};
        std::vector<double> f(static_cast<std::size_t>(g.size()));
        const unsigned levels = trial % 3 == 0 ? 3u : 1000u;
        for (auto& v : f) v = static_cast<double>(gen() % levels);
        const bool sup = trial % 2 == 1, keep = trial % 4 >= 2;
        const int md = trial % 5 == 0 ? 1 : 2;
        const pairs_result morse = cubical_pairs(f.data(), g, construction::freudenthal, md, sup, keep);
        detail::freudenthal_by_cells = true;
        const pairs_result cells = cubical_pairs(f.data(), g, construction::freudenthal, md, sup, keep);
        detail::freudenthal_by_cells = false;
        for (int d = 0; d <= md; ++d) CHECK(sorted_dim(morse, d) == sorted_dim(cells, d));
        // The flows' heap of (key, id) pairs that volumes beyond 2^24 edge ids take: the same
        // pairs in the same order as the packed heap.
        detail::flow_packed_ids = 0;
        const pairs_result unpacked = cubical_pairs(f.data(), g, construction::freudenthal, md, sup, keep);
        detail::flow_packed_ids = index_t{1} << 24;
        CHECK(unpacked.dim == morse.dim && unpacked.birth == morse.birth && unpacked.death == morse.death);
    }
    // The flows' chains as binary heaps from the start (bound 0) and turning into one after two
    // entries: the same pairs in the same order as the sorted chains, V, T and Freudenthal.
    for (int trial = 0; trial < 90; ++trial) {
        grid_shape g{2 + static_cast<index_t>(gen() % 7), 2 + static_cast<index_t>(gen() % 7),
                     2 + static_cast<index_t>(gen() % 7), 3};
        std::vector<double> f(static_cast<std::size_t>(g.size()));
        const unsigned levels = trial % 3 == 0 ? 4u : 100000u;
        for (auto& v : f) v = static_cast<double>(gen() % levels);
        const construction c = static_cast<construction>(trial % 3);
        const bool sup = trial % 2 == 1;
        const pairs_result sorted = cubical_pairs(f.data(), g, c, 2, sup, false);
        for (std::size_t bound : {std::size_t{0}, std::size_t{2}}) {
            detail::flow_sorted_max = bound;
            const pairs_result other = cubical_pairs(f.data(), g, c, 2, sup, false);
            detail::flow_sorted_max = 64;
            CHECK(other.dim == sorted.dim && other.birth == sorted.birth && other.death == sorted.death);
        }
    }
    // Sortable keys (branch-free bit tricks): the order of the values, -0.0 tying with +0.0,
    // reversed when descending; the 2D key pass of a grid gives the same keys.
    {
        const double vals[] = {-HUGE_VAL, -1e30, -2.5, -1e-310, -0.0, 0.0, 1e-310, 1e-30, 1.0, 3e38, HUGE_VAL};
        const std::size_t nv = sizeof(vals) / sizeof(vals[0]);
        for (std::size_t i = 0; i + 1 < nv; ++i)
            for (bool desc : {false, true}) {
                const auto a = sortable_key(vals[i], desc), b = sortable_key(vals[i + 1], desc);
                const auto af = sortable_key(static_cast<float>(vals[i]), desc);
                const auto bf = sortable_key(static_cast<float>(vals[i + 1]), desc);
                const bool tie = vals[i] == vals[i + 1];
                CHECK(tie ? a == b : (desc ? a > b : a < b));
                const bool tie_f = static_cast<float>(vals[i]) == static_cast<float>(vals[i + 1]);
                CHECK(tie_f ? af == bf : (desc ? af > bf : af < bf));
            }
        cubical_workspace<float> ws;
        const float img[6] = {-0.0f, 0.0f, -1.5f, 2.0f, 1e-40f, -3e38f};
        for (bool sup : {false, true}) {
            ws.build(img, grid_shape{1, 2, 3, 2}, sup, false);
            for (int i = 0; i < 6; ++i)
                CHECK(ws.key[static_cast<std::size_t>(ws.pg.first() + (i / 3) * ws.pg.p2 + i % 3)] ==
                      sortable_key(img[i], sup));
        }
    }
    // radix_sort_high16 (the saddles' sort) is a stable sort by key: random keys, keys that
    // share their 16 highest varying bits (insertion, then the full radix sort), ties.
    {
        std::mt19937 gen(7);
        for (int kind = 0; kind < 4; ++kind)
            for (std::size_t n : {2u, 70u, 300u, 5000u}) {
                std::vector<keyed<std::uint32_t>> a(n), tmp;
                for (std::size_t i = 0; i < n; ++i) {
                    std::uint32_t k = static_cast<std::uint32_t>(gen());
                    if (kind == 1)  // crowded: one outlier, the rest differ in the low 12 bits
                        k = i == 0 ? 0xF0000000u : 0x40000000u + (k & 0xFFFu);
                    if (kind == 2)  // few distinct keys
                        k %= 5;
                    if (kind == 3)  // a little crowding: some insertion, no fallback
                        k = (k & 0x3FFFFu) | ((k % 7) << 28);
                    a[i] = {k, static_cast<std::uint32_t>(i)};
                }
                auto want = a;
                std::stable_sort(want.begin(), want.end(), [](const auto& x, const auto& y) { return x.key < y.key; });
                radix_sort_high16(a, tmp, n);
                bool same = true;
                for (std::size_t i = 0; i < n; ++i) same = same && a[i].key == want[i].key && a[i].idx == want[i].idx;
                CHECK(same);
            }
    }
    // 2D: a lower-link mask has two or more runs exactly when its complement has as many above
    // (prepare_saddles keeps one saddle flag, and the second saddle pass relies on it).
    {
        const int kinds[3][2] = {{0, 1}, {1, 0}, {2, 2}};  // V, T, Freudenthal (down, up)
        for (const auto& k : kinds) {
            const auto& down = detail::ring_runs_for(k[0]);
            const auto& up = detail::ring_runs_for(k[1]);
            for (unsigned m = 0; m < 256; ++m) {
                int rd = 0, ru = 0;
                for (int i = 0; i < 4; ++i) {
                    rd += down[m][static_cast<std::size_t>(i)] >= 0;
                    ru += up[~m & 255u][static_cast<std::size_t>(i)] >= 0;
                }
                CHECK((rd >= 2 || ru >= 2) == (rd >= 2 && rd == ru));
            }
        }
    }
    // Bad input throws.
    {
        std::vector<double> f(12, 0.0);
        grid_shape g{1, 3, 4, 2};
        f[5] = std::nan("");
        CHECK(throws<std::invalid_argument>([&] { cubical_pairs(f.data(), g, construction::V, 1, false, false); }));
        f[5] = HUGE_VAL;
        CHECK(throws<std::invalid_argument>([&] { cubical_pairs(f.data(), g, construction::V, 1, false, false); }));
        f[5] = 0;
        CHECK(throws<std::invalid_argument>([&] {
            cubical_pairs(f.data(), grid_shape{1, 0, 4, 2}, construction::V, 1, false, false);
        }));
        CHECK(throws<std::invalid_argument>([&] {
            cubical_pairs(f.data(), grid_shape{1, 3, 4, 4}, construction::V, 1, false, false);
        }));
        CHECK(throws<std::invalid_argument>([&] { cubical_pairs(f.data(), g, construction::V, -1, false, false); }));
        CHECK(throws<std::invalid_argument>([] { parse_construction("cubical"); }));
    }
    return topolayer_test::check_summary("cubical core checks");
}
