// Bindings for 2D/3D grids: level-set persistence pairs as critical pixel indices.
#include "common.hpp"

#include <nanobind/stl/string.h>

#include <cstdint>

#include "topolayer/cubical.hpp"
#include "topolayer/parallel.hpp"

namespace topolayer_bindings {

namespace {

// The bars of one contiguous chunk of a batch, per dimension as 32-bit (birth, death) pixel
// pairs (death ~0u: essential), and per item where they end; then where they go in the output.
struct chunk_result {
    std::vector<std::vector<std::uint32_t>> bars; // per dimension, two entries per bar
    std::vector<std::size_t> end;                 // per item and dimension: bars so far
    std::vector<std::size_t> at;                  // first row per dimension in the output

    void push(index_t d, index_t b, index_t k) { // the sink of cubical_pairs_into
        auto &v = bars[static_cast<std::size_t>(d)];
        v.push_back(static_cast<std::uint32_t>(b));
        v.push_back(k == topolayer::no_death ? ~std::uint32_t{0} : static_cast<std::uint32_t>(k));
    }
    std::size_t count(std::size_t d) const { return bars[d].size() / 2; }
};

// The chunks of the calls of one thread, kept between calls: every bar is written there first,
// and a fresh buffer would be faulted in page by page each time. Released above 16 MiB.
std::vector<chunk_result> &chunk_results(std::size_t n, std::size_t n_dims) {
    thread_local std::vector<chunk_result> parts;
    parts.resize(n);
    for (auto &pt : parts) {
        if (pt.bars.size() < n_dims) // never shrunk: calls may alternate between max_dims
            pt.bars.resize(n_dims);
        for (auto &v : pt.bars)
            v.clear();
        pt.end.clear();
    }
    return parts;
}

void release_large(std::vector<chunk_result> &parts) {
    std::size_t bytes = 0;
    for (const auto &pt : parts)
        for (const auto &v : pt.bars)
            bytes += v.capacity() * sizeof(std::uint32_t);
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
    const topolayer::grid_shape g = topolayer::grid_shape_of(shape);
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
        interruptible_release release;
        // Items in contiguous chunks, each appending to one result (few allocations). Then
        // the output is sized once and every chunk writes its rows at its offset, in the
        // threads too: the layout is batch order whatever the thread count.
        const int workers = topolayer::resolve_threads(n_threads, items);
        const index_t chunk = std::max<index_t>(
            1, workers <= 1 ? items : items / (8 * static_cast<index_t>(workers)));
        const index_t n_chunks = (items + chunk - 1) / chunk;
        auto &parts = chunk_results(static_cast<std::size_t>(n_chunks), n_dims);
        struct releaser {
            std::vector<chunk_result> &p;
            ~releaser() { release_large(p); }
        } release_guard{parts};
        topolayer::parallel_for(n_chunks, n_threads, [&](index_t k) {
            chunk_result &pt = parts[static_cast<std::size_t>(k)];
            const index_t last = std::min(items, (k + 1) * chunk);
            for (index_t i = k * chunk; i < last; ++i) {
                topolayer::cubical_pairs_into(pt, data + i * row, g, c, max_dim, superlevel,
                                              keep_zero, inner);
                for (std::size_t d = 0; d < n_dims; ++d)
                    pt.end.push_back(pt.count(d));
            }
        });
        for (auto &pt : parts) {
            pt.at = total;
            for (std::size_t d = 0; d < n_dims; ++d)
                total[d] += pt.count(d);
        }
        for (std::size_t d = 0; d < n_dims; ++d) {
            rows[d] = pooled(3 * total[d] + 1);
            flat[d] = pooled(2 * total[d] + 1);
        }
        // Small outputs are written by this thread (the gather that follows in Python reads
        // them from this core's cache); from 16k bars on (40 bytes each) by all threads.
        std::size_t all_bars = 0;
        for (std::size_t d = 0; d < n_dims; ++d)
            all_bars += total[d];
        const int write_threads = all_bars > (std::size_t{1} << 14) ? n_threads : 1;
        topolayer::parallel_for(n_chunks, write_threads, [&](index_t k) {
            const chunk_result &pt = parts[static_cast<std::size_t>(k)];
            for (std::size_t d = 0; d < n_dims; ++d) {
                const std::uint32_t *bar = pt.bars[d].data();
                index_t *r = rows[d].get() + 3 * pt.at[d];
                index_t *fl = flat[d].get() + 2 * pt.at[d];
                std::size_t t = 0;
                for (std::size_t j = 0; j * n_dims < pt.end.size(); ++j) {
                    const index_t item = k * chunk + static_cast<index_t>(j);
                    for (const std::size_t e = pt.end[j * n_dims + d]; t < e; ++t) {
                        const std::uint32_t death = bar[2 * t + 1];
                        topolayer::batch_pairs::write_bar(
                            r + 3 * t, fl + 2 * t, item, bar[2 * t],
                            death == ~std::uint32_t{0} ? topolayer::no_death : index_t{death}, row,
                            items);
                    }
                }
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
