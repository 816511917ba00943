"""Sphinx configuration of topolayer's documentation (``make docs``)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import topolayer

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "docs"))

project = "topolayer"
author = "the topolayer developers"
copyright = "2026, the topolayer developers"
release = version = topolayer.__version__

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.napoleon",
    "sphinx.ext.mathjax",
    "sphinx.ext.viewcode",
    "myst_parser",
    "sphinx_gallery.gen_gallery",
]
source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
exclude_patterns = ["_build", "guide/images_figure.py", "auto_examples/*.ipynb"]
myst_enable_extensions = ["dollarmath"]
myst_heading_anchors = 3

autodoc_default_options = {"members": True, "show-inheritance": False}
autodoc_member_order = "bysource"
autodoc_typehints = "description"
autodoc_typehints_format = "fully-qualified"
napoleon_numpy_docstring = True
napoleon_google_docstring = False
napoleon_use_rtype = False
# One page per public name (docs/api/generated, written at build time, not committed).
autosummary_generate = True
templates_path = ["_templates"]

sphinx_gallery_conf = {
    "examples_dirs": str(ROOT / "examples"),
    "gallery_dirs": "auto_examples",
    "filename_pattern": r"/plot_",
    "download_all_examples": False,
    "remove_config_comments": True,
    "within_subsection_order": "FileNameSortKey",
    "abort_on_example_error": True,
    "matplotlib_animations": False,
    "image_scrapers": ("matplotlib",),
    "reset_modules": ("matplotlib",),
}
os.environ.setdefault("OMP_NUM_THREADS", "1")

html_theme = "furo"
html_title = f"topolayer {release}"
html_static_path: list[str] = []
# Cross-references to packages that are not documented here stay plain text.
nitpicky = False
suppress_warnings = ["myst.xref_missing", "config.cache"]

# nn.Module plumbing that every layer overrides or inherits: not part of the documented API.
_SKIPPED_MEMBERS = {"extra_repr", "training", "dump_patches", "call_super_init"}


def _skip_module_plumbing(app, what, name, obj, skip, options):
    return True if name in _SKIPPED_MEMBERS else None


def setup(app):
    app.connect("autodoc-skip-member", _skip_module_plumbing)
