"""One argument vocabulary across the filtration kinds: the same bad argument fails the same way
in every functional layer and in every nn module's constructor, and the reference-style point
cloud layers keep a batch's clouds apart."""

import numpy as np
import pytest
import torch

import topolayer
from topolayer import functional as F
from topolayer import nn

PATH = topolayer.SimplicialComplex.path(5)


def _calls():
    """(name, call(**overrides)) for every functional layer, on a small valid input."""
    x2 = torch.rand(6, 6)
    pts = torch.rand(12, 2)
    return {
        "cubical": lambda **kw: F.cubical(x2, **kw),
        "lower_star": lambda **kw: F.lower_star(torch.rand(5), PATH, **kw),
        "filtration": lambda **kw: F.filtration(torch.arange(len(PATH)).double(), PATH, **kw),
        "rips": lambda **kw: F.rips(pts, **kw),
        "alpha": lambda **kw: F.alpha(pts, **kw),
    }


def _modules():
    """(name, constructor(**overrides)) for every nn persistence module."""
    return {
        "CubicalLayer": lambda **kw: nn.CubicalLayer(**kw),
        "LowerStar": lambda **kw: nn.LowerStar(PATH, **kw),
        "VietorisRips": lambda **kw: nn.VietorisRips(**kw),
        "Alpha": lambda **kw: nn.Alpha(**kw),
    }


@pytest.mark.parametrize("name", list(_calls()))
@pytest.mark.parametrize("bad", [1.0, "1", True, None])
def test_max_dim_of_wrong_type_is_the_same_type_error_everywhere(name, bad):
    with pytest.raises(TypeError, match="max_dim must be an int"):
        _calls()[name](max_dim=bad)


@pytest.mark.parametrize("name", list(_calls()))
def test_negative_max_dim_is_a_value_error_everywhere(name):
    with pytest.raises(ValueError, match="max_dim must be"):
        _calls()[name](max_dim=-1)


@pytest.mark.parametrize("name", [n for n in _calls() if n != "alpha"])
@pytest.mark.parametrize("bad, error", [("2", TypeError), (2.0, TypeError), (0, ValueError)])
def test_n_threads_is_checked_everywhere(name, bad, error):
    with pytest.raises(error, match="n_threads"):
        _calls()[name](n_threads=bad)


@pytest.mark.parametrize("name", list(_calls()))
def test_keep_zero_must_be_a_bool(name):
    with pytest.raises(TypeError, match="keep_zero must be a bool"):
        _calls()[name](keep_zero="yes")


def test_numpy_integers_are_accepted_as_ints():
    d = F.cubical(torch.rand(5, 5), max_dim=np.int64(0), n_threads=np.int32(1))
    assert d.max_dim == 0


@pytest.mark.parametrize("name", list(_modules()))
def test_modules_validate_in_init(name):
    with pytest.raises(TypeError, match="max_dim must be an int"):
        _modules()[name](max_dim=1.0)
    with pytest.raises(ValueError, match="max_dim must be"):
        _modules()[name](max_dim=-2)


@pytest.mark.parametrize(
    "build, match",
    [
        (lambda: nn.CubicalLayer(construction="X"), "construction"),
        (lambda: nn.CubicalLayer(n_threads="2"), "n_threads"),
        (lambda: nn.VietorisRips(metric="cosine"), "metric"),
        (lambda: nn.VietorisRips(threshold="1"), "threshold"),
        (lambda: nn.RipsLayer(maxdim=1.5), "max_dim"),
        (lambda: nn.LevelSetLayer(PATH, maxdim="1"), "maxdim"),
        (lambda: nn.LevelSetLayer1D(0), "size"),
        (lambda: nn.LevelSetLayer2D((4, 4), maxdim=-1), "maxdim"),
        (lambda: nn.LowerStar("not a complex"), "complex"),
    ],
)
def test_reference_and_modern_modules_name_the_bad_argument(build, match):
    with pytest.raises((TypeError, ValueError), match=match):
        build()


def test_rips_method_is_a_named_choice():
    with pytest.raises(ValueError, match="method must be one of"):
        F.rips(torch.rand(10, 2), method=1)


@pytest.mark.parametrize("layer", [nn.RipsLayer(maxdim=1), nn.AlphaLayer(maxdim=1)])
def test_reference_point_cloud_layers_keep_a_batch_apart(layer):
    g = torch.Generator().manual_seed(0)
    x = torch.rand(3, 20, 2, generator=g)
    dgms, issublevel = layer(x)
    assert issublevel is True
    assert isinstance(dgms, topolayer.DiagramBatch) and dgms.batch_size == 3
    assert torch.equal(dgms.counts(0), torch.tensor([20, 20, 20]))
    for i in range(3):
        single, _ = layer(x[i])
        assert isinstance(single, tuple)
        for k in range(2):
            assert torch.equal(dgms[i][k], single[k])
