// alpha.hpp under ASan/UBSan: hand fixtures with their diagrams worked out (the unit square, a
// corner tetrahedron, an obtuse triangle), two of Qhull's degenerate 3D outputs (a flat
// tetrahedron on the hull, one inside; the Python tests check these clouds against GUDHI),
// the planar path against the general reduction, thread-count invariance and bad input; the
// exact predicates against points placed inside, on and outside spheres, and a thin real
// tetrahedron kept while a jittered flat one goes.
#include <array>
#include <cmath>
#include <cstdio>
#include <random>
#include <stdexcept>
#include <vector>

#include "topolayer/alpha.hpp"

using namespace topolayer;

static int failures = 0;
#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            std::fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond);          \
            ++failures;                                                                            \
        }                                                                                          \
    } while (0)

template <class Fn> static bool throws(Fn&& fn) {
    try {
        fn();
    } catch (const std::exception&) {
        return true;
    }
    return false;
}

static bool near(double a, double b) {
    return std::abs(a - b) <= 1e-12 * std::max(1.0, std::abs(b));
}

// Squared circumradius of a critical-simplex row (-1 padded), as the torch side computes it.
static double radius2(const std::vector<double>& p, int D, const index_t* row) {
    std::vector<cell_t> s;
    for (int j = 0; j <= D && row[j] >= 0; ++j) s.push_back(static_cast<cell_t>(row[j]));
    return alpha_detail::circumball(p.data(), D, s.data(), static_cast<int>(s.size()) - 1).r2;
}

// Bars of dimension k as squared radii (births, deaths; an essential death is inf).
static std::vector<std::pair<double, double>> bars(const alpha_bars& b,
                                                   const std::vector<double>& p, int D, int k) {
    std::vector<std::pair<double, double>> out;
    const auto& B = b.births[static_cast<std::size_t>(k)];
    const auto& Dd = b.deaths[static_cast<std::size_t>(k)];
    for (std::size_t i = 0; i < B.size(); i += static_cast<std::size_t>(D + 1))
        out.push_back({radius2(p, D, &B[i]), Dd[i] < 0 ? INFINITY : radius2(p, D, &Dd[i])});
    return out;
}

static delaunay_view view(int rank, const std::vector<index_t>& top,
                          const std::vector<index_t>& nbr) {
    delaunay_view v;
    v.rank = rank;
    v.top = top.data();
    v.n_top = static_cast<index_t>(top.size()) / (rank + 1);
    v.neighbors = nbr.empty() ? nullptr : nbr.data();
    return v;
}

static void unit_square() {
    // Two triangles on the diagonal (0, 2). Squared radii: sides 1/4, the diagonal and both
    // triangles 1/2 (the diagonal is Gabriel: the opposite corners lie on its ball, not inside).
    // H0: three bars (0, 1/4) and one essential; H1: the four sides close a cycle at 1/4, the
    // diagonal makes another at 1/2 that the first triangle kills at once, and the second
    // triangle kills the first cycle: one bar (1/4, 1/2) from side (2, 3) to triangle (0, 2, 3).
    const std::vector<double> p = {0, 0, 1, 0, 1, 1, 0, 1};
    const std::vector<index_t> top = {0, 1, 2, 0, 2, 3}, nbr = {-1, 1, -1, -1, -1, 0};
    const auto v = view(2, top, nbr);
    const auto F = make_alpha_filtration(p.data(), 4, 2, v, false);
    const std::vector<double> want = {0,    0,    0,    0,   0.25, 0.5,
                                      0.25, 0.25, 0.25, 0.5, 0.5};  // edges sorted
    CHECK(F.planar && F.value == want);
    const auto b = alpha_critical_simplices(p.data(), 4, 2, v, 1, false, false);
    CHECK((b.births[0] == std::vector<index_t>{1, -1, -1, 3, -1, -1, 2, -1, -1, 0, -1, -1}));
    CHECK((b.deaths[0] == std::vector<index_t>{0, 1, -1, 0, 3, -1, 1, 2, -1, -1, -1, -1}));
    CHECK((b.births[1] == std::vector<index_t>{2, 3, -1}));
    CHECK((b.deaths[1] == std::vector<index_t>{0, 2, 3}));
    const auto z = alpha_critical_simplices(p.data(), 4, 2, v, 1, false, true);
    CHECK(z.births[1].size() == 6);  // and the zero-length bar (diagonal, triangle (0, 1, 2))
    // Weak: lengths 1 and sqrt(2); the same pairs.
    const auto w = make_alpha_filtration(p.data(), 4, 2, v, true);
    CHECK(near(w.value[5], std::sqrt(2.0)) && w.value[4] == 1 && near(w.value[10], std::sqrt(2.0)));
    const auto bw = alpha_critical_simplices(p.data(), 4, 2, v, 1, true, false);
    CHECK(bw.births[1] == b.births[1] && bw.deaths[1].size() == 3);
}

