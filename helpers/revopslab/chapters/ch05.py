"""Exercises of notebook 05 (data-driven decisions), checked against the company it binds."""

from __future__ import annotations

from typing import Any

import pandas as pd

from ..exercises import Checker, Exercise, Say, expect_choice, expect_number, register
from ..forecast import bias, mape, wape
from ..process import PATHS, STEPS, bottleneck, conversion, with_outcomes
from ..simulate import simulate_company
from . import Binding, experiment_seeds, small_config

__all__ = ["bind", "EXERCISES", "BEFORE_HANDOFF", "FORECAST_DRILL", "TINY_DRILL", "VIEW_READINGS",
           "FINDING_CAUSES", "last_full_quarter", "report_findings", "experiment_seeds",
           "small_config"]

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

#: A forecast drill where one quarter's actual bookings were tiny (exercise 05.8).
TINY_DRILL = pd.DataFrame(
    {"forecast": [80_000_000, 95_000_000, 12_000_000, 110_000_000],
     "actual": [100_000_000, 90_000_000, 3_000_000, 120_000_000]},
    index=pd.Index(["2025Q1", "2025Q2", "2025Q3", "2025Q4"], name="quarter"),
)

#: Readings of the cohort-vs-period chart of section 4, one right (exercise 05.5).
VIEW_READINGS: tuple[str, ...] = (
    "conversion collapsed in the latest quarters: the team stopped closing deals",
    "the latest cohorts are young: many of their deals are still open, so the cohort rate "
    "is low and will rise as they close",
    "the period view is wrong because it mixes people from different cohorts",
    "the two views should agree, so the data is broken",
)

#: The findings a report recommendation can come from, as :class:`revopslab.report.rules.
#: Findings` names them (exercise 05.7).
FINDING_CAUSES: tuple[str, ...] = ("bottleneck", "grr", "nrr", "win_rate", "stale_amount",
                                   "accuracy", "rows_quarantined")
_RULE_CAUSE = {"bottleneck": "bottleneck", "gross_retention": "grr", "net_retention": "nrr",
               "win_rate": "win_rate", "stale_pipeline": "stale_amount",
               "forecast": "accuracy", "data_quality": "rows_quarantined"}

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


def report_findings():
    """The numbers of a company's RevOps report, for the report-reading exercises (05.7, 05.9).

    ``recommendations(report_findings())`` gives the report's recommendations.

    Examples
    --------
    >>> report_findings().win_rate
    0.118
    """
    from ..report.rules import Findings  # the report package is slow to import

    return Findings(grr=0.874, nrr=0.962, opening_arr=1_850_000_000, win_rate=0.118,
                    closed_deals=412, average_won=2_900_000, open_amount=610_000_000,
                    stale_amount=98_000_000, stale_deals=64)


def _recommendations():
    from ..report.rules import recommendations

    return recommendations(report_findings())


def _top_cause() -> str:
    return _RULE_CAUSE[_recommendations()[0].rule]


def _win_rate_prize() -> float:
    return next(r.prize for r in _recommendations() if r.rule == "win_rate")


def _win_rate_bookings() -> float:
    f = report_findings()
    return f.win_rate * f.closed_deals * f.average_won


def _rate(company, view: str, step: str = _STEP) -> float:
    leads = with_outcomes(company.leads, company.opportunities)
    table = conversion(leads, view=view, freq="Q", steps=[step])
    row = table[table["period"] == last_full_quarter(company)]
    if row.empty:
        raise ValueError(f"no {step} activity in {last_full_quarter(company)}")
    return float(row["rate"].iloc[0])


def _period_rate() -> float:
    return _rate(_company(), "period")


def _cohort_rate() -> float:
    return _rate(_company(), "cohort")


def _cohort_below(company) -> int:
    below = 0
    for seed in experiment_seeds(company):
        run = simulate_company(small_config(company), rng=seed)
        below += int(_rate(run, "cohort", "opportunity_to_won")
                     < _rate(run, "period", "opportunity_to_won"))
    return below


def _cohort_seeds() -> int:
    return _binding.memo("views", _cohort_below)


def _worst_quarter() -> str:
    ape = (TINY_DRILL["forecast"] - TINY_DRILL["actual"]).abs() / TINY_DRILL["actual"]
    return str(ape.idxmax())


