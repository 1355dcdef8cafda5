"""Normalise committed notebooks after execution (``python -m revopslab._notebooks NB...``).

``jupyter nbconvert --execute`` records when each cell ran (``metadata.execution``);
those timestamps change on every run and would make every re-execution a diff. And the
notebook's kernelspec must be the kernel ``make lab`` registers
(:data:`revopslab._kernel.KERNELSPEC`): JupyterLab rewrites a differing display name
when it opens the notebook, which marks it modified.
"""

from __future__ import annotations

import sys
from pathlib import Path

import nbformat

from ._kernel import KERNELSPEC

__all__ = ["VOLATILE_CELL_METADATA", "normalise", "set_kernelspec", "strip_volatile_metadata"]

#: Cell metadata keys written by execution tools that only record when a cell ran.
VOLATILE_CELL_METADATA: tuple[str, ...] = ("execution",)


def strip_volatile_metadata(path: str | Path) -> bool:
    """Remove :data:`VOLATILE_CELL_METADATA` from every cell; return True if the file changed.

    Examples
    --------
    >>> import tempfile
    >>> from nbformat.v4 import new_code_cell, new_notebook
    >>> cell = new_code_cell("1 + 1", metadata={"tags": ["parameters"],
    ...                      "execution": {"iopub.status.idle": "2026-01-01T00:00:00Z"}})
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     path = Path(folder) / "n.ipynb"
    ...     nbformat.write(new_notebook(cells=[cell]), path)
    ...     changed = strip_volatile_metadata(path)
    ...     metadata = nbformat.read(path, as_version=4).cells[0].metadata
    >>> changed, dict(metadata)
    (True, {'tags': ['parameters']})
    """
    notebook = nbformat.read(path, as_version=4)
    changed = _strip(notebook)
    if changed:
        nbformat.write(notebook, path)
    return changed


def set_kernelspec(path: str | Path) -> bool:
    """Give the notebook the kernelspec of the course's kernel; return True if it changed.

    Examples
    --------
    >>> import tempfile
    >>> from nbformat.v4 import new_notebook
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     path = Path(folder) / "n.ipynb"
    ...     nbformat.write(new_notebook(metadata={"kernelspec": {
    ...         "display_name": "Python 3", "language": "python", "name": "python3"}}), path)
    ...     changes = set_kernelspec(path), set_kernelspec(path)
    ...     spec = nbformat.read(path, as_version=4).metadata.kernelspec
    >>> changes, spec["display_name"], spec["name"]
    ((True, False), 'Python 3 (RevOps Lab)', 'python3')
    """
    notebook = nbformat.read(path, as_version=4)
    changed = _set_kernelspec(notebook)
    if changed:
        nbformat.write(notebook, path)
    return changed


def normalise(path: str | Path) -> bool:
    """Both normalisations in one read and one write; return True if the file changed."""
    notebook = nbformat.read(path, as_version=4)
    changed = _strip(notebook)
    changed = _set_kernelspec(notebook) or changed
    if changed:
        nbformat.write(notebook, path)
    return changed


def _strip(notebook) -> bool:
    changed = False
    for cell in notebook.cells:
        for key in VOLATILE_CELL_METADATA:
            if key in cell.metadata:
                del cell.metadata[key]
                changed = True
    return changed


def _set_kernelspec(notebook) -> bool:
    if dict(notebook.metadata.get("kernelspec", {})) == KERNELSPEC:
        return False
    notebook.metadata["kernelspec"] = dict(KERNELSPEC)
    return True


if __name__ == "__main__":
    for argument in sys.argv[1:]:
        normalise(argument)
