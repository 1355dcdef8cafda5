"""The KPI catalogue of chapter 5: each revenue metric as a pure function of the company's tables.

Conventions shared by every metric:

* The first arguments are the tables the metric reads (the simulated company's,
  or a user's tables with the same columns); everything after them is
  keyword-only. ``period`` follows :func:`month_range` (``None`` = the last 12
  months of data); ``segment`` filters SMB / MM / ENT (a table without a
  ``segment`` column looks it up in ``accounts=``); ``channel`` filters the
  lead source; ``columns`` maps our column names to yours when a CRM export
  names them differently, e.g. ``columns={"amount": "Amount"}``.
* **Undefined values.** When the data cannot define a metric — nothing to
  measure (a period outside the data, no deal closed, no opening customer, a
  segment or channel with no rows) or a zero denominator (no spend, no churn
  for the LTV formula) — the metric returns ``nan`` *and* warns with
  :class:`MetricWarning`, whose message names the metric and the reason. No
  metric returns ``inf``, and none returns NaN silently. Counts and sums of
  an empty selection inside the data's time range are 0 (no leads is a count
  of 0, not an unknown); but a period that runs past the end of the data is
  undefined for sums, counts and MRR metrics, which it would understate.
  Functions returning tables follow the same rule (:func:`mrr_bridge` gives
  a NaN row, :func:`conversion_rates` leaves out steps nobody reached and
  warns when no step is left). Invalid arguments (an unparseable period, a
  gross margin outside (0, 1], a missing column, ``segment`` without
  ``accounts``) raise ``ValueError`` naming the argument, what was expected
  and what was passed. :func:`kpi_table` records each undefined value's
  reason in its ``note`` column and warns once.
* Rates are shares (0.25 = 25 %); money is in the data's currency (JPY/yen
  for the simulated company); ``amount`` of an opportunity is its annual
  contract value (ACV).
"""

from __future__ import annotations

import functools
import inspect
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from dataclasses import replace as _replace
from types import MappingProxyType
from typing import Any

import numpy as np
import pandas as pd

from .process import PATHS
from .vocabulary import SEGMENTS

__all__ = [
    "MetricWarning",
    "Period",
    "SALES_AND_MARKETING",
    "CSAT_SATISFIED",
    "WATERFALL_STEPS",
    "WATERFALL_MOTIONS",
    "month_range",
    # revenue and unit economics (RevOps / finance)
    "total_revenue",
    "monthly_recurring_revenue",
    "annual_recurring_revenue",
    "revenue_growth_rate",
    "customer_acquisition_cost",
    "channel_cac",
    "ltv_capped",
    "ltv_formula",
    "ltv_cohort",
    "ltv_to_cac",
    "cac_payback_months",
    "magic_number",
    "marketing_efficiency_ratio",
    "cac_ratio",
    "sm_share_of_revenue",
    "burn_multiple",
    "rule_of_40",
    "cross_sell_rate",
    "upsell_rate",
    # sales
    "win_rate",
    "sales_cycle_days",
    "lead_to_close_days",
    "pipeline_value",
    "pipeline_coverage",
    "pipeline_progression_rate",
    "sales_velocity",
    "sales_velocity_flow",
    "rep_attainment",
    "quota_attainment",
    "reps_at_quota_share",
    "activity_volume",
    # customer success
    "classify_mrr_movements",
    "mrr_bridge",
    "logo_churn_rate",
    "logo_retention_rate",
    "net_revenue_retention",
    "gross_revenue_retention",
    "revenue_churn_rate",
    "expansion_rate",
    "monthly_revenue_churn_rate",
    "quick_ratio",
    "nps",
    "csat",
    "csat_mean_score",
    "ticket_resolution_hours",
    "health_score",
    "customer_health_score",
    # marketing operations
    "lead_volume",
    "mql_rate",
    "cost_per_lead",
    "marketing_sourced_pipeline",
    "campaign_roi",
    "conversion_rates",
    # the catalogue
    "KPI",
    "REGISTRY",
    "DEPARTMENTS",
    "kpi_table",
]

#: Departments whose costs count as sales and marketing (the numerator of CAC).
SALES_AND_MARKETING: tuple[str, ...] = ("marketing", "inside_sales", "field_sales")

#: The demand waterfall's steps as ``(step, from stage, to stage)``; each stage
#: ``s`` is the lead column ``f"{s}_at"`` (SiriusDecisions' rearchitected waterfall).
WATERFALL_STEPS: tuple[tuple[str, str, str], ...] = (
    ("inquiry_to_aql", "inquiry", "aql"),
    ("aql_to_tal", "aql", "tal"),
    ("tal_to_tql", "tal", "tql"),
    ("tql_to_sal", "tql", "sal"),
    ("inquiry_to_tgl", "inquiry", "tgl"),
    ("tgl_to_sal", "tgl", "sal"),
    ("inquiry_to_sgl", "inquiry", "sgl"),
    ("sal_to_sql", "sal", "sql"),
    ("sgl_to_sql", "sgl", "sql"),
    ("sql_to_opportunity", "sql", "opportunity"),
)

#: The motions whose leads can take each waterfall step (the paths of
#: :data:`revopslab.process.PATHS`): the denominator of :func:`conversion_rates`.
WATERFALL_MOTIONS: Mapping[str, tuple[str, ...]] = MappingProxyType({
    step: tuple(m for m, path in PATHS.items() if step in path)
    for step in (*(s for s, _, _ in WATERFALL_STEPS), "opportunity_to_won")})

#: The lowest 1–5 support rating that counts as satisfied in :func:`csat` (top two box).
CSAT_SATISFIED: int = 4

#: The departments of :func:`kpi_table`, in report order.
DEPARTMENTS: tuple[str, ...] = ("revops-finance", "marketing", "sales", "customer_success")

Period = str | tuple[str, str] | None
Columns = Mapping[str, str] | None

_MOVEMENTS = ("new", "expansion", "reactivation", "contraction", "churn")
# Kept by _table for the segment and channel filters and the deal's source.
_KEYS = ("account_id", "segment", "channel", "motion")
_FORWARD_STAGES = ("demo", "proposal", "negotiation", "closed_won")


# --------------------------------------------------------------------------- policy
class MetricWarning(UserWarning):
    """A metric is undefined for the data given (nothing to measure, or a zero denominator).

    The metric returned NaN; the message names the metric and the reason.
    """


class _Undefined(Exception):
    """Raised inside a metric when the data cannot define it; turned into NaN + MetricWarning."""


def _metric(fn: Callable[..., float]) -> Callable[..., float]:
    """Turn ``_Undefined`` raised by ``fn`` into NaN and a :class:`MetricWarning`."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs) -> float:
        try:
            return fn(*args, **kwargs)
        except _Undefined as why:
            warnings.warn(f"{fn.__name__} is undefined ({why}); returned NaN", MetricWarning,
                          stacklevel=2)
            return float("nan")

    return wrapper


def _raw(fn: Callable) -> Callable:
    """The metric without its NaN-and-warn wrapper (raises ``_Undefined``)."""
    return getattr(fn, "__wrapped__", fn)


def _ratio(num: float, den: float, why: str) -> float:
    if not np.isfinite(den) or den == 0:
        raise _Undefined(why)
    return float(num / den)


def _choice(name: str, value: Any, choices: Sequence) -> None:
    if value not in choices:
        raise ValueError(f"{name} must be one of {tuple(choices)}, got {value!r}")


def _check_margin(gross_margin: float) -> None:
    if not isinstance(gross_margin, int | float) or not 0 < gross_margin <= 1:
        raise ValueError(f"gross_margin must be a share in (0, 1], got {gross_margin!r}")


def _check_positive(name: str, value: Any) -> None:
    if not isinstance(value, int | np.integer) or value < 1:
        raise ValueError(f"{name} must be a positive integer, got {value!r}")


# --------------------------------------------------------------------------- periods
def month_range(period: Period, *, months: pd.Series | None = None) -> tuple[pd.Timestamp,
                                                                            pd.Timestamp]:
    """First and last month (month starts, inclusive) of ``period``.

    ``period`` is a year (``"2025"``), a quarter (``"2025Q3"``), a month
    (``"2025-06"``), a ``(first, last)`` pair of months, or ``None`` for the
    last 12 months present in ``months``.

    Examples
    --------
    >>> month_range("2025Q3")
    (Timestamp('2025-07-01 00:00:00'), Timestamp('2025-09-01 00:00:00'))
    >>> month_range(("2024-11", "2025-02"))
    (Timestamp('2024-11-01 00:00:00'), Timestamp('2025-02-01 00:00:00'))
    """
    if period is None:
        if months is None or len(months) == 0 or pd.isna(months.max()):
            raise ValueError("period=None needs data to take the last 12 months from")
        last = pd.Timestamp(months.max()).to_period("M").to_timestamp()
        return last - pd.DateOffset(months=11), last
    try:
        if isinstance(period, tuple) and len(period) == 2:
            first = pd.Period(period[0], freq="M").to_timestamp()
            last = pd.Period(period[1], freq="M").to_timestamp()
        elif isinstance(period, str):
            p = pd.Period(period)
            first = p.asfreq("M", how="start").to_timestamp()
            last = p.asfreq("M", how="end").to_timestamp()
        else:
            raise TypeError
    except (TypeError, ValueError) as err:
        raise ValueError(
            "period must be a year '2025', a quarter '2025Q3', a month '2025-06', a pair of "
            f"months ('2025-01', '2025-06') or None, got {period!r}"
        ) from err
    if last < first:
        raise ValueError(f"period must end after it starts, got {period!r}")
    return first, last


def _next(month: pd.Timestamp, n: int = 1) -> pd.Timestamp:
    """The month start ``n`` months after the month of ``month``."""
    year, index = divmod(month.year * 12 + month.month - 1 + n, 12)
    return pd.Timestamp(year, index + 1, 1)


def _span(first: pd.Timestamp, last: pd.Timestamp) -> str:
    return f"{first:%Y-%m}" if first == last else f"{first:%Y-%m}..{last:%Y-%m}"


def _n_months(first: pd.Timestamp, last: pd.Timestamp) -> int:
    return (last.year - first.year) * 12 + last.month - first.month + 1


def _in(stamps: pd.Series, first: pd.Timestamp, last: pd.Timestamp) -> pd.Series:
    """True where a timestamp falls in the months first..last (NaT is never in)."""
    return (stamps >= first) & (stamps < _next(last))


def _window(period: Period, stamps: pd.Series, what: str, *, reach_end: bool = False
            ) -> tuple[pd.Timestamp, pd.Timestamp]:
    """The period's months; ``_Undefined`` when it lies wholly outside the data's dates.

    With ``reach_end`` (counts and sums, which a truncated period would
    understate) the data must also reach the period's last month.
    """
    stamps = stamps.dropna()
    if period is None and len(stamps) == 0:
        raise _Undefined(f"{what} has no dates to take the default period (last 12 months) from")
    first, last = month_range(period, months=stamps)
    if len(stamps) == 0:
        raise _Undefined(f"{what} is empty")
    lo, hi = stamps.min(), stamps.max()
    if hi < first or lo >= _next(last):
        raise _Undefined(f"period {_span(first, last)} is outside the data of {what} "
                         f"({lo:%Y-%m-%d}..{hi:%Y-%m-%d})")
    if reach_end and hi < last:
        raise _Undefined(f"the data of {what} end on {hi:%Y-%m-%d}, before the last month of "
                         f"the period {_span(first, last)}")
    return first, last


def _month_start(values: pd.Series) -> pd.Series:
    arr = values.to_numpy(dtype="datetime64[ns]").astype("datetime64[M]").astype("datetime64[ns]")
    return pd.Series(arr, index=values.index, name=values.name)


# --------------------------------------------------------------------------- tables
def _table(df: pd.DataFrame, name: str, required: Sequence[str], columns: Columns
           ) -> pd.DataFrame:
    """``df`` with the user's column names mapped to ours, checked for ``required`` columns."""
    if not isinstance(df, pd.DataFrame):
        raise ValueError(f"{name} must be a pandas DataFrame, got {type(df).__name__}")
    if columns:
        if not isinstance(columns, Mapping):
            raise ValueError("columns must map our column names to yours, e.g. "
                             f"{{'amount': 'Amount'}}, got {columns!r}")
        rename = {theirs: ours for ours, theirs in columns.items()
                  if theirs in df.columns and theirs != ours}
        if rename:
            df = df.rename(columns=rename)
    missing = [c for c in required if c not in df.columns]
    if missing:
        raise ValueError(
            f"{name} must have the column(s) {missing} (when yours are named differently, pass "
            f"columns={{{missing[0]!r}: '<your column>'}}); got columns {list(df.columns)}")
    # Only the columns a metric reads: filtering rows of wide text tables is what costs time.
    keep = list(dict.fromkeys(c for c in (*required, *_KEYS) if c in df.columns))
    return df if len(keep) == len(df.columns) else df[keep]


def _where(segment: str | None = None, channel: str | None = None) -> str:
    out = f" for segment {segment!r}" if segment is not None else ""
    return out + (f" for channel {channel!r}" if channel is not None else "")


def _by_segment(df: pd.DataFrame, name: str, segment: str | None,
                accounts: pd.DataFrame | None, columns: Columns) -> pd.DataFrame:
    """Rows of ``df`` in ``segment``: its own ``segment`` column, else looked up in ``accounts``."""
    if segment is None:
        return df
    if "segment" in df.columns:
        return df[df["segment"] == segment]
    if accounts is None:
        raise ValueError(f"segment={segment!r} needs accounts= (a table of account_id and "
                         f"segment) because {name} has no 'segment' column; got accounts=None")
    accounts = _table(accounts, "accounts", ("account_id", "segment"), columns)
    ids = accounts.loc[accounts["segment"] == segment, "account_id"]
    return df[_isin(df["account_id"], ids)]


def _by_channel(df: pd.DataFrame, channel: str | None) -> pd.DataFrame:
    if channel is None:
        return df
    if "channel" not in df.columns:
        raise ValueError(f"channel={channel!r} needs a 'channel' column; got columns "
                         f"{list(df.columns)}")
    return df[df["channel"] == channel]


def _source(opps: pd.DataFrame, leads: pd.DataFrame, column: str, columns: Columns
            ) -> pd.Series:
    """The ``channel`` or ``motion`` a deal came from: its own column, else its source lead's."""
    if column in opps.columns:
        return opps[column]
    return _lead_values(opps, _table(leads, "leads", ("lead_id", column), columns), column)


def _isin(values, keys) -> np.ndarray:
    """``values.isin(keys)`` by hashing (pandas' Arrow-string ``isin`` loops over the keys)."""
    keys = pd.Index(pd.unique(pd.Series(keys)))
    return keys.get_indexer(pd.Index(values)) >= 0


def _lead_values(opps: pd.DataFrame, leads: pd.DataFrame, column: str) -> pd.Series:
    """``leads[column]`` of each opportunity's source lead (missing when the lead is unknown)."""
    ids = pd.Index(leads["lead_id"])
    if not ids.is_unique:
        raise ValueError("leads.lead_id must be unique to look up an opportunity's source lead;"
                         f" got {int(ids.duplicated().sum())} duplicated id(s)")
    if len(leads) == 0:
        return pd.Series(None, index=opps.index, dtype=object)
    pos = ids.get_indexer(opps["lead_id"])
    values = leads[column].take(np.maximum(pos, 0))
    values.index = opps.index
    return values.where(pos >= 0)


# =========================================================================== MRR core
def _mrr(mrr: pd.DataFrame, columns: Columns) -> pd.DataFrame:
    mrr = _table(mrr, "mrr", ("account_id", "month", "mrr"), columns)
    return mrr.assign(month=_month_start(mrr["month"]))


def _wide(mrr: pd.DataFrame, months: pd.DatetimeIndex) -> pd.DataFrame:
    """Accounts × ``months`` of total MRR (0 where an account paid nothing)."""
    rows = mrr[_isin(mrr["month"], months)]
    total = rows.groupby(["account_id", "month"], sort=True)["mrr"].sum().unstack(
        fill_value=0.0)
    return total.reindex(columns=months, fill_value=0.0)


def _mrr_scope(mrr: pd.DataFrame, period: Period, segment: str | None,
               accounts: pd.DataFrame | None, columns: Columns, *, opening: bool = False):
    """(mrr rows of the segment, first, last, first month of data) for an MRR metric.

    The data must reach the period's last month (after it, nothing is known).
    With ``opening`` and ``period=None``, the default 12 months start after the
    first month of data so that an opening month exists.
    """
    mrr = _mrr(mrr, columns)
    if len(mrr) == 0:
        raise _Undefined("the mrr table is empty")
    data_first, data_last = mrr["month"].min(), mrr["month"].max()
    first, last = month_range(period, months=mrr["month"])
    if period is None and opening:
        first = max(first, _next(data_first))
    if last > data_last:
        raise _Undefined(f"the mrr table ends in {data_last:%Y-%m}, before the end of the "
                         f"period {_span(first, last)}")
    return _by_segment(mrr, "mrr", segment, accounts, columns), first, last, data_first


def _opening_customers(mrr: pd.DataFrame, period: Period, segment: str | None = None,
                       accounts: pd.DataFrame | None = None, columns: Columns = None
                       ) -> tuple[pd.Series, pd.Series]:
    """Opening and closing MRR of the accounts paying in the month before ``period``."""
    rows, first, last, data_first = _mrr_scope(mrr, period, segment, accounts, columns,
                                               opening=True)
    before = _next(first, -1)
    wide = _wide(rows, pd.DatetimeIndex([before, last]))
    opening, closing = wide[before], wide[last]
    base = opening > 0
    if not base.any():
        extra = (f" (the mrr table starts in {data_first:%Y-%m})" if before < data_first else "")
        raise _Undefined(f"no customer paid in {before:%Y-%m}, the month before the period"
                         f"{_where(segment)}{extra}: the opening base is empty")
    return opening[base], closing[base]


def classify_mrr_movements(mrr: pd.DataFrame, *, columns: Columns = None) -> pd.DataFrame:
    """Each account-month change of total MRR, classified as the movements table does.

    Compares each account's total MRR with the month before (before the first
    month of data it is 0): ``new`` (first MRR ever), ``reactivation`` (MRR
    again after a month of 0), ``expansion`` (more), ``contraction`` (less,
    still paying) and ``churn`` (to 0). The classification of Skok's
    "SaaS Metrics 2.0" MRR bridge; use it on a billing export that has no
    movements table. Returns columns ``account_id, month, movement,
    mrr_change`` sorted by month and account.

    Examples
    --------
    >>> mrr = pd.DataFrame({"account_id": ["a", "a", "b", "a"],
    ...                     "month": pd.to_datetime(["2025-01-01", "2025-02-01",
    ...                                              "2025-02-01", "2025-04-01"]),
    ...                     "mrr": [100.0, 150.0, 80.0, 120.0]})
    >>> classify_mrr_movements(mrr)
      account_id      month      movement  mrr_change
    0          a 2025-01-01           new       100.0
    1          a 2025-02-01     expansion        50.0
    2          b 2025-02-01           new        80.0
    3          a 2025-03-01         churn      -150.0
    4          b 2025-03-01         churn       -80.0
    5          a 2025-04-01  reactivation       120.0
    """
    mrr = _mrr(mrr, columns)
    out_columns = ["account_id", "month", "movement", "mrr_change"]
    if len(mrr) == 0:
        return pd.DataFrame({c: pd.Series(dtype=t) for c, t in zip(
            out_columns, ("str", "datetime64[ns]", "str", "float64"), strict=True)})
    months = pd.date_range(mrr["month"].min(), mrr["month"].max(), freq="MS")
    wide = _wide(mrr, months)
    values = wide.to_numpy()
    prev = np.column_stack([np.zeros(len(values)), values[:, :-1]])
    kinds = _kinds(values, prev, np.zeros(len(values), dtype=bool))
    row, col = np.nonzero(kinds >= 0)
    order = np.lexsort((row, col))  # by month, then account
    row, col = row[order], col[order]
    return pd.DataFrame({
        "account_id": wide.index.to_numpy()[row],
        "month": months.to_numpy()[col],
        "movement": np.array(_MOVEMENTS, dtype=object)[kinds[row, col]],
        "mrr_change": values[row, col] - prev[row, col],
    })


