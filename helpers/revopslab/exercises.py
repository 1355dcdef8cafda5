"""Exercise feedback for the notebooks: exercises, a registry and reusable checkers."""

from __future__ import annotations

import contextlib
import difflib
import html
import importlib
import math
import numbers
import re
from collections.abc import Callable, Hashable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Literal

import numpy as np
import pandas as pd

__all__ = [
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
]

#: The placeholder the notebooks put where the learner's answer goes.
PLACEHOLDER = "____"
#: ``from revopslab.exercises import ____`` lets a cell read ``answer = ____``.
____ = PLACEHOLDER

Status = Literal["correct", "incorrect", "not_attempted"]

_ID_PATTERN = re.compile(r"\d{2}\.\d+[a-z]?")
_NOT_ATTEMPTED = (
    f"replace the placeholder {PLACEHOLDER} with your answer, then run the cell again."
)
_COLORS = {"correct": "#1a7f37", "not_attempted": "#b35900", "incorrect": "#c62828"}


class Incorrect(Exception):
    """Raise from a checker to reject the answer with ``message`` (what is off, not the answer).

    Examples
    --------
    >>> def positive(answer):
    ...     if answer <= 0:
    ...         raise Incorrect("it should be positive")
    >>> ex = Exercise("99.1", "A positive number.", positive, hint="> 0", solution="1")
    >>> with registry_override(ex):
    ...     print(check("99.1", -3))
    Not quite: it should be positive
    """

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class ExerciseError(RuntimeError):
    """An exercise is broken (its expected answer cannot be computed): a bug, not the learner's."""


