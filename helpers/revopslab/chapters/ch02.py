"""Exercises of notebook 02 (the CRO), checked against the company the notebook binds."""

from __future__ import annotations

import pandas as pd

from .. import metrics
from ..exercises import Exercise, expect_choice, expect_number, register
from . import Binding

__all__ = ["bind", "EXERCISES", "LENSES", "last_full_year"]

_binding = Binding()
#: Make the exercises check answers against the notebook's company (see :class:`Binding`).
bind = _binding.bind
_company = _binding.company

#: The lenses a revenue leader can judge the business by (exercise 02.3).
LENSES: tuple[str, ...] = ("this quarter's bookings", "number of deals closed",
                           "lifetime value and company-wide profitability", "lead volume")


def last_full_year(company) -> str:
    """The last calendar year wholly inside the company's history, e.g. ``"2025"``.

    Examples
    --------
    >>> from revopslab.datasets import load_company
    >>> last_full_year(load_company())
    '2025'
    """
    as_of = pd.Timestamp(company.as_of)
    year = as_of.year if as_of == pd.Timestamp(f"{as_of.year + 1}-01-01") else as_of.year - 1
    return str(year)


def _nrr() -> float:
    company = _company()
    return metrics.net_revenue_retention(company.mrr, period=last_full_year(company))


def _payback() -> float:
    company = _company()
    return metrics.cac_payback_months(company.costs, company.mrr_movements,
                                      gross_margin=company.config.gross_margin,
                                      period=last_full_year(company))


EXERCISES = (
    Exercise(
        "02.1",
        "What is the company's net revenue retention (NRR) over its last full calendar year "
        "(ch02.last_full_year(company))? Give a ratio such as 1.05.",
        expect_number(_nrr, rel_tol=0.002, name="your NRR"),
        hint="NRR = this year's MRR from the customers who paid at the start of the year, over "
             "their MRR then. revopslab.metrics.net_revenue_retention(company.mrr, period=...) "
             "computes it; or do it by hand from company.mrr.",
        solution="from revopslab import metrics\n"
                 "answer = metrics.net_revenue_retention(company.mrr, "
                 "period=ch02.last_full_year(company))",
    ),
    Exercise(
        "02.2",
        "How many months of gross profit from its new customers does the company need to "
        "repay their acquisition cost (CAC payback) over its last full year?",
        expect_number(_payback, rel_tol=0.005, name="your payback"),
        hint="Sales and marketing cost of the year over the new MRR won in the year times the "
             "gross margin (company.config.gross_margin). metrics.cac_payback_months takes "
             "company.costs and company.mrr_movements.",
        solution="from revopslab import metrics\n"
                 "answer = metrics.cac_payback_months(company.costs, company.mrr_movements, "
                 "gross_margin=company.config.gross_margin, "
                 "period=ch02.last_full_year(company))",
    ),
    Exercise(
        "02.3",
        "Which lens distinguishes a CRO from a head of sales?",
        expect_choice(
            "lifetime value and company-wide profitability", options=LENSES,
            feedback={
                "this quarter's bookings": "that is the head of sales' lens; the experiment "
                                           "showed what it costs after three years.",
                "number of deals closed": "a deal-count KPI is the silo the CRO removes.",
                "lead volume": "lead volume is marketing's intermediate KPI.",
            }),
        hint="Re-read the CRO-vs-head-of-sales experiment: which strategy earned more over "
             "three years, and what did it optimise?",
        solution="answer = 'lifetime value and company-wide profitability'",
    ),
)

for _exercise in EXERCISES:
    register(_exercise, replace=True)
