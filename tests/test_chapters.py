"""Every chapter's exercises: the solution passes, a wrong answer fails, the placeholder nudges.

The solutions run as the notebooks would run them, against a small company bound to
the chapter (its checkers compute the expected value from that company).
"""

from __future__ import annotations

import dataclasses

import pandas as pd
import pytest

from revopslab.chapters import ch00, ch01, ch02, ch03, ch05
from revopslab.config import CompanyConfig
from revopslab.exercises import ____, check, hint, solution
from revopslab.simulate import simulate_company

CHAPTERS = {"00": ch00, "01": ch01, "02": ch02, "03": ch03, "05": ch05}


@pytest.fixture(scope="module")
def small_company():
    return simulate_company(CompanyConfig(months=30, scale=0.3), rng=5)  # a full 2nd year


def _solve(exercise_id, company):
    module = CHAPTERS[exercise_id[:2]]
    namespace = {"pd": pd, "dataclasses": dataclasses, "company": company,
                 "simulate_company": simulate_company, f"ch{exercise_id[:2]}": module}
    exec(solution(exercise_id).text, namespace)
    return namespace["answer"]


def _wrong(exercise_id, right):
    """A plausible wrong answer: another option, or a number clearly off."""
    if isinstance(right, str):  # a choice: the checkers name a wrong option, never the right one
        return right + " (my own words)"
    return right * 1.5 + 1


ALL = [e.id for m in CHAPTERS.values() for e in m.EXERCISES]


@pytest.mark.parametrize("exercise_id", ALL)
def test_solution_passes_wrong_answer_fails_placeholder_nudges(small_company, exercise_id):
    CHAPTERS[exercise_id[:2]].bind(small_company)
    right = _solve(exercise_id, small_company)
    assert check(exercise_id, right).correct, check(exercise_id, right)
    wrong = check(exercise_id, _wrong(exercise_id, right))
    assert wrong.status == "incorrect", wrong
    assert check(exercise_id, ____).status == "not_attempted"
    assert hint(exercise_id).text


def test_each_chapter_binds_its_own_company(small_company):
    other = simulate_company(CompanyConfig(months=12, scale=0.2), rng=9)
    ch00.bind(small_company)
    ch01.bind(other)
    assert ch00._company() is small_company and ch01._company() is other
    with pytest.raises(TypeError, match="company must be a revopslab Company"):
        ch01.bind(small_company.leads)
