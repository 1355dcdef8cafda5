"""Every exercise's checker, tested the way Kaggle's learntools tests its checkers.

For every exercise of chapters 00–05, bound to one small company:

- the worked solution passes, and so does the expected answer typed to the prompt's
  precision (``checker.typed()``), which the prompt states;
- the placeholder reads "not attempted";
- at least two plausible wrong answers are rejected, each known mistake with its own
  diagnosis (``mistakes=`` of a numeric checker, ``feedback=`` of a choice);
- a correct check with ``show_expected=True`` prints the expected answer next to "Correct";
- with the language bound to "ja" (the Japanese edition runs the same cells), the
  not-attempted, correct and every wrong-answer feedback is Japanese with no English
  sentence (three ASCII words in a row), while ``lang="en"`` still gives the English
  message; every exercise has a Japanese hint, and a solution with English prose a
  ``solution_ja`` whose code is the same line for line.

It also checks the chapters' shape (at least six exercises, rising from one star to three,
each of the four kinds the issue asks for, 2–3 report-reading exercises in chapter 05) and
the marking examples of issue 17 on the notebooks' own company.
"""

from __future__ import annotations

import dataclasses
import importlib
import math
import numbers
import re

import pandas as pd
import pytest

from revopslab import forecast, solutions
from revopslab._lang import get_lang, language
from revopslab.config import CompanyConfig, company_profile
from revopslab.exercises import (
    Checker,
    ____,
    check,
    expected,
    hint,
    progress,
    registry_override,
    solution,
)
from revopslab.simulate import simulate_company

CHAPTERS = ("00", "01", "02", "03", "04", "05")
MODULES = {c: importlib.import_module(f"revopslab.chapters.ch{c}") for c in CHAPTERS}
ALL = [e for c in CHAPTERS for e in MODULES[c].EXERCISES]
IDS = [e.id for e in ALL]
BY_ID = {e.id: e for e in ALL}


@pytest.fixture(scope="module")
def small_company():
    return simulate_company(CompanyConfig(months=30, scale=0.3), rng=5)


@pytest.fixture
def bound(small_company):
    """Bind every chapter to the small company (another test may have bound its own)."""
    for module in MODULES.values():
        module.bind(small_company)
    return small_company


@pytest.fixture(scope="module")
def answers(small_company):
    """Each exercise's worked solution, run as the solutions notebook runs it."""
    company = small_company
    solved = {}
    for chapter, module in MODULES.items():
        module.bind(company)
        setup = solutions._setup(chapter, module, module.EXERCISES, profile="default",
                                 seed=5)
        namespace: dict = {}
        exec(setup.rsplit("seed = ", 1)[0], namespace)  # the imports, not the company
        for exercise in module.EXERCISES:
            scope = {**namespace, "company": company, "pd": pd,
                     "dataclasses": dataclasses}
            exec(solution(exercise.id).text, scope)
            solved[exercise.id] = scope["answer"]
    return solved


def _phrase(checker) -> str | None:
    precision = getattr(checker, "precision", None)
    if not precision:
        return None
    return precision.split(", ")[-1].removeprefix("as ")


# --- the chapters' shape ---------------------------------------------------------------------


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_each_chapter_has_six_exercises_rising_in_difficulty_of_the_four_kinds(chapter):
    exercises = MODULES[chapter].EXERCISES
    assert len(exercises) >= 6, f"chapter {chapter} has {len(exercises)} exercises"
    stars = [e.stars for e in exercises]
    assert stars == sorted(stars), f"chapter {chapter}: stars {stars} do not rise"
    assert stars[0] == 1 and stars[-1] == 3, f"chapter {chapter}: stars {stars}"
    kinds = {e.kind for e in exercises}
    assert {"compute", "experiment", "interpret", "flaw"} <= kinds, (chapter, kinds)
    assert sum(e.kind == "recall" for e in exercises) <= 1, "free recall stays the exception"


def test_chapter_05_practises_reading_the_report():
    report = [e for e in MODULES["05"].EXERCISES if e.kind == "report"]
    assert 2 <= len(report) <= 3


@pytest.mark.parametrize("exercise_id", IDS)
def test_every_numeric_prompt_states_its_precision(exercise_id):
    exercise = BY_ID[exercise_id]
    phrase = _phrase(exercise.checker)
    if phrase is None:
        return
    prompt = exercise.prompt.casefold()
    assert phrase.casefold() in prompt, f"{exercise_id}: the prompt does not say {phrase!r}"
    if "fraction" in exercise.checker.precision:
        assert "fraction" in prompt and "not a percentage" in prompt


# --- the learntools contract, exercise by exercise ------------------------------------------


