// Bindings for the Betti matching of prediction / target pairs on 2D and 3D grids.
#include "common.hpp"

#include <nanobind/stl/string.h>

#include <cstdint>
#include <memory>
#include <mutex>

#include "topolayer/cubical/betti_matching.hpp"
#include "topolayer/cubical/hu_matching.hpp"
#include "topolayer/parallel.hpp"

namespace topolayer_bindings {

namespace {

// The checks shared by both matchings; the number of pixels per item.
template <class T>
index_t check_pair(const values_2d<T>& pred, const values_2d<T>& target, const std::vector<index_t>& shape,
                   const std::string& construction) {
    if (shape.size() != 2 && shape.size() != 3)
        throw std::invalid_argument("shape must have 2 or 3 entries, got " + std::to_string(shape.size()));
    index_t n = 1;
    for (index_t s : shape) {
        if (s < 1) throw std::invalid_argument("every grid dimension must be >= 1");
        n *= s;
    }
    if (construction != "V" && construction != "T")
        throw std::invalid_argument("construction must be 'V' or 'T', got '" + construction + "'");
    if (pred.shape(0) != target.shape(0) || pred.shape(1) != target.shape(1))
        throw std::invalid_argument("pred and target must have the same shape");
    if (static_cast<index_t>(pred.shape(1)) != n)
        throw std::invalid_argument("pred has " + std::to_string(pred.shape(1)) +
                                    " values per item, but the grid has " + std::to_string(n) + " pixels");
    return n;
}

// The finiteness of item i of both inputs, checked on the item's thread (an error names the
// entry of the whole array; parallel_for reports the lowest item's).
template <class T>
void check_item(const values_2d<T>& pred, const values_2d<T>& target, index_t i, index_t n) {
    topolayer::check_finite(pred.data() + i * n, n, "pred", i * n);
    topolayer::check_finite(target.data() + i * n, n, "target", i * n);
}

// The sublevel filtration value the matchings run on: 1 - x for superlevel sets, in the input's
// precision (as torch's 1 - x, so that ties are the same as in the values the losses gather).
template <class T>
T sublevel_value(T x, bool superlevel) {
    return superlevel ? static_cast<T>(T(1) - x) : x;
}

// A vector of even length as a (2, size / 2) array.
int_array two_rows(std::vector<index_t>&& v) {
    auto* heap = new std::vector<index_t>(std::move(v));
    nb::capsule owner(heap, [](void* p) noexcept { delete static_cast<std::vector<index_t>*>(p); });
    return int_array(heap->data(), {std::size_t{2}, heap->size() / 2}, owner);
}

// (item, dim, L birth, L death, G birth, G death) per match; (item, dim, birth, death) per
// unmatched bar, in item and dimension order; then, for the losses' gathers, the flat indices
// (item * n + pixel) of L's bars as two rows, births and deaths, the matched bars first, and
// of G's likewise.
std::vector<int_array> pack(const std::vector<topolayer::betti_matching_result>& results, int ndim, index_t n) {
    std::size_t nm = 0, nl = 0, ng = 0;
    for (const auto& r : results)
        for (int d = 0; d < ndim; ++d) {
            const auto& rd = r.dims[static_cast<std::size_t>(d)];
            nm += rd.matched.size() / 4;
            nl += rd.unmatched_l.size() / 2;
            ng += rd.unmatched_g.size() / 2;
        }
    // Sized once and written through pointers: this runs on the calling thread after the items.
    std::vector<index_t> matched(6 * nm), ul(4 * nl), ug(4 * ng), flat_l(2 * (nm + nl)), flat_g(2 * (nm + ng));
    index_t *pm = matched.data(), *pl = ul.data(), *pg = ug.data();
    // births at [0, k), deaths at [k, 2k); matched bars first
    index_t *fl = flat_l.data(), *fl_u = fl + nm, *fg = flat_g.data(), *fg_u = fg + nm;
    const std::size_t kl = nm + nl, kg = nm + ng;
    for (std::size_t i = 0; i < results.size(); ++i)
        for (int d = 0; d < ndim; ++d) {
            const auto item = static_cast<index_t>(i);
            const index_t lead = item * n;
            const auto& r = results[i].dims[static_cast<std::size_t>(d)];
            for (std::size_t j = 0; j < r.matched.size(); j += 4, pm += 6, ++fl, ++fg) {
                pm[0] = item;
                pm[1] = d;
                std::copy(r.matched.begin() + static_cast<std::ptrdiff_t>(j),
                          r.matched.begin() + static_cast<std::ptrdiff_t>(j + 4), pm + 2);
                fl[0] = lead + pm[2];
                fl[kl] = lead + pm[3];
                fg[0] = lead + pm[4];
                fg[kg] = lead + pm[5];
            }
            auto unmatched = [&](const std::vector<index_t>& u, index_t*& p, index_t*& f, std::size_t k) {
                for (std::size_t j = 0; j < u.size(); j += 2, p += 4, ++f) {
                    p[0] = item;
                    p[1] = d;
                    p[2] = u[j];
                    p[3] = u[j + 1];
                    f[0] = lead + u[j];
                    f[k] = lead + u[j + 1];
                }
            };
            unmatched(r.unmatched_l, pl, fl_u, kl);
            unmatched(r.unmatched_g, pg, fg_u, kg);
        }
    std::vector<int_array> out;
    out.push_back(to_array(std::move(matched), 6));
    out.push_back(to_array(std::move(ul), 4));
    out.push_back(to_array(std::move(ug), 4));
    out.push_back(two_rows(std::move(flat_l)));
    out.push_back(two_rows(std::move(flat_g)));
    return out;
}

// Idle matchers kept between calls, for one grid (shape and construction) at a time: the pages
// of a fresh matcher's buffers fault in at their first use, which costs about as much as
// matching a small image, so a training loop that reuses its matchers runs each item at the
// steady cost. At most `limit` bytes (the buffers' capacities) stay kept.
struct matcher_cache {
    std::mutex mutex;
    std::vector<index_t> shape;
    bool t = false;
    std::vector<std::unique_ptr<topolayer::betti_matcher>> idle;
    std::size_t bytes = 0;
    std::size_t limit = std::size_t{1} << 30;

