"""Shared pytest configuration for the RevOps Lab test suite."""

from __future__ import annotations

import contextlib
from pathlib import Path

import pytest


def pytest_addoption(parser):
    """``--benchmarks`` opts in to the speed and memory benchmarks (``make bench``)."""
    parser.addoption(
        "--benchmarks",
        action="store_true",
        default=False,
        help="run the benchmarks in tests/benchmarks (skipped unless given)",
    )


NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"

#: Test files that test the simulator itself (its determinism above all): they simulate
#: every company afresh, never reading the cache of simulated companies.
SIMULATOR_TESTS = {"test_simulate.py"}


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item, nextitem):
    """The cache is off for the whole run of a simulator test, its fixtures included."""
    from revopslab._cache import disabled

    with disabled() if item.path.name in SIMULATOR_TESTS else contextlib.nullcontext():
        yield


@pytest.fixture
def run_notebook(tmp_path):
    """``run_notebook(name, **parameters)``: execute ``notebooks/<name>`` with papermill.

    Returns the executed notebook (written under ``tmp_path``), as a report runner would
    get it: parameters injected after the tagged cell, the kernel run from ``notebooks/``.
    """
    import nbformat
    import papermill as pm

    def run(name, **parameters):
        out = tmp_path / name
        pm.execute_notebook(str(NOTEBOOKS / name), str(out), parameters=parameters,
                            kernel_name="python3", cwd=str(NOTEBOOKS), progress_bar=False)
        return nbformat.read(out, as_version=4)

    return run


@pytest.fixture
def notebook_text():
    """``notebook_text(nb)``: every text output of a notebook (stdout and plain reprs), joined."""

    def text(nb):
        parts = []
        for cell in nb.cells:
            for output in cell.get("outputs", []):
                parts.append(output.get("text", ""))
                parts.append(output.get("data", {}).get("text/plain", ""))
        return "\n".join(parts)

    return text
