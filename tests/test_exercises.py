"""Tests of revopslab.exercises: registry, check/hint/solution and the checker builders."""

from __future__ import annotations

import math
import re
import string
import sys
import types

import numpy as np
import pandas as pd
import pytest

from revopslab import exercises as ex_mod
from revopslab._lang import get_lang, language
from revopslab.exercises import (
    Checker,
    CheckResult,
    Exercise,
    ExerciseError,
    Incorrect,
    Say,
    ____,
    check,
    exercise_ids,
    expect_choice,
    expect_frame,
    expect_number,
    expect_set,
    hint,
    is_placeholder,
    register,
    registry_override,
    solution,
)

PLACEHOLDERS = [None, ..., "____", ____, "  ___ "]

# A small "company" the expected answers are computed from at check time.
ACV = pd.Series([1_200_000, 4_800_000, 18_000_000, 951_337], index=["a", "b", "c", "d"])
EXPECTED_MEAN = float(ACV.mean())  # 6_237_834.25


def _frame() -> pd.DataFrame:
    return pd.DataFrame(
        {"leads": [1203, 581, 97], "won": [37, 18, 4], "acv": [1_234_567.5, 4_816_250.5,
                                                               17_654_321.25]},
        index=pd.Index(["SMB", "MM", "ENT"], name="segment"),
    )


def _series() -> pd.Series:
    return pd.Series([0.3172, 0.2648, 0.1913], index=["SMB", "MM", "ENT"], name="win_rate")


def _exercise(exercise_id: str, checker, **kw) -> Exercise:
    return Exercise(exercise_id, kw.get("prompt", "Answer the question."), checker,
                    hint=kw.get("hint", "Think about it."),
                    solution=kw.get("solution", "answer = 1"))


EXERCISES = (
    _exercise("99.1", expect_number(lambda: ACV.mean(), name="your mean ACV"),
              hint="Use .mean().", solution="answer = acv.mean()"),
    _exercise("99.2", expect_choice("SQL", options=["MQL", "SQL", "SAL"],
                                    feedback={"MQL": Say(
                                        en="Marketing qualifies MQLs, not sales.",
                                        ja="MQLを判定するのはマーケティングで、営業では"
                                           "ありません。")})),
    _exercise("99.3", expect_set(lambda: {"sal", "sgl", "tgl"}, name="your stages")),
    _exercise("99.4", expect_frame(_frame)),
    _exercise("99.5", expect_frame(_series, name="your win rates")),
    _exercise("99.6", lambda a: None if a + 1 == 43 else "off by some"),
    _exercise("99.7", Checker(lambda a: None if a + 1 == 43 else "off", expects="an int")),
    _exercise("99.8", expect_number(lambda: 1 / 0)),
    _exercise("99.9", lambda a: True),
    _exercise("99.10", expect_frame(_frame, columns=["won"], check_index=False)),
)


@pytest.fixture(autouse=True)
def registry():
    with registry_override(*EXERCISES):
        yield


def _secret_strings(value: float) -> list[str]:
    """Spellings of an expected number that a message must not contain."""
    return [str(value), repr(value), f"{value:,}", f"{value:,.0f}", f"{value:.0f}",
            str(round(value, 1)), f"{value:.4g}", f"{value:.3g}"]


def _assert_hidden(message: str, value: float) -> None:
    for text in _secret_strings(value):
        assert text not in message, (text, message)


# --- check(): generic behaviour ---------------------------------------------------------------


def test_placeholders_are_recognised():
    for answer in PLACEHOLDERS:
        assert is_placeholder(answer)
    for answer in (0, "", "_", "a_", [None], False, np.nan):
        assert not is_placeholder(answer)


@pytest.mark.parametrize("exercise_id", [e.id for e in EXERCISES])
@pytest.mark.parametrize("answer", PLACEHOLDERS, ids=repr)
def test_placeholder_is_not_attempted_for_every_exercise(exercise_id, answer):
    result = check(exercise_id, answer)
    assert result.status == "not_attempted"
    assert result.correct is False and not result
    assert str(result).startswith("Not attempted yet — replace the placeholder ____")


