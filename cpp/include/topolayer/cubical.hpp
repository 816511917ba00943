// Level-set persistence of 2D images and 3D volumes on implicit, padded grids (V, T,
// Freudenthal): the entry points and the workspace each thread keeps between calls.
// Cells are totally ordered by (value, flat index). 2D: H0 and H1 over the saddles only
// (cubical/saddles_2d.hpp). 3D: one LSD radix sort; H0 and H2 by union-find
// (cubical/union_find_3d.hpp); H1 of V on a discrete Morse complex (cubical/morse_h1.hpp), of T
// through its V dual, of Freudenthal by cohomology of the implicit complex
// (cubical/freudenthal_h1.hpp). Pairs are critical pixels, identical for every thread count.
#pragma once

#include <cmath>
#include <cstring>
#include <exception>
#include <limits>
#include <stdexcept>
#include <string>
#include <thread>
#include <type_traits>
#include <utility>
#include <vector>

#include "cubical/freudenthal_h1.hpp"
#include "cubical/grid.hpp"
#include "cubical/morse_freudenthal.hpp"
#include "cubical/morse_h1.hpp"
#include "cubical/saddles_2d.hpp"
#include "cubical/union_find_3d.hpp"
#include "interrupt.hpp"
#include "sort.hpp"
#include "types.hpp"

namespace topolayer {

// One grid on its padded layout: key[q] is the sort key of padded cell q (equal keys = equal
// values; the filtration order is (key, index)), order[r] the cell of rank r, parent the
// union-find forest.
template <class T>
struct cubical_workspace {
    using key_t = std::conditional_t<sizeof(T) == 4, detail::u32, detail::u64>;
    detail::padded_grid pg;
    std::vector<key_t> key;
    std::vector<detail::u32> order, parent;
    std::vector<keyed<key_t>> a, tmp;         // sort buffers
    detail::saddle_workspace<key_t> saddles;  // 2D: link masks, saddle lists
    pairs_result top_out;                     // bars of the top dimension, before appending
    // Small grids: padded cell -> pixel index, kept while a batch has one shape, so that
    // reporting a bar is a load rather than two divisions.
    std::vector<detail::u32> pixel_of;
    grid_shape pixel_of_shape{0, 0, 0, 0};

    index_t pixel(detail::u32 q) const {
        return pixel_of.empty() ? pg.real_index(q) : static_cast<index_t>(pixel_of[q]);
    }

