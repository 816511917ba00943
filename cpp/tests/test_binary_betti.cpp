// Checks of binary_betti.hpp: the barcode of a two-valued grid by counting (Betti numbers by
// union-finds and the Euler characteristic) against the reduction of cubical.hpp, on random
// binary grids from sparse to dense, salt and pepper and blobs, 2D and 3D, V and T, and on
// grids of one value and of more than two.
#include <algorithm>
#include <array>
#include <cstdio>
#include <random>
#include <vector>

#include "check.hpp"
#include "topolayer/cubical.hpp"
#include "topolayer/cubical/binary_betti.hpp"

using namespace topolayer;

namespace {

struct counts {
    std::array<index_t, 3> n{};
    std::vector<std::array<index_t, 3>> bars;
    void push(index_t d, index_t b, index_t k) {
        ++n[static_cast<std::size_t>(d)];
        bars.push_back({d, b, k});
    }
};

// A binary grid: independent pixels at density p, or (blobs) a smoothed field thresholded.
std::vector<float> binary_grid(std::mt19937& gen, const grid_shape& g, double p, bool blobs, float lo, float hi) {
    const index_t n = g.size();
    std::uniform_real_distribution<double> u(0, 1);
    std::vector<double> field(static_cast<std::size_t>(n));
    for (auto& v : field) v = u(gen);
    if (blobs)
        for (int pass = 0; pass < 2; ++pass) {
            std::vector<double> out(field.size(), 0.0);
            for (index_t a = 0; a < g.n0; ++a)
                for (index_t b = 0; b < g.n1; ++b)
                    for (index_t c = 0; c < g.n2; ++c) {
                        double s = 0;
                        int k = 0;
                        for (index_t da = -1; da <= 1; ++da)
                            for (index_t db = -1; db <= 1; ++db)
                                for (index_t dc = -1; dc <= 1; ++dc) {
                                    const index_t x = a + da, y = b + db, z = c + dc;
                                    if (x < 0 || y < 0 || z < 0 || x >= g.n0 || y >= g.n1 || z >= g.n2) continue;
                                    s += field[static_cast<std::size_t>((x * g.n1 + y) * g.n2 + z)];
                                    ++k;
                                }
                        out[static_cast<std::size_t>((a * g.n1 + b) * g.n2 + c)] = s / k;
                    }
            field.swap(out);
        }
    std::vector<double> sorted(field);
    std::sort(sorted.begin(), sorted.end());
    const double cut = sorted[static_cast<std::size_t>(p * static_cast<double>(n - 1))];
    std::vector<float> f(static_cast<std::size_t>(n));
    for (index_t i = 0; i < n; ++i) f[static_cast<std::size_t>(i)] = field[static_cast<std::size_t>(i)] <= cut ? lo : hi;
    return f;
}

void check_against_reduction() {
    std::mt19937 gen(7);
    int trials = 0;
    for (int ndim : {2, 3})
        for (construction c : {construction::V, construction::T})
            for (int trial = 0; trial < 60; ++trial) {
                grid_shape g;
                g.ndim = ndim;
                std::uniform_int_distribution<index_t> side(1, ndim == 2 ? 24 : 11);
                g.n0 = ndim == 3 ? side(gen) : 1;
                g.n1 = side(gen);
                g.n2 = side(gen);
                const double p = 0.05 + 0.9 * std::uniform_real_distribution<double>(0, 1)(gen);
                const bool swap_values = trial % 3 == 0;  // the low value need not come first
                const auto f = binary_grid(gen, g, p, trial % 2 == 1, swap_values ? 1.0f : -0.0f,
                                           swap_values ? 0.0f : 1.0f);
                pairs_result want;
                cubical_pairs_into(want, f.data(), g, c, ndim - 1, false, false);
                std::array<index_t, 3> n_want{};
                for (std::size_t i = 0; i < want.size(); ++i)
                    if (want.death[i] != no_death) ++n_want[static_cast<std::size_t>(want.dim[i])];
                counts got;
                CHECK(two_valued_pairs(got, f.data(), g, c));
                CHECK(got.n == n_want);
                for (const auto& bar : got.bars)  // (lo, hi): birth at the lower value
                    CHECK(f[static_cast<std::size_t>(bar[1])] < f[static_cast<std::size_t>(bar[2])]);
                ++trials;
            }
    CHECK(trials == 240);
}

void check_one_and_three_values() {
    grid_shape g;
    g.n1 = 5;
    g.n2 = 4;
    std::vector<float> f(20, 0.5f);
    counts one;
    CHECK(two_valued_pairs(one, f.data(), g, construction::V) && one.bars.empty());
    f[3] = 1.0f;
    f[7] = 2.0f;
    counts three;
    CHECK(!two_valued_pairs(three, f.data(), g, construction::T) && three.bars.empty());
}

// A hollow cube (one void) and a solid torus (one tunnel), by hand.
void check_fixtures() {
    grid_shape g;
    g.ndim = 3;
    g.n0 = g.n1 = g.n2 = 5;
    std::vector<float> shell(125, 1.0f), ring(125, 1.0f);
    for (index_t a = 1; a < 4; ++a)
        for (index_t b = 1; b < 4; ++b)
            for (index_t c = 1; c < 4; ++c) {
                const bool centre = a == 2 && b == 2 && c == 2;
                shell[static_cast<std::size_t>((a * 5 + b) * 5 + c)] = centre ? 1.0f : 0.0f;
                if (a == 2 && !(b == 2 && c == 2)) ring[static_cast<std::size_t>((a * 5 + b) * 5 + c)] = 0.0f;
            }
    for (construction c : {construction::V, construction::T}) {
        counts s, r;
        CHECK(two_valued_pairs(s, shell.data(), g, c) && s.n == (std::array<index_t, 3>{0, 0, 1}));
        CHECK(two_valued_pairs(r, ring.data(), g, c) && r.n == (std::array<index_t, 3>{0, 1, 0}));
    }
}

}  // namespace

int main() {
    check_against_reduction();
    check_one_and_three_values();
    check_fixtures();
    return topolayer_test::check_summary("test_binary_betti");
}
