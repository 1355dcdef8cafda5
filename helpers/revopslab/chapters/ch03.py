"""Exercises of notebook 03 (BigOps and the SSOT), checked against the company it binds."""

from __future__ import annotations

from ..exercises import Exercise, Say, expect_choice, expect_number, register
from ..silos import export_silos
from ..simulate import simulate_company
from ..ssot import account_records, normalise_company_name
from . import Binding, experiment_seeds, small_config

__all__ = ["bind", "EXERCISES", "NAME_VARIANTS", "SYSTEM_NAMES", "PAIR_COUNTS", "CURVE_READINGS",
           "CHURN_REPORT_FLAWS", "experiment_seeds", "small_config"]

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

#: The three departmental systems, as the notebook names them (exercise 03.2).
SYSTEM_NAMES: tuple[str, ...] = ("MA", "SFA", "CS")

#: A matcher's pairwise result against the truth (exercise 03.4).
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


#: Readings of the F1-vs-noise curve of section 6, one right (exercise 03.5).
CURVE_READINGS: tuple[str, ...] = (
    "as noise rises, precision falls fastest: the matcher merges different companies",
    "as noise rises, precision stays high and recall falls: the matcher misses duplicates "
    "rather than merging different companies",
    "F1 hardly moves, so data-entry quality does not matter once a matcher is in place",
    "the rules matcher beats Splink at every noise level",
)

#: What is wrong with reporting the SFA's 'Former Customer' count as the churn (03.6).
CHURN_REPORT_FLAWS: tuple[str, ...] = (
    "nothing: the SFA is the system of record for customers",
    "the SFA's account Type is set by reps when they remember and carries no date, so its "
    "count is one silo's view, not the churn",
    "former customers should be counted in yen, not in accounts",
    "the SFA counts every churned customer twice",
)


def _mean_of_precision_and_recall() -> float:
    precision = PAIR_COUNTS["correct_pairs"] / PAIR_COUNTS["predicted_pairs"]
    recall = PAIR_COUNTS["correct_pairs"] / PAIR_COUNTS["true_pairs"]
    return (precision + recall) / 2


def _noisier_keys(company) -> int:
    more = 0
    for seed in experiment_seeds(company):
        run = simulate_company(small_config(company), rng=seed)
        keys = {noise: account_records(export_silos(run, rng=seed, noise=noise))["name_norm"]
                .nunique() for noise in (0.0, 0.5)}
        more += int(keys[0.5] > keys[0.0])
    return more


def _noisier_seeds() -> int:
    return _binding.memo("noise", _noisier_keys)