def _kinds(values: np.ndarray, prev: np.ndarray, paid_before: np.ndarray) -> np.ndarray:
    """Index into ``_MOVEMENTS`` of each account-month change (-1: no change).

    ``paid_before`` flags the accounts that paid before the first ``prev`` month.
    """
    ever = paid_before[:, None] | np.maximum.accumulate(prev > 0, axis=1)
    conditions = {  # in the order of _MOVEMENTS
        "new": (prev == 0) & (values > 0) & ~ever,
        "expansion": (prev > 0) & (values > prev),
        "reactivation": (prev == 0) & (values > 0) & ever,
        "contraction": (values > 0) & (values < prev),
        "churn": (prev > 0) & (values == 0),
    }
    return np.select([conditions[m] for m in _MOVEMENTS], list(range(len(_MOVEMENTS))),
                     default=-1)


def mrr_bridge(mrr: pd.DataFrame, *, period: Period = None,
               mrr_movements: pd.DataFrame | None = None, segment: str | None = None,
               accounts: pd.DataFrame | None = None, by_month: bool = False,
               columns: Columns = None) -> pd.DataFrame:
    """The MRR bridge: opening + new + expansion + reactivation − contraction − churn = closing.

    ``opening`` is the total MRR of the month before the period, ``closing``
    that of its last month (both from ``mrr``); the movements are summed over
    the period from ``mrr_movements`` or, when it is not given, from
    :func:`classify_mrr_movements` of ``mrr``. Contraction and churn are
    shown as positive amounts lost. Unit: currency per month (MRR). The
    bridge is the "MRR movements" view of Skok's "SaaS Metrics 2.0" and of
    ChartMogul / Baremetrics dashboards. One row for the period, or one row
    per month with ``by_month=True``.

    Examples
    --------
    >>> mrr = pd.DataFrame({"account_id": ["a", "b", "a", "c"],
    ...                     "month": pd.to_datetime(["2024-12-01", "2024-12-01",
    ...                                              "2025-01-01", "2025-01-01"]),
    ...                     "mrr": [100.0, 50.0, 130.0, 40.0]})
    >>> # 150 opening + 40 new (c) + 30 expansion (a) - 50 churn (b) = 170 closing
    >>> mrr_bridge(mrr, period="2025-01")  # doctest: +NORMALIZE_WHITESPACE
             opening   new  expansion  reactivation  contraction  churn  closing
    period
    2025-01    150.0  40.0       30.0           0.0          0.0   50.0    170.0
    """
    try:
        rows, first, last, _ = _mrr_scope(mrr, period, segment, accounts, columns)
    except _Undefined as why:
        warnings.warn(f"mrr_bridge is undefined ({why}); returned NaN", MetricWarning,
                      stacklevel=2)
        first, last = month_range(period, months=_mrr(mrr, columns)["month"])
        index = (pd.Index([f"{m:%Y-%m}" for m in pd.date_range(first, last, freq="MS")],
                          name="month") if by_month
                 else pd.Index([_span(first, last)], name="period"))
        return pd.DataFrame(np.nan, index=index, columns=["opening", *_MOVEMENTS, "closing"])
    if mrr_movements is not None:
        moves = _table(mrr_movements, "mrr_movements", ("account_id", "month", "movement",
                                                        "mrr_change"), columns)
        mrr_movements = _by_segment(moves.assign(month=_month_start(moves["month"])),
                                    "mrr_movements", segment, accounts, columns)
    return _bridge(rows, first, last, mrr_movements, by_month=by_month)


def _bridge(rows: pd.DataFrame, first, last, moves: pd.DataFrame | None = None, *,
            by_month: bool = False) -> pd.DataFrame:
    """The bridge of already scoped MRR rows (and movements) over the months first..last."""
    months = pd.date_range(_next(first, -1), last, freq="MS")
    wide = _wide(rows, months)
    values = wide.to_numpy()
    totals = values.sum(axis=0)
    if moves is None:  # classify the period's months only; earlier payers may reactivate
        before = rows.loc[(rows["month"] < months[0]) & (rows["mrr"] > 0), "account_id"]
        prev, now = values[:, :-1], values[:, 1:]
        kinds = _kinds(now, prev, _isin(wide.index, before))
        change = now - prev
        flows = pd.DataFrame({m: np.where(kinds == k, change, 0.0).sum(axis=0)
                              for k, m in enumerate(_MOVEMENTS)}, index=months[1:])
    else:
        moves = moves[_in(moves["month"], first, last)]
        flows = moves.pivot_table(index="month", columns="movement", values="mrr_change",
                                  aggfunc="sum", fill_value=0.0, observed=True)
        flows = flows.reindex(index=months[1:], columns=list(_MOVEMENTS), fill_value=0.0)
    flows[["contraction", "churn"]] = -flows[["contraction", "churn"]]
    table = flows.assign(opening=totals[:-1], closing=totals[1:])
    table = table[["opening", *_MOVEMENTS, "closing"]].astype(float)
    table.columns.name = None
    if by_month:
        table.index = pd.Index([f"{m:%Y-%m}" for m in table.index], name="month")
        return table
    one = table.sum(axis=0)
    one["opening"], one["closing"] = table["opening"].iloc[0], table["closing"].iloc[-1]
    return pd.DataFrame([one], index=pd.Index([_span(first, last)], name="period"))


# =========================================================================== revenue
@_metric
def total_revenue(mrr: pd.DataFrame, *, period: Period = None, segment: str | None = None,
                  accounts: pd.DataFrame | None = None, columns: Columns = None) -> float:
    """Recurring revenue recognised in ``period``: the sum of every month's MRR.

    ``total revenue = Σ over months in period Σ over accounts MRR``. Unit:
    currency (JPY). Subscription revenue recognised ratably month by month
    (IFRS 15 / ASC 606); it equals the sum of the invoices' amounts before tax
    for monthly billing in advance. The book's KGI (chapter 5).

    Examples
    --------
    >>> mrr = pd.DataFrame({"account_id": ["a", "b", "a"],
    ...                     "month": pd.to_datetime(["2025-01-01", "2025-01-01", "2025-02-01"]),
    ...                     "mrr": [100.0, 50.0, 100.0]})
    >>> total_revenue(mrr, period="2025-01")
    150.0
    >>> total_revenue(mrr, period=("2025-01", "2025-02"))
    250.0
    """
    rows, first, last, _ = _mrr_scope(mrr, period, segment, accounts, columns)
    return float(rows.loc[_in(rows["month"], first, last), "mrr"].sum())


@_metric
def monthly_recurring_revenue(mrr: pd.DataFrame, *, period: Period = None,
                              segment: str | None = None, accounts: pd.DataFrame | None = None,
                              columns: Columns = None) -> float:
    """MRR in the last month of ``period``: the sum of every subscription's MRR that month.

    Unit: currency per month. Definition of Skok's "SaaS Metrics 2.0" and
    Bessemer's "State of the Cloud": contracted recurring revenue normalised
    to one month, without one-off fees and tax.

    Examples
    --------
    >>> mrr = pd.DataFrame({"account_id": ["a", "b", "a"],
    ...                     "month": pd.to_datetime(["2025-01-01", "2025-01-01", "2025-02-01"]),
    ...                     "mrr": [100.0, 50.0, 100.0]})
    >>> monthly_recurring_revenue(mrr, period="2025-01")
    150.0
    """
    rows, _, last, _ = _mrr_scope(mrr, period, segment, accounts, columns)
    return float(rows.loc[rows["month"] == last, "mrr"].sum())


@_metric
def annual_recurring_revenue(mrr: pd.DataFrame, *, period: Period = None,
                             segment: str | None = None, accounts: pd.DataFrame | None = None,
                             columns: Columns = None) -> float:
    """ARR at the end of ``period``: ``ARR = 12 × MRR`` of its last month.

    Unit: currency per year. Bessemer's and KeyBanc's run-rate convention.

    Examples
    --------
    >>> mrr = pd.DataFrame({"account_id": ["a", "b"],
    ...                     "month": pd.to_datetime(["2025-01-01", "2025-01-01"]),
    ...                     "mrr": [100.0, 50.0]})
    >>> annual_recurring_revenue(mrr, period="2025-01")
    1800.0
    """
    return 12 * _raw(monthly_recurring_revenue)(mrr, period=period, segment=segment,
                                                accounts=accounts, columns=columns)


@_metric
def revenue_growth_rate(mrr: pd.DataFrame, *, period: Period = None, basis: str = "arr",
                        segment: str | None = None, accounts: pd.DataFrame | None = None,
                        columns: Columns = None) -> float:
    """Growth of recurring revenue over ``period``.

    ``basis="arr"`` (default): ``MRR(last month) / MRR(month before the period)
    − 1``, the ARR growth rate of KeyBanc's SaaS survey and Bessemer (for a
    year: year-over-year ARR growth). ``basis="revenue"``: revenue in the
    period over revenue in the equally long window before it, minus 1. Unit:
    share (0.25 = 25 % growth). Undefined when the base is 0 (no revenue
    before the period).

    Examples
    --------
    >>> mrr = pd.DataFrame({"account_id": ["a", "a", "b"],
    ...                     "month": pd.to_datetime(["2024-12-01", "2025-12-01", "2025-12-01"]),
    ...                     "mrr": [100.0, 110.0, 40.0]})
    >>> revenue_growth_rate(mrr, period="2025")  # 150 / 100 - 1
    0.5
    """
    _choice("basis", basis, ("arr", "revenue"))
    rows, first, last, data_first = _mrr_scope(mrr, period, segment, accounts, columns,
                                               opening=True)
    if basis == "arr":
        before = _next(first, -1)
        base = rows.loc[rows["month"] == before, "mrr"].sum()
        now = rows.loc[rows["month"] == last, "mrr"].sum()
        why = f"no MRR in {before:%Y-%m}, the month before the period{_where(segment)}"
    else:
        n = _n_months(first, last)
        base = rows.loc[_in(rows["month"], _next(first, -n), _next(first, -1)), "mrr"].sum()
        now = rows.loc[_in(rows["month"], first, last), "mrr"].sum()
        why = (f"no revenue in {_span(_next(first, -n), _next(first, -1))}, the "
               f"{n} months before the period{_where(segment)}")
    return _ratio(now, base, why) - 1


# =========================================================================== acquisition
def _new_customers(mrr_movements: pd.DataFrame, first, last, movements: Sequence[str],
                   columns: Columns) -> pd.DataFrame:
    moves = _table(mrr_movements, "mrr_movements", ("month", "movement", "mrr_change"), columns)
    return moves[_in(moves["month"], first, last) & _isin(moves["movement"], movements)]


def _cost(costs: pd.DataFrame, first, last, departments: Sequence[str] | None,
          columns: Columns, what: str = "sales and marketing", *,
          reach_end: bool = False) -> float:
    """Σ cost of ``departments`` (None: all) in months first..last.

    With ``reach_end`` the costs table must also reach the last month (a
    total over the whole company must not be understated by missing months).
    """
    costs = _table(costs, "costs", ("month", "department", "amount"), columns)
    months = _month_start(costs["month"])
    if len(costs) == 0 or months.min() > first:
        have = f"starts in {months.min():%Y-%m}" if len(costs) else "is empty"
        raise _Undefined(f"the costs table {have}, after the start of {_span(first, last)}")
    if reach_end and months.max() < last:
        raise _Undefined(f"the costs table ends in {months.max():%Y-%m}, before the end of "
                         f"{_span(first, last)}")
    rows = _in(months, first, last)
    if departments is not None:
        rows &= _isin(costs["department"], departments)
    if not rows.any():
        which = "" if departments is None else f" (departments {tuple(departments)})"
        raise _Undefined(f"no {what} costs{which} in {_span(first, last)}")
    return float(costs.loc[rows, "amount"].sum())


@_metric
def customer_acquisition_cost(costs: pd.DataFrame, mrr_movements: pd.DataFrame, *,
                              period: Period = None,
                              departments: Sequence[str] = SALES_AND_MARKETING,
                              movements: Sequence[str] = ("new",),
                              columns: Columns = None) -> float:
    """Blended CAC: sales and marketing cost per new customer in ``period``.

    ``CAC = Σ cost of departments in period / number of new customers in
    period``, new customers being the ``"new"`` MRR movements (first month
    billed; add ``"reactivation"`` to ``movements`` to count win-backs).
    Costs are all of marketing (people and programmes), inside sales and
    field sales (people and commission), as in Skok's "SaaS Metrics 2.0" and
    KeyBanc's survey (fully loaded CAC). Unit: currency per customer. No
    segment: costs are not split by segment (see :func:`channel_cac` for the
    programme spend by channel).

    Examples
    --------
    >>> costs = pd.DataFrame({"month": pd.to_datetime(["2025-01-01"] * 3),
    ...                       "department": ["marketing", "field_sales", "general_admin"],
    ...                       "amount": [600.0, 600.0, 999.0]})
    >>> moves = pd.DataFrame({"month": pd.to_datetime(["2025-01-01"] * 3),
    ...                       "movement": ["new", "new", "expansion"],
    ...                       "mrr_change": [40.0, 60.0, 10.0]})
    >>> customer_acquisition_cost(costs, moves, period="2025-01")  # 1200 / 2
    600.0
    """
    first, last = month_range(period, months=_table(costs, "costs", ("month",), columns)["month"])
    cost = _cost(costs, first, last, departments, columns)
    new = _new_customers(mrr_movements, first, last, movements, columns)
    return _ratio(cost, len(new), f"no new customers in {_span(first, last)}")


def _won_in(opps: pd.DataFrame, first, last) -> pd.DataFrame:
    return opps[opps["is_won"].astype(bool) & _in(opps["closed_at"], first, last)]


_OPP_COLS = ("opportunity_id", "lead_id", "account_id", "is_won", "closed_at", "amount")


def _spend_and_wins(marketing_spend, opportunities, leads, period, channel, columns):
    spend = _table(marketing_spend, "marketing_spend", ("month", "channel", "spend"), columns)
    opps = _table(opportunities, "opportunities", _OPP_COLS, columns)
    first, last = _window(period, _month_start(spend["month"]), "marketing_spend")
    months = _month_start(spend["month"])
    spend = spend[_in(months, first, last)]
    paid = pd.unique(spend["channel"])
    spend = _by_channel(spend, channel)
    won = _won_in(opps, first, last)
    source = _source(won, leads, "channel", columns)
    keep = _isin(source, paid) if channel is None else (source == channel).to_numpy()
    return float(spend["spend"].sum()), won[keep], first, last


@_metric
def channel_cac(marketing_spend: pd.DataFrame, opportunities: pd.DataFrame,
                leads: pd.DataFrame, *, period: Period = None, channel: str | None = None,
                columns: Columns = None) -> float:
    """Paid CAC by channel: programme spend per new customer the channel sourced.

    ``channel CAC = spend on the channel in period / customers won in period
    whose deal came from a lead of that channel`` (distinct accounts, by the
    lead's source: first-touch attribution; a ``channel`` column on the
    opportunities, such as Salesforce's Lead Source, is used when present).
    With ``channel=None``: all programme spend over the customers won from
    every channel that had spend.
    Unit: currency per customer. It leaves out people costs, so it is lower
    than :func:`customer_acquisition_cost` (the fully loaded CAC of Skok and
    KeyBanc); a channel with no spend (field prospecting) has a paid CAC of 0
    although reps' time is not free. Compare channels with it, not the
    business.

    Examples
    --------
    >>> spend = pd.DataFrame({"month": pd.to_datetime(["2025-01-01"] * 2),
    ...                       "channel": ["web", "ads"], "spend": [300.0, 500.0]})
    >>> leads = pd.DataFrame({"lead_id": ["L1", "L2", "L3"],
    ...                       "channel": ["web", "web", "ads"]})
    >>> opps = pd.DataFrame({"opportunity_id": ["O1", "O2", "O3"],
    ...                      "lead_id": ["L1", "L2", "L3"], "account_id": ["a", "b", "c"],
    ...                      "is_won": [True, True, False], "amount": [1.0, 1.0, 1.0],
    ...                      "closed_at": pd.to_datetime(["2025-01-10"] * 3)})
    >>> channel_cac(spend, opps, leads, period="2025-01", channel="web")  # 300 / 2
    150.0
    >>> channel_cac(spend, opps, leads, period="2025-01")  # (300 + 500) / 2
    400.0
    """
    spend, won, first, last = _spend_and_wins(marketing_spend, opportunities, leads, period,
                                              channel, columns)
    return _ratio(spend, won["account_id"].nunique(),
                  f"no customer won in {_span(first, last)} from a lead{_where(None, channel)}")


def _churn_hazard(rows: pd.DataFrame, first, last, data_first
                  ) -> tuple[float, int, int, int]:
    """(revenue, paying customer-months, churned, at risk) over the months first..last."""
    start = max(_next(first, -1), data_first)
    months = pd.date_range(start, last, freq="MS")
    wide = _wide(rows, months).to_numpy()
    in_period = np.asarray(months >= first)
    revenue = wide[:, in_period].sum()
    paying = int((wide[:, in_period] > 0).sum())
    prev, now = wide[:, :-1], wide[:, 1:]
    churned = int(((prev > 0) & (now <= 0))[:, in_period[1:]].sum())
    at_risk = int((prev > 0)[:, in_period[1:]].sum())
    return revenue, paying, churned, at_risk


@_metric
def ltv_formula(mrr: pd.DataFrame, *, gross_margin: float, period: Period = None,
                segment: str | None = None, accounts: pd.DataFrame | None = None,
                columns: Columns = None) -> float:
    """Lifetime value by the margin-over-churn formula: ``ARPA × gross margin / monthly churn``.

    ``ARPA`` = revenue in the period / paying customer-months; ``monthly
    churn`` = customers lost (MRR to 0) / customers paying the month before,
    summed over the period's months. Unit: currency per customer (gross
    profit over the expected lifetime 1 / churn). Skok's "SaaS Metrics 2.0";
    also in KeyBanc's survey.

    When it misleads: it assumes a constant churn rate and a constant ARPA.
    With few churn events (a young company, a small segment, a short period)
    the denominator is noise and the LTV explodes (with no churn at all it is
    undefined); expansion is ignored, so it understates LTV when NRR > 100 %;
    and it extrapolates far beyond the data (1 % monthly churn = 100 months).
    :func:`ltv_capped` (the catalogue's default LTV) caps the lifetime;
    prefer :func:`ltv_cohort` when there are a few years of cohorts.

    Examples
    --------
    >>> mrr = pd.DataFrame({"account_id": ["a", "b", "a", "b", "a"],
    ...                     "month": pd.to_datetime(["2025-01-01", "2025-01-01", "2025-02-01",
    ...                                              "2025-02-01", "2025-03-01"]),
    ...                     "mrr": [100.0, 100.0, 100.0, 100.0, 100.0]})
    >>> # ARPA 500 / 5 customer-months = 100; churn 1 of (2 + 2) at risk = 0.25
    >>> ltv_formula(mrr, gross_margin=0.8, period=("2025-01", "2025-03"))  # 100 * 0.8 / 0.25
    320.0
    """
    arpa, churn, span = _arpa_and_churn(mrr, gross_margin, period, segment, accounts, columns)
    if churn == 0:
        raise _Undefined(f"no customer churned in {span}: the formula gives an infinite LTV")
    return arpa * gross_margin / churn


def _arpa_and_churn(mrr, gross_margin, period, segment, accounts, columns):
    """(ARPA, monthly logo churn, span) of the LTV formulas."""
    _check_margin(gross_margin)
    rows, first, last, data_first = _mrr_scope(mrr, period, segment, accounts, columns)
    revenue, paying, churned, at_risk = _churn_hazard(rows, first, last, data_first)
    span = f"{_span(first, last)}{_where(segment)}"
    arpa = _ratio(revenue, paying, f"no paying customer in {span}")
    churn = _ratio(churned, at_risk, f"no customer was paying at the start of a month of {span}")
    return arpa, churn, span


@_metric
def ltv_capped(mrr: pd.DataFrame, *, gross_margin: float, period: Period = None,
               max_lifetime_months: int = 60, segment: str | None = None,
               accounts: pd.DataFrame | None = None, columns: Columns = None) -> float:
    """Lifetime value with the lifetime capped: ``ARPA × gross margin × min(1 / churn, cap)``.

    ARPA and monthly logo churn as in :func:`ltv_formula`; the expected
    lifetime ``1 / monthly churn`` is capped at ``max_lifetime_months``
    (default 60 = 5 years), so a low churn rate measured over a short
    history cannot promise decades of revenue (1 % monthly churn is 100
    months uncapped), and a period with no churn at all gives the cap rather
    than an infinite LTV. Unit: currency (gross profit) per customer. The
    catalogue's default LTV (``kpi_table``'s ``ltv`` and ``ltv_to_cac``).
    Source: Skok's "SaaS Metrics 2.0" LTV formula, with the lifetime capped
    as Jason Cohen argues in "The mistake of 1/c in LTV calculations" (A
    Smart Bear, 2013); a 5-year cap is a common practitioners' convention.

    Examples
    --------
    >>> mrr = pd.DataFrame({"account_id": ["a"] * 3, "mrr": [100.0] * 3,
    ...                     "month": pd.date_range("2025-01-01", periods=3, freq="MS")})
    >>> # nobody churned: the formula is infinite, the capped lifetime 60 months
    >>> ltv_capped(mrr, gross_margin=0.8, period=("2025-01", "2025-03"))  # 100 × 0.8 × 60
    4800.0
    >>> ltv_capped(mrr, gross_margin=0.8, period="2025Q1", max_lifetime_months=12)
    960.0
    """
    _check_positive("max_lifetime_months", max_lifetime_months)
    arpa, churn, _ = _arpa_and_churn(mrr, gross_margin, period, segment, accounts, columns)
    lifetime = max_lifetime_months if churn == 0 else min(1 / churn, max_lifetime_months)
    return float(arpa * gross_margin * lifetime)


