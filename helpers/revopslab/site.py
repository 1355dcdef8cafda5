"""A static site of the curriculum in both editions: notebooks, solutions, guides and glossary.

``make site`` (``python -m revopslab.site [OUT]``) writes plain HTML files that open from
disk with no server. The English edition is at the site's root (``index.html``,
``notebooks/``, ``solutions/``, ``guides/``, ``glossary.html``); the Japanese edition is under
``ja/`` (``ja/index.html``, ``ja/notebooks/`` from ``notebooks/ja``, ``ja/guides/`` from
``guides/ja``, ``ja/glossary.html``). The worked solutions exist in English only; where a
Japanese guide is missing, the Japanese edition links the English one.

Every page has the same navigation bar: the edition's index, the previous and next page of
its series (the chapters, the solutions, the guides), and a language switch to the same
page in the other edition (or, where there is none, to that chapter's notebook page).
Guides link to their notebook (in their edition) and solutions pages. The site converts
what is committed and executes nothing, so building it takes seconds and shows exactly the
outputs that ``make test`` checked.
"""

from __future__ import annotations

import html
import posixpath
import re
import sys
from pathlib import Path
from typing import NamedTuple

__all__ = ["REPO", "SitePage", "build_site", "nav_bar"]

#: The repository root (``helpers/revopslab/../..``).
REPO = Path(__file__).resolve().parents[2]

_REPORT_NOTEBOOKS = ("06_revops_report.ipynb",)  # a report: shown without its code

_STYLE = """
body { max-width: 60rem;
       margin: 2rem auto; padding: 0 1rem; line-height: 1.5; color: #222; }
table { border-collapse: collapse; } th, td { border: 1px solid #ccc; padding: .3rem .5rem; }
code { background: #f4f4f4; padding: 0 .2rem; }
"""
_NAV_STYLE = """
nav.site-nav { display: flex; flex-wrap: wrap; gap: .4rem 1.2rem; align-items: center;
  font-size: .95rem;
  max-width: 60rem; margin: 1rem auto; padding: .5rem 1rem; border-bottom: 1px solid #ccc; }
nav.site-nav .disabled { color: #999; } nav.site-nav .lang { margin-left: auto; }
"""

#: The words of the navigation bar and the index in each edition.
_WORDS = {
    "en": {"index": "RevOps Lab", "previous": "← Previous", "next": "Next →",
           "switch": "日本語", "glossary": "Glossary", "guides": "Guides",
           "notebook": "Notebook", "solutions": "Worked solutions"},
    "ja": {"index": "RevOps Lab（日本語版）", "previous": "← 前へ", "next": "次へ →",
           "switch": "English", "glossary": "用語集", "guides": "進行ガイド",
           "notebook": "ノートブック", "solutions": "解答例（英語）"},
}


class SitePage(NamedTuple):
    """One page of the site."""

    kind: str  # index, notebook, solutions, guide or glossary
    title: str
    path: str  # relative to the site's folder
    lang: str = "en"


def _rel(target: str, page: str) -> str:
    """The link from ``page`` to ``target`` (both relative to the site's folder).

    Examples
    --------
    >>> _rel("index.html", "ja/notebooks/00_orientation.html")
    '../../index.html'
    >>> _rel("notebooks/01_silos.html", "guides/01_silos.html")
    '../notebooks/01_silos.html'
    """
    return posixpath.relpath(target, posixpath.dirname(page) or ".")