def test_result_rendering():
    right = check("99.1", EXPECTED_MEAN)
    wrong = check("99.1", EXPECTED_MEAN * 2)
    todo = check("99.1", ____)
    assert right.status == "correct" and right.correct and bool(right)
    assert str(right) == repr(right) == "Correct"
    assert str(wrong).startswith("Not quite: ") and repr(wrong) == str(wrong)
    assert "#1a7f37" in right._repr_html_() and "Correct" in right._repr_html_()
    assert "#c62828" in wrong._repr_html_() and "Not quite:" in wrong._repr_markdown_()
    assert "#b35900" in todo._repr_html_() and "Not attempted yet" in todo._repr_markdown_()
    assert "99.1" in right._repr_html_()
    escaped = CheckResult("99.1", "incorrect", "<b>x</b> & y")._repr_html_()
    assert "&lt;b&gt;x&lt;/b&gt; &amp; y" in escaped


def test_crashing_checker_gives_incorrect_not_traceback():
    result = check("99.6", "forty-two")  # "forty-two" + 1 raises TypeError inside the checker
    assert result.status == "incorrect"
    assert "could not be checked" in result.message and "string 'forty-two'" in result.message
    typed = check("99.7", "forty-two")
    assert typed.status == "incorrect" and "expects an int" in typed.message
    assert check("99.6", 42).correct and check("99.7", 42).correct
    assert check("99.6", 41).message == "off by some"


def test_incorrect_raised_by_a_custom_checker():
    def positive(answer):
        if answer <= 0:
            raise Incorrect("should be positive")

    with registry_override(_exercise("98.1", positive)):
        assert check("98.1", -1).message == "should be positive"
        assert check("98.1", 1).correct


def test_broken_exercises_raise_exercise_error():
    with pytest.raises(ExerciseError, match=r"exercise 99\.8 is broken: .*ZeroDivisionError"):
        check("99.8", 3)
    with pytest.raises(ExerciseError, match=r"checker of exercise 99\.9 returned bool"):
        check("99.9", 3)


def test_unknown_id_lists_known_ids():
    with pytest.raises(KeyError) as info:
        check("99.11", 1)
    message = str(info.value)
    assert "unknown exercise id '99.11'" in message
    assert "99.1" in message and "99.10" in message and "Known ids" in message
    with pytest.raises(KeyError, match="unknown exercise id"):
        hint("no such id")
    with pytest.raises(KeyError, match="unknown exercise id"):
        solution("42.1")
    with registry_override(), pytest.raises(KeyError, match="none"):
        check("97.1", 1)
    with pytest.raises(TypeError, match="exercise_id must be a str like '00.1'; got float 99.1"):
        check(99.1, 1)  # type: ignore[arg-type]


def test_unknown_id_loads_its_chapter_module(monkeypatch):
    chapter = types.ModuleType("revopslab.chapters.ch97")
    chapter.EXERCISES = (_exercise("97.1", expect_number(lambda: 2.5)),)
    monkeypatch.setitem(sys.modules, "revopslab.chapters.ch97", chapter)
    assert check("97.1", 2.5).correct
    assert "97.1" in exercise_ids()
    with pytest.raises(KeyError, match="'97.2'"):
        check("97.2", 1)


def test_hint_and_solution():
    h = hint("99.1")
    s = solution("99.1")
    assert h.text == "Use .mean()." and str(h) == repr(h) == "Hint: Use .mean()."
    assert "**Hint (99.1):** Use .mean()." == h._repr_markdown_()
    assert s.text == "answer = acv.mean()"
    assert "```python\nanswer = acv.mean()\n```" in s._repr_markdown_()
    assert "<pre><code>answer = acv.mean()</code></pre>" in s._repr_html_()


# --- registry --------------------------------------------------------------------------------