@_metric
def ltv_cohort(mrr: pd.DataFrame, *, gross_margin: float, period: Period = None,
               horizon_months: int = 24, segment: str | None = None,
               accounts: pd.DataFrame | None = None, columns: Columns = None) -> float:
    """Cohort LTV: observed gross profit per new customer over its first ``horizon_months``.

    For each age ``k`` (months since the customer's first paid month),
    average the MRR of every customer observed at that age, those who churned
    counting 0 and those who expanded counting more; sum over ``k < horizon``
    and multiply by the gross margin:
    ``LTV_H = gross margin × Σ_k Σ_customers MRR(age k) / customers observed at age k``.
    Customers are every account first paid on or before the last month of
    ``period``, observed up to that month (the start of ``period`` is not
    used: a cohort view needs the history). Accounts already paying in the
    first month of data are left out: they were acquired before the data
    starts (left-censored), and counting them as new customers would credit
    a cohort with the revenue of survivors of every age. Unit: currency per customer
    over ``horizon_months``. The cohort method of Skok's "SaaS Metrics 2.0" and of
    SaaS Capital's retention research.

    When it misleads: it is truncated at the horizon, so it is a floor
    (customers still paying after 24 months are worth more); long ages rest
    on the oldest cohorts only, which may differ from today's customers (mix,
    price, product). Undefined when no cohort has reached the horizon yet.
    :func:`ltv_formula` is the opposite trade: a full lifetime, on strong
    assumptions.

    Examples
    --------
    >>> mrr = pd.DataFrame({"account_id": ["x", "x", "a", "a", "b", "a"],
    ...                     "month": pd.to_datetime(["2024-12-01", "2025-01-01", "2025-01-01",
    ...                                              "2025-02-01", "2025-02-01", "2025-03-01"]),
    ...                     "mrr": [900.0, 900.0, 100.0, 100.0, 50.0, 120.0]})
    >>> # x paid before the data starts: left out. Of a and b, age 0: (100 + 50) / 2 = 75;
    >>> # age 1: (100 + 0) / 2 = 50 (b churned)
    >>> ltv_cohort(mrr, gross_margin=1.0, period="2025-03", horizon_months=2)
    125.0
    """
    _check_margin(gross_margin)
    _check_positive("horizon_months", horizon_months)
    rows, _, last, data_first = _mrr_scope(mrr, period, segment, accounts, columns)
    months = pd.date_range(data_first, last, freq="MS")
    wide = _wide(rows, months).to_numpy()
    paid = wide > 0
    has = paid.any(axis=1) & ~paid[:, 0]  # acquired inside the data (not left-censored)
    wide, paid = wide[has], paid[has]
    if len(wide) == 0:
        raise _Undefined(f"no customer was acquired between {data_first:%Y-%m} and "
                         f"{last:%Y-%m}{_where(segment)}")
    start = paid.argmax(axis=1)
    ages = np.arange(horizon_months)
    col = start[:, None] + ages[None, :]
    seen = col < wide.shape[1]
    observed = seen.sum(axis=0)
    if observed[-1] == 0:
        raise _Undefined(f"no customer has been observed for {horizon_months} months by "
                         f"{last:%Y-%m}{_where(segment)} (the data start in {data_first:%Y-%m});"
                         " lower horizon_months")
    revenue = np.where(seen, wide[np.arange(len(wide))[:, None], np.minimum(col, wide.shape[1]
                                                                             - 1)], 0.0)
    return float(gross_margin * (revenue.sum(axis=0) / observed).sum())


@_metric
def ltv_to_cac(mrr: pd.DataFrame, costs: pd.DataFrame, mrr_movements: pd.DataFrame, *,
               gross_margin: float, period: Period = None, method: str = "capped",
               horizon_months: int = 24, max_lifetime_months: int = 60,
               columns: Columns = None) -> float:
    """LTV:CAC, lifetime gross profit of a customer over the cost of acquiring one.

    ``LTV:CAC = LTV / CAC`` with LTV from :func:`ltv_capped` (``method=
    "capped"``, default: lifetime capped at ``max_lifetime_months``),
    :func:`ltv_formula` (``method="formula"``, uncapped) or
    :func:`ltv_cohort` (``method="cohort"``) and the blended CAC of
    :func:`customer_acquisition_cost`. Unit: ratio (×). Skok's rule of
    thumb: above 3 is healthy, below 1 loses money on every customer. It
    inherits the weaknesses of the LTV chosen (see there).

    Examples
    --------
    >>> mrr = pd.DataFrame({"account_id": ["a", "b", "a", "b", "a"],
    ...                     "month": pd.to_datetime(["2025-01-01", "2025-01-01", "2025-02-01",
    ...                                              "2025-02-01", "2025-03-01"]),
    ...                     "mrr": [100.0] * 5})
    >>> costs = pd.DataFrame({"month": pd.to_datetime(["2025-01-01", "2025-02-01",
    ...                                                "2025-03-01"]),
    ...                       "department": ["marketing"] * 3, "amount": [80.0, 80.0, 0.0]})
    >>> moves = classify_mrr_movements(mrr)  # two new customers in January
    >>> # LTV 100 × 0.8 × 4 months = 320 over CAC 160 / 2
    >>> ltv_to_cac(mrr, costs, moves, gross_margin=0.8, period=("2025-01", "2025-03"))
    4.0
    """
    _choice("method", method, ("capped", "formula", "cohort"))
    if method == "capped":
        ltv = _raw(ltv_capped)(mrr, gross_margin=gross_margin, period=period,
                               max_lifetime_months=max_lifetime_months, columns=columns)
    elif method == "formula":
        ltv = _raw(ltv_formula)(mrr, gross_margin=gross_margin, period=period, columns=columns)
    else:
        ltv = _raw(ltv_cohort)(mrr, gross_margin=gross_margin, period=period,
                               horizon_months=horizon_months, columns=columns)
    cac = _raw(customer_acquisition_cost)(costs, mrr_movements, period=period, columns=columns)
    return _ratio(ltv, cac, "CAC is 0")


@_metric
def cac_payback_months(costs: pd.DataFrame, mrr_movements: pd.DataFrame, *,
                       gross_margin: float, period: Period = None,
                       departments: Sequence[str] = SALES_AND_MARKETING,
                       columns: Columns = None) -> float:
    """Months of gross profit a new customer needs to repay its acquisition cost.

    ``CAC = sales and marketing cost in period / new customers in period``;
    ``payback = CAC / (mean new MRR per new customer × gross margin)``
    (the KeyBanc / Scale Venture Partners convention). Sales and marketing
    are the departments in :data:`SALES_AND_MARKETING`. Unit: months.

    Examples
    --------
    >>> costs = pd.DataFrame({"month": pd.to_datetime(["2025-01-01", "2025-02-01"]),
    ...                       "department": ["marketing", "field_sales"],
    ...                       "amount": [600.0, 600.0]})
    >>> moves = pd.DataFrame({"month": pd.to_datetime(["2025-01-01", "2025-02-01"]),
    ...                       "movement": ["new", "new"], "mrr_change": [40.0, 60.0]})
    >>> cac_payback_months(costs, moves, gross_margin=0.8, period="2025")  # 600 / (50 × 0.8)
    15.0
    """
    _check_margin(gross_margin)
    costs = _table(costs, "costs", ("month", "department", "amount"), columns)
    first, last = month_range(period, months=costs["month"])
    new = _new_customers(mrr_movements, first, last, ("new",), columns)
    if len(new) == 0:
        raise _Undefined(f"no new customers in {_span(first, last)}")
    cac = _cost(costs, first, last, departments, columns) / len(new)
    return _ratio(cac, new["mrr_change"].mean() * gross_margin, "the new customers' MRR is 0")


@_metric
def magic_number(costs: pd.DataFrame, mrr: pd.DataFrame, *, period: Period = None,
                 lag_months: int = 3, departments: Sequence[str] = SALES_AND_MARKETING,
                 columns: Columns = None) -> float:
    """Sales efficiency: net new ARR in ``period`` over the S&M cost of the window before it.

    ``magic number = 12 × (MRR of the last month − MRR of the month before
    the period) / S&M cost of a window as long as the period, ``lag_months``
    earlier`` (default: one quarter). For a quarter this is Scale Venture
    Partners' original ``ΔQuarterly revenue × 4 / prior quarter's S&M``.
    Unit: ratio (×). Benchmarks (BENCHMARKS.md): > 1 invest more, 0.5–1
    inefficient, < 0.5 the model is not working; KeyBanc 2024 median ≈ 0.7.
    No segment: costs are not split by segment.

    Examples
    --------
    >>> mrr = pd.DataFrame({"account_id": ["a", "a"],
    ...                     "month": pd.to_datetime(["2024-12-01", "2025-03-01"]),
    ...                     "mrr": [100.0, 150.0]})
    >>> costs = pd.DataFrame({"month": pd.date_range("2024-10-01", "2025-03-01", freq="MS"),
    ...                       "department": "marketing", "amount": 100.0})
    >>> magic_number(costs, mrr, period="2025Q1")  # 12 × 50 / (3 × 100) for Oct–Dec 2024
    2.0
    """
    if not isinstance(lag_months, int | np.integer) or lag_months < 0:
        raise ValueError(f"lag_months must be a whole number of months >= 0, got {lag_months!r}")
    _, first, last, _ = _mrr_scope(mrr, period, None, None, columns, opening=True)
    added = 12 * _net_new_mrr(mrr, period, columns)
    cost = _cost(costs, _next(first, -lag_months), _next(last, -lag_months), departments, columns)
    return _ratio(added, cost, "the lagged sales and marketing cost is 0")


@_metric
def marketing_efficiency_ratio(costs: pd.DataFrame, mrr_movements: pd.DataFrame, *,
                               period: Period = None, departments: Sequence[str] = ("marketing",),
                               movements: Sequence[str] = ("new",),
                               columns: Columns = None) -> float:
    """New-customer ARR won per unit of marketing cost in ``period``.

    ``MER = 12 × Σ new MRR in period / marketing cost in period`` (people and
    programmes). The marketing-only counterpart of the magic number: how much
    new annual recurring revenue each yen of marketing bought (practitioners'
    "marketing efficiency ratio"; e-commerce uses total revenue / marketing
    spend instead). Unit: ratio (×). Expansion is left out (it is bought by
    customer success, not marketing); the window has no lag, so a rising
    budget lowers it before its leads close.

    Examples
    --------
    >>> costs = pd.DataFrame({"month": pd.to_datetime(["2025-01-01", "2025-01-01"]),
    ...                       "department": ["marketing", "field_sales"],
    ...                       "amount": [1200.0, 5000.0]})
    >>> moves = pd.DataFrame({"month": pd.to_datetime(["2025-01-01"] * 2),
    ...                       "movement": ["new", "expansion"], "mrr_change": [300.0, 50.0]})
    >>> marketing_efficiency_ratio(costs, moves, period="2025-01")  # 12 × 300 / 1200
    3.0
    """
    first, last = month_range(period, months=_table(costs, "costs", ("month",), columns)["month"])
    cost = _cost(costs, first, last, departments, columns, what="marketing")
    new = _new_customers(mrr_movements, first, last, movements, columns)
    return _ratio(12 * new["mrr_change"].sum(), cost, "marketing cost is 0")


@_metric
def cac_ratio(costs: pd.DataFrame, mrr_movements: pd.DataFrame, *, period: Period = None,
              departments: Sequence[str] = SALES_AND_MARKETING,
              movements: Sequence[str] = ("new", "expansion"),
              columns: Columns = None) -> float:
    """Blended CAC ratio: sales and marketing cost per unit of new ARR (new and expansion).

    ``CAC ratio = S&M cost in period / (12 × Σ MRR of the new and expansion
    movements in period)``; S&M are the departments in
    :data:`SALES_AND_MARKETING` (people, programmes, commission). Unit: ratio
    (yen of S&M per yen of new ARR, expansion included, in the same period;
    the magic number instead divides net new ARR by the S&M of the quarter
    before). Source: KeyBanc Capital Markets SaaS Survey's "blended CAC
    ratio" (S&M expense / new ARR from new customers and expansion). No
    segment: costs are not split by segment.

    Examples
    --------
    >>> jan = pd.to_datetime(["2025-01-01", "2025-01-01"])
    >>> costs = pd.DataFrame({"month": jan, "department": ["marketing", "general_admin"],
    ...                       "amount": [1800.0, 5000.0]})
    >>> moves = pd.DataFrame({"month": jan, "movement": ["new", "expansion"],
    ...                       "mrr_change": [100.0, 50.0]})
    >>> cac_ratio(costs, moves, period="2025-01")  # 1800 / (12 × 150)
    1.0
    """
    first, last = month_range(period, months=_table(costs, "costs", ("month",), columns)["month"])
    cost = _cost(costs, first, last, departments, columns)
    won = _new_customers(mrr_movements, first, last, movements, columns)
    arr = 12 * float(won["mrr_change"].sum())
    if arr <= 0:
        raise _Undefined(f"no new or expansion ARR in {_span(first, last)}")
    return cost / arr


def _revenue_and_cost(mrr, costs, period, columns, departments=None, what="company"):
    """(revenue, cost of ``departments`` (None: all), first, last) over ``period``."""
    rows, first, last, _ = _mrr_scope(mrr, period, None, None, columns, opening=True)
    revenue = float(rows.loc[_in(rows["month"], first, last), "mrr"].sum())
    cost = _cost(costs, first, last, departments, columns, what, reach_end=True)
    return revenue, cost, first, last


@_metric
def sm_share_of_revenue(costs: pd.DataFrame, mrr: pd.DataFrame, *, period: Period = None,
                        departments: Sequence[str] = SALES_AND_MARKETING,
                        columns: Columns = None) -> float:
    """Sales and marketing cost as a share of the revenue of ``period``.

    ``S&M share = S&M cost in period / revenue in period`` (revenue as in
    :func:`total_revenue`; S&M the departments in
    :data:`SALES_AND_MARKETING`). Unit: share of revenue. Source: S&M
    expense as % of revenue, KeyBanc Capital Markets SaaS Survey and public
    SaaS filings' operating-expense ratios.

    Examples
    --------
    >>> mrr = pd.DataFrame({"account_id": ["a", "b"],
    ...                     "month": pd.to_datetime(["2025-01-01", "2025-01-01"]),
    ...                     "mrr": [600.0, 400.0]})
    >>> costs = pd.DataFrame({"month": pd.to_datetime(["2025-01-01"] * 2),
    ...                       "department": ["marketing", "general_admin"],
    ...                       "amount": [250.0, 700.0]})
    >>> sm_share_of_revenue(costs, mrr, period="2025-01")  # 250 / 1000
    0.25
    """
    revenue, cost, first, last = _revenue_and_cost(mrr, costs, period, columns, departments,
                                                   "sales and marketing")
    return _ratio(cost, revenue, f"no revenue in {_span(first, last)}")


@_metric
def burn_multiple(costs: pd.DataFrame, mrr: pd.DataFrame, *, period: Period = None,
                  columns: Columns = None) -> float:
    """Burn multiple: cash burned per unit of net new ARR in ``period``.

    ``burn multiple = net burn / net new ARR`` with ``net burn = Σ costs of
    every department in period − revenue in period`` (revenue as in
    :func:`total_revenue`; an accrual proxy for cash burn: no billing
    timing, capex or financing) and ``net new ARR = 12 × (MRR of the last
    month − MRR of the month before the period)``. Unit: ratio (×). Source:
    David Sacks, "The Burn Multiple" (Craft Ventures, 2020): < 1 amazing,
    1–1.5 great, 1.5–2 good, > 2 suspect. Negative when revenue exceeds costs
    (no burn); undefined when net new ARR is not positive (no growth to pay
    for).

    Examples
    --------
    >>> mrr = pd.DataFrame({"account_id": ["a", "a", "b"],
    ...                     "month": pd.to_datetime(["2024-12-01", "2025-01-01", "2025-01-01"]),
    ...                     "mrr": [100.0, 100.0, 50.0]})
    >>> costs = pd.DataFrame({"month": pd.to_datetime(["2025-01-01"] * 2),
    ...                       "department": ["marketing", "general_admin"],
    ...                       "amount": [600.0, 400.0]})
    >>> # net burn 1000 - 150 = 850; net new ARR 12 × (150 - 100) = 600
    >>> round(burn_multiple(costs, mrr, period="2025-01"), 4)
    1.4167
    """
    revenue, cost, first, last = _revenue_and_cost(mrr, costs, period, columns)
    added = 12 * _net_new_mrr(mrr, period, columns)
    if added <= 0:
        raise _Undefined(f"net new ARR in {_span(first, last)} is {added:,.0f}, not positive: "
                         "no growth to divide the burn by")
    return (cost - revenue) / added


def _net_new_mrr(mrr, period, columns) -> float:
    """MRR of the period's last month minus MRR of the month before it."""
    rows, first, last, _ = _mrr_scope(mrr, period, None, None, columns, opening=True)
    return float(rows.loc[rows["month"] == last, "mrr"].sum()
                 - rows.loc[rows["month"] == _next(first, -1), "mrr"].sum())


@_metric
def rule_of_40(mrr: pd.DataFrame, costs: pd.DataFrame, *, period: Period = None,
               columns: Columns = None) -> float:
    """Rule of 40: revenue growth rate plus profit margin, as a share (0.4 = 40 %).

    ``Rule of 40 = growth + margin`` with growth the ARR growth of
    :func:`revenue_growth_rate` (year over year for a year) and margin the
    operating margin ``(revenue − Σ costs of every department) / revenue``
    over the period. The rule is usually stated with the EBITDA or free
    cash flow margin; the simulated company has no depreciation, interest,
    tax or billing timing, so its operating margin stands in for them.
    Unit: share (≥ 0.4 passes). Source: Brad Feld, "The Rule of 40% For a
    Healthy SaaS Company" (2015).

    Examples
    --------
    >>> mrr = pd.DataFrame({"account_id": ["a", "a", "b"],
    ...                     "month": pd.to_datetime(["2024-12-01", "2025-01-01", "2025-01-01"]),
    ...                     "mrr": [100.0, 100.0, 25.0]})
    >>> costs = pd.DataFrame({"month": pd.to_datetime(["2025-01-01"]),
    ...                       "department": ["general_admin"], "amount": [150.0]})
    >>> # growth 125 / 100 - 1 = 0.25; margin (125 - 150) / 125 = -0.2
    >>> round(rule_of_40(mrr, costs, period="2025-01"), 4)
    0.05
    """
    growth = _raw(revenue_growth_rate)(mrr, period=period, columns=columns)
    revenue, cost, first, last = _revenue_and_cost(mrr, costs, period, columns)
    margin = _ratio(revenue - cost, revenue, f"no revenue in {_span(first, last)}")
    return growth + margin


def _expanding_share(detail: str, mrr_movements, mrr, period, segment, accounts, columns):
    rows, first, last, _ = _mrr_scope(mrr, period, segment, accounts, columns)
    active = rows.loc[_in(rows["month"], first, last) & (rows["mrr"] > 0), "account_id"].unique()
    if len(active) == 0:
        raise _Undefined(f"no paying customer in {_span(first, last)}{_where(segment)}")
    moves = _table(mrr_movements, "mrr_movements", ("account_id", "month", "movement", "detail"),
                   columns)
    moves = moves[_in(moves["month"], first, last) & (moves["movement"] == "expansion")
                  & (moves["detail"] == detail)]
    return float(_isin(active, moves["account_id"]).mean())


