"""The report's sections: thin functions that scope the data and call the library's KPIs."""

from __future__ import annotations

import dataclasses
import warnings
from types import SimpleNamespace

import numpy as np
import pandas as pd

from .. import metrics, process
from ..vocabulary import OPPORTUNITY_STAGES
from .data import ReportData, _end
from .text import _check_lang, format_value, needs_data, quarantine_reason, reason, scope_name

__all__ = ["OpportunitySummary", "BREAKDOWNS", "waterfall_counts", "bowtie_counts",
           "conversion_table", "bottleneck_table", "retention_summary", "cohort_retention",
           "forecast_backtest", "opportunity_summary", "performance", "quota_attainment",
           "next_quarter", "pipeline_forecast", "coverage", "close_date_pushes", "data_health",
           "kpis",
           "quarantine_summary"]

_OPEN_STAGES = OPPORTUNITY_STAGES
_CATEGORIES = ("Commit", "Best Case", "Pipeline", "Omitted", "Closed")


def waterfall_counts(company, *, first: pd.Timestamp, last: pd.Timestamp) -> pd.Series:
    """How many leads entered each stage of the demand waterfall in the period (and won).

    The flow view (:func:`revopslab.process.flow` summed over the period's
    months): a stage's count is the leads whose ``<stage>_at`` falls in the
    period, whenever they entered the waterfall; ``won`` is the source leads of
    the deals won in the period. Stages nobody entered are left out.

    Examples
    --------
    >>> from revopslab.config import CompanyConfig
    >>> from revopslab.simulate import simulate_company
    >>> c = simulate_company(CompanyConfig(months=12, scale=0.1), rng=1)
    >>> counts = waterfall_counts(c, first=pd.Timestamp("2023-07-01"),
    ...                           last=pd.Timestamp("2023-12-01"))
    >>> counts.index[0], counts.index[-1], bool(counts["inquiry"] > counts["won"])
    ('inquiry', 'won', True)
    """
    leads = process.with_outcomes(company.leads, company.opportunities)
    table = process.flow(leads, freq="M", start=f"{first:%Y-%m}", end=f"{last:%Y-%m}")
    counts = table.sum().astype("int64")
    counts.name = "leads"
    return counts[counts > 0]


def bowtie_counts(company, *, first: pd.Timestamp, last: pd.Timestamp,
                  waterfall: pd.Series | None = None) -> pd.Series:
    """The bowtie of the period: :func:`revopslab.process.bowtie`, the course's one definition.

    ``waterfall`` (the period's :func:`waterfall_counts`) is accepted for the
    notebook's call and must agree with the bowtie's left side: both count the
    leads whose stage timestamp falls in the period.

    Returns
    -------
    pandas.Series
        Counts indexed ``inquiry, sql, opportunity, won, retained, expanded, promoter``.
    """
    counts = process.bowtie(company, first=first, last=last)
    if waterfall is not None:
        for stage in ("inquiry", "sql", "opportunity"):
            if int(waterfall.get(stage, 0)) != counts[stage]:
                raise ValueError(f"waterfall[{stage!r}] = {int(waterfall.get(stage, 0))} is not "
                                 f"the period's flow {counts[stage]}: pass the same period")
    return counts


def conversion_table(company, *, first: pd.Timestamp, last: pd.Timestamp) -> pd.DataFrame:
    """Each waterfall step for the leads that entered its from-stage in the period.

    ``rate = converted / entered`` (converted by the extraction date, a cohort
    view: recent entrants have had less time, so the last months understate),
    with the median and 90th-percentile days of the conversions
    (:func:`revopslab.process.transition_times`). Steps nobody entered are
    left out.

    Returns
    -------
    pandas.DataFrame
        Indexed by step: ``from_stage, to_stage, entered, converted, rate,
        median_days, p90_days``.
    """
    leads = process.with_outcomes(company.leads, company.opportunities)
    rows = []
    for step, (origin, target, _) in process.STEPS.items():
        column = f"{origin}_at"
        if column not in leads or f"{target}_at" not in leads:
            continue
        cohort = leads[(leads[column] >= first) & (leads[column] < _end(last))]
        times = process.transition_times(cohort, steps=[step]).iloc[0]
        if times["entered"] == 0:
            continue
        rows.append({"step": step, "from_stage": origin, "to_stage": target,
                     "entered": int(times["entered"]), "converted": int(times["converted"]),
                     "rate": times["converted"] / times["entered"],
                     "median_days": times["median_days"], "p90_days": times["p90_days"]})
    columns = ["step", "from_stage", "to_stage", "entered", "converted", "rate", "median_days",
               "p90_days"]
    return pd.DataFrame(rows, columns=columns).set_index("step")


