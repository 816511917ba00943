// Bindings for alpha-complex persistence: a batch of clouds with their Delaunay triangulations
// (packed flat by the caller) in, the pairs-op contract out.
#include <nanobind/stl/tuple.h>

#include "common.hpp"

#include "topolayer/alpha.hpp"

namespace topolayer_bindings {

using ids_1d = nb::ndarray<const index_t, nb::ndim<1>, nb::c_contig, nb::device::cpu>;
using ids_2d = nb::ndarray<const index_t, nb::ndim<2>, nb::c_contig, nb::device::cpu>;
using coords_1d = nb::ndarray<const double, nb::ndim<1>, nb::c_contig, nb::device::cpu>;
using double_array = nb::ndarray<nb::numpy, double>;

// A 1-D array owning the vector (T: double or index_t).
template <class T> nb::ndarray<nb::numpy, T> to_flat_array(std::vector<T>&& v) {
    auto* heap = new std::vector<T>(std::move(v));
    nb::capsule owner(heap, [](void* p) noexcept { delete static_cast<std::vector<T>*>(p); });
    return nb::ndarray<nb::numpy, T>(heap->data(), {heap->size()}, owner);
}

// Item views over the packed triangulations; sizes (B, 4) holds per item its number of points,
// rank, number of top simplices and number of extra edges.
inline std::vector<topolayer::delaunay_view> unpack(index_t n_points, int D, ids_2d sizes,
                                                    ids_1d top, ids_1d neighbors, ids_2d extra,
                                                    coords_1d coords,
                                                    std::vector<index_t>& starts) {
    if (sizes.shape(0) > 0 && sizes.shape(1) != 4)
        throw std::invalid_argument(
            "sizes must be (B, 4): points, rank, top simplices, extra edges");
    if (extra.shape(0) > 0 && extra.shape(1) != 2)
        throw std::invalid_argument("extra must be (E, 2)");
    const bool has_neighbors = neighbors.shape(0) > 0;
    if (has_neighbors && neighbors.shape(0) != top.shape(0))
        throw std::invalid_argument("neighbors must be empty or have one entry per entry of top");
    const std::size_t n_items = sizes.shape(0);
    std::vector<topolayer::delaunay_view> views(n_items);
    starts.assign(n_items + 1, 0);
    index_t at_top = 0, at_extra = 0, at_coords = 0;
    const index_t* s = sizes.data();
    for (std::size_t i = 0; i < n_items; ++i) {
        const index_t n = s[4 * i], rank = s[4 * i + 1], n_top = s[4 * i + 2],
                      n_extra = s[4 * i + 3];
        if (n < 0 || n_top < 0 || n_extra < 0 || rank < 0 || rank > D)
            throw std::invalid_argument("sizes: item " + std::to_string(i) +
                                        " has a negative count or a rank outside 0..D");
        auto& v = views[i];
        v.rank = static_cast<int>(rank);
        v.n_top = n_top;
        v.n_extra = n_extra;
        starts[i + 1] = starts[i] + n;
        const index_t top_len = n_top * (rank + 1);
        if (at_top + top_len > static_cast<index_t>(top.shape(0)) ||
            at_extra + n_extra > static_cast<index_t>(extra.shape(0)))
            throw std::invalid_argument("sizes do not match the lengths of top or extra");
        v.top = top.data() + at_top;
        v.neighbors = has_neighbors ? neighbors.data() + at_top : nullptr;
        v.extra = extra.data() + 2 * at_extra;
        at_top += top_len;
        at_extra += n_extra;
        if (rank >= 2 && rank < D) {  // triangulated in its own coordinates
            if (at_coords + n * rank > static_cast<index_t>(coords.shape(0)))
                throw std::invalid_argument(
                    "coords holds fewer entries than the clouds of rank 2 in 3D need");
            v.coords = coords.data() + at_coords;
            at_coords += n * rank;
        }
    }
    if (starts.back() != n_points)
        throw std::invalid_argument("sizes: the point counts do not add up to x's rows");
    if (at_top != static_cast<index_t>(top.shape(0)) ||
        at_extra != static_cast<index_t>(extra.shape(0)) ||
        at_coords != static_cast<index_t>(coords.shape(0)))
        throw std::invalid_argument(
            "top, extra or coords hold more entries than sizes accounts for");
    return views;
}

template <class T>
std::vector<int_array> alpha_pairs(values_2d<T> x, ids_2d sizes, ids_1d top, ids_1d neighbors,
                                   ids_2d extra, coords_1d coords, int max_dim, bool weak,
                                   bool keep_zero, int n_threads) {
    const int D = static_cast<int>(x.shape(1));
    if (D != 2 && D != 3) throw std::invalid_argument("x must be (N, 2) or (N, 3)");
    std::vector<index_t> starts;
    const auto views =
        unpack(static_cast<index_t>(x.shape(0)), D, sizes, top, neighbors, extra, coords, starts);
    topolayer::alpha_batch_result r;
    {
        interruptible_release release;
        r = topolayer::alpha_batch(x.data(), D, starts, views, max_dim, weak, keep_zero, n_threads);
    }
    std::vector<int_array> out;
    out.reserve(2 * r.rows.size() + 1);
    for (auto& v : r.rows) out.push_back(to_array(std::move(v), 3));
    for (auto& v : r.positions) out.push_back(to_array(std::move(v), 2));
    out.push_back(to_array(std::move(r.cells), static_cast<std::size_t>(D + 1)));
    return out;
}

template <class T>
std::tuple<std::vector<int_array>, std::vector<int_array>, double_array, int_array>
alpha_filtration(values_2d<T> x, ids_2d sizes, ids_1d top, ids_1d neighbors, ids_2d extra,
                 coords_1d coords, bool weak) {
    const int D = static_cast<int>(x.shape(1));
    if (D != 2 && D != 3) throw std::invalid_argument("x must be (N, 2) or (N, 3)");
    if (sizes.shape(0) != 1) throw std::invalid_argument("alpha_filtration takes one cloud");
    std::vector<index_t> starts;
    const auto views =
        unpack(static_cast<index_t>(x.shape(0)), D, sizes, top, neighbors, extra, coords, starts);
    topolayer::alpha_filtration F;
    {
        interruptible_release release;
        F = topolayer::make_alpha_filtration(x.data(), starts[1], D, views[0], weak);
    }
    std::vector<int_array> simplices, facets;
    const auto& K = F.complex;
    for (int d = 0; d <= K.top_dim(); ++d) {
        const auto u = static_cast<std::size_t>(d);
        simplices.push_back(
            to_array(std::vector<index_t>(K.vertices[u].begin(), K.vertices[u].end()), u + 1));
        facets.push_back(to_array(std::vector<index_t>(K.facets[u].begin(), K.facets[u].end()),
                                  d > 0 ? u + 1 : 1));
    }
    return {std::move(simplices), std::move(facets), to_flat_array(std::move(F.value)),
            to_flat_array(std::move(F.source))};
}

void bind_alpha(nb::module_& m) {
    const char* doc = "Alpha (or weak-alpha) persistence of a batch of 2D/3D clouds x (sum N_i, D) "
                      "with their Delaunay "
                      "triangulations packed flat: sizes (B, 4) holds per item (points, rank, top "
                      "simplices, extra edges); "
                      "top the top simplices' vertex ids (item-local, rank + 1 per simplex) one "
                      "item after another; "
                      "neighbors Qhull's neighbours in the same layout, or empty; extra (E, 2) the "
                      "extra edges; coords "
                      "the (N_i, rank) coordinates of the items of rank 2 in 3D, flattened. "
                      "Returns per dimension "
                      "(n_k, 3) rows (item, birth cell, death cell or -1), per dimension (n_k, 2) "
                      "positions (essential "
                      "death: C), and the (C, D + 1) cell table of global point ids (-1 padded).";
    m.def("alpha_pairs", &alpha_pairs<float>, nb::arg("x").noconvert(), nb::arg("sizes"),
          nb::arg("top"), nb::arg("neighbors"), nb::arg("extra"), nb::arg("coords"),
          nb::arg("max_dim"), nb::arg("weak"), nb::arg("keep_zero"), nb::arg("n_threads"), doc);
    m.def("alpha_pairs", &alpha_pairs<double>, nb::arg("x").noconvert(), nb::arg("sizes"),
          nb::arg("top"), nb::arg("neighbors"), nb::arg("extra"), nb::arg("coords"),
          nb::arg("max_dim"), nb::arg("weak"), nb::arg("keep_zero"), nb::arg("n_threads"));
    const char* doc_f =
        "The filtered complex of one cloud (arguments as alpha_pairs, B = 1): per dimension its "
        "simplices "
        "(n_d, d + 1) and facets (n_d, d + 1; facet j omits vertex j; dimension 0: empty), the "
        "value of every simplex by "
        "global id (squared radius, or length for weak) and the global id of its source simplex.";
    m.def("alpha_filtration", &alpha_filtration<float>, nb::arg("x").noconvert(), nb::arg("sizes"),
          nb::arg("top"), nb::arg("neighbors"), nb::arg("extra"), nb::arg("coords"),
          nb::arg("weak"), doc_f);
    m.def("alpha_filtration", &alpha_filtration<double>, nb::arg("x").noconvert(), nb::arg("sizes"),
          nb::arg("top"), nb::arg("neighbors"), nb::arg("extra"), nb::arg("coords"),
          nb::arg("weak"));
}

}  // namespace topolayer_bindings
