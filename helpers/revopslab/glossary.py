"""The bilingual glossary (English and Japanese), read from ``data/glossary.csv``."""

from __future__ import annotations

import difflib
import html
import unicodedata
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, fields
from functools import lru_cache
from pathlib import Path

import pandas as pd

from ._lang import text

__all__ = ["glossary", "glossary_table", "show_glossary", "GlossaryEntry", "GlossaryMiss",
           "GlossaryTable", "GLOSSARY_PATH"]

GLOSSARY_PATH = Path(__file__).resolve().parents[2] / "data" / "glossary.csv"


@lru_cache(maxsize=1)
def _table() -> pd.DataFrame:
    table = pd.read_csv(GLOSSARY_PATH, dtype=str, keep_default_na=False, encoding="utf-8")
    return table


def _norm(text: str) -> str:
    return unicodedata.normalize("NFKC", str(text)).casefold().strip()


def glossary_table(*, chapter: str | None = None) -> pd.DataFrame:
    """The glossary as a DataFrame, optionally only the terms a chapter uses.

    Examples
    --------
    >>> glossary_table(chapter="03")["term_en"].tolist()[:2]
    ['MOps / SalesOps / CSOps', 'BigOps']
    """
    table = _table()
    if chapter is not None:
        if not isinstance(chapter, str) or not chapter.isdigit() or len(chapter) != 2:
            raise ValueError(f"chapter must be a two-digit string like '03', got {chapter!r}")
        table = table[table["chapters"].str.split().apply(lambda cs: chapter in cs)]
    return table.reset_index(drop=True).copy()


@dataclass(frozen=True, repr=False)
class GlossaryEntry(Mapping):
    """One glossary term in both languages, shown whole (no definition is cut short).

    Reads like a mapping: ``entry["term_ja"]``, ``entry["definition_en"]``.

    Examples
    --------
    >>> entry = GlossaryEntry("NPS", "ネットプロモータースコア", "Promoters minus detractors.",
    ...                       "推奨者の割合から批判者の割合を引いた値。", "02")
    >>> entry["term_ja"]
    'ネットプロモータースコア'
    >>> print(entry)
    NPS — ネットプロモータースコア
      EN: Promoters minus detractors.
      JA: 推奨者の割合から批判者の割合を引いた値。
    """

    term_en: str
    term_ja: str
    definition_en: str
    definition_ja: str
    chapters: str = ""

    def __getitem__(self, key: str) -> str:
        if key not in self._keys():
            raise KeyError(f"{key!r} is not a glossary column; columns: {list(self._keys())}")
        return getattr(self, key)

    def __iter__(self) -> Iterator[str]:
        return iter(self._keys())

    def __len__(self) -> int:
        return len(self._keys())

    @staticmethod
    def _keys() -> tuple[str, ...]:
        return tuple(f.name for f in fields(GlossaryEntry))

    def __str__(self) -> str:
        return (f"{self.term_en} — {self.term_ja}\n  EN: {self.definition_en}\n"
                f"  JA: {self.definition_ja}")

    __repr__ = __str__

    def _repr_html_(self) -> str:
        e = html.escape
        return (f"<p><b>{e(self.term_en)}</b> — <b>{e(self.term_ja)}</b><br>"
                f"{e(self.definition_en)}<br>{e(self.definition_ja)}</p>")


@dataclass(frozen=True, repr=False)
class GlossaryMiss:
    """The answer to a term the glossary does not hold: one line with the closest terms.

    It is falsy, and indexing it raises KeyError with the same line.

    Examples
    --------
    >>> miss = GlossaryMiss("churn rat", ("churn rate",))
    >>> miss
    'churn rat' is not in the glossary. Did you mean 'churn rate'?
    >>> bool(miss)
    False
    """

    term: str
    close: tuple[str, ...] = ()

    def __bool__(self) -> bool:
        return False

    def __str__(self) -> str:
        if not self.close:
            return (f"{self.term!r} is not in the glossary; glossary_table() lists every term.")
        return (f"{self.term!r} is not in the glossary. Did you mean "
                f"{' or '.join(map(repr, self.close))}?")

    __repr__ = __str__

    def __getitem__(self, key: str) -> str:
        raise KeyError(str(self))


