"""The static site: both editions, a page per notebook, solutions, guide and glossary, offline,
with a navigation bar and a language switch on every page; Japanese guides in the Japanese
edition, or the English guide where a Japanese one is missing."""

from __future__ import annotations

import html
import posixpath
import re
from pathlib import Path

import nbformat
import pytest

from revopslab.glossary import glossary
from revopslab.site import REPO, build_site

NAV = re.compile(r'<nav class="site-nav">(.*?)</nav>', re.S)


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    out = tmp_path_factory.mktemp("site")
    return out, build_site(out)


def _nav_links(out: Path, path: str) -> dict[str, str]:
    """The navigation bar of a page as {link text: target path relative to the site}."""
    text = (out / path).read_text(encoding="utf-8")
    navs = NAV.findall(text)
    assert len(navs) == 1, f"{path}: {len(navs)} navigation bars"
    links = {}
    for href, label in re.findall(r'<a [^>]*?href="([^"]+)"[^>]*>([^<]+)</a>', navs[0]):
        links[label] = posixpath.normpath(posixpath.join(posixpath.dirname(path), href))
    for label in re.findall(r'<span class="disabled">([^<]+)</span>', navs[0]):
        links[label] = None
    return links


def test_every_notebook_guide_and_solution_has_a_page_linked_from_the_index(site):
    out, pages = site
    index = (out / "index.html").read_text(encoding="utf-8")
    notebooks = REPO / "notebooks"
    expected = ([f"notebooks/{p.stem}.html" for p in notebooks.glob("*.ipynb")]
                + [f"solutions/{p.stem}.html" for p in (notebooks / "solutions").glob("*.ipynb")]
                + [f"guides/{p.stem}.html" for p in (REPO / "guides").glob("*.md")])
    assert len(expected) >= 7 + 6 + 6
    for path in expected:
        assert (out / path).stat().st_size > 1000, path
        assert f'href="{path}"' in index or path == "guides/README.html", path
    assert {p.path for p in pages} >= set(expected) | {"index.html", "glossary.html"}


def test_the_japanese_edition_has_its_own_pages_and_index(site):
    out, pages = site
    index = (out / "ja" / "index.html").read_text(encoding="utf-8")
    twins = sorted((REPO / "notebooks" / "ja").glob("*.ipynb"))
    assert len(twins) == 7
    for twin in twins:
        page = out / "ja" / "notebooks" / f"{twin.stem}.html"
        text = page.read_text(encoding="utf-8")
        assert '<html lang="ja"' in text
        assert f'href="notebooks/{twin.stem}.html"' in index
    assert "用語集" in index and '<html lang="ja"' in index
    lesson = (out / "ja/notebooks/00_orientation.html").read_text(encoding="utf-8")
    assert "レベニューオペレーション" in lesson and "学習目標" in lesson
    assert {p.lang for p in pages} == {"en", "ja"}
    page = (out / "ja/glossary.html").read_text(encoding="utf-8")
    # the Japanese glossary shows the Japanese definitions, not the English ones
    churn = glossary("churn rate")
    assert html.escape(churn["definition_ja"]) in page
    assert html.escape(churn["definition_en"]) not in page


def test_every_page_has_a_navigation_bar_whose_links_exist(site):
    out, pages = site
    assert len(pages) > 30
    for page in pages:
        links = _nav_links(out, page.path)
        words = ("RevOps Lab", "← Previous", "Next →") if page.lang == "en" else \
            ("RevOps Lab（日本語版）", "← 前へ", "次へ →")
        for word in words:
            assert word in links, (page.path, word)
        switch = "日本語" if page.lang == "en" else "English"
        assert links[switch] is not None, page.path
        for label, target in links.items():
            assert target is None or (out / target).exists(), (page.path, label, target)
        index = "index.html" if page.lang == "en" else "ja/index.html"
        assert links[words[0]] == index


