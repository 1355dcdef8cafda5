"""Message-first charts: each takes ``ax=None`` and a ``message`` title, and returns the Axes."""

from __future__ import annotations

from collections.abc import Mapping

import matplotlib.dates as mdates
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.ticker import MaxNLocator, PercentFormatter

from .style import DEPARTMENT_COLORS, OKABE_ITO, STAGE_PALETTE, _check_lang, label, yen_formatter

__all__ = ["funnel", "bowtie", "growth_curves", "mrr_bridge", "bar_compare",
           "paired_differences", "unit_economics", "attainment_curve", "cohort_heatmap",
           "forecast_vs_actual", "monthly_bookings", "pipeline_age"]

_MOVEMENT_COLORS = {"new": OKABE_ITO[0], "expansion": OKABE_ITO[2],
                    "reactivation": OKABE_ITO[5], "contraction": OKABE_ITO[1],
                    "churn": OKABE_ITO[3]}


def _axes(ax: Axes | None) -> Axes:
    if ax is None:
        _, ax = plt.subplots(figsize=(8, 4.5))
    return ax


def _require_message(message: str) -> str:
    if not isinstance(message, str) or not message.strip():
        raise ValueError("message must be a non-empty sentence stating the chart's takeaway, "
                         f"got {message!r}")
    return message


#: Japanese tick and legend labels for the keys :data:`revopslab.style.LABELS` lacks: MRR
#: movements, the bowtie's customer side and the experiments' measures. Only the Japanese
#: charts read it (English charts keep the keys as code spells them).
_LABELS_JA = {
    "new": "新規", "expansion": "拡大", "reactivation": "再開", "contraction": "縮小",
    "churn": "解約", "net_change": "純増減", "retained": "継続", "expanded": "拡大",
    "promoter": "推奨者", "gross_profit": "粗利", "nrr": "NRR", "ltv": "LTV",
    "aqls": "AQL数", "sqls": "SQL数", "opportunities_per_win": "受注1件あたりの商談数",
    "activities_per_win": "受注1件あたりの活動数", "deals_won": "受注件数",
    "expansion_mrr": "拡大MRR", "ending_arr": "期末ARR", "deals_won_first_year": "初年度の受注件数",
    "bookings_first_year": "初年度の受注額", "scored": "優先順位づけ",
}


def _stage_label(key: str, lang: str) -> str:
    try:
        return label(key, lang=lang)
    except KeyError:
        if lang == "ja" and str(key) in _LABELS_JA:
            return _LABELS_JA[str(key)]
        return str(key)


def _tick_label(key: str, lang: str) -> str:
    """A data key as a tick label: as it is in English, in Japanese where one is known."""
    if lang != "ja":
        return str(key)
    if str(key).startswith("first_come+"):
        return f"先着順+{str(key).split('+', 1)[1]}人"
    return _stage_label(key, lang)


def funnel(counts: pd.Series, *, message: str, ax: Axes | None = None, lang: str = "en") -> Axes:
    """Horizontal funnel of stage counts, each bar labelled with its share of the first stage.

    Parameters
    ----------
    counts
        Counts indexed by stage, in funnel order (first = widest).
    message
        The chart's takeaway, used as its title.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> ax = funnel(pd.Series({"inquiry": 1000, "sql": 120, "won": 30}),
    ...             message="3% of inquiries become customers")
    >>> ax.get_title(loc="left")
    '3% of inquiries become customers'
    """
    _require_message(message)
    if len(counts) == 0 or (counts < 0).any():
        raise ValueError(f"counts must be a non-empty Series of counts >= 0, got {counts!r}")
    ax = _axes(ax)
    stages = list(counts.index)
    values = counts.to_numpy(dtype=float)
    colors = [STAGE_PALETTE.get(s, OKABE_ITO[0]) for s in stages]
    y = np.arange(len(stages))[::-1]
    ax.barh(y, values, color=colors, height=0.7)
    top = values[0] if values[0] > 0 else 1.0
    for yi, v in zip(y, values, strict=True):
        ax.text(v, yi, f"  {v:,.0f} ({v / top:.1%})", va="center", fontsize=9)
    ax.set_yticks(y, [_REPORT_STAGES.get(s, (s, s))[lang == "ja"] if s in _REPORT_STAGES
                      else _stage_label(s, lang) for s in stages])
    ax.set_xlim(0, values.max() * 1.3 if values.max() > 0 else 1)
    ax.set_xlabel(label("count", lang=lang))
    ax.set_title(message, loc="left")
    return ax