def nav_bar(page: str, *, lang: str, previous: str | None, following: str | None,
            switch: str, extra: list[tuple[str, str]] | None = None,
            guides: str | None = None) -> str:
    """The navigation bar of ``page``: index, previous, next, extra links and the language switch.

    Links are relative, so the site opens from disk. A missing neighbour is shown greyed out.
    ``guides`` is the guides' index page, by default the one of the edition
    (``guides/README.html`` or ``ja/guides/README.html``).

    Examples
    --------
    >>> bar = nav_bar("notebooks/01_silos.html", lang="en",
    ...               previous="notebooks/00_orientation.html", following=None,
    ...               switch="ja/notebooks/01_silos.html")
    >>> 'href="../index.html"' in bar, 'href="00_orientation.html" rel="prev"' in bar
    (True, True)
    >>> '<span class="disabled">Next →</span>' in bar, 'href="../ja/notebooks/01_silos.html"' in bar
    (True, True)
    >>> 'href="../guides/README.html">進行ガイド' in nav_bar(
    ...     "ja/notebooks/01_silos.html", lang="ja", previous=None, following=None,
    ...     switch="notebooks/01_silos.html")
    True
    """
    words = _WORDS[lang]
    index = "index.html" if lang == "en" else "ja/index.html"
    glossary = "glossary.html" if lang == "en" else "ja/glossary.html"
    if guides is None:
        guides = "guides/README.html" if lang == "en" else "ja/guides/README.html"

    def link(target: str | None, text: str, rel: str = "") -> str:
        if target is None:
            return f'<span class="disabled">{html.escape(text)}</span>'
        rel_attr = f' rel="{rel}"' if rel else ""
        return f'<a href="{_rel(target, page)}"{rel_attr}>{html.escape(text)}</a>'

    parts = [link(index, words["index"], "index"), link(previous, words["previous"], "prev"),
             link(following, words["next"], "next")]
    parts += [link(target, text) for text, target in (extra or [])]
    parts += [link(glossary, words["glossary"]), link(guides, words["guides"])]
    other = "日本語" if lang == "en" else "English"
    parts.append(f'<a class="lang" hreflang="{"ja" if lang == "en" else "en"}" '
                 f'href="{_rel(switch, page)}">{other}</a>')
    return f'<nav class="site-nav">{" ".join(parts)}</nav>'


#: The Japanese font the charts use, shipped with the site so that pages read in Japanese on
#: machines without a Japanese font (IPA Font License: the licence travels with the file).
_FONT_FOLDER = "fonts"
_FONT_FILE = "ipaexg.ttf"
_FONT_FILES = (_FONT_FILE, "IPA_Font_License_Agreement_v1.0.txt")


def _font_style(page: str, lang: str) -> str:
    """``@font-face`` for the shipped Japanese font, first in Japanese pages' font stacks and the
    fallback of English pages' (the language switch always names it first)."""
    url = _rel(f"{_FONT_FOLDER}/{_FONT_FILE}", page)
    latin = 'system-ui, -apple-system, "Segoe UI", "DejaVu Sans", Helvetica, Arial, sans-serif'
    sans = f'"IPAexGothic", {latin}' if lang == "ja" else f'{latin}, "IPAexGothic"'
    mono = '"DejaVu Sans Mono", Menlo, Consolas, monospace, "IPAexGothic"'
    return (f'@font-face {{ font-family: "IPAexGothic"; src: url("{url}") format("truetype"); '
            f"font-display: block; }}\n"
            f":root {{ --jp-content-font-family: {sans}; --jp-ui-font-family: {sans};\n"
            f"  --jp-code-font-family: {mono}; }}\n"
            f"body, nav.site-nav {{ font-family: {sans}; }} code, pre {{ font-family: {mono}; }}\n"
            f'nav.site-nav .lang {{ font-family: "IPAexGothic", {latin}; }}\n')


def _page(title: str, body: str, *, lang: str, nav: str, path: str) -> str:
    return (f"<!DOCTYPE html>\n<html lang=\"{lang}\"><head><meta charset=\"utf-8\">"
            f"<title>{html.escape(title)} · RevOps Lab</title>"
            f"<style>{_STYLE}{_NAV_STYLE}{_font_style(path, lang)}</style></head>"
            f"<body>{nav}\n{body}\n</body></html>\n")


