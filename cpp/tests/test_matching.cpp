// Checks of bottleneck.hpp and wasserstein.hpp against brute force on small random diagrams
// (ties and repeated points included, every ground norm): the bottleneck search against a scan
// of every candidate cost with a dense augmenting-path matching, the Wasserstein plan against
// the Hungarian algorithm on the dense augmented matrix; larger diagrams against one dense
// decision on each side of the answer; bad input that must throw.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <random>
#include <stdexcept>
#include <vector>

#include "check.hpp"
#include "topolayer/bottleneck.hpp"
#include "topolayer/assignment.hpp"
#include "topolayer/wasserstein.hpp"

using namespace topolayer;

using topolayer_test::throws;

static const double inf = std::numeric_limits<double>::infinity();

// Random (birth, death) rows: on a coarse lattice (many equal costs and repeated points) or not.
static std::vector<double> random_diagram(std::mt19937& gen, index_t n, bool lattice) {
    std::uniform_real_distribution<double> u(0, 1);
    std::exponential_distribution<double> len(3.0);
    std::uniform_int_distribution<int> cell(0, 3);
    std::vector<double> d(static_cast<std::size_t>(2 * n));
    for (index_t i = 0; i < n; ++i) {
        const double b = lattice ? cell(gen) : u(gen);
        d[2 * i] = b;
        d[2 * i + 1] = b + (lattice ? cell(gen) : len(gen));
    }
    return d;
}

// The dense reduced graph at threshold t: rows x_0.., proj(y_0)..; columns y_0.., proj(x_0)..
struct dense_graph {
    index_t n, m;
    std::vector<std::vector<index_t>> adj;
};

static dense_graph graph_at(const std::vector<double>& x, const std::vector<double>& y, const ground_metric& g,
                            double t) {
    const index_t n = static_cast<index_t>(x.size() / 2), m = static_cast<index_t>(y.size() / 2);
    dense_graph G{n, m, std::vector<std::vector<index_t>>(static_cast<std::size_t>(n + m))};
    for (index_t i = 0; i < n; ++i) {
        for (index_t j = 0; j < m; ++j)
            if (g.pair(&x[2 * i], &y[2 * j]) <= t) G.adj[i].push_back(j);
        if (g.diag(&x[2 * i]) <= t) G.adj[i].push_back(m + i);
    }
    for (index_t j = 0; j < m; ++j) {
        if (g.diag(&y[2 * j]) <= t) G.adj[n + j].push_back(j);
        for (index_t k = 0; k < n; ++k) G.adj[n + j].push_back(m + k);
    }
    return G;
}

static bool kuhn(const dense_graph& G, index_t a, std::vector<index_t>& mate, std::vector<char>& seen) {
    for (index_t b : G.adj[a]) {
        if (seen[b]) continue;
        seen[b] = 1;
        if (mate[b] < 0 || kuhn(G, mate[b], mate, seen)) {
            mate[b] = a;
            return true;
        }
    }
    return false;
}

static bool perfect(const std::vector<double>& x, const std::vector<double>& y, const ground_metric& g, double t) {
    const dense_graph G = graph_at(x, y, g, t);
    const index_t N = G.n + G.m;
    std::vector<index_t> mate(static_cast<std::size_t>(N), -1);
    for (index_t a = 0; a < N; ++a) {
        std::vector<char> seen(static_cast<std::size_t>(N), 0);
        if (!kuhn(G, a, mate, seen)) return false;
    }
    return true;
}

static std::vector<double> all_costs(const std::vector<double>& x, const std::vector<double>& y,
                                     const ground_metric& g) {
    std::vector<double> c;
    const std::size_t n = x.size() / 2, m = y.size() / 2;
    for (std::size_t i = 0; i < n; ++i) c.push_back(g.diag(&x[2 * i]));
    for (std::size_t j = 0; j < m; ++j) c.push_back(g.diag(&y[2 * j]));
    for (std::size_t i = 0; i < n; ++i)
        for (std::size_t j = 0; j < m; ++j) c.push_back(g.pair(&x[2 * i], &y[2 * j]));
    std::sort(c.begin(), c.end());
    c.erase(std::unique(c.begin(), c.end()), c.end());
    return c;
}

