"""The report's recommendation rules: each fires on a threshold and states the size of the prize."""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import Any

import numpy as np
import pandas as pd

from ..vocabulary import LANGUAGES
from .text import _check_lang, format_yen, mask_text, md_literal, step_label

__all__ = ["BENCHMARKS", "Findings", "Recommendation", "findings", "recommendations"]

_LANGS = LANGUAGES

#: Thresholds of the recommendation rules, with their sources.
#:
#: * ``gross_revenue_retention`` 0.90: SaaS Capital's 2023 median GRR (90-93 % by ACV band);
#: * ``net_revenue_retention`` 1.00: below 100 % the installed base shrinks on its own;
#: * ``win_rate`` 0.15: the low end of the published range (First Page Sage 15-30 %,
#:   Fairview 20-35 %; ``data/assumptions.csv``, ``kpi.win_rate``);
#: * ``stale_share`` 0.10: open pipeline past its own close date, share of open amount;
#: * ``forecast_bias`` 0.15 and ``forecast_gain`` 0.05: the reps' forecast misses by more than
#:   15 % on average and another method's WAPE is at least 5 points lower;
#: * ``quarantine_share`` 0.01: rows of an export that could not be read.
BENCHMARKS: Mapping[str, float] = MappingProxyType({
    "gross_revenue_retention": 0.90,
    "net_revenue_retention": 1.00,
    "win_rate": 0.15,
    "stale_share": 0.10,
    "forecast_bias": 0.15,
    "forecast_gain": 0.05,
    "quarantine_share": 0.01,
})


# ============================================================================ recommendations
@dataclasses.dataclass(frozen=True)
class Findings:
    """The numbers the recommendation rules read (``None`` where the data cannot tell).

    Attributes
    ----------
    bottleneck
        :func:`revopslab.process.bottleneck` output (largest gain first).
    lift
        The lift ``bottleneck`` was computed with (share of the gap closed).
    nrr, grr, opening_arr
        Net and gross revenue retention over the period, and the ARR they apply to.
    win_rate, closed_deals, average_won
        Of the deals closed in the period.
    accuracy, quarterly_actual
        :func:`revopslab.forecast.accuracy` of the backtest, and the mean
        actual bookings per quarter it was scored on.
    open_amount, stale_deals, stale_amount
        The open pipeline and its part past the expected close date.
    rows_read, rows_quarantined, quarantine_path
        Of a CRM export.
    """

    bottleneck: pd.DataFrame | None = None
    lift: float = 0.2
    nrr: float | None = None
    grr: float | None = None
    opening_arr: float | None = None
    win_rate: float | None = None
    closed_deals: int | None = None
    average_won: float | None = None
    accuracy: pd.DataFrame | None = None
    quarterly_actual: float | None = None
    open_amount: float | None = None
    stale_deals: int | None = None
    stale_amount: float | None = None
    rows_read: int | None = None
    rows_quarantined: int | None = None
    quarantine_path: str | None = None


@dataclasses.dataclass(frozen=True)
class Recommendation:
    """One recommendation: the rule that fired, the size of the prize (currency) and the text.

    ``prize`` is ``None`` when a rule has no amount (data quality).
    """

    rule: str
    prize: float | None
    text: str


def findings(*, summary, bottleneck: pd.DataFrame | None = None,
             lift: float = 0.2, retention: Mapping[str, float] | None = None,
             backtest: pd.DataFrame | None = None, accuracy: pd.DataFrame | None = None,
             export=None, quarantine_path: str | os.PathLike | None = None) -> Findings:
    """Collect the report's numbers into :class:`Findings` for :func:`recommendations`."""
    t = summary.totals
    closed = int(t["won"] + t["lost"])
    quarterly = None
    if backtest is not None and len(backtest):
        quarterly = float(backtest.drop_duplicates("period")["actual"].mean())
    s = export.source if export is not None else None
    return Findings(
        bottleneck=bottleneck, lift=lift,
        nrr=None if retention is None else retention["nrr"],
        grr=None if retention is None else retention["grr"],
        opening_arr=None if retention is None else retention["opening_arr"],
        win_rate=t["win_rate"], closed_deals=closed, average_won=t["average_won"],
        accuracy=accuracy if accuracy is not None and len(accuracy) else None,
        quarterly_actual=quarterly, open_amount=t["open_amount"],
        stale_deals=int(t["stale_deals"]), stale_amount=t["stale_amount"],
        rows_read=None if s is None else s.rows_read,
        rows_quarantined=None if s is None else s.rows_quarantined,
        quarantine_path=None if quarantine_path is None else str(quarantine_path))