@dataclass(frozen=True)
class Checker:
    """A checker function plus a phrase naming the kind of answer it expects.

    ``func(answer)`` returns None when the answer is right, or a message
    saying what is off; it may also raise `Incorrect`. ``expects`` (such as
    ``"a single number"``) is used when ``func`` crashes on an answer of the
    wrong kind. The ``expect_*`` builders return Checkers; plain functions
    work as checkers too.

    Examples
    --------
    >>> even = Checker(lambda n: None if n % 2 == 0 else "it is odd", expects="an int")
    >>> even(4) is None, even(3)
    (True, 'it is odd')
    """

    func: Callable[[Any], str | None]
    expects: str

    def __call__(self, answer: Any) -> str | None:
        try:
            return self.func(answer)
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

    @property
    def correct(self) -> bool:
        """Whether the answer was right."""
        return self.status == "correct"

    def __bool__(self) -> bool:
        return self.correct

    def _headline(self) -> str:
        return {"correct": "Correct", "incorrect": "Not quite:",
                "not_attempted": "Not attempted yet —"}[self.status]

    def __str__(self) -> str:
        return f"{self._headline()} {self.message}".rstrip()

    __repr__ = __str__

    def _repr_html_(self) -> str:
        color = _COLORS[self.status]
        return (
            f'<div style="border-left: 4px solid {color}; padding: 0.3em 0.8em;">'
            f'<span style="color: {color}; font-weight: bold;">{html.escape(self._headline())}'
            f"</span> {html.escape(self.message)}"
            f'<span style="color: #777; font-size: 0.85em;"> (exercise '
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

    def __str__(self) -> str:
        if self.kind == "hint":
            return f"Hint: {self.text}"
        return f"Solution:\n{self.text}"

    __repr__ = __str__

    def _repr_markdown_(self) -> str:
        if self.kind == "hint":
            return f"**Hint ({self.exercise_id}):** {self.text}"
        return f"**Solution ({self.exercise_id}):**\n\n```python\n{self.text.strip()}\n```"

    def _repr_html_(self) -> str:
        if self.kind == "hint":
            return (f'<div style="border-left: 4px solid #0072B2; padding: 0.3em 0.8em;">'
                    f"<b>Hint ({html.escape(self.exercise_id)}):</b> "
                    f"{html.escape(self.text)}</div>")
        return (f'<div style="border-left: 4px solid #0072B2; padding: 0.3em 0.8em;">'
                f"<b>Solution ({html.escape(self.exercise_id)}):</b>"
                f"<pre><code>{html.escape(self.text.strip())}</code></pre></div>")


# --- registry -------------------------------------------------------------------------------

_REGISTRY: dict[str, Exercise] = {}


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
    _REGISTRY.clear()
    try:
        for exercise in exercises:
            register(exercise)
        yield
    finally:
        _REGISTRY.clear()
        _REGISTRY.update(saved)


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


def _describe(answer: Any) -> str:
    """Describe an answer's kind (and, for scalars, the learner's own value)."""
    if isinstance(answer, pd.DataFrame):
        return (f"a DataFrame with {_count(len(answer), 'row')} and "
                f"{_count(answer.shape[1], 'column')}")
    if isinstance(answer, pd.Series):
        return f"a Series of length {len(answer)}"
    if isinstance(answer, pd.Index):
        return f"an Index of length {len(answer)}"
    if isinstance(answer, np.ndarray):
        return f"a NumPy array of shape {answer.shape}"
    answer = _plain(answer)
    if isinstance(answer, str):
        return f"the string {_short(answer)}"
    if isinstance(answer, bool):
        return f"the bool {answer}"
    if isinstance(answer, numbers.Number):
        return f"the number {_short(answer)}"
    if isinstance(answer, list | tuple | set | frozenset | dict):
        return f"a {type(answer).__name__} of {_count(len(answer), 'item')}"
    return f"a {type(answer).__name__}"


def check(exercise_id: str, answer: Any) -> CheckResult:
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
    if is_placeholder(answer):
        return CheckResult(exercise.id, "not_attempted", _NOT_ATTEMPTED)
    try:
        outcome = exercise.checker(answer)
    except Incorrect as exc:
        outcome = exc.message
    except ExerciseError as exc:
        raise ExerciseError(f"exercise {exercise.id} is broken: {exc}") from exc
    except Exception:
        expects = getattr(exercise.checker, "expects", None)
        if expects:
            message = (f"your answer could not be checked: this exercise expects {expects}, "
                       f"but your answer is {_describe(answer)}.")
        else:
            message = (f"your answer could not be checked: it is {_describe(answer)}, which is "
                       "not the kind of answer this exercise expects. Re-read the prompt.")
        return CheckResult(exercise.id, "incorrect", message)
    if outcome is None:
        return CheckResult(exercise.id, "correct")
    if isinstance(outcome, str) and outcome.strip():
        return CheckResult(exercise.id, "incorrect", outcome.strip())
    raise ExerciseError(
        f"the checker of exercise {exercise.id} returned {type(outcome).__name__} "
        f"{_short(outcome)}; a checker returns None (correct) or a non-empty message str"
    )


def hint(exercise_id: str) -> Reveal:
    """Return the hint of an exercise (shown as Markdown in Jupyter).

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
    return Reveal(exercise.id, "hint", exercise.hint)


def solution(exercise_id: str) -> Reveal:
    """Return the solution code of an exercise (shown as a code block in Jupyter).

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
    return Reveal(exercise.id, "solution", exercise.solution)


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


def _as_real(answer: Any, name: str) -> float:
    """Read a learner's answer as a float, or raise Incorrect naming what it is."""
    if isinstance(answer, np.ndarray) and answer.ndim == 0:
        answer = answer.item()
    if isinstance(answer, bool | np.bool_):
        raise Incorrect(f"{name} should be a number, but it is {_describe(answer)}.")
    if isinstance(answer, numbers.Real | Decimal):
        return float(answer)
    if isinstance(answer, pd.Series | pd.DataFrame | pd.Index | np.ndarray) and answer.size == 1:
        raise Incorrect(f"{name} should be a single number, but it is {_describe(answer)}; "
                        "take its value out with .item().")
    raise Incorrect(f"{name} should be a single number, but it is {_describe(answer)}.")


#: Ratios that point at a classic slip, checked before the plain "too high/low" wording.
_SLIPS: tuple[tuple[float, str], ...] = (
    (12.0, "monthly vs annual figures?"),
    (100.0, "a percentage vs a fraction?"),
    (1_000.0, "units of thousands?"),
    (10_000.0, "yen vs 万円?"),
)


def _how_far(value: float, expected: float, name: str) -> str:
    direction = "high" if value > expected else "low"
    if expected == 0:
        return f"{name} is too {direction}."
    ratio = value / expected
    if ratio < 0:
        return f"{name} has the wrong sign."
    for factor, why in _SLIPS:
        if math.isclose(ratio, factor, rel_tol=0.02):
            return f"{name} is about {factor:,.0f} times too high — {why}"
        if math.isclose(ratio, 1 / factor, rel_tol=0.02):
            return f"{name} is about {factor:,.0f} times too low — {why}"
    off = abs(ratio - 1)
    if off < 0.01:
        return (f"{name} is very close but a little too {direction} (less than 1% off): "
                "check rounding and the rows you included.")
    if off < 0.10:
        return f"{name} is a little too {direction} (1–10% off)."
    if off < 0.50:
        return f"{name} is too {direction} (10–50% off)."
    return f"{name} is far too {direction} (more than 50% off)."


def expect_number(
    compute_expected: Callable[[], float],
    *,
    rel_tol: float = 1e-3,
    abs_tol: float = 1e-9,
    name: str = "your answer",
) -> Checker:
    """Build a checker for a numeric answer.

    The expected value comes from ``compute_expected()`` at check time (for
    example from the company's data), so no answer is written in the
    notebook. Wrong answers are told "too high" or "too low" in coarse
    relative bands (under 1%, 1–10%, 10–50%, more), or a likely slip when
    the answer is about 12, 100, 1,000 or 10,000 times off; never the value.

    Parameters
    ----------
    compute_expected
        Callable with no arguments returning the expected number.
    rel_tol, abs_tol
        Tolerances of `math.isclose`. The default relative tolerance of 0.1%
        accepts answers rounded to four significant figures.
    name
        What the messages call the answer, e.g. ``"your MRR"``.

    Returns
    -------
    Checker
        Expects a single int or float (NumPy scalars included).

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
    """
    _require_callable(compute_expected, "compute_expected")
    rel_tol = _require_tolerance(rel_tol, "rel_tol")
    abs_tol = _require_tolerance(abs_tol, "abs_tol")
    if not isinstance(name, str) or not name:
        raise TypeError(f"name must be a non-empty str; got {name!r}")

    def check_number(answer: Any) -> str | None:
        value = _as_real(answer, name)
        raw = _expected(compute_expected, "number")
        try:
            expected = float(raw)
        except (TypeError, ValueError) as exc:
            raise ExerciseError(
                f"compute_expected must return a number; got {type(raw).__name__}"
            ) from exc
        if not math.isfinite(expected):
            raise ExerciseError(f"compute_expected returned {expected}; expected a finite number")
        if math.isnan(value):
            return f"{name} is NaN (not a number): look for missing values or a division by zero."
        if math.isclose(value, expected, rel_tol=rel_tol, abs_tol=abs_tol):
            return None
        if math.isinf(value):
            return f"{name} is infinite: look for a division by zero."
        return _how_far(value, expected, name)

    return Checker(check_number, expects="a single number (an int or a float)")


def _find_option(answer: Any, options: Sequence[Any]) -> tuple[bool, Any]:
    """Return (found, option) matching ``answer`` exactly, else case-insensitively."""
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
        folded = [o for o in options if isinstance(o, str)
                  and o.strip().casefold() == answer.strip().casefold()]
        if len(folded) == 1:
            return True, folded[0]
    return False, None


def expect_choice(
    correct: Hashable,
    *,
    options: Sequence[Hashable],
    feedback: Mapping[Hashable, str] | None = None,
) -> Checker:
    """Build a checker for a multiple-choice answer.

    String answers also match an option that differs only in case or
    surrounding spaces. A wrong option is named (it is the learner's own)
    with its ``feedback`` if any, never the right one; an answer that is
    not an option gets the list of options.

    Parameters
    ----------
    correct
        The right option.
    options
        All options, in the order the prompt lists them.
    feedback
        Optional message per wrong option, saying why it is wrong.

    Returns
    -------
    Checker
        Expects one of ``options``.

    Raises
    ------
    ValueError
        If ``options`` is empty or repeats an option, ``correct`` is not an
        option, or ``feedback`` names a non-option.

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
    """
    options = tuple(options)
    if len(options) < 2:
        raise ValueError(f"options must list at least two choices; got {options!r}")
    if len(set(options)) != len(options):
        raise ValueError(f"options must not repeat a choice; got {options!r}")
    if correct not in options:
        raise ValueError(f"correct must be one of options {options!r}; got {correct!r}")
    feedback = dict(feedback or {})
    unknown = [key for key in feedback if key not in options]
    if unknown:
        raise ValueError(f"feedback keys must be options {options!r}; got {unknown!r}")
    listing = ", ".join(map(repr, options))

    def check_choice(answer: Any) -> str | None:
        found, option = _find_option(answer, options)
        if not found:
            plain = _plain(answer)
            simple = isinstance(plain, str | numbers.Number) and not isinstance(plain, bool)
            what = _short(plain) if simple else _describe(answer)
            return f"{what} is not one of the options: {listing}."
        if option == correct:
            return None
        extra = feedback.get(option)
        return f"{option!r} is not the right choice." + (f" {extra}" if extra else "")

    return Checker(check_choice, expects=f"one of the options {listing}")


def expect_set(compute_expected: Callable[[], Any], *, name: str = "your answer") -> Checker:
    """Build a checker for an answer that is a collection of items, order and repeats ignored.

    Wrong answers are told how many expected items are missing and which of
    their items should not be there (up to five); the missing items are not
    named.

    Parameters
    ----------
    compute_expected
        Callable with no arguments returning the expected items (any iterable).
    name
        What the messages call the answer.

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
    if not isinstance(name, str) or not name:
        raise TypeError(f"name must be a non-empty str; got {name!r}")

    def check_items(answer: Any) -> str | None:
        if isinstance(answer, str | bytes | Mapping | pd.DataFrame) or not isinstance(
            answer, Iterable
        ):
            raise Incorrect(f"{name} should be a collection of items such as a list or a set, "
                            f"but it is {_describe(answer)}.")
        try:
            items = answer.ravel().tolist() if isinstance(answer, np.ndarray) else answer
            given = {_plain(item) for item in items}
        except TypeError:
            raise Incorrect(f"{name} should hold simple items (strings or numbers), "
                            "but some items are lists or other unhashable values.") from None
        expected = {_plain(item) for item in _expected(compute_expected, "items")}
        extra = given - expected
        missing = expected - given
        if not extra and not missing:
            return None
        parts = []
        if extra:
            shown = ", ".join(sorted(map(_short, extra))[:5]) + (", …" if len(extra) > 5 else "")
            noun = "item that should" if len(extra) == 1 else "items that should"
            parts.append(f"have {len(extra)} {noun} not be there ({shown})")
        if missing:
            noun = "item" if len(missing) == 1 else "items"
            parts.append(f"miss {len(missing)} expected {noun}")
        return f"{name} " + " and ".join(parts) + "."

    return Checker(check_items, expects="a collection of items (a list or a set)")


def _labels(values: Sequence[Any], limit: int = 3) -> str:
    shown = ", ".join(_short(v, 30) for v in list(values)[:limit])
    return shown + (", …" if len(values) > limit else "")


def _align_rows(answer: pd.DataFrame, expected: pd.DataFrame, name: str) -> pd.DataFrame:
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
            raise Incorrect(f"{name} has the right row labels but in another order or with "
                            "other repeats; sort it like the prompt asks.")
    message = f"the index (row labels) of {name} differs:"
    if len(extra):
        message += f" unexpected labels {_labels(extra)};"
    if len(missing):
        message += f" {len(missing)} expected labels are missing, e.g. {_short(missing[0], 30)};"
    message = message.rstrip(";") + "."
    if isinstance(answer.index, pd.RangeIndex) and not isinstance(expected.index, pd.RangeIndex):
        message += " Did you lose the index with reset_index()? set_index(...) restores it."
    elif isinstance(expected.index, pd.RangeIndex):
        message += " Try .reset_index()."
    raise Incorrect(message)


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
    name: str = "your answer",
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
        What the messages call the answer.

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
    if not isinstance(name, str) or not name:
        raise TypeError(f"name must be a non-empty str; got {name!r}")

    def check_frame(answer: Any) -> str | None:
        expected = _expected(compute_expected, "frame")
        if isinstance(expected, pd.Series):
            if isinstance(answer, pd.DataFrame) and answer.shape[1] == 1:
                raise Incorrect(f"{name} should be a Series, but it is a DataFrame with one "
                                "column; select the column, e.g. df['name'].")
            if not isinstance(answer, pd.Series):
                raise Incorrect(f"{name} should be a pandas Series, but it is "
                                f"{_describe(answer)}.")
            want, got = expected.to_frame("values"), answer.to_frame("values")
            cols: list[Hashable] = ["values"]
        elif isinstance(expected, pd.DataFrame):
            if isinstance(answer, pd.Series):
                raise Incorrect(f"{name} should be a DataFrame, but it is a Series; "
                                "use .to_frame() or select columns with df[[...]].")
            if not isinstance(answer, pd.DataFrame):
                raise Incorrect(f"{name} should be a pandas DataFrame, but it is "
                                f"{_describe(answer)}.")
            want, got = expected, answer
            cols = list(expected.columns) if columns is None else list(columns)
            absent = [c for c in cols if c not in expected.columns]
            if absent:
                raise ExerciseError(f"columns {absent!r} are not in the expected frame")
            missing = [c for c in cols if c not in answer.columns]
            if missing:
                noun = "column" if len(missing) == 1 else "columns"
                return f"{name} is missing the {noun} {', '.join(map(repr, missing))}."
            if not answer.columns.is_unique:
                return f"{name} has repeated column names; keep one column per name."
        else:
            raise ExerciseError(
                f"compute_expected must return a DataFrame or Series; got "
                f"{type(expected).__name__}"
            )
        if len(got) != len(want):
            return f"{name} has {len(got)} rows; expected {len(want)}."
        if check_index:
            got = _align_rows(got, want, name)
        else:
            got = got.reset_index(drop=True)
            want = want.reset_index(drop=True)
        series = isinstance(expected, pd.Series)
        for col in cols:
            what = f"the values of {name}" if series else f"column {col!r} of {name}"
            verb = "differ" if series else "differs"
            if _is_number_column(want[col]) and not _is_number_column(got[col]):
                return f"{what} should be numbers, but their dtype is {got[col].dtype}."
            differs = _first_mismatch(got[col], want[col], rtol, atol)
            if differs.any():
                where = int(np.argmax(differs))
                row = _plain(want.index[where]) if check_index else where
                mine = _short(got[col].iloc[where], 30)
                position = f"row {row!r}" if check_index else f"row position {row}"
                return (f"{what} {verb} first at {position} "
                        f"({int(differs.sum())} of {len(differs)} rows differ; yours: {mine}).")
        return None

    return Checker(check_frame, expects="a pandas DataFrame or Series")
