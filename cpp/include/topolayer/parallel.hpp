// A small parallel_for over independent batch items (std::thread; no OpenMP), on a pool of
// worker threads kept between calls.
//
// Items are claimed from an atomic counter, so the work balances itself when item costs differ.
// Each item writes only its own output slot, so results do not depend on the thread count.
// If items throw, the exception of the lowest failing item is rethrown on the calling thread
// after all join: items are claimed in increasing order and a claimed item always finishes, so
// this is the same item (and message) for every thread count.
#pragma once

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <exception>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

#if !defined(_WIN32)
#include <unistd.h>
#endif

#include "types.hpp"

namespace topolayer {

inline int resolve_threads(int n_threads, index_t n_items) {
    int n = n_threads > 0 ? n_threads : static_cast<int>(std::thread::hardware_concurrency());
    n = std::max(1, n);
    return static_cast<int>(std::min<index_t>(n, std::max<index_t>(1, n_items)));
}

namespace detail {

// Worker threads kept between calls: creating a thread costs tens of microseconds, and a
// batch of small images takes well under a millisecond; kept workers also keep their
// thread-local workspaces. One parallel_for at a time runs on the pool (a concurrent or
// nested one spawns its own threads, as before). A child process after fork() does not have
// the parent's threads: it makes a new pool and never touches the old one.
class thread_pool {
  public:
    // Runs work() on n - 1 pool threads and the calling thread, and waits for all; false
    // (nothing run) if the pool is in use.
    static bool run(int n, const std::function<void()>& work) {
        thread_pool* pool = instance();
        std::unique_lock<std::mutex> busy(pool->busy_, std::try_to_lock);
        if (!busy.owns_lock()) return false;
        {
            std::lock_guard<std::mutex> lock(pool->mutex_);
            while (static_cast<int>(pool->workers_.size()) < n - 1) {
                const int index = static_cast<int>(pool->workers_.size());
                const std::uint64_t seen = pool->generation_;
                pool->workers_.emplace_back([pool, index, seen] { pool->serve(index, seen); });
                pool->workers_.back().detach();
            }
            pool->job_ = &work;
            pool->active_ = n - 1;
            pool->remaining_ = n - 1;
            ++pool->generation_;
        }
        pool->wake_.notify_all();
        work();
        std::unique_lock<std::mutex> lock(pool->mutex_);
        pool->done_.wait(lock, [pool] { return pool->remaining_ == 0; });
        return true;
    }

  private:
    explicit thread_pool(long pid) : pid_(pid) {}

    static long current_pid() {
#if defined(_WIN32)
        return 0;
#else
        return static_cast<long>(::getpid());
#endif
    }

    static thread_pool* instance() {
        static std::atomic<thread_pool*> pool{nullptr};
        const long pid = current_pid();
        thread_pool* p = pool.load();
        while (p == nullptr || p->pid_ != pid) {  // none yet, or the parent's (after fork)
            auto* fresh = new thread_pool(pid);  // never deleted: detached workers use it
            if (pool.compare_exchange_strong(p, fresh)) return fresh;
            delete fresh;  // another thread made one first: p is now that one
        }
        return p;
    }

    void serve(int index, std::uint64_t seen) {
        std::unique_lock<std::mutex> lock(mutex_);
        for (;;) {
            wake_.wait(lock, [&] { return generation_ != seen; });
            seen = generation_;
            if (index >= active_) continue;
            const std::function<void()>* job = job_;
            lock.unlock();
            (*job)();  // parallel_for's work: catches every exception itself
            lock.lock();
            if (--remaining_ == 0) done_.notify_one();
        }
    }

    long pid_;
    std::mutex busy_;   // held by the parallel_for running on the pool
    std::mutex mutex_;  // guards what follows
    std::condition_variable wake_, done_;
    std::vector<std::thread> workers_;
    const std::function<void()>* job_ = nullptr;
    int active_ = 0, remaining_ = 0;
    std::uint64_t generation_ = 0;
};

}  // namespace detail

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
    if (!detail::thread_pool::run(n_workers, work)) {  // the pool is busy: own threads
        std::vector<std::thread> pool;
        pool.reserve(static_cast<std::size_t>(n_workers - 1));
        for (int t = 1; t < n_workers; ++t) pool.emplace_back(work);
        work();
        for (auto& th : pool) th.join();
    }
    if (error) std::rethrow_exception(error);
}

}  // namespace topolayer
