"""Forecasts: hand-computed methods, point-in-time guarantees (leakage), backtest, claim 13."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from revopslab import forecast
from revopslab.config import CompanyConfig
from revopslab.simulate import simulate_company

t = pd.to_datetime


@pytest.fixture(scope="module")
def small():
    """A small company (18 months, scale 0.4): enough history to train on, quick to run."""
    return simulate_company(CompanyConfig(months=18, scale=0.4), rng=5)


@pytest.fixture(scope="module")
def window(small):
    """A forecast of the last complete quarter, made on its eve."""
    start, end = t("2024-04-01"), t("2024-07-01")
    at = forecast._snapshot_date(small, start)
    return at, start, end


def crm(**tables):
    return SimpleNamespace(**tables)


# ------------------------------------------------------------------ accuracy measures
def test_accuracy_measures_by_hand():
    f, a = [120.0, 60.0, 100.0], [100.0, 80.0, 100.0]
    assert forecast.mape(f, a) == pytest.approx((0.2 + 0.25 + 0) / 3)
    assert forecast.wape(f, a) == pytest.approx((20 + 20 + 0) / 280)
    assert forecast.bias(f, a) == pytest.approx((20 - 20 + 0) / 280)
    assert np.isnan(forecast.wape([1.0], [0.0])) and np.isnan(forecast.mape([1.0], [0.0]))


# ------------------------------------------------------------------ the methods on tiny frames
def tiny_snapshots() -> pd.DataFrame:
    return pd.DataFrame({
        "snapshot_date": t(["2025-03-24", "2025-03-31", "2025-03-31", "2025-03-31"]),
        "opportunity_id": ["a", "a", "b", "c"],
        "stage": ["discovery", "demo", "proposal", "negotiation"],
        "amount": [100.0, 100.0, 200.0, 400.0],
        "expected_close_date": t(["2025-04-01", "2025-04-20", "2025-06-30", "2025-07-01"]),
        "rep_probability": [0.2, 0.4, 0.6, 0.9],
        "forecast_category": ["Pipeline", "Best Case", "Best Case", "Commit"],
        "segment": ["SMB"] * 4,
    })


def test_judgment_uses_the_latest_snapshot_and_the_expected_dates():
    snaps = crm(pipeline_snapshots=tiny_snapshots())
    out = forecast.judgment_forecast(snaps, at="2025-04-01", start="2025-04-01",
                                     end="2025-07-01")
    # The 31 March snapshot: a (demo, 0.4) and b (0.6) expected in Q2; c on 1 July is not.
    assert out.to_dict() == {"a": pytest.approx(40.0), "b": pytest.approx(120.0), "c": 0.0}
    commit = forecast.judgment_forecast(snaps, at="2025-04-01", start="2025-04-01",
                                        end="2025-07-02", how="commit")
    assert commit.sum() == 400.0  # only c is Commit, expected on 1 July (window to 2 July)


def test_weighted_pipeline_uses_only_deals_closed_by_the_forecast_date():
    opps = pd.DataFrame({
        "opportunity_id": ["h1", "h2", "h3", "h4", "a", "b", "c"],
        "segment": ["SMB"] * 7,
        "is_won": [True, False, True, True, False, False, False],
        "closed_at": t(["2025-01-10", "2025-02-01", "2025-03-01", "2025-05-01", None, None,
                        None]),
    })
    history = pd.DataFrame({
        "opportunity_id": ["h1", "h1", "h1", "h2", "h3", "h3", "h3", "h4"],
        "stage": ["discovery", "demo", "proposal", "discovery", "discovery", "demo",
                  "proposal"] + ["discovery"],
        "entered_at": t(["2025-01-01"] * 8),
    })
    company = crm(opportunities=opps, opportunity_stages=history,
                  pipeline_snapshots=tiny_snapshots())
    rates = forecast.stage_probabilities(company, at="2025-03-31", min_deals=1)
    # Closed by 31 March: h1 (won), h2 (lost), h3 (won); h4 closes in May: unknown.
    assert rates["discovery"] == pytest.approx(2 / 3)
    assert rates["demo"] == rates["proposal"] == 1.0
    assert rates["negotiation"] == pytest.approx(2 / 3)  # nobody yet: the overall rate
    out = forecast.weighted_pipeline_forecast(company, at="2025-04-01", start="2025-04-01",
                                              end="2025-07-01", min_deals=1)
    assert out.sum() == pytest.approx(100 * 1.0 + 200 * 1.0)  # a (demo) + b (proposal)
    with pytest.raises(forecast.NotEnoughHistory):
        forecast.stage_probabilities(company, at="2025-01-01")


def test_methods_reject_a_window_before_the_forecast():
    snaps = crm(pipeline_snapshots=tiny_snapshots())
    with pytest.raises(ValueError, match="at <= start < end"):
        forecast.judgment_forecast(snaps, at="2025-05-01", start="2025-04-01", end="2025-07-01")
    with pytest.raises(forecast.NotEnoughHistory):
        forecast.judgment_forecast(snaps, at="2025-01-01", start="2025-04-01", end="2025-07-01")


# ------------------------------------------------------------------ point in time
def test_point_in_time_removes_everything_after_the_date(small):
    at = t("2024-01-15")
    then = forecast.point_in_time(small, at)
    assert then.as_of == at
    assert (then.opportunities["created_at"] <= at).all()
    assert (then.opportunities["closed_at"].dropna() <= at).all()
    assert (then.pipeline_snapshots["snapshot_date"] <= at).all()
    assert (then.opportunity_stages["entered_at"] <= at).all()
    stamps = then.leads[[c for c in then.leads.columns if c.endswith("_at")]]
    assert (stamps.max() <= at).all()
    open_then = then.opportunities["closed_at"].isna()
    assert not then.opportunities.loc[open_then, "is_won"].any()
    assert then.opportunities.loc[open_then, "activities"].isna().all()
    # Deals closed by then keep their outcome.
    closed = then.opportunities[~open_then].set_index("opportunity_id")
    full = small.opportunities.set_index("opportunity_id").loc[closed.index]
    assert (closed["is_won"] == full["is_won"]).all()
    # The original company is untouched.
    assert small.opportunities["closed_at"].max() > at


def test_snapshot_features_are_known_on_their_own_date(small):
    features = forecast.snapshot_features(small)
    assert len(features) == len(small.pipeline_snapshots)
    assert set(forecast.FEATURES) <= set(features.columns)
    assert (features["days_in_stage"] >= 0).all()
    assert (features["days_in_stage"] <= features["days_open"] + 1).all()
    assert features["lead_score"].notna().all()
    assert not set(features.columns) & forecast.OUTCOME_COLUMNS


def _shuffle_the_future(company, at, seed=0):
    """The same company with everything learnt after ``at`` scrambled."""
    rng = np.random.default_rng(seed)
    opps = company.opportunities.copy()
    later = ~(opps["closed_at"] <= at)
    for column in ("is_won", "closed_at", "activities"):
        values = opps.loc[later, column].to_numpy()
        opps.loc[later, column] = values[rng.permutation(len(values))]
    snaps = company.pipeline_snapshots.copy()
    future = snaps["snapshot_date"] > at
    for column in ("stage", "rep_probability", "amount", "push_count"):
        values = snaps.loc[future, column].to_numpy()
        snaps.loc[future, column] = values[rng.permutation(len(values))]
    return company.replace(opportunities=opps, pipeline_snapshots=snaps)


@pytest.mark.parametrize("method", forecast.METHODS)
def test_removing_or_shuffling_the_future_changes_no_forecast(small, window, method):
    at, start, end = window
    fn = forecast._FORECASTERS[method]
    now = fn(small, at=at, start=start, end=end)
    assert now.sum() > 0
    removed = fn(forecast.point_in_time(small, at), at=at, start=start, end=end)
    shuffled = fn(_shuffle_the_future(small, at), at=at, start=start, end=end)
    pd.testing.assert_series_equal(now, removed)
    pd.testing.assert_series_equal(now, shuffled)


def test_the_guard_passes_every_method_as_a_function(small, window):
    at, start, end = window
    for method in forecast.METHODS:
        fn = forecast._FORECASTERS[method]
        forecast.assert_point_in_time(
            lambda c, d, fn=fn: fn(c, at=d, start=start, end=end).to_frame(), at, small)


def test_the_guard_catches_a_feature_computed_from_the_future(small, window):
    at, start, end = window
    outcome = small.opportunities.set_index("opportunity_id")["is_won"]

    def cheating(company, date):
        out = forecast.snapshot_features(company, dates=[date])
        # Named innocently: only recomputation without the future can catch it.
        return out.assign(engagement=out["opportunity_id"].map(
            company.opportunities.set_index("opportunity_id")["is_won"]).astype(float))

    with pytest.raises(forecast.LeakageError, match="engagement"):
        forecast.assert_point_in_time(cheating, at, small)

    # A model trained with that feature is caught in the same way, through its forecast.
    def cheating_model(company, date):
        features = cheating(company, date)
        return (features["amount"] * features["engagement"]).to_frame("forecast")

    with pytest.raises(forecast.LeakageError):
        forecast.assert_point_in_time(cheating_model, at, small)

    # A frame: an outcome column by name, a stage copied from today's table, a deal that
    # did not exist yet and a date from the future are each reported.
    frame = forecast.snapshot_features(small, dates=[at]).set_index("opportunity_id")
    forecast.assert_point_in_time(frame, at, small)  # the honest frame passes
    with pytest.raises(forecast.LeakageError, match="is_won"):
        forecast.assert_point_in_time(frame.assign(is_won=outcome.reindex(frame.index)),
                                      at, small)
    final_stage = small.opportunities.set_index("opportunity_id")["stage"]
    with pytest.raises(forecast.LeakageError, match="'stage'"):
        forecast.assert_point_in_time(frame.assign(stage=final_stage.reindex(frame.index)),
                                      at, small)
    future_deal = small.opportunities.loc[small.opportunities["created_at"] > at,
                                          "opportunity_id"].iloc[0]
    extra = pd.concat([frame, frame.iloc[[0]].rename(index={frame.index[0]: future_deal})])
    with pytest.raises(forecast.LeakageError, match="not opportunities open"):
        forecast.assert_point_in_time(extra, at, small)
    closed_at = small.opportunities.set_index("opportunity_id")["closed_at"]
    with pytest.raises(forecast.LeakageError, match="dates after"):
        forecast.assert_point_in_time(frame.assign(close=closed_at.reindex(frame.index)),
                                      at, small)


def test_predictive_training_uses_only_windows_that_had_ended(small, window):
    at, start, end = window
    features = forecast.snapshot_features(small)
    train = features[features["snapshot_date"] + (end - at) <= at]
    labels = forecast._labels(small, train, start - at, end - at, at)
    closed = train["opportunity_id"].map(small.opportunities.set_index(
        "opportunity_id")["closed_at"])
    assert (closed[labels] <= at).all()
    with pytest.raises(forecast.NotEnoughHistory):
        forecast.predictive_forecast(small, at=t("2023-03-27"), start=t("2023-04-01"),
                                     end=t("2023-07-01"))


# ------------------------------------------------------------------ backtest
@pytest.fixture(scope="module")
def small_backtest(small):
    return forecast.backtest(small, progress=False)


def test_backtest_scores_every_method_on_the_same_complete_quarters(small, small_backtest):
    bt = small_backtest
    assert set(bt["method"]) == set(forecast.METHODS)
    periods = bt.groupby("method")["period"].apply(tuple)
    assert periods.nunique() == 1 and len(periods.iloc[0]) >= 2
    assert (bt.groupby("period")["actual"].nunique() == 1).all()
    assert (bt["group"] == "all").all()
    assert all((p + 1).start_time <= small.as_of for p in bt["period"])
    assert (bt["forecast_date"] <= bt["period"].map(lambda p: p.start_time)).all()
    # Bookings of the period = from deals open on the forecast date + from deals created later.
    np.testing.assert_allclose(bt["actual"] + bt["new_bookings"], bt["all_bookings"])
    scores = forecast.accuracy(bt)
    assert list(scores.index) == list(forecast.METHODS)
    assert (scores["periods"] == len(periods.iloc[0])).all()


def test_backtest_by_month_and_bad_arguments(small):
    bt = forecast.backtest(small, horizon="month", methods=("judgment", "commit"),
                           progress=False)
    assert bt["period"].iloc[0].freqstr.startswith("M") and len(bt) >= 2 * 12
    with pytest.raises(ValueError, match="horizon"):
        forecast.backtest(small, horizon="year")
    with pytest.raises(ValueError, match="methods"):
        forecast.backtest(small, methods=("crystal_ball",))


def _tiny_crm():
    """Three quarters of a hand-made CRM (see the tests below for the hand computation)."""
    from types import SimpleNamespace

    day = pd.Timestamp
    snaps = pd.DataFrame({
        "snapshot_date": [day("2024-12-30"), day("2025-03-31"), day("2025-06-30")],
        "opportunity_id": ["a", "b", "d"], "segment": ["SMB", "MM", "SMB"],
        "owner_rep_id": ["r1", "r2", "r1"], "stage": "proposal",
        "amount": [100.0, 200.0, 80.0],
        "expected_close_date": [day("2025-02-01"), day("2025-05-01"), day("2025-08-01")],
        "rep_probability": 0.5, "forecast_category": "Best Case"})
    opps = pd.DataFrame({
        "opportunity_id": list("abcde"), "segment": ["SMB", "MM", "SMB", "SMB", "MM"],
        "owner_rep_id": ["r1", "r2", "r1", "r1", "r2"],
        "amount": [100.0, 200.0, 50.0, 80.0, 30.0], "is_won": True,
        "created_at": [day("2024-12-01"), day("2024-12-01"), day("2025-02-15"),
                       day("2025-06-01"), day("2025-07-10")],
        "closed_at": [day("2025-02-01"), day("2025-05-01"), day("2025-03-01"),
                      day("2025-08-01"), day("2025-09-01")]})
    return SimpleNamespace(pipeline_snapshots=snaps, opportunities=opps,
                           as_of=day("2025-10-01"))


def test_naive_baseline_forecasts_the_previous_quarters_target():
    # Pipeline target: 2025Q1 books a (100) from its pipeline, Q2 b (200), Q3 d (80).
    bt = forecast.backtest(_tiny_crm(), methods=("last_period",), progress=False)
    assert bt["period"].astype(str).tolist() == ["2025Q2", "2025Q3"]
    assert bt["forecast"].tolist() == [100.0, 200.0]
    assert bt["actual"].tolist() == [200.0, 80.0]
    assert forecast.accuracy(bt).loc["last_period", "wape"] == pytest.approx(220 / 280)


def test_per_segment_rows_do_not_let_misses_cancel():
    bt = forecast.backtest(_tiny_crm(), methods=("last_period",), level="segment",
                           progress=False)
    q2 = bt[bt["period"].astype(str) == "2025Q2"].set_index("group")
    assert q2.loc["SMB", ["forecast", "actual"]].tolist() == [100.0, 0.0]
    assert q2.loc["MM", ["forecast", "actual"]].tolist() == [0.0, 200.0]
    # Q2 misses 100 + 200, Q3: SMB forecast 0 (Q2 booked no SMB) vs 80, MM 200 vs 0.
    assert forecast.accuracy(bt).loc["last_period", "wape"] == pytest.approx(580 / 280)


def test_all_bookings_target_adds_the_run_rate_of_deals_not_yet_created():
    # Q3 forecast on 2025-06-30: d expected in Q3 at 0.5 -> 40, plus the run-rate: the
    # only quarter ended by then is Q1, whose deals created after its forecast date
    # booked 50 (deal c). Q2 has no ended quarter to take a run-rate from: skipped.
    bt = forecast.backtest(_tiny_crm(), methods=("judgment",), target="all", progress=False)
    assert bt["period"].astype(str).tolist() == ["2025Q3"]
    assert bt["forecast"].iloc[0] == pytest.approx(90.0)
    assert bt["actual"].iloc[0] == pytest.approx(110.0)  # d 80 + e 30
    with pytest.raises(ValueError, match="target"):
        forecast.backtest(_tiny_crm(), target="bookings")
    with pytest.raises(ValueError, match="level"):
        forecast.backtest(_tiny_crm(), level="region")


def test_predictive_forecast_uses_activities_to_date_when_present():
    # Regression: the categorical mask must follow the design columns (12 with activities).
    company = simulate_company(CompanyConfig(months=24, scale=0.5), rng=3)
    features = forecast.snapshot_features(company)
    features["activities_to_date"] = 1.0
    at = pd.Timestamp("2024-10-01")
    predicted = forecast.predictive_forecast(company, at=at, start=at,
                                             end=at + pd.DateOffset(months=3), features=features)
    assert predicted.ge(0).all() and len(predicted) > 0
