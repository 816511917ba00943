"""An optional debug line per layer call: ``logging.getLogger("topolayer")`` at DEBUG level
gets the input's size, the diagram's bar counts and the wall time of each call.

Off by default (the check is one ``isEnabledFor``); never inside a ``torch.compile`` trace,
where the graph, not Python, runs the call.
"""

from __future__ import annotations

import functools
import logging
import time
from collections.abc import Callable
from typing import Any, ParamSpec, TypeVar

import torch

__all__ = ["logger", "logged"]

logger = logging.getLogger("topolayer")

P = ParamSpec("P")
R = TypeVar("R")


def _describe(obj: Any) -> str:
    from .diagram import Diagram, DiagramBatch

    if isinstance(obj, torch.Tensor):
        return f"{tuple(obj.shape)} {str(obj.dtype).removeprefix('torch.')}"
    if isinstance(obj, DiagramBatch):
        return f"{obj.batch_size} diagrams, bars per dim {[len(b) for b in obj.bars]}"
    if isinstance(obj, Diagram):
        return f"bars per dim {[len(b) for b in obj.bars]}"
    if isinstance(obj, (list, tuple)):
        return f"{type(obj).__name__} of {len(obj)}"
    shape = getattr(obj, "shape", None)
    return f"{type(obj).__name__} {tuple(shape)}" if shape is not None else type(obj).__name__


def logged(name: str) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """Decorate a public entry point so that, at DEBUG level, each call logs one line."""

    def wrap(fn: Callable[P, R]) -> Callable[P, R]:
        @functools.wraps(fn)
        def call(*args: P.args, **kwargs: P.kwargs) -> R:
            if torch.compiler.is_compiling() or not logger.isEnabledFor(logging.DEBUG):
                return fn(*args, **kwargs)
            t0 = time.perf_counter()
            out = fn(*args, **kwargs)
            ms = (time.perf_counter() - t0) * 1e3
            first = _describe(args[0]) if args else ""
            logger.debug("%s(%s) -> %s in %.2f ms", name, first, _describe(out), ms)
            return out

        return call

    return wrap
