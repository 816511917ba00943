// C++-level checks of the core, meant to run under AddressSanitizer and UBSan
// (`make cpp-test`): random complexes through every entry point, invariants that need no
// oracle (Euler characteristic, thread-count invariance, pairs inside the complex), the sorts
// against std::stable_sort (empty input included), and bad input that must throw rather than
// crash. The Python tests compare against GUDHI.
#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <random>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "check.hpp"
#include "topolayer/reduction.hpp"

using namespace topolayer;

using topolayer_test::throws;

// kruskal_h0 on a hand example: vertices 0..4 entering in the order 2, 0, 3, 1, 4 (ages 1, 3,
// 0, 2, 4), edges in filtration order 0-1, 2-3, 1-2, 0-3 (closes a cycle). 0-1 kills 1 (younger
// than 0), 2-3 kills 3, 1-2 joins the components rooted at 0 and 2 and kills 0 (younger than
// 2); 0-3 merges nothing. Components left: those of 2 and of the lonely 4.
static void check_kruskal_h0() {
    const index_t age[5] = {1, 3, 0, 2, 4};
    const std::vector<std::pair<index_t, index_t>> edges = {{0, 1}, {2, 3}, {1, 2}, {0, 3}};
    std::vector<index_t> births, deaths, us, vs;
    union_find uf = kruskal_h0(
        5, edges, [](const std::pair<index_t, index_t>& e) { return e; },
        [&age](index_t a, index_t b) { return age[a] > age[b]; },
        [&](index_t birth, const std::pair<index_t, index_t>& e, index_t u, index_t v) {
            births.push_back(birth);
            deaths.push_back(static_cast<index_t>(&e - edges.data()));
            us.push_back(u);
            vs.push_back(v);
        });
    CHECK((births == std::vector<index_t>{1, 3, 0}));
    CHECK((deaths == std::vector<index_t>{0, 1, 2}));
    CHECK((us == std::vector<index_t>{0, 2, 1}) && (vs == std::vector<index_t>{1, 3, 2}));
    std::vector<index_t> roots;
    for (index_t v = 0; v < 5; ++v)
        if (uf.find(v) == v) roots.push_back(v);
    CHECK((roots == std::vector<index_t>{2, 4}));
    // The same filtration through the reduction: vertex values = ages, edge values 5..8 in the
    // order above. Global ids: vertices 0-4, then edges 0-1 (5), 0-3 (6), 1-2 (7), 2-3 (8).
    simplicial_complex K = build_complex({{}, {0, 1, 2, 3, 1, 2, 0, 3}}, 5);
    const double values[9] = {1, 3, 0, 2, 4, 5, 8, 7, 6};
    const pairs_result r = filtration_pairs(K, values, 1, true);
    CHECK((r.dim == std::vector<index_t>{0, 0, 0, 0, 0, 1}));
    CHECK((r.birth == std::vector<index_t>{1, 3, 0, 2, 4, 6}));
    CHECK((r.death == std::vector<index_t>{5, 8, 7, no_death, no_death, no_death}));
}

// sorted_order against the definition: indices stably sorted by value (ascending or descending),
// with -0.0 tying with +0.0; n values drawn from few distinct ones so that ties are common.
template <class T>
static void check_sorted_order(std::mt19937& gen, std::size_t n) {
    const T pool[] = {T(-2.5), T(-0.0), T(0.0), T(1.0), T(3.0), T(-1e30), T(1e-30)};
    std::vector<T> v(n);
    for (auto& x : v) x = pool[gen() % 7];
    for (bool desc : {false, true}) {
        std::vector<cell_t> want(n);
        for (std::size_t i = 0; i < n; ++i) want[i] = static_cast<cell_t>(i);
        std::stable_sort(want.begin(), want.end(), [&](cell_t a, cell_t b) {
            const T x = v[static_cast<std::size_t>(a)], y = v[static_cast<std::size_t>(b)];
            return desc ? x > y : x < y;  // -0.0 == +0.0: a tie, kept in index order
        });
        CHECK(sorted_order(v.data(), static_cast<index_t>(n), desc) == want);
    }
}

static simplicial_complex random_complex(std::mt19937& gen, index_t n);