def _largest_error_quarter() -> str:
    return str((TINY_DRILL["forecast"] - TINY_DRILL["actual"]).abs().idxmax())


def _check_tiny(answer: Any) -> Say | str | None:
    message = expect_choice(_worst_quarter, options=tuple(TINY_DRILL.index)).func(answer)
    if message and isinstance(answer, str) and answer.strip() == _largest_error_quarter() \
            and answer.strip() != _worst_quarter():
        return Say(en="that quarter has the largest error in yen, but MAPE divides each error "
                      "by that quarter's own actual: look for the smallest actual.",
                   ja="その四半期は円での誤差が最大ですが、MAPEは各誤差をその四半期自身の実績"
                      "で割ります。実績が最も小さい四半期を探してください。")
    return message


def _check_bottleneck(answer: Any) -> Say | str | None:
    correct = _best_before_handoff()
    if isinstance(answer, str) and answer in STEPS and answer not in BEFORE_HANDOFF:
        return Say(en=f"{answer!r} is a step of the waterfall, but not one marketing and "
                      f"inside sales own; choose one of {list(BEFORE_HANDOFF)}.",
                   ja=f"{answer!r} はデマンドウォーターフォールのステップですが、マーケティング"
                      "とインサイドセールスが担うステップではありません。"
                      f"{list(BEFORE_HANDOFF)} のどれかを選んでください。")
    return expect_choice(correct, options=BEFORE_HANDOFF).func(answer)


def _best_before_handoff() -> str:
    gains = bottleneck(_company())["gain"]
    return str(gains.loc[list(BEFORE_HANDOFF)].idxmax())


def _compound_steps() -> int:
    return len(PATHS["outbound"])


def _compound() -> float:
    return 1.01 ** (_compound_steps() * _OUTBOUND_YEARS) - 1


