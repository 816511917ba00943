"""Ctrl-C (SIGINT) during a long C++ call: KeyboardInterrupt within a fraction of a second, and
the next call unharmed (worker pool, pooled buffers, per-thread workspaces).

The scenarios run in a child process, one after another after one import of torch, and each
reports a JSON line: a signal then never reaches pytest itself, and an implementation that
lets a call run on fails by the child's time limit instead of hanging the suite.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

pytestmark = pytest.mark.skipif(
    not sys.platform.startswith("linux"), reason="sends SIGINT to a process (POSIX signals)"
)

# Seconds from the signal to KeyboardInterrupt; the machines that run the suite may be busy.
MAX_LATENCY = 0.5
CHILD_TIME_LIMIT = 120


def _child() -> None:
    import ctypes
    import os
    import signal
    import threading
    import time

    import numpy as np
    import torch

    import topolayer
    from topolayer import functional as F

    def report(name: str, **fields) -> None:
        print(json.dumps({"name": name, **fields}), flush=True)

    libc = ctypes.CDLL(None, use_errno=True)
    # Python's own handler, as in an interactive session: a child of a background job (a CI
    # runner's, `cmd &`) starts with SIGINT ignored, and Ctrl-C would then never arrive.
    signal.signal(signal.SIGINT, signal.default_int_handler)

    def c_handler() -> int | None:
        """The C-level SIGINT handler (the first field of struct sigaction)."""
        buf = ctypes.create_string_buffer(512)
        if libc.sigaction(signal.SIGINT, None, buf) != 0:
            raise OSError(ctypes.get_errno(), "sigaction")
        return ctypes.c_void_p.from_buffer(buf).value

    def sigint_after(delay: float) -> tuple[threading.Timer, list[float]]:
        sent: list[float] = []

        def fire() -> None:
            sent.append(time.perf_counter())
            os.kill(os.getpid(), signal.SIGINT)

        timer = threading.Timer(delay, fire)
        timer.start()
        return timer, sent

    def interrupt(call, delay: float = 0.3, limit: float = 30.0) -> dict:
        """Runs call() again and again until KeyboardInterrupt; how long after the signal it
        came, how many calls had finished, and whether it came out of a call."""
        timer, sent = sigint_after(delay)
        done = 0
        in_call = False
        start = time.perf_counter()
        try:
            while time.perf_counter() - start < limit:
                in_call = True
                call()
                in_call = False
                done += 1
        except KeyboardInterrupt:
            got = time.perf_counter()
            timer.join()
            return {
                "latency": got - sent[0],
                "sent": sent[0],
                "calls_done": done,
                "in_call": in_call,
            }
        timer.join()
        return {"latency": None, "sent": sent[0], "calls_done": done, "in_call": False}

    def flat(d) -> list:
        parts = [b.detach().numpy() for b in d.bars] + [i.numpy() for i in d.indices]
        if hasattr(d, "batch"):
            parts += [b.numpy() for b in d.batch]
        return parts

    g = torch.Generator().manual_seed(1)
    cloud = torch.rand(300, 2, generator=g)
    images = torch.rand(4, 256, 256, generator=g)
    volume = torch.rand(24, 24, 24, generator=g)
    grid = topolayer.SimplicialComplex.grid_2d(60, 60)
    levels = torch.rand(3, 3600, generator=g)

    def small() -> dict:
        out = {}
        for nt in (1, 2):
            out[f"rips/{nt}"] = flat(F.rips(cloud, 1, n_threads=nt))
            out[f"images/{nt}"] = flat(F.cubical(images, 1, False, "V", n_threads=nt))
            out[f"volume/{nt}"] = flat(F.cubical(volume, 2, False, "V", 3, n_threads=nt))
            out[f"lower_star/{nt}"] = flat(F.lower_star(levels, grid, 1, n_threads=nt))
        return out

    reference = small()

    def unchanged() -> list[str]:
        """The small calls whose diagrams differ from those before any interrupt."""
        now = small()
        return [
            k
            for k in reference
            if len(now[k]) != len(reference[k])
            or not all(np.array_equal(a, b) for a, b in zip(now[k], reference[k], strict=True))
        ]

    handler_before = c_handler()
    big_cloud = torch.rand(3000, 3, generator=g)
    batch = torch.rand(8, 1024, 1024, generator=g)
    big_volume = torch.rand(128, 128, 128, generator=g)
    big_grid = topolayer.SimplicialComplex.grid_2d(300, 300)
    big_levels = torch.rand(32, 90000, generator=g)

    for name, call in [
        # A call meant to run long: past the time guard, which would refuse it before working.
        ("rips", lambda: F.rips(big_cloud, 2, n_threads=2, time_budget=None)),
        ("image_batch", lambda: F.cubical(batch, 1, False, "V", n_threads=2)),
        ("volume", lambda: F.cubical(big_volume, 2, False, "V", 3, n_threads=2)),
        ("volume_one_thread", lambda: F.cubical(big_volume, 2, False, "V", 3, n_threads=1)),
        ("lower_star", lambda: F.lower_star(big_levels, big_grid, 1, n_threads=1)),
    ]:
        report(name, **interrupt(call), changed=unchanged())

    # Two calls at once from two Python threads: the signal stops both (the one outside the
    # main thread raises KeyboardInterrupt itself: Python runs signal handlers in the main
    # thread only).
    side: dict = {}

    def side_call() -> None:
        try:
            F.cubical(big_volume, 2, False, "V", 3, n_threads=1)
            side["raised"] = None
        except BaseException as e:  # the type is what is reported
            side["raised"] = type(e).__name__
        side["at"] = time.perf_counter()

    worker = threading.Thread(target=side_call)
    worker.start()
    time.sleep(0.05)
    main = interrupt(lambda: F.rips(big_cloud, 2, n_threads=1, time_budget=None))
    worker.join(CHILD_TIME_LIMIT)
    report("concurrent", **main, side_raised=side["raised"], side_latency=side["at"] - main["sent"])

    # A handler of the user's own runs; if it does not raise, the call raises KeyboardInterrupt
    # (its result is lost); if it raises, its exception comes out of the call.
    calls: list[int] = []
    signal.signal(signal.SIGINT, lambda s, f: calls.append(s))
    quiet = interrupt(lambda: F.cubical(big_volume, 2, False, "V", 3, n_threads=1), delay=0.2)
    report("quiet_handler", **quiet, handler_calls=len(calls))

    class Stop(Exception):
        pass

    def raising(s, f):
        raise Stop

    signal.signal(signal.SIGINT, raising)
    timer, sent = sigint_after(0.2)
    try:
        F.cubical(big_volume, 2, False, "V", 3, n_threads=1)
        raised = None
    except Stop:
        raised = "Stop"
    latency = time.perf_counter() - sent[0]
    timer.join()
    report("raising_handler", raised=raised, latency=latency)

    # SIGINT ignored: nothing is installed and the call finishes.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    timer, sent = sigint_after(0.1)
    F.cubical(batch[:4], 1, False, "V", n_threads=1)
    end = time.perf_counter()
    timer.join()
    report("ignored", finished=True, signal_during_call=sent[0] < end)
    signal.signal(signal.SIGINT, signal.default_int_handler)

    # Nothing left behind: Python's handler at both levels, and Ctrl-C in plain Python code.
    def spin() -> None:
        end = time.perf_counter() + 5
        while time.perf_counter() < end:
            pass

    plain = interrupt(spin, delay=0.1, limit=5)
    report(
        "after",
        python_handler=signal.getsignal(signal.SIGINT) is signal.default_int_handler,
        c_handler_restored=c_handler() == handler_before,
        plain_latency=plain["latency"],
        changed=unchanged(),
    )


@pytest.fixture(scope="module")
def child() -> dict:
    try:
        proc = subprocess.run(
            [sys.executable, __file__],
            capture_output=True,
            text=True,
            timeout=CHILD_TIME_LIMIT,
        )
        out, err = proc.stdout, proc.stderr
    except subprocess.TimeoutExpired as e:
        out = e.stdout.decode() if isinstance(e.stdout, bytes) else (e.stdout or "")
        err = f"the child ran past {CHILD_TIME_LIMIT} s: a call went on after SIGINT"
    found = {}
    for line in out.splitlines():
        if line.startswith("{"):
            d = json.loads(line)
            found[d["name"]] = d
    found["_stderr"] = err
    return found


def _scenario(child: dict, name: str) -> dict:
    if name not in child:
        pytest.fail(f"the child reported no {name!r} scenario; its stderr:\n{child['_stderr']}")
    return child[name]


@pytest.mark.parametrize(
    "name", ["rips", "image_batch", "volume", "volume_one_thread", "lower_star"]
)
def test_long_call_raises_keyboard_interrupt_promptly(child, name):
    r = _scenario(child, name)
    assert r["latency"] is not None, "never interrupted"
    assert r["in_call"], "the signal came between calls: the call is too short to test"
    assert r["latency"] < MAX_LATENCY


@pytest.mark.parametrize(
    "name", ["rips", "image_batch", "volume", "volume_one_thread", "lower_star", "after"]
)
def test_next_calls_identical_after_interrupt(child, name):
    # Small Rips, image, volume and lower-star calls with n_threads 1 and 2, before and after.
    assert _scenario(child, name)["changed"] == []


def test_concurrent_calls_all_stop(child):
    r = _scenario(child, "concurrent")
    assert r["latency"] is not None and r["latency"] < MAX_LATENCY
    assert r["side_raised"] == "KeyboardInterrupt" and r["side_latency"] < MAX_LATENCY


def test_user_handler_runs_and_call_raises(child):
    r = _scenario(child, "quiet_handler")
    assert r["latency"] is not None and r["latency"] < MAX_LATENCY
    assert r["handler_calls"] == 1
    r = _scenario(child, "raising_handler")
    assert r["raised"] == "Stop" and r["latency"] < MAX_LATENCY


def test_ignored_sigint_lets_call_finish(child):
    r = _scenario(child, "ignored")
    assert r["finished"] and r["signal_during_call"]


def test_no_handler_left_behind(child):
    r = _scenario(child, "after")
    assert r["python_handler"]
    assert r["c_handler_restored"]
    assert r["plain_latency"] is not None and r["plain_latency"] < MAX_LATENCY


if __name__ == "__main__":
    _child()
