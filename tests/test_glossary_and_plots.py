"""The bilingual glossary and the message-first chart functions."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

from revopslab import plots  # noqa: E402
from revopslab.glossary import glossary, glossary_table  # noqa: E402

SYLLABUS_TERMS = ["RevOps", "CRO", "BigOps", "silo", "SSOT", "RevOps charter", "governance model",
                  "revenue process", "conversion rate", "transition time", "KKD method",
                  "weighted pipeline", "revenue cadence", "demand waterfall", "LTV", "NPS",
                  "churn rate", "THE MODEL", "ABR", "flywheel", "PLG"]


@pytest.mark.parametrize("term", SYLLABUS_TERMS)
def test_every_syllabus_term_is_in_the_glossary_in_both_languages(term):
    row = glossary(term)
    assert row["term_ja"] and row["definition_ja"] and row["definition_en"]
    assert glossary(row["term_ja"])["term_en"] == row["term_en"]


def test_unknown_term_answers_one_line_did_you_mean_not_a_traceback():
    miss = glossary("churn rat")
    assert not miss
    assert str(miss) == "'churn rat' is not in the glossary. Did you mean 'churn rate'?"
    assert "\n" not in repr(miss)
    with pytest.raises(KeyError, match="Did you mean 'churn rate'"):
        miss["term_ja"]
    assert "glossary_table() lists every term" in str(glossary("zzzzzzzz"))


def test_glossary_shows_whole_definitions_in_both_languages():
    from revopslab.glossary import _table, show_glossary

    row = _table().set_index("term_en").loc["churn rate"]
    shown = repr(glossary("churn rate"))
    assert row["definition_en"] in shown and row["definition_ja"] in shown
    assert len(row["definition_en"]) > 50  # long enough that a DataFrame repr would cut it
    table = show_glossary("05")
    terms = glossary_table(chapter="05")
    assert len(table.entries) == len(terms)
    for text in (str(table), table._repr_html_()):
        for _, term in terms.iterrows():
            assert term["definition_ja"] in text
    assert str(glossary_table(chapter="05")["definition_en"].iloc[0]) in str(table)


def test_chapter_filter_and_its_error():
    assert "funnel / flywheel" in set(glossary_table(chapter="00")["term_en"])
    assert "BigOps" not in set(glossary_table(chapter="00")["term_en"])
    with pytest.raises(ValueError, match="two-digit"):
        glossary_table(chapter="0")


@pytest.mark.parametrize("draw", [
    lambda ax, m: plots.funnel(pd.Series({"inquiry": 10, "won": 2}), message=m, ax=ax),
    lambda ax, m: plots.growth_curves(pd.DataFrame({"a": [1, 2]}), message=m, ax=ax),
    lambda ax, m: plots.mrr_bridge(pd.DataFrame({
        "month": pd.to_datetime(["2025-01-01"]), "movement": ["new"], "mrr_change": [5.0]}),
        message=m, ax=ax),
    lambda ax, m: plots.bar_compare(pd.Series({"a": 1.0}), message=m, ax=ax),
])
def test_plots_draw_on_the_given_axes_and_title_with_the_message(draw):
    fig, ax = plt.subplots()
    assert draw(ax, "The message") is ax
    assert ax.get_title(loc="left") == "The message"
    with pytest.raises(ValueError, match="message must be"):
        draw(ax, "  ")
    plt.close(fig)


def test_funnel_rejects_negative_counts():
    with pytest.raises(ValueError, match="counts must be"):
        plots.funnel(pd.Series({"a": -1}), message="m")


def test_bowtie_is_narrowest_at_its_knot_and_refuses_an_unknown_knot():
    counts = pd.Series({"inquiry": 900, "sql": 200, "won": 50, "retained": 45, "expanded": 12})
    _, ax = plt.subplots()
    assert plots.bowtie(counts, knot="won", message="m", ax=ax) is ax
    heights = [bar.get_height() for bar in ax.patches]
    assert heights == [900, 200, 50, 45, 12]
    with pytest.raises(ValueError, match="knot must be one of"):
        plots.bowtie(counts, knot="renewed", message="m")
    plt.close("all")


def test_paired_differences_counts_the_seeds_in_the_better_direction():
    diffs = pd.DataFrame({"revenue": [0.1, 0.2, -0.3, 0.05], "churn": [0.01, -0.2, -0.1, -0.1]})
    ax = plots.paired_differences(diffs, message="m", better={"revenue": "higher",
                                                              "churn": "lower"})
    assert [t.get_text() for t in ax.texts] == ["3 of 4 seeds higher", "3 of 4 seeds lower"]
    with pytest.raises(ValueError, match="better must map"):
        plots.paired_differences(diffs, message="m", better={"profit": "higher"})
    plt.close("all")


def test_unit_economics_writes_each_ratio_and_refuses_zero_cac():
    frame = pd.DataFrame({"cac": [50.0, 80.0], "ltv": [200.0, 120.0]}, index=["SMB", "MM"])
    ax = plots.unit_economics(frame, message="m")
    assert [t.get_text() for t in ax.texts] == ["4.0x", "1.5x"]  # 200/50, 120/80
    with pytest.raises(ValueError, match="cac > 0"):
        plots.unit_economics(frame.assign(cac=[0.0, 1.0]), message="m")
    with pytest.raises(ValueError, match="must have columns"):
        plots.unit_economics(frame.drop(columns="ltv"), message="m")
    plt.close("all")


def test_attainment_curve_refuses_probabilities_outside_0_1():
    with pytest.raises(ValueError, match=r"values in \[0, 1\]"):
        plots.attainment_curve(pd.Series({0.1: 1.2}), message="m")


def _every_chart(lang):
    """Each plot function once, on small data, in ``lang``."""
    months = pd.date_range("2025-01-01", periods=3, freq="MS")
    yield lambda ax: plots.funnel(pd.Series({"inquiry": 100, "sql": 20, "won": 5}),
                                  message="漏斗 funnel", ax=ax, lang=lang)
    yield lambda ax: plots.bowtie(pd.Series({"sql": 20, "won": 5, "expanded": 2}), knot="won",
                                  message="ボウタイ bowtie", ax=ax, lang=lang)
    yield lambda ax: plots.growth_curves(pd.DataFrame({"a": [1, 2, 3]}, index=months),
                                         message="成長 growth", ax=ax, lang=lang)
    yield lambda ax: plots.mrr_bridge(
        pd.DataFrame({"month": months[:2], "movement": ["new", "churn"],
                      "mrr_change": [100.0, -30.0]}), message="MRRブリッジ", ax=ax, lang=lang)
    yield lambda ax: plots.bar_compare(pd.Series({"marketing": 3, "sales": 5}), yen=True,
                                       message="比較 compare", ax=ax, lang=lang)
    yield lambda ax: plots.paired_differences(pd.DataFrame({"revenue": [-0.1, 0.2]}),
                                              better={"revenue": "lower"},
                                              message="差分 differences", ax=ax, lang=lang)
    yield lambda ax: plots.unit_economics(pd.DataFrame({"cac": [1.0], "ltv": [4.0]},
                                                       index=["SMB"]),
                                          message="ユニットエコノミクス", ax=ax, lang=lang)
    yield lambda ax: plots.attainment_curve(pd.Series({0.0: 0.9, 0.2: 0.5}),
                                            message="目標 target", ax=ax, lang=lang)
    # The report's own charts.
    from revopslab import report

    yield lambda ax: report.cohort_heatmap(
        pd.DataFrame({0: [1.0, 1.0], 3: [1.1, float("nan")]}, index=["2025Q1", "2025Q2"]),
        message="コホート cohorts", ax=ax, lang=lang)
    yield lambda ax: report.forecast_vs_actual(
        pd.DataFrame({"period": ["2025Q1", "2025Q1"], "method": ["judgment", "weighted"],
                      "forecast": [130.0, 95.0], "actual": [100.0, 100.0]}),
        message="予測 forecast", ax=ax, lang=lang)
    yield lambda ax: report.monthly_bookings(
        pd.DataFrame({"bookings": [100.0, 300.0], "win_rate": [0.2, 0.3]}, index=months[:2]),
        message="受注 bookings", ax=ax, lang=lang)


@pytest.mark.parametrize("lang", ["en", "ja"])
def test_every_chart_renders_in_both_languages_without_missing_glyphs(lang):
    import logging
    import warnings

    from revopslab.style import set_theme

    matplotlib.rcdefaults()
    set_theme(lang=lang)
    records = []
    handler = logging.Handler()
    handler.emit = records.append
    logging.getLogger("matplotlib").addHandler(handler)
    try:
        for draw in _every_chart(lang):
            fig, ax = plt.subplots()
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                assert draw(ax) is ax
                fig.canvas.draw()  # lays out every text, so a missing glyph shows up now
            missing = [str(w.message) for w in caught if "missing from" in str(w.message)]
            missing += [r.getMessage() for r in records if "missing from" in r.getMessage()]
            assert not missing, missing
            plt.close(fig)
    finally:
        logging.getLogger("matplotlib").removeHandler(handler)
        matplotlib.rcdefaults()


def test_japanese_labels_are_used_in_japanese_charts():
    ax = plots.paired_differences(pd.DataFrame({"revenue": [-0.1, 0.2]}), message="m",
                                  better={"revenue": "lower"}, lang="ja")
    assert [t.get_text() for t in ax.texts] == ["2シード中1で低下"]
    ax = plots.attainment_curve(pd.Series({0.0: 0.9}), message="m", lang="ja")
    assert ax.get_ylabel() == "達成確率"
    plt.close("all")
