"""scikit-learn transformers: persistence diagrams and their vectorisations over a dataset.

The names follow giotto-tda's vocabulary. Persistence transformers turn a dataset into one
diagram per sample; vectorisers turn diagrams into a fixed-size feature matrix:

- :class:`CubicalPersistence` (images or volumes), :class:`RipsPersistence` and
  :class:`AlphaPersistence` (point clouds), :class:`LowerStarPersistence` (signals, or
  functions on a :class:`~topolayer.SimplicialComplex`) return a list of
  :class:`~topolayer.Diagram` (float64 CPU tensors, detached);
- :class:`PersistenceImage`, :class:`PersistenceLandscape`, :class:`BettiCurve` (whose ``fit``
  learns their ranges from the training diagrams) and :class:`BarcodeFeatures` (summary
  statistics per dimension) return a ``(n_samples, n_features)`` NumPy array. They take a
  list of diagrams in any form :func:`~topolayer.as_diagram` reads, a
  :class:`~topolayer.DiagramBatch`, or giotto-tda's padded ``(n_samples, n_points, 3)`` array
  of ``(birth, death, dim)`` rows.

All take ``n_jobs``: the dataset is cut into chunks, each chunk is one batched (threaded) call of
the functional layer, and the chunks run through :class:`joblib.Parallel`, so
``joblib.parallel_config(backend="dask")`` spreads a dataset over a dask cluster. With one worker
(``n_jobs=None`` or ``1``) each chunk runs on the C++ thread pool; with several, each worker
computes with one thread. Results are identical for every ``n_jobs``, backend and thread count:
each item's diagram does not depend on its chunk. ``verbose=True`` shows a tqdm bar over the
finished chunks (only where stderr is a terminal). The vectorisers check their parameters at
``fit`` and name their columns (``get_feature_names_out``, so ``set_output`` works). Warnings
raised in worker processes (ranges that miss every bar, a dense Rips problem) are raised again
in the caller.

Needs scikit-learn and joblib: ``pip install "topolayer[sklearn]"`` (``[dask]`` for dask).
"""

from __future__ import annotations

import math
import os
import sys
import threading
import warnings
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import torch

from . import _optional, functional, losses, vectorize
from .complexes import SimplicialComplex
from .diagram import Diagram, DiagramBatch, as_diagram

_optional.require("sklearn", "sklearn", "topolayer.sklearn")
_optional.require("joblib", "sklearn", "topolayer.sklearn")

from joblib import Parallel, delayed, effective_n_jobs  # noqa: E402
from sklearn.base import BaseEstimator, TransformerMixin  # noqa: E402
from sklearn.utils.validation import check_is_fitted  # noqa: E402

__all__ = [
    "AlphaPersistence",
    "BarcodeFeatures",
    "BettiCurve",
    "CubicalPersistence",
    "LowerStarPersistence",
    "PersistenceImage",
    "PersistenceLandscape",
    "RipsPersistence",
]

#: Items per batched call when ``chunk_size`` is not given: large enough that the C++ batch
#: amortises its per-call cost, small enough that ``n_jobs`` workers all get chunks.
_DEFAULT_CHUNK = 64


# -- running chunks -------------------------------------------------------------------------------


def _chunks(n: int, n_jobs: int | None, chunk_size: int | None) -> list[slice]:
    if chunk_size is None:
        workers = effective_n_jobs(n_jobs)
        chunk_size = max(1, min(_DEFAULT_CHUNK, math.ceil(n / (4 * workers))))
    return [slice(i, min(i + chunk_size, n)) for i in range(0, n, chunk_size)]


def _progress_bar(total: int, verbose: bool, desc: str) -> Any:
    """A tqdm bar over ``total`` chunks, or ``None`` (not asked for, or stderr is not a
    terminal: a log file or a CI run gets no carriage-return noise)."""
    if not verbose or not sys.stderr.isatty():
        return None
    tqdm = _optional.require("tqdm", "sklearn", "verbose=True").tqdm
    return tqdm(total=total, desc=desc, leave=False)


