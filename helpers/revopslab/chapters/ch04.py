"""Exercises of notebook 04 (designing the RevOps organisation), checked against its company."""

from __future__ import annotations

from types import MappingProxyType
from typing import Any

import pandas as pd

from ..exercises import (
    Exercise,
    Incorrect,
    Say,
    expect_choice,
    expect_number,
    expect_set,
    register,
)
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


def _check_raci(answer: Any) -> Say | None:
    if not isinstance(answer, pd.DataFrame):
        kind = type(answer).__name__
        raise Incorrect(en="your RACI should be a pandas DataFrame with stages as rows and "
                           f"departments as columns, but it is a {kind}.",
                        ja="あなたのRACIは、ステージを行、部門を列とするpandasのDataFrameの"
                           f"はずですが、{kind}型の値です。")
    try:
        validate_raci(answer)
    except RaciError as exc:
        count = len(exc.problems)
        noun = "problem" if count == 1 else "problems"
        # validate_raci words its problems in English: the Japanese message counts them.
        return Say(en=f"your RACI still has {count} {noun}, the first: {exc.problems[0]}. "
                      "Run validate_raci(answer) to see them all.",
                   ja=f"あなたのRACIにはまだ{count}件の問題があります。validate_raci(answer) "
                      "を実行して、すべての問題を確かめてください。")
    owners = accountable_departments(answer)
    for stage, allowed in ARTICLE_OWNERS.items():
        if owners[stage] not in allowed:
            return Say(en=f"your RACI passes validate_raci, but stage {stage!r} is accountable "
                          f"to {owners[stage]!r}; in the article's division of duties another "
                          "department owns it.",
                       ja=f"あなたのRACIは validate_raci を通過しますが、ステージ {stage!r} の"
                          f"説明責任者（A）が {owners[stage]!r} になっています。記事の業務分掌"
                          "では、別の部門がこのステージを担います。")
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
            "decentralised": Say(
                en="Decentralised governance is what silos look like; RevOps exists to "
                   "integrate them.",
                ja="分散型のガバナンスはサイロの姿そのものです。RevOpsはそれを統合するために"
                   "あります。"),
            "hybrid": Say(
                en="Hybrid is a common compromise, but the book starts from RevOps' role of "
                   "overseeing the whole process, data and technology.",
                ja="ハイブリッド型はよくある折衷案ですが、書籍の出発点は、プロセス・データ・"
                   "テクノロジーの全体を統括するというRevOpsの役割です。"),
        }),
        hint="Re-read the governance table's revops_default column, and why RevOps oversees "
             "the whole revenue process.",
        hint_ja="ガバナンスの表の revops_default 列と、RevOpsがレベニュープロセス全体を統括する"
                "理由を読み直してください。",
        solution="answer = 'centralised'",
        stars=1, kind="recall",
    ),
    Exercise(
        "04.2",
        "Which companies in ch04.CANDIDATES fit LeanData's profile? Give a list of their names.",
        expect_set(_ready_candidates,
                   name=Say(en="your list of companies", ja="あなたの会社リスト")),
        hint="readiness(size) accepts a dict with customers, employees and years, and its "
             ".ready is True only when all three thresholds are met (500+, 140+ and 6.5+ "
             "include the boundary).",
        hint_ja="readiness(size) は customers、employees、years を持つ辞書を受け取り、3つの"
                "しきい値（500社以上、140人以上、6.5年以上。境界値を含む）をすべて満たすときだけ "
                ".ready が True になります。",
        solution="answer = [name for name, size in ch04.CANDIDATES.items() "
                 "if readiness(dict(size)).ready]",
        stars=1, kind="compute",
    ),
    Exercise(
        "04.3",
        "Set the handoff SLA at what 90% of accepted handoffs already meet: the 90th "
        "percentile of company.leads['handoff_days'], in days, to 1 decimal place.",
        expect_number(_sla_90th_percentile, decimals=1, name=Say(en="your SLA", ja="あなたのSLA"),
                      mistakes={Say(en="that is the median (the 50th percentile); the SLA here "
                                       "is the 90th percentile, .quantile(0.9).",
                                    ja="それは中央値（50パーセンタイル）です。ここでのSLAは"
                                       "90パーセンタイル（.quantile(0.9)）です。"): _sla_median}),
        hint="company.leads['handoff_days'] holds the days from TQL/TGL to SAL (empty for "
             "leads never accepted); .quantile(0.9) skips the empty ones.",
        hint_ja="company.leads['handoff_days'] には、TQL/TGLからSALまでの日数が入っています"
                "（受け入れられなかったリードは空欄）。.quantile(0.9) は空欄を飛ばして計算します。",
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
                HISTOGRAM_READINGS[0]: Say(
                    en="the printed breach rate says how many accepted handoffs missed it; and "
                       "who is missing from the chart?",
                    ja="表示された未達率は、受け入れられた引き渡しのうちSLAを外した割合です。"
                       "そして、グラフに載っていないのは誰ですか。"),
                HISTOGRAM_READINGS[2]: Say(
                    en="the x axis label says 15+ days are shown at 15: the chart clips them.",
                    ja="x軸のラベルにあるとおり、15日以上は15の位置にまとめて描かれています。"
                       "グラフが切り詰めているのです。"),
            }),
        hint="The x axis label says which leads are drawn. Which leads have no handoff_days "
             "at all?",
        hint_ja="x軸のラベルは、どのリードを描いているかを示しています。handoff_days を"
                "まったく持たないのはどのリードですか。",
        solution="answer = ch04.HISTOGRAM_READINGS[1]",
        stars=2, kind="interpret",
    ),
    Exercise(
        "04.5",
        "Experiment: for each seed of ch04.experiment_seeds(company), simulate "
        "ch04.small_config(company, handoff_sla_days=sla) with no SLA (None) and a 1-day SLA "
        "(1.0). In how many of the 5 seeds is the acceptance rate (ch04.acceptance_rate of "
        "the leads) higher with the SLA? A whole number.",
        expect_number(_sla_seeds, decimals=0,
                      name=Say(en="your count of seeds", ja="あなたのシード数"),
                      mistakes={Say(en="that is the count of seeds where acceptance is higher "
                                       "without the SLA; count those where the SLA raises it.",
                                    ja="それはSLAなしのほうが受け入れ率の高いシードの数です。"
                                       "SLAで受け入れ率が上がるシードを数えてください。"):
                                lambda: 5 - _sla_seeds()}),
        hint="ch04.acceptance_rate(run.leads) gives the share of handed-over leads that sales "
             "accepted. Compare the two runs seed by seed and count.",
        hint_ja="ch04.acceptance_rate(run.leads) は、引き渡されたリードのうち営業が受け入れた"
                "割合を返します。2つの実行をシードごとに比べて数えてください。",
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
                SLA_REPORT_FLAWS[0]: Say(
                    en="which leads are in the table at all? Section 7's experiment measures "
                       "what the table cannot.",
                    ja="そもそも表に載っているのはどのリードですか。第7節の実験は、この表では"
                       "測れないものを測っています。"),
            }),
        hint="Which leads have a handoff time? What happened to the leads that waited and "
             "were never accepted?",
        hint_ja="引き渡し時間を持つのはどのリードですか。待たされたまま受け入れられなかった"
                "リードはどうなりましたか。",
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
        hint_ja="validate_raci(draft) がすべての問題を挙げます。各ステージには 'A' がちょうど1つ"
                "と 'R' が1つ以上必要で（'A/R' なら1つの部門に両方を与えます）、すべてのステージ"
                "に行が必要です。足りない行は draft.loc['sgl'] = ... で加えてください。",
        solution="answer = ch04.raci_draft()\n"
                 "answer.loc['tql', 'marketing'] = 'C'      # one Accountable: inside sales\n"
                 "answer.loc['sal', 'field_sales'] = 'A/R'  # sales answers for acceptance\n"
                 "answer.loc['close', 'field_sales'] = 'A/R'\n"
                 "answer.loc['sgl'] = pd.Series({'marketing': 'I', 'field_sales': 'A/R', "
                 "'revops': 'C'})\n"
                 "validate_raci(answer)",
        solution_ja="answer = ch04.raci_draft()\n"
                    "answer.loc['tql', 'marketing'] = 'C'      # Aは1つだけ：インサイドセールス\n"
                    "answer.loc['sal', 'field_sales'] = 'A/R'  # 受け入れの責任は営業が持つ\n"
                    "answer.loc['close', 'field_sales'] = 'A/R'\n"
                    "answer.loc['sgl'] = pd.Series({'marketing': 'I', 'field_sales': 'A/R', "
                    "'revops': 'C'})\n"
                    "validate_raci(answer)",
        stars=3, kind="compute",
        expected=lambda: Say(
            en="a RACI that passes validate_raci, with these accountable departments: "
               + ", ".join(f"{stage}: {' or '.join(owners)}"
                           for stage, owners in ARTICLE_OWNERS.items()),
            ja="validate_raci を通過し、説明責任者（A）が次の部門であるRACI："
               + "、".join(f"{stage}: {' / '.join(owners)}"
                          for stage, owners in ARTICLE_OWNERS.items())),
    ),
)

for _exercise in EXERCISES:
    register(_exercise, replace=True)
