"""Repository-wide pytest set-up: it applies to tests/, the doctests and the notebooks."""

from __future__ import annotations

import os
from pathlib import Path

# What-if cells show no widgets in test runs, whichever path pytest is given (nbval and
# papermill kernels inherit this); `make lab` leaves them interactive.
os.environ.setdefault("REVOPSLAB_STATIC", "1")
# Tests, doctests and notebook kernels share one bounded cache of simulated companies
# (revopslab._cache) in the checkout's ignored .cache/ folder.
os.environ.setdefault("REVOPSLAB_CACHE_DIR",
                      str(Path(__file__).resolve().parent / ".cache" / "companies"))


def _weight(item) -> int:
    """0: runs a whole notebook under papermill; 1: a notebook under nbval; 2: a Japanese
    twin under nbval; 3: the rest.

    The Japanese twins run the English notebooks' code, so they go after them: by then the
    experiments they repeat are in the cache (revopslab._cache) and read back.
    """
    if "run_notebook" in getattr(item, "fixturenames", ()):
        return 0
    path = item.nodeid.split("::")[0]
    if not path.endswith(".ipynb"):
        return 3
    return 2 if "/ja/" in f"/{path}" else 1


def pytest_collection_modifyitems(config, items):
    """The longest work first: files that run notebooks, then the notebooks, then the rest.

    `make test` hands whole files to two xdist workers in collection order
    (``--dist loadscope --no-loadscope-reorder``); starting with the long ones keeps one
    worker from running a ten-minute file alone at the end. Within a weight, files with more
    papermill runs come first, then the collection order is kept.
    """
    files: dict[str, list] = {}
    for item in items:
        files.setdefault(item.nodeid.split("::")[0], []).append(item)
    order = sorted(files.values(), key=lambda group: (
        min(map(_weight, group)), -sum(_weight(item) == 0 for item in group)))
    items[:] = [item for group in order for item in group]