def _run(
    fn: Callable[..., list[Any]],
    parts: list[Any],
    n_jobs: int | None,
    verbose: bool,
    desc: str,
    *args: Any,
) -> list[Any]:
    """``fn(part, *args)`` for every part (joblib), concatenated in order. Warnings raised in
    worker processes are raised again here, once each, so that ``n_jobs`` does not hide them."""
    jobs = [delayed(_call)(fn, p, args, os.getpid()) for p in parts]
    bar = _progress_bar(len(jobs), verbose, desc)
    results: Any
    if bar is None:
        results = Parallel(n_jobs=n_jobs)(jobs)
    else:
        try:
            # Results as they complete, so the bar counts finished chunks, not dispatched ones.
            parallel = Parallel(n_jobs=n_jobs, return_as="generator")
        except (TypeError, ValueError):
            # joblib < 1.3, or a backend without result generators (dask, multiprocessing):
            # the bar counts dispatched chunks.
            results = Parallel(n_jobs=n_jobs)(_counted(jobs, bar))
        else:
            results = parallel(jobs)
    out: list[Any] = []
    caught: dict[tuple[type[Warning], str], None] = {}
    try:
        for res, warned in results:
            out.extend(res)
            caught.update(dict.fromkeys(warned))
            if bar is not None and not isinstance(results, list):
                bar.update(1)
    finally:
        if bar is not None:
            bar.close()
    for category, message in caught:
        warnings.warn(message, category, stacklevel=3)
    return out


def _call(
    fn: Callable[..., list[Any]], part: Any, args: tuple[Any, ...], parent: int
) -> tuple[list[Any], list[tuple[type[Warning], str]]]:
    """``fn(part, *args)`` and, in a worker process, the warnings it raised (a worker's
    warnings would otherwise end in its own stderr). Only the process's main thread records:
    ``warnings.catch_warnings`` is process-wide state, unsafe beside other threads (dask
    runs tasks on threads; their warnings stay with the worker)."""
    if os.getpid() == parent or threading.current_thread() is not threading.main_thread():
        return fn(part, *args), []
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        res = fn(part, *args)
    return res, [(w.category, str(w.message)) for w in caught]


def _counted(items: list[Any], bar: Any) -> Any:
    for item in items:
        yield item
        bar.update(1)


def _check_int(value: Any, name: str, low: int) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < low:
        raise ValueError(f"{name} must be an int >= {low}, got {value!r}")
    return int(value)


def _check_n_jobs(n_jobs: Any) -> int | None:
    if n_jobs is None:
        return None
    if isinstance(n_jobs, bool) or not isinstance(n_jobs, (int, np.integer)) or n_jobs == 0:
        raise ValueError(f"n_jobs must be None or a nonzero int, got {n_jobs!r}")
    return int(n_jobs)


def _split(dgm: Diagram | DiagramBatch, n: int) -> list[Diagram]:
    """Per-item detached float64 diagrams of a batch, in item order."""
    if isinstance(dgm, Diagram):
        dgm = DiagramBatch.from_diagrams([dgm])
    bars = [b.detach().to(torch.float64) for b in dgm.bars]
    out: list[list[torch.Tensor]] = [[] for _ in range(n)]
    for k, b in enumerate(bars):
        order = torch.sort(dgm.batch[k], stable=True)
        sizes = torch.bincount(dgm.batch[k], minlength=n).tolist()
        for i, part in enumerate(torch.split(b[order.indices], sizes)):
            out[i].append(part)
    return [Diagram(parts, superlevel=dgm.superlevel) for parts in out]


# -- persistence transformers ---------------------------------------------------------------------


class _Persistence(TransformerMixin, BaseEstimator):
    """Shared fit/transform: ``fit`` validates and remembers the sample shape; ``transform``
    runs :meth:`_diagrams` over chunks."""

    def _check_run_options(self) -> None:
        """``n_jobs`` and ``chunk_size``, shared by every persistence transformer."""
        _check_n_jobs(self.n_jobs)
        if self.chunk_size is not None:
            _check_int(self.chunk_size, "chunk_size", 1)

    def fit(self, X: Any, y: Any = None) -> _Persistence:
        """Check the parameters and the data (nothing is learnt). Returns ``self``."""
        params = self._check_params()
        if self.output not in ("diagrams", "giotto"):
            raise ValueError(f"output must be 'diagrams' or 'giotto', got {self.output!r}")
        samples = self._samples(X)
        if len(samples):
            # The first sample through the functional layer: a bad max_dim, construction or
            # metric fails here, naming itself, rather than inside a worker at transform time.
            type(self)._diagrams(samples[:1], {**params, "n_threads": 1})
        self.n_samples_fit_ = len(samples)
        return self

    def transform(self, X: Any) -> Any:
        """One :class:`~topolayer.Diagram` per sample (or giotto-tda's array, ``output``)."""
        check_is_fitted(self, "n_samples_fit_")
        params = self._check_params()
        samples = self._samples(X)
        if not len(samples):
            return _to_triples([]) if self.output == "giotto" else []
        parts = [samples[s] for s in _chunks(len(samples), self.n_jobs, self.chunk_size)]
        # One worker: the chunk's batch runs on the C++ thread pool (every core). Several
        # workers: one thread each, so that workers and threads do not oversubscribe the cores.
        # The diagrams are the same for every thread count.
        params["n_threads"] = None if effective_n_jobs(self.n_jobs) == 1 else 1
        dgms = _run(
            type(self)._diagrams, parts, self.n_jobs, self.verbose, type(self).__name__, params
        )
        return _to_triples(dgms) if self.output == "giotto" else dgms

    def _check_params(self) -> dict[str, Any]:
        raise NotImplementedError

    def _samples(self, X: Any) -> Any:
        raise NotImplementedError