def _ok(value: Any) -> bool:
    return value is not None and isinstance(value, int | float | np.number) and bool(
        np.isfinite(value))


def _rule_bottleneck(f: Findings, lang: str, yen: Callable[[float], str]) -> Recommendation | None:
    table = f.bottleneck
    if table is None or not len(table) or "gain" not in table:
        return None
    ranked = table[np.isfinite(table["gain"].to_numpy(dtype=float))].sort_values(
        "gain", ascending=False, kind="stable")
    if not len(ranked) or not ranked["gain"].iloc[0] > 0:
        return None
    top = ranked.iloc[0]
    step = ranked.index[0]
    p, lifted = float(top["conversion"]), float(top["conversion"] * top["multiplier"])
    share = float(top["gain"] / ranked["gain"].clip(lower=0).sum())
    entered = float(top["entered_per_year"])
    name = step_label(step, lang=lang)
    nxt = ""
    if len(ranked) > 1 and ranked["gain"].iloc[1] > 0:
        second = ranked.index[1]
        nxt = (f" 次点は{step_label(second, lang=lang)}（年{yen(ranked['gain'].iloc[1])}）です。"
               if lang == "ja" else
               f" Next in line: {step_label(second, lang=lang)} "
               f"({yen(ranked['gain'].iloc[1])} a year).")
    if lang == "ja":
        text = (f"**ボトルネックは{name}です。** "
                f"年{entered:,.0f}件が入るこのステップの転換率は"
                f"{p:.1%}で、100%までの差の{f.lift:.0%}を埋めて{lifted:.1%}にすると、受注が年"
                f"{yen(top['gain'])}増える見込みです（全ステップに同じ改善をした場合の増分の"
                f"{share:.0%}）。{nxt}")
    else:
        text = (f"**Fix {name} first: it is the bottleneck.** {entered:,.0f} leads a year enter "
                f"this step and {p:.1%} convert; closing {f.lift:.0%} of its gap to 100% "
                f"(to {lifted:.1%}) would add about {yen(top['gain'])} of bookings a year, "
                f"{share:.0%} of what the same lift on every step would add.{nxt}")
    return Recommendation("bottleneck", float(top["gain"]), text)


def _rule_retention(f: Findings, lang: str, yen: Callable[[float], str]
                    ) -> list[Recommendation]:
    out = []
    if not _ok(f.opening_arr) or f.opening_arr <= 0:
        return out
    goal = BENCHMARKS["gross_revenue_retention"]
    if _ok(f.grr) and f.grr < goal:
        prize = (goal - f.grr) * f.opening_arr
        text = (f"**解約と縮小を減らす。** GRRは{f.grr:.1%}で、中央値の{goal:.0%}を下回っています。"
                f"期初ARR {yen(f.opening_arr)}に対し、GRRを{goal:.0%}に戻せば年{yen(prize)}の"
                "ARRを守れます。解約・縮小した顧客のオンボーディングと引き継ぎから確認してください。"
                if lang == "ja" else
                f"**Stop the leak: gross revenue retention is {f.grr:.1%}**, below the "
                f"{goal:.0%} median. On an opening ARR of {yen(f.opening_arr)}, bringing GRR to "
                f"{goal:.0%} would keep {yen(prize)} of ARR a year; start with the onboarding "
                "and handoff of the accounts that churned or contracted.")
        out.append(Recommendation("gross_retention", prize, text))
    goal = BENCHMARKS["net_revenue_retention"]
    if _ok(f.nrr) and f.nrr < goal:
        prize = (goal - f.nrr) * f.opening_arr
        text = (f"**既存顧客の売上が縮んでいます。** NRRは{f.nrr:.1%}で、"
                "拡大が解約を補えていません。"
                f"NRRを{goal:.0%}にすると年{yen(prize)}のARRになります。"
                if lang == "ja" else
                f"**The installed base shrinks: NRR is {f.nrr:.1%}**, so expansion does not "
                f"cover churn and contraction. Reaching {goal:.0%} is worth {yen(prize)} of ARR "
                "a year.")
        out.append(Recommendation("net_retention", prize, text))
    return out


