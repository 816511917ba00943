"""The ``topolayer`` command line.

``topolayer demo`` runs a level-set denoising example end to end and prints its diagrams and
the falling loss.
"""

from __future__ import annotations

import argparse


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="topolayer", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    demo = sub.add_parser("demo", help="run the demo end to end")
    demo.add_argument("which", nargs="?", default="all", choices=["all", "denoise"])
    demo.add_argument("--steps", type=int, default=200)
    demo.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    if args.command == "demo":
        from .apps import denoise

        denoise.main(args.steps, args.seed)
    return 0