def _float_array(X: Any, name: str = "X") -> np.ndarray:
    if isinstance(X, torch.Tensor):
        X = X.detach().cpu().numpy()
    try:
        arr = np.asarray(X, dtype=np.float64)
    except (TypeError, ValueError):
        raise TypeError(f"{name} must be an array of numbers, got {type(X).__name__}") from None
    if not np.isfinite(arr).all():
        raise ValueError(f"{name} must be finite (no NaN or inf)")
    return arr


class CubicalPersistence(_Persistence):
    """Persistence diagrams of images or volumes (cubical complexes).

    Parameters
    ----------
    max_dim : int
        Largest homology dimension (``<= ndim``).
    superlevel : bool
        Superlevel filtration (bars run downwards).
    construction : {"V", "T", "freudenthal"}
        Cell construction; see :func:`topolayer.functional.cubical`.
    image_shape : tuple of int, optional
        Reshape each flat sample to this grid (e.g. ``(8, 8)`` for scikit-learn's digits).
        Without it ``X`` must be ``(n_samples, *grid)`` with a 2D or 3D grid.
    output : {"diagrams", "giotto"}
        ``"diagrams"``: a list of :class:`~topolayer.Diagram`, one per sample. ``"giotto"``:
        giotto-tda's layout, a float64 ``(n_samples, n_points, 3)`` array of
        ``(birth, death, dim)`` rows, dimensions in increasing order, each padded to the
        largest count of its dimension with ``(0, 0, dim)`` rows (zero length: the vectorisers
        drop them); essential bars keep their infinite death.
    n_jobs, chunk_size, verbose
        Parallel chunks (joblib), items per chunk, a progress bar.

    Examples
    --------
    >>> import numpy as np
    >>> X = np.random.default_rng(0).random((5, 8, 8))
    >>> dgms = CubicalPersistence(max_dim=1).fit_transform(X)
    >>> len(dgms), len(dgms[0][0]) >= 1
    (5, True)
    """

    def __init__(
        self,
        max_dim: int = 1,
        superlevel: bool = False,
        construction: str = "V",
        image_shape: tuple[int, ...] | None = None,
        output: str = "diagrams",
        n_jobs: int | None = None,
        chunk_size: int | None = None,
        verbose: bool = False,
    ) -> None:
        self.max_dim = max_dim
        self.superlevel = superlevel
        self.construction = construction
        self.image_shape = image_shape
        self.output = output
        self.n_jobs = n_jobs
        self.chunk_size = chunk_size
        self.verbose = verbose

    def _check_params(self) -> dict[str, Any]:
        self._check_run_options()
        return dict(
            max_dim=self.max_dim, superlevel=self.superlevel, construction=self.construction
        )

    def _samples(self, X: Any) -> np.ndarray:
        arr = _float_array(X)
        if self.image_shape is not None:
            shape = tuple(int(s) for s in self.image_shape)
            if arr.ndim < 1 or math.prod(arr.shape[1:]) != math.prod(shape):
                raise ValueError(
                    f"X of shape {arr.shape} cannot be reshaped to (n_samples, *{shape}) "
                    "(image_shape)"
                )
            arr = arr.reshape((len(arr), *shape))
        if arr.ndim not in (3, 4):
            raise ValueError(
                f"X must be (n_samples, H, W) or (n_samples, D, H, W), got shape {arr.shape}; "
                "give image_shape= for flat samples"
            )
        return arr

    @staticmethod
    def _diagrams(part: np.ndarray, params: dict[str, Any]) -> list[Diagram]:
        x = torch.from_numpy(np.ascontiguousarray(part))
        d = functional.cubical(x, ndim=x.dim() - 1, **params)
        return _split(d, len(part))


def _clouds(X: Any) -> list[np.ndarray]:
    if isinstance(X, (np.ndarray, torch.Tensor)) and np.ndim(X) == 3:
        arr = _float_array(X)
        return list(arr)
    if isinstance(X, (str, bytes)) or not isinstance(X, Sequence | np.ndarray):
        raise TypeError(
            f"X must be (n_samples, n_points, dim) or a list of (n_points, dim) clouds, got "
            f"{type(X).__name__}"
        )
    clouds = [_float_array(c, f"X[{i}]") for i, c in enumerate(X)]
    for i, c in enumerate(clouds):
        if c.ndim != 2 or len(c) == 0:
            raise ValueError(f"X[{i}] must be a non-empty (n_points, dim) array, got {c.shape}")
    return clouds


