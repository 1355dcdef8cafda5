"""Notebook 05 runs under papermill with parameters other than the committed ones."""

from __future__ import annotations

from pathlib import Path

import nbformat
import papermill as pm

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"
NAME = "05_data_driven_decisions.ipynb"


def _run(name, tmp_path, **parameters):
    out = tmp_path / name
    pm.execute_notebook(str(NOTEBOOKS / name), str(out), parameters=parameters,
                        kernel_name="python3", cwd=str(NOTEBOOKS), progress_bar=False)
    return nbformat.read(out, as_version=4)


def _text(nb):
    parts = []
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            parts.append(output.get("text", ""))
            parts.append(output.get("data", {}).get("text/plain", ""))
    return "\n".join(parts)


def test_data_driven_decisions_runs_with_another_seed_and_one_experiment_seed(tmp_path):
    nb = _run(NAME, tmp_path, seed=7, experiment_seeds=1)
    injected = [c for c in nb.cells if "injected-parameters" in c.metadata.get("tags", [])]
    assert len(injected) == 1
    text = _text(nb)
    assert "default company, seed 7:" in text
    assert "seed 7: " in text and "After one lift the bottleneck moved" in text
    assert "simulated gain was below the arithmetic in" in text and "of 3 runs" in text
    assert "quarters backtested. WAPE: judgment" in text
    assert "The reps' Commit call was" in text
    assert "todays_stage_features: LeakageError" in text
    assert "predictive (WAPE) in" in text and "of 1 seeds" in text
    assert "Not attempted yet" in text
    assert "Traceback" not in text