@_metric
def cross_sell_rate(mrr_movements: pd.DataFrame, mrr: pd.DataFrame, *, period: Period = None,
                    segment: str | None = None, accounts: pd.DataFrame | None = None,
                    columns: Columns = None) -> float:
    """Share of paying customers who bought another product (cross-sell) in ``period``.

    ``cross-sell rate = customers with an expansion movement of detail
    "cross_sell" in period / customers paying in any month of the period``.
    Unit: share of customers. Cross-sell = a related product, up-sell = more
    of the same or a higher plan (the book's chapter 4/5 vocabulary).

    Examples
    --------
    >>> mrr = pd.DataFrame({"account_id": ["a", "b", "c", "d"],
    ...                     "month": pd.to_datetime(["2025-01-01"] * 4), "mrr": [1.0] * 4})
    >>> moves = pd.DataFrame({"account_id": ["a", "b"],
    ...                       "month": pd.to_datetime(["2025-01-01"] * 2),
    ...                       "movement": ["expansion"] * 2, "detail": ["cross_sell", "upsell"]})
    >>> cross_sell_rate(moves, mrr, period="2025-01")  # a of a, b, c, d
    0.25
    """
    return _expanding_share("cross_sell", mrr_movements, mrr, period, segment, accounts, columns)


@_metric
def upsell_rate(mrr_movements: pd.DataFrame, mrr: pd.DataFrame, *, period: Period = None,
                segment: str | None = None, accounts: pd.DataFrame | None = None,
                columns: Columns = None) -> float:
    """Share of paying customers who bought more seats or a higher plan (up-sell) in ``period``.

    ``up-sell rate = customers with an expansion movement of detail "upsell"
    in period / customers paying in any month of the period``. Unit: share
    of customers.

    Examples
    --------
    >>> mrr = pd.DataFrame({"account_id": ["a", "b", "c", "d"],
    ...                     "month": pd.to_datetime(["2025-01-01"] * 4), "mrr": [1.0] * 4})
    >>> moves = pd.DataFrame({"account_id": ["a", "b"],
    ...                       "month": pd.to_datetime(["2025-01-01"] * 2),
    ...                       "movement": ["expansion"] * 2, "detail": ["upsell", "upsell"]})
    >>> upsell_rate(moves, mrr, period="2025-01")  # a and b of four
    0.5
    """
    return _expanding_share("upsell", mrr_movements, mrr, period, segment, accounts, columns)


# =========================================================================== sales
def _opps(opportunities: pd.DataFrame, required: Sequence[str], columns: Columns
          ) -> pd.DataFrame:
    return _table(opportunities, "opportunities", required, columns)


def _closed_in(opportunities: pd.DataFrame, period: Period, segment: str | None,
               columns: Columns = None, extra: Sequence[str] = ()):
    opps = _opps(opportunities, ("is_closed", "is_won", "closed_at", *extra), columns)
    closed = opps[opps["is_closed"].astype(bool)]
    first, last = _window(period, closed["closed_at"], "the closed opportunities")
    closed = _by_segment(closed, "opportunities", segment, None, columns)
    return closed[_in(closed["closed_at"], first, last)], first, last


@_metric
def win_rate(opportunities: pd.DataFrame, *, period: Period = None,
             segment: str | None = None, columns: Columns = None) -> float:
    """Share of the opportunities closed in ``period`` that were won.

    ``win rate = won / (won + lost)``, counting deals by the month they
    closed (CSO Insights' definition). Unit: share of closed deals.

    Examples
    --------
    >>> opps = pd.DataFrame({
    ...     "is_closed": [True, True, True, True, False],
    ...     "is_won": [True, False, False, True, False],
    ...     "segment": ["SMB", "SMB", "MM", "MM", "MM"],
    ...     "closed_at": pd.to_datetime(["2025-01-05", "2025-01-20", "2025-02-01",
    ...                                  "2025-02-03", None]),
    ... })
    >>> win_rate(opps, period="2025")
    0.5
    >>> win_rate(opps, period="2025-01", segment="SMB")
    0.5
    """
    closed, first, last = _closed_in(opportunities, period, segment, columns)
    if len(closed) == 0:
        raise _Undefined(f"no opportunity closed in {_span(first, last)}{_where(segment)}")
    return float(closed["is_won"].astype(bool).mean())


def _statistic(values: pd.Series, statistic: str) -> float:
    return float(getattr(values, statistic)())


@_metric
def sales_cycle_days(opportunities: pd.DataFrame, *, period: Period = None,
                     segment: str | None = None, statistic: str = "median",
                     columns: Columns = None) -> float:
    """Days from opportunity creation to close, over deals won in ``period``.

    ``cycle = closed_at − created_at`` of each deal won in the period, its
    median (default) or mean. Unit: days. The Bridge Group's definition
    (median 60–72 days at $25–35K ACV).

    Examples
    --------
    >>> opps = pd.DataFrame({
    ...     "is_closed": [True, True, True], "is_won": [True, True, False],
    ...     "segment": ["SMB"] * 3,
    ...     "created_at": pd.to_datetime(["2025-01-01", "2025-01-01", "2025-01-01"]),
    ...     "closed_at": pd.to_datetime(["2025-01-11", "2025-01-31", "2025-03-01"]),
    ... })
    >>> sales_cycle_days(opps, period="2025")
    20.0
    """
    _choice("statistic", statistic, ("median", "mean"))
    won, first, last = _closed_in(opportunities, period, segment, columns, ("created_at",))
    won = won[won["is_won"].astype(bool)]
    if len(won) == 0:
        raise _Undefined(f"no opportunity won in {_span(first, last)}{_where(segment)}")
    return _statistic((won["closed_at"] - won["created_at"]) / pd.Timedelta(days=1), statistic)


@_metric
def lead_to_close_days(leads: pd.DataFrame, opportunities: pd.DataFrame, *,
                       period: Period = None, segment: str | None = None,
                       statistic: str = "median", columns: Columns = None) -> float:
    """Lead time to close: days from the lead's first touch to the won deal's close.

    ``lead time = closed_at − inquiry_at`` of the source lead, over deals won
    in ``period``; median (default) or mean. Unit: days. The book's
    "transition time" from lead to revenue (chapter 5); it adds the
    waterfall's time (inquiry → opportunity) to the sales cycle.

    Examples
    --------
    >>> leads = pd.DataFrame({"lead_id": ["L1", "L2"],
    ...                       "inquiry_at": pd.to_datetime(["2025-01-01", "2025-01-01"])})
    >>> opps = pd.DataFrame({"lead_id": ["L1", "L2"], "is_closed": [True, True],
    ...                      "is_won": [True, True], "segment": ["SMB", "SMB"],
    ...                      "closed_at": pd.to_datetime(["2025-03-02", "2025-04-01"])})
    >>> lead_to_close_days(leads, opps, period="2025", statistic="mean")  # (60 + 90) / 2
    75.0
    """
    _choice("statistic", statistic, ("median", "mean"))
    won, first, last = _closed_in(opportunities, period, segment, columns, ("lead_id",))
    won = won[won["is_won"].astype(bool)]
    leads = _table(leads, "leads", ("lead_id", "inquiry_at"), columns)
    inquiry = _lead_values(won, leads, "inquiry_at")
    days = ((won["closed_at"] - inquiry) / pd.Timedelta(days=1)).dropna()
    if len(days) == 0:
        raise _Undefined(f"no deal won in {_span(first, last)}{_where(segment)} with a known "
                         "source lead")
    return _statistic(days, statistic)


_SNAP_COLS = ("snapshot_date", "amount")


@_metric
def pipeline_value(pipeline_snapshots: pd.DataFrame, *, period: Period = None,
                   segment: str | None = None, weighted: bool = False,
                   columns: Columns = None) -> float:
    """Open pipeline at the end of ``period``: the amount of every deal open on its last snapshot.

    ``pipeline = Σ amount`` (ACV) of the opportunities in the last weekly
    snapshot dated in the period; ``weighted=True`` multiplies each by the
    probability the rep showed that day (``rep_probability``): the weighted
    pipeline of the book's chapter 5. Snapshots are point-in-time: no
    knowledge of later outcomes leaks in. Unit: currency (annual contract
    value). A CRM export without history can be used as one snapshot of
    today.

    Examples
    --------
    >>> snaps = pd.DataFrame({
    ...     "snapshot_date": pd.to_datetime(["2025-03-24", "2025-03-31", "2025-03-31"]),
    ...     "segment": ["SMB", "SMB", "MM"], "amount": [100.0, 100.0, 300.0],
    ...     "rep_probability": [0.1, 0.5, 0.2]})
    >>> pipeline_value(snaps, period="2025Q1")  # the 31 March snapshot
    400.0
    >>> pipeline_value(snaps, period="2025Q1", weighted=True)  # 100 × 0.5 + 300 × 0.2
    110.0
    """
    snaps = _table(pipeline_snapshots, "pipeline_snapshots",
                   _SNAP_COLS + (("rep_probability",) if weighted else ()), columns)
    first, last = _window(period, snaps["snapshot_date"], "pipeline_snapshots", reach_end=True)
    dates = snaps["snapshot_date"]
    day = dates[_in(dates, first, last)].max()
    if pd.isna(day):
        raise _Undefined(f"no pipeline snapshot in {_span(first, last)}")
    snaps = _by_segment(snaps[dates == day], "pipeline_snapshots", segment, None, columns)
    amount = snaps["amount"] * (snaps["rep_probability"] if weighted else 1.0)
    return float(amount.sum())


def _quota_by_rep(reps: pd.DataFrame, first, last, segment, columns, *,
                  whole_period: bool = False, ramp: bool = True) -> pd.Series:
    """Each quota-carrying rep's quota for months first..last, prorated and ramped.

    A rep counts from the first whole month after the hire date (a rep hired
    on the 1st counts that month); there is no leaving date, so reps count to
    the end. With ``ramp`` and a ``ramp_months`` column, the rep's k-th month
    (k = 1 the first month counted) carries ``min(k / ramp_months, 1)`` of the
    monthly quota (a linear ramp). With ``whole_period`` only the reps on board
    for every month of the window are kept.
    """
    ramped = ramp and "ramp_months" in {*getattr(reps, "columns", ()),
                                        *(k for k, v in (columns or {}).items()
                                          if v in getattr(reps, "columns", ()))}
    reps = _table(reps, "reps", ("rep_id", "hired_on", "quota_annual",
                                 *(("ramp_months",) if ramped else ())), columns)
    reps = reps[reps["quota_annual"].fillna(0) > 0]
    reps = _by_segment(reps, "reps", segment, None, columns)
    hired = reps["hired_on"].to_numpy(dtype="datetime64[ns]")
    month = hired.astype("datetime64[M]")
    starts = np.where(month.astype("datetime64[ns]") == hired, month, month + 1)
    window = np.arange(np.datetime64(first, "M"), np.datetime64(last, "M") + 1)
    tenure = (window[None, :] - starts[:, None]).astype(int) + 1  # k-th month on board
    if ramped:
        ramp_months = np.maximum(reps["ramp_months"].fillna(1).to_numpy(dtype=float), 1.0)
    else:
        ramp_months = np.ones(len(reps))
    share = np.where(tenure >= 1, np.minimum(tenure / ramp_months[:, None], 1.0), 0.0)
    quota = pd.Series(reps["quota_annual"].to_numpy() / 12 * share.sum(axis=1),
                      index=reps["rep_id"].to_numpy(), name="quota")
    on_board = (tenure >= 1).all(axis=1)
    return quota[on_board] if whole_period else quota


@_metric
def pipeline_coverage(pipeline_snapshots: pd.DataFrame, reps: pd.DataFrame, *,
                      period: Period = None, segment: str | None = None,
                      target: float | None = None, per: str = "period",
                      columns: Columns = None) -> float:
    """Open pipeline due in ``period`` at its start, over the quota (or target) of the period.

    ``coverage = Σ amount of deals open on the first snapshot of the window
    with an expected close date inside the window / quota of the window``.
    Quota: the field reps' annual quotas prorated by month and ramped over
    their ``ramp_months`` (see :func:`rep_attainment`), or ``target`` (for
    the whole period) when given. ``per="quarter"`` measures each calendar quarter of the period at
    its own start and returns ``Σ pipeline / Σ quota``, which is what the
    "3× coverage" rule of thumb is about; over a whole year measured on
    1 January, coverage is far lower since most of the year's deals do not
    exist yet. Unit: ratio (×).

    Examples
    --------
    >>> snaps = pd.DataFrame({
    ...     "snapshot_date": pd.to_datetime(["2025-01-06", "2025-01-06", "2025-01-13"]),
    ...     "segment": ["SMB"] * 3, "amount": [600.0, 900.0, 5000.0],
    ...     "expected_close_date": pd.to_datetime(["2025-02-01", "2025-05-01", "2025-03-01"])})
    >>> reps = pd.DataFrame({"rep_id": ["R1"], "segment": ["SMB"],
    ...                      "hired_on": pd.to_datetime(["2020-01-01"]),
    ...                      "quota_annual": [1200.0]})
    >>> pipeline_coverage(snaps, reps, period="2025Q1")  # 600 due in Q1 / (1200 × 3/12)
    2.0
    >>> pipeline_coverage(snaps, reps, period="2025Q1", target=200.0)
    3.0
    """
    _choice("per", per, ("period", "quarter"))
    snaps = _table(pipeline_snapshots, "pipeline_snapshots",
                   ("snapshot_date", "amount", "expected_close_date"), columns)
    first, last = _window(period, snaps["snapshot_date"], "pipeline_snapshots")
    if per == "quarter":
        quarters = pd.period_range(first, last, freq="Q")
        windows = [(max(q.asfreq("M", "start").to_timestamp(), first),
                    min(q.asfreq("M", "end").to_timestamp(), last)) for q in quarters]
    else:
        windows = [(first, last)]
    months = _n_months(first, last)
    dates = snaps["snapshot_date"]
    pipeline = quota = 0.0
    for w_first, w_last in windows:
        day = dates[_in(dates, w_first, w_last)].min()
        if pd.isna(day):
            raise _Undefined(f"no pipeline snapshot in {_span(w_first, w_last)}")
        open_then = _by_segment(snaps[dates == day], "pipeline_snapshots", segment, None,
                                columns)
        due = _in(open_then["expected_close_date"], w_first, w_last)
        pipeline += open_then.loc[due, "amount"].sum()
        if target is None:
            quota += _quota_by_rep(reps, w_first, w_last, segment, columns).sum()
        else:
            quota += target * _n_months(w_first, w_last) / months
    return _ratio(pipeline, quota, f"the quota of {_span(first, last)}{_where(segment)} is 0")


@_metric
def pipeline_progression_rate(opportunity_stages: pd.DataFrame, opportunities: pd.DataFrame,
                              *, period: Period = None, segment: str | None = None,
                              forward_stages: Sequence[str] = _FORWARD_STAGES,
                              columns: Columns = None) -> float:
    """Share of the deals open during ``period`` that moved forward at least one stage in it.

    ``progression = deals open at some time in the period that entered a
    later stage in it (demo, proposal, negotiation or closed_won) / deals open
    at some time in the period``. A deal is open from ``created_at`` until
    ``closed_at``; losing is not progress, and a deal that only sat still is
    the stalled pipeline this rate exposes. Unit: share of deals. SalesOps'
    stage-progression view (chapter 5); stage-to-stage rates are in
    :func:`conversion_rates`.

    Examples
    --------
    >>> opps = pd.DataFrame({"opportunity_id": ["O1", "O2", "O3"], "segment": ["SMB"] * 3,
    ...     "created_at": pd.to_datetime(["2025-01-02", "2025-01-05", "2025-01-09"]),
    ...     "closed_at": pd.to_datetime(["2025-01-20", None, "2025-01-25"])})
    >>> stages = pd.DataFrame({"opportunity_id": ["O1", "O1", "O2", "O3", "O3"],
    ...     "stage": ["discovery", "demo", "discovery", "discovery", "closed_lost"],
    ...     "entered_at": pd.to_datetime(["2025-01-02", "2025-01-10", "2025-01-05",
    ...                                   "2025-01-09", "2025-01-25"])})
    >>> round(pipeline_progression_rate(stages, opps, period="2025-01"), 4)  # O1 of three
    0.3333
    """
    opps = _opps(opportunities, ("opportunity_id", "created_at", "closed_at"), columns)
    stages = _table(opportunity_stages, "opportunity_stages",
                    ("opportunity_id", "stage", "entered_at"), columns)
    first, last = _window(period, opps["created_at"], "opportunities")
    opps = _by_segment(opps, "opportunities", segment, None, columns)
    worked = opps[(opps["created_at"] < _next(last))
                  & (opps["closed_at"].isna() | (opps["closed_at"] >= first))]
    if len(worked) == 0:
        raise _Undefined(f"no opportunity open in {_span(first, last)}{_where(segment)}")
    moved = stages.loc[_isin(stages["stage"], forward_stages)
                       & _in(stages["entered_at"], first, last), "opportunity_id"]
    return float(_isin(worked["opportunity_id"], moved).mean())


def _velocity_levers(opportunities, period, segment, columns):
    """(deals, first, last, win rate, mean won ACV, mean cycle days, span) of sales velocity."""
    closed, first, last = _closed_in(opportunities, period, segment, columns,
                                     ("created_at", "amount"))
    opps = _by_segment(_opps(opportunities, ("created_at", "closed_at", "amount"), columns),
                       "opportunities", segment, None, columns)
    _window((f"{first:%Y-%m}", f"{last:%Y-%m}"), opps["created_at"], "opportunities",
            reach_end=True)
    span = f"{_span(first, last)}{_where(segment)}"
    if len(closed) == 0:
        raise _Undefined(f"no opportunity closed in {span}")
    won = closed[closed["is_won"].astype(bool)]
    if len(won) == 0:
        raise _Undefined(f"no opportunity won in {span}: no deal size or cycle")
    cycle = ((won["closed_at"] - won["created_at"]) / pd.Timedelta(days=1)).mean()
    if not cycle > 0:
        raise _Undefined(f"the won deals of {span} closed the day they were created")
    return opps, first, last, len(won) / len(closed), float(won["amount"].mean()), cycle


@_metric
def sales_velocity(opportunities: pd.DataFrame, *, period: Period = None,
                   segment: str | None = None, columns: Columns = None) -> float:
    """Sales velocity: the open pipeline's expected bookings per day.

    ``velocity = open opportunities × win rate × average deal size / average
    sales cycle``: the deals open at the end of ``period`` (created before
    its end and not closed by then), times the win rate, the mean ACV of the
    deals won and the mean days from creation to a win of the deals closed
    in the period. Unit: currency (ACV) per day. The standard four-lever
    formula (HubSpot, Salesforce, Pipedrive "sales velocity"): raise any
    numerator lever or shorten the cycle. In a steady flow the open pipeline
    is deals created per day × cycle, so it equals
    :func:`sales_velocity_flow`; the old count of deals created in a whole
    period inflated it by period / cycle.

    Examples
    --------
    >>> opps = pd.DataFrame({"is_closed": [True, True, False, False],
    ...     "is_won": [True, False, False, False], "segment": ["SMB"] * 4,
    ...     "amount": [300.0, 100.0, 200.0, 200.0],
    ...     "created_at": pd.to_datetime(["2025-01-01", "2025-01-01", "2025-01-20",
    ...                                   "2025-01-25"]),
    ...     "closed_at": pd.to_datetime(["2025-01-21", "2025-01-11", None, None])})
    >>> sales_velocity(opps, period="2025-01")  # 2 open × 0.5 × 300 / 20 days
    15.0
    """
    opps, first, last, rate, size, cycle = _velocity_levers(opportunities, period, segment,
                                                            columns)
    end = _next(last)
    open_at_end = (opps["created_at"] < end) & ~(opps["closed_at"] < end)
    return float(open_at_end.sum() * rate * size / cycle)


@_metric
def sales_velocity_flow(opportunities: pd.DataFrame, *, period: Period = None,
                        segment: str | None = None, columns: Columns = None) -> float:
    """Sales velocity of the period's flow: deals created per day × win rate × deal size.

    ``flow velocity = opportunities created in period / days in period × win
    rate × average deal size``, with the win rate and mean won ACV of the
    deals closed in the period. It is the variant of :func:`sales_velocity`
    that replaces the open pipeline by its inflow (Little's law: open deals
    = inflow per day × cycle days), so no cycle length is needed. Unit:
    currency (ACV) per day. Source: the standard sales velocity formula
    (HubSpot, Salesforce) written per day of the period's flow.

    Examples
    --------
    >>> opps = pd.DataFrame({"is_closed": [True, True, False],
    ...     "is_won": [True, False, False], "amount": [310.0, 90.0, 500.0],
    ...     "created_at": pd.to_datetime(["2025-01-02", "2025-01-05", "2025-01-30"]),
    ...     "closed_at": pd.to_datetime(["2025-01-20", "2025-01-25", None])})
    >>> sales_velocity_flow(opps, period="2025-01")  # 3 created / 31 days × 0.5 × 310
    15.0
    """
    opps, first, last, rate, size, _ = _velocity_levers(opportunities, period, segment,
                                                        columns)
    days = (_next(last) - first) / pd.Timedelta(days=1)
    created = int(_in(opps["created_at"], first, last).sum())
    return float(created / days * rate * size)