class _CloudPersistence(_Persistence):
    def _samples(self, X: Any) -> np.ndarray:
        clouds = _clouds(X)
        out = np.empty(len(clouds), dtype=object)
        out[:] = clouds
        return out


class RipsPersistence(_CloudPersistence):
    """Vietoris–Rips persistence diagrams of point clouds (or distance matrices).

    Parameters
    ----------
    max_dim : int
        Largest homology dimension.
    threshold : float, optional
        Only edges up to this length enter (bars alive at it become essential).
    metric : {"euclidean", "precomputed"}
        ``"precomputed"``: each sample is a square distance matrix.
    output : {"diagrams", "giotto"}
        ``"diagrams"``: a list of :class:`~topolayer.Diagram`; ``"giotto"``: giotto-tda's
        padded ``(n_samples, n_points, 3)`` array (see :class:`CubicalPersistence`).
    n_jobs, chunk_size, verbose
        Parallel chunks (joblib), items per chunk, a progress bar.

    Examples
    --------
    >>> import numpy as np
    >>> t = np.linspace(0, 2 * np.pi, 20, endpoint=False)
    >>> circle = np.stack([np.cos(t), np.sin(t)], 1)
    >>> len(RipsPersistence(max_dim=1).fit_transform([circle, 2 * circle])[1][1])
    1
    """

    def __init__(
        self,
        max_dim: int = 1,
        threshold: float | None = None,
        metric: str = "euclidean",
        output: str = "diagrams",
        n_jobs: int | None = None,
        chunk_size: int | None = None,
        verbose: bool = False,
    ) -> None:
        self.max_dim = max_dim
        self.threshold = threshold
        self.metric = metric
        self.output = output
        self.n_jobs = n_jobs
        self.chunk_size = chunk_size
        self.verbose = verbose

    def _check_params(self) -> dict[str, Any]:
        self._check_run_options()
        return dict(max_dim=self.max_dim, threshold=self.threshold, metric=self.metric)

    @staticmethod
    def _diagrams(part: np.ndarray, params: dict[str, Any]) -> list[Diagram]:
        clouds = [torch.from_numpy(c) for c in part]
        d = functional.rips(clouds, **params)
        return _split(d, len(clouds))


class AlphaPersistence(_CloudPersistence):
    """Alpha-complex persistence diagrams of point clouds (2D or 3D; values are radii, as
    :func:`topolayer.functional.alpha` gives them).

    Parameters
    ----------
    max_dim : int
        Largest homology dimension.
    weak : bool
        Weak alpha (a Delaunay triangulation filtered by edge lengths).
    output : {"diagrams", "giotto"}
        ``"diagrams"``: a list of :class:`~topolayer.Diagram`; ``"giotto"``: giotto-tda's
        padded ``(n_samples, n_points, 3)`` array (see :class:`CubicalPersistence`).
    n_jobs, chunk_size, verbose
        Parallel chunks (joblib), items per chunk, a progress bar.

    Examples
    --------
    >>> import numpy as np
    >>> X = np.random.default_rng(0).random((3, 30, 2))
    >>> [len(d[0]) for d in AlphaPersistence(max_dim=1).fit_transform(X)]
    [30, 30, 30]
    """

    def __init__(
        self,
        max_dim: int = 1,
        weak: bool = False,
        output: str = "diagrams",
        n_jobs: int | None = None,
        chunk_size: int | None = None,
        verbose: bool = False,
    ) -> None:
        self.max_dim = max_dim
        self.weak = weak
        self.output = output
        self.n_jobs = n_jobs
        self.chunk_size = chunk_size
        self.verbose = verbose

    def _check_params(self) -> dict[str, Any]:
        self._check_run_options()
        return dict(max_dim=self.max_dim, weak=self.weak)

    @staticmethod
    def _diagrams(part: np.ndarray, params: dict[str, Any]) -> list[Diagram]:
        clouds = [torch.from_numpy(c) for c in part]
        d = functional.alpha(clouds, **params)
        return _split(d, len(clouds))