// build_complex with rows packed into keys equals its general path on random complexes (given
// faces mixed with faces of given cofaces, duplicates, every dimension up to 3).
static void check_packed_build(std::mt19937& gen) {
    for (int trial = 0; trial < 200; ++trial) {
        const index_t n = 4 + static_cast<index_t>(gen() % 12);
        std::mt19937 copy = gen;
        const simplicial_complex K = random_complex(gen, n);
        detail::pack_rows = false;
        const simplicial_complex G = random_complex(copy, n);
        detail::pack_rows = true;
        CHECK(G.vertices == K.vertices && G.facets == K.facets && G.offset == K.offset &&
              G.n_simplices == K.n_simplices && G.top_cofaces == K.top_cofaces);
    }
}

static simplicial_complex random_complex(std::mt19937& gen, index_t n) {
    std::uniform_int_distribution<index_t> vertex(0, n - 1);
    std::vector<std::vector<index_t>> given(4);
    for (int k = 0; k < 3 * static_cast<int>(n); ++k) {
        int d = 1 + static_cast<int>(gen() % 3);
        std::vector<index_t> s;
        while (static_cast<int>(s.size()) < d + 1) {
            index_t v = vertex(gen);
            if (std::find(s.begin(), s.end(), v) == s.end()) s.push_back(v);
        }
        given[static_cast<std::size_t>(d)].insert(given[static_cast<std::size_t>(d)].end(), s.begin(), s.end());
    }
    return build_complex(given, n);
}

// The pairs as a sorted list of (dim, birth, death), for comparisons that ignore their order.
static std::vector<std::array<index_t, 3>> sorted_pairs(const pairs_result& r) {
    std::vector<std::array<index_t, 3>> out;
    for (std::size_t i = 0; i < r.size(); ++i) out.push_back({r.dim[i], r.birth[i], r.death[i]});
    std::sort(out.begin(), out.end());
    return out;
}

// Pseudomanifolds (no (top-1)-simplex with three cofaces) have their top dimension by a
// union-find (K.top_cofaces); the same complex without that table goes through the reduction.
// Both must give the same pairs: surfaces with boundary and holes, closed surfaces (a torus),
// tetrahedral meshes (Freudenthal cells of a 3D grid, some left out), the boundary of a
// 4-simplex; ties in the values, zero-length bars kept.
static void check_pseudomanifold_top(std::mt19937& gen) {
    for (int trial = 0; trial < 200; ++trial) {
        const int kind = trial % 4;
        const index_t a = 2 + static_cast<index_t>(gen() % 5), b = 2 + static_cast<index_t>(gen() % 5);
        const index_t c = 2 + static_cast<index_t>(gen() % 3);
        std::vector<std::vector<index_t>> given(kind >= 2 ? 4 : 3);
        index_t n = 0;
        if (kind == 0 || kind == 1) {  // a grid of squares, each cut in two; torus: wrapped
            const bool torus = kind == 1;
            const index_t ra = torus ? a + 1 : a, rb = torus ? b + 1 : b;
            n = torus ? ra * rb : (a + 1) * (b + 1);
            const index_t w = torus ? rb : b + 1;
            for (index_t i = 0; i < a + (torus ? 1 : 0); ++i)
                for (index_t j = 0; j < b + (torus ? 1 : 0); ++j) {
                    if (!torus && gen() % 6 == 0) continue;  // a hole
                    auto id = [&](index_t x, index_t y) { return torus ? (x % ra) * w + y % rb : x * w + y; };
                    const index_t p = id(i, j), q = id(i, j + 1), r = id(i + 1, j), t = id(i + 1, j + 1);
                    for (index_t v : {p, q, t, p, r, t}) given[2].push_back(v);
                }
        } else if (kind == 2) {  // Freudenthal tetrahedra of an a x b x c grid of cubes
            const index_t na = a + 1, nb = b + 1, nc = c + 1;
            n = na * nb * nc;
            auto id = [&](index_t x, index_t y, index_t z) { return (x * nb + y) * nc + z; };
            const int perms[6][3] = {{0, 1, 2}, {0, 2, 1}, {1, 0, 2}, {1, 2, 0}, {2, 0, 1}, {2, 1, 0}};
            for (index_t x = 0; x < a; ++x)
                for (index_t y = 0; y < b; ++y)
                    for (index_t z = 0; z < c; ++z)
                        for (const auto& pm : perms) {
                            if (gen() % 8 == 0) continue;
                            index_t at[3] = {x, y, z};
                            given[3].push_back(id(at[0], at[1], at[2]));
                            for (int k : pm) {
                                ++at[k];
                                given[3].push_back(id(at[0], at[1], at[2]));
                            }
                        }
        } else {  // the boundary of a 4-simplex: a closed 3-manifold (a 3-sphere), H3 = Z2
            n = 5;
            for (index_t skip = 0; skip < 5; ++skip)
                for (index_t v = 0; v < 5; ++v)
                    if (v != skip) given[3].push_back(v);
        }
        simplicial_complex K = build_complex(given, n);
        CHECK(!K.top_cofaces.empty());
        detail::pack_rows = false;  // the general path of build_complex: the same complex
        const simplicial_complex G = build_complex(given, n);
        detail::pack_rows = true;
        CHECK(G.vertices == K.vertices && G.facets == K.facets && G.offset == K.offset &&
              G.top_cofaces == K.top_cofaces);
        simplicial_complex R = K;
        R.top_cofaces.clear();
        std::vector<double> f(static_cast<std::size_t>(n));
        const unsigned levels = trial % 3 == 0 ? 3u : 1000u;
        for (auto& x : f) x = static_cast<double>(gen() % levels);
        for (int max_dim : {K.top_dim() - 1, K.top_dim()})
            for (bool sup : {false, true})
                CHECK(sorted_pairs(lower_star_pairs(K, f.data(), max_dim, sup, true)) ==
                      sorted_pairs(lower_star_pairs(R, f.data(), max_dim, sup, true)));
        std::vector<double> values(static_cast<std::size_t>(K.total()));
        for (auto& x : values) x = static_cast<double>(gen() % levels);
        for (int d = 1; d <= K.top_dim(); ++d)  // monotone: a simplex at least its facets
            for (index_t i = 0; i < K.n_simplices[static_cast<std::size_t>(d)]; ++i) {
                double& v = values[static_cast<std::size_t>(K.offset[static_cast<std::size_t>(d)] + i)];
                const cell_t* fs = K.facet_ids(d, i);
                for (int j = 0; j <= d; ++j)
                    v = std::max(v, values[static_cast<std::size_t>(K.offset[static_cast<std::size_t>(d - 1)] + fs[j])]);
            }
        CHECK(sorted_pairs(filtration_pairs(K, values.data(), K.top_dim(), true)) ==
              sorted_pairs(filtration_pairs(R, values.data(), K.top_dim(), true)));
    }
    // Three triangles on one edge: no table, the reduction.
    CHECK(build_complex({{}, {}, {0, 1, 2, 0, 1, 3, 0, 1, 4}}, 5).top_cofaces.empty());
}

