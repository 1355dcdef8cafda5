"""Exercises of notebook 02 (the CRO), checked against the company the notebook binds."""

from __future__ import annotations

import pandas as pd

from .. import metrics
from ..exercises import Exercise, Say, expect_choice, expect_number, register
from ..simulate import simulate_company
from . import Binding, experiment_seeds, small_config

__all__ = ["bind", "EXERCISES", "LENSES", "LTV_READINGS", "last_full_year", "year_before",
           "experiment_seeds", "small_config"]

_binding = Binding()
#: Make the exercises check answers against the notebook's company (see :class:`Binding`).
bind = _binding.bind
_company = _binding.company

#: Readings of the LTV table of section 3 (cac, ltv, ltv_formula, ltv_cohort_24m), one right
#: (exercise 02.4).
LTV_READINGS: tuple[str, ...] = (
    "ltv_formula is the most accurate LTV because it uses every customer",
    "ltv_formula assumes today's churn lasts for ever, so it promises more than the capped "
    "ltv; ltv_cohort_24m is observed but covers only two years",
    "ltv_cohort_24m is the lowest, so the customers are worth the least of the three",
    "the three columns disagree, so LTV cannot be used for decisions",
)

#: The lenses a revenue leader can judge the business by (exercise 02.1).
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


def year_before(company) -> str:
    """The calendar year before `last_full_year`, e.g. ``"2024"``.

    Examples
    --------
    >>> from revopslab.datasets import load_company
    >>> year_before(load_company())
    '2024'
    """
    return str(int(last_full_year(company)) - 1)


def _smb_nrr() -> float:
    company = _company()
    return metrics.net_revenue_retention(company.mrr, period=last_full_year(company),
                                         segment="SMB", accounts=company.accounts)


def _nrr() -> float:
    company = _company()
    return metrics.net_revenue_retention(company.mrr, period=last_full_year(company))


def _payback() -> float:
    company = _company()
    return metrics.cac_payback_months(company.costs, company.mrr_movements,
                                      gross_margin=company.config.gross_margin,
                                      period=year_before(company))


def _payback_last_year() -> float:
    company = _company()
    return metrics.cac_payback_months(company.costs, company.mrr_movements,
                                      gross_margin=company.config.gross_margin,
                                      period=last_full_year(company))


def _total_mrr_growth() -> float:
    company = _company()
    year = int(last_full_year(company))
    total = company.mrr.groupby("month")["mrr"].sum()
    return float(total[pd.Timestamp(f"{year}-12-01")] / total[pd.Timestamp(f"{year - 1}-12-01")])


def _overstatement() -> float:
    return _total_mrr_growth() - _nrr()


def _discount_loses(company) -> int:
    lower = 0
    for seed in experiment_seeds(company):
        revenue = {d: simulate_company(small_config(company, discount_pressure=d),
                                       rng=seed).mrr["mrr"].sum() for d in (0.0, 0.14)}
        lower += int(revenue[0.14] < revenue[0.0])
    return lower


def _discount_seeds() -> int:
    return _binding.memo("discount", _discount_loses)