def rep_attainment(opportunities: pd.DataFrame, reps: pd.DataFrame, *, period: Period = None,
                   segment: str | None = None, whole_period: bool = False,
                   ramp: bool = True, columns: Columns = None) -> pd.DataFrame:
    """Each quota-carrying rep's bookings, quota and attainment in ``period``.

    ``attainment = bookings / quota``: bookings are the ACV (``amount``) of
    the deals the rep owned and won in the period. The quota is prorated by
    month, counting from the first whole month after the hire date (no
    leaving date), and ramped: in its k-th month on board a rep carries
    ``min(k / ramp_months, 1)`` of the monthly quota ``quota_annual / 12``
    (a linear ramp over the ``ramp_months`` column; ``ramp=False`` or no
    such column: full quota from the first month). So
    ``quota = quota_annual / 12 × Σ over the period's months min(k / ramp_months, 1)``.
    Source: ramped quotas of new sales hires (The Bridge Group, "SaaS AE
    Metrics"; Salesforce and Xactly quota-planning practice), which is how
    the simulated company ramps its reps. Reps with no quota in the period
    are left out; with ``whole_period=True`` so are the reps hired during it.
    Unit: quota and bookings in currency (ACV), attainment a share.
    Returns columns ``rep_id, segment, quota, bookings,
    attainment``; the basis of :func:`quota_attainment` and
    :func:`reps_at_quota_share`.

    Examples
    --------
    >>> reps = pd.DataFrame({"rep_id": ["R1", "R2"], "segment": ["SMB", "SMB"],
    ...                      "hired_on": pd.to_datetime(["2020-01-01", "2025-07-01"]),
    ...                      "ramp_months": [3, 3], "quota_annual": [1200.0, 1200.0]})
    >>> opps = pd.DataFrame({"owner_rep_id": ["R1", "R2"], "is_won": [True, True],
    ...                      "segment": ["SMB", "SMB"], "amount": [1500.0, 300.0],
    ...                      "closed_at": pd.to_datetime(["2025-03-01", "2025-12-01"])})
    >>> # R2 from July: 100 × (1/3 + 2/3 + 1 + 1 + 1 + 1) = 500
    >>> rep_attainment(opps, reps, period="2025")
      rep_id segment   quota  bookings  attainment
    0     R1     SMB  1200.0    1500.0        1.25
    1     R2     SMB   500.0     300.0        0.60
    """
    opps = _opps(opportunities, ("owner_rep_id", "is_won", "closed_at", "amount"), columns)
    first, last = month_range(period, months=opps["closed_at"].dropna())
    quota = _quota_by_rep(reps, first, last, segment, columns, whole_period=whole_period,
                          ramp=ramp)
    quota = quota[quota > 0]
    won = _won_in(_by_segment(opps, "opportunities", segment, None, columns), first, last)
    bookings = won.groupby("owner_rep_id")["amount"].sum()
    reps = _table(reps, "reps", ("rep_id",), columns)
    seg = (reps.set_index("rep_id")["segment"] if "segment" in reps.columns
           else pd.Series(None, index=reps["rep_id"], dtype=object))
    booked = bookings.reindex(quota.index, fill_value=0.0).to_numpy(dtype=float)
    return pd.DataFrame({
        "rep_id": quota.index.to_numpy(),
        "segment": seg.reindex(quota.index).to_numpy(),
        "quota": quota.to_numpy(dtype=float),
        "bookings": booked,
        "attainment": booked / quota.to_numpy(dtype=float),
    })


@_metric
def quota_attainment(opportunities: pd.DataFrame, reps: pd.DataFrame, *, period: Period = None,
                     segment: str | None = None, ramp: bool = True,
                     columns: Columns = None) -> float:
    """Team quota attainment: bookings won in ``period`` over the team's quota for it.

    ``attainment = Σ ACV of deals won in period / Σ quota`` of the
    quota-carrying reps, each quota prorated by month on board and ramped
    (see :func:`rep_attainment`; ``ramp=False`` for the unramped quota).
    Unit: share (1.0 = 100 % of quota). CSO Insights / the Bridge Group
    report it per rep; this is the team total, which can reach 100 % while
    most reps miss (see :func:`reps_at_quota_share`).

    Examples
    --------
    >>> reps = pd.DataFrame({"rep_id": ["R1", "R2"], "segment": ["SMB", "SMB"],
    ...                      "hired_on": pd.to_datetime(["2020-01-01", "2025-07-01"]),
    ...                      "ramp_months": [3, 3], "quota_annual": [1200.0, 1200.0]})
    >>> opps = pd.DataFrame({"owner_rep_id": ["R1", "R2"], "is_won": [True, True],
    ...                      "segment": ["SMB", "SMB"], "amount": [1620.0, 300.0],
    ...                      "closed_at": pd.to_datetime(["2025-03-01", "2025-12-01"])})
    >>> quota_attainment(opps, reps, period="2025")  # 1920 / (1200 + R2's ramped 500)
    1.1294117647058823
    >>> quota_attainment(opps, reps, period="2025", ramp=False)  # 1920 / (1200 + 600)
    1.0666666666666667
    """
    opps = _opps(opportunities, ("owner_rep_id", "is_won", "closed_at", "amount"), columns)
    first, last = _window(period, opps["closed_at"], "opportunities' closed_at",
                          reach_end=True)
    quota = _quota_by_rep(reps, first, last, segment, columns, ramp=ramp).sum()
    won = _won_in(_by_segment(opps, "opportunities", segment, None, columns), first, last)
    return _ratio(won["amount"].sum(), quota,
                  f"no quota in {_span(first, last)}{_where(segment)}")


@_metric
def reps_at_quota_share(opportunities: pd.DataFrame, reps: pd.DataFrame, *,
                        period: Period = None, segment: str | None = None,
                        whole_period: bool = False, ramp: bool = True,
                        columns: Columns = None) -> float:
    """Share of quota-carrying reps whose bookings reached their quota in ``period``.

    ``reps at quota = reps with attainment ≥ 1 / reps with a quota in the
    period``, each rep's quota prorated by month on board and ramped over
    ``ramp_months`` (see :func:`rep_attainment`; ``ramp=False`` for the
    unramped quota). ``whole_period=True`` counts only the reps on board for
    the whole period (the usual survey view); a rep hired shortly before it
    still carries a ramped quota in its first months. Unit: share of reps.
    CSO Insights found ≈ 57–60 % of reps at quota (2010–2013).

    Examples
    --------
    >>> reps = pd.DataFrame({"rep_id": ["R1", "R2"], "segment": ["SMB", "SMB"],
    ...                      "hired_on": pd.to_datetime(["2020-01-01", "2025-07-01"]),
    ...                      "quota_annual": [1200.0, 1200.0]})
    >>> opps = pd.DataFrame({"owner_rep_id": ["R1", "R2"], "is_won": [True, True],
    ...                      "segment": ["SMB", "SMB"], "amount": [1500.0, 300.0],
    ...                      "closed_at": pd.to_datetime(["2025-03-01", "2025-12-01"])})
    >>> reps_at_quota_share(opps, reps, period="2025")  # R1 of R1, R2 (R2: 300 of 600)
    0.5
    >>> reps_at_quota_share(opps, reps, period="2025", whole_period=True)  # R1 of R1
    1.0
    """
    opps = _opps(opportunities, ("closed_at",), columns)
    _window(period, opps["closed_at"], "opportunities' closed_at", reach_end=True)
    table = rep_attainment(opportunities, reps, period=period, segment=segment,
                           whole_period=whole_period, ramp=ramp, columns=columns)
    if len(table) == 0:
        raise _Undefined(f"no rep with a quota in the period{_where(segment)}")
    return float((table["attainment"] >= 1).mean())


@_metric
def activity_volume(opportunities: pd.DataFrame, *, period: Period = None,
                    segment: str | None = None, per: str = "rep",
                    columns: Columns = None) -> float:
    """Sales activities logged on the opportunities created in ``period``, per rep.

    There is no activity log with dates: the opportunities table carries
    ``activities``, the number of calls, meetings and emails logged on each
    deal up to the extraction date. So activity volume is measured on the
    deals created in the period: ``Σ activities / reps owning them``
    (``per="rep"``, default), ``/ deals`` (``per="opportunity"``) or the
    total (``per=None``). Activities on a deal are attributed to the
    period it was created in, and deals still open keep collecting them.
    Unit: activities per rep (or per opportunity, or a count). SalesOps'
    activity metrics of chapter 5.

    Examples
    --------
    >>> opps = pd.DataFrame({"owner_rep_id": ["R1", "R1", "R2"], "segment": ["SMB"] * 3,
    ...                      "activities": [10, 6, 8],
    ...                      "created_at": pd.to_datetime(["2025-01-02", "2025-01-09",
    ...                                                    "2025-01-20"])})
    >>> activity_volume(opps, period="2025-01")  # 24 activities / 2 reps
    12.0
    >>> activity_volume(opps, period="2025-01", per="opportunity")
    8.0
    """
    _choice("per", per, ("rep", "opportunity", None))
    opps = _opps(opportunities, ("owner_rep_id", "created_at", "activities"), columns)
    first, last = _window(period, opps["created_at"], "opportunities", reach_end=True)
    opps = _by_segment(opps, "opportunities", segment, None, columns)
    opps = opps[_in(opps["created_at"], first, last)]
    total = float(opps["activities"].sum())
    if per is None:
        return total
    count = opps["owner_rep_id"].nunique() if per == "rep" else len(opps)
    return _ratio(total, count,
                  f"no opportunity created in {_span(first, last)}{_where(segment)}")


# =========================================================================== retention
@_metric
def logo_churn_rate(mrr: pd.DataFrame, *, period: Period = None, segment: str | None = None,
                    accounts: pd.DataFrame | None = None, columns: Columns = None) -> float:
    """Share of the customers paying at the start of ``period`` who pay nothing at its end.

    Customers are accounts with MRR > 0 in the month *before* the period
    (the opening base); an account that left and came back within the period
    is not counted as lost. Over a 12-month period this is annual logo churn
    (KeyBanc's "unit churn"). Unit: share of customers.

    Examples
    --------
    >>> mrr = pd.DataFrame({
    ...     "account_id": ["a", "b", "c", "a", "c", "a", "d"],
    ...     "month": pd.to_datetime(["2024-12-01"] * 3 + ["2025-06-01"] * 2
    ...                             + ["2025-12-01"] * 2),
    ...     "mrr": [100.0, 50.0, 80.0, 120.0, 80.0, 130.0, 40.0],
    ... })
    >>> round(logo_churn_rate(mrr, period="2025"), 4)  # b and c of a, b, c
    0.6667
    """
    opening, closing = _opening_customers(mrr, period, segment, accounts, columns)
    return float((closing <= 0).mean())


@_metric
def logo_retention_rate(mrr: pd.DataFrame, *, period: Period = None, segment: str | None = None,
                        accounts: pd.DataFrame | None = None, columns: Columns = None) -> float:
    """Customer (logo) retention rate: ``1 − logo churn rate`` over ``period``.

    Share of the customers paying in the month before the period who still
    pay in its last month (the CSOps "retention rate" of chapter 5). Unit:
    share of customers.

    Examples
    --------
    >>> mrr = pd.DataFrame({"account_id": ["a", "b", "a"],
    ...                     "month": pd.to_datetime(["2024-12-01", "2024-12-01", "2025-12-01"]),
    ...                     "mrr": [100.0, 50.0, 130.0]})
    >>> logo_retention_rate(mrr, period="2025")
    0.5
    """
    opening, closing = _opening_customers(mrr, period, segment, accounts, columns)
    return float((closing > 0).mean())


@_metric
def net_revenue_retention(mrr: pd.DataFrame, *, period: Period = None,
                          segment: str | None = None, accounts: pd.DataFrame | None = None,
                          columns: Columns = None) -> float:
    """MRR at the end of ``period`` from the opening customers, over their opening MRR.

    ``NRR = Σ closing MRR of opening customers / Σ opening MRR``: expansion
    counts, new customers do not (SaaS Capital's definition; median 100 %).
    Unit: share (1.05 = 105 %).

    Examples
    --------
    >>> mrr = pd.DataFrame({
    ...     "account_id": ["a", "b", "a", "c"],
    ...     "month": pd.to_datetime(["2024-12-01", "2024-12-01", "2025-12-01", "2025-12-01"]),
    ...     "mrr": [100.0, 100.0, 150.0, 999.0],
    ... })
    >>> net_revenue_retention(mrr, period="2025")  # (150 + 0) / (100 + 100)
    0.75
    """
    opening, closing = _opening_customers(mrr, period, segment, accounts, columns)
    return float(closing.sum() / opening.sum())


@_metric
def gross_revenue_retention(mrr: pd.DataFrame, *, period: Period = None,
                            segment: str | None = None, accounts: pd.DataFrame | None = None,
                            columns: Columns = None) -> float:
    """Like NRR, but each customer's closing MRR is capped at its opening MRR.

    ``GRR = Σ min(closing, opening) / Σ opening``: only losses count, so
    ``GRR ≤ 1`` and ``GRR ≤ NRR`` (SaaS Capital; median 90 %). Unit: share.

    Examples
    --------
    >>> mrr = pd.DataFrame({
    ...     "account_id": ["a", "b", "a", "b"],
    ...     "month": pd.to_datetime(["2024-12-01", "2024-12-01", "2025-12-01", "2025-12-01"]),
    ...     "mrr": [100.0, 100.0, 150.0, 60.0],
    ... })
    >>> gross_revenue_retention(mrr, period="2025")  # (100 + 60) / 200
    0.8
    """
    opening, closing = _opening_customers(mrr, period, segment, accounts, columns)
    return float(np.minimum(closing, opening).sum() / opening.sum())


@_metric
def revenue_churn_rate(mrr: pd.DataFrame, *, period: Period = None, net: bool = False,
                       segment: str | None = None, accounts: pd.DataFrame | None = None,
                       columns: Columns = None) -> float:
    """MRR the opening customers lost (churn and contraction) by the end of ``period``.

    The opening customers are the accounts paying in the month before the
    period (the cohort of :func:`gross_revenue_retention`); for each, the
    loss is ``max(opening MRR − closing MRR, 0)``, closing being its MRR in
    the period's last month. Gross (default): ``revenue churn = Σ loss /
    Σ opening MRR = 1 − GRR``; ``net=True`` nets their expansion too:
    ``Σ (opening − closing) / Σ opening = 1 − NRR`` (negative = "negative
    churn"). Customers won during the period are not in the cohort, so a
    customer won and lost inside the period adds nothing. Unit: share of the
    opening MRR. Source: gross dollar churn = 1 − gross dollar retention of
    the opening cohort (KeyBanc Capital Markets SaaS Survey; SaaS Capital's
    retention definitions). For the average month-to-month rate see
    :func:`monthly_revenue_churn_rate`.

    Examples
    --------
    >>> mrr = pd.DataFrame({"account_id": ["a", "b", "c", "a", "b", "d"],
    ...                     "month": pd.to_datetime(["2024-12-01"] * 3 + ["2025-12-01"] * 3),
    ...                     "mrr": [100.0, 100.0, 200.0, 80.0, 150.0, 500.0]})
    >>> # opening a + b + c = 400; lost: a 20 (contraction), c 200 (churn); d is new
    >>> revenue_churn_rate(mrr, period="2025")  # 220 / 400
    0.55
    >>> revenue_churn_rate(mrr, period="2025", net=True)  # (400 - 230) / 400 = 1 - NRR
    0.425
    """
    opening, closing = _opening_customers(mrr, period, segment, accounts, columns)
    kept = closing if net else np.minimum(closing, opening)
    return float((opening.sum() - kept.sum()) / opening.sum())


@_metric
def expansion_rate(mrr: pd.DataFrame, *, period: Period = None, segment: str | None = None,
                   accounts: pd.DataFrame | None = None, columns: Columns = None) -> float:
    """MRR the opening customers added (up-sell, cross-sell) by the end of ``period``.

    ``expansion rate = Σ max(closing MRR − opening MRR, 0) / Σ opening MRR``
    over the accounts paying in the month before the period, closing being
    their MRR in its last month; so ``expansion rate = NRR − GRR`` and
    ``NRR = 1 − revenue churn + expansion rate``. New customers of the period
    do not count. Unit: share of the opening MRR. Source: expansion ARR of
    the existing customer base over opening ARR (KeyBanc Capital Markets SaaS
    Survey), with the opening cohort of SaaS Capital's NRR / GRR.

    Examples
    --------
    >>> mrr = pd.DataFrame({"account_id": ["a", "b", "a", "b", "c"],
    ...                     "month": pd.to_datetime(["2024-12-01"] * 2 + ["2025-12-01"] * 3),
    ...                     "mrr": [100.0, 100.0, 130.0, 60.0, 999.0]})
    >>> expansion_rate(mrr, period="2025")  # a +30 over 200 (NRR 0.95 - GRR 0.8)
    0.15
    """
    opening, closing = _opening_customers(mrr, period, segment, accounts, columns)
    return float(np.maximum(closing - opening, 0.0).sum() / opening.sum())


@_metric
def monthly_revenue_churn_rate(mrr: pd.DataFrame, *, period: Period = None, net: bool = False,
                               segment: str | None = None,
                               accounts: pd.DataFrame | None = None,
                               columns: Columns = None) -> float:
    """Average monthly MRR churn over ``period``: each month's losses over its opening MRR.

    ``monthly revenue churn = Σ_months (churned + contraction MRR) /
    Σ_months MRR of the month before``, pooled over the months of the
    period (each month's churn and contraction can only come from accounts
    paying the month before, so each month is its own opening cohort);
    ``net=True`` subtracts expansion. Unit: share of MRR per month. Source:
    Skok, "SaaS Metrics 2.0", monthly MRR churn rate. It is *not*
    :func:`revenue_churn_rate` (the opening cohort over the whole period):
    twelve monthly rates of 1 % compound to about 11 % a year.

    Examples
    --------
    >>> mrr = pd.DataFrame({"account_id": ["a", "b", "a", "b", "c", "a", "c"],
    ...                     "month": pd.to_datetime(["2024-12-01"] * 2 + ["2025-01-01"] * 3
    ...                                             + ["2025-02-01"] * 2),
    ...                     "mrr": [100.0, 100.0, 100.0, 50.0, 50.0, 100.0, 50.0]})
    >>> # January: 50 contraction of 200; February: 50 churn of 200 -> 100 / 400
    >>> monthly_revenue_churn_rate(mrr, period=("2025-01", "2025-02"))
    0.25
    """
    rows, first, last, _ = _mrr_scope(mrr, period, segment, accounts, columns, opening=True)
    months = _bridge(rows, first, last, by_month=True)
    if months["opening"].sum() <= 0:
        raise _Undefined(f"no MRR in the month before any month of {_span(first, last)}"
                         f"{_where(segment)}")
    lost = months["churn"] + months["contraction"] - (months["expansion"] if net else 0.0)
    return float(lost.sum() / months["opening"].sum())


@_metric
def quick_ratio(mrr: pd.DataFrame, *, period: Period = None, segment: str | None = None,
                accounts: pd.DataFrame | None = None, columns: Columns = None) -> float:
    """SaaS quick ratio: MRR gained over MRR lost in ``period``.

    ``quick ratio = (new + expansion + reactivation MRR) / (churned +
    contraction MRR)``, the movements of :func:`mrr_bridge` summed over the
    period. Unit: ratio (×); above 4 is efficient growth, below 1 the
    company shrinks. Source: Mamoon Hamid (Social Capital), "The SaaS Quick
    Ratio" (2015). Undefined when nothing was lost (no churn or
    contraction).

    Examples
    --------
    >>> mrr = pd.DataFrame({"account_id": ["a", "b", "a", "c"],
    ...                     "month": pd.to_datetime(["2024-12-01", "2024-12-01",
    ...                                              "2025-01-01", "2025-01-01"]),
    ...                     "mrr": [100.0, 50.0, 130.0, 70.0]})
    >>> quick_ratio(mrr, period="2025-01")  # (70 new + 30 expansion) / 50 churn
    2.0
    """
    rows, first, last, _ = _mrr_scope(mrr, period, segment, accounts, columns, opening=True)
    b = _bridge(rows, first, last).iloc[0]
    lost = b["churn"] + b["contraction"]
    if lost <= 0:
        raise _Undefined(f"no MRR was lost to churn or contraction in {_span(first, last)}"
                         f"{_where(segment)}")
    return float((b["new"] + b["expansion"] + b["reactivation"]) / lost)


