"""The ``topolayer`` command line.

``topolayer demo [regularize|generate|attack|all] [--quick] [--out DIR] [--seed N] [--mnist PATH]``
runs the paper's applications and writes figures, ``metrics.json``, ``report.md`` and
``report.html`` into ``--out``. ``topolayer demo denoise [--steps N]`` runs the README's short
1D denoising example and prints its progress (no report). ``topolayer demo segment [--quick]``
trains a small U-Net on synthetic vessels with and without a topological loss (2D and 3D) and
writes its own report into ``--out``. ``topolayer info`` prints versions,
threads, build flags and which extras are installed; ``topolayer --version`` the version.
``python -m topolayer ...`` is the same command.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

__all__ = ["main", "build_parser"]

_APPS = ("regularize", "generate", "attack")


def _seed(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"--seed must be a non-negative integer, got {text!r}"
        ) from None
    if value < 0 or value >= 2**32:
        raise argparse.ArgumentTypeError(f"--seed must be in [0, 2**32), got {value}")
    return value


def _positive(name: str):
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(
                f"{name} must be a positive integer, got {text!r}"
            ) from None
        if value < 1:
            raise argparse.ArgumentTypeError(f"{name} must be >= 1, got {value}")
        return value

    return parse


def _out_dir(text: str) -> Path:
    path = Path(text)
    if path.exists() and not path.is_dir():
        raise argparse.ArgumentTypeError(f"--out {text!r} exists and is not a directory")
    return path


def _mnist_dir(text: str) -> Path:
    path = Path(text)
    if not path.is_dir():
        raise argparse.ArgumentTypeError(
            f"--mnist {text!r} is not a directory holding the MNIST IDX files"
        )
    return path


def _version() -> str:
    """The installed version, read from the package metadata (no torch import)."""
    from importlib import metadata

    try:
        return metadata.version("topolayer")
    except metadata.PackageNotFoundError:  # run from a source tree without installing
        return "unknown"


def info() -> dict[str, object]:
    """Versions, thread count, build flags and installed extras, as ``topolayer info`` prints."""
    import os
    import platform
    from importlib import metadata

    from . import _optional

    def version(dist: str) -> str:
        try:
            return metadata.version(dist)
        except metadata.PackageNotFoundError:
            return "not installed"

    out: dict[str, object] = {
        "topolayer": _version(),
        "python": f"{platform.python_version()} ({platform.python_implementation()})",
        "platform": platform.platform(),
        "numpy": version("numpy"),
        "scipy": version("scipy"),
        "torch": version("torch"),
    }
    try:
        import torch

        out["torch threads"] = torch.get_num_threads()
        out["cuda"] = torch.version.cuda or "no (CPU build)"
    except ImportError:
        out["torch threads"] = "torch not importable"
    out["cores"] = os.cpu_count()
    out["topolayer threads"] = (
        f"{os.cpu_count()} (every core, for batches; n_threads= sets it per call)"
    )
    try:
        from . import _core

        out["core"] = Path(_core.__file__ or "").name
        for key, value in _core.build_info().items():
            out[f"build {key}"] = value
    except ImportError as err:
        out["core"] = f"not importable: {err}"
    for extra in _optional.EXTRAS:
        lacking = _optional.missing(extra)
        out[f"extra [{extra}]"] = "installed" if not lacking else f"missing {', '.join(lacking)}"
    return out


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``topolayer`` command."""
    parser = argparse.ArgumentParser(
        prog="topolayer",
        description="Differentiable persistent homology for PyTorch: demos of the paper's applications.",
    )
    parser.add_argument("--version", action="version", version=f"topolayer {_version()}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    sub.add_parser(
        "info",
        help="print versions, thread count, build flags and installed extras",
        description="Print what a bug report needs: versions, threads, build flags, extras.",
    )
    demo = sub.add_parser(
        "demo",
        help="run the paper's applications and write a report",
        description=(
            "Run the paper's three applications (regularisation, generative prior, adversarial attack) and write "
            "PNG figures, metrics.json, report.md and report.html into --out."
        ),
    )
    demo.add_argument(
        "app",
        nargs="?",
        default="all",
        choices=(*_APPS, "all", "denoise", "segment"),
        help=(
            "which application (default: all); 'denoise' is the README's 1D example, printed only; "
            "'segment' is topology-aware segmentation of synthetic vessels (not part of 'all')"
        ),
    )
    demo.add_argument(
        "--quick",
        action="store_true",
        help="small settings: each application in well under a minute",
    )
    demo.add_argument(
        "--out",
        type=_out_dir,
        default=Path("topolayer-demo"),
        metavar="DIR",
        help="output folder (default: topolayer-demo/)",
    )
    demo.add_argument("--seed", type=_seed, default=0, metavar="N", help="random seed (default: 0)")
    demo.add_argument(
        "--mnist",
        type=_mnist_dir,
        default=None,
        metavar="PATH",
        help="folder with the MNIST IDX files, used instead of the bundled 8x8 digits",
    )
    demo.add_argument(
        "--threads",
        type=_positive("--threads"),
        default=None,
        metavar="N",
        help="torch intra-op threads (default: 1; the topology layer threads over batches itself)",
    )
    demo.add_argument("--no-progress", action="store_true", help="hide the progress bars")
    demo.add_argument(
        "--steps",
        type=_positive("--steps"),
        default=200,
        metavar="N",
        help="optimisation steps of 'denoise' (default: 200)",
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``topolayer`` console script.

    Parameters
    ----------
    argv : list of str, optional
        Arguments without the program name (default: ``sys.argv[1:]``).

    Returns
    -------
    int
        Exit status (0 on success). Bad arguments exit with status 2 and a message.
    """
    from ._optional import MissingDependencyError

    args = build_parser().parse_args(argv)
    if args.command == "info":
        for key, value in info().items():
            print(f"{key + ':':<22} {value}")
        return 0
    try:
        return _demo(args)
    except MissingDependencyError as err:
        print(f"topolayer demo: {err}", file=sys.stderr)
        return 1


def _demo(args: argparse.Namespace) -> int:
    if args.app == "denoise":
        from .apps import denoise

        denoise.main(args.steps, args.seed)
        return 0
    import torch

    from .apps import run_demo

    # Small tensors dominate the demos: one intra-op thread avoids oversubscription.
    torch.set_num_threads(args.threads or 1)
    apps = _APPS if args.app == "all" else (args.app,)
    t0 = time.perf_counter()
    try:
        if args.app == "segment":
            from .apps import segment

            segment.main(args.out, seed=args.seed, quick=args.quick, progress=not args.no_progress)
        else:
            run_demo(
                apps,
                out=args.out,
                seed=args.seed,
                quick=args.quick,
                mnist=args.mnist,
                progress=not args.no_progress,
            )
    except (FileNotFoundError, ValueError) as err:  # e.g. malformed MNIST files
        print(f"topolayer demo: error: {err}", file=sys.stderr)
        return 1
    out = args.out
    print(
        f"topolayer demo {args.app}: wrote {out / 'report.md'}, {out / 'report.html'} and "
        f"{out / 'metrics.json'} in {time.perf_counter() - t0:.0f} s"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
