// Bindings for the matchings behind the diagram distances: batches of finite diagram points in,
// the matched indices out (the distances themselves are recomputed in torch from them).
#include "common.hpp"

#include "topolayer/bottleneck.hpp"
#include "topolayer/wasserstein.hpp"

namespace topolayer_bindings {

using counts_1d = nb::ndarray<const index_t, nb::ndim<1>, nb::c_contig, nb::device::cpu>;

// Offsets of the items of a batch of (n_i, 2) point sets stacked in `points`.
inline std::vector<index_t> item_offsets(const values_2d<double>& points, const counts_1d& counts, const char* name) {
    if (points.shape(0) > 0 && points.shape(1) != 2)
        throw std::invalid_argument(std::string(name) + " must have 2 columns");
    std::vector<index_t> off(counts.shape(0) + 1, 0);
    for (std::size_t b = 0; b < counts.shape(0); ++b) {
        if (counts.data()[b] < 0) throw std::invalid_argument(std::string(name) + " counts must be non-negative");
        off[b + 1] = off[b] + counts.data()[b];
    }
    if (off.back() != static_cast<index_t>(points.shape(0)))
        throw std::invalid_argument(std::string(name) + " counts do not add up to its number of points");
    return off;
}

inline index_t check_batches(const counts_1d& x_counts, const counts_1d& y_counts) {
    if (x_counts.shape(0) != y_counts.shape(0))
        throw std::invalid_argument("x_counts and y_counts must have the same length");
    return static_cast<index_t>(x_counts.shape(0));
}

inline int_array bottleneck_matchings(values_2d<double> x, counts_1d x_counts, values_2d<double> y, counts_1d y_counts,
                                      double internal_p, int n_threads) {
    const index_t B = check_batches(x_counts, y_counts);
    const auto ox = item_offsets(x, x_counts, "x"), oy = item_offsets(y, y_counts, "y");
    const double *px = x.data(), *py = y.data();
    std::vector<index_t> out(static_cast<std::size_t>(3 * B));
    {
        interruptible_release release;
        topolayer::parallel_for(B, n_threads, [&](index_t b) {
            const auto e = topolayer::bottleneck_matching(px + 2 * ox[b], ox[b + 1] - ox[b], py + 2 * oy[b],
                                                          oy[b + 1] - oy[b], internal_p);
            out[3 * b] = e.kind;
            out[3 * b + 1] = e.i;
            out[3 * b + 2] = e.j;
        });
    }
    return to_array(std::move(out), 3);
}

inline std::vector<int_array> wasserstein_matchings(values_2d<double> x, counts_1d x_counts, values_2d<double> y,
                                                    counts_1d y_counts, double p, double internal_p, int n_threads) {
    const index_t B = check_batches(x_counts, y_counts);
    const auto ox = item_offsets(x, x_counts, "x"), oy = item_offsets(y, y_counts, "y");
    const double *px = x.data(), *py = y.data();
    std::vector<topolayer::wasserstein_plan> plans(static_cast<std::size_t>(B));
    std::vector<index_t> pairs, diag_x, diag_y;
    {
        interruptible_release release;
        topolayer::parallel_for(B, n_threads, [&](index_t b) {
            plans[b] = topolayer::wasserstein_matching(px + 2 * ox[b], ox[b + 1] - ox[b], py + 2 * oy[b],
                                                       oy[b + 1] - oy[b], p, internal_p);
        });
        for (index_t b = 0; b < B; ++b) {  // in batch order: independent of the thread count
            const auto& pl = plans[b];
            for (std::size_t k = 0; k < pl.pairs.size(); k += 2)
                pairs.insert(pairs.end(), {b, pl.pairs[k], pl.pairs[k + 1]});
            for (index_t i : pl.diag_x) diag_x.insert(diag_x.end(), {b, i});
            for (index_t j : pl.diag_y) diag_y.insert(diag_y.end(), {b, j});
        }
    }
    std::vector<int_array> out;
    out.push_back(to_array(std::move(pairs), 3));
    out.push_back(to_array(std::move(diag_x), 2));
    out.push_back(to_array(std::move(diag_y), 2));
    return out;
}

void bind_distances(nb::module_& m) {
    m.def("bottleneck_matchings", &bottleneck_matchings, nb::arg("x"), nb::arg("x_counts"), nb::arg("y"),
          nb::arg("y_counts"), nb::arg("internal_p"), nb::arg("n_threads"),
          "Bottleneck matchings of batches of finite diagram points x (sum n_b, 2) and y (sum m_b, 2), float64, "
          "split by x_counts and y_counts (B,). Returns (B, 3) int64 rows (kind, i, j): the edge realising "
          "the distance, kind 1 for x_i with y_j, 2 for x_i with the diagonal, 3 for y_j with the diagonal, "
          "0 for no point; i and j count within the item, -1 where absent.");
    m.def("wasserstein_matchings", &wasserstein_matchings, nb::arg("x"), nb::arg("x_counts"), nb::arg("y"),
          nb::arg("y_counts"), nb::arg("p"), nb::arg("internal_p"), nb::arg("n_threads"),
          "Optimal W_p matchings of batches as for bottleneck_matchings. Returns [pairs (K, 3) of (item, i, j), "
          "diag_x (K1, 2) of (item, i), diag_y (K2, 2) of (item, j)], indices within the item.");
}

}  // namespace topolayer_bindings