class LowerStarPersistence(_Persistence):
    """Lower-star (sub- or superlevel) persistence of functions on a complex: signals on a
    path by default, or vertex values on any :class:`~topolayer.SimplicialComplex`.

    Parameters
    ----------
    max_dim : int
        Largest homology dimension.
    superlevel : bool
        Superlevel filtration.
    complex : SimplicialComplex, optional
        The complex on whose vertices each sample's values live; default: the path on the
        sample's length (a 1D signal).
    output : {"diagrams", "giotto"}
        ``"diagrams"``: a list of :class:`~topolayer.Diagram`; ``"giotto"``: giotto-tda's
        padded ``(n_samples, n_points, 3)`` array (see :class:`CubicalPersistence`).
    n_jobs, chunk_size, verbose
        Parallel chunks (joblib), items per chunk, a progress bar.

    Examples
    --------
    >>> import numpy as np
    >>> X = np.array([[0.0, 2.0, 1.0, 3.0], [1.0, 0.0, 1.0, 0.0]])
    >>> dgms = LowerStarPersistence(max_dim=0).fit_transform(X)
    >>> dgms[0][0].tolist()
    [[1.0, 2.0], [0.0, inf]]
    """

    def __init__(
        self,
        max_dim: int = 0,
        superlevel: bool = False,
        complex: SimplicialComplex | None = None,
        output: str = "diagrams",
        n_jobs: int | None = None,
        chunk_size: int | None = None,
        verbose: bool = False,
    ) -> None:
        self.max_dim = max_dim
        self.superlevel = superlevel
        self.complex = complex
        self.output = output
        self.n_jobs = n_jobs
        self.chunk_size = chunk_size
        self.verbose = verbose

    def _check_params(self) -> dict[str, Any]:
        self._check_run_options()
        if self.complex is not None and not isinstance(self.complex, SimplicialComplex):
            raise TypeError(
                f"complex must be a SimplicialComplex or None, got {type(self.complex).__name__}"
            )
        return dict(max_dim=self.max_dim, superlevel=self.superlevel, complex=self.complex)

    def _samples(self, X: Any) -> np.ndarray:
        arr = _float_array(X)
        if arr.ndim != 2 or arr.shape[1] == 0:
            raise ValueError(f"X must be (n_samples, n_vertices), got shape {arr.shape}")
        return arr

    @staticmethod
    def _diagrams(part: np.ndarray, params: dict[str, Any]) -> list[Diagram]:
        params = dict(params)
        complex_ = params.pop("complex") or SimplicialComplex.path(part.shape[1])
        d = functional.lower_star(torch.from_numpy(part), complex_, **params)
        return _split(d, len(part))


# -- vectorisers ----------------------------------------------------------------------------------


def _dims(dims: Any) -> tuple[int, ...]:
    out = (dims,) if isinstance(dims, (int, np.integer)) else tuple(dims)
    if not out:
        raise ValueError("dims must name at least one homology dimension")
    for d in out:
        _check_int(d, "dims", 0)
    return tuple(int(d) for d in out)


def _as_diagrams(X: Any) -> list[Any]:
    if isinstance(X, DiagramBatch):
        return list(X)
    if isinstance(X, (np.ndarray, torch.Tensor)) and np.ndim(X) == 3 and X.shape[-1] == 3:
        return _from_triples(X)
    if isinstance(X, Diagram) or isinstance(X, (str, bytes)) or not isinstance(X, Sequence):
        raise TypeError(
            "X must be a list of diagrams (one per sample) or a (n_samples, n_points, 3) array "
            f"of (birth, death, dim) rows, got {type(X).__name__}"
        )
    return list(X)


def _to_triples(dgms: list[Diagram]) -> np.ndarray:
    """giotto-tda's padded layout of per-sample diagrams (the inverse of :func:`_from_triples`
    up to the order of bars)."""
    if not dgms:
        return np.zeros((0, 0, 3))
    n_dims = max(len(d.bars) for d in dgms)
    counts = [max((len(d.bars[k]) if k < len(d.bars) else 0) for d in dgms) for k in range(n_dims)]
    out = np.zeros((len(dgms), sum(counts), 3))
    start = 0
    for k, m in enumerate(counts):
        out[:, start : start + m, 2] = k
        for i, d in enumerate(dgms):
            if k < len(d.bars) and len(d.bars[k]):
                out[i, start : start + len(d.bars[k]), :2] = d.bars[k].numpy()
        start += m
    return out


def _from_triples(X: Any) -> list[Diagram]:
    """giotto-tda's padded layout: rows ``(birth, death, homology dimension)``; rows with
    ``birth == death`` are padding (they carry no persistence) and are dropped."""
    arr = X.detach().cpu().numpy() if isinstance(X, torch.Tensor) else np.asarray(X)
    try:
        arr = arr.astype(np.float64)
    except (TypeError, ValueError):
        raise TypeError("X must be a numeric (n_samples, n_points, 3) array") from None
    q = arr[..., 2]
    if np.isnan(arr).any() or (q < 0).any() or (q != np.round(q)).any():
        raise ValueError(
            "X as a (n_samples, n_points, 3) array must hold (birth, death, dim) rows with "
            "non-negative integer dims and no NaN"
        )
    n_dims = int(q.max()) + 1 if q.size else 1
    keep = arr[..., 0] != arr[..., 1]
    return [
        Diagram([torch.from_numpy(a[(a[:, 2] == k) & m, :2].copy()) for k in range(n_dims)])
        for a, m in zip(arr, keep, strict=True)
    ]


