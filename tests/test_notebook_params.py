"""Notebooks run under papermill with parameters other than the committed ones."""

from __future__ import annotations

import pytest


@pytest.mark.parametrize("parameters", [
    {"seed": 7, "experiment_seeds": 2},
    {"seed": 11, "profile": "plg", "months": 24, "experiment_seeds": 1},
])
def test_orientation_runs_with_other_parameters(parameters, run_notebook, notebook_text):
    nb = run_notebook("00_orientation.ipynb", **parameters)
    injected = [c for c in nb.cells if "injected-parameters" in c.metadata.get("tags", [])]
    assert len(injected) == 1
    text = notebook_text(nb)
    assert f"seed={parameters['seed']}" in text
    assert f"{parameters.get('months', 36)} months of history" in text
    assert "Traceback" not in text


def test_silos_runs_with_another_seed_and_fewer_runs(run_notebook, notebook_text):
    nb = run_notebook("01_silos.ipynb", seed=7, org_seeds=3, story_seeds=2, headcount_seeds=1,
                      lever_seeds=1)
    text = notebook_text(nb)
    assert "default company, seed 7:" in text
    assert "median over 3 seeds" in text
    assert "Traceback" not in text


def test_cro_runs_with_another_seed_and_profile(run_notebook, notebook_text):
    nb = run_notebook("02_cro_role.ipynb", seed=11, profile="enterprise", story_seeds=2,
              target_seeds=3)
    text = notebook_text(nb)
    assert "enterprise company, seed 11;" in text
    assert "Traceback" not in text
