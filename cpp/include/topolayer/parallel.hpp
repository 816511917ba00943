// A small parallel_for over independent batch items (std::thread; no OpenMP), on a pool of
// worker threads kept between calls.
//
// Items are claimed from an atomic counter, so the work balances itself when item costs differ.
// Each item writes only its own output slot, so results do not depend on the thread count.
// If items throw, the exception of the lowest failing item is rethrown on the calling thread
// after all join: items are claimed in increasing order and a claimed item always finishes, so
// this is the same item (and message) for every thread count. An interrupt (interrupt.hpp)
// stops the claiming of items and is rethrown as `interrupted` whatever the other items threw:
// the caller asked to stop, and an item left unclaimed has no result.
#pragma once

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <exception>
#include <functional>
#include <mutex>
#include <system_error>
#include <thread>
#include <vector>

#if !defined(_WIN32)
#include <unistd.h>
#endif

#if defined(TOPOLAYER_OPENMP)
#include <omp.h>
#endif

#include "interrupt.hpp"
#include "types.hpp"

namespace topolayer {

inline int resolve_threads(int n_threads, index_t n_items) {
    int n = n_threads > 0 ? n_threads : static_cast<int>(std::thread::hardware_concurrency());
    n = std::max(1, n);
    return static_cast<int>(std::min<index_t>(n, std::max<index_t>(1, n_items)));
}

namespace detail {

inline long current_pid() {
#if defined(_WIN32)
    return 0;
#else
    return static_cast<long>(::getpid());
#endif
}

// The one T of this process, made on first use as T(pid) and never destroyed (detached
// threads and late capsule deleters use it). A child process after fork() makes its own and
// never touches the parent's, whose mutexes another thread may have held at the fork. T has
// a member `long pid_` and befriends this function.
template <class T>
T& per_process() {
    static std::atomic<T*> slot{nullptr};
    const long pid = current_pid();
    T* p = slot.load();
    while (p == nullptr || p->pid_ != pid) {
        auto* fresh = new T(pid);
        if (slot.compare_exchange_strong(p, fresh)) return *fresh;
        delete fresh;  // another thread made one first: p is now that one
    }
    return *p;
}

// Worker threads kept between calls: creating a thread costs tens of microseconds, and a
// batch of small images takes well under a millisecond; kept workers also keep their
// thread-local workspaces. One parallel_for at a time runs on the pool (a concurrent or
// nested one spawns its own threads, as before), with at most max_workers workers. A child
// process after fork() does not have the parent's threads: it makes a new pool and never
// touches the old one. If the system refuses a new thread, the threads there are do the work.
class thread_pool {
  public:
    static constexpr int max_workers = 256;

    // Runs work() (which must not throw) on up to n - 1 pool threads and the calling thread,
    // and waits for all; false (nothing run) if the pool is in use or n is too large.
    static bool run(int n, const std::function<void()>& work) {
        if (n - 1 > max_workers) return false;
        thread_pool* pool = &per_process<thread_pool>();
        bool idle = false;  // an atomic flag, not a mutex: a nested call tests it on the thread
        if (!pool->busy_.compare_exchange_strong(idle, true)) return false;  // that holds it
        struct release {
            std::atomic<bool>& busy;
            ~release() { busy.store(false); }
        } release_guard{pool->busy_};
        int helpers = 0;
        {
            std::lock_guard<std::mutex> lock(pool->mutex_);
            try {
                while (pool->workers_ < n - 1) {
                    const int index = pool->workers_;
                    const std::uint64_t seen = pool->generation_;
                    std::thread([pool, index, seen] { pool->serve(index, seen); }).detach();
                    ++pool->workers_;
                }
            } catch (const std::system_error&) {  // no more threads: use those there are
            }
            helpers = std::min(n - 1, pool->workers_);
            pool->job_ = &work;
            pool->active_ = helpers;
            pool->remaining_ = helpers;
            ++pool->generation_;
            pool->next_.store(pool->generation_, std::memory_order_release);
        }
        if (helpers > 0) pool->wake_.notify_all();
        struct wait_all {  // the helpers use `work` until their last decrement
            thread_pool* p;
            ~wait_all() {
                std::unique_lock<std::mutex> lock(p->mutex_);
                p->done_.wait(lock, [this] { return p->remaining_ == 0; });
            }
        } wait_guard{pool};
        work();
        return true;
    }

