"""Topological autoencoder losses: the signature loss equals torch-topological's
SignatureLoss on the same minibatches, has the right gradients and trains a small autoencoder;
the summary-statistic loss."""

from __future__ import annotations

import pytest
import torch
from helpers import oracle

from topolayer import Diagram, losses
from topolayer.losses import signature_loss, summary_statistic_loss
from topolayer.nn import SignatureLoss, SummaryStatisticLoss

tt_nn = oracle("torch_topological.nn")


@pytest.mark.parametrize("dims", [0, 1, (0, 1)])
@pytest.mark.parametrize("p", [1.0, 2.0])
@pytest.mark.parametrize("normalise", [True, False])
def test_signature_loss_equals_torch_topological(dims, p, normalise):
    g = torch.Generator().manual_seed(11)
    x = torch.rand(40, 5, generator=g, dtype=torch.float64)
    z = torch.rand(40, 2, generator=g, dtype=torch.float64)
    top = dims if isinstance(dims, int) else max(dims)
    vr = tt_nn.VietorisRipsComplex(dim=top)
    want = tt_nn.SignatureLoss(p=p, normalise=normalise, dimensions=dims)((x, vr(x)), (z, vr(z)))
    got = signature_loss(x, z, dims, p, normalise)
    assert float(got) == pytest.approx(float(want), rel=1e-12)


def test_signature_loss_is_zero_on_an_isometry_and_batched_equals_a_loop():
    g = torch.Generator().manual_seed(3)
    x = torch.rand(3, 25, 4, generator=g, dtype=torch.float64)
    q, _ = torch.linalg.qr(torch.rand(4, 4, generator=g, dtype=torch.float64))
    assert torch.allclose(
        signature_loss(x, x @ q, (0, 1)), torch.zeros(3, dtype=torch.float64), atol=1e-12
    )
    z = torch.rand(3, 25, 2, generator=g, dtype=torch.float64)
    batched = signature_loss(x, z, (0, 1))
    assert torch.allclose(
        batched, torch.stack([signature_loss(a, b, (0, 1)) for a, b in zip(x, z, strict=True)])
    )


def test_signature_loss_gradcheck():
    g = torch.Generator().manual_seed(5)
    x = torch.rand(12, 3, generator=g, dtype=torch.float64, requires_grad=True)
    z = torch.rand(12, 2, generator=g, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(lambda a, b: signature_loss(a, b, (0, 1)), (x, z))


def test_signature_loss_trains_an_encoder_to_keep_the_topology():
    # An ellipse lying in a random plane of R^3; a linear encoder to R^2 trained on the
    # signature loss alone finds a map that keeps the pairing's edge lengths (up to scale).
    g = torch.Generator().manual_seed(0)
    t = torch.rand(64, generator=g) * 6.283
    q, _ = torch.linalg.qr(torch.randn(3, 3, generator=g))
    x = torch.stack([t.cos(), 0.5 * t.sin(), torch.zeros(64)], 1) @ q
    torch.manual_seed(0)
    enc = torch.nn.Linear(3, 2)
    opt = torch.optim.Adam(enc.parameters(), lr=0.02)
    crit = SignatureLoss()
    first = float(crit(x, enc(x)).detach())
    for _ in range(200):
        loss = crit(x, enc(x))
        opt.zero_grad()
        loss.backward()
        opt.step()
    assert float(crit(x, enc(x)).detach()) < 0.05 * first


def test_summary_statistic_loss():
    d = Diagram([torch.tensor([[0.0, 1.0]]), torch.tensor([[0.0, 2.0], [1.0, 1.5]])])
    t = Diagram([torch.tensor([[0.0, 0.5]]), torch.tensor([[0.0, 1.0]])])
    tp = lambda x: sum(float(losses.total_persistence(x, k)) for k in (0, 1))  # noqa: E731
    assert float(summary_statistic_loss(d, t, p=2.0)) == pytest.approx((tp(d) - tp(t)) ** 2)
    assert float(SummaryStatisticLoss("sum_barcode_lengths", dims=1)(d)) == pytest.approx(2.5)
    with pytest.raises(ValueError, match="statistic must be one of"):
        summary_statistic_loss(d, statistic="entropy")
