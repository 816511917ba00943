// rips.hpp under ASan/UBSan: fast path == full reduction (keep_zero), thread counts, ties, bad input.
// Build: g++ -std=c++17 -O1 -g -fsanitize=address,undefined -Icpp/include cpp/tests/test_rips.cpp -pthread
#include "topolayer/rips.hpp"
#include <cassert>
#include <cstdio>
#include <random>
using namespace topolayer;
static std::vector<double> bars(const rips_result& r, const std::vector<double>& x, int D, int k) {
    std::vector<double> out;
    auto len = [&](index_t u, index_t v) { double s = 0; for (int t = 0; t < D; ++t) { double q = x[u*D+t]-x[v*D+t]; s += q*q; } return std::sqrt(s); };
    const auto& rw = r.rows[k];
    for (size_t i = 0; i < rw.size(); i += 4) {
        double b = len(rw[i], rw[i+1]), d = rw[i+2] < 0 ? 1e300 : len(rw[i+2], rw[i+3]);
        if (d > b) { out.push_back(b); out.push_back(d); }
    }
    std::vector<std::pair<double,double>> p; for (size_t i = 0; i < out.size(); i += 2) p.push_back({out[i+1], out[i]});
    std::sort(p.begin(), p.end()); out.clear(); for (auto& q : p) { out.push_back(q.second); out.push_back(q.first); }
    return out;
}
int main() {
    std::mt19937 g(1); std::uniform_real_distribution<double> u;
    int fails = 0;
    for (int trial = 0; trial < 6; ++trial) {
        int n = 12 + 5 * trial, D = 2 + trial % 2;
        std::vector<double> x(n * D); for (auto& v : x) v = std::round(u(g) * (trial % 3 == 0 ? 4 : 1000)) / 4;  // ties and duplicates
        rips_options o; o.max_dim = 2;
        auto a = rips_points(x.data(), n, D, o);
        o.keep_zero = true; auto b = rips_points(x.data(), n, D, o);
        o.keep_zero = false; o.n_threads = 3; auto c = rips_points(x.data(), n, D, o);
        o.threshold = 0.3; auto t = rips_points(x.data(), n, D, o);
        std::vector<index_t> all;  // every pair as a candidate edge: sparse must equal dense
        for (index_t i = 0; i < n; ++i) for (index_t j = 0; j < i; ++j) { all.push_back(i); all.push_back(j); }
        auto sp = rips_sparse_points(x.data(), n, D, all.data(), static_cast<index_t>(all.size() / 2), o);
        for (int k = 0; k <= 2; ++k) if (sp.rows[k] != t.rows[k]) ++fails;
        for (int k = 0; k <= 2; ++k) {
            auto A = bars(a, x, D, k), B = bars(b, x, D, k);
            if (A.size() != B.size()) { ++fails; continue; }
            for (size_t i = 0; i < A.size(); ++i) if (std::abs(A[i] - B[i]) > 1e-9 && !(A[i] > 1e299 && B[i] > 1e299)) { ++fails; break; }
            if (a.rows[k] != c.rows[k]) ++fails;
        }
    }
    std::vector<double> bad = {0, 1, NAN, 0};
    try { rips_points(bad.data(), 2, 2, rips_options{}); ++fails; } catch (const std::invalid_argument&) {}
    std::vector<double> m = {0, 1, 2, 0};
    try { rips_matrix(m.data(), 2, rips_options{}); ++fails; } catch (const std::invalid_argument&) {}
    rips_options big; big.memory_budget = 100;
    std::vector<double> y(40, 0.5);
    try { rips_points(y.data(), 20, 2, big); ++fails; } catch (const std::invalid_argument&) {}
    auto one = rips_points(y.data(), 1, 2, rips_options{});
    if (one.rows[0].size() != 4) ++fails;
    auto none = rips_points(y.data(), 0, 2, rips_options{});
    if (!none.rows[0].empty()) ++fails;
    std::printf("%s (%d failures)\n", fails ? "FAIL" : "ok", fails);
    return fails != 0;
}