static void obtuse_triangle() {
    // The long edge's ball holds the third vertex: it is attached and enters with the triangle
    // (R = abc / (4 area) = 17 / 4), whose source it takes.
    const std::vector<double> p = {0, 0, 4, 0, 2, 0.5};
    const std::vector<index_t> top = {0, 1, 2}, nbr = {-1, -1, -1};
    const auto F = make_alpha_filtration(p.data(), 3, 2, view(2, top, nbr), false);
    CHECK(near(F.value[3], 18.0625) && F.source[3] == 6);  // edge (0, 1) -> the triangle
    CHECK(near(F.value[4], 4.25 / 4) && F.source[4] == 4);
    const auto b = alpha_critical_simplices(p.data(), 3, 2, view(2, top, nbr), 1, false, false);
    CHECK(b.births[1].empty());
}

static void corner_tetrahedron() {
    // Squared radii: edges at the corner 1/4, the others 1/2; three right triangles 1/2; the
    // equilateral triangle 2/3 but attached (the corner lies inside its ball), so it enters with
    // the tetrahedron at 3/4. Only zero-length bars beyond H0.
    const std::vector<double> p = {0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1};
    const std::vector<index_t> top = {0, 1, 2, 3}, nbr = {-1, -1, -1, -1};
    const auto v = view(3, top, nbr);
    const auto F = make_alpha_filtration(p.data(), 4, 3, v, false);
    CHECK(!F.planar && F.complex.total() == 15);
    CHECK(near(F.value[13], 0.75) && F.source[13] == 14 &&
          near(F.value[14], 0.75));  // triangle (1, 2, 3)
    const auto b = alpha_critical_simplices(p.data(), 4, 3, v, 2, false, false);
    CHECK(b.births[0].size() == 16 && b.births[1].empty() && b.births[2].empty());
    const auto z = alpha_critical_simplices(p.data(), 4, 3, v, 2, false, true);
    CHECK(z.births[1].size() == 12 && (z.births[2] == std::vector<index_t>{0, 1, 2, 3}) &&
          z.deaths[2] == z.births[2]);
}

static std::vector<double> points_of(const std::vector<int>& xyz) {
    return std::vector<double>(xyz.begin(), xyz.end());
}

static void qhull_flat_tetrahedra() {
    // Qhull's output ('Qt') for two degenerate clouds of tests/test_alpha.py. On the hull: a flat
    // tetrahedron (top simplex 4 here) whose second triangulation of a rectangle made a false void;
    // dropped, one void remains (squared radii 25/18 to 17/12). Inside: the flat tetrahedron
    // between two cells stays, and no void.
    {
        const auto p = points_of({0, 1, 0, 0, 2, 0, 1, 0, 1, 1, 2, 0, 0, 0, 1, 2, 0, 0, 2, 2, 0});
        const std::vector<index_t> top = {4, 2, 5, 0, 3, 2, 5, 0, 6, 3, 2, 5,
                                          3, 4, 2, 1, 3, 4, 1, 0, 3, 4, 2, 0};
        const std::vector<index_t> nbr = {1,  -1, 5, -1, 0,  -1, 5, 2, 1, -1, -1, -1,
                                          -1, -1, 4, 5,  -1, -1, 5, 3, 0, 1,  4,  3};
        const auto b = alpha_critical_simplices(p.data(), 7, 3, view(3, top, nbr), 2, false, false);
        CHECK(b.births[0].size() == 7 * 4 && b.births[1].size() == 4 && b.births[2].size() == 4);
        const auto h2 = bars(b, p, 3, 2);
        CHECK(h2.size() == 1 && near(h2[0].first, 25.0 / 18) && near(h2[0].second, 17.0 / 12));
        const auto weak =
            alpha_critical_simplices(p.data(), 7, 3, view(3, top, nbr), 2, true, false);
        CHECK(weak.births[0].size() == 7 * 4);
    }
    {
        const auto p = points_of({0, 1, 0, 1, 0, 2, 1, 1, 1, 2, 2, 0, 2, 2, 1,
                                  2, 3, 0, 3, 0, 1, 3, 2, 0, 3, 2, 2, 3, 3, 3});
        const std::vector<index_t> top = {
            1, 2, 6, 0, 1, 2, 9, 0, 8, 4, 5, 9, 8, 4, 7, 5, 8, 7, 5, 9, 8, 4, 7, 6, 8, 1, 9, 6,
            3, 4, 7, 5, 3, 2, 6, 0, 3, 7, 6, 0, 3, 4, 2, 6, 3, 4, 7, 6, 4, 2, 5, 0, 4, 5, 9, 0,
            4, 2, 9, 0, 8, 1, 2, 6, 8, 4, 2, 6, 8, 4, 2, 9, 8, 1, 2, 9, 3, 2, 5, 0, 3, 4, 2, 5};
        const std::vector<index_t> nbr = {
            8,  -1, 1,  15, 14, -1, 0,  18, 13, 4,  17, 3,  7,  4,  2,  5,  -1, 2,  -1, 3,  11,
            -1, 16, 3,  -1, -1, 15, 18, 3,  -1, 20, 11, 0,  9,  19, 10, -1, 8,  -1, 11, 16, 8,
            11, 20, 5,  9,  10, 7,  19, 13, 14, 20, -1, 14, 12, 2,  1,  13, 12, 17, 0,  16, 6,
            18, 10, 15, 5,  17, 14, 18, 2,  16, 1,  17, 6,  15, 12, -1, 8,  20, 12, 19, 7,  10};
        const auto b =
            alpha_critical_simplices(p.data(), 10, 3, view(3, top, nbr), 2, false, false);
        CHECK(b.births[0].size() == 10 * 4 && b.births[1].size() == 4 * 4 && b.births[2].empty());
        for (const auto& bar : bars(b, p, 3, 1))
            CHECK(near(bar.first, 1.25) && near(bar.second, 25.0 / 18));
    }
}