# =========================================================================== customer success
def _dated(df: pd.DataFrame, name: str, date_col: str, required: Sequence[str], period, segment,
           accounts, columns):
    df = _table(df, name, (date_col, *required), columns)
    first, last = _window(period, df[date_col], name)
    df = _by_segment(df, name, segment, accounts, columns)
    return df[_in(df[date_col], first, last)], first, last


@_metric
def nps(nps_responses: pd.DataFrame, *, period: Period = None, segment: str | None = None,
        accounts: pd.DataFrame | None = None, columns: Columns = None) -> float:
    """Net Promoter Score of the survey answers in ``period``.

    ``NPS = 100 × (promoters − detractors) / responses``, promoters scoring
    9–10 and detractors 0–6 on "How likely are you to recommend us?"
    (Reichheld, "The One Number You Need to Grow", HBR 2003). Unit: score
    from −100 to 100.

    Examples
    --------
    >>> answers = pd.DataFrame({"account_id": ["a", "b", "c", "d"],
    ...                         "surveyed_at": pd.to_datetime(["2025-03-15"] * 4),
    ...                         "score": [10, 9, 7, 3]})
    >>> nps(answers, period="2025Q1")  # 100 × (2 - 1) / 4
    25.0
    """
    answers, first, last = _dated(nps_responses, "nps_responses", "surveyed_at", ("score",),
                                  period, segment, accounts, columns)
    if len(answers) == 0:
        raise _Undefined(f"no survey answer in {_span(first, last)}{_where(segment)}")
    score = answers["score"]
    return float(100 * ((score >= 9).mean() - (score <= 6).mean()))


def _ratings(tickets, period, segment, accounts, columns) -> pd.Series:
    """The 1–5 CSAT ratings of the tickets resolved in ``period``."""
    rated, first, last = _dated(tickets, "tickets", "resolved_at", ("csat",), period, segment,
                                accounts, columns)
    score = rated["csat"].dropna().astype(float)
    if len(score) == 0:
        raise _Undefined(f"no rated ticket resolved in {_span(first, last)}{_where(segment)}")
    return score


@_metric
def csat(tickets: pd.DataFrame, *, period: Period = None, segment: str | None = None,
         accounts: pd.DataFrame | None = None, threshold: int = CSAT_SATISFIED,
         columns: Columns = None) -> float:
    """CSAT: share of the support ratings in ``period`` that are satisfied (4 or 5 of 5).

    ``CSAT = rated tickets resolved in period scoring ≥ threshold / rated
    tickets resolved in period``: the "top-two-box" CSAT % on a 1–5 scale.
    Unit: share of ratings. Source: the CSAT score as Zendesk, HubSpot and
    the American Customer Satisfaction Index practice report it (satisfied
    responses / all responses). The mean 1–5 rating is another measure:
    :func:`csat_mean_score`.

    Examples
    --------
    >>> t = pd.DataFrame({"account_id": ["a", "b", "c", "d"],
    ...                   "resolved_at": pd.to_datetime(["2025-01-02"] * 3 + [None]),
    ...                   "csat": pd.array([5, 4, 2, None], dtype="Int64")})
    >>> round(csat(t, period="2025-01"), 4)  # 2 of 3 rated
    0.6667
    """
    return float((_ratings(tickets, period, segment, accounts, columns) >= threshold).mean())


@_metric
def csat_mean_score(tickets: pd.DataFrame, *, period: Period = None,
                    segment: str | None = None, accounts: pd.DataFrame | None = None,
                    columns: Columns = None) -> float:
    """Mean 1–5 support rating of the tickets resolved in ``period``.

    ``mean score = Σ ratings / rated tickets``. Unit: score 1–5 (not a
    share: the catalogue's :func:`csat` is the top-two-box share). Source:
    the mean satisfaction rating of a 5-point CSAT survey (Zendesk,
    HubSpot); it hides whether a 3.5 is everyone lukewarm or half delighted
    and half angry, which the share shows better.

    Examples
    --------
    >>> t = pd.DataFrame({"account_id": ["a", "b", "c", "d"],
    ...                   "resolved_at": pd.to_datetime(["2025-01-02"] * 3 + [None]),
    ...                   "csat": pd.array([5, 4, 2, None], dtype="Int64")})
    >>> csat_mean_score(t, period="2025-01")  # (5 + 4 + 2) / 3 rated
    3.6666666666666665
    """
    return float(_ratings(tickets, period, segment, accounts, columns).mean())


@_metric
def ticket_resolution_hours(tickets: pd.DataFrame, *, period: Period = None,
                            segment: str | None = None, accounts: pd.DataFrame | None = None,
                            statistic: str = "median", columns: Columns = None) -> float:
    """Hours from opening to resolution of the support tickets resolved in ``period``.

    Median (default) or mean of ``resolution_hours`` over the tickets
    resolved in the period. Unit: hours. Tickets still open are not counted,
    which flatters a backlog: read it with the number of open tickets.
    Zendesk's "full resolution time".

    Examples
    --------
    >>> t = pd.DataFrame({"account_id": ["a", "b", "c"],
    ...                   "resolved_at": pd.to_datetime(["2025-01-02", "2025-01-05", None]),
    ...                   "resolution_hours": [2.0, 10.0, None]})
    >>> ticket_resolution_hours(t, period="2025-01")
    6.0
    """
    _choice("statistic", statistic, ("median", "mean"))
    done, first, last = _dated(tickets, "tickets", "resolved_at", ("resolution_hours",),
                               period, segment, accounts, columns)
    hours = done["resolution_hours"].dropna()
    if len(hours) == 0:
        raise _Undefined(f"no ticket resolved in {_span(first, last)}{_where(segment)}")
    return _statistic(hours, statistic)


def health_score(usage: pd.DataFrame, *, weights: tuple[float, float, float] = (0.5, 0.3, 0.2),
                 max_tickets: int = 4, columns: Columns = None) -> pd.Series:
    """Customer health score of each account-month, 0–100, from usage and support load.

    ``health = 100 × (w₁ × active_users / seats + w₂ × feature_adoption +
    w₃ × (1 − min(tickets, max_tickets) / max_tickets))``, rounded, with
    weights 50 / 30 / 20 % by default: the CS platform's score in the
    ``usage`` table. Gainsight-style health scores weight usage, adoption
    and support signals; change ``weights`` to test another design. Unit:
    score 0–100 per row.

    Examples
    --------
    >>> usage = pd.DataFrame({"seats": [10, 10], "active_users": [8, 2],
    ...                       "feature_adoption": [0.9, 0.3], "tickets": [0, 4]})
    >>> health_score(usage).tolist()  # 100 × (0.4 + 0.27 + 0.2), 100 × (0.1 + 0.09 + 0)
    [87, 19]
    """
    if len(weights) != 3 or min(weights) < 0 or not np.isclose(sum(weights), 1):
        raise ValueError(f"weights must be three shares >= 0 that sum to 1, got {weights!r}")
    if max_tickets < 1:
        raise ValueError(f"max_tickets must be >= 1, got {max_tickets!r}")
    usage = _table(usage, "usage", ("seats", "active_users", "feature_adoption", "tickets"),
                   columns)
    utilisation = usage["active_users"] / usage["seats"].where(usage["seats"] > 0)
    load = np.minimum(usage["tickets"], max_tickets) / max_tickets
    score = 100 * (weights[0] * utilisation + weights[1] * usage["feature_adoption"]
                   + weights[2] * (1 - load))
    return score.round().astype("Int64").rename("health_score")


@_metric
def customer_health_score(usage: pd.DataFrame, *, period: Period = None,
                          segment: str | None = None, accounts: pd.DataFrame | None = None,
                          statistic: str = "mean", score_col: str = "health_score",
                          columns: Columns = None) -> float:
    """Mean (or median) health score of the customers in the last month of ``period``.

    Averages ``score_col`` (0–100, see :func:`health_score`) over the
    accounts with a usage row in the period's last month. Unit: score 0–100.
    A mean hides the tail: look at the share of accounts below a threshold
    for churn risk.

    Examples
    --------
    >>> usage = pd.DataFrame({"account_id": ["a", "b", "a"],
    ...                       "month": pd.to_datetime(["2025-01-01", "2025-02-01",
    ...                                                "2025-02-01"]),
    ...                       "health_score": [40, 90, 70]})
    >>> customer_health_score(usage, period="2025-02")
    80.0
    """
    _choice("statistic", statistic, ("mean", "median"))
    usage = _table(usage, "usage", ("account_id", "month", score_col), columns)
    months = _month_start(usage["month"])
    first, last = _window(period, months, "usage")
    if months.max() < last:
        raise _Undefined(f"the usage table ends in {months.max():%Y-%m}, before {last:%Y-%m}")
    usage = _by_segment(usage, "usage", segment, accounts, columns)
    scores = usage.loc[months.loc[usage.index] == last, score_col].dropna()
    if len(scores) == 0:
        raise _Undefined(f"no customer with a health score in {last:%Y-%m}{_where(segment)}")
    return _statistic(scores.astype(float), statistic)


# =========================================================================== marketing
def _leads_in(leads, period, segment, channel, columns, required=(), reach_end=False):
    leads = _table(leads, "leads", ("lead_id", "inquiry_at", *required), columns)
    first, last = _window(period, leads["inquiry_at"], "leads", reach_end=reach_end)
    leads = _by_channel(_by_segment(leads, "leads", segment, None, columns), channel)
    return leads[_in(leads["inquiry_at"], first, last)], first, last


@_metric
def lead_volume(leads: pd.DataFrame, *, period: Period = None, segment: str | None = None,
                channel: str | None = None, columns: Columns = None) -> float:
    """Number of leads (inquiries and prospecting targets) that entered the waterfall in ``period``.

    ``lead volume = count of leads with inquiry_at in period``, every source
    included (filter with ``channel``). Unit: count (leads). MOps' volume
    metric; SiriusDecisions' "inquiry" stage.

    Examples
    --------
    >>> leads = pd.DataFrame({"lead_id": ["L1", "L2", "L3"], "channel": ["web", "ads", "web"],
    ...                       "inquiry_at": pd.to_datetime(["2025-01-03", "2025-01-20",
    ...                                                     "2025-02-01"])})
    >>> lead_volume(leads, period="2025-01")
    2.0
    >>> lead_volume(leads, period=("2025-01", "2025-02"), channel="web")
    2.0
    """
    rows, _, _ = _leads_in(leads, period, segment, channel, columns, reach_end=True)
    return float(len(rows))


@_metric
def mql_rate(leads: pd.DataFrame, *, period: Period = None, segment: str | None = None,
             channel: str | None = None, motions: Sequence[str] = ("inbound",),
             mql_col: str = "aql_at", columns: Columns = None) -> float:
    """Share of the inbound inquiries of ``period`` that became marketing-qualified.

    ``MQL rate = leads of period (motion in motions) reaching MQL / those
    leads``, a cohort by inquiry month; in this waterfall the MQL is the AQL
    (automation-qualified lead: the score cleared marketing's threshold).
    Outbound and field-prospecting leads never pass marketing qualification,
    so only ``motions=("inbound",)`` count by default. Unit: share of leads.
    Inquiry → MQL is 10–25 % in MV3 Marketing's ranges (BENCHMARKS.md).

    Examples
    --------
    >>> leads = pd.DataFrame({"lead_id": ["L1", "L2", "L3", "L4"],
    ...     "motion": ["inbound", "inbound", "inbound", "outbound"],
    ...     "inquiry_at": pd.to_datetime(["2025-01-03"] * 4),
    ...     "aql_at": pd.to_datetime(["2025-01-04", None, None, None])})
    >>> round(mql_rate(leads, period="2025-01"), 4)  # L1 of the three inbound leads
    0.3333
    """
    rows, first, last = _leads_in(leads, period, segment, channel, columns,
                                  required=("motion", mql_col))
    rows = rows[_isin(rows["motion"], motions)]
    if len(rows) == 0:
        raise _Undefined(f"no lead of motion {tuple(motions)} in {_span(first, last)}"
                         f"{_where(segment, channel)}")
    return float(rows[mql_col].notna().mean())


@_metric
def cost_per_lead(marketing_spend: pd.DataFrame, leads: pd.DataFrame, *, period: Period = None,
                  channel: str | None = None, columns: Columns = None) -> float:
    """Programme spend per lead in ``period``: ``spend / leads`` of the paid channels.

    With ``channel``: that channel's spend over its leads. Without: all
    spend over the leads of the channels that had spend in the period
    (field prospecting, which costs reps' time rather than programmes, is
    left out). Unit: currency per lead. MOps' CPL.

    Examples
    --------
    >>> spend = pd.DataFrame({"month": pd.to_datetime(["2025-01-01"] * 2),
    ...                       "channel": ["web", "ads"], "spend": [300.0, 500.0]})
    >>> leads = pd.DataFrame({"lead_id": ["L1", "L2", "L3", "L4"],
    ...                       "channel": ["web", "web", "ads", "field_prospecting"],
    ...                       "inquiry_at": pd.to_datetime(["2025-01-05"] * 4)})
    >>> cost_per_lead(spend, leads, period="2025-01", channel="web")
    150.0
    >>> round(cost_per_lead(spend, leads, period="2025-01"), 2)  # 800 / 3 paid leads
    266.67
    """
    spend = _table(marketing_spend, "marketing_spend", ("month", "channel", "spend"), columns)
    months = _month_start(spend["month"])
    first, last = _window(period, months, "marketing_spend")
    spend = spend[_in(months, first, last)]
    rows, _, _ = _leads_in(leads, (f"{first:%Y-%m}", f"{last:%Y-%m}"), None, channel, columns,
                           required=("channel",))
    if channel is None:
        rows = rows[_isin(rows["channel"], spend["channel"])]
    total = _by_channel(spend, channel)["spend"].sum()
    return _ratio(total, len(rows), f"no lead from a paid channel in {_span(first, last)}"
                                    f"{_where(None, channel)}")


@_metric
def marketing_sourced_pipeline(opportunities: pd.DataFrame, leads: pd.DataFrame, *,
                               period: Period = None, segment: str | None = None,
                               channel: str | None = None, motions: Sequence[str] = ("inbound",),
                               share: bool = False, columns: Columns = None) -> float:
    """Pipeline created in ``period`` from leads marketing generated.

    ``marketing-sourced pipeline = Σ amount (ACV) of the opportunities
    created in period whose source lead's motion is inbound`` (marketing's
    inquiries; teleprospecting and field prospecting are sales-sourced). The
    opportunities' own ``motion`` / ``channel`` columns are used when present,
    else they are looked up through ``lead_id`` in ``leads``.
    ``share=True`` divides by all pipeline created in the period (MarketOne:
    19.5 % marketing, 10.5 % teleprospecting, 70 % sales at one company).
    Unit: currency (ACV), or share of pipeline.

    Examples
    --------
    >>> leads = pd.DataFrame({"lead_id": ["L1", "L2", "L3"],
    ...                       "channel": ["web", "ads", "teleprospecting"],
    ...                       "motion": ["inbound", "inbound", "outbound"]})
    >>> opps = pd.DataFrame({"lead_id": ["L1", "L2", "L3"], "segment": ["SMB"] * 3,
    ...                      "amount": [100.0, 200.0, 700.0],
    ...                      "created_at": pd.to_datetime(["2025-01-05"] * 3)})
    >>> marketing_sourced_pipeline(opps, leads, period="2025-01")
    300.0
    >>> marketing_sourced_pipeline(opps, leads, period="2025-01", share=True)
    0.3
    """
    opps = _opps(opportunities, ("lead_id", "created_at", "amount"), columns)
    first, last = _window(period, opps["created_at"], "opportunities", reach_end=True)
    opps = _by_segment(opps, "opportunities", segment, None, columns)
    opps = opps[_in(opps["created_at"], first, last)]
    keep = _isin(_source(opps, leads, "motion", columns), motions)
    if channel is not None:
        keep &= (_source(opps, leads, "channel", columns) == channel).to_numpy()
    sourced = float(opps.loc[keep, "amount"].sum())
    if not share:
        return sourced
    return _ratio(sourced, opps["amount"].sum(),
                  f"no pipeline created in {_span(first, last)}{_where(segment)}")


@_metric
def campaign_roi(marketing_spend: pd.DataFrame, opportunities: pd.DataFrame,
                 leads: pd.DataFrame, *, period: Period = None, channel: str | None = None,
                 gross_margin: float | None = None, columns: Columns = None) -> float:
    """Return on programme spend: first-year bookings a channel sourced, net of its spend.

    ``ROI = (Σ ACV of deals won in period from the channel's leads × margin −
    spend on the channel in period) / spend``; ``gross_margin=None`` counts
    revenue (the marketers' convention), a margin counts gross profit. Leads
    are attributed to their source channel (first touch). Unit: ratio
    (1.0 = the spend came back twice). It counts one year of contract value
    (renewals and expansion would raise it) and ignores the lag between
    spend and close; without channel, all paid channels.

    Examples
    --------
    >>> spend = pd.DataFrame({"month": pd.to_datetime(["2025-01-01"] * 2),
    ...                       "channel": ["web", "ads"], "spend": [100.0, 500.0]})
    >>> leads = pd.DataFrame({"lead_id": ["L1", "L2"], "channel": ["web", "ads"]})
    >>> opps = pd.DataFrame({"opportunity_id": ["O1", "O2"], "lead_id": ["L1", "L2"],
    ...                      "account_id": ["a", "b"], "is_won": [True, True],
    ...                      "amount": [400.0, 300.0],
    ...                      "closed_at": pd.to_datetime(["2025-01-20"] * 2)})
    >>> campaign_roi(spend, opps, leads, period="2025-01", channel="web")  # (400 - 100) / 100
    3.0
    >>> campaign_roi(spend, opps, leads, period="2025-01", channel="ads")  # (300 - 500) / 500
    -0.4
    """
    if gross_margin is not None:
        _check_margin(gross_margin)
    spend, won, first, last = _spend_and_wins(marketing_spend, opportunities, leads, period,
                                              channel, columns)
    back = won["amount"].sum() * (1.0 if gross_margin is None else gross_margin)
    return _ratio(back - spend, spend,
                  f"no programme spend in {_span(first, last)}{_where(None, channel)}")


def _step_motions(step: str, motions: Mapping[str, Sequence[str]] | None) -> tuple[str, ...]:
    """The motions whose leads can take ``step`` (empty: every lead)."""
    return () if motions is None else tuple(motions.get(step, ()))


