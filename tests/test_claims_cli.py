"""``revopslab claims``: prints the scorecard, writes it safely, refuses bad arguments."""

from __future__ import annotations

import pandas as pd
from typer.testing import CliRunner

from revopslab import claims
from revopslab.cli import app


def _card(**_):
    row = {"claim": 14, "chapter": "00", "statement": "The flywheel outgrows the funnel",
           "measure": "MRR gap at the end higher", "unit": "relative", "effect_median": 0.187,
           "effect_low": 0.15, "effect_high": 0.22, "share_in_direction": 1.0, "seeds": 8,
           "parts": "MRR gap at the end higher: 100% of seeds", "verdict": "holds"}
    return pd.DataFrame([row]).set_index("claim")


def test_claims_prints_the_scorecard_and_writes_it(tmp_path, monkeypatch):
    calls = {}

    def fake(**kwargs):
        calls.update(kwargs)
        return _card()

    monkeypatch.setattr(claims, "scorecard", fake)
    out = tmp_path / "card.csv"
    result = CliRunner().invoke(app, ["claims", "--claim", "14", "--seed", "7", "--output",
                                      str(out), "--no-progress"])
    assert result.exit_code == 0, result.output
    assert calls == {"claims": [14], "seeds": 7, "progress": False}
    assert "holds" in result.stdout and "The flywheel outgrows the funnel" in result.stdout
    written = pd.read_csv(out, index_col="claim", encoding="utf-8-sig")
    assert written.loc[14, "verdict"] == "holds" and written.loc[14, "seeds"] == 8


def test_claims_refuses_an_unknown_claim_and_a_negative_seed():
    result = CliRunner().invoke(app, ["claims", "--claim", "99"])
    assert result.exit_code == 2 and "--claim must be among" in result.output
    result = CliRunner().invoke(app, ["claims", "--seed", "-1"])
    assert result.exit_code == 2 and "--seed must be an int >= 0" in result.output
