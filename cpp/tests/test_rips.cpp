// rips.hpp under ASan/UBSan: fast path == full reduction (keep_zero), thread counts, ties, bad input;
// the neighbour search == a brute-force scan; the engine's vectorised scan and pivot map == plain
// ones; sparse Rips does not depend on the candidates' order.
// Build: g++ -std=c++17 -O1 -g -fsanitize=address,undefined -Icpp/include cpp/tests/test_rips.cpp -pthread
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
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

// Every pair (i < j) within squared distance r2, by a scan of all pairs, sorted.
static std::vector<std::pair<index_t, index_t>> brute_pairs(const std::vector<double>& x, index_t n, index_t D,
                                                            double r2) {
    std::vector<std::pair<index_t, index_t>> out;
    for (index_t i = 0; i < n; ++i)
        for (index_t j = i + 1; j < n; ++j)
            if (rips_detail::squared_distance(x.data() + i * D, x.data() + j * D, D) <= r2) out.push_back({i, j});
    return out;
}

static std::vector<std::pair<index_t, index_t>> sorted_pairs(const std::vector<index_t>& flat) {
    std::vector<std::pair<index_t, index_t>> out;
    for (std::size_t p = 0; p < flat.size(); p += 2) out.push_back({flat[p], flat[p + 1]});
    std::sort(out.begin(), out.end());
    return out;
}

// pairs_within returns exactly the brute-force pairs (each once, i < j), in the same order for
// every thread count, on clouds with duplicates and ties at the radius, in D = 1, 2, 3, 5.
static void check_neighbour_search() {
    std::mt19937 g(7);
    std::uniform_real_distribution<double> u;
    for (const index_t D : {1, 2, 3, 5}) {
        for (int trial = 0; trial < 4; ++trial) {
            const index_t base = 100 + 250 * trial;
            std::vector<double> x;
            for (index_t i = 0; i < base * D; ++i) {
                const double v = u(g);
                x.push_back(trial % 2 ? std::round(v * 8) / 8 : v);  // a lattice: many ties at the radius
            }
            for (index_t i = 0; i < base / 5; ++i)  // duplicates
                for (index_t k = 0; k < D; ++k) x.push_back(x[static_cast<std::size_t>(3 * i * D + k) % x.size()]);
            const index_t n = static_cast<index_t>(x.size()) / D;
            for (const double r : {0.0, 0.125, 0.2, 0.6}) {
                const double r2 = r * r;
                const auto want = brute_pairs(x, n, D, r2);
                std::vector<index_t> one, three;
                const index_t k1 = pairs_within(x.data(), n, D, r2, index_t{1} << 40, 1, one);
                const index_t k3 = pairs_within(x.data(), n, D, r2, index_t{1} << 40, 3, three);
                CHECK(k1 == static_cast<index_t>(want.size()) && k3 == k1);
                CHECK(one == three);
                bool ordered = true;
                for (std::size_t p = 0; p < one.size(); p += 2) ordered = ordered && one[p] < one[p + 1];
                CHECK(ordered);
                CHECK(sorted_pairs(one) == want);
                if (!want.empty()) {  // over the cap: counted in full, nothing listed
                    std::vector<index_t> capped;
                    const index_t k =
                        pairs_within(x.data(), n, D, r2, static_cast<index_t>(want.size()) - 1, 2, capped);
                    CHECK(k == static_cast<index_t>(want.size()) && capped.empty());
                }
            }
        }
    }
    std::vector<index_t> none;
    CHECK(pairs_within(static_cast<const double*>(nullptr), 0, 2, 1.0, 10, 1, none) == 0 && none.empty());
    const std::vector<float> same(2 * 50, 0.25f);  // one point repeated: every pair at distance 0
    CHECK(pairs_within(same.data(), 50, 2, 0.0, 10000, 1, none) == 50 * 49 / 2);
}