def _wrong_numbers(checker, right: float) -> list[tuple[float, str | None]]:
    """Plausible wrong numbers with the diagnosis each should get (None: any rejection)."""
    wrong = [(right * 1.3 + (1 if right == 0 else 0), None), (-abs(right) - 1, None)]
    if checker.precision and "fraction" in checker.precision and right != 0:
        wrong.append((right * 100, "looks like a percentage"))
    return wrong


@pytest.mark.parametrize("exercise_id", IDS)
def test_checker_contract(answers, bound, exercise_id):
    exercise = BY_ID[exercise_id]
    right = answers[exercise_id]
    result = check(exercise_id, right)
    assert result.correct, f"{exercise_id}: the solution fails: {result}"
    assert check(exercise_id, ____).status == "not_attempted"

    shown = check(exercise_id, right, show_expected=True)
    text = expected(exercise_id)
    assert text and str(shown) == f"Correct — expected {text}"

    checker = exercise.checker
    typed = getattr(checker, "typed", None)
    if typed is not None:
        assert check(exercise_id, typed()).correct, (
            f"{exercise_id}: the answer typed to the prompt's precision fails")

    rejected = 0
    if isinstance(right, numbers.Real) and not isinstance(right, bool):
        for value, diagnosis in _wrong_numbers(checker, float(right)):
            verdict = check(exercise_id, value)
            assert verdict.status == "incorrect", f"{exercise_id}: {value} passes"
            if diagnosis:
                assert diagnosis in verdict.message, (exercise_id, value, verdict.message)
            rejected += 1
        for message, compute in _mistakes(checker).items():
            wrong = compute()
            verdict = check(exercise_id, wrong)
            if not math.isclose(wrong, float(right), rel_tol=1e-2, abs_tol=1e-3):
                assert verdict.message == str(message), (exercise_id, wrong, verdict.message)
                rejected += 1
    elif isinstance(right, str):
        options = _options(exercise_id)
        for option in options:
            if option == right:
                continue
            verdict = check(exercise_id, option)
            assert verdict.status == "incorrect", f"{exercise_id}: {option!r} passes"
            given_away = re.search(rf"(?<![\w-]){re.escape(right)}(?![\w-])", verdict.message)
            assert not given_away, f"{exercise_id} gives the answer away: {verdict.message}"
            rejected += 1
        assert check(exercise_id, right + " (my own words)").status == "incorrect"
        rejected += 1
    elif isinstance(right, list):  # 04.2: a set of names
        assert check(exercise_id, right[:-1]).status == "incorrect"
        assert check(exercise_id, [*right, "Kaze Tech", "Hikari Apps"]).status == "incorrect"
        rejected += 2
    elif isinstance(right, pd.DataFrame):  # 04.7: the RACI
        ch04 = MODULES["04"]
        assert check(exercise_id, ch04.raci_draft()).status == "incorrect"
        moved = right.copy()
        moved.loc["aql", "marketing"], moved.loc["aql", "inside_sales"] = "R", "A"
        verdict = check(exercise_id, moved)
        assert verdict.status == "incorrect" and "'aql'" in verdict.message
        rejected += 2
    assert rejected >= 2, f"{exercise_id}: only {rejected} wrong answers tried"


def _mistakes(checker: Checker) -> dict:
    """The ``mistakes`` a numeric checker was built with (from its closure)."""
    func = getattr(checker, "func", None)
    cells = dict(zip(func.__code__.co_freevars, func.__closure__ or (), strict=False)) \
        if func else {}
    cell = cells.get("mistakes")
    return dict(cell.cell_contents) if cell is not None else {}


def _options(exercise_id: str) -> list[str]:
    module = MODULES[exercise_id[:2]]
    named = {"00.3": ["more advertising", "referrals from promoters", "a lower MQL threshold",
                      "more sales reps"],
             "00.4": module.FUNNEL_READINGS if exercise_id[:2] == "00" else None,
             "01.1": getattr(module, "REVOPS_ROLES", None),
             "01.3": getattr(module, "SCORECARD_READINGS", None),
             "01.5": getattr(module, "LEAD_REPORT_FLAWS", None),
             "01.6": getattr(module, "SILO_LEVERS", None),
             "02.1": getattr(module, "LENSES", None),
             "02.4": getattr(module, "LTV_READINGS", None),
             "03.2": getattr(module, "SYSTEM_NAMES", None),
             "03.5": getattr(module, "CURVE_READINGS", None),
             "03.6": getattr(module, "CHURN_REPORT_FLAWS", None),
             "04.1": ["centralised", "decentralised", "hybrid"],
             "04.4": getattr(module, "HISTOGRAM_READINGS", None),
             "04.6": getattr(module, "SLA_REPORT_FLAWS", None),
             "05.2": getattr(module, "BEFORE_HANDOFF", None),
             "05.5": getattr(module, "VIEW_READINGS", None),
             "05.7": getattr(module, "FINDING_CAUSES", None),
             "05.8": list(getattr(module, "TINY_DRILL", pd.DataFrame()).index)}
    options = named.get(exercise_id)
    assert options, f"{exercise_id}: list its options in this test"
    return list(options)


