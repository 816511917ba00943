// C++-level checks of interrupt.hpp, meant to run under AddressSanitizer and UBSan (and, built
// by hand, ThreadSanitizer): a flag set from another thread stops a long parallel_for at once
// and leaves the thread pool working; an interrupt is reported as `interrupted` whatever the
// other items threw; and each long entry point of the core (cubical 2D and 3D, Rips, building a
// complex, lower-star reduction), interrupted at several moments, gives the same result on its
// next call.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <random>
#include <set>
#include <stdexcept>
#include <thread>
#include <vector>

#include "check.hpp"
#include "topolayer/cubical.hpp"
#include "topolayer/interrupt.hpp"
#include "topolayer/parallel.hpp"
#include "topolayer/reduction.hpp"
#include "topolayer/rips.hpp"

using namespace topolayer;

using clock_type = std::chrono::steady_clock;
using topolayer_test::throws;

static double seconds_since(clock_type::time_point t) {
    return std::chrono::duration<double>(clock_type::now() - t).count();
}

// Sets the flag after `delay` on a thread of its own; joined on destruction.
struct interrupter {
    std::thread t;
    explicit interrupter(std::chrono::microseconds delay)
        : t([delay] {
              std::this_thread::sleep_for(delay);
              request_interrupt();
          }) {}
    ~interrupter() { t.join(); }
};

static void check_flag_and_countdown() {
    clear_interrupt();
    CHECK(!interrupt_requested());
    CHECK(!throws([] { check_interrupt(); }));
    const unsigned before = interrupt_request_count();
    request_interrupt();
    CHECK(interrupt_requested());
    CHECK(interrupt_request_count() == before + 1);
    CHECK(throws<interrupted>([] { check_interrupt(); }));
    // The countdown polls on its period-th tick only.
    interrupt_countdown poll(5);
    int ticks = 0;
    try {
        for (; ticks < 100; ++ticks) poll.tick();
    } catch (const interrupted&) {
    }
    CHECK(ticks == 4);
    clear_interrupt();
    CHECK(!interrupt_requested());
}

// Items that run until an interrupt (or a deadline, which would be a failure) stop within a
// fraction of a second of the flag; items never claimed never start; the pool then runs a
// normal loop on the same threads.
static void check_parallel_for_stops(int n_threads) {
    clear_interrupt();
    const index_t n = 64;
    std::vector<int> out(static_cast<std::size_t>(n), 0);
    std::mutex ids_mutex;
    std::set<std::thread::id> before, after;
    parallel_for(n, n_threads, [&](index_t i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
        std::lock_guard<std::mutex> lock(ids_mutex);
        before.insert(std::this_thread::get_id());
        out[static_cast<std::size_t>(i)] = 1;
    });
    CHECK(std::count(out.begin(), out.end(), 1) == n);

    std::atomic<int> started{0}, timed_out{0};
    const auto t0 = clock_type::now();
    bool stopped = false;
    {
        interrupter later(std::chrono::milliseconds(50));
        try {
            parallel_for(n, n_threads, [&](index_t) {
                ++started;
                interrupt_countdown poll(64);
                const auto deadline = clock_type::now() + std::chrono::seconds(10);
                for (;;) {
                    poll.tick();
                    if (clock_type::now() > deadline) {
                        ++timed_out;
                        return;
                    }
                }
            });
        } catch (const interrupted&) {
            stopped = true;
        }
    }
    const double took = seconds_since(t0);
    CHECK(stopped);
    CHECK(timed_out.load() == 0);
    CHECK(took < 2.0);
    CHECK(started.load() <= n_threads);
    std::printf("  parallel_for(%d threads) stopped after %.3f s (flag set at 0.050 s)\n", n_threads, took);

    clear_interrupt();
    std::fill(out.begin(), out.end(), 0);
    parallel_for(n, n_threads, [&](index_t i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
        std::lock_guard<std::mutex> lock(ids_mutex);
        after.insert(std::this_thread::get_id());
        out[static_cast<std::size_t>(i)] = 2;
    });
    CHECK(std::count(out.begin(), out.end(), 2) == n);
    // The same pool threads (own threads, made when the pool is stuck busy, have new ids).
    if (static_cast<int>(before.size()) == n_threads)
        CHECK(std::includes(before.begin(), before.end(), after.begin(), after.end()));
}

