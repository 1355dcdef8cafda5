"""Exercise feedback for the notebooks: exercises, a registry and reusable checkers."""

from __future__ import annotations

import contextlib
import difflib
import html
import importlib
import math
import numbers
import re
import unicodedata
from collections.abc import Callable, Hashable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Literal

import numpy as np
import pandas as pd

from ._lang import language, resolve_lang

__all__ = [
    "Say",
    "say",
    "PLACEHOLDER",
    "____",
    "Status",
    "Incorrect",
    "ExerciseError",
    "Checker",
    "Exercise",
    "CheckResult",
    "Reveal",
    "is_placeholder",
    "register",
    "exercise_ids",
    "registry_override",
    "check",
    "hint",
    "solution",
    "expect_number",
    "expect_choice",
    "expect_set",
    "expect_frame",
    "expected",
    "progress",
    "Progress",
    "KINDS",
    "feedback_text",
]

#: The placeholder the notebooks put where the learner's answer goes.
PLACEHOLDER = "____"
#: ``from revopslab.exercises import ____`` lets a cell read ``answer = ____``.
____ = PLACEHOLDER

Status = Literal["correct", "incorrect", "not_attempted"]

_ID_PATTERN = re.compile(r"\d{2}\.\d+[a-z]?")

#: The kinds of exercise a chapter mixes (issue 17): compute with the package on the company,
#: an experiment over seeds, interpreting a chart or table, finding the flaw in an analysis,
#: reading the report, and recalling the text (kept rare).
KINDS: tuple[str, ...] = ("compute", "experiment", "interpret", "flaw", "report", "recall")

#: The fixed phrases of the feedback, per language: the headlines `check`, `hint` and
#: `solution` show, and every generic diagnosis of the ``expect_*`` checkers (one home for
#: both languages; a chapter's own diagnoses are `Say` pairs next to their exercise).
_PHRASES: dict[str, dict[str, str]] = {
    "en": {
        "correct": "Correct",
        "incorrect": "Not quite:",
        "not_attempted": "Not attempted yet —",
        "nudge": "replace the placeholder {placeholder} with your answer, then run the cell "
                 "again.",
        "expected": "expected {value}",
        "hint": "Hint",
        "solution": "Solution",
        "exercise": "exercise",
        # progress
        "progress_title": "Chapter {chapter}: {done} of {total} exercises done in this session",
        "mark_correct": "done",
        "mark_incorrect": "tried",
        "mark_not_attempted": "not yet",
        "col_exercise": "exercise",
        "col_level": "level",
        "col_status": "status",
        # answers that cannot be checked
        "unchecked_expects": "your answer could not be checked: this exercise expects "
                             "{expects}, but your answer is {what}.",
        "unchecked": "your answer could not be checked: it is {what}, which is not the kind of "
                     "answer this exercise expects. Re-read the prompt.",
        "your_answer": "your answer",
        # what an answer is
        "a_frame": "a DataFrame with {rows} and {columns}",
        "a_series": "a Series of length {n}",
        "an_index": "an Index of length {n}",
        "an_array": "a NumPy array of shape {shape}",
        "the_string": "the string {value}",
        "the_bool": "the bool {value}",
        "the_number": "the number {value}",
        "a_collection": "a {type} of {items}",
        "a_value": "a {type}",
        "your_string": "the string you typed",
        # numbers
        "expects_number": "a single number (an int or a float)",
        "not_a_number": "{name} should be a number, but it is {what}.",
        "not_single_item": "{name} should be a single number, but it is {what}; take its value "
                           "out with .item().",
        "not_single": "{name} should be a single number, but it is {what}.",
        "nan": "{name} is NaN (not a number): look for missing values or a division by zero.",
        "infinite": "{name} is infinite: look for a division by zero.",
        "percentage": "{name} looks like a percentage: give it as a fraction (0.25, not 25).",
        "coarse": "{name} is rounded too coarsely: give it {wanted}.",
        "high": "high",
        "low": "low",
        "off_zero": "{name} is too {direction}.",
        "wrong_sign": "{name} has the wrong sign.",
        "slip_high": "{name} is about {factor} times too high — {why}",
        "slip_low": "{name} is about {factor} times too low — {why}",
        "slip_12": "monthly vs annual figures?",
        "slip_100": "a percentage vs a fraction?",
        "slip_1000": "units of thousands?",
        "slip_10000": "yen vs 万円?",
        "off_1": "{name} is very close but a little too {direction} (less than 1% off): check "
                 "rounding and the rows you included.",
        "off_10": "{name} is a little too {direction} (1–10% off).",
        "off_50": "{name} is too {direction} (10–50% off).",
        "off_more": "{name} is far too {direction} (more than 50% off).",
        "decimals": "to {n} decimal places",
        "decimal": "to 1 decimal place",
        "whole": "as a whole number",
        "sig": "to {n} significant figures",
        # choices
        "expects_choice": "one of the options {listing}",
        "not_option": "{what} is not one of the options: {listing}.",
        "wrong_choice": "{option} is not the right choice.",
        # sets
        "expects_set": "a collection of items (a list or a set)",
        "not_collection": "{name} should be a collection of items such as a list or a set, "
                          "but it is {what}.",
        "unhashable": "{name} should hold simple items (strings or numbers), but some items are "
                      "lists or other unhashable values.",
        "set_extra_missing": "{name} have {extra} not be there ({shown}) and miss {missing}.",
        "set_extra": "{name} have {extra} not be there ({shown}).",
        "set_missing": "{name} miss {missing}.",
        # frames
        "expects_frame": "a pandas DataFrame or Series",
        "want_series_got_frame": "{name} should be a Series, but it is a DataFrame with one "
                                 "column; select the column, e.g. df['name'].",
        "want_series": "{name} should be a pandas Series, but it is {what}.",
        "want_frame_got_series": "{name} should be a DataFrame, but it is a Series; use "
                                 ".to_frame() or select columns with df[[...]].",
        "want_frame": "{name} should be a pandas DataFrame, but it is {what}.",
        "missing_column": "{name} is missing the column {columns}.",
        "missing_columns": "{name} is missing the columns {columns}.",
        "repeated_columns": "{name} has repeated column names; keep one column per name.",
        "row_count": "{name} has {got} rows; expected {want}.",
        "index_order": "{name} has the right row labels but in another order or with other "
                       "repeats; sort it like the prompt asks.",
        "index_differs": "the index (row labels) of {name} differs:",
        "index_extra": " unexpected labels {labels};",
        "index_missing": " {n} expected labels are missing, e.g. {label};",
        "index_lost": " Did you lose the index with reset_index()? set_index(...) restores it.",
        "index_reset": " Try .reset_index().",
        "values_of": "the values of {name}",
        "column_of": "column {column} of {name}",
        "not_numbers": "{what} should be numbers, but their dtype is {dtype}.",
        "row_label": "row {row}",
        "row_position": "row position {row}",
        "mismatch_series": "{what} differ first at {position} ({k} of {n} rows differ; yours: "
                           "{mine}).",
        "mismatch_frame": "{what} differs first at {position} ({k} of {n} rows differ; yours: "
                          "{mine}).",
        "frame_below": "the {kind} below\n{table}",
    },
    "ja": {
        "correct": "正解",
        "incorrect": "もう一歩：",
        "not_attempted": "未回答 —",
        "nudge": "プレースホルダー {placeholder} を答えに置き換えて、"
                 "セルをもう一度実行してください。",
        "expected": "期待される答え：{value}",
        "hint": "ヒント",
        "solution": "解答",
        "exercise": "演習",
        "progress_title": "第{chapter}章：このセッションで{total}問中{done}問を解きました",
        "mark_correct": "正解済み",
        "mark_incorrect": "挑戦中",
        "mark_not_attempted": "未着手",
        "col_exercise": "演習",
        "col_level": "難易度",
        "col_status": "状況",
        "unchecked_expects": "答えを採点できませんでした。この演習が求めるのは{expects}ですが、"
                             "あなたの答えは{what}です。",
        "unchecked": "答えを採点できませんでした。あなたの答えは{what}で、この演習が求める種類の"
                     "答えではありません。問題文を読み直してください。",
        "your_answer": "あなたの答え",
        "a_frame": "{rows}・{columns}のDataFrame",
        "a_series": "長さ{n}のSeries",
        "an_index": "長さ{n}のIndex",
        "an_array": "形状{shape}のNumPy配列",
        "the_string": "文字列 {value}",
        "the_bool": "真偽値 {value}",
        "the_number": "数値 {value}",
        "a_collection": "要素{items}の{type}",
        "a_value": "{type}型の値",
        "your_string": "入力した文字列",
        "expects_number": "1つの数値（intかfloat）",
        "not_a_number": "{name}は数値のはずですが、{what}です。",
        "not_single_item": "{name}は1つの数値のはずですが、{what}です。.item() で値を"
                           "取り出してください。",
        "not_single": "{name}は1つの数値のはずですが、{what}です。",
        "nan": "{name}はNaN（数値でない値）です。欠損値かゼロでの割り算がないか確かめてください。",
        "infinite": "{name}は無限大です。ゼロでの割り算がないか確かめてください。",
        "percentage": "{name}はパーセント表記のようです。割合（小数）で答えてください"
                      "（25ではなく0.25）。",
        "coarse": "{name}は丸めが粗すぎます。{wanted}答えてください。",
        "high": "大き",
        "low": "小さ",
        "off_zero": "{name}は{direction}すぎます。",
        "wrong_sign": "{name}は符号が逆です。",
        "slip_high": "{name}は約{factor}倍、大きすぎます — {why}",
        "slip_low": "{name}は約{factor}分の1で、小さすぎます — {why}",
        "slip_12": "月次と年次の取り違えでは？",
        "slip_100": "パーセントと割合（小数）の取り違えでは？",
        "slip_1000": "千単位の取り違えでは？",
        "slip_10000": "円と万円の取り違えでは？",
        "off_1": "{name}はとても近いですが、少し{direction}すぎます（ずれは1%未満）。丸め方と、"
                 "集計に含めた行を確かめてください。",
        "off_10": "{name}は少し{direction}すぎます（ずれは1〜10%）。",
        "off_50": "{name}は{direction}すぎます（ずれは10〜50%）。",
        "off_more": "{name}は大きく外れていて、{direction}すぎます（ずれは50%超）。",
        "decimals": "小数第{n}位まで",
        "decimal": "小数第1位まで",
        "whole": "整数で",
        "sig": "有効数字{n}桁で",
        "expects_choice": "選択肢のどれか（{listing}）",
        "not_option": "{what}は選択肢のどれでもありません。選択肢：{listing}。",
        "wrong_choice": "{option}は正しい選択肢ではありません。",
        "expects_set": "要素の集まり（リストか集合）",
        "not_collection": "{name}はリストや集合のような要素の集まりのはずですが、{what}です。",
        "unhashable": "{name}の要素は単純な値（文字列か数値）のはずですが、リストなどハッシュ化"
                      "できない値が含まれています。",
        "set_extra_missing": "{name}には、入るべきでない要素が{extra}あり（{shown}）、"
                             "期待される要素が{missing}足りません。",
        "set_extra": "{name}には、入るべきでない要素が{extra}あります（{shown}）。",
        "set_missing": "{name}には、期待される要素が{missing}足りません。",
        "expects_frame": "pandasのDataFrameかSeries",
        "want_series_got_frame": "{name}はSeriesのはずですが、1列のDataFrameです。"
                                 "df['name'] のように列を選んでください。",
        "want_series": "{name}はpandasのSeriesのはずですが、{what}です。",
        "want_frame_got_series": "{name}はDataFrameのはずですが、Seriesです。.to_frame() を"
                                 "使うか、df[[...]] で列を選んでください。",
        "want_frame": "{name}はpandasのDataFrameのはずですが、{what}です。",
        "missing_column": "{name}には列 {columns} がありません。",
        "missing_columns": "{name}には列 {columns} がありません。",
        "repeated_columns": "{name}には同じ名前の列が複数あります。1つの名前に1列だけに"
                            "してください。",
        "row_count": "{name}は{got}行ですが、{want}行のはずです。",
        "index_order": "{name}の行ラベルは合っていますが、順序か重複が違います。問題文の"
                       "とおりに並べてください。",
        "index_differs": "{name}のインデックス（行ラベル）が違います：",
        "index_extra": "想定外のラベル {labels}。",
        "index_missing": "期待されるラベルが{n}個足りません（例：{label}）。",
        "index_lost": "reset_index() でインデックスを失っていませんか？ set_index(...) で"
                      "戻せます。",
        "index_reset": ".reset_index() を試してください。",
        "values_of": "{name}の値",
        "column_of": "{name}の列 {column}",
        "not_numbers": "{what}は数値のはずですが、dtypeが{dtype}です。",
        "row_label": "行 {row}",
        "row_position": "{row}番目の行",
        "mismatch_series": "{what}は{position}で初めて食い違います（{n}行中{k}行が違います。"
                           "あなたの値：{mine}）。",
        "mismatch_frame": "{what}は{position}で初めて食い違います（{n}行中{k}行が違います。"
                          "あなたの値：{mine}）。",
        "frame_below": "次の{kind}\n{table}",
    },
}


