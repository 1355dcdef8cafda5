"""Judgment, weighted-pipeline and predictive bookings forecasts, with point-in-time backtests."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from . import _cache
from ._lang import text
from .vocabulary import CHANNELS, OPPORTUNITY_STAGES, SEGMENTS

if TYPE_CHECKING:
    from .simulate import Company

__all__ = [
    "METHODS",
    "OUTCOME_COLUMNS",
    "FEATURES",
    "NotEnoughHistory",
    "LeakageError",
    "point_in_time",
    "snapshot_features",
    "assert_point_in_time",
    "stage_probabilities",
    "judgment_forecast",
    "calibrated_judgment_forecast",
    "weighted_pipeline_forecast",
    "predictive_forecast",
    "backtest",
    "BASELINES",
    "TARGETS",
    "accuracy",
    "mape",
    "wape",
    "bias",
]

#: The three forecasting methods of chapter 5, from human judgment to data.
METHODS: tuple[str, ...] = ("judgment", "weighted", "predictive")

#: Columns that describe how an opportunity ended: never knowable while it is open.
OUTCOME_COLUMNS: frozenset[str] = frozenset({
    "is_won", "is_closed", "closed_at", "status", "won", "lost", "won_at", "lost_at",
    "won_amount", "outcome", "label", "target", "closed_won", "activities",
})

#: The predictive model's features, all known on the snapshot date (see :func:`snapshot_features`).
FEATURES: tuple[str, ...] = (
    "stage_index", "days_in_stage", "days_open", "log_amount", "segment", "push_count",
    "days_to_expected_close", "rep_probability", "rep_tenure_days", "lead_score", "channel",
)
_CATEGORICAL = {"segment": SEGMENTS, "channel": CHANNELS}
_OPEN_STAGES = OPPORTUNITY_STAGES
_DAY = pd.Timedelta(days=1)


class NotEnoughHistory(ValueError):
    """A method cannot forecast yet: too little was known on the forecast date."""


class LeakageError(AssertionError):
    """A feature uses information that was not known on the snapshot date."""


# ------------------------------------------------------------------ point in time
def point_in_time(company: Company, at) -> Company:
    """The company as its systems showed it on the date ``at``: nothing after it.

    Rows created after ``at`` are dropped; what happened to the remaining rows
    after ``at`` is blanked: an opportunity closed later is open again (stage:
    the last stage entered by ``at``; probability and category: its last
    snapshot; activities: unknown, since the CRM export holds only the final
    count), a lead's later stages are empty, a ticket resolved later is open,
    a subscription that ended later is running. Monthly tables keep the months
    that had started by ``at`` (MRR is billed in advance), or, for usage,
    marketing spend and costs, the months that had ended. ``as_of`` becomes ``at``.

    Forecasting from ``point_in_time(company, at)`` and from ``company`` must give
    the same answer; :func:`assert_point_in_time` checks exactly that.

    Examples
    --------
    >>> from revopslab.config import CompanyConfig
    >>> from revopslab.simulate import simulate_company
    >>> company = simulate_company(CompanyConfig(months=6, scale=0.1), rng=1)
    >>> then = point_in_time(company, "2023-04-01")
    >>> bool((then.opportunities["created_at"] <= then.as_of).all())
    True
    >>> bool(then.opportunities["closed_at"].max() <= pd.Timestamp("2023-04-01"))
    True
    """
    at = pd.Timestamp(at)
    t = {name: df for name, df in company}

    leads = t["leads"][t["leads"]["inquiry_at"] <= at].copy()
    stage_cols = [c for c in leads.columns if c.endswith("_at")]
    for c in stage_cols:
        leads[c] = leads[c].where(leads[c] <= at)
    if "furthest_stage" in leads.columns:
        reached = leads[stage_cols].notna().to_numpy()
        names = np.array([c[:-3] for c in stage_cols], dtype=object)
        last = reached.shape[1] - 1 - reached[:, ::-1].argmax(axis=1)
        leads["furthest_stage"] = pd.Series(names[last], index=leads.index, dtype="str")
    if "handoff_days" in leads.columns:
        leads["handoff_days"] = leads["handoff_days"].where(leads["sal_at"].notna())
    if "routed_to_account" in leads.columns:  # routing happens once a lead is an SQL
        leads["routed_to_account"] = leads["routed_to_account"] & leads["sql_at"].notna()

    stages = t["opportunity_stages"][t["opportunity_stages"]["entered_at"] <= at]
    snaps = t["pipeline_snapshots"][t["pipeline_snapshots"]["snapshot_date"] <= at]
    opps = t["opportunities"][t["opportunities"]["created_at"] <= at].copy()
    later = ~(opps["closed_at"] <= at)  # open on `at` (also those never closed)
    open_stage = stages[stages["stage"].isin(_OPEN_STAGES)].sort_values("entered_at")
    current = open_stage.groupby("opportunity_id")["stage"].last()
    last_snap = snaps.sort_values("snapshot_date").groupby("opportunity_id").last()
    ids = opps.loc[later, "opportunity_id"]
    opps.loc[later, "closed_at"] = pd.NaT
    opps.loc[later, "is_closed"] = False
    opps.loc[later, "is_won"] = False
    opps.loc[later, "status"] = "open"
    opps.loc[later, "stage"] = ids.map(current).fillna("discovery").to_numpy()
    opps.loc[later, "rep_probability"] = ids.map(last_snap["rep_probability"]).to_numpy()
    opps.loc[later, "forecast_category"] = ids.map(
        last_snap["forecast_category"]).fillna("Pipeline").to_numpy()
    opps["activities"] = opps["activities"].astype("Float64").where(~later)

    def upto(name: str, column: str, *, ended: bool = False) -> pd.DataFrame:
        df = t[name]
        limit = at - pd.DateOffset(months=1) if ended else at
        return df[df[column] <= limit]

    subs = upto("subscriptions", "start_month").copy()
    subs["end_month"] = subs["end_month"].where(subs["end_month"] <= at)
    tickets = upto("tickets", "opened_at").copy()
    unresolved = ~(tickets["resolved_at"] <= at)
    tickets["resolved_at"] = tickets["resolved_at"].where(~unresolved)
    tickets["resolution_hours"] = tickets["resolution_hours"].where(~unresolved)
    tickets["csat"] = tickets["csat"].where(~unresolved)
    tables = dict(
        accounts=upto("accounts", "first_seen_at"), leads=leads, opportunities=opps,
        opportunity_stages=stages, pipeline_snapshots=snaps, subscriptions=subs,
        mrr=upto("mrr", "month"), mrr_movements=upto("mrr_movements", "month"),
        invoices=upto("invoices", "issued_on"), usage=upto("usage", "month", ended=True),
        tickets=tickets, nps_responses=upto("nps_responses", "surveyed_at"),
        reps=upto("reps", "hired_on"),
        marketing_spend=upto("marketing_spend", "month", ended=True),
        costs=upto("costs", "month", ended=True),
    )
    tables = {k: v.reset_index(drop=True) for k, v in tables.items()}
    return dataclasses.replace(company, as_of=at, **tables)


# ------------------------------------------------------------------ features
def snapshot_features(company: Company, *, dates: Sequence | None = None) -> pd.DataFrame:
    """One row per opportunity and snapshot date, with what was known on that date only.

    From the weekly snapshot itself: ``stage_index`` (0 discovery … 3
    negotiation), ``days_open``, ``log_amount``, ``segment``, ``push_count``,
    ``rep_probability`` and ``days_to_expected_close``. From the stage history up
    to that date: ``days_in_stage``. From the lead the deal came from (known
    before the deal existed): marketing's ``lead_score`` and the ``channel``.
    From the rep's record: ``rep_tenure_days`` (ramping reps win less).

    The CRM export has no activity count per snapshot (``opportunities.activities``
    is the count at extraction, which for a closed deal includes its whole cycle),
    so activity is not a feature; if ``pipeline_snapshots`` had an ``activities``
    column it would be used as ``activities_to_date``.

    Parameters
    ----------
    dates
        Only these snapshot dates (default: all).

    Returns
    -------
    pandas.DataFrame
        ``snapshot_date, opportunity_id, amount, expected_close_date`` and the
        columns of :data:`FEATURES` (plus ``activities_to_date`` when available).
    """
    snaps = company.pipeline_snapshots
    if dates is not None:
        snaps = snaps[snaps["snapshot_date"].isin(pd.DatetimeIndex(pd.to_datetime(dates)))]
    out = snaps[["snapshot_date", "opportunity_id", "amount", "expected_close_date"]].copy()
    out["stage_index"] = snaps["stage"].map({s: i for i, s in enumerate(_OPEN_STAGES)})
    history = company.opportunity_stages
    entered = history.set_index(["opportunity_id", "stage"])["entered_at"]
    keys = pd.MultiIndex.from_arrays([snaps["opportunity_id"], snaps["stage"]])
    stage_start = entered.reindex(keys).to_numpy()
    out["days_in_stage"] = ((snaps["snapshot_date"].to_numpy() - stage_start) / _DAY)
    out["days_open"] = snaps["days_open"].astype(float)
    out["log_amount"] = np.log(snaps["amount"].clip(lower=1.0))
    out["segment"] = snaps["segment"]
    out["push_count"] = snaps["push_count"].astype(float)
    out["days_to_expected_close"] = (snaps["expected_close_date"]
                                     - snaps["snapshot_date"]) / _DAY
    out["rep_probability"] = snaps["rep_probability"]
    hired = company.reps.set_index("rep_id")["hired_on"]
    out["rep_tenure_days"] = (snaps["snapshot_date"]
                              - snaps["owner_rep_id"].map(hired)) / _DAY
    lead_of = company.opportunities.set_index("opportunity_id")["lead_id"]
    leads = company.leads.set_index("lead_id")
    lead = snaps["opportunity_id"].map(lead_of)
    out["lead_score"] = lead.map(leads["lead_score"]).astype(float)
    out["channel"] = lead.map(leads["channel"])
    if "activities" in snaps.columns:
        out["activities_to_date"] = snaps["activities"].astype(float)
    return out.reset_index(drop=True)


def _feature_names(features: pd.DataFrame) -> list[str]:
    names = list(FEATURES)
    if "activities_to_date" in features.columns:
        names.append("activities_to_date")
    return names


def _view_at(company, at: pd.Timestamp) -> pd.DataFrame:
    """What the forecasting features look like at ``at``, built from ``point_in_time``."""
    then = point_in_time(company, at)
    snap_date = _snapshot_date(then, at)
    view = snapshot_features(then, dates=[snap_date])
    view["stage"] = view["stage_index"].map(dict(enumerate(_OPEN_STAGES)))
    snaps = then.pipeline_snapshots
    snaps = snaps[snaps["snapshot_date"] == snap_date].set_index("opportunity_id")
    for column in snaps.columns:
        if column not in view.columns:
            view[column] = view["opportunity_id"].map(snaps[column]).to_numpy()
    return view.set_index("opportunity_id")


def assert_point_in_time(features: pd.DataFrame | Callable, snapshot_date,
                         company: Company, *,
                         key: str = "opportunity_id") -> None:
    """Fail when a feature uses information not known on ``snapshot_date``.

    Two ways to check, the second one stronger:

    * **a frame** of features (one row per opportunity, ``key`` a column or the
      index): no column may be an outcome (:data:`OUTCOME_COLUMNS`) unless its
      values are the point-in-time ones; every row must be an opportunity open
      on that date; every column the point-in-time view also has (the snapshot's
      columns and :data:`FEATURES`) must hold the values of that date, not later
      ones (a ``stage`` copied from today's opportunities table fails); and no
      date column may lie after ``snapshot_date`` (``expected_close_date``, a
      plan, excepted). A frame can only be checked by names and by values the
      guard can recompute: a future fact under an unknown name passes.
    * **a function** ``features(company, snapshot_date) -> DataFrame``: it is
      run on ``company`` and on :func:`point_in_time` ``(company, snapshot_date)``,
      where everything after the date is gone. Any difference means the
      function read the future, whatever the column is called.

    Raises
    ------
    LeakageError
        With every problem found.

    Examples
    --------
    >>> from revopslab.config import CompanyConfig
    >>> from revopslab.simulate import simulate_company
    >>> company = simulate_company(CompanyConfig(months=9, scale=0.2), rng=3)
    >>> date = company.pipeline_snapshots["snapshot_date"].iloc[-1] - pd.Timedelta(weeks=12)
    >>> honest = lambda c, at: snapshot_features(c, dates=[at])
    >>> assert_point_in_time(honest, date, company)
    >>> def peeking(c, at):
    ...     out = snapshot_features(c, dates=[at])
    ...     won = out["opportunity_id"].map(c.opportunities.set_index("opportunity_id")["is_won"])
    ...     return out.assign(signal=won.astype(float))
    >>> assert_point_in_time(peeking, date, company)
    Traceback (most recent call last):
    ...
    revopslab.forecast.LeakageError: features differ once the future is removed ...
    """
    at = pd.Timestamp(snapshot_date)
    if callable(features):
        now = features(company, at)
        then = features(point_in_time(company, at), at)
        problems = _compare(now, then)
        if problems:
            raise LeakageError(
                text(en=f"features differ once the future is removed (after {at.date()}): ",
                     ja=f"未来（{at.date()}より後）を取り除くと特徴量が変わります：")
                + "; ".join(problems))
        return
    if not isinstance(features, pd.DataFrame):
        raise TypeError("features must be a DataFrame or a function (company, date) -> "
                        f"DataFrame, got {type(features).__name__}")
    frame = features.set_index(key) if key in features.columns else features
    view = _view_at(company, at)
    problems = []
    extra = frame.index.difference(view.index)
    if len(extra):
        problems.append(f"{len(extra)} rows are not opportunities open on {at.date()} "
                        f"(e.g. {list(extra[:3])}): their existence is not known yet")
    rows = frame.index.intersection(view.index)
    for column in frame.columns:
        values = frame.loc[rows, column]
        if column in view.columns:
            expected = view.loc[rows, column]
            if not _same(values, expected):
                problems.append(f"column {column!r} does not hold the values known on "
                                f"{at.date()}")
            continue
        if column in OUTCOME_COLUMNS:
            problems.append(f"column {column!r} is an outcome, unknown while the deal is open")
        elif (pd.api.types.is_datetime64_any_dtype(values)
              and column != "expected_close_date" and (values > at).any()):
            problems.append(f"column {column!r} holds dates after {at.date()}")
    if problems:
        raise LeakageError(f"features not known on {at.date()}: " + "; ".join(problems))


def _same(a: pd.Series, b: pd.Series) -> bool:
    a, b = a.reset_index(drop=True), b.reset_index(drop=True)
    try:
        if pd.api.types.is_numeric_dtype(a) and pd.api.types.is_numeric_dtype(b):
            return bool(np.allclose(a.to_numpy(float), b.to_numpy(float), equal_nan=True))
        return bool(((a == b) | (a.isna() & b.isna())).all())
    except (TypeError, ValueError):
        return False


def _compare(now: pd.DataFrame, then: pd.DataFrame) -> list[str]:
    if isinstance(now, pd.Series):
        now, then = now.to_frame(), then.to_frame()
    problems = []
    if list(now.columns) != list(then.columns):
        problems.append(f"columns {sorted(set(now.columns) ^ set(then.columns))} appear on "
                        "one side only")
    if len(now) != len(then):
        problems.append(f"{len(now)} rows with the future, {len(then)} without")
        return problems
    for column in now.columns.intersection(then.columns):
        if not _same(now[column], then[column]):
            problems.append(text(en=f"column {column!r}", ja=f"列{column!r}"))
    return problems


# ------------------------------------------------------------------ the three methods
def _snapshot_date(company, at: pd.Timestamp) -> pd.Timestamp:
    dates = company.pipeline_snapshots["snapshot_date"]
    known = dates[dates <= at]
    if not len(known):
        raise NotEnoughHistory(f"no pipeline snapshot on or before {at.date()}")
    return pd.Timestamp(known.max())


def _window(at, start, end) -> tuple[pd.Timestamp, pd.Timestamp, pd.Timestamp]:
    at, start, end = pd.Timestamp(at), pd.Timestamp(start), pd.Timestamp(end)
    if not at <= start < end:
        raise ValueError(f"need at <= start < end, got at={at.date()}, start={start.date()}, "
                         f"end={end.date()}")
    return at, start, end


def _pipeline(company, at: pd.Timestamp) -> pd.DataFrame:
    snaps = company.pipeline_snapshots
    return snaps[snaps["snapshot_date"] == _snapshot_date(company, at)]


def judgment_forecast(company, *, at, start, end, how: str = "probability") -> pd.Series:
    """The reps' own forecast (KKD: 経験・勘・努力, experience, intuition and effort).

    Takes the pipeline snapshot on ``at`` (the latest on or before it) and the
    deals whose rep-entered ``expected_close_date`` falls in ``[start, end)``.
    ``how="probability"``: each counts ``amount × rep_probability`` (the stage
    default plus the rep's own optimism, as typed into the CRM);
    ``how="commit"``: the full amount of the deals the reps call *Commit*.

    Returns
    -------
    pandas.Series
        Expected bookings per opportunity open on ``at`` (0 for deals not expected
        in the window); ``.sum()`` is the forecast.

    Examples
    --------
    >>> from types import SimpleNamespace
    >>> snaps = pd.DataFrame({
    ...     "snapshot_date": pd.to_datetime(["2025-03-31"] * 3),
    ...     "opportunity_id": ["a", "b", "c"], "amount": [100.0, 200.0, 400.0],
    ...     "expected_close_date": pd.to_datetime(["2025-04-10", "2025-05-01", "2025-08-01"]),
    ...     "rep_probability": [0.9, 0.5, 0.6],
    ...     "forecast_category": ["Commit", "Best Case", "Best Case"]})
    >>> crm = SimpleNamespace(pipeline_snapshots=snaps)
    >>> judgment_forecast(crm, at="2025-03-31", start="2025-04-01", end="2025-07-01").sum()
    np.float64(190.0)
    >>> judgment_forecast(crm, at="2025-03-31", start="2025-04-01", end="2025-07-01",
    ...                   how="commit").sum()
    np.float64(100.0)

    ``100 × 0.9 + 200 × 0.5 = 190``; deal c is expected after the quarter.
    """
    at, start, end = _window(at, start, end)
    if how not in ("probability", "commit"):
        raise ValueError(f"how must be 'probability' or 'commit', got {how!r}")
    pipe = _pipeline(company, at)
    inside = (pipe["expected_close_date"] >= start) & (pipe["expected_close_date"] < end)
    if how == "probability":
        value = pipe["amount"] * pipe["rep_probability"]
    else:
        value = pipe["amount"] * (pipe["forecast_category"] == "Commit")
    return pd.Series(np.where(inside, value, 0.0), index=pipe["opportunity_id"].to_numpy(),
                     name="judgment")


def stage_probabilities(company, *, at, by: Sequence[str] = ("stage",),
                        min_deals: int = 20) -> pd.Series:
    """Historical win rate of deals that reached each stage, from deals closed by ``at``.

    ``P(won | reached stage s) = won / closed`` among the opportunities closed
    on or before ``at`` whose stage history includes ``s``. With ``by=("segment",
    "stage")`` the rate is per segment; a cell with fewer than ``min_deals``
    closed deals falls back to the stage's rate over all segments. Only deals
    closed by ``at`` count, so early on the fast deals (small ones) dominate:
    that is the method's honest handicap, not a leak.

    Returns
    -------
    pandas.Series
        Win probability indexed by ``by``.

    Examples
    --------
    >>> from types import SimpleNamespace
    >>> opps = pd.DataFrame({"opportunity_id": ["a", "b", "c", "d"],
    ...                      "segment": ["SMB"] * 4, "is_won": [True, False, False, True],
    ...                      "closed_at": pd.to_datetime(["2025-01-10", "2025-01-20",
    ...                                                   "2025-02-01", "2025-06-01"])})
    >>> stages = pd.DataFrame({"opportunity_id": ["a", "a", "b", "c", "c", "d"],
    ...                        "stage": ["discovery", "demo", "discovery", "discovery",
    ...                                  "demo", "discovery"],
    ...                        "entered_at": pd.to_datetime(["2025-01-01"] * 6)})
    >>> crm = SimpleNamespace(opportunities=opps, opportunity_stages=stages)
    >>> stage_probabilities(crm, at="2025-03-01", min_deals=1).round(3)
    stage
    discovery      0.333
    demo           0.500
    proposal       0.333
    negotiation    0.333
    Name: win_probability, dtype: float64

    By 1 March a, b and c had closed: all three reached discovery and one won
    (1/3); a and c reached demo, one won (1/2). Nobody reached proposal or
    negotiation yet, so those fall back to the overall 1/3. Deal d, won in
    June, is not known yet.
    """
    at = pd.Timestamp(at)
    by = list(by)
    if not set(by) <= {"stage", "segment"} or "stage" not in by:
        raise ValueError(f"by must be ('stage',) or ('segment', 'stage'), got {tuple(by)}")
    opps = company.opportunities
    closed = opps[opps["closed_at"] <= at]
    if not len(closed):
        raise NotEnoughHistory(f"no deal had closed by {at.date()}")
    history = company.opportunity_stages
    history = history[history["opportunity_id"].isin(closed["opportunity_id"])
                      & history["stage"].isin(_OPEN_STAGES)]
    info = closed.set_index("opportunity_id")
    reached = pd.DataFrame({"stage": history["stage"].to_numpy(),
                            "segment": history["opportunity_id"].map(info["segment"]).to_numpy(),
                            "won": history["opportunity_id"].map(info["is_won"]).to_numpy(
                                dtype=float)})
    overall = float(closed["is_won"].mean())
    per_stage = reached.groupby("stage")["won"].agg(["mean", "size"])
    stage_rate = per_stage["mean"].where(per_stage["size"] >= min_deals).reindex(
        list(_OPEN_STAGES)).fillna(overall)
    if by == ["stage"]:
        out = stage_rate
    else:
        cells = reached.groupby(by)["won"].agg(["mean", "size"])
        index = pd.MultiIndex.from_product([_CATEGORICAL["segment"], _OPEN_STAGES],
                                           names=["segment", "stage"])
        if by[0] == "stage":
            index = index.swaplevel()
        cells = cells.reindex(index)
        fallback = stage_rate.reindex(index.get_level_values("stage")).to_numpy()
        out = cells["mean"].where(cells["size"] >= min_deals).fillna(
            pd.Series(fallback, index=index))
    out.name = "win_probability"
    return out


def weighted_pipeline_forecast(company, *, at, start, end, by: Sequence[str] = ("stage",),
                               min_deals: int = 20) -> pd.Series:
    """Weighted pipeline: each deal expected in the window × its stage's historical win rate.

    The same deals as :func:`judgment_forecast` (``expected_close_date`` in
    ``[start, end)`` on the snapshot of ``at``), but weighted by
    :func:`stage_probabilities` learned from the deals closed by ``at``
    instead of the reps' own probabilities.

    Returns
    -------
    pandas.Series
        Expected bookings per opportunity open on ``at``.
    """
    at, start, end = _window(at, start, end)
    pipe = _pipeline(company, at)
    rates = stage_probabilities(company, at=at, by=by, min_deals=min_deals)
    keys = pd.MultiIndex.from_frame(pipe[list(by)]) if len(by) > 1 else pipe["stage"]
    probability = rates.reindex(keys).to_numpy()
    inside = (pipe["expected_close_date"] >= start) & (pipe["expected_close_date"] < end)
    return pd.Series(np.where(inside, pipe["amount"].to_numpy() * probability, 0.0),
                     index=pipe["opportunity_id"].to_numpy(), name="weighted")


def _model(kind: str, names: list[str]):
    """An unfitted model for the design columns ``names`` (see :func:`_design`)."""
    if kind == "hgb":
        from sklearn.ensemble import HistGradientBoostingClassifier

        return HistGradientBoostingClassifier(
            max_iter=150, learning_rate=0.05, max_leaf_nodes=15, min_samples_leaf=40,
            l2_regularization=1.0, early_stopping=False, random_state=0,
            categorical_features=[f in _CATEGORICAL for f in names])
    if kind == "logistic":
        from sklearn.linear_model import LogisticRegression
        from sklearn.pipeline import make_pipeline
        from sklearn.preprocessing import StandardScaler

        return make_pipeline(StandardScaler(), LogisticRegression(C=1.0, max_iter=2000))
    raise ValueError(f"model must be 'hgb' or 'logistic', got {kind!r}")


def _design(features: pd.DataFrame, kind: str) -> np.ndarray:
    names = _feature_names(features)
    columns = []
    for name in names:
        values = features[name]
        if name in _CATEGORICAL:
            codes = pd.Categorical(values, categories=_CATEGORICAL[name]).codes.astype(float)
            codes[codes < 0] = np.nan
            if kind == "logistic":  # one-hot for the linear model
                for k in range(len(_CATEGORICAL[name])):
                    columns.append((codes == k).astype(float))
                continue
            columns.append(codes)
        else:
            column = values.to_numpy(dtype=float)
            if kind == "logistic":
                column = np.nan_to_num(column, nan=float(np.nanmedian(column))
                                       if np.isfinite(column).any() else 0.0)
            columns.append(column)
    return np.column_stack(columns) if columns else np.empty((len(features), 0))


def _labels(company, rows: pd.DataFrame, offset_start: pd.Timedelta,
            offset_end: pd.Timedelta, at: pd.Timestamp) -> np.ndarray:
    """Won within ``[t + offset_start, t + offset_end)`` of each row's snapshot date ``t``."""
    opps = company.opportunities.set_index("opportunity_id")
    closed = rows["opportunity_id"].map(opps["closed_at"])
    won = rows["opportunity_id"].map(opps["is_won"]).fillna(False).astype(bool)
    known = closed <= at
    t = rows["snapshot_date"]
    inside = (closed >= t + offset_start) & (closed < t + offset_end)
    return (won & known & inside).to_numpy()


def predictive_forecast(company, *, at, start, end, model: str = "hgb",
                        min_rows: int = 300, min_wins: int = 30,
                        features: pd.DataFrame | None = None) -> pd.Series:
    """A model learned from history: P(won inside the window) for every open deal.

    The question asked of each deal open on ``at`` is the one the forecast
    needs: *will it close won between* ``start`` *and* ``end``? The model
    learns it from earlier snapshots: a deal seen on an earlier Monday ``t`` is
    labelled won if it closed won between ``t + (start − at)`` and
    ``t + (end − at)``. Only rows whose whole window had ended by ``at`` are
    used, so every label was known on the forecast date (deals still open then
    are not dropped, which would favour the fast ones). The features are
    :data:`FEATURES` from :func:`snapshot_features`, each known on its own
    snapshot date; no close date is assumed, so the model also learns how
    optimistic the reps' expected close dates are.

    Parameters
    ----------
    model
        ``"hgb"`` (scikit-learn ``HistGradientBoostingClassifier``) or ``"logistic"``.
    min_rows, min_wins
        Fewest labelled rows and won labels to train on; fewer raise
        :class:`NotEnoughHistory`.
    features
        ``snapshot_features(company)``, computed once and reused across forecasts
        (default: computed here). Each row depends only on its own date, so
        sharing it between forecast dates leaks nothing.

    Returns
    -------
    pandas.Series
        ``amount × P(won in window)`` per opportunity open on ``at``.
    """
    at, start, end = _window(at, start, end)
    features = snapshot_features(company) if features is None else features
    snap_date = _snapshot_date(company, at)
    offset_start, offset_end = start - at, end - at
    train = features[features["snapshot_date"] + offset_end <= at]
    y = _labels(company, train, offset_start, offset_end, at)
    if len(train) < min_rows or y.sum() < min_wins or y.all():
        raise NotEnoughHistory(f"{len(train)} labelled snapshot rows with {int(y.sum())} wins "
                               f"by {at.date()}; need {min_rows} and {min_wins}")
    from threadpoolctl import threadpool_limits

    estimator = _model(model, _feature_names(train))
    now = features[features["snapshot_date"] == snap_date]
    # One OpenMP thread: on a few thousand rows, thread start-up costs more than it saves
    # (20x slower with two threads on a 2-CPU machine); the result is the same.
    with threadpool_limits(limits=1, user_api="openmp"):
        estimator.fit(_design(train, model), y)
        p = estimator.predict_proba(_design(now, model))[:, 1] if len(now) else np.array([])
    return pd.Series(now["amount"].to_numpy() * p, index=now["opportunity_id"].to_numpy(),
                     name="predictive")


# ------------------------------------------------------------------ backtest and accuracy
def mape(forecast, actual) -> float:
    """Mean absolute percentage error: ``mean(|F − A| / A)`` over periods with ``A > 0``.

    Examples
    --------
    >>> mape([110, 90, 50], [100, 100, 0])  # (0.1 + 0.1) / 2; A = 0 is skipped
    0.1
    """
    f, a = np.asarray(forecast, float), np.asarray(actual, float)
    keep = a > 0
    return float(np.mean(np.abs(f[keep] - a[keep]) / a[keep])) if keep.any() else float("nan")


def wape(forecast, actual) -> float:
    """Weighted absolute percentage error: ``Σ|F − A| / ΣA`` (big periods weigh more).

    Examples
    --------
    >>> wape([110, 90, 50], [100, 100, 0])  # (10 + 10 + 50) / 200
    0.35
    """
    f, a = np.asarray(forecast, float), np.asarray(actual, float)
    return float(np.abs(f - a).sum() / a.sum()) if a.sum() > 0 else float("nan")


def bias(forecast, actual) -> float:
    """Signed error relative to the actual: ``Σ(F − A) / ΣA``; above 0 is optimistic.

    Examples
    --------
    >>> bias([120, 90], [100, 100])  # (20 − 10) / 200
    0.05
    """
    f, a = np.asarray(forecast, float), np.asarray(actual, float)
    return float((f - a).sum() / a.sum()) if a.sum() > 0 else float("nan")


def _commit_forecast(company, *, at, start, end) -> pd.Series:
    return judgment_forecast(company, at=at, start=start, end=end, how="commit").rename("commit")


def _won_in_window(company, pipe: pd.DataFrame, start, end) -> pd.Series:
    """Per deal of ``pipe``: its amount if it closed won in ``[start, end)``, else 0."""
    opps = company.opportunities.set_index("opportunity_id")
    closed = pipe["opportunity_id"].map(opps["closed_at"])
    won = pipe["opportunity_id"].map(opps["is_won"]).fillna(False).astype(bool)
    return pd.Series(np.where(won & (closed >= start) & (closed < end), pipe["amount"], 0.0),
                     index=pipe["opportunity_id"].to_numpy())


def calibrated_judgment_forecast(company, *, at, start, end, lookback: int = 4,
                                 min_windows: int = 2) -> pd.Series:
    """The reps' own forecast, corrected by each rep's track record (calibration, no model).

    For up to ``lookback`` earlier windows of the same length that had ended by ``at``,
    :func:`judgment_forecast` is compared with what the same pipeline then booked in the
    window. Each rep's forecast is scaled by the ratio ``booked / forecast`` of their own
    past windows, shrunk towards the whole team's ratio (a rep with little history keeps
    the team's): ``ratio_rep = (booked_rep + m × ratio_team) / (forecast_rep + m)``, with
    ``m`` the median rep's past forecast. It learns *how much* each rep over- or
    under-calls, not which deals: that is the part of a forecast's gain that calibration
    alone buys.

    Raises
    ------
    NotEnoughHistory
        When fewer than ``min_windows`` past windows had ended by ``at``.

    Examples
    --------
    >>> from types import SimpleNamespace
    >>> day = pd.Timestamp
    >>> snaps = pd.DataFrame({
    ...     "snapshot_date": [day("2025-01-06")] * 2 + [day("2025-02-03")] * 2
    ...                      + [day("2025-03-03")] * 2,
    ...     "opportunity_id": ["a", "b", "c", "d", "e", "f"],
    ...     "owner_rep_id": ["r1", "r2"] * 3, "amount": [100.0] * 6,
    ...     "expected_close_date": [day("2025-01-20"), day("2025-01-20"), day("2025-02-20"),
    ...                             day("2025-02-20"), day("2025-03-20"), day("2025-03-20")],
    ...     "rep_probability": [0.8, 0.5] * 3, "forecast_category": "Best Case"})
    >>> opps = pd.DataFrame({"opportunity_id": list("abcdef"), "is_won": [False, True] * 3,
    ...                      "closed_at": [day("2025-01-25"), day("2025-01-25"),
    ...                                    day("2025-02-25"), day("2025-02-25"), pd.NaT, pd.NaT]})
    >>> crm = SimpleNamespace(pipeline_snapshots=snaps, opportunities=opps)
    >>> calibrated_judgment_forecast(crm, at="2025-03-03", start="2025-03-03",
    ...                              end="2025-03-31").round(1).to_dict()
    {'e': 27.6, 'f': 65.2}

    In the two past windows r1 called 80 twice and booked nothing; r2 called 50 twice and
    booked 100 twice. Team ratio ``200 / 260``; ``m`` is the median rep's call, 130. r1:
    ``(0 + 130 × 200/260) / (160 + 130) = 0.345``, so 80 becomes 27.6; r2:
    ``(200 + 100) / (100 + 130) = 1.304``, so 50 becomes 65.2.
    """
    at, start, end = _window(at, start, end)
    length = end - start
    lead = start - at
    past_f, past_a = [], []
    for j in range(1, lookback + 1):
        p_end = end - j * length
        p_start, p_at = p_end - length, p_end - length - lead
        if p_end > at:
            continue
        try:
            when = _snapshot_date(company, p_at)
        except NotEnoughHistory:
            break
        pipe = _pipeline(company, when)
        f = judgment_forecast(company, at=when, start=max(p_start, when), end=p_end)
        a = _won_in_window(company, pipe, p_start, p_end)
        reps = pipe["owner_rep_id"].to_numpy()
        past_f.append(pd.Series(f.to_numpy(), index=reps).groupby(level=0).sum())
        past_a.append(pd.Series(a.to_numpy(), index=reps).groupby(level=0).sum())
    if len(past_f) < min_windows:
        raise NotEnoughHistory(f"{len(past_f)} past windows had ended by {at.date()}; "
                               f"calibration needs {min_windows}")
    forecast_rep = pd.concat(past_f, axis=1).sum(axis=1)
    booked_rep = pd.concat(past_a, axis=1).sum(axis=1).reindex(forecast_rep.index, fill_value=0)
    team = booked_rep.sum() / forecast_rep.sum() if forecast_rep.sum() > 0 else 1.0
    m = float(forecast_rep[forecast_rep > 0].median()) if (forecast_rep > 0).any() else 1.0
    ratio = (booked_rep + m * team) / (forecast_rep + m)
    pipe = _pipeline(company, at)
    raw = judgment_forecast(company, at=at, start=start, end=end)
    scale = pipe["owner_rep_id"].map(ratio).fillna(team).to_numpy()
    return pd.Series(raw.to_numpy() * scale, index=raw.index, name="calibrated")


_FORECASTERS: dict[str, Callable] = {
    "judgment": judgment_forecast,
    "calibrated": calibrated_judgment_forecast,
    "weighted": weighted_pipeline_forecast,
    "predictive": predictive_forecast,
    "commit": _commit_forecast,
}

#: Naive baselines: the target's value in the previous period, or a year before.
BASELINES: tuple[str, ...] = ("last_period", "last_year")

#: What a backtest can score against (see :func:`backtest`).
TARGETS: tuple[str, ...] = ("pipeline", "all")

_LEVELS = {None: None, "segment": "segment", "rep": "owner_rep_id"}


def _group_sum(values: np.ndarray, groups: np.ndarray) -> pd.Series:
    return pd.Series(np.asarray(values, float), index=groups).groupby(level=0).sum()


def backtest(company: Company, *, horizon: str = "quarter", methods: Sequence[str] = METHODS,
             model: str = "hgb", target: str = "pipeline", level: str | None = None,
             run_rate_periods: int = 4, progress: bool = True) -> pd.DataFrame:
    """Point-in-time backtest: each method forecasts every period from what it knew then.

    For each complete ``horizon`` period of the history (quarters by default),
    the forecast is made on the last pipeline snapshot on or before the
    period's first day, by every method from that snapshot and from what had
    happened by then only (each method is a function of the company and the
    date; see :func:`point_in_time`).

    **What is forecast** (``target``):

    - ``"pipeline"``: the bookings in the period *from the deals open on the
      forecast date*, the part a pipeline method can see;
    - ``"all"``: every booking of the period. Pipeline methods then add a
      run-rate for the deals not yet created: the mean, over the last
      ``run_rate_periods`` periods that had ended by the forecast date, of the
      bookings from deals created after that period's forecast date.

    The naive baselines (:data:`BASELINES`) forecast the target's own value in
    the previous period (``last_period``) or in the same period a year earlier
    (``last_year``). With ``level="segment"`` or ``"rep"``, every method
    forecasts each segment (or owner) separately and each group is a row, so
    :func:`accuracy` scores the errors before they are summed (a miss in one
    segment cannot cancel a miss in another).

    A period is backtested only when every requested method can forecast it
    (the predictive model needs enough labelled history, see
    :func:`predictive_forecast`; a baseline needs its earlier period), so all
    methods are scored on the same periods.

    Parameters
    ----------
    company
        A :class:`~revopslab.simulate.Company` (or anything with its tables).
    horizon
        ``"quarter"`` or ``"month"``.
    methods
        Any of ``judgment``, ``calibrated`` (:func:`calibrated_judgment_forecast`),
        ``weighted``, ``predictive``, ``commit`` (the reps' Commit deals at full
        amount) and the :data:`BASELINES`.
    model
        The predictive method's model (``"hgb"`` or ``"logistic"``).
    target
        ``"pipeline"`` or ``"all"`` (see above).
    level
        ``None`` (the company), ``"segment"`` or ``"rep"``.
    run_rate_periods
        Periods averaged for the run-rate of ``target="all"``.
    progress
        Show a tqdm progress bar over the periods.

    Returns
    -------
    pandas.DataFrame
        One row per period, group and method: ``period, forecast_date, method, group,
        forecast, actual, error`` (forecast − actual), ``open_deals, open_pipeline,
        new_bookings, all_bookings``. Score it with :func:`accuracy`.
    """
    # Deterministic in the company's tables and the arguments: computed once per package
    # version and read back after (revopslab._cache.cached_call).
    return _cache.cached_call(_backtest, company, horizon=horizon, methods=methods,
                              model=model, target=target, level=level,
                              run_rate_periods=run_rate_periods, progress=progress)


def _backtest(company: Company, *, horizon: str, methods: Sequence[str], model: str,
              target: str, level: str | None, run_rate_periods: int,
              progress: bool) -> pd.DataFrame:
    """The engine of :func:`backtest` (its arguments are validated here)."""
    from tqdm.auto import tqdm

    freq = {"quarter": "Q", "month": "M"}.get(horizon)
    if freq is None:
        raise ValueError(f"horizon must be 'quarter' or 'month', got {horizon!r}")
    known = (*_FORECASTERS, *BASELINES)
    unknown = [m for m in methods if m not in known]
    if unknown or not methods:
        raise ValueError(f"methods must be among {known}, got {list(methods)}")
    if target not in TARGETS:
        raise ValueError(f"target must be one of {TARGETS}, got {target!r}")
    if level not in _LEVELS:
        raise ValueError(f"level must be None, 'segment' or 'rep', got {level!r}")
    if not (isinstance(run_rate_periods, int) and run_rate_periods >= 1):
        raise ValueError(f"run_rate_periods must be an int >= 1, got {run_rate_periods!r}")
    as_of = pd.Timestamp(company.as_of)
    snaps = company.pipeline_snapshots
    opps = company.opportunities.set_index("opportunity_id")
    if not len(snaps):
        return _empty_backtest()
    column = _LEVELS[level]
    group_of = (opps[column].astype(str) if column else
                pd.Series("all", index=opps.index))
    first = snaps["snapshot_date"].min().to_period(freq)
    periods = [p for p in pd.period_range(first, (as_of - _DAY).to_period(freq), freq=freq)
               if (p + 1).start_time <= as_of]  # an incomplete period has no actual yet
    # What each period booked, by group: from its pipeline, from deals created later, all.
    facts = {}
    for period in periods:
        start, end = period.start_time, (period + 1).start_time
        try:
            at = _snapshot_date(company, start)
        except NotEnoughHistory:
            continue  # no snapshot yet on the period's first day
        pipe = _pipeline(company, at)
        won = _won_in_window(company, pipe, start, end)
        groups = pipe["opportunity_id"].map(group_of).to_numpy()
        in_period = opps["is_won"] & (opps["closed_at"] >= start) & (opps["closed_at"] < end)
        new = in_period & (opps["created_at"] > at)
        facts[period] = {
            "at": at, "pipe": pipe, "groups": groups,
            "pipeline": _group_sum(won.to_numpy(), groups),
            "all": _group_sum(opps.loc[in_period, "amount"].to_numpy(),
                              group_of[in_period].to_numpy()),
            "new": _group_sum(opps.loc[new, "amount"].to_numpy(), group_of[new].to_numpy()),
        }
    step = {"Q": 4, "M": 12}[freq]
    features = snapshot_features(company) if "predictive" in methods else None
    rows = []
    for i, period in enumerate(tqdm(periods, disable=not progress, desc=f"backtest ({horizon})")):
        start, end = period.start_time, (period + 1).start_time
        if period not in facts:
            continue
        fact = facts[period]
        at, pipe, groups = fact["at"], fact["pipe"], fact["groups"]
        ended = [facts[q] for q in periods[:i]
                 if q in facts and (q + 1).start_time <= at][-run_rate_periods:]
        try:
            results = {}
            for method in methods:
                if method in BASELINES:
                    back = i - (1 if method == "last_period" else step)
                    if back < 0 or periods[back] not in facts:
                        raise NotEnoughHistory(f"{method} needs an earlier period's "
                                               "bookings")
                    results[method] = facts[periods[back]][target]
                    continue
                kwargs = {"features": features, "model": model} if method == "predictive" else {}
                values = _FORECASTERS[method](company, at=at, start=start, end=end, **kwargs)
                by_deal = values.reindex(pipe["opportunity_id"].to_numpy()).fillna(0.0)
                forecast_ = _group_sum(by_deal.to_numpy(), groups)
                if target == "all":
                    if not ended:
                        raise NotEnoughHistory(f"no period had ended by {at.date()} to take "
                                               "a run-rate from")
                    run_rate = pd.concat([f["new"] for f in ended], axis=1).fillna(0.0)
                    forecast_ = forecast_.add(run_rate.sum(axis=1) / len(ended), fill_value=0.0)
                results[method] = forecast_
        except NotEnoughHistory:
            continue
        actual = fact[target]
        keys = sorted(set(actual.index) | set(_group_sum(pipe["amount"].to_numpy(), groups).index)
                      | {k for r in results.values() for k in r.index})
        open_amount = _group_sum(pipe["amount"].to_numpy(), groups)
        open_count = _group_sum(np.ones(len(pipe)), groups)
        for method, value in results.items():
            for key in keys:
                f_, a_ = float(value.get(key, 0.0)), float(actual.get(key, 0.0))
                rows.append({"period": period, "forecast_date": at, "method": method,
                             "group": key, "forecast": f_, "actual": a_, "error": f_ - a_,
                             "open_deals": int(open_count.get(key, 0)),
                             "open_pipeline": float(open_amount.get(key, 0.0)),
                             "new_bookings": float(fact["new"].get(key, 0.0)),
                             "all_bookings": float(fact["all"].get(key, 0.0))})
    return pd.DataFrame(rows) if rows else _empty_backtest()


def _empty_backtest() -> pd.DataFrame:
    return pd.DataFrame(columns=["period", "forecast_date", "method", "group", "forecast",
                                 "actual",
                                 "error", "open_deals", "open_pipeline", "new_bookings",
                                 "all_bookings"])


def accuracy(results: pd.DataFrame) -> pd.DataFrame:
    """MAPE, WAPE and bias of each method over the periods of a :func:`backtest`.

    Returns
    -------
    pandas.DataFrame
        One row per method (in the backtest's order): ``periods``, ``mape``,
        ``wape``, ``bias`` (see :func:`mape`, :func:`wape`, :func:`bias`).

    Examples
    --------
    >>> results = pd.DataFrame({"method": ["judgment", "judgment", "weighted", "weighted"],
    ...                         "forecast": [130.0, 150.0, 90.0, 110.0],
    ...                         "actual": [100.0, 100.0, 100.0, 100.0]})
    >>> accuracy(results)  # doctest: +NORMALIZE_WHITESPACE
              periods  mape  wape  bias
    method
    judgment        2   0.4   0.4   0.4
    weighted        2   0.1   0.1   0.0
    """
    rows = []
    for method, group in results.groupby("method", sort=False):
        rows.append({"method": method, "periods": len(group),
                     "mape": mape(group["forecast"], group["actual"]),
                     "wape": wape(group["forecast"], group["actual"]),
                     "bias": bias(group["forecast"], group["actual"])})
    return pd.DataFrame(rows, columns=["method", "periods", "mape", "wape", "bias"]
                        ).set_index("method")


# --- used by the report (issue 16) ---
def _open_at(opportunities: pd.DataFrame, at: pd.Timestamp) -> pd.Series:
    """The deals open on ``at`` as the export tells it: created before, not closed before."""
    closed_at = opportunities["closed_at"]
    closed_before = opportunities["is_closed"].astype(bool) & (closed_at < at)
    return (opportunities["created_at"] < at) & ~closed_before


def _stage_at(opportunities: pd.DataFrame, stages: pd.DataFrame | None, at: pd.Timestamp
              ) -> pd.Series:
    """Each deal's stage on ``at``: its last stage entered before ``at`` (NaN without history)."""
    if stages is None:
        return pd.Series(np.nan, index=opportunities.index, dtype="object")
    known = stages[stages["entered_at"] < at].sort_values("entered_at", kind="stable")
    last = known.groupby("opportunity_id")["stage"].last()
    return opportunities["opportunity_id"].map(last)


def _checkpoints(opportunities: pd.DataFrame, *, at: pd.Timestamp) -> pd.DataFrame:
    """Deals open at each quarter start whose quarter has ended by ``at``, and if they won in it."""
    from .metrics import age_band

    start = opportunities["created_at"].min()
    if pd.isna(start):
        return pd.DataFrame(columns=["checkpoint", "opportunity_id", "age", "won"])
    quarters = pd.period_range(start, at, freq="Q").start_time
    rows = []
    for q in quarters:
        end = q + pd.offsets.QuarterBegin(1, startingMonth=1)
        if q <= start or end > at:
            continue
        live = opportunities[_open_at(opportunities, q)]
        won = (live["is_won"].astype(bool) & (live["closed_at"] >= q)
               & (live["closed_at"] < end))
        rows.append(pd.DataFrame({
            "checkpoint": q, "opportunity_id": live["opportunity_id"].to_numpy(),
            "age": age_band((q - live["created_at"]) / _DAY).to_numpy(),
            "won": won.to_numpy()}))
    if not rows:
        return pd.DataFrame(columns=["checkpoint", "opportunity_id", "age", "won"])
    return pd.concat(rows, ignore_index=True)


def age_win_rates(opportunities: pd.DataFrame, *, at,
                  stages: pd.DataFrame | None = None) -> pd.DataFrame:
    """Share of open deals won within the quarter, by age (and stage), learned point-in-time.

    At each quarter start ``q`` whose quarter has ended by ``at``, every deal
    then open (created before ``q``, not
    closed before it) is one observation: its age band on ``q``
    (:func:`revopslab.metrics.age_band`), with ``stages`` (a stage history
    ``opportunity_id, stage, entered_at``) its stage on ``q``, and whether it
    was won in that quarter. ``rate = won / open`` per group, pooled over the
    checkpoints. Only what was known by ``at`` is used, so a backtest with
    ``at`` at a past quarter start does not see the future. An export
    without stage history gives rates by age alone.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``age`` (or ``stage, age``): ``open, won, rate``.

    Examples
    --------
    >>> opps = pd.DataFrame({"opportunity_id": ["a", "b", "c", "d"],
    ...     "created_at": pd.to_datetime(["2024-12-20", "2024-12-25", "2024-11-01",
    ...                                   "2024-06-01"]),
    ...     "closed_at": pd.to_datetime(["2025-02-01", "2025-05-01", "2025-01-15", None]),
    ...     "is_closed": [True, True, True, False], "is_won": [True, True, False, False]})
    >>> age_win_rates(opps, at="2025-07-01")  # doctest: +NORMALIZE_WHITESPACE
            open  won  rate
    age
    0-29       2    1   0.5
    30-59      1    0   0.0
    60-89      1    0   0.0
    90-179     2    1   0.5
    180+       2    0   0.0

    The checkpoints are the quarter starts 2024-07-01 … 2025-04-01 (the last
    whose quarter ends by 2025-07-01). On 2024-07-01 only d is open (30 days
    old), on 2024-10-01 d again (122 days). On 2025-01-01 a (12 days) is won
    in the quarter, b (7 days) is not (won 05-01), c (61 days) is lost, d is
    214 days old. On 2025-04-01 b (97 days) is won in the quarter and d (304
    days) is not.
    """
    at = pd.Timestamp(at)
    points = _checkpoints(opportunities, at=at)
    keys = ["age"]
    if stages is not None and len(points):
        stage_by_q = []
        for q, group in points.groupby("checkpoint"):
            ids = opportunities.set_index("opportunity_id").loc[group["opportunity_id"]]
            stage_by_q.append(_stage_at(ids.reset_index(), stages, q).to_numpy())
        points = points.assign(stage=np.concatenate(stage_by_q))
        keys = ["stage", "age"]
    from .metrics import AGE_BANDS

    order = [f"{lo}+" if not np.isfinite(hi) else f"{lo}-{int(hi) - 1}" for lo, hi in AGE_BANDS]
    points = points.assign(age=pd.Categorical(points["age"], categories=order, ordered=True))
    g = points.groupby(keys, sort=True, observed=True)
    out = pd.DataFrame({"open": g.size(), "won": g["won"].sum()})
    out.index = out.index.astype("object") if len(keys) == 1 else out.index
    out = out.astype({"open": "int64", "won": "int64"})
    out["rate"] = out["won"] / out["open"]
    return out


def pipeline_forecast(opportunities: pd.DataFrame, *, at, start, end,
                      stages: pd.DataFrame | None = None) -> pd.DataFrame:
    """Bookings expected in ``[start, end)`` from the deals open on ``at``, deal by deal.

    Each open deal's ``rate`` is :func:`age_win_rates` of its age band (and
    stage, with a history) learned on ``at`` (the share won within a
    quarter; ``[start, end)`` is meant to be a quarter); ``expected = amount ×
    rate``. A band never seen before gets the rate
    of all open deals pooled; deals without an amount expect 0.

    Returns
    -------
    pandas.DataFrame
        One row per deal open on ``at``: ``opportunity_id, age, amount, rate,
        expected``; its ``expected`` sums to the forecast.

    Examples
    --------
    >>> opps = pd.DataFrame({"opportunity_id": ["a", "b", "c", "d"],
    ...     "created_at": pd.to_datetime(["2024-12-20", "2024-12-25", "2024-11-01",
    ...                                   "2025-06-20"]),
    ...     "closed_at": pd.to_datetime(["2025-02-01", "2025-05-01", "2025-01-15", None]),
    ...     "is_closed": [True, True, True, False], "is_won": [True, True, False, False],
    ...     "amount": [100.0, 100.0, 100.0, 1000.0]})
    >>> f = pipeline_forecast(opps, at="2025-07-01", start="2025-07-01", end="2025-10-01")
    >>> f[["opportunity_id", "age", "rate", "expected"]]
      opportunity_id   age  rate  expected
    0              d  0-29   0.5     500.0
    """
    from .metrics import age_band

    at, start, end = pd.Timestamp(at), pd.Timestamp(start), pd.Timestamp(end)
    rates = age_win_rates(opportunities, at=at, stages=stages)
    live = opportunities[_open_at(opportunities, at)]
    frame = pd.DataFrame({"opportunity_id": live["opportunity_id"].to_numpy(),
                          "age": age_band((at - live["created_at"]) / _DAY).to_numpy(),
                          "amount": live["amount"].to_numpy(dtype=float)})
    pooled = rates["won"].sum() / rates["open"].sum() if len(rates) else np.nan
    if stages is not None:
        frame["stage"] = _stage_at(live, stages, at).to_numpy()
        keys = list(zip(frame["stage"], frame["age"], strict=True))
    else:
        keys = list(frame["age"])
    frame["rate"] = rates["rate"].reindex(keys).fillna(pooled).to_numpy(dtype=float)
    frame["expected"] = np.nan_to_num(frame["amount"].to_numpy() * frame["rate"].to_numpy())
    return frame


def pipeline_backtest(opportunities: pd.DataFrame, *, first, last,
                      stages: pd.DataFrame | None = None) -> pd.DataFrame:
    """:func:`pipeline_forecast` of each quarter from ``first`` to ``last``, at its start.

    For a quarter starting ``q``: ``forecast`` is the forecast made on ``q``
    (rates learned from what was known then); ``actual`` is the amount won in
    the quarter by the deals open on ``q`` (what the forecast predicts);
    ``all_bookings`` adds the deals created and won within the quarter.
    Quarters with no checkpoint to learn from are left out. Score it with
    :func:`wape` and :func:`bias`.

    Returns
    -------
    pandas.DataFrame
        ``period, forecast, actual, all_bookings, open_deals``.

    Examples
    --------
    >>> opps = pd.DataFrame({"opportunity_id": ["a", "b", "c", "d"],
    ...     "created_at": pd.to_datetime(["2024-12-20", "2024-12-25", "2024-11-01",
    ...                                   "2024-06-01"]),
    ...     "closed_at": pd.to_datetime(["2025-02-01", "2025-05-01", "2025-01-15", None]),
    ...     "is_closed": [True, True, True, False], "is_won": [True, True, False, False],
    ...     "amount": [100.0, 200.0, 50.0, 400.0]})
    >>> pipeline_backtest(opps, first="2025-01-01", last="2025-06-01")
       period  forecast  actual  all_bookings  open_deals
    0  2025Q1       0.0   100.0         100.0           4
    1  2025Q2       0.0   200.0         200.0           2

    On 2025-01-01 the only history is d, open and not won in 2024Q3 and Q4:
    every rate is 0, yet a (100) is won in Q1. On 2025-04-01 b's band (90-179
    days) has only d's quarter behind it (0 %), and b (200) is won in Q2: a
    forecast that learns from too little history misses, as the report's
    backtest then shows.
    """
    first, last = pd.Timestamp(first), pd.Timestamp(last)
    rows = []
    for quarter in pd.period_range(first, last, freq="Q"):
        q, end = quarter.start_time, (quarter + 1).start_time
        if end > last + pd.offsets.MonthBegin(1):
            continue
        f = pipeline_forecast(opportunities, at=q, start=q, end=end, stages=stages)
        if f["rate"].isna().all():
            continue
        live = opportunities[opportunities["opportunity_id"].isin(f["opportunity_id"])]
        won_in = (opportunities["is_won"].astype(bool) & (opportunities["closed_at"] >= q)
                  & (opportunities["closed_at"] < end))
        actual = live.loc[won_in.reindex(live.index), "amount"].sum()
        rows.append({"period": str(quarter), "forecast": float(f["expected"].sum()),
                     "actual": float(actual),
                     "all_bookings": float(opportunities.loc[won_in, "amount"].sum()),
                     "open_deals": len(f)})
    return pd.DataFrame(rows, columns=["period", "forecast", "actual", "all_bookings",
                                       "open_deals"])


__all__ += ["age_win_rates", "pipeline_forecast", "pipeline_backtest"]
