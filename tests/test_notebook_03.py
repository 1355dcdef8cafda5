"""Notebook 03 runs under papermill with dirtier exports and a smaller noise curve."""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import papermill as pm

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"
NAME = "03_bigops_ssot.ipynb"


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


def test_bigops_ssot_runs_with_noisier_exports_and_a_short_curve(tmp_path):
    nb = _run(NAME, tmp_path, noise=0.3, curve_scale=0.15, curve_noises=[0.0, 0.4])
    injected = [c for c in nb.cells if "injected-parameters" in c.metadata.get("tags", [])]
    assert len(injected) == 1
    text = _text(nb)
    assert "default company, seed 2024:" in text and "at noise 0.3." in text
    assert "Accounts at noise 0.3: precision" in text
    assert "Paying customers — truth" in text
    assert "none lost." in text
    assert "Working the top 10% of the queue" in text
    assert "Not attempted yet" in text
    assert "Traceback" not in text
    assert not re.search(r"[\w.+-]{3,}@", text), "an e-mail address is printed unmasked"
