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
        // Each chunk also lays out its own rows, so that only copies remain serial.
        std::vector<topolayer::batch_pairs> parts(static_cast<std::size_t>(n_chunks),
                                                  topolayer::batch_pairs(max_dim, items, row));
        topolayer::parallel_for(n_chunks, n_threads, [&](index_t k) {
            topolayer::pairs_result r;
            std::vector<std::size_t> end; // where each item's bars end in r
            const index_t first = k * chunk, last = std::min(items, (k + 1) * chunk);
            for (index_t i = first; i < last; ++i) {
                topolayer::cubical_pairs_into(r, data + i * row, g, c, max_dim, superlevel,
                                              keep_zero, inner);
                end.push_back(r.size());
            }
            auto &part = parts[static_cast<std::size_t>(k)];
            std::size_t begin = 0;
            for (index_t i = first; i < last; ++i) {
                part.append(i, r, begin, end[static_cast<std::size_t>(i - first)]);
                begin = end[static_cast<std::size_t>(i - first)];
            }
        });
        if (n_chunks == 1)
            bp = std::move(parts[0]);
        for (std::size_t d = 0; n_chunks > 1 && d < bp.rows.size(); ++d) {
            std::size_t n_rows = 0, n_flat = 0;
            for (const auto &part : parts) {
                n_rows += part.rows[d].size();
                n_flat += part.flat[d].size();
            }
            bp.rows[d].reserve(n_rows);
            bp.flat[d].reserve(n_flat);
            for (auto &part : parts) {
                bp.rows[d].insert(bp.rows[d].end(), part.rows[d].begin(), part.rows[d].end());
                bp.flat[d].insert(bp.flat[d].end(), part.flat[d].begin(), part.flat[d].end());
                part.rows[d] = {};
                part.flat[d] = {};
            }
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