def feedback_text(key: str, lang: str | None = None, **values: Any) -> str:
    """Return a fixed phrase of the feedback in ``lang``, filled with ``values``.

    Every fixed phrase `check`, `hint`, `solution` and `progress` show, and
    every generic diagnosis of the ``expect_*`` checkers, goes through this
    table. ``lang=None`` reads the bound language (`revopslab._lang.get_lang`).
    A value that is a `Say` is filled in the same language.

    Examples
    --------
    >>> feedback_text("correct"), feedback_text("correct", "ja")
    ('Correct', '正解')
    >>> feedback_text("expected", value="0.018")
    'expected 0.018'
    >>> feedback_text("off_zero", "ja", name=Say(en="your MRR", ja="あなたのMRR"),
    ...               direction=say("high"))
    'あなたのMRRは大きすぎます。'
    >>> feedback_text("correct", "fr")
    Traceback (most recent call last):
    ...
    ValueError: lang must be one of ('en', 'ja'); got 'fr'
    """
    lang = resolve_lang(lang)
    phrases = _PHRASES[lang]
    if key not in phrases:
        raise KeyError(f"unknown phrase {key!r}; known: {sorted(phrases)}")
    return phrases[key].format(**{k: _in(v, lang) for k, v in values.items()})


@dataclass(frozen=True)
class Say:
    """One learner-facing message in both languages (a diagnosis, a name, a hint's phrase).

    ``str(say)`` is the message in the bound language (`revopslab._lang.get_lang`);
    ``say.in_(lang)`` in the one asked for. Diagnoses are written as Says next to
    their exercise (``mistakes={Say(en=..., ja=...): compute}``, ``feedback={option:
    Say(...)}``, ``raise Incorrect(en=..., ja=...)``), so each has one home with both
    languages. ``+`` joins a Say with a Say or a str.

    Examples
    --------
    >>> high = Say(en="too high", ja="大きすぎます")
    >>> str(high), high.in_("ja")
    ('too high', '大きすぎます')
    >>> (high + ".").in_("ja")
    '大きすぎます.'
    >>> Say(en="", ja="x")
    Traceback (most recent call last):
    ...
    ValueError: en must be a non-empty str; got ''
    """

    en: str
    ja: str

    def __post_init__(self) -> None:
        for name in ("en", "ja"):
            value = getattr(self, name)
            if not isinstance(value, str) or not value.strip():
                raise ValueError(f"{name} must be a non-empty str; got {value!r}")

    def in_(self, lang: str | None = None) -> str:
        """The message in ``lang`` (default: the bound language)."""
        return self.ja if resolve_lang(lang) == "ja" else self.en

    def __str__(self) -> str:
        return self.in_()

    def __add__(self, other: Say | str) -> Say:
        return Say(en=self.en + _in(other, "en"), ja=self.ja + _in(other, "ja"))

    def __radd__(self, other: str) -> Say:
        return Say(en=other + self.en, ja=other + self.ja)


def say(key: str, **values: Any) -> Say:
    """The phrase ``key`` of the feedback table in both languages, filled with ``values``.

    Examples
    --------
    >>> say("wrong_sign", name=say("your_answer")).in_("ja")
    'あなたの答えは符号が逆です。'
    """
    return Say(en=feedback_text(key, "en", **values), ja=feedback_text(key, "ja", **values))


def _in(value: Any, lang: str | None = None) -> Any:
    """A `Say` in ``lang``; anything else unchanged."""
    return value.in_(lang) if isinstance(value, Say) else value


def _name(name: str | Say) -> Say:
    """What the messages call the answer, in both languages (a plain str is English only:
    the Japanese messages then say あなたの答え)."""
    if isinstance(name, Say):
        return name
    if not isinstance(name, str) or not name:
        raise TypeError(f"name must be a non-empty str or a Say; got {name!r}")
    return Say(en=name, ja=_PHRASES["ja"]["your_answer"])


#: An English sentence, for the Japanese messages: three ASCII words in a row.
_ENGLISH_RUN = re.compile(r"(?<![A-Za-z])[A-Za-z]+(?:'[A-Za-z]+)?"
                          r"(?:\s+[A-Za-z]+(?:'[A-Za-z]+)?){2,}(?![A-Za-z])")


def _echo(value: Any, limit: int = 40) -> Say:
    """The learner's own value, quoted; a Japanese message names an English phrase only by
    what it is (its words stay the learner's, not the feedback's)."""
    shown = _short(value, limit)
    if isinstance(_plain(value), str) and _ENGLISH_RUN.search(shown):
        return Say(en=shown, ja=_PHRASES["ja"]["your_string"])
    return Say(en=shown, ja=shown)


_NOT_ATTEMPTED = feedback_text("nudge", "en", placeholder=PLACEHOLDER)
_COLORS = {"correct": "#1a7f37", "not_attempted": "#b35900", "incorrect": "#c62828"}


