"""Keep committed notebooks free of volatile metadata (``python -m revopslab._notebooks``).

``jupyter nbconvert --execute`` records when each cell ran (``metadata.execution``);
those timestamps change on every run and would make every re-execution a diff.
"""

from __future__ import annotations

import sys
from pathlib import Path

import nbformat

__all__ = ["VOLATILE_CELL_METADATA", "strip_volatile_metadata"]

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
    changed = False
    for cell in notebook.cells:
        for key in VOLATILE_CELL_METADATA:
            if key in cell.metadata:
                del cell.metadata[key]
                changed = True
    if changed:
        nbformat.write(notebook, path)
    return changed


if __name__ == "__main__":
    for argument in sys.argv[1:]:
        strip_volatile_metadata(argument)
