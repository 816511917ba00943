"""Smoke test of an installed wheel's compiled core on a Python without torch (the abi3 wheel
on a newer Python than it was built with, where no torch build is at hand): the extension
loads and computes, and ``import topolayer`` fails with the message that says how to install
torch.

Run as ``python tests/smoke_core.py``; exits non-zero on failure.
"""

from __future__ import annotations

import importlib.machinery
import importlib.util
import sys
from pathlib import Path


def main() -> int:
    import numpy as np

    spec = importlib.util.find_spec("topolayer")
    assert spec is not None and spec.submodule_search_locations, "topolayer is not installed"
    pkg = Path(next(iter(spec.submodule_search_locations)))
    (so,) = [
        p for p in pkg.iterdir() if p.name.startswith("_core.") and p.suffix in (".so", ".pyd")
    ]
    # Loaded on its own: importing the package would need torch.
    loader = importlib.machinery.ExtensionFileLoader("_core", str(so))
    core_spec = importlib.util.spec_from_file_location("_core", so, loader=loader)
    core = importlib.util.module_from_spec(core_spec)
    loader.exec_module(core)

    img = np.array([[1.0, 1.0, 1.0], [1.0, 2.0, 1.0], [0.0, 1.0, 1.0]]).reshape(1, 9)
    rows = core.cubical(img, [3, 3], "V", 1, False, False, 1)
    # H0: the essential bar born at pixel 6 (value 0); H1: born at a 1, dies at pixel 4 (the 2).
    assert rows[0].tolist() == [[0, 6, -1]], rows[0]
    assert len(rows[1]) == 1 and rows[1][0, 2] == 4, rows[1]
    info = core.build_info()
    print(f"{so.name}: build {info}")

    try:
        import topolayer  # noqa: F401
    except ImportError as err:
        assert "needs PyTorch" in str(err) and "pip install torch" in str(err), err
    else:
        import torch  # noqa: F401  (torch is installed here: nothing more to check)
    print("core smoke test passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
