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
