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
from ..simulate import simulate_company
from . import Binding, experiment_seeds, small_config

__all__ = ["bind", "EXERCISES", "CANDIDATES", "raci_draft", "ARTICLE_OWNERS", "HISTOGRAM_READINGS",
           "SLA_REPORT_FLAWS", "acceptance_rate", "experiment_seeds", "small_config"]

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
    """The flawed first draft of the waterfall RACI that exercise 04.7 asks to fix.

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


#: Readings of the handoff-delay histogram of section 6, one right (exercise 04.4).
HISTOGRAM_READINGS: tuple[str, ...] = (
    "most accepted handoffs sit left of the SLA line, so the SLA is met",
    "it shows only the leads sales accepted: a lead that waited too long and was never "
    "accepted has no handoff time, so slow handoffs are under-counted",
    "no handoff takes longer than 15 days",
    "the SLA line marks the median handoff time",
)

#: What is wrong with concluding from the met/breached table that the SLA does not matter
#: (exercise 04.6).
SLA_REPORT_FLAWS: tuple[str, ...] = (
    "nothing: met and breached handoffs win about as often, so speed does not matter",
    "the table holds only accepted leads; leads that waited too long and were never "
    "accepted are in neither row (survivorship bias)",
    "the win rates should be compared in yen, not in deals",
    "the SLA should be measured in hours, not days",
)


def acceptance_rate(leads) -> float:
    """Share of the leads handed to sales (TQL or TGL) that sales accepted (SAL).

    Examples
    --------
    >>> import pandas as pd
    >>> leads = pd.DataFrame({"tql_at": [1, 1, None, None], "tgl_at": [None, None, 1, None],
    ...                       "sal_at": [1, None, 1, None]})
    >>> round(acceptance_rate(leads), 3)
    0.667
    """
    handed = leads["tql_at"].notna() | leads["tgl_at"].notna()
    return float(leads.loc[handed, "sal_at"].notna().mean())


def _sla_helps(company) -> int:
    higher = 0
    for seed in experiment_seeds(company):
        rates = {sla: acceptance_rate(simulate_company(
            small_config(company, handoff_sla_days=sla), rng=seed).leads) for sla in (None, 1.0)}
        higher += int(rates[1.0] > rates[None])
    return higher


def _sla_seeds() -> int:
    return _binding.memo("sla", _sla_helps)


def _sla_median() -> float:
    return float(_company().leads["handoff_days"].median())


EXERCISES = (
    Exercise(
        "04.1",
        "Which governance model does the book name as RevOps' default? One of "
        "'centralised', 'decentralised', 'hybrid'.",
        expect_choice("centralised", options=list(GOVERNANCE_MODELS), feedback={
            "decentralised": "Decentralised governance is what silos look like; RevOps exists "
                             "to integrate them.",
            "hybrid": "Hybrid is a common compromise, but the book starts from RevOps' role of "
                      "overseeing the whole process, data and technology.",
        }),
        hint="Re-read the governance table's revops_default column, and why RevOps oversees "
             "the whole revenue process.",
        solution="answer = 'centralised'",
        stars=1, kind="recall",
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
        stars=1, kind="compute",
    ),
    Exercise(
        "04.3",
        "Set the handoff SLA at what 90% of accepted handoffs already meet: the 90th "
        "percentile of company.leads['handoff_days'], in days, to 1 decimal place.",
        expect_number(_sla_90th_percentile, decimals=1, name="your SLA",
                      mistakes={"that is the median (the 50th percentile); the SLA here is "
                                "the 90th percentile, .quantile(0.9).": _sla_median}),
        hint="company.leads['handoff_days'] holds the days from TQL/TGL to SAL (empty for "
             "leads never accepted); .quantile(0.9) skips the empty ones.",
        solution="answer = company.leads['handoff_days'].quantile(0.9)",
        stars=2, kind="compute",
    ),
    Exercise(
        "04.4",
        "Read the histogram of handoff delays in section 6. Which reading is right? One of "
        "ch04.HISTOGRAM_READINGS (its index 0 to 3 or its text).",
        expect_choice(
            HISTOGRAM_READINGS[1], options=HISTOGRAM_READINGS,
            aliases={str(i): r for i, r in enumerate(HISTOGRAM_READINGS)},
            feedback={
                HISTOGRAM_READINGS[0]: "the printed breach rate says how many accepted "
                                       "handoffs missed it; and who is missing from the chart?",
                HISTOGRAM_READINGS[2]: "the x axis label says 15+ days are shown at 15: the "
                                       "chart clips them.",
            }),
        hint="The x axis label says which leads are drawn. Which leads have no handoff_days "
             "at all?",
        solution="answer = ch04.HISTOGRAM_READINGS[1]",
        stars=2, kind="interpret",
    ),
    Exercise(
        "04.5",
        "Experiment: for each seed of ch04.experiment_seeds(company), simulate "
        "ch04.small_config(company, handoff_sla_days=sla) with no SLA (None) and a 1-day SLA "
        "(1.0). In how many of the 5 seeds is the acceptance rate (ch04.acceptance_rate of "
        "the leads) higher with the SLA? A whole number.",
        expect_number(_sla_seeds, decimals=0, name="your count of seeds",
                      mistakes={"that is the count of seeds where acceptance is higher "
                                "without the SLA; count those where the SLA raises it.":
                                lambda: 5 - _sla_seeds()}),
        hint="ch04.acceptance_rate(run.leads) gives the share of handed-over leads that sales "
             "accepted. Compare the two runs seed by seed and count.",
        solution="higher = 0\n"
                 "for s in ch04.experiment_seeds(company):\n"
                 "    rates = {sla: ch04.acceptance_rate(simulate_company(\n"
                 "        ch04.small_config(company, handoff_sla_days=sla), rng=s).leads)\n"
                 "        for sla in (None, 1.0)}\n"
                 "    higher += int(rates[1.0] > rates[None])\n"
                 "answer = higher",
        stars=2, kind="experiment",
    ),
    Exercise(
        "04.6",
        "Find the flaw: a manager reads the met/breached table of section 6 and concludes "
        "'speed does not matter: breached handoffs win as often as met ones'. What is wrong? "
        "One of ch04.SLA_REPORT_FLAWS (index or text).",
        expect_choice(
            SLA_REPORT_FLAWS[1], options=SLA_REPORT_FLAWS,
            aliases={str(i): r for i, r in enumerate(SLA_REPORT_FLAWS)},
            feedback={
                SLA_REPORT_FLAWS[0]: "which leads are in the table at all? Section 7's "
                                     "experiment measures what the table cannot.",
            }),
        hint="Which leads have a handoff time? What happened to the leads that waited and "
             "were never accepted?",
        solution="answer = ch04.SLA_REPORT_FLAWS[1]",
        stars=2, kind="flaw",
    ),
    Exercise(
        "04.7",
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
        stars=3, kind="compute",
        expected=lambda: ("a RACI that passes validate_raci, with these accountable "
                          "departments: " + ", ".join(f"{stage}: {' or '.join(owners)}"
                                                      for stage, owners in
                                                      ARTICLE_OWNERS.items())),
    ),
)

for _exercise in EXERCISES:
    register(_exercise, replace=True)
