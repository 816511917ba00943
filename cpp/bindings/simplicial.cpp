// Bindings for general simplicial complexes: building one, lower-star and explicit filtrations.
#include "common.hpp"

#include "topolayer/complex.hpp"
#include "topolayer/reduction.hpp"

namespace topolayer_bindings {

using topolayer::simplicial_complex;
using simplices_in = nb::ndarray<const index_t, nb::ndim<2>, nb::c_contig, nb::device::cpu>;

template <class T>
std::vector<int_array> lower_star(const simplicial_complex& K, values_2d<T> f, int max_dim, bool superlevel,
                                  bool keep_zero, int n_threads) {
    if (max_dim < 0) throw std::invalid_argument("max_dim must be >= 0, got " + std::to_string(max_dim));
    if (static_cast<index_t>(f.shape(1)) != K.n_vertices)
        throw std::invalid_argument("f has " + std::to_string(f.shape(1)) + " values per item, but the complex has " +
                                    std::to_string(K.n_vertices) + " vertices");
    const T* data = f.data();
    const index_t row = static_cast<index_t>(f.shape(1));
    topolayer::batch_pairs bp(max_dim);
    {
        interruptible_release release;
        bp = topolayer::run_batch<T>(static_cast<index_t>(f.shape(0)), max_dim, n_threads, [&](index_t i) {
            return topolayer::lower_star_pairs(K, data + i * row, max_dim, superlevel, keep_zero);
        }, row);
    }
    return to_arrays(std::move(bp));
}

template <class T>
std::vector<int_array> filtration(const simplicial_complex& K, values_2d<T> v, int max_dim, bool keep_zero,
                                  int n_threads) {
    if (max_dim < 0) throw std::invalid_argument("max_dim must be >= 0, got " + std::to_string(max_dim));
    if (static_cast<index_t>(v.shape(1)) != K.total())
        throw std::invalid_argument("values has " + std::to_string(v.shape(1)) +
                                    " entries per item, but the complex has " + std::to_string(K.total()) +
                                    " simplices");
    const T* data = v.data();
    const index_t row = static_cast<index_t>(v.shape(1));
    topolayer::batch_pairs bp(max_dim);
    {
        interruptible_release release;
        bp = topolayer::run_batch<T>(static_cast<index_t>(v.shape(0)), max_dim, n_threads, [&](index_t i) {
            return topolayer::filtration_pairs(K, data + i * row, max_dim, keep_zero);
        }, row);
    }
    return to_arrays(std::move(bp));
}

void bind_simplicial(nb::module_& m) {
    nb::class_<simplicial_complex>(m, "Complex", "A simplicial complex closed under faces (internal).")
        .def(
            "__init__",
            [](simplicial_complex* self, std::vector<simplices_in> given, index_t n_vertices) {
                std::vector<std::vector<index_t>> rows(given.size());
                for (std::size_t d = 0; d < given.size(); ++d) {
                    if (given[d].shape(0) > 0 && given[d].shape(1) != d + 1)
                        throw std::invalid_argument("simplices of dimension " + std::to_string(d) + " must have " +
                                                    std::to_string(d + 1) + " columns");
                    rows[d].assign(given[d].data(), given[d].data() + given[d].size());
                }
                simplicial_complex K;
                {
                    interruptible_release release;
                    K = topolayer::build_complex(std::move(rows), n_vertices);
                }
                new (self) simplicial_complex(std::move(K));
            },
            nb::arg("simplices"), nb::arg("n_vertices") = -1)
        .def_prop_ro("n_vertices", [](const simplicial_complex& K) { return K.n_vertices; })
        .def_prop_ro("top_dim", &simplicial_complex::top_dim)
        .def_prop_ro("n_simplices", [](const simplicial_complex& K) { return K.n_simplices; })
        .def_prop_ro("total", &simplicial_complex::total)
        .def(
            "simplices",
            [](const simplicial_complex& K, int d) {
                if (d < 0 || d > K.top_dim()) throw std::out_of_range("dim out of range");
                std::vector<index_t> copy(K.vertices[static_cast<std::size_t>(d)].begin(), K.vertices[static_cast<std::size_t>(d)].end());
                return to_array(std::move(copy), static_cast<std::size_t>(d + 1));
            },
            nb::arg("dim"))
        .def(
            "facets",
            [](const simplicial_complex& K, int d) {
                if (d < 1 || d > K.top_dim()) throw std::out_of_range("dim out of range");
                std::vector<index_t> copy(K.facets[static_cast<std::size_t>(d)].begin(), K.facets[static_cast<std::size_t>(d)].end());
                return to_array(std::move(copy), static_cast<std::size_t>(d + 1));
            },
            nb::arg("dim"));

    m.def("lower_star", &lower_star<float>, nb::arg("complex"), nb::arg("f").noconvert(), nb::arg("max_dim"),
          nb::arg("superlevel"), nb::arg("keep_zero"), nb::arg("n_threads"),
          "Lower-star persistence pairs of each row of f: per dimension an (n_k, 3) array of "
          "(item, birth vertex, death vertex or -1), then per dimension an (n_k, 2) array of the "
          "same bars as positions in f.ravel() (essential deaths: f.size).");
    m.def("lower_star", &lower_star<double>, nb::arg("complex"), nb::arg("f").noconvert(), nb::arg("max_dim"),
          nb::arg("superlevel"), nb::arg("keep_zero"), nb::arg("n_threads"));
    m.def("filtration", &filtration<float>, nb::arg("complex"), nb::arg("values").noconvert(), nb::arg("max_dim"),
          nb::arg("keep_zero"), nb::arg("n_threads"),
          "Persistence pairs of explicit per-simplex values (global ids): per dimension an (n_k, 3) "
          "array of (item, birth simplex, death simplex or -1), then per dimension an (n_k, 2) "
          "array of the same bars as positions in values.ravel() (essential deaths: values.size).");
    m.def("filtration", &filtration<double>, nb::arg("complex"), nb::arg("values").noconvert(), nb::arg("max_dim"),
          nb::arg("keep_zero"), nb::arg("n_threads"));
}

}  // namespace topolayer_bindings
