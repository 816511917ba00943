"""The reference implementation's examples, README snippets and unit tests, replayed through
``topolayer.compat`` and compared with the values recorded from a build of the reference.

The adapted code lives in ``tests/data/reference/cases.py`` and runs unchanged on both packages
(only the import root differs); ``record.py`` there recorded the reference's outputs once. The
documented differences are part of the comparison: the reference returns every pair (compat's
layers drop zero-length bars, so ``dgm:`` outputs are compared without them), rows come in a
different order (diagrams are compared as multisets), and on tied values the two may pick
different critical cells (``tie:`` gradients).
"""

import importlib.util
import json
import math
from pathlib import Path

import numpy as np
import pytest
import torch

DATA = Path(__file__).parent / "data" / "reference"


def _load_cases():
    spec = importlib.util.spec_from_file_location("_reference_cases", DATA / "cases.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


CASES = _load_cases().CASES
RECORDED = dict(np.load(DATA / "recorded.npz"))
META = json.loads((DATA / "recorded.json").read_text())


def _inputs(case):
    prefix = f"in/{case}/"
    return {k[len(prefix) :]: v for k, v in RECORDED.items() if k.startswith(prefix)}


def _recorded(case):
    prefix = f"{case}/"
    return {k[len(prefix) :]: v for k, v in RECORDED.items() if k.startswith(prefix)}


def _rows(d, drop_zero):
    d = np.asarray(d, dtype=np.float64).reshape(-1, 2)
    if drop_zero:
        d = d[d[:, 0] != d[:, 1]]
    return d[np.lexsort((d[:, 1], d[:, 0]))]


def _same_multiset(ours, ref, drop_zero, what):
    a, b = _rows(ours, drop_zero), _rows(ref, drop_zero)
    assert a.shape == b.shape, f"{what}: {len(a)} bars, the reference {len(b)}\n{a}\n{b}"
    np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6, err_msg=what)


def _tie_invariants(ours, ref, what):
    # On tied values the critical cell is a choice among equal values; any choice moves the same
    # amount of gradient (the sum and the total magnitude), only onto another tied cell.
    np.testing.assert_allclose(ours.sum(), ref.sum(), atol=1e-5, err_msg=what)
    np.testing.assert_allclose(np.abs(ours).sum(), np.abs(ref).sum(), rtol=1e-5, err_msg=what)


def _as_array(v):
    if isinstance(v, torch.Tensor):
        v = v.detach().cpu().numpy()
    return np.asarray(v)


# Cases whose optimisation trajectory is decided by rounding noise, not by the layer: noisy_circle
# starts at the least-squares optimum, where the MSE gradient (about 1e-7) is the BLAS's rounding
# error, and Adam's first step takes the sign of every coordinate of it. Its sign pattern differs
# between CPUs (MKL takes other code paths on AMD than on the Intel CPU of the recording), so
# there the first values must agree exactly and the rest of the trajectory in relative norm.
CHAOTIC = {"noisy_circle": 0.15}


def _same_trajectory(ours, ref, rel, what):
    if ours.ndim == 1:  # a loss per step: the first one is computed before any update
        np.testing.assert_allclose(ours[0], ref[0], rtol=1e-4, atol=1e-5, err_msg=what)
    gap = np.linalg.norm(ours - ref) / np.linalg.norm(ref)
    assert gap <= rel, f"{what}: relative distance {gap:.3f} to the reference's trajectory"


@pytest.mark.parametrize("case", sorted(CASES))
def test_case_agrees_with_recorded_reference(case):
    torch.manual_seed(0)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # as record.py: trajectories depend on the summation order
    try:
        ours = {k: _as_array(v) for k, v in CASES[case]("topolayer.compat", _inputs(case)).items()}
    finally:
        torch.set_num_threads(threads)
    ref = _recorded(case)
    assert sorted(ours) == sorted(ref)
    for key, r in ref.items():
        kind, what = key.split(":", 1)[0], f"{case}/{key}"
        o = ours[key]
        if kind in ("dgm", "all"):
            _same_multiset(o, r, kind == "dgm", what)
        elif kind == "tie":
            _tie_invariants(o, r, what)
        else:
            assert o.shape == r.shape, f"{what}: shape {o.shape}, the reference {r.shape}"
            if o.dtype == bool:
                assert np.array_equal(o, r), what
            elif case in CHAOTIC:
                _same_trajectory(o, r, CHAOTIC[case], what)
            else:
                np.testing.assert_allclose(o, r, rtol=1e-4, atol=1e-5, err_msg=what)


def test_recording_is_small_and_covers_every_case():
    assert (DATA / "recorded.npz").stat().st_size < 1_000_000
    recorded_cases = {k.split("/")[0] for k in RECORDED if not k.startswith("in/")}
    assert recorded_cases == set(CASES)
    assert META["torch"].startswith("2.")