def test_previous_and_next_walk_each_series_in_order(site):
    out, _ = site
    chapters = sorted(p.stem for p in (REPO / "notebooks").glob("*.ipynb"))
    for folder, back, forward in [("notebooks", "← Previous", "Next →"),
                                  ("ja/notebooks", "← 前へ", "次へ →")]:
        for i, stem in enumerate(chapters):
            links = _nav_links(out, f"{folder}/{stem}.html")
            assert links[back] == (f"{folder}/{chapters[i - 1]}.html" if i else None)
            assert links[forward] == (f"{folder}/{chapters[i + 1]}.html"
                                      if i + 1 < len(chapters) else None)
    guides = _nav_links(out, "guides/01_silos.html")
    assert guides["← Previous"] == "guides/00_orientation.html"
    assert guides["Next →"] == "guides/02_cro_role.html"
    guides = _nav_links(out, "ja/guides/01_silos.html")
    assert guides["← 前へ"] == "ja/guides/00_orientation.html"
    assert guides["次へ →"] == "ja/guides/02_cro_role.html"


def test_the_language_switch_leads_to_the_same_page_in_the_other_edition(site):
    out, _ = site
    assert _nav_links(out, "notebooks/03_bigops_ssot.html")["日本語"] == \
        "ja/notebooks/03_bigops_ssot.html"
    assert _nav_links(out, "ja/notebooks/03_bigops_ssot.html")["English"] == \
        "notebooks/03_bigops_ssot.html"
    assert _nav_links(out, "index.html")["日本語"] == "ja/index.html"
    assert _nav_links(out, "ja/glossary.html")["English"] == "glossary.html"
    # guides switch to their twin, both ways
    for stem in ("README", "02_cro_role"):
        assert _nav_links(out, f"guides/{stem}.html")["日本語"] == f"ja/guides/{stem}.html"
        assert _nav_links(out, f"ja/guides/{stem}.html")["English"] == f"guides/{stem}.html"
    # English-only pages switch to their chapter's Japanese notebook
    assert _nav_links(out, "solutions/04_solutions.html")["日本語"] == \
        "ja/notebooks/04_revops_org_design.html"


def test_guides_link_to_their_notebook_and_solutions_pages(site):
    out, _ = site
    for guide in sorted((REPO / "guides").glob("[0-9][0-9]_*.md")):
        links = _nav_links(out, f"guides/{guide.stem}.html")
        assert links["Notebook"] == f"notebooks/{guide.stem}.html"
        assert links["Worked solutions"] == f"solutions/{guide.stem[:2]}_solutions.html"
        text = (out / "guides" / f"{guide.stem}.html").read_text(encoding="utf-8")
        body = NAV.sub("", text)
        assert f'href="../notebooks/{guide.stem}.html"' in body  # the guide's own table links too


def test_japanese_guides_link_to_their_japanese_notebook_and_the_solutions(site):
    out, _ = site
    guides = sorted((REPO / "guides" / "ja").glob("[0-9][0-9]_*.md"))
    assert len(guides) >= 6
    for guide in guides:
        path = f"ja/guides/{guide.stem}.html"
        links = _nav_links(out, path)
        assert links["ノートブック"] == f"ja/notebooks/{guide.stem}.html"
        assert links["解答例（英語）"] == f"solutions/{guide.stem[:2]}_solutions.html"
        assert links["進行ガイド"] == "ja/guides/README.html"
        text = (out / path).read_text(encoding="utf-8")
        assert '<html lang="ja"' in text
        body = NAV.sub("", text)
        # the path notebooks/ja/NN_*.ipynb in the guide's text links to the Japanese page
        assert f'href="../notebooks/{guide.stem}.html"' in body, path
        assert f'href="../../solutions/{guide.stem[:2]}_solutions.html"' in body, path


def test_the_japanese_edition_lists_and_links_the_japanese_guides(site):
    out, _ = site
    index = (out / "ja" / "index.html").read_text(encoding="utf-8")
    assert "<h2>進行ガイド</h2>" in index and "進行ガイド（英語）" not in index
    for guide in sorted((REPO / "guides" / "ja").glob("*.md")):
        assert f'href="guides/{guide.stem}.html"' in index, guide.name
    assert 'href="../guides/' not in index  # no English guide while a Japanese one exists
    for path in ("ja/index.html", "ja/notebooks/01_silos.html", "ja/glossary.html"):
        assert _nav_links(out, path)["進行ガイド"] == "ja/guides/README.html", path
    assert _nav_links(out, "notebooks/01_silos.html")["Guides"] == "guides/README.html"


