// Bindings for 2D/3D grids: level-set persistence pairs as critical pixel indices.
#include "common.hpp"

#include <nanobind/stl/string.h>

#include "topolayer/cubical.hpp"
#include "topolayer/reduction.hpp"

namespace topolayer_bindings {

template <class T>
std::vector<int_array> cubical(values_2d<T> x, std::vector<index_t> shape, const std::string& construction,
                               int max_dim, bool superlevel, bool keep_zero, int n_threads) {
    if (shape.size() != 2 && shape.size() != 3)
        throw std::invalid_argument("shape must have 2 or 3 entries, got " + std::to_string(shape.size()));
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
        if (s < 1) throw std::invalid_argument("every grid dimension must be >= 1");
    if (static_cast<index_t>(x.shape(1)) != g.size())
        throw std::invalid_argument("x has " + std::to_string(x.shape(1)) + " values per item, but the grid has " +
                                    std::to_string(g.size()) + " pixels");
    if (max_dim < 0) throw std::invalid_argument("max_dim must be >= 0");
    const auto c = topolayer::parse_construction(construction);
    const T* data = x.data();
    const index_t row = static_cast<index_t>(x.shape(1));
    topolayer::batch_pairs bp(max_dim);
    {
        nb::gil_scoped_release release;
        bp = topolayer::run_batch<T>(static_cast<index_t>(x.shape(0)), max_dim, n_threads, [&](index_t i) {
            return topolayer::cubical_pairs(data + i * row, g, c, max_dim, superlevel, keep_zero);
        });
    }
    return to_arrays(std::move(bp));
}

void bind_cubical(nb::module_& m) {
    m.def("cubical", &cubical<float>, nb::arg("x").noconvert(), nb::arg("shape"), nb::arg("construction"),
          nb::arg("max_dim"), nb::arg("superlevel"), nb::arg("keep_zero"), nb::arg("n_threads"),
          "Level-set persistence pairs of each row of x (a flattened 2D or 3D grid of the given "
          "shape): per dimension an (n_k, 3) array of (item, birth pixel, death pixel or -1).");
    m.def("cubical", &cubical<double>, nb::arg("x").noconvert(), nb::arg("shape"), nb::arg("construction"),
          nb::arg("max_dim"), nb::arg("superlevel"), nb::arg("keep_zero"), nb::arg("n_threads"));
}

}  // namespace topolayer_bindings
