"""topolayer.plot on the Agg backend: what is drawn, where, and the accepted inputs."""

from __future__ import annotations

import numpy as np
import pytest
import torch

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from topolayer import plot  # noqa: E402
from topolayer.diagram import Diagram, DiagramBatch  # noqa: E402

INF = float("inf")


@pytest.fixture
def ax():
    fig, ax = plt.subplots()
    yield ax
    plt.close(fig)


def _scatter_points(ax):
    return [c.get_offsets() for c in ax.collections]


def test_diagram_points_and_axes(ax):
    d = Diagram([torch.tensor([[0.0, 1.0], [0.0, INF]]), torch.tensor([[0.5, 0.75]])])
    out = plot.diagram(d, ax=ax)
    assert out is ax
    pts = _scatter_points(ax)
    assert len(pts) == 2  # one scatter per dimension
    np.testing.assert_allclose(pts[1], [[0.5, 0.75]])
    h0 = np.asarray(pts[0])
    assert h0[0].tolist() == [0.0, 1.0]
    assert h0[1, 1] > 1.0  # the essential class sits on the infinity line above the points
    assert ax.get_xlabel() == "Birth" and ax.get_ylabel() == "Death"
    assert "∞" in [t.get_text() for t in ax.get_yticklabels()]
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["$H_0$", "$H_1$"]


def test_diagram_colours_per_dimension(ax):
    plot.diagram([np.array([[0.0, 1.0]]), np.array([[0.2, 0.5]])], ax=ax)
    c0 = ax.collections[0].get_facecolor()[0]
    c1 = ax.collections[1].get_facecolor()[0]
    assert not np.allclose(c0, c1)


def test_diagram_has_diagonal(ax):
    plot.diagram(np.array([[0.0, 2.0]]), ax=ax)
    lines = [ln.get_xydata() for ln in ax.get_lines()]
    assert any(np.allclose(xy[:, 0], xy[:, 1]) for xy in lines)


def test_diagram_superlevel_infinity_below(ax):
    d = Diagram([torch.tensor([[3.0, 1.0], [4.0, -INF]])], superlevel=True)
    plot.diagram(d, ax=ax)
    pts = np.asarray(_scatter_points(ax)[0])
    assert pts[1, 1] < 1.0
    assert "-∞" in [t.get_text() for t in ax.get_yticklabels()]


def test_diagram_dims_and_inputs(ax):
    arrays = [np.array([[0.0, 1.0]]), np.array([[0.2, 0.5]]), np.zeros((0, 2))]
    plot.diagram(arrays, ax=ax, dims=[1])
    assert len(ax.collections) == 1
    ax.clear()
    plot.diagram(([torch.tensor([[0.0, 1.0]], requires_grad=True)], True), ax=ax)
    assert len(ax.collections) == 1


def test_diagram_empty(ax):
    plot.diagram(Diagram([torch.zeros((0, 2))]), ax=ax)
    assert len(ax.collections) == 1


def test_diagram_uses_current_axes():
    fig = plt.figure()
    try:
        assert plot.diagram(np.array([[0.0, 1.0]])) is plt.gca()
    finally:
        plt.close(fig)


def test_barcode_segments(ax):
    d = Diagram([torch.tensor([[0.0, 1.0], [0.0, INF], [0.2, 0.4]]), torch.tensor([[0.5, 0.75]])])
    out = plot.barcode(d, ax=ax)
    assert out is ax
    segs = [np.asarray(s) for s in ax.collections[0].get_segments()]
    assert len(segs) == 3 and len(ax.collections[1].get_segments()) == 1
    # longest first: the essential bar runs to the infinity line
    assert segs[0][0, 0] == 0.0 and segs[0][1, 0] > 1.0
    assert segs[1].tolist() == [[0.0, 1.0], [1.0, 1.0]]
    assert "∞" in [t.get_text() for t in ax.get_xticklabels()]


def test_bad_inputs(ax):
    with pytest.raises(TypeError, match="DiagramBatch"):
        plot.diagram(
            DiagramBatch([torch.zeros((0, 2))], [torch.zeros(0, dtype=torch.long)], 1), ax=ax
        )
    with pytest.raises(ValueError, match="dims"):
        plot.diagram([np.array([[0.0, 1.0]])], ax=ax, dims=[3])
    with pytest.raises(ValueError, match=r"\(n, 2\)"):
        plot.barcode([np.zeros((2, 3))], ax=ax)
    with pytest.raises(TypeError):
        plot.diagram("dgm", ax=ax)