EXERCISES = (
    Exercise(
        "02.1",
        "Which lens distinguishes a CRO from a head of sales? One of ch02.LENSES.",
        expect_choice(
            "lifetime value and company-wide profitability", options=LENSES,
            aliases={"LTV": "lifetime value and company-wide profitability",
                     "lifetime value": "lifetime value and company-wide profitability"},
            feedback={
                "this quarter's bookings": Say(
                    en="that is the head of sales' lens; the experiment showed what it costs "
                       "after three years.",
                    ja="それは営業責任者の視点です。実験は、それが3年後に何を失わせるかを"
                       "示しました。"),
                "number of deals closed": Say(
                    en="a deal-count KPI is the silo the CRO removes.",
                    ja="受注件数のKPIは、CROが取り除くサイロそのものです。"),
                "lead volume": Say(en="lead volume is marketing's intermediate KPI.",
                                   ja="リード数はマーケティングの中間KPIです。"),
            }),
        hint="Re-read the CRO-vs-head-of-sales experiment: which strategy earned more over "
             "three years, and what did it optimise?",
        hint_ja="CROの視点と営業責任者の視点を比べた実験を読み直してください。3年間でより"
                "多く稼いだのはどちらの戦略で、その戦略は何を最大化していましたか。",
        solution="answer = 'lifetime value and company-wide profitability'",
        stars=1, kind="recall",
    ),
    Exercise(
        "02.2",
        "What is the net revenue retention (NRR) of the SMB segment over the company's last "
        "full calendar year (ch02.last_full_year(company))? As a ratio such as 1.05, to 3 "
        "decimal places.",
        expect_number(_smb_nrr, decimals=3, name=Say(en="your NRR", ja="あなたのNRR"),
                      mistakes={Say(en="that is the NRR of the whole company; keep the SMB "
                                       "accounts (segment='SMB', accounts=company.accounts).",
                                    ja="それは会社全体のNRRです。SMBの取引先に絞ってください"
                                       "（segment='SMB', accounts=company.accounts）。"):
                                _nrr}),
        hint="revopslab.metrics.net_revenue_retention(company.mrr, period=..., segment='SMB', "
             "accounts=company.accounts) computes it: this year's MRR from the SMB customers "
             "who paid in the month before the year, over their MRR then.",
        hint_ja="revopslab.metrics.net_revenue_retention(company.mrr, period=..., "
                "segment='SMB', accounts=company.accounts) で計算できます。その年の前月に"
                "支払っていたSMB顧客の、その年のMRRを、前月のMRRで割った比率です。",
        solution="from revopslab import metrics\n"
                 "answer = metrics.net_revenue_retention(company.mrr, "
                 "period=ch02.last_full_year(company), segment='SMB', "
                 "accounts=company.accounts)",
        stars=2, kind="compute",
    ),
    Exercise(
        "02.3",
        "How many months of gross profit from its new customers did the company need to "
        "repay their acquisition cost (CAC payback) in the year before its last full year "
        "(ch02.year_before(company))? In months, to 1 decimal place.",
        expect_number(_payback, decimals=1, name=Say(en="your payback", ja="あなたの回収期間"),
                      mistakes={Say(en="that is the payback of the last full year; take the "
                                       "year before it (ch02.year_before(company)).",
                                    ja="それは直近の完了した年の回収期間です。その前年"
                                       "（ch02.year_before(company)）を使ってください。"):
                                _payback_last_year}),
        hint="Sales and marketing cost of the year over the new MRR won in the year times the "
             "gross margin (company.config.gross_margin). metrics.cac_payback_months takes "
             "company.costs and company.mrr_movements.",
        hint_ja="その年のセールス・マーケティング費用を、その年に獲得した新規MRRに粗利率"
                "（company.config.gross_margin）を掛けたもので割ります。"
                "metrics.cac_payback_months は company.costs と company.mrr_movements を"
                "受け取ります。",
        solution="from revopslab import metrics\n"
                 "answer = metrics.cac_payback_months(company.costs, company.mrr_movements, "
                 "gross_margin=company.config.gross_margin, "
                 "period=ch02.year_before(company))",
        stars=2, kind="compute",
    ),
    Exercise(
        "02.4",
        "Read the LTV table of section 3 (columns ltv, ltv_formula, ltv_cohort_24m). Which "
        "reading is right? One of ch02.LTV_READINGS (its index 0 to 3 or its text).",
        expect_choice(
            LTV_READINGS[1], options=LTV_READINGS,
            aliases={str(i): r for i, r in enumerate(LTV_READINGS)},
            feedback={
                LTV_READINGS[0]: Say(
                    en="the formula uses every customer, but assumes their churn never "
                       "changes; that is what makes it large.",
                    ja="計算式はすべての顧客を使いますが、解約率がずっと変わらないと仮定して"
                       "います。それが値を大きくしています。"),
                LTV_READINGS[2]: Say(
                    en="the cohort column stops after 24 months; it cannot include what "
                       "customers pay later.",
                    ja="コホートの列は24か月で打ち切られます。顧客がその後に支払う分は含め"
                       "られません。"),
            }),
        hint="The markdown below the table compares the formula with the capped column. What "
             "does each column assume, and how long does each look?",
        hint_ja="表の下の説明は、計算式によるLTVと上限付きの列を比べています。それぞれの列は"
                "何を仮定し、どれだけの期間を見ていますか。",
        solution="answer = ch02.LTV_READINGS[1]",
        stars=2, kind="interpret",
    ),
    Exercise(
        "02.5",
        "Experiment: for each seed of ch02.experiment_seeds(company), simulate "
        "ch02.small_config(company, discount_pressure=d) at d = 0.0 (list price) and 0.14 "
        "(the head of sales' discounting). In how many of the 5 seeds is total revenue "
        "(sum of MRR) lower with discounting? A whole number.",
        expect_number(_discount_seeds, decimals=0,
                      name=Say(en="your count of seeds", ja="あなたのシード数"),
                      mistakes={Say(en="that is the count of seeds where discounting earns "
                                       "more; count those where it earns less.",
                                    ja="それは値引きしたほうが多く稼ぐシードの数です。少なく"
                                       "なるシードを数えてください。"):
                                lambda: 5 - _discount_seeds()}),
        hint="Sum mrr['mrr'] of each run; compare the two discount levels seed by seed and "
             "count the seeds where 0.14 is lower.",
        hint_ja="各実行の mrr['mrr'] を合計し、2つの値引き水準をシードごとに比べて、0.14 の"
                "ほうが少ないシードを数えます。",
        solution="lower = 0\n"
                 "for s in ch02.experiment_seeds(company):\n"
                 "    revenue = {d: simulate_company(ch02.small_config(company, "
                 "discount_pressure=d), rng=s).mrr['mrr'].sum() for d in (0.0, 0.14)}\n"
                 "    lower += int(revenue[0.14] < revenue[0.0])\n"
                 "answer = lower",
        stars=2, kind="experiment",
    ),
    Exercise(
        "02.6",
        "Find the flaw: a dashboard shows, as its NRR, the company's total MRR in December of the "
        "last full year over its total MRR in the December before. By how much does that "
        "ratio exceed the true NRR of the same year? As a difference of ratios, to 3 decimal "
        "places.",
        expect_number(_overstatement, decimals=3,
                      name=Say(en="your difference", ja="あなたの差"),
                      mistakes={Say(en="that is the dashboard's ratio itself; subtract the "
                                       "true NRR (metrics.net_revenue_retention).",
                                    ja="それはダッシュボードの比率そのものです。本当のNRR"
                                       "（metrics.net_revenue_retention）を引いてください。"):
                                _total_mrr_growth}),
        hint="The dashboard's ratio counts the MRR of customers won during the year too; NRR "
             "follows only the customers who paid at the start. Group company.mrr by month, "
             "sum mrr, divide December by the December before, and subtract "
             "metrics.net_revenue_retention(company.mrr, period=...).",
        hint_ja="ダッシュボードの比率には、その年に獲得した顧客のMRRも入っています。NRRは"
                "期首に支払っていた顧客だけを追います。company.mrr を月ごとに集計して mrr "
                "を合計し、12月を前年の12月で割ってから、"
                "metrics.net_revenue_retention(company.mrr, period=...) を引きます。",
        solution="from revopslab import metrics\n"
                 "year = int(ch02.last_full_year(company))\n"
                 "total = company.mrr.groupby('month')['mrr'].sum()\n"
                 "dashboard = total[pd.Timestamp(f'{year}-12-01')] / "
                 "total[pd.Timestamp(f'{year - 1}-12-01')]\n"
                 "answer = dashboard - metrics.net_revenue_retention(company.mrr, "
                 "period=str(year))",
        stars=3, kind="flaw",
    ),
)

for _exercise in EXERCISES:
    register(_exercise, replace=True)