class Incorrect(Exception):
    """Raise from a checker to reject the answer with a message (what is off, not the answer).

    Give the message in both languages (``Incorrect(en=..., ja=...)`` or a `Say`); a plain
    str is shown as it is in either language. ``message`` is the text in the bound language.

    Examples
    --------
    >>> def positive(answer):
    ...     if answer <= 0:
    ...         raise Incorrect(en="it should be positive", ja="正の数のはずです")
    >>> ex = Exercise("99.1", "A positive number.", positive, hint="> 0", solution="1")
    >>> with registry_override(ex):
    ...     print(check("99.1", -3))
    ...     print(check("99.1", -3, lang="ja"))
    Not quite: it should be positive
    もう一歩： 正の数のはずです
    """

    def __init__(self, message: str | Say | None = None, *, en: str | None = None,
                 ja: str | None = None) -> None:
        if message is None:
            if en is None or ja is None:
                raise TypeError("Incorrect needs a message, or both en= and ja=")
            message = Say(en=en, ja=ja)
        elif en is not None or ja is not None:
            raise TypeError("give Incorrect a message or en= and ja=, not both")
        if not isinstance(message, str | Say):
            raise TypeError(f"message must be a str or a Say; got {type(message).__name__}")
        super().__init__(_in(message, "en"))
        self.say = message

    @property
    def message(self) -> str:
        """The message in the bound language."""
        return _in(self.say)


class ExerciseError(RuntimeError):
    """An exercise is broken (its expected answer cannot be computed): a bug, not the learner's."""


@dataclass(frozen=True)
class Checker:
    """A checker function plus a phrase naming the kind of answer it expects.

    ``func(answer)`` returns None when the answer is right, or a message
    saying what is off (a `Say` in both languages, or a str); it may also
    raise `Incorrect`. Calling the Checker gives that message in the bound
    language. ``expects`` (such as ``"a single number"``, a str or a `Say`) is
    used when ``func`` crashes on an answer of the wrong kind. The
    ``expect_*`` builders return Checkers; plain functions work as checkers too.

    Examples
    --------
    >>> odd = Say(en="it is odd", ja="奇数です")
    >>> even = Checker(lambda n: None if n % 2 == 0 else odd, expects="an int")
    >>> even(4) is None, even(3)
    (True, 'it is odd')
    """

    func: Callable[[Any], str | Say | None]
    expects: str | Say
    #: Text of the expected answer (computed at call time), shown to trainers by
    #: ``check(..., show_expected=True)``; None when the checker cannot say it.
    expected_text: Callable[[], str | Say] | None = None
    #: The expected answer as a learner would type it at the prompt's precision (tests).
    typed: Callable[[], Any] | None = None
    #: The precision the prompt must state, such as "as a fraction, to 3 decimal places".
    precision: str | None = None

    def __call__(self, answer: Any) -> str | None:
        try:
            return _in(self.func(answer))
        except Incorrect as exc:
            return exc.message


@dataclass(frozen=True)
class Exercise:
    """One exercise of a chapter.

    Parameters
    ----------
    id
        ``"CC.N"``: two-digit chapter, a dot, the exercise number and an
        optional lower-case letter (``"00.1"``, ``"03.2b"``).
    prompt
        The task in one line.
    checker
        ``checker(answer)`` returns None when the answer is right, or a
        message saying what is off without giving the expected value (or
        raises `Incorrect` with such a message). Build it with an
        ``expect_*`` function where one fits.
    hint
        A nudge shown by `hint`.
    solution
        Code text shown by `solution`.
    stars
        Difficulty, 1 (★) to 3 (★★★); a chapter's exercises rise in difficulty.
    kind
        One of `KINDS`: what the exercise practises.
    expected
        Optional callable returning the text of the expected answer for
        trainers; by default the checker's ``expected_text``.
    prompt_ja, hint_ja
        Optional Japanese prompt and hint, for the Japanese edition.
    solution_ja
        The solution with its prose (comments) in Japanese, for a solution that
        has English prose; its code is the same as ``solution``'s.

    Raises
    ------
    ValueError
        If ``id`` does not look like ``"00.1"``, or a text field is empty or
        ``prompt`` spans several lines.
    TypeError
        If ``checker`` is not callable or a text field is not a str.

    Examples
    --------
    >>> ex = Exercise("00.1", "How many departments are there?",
    ...               expect_number(lambda: 6, name="the count"),
    ...               hint="Count the keys of DEPARTMENT_COLORS.",
    ...               solution="len(DEPARTMENT_COLORS)")
    >>> ex.id
    '00.1'
    >>> Exercise("1.1", "p", lambda a: None, hint="h", solution="s")
    Traceback (most recent call last):
    ...
    ValueError: id must look like '00.1' (2-digit chapter, '.', number, optional letter); got '1.1'
    """

    id: str
    prompt: str
    checker: Callable[[Any], str | None]
    hint: str
    solution: str
    stars: int = 1
    kind: str = "compute"
    expected: Callable[[], str] | None = None
    prompt_ja: str | None = None
    hint_ja: str | None = None
    solution_ja: str | None = None

    @property
    def label(self) -> str:
        """The difficulty as stars, such as ``"★★"``."""
        return "★" * self.stars

    def expected_text(self, lang: str | None = None) -> str | None:
        """The expected answer as text (for trainers), or None if the checker cannot say it.

        ``lang`` (default: the bound language) picks the language of a text given as a `Say`.
        """
        compute = self.expected or getattr(self.checker, "expected_text", None)
        return None if compute is None else str(_in(compute(), lang))

    def __post_init__(self) -> None:
        if not isinstance(self.id, str) or not _ID_PATTERN.fullmatch(self.id):
            raise ValueError(
                "id must look like '00.1' (2-digit chapter, '.', number, optional letter); "
                f"got {self.id!r}"
            )
        for name in ("prompt", "hint", "solution"):
            value = getattr(self, name)
            if not isinstance(value, str):
                raise TypeError(f"{name} must be a str; got {type(value).__name__}")
            if not value.strip():
                raise ValueError(f"{name} must be a non-empty str; got {value!r}")
        if "\n" in self.prompt.strip():
            raise ValueError(f"prompt must be one line; got {self.prompt!r}")
        if not callable(self.checker):
            raise TypeError(
                f"checker must be callable (answer -> None or message); got "
                f"{type(self.checker).__name__}"
            )
        if isinstance(self.stars, bool) or self.stars not in (1, 2, 3):
            raise ValueError(f"stars must be 1, 2 or 3; got {self.stars!r}")
        if self.kind not in KINDS:
            raise ValueError(f"kind must be one of {list(KINDS)}; got {self.kind!r}")
        for name in ("prompt_ja", "hint_ja", "solution_ja"):
            value = getattr(self, name)
            if value is not None and (not isinstance(value, str) or not value.strip()):
                raise ValueError(f"{name} must be None or a non-empty str; got {value!r}")
        if self.expected is not None and not callable(self.expected):
            raise TypeError(f"expected must be None or a callable; got "
                            f"{type(self.expected).__name__}")

    def prompt_in(self, lang: str | None = None) -> str:
        """The prompt in ``lang`` (default: the bound language; English when not translated).

        Examples
        --------
        >>> ex = Exercise("99.1", "Say hi.", lambda a: None, hint="h", solution="s",
        ...               prompt_ja="挨拶してください。")
        >>> ex.prompt_in("ja"), ex.prompt_in("en")
        ('挨拶してください。', 'Say hi.')
        """
        return (self.prompt_ja or self.prompt) if resolve_lang(lang) == "ja" else self.prompt

    def hint_in(self, lang: str | None = None) -> str:
        """The hint in ``lang`` (default: the bound language; English when not translated)."""
        return (self.hint_ja or self.hint) if resolve_lang(lang) == "ja" else self.hint

    def solution_in(self, lang: str | None = None) -> str:
        """The solution in ``lang`` (default: the bound language): ``solution_ja`` in
        Japanese when given, else the solution (pure code reads the same in both)."""
        return (self.solution_ja or self.solution) if resolve_lang(lang) == "ja" \
            else self.solution


@dataclass(frozen=True, repr=False)
class CheckResult:
    """The verdict of `check`, displayed in colour in Jupyter.

    Attributes
    ----------
    exercise_id
        The exercise checked.
    status
        ``"correct"``, ``"incorrect"`` or ``"not_attempted"``.
    message
        What is off (incorrect), the nudge (not attempted) or ``""``.

    Examples
    --------
    >>> result = CheckResult("00.1", "incorrect", "too high")
    >>> result.correct, result.status
    (False, 'incorrect')
    >>> result
    Not quite: too high
    """

    exercise_id: str
    status: Status
    message: str = ""
    lang: str = "en"

    @property
    def correct(self) -> bool:
        """Whether the answer was right."""
        return self.status == "correct"

    def __bool__(self) -> bool:
        return self.correct

    def _headline(self) -> str:
        return feedback_text(self.status, self.lang)

    def __str__(self) -> str:
        if self.status == "correct" and self.message:
            return f"{self._headline()} — {self.message}"
        return f"{self._headline()} {self.message}".rstrip()

    __repr__ = __str__

    def _repr_html_(self) -> str:
        color = _COLORS[self.status]
        return (
            f'<div style="border-left: 4px solid {color}; padding: 0.3em 0.8em;">'
            f'<span style="color: {color}; font-weight: bold;">{html.escape(self._headline())}'
            f"</span> {'— ' if self.status == 'correct' and self.message else ''}"
            f"{html.escape(self.message)}"
            f'<span style="color: #777; font-size: 0.85em;"> '
            f'({feedback_text("exercise", self.lang)} '
            f"{html.escape(self.exercise_id)})</span></div>"
        )

    def _repr_markdown_(self) -> str:
        return self._repr_html_()


