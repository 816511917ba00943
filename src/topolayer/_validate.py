"""One validator per argument kind, shared by every layer, module and feature.

Each raises ``TypeError`` for a value of the wrong type and ``ValueError`` for a value out of
range, with a message naming the argument and the expected form, so that ``max_dim=1.0`` or
``n_threads="2"`` fail the same way wherever they are passed.
"""

from __future__ import annotations

import math
from numbers import Integral, Real
from typing import Any, TypeVar

import numpy as np
import torch

__all__ = [
    "as_float_tensor",
    "MAX_DIM",
    "check_int",
    "check_max_dim",
    "check_bool",
    "check_choice",
    "check_positive",
    "check_real",
    "check_threads",
    "check_feature_size",
    "MAX_FEATURE_BYTES",
]

_T = TypeVar("_T")


def as_float_tensor(x: Any, name: str) -> torch.Tensor:
    """``x`` as a floating tensor; integer, boolean and complex inputs are a TypeError."""
    if not isinstance(x, torch.Tensor):
        try:
            x = torch.as_tensor(x)
        except Exception as err:
            raise TypeError(
                f"{name} must be a tensor or array of floats, got {type(x).__name__}"
            ) from err
    if x.layout != torch.strided:
        raise TypeError(f"{name} is a {x.layout} tensor; pass a dense one ({name}.to_dense())")
    if not x.is_floating_point():
        raise TypeError(
            f"{name} must have a floating dtype (float16/bfloat16/float32/float64), got {x.dtype}; "
            f"convert with {name}.float()"
        )
    if x.device.type == "meta" and not _is_fake(x):
        raise ValueError(
            f"{name} is on the meta device and holds no values, which persistence needs "
            "(torch.compile's fake tensors are traced through)"
        )
    return x


def _is_fake(x: torch.Tensor) -> bool:
    from torch._subclasses.fake_tensor import is_fake

    return bool(is_fake(x))


def check_int(value: Any, name: str, minimum: int, maximum: int | None = None) -> int:
    """An integer (Python or NumPy, not bool) in ``minimum..maximum``."""
    if isinstance(value, bool) or not isinstance(value, Integral):
        raise TypeError(f"{name} must be an int, got {type(value).__name__}")
    v = int(value)
    if v < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {v}")
    if maximum is not None and v > maximum:
        raise ValueError(f"{name} must be <= {maximum}, got {v}")
    return v


#: Largest ``max_dim`` any layer accepts. Layers compute only up to the dimension their complex
#: can carry and return empty diagrams above it, so this bounds the output, not the work.
MAX_DIM = 255


def check_max_dim(max_dim: Any, maximum: int | None = None, name: str = "max_dim") -> int:
    """The highest homology dimension: an int in ``0..maximum`` (default :data:`MAX_DIM`)."""
    return check_int(max_dim, name, 0, MAX_DIM if maximum is None else maximum)


def check_bool(value: Any, name: str) -> bool:
    """A bool (Python or NumPy); ints and strings are a TypeError, not silently truthy."""
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    raise TypeError(f"{name} must be a bool, got {type(value).__name__}")


def check_choice(value: _T, name: str, choices: tuple[_T, ...]) -> _T:
    """One of ``choices`` (a ``Literal`` argument)."""
    if not isinstance(value, str) or value not in choices:
        raise ValueError(f"{name} must be one of {choices}, got {value!r}")
    return value


def check_positive(value: Any, name: str, allow_inf: bool = False) -> float:
    """A real number ``> 0`` (finite unless ``allow_inf``)."""
    if isinstance(value, bool) or not isinstance(value, Real):
        raise TypeError(f"{name} must be a real number, got {type(value).__name__}")
    v = float(value)
    if math.isnan(v) or v <= 0 or (v == math.inf and not allow_inf):
        rule = "> 0" if allow_inf else "> 0 and finite"
        raise ValueError(f"{name} must be {rule}, got {value}")
    return v


def check_real(value: Any, name: str) -> float:
    """A finite real number."""
    if isinstance(value, bool) or not isinstance(value, Real):
        raise TypeError(f"{name} must be a real number, got {type(value).__name__}")
    v = float(value)
    if not math.isfinite(v):
        raise ValueError(f"{name} must be finite, got {value}")
    return v


#: Bytes a feature (persistence image, landscape, Betti curve) may allocate for its work
#: arrays; a request over it is refused before anything is allocated.
MAX_FEATURE_BYTES = 2**31


def check_feature_size(
    n_bars: Any, per_bar: int, fixed: int, itemsize: int, what: str, hint: str
) -> None:
    """Refuse a feature whose work arrays, ``n_bars * per_bar + fixed`` elements of
    ``itemsize`` bytes, would exceed :data:`MAX_FEATURE_BYTES`.

    Under ``torch.compile`` the bar count is symbolic (the layer's output size, known only when
    the graph runs); a test on it would be a guard that the trace cannot evaluate, so only the
    part that does not depend on it is checked there.
    """
    known = isinstance(n_bars, int) and not torch.compiler.is_compiling()
    need = ((n_bars if known else 0) * per_bar + fixed) * itemsize
    if need > MAX_FEATURE_BYTES:
        on = f"{n_bars} bars" if known else "any number of bars"
        raise ValueError(
            f"{what} on {on} would allocate about {need / 2**20:.0f} MiB, over the limit of "
            f"{MAX_FEATURE_BYTES >> 20} MiB (topolayer._validate.MAX_FEATURE_BYTES); {hint}"
        )


def check_threads(n_threads: Any) -> int:
    """``n_threads``: ``None`` (every core, 0 for the C++ side) or a positive int."""
    if n_threads is None:
        return 0
    if isinstance(n_threads, bool) or not isinstance(n_threads, Integral):
        raise TypeError(f"n_threads must be a positive int or None, got {type(n_threads).__name__}")
    if n_threads < 1:
        raise ValueError(f"n_threads must be a positive int or None, got {n_threads}")
    return int(n_threads)
