"""Every public entry point against every class of bad input: each is a clear error that names
the argument (TypeError, ValueError or IndexError; never a crash, a hang or an internal
message) or a correct result. ``python tests/test_bad_inputs.py`` prints the table."""

from __future__ import annotations

import math

import pytest
import torch

import topolayer
from topolayer import distances, losses, nn, vectorize
from topolayer import functional as F

PATH = topolayer.SimplicialComplex.path(6)
NAN = float("nan")


def _inputs(good: torch.Tensor) -> dict[str, object]:
    """Bad variants of a valid floating input ``good`` (and ones that must work)."""
    nan = good.clone()
    nan.view(-1)[0] = NAN
    inf = good.clone()
    inf.view(-1)[-1] = math.inf
    return {
        "NaN entry": nan,
        "inf entry": inf,
        "integer dtype": good.round().to(torch.int64),
        "bool dtype": good > 0.5,
        "complex dtype": good.to(torch.complex64),
        "string": "data",
        "None": None,
        "empty": good[..., :0],
        "scalar": torch.tensor(1.0),
        "sparse": good.to_sparse(),
        "meta": good.to("meta"),
    }


# name -> (call(x, **kw), valid input, the argument names an error may mention)
ENTRY_POINTS = {
    "functional.cubical": (lambda x, **kw: F.cubical(x, **kw), torch.rand(2, 7, 6), "x"),
    "functional.lower_star": (lambda x, **kw: F.lower_star(x, PATH, **kw), torch.rand(6), "f"),
    "functional.filtration": (
        lambda x, **kw: F.filtration(x, PATH, **kw),
        torch.arange(11, dtype=torch.float64),
        "values",
    ),
    "functional.rips": (lambda x, **kw: F.rips(x, **kw), torch.rand(12, 2), "x"),
    "functional.alpha": (lambda x, **kw: F.alpha(x, **kw), torch.rand(12, 2), "x"),
    "nn.CubicalLayer": (lambda x, **kw: nn.CubicalLayer(**kw)(x), torch.rand(7, 6), "x"),
    "nn.LevelSetLayer2D": (
        lambda x, **kw: nn.LevelSetLayer2D(
            (6, 7), **{k.replace("max_dim", "maxdim"): v for k, v in kw.items()}
        )(x),
        torch.rand(7, 6),
        "input",
    ),
    "nn.VietorisRips": (lambda x, **kw: nn.VietorisRips(**kw)(x), torch.rand(12, 2), "x"),
    "nn.Alpha": (lambda x, **kw: nn.Alpha(**kw)(x), torch.rand(12, 2), "x"),
}

ARGUMENTS = {
    "max_dim=-1": ({"max_dim": -1}, "max_dim"),
    "max_dim=1.0": ({"max_dim": 1.0}, "max_dim"),
    "max_dim=True": ({"max_dim": True}, "max_dim"),
    "max_dim=2**63": ({"max_dim": 2**63}, "max_dim"),
    "n_threads='2'": ({"n_threads": "2"}, "n_threads"),
    "n_threads=0": ({"n_threads": 0}, "n_threads"),
    "keep_zero='no'": ({"keep_zero": "no"}, "keep_zero"),
}

# Entries whose outcome is a correct result rather than an error.
WORKS = {"empty": {"functional.rips", "functional.alpha"}}
NO_KEEP_ZERO = {"nn.LevelSetLayer2D"}
NO_THREADS = {"nn.LevelSetLayer2D", "functional.alpha", "nn.Alpha"}


def _outcome(fn) -> tuple[str, str]:
    try:
        fn()
    except (TypeError, ValueError, IndexError) as err:
        return "error", f"{type(err).__name__}: {err}"
    return "result", ""


def _cases():
    for name, (call, good, arg) in ENTRY_POINTS.items():
        for what, x in _inputs(good).items():
            if what in WORKS and name in WORKS[what]:
                continue
            yield name, what, (lambda call=call, x=x: call(x)), (arg, "x", "f", "values", "input")
        for what, (kw, arg) in ARGUMENTS.items():
            if (arg == "keep_zero" and name in NO_KEEP_ZERO) or (
                arg == "n_threads" and name in NO_THREADS
            ):
                continue
            names = (arg, "maxdim") if arg == "max_dim" else (arg,)
            yield name, what, (lambda call=call, good=good, kw=kw: call(good, **kw)), names