# --- the marking examples of issue 17, on the notebooks' company ----------------------------


@pytest.fixture(scope="module")
def notebook_company():
    return simulate_company(company_profile("default"), rng=solutions.SEED)


def test_issue_examples_share_to_the_shown_precision_and_percent_slips(notebook_company):
    MODULES["00"].bind(notebook_company)
    share = notebook_company.opportunities["is_won"].sum() / len(notebook_company.leads)
    shown = float(f"{share:.1%}".rstrip("%")) / 100  # what the chart title shows, as typed
    assert check("00.2", round(share, 3)).correct
    assert check("00.2", shown).correct, f"{shown} (the chart title's {share:.1%}) fails"
    assert check("00.2", round(share, 4)).correct
    slip = check("00.2", float(f"{share:.1%}".rstrip("%")))
    assert "looks like a percentage" in slip.message, slip
    divided = check("00.2", notebook_company.opportunities["is_won"].mean())
    assert "divided by the opportunities" in divided.message, divided


def test_issue_examples_wape_centralized_labels_and_cohort(notebook_company):
    assert check("05.3", 0.23).correct
    assert "looks like a percentage" in check("05.3", 23).message
    drill = MODULES["05"].FORECAST_DRILL
    mape = forecast.mape(drill["forecast"], drill["actual"])
    assert check("05.3", round(mape, 2)).message.startswith("that is the MAPE")
    assert check("04.1", "centralized").correct and check("04.1", "Centralised ").correct
    assert check("01.1", "Data management & insights").correct  # the notebook's own label
    MODULES["05"].bind(notebook_company)
    cohort = MODULES["05"]._cohort_rate()
    verdict = check("05.1", cohort)
    if round(cohort, 3) != round(MODULES["05"]._period_rate(), 3):
        assert "cohort view" in verdict.message, verdict


def test_progress_lists_the_chapter_exercises_done_in_this_session():
    from revopslab.exercises import Exercise, expect_number

    a = Exercise("98.1", "p", expect_number(lambda: 1), hint="h", solution="answer = 1")
    b = Exercise("98.2", "p", expect_number(lambda: 2), hint="h", solution="answer = 2",
                 stars=3)
    with registry_override(a, b):
        assert "0 of 2" in str(progress("98"))
        check("98.2", 5)
        assert progress().rows == (("98.1", "★", "not_attempted"), ("98.2", "★★★", "incorrect"))
        check("98.2", 2)
        check("98.2", 7)  # a later slip does not undo a success
        assert progress("98").done == ("98.2",)
        assert "done" in progress("98")._repr_html_()


# --- the Japanese edition: the same checks speak Japanese when the notebook binds "ja" --------

#: Kana or kanji: the message is (at least partly) Japanese.
_JAPANESE = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff]")
#: An English sentence: three ASCII words of letters in a row (code such as
#: ``company.mrr['month']`` and single terms such as "MRR" or "logo churn" are fine).
_ENGLISH = re.compile(r"(?<![A-Za-z])[A-Za-z]+(?:'[A-Za-z]+)?(?:\s+[A-Za-z]+(?:'[A-Za-z]+)?){2,}"
                      r"(?![A-Za-z])")


def _assert_japanese(text: str, what: str) -> None:
    assert _JAPANESE.search(text), f"{what} has no Japanese: {text!r}"
    english = _ENGLISH.search(text)
    assert not english, f"{what} has an English sentence {english.group()!r}: {text!r}"


def _wrong_answers(exercise_id: str, right) -> list:
    """Every plausible wrong answer the contract above tries, plus one of the wrong kind."""
    exercise = BY_ID[exercise_id]
    wrong: list = [{"key": "value"}]  # the wrong kind of answer for every exercise
    if isinstance(right, numbers.Real) and not isinstance(right, bool):
        wrong += [value for value, _ in _wrong_numbers(exercise.checker, float(right))]
        wrong += [compute() for compute in _mistakes(exercise.checker).values()
                  if not math.isclose(compute(), float(right), rel_tol=1e-2, abs_tol=1e-3)]
        wrong += ["6.2 million", float("nan")]
    elif isinstance(right, str):
        wrong += [option for option in _options(exercise_id) if option != right]
        wrong += [right + " (my own words)", 3.5]
    elif isinstance(right, list):
        wrong += [right[:-1], [*right, "Kaze Tech", "Hikari Apps"], "Sakura Cloud"]
    elif isinstance(right, pd.DataFrame):
        moved = right.copy()
        moved.loc["aql", "marketing"], moved.loc["aql", "inside_sales"] = "R", "A"
        wrong += [MODULES["04"].raci_draft(), moved, right.drop(index="sgl")]
    return wrong


