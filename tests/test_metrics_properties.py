"""Identities and bounds of the KPI catalogue on random tables (hypothesis)."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from revopslab import metrics
from revopslab.metrics import MetricWarning

FAST = settings(max_examples=40, deadline=None,
                suppress_health_check=[HealthCheck.too_slow])
START = pd.Timestamp("2024-01-01")


@st.composite
def mrr_tables(draw):
    """An mrr table (accounts × months, 0 = not paying, so no row) and a period inside it."""
    n_accounts = draw(st.integers(1, 6))
    n_months = draw(st.integers(2, 8))
    values = draw(st.lists(st.lists(st.sampled_from([0, 0, 50, 100, 120, 300, 999]),
                                    min_size=n_months, max_size=n_months),
                           min_size=n_accounts, max_size=n_accounts))
    months = pd.date_range(START, periods=n_months, freq="MS")
    rows = [(f"a{i}", months[j], float(v)) for i, row in enumerate(values)
            for j, v in enumerate(row) if v > 0]
    # Make sure the table spans all its months (the data's first and last month).
    rows += [("z", months[0], 1.0), ("z", months[-1], 1.0)]
    mrr = pd.DataFrame(rows, columns=["account_id", "month", "mrr"])
    first = draw(st.integers(1, n_months - 1))
    last = draw(st.integers(first, n_months - 1))
    period = (f"{months[first]:%Y-%m}", f"{months[last]:%Y-%m}")
    return mrr, period


def _quiet(fn, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", MetricWarning)
        return fn(*args, **kwargs)


@FAST
@given(mrr_tables())
def test_nrr_is_at_least_grr_and_grr_at_most_one(table):
    mrr, period = table
    first, _ = metrics.month_range(period)
    opening = mrr.loc[mrr["month"] == first - pd.DateOffset(months=1), "mrr"].sum()
    if opening == 0:  # no opening customer: every retention rate is undefined, and says so
        with pytest.warns(MetricWarning, match="opening base is empty"):
            assert math.isnan(metrics.net_revenue_retention(mrr, period=period))
        return
    nrr = metrics.net_revenue_retention(mrr, period=period)
    grr = metrics.gross_revenue_retention(mrr, period=period)
    churn = metrics.logo_churn_rate(mrr, period=period)
    assert 0 <= grr <= 1 + 1e-12
    assert nrr >= grr - 1e-12
    assert 0 <= churn <= 1
    assert churn + metrics.logo_retention_rate(mrr, period=period) == pytest.approx(1)


@FAST
@given(mrr_tables())
def test_mrr_bridge_sums_to_the_closing_mrr_of_the_mrr_table(table):
    mrr, period = table
    first, last = metrics.month_range(period)
    b = metrics.mrr_bridge(mrr, period=period).iloc[0]
    total = mrr.groupby("month")["mrr"].sum()
    opening = total.get(first - pd.DateOffset(months=1), 0.0)
    closing = total.get(last, 0.0)
    assert b["opening"] == pytest.approx(opening)
    assert b["closing"] == pytest.approx(closing)
    assert (b["opening"] + b["new"] + b["expansion"] + b["reactivation"] - b["contraction"]
            - b["churn"]) == pytest.approx(b["closing"])
    assert (b.drop(["opening", "closing"]) >= 0).all()
    monthly = metrics.mrr_bridge(mrr, period=period, by_month=True)
    assert monthly["opening"].iloc[1:].tolist() == pytest.approx(
        monthly["closing"].iloc[:-1].tolist())



@FAST
@given(mrr_tables())
def test_revenue_churn_and_expansion_are_the_retention_of_the_opening_cohort(table):
    # One opening cohort for all four: revenue churn = 1 - GRR, net revenue churn =
    # 1 - NRR, expansion = NRR - GRR, so NRR = 1 - revenue churn + expansion.
    mrr, period = table
    grr = _quiet(metrics.gross_revenue_retention, mrr, period=period)
    if math.isnan(grr):
        return
    nrr = metrics.net_revenue_retention(mrr, period=period)
    churn = metrics.revenue_churn_rate(mrr, period=period)
    expansion = metrics.expansion_rate(mrr, period=period)
    assert churn == pytest.approx(1 - grr)
    assert metrics.revenue_churn_rate(mrr, period=period, net=True) == pytest.approx(1 - nrr)
    assert expansion == pytest.approx(nrr - grr)
    assert 0 <= churn <= 1 and expansion >= 0


@FAST
@given(mrr_tables())
def test_derived_movements_rebuild_every_month_of_the_mrr_table(table):
    mrr, _ = table
    moves = metrics.classify_mrr_movements(mrr)
    rebuilt = moves.groupby("month")["mrr_change"].sum().cumsum()
    total = mrr.groupby("month")["mrr"].sum()
    months = pd.date_range(mrr["month"].min(), mrr["month"].max(), freq="MS")
    assert rebuilt.reindex(months).ffill().tolist() == pytest.approx(
        total.reindex(months, fill_value=0.0).tolist())
    assert set(moves["movement"]) <= {"new", "expansion", "reactivation", "contraction", "churn"}


def test_the_company_bridge_holds_against_its_mrr_table():
    from revopslab.datasets import load_company

    company = load_company()
    total = company.mrr.groupby("month")["mrr"].sum()
    for period in ("2024", "2025", "2025Q3", ("2023-03", "2025-12")):
        b = metrics.mrr_bridge(company.mrr, period=period,
                               mrr_movements=company.mrr_movements).iloc[0]
        first, last = metrics.month_range(period)
        assert b["opening"] == pytest.approx(total[first - pd.DateOffset(months=1)])
        assert b["closing"] == pytest.approx(total[last])
        assert (b["opening"] + b["new"] + b["expansion"] + b["reactivation"] - b["contraction"]
                - b["churn"]) == pytest.approx(b["closing"], abs=1e-6)


_STAGES = ("inquiry", "aql", "tal", "tql", "tgl", "sal", "sgl", "sql", "opportunity")


@st.composite
def lead_tables(draw):
    """Leads whose later stages are random (even out of order, as noisy CRM data can be)."""
    n = draw(st.integers(1, 30))
    rows = []
    for i in range(n):
        day = draw(st.integers(0, 200))
        stamps = {"inquiry_at": START + pd.Timedelta(days=day)}
        for stage in _STAGES[1:]:
            reached = draw(st.booleans())
            offset = draw(st.integers(-5, 60))
            stamps[f"{stage}_at"] = (START + pd.Timedelta(days=day + offset)) if reached else None
        rows.append({"lead_id": f"L{i}", "channel": draw(st.sampled_from(["web", "ads"])),
                     "motion": draw(st.sampled_from(["inbound", "outbound", "sales"])),
                     **stamps})
    leads = pd.DataFrame(rows)
    for stage in _STAGES:
        leads[f"{stage}_at"] = pd.to_datetime(leads[f"{stage}_at"])
    won = draw(st.lists(st.booleans(), min_size=n, max_size=n))
    opps = pd.DataFrame({"lead_id": leads["lead_id"], "is_won": won})
    return leads, opps


@FAST
@given(lead_tables(), st.sampled_from(["2024", "2024Q1", ("2024-02", "2024-05")]),
       st.sampled_from([None, "web"]))
def test_conversion_rates_are_shares(tables, period, channel):
    leads, opps = tables
    table = _quiet(metrics.conversion_rates, leads, period=period, channel=channel,
                   opportunities=opps)
    assert table["rate"].between(0, 1).all()
    assert (table["n_to"] <= table["n_from"]).all() and (table["n_from"] > 0).all()
    assert table["rate"].tolist() == pytest.approx((table["n_to"] / table["n_from"]).tolist())
    # each step's denominator holds only the leads of the motions that can take it
    pooled = _quiet(metrics.conversion_rates, leads, period=period, channel=channel,
                    opportunities=opps, motions=None).set_index("step")
    for row in table.itertuples():
        assert row.n_from <= pooled.loc[row.step, "n_from"]
        motions = row.motion.split("+")
        assert set(motions) == set(metrics.WATERFALL_MOTIONS[row.step])
        by_motion = [_quiet(metrics.conversion_rates, leads, period=period, channel=channel,
                            opportunities=opps, motion=m).set_index("step") for m in motions]
        assert row.n_from == sum(t.loc[row.step, "n_from"] for t in by_motion
                                 if row.step in t.index)


@FAST
@given(mrr_tables(), st.floats(0.05, 1.0))
def test_undefined_values_are_nan_with_a_warning_never_inf(table, margin):
    mrr, period = table
    for fn, kwargs in ((metrics.ltv_formula, {"gross_margin": margin}),
                       (metrics.ltv_capped, {"gross_margin": margin}),
                       (metrics.revenue_growth_rate, {}), (metrics.expansion_rate, {}),
                       (metrics.net_revenue_retention, {}), (metrics.quick_ratio, {}),
                       (metrics.monthly_revenue_churn_rate, {})):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            value = fn(mrr, period=period, **kwargs)
        assert not np.isinf(value)
        if math.isnan(value):
            assert any(issubclass(w.category, MetricWarning) and fn.__name__ in str(w.message)
                       for w in caught)


@FAST
@given(st.lists(st.tuples(st.integers(0, 40), st.integers(1, 8)), min_size=1, max_size=6),
       st.sampled_from(["2025", "2025Q2", ("2025-03", "2025-08")]))
def test_a_ramped_quota_is_at_most_the_prorated_one_and_equal_once_ramped(hires, period):
    # hires: (months after 2023-01 the rep was hired on the 1st, ramp months)
    reps = pd.DataFrame({
        "rep_id": [f"R{i}" for i in range(len(hires))],
        "hired_on": [pd.Timestamp("2023-01-01") + pd.DateOffset(months=m) for m, _ in hires],
        "ramp_months": [r for _, r in hires], "quota_annual": 1200.0})
    opps = pd.DataFrame({"owner_rep_id": ["R0"], "is_won": [True], "amount": [1.0],
                         "closed_at": pd.to_datetime(["2025-12-31"])})
    ramped = metrics.rep_attainment(opps, reps, period=period).set_index("rep_id")["quota"]
    flat = metrics.rep_attainment(opps, reps, period=period, ramp=False).set_index(
        "rep_id")["quota"]
    assert list(ramped.index) == list(flat.index)
    assert (ramped <= flat + 1e-9).all()
    first, _ = metrics.month_range(period)
    for rep in reps.itertuples():
        if rep.rep_id not in flat.index:
            continue
        months_before = (first.year - rep.hired_on.year) * 12 + first.month - rep.hired_on.month
        # the rep's first month of the period is its k-th month on board, k = months_before + 1
        if rep.ramp_months == 1 or months_before + 1 >= rep.ramp_months:  # no ramp left
            assert ramped[rep.rep_id] == pytest.approx(flat[rep.rep_id])
        else:
            assert ramped[rep.rep_id] < flat[rep.rep_id]
