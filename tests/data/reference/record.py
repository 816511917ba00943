"""Record the reference implementation's outputs on the adapted examples in ``cases.py``.

Run once, with a build of the reference (``topologylayer``) importable and topolayer not needed:

    /work/refvenv/bin/python tests/data/reference/record.py

It writes ``recorded.npz`` (inputs under ``in/<case>/<name>``, outputs under ``<case>/<key>``)
and ``recorded.json`` (how the reference was built, and the reference code paths that fail,
each run in its own interpreter so that a crash is recorded rather than fatal).
``tests/test_compat_recorded.py`` replays the same cases through ``topolayer.compat``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from cases import CASES, make_inputs  # noqa: E402

# Reference code paths that do not run; each snippet runs in a fresh interpreter.
PROBES = {
    # nn/alpha.py: delaunay_complex sends 1D points to alpha_complex_1d, which is not defined
    "delaunay_complex_1d_input": """
        import numpy as np
        from topologylayer.nn.alpha import delaunay_complex
        delaunay_complex(np.random.rand(6, 1))
    """,
    # examples/paper/regression/rips.py builds RipsLayer(maxdim=0) without the number of points
    "rips_layer_without_n": """
        from topologylayer.nn import RipsLayer
        RipsLayer(maxdim=0)
    """,
    # examples/paper/regression/levelset.py and alpha.py: TopLoss passes one diagram where the
    # features expect the tuple of diagrams
    "regression_topfn_one_diagram": """
        import torch
        from topologylayer.nn import LevelSetLayer1D, SumBarcodeLengths
        dgms, issublevel = LevelSetLayer1D(5, False)(torch.rand(5, 1))
        SumBarcodeLengths()((dgms[0], issublevel))
    """,
    # two disjoint hollow triangles: H1 has two essential classes, the preallocated
    # diagram (sized for an acyclic complex) one row
    "two_cycles": """
        import torch
        from topologylayer import SimplicialComplex
        from topologylayer.nn import LevelSetLayer
        s = SimplicialComplex()
        for c in [[0], [1], [2], [3], [4], [5], [0, 1], [1, 2], [0, 2], [3, 4], [4, 5], [3, 5]]:
            s.append(c)
        dgms, _ = LevelSetLayer(s, maxdim=1)(torch.arange(6.0))
        print([d.tolist() for d in dgms])
    """,
    # a disconnected complex: the H1 row count becomes negative
    "disconnected": """
        import torch
        from topologylayer import SimplicialComplex
        from topologylayer.nn import LevelSetLayer
        s = SimplicialComplex()
        for c in [[0], [1], [2], [0, 1]]:
            s.append(c)
        dgms, _ = LevelSetLayer(s, maxdim=1)(torch.tensor([0.0, 1.0, 2.0]))
        print([d.tolist() for d in dgms])
    """,
    # float64 input: the C++ reads the buffer as float32
    "float64_input": """
        import torch
        from topologylayer.nn import LevelSetLayer1D
        dgms, _ = LevelSetLayer1D(4)(torch.tensor([0.0, 2.0, 1.0, 3.0], dtype=torch.float64))
        print([d.tolist() for d in dgms])
    """,
}


def _probe(code: str) -> dict:
    p = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        cwd="/",
        timeout=120,
    )
    err = [line for line in p.stderr.strip().splitlines() if line.strip()]
    return {
        "returncode": p.returncode,
        "stdout": p.stdout.strip()[-400:],
        "error": err[-1][:300] if err else "",
    }


def _as_array(v) -> np.ndarray:
    if isinstance(v, torch.Tensor):
        v = v.detach().cpu().numpy()
    return np.asarray(v)


def main() -> None:
    import topologylayer

    if "topolayer" in sys.modules:
        raise SystemExit("record.py must run against the reference, not topolayer")
    torch.manual_seed(0)
    inputs = make_inputs()
    arrays: dict[str, np.ndarray] = {}
    for case, fn in CASES.items():
        for name, a in inputs[case].items():
            arrays[f"in/{case}/{name}"] = a
        for key, v in fn("topologylayer", inputs[case]).items():
            arrays[f"{case}/{key}"] = _as_array(v)
    np.savez_compressed(os.path.join(HERE, "recorded.npz"), **arrays)
    meta = {
        "reference": "bruel-gabrielsson/TopologyLayer 9ecf9bc (its setup.py -std=c++14 changed to "
        "-std=c++17; pip install --no-build-isolation)",
        "reference_module": os.path.dirname(topologylayer.__file__),
        "torch": torch.__version__,
        "numpy": np.__version__,
        "python": sys.version.split()[0],
        "probes": {name: _probe(code) for name, code in PROBES.items()},
    }
    with open(os.path.join(HERE, "recorded.json"), "w") as fh:
        json.dump(meta, fh, indent=1, sort_keys=True)
        fh.write("\n")
    print(f"{len(arrays)} arrays; probes:")
    for name, r in meta["probes"].items():
        print(f"  {name}: rc={r['returncode']} {r['error'] or r['stdout'][:120]}")


if __name__ == "__main__":
    main()
