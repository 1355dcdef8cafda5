"""The report is legible (issue 16): labels that do not collide, even yen ticks, alt text,
a Japanese page without English, no paths of the user's machine; screenshots in Chromium.

The chart checks measure the drawn text (matplotlib's own layout); the page checks read
the HTML of a papermill run in each language; the last test opens both pages in headless
Chromium and saves screenshots (``make report-screenshots`` keeps them in
``build/screenshots/`` for a person to look at), and is skipped when Chromium is absent.
"""

from __future__ import annotations

import html as html_lib
import os
import re
import shutil
import subprocess
from pathlib import Path

import matplotlib
import numpy as np
import pandas as pd
import pytest

from revopslab import metrics, plots, report
from revopslab.style import set_theme

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


@pytest.fixture(autouse=True)
def _theme(request):
    """The report's theme in the language of the test (the Japanese font for ja)."""
    lang = getattr(request, "param", None) or request.node.callspec.params.get("lang", "ja") \
        if hasattr(request.node, "callspec") else "ja"
    set_theme(lang=lang)
    yield
    plt.close("all")


SHOTS = os.environ.get("REVOPSLAB_SCREENSHOTS")  # a folder to keep the screenshots in


def _overlaps(labels) -> list[tuple[str, str]]:
    """Pairs of tick labels whose glyphs collide.

    Level labels collide when their boxes overlap. Rotated labels are
    parallel strips: they collide when the distance between neighbours'
    baselines, measured across the text, is less than a line of text.
    """
    shown = [t for t in labels if t.get_text() and t.get_visible()]
    if not shown:
        return []
    angle = np.deg2rad(shown[0].get_rotation() % 180)
    if angle == 0:
        boxes = [(t.get_text(), t.get_window_extent()) for t in shown]
        return [(a, b) for k, (a, box) in enumerate(boxes) for b, other in boxes[k + 1:]
                if box.overlaps(other)]
    dpi = shown[0].figure.dpi
    out = []
    for a, b in zip(shown, shown[1:], strict=False):
        ax_, bx = a.get_window_extent().x1, b.get_window_extent().x1  # right-aligned anchors
        line = 1.1 * a.get_size() * dpi / 72
        if abs(bx - ax_) * np.sin(angle) < line:
            out.append((a.get_text(), b.get_text()))
    return out


# ----------------------------------------------------------------------------- charts
@pytest.mark.parametrize("lang", ["en", "ja"])
def test_the_forecast_chart_quarter_labels_do_not_run_together(lang):
    periods = [str(p) for p in pd.period_range("2023Q1", "2025Q4", freq="Q")]  # 12 quarters
    results = pd.DataFrame({"period": periods * 3, "method": np.repeat(
        ["judgment", "weighted", "predictive"], 12), "forecast": np.linspace(1e8, 3e8, 36),
        "actual": np.tile(np.linspace(1.2e8, 2.5e8, 12), 3)})
    ax = plots.forecast_vs_actual(results, lang=lang, message="The reps overshoot")
    ax.figure.canvas.draw()
    labels = ax.get_xticklabels()
    assert [t.get_text() for t in labels] == periods
    assert _overlaps(labels) == []
    plt.close(ax.figure)


@pytest.mark.parametrize("lang", ["en", "ja"])
def test_monthly_and_pipeline_charts_have_no_colliding_labels(lang):
    months = pd.date_range("2025-01-01", periods=12, freq="MS")
    monthly = pd.DataFrame({"bookings": np.linspace(5e7, 1.5e8, 12),
                            "win_rate": np.linspace(0.2, 0.3, 12)}, index=months)
    ax = plots.monthly_bookings(monthly, lang=lang, message="Bookings grew")
    ax.figure.canvas.draw()
    assert _overlaps(ax.get_xticklabels()) == [] and _overlaps(ax.get_yticklabels()) == []
    plt.close(ax.figure)
    index = pd.MultiIndex.from_product([["discovery", "demo", "proposal", "negotiation"],
                                        ["0-29", "30-59", "180+"]], names=["stage", "age"])
    ax = plots.pipeline_age(pd.DataFrame({"amount": np.linspace(1e7, 6e7, 12)}, index=index),
                            lang=lang, message="Old deals")
    ax.figure.canvas.draw()
    assert _overlaps(ax.get_xticklabels()) == [] and _overlaps(ax.get_yticklabels()) == []
    plt.close(ax.figure)


