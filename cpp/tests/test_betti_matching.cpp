// Checks of cubical/betti_matching.hpp on drawn fixtures (sublevel values; '#' is the
// structure, low): a broken vessel (one extra component in the prediction), a missing
// component, an extra hole, a 3D ring against a filled ring, identical inputs (everything
// matched), the binary-target shortcut against the general path, the comparison image's order
// derived from the prediction's, and the bad shapes that must throw.
#include <algorithm>
#include <array>
#include <cstdio>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include "check.hpp"
#include "topolayer/cubical/betti_matching.hpp"

using namespace topolayer;

using topolayer_test::throws;

// A 2D picture as sublevel values: '.' background (1.0), '#' structure (0.0), digits d as d / 10.
static std::vector<double> picture(const std::vector<std::string>& rows) {
    std::vector<double> v;
    for (const auto& r : rows)
        for (char ch : r) v.push_back(ch == '.' ? 1.0 : ch == '#' ? 0.0 : (ch - '0') / 10.0);
    return v;
}

static betti_matching_result match(const std::vector<index_t>& shape, const std::vector<double>& l,
                                   const std::vector<double>& g, bool t = false) {
    betti_matcher m(shape, t);
    betti_matching_result r;
    m.run(l.data(), g.data(), r);
    return r;
}

// Per dimension: the matched bars' values (L birth, L death, G birth, G death) and the
// unmatched bars' values of each side, sorted: what a loss reads.
static std::vector<std::vector<std::array<double, 4>>>
values(const betti_matching_result& r, const std::vector<double>& l, const std::vector<double>& g) {
    std::vector<std::vector<std::array<double, 4>>> out;
    for (const auto& d : r.dims) {
        std::vector<std::array<double, 4>> m, ul, ug;
        for (std::size_t i = 0; i < d.matched.size(); i += 4)
            m.push_back({l[d.matched[i]], l[d.matched[i + 1]], g[d.matched[i + 2]], g[d.matched[i + 3]]});
        for (std::size_t i = 0; i < d.unmatched_l.size(); i += 2)
            ul.push_back({l[d.unmatched_l[i]], l[d.unmatched_l[i + 1]], 0, 0});
        for (std::size_t i = 0; i < d.unmatched_g.size(); i += 2)
            ug.push_back({g[d.unmatched_g[i]], g[d.unmatched_g[i + 1]], 0, 0});
        for (auto* v : {&m, &ul, &ug}) {
            std::sort(v->begin(), v->end());
            out.push_back(*v);
        }
    }
    return out;
}

static std::size_t bars(const std::vector<index_t>& v, std::size_t width) { return v.size() / width; }

