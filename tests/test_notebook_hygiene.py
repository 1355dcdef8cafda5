"""Committed notebooks are executed, parameterised and free of volatile metadata."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest

from revopslab._kernel import KERNEL_DISPLAY_NAME, KERNEL_NAME, KERNELSPEC
from revopslab._notebooks import VOLATILE_CELL_METADATA

ROOT = Path(__file__).resolve().parents[1] / "notebooks"
NOTEBOOKS = sorted(ROOT.glob("*.ipynb")) + sorted(ROOT.glob("solutions/*.ipynb"))
#: Every notebook anywhere under notebooks/ (editions, solutions), checkpoints aside.
ALL_NOTEBOOKS = sorted(p for p in ROOT.rglob("*.ipynb") if ".ipynb_checkpoints" not in p.parts)
MAKEFILE = ROOT.parent / "Makefile"


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


def test_the_makefile_registers_the_kernel_the_notebooks_name():
    install = [line for line in MAKEFILE.read_text(encoding="utf-8").splitlines()
               if "ipykernel install" in line]
    assert install, "the Makefile no longer registers a kernel"
    assert all(f'--name {KERNEL_NAME} --display-name "{KERNEL_DISPLAY_NAME}"' in line
               for line in install), install


@pytest.mark.parametrize("path", ALL_NOTEBOOKS, ids=lambda p: str(p.relative_to(ROOT)))
def test_kernelspec_is_the_kernel_make_lab_registers(path):
    """A differing kernelspec is rewritten by JupyterLab on opening: the notebook shows modified."""
    spec = dict(nbformat.read(path, as_version=4).metadata.get("kernelspec", {}))
    assert spec == KERNELSPEC, (
        f"{path.relative_to(ROOT)} names kernel {spec}: run "
        f"`.venv/bin/python -m revopslab._notebooks {path.relative_to(ROOT.parent)}`"
    )