def _title(notebook) -> str:
    for cell in notebook.cells:
        if cell.cell_type == "markdown":
            for line in cell.source.splitlines():
                if line.startswith("# "):
                    return line[2:].strip()
    return "untitled"


def _offline(body: str) -> str:
    """Drop the scripts nbconvert loads from a CDN (MathJax, require.js, mermaid).

    The committed notebooks use no LaTeX, widgets or diagrams, so the pages lose
    nothing, and they open with no network, like the rest of the project.
    """
    body = re.sub(r"<script[^>]*\ssrc=\"https?://[^\"]*\"[^>]*>\s*</script>", "", body)
    return re.sub(r"<script type=\"module\">(?:(?!</script>).)*https?://(?:(?!</script>).)*"
                  r"</script>", "", body, flags=re.S)


def _with_nav(document: str, nav: str, lang: str, path: str) -> str:
    """Put the navigation bar at the top of an nbconvert page and set its language and fonts."""
    document = re.sub(r"<html lang=\"[^\"]*\"", f"<html lang=\"{lang}\"", document, count=1)
    style = f"<style>{_NAV_STYLE}{_font_style(path, lang)}</style></head>"
    document = document.replace("</head>", style, 1)
    return re.sub(r"(<body[^>]*>)", lambda m: m.group(1) + nav, document, count=1)


#: Where the site writes the page of a notebook folder's notebooks.
_NOTEBOOK_PAGES = {"": "notebooks", "ja/": "ja/notebooks", "solutions/": "solutions"}


def _guide_page(source: str) -> str:
    """The page of the guide at ``source`` in the repository (``guides/ja/`` → ``ja/guides/``).

    Examples
    --------
    >>> _guide_page("guides/01_silos.md"), _guide_page("guides/ja/01_silos.md")
    ('guides/01_silos.html', 'ja/guides/01_silos.html')
    """
    stem = source[:-len(".md")]
    if stem.startswith("guides/ja/"):
        return f"ja/guides/{stem[len('guides/ja/'):]}.html"
    return f"{stem}.html"


def _or_english(target: str, pages) -> str:
    """``target``, or its English twin when the site has no Japanese page there.

    Examples
    --------
    >>> _or_english("ja/guides/01_silos.html", {"guides/01_silos.html"})
    'guides/01_silos.html'
    >>> _or_english("ja/guides/01_silos.html", {"ja/guides/01_silos.html"})
    'ja/guides/01_silos.html'
    """
    if target not in pages and target.startswith("ja/") and target[3:] in pages:
        return target[3:]
    return target


def _markdown(text: str, *, source: str = "guides/README.md",
              pages: frozenset[str] | set[str] | None = None) -> str:
    """A guide's HTML, its links to guides and notebooks pointing at the site's pages.

    ``source`` is the guide's path in the repository; ``pages`` the pages the site has, so a
    link to a Japanese guide that does not exist leads to the English one instead, and a path
    with no page (``notebooks/solutions/NN_solutions.ipynb``) stays plain code.

    Examples
    --------
    >>> site = {"guides/02_cro_role.html", "ja/notebooks/01_silos.html"}
    >>> html = _markdown("[next](02_cro_role.md) `notebooks/ja/01_silos.ipynb`",
    ...                  source="guides/ja/01_silos.md", pages=site)
    >>> 'href="../../guides/02_cro_role.html"' in html, 'href="../notebooks/01_silos.html"' in html
    (True, True)
    """
    import mistune

    page = _guide_page(source)

    def guide(m: re.Match) -> str:
        target = _guide_page(posixpath.normpath(posixpath.join(posixpath.dirname(source),
                                                                f"{m.group(1)}.md")))
        if pages is not None:
            target = _or_english(target, pages)  # no Japanese twin: the English guide
        return f"]({_rel(target, page)})"

    def notebook(m: re.Match) -> str:
        folder, stem = m.group(1) or "", m.group(2)
        target = f"{_NOTEBOOK_PAGES[folder]}/{stem}.html"
        if pages is not None and target not in pages:
            return m.group(0)  # a pattern such as NN_solutions, or a page the site lacks
        return f"[`notebooks/{folder}{stem}.ipynb`]({_rel(target, page)})"

    # Links between guides and to notebooks point at the pages the site writes.
    text = re.sub(r"\]\(([\w./-]+)\.md\)", guide, text)
    # A guide names its notebook and solutions as paths: make them links to their pages.
    text = re.sub(r"`notebooks/(solutions/|ja/)?([\w-]+)\.ipynb`", notebook, text)
    return mistune.html(text)


