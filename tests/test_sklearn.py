"""topolayer.sklearn: transformers equal the functional layers item by item, pipelines on the
bundled digits give identical features for every n_jobs and on a dask cluster, estimators
clone and grid-search, vectorisers learn their ranges, bad input names the argument."""

from __future__ import annotations

import numpy as np
import pytest
import torch

pytest.importorskip("sklearn")

from sklearn.base import clone
from sklearn.datasets import load_digits
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV
from sklearn.neighbors import KNeighborsClassifier
from sklearn.pipeline import Pipeline, make_pipeline

import topolayer as tl
from topolayer import functional, losses, vectorize
from topolayer import sklearn as tsk


def _digits(n=120):
    d = load_digits()
    return d.data[:n], d.target[:n]


def _same(dgms_a, dgms_b):
    assert len(dgms_a) == len(dgms_b)
    for a, b in zip(dgms_a, dgms_b, strict=True):
        assert len(a.bars) == len(b.bars)
        for x, y in zip(a.bars, b.bars, strict=True):
            # Same bars (as multisets): sort rows by (birth, death).
            xs = x[np.lexsort((x[:, 1].numpy(), x[:, 0].numpy()))]
            ys = y[np.lexsort((y[:, 1].numpy(), y[:, 0].numpy()))]
            torch.testing.assert_close(xs.double(), ys.double(), rtol=0, atol=0)


# -- persistence transformers equal the functional layers ------------------------------------


def test_cubical_equals_functional_per_item():
    X, _ = _digits(20)
    got = tsk.CubicalPersistence(max_dim=1, image_shape=(8, 8), chunk_size=7).fit_transform(X)
    want = [functional.cubical(torch.tensor(x.reshape(8, 8)), 1) for x in X]
    _same(got, want)
    sup = tsk.CubicalPersistence(superlevel=True, construction="T", image_shape=(8, 8))
    _same(
        sup.fit_transform(X[:5]),
        [functional.cubical(torch.tensor(x.reshape(8, 8)), 1, True, "T") for x in X[:5]],
    )
    assert all(d.superlevel for d in sup.transform(X[:2]))


def test_volumes_are_3d():
    X = np.random.default_rng(0).random((3, 5, 6, 7))
    got = tsk.CubicalPersistence(max_dim=2).fit_transform(X)
    _same(got, [functional.cubical(torch.tensor(x), 2, ndim=3) for x in X])


def test_rips_alpha_lower_star_equal_functional(rng):
    clouds = [rng.random((n, 2)) for n in (12, 20, 15, 9)]
    _same(
        tsk.RipsPersistence(max_dim=1, chunk_size=3).fit_transform(clouds),
        [functional.rips(torch.tensor(c), 1) for c in clouds],
    )
    _same(
        tsk.RipsPersistence(max_dim=1, threshold=0.3).fit_transform(clouds),
        [functional.rips(torch.tensor(c), 1, threshold=0.3) for c in clouds],
    )
    _same(
        tsk.AlphaPersistence(max_dim=1, chunk_size=2).fit_transform(np.stack(clouds[:1] * 3)),
        [functional.alpha(torch.tensor(clouds[0]), 1)] * 3,
    )
    signals = rng.random((6, 30))
    K = tl.SimplicialComplex.path(30)
    _same(
        tsk.LowerStarPersistence(max_dim=0).fit_transform(signals),
        [functional.lower_star(torch.tensor(s), K, 0) for s in signals],
    )
    grid = tl.SimplicialComplex.grid_2d(4, 5)
    values = rng.random((3, 20))
    _same(
        tsk.LowerStarPersistence(max_dim=1, complex=grid, superlevel=True).fit_transform(values),
        [functional.lower_star(torch.tensor(v), grid, 1, superlevel=True) for v in values],
    )


def test_diagrams_match_ripser_on_clouds(rng):
    ripser = pytest.importorskip("ripser")
    clouds = [rng.random((25, 2)) for _ in range(3)]
    got = tsk.RipsPersistence(max_dim=1).fit_transform(clouds)
    for d, c in zip(got, clouds, strict=True):
        want = ripser.ripser(c, maxdim=1)["dgms"]
        for k in (0, 1):
            a = np.sort(d[k].numpy(), axis=0)
            b = np.sort(want[k][want[k][:, 1] > want[k][:, 0]], axis=0)
            np.testing.assert_allclose(a, b, rtol=1e-6)


