// rips.hpp under ASan/UBSan: fast path == full reduction (keep_zero), thread counts, ties, bad input.
// Build: g++ -std=c++17 -O1 -g -fsanitize=address,undefined -Icpp/include cpp/tests/test_rips.cpp -pthread
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <random>
#include <stdexcept>
#include <utility>
#include <vector>

#include "check.hpp"
#include "topolayer/rips.hpp"

using namespace topolayer;

using topolayer_test::throws;

// The finite bars of dimension k as (birth, death) lengths, sorted by (death, birth).
static std::vector<double> bars(const rips_result& r, const std::vector<double>& x, int D, int k) {
    auto len = [&](index_t u, index_t v) {
        double s = 0;
        for (int t = 0; t < D; ++t) {
            const double q = x[static_cast<std::size_t>(u * D + t)] - x[static_cast<std::size_t>(v * D + t)];
            s += q * q;
        }
        return std::sqrt(s);
    };
    std::vector<std::pair<double, double>> p;
    const auto& rw = r.rows[static_cast<std::size_t>(k)];
    for (std::size_t i = 0; i < rw.size(); i += 4) {
        const double b = len(rw[i], rw[i + 1]), d = rw[i + 2] < 0 ? 1e300 : len(rw[i + 2], rw[i + 3]);
        if (d > b) p.push_back({d, b});
    }
    std::sort(p.begin(), p.end());
    std::vector<double> out;
    for (const auto& q : p) {
        out.push_back(q.second);
        out.push_back(q.first);
    }
    return out;
}

int main() {
    std::mt19937 g(1);
    std::uniform_real_distribution<double> u;
    for (int trial = 0; trial < 6; ++trial) {
        const int n = 12 + 5 * trial, D = 2 + trial % 2;
        std::vector<double> x(static_cast<std::size_t>(n * D));
        for (auto& v : x) v = std::round(u(g) * (trial % 3 == 0 ? 4 : 1000)) / 4;  // ties and duplicates
        rips_options o;
        o.max_dim = 2;
        const auto a = rips_points(x.data(), n, D, o);
        o.keep_zero = true;
        const auto b = rips_points(x.data(), n, D, o);
        o.keep_zero = false;
        o.n_threads = 3;
        const auto c = rips_points(x.data(), n, D, o);
        o.threshold = 0.3;
        const auto t = rips_points(x.data(), n, D, o);
        std::vector<index_t> all;  // every pair as a candidate edge: sparse must equal dense
        for (index_t i = 0; i < n; ++i)
            for (index_t j = 0; j < i; ++j) {
                all.push_back(i);
                all.push_back(j);
            }
        const auto sp = rips_sparse_points(x.data(), n, D, all.data(), static_cast<index_t>(all.size() / 2), o);
        for (std::size_t k = 0; k <= 2; ++k) CHECK(sp.rows[k] == t.rows[k]);
        for (int k = 0; k <= 2; ++k) {
            const auto A = bars(a, x, D, k), B = bars(b, x, D, k);
            CHECK(A.size() == B.size());
            if (A.size() == B.size()) {
                bool close = true;
                for (std::size_t i = 0; i < A.size(); ++i)
                    close = close && (std::abs(A[i] - B[i]) <= 1e-9 || (A[i] > 1e299 && B[i] > 1e299));
                CHECK(close);
            }
            CHECK(a.rows[static_cast<std::size_t>(k)] == c.rows[static_cast<std::size_t>(k)]);
        }
    }
    const std::vector<double> bad = {0, 1, NAN, 0};
    CHECK(throws<std::invalid_argument>([&] { rips_points(bad.data(), 2, 2, rips_options{}); }));
    const std::vector<double> m = {0, 1, 2, 0};
    CHECK(throws<std::invalid_argument>([&] { rips_matrix(m.data(), 2, rips_options{}); }));
    rips_options big;
    big.memory_budget = 100;
    const std::vector<double> y(40, 0.5);
    CHECK(throws<std::invalid_argument>([&] { rips_points(y.data(), 20, 2, big); }));
    const auto one = rips_points(y.data(), 1, 2, rips_options{});
    CHECK(one.rows[0].size() == 4);
    const auto none = rips_points(y.data(), 0, 2, rips_options{});
    CHECK(none.rows[0].empty());
    return topolayer_test::check_summary("rips core checks");
}
