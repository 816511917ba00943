// Helpers shared by the binding files: int64 arrays handed to Python without a copy, and the
// release of the GIL around long work, which Ctrl-C interrupts.
#pragma once

#include <nanobind/nanobind.h>
#include <nanobind/ndarray.h>
#include <nanobind/stl/vector.h>

#include <algorithm>
#include <cstdlib>
#include <exception>
#include <memory>
#include <mutex>
#include <new>
#include <utility>
#include <vector>

#if !defined(_WIN32)
#include <signal.h>
#endif

#include "topolayer/interrupt.hpp"
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

// A capsule-owned (rows, cols) array of T (float or double) over a pooled buffer of at least
// rows * cols values.
template <class T>
inline nb::ndarray<nb::numpy, T> owned_values(pooled&& buf, std::size_t rows, std::size_t cols) {
    static_assert(sizeof(T) <= sizeof(index_t) && alignof(T) <= alignof(index_t), "T must fit an index_t slot");
    index_t* p = buf.p;
    nb::capsule owner(p, [](void* q) noexcept {
        buffer_pool::instance().give(static_cast<index_t*>(q));
    });
    buf.p = nullptr;
    return nb::ndarray<nb::numpy, T>(reinterpret_cast<T*>(p), {rows, cols}, owner);
}

// A pooled buffer for n values of T (n >= 0).
template <class T>
inline pooled pooled_values(std::size_t n) {
    return pooled((n * sizeof(T) + sizeof(index_t) - 1) / sizeof(index_t) + 1);
}

inline std::vector<int_array> to_arrays(topolayer::batch_pairs&& bp) {
    std::vector<int_array> out;
    out.reserve(bp.rows.size() + bp.flat.size());
    for (auto& r : bp.rows) out.push_back(to_array(std::move(r), 3));
    for (auto& r : bp.flat) out.push_back(to_array(std::move(r), 2));  // after every row array
    return out;
}

// ---- Ctrl-C during a long call ----------------------------------------------------------------
// Python runs its SIGINT handler between bytecodes only, and a call that released the GIL runs
// none until it returns. So while such a call runs, a C-level handler of ours sets topolayer's
// interrupt flag (interrupt.hpp: the loops of the core poll it and throw `interrupted`) and then
// calls the handler it replaced: Python's own, which records the signal as pending. Back under
// the GIL, the translator registered by register_interrupt_translator() lets Python run its
// handler (PyErr_CheckSignals: KeyboardInterrupt, or whatever the user's handler does) and
// raises KeyboardInterrupt itself if that did not raise: the result is lost either way, and in a
// thread other than the main one Python runs no handler at all. A signal that comes after the
// last poll lets the call finish; Python then delivers it as usual.
// Calls from several threads share one installation, made by the first and undone by the last
// (a handler may touch lock-free atomics only, so the bookkeeping is under a mutex outside it).
// The flag stays set until every call that was running at the latest signal has stopped, so a
// call that finishes meanwhile cannot clear it under another that has yet to poll; a call that
// starts meanwhile stops too, which is what the user asked for a moment earlier.
// A SIGINT that is ignored or has its default action has no Python handler to chain to: it is
// left alone, and Ctrl-C does what it did. On Windows the GIL is released as before.
namespace detail {

#if !defined(_WIN32)
// The action ours replaced, to which it chains; written only while ours is not installed.
inline struct sigaction sigint_chained {};

inline void on_sigint(int sig, siginfo_t* info, void* context) {
    topolayer::request_interrupt();
    const struct sigaction& prev = sigint_chained;
    if (prev.sa_flags & SA_SIGINFO)
        prev.sa_sigaction(sig, info, context);
    else if (prev.sa_handler != SIG_DFL && prev.sa_handler != SIG_IGN)
        prev.sa_handler(sig);
}

inline bool is_ours(const struct sigaction& a) { return (a.sa_flags & SA_SIGINFO) && a.sa_sigaction == on_sigint; }

// The calls that run with our handler, one per process (a child after fork() has none running).
class sigint_calls {
  public:
    static sigint_calls& instance() { return topolayer::detail::per_process<sigint_calls>(); }

