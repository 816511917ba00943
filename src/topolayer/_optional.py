"""Optional dependencies: import them on first use, and say which extra installs them.

The package itself needs only numpy, scipy and torch; plotting, the demos, the scikit-learn
transformers and the dask path each name their extra (``pip install "topolayer[demo]"``) in
the error instead of a bare ``ModuleNotFoundError`` deep in a traceback.
"""

from __future__ import annotations

import importlib
import importlib.util
from types import ModuleType

__all__ = ["EXTRAS", "MissingDependencyError", "require", "missing"]

# extra -> the import names of what it brings (package names where they differ: scikit-learn).
EXTRAS: dict[str, dict[str, str]] = {
    "plot": {"matplotlib": "matplotlib"},
    "demo": {"matplotlib": "matplotlib", "tqdm": "tqdm", "sklearn": "scikit-learn"},
    "sklearn": {"sklearn": "scikit-learn", "joblib": "joblib", "tqdm": "tqdm"},
    "dask": {
        "sklearn": "scikit-learn",
        "joblib": "joblib",
        "dask": "dask",
        "distributed": "distributed",
    },
}


class MissingDependencyError(ImportError):
    """An optional dependency is not installed; the message names the extra to install."""


def missing(extra: str) -> list[str]:
    """The packages of ``extra`` that are not importable here (without importing them)."""
    return [pkg for mod, pkg in EXTRAS[extra].items() if importlib.util.find_spec(mod) is None]


def require(module: str, extra: str, what: str) -> ModuleType:
    """Import ``module`` for ``what``, or raise :class:`MissingDependencyError` naming ``extra``."""
    try:
        return importlib.import_module(module)
    except ImportError as err:
        package = EXTRAS.get(extra, {}).get(module.split(".")[0], module.split(".")[0])
        raise MissingDependencyError(
            f'{what} needs {package}, which is not installed: pip install "topolayer[{extra}]"'
        ) from err
