"""Exercises of notebook 03 (BigOps and the SSOT), checked against the company it binds."""

from __future__ import annotations

from ..exercises import Exercise, expect_choice, expect_number, register
from ..silos import export_silos
from ..ssot import normalise_company_name
from . import Binding

__all__ = ["bind", "EXERCISES", "NAME_VARIANTS", "SYSTEM_NAMES", "PAIR_COUNTS"]

_binding = Binding()
#: Make the exercises check answers against the notebook's company (see :class:`Binding`).
bind = _binding.bind
_company = _binding.company

#: One company as eight people typed it into three systems (exercise 03.1).
NAME_VARIANTS: tuple[str, ...] = (
    "株式会社スマート物産", "(株)スマート物産", "ｽﾏｰﾄ物産㈱", "スマート物産 株式会社 御中",
    "スマ-ト物産(株)", "スマート物座株式会社", "Smart Bussan Co., Ltd.",
    "ＳＭＡＲＴ ＢＵＳＳＡＮ Inc.",
)

#: The three departmental systems, as the notebook names them (exercise 03.4).
SYSTEM_NAMES: tuple[str, ...] = ("MA", "SFA", "CS")

#: A matcher's pairwise result against the truth (exercise 03.3).
PAIR_COUNTS: dict[str, int] = {"predicted_pairs": 1_200, "correct_pairs": 1_080,
                               "true_pairs": 1_500}


def _distinct_keys() -> int:
    return len({normalise_company_name(name) for name in NAME_VARIANTS})


_SFA_FORMER: list[tuple[object, int]] = []  # (company, answer): one export per company


def _sfa_former() -> int:
    """Accounts typed 'Former Customer' in the SFA export of the bound company (cached)."""
    company = _company()
    if not _SFA_FORMER or _SFA_FORMER[0][0] is not company:
        silos = export_silos(company)
        former = int((silos.sfa["accounts"]["Type"] == "Former Customer").sum())
        _SFA_FORMER[:] = [(company, former)]
    return _SFA_FORMER[0][1]


def _f1() -> float:
    precision = PAIR_COUNTS["correct_pairs"] / PAIR_COUNTS["predicted_pairs"]
    recall = PAIR_COUNTS["correct_pairs"] / PAIR_COUNTS["true_pairs"]
    return 2 * precision * recall / (precision + recall)


EXERCISES = (
    Exercise(
        "03.1",
        "The eight spellings in ch03.NAME_VARIANTS are one company. How many distinct "
        "matching keys does normalise_company_name give for them?",
        expect_number(_distinct_keys, rel_tol=0, abs_tol=0, name="your number of keys"),
        hint="Put every variant through revopslab.ssot.normalise_company_name and count the "
             "distinct results (a set). Width, legal forms and honorifics go; typos and "
             "romanised names stay.",
        solution="from revopslab.ssot import normalise_company_name\n"
                 "answer = len({normalise_company_name(name) for name in ch03.NAME_VARIANTS})",
    ),
    Exercise(
        "03.2",
        "How many former customers does the SFA export of the notebook's company know of "
        "(accounts whose Type is 'Former Customer' in export_silos(company))?",
        expect_number(_sfa_former, rel_tol=0, abs_tol=0, name="your count"),
        hint="export_silos(company) from revopslab.silos gives the exports; silos.sfa['accounts'] "
             "has a Type column. Count the rows equal to 'Former Customer'.",
        solution="from revopslab.silos import export_silos\n"
                 "silos = export_silos(company)\n"
                 "answer = int((silos.sfa['accounts']['Type'] == 'Former Customer').sum())",
    ),
    Exercise(
        "03.3",
        "A matcher put 1,200 pairs of records together; 1,080 of them truly are the same "
        "company, and the truth holds 1,500 such pairs (ch03.PAIR_COUNTS). What is its F1?",
        expect_number(_f1, rel_tol=1e-3, name="your F1"),
        hint="precision = correct / predicted, recall = correct / true pairs, "
             "F1 = 2 × precision × recall / (precision + recall).",
        solution="counts = ch03.PAIR_COUNTS\n"
                 "precision = counts['correct_pairs'] / counts['predicted_pairs']\n"
                 "recall = counts['correct_pairs'] / counts['true_pairs']\n"
                 "answer = 2 * precision * recall / (precision + recall)",
    ),
    Exercise(
        "03.4",
        "Only one department's system records the date a customer cancelled. Which? One of "
        "ch03.SYSTEM_NAMES.",
        expect_choice(
            "CS", options=SYSTEM_NAMES,
            feedback={
                "MA": "marketing automation never hears of a cancellation.",
                "SFA": "the SFA has a 'Former Customer' account type, reset when a rep "
                       "remembers, and no date.",
            }),
        hint="Look at the columns of silos.cs['customers'] and silos.sfa['accounts'], or at "
             "the reasons in the 'logo churn' rows of the same-question table.",
        solution="answer = 'CS'",
    ),
)

for _exercise in EXERCISES:
    register(_exercise, replace=True)
