"""A synthetic curvilinear segmentation data set, generated on the fly (2D and 3D).

Each sample is a few thin, branching, vessel-like trees: a smoothed random walk for the trunk,
with branches that start on it and bend away, drawn with a random radius. The target is the
binary mask of the trees. The image is the mask blurred, dimmed along short stretches of the
centreline (the *gaps*: the target stays connected there, the image nearly vanishes), plus a
smooth intensity drift and Gaussian noise. A network trained with a pixel loss tends to break the
vessels at the gaps and to add specks in the noise; restoring the target's Betti numbers is what
a topological loss is for.

Everything is NumPy/SciPy and seeded through one :class:`numpy.random.Generator`, so a data set
is a pure function of ``(n, size, ndim, seed)``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import ndimage

__all__ = ["VesselSample", "vessel_sample", "vessel_dataset"]


@dataclass
class VesselSample:
    """One synthetic sample.

    Attributes
    ----------
    image : (*grid) float32 ndarray
        The network's input: blurred mask with gaps, drift and noise (roughly in [-0.5, 1.5]).
    target : (*grid) float32 ndarray
        Binary vessel mask (0/1).
    centreline : (*grid) bool ndarray
        The rasterised centrelines the mask was drawn around.
    gaps : (*grid) bool ndarray
        Where the image was dimmed (inside the target).
    """

    image: np.ndarray
    target: np.ndarray
    centreline: np.ndarray
    gaps: np.ndarray


def _unit(v: np.ndarray) -> np.ndarray:
    return v / max(float(np.linalg.norm(v)), 1e-12)


def _random_direction(rng: np.random.Generator, ndim: int) -> np.ndarray:
    return _unit(rng.normal(size=ndim))


def _walk(
    rng: np.random.Generator,
    start: np.ndarray,
    direction: np.ndarray,
    length: float,
    size: int,
    bend: float,
    step: float = 0.5,
) -> np.ndarray:
    """Points of a smoothed random walk from ``start``: the heading turns by a low-pass filtered
    random increment (so curves bend smoothly), and the walk stops at the border."""
    ndim = start.shape[0]
    n = max(int(length / step), 2)
    # Smoothing the turning noise over ~20 steps gives curves, not zigzags.
    turns = ndimage.gaussian_filter1d(rng.normal(size=(n, ndim)), sigma=10, axis=0, mode="nearest")
    turns *= bend / max(float(np.abs(turns).max()), 1e-12)
    pts = [start.astype(float)]
    heading = _unit(direction.astype(float))
    for k in range(n - 1):
        heading = _unit(heading + turns[k])
        nxt = pts[-1] + step * heading
        if np.any(nxt < 1.0) or np.any(nxt > size - 2.0):
            break
        pts.append(nxt)
    return np.asarray(pts)


def _tree(rng: np.random.Generator, size: int, ndim: int) -> list[np.ndarray]:
    """A trunk across most of the grid and 1-3 branches (some with a sub-branch)."""
    margin = size * 0.15
    start = rng.uniform(margin, size - margin, size=ndim)
    direction = _random_direction(rng, ndim)
    trunk_back = _walk(rng, start, -direction, rng.uniform(0.4, 0.7) * size, size, 0.08)
    trunk_fwd = _walk(rng, start, direction, rng.uniform(0.4, 0.7) * size, size, 0.08)
    trunk = np.concatenate([trunk_back[::-1], trunk_fwd[1:]])
    curves = [trunk]
    for _ in range(int(rng.integers(1, 4))):
        parent = curves[int(rng.integers(0, len(curves)))]
        if len(parent) < 8:
            continue
        i = int(rng.integers(len(parent) // 5, max(len(parent) * 4 // 5, len(parent) // 5 + 1)))
        tangent = _unit(parent[min(i + 1, len(parent) - 1)] - parent[max(i - 1, 0)])
        # Branch off at 30-70 degrees from the parent's tangent.
        side = _unit(rng.normal(size=ndim) - tangent * float(tangent @ rng.normal(size=ndim)))
        side = _unit(side - tangent * float(tangent @ side))
        angle = rng.uniform(np.pi / 6, 7 * np.pi / 18)
        heading = np.cos(angle) * tangent + np.sin(angle) * side
        curves.append(_walk(rng, parent[i], heading, rng.uniform(0.25, 0.5) * size, size, 0.1))
    return curves


def _rasterise(points: np.ndarray, size: int, ndim: int) -> np.ndarray:
    grid = np.zeros((size,) * ndim, dtype=bool)
    idx = np.clip(np.rint(points).astype(np.int64), 0, size - 1)
    grid[tuple(idx.T)] = True
    return grid


def vessel_sample(
    rng: np.random.Generator,
    size: int = 64,
    ndim: int = 2,
    n_gaps: tuple[int, int] = (2, 4),
    noise: tuple[float, float] = (0.15, 0.3),
) -> VesselSample:
    """Draw one synthetic vessel image and its mask.

    Parameters
    ----------
    rng : numpy.random.Generator
        The only source of randomness.
    size : int
        Side of the grid (``size**ndim`` pixels), at least 16.
    ndim : {2, 3}
        Image (2) or volume (3).
    n_gaps : (int, int)
        Inclusive range of the number of gaps cut into the image.
    noise : (float, float)
        Range of the noise standard deviation (the vessels' peak intensity is 0.6-1).

    Returns
    -------
    VesselSample

    Raises
    ------
    ValueError
        ``ndim`` not 2 or 3, or ``size`` below 16.

    Examples
    --------
    >>> import numpy as np
    >>> s = vessel_sample(np.random.default_rng(0), size=32)
    >>> s.image.shape, s.target.dtype, sorted(np.unique(s.target).tolist())
    ((32, 32), dtype('float32'), [0.0, 1.0])
    """
    if isinstance(ndim, bool) or ndim not in (2, 3):
        raise ValueError(f"ndim must be 2 or 3, got {ndim!r}")
    if isinstance(size, bool) or not isinstance(size, (int, np.integer)) or size < 16:
        raise ValueError(f"size must be an int >= 16, got {size!r}")
    size = int(size)
    n_trees = 1 if ndim == 3 or rng.random() < 0.6 else 2
    curves = [c for _ in range(n_trees) for c in _tree(rng, size, ndim)]
    centre = np.zeros((size,) * ndim, dtype=bool)
    mask = np.zeros((size,) * ndim, dtype=bool)
    for c in curves:
        line = _rasterise(c, size, ndim)
        # Radius >= 1 makes every drawn curve 4-/6-connected (no diagonal-only steps).
        radius = rng.uniform(1.0, 1.7) if ndim == 2 else rng.uniform(1.0, 1.4)
        mask |= ndimage.distance_transform_edt(~line) <= radius
        centre |= line
    target = mask.astype(np.float32)

    contrast = rng.uniform(0.6, 1.0)
    image = contrast * ndimage.gaussian_filter(target, sigma=0.7)
    # Gaps: a few short stretches of centreline where the vessel fades almost to background.
    gaps = np.zeros_like(mask)
    on_line = np.argwhere(centre)
    lo, hi = n_gaps
    for _ in range(int(rng.integers(lo, hi + 1))):
        p = on_line[int(rng.integers(0, len(on_line)))]
        half = rng.uniform(1.5, 3.0)
        dist2 = sum(
            (np.arange(size).reshape((-1,) + (1,) * (ndim - 1 - a)) - p[a]) ** 2
            for a in range(ndim)
        )
        gaps |= (np.sqrt(dist2) <= half) & mask
    fade = ndimage.gaussian_filter(gaps.astype(np.float32), sigma=0.7)
    image = image * (1.0 - rng.uniform(0.75, 0.95) * np.clip(fade * 1.5, 0.0, 1.0))
    # Drift: a smooth random field plus a linear ramp, as uneven illumination.
    field = ndimage.gaussian_filter(rng.normal(size=(size,) * ndim), sigma=size / 6)
    field *= rng.uniform(0.1, 0.25) / max(float(np.abs(field).max()), 1e-12)
    ramp_dir = _random_direction(rng, ndim)
    coords = np.meshgrid(*[np.linspace(-0.5, 0.5, size)] * ndim, indexing="ij")
    ramp = rng.uniform(0.0, 0.2) * sum(d * c for d, c in zip(ramp_dir, coords, strict=True))
    image = image + field + ramp + rng.uniform(*noise) * rng.normal(size=image.shape)
    return VesselSample(image.astype(np.float32), target, centre, gaps)


def vessel_dataset(
    n: int, size: int = 64, ndim: int = 2, seed: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """``n`` samples stacked as ``(n, 1, *grid)`` float32 images and binary targets.

    Parameters
    ----------
    n : int
        Number of samples (>= 1).
    size : int
        Side of the grid.
    ndim : {2, 3}
    seed : int
        Seed of the generator: the same arguments give the same arrays.

    Returns
    -------
    images, targets : (n, 1, *grid) float32 ndarray

    Examples
    --------
    >>> x, y = vessel_dataset(3, size=32, seed=1)
    >>> x.shape, y.shape
    ((3, 1, 32, 32), (3, 1, 32, 32))
    >>> bool((vessel_dataset(3, size=32, seed=1)[0] == x).all())
    True
    """
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
        raise ValueError(f"n must be a positive int, got {n!r}")
    rng = np.random.default_rng(seed)
    samples = [vessel_sample(rng, size, ndim) for _ in range(int(n))]
    images = np.stack([s.image for s in samples])[:, None]
    targets = np.stack([s.target for s in samples])[:, None]
    return images, targets
