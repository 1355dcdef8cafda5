"""Repository-wide pytest set-up: it applies to tests/, the doctests and the notebooks."""

from __future__ import annotations

import os

# What-if cells show no widgets in test runs, whichever path pytest is given (nbval and
# papermill kernels inherit this); `make lab` leaves them interactive.
os.environ.setdefault("REVOPSLAB_STATIC", "1")