@dataclass(frozen=True, repr=False)
class Reveal:
    """A hint or a solution, displayed as Markdown in Jupyter; ``text`` holds the raw text.

    Examples
    --------
    >>> Reveal("00.1", "hint", "Count the rows.")
    Hint: Count the rows.
    """

    exercise_id: str
    kind: Literal["hint", "solution"]
    text: str
    lang: str = "en"

    def __str__(self) -> str:
        if self.kind == "hint":
            return f"{feedback_text('hint', self.lang)}: {self.text}"
        return f"{feedback_text('solution', self.lang)}:\n{self.text}"

    __repr__ = __str__

    def _repr_markdown_(self) -> str:
        if self.kind == "hint":
            return f"**{feedback_text('hint', self.lang)} ({self.exercise_id}):** {self.text}"
        return (f"**{feedback_text('solution', self.lang)} ({self.exercise_id}):**\n\n"
                f"```python\n{self.text.strip()}\n```")

    def _repr_html_(self) -> str:
        if self.kind == "hint":
            return (f'<div style="border-left: 4px solid #0072B2; padding: 0.3em 0.8em;">'
                    f"<b>{feedback_text('hint', self.lang)} ({html.escape(self.exercise_id)}):</b> "
                    f"{html.escape(self.text)}</div>")
        return (f'<div style="border-left: 4px solid #0072B2; padding: 0.3em 0.8em;">'
                f"<b>{feedback_text('solution', self.lang)} "
                f"({html.escape(self.exercise_id)}):</b>"
                f"<pre><code>{html.escape(self.text.strip())}</code></pre></div>")


# --- registry -------------------------------------------------------------------------------

_REGISTRY: dict[str, Exercise] = {}
#: Exercise id -> the last status `check` gave in this session (read by `progress`).
_SESSION: dict[str, Status] = {}


def _id_key(exercise_id: str) -> tuple[int, int, str]:
    chapter, _, rest = exercise_id.partition(".")
    number = re.match(r"\d+", rest)
    return (int(chapter), int(number.group()) if number else 0, rest)


def register(exercise: Exercise, *, replace: bool = False) -> Exercise:
    """Add an exercise to the registry that `check`, `hint` and `solution` read.

    Parameters
    ----------
    exercise
        The exercise.
    replace
        Allow replacing an exercise with the same id (for module reloads).

    Returns
    -------
    Exercise
        ``exercise``, so a chapter module can write ``EX1 = register(Exercise(...))``.

    Raises
    ------
    TypeError
        If ``exercise`` is not an `Exercise`.
    ValueError
        If the id is taken and ``replace`` is False.

    Examples
    --------
    >>> ex = Exercise("99.1", "Say hi.", lambda a: None, hint="h", solution="'hi'")
    >>> with registry_override():
    ...     _ = register(ex)
    ...     register(ex)
    Traceback (most recent call last):
    ...
    ValueError: exercise id '99.1' is already registered; pass replace=True to replace it
    """
    if not isinstance(exercise, Exercise):
        raise TypeError(f"exercise must be an Exercise; got {type(exercise).__name__}")
    if exercise.id in _REGISTRY and not replace:
        raise ValueError(
            f"exercise id {exercise.id!r} is already registered; pass replace=True to replace it"
        )
    _REGISTRY[exercise.id] = exercise
    return exercise


def _unregister(exercise_id: str) -> None:
    """Remove an exercise (tests); unknown ids are ignored."""
    _REGISTRY.pop(exercise_id, None)


def exercise_ids() -> tuple[str, ...]:
    """Return the registered exercise ids in chapter order.

    Examples
    --------
    >>> a = Exercise("99.10", "p", lambda a: None, hint="h", solution="s")
    >>> b = Exercise("99.2", "p", lambda a: None, hint="h", solution="s")
    >>> with registry_override(a, b):
    ...     exercise_ids()
    ('99.2', '99.10')
    """
    return tuple(sorted(_REGISTRY, key=_id_key))


@contextlib.contextmanager
def registry_override(*exercises: Exercise) -> Iterator[None]:
    """Swap in a registry holding only ``exercises`` for the ``with`` block (for tests).

    The previous registry is restored on exit, whatever happens inside.

    Examples
    --------
    >>> ex = Exercise("99.1", "p", lambda a: None, hint="h", solution="s")
    >>> with registry_override(ex):
    ...     "99.1" in exercise_ids()
    True
    >>> "99.1" in exercise_ids()
    False
    """
    saved = dict(_REGISTRY)
    session = dict(_SESSION)
    _REGISTRY.clear()
    _SESSION.clear()
    try:
        for exercise in exercises:
            register(exercise)
        yield
    finally:
        _REGISTRY.clear()
        _REGISTRY.update(saved)
        _SESSION.clear()
        _SESSION.update(session)


def _load_chapter(chapter: str) -> None:
    """Import ``revopslab.chapters.ch<chapter>`` and register its ``EXERCISES`` not yet known.

    A chapter module may register its exercises at import, list them in a
    module-level ``EXERCISES`` tuple, or both; the tuple also restores them
    after a `registry_override` block in which the module was first imported.
    """
    name = f"revopslab.chapters.ch{chapter}"
    try:
        module = importlib.import_module(name)
    except ModuleNotFoundError as exc:
        if exc.name in (name, "revopslab.chapters", "revopslab"):
            return
        raise
    for exercise in getattr(module, "EXERCISES", ()):
        if isinstance(exercise, Exercise) and exercise.id not in _REGISTRY:
            register(exercise)


def _lookup(exercise_id: str) -> Exercise:
    if not isinstance(exercise_id, str):
        raise TypeError(
            f"exercise_id must be a str like '00.1'; got {type(exercise_id).__name__} "
            f"{exercise_id!r}"
        )
    if exercise_id not in _REGISTRY and _ID_PATTERN.fullmatch(exercise_id):
        _load_chapter(exercise_id[:2])
    if exercise_id in _REGISTRY:
        return _REGISTRY[exercise_id]
    known = exercise_ids()
    close = difflib.get_close_matches(exercise_id, known, n=3, cutoff=0.6)
    suggestion = f" Did you mean {', '.join(map(repr, close))}?" if close else ""
    listing = ", ".join(known) if known else "none (is the chapter's module imported?)"
    raise KeyError(f"unknown exercise id {exercise_id!r}.{suggestion} Known ids: {listing}")


# --- learner-facing functions ---------------------------------------------------------------


def is_placeholder(answer: Any) -> bool:
    """Whether ``answer`` is still a placeholder: None, ``...`` or a string of underscores.

    Examples
    --------
    >>> is_placeholder(____), is_placeholder(...), is_placeholder(None), is_placeholder(0)
    (True, True, True, False)
    """
    if answer is None or answer is Ellipsis:
        return True
    return isinstance(answer, str) and re.fullmatch(r"_{2,}", answer.strip()) is not None


def _plain(value: Any) -> Any:
    return value.item() if isinstance(value, np.generic) else value


def _short(value: Any, limit: int = 40) -> str:
    text = repr(_plain(value))
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def _count_ja(n: int, unit: str) -> str:
    return f"{n}{unit}"


def _describe(answer: Any) -> Say:
    """Describe an answer's kind (and, for scalars, the learner's own value), in both languages.

    Examples
    --------
    >>> _describe([1, 2]).en, _describe([1, 2]).ja
    ('a list of 2 items', '要素2個のlist')
    """
    if isinstance(answer, pd.DataFrame):
        rows, cols = len(answer), answer.shape[1]
        return Say(en=feedback_text("a_frame", "en", rows=_count(rows, "row"),
                                    columns=_count(cols, "column")),
                   ja=feedback_text("a_frame", "ja", rows=_count_ja(rows, "行"),
                                    columns=_count_ja(cols, "列")))
    if isinstance(answer, pd.Series):
        return say("a_series", n=len(answer))
    if isinstance(answer, pd.Index):
        return say("an_index", n=len(answer))
    if isinstance(answer, np.ndarray):
        return say("an_array", shape=answer.shape)
    answer = _plain(answer)
    if isinstance(answer, str):
        return say("the_string", value=_echo(answer))
    if isinstance(answer, bool):
        return say("the_bool", value=answer)
    if isinstance(answer, numbers.Number):
        return say("the_number", value=_short(answer))
    if isinstance(answer, list | tuple | set | frozenset | dict):
        n = len(answer)
        return Say(en=feedback_text("a_collection", "en", type=type(answer).__name__,
                                    items=_count(n, "item")),
                   ja=feedback_text("a_collection", "ja", type=type(answer).__name__,
                                    items=_count_ja(n, "個")))
    return say("a_value", type=type(answer).__name__)