# -- vectorisers -----------------------------------------------------------------------------


def test_vectorisers_equal_the_functional_features():
    X, _ = _digits(30)
    dgms = tsk.CubicalPersistence(image_shape=(8, 8)).fit_transform(X)
    img = tsk.PersistenceImage(dims=(0, 1), resolution=(4, 3), sigma=0.5).fit(dgms)
    feats = img.transform(dgms)
    assert feats.shape == (30, 2 * 12)
    (b0, p0), (b1, p1) = img.params_["ranges"][0], img.params_["ranges"][1]
    for i in (0, 17):
        want0 = vectorize.persistence_image(dgms[i], 0, b0, p0, (4, 3), 0.5).reshape(-1)
        want1 = vectorize.persistence_image(dgms[i], 1, b1, p1, (4, 3), 0.5).reshape(-1)
        np.testing.assert_allclose(feats[i], torch.cat([want0, want1]).numpy(), rtol=1e-12)

    lam = tsk.PersistenceLandscape(dims=1, n_steps=11, n_layers=2).fit(dgms)
    lo, hi = lam.params_["grids"][1]
    want = vectorize.persistence_landscape(dgms[3], 1, lo, hi, 11, 2).reshape(-1)
    np.testing.assert_allclose(lam.transform(dgms)[3], want.numpy(), rtol=1e-12)

    bc = tsk.BettiCurve(dims=0, n_steps=9).fit(dgms)
    lo, hi = bc.params_["grids"][0]
    want = losses.betti_curve(dgms[5], 0, lo, hi, 9)
    np.testing.assert_allclose(bc.transform(dgms)[5], want.numpy())


def test_fit_learns_ranges_that_cover_the_training_bars():
    dgms = [
        [np.array([[2.0, 5.0], [3.0, 3.5]])],
        [np.array([[1.0, 1.5], [0.0, np.inf]])],
    ]
    img = tsk.PersistenceImage(dims=0).fit(dgms)
    assert img.params_["ranges"][0] == ((1.0, 3.0), (0.0, 3.0))
    assert tsk.PersistenceLandscape(dims=0).fit(dgms).params_["grids"][0] == (1.0, 5.0)
    assert tsk.BettiCurve(dims=0).fit(dgms).params_["grids"][0] == (1.0, 5.0)
    fixed = tsk.PersistenceImage(dims=0, birth_range=(0.0, 10.0)).fit(dgms)
    assert fixed.params_["ranges"][0] == ((0.0, 10.0), (0.0, 3.0))
    # The learnt ranges are kept at transform time: an out-of-range test set warns, not refits.
    with pytest.warns(UserWarning, match="outside the ranges"):
        out = img.transform([[np.array([[50.0, 90.0]])]])
    assert np.all(out == 0)
    # The same warning from worker processes (raised there, shown here), once.
    far = [[np.array([[50.0, 90.0 + i]])] for i in range(6)]
    with pytest.warns(UserWarning, match="outside the ranges") as record:
        out = img.set_params(n_jobs=2).transform(far)
    assert np.all(out == 0)
    assert sum("outside the ranges" in str(w.message) for w in record) == 1


def test_barcode_features_by_hand():
    dgms = [
        [np.array([[0.0, 1.0], [0.0, 3.0], [0.0, np.inf]]), np.zeros((0, 2))],
        [np.zeros((0, 2)), np.array([[1.0, 2.0]])],
    ]
    f = tsk.BarcodeFeatures(dims=(0, 1)).fit_transform(dgms)
    p = np.array([0.25, 0.75])
    h0 = [2, 4, 3, 2, 1, np.sqrt(10), -(p * np.log(p)).sum()]
    np.testing.assert_allclose(f[0], h0 + [0] * 7, atol=1e-12)
    np.testing.assert_allclose(f[1], [0] * 7 + [1, 1, 1, 1, 0, 1, 0], atol=1e-12)
    assert tsk.BARCODE_STATISTICS[:2] == ("count", "sum")


# -- pipelines, n_jobs, dask -----------------------------------------------------------------


def _pipeline(n_jobs):
    return Pipeline(
        [
            ("diagrams", tsk.CubicalPersistence(image_shape=(8, 8), n_jobs=n_jobs)),
            ("image", tsk.PersistenceImage(resolution=5, sigma=1.0, n_jobs=n_jobs)),
            ("clf", LogisticRegression(max_iter=2000)),
        ]
    )