_UNITS = {"億円": 1e8, "万円": 1e4, "円": 1.0}


def _yen(text: str) -> float:
    number = text.replace(",", "")
    for unit, scale in _UNITS.items():
        if number.endswith(unit):
            return float(number[: -len(unit)]) * scale
    raise AssertionError(f"not a yen label: {text!r}")


def test_japanese_yen_axes_step_evenly():
    months = pd.date_range("2025-01-01", periods=4, freq="MS")
    monthly = pd.DataFrame({"bookings": [1.0e8, 1.3e8, 1.6e8, 1.75e8],
                            "win_rate": [0.2] * 4}, index=months)
    ax = plots.monthly_bookings(monthly, lang="ja", message="受注は増加")
    ax.figure.canvas.draw()
    ticks = ax.get_yticks()
    shown = [t.get_text() for t in ax.get_yticklabels()]
    values = [_yen(t) for t in shown if t]
    # each label reads back as its tick (no 1.2億 for 1.25億), so the labels step evenly
    assert values == pytest.approx(list(ticks[: len(values)]))
    assert len(set(np.round(np.diff(values), 2))) == 1
    assert "1.25億円" in shown or "1.5億円" in shown
    plt.close(ax.figure)


# ----------------------------------------------------------------------------- pages
@pytest.fixture(scope="module")
def pages(tmp_path_factory) -> dict[str, Path]:
    """The report in English (the committed notebook) and in Japanese (a papermill run)."""
    folder = tmp_path_factory.mktemp("pages")
    en = folder / "en.html"
    report.render_html(report.NOTEBOOK, en, title="RevOps health report")
    ja = report.run_report({"seed": 7, "months": 18, "scale": 0.3, "lang": "ja"},
                           out=folder / "ja.html").html
    return {"en": en, "ja": ja}


#: The committed three-file export (opportunities, leads, billing), none of whose rows is bad.
TEMPLATE = Path(report.NOTEBOOK).parents[1] / "data" / "crm_templates" / "with_leads_and_billing"


@pytest.fixture(scope="module")
def export_page(tmp_path_factory) -> Path:
    """The Japanese report of the committed three-file export, alone in its folder."""
    folder = tmp_path_factory.mktemp("export_page")
    return report.run_report({"source": str(TEMPLATE / "opportunities.csv"),
                              "leads": str(TEMPLATE / "leads.csv"),
                              "billing": str(TEMPLATE / "billing.csv"), "lang": "ja"},
                             out=folder / "ja.html").html


def _alts(page: str) -> list[str]:
    return [html_lib.unescape(a) for a in re.findall(r'<img [^>]*alt="([^"]*)"', page)]


@pytest.mark.parametrize("lang", ["en", "ja"])
def test_every_chart_has_alt_text_stating_its_message(pages, lang):
    page = pages[lang].read_text(encoding="utf-8")
    alts = _alts(page)
    assert len(alts) == page.count('src="data:image/png;base64,') == 5  # two hold two charts
    assert "No description has been provided" not in page
    if lang == "ja":
        assert any("受注額のピーク" in a for a in alts)
    else:
        assert any(a.startswith("Bookings peaked in") for a in alts)


