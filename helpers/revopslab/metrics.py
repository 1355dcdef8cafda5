"""Revenue KPIs as pure functions of the company's tables (the start of chapter 5's catalogue)."""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = [
    "month_range",
    "win_rate",
    "sales_cycle_days",
    "logo_churn_rate",
    "net_revenue_retention",
    "gross_revenue_retention",
    "cac_payback_months",
    "SALES_AND_MARKETING",
]

#: Departments whose costs count as sales and marketing (the numerator of CAC).
SALES_AND_MARKETING: tuple[str, ...] = ("marketing", "inside_sales", "field_sales")

Period = str | tuple[str, str] | None


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
        if months is None or len(months) == 0:
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


def _month(values: pd.Series) -> pd.Series:
    return values.dt.to_period("M").dt.to_timestamp()


def _closed_in(opportunities: pd.DataFrame, period: Period, segment: str | None) -> pd.DataFrame:
    opps = opportunities[opportunities["is_closed"]]
    if segment is not None:
        opps = opps[opps["segment"] == segment]
    if len(opps) == 0:
        return opps
    first, last = month_range(period, months=_month(opps["closed_at"]))
    month = _month(opps["closed_at"])
    return opps[(month >= first) & (month <= last)]


def win_rate(opportunities: pd.DataFrame, *, period: Period = None,
             segment: str | None = None) -> float:
    """Share of the opportunities closed in ``period`` that were won.

    ``win rate = won / (won + lost)``, counting deals by the month they closed
    (CSO Insights' definition). Returns NaN when nothing closed.

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
    closed = _closed_in(opportunities, period, segment)
    if len(closed) == 0:
        return float("nan")
    return float(closed["is_won"].mean())


def sales_cycle_days(opportunities: pd.DataFrame, *, period: Period = None,
                     segment: str | None = None, statistic: str = "median") -> float:
    """Days from opportunity creation to close, over deals won in ``period``.

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
    if statistic not in ("median", "mean"):
        raise ValueError(f"statistic must be 'median' or 'mean', got {statistic!r}")
    won = _closed_in(opportunities, period, segment)
    won = won[won["is_won"]]
    if len(won) == 0:
        return float("nan")
    days = (won["closed_at"] - won["created_at"]) / pd.Timedelta(days=1)
    return float(getattr(days, statistic)())


def _account_mrr(mrr: pd.DataFrame, first: pd.Timestamp, last: pd.Timestamp):
    total = mrr.groupby(["account_id", "month"])["mrr"].sum().unstack(fill_value=0.0)
    opening = total.get(first - pd.DateOffset(months=1))
    closing = total.get(last)
    if opening is None:
        raise ValueError(f"no MRR for the month before the period ({first:%Y-%m}): the "
                         "period must start after the first month of data")
    if closing is None:
        closing = pd.Series(0.0, index=total.index)
    return opening, closing


def _retention_window(mrr: pd.DataFrame, period: Period):
    first, last = month_range(period, months=mrr["month"])
    if period is None:
        # The default year must have an opening month inside the data.
        first = max(first, mrr["month"].min() + pd.DateOffset(months=1))
    return first, last


def _opening_customers(mrr: pd.DataFrame, period: Period) -> tuple[pd.Series, pd.Series]:
    """Opening and closing MRR of the accounts paying in the month before ``period``."""
    first, last = _retention_window(mrr, period)
    opening, closing = _account_mrr(mrr, first, last)
    base = opening > 0
    return opening[base], closing[base]


def logo_churn_rate(mrr: pd.DataFrame, *, period: Period = None) -> float:
    """Share of the customers paying at the start of ``period`` who pay nothing at its end.

    Customers are accounts with MRR > 0 in the month *before* the period
    (the opening base); an account that left and came back within the period
    is not counted as lost. Over a 12-month period this is annual logo churn
    (KeyBanc's "unit churn").

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
    opening, closing = _opening_customers(mrr, period)
    return float((closing <= 0).mean()) if len(opening) else float("nan")


def net_revenue_retention(mrr: pd.DataFrame, *, period: Period = None) -> float:
    """MRR at the end of ``period`` from the opening customers, over their opening MRR.

    ``NRR = Σ closing MRR of opening customers / Σ opening MRR``: expansion
    counts, new customers do not (SaaS Capital's definition).

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
    opening, closing = _opening_customers(mrr, period)
    return float(closing.sum() / opening.sum()) if len(opening) else float("nan")


def gross_revenue_retention(mrr: pd.DataFrame, *, period: Period = None) -> float:
    """Like NRR, but each customer's closing MRR is capped at its opening MRR.

    ``GRR = Σ min(closing, opening) / Σ opening``: only losses count, so
    ``GRR ≤ 1`` and ``GRR ≤ NRR``.

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
    opening, closing = _opening_customers(mrr, period)
    if not len(opening):
        return float("nan")
    return float(np.minimum(closing, opening).sum() / opening.sum())


def cac_payback_months(costs: pd.DataFrame, mrr_movements: pd.DataFrame, *,
                       gross_margin: float, period: Period = None) -> float:
    """Months of gross profit a new customer needs to repay its acquisition cost.

    ``CAC = sales and marketing cost in period / new customers in period``;
    ``payback = CAC / (mean new MRR per new customer × gross margin)``
    (the KeyBanc / Scale Venture Partners convention). Sales and marketing
    are the departments in :data:`SALES_AND_MARKETING`.

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
    if not 0 < gross_margin <= 1:
        raise ValueError(f"gross_margin must be in (0, 1], got {gross_margin!r}")
    first, last = month_range(period, months=costs["month"])
    in_costs = costs["month"].between(first, last) & costs["department"].isin(SALES_AND_MARKETING)
    new = mrr_movements[mrr_movements["month"].between(first, last)
                        & (mrr_movements["movement"] == "new")]
    if len(new) == 0:
        return float("nan")
    cac = costs.loc[in_costs, "amount"].sum() / len(new)
    return float(cac / (new["mrr_change"].mean() * gross_margin))
