"""Keep the Japanese edition in step with the English one (``python -m revopslab._editions``).

The English notebooks (``notebooks/NN_*.ipynb``) are the one source of truth for code. Their
Japanese twins (``notebooks/ja/NN_*.ipynb``) are *built* from them:

* every code cell is copied verbatim, with its id and tags, except the parameters cell, whose
  ``lang = "en"`` line becomes ``lang = "ja"``;
* every markdown cell is replaced by its Japanese text from ``notebooks/ja/_text/NN_*.md``,
  keyed by the English cell's id. Each entry records a short hash of the English source it
  translates, so a change to the English prose makes the translation *stale*.

``sync`` writes the Japanese notebooks (keeping the outputs of code cells whose source did not
change, clearing the others so nbval fails until the notebook is re-executed) and lists what is
left to do; ``check`` exits 1 and names every problem: a missing twin, code that drifted, a markdown cell with no translation,
a stale translation, an entry for a cell that no longer exists. ``todo`` appends a placeholder
entry (marked stale) for every untranslated cell.

A translation file is Markdown with one header line per cell::

    <!-- cell 28a0644b en:0123456789ab -->
    ## 1. レベニューオペレーションとは
    ...
"""

from __future__ import annotations

import argparse
import copy
import hashlib
import re
import sys
from dataclasses import dataclass
from pathlib import Path

import nbformat

__all__ = ["EDITION", "english_hash", "parse_translations", "format_translations",
           "twin_parameters", "build_twin", "problems", "sync"]

#: The language of the built edition and the folder (under ``notebooks/``) that holds it.
EDITION = "ja"
ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = ROOT / "notebooks"
PATTERN = "[0-9][0-9]_*.ipynb"
_HEADER = re.compile(r"^<!-- cell (?P<id>\S+) en:(?P<hash>\S+) -->[ \t]*$", re.MULTILINE)
_LANG_LINE = re.compile(r'^lang = "en"', re.MULTILINE)


@dataclass(frozen=True)
class Entry:
    """One translated markdown cell: the English hash it translates and its text."""

    english_hash: str
    text: str


def english_hash(source: str) -> str:
    """The 12-hex-digit hash a translation records of the English text it translates.

    Examples
    --------
    >>> english_hash("## Parameters")
    '6760862f713f'
    >>> len(english_hash(""))
    12
    """
    return hashlib.sha256(source.encode("utf-8")).hexdigest()[:12]


def parse_translations(text: str) -> dict[str, Entry]:
    """Read a translation file into ``{cell id: Entry}``.

    Examples
    --------
    >>> doc = "<!-- cell a1 en:0123 -->\\n## 見出し\\n\\n本文\\n\\n<!-- cell b2 en:4567 -->\\n次\\n"
    >>> entries = parse_translations(doc)
    >>> entries["a1"]
    Entry(english_hash='0123', text='## 見出し\\n\\n本文')
    >>> parse_translations(doc + "<!-- cell a1 en:89 -->\\nx\\n")
    Traceback (most recent call last):
    ...
    ValueError: text: cell 'a1' is translated twice
    """
    headers = list(_HEADER.finditer(text))
    if text[:headers[0].start() if headers else len(text)].strip():
        raise ValueError("text: content before the first '<!-- cell ID en:HASH -->' line")
    entries: dict[str, Entry] = {}
    for i, match in enumerate(headers):
        end = headers[i + 1].start() if i + 1 < len(headers) else len(text)
        cell_id = match["id"]
        if cell_id in entries:
            raise ValueError(f"text: cell {cell_id!r} is translated twice")
        entries[cell_id] = Entry(match["hash"], text[match.end():end].strip("\n"))
    return entries


def format_translations(entries: dict[str, Entry]) -> str:
    """Write ``{cell id: Entry}`` back as a translation file (inverse of :func:`parse_translations`).

    Examples
    --------
    >>> entries = {"a1": Entry("0123", "本文")}
    >>> parse_translations(format_translations(entries)) == entries
    True
    """
    return "\n".join(f"<!-- cell {cid} en:{e.english_hash} -->\n{e.text}\n"
                     for cid, e in entries.items())


def _is_parameters(cell) -> bool:
    return "parameters" in cell.metadata.get("tags", [])


def twin_parameters(source: str) -> str:
    """The Japanese edition's parameters cell: the English one with ``lang = "ja"``.

    Examples
    --------
    >>> twin_parameters('seed = 1\\nlang = "en"  # language')
    'seed = 1\\nlang = "ja"  # language'
    >>> twin_parameters("seed = 1")
    Traceback (most recent call last):
    ...
    ValueError: source: the parameters cell has no 'lang = "en"' line
    """
    twin, count = _LANG_LINE.subn(f'lang = "{EDITION}"', source)
    if count != 1:
        raise ValueError("source: the parameters cell has no 'lang = \"en\"' line"
                         if count == 0 else "source: the parameters cell sets lang twice")
    return twin


def text_path(english: Path) -> Path:
    """The translation file of an English notebook (``notebooks/ja/_text/<stem>.md``)."""
    return english.parent / EDITION / "_text" / f"{english.stem}.md"


def twin_path(english: Path) -> Path:
    """The Japanese twin of an English notebook (``notebooks/ja/<name>``)."""
    return english.parent / EDITION / english.name


def _read_entries(english: Path) -> dict[str, Entry]:
    path = text_path(english)
    return parse_translations(path.read_text(encoding="utf-8")) if path.exists() else {}


