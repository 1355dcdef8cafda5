"""Notebooks run under papermill with parameters other than the committed ones."""

from __future__ import annotations

from pathlib import Path

import nbformat
import papermill as pm
import pytest

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"


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


@pytest.mark.parametrize("parameters", [
    {"seed": 7, "experiment_seeds": 2},
    {"seed": 11, "profile": "plg", "months": 24, "experiment_seeds": 1},
])
def test_orientation_runs_with_other_parameters(tmp_path, parameters):
    nb = _run("00_orientation.ipynb", tmp_path, **parameters)
    injected = [c for c in nb.cells if "injected-parameters" in c.metadata.get("tags", [])]
    assert len(injected) == 1
    text = _text(nb)
    assert f"seed={parameters['seed']}" in text
    assert f"{parameters.get('months', 36)} months of history" in text
    assert "Traceback" not in text


def test_silos_runs_with_another_seed_and_fewer_runs(tmp_path):
    nb = _run("01_silos.ipynb", tmp_path, seed=7, org_seeds=3, story_seeds=2, headcount_seeds=1)
    text = _text(nb)
    assert "default company, seed 7:" in text
    assert "median over 3 seeds" in text
    assert "Traceback" not in text


def test_cro_runs_with_another_seed_and_profile(tmp_path):
    nb = _run("02_cro_role.ipynb", tmp_path, seed=11, profile="enterprise", story_seeds=2,
              target_seeds=3)
    text = _text(nb)
    assert "enterprise company, seed 11;" in text
    assert "Traceback" not in text
