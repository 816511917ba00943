import subprocess
import sys

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
