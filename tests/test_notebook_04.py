"""Notebook 04 runs under papermill with parameters other than the committed ones."""

from __future__ import annotations

NAME = "04_revops_org_design.ipynb"


def test_org_design_runs_with_another_seed_and_profile(run_notebook, notebook_text):
    parameters = {"seed": 7, "profile": "default", "experiment_seeds": 1,
                  "sla_steps": [4.0, 1.0, 0.25], "revops_headcount": 2}
    nb = run_notebook(NAME, **parameters)
    injected = [c for c in nb.cells if "injected-parameters" in c.metadata.get("tags", [])]
    assert len(injected) == 1
    text = notebook_text(nb)
    assert "org_model='aligned'" in text and "seed=7" in text
    assert "RevOps team: 2 people" in text
    assert "Over 1 seed, acceptance goes from" in text
    assert "Claim 9 (Handoff SLAs raise conversion" in text and "over 1 seeds" in text
    assert "Claim 10 (Small companies should not adopt RevOps yet" in text
    assert "Not attempted yet" in text
    assert "Traceback" not in text