// The returned edge's cost is the edge's own computed cost.
static double edge_cost(const bottleneck_edge& e, const std::vector<double>& x, const std::vector<double>& y,
                        const ground_metric& g) {
    switch (e.kind) {
    case bottleneck_edge::pair:
        return g.pair(&x[2 * e.i], &y[2 * e.j]);
    case bottleneck_edge::x_diagonal:
        return g.diag(&x[2 * e.i]);
    case bottleneck_edge::y_diagonal:
        return g.diag(&y[2 * e.j]);
    default:
        return 0;
    }
}

static bottleneck_edge run_bottleneck(const std::vector<double>& x, const std::vector<double>& y, double r) {
    return bottleneck_matching(x.data(), static_cast<index_t>(x.size() / 2), y.data(),
                               static_cast<index_t>(y.size() / 2), r);
}

static void check_bottleneck_small() {
    std::mt19937 gen(7);
    const double norms[] = {inf, 1.0, 2.0, 3.0};
    for (int trial = 0; trial < 400; ++trial) {
        const double r = norms[trial % 4];
        const ground_metric g(r);
        const bool lattice = trial % 3 == 0;
        const auto x = random_diagram(gen, static_cast<index_t>(gen() % 8), lattice);
        const auto y = random_diagram(gen, static_cast<index_t>(gen() % 8), lattice);
        const bottleneck_edge e = run_bottleneck(x, y, r);
        if (x.empty() && y.empty()) {
            CHECK(e.kind == bottleneck_edge::none);
            continue;
        }
        double want = -1;
        for (double t : all_costs(x, y, g))
            if (perfect(x, y, g, t)) {
                want = t;
                break;
            }
        CHECK(e.cost == want);
        CHECK(edge_cost(e, x, y, g) == e.cost);
    }
}

// Larger diagrams: a perfect matching exists at the answer and not at the cost just below it.
static void check_bottleneck_larger() {
    std::mt19937 gen(11);
    const double norms[] = {inf, 2.0, 1.0};
    for (int trial = 0; trial < 6; ++trial) {
        const double r = norms[trial % 3];
        const ground_metric g(r);
        const bool lattice = trial >= 4;
        const auto x = random_diagram(gen, 120 + static_cast<index_t>(gen() % 40), lattice);
        const auto y = random_diagram(gen, 120 + static_cast<index_t>(gen() % 40), lattice);
        const bottleneck_edge e = run_bottleneck(x, y, r);
        const auto costs = all_costs(x, y, g);
        const auto at = std::lower_bound(costs.begin(), costs.end(), e.cost);
        CHECK(at != costs.end() && *at == e.cost);
        CHECK(edge_cost(e, x, y, g) == e.cost);
        CHECK(perfect(x, y, g, e.cost));
        if (at != costs.begin()) CHECK(!perfect(x, y, g, *(at - 1)));
    }
}

// The Hungarian algorithm (shortest augmenting paths with potentials) on a dense square matrix:
// the least total cost of a perfect assignment.
static double hungarian(const std::vector<std::vector<double>>& c) {
    const std::size_t N = c.size();
    std::vector<double> u(N + 1, 0), v(N + 1, 0);
    std::vector<std::size_t> p(N + 1, 0), way(N + 1, 0);
    for (std::size_t i = 1; i <= N; ++i) {
        p[0] = i;
        std::size_t j0 = 0;
        std::vector<double> minv(N + 1, inf);
        std::vector<char> used(N + 1, 0);
        do {
            used[j0] = 1;
            const std::size_t i0 = p[j0];
            double delta = inf;
            std::size_t j1 = 0;
            for (std::size_t j = 1; j <= N; ++j) {
                if (used[j]) continue;
                const double cur = c[i0 - 1][j - 1] - u[i0] - v[j];
                if (cur < minv[j]) {
                    minv[j] = cur;
                    way[j] = j0;
                }
                if (minv[j] < delta) {
                    delta = minv[j];
                    j1 = j;
                }
            }
            for (std::size_t j = 0; j <= N; ++j) {
                if (used[j]) {
                    u[p[j]] += delta;
                    v[j] -= delta;
                } else {
                    minv[j] -= delta;
                }
            }
            j0 = j1;
        } while (p[j0] != 0);
        do {
            const std::size_t j1 = way[j0];
            p[j0] = p[j1];
            j0 = j1;
        } while (j0);
    }
    double total = 0;
    for (std::size_t j = 1; j <= N; ++j) total += c[p[j] - 1][j - 1];
    return total;
}

