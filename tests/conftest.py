"""Shared pytest configuration for the RevOps Lab test suite."""

from __future__ import annotations


def pytest_addoption(parser):
    """``--benchmarks`` opts in to the speed and memory benchmarks (``make bench``)."""
    parser.addoption(
        "--benchmarks",
        action="store_true",
        default=False,
        help="run the benchmarks in tests/benchmarks (skipped unless given)",
    )