def test_register_rejects_duplicates_unless_replace():
    first = _exercise("98.1", lambda a: None)
    second = _exercise("98.1", lambda a: "no")
    with registry_override():
        assert register(first) is first
        with pytest.raises(ValueError, match="'98.1' is already registered; pass replace=True"):
            register(second)
        register(second, replace=True)
        assert check("98.1", 1).status == "incorrect"
        ex_mod._unregister("98.1")
        assert exercise_ids() == ()
    with pytest.raises(TypeError, match="exercise must be an Exercise; got str"):
        register("98.1")  # type: ignore[arg-type]


def test_registry_override_restores_on_error():
    before = exercise_ids()
    with pytest.raises(RuntimeError), registry_override(_exercise("98.1", lambda a: None)):
        assert exercise_ids() == ("98.1",)
        raise RuntimeError
    assert exercise_ids() == before
    assert before == tuple(e.id for e in sorted(EXERCISES, key=lambda e: ex_mod._id_key(e.id)))


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"id": "1.1"}, ValueError, r"id must look like '00.1'.*got '1.1'"),
        ({"id": 1.1}, ValueError, r"id must look like '00.1'.*got 1.1"),
        ({"prompt": "two\nlines"}, ValueError, "prompt must be one line"),
        ({"hint": ""}, ValueError, "hint must be a non-empty str"),
        ({"solution": None}, TypeError, "solution must be a str; got NoneType"),
        ({"checker": "not callable"}, TypeError, "checker must be callable"),
    ],
)
def test_exercise_validation(kwargs, error, match):
    fields = {"id": "98.1", "prompt": "p", "checker": lambda a: None, "hint": "h",
              "solution": "s", **kwargs}
    with pytest.raises(error, match=match):
        Exercise(**fields)


def test_exercise_is_frozen_and_ids_allow_a_letter():
    exercise = _exercise("03.2b", lambda a: None)
    with pytest.raises(AttributeError):
        exercise.id = "03.3"  # type: ignore[misc]


# --- expect_number ---------------------------------------------------------------------------


@pytest.mark.parametrize("answer", [EXPECTED_MEAN, np.float64(EXPECTED_MEAN),
                                    round(EXPECTED_MEAN, -3), np.array(EXPECTED_MEAN)])
def test_number_right(answer):
    assert check("99.1", answer).correct


@pytest.mark.parametrize(
    ("factor", "words"),
    [
        (1.004, "very close but a little too high (less than 1% off)"),
        (0.95, "a little too low (1–10% off)"),
        (1.3, "too high (10–50% off)"),
        (3.0, "far too high (more than 50% off)"),
        (12.0, "about 12 times too high — monthly vs annual"),
        (0.01, "about 100 times too low — a percentage vs a fraction"),
        (10_000.0, "about 10,000 times too high — yen vs 万円"),
        (-1.0, "has the wrong sign"),
        (0.0, "far too low"),
    ],
)
def test_number_wrong(factor, words):
    result = check("99.1", EXPECTED_MEAN * factor)
    assert result.status == "incorrect"
    assert words in result.message and result.message.startswith("your mean ACV")
    _assert_hidden(result.message, EXPECTED_MEAN)


def test_number_nan_and_inf():
    assert "NaN" in check("99.1", float("nan")).message
    assert "infinite" in check("99.1", math.inf).message


@pytest.mark.parametrize(
    ("answer", "words"),
    [
        ("6.2 million", "should be a single number, but it is the string '6.2 million'"),
        ([1, 2], "a list of 2 items"),
        (True, "should be a number, but it is the bool True"),
        (pd.Series([EXPECTED_MEAN]), "take its value out with .item()"),
        (ACV.to_frame(), "a DataFrame with 4 rows and 1 column"),
        (object(), "it is a object"),
    ],
    ids=["str", "list", "bool", "series1", "frame", "object"],
)
def test_number_wrong_type_is_incorrect(answer, words):
    result = check("99.1", answer)
    assert result.status == "incorrect"
    assert words in result.message
    _assert_hidden(result.message, EXPECTED_MEAN)