def _rule_win_rate(f: Findings, lang: str, yen: Callable[[float], str]
                   ) -> Recommendation | None:
    low = BENCHMARKS["win_rate"]
    if not (_ok(f.win_rate) and _ok(f.average_won) and f.closed_deals) or f.win_rate >= low:
        return None
    prize = (low - f.win_rate) * f.closed_deals * f.average_won
    text = (f"**受注率を上げる。** 期間中にクローズした{f.closed_deals:,}件の受注率は"
            f"{f.win_rate:.1%}"
            f"で、公表レンジの下限{low:.0%}を下回っています。{low:.0%}まで上がれば、平均受注額"
            f"{yen(f.average_won)}で受注が{yen(prize)}増えます。"
            if lang == "ja" else
            f"**Win more of the deals you work: the win rate is {f.win_rate:.1%}** of "
            f"{f.closed_deals:,} deals closed, below the {low:.0%} low end of published ranges. "
            f"At {low:.0%} and the average won deal of {yen(f.average_won)}, the same deals "
            f"would book {yen(prize)} more.")
    return Recommendation("win_rate", prize, text)


def _rule_stale(f: Findings, lang: str, yen: Callable[[float], str]) -> Recommendation | None:
    if not (_ok(f.open_amount) and _ok(f.stale_amount)) or f.open_amount <= 0:
        return None
    share = f.stale_amount / f.open_amount
    if share <= BENCHMARKS["stale_share"]:
        return None
    text = (f"**古いパイプラインを整理する。** 未クローズ商談{f.stale_deals:,}件"
            f"（{yen(f.stale_amount)}、"
            f"パイプラインの{share:.0%}）は完了予定日を過ぎています。予測会議の前に日付を更新するか"
            "クローズしてください。"
            if lang == "ja" else
            f"**Clean the pipeline: {f.stale_deals:,} open deals worth {yen(f.stale_amount)} "
            f"({share:.0%} of the open pipeline) are past their own close date.** Re-date or "
            "close them before the next forecast call; until then the pipeline overstates what "
            "can close.")
    return Recommendation("stale_pipeline", f.stale_amount, text)


def _rule_forecast(f: Findings, lang: str, yen: Callable[[float], str]) -> Recommendation | None:
    acc = f.accuracy
    if acc is None or "judgment" not in acc.index or len(acc) < 2 or not _ok(f.quarterly_actual):
        return None
    judged = acc.loc["judgment"]
    others = acc.drop(index="judgment").sort_values("wape", kind="stable")
    best, best_name = others.iloc[0], others.index[0]
    gain = float(judged["wape"] - best["wape"])
    if abs(judged["bias"]) <= BENCHMARKS["forecast_bias"] or gain < BENCHMARKS["forecast_gain"]:
        return None
    prize = gain * f.quarterly_actual
    way = ("上振れ" if judged["bias"] > 0 else "下振れ") if lang == "ja" else (
        "over" if judged["bias"] > 0 else "under")
    methods = {"weighted": ("the weighted pipeline", "加重パイプライン"),
               "predictive": ("the predictive model", "予測モデル"),
               "commit": ("the reps' Commit deals", "コミット商談")}
    method = methods.get(best_name, (best_name, best_name))[_LANGS.index(lang)]
    text = (f"**予測の方法を変える。** 営業の判断による予測は平均{abs(judged['bias']):.0%}{way}し"
            f"（WAPE {judged['wape']:.0%}）、{method}のWAPEは{best['wape']:.0%}です。切り替えると"
            f"四半期あたりの予測誤差が約{yen(prize)}減ります。"
            if lang == "ja" else
            f"**Forecast from data, not judgment: the reps' forecast {way}states bookings by "
            f"{abs(judged['bias']):.0%}** on average (WAPE {judged['wape']:.0%}); {method} "
            f"misses by {best['wape']:.0%}. Switching cuts the forecast error by about "
            f"{yen(prize)} a quarter.")
    return Recommendation("forecast", prize, text)