EXERCISES = (
    Exercise(
        "03.1",
        "The eight spellings in ch03.NAME_VARIANTS are one company. How many distinct "
        "matching keys does normalise_company_name give for them? A whole number.",
        expect_number(_distinct_keys, decimals=0,
                      name=Say(en="your number of keys", ja="あなたのキーの数"),
                      mistakes={Say(en="that is the number of spellings; count the distinct "
                                       "keys after normalisation (a set).",
                                    ja="それは表記の数です。正規化したあとの異なるキーを数えて"
                                       "ください（集合を使います）。"):
                                lambda: len(NAME_VARIANTS)}),
        hint="Put every variant through revopslab.ssot.normalise_company_name and count the "
             "distinct results (a set). Width, legal forms and honorifics go; typos and "
             "romanised names stay.",
        hint_ja="すべての表記を revopslab.ssot.normalise_company_name に通し、異なる結果の数を"
                "数えます（集合）。全角・半角の違い、法人格、敬称は消えますが、誤字とローマ字"
                "表記は残ります。",
        solution="from revopslab.ssot import normalise_company_name\n"
                 "answer = len({normalise_company_name(name) for name in ch03.NAME_VARIANTS})",
        stars=1, kind="compute",
    ),
    Exercise(
        "03.2",
        "Only one department's system records the date a customer cancelled. Which? One of "
        "ch03.SYSTEM_NAMES.",
        expect_choice(
            "CS", options=SYSTEM_NAMES,
            aliases={"CS platform": "CS", "customer success": "CS",
                     "marketing automation": "MA", "Salesforce": "SFA"},
            feedback={
                "MA": Say(en="marketing automation never hears of a cancellation.",
                          ja="マーケティングオートメーションには解約の知らせは届きません。"),
                "SFA": Say(en="the SFA has a 'Former Customer' account type, reset when a rep "
                              "remembers, and no date.",
                           ja="SFAには 'Former Customer' という取引先種別がありますが、営業担当"
                              "が思い出したときに変更されるだけで、日付はありません。"),
            }),
        hint="Look at the columns of silos.cs['customers'] and silos.sfa['accounts'], or at "
             "the reasons in the 'logo churn' rows of the same-question table.",
        hint_ja="silos.cs['customers'] と silos.sfa['accounts'] の列を見るか、同じ質問を"
                "比べた表の「ロゴ解約（logo churn）」の行に書かれた理由を読んでください。",
        solution="answer = 'CS'",
        stars=1, kind="recall",
    ),
    Exercise(
        "03.3",
        "How many former customers does the SFA export of the notebook's company know of "
        "(accounts whose Type is 'Former Customer' in export_silos(company))? A whole number.",
        expect_number(_sfa_former, decimals=0, name=Say(en="your count", ja="あなたの数")),
        hint="export_silos(company) from revopslab.silos gives the exports; silos.sfa['accounts'] "
             "has a Type column. Count the rows equal to 'Former Customer'.",
        hint_ja="revopslab.silos の export_silos(company) がエクスポートを返します。"
                "silos.sfa['accounts'] には Type 列があります。'Former Customer' に等しい行を"
                "数えてください。",
        solution="from revopslab.silos import export_silos\n"
                 "silos = export_silos(company)\n"
                 "answer = int((silos.sfa['accounts']['Type'] == 'Former Customer').sum())",
        stars=2, kind="compute",
    ),
    Exercise(
        "03.4",
        "A matcher put 1,200 pairs of records together; 1,080 of them truly are the same "
        "company, and the truth holds 1,500 such pairs (ch03.PAIR_COUNTS). What is its F1? "
        "To 3 decimal places.",
        expect_number(_f1, decimals=3, name=Say(en="your F1", ja="あなたのF1"),
                      mistakes={Say(en="that is the arithmetic mean of precision and recall; "
                                       "F1 is their harmonic mean, 2PR / (P + R).",
                                    ja="それは適合率と再現率の算術平均です。F1は両者の調和平均"
                                       "（2PR / (P + R)）です。"):
                                _mean_of_precision_and_recall,
                                Say(en="that is the precision alone (correct / predicted); F1 "
                                       "combines it with recall.",
                                    ja="それは適合率だけです（正しい組 ÷ まとめた組）。F1は"
                                       "これと再現率を組み合わせます。"):
                                lambda: 1_080 / 1_200,
                                Say(en="that is the recall alone (correct / true pairs); F1 "
                                       "combines it with precision.",
                                    ja="それは再現率だけです（正しい組 ÷ 正解の組）。F1は"
                                       "これと適合率を組み合わせます。"):
                                lambda: 1_080 / 1_500}),
        hint="precision = correct / predicted, recall = correct / true pairs, "
             "F1 = 2 × precision × recall / (precision + recall).",
        hint_ja="適合率 = 正しい組 ÷ まとめた組、再現率 = 正しい組 ÷ 正解の組、"
                "F1 = 2 × 適合率 × 再現率 ÷ (適合率 + 再現率) です。",
        solution="counts = ch03.PAIR_COUNTS\n"
                 "precision = counts['correct_pairs'] / counts['predicted_pairs']\n"
                 "recall = counts['correct_pairs'] / counts['true_pairs']\n"
                 "answer = 2 * precision * recall / (precision + recall)",
        stars=2, kind="compute",
    ),
    Exercise(
        "03.5",
        "Read the F1-vs-noise curve and table of section 6. Which reading is right? One of "
        "ch03.CURVE_READINGS (its index 0 to 3 or its text).",
        expect_choice(
            CURVE_READINGS[1], options=CURVE_READINGS,
            aliases={str(i): r for i, r in enumerate(CURVE_READINGS)},
            feedback={
                CURVE_READINGS[0]: Say(
                    en="read the precision column: it barely moves; which column falls?",
                    ja="適合率の列を読んでください。ほとんど動いていません。下がっているのは"
                       "どの列ですか。"),
                CURVE_READINGS[2]: Say(
                    en="compare F1 at noise 0.0 with F1 at the highest noise.",
                    ja="ノイズ0.0のF1と、最も高いノイズでのF1を比べてください。"),
            }),
        hint="The table under the chart has precision, recall and F1 per noise level and "
             "matcher. Which of precision and recall falls as the noise rises?",
        hint_ja="グラフの下の表には、ノイズの水準とマッチャーごとに適合率、再現率、F1が"
                "あります。ノイズが上がると下がるのは、適合率と再現率のどちらですか。",
        solution="answer = ch03.CURVE_READINGS[1]",
        stars=2, kind="interpret",
    ),
    Exercise(
        "03.6",
        "Find the flaw: the board deck reports the SFA's count of 'Former Customer' accounts "
        "as the year's churn. What is wrong with it? One of ch03.CHURN_REPORT_FLAWS (index "
        "or text).",
        expect_choice(
            CHURN_REPORT_FLAWS[1], options=CHURN_REPORT_FLAWS,
            aliases={str(i): r for i, r in enumerate(CHURN_REPORT_FLAWS)},
            feedback={
                CHURN_REPORT_FLAWS[0]: Say(
                    en="section 5 asked each system the same question; compare the SFA's "
                       "answer with the truth.",
                    ja="第5節は各システムに同じ質問をしました。SFAの答えを正解と比べて"
                       "ください。"),
            }),
        hint="Section 5 prints each system's answer to 'how many customers churned?' next to "
             "the truth, with the reason each one is off.",
        hint_ja="第5節は「何社が解約したか」への各システムの答えを、正解と、それぞれがずれる"
                "理由と並べて表示しています。",
        solution="answer = ch03.CHURN_REPORT_FLAWS[1]",
        stars=2, kind="flaw",
    ),
    Exercise(
        "03.7",
        "Experiment: for each seed s of ch03.experiment_seeds(company), simulate "
        "ch03.small_config(company) with rng=s and export it with export_silos(run, rng=s, "
        "noise=...) at noise 0.0 and 0.5. In how many of the 5 seeds does normalisation leave "
        "more distinct account keys (account_records(silos)['name_norm']) at noise 0.5? A "
        "whole number.",
        expect_number(_noisier_seeds, decimals=0,
                      name=Say(en="your count of seeds", ja="あなたのシード数"),
                      mistakes={Say(en="that is the count of seeds where the clean export has "
                                       "more keys; count those where the noisy one has more.",
                                    ja="それはノイズのないエクスポートのほうがキーの多いシード"
                                       "の数です。ノイズのあるほうが多いシードを数えて"
                                       "ください。"):
                                lambda: 5 - _noisier_seeds()}),
        hint="revopslab.ssot.account_records(silos) has a name_norm column; count its distinct "
             "values with .nunique() at each noise level and compare, seed by seed.",
        hint_ja="revopslab.ssot.account_records(silos) には name_norm 列があります。ノイズの"
                "水準ごとに .nunique() で異なる値を数え、シードごとに比べてください。",
        solution="from revopslab.silos import export_silos\n"
                 "from revopslab.ssot import account_records\n"
                 "more = 0\n"
                 "for s in ch03.experiment_seeds(company):\n"
                 "    run = simulate_company(ch03.small_config(company), rng=s)\n"
                 "    keys = {noise: account_records(export_silos(run, rng=s, noise=noise))"
                 "['name_norm'].nunique() for noise in (0.0, 0.5)}\n"
                 "    more += int(keys[0.5] > keys[0.0])\n"
                 "answer = more",
        stars=3, kind="experiment",
    ),
)

for _exercise in EXERCISES:
    register(_exercise, replace=True)