def check(exercise_id: str, answer: Any, *, show_expected: bool = False,
          lang: str | None = None) -> CheckResult:
    """Check a learner's answer to an exercise.

    Never raises because of the answer: a placeholder (None, ``...``,
    ``"____"``) reads as not attempted, and a checker that crashes on an
    answer of the wrong kind gives an incorrect result naming the kind it
    expects. The chapter of an id not registered yet is imported on first
    use (``"03.2"`` imports ``revopslab.chapters.ch03`` if it exists, which
    registers its exercises at import or lists them in ``EXERCISES``).

    Parameters
    ----------
    exercise_id
        The exercise's id, such as ``"00.1"``.
    answer
        The learner's answer.
    show_expected
        For trainers (the solutions notebooks): a correct result also shows
        the expected value or choice, computed for the bound company.
    lang
        Language of the feedback, ``"en"`` or ``"ja"``; None (the default) speaks the
        notebook's bound language (`revopslab._lang.get_lang`, bound by
        ``set_theme(lang=...)``).

    Returns
    -------
    CheckResult
        Shows green "Correct", orange "Not attempted yet" or red "Not quite"
        in Jupyter; ``.correct`` and ``.status`` hold the verdict.

    Raises
    ------
    KeyError
        If ``exercise_id`` is unknown (a slip in the notebook, not in the
        answer); the message lists the known ids.
    ExerciseError
        If the exercise itself is broken, for example its expected answer
        cannot be computed.

    Examples
    --------
    >>> ex = Exercise("99.1", "What is 6 × 7?", expect_number(lambda: 6 * 7),
    ...               hint="Multiply.", solution="6 * 7")
    >>> with registry_override(ex):
    ...     print(check("99.1", 6 * 7))
    ...     print(check("99.1", ____))
    ...     print(check("99.1", 50))
    ...     print(check("99.1", "forty-two"))
    Correct
    Not attempted yet — replace the placeholder ____ with your answer, then run the cell again.
    Not quite: your answer is too high (10–50% off).
    Not quite: your answer should be a single number, but it is the string 'forty-two'.
    """
    exercise = _lookup(exercise_id)
    lang = resolve_lang(lang)
    with language(lang):  # nested checkers and Says speak the language asked for
        result = _check(exercise, answer, lang)
    if result.status == "correct" and show_expected:
        text = exercise.expected_text(lang)
        if text:
            result = CheckResult(exercise.id, "correct",
                                 feedback_text("expected", lang, value=text), lang)
    status = result.status if _SESSION.get(exercise.id) != "correct" else "correct"
    _SESSION.pop(exercise.id, None)  # the last checked comes last (progress' default)
    _SESSION[exercise.id] = status  # a later slip does not undo a success
    return result


def _check(exercise: Exercise, answer: Any, lang: str) -> CheckResult:
    if is_placeholder(answer):
        return CheckResult(exercise.id, "not_attempted",
                           feedback_text("nudge", lang, placeholder=PLACEHOLDER), lang)
    try:
        outcome = exercise.checker(answer)
    except Incorrect as exc:
        outcome = exc.say
    except ExerciseError as exc:
        raise ExerciseError(f"exercise {exercise.id} is broken: {exc}") from exc
    except Exception:
        expects = getattr(exercise.checker, "expects", None)
        if expects:
            message = say("unchecked_expects", expects=expects, what=_describe(answer))
        else:
            message = say("unchecked", what=_describe(answer))
        return CheckResult(exercise.id, "incorrect", message.in_(lang), lang)
    if outcome is None:
        return CheckResult(exercise.id, "correct", "", lang)
    outcome = _in(outcome, lang)
    if isinstance(outcome, str) and outcome.strip():
        return CheckResult(exercise.id, "incorrect", outcome.strip(), lang)
    raise ExerciseError(
        f"the checker of exercise {exercise.id} returned {type(outcome).__name__} "
        f"{_short(outcome)}; a checker returns None (correct) or a non-empty message str"
    )


def hint(exercise_id: str, *, lang: str | None = None) -> Reveal:
    """Return the hint of an exercise (shown as Markdown in Jupyter).

    ``lang`` is ``"en"`` or ``"ja"``; None (the default) speaks the bound language.

    Raises
    ------
    KeyError
        If ``exercise_id`` is unknown.

    Examples
    --------
    >>> ex = Exercise("99.1", "What is 6 × 7?", expect_number(lambda: 42),
    ...               hint="Multiply the two numbers.", solution="6 * 7")
    >>> with registry_override(ex):
    ...     hint("99.1")
    Hint: Multiply the two numbers.
    """
    exercise = _lookup(exercise_id)
    lang = resolve_lang(lang)
    return Reveal(exercise.id, "hint", exercise.hint_in(lang), lang)


def solution(exercise_id: str, *, lang: str | None = None) -> Reveal:
    """Return the solution code of an exercise (shown as a code block in Jupyter).

    ``lang`` is ``"en"`` or ``"ja"``; None (the default) speaks the bound language: the
    Japanese solution has the same code with its comments in Japanese.

    Raises
    ------
    KeyError
        If ``exercise_id`` is unknown.

    Examples
    --------
    >>> ex = Exercise("99.1", "What is 6 × 7?", expect_number(lambda: 42),
    ...               hint="Multiply.", solution="answer = 6 * 7")
    >>> with registry_override(ex):
    ...     solution("99.1").text
    'answer = 6 * 7'
    """
    exercise = _lookup(exercise_id)
    lang = resolve_lang(lang)
    return Reveal(exercise.id, "solution", exercise.solution_in(lang), lang)


def expected(exercise_id: str, *, lang: str | None = None) -> str | None:
    """Return the expected answer of an exercise as text, for trainers.

    It is computed for the company the chapter's exercises are bound to, so
    it is the answer of the notebook's own seed. None when the checker
    cannot state it.

    Examples
    --------
    >>> ex = Exercise("99.1", "What is 6 × 7?", expect_number(lambda: 42),
    ...               hint="Multiply.", solution="answer = 6 * 7")
    >>> with registry_override(ex):
    ...     expected("99.1")
    '42'
    """
    return _lookup(exercise_id).expected_text(lang)


@dataclass(frozen=True, repr=False)
class Progress:
    """Which exercises of a chapter were checked in this session, displayed as a table.

    Attributes
    ----------
    chapter
        Two-digit chapter number.
    rows
        ``(exercise id, stars, status)`` for each exercise, status being
        ``"correct"``, ``"incorrect"`` (tried, not solved yet) or
        ``"not_attempted"``.
    """

    chapter: str
    rows: tuple[tuple[str, str, str], ...]
    lang: str = "en"

    @property
    def done(self) -> tuple[str, ...]:
        """The ids answered correctly."""
        return tuple(i for i, _, status in self.rows if status == "correct")

    def _mark(self, status: str) -> str:
        return feedback_text(f"mark_{status}", self.lang)

    def _title(self) -> str:
        chapter = self.chapter if self.lang == "en" else str(int(self.chapter))  # 第3章
        return feedback_text("progress_title", self.lang, chapter=chapter,
                             done=len(self.done), total=len(self.rows))

    def __str__(self) -> str:
        lines = [self._title()]
        lines += [f"  {i:<6} {stars:<4} {self._mark(status)}" for i, stars, status in self.rows]
        return "\n".join(lines)

    __repr__ = __str__

    def _repr_html_(self) -> str:
        cells = "".join(
            f"<tr><td>{html.escape(i)}</td><td>{stars}</td>"
            f'<td style="color: {_COLORS[status]}">{self._mark(status)}</td></tr>'
            for i, stars, status in self.rows)
        title, _, rest = self._title().partition(":" if self.lang == "en" else "：")
        head = "".join(f"<th>{feedback_text(key, self.lang)}</th>"
                       for key in ("col_exercise", "col_level", "col_status"))
        colon = ":" if self.lang == "en" else "："
        return (f"<p><b>{html.escape(title)}{colon}</b>{html.escape(rest)}</p>"
                f"<table><tr>{head}</tr>{cells}</table>")


def progress(chapter: str | None = None, *, lang: str | None = None) -> Progress:
    """Show which exercises of a chapter are done in this session (for self-study).

    Parameters
    ----------
    chapter
        Two-digit chapter such as ``"03"``; None takes the chapter of the
        exercise checked last.
    lang
        ``"en"`` or ``"ja"``; None (the default) speaks the bound language.

    Returns
    -------
    Progress
        One row per exercise of the chapter: done, tried or not yet.

    Raises
    ------
    ValueError
        If ``chapter`` is not two digits, or it is None and nothing was
        checked yet.

    Examples
    --------
    >>> a = Exercise("99.1", "p", expect_number(lambda: 1), hint="h", solution="s")
    >>> b = Exercise("99.2", "p", expect_number(lambda: 2), hint="h", solution="s", stars=2)
    >>> with registry_override(a, b):
    ...     _ = check("99.1", 1)
    ...     print(progress("99"))
    Chapter 99: 1 of 2 exercises done in this session
      99.1   ★    done
      99.2   ★★   not yet
    """
    if chapter is None:
        if not _SESSION:
            raise ValueError("chapter must be given (such as '03') until an exercise is "
                             "checked in this session")
        chapter = list(_SESSION)[-1][:2]
    if not isinstance(chapter, str) or not re.fullmatch(r"\d{2}", chapter):
        raise ValueError(f"chapter must be two digits such as '03'; got {chapter!r}")
    _load_chapter(chapter)
    ids = [i for i in exercise_ids() if i[:2] == chapter]
    rows = tuple((i, _REGISTRY[i].label, _SESSION.get(i, "not_attempted")) for i in ids)
    return Progress(chapter, rows, resolve_lang(lang))


# --- checker builders -----------------------------------------------------------------------


def _require_callable(value: Any, name: str) -> None:
    if not callable(value):
        raise TypeError(
            f"{name} must be a callable taking no arguments that computes the expected answer "
            f"at check time; got {type(value).__name__}"
        )


