// Bindings for Vietoris–Rips persistence: points or distance matrices in, critical edges out.
#include "common.hpp"

#include "topolayer/planar.hpp"
#include "topolayer/rips.hpp"

namespace topolayer_bindings {

using counts_in = nb::ndarray<const index_t, nb::ndim<1>, nb::c_contig, nb::device::cpu>;
using edges_in = nb::ndarray<const index_t, nb::ndim<2>, nb::c_contig, nb::device::cpu>;
template <class T>
using flat_in = nb::ndarray<const T, nb::ndim<1>, nb::c_contig, nb::device::cpu>;

inline std::vector<int_array> rows_to_arrays(std::vector<std::vector<index_t>>&& rows) {
    std::vector<int_array> out;
    out.reserve(rows.size());
    for (auto& r : rows) out.push_back(to_array(std::move(r), 5));
    return out;
}

inline topolayer::rips_options make_options(int max_dim, double threshold, bool keep_zero, double memory_budget) {
    if (max_dim < 0 || max_dim > 5) throw std::invalid_argument("max_dim must be in 0..5");
    if (std::isnan(threshold) || threshold < 0) throw std::invalid_argument("threshold must be >= 0");
    topolayer::rips_options o;
    o.max_dim = max_dim;
    o.threshold = threshold;
    o.keep_zero = keep_zero;
    o.memory_budget = memory_budget;
    return o;
}

inline std::vector<index_t> offsets_of(counts_in counts, index_t total, index_t per, const char* what) {
    std::vector<index_t> off(counts.shape(0) + 1, 0);
    for (std::size_t i = 0; i < counts.shape(0); ++i) {
        const index_t c = counts.data()[i];
        if (c < 0) throw std::invalid_argument("counts must be non-negative");
        off[i + 1] = off[i] + (per > 0 ? c : c * c);
    }
    if (off.back() != total)
        throw std::invalid_argument(std::string("counts do not add up to the number of ") + what);
    return off;
}

template <class T>
std::vector<int_array> rips_points(values_2d<T> x, counts_in counts, int max_dim, double threshold, bool keep_zero,
                                   int n_threads, double memory_budget) {
    auto opt = make_options(max_dim, threshold, keep_zero, memory_budget);
    const index_t dim = static_cast<index_t>(x.shape(1));
    const auto off = offsets_of(counts, static_cast<index_t>(x.shape(0)), 1, "points");
    const T* data = x.data();
    std::vector<std::vector<index_t>> rows;
    {
        interruptible_release release;
        rows = topolayer::rips_batch(static_cast<index_t>(counts.shape(0)), max_dim, n_threads,
                                     [&](index_t i, int inner) {
                                         auto o = opt;
                                         o.n_threads = inner;
                                         const auto s = static_cast<std::size_t>(i);
                                         return topolayer::rips_points(data + off[s] * dim, off[s + 1] - off[s], dim, o);
                                     });
    }
    return rows_to_arrays(std::move(rows));
}

template <class T>
std::vector<int_array> rips_matrices(flat_in<T> d, counts_in counts, int max_dim, double threshold, bool keep_zero,
                                     int n_threads, double memory_budget) {
    auto opt = make_options(max_dim, threshold, keep_zero, memory_budget);
    const auto off = offsets_of(counts, static_cast<index_t>(d.shape(0)), 0, "matrix entries");
    const T* data = d.data();
    const index_t* cnt = counts.data();
    std::vector<std::vector<index_t>> rows;
    {
        interruptible_release release;
        rows = topolayer::rips_batch(static_cast<index_t>(counts.shape(0)), max_dim, n_threads,
                                     [&](index_t i, int inner) {
                                         auto o = opt;
                                         o.n_threads = inner;
                                         const auto s = static_cast<std::size_t>(i);
                                         return topolayer::rips_matrix(data + off[s], cnt[s], o);
                                     });
    }
    return rows_to_arrays(std::move(rows));
}

template <class T>
std::vector<int_array> rips_sparse_batch(values_2d<T> x, counts_in counts, int max_dim, double threshold,
                                         bool keep_zero, int n_threads, double memory_budget) {
    auto opt = make_options(max_dim, threshold, keep_zero, memory_budget);
    const index_t dim = static_cast<index_t>(x.shape(1));
    const auto off = offsets_of(counts, static_cast<index_t>(x.shape(0)), 1, "points");
    const T* data = x.data();
    std::vector<std::vector<index_t>> rows;
    {
        interruptible_release release;
        rows = topolayer::rips_batch(static_cast<index_t>(counts.shape(0)), max_dim, n_threads,
                                     [&](index_t i, int inner) {
                                         auto o = opt;
                                         o.n_threads = inner;
                                         const auto s = static_cast<std::size_t>(i);
                                         return topolayer::rips_sparse_cloud(data + off[s] * dim, off[s + 1] - off[s],
                                                                             dim, o);
                                     });
    }
    return rows_to_arrays(std::move(rows));
}

// Item i's edges are rows edge_offsets[i] .. edge_offsets[i + 1] of `edges` (item-local vertex
// ids); an item marked `dense` has none and takes the dense H0 instead.
template <class T>
int_array graph_h0_batch(values_2d<T> x, counts_in counts, edges_in edges, counts_in edge_offsets,
                         nb::ndarray<const bool, nb::ndim<1>, nb::c_contig, nb::device::cpu> dense, bool keep_zero,
                         int n_threads, double memory_budget) {
    const auto opt = make_options(0, std::numeric_limits<double>::infinity(), keep_zero, memory_budget);
    const index_t dim = static_cast<index_t>(x.shape(1));
    const auto off = offsets_of(counts, static_cast<index_t>(x.shape(0)), 1, "points");
    const std::size_t n_items = counts.shape(0);
    if (edges.shape(0) > 0 && edges.shape(1) != 2) throw std::invalid_argument("edges must have 2 columns");
    if (edge_offsets.shape(0) != n_items + 1)
        throw std::invalid_argument("edge_offsets must have len(counts) + 1 entries");
    if (dense.shape(0) != n_items) throw std::invalid_argument("dense must have one entry per item");
    const index_t* eo = edge_offsets.data();
    for (std::size_t i = 0; i < n_items; ++i)
        if (eo[i] > eo[i + 1]) throw std::invalid_argument("edge_offsets must be non-decreasing");
    if (eo[0] != 0 || eo[n_items] != static_cast<index_t>(edges.shape(0)))
        throw std::invalid_argument("edge_offsets must run from 0 to the number of edges");
    const T* data = x.data();
    const index_t* e = edges.data();
    const bool* use_dense = dense.data();
    std::vector<std::vector<index_t>> rows;
    {
        interruptible_release release;
        rows = topolayer::rips_batch(static_cast<index_t>(n_items), 0, n_threads, [&](index_t i, int inner) {
            const auto s = static_cast<std::size_t>(i);
            const T* pts = data + off[s] * dim;
            const index_t n = off[s + 1] - off[s];
            if (use_dense[s]) {
                auto o = opt;
                o.n_threads = inner;
                return topolayer::rips_points(pts, n, dim, o);
            }
            return topolayer::graph_h0(pts, n, dim, e + 2 * eo[s], eo[s + 1] - eo[s], keep_zero);
        });
    }
    return to_array(std::move(rows[0]), 5);
}

inline std::vector<int_array> planar(index_t n_v, edges_in edges, edges_in tri_edges, flat_in<double> values,
                                     int max_dim, bool keep_zero) {
    if (edges.shape(0) > 0 && edges.shape(1) != 2) throw std::invalid_argument("edges must have 2 columns");
    if (tri_edges.shape(0) > 0 && tri_edges.shape(1) != 3) throw std::invalid_argument("tri_edges must have 3 columns");
    const auto n_e = static_cast<index_t>(edges.shape(0)), n_t = static_cast<index_t>(tri_edges.shape(0));
    if (static_cast<index_t>(values.shape(0)) != n_v + n_e + n_t)
        throw std::invalid_argument("values must have one entry per vertex, edge and triangle");
    topolayer::batch_pairs bp(max_dim);
    {
        interruptible_release release;
        bp.append(0, topolayer::planar_pairs(n_v, edges.data(), n_e, tri_edges.data(), n_t, values.data(), max_dim,
                                             keep_zero));
    }
    return to_arrays(std::move(bp));
}

void bind_rips(nb::module_& m) {
    m.def("planar_pairs", &planar, nb::arg("n_vertices"), nb::arg("edges"), nb::arg("tri_edges"), nb::arg("values"),
          nb::arg("max_dim"), nb::arg("keep_zero"),
          "H0/H1 of a filtered planar triangulation by union-find and dual union-find: per dimension an "
          "(n_k, 3) array of (0, birth id, death id or -1); ids run over vertices, edges, triangles.");
    const char* doc_points =
        "Vietoris-Rips persistence of point clouds x (sum N_i, D) split by counts (B,), Euclidean. "
        "Returns per dimension an (n_k, 5) int64 array of (item, birth_u, birth_v, death_u, death_v); "
        "H0 births are (v, v); essential deaths are -1. threshold is in distance units (inf: none).";
    m.def("rips_points", &rips_points<float>, nb::arg("x").noconvert(), nb::arg("counts"), nb::arg("max_dim"),
          nb::arg("threshold"), nb::arg("keep_zero"), nb::arg("n_threads"), nb::arg("memory_budget"), doc_points);
    m.def("rips_points", &rips_points<double>, nb::arg("x").noconvert(), nb::arg("counts"), nb::arg("max_dim"),
          nb::arg("threshold"), nb::arg("keep_zero"), nb::arg("n_threads"), nb::arg("memory_budget"));
    const char* doc_mat =
        "Vietoris-Rips persistence of distance matrices, flattened row-major and concatenated "
        "(sum N_i^2,), with counts (B,) holding each N_i. Output as rips_points.";
    m.def("rips_matrices", &rips_matrices<float>, nb::arg("d").noconvert(), nb::arg("counts"), nb::arg("max_dim"),
          nb::arg("threshold"), nb::arg("keep_zero"), nb::arg("n_threads"), nb::arg("memory_budget"), doc_mat);
    m.def("rips_matrices", &rips_matrices<double>, nb::arg("d").noconvert(), nb::arg("counts"), nb::arg("max_dim"),
          nb::arg("threshold"), nb::arg("keep_zero"), nb::arg("n_threads"), nb::arg("memory_budget"));
    const char* doc_sparse =
        "Sparse (thresholded) Vietoris-Rips persistence of point clouds x (sum N_i, D) split by counts (B,): "
        "the edges no longer than threshold are found by a k-d tree, which raises ValueError when they "
        "would need more than memory_budget bytes. Output as rips_points.";
    m.def("rips_sparse_batch", &rips_sparse_batch<float>, nb::arg("x").noconvert(), nb::arg("counts"),
          nb::arg("max_dim"), nb::arg("threshold"), nb::arg("keep_zero"), nb::arg("n_threads"),
          nb::arg("memory_budget"), doc_sparse);
    m.def("rips_sparse_batch", &rips_sparse_batch<double>, nb::arg("x").noconvert(), nb::arg("counts"),
          nb::arg("max_dim"), nb::arg("threshold"), nb::arg("keep_zero"), nb::arg("n_threads"),
          nb::arg("memory_budget"));
    const char* doc_graph =
        "H0 of point clouds x (sum N_i, D) split by counts (B,), each through its graph with Euclidean edge "
        "lengths (Kruskal, elder rule): item i's edges are rows edge_offsets[i]..edge_offsets[i + 1] of edges "
        "(E, 2) in item-local ids; an item with dense[i] set takes the dense H0 (memory_budget applies). "
        "An (n_0, 5) array of (item, v, v, death_u, death_v).";
    m.def("graph_h0_batch", &graph_h0_batch<float>, nb::arg("x").noconvert(), nb::arg("counts"), nb::arg("edges"),
          nb::arg("edge_offsets"), nb::arg("dense"), nb::arg("keep_zero"), nb::arg("n_threads"),
          nb::arg("memory_budget"), doc_graph);
    m.def("graph_h0_batch", &graph_h0_batch<double>, nb::arg("x").noconvert(), nb::arg("counts"), nb::arg("edges"),
          nb::arg("edge_offsets"), nb::arg("dense"), nb::arg("keep_zero"), nb::arg("n_threads"),
          nb::arg("memory_budget"));
}

}  // namespace topolayer_bindings