def test_pipeline_on_digits_identical_for_every_n_jobs():
    X, y = _digits(200)
    feats = {}
    for n_jobs in (1, 2):
        pipe = _pipeline(n_jobs).fit(X, y)
        feats[n_jobs] = pipe[:-1].transform(X)
        assert pipe.score(X, y) > 0.3  # chance is 0.1: the features carry the digits' topology
    np.testing.assert_array_equal(feats[1], feats[2])
    chunked = tsk.CubicalPersistence(image_shape=(8, 8), chunk_size=1).fit_transform(X[:20])
    _same(chunked, tsk.CubicalPersistence(image_shape=(8, 8)).fit_transform(X[:20]))


def test_pipeline_on_a_dask_cluster_gives_identical_features():
    pytest.importorskip("dask")
    distributed = pytest.importorskip("distributed")
    from joblib import parallel_config

    X, y = _digits(60)
    want = _pipeline(1).fit(X, y)[:-1].transform(X)
    with (
        distributed.LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            processes=True,
            host="127.0.0.1",
            dashboard_address=None,
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        with parallel_config(backend="dask"), distributed.get_task_stream(client) as tasks:
            pipe = _pipeline(-1).fit(X, y)
            got = pipe[:-1].transform(X)
        workers = {t["worker"] for t in tasks.data}
    np.testing.assert_array_equal(got, want)
    assert len(tasks.data) >= 4 and len(workers) == 2  # the chunks ran on both workers


def test_clone_get_params_and_grid_search():
    est = tsk.PersistenceImage(dims=1, resolution=6, sigma=0.2)
    c = clone(est)
    assert c.get_params() == est.get_params() and c is not est
    assert not hasattr(c, "params_")
    X, y = _digits(90)
    pipe = make_pipeline(
        tsk.CubicalPersistence(image_shape=(8, 8)),
        tsk.BarcodeFeatures(),
        KNeighborsClassifier(n_neighbors=3),
    )
    space = {
        "cubicalpersistence__superlevel": [False, True],
        "cubicalpersistence__construction": ["V", "T"],
        "barcodefeatures__dims": [(0,), (0, 1)],
    }
    grid = GridSearchCV(pipe, space, cv=2).fit(X, y)
    assert len(grid.cv_results_["params"]) == 8
    best = grid.best_estimator_.named_steps["cubicalpersistence"]
    assert best.superlevel == grid.best_params_["cubicalpersistence__superlevel"]
    # The transformer parameters reach the diagrams: different settings, different scores.
    assert len(set(np.round(grid.cv_results_["mean_test_score"], 9))) > 1


def test_transform_before_fit_and_bad_input():
    from sklearn.exceptions import NotFittedError

    with pytest.raises(NotFittedError):
        tsk.CubicalPersistence().transform(np.zeros((1, 4, 4)))
    with pytest.raises(ValueError, match="image_shape"):
        tsk.CubicalPersistence().fit(np.zeros((3, 64)))
    with pytest.raises(ValueError, match=r"image_shape"):
        tsk.CubicalPersistence(image_shape=(7, 7)).fit(np.zeros((3, 64)))
    with pytest.raises(ValueError, match="finite"):
        tsk.CubicalPersistence().fit(np.full((1, 4, 4), np.nan))
    with pytest.raises(ValueError, match="n_jobs"):
        tsk.CubicalPersistence(n_jobs=0).fit(np.zeros((1, 4, 4)))
    with pytest.raises(ValueError, match=r"X\[1\]"):
        tsk.RipsPersistence().fit([np.zeros((3, 2)), np.zeros((0, 2))])
    with pytest.raises(TypeError, match="list of diagrams"):
        tsk.PersistenceImage().fit(tl.Diagram([torch.zeros((0, 2))]))
    with pytest.raises(ValueError, match="dims"):
        tsk.BarcodeFeatures(dims=()).fit([[np.zeros((0, 2))]])
    with pytest.raises(TypeError, match="complex"):
        tsk.LowerStarPersistence(complex="path").fit(np.zeros((2, 5)))
    # Parameters the functional layer checks fail at fit too, naming themselves.
    with pytest.raises(ValueError, match="construction"):
        tsk.CubicalPersistence(construction="X").fit(np.zeros((2, 4, 4)))
    with pytest.raises(ValueError, match="metric"):
        tsk.RipsPersistence(metric="cosine").fit([np.zeros((3, 2))])
    with pytest.raises(ValueError, match=r"\(N, 2\) or \(N, 3\)"):
        tsk.AlphaPersistence().fit([np.zeros((4, 5))])
    with pytest.raises(ValueError, match="one value per vertex"):
        tsk.LowerStarPersistence(complex=tl.SimplicialComplex.path(5)).fit(np.zeros((2, 7)))


def test_import_without_scikit_learn_names_the_extra(monkeypatch):
    import importlib
    import sys

    monkeypatch.setitem(sys.modules, "sklearn", None)
    monkeypatch.delitem(sys.modules, "topolayer.sklearn")
    with pytest.raises(ImportError, match=r'pip install "topolayer\[sklearn\]"'):
        importlib.import_module("topolayer.sklearn")


def test_vectorisers_check_at_fit():
    h0 = [[np.array([[0.0, 1.0], [0.5, 2.0]])], [np.array([[0.2, 0.4]])]]
    for est in (tsk.PersistenceImage(), tsk.PersistenceLandscape(), tsk.BettiCurve()):
        with pytest.raises(ValueError, match="at least one diagram"):
            clone(est).fit([])
        # The default dims=(0, 1) on H0-only diagrams: the message says which step to change.
        with pytest.raises(ValueError, match=r"dims=\(0, 1\) asks for homology dimension 1"):
            clone(est).fit(h0)
    # Bad hyperparameters fail at fit, naming themselves, not later at transform.
    with pytest.raises(ValueError, match="resolution"):
        tsk.PersistenceImage(dims=0, resolution=0).fit(h0)
    with pytest.raises(ValueError, match="sigma"):
        tsk.PersistenceImage(dims=0, sigma=-1.0).fit(h0)
    with pytest.raises(ValueError, match="n_layers"):
        tsk.PersistenceLandscape(dims=0, n_layers=0).fit(h0)
    with pytest.raises(ValueError, match="t_range"):
        tsk.BettiCurve(dims=0, t_range=(2.0, 1.0)).fit(h0)


def test_feature_names_and_width():
    X, _ = _digits(12)
    dgms = tsk.CubicalPersistence(image_shape=(8, 8)).fit_transform(X)
    cases = [
        (tsk.PersistenceImage(resolution=(2, 3)), "H1_image_1_2", 2 * 6),
        (tsk.PersistenceLandscape(n_steps=4, n_layers=2), "H1_landscape1_3", 2 * 8),
        (tsk.BettiCurve(dims=1, n_steps=5), "H1_betti_4", 5),
        (tsk.BarcodeFeatures(), "H1_entropy", 2 * 7),
    ]
    for est, last, width in cases:
        feats = est.fit_transform(dgms)
        names = est.get_feature_names_out()
        assert feats.shape == (12, width) and len(names) == width
        assert names[-1] == last and len(set(names)) == width
        assert est.transform([]).shape == (0, width)
    # Image columns run along persistence fastest (axis -1 of vectorize.persistence_image).
    img = tsk.PersistenceImage(dims=0, resolution=(2, 3), sigma=0.5).fit(dgms)
    (b, p) = img.params_["ranges"][0]
    want = vectorize.persistence_image(dgms[4], 0, b, p, (2, 3), 0.5)
    np.testing.assert_allclose(img.transform(dgms)[4, 1], want[0, 1].item(), rtol=1e-12)
    assert img.get_feature_names_out()[1] == "H0_image_0_1"


class _Terminal:
    """A stderr stand-in that says it is a terminal and keeps what is written."""

    def __init__(self, tty: bool) -> None:
        self.tty, self.text = tty, []

    def isatty(self) -> bool:
        return self.tty

    def write(self, s: str) -> int:
        self.text.append(s)
        return len(s)

    def flush(self) -> None:
        pass


@pytest.mark.parametrize("backend", ["sequential", "threading", "multiprocessing"])
def test_progress_bar_only_when_verbose_on_a_terminal(monkeypatch, backend):
    tqdm = pytest.importorskip("tqdm")
    from joblib import parallel_config

    closed = []

    class Recording(tqdm.tqdm):
        def close(self):
            if not self.disable:  # close runs again from __del__; count a bar once
                closed.append((self.n, self.total))
            super().close()

    monkeypatch.setattr(tqdm, "tqdm", Recording)
    X, _ = _digits(20)
    want = tsk.CubicalPersistence(image_shape=(8, 8)).fit_transform(X)
    for tty, verbose, shown in [(True, True, True), (False, True, False), (True, False, False)]:
        err = _Terminal(tty)
        closed.clear()
        est = tsk.CubicalPersistence(image_shape=(8, 8), chunk_size=5, verbose=verbose, n_jobs=2)
        with monkeypatch.context() as m, parallel_config(backend=backend):
            m.setattr("sys.stderr", err)
            got = est.fit_transform(X)
        _same(got, want)
        # Four chunks of five, each counted when finished, on the terminal only.
        assert closed == ([(4, 4)] if shown else [])
        assert ("CubicalPersistence" in "".join(err.text)) == shown


def test_threading_backend_and_clone_with_a_complex():
    from joblib import parallel_config

    X, _ = _digits(40)
    dgms = tsk.CubicalPersistence(image_shape=(8, 8)).fit_transform(X)
    want = tsk.PersistenceLandscape(n_steps=7).fit(dgms).transform(dgms)
    with parallel_config(backend="threading"):
        got_dgms = tsk.CubicalPersistence(image_shape=(8, 8), n_jobs=2).fit_transform(X)
        got = tsk.PersistenceLandscape(n_steps=7, n_jobs=2).fit(got_dgms).transform(got_dgms)
    np.testing.assert_array_equal(got, want)

    grid = tl.SimplicialComplex.grid_2d(3, 4)
    est = tsk.LowerStarPersistence(max_dim=1, complex=grid)
    values = np.random.default_rng(1).random((3, 12))
    _same(clone(est).fit_transform(values), est.fit_transform(values))


def test_giotto_triples_are_read_as_diagrams():
    # giotto-tda's padded layout: (birth, death, dim) rows, birth == death rows are padding.
    triples = np.array(
        [
            [[0.0, 1.0, 0], [0.0, 3.0, 0], [1.0, 2.0, 1], [0.0, 0.0, 1]],
            [[0.5, 2.0, 0], [0.0, 0.0, 0], [0.0, 0.0, 1], [0.0, 0.0, 1]],
        ]
    )
    lists = [
        [np.array([[0.0, 1.0], [0.0, 3.0]]), np.array([[1.0, 2.0]])],
        [np.array([[0.5, 2.0]]), np.zeros((0, 2))],
    ]
    for est in (
        tsk.BarcodeFeatures(),
        tsk.PersistenceImage(resolution=3, sigma=0.5),
        tsk.BettiCurve(n_steps=6),
    ):
        want = clone(est).fit_transform(lists)
        np.testing.assert_array_equal(clone(est).fit_transform(triples), want)
        np.testing.assert_array_equal(clone(est).fit(lists).transform(torch.tensor(triples)), want)
    assert tsk.BarcodeFeatures(dims=(0, 1)).fit_transform(triples)[:, [0, 7]].tolist() == [
        [2, 1],
        [1, 0],
    ]
    bad = triples.copy()
    bad[0, 0, 2] = 0.5
    with pytest.raises(ValueError, match="integer dims"):
        tsk.BarcodeFeatures().fit(bad)


def test_import_topolayer_does_not_load_scikit_learn():
    import subprocess
    import sys

    code = (
        "import sys, topolayer; "
        "print(sorted(m for m in ('sklearn', 'joblib', 'topolayer.sklearn') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_clouds_and_signals_identical_for_every_n_jobs_and_chunk(rng):
    clouds = [rng.random((n, 2)) for n in (14, 9, 17, 11, 13)]
    signals = rng.random((7, 25))
    for est, X in [
        (tsk.RipsPersistence(max_dim=1), clouds),
        (tsk.AlphaPersistence(max_dim=1), clouds),
        (tsk.LowerStarPersistence(max_dim=0, superlevel=True), signals),
    ]:
        want = clone(est).fit_transform(X)
        _same(clone(est).set_params(n_jobs=2).fit_transform(X), want)
        _same(clone(est).set_params(n_jobs=2, chunk_size=1).fit_transform(X), want)


def test_float32_superlevel_empty_dimensions_and_empty_datasets():
    X32 = _digits(20)[0].astype(np.float32)
    got = tsk.CubicalPersistence(superlevel=True, image_shape=(8, 8)).fit_transform(X32)
    _same(got, [functional.cubical(torch.tensor(x.reshape(8, 8)), 1, True) for x in X32])
    assert all(d.superlevel and d[1].dtype == torch.float64 for d in got)

    # Superlevel diagrams (bars run downwards) through every vectoriser equal the features.
    img = tsk.PersistenceImage(resolution=3, sigma=1.0).fit(got)
    (b, p) = img.params_["ranges"][1]
    want = vectorize.persistence_image(got[2], 1, b, p, 3, 1.0).reshape(-1)
    np.testing.assert_allclose(img.transform(got)[2, 9:], want.numpy(), rtol=1e-12)
    assert img.transform(got)[:, 9:].sum() > 0
    lam = tsk.PersistenceLandscape(dims=1, n_steps=6, n_layers=2).fit(got)
    lo, hi = lam.params_["grids"][1]
    want = vectorize.persistence_landscape(got[5], 1, lo, hi, 6, 2).reshape(-1)
    np.testing.assert_allclose(lam.transform(got)[5], want.numpy(), rtol=1e-12)
    bc = tsk.BettiCurve(dims=1, n_steps=6).fit(got)
    lo, hi = bc.params_["grids"][1]
    np.testing.assert_allclose(bc.transform(got)[7], losses.betti_curve(got[7], 1, lo, hi, 6))

    # A constant image has no H1 bar (and only an essential H0 bar): its H1 features are zero
    # where the others' are not, and nothing is NaN.
    Xc = np.concatenate([X32[:4], np.full((1, 64), 3.0, np.float32)])
    dgms = tsk.CubicalPersistence(image_shape=(8, 8)).fit_transform(Xc)
    assert len(dgms[4][1]) == 0 and len(dgms[4][0]) == 1
    for est in (
        tsk.PersistenceImage(resolution=3, sigma=1.0),
        tsk.PersistenceLandscape(n_steps=5, n_layers=2),
        tsk.BettiCurve(n_steps=5),
        tsk.BarcodeFeatures(),
    ):
        feats = est.fit_transform(dgms)
        h1 = np.char.startswith(est.get_feature_names_out().astype(str), "H1_")
        assert np.isfinite(feats).all() and np.all(feats[4, h1] == 0)
        assert np.any(feats[:4, h1] != 0)
    # The Betti curve counts the essential H0 class from the constant's value on.
    bc = tsk.BettiCurve(dims=0, n_steps=5, t_range=(1.0, 5.0)).fit(dgms)
    np.testing.assert_array_equal(bc.transform(dgms)[4], [0, 0, 1, 1, 1])

    # Empty datasets: no diagrams, and features with the fitted width.
    assert tsk.CubicalPersistence().fit(np.zeros((0, 4, 4))).transform(np.zeros((0, 4, 4))) == []
    assert tsk.RipsPersistence().fit_transform([]) == []
    assert tsk.BarcodeFeatures().fit(dgms).transform([]).shape == (0, 14)


def test_giotto_output_round_trips_through_the_vectorisers(rng):
    X, _ = _digits(15)
    dgms = tsk.CubicalPersistence(image_shape=(8, 8)).fit_transform(X)
    arr = tsk.CubicalPersistence(image_shape=(8, 8), output="giotto").fit_transform(X)
    n0 = max(len(d[0]) for d in dgms)
    n1 = max(len(d[1]) for d in dgms)
    assert arr.shape == (15, n0 + n1, 3) and arr.dtype == np.float64
    assert np.all(arr[:, :n0, 2] == 0) and np.all(arr[:, n0:, 2] == 1)
    for i in (0, 9):
        for k, rows in ((0, arr[i, :n0]), (1, arr[i, n0:])):
            real = rows[rows[:, 0] != rows[:, 1], :2]
            _same([tl.Diagram([torch.tensor(real)])], [tl.Diagram([dgms[i][k]])])
            pad = rows[len(dgms[i][k]) :]
            assert np.all(pad[:, :2] == 0)  # padding: zero-length rows after the bars
    for est in (tsk.PersistenceImage(resolution=4), tsk.BarcodeFeatures()):
        np.testing.assert_array_equal(clone(est).fit_transform(arr), est.fit_transform(dgms))
    clouds = rng.random((3, 12, 2))
    rips = tsk.RipsPersistence(output="giotto").fit_transform(clouds)
    assert rips.shape[0] == 3 and np.isinf(rips[:, :, 1]).sum() == 3  # one essential H0 bar each
    assert tsk.AlphaPersistence(output="giotto").fit_transform(clouds[:0]).shape == (0, 0, 3)
    with pytest.raises(ValueError, match="output"):
        tsk.LowerStarPersistence(output="gudhi").fit(np.zeros((2, 4)))