def conversion_rates(leads: pd.DataFrame, *, period: Period = None, segment: str | None = None,
                     channel: str | None = None, motion: str | None = None,
                     opportunities: pd.DataFrame | None = None,
                     steps: Sequence[tuple[str, str, str]] = WATERFALL_STEPS,
                     motions: Mapping[str, Sequence[str]] | None = WATERFALL_MOTIONS,
                     columns: Columns = None) -> pd.DataFrame:
    """Stage-to-stage conversion rates of the demand waterfall per motion, as a tidy frame.

    For each step ``from → to``: ``rate = leads of the step's motions that
    reached "from" in period and have reached "to" by the extraction date /
    leads of the step's motions that reached "from" in period`` (a cohort by
    the date of the from-stage). The denominator holds only the leads that
    can take the step: inquiry → AQL the inbound leads, inquiry → TGL the
    outbound (teleprospecting) ones, inquiry → SGL the field-sales ones,
    TGL → SAL the TGLs, SAL → SQL the SALs (``motions``, by default
    :data:`WATERFALL_MOTIONS`, read from the ``motion`` column;
    ``motions=None`` pools every lead, which mixes motions in the inquiry
    steps). ``motion="outbound"`` keeps one motion's leads and its steps.
    Stage ``s`` is the lead column ``f"{s}_at"``. With ``opportunities``, the
    last step ``opportunity_to_won`` follows each lead's deal to a win.
    Steps no lead reached in the selection are left out. Unit: share of
    leads, in [0, 1]. Recent cohorts have had less time to convert, so their
    rates are lower (right-censoring). Source: SiriusDecisions' demand
    waterfall, whose inbound, teleprospecting and sales-generated streams
    are measured separately; ranges in BENCHMARKS.md.

    Returns columns ``step, motion, from, to, n_from, n_to, rate``;
    ``motion`` names the motions in the step's denominator, joined by "+"
    (``"all"`` when every lead counts).

    Examples
    --------
    >>> leads = pd.DataFrame({"lead_id": ["L1", "L2", "L3", "L4", "L5"],
    ...     "motion": ["inbound", "inbound", "inbound", "outbound", "outbound"],
    ...     "inquiry_at": pd.to_datetime(["2025-01-03"] * 5),
    ...     "aql_at": pd.to_datetime(["2025-01-04", "2025-01-04", None, None, None]),
    ...     "tgl_at": pd.to_datetime([None, None, None, "2025-01-06", None])})
    >>> conversion_rates(leads, period="2025-01", steps=[("inquiry_to_aql", "inquiry", "aql"),
    ...                                                  ("inquiry_to_tgl", "inquiry", "tgl")])
                 step    motion     from   to  n_from  n_to      rate
    0  inquiry_to_aql   inbound  inquiry  aql       3     2  0.666667
    1  inquiry_to_tgl  outbound  inquiry  tgl       2     1  0.500000

    2 of the 3 inbound inquiries became AQLs, 1 of the 2 outbound targets a
    TGL; over all five leads the rates would read 40 % and 20 %.
    """
    if motions is not None and not isinstance(motions, Mapping):
        raise ValueError("motions must map a step to the motions that can take it, e.g. "
                         f"{{'inquiry_to_tgl': ('outbound',)}}, or be None; got {motions!r}")
    stage_cols = [f"{stage}_at" for _, a, b in steps for stage in (a, b)]
    if opportunities is not None:
        stage_cols.append("opportunity_at")
    needs_motion = motion is not None or (motions is not None and any(
        _step_motions(step, motions) for step, _, _ in steps))
    leads = _table(leads, "leads", ("lead_id", "inquiry_at", *stage_cols,
                                    *(("motion",) if needs_motion else ())), columns)
    try:
        first, last = _window(period, leads["inquiry_at"], "leads")
    except _Undefined as why:
        warnings.warn(f"conversion_rates is undefined ({why}); returned no rows", MetricWarning,
                      stacklevel=2)
        first = last = None
    leads = _by_channel(_by_segment(leads, "leads", segment, None, columns), channel)
    if motion is not None:
        leads = leads[leads["motion"] == motion]
    rows = []
    all_steps = [*steps, *([("opportunity_to_won", "opportunity", "won")]
                           if opportunities is not None else [])]
    won = (None if opportunities is None else
           _opps(opportunities, ("lead_id", "is_won"), columns).pipe(
               lambda o: o.loc[o["is_won"].astype(bool), "lead_id"]))
    for step, source, target in (() if first is None else all_steps):
        able = _step_motions(step, motions)
        pool = leads[_isin(leads["motion"], able)] if able else leads
        cohort = pool[_in(pool[f"{source}_at"], first, last)]
        if len(cohort) == 0:
            continue
        reached = (_isin(cohort["lead_id"], won) if target == "won"
                   else cohort[f"{target}_at"].notna().to_numpy())
        rows.append((step, "+".join(able) if able else "all", source, target, len(cohort),
                     int(reached.sum())))
    out = pd.DataFrame(rows, columns=["step", "motion", "from", "to", "n_from", "n_to"])
    out = out.astype({"n_from": "int64", "n_to": "int64"})
    out["rate"] = (out["n_to"] / out["n_from"]).astype(float)
    if first is not None and len(out) == 0:
        warnings.warn(f"conversion_rates is undefined (no lead reached any stage in "
                      f"{_span(first, last)}{_where(segment, channel)}); returned no rows",
                      MetricWarning, stacklevel=2)
    return out


# =========================================================================== the catalogue
@dataclass(frozen=True)
class KPI:
    """One entry of the KPI catalogue: what :func:`kpi_table`, reports and the glossary show.

    ``function`` is the metric; ``tables`` the company tables passed to it in
    order; ``options`` fixed keyword arguments; ``groups`` the ``by=`` values
    it can be split by (``"segment"``, ``"channel"``). ``unit`` may contain
    ``{currency}``. ``definition`` is the formula in words, ``definition_ja``
    the same in Japanese (from :data:`_DEFINITIONS_JA`).
    """

    name: str
    function: Callable[..., float]
    tables: tuple[str, ...]
    unit: str
    department: str
    definition: str
    label_ja: str
    options: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}),
                                       hash=False)
    groups: tuple[str, ...] = ("segment",)
    definition_ja: str = ""

    def __post_init__(self) -> None:
        if self.department not in DEPARTMENTS:
            raise ValueError(f"department must be one of {DEPARTMENTS}, got {self.department!r}")
        object.__setattr__(self, "options", MappingProxyType(dict(self.options)))


_SEG, _CH, _NONE = ("segment",), ("channel",), ()
_K = KPI
REGISTRY: tuple[KPI, ...] = (
    # RevOps / finance
    _K("total_revenue", total_revenue, ("mrr",), "{currency}", "revops-finance",
       "Recurring revenue recognised in the period (sum of monthly MRR)", "総売上"),
    _K("mrr", monthly_recurring_revenue, ("mrr",), "{currency}/month", "revops-finance",
       "Monthly recurring revenue in the period's last month", "MRR（月次経常収益）"),
    _K("arr", annual_recurring_revenue, ("mrr",), "{currency}/year", "revops-finance",
       "12 × MRR of the period's last month", "ARR（年次経常収益）"),
    _K("revenue_growth_rate", revenue_growth_rate, ("mrr",), "share", "revops-finance",
       "ARR at the period's end over ARR just before it, minus 1", "売上成長率"),
    _K("cac", customer_acquisition_cost, ("costs", "mrr_movements"), "{currency}/customer",
       "revops-finance", "Sales and marketing cost over new customers (fully loaded CAC)",
       "CAC（顧客獲得コスト）", groups=_NONE),
    _K("ltv", ltv_capped, ("mrr",), "{currency}/customer", "revops-finance",
       "ARPA × gross margin × min(1 / monthly logo churn, 60 months)",
       "LTV（顧客生涯価値・5年上限）"),
    _K("ltv_formula", ltv_formula, ("mrr",), "{currency}/customer", "revops-finance",
       "ARPA × gross margin / monthly logo churn (uncapped lifetime)", "LTV（公式法・上限なし）"),
    _K("ltv_cohort_24m", ltv_cohort, ("mrr",), "{currency}/customer", "revops-finance",
       "Observed gross profit per customer over its first 24 months (cohorts)",
       "LTV（コホート法・24か月）", options={"horizon_months": 24}),
    _K("ltv_to_cac", ltv_to_cac, ("mrr", "costs", "mrr_movements"), "ratio", "revops-finance",
       "LTV (lifetime capped at 5 years) over blended CAC", "LTV:CAC比率", groups=_NONE),
    _K("cac_payback_months", cac_payback_months, ("costs", "mrr_movements"), "months",
       "revops-finance", "CAC over a new customer's monthly gross profit", "CAC回収期間",
       groups=_NONE),
    _K("magic_number", magic_number, ("costs", "mrr"), "ratio", "revops-finance",
       "Net new ARR over S&M cost of the window one quarter earlier", "マジックナンバー",
       groups=_NONE),
    _K("marketing_efficiency_ratio", marketing_efficiency_ratio, ("costs", "mrr_movements"),
       "ratio", "revops-finance", "New-customer ARR over marketing cost",
       "マーケティング効率（MER）", groups=_NONE),
    _K("cac_ratio", cac_ratio, ("costs", "mrr_movements"), "ratio", "revops-finance",
       "S&M cost over new ARR from new customers and expansion (blended CAC ratio)",
       "CACレシオ", groups=_NONE),
    _K("sales_and_marketing_share_of_revenue", sm_share_of_revenue, ("costs", "mrr"), "share",
       "revops-finance", "S&M cost over revenue", "売上高営業・マーケティング費比率",
       groups=_NONE),
    _K("burn_multiple", burn_multiple, ("costs", "mrr"), "ratio", "revops-finance",
       "Net burn (costs − revenue) over net new ARR", "バーンマルチプル", groups=_NONE),
    _K("rule_of_40", rule_of_40, ("mrr", "costs"), "share", "revops-finance",
       "ARR growth rate + operating margin", "Rule of 40", groups=_NONE),
    _K("cross_sell_rate", cross_sell_rate, ("mrr_movements", "mrr"), "share", "revops-finance",
       "Share of paying customers who added a product", "クロスセル率"),
    _K("upsell_rate", upsell_rate, ("mrr_movements", "mrr"), "share", "revops-finance",
       "Share of paying customers who bought more seats or a higher plan", "アップセル率"),
    # marketing
    _K("lead_volume", lead_volume, ("leads",), "leads", "marketing",
       "Leads that entered the waterfall in the period", "リード数", groups=("segment", "channel")),
    _K("mql_rate", mql_rate, ("leads",), "share", "marketing",
       "Share of inbound inquiries that became MQLs (AQL)", "MQL化率",
       groups=("segment", "channel")),
    _K("cost_per_lead", cost_per_lead, ("marketing_spend", "leads"), "{currency}/lead",
       "marketing", "Programme spend over leads of the paid channels", "リード単価（CPL）",
       groups=_CH),
    _K("marketing_sourced_pipeline", marketing_sourced_pipeline, ("opportunities", "leads"),
       "{currency} (ACV)", "marketing", "Pipeline created from marketing's inbound leads",
       "マーケティング起点パイプライン", groups=("segment", "channel")),
    _K("marketing_sourced_pipeline_share", marketing_sourced_pipeline, ("opportunities", "leads"),
       "share", "marketing", "Share of the pipeline created that marketing sourced",
       "マーケティング起点パイプライン比率", options={"share": True},
       groups=("segment", "channel")),
    _K("campaign_roi", campaign_roi, ("marketing_spend", "opportunities", "leads"), "ratio",
       "marketing", "(First-year bookings sourced − spend) / spend", "キャンペーンROI",
       options={"gross_margin": None}, groups=_CH),
    _K("channel_cac", channel_cac, ("marketing_spend", "opportunities", "leads"),
       "{currency}/customer", "marketing", "Programme spend over customers won from the channel",
       "チャネル別CAC（広告費ベース）", groups=_CH),
    # sales
    _K("pipeline_value", pipeline_value, ("pipeline_snapshots",), "{currency} (ACV)", "sales",
       "Open pipeline on the period's last weekly snapshot", "パイプライン金額"),
    _K("weighted_pipeline_value", pipeline_value, ("pipeline_snapshots",), "{currency} (ACV)",
       "sales", "Open pipeline × the rep's probability, last snapshot", "加重パイプライン金額",
       options={"weighted": True}),
    _K("pipeline_coverage", pipeline_coverage, ("pipeline_snapshots", "reps"), "ratio", "sales",
       "Pipeline due in each quarter at its start over the quarter's quota",
       "パイプラインカバレッジ", options={"per": "quarter"}),
    _K("pipeline_progression_rate", pipeline_progression_rate,
       ("opportunity_stages", "opportunities"), "share", "sales",
       "Share of open deals that advanced at least one stage", "パイプライン進捗率"),
    _K("win_rate", win_rate, ("opportunities",), "share", "sales",
       "Won / (won + lost) of deals closed in the period", "受注率"),
    _K("sales_cycle_days", sales_cycle_days, ("opportunities",), "days", "sales",
       "Median days from opportunity creation to a win", "セールスサイクル"),
    _K("lead_to_close_days", lead_to_close_days, ("leads", "opportunities"), "days", "sales",
       "Median days from the lead's first touch to a win", "リードから受注までの期間"),
    _K("sales_velocity", sales_velocity, ("opportunities",), "{currency}/day", "sales",
       "Open deals × win rate × deal size / cycle days", "セールスベロシティ"),
    _K("quota_attainment", quota_attainment, ("opportunities", "reps"), "share", "sales",
       "Bookings over the team's prorated, ramped quota", "ノルマ達成率"),
    _K("reps_at_quota_share", reps_at_quota_share, ("opportunities", "reps"), "share", "sales",
       "Share of reps on board all period whose bookings reached their ramped quota",
       "ノルマ達成者の割合",
       options={"whole_period": True}),
    _K("activity_volume", activity_volume, ("opportunities",), "activities/rep", "sales",
       "Activities logged on the period's new deals per owning rep", "活動量"),
    # customer success
    _K("net_revenue_retention", net_revenue_retention, ("mrr",), "share", "customer_success",
       "Closing MRR of the opening customers over their opening MRR", "NRR（売上継続率）"),
    _K("gross_revenue_retention", gross_revenue_retention, ("mrr",), "share",
       "customer_success", "Like NRR with each customer capped at its opening MRR",
       "GRR（グロス売上継続率）"),
    _K("logo_churn_rate", logo_churn_rate, ("mrr",), "share", "customer_success",
       "Share of opening customers paying nothing at the end", "解約率（ロゴチャーン）"),
    _K("logo_retention_rate", logo_retention_rate, ("mrr",), "share", "customer_success",
       "Share of opening customers still paying at the end", "顧客継続率"),
    _K("revenue_churn_rate", revenue_churn_rate, ("mrr",), "share", "customer_success",
       "MRR the opening customers lost (churn, contraction) over their opening MRR: 1 − GRR",
       "売上解約率（MRRチャーン）"),
    _K("expansion_rate", expansion_rate, ("mrr",), "share", "customer_success",
       "MRR the opening customers added over their opening MRR: NRR − GRR",
       "エクスパンション率"),
    _K("quick_ratio", quick_ratio, ("mrr",), "ratio", "customer_success",
       "(New + expansion + reactivation MRR) / (churned + contraction MRR)",
       "クイックレシオ"),
    _K("nps", nps, ("nps_responses",), "score -100..100", "customer_success",
       "% promoters (9–10) − % detractors (0–6)", "NPS（ネットプロモータースコア）"),
    _K("csat", csat, ("tickets",), "share", "customer_success",
       "Share of support ratings of 4 or 5 (of 5)", "CSAT（顧客満足度）"),
    _K("ticket_resolution_hours", ticket_resolution_hours, ("tickets",), "hours",
       "customer_success", "Median hours to resolve a support ticket", "チケット解決時間"),
    _K("customer_health_score", customer_health_score, ("usage",), "score 0..100",
       "customer_success", "Mean health score of customers in the period's last month",
       "カスタマーヘルススコア"),
)

# The definitions in Japanese, by KPI: the Japanese report's KPI table shows them.
_DEFINITIONS_JA: Mapping[str, str] = MappingProxyType({
    "total_revenue": "期間中に計上した経常収益（各月のMRRの合計）",
    "mrr": "期間の最終月の月次経常収益",
    "arr": "期間の最終月のMRRの12倍",
    "revenue_growth_rate": "期間末のARRを期間直前のARRで割って1を引いた値",
    "cac": "営業・マーケティング費用の総額を新規顧客数で割った値（全費用込みのCAC）",
    "ltv": "ARPA × 粗利率 × 顧客寿命（1 / 月次解約率、上限60か月）",
    "ltv_formula": "ARPA × 粗利率 / 月次解約率（顧客寿命に上限なし）",
    "ltv_cohort_24m": "顧客1社が最初の24か月に実際にもたらした粗利（コホート別）",
    "ltv_to_cac": "LTV（顧客寿命の上限5年）を全体のCACで割った値",
    "cac_payback_months": "CACを新規顧客1社の月次粗利で割った月数",
    "magic_number": "純増ARRを、1四半期前の同じ長さの期間の営業・マーケティング費用で割った値",
    "marketing_efficiency_ratio": "新規顧客のARRをマーケティング費用で割った値",
    "cac_ratio": ("営業・マーケティング費用を、新規顧客と拡大による新規ARRで割った値"
                  "（全体のCACレシオ）"),
    "sales_and_marketing_share_of_revenue": "営業・マーケティング費用を売上で割った値",
    "burn_multiple": "純バーン（費用 − 売上）を純増ARRで割った値",
    "rule_of_40": "ARR成長率 + 営業利益率",
    "cross_sell_rate": "支払い中の顧客のうち、別の製品を追加した顧客の割合",
    "upsell_rate": "支払い中の顧客のうち、席数を増やすか上位プランを購入した顧客の割合",
    "lead_volume": "期間中にウォーターフォールに入ったリードの数",
    "mql_rate": "インバウンドの問い合わせのうち、MQL（AQL）になった割合",
    "cost_per_lead": "有料チャネルの施策費用を、そのチャネルのリード数で割った値",
    "marketing_sourced_pipeline": "マーケティングのインバウンドリードから生まれたパイプライン金額",
    "marketing_sourced_pipeline_share": "生まれたパイプラインのうち、マーケティング起点の割合",
    "campaign_roi": "（起点となった初年度の受注額 − 施策費用）/ 施策費用",
    "channel_cac": "施策費用を、そのチャネルから獲得した顧客数で割った値",
    "pipeline_value": "期間最後の週次記録時点の未クローズのパイプライン金額",
    "weighted_pipeline_value": "未クローズのパイプライン金額 × 営業の確度（最後の週次記録）",
    "pipeline_coverage": ("各四半期の開始時点でその四半期に完了予定のパイプラインを、"
                          "四半期のノルマで割った値"),
    "pipeline_progression_rate": "未クローズの商談のうち、1段階以上進んだ商談の割合",
    "win_rate": "期間中にクローズした商談の受注数 /（受注数 + 失注数）",
    "sales_cycle_days": "商談の作成から受注までの日数の中央値",
    "lead_to_close_days": "リードの最初の接点から受注までの日数の中央値",
    "sales_velocity": "未クローズの商談数 × 受注率 × 平均受注額 / サイクル日数",
    "quota_attainment": "受注額を、チームの期間按分・立ち上がり調整済みのノルマで割った値",
    "reps_at_quota_share": ("期間中ずっと在籍した担当者のうち、立ち上がり調整済みのノルマに"
                            "受注額が達した人の割合"),
    "activity_volume": "期間中の新規商談に記録された活動数を、担当者1人あたりにした値",
    "net_revenue_retention": "期初の顧客の期末MRRを、その顧客の期初MRRで割った値",
    "gross_revenue_retention": "NRRと同じだが、各顧客の期末MRRを期初MRRで頭打ちにした値",
    "logo_churn_rate": "期初の顧客のうち、期末に支払いがない顧客の割合",
    "logo_retention_rate": "期初の顧客のうち、期末も支払いを続けている顧客の割合",
    "revenue_churn_rate": "期初の顧客が解約・縮小で失ったMRRを期初MRRで割った値（1 − GRR）",
    "expansion_rate": "期初の顧客が拡大で加えたMRRを期初MRRで割った値（NRR − GRR）",
    "quick_ratio": "（新規 + 拡大 + 再開のMRR）/（解約 + 縮小のMRR）",
    "nps": "推奨者（9〜10点）の割合 − 批判者（0〜6点）の割合",
    "csat": "サポートの評価（5段階）のうち、4か5の割合",
    "ticket_resolution_hours": "サポートの問い合わせを解決するまでの時間の中央値",
    "customer_health_score": "期間の最終月における顧客のヘルススコアの平均",
})
REGISTRY = tuple(_replace(k, definition_ja=_DEFINITIONS_JA[k.name]) for k in REGISTRY)


def _params(fn: Callable) -> set[str]:
    return set(inspect.signature(fn).parameters)


def _default_period(company) -> tuple[str, str]:
    as_of = getattr(company, "as_of", None)
    if as_of is not None and not pd.isna(as_of):
        last = (pd.Timestamp(as_of) - pd.Timedelta(days=1)).to_period("M")
    else:
        last = pd.Timestamp(company.mrr["month"].max()).to_period("M")
    return str(last - 11), str(last)


