"""Exercises of notebook 00 (orientation), checked against the company the notebook binds."""

from __future__ import annotations

from ..exercises import Exercise, Say, expect_choice, expect_number, register
from ..simulate import simulate_company
from . import Binding, experiment_seeds, small_config

__all__ = ["bind", "EXERCISES", "MOTIONS", "FUNNEL_READINGS", "experiment_seeds",
           "small_config"]

_binding = Binding()
#: Make the exercises check answers against the notebook's company (see :class:`Binding`).
bind = _binding.bind
_company = _binding.company

#: The go-to-market motions of section 5 (exercise 00.5).
MOTIONS: tuple[str, ...] = ("SLG", "MLG", "PLG")

#: Readings of the funnel chart of section 3, one right (exercise 00.4).
FUNNEL_READINGS: tuple[str, ...] = (
    "the chart is wrong: a later stage cannot hold more leads than an earlier one",
    "SAL also collects the leads inside sales generates itself (TGLs), so it is not a subset "
    "of TQL",
    "leads skip TQL when marketing is busy",
    "SAL counts opportunities, not leads",
)


def _paying_customers_in_month_12() -> int:
    mrr = _company().mrr
    month = sorted(mrr["month"].unique())[11]
    return int(mrr.loc[(mrr["month"] == month) & (mrr["mrr"] > 0), "account_id"].nunique())


def _inquiry_to_customer_rate() -> float:
    company = _company()
    return float(company.opportunities["is_won"].sum() / len(company.leads))


def _won_per_opportunity() -> float:
    return float(_company().opportunities["is_won"].mean())


def _plg_wins(company) -> int:
    wins = 0
    for seed in experiment_seeds(company):
        end = {}
        for motion in ("SLG", "PLG"):
            mrr = simulate_company(small_config(company, gtm_motion=motion), rng=seed).mrr
            end[motion] = mrr.loc[mrr["month"] == mrr["month"].max(), "mrr"].sum()
        wins += int(end["PLG"] > end["SLG"])
    return wins


def _plg_seeds() -> int:
    return _binding.memo("plg", _plg_wins)


def _overstatement() -> float:
    company = _company()
    return len(company.leads) / len(company.opportunities)


