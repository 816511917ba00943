"""The paper's three applications, runnable as ``topolayer demo``.

Each module is a small, self-contained script around the public API that users can copy:

- :mod:`~topolayer.apps.regularize` — topological penalties on regression weights, a
  topological prior for image reconstruction, and the point-cloud losses;
- :mod:`~topolayer.apps.generate` — a topological loss on a GAN generator's outputs;
- :mod:`~topolayer.apps.attack` — a classifier on directional persistence features and
  gradient attacks through the topology layer.

:func:`run_demo` runs any of them and writes the report.
"""

from __future__ import annotations

import importlib
import time
from pathlib import Path

APPS = ("regularize", "generate", "attack")

__all__ = ["APPS", "run_demo"]


def run_demo(
    apps=APPS,
    out: str | Path = "topolayer-demo",
    seed: int = 0,
    quick: bool = False,
    mnist: str | Path | None = None,
    progress: bool = True,
) -> dict:
    """Run the named applications and write figures, ``metrics.json`` and the reports.

    Parameters
    ----------
    apps : sequence of str
        Any of ``"regularize"``, ``"generate"``, ``"attack"`` (in that order in the report).
    out : str or Path
        Output folder, created if missing.
    seed : int
        Seed of every random choice; a run is deterministic given the seed.
    quick : bool
        Small settings, each application in well under a minute.
    mnist : str or Path, optional
        Folder with the MNIST IDX files, used instead of the bundled 8x8 digits.
    progress : bool
        Show tqdm progress bars (only where stderr is a terminal).

    Returns
    -------
    dict
        The metrics written to ``metrics.json``.

    Raises
    ------
    ValueError
        On an unknown application name or a negative seed.
    topolayer._optional.MissingDependencyError
        When the ``demo`` extra (matplotlib, tqdm, scikit-learn) is not installed.
    """
    import json
    import sys

    from .._optional import MissingDependencyError, missing

    lacking = missing("demo")
    if lacking:
        raise MissingDependencyError(
            f"topolayer demo needs {', '.join(lacking)}, not installed: "
            'pip install "topolayer[demo]"'
        )
    import matplotlib

    matplotlib.use("Agg")
    import torch

    from .. import __version__
    from .report import write_report

    apps = list(apps)
    unknown = [a for a in apps if a not in APPS]
    if unknown:
        raise ValueError(f"unknown application(s) {unknown}; choose from {list(APPS)}")
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise ValueError(f"seed must be a non-negative int, got {seed!r}")
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    if progress and sys.stderr.isatty():
        from tqdm.auto import tqdm

        def bar(it, **kw):
            return tqdm(it, leave=False, **kw)
    else:

        def bar(it, **kw):
            return it

    t0 = time.perf_counter()
    sections = []
    for name in APPS:
        if name not in apps:
            continue
        torch.manual_seed(seed)
        module = importlib.import_module(f"{__name__}.{name}")
        sections.append(module.run(out, seed=seed, quick=quick, progress=bar, mnist=mnist))
    meta = {
        "seed": seed,
        "quick": quick,
        "apps": apps,
        "wall_time_s": round(time.perf_counter() - t0, 1),
        "torch_threads": torch.get_num_threads(),
        "topolayer": __version__,
        "torch": torch.__version__,
        "data": "MNIST IDX files" if mnist else "bundled scikit-learn digits",
    }
    paths = write_report(out, sections, meta)
    return json.loads(paths["metrics"].read_text())