class _Vectorizer(TransformerMixin, BaseEstimator):
    """Shared fit/transform: chunks of diagrams become one batch each, vectorised at once."""

    def fit(self, X: Any, y: Any = None) -> _Vectorizer:
        """Learn what the vectoriser needs from the training diagrams. Returns ``self``."""
        dgms = _as_diagrams(X)
        if not dgms:
            raise ValueError("X must hold at least one diagram to fit on, got an empty list")
        dims = _dims(self.dims)
        _check_n_jobs(self.n_jobs)
        batch = self._batch(dgms)
        if max(dims) >= len(batch.bars):
            raise ValueError(
                f"dims={self.dims!r} asks for homology dimension {max(dims)}, but the diagrams "
                f"in X stop at dimension {len(batch.bars) - 1} (raise max_dim of the step that "
                "computes them, or drop the dimension from dims)"
            )
        params = self._fit(batch, dims)
        # One training item through the features: bad hyperparameters fail here, not at
        # transform time, and the width is known for empty inputs and feature names.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            width = len(self._features(dgms[:1], dims, params)[0])
        self.dims_, self.params_, self.n_features_out_ = dims, params, width
        return self

    def transform(self, X: Any) -> np.ndarray:
        """``(n_samples, n_features)`` float64 features."""
        check_is_fitted(self, "params_")
        dgms = _as_diagrams(X)
        if not dgms:
            return np.zeros((0, self.n_features_out_))
        parts = [dgms[s] for s in _chunks(len(dgms), self.n_jobs, None)]
        rows = _run(
            type(self)._features,
            parts,
            self.n_jobs,
            self.verbose,
            type(self).__name__,
            self.dims_,
            self.params_,
        )
        return np.stack(rows)

    def get_feature_names_out(self, input_features: Any = None) -> np.ndarray:
        """Column names, ``H{dim}_...`` per homology dimension (for ``set_output`` and
        ``Pipeline.get_feature_names_out``)."""
        check_is_fitted(self, "params_")
        names = [f"H{k}_{suffix}" for k in self.dims_ for suffix in self._column_suffixes()]
        return np.asarray(names, dtype=object)

    def _fit(self, batch: DiagramBatch, dims: tuple[int, ...]) -> dict[str, Any]:
        raise NotImplementedError

    def _column_suffixes(self) -> list[str]:
        """Names of one dimension's columns, in the order ``_features`` writes them."""
        raise NotImplementedError

    @staticmethod
    def _features(part: list[Any], dims: tuple[int, ...], p: dict[str, Any]) -> list[np.ndarray]:
        raise NotImplementedError

    @staticmethod
    def _batch(part: list[Any]) -> DiagramBatch:
        items = [as_diagram(d, name=f"X[{i}]").detach() for i, d in enumerate(part)]
        items = [
            Diagram([b.to(torch.float64) for b in d.bars], superlevel=d.superlevel) for d in items
        ]
        return DiagramBatch.from_diagrams(items)


def _padded_dims(batch: DiagramBatch, dims: tuple[int, ...]) -> DiagramBatch:
    """``batch`` with empty dimensions up to ``max(dims)`` (a sample may have no bars there)."""
    n = max(dims) + 1
    if len(batch.bars) >= n:
        return batch
    bars = list(batch.bars) + [batch.bars[0].new_zeros((0, 2))] * (n - len(batch.bars))
    idx = list(batch.batch) + [batch.batch[0].new_zeros(0)] * (n - len(batch.batch))
    return DiagramBatch(bars, idx, batch.batch_size, superlevel=batch.superlevel)


