"""Exercises of notebook 00 (orientation), checked against the company the notebook binds."""

from __future__ import annotations

from ..exercises import Exercise, expect_choice, expect_number, register
from . import Binding

__all__ = ["bind", "EXERCISES"]

_binding = Binding()
#: Make the exercises check answers against the notebook's company (see :class:`Binding`).
bind = _binding.bind
_company = _binding.company


def _paying_customers_last_month() -> int:
    mrr = _company().mrr
    last = mrr["month"].max()
    return int(mrr.loc[(mrr["month"] == last) & (mrr["mrr"] > 0), "account_id"].nunique())


def _inquiry_to_customer_rate() -> float:
    company = _company()
    return float(company.opportunities["is_won"].sum() / len(company.leads))


EXERCISES = (
    Exercise(
        "00.1",
        "How many paying customers (accounts with MRR > 0) are there in the last month?",
        expect_number(_paying_customers_last_month, rel_tol=0, abs_tol=0.5,
                      name="your customer count"),
        hint="Filter company.mrr to the last month (company.mrr['month'].max()) and rows with "
             "mrr > 0, then count distinct account_id values with .nunique().",
        solution="last = company.mrr['month'].max()\n"
                 "answer = company.mrr.query('month == @last and mrr > 0')['account_id'].nunique()",
    ),
    Exercise(
        "00.2",
        "What share of all inquiries became won customers (won opportunities / inquiries)?",
        expect_number(_inquiry_to_customer_rate, rel_tol=0.005, name="your share"),
        hint="Each row of company.leads is one inquiry; company.opportunities['is_won'] is True "
             "for won deals. Divide the number of wins by the number of inquiries (a fraction, "
             "not a percentage).",
        solution="answer = company.opportunities['is_won'].sum() / len(company.leads)",
    ),
    Exercise(
        "00.3",
        "In the flywheel experiment, which mechanism creates the extra inquiries?",
        expect_choice("referrals from promoters",
                      options=["more advertising", "referrals from promoters",
                               "a lower MQL threshold", "more sales reps"]),
        hint="Compare the two runs' lead tables by channel: which channel grows when the "
             "flywheel is on, and who feeds it?",
        solution="answer = 'referrals from promoters'  # the referral channel grows with the "
                 "number of recent NPS promoters",
    ),
)

for _exercise in EXERCISES:
    register(_exercise, replace=True)
