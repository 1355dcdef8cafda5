"""The static site: a page per notebook, solutions, guide and the glossary, all offline."""

from __future__ import annotations

from pathlib import Path

import pytest

from revopslab.site import REPO, build_site


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    out = tmp_path_factory.mktemp("site")
    return out, build_site(out)


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


def test_pages_open_offline_and_the_report_hides_its_code(site):
    out, _ = site
    lesson = (out / "notebooks/01_silos.html").read_text(encoding="utf-8")
    report = (out / "notebooks/06_revops_report.html").read_text(encoding="utf-8")
    for page in (lesson, report):
        assert 'src="https://' not in page and "cdnjs" not in page
    code = 'class="highlight hl-ipython3"'  # how nbconvert renders a code cell's input
    assert lesson.count(code) >= 10  # a lesson shows its code …
    assert code not in report  # … the report does not


def test_glossary_and_guides_are_bilingual_html(site):
    out, _ = site
    glossary = (out / "glossary.html").read_text(encoding="utf-8")
    assert "解約率" in glossary and "churn rate" in glossary
    readme = (out / "guides/README.html").read_text(encoding="utf-8")
    assert 'href="01_silos.html"' in readme  # links between guides point at pages


def test_a_folder_without_notebooks_is_refused(tmp_path):
    with pytest.raises(FileNotFoundError, match="no notebooks in"):
        build_site(tmp_path / "out", repo=Path(tmp_path))
