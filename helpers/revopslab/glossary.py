"""The bilingual glossary (English and Japanese), read from ``data/glossary.csv``."""

from __future__ import annotations

import difflib
import unicodedata
from functools import lru_cache
from pathlib import Path

import pandas as pd

__all__ = ["glossary", "glossary_table", "GLOSSARY_PATH"]

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


def glossary(term: str) -> pd.Series:
    """Look up a term in English or Japanese (case and full-width insensitive).

    A query matches a whole term or one of its parts split on ``/``; the
    closest terms are suggested when nothing matches.

    Examples
    --------
    >>> glossary("churn rate")["term_ja"]
    '解約率'
    >>> glossary("ＲｅｖＯｐｓ")["term_ja"]
    'レベニューオペレーション'
    >>> glossary("フライホイール型")["term_en"]
    'funnel / flywheel'
    """
    query = _norm(term)
    table = _table()
    for column in ("term_en", "term_ja"):
        for i, value in table[column].items():
            text = _norm(value)  # NFKC turns full-width brackets and slashes into ASCII
            parts = [text] + [p.strip() for p in text.split("/")]
            aliases = [p.split("(")[0].strip() for p in parts]
            aliases += [p.split("(")[1].rstrip(")").strip() for p in parts if "(" in p]
            if query in parts or query in aliases:
                return table.loc[i]
    choices = list(table["term_en"]) + list(table["term_ja"])
    close = difflib.get_close_matches(term, choices, n=3, cutoff=0.4)
    raise KeyError(f"{term!r} is not in the glossary; closest terms: {close}")