EXERCISES = (
    Exercise(
        "00.1",
        "How many paying customers (accounts with MRR > 0) did the company have in the "
        "12th month of its history? A whole number.",
        expect_number(_paying_customers_in_month_12, decimals=0,
                      name=Say(en="your customer count", ja="あなたの顧客数"),
                      mistakes={Say(en="that is the count in the last month; take the 12th "
                                       "month of the history (sorted months, position 11).",
                                    ja="それは最終月の顧客数です。歴史の12か月目（月を並べた"
                                       "ときの位置11）を使ってください。"):
                                lambda: _paying_customers_last_month()}),
        hint="sorted(company.mrr['month'].unique())[11] is the 12th month. Keep the rows of that "
             "month with mrr > 0 and count distinct account_id values with .nunique().",
        hint_ja="sorted(company.mrr['month'].unique())[11] が12か月目です。その月の行の"
                "うち mrr > 0 の行に絞り、account_id の異なる値を .nunique() で数えます。",
        solution="month = sorted(company.mrr['month'].unique())[11]\n"
                 "paying = company.mrr[(company.mrr['month'] == month) & "
                 "(company.mrr['mrr'] > 0)]\n"
                 "answer = paying['account_id'].nunique()",
        stars=1, kind="compute",
    ),
    Exercise(
        "00.2",
        "What share of all inquiries became won customers (won opportunities ÷ inquiries)? "
        "Give it as a fraction (not a percentage), to 3 decimal places.",
        expect_number(_inquiry_to_customer_rate, decimals=3, fraction=True,
                      name=Say(en="your share", ja="あなたの割合"),
                      mistakes={Say(en="you divided by the opportunities; the share is of all "
                                       "inquiries (the rows of company.leads).",
                                    ja="商談数で割っています。求めるのは問い合わせ全体"
                                       "（company.leads の行）に対する割合です。"):
                                _won_per_opportunity}),
        hint="Each row of company.leads is one inquiry; company.opportunities['is_won'] is True "
             "for won deals. Divide the number of wins by the number of inquiries (a fraction, "
             "0.018 for 1.8%).",
        hint_ja="company.leads の1行が1件の問い合わせです。company.opportunities['is_won'] "
                "は受注した商談で True になります。受注数を問い合わせ数で割ってください"
                "（1.8%なら0.018のような小数で）。",
        solution="answer = company.opportunities['is_won'].sum() / len(company.leads)",
        stars=1, kind="compute",
    ),
    Exercise(
        "00.3",
        "Read the channel table of the flywheel experiment: which mechanism creates the extra "
        "inquiries?",
        expect_choice("referrals from promoters",
                      options=["more advertising", "referrals from promoters",
                               "a lower MQL threshold", "more sales reps"],
                      aliases={"referrals": "referrals from promoters",
                               "referral": "referrals from promoters"},
                      feedback={"more advertising": Say(
                          en="the ads row is the same in both runs, draw for draw.",
                          ja="広告の行は、2つの実行で乱数の引き方まで同じです。")}),
        hint="Compare the two runs' lead tables by channel: which channel grows when the "
             "flywheel is on, and who feeds it?",
        hint_ja="2つの実行のリード表をチャネル別に比べてください。フライホイールをオンにすると"
                "伸びるチャネルはどれで、それを生んでいるのは誰ですか。",
        solution="answer = 'referrals from promoters'  # the referral channel grows with the "
                 "number of recent NPS promoters",
        solution_ja="answer = 'referrals from promoters'  # 紹介チャネルは直近のNPS推奨者の"
                    "数とともに伸びる",
        stars=1, kind="interpret",
    ),
    Exercise(
        "00.4",
        "The funnel chart of section 3 shows more SALs than TQLs. Which reading is right? "
        "One of ch00.FUNNEL_READINGS (its index 0 to 3 or its text).",
        expect_choice(FUNNEL_READINGS[1], options=FUNNEL_READINGS,
                      aliases={str(i): reading for i, reading in enumerate(FUNNEL_READINGS)},
                      feedback={FUNNEL_READINGS[0]: Say(
                                    en="each bar counts leads that reached the stage by any "
                                       "route; look at which routes lead to SAL.",
                                    ja="各棒は、どの経路であれその段階に到達したリードを数えて"
                                       "います。SALにつながる経路を確かめてください。"),
                                FUNNEL_READINGS[3]: Say(
                                    en="opportunities have their own bar.",
                                    ja="商談には専用の棒があります。")}),
        hint="Section 3 names the routes into SAL: marketing's TQLs and one more. Which team "
             "creates the other route's leads?",
        hint_ja="第3節はSALへの経路を挙げています。マーケティングのTQLと、もう1つです。"
                "もう1つの経路のリードを生むのはどのチームですか。",
        solution="answer = ch00.FUNNEL_READINGS[1]",
        stars=2, kind="interpret",
    ),
    Exercise(
        "00.5",
        "Experiment: simulate ch00.small_config(company, gtm_motion=m) for m = 'SLG' and "
        "'PLG' with each seed of ch00.experiment_seeds(company). In how many of the 5 seeds "
        "does PLG end with more MRR in the last month than SLG? A whole number.",
        expect_number(_plg_seeds, decimals=0,
                      name=Say(en="your count of seeds", ja="あなたのシード数"),
                      mistakes={Say(en="that is the count of seeds where SLG ends ahead; count "
                                       "the seeds where PLG ends with more MRR.",
                                    ja="それはSLGのほうが上回って終わるシードの数です。最終月の"
                                       "MRRがPLGのほうで多いシードを数えてください。"):
                                lambda: 5 - _plg_seeds()}),
        hint="For each seed, sum mrr['mrr'] over the rows of the last month "
             "(mrr['month'].max()) for both motions, compare, and count the seeds where PLG is "
             "higher.",
        hint_ja="シードごとに、両方のモーションで最終月（mrr['month'].max()）の行の "
                "mrr['mrr'] を合計して比べ、PLGのほうが大きいシードを数えます。",
        solution="wins = 0\n"
                 "for s in ch00.experiment_seeds(company):\n"
                 "    end = {}\n"
                 "    for motion in ('SLG', 'PLG'):\n"
                 "        mrr = simulate_company(ch00.small_config(company, gtm_motion=motion), "
                 "rng=s).mrr\n"
                 "        end[motion] = mrr.loc[mrr['month'] == mrr['month'].max(), 'mrr'].sum()\n"
                 "    wins += int(end['PLG'] > end['SLG'])\n"
                 "answer = wins",
        stars=2, kind="experiment",
    ),
    Exercise(
        "00.6",
        "Find the flaw: a colleague reports company.opportunities['is_won'].mean() as "
        "'the share of our inquiries that become customers'. How many times the true share is "
        "the colleague's figure? To 1 decimal place.",
        expect_number(_overstatement, decimals=1, name=Say(en="your factor", ja="あなたの倍率"),
                      mistakes={Say(en="that is the factor the other way round: the "
                                       "colleague's figure is the larger one.",
                                    ja="それは逆向きの倍率です。同僚の数字のほうが大きい値です。"):
                                lambda: 1 / _overstatement()}),
        hint="The colleague divides the wins by the opportunities; the true share divides them "
             "by the inquiries (the rows of company.leads). Divide the colleague's share by the "
             "true share: the wins cancel.",
        hint_ja="同僚は受注数を商談数で割っています。本当の割合は、受注数を問い合わせ数"
                "（company.leads の行数）で割ったものです。同僚の割合を本当の割合で割ると、"
                "受注数は打ち消し合います。",
        solution="colleague = company.opportunities['is_won'].mean()\n"
                 "true_share = company.opportunities['is_won'].sum() / len(company.leads)\n"
                 "answer = colleague / true_share",
        stars=3, kind="flaw",
    ),
)


def _paying_customers_last_month() -> int:
    mrr = _company().mrr
    last = mrr["month"].max()
    return int(mrr.loc[(mrr["month"] == last) & (mrr["mrr"] > 0), "account_id"].nunique())


for _exercise in EXERCISES:
    register(_exercise, replace=True)