// A jittered k x k grid triangulated cell by cell (the diagonal that passes the in-circle test).
static void jittered_grid(int k, std::mt19937& g, std::vector<double>& p,
                          std::vector<index_t>& top) {
    std::normal_distribution<double> noise(0, 0.05);
    p.clear();
    top.clear();
    for (int i = 0; i < k; ++i)
        for (int j = 0; j < k; ++j) p.insert(p.end(), {i + noise(g), j + noise(g)});
    auto id = [k](int i, int j) { return static_cast<index_t>(i * k + j); };
    for (int i = 0; i + 1 < k; ++i)
        for (int j = 0; j + 1 < k; ++j) {
            const index_t a = id(i, j), b = id(i + 1, j), c = id(i + 1, j + 1), d = id(i, j + 1);
            const cell_t abc[3] = {static_cast<cell_t>(a), static_cast<cell_t>(b),
                                   static_cast<cell_t>(c)};
            const auto ball = alpha_detail::circumball(p.data(), 2, abc, 2);
            const double dd =
                alpha_detail::distance2(&p[static_cast<std::size_t>(2 * d)], ball.centre.data(), 2);
            if (dd > ball.r2)
                top.insert(top.end(), {a, b, c, a, c, d});
            else
                top.insert(top.end(), {a, b, d, b, c, d});
        }
}

