"""Diagram and DiagramBatch: every public method on hand-made diagrams."""

import math

import numpy as np
import pytest
import torch

from topolayer import Diagram, DiagramBatch

INF = math.inf


@pytest.fixture
def dgm():
    """H0: two finite bars and one essential; H1: one bar."""
    bars = [torch.tensor([[0.0, 1.0], [0.5, 2.0], [0.0, INF]]), torch.tensor([[1.0, 3.0]])]
    idx = [torch.tensor([[0, 4], [2, 5], [1, -1]]), torch.tensor([[6, 7]])]
    return Diagram(bars, idx)


@pytest.fixture
def batch():
    """Three items; item 1 has no H0 bar; H1 only in item 2."""
    bars = [
        torch.tensor([[0.0, 1.0], [0.0, INF], [0.2, 0.3], [0.1, INF], [0.4, 0.9]]),
        torch.tensor([[1.0, 2.0]]),
    ]
    batch = [torch.tensor([0, 0, 2, 2, 2]), torch.tensor([2])]
    idx = [torch.arange(10).reshape(5, 2), torch.tensor([[3, 4]])]
    return DiagramBatch(bars, batch, 3, idx)


class TestDiagram:
    def test_container_protocol(self, dgm):
        assert dgm.max_dim == 1 and len(dgm) == 2
        assert torch.equal(dgm[1], torch.tensor([[1.0, 3.0]]))
        assert [len(b) for b in dgm] == [3, 1]
        assert repr(dgm) == "Diagram(H0: 3, H1: 1; sublevel)"

    def test_essential_mask_finite_and_lengths(self, dgm):
        assert dgm.essential_mask(0).tolist() == [False, False, True]
        assert torch.equal(dgm.finite(0), torch.tensor([[0.0, 1.0], [0.5, 2.0]]))
        assert dgm.lengths(0).tolist() == [1.0, 1.5, INF]

    def test_superlevel_lengths_are_positive(self):
        d = Diagram([torch.tensor([[3.0, 1.0], [2.0, -INF]])], superlevel=True)
        assert d.lengths(0).tolist() == [2.0, INF]
        assert d.essential_mask(0).tolist() == [False, True]
        assert "superlevel" in repr(d)

    def test_detach_keeps_values_and_drops_the_graph(self, dgm):
        x = torch.tensor([[0.0, 1.0]], requires_grad=True)
        d = Diagram([x * 2])
        assert d[0].requires_grad and not d.detach()[0].requires_grad
        assert torch.equal(d.detach()[0], torch.tensor([[0.0, 2.0]]))

    def test_to_ripser_and_to_gudhi(self, dgm):
        r = dgm.to_ripser()
        assert [a.dtype for a in r] == [np.float64, np.float64]
        np.testing.assert_array_equal(r[0], [[0.0, 1.0], [0.5, 2.0], [0.0, INF]])
        assert dgm.to_gudhi() == [
            (0, (0.0, 1.0)),
            (0, (0.5, 2.0)),
            (0, (0.0, INF)),
            (1, (1.0, 3.0)),
        ]

    def test_to_casts_bars_and_moves_indices(self, dgm):
        d = dgm.to(torch.float64)
        assert d[0].dtype == torch.float64 and d.indices[0].dtype == torch.int64
        assert torch.equal(d.indices[1], dgm.indices[1])


class TestDiagramBatch:
    def test_items_are_their_own_diagrams(self, batch):
        assert len(batch) == 3 and batch.max_dim == 1 and batch.batch_shape == (3,)
        assert torch.equal(batch[0][0], torch.tensor([[0.0, 1.0], [0.0, INF]]))
        assert batch[1][0].shape == (0, 2) and batch[1][1].shape == (0, 2)
        assert torch.equal(batch[2][1], torch.tensor([[1.0, 2.0]]))
        assert torch.equal(batch[-1].indices[0], torch.tensor([[4, 5], [6, 7], [8, 9]]))
        assert [len(d[0]) for d in batch] == [2, 0, 3]

    def test_index_out_of_range_is_an_index_error(self, batch):
        with pytest.raises(IndexError, match="out of range"):
            batch[3]
        with pytest.raises(IndexError):
            batch[-4]

    def test_counts(self, batch):
        assert batch.counts(0).tolist() == [2, 0, 3]
        assert batch.counts(1).tolist() == [0, 0, 1]

    def test_to_padded_with_mask(self, batch):
        out, mask = batch.to_padded(0, fill=-1.0)
        assert out.shape == (3, 3, 2)
        assert mask.tolist() == [[True, True, False], [False] * 3, [True] * 3]
        assert out[0, 2].tolist() == [-1.0, -1.0]
        assert torch.equal(out[2], batch[2][0])

    def test_to_padded_truncates_to_n(self, batch):
        out, mask = batch.to_padded(0, n=1)
        assert out.shape == (3, 1, 2)
        assert torch.equal(out[:, 0], torch.tensor([[0.0, 1.0], [0.0, 0.0], [0.2, 0.3]]))
        assert mask[:, 0].tolist() == [True, False, True]

    def test_to_padded_is_differentiable(self):
        x = torch.tensor([[0.0, 1.0], [0.5, 2.0]], requires_grad=True)
        b = DiagramBatch([x], [torch.tensor([1, 1])], 2)
        out, _ = b.to_padded(0)
        out.sum().backward()
        assert torch.equal(x.grad, torch.ones(2, 2))

    def test_to_ripser_per_item(self, batch):
        r = batch.to_ripser()
        assert len(r) == 3 and r[1][0].shape == (0, 2)
        np.testing.assert_array_equal(r[2][1], [[1.0, 2.0]])

    def test_detach_keeps_batch_shape(self):
        x = torch.zeros(4, 2, requires_grad=True)
        b = DiagramBatch([x + 1], [torch.tensor([0, 1, 2, 3])], 4, batch_shape=(2, 2))
        d = b.detach()
        assert d.batch_shape == (2, 2) and not d[0][0].requires_grad
        assert "batch_size=4" in repr(d)
