// Bindings for 2D/3D grids: level-set persistence pairs as critical pixel indices.
#include "common.hpp"

#include <nanobind/stl/string.h>

#include <memory>

#include "topolayer/cubical.hpp"
#include "topolayer/parallel.hpp"

namespace topolayer_bindings {

namespace {

// One contiguous chunk of a batch: its bars, then where they go in the output.
struct chunk_result {
    topolayer::pairs_result r;
    std::vector<std::size_t> end;   // where each item's bars end in r
    std::vector<std::size_t> count; // bars per dimension
    std::vector<std::size_t> at;    // first row per dimension in the output
};

// The chunks of the calls of one thread, kept between calls: every bar is written there first,
// and a fresh buffer would be faulted in page by page each time. Released above 16 MiB.
std::vector<chunk_result> &chunk_results(std::size_t n) {
    thread_local std::vector<chunk_result> parts;
    parts.resize(n);
    for (auto &pt : parts) {
        pt.r.dim.clear();
        pt.r.birth.clear();
        pt.r.death.clear();
        pt.end.clear();
    }
    return parts;
}

void release_large(std::vector<chunk_result> &parts) {
    std::size_t bytes = 0;
    for (const auto &pt : parts)
        bytes += 3 * pt.r.dim.capacity() * sizeof(index_t);
    if (bytes > (std::size_t{16} << 20))
        parts = {};
}

} // namespace

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
    // Per dimension the (n_k, 3) rows and the (n_k, 2) flat positions, filled in place.
    const std::size_t n_dims = static_cast<std::size_t>(max_dim + 1);
    std::vector<pooled> rows(n_dims), flat(n_dims);
    std::vector<std::size_t> total(n_dims, 0);
    {
        nb::gil_scoped_release release;
        // Items in contiguous chunks, each appending to one result (few allocations). Then
        // the output is sized once and every chunk writes its rows at its offset, in the
        // threads too: the layout is batch order whatever the thread count.
        const int workers = topolayer::resolve_threads(n_threads, items);
        const index_t chunk = std::max<index_t>(
            1, workers <= 1 ? items : items / (8 * static_cast<index_t>(workers)));
        const index_t n_chunks = (items + chunk - 1) / chunk;
        auto &parts = chunk_results(static_cast<std::size_t>(n_chunks));
        struct releaser {
            std::vector<chunk_result> &p;
            ~releaser() { release_large(p); }
        } release_guard{parts};
        topolayer::parallel_for(n_chunks, n_threads, [&](index_t k) {
            chunk_result &pt = parts[static_cast<std::size_t>(k)];
            // Random images have about one bar per three pixels: reserve that, once.
            const index_t last = std::min(items, (k + 1) * chunk);
            pt.r.reserve(static_cast<std::size_t>((last - k * chunk) * (row / 3 + 2)));
            for (index_t i = k * chunk; i < last; ++i) {
                topolayer::cubical_pairs_into(pt.r, data + i * row, g, c, max_dim, superlevel,
                                              keep_zero, inner);
                pt.end.push_back(pt.r.size());
            }
            pt.count.assign(n_dims, 0);
            for (index_t d : pt.r.dim)
                ++pt.count[static_cast<std::size_t>(d)];
        });
        for (auto &pt : parts) {
            pt.at = total;
            for (std::size_t d = 0; d < n_dims; ++d)
                total[d] += pt.count[d];
        }
        for (std::size_t d = 0; d < n_dims; ++d) {
            rows[d] = pooled(3 * total[d] + 1);
            flat[d] = pooled(2 * total[d] + 1);
        }
        topolayer::parallel_for(n_chunks, n_threads, [&](index_t k) {
            chunk_result &pt = parts[static_cast<std::size_t>(k)];
            std::size_t begin = 0;
            for (std::size_t j = 0; j < pt.end.size(); ++j) {
                const index_t item = k * chunk + static_cast<index_t>(j);
                for (std::size_t t = begin; t < pt.end[j]; ++t) {
                    const auto d = static_cast<std::size_t>(pt.r.dim[t]);
                    const std::size_t at = pt.at[d]++;
                    topolayer::batch_pairs::write_bar(rows[d].get() + 3 * at,
                                                      flat[d].get() + 2 * at, item, pt.r.birth[t],
                                                      pt.r.death[t], row, items);
                }
                begin = pt.end[j];
            }
        });
    }
    std::vector<int_array> out;
    for (std::size_t d = 0; d < n_dims; ++d)
        out.push_back(owned_array(std::move(rows[d]), total[d], 3));
    for (std::size_t d = 0; d < n_dims; ++d)
        out.push_back(owned_array(std::move(flat[d]), total[d], 2));
    return out;
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
