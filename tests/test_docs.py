"""The documentation: every public name has a docstring with an Examples section (run as
doctests by ``make test``), the gallery scripts exist and compile, the API pages name every
public module, and (slow lane) the Sphinx site builds with warnings as errors and runs the
gallery."""

from __future__ import annotations

import importlib
import inspect
import math
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

import topolayer
from topolayer import functional, losses
from topolayer.diagram import Diagram

ROOT = Path(__file__).resolve().parents[1]
PUBLIC = [
    "topolayer",
    "topolayer.functional",
    "topolayer.nn",
    "topolayer.losses",
    "topolayer.distances",
    "topolayer.vectorize",
    "topolayer.plot",
    "topolayer.sklearn",
    "topolayer.metrics",
    "topolayer.compat.nn",
    "topolayer.compat.functional",
    "topolayer.compat.util",
]
GALLERY = [
    "plot_image_loss.py",
    "plot_denoise_signal.py",
    "plot_point_cloud_losses.py",
    "plot_distance_loss.py",
    "plot_autoencoder.py",
    "plot_sklearn_pipeline.py",
    "plot_diagrams_and_barcodes.py",
    "plot_batches_and_threads.py",
    "plot_reference_api.py",
    "plot_compile.py",
]


def _public_objects():
    for name in PUBLIC:
        mod = importlib.import_module(name)
        for attr in mod.__all__:
            obj = getattr(mod, attr)
            if inspect.ismodule(obj) or not callable(obj):
                continue
            yield f"{name}.{attr}", obj


@pytest.mark.parametrize("qualname,obj", list(_public_objects()), ids=lambda v: str(v))
def test_public_name_has_a_docstring_with_examples(qualname, obj):
    doc = inspect.getdoc(obj) or ""
    assert doc.strip(), f"{qualname} has no docstring"
    assert "Examples\n--------" in doc and ">>> " in doc, f"{qualname} has no Examples section"


def test_every_public_module_has_an_api_page():
    pages = " ".join(p.read_text() for p in (ROOT / "docs" / "api").glob("*.rst"))
    for name in PUBLIC:
        assert f"automodule:: {name}" in pages, name


@pytest.mark.parametrize("script", GALLERY)
def test_gallery_script_exists_compiles_and_has_a_title(script):
    path = ROOT / "examples" / script
    src = path.read_text()
    compile(src, str(path), "exec")
    doc = src.split('"""')[1].strip().splitlines()
    assert len(doc) >= 3 and set(doc[1]) == {"="}, f"{script}: sphinx-gallery needs a title"
    assert "plt." in src, f"{script} draws no figure"


@pytest.mark.slow
def test_site_builds_without_warnings(tmp_path):
    pytest.importorskip("sphinx")
    pytest.importorskip("sphinx_gallery")
    pytest.importorskip("furo")
    pytest.importorskip("myst_parser")
    out = tmp_path / "html"
    r = subprocess.run(
        [
            sys.executable,
            "-m",
            "sphinx",
            "-W",
            "--keep-going",
            "-q",
            "-b",
            "html",
            "-d",
            str(tmp_path / "doctrees"),
            str(ROOT / "docs"),
            str(out),
        ],
        capture_output=True,
        text=True,
        timeout=1200,
    )
    assert r.returncode == 0, r.stderr[-4000:]
    for page in [
        "index",
        "api/functional",
        "api/sklearn",
        "auto_examples/index",
        "migration/torch_topological",
        "performance",
        "changelog",
    ]:
        assert (out / f"{page}.html").is_file(), page
    for script in GALLERY:
        html = (out / "auto_examples" / script.replace(".py", ".html")).read_text()
        assert "sphx-glr-single-img" in html or "sphx-glr-multi-img" in html, script


def _sorted(a):
    a = np.asarray(a, dtype=float).reshape(-1, 2)
    return a[np.lexsort((a[:, 1], a[:, 0]))]


def _finite(a):
    a = np.asarray(a, dtype=float).reshape(-1, 2)
    return _sorted(a[np.isfinite(a).all(1)])


