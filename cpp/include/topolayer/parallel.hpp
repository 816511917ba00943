// A small parallel_for over independent batch items (std::thread; no OpenMP).
//
// Items are claimed from an atomic counter, so the work balances itself when item costs differ.
// Each item writes only its own output slot, so results do not depend on the thread count.
// If items throw, the exception of the lowest failing item is rethrown on the calling thread
// after all join: items are claimed in increasing order and a claimed item always finishes, so
// this is the same item (and message) for every thread count.
#pragma once

#include <algorithm>
#include <atomic>
#include <exception>
#include <mutex>
#include <thread>
#include <vector>

#include "types.hpp"

namespace topolayer {

inline int resolve_threads(int n_threads, index_t n_items) {
    int n = n_threads > 0 ? n_threads : static_cast<int>(std::thread::hardware_concurrency());
    n = std::max(1, n);
    return static_cast<int>(std::min<index_t>(n, std::max<index_t>(1, n_items)));
}

template <class Fn>
void parallel_for(index_t n_items, int n_threads, Fn&& fn) {
    const int n_workers = resolve_threads(n_threads, n_items);
    if (n_workers <= 1) {
        for (index_t i = 0; i < n_items; ++i) fn(i);
        return;
    }
    std::atomic<index_t> next{0};
    std::exception_ptr error;
    index_t error_item = n_items;
    std::mutex error_mutex;
    auto work = [&]() {
        for (;;) {
            index_t i = next.fetch_add(1);
            if (i >= n_items) return;
            try {
                fn(i);
            } catch (...) {
                std::lock_guard<std::mutex> lock(error_mutex);
                if (i < error_item) {
                    error_item = i;
                    error = std::current_exception();
                }
                next.store(n_items);
                return;
            }
        }
    };
    std::vector<std::thread> pool;
    pool.reserve(static_cast<std::size_t>(n_workers - 1));
    for (int t = 1; t < n_workers; ++t) pool.emplace_back(work);
    work();
    for (auto& th : pool) th.join();
    if (error) std::rethrow_exception(error);
}

}  // namespace topolayer