def _chapter(stem: str) -> str:
    return stem[:2] if stem[:2].isdigit() else ""


def build_site(out: str | Path, *, repo: str | Path = REPO) -> list[SitePage]:
    """Write the site into ``out`` and return its pages (the English index first).

    Parameters
    ----------
    out
        Folder to write into (created if missing; existing pages are overwritten).
    repo
        The repository whose ``notebooks/``, ``notebooks/ja/``, ``guides/``, ``guides/ja/``
        and ``data/`` to publish.

    Examples
    --------
    A site of one chapter in both editions (the whole repository works the same way, with
    more pages; ``make site`` builds it):

    >>> import shutil, tempfile
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     chapter = Path(folder) / "repo" / "notebooks"
    ...     (chapter / "ja").mkdir(parents=True)
    ...     for name in ("00_orientation.ipynb", "ja/00_orientation.ipynb"):
    ...         _ = shutil.copy(REPO / "notebooks" / name, chapter / name)
    ...     pages = build_site(Path(folder) / "site", repo=chapter.parent)
    ...     for page in pages:
    ...         print(page.lang, page.kind, page.path)
    en index index.html
    ja index ja/index.html
    en notebook notebooks/00_orientation.html
    ja notebook ja/notebooks/00_orientation.html
    en glossary glossary.html
    ja glossary ja/glossary.html
    """
    import nbformat
    from nbconvert import HTMLExporter

    from .glossary import glossary_table

    repo, out = Path(repo), Path(out)
    english = sorted((repo / "notebooks").glob("*.ipynb"))
    if not english:
        raise FileNotFoundError(f"no notebooks in {repo / 'notebooks'}: repo must be the "
                                f"RevOps Lab repository, got {str(repo)!r}")
    japanese = sorted((repo / "notebooks" / "ja").glob("*.ipynb"))
    solutions = sorted((repo / "notebooks" / "solutions").glob("*.ipynb"))
    def guides_in(folder: Path) -> list[Path]:
        return sorted(folder.glob("*.md"), key=lambda p: (p.stem != "README", p.stem))

    guides = guides_in(repo / "guides")
    ja_guides = guides_in(repo / "guides" / "ja")

    # Every page's path first, so each one can link to its neighbours and its twin.
    series = {
        ("en", "notebook"): [f"notebooks/{p.stem}.html" for p in english],
        ("ja", "notebook"): [f"ja/notebooks/{p.stem}.html" for p in japanese],
        ("en", "solutions"): [f"solutions/{p.stem}.html" for p in solutions],
        ("en", "guide"): [f"guides/{p.stem}.html" for p in guides],
        ("ja", "guide"): [f"ja/guides/{p.stem}.html" for p in ja_guides],
    }
    known = {path for paths in series.values() for path in paths}
    by_chapter = {(lang, _chapter(Path(path).stem)): path
                  for (lang, kind), paths in series.items() if kind == "notebook"
                  for path in paths}

    def neighbours(lang: str, kind: str, path: str) -> tuple[str | None, str | None]:
        paths = series.get((lang, kind), [path])
        i = paths.index(path)
        return (paths[i - 1] if i > 0 else None, paths[i + 1] if i + 1 < len(paths) else None)

    def twin(lang: str, kind: str, path: str) -> str:
        other = "ja" if lang == "en" else "en"
        same = path[3:] if lang == "ja" else f"ja/{path}"
        if same in series.get((other, kind), []) or kind in ("index", "glossary"):
            return same
        chapter = _chapter(Path(path).stem)
        return by_chapter.get((other, chapter), "ja/index.html" if other == "ja" else "index.html")

    # The Japanese edition's guides index, or the English one where there is none.
    guides_index = {lang: _or_english(index, known) for lang, index in
                    (("en", "guides/README.html"), ("ja", "ja/guides/README.html"))}

    def nav(lang: str, kind: str, path: str, extra=None) -> str:
        previous, following = neighbours(lang, kind, path) if kind not in ("index", "glossary") \
            else (None, None)
        return nav_bar(path, lang=lang, previous=previous, following=following,
                       switch=twin(lang, kind, path), extra=extra, guides=guides_index[lang])

    pages: list[SitePage] = []
    import matplotlib_fontja

    fonts = Path(matplotlib_fontja.get_font_ttf_path()).parent
    (out / _FONT_FOLDER).mkdir(parents=True, exist_ok=True)
    for name in _FONT_FILES:
        (out / _FONT_FOLDER / name).write_bytes((fonts / name).read_bytes())

    def write(path: str, text: str) -> None:
        (out / path).parent.mkdir(parents=True, exist_ok=True)
        (out / path).write_text(text, encoding="utf-8")

    def export(source: Path, path: str, kind: str, lang: str) -> None:
        notebook = nbformat.read(source, as_version=4)
        exporter = HTMLExporter(template_name="lab",
                                exclude_input=source.name in _REPORT_NOTEBOOKS)
        body, _ = exporter.from_notebook_node(notebook)
        chapter = _chapter(source.stem)
        extra = []
        if kind == "solutions" and ("en", chapter) in by_chapter:
            extra = [(_WORDS["en"]["notebook"], by_chapter[("en", chapter)])]
        write(path, _with_nav(_offline(body), nav(lang, kind, path, extra), lang, path))
        pages.append(SitePage(kind, _title(notebook), path, lang))

    for source, path in zip(english, series[("en", "notebook")], strict=True):
        export(source, path, "notebook", "en")
    for source, path in zip(japanese, series[("ja", "notebook")], strict=True):
        export(source, path, "notebook", "ja")
    for source, path in zip(solutions, series[("en", "solutions")], strict=True):
        export(source, path, "solutions", "en")
    for lang, sources in (("en", guides), ("ja", ja_guides)):
        for source, path in zip(sources, series[(lang, "guide")], strict=True):
            text = source.read_text(encoding="utf-8")
            first = next((line[2:] for line in text.splitlines() if line.startswith("# ")),
                         source.stem)
            chapter = _chapter(source.stem)
            extra = []
            if (lang, chapter) in by_chapter:
                extra.append((_WORDS[lang]["notebook"], by_chapter[(lang, chapter)]))
            solution = f"solutions/{chapter}_solutions.html"
            if solution in series[("en", "solutions")]:
                extra.append((_WORDS[lang]["solutions"], solution))
            body = _markdown(text, source=source.relative_to(repo).as_posix(), pages=known)
            write(path, _page(first, body, lang=lang, nav=nav(lang, "guide", path, extra),
                              path=path))
            pages.append(SitePage("guide", first, path, lang))

    glossary = glossary_table()
    write("glossary.html", _page(
        "Glossary / 用語集", "<h1>Glossary / 用語集</h1>\n"
        + glossary.to_html(index=False, escape=True),
        lang="en", nav=nav("en", "glossary", "glossary.html"), path="glossary.html"))
    pages.append(SitePage("glossary", "Glossary / 用語集", "glossary.html", "en"))
    japanese_columns = ["term_ja", "term_en", "definition_ja", "chapters"]
    write("ja/glossary.html", _page(
        "用語集", "<h1>用語集</h1>\n"
        + glossary[[c for c in japanese_columns if c in glossary]].rename(columns={
            "term_ja": "用語", "term_en": "英語", "definition_ja": "定義", "chapters": "章"})
        .to_html(index=False, escape=True),
        lang="ja", nav=nav("ja", "glossary", "ja/glossary.html"), path="ja/glossary.html"))
    pages.append(SitePage("glossary", "用語集", "ja/glossary.html", "ja"))

    def rows(kind: str, lang: str, base: str) -> str:
        return "\n".join(f"<li><a href=\"{_rel(p.path, base)}\">{html.escape(p.title)}</a></li>"
                         for p in pages if p.kind == kind and p.lang == lang)

    def ja_guide_rows() -> str:
        """The Japanese guides, and the English one (marked so) where a chapter has none."""
        japanese = {p.path[3:]: p for p in pages if p.kind == "guide" and p.lang == "ja"}
        listed = [japanese.pop(p.path, None) or p._replace(title=f"{p.title}（英語）")
                  for p in pages if p.kind == "guide" and p.lang == "en"]
        return "\n".join(f"<li><a href=\"{_rel(p.path, 'ja/index.html')}\">"
                         f"{html.escape(p.title)}</a></li>"
                         for p in listed + list(japanese.values()))

    index = ("<h1>RevOps Lab</h1><p>A tested curriculum of Revenue Operations after "
             "<em>レベニューオペレーション(RevOps)の教科書</em>, on one simulated B2B SaaS "
             "company. Every page shows the outputs that the test suite checked. "
             "<a href=\"ja/index.html\" hreflang=\"ja\">日本語版はこちら</a>.</p>"
             f"<h2>Chapters</h2><ol start=\"0\">{rows('notebook', 'en', 'index.html')}</ol>"
             f"<h2>Worked solutions</h2><ul>{rows('solutions', 'en', 'index.html')}</ul>"
             f"<h2>Facilitator guides</h2><ul>{rows('guide', 'en', 'index.html')}</ul>"
             "<h2>Reference</h2><ul><li><a href=\"glossary.html\">Glossary / 用語集</a></li></ul>")
    write("index.html", _page("RevOps Lab", index, lang="en", nav=nav("en", "index", "index.html"),
                              path="index.html"))
    ja_index = ("<h1>RevOps Lab（日本語版）</h1><p>『レベニューオペレーション(RevOps)の教科書』に"
                "沿った、テスト済みのRevOps教材です。すべての章は1社のシミュレーション上のB2B SaaS"
                "企業を題材にしています。各ページには、テストで検証した実行結果がそのまま載っています。"
                "コードは英語版と同一で、本文・グラフ・表が日本語です。</p>"
                f"<h2>章</h2><ol start=\"0\">{rows('notebook', 'ja', 'ja/index.html')}</ol>"
                f"<h2>解答例（英語）</h2><ul>{rows('solutions', 'en', 'ja/index.html')}</ul>"
                f"<h2>進行ガイド</h2><ul>{ja_guide_rows()}</ul>"
                "<h2>参考</h2><ul><li><a href=\"glossary.html\">用語集</a></li></ul>")
    write("ja/index.html", _page("RevOps Lab（日本語版）", ja_index, lang="ja",
                                 nav=nav("ja", "index", "ja/index.html"), path="ja/index.html"))
    return [SitePage("index", "RevOps Lab", "index.html", "en"),
            SitePage("index", "RevOps Lab（日本語版）", "ja/index.html", "ja"), *pages]


if __name__ == "__main__":
    destination = sys.argv[1] if len(sys.argv) > 1 else "_site"
    built = build_site(destination)
    print(f"wrote {len(built)} pages to {destination}/ (open {destination}/index.html; "
          f"日本語版: {destination}/ja/index.html)")
