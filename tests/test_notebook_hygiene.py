"""Committed notebooks are executed, parameterised and free of volatile metadata."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest

from revopslab._notebooks import VOLATILE_CELL_METADATA

ROOT = Path(__file__).resolve().parents[1] / "notebooks"
NOTEBOOKS = sorted(ROOT.glob("*.ipynb")) + sorted(ROOT.glob("solutions/*.ipynb"))


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_committed_with_outputs_and_no_run_timestamps(path):
    notebook = nbformat.read(path, as_version=4)
    assert notebook.metadata["kernelspec"]["name"] == "python3"
    code = [c for c in notebook.cells if c.cell_type == "code"]
    assert code, "no code cells"
    # Executed in order from a fresh kernel: execution counts 1, 2, 3 …
    assert [c.execution_count for c in code] == list(range(1, len(code) + 1)), \
        f"{path.name} is not freshly executed: run `make execute`"
    stale = [i for i, c in enumerate(notebook.cells)
             if any(key in c.metadata for key in VOLATILE_CELL_METADATA)]
    assert not stale, f"cells {stale} keep run timestamps: run `make execute`"


@pytest.mark.parametrize("path", [p for p in NOTEBOOKS if p.parent == ROOT], ids=lambda p: p.name)
def test_chapter_notebooks_have_one_parameters_cell_of_literals(path):
    notebook = nbformat.read(path, as_version=4)
    tagged = [c for c in notebook.cells if "parameters" in c.metadata.get("tags", [])]
    assert len(tagged) == 1, f"{path.name}: {len(tagged)} cells tagged 'parameters'"
    for line in tagged[0].source.splitlines():
        statement = line.split("#", 1)[0].strip()
        if statement:
            name, _, value = statement.partition("=")
            assert name.strip().isidentifier() and value.strip(), line
            # Literals only: papermill injects its values after this cell.
            compile(value.strip(), path.name, "eval")
            assert "(" not in value or value.strip().startswith("("), line