def test_the_japanese_page_has_no_english_in_headings_headers_or_scope(pages):
    page = pages["ja"].read_text(encoding="utf-8")
    title = re.search(r"<title>(.*?)</title>", page, re.S)[1]
    headings = re.findall(r"<h[12][^>]*>(.*?)</h[12]>", page, re.S)
    headers = re.findall(r"<th[^>]*>(.*?)</th>", page, re.S)
    # names the book itself uses in Japanese: its title, the waterfall's stages, the ratios
    allowed = {"RevOps", "KPI", "MAPE", "WAPE", "ID", "AQL", "TAL", "TQL", "TGL", "SAL", "SGL",
               "SQL", "MQL", "NRR", "GRR", "MRR", "ARR"}
    for text in [title, *headings, *headers]:
        words = set(re.findall(r"[A-Za-z]{2,}", html_lib.unescape(re.sub(r"<[^>]+>", "", text))))
        assert words <= allowed, (text, words - allowed)
    kpi_table = page[page.index("8. KPI一覧"):]
    assert "<th>定義</th>" in kpi_table  # the definitions column is there in Japanese
    # ... and holds Japanese: each row's definition is metrics' definition_ja, whose only
    # Latin letters are the acronyms Japanese teams write as they are
    body = kpi_table[kpi_table.index("<tbody>"):kpi_table.index("</tbody>")]
    rows = re.findall(r"<tr>(.*?)</tr>", body, re.S)
    head = re.findall(r"<th[^>]*>(.*?)</th>", kpi_table[:kpi_table.index("</thead>")], re.S)
    where = head.index("定義")
    definitions = [html_lib.unescape(re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)[where])
                   for row in rows]
    assert len(definitions) == len(metrics.REGISTRY)
    assert set(definitions) == {k.definition_ja for k in metrics.REGISTRY}
    acronyms = allowed | {"CAC", "LTV", "ARPA", "NPS"}
    for text in definitions:
        words = set(re.findall(r"[A-Za-z]{2,}", text))
        assert words <= acronyms, (text, words - acronyms)
    scopes = re.findall(r"<td>(会社全体|全セグメント|company|all segments|export)</td>", kpi_table)
    assert scopes and set(scopes) == {"会社全体"}


#: Latin words a Japanese sentence keeps as they are: the book's acronyms and names, the
#: waterfall's stages, the segments; "Rule of 40" is the name Japanese SaaS writing uses.
JA_KEEPS = {"RevOps", "KPI", "MAPE", "WAPE", "ID", "AQL", "TAL", "TQL", "TGL", "SAL", "SGL",
            "SQL", "MQL", "NRR", "GRR", "MRR", "ARR", "CAC", "LTV", "ARPA", "NPS", "CSAT", "ROI",
            "SMB", "MM", "ENT", "Rule of 40"}
_FILE_NAME = re.compile(r"[\w\-]+\.(?:csv|xlsx|yaml)\b")


def _text(fragment: str) -> str:
    return html_lib.unescape(re.sub(r"<[^>]+>", " ", fragment))


def _english_sentences(text: str) -> list[str]:
    """Runs of two or more English words in ``text`` (file names and :data:`JA_KEEPS` aside).

    Words are joined by ASCII spaces and punctuation only: Japanese punctuation ends a run,
    so a mapping's name or an encoding beside Japanese words is one word, not a sentence.

    >>> _english_sentences("58行を読み込み（utf-8、マッピング salesforce）。Rule of 40 の値")
    []
    >>> _english_sentences("期間 no customer churned in 2025-01")
    ['no customer churned in']
    """
    text = _FILE_NAME.sub(" ", text)
    for keep in sorted(JA_KEEPS, key=len, reverse=True):
        text = re.sub(rf"(?<![A-Za-z]){re.escape(keep)}(?![A-Za-z])", " ", text)
    runs = re.finditer(r"[A-Za-z][A-Za-z'\-]*(?:[ ,:;()./'\-]+[A-Za-z][A-Za-z'\-]*)+", text)
    return [m.group() for m in runs if len(re.findall(r"[A-Za-z]{2,}", m.group())) >= 2]