static double pw(double c, double p) { return std::pow(c, p); }

static double dense_wasserstein(const std::vector<double>& x, const std::vector<double>& y, double p,
                                const ground_metric& g) {
    const std::size_t n = x.size() / 2, m = y.size() / 2, N = n + m;
    const double big = 1e12;
    std::vector<std::vector<double>> c(N, std::vector<double>(N, 0.0));
    for (std::size_t i = 0; i < n; ++i) {
        for (std::size_t j = 0; j < m; ++j) c[i][j] = pw(g.pair(&x[2 * i], &y[2 * j]), p);
        for (std::size_t k = 0; k < n; ++k) c[i][m + k] = k == i ? pw(g.diag(&x[2 * i]), p) : big;
    }
    for (std::size_t j = 0; j < m; ++j)
        for (std::size_t k = 0; k < m; ++k) c[n + j][k] = k == j ? pw(g.diag(&y[2 * j]), p) : big;
    return N ? hungarian(c) : 0.0;
}

// The plan is a valid matching (every point exactly once); returns its total cost.
static double plan_cost(const wasserstein_plan& plan, const std::vector<double>& x, const std::vector<double>& y,
                        double p, const ground_metric& g) {
    const std::size_t n = x.size() / 2, m = y.size() / 2;
    std::vector<int> seen_x(n, 0), seen_y(m, 0);
    double total = 0;
    for (std::size_t t = 0; t < plan.pairs.size(); t += 2) {
        const auto i = static_cast<std::size_t>(plan.pairs[t]), j = static_cast<std::size_t>(plan.pairs[t + 1]);
        ++seen_x[i];
        ++seen_y[j];
        total += pw(g.pair(&x[2 * i], &y[2 * j]), p);
    }
    for (index_t i : plan.diag_x) {
        ++seen_x[static_cast<std::size_t>(i)];
        total += pw(g.diag(&x[2 * i]), p);
    }
    for (index_t j : plan.diag_y) {
        ++seen_y[static_cast<std::size_t>(j)];
        total += pw(g.diag(&y[2 * j]), p);
    }
    for (int s : seen_x) CHECK(s == 1);
    for (int s : seen_y) CHECK(s == 1);
    return total;
}

// Both solvers of wasserstein_matching, whichever it picks: the min-cost flow and the dense
// assignment of a lopsided pair (a sort where one side's points are all alike), on balanced and
// lopsided sizes.
static void check_wasserstein() {
    std::mt19937 gen(3);
    const double norms[] = {inf, 1.0, 2.0, 3.0};
    const double orders[] = {1.0, 2.0, 3.5};
    for (int trial = 0; trial < 400; ++trial) {
        const double r = norms[trial % 4], p = orders[(trial / 4) % 3];
        const ground_metric g(r);
        const bool lattice = trial % 5 == 0;
        const index_t size = trial < 200 ? 9 : 40;
        auto x = random_diagram(gen, static_cast<index_t>(gen() % size), lattice);
        auto y = random_diagram(gen, static_cast<index_t>(gen() % (trial >= 300 ? 4 : size)), lattice);
        if (trial % 7 == 0 && y.size() >= 4)  // all points of y alike (the small side from 300 on)
            for (std::size_t k = 2; k < y.size(); ++k) y[k] = y[k % 2];
        if (trial % 11 == 3 && x.size() >= 4)  // all points of x alike, whatever the sizes
            for (std::size_t k = 2; k < x.size(); ++k) x[k] = x[k % 2];
        const auto n = static_cast<index_t>(x.size() / 2), m = static_cast<index_t>(y.size() / 2);
        const double want = dense_wasserstein(x, y, p, g);
        detail::wasserstein_solver flow(x.data(), n, y.data(), m, p, r);
        flow.solve();
        const double by_flow = plan_cost(flow.plan(), x, y, p, g);
        CHECK(std::abs(by_flow - want) <= 1e-9 * (1 + want));
        for (bool transposed : {false, true}) {  // the small side as x, then as y
            const auto plan = transposed ? detail::lopsided_plan(y.data(), m, x.data(), n, p, r)
                                         : detail::lopsided_plan(x.data(), n, y.data(), m, p, r);
            const double got = transposed ? plan_cost(plan, y, x, p, g) : plan_cost(plan, x, y, p, g);
            CHECK(std::abs(got - want) <= 1e-9 * (1 + want));
        }
        const auto plan = wasserstein_matching(x.data(), n, y.data(), m, p, r);
        CHECK(std::abs(plan_cost(plan, x, y, p, g) - want) <= 1e-9 * (1 + want));
    }
}

