"""The host's own 2-thread scaling, as a yardstick for topolayer's: a compute-bound loop and a
pointer chase over a private buffer per thread, which waits on memory as the union-find passes
of the cubical and segmentation ops do. On a machine whose cores share nothing, both scale about
2x; on a shared host the chase often does not, and no code of ours can do better than it.

Each sample times two units of work on one thread, one after the other, then one unit on each
of two threads (each unit a few milliseconds, its data its own); printed are the tenth
percentile, the median and the ninetieth percentile of the samples' speed-ups. Needs a C++
compiler (``c++``, as the build does).

    python benchmarks/bench_host.py [--samples 200] [--chase-kb 1024,4096]
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import tempfile
from pathlib import Path

SOURCE = r"""
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <numeric>
#include <random>
#include <thread>
#include <vector>

using clk = std::chrono::steady_clock;

// eight independent multiply-add chains: bound by the floating-point units alone
static double compute(long n) {
    double a[8] = {1, 1, 1, 1, 1, 1, 1, 1};
    for (long i = 0; i < n; ++i)
        for (double& x : a) x = x * 0.9999999 + 1e-7;
    return a[0] + a[1] + a[2] + a[3] + a[4] + a[5] + a[6] + a[7];
}

// one cycle through a random permutation: every load waits on the one before
struct chase {
    std::vector<unsigned> next;
    chase(std::size_t n, unsigned seed) : next(n) {
        std::vector<unsigned> p(n);
        std::iota(p.begin(), p.end(), 0u);
        std::shuffle(p.begin(), p.end(), std::mt19937(seed));
        for (std::size_t i = 0; i < n; ++i) next[p[i]] = p[(i + 1) % n];
    }
    double run(long steps) const {
        unsigned x = 0;
        for (long i = 0; i < steps; ++i) x = next[x];
        return x;
    }
};

template <class F>
static void measure(const char* name, int samples, F unit_a, F unit_b) {
    std::vector<double> r;
    volatile double sink = 0;
    for (int s = 0; s < samples; ++s) {
        auto t = clk::now();
        sink = sink + unit_a() + unit_b();
        const double one = std::chrono::duration<double>(clk::now() - t).count();
        t = clk::now();
        double b = 0;
        std::thread other([&] { b = unit_b(); });
        const double a = unit_a();
        other.join();
        sink = sink + a + b;
        r.push_back(one / std::chrono::duration<double>(clk::now() - t).count());
    }
    std::sort(r.begin(), r.end());
    const std::size_t n = r.size();
    std::printf("%-26s p10 %.2fx  median %.2fx  p90 %.2fx\n", name, r[n / 10], r[n / 2], r[n - 1 - n / 10]);
}

int main(int argc, char** argv) {
    const int samples = std::atoi(argv[1]);
    const long n = 2000000;
    measure("compute", samples, std::function<double()>([&] { return compute(n); }),
            std::function<double()>([&] { return compute(n); }));
    for (int i = 2; i < argc; ++i) {
        const std::size_t kb = std::strtoul(argv[i], nullptr, 10);
        const chase a(kb * 256, 1), b(kb * 256, 2);
        char name[64];
        std::snprintf(name, sizeof name, "pointer chase, %zu KB", kb);
        measure(name, samples, std::function<double()>([&] { return a.run(100000); }),
                std::function<double()>([&] { return b.run(100000); }));
    }
}
"""


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--samples", type=int, default=200)
    ap.add_argument("--chase-kb", default="1024,4096", help="buffer per thread, comma-separated")
    args = ap.parse_args()
    compiler = shutil.which("c++") or shutil.which("g++") or shutil.which("clang++")
    if compiler is None:
        raise SystemExit("bench_host needs a C++ compiler (c++, g++ or clang++) on PATH")
    sizes = [str(int(k)) for k in args.chase_kb.split(",") if k.strip()]
    with tempfile.TemporaryDirectory() as tmp:
        src, exe = Path(tmp) / "host.cpp", Path(tmp) / "host"
        src.write_text(SOURCE)
        subprocess.run(
            [compiler, "-O2", "-std=c++17", "-pthread", str(src), "-o", str(exe)], check=True
        )
        print("2 threads against 1 on the same work (> 1: faster)", flush=True)
        subprocess.run([str(exe), str(args.samples), *sizes], check=True)


if __name__ == "__main__":
    main()