// all_finite and check_finite: finite extremes pass (largest, denormal, signed zero); NaN and
// infinities of either sign fail at any position (the vector body, the tail, the first entry)
// and the error names the first bad entry.
template <class T>
void check_finite_values() {
    using lim = std::numeric_limits<T>;
    std::vector<T> x(37);
    for (std::size_t i = 0; i < x.size(); ++i) x[i] = static_cast<T>(i) - T(18);
    x[3] = lim::max();
    x[4] = lim::lowest();
    x[5] = lim::denorm_min();
    x[6] = -T(0);
    CHECK(all_finite(x.data(), static_cast<index_t>(x.size())));
    CHECK(all_finite(x.data(), 0));
    for (T bad : {lim::infinity(), -lim::infinity(), lim::quiet_NaN(), -lim::quiet_NaN()})
        for (std::size_t at : {std::size_t{0}, std::size_t{17}, x.size() - 1}) {
            std::vector<T> y = x;
            y[at] = bad;
            CHECK(!all_finite(y.data(), static_cast<index_t>(y.size())));
            y[30] = bad;  // a second bad entry: the message names the first
            const std::size_t first = std::min<std::size_t>(at, 30);
            bool named = false;
            try {
                check_finite(y.data(), static_cast<index_t>(y.size()), "v");
            } catch (const std::invalid_argument& e) {
                named = std::string(e.what()).find("entry " + std::to_string(first) + " ") != std::string::npos;
            }
            CHECK(named);
        }
}