    // Fills key; with `sort`, also order.
    void build(const T* f, const grid_shape& g, bool superlevel, bool sort) {
        using detail::u32;
        pg = detail::padded_grid(g);
        const index_t n = g.size();
        const bool same = pixel_of_shape.n0 == g.n0 && pixel_of_shape.n1 == g.n1 && pixel_of_shape.n2 == g.n2 &&
                          pixel_of_shape.ndim == g.ndim;
        if (!same) {
            pixel_of.clear();
            pixel_of_shape = g;
            if (n <= (index_t{1} << 16)) {
                pixel_of.assign(static_cast<std::size_t>(pg.size()), 0);
                index_t p = 0;
                for (index_t x0 = 0; x0 < g.n0; ++x0)
                    for (index_t x1 = 0; x1 < g.n1; ++x1)
                        for (index_t x2 = 0; x2 < g.n2; ++x2, ++p)
                            pixel_of[static_cast<std::size_t>(pg.first() + (x0 * pg.p1 + x1) * pg.p2 + x2)] =
                                static_cast<u32>(p);
            }
        }
        // Padding keys are all ones, above every finite value's key.
        key.assign(static_cast<std::size_t>(pg.size()), std::numeric_limits<key_t>::max());
        parent.resize(static_cast<std::size_t>(pg.size()));
        // Keys from the values' bits, in place, by integer operations that vectorise; NaN and
        // infinite pixels (all exponent bits set) are looked for only if there is one.
        constexpr key_t exponent = sizeof(key_t) == 4 ? key_t(0x7F800000u) : key_t(0x7FF0000000000000ull);
        const key_t flip = superlevel ? ~key_t(0) : key_t(0);
        key_t bad = 0;
        index_t i = 0;
        auto poll = detail::poll_rows(g.n2);  // not in pixel_of's loop: it is kept only if whole
        for (index_t x0 = 0; x0 < g.n0; ++x0)
            for (index_t x1 = 0; x1 < g.n1; ++x1) {
                poll.tick();
                key_t* row = key.data() + pg.first() + (x0 * pg.p1 + x1) * pg.p2;
                std::memcpy(row, f + i, static_cast<std::size_t>(g.n2) * sizeof(T));
                for (index_t x2 = 0; x2 < g.n2; ++x2) {
                    bad |= key_t((row[x2] & exponent) == exponent);
                    row[x2] = key_from_bits(row[x2], flip);
                }
                i += g.n2;
            }
        if (bad != 0)
            for (index_t j = 0; j < n; ++j)
                if (!std::isfinite(f[j]))
                    throw std::invalid_argument("x must be finite, but pixel " + std::to_string(j) + " is " +
                                                std::to_string(static_cast<double>(f[j])));
        if (!sort) return;
        a.resize(static_cast<std::size_t>(n));
        i = 0;
        for (index_t x0 = 0; x0 < g.n0; ++x0)
            for (index_t x1 = 0; x1 < g.n1; ++x1) {
                poll.tick();
                const index_t row = pg.first() + (x0 * pg.p1 + x1) * pg.p2;
                for (index_t x2 = 0; x2 < g.n2; ++x2, ++i)
                    a[static_cast<std::size_t>(i)] = {key[static_cast<std::size_t>(row + x2)],
                                                      static_cast<u32>(row + x2)};
            }
        if (n < 64)
            std::stable_sort(a.begin(), a.end(), [](const auto& x, const auto& y) { return x.key < y.key; });
        else if (n < (index_t{1} << 16))
            radix_sort<8>(a, tmp, a.size());
        else
            radix_sort<11>(a, tmp, a.size());
        order.resize(static_cast<std::size_t>(n));
        for (index_t r = 0; r < n; ++r) order[static_cast<std::size_t>(r)] = a[static_cast<std::size_t>(r)].idx;
        if (n > (index_t{1} << 21)) {  // very large grids: give the sort buffers back now
            a = {};
            tmp = {};
        }
    }

