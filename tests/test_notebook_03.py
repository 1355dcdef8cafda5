"""Notebook 03 runs under papermill with dirtier exports and a smaller noise curve."""

from __future__ import annotations

import re

NAME = "03_bigops_ssot.ipynb"


def test_bigops_ssot_runs_with_noisier_exports_and_a_short_curve(run_notebook, notebook_text):
    nb = run_notebook(NAME, noise=0.3, curve_scale=0.15, curve_noises=[0.0, 0.4], claim_seeds=1)
    injected = [c for c in nb.cells if "injected-parameters" in c.metadata.get("tags", [])]
    assert len(injected) == 1
    text = notebook_text(nb)
    assert "default company, seed 2024:" in text and "at noise 0.3." in text
    assert "Accounts at noise 0.3: precision" in text
    assert "Paying customers — truth" in text
    verdict = r"(holds|holds partly|does not hold here)"
    assert re.search(r"Claim 8 \(.*\): .* over 1 seeds, .*: " + verdict + r"\.", text)
    assert "none lost." in text
    assert "Working the top 10% of the queue" in text
    assert "Not attempted yet" in text
    assert "Traceback" not in text
    assert not re.search(r"[\w.+-]{3,}@", text), "an e-mail address is printed unmasked"
