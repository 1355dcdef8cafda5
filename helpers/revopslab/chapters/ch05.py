"""Exercises of notebook 05 (data-driven decisions), checked against the company it binds."""

from __future__ import annotations

import math
import numbers
from typing import Any

import pandas as pd

from ..exercises import Checker, Exercise, expect_choice, expect_number, register
from ..forecast import bias, mape, wape
from ..process import PATHS, STEPS, bottleneck, conversion, with_outcomes
from . import Binding

__all__ = ["bind", "EXERCISES", "BEFORE_HANDOFF", "FORECAST_DRILL", "last_full_quarter"]

_binding = Binding()
#: Make the exercises check answers against the notebook's company (see :class:`Binding`).
bind = _binding.bind
_company = _binding.company

#: The steps marketing and inside sales own: from inquiry up to a lead ready for sales
#: (TQL, or TGL from outbound prospecting), before the handoff to field sales (05.2).
BEFORE_HANDOFF: tuple[str, ...] = ("inquiry_to_aql", "aql_to_tal", "tal_to_tql",
                                   "inquiry_to_tgl")

#: Four quarters of a sales team's forecast and what was then booked (yen), for 05.3.
FORECAST_DRILL = pd.DataFrame(
    {"forecast": [120_000_000, 90_000_000, 150_000_000, 60_000_000],
     "actual": [100_000_000, 100_000_000, 200_000_000, 40_000_000]},
    index=pd.Index(["2025Q1", "2025Q2", "2025Q3", "2025Q4"], name="quarter"),
)

_STEP = "sql_to_opportunity"
_OUTBOUND_YEARS = 3


def last_full_quarter(company) -> pd.Period:
    """The last calendar quarter that had ended by the company's extraction date.

    Examples
    --------
    >>> from types import SimpleNamespace
    >>> last_full_quarter(SimpleNamespace(as_of=pd.Timestamp("2026-01-01")))
    Period('2025Q4', 'Q-DEC')
    >>> last_full_quarter(SimpleNamespace(as_of=pd.Timestamp("2025-11-15")))
    Period('2025Q3', 'Q-DEC')
    """
    return pd.Timestamp(company.as_of).to_period("Q") - 1


def _period_rate() -> float:
    company = _company()
    leads = with_outcomes(company.leads, company.opportunities)
    table = conversion(leads, view="period", freq="Q", steps=[_STEP])
    row = table[table["period"] == last_full_quarter(company)]
    if row.empty:
        raise ValueError(f"no {_STEP} activity in {last_full_quarter(company)}")
    return float(row["rate"].iloc[0])


def _check_bottleneck(answer: Any) -> str | None:
    gains = bottleneck(_company())["gain"]
    correct = gains.loc[list(BEFORE_HANDOFF)].idxmax()
    if isinstance(answer, str) and answer in STEPS and answer not in BEFORE_HANDOFF:
        return (f"{answer!r} is a step of the waterfall, but not one marketing and inside "
                f"sales own; choose one of {list(BEFORE_HANDOFF)}.")
    return expect_choice(correct, options=BEFORE_HANDOFF)(answer)


def _real(answer: Any) -> float | None:
    """The answer as a float when it is a plain real number, else None."""
    if isinstance(answer, bool) or not isinstance(answer, numbers.Real):
        return None
    return float(answer)


def _check_wape(answer: Any) -> str | None:
    forecast, actual = FORECAST_DRILL["forecast"], FORECAST_DRILL["actual"]
    message = expect_number(lambda: wape(forecast, actual), rel_tol=0.005,
                            name="your WAPE")(answer)
    value = _real(answer)
    if message is None or value is None:
        return message
    if math.isclose(value, mape(forecast, actual), rel_tol=0.005):
        return ("that is the MAPE, the mean of each quarter's percentage error. WAPE adds "
                "the absolute errors up first and divides by the total actual.")
    if math.isclose(value, bias(forecast, actual), rel_tol=0.005):
        return ("that is the bias: the signed errors cancel out. WAPE adds up the absolute "
                "errors |F − A|.")
    return message


