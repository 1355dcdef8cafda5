"""A static site of the curriculum: the executed notebooks, the guides and the glossary.

``make site`` (``python -m revopslab.site [OUT]``) writes plain HTML files that open from
disk with no server: an index of the chapters, every executed notebook as a page (the
report notebook without its code), the worked solutions, the facilitator guides and the
bilingual glossary. It converts what is committed and executes nothing, so building it
takes seconds and shows exactly the outputs that ``make test`` checked.
"""

from __future__ import annotations

import html
import re
import sys
from pathlib import Path
from typing import NamedTuple

__all__ = ["REPO", "SitePage", "build_site"]

#: The repository root (``helpers/revopslab/../..``).
REPO = Path(__file__).resolve().parents[2]

_REPORT_NOTEBOOKS = ("06_revops_report.ipynb",)  # a report: shown without its code

_STYLE = """
body { font-family: "DejaVu Sans", "IPAexGothic", sans-serif; max-width: 60rem;
       margin: 2rem auto; padding: 0 1rem; line-height: 1.5; color: #222; }
table { border-collapse: collapse; } th, td { border: 1px solid #ccc; padding: .3rem .5rem; }
nav a { margin-right: 1rem; } code { background: #f4f4f4; padding: 0 .2rem; }
"""


class SitePage(NamedTuple):
    """One page of the site."""

    kind: str  # index, notebook, solutions, guide or glossary
    title: str
    path: str  # relative to the site's folder


def _page(title: str, body: str, *, depth: int) -> str:
    up = "../" * depth
    return (f"<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            f"<title>{html.escape(title)} · RevOps Lab</title><style>{_STYLE}</style></head>"
            f"<body><nav><a href=\"{up}index.html\">RevOps Lab</a>"
            f"<a href=\"{up}glossary.html\">Glossary</a>"
            f"<a href=\"{up}guides/README.html\">Guides</a></nav>\n{body}\n</body></html>\n")


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


def _markdown(text: str) -> str:
    import mistune

    # Links between guides and to notebooks point at the pages the site writes.
    text = re.sub(r"\]\(([\w./-]+)\.md\)", r"](\1.html)", text)
    return mistune.html(text)


def build_site(out: str | Path, *, repo: str | Path = REPO) -> list[SitePage]:
    """Write the site into ``out`` and return its pages (the index first).

    Parameters
    ----------
    out
        Folder to write into (created if missing; existing pages are overwritten).
    repo
        The repository whose ``notebooks/``, ``guides/`` and ``data/`` to publish.

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     pages = build_site(folder)
    ...     (Path(folder) / "index.html").exists(), pages[0].path
    (True, 'index.html')
    """
    import nbformat
    from nbconvert import HTMLExporter

    from .glossary import glossary_table

    repo, out = Path(repo), Path(out)
    notebooks = sorted((repo / "notebooks").glob("*.ipynb"))
    if not notebooks:
        raise FileNotFoundError(f"no notebooks in {repo / 'notebooks'}: repo must be the "
                                f"RevOps Lab repository, got {str(repo)!r}")
    for folder in ("notebooks", "solutions", "guides"):
        (out / folder).mkdir(parents=True, exist_ok=True)
    pages: list[SitePage] = []

    def export(path: Path, folder: str, kind: str) -> None:
        notebook = nbformat.read(path, as_version=4)
        exporter = HTMLExporter(template_name="lab",
                                exclude_input=path.name in _REPORT_NOTEBOOKS)
        body, _ = exporter.from_notebook_node(notebook)
        body = _offline(body)
        target = f"{folder}/{path.stem}.html"
        (out / target).write_text(body, encoding="utf-8")
        pages.append(SitePage(kind, _title(notebook), target))

    for path in notebooks:
        export(path, "notebooks", "notebook")
    for path in sorted((repo / "notebooks" / "solutions").glob("*.ipynb")):
        export(path, "solutions", "solutions")
    for path in sorted((repo / "guides").glob("*.md")):
        text = path.read_text(encoding="utf-8")
        first = next((line[2:] for line in text.splitlines() if line.startswith("# ")), path.stem)
        target = f"guides/{path.stem}.html"
        (out / target).write_text(_page(first, _markdown(text), depth=1), encoding="utf-8")
        pages.append(SitePage("guide", first, target))

    glossary = glossary_table()
    (out / "glossary.html").write_text(
        _page("Glossary / 用語集", "<h1>Glossary / 用語集</h1>\n"
              + glossary.to_html(index=False, escape=True), depth=0), encoding="utf-8")
    pages.append(SitePage("glossary", "Glossary / 用語集", "glossary.html"))

    def rows(kind: str) -> str:
        return "\n".join(f"<li><a href=\"{p.path}\">{html.escape(p.title)}</a></li>"
                         for p in pages if p.kind == kind)

    index = ("<h1>RevOps Lab</h1><p>A tested curriculum of Revenue Operations after "
             "<em>レベニューオペレーション(RevOps)の教科書</em>, on one simulated B2B SaaS "
             "company. Every page shows the outputs that the test suite checked.</p>"
             f"<h2>Chapters</h2><ol start=\"0\">{rows('notebook')}</ol>"
             f"<h2>Worked solutions</h2><ul>{rows('solutions')}</ul>"
             f"<h2>Facilitator guides</h2><ul>{rows('guide')}</ul>"
             "<h2>Reference</h2><ul><li><a href=\"glossary.html\">Glossary / 用語集</a></li></ul>")
    (out / "index.html").write_text(_page("RevOps Lab", index, depth=0), encoding="utf-8")
    return [SitePage("index", "RevOps Lab", "index.html"), *pages]


if __name__ == "__main__":
    destination = sys.argv[1] if len(sys.argv) > 1 else "_site"
    built = build_site(destination)
    print(f"wrote {len(built)} pages to {destination}/ (open {destination}/index.html)")
