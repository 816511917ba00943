// Helpers shared by the binding files: int64 arrays handed to Python without a copy.
#pragma once

#include <nanobind/nanobind.h>
#include <nanobind/ndarray.h>
#include <nanobind/stl/vector.h>

#include <cstdlib>
#include <memory>
#include <mutex>
#include <new>
#include <utility>
#include <vector>

#include "topolayer/parallel.hpp"
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

// Uninitialised int64 output buffers, recycled. A fresh buffer of a few hundred KB is mapped
// by malloc and then faulted in page by page as it is written, which costs a sizeable part of
// a call on a batch of small images. Buffers that Python frees come back here (a capsule's
// deleter) and serve later calls already resident. Blocks of at least 32 KiB are cached, at
// most 32 of them and 64 MiB in all (the oldest go first); smaller ones are plain malloc/free.
class buffer_pool {
  public:
    // One per process (a child after fork() makes its own); its blocks carry their sizes,
    // so any pool takes back any block.
    static buffer_pool& instance() { return topolayer::detail::per_process<buffer_pool>(); }

    // A buffer of at least n entries (n >= 1).
    index_t* take(std::size_t n) {
        if (n > (std::size_t{1} << 58)) throw std::bad_alloc();  // no overflow below
        const std::size_t want = round_up(n * sizeof(index_t));
        if (want >= min_cached) {
            std::lock_guard<std::mutex> lock(mutex_);
            std::size_t best = free_.size();
            for (std::size_t i = 0; i < free_.size(); ++i)
                if (free_[i].bytes >= want && free_[i].bytes <= 2 * want &&
                    (best == free_.size() || free_[i].bytes < free_[best].bytes))
                    best = i;
            if (best < free_.size()) {
                block b = free_[best];
                free_.erase(free_.begin() + static_cast<std::ptrdiff_t>(best));
                cached_ -= b.bytes;
                return payload(b.base);
            }
        }
        void* base = std::malloc(header + want);
        if (base == nullptr) throw std::bad_alloc();
        *static_cast<std::size_t*>(base) = want;
        return payload(base);
    }

    // Gives back a buffer from take().
    void give(index_t* p) noexcept {
        void* base = reinterpret_cast<char*>(p) - header;
        const std::size_t bytes = *static_cast<std::size_t*>(base);
        if (bytes >= min_cached && bytes <= max_cached_bytes) {
            std::lock_guard<std::mutex> lock(mutex_);
            while (!free_.empty() &&
                   (free_.size() >= max_blocks || cached_ + bytes > max_cached_bytes)) {
                cached_ -= free_.front().bytes;
                std::free(free_.front().base);
                free_.erase(free_.begin());
            }
            free_.push_back({bytes, base});
            cached_ += bytes;
            return;
        }
        std::free(base);
    }

  private:
    struct block {
        std::size_t bytes;
        void* base;
    };
    static constexpr std::size_t header = 64;  // the block size; keeps malloc's alignment
    static constexpr std::size_t min_cached = std::size_t{32} << 10;
    static constexpr std::size_t max_cached_bytes = std::size_t{64} << 20;
    static constexpr std::size_t max_blocks = 32;
    // Sizes in steps of 1/8 of their power of two, so that nearby sizes share blocks.
    static std::size_t round_up(std::size_t bytes) {
        std::size_t step = 64;
        while (step * 8 < bytes) step *= 2;
        return (bytes + step - 1) / step * step;
    }
    template <class T>
    friend T& topolayer::detail::per_process();
    // The free list is reserved up front: give() never allocates.
    explicit buffer_pool(long pid) : pid_(pid) { free_.reserve(max_blocks); }
    static index_t* payload(void* base) {
        return reinterpret_cast<index_t*>(static_cast<char*>(base) + header);
    }
    long pid_;
    std::mutex mutex_;
    std::vector<block> free_;  // oldest first
    std::size_t cached_ = 0;
};

// An uninitialised buffer of n >= 1 int64 entries from the pool, for owned_array.
struct pooled {
    index_t* p = nullptr;
    pooled() = default;
    explicit pooled(std::size_t n) : p(buffer_pool::instance().take(n)) {}
    pooled(pooled&& o) noexcept : p(o.p) { o.p = nullptr; }
    pooled& operator=(pooled&& o) noexcept {
        std::swap(p, o.p);
        return *this;
    }
    ~pooled() {
        if (p != nullptr) buffer_pool::instance().give(p);
    }
    index_t* get() const { return p; }
};

// A capsule-owned (rows, cols) int64 array over a pooled buffer (given back when Python frees
// the array).
inline int_array owned_array(pooled&& buf, std::size_t rows, std::size_t cols) {
    index_t* p = buf.p;
    nb::capsule owner(p, [](void* q) noexcept {
        buffer_pool::instance().give(static_cast<index_t*>(q));
    });
    buf.p = nullptr;  // the capsule owns it now
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
