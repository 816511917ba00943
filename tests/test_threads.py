"""The C++ worker pool: results independent of how calls reach it (one after another, from
concurrent Python threads, from a forked child process)."""

from __future__ import annotations

import multiprocessing as mp
import os
import sys
import threading
import warnings

import numpy as np
import pytest
import torch

from topolayer.functional.cubical import cubical
from topolayer.functional.rips import rips


def _indices(d):
    return [t.tolist() for t in d.indices] + [t.tolist() for t in d.batch]


def test_repeated_calls_identical(rng):
    x = torch.as_tensor(rng.random((40, 12, 11)))
    ref = _indices(cubical(x, 1, construction="V", n_threads=1))
    for _ in range(5):
        assert _indices(cubical(x, 1, construction="V", n_threads=2)) == ref


def test_concurrent_python_threads_identical(rng):
    # The GIL is released in C++: two calls at once, one on the pool, one on its own threads.
    xs = [torch.as_tensor(rng.random((30, 10, 9))) for _ in range(4)]
    want = [_indices(cubical(x, 1, construction="T", n_threads=1)) for x in xs]
    got: dict[int, list] = {}

    def work(i):
        for _ in range(3):
            got[i] = _indices(cubical(xs[i], 1, construction="T", n_threads=2))

    threads = [threading.Thread(target=work, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert [got[i] for i in range(4)] == want


def _child(queue):
    x = torch.as_tensor(np.random.default_rng(1).random((20, 9, 9)))
    d = cubical(x, 1, construction="V", n_threads=2)
    p = rips(torch.as_tensor(np.random.default_rng(2).random((3, 15, 2))), 1, n_threads=2)
    queue.put((_indices(d), _indices(p), [b.tolist() for b in p.bars]))


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="fork() start method: Linux")
def test_forked_child_gets_its_own_pool():
    # The parent's pool threads do not exist in a child made by fork() (DataLoader workers):
    # the child must make its own pool, not wait on the parent's forever.
    x = torch.as_tensor(np.random.default_rng(1).random((20, 9, 9)))
    want = _indices(cubical(x, 1, construction="V", n_threads=2))  # the parent's pool exists
    p = rips(torch.as_tensor(np.random.default_rng(2).random((3, 15, 2))), 1, n_threads=2)
    ctx = mp.get_context("fork")
    queue = ctx.Queue()
    child = ctx.Process(target=_child, args=(queue,), daemon=True)
    child.start()
    child.join(timeout=60)
    if child.is_alive():
        child.kill()
        pytest.fail("the forked child hangs (it waits on the parent's pool threads)")
    assert child.exitcode == 0
    got, got_rips, got_bars = queue.get(timeout=5)
    assert got == want
    assert got_rips == _indices(p)
    assert got_bars == [b.tolist() for b in p.bars]


def _child_after_busy_fork(queue):
    # As a DataLoader worker does: torch's own OpenMP pool cannot be used in a child forked
    # while another thread was inside an OpenMP region (a libgomp limitation, not ours).
    torch.set_num_threads(1)
    x = torch.as_tensor(np.random.default_rng(4).random((16, 64, 64)))
    d = cubical(x, 1, construction="T", n_threads=2)
    queue.put(_indices(d))


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="fork() start method: Linux")
def test_fork_while_another_thread_is_inside_a_call():
    # A fork in the middle of another thread's call copies the pools' locks in whatever state
    # they are; the child must not wait on them (it makes its own pools).
    x = torch.as_tensor(np.random.default_rng(4).random((16, 64, 64)))
    want = _indices(cubical(x, 1, construction="T", n_threads=2))
    busy = torch.as_tensor(np.random.default_rng(5).random((64, 128, 128)))
    stop = threading.Event()

    def work():
        while not stop.is_set():
            cubical(busy, 1, construction="V", n_threads=2)

    t = threading.Thread(target=work)
    t.start()
    try:
        ctx = mp.get_context("fork")
        for _ in range(3):
            queue = ctx.Queue()
            child = ctx.Process(target=_child_after_busy_fork, args=(queue,), daemon=True)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", DeprecationWarning)  # fork of a threaded process
                child.start()
            try:  # read before join: a child cannot exit while its result fills the pipe
                got = queue.get(timeout=60)
            except Exception:
                child.kill()
                pytest.fail("a child forked while another thread was inside a call hangs")
            child.join(timeout=60)
            assert child.exitcode == 0
            assert got == want
    finally:
        stop.set()
        t.join()


