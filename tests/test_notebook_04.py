"""Notebook 04 runs under papermill with parameters other than the committed ones."""

from __future__ import annotations

from pathlib import Path

import nbformat
import papermill as pm

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"
NAME = "04_revops_org_design.ipynb"


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


def test_org_design_runs_with_another_seed_and_profile(tmp_path):
    parameters = {"seed": 7, "profile": "default", "experiment_seeds": 1,
                  "sla_steps": [4.0, 1.0, 0.25], "revops_headcount": 2}
    nb = _run(NAME, tmp_path, **parameters)
    injected = [c for c in nb.cells if "injected-parameters" in c.metadata.get("tags", [])]
    assert len(injected) == 1
    text = _text(nb)
    assert "org_model='aligned'" in text and "seed=7" in text
    assert "RevOps team: 2 people" in text
    assert "Over 1 seed, acceptance goes from" in text
    assert "Claim 10 (net gain negative for the small company" in text
    assert "Not attempted yet" in text
    assert "Traceback" not in text