def growth_curves(frame: pd.DataFrame, *, message: str, ax: Axes | None = None,
                  ylabel: str = "MRR", yen: bool = True, lang: str = "en") -> Axes:
    """One line per scenario (columns) over time (index).

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> frame = pd.DataFrame({"funnel": [1, 2, 3], "flywheel": [1, 2.5, 4.5]},
    ...                      index=pd.date_range("2025-01-01", periods=3, freq="MS"))
    >>> len(growth_curves(frame, message="The flywheel pulls ahead").lines)
    2
    """
    _require_message(message)
    ax = _axes(ax)
    for i, column in enumerate(frame.columns):
        ax.plot(frame.index, frame[column], color=OKABE_ITO[i % len(OKABE_ITO)], lw=2,
                label=str(column))
    if isinstance(frame.index, pd.DatetimeIndex):
        locator = mdates.AutoDateLocator(maxticks=8)
        ax.xaxis.set_major_locator(locator)
        ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))
    if yen:
        ax.yaxis.set_major_formatter(yen_formatter(lang=lang))
    ax.set_ylabel(ylabel)
    ax.legend(frameon=False)
    ax.set_title(message, loc="left")
    return ax


def mrr_bridge(movements: pd.DataFrame, *, message: str, ax: Axes | None = None,
               lang: str = "en") -> Axes:
    """Monthly MRR movements as stacked bars (gains up, losses down) with the net change line.

    ``movements`` has the columns of the company's ``mrr_movements`` table
    (month, movement, mrr_change).

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> moves = pd.DataFrame({"month": pd.to_datetime(["2025-01-01", "2025-01-01"]),
    ...                       "movement": ["new", "churn"], "mrr_change": [100.0, -30.0]})
    >>> mrr_bridge(moves, message="New MRR outruns churn").get_title(loc="left")
    'New MRR outruns churn'
    """
    _require_message(message)
    ax = _axes(ax)
    table = movements.pivot_table(index="month", columns="movement", values="mrr_change",
                                  aggfunc="sum", fill_value=0.0)
    x = np.arange(len(table))
    up = np.zeros(len(table))
    down = np.zeros(len(table))
    for kind, color in _MOVEMENT_COLORS.items():
        if kind not in table:
            continue
        values = table[kind].to_numpy()
        base = np.where(values >= 0, up, down)
        ax.bar(x, values, bottom=base, color=color, width=0.8, label=_stage_label(kind, lang))
        up += np.where(values >= 0, values, 0)
        down += np.where(values < 0, values, 0)
    ax.plot(x, table.sum(axis=1).to_numpy(), color="black", lw=1.5,
            label=_stage_label("net_change", lang))
    step = max(1, len(table) // 6)
    ax.set_xticks(x[::step], [m.strftime("%Y-%m") for m in table.index[::step]])
    ax.axhline(0, color="grey", lw=0.8)
    ax.yaxis.set_major_formatter(yen_formatter(lang=lang))
    ax.legend(frameon=False, ncol=3, fontsize=8)
    ax.set_title(message, loc="left")
    return ax


def bar_compare(values: pd.Series, *, message: str, ax: Axes | None = None,
                yen: bool = False, fmt: str = "{:,.0f}", lang: str = "en") -> Axes:
    """Bars comparing a few named values (scenarios, departments), each labelled.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> ax = bar_compare(pd.Series({"SLG": 120, "PLG": 60}), message="SLG deals are twice as big")
    >>> [t.get_text() for t in ax.texts]
    ['120', '60']
    """
    _require_message(message)
    ax = _axes(ax)
    colors = [DEPARTMENT_COLORS.get(str(k), OKABE_ITO[i % len(OKABE_ITO)])
              for i, k in enumerate(values.index)]
    x = np.arange(len(values))
    ax.bar(x, values.to_numpy(dtype=float), color=colors, width=0.6)
    for xi, v in zip(x, values.to_numpy(dtype=float), strict=True):
        text = yen_formatter(lang=lang)(v, None) if yen else fmt.format(v)
        ax.text(xi, v, text, ha="center", va="bottom", fontsize=9)
    ax.set_xticks(x, [_tick_label(k, lang) for k in values.index])
    if yen:
        ax.yaxis.set_major_formatter(yen_formatter(lang=lang))
    ax.set_title(message, loc="left")
    return ax


def bowtie(counts: pd.Series, *, knot: str, message: str, ax: Axes | None = None,
           lang: str = "en") -> Axes:
    """The bowtie: the acquisition funnel narrowing to the knot, the customer side widening.

    Bars are centred on zero, so the left half reads as a funnel and the right half
    as what the customers who signed go on to do (stay, expand, refer). Each bar is
    labelled with its count; the knot (the win) is the narrowest point by design.

    Parameters
    ----------
    counts
        Counts indexed by stage, in order from the first touch to the last; one of the
        labels is ``knot``.
    knot
        The stage where the customer signs (the bowtie's knot).
    message
        The chart's takeaway, used as its title.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> counts = pd.Series({"inquiry": 900, "sql": 200, "won": 50, "retained": 45,
    ...                     "expanded": 12})
    >>> ax = bowtie(counts, knot="won", message="Most value after the win comes from few")
    >>> [t.get_text() for t in ax.texts][:3]
    ['900', '200', '50']
    """
    _require_message(message)
    if knot not in counts.index:
        raise ValueError(f"knot must be one of the stages in counts {list(counts.index)!r}, "
                         f"got {knot!r}")
    if len(counts) < 2 or (counts < 0).any():
        raise ValueError(f"counts must hold at least two counts >= 0, got {counts!r}")
    ax = _axes(ax)
    values = counts.to_numpy(dtype=float)
    x = np.arange(len(values))
    k = list(counts.index).index(knot)
    colors = [STAGE_PALETTE.get(str(s), OKABE_ITO[0]) if i <= k else OKABE_ITO[2]
              for i, s in enumerate(counts.index)]
    ax.bar(x, values, bottom=-values / 2, color=colors, width=0.75)
    ax.fill_between(x, -values / 2, values / 2, color="#DDDDDD", zorder=0, lw=0)
    for xi, v in zip(x, values, strict=True):
        ax.text(xi, v / 2, f"{v:,.0f}", ha="center", va="bottom", fontsize=9)
    ax.set_xticks(x, [_stage_label(str(s), lang) for s in counts.index])
    ax.set_yticks([])
    ax.grid(False)
    ax.axvline(k, color="grey", lw=0.8, ls=":")
    ax.set_title(message, loc="left")
    return ax


_SEEDS_TEXT = {"en": "{k} of {n} seeds {direction}", "ja": "{n}シード中{k}で{direction}"}
_DIRECTION = {"en": {"higher": "higher", "lower": "lower"},
              "ja": {"higher": "上昇", "lower": "低下"}}
_ATTAINMENT_TEXT = {
    "en": {"band": "realistic yet challenging", "x": "target growth over last year",
           "y": "probability of attaining it"},
    "ja": {"band": "現実的かつ挑戦的", "x": "前年比の目標成長率", "y": "達成確率"},
}


def paired_differences(differences: pd.DataFrame, *, message: str, ax: Axes | None = None,
                       better: Mapping[str, str] | None = None, percent: bool = True,
                       lang: str = "en") -> Axes:
    """One dot per seed and measure: the paired difference between two arms of an experiment.

    A dot right of zero means the second arm came out higher on that seed. With
    ``better`` (measure → ``"higher"`` or ``"lower"``) each row is labelled with how
    many seeds moved in the better direction, so the chart shows the distribution and
    the count, not one run.

    Parameters
    ----------
    differences
        One row per seed, one column per measure (e.g. relative change, aligned vs siloed).
    message
        The chart's takeaway, used as its title.
    better
        For each measure, which direction is good.
    percent
        Format the axis as percentages.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> diffs = pd.DataFrame({"revenue": [0.2, 0.3, -0.01], "churn": [-0.1, -0.2, -0.05]})
    >>> ax = paired_differences(diffs, message="Aligned wins", better={"revenue": "higher",
    ...                         "churn": "lower"})
    >>> [t.get_text() for t in ax.texts]
    ['2 of 3 seeds higher', '3 of 3 seeds lower']
    """
    _require_message(message)
    _check_lang(lang)
    if differences.empty:
        raise ValueError("differences must hold at least one seed (row) and one measure")
    ax = _axes(ax)
    better = dict(better or {})
    unknown = set(better) - set(differences.columns)
    if unknown or any(v not in ("higher", "lower") for v in better.values()):
        raise ValueError("better must map measures of differences to 'higher' or 'lower', "
                         f"got {better!r}")
    measures = list(differences.columns)
    y = np.arange(len(measures))[::-1]
    jitter = np.linspace(-0.18, 0.18, len(differences))
    for yi, measure in zip(y, measures, strict=True):
        values = differences[measure].to_numpy(dtype=float)
        good = better.get(measure)
        if good is None:
            colors = OKABE_ITO[0]
        else:
            ok = values > 0 if good == "higher" else values < 0
            colors = np.where(ok, OKABE_ITO[2], OKABE_ITO[3])
            text = _SEEDS_TEXT[lang].format(k=int(ok.sum()), n=len(values),
                                            direction=_DIRECTION[lang][good])
            ax.text(1.01, yi, text,
                    transform=ax.get_yaxis_transform(), va="center", fontsize=9)
        ax.scatter(values, yi + jitter, c=colors, s=18, alpha=0.85, lw=0)
        ax.plot([np.median(values)] * 2, [yi - 0.3, yi + 0.3], color="black", lw=1.5)
    ax.axvline(0, color="grey", lw=0.8)
    ax.set_yticks(y, [_tick_label(m, lang) for m in measures])
    if percent:
        ax.xaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
    ax.set_title(message, loc="left")
    return ax


def unit_economics(frame: pd.DataFrame, *, message: str, ax: Axes | None = None,
                   guideline: float = 3.0, lang: str = "en") -> Axes:
    """CAC against LTV per group, with the LTV:CAC ratio written above each pair.

    A dashed mark shows ``guideline`` × CAC (3:1 is the common SaaS rule of thumb):
    an LTV bar below its mark does not pay back the cost of winning the customer
    with the usual margin of safety.

    Parameters
    ----------
    frame
        Indexed by group (segment, channel, scenario) with columns ``cac`` and ``ltv``.
    message
        The chart's takeaway, used as its title.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> frame = pd.DataFrame({"cac": [100.0, 200.0], "ltv": [450.0, 300.0]},
    ...                      index=["SMB", "ENT"])
    >>> ax = unit_economics(frame, message="SMB pays back, ENT does not")
    >>> [t.get_text() for t in ax.texts]
    ['4.5x', '1.5x']
    """
    _require_message(message)
    missing = {"cac", "ltv"} - set(frame.columns)
    if missing:
        raise ValueError(f"frame must have columns 'cac' and 'ltv', missing {sorted(missing)}")
    if frame.empty or (frame[["cac", "ltv"]] <= 0).any().any():
        raise ValueError("frame must hold at least one group with cac > 0 and ltv > 0")
    ax = _axes(ax)
    x = np.arange(len(frame))
    cac, ltv = frame["cac"].to_numpy(float), frame["ltv"].to_numpy(float)
    ax.bar(x - 0.2, cac, width=0.4, color=OKABE_ITO[1], label="CAC")
    ax.bar(x + 0.2, ltv, width=0.4, color=OKABE_ITO[0], label="LTV")
    ax.hlines(guideline * cac, x + 0.0, x + 0.4, colors="black", linestyles="--", lw=1,
              label=f"{guideline:g} × CAC")
    for xi, c, v in zip(x, cac, ltv, strict=True):
        ax.text(xi + 0.2, max(v, guideline * c), f"{v / c:.1f}x", ha="center", va="bottom",
                fontsize=9)
    ax.set_xticks(x, [_stage_label(str(k), lang) for k in frame.index])
    ax.yaxis.set_major_formatter(yen_formatter(lang=lang))
    ax.legend(frameon=False, fontsize=8)
    ax.set_title(message, loc="left")
    return ax


def attainment_curve(probability: pd.Series, *, message: str, ax: Axes | None = None,
                     band: tuple[float, float] = (0.4, 0.7), lang: str = "en") -> Axes:
    """Probability of attaining a target against how far the target stretches.

    The shaded band marks targets that are "realistic yet challenging": likely
    enough to believe in, unlikely enough to need effort.

    Parameters
    ----------
    probability
        Attainment probability (0–1) indexed by the target's growth over history
        (e.g. 0.1 = +10%).
    band
        Lower and upper probability of the "realistic yet challenging" band.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> ax = attainment_curve(pd.Series({0.0: 0.95, 0.2: 0.6, 0.4: 0.1}),
    ...                       message="+20% is realistic yet challenging")
    >>> ax.get_title(loc="left")
    '+20% is realistic yet challenging'
    """
    _require_message(message)
    _check_lang(lang)
    text = _ATTAINMENT_TEXT[lang]
    if probability.empty or not probability.between(0, 1).all():
        raise ValueError(f"probability must hold values in [0, 1], got {probability!r}")
    ax = _axes(ax)
    ax.axhspan(*band, color=OKABE_ITO[2], alpha=0.15, lw=0,
               label=f"{text['band']} ({band[0]:.0%}–{band[1]:.0%})")
    ax.plot(probability.index, probability.to_numpy(float), marker="o", color=OKABE_ITO[0],
            lw=2)
    ax.set_ylim(0, 1.02)
    ax.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
    ax.xaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
    ax.set_xlabel(text["x"])
    ax.set_ylabel(text["y"])
    ax.legend(frameon=False, fontsize=8, loc="upper right")
    ax.set_title(message, loc="left")
    return ax


# --- the report's charts (issue 16) ---
def cohort_heatmap(table: pd.DataFrame, *, message: str, ax: Axes | None = None,
                   lang: str = "en") -> Axes:
    """Revenue retention of each cohort (rows) at each age (columns), as a labelled heatmap.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> t = pd.DataFrame({0: [1.0, 1.0], 3: [1.1, np.nan]}, index=["2025Q1", "2025Q2"])
    >>> ax = cohort_heatmap(t, message="Cohorts grow after the first quarter")
    >>> [x.get_text() for x in ax.texts]
    ['100%', '110%', '100%']
    """
    _require_message(message)
    _check_lang(lang)
    ax = _axes(ax)
    values = table.to_numpy(dtype=float)
    image = ax.imshow(np.ma.masked_invalid(values), cmap="RdYlGn", vmin=0.6, vmax=1.4,
                      aspect="auto")
    for (i, j), v in np.ndenumerate(values):
        if np.isfinite(v):
            ax.text(j, i, f"{v:.0%}", ha="center", va="center", fontsize=8)
    ax.set_xticks(range(table.shape[1]), [str(c) for c in table.columns])
    ax.set_yticks(range(table.shape[0]), [str(i) for i in table.index])
    ax.set_xlabel("経過月数" if lang == "ja" else "Months since the first payment")
    ax.set_ylabel("コホート（初回支払い）" if lang == "ja" else "Cohort (first payment)")
    ax.grid(False)
    ax.figure.colorbar(image, ax=ax, fraction=0.04, pad=0.02, format="{x:.0%}")
    ax.set_title(message, loc="left")
    return ax


def forecast_vs_actual(results: pd.DataFrame, *, message: str, ax: Axes | None = None,
                       lang: str = "en") -> Axes:
    """Actual bookings per period (bars) and each method's forecast (lines) of a backtest.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> r = pd.DataFrame({"period": ["2025Q1", "2025Q1", "2025Q2", "2025Q2"],
    ...                   "method": ["judgment", "weighted"] * 2,
    ...                   "forecast": [130.0, 95.0, 150.0, 110.0], "actual": [100.0] * 4})
    >>> len(forecast_vs_actual(r, message="Judgment overshoots").lines)
    2
    """
    _require_message(message)
    _check_lang(lang)
    ax = _axes(ax)
    periods = list(dict.fromkeys(results["period"].astype(str)))
    x = np.arange(len(periods))
    actual = results.drop_duplicates("period").set_index(results.drop_duplicates("period")[
        "period"].astype(str))["actual"].reindex(periods)
    ax.bar(x, actual.to_numpy(dtype=float), color="#DDDDDD", width=0.7,
           label="実績" if lang == "ja" else "actual")
    names = {"judgment": ("judgment (reps)", "営業の判断"), "weighted": ("weighted pipeline",
                                                                     "加重パイプライン"),
             "predictive": ("predictive model", "予測モデル"), "commit": ("commit", "コミット"),
             "pipeline_model": ("open pipeline × learned win rates",
                                "未クローズ商談×学習した受注率")}
    for k, (method, group) in enumerate(results.groupby("method", sort=False)):
        values = group.set_index(group["period"].astype(str))["forecast"].reindex(periods)
        ax.plot(x, values.to_numpy(dtype=float), marker="o", color=OKABE_ITO[k % 8],
                label=names.get(method, (method, method))[lang == "ja"])
    step = max(1, -(-len(periods) // 12))  # at most 12 labels, never overlapping
    ax.set_xticks(x[::step], periods[::step], rotation=45 if len(periods) > 6 else 0,
                  ha="right" if len(periods) > 6 else "center")
    ax.yaxis.set_major_formatter(yen_formatter(lang=lang, decimals=2))
    ax.legend(frameon=False, fontsize=8, ncol=2)
    ax.set_title(message, loc="left")
    return ax


def monthly_bookings(monthly: pd.DataFrame, *, message: str, ax: Axes | None = None,
                     lang: str = "en") -> Axes:
    """Bookings per month (bars) with the month's win rate (line, right axis).

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> m = pd.DataFrame({"bookings": [100.0, 300.0], "win_rate": [0.2, 0.3]},
    ...                  index=pd.to_datetime(["2025-01-01", "2025-02-01"]))
    >>> len(monthly_bookings(m, message="February booked three times January").patches)
    2
    """
    _require_message(message)
    _check_lang(lang)
    ax = _axes(ax)
    x = np.arange(len(monthly))
    ax.bar(x, monthly["bookings"].to_numpy(dtype=float), color=OKABE_ITO[2], width=0.7)
    ax.yaxis.set_major_formatter(yen_formatter(lang=lang, decimals=2))
    ax.set_ylabel(label("bookings", lang=lang))
    step = max(1, len(monthly) // 12)
    ax.set_xticks(x[::step], [f"{m:%Y-%m}" for m in monthly.index[::step]], rotation=45,
                  ha="right")
    right = ax.twinx()
    right.plot(x, monthly["win_rate"].to_numpy(dtype=float), color=OKABE_ITO[0], marker="o")
    right.set_ylim(0, max(0.5, float(np.nanmax(monthly["win_rate"].to_numpy(dtype=float),
                                               initial=0.0)) * 1.2))
    right.yaxis.set_major_formatter("{x:.0%}")
    right.set_ylabel(label("win_rate", lang=lang), color=OKABE_ITO[0])
    right.grid(False)
    ax.set_title(message, loc="left")
    return ax


_REPORT_STAGES = {"discovery": ("Discovery", "見極め"), "demo": ("Demo", "デモ・ニーズ分析"),
                  "proposal": ("Proposal", "提案"), "negotiation": ("Negotiation", "交渉"),
                  "unmapped": ("Unmapped stage", "未対応のフェーズ")}


def pipeline_age(table: pd.DataFrame, *, message: str, ax: Axes | None = None,
                 lang: str = "en") -> Axes:
    """Open amount per stage (bars), split by age band (stacked, lighter = younger).

    ``table`` is :func:`revopslab.metrics.open_pipeline` by ``("stage", "age")``.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> t = pd.DataFrame({"amount": [100.0, 50.0, 80.0]}, index=pd.MultiIndex.from_tuples(
    ...     [("demo", "0-29"), ("demo", "180+"), ("proposal", "0-29")], names=["stage", "age"]))
    >>> len(pipeline_age(t, message="Half of demo is old").patches)
    4
    """
    _require_message(message)
    _check_lang(lang)
    ax = _axes(ax)
    stages = list(dict.fromkeys(table.index.get_level_values("stage")))  # in the table's order
    wide = table["amount"].unstack("age").fillna(0.0).reindex(stages)
    y = np.arange(len(stages))
    left = np.zeros(len(stages))
    colours = plt.get_cmap("Blues")(np.linspace(0.3, 0.95, max(len(wide.columns), 1)))
    for k, age in enumerate(wide.columns):
        values = wide[age].to_numpy(dtype=float)
        ax.barh(y, values, left=left, color=colours[k],
                label=f"{age}日" if lang == "ja" else f"{age} days")
        left += values
    ax.set_yticks(y, [_REPORT_STAGES.get(s, (s, s))[lang == "ja"] if s in _REPORT_STAGES
                      else _stage_label(s, lang) for s in stages])
    ax.invert_yaxis()
    ax.xaxis.set_major_locator(MaxNLocator(nbins=4, steps=[1, 2, 2.5, 5, 10]))
    ax.xaxis.set_major_formatter(yen_formatter(lang=lang, decimals=2))
    ax.legend(frameon=False, fontsize=8, title="経過日数" if lang == "ja" else "Age",
              loc="lower right")
    ax.set_title(message, loc="left")
    return ax
