// Bindings for 2D/3D grids: level-set persistence pairs as critical pixel indices.
#include "common.hpp"

#include <nanobind/stl/string.h>

#include "topolayer/cubical.hpp"
#include "topolayer/parallel.hpp"

namespace topolayer_bindings {

template <class T>
std::vector<int_array> cubical(values_2d<T> x, std::vector<index_t> shape,
                               const std::string &construction, int max_dim, bool superlevel,
                               bool keep_zero, int n_threads) {
    if (shape.size() != 2 && shape.size() != 3)
        throw std::invalid_argument("shape must have 2 or 3 entries, got " +
                                    std::to_string(shape.size()));
    topolayer::grid_shape g;
    g.ndim = static_cast<int>(shape.size());
    if (g.ndim == 2) {
        g.n1 = shape[0];
        g.n2 = shape[1];
    } else {
        g.n0 = shape[0];
        g.n1 = shape[1];
        g.n2 = shape[2];
    }
    for (index_t s : shape)
        if (s < 1)
            throw std::invalid_argument("every grid dimension must be >= 1");
    if (static_cast<index_t>(x.shape(1)) != g.size())
        throw std::invalid_argument("x has " + std::to_string(x.shape(1)) +
                                    " values per item, but the grid has " +
                                    std::to_string(g.size()) + " pixels");
    if (max_dim < 0)
        throw std::invalid_argument("max_dim must be >= 0");
    const auto c = topolayer::parse_construction(construction);
    const T *data = x.data();
    const index_t row = static_cast<index_t>(x.shape(1));
    // One grid and spare threads: its top dimension runs beside H0 in a second thread.
    const index_t items = static_cast<index_t>(x.shape(0));
    const int inner = items == 1 && n_threads != 1 ? 2 : 1;
    topolayer::batch_pairs bp(max_dim, items, row);
    {
        nb::gil_scoped_release release;
        // Items in contiguous chunks, each appending to one result (few allocations; a
        // chunk's items stay in order, so the rows do not depend on the thread count).
        const int workers = topolayer::resolve_threads(n_threads, items);
        const index_t chunk = std::max<index_t>(
            1, workers <= 1 ? items : items / (8 * static_cast<index_t>(workers)));
        const index_t n_chunks = (items + chunk - 1) / chunk;
        struct chunk_result {
            topolayer::pairs_result r;
            std::vector<std::size_t> end; // where each item's bars end in r
        };
        std::vector<chunk_result> results(static_cast<std::size_t>(n_chunks));
        topolayer::parallel_for(n_chunks, n_threads, [&](index_t k) {
            auto &cr = results[static_cast<std::size_t>(k)];
            for (index_t i = k * chunk; i < std::min(items, (k + 1) * chunk); ++i) {
                topolayer::cubical_pairs_into(cr.r, data + i * row, g, c, max_dim, superlevel,
                                              keep_zero, inner);
                cr.end.push_back(cr.r.size());
            }
        });
        // Rows in batch order (as run_batch), sized once: large images have ~N/3 bars.
        std::vector<std::size_t> count(static_cast<std::size_t>(max_dim + 1), 0);
        for (const auto &cr : results)
            for (index_t d : cr.r.dim)
                ++count[static_cast<std::size_t>(d)];
        for (std::size_t k = 0; k < count.size(); ++k) {
            bp.rows[k].reserve(3 * count[k]);
            bp.flat[k].reserve(2 * count[k]);
        }
        for (index_t k = 0; k < n_chunks; ++k) {
            auto &cr = results[static_cast<std::size_t>(k)];
            std::size_t begin = 0;
            for (std::size_t j = 0; j < cr.end.size(); ++j) {
                bp.append(k * chunk + static_cast<index_t>(j), cr.r, begin, cr.end[j]);
                begin = cr.end[j];
            }
            cr = chunk_result{};
        }
    }
    return to_arrays(std::move(bp));
}

void bind_cubical(nb::module_ &m) {
    m.def("cubical", &cubical<float>, nb::arg("x").noconvert(), nb::arg("shape"),
          nb::arg("construction"), nb::arg("max_dim"), nb::arg("superlevel"), nb::arg("keep_zero"),
          nb::arg("n_threads"),
          "Level-set persistence pairs of each row of x (a flattened 2D or 3D grid of the given "
          "shape): per dimension an (n_k, 3) array of (item, birth pixel, death pixel or -1), then "
          "per dimension an (n_k, 2) array of the same bars as positions in x.ravel() (essential "
          "deaths: x.size).");
    m.def("cubical", &cubical<double>, nb::arg("x").noconvert(), nb::arg("shape"),
          nb::arg("construction"), nb::arg("max_dim"), nb::arg("superlevel"), nb::arg("keep_zero"),
          nb::arg("n_threads"));
}

} // namespace topolayer_bindings