@pytest.mark.parametrize("exercise_id", IDS)
def test_feedback_speaks_japanese_when_the_notebook_binds_ja(answers, bound, exercise_id):
    right = answers[exercise_id]
    wrong = _wrong_answers(exercise_id, right)
    assert len(wrong) >= 3
    in_english = [check(exercise_id, answer).message for answer in wrong]
    with language("ja"):
        todo = check(exercise_id, ____)
        assert todo.status == "not_attempted"
        _assert_japanese(str(todo), f"{exercise_id} not attempted")
        done = check(exercise_id, right)
        assert done.correct
        _assert_japanese(str(done), f"{exercise_id} correct")
        assert str(check(exercise_id, right, show_expected=True)).startswith(
            "正解 — 期待される答え：")
        for answer, message in zip(wrong, in_english, strict=True):
            verdict = check(exercise_id, answer)
            assert verdict.status == "incorrect", f"{exercise_id}: {answer!r} passes"
            _assert_japanese(str(verdict), f"{exercise_id} answer {answer!r}")
            _assert_japanese(verdict._repr_html_(), f"{exercise_id} answer {answer!r} (HTML)")
            english = check(exercise_id, answer, lang="en")  # an explicit lang still wins
            assert str(english) == f"Not quite: {message}"
            assert not _JAPANESE.search(message.replace("万円", "")), message
    assert get_lang() == "en"  # the binding is restored after the block


@pytest.mark.parametrize("exercise_id", IDS)
def test_every_exercise_has_a_japanese_hint_and_solution(exercise_id):
    exercise = BY_ID[exercise_id]
    assert exercise.hint_ja, f"{exercise_id} has no hint_ja"
    _assert_japanese(exercise.hint_ja, f"{exercise_id} hint_ja")
    with language("ja"):
        assert hint(exercise_id).text == exercise.hint_ja
        assert str(hint(exercise_id)).startswith("ヒント: ")
        assert hint(exercise_id, lang="en").text == exercise.hint
        assert solution(exercise_id, lang="en").text == exercise.solution
        shown = solution(exercise_id).text
    assert hint(exercise_id).text == exercise.hint and solution(exercise_id).text == \
        exercise.solution
    code = _code_lines(exercise.solution)
    assert _code_lines(shown) == code, f"{exercise_id}: solution_ja's code differs"
    prose = " ".join(_comments(exercise.solution))
    if _ENGLISH.search(prose):
        assert exercise.solution_ja, f"{exercise_id}'s solution has English prose: {prose!r}"
        _assert_japanese(" ".join(_comments(shown)), f"{exercise_id} solution_ja's comments")
        assert not _ENGLISH.search(" ".join(_comments(shown)))
    elif exercise.solution_ja is None:
        assert shown == exercise.solution


def _comments(source: str) -> list[str]:
    """The comments of a solution (its prose), found by the tokenizer."""
    import io
    import tokenize

    tokens = tokenize.generate_tokens(io.StringIO(source).readline)
    return [token.string.lstrip("# ") for token in tokens if token.type == tokenize.COMMENT]


def _code_lines(source: str) -> list[str]:
    """The solution's code: each line without its comment and trailing spaces."""
    import io
    import tokenize

    lines = source.splitlines()
    tokens = tokenize.generate_tokens(io.StringIO(source).readline)
    for token in sorted((t for t in tokens if t.type == tokenize.COMMENT),
                        key=lambda t: t.start, reverse=True):
        row, col = token.start
        lines[row - 1] = lines[row - 1][:col]
    return [line.rstrip() for line in lines if line.strip()]


def test_progress_speaks_the_bound_language():
    from revopslab.exercises import Exercise, expect_number

    a = Exercise("98.1", "p", expect_number(lambda: 1), hint="h", solution="answer = 1")
    with registry_override(a), language("ja"):
        check("98.1", 1)
        shown = progress("98")
        assert str(shown).splitlines()[0] == "第98章：このセッションで1問中1問を解きました"
        assert "正解済み" in str(shown) and "難易度" in shown._repr_html_()
        assert str(progress("98", lang="en")).startswith("Chapter 98: 1 of 1 exercises done")
    assert get_lang() == "en"