def _require_tolerance(value: Any, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not value >= 0:
        raise ValueError(f"{name} must be a number >= 0; got {value!r}")
    return float(value)


def _expected(compute: Callable[[], Any], what: str) -> Any:
    try:
        return compute()
    except Exception as exc:
        raise ExerciseError(
            f"computing the expected {what} failed with {type(exc).__name__}: {exc}"
        ) from exc


def _as_real(answer: Any, name: Say) -> float:
    """Read a learner's answer as a float, or raise Incorrect naming what it is."""
    if isinstance(answer, np.ndarray) and answer.ndim == 0:
        answer = answer.item()
    if isinstance(answer, bool | np.bool_):
        raise Incorrect(say("not_a_number", name=name, what=_describe(answer)))
    if isinstance(answer, numbers.Real | Decimal):
        return float(answer)
    if isinstance(answer, pd.Series | pd.DataFrame | pd.Index | np.ndarray) and answer.size == 1:
        raise Incorrect(say("not_single_item", name=name, what=_describe(answer)))
    raise Incorrect(say("not_single", name=name, what=_describe(answer)))


#: Ratios that point at a classic slip (a phrase of the feedback table), checked before the
#: plain "too high/low" wording.
_SLIPS: tuple[tuple[float, str], ...] = (
    (12.0, "slip_12"),
    (100.0, "slip_100"),
    (1_000.0, "slip_1000"),
    (10_000.0, "slip_10000"),
)


def _how_far(value: float, expected: float, name: Say) -> Say:
    direction = say("high" if value > expected else "low")
    if expected == 0:
        return say("off_zero", name=name, direction=direction)
    ratio = value / expected
    if ratio < 0:
        return say("wrong_sign", name=name)
    for factor, why in _SLIPS:
        if math.isclose(ratio, factor, rel_tol=0.02):
            return say("slip_high", name=name, factor=f"{factor:,.0f}", why=say(why))
        if math.isclose(ratio, 1 / factor, rel_tol=0.02):
            return say("slip_low", name=name, factor=f"{factor:,.0f}", why=say(why))
    off = abs(ratio - 1)
    band = "off_1" if off < 0.01 else "off_10" if off < 0.10 else "off_50" if off < 0.50 \
        else "off_more"
    return say(band, name=name, direction=direction)


def _shown_decimals(value: float) -> int:
    """Decimal places the learner typed (``0.018`` -> 3, ``1.8`` -> 1, ``12`` -> 0)."""
    if not math.isfinite(value) or value == int(value):
        return 0
    return max(0, -Decimal(repr(float(value))).as_tuple().exponent)


def _unit(expected: float, decimals: int | None, sig: int | None) -> float | None:
    """The last digit's place of the precision the prompt asks for (None: no precision)."""
    if decimals is not None:
        return 10.0 ** -decimals
    if sig is not None:
        if expected == 0:
            return None
        return 10.0 ** (math.floor(math.log10(abs(expected))) - sig + 1)
    return None


def _matches(value: float, target: float, unit: float | None, rel_tol: float,
             abs_tol: float) -> bool:
    """Whether ``value`` is ``target`` given to the precision ``unit`` (or to the tolerances)."""
    if unit is not None and abs(value - target) <= unit / 2 * (1 + 1e-9) + 1e-12:
        return True
    return math.isclose(value, target, rel_tol=rel_tol, abs_tol=abs_tol)


def _wanted(decimals: int | None, sig: int | None) -> Say:
    """The precision the prompt asks for, as the "rounded too coarsely" message says it."""
    if decimals is not None:
        key = "whole" if decimals == 0 else "decimal" if decimals == 1 else "decimals"
        return say(key, n=decimals)
    return say("sig", n=sig)


def _precision_phrase(decimals: int | None, sig: int | None, fraction: bool) -> str | None:
    what = "as a fraction (not a percentage), " if fraction else ""
    if decimals is not None:
        places = "decimal place" if decimals == 1 else "decimal places"
        return f"{what}to {decimals} {places}" if decimals else f"{what}as a whole number"
    if sig is not None:
        return f"{what}to {sig} significant figures"
    return what.rstrip(", ") or None


def _rounded_text(expected: float, decimals: int | None, sig: int | None) -> str:
    """The expected value as the prompt's precision shows it."""
    if decimals is not None:
        return f"{round(expected, decimals):,.{decimals}f}"
    if sig is not None and expected != 0:
        places = sig - 1 - math.floor(math.log10(abs(expected)))
        return f"{round(expected, places):,.{max(0, places)}f}"
    return f"{expected:,.6g}"


def _rounded(expected: float, decimals: int | None, sig: int | None) -> float:
    if decimals is not None:
        return round(expected, decimals)
    if sig is not None and expected != 0:
        return round(expected, sig - 1 - math.floor(math.log10(abs(expected))))
    return expected


def expect_number(
    compute_expected: Callable[[], float],
    *,
    rel_tol: float = 1e-3,
    abs_tol: float = 1e-9,
    decimals: int | None = None,
    sig: int | None = None,
    fraction: bool = False,
    mistakes: Mapping[Say | str, Callable[[], float]] | None = None,
    name: str | Say = "your answer",
) -> Checker:
    """Build a checker for a numeric answer, marked to the precision the prompt asks for.

    The expected value comes from ``compute_expected()`` at check time (for
    example from the company's data), so no answer is written in the
    notebook. With ``decimals`` or ``sig`` an answer passes when it equals
    the expected value to that precision (``0.018`` for 0.01843 to 3 decimal
    places), or more precisely. Wrong answers get, in order: the diagnosis
    of a known mistake (``mistakes``), a percentage given for a fraction (at
    any size and the precision typed), an answer rounded more coarsely than
    asked, a likely slip when the answer is about 12, 100, 1,000 or 10,000
    times off, else "too high" or "too low" in coarse relative bands (under
    1%, 1–10%, 10–50%, more); never the value.

    Parameters
    ----------
    compute_expected
        Callable with no arguments returning the expected number.
    rel_tol, abs_tol
        Tolerances of `math.isclose`, used when no precision is given (the
        default relative tolerance of 0.1% accepts answers rounded to four
        significant figures) and in addition to it.
    decimals, sig
        The precision the prompt states: decimal places, or significant
        figures (give at most one).
    fraction
        The answer is a fraction (0.25); a percentage (25) is diagnosed.
    mistakes
        Diagnosis -> callable computing the value a common mistake gives;
        an answer equal to it (to the same precision) gets the diagnosis.
        Write each diagnosis as a `Say` (both languages, one home).
    name
        What the messages call the answer, e.g. ``Say(en="your MRR",
        ja="あなたのMRR")``; a plain str is English only (the Japanese
        messages then say あなたの答え).

    Returns
    -------
    Checker
        Expects a single int or float (NumPy scalars included); its
        ``expected_text`` shows the value at the prompt's precision and its
        ``precision`` the phrase the prompt must contain.

    Raises
    ------
    TypeError, ValueError
        If an option is invalid.

    Examples
    --------
    >>> mrr = expect_number(lambda: 3_750_000, name="your MRR")
    >>> mrr(3_750_000) is None
    True
    >>> mrr(45_000_000)
    'your MRR is about 12 times too high — monthly vs annual figures?'
    >>> mrr(3_500_000)
    'your MRR is a little too low (1–10% off).'
    >>> mrr([1, 2])
    'your MRR should be a single number, but it is a list of 2 items.'
    >>> share = expect_number(lambda: 0.01843, decimals=3, fraction=True, name="your share")
    >>> share(0.018) is None, share(0.0184) is None
    (True, True)
    >>> share(1.8)
    'your share looks like a percentage: give it as a fraction (0.25, not 25).'
    >>> share(0.02)
    'your share is rounded too coarsely: give it to 3 decimal places.'
    >>> share.precision, share.expected_text()
    ('as a fraction (not a percentage), to 3 decimal places', '0.018')
    >>> from revopslab._lang import language
    >>> with language("ja"):
    ...     share(0.02)
    'あなたの答えは丸めが粗すぎます。小数第3位まで答えてください。'
    """
    _require_callable(compute_expected, "compute_expected")
    rel_tol = _require_tolerance(rel_tol, "rel_tol")
    abs_tol = _require_tolerance(abs_tol, "abs_tol")
    name = _name(name)
    if decimals is not None and sig is not None:
        raise ValueError(f"give decimals or sig, not both; got decimals={decimals}, sig={sig}")
    for label, count, low in (("decimals", decimals, 0), ("sig", sig, 1)):
        if count is not None and (isinstance(count, bool) or not isinstance(count, int)
                                  or count < low):
            raise ValueError(f"{label} must be None or an int >= {low}; got {count!r}")
    mistakes = dict(mistakes or {})
    for message, compute in mistakes.items():
        if not isinstance(message, Say) and (not isinstance(message, str)
                                             or not message.strip()):
            raise TypeError(f"mistakes must map a diagnosis (a Say or a non-empty str) to a "
                            f"callable; got key {message!r}")
        _require_callable(compute, f"mistakes[{message!r}]")

    def value_expected() -> float:
        raw = _expected(compute_expected, "number")
        try:
            value = float(raw)
        except (TypeError, ValueError) as exc:
            raise ExerciseError(
                f"compute_expected must return a number; got {type(raw).__name__}"
            ) from exc
        if not math.isfinite(value):
            raise ExerciseError(f"compute_expected returned {value}; expected a finite number")
        return value

    def check_number(answer: Any) -> Say | str | None:
        value = _as_real(answer, name)
        expected = value_expected()
        if math.isnan(value):
            return say("nan", name=name)
        unit = _unit(expected, decimals, sig)
        if _matches(value, expected, unit, rel_tol, abs_tol):
            return None
        if math.isinf(value):
            return say("infinite", name=name)
        for message, compute in mistakes.items():
            wrong = float(_expected(compute, "mistaken number"))
            if math.isfinite(wrong) and not _matches(expected, wrong, unit, rel_tol, abs_tol) \
                    and _matches(value, wrong, _unit(wrong, decimals, sig), rel_tol, abs_tol):
                return message
        if fraction and expected != 0:
            shown = 10.0 ** -(_shown_decimals(value) + 2)
            if _matches(value / 100, expected, max(shown, unit or 0.0), 0.02, abs_tol):
                return say("percentage", name=name)
        if unit is not None and _shown_decimals(value) < _shown_decimals(
                _rounded(expected, decimals, sig)) and _matches(
                value, expected, 10.0 ** -_shown_decimals(value), 0.0, 0.0):
            return say("coarse", name=name, wanted=_wanted(decimals, sig))
        return _how_far(value, expected, name)

    def text() -> str:
        return _rounded_text(value_expected(), decimals, sig)

    def typed() -> float:
        return _rounded(value_expected(), decimals, sig)

    return Checker(check_number, expects=say("expects_number"),
                   expected_text=text, typed=typed,
                   precision=_precision_phrase(decimals, sig, fraction))


_US_SPELLING = re.compile(r"(?<=[a-z])(i|y)z(e|ed|es|ing|ation|ations|er|ers)\b")


def _spelling(text: str) -> str:
    """Fold what learners type differently: case, width, spaces, '-', '_', '&', US -ize.

    Examples
    --------
    >>> _spelling("Centralized"), _spelling("data management & insights")
    ('centralised', 'data management and insights')
    >>> _spelling("  first-come ")
    'first come'
    """
    text = unicodedata.normalize("NFKC", text).casefold().strip().strip("'\"")
    text = text.replace("&", " and ")
    text = re.sub(r"[\s_\-]+", " ", text).strip()
    return _US_SPELLING.sub(lambda m: f"{m.group(1)}s{m.group(2)}", text)


def _find_option(answer: Any, options: Sequence[Any],
                 aliases: Mapping[str, Any] | None = None) -> tuple[bool, Any]:
    """Return (found, option) matching ``answer`` exactly, else up to spelling, else an alias."""
    answer = _plain(answer)
    for option in options:
        if not (isinstance(answer, str | numbers.Number) or type(answer) is type(option)):
            continue
        try:
            if bool(answer == option):
                return True, option
        except (TypeError, ValueError):
            continue
    if isinstance(answer, str):
        folded = _spelling(answer)
        matches = [o for o in options if isinstance(o, str) and _spelling(o) == folded]
        if len(matches) == 1:
            return True, matches[0]
        for alias, option in (aliases or {}).items():
            if _spelling(alias) == folded:
                return True, option
    return False, None


def expect_choice(
    correct: Hashable | Callable[[], Hashable],
    *,
    options: Sequence[Hashable],
    feedback: Mapping[Hashable, Say | str] | None = None,
    aliases: Mapping[str, Hashable] | None = None,
) -> Checker:
    """Build a checker for a multiple-choice answer.

    String answers also match an option spelt differently: case, width,
    surrounding spaces or quotes, ``-``/``_`` for a space, ``&`` for "and"
    and US ``-ize`` for ``-ise`` do not matter, and ``aliases`` maps other
    labels (such as the notebook's own label for an option) to an option. A
    wrong option is named (it is the learner's own) with its ``feedback``
    if any, never the right one; an answer that is not an option gets the
    list of options.

    Parameters
    ----------
    correct
        The right option, or a callable with no arguments computing it at
        check time (when it depends on the company).
    options
        All options, in the order the prompt lists them.
    feedback
        Optional message per wrong option, saying why it is wrong (the
        diagnosis of the commonest wrong choice), as a `Say`.
    aliases
        Other labels accepted for an option: label -> option.

    Returns
    -------
    Checker
        Expects one of ``options``.

    Raises
    ------
    ValueError
        If ``options`` is empty or repeats an option, ``correct`` is not an
        option, or ``feedback`` or ``aliases`` name a non-option.

    Examples
    --------
    >>> q = expect_choice("B", options=["A", "B", "C"],
    ...                   feedback={"A": "A counts leads, not accounts."})
    >>> q("b") is None
    True
    >>> q("A")
    "'A' is not the right choice. A counts leads, not accounts."
    >>> q("D")
    "'D' is not one of the options: 'A', 'B', 'C'."
    >>> gov = expect_choice("centralised", options=["centralised", "hybrid"])
    >>> gov("centralized") is None, gov.expected_text()
    (True, "'centralised'")

    In Japanese, an option that is an English phrase is named by its position, so the
    feedback stays Japanese:

    >>> from revopslab._lang import language
    >>> lens = expect_choice("lifetime value", options=["lifetime value", "this quarter's deals"])
    >>> with language("ja"):
    ...     lens("this quarter's deals"), gov("hybrid")
    ('2番目の選択肢は正しい選択肢ではありません。', "'hybrid'は正しい選択肢ではありません。")
    """
    options = tuple(options)
    if len(options) < 2:
        raise ValueError(f"options must list at least two choices; got {options!r}")
    if len(set(options)) != len(options):
        raise ValueError(f"options must not repeat a choice; got {options!r}")
    if not callable(correct) and correct not in options:
        raise ValueError(f"correct must be one of options {options!r}; got {correct!r}")
    feedback = dict(feedback or {})
    unknown = [key for key in feedback if key not in options]
    if unknown:
        raise ValueError(f"feedback keys must be options {options!r}; got {unknown!r}")
    aliases = dict(aliases or {})
    stray = [value for value in aliases.values() if value not in options]
    if stray:
        raise ValueError(f"aliases must map labels to options {options!r}; got {stray!r}")
    listing = ", ".join(map(repr, options))
    numbered = all(aliases.get(str(i)) == option for i, option in enumerate(options))
    if all(not _ENGLISH_RUN.search(repr(option)) for option in options):
        listing_ja = listing
    elif numbered:
        listing_ja = f"番号0〜{len(options) - 1}、またはその文字列"
    else:
        listing_ja = f"問題文が挙げる{len(options)}つの文字列のどれか"

    def named(option: Hashable) -> Say:
        """The option as the feedback names it: itself, or (in Japanese, for an English
        phrase) its position in the prompt's list."""
        shown = repr(option)
        if not _ENGLISH_RUN.search(shown):
            return Say(en=shown, ja=shown)
        index = options.index(option)
        return Say(en=shown, ja=f"番号{index}の選択肢" if numbered else f"{index + 1}番目の選択肢")

    def right() -> Hashable:
        if not callable(correct):
            return correct
        value = _expected(correct, "choice")
        if value not in options:
            raise ExerciseError(f"the computed right choice {value!r} is not an option")
        return value

    def check_choice(answer: Any) -> Say | None:
        found, option = _find_option(answer, options, aliases)
        if not found:
            plain = _plain(answer)
            simple = isinstance(plain, str | numbers.Number) and not isinstance(plain, bool)
            what = _echo(plain) if simple else _describe(answer)
            return Say(en=feedback_text("not_option", "en", what=what, listing=listing),
                       ja=feedback_text("not_option", "ja", what=what, listing=listing_ja))
        if option == right():
            return None
        extra = feedback.get(option)
        verdict = say("wrong_choice", option=named(option))
        if not extra:
            return verdict
        return Say(en=f"{verdict.en} {_in(extra, 'en')}", ja=verdict.ja + _in(extra, "ja"))

    return Checker(check_choice,
                   expects=Say(en=feedback_text("expects_choice", "en", listing=listing),
                               ja=feedback_text("expects_choice", "ja", listing=listing_ja)),
                   expected_text=lambda: repr(right()), typed=right)


def expect_set(compute_expected: Callable[[], Any], *,
               name: str | Say = "your answer") -> Checker:
    """Build a checker for an answer that is a collection of items, order and repeats ignored.

    Wrong answers are told how many expected items are missing and which of
    their items should not be there (up to five); the missing items are not
    named.

    Parameters
    ----------
    compute_expected
        Callable with no arguments returning the expected items (any iterable).
    name
        What the messages call the answer (a `Say`, or an English str).

    Returns
    -------
    Checker
        Expects a list, tuple, set, NumPy array, pandas Series or Index (any
        iterable but a string, a mapping or a DataFrame).

    Raises
    ------
    TypeError
        If ``compute_expected`` is not callable or ``name`` is not a str.

    Examples
    --------
    >>> stages = expect_set(lambda: {"sal", "sgl"}, name="your stages")
    >>> stages(["sgl", "sal", "sal"]) is None
    True
    >>> stages(["sal", "sql"])
    "your stages have 1 item that should not be there ('sql') and miss 1 expected item."
    """
    _require_callable(compute_expected, "compute_expected")
    name = _name(name)

    def check_items(answer: Any) -> Say | None:
        if isinstance(answer, str | bytes | Mapping | pd.DataFrame) or not isinstance(
            answer, Iterable
        ):
            raise Incorrect(say("not_collection", name=name, what=_describe(answer)))
        try:
            items = answer.ravel().tolist() if isinstance(answer, np.ndarray) else answer
            given = {_plain(item) for item in items}
        except TypeError:
            raise Incorrect(say("unhashable", name=name)) from None
        expected = {_plain(item) for item in _expected(compute_expected, "items")}
        extra = given - expected
        missing = expected - given
        if not extra and not missing:
            return None
        shown_items = sorted(map(_short, extra))[:5]
        shown = Say(en=", ".join(shown_items), ja="、".join(shown_items)) \
            + (", …" if len(extra) > 5 else "") if extra else ""
        counts = {
            "extra": Say(en=f"{len(extra)} item that should" if len(extra) == 1
                         else f"{len(extra)} items that should", ja=f"{len(extra)}個"),
            "missing": Say(en=_count(len(missing), "expected item"), ja=f"{len(missing)}個"),
        }
        if extra and missing:
            return say("set_extra_missing", name=name, shown=shown, **counts)
        if extra:
            return say("set_extra", name=name, shown=shown, extra=counts["extra"])
        return say("set_missing", name=name, missing=counts["missing"])

    def text() -> str:
        items = sorted({_plain(item) for item in _expected(compute_expected, "items")}, key=str)
        return repr(items)

    return Checker(check_items, expects=say("expects_set"),
                   expected_text=text,
                   typed=lambda: list(_expected(compute_expected, "items")))


def _labels(values: Sequence[Any], limit: int = 3) -> str:
    shown = ", ".join(_short(v, 30) for v in list(values)[:limit])
    return shown + (", …" if len(values) > limit else "")


def _align_rows(answer: pd.DataFrame, expected: pd.DataFrame, name: Say) -> pd.DataFrame:
    """Order the answer's rows like the expected ones by index label, or say what is off."""
    if answer.index.equals(expected.index):
        return answer
    if answer.index.is_unique and expected.index.is_unique:
        extra = answer.index.difference(expected.index)
        missing = expected.index.difference(answer.index)
        if len(extra) == 0 and len(missing) == 0:
            return answer.loc[expected.index]
    else:
        extra = answer.index[~answer.index.isin(expected.index)]
        missing = expected.index[~expected.index.isin(answer.index)]
        if len(extra) == 0 and len(missing) == 0:
            raise Incorrect(say("index_order", name=name))
    message = {lang: feedback_text("index_differs", lang, name=name) for lang in _PHRASES}
    if len(extra):
        for lang in message:
            message[lang] += feedback_text("index_extra", lang, labels=_labels(extra))
    if len(missing):
        for lang in message:
            message[lang] += feedback_text("index_missing", lang, n=len(missing),
                                           label=_short(missing[0], 30))
    message["en"] = message["en"].rstrip(";") + "."
    tip = None
    if isinstance(answer.index, pd.RangeIndex) and not isinstance(expected.index, pd.RangeIndex):
        tip = "index_lost"
    elif isinstance(expected.index, pd.RangeIndex):
        tip = "index_reset"
    if tip:
        for lang in message:
            message[lang] += feedback_text(tip, lang)
    raise Incorrect(Say(**message))


def _first_mismatch(got: pd.Series, want: pd.Series, rtol: float, atol: float) -> np.ndarray:
    """Return a boolean array marking rows where ``got`` differs from ``want``."""
    if _is_number_column(want):
        g = got.to_numpy(dtype=float, na_value=np.nan)
        w = want.to_numpy(dtype=float, na_value=np.nan)
        return ~np.isclose(g, w, rtol=rtol, atol=atol, equal_nan=True)
    g = got.astype(object).to_numpy()
    w = want.astype(object).to_numpy()
    same = np.array([_same(a, b) for a, b in zip(g, w, strict=True)], dtype=bool)
    return ~same


def _is_number_column(column: pd.Series) -> bool:
    dtype = column.dtype
    return pd.api.types.is_numeric_dtype(dtype) and not pd.api.types.is_bool_dtype(dtype)


def _same(a: Any, b: Any) -> bool:
    try:
        if pd.isna(a) and pd.isna(b):
            return True
    except (TypeError, ValueError):
        pass
    try:
        return bool(a == b)
    except (TypeError, ValueError):
        return False


def expect_frame(
    compute_expected: Callable[[], pd.DataFrame | pd.Series],
    *,
    columns: Sequence[Hashable] | None = None,
    check_index: bool = True,
    rtol: float = 1e-6,
    atol: float = 1e-8,
    name: str | Say = "your answer",
) -> Checker:
    """Build a checker for a DataFrame or Series answer.

    Checks, in order: the answer's type, the columns (missing ones are
    named; extra ones are ignored), the number of rows, the row labels
    (with ``check_index``: the same labels in any order; without it rows
    are compared by position) and the values, column by column (numbers
    with `numpy.isclose`, anything else with ``==``; NaN equals NaN). A
    value mismatch names the column and the first row label that differs,
    never the expected value. Dtypes are not compared (an int column equal
    to a float one passes).

    Parameters
    ----------
    compute_expected
        Callable with no arguments returning the expected DataFrame or Series.
    columns
        The columns to check; None checks every column of the expected frame.
    check_index
        Whether the row labels must match.
    rtol, atol
        Tolerances of `numpy.isclose` for numeric columns.
    name
        What the messages call the answer (a `Say`, or an English str).

    Returns
    -------
    Checker
        Expects a DataFrame (or a Series when the expected answer is one).

    Raises
    ------
    TypeError, ValueError
        If an option is invalid.

    Examples
    --------
    >>> import pandas as pd
    >>> def expected():
    ...     return pd.DataFrame({"leads": [120, 80], "won": [12, 4]},
    ...                         index=pd.Index(["SMB", "MM"], name="segment"))
    >>> table = expect_frame(expected)
    >>> table(expected().loc[["MM", "SMB"]]) is None
    True
    >>> table(expected()[["leads"]])
    "your answer is missing the column 'won'."
    >>> wrong = expected().assign(won=[12, 5])
    >>> table(wrong)
    "column 'won' of your answer differs first at row 'MM' (1 of 2 rows differ; yours: 5)."
    """
    _require_callable(compute_expected, "compute_expected")
    if columns is not None and (isinstance(columns, str) or not isinstance(columns, Sequence)):
        raise TypeError(f"columns must be a sequence of column names or None; got {columns!r}")
    if not isinstance(check_index, bool):
        raise TypeError(f"check_index must be a bool; got {check_index!r}")
    rtol = _require_tolerance(rtol, "rtol")
    atol = _require_tolerance(atol, "atol")
    name = _name(name)

    def check_frame(answer: Any) -> Say | None:
        expected = _expected(compute_expected, "frame")
        if isinstance(expected, pd.Series):
            if isinstance(answer, pd.DataFrame) and answer.shape[1] == 1:
                raise Incorrect(say("want_series_got_frame", name=name))
            if not isinstance(answer, pd.Series):
                raise Incorrect(say("want_series", name=name, what=_describe(answer)))
            want, got = expected.to_frame("values"), answer.to_frame("values")
            cols: list[Hashable] = ["values"]
        elif isinstance(expected, pd.DataFrame):
            if isinstance(answer, pd.Series):
                raise Incorrect(say("want_frame_got_series", name=name))
            if not isinstance(answer, pd.DataFrame):
                raise Incorrect(say("want_frame", name=name, what=_describe(answer)))
            want, got = expected, answer
            cols = list(expected.columns) if columns is None else list(columns)
            absent = [c for c in cols if c not in expected.columns]
            if absent:
                raise ExerciseError(f"columns {absent!r} are not in the expected frame")
            missing = [c for c in cols if c not in answer.columns]
            if missing:
                key = "missing_column" if len(missing) == 1 else "missing_columns"
                return say(key, name=name, columns=", ".join(map(repr, missing)))
            if not answer.columns.is_unique:
                return say("repeated_columns", name=name)
        else:
            raise ExerciseError(
                f"compute_expected must return a DataFrame or Series; got "
                f"{type(expected).__name__}"
            )
        if len(got) != len(want):
            return say("row_count", name=name, got=len(got), want=len(want))
        if check_index:
            got = _align_rows(got, want, name)
        else:
            got = got.reset_index(drop=True)
            want = want.reset_index(drop=True)
        series = isinstance(expected, pd.Series)
        for col in cols:
            what = say("values_of", name=name) if series else say("column_of", column=repr(col),
                                                                  name=name)
            if _is_number_column(want[col]) and not _is_number_column(got[col]):
                return say("not_numbers", what=what, dtype=got[col].dtype)
            differs = _first_mismatch(got[col], want[col], rtol, atol)
            if differs.any():
                where = int(np.argmax(differs))
                row = _plain(want.index[where]) if check_index else where
                mine = _short(got[col].iloc[where], 30)
                position = say("row_label", row=repr(row)) if check_index \
                    else say("row_position", row=row)
                return say("mismatch_series" if series else "mismatch_frame", what=what,
                           position=position, k=int(differs.sum()), n=len(differs), mine=mine)
        return None

    def text() -> Say:
        frame = _expected(compute_expected, "frame")
        kind = "Series" if isinstance(frame, pd.Series) else "DataFrame"
        return say("frame_below", kind=kind, table=frame.to_string())

    return Checker(check_frame, expects=say("expects_frame"), expected_text=text,
                   typed=lambda: _expected(compute_expected, "frame"))