int main() {
    const std::vector<index_t> shape{3, 9};
    const auto vessel = picture({".........", ".#######.", "........."});
    {  // the gap pixel (value 0.8) splits the vessel: one extra H0 bar (0, 0.8) of the prediction
        const auto broken = picture({".........", ".###8###.", "........."});
        for (bool t : {false, true}) {
            const auto r = match(shape, broken, vessel, t);
            CHECK(r.dims.size() == 2);
            CHECK(bars(r.dims[0].matched, 4) == 0);
            CHECK(bars(r.dims[0].unmatched_g, 2) == 0);
            CHECK(bars(r.dims[0].unmatched_l, 2) == 1);
            // birth: a pixel of the right-hand piece (the younger one by position), death: the gap
            CHECK(r.dims[0].unmatched_l[1] == 9 + 4);
            CHECK(r.dims[0].unmatched_l[0] % 9 > 4);
            CHECK(bars(r.dims[1].unmatched_l, 2) == 0);
        }
    }
    {  // a missing component: the target's second blob has no partner
        const auto target = picture({"##.....", "##.....", ".......", ".....##", ".....##"});
        const auto pred = picture({"##.....", "##.....", ".......", ".......", "......."});
        const auto r = match({5, 7}, pred, target);
        CHECK(bars(r.dims[0].matched, 4) == 0);
        CHECK(bars(r.dims[0].unmatched_l, 2) == 0);
        CHECK(bars(r.dims[0].unmatched_g, 2) == 1);
        // and a faint copy of it (0.7) is matched instead
        const auto faint = picture({"##.....", "##.....", ".......", ".....77", ".....77"});
        const auto s = match({5, 7}, faint, target);
        CHECK(bars(s.dims[0].matched, 4) == 1);
        CHECK(bars(s.dims[0].unmatched_l, 2) == 0 && bars(s.dims[0].unmatched_g, 2) == 0);
    }
    {  // an extra hole: the prediction's ring has an H1 bar, the filled target none
        const auto target = picture({".......", ".#####.", ".#####.", ".#####.", "......."});
        const auto ring = picture({".......", ".#####.", ".#777#.", ".#####.", "......."});
        const auto r = match({5, 7}, ring, target);
        CHECK(bars(r.dims[1].unmatched_l, 2) == 1);
        CHECK(bars(r.dims[1].matched, 4) == 0 && bars(r.dims[1].unmatched_g, 2) == 0);
        // the same ring as target: its hole is matched
        const auto s = match({5, 7}, ring, ring);
        CHECK(bars(s.dims[1].matched, 4) == 1);
    }
    {  // 3D: a square ring in one slice of a 3x5x5 volume against itself and against a filled
       // square; identical inputs match every bar
        std::vector<double> ring(75, 1.0), filled(75, 1.0);
        for (int i = 1; i < 4; ++i)
            for (int j = 1; j < 4; ++j) {
                filled[25 + 5 * i + j] = 0.0;
                if (i != 2 || j != 2) ring[25 + 5 * i + j] = 0.0;
            }
        const auto r = match({3, 5, 5}, ring, filled);
        CHECK(r.dims.size() == 3);
        CHECK(bars(r.dims[1].unmatched_l, 2) == 1);
        CHECK(bars(r.dims[1].matched, 4) == 0);
        const auto s = match({3, 5, 5}, ring, ring);
        CHECK(bars(s.dims[1].matched, 4) == 1);
        for (const auto& d : s.dims) CHECK(d.unmatched_l.empty() && d.unmatched_g.empty());
    }
    {  // a binary target takes a shortcut (G's reductions skipped); the values it gives equal
       // the general path's, on predictions at and above the target's low value, with ties
        std::mt19937 rng(7);
        int mismatches = 0, matched = 0;
        for (int it = 0; it < 400; ++it) {
            std::vector<index_t> shape{index_t(2 + rng() % 9), index_t(2 + rng() % 9)};
            if (it % 2) shape.push_back(index_t(1 + rng() % 8));
            std::size_t n = 1;
            for (index_t s : shape) n *= static_cast<std::size_t>(s);
            const double lo = 0.25 * (rng() % 3), hi = lo + 0.5;
            std::vector<double> l(n), g(n);
            for (std::size_t i = 0; i < n; ++i) {
                g[i] = rng() % 100 < static_cast<unsigned>(30 + it % 40) ? lo : hi;
                // coarse values (ties), at lo only inside the target's low part
                l[i] = lo + 0.1 * (rng() % 12) + (g[i] == hi ? 0.05 : 0.0);
            }
            for (bool t : {false, true}) {
                betti_matcher fast(shape, t), general(shape, t);
                general.set_binary_shortcut(false);
                betti_matching_result a, b;
                fast.run(l.data(), g.data(), a);
                general.run(l.data(), g.data(), b);
                mismatches += values(a, l, g) != values(b, l, g);
                for (const auto& d : b.dims) matched += static_cast<int>(d.matched.size() / 4);
            }
        }
        CHECK(mismatches == 0);
        CHECK(matched > 1000);  // the cases do match bars
    }
    {  // C's order against a binary target, derived from L's (sorted_from), equals C's own
       // sort: K's cells first, ties at the clamp and keys changed by K's vertices, few (merged
       // into L's order) or many (sorted apart)
        std::mt19937 rng(11);
        int differ = 0;
        for (int it = 0; it < 300; ++it) {
            const std::size_t n = 50 + rng() % 400;
            std::vector<bm_detail::u32> ids;
            for (bm_detail::u32 id = 0; id < 2 * n; ++id)
                if (rng() % 4 != 0) ids.push_back(id);  // some slots invalid
            bm_detail::filtration fl, fc;
            fl.key.assign(2 * n, 0);
            fc.key.assign(2 * n, 0);
            const bm_detail::u32 levels = 2 + rng() % 60, clamp = 1 + rng() % levels;
            const unsigned changed = it % 3 == 0 ? 40 : 3;  // percent of cells
            for (const bm_detail::u32 id : ids) {
                const bm_detail::u32 k = static_cast<bm_detail::u32>(rng() % levels);  // ties
                fl.key[id] = k;
                const unsigned u = rng() % 100;
                fc.key[id] = u < 20 ? 0 : u < 20 + changed ? 1 + static_cast<bm_detail::u32>(rng() % (k + 1))
                                                            : 1 + std::min(k, clamp);
            }
            bm_detail::sort_scratch scratch;
            bm_detail::sort_filtration(fl, ids, scratch);
            bm_detail::filtration want = fc;
            bm_detail::sort_filtration(want, ids, scratch);
            bm_detail::sorted_from(fc, fl, ids, scratch);
            differ += fc.sorted != want.sorted;
        }
        CHECK(differ == 0);
    }
    {  // footprint: every buffer counted, so at least the three inputs' vertex values and keys
        std::vector<double> a(75), b(75);
        for (std::size_t i = 0; i < 75; ++i) {
            a[i] = static_cast<double>((i * 37) % 11);
            b[i] = static_cast<double>(i % 2);
        }
        betti_matcher m({3, 5, 5}, false);
        const std::size_t before = m.footprint();
        betti_matching_result r;
        m.run(a.data(), b.data(), r);
        CHECK(m.footprint() >= before + 3 * 75 * (sizeof(double) + sizeof(std::uint64_t)));
    }
    CHECK(throws<std::invalid_argument>([] { betti_matcher({4}, false); }));
    CHECK(throws<std::invalid_argument>([] { betti_matcher({2, 2, 2, 2}, false); }));
    CHECK(throws<std::invalid_argument>([] { betti_matcher({3, 0}, true); }));
    return topolayer_test::check_summary("test_betti_matching");
}
