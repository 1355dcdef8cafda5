"""Message-first charts: each takes ``ax=None`` and a ``message`` title, and returns the Axes."""

from __future__ import annotations

import matplotlib.dates as mdates
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.axes import Axes

from .style import DEPARTMENT_COLORS, OKABE_ITO, STAGE_PALETTE, label, yen_formatter

__all__ = ["funnel", "growth_curves", "mrr_bridge", "bar_compare"]

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


def _stage_label(key: str, lang: str) -> str:
    try:
        return label(key, lang=lang)
    except KeyError:
        return str(key)


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
    ax.set_yticks(y, [_stage_label(s, lang) for s in stages])
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
    ax.set_xticks(x, [str(k) for k in values.index])
    if yen:
        ax.yaxis.set_major_formatter(yen_formatter(lang=lang))
    ax.set_title(message, loc="left")
    return ax
