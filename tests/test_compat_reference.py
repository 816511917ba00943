"""The reference implementation's ``nn.features`` helpers through topolayer.compat."""

import torch

from topolayer.compat.nn import features

INF = float("inf")


def test_start_end_swaps_for_superlevel():
    d = torch.tensor([[3.0, 1.0], [2.0, -INF]])
    s, e = features.get_start_end(d, False)
    assert s.tolist() == [1.0, -INF] and e.tolist() == [3.0, 2.0]
    assert features.get_raw_barcode_lengths(d, False).tolist() == [2.0, INF]


def test_lengths_zero_infinite_and_keep_gradient():
    d = torch.tensor([[0.0, 2.0], [1.0, INF], [0.5, 0.5]], requires_grad=True)
    lengths = features.get_barcode_lengths(d, True)
    assert lengths.tolist() == [2.0, 0.0, 0.0]
    lengths.sum().backward()
    assert d.grad.tolist() == [[-1.0, 1.0], [0.0, 0.0], [-1.0, 1.0]]
    lm = features.get_barcode_lengths_means(d.detach(), True)
    assert lm[0].tolist() == [2.0, 0.0, 0.0] and lm[1].tolist() == [1.0, 0.0, 0.5]


def test_pad_k_and_remove_zero_bars():
    assert features.pad_k(torch.tensor([3.0, 2.0, 1.0]), 2).tolist() == [3.0, 2.0]
    assert features.pad_k(torch.tensor([3.0]), 3, -1.0).tolist() == [3.0, -1.0, -1.0]
    d = torch.tensor([[1.0, 1.0], [0.0, 2.0]])
    assert features.remove_zero_bars(d).tolist() == [[0.0, 2.0]]


def test_level_set_layers_accept_reference_inputs():
    import topolayer
    from topolayer.compat.nn import LevelSetLayer, LevelSetLayer1D

    f = torch.tensor([0.0, 2.0, 1.0, 3.0, 3.0])
    (a,), _ = LevelSetLayer1D(5)(f)
    (b,), _ = LevelSetLayer1D(5)(f.reshape(-1, 1))
    assert torch.equal(a, b) and a.tolist() == [[1.0, 2.0], [0.0, INF]]
    # keep_zero: one row per vertex, as the reference returned (so torch.stack works)
    (z,), _ = LevelSetLayer1D(5, keep_zero=True)(f)
    assert len(z) == 5 and (z[:, 0] == z[:, 1]).sum() == 3
    K = topolayer.SimplicialComplex([(0, 1, 2)])
    dgms, _ = LevelSetLayer(K, False)(torch.tensor([0.0, 1.0, 2.0]))
    assert len(dgms) == 1
    assert len(LevelSetLayer(K, True)(torch.tensor([0.0, 1.0, 2.0]))[0]) == 2


def test_alpha_1d_readme_case_and_gradient():
    from topolayer.compat.nn import AlphaLayer

    x = torch.tensor([[0.0], [3.0], [1.0], [1.0]], requires_grad=True)
    (h0,), issub = AlphaLayer(maxdim=0)(x)
    assert issub is True and h0.tolist() == [[0.0, 1.0], [0.0, 2.0], [0.0, INF]]
    h0[:-1, 1].sum().backward()
    # the finite bars add up to max - min; the tied pair's gradients cancel
    g = x.grad[:, 0].tolist()
    assert g[0] == -1.0 and g[1] == 1.0 and g[2] + g[3] == 0.0
    (z,), _ = AlphaLayer(0, keep_zero=True)(x.detach())
    assert len(z) == 4