  private:
    template <class T>
    friend T& per_process();
    explicit thread_pool(long pid) : pid_(pid) {}

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
            // A call's second parallel region, or the next call, often follows within
            // microseconds: watch for it briefly before sleeping (a wake-up costs more).
            lock.unlock();
            const auto until = std::chrono::steady_clock::now() + std::chrono::microseconds(50);
            while (next_.load(std::memory_order_acquire) == seen &&
                   std::chrono::steady_clock::now() < until)
                std::this_thread::yield();
            lock.lock();
        }
    }

    long pid_;
    std::atomic<bool> busy_{false};  // set by the parallel_for running on the pool
    std::mutex mutex_;               // guards what follows
    std::condition_variable wake_, done_;
    int workers_ = 0;  // detached threads serving this pool
    const std::function<void()>* job_ = nullptr;
    int active_ = 0, remaining_ = 0;
    std::uint64_t generation_ = 0;
    std::atomic<std::uint64_t> next_{0};  // generation_, readable without the lock
};

#if defined(TOPOLAYER_OPENMP)
// OpenMP teams run on the runtime's thread pool, which is torch's when torch loaded libgomp
// first: its workers spin for a while after every torch op, and a pool of our own would share
// the cores with them. A process made by fork() cannot use the pool of its parent (libgomp
// waits forever for threads that do not exist there), so only the process that loaded this
// module uses OpenMP, and only if the loader did not find it in a child (set_openmp()).
struct openmp_state {
    long pid = current_pid();
    std::atomic<bool> allowed{true};
};
inline openmp_state& openmp() {
    static openmp_state s;
    return s;
}
inline const bool openmp_loaded_ = (openmp(), true);  // the pid of the loading process
#endif

// Whether parallel_for may use OpenMP in this process (false in a child process).
inline bool openmp_usable() {
#if defined(TOPOLAYER_OPENMP)
    return openmp().allowed.load() && openmp().pid == current_pid() && !omp_in_parallel();
#else
    return false;
#endif
}

}  // namespace detail

// Forbid (false) or allow OpenMP teams in this process; false is for a process that imports
// the module after a fork() from one that used OpenMP.
inline void set_openmp(bool allowed) {
#if defined(TOPOLAYER_OPENMP)
    detail::openmp().allowed.store(allowed);
#else
    (void)allowed;
#endif
}

template <class Fn>
void parallel_for(index_t n_items, int n_threads, Fn&& fn) {
    const int n_workers = resolve_threads(n_threads, n_items);
    if (n_workers <= 1) {
        for (index_t i = 0; i < n_items; ++i) {
            check_interrupt();
            fn(i);
        }
        return;
    }
    std::atomic<index_t> next{0};
    std::atomic<bool> stopped{false};  // by an interrupt
    std::exception_ptr error;
    index_t error_item = n_items;
    std::mutex error_mutex;
    auto work = [&]() {
        for (;;) {
            index_t i = next.fetch_add(1);
            if (i >= n_items) return;
            try {
                check_interrupt();
                fn(i);
            } catch (const interrupted&) {
                stopped.store(true);
                next.store(n_items);
                return;
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
    if (detail::openmp_usable()) {
#if defined(TOPOLAYER_OPENMP)
        // The team has the size asked for: another library in the process may have turned on
        // dynamic teams (OpenCV does), which size them by the load average. Restored after.
        const int dynamic = omp_get_dynamic();
        omp_set_dynamic(0);
#pragma omp parallel num_threads(n_workers)
        work();
        omp_set_dynamic(dynamic);
#endif
    } else if (!detail::thread_pool::run(n_workers, work)) {  // the pool is busy: own threads
        std::vector<std::thread> pool;
        pool.reserve(static_cast<std::size_t>(n_workers - 1));
        try {
            for (int t = 1; t < n_workers; ++t) pool.emplace_back(work);
        } catch (const std::system_error&) {  // no more threads: those started and this one
        }
        work();
        for (auto& th : pool) th.join();
    }
    if (stopped.load()) throw interrupted();
    if (error) std::rethrow_exception(error);
}

}  // namespace topolayer
