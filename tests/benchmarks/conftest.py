"""Benchmarks run only with ``--benchmarks`` (``make bench``); ``make test`` skips them."""

from __future__ import annotations

from pathlib import Path

import pytest

_HERE = Path(__file__).resolve().parent


def pytest_collection_modifyitems(config, items):
    # The option is declared in tests/conftest.py; default to off if it is not loaded.
    if config.getoption("--benchmarks", default=False):
        return
    skip = pytest.mark.skip(reason="benchmark: run with --benchmarks (make bench)")
    for item in items:
        if _HERE in Path(item.path).resolve().parents:
            item.add_marker(skip)