def _compound_steps() -> int:
    return len(PATHS["outbound"])


def _compound() -> float:
    return 1.01 ** (_compound_steps() * _OUTBOUND_YEARS) - 1


def _check_compound(answer: Any) -> str | None:
    message = expect_number(_compound, rel_tol=0.002, name="your gain")(answer)
    value = _real(answer)
    if message is None or value is None:
        return message
    if math.isclose(value, 0.01 * _compound_steps() * _OUTBOUND_YEARS, rel_tol=0.002):
        return ("you added the improvements up. Each step's rate multiplies the next, so "
                "the 1% gains multiply too: 1.01 × 1.01 × … .")
    if math.isclose(value, _compound() + 1, rel_tol=0.002):
        return "that is the multiple of today's throughput; the gain is the multiple − 1."
    return message


EXERCISES = (
    Exercise(
        "05.1",
        "Period view: what was the sql_to_opportunity conversion rate in the company's last "
        "full quarter (opportunities created ÷ SQLs that quarter)?",
        expect_number(_period_rate, rel_tol=0.005, abs_tol=1e-4, name="your rate"),
        hint="process.conversion(leads, view='period', freq='Q', steps=['sql_to_opportunity']) "
             "gives one row per quarter; ch05.last_full_quarter(company) is the quarter to "
             "read. The answer is a fraction (0.75, not 75).",
        solution="from revopslab import process\n"
                 "leads = process.with_outcomes(company.leads, company.opportunities)\n"
                 "table = process.conversion(leads, view='period', freq='Q',\n"
                 "                           steps=['sql_to_opportunity'])\n"
                 "row = table[table['period'] == ch05.last_full_quarter(company)]\n"
                 "answer = row['rate'].item()",
    ),
    Exercise(
        "05.2",
        "Of the steps marketing and inside sales own (ch05.BEFORE_HANDOFF), which one would "
        "add the most revenue if lifted?",
        Checker(_check_bottleneck, expects=f"one of {list(BEFORE_HANDOFF)}"),
        hint="process.bottleneck(company) ranks every step of the whole waterfall by the "
             "revenue a lift would add (column 'gain'). Keep the rows of ch05.BEFORE_HANDOFF "
             "and take the label of the largest gain. (Passing steps= to bottleneck would cut "
             "the waterfall before 'won', so the steps' revenue could not be valued.)",
        solution="from revopslab import process\n"
                 "gains = process.bottleneck(company)['gain']\n"
                 "answer = gains.loc[list(ch05.BEFORE_HANDOFF)].idxmax()",
    ),
    Exercise(
        "05.3",
        "What is the WAPE of the forecast in ch05.FORECAST_DRILL against its actuals?",
        Checker(_check_wape, expects="a single number (a fraction)"),
        hint="WAPE = Σ|forecast − actual| / Σ actual over the four quarters: add the absolute "
             "errors up first, then divide once. Give a fraction (0.2, not 20).",
        solution="drill = ch05.FORECAST_DRILL\n"
                 "answer = (drill['forecast'] - drill['actual']).abs().sum() / "
                 "drill['actual'].sum()",
    ),
    Exercise(
        "05.4",
        "Every step of the outbound path (process.PATHS['outbound']) improves by 1% a year. "
        "By what fraction is its throughput higher after 3 years?",
        Checker(_check_compound, expects="a single number (a fraction)"),
        hint="Throughput = inquiries × p₁ × p₂ × … × p_k. Each p is 1.01 times higher per year, "
             "so after y years the product is 1.01 ** (k · y) times today's. Count k with "
             "len(process.PATHS['outbound']).",
        solution="from revopslab import process\n"
                 "k = len(process.PATHS['outbound'])\n"
                 "answer = 1.01 ** (k * 3) - 1",
    ),
)

for _exercise in EXERCISES:
    register(_exercise, replace=True)
