"""Shared pytest configuration for the RevOps Lab test suite."""

from __future__ import annotations

import os

# What-if cells show no widgets in test runs (nbval and papermill kernels inherit this).
os.environ.setdefault("REVOPSLAB_STATIC", "1")


def pytest_addoption(parser):
    """``--benchmarks`` opts in to the speed and memory benchmarks (``make bench``)."""
    parser.addoption(
        "--benchmarks",
        action="store_true",
        default=False,
        help="run the benchmarks in tests/benchmarks (skipped unless given)",
    )