// An item that fails with an error does not hide an interrupt of the others: the caller asked
// to stop, and that is what it hears.
static void check_interrupt_wins_over_errors() {
    clear_interrupt();
    bool got_interrupted = false;
    {
        interrupter later(std::chrono::milliseconds(30));
        try {
            parallel_for(4, 4, [&](index_t i) {
                if (i == 1) throw std::invalid_argument("item 1 is bad");
                const auto deadline = clock_type::now() + std::chrono::seconds(10);
                while (clock_type::now() < deadline) check_interrupt();
            });
        } catch (const interrupted&) {
            got_interrupted = true;
        } catch (const std::invalid_argument&) {
        }
    }
    CHECK(got_interrupted);
    clear_interrupt();
    // Without an interrupt the error is reported as before.
    CHECK(throws<std::invalid_argument>([] {
        parallel_for(4, 4, [](index_t i) {
            if (i == 1) throw std::invalid_argument("item 1 is bad");
        });
    }));
}

// run() once undisturbed, then interrupted at several moments (the first before it starts);
// after each, the next undisturbed run gives the same result.
template <class Run>
static void check_restarts(const char* name, Run run) {
    clear_interrupt();
    const auto t0 = clock_type::now();
    const auto reference = run();
    const double once = seconds_since(t0);
    int stopped = 0;
    for (int delay_us : {0, 300, 3000}) {
        {
            interrupter later((std::chrono::microseconds(delay_us)));
            if (delay_us == 0) std::this_thread::sleep_for(std::chrono::milliseconds(1));
            try {
                (void)run();
            } catch (const interrupted&) {
                ++stopped;
            }
        }
        clear_interrupt();
        CHECK(run() == reference);
    }
    CHECK(stopped >= 1);  // at least the one flagged before it started
    std::printf("  %s (%.3f s a run): interrupted %d of 3 times, same result after each\n", name, once, stopped);
}

static std::vector<index_t> flat(const pairs_result& r) {
    std::vector<index_t> v;
    for (std::size_t i = 0; i < r.size(); ++i) v.insert(v.end(), {r.dim[i], r.birth[i], r.death[i]});
    return v;
}

int main() {
    check_flag_and_countdown();
    check_parallel_for_stops(4);
    check_parallel_for_stops(1);
    check_interrupt_wins_over_errors();

    std::mt19937 gen(3);
    std::uniform_real_distribution<double> u;
    auto random_values = [&](std::size_t n) {
        std::vector<double> v(n);
        for (auto& x : v) x = u(gen);
        return v;
    };
    const std::vector<double> img = random_values(256 * 256);
    const std::vector<double> vol = random_values(24 * 24 * 24);
    for (int inner : {1, 2}) {
        check_restarts("cubical 2D V", [&] {
            return flat(cubical_pairs(img.data(), grid_shape{1, 256, 256, 2}, construction::V, 1, false, false, inner));
        });
        check_restarts("cubical 3D V", [&] {
            return flat(cubical_pairs(vol.data(), grid_shape{24, 24, 24, 3}, construction::V, 2, false, false, inner));
        });
        check_restarts("cubical 3D T", [&] {
            return flat(cubical_pairs(vol.data(), grid_shape{24, 24, 24, 3}, construction::T, 2, false, false, inner));
        });
        check_restarts("cubical 3D Freudenthal", [&] {
            return flat(cubical_pairs(vol.data(), grid_shape{12, 24, 24, 3}, construction::freudenthal, 2, false, false,
                                      inner));
        });
    }
    const std::vector<double> cloud = random_values(3 * 100);
    for (int threads : {1, 2}) {
        rips_options opt;
        opt.max_dim = 2;
        opt.n_threads = threads;
        check_restarts("rips", [&] { return rips_points(cloud.data(), 100, 3, opt).rows; });
    }
    // The 2-skeleton of a simplex on 40 vertices: every triangle a column of the reduction.
    const index_t nv = 40;
    std::vector<std::vector<index_t>> given(3);
    for (index_t a = 0; a < nv; ++a)
        for (index_t b = a + 1; b < nv; ++b)
            for (index_t c = b + 1; c < nv; ++c) given[2].insert(given[2].end(), {a, b, c});
    check_restarts("complex", [&] { return build_complex(given, nv).facets; });
    const simplicial_complex K = build_complex(given, nv);
    const std::vector<double> f = random_values(static_cast<std::size_t>(nv));
    check_restarts("lower-star", [&] { return flat(lower_star_pairs(K, f.data(), 1, false, false)); });
    return topolayer_test::check_summary("test_interrupt");
}