class TestMigrationClaims:
    """The statements of docs/migration/*.md about other libraries, run against them (each test
    skips alone when its peer is missing)."""

    def test_alpha_values_are_the_square_roots_of_gudhis(self, rng):
        gudhi = pytest.importorskip("gudhi")
        pts = rng.random((30, 2))
        st = gudhi.AlphaComplex(points=pts).create_simplex_tree()
        st.persistence()
        dgm = functional.alpha(torch.tensor(pts), max_dim=1)
        for k in (0, 1):
            ours = _finite(dgm[k])
            theirs = np.sqrt(_finite(st.persistence_intervals_in_dimension(k)))
            np.testing.assert_allclose(ours, theirs, rtol=1e-9, atol=1e-12)

    def test_gudhi_drops_zero_length_bars_by_default_like_topolayer(self, rng):
        gudhi = pytest.importorskip("gudhi")
        x = np.round(rng.random((10, 10)) * 3)  # ties: many pairs of equal values
        default = gudhi.CubicalComplex(top_dimensional_cells=x).persistence()
        every = gudhi.CubicalComplex(top_dimensional_cells=x).persistence(min_persistence=-1)
        assert not any(b == d for _, (b, d) in default)
        assert any(b == d for _, (b, d) in every)
        dgm = functional.cubical(torch.tensor(x), 1, construction="T")
        assert all(bool((dgm.lengths(k) > 0).all()) for k in (0, 1))

    @pytest.mark.parametrize("construction,kw", [("V", "vertices"), ("T", "top_dimensional_cells")])
    def test_superlevel_bars_are_gudhis_bars_of_minus_x_negated(self, rng, construction, kw):
        gudhi = pytest.importorskip("gudhi")
        x = rng.random((9, 11))
        cc = gudhi.CubicalComplex(**{kw: -x})
        cc.persistence()
        dgm = functional.cubical(torch.tensor(x), 1, superlevel=True, construction=construction)
        for k in (0, 1):
            theirs = _finite(cc.persistence_intervals_in_dimension(k))
            np.testing.assert_allclose(_finite(-dgm[k].numpy()), theirs)
        assert dgm[0][torch.isinf(dgm[0][:, 1]), 1].tolist() == [-math.inf]

    def test_gudhi_order_and_internal_p_are_p_and_internal_p(self, rng):
        gw = pytest.importorskip("gudhi.wasserstein")
        pytest.importorskip("ot")
        a = np.sort(rng.random((12, 2)), axis=1)
        b = np.sort(rng.random((9, 2)), axis=1)
        for order, internal_p in [(1.0, math.inf), (2.0, 2.0)]:
            theirs = gw.wasserstein_distance(a, b, order=order, internal_p=internal_p)
            ours = topolayer.wasserstein_distance(
                Diagram([torch.tensor(a)]),
                Diagram([torch.tensor(b)]),
                0,
                p=order,
                internal_p=internal_p,
            )
            assert float(ours) == pytest.approx(theirs, rel=1e-9)

    def test_torch_topological_q_is_the_order_and_p_the_ground_norm(self, rng):
        tt = pytest.importorskip("torch_topological.nn")
        a = torch.tensor(np.sort(rng.random((12, 2)), axis=1))
        b = torch.tensor(np.sort(rng.random((9, 2)), axis=1))
        info = tt.PersistenceInformation
        for q in (1, 2):
            theirs = tt.WassersteinDistance(p=math.inf, q=q)(
                [info(pairing=None, diagram=a, dimension=0)],
                [info(pairing=None, diagram=b, dimension=0)],
            )
            ours = topolayer.wasserstein_distance(
                Diagram([a]), Diagram([b]), 0, p=q, internal_p=math.inf
            )
            assert float(ours) == pytest.approx(float(theirs), rel=1e-6)

    def test_torch_topological_summaries(self, rng):
        tu = pytest.importorskip("torch_topological.utils")
        bars = torch.tensor(np.sort(rng.random((15, 2)), axis=1))
        dgm = Diagram([bars])
        assert float(tu.total_persistence(bars, p=2)) == pytest.approx(
            float(losses.total_persistence(dgm, 0, p=2, root=False))
        )
        assert float(tu.persistent_entropy(bars)) == pytest.approx(
            float(losses.persistence_entropy(dgm, 0)) / math.log(2)
        )

    def test_torch_topological_alpha_h0_is_weak_alpha_and_twice_the_radii(self, rng):
        tt = pytest.importorskip("torch_topological.nn")
        pts = torch.tensor(rng.random((25, 2)))
        theirs = np.sort(tt.AlphaComplex()(pts)[0].diagram[:, 1].numpy())
        weak = functional.alpha(pts, max_dim=0, weak=True)[0]
        radii = functional.alpha(pts, max_dim=0)[0]
        np.testing.assert_allclose(theirs, np.sort(weak[torch.isfinite(weak[:, 1]), 1].numpy()))
        np.testing.assert_allclose(
            theirs, 2 * np.sort(radii[torch.isfinite(radii[:, 1]), 1].numpy())
        )

    def test_giotto_ph_gives_the_same_rips_diagrams(self, rng):
        gph = pytest.importorskip("gph")
        pts = rng.random((40, 3))
        theirs = gph.ripser_parallel(pts, maxdim=1)["dgms"]
        ours = functional.rips(torch.tensor(pts), 1).to_ripser()
        for k in (0, 1):
            np.testing.assert_allclose(_sorted(ours[k]), _sorted(theirs[k]))

    @pytest.mark.parametrize("shape", [(10, 10), (9, 12)])
    @pytest.mark.parametrize("sublevel", [True, False])
    def test_reference_complexes_grid_is_t_and_freudenthal_is_freudenthal(
        self, rng, shape, sublevel
    ):
        from topolayer.compat.nn import LevelSetLayer2D

        x = torch.tensor(rng.random(shape))
        for complex_, construction in [("grid", "T"), ("freudenthal", "freudenthal")]:
            layer = LevelSetLayer2D(size=shape[::-1], maxdim=1, sublevel=sublevel, complex=complex_)
            dgms, issublevel = layer(x)
            assert issublevel is sublevel
            ours = functional.cubical(x, 1, superlevel=not sublevel, construction=construction)
            for k in (0, 1):
                np.testing.assert_allclose(_sorted(dgms[k]), _sorted(ours[k]))