    // Registers a call; returns the number of interrupt requests at its start.
    unsigned enter() {
        std::lock_guard<std::mutex> lock(mutex_);
        const bool first = started_.empty();
        const unsigned now = topolayer::interrupt_request_count();
        started_.push_back(now);  // before installing: if this throws, nothing is left installed
        if (first) {
            topolayer::clear_interrupt();  // set by a signal that overtook the last restore
            install();
        }
        return now;
    }

    void leave(unsigned started) noexcept {
        std::lock_guard<std::mutex> lock(mutex_);
        const auto it = std::find(started_.begin(), started_.end(), started);
        if (it != started_.end()) started_.erase(it);
        if (started_.empty()) {
            restore();
            topolayer::clear_interrupt();
            return;
        }
        const unsigned now = topolayer::interrupt_request_count();
        if (std::any_of(started_.begin(), started_.end(), [now](unsigned s) { return s != now; }))
            return;  // a call that was running at the latest request has yet to stop
        topolayer::clear_interrupt();
        if (topolayer::interrupt_request_count() != now) topolayer::request_interrupt();  // one came meanwhile
    }

  private:
    template <class T>
    friend T& topolayer::detail::per_process();
    explicit sigint_calls(long pid) : pid_(pid) { started_.reserve(64); }

    void install() {
        struct sigaction current {};
        if (sigaction(SIGINT, nullptr, &current) != 0) return;
        if (is_ours(current)) {  // a child forked while a call ran: ours was inherited
            installed_ = true;
            return;
        }
        const bool has_handler = (current.sa_flags & SA_SIGINFO)
                                     ? current.sa_sigaction != nullptr
                                     : current.sa_handler != SIG_DFL && current.sa_handler != SIG_IGN;
        if (!has_handler) return;
        sigint_chained = current;
        struct sigaction mine {};
        mine.sa_sigaction = on_sigint;
        mine.sa_mask = current.sa_mask;
        mine.sa_flags = (current.sa_flags & ~SA_RESETHAND) | SA_SIGINFO;
        installed_ = sigaction(SIGINT, &mine, nullptr) == 0;
    }

    void restore() noexcept {
        if (!installed_) return;
        installed_ = false;
        // A handler set meanwhile (signal.signal in the main thread) replaced ours: it stays.
        struct sigaction current {};
        if (sigaction(SIGINT, nullptr, &current) == 0 && is_ours(current)) sigaction(SIGINT, &sigint_chained, nullptr);
    }

    long pid_;
    std::mutex mutex_;
    std::vector<unsigned> started_;  // per running call, the request count at its start
    bool installed_ = false;
};

class sigint_scope {
  public:
    sigint_scope() : started_(sigint_calls::instance().enter()) {}
    ~sigint_scope() { sigint_calls::instance().leave(started_); }
    sigint_scope(const sigint_scope&) = delete;
    sigint_scope& operator=(const sigint_scope&) = delete;

  private:
    unsigned started_;
};
#else
struct sigint_scope {};
#endif

}  // namespace detail

// In place of nb::gil_scoped_release around long work: the GIL is released, and Ctrl-C stops
// the work (topolayer::interrupted, which the translator turns into KeyboardInterrupt).
class interruptible_release {
    detail::sigint_scope scope_;  // made first, gone last: the GIL is back when it goes
    nb::gil_scoped_release release_;
};

// Called once at import: topolayer::interrupted -> Python's SIGINT handler, or KeyboardInterrupt.
inline void register_interrupt_translator() {
    nb::register_exception_translator([](const std::exception_ptr& p, void*) {
        try {
            std::rethrow_exception(p);
        } catch (const topolayer::interrupted&) {
            if (PyErr_CheckSignals() == 0) PyErr_SetNone(PyExc_KeyboardInterrupt);
        }
    });
}

template <class T>
using values_2d = nb::ndarray<const T, nb::ndim<2>, nb::c_contig, nb::device::cpu>;

}  // namespace topolayer_bindings
