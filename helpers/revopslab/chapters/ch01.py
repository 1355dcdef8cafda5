"""Exercises of notebook 01 (silos), checked against the company the notebook binds."""

from __future__ import annotations

import dataclasses
import json

from ..config import ORG_PRESETS
from ..exercises import Exercise, Say, expect_choice, expect_number, register
from ..simulate import simulate_company
from . import Binding, experiment_seeds, small_config

__all__ = ["bind", "EXERCISES", "SILO_LEVERS", "REVOPS_ROLES", "SCORECARD_READINGS",
           "LEAD_REPORT_FLAWS", "experiment_seeds", "small_config"]

_binding = Binding()
#: Make the exercises check answers against the notebook's company (see :class:`Binding`).
bind = _binding.bind
_company = _binding.company

#: The siloed preset's levers, one per cost of silos the chapter names.
SILO_LEVERS: tuple[str, ...] = tuple(f.name for f in dataclasses.fields(ORG_PRESETS["siloed"]))
#: The four roles of RevOps (chapter 1).
REVOPS_ROLES: tuple[str, ...] = ("operations management", "revenue enablement",
                                 "RevTech management", "data management and insights")

#: Readings of the departments' scorecard table of section 2, one right (exercise 01.3).
SCORECARD_READINGS: tuple[str, ...] = (
    "marketing's AQLs rose while the company's revenue fell: a department can beat its own "
    "KPI while the company loses",
    "more AQLs today means the siloed company will earn more revenue later",
    "the siloed company won more deals, so sales did its job and revenue is someone else's "
    "problem",
    "the table compares two different companies, so no reading is possible",
)

#: What is wrong with marketing's report "AQLs up after lowering the threshold" (01.5).
LEAD_REPORT_FLAWS: tuple[str, ...] = (
    "nothing: more qualified leads is the goal of marketing",
    "it counts its own intermediate KPI; the extra leads are weaker and bookings fell",
    "AQLs should be counted per month, not per year",
    "the threshold change was too small to matter",
)


def _revenue(config, seed) -> float:
    return float(simulate_company(config, rng=seed).mrr["mrr"].sum())


_CACHE: dict[tuple[str, str, int | None], object] = {}


def _cached(what: str, config, seed, compute):
    """Each checker's experiment runs once per company (a config is not hashable)."""
    key = (what, json.dumps(config.to_dict(), sort_keys=True, default=str), seed)
    if key not in _CACHE:
        _CACHE[key] = compute(config, seed)
    return _CACHE[key]


def _siloed_revenue_change_of(config, seed) -> float:
    aligned = _revenue(dataclasses.replace(config, org_model="aligned"), seed)
    siloed = _revenue(dataclasses.replace(config, org_model="siloed"), seed)
    return (siloed - aligned) / aligned


def _siloed_revenue_change() -> float:
    company = _company()
    return _cached("change", company.config, company.seed, _siloed_revenue_change_of)


def _costliest_lever_of(config, seed) -> str:
    aligned = dataclasses.replace(config, org_model="aligned")
    siloed = ORG_PRESETS["siloed"]
    revenue = {lever: _revenue(dataclasses.replace(aligned, **{lever: getattr(siloed, lever)}),
                               seed) for lever in SILO_LEVERS}
    return min(revenue, key=revenue.get)


def _costliest_lever() -> str:
    company = _company()
    return _cached("lever", company.config, company.seed, _costliest_lever_of)


def _siloed_change_over_siloed() -> float:
    change = _siloed_revenue_change()  # (s - a) / a  ->  (s - a) / s = change / (1 + change)
    return change / (1 + change)


def _siloed_loses(company) -> float:
    lost = [_revenue(small_config(company, org_model="siloed"), s)
            < _revenue(small_config(company, org_model="aligned"), s)
            for s in experiment_seeds(company)]
    return sum(lost) / len(lost)


def _share_siloed_loses() -> float:
    return _binding.memo("siloed_loses", _siloed_loses)


