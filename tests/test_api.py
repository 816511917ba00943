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


@pytest.mark.parametrize("layer", [F.rips, F.alpha])
def test_point_clouds_as_arrays_and_nested_lists_equal_tensors(layer):
    p = np.random.default_rng(3).random((15, 2))
    for x, same in ((p, torch.tensor(p)), (p.tolist(), torch.tensor(p.tolist())), ([p, p], None)):
        want = layer(same if same is not None else torch.tensor(p), max_dim=1)
        got = layer(x, max_dim=1)
        for k in range(2):
            item = got[1][k] if isinstance(got, topolayer.DiagramBatch) else got[k]
            assert torch.equal(item, want[k])


@pytest.mark.parametrize("name", list(_calls()))
def test_sparse_and_meta_inputs_are_clear_errors(name):
    x = {"cubical": torch.rand(6, 6), "lower_star": torch.rand(5)}.get(name)
    x = x if x is not None else torch.rand(12, 2)
    if name == "filtration":
        x = torch.arange(len(PATH)).double()
    call = {
        "cubical": lambda x: F.cubical(x),
        "lower_star": lambda x: F.lower_star(x, PATH),
        "filtration": lambda x: F.filtration(x, PATH),
        "rips": lambda x: F.rips(x),
        "alpha": lambda x: F.alpha(x),
    }[name]
    with pytest.raises(TypeError, match="to_dense"):
        call(x.to_sparse())
    with pytest.raises(ValueError, match="meta device"):
        call(x.to("meta"))


def test_hand_built_diagrams_are_checked():
    with pytest.raises(TypeError, match="sequence of"):
        topolayer.Diagram(5)
    with pytest.raises(ValueError, match=r"bars\[0\] must have shape \(n, 2\)"):
        topolayer.Diagram([torch.rand(3)])
    with pytest.raises(ValueError, match="one row per bar"):
        topolayer.Diagram([torch.rand(3, 2)], [torch.zeros(2, 2, dtype=torch.int64)])
    with pytest.raises(ValueError, match="item ids outside"):
        topolayer.DiagramBatch([torch.rand(3, 2)], [torch.tensor([0, 5, 0])], 2)
    with pytest.raises(ValueError, match="batch_shape"):
        topolayer.DiagramBatch([torch.rand(1, 2)], [torch.tensor([0])], 2, batch_shape=(3,))


def test_diagram_indexing_names_the_range():
    d = topolayer.Diagram([torch.rand(3, 2), torch.rand(1, 2)])
    with pytest.raises(IndexError, match=r"holds H0..H1"):
        d[5]
    assert torch.equal(d[-1], d[1])
    b = topolayer.DiagramBatch([torch.rand(3, 2)], [torch.zeros(3, dtype=torch.int64)], 1)
    with pytest.raises(IndexError, match="holds H0..H0"):
        b.to_padded(-1)
    with pytest.raises(ValueError, match="n must be"):
        b.to_padded(0, n=-1)
    with pytest.raises(TypeError, match="batch index"):
        b["a"]
