// Helpers shared by the binding files: int64 arrays handed to Python without a copy.
#pragma once

#include <nanobind/nanobind.h>
#include <nanobind/ndarray.h>
#include <nanobind/stl/vector.h>

#include <memory>
#include <vector>

#include "topolayer/types.hpp"

namespace topolayer_bindings {

namespace nb = nanobind;
using topolayer::index_t;
using int_array = nb::ndarray<nb::numpy, index_t>;

// Move a vector into a capsule-owned 2D int64 array of shape (rows, cols).
inline int_array to_array(std::vector<index_t>&& v, std::size_t cols) {
    auto* heap = new std::vector<index_t>(std::move(v));
    nb::capsule owner(heap, [](void* p) noexcept { delete static_cast<std::vector<index_t>*>(p); });
    std::size_t rows = cols ? heap->size() / cols : 0;
    return int_array(heap->data(), {rows, cols}, owner);
}

// A capsule-owned (rows, cols) int64 array over a buffer allocated with new[] (uninitialised
// buffers: no zero-filling of large outputs).
inline int_array owned_array(std::unique_ptr<index_t[]>&& buf, std::size_t rows, std::size_t cols) {
    index_t* p = buf.release();
    nb::capsule owner(p, [](void* q) noexcept { delete[] static_cast<index_t*>(q); });
    return int_array(p, {rows, cols}, owner);
}

inline std::vector<int_array> to_arrays(topolayer::batch_pairs&& bp) {
    std::vector<int_array> out;
    out.reserve(bp.rows.size() + bp.flat.size());
    for (auto& r : bp.rows) out.push_back(to_array(std::move(r), 3));
    for (auto& r : bp.flat) out.push_back(to_array(std::move(r), 2));  // after every row array
    return out;
}

template <class T>
using values_2d = nb::ndarray<const T, nb::ndim<2>, nb::c_contig, nb::device::cpu>;

}  // namespace topolayer_bindings
