"""Exercises of notebook 04 (designing the RevOps organisation), checked against its company."""

from __future__ import annotations

from types import MappingProxyType
from typing import Any

import pandas as pd

from ..exercises import Exercise, Incorrect, expect_choice, expect_number, expect_set, register
from ..org import (
    GOVERNANCE_MODELS,
    RaciError,
    accountable_departments,
    readiness,
    validate_raci,
    waterfall_raci,
)
from . import Binding

__all__ = ["bind", "EXERCISES", "CANDIDATES", "raci_draft", "ARTICLE_OWNERS"]

_binding = Binding()
#: Make the exercises check answers against the notebook's company (see :class:`Binding`).
bind = _binding.bind
_company = _binding.company

#: Five companies to judge against LeanData's profile (exercise 04.2).
CANDIDATES = MappingProxyType({
    "Sakura Cloud": MappingProxyType({"customers": 520, "employees": 150, "years": 7.0}),
    "Fuji Analytics": MappingProxyType({"customers": 1200, "employees": 90, "years": 9.5}),
    "Kaze Tech": MappingProxyType({"customers": 480, "employees": 300, "years": 12.0}),
    "Minato SaaS": MappingProxyType({"customers": 500, "employees": 140, "years": 6.5}),
    "Hikari Apps": MappingProxyType({"customers": 2000, "employees": 400, "years": 4.0}),
})

#: The department the article's division of duties makes accountable for each stage
#: (outbound inquiries may sit with inside sales or with field sales).
ARTICLE_OWNERS = MappingProxyType({
    "inquiry_inbound": ("marketing",),
    "inquiry_outbound": ("inside_sales", "field_sales"),
    "aql": ("marketing",),
    "tal": ("inside_sales",),
    "tql": ("inside_sales",),
    "tgl": ("inside_sales",),
    "sal": ("field_sales",),
    "sgl": ("field_sales",),
    "sql": ("field_sales",),
    "close": ("field_sales",),
})


def raci_draft() -> pd.DataFrame:
    """The flawed first draft of the waterfall RACI that exercise 04.1 asks to fix.

    Examples
    --------
    >>> sorted(raci_draft().index) == sorted(set(waterfall_raci().index) - {"sgl"})
    True
    """
    draft = waterfall_raci().drop(index="sgl")  # field sales' own leads were forgotten
    draft.loc["tql", "marketing"] = "A"  # marketing also claims the TQLs it hands over
    draft.loc["sal", "field_sales"] = "R"  # sales works SALs, but nobody answers for them
    draft.loc["close", "field_sales"] = "A"  # field sales answers for the close, nobody does it
    return draft


def _check_raci(answer: Any) -> str | None:
    if not isinstance(answer, pd.DataFrame):
        raise Incorrect("your RACI should be a pandas DataFrame with stages as rows and "
                        f"departments as columns, but it is a {type(answer).__name__}.")
    try:
        validate_raci(answer)
    except RaciError as exc:
        count = len(exc.problems)
        noun = "problem" if count == 1 else "problems"
        return (f"your RACI still has {count} {noun}, the first: {exc.problems[0]}. "
                "Run validate_raci(answer) to see them all.")
    owners = accountable_departments(answer)
    for stage, allowed in ARTICLE_OWNERS.items():
        if owners[stage] not in allowed:
            return (f"your RACI passes validate_raci, but stage {stage!r} is accountable to "
                    f"{owners[stage]!r}; in the article's division of duties another "
                    "department owns it.")
    return None


def _ready_candidates() -> list[str]:
    return [name for name, size in CANDIDATES.items() if readiness(dict(size)).ready]


def _sla_90th_percentile() -> float:
    return float(_company().leads["handoff_days"].quantile(0.9))


EXERCISES = (
    Exercise(
        "04.1",
        "Fix the draft RACI (ch04.raci_draft()) so it passes validate_raci with the article's "
        "owners.",
        _check_raci,
        hint="validate_raci(draft) lists every problem. Each stage needs exactly one 'A' and at "
             "least one 'R' ('A/R' gives both to one department), and every stage needs a row: "
             "add the missing one with draft.loc['sgl'] = ... .",
        solution="answer = ch04.raci_draft()\n"
                 "answer.loc['tql', 'marketing'] = 'C'      # one Accountable: inside sales\n"
                 "answer.loc['sal', 'field_sales'] = 'A/R'  # sales answers for acceptance\n"
                 "answer.loc['close', 'field_sales'] = 'A/R'\n"
                 "answer.loc['sgl'] = pd.Series({'marketing': 'I', 'field_sales': 'A/R', "
                 "'revops': 'C'})\n"
                 "validate_raci(answer)",
    ),
    Exercise(
        "04.2",
        "Which companies in ch04.CANDIDATES fit LeanData's profile? Give a list of their names.",
        expect_set(_ready_candidates, name="your list of companies"),
        hint="readiness(size) accepts a dict with customers, employees and years, and its "
             ".ready is True only when all three thresholds are met (500+, 140+ and 6.5+ "
             "include the boundary).",
        solution="answer = [name for name, size in ch04.CANDIDATES.items() "
                 "if readiness(dict(size)).ready]",
    ),
    Exercise(
        "04.3",
        "Set the handoff SLA at what 90% of accepted handoffs already meet: the 90th "
        "percentile of handoff_days.",
        expect_number(_sla_90th_percentile, rel_tol=0.02, name="your SLA"),
        hint="company.leads['handoff_days'] holds the days from TQL/TGL to SAL (empty for "
             "leads never accepted); .quantile(0.9) skips the empty ones.",
        solution="answer = company.leads['handoff_days'].quantile(0.9)",
    ),
    Exercise(
        "04.4",
        "Which governance model does the book name as RevOps' default?",
        expect_choice("centralised", options=list(GOVERNANCE_MODELS), feedback={
            "decentralised": "Decentralised governance is what silos look like; RevOps exists "
                             "to integrate them.",
            "hybrid": "Hybrid is a common compromise, but the book starts from RevOps' role of "
                      "overseeing the whole process, data and technology.",
        }),
        hint="Re-read the governance table's revops_default column, and why RevOps oversees "
             "the whole revenue process.",
        solution="answer = 'centralised'",
    ),
)

for _exercise in EXERCISES:
    register(_exercise, replace=True)
