"""Shared pytest configuration for the RevOps Lab test suite."""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
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


@pytest.fixture(scope="session")
def _papermill_runs(tmp_path_factory):
    """A folder shared by every xdist worker of this run (the documented xdist pattern)."""
    root = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        root = root.parent
    folder = root / "papermill-runs"
    folder.mkdir(exist_ok=True)
    return folder


@contextlib.contextmanager
def _exclusive(path: Path):
    """Hold an exclusive lock on ``path`` (POSIX); elsewhere, no lock and no sharing."""
    try:
        import fcntl
    except ImportError:  # Windows: every run executes its own notebook
        yield False
        return
    with open(path, "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield True
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


@pytest.fixture
def run_notebook(tmp_path, _papermill_runs):
    """``run_notebook(name, **parameters)``: execute ``notebooks/<name>`` with papermill.

    Returns the executed notebook, as a report runner would get it: parameters injected
    after the tagged cell, the kernel run from ``notebooks/``. Two tests of one run that ask
    for the same notebook with the same parameters share one execution (the notebook is
    read afresh for each), even on two xdist workers.
    """
    import nbformat
    import papermill as pm

    def run(name, **parameters):
        key = hashlib.sha256(json.dumps([name, parameters], sort_keys=True, default=repr)
                             .encode()).hexdigest()[:16]
        shared = _papermill_runs / f"{key}.ipynb"
        with _exclusive(_papermill_runs / f"{key}.lock") as sharing:
            out = shared if sharing else tmp_path / name
            if not (sharing and shared.exists()):
                partial = out.with_suffix(".partial.ipynb")
                pm.execute_notebook(str(NOTEBOOKS / name), str(partial), parameters=parameters,
                                    kernel_name="python3", cwd=str(NOTEBOOKS),
                                    progress_bar=False)
                os.replace(partial, out)  # a failed run leaves nothing to share
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
