"""Data for the demos: bundled digits (scikit-learn), real MNIST from IDX files, the ring
image and uniform point clouds.

Everything is generated or bundled, so the demos run offline; ``--mnist PATH`` swaps the 8x8
digits for real MNIST when a user has the four IDX files.
"""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np
import numpy.typing as npt
import torch
import torch.nn.functional as F

__all__ = [
    "read_idx",
    "load_mnist",
    "load_digit_images",
    "train_test_split",
    "ring_image",
    "uniform_cloud",
]

_IDX_DTYPES: dict[int, npt.DTypeLike] = {
    0x08: np.uint8,
    0x09: np.int8,
    0x0B: ">i2",
    0x0C: ">i4",
    0x0D: ">f4",
    0x0E: ">f8",
}


def read_idx(path: str | Path) -> np.ndarray:
    """Read an IDX file (the MNIST format), optionally gzip-compressed.

    Parameters
    ----------
    path : str or Path
        File name; a ``.gz`` suffix means gzip.

    Returns
    -------
    ndarray
        The array with the shape and dtype stored in the header.

    Raises
    ------
    ValueError
        If the file is not a valid IDX file (bad magic number, unknown type code, or a size
        that does not match its header).
    """
    path = Path(path)
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rb") as fh:
        raw = fh.read()
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0:
        raise ValueError(f"{path} is not an IDX file (bad magic number)")
    code, ndim = raw[2], raw[3]
    if code not in _IDX_DTYPES:
        raise ValueError(f"{path}: unknown IDX type code 0x{code:02x}")
    header = 4 + 4 * ndim
    if len(raw) < header:
        raise ValueError(f"{path}: truncated IDX header")
    shape = tuple(int(v) for v in np.frombuffer(raw[4:header], dtype=">u4"))
    dtype = np.dtype(_IDX_DTYPES[code])
    count = int(np.prod(shape)) if shape else 1
    if len(raw) - header != count * dtype.itemsize:
        raise ValueError(
            f"{path}: {len(raw) - header} data bytes, header says shape {shape} of {dtype}"
        )
    return np.frombuffer(raw[header:], dtype=dtype).reshape(shape)


def _find(folder: Path, stem: str) -> Path:
    for name in (
        stem,
        stem + ".gz",
        stem.replace("-idx", ".idx"),
        stem.replace("-idx", ".idx") + ".gz",
    ):
        if (folder / name).is_file():
            return folder / name
    raise FileNotFoundError(
        f"--mnist folder {folder} has no {stem}[.gz]; expected the four MNIST IDX files "
        "(train-images-idx3-ubyte, train-labels-idx1-ubyte, t10k-images-idx3-ubyte, t10k-labels-idx1-ubyte)"
    )


def load_mnist(
    folder: str | Path, split: str = "train", limit: int | None = None
) -> tuple[torch.Tensor, torch.Tensor]:
    """Load MNIST images and labels from the standard IDX files in ``folder``.

    Parameters
    ----------
    folder : str or Path
        Folder holding ``{train,t10k}-{images-idx3,labels-idx1}-ubyte`` (optionally ``.gz``).
    split : {"train", "test"}
    limit : int, optional
        Keep the first ``limit`` images.

    Returns
    -------
    images : (N, 28, 28) float32 Tensor in [0, 1]
    labels : (N,) int64 Tensor

    Raises
    ------
    FileNotFoundError, ValueError
        Missing files, or images and labels that do not match.
    """
    folder = Path(folder)
    if split not in ("train", "test"):
        raise ValueError(f"split must be 'train' or 'test', got {split!r}")
    prefix = "train" if split == "train" else "t10k"
    images = read_idx(_find(folder, f"{prefix}-images-idx3-ubyte"))
    labels = read_idx(_find(folder, f"{prefix}-labels-idx1-ubyte"))
    if images.ndim != 3 or labels.ndim != 1 or len(images) != len(labels):
        raise ValueError(
            f"MNIST {split} files do not match: images {images.shape}, labels {labels.shape}"
        )
    if limit is not None:
        images, labels = images[:limit], labels[:limit]
    x = torch.from_numpy(images.astype(np.float32) / 255.0)
    return x, torch.from_numpy(labels.astype(np.int64))


def load_digit_images(size: int = 16) -> tuple[torch.Tensor, torch.Tensor]:
    """scikit-learn's bundled 8x8 digits (1,797 images), scaled to [0, 1] and resized.

    Parameters
    ----------
    size : int
        Side of the returned images; 8 keeps the originals, larger sizes upsample bilinearly.

    Returns
    -------
    images : (1797, size, size) float32 Tensor in [0, 1]
    labels : (1797,) int64 Tensor
    """
    from sklearn.datasets import load_digits

    d = load_digits()
    x = torch.from_numpy(d.images.astype(np.float32) / 16.0)
    if size != 8:
        x = F.interpolate(x[:, None], size=(size, size), mode="bilinear", align_corners=False)[:, 0]
    return x.clamp(0, 1), torch.from_numpy(d.target.astype(np.int64))


def train_test_split(
    x: torch.Tensor, y: torch.Tensor, test_fraction: float, seed: int
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    """A seeded random split ``(x_train, y_train, x_test, y_test)``."""
    g = torch.Generator().manual_seed(seed)
    perm = torch.randperm(len(x), generator=g)
    n_test = int(round(test_fraction * len(x)))
    te, tr = perm[:n_test], perm[n_test:]
    return x[tr], y[tr], x[te], y[te]


def image_data(
    mnist: str | Path | None,
    size: int,
    seed: int,
    n_train: int | None = None,
    n_test: int | None = None,
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor, str]:
    """Train/test digit images for the image demos: bundled digits, or MNIST when given.

    Returns ``(x_train, y_train, x_test, y_test, description)`` with images in [0, 1]; bundled
    digits are resized to ``size``, MNIST stays 28x28.
    """
    if mnist is not None:
        xtr, ytr = load_mnist(mnist, "train", n_train)
        xte, yte = load_mnist(mnist, "test", n_test)
        return xtr, ytr, xte, yte, f"MNIST 28x28 from {mnist} ({len(xtr)} train / {len(xte)} test)"
    x, y = load_digit_images(size)
    xtr, ytr, xte, yte = train_test_split(x, y, 0.3, seed)
    if n_train is not None:
        xtr, ytr = xtr[:n_train], ytr[:n_train]
    if n_test is not None:
        xte, yte = xte[:n_test], yte[:n_test]
    desc = (
        f"scikit-learn digits 8x8 upsampled to {size}x{size} ({len(xtr)} train / {len(xte)} test)"
    )
    return xtr, ytr, xte, yte, desc


def ring_image(n: int = 50) -> torch.Tensor:
    """The paper's ring: ``exp(-(r - n/3)^2 / 100)`` with ``r`` the distance to the centre.

    Returns
    -------
    (n, n) float64 Tensor
    """
    c = (n - 1) / 2
    i, j = torch.meshgrid(
        torch.arange(n, dtype=torch.float64), torch.arange(n, dtype=torch.float64), indexing="ij"
    )
    r = torch.sqrt((i - c) ** 2 + (j - c) ** 2)
    return torch.exp(-((r - n / 3) ** 2) / 100)


def uniform_cloud(n: int, seed: int) -> torch.Tensor:
    """``n`` points uniform in the unit square, ``(n, 2)`` float64, from a seeded generator."""
    g = torch.Generator().manual_seed(seed)
    return torch.rand(n, 2, generator=g, dtype=torch.float64)
