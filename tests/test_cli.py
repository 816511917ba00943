import re
import subprocess
import sys

import pytest

import topolayer
from topolayer.apps import denoise
from topolayer.cli import main


def test_denoise_loss_falls_and_spurious_minima_vanish(capsys):
    losses = denoise.main(steps=80, seed=1)
    assert losses[-1] < 0.1 * losses[0]
    out = capsys.readouterr().out
    assert "denoised" in out and "1 longer than 0.01" in out.splitlines()[-1]


def test_cli_demo_runs(capsys):
    assert main(["demo", "denoise", "--steps", "5"]) == 0
    assert "step" in capsys.readouterr().out


def test_python_dash_m_rejects_unknown_command():
    r = subprocess.run(
        [sys.executable, "-m", "topolayer", "frobnicate"], capture_output=True, text=True
    )
    assert r.returncode == 2 and "invalid choice" in r.stderr


def test_version_flag(capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["--version"])
    assert exit_.value.code == 0
    assert capsys.readouterr().out.strip() == f"topolayer {topolayer.__version__}"


def test_info_prints_versions_build_and_extras(capsys):
    assert main(["info"]) == 0
    out = capsys.readouterr().out
    for key in ("topolayer:", "torch:", "numpy:", "torch threads:", "build compiler:"):
        assert key in out
    assert re.search(r"extra \[demo\]:\s+installed", out)  # the test environment has them all


def test_demo_without_its_extra_names_the_extra(monkeypatch, capsys, tmp_path):
    from topolayer import _optional

    monkeypatch.setattr(_optional, "missing", lambda extra: ["matplotlib", "tqdm"])
    assert main(["demo", "regularize", "--quick", "--out", str(tmp_path)]) == 1
    err = capsys.readouterr().err
    assert 'needs matplotlib, tqdm, not installed: pip install "topolayer[demo]"' in err
    assert "Traceback" not in err


def test_plot_without_matplotlib_names_the_extra(monkeypatch):
    import numpy as np

    from topolayer import plot
    from topolayer._optional import MissingDependencyError

    monkeypatch.setitem(sys.modules, "matplotlib.pyplot", None)  # import fails
    with pytest.raises(MissingDependencyError, match=r'pip install "topolayer\[plot\]"'):
        plot.diagram([np.array([[0.0, 1.0]])])


def test_missing_lists_only_absent_packages(monkeypatch):
    from topolayer import _optional

    assert _optional.missing("plot") == []
    real = _optional.importlib.util.find_spec
    monkeypatch.setattr(
        _optional.importlib.util, "find_spec", lambda m: None if m == "tqdm" else real(m)
    )
    assert _optional.missing("demo") == ["tqdm"]