static void planar_equals_general_reduction_and_threads() {
    std::mt19937 g(7);
    std::vector<std::vector<double>> clouds;
    std::vector<std::vector<index_t>> tops;
    for (int t = 0; t < 6; ++t) {
        std::vector<double> p;
        std::vector<index_t> top;
        jittered_grid(4 + t, g, p, top);
        for (bool weak : {false, true}) {
            // The planar path against the general reduction on the same values (bars as values).
            const auto v = view(2, top, {});
            const auto F =
                make_alpha_filtration(p.data(), static_cast<index_t>(p.size() / 2), 2, v, weak);
            std::vector<std::vector<index_t>> given(3);
            given[2] = top;
            const auto K = build_complex(given, static_cast<index_t>(p.size() / 2));
            std::vector<double> values(static_cast<std::size_t>(K.total()));
            for (int d = 0; d <= 2; ++d)  // K lists the triangles sorted: find each one's value
                for (index_t i = 0; i < K.n_simplices[static_cast<std::size_t>(d)]; ++i) {
                    const cell_t* s = K.simplex(d, i);
                    index_t j = 0;
                    while (!std::equal(s, s + d + 1, F.complex.simplex(d, j))) ++j;
                    values[static_cast<std::size_t>(K.offset[static_cast<std::size_t>(d)] + i)] =
                        F.value[static_cast<std::size_t>(
                            F.complex.offset[static_cast<std::size_t>(d)] + j)];
                }
            const auto general = filtration_pairs(K, values.data(), 1, true);
            const auto& Kp = F.complex;
            const std::vector<index_t> edges(Kp.vertices[1].begin(), Kp.vertices[1].end());
            const std::vector<index_t> tri_edges(Kp.facets[2].begin(), Kp.facets[2].end());
            const auto planar =
                planar_pairs(Kp.n_vertices, edges.data(), Kp.n_simplices[1], tri_edges.data(),
                             Kp.n_simplices[2], F.value.data(), 1, true);
            auto sorted_bars = [](const pairs_result& r, const std::vector<double>& val) {
                std::vector<std::array<double, 3>> out;
                for (std::size_t i = 0; i < r.size(); ++i)
                    out.push_back(
                        {static_cast<double>(r.dim[i]), val[static_cast<std::size_t>(r.birth[i])],
                         r.death[i] < 0 ? INFINITY : val[static_cast<std::size_t>(r.death[i])]});
                std::sort(out.begin(), out.end());
                return out;
            };
            CHECK(sorted_bars(planar, F.value) == sorted_bars(general, values));
        }
        clouds.push_back(p);
        tops.push_back(top);
    }
    // One batch, every thread count the same.
    std::vector<double> all;
    std::vector<index_t> starts = {0};
    std::vector<delaunay_view> views;
    for (std::size_t i = 0; i < clouds.size(); ++i) {
        all.insert(all.end(), clouds[i].begin(), clouds[i].end());
        starts.push_back(starts.back() + static_cast<index_t>(clouds[i].size() / 2));
        views.push_back(view(2, tops[i], {}));
    }
    const auto one = alpha_batch(all.data(), 2, starts, views, 1, false, false, 1);
    for (int threads : {2, 3, 0}) {
        const auto r = alpha_batch(all.data(), 2, starts, views, 1, false, false, threads);
        CHECK(r.rows == one.rows && r.positions == one.positions && r.cells == one.cells);
    }
    // The contract: a bar's birth and death cells are rows of the table; C marks essential deaths.
    const auto n_cells = static_cast<index_t>(one.cells.size() / 3);
    for (std::size_t k = 0; k < 2; ++k)
        for (std::size_t i = 0; i < one.rows[k].size() / 3; ++i) {
            CHECK(one.positions[k][2 * i] == one.rows[k][3 * i + 1]);
            CHECK(one.rows[k][3 * i + 2] < 0
                      ? one.positions[k][2 * i + 1] == n_cells
                      : one.positions[k][2 * i + 1] == one.rows[k][3 * i + 2]);
        }
}

static void bad_input() {
    const std::vector<double> p = {0, 0, 1, 0, 1, 1, 0, 1};
    const std::vector<index_t> top = {0, 1, 2, 0, 2, 3}, nbr = {-1, 1, -1, -1, -1, 0};
    const std::vector<index_t> far = {0, 1, 9, 0, 2, 3}, twice = {0, 1, 1, 0, 2, 3},
                               bad_nbr = {-1, 7, -1, -1, -1, 0};
    CHECK(throws(
        [&] { alpha_critical_simplices(p.data(), 4, 2, view(2, far, nbr), 1, false, false); }));
    CHECK(throws(
        [&] { alpha_critical_simplices(p.data(), 4, 2, view(2, twice, nbr), 1, false, false); }));
    CHECK(throws(
        [&] { alpha_critical_simplices(p.data(), 4, 2, view(2, top, bad_nbr), 1, false, false); }));
    CHECK(throws(
        [&] { alpha_critical_simplices(p.data(), 4, 4, view(2, top, nbr), 1, false, false); }));
    CHECK(throws(
        [&] { alpha_critical_simplices(p.data(), 4, 2, view(2, top, nbr), -1, false, false); }));
    auto v = view(2, top, nbr);
    v.rank = 3;
    CHECK(throws([&] { alpha_critical_simplices(p.data(), 4, 2, v, 1, false, false); }));
    std::vector<double> q = p;
    q[3] = NAN;
    CHECK(throws(
        [&] { alpha_critical_simplices(q.data(), 4, 2, view(2, top, nbr), 1, false, false); }));
    // One point, and equal points (rank 0: edges to the first point only).
    const std::vector<double> same = {0.5, 0.5, 0.5, 0.5, 0.5, 0.5};
    const std::vector<index_t> extra = {1, 0, 2, 0};
    delaunay_view r0;
    r0.extra = extra.data();
    r0.n_extra = 2;
    const auto b = alpha_critical_simplices(same.data(), 3, 2, r0, 1, false, true);
    CHECK(b.births[0].size() == 9 && b.births[1].empty());
    CHECK(alpha_critical_simplices(same.data(), 1, 2, delaunay_view{}, 1, false, false)
              .births[0]
              .size() == 3);
}