    // rank[q] of every padded cell (pad_rank for padding), for the 3D H1; kept in the
    // workspace, as the next grid of a batch needs the same memory.
    const std::vector<detail::u32>& ranks() {
        rank_buf.assign(static_cast<std::size_t>(pg.size()), detail::pad_rank);
        interrupt_countdown poll(static_cast<unsigned>(detail::poll_cells));
        for (std::size_t r = 0; r < order.size(); ++r) {
            poll.tick();
            rank_buf[order[r]] = static_cast<detail::u32>(r);
        }
        return rank_buf;
    }
    std::vector<detail::u32> rank_buf;
};

// Persistence pairs of one grid f (row-major, shape g) as critical pixels (flat row-major
// indices), appended to `out`. Dimensions 0..min(max_dim, ndim - 1), grouped by dimension, the
// essential H0 class last in H0. Bars of zero length (equal birth and death values) are dropped
// unless keep_zero; pairs inside one pixel's star (the same critical pixel) are never reported.
// With inner_threads >= 2 the top dimension runs in a second thread, beside H0 (and 3D H1); the
// result is the same. `Out` is a pairs_result or any sink with push(dim, birth, death).
template <class T, class Out>
void cubical_pairs_into(Out& out, const T* f, const grid_shape& g, construction c, int max_dim, bool superlevel,
                        bool keep_zero, int inner_threads = 1) {
    using detail::u32;
    if (g.ndim != 2 && g.ndim != 3) throw std::invalid_argument("ndim must be 2 or 3");
    if (g.n0 < 1 || g.n1 < 1 || g.n2 < 1) throw std::invalid_argument("the grid must have at least one pixel");
    if (g.ndim == 2 && g.n0 != 1) throw std::invalid_argument("a 2D grid has n0 == 1");
    if (max_dim < 0) throw std::invalid_argument("max_dim must be >= 0");
    if ((g.n0 + 4) * (g.n1 + 4) * (g.n2 + 4) >= static_cast<index_t>(std::numeric_limits<u32>::max()))
        throw std::invalid_argument("the grid has too many pixels (at most about 2^32)");
    const index_t n = g.size();
    // Reused by the calls of one thread (a batch of small images allocates once per thread);
    // a grid of more than 2M cells has its memory released after the call (at most ~60 MB
    // stay cached per thread).
    thread_local cubical_workspace<T> ws_of_thread;
    cubical_workspace<T>& ws = ws_of_thread;  // a reference, so a helper thread sees this one
    struct release {
        cubical_workspace<T>& w;
        ~release() {
            if (w.key.size() > (std::size_t{1} << 21)) w = cubical_workspace<T>{};
        }
    } release_guard{ws};
    ws.build(f, g, superlevel, g.ndim == 3);
    // A copy on the stack: GCC re-derives the address of a thread_local behind a reference at
    // every use (in a shared library, a __tls_get_addr call), so the loops over the grid that
    // read its strides would make one such call per cell.
    const detail::padded_grid pg = ws.pg;
    check_interrupt();  // once per grid at least; large ones poll in the passes too
    const auto* key = ws.key.data();
    const bool large_grid = pg.size() > (index_t{1} << 16);  // beyond the L2 cache
    // Bars between padded cells b and k (k == no_rank: essential).
    auto emit_to = [&ws, key, keep_zero](auto& o, int d, u32 b, u32 k) {
        if (b == k) return;  // a pair inside one pixel's star: not a bar between two pixels
        if (k == detail::no_rank)
            o.push(d, ws.pixel(b), no_death);
        else if (keep_zero || key[b] != key[k])
            o.push(d, ws.pixel(b), ws.pixel(k));
    };
    auto emit = [&](int d, u32 b, u32 k) { emit_to(out, d, b, k); };
    // The top dimension: in this thread after H0, or in a helper thread with its own forest.
    const bool top = max_dim >= g.ndim - 1;
    // 3D with H1: one discrete gradient gives H0, H1 and H2 (morse_h1.hpp, T through its V dual;
    // morse_freudenthal.hpp); the union-finds over every voxel serve the other cases.
    const bool morse_all =
        g.ndim == 3 && max_dim >= 1 && !(c == construction::freudenthal && detail::freudenthal_by_cells);
    const bool top_apart = top && !morse_all;
    pairs_result& top_out = ws.top_out;
    top_out.dim.clear();
    top_out.birth.clear();
    top_out.death.clear();
    auto run_top = [&](u32* parent) {
        auto em = [&](u32 b, u32 k) { emit_to(top_out, g.ndim - 1, b, k); };
        if (g.ndim == 2) {
            auto& buf = ws.saddles.bars_up;
            buf.resize(6 * ws.saddles.saddles.size() + 2);
            auto pass = [&](auto large) {
                return detail::saddle_pass<true, decltype(large)::value>(
                    ws.saddles.parent_up.data(), key, ws.saddles.lower.data(), ws.saddles.saddles, pg,
                    detail::dual_kind(c), keep_zero, buf.data());
            };
            const std::size_t nb = large_grid ? pass(std::true_type{}) : pass(std::false_type{});
            top_out.dim.reserve(nb);
            top_out.birth.reserve(nb);
            top_out.death.reserve(nb);
            for (std::size_t i = 0; i < nb; ++i)  // already filtered by length
                top_out.push(1, ws.pixel(buf[2 * i]), ws.pixel(buf[2 * i + 1]));
        } else
            detail::union_find_top(parent, key, ws.order.data(), n, pg,
                                   detail::neighbour_offsets(pg, detail::dual_kind(c)), em);
    };
    if (g.ndim == 2)
        detail::prepare_saddles(ws.saddles, ws.parent.data(), key, pg, detail::primal_kind(c), detail::dual_kind(c),
                                top);
    // In this thread (no helper), a small 2D grid runs both passes at once.
    const bool top_here = top_apart && inner_threads < 2;
    bool top_done = false;
    std::vector<u32> parent2;
    std::exception_ptr top_error;
    std::thread helper;
    struct joiner {
        std::thread& t;
        ~joiner() {
            if (t.joinable()) t.join();
        }
    } join_guard{helper};
    if (top_apart && inner_threads >= 2) {
        if (g.ndim == 3) parent2.resize(ws.parent.size());
        helper = std::thread([&] {
            try {
                run_top(parent2.data());
            } catch (...) {
                top_error = std::current_exception();
            }
        });
    }
    const bool h1_3d = g.ndim == 3 && max_dim >= 1;
    {
        detail::edge_bits neg;
        // Freudenthal: cohomology of the cell complex; V (and T, by duality): Morse complex.
        const bool cells = h1_3d && c == construction::freudenthal;
        if (cells)
            neg.reset(pg.size(), static_cast<index_t>(detail::half_offsets(3, detail::primal_kind(c)).size()));
        if (g.ndim == 2) {
            auto& buf = ws.saddles.bars_down;
            buf.resize(6 * ws.saddles.saddles.size() + 2);
            std::size_t nb = 0, nb_up = 0;  // bars found below, and above if top_done
            if (top_here) {                 // both passes, the second only where the first left a run
                auto& buf_up = ws.saddles.bars_up;
                buf_up.resize(6 * ws.saddles.saddles.size() + 2);
                auto both = [&](auto first_up, auto large) {
                    return detail::saddle_passes_sequential<decltype(first_up)::value, decltype(large)::value>(
                        ws.parent.data(), ws.saddles.parent_up.data(), key, ws.saddles.lower.data(), ws.saddles.saddles,
                        pg, detail::primal_kind(c), detail::dual_kind(c), keep_zero, buf.data(), buf_up.data(),
                        ws.saddles.rest);
                };
                using yes = std::true_type;
                using no = std::false_type;
                const bool up_first = detail::dual_kind(c) == 0;  // T: 4-adjacency above
                const auto counts = up_first ? (large_grid ? both(yes{}, yes{}) : both(yes{}, no{}))
                                             : (large_grid ? both(no{}, yes{}) : both(no{}, no{}));
                nb = counts.first;
                nb_up = counts.second;
                top_done = true;
            } else if (large_grid) {
                nb =
                    detail::saddle_pass<false, true>(ws.parent.data(), key, ws.saddles.lower.data(), ws.saddles.saddles,
                                                     pg, detail::primal_kind(c), keep_zero, buf.data());
            } else {
                nb = detail::saddle_pass<false, false>(ws.parent.data(), key, ws.saddles.lower.data(),
                                                       ws.saddles.saddles, pg, detail::primal_kind(c), keep_zero,
                                                       buf.data());
            }
            for (std::size_t i = 0; i < nb; ++i)  // already filtered by length
                out.push(0, ws.pixel(buf[2 * i]), ws.pixel(buf[2 * i + 1]));
            // The essential class: born at the first cell, the root of the one tree left.
            emit(0, detail::find_root(ws.parent.data(), static_cast<u32>(pg.first())), detail::no_rank);
            const auto& buf_up = ws.saddles.bars_up;
            for (std::size_t i = 0; i < nb_up; ++i)  // H1 found in this thread, after H0
                out.push(1, ws.pixel(buf_up[2 * i]), ws.pixel(buf_up[2 * i + 1]));
        } else if (!morse_all)
            detail::union_find_h0(ws.parent.data(), key, ws.order.data(), n, pg.size(), pg.p2,
                                  detail::neighbour_offsets(pg, detail::primal_kind(c)), cells ? &neg : nullptr,
                                  [&](u32 b, u32 k) { emit(0, b, k); });
        if (morse_all && c == construction::V) {
            const auto& rank = ws.ranks();
            detail::morse_h1(
                pg, rank.data(),
                [&](int d, u32 b, u32 k) {
                    if (d == 2) {
                        if (top) emit_to(top_out, 2, ws.order[b], ws.order[k]);
                    } else
                        emit(d, ws.order[b], k == detail::no_rank ? k : ws.order[k]);
                },
                0, true);
        } else if (morse_all && c == construction::freudenthal) {
            const auto& rank = ws.ranks();
            detail::morse_freudenthal(pg, rank.data(), [&](int d, u32 b, u32 k) {
                if (d == 2) {
                    if (top) emit_to(top_out, 2, ws.order[b], ws.order[k]);
                } else
                    emit(d, ws.order[b], k == detail::no_rank ? k : ws.order[k]);
            });
        } else if (cells) {
            const auto& rank = ws.ranks();
            detail::vertex_h1(c, pg, rank.data(), ws.order.data(), n, neg,
                              [&](u32 b, u32 k) { emit(1, ws.order[b], k == detail::no_rank ? k : ws.order[k]); });
        } else if (h1_3d) {
            // T by duality: the T-construction's sublevel set and the V-construction of its
            // complement (reverse order) on the grid grown by one layer of outside voxels, which
            // enter first, are Alexander dual: a dual pair (a, b) in dimension d is the primal
            // pair (b, a) in dimension 2 - d. Dual H2 counts the space beyond the grown grid as
            // one cell from the start (the point at infinity), so it is the primal's reduced H0;
            // pairs born in the outside layer also die there and are no primal bars.
            const auto& rank = ws.ranks();
            const grid_shape gd{g.n0 + 2, g.n1 + 2, g.n2 + 2, 3};
            const detail::padded_grid pd(gd);
            const index_t nd_cells = gd.size(), n_out = nd_cells - n;
            std::vector<u32> drank(static_cast<std::size_t>(pd.size()), detail::pad_rank);
            u32 next_out = 0;
            auto poll = detail::poll_rows(gd.n2);
            for (index_t a = 0; a < gd.n0; ++a)
                for (index_t b = 0; b < gd.n1; ++b) {
                    poll.tick();
                    for (index_t d = 0; d < gd.n2; ++d) {
                        const index_t qd = pd.first() + (a * pd.p1 + b) * pd.p2 + d;
                        u32 rd;
                        if (a == 0 || b == 0 || d == 0 || a == gd.n0 - 1 || b == gd.n1 - 1 || d == gd.n2 - 1) {
                            rd = next_out++;
                        } else {
                            const index_t q = pg.first() + ((a - 1) * pg.p1 + (b - 1)) * pg.p2 + (d - 1);
                            rd = static_cast<u32>(n_out + (n - 1 - rank[static_cast<std::size_t>(q)]));
                        }
                        drank[static_cast<std::size_t>(qd)] = rd;
                    }
                }
            const u32 nn = static_cast<u32>(n), no = static_cast<u32>(n_out);
            detail::morse_h1(
                pd, drank.data(),
                [&](int d, u32 a, u32 b) {
                    if (a < no || b == detail::no_rank || b < no) return;
                    const u32 birth_px = ws.order[nn - 1 - (b - no)], death_px = ws.order[nn - 1 - (a - no)];
                    if (d == 0) {
                        if (top) emit_to(top_out, 2, birth_px, death_px);
                    } else {
                        emit(2 - d, birth_px, death_px);
                    }
                },
                no, true);
            if (n > 0) emit(0, ws.order[0], detail::no_rank);
        }
    }
    if (helper.joinable()) {
        helper.join();
        if (top_error) std::rethrow_exception(top_error);
    } else if (top_apart && !top_done) {
        run_top(ws.parent.data());
    }
    for (std::size_t i = 0; i < top_out.size(); ++i) out.push(top_out.dim[i], top_out.birth[i], top_out.death[i]);
}

// The pairs of one grid, as cubical_pairs_into.
template <class T>
pairs_result cubical_pairs(const T* f, const grid_shape& g, construction c, int max_dim, bool superlevel,
                           bool keep_zero, int inner_threads = 1) {
    pairs_result out;
    cubical_pairs_into(out, f, g, c, max_dim, superlevel, keep_zero, inner_threads);
    return out;
}

}  // namespace topolayer