def test_number_expected_zero_and_tolerances():
    checker = expect_number(lambda: 0.0)
    assert checker(0.0) is None and checker(1e-12) is None
    assert checker(0.5) == "your answer is too high."
    loose = expect_number(lambda: 100.0, rel_tol=0.05)
    assert loose(104) is None and loose(106) is not None


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"compute_expected": 5}, TypeError, "compute_expected must be a callable.*got int"),
        ({"rel_tol": -1}, ValueError, "rel_tol must be a number >= 0; got -1"),
        ({"abs_tol": "0"}, ValueError, "abs_tol must be a number >= 0; got '0'"),
        ({"name": ""}, TypeError, "name must be a non-empty str"),
    ],
)
def test_number_builder_validation(kwargs, error, match):
    args = {"compute_expected": lambda: 1.0, **kwargs}
    compute = args.pop("compute_expected")
    with pytest.raises(error, match=match):
        expect_number(compute, **args)


def test_number_expected_must_be_a_number():
    with registry_override(_exercise("98.1", expect_number(lambda: "six"))), \
            pytest.raises(ExerciseError, match="compute_expected must return a number"):
        check("98.1", 6)


# --- expect_choice ---------------------------------------------------------------------------


@pytest.mark.parametrize("answer", ["SQL", " sql ", np.str_("SQL")])
def test_choice_right(answer):
    assert check("99.2", answer).correct


def test_choice_wrong_option():
    result = check("99.2", "MQL")
    assert result.status == "incorrect"
    assert result.message == "'MQL' is not the right choice. Marketing qualifies MQLs, not sales."
    plain = check("99.2", "SAL").message
    assert plain == "'SAL' is not the right choice."
    for message in (result.message, plain):
        assert "'SQL'" not in message


@pytest.mark.parametrize(
    ("answer", "words"),
    [
        ("TQL", "'TQL' is not one of the options: 'MQL', 'SQL', 'SAL'."),
        (2, "2 is not one of the options"),
        (["SQL"], "a list of 1 item is not one of the options"),
        (pd.DataFrame({"x": ["SQL"]}), "a DataFrame with 1 row and 1 column is not one"),
        (True, "the bool True is not one of the options"),
    ],
)
def test_choice_not_an_option_or_wrong_type(answer, words):
    result = check("99.2", answer)
    assert result.status == "incorrect"
    assert words in result.message


def test_choice_numeric_options():
    checker = expect_choice(3, options=[1, 2, 3])
    assert checker(np.int64(3)) is None and checker(3.0) is None
    assert checker(2) == "2 is not the right choice."


@pytest.mark.parametrize(
    ("args", "match"),
    [
        (("A", ["A"]), "options must list at least two choices"),
        (("A", ["A", "A", "B"]), "options must not repeat a choice"),
        (("Z", ["A", "B"]), r"correct must be one of options \('A', 'B'\); got 'Z'"),
    ],
)
def test_choice_builder_validation(args, match):
    correct, options = args
    with pytest.raises(ValueError, match=match):
        expect_choice(correct, options=options)
    with pytest.raises(ValueError, match="feedback keys must be options"):
        expect_choice("A", options=["A", "B"], feedback={"C": "no"})


# --- expect_set ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "answer",
    [["sal", "sgl", "tgl"], ("tgl", "sgl", "sal", "sal"), {"sal", "sgl", "tgl"},
     np.array(["sgl", "tgl", "sal"]), pd.Series(["tgl", "sal", "sgl"]),
     pd.Index(["sal", "sgl", "tgl"])],
    ids=["list", "tuple-dupes", "set", "array", "series", "index"],
)
def test_set_right(answer):
    assert check("99.3", answer).correct


def test_set_wrong():
    extra = check("99.3", ["sal", "sgl", "tgl", "sql"])
    assert extra.message == "your stages have 1 item that should not be there ('sql')."
    missing = check("99.3", ["sal"])
    assert missing.message == "your stages miss 2 expected items."
    assert "sgl" not in missing.message and "tgl" not in missing.message
    both = check("99.3", ["sal", "aql", "tql"])
    assert both.status == "incorrect"
    assert "2 items that should not be there ('aql', 'tql')" in both.message
    assert "miss 2 expected items" in both.message


