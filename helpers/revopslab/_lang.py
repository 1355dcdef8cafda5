"""The language a notebook speaks, set once (by :func:`revopslab.style.set_theme`).

A notebook binds its language once: ``set_theme(lang=lang)`` in its set-up cell. Everything
that writes words for the learner (``exercises.check``/``hint``/``solution``,
``claims.describe``, :func:`text` for the sentences and chart titles a cell composes) reads it
when not given ``lang=`` explicitly, so the Japanese edition runs the very same code cells as
the English one. Like scikit-learn's ``set_config``, it is process-wide state with a context
manager for tests.

Examples
--------
>>> from revopslab._lang import text, language, get_lang
>>> get_lang()
'en'
>>> text(en="Win rate", ja="受注率")
'Win rate'
>>> with language("ja"):
...     text(en="Win rate", ja="受注率"), get_lang()
('受注率', 'ja')
>>> text(en="Win rate", ja="受注率", lang="ja")
'受注率'
>>> with language("fr"):
...     pass
Traceback (most recent call last):
...
ValueError: lang must be one of ('en', 'ja'); got 'fr'
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

from .vocabulary import LANGUAGES

__all__ = ["check_lang", "get_lang", "set_lang", "resolve_lang", "language", "text"]

_STATE: dict[str, str] = {"lang": "en"}


def check_lang(lang: Any) -> str:
    """Return ``lang`` if it is one of the course's languages, else raise ``ValueError``."""
    if lang not in LANGUAGES:
        raise ValueError(f"lang must be one of {tuple(LANGUAGES)!r}; got {lang!r}")
    return lang


def get_lang() -> str:
    """The language bound by the last :func:`set_lang` (``"en"`` until then)."""
    return _STATE["lang"]


def set_lang(lang: str) -> None:
    """Bind ``lang`` (``"en"`` or ``"ja"``) as the language of everything that is not told."""
    _STATE["lang"] = check_lang(lang)


def resolve_lang(lang: str | None) -> str:
    """``lang`` checked, or the bound language when ``lang`` is None."""
    return get_lang() if lang is None else check_lang(lang)


@contextlib.contextmanager
def language(lang: str) -> Iterator[str]:
    """Bind ``lang`` inside a ``with`` block and restore the previous language after it."""
    previous = get_lang()
    set_lang(lang)
    try:
        yield lang
    finally:
        _STATE["lang"] = previous


def text(*, en: str, ja: str, lang: str | None = None) -> str:
    """The text in ``lang`` (default: the bound language): ``en`` or ``ja``.

    What a code cell uses for a sentence it prints or a chart title it composes, so both
    editions run the same cell: ``message=text(en=f"...", ja=f"...")``.
    """
    return ja if resolve_lang(lang) == "ja" else en