def glossary(term: str) -> GlossaryEntry | GlossaryMiss:
    """Look up a term in English or Japanese (case and full-width insensitive).

    A query matches a whole term or one of its parts split on ``/``. The
    entry shows both languages' whole definitions. For a term the glossary
    does not hold, the answer is one line naming the closest terms (a
    `GlossaryMiss`), not an error.

    Examples
    --------
    >>> glossary("churn rate")["term_ja"]
    '解約率'
    >>> glossary("ＲｅｖＯｐｓ")["term_ja"]
    'レベニューオペレーション'
    >>> glossary("フライホイール型")["term_en"]
    'funnel / flywheel'
    >>> glossary("churn rat")
    'churn rat' is not in the glossary. Did you mean 'churn rate'?
    """
    if not isinstance(term, str):
        raise TypeError(f"term must be a str such as 'churn rate'; got {type(term).__name__}")
    query = _norm(term)
    table = _table()
    for column in ("term_en", "term_ja"):
        for i, value in table[column].items():
            text = _norm(value)  # NFKC turns full-width brackets and slashes into ASCII
            parts = [text] + [p.strip() for p in text.split("/")]
            aliases = [p.split("(")[0].strip() for p in parts]
            aliases += [p.split("(")[1].rstrip(")").strip() for p in parts if "(" in p]
            if query in parts or query in aliases:
                return GlossaryEntry(**table.loc[i].to_dict())
    choices = list(table["term_en"]) + list(table["term_ja"])
    close = difflib.get_close_matches(term, choices, n=1, cutoff=0.4)
    if not close:
        folded = {_norm(choice): choice for choice in choices}
        close = [folded[m] for m in difflib.get_close_matches(query, list(folded), n=1,
                                                              cutoff=0.4)]
    return GlossaryMiss(term, tuple(close))


@dataclass(frozen=True, repr=False)
class GlossaryTable:
    """The terms of a chapter with both languages' whole definitions (see `show_glossary`)."""

    chapter: str
    entries: tuple[GlossaryEntry, ...]

    def __str__(self) -> str:
        head = text(en=f"Glossary of notebook {self.chapter} ({len(self.entries)} terms)",
                    ja=f"ノートブック{self.chapter}の用語集（{len(self.entries)}語）")
        return "\n\n".join([head, *map(str, self.entries)])

    __repr__ = __str__

    def _repr_html_(self) -> str:
        e = html.escape
        rows = "".join(
            f"<tr><td><b>{e(x.term_en)}</b></td><td>{e(x.definition_en)}</td>"
            f"<td><b>{e(x.term_ja)}</b></td><td>{e(x.definition_ja)}</td></tr>"
            for x in self.entries)
        return ('<table style="text-align: left;"><tr><th>term</th><th>definition</th>'
                f"<th>用語</th><th>定義</th></tr>{rows}</table>")


def show_glossary(chapter: str) -> GlossaryTable:
    """The glossary of a chapter, each term with its English and Japanese definitions in full.

    Parameters
    ----------
    chapter
        Two-digit chapter such as ``"03"``.

    Returns
    -------
    GlossaryTable
        Shown as a four-column table in Jupyter (term, definition, 用語, 定義)
        and as text elsewhere.

    Examples
    --------
    >>> table = show_glossary("03")
    >>> table.entries[1].term_en
    'BigOps'
    >>> print(str(table).splitlines()[0])
    Glossary of notebook 03 (17 terms)
    >>> from revopslab._lang import language
    >>> with language("ja"):
    ...     print(str(table).splitlines()[0])
    ノートブック03の用語集（17語）
    """
    rows = glossary_table(chapter=chapter)
    return GlossaryTable(chapter, tuple(GlossaryEntry(**row) for row in
                                        rows.to_dict(orient="records")))