@pytest.mark.parametrize(
    ("answer", "words"),
    [
        ("sal", "should be a collection of items"),
        ({"sal": 1}, "a dict of 1 item"),
        (3, "the number 3"),
        ([["sal"], ["sgl"]], "unhashable"),
        (pd.DataFrame({"s": ["sal"]}), "a DataFrame"),
    ],
    ids=["str", "dict", "int", "nested", "frame"],
)
def test_set_wrong_type_is_incorrect(answer, words):
    result = check("99.3", answer)
    assert result.status == "incorrect" and words in result.message


# --- expect_frame ----------------------------------------------------------------------------


def test_frame_right_including_reordered_rows_and_extra_columns():
    assert check("99.4", _frame()).correct
    assert check("99.4", _frame().iloc[::-1]).correct
    assert check("99.4", _frame().assign(extra=1)[["extra", "acv", "won", "leads"]]).correct
    assert check("99.4", _frame().astype({"won": float})).correct
    assert check("99.4", _frame().assign(acv=_frame()["acv"] * (1 + 1e-9))).correct


def test_frame_missing_columns_named():
    result = check("99.4", _frame()[["leads"]])
    assert result.message == "your answer is missing the columns 'won', 'acv'."


def test_frame_wrong_shape():
    result = check("99.4", _frame().iloc[:2])
    assert result.message == "your answer has 2 rows; expected 3."


def test_frame_wrong_index():
    result = check("99.4", _frame().reset_index())
    assert result.status == "incorrect"
    assert "the index (row labels) of your answer differs" in result.message
    assert "3 expected labels are missing, e.g. 'ENT'." in result.message
    assert "reset_index()" in result.message and "set_index" in result.message
    renamed = check("99.4", _frame().rename(index={"MM": "Mid"}))
    assert "unexpected labels 'Mid'" in renamed.message
    assert "1 expected labels are missing" in renamed.message


def test_frame_value_mismatch_names_first_row_without_expected_value():
    wrong = _frame()
    wrong.loc["MM", "acv"] = 4_900_000.0
    wrong.loc["ENT", "acv"] = 1.0
    result = check("99.4", wrong)
    assert result.message == (
        "column 'acv' of your answer differs first at row 'MM' (2 of 3 rows differ; "
        "yours: 4900000.0)."
    )
    for value in _frame()["acv"]:
        _assert_hidden(result.message, value)


def test_frame_string_where_numbers_expected():
    result = check("99.4", _frame().astype({"leads": str}))
    assert result.status == "incorrect"
    assert result.message.startswith(
        "column 'leads' of your answer should be numbers, but their dtype is ")


def test_frame_nan_matches_nan_and_non_numeric_columns():
    expected = pd.DataFrame({"owner": ["ana", None, "ken"], "x": [1.0, np.nan, 3.0]})
    checker = expect_frame(lambda: expected)
    assert checker(expected.copy()) is None
    assert checker(expected.assign(owner=["ana", None, "kenji"])) == (
        "column 'owner' of your answer differs first at row 2 (1 of 3 rows differ; "
        "yours: 'kenji')."
    )
    assert "column 'x' of your answer differs first at row 1" in checker(
        expected.assign(x=[1.0, 0.0, 3.0]))


def test_frame_columns_subset_and_positional_rows():
    # 99.10 checks only "won", by position: reset indexes and other columns do not matter.
    assert check("99.10", _frame().reset_index()[["won"]]).correct
    reordered = check("99.10", _frame().iloc[::-1])
    assert reordered.message.startswith("column 'won' of your answer differs first at row "
                                        "position 0")


@pytest.mark.parametrize(
    ("answer", "words"),
    [
        ([1, 2, 3], "should be a pandas DataFrame, but it is a list of 3 items"),
        (42, "should be a pandas DataFrame, but it is the number 42"),
        (_frame()["won"], "should be a DataFrame, but it is a Series"),
        ("table", "the string 'table'"),
    ],
    ids=["list", "int", "series", "str"],
)
def test_frame_wrong_type_is_incorrect(answer, words):
    result = check("99.4", answer)
    assert result.status == "incorrect" and words in result.message