class PersistenceImage(_Vectorizer):
    """Persistence images (:func:`topolayer.vectorize.persistence_image`), one per dimension,
    flattened and concatenated. ``fit`` learns the birth and persistence ranges of each
    dimension from the training diagrams unless they are given.

    Parameters
    ----------
    dims : int or sequence of int
        Homology dimensions.
    resolution : int or (int, int)
        Pixels per image.
    sigma : float
        Gaussian standard deviation.
    birth_range, pers_range : (float, float), optional
        Fixed extent for every dimension; ``None``: learnt by ``fit``.
    weight : {"persistence", "uniform"}
        Weight of each bar.
    n_jobs, verbose
        Parallel chunks (joblib), a progress bar.

    Examples
    --------
    >>> import numpy as np
    >>> dgms = [[np.array([[0.0, 1.0], [0.2, 0.5]])], [np.array([[0.1, 0.9]])]]
    >>> PersistenceImage(dims=0, resolution=4).fit_transform(dgms).shape
    (2, 16)
    """

    def __init__(
        self,
        dims: int | Sequence[int] = (0, 1),
        resolution: int | tuple[int, int] = 20,
        sigma: float = 0.1,
        birth_range: tuple[float, float] | None = None,
        pers_range: tuple[float, float] | None = None,
        weight: str = "persistence",
        n_jobs: int | None = None,
        verbose: bool = False,
    ) -> None:
        self.dims = dims
        self.resolution = resolution
        self.sigma = sigma
        self.birth_range = birth_range
        self.pers_range = pers_range
        self.weight = weight
        self.n_jobs = n_jobs
        self.verbose = verbose

    def _fit(self, batch: DiagramBatch, dims: tuple[int, ...]) -> dict[str, Any]:
        ranges = {}
        for k in dims:
            r = vectorize.fit_ranges(batch, k)
            birth = self.birth_range if self.birth_range is not None else r["birth_range"]
            pers = self.pers_range if self.pers_range is not None else r["pers_range"]
            ranges[k] = (vectorize._pair(birth, "birth_range"), vectorize._pair(pers, "pers_range"))
        return dict(ranges=ranges, resolution=self.resolution, sigma=self.sigma, weight=self.weight)

    def _column_suffixes(self) -> list[str]:
        res = self.params_["resolution"]
        n_birth, n_pers = (res, res) if isinstance(res, (int, np.integer)) else res
        return [f"image_{i}_{j}" for i in range(n_birth) for j in range(n_pers)]

    @staticmethod
    def _features(part: list[Any], dims: tuple[int, ...], p: dict[str, Any]) -> list[np.ndarray]:
        batch = _padded_dims(_Vectorizer._batch(part), dims)
        feats = []
        for k in dims:
            birth, pers = p["ranges"][k]
            img = vectorize.persistence_image(
                batch, k, birth, pers, p["resolution"], p["sigma"], p["weight"]
            )
            feats.append(img.reshape(len(part), -1))
        return list(torch.cat(feats, 1).numpy())


class PersistenceLandscape(_Vectorizer):
    """Persistence landscapes (:func:`topolayer.vectorize.persistence_landscape`), one per
    dimension, flattened and concatenated; ``fit`` learns each dimension's grid from the
    training diagrams unless ``t_range`` is given.

    Parameters
    ----------
    dims : int or sequence of int
        Homology dimensions.
    n_steps, n_layers : int
        Grid points and landscape layers.
    t_range : (float, float), optional
        Fixed grid for every dimension; ``None``: learnt by ``fit``.
    n_jobs, verbose
        Parallel chunks (joblib), a progress bar.

    Examples
    --------
    >>> import numpy as np
    >>> dgms = [[np.array([[0.0, 1.0]])], [np.array([[0.5, 2.0]])]]
    >>> PersistenceLandscape(dims=0, n_steps=5, n_layers=2).fit_transform(dgms).shape
    (2, 10)
    """

    def __init__(
        self,
        dims: int | Sequence[int] = (0, 1),
        n_steps: int = 100,
        n_layers: int = 5,
        t_range: tuple[float, float] | None = None,
        n_jobs: int | None = None,
        verbose: bool = False,
    ) -> None:
        self.dims = dims
        self.n_steps = n_steps
        self.n_layers = n_layers
        self.t_range = t_range
        self.n_jobs = n_jobs
        self.verbose = verbose

    def _fit(self, batch: DiagramBatch, dims: tuple[int, ...]) -> dict[str, Any]:
        grids = {}
        for k in dims:
            t = (
                self.t_range
                if self.t_range is not None
                else vectorize.fit_ranges(batch, k)["t_range"]
            )
            grids[k] = vectorize._pair(t, "t_range")
        return dict(grids=grids, n_steps=self.n_steps, n_layers=self.n_layers)

    def _column_suffixes(self) -> list[str]:
        p = self.params_
        return [f"landscape{i}_{t}" for i in range(p["n_layers"]) for t in range(p["n_steps"])]

    @staticmethod
    def _features(part: list[Any], dims: tuple[int, ...], p: dict[str, Any]) -> list[np.ndarray]:
        batch = _padded_dims(_Vectorizer._batch(part), dims)
        feats = []
        for k in dims:
            lo, hi = p["grids"][k]
            lam = vectorize.persistence_landscape(batch, k, lo, hi, p["n_steps"], p["n_layers"])
            feats.append(lam.reshape(len(part), -1))
        return list(torch.cat(feats, 1).numpy())