# -- reference code paths that fail there (recorded in recorded.json): topolayer on its own terms


def test_delaunay_complex_on_1d_points_is_the_sorted_path():
    from topolayer.compat.nn.alpha import delaunay_complex

    assert META["probes"]["delaunay_complex_1d_input"]["error"].startswith("NameError")
    K = delaunay_complex(np.array([[0.3], [0.0], [0.9], [0.5]]))
    assert K.simplices(1).tolist() == [[0, 1], [0, 3], [2, 3]]


def test_rips_layer_without_n_runs():
    from topolayer.compat.nn import RipsLayer

    assert META["probes"]["rips_layer_without_n"]["error"].startswith("TypeError")
    (h0,), issub = RipsLayer(maxdim=0)(torch.tensor([[0.0], [1.0], [3.0]]))
    assert issub is True and h0.tolist() == [[0.0, 1.0], [0.0, 2.0], [0.0, math.inf]]


def test_feature_given_one_diagram_names_the_problem():
    from topolayer.compat.nn import LevelSetLayer1D, SumBarcodeLengths

    assert META["probes"]["regression_topfn_one_diagram"]["error"].startswith("IndexError")
    dgms, issub = LevelSetLayer1D(5, False)(torch.tensor([0.0, 2.0, 1.0, 3.0, 0.5]))
    with pytest.raises(TypeError, match="sequence of"):
        SumBarcodeLengths()((dgms[0], issub))


def test_complex_with_two_cycles_gives_both_essential_classes():
    from topolayer.compat import SimplicialComplex
    from topolayer.compat.nn import LevelSetLayer

    assert META["probes"]["two_cycles"]["returncode"] != 0  # the reference crashed here
    s = SimplicialComplex()
    for c in [[0, 1], [1, 2], [0, 2], [3, 4], [4, 5], [3, 5]]:
        s.append(c)
    dgms, _ = LevelSetLayer(s, maxdim=1)(torch.arange(6.0))
    assert dgms[1].tolist() == [[2.0, math.inf], [5.0, math.inf]]
    assert dgms[0].tolist() == [[0.0, math.inf], [3.0, math.inf]]


def test_disconnected_complex_and_float64_input():
    from topolayer.compat import SimplicialComplex
    from topolayer.compat.nn import LevelSetLayer, LevelSetLayer1D

    assert "negative dimension" in META["probes"]["disconnected"]["error"]
    s = SimplicialComplex()
    for c in [[0], [1], [2], [0, 1]]:
        s.append(c)
    dgms, _ = LevelSetLayer(s, maxdim=1)(torch.tensor([0.0, 1.0, 2.0]))
    assert dgms[0].tolist() == [[0.0, math.inf], [2.0, math.inf]] and len(dgms[1]) == 0
    assert "Double" in META["probes"]["float64_input"]["error"]
    f = torch.tensor([0.0, 2.0, 1.0, 3.0], dtype=torch.float64)
    (h0,), _ = LevelSetLayer1D(4)(f)
    assert h0.dtype == torch.float64 and h0.tolist() == [[1.0, 2.0], [0.0, math.inf]]


def test_keep_zero_layers_return_the_reference_rows():
    """With ``keep_zero=True`` the layers return every pair the reference returned (same rows,
    zero-length ones included), so per-sample diagrams stack as they did there."""
    from topolayer.compat.nn import LevelSetLayer, LevelSetLayer1D, RipsLayer
    from topolayer.compat.nn.levelset import init_line_complex

    def check(ours, key):
        _same_multiset(ours, RECORDED[key], False, key)

    for n in (100, 400):
        y = torch.from_numpy(RECORDED[f"in/alg_comparison_1d/y{n}"])
        (h0,), _ = LevelSetLayer1D(n, False, keep_zero=True)(y)
        check(h0, f"alg_comparison_1d/dgm:{n}_hom")
        (h0,), _ = LevelSetLayer(init_line_complex(n), 0, False, keep_zero=True)(y)
        check(h0, f"alg_comparison_1d/dgm:{n}_cohom")
    x = torch.from_numpy(RECORDED["in/readme_rips/x"])
    dgms, _ = RipsLayer(10, maxdim=1, keep_zero=True)(x)
    check(dgms[0], "readme_rips/dgm:h0")
    check(dgms[1], "readme_rips/dgm:h1")
    batch = torch.from_numpy(RECORDED["in/alg_comparison_2d/y16"])
    stacked = torch.stack([LevelSetLayer1D(16, keep_zero=True)(row)[0][0] for row in batch])
    assert stacked.shape == (16, 16, 2)
