"""The README's example runs as written."""

import re
from pathlib import Path

import torch

README = Path(__file__).resolve().parents[1] / "README.md"


def test_readme_example_runs_and_removes_spurious_minima():
    blocks = re.findall(r"```python\n(.*?)```", README.read_text(), flags=re.S)
    assert blocks, "README has no python example"
    torch.manual_seed(0)
    scope: dict = {}
    exec(compile(blocks[0], "README.md", "exec"), scope)
    tl, K, x = scope["tl"], scope["K"], scope["x"]
    bars = tl.functional.lower_star(x.detach(), K, max_dim=0)[0]
    assert int(((bars[:, 1] - bars[:, 0]) > 0.01).sum()) == 1