def test_pages_open_offline_and_the_report_hides_its_code(site):
    out, _ = site
    lesson = (out / "notebooks/01_silos.html").read_text(encoding="utf-8")
    report = (out / "notebooks/06_revops_report.html").read_text(encoding="utf-8")
    ja_report = (out / "ja/notebooks/06_revops_report.html").read_text(encoding="utf-8")
    for page in (lesson, report, ja_report):
        assert 'src="https://' not in page and "cdnjs" not in page
    code = 'class="highlight hl-ipython3"'  # how nbconvert renders a code cell's input
    assert lesson.count(code) >= 10  # a lesson shows its code …
    assert code not in report and code not in ja_report  # … the report does not


def test_glossary_and_guides_are_bilingual_html(site):
    out, _ = site
    glossary = (out / "glossary.html").read_text(encoding="utf-8")
    assert "解約率" in glossary and "churn rate" in glossary
    readme = (out / "guides/README.html").read_text(encoding="utf-8")
    assert 'href="01_silos.html"' in readme  # links between guides point at pages
    readme = (out / "ja/guides/README.html").read_text(encoding="utf-8")
    assert 'href="01_silos.html"' in readme and 'href="../../guides/README.html"' in readme
    assert "NN_solutions.html" not in readme  # a pattern, not a page: no broken link


def _tiny_notebook(path: Path, title: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell(f"# {title}")]),
                   path)


def test_a_missing_japanese_guide_falls_back_to_the_english_one(tmp_path):
    repo = tmp_path / "repo"
    for stem in ("00_orientation", "01_silos"):
        _tiny_notebook(repo / "notebooks" / f"{stem}.ipynb", stem)
        _tiny_notebook(repo / "notebooks" / "ja" / f"{stem}.ipynb", stem)
    guides = {
        "README.md": "# Guides\n\n[00](00_orientation.md) [01](01_silos.md)\n",
        "00_orientation.md": "# Guide 00\n\n`notebooks/00_orientation.ipynb`\n",
        "01_silos.md": "# Guide 01\n\n`notebooks/01_silos.ipynb`\n",
        "ja/README.md": "# ガイド\n\n[00](00_orientation.md) [01](01_silos.md)\n",
        "ja/00_orientation.md": "# ガイド 00\n\n`notebooks/ja/00_orientation.ipynb`\n",
    }  # no ja/01_silos.md
    for name, text in guides.items():
        (repo / "guides" / name).parent.mkdir(parents=True, exist_ok=True)
        (repo / "guides" / name).write_text(text, encoding="utf-8")
    out = tmp_path / "site"
    pages = build_site(out, repo=repo)
    assert [p.path for p in pages if p.kind == "guide" and p.lang == "ja"] == [
        "ja/guides/README.html", "ja/guides/00_orientation.html"]
    index = (out / "ja" / "index.html").read_text(encoding="utf-8")
    assert 'href="guides/00_orientation.html">ガイド 00<' in index
    assert 'href="../guides/01_silos.html">Guide 01（英語）<' in index
    readme = (out / "ja" / "guides" / "README.html").read_text(encoding="utf-8")
    assert 'href="00_orientation.html"' in readme and 'href="../../guides/01_silos.html"' in readme
    # the English guide without a twin switches to its chapter's Japanese notebook
    assert _nav_links(out, "guides/01_silos.html")["日本語"] == "ja/notebooks/01_silos.html"
    assert _nav_links(out, "ja/guides/00_orientation.html")["次へ →"] is None
    for page in pages:
        for label, target in _nav_links(out, page.path).items():
            assert target is None or (out / target).exists(), (page.path, label, target)


def test_a_folder_without_notebooks_is_refused(tmp_path):
    with pytest.raises(FileNotFoundError, match="no notebooks in"):
        build_site(tmp_path / "out", repo=Path(tmp_path))


def test_every_page_loads_the_shipped_japanese_font(site):
    out, pages = site
    assert (out / "fonts" / "ipaexg.ttf").stat().st_size > 1_000_000
    assert (out / "fonts" / "IPA_Font_License_Agreement_v1.0.txt").exists()
    for page in pages:
        text = (out / page.path).read_text(encoding="utf-8")
        urls = re.findall(r'@font-face \{ font-family: "IPAexGothic"; src: url\("([^"]+)"\)', text)
        assert len(urls) == 1, page.path
        target = posixpath.normpath(posixpath.join(posixpath.dirname(page.path), urls[0]))
        assert target == "fonts/ipaexg.ttf", page.path