def bottleneck_table(company, *, first: pd.Timestamp, last: pd.Timestamp, lift: float = 0.2
                     ) -> pd.DataFrame:
    """:func:`revopslab.process.bottleneck` measured over the report's period.

    The window is the period (its entrants and its won deals), measured at
    the end of the period or the extraction date, whichever is first; ``lift``
    closes that share of each step's gap to 100 %. The first row is the
    bottleneck; ``gain`` is bookings a year.
    """
    as_of = min(_end(last), pd.Timestamp(company.as_of))
    months = max((as_of - first) / pd.Timedelta(days=365.25 / 12), 1.0)
    leads = process.with_outcomes(company.leads, company.opportunities)
    return process.bottleneck(leads, lift=lift, as_of=as_of, months=months)


def retention_summary(company, *, first: pd.Timestamp, last: pd.Timestamp) -> dict[str, float]:
    """NRR, GRR, logo churn, revenue churn and expansion over the period, and the opening ARR.

    The metrics of :mod:`revopslab.metrics` (undefined values are NaN; the
    reason is in :func:`kpis`' note). ``opening_arr`` is 12 × the MRR of the
    month before the period, the base the retention rates apply to.

    Returns
    -------
    dict
        ``nrr, grr, logo_churn, revenue_churn, expansion, opening_arr, opening_customers``.
    """
    mrr = company.mrr
    period = (f"{first:%Y-%m}", f"{last:%Y-%m}")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", metrics.MetricWarning)
        out = {
            "nrr": metrics.net_revenue_retention(mrr, period=period),
            "grr": metrics.gross_revenue_retention(mrr, period=period),
            "logo_churn": metrics.logo_churn_rate(mrr, period=period),
            "revenue_churn": metrics.revenue_churn_rate(mrr, period=period),
            "expansion": metrics.expansion_rate(mrr, period=period),
        }
        month = f"{first - pd.DateOffset(months=1):%Y-%m}"
        out["opening_arr"] = metrics.annual_recurring_revenue(mrr, period=month)
    before = mrr[(mrr["month"] == first - pd.DateOffset(months=1)) & (mrr["mrr"] > 0)]
    out["opening_customers"] = int(before["account_id"].nunique())
    return out


#: Net revenue retention of each cohort at each age
#: (:func:`revopslab.metrics.cohort_revenue_retention`).
cohort_retention = metrics.cohort_revenue_retention