// Sparse Rips sorts its candidates itself: any order, orientation or repetition of the same
// candidate edges gives the same bars; the k-d tree's candidates give the dense result.
static void check_sparse_candidates() {
    std::mt19937 g(3);
    std::uniform_real_distribution<double> u;
    const index_t n = 90, D = 2;
    std::vector<double> x(static_cast<std::size_t>(n * D));
    for (auto& v : x) v = std::round(u(g) * 64) / 64;  // ties
    rips_options o;
    o.max_dim = 2;
    o.threshold = 0.25;
    std::vector<index_t> cand;
    pairs_within(x.data(), n, D, 0.3 * 0.3, index_t{1} << 40, 1, cand);
    const auto ref = rips_sparse_points(x.data(), n, D, cand.data(), static_cast<index_t>(cand.size() / 2), o);
    std::vector<std::pair<index_t, index_t>> e;
    for (std::size_t p = 0; p < cand.size(); p += 2) e.push_back({cand[p + 1], cand[p]});  // swapped ends
    e.insert(e.end(), e.begin(), e.begin() + static_cast<std::ptrdiff_t>(e.size() / 3));   // repeats
    std::shuffle(e.begin(), e.end(), g);
    std::vector<index_t> flat;
    for (const auto& p : e) {
        flat.push_back(p.first);
        flat.push_back(p.second);
    }
    const auto mixed = rips_sparse_points(x.data(), n, D, flat.data(), static_cast<index_t>(e.size()), o);
    const auto cloud = rips_sparse_cloud(x.data(), n, D, o);
    o.n_threads = 3;
    const auto threads = rips_sparse_cloud(x.data(), n, D, o);
    const auto dense = rips_points(x.data(), n, D, o);
    for (std::size_t k = 0; k <= 2; ++k) {
        CHECK(mixed.rows[k] == ref.rows[k]);
        CHECK(cloud.rows[k] == ref.rows[k]);
        CHECK(threads.rows[k] == ref.rows[k]);
        CHECK(dense.rows[k] == ref.rows[k]);
    }
    o.memory_budget = 1000;  // room for 20 candidate pairs (48 bytes each): there are hundreds
    CHECK(throws<std::invalid_argument>([&] { rips_sparse_cloud(x.data(), n, D, o); }));
}

// The vectorised scan of the dense engine == a plain loop, for every row count, length, start
// and type; the pivot map == std::map, through growth and long probe runs.
template <int K, class T>
static void check_first_within(std::mt19937& g) {
    std::uniform_int_distribution<int> level(0, 9);
    for (index_t n = 0; n <= 41; ++n)
        for (int trial = 0; trial < 20; ++trial) {
            std::vector<std::vector<T>> data(K, std::vector<T>(static_cast<std::size_t>(n)));
            const T* rows[K];
            for (int i = 0; i < K; ++i) {
                for (auto& v : data[static_cast<std::size_t>(i)]) v = static_cast<T>(level(g));
                rows[i] = data[static_cast<std::size_t>(i)].data();
            }
            const T value = static_cast<T>(trial % 10);
            for (index_t from = 0; from <= n; ++from) {
                index_t want = -1;
                for (index_t v = from; v < n && want < 0; ++v) {
                    bool ok = true;
                    for (int i = 0; i < K; ++i) ok = ok && rows[i][v] <= value;
                    if (ok) want = v;
                }
                CHECK(rips_detail::first_within<K>(rows, value, from, n) == want);
            }
        }
}

static void check_scan_and_map() {
    std::mt19937 g(7);
    check_first_within<2, float>(g);
    check_first_within<3, float>(g);
    check_first_within<4, float>(g);
    check_first_within<2, double>(g);
    check_first_within<3, double>(g);
    rips_detail::index_map m;
    std::map<index_t, index_t> ref;
    CHECK(m.find(0) == -1 && m.find(12345) == -1);
    std::uniform_int_distribution<index_t> key(0, index_t(1) << 40);
    for (index_t i = 0; i < 20000; ++i) {
        // Multiples of a large power of two share their low bits: a test of the hash's spread.
        const index_t k = i % 3 == 0 ? i << 20 : key(g);
        if (ref.count(k)) continue;
        ref[k] = i;
        m.insert(k, i);
    }
    bool same = m.size() == ref.size();
    for (const auto& kv : ref) same = same && m.find(kv.first) == kv.second;
    for (index_t i = 0; i < 2000; ++i) {
        const index_t k = key(g) | (index_t(1) << 41);  // absent: above every inserted key
        same = same && m.find(k) == -1;
    }
    CHECK(same);
}

int main() {
    check_scan_and_map();
    check_neighbour_search();
    check_sparse_candidates();
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