def test_series_answers():
    assert check("99.5", _series()).correct
    assert check("99.5", _series().rename("other name").iloc[[2, 0, 1]]).correct
    wrong = check("99.5", _series() * 100)
    assert wrong.message == ("the values of your win rates differ first at row 'SMB' "
                             "(3 of 3 rows differ; yours: 31.72).")
    for value in _series():
        _assert_hidden(wrong.message, value)
    as_frame = check("99.5", _series().to_frame())
    assert "should be a Series, but it is a DataFrame with one column" in as_frame.message
    assert "should be a pandas Series" in check("99.5", [0.3]).message


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"columns": "won"}, TypeError, "columns must be a sequence of column names or None"),
        ({"check_index": 1}, TypeError, "check_index must be a bool; got 1"),
        ({"rtol": -0.1}, ValueError, "rtol must be a number >= 0; got -0.1"),
        ({"name": 3}, TypeError, "name must be a non-empty str or a Say; got 3"),
    ],
)
def test_frame_builder_validation(kwargs, error, match):
    with pytest.raises(error, match=match):
        expect_frame(_frame, **kwargs)


def test_frame_broken_expectations():
    bad_column = _exercise("98.1", expect_frame(_frame, columns=["nope"]))
    not_a_frame = _exercise("98.2", expect_frame(lambda: [1, 2]))
    with registry_override(bad_column, not_a_frame):
        with pytest.raises(ExerciseError, match=r"columns \['nope'\] are not in the expected"):
            check("98.1", _frame())
        with pytest.raises(ExerciseError, match="must return a DataFrame or Series; got list"):
            check("98.2", _frame())


# --- marking as a learner types (issue 17) -----------------------------------------------------


def test_a_number_passes_at_the_precision_the_prompt_asks_for_and_no_coarser():
    from revopslab.exercises import expect_number

    share = expect_number(lambda: 0.01843, decimals=3, fraction=True, name="your share")
    assert share(0.018) is None and share(0.0184) is None and share(0.01843) is None
    assert share(0.019) == "your share is a little too high (1–10% off)."
    assert share(0.02) == "your share is rounded too coarsely: give it to 3 decimal places."
    assert share.precision == "as a fraction (not a percentage), to 3 decimal places"
    assert (share.expected_text(), share.typed()) == ("0.018", 0.018)
    sig = expect_number(lambda: 38_233_600, sig=3)
    assert sig(38_200_000) is None and sig(38_233_600) is None and sig(38_400_000) is not None
    assert sig.expected_text() == "38,200,000"
    with pytest.raises(ValueError, match="decimals or sig, not both"):
        expect_number(lambda: 1, decimals=1, sig=2)


@pytest.mark.parametrize("typed", [1.8, 1.84, 1.843, 2])
def test_a_percentage_for_a_fraction_is_caught_at_any_size_typed(typed):
    from revopslab.exercises import expect_number

    share = expect_number(lambda: 0.01843, decimals=3, fraction=True, name="your share")
    assert share(typed) == ("your share looks like a percentage: give it as a fraction "
                            "(0.25, not 25).")


def test_a_known_mistake_gets_its_diagnosis_never_the_answer():
    from revopslab.exercises import expect_number

    rate = expect_number(lambda: 0.759, decimals=3, fraction=True, name="your rate",
                         mistakes={"that is the cohort view's rate.": lambda: 0.652})
    assert rate(0.652) == "that is the cohort view's rate." and rate(0.65) is not None
    assert "0.759" not in rate(0.652)


def test_choices_accept_spelling_variants_aliases_and_a_computed_answer():
    from revopslab.exercises import expect_choice

    governance = expect_choice("centralised", options=["centralised", "decentralised"])
    for typed in ("centralized", "Centralised", " CENTRALIZED ", "'centralised'"):
        assert governance(typed) is None, typed
    assert governance("decentralized") == "'decentralised' is not the right choice."
    roles = expect_choice("data management and insights",
                          options=["data management and insights", "revenue enablement"],
                          aliases={"data & insights": "data management and insights"})
    assert roles("Data management & insights") is None and roles("data & insights") is None
    computed = expect_choice(lambda: "b", options=["a", "b"])
    assert computed("b") is None and computed.expected_text() == "'b'"
    broken = expect_choice(lambda: "z", options=["a", "b"])
    with pytest.raises(ExerciseError, match="not an option"):
        broken("a")