def forecast_backtest(company, *, first: pd.Timestamp, last: pd.Timestamp,
                      progress: bool = False) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The quarterly point-in-time backtest up to the end of the period, and its accuracy.

    :func:`revopslab.forecast.backtest` of the three methods (the reps'
    judgment, the weighted pipeline, the predictive model), falling back to the
    first two when the history is too short to train the model; quarters ending
    after the period are left out.

    Returns
    -------
    (pandas.DataFrame, pandas.DataFrame)
        The backtest rows and :func:`revopslab.forecast.accuracy` of them.
    """
    from .. import forecast

    results = forecast.backtest(company, progress=progress)
    if not len(results):
        results = forecast.backtest(company, methods=("judgment", "weighted"),
                                    progress=progress)
    if len(results):
        ends = pd.PeriodIndex(results["period"].astype(str), freq="Q").end_time.normalize()
        results = results[np.asarray(ends < _end(last))].reset_index(drop=True)
    return results, forecast.accuracy(results)


# ---------------------------------------------------------------------------- opportunities
@dataclasses.dataclass(frozen=True)
class OpportunitySummary:
    """The opportunity-based sections: the period's deals and the open pipeline on ``as_of``.

    Every number is a function of :mod:`revopslab.metrics` (the report adds
    none of its own arithmetic); this only groups them for the notebook.

    Attributes
    ----------
    totals
        ``won, lost, bookings, win_rate, average_won, cycle_median_days,
        open_deals, open_amount, weighted_open, stale_deals, stale_amount,
        stale_share`` (NaN where undefined).
    monthly, quarterly
        :func:`revopslab.metrics.bookings_by_period` by month and by quarter.
    pipeline
        :func:`revopslab.metrics.open_pipeline` by stage.
    ages
        :func:`revopslab.metrics.open_pipeline` by stage and age band.
    categories
        Open deals by forecast category: ``deals, amount, due_deals, due_amount``
        (due: expected to close within 90 days of the extraction date);
        empty when the data has no forecast category.
    top_open
        The ten largest open deals.
    """

    totals: pd.Series
    monthly: pd.DataFrame
    quarterly: pd.DataFrame
    pipeline: pd.DataFrame
    ages: pd.DataFrame
    categories: pd.DataFrame
    top_open: pd.DataFrame


_OPP_REQUIRED = ("opportunity_id", "created_at", "closed_at", "is_closed", "is_won", "amount",
                 "stage", "expected_close_date")
_TOP_COLUMNS = ("opportunity_id", "opportunity_name", "account_name", "account_id",
                "owner_rep_id", "stage", "amount", "expected_close_date", "forecast_category")


def _quiet(fn, *args, **kwargs) -> float:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", metrics.MetricWarning)
        return float(fn(*args, **kwargs))


def opportunity_summary(opportunities: pd.DataFrame, *, first: pd.Timestamp, last: pd.Timestamp,
                        as_of, due_days: int = 90) -> OpportunitySummary:
    """The pipeline, win rate, cycle, bookings and forecast categories of an opportunities table.

    Works on the simulated company's table and on a CRM export alike. Deals
    count in the month they closed; the win rate is
    :func:`revopslab.metrics.win_rate`, the cycle
    :func:`revopslab.metrics.sales_cycle_days` (median), the average won deal
    :func:`revopslab.metrics.average_deal_size`, the open pipeline
    :func:`revopslab.metrics.open_pipeline` and the stale share
    :func:`revopslab.metrics.past_due_share` on ``as_of``.

    Examples
    --------
    >>> opps = pd.DataFrame({"opportunity_id": ["a", "b", "c"],
    ...     "created_at": pd.to_datetime(["2025-01-05", "2025-01-20", "2025-02-01"]),
    ...     "closed_at": pd.to_datetime(["2025-02-04", "2025-03-01", None]),
    ...     "is_closed": [True, True, False], "is_won": [True, False, False],
    ...     "amount": [100.0, 50.0, 80.0], "stage": ["closed_won", "closed_lost", "demo"],
    ...     "expected_close_date": pd.to_datetime(["2025-02-04", "2025-03-01", "2025-03-15"])})
    >>> s = opportunity_summary(opps, first=pd.Timestamp("2025-01-01"),
    ...                         last=pd.Timestamp("2025-03-01"), as_of="2025-04-01")
    >>> s.totals[["won", "lost", "bookings", "win_rate", "cycle_median_days", "stale_deals"]]
    won                    1.0
    lost                   1.0
    bookings             100.0
    win_rate               0.5
    cycle_median_days     30.0
    stale_deals            1.0
    Name: totals, dtype: float64
    """
    missing = [c for c in _OPP_REQUIRED if c not in opportunities.columns]
    if missing:
        raise ValueError(f"opportunities must have the columns {list(_OPP_REQUIRED)}; missing "
                         f"{missing} (has {list(opportunities.columns)})")
    as_of = pd.Timestamp(as_of)
    period = (f"{first:%Y-%m}", f"{last:%Y-%m}")
    o = opportunities
    monthly = metrics.bookings_by_period(o, period=period, freq="M")
    monthly.index = pd.DatetimeIndex(pd.PeriodIndex(monthly.index, freq="M").to_timestamp(),
                                     name="month")
    quarterly = metrics.bookings_by_period(o, period=period, freq="Q")
    pipeline = metrics.open_pipeline(o, as_of=as_of, by=("stage",))
    order = [s for s in _OPEN_STAGES if s in pipeline.index]
    pipeline = pipeline.reindex(order + sorted(set(pipeline.index) - set(order)))
    ages = metrics.open_pipeline(o, as_of=as_of, by=("stage", "age"))
    ages = ages.reindex(sorted(ages.index, key=lambda k: (list(pipeline.index).index(k[0]),)))
    totals = pd.Series({
        "won": float(monthly["won"].sum()), "lost": float(monthly["lost"].sum()),
        "bookings": float(monthly["bookings"].sum()),
        "win_rate": _quiet(metrics.win_rate, o, period=period),
        "average_won": _quiet(metrics.average_deal_size, o, period=period),
        "cycle_median_days": _quiet(metrics.sales_cycle_days, o, period=period),
        "open_deals": float(pipeline["deals"].sum()),
        "open_amount": float(pipeline["amount"].sum()),
        "weighted_open": (float(pipeline["weighted"].sum())
                          if "rep_probability" in o.columns else np.nan),
        "stale_deals": float(pipeline["past_due_deals"].sum()),
        "stale_amount": float(pipeline["past_due_amount"].sum()),
        "stale_share": _quiet(metrics.past_due_share, o, as_of=as_of),
    }, name="totals")
    live = o[~o["is_closed"].astype(bool) & (o["created_at"] < as_of)]
    categories = _categories(live, as_of, as_of + pd.Timedelta(days=due_days))
    columns = [c for c in _TOP_COLUMNS if c in o.columns]
    top = (live.sort_values(["amount", "opportunity_id"], ascending=[False, True],
                            kind="stable").head(10)[columns].reset_index(drop=True))
    return OpportunitySummary(totals=totals, monthly=monthly, quarterly=quarterly,
                              pipeline=pipeline, ages=ages, categories=categories, top_open=top)


def _categories(live: pd.DataFrame, as_of: pd.Timestamp, due: pd.Timestamp) -> pd.DataFrame:
    """Open deals by forecast category, and those expected to close before ``due``."""
    if "forecast_category" not in live.columns:
        return pd.DataFrame({"deals": pd.Series(dtype="int64"), "amount": pd.Series(dtype=float),
                             "due_deals": pd.Series(dtype="int64"),
                             "due_amount": pd.Series(dtype=float)}).rename_axis("category")
    inside = (live["expected_close_date"] >= as_of) & (live["expected_close_date"] < due)
    f = pd.DataFrame({"category": live["forecast_category"], "amount": live["amount"],
                      "due": inside, "due_amount": live["amount"].where(inside, 0.0)})
    g = f.dropna(subset=["category"]).groupby("category")
    out = pd.DataFrame({"deals": g.size(), "amount": g["amount"].sum(),
                        "due_deals": g["due"].sum(), "due_amount": g["due_amount"].sum()})
    out = out.astype({"deals": "int64", "due_deals": "int64"})
    order = [c for c in _CATEGORIES if c in out.index]
    return out.reindex(order + sorted(set(out.index) - set(order)))


#: Columns the performance section splits by, when the data has them.
BREAKDOWNS: tuple[str, ...] = ("segment", "owner_rep_id", "lead_source", "opportunity_type")


def performance(opportunities: pd.DataFrame, *, first: pd.Timestamp, last: pd.Timestamp
                ) -> dict[str, pd.DataFrame]:
    """:func:`revopslab.metrics.performance_by` for each column of :data:`BREAKDOWNS` present.

    A column with a single value (or none) is left out: it splits nothing.
    """
    period = (f"{first:%Y-%m}", f"{last:%Y-%m}")
    out = {}
    for column in BREAKDOWNS:
        if column in opportunities.columns and opportunities[column].nunique() > 1:
            table = metrics.performance_by(opportunities, by=column, period=period)
            if len(table) > 1:
                out[column] = table
    return out


def quota_attainment(data, *, first: pd.Timestamp, last: pd.Timestamp) -> pd.DataFrame | None:
    """:func:`revopslab.metrics.rep_attainment` of the period, ``None`` without quotas."""
    if data.quotas is None:
        return None
    period = (f"{first:%Y-%m}", f"{last:%Y-%m}")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", metrics.MetricWarning)
        table = metrics.rep_attainment(data.opportunities, data.quotas, period=period,
                                       ramp=data.company is not None)
    return table.sort_values("attainment", ascending=False, kind="stable").set_index("rep_id")


def next_quarter(as_of) -> tuple[pd.Timestamp, pd.Timestamp]:
    """The next quarter after the extraction date: its first day and the day after its last.

    Examples
    --------
    >>> [f"{d:%Y-%m-%d}" for d in next_quarter("2025-07-01")]
    ['2025-07-01', '2025-10-01']
    >>> [f"{d:%Y-%m-%d}" for d in next_quarter("2025-07-15")]
    ['2025-10-01', '2026-01-01']
    """
    as_of = pd.Timestamp(as_of)
    quarter = as_of.to_period("Q")
    if as_of != quarter.start_time:
        quarter += 1
    return quarter.start_time, (quarter + 1).start_time


def pipeline_forecast(data, *, first: pd.Timestamp, last: pd.Timestamp
                      ) -> tuple[pd.DataFrame, pd.DataFrame, pd.Series]:
    """The next quarter's forecast from the open pipeline and its backtest on the period.

    :func:`revopslab.forecast.pipeline_forecast` on ``data.as_of`` for the
    next quarter, and :func:`revopslab.forecast.pipeline_backtest` of the
    quarters of the period, scored with :func:`revopslab.forecast.wape` and
    :func:`revopslab.forecast.bias`. A simulated company's stage history
    makes the rates stage × age; an export's are by age.

    Returns
    -------
    (pandas.DataFrame, pandas.DataFrame, pandas.Series)
        The deals of the forecast, the backtest, and ``forecast, start, end,
        quarters, wape, bias``.
    """
    from .. import forecast

    stages = data.company.opportunity_stages if data.company is not None else None
    start, end = next_quarter(data.as_of)
    deals = forecast.pipeline_forecast(data.opportunities, at=data.as_of, start=start, end=end,
                                       stages=stages)
    history = forecast.pipeline_backtest(data.opportunities, first=first, last=last,
                                         stages=stages)
    scored = history[history["actual"] > 0]
    score = pd.Series({
        "forecast": float(deals["expected"].sum()), "start": start, "end": end,
        "quarters": len(scored),
        "wape": forecast.wape(scored["forecast"], scored["actual"]) if len(scored) else np.nan,
        "bias": forecast.bias(scored["forecast"], scored["actual"]) if len(scored) else np.nan})
    return deals, history, score


def coverage(data, *, target: float | None) -> float:
    """:func:`revopslab.metrics.target_coverage` of the next quarter (NaN without a target)."""
    if target is None:
        return float("nan")
    start, end = next_quarter(data.as_of)
    return _quiet(metrics.target_coverage, data.opportunities, as_of=data.as_of, start=start,
                  end=end, target=float(target))


def close_date_pushes(data) -> pd.Series | None:
    """How often the open deals' expected close dates were pushed, on the extraction date.

    A deal's push count is the export's ``push_count`` column (Salesforce's
    *Push Count*), or for a simulated company the count on its last weekly
    pipeline snapshot up to the extraction date. Deals open on ``as_of``
    (created before it, not closed) count; those without a known count are
    left out of every figure but ``open_deals``.

    Returns
    -------
    pandas.Series or None
        ``open_deals, known, pushed_deals`` (pushed at least once),
        ``pushed_twice`` (two times or more), ``pushed_amount``,
        ``pushed_share`` (of the known deals' amount), ``pushes`` (all pushes);
        ``None`` when the data has no push counts.

    Examples
    --------
    >>> from types import SimpleNamespace
    >>> opps = pd.DataFrame({"opportunity_id": ["a", "b", "c", "d"],
    ...     "created_at": pd.to_datetime(["2025-01-05"] * 4),
    ...     "is_closed": [False, False, False, True], "amount": [100.0, 300.0, 600.0, 50.0],
    ...     "push_count": pd.array([0, 1, 3, 2], dtype="Int64")})
    >>> data = SimpleNamespace(opportunities=opps, as_of=pd.Timestamp("2025-04-01"), company=None)
    >>> close_date_pushes(data)[["pushed_deals", "pushed_twice", "pushed_amount", "pushed_share"]]
    pushed_deals       2.0
    pushed_twice       1.0
    pushed_amount    900.0
    pushed_share       0.9
    Name: pushes, dtype: float64
    """
    o = data.opportunities
    as_of = pd.Timestamp(data.as_of)
    live = o[~o["is_closed"].astype(bool) & (o["created_at"] < as_of)]
    company = data.company
    if "push_count" in o.columns and o["push_count"].notna().any():
        pushes = live["push_count"].astype("Float64").astype(float)
    elif company is not None and "push_count" in company.pipeline_snapshots.columns:
        snaps = company.pipeline_snapshots
        snaps = snaps[snaps["snapshot_date"] <= as_of].sort_values("snapshot_date",
                                                                    kind="stable")
        latest = snaps.drop_duplicates("opportunity_id", keep="last").set_index(
            "opportunity_id")["push_count"].astype(float)
        pushes = live["opportunity_id"].map(latest)
    else:
        return None
    known = pushes.notna()
    pushed = known & (pushes >= 1)
    amount = live["amount"].astype(float)
    base = float(amount[known].sum())
    return pd.Series({
        "open_deals": float(len(live)), "known": float(known.sum()),
        "pushed_deals": float(pushed.sum()), "pushed_twice": float((known & (pushes >= 2)).sum()),
        "pushed_amount": float(amount[pushed].sum()),
        "pushed_share": float(amount[pushed].sum()) / base if base else np.nan,
        "pushes": float(pushes[known].sum())}, name="pushes")


def data_health(data) -> pd.DataFrame:
    """What in the opportunities would mislead a reader: one row per check, with its count.

    Deals without an amount; without an owner; open deals whose close date
    has passed; opportunity names used more than once (per account when the
    export has accounts); stage labels the reader resolved other than by a
    template. ``share`` is of all rows.

    Returns
    -------
    pandas.DataFrame
        ``check`` (a key of the report's text), ``rows``, ``share``.
    """
    o = data.opportunities
    n = max(len(o), 1)
    rows = {"missing_amount": int(o["amount"].isna().sum())}
    if "owner_rep_id" in o.columns:
        rows["missing_owner"] = int(o["owner_rep_id"].isna().sum())
    live = ~o["is_closed"].astype(bool)
    rows["open_past_close_date"] = int((live & (o["expected_close_date"] < data.as_of)).sum())
    if "opportunity_name" in o.columns:
        keys = [c for c in ("account_name", "opportunity_name") if c in o.columns]
        named = o.dropna(subset=["opportunity_name"])
        rows["duplicate_names"] = int(named.duplicated(subset=keys, keep=False).sum())
    if data.export is not None:
        rows["resolved_stage_labels"] = int(sum(r for _, _, how, r in data.export.source.stages
                                                if how != "built-in label"))
    table = pd.DataFrame({"check": list(rows), "rows": list(rows.values())})
    table["share"] = table["rows"] / n
    return table


# ---------------------------------------------------------------------------- KPIs
def kpis(data: ReportData, *, first: pd.Timestamp, last: pd.Timestamp,
         segment: str | None = None, lang: str = "en") -> pd.DataFrame:
    """The KPI catalogue for the period (:func:`revopslab.metrics.kpi_table`), ready to show.

    A simulated company gets every KPI; with a ``segment``, each KPI that can
    be split is its value in the segment and the others (CAC, payback ...) are
    the company's total, marked ``all segments``. A CRM export gets the KPIs
    computable from opportunities alone, and lists every other KPI of the
    catalogue as not computed, with the data it needs. Undefined values are ``—`` with the
    reason in ``note``.

    Returns
    -------
    pandas.DataFrame
        ``metric, kpi`` (its name in ``lang``), ``value`` (raw), ``shown``
        (formatted), ``unit, department, scope, status`` (computed or not),
        ``definition`` (in ``lang``: :attr:`revopslab.metrics.KPI.definition`
        or ``definition_ja``), ``note`` (why a value is missing, in ``lang``:
        the metric's reason, :func:`revopslab.report.text.reason`, or for an
        export the data it needs, in plain words).
    """
    _check_lang(lang)
    period = (f"{first:%Y-%m}", f"{last:%Y-%m}")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", metrics.MetricWarning)
        if data.company is not None:
            table = metrics.kpi_table(data.company, period=period,
                                      by="segment" if segment else None)
            if segment:
                split = table[table["segment"] == segment].assign(scope=segment)
                total = table[(table["segment"] == "total")
                              & ~table["metric"].isin(split["metric"])]
                table = pd.concat([split, total.assign(scope="all segments")])
                order = {k.name: i for i, k in enumerate(metrics.REGISTRY)}
                table = table.sort_values("metric", key=lambda s: s.map(order), kind="stable")
            else:
                table = table.assign(scope="company")
        else:
            opps = data.opportunities
            have = set(data.tables)
            usable = [k for k in metrics.REGISTRY if set(k.tables) <= have
                      and k.name not in _NEEDS_MARGIN and _columns_ok(k, data.frames)]
            f = data.frames
            holder = SimpleNamespace(opportunities=opps, leads=f.leads, mrr=f.mrr,
                                     mrr_movements=f.mrr_movements, accounts=pd.DataFrame(
                {"account_id": pd.Series(dtype="str"), "segment": pd.Series(dtype="str")}))
            table = metrics.kpi_table(holder, period=period, kpis=usable,
                                      gross_margin=1.0).assign(scope="export")
            rest = [k for k in metrics.REGISTRY if k not in usable]
            currency = data.currency
            table = pd.concat([table, pd.DataFrame({
                "metric": [k.name for k in rest], "value": np.nan,
                "unit": [k.unit.format(currency=currency) for k in rest],
                "department": [k.department for k in rest],
                "definition": [k.definition for k in rest],
                "note": [_why_not(k, data, lang=lang) for k in rest],
                "scope": "export"})], ignore_index=True)
    labels = {k.name: (k.label_ja if lang == "ja" else _kpi_name(k.name))
              for k in metrics.REGISTRY}
    definitions = {k.name: (k.definition_ja if lang == "ja" else k.definition)
                   for k in metrics.REGISTRY}
    table = table.reset_index(drop=True)
    table["kpi"] = table["metric"].map(labels).fillna(table["metric"])
    table["definition"] = table["metric"].map(definitions)
    table["shown"] = [format_value(v, u, lang=lang) for v, u in
                      zip(table["value"], table["unit"], strict=True)]
    table["status"] = np.where(table["value"].notna(), *_STATUS[lang == "ja"])
    table["scope"] = table["scope"].map(lambda s: scope_name(s, lang=lang))
    table["note"] = table["note"].map(lambda n: reason(n, lang=lang))
    return table[["metric", "kpi", "value", "shown", "unit", "department", "scope", "status",
                  "definition", "note"]]


_STATUS = (("computed", "not computed"), ("計算済み", "計算できず"))

#: KPIs that need the gross margin, which no export holds.
_NEEDS_MARGIN = ("ltv", "ltv_formula", "ltv_cohort_24m", "ltv_to_cac")
#: Columns of an export's table a KPI reads beyond the ones every export has.
_KPI_COLUMNS = {"activity_volume": (("opportunities", "activities"),),
                "mql_rate": (("leads", "motion"), ("leads", "aql_at")),
                "marketing_sourced_pipeline": (("leads", "motion"), ("opportunities", "lead_id")),
                "marketing_sourced_pipeline_share": (("leads", "motion"),
                                                     ("opportunities", "lead_id")),
                "lead_to_close_days": (("opportunities", "lead_id"),),
                "cross_sell_rate": (("mrr_movements", "detail"),),
                "upsell_rate": (("mrr_movements", "detail"),)}


def _lacks(kpi, frames) -> list[str]:
    """The ``table.column`` an export's tables lack for ``kpi`` (empty when it has them all)."""
    return [f"{table}.{column}" for table, column in _KPI_COLUMNS.get(kpi.name, ())
            if column not in getattr(frames, table).columns]


def _columns_ok(kpi, frames) -> bool:
    """True when an export's tables hold the columns ``kpi`` reads."""
    return not _lacks(kpi, frames)


def _why_not(kpi, data: ReportData, *, lang: str) -> str:
    """Why an export's KPI is not computed, in plain words."""
    missing = [t for t in kpi.tables if t not in data.tables]
    if missing:
        return needs_data(missing, lang=lang)
    if kpi.name in _NEEDS_MARGIN:
        return needs_data(("gross_margin",), lang=lang)
    return needs_data(_lacks(kpi, data.frames), lang=lang)


_ACRONYMS = {"mrr", "arr", "cac", "ltv", "roi", "nps", "csat", "mql", "nrr", "grr", "acv"}


def _kpi_name(name: str) -> str:
    words = [w.upper() if w in _ACRONYMS else w for w in name.split("_")]
    text = " ".join(words)
    return text[:1].upper() + text[1:]


# ---------------------------------------------------------------------------- data quality
def quarantine_summary(export, *, lang: str = "en", examples: int = 5
                       ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The quarantined rows of an export by reason, and a few examples, with PII masked.

    A reason's kind is its text up to the first ``:`` or ``(`` (``"Amount is not
    an amount"``), without the row's raw value; both are written in ``lang``
    (:func:`revopslab.report.text.quarantine_reason`: the export's headers and
    values stay as they are). The examples show the row
    number and the full reason, masked with :func:`revopslab.crm.mask_pii`, since
    a reason quotes the raw value (which may be an e-mail address).

    Returns
    -------
    (pandas.DataFrame, pandas.DataFrame)
        Counts by reason (``reason, rows``), and up to ``examples`` rows (``row, reason``).
    """
    from ..crm import mask_pii, reason_counts

    _check_lang(lang)
    bad = export.quarantined
    if not len(bad):
        return (pd.DataFrame({"reason": pd.Series(dtype="str"), "rows": pd.Series(dtype="int64")}),
                pd.DataFrame({"row": pd.Series(dtype="int64"), "reason": pd.Series(dtype="str")}))
    counts = reason_counts(bad).reset_index()
    sample = bad[["row", "reason"]].head(examples).reset_index(drop=True)
    if lang != "en":
        counts = (counts.assign(reason=counts["reason"].map(
            lambda r: quarantine_reason(r, lang=lang)))
            .groupby("reason", sort=False, as_index=False)["rows"].sum()
            .sort_values("rows", ascending=False, kind="stable"))
        sample["reason"] = sample["reason"].map(lambda r: quarantine_reason(r, lang=lang))
    return mask_pii(counts), mask_pii(sample)