// rectangular_assignment against every injection of rows into columns, forbidden pairs included.
static void check_rectangular_assignment() {
    std::mt19937 gen(11);
    std::uniform_int_distribution<int> level(0, 4);
    for (int trial = 0; trial < 300; ++trial) {
        const index_t rows = static_cast<index_t>(gen() % 5), cols = rows + static_cast<index_t>(gen() % 3);
        std::vector<double> c(static_cast<std::size_t>(rows * cols));
        for (auto& e : c) e = trial % 3 == 0 ? level(gen) : std::uniform_real_distribution<double>(-1, 1)(gen);
        for (index_t i = 0; i < rows; ++i)  // forbid some pairs, keeping the identity allowed
            for (index_t j = 0; j < cols; ++j)
                if (j != i && gen() % 4 == 0) c[i * cols + j] = inf;
        double best = inf;
        std::vector<index_t> perm(static_cast<std::size_t>(cols));
        for (index_t j = 0; j < cols; ++j) perm[j] = j;
        do {  // each permutation's first `rows` entries: every injection, some many times
            double t = 0;
            for (index_t i = 0; i < rows; ++i) t += c[i * cols + perm[i]];
            best = std::min(best, t);
        } while (std::next_permutation(perm.begin(), perm.end()));
        const auto col_of = rectangular_assignment(c.data(), rows, cols);
        std::vector<int> used(static_cast<std::size_t>(cols), 0);
        double got = 0;
        for (index_t i = 0; i < rows; ++i) {
            CHECK(col_of[i] >= 0 && col_of[i] < cols && used[col_of[i]]++ == 0);
            got += c[i * cols + col_of[i]];
        }
        CHECK(std::abs(got - (rows ? best : 0.0)) <= 1e-12);
    }
    const std::vector<double> blocked = {inf, inf, 0, 1};
    CHECK(throws<std::invalid_argument>([&] { rectangular_assignment(blocked.data(), 2, 2); }));
    CHECK(throws<std::invalid_argument>([&] { rectangular_assignment(blocked.data(), 2, 1); }));
}

static void check_bad_input() {
    const std::vector<double> x = {0, 1, std::nan(""), 2}, y = {0, 1};
    CHECK(throws<std::invalid_argument>([&] { bottleneck_matching(x.data(), 2, y.data(), 1, inf); }));
    CHECK(throws<std::invalid_argument>([&] { wasserstein_matching(x.data(), 2, y.data(), 1, 1.0, inf); }));
    CHECK(throws<std::invalid_argument>([&] { bottleneck_matching(y.data(), 1, y.data(), 1, 0.5); }));
    CHECK(throws<std::invalid_argument>([&] { wasserstein_matching(y.data(), 1, y.data(), 1, 0.5, 2.0); }));
    CHECK(throws<std::invalid_argument>([&] { bottleneck_matching(y.data(), -1, y.data(), 1, 2.0); }));
}

int main() {
    check_bottleneck_small();
    check_bottleneck_larger();
    check_wasserstein();
    check_rectangular_assignment();
    check_bad_input();
    return topolayer_test::check_summary("test_matching");
}