static void exact_predicates() {
    std::mt19937 gen(5);
    std::uniform_real_distribution<double> u(-1, 1);
    for (int k = 2; k <= 3; ++k)
        for (int it = 0; it < 500; ++it) {
            double P[4][3], c[3] = {0, 0, 0};
            for (auto& row : P)
                for (double& x : row) x = u(gen);
            const double* p[4] = {P[0], P[1], P[2], P[3]};
            for (int d = 0; d < 3; ++d)
                for (int i = 0; i <= k; ++i) c[d] += P[i][d] / (k + 1);
            CHECK(exact::in_sphere(p, k, c) == 1);  // the centroid lies inside
            CHECK(exact::in_sphere(p, k, P[0]) == 0);
            const double* swapped[4] = {P[1], P[0], P[2], P[3]};
            CHECK(exact::orientation(swapped, k) == -exact::orientation(p, k));
        }
    // Coplanar grid points are exactly degenerate; a perturbation below any floating tolerance
    // is not, and its sign is the perturbation's.
    double a[3] = {0, 0, 0}, b[3] = {1, 0, 0}, c[3] = {0, 1, 0}, d[3] = {1, 1, 0};
    const double* t[4] = {a, b, c, d};
    CHECK(exact::orientation(t, 3) == 0);
    d[2] = -1e-300;
    const int below = exact::orientation(t, 3);
    d[2] = 1e-300;
    CHECK(below != 0 && below == -exact::orientation(t, 3));
    // The unit square's corners are concyclic: the fourth is on the circle of the first three.
    d[2] = 0;
    CHECK(exact::in_sphere(t, 2, d) == 0);
    d[0] = 1 + 0x1p-52;
    CHECK(exact::in_sphere(t, 2, d) == -1);
    // Radii: a regular-ish tetrahedron and triangle against closed forms.
    double e[3] = {0, 0, 1};
    const double* corner[4] = {a, b, c, e};
    CHECK(near(exact::circumradius2(corner), 0.75));  // centre (1/2, 1/2, 1/2)
    CHECK(near(exact::triangle_circumradius2(corner), 0.5));
}

static void thin_tetrahedron_on_the_hull() {
    // A near-square cap under a block of points: the cap's four corners are cocircular within
    // 1e-3 and coplanar within 1e-7 (relative volume ~1e-7), a real Delaunay tetrahedron whose
    // empty circumsphere bulges out of the hull. It stays (its value is its huge radius); the
    // same cap flattened to 1e-12 is Qhull's rounding and goes.
    for (double lift : {2e-7, 1e-12}) {
        std::vector<double> p = {0, 0, 0, 1, 0, 0, 1, 1.001, lift, 0, 1, 0,
                                 0.5, 0.5, 1, 0.2, 0.7, 1.3, 0.8, 0.3, 1.2};
        const auto orient = [&](index_t i, index_t j, index_t k, index_t l) {
            const double* q[4] = {&p[3 * i], &p[3 * j], &p[3 * k], &p[3 * l]};
            return exact::orientation(q, 3);
        };
        CHECK(orient(0, 1, 2, 3) != 0);
        const index_t top[] = {0, 1, 2, 3};
        alpha_detail::mat3 v{};
        for (int r = 0; r < 3; ++r)
            for (int dd = 0; dd < 3; ++dd)
                v[r][dd] = p[static_cast<std::size_t>(3 * (r + 1) + dd)] -
                           p[static_cast<std::size_t>(dd)];
        const double rel = alpha_detail::relative_volume(v, 3);
        CHECK(rel < alpha_thin_rtol);
        // No neighbours: thinness alone decides (flat).
        CHECK(alpha_detail::flat_top_simplices(p.data(), 3, top, nullptr, 1)[0] == 1);
        // Hull on every side (no neighbour): real unless below the flat floor.
        const index_t nbr[] = {-1, -1, -1, -1};
        const bool flat = alpha_detail::flat_top_simplices(p.data(), 3, top, nbr, 1)[0];
        CHECK(flat == (rel <= alpha_flat_rtol));
    }
}

int main() {
    exact_predicates();
    thin_tetrahedron_on_the_hull();
    unit_square();
    obtuse_triangle();
    corner_tetrahedron();
    qhull_flat_tetrahedra();
    planar_equals_general_reduction_and_threads();
    bad_input();
    std::printf("%s (%d failures)\n", failures ? "FAIL" : "ok", failures);
    return failures != 0;
}
