// Cooperative cancellation of long computations: one process-wide flag, set by a signal handler
// (or any thread) and polled by the loops of the core, which then throw `interrupted`.
// A thread cannot be stopped from outside without leaking its locks and memory, so the work
// stops itself: the exception unwinds through the same RAII as any other error, and every
// structure kept between calls (the thread pool, per-thread workspaces, pooled buffers) is
// left as the next call expects it. Polling is one relaxed load of an atomic; in loops of a few
// nanoseconds per iteration an interrupt_countdown does it every few thousand iterations, so the
// hot paths keep their shape (a decrement and a branch that is never taken).
// Invariants: setting the flag is async-signal-safe (lock-free atomics only); it stays set until
// clear_interrupt(), so every computation running when it is set stops at its next poll.
#pragma once

#include <atomic>
#include <exception>

namespace topolayer {

// Thrown by check_interrupt() when an interrupt was requested.
struct interrupted : std::exception {
    const char* what() const noexcept override { return "interrupted"; }
};

namespace detail {

static_assert(std::atomic<bool>::is_always_lock_free && std::atomic<unsigned>::is_always_lock_free,
              "a signal handler may only touch lock-free atomics");

inline std::atomic<bool> interrupt_flag{false};
// How many interrupts were ever requested: tells a caller whether one came after a given moment.
inline std::atomic<unsigned> interrupt_requests{0};

[[noreturn]] inline void throw_interrupted() { throw interrupted(); }

}  // namespace detail

inline bool interrupt_requested() noexcept { return detail::interrupt_flag.load(std::memory_order_relaxed); }

// Async-signal-safe.
inline void request_interrupt() noexcept {
    detail::interrupt_requests.fetch_add(1, std::memory_order_relaxed);
    detail::interrupt_flag.store(true, std::memory_order_relaxed);
}

inline void clear_interrupt() noexcept { detail::interrupt_flag.store(false, std::memory_order_relaxed); }

// The number of requests so far (it wraps around; compare for equality only).
inline unsigned interrupt_request_count() noexcept {
    return detail::interrupt_requests.load(std::memory_order_relaxed);
}

inline void check_interrupt() {
    if (interrupt_requested()) detail::throw_interrupted();
}

// check_interrupt() once every `period` calls of tick().
class interrupt_countdown {
  public:
    explicit interrupt_countdown(unsigned period = 4096) noexcept : period_(period), left_(period) {}
    void tick() {
        if (--left_ != 0) return;
        left_ = period_;
        check_interrupt();
    }

  private:
    unsigned period_, left_;
};

}  // namespace topolayer