class BettiCurve(_Vectorizer):
    """Betti curves (:func:`topolayer.losses.betti_curve`) per dimension, concatenated; ``fit``
    learns each dimension's grid (the span of the finite bars' ends) unless ``t_range`` is
    given.

    Parameters
    ----------
    dims : int or sequence of int
        Homology dimensions.
    n_steps : int
        Grid points.
    t_range : (float, float), optional
        Fixed grid for every dimension; ``None``: learnt by ``fit``.
    n_jobs, verbose
        Parallel chunks (joblib), a progress bar.

    Examples
    --------
    >>> import numpy as np
    >>> dgms = [[np.array([[0.0, 1.0], [0.5, 2.0]])]]
    >>> BettiCurve(dims=0, n_steps=5).fit_transform(dgms)
    array([[1., 2., 1., 1., 0.]])
    """

    def __init__(
        self,
        dims: int | Sequence[int] = (0, 1),
        n_steps: int = 100,
        t_range: tuple[float, float] | None = None,
        n_jobs: int | None = None,
        verbose: bool = False,
    ) -> None:
        self.dims = dims
        self.n_steps = n_steps
        self.t_range = t_range
        self.n_jobs = n_jobs
        self.verbose = verbose

    def _fit(self, batch: DiagramBatch, dims: tuple[int, ...]) -> dict[str, Any]:
        _check_int(self.n_steps, "n_steps", 1)
        grids = {}
        for k in dims:
            t = (
                self.t_range
                if self.t_range is not None
                else vectorize.fit_ranges(batch, k)["t_range"]
            )
            grids[k] = vectorize._pair(t, "t_range")
        return dict(grids=grids, n_steps=self.n_steps)

    def _column_suffixes(self) -> list[str]:
        return [f"betti_{t}" for t in range(self.params_["n_steps"])]

    @staticmethod
    def _features(part: list[Any], dims: tuple[int, ...], p: dict[str, Any]) -> list[np.ndarray]:
        batch = _padded_dims(_Vectorizer._batch(part), dims)
        feats = []
        for k in dims:
            lo, hi = p["grids"][k]
            feats.append(losses.betti_curve(batch, k, lo, hi, p["n_steps"]).reshape(len(part), -1))
        return list(torch.cat(feats, 1).numpy())


#: The statistics of :class:`BarcodeFeatures`, in column order per dimension.
BARCODE_STATISTICS = ("count", "sum", "max", "mean", "std", "total_persistence_2", "entropy")


class BarcodeFeatures(_Vectorizer):
    """Summary statistics of the finite bars of each dimension: count, sum, max, mean and
    standard deviation of the lengths, total persistence (p = 2) and persistence entropy
    (``BARCODE_STATISTICS`` columns per dimension). Nothing needs fitting but the dimensions.

    Parameters
    ----------
    dims : int or sequence of int
        Homology dimensions.
    n_jobs, verbose
        Parallel chunks (joblib), a progress bar.

    Examples
    --------
    >>> import numpy as np
    >>> dgms = [[np.array([[0.0, 1.0], [0.0, 3.0], [0.0, np.inf]])]]
    >>> BarcodeFeatures(dims=0).fit_transform(dgms)[0, :4]
    array([2., 4., 3., 2.])
    """

    def __init__(
        self, dims: int | Sequence[int] = (0, 1), n_jobs: int | None = None, verbose: bool = False
    ) -> None:
        self.dims = dims
        self.n_jobs = n_jobs
        self.verbose = verbose

    def _fit(self, batch: DiagramBatch, dims: tuple[int, ...]) -> dict[str, Any]:
        return {}

    def _column_suffixes(self) -> list[str]:
        return list(BARCODE_STATISTICS)

    @staticmethod
    def _features(part: list[Any], dims: tuple[int, ...], p: dict[str, Any]) -> list[np.ndarray]:
        batch = _padded_dims(_Vectorizer._batch(part), dims)
        rows = np.zeros((len(part), len(dims) * len(BARCODE_STATISTICS)))
        for j, k in enumerate(dims):
            b, item = batch.bars[k], batch.batch[k]
            finite = torch.isfinite(b).all(1)
            length = (b[finite, 1] - b[finite, 0]).abs()
            owner = item[finite]
            n = len(part)
            count = torch.bincount(owner, minlength=n).double()
            total = torch.zeros(n, dtype=torch.float64).index_add_(0, owner, length)
            sq = torch.zeros(n, dtype=torch.float64).index_add_(0, owner, length**2)
            top = torch.zeros(n, dtype=torch.float64).scatter_reduce_(
                0, owner, length, "amax", include_self=True
            )
            mean = torch.where(count > 0, total / count.clamp_min(1), 0.0)
            var = torch.where(count > 0, sq / count.clamp_min(1) - mean**2, 0.0).clamp_min(0)
            entropy = losses.persistence_entropy(batch, k).reshape(n).double()
            cols = [count, total, top, mean, var.sqrt(), sq.sqrt(), entropy]
            rows[:, j * 7 : (j + 1) * 7] = torch.stack(cols, 1).numpy()
        return list(rows)
