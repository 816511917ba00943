"""The documentation: every public name has a docstring with an Examples section (run as
doctests by ``make test``), the gallery scripts exist and compile, the API pages name every
public module, and (slow lane) the Sphinx site builds with warnings as errors and runs the
gallery."""

from __future__ import annotations

import importlib
import inspect
import subprocess
import sys
from pathlib import Path

import pytest

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
