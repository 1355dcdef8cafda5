"""The report's words: headings and sentences in English and Japanese, bound to a language once."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping, Sequence
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from .. import process
from ..vocabulary import LANGUAGES

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = ["Prose", "Table", "Text", "text_for", "show", "chart_message", "NEEDS", "needs_data",
           "REASONS", "reason", "QUARANTINE_REASONS", "quarantine_reason",
           "scope_name",
           "md_literal", "mask_text", "heading",
           "say", "pick", "numbered", "omitted", "step_label", "format_value", "term",
           "translate_legend", "relabel", "view"]

_LANGS = LANGUAGES


def format_yen(value: float, *, lang: str = "en") -> str:
    """:func:`revopslab.style.format_yen` (matplotlib is imported on first use, not by the CLI)."""
    from ..style import format_yen as fmt

    return fmt(value, lang=lang)


def label(key: str, *, lang: str = "en") -> str:
    """:func:`revopslab.style.label`, imported on first use."""
    from ..style import label as lookup

    return lookup(key, lang=lang)


# ============================================================================ text
class Prose:
    """Markdown shown as such in the report, and as the same plain text under nbval.

    IPython displays ``_repr_markdown_`` (``text/markdown``) in the HTML report
    and stores ``repr`` as ``text/plain``, which nbval compares: every number
    in the report's sentences is checked against the committed notebook.

    Examples
    --------
    >>> Prose("**Win rate** 25.0%")
    **Win rate** 25.0%
    """

    def __init__(self, markdown: str) -> None:
        self.markdown = markdown

    def _repr_markdown_(self) -> str:
        return self.markdown

    def __repr__(self) -> str:
        return self.markdown


class Table:
    """A small table: escaped HTML in the report, fixed-width text under nbval.

    Values are shown as given (format them first); the HTML is built by
    :meth:`pandas.DataFrame.to_html` with escaping on, so no value from an
    export can inject markup.

    Examples
    --------
    >>> Table(pd.DataFrame({"stage": ["<b>demo</b>"], "deals": ["12"]}))
             stage deals
    0  <b>demo</b>    12
    >>> "&lt;b&gt;demo" in Table(pd.DataFrame({"stage": ["<b>demo</b>"]}))._repr_html_()
    True
    """

    def __init__(self, frame: pd.DataFrame, *, index: bool = True) -> None:
        self.frame = frame
        self.index = index

    def _repr_html_(self) -> str:
        return self.frame.to_html(index=self.index, escape=True, na_rep="—", border=0,
                                  classes="revopslab-table")

    def __repr__(self) -> str:
        return self.frame.to_string(index=self.index, na_rep="—")


_MD_SPECIAL = re.compile(r"([\\`*_\[\]#!|~$])")


def md_literal(value: Any) -> str:
    r"""``value`` as text that Markdown and HTML show literally (no markup can get through).

    Control characters are written as escapes (``\n``), ``<``, ``>`` and
    ``&`` as HTML entities, and the characters that start Markdown markup
    (emphasis, links, images, code, headings, tables, ``$`` maths) are
    backslash-escaped; a value shown inside a sentence cannot start a line.

    Examples
    --------
    >>> print(md_literal('<i>a</i>\n# b'))
    &lt;i&gt;a&lt;/i&gt;\\n\# b
    """
    text = "".join(repr(ch)[1:-1] if unicodedata.category(ch) == "Cc" else ch
                   for ch in str(value))
    text = _MD_SPECIAL.sub(r"\\\1", text)
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def mask_text(value: Any) -> str:
    """``value`` with e-mail addresses and phone numbers masked (see ``crm.mask_pii``).

    Examples
    --------
    >>> mask_text("call 03-1234-5678 or mail tanaka@example.co.jp")
    'call 03-****-5678 or mail ta***@example.co.jp'
    """
    from ..crm import mask_pii

    return str(mask_pii(pd.DataFrame({"text": [str(value)]}))["text"].iloc[0])


_TEXT: Mapping[str, tuple[str, str]] = MappingProxyType({
    "title": ("RevOps health report", "RevOps健全性レポート"),
    "data": ("Data and scope", "データと対象範囲"),
    "quality": ("Data health", "データの健全性"),
    "bookings": ("1. Bookings", "1. 受注"),
    "performance": ("2. Win rate, cycle and deal size", "2. 受注率・商談期間・受注額"),
    "pipeline": ("3. Open pipeline", "3. 未クローズのパイプライン"),
    "forecast": ("4. Forecast", "4. 予測"),
    "waterfall": ("5. Demand waterfall and bowtie", "5. デマンドウォーターフォールとボウタイ"),
    "conversion": ("6. Conversion and bottlenecks", "6. 転換率とボトルネック"),
    "retention": ("7. Retention", "7. 顧客維持（リテンション）"),
    "kpis": ("8. KPI table", "8. KPI一覧"),
    "recommendations": ("9. Recommendations", "9. 推奨アクション"),
    "none": ("No rule fired: none of the numbers in this report crosses a threshold.",
             "どのルールも該当しませんでした。このレポートの数値はいずれもしきい値を超えていません。"),
})

#: What each section needs that an opportunity export alone does not hold, in plain words.
NEEDS: Mapping[str, tuple[str, str]] = MappingProxyType({
    "waterfall": ("Left out: needs lead data (each lead with the date it reached each stage, "
                  "from inquiry to SQL), which an opportunity export does not hold.",
                  "省略: リードのデータ（各リードが問い合わせからSQLまでの各段階に達した"
                  "日付）が必要ですが、商談のエクスポートには含まれていません。"),
    "conversion": ("Left out: needs lead data (each lead's stage dates) to measure conversion "
                   "from step to step and find the bottleneck.",
                   "省略: ステップ間の転換率とボトルネックを測るには、リードのデータ"
                   "（各リードの段階の日付）が必要です。"),
    "retention": ("Left out: needs subscription or billing data (each customer's monthly "
                  "recurring revenue) to measure NRR, GRR and churn.",
                  "省略: NRR・GRR・解約率を測るには、契約または請求のデータ"
                  "（顧客ごとの月次経常収益）が必要です。"),
    "quotas": ("Left out: needs a quotas file (one row per owner with an annual quota) to "
               "compare each rep's bookings with a quota.",
               "省略: 担当者ごとの受注をノルマと比べるには、ノルマのファイル"
               "（担当者ごとの年間ノルマ）が必要です。"),
    "target": ("No target given, so no coverage ratio: pass the next quarter's bookings target "
               "(--target) to see it.",
               "目標が指定されていないため、カバレッジは計算していません。次四半期の受注目標"
               "（--target）を指定すると表示します。"),
    "pushes": ("Close-date pushes are left out: needs a push count on each deal (Salesforce's "
               "Push Count column), which this export does not have.",
               "完了予定日の延期は省略します: 商談ごとの延期回数（Salesforceの Push Count 列）が"
               "必要ですが、このエクスポートにはありません。"),
})

def heading(key: str, *, lang: str = "en", level: int = 2) -> Prose:
    """A section heading of the report in ``lang``.

    Examples
    --------
    >>> heading("retention", lang="ja")
    ## 7. 顧客維持（リテンション）
    """
    _check_lang(lang)
    if key not in _TEXT:
        raise ValueError(f"key must be one of {sorted(_TEXT)}, got {key!r}")
    return Prose(f"{'#' * level} {_TEXT[key][_LANGS.index(lang)]}")


def pick(*, lang: str, en: str, ja: str) -> str:
    """The text of ``lang`` (a chart's message written in both languages).

    Examples
    --------
    >>> pick(lang="en", en="Win rate 25%", ja="受注率25%")
    'Win rate 25%'
    """
    _check_lang(lang)
    return ja if lang == "ja" else en


def say(*, lang: str, en: str, ja: str) -> Prose:
    """The sentence of ``lang`` as :class:`Prose` (both are written in the notebook).

    Examples
    --------
    >>> say(lang="ja", en="Win rate 25%", ja="受注率25%")
    受注率25%
    """
    return Prose(pick(lang=lang, en=en, ja=ja))


def numbered(items: Sequence[Any], *, lang: str = "en") -> Prose:
    """The recommendations as a numbered Markdown list (or a sentence when none fired).

    Examples
    --------
    >>> from revopslab.report import Recommendation
    >>> numbered([Recommendation("x", 1.0, "Do **this**.")])
    1. Do **this**.
    """
    _check_lang(lang)
    if not items:
        return Prose(_TEXT["none"][_LANGS.index(lang)])
    return Prose("\n".join(f"{k}. {r.text}" for k, r in enumerate(items, 1)))


def _check_lang(lang: Any) -> None:
    if lang not in _LANGS:
        raise ValueError(f"lang must be 'en' or 'ja', got {lang!r}")


def step_label(step: str, *, lang: str = "en") -> str:
    """``"TQL → SAL"`` for a step of ``process.STEPS`` (or any ``from_to_to`` name).

    Examples
    --------
    >>> step_label("opportunity_to_won", lang="ja")
    '商談 → 受注'
    """
    origin, target, _ = process.STEPS.get(step, (*step.split("_to_", 1), None))
    return f"{_stage(origin, lang)} → {_stage(target, lang)}"


def _stage(stage: str, lang: str) -> str:
    try:
        return label(stage, lang=lang)
    except KeyError:
        return stage


def _share(value: float) -> str:
    return "—" if value is None or not np.isfinite(value) else f"{value:.1%}"


_JA_UNITS = {"/month": "/月", "/year": "/年", "/customer": "/顧客", "/lead": "/リード",
             "/day": "/日"}


def format_value(value: float, unit: str, *, lang: str = "en") -> str:
    """A KPI value written for its unit (``share`` as %, currency with 万/億 or K/M, days ...).

    Examples
    --------
    >>> format_value(0.2649, "share"), format_value(2.2e6, "JPY/customer", lang="ja")
    ('26.5%', '220万円/顧客')
    >>> format_value(float("nan"), "days")
    '—'
    """
    if value is None or not np.isfinite(value):
        return "—"
    ja = lang == "ja"
    if ja:
        for en_suffix, ja_suffix in _JA_UNITS.items():
            unit = unit.replace(en_suffix, ja_suffix)
    if unit == "share":
        return f"{value:.1%}"
    if unit.startswith(("JPY", "¥")):
        rest = unit[3:].strip() if unit.startswith("JPY") else unit[1:].strip()
        return format_yen(value, lang=lang) + (rest if rest.startswith("/") else
                                               (" " + rest if rest else ""))
    if unit == "days":
        return f"{value:,.0f}日" if ja else f"{value:,.0f} days"
    if unit == "months":
        return f"{value:,.1f}か月" if ja else f"{value:,.1f} months"
    if unit == "hours":
        return f"{value:,.1f}時間" if ja else f"{value:,.1f} h"
    if unit == "ratio":
        return f"{value:,.2f}×"
    if unit.startswith("score"):
        return f"{value:,.1f}"
    if unit in ("leads", "activities/rep", "count"):
        return f"{value:,.0f}"
    return f"{value:,.4g}"


_EXTRA_LABELS: Mapping[str, tuple[str, str]] = MappingProxyType({
    "retained": ("Retained", "継続"), "expanded": ("Expanded", "拡大"),
    "promoter": ("Promoter", "推奨者"), "created": ("Created", "作成"),
    "closed": ("Closed", "クローズ"), "judgment": ("Judgment (reps)", "営業の判断"),
    "weighted": ("Weighted pipeline", "加重パイプライン"),
    "predictive": ("Predictive model", "予測モデル"), "commit": ("Commit", "コミット"),
    "Commit": ("Commit", "達成予測"), "Best Case": ("Best Case", "最善達成予測"),
    "Pipeline": ("Pipeline", "パイプライン"), "Omitted": ("Omitted", "売上予測から除外"),
    "discovery": ("Discovery", "見極め"), "demo": ("Demo", "デモ・ニーズ分析"),
    "proposal": ("Proposal", "提案"), "negotiation": ("Negotiation", "交渉"),
    "unmapped": ("Unmapped", "対応なし（未クローズ）"),
    "new": ("New", "新規"), "expansion": ("Expansion", "拡大"),
    "reactivation": ("Reactivation", "再開"), "contraction": ("Contraction", "縮小"),
    "churn": ("Churn", "解約"), "net_change": ("Net change", "純増減"),
    "missing_amount": ("Deals without an amount", "金額のない商談"),
    "missing_owner": ("Deals without an owner", "所有者のない商談"),
    "open_past_close_date": ("Open deals past their close date",
                             "完了予定日を過ぎた未クローズ商談"),
    "duplicate_names": ("Deals sharing a name (same account)", "同じ取引先で名前が重複する商談"),
    "resolved_stage_labels": ("Rows whose stage label was inferred", "フェーズ名を推定した行"),
    "segment": ("By segment", "セグメント別"), "owner_rep_id": ("By owner", "所有者別"),
    "lead_source": ("By lead source", "リードソース別"),
    "opportunity_type": ("By deal type", "商談種別別"), "(none)": ("(none)", "（なし）"),
    "new_business": ("New business", "新規ビジネス"),
    "existing_business": ("Existing business", "既存ビジネス"), "win_back": ("Win back", "再契約"),
    "pipeline_model": ("Open pipeline × learned win rates", "未クローズ商談 × 学習した受注率"),
})


def _name(key: Any, lang: str) -> str:
    key = str(key)
    if key in _EXTRA_LABELS:
        return _EXTRA_LABELS[key][_LANGS.index(lang)]
    if key in process.STEPS:
        return step_label(key, lang=lang)
    return _stage(key, lang)


def term(key: str, *, lang: str = "en") -> str:
    """The name of a stage, step, forecast method or category in ``lang``.

    Examples
    --------
    >>> term("predictive"), term("tql_to_sal", lang="ja"), term("demo", lang="ja")
    ('Predictive model', 'TQL → SAL', 'デモ・ニーズ分析')
    """
    _check_lang(lang)
    return _name(key, lang)


def translate_legend(ax: Axes, *, lang: str = "en") -> Axes:
    """Write the legend entries of ``ax`` that are keys (``net_change``, ``churn`` ...) in ``lang``.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import matplotlib.pyplot as plt
    >>> _, ax = plt.subplots()
    >>> _ = ax.plot([0, 1], label="net_change")
    >>> _ = ax.legend()
    >>> [t.get_text() for t in translate_legend(ax, lang="ja").get_legend().get_texts()]
    ['純増減']
    """
    _check_lang(lang)
    legend = ax.get_legend()
    if legend is not None:
        for text in legend.get_texts():
            text.set_text(_name(text.get_text(), lang))
    return ax


def relabel(series: pd.Series, *, lang: str = "en", keep: Sequence[str] = ()) -> pd.Series:
    """``series`` with its index written in ``lang`` (stages, steps, methods, categories).

    Keys in ``keep`` stay as they are (a chart that translates them itself).

    Examples
    --------
    >>> relabel(pd.Series({"won": 5, "retained": 4}), lang="ja", keep=["won"]).index.tolist()
    ['won', '継続']
    """
    _check_lang(lang)
    return series.rename(index=lambda k: k if k in keep else _name(k, lang))


_DAYS1, _INT, _YEN, _SHARE, _TEXTCOL, _DATE, _RATIO = (
    "days1", "int", "yen", "share", "text", "date", "ratio")

#: Columns of each table :func:`view` shows: column -> (English header, Japanese, format).
_VIEWS: Mapping[str, Mapping[str, tuple[str, str, str]]] = MappingProxyType({
    "conversion": {"entered": ("Entered", "流入", _INT), "converted": ("Converted", "転換", _INT),
                   "rate": ("Conversion", "転換率", _SHARE),
                   "median_days": ("Median days", "日数（中央値）", _DAYS1),
                   "p90_days": ("90th pct days", "日数（90%点）", _DAYS1)},
    "bottleneck": {"conversion": ("Conversion", "転換率", _SHARE),
                   "entered_per_year": ("Entrants a year", "年間流入", _INT),
                   "revenue_through": ("Bookings through it a year", "経由する年間受注", _YEN),
                   "gain": ("Gain of the lift a year", "改善による年間増分", _YEN),
                   "gain_share": ("Share of all gains", "増分の割合", _SHARE)},
    "pipeline": {"deals": ("Open deals", "商談数", _INT), "amount": ("Amount", "金額", _YEN),
                 "weighted": ("Weighted by the reps", "確度加重", _YEN),
                 "past_due_deals": ("Past close date", "完了予定日超過", _INT),
                 "past_due_amount": ("Amount past close date", "超過金額", _YEN)},
    "periods": {"won": ("Won", "受注", _INT), "lost": ("Lost", "失注", _INT),
                "bookings": ("Bookings", "受注額", _YEN),
                "win_rate": ("Win rate", "受注率", _SHARE)},
    "performance": {"closed": ("Closed deals", "クローズ件数", _INT), "won": ("Won", "受注", _INT),
                    "win_rate": ("Win rate", "受注率", _SHARE),
                    "cycle_days": ("Median cycle (days)", "商談期間（中央値・日）", _DAYS1),
                    "average_deal_size": ("Average won deal", "平均受注額", _YEN),
                    "bookings": ("Bookings", "受注額", _YEN)},
    "quotas": {"quota": ("Quota", "ノルマ", _YEN), "bookings": ("Bookings", "受注額", _YEN),
               "attainment": ("Attainment", "達成率", _SHARE)},
    "health": {"rows": ("Rows", "行数", _INT),
               "share": ("Share of rows", "全行に占める割合", _SHARE)},
    "backtest": {"forecast": ("Forecast", "予測", _YEN),
                 "actual": ("Won from that pipeline", "そのパイプラインからの受注", _YEN),
                 "all_bookings": ("All bookings", "受注合計", _YEN),
                 "open_deals": ("Open deals at the start", "期初の未クローズ商談", _INT)},
    "categories": {"deals": ("Open deals", "商談数", _INT), "amount": ("Amount", "金額", _YEN),
                   "due_deals": ("Due in 90 days", "90日以内予定", _INT),
                   "due_amount": ("Amount due in 90 days", "90日以内予定金額", _YEN)},
    "top_open": {"opportunity_id": ("ID", "ID", _TEXTCOL),
                 "opportunity_name": ("Opportunity", "商談名", _TEXTCOL),
                 "account_name": ("Account", "取引先", _TEXTCOL),
                 "owner_rep_id": ("Owner", "所有者", _TEXTCOL),
                 "stage": ("Stage", "フェーズ", _TEXTCOL), "amount": ("Amount", "金額", _YEN),
                 "expected_close_date": ("Close date", "完了予定日", _DATE),
                 "forecast_category": ("Category", "売上予測分類", _TEXTCOL)},
    "accuracy": {"periods": ("Quarters", "四半期数", _INT), "mape": ("MAPE", "MAPE", _SHARE),
                 "wape": ("WAPE", "WAPE", _SHARE), "bias": ("Bias", "バイアス", _SHARE)},
    "kpis": {"kpi": ("KPI", "指標", _TEXTCOL), "shown": ("Value", "値", _TEXTCOL),
             "scope": ("Scope", "範囲", _TEXTCOL),
             "status": ("Computed", "計算", _TEXTCOL),
             "definition": ("Definition", "定義", _TEXTCOL), "note": ("Note", "備考", _TEXTCOL)},
    "reasons": {"reason": ("Reason", "理由", _TEXTCOL), "rows": ("Rows", "行数", _INT)},
    "examples": {"row": ("Row", "行", _INT), "reason": ("Reason", "理由", _TEXTCOL)},
})


def view(frame: pd.DataFrame, kind: str, *, lang: str = "en") -> Table:
    """One of the report's tables, formatted in ``lang``, with e-mails and phones masked.

    ``kind`` is one of ``conversion, bottleneck, pipeline, categories,
    top_open, accuracy, kpis, reasons, examples``: it chooses the columns
    shown, their headers and formats. The index (steps, stages, methods,
    categories) is written in ``lang``; text passes through
    :func:`revopslab.crm.mask_pii`.

    Examples
    --------
    >>> t = pd.DataFrame({"deals": [3], "amount": [1.5e6], "weighted": [5e5],
    ...                   "past_due_deals": [1], "past_due_amount": [2e5]}, index=["demo"])
    >>> view(t, "pipeline")  # doctest: +NORMALIZE_WHITESPACE
          Open deals Amount Weighted by the reps Past close date Amount past close date
    Demo           3 ¥1.5M               ¥500K               1                  ¥200K
    """
    from ..crm import mask_pii

    _check_lang(lang)
    if kind not in _VIEWS:
        raise ValueError(f"kind must be one of {list(_VIEWS)}, got {kind!r}")
    spec = {c: v for c, v in _VIEWS[kind].items()
            if c in frame.columns and v[_LANGS.index(lang)]}
    i = _LANGS.index(lang)
    out = pd.DataFrame(index=frame.index)
    for column, (en, ja, how) in spec.items():
        values = frame[column]
        if how == _TEXTCOL:
            shown = values.astype("object").where(values.notna(), "—").astype(str)
            if kind == "top_open" and column in ("stage", "forecast_category"):
                shown = shown.map(lambda s: _name(s, lang))
        elif how == _DATE:
            shown = pd.Series([f"{v:%Y-%m-%d}" if pd.notna(v) else "—" for v in values],
                              index=frame.index)
        else:
            shown = pd.Series([_number(v, how, lang) for v in values], index=frame.index)
        out[(en, ja)[i]] = shown.to_numpy()
    out = mask_pii(out) if len(out.columns) else out
    index = kind not in ("top_open", "kpis", "reasons", "examples")
    if index:
        out.index = [_name(k, lang) for k in frame.index]
    return Table(out, index=index)


def _number(value: Any, how: str, lang: str) -> str:
    if value is None or not np.isfinite(value):
        return "—"
    if how == _INT:
        return f"{value:,.0f}"
    if how == _DAYS1:
        return f"{value:,.1f}"
    if how == _YEN:
        return format_yen(float(value), lang=lang)
    if how == _SHARE:
        return f"{value:.1%}"
    return f"{value:,.2f}"


def omitted(key: str, *, lang: str = "en") -> Prose:
    """The plain sentence saying what a left-out section needs (:data:`NEEDS`).

    Examples
    --------
    >>> omitted("retention")  # doctest: +ELLIPSIS
    Left out: needs subscription or billing data (each customer's monthly recurring revenue)...
    """
    _check_lang(lang)
    if key not in NEEDS:
        raise ValueError(f"key must be one of {list(NEEDS)}, got {key!r}")
    return Prose(NEEDS[key][_LANGS.index(lang)])


#: Each table of the simulated company, as a reader would name the data it holds.
_DATA_WORDS: Mapping[str, tuple[str, str]] = MappingProxyType({
    "leads": ("lead data", "リードのデータ"), "accounts": ("account data", "取引先のデータ"),
    "mrr": ("subscription or billing data", "契約・請求のデータ"),
    "mrr_movements": ("subscription or billing data", "契約・請求のデータ"),
    "subscriptions": ("subscription or billing data", "契約・請求のデータ"),
    "invoices": ("billing data", "請求のデータ"), "costs": ("cost data", "コストのデータ"),
    "marketing_spend": ("marketing spend", "マーケティング費用"),
    "reps": ("quotas", "ノルマのデータ"), "tickets": ("support tickets", "サポート問い合わせ"),
    "nps_responses": ("NPS survey answers", "NPS調査の回答"),
    "usage": ("product usage", "製品利用のデータ"),
    "pipeline_snapshots": ("weekly pipeline snapshots", "週次のパイプライン記録"),
    "opportunity_stages": ("stage history", "フェーズの履歴"),
    "gross_margin": ("the gross margin", "粗利率"),
    "opportunities.activities": ("an activities column", "活動数の列"),
    "opportunities.lead_id": ("leads joined to the deals", "商談に紐づくリード"),
    "leads.motion": ("a motion column in the leads", "リードのモーションの列"),
    "leads.aql_at": ("an AQL date column in the leads", "リードのAQL日の列"),
    "mrr_movements.detail": ("product and plan changes", "製品・プランの変更履歴"),
})


def needs_data(tables: Sequence[str], columns: Sequence[str] = (), *, lang: str = "en") -> str:
    """Why a KPI is not computed from an opportunity export, in plain words.

    Examples
    --------
    >>> needs_data(("costs", "mrr_movements"))
    'needs cost data and subscription or billing data'
    >>> needs_data(("opportunities",), lang="ja")
    '活動数の列が必要'
    """
    _check_lang(lang)
    i = _LANGS.index(lang)
    wanted = [t for t in tables if t != "opportunities"] or ["opportunities.activities"]
    words = list(dict.fromkeys(_DATA_WORDS.get(t, (t, t))[i] for t in wanted))
    if lang == "ja":
        return "・".join(words) + "が必要"
    return "needs " + (" and ".join(words) if len(words) < 3
                       else ", ".join(words[:-1]) + " and " + words[-1])


# ============================================================================ metric reasons
#: What a metric's "undefined" reason (:func:`revopslab.metrics.kpi_table`'s ``note``) says,
#: in Japanese: ``(English template, Japanese template)``. A template's ``{name}`` is a
#: value of the reason (:data:`_SLOTS` says what it matches and how it is written in
#: Japanese). ``tests/test_report_reasons.py`` renders every reason text in
#: :mod:`revopslab.metrics` and checks that one template here reads it.
REASONS: tuple[tuple[str, str], ...] = (
    # the period and the data's dates
    ("{what} has no dates to take the default period (last 12 months) from",
     "{what}に日付がなく、既定の期間（直近12か月）を決められません"),
    ("period {span} is outside the data of {what} ({date}..{date2})",
     "期間{span}は{what}のデータ（{date}〜{date2}）の範囲外です"),
    ("the data of {what} end on {date}, before the last month of the period {span}",
     "{what}のデータは{date}で終わり、期間{span}の最終月に届きません"),
    ("the mrr table is empty", "MRRのデータが空です"),
    ("{what} is empty", "{what}が空です"),
    ("the mrr table ends in {month}, before the end of the period {span}",
     "MRRのデータは{month}で終わり、期間{span}の終わりに届きません"),
    ("the costs table is empty, after the start of {span}", "コストのデータが空です（期間{span}）"),
    ("the costs table starts in {month}, after the start of {span}",
     "コストのデータは{month}からで、期間{span}の開始より後です"),
    ("the costs table ends in {month}, before the end of {span}",
     "コストのデータは{month}で終わり、期間{span}の終わりに届きません"),
    ("the usage table ends in {month}, before {month2}",
     "製品利用のデータは{month}で終わり、{month2}に届きません"),
    # revenue and customers
    ("no customer paid in {month}, the month before the period{where}{mrr_start}: the opening "
     "base is empty",
     "期間の前月{month}{where}に支払った顧客がなく、期初の基準が空です{mrr_start}"),
    ("no MRR in {month}, the month before the period{where}",
     "期間の前月{month}{where}のMRRがありません"),
    ("no MRR in the month before any month of {span}{where}",
     "{span}のどの月も、前月{where}のMRRがありません"),
    ("no MRR was lost to churn or contraction in {span}{where}",
     "{span}{where}に解約・縮小で失ったMRRがありません"),
    ("no revenue in {span}, the {n} months before the period{where}",
     "期間の前{n}か月（{span}）{where}の売上がありません"),
    ("no revenue in {span}", "{span}の売上がありません"),
    ("no paying customer in {span}{where}", "{span}{where}に支払っている顧客がいません"),
    ("no customer was paying at the start of a month of {span}",
     "{span}のどの月初にも支払っている顧客がいません"),
    ("no customer churned in {span}: the formula gives an infinite LTV",
     "{span}に解約した顧客がなく、公式ではLTVが無限大になります"),
    ("no customer was acquired between {month} and {month2}{where}",
     "{month}から{month2}の間{where}に獲得した顧客がいません"),
    ("no customer has been observed for {n} months by {month}{where} (the data start in "
     "{month2}); lower horizon_months",
     "{month}までに{n}か月観測できた顧客{where}がいません（データは{month2}から）。期間（か月）を"
     "短くしてください"),
    ("no new customers in {span}", "{span}に新規顧客がいません"),
    ("no new or expansion ARR in {span}", "{span}に新規・拡大のARRがありません"),
    ("net new ARR in {span} is {amount}, not positive: no growth to divide the burn by",
     "{span}の純新規ARRは{amount}で正ではなく、バーンを割る成長がありません"),
    ("no customer with a health score in {month}{where}",
     "{month}{where}にヘルススコアのある顧客がいません"),
    # costs
    ("no {what} costs{departments} in {span}", "{span}に{what}のコスト{departments}がありません"),
    ("CAC is 0", "CACが0です"),
    ("the new customers' MRR is 0", "新規顧客のMRRが0です"),
    ("the lagged sales and marketing cost is 0", "1四半期前の営業・マーケティング費用が0です"),
    ("marketing cost is 0", "マーケティング費用が0です"),
    ("no programme spend in {span}{where}", "{span}{where}の施策費用がありません"),
    # deals
    ("no opportunity closed in {span}{where}", "{span}{where}にクローズした商談がありません"),
    ("no opportunity won in {span}{where}: no deal size or cycle",
     "{span}{where}に受注した商談がなく、受注額も商談期間もありません"),
    ("no opportunity won in {span}{where}", "{span}{where}に受注した商談がありません"),
    ("no opportunity with an amount won in {span}{where}",
     "{span}{where}に金額のある受注商談がありません"),
    ("no deal won in {span}{where} with a known source lead",
     "{span}{where}に元のリードがわかる受注商談がありません"),
    ("the won deals of {span} closed the day they were created",
     "{span}の受注商談はどれも作成日にクローズしています"),
    ("no opportunity open in {span}{where}", "{span}{where}に未クローズの商談がありません"),
    ("no opportunity created in {span}{where}", "{span}{where}に作成された商談がありません"),
    ("no pipeline created in {span}{where}", "{span}{where}に作成されたパイプラインがありません"),
    ("no pipeline snapshot in {span}", "{span}のパイプライン記録がありません"),
    ("no open amount on {date}", "{date}時点で未クローズの金額がありません"),
    ("no rep with a quota in the period{where}", "期間内{where}にノルマのある担当者がいません"),
    ("no quota in {span}{where}", "{span}{where}のノルマがありません"),
    ("the quota of {span}{where} is 0", "{span}{where}のノルマが0です"),
    # leads and marketing
    ("no customer won in {span} from a lead{where}",
     "{span}{where}にリード経由で受注した顧客がいません"),
    ("no lead of motion {motions} in {span}{where}",
     "{span}{where}にモーション{motions}のリードがありません"),
    ("no lead from a paid channel in {span}{where}",
     "{span}{where}に有料チャネルのリードがありません"),
    # customer success
    ("no survey answer in {span}{where}", "{span}{where}の調査回答がありません"),
    ("no rated ticket resolved in {span}{where}",
     "{span}{where}に評価付きで解決した問い合わせがありません"),
    ("no ticket resolved in {span}{where}", "{span}{where}に解決した問い合わせがありません"),
)

_MONTH_RE = r"\d{4}-\d{2}"
#: A reason's values: slot -> (regex, how the Japanese template writes the matched text).
_SLOTS: Mapping[str, tuple[str, Any]] = MappingProxyType({
    "span": (rf"{_MONTH_RE}(?:\.\.{_MONTH_RE})?", lambda s: s.replace("..", "〜")),
    "month": (_MONTH_RE, str), "month2": (_MONTH_RE, str),
    "date": (r"\d{4}-\d{2}-\d{2}", str), "date2": (r"\d{4}-\d{2}-\d{2}", str),
    "n": (r"\d+", str), "amount": (r"-?[\d,]+", str),
    "where": (r"(?: for (?:segment|channel) '[^']*')*",
              lambda s: "".join(f"（{_WHERE_JA[kind]} {name}）"
                                for kind, name in re.findall(r" for (\w+) '([^']*)'", s))),
    "mrr_start": (rf"(?: \(the mrr table starts in {_MONTH_RE}\))?",
                  lambda s: f"（MRRのデータは{s[-8:-1]}から）" if s else ""),
    "what": (None, lambda s: _WHAT_JA[s]),  # one of _WHAT_JA's names (filled in below)
    "departments": (r"(?: \(departments \([^)]*\)\))?",
                    lambda s: "（部門: " + "、".join(_DEPARTMENTS_JA.get(d, d) for d in
                                                    re.findall(r"'([^']*)'", s)) + "）"
                    if s else ""),
    "motions": (r"\([^)]*\)", lambda s: "・".join(_MOTIONS_JA.get(m, m)
                                                  for m in re.findall(r"'([^']*)'", s))),
})
#: The cost departments of :data:`revopslab.validation.DEPARTMENTS`, in Japanese.
_DEPARTMENTS_JA = {"inside_sales": "インサイドセールス", "field_sales": "フィールドセールス",
                   "customer_success": "カスタマーサクセス", "marketing": "マーケティング",
                   "general_admin": "管理部門", "research_development": "研究開発",
                   "cost_of_revenue": "売上原価", "sales": "営業"}
_MOTIONS_JA = {"inbound": "インバウンド", "outbound": "アウトバウンド", "sales": "営業開拓"}
_WHERE_JA = {"segment": "セグメント", "channel": "チャネル"}
#: The tables and cost groups a reason names, as a reader would name them.
_WHAT_JA: Mapping[str, str] = MappingProxyType({
    "opportunities": "商談", "the closed opportunities": "クローズした商談",
    "opportunities' closed_at": "商談のクローズ日", "leads": "リード",
    "pipeline_snapshots": "週次のパイプライン記録", "marketing_spend": "マーケティング費用",
    "usage": "製品利用", "tickets": "サポート問い合わせ", "nps_responses": "NPS調査の回答",
    "sales and marketing": "営業・マーケティング", "marketing": "マーケティング",
    "company": "全社",
})


def _reason_pattern(template: str) -> re.Pattern:
    names = "|".join(re.escape(w) for w in sorted(_WHAT_JA, key=len, reverse=True))
    parts = re.split(r"\{(\w+)\}", template)
    regex = "".join(re.escape(p) if i % 2 == 0 else f"(?P<{p}>{_SLOTS[p][0] or names})"
                    for i, p in enumerate(parts))
    return re.compile(regex + r"\Z")


_REASON_PATTERNS = tuple((_reason_pattern(en), ja) for en, ja in REASONS)


def reason(note: Any, *, lang: str = "en") -> str:
    """A metric's reason for being undefined (a KPI's ``note``), in ``lang``.

    Each part of ``note`` (reasons joined by ``"; "``) is read by a template
    of :data:`REASONS` and written in Japanese with its values (periods,
    dates, segments) kept; a note that is not a reason of
    :mod:`revopslab.metrics`, or in English, is returned as it is.

    Examples
    --------
    >>> reason("no opportunity closed in 2025-01..2025-06 for segment 'SMB'", lang="ja")
    '2025-01〜2025-06（セグメント SMB）にクローズした商談がありません'
    >>> reason("no customer churned in 2025-01: the formula gives an infinite LTV", lang="ja")
    '2025-01に解約した顧客がなく、公式ではLTVが無限大になります'
    >>> reason("CAC is 0")
    'CAC is 0'
    """
    _check_lang(lang)
    text = "" if note is None or (isinstance(note, float) and np.isnan(note)) else str(note)
    if lang == "en" or not text:
        return text
    whole = _reason_ja(text)
    if whole is not None:
        return whole
    return "。".join(_reason_ja(part) or part for part in text.split("; "))


def _reason_ja(text: str) -> str | None:
    for pattern, ja in _REASON_PATTERNS:
        found = pattern.match(text)
        if found:
            return ja.format(**{k: _SLOTS[k][1](v or "") for k, v in found.groupdict().items()})
    return None


# ============================================================================ quarantine reasons
#: Why a row of an export was set aside (:func:`revopslab.crm.read_crm_export`,
#: :func:`revopslab.crm.read_table_export`), in Japanese: ``(English, Japanese)`` templates
#: as :data:`REASONS`. ``{label}`` is the export's own header, ``{value}`` the row's raw
#: value (both kept as they are); a reason's kind (its text before ``:`` or ``(``, as
#: :func:`revopslab.crm.reason_counts` counts them) reads too.
QUARANTINE_REASONS: tuple[tuple[str, str], ...] = (
    ("empty row", "空の行"), ("the row is empty", "空の行"),
    ("the header line again (two exports joined into one file?)",
     "見出し行の繰り返し（2つのエクスポートが1つのファイルにつながっている可能性）"),
    ("the header line again", "見出し行の繰り返し"),
    ("the row has {n} value{s}, the header has {n2} columns",
     "行の値が{n}個で、見出しの{n2}列と合いません"),
    ("the row's amounts and currency disagree{currencies}",
     "行の金額と通貨が合いません{currencies}"),
    ("the amount is in {code} while the export's other amounts are in {code2}",
     "金額が{code}建てですが、ほかの行の金額は{code2}建てです"),
    ("duplicate {label} {quoted}{first}", "{label} {quoted}が重複しています{first}"),
    ("{label} is empty for a closed deal", "クローズ済みの商談で{label}が空欄です"),
    ("{label} is empty", "{label}が空欄です"),
    ("{label} is not a date{examples}{value}", "{label}が日付として読めません{value}"),
    ("{label} is not an amount{examples}{value}", "{label}が金額として読めません{value}"),
    ("{label} is too large to be an amount{value}", "{label}が金額としては大きすぎます{value}"),
    ("{label} is too large to be a number{value}", "{label}が数値としては大きすぎます{value}"),
    ("{label} is not a number{value}", "{label}が数値として読めません{value}"),
    ("{label} is not a whole number >= 0{value}", "{label}が0以上の整数ではありません{value}"),
    ("{label} is negative{value}", "{label}が負の値です{value}"),
    ("{label} is outside 0-100%{value}", "{label}が0〜100%の範囲外です{value}"),
    ("{label} is not a yes/no value{examples}{value}",
     "{label}がはい・いいえの値ではありません{value}"),
    ("{label} is not a forecast category{examples}{value}",
     "{label}が売上予測分類（Pipeline・Best Case・Commit・Closed・Omitted）ではありません{value}"),
    ("{label} is not won, lost or open{value}",
     "{label}が受注・失注・進行中のどれでもありません{value}"),
    ("{label} 'open' disagrees with a closed stage{value}",
     "{label}は進行中ですが、フェーズはクローズです{value}"),
    ("{label} is set on an open deal{value}", "未クローズの商談に{label}が入っています{value}"),
    ("{label} repeats an earlier row's{value}", "{label}が前の行と重複しています{value}"),
    ("{label} is not one of {choices}{value}", "{label}が{choices}のどれでもありません{value}"),
    ("{label} {date} is before {label2} {date2}", "{label} {date}が{label2} {date2}より前です"),
    ("{label} is before {label2}{value}", "{label}が{label2}より前です{value}"),
    ("{label} {quoted} disagrees with {label2} {quoted2}",
     "{label} {quoted}が{label2} {quoted2}と矛盾します"),
)

#: The values of a quarantine reason: slot -> (regex, how the Japanese writes the match).
_QUARANTINE_SLOTS: Mapping[str, tuple[str, Any]] = MappingProxyType({
    "label": (r".+?", str), "label2": (r".+?", str),
    "value": (r"(?::.*)?", lambda s: s.replace(":", ":", 1) if s else ""),
    "examples": (r"(?: \(.*?\))?", lambda s: ""),
    "n": (r"\d+", str), "n2": (r"\d+", str), "s": (r"s?", lambda s: ""),
    "currencies": (r"(?: \(.*\))?", lambda s: s.strip().replace("(", "（").replace(")", "）")),
    "code": (r"\S+", str), "code2": (r"\S+", str),
    "first": (r"(?: \(first on row \d+\))?",
              lambda s: re.sub(r"\s*\(first on row (\d+)\)", r"（最初は\1行目）", s)),
    "choices": (r"\[.*?\]", lambda s: "・".join(re.findall(r"'[^']*'", s))),
    "date": (r"\d{4}-\d{2}-\d{2}", str), "date2": (r"\d{4}-\d{2}-\d{2}", str),
    "quoted": (r"'.*?'|\".*?\"", str), "quoted2": (r"'.*?'|\".*?\"", str),
})


def _slot_pattern(template: str, slots: Mapping[str, tuple[str, Any]]) -> re.Pattern:
    parts = re.split(r"\{(\w+)\}", template)
    return re.compile("".join(re.escape(p) if i % 2 == 0 else f"(?P<{p}>{slots[p][0]})"
                              for i, p in enumerate(parts)) + r"\Z", re.S)


_QUARANTINE_PATTERNS = tuple((_slot_pattern(en, _QUARANTINE_SLOTS), ja)
                             for en, ja in QUARANTINE_REASONS)


def quarantine_reason(text: Any, *, lang: str = "en") -> str:
    """Why a row was quarantined (one reason, several joined by ``"; "``, or a reason's
    kind), in ``lang``; the export's headers and the row's values stay as they are.

    Examples
    --------
    >>> quarantine_reason("金額 is negative: '-5'; 完了予定日 is empty", lang="ja")
    "金額が負の値です: '-5'。完了予定日が空欄です"
    >>> quarantine_reason("duplicate 商談 ID '006A' (first on row 2)", lang="ja")
    "商談 ID '006A'が重複しています（最初は2行目）"
    >>> quarantine_reason("Amount is negative: '-5'")
    "Amount is negative: '-5'"
    """
    _check_lang(lang)
    text = "" if text is None else str(text)
    if lang == "en" or not text:
        return text
    return "。".join(_quarantine_ja(part) for part in text.split("; "))


def _quarantine_ja(text: str) -> str:
    for pattern, ja in _QUARANTINE_PATTERNS:
        found = pattern.match(text)
        if found:
            return ja.format(**{k: _QUARANTINE_SLOTS[k][1](v or "")
                                for k, v in found.groupdict().items()})
    return text


_SCOPES: Mapping[str, tuple[str, str]] = MappingProxyType({
    "company": ("company", "会社全体"), "all segments": ("all segments", "全セグメント"),
    "export": ("export", "エクスポート"),
})


def scope_name(scope: str, *, lang: str = "en") -> str:
    """The KPI table's scope in ``lang`` (a segment's name stays as it is).

    Examples
    --------
    >>> scope_name("all segments", lang="ja"), scope_name("SMB", lang="ja")
    ('全セグメント', 'SMB')
    """
    return _SCOPES[scope][_LANGS.index(lang)] if scope in _SCOPES else scope


def chart_message(fig) -> str:
    """The message of a figure: the titles of its axes (each chart states its takeaway), joined.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import matplotlib.pyplot as plt
    >>> fig, (a, b) = plt.subplots(1, 2)
    >>> _ = a.set_title("Win rate fell"), b.set_title("Cycle grew")
    >>> chart_message(fig)
    'Win rate fell. Cycle grew'
    """
    titles = [ax.get_title(loc) for ax in fig.axes for loc in ("left", "center", "right")]
    return ". ".join(t.strip().rstrip(".") for t in titles if t.strip())


def show(fig=None) -> None:
    """Display ``fig`` (default: the current figure) with its message as the image's alt text.

    The PNG goes out with ``metadata={"image/png": {"alt": message}}`` and a
    ``text/plain`` of ``<chart: message>``, which nbval compares; the report's
    HTML (:func:`revopslab.report.render_html`) puts the message in the
    ``alt`` attribute, so a screen reader reads the chart's takeaway. The
    figure is closed. Nothing is shown when there is no figure with axes.
    """
    import io

    import matplotlib.pyplot as plt
    from IPython.display import display

    fig = fig if fig is not None else (plt.gcf() if plt.get_fignums() else None)
    if fig is None or not fig.axes:
        plt.close("all")
        return
    message = chart_message(fig)
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", bbox_inches="tight", dpi=100)
    plt.close(fig)
    display({"image/png": buffer.getvalue(), "text/plain": f"<chart: {message}>"}, raw=True,
            metadata={"image/png": {"alt": message}})


class Text:
    """The report's words in one language, bound once: ``T = text_for("ja")``.

    Each method is the module function of the same name with ``lang`` bound,
    so a notebook passes the language once instead of at every call.

    Examples
    --------
    >>> T = text_for("ja")
    >>> T.say(en="Win rate 25%", ja="受注率25%"), T.term("demo"), T.yen(1.25e8)
    (受注率25%, 'デモ・ニーズ分析', '1.2億円')
    """

    def __init__(self, lang: str) -> None:
        _check_lang(lang)
        self.lang = lang

    def __repr__(self) -> str:
        return f"Text({self.lang!r})"

    def pick(self, *, en: str, ja: str) -> str:
        """The text of the bound language."""
        return ja if self.lang == "ja" else en

    def say(self, *, en: str, ja: str) -> Prose:
        """The sentence of the bound language as :class:`Prose`."""
        return Prose(self.pick(en=en, ja=ja))

    def heading(self, key: str, *, level: int = 2) -> Prose:
        """A section heading (:func:`heading`)."""
        return heading(key, lang=self.lang, level=level)

    def omitted(self, key: str) -> Prose:
        """What a left-out section needs, in plain words (:func:`omitted`)."""
        return omitted(key, lang=self.lang)

    def view(self, frame: pd.DataFrame, kind: str) -> Table:
        """One of the report's tables (:func:`view`)."""
        return view(frame, kind, lang=self.lang)

    def term(self, key: str) -> str:
        """A stage, step, method or category name (:func:`term`)."""
        return term(key, lang=self.lang)

    def step(self, step: str) -> str:
        """``"TQL → SAL"`` (:func:`step_label`)."""
        return step_label(step, lang=self.lang)

    def yen(self, value: float) -> str:
        """An amount in yen (:func:`revopslab.style.format_yen`)."""
        return format_yen(float(value), lang=self.lang)

    def value(self, value: float, unit: str) -> str:
        """A KPI value for its unit (:func:`format_value`)."""
        return format_value(value, unit, lang=self.lang)

    def relabel(self, series: pd.Series, *, keep: Sequence[str] = ()) -> pd.Series:
        """``series`` with its index in the bound language (:func:`relabel`)."""
        return relabel(series, lang=self.lang, keep=keep)

    def numbered(self, items: Sequence[Any]) -> Prose:
        """The recommendations as a numbered list (:func:`numbered`)."""
        return numbered(items, lang=self.lang)


def text_for(lang: str) -> Text:
    """The report's words bound to ``lang`` (``"en"`` or ``"ja"``)."""
    return Text(lang)