def _rule_quality(f: Findings, lang: str, yen: Callable[[float], str]) -> Recommendation | None:
    if not f.rows_read or not f.rows_quarantined:
        return None
    share = f.rows_quarantined / f.rows_read
    if share <= BENCHMARKS["quarantine_share"]:
        return None
    where = md_literal(mask_text(os.path.basename(f.quarantine_path))) if f.quarantine_path else "—"
    text = (f"**データ入力を直す。** エクスポートの{f.rows_read:,}行のうち{f.rows_quarantined:,}行"
            f"（{share:.1%}）が読めず、このレポートから除外されました。理由は隔離ファイル {where} "
            "にあります。CRM側の入力規則で直してください。"
            if lang == "ja" else
            f"**Fix the data at the source: {f.rows_quarantined:,} of {f.rows_read:,} rows "
            f"({share:.1%}) could not be read** and are left out of this report. Their reasons "
            f"are in the quarantine file {where}; add validation rules in the CRM so they "
            "cannot be entered.")
    return Recommendation("data_quality", None, text)


def recommendations(f: Findings, *, lang: str = "en") -> list[Recommendation]:
    """Rule-based recommendations from the report's numbers, the largest prize first.

    Each rule fires only when its number crosses a threshold of
    :data:`BENCHMARKS`, and its text names what to fix and the size of the
    prize, computed from the numbers:

    * ``bottleneck``: the step with the largest ``gain`` in
      :func:`revopslab.process.bottleneck` (fires when that gain is > 0):
      the step, its conversion, and the bookings a year the lift would add;
    * ``gross_retention``: GRR below 90 %: ``(0.90 − GRR) × opening ARR``;
    * ``net_retention``: NRR below 100 %: ``(1 − NRR) × opening ARR``;
    * ``win_rate``: below 15 %: ``(0.15 − win rate) × closed deals × average won``;
    * ``forecast``: the reps' judgment biased by more than 15 % and another
      method's WAPE 5+ points lower: ``ΔWAPE × mean quarterly bookings``;
    * ``stale_pipeline``: more than 10 % of the open amount past its close date;
    * ``data_quality``: more than 1 % of an export's rows quarantined (no prize).

    Examples
    --------
    >>> table = pd.DataFrame({"conversion": [0.3, 0.5], "entered_per_year": [1000.0, 500.0],
    ...                       "multiplier": [1 + 0.2 * 0.7 / 0.3, 1.2], "gain": [5e7, 1e7]},
    ...                      index=["tql_to_sal", "sql_to_opportunity"])
    >>> [r.rule for r in recommendations(Findings(bottleneck=table, grr=0.95, opening_arr=1e9))]
    ['bottleneck']
    >>> round(recommendations(Findings(grr=0.85, opening_arr=1e9))[0].prize)
    50000000
    """
    _check_lang(lang)
    if not isinstance(f, Findings):
        raise TypeError(f"f must be a Findings, got {type(f).__name__}")

    def yen(value: float) -> str:
        return format_yen(float(value), lang=lang)

    found = [_rule_bottleneck(f, lang, yen), *_rule_retention(f, lang, yen),
             _rule_win_rate(f, lang, yen), _rule_forecast(f, lang, yen),
             _rule_stale(f, lang, yen), _rule_quality(f, lang, yen)]
    fired = [r for r in found if r is not None]
    return sorted(fired, key=lambda r: (r.prize is None, -(r.prize or 0.0)))
