"""Diagrams in every form users hold: ripser.py/persim lists, GUDHI lists, plain arrays, the
reference's (dgms, issublevel); conversions back; DataLoader collation; torch.load."""

from __future__ import annotations

import io

import numpy as np
import pytest
import torch
from helpers import oracle

import topolayer
from topolayer import Diagram, DiagramBatch, as_diagram, collate_diagrams
from topolayer import distances as Dist
from topolayer import losses as L
from topolayer import vectorize as V
from topolayer.functional import cubical, rips

gudhi = oracle("gudhi")
persim = oracle("persim")


@pytest.fixture
def cloud_dgms():
    """ripser-style per-dimension arrays of two point clouds (our own Rips, as numpy)."""
    g = np.random.default_rng(7)
    a = rips(torch.tensor(g.random((40, 2))), 1).to_ripser()
    b = rips(torch.tensor(g.random((35, 2))), 1).to_ripser()
    return a, b


def forms(dgms):
    """The same diagram as every accepted form."""
    d = Diagram.from_ripser(dgms)
    gudhi_list = d.to_gudhi()
    return {
        "Diagram": d,
        "ripser list": dgms,
        "GUDHI list": gudhi_list,
        "reference tuple": (tuple(torch.from_numpy(a) for a in dgms), True),
    }


class TestAsDiagram:
    def test_every_form_gives_the_same_bars(self, cloud_dgms):
        a, _ = cloud_dgms
        ref = Diagram.from_ripser(a)
        for name, obj in forms(a).items():
            d = as_diagram(obj)
            assert isinstance(d, Diagram), name
            for k in range(2):
                got = d[k][np.lexsort(d[k].numpy().T[::-1])]
                want = ref[k][np.lexsort(ref[k].numpy().T[::-1])]
                assert torch.equal(got, want), name

    def test_single_arrays_and_nested_lists_are_one_dimension(self):
        x = np.array([[0.0, 1.0], [0.5, 2.0]])
        assert torch.equal(as_diagram(x)[0], torch.from_numpy(x))
        d = as_diagram(x.tolist(), dim=2)
        assert d.max_dim == 2 and len(d[0]) == len(d[1]) == 0
        assert torch.equal(d[2], torch.from_numpy(x))

    def test_tensors_keep_their_graph(self):
        t = torch.tensor([[0.0, 1.0], [0.5, 2.0]], requires_grad=True)
        L.sum_barcode_lengths(t, 0).backward()
        assert torch.equal(t.grad, torch.tensor([[-1.0, 1.0], [-1.0, 1.0]]))

    @pytest.mark.parametrize(
        "bad, error",
        [("bars", TypeError), ([np.zeros((2, 3))], ValueError), ((5, True), TypeError)],
    )
    def test_bad_forms_are_named(self, bad, error):
        with pytest.raises(error, match="dgm"):
            as_diagram(bad)

    def test_gudhi_round_trip_and_negated_superlevel(self):
        img = torch.tensor([[3.0, 1.0, 3.0], [1.0, 0.0, 1.0], [3.0, 1.0, 3.0]])
        sup = cubical(img, 1, superlevel=True, construction="V")
        pairs = sup.to_gudhi(negate=True)
        assert all(b <= d for _, (b, d) in pairs)  # above the diagonal, as GUDHI draws
        st = gudhi.CubicalComplex(vertices=(-img).numpy())
        st.compute_persistence()
        want = sorted((k, (float(b), float(d))) for k, (b, d) in st.persistence())
        got = sorted((k, bd) for k, bd in pairs if bd[0] != bd[1])
        assert got == want
        back = Diagram.from_gudhi(pairs, max_dim=1, negate=True, superlevel=True)
        for k in range(2):
            assert sorted(back[k].tolist()) == sorted(sup[k].double().tolist())

    def test_batches_from_diagrams_and_to_gudhi(self, cloud_dgms):
        a, b = cloud_dgms
        batch = DiagramBatch.from_diagrams([a, b], batch_shape=(2,))
        assert batch.batch_size == 2
        assert batch.to_gudhi()[1] == Diagram.from_ripser(b).to_gudhi()
        one = rips([torch.rand(10, 2), torch.rand(12, 2)], 1)
        again = DiagramBatch.from_diagrams(list(one))
        for k in range(2):
            assert torch.equal(again.bars[k], one.bars[k])
            assert torch.equal(again.indices[k], one.indices[k])
        with pytest.raises(ValueError, match="mix sublevel and superlevel"):
            DiagramBatch.from_diagrams([Diagram([torch.zeros(0, 2)], superlevel=True), a])


class TestPeersValues:
    """Distances and vectorisations on plain arrays, ripser lists and GUDHI lists equal the
    peers' values on the same diagrams, and topolayer's own value on a Diagram."""

    def test_bottleneck_on_every_form(self, cloud_dgms):
        a, b = cloud_dgms
        want = gudhi.bottleneck_distance(a[1], b[1])
        for name in ("ripser list", "GUDHI list", "reference tuple", "Diagram"):
            got = Dist.bottleneck_distance(forms(a)[name], forms(b)[name], dim=1)
            assert float(got) == pytest.approx(want, rel=1e-12), name
        assert float(Dist.bottleneck_distance(a[1], b[1])) == pytest.approx(want, rel=1e-12)

    def test_wasserstein_on_every_form(self, cloud_dgms):
        a, b = cloud_dgms
        want = persim.wasserstein(a[1], b[1])  # order 1, Euclidean ground metric
        kw = {"p": 1, "internal_p": 2}
        for name in ("ripser list", "GUDHI list", "reference tuple", "Diagram"):
            got = Dist.wasserstein_distance(forms(a)[name], forms(b)[name], dim=1, **kw)
            assert float(got) == pytest.approx(want, rel=1e-9), name
        got = Dist.wasserstein_distance(a[1], b[1], **kw)
        assert float(got) == pytest.approx(want, rel=1e-9)

    def test_vectorisations_on_every_form(self, cloud_dgms):
        a, _ = cloud_dgms
        want_img = V.persistence_image(Diagram.from_ripser(a), 1, resolution=5)
        want_ls = L.total_persistence(Diagram.from_ripser(a), 1)
        for name, obj in forms(a).items():
            assert torch.equal(V.persistence_image(obj, 1, resolution=5), want_img), name
            assert torch.equal(L.total_persistence(obj, 1), want_ls), name
        assert torch.equal(V.persistence_image(a[1], 0, resolution=5), want_img)


class TestDataAndSaving:
    def test_collate_diagrams_in_a_dataloader(self):
        data = [(cubical(torch.rand(6, 6), 1), i) for i in range(5)]
        loader = torch.utils.data.DataLoader(data, batch_size=2, collate_fn=collate_diagrams)
        batches = list(loader)
        assert [b[0].batch_size for b in batches] == [2, 2, 1]
        assert torch.equal(batches[0][1], torch.tensor([0, 1]))
        assert torch.equal(batches[1][0][1][0], data[3][0][0])

    def test_torch_load_weights_only(self):
        for d in (cubical(torch.rand(7, 7), 1), cubical(torch.rand(3, 7, 7), 1)):
            buf = io.BytesIO()
            torch.save(d, buf)
            buf.seek(0)
            e = torch.load(buf, weights_only=True)
            assert type(e) is type(d) and repr(e) == repr(d)
            for k in range(2):
                assert torch.equal(e.bars[k], d.bars[k])

    def test_exported(self):
        assert topolayer.as_diagram is as_diagram
        assert topolayer.collate_diagrams is collate_diagrams