def build_twin(english_nb, entries: dict[str, Entry], previous=None):
    """The Japanese notebook built from an English one and its translations.

    Code cells keep the outputs of ``previous`` (the committed twin) when their source is
    unchanged; others are cleared. A markdown cell with no translation keeps its English text
    (``check`` reports it).
    """
    kept = {}
    if previous is not None:
        kept = {c.get("id"): c for c in previous.cells if c.cell_type == "code"}
    twin = copy.deepcopy(english_nb)
    for cell in twin.cells:
        if cell.cell_type == "markdown":
            if cell.get("id") in entries:
                cell.source = entries[cell.id].text
        elif cell.cell_type == "code":
            if _is_parameters(cell):
                cell.source = twin_parameters(cell.source)
            old = kept.get(cell.get("id"))
            if old is not None and old.source == cell.source:
                cell.outputs = copy.deepcopy(old.outputs)
                cell.execution_count = old.execution_count
            else:
                cell.outputs = []
                cell.execution_count = None
    return twin


def english_notebooks(notebooks: Path = NOTEBOOKS) -> list[Path]:
    """The English notebooks that have a Japanese twin: ``notebooks/NN_*.ipynb``."""
    return sorted(notebooks.glob(PATTERN))


def problems(notebooks: Path = NOTEBOOKS) -> list[str]:
    """Every way the Japanese edition is out of step with the English one (empty: in step)."""
    found: list[str] = []
    englishes = english_notebooks(notebooks)
    names = {p.name for p in englishes}
    for extra in sorted((notebooks / EDITION).glob(PATTERN)):
        if extra.name not in names:
            found.append(f"{EDITION}/{extra.name}: no English notebook of that name")
    for english in englishes:
        name = english.name
        twin_file = twin_path(english)
        try:
            entries = _read_entries(english)
        except ValueError as error:
            found.append(f"{text_path(english).relative_to(notebooks)}: {error}")
            continue
        en = nbformat.read(english, as_version=4)
        ids = [c.get("id") for c in en.cells]
        for cell_id in entries:
            if cell_id not in ids:
                found.append(f"{name}: translation of cell {cell_id!r}, which the English "
                             "notebook no longer has (remove it)")
        for cell in en.cells:
            if cell.cell_type != "markdown":
                continue
            entry = entries.get(cell.id)
            expected = english_hash(cell.source)
            if entry is None:
                found.append(f"{name}: markdown cell {cell.id!r} has no Japanese text "
                             f"(run `python -m revopslab._editions todo`)")
            elif entry.english_hash != expected:
                found.append(f"{name}: the translation of cell {cell.id!r} is stale: the English "
                             f"text changed; update it and set en:{expected}")
        if not twin_file.exists():
            found.append(f"{name}: no Japanese twin {EDITION}/{name} "
                         "(run `python -m revopslab._editions sync`)")
            continue
        ja = nbformat.read(twin_file, as_version=4)
        shape = [(c.get("id"), c.cell_type) for c in en.cells]
        if [(c.get("id"), c.cell_type) for c in ja.cells] != shape:
            found.append(f"{name}: the Japanese twin's cells (ids, types, order) differ from the "
                         "English ones (run sync)")
            continue
        for e, j in zip(en.cells, ja.cells, strict=True):
            if e.metadata.get("tags", []) != j.metadata.get("tags", []):
                found.append(f"{name}: cell {e.id!r} has other tags in the Japanese twin")
            if e.cell_type == "code":
                want = twin_parameters(e.source) if _is_parameters(e) else e.source
                if j.source != want:
                    found.append(f"{name}: code cell {e.id!r} differs from the English one "
                                 "(run sync, then re-execute the Japanese notebook)")
            elif e.cell_type == "markdown" and e.id in entries:
                if j.source != entries[e.id].text:
                    found.append(f"{name}: markdown cell {e.id!r} is not its translation (run sync)")
        if ja.metadata.get("kernelspec") != en.metadata.get("kernelspec"):
            found.append(f"{name}: the Japanese twin names another kernel")
    return found


def sync(notebooks: Path = NOTEBOOKS) -> list[Path]:
    """Write every Japanese twin from its English notebook; return the files that changed."""
    changed = []
    (notebooks / EDITION).mkdir(exist_ok=True)
    for english in english_notebooks(notebooks):
        target = twin_path(english)
        previous = nbformat.read(target, as_version=4) if target.exists() else None
        twin = build_twin(nbformat.read(english, as_version=4), _read_entries(english), previous)
        text = nbformat.writes(twin)
        text += "" if text.endswith("\n") else "\n"
        if not target.exists() or target.read_text(encoding="utf-8") != text:
            tmp = target.with_suffix(".ipynb.tmp")
            tmp.write_text(text, encoding="utf-8")
            tmp.replace(target)
            changed.append(target)
    return changed


def todo(notebooks: Path = NOTEBOOKS) -> list[str]:
    """Append a placeholder (the English text, marked stale) for every untranslated cell."""
    added = []
    for english in english_notebooks(notebooks):
        entries = _read_entries(english)
        en = nbformat.read(english, as_version=4)
        new = {c.id: Entry("TODO", c.source) for c in en.cells
               if c.cell_type == "markdown" and c.id not in entries}
        if new:
            path = text_path(english)
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(format_translations({**entries, **new}), encoding="utf-8")
            added += [f"{english.name}: {cid}" for cid in new]
    return added


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m revopslab._editions", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("command", choices=["sync", "check", "todo"])
    args = parser.parse_args(argv)
    if args.command == "sync":
        for path in sync():
            print(f"wrote {path.relative_to(ROOT)}")
    elif args.command == "todo":
        for line in todo():
            print(f"placeholder for {line}")
    found = problems()
    for line in found:
        print(line, file=sys.stderr)
    if found:
        print(f"{len(found)} problem(s) in the Japanese edition", file=sys.stderr)
    # Only `check` fails: `sync` (run by `make execute`) reports what is left to translate.
    return 1 if found and args.command == "check" else 0


if __name__ == "__main__":
    sys.exit(main())
