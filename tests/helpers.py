"""Oracles, fixtures and comparison helpers shared by the tests."""

from __future__ import annotations

from types import ModuleType

import numpy as np
import pytest


class oracle(ModuleType):
    """A test-only dependency imported at its first use, inside the test that uses it: a missing
    oracle skips that test alone (``pytest.importorskip``), never a whole module, so the hand
    fixtures and gradient checks beside it still run."""

    def __init__(self, name: str) -> None:
        super().__init__(name)
        self._name = name

    def __getattr__(self, attr: str):
        if attr.startswith("__"):
            raise AttributeError(attr)
        return getattr(pytest.importorskip(self._name), attr)


def examples(n: int) -> int:
    """``max_examples`` for a property test: ``n`` in the default run, the profile's own count
    (thousands) in the fuzzing lane (``HYPOTHESIS_PROFILE=slow``, ``make test-all``)."""
    import os

    if os.environ.get("HYPOTHESIS_PROFILE") == "slow":
        from hypothesis import settings

        return max(n, settings.default.max_examples)
    return n


def noisy_circle(rng, n: int, noise: float = 0.05) -> np.ndarray:
    t = rng.uniform(0, 2 * np.pi, n)
    return np.stack([np.cos(t), np.sin(t)], 1) + noise * rng.standard_normal((n, 2))


def noisy_sphere(rng, n: int, noise: float = 0.02) -> np.ndarray:
    v = rng.standard_normal((n, 3))
    return v / np.linalg.norm(v, axis=1, keepdims=True) + noise * rng.standard_normal((n, 3))


def grid(k: int, jitter: float = 0.0, rng=None) -> np.ndarray:
    """The ``k x k`` integer lattice as ``(k^2, 2)`` points (exact ties), optionally jittered."""
    a = np.arange(k, dtype=np.float64)
    g = np.stack(np.meshgrid(a, a), -1).reshape(-1, 2)
    return g if not jitter else g + jitter * rng.standard_normal(g.shape)


def sorted_rows(a) -> np.ndarray:
    a = np.asarray(a, dtype=np.float64).reshape(-1, 2)
    if len(a) == 0:
        return a
    return a[np.lexsort((a[:, 1], a[:, 0]))]


def canon(a, tol=1e-9) -> np.ndarray:
    """Bars as a sorted (m, 2) float64 array, bars not longer than ``tol`` dropped."""
    a = np.asarray(a, dtype=np.float64).reshape(-1, 2)
    a = a[~(a[:, 1] - a[:, 0] <= tol)]
    r = np.round(a, 7)  # sort on rounded values: ties that differ by an ulp keep one order
    return a[np.lexsort((r[:, 0], r[:, 1]))]


def assert_same_bars(ours, theirs, rtol: float, atol: float) -> None:
    """Same bars up to tolerance, zero-length (up to ``atol``) bars ignored."""
    a, b = canon(ours, atol), canon(theirs, atol)
    assert a.shape == b.shape, f"{len(a)} bars vs {len(b)}"
    np.testing.assert_allclose(a, b, rtol=rtol, atol=atol)


def assert_same_diagram(got, expected, max_dim: int, atol: float = 0.0) -> None:
    """``got``/``expected``: per-dimension (n, 2) arrays (or Diagram / ripser lists)."""
    for k in range(max_dim + 1):
        g, e = sorted_rows(got[k]), sorted_rows(expected[k])
        assert g.shape == e.shape, (
            f"H{k}: {len(g)} bars, expected {len(e)}\n got {g}\n expected {e}"
        )
        np.testing.assert_allclose(g, e, atol=atol, rtol=0, err_msg=f"H{k}")


def gudhi_diagram(simplices, values, max_dim: int) -> list[np.ndarray]:
    """GUDHI SimplexTree persistence over Z2 of the given filtration (zero-length bars dropped)."""
    gudhi = pytest.importorskip("gudhi")

    st = gudhi.SimplexTree()
    for s, v in sorted(zip(simplices, values, strict=True), key=lambda sv: len(sv[0])):
        st.insert(list(s), filtration=float(v))
    st.compute_persistence(homology_coeff_field=2, persistence_dim_max=True)
    out = []
    for k in range(max_dim + 1):
        iv = np.asarray(st.persistence_intervals_in_dimension(k), dtype=np.float64).reshape(-1, 2)
        out.append(iv[iv[:, 1] > iv[:, 0]])
    return out


def random_complex(rng, n_vertices: int | None = None, kind: str | None = None):
    """A random complex as a list of simplices (tuples), closed under faces, and n_vertices.

    Kinds: clique complexes of random graphs, random triangles/tetrahedra, disconnected unions,
    and complexes with isolated vertices."""
    import itertools

    n = int(n_vertices or rng.integers(4, 13))
    kind = kind or rng.choice(["clique", "triangles", "tets", "union"])
    tops: list[tuple[int, ...]] = []
    if kind == "clique":
        p = rng.uniform(0.3, 0.8)
        edges = [e for e in itertools.combinations(range(n), 2) if rng.random() < p]
        adj = {v: set() for v in range(n)}
        for u, v in edges:
            adj[u].add(v)
            adj[v].add(u)
        tops = list(edges)
        for s in itertools.combinations(range(n), 3):
            if all(b in adj[a] for a, b in itertools.combinations(s, 2)):
                tops.append(s)
        for s in itertools.combinations(range(n), 4):
            if all(b in adj[a] for a, b in itertools.combinations(s, 2)):
                tops.append(s)
    elif kind in ("triangles", "tets"):
        width = 3 if kind == "triangles" else 4
        m = int(rng.integers(1, 3 * n))
        tops = [tuple(sorted(rng.choice(n, width, replace=False).tolist())) for _ in range(m)]
        tops += [
            tuple(sorted(rng.choice(n, 2, replace=False).tolist()))
            for _ in range(int(rng.integers(0, n)))
        ]
    else:  # two disjoint pieces
        a, na = random_complex(rng, max(3, n // 2), "triangles")
        b, nb = random_complex(rng, max(3, n - n // 2), "clique")
        return a + [tuple(v + na for v in s) for s in b if len(s) > 1] + [
            (v + na,) for v in range(nb)
        ], na + nb
    closed = set((v,) for v in range(n))
    for s in tops:
        for r in range(1, len(s) + 1):
            closed.update(itertools.combinations(s, r))
    return sorted(closed, key=lambda s: (len(s), s)), n
