"""Revenue-process analytics: flow, balance, conversion, transition times, bottlenecks, 1% rule."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping, Sequence
from types import MappingProxyType
from typing import TYPE_CHECKING, NamedTuple

import numpy as np
import pandas as pd

from . import _cache
from .vocabulary import DEFAULT_SEED, WATERFALL

if TYPE_CHECKING:
    from .config import CompanyConfig
    from .simulate import Company

__all__ = [
    "WATERFALL",
    "STEPS",
    "PATHS",
    "with_outcomes",
    "bowtie",
    "flow",
    "balance",
    "conversion",
    "transition_times",
    "survival",
    "bottleneck",
    "bottleneck_shift",
    "BottleneckShift",
    "compound_growth",
    "one_percent_rule",
]

#: Each conversion step of the simulator (:data:`revopslab.config.CONVERSION_STEPS`) as
#: ``(from stage, to stage, motion)``: the step's population is the leads that reached the
#: from-stage (and, for the three first steps, came through that ``motion``: inbound
#: inquiries can become AQLs, outbound targets TGLs, field-sales targets SGLs).
STEPS: Mapping[str, tuple[str, str, str | None]] = MappingProxyType({
    "inquiry_to_aql": ("inquiry", "aql", "inbound"),
    "aql_to_tal": ("aql", "tal", None),
    "tal_to_tql": ("tal", "tql", None),
    "tql_to_sal": ("tql", "sal", None),
    "inquiry_to_tgl": ("inquiry", "tgl", "outbound"),
    "tgl_to_sal": ("tgl", "sal", None),
    "inquiry_to_sgl": ("inquiry", "sgl", "sales"),
    "sal_to_sql": ("sal", "sql", None),
    "sgl_to_sql": ("sgl", "sql", None),
    "sql_to_opportunity": ("sql", "opportunity", None),
    "opportunity_to_won": ("opportunity", "won", None),
})

#: The steps a lead of each motion passes from inquiry to a won deal.
PATHS: Mapping[str, tuple[str, ...]] = MappingProxyType({
    "inbound": ("inquiry_to_aql", "aql_to_tal", "tal_to_tql", "tql_to_sal", "sal_to_sql",
                "sql_to_opportunity", "opportunity_to_won"),
    "outbound": ("inquiry_to_tgl", "tgl_to_sal", "sal_to_sql", "sql_to_opportunity",
                 "opportunity_to_won"),
    "sales": ("inquiry_to_sgl", "sgl_to_sql", "sql_to_opportunity", "opportunity_to_won"),
})

_DAY = pd.Timedelta(days=1)
_MONTH_DAYS = 365.25 / 12


# ---------------------------------------------------------------- helpers
def _col(stage: str) -> str:
    return f"{stage}_at"


def _stages_of(leads: pd.DataFrame, stages: Sequence[str] | None,
               default: Sequence[str] = WATERFALL) -> list[str]:
    if stages is None:
        return [s for s in default if _col(s) in leads.columns]
    stages = list(stages)
    missing = [_col(s) for s in stages if _col(s) not in leads.columns]
    if missing:
        raise ValueError(f"stages must name columns '<stage>_at' of leads; missing {missing}")
    return stages


def _steps_of(leads: pd.DataFrame, steps) -> dict[str, tuple[str, str, str | None]]:
    """Resolve ``steps`` (None, names from STEPS, or a mapping) to {name: (from, to, motion)}."""
    if steps is None:
        return {k: v for k, v in STEPS.items()
                if _col(v[0]) in leads.columns and _col(v[1]) in leads.columns}
    if isinstance(steps, str):
        steps = [steps]
    if isinstance(steps, Mapping):
        out = {k: (tuple(v) + (None,))[:3] for k, v in steps.items()}
    else:
        unknown = [s for s in steps if s not in STEPS]
        if unknown:
            raise ValueError(f"steps must be names from {tuple(STEPS)} or a mapping "
                             f"name -> (from_stage, to_stage); got unknown {unknown}")
        out = {k: STEPS[k] for k in steps}
    missing = sorted({_col(s) for v in out.values() for s in v[:2]} - set(leads.columns))
    if missing:
        raise ValueError(f"steps need the columns {missing}, which leads does not have")
    return out


def _population(leads: pd.DataFrame, step: tuple[str, str, str | None],
                motion_column: str | None) -> pd.DataFrame:
    origin, _, motion = step
    out = leads[leads[_col(origin)].notna()]
    if motion is not None and motion_column is not None and motion_column in leads.columns:
        out = out[out[motion_column] == motion]
    return out


def _as_of(leads: pd.DataFrame, as_of, stages: Iterable[str] = WATERFALL) -> pd.Timestamp:
    if as_of is not None:
        return pd.Timestamp(as_of)
    cols = [_col(s) for s in stages if _col(s) in leads.columns]
    latest = leads[cols].max().max() if cols and len(leads) else pd.NaT
    if pd.isna(latest):
        raise ValueError("as_of is needed: leads has no timestamp to take the latest from")
    return pd.Timestamp(latest)


def _days(delta: pd.Series) -> np.ndarray:
    return (delta / _DAY).to_numpy(dtype=float)


def _period_end(periods: pd.PeriodIndex) -> pd.DatetimeIndex:
    return (periods + 1).to_timestamp()


def _whole_months(starts: pd.DatetimeIndex, end: pd.Timestamp) -> np.ndarray:
    """Whole calendar months from each of ``starts`` to ``end`` (0 if ``end`` is earlier)."""
    out = []
    for start in starts:
        months = (end.year - start.year) * 12 + end.month - start.month
        if start + pd.DateOffset(months=months) > end:
            months -= 1
        out.append(max(months, 0))
    return np.array(out, dtype="int64")


# ---------------------------------------------------------------- outcomes
def bowtie(company: Company, *, first=None, last=None) -> pd.Series:
    """The bowtie of a period: inquiry → SQL → opportunity → won, then what the won do.

    The course's one definition, used by the chapters and the report. The left
    side is the period's flow: leads whose inquiry, SQL or opportunity date
    falls in the period. The knot, ``won``, counts the *accounts* that won a
    deal in the period. The right side follows those accounts to the
    extraction date: ``retained`` (still paying in the last month of data),
    ``expanded`` (an expansion movement after the win) and ``promoter`` (an NPS
    answer of 9–10 after the win). Customers won before the period (an
    installed base) are in none of the counts.

    Parameters
    ----------
    company
        A :class:`~revopslab.simulate.Company` (or anything with its ``leads``,
        ``opportunities``, ``mrr``, ``mrr_movements`` and ``nps_responses``).
    first, last
        The period's first and last month (``"2025-01"``); default: no bound (the
        whole history).

    Returns
    -------
    pandas.Series
        Counts indexed ``inquiry, sql, opportunity, won, retained, expanded, promoter``.

    Examples
    --------
    >>> from types import SimpleNamespace
    >>> t = lambda *v: pd.to_datetime(list(v))
    >>> company = SimpleNamespace(
    ...     leads=pd.DataFrame({"inquiry_at": t("2025-01-02", "2025-01-05", "2025-02-01"),
    ...                         "sql_at": t("2025-01-09", None, "2025-02-03"),
    ...                         "opportunity_at": t("2025-01-10", None, "2025-02-04")}),
    ...     opportunities=pd.DataFrame({"account_id": ["a", "b"], "is_won": [True, True],
    ...                                 "closed_at": t("2025-02-01", "2025-03-01")}),
    ...     mrr=pd.DataFrame({"account_id": ["a", "b", "a"], "mrr": [10.0, 20.0, 12.0],
    ...                       "month": t("2025-02-01", "2025-03-01", "2025-04-01")}),
    ...     mrr_movements=pd.DataFrame({"account_id": ["a"], "movement": ["expansion"],
    ...                                 "month": t("2025-04-01")}),
    ...     nps_responses=pd.DataFrame({"account_id": ["b"], "score": [10],
    ...                                 "surveyed_at": t("2025-03-15")}))
    >>> bowtie(company).tolist()  # b churned in April; a expanded; b answered 10 first
    [3, 2, 2, 2, 1, 1, 1]
    """
    months = company.mrr["month"]
    start = pd.Timestamp(first) if first is not None else pd.Timestamp.min
    end = (pd.Timestamp(last) + pd.offsets.MonthBegin(1) if last is not None
           else pd.Timestamp.max)

    def inside(stamps: pd.Series) -> pd.Series:
        return (stamps >= start) & (stamps < end)

    leads = company.leads
    left = {stage: int(inside(leads[f"{stage}_at"]).sum())
            for stage in ("inquiry", "sql", "opportunity")}
    opps = company.opportunities
    won = opps[opps["is_won"] & inside(opps["closed_at"])]
    won_at = won.groupby("account_id")["closed_at"].min()
    accounts = won_at.index
    mrr = company.mrr
    paying = mrr.loc[(mrr["month"] == months.max()) & (mrr["mrr"] > 0), "account_id"].unique()
    moves = company.mrr_movements
    moves = moves[moves["movement"].eq("expansion") & moves["account_id"].isin(accounts)]
    expanded = moves[moves["month"] > moves["account_id"].map(won_at)]["account_id"].nunique()
    nps = company.nps_responses
    nps = nps[(nps["score"] >= 9) & nps["account_id"].isin(accounts)]
    promoters = nps[nps["surveyed_at"] > nps["account_id"].map(won_at)]["account_id"].nunique()
    return pd.Series({**left, "won": len(accounts),
                      "retained": int(np.isin(accounts, paying).sum()),
                      "expanded": int(expanded), "promoter": int(promoters)}, name="count")


def with_outcomes(leads: pd.DataFrame, opportunities: pd.DataFrame, *,
                  lead_id: str = "lead_id") -> pd.DataFrame:
    """The leads with the outcome of their opportunity: ``won_at``, ``lost_at``, ``won_amount``.

    The waterfall ends at the opportunity; whether it was won lives in the
    opportunities table. Joining it (by ``lead_id``) makes "won" one more stage
    with a timestamp, so every function of this module can treat it like the others.

    Examples
    --------
    >>> leads = pd.DataFrame({"lead_id": ["a", "b", "c"],
    ...                       "opportunity_at": pd.to_datetime(["2025-01-05", "2025-01-09", None])})
    >>> opps = pd.DataFrame({"lead_id": ["a", "b"], "is_won": [True, False],
    ...                      "is_closed": [True, True], "amount": [500.0, 900.0],
    ...                      "closed_at": pd.to_datetime(["2025-02-01", "2025-03-01"])})
    >>> with_outcomes(leads, opps)[["lead_id", "won_at", "lost_at", "won_amount"]]
      lead_id     won_at    lost_at  won_amount
    0       a 2025-02-01        NaT       500.0
    1       b        NaT 2025-03-01         NaN
    2       c        NaT        NaT         NaN
    """
    opps = opportunities.drop_duplicates(lead_id)
    won = opps["is_won"].astype(bool)
    lost = opps["is_closed"].astype(bool) & ~won
    outcome = pd.DataFrame({
        lead_id: opps[lead_id].to_numpy(),
        "won_at": opps["closed_at"].where(won).to_numpy(),
        "lost_at": opps["closed_at"].where(lost).to_numpy(),
        "won_amount": opps["amount"].where(won).to_numpy(dtype=float),
    })
    out = leads.drop(columns=[c for c in ("won_at", "lost_at", "won_amount")
                              if c in leads.columns])
    out = out.merge(outcome, on=lead_id, how="left", validate="many_to_one")
    for c in ("won_at", "lost_at"):
        out[c] = pd.to_datetime(out[c])
    return out


def _leads_of(data) -> tuple[pd.DataFrame, pd.Timestamp | None]:
    """Leads with outcomes and the extraction date from a Company, or a frame as it is."""
    if hasattr(data, "leads") and hasattr(data, "opportunities"):
        return with_outcomes(data.leads, data.opportunities), pd.Timestamp(data.as_of)
    if isinstance(data, pd.DataFrame):
        return data, None
    raise TypeError(f"expected a Company or a leads DataFrame, got {type(data).__name__}")


# ---------------------------------------------------------------- flow and balance
def flow(leads: pd.DataFrame, *, freq: str = "M", stages: Sequence[str] | None = None,
         start=None, end=None) -> pd.DataFrame:
    """How many leads entered each stage in each period.

    A lead enters stage ``s`` in the period of its ``s_at`` timestamp. Every
    period from ``start`` to ``end`` is a row (default: the first to the last
    entry), so a period in which nothing happened shows zeros rather than
    disappearing.

    Parameters
    ----------
    leads
        One row per lead with a timestamp column ``<stage>_at`` per stage.
    freq
        Pandas period frequency: ``"M"`` (month), ``"Q"``, ``"W"``, ``"Y"`` …
    stages
        Stages to count (default: those of :data:`WATERFALL` present in ``leads``).
    start, end
        First and last period to show (anything ``pandas.Period`` accepts).

    Returns
    -------
    pandas.DataFrame
        One row per period (a ``PeriodIndex`` named ``period``), one column per stage.

    Examples
    --------
    >>> leads = pd.DataFrame({
    ...     "inquiry_at": pd.to_datetime(["2025-01-03", "2025-01-20", "2025-03-02"]),
    ...     "aql_at": pd.to_datetime(["2025-01-04", None, "2025-03-03"]),
    ... })
    >>> flow(leads)  # doctest: +NORMALIZE_WHITESPACE
             inquiry  aql
    period
    2025-01        2    1
    2025-02        0    0
    2025-03        1    1
    """
    stages = _stages_of(leads, stages)
    cols = [_col(s) for s in stages]
    stamps = [leads[c].dropna() for c in cols]
    stamps = [s for s in stamps if len(s)]
    try:
        first = pd.Period(start, freq=freq) if start is not None else (
            min(s.min() for s in stamps).to_period(freq) if stamps else None)
        last = pd.Period(end, freq=freq) if end is not None else (
            max(s.max() for s in stamps).to_period(freq) if stamps else None)
    except (ValueError, TypeError) as err:
        raise ValueError(f"freq must be a pandas period frequency such as 'M' or 'Q', and "
                         f"start/end periods; got freq={freq!r}, start={start!r}, "
                         f"end={end!r}") from err
    if first is None or last is None:
        index = pd.PeriodIndex([], freq=freq, name="period")
    else:
        index = pd.period_range(first, last, freq=freq, name="period")
    out = pd.DataFrame(0, index=index, columns=stages, dtype="int64")
    for stage, c in zip(stages, cols, strict=True):
        counts = leads[c].dropna().dt.to_period(freq).value_counts()
        out[stage] = counts.reindex(index, fill_value=0).to_numpy(dtype="int64")
    out.columns.name = None
    return out


def balance(leads: pd.DataFrame, *, at, stages: Sequence[str] | None = None,
            max_age: str | float | Mapping[str, float] = "p90",
            dropped: Mapping[str, str] | None = None) -> pd.DataFrame:
    """How many leads sit in each stage on the date ``at`` (the stock, where flow is the rate).

    A CRM records when a lead entered a stage but rarely when it silently
    dropped out, so "in stage ``s`` at ``at``" is defined as:

    * **reached** ``s`` on or before ``at``;
    * not **moved on**: reached no later stage (in ``stages`` order) on or before ``at``;
    * not **dropped**: not marked lost on or before ``at`` (a column named in
      ``dropped``; by default ``lost_at`` for the opportunity stage, when present);
    * not **aged out**: entered ``s`` no more than ``max_age`` days before ``at``.
      The default ``"p90"`` is the stage's own 90th-percentile time to move on,
      measured on the leads that had moved on by ``at``: a lead still waiting after
      nine in ten movers had gone is counted as dropped. A stage whose drops are
      recorded (in ``dropped``) does not age: who is still in it is known. A
      terminal stage (nothing after it) never ages out either, so its balance is
      everyone who ever reached it.

    ``reached = moved_on + dropped + aged_out + in_stage`` holds for every stage.

    Parameters
    ----------
    leads
        One row per lead with a timestamp column ``<stage>_at`` per stage.
    at
        The date of the balance.
    stages
        Stages in waterfall order (default: those of :data:`WATERFALL` present
        in ``leads``). ``won`` is terminal: its balance is every deal won by ``at``.
    max_age
        ``"p90"`` (or ``"p75"``, ``"p50"`` …), a number of days for every stage,
        or a mapping stage -> days (missing stages never age out).
    dropped
        Mapping stage -> column of the time a lead was dropped at that stage.

    Examples
    --------
    >>> leads = pd.DataFrame({
    ...     "inquiry_at": pd.to_datetime(["2025-01-01", "2025-01-01", "2025-01-25",
    ...                                   "2025-01-28"]),
    ...     "aql_at": pd.to_datetime(["2025-01-03", None, None, None]),
    ... })
    >>> stock = balance(leads, at="2025-01-31", stages=["inquiry", "aql"], max_age=10)
    >>> stock  # doctest: +NORMALIZE_WHITESPACE
             reached  moved_on  dropped  aged_out  in_stage  max_age_days
    stage
    inquiry        4         1        0         1         2          10.0
    aql            1         0        0         0         1           inf

    The first inquiry moved on to AQL; the second waited 30 days (> 10): aged
    out; the last two are 6 and 3 days old: in stage. AQL is the last stage
    listed, so it never ages out.
    """
    at = pd.Timestamp(at)
    stages = _stages_of(leads, stages)
    if dropped is None:
        dropped = {"opportunity": "lost_at"} if "lost_at" in leads.columns else {}
    known = {s: leads[_col(s)].where(leads[_col(s)] <= at) for s in stages}
    rows = []
    for i, stage in enumerate(stages):
        entered = known[stage]
        reached = entered.notna()
        later = [known[s] for s in stages[i + 1:]]
        if later:
            first_later = pd.concat(later, axis=1).min(axis=1)
        else:
            first_later = pd.Series(pd.NaT, index=leads.index, dtype=entered.dtype)
        moved = reached & first_later.notna()
        drop_col = dropped.get(stage)
        is_dropped = reached & ~moved
        if drop_col is not None:
            is_dropped &= leads[drop_col].notna() & (leads[drop_col] <= at)
        else:
            is_dropped &= False
        waiting = reached & ~moved & ~is_dropped
        limit = _max_age(max_age, stage, _days(first_later[moved] - entered[moved]),
                         terminal=not later or drop_col is not None)
        age = _days(at - entered)
        aged = waiting.to_numpy() & (age > limit)
        rows.append({"stage": stage, "reached": int(reached.sum()), "moved_on": int(moved.sum()),
                     "dropped": int(is_dropped.sum()), "aged_out": int(aged.sum()),
                     "in_stage": int(waiting.sum() - aged.sum()), "max_age_days": float(limit)})
    return pd.DataFrame(rows).set_index("stage")


def _max_age(max_age, stage: str, move_days: np.ndarray, *, terminal: bool) -> float:
    if isinstance(max_age, Mapping):
        return float(max_age.get(stage, np.inf))
    if isinstance(max_age, str):
        if not (max_age.startswith("p") and max_age[1:].isdigit()
                and 0 < int(max_age[1:]) <= 100):
            raise ValueError(f"max_age must be 'p90'-style, a number of days or a mapping, "
                             f"got {max_age!r}")
        if terminal or len(move_days) == 0:
            return float("inf")
        return float(np.percentile(move_days, int(max_age[1:])))
    if isinstance(max_age, (int, float)) and max_age >= 0:
        return float("inf") if terminal else float(max_age)
    raise ValueError(f"max_age must be 'p90'-style, a number of days >= 0 or a mapping, "
                     f"got {max_age!r}")


# ---------------------------------------------------------------- conversion
def conversion(leads: pd.DataFrame, *, view: str = "cohort", freq: str = "M", steps=None,
               as_of=None, within: float | None = None,
               motion_column: str | None = "motion") -> pd.DataFrame:
    """Stage-to-stage conversion per period, by cohort or by period.

    **Cohort view**: the leads that *entered the from-stage* in a period (a
    cohort) and the share of them that reached the to-stage by ``as_of`` (or
    within ``within`` days). Each lead is counted once, so the rate is a true
    probability, but a young cohort has not had time to convert:
    ``maturity_months`` (months from the end of the cohort's period to
    ``as_of``, in whole calendar months: the age of its youngest lead) says how
    far to trust it.

    **Period view**: in each period, the leads that *entered the to-stage*
    divided by those that entered the from-stage, whatever their cohort. It is
    what a monthly dashboard shows and it is final at once, but numerator and
    denominator are different people: when volume grows or a stage slows down
    the two drift apart, and the ratio can even exceed 1.

    The two agree only in a steady state with short transition times; the
    cohort view answers "what happens to a lead", the period view "how busy was
    each stage this month".

    Parameters
    ----------
    leads
        One row per lead with timestamp columns ``<stage>_at``
        (see :func:`with_outcomes` for ``won_at``).
    view
        ``"cohort"`` or ``"period"``.
    freq
        Pandas period frequency of the cohorts / periods.
    steps
        Step names from :data:`STEPS`, or a mapping name -> ``(from_stage, to_stage)``
        (default: every step of :data:`STEPS` whose columns ``leads`` has).
    as_of
        Extraction date (default: the latest timestamp in ``leads``).
    within
        Cohort view only: count a conversion only if it came within this many days.
    motion_column
        Column restricting the inquiry steps to their motion (ignored if absent).

    Returns
    -------
    pandas.DataFrame
        One row per step and period: ``step, period, entered, converted, rate``
        and, in the cohort view, ``maturity_months``.

    Examples
    --------
    >>> leads = pd.DataFrame({
    ...     "inquiry_at": pd.to_datetime(["2025-01-10", "2025-01-20", "2025-01-25",
    ...                                   "2025-02-10"]),
    ...     "aql_at": pd.to_datetime(["2025-01-11", "2025-02-02", None, "2025-02-11"]),
    ... })
    >>> conversion(leads, steps={"inq_to_aql": ("inquiry", "aql")}, as_of="2025-03-01")
             step   period  entered  converted      rate  maturity_months
    0  inq_to_aql  2025-01        3          2  0.666667                1
    1  inq_to_aql  2025-02        1          1  1.000000                0

    The January cohort: 2 of its 3 inquiries became AQLs (one in February).
    The period view counts AQLs by the month they happened:

    >>> conversion(leads, view="period", steps={"inq_to_aql": ("inquiry", "aql")})
             step   period  entered  converted      rate
    0  inq_to_aql  2025-01        3          1  0.333333
    1  inq_to_aql  2025-02        1          2  2.000000
    """
    if view not in ("cohort", "period"):
        raise ValueError(f"view must be 'cohort' or 'period', got {view!r}")
    if within is not None and view != "cohort":
        raise ValueError("within applies to the cohort view only")
    steps = _steps_of(leads, steps)
    as_of = _as_of(leads, as_of) if view == "cohort" else None
    parts = []
    for name, step in steps.items():
        origin, target, _ = step
        pop = _population(leads, step, motion_column)
        start = pop[_col(origin)]
        end = pop[_col(target)]
        if view == "cohort":
            known = start <= as_of  # a lead that entered after as_of is not in any cohort yet
            start, end = start[known], end[known]
            done = end.notna() & (end <= as_of)
            if within is not None:
                done &= _days(end - start) <= within
            grouped = pd.DataFrame({"period": start.dt.to_period(freq), "done": done})
            table = grouped.groupby("period", sort=True)["done"].agg(["size", "sum"])
            table.columns = ["entered", "converted"]
            ends = _period_end(pd.PeriodIndex(table.index))
            table["rate"] = table["converted"] / table["entered"]
            table["maturity_months"] = _whole_months(ends, as_of)
        else:
            ins = start.dt.to_period(freq).value_counts()
            outs = end.dropna().dt.to_period(freq).value_counts()
            index = ins.index.union(outs.index).sort_values()
            table = pd.DataFrame({"entered": ins.reindex(index, fill_value=0),
                                  "converted": outs.reindex(index, fill_value=0)})
            table["rate"] = table["converted"] / table["entered"].where(table["entered"] > 0)
        table.index.name = "period"
        table = table.reset_index()
        table.insert(0, "step", name)
        parts.append(table)
    columns = ["step", "period", "entered", "converted", "rate"]
    if view == "cohort":
        columns.append("maturity_months")
    if not parts:
        return pd.DataFrame(columns=columns)
    out = pd.concat(parts, ignore_index=True)[columns]
    out["entered"] = out["entered"].astype("int64")
    out["converted"] = out["converted"].astype("int64")
    return out


# ---------------------------------------------------------------- transition times
def transition_times(leads: pd.DataFrame, *, steps=None,
                     motion_column: str | None = "motion") -> pd.DataFrame:
    """Days each step takes, for the leads that made it: median and 90th percentile.

    Only converted leads have a transition time, so these figures describe the
    leads that moved on *so far*: slow conversions still in progress on the
    extraction date are missing, which biases recent times down. Use
    :func:`survival` for the view that counts them (censored).

    Returns
    -------
    pandas.DataFrame
        One row per step: ``entered``, ``converted``, ``median_days``, ``p90_days``,
        ``mean_days`` (NaN where no lead converted).

    Examples
    --------
    >>> leads = pd.DataFrame({
    ...     "inquiry_at": pd.to_datetime(["2025-01-01"] * 4),
    ...     "aql_at": pd.to_datetime(["2025-01-02", "2025-01-03", "2025-01-11", None]),
    ... })
    >>> times = transition_times(leads, steps={"inq_to_aql": ("inquiry", "aql")})
    >>> times  # doctest: +NORMALIZE_WHITESPACE
                entered  converted  median_days  p90_days  mean_days
    step
    inq_to_aql        4          3          2.0       8.4   4.333333

    The three converters took 1, 2 and 10 days: median 2, mean 13 / 3; the
    90th percentile sits 0.9 × (3 − 1) = 1.8 positions into the sorted days,
    0.8 of the way from 2 to 10: 2 + 0.8 × 8 = 8.4. The fourth lead has no time.
    """
    steps = _steps_of(leads, steps)
    rows = []
    for name, step in steps.items():
        origin, target, _ = step
        pop = _population(leads, step, motion_column)
        days = _days(pop[_col(target)] - pop[_col(origin)])
        days = days[~np.isnan(days)]
        rows.append({
            "step": name, "entered": len(pop), "converted": len(days),
            "median_days": float(np.median(days)) if len(days) else np.nan,
            "p90_days": float(np.percentile(days, 90)) if len(days) else np.nan,
            "mean_days": float(days.mean()) if len(days) else np.nan,
        })
    columns = ["step", "entered", "converted", "median_days", "p90_days", "mean_days"]
    return pd.DataFrame(rows, columns=columns).set_index("step")


def _km(duration: np.ndarray, event: np.ndarray, days: np.ndarray) -> tuple[np.ndarray, ...]:
    """Kaplan–Meier: at-risk, cumulative events and survival evaluated at each of ``days``."""
    order = np.argsort(duration, kind="stable")
    duration, event = duration[order], event[order]
    times = np.unique(duration[event])
    n = len(duration)
    at_risk_t = n - np.searchsorted(duration, times, side="left")
    events_t = (np.searchsorted(duration[event], times, side="right")
                - np.searchsorted(duration[event], times, side="left"))
    surv_t = np.cumprod(1.0 - events_t / np.maximum(at_risk_t, 1))
    idx = np.searchsorted(times, days, side="right") - 1
    surv = np.where(idx >= 0, surv_t[np.maximum(idx, 0)], 1.0)
    at_risk = n - np.searchsorted(duration, days, side="left")
    cum_events = np.searchsorted(duration[event], days, side="right")
    return at_risk, cum_events, surv


def survival(leads: pd.DataFrame, *, step, as_of=None, days: Sequence[float] | None = None,
             motion_column: str | None = "motion") -> pd.DataFrame:
    """Share of a step's entrants not yet converted after ``d`` days (Kaplan–Meier).

    Every lead that entered the from-stage is followed from its entry until it
    converts (an event) or until ``as_of`` (censored: it might still convert).
    The Kaplan–Meier estimator multiplies, day by day, the share of leads still
    waiting that did not convert that day:
    ``S(d) = Π_{t ≤ d} (1 − converted(t) / at_risk(t))``. Unlike the converted-only
    :func:`transition_times`, recent leads count for as long as they have been
    observed, so a slow step is not made to look fast. ``1 − S(d)`` is the
    share converted within ``d`` days.

    Parameters
    ----------
    step
        A name from :data:`STEPS` or a pair ``(from_stage, to_stage)``.
    as_of
        Extraction date (default: the latest timestamp in ``leads``).
    days
        Days at which to evaluate (default: every whole day up to the longest
        observation).

    Returns
    -------
    pandas.DataFrame
        Indexed by ``day``: ``at_risk`` (still followed and not converted before
        that day), ``converted`` (conversions up to and including that day),
        ``share_not_converted``.

    Examples
    --------
    >>> leads = pd.DataFrame({
    ...     "inquiry_at": pd.to_datetime(["2025-01-01"] * 3 + ["2025-01-08"]),
    ...     "aql_at": pd.to_datetime(["2025-01-03", "2025-01-06", None, None]),
    ... })
    >>> km = survival(leads, step=("inquiry", "aql"), as_of="2025-01-11", days=[0, 2, 5, 9])
    >>> km  # doctest: +NORMALIZE_WHITESPACE
         at_risk  converted  share_not_converted
    day
    0          4          0                1.000
    2          4          1                0.750
    5          2          2                0.375
    9          1          2                0.375

    Day 2: one of 4 converts (S = 3/4). The lead of 8 January is censored after
    3 days, so on day 5 two are at risk and one converts (S = 3/4 × 1/2).
    """
    if isinstance(step, str):
        spec = _steps_of(leads, [step])[step]
    else:
        spec = (tuple(step) + (None,))[:3]
        _steps_of(leads, {"step": spec})
    as_of = _as_of(leads, as_of)
    pop = _population(leads, spec, motion_column)
    start, end = pop[_col(spec[0])], pop[_col(spec[1])]
    start_known = (start <= as_of).to_numpy()
    event = (end.notna() & (end <= as_of)).to_numpy()[start_known]
    stop = end.where(end.notna() & (end <= as_of), as_of)
    duration = np.maximum(_days(stop - start)[start_known], 0.0)
    if days is None:
        days = np.arange(0, int(np.ceil(duration.max())) + 1 if len(duration) else 1)
    days = np.asarray(days, dtype=float)
    at_risk, events, surv = _km(duration, event, days)
    index = pd.Index(days.astype(int) if np.all(days == np.round(days)) else days, name="day")
    return pd.DataFrame({"at_risk": at_risk.astype("int64"), "converted": events.astype("int64"),
                         "share_not_converted": surv}, index=index)


# ---------------------------------------------------------------- bottlenecks
def _step_rates(leads: pd.DataFrame, steps: Mapping, *, as_of: pd.Timestamp, months: float,
                horizon_days: float, motion_column: str | None) -> pd.DataFrame:
    window_start = as_of - pd.Timedelta(days=months * _MONTH_DAYS)
    rows = []
    for name, spec in steps.items():
        origin, target, _ = spec
        pop = _population(leads, spec, motion_column)
        recent = pop[(pop[_col(origin)] > window_start) & (pop[_col(origin)] <= as_of)]
        if len(recent):
            table = survival(recent, step=spec, as_of=as_of, days=[horizon_days],
                             motion_column=None)
            rate = 1.0 - float(table["share_not_converted"].iloc[0])
        else:
            rate = np.nan
        rows.append({"step": name, "from_stage": origin, "to_stage": target,
                     "entered_per_year": len(recent) * 12 / months, "conversion": rate})
    return pd.DataFrame(rows).set_index("step")


def bottleneck(data: Company | pd.DataFrame, *, lift: float = 0.2, kind: str = "gap",
               months: float = 12, horizon_days: float = 365, as_of=None, steps=None,
               motion_column: str | None = "motion") -> pd.DataFrame:
    """Which step limits revenue most now: the revenue a fixed lift of each step would add.

    Each step's current conversion ``p`` is the Kaplan–Meier share of the
    leads that entered its from-stage in the last ``months`` months that
    converted within ``horizon_days`` (see :func:`survival`; recent entrants
    count as censored, not as failures). The revenue model is the waterfall
    itself: a lead at stage ``X`` is worth ``w(X) = Σ p(X→Y) · w(Y)`` over the
    steps out of ``X``, and ``w(won)`` is the mean amount of the deals won in
    the window. A step's *revenue through it* is
    ``R = entered_per_year · p · w(to_stage)``, the annual bookings expected
    from its entrants. Lifting the step to ``p'`` multiplies that by ``p'/p``
    and leaves the others alone (first order), so the **gain** is
    ``R · (p'/p − 1)``. The bottleneck is the step with the largest gain.

    ``kind="gap"`` (default) closes ``lift`` of the step's gap to 100%:
    ``p' = p + lift · (1 − p)``, so a leaky step (low ``p``) has the most room.
    ``kind="relative"`` raises every step by the same factor ``p' = p · (1 + lift)``
    (capped at 1): then every step of one path adds (about) the same revenue,
    and the steps all paths share (SQL → opportunity → won) always win. That is
    why a relative lift cannot find a bottleneck inside a path, and the gap
    lift can.

    The model is first order: it holds every other rate, the deal value and the
    teams' capacity fixed. Whether the lift pays off as computed is a question
    for the simulator: :func:`bottleneck_shift` makes the lift there and
    measures again.

    Parameters
    ----------
    data
        A :class:`~revopslab.simulate.Company`, or leads with outcomes
        (:func:`with_outcomes`) with ``won_amount``.
    lift
        Size of the lift (0.2 closes a fifth of the gap, or adds 20%).
    kind
        ``"gap"`` or ``"relative"``.
    months
        Window of recent entrants (and won deals for the deal value).
    horizon_days
        Conversion counted within this many days of entering the from-stage.
    as_of
        Extraction date (default: the company's, or the latest timestamp).

    Returns
    -------
    pandas.DataFrame
        One row per step, largest gain first: ``from_stage, to_stage,
        entered_per_year, conversion, revenue_through, revenue_share, multiplier``
        (``p'/p``, the ``conversion_multipliers`` value that would make the lift in
        the simulator), ``gain`` (revenue per year) and ``gain_share``.
        ``result.index[0]`` is the bottleneck.

    Examples
    --------
    Four inquiries in the window: half become AQLs, half of the AQLs win a
    deal worth 100 (all long enough ago that nobody is censored).

    >>> t = pd.to_datetime
    >>> leads = pd.DataFrame({
    ...     "inquiry_at": t(["2025-01-01", "2025-01-01", "2025-01-01", "2025-01-01"]),
    ...     "aql_at": t(["2025-01-02", "2025-01-02", None, None]),
    ...     "won_at": t(["2025-02-01", None, None, None]),
    ...     "won_amount": [100.0, None, None, None],
    ... })
    >>> steps = {"inquiry_to_aql": ("inquiry", "aql"), "aql_to_won": ("aql", "won")}
    >>> table = bottleneck(leads, steps=steps, as_of="2025-12-31", lift=0.5)
    >>> table = table[["conversion", "revenue_through", "multiplier", "gain"]]
    >>> table  # doctest: +NORMALIZE_WHITESPACE
                    conversion  revenue_through  multiplier   gain
    step
    inquiry_to_aql         0.5            100.0         1.5   50.0
    aql_to_won             0.5            100.0         1.5   50.0

    Both steps convert half, so closing half the gap (0.5 → 0.75) multiplies
    the revenue through each by 1.5: a tie. Revenue: 4 inquiries × 0.5 × 0.5 × 100.
    """
    if kind not in ("gap", "relative"):
        raise ValueError(f"kind must be 'gap' or 'relative', got {kind!r}")
    if not lift > 0:
        raise ValueError(f"lift must be > 0, got {lift!r}")
    leads, company_as_of = _leads_of(data)
    as_of = pd.Timestamp(as_of) if as_of is not None else (
        company_as_of if company_as_of is not None else _as_of(leads, None))
    if "won_amount" not in leads.columns:
        raise ValueError("bottleneck needs won_amount: pass a Company or leads from "
                         "with_outcomes(leads, opportunities)")
    steps = _steps_of(leads, steps)
    table = _step_rates(leads, steps, as_of=as_of, months=months, horizon_days=horizon_days,
                        motion_column=motion_column)
    window_start = as_of - pd.Timedelta(days=months * _MONTH_DAYS)
    won = leads.loc[(leads["won_at"] > window_start) & (leads["won_at"] <= as_of), "won_amount"]
    deal_value = float(won.mean()) if len(won) else np.nan
    worth = _stage_worth(table, deal_value)
    p = table["conversion"]
    table["revenue_through"] = table["entered_per_year"] * p * table["to_stage"].map(worth)
    inflow = ~table["from_stage"].isin(table["to_stage"])  # the steps out of the first stage
    total = table.loc[inflow, "revenue_through"].sum()
    table["revenue_share"] = table["revenue_through"] / total if total > 0 else np.nan
    lifted = p + lift * (1 - p) if kind == "gap" else np.minimum(1.0, p * (1 + lift))
    table["multiplier"] = lifted / p
    table["gain"] = table["revenue_through"] * (table["multiplier"] - 1)
    gains = table["gain"].sum()
    table["gain_share"] = table["gain"] / gains if gains > 0 else np.nan
    return table.sort_values("gain", ascending=False, kind="stable")


def _stage_worth(table: pd.DataFrame, deal_value: float) -> dict[str, float]:
    """Expected bookings per lead at each stage, ``w(X) = Σ p(X→Y) w(Y)``, ``w(won) = value``."""
    worth: dict[str, float] = {"won": deal_value}
    targets = set(table["to_stage"])
    # Resolve from the end of the waterfall backwards (the step graph has no cycles).
    pending = dict(table[["from_stage", "to_stage", "conversion"]].iterrows())
    for _ in range(len(pending) + 1):
        for stage in set(table["from_stage"]) | targets:
            if stage in worth:
                continue
            out = [(to, p) for _, (frm, to, p) in pending.items() if frm == stage]
            if out and all(to in worth for to, _ in out):
                worth[stage] = float(sum(p * worth[to] for to, p in out))
            elif not out:
                worth[stage] = np.nan if stage != "won" else deal_value
    return worth


class BottleneckShift(NamedTuple):
    """The result of :func:`bottleneck_shift`."""

    before: str
    """The bottleneck of the company as it is."""
    after: str
    """The bottleneck once the lifts have been made in the simulator."""
    sequence: tuple[str, ...]
    """The bottleneck before and after each round of lifting (``rounds + 1`` names)."""
    multipliers: dict[str, float]
    """The ``conversion_multipliers`` applied, per lifted step."""
    table: pd.DataFrame
    """Per step: conversion, gain and rank before the first and after the last lift."""


def bottleneck_shift(config: CompanyConfig | None = None, *, rng: int = DEFAULT_SEED,
                     lift: float = 0.2, kind: str = "gap", rounds: int = 1,
                     **options) -> BottleneckShift:
    """Lift the current bottleneck in the simulator and find the next one (claim 11).

    Simulates the company, finds its bottleneck with :func:`bottleneck`,
    simulates it again with the same seed and that step's
    ``conversion_multipliers`` multiplied by the lift's ``p'/p``, and measures
    the bottleneck again; ``rounds`` times. Everything else, every random draw
    included, stays as it was (common random numbers), so the new bottleneck is
    the lift's doing.

    Parameters
    ----------
    config
        A :class:`~revopslab.config.CompanyConfig` (default: the default company).
    rng
        Seed of every simulation.
    lift, kind, **options
        Passed to :func:`bottleneck`.
    rounds
        How many times to lift the bottleneck of the moment.

    Returns
    -------
    BottleneckShift
        ``before``, ``after``, the ``sequence`` of bottlenecks, the ``multipliers``
        applied and a ``table`` per step (conversion, gain and rank before and after).
    """
    # Deterministic in its arguments: computed once per package version, then read back.
    return _cache.cached_call(_bottleneck_shift, config, rng=rng, lift=lift, kind=kind,
                              rounds=rounds, **options)


def _bottleneck_shift(config: CompanyConfig | None, *, rng: int, lift: float, kind: str,
                      rounds: int, **options) -> BottleneckShift:
    """The engine of :func:`bottleneck_shift`."""
    from .config import CompanyConfig
    from .simulate import simulate_company

    if not (isinstance(rounds, int) and rounds >= 1):
        raise ValueError(f"rounds must be an int >= 1, got {rounds!r}")
    config = CompanyConfig() if config is None else config
    base = config
    first = current = bottleneck(simulate_company(config, rng=rng), lift=lift, kind=kind,
                                 **options)
    sequence = [first.index[0]]
    multipliers = dict(config.conversion_multipliers)
    for _ in range(rounds):
        step = current.index[0]
        multipliers[step] = multipliers.get(step, 1.0) * float(current.loc[step, "multiplier"])
        config = dataclasses.replace(config, conversion_multipliers=multipliers)
        current = bottleneck(simulate_company(config, rng=rng, history=base), lift=lift,
                             kind=kind, **options)
        sequence.append(current.index[0])
    table = pd.DataFrame({
        "conversion_before": first["conversion"],
        "conversion_after": current["conversion"],
        "gain_before": first["gain"],
        "gain_after": current["gain"],
        "rank_before": pd.Series(np.arange(1, len(first) + 1), index=first.index),
        "rank_after": pd.Series(np.arange(1, len(current) + 1), index=current.index),
    }).loc[first.index]
    table.index.name = "step"
    return BottleneckShift(before=sequence[0], after=sequence[-1], sequence=tuple(sequence),
                           multipliers=multipliers, table=table)


# ---------------------------------------------------------------- the 1% rule
def compound_growth(*, steps: int | Mapping[str, int], improvement: float = 0.01,
                    years: int | Sequence[int] = 3,
                    weights: Mapping[str, float] | None = None) -> pd.DataFrame:
    """Throughput of a chain of steps when each step improves by ``improvement`` a year.

    Output = input × p₁ × p₂ × … × p_k. Raising every ``p`` by 1% a year makes
    it ``(1.01)^y`` times higher after ``y`` years, so the chain's output is
    ``(1.01)^(k·y)`` times higher: the improvements multiply, they do not add.
    With paths of different lengths (``steps`` a mapping path -> k), the gain is
    the ``weights``-weighted mean of each path's ``(1.01)^(k·y) − 1`` (weights:
    each path's share of revenue; equal if omitted).

    Returns
    -------
    pandas.DataFrame
        Indexed by ``year``: ``multiple`` (of today's throughput) and ``gain``
        (``multiple − 1``), plus ``additive_gain`` (``k·y·improvement``, what
        adding the improvements up would suggest, for comparison).

    Examples
    --------
    Seven steps from inquiry to a won deal, each 1% better a year:

    >>> compound_growth(steps=7, years=[1, 3]).round(4)  # doctest: +NORMALIZE_WHITESPACE
          multiple    gain  additive_gain
    year
    1       1.0721  0.0721           0.07
    3       1.2324  0.2324           0.21

    ``1.01 ** 7 = 1.0721``; after three years ``1.01 ** 21 = 1.2324``.
    """
    years = [years] if isinstance(years, (int, np.integer)) else list(years)
    if isinstance(steps, Mapping):
        paths = dict(steps)
    else:
        paths = {"all": int(steps)}
    if weights is None:
        weights = {k: 1.0 for k in paths}
    unknown = sorted(set(weights) - set(paths))
    if unknown:
        raise ValueError(f"weights must name paths of steps {sorted(paths)}, got {unknown}")
    total = sum(weights.get(k, 0.0) for k in paths)
    if not total > 0:
        raise ValueError(f"weights must sum to more than 0, got {dict(weights)!r}")
    rows = []
    for y in years:
        gain = sum(weights.get(k, 0.0) * ((1 + improvement) ** (n * y) - 1)
                   for k, n in paths.items()) / total
        additive = sum(weights.get(k, 0.0) * n * y * improvement
                       for k, n in paths.items()) / total
        rows.append({"year": y, "multiple": 1 + gain, "gain": gain, "additive_gain": additive})
    return pd.DataFrame(rows).set_index("year")


def _bookings_by_motion(company) -> pd.Series:
    opps = company.opportunities
    won = opps[opps["is_won"]]
    motion = won["lead_id"].map(company.leads.set_index("lead_id")["motion"])
    return won.groupby(motion)["amount"].sum()


def one_percent_rule(config: CompanyConfig | None = None, *,
                     seeds: Sequence[int] = tuple(range(DEFAULT_SEED, DEFAULT_SEED + 4)),
                     years: Sequence[int] = (1, 2, 3), improvement: float = 0.01,
                     speed: bool = False, progress: bool = False) -> pd.DataFrame:
    """The 1% rule in arithmetic and in the simulator, side by side (claim 12).

    For each seed and each ``y`` in ``years``, the company is simulated twice
    with the same seed: as it is, and with every conversion step
    (``conversion_multipliers={"all": (1 + improvement) ** y}``: ``y`` years of
    +1% a year; with ``speed=True`` every step also gets that much faster). The
    simulated gain is the relative rise in bookings (deals won over the whole
    history). The arithmetic gain is :func:`compound_growth` over the
    company's own paths (7 steps inbound, 5 outbound, 4 field sales, see
    :data:`PATHS`) weighted by each path's share of the base bookings.

    The simulator applies one multiplier to the whole history, so a row for
    ``y`` compares a company ``y`` years of improvement ahead with today's (a
    steady state), not one improving month by month. The arithmetic assumes
    nothing else moves; in the simulator some things do. The same field reps
    carry more open deals and win a little less of each (their capacity is
    fixed), probabilities are capped at 0.98, and inside sales can work only so
    many AQLs a month: these pull the simulated gain below the arithmetic.
    Promoters referring new inquiries push it the other way.

    Returns
    -------
    pandas.DataFrame
        One row per seed and year: ``seed, year, multiplier, bookings_base,
        bookings_improved, simulated_gain, arithmetic_gain, difference``.
    """
    from .config import CompanyConfig
    from .sweep import sweep

    config = CompanyConfig() if config is None else config
    years = [int(y) for y in years]
    arms = {"base": config}
    for y in years:
        multiplier = (1 + improvement) ** y
        changes = {"conversion_multipliers": {**config.conversion_multipliers,
                                              "all": multiplier
                                              * config.conversion_multipliers.get("all", 1.0)}}
        if speed:
            changes["speed_multipliers"] = {**config.speed_multipliers,
                                            "all": multiplier
                                            * config.speed_multipliers.get("all", 1.0)}
        arms[f"year {y}"] = dataclasses.replace(config, **changes)
    # The improvements start on the history's first day, from the same past.
    frame = sweep(arms, seeds=seeds, measure=_bookings_by_motion, progress=progress,
                  desc="1% rule")
    wide = frame.pivot_table(index=["seed", "arm"], columns="measure", values="value",
                             observed=True, sort=False).fillna(0.0)
    rows = []
    for seed in pd.unique(frame["seed"]):
        by_motion = wide.loc[(seed, "base")]
        by_motion = by_motion[by_motion > 0]
        b0 = float(by_motion.sum())
        for y in years:
            arithmetic = compound_growth(
                steps={m: len(PATHS[m]) for m in by_motion.index if m in PATHS},
                weights={m: float(v) for m, v in by_motion.items() if m in PATHS},
                improvement=improvement, years=[y])["gain"].iloc[0]
            b1 = float(wide.loc[(seed, f"year {y}")].sum())
            rows.append({"seed": int(seed), "year": y, "multiplier": (1 + improvement) ** y,
                         "bookings_base": b0, "bookings_improved": b1,
                         "simulated_gain": b1 / b0 - 1, "arithmetic_gain": float(arithmetic)})
    out = pd.DataFrame(rows)
    out["difference"] = out["simulated_gain"] - out["arithmetic_gain"]
    return out