    // An idle matcher for this grid, or a new one; idle matchers of another grid are dropped.
    std::unique_ptr<topolayer::betti_matcher> take(const std::vector<index_t>& grid, bool t_construction) {
        std::vector<std::unique_ptr<topolayer::betti_matcher>> stale;  // freed outside the lock
        {
            std::lock_guard<std::mutex> lock(mutex);
            if (grid != shape || t_construction != t) {
                stale.swap(idle);
                bytes = 0;
                shape = grid;
                t = t_construction;
            } else if (!idle.empty()) {
                std::unique_ptr<topolayer::betti_matcher> m = std::move(idle.back());
                idle.pop_back();
                bytes -= m->footprint();
                return m;
            }
        }
        return std::make_unique<topolayer::betti_matcher>(grid, t_construction);
    }

    // Keeps m for later calls if it fits the limit; frees it otherwise.
    void give(std::unique_ptr<topolayer::betti_matcher> m, const std::vector<index_t>& grid, bool t_construction) {
        const std::size_t b = m->footprint();
        std::lock_guard<std::mutex> lock(mutex);
        if (grid != shape || t_construction != t || bytes + b > limit) return;  // m freed on return
        bytes += b;
        idle.push_back(std::move(m));
    }

    // Sets the limit, freeing idle matchers beyond it; the previous limit.
    std::size_t set_limit(std::size_t new_limit) {
        std::vector<std::unique_ptr<topolayer::betti_matcher>> freed;
        std::lock_guard<std::mutex> lock(mutex);
        const std::size_t old = limit;
        limit = new_limit;
        while (bytes > limit) {
            bytes -= idle.back()->footprint();
            freed.push_back(std::move(idle.back()));
            idle.pop_back();
        }
        return old;
    }
};

matcher_cache& matchers() {
    static matcher_cache cache;
    return cache;
}

// The Betti matching of every item (row) of pred with the same row of target.
template <class T>
std::vector<topolayer::betti_matching_result> betti_match_items(const values_2d<T>& pred, const values_2d<T>& target,
                                                                const std::vector<index_t>& shape, const std::string& construction,
                                                                bool superlevel, bool binary_target, int n_threads) {
    const index_t n = check_pair(pred, target, shape, construction);
    const index_t items = static_cast<index_t>(pred.shape(0));
    const bool t = construction == "T";
    std::vector<topolayer::betti_matching_result> results(static_cast<std::size_t>(items));
    interruptible_release release;
    // Items are claimed one at a time (a thread slowed by another process takes fewer); a
    // thread takes a matcher for each item and gives it back to the cache.
    topolayer::parallel_for(items, n_threads, [&](index_t i) {
        check_item(pred, target, i, n);
        std::unique_ptr<topolayer::betti_matcher> m = matchers().take(shape, t);
        std::vector<double> l(static_cast<std::size_t>(n)), g(static_cast<std::size_t>(n));
        const T* pl = pred.data() + i * n;
        const T* pg = target.data() + i * n;
        for (index_t j = 0; j < n; ++j) {
            l[static_cast<std::size_t>(j)] = static_cast<double>(sublevel_value(pl[j], superlevel));
            g[static_cast<std::size_t>(j)] = static_cast<double>(sublevel_value(pg[j], superlevel));
        }
        m->set_binary_shortcut(binary_target);
        m->run(l.data(), g.data(), results[static_cast<std::size_t>(i)]);
        matchers().give(std::move(m), shape, t);
    });
    return results;
}

// The matching of Hu et al.'s loss of every item of pred with the same row of target.
template <class T>
std::vector<topolayer::betti_matching_result> hu_match_items(const values_2d<T>& pred, const values_2d<T>& target,
                                                             const std::vector<index_t>& shape, const std::string& construction,
                                                             bool superlevel, bool target_by_counts, int n_threads) {
    const index_t n = check_pair(pred, target, shape, construction);
    const index_t items = static_cast<index_t>(pred.shape(0));
    const topolayer::grid_shape g = topolayer::grid_shape_of(shape);
    const auto c = topolayer::parse_construction(construction);
    std::vector<topolayer::betti_matching_result> results(static_cast<std::size_t>(items));
    interruptible_release release;
    topolayer::parallel_for(items, n_threads, [&](index_t i) {
        check_item(pred, target, i, n);
        const T* pl = pred.data() + i * n;
        const T* pg = target.data() + i * n;
        std::vector<T> fl, fg;
        if (superlevel) {
            fl.resize(static_cast<std::size_t>(n));
            fg.resize(static_cast<std::size_t>(n));
            for (index_t j = 0; j < n; ++j) {
                fl[static_cast<std::size_t>(j)] = sublevel_value(pl[j], true);
                fg[static_cast<std::size_t>(j)] = sublevel_value(pg[j], true);
            }
            pl = fl.data();
            pg = fg.data();
        }
        topolayer::hu_matching(pl, pg, g, c, results[static_cast<std::size_t>(i)], target_by_counts);
    });
    return results;
}

// What the losses need when the target takes no gradient, from the matchings of every item:
// - flat (2, k) int64: item * n + pixel of the birth (row 0) and death (row 1) of each of
//   pred's finite bars, item by item;
// - fixed (2, k) T: the point (B, D) each of those bars is pulled to, in the inputs' own values
//   (each term is a squared difference, which 1 - x keeps): the matched target bar's birth and
//   death values, or for an unmatched bar its own midpoint (b + d) / 2 twice, whose squared
//   distance (b - m)^2 + (d - m)^2 is (b - d)^2 / 2, in value and in gradient with m held;
// - target_sq (items, 1) T: per item, the sum of (b - d)^2 over the target's unmatched bars.
template <class T>
nb::tuple loss_terms(const std::vector<topolayer::betti_matching_result>& results, const T* pred, const T* target,
                     index_t n, int ndim, int n_threads) {
    const std::size_t items = results.size();
    std::vector<std::size_t> at(items + 1, 0);
    for (std::size_t i = 0; i < items; ++i) {
        std::size_t k = 0;
        for (int d = 0; d < ndim; ++d) {
            const auto& r = results[i].dims[static_cast<std::size_t>(d)];
            k += r.matched.size() / 4 + r.unmatched_l.size() / 2;
        }
        at[i + 1] = at[i] + k;
    }
    const std::size_t k = at[items];
    pooled flat(2 * k + 1), fixed = pooled_values<T>(2 * k), target_sq = pooled_values<T>(items);
    index_t* fl = flat.get();
    T* fx = reinterpret_cast<T*>(fixed.get());
    T* sq = reinterpret_cast<T*>(target_sq.get());
    {
        interruptible_release release;
        // Small outputs are written by this thread (the gathers that follow in Python read them
        // from this core's cache); from 16k bars on by all threads, each item at its offset.
        const int write_threads = k > (std::size_t{1} << 14) ? n_threads : 1;
        topolayer::parallel_for(static_cast<index_t>(items), write_threads, [&](index_t item) {
            const std::size_t i = static_cast<std::size_t>(item);
            const index_t lead = item * n;
            const T* p = pred + lead;
            const T* t = target + lead;
            std::size_t o = at[i];
            double lengths = 0;
            for (int d = 0; d < ndim; ++d) {
                const auto& r = results[i].dims[static_cast<std::size_t>(d)];
                for (std::size_t j = 0; j < r.matched.size(); j += 4, ++o) {
                    fl[o] = lead + r.matched[j];
                    fl[k + o] = lead + r.matched[j + 1];
                    fx[o] = t[r.matched[j + 2]];
                    fx[k + o] = t[r.matched[j + 3]];
                }
                for (std::size_t j = 0; j < r.unmatched_l.size(); j += 2, ++o) {
                    const index_t b = r.unmatched_l[j], e = r.unmatched_l[j + 1];
                    fl[o] = lead + b;
                    fl[k + o] = lead + e;
                    fx[o] = fx[k + o] = static_cast<T>((p[b] + p[e]) / T(2));
                }
                for (std::size_t j = 0; j < r.unmatched_g.size(); j += 2) {
                    const double len = static_cast<double>(t[r.unmatched_g[j]]) - static_cast<double>(t[r.unmatched_g[j + 1]]);
                    lengths += len * len;
                }
            }
            sq[i] = static_cast<T>(lengths);
        });
    }
    return nb::make_tuple(owned_array(std::move(flat), 2, k), owned_values<T>(std::move(fixed), 2, k),
                          owned_values<T>(std::move(target_sq), items, 1));
}

template <class T>
std::vector<int_array> betti_matching(values_2d<T> pred, values_2d<T> target, std::vector<index_t> shape,
                                      const std::string& construction, bool superlevel, bool binary_target,
                                      int n_threads) {
    auto results = betti_match_items(pred, target, shape, construction, superlevel, binary_target, n_threads);
    return pack(results, static_cast<int>(shape.size()), static_cast<index_t>(pred.shape(1)));
}

template <class T>
std::vector<int_array> hu_matching(values_2d<T> pred, values_2d<T> target, std::vector<index_t> shape,
                                   const std::string& construction, bool superlevel, bool target_by_counts,
                                   int n_threads) {
    auto results = hu_match_items(pred, target, shape, construction, superlevel, target_by_counts, n_threads);
    return pack(results, static_cast<int>(shape.size()), static_cast<index_t>(pred.shape(1)));
}

// The loss terms (loss_terms) of the Betti matching, or with `hu` of Hu et al.'s matching, of
// targets that take no gradient: two-valued target rows take the shortcuts.
template <class T>
nb::tuple matching_terms(values_2d<T> pred, values_2d<T> target, std::vector<index_t> shape,
                         const std::string& construction, bool superlevel, bool hu, int n_threads) {
    auto results = hu ? hu_match_items(pred, target, shape, construction, superlevel, true, n_threads)
                      : betti_match_items(pred, target, shape, construction, superlevel, true, n_threads);
    return loss_terms(results, pred.data(), target.data(), static_cast<index_t>(pred.shape(1)),
                      static_cast<int>(shape.size()), n_threads);
}

}  // namespace

void bind_segmentation(nb::module_& m) {
    m.def("betti_matching", &betti_matching<float>, nb::arg("pred").noconvert(), nb::arg("target").noconvert(),
          nb::arg("shape"), nb::arg("construction"), nb::arg("superlevel"), nb::arg("binary_target"), nb::arg("n_threads"),
          "Betti matching of each row of pred with the same row of target (flattened 2D or 3D grids of "
          "the given shape; sublevel filtrations, of 1 - x with superlevel): a (m, 6) array of (item, dim, pred birth, pred death, "
          "target birth, target death) pixels per matched pair, and (u, 4) arrays of (item, dim, birth, "
          "death) for the unmatched bars of pred and of target, then the flat indices (item * n + pixel) "
          "of pred's bars as a (2, k) array, births and deaths, matched bars first, and of target's "
          "likewise. Essential bars are left out. With "
          "binary_target, a target row of two values lo < hi (pred >= lo, and > lo where the target is "
          "hi) has only its bars' births and values computed, without its own reductions: its bars' "
          "death pixels are representative ones at hi.");
    m.def("betti_matching", &betti_matching<double>, nb::arg("pred").noconvert(), nb::arg("target").noconvert(),
          nb::arg("shape"), nb::arg("construction"), nb::arg("superlevel"), nb::arg("binary_target"), nb::arg("n_threads"));
    m.def(
        "set_matcher_cache", [](std::size_t max_bytes) { return matchers().set_limit(max_bytes); },
        nb::arg("max_bytes"),
        "Sets how many bytes of idle Betti matchers (their buffers) stay kept between calls, for the "
        "last grid shape, freeing those beyond it; returns the previous limit.");
    m.def("hu_matching", &hu_matching<float>, nb::arg("pred").noconvert(), nb::arg("target").noconvert(),
          nb::arg("shape"), nb::arg("construction"), nb::arg("superlevel"), nb::arg("target_by_counts"), nb::arg("n_threads"),
          "The matching of Hu et al.'s loss for each row of pred with the same row of target (sublevel "
          "filtrations of 2D or 3D grids, of 1 - x with superlevel): per dimension an optimal W2 matching (Euclidean ground norm) "
          "of the finite bars, as betti_matching's five arrays (matched pairs, the bars of pred and of "
          "target sent to the diagonal, the flat indices). With target_by_counts, a target row of at most two values "
          "has its bars counted (Betti numbers) instead of reduced, with representative pixels.");
    m.def("hu_matching", &hu_matching<double>, nb::arg("pred").noconvert(), nb::arg("target").noconvert(),
          nb::arg("shape"), nb::arg("construction"), nb::arg("superlevel"), nb::arg("target_by_counts"), nb::arg("n_threads"));
    m.def("matching_terms", &matching_terms<float>, nb::arg("pred").noconvert(), nb::arg("target").noconvert(),
          nb::arg("shape"), nb::arg("construction"), nb::arg("superlevel"), nb::arg("hu"), nb::arg("n_threads"),
          "The terms of the Betti-matching loss (hu: of Hu et al.'s loss) of each row of pred against the "
          "same row of target, a target that takes no gradient: the flat indices (item * n + pixel) of "
          "pred's finite bars as a (2, k) int64 array (births, deaths; item by item), the (2, k) points "
          "in the inputs' values each bar is pulled to (the matched target bar, or the bar's own "
          "midpoint on the diagonal), and an (items, 1) array of the sums of the squared lengths of "
          "each target's unmatched bars.");
    m.def("matching_terms", &matching_terms<double>, nb::arg("pred").noconvert(), nb::arg("target").noconvert(),
          nb::arg("shape"), nb::arg("construction"), nb::arg("superlevel"), nb::arg("hu"), nb::arg("n_threads"));
}

}  // namespace topolayer_bindings
