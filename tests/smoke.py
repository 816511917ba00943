"""Smoke test of an installed topolayer (a wheel in a fresh environment holding only torch and
the declared dependencies): import, one call per layer kind, a distance, gradients.

Run as ``python tests/smoke.py``; it exits non-zero with the failing check's message. The
checked values are known by hand, so no oracle package is needed.
"""

from __future__ import annotations

import math
import sys


def main() -> int:
    import numpy as np
    import torch

    import topolayer as tl

    # A 3x3 image with one hole: H0 one essential bar born at 0, H1 one bar (1, 2).
    img = torch.tensor([[1.0, 1.0, 1.0], [1.0, 2.0, 1.0], [0.0, 1.0, 1.0]], requires_grad=True)
    dgm = tl.functional.cubical(img, 1, construction="V")
    assert dgm[0].tolist() == [[0.0, math.inf]], dgm[0]
    assert dgm[1].tolist() == [[1.0, 2.0]], dgm[1]
    tl.losses.sum_barcode_lengths(dgm, 1).backward()
    assert img.grad[1, 1] == 1.0 and img.grad.sum() == 0.0, img.grad

    # Four points on a unit square: H1 born at the side 1, dying at the diagonal sqrt(2).
    square = np.array([[0.0, 0.0], [1.0, 0.0], [1.0, 1.0], [0.0, 1.0]])
    rips = tl.functional.rips(square, 1)
    assert torch.allclose(rips[1], torch.tensor([[1.0, math.sqrt(2)]], dtype=rips[1].dtype))
    assert len(tl.functional.alpha(square, 1)[0]) == 4

    # Batched, threaded: two images at once equal two calls.
    x = torch.rand(2, 16, 16)
    batch = tl.functional.cubical(x, 1, n_threads=2)
    assert batch.batch_size == 2

    # A distance and a diagram from ripser.py's format.
    d = tl.wasserstein_distance([np.array([[0.0, 1.0]])], [np.array([[0.0, 2.0]])], 0)
    assert abs(float(d) - 1.0) < 1e-12, d

    print(f"topolayer {tl.__version__} (torch {torch.__version__}): smoke test passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