CASES = list(_cases())


@pytest.mark.parametrize("name, what, fn, names", CASES, ids=[f"{c[0]}-{c[1]}" for c in CASES])
def test_bad_input_is_a_clear_error_naming_the_argument(name, what, fn, names):
    kind, message = _outcome(fn)
    assert kind == "error", f"{name} accepted {what}"
    assert any(n in message for n in names), f"{name}, {what}: {message!r} names none of {names}"
    assert "Traceback" not in message and "nanobind" not in message and "schema" not in message


# Inputs that are not errors: the result equals the plain input's.
@pytest.mark.parametrize("name", list(ENTRY_POINTS))
def test_non_contiguous_half_precision_and_grad_inputs_give_the_plain_result(name):
    call, good, _ = ENTRY_POINTS[name]
    good = good.double()
    want = call(good)
    if good.dim() == 1:
        strided = torch.stack([good, good], 1)[:, 0]
    else:
        strided = good.transpose(-1, -2).contiguous().transpose(-1, -2)
    assert not strided.is_contiguous() and torch.equal(strided, good)
    got = call(strided)
    leaf = good.clone().requires_grad_()
    for d in (got, call(leaf)):
        bars = d.bars if hasattr(d, "bars") else d[0]
        ref = want.bars if hasattr(want, "bars") else want[0]
        for a, b in zip(bars, ref, strict=True):
            assert torch.equal(a.detach(), b)
    half = call(good.to(torch.float16))
    bars = half.bars if hasattr(half, "bars") else half[0]
    assert bars[0].dtype == torch.float16


def test_empty_point_clouds_name_the_input():
    for fn in (F.rips, F.alpha):
        with pytest.raises(ValueError, match="no points"):
            fn(torch.zeros(0, 2))


FEATURES = {
    "distances.wasserstein_distance": lambda d, **kw: distances.wasserstein_distance(d, d, **kw),
    "distances.bottleneck_distance": lambda d, **kw: distances.bottleneck_distance(d, d, **kw),
    "distances.sliced_wasserstein_distance": lambda d, **kw: distances.sliced_wasserstein_distance(
        d, d, **kw
    ),
    "vectorize.persistence_image": lambda d, dim=0: vectorize.persistence_image(d, dim),
    "vectorize.persistence_landscape": lambda d, dim=0: vectorize.persistence_landscape(
        d, dim, t_min=0.0, t_max=1.0
    ),
    "losses.sum_barcode_lengths": lambda d, **kw: losses.sum_barcode_lengths(d, **kw),
    "losses.total_persistence": lambda d, **kw: losses.total_persistence(d, **kw),
}


@pytest.mark.parametrize("name", list(FEATURES))
@pytest.mark.parametrize(
    "bad, kw, arg",
    [
        ("a string diagram", {}, "dgm"),
        ("dim=5", {"dim": 5}, "dim"),
        ("dim=-1", {"dim": -1}, "dim"),
        ("dim=0.5", {"dim": 0.5}, "dim"),
        ("(n, 3) bars", {}, "must have shape"),
    ],
)
def test_features_name_the_bad_argument(name, bad, kw, arg):
    d = topolayer.Diagram([torch.rand(4, 2), torch.rand(2, 2)])
    if bad == "a string diagram":
        d = "bars"
    if bad == "(n, 3) bars":
        d = ([torch.rand(4, 3)], True)
    with pytest.raises((TypeError, ValueError, IndexError), match=arg):
        FEATURES[name](d, **kw)


def _table() -> str:
    rows = {}
    for name, what, fn, _ in CASES:
        kind, message = _outcome(fn)
        rows.setdefault(name, []).append((what, kind, message.split(":")[0]))
    lines = ["| entry point | bad inputs tried | outcome |", "| --- | --- | --- |"]
    for name, items in rows.items():
        errors = sorted({m for _, k, m in items if k == "error"})
        bad = [w for w, k, _ in items if k != "error"]
        lines.append(
            f"| `{name}` | {len(items)}: {', '.join(w for w, _, _ in items)} | "
            f"clear {' / '.join(errors)} naming the argument"
            + (f"; NOT an error: {bad}" if bad else "")
            + " |"
        )
    return "\n".join(lines)


if __name__ == "__main__":
    print(_table())