_SNIPPET_PAGES = [
    "index.md",
    "migration/reference.md",
    "migration/gudhi.md",
    "migration/torch_topological.md",
    "migration/giotto.md",
    "guide/segmentation.md",
]


@pytest.mark.parametrize("page", _SNIPPET_PAGES)
def test_python_snippets_of_the_page_run(page):
    """The code blocks of the home page, the migration pages and the segmentation guide are
    complete programs."""
    text = (ROOT / "docs" / page).read_text()
    blocks = re.findall(r"```python\n(.*?)```", text, flags=re.S)
    assert blocks, f"docs/{page} has no python block"
    for block in blocks:
        exec(compile(block, f"docs/{page}", "exec"), {"__name__": "__snippet__"})


def _api_entries() -> tuple[set[str], str]:
    """The names given a page by the API reference's autosummary tables (with the module set by
    ``currentmodule``), and the pages' text."""
    entries: set[str] = set()
    text = ""
    for page in sorted((ROOT / "docs" / "api").glob("*.rst")):
        current, in_table = "", False
        for line in page.read_text().splitlines():
            text += line + "\n"
            if line.startswith(".. currentmodule::"):
                current = line.split("::", 1)[1].strip()
            elif line.startswith(".. autosummary::"):
                in_table = True
            elif in_table and line.strip() and not line.startswith("   "):
                in_table = False
            elif in_table and line.startswith("   ") and not line.strip().startswith(":"):
                entries.add(f"{current}.{line.strip()}")
    return entries, text


@pytest.mark.parametrize("qualname,obj", list(_public_objects()), ids=lambda v: str(v))
def test_public_name_has_a_page_or_points_to_one(qualname, obj):
    entries, text = _api_entries()
    module, _, attr = qualname.rpartition(".")
    aliases = {qualname, f"{module}.{attr}"}
    # a submodule's function (compat.util.construction.unique_simplices) is listed under its
    # package with the submodule prefix
    owner = getattr(obj, "__module__", "")
    aliases.add(f"{module}.{owner.rpartition('.')[2]}.{attr}")
    assert aliases & entries or f"``{qualname}``" in text, f"{qualname} has no API page"
