"""The claims scorecard: 15 rows, one verdict rule, and the notebooks state the same verdicts."""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import numpy as np
import pandas as pd
import pytest

from revopslab import claims

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"
SENTENCE = re.compile(r"^Claim (\d+) \(.*\): .*: (holds|holds partly|does not hold here)\.$",
                      re.MULTILINE)


def _stated() -> list[tuple[str, int, str, str]]:
    """(notebook, claim, verdict, sentence) of every claim sentence a notebook printed."""
    found = []
    for path in sorted(NOTEBOOKS.glob("0*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        for cell in nb.cells:
            if cell.cell_type != "code" or "claims.describe(" not in cell.source:
                continue
            text = "".join(o.get("text", "") for o in cell.get("outputs", []))
            for match in SENTENCE.finditer(text):
                found.append((path.name, int(match[1]), match[2], match[0]))
    return found


def test_the_committed_scorecard_has_all_15_claims_with_every_column_filled():
    card = claims.committed()
    assert list(card.index) == list(range(1, 16))
    assert set(claims.COLUMNS) - {"claim"} <= set(card.columns)
    assert not card[[c for c in claims.COLUMNS if c != "claim"]].isna().any().any(), card
    assert set(card["verdict"]) <= set(claims.VERDICTS)
    assert ((card["share_in_direction"] >= 0) & (card["share_in_direction"] <= 1)).all()
    assert (card["effect_low"] <= card["effect_median"]).all()
    assert (card["effect_median"] <= card["effect_high"]).all()


def test_every_claim_is_stated_in_a_notebook_of_its_chapter():
    stated = _stated()
    card = claims.committed()
    for number, row in card.iterrows():
        chapters = [c.strip() for c in str(row["chapter"]).split(",")]
        where = {nb[:2] for nb, n, _, _ in stated if n == number}
        assert where & set(chapters), (number, chapters, where)


def test_each_verdict_a_notebook_states_is_the_scorecards():
    card = claims.committed()
    stated = _stated()
    assert stated
    for notebook, number, verdict, sentence in stated:
        assert verdict == card.loc[number, "verdict"], (notebook, number)
        # The whole sentence (effect, interval, seeds) is the scorecard's row.
        assert sentence == claims.sentence(card.loc[[number]]), (notebook, sentence)


def _frame(diffs: dict[str, list[float]]) -> pd.DataFrame:
    rows = []
    for measure, values in diffs.items():
        for seed, d in enumerate(values):
            rows += [{"seed": seed, "handoff": "context_kept", "measure": measure, "value": 1.0},
                     {"seed": seed, "handoff": "context_lost", "measure": measure,
                      "value": 1.0 + d}]
    frame = pd.DataFrame(rows)
    frame["handoff"] = pd.Categorical(frame["handoff"], ["context_kept", "context_lost"])
    return frame


def test_a_row_reads_a_hand_made_experiment():
    # Claim 4 (context lost at the handoff): early churn +1, +2, +3, -1, +5 points over five
    # seeds; onboarding CSAT and NPS lower in every seed.
    frame = _frame({"early_churn": [0.01, 0.02, 0.03, -0.01, 0.05],
                    "onboarding_csat": [-0.1] * 5, "onboarding_nps": [-5.0] * 5})
    row = claims.row(4, frame).loc[4]
    assert row["effect_median"] == pytest.approx(0.02)
    # 10th percentile: -0.01 + 0.4 x (0.01 - -0.01); 90th: 0.03 + 0.6 x (0.05 - 0.03).
    assert row["effect_low"] == pytest.approx(-0.002)
    assert row["effect_high"] == pytest.approx(0.042)
    assert row["share_in_direction"] == pytest.approx(0.8) and row["seeds"] == 5
    assert row["verdict"] == "holds"  # every part in the claimed direction in >= 80% of seeds
    worse = _frame({"early_churn": [0.01, -0.02, -0.03, -0.01, 0.05],
                    "onboarding_csat": [-0.1] * 5, "onboarding_nps": [-5.0] * 5})
    assert claims.row(4, worse).loc[4, "verdict"] == "holds partly"  # 2 of 5 on the headline
    none = _frame({"early_churn": [-0.01] * 5, "onboarding_csat": [0.1] * 5,
                   "onboarding_nps": [5.0] * 5})
    assert claims.row(4, none).loc[4, "verdict"] == "does not hold here"


def test_unknown_claims_and_seeds_are_refused():
    with pytest.raises(ValueError, match="claim must be one of"):
        claims.run(16)
    with pytest.raises(ValueError, match="claim must be one of"):
        claims.seeds(0)
    with pytest.raises(TypeError, match="seeds"):
        claims.run(14, seeds=7)
    with pytest.raises(ValueError, match="shares"):
        claims.verdict([np.nan])


def test_retention_arms_move_only_churn_and_expansion_or_wins():
    from revopslab.config import CompanyConfig

    base = CompanyConfig()
    arms = claims.retention_arms(base, 0.2)
    keep, logos = arms["retention +20%"], arms["new logos +20%"]
    for before, after in zip(base.segments, keep.segments, strict=True):
        assert after.monthly_churn == pytest.approx(before.monthly_churn * 0.8)
        assert after.annual_expansion == pytest.approx(before.annual_expansion * 1.2)
        assert after.win_rate_base == before.win_rate_base
    assert logos.segments == base.segments
    assert logos.conversion_multipliers["opportunity_to_won"] == pytest.approx(1.2)


def test_notebook_00_computes_its_claim_sentence_for_another_seed(run_notebook, notebook_text):
    nb = run_notebook("00_orientation.ipynb", seed=7, experiment_seeds=2)
    text = notebook_text(nb)
    expected = claims.sentence(claims.row(14, claims.run(14, seeds=[7, 8])))
    assert expected in text
    assert "Traceback" not in text


def _japanese(text: str) -> bool:
    return bool(re.search(r"[\u3040-\u30ff\u4e00-\u9fff]", text))


def test_every_claim_and_every_committed_part_has_a_japanese_label():
    card = claims.committed()
    for number, claim in claims.CLAIMS.items():
        assert _japanese(claim.statement_ja), number
    labels = {part.rsplit(":", 1)[0] for parts in card["parts"] for part in parts.split("; ")}
    for label in labels:
        assert _japanese(claims.part_label(label, lang="ja")), label
        assert claims.part_label(label, lang="en") == label
    with pytest.raises(KeyError, match="PARTS_JA"):
        claims.part_label("no such part", lang="ja")


def test_the_japanese_sentence_reads_the_same_row():
    # A hand-made row: 6 of 8 seeds in the claimed direction, effect -2.6% (-4.2% to -1.3%).
    card = pd.DataFrame([{"claim": 6, "statement": "x", "measure": "revenue lower",
                          "effect_median": -0.026, "effect_low": -0.042, "effect_high": -0.013,
                          "share_in_direction": 0.75, "seeds": 8,
                          "verdict": "holds partly"}]).set_index("claim")
    ja = claims.sentence(card, lang="ja")
    assert ja == (f"主張6（{claims.CLAIMS[6].statement_ja}）：3年売上が低い、中央値 -2.6%"
                  "（10〜90パーセンタイル -4.2%〜-1.3%）、8シード中75%が主張の方向：一部成り立つ。")
    assert claims.sentence(card, lang="en").startswith("Claim 6 (x): revenue lower, median -2.6%")
    from revopslab._lang import language
    with language("ja"):
        assert claims.sentence(card) == ja  # the bound language is the default


def test_the_course_map_in_japanese_translates_statements_and_verdicts(capsys):
    card = claims.committed()
    table = claims.course_map(card, lang="ja")
    printed = capsys.readouterr().out
    counts = card["verdict"].value_counts()
    assert printed.startswith(f"主張{len(card)}件：")
    for verdict, n in counts.items():
        assert f"{claims.VERDICTS_JA[verdict]} {n}件" in printed
    assert list(table.columns) == ["章", "主張", "効果の中央値", "下限（10%点）", "上限（90%点）",
                                   "主張の方向のシード割合", "シード数", "判定"]
    assert table.loc[1, "主張"] == claims.CLAIMS[1].statement_ja
    assert set(table["判定"]) <= set(claims.VERDICTS_JA.values())
    english = claims.course_map(card, lang="en")
    assert capsys.readouterr().out.startswith(f"{len(card)} claims: ")
    assert english["effect_median"].tolist() == card["effect_median"].round(3).tolist()