def test_feedback_speaks_the_language_asked_for():
    from revopslab.exercises import expect_number, feedback_text

    ex = Exercise("97.1", "Six times seven?", expect_number(lambda: 42), hint="Multiply.",
                  solution="answer = 42", prompt_ja="6×7は？", hint_ja="掛け算です。")
    with registry_override(ex):
        assert str(check("97.1", 42, lang="ja")) == "正解"
        assert str(check("97.1", 42)) == "Correct"
        assert str(check("97.1", 42, show_expected=True)) == "Correct — expected 42"
        assert str(check("97.1", 42, show_expected=True, lang="ja")) == "正解 — 期待される答え：42"
        assert check("97.1", ____, lang="ja").message == feedback_text(
            "nudge", "ja", placeholder="____")
        assert hint("97.1", lang="ja").text == "掛け算です。" and hint("97.1").text == "Multiply."
        assert ex.prompt_in("ja") == "6×7は？"
        with pytest.raises(ValueError, match="lang must be one of"):
            check("97.1", 42, lang="fr")


@pytest.mark.parametrize("kwargs, match", [
    ({"stars": 4}, "stars must be 1, 2 or 3"),
    ({"stars": True}, "stars must be 1, 2 or 3"),
    ({"kind": "quiz"}, "kind must be one of"),
    ({"prompt_ja": " "}, "prompt_ja must be None or a non-empty str"),
    ({"expected": "42"}, "expected must be None or a callable"),
])
def test_exercise_refuses_bad_levels_kinds_and_translations(kwargs, match):
    with pytest.raises((ValueError, TypeError), match=match):
        Exercise("97.2", "p", lambda a: None, hint="h", solution="s", **kwargs)


# --- both languages: one home per message ----------------------------------------------------

_JAPANESE = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff]")
_ENGLISH = re.compile(r"(?<![A-Za-z])[A-Za-z]+(?:'[A-Za-z]+)?(?:\s+[A-Za-z]+(?:'[A-Za-z]+)?){2,}"
                      r"(?![A-Za-z])")


