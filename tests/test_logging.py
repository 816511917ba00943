"""The optional debug line per call (logger "topolayer"), silent by default."""

from __future__ import annotations

import logging

import torch

import topolayer as tl


def test_debug_line_per_call_names_sizes_and_time(caplog):
    x = torch.rand(2, 8, 8)
    with caplog.at_level(logging.DEBUG, logger="topolayer"):
        dgm = tl.functional.cubical(x, 1)
        tl.functional.rips(torch.rand(10, 2), 1)
        tl.wasserstein_distance(dgm, dgm, 1)
    lines = [r.getMessage() for r in caplog.records if r.name == "topolayer"]
    assert len(lines) == 3, lines
    counts = [len(b) for b in dgm.bars]
    assert lines[0].startswith(f"cubical((2, 8, 8) float32) -> 2 diagrams, bars per dim {counts}")
    assert lines[1].startswith("rips((10, 2) float32) -> bars per dim [")
    assert lines[2].startswith("wasserstein_distance(2 diagrams") and lines[2].endswith(" ms")


def test_silent_by_default(caplog):
    with caplog.at_level(logging.INFO, logger="topolayer"):
        tl.functional.cubical(torch.rand(4, 4), 0)
    assert not [r for r in caplog.records if r.name == "topolayer"]


def test_wrapped_functions_keep_their_signature_and_docs():
    import inspect

    assert "construction" in inspect.signature(tl.functional.cubical).parameters
    assert tl.functional.rips.__doc__.startswith("Vietoris")
    assert tl.functional.cubical.__module__ == "topolayer.functional.cubical"
