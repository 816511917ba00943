"""Installing as users do, outside the Makefile's development set-up (slow lane: each test
builds topolayer and creates fresh virtual environments).

- ``pip install .`` into a fresh venv holding only the pinned CPU torch: import, one call per
  layer kind, a distance (``tests/smoke.py``); the CLI without the ``demo`` extra names it
  instead of a traceback, and with the extra the demo writes its report.
- ``make wheel``: an auditwheel-repaired manylinux wheel that installs and passes the smoke test.
- On Python >= 3.12 (when one is on PATH): one abi3 wheel, loaded by a newer Python.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
TORCH = os.environ.get("TORCH", "torch==2.13.0")  # the CPU build; a plain `torch` is CUDA


def run(cmd, cwd=None, check=True, env=None, timeout=900):
    r = subprocess.run(
        [str(c) for c in cmd], cwd=cwd, capture_output=True, text=True, env=env, timeout=timeout
    )
    if check and r.returncode != 0:
        raise AssertionError(
            f"{cmd} failed ({r.returncode}):\n{r.stdout[-3000:]}\n{r.stderr[-3000:]}"
        )
    return r


def fresh_venv(path: Path, python: str = sys.executable) -> Path:
    run([python, "-m", "venv", path])
    return path / "bin" / "python"


def clean_copy(tmp_path: Path) -> Path:
    """The committed and working-tree sources without build outputs or venvs, as a clone has."""
    dst = tmp_path / "src-tree"
    ignore = shutil.ignore_patterns(
        ".venv", ".whl", "build", "dist", "wheelhouse", "*.so", "__pycache__", ".git", "*.egg-info"
    )
    shutil.copytree(ROOT, dst, ignore=ignore)
    return dst


@pytest.mark.slow
def test_pip_install_into_a_venv_holding_only_torch(tmp_path):
    tree = clean_copy(tmp_path)
    py = fresh_venv(tmp_path / "venv")
    run([py, "-m", "pip", "install", "-q", TORCH])
    run([py, "-m", "pip", "wheel", "-q", "--no-deps", "-w", tmp_path / "wheels", tree])
    (wheel,) = (tmp_path / "wheels").glob("topolayer-*.whl")
    run([py, "-m", "pip", "install", "-q", wheel])
    torch_before = run([py, "-m", "pip", "show", "torch"]).stdout
    assert "Version: 2.13.0" in torch_before  # the declared floor kept the installed torch

    smoke = run([py, ROOT / "tests" / "smoke.py"], cwd=tmp_path)
    assert "smoke test passed" in smoke.stdout
    cli = py.parent / "topolayer"
    assert run([cli, "--version"]).stdout.strip() == "topolayer 0.1.0"
    info = run([cli, "info"]).stdout
    assert re.search(r"extra \[demo\]:\s+missing matplotlib, tqdm, scikit-learn", info), info

    out = tmp_path / "report"
    r = run([cli, "demo", "regularize", "--quick", "--out", out], check=False)
    assert r.returncode == 1, r
    assert 'pip install "topolayer[demo]"' in r.stderr and "Traceback" not in r.stderr, r.stderr

    run([py, "-m", "pip", "install", "-q", f"{wheel}[demo]"])
    r = run([cli, "demo", "regularize", "--quick", "--out", out, "--no-progress"])
    assert (out / "report.md").is_file() and (out / "metrics.json").is_file(), r.stdout


def _make(*args, env=None):
    if shutil.which("make") is None:
        pytest.skip("needs make")
    return run(["make", "-C", ROOT, *args], env=env, timeout=1800)


@pytest.mark.slow
def test_make_wheel_is_manylinux_and_passes_the_smoke_test(tmp_path):
    if not sys.platform.startswith("linux"):
        pytest.skip("auditwheel repairs Linux wheels")
    _make("wheel")
    (wheel,) = (ROOT / "wheelhouse").glob("topolayer-*.whl")
    assert re.search(r"-manylinux_2_\d+_\w+\.whl$", wheel.name), wheel.name
    py = fresh_venv(tmp_path / "venv")
    run([py, "-m", "pip", "install", "-q", TORCH])
    run([py, "-m", "pip", "install", "-q", wheel])
    assert "smoke test passed" in run([py, ROOT / "tests" / "smoke.py"], cwd=tmp_path).stdout


def _python(minor: int) -> str | None:
    """A working ``python3.<minor>``: on PATH, or one of pyenv's versions (whose shims only
    run the selected version)."""
    pyenv = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv")) / "versions"
    candidates = [shutil.which(f"python3.{minor}")]
    candidates += sorted(str(p) for p in pyenv.glob(f"3.{minor}.*/bin/python3.{minor}"))
    for path in candidates:
        if path and run([path, "-c", "pass"], check=False).returncode == 0:
            return path
    return None


@pytest.mark.slow
def test_abi3_wheel_serves_a_newer_python(tmp_path):
    if not sys.platform.startswith("linux"):
        pytest.skip("auditwheel repairs Linux wheels")
    build_py, newer = _python(12), _python(13)
    if build_py is None or newer is None:
        pytest.skip("needs python3.12 (to build abi3) and python3.13 (to load it) on PATH")
    _make("wheel", f"WHEEL_PYTHON={build_py}")
    (wheel,) = (ROOT / "wheelhouse").glob("topolayer-*.whl")
    assert "-cp312-abi3-manylinux_" in wheel.name, wheel.name
    # No torch build for Python 3.13 is at hand here: the core alone, and the message that
    # `import topolayer` gives without torch.
    py = fresh_venv(tmp_path / "venv", newer)
    run([py, "-m", "pip", "install", "-q", "numpy", "scipy"])
    run([py, "-m", "pip", "install", "-q", "--no-deps", wheel])
    r = run([py, ROOT / "tests" / "smoke_core.py"], cwd=tmp_path)
    assert "_core.abi3.so" in r.stdout and "'stable_abi': True" in r.stdout, r.stdout