def _placeholders(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


def test_every_phrase_has_both_languages_with_the_same_slots():
    from revopslab.exercises import _PHRASES

    assert _PHRASES["en"].keys() == _PHRASES["ja"].keys()
    for key, english in _PHRASES["en"].items():
        japanese = _PHRASES["ja"][key]
        assert _placeholders(english) == _placeholders(japanese), key
        if key not in ("high", "low"):  # 大き/小さ are stems
            assert _JAPANESE.search(japanese) or key in ("a_series", "an_index"), key
        assert not _ENGLISH.search(japanese), (key, japanese)


@pytest.mark.parametrize(("exercise_id", "answer"), [
    ("99.1", EXPECTED_MEAN * 1.004), ("99.1", EXPECTED_MEAN * 0.95), ("99.1", EXPECTED_MEAN * 3),
    ("99.1", EXPECTED_MEAN * 12), ("99.1", EXPECTED_MEAN / 100), ("99.1", -1.0),
    ("99.1", float("nan")), ("99.1", math.inf), ("99.1", "6.2 million"), ("99.1", True),
    ("99.1", pd.Series([1.0])), ("99.1", ACV.to_frame()), ("99.1", object()),
    ("99.2", "MQL"), ("99.2", "SAL"), ("99.2", "a lead that sales accepted"), ("99.2", [1]),
    ("99.3", ["sal", "sql"]), ("99.3", ["sal"]), ("99.3", "sal"), ("99.3", [["sal"]]),
    ("99.4", _frame()[["leads"]]), ("99.4", _frame().iloc[:2]), ("99.4", _frame()["won"]),
    ("99.4", _frame().assign(won=[37, 18, 5])), ("99.4", _frame().reset_index()),
    ("99.4", _frame().assign(won=["a", "b", "c"])), ("99.4", 3),
    ("99.5", _series().to_frame()), ("99.5", _series() * 2), ("99.5", [1, 2]),
    ("99.6", "forty-two"), ("99.7", "forty-two"), ("99.10", _frame().assign(won=0)),
], ids=lambda value: value if isinstance(value, str) else type(value).__name__)
def test_generic_diagnoses_speak_japanese_when_bound(exercise_id, answer):
    english = check(exercise_id, answer)
    with language("ja"):
        verdict = check(exercise_id, answer)
        explicit = check(exercise_id, answer, lang="en")
    assert get_lang() == "en"
    assert verdict.status == english.status == "incorrect"
    assert str(explicit) == str(english) and not _JAPANESE.search(english.message)
    text = str(verdict)
    assert _JAPANESE.search(text) and not _ENGLISH.search(text), text
    if exercise_id == "99.1":
        _assert_hidden(verdict.message, EXPECTED_MEAN)


def test_a_choice_named_in_english_is_named_by_position_in_japanese():
    q = expect_choice("lifetime value", options=["lifetime value", "this quarter's deals",
                                                 "lead volume"],
                      aliases={"0": "lifetime value", "1": "this quarter's deals",
                               "2": "lead volume"},
                      feedback={"this quarter's deals": Say(en="short-term.", ja="短期です。")})
    with language("ja"):
        assert q("this quarter's deals") == "番号1の選択肢は正しい選択肢ではありません。短期です。"
        assert q("lead volume") == "'lead volume'は正しい選択肢ではありません。"
        assert q("a deal") == ("'a deal'は選択肢のどれでもありません。選択肢：番号0〜2、"
                               "またはその文字列。")
        assert q("the quarter's deals, surely") == (
            "入力した文字列は選択肢のどれでもありません。選択肢：番号0〜2、またはその文字列。")
    assert q("this quarter's deals") == "\"this quarter's deals\" is not the right choice. " \
        "short-term."


def test_say_and_bilingual_incorrect():
    high = Say(en="too high", ja="大きすぎます")
    assert str(high) == "too high" and high.in_("ja") == "大きすぎます"
    with language("ja"):
        assert str(high) == "大きすぎます"
    assert ("x: " + high).in_("ja") == "x: 大きすぎます"
    with pytest.raises(ValueError, match="ja must be a non-empty str"):
        Say(en="x", ja=" ")

    def positive(answer):
        if answer <= 0:
            raise Incorrect(en="it should be positive", ja="正の数のはずです")

    with registry_override(_exercise("98.1", positive)):
        assert check("98.1", -1).message == "it should be positive"
        assert check("98.1", -1, lang="ja").message == "正の数のはずです"
        with language("ja"):
            assert check("98.1", -1).message == "正の数のはずです"
            assert str(check("98.1", ____)).startswith("未回答")
    with pytest.raises(TypeError, match="both en= and ja="):
        Incorrect(en="only English")
    with pytest.raises(TypeError, match="not both"):
        Incorrect("m", en="x", ja="y")


def test_hint_and_solution_follow_the_binding_and_explicit_lang_wins():
    ex = Exercise("97.3", "p", expect_number(lambda: 1), hint="Count.", solution=(
        "answer = 1  # one"), hint_ja="数えます。", solution_ja="answer = 1  # 1つ")
    plain = Exercise("97.4", "p", expect_number(lambda: 1), hint="Count.", solution="answer = 1")
    with registry_override(ex, plain):
        with language("ja"):
            assert hint("97.3").text == "数えます。" and str(hint("97.3")).startswith("ヒント")
            assert solution("97.3").text == "answer = 1  # 1つ"
            assert str(solution("97.3")).startswith("解答")
            assert hint("97.3", lang="en").text == "Count."
            assert solution("97.3", lang="en").text == "answer = 1  # one"
            assert solution("97.4").text == "answer = 1"
            assert hint("97.4").text == "Count."  # no translation: the English hint
        assert hint("97.3").text == "Count." and solution("97.3").text == "answer = 1  # one"