EXERCISES = (
    Exercise(
        "05.1",
        "Period view: what was the sql_to_opportunity conversion rate in the company's last "
        "full quarter (opportunities created ÷ SQLs that quarter)? As a fraction (not a "
        "percentage), to 3 decimal places.",
        expect_number(_period_rate, decimals=3, fraction=True,
                      name=Say(en="your rate", ja="あなたの率"),
                      mistakes={Say(en="that is the cohort view's rate (it follows the SQLs of "
                                       "the quarter to their outcome); the period view counts "
                                       "what happened in the quarter, whoever entered it.",
                                    ja="それはコホート視点の率です（その四半期のSQLを結果まで"
                                       "追いかけます）。期間視点は、いつ入ってきたリードかに"
                                       "かかわらず、その四半期に起きたことを数えます。"):
                                _cohort_rate}),
        hint="process.conversion(leads, view='period', freq='Q', steps=['sql_to_opportunity']) "
             "gives one row per quarter; ch05.last_full_quarter(company) is the quarter to "
             "read. The answer is a fraction (0.75, not 75).",
        hint_ja="process.conversion(leads, view='period', freq='Q', "
                "steps=['sql_to_opportunity']) は四半期ごとに1行を返します。読むべき四半期は "
                "ch05.last_full_quarter(company) です。答えは小数です（75ではなく0.75）。",
        solution="from revopslab import process\n"
                 "leads = process.with_outcomes(company.leads, company.opportunities)\n"
                 "table = process.conversion(leads, view='period', freq='Q',\n"
                 "                           steps=['sql_to_opportunity'])\n"
                 "row = table[table['period'] == ch05.last_full_quarter(company)]\n"
                 "answer = row['rate'].item()",
        stars=1, kind="compute",
    ),
    Exercise(
        "05.2",
        "Of the steps marketing and inside sales own (ch05.BEFORE_HANDOFF), which one would "
        "add the most revenue if lifted?",
        Checker(_check_bottleneck,
                expects=Say(en=f"one of {list(BEFORE_HANDOFF)}",
                            ja=f"{list(BEFORE_HANDOFF)} のどれか"),
                expected_text=lambda: repr(_best_before_handoff()), typed=_best_before_handoff),
        hint="process.bottleneck(company) ranks every step of the whole waterfall by the "
             "revenue a lift would add (column 'gain'). Keep the rows of ch05.BEFORE_HANDOFF "
             "and take the label of the largest gain. (Passing steps= to bottleneck would cut "
             "the waterfall before 'won', so the steps' revenue could not be valued.)",
        hint_ja="process.bottleneck(company) は、ウォーターフォール全体の各ステップを、改善した"
                "ときに増える収益（列 'gain'）で順位づけます。ch05.BEFORE_HANDOFF の行に絞り、"
                "gain が最大の行のラベルを取ってください。（bottleneck に steps= を渡すと、"
                "ウォーターフォールが 'won' の手前で切れて、ステップの収益を評価できません。）",
        solution="from revopslab import process\n"
                 "gains = process.bottleneck(company)['gain']\n"
                 "answer = gains.loc[list(ch05.BEFORE_HANDOFF)].idxmax()",
        stars=2, kind="compute",
    ),
    Exercise(
        "05.3",
        "What is the WAPE of the forecast in ch05.FORECAST_DRILL against its actuals? As a "
        "fraction (not a percentage), to 2 decimal places.",
        expect_number(lambda: wape(FORECAST_DRILL["forecast"], FORECAST_DRILL["actual"]),
                      decimals=2, fraction=True, name=Say(en="your WAPE", ja="あなたのWAPE"),
                      mistakes={Say(en="that is the MAPE, the mean of each quarter's "
                                       "percentage error. WAPE adds the absolute errors up "
                                       "first and divides by the total actual.",
                                    ja="それはMAPE（各四半期の誤差率の平均）です。WAPEは先に"
                                       "絶対誤差を合計し、実績の合計で割ります。"):
                                lambda: mape(FORECAST_DRILL["forecast"], FORECAST_DRILL["actual"]),
                                Say(en="that is the bias: the signed errors cancel out. WAPE "
                                       "adds up the absolute errors |F − A|.",
                                    ja="それはバイアスです。符号つきの誤差は打ち消し合います。"
                                       "WAPEは絶対誤差 |F − A| を合計します。"):
                                lambda: bias(FORECAST_DRILL["forecast"], FORECAST_DRILL["actual"]),
                                Say(en="that is the size of the bias: the signed errors cancel "
                                       "out before you take the absolute value. WAPE adds up "
                                       "|F − A| quarter by quarter.",
                                    ja="それはバイアスの大きさです。絶対値を取る前に、符号つき"
                                       "の誤差が打ち消し合っています。WAPEは四半期ごとの "
                                       "|F − A| を合計します。"):
                                lambda: abs(bias(FORECAST_DRILL["forecast"],
                                                 FORECAST_DRILL["actual"]))}),
        hint="WAPE = Σ|forecast − actual| / Σ actual over the four quarters: add the absolute "
             "errors up first, then divide once. Give a fraction (0.2, not 20).",
        hint_ja="WAPE = Σ|フォーキャスト − 実績| ÷ Σ実績（4四半期分）です。先に絶対誤差を"
                "合計し、最後に1回だけ割ります。小数で答えてください（20ではなく0.2）。",
        solution="drill = ch05.FORECAST_DRILL\n"
                 "answer = (drill['forecast'] - drill['actual']).abs().sum() / "
                 "drill['actual'].sum()",
        stars=2, kind="compute",
    ),
    Exercise(
        "05.4",
        "Every step of the outbound path (process.PATHS['outbound']) improves by 1% a year. "
        "By what fraction is its throughput higher after 3 years? As a fraction (not a "
        "percentage), to 3 decimal places.",
        expect_number(_compound, decimals=3, fraction=True,
                      name=Say(en="your gain", ja="あなたの伸び"),
                      mistakes={Say(en="you added the improvements up. Each step's rate "
                                       "multiplies the next, so the 1% gains multiply too: "
                                       "1.01 × 1.01 × … .",
                                    ja="改善を足し合わせています。各ステップの率は次の率に"
                                       "掛け合わされるので、1%の改善も掛け算で効きます："
                                       "1.01 × 1.01 × …。"):
                                lambda: 0.01 * _compound_steps() * _OUTBOUND_YEARS,
                                Say(en="that is the multiple of today's throughput; the gain "
                                       "is the multiple − 1.",
                                    ja="それは今のスループットに対する倍率です。伸びは"
                                       "倍率 − 1 です。"): lambda: _compound() + 1}),
        hint="Throughput = inquiries × p₁ × p₂ × … × p_k. Each p is 1.01 times higher per year, "
             "so after y years the product is 1.01 ** (k · y) times today's. Count k with "
             "len(process.PATHS['outbound']).",
        hint_ja="スループット = 問い合わせ数 × p₁ × p₂ × … × p_k です。各 p は1年ごとに1.01倍"
                "になるので、y年後の積は今の 1.01 ** (k · y) 倍です。k は "
                "len(process.PATHS['outbound']) で数えます。",
        solution="from revopslab import process\n"
                 "k = len(process.PATHS['outbound'])\n"
                 "answer = 1.01 ** (k * 3) - 1",
        stars=2, kind="compute",
    ),
    Exercise(
        "05.5",
        "Read the chart of section 4.2 that compares the cohort and period views of "
        "opportunity_to_won by quarter. Which reading is right? One of ch05.VIEW_READINGS "
        "(its index 0 to 3 or its text).",
        expect_choice(
            VIEW_READINGS[1], options=VIEW_READINGS,
            aliases={str(i): r for i, r in enumerate(VIEW_READINGS)},
            feedback={
                VIEW_READINGS[0]: Say(
                    en="read maturity_months: how old are the latest cohorts, and how long "
                       "does a deal take to close?",
                    ja="maturity_months を読んでください。最新のコホートはどれくらい若く、"
                       "商談がクローズするまでどれくらいかかりますか。"),
                VIEW_READINGS[2]: Say(
                    en="neither view is wrong: they count different deals.",
                    ja="どちらの視点も間違っていません。数えている商談が違うのです。"),
            }),
        hint="The table before the chart has a maturity_months column. How long does an "
             "opportunity take to be won (section 4's transition times)?",
        hint_ja="グラフの前の表に maturity_months 列があります。商談が受注に至るまでには"
                "どれくらいかかりますか（第4節のステップ間の所要時間）。",
        solution="answer = ch05.VIEW_READINGS[1]",
        stars=2, kind="interpret",
    ),
    Exercise(
        "05.6",
        "Experiment: for each seed s of ch05.experiment_seeds(company), simulate "
        "ch05.small_config(company) with rng=s. In how many of the 5 seeds is the cohort-view "
        "opportunity_to_won rate of the run's last full quarter below its period-view rate? A "
        "whole number.",
        expect_number(_cohort_seeds, decimals=0,
                      name=Say(en="your count of seeds", ja="あなたのシード数"),
                      mistakes={Say(en="that is the count of seeds where the cohort view is "
                                       "not below the period view; count those where it is "
                                       "below.",
                                    ja="それはコホート視点が期間視点を下回らないシードの数です。"
                                       "下回るシードを数えてください。"):
                                lambda: 5 - _cohort_seeds()}),
        hint="For each run: leads = process.with_outcomes(run.leads, run.opportunities); "
             "process.conversion(leads, view=..., freq='Q', steps=['opportunity_to_won']); "
             "read the row of ch05.last_full_quarter(run) in both views and compare.",
        hint_ja="実行ごとに leads = process.with_outcomes(run.leads, run.opportunities) とし、"
                "process.conversion(leads, view=..., freq='Q', steps=['opportunity_to_won']) "
                "で両方の視点について ch05.last_full_quarter(run) の行を読み、比べます。",
        solution="from revopslab import process\n"
                 "def rate(run, view):\n"
                 "    leads = process.with_outcomes(run.leads, run.opportunities)\n"
                 "    table = process.conversion(leads, view=view, freq='Q', "
                 "steps=['opportunity_to_won'])\n"
                 "    return table.loc[table['period'] == ch05.last_full_quarter(run), "
                 "'rate'].item()\n"
                 "below = 0\n"
                 "for s in ch05.experiment_seeds(company):\n"
                 "    run = simulate_company(ch05.small_config(company), rng=s)\n"
                 "    below += int(rate(run, 'cohort') < rate(run, 'period'))\n"
                 "answer = below",
        stars=2, kind="experiment",
    ),
    Exercise(
        "05.7",
        "Report reading: the next cell prints the recommendations a RevOps report makes from "
        "ch05.report_findings(). Which finding caused its first recommendation? One of "
        "ch05.FINDING_CAUSES.",
        expect_choice(_top_cause, options=FINDING_CAUSES,
                      aliases={"stale pipeline": "stale_amount", "stale deals": "stale_amount",
                               "GRR": "grr", "NRR": "nrr", "win rate": "win_rate"},
                      feedback={"grr": Say(en="the GRR recommendation is in the list, but the "
                                              "report orders its recommendations by the size "
                                              "of the prize.",
                                           ja="GRRの推奨事項も一覧にありますが、レポートは推奨"
                                              "事項を見込み効果の大きい順に並べます。"),
                                "bottleneck": Say(en="these findings hold no bottleneck table.",
                                                  ja="この発見にはボトルネックの表が含まれて"
                                                     "いません。")}),
        hint="The report puts the largest prize first. Read the first recommendation's bold "
             "sentence: which number of the findings does it quote?",
        hint_ja="レポートは見込み効果の最も大きいものを先頭に置きます。最初の推奨事項の太字の"
                "文を読んでください。発見のどの数字を引用していますか。",
        solution="from revopslab.report.rules import recommendations\n"
                 "rule = recommendations(ch05.report_findings())[0].rule\n"
                 "answer = {'stale_pipeline': 'stale_amount', 'gross_retention': 'grr',\n"
                 "          'net_retention': 'nrr', 'win_rate': 'win_rate', 'bottleneck': "
                 "'bottleneck',\n"
                 "          'forecast': 'accuracy', 'data_quality': 'rows_quarantined'}[rule]",
        stars=2, kind="report",
    ),
    Exercise(
        "05.8",
        "Find the flaw: the forecast in ch05.TINY_DRILL has a MAPE above 50% although three "
        "of its quarters are close. Which quarter alone makes MAPE misleading? Its label, "
        "such as '2025Q1'.",
        Checker(_check_tiny, expects=Say(en=f"one of {list(TINY_DRILL.index)}",
                                         ja=f"{list(TINY_DRILL.index)} のどれか"),
                expected_text=lambda: repr(_worst_quarter()), typed=_worst_quarter),
        hint="MAPE averages |F − A| / A quarter by quarter. Compute that ratio for each "
             "quarter: which one dwarfs the others, and why?",
        hint_ja="MAPEは |F − A| / A を四半期ごとに平均します。各四半期のこの比率を計算して"
                "ください。ほかを圧倒しているのはどれで、それはなぜですか。",
        solution="drill = ch05.TINY_DRILL\n"
                 "ape = (drill['forecast'] - drill['actual']).abs() / drill['actual']\n"
                 "answer = ape.idxmax()",
        stars=3, kind="flaw",
    ),
    Exercise(
        "05.9",
        "Report reading: recompute the prize of the report's win-rate recommendation from "
        "ch05.report_findings(): (15% − win rate) × closed deals × average won deal, in yen, "
        "to 3 significant figures.",
        expect_number(_win_rate_prize, sig=3, name=Say(en="your prize", ja="あなたの見込み効果"),
                      mistakes={Say(en="that is what the closed deals booked at today's win "
                                       "rate; the prize is the gap to 15% times the same deals.",
                                    ja="それは今の勝率でクローズした商談が受注した額です。見込み"
                                       "効果は、15%との差に同じ商談数と平均額を掛けたものです。"):
                                _win_rate_bookings}),
        hint="f = ch05.report_findings(); the rule's threshold is 0.15 "
             "(revopslab.report.rules.BENCHMARKS['win_rate']). Multiply the gap by "
             "f.closed_deals and f.average_won, and compare with the printed prize.",
        hint_ja="f = ch05.report_findings() とします。ルールのしきい値は0.15です"
                "（revopslab.report.rules.BENCHMARKS['win_rate']）。差に f.closed_deals と "
                "f.average_won を掛け、表示された見込み効果と比べてください。",
        solution="f = ch05.report_findings()\n"
                 "answer = (0.15 - f.win_rate) * f.closed_deals * f.average_won",
        stars=3, kind="report",
    ),
)

for _exercise in EXERCISES:
    register(_exercise, replace=True)