def _with_sources(tables: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    """Opportunities given the ``channel`` and ``motion`` of their source lead, looked up once."""
    opps, leads = tables.get("opportunities"), tables.get("leads")
    wanted = [c for c in ("channel", "motion")
              if opps is not None and leads is not None and c not in opps.columns
              and c in leads.columns]
    if not wanted or "lead_id" not in opps.columns or not leads["lead_id"].is_unique:
        return tables
    found = {c: _lead_values(opps, leads, c) for c in wanted}
    return {**tables, "opportunities": opps.assign(**found)}


def _with_segments(company, names: set[str]) -> dict[str, pd.DataFrame]:
    """The tables ``names``, each given the ``segment`` of its account when it has none.

    One lookup per table instead of one per metric and segment; the rows and the
    data's date range are unchanged, so every metric gives the same values.
    """
    tables = {name: getattr(company, name) for name in names}
    accounts = company.accounts
    ids = pd.Index(accounts["account_id"])
    if not ids.is_unique:
        return tables
    segments = accounts["segment"].to_numpy(dtype=object)
    for name, df in tables.items():
        if "segment" not in df.columns and "account_id" in df.columns:
            pos = ids.get_indexer(df["account_id"])
            values = np.where(pos >= 0, segments[np.maximum(pos, 0)], None)
            tables[name] = df.assign(segment=pd.array(values, dtype="str"))
    return tables


def _groups(company, by: str) -> list[str]:
    if by == "segment":
        values = pd.unique(company.accounts["segment"].dropna())
        order = SEGMENTS
        return [s for s in order if s in values] + sorted(set(values) - set(order))
    values = pd.unique(pd.concat([company.leads["channel"], company.marketing_spend["channel"]],
                                 ignore_index=True).dropna())
    return list(values)


def kpi_table(company, *, period: Period = None, by: str | None = None,
              gross_margin: float | None = None, kpis: Sequence[KPI] = REGISTRY) -> pd.DataFrame:
    """The whole KPI catalogue of ``company`` for ``period`` as one tidy table.

    One row per metric of :data:`REGISTRY` with ``metric, value, unit,
    department, definition, note``; with ``by="segment"`` or ``by="channel"``
    a column of that name and one row per group for the metrics that can be
    split that way, plus the ``"total"`` row (metrics that cannot be split,
    such as CAC by segment, keep only the total). ``period=None`` is the 12
    months before the company's ``as_of``. ``gross_margin`` defaults to the
    company's ``config.gross_margin``. A metric the data cannot define is
    NaN with the reason in ``note``, and the table warns once
    (:class:`MetricWarning`). ``company`` is any object with the tables as
    attributes (a :class:`~revopslab.simulate.Company`); it is not modified.

    Examples
    --------
    >>> from revopslab.datasets import load_company
    >>> table = kpi_table(load_company(), period="2025", by="segment")
    >>> list(table.columns)
    ['metric', 'segment', 'value', 'unit', 'department', 'definition', 'note']
    >>> rows = table.loc[table["metric"] == "win_rate", ["segment", "unit", "department"]]
    >>> rows.reset_index(drop=True)  # doctest: +NORMALIZE_WHITESPACE
      segment   unit department
    0     SMB  share      sales
    1      MM  share      sales
    2     ENT  share      sales
    3   total  share      sales
    """
    _choice("by", by, (None, "segment", "channel"))
    if gross_margin is None:
        gross_margin = getattr(getattr(company, "config", None), "gross_margin", None)
    if gross_margin is not None:
        _check_margin(gross_margin)
    currency = getattr(getattr(company, "config", None), "currency", "JPY")
    if period is None:
        period = _default_period(company)
    first, last = month_range(period)
    period = (f"{first:%Y-%m}", f"{last:%Y-%m}")
    groups = _groups(company, by) if by else []
    names = {t for kpi in kpis for t in kpi.tables}
    tables_by_name = (_with_segments(company, names) if by == "segment"
                      else {name: getattr(company, name) for name in names})
    tables_by_name = _with_sources(tables_by_name)
    rows, undefined = [], []
    for kpi in kpis:
        params = _params(kpi.function)
        base = dict(kpi.options)
        base["period"] = period
        if "accounts" in params:
            base["accounts"] = company.accounts
        if "gross_margin" in params and "gross_margin" not in base:
            if gross_margin is None:
                raise ValueError(f"{kpi.name} needs gross_margin=: the company has no "
                                 "config.gross_margin; pass kpi_table(..., gross_margin=0.8)")
            base["gross_margin"] = gross_margin
        tables = [tables_by_name[t] for t in kpi.tables]
        splits = groups if by in kpi.groups else []
        for group in [*splits, "total"]:
            kwargs = dict(base)
            if by and group != "total":
                kwargs[by] = group
            try:
                value, note = float(_raw(kpi.function)(*tables, **kwargs)), ""
            except _Undefined as why:
                value, note = float("nan"), str(why)
                undefined.append(f"{kpi.name}" + (f"[{group}]" if by else ""))
            row = {"metric": kpi.name}
            if by:
                row[by] = group
            row.update(value=value, unit=kpi.unit.format(currency=currency),
                       department=kpi.department, definition=kpi.definition, note=note)
            rows.append(row)
    if undefined:
        warnings.warn(f"kpi_table: {len(undefined)} value(s) undefined (NaN), reasons in the "
                      f"note column: {', '.join(undefined)}", MetricWarning, stacklevel=2)
    return pd.DataFrame(rows)


# --- used by the report (issue 16) ---
#: Age bands (days since creation) of an open deal, as ``(low, high)`` with ``high`` exclusive.
AGE_BANDS: tuple[tuple[int, float], ...] = ((0, 30), (30, 60), (60, 90), (90, 180),
                                            (180, float("inf")))


def age_band(days: pd.Series | np.ndarray, *, bands: Sequence[tuple[int, float]] = AGE_BANDS
             ) -> pd.Series:
    """The age band of each age in days, labelled ``"0-29"``, ``"30-59"`` … ``"180+"``.

    Examples
    --------
    >>> age_band(pd.Series([0.0, 29.9, 30.0, 400.0])).tolist()
    ['0-29', '0-29', '30-59', '180+']
    """
    days = pd.Series(np.asarray(days, dtype=float))
    labels = [f"{lo}+" if not np.isfinite(hi) else f"{lo}-{int(hi) - 1}" for lo, hi in bands]
    edges = [lo for lo, _ in bands] + [bands[-1][1]]
    cut = pd.cut(days, bins=edges, right=False, labels=labels)
    return pd.Series(cut.astype("object"), index=days.index)


def _quiet(fn: Callable[..., float], *args, **kwargs) -> float:
    """A metric's value, NaN without a warning where it is undefined."""
    try:
        return float(_raw(fn)(*args, **kwargs))
    except _Undefined:
        return float("nan")


@_metric
def average_deal_size(opportunities: pd.DataFrame, *, period: Period = None,
                      segment: str | None = None, columns: Columns = None) -> float:
    """Mean amount of the deals won in ``period`` (deals without an amount left out).

    ``average deal size = Σ amount of won deals / number of won deals with an
    amount``. Unit: currency per deal. (Bookings over wins, the "average
    selling price" of sales-velocity formulas.)

    Examples
    --------
    >>> opps = pd.DataFrame({"is_closed": [True, True, True], "is_won": [True, True, False],
    ...     "closed_at": pd.to_datetime(["2025-01-05", "2025-02-01", "2025-02-03"]),
    ...     "amount": [100.0, 300.0, 50.0]})
    >>> average_deal_size(opps, period="2025")
    200.0
    """
    closed, first, last = _closed_in(opportunities, period, segment, columns, ("amount",))
    amounts = closed.loc[closed["is_won"].astype(bool), "amount"].dropna()
    if len(amounts) == 0:
        raise _Undefined(f"no opportunity with an amount won in {_span(first, last)}"
                         f"{_where(segment)}")
    return float(amounts.mean())


def bookings_by_period(opportunities: pd.DataFrame, *, period: Period, freq: str = "M"
                       ) -> pd.DataFrame:
    """Deals won and lost, bookings and win rate per month (``"M"``) or quarter (``"Q"``).

    Deals count in the month they closed; ``bookings`` is the amount won
    (deals without an amount left out of it), ``win_rate`` is
    :func:`win_rate` of the month or quarter (NaN when none closed).

    Examples
    --------
    >>> opps = pd.DataFrame({"is_closed": [True, True, True, False],
    ...     "is_won": [True, False, True, False], "amount": [100.0, 50.0, 300.0, 10.0],
    ...     "closed_at": pd.to_datetime(["2025-01-05", "2025-01-20", "2025-04-02", None])})
    >>> bookings_by_period(opps, period=("2025-01", "2025-06"),
    ...                    freq="Q")  # doctest: +NORMALIZE_WHITESPACE
             won  lost  bookings  win_rate
    period
    2025Q1     1     1     100.0       0.5
    2025Q2     1     0     300.0       1.0
    """
    _choice("freq", freq, ("M", "Q"))
    first, last = month_range(period)
    opps = _opps(opportunities, ("is_closed", "is_won", "closed_at", "amount"), None)
    closed = opps[opps["is_closed"].astype(bool) & _in(opps["closed_at"], first, last)]
    periods = pd.period_range(first, last, freq=freq)
    key = closed["closed_at"].dt.to_period(freq)
    won = closed["is_won"].astype(bool)
    rows = []
    for p in periods:
        inside = key == p
        span = (f"{max(p.start_time, first):%Y-%m}", f"{min(p.end_time.normalize(), last):%Y-%m}")
        rows.append({"period": str(p), "won": int((inside & won).sum()),
                     "lost": int((inside & ~won).sum()),
                     "bookings": float(closed.loc[inside & won, "amount"].sum()),
                     "win_rate": _quiet(win_rate, closed[inside], period=span)})
    out = pd.DataFrame(rows).set_index("period")
    return out


def performance_by(opportunities: pd.DataFrame, *, by: str, period: Period,
                   min_closed: int = 1) -> pd.DataFrame:
    """Win rate, cycle and deal size of the deals closed in ``period``, per value of ``by``.

    Each group's numbers are :func:`win_rate`, :func:`sales_cycle_days`
    (median) and :func:`average_deal_size` of its deals, so a group's row
    reads exactly as the whole company's KPIs do. Groups with fewer than
    ``min_closed`` closed deals are left out; a missing value is its own
    group ``"(none)"``.

    Returns
    -------
    pandas.DataFrame
        Indexed by the group, largest bookings first: ``closed, won,
        win_rate, cycle_days, average_deal_size, bookings``.

    Examples
    --------
    >>> opps = pd.DataFrame({"owner_rep_id": ["A", "A", "B"], "is_closed": [True] * 3,
    ...     "is_won": [True, False, True], "amount": [100.0, 80.0, 300.0],
    ...     "created_at": pd.to_datetime(["2025-01-01"] * 3),
    ...     "closed_at": pd.to_datetime(["2025-01-11", "2025-01-21", "2025-01-31"])})
    >>> performance_by(opps, by="owner_rep_id", period="2025")  # doctest: +NORMALIZE_WHITESPACE
                  closed  won  win_rate  cycle_days  average_deal_size  bookings
    owner_rep_id
    B                  1    1       1.0        30.0              300.0     300.0
    A                  2    1       0.5        10.0              100.0     100.0
    """
    opps = _opps(opportunities, ("is_closed", "is_won", "closed_at", "created_at", "amount", by),
                 None)
    first, last = month_range(period)
    span = (f"{first:%Y-%m}", f"{last:%Y-%m}")
    closed = opps[opps["is_closed"].astype(bool) & _in(opps["closed_at"], first, last)]
    groups = closed[by].astype("object").where(closed[by].notna(), "(none)")
    rows = []
    for name, deals in closed.groupby(groups, sort=False):
        if len(deals) < min_closed:
            continue
        won = deals["is_won"].astype(bool)
        rows.append({by: name, "closed": len(deals), "won": int(won.sum()),
                     "win_rate": _quiet(win_rate, deals, period=span),
                     "cycle_days": _quiet(sales_cycle_days, deals, period=span),
                     "average_deal_size": _quiet(average_deal_size, deals, period=span),
                     "bookings": float(deals.loc[won, "amount"].sum())})
    columns = [by, "closed", "won", "win_rate", "cycle_days", "average_deal_size", "bookings"]
    out = pd.DataFrame(rows, columns=columns).set_index(by)
    return out.sort_values(["bookings", "closed"], ascending=False, kind="stable")


def open_pipeline(opportunities: pd.DataFrame, *, as_of, by: Sequence[str] = ("stage",),
                  bands: Sequence[tuple[int, float]] = AGE_BANDS) -> pd.DataFrame:
    """The deals open on ``as_of``, grouped by ``by`` (columns of the table, or ``"age"``).

    A deal is open when it is not closed (``is_closed`` False) and was
    created before ``as_of``. ``age`` is its :func:`age_band` (days from
    creation to ``as_of``); it is *past due* when its expected close date is
    before ``as_of``. ``weighted`` is ``Σ amount × rep_probability`` (NaN
    without that column). Deals without an amount count in ``deals``, not
    in the sums.

    Returns
    -------
    pandas.DataFrame
        ``deals, amount, weighted, past_due_deals, past_due_amount`` per group.

    Examples
    --------
    >>> opps = pd.DataFrame({"stage": ["demo", "demo", "proposal"],
    ...     "is_closed": [False] * 3, "amount": [100.0, 50.0, 80.0],
    ...     "created_at": pd.to_datetime(["2025-03-01", "2024-10-01", "2025-03-20"]),
    ...     "expected_close_date": pd.to_datetime(["2025-04-30", "2025-03-15", "2025-05-01"])})
    >>> open_pipeline(opps, as_of="2025-04-01", by=["stage", "age"])[["deals", "amount",
    ...     "past_due_deals"]]  # doctest: +NORMALIZE_WHITESPACE
                    deals  amount  past_due_deals
    stage    age
    demo     30-59      1   100.0               0
             180+       1    50.0               1
    proposal 0-29       1    80.0               0
    """
    as_of = pd.Timestamp(as_of)
    needed = ("is_closed", "amount", "created_at", "expected_close_date",
              *[c for c in by if c != "age"],
              *(["rep_probability"] if "rep_probability" in opportunities.columns else []))
    opps = _opps(opportunities, needed, None)
    live = opps[~opps["is_closed"].astype(bool) & (opps["created_at"] < as_of)]
    frame = pd.DataFrame({c: live[c].to_numpy() for c in by if c != "age"}, index=live.index)
    if "age" in by:
        labels = age_band((as_of - live["created_at"]) / pd.Timedelta(days=1), bands=bands)
        order = [f"{lo}+" if not np.isfinite(hi) else f"{lo}-{int(hi) - 1}" for lo, hi in bands]
        frame["age"] = pd.Categorical(labels.to_numpy(), categories=order, ordered=True)
    past = (live["expected_close_date"] < as_of).to_numpy()
    amount = live["amount"].to_numpy(dtype=float)
    probability = (live["rep_probability"].to_numpy(dtype=float)
                   if "rep_probability" in live else np.full(len(live), np.nan))
    frame = frame.assign(deals=1, amount=amount, weighted=amount * probability,
                         past_due_deals=past.astype(int),
                         past_due_amount=np.where(past, amount, 0.0))
    g = frame.groupby(list(by), observed=True, sort=True)
    out = pd.DataFrame({"deals": g["deals"].sum(), "amount": g["amount"].sum(),
                        "weighted": g["weighted"].sum(min_count=1),
                        "past_due_deals": g["past_due_deals"].sum(),
                        "past_due_amount": g["past_due_amount"].sum()})
    return out.astype({"deals": "int64", "past_due_deals": "int64", "amount": float,
                       "weighted": float, "past_due_amount": float})


@_metric
def past_due_share(opportunities: pd.DataFrame, *, as_of) -> float:
    """Share of the open pipeline's amount past its own expected close date on ``as_of``.

    ``past-due share = Σ amount of open deals with expected close < as_of /
    Σ amount of open deals`` (:func:`open_pipeline`). Unit: share of the open
    amount. A pipeline-hygiene measure: a deal past its close date is either
    lost or mis-dated, and overstates what can close.

    Examples
    --------
    >>> opps = pd.DataFrame({"stage": ["demo", "demo"], "is_closed": [False, False],
    ...     "amount": [300.0, 100.0], "created_at": pd.to_datetime(["2025-01-01"] * 2),
    ...     "expected_close_date": pd.to_datetime(["2025-03-01", "2025-06-01"])})
    >>> past_due_share(opps, as_of="2025-04-01")
    0.75
    """
    table = open_pipeline(opportunities, as_of=as_of, by=("is_closed",))
    return _ratio(table["past_due_amount"].sum(), table["amount"].sum(),
                  f"no open amount on {pd.Timestamp(as_of):%Y-%m-%d}")


@_metric
def target_coverage(opportunities: pd.DataFrame, *, as_of, start, end, target: float) -> float:
    """Open pipeline expected to close in ``[start, end)`` over the bookings ``target``.

    ``coverage = Σ amount of deals open on as_of with start ≤ expected close
    < end / target``. Unit: ratio (×). A common rule of thumb asks for 3×
    coverage of the quarter's target (e.g. Salesforce, "pipeline coverage").

    Examples
    --------
    >>> opps = pd.DataFrame({"is_closed": [False, False, True], "amount": [300.0, 100.0, 50.0],
    ...     "created_at": pd.to_datetime(["2025-01-01"] * 3),
    ...     "expected_close_date": pd.to_datetime(["2025-04-10", "2025-08-01", "2025-04-20"])})
    >>> target_coverage(opps, as_of="2025-04-01", start="2025-04-01", end="2025-07-01",
    ...                 target=100.0)
    3.0
    """
    if isinstance(target, bool) or not isinstance(target, int | float) or not target > 0:
        raise ValueError(f"target must be a number > 0 (the bookings target), got {target!r}")
    as_of, start, end = pd.Timestamp(as_of), pd.Timestamp(start), pd.Timestamp(end)
    opps = _opps(opportunities, ("is_closed", "amount", "created_at", "expected_close_date"),
                 None)
    due = (~opps["is_closed"].astype(bool) & (opps["created_at"] < as_of)
           & (opps["expected_close_date"] >= start) & (opps["expected_close_date"] < end))
    return float(opps.loc[due, "amount"].sum() / target)


def cohort_revenue_retention(mrr: pd.DataFrame, *, last: pd.Timestamp | None = None,
                             freq: str = "Q",
                             ages: Sequence[int] = (0, 3, 6, 9, 12, 18, 24)) -> pd.DataFrame:
    """Net revenue retention of each cohort of customers at each age in months.

    A customer's cohort is the ``freq`` period of its first paying month ``f``;
    ``retention(cohort, k) = Σ MRR(f + k) / Σ MRR(f)`` over the cohort's
    accounts. Accounts already paying in the data's first month were acquired
    before it and are left out. An age is shown only when every account of the cohort has reached
    it by ``last`` (default: the last month of data), so no cell mixes
    customers observed for different lengths of time.

    Returns
    -------
    pandas.DataFrame
        Cohorts (``"2024Q1"`` ...) × ages in months, NaN where not yet observable.

    Examples
    --------
    >>> mrr = pd.DataFrame({"account_id": ["x", "a", "a", "a", "b", "b"],
    ...     "month": pd.to_datetime(["2024-12-01", "2025-01-01", "2025-02-01", "2025-04-01",
    ...                              "2025-02-01", "2025-05-01"]),
    ...     "mrr": [900.0, 100.0, 100.0, 150.0, 100.0, 50.0]})
    >>> cohort_revenue_retention(mrr, ages=[0, 3])  # doctest: +NORMALIZE_WHITESPACE
    age       0    3
    cohort
    2025Q1  1.0  1.0

    x already pays in the data's first month and is left out. At three months a pays
    150 and b 50: (150 + 50) / (100 + 100) = 100 %.
    """
    if len(mrr) == 0:
        return pd.DataFrame(columns=list(ages), dtype=float)
    paid = mrr[mrr["mrr"] > 0].groupby(["account_id", "month"], as_index=False)["mrr"].sum()
    if last is None:
        last = paid["month"].max()
    paid = paid[paid["month"] <= last]
    start = paid.groupby("account_id")["month"].transform("min")
    # Accounts already paying in the data's first month were won before it (left-censored):
    # their "cohort" would mix customers of every age, so they are left out.
    acquired = start > paid["month"].min()
    paid, start = paid[acquired], start[acquired]
    if len(paid) == 0:
        return pd.DataFrame(columns=list(ages), dtype=float)
    paid = paid.assign(
        age=(paid["month"].dt.year - start.dt.year) * 12 + paid["month"].dt.month
        - start.dt.month,
        cohort=start.dt.to_period(freq).astype(str), start=start)
    newest = paid.groupby("cohort")["start"].max()
    reach = (last.year - newest.dt.year) * 12 + last.month - newest.dt.month
    table = (paid[paid["age"].isin(list(ages))]
             .pivot_table(index="cohort", columns="age", values="mrr", aggfunc="sum")
             .reindex(columns=list(ages)).fillna(0.0))
    table = table.div(table[0], axis=0)
    observable = np.asarray(ages)[None, :] <= reach.reindex(table.index).to_numpy()[:, None]
    table.columns.name = "age"
    return table.where(observable)


__all__ += ["cohort_revenue_retention", "AGE_BANDS", "age_band", "average_deal_size",
            "bookings_by_period",
            "performance_by", "open_pipeline", "past_due_share", "target_coverage"]