int main() {
    std::mt19937 gen(7);
    check_finite_values<float>();
    check_finite_values<double>();
    check_pseudomanifold_top(gen);
    check_packed_build(gen);
    for (int trial = 0; trial < 300; ++trial) {
        const index_t n = 4 + static_cast<index_t>(gen() % 12);
        simplicial_complex K = random_complex(gen, n);
        std::vector<double> f(static_cast<std::size_t>(n));
        for (auto& x : f) x = static_cast<double>(gen() % 4);  // ties on purpose
        const int max_dim = K.top_dim();
        pairs_result r = lower_star_pairs(K, f.data(), max_dim, trial % 2 == 1, true);
        // With zero-length bars kept, essential classes count the Betti numbers.
        std::vector<index_t> betti(static_cast<std::size_t>(max_dim + 1), 0);
        for (std::size_t i = 0; i < r.size(); ++i) {
            CHECK(r.birth[i] >= 0 && r.birth[i] < n);
            CHECK(r.death[i] == no_death || (r.death[i] >= 0 && r.death[i] < n));
            if (r.death[i] == no_death) ++betti[static_cast<std::size_t>(r.dim[i])];
        }
        index_t euler = 0, chi = 0;
        for (int d = 0; d <= K.top_dim(); ++d) {
            euler += (d % 2 ? -1 : 1) * K.n_simplices[static_cast<std::size_t>(d)];
            chi += (d % 2 ? -1 : 1) * betti[static_cast<std::size_t>(d)];
        }
        CHECK(euler == chi);
        // Every simplex is in exactly one pair or essential: sum over bars of 1 + (death != -1).
        std::vector<double> values(static_cast<std::size_t>(K.total()));
        for (int d = 0; d <= K.top_dim(); ++d)
            for (index_t i = 0; i < K.n_simplices[static_cast<std::size_t>(d)]; ++i) {
                const cell_t* s = K.simplex(d, i);
                double m = f[static_cast<std::size_t>(s[0])];
                for (int j = 1; j <= d; ++j) m = std::max(m, f[static_cast<std::size_t>(s[j])]);
                values[static_cast<std::size_t>(K.offset[static_cast<std::size_t>(d)] + i)] = m;
            }
        pairs_result g = filtration_pairs(K, values.data(), max_dim, true);
        index_t covered = 0;
        for (std::size_t i = 0; i < g.size(); ++i) covered += g.death[i] == no_death ? 1 : 2;
        CHECK(covered == K.total());
        // Thread-count invariance of a batch.
        std::vector<double> batch(static_cast<std::size_t>(8 * n));
        for (auto& x : batch) x = static_cast<double>(gen() % 5);
        auto one = [&](index_t i) { return lower_star_pairs(K, batch.data() + i * n, 1, false, false); };
        batch_pairs a = run_batch<double>(8, 1, 1, one), b = run_batch<double>(8, 1, 3, one);
        CHECK(a.rows == b.rows);
    }
    check_kruskal_h0();
    // The sorts: empty and tiny inputs (nothing read past the end), and the definition.
    CHECK(sorted_order(static_cast<const double*>(nullptr), 0, false).empty());
    CHECK(sorted_order(static_cast<const float*>(nullptr), 0, true).empty());
    {
        std::vector<keyed<std::uint32_t>> a, tmp;
        radix_sort<8>(a, tmp, 0);
        radix_sort<11>(a, tmp, 0);
        radix_sort_high16(a, tmp, 0);
        CHECK(a.empty());
        a = {{7u, 0u}};
        radix_sort_high16(a, tmp, 1);
        radix_sort<11>(a, tmp, 1);
        CHECK(a.size() == 1 && a[0].key == 7u && a[0].idx == 0u);
        std::vector<keyed<std::uint64_t>> b, tmp64;
        radix_sort<11>(b, tmp64, 0);
        radix_sort_high16(b, tmp64, 0);
        CHECK(b.empty());
    }
    for (std::size_t n : {1u, 2u, 5u, 100u, 3000u}) {
        check_sorted_order<double>(gen, n);
        check_sorted_order<float>(gen, n);
    }
    // Bad input throws.
    CHECK(throws([] { build_complex({{}, {0, 0}}, -1); }));
    CHECK(throws([] { build_complex({{}, {0, 5}}, 3); }));
    CHECK(throws([] { build_complex({{}, {0, -1}}, -1); }));
    CHECK(throws([] { build_complex({{}, {0, 1, 2}}, -1); }));
    {
        simplicial_complex K = build_complex({{}, {0, 1}}, -1);
        double bad[2] = {0.0, std::nan("")};
        CHECK(throws([&] { lower_star_pairs(K, bad, 1, false, false); }));
        double nonmono[3] = {0.0, 2.0, 1.0};
        CHECK(throws([&] { filtration_pairs(K, nonmono, 1, false); }));
        CHECK(throws(
            [&] { run_batch<double>(4, 0, 2, [&](index_t) { return lower_star_pairs(K, bad, 0, false, false); }); }));
    }
    return topolayer_test::check_summary("cpp core tests");
}