@pytest.mark.skipif(not hasattr(os, "fork"), reason="os.fork")
def test_plain_fork_after_openmp_batches():
    # Not through multiprocessing (which tells the module it runs in a child): the core itself
    # must see that its OpenMP pool belongs to the parent and use threads of its own.
    x = torch.as_tensor(np.random.default_rng(6).random((12, 20, 20)))
    want = _indices(cubical(x, 1, construction="V", n_threads=2))
    r, w = os.pipe()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # fork of a threaded process
        pid = os.fork()
    if pid == 0:  # pragma: no cover - the child
        code = 1
        try:
            got = _indices(cubical(x, 1, construction="V", n_threads=2))
            code = 0 if got == want else 3
        finally:
            os.write(w, bytes([code]))
            os._exit(code)
    os.close(w)
    import select

    ready, _, _ = select.select([r], [], [], 60)
    if not ready:
        os.kill(pid, 9)
        os.waitpid(pid, 0)
        pytest.fail("a child of a plain fork() hangs in a threaded batch")
    assert os.read(r, 1) == b"\x00"
    os.close(r)
    assert os.waitpid(pid, 0)[1] == 0


def test_build_uses_openmp_on_linux_gcc():
    import topolayer

    info = topolayer._core.build_info()
    if sys.platform.startswith("linux") and info["compiler"].startswith("gcc"):
        assert info["openmp"]


def _thread_ticks() -> dict[str, int]:
    base = f"/proc/{os.getpid()}/task"
    out = {}
    for t in os.listdir(base):
        with open(f"{base}/{t}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        out[t] = int(fields[11]) + int(fields[12])  # utime + stime
    return out


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc/<pid>/task")
def test_dynamic_openmp_teams_do_not_shrink_a_batch(rng):
    # OpenCV turns on dynamic OpenMP teams in the shared runtime, which then sizes teams by the
    # load average: a batch asked to run on 2 threads must still use 2.
    import ctypes
    import ctypes.util

    import topolayer

    if not topolayer._core.build_info().get("openmp"):
        pytest.skip("built without OpenMP")
    lib = os.path.join(os.path.dirname(torch.__file__), "lib", "libgomp.so.1")
    if not os.path.exists(lib):
        pytest.skip("torch does not ship libgomp")
    gomp = ctypes.CDLL(lib)
    x = torch.as_tensor(rng.random((400, 64, 64)))
    dynamic = gomp.omp_get_dynamic()
    gomp.omp_set_dynamic(1)
    try:
        before = _thread_ticks()
        cubical(x, 1, construction="T", n_threads=2)
        after = _thread_ticks()
        assert gomp.omp_get_dynamic() == 1  # the caller's setting is left as it was
    finally:
        gomp.omp_set_dynamic(dynamic)
    busy = [t for t in after if after[t] - before.get(t, 0) >= 2]
    assert len(busy) >= 2


def _rss_mib() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc/self/statm")
def test_repeated_calls_do_not_grow_memory(rng):
    imgs = [torch.as_tensor(rng.random((32, 28, 28))) for _ in range(4)]
    clouds = [torch.as_tensor(rng.random((3, 150, 2))) for _ in range(4)]

    def calls(n):
        for i in range(n):
            x = imgs[i % 4].requires_grad_()
            d = cubical(x, 1, construction="V")
            d.bars[0][:, 0].sum().backward()
            x.grad = None
            rips(clouds[i % 4], 1)

    calls(40)  # warm: pools, caches, allocator
    before = _rss_mib()
    calls(400)
    assert _rss_mib() - before < 20