EXERCISES = (
    Exercise(
        "01.1",
        "Which of the four RevOps roles owns the unbiased pipeline report the CRO reads "
        "every Monday? One of ch01.REVOPS_ROLES (the table of section 8 names them too).",
        expect_choice(
            "data management and insights", options=REVOPS_ROLES,
            aliases={"data & insights": "data management and insights",
                     "data and insights": "data management and insights",
                     "RevTech": "RevTech management",
                     "enablement": "revenue enablement"},
            feedback={
                "operations management": Say(
                    en="operations management designs the process and allocates resources; "
                       "who collects, cleans and reports the data?",
                    ja="オペレーション管理はプロセスを設計し、リソースを配分します。データを"
                       "集め、整え、報告するのは誰ですか。"),
                "revenue enablement": Say(
                    en="enablement trains and equips the field; the report is about data.",
                    ja="イネーブルメントは現場を育成し、武器を持たせる役割です。このレポートは"
                       "データの仕事です。"),
                "RevTech management": Say(
                    en="RevTech runs the tools that hold the data; the report's content is "
                       "another role's job.",
                    ja="RevTech管理はデータを保持するツールを運用します。レポートの中身は別の"
                       "役割の仕事です。"),
            }),
        hint="The four roles: operations management, revenue enablement, RevTech "
             "management, data management and insights. Which one collects, cleans, "
             "analyses and reports data without a department's bias?",
        hint_ja="RevOpsの4つの役割は、オペレーション管理、レベニューイネーブルメント、RevTech"
                "管理、データ管理とインサイトです。部門の偏りなくデータを集め、整え、分析し、"
                "報告するのはどれですか。",
        solution="answer = 'data management and insights'",
        stars=1, kind="recall",
    ),
    Exercise(
        "01.2",
        "Run the notebook's company siloed and aligned with the same seed: what is "
        "(siloed − aligned) / aligned of its total revenue (sum of MRR)? As a fraction (not a "
        "percentage), to 3 decimal places.",
        expect_number(_siloed_revenue_change, decimals=3, fraction=True,
                      name=Say(en="your relative change", ja="あなたの変化率"),
                      mistakes={Say(en="you divided by the siloed revenue; the change is "
                                       "relative to the aligned company.",
                                    ja="サイロ化した会社の収益で割っています。変化率は連携した"
                                       "会社に対して求めます。"): _siloed_change_over_siloed}),
        hint="dataclasses.replace(company.config, org_model='siloed') gives the siloed config; "
             "simulate both with rng=company.seed and sum each company's mrr['mrr']. The "
             "answer is a fraction (negative if siloed earns less).",
        hint_ja="dataclasses.replace(company.config, org_model='siloed') でサイロ化した設定が"
                "得られます。両方を rng=company.seed でシミュレーションし、それぞれの "
                "mrr['mrr'] を合計します。答えは小数です（サイロ化のほうが少なければ負）。",
        solution="import dataclasses\n"
                 "def revenue(org):\n"
                 "    cfg = dataclasses.replace(company.config, org_model=org)\n"
                 "    return simulate_company(cfg, rng=company.seed).mrr['mrr'].sum()\n"
                 "answer = (revenue('siloed') - revenue('aligned')) / revenue('aligned')",
        stars=2, kind="compute",
    ),
    Exercise(
        "01.3",
        "Read the table 'What each department's scorecard said' (section 2). Which reading is "
        "right? One of ch01.SCORECARD_READINGS (its index 0 to 3 or its text).",
        expect_choice(
            SCORECARD_READINGS[0], options=SCORECARD_READINGS,
            aliases={str(i): r for i, r in enumerate(SCORECARD_READINGS)},
            feedback={
                SCORECARD_READINGS[1]: Say(
                    en="the experiment runs three years; revenue over the whole history is "
                       "already lower.",
                    ja="実験は3年間続きます。全期間の収益はすでに少なくなっています。"),
                SCORECARD_READINGS[2]: Say(
                    en="the deal count is sales' own KPI, the silo the CRO removes; read the "
                       "revenue row.",
                    ja="受注件数は営業部門自身のKPIで、CROが取り除くサイロそのものです。収益の"
                       "行を読んでください。"),
                SCORECARD_READINGS[3]: Say(
                    en="the runs are paired: the same company and seed, only the organisation "
                       "differs.",
                    ja="実行は対になっています。会社もシードも同じで、違うのは組織だけです。"),
            }),
        hint="Read the rows top to bottom: whose number rose, and what happened to the "
             "company's revenue in the same runs?",
        hint_ja="表を上の行から読んでください。数字が伸びたのはどの部門で、同じ実行で会社の"
                "収益はどうなりましたか。",
        solution="answer = ch01.SCORECARD_READINGS[0]",
        stars=2, kind="interpret",
    ),
    Exercise(
        "01.4",
        "Experiment: for each seed of ch01.experiment_seeds(company), simulate "
        "ch01.small_config(company, org_model=...) siloed and aligned. In what share of the 5 "
        "seeds does the siloed company earn less total revenue? As a fraction (not a "
        "percentage), to 1 decimal place.",
        expect_number(_share_siloed_loses, decimals=1, fraction=True,
                      name=Say(en="your share", ja="あなたの割合"),
                      mistakes={Say(en="that is the share of seeds where the siloed company "
                                       "earns more; count those where it earns less.",
                                    ja="それはサイロ化した会社のほうが多く稼ぐシードの割合です。"
                                       "少なくなるシードを数えてください。"):
                                lambda: 1 - _share_siloed_loses()}),
        hint="Sum mrr['mrr'] of each run; compare siloed with aligned seed by seed; the share "
             "is the number of seeds where siloed is lower, divided by 5.",
        hint_ja="各実行の mrr['mrr'] を合計し、シードごとにサイロ化と連携を比べます。割合は、"
                "サイロ化のほうが少ないシードの数を5で割ったものです。",
        solution="lower = []\n"
                 "for s in ch01.experiment_seeds(company):\n"
                 "    siloed = simulate_company(ch01.small_config(company, org_model='siloed'), "
                 "rng=s)\n"
                 "    aligned = simulate_company(ch01.small_config(company, "
                 "org_model='aligned'), rng=s)\n"
                 "    lower.append(siloed.mrr['mrr'].sum() < aligned.mrr['mrr'].sum())\n"
                 "answer = sum(lower) / len(lower)",
        stars=2, kind="experiment",
    ),
    Exercise(
        "01.5",
        "Find the flaw: after lowering its MQL threshold, marketing reports 'AQLs up, a "
        "success'. What is wrong with the report? One of ch01.LEAD_REPORT_FLAWS (index or "
        "text).",
        expect_choice(
            LEAD_REPORT_FLAWS[1], options=LEAD_REPORT_FLAWS,
            aliases={str(i): r for i, r in enumerate(LEAD_REPORT_FLAWS)},
            feedback={
                LEAD_REPORT_FLAWS[0]: Say(
                    en="more leads is marketing's intermediate KPI; story A read bookings in "
                       "the same runs.",
                    ja="リードの増加はマーケティングの中間KPIです。ストーリーAは同じ実行の"
                       "受注額を読んでいます。"),
                LEAD_REPORT_FLAWS[3]: Say(
                    en="the lead count rose by most of its size; the size is not the problem.",
                    ja="リード数は元の規模に比べて大きく増えています。変更の大きさは問題では"
                       "ありません。"),
            }),
        hint="Story A (section 3) puts the AQL row next to the bookings row for the same "
             "seeds. What does a silo's own count leave out?",
        hint_ja="ストーリーA（第3節）は、同じシードのAQLの行と受注額の行を並べています。"
                "サイロが自分で数える数字からは何が抜け落ちますか。",
        solution="answer = ch01.LEAD_REPORT_FLAWS[1]",
        stars=2, kind="flaw",
    ),
    Exercise(
        "01.6",
        "Which single lever of the siloed preset, moved alone from the aligned company, "
        "costs the notebook's company the most revenue? One of ch01.SILO_LEVERS.",
        expect_choice(_costliest_lever, options=SILO_LEVERS,
                      aliases={lever.replace("_", " "): lever for lever in SILO_LEVERS}),
        hint="Start from dataclasses.replace(company.config, org_model='aligned'), set one "
             "lever at a time to ORG_PRESETS['siloed']'s value (e.g. "
             "handoff_delay_days=3.0), simulate with rng=company.seed and compare revenue.",
        hint_ja="dataclasses.replace(company.config, org_model='aligned') から始め、レバーを"
                "1つずつ ORG_PRESETS['siloed'] の値にして（例：handoff_delay_days=3.0）、"
                "rng=company.seed でシミュレーションし、収益を比べます。",
        solution="import dataclasses\n"
                 "from revopslab.config import ORG_PRESETS\n"
                 "aligned = dataclasses.replace(company.config, org_model='aligned')\n"
                 "siloed = ORG_PRESETS['siloed']\n"
                 "revenue = {}\n"
                 "for lever in ch01.SILO_LEVERS:\n"
                 "    cfg = dataclasses.replace(aligned, **{lever: getattr(siloed, lever)})\n"
                 "    revenue[lever] = simulate_company(cfg, rng=company.seed).mrr['mrr'].sum()\n"
                 "answer = min(revenue, key=revenue.get)",
        stars=3, kind="experiment",
    ),
)

for _exercise in EXERCISES:
    register(_exercise, replace=True)