def _our_text(page: str, *, data_cells: bool) -> dict[str, list[str]]:
    """The page's words that the report writes, by kind: the title, headings, sentences
    (paragraphs, list items, plain-text outputs), column headers, images' alt text, and
    the KPI table's cells. With ``data_cells``, every other table's cells too (a simulated
    company's values are the report's words; an export's are the user's own)."""
    body = page[page.index("<body"):]
    body = re.sub(r"<(script|style)[^>]*>.*?</\1>", " ", body, flags=re.S)
    kpi = body[body.index("8. KPI一覧"):]
    kpi = kpi[:kpi.index("</table>")]
    tables = re.findall(r"<table[^>]*>.*?</table>", body, re.S)
    cells = [c for t in tables for c in re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", t, re.S)]
    found = {
        "title": re.findall(r"<title>(.*?)</title>", page, re.S),
        "headings": re.findall(r"<h[1-6][^>]*>(.*?)</h[1-6]>", body, re.S),
        "sentences": re.findall(r"<(?:p|li|pre)[^>]*>(.*?)</(?:p|li|pre)>", body, re.S),
        "headers": [h for t in tables for h in re.findall(r"<thead>.*?</thead>", t, re.S)],
        "alt": re.findall(r'<img [^>]*alt="([^"]*)"', body),
        "kpi table": re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", kpi, re.S),
        "table cells": cells if data_cells else [],
    }
    return {kind: [_text(f) for f in fragments] for kind, fragments in found.items()}


def _english_on(page: str, *, data_cells: bool) -> dict[str, list[str]]:
    found = {kind: [s for text in texts for s in _english_sentences(text)]
             for kind, texts in _our_text(page, data_cells=data_cells).items()}
    return {kind: sentences for kind, sentences in found.items() if sentences}


def test_the_japanese_pages_have_no_english_sentence(pages, export_page):
    simulated = pages["ja"].read_text(encoding="utf-8")
    export = export_page.read_text(encoding="utf-8")
    assert _english_on(simulated, data_cells=True) == {}
    assert _english_on(export, data_cells=False) == {}
    # the check reads what it should: the page's sentences and its KPI notes
    texts = _our_text(export, data_cells=False)
    assert any("隔離ファイル" in t for t in texts["sentences"])
    assert any("が必要" in t for t in texts["kpi table"])  # an export's KPI needs data
    assert _english_on("<body><p>8. KPI一覧</p><table><tr><td>no opportunity closed in "
                       "2025-01</td></tr></table></body>", data_cells=False) == {
        "kpi table": ["no opportunity closed in"]}


def test_the_japanese_kpi_notes_have_no_english_word(pages, export_page):
    for page in (pages["ja"], export_page):
        kpi_table = page.read_text(encoding="utf-8")
        kpi_table = kpi_table[kpi_table.index("8. KPI一覧"):]
        kpi_table = kpi_table[:kpi_table.index("</table>")]
        head = re.findall(r"<th[^>]*>(.*?)</th>", kpi_table[:kpi_table.index("</thead>")], re.S)
        body = kpi_table[kpi_table.index("<tbody>"):]
        rows = [re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)
                for row in re.findall(r"<tr>(.*?)</tr>", body, re.S)]
        notes = [html_lib.unescape(row[head.index("備考")]) for row in rows]
        assert len(notes) == len(metrics.REGISTRY)
        assert any(n not in ("", "—") for n in notes)  # some KPI is not computed, with a note
        for note in notes:
            words = set(re.findall(r"[A-Za-z]{2,}", note)) - JA_KEEPS
            assert words == set(), (note, words)


def test_an_export_with_no_bad_row_writes_no_quarantine_file_and_says_none(export_page):
    page = export_page.read_text(encoding="utf-8")
    assert sorted(p.name for p in export_page.parent.iterdir()) == ["ja.html"]
    sentences = _our_text(page, data_cells=False)["sentences"]
    said = [s for s in sentences if "隔離ファイル: なし" in s]
    assert len(said) == 3  # the opportunity, leads and billing exports
    assert sum("リードのエクスポート" in s for s in said) == 1
    assert sum("請求のエクスポート" in s for s in said) == 1


@pytest.mark.parametrize("lang", ["en", "ja"])
def test_no_path_of_the_machine_in_the_page(pages, lang):
    text = pages[lang].read_text(encoding="utf-8")
    for path in {str(Path.home()), str(Path(report.NOTEBOOK).parents[1]), str(pages[lang].parent),
                 os.environ.get("TMPDIR", "/tmp")}:
        assert f"{path}/" not in text


def test_screenshots_in_headless_chromium(pages, tmp_path):
    browser = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which(
        "google-chrome")
    if browser is None:
        pytest.skip("no Chromium on this machine (Debian: apt-get install chromium); the "
                    "chart and page checks above still ran")
    folder = Path(SHOTS) if SHOTS else tmp_path
    folder.mkdir(parents=True, exist_ok=True)
    for lang, page in pages.items():
        shot = folder / f"report_{lang}.png"
        done = subprocess.run(
            [browser, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
             "--window-size=1280,9000", f"--screenshot={shot}", page.as_uri()],
            capture_output=True, text=True, timeout=180, check=False)
        assert done.returncode == 0 and shot.is_file(), done.stderr[-2000:]
        image = plt.imread(shot)
        assert image.shape[1] == 1280
        ink = (image[..., :3].mean(axis=2) < 0.5).mean()  # share of dark pixels
        assert 0.005 < ink < 0.5, f"the {lang} screenshot looks blank or broken ({ink:.3f})"
