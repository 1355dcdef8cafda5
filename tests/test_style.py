"""Tests of revopslab.style: theme, Japanese rendering, labels and yen formatting."""

from __future__ import annotations

import io
import warnings

import matplotlib
import matplotlib.pyplot as plt
import pytest

from revopslab import style
from revopslab.style import (
    DEPARTMENT_COLORS,
    LABELS,
    STAGE_PALETTE,
    format_yen,
    label,
    set_theme,
    yen_formatter,
)

TITLE = "サイロ化で売上が失われる"
DEPARTMENTS = ("marketing", "inside_sales", "sales", "customer_success", "revops", "finance")


@pytest.fixture(autouse=True)
def _restore_rcparams():
    """Keep the theme's global rcParams changes inside each test."""
    with matplotlib.rc_context():
        yield
    plt.close("all")


def _render_japanese_chart() -> list[warnings.WarningMessage]:
    """Draw a chart with Japanese title, ticks and legend to PNG; return the warnings."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fig, ax = plt.subplots()
        for dept in ("marketing", "customer_success"):
            ax.plot([0, 1, 2], [3, 1, 2], color=DEPARTMENT_COLORS[dept],
                    label=label(dept, lang="ja"))
        ax.set_title(TITLE)
        ax.set_xticks([0, 1, 2], [label(s, lang="ja") for s in ("inquiry", "opportunity", "won")])
        ax.set_ylabel(label("mrr", lang="ja"))
        ax.yaxis.set_major_formatter(yen_formatter(lang="ja"))
        ax.legend(title=label("department", lang="ja"))
        fig.savefig(io.BytesIO(), format="png")
        plt.close(fig)
    return list(caught)


def _glyph_warnings(caught: list[warnings.WarningMessage]) -> list[str]:
    messages = [str(w.message) for w in caught]
    return [m for m in messages if "missing from font" in m or "Glyph" in m]


def test_japanese_chart_renders_without_glyph_warnings():
    set_theme(lang="ja")
    caught = _render_japanese_chart()
    assert _glyph_warnings(caught) == []
    assert caught == [], [str(w.message) for w in caught]


def test_glyph_check_catches_a_font_without_japanese():
    # Control: with DejaVu Sans alone the same chart must warn, so the check above can fail.
    set_theme(lang="ja")
    with matplotlib.rc_context({"font.family": ["DejaVu Sans"]}):
        caught = _render_japanese_chart()
    assert _glyph_warnings(caught), "expected missing-glyph warnings with DejaVu Sans"


def test_english_theme_falls_back_to_japanese_font():
    set_theme(lang="en")
    assert matplotlib.rcParams["font.family"][0] == "DejaVu Sans"
    assert _glyph_warnings(_render_japanese_chart()) == []


def test_set_theme_settings_and_idempotence():
    for _ in range(3):
        set_theme(lang="ja")
        set_theme(lang="en")
    rc = matplotlib.rcParams
    assert rc["axes.spines.top"] is False and rc["axes.spines.right"] is False
    assert rc["axes.facecolor"] == "white" and rc["axes.grid"] is True
    from matplotlib import font_manager

    registered = [f for f in font_manager.fontManager.ttflist if f.name == style.JAPANESE_FONT]
    assert len(registered) >= 1
    set_theme(lang="ja")
    assert [f for f in font_manager.fontManager.ttflist
            if f.name == style.JAPANESE_FONT] == registered


@pytest.mark.parametrize("bad", ["fr", "JA", "", None, 1])
def test_set_theme_rejects_bad_lang(bad):
    with pytest.raises(ValueError, match=r"lang must be one of \('en', 'ja'\); got") as info:
        set_theme(lang=bad)
    assert repr(bad) in str(info.value)


def test_set_theme_is_keyword_only():
    with pytest.raises(TypeError):
        set_theme("ja")  # type: ignore[misc]


def test_palettes_cover_departments_and_stages():
    assert tuple(DEPARTMENT_COLORS) == DEPARTMENTS
    assert len(set(DEPARTMENT_COLORS.values())) == len(DEPARTMENTS)
    from revopslab.config import STAGES

    assert set(STAGES) <= set(STAGE_PALETTE)
    assert {"won", "lost"} <= set(STAGE_PALETTE)
    for color in (*DEPARTMENT_COLORS.values(), *STAGE_PALETTE.values()):
        assert matplotlib.colors.is_color_like(color)


@pytest.mark.parametrize(
    ("key", "en", "ja"),
    [
        ("customer_success", "Customer success", "カスタマーサクセス"),
        ("inside_sales", "Inside sales", "インサイドセールス"),
        ("marketing", "Marketing", "マーケティング"),
        ("opportunity", "Opportunity", "商談"),
        ("won", "Won", "受注"),
        ("lost", "Lost", "失注"),
        ("sql", "SQL", "SQL"),
        ("conversion_rate", "Conversion rate", "転換率"),
        ("ENT", "ENT", "大企業"),
    ],
)
def test_label_both_languages(key, en, ja):
    assert label(key) == en
    assert label(key, lang="en") == en
    assert label(key, lang="ja") == ja


def test_label_covers_the_briefed_keys():
    keys = ["inquiry", "aql", "tal", "tql", "tgl", "sal", "sgl", "sql", "opportunity", "won",
            "lost", *DEPARTMENTS, "month", "mrr", "revenue", "customers", "count", "share",
            "conversion_rate", "days", "SMB", "MM", "ENT"]
    for key in keys:
        for lang in ("en", "ja"):
            assert label(key, lang=lang)
    assert all(set(v) == {"en", "ja"} for v in LABELS.values())


def test_label_normalises_case_spaces_and_hyphens():
    assert label("Customer Success", lang="ja") == "カスタマーサクセス"
    assert label("inside-sales") == "Inside sales"
    assert label("smb") == label("SMB")


def test_label_unknown_key_suggests_close_matches():
    with pytest.raises(KeyError) as info:
        label("custmer_sucess", lang="ja")
    message = str(info.value)
    assert "custmer_sucess" in message and "customer_success" in message
    with pytest.raises(KeyError, match="no close match"):
        label("zzzzzz")


def test_label_bad_lang_and_key_type():
    with pytest.raises(ValueError, match="lang must be one of"):
        label("won", lang="de")
    with pytest.raises(TypeError, match="key must be a str"):
        label(3)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("value", "en", "ja"),
    [
        (0, "¥0", "0円"),
        (950, "¥950", "950円"),
        (9_800, "¥9.8K", "9,800円"),
        (1_200_000, "¥1.2M", "120万円"),
        (50_000_000, "¥50M", "5,000万円"),
        (350_000_000, "¥350M", "3.5億円"),
        (-1_234_567, "-¥1.2M", "-123.5万円"),
        (999_999, "¥1M", "100万円"),
        (2_000_000_000_000, "¥2T", "2兆円"),
    ],
)
def test_format_yen(value, en, ja):
    assert format_yen(value) == en
    assert format_yen(value, lang="ja") == ja


def test_format_yen_edge_cases():
    import numpy as np

    assert format_yen(np.float64(1_500_000)) == "¥1.5M"
    assert format_yen(np.int64(1_500_000), lang="ja") == "150万円"
    assert format_yen(float("nan")) == "—"
    assert format_yen(1_234_567, decimals=0) == "¥1M"
    assert format_yen(1_234_567, decimals=2) == "¥1.23M"
    with pytest.raises(TypeError, match="value must be a real number"):
        format_yen("1000")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="value must be a real number"):
        format_yen(True)
    with pytest.raises(ValueError, match="decimals must be an int >= 0; got -1"):
        format_yen(1, decimals=-1)
    with pytest.raises(ValueError, match="lang must be one of"):
        yen_formatter(lang="de")
    with pytest.raises(ValueError, match="decimals must be"):
        yen_formatter(decimals=1.5)  # type: ignore[arg-type]


def test_yen_formatter_on_an_axis():
    set_theme(lang="en")
    fig, ax = plt.subplots()
    ax.plot([0, 1], [0, 5_000_000])
    ax.yaxis.set_major_formatter(yen_formatter())
    fig.canvas.draw()
    labels = [t.get_text() for t in ax.get_yticklabels() if t.get_text()]
    assert "¥0" in labels and any(text.endswith("M") for text in labels)
