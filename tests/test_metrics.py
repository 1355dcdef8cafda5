"""KPI functions against values computed by hand on small frames."""

from __future__ import annotations

import copy
import inspect
import math
import warnings
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from revopslab import metrics
from revopslab.metrics import MetricWarning

Q1 = "2025Q1"
T = pd.Timestamp


def _opps():
    # Closed in 2025: 3 won (SMB, SMB, MM), 2 lost (SMB, MM); one 2024 win; one open.
    return pd.DataFrame({
        "is_closed": [True, True, True, True, True, True, False],
        "is_won": [True, True, True, False, False, True, False],
        "segment": ["SMB", "SMB", "MM", "SMB", "MM", "SMB", "MM"],
        "created_at": pd.to_datetime(["2025-01-01", "2025-02-01", "2025-01-01", "2025-03-01",
                                      "2025-04-01", "2024-10-01", "2025-05-01"]),
        "closed_at": pd.to_datetime(["2025-01-31", "2025-02-11", "2025-04-01", "2025-03-21",
                                     "2025-05-01", "2024-12-01", None]),
    })


def test_win_rate_by_hand():
    assert metrics.win_rate(_opps(), period="2025") == pytest.approx(3 / 5)
    assert metrics.win_rate(_opps(), period="2025", segment="SMB") == pytest.approx(2 / 3)
    assert metrics.win_rate(_opps(), period="2025Q2") == pytest.approx(1 / 2)


def test_win_rate_of_an_empty_period_is_nan_not_an_error():
    # The policy: NaN and a MetricWarning that names the metric and the reason.
    with pytest.warns(MetricWarning, match=r"win_rate is undefined \(period 2023-01\.\.2023-12 "
                                           r"is outside"):
        assert math.isnan(metrics.win_rate(_opps(), period="2023"))
    with pytest.warns(MetricWarning, match="no opportunity closed .* for segment 'ENT'"):
        assert math.isnan(metrics.win_rate(_opps(), period="2025", segment="ENT"))


def test_sales_cycle_by_hand():
    # 2025 wins: 30, 10 and 90 days -> median 30, mean 130/3.
    assert metrics.sales_cycle_days(_opps(), period="2025") == 30
    assert metrics.sales_cycle_days(_opps(), period="2025", statistic="mean") == pytest.approx(
        130 / 3)
    with pytest.raises(ValueError, match="statistic must be"):
        metrics.sales_cycle_days(_opps(), statistic="mode")


def _mrr():
    rows = [
        ("a", "2024-12", 100), ("b", "2024-12", 200), ("c", "2024-12", 300), ("d", "2024-12", 400),
        ("a", "2025-12", 150),  # expanded
        ("b", "2025-12", 100),  # contracted
        # c churned, d churned in June and came back in December at 50
        ("d", "2025-06", 0), ("d", "2025-12", 50),
        ("e", "2025-12", 999),  # new in the year: never counts for retention
    ]
    return pd.DataFrame({"account_id": [r[0] for r in rows],
                         "month": pd.to_datetime([r[1] + "-01" for r in rows]),
                         "mrr": [float(r[2]) for r in rows]})


def test_retention_by_hand():
    mrr = _mrr()
    # opening 100+200+300+400 = 1000; closing of those: 150+100+0+50 = 300
    assert metrics.net_revenue_retention(mrr, period="2025") == pytest.approx(0.30)
    # capped: min(150,100)+min(100,200)+0+min(50,400) = 250
    assert metrics.gross_revenue_retention(mrr, period="2025") == pytest.approx(0.25)
    # c is the only opening customer not paying in December: 1 of 4
    assert metrics.logo_churn_rate(mrr, period="2025") == pytest.approx(0.25)
    assert metrics.logo_retention_rate(mrr, period="2025") == pytest.approx(0.75)


def test_retention_needs_an_opening_month():
    # No MRR before the period: the opening base is empty, a zero denominator.
    with pytest.warns(MetricWarning, match="month before the period"):
        assert math.isnan(metrics.net_revenue_retention(_mrr(), period="2024"))


def test_cac_payback_by_hand():
    costs = pd.DataFrame({
        "month": pd.to_datetime(["2025-01-01"] * 4),
        "department": ["marketing", "inside_sales", "field_sales", "customer_success"],
        "amount": [1000.0, 500.0, 1500.0, 9999.0],  # CS is not acquisition cost
    })
    moves = pd.DataFrame({"month": pd.to_datetime(["2025-01-01"] * 3),
                          "movement": ["new", "new", "expansion"],
                          "mrr_change": [100.0, 200.0, 50.0]})
    # CAC = 3000 / 2 = 1500; mean new MRR 150 x 0.75 margin = 112.5; payback = 13.33
    assert metrics.cac_payback_months(costs, moves, gross_margin=0.75, period="2025-01") == \
        pytest.approx(1500 / 112.5)
    with pytest.raises(ValueError, match="gross_margin"):
        metrics.cac_payback_months(costs, moves, gross_margin=0, period="2025")
    with pytest.warns(MetricWarning, match="no new customers"):
        assert math.isnan(metrics.cac_payback_months(costs, moves.iloc[2:], gross_margin=0.75,
                                                     period="2025"))


@pytest.mark.parametrize("bad", ["last year", ("2025-05", "2025-01"), 2025])
def test_bad_period_says_what_is_expected(bad):
    with pytest.raises(ValueError, match="period must"):
        metrics.month_range(bad)


# ============================================================== the toy company
def _frame(columns, rows, dates=()):
    df = pd.DataFrame(rows, columns=columns)
    for col in dates:
        df[col] = pd.to_datetime(df[col])
    return df


def toy():
    """A company small enough to compute every KPI by hand (see the comments in the tests).

    MRR (JPY/month), opening month 2024-12, period 2025Q1:
      a1 SMB  100 | 100  150  150     up-sell of 50 in February
      a2 SMB  200 | 200    -    -     churned in February
      a3 MM   300 | 250  250  290     contraction of 50 in January, cross-sell of 40 in March
      a5 SMB    - |   -   80   80     new in February (won deal O1)
      a4 ENT  never a customer (the segment with no revenue)
    """
    months = ["2024-12-01", "2025-01-01", "2025-02-01", "2025-03-01"]
    series = {"a1": [100, 100, 150, 150], "a2": [200, 200, 0, 0], "a3": [300, 250, 250, 290],
              "a5": [0, 0, 80, 80]}
    mrr = pd.DataFrame([(f"S{a}", a, "core", m, float(v)) for a, vals in series.items()
                        for m, v in zip(months, vals, strict=True) if v > 0],
                       columns=["subscription_id", "account_id", "product", "month", "mrr"])
    mrr["month"] = pd.to_datetime(mrr["month"])
    mrr = mrr.sort_values(["month", "account_id"], ignore_index=True)
    movements = _frame(
        ["account_id", "month", "movement", "mrr_change", "detail"],
        [("a1", "2024-12-01", "new", 100.0, ""), ("a2", "2024-12-01", "new", 200.0, ""),
         ("a3", "2024-12-01", "new", 300.0, ""), ("a3", "2025-01-01", "contraction", -50.0, ""),
         ("a1", "2025-02-01", "expansion", 50.0, "upsell"),
         ("a2", "2025-02-01", "churn", -200.0, ""), ("a5", "2025-02-01", "new", 80.0, ""),
         ("a3", "2025-03-01", "expansion", 40.0, "cross_sell")], dates=["month"])
    accounts = _frame(["account_id", "segment"],
                      [("a1", "SMB"), ("a2", "SMB"), ("a3", "MM"), ("a4", "ENT"), ("a5", "SMB"),
                       ("a6", "MM"), ("a7", "MM"), ("a8", "ENT"), ("a9", "SMB")])
    stage_cols = ["inquiry_at", "aql_at", "tal_at", "tql_at", "tgl_at", "sal_at", "sgl_at",
                  "sql_at", "opportunity_at"]
    n = None
    leads = _frame(
        ["lead_id", "account_id", "channel", "motion", "segment", *stage_cols],
        [("L1", "a5", "web", "inbound", "SMB", "2025-01-05", "2025-01-06", "2025-01-07",
          "2025-01-10", n, "2025-01-12", n, "2025-01-15", "2025-01-20"),
         ("L2", "a1", "web", "inbound", "SMB", "2025-01-10", "2025-01-11", n, n, n, n, n, n, n),
         ("L3", "a6", "ads", "inbound", "MM", "2025-02-01", "2025-02-02", "2025-02-03",
          "2025-02-05", n, "2025-02-06", n, "2025-02-07", "2025-02-10"),
         ("L4", "a2", "ads", "inbound", "SMB", "2025-02-15", n, n, n, n, n, n, n, n),
         ("L5", "a7", "teleprospecting", "outbound", "MM", "2025-01-20", n, n, n, "2025-01-25",
          "2025-01-28", n, "2025-02-01", "2025-02-05"),
         ("L6", "a8", "field_prospecting", "sales", "ENT", "2025-03-01", n, n, n, n, n,
          "2025-03-03", "2025-03-05", "2025-03-08"),
         ("L7", "a1", "web", "inbound", "SMB", "2024-12-20", n, n, n, n, n, n, n, n),
         ("L8", "a2", "web", "inbound", "SMB", "2025-03-31", n, n, n, n, n, n, n, n),
         ("L9", "a9", "web", "inbound", "SMB", "2024-10-01", "2024-10-02", "2024-10-03",
          "2024-10-05", n, "2024-10-06", n, "2024-10-08", "2024-11-01")],
        dates=stage_cols)
    opportunities = _frame(
        ["opportunity_id", "lead_id", "account_id", "owner_rep_id", "segment", "created_at",
         "closed_at", "is_closed", "is_won", "amount", "activities"],
        [("O1", "L1", "a5", "R1", "SMB", "2025-01-20", "2025-02-03", True, True, 960.0, 10),
         ("O2", "L3", "a6", "R2", "MM", "2025-02-10", "2025-03-12", True, False, 2000.0, 6),
         ("O3", "L5", "a7", "R2", "MM", "2025-02-05", n, False, False, 3000.0, 4),
         ("O4", "L6", "a8", "R3", "ENT", "2025-03-08", n, False, False, 9000.0, 2),
         ("O5", "L9", "a9", "R1", "SMB", "2024-11-01", "2025-01-31", True, True, 1200.0, 8)],
        dates=["created_at", "closed_at"])
    opportunity_stages = _frame(
        ["opportunity_id", "stage", "entered_at"],
        [("O1", "discovery", "2025-01-20"), ("O1", "demo", "2025-01-25"),
         ("O1", "proposal", "2025-01-28"), ("O1", "closed_won", "2025-02-03"),
         ("O2", "discovery", "2025-02-10"), ("O2", "demo", "2025-02-20"),
         ("O2", "closed_lost", "2025-03-12"), ("O3", "discovery", "2025-02-05"),
         ("O4", "discovery", "2025-03-08"), ("O5", "discovery", "2024-11-01"),
         ("O5", "demo", "2024-11-20"), ("O5", "proposal", "2024-12-10"),
         ("O5", "negotiation", "2025-01-10"), ("O5", "closed_won", "2025-01-31")],
        dates=["entered_at"])
    pipeline_snapshots = _frame(
        ["snapshot_date", "opportunity_id", "owner_rep_id", "segment", "stage", "amount",
         "expected_close_date", "rep_probability"],
        [("2025-01-06", "O5", "R1", "SMB", "negotiation", 1200.0, "2025-01-25", 0.8),
         ("2025-02-10", "O1", "R1", "SMB", "proposal", 960.0, "2025-02-10", 0.5),
         ("2025-03-31", "O3", "R2", "MM", "discovery", 3000.0, "2025-04-15", 0.3),
         ("2025-03-31", "O4", "R3", "ENT", "discovery", 9000.0, "2025-06-01", 0.1)],
        dates=["snapshot_date", "expected_close_date"])
    reps = _frame(
        ["rep_id", "team", "segment", "hired_on", "quota_annual"],
        [("R1", "field_sales", "SMB", "2020-01-01", 2400.0),
         ("R2", "field_sales", "MM", "2020-01-01", 4800.0),
         ("R3", "field_sales", "ENT", "2025-02-15", 9600.0),  # counts from March
         ("R4", "customer_success", None, "2020-01-01", np.nan)], dates=["hired_on"])
    spend_rows = [(m, ch, v) for m in months[1:] for ch, v in
                  (("web", 100.0), ("ads", 200.0), ("teleprospecting", 30.0))]
    marketing_spend = _frame(["month", "channel", "spend"], spend_rows, dates=["month"])
    cost_months = pd.date_range("2024-10-01", "2025-03-01", freq="MS")
    costs = pd.DataFrame([(m, dept, "people", amount) for m in cost_months for dept, amount in
                          (("marketing", 100.0), ("inside_sales", 50.0), ("field_sales", 50.0),
                           ("customer_success", 999.0), ("general_admin", 999.0))],
                         columns=["month", "department", "cost_type", "amount"])
    tickets = _frame(
        ["ticket_id", "account_id", "opened_at", "resolved_at", "resolution_hours", "csat"],
        [("T1", "a1", "2025-01-10", "2025-01-10 02:00", 2.0, 5),
         ("T2", "a3", "2025-02-10", "2025-02-10 10:00", 10.0, 3),
         ("T3", "a5", "2025-03-10", "2025-03-11 06:00", 30.0, 4),
         ("T4", "a1", "2025-03-31", n, np.nan, None)], dates=["opened_at", "resolved_at"])
    tickets["csat"] = tickets["csat"].astype("Int64")
    nps_responses = _frame(
        ["response_id", "account_id", "surveyed_at", "score"],
        [("N1", "a1", "2025-03-15", 10), ("N2", "a3", "2025-03-15", 9),
         ("N3", "a5", "2025-03-15", 9), ("N4", "a2", "2025-01-15", 7),
         ("N5", "a3", "2025-03-15", 2)], dates=["surveyed_at"])
    usage = _frame(
        ["account_id", "month", "seats", "active_users", "feature_adoption", "tickets",
         "health_score"],
        [("a1", "2025-02-01", 10, 9, 0.5, 0, 80), ("a1", "2025-03-01", 10, 8, 0.6, 1, 80),
         ("a3", "2025-03-01", 20, 10, 0.5, 2, 50), ("a5", "2025-03-01", 5, 4, 0.7, 0, 81)],
        dates=["month"])
    return SimpleNamespace(
        config=SimpleNamespace(gross_margin=0.5, currency="JPY"), as_of=T("2025-04-01"),
        accounts=accounts, leads=leads, opportunities=opportunities,
        opportunity_stages=opportunity_stages, pipeline_snapshots=pipeline_snapshots,
        mrr=mrr, mrr_movements=movements, reps=reps, marketing_spend=marketing_spend,
        costs=costs, tickets=tickets, nps_responses=nps_responses, usage=usage)


@pytest.fixture
def c():
    return toy()


def nan_warns(match: str = ""):
    return pytest.warns(MetricWarning, match=match)


# ------------------------------------------------------------------ revenue
def test_revenue_by_hand(c):
    # Jan 100+200+250 = 550; Feb 150+250+80 = 480; Mar 150+290+80 = 520
    assert metrics.total_revenue(c.mrr, period=Q1) == 550 + 480 + 520
    assert metrics.monthly_recurring_revenue(c.mrr, period=Q1) == 520
    assert metrics.annual_recurring_revenue(c.mrr, period=Q1) == 12 * 520
    assert metrics.revenue_growth_rate(c.mrr, period=Q1) == pytest.approx(520 / 600 - 1)
    # SMB (a1, a2, a5): Jan 300, Feb 230, Mar 230
    assert metrics.total_revenue(c.mrr, period=Q1, segment="SMB",
                                 accounts=c.accounts) == 300 + 230 + 230
    # revenue basis: Feb–Mar 1000 over Dec–Jan 600 + 550
    assert metrics.revenue_growth_rate(c.mrr, period=("2025-02", "2025-03"),
                                       basis="revenue") == pytest.approx(1000 / 1150 - 1)


def test_revenue_edge_cases(c):
    # A segment with no customer inside the data's range: a sum of nothing is 0 ...
    assert metrics.total_revenue(c.mrr, period=Q1, segment="ENT", accounts=c.accounts) == 0
    # ... but growth from 0 is a zero denominator.
    with nan_warns("revenue_growth_rate is undefined .*no MRR in 2024-12.*segment 'ENT'"):
        assert math.isnan(metrics.revenue_growth_rate(c.mrr, period=Q1, segment="ENT",
                                                      accounts=c.accounts))
    # Past the end of the data: nothing is known, so not 0.
    with nan_warns("mrr table ends in 2025-03"):
        assert math.isnan(metrics.total_revenue(c.mrr, period="2025"))
    with pytest.raises(ValueError, match="segment='SMB' needs accounts="):
        metrics.total_revenue(c.mrr, period=Q1, segment="SMB")
    with pytest.raises(ValueError, match="basis must be one of"):
        metrics.revenue_growth_rate(c.mrr, period=Q1, basis="bookings")


# ------------------------------------------------------------------ retention
def test_mrr_movements_and_bridge_by_hand(c):
    derived = metrics.classify_mrr_movements(c.mrr)
    pd.testing.assert_frame_equal(derived, c.mrr_movements.drop(columns="detail"),
                                  check_dtype=False)
    bridge = metrics.mrr_bridge(c.mrr, period=Q1).iloc[0]
    # 600 + 80 new + (50 + 40) expansion - 50 contraction - 200 churn = 520
    assert bridge.to_dict() == {"opening": 600, "new": 80, "expansion": 90, "reactivation": 0,
                                "contraction": 50, "churn": 200, "closing": 520}
    monthly = metrics.mrr_bridge(c.mrr, period=Q1, by_month=True)
    assert monthly["closing"].tolist() == [550, 480, 520]
    assert monthly["opening"].tolist() == [600, 550, 480]
    given = metrics.mrr_bridge(c.mrr, period=Q1, mrr_movements=c.mrr_movements)
    pd.testing.assert_frame_equal(given, metrics.mrr_bridge(c.mrr, period=Q1))


def test_retention_of_the_toy_by_hand(c):
    kw = {"period": Q1}
    # opening customers a1, a2, a3 = 600; their March MRR 150 + 0 + 290 = 440
    assert metrics.net_revenue_retention(c.mrr, **kw) == pytest.approx(440 / 600)
    # capped: min(150, 100) + 0 + min(290, 300) = 390
    assert metrics.gross_revenue_retention(c.mrr, **kw) == pytest.approx(390 / 600)
    assert metrics.logo_churn_rate(c.mrr, **kw) == pytest.approx(1 / 3)
    # revenue churn of the opening cohort, December -> March: a1 lost 0, a2 200,
    # a3 300 -> 290 = 10 (its 50 contraction was partly won back) -> 210 / 600 = 1 - GRR
    assert metrics.revenue_churn_rate(c.mrr, **kw) == pytest.approx(210 / 600)
    # net: (600 - 440) / 600 = 1 - NRR; expansion: a1 +50 -> 50 / 600 = NRR - GRR
    assert metrics.revenue_churn_rate(c.mrr, net=True, **kw) == pytest.approx(160 / 600)
    assert metrics.expansion_rate(c.mrr, **kw) == pytest.approx(50 / 600)
    assert metrics.expansion_rate(c.mrr, **kw) == pytest.approx(440 / 600 - 390 / 600)
    # monthly: Jan 50 contraction of 600, Feb 200 churn of 550, Mar nothing of 480
    assert metrics.monthly_revenue_churn_rate(c.mrr, **kw) == pytest.approx(250 / 1630)
    # net monthly: minus expansion of Feb (a1 +50) and Mar (a3 +40)
    assert metrics.monthly_revenue_churn_rate(c.mrr, net=True, **kw) == pytest.approx(
        160 / 1630)
    # quick ratio: (80 new + 90 expansion + 0 reactivation) / (200 churn + 50 contraction)
    assert metrics.quick_ratio(c.mrr, **kw) == pytest.approx(170 / 250)
    seg = {"accounts": c.accounts, **kw}
    # SMB opening a1 + a2 = 300, closing 150 + 0; capped 100
    assert metrics.net_revenue_retention(c.mrr, segment="SMB", **seg) == pytest.approx(0.5)
    assert metrics.gross_revenue_retention(c.mrr, segment="SMB", **seg) == pytest.approx(1 / 3)
    assert metrics.net_revenue_retention(c.mrr, segment="MM", **seg) == pytest.approx(290 / 300)
    # ENT has no customer: one segment missing is NaN with a reason, not an error
    for fn in (metrics.net_revenue_retention, metrics.gross_revenue_retention,
               metrics.logo_churn_rate, metrics.revenue_churn_rate, metrics.expansion_rate,
               metrics.monthly_revenue_churn_rate, metrics.quick_ratio):
        with nan_warns(f"{fn.__name__} is undefined .*segment 'ENT'"):
            assert math.isnan(fn(c.mrr, segment="ENT", **seg))


def _monthly(series: dict[str, list[float]], first: str = "2024-12") -> pd.DataFrame:
    """An mrr table from {account: [MRR of each month from ``first``]} (0 = no row)."""
    months = pd.date_range(first, periods=max(len(v) for v in series.values()), freq="MS")
    return pd.DataFrame([(a, m, float(v)) for a, values in series.items()
                         for m, v in zip(months, values, strict=False) if v > 0],
                        columns=["account_id", "month", "mrr"])


def test_a_customer_won_and_lost_inside_the_year_is_not_revenue_churn():
    # Issue 13's toy: a pays 100 from December 2024 to December 2025; x is won in
    # March 2025 at 500 and lost in August. The opening cohort is a alone (100), which
    # kept all its MRR: GRR = NRR = 100 %, so revenue churn 0 % (the old definition put
    # x's 500 of churn over the 100 opening MRR: 500 %) and expansion 0 %.
    mrr = _monthly({"a": [100] * 13, "x": [0, 0, 0, 500, 500, 500, 500, 500]})
    assert metrics.gross_revenue_retention(mrr, period="2025") == 1
    assert metrics.revenue_churn_rate(mrr, period="2025") == 0
    assert metrics.revenue_churn_rate(mrr, period="2025", net=True) == 0
    assert metrics.expansion_rate(mrr, period="2025") == 0
    # The monthly rate still sees x leave: 500 lost in August over 12 months' opening
    # MRR: 100 (Dec) + 100 x 2 (Jan, Feb) + 600 x 5 (Mar-Jul) + 100 x 4 (Aug-Nov)
    assert metrics.monthly_revenue_churn_rate(mrr, period="2025") == pytest.approx(
        500 / (100 + 200 + 3000 + 400))
    # quick ratio: 500 new / 500 churned
    assert metrics.quick_ratio(mrr, period="2025") == pytest.approx(1)


def test_expansion_rate_is_nrr_minus_grr_by_hand():
    # Opening (Dec 2024): a 100, b 200, c 100 = 400. End (Dec 2025): a 160 (+60),
    # b 150 (-50), c 0 (churned); d is new and does not count.
    mrr = _monthly({"a": [100] + [160] * 12, "b": [200] + [150] * 12, "c": [100, 100],
                    "d": [0, 0, 0, 999] + [999] * 9})
    nrr = metrics.net_revenue_retention(mrr, period="2025")
    grr = metrics.gross_revenue_retention(mrr, period="2025")
    assert nrr == pytest.approx((160 + 150) / 400)         # 0.775
    assert grr == pytest.approx((100 + 150) / 400)         # 0.625
    assert metrics.expansion_rate(mrr, period="2025") == pytest.approx(60 / 400)  # 0.15
    assert metrics.expansion_rate(mrr, period="2025") == pytest.approx(nrr - grr)
    assert metrics.revenue_churn_rate(mrr, period="2025") == pytest.approx(150 / 400)
    assert metrics.revenue_churn_rate(mrr, period="2025") == pytest.approx(1 - grr)
    assert metrics.revenue_churn_rate(mrr, period="2025", net=True) == pytest.approx(1 - nrr)
    # nothing lost: the quick ratio has a zero denominator
    with nan_warns("quick_ratio is undefined .*no MRR was lost"):
        assert math.isnan(metrics.quick_ratio(_monthly({"a": [100, 120]}), period="2025-01"))


def test_expansion_kinds_by_hand(c):
    # paying in Q1: a1, a2, a3, a5; up-sell a1, cross-sell a3
    assert metrics.upsell_rate(c.mrr_movements, c.mrr, period=Q1) == pytest.approx(1 / 4)
    assert metrics.cross_sell_rate(c.mrr_movements, c.mrr, period=Q1) == pytest.approx(1 / 4)
    assert metrics.cross_sell_rate(c.mrr_movements, c.mrr, period=Q1, segment="SMB",
                                   accounts=c.accounts) == 0
    with nan_warns("no paying customer"):
        assert math.isnan(metrics.upsell_rate(c.mrr_movements, c.mrr, period=Q1,
                                              segment="ENT", accounts=c.accounts))


# ------------------------------------------------------------------ unit economics
def test_cac_ltv_payback_and_efficiency_by_hand(c):
    # S&M = 3 months x (100 + 50 + 50); one new customer (a5) in Q1
    assert metrics.customer_acquisition_cost(c.costs, c.mrr_movements, period=Q1) == 600
    # payback: 600 / (80 new MRR x 0.5 margin)
    assert metrics.cac_payback_months(c.costs, c.mrr_movements, gross_margin=0.5,
                                      period=Q1) == pytest.approx(15)
    # LTV formula: ARPA = 1550 / 9 customer-months; churn = 1 lost / 9 at risk; x 0.5 margin
    ltv = metrics.ltv_formula(c.mrr, gross_margin=0.5, period=Q1)
    assert ltv == pytest.approx(1550 / 9 * 0.5 / (1 / 9))
    assert metrics.ltv_to_cac(c.mrr, c.costs, c.mrr_movements, gross_margin=0.5,
                              period=Q1) == pytest.approx(ltv / 600)
    # Cohorts to March: a1, a2 and a3 already pay in the data's first month (acquired
    # before it: left-censored) and are left out; a5 is the one cohort: age 0 80, age 1 80
    assert metrics.ltv_cohort(c.mrr, gross_margin=0.5, period=Q1,
                              horizon_months=2) == pytest.approx(0.5 * (80 + 80))
    # a5 has not been seen at ages 2 and 3 by March: a 4-month horizon is undefined
    with nan_warns("ltv_cohort is undefined .*observed for 4 months"):
        assert math.isnan(metrics.ltv_cohort(c.mrr, gross_margin=1.0, period=Q1,
                                             horizon_months=4))
    # capped LTV: the lifetime 1 / (1/9) = 9 months is under the 60-month cap: as the formula
    assert metrics.ltv_capped(c.mrr, gross_margin=0.5, period=Q1) == pytest.approx(ltv)
    assert metrics.ltv_capped(c.mrr, gross_margin=0.5, period=Q1,
                              max_lifetime_months=6) == pytest.approx(1550 / 9 * 0.5 * 6)
    # MM (a3 alone) never churned: the formula is infinite, the capped LTV 5 years of
    # ARPA (250 + 250 + 290) / 3 customer-months x 0.5 margin
    assert metrics.ltv_capped(c.mrr, gross_margin=0.5, period=Q1, segment="MM",
                              accounts=c.accounts) == pytest.approx(790 / 3 * 0.5 * 60)
    assert metrics.ltv_to_cac(c.mrr, c.costs, c.mrr_movements, gross_margin=0.5, period=Q1,
                              method="formula") == pytest.approx(ltv / 600)
    assert metrics.ltv_to_cac(c.mrr, c.costs, c.mrr_movements, gross_margin=0.5, period=Q1,
                              max_lifetime_months=6) == pytest.approx(1550 / 9 * 3 / 600)
    # magic number: 12 x (520 - 600) net new ARR / S&M of Oct-Dec 2024 (3 x 200)
    assert metrics.magic_number(c.costs, c.mrr, period=Q1) == pytest.approx(-960 / 600)
    # MER: 12 x 80 new MRR / marketing 3 x 100
    assert metrics.marketing_efficiency_ratio(c.costs, c.mrr_movements, period=Q1) == \
        pytest.approx(3.2)


def test_efficiency_ratios_by_hand(c):
    # Q1 costs: 3 months x (marketing 100 + inside 50 + field 50 + CS 999 + G&A 999)
    # = S&M 600 of 6594; revenue 550 + 480 + 520 = 1550
    # CAC ratio: S&M 600 / (12 x (80 new + 90 expansion MRR))
    assert metrics.cac_ratio(c.costs, c.mrr_movements, period=Q1) == pytest.approx(600 / 2040)
    assert metrics.sm_share_of_revenue(c.costs, c.mrr, period=Q1) == pytest.approx(600 / 1550)
    # Rule of 40: ARR growth 520 / 600 - 1 plus operating margin (1550 - 6594) / 1550
    assert metrics.rule_of_40(c.mrr, c.costs, period=Q1) == pytest.approx(
        520 / 600 - 1 + (1550 - 6594) / 1550)
    # burn multiple, March: net burn 2198 - 520 = 1678 over net new ARR 12 x (520 - 480)
    assert metrics.burn_multiple(c.costs, c.mrr, period="2025-03") == pytest.approx(1678 / 480)
    # a profitable month burns nothing: the multiple is negative (revenue 520 > costs 400)
    cheap = c.costs.assign(amount=c.costs["amount"].where(
        c.costs["department"].isin(["marketing", "field_sales", "inside_sales"]), 0.0) * 2)
    assert metrics.burn_multiple(cheap, c.mrr, period="2025-03") == pytest.approx(
        (400 - 520) / 480)
    # Q1 shrank (net new ARR 12 x (520 - 600) < 0): no growth to divide the burn by
    with nan_warns("burn_multiple is undefined .*net new ARR in 2025-01..2025-03 is -960"):
        assert math.isnan(metrics.burn_multiple(c.costs, c.mrr, period=Q1))
    # costs missing for March would understate a company-wide total
    with nan_warns("rule_of_40 is undefined .*costs table ends in 2025-02"):
        short = c.costs[c.costs["month"] < "2025-03-01"]
        assert math.isnan(metrics.rule_of_40(c.mrr, short, period=Q1))
    # a costs table that spans the quarter but has no row in it: no cost is known
    gap = c.costs[c.costs["month"] < "2025-01-01"]
    gap = pd.concat([gap, gap.assign(month=pd.Timestamp("2025-04-01"))])
    with nan_warns("sm_share_of_revenue is undefined .*no sales and marketing costs "
                   r"\(departments .*\) in 2025-01..2025-03"):
        assert math.isnan(metrics.sm_share_of_revenue(gap, c.mrr, period=Q1))
    with nan_warns("burn_multiple is undefined .*no company costs in 2025-03"):
        assert math.isnan(metrics.burn_multiple(gap, c.mrr, period="2025-03"))
    with nan_warns("cac_ratio is undefined .*no new or expansion ARR in 2025-01"):
        assert math.isnan(metrics.cac_ratio(c.costs, c.mrr_movements, period="2025-01",
                                            movements=("new",)))


def test_unit_economics_edge_cases(c):
    with nan_warns("ltv_cohort is undefined .*observed for 5 months"):
        assert math.isnan(metrics.ltv_cohort(c.mrr, gross_margin=0.5, period=Q1,
                                             horizon_months=5))
    # MM (a3) never churned: the formula would be infinite
    with nan_warns("no customer churned .*infinite"):
        assert math.isnan(metrics.ltv_formula(c.mrr, gross_margin=0.5, period=Q1,
                                              segment="MM", accounts=c.accounts))
    # January has no new customer: CAC has a zero denominator
    with nan_warns("customer_acquisition_cost is undefined .*no new customers in 2025-01"):
        assert math.isnan(metrics.customer_acquisition_cost(c.costs, c.mrr_movements,
                                                            period="2025-01"))
    # the lagged window of 2024Q4 starts in July, before the costs table
    with nan_warns("magic_number is undefined .*costs table starts in 2024-10"):
        assert math.isnan(metrics.magic_number(c.costs, c.mrr, period="2024-12"))
    with pytest.raises(ValueError, match="gross_margin must be a share in"):
        metrics.ltv_formula(c.mrr, gross_margin=78, period=Q1)
    with pytest.raises(ValueError, match="horizon_months must be a positive integer"):
        metrics.ltv_cohort(c.mrr, gross_margin=0.5, horizon_months=0)
    with pytest.raises(ValueError, match="method must be one of"):
        metrics.ltv_to_cac(c.mrr, c.costs, c.mrr_movements, gross_margin=0.5, method="magic")
    with pytest.raises(ValueError, match="max_lifetime_months must be a positive integer, "
                                         "got 0"):
        metrics.ltv_capped(c.mrr, gross_margin=0.5, period=Q1, max_lifetime_months=0)


# ------------------------------------------------------------------ sales
def test_sales_metrics_by_hand(c):
    o = c.opportunities
    # closed in Q1: O1 won, O2 lost, O5 won
    assert metrics.win_rate(o, period=Q1) == pytest.approx(2 / 3)
    # won: O1 14 days (20 Jan - 3 Feb), O5 91 days (1 Nov - 31 Jan)
    assert metrics.sales_cycle_days(o, period=Q1) == pytest.approx((14 + 91) / 2)
    # lead to close: L1 5 Jan -> 3 Feb = 29 days; L9 1 Oct -> 31 Jan = 122 days
    assert metrics.lead_to_close_days(c.leads, o, period=Q1, statistic="mean") == \
        pytest.approx((29 + 122) / 2)
    # velocity: open at the end of March O3 and O4 (O1, O2, O5 closed) = 2 deals
    # x 2/3 win rate x 1080 mean won ACV / 52.5 mean cycle days = 27.43 yen a day
    assert metrics.sales_velocity(o, period=Q1) == pytest.approx(2 * 2 / 3 * 1080 / 52.5)
    # flow: 4 created in Q1 / 90 days (31 + 28 + 31) x 2/3 x 1080 = 32 yen a day
    assert metrics.sales_velocity_flow(o, period=Q1) == pytest.approx(4 / 90 * 2 / 3 * 1080)
    # activities on deals created in Q1: 10 + 6 + 4 + 2 = 22 by R1, R2, R3
    assert metrics.activity_volume(o, period=Q1) == pytest.approx(22 / 3)
    assert metrics.activity_volume(o, period=Q1, per="opportunity") == pytest.approx(22 / 4)
    assert metrics.activity_volume(o, period=Q1, per=None) == 22
    # open in Q1: O1..O5; moved forward in Q1: O1, O2 (demo), O5 (negotiation, won)
    assert metrics.pipeline_progression_rate(c.opportunity_stages, o, period=Q1) == \
        pytest.approx(3 / 5)
    assert metrics.pipeline_progression_rate(c.opportunity_stages, o, period=Q1,
                                             segment="MM") == pytest.approx(1 / 2)


def _steady_flow(year: int = 2024) -> pd.DataFrame:
    """Issue 13's toy: one deal created a day, each closes 30 days later, every other one
    won, 100 yen each; extracted on 31 December of ``year`` (later closes still open)."""
    created = pd.date_range(f"{year - 1}-10-01", f"{year}-12-31", freq="D")
    closes = created + pd.Timedelta(days=30)
    closed = closes <= pd.Timestamp(f"{year}-12-31")
    return pd.DataFrame({"segment": "SMB", "amount": 100.0, "created_at": created,
                         "closed_at": closes.where(closed), "is_closed": closed,
                         "is_won": closed & (np.arange(len(created)) % 2 == 0)})


def test_sales_velocity_of_a_steady_flow_by_hand():
    opps = _steady_flow(2024)
    # 2024 (366 days) closes the deals created 2 Dec 2023 .. 1 Dec 2024: 366 deals,
    # alternately won -> win rate 183 / 366 = 0.5; every cycle 30 days; size 100.
    assert metrics.win_rate(opps, period="2024") == 0.5
    # open on 31 December: created 2 .. 31 December = 30 deals
    # velocity = 30 x 0.5 x 100 / 30 days = 50 yen a day (the old count of the 366 deals
    # created in the year gave 366 x 0.5 x 100 / 30 = 610)
    assert metrics.sales_velocity(opps, period="2024") == pytest.approx(50)
    # flow: 366 created / 366 days x 0.5 x 100 = 50 yen a day
    assert metrics.sales_velocity_flow(opps, period="2024") == pytest.approx(50)
    # a quarter gives the same per-day value: velocity is a rate, not a period total
    # (Q4 2024 closes the deals created 1 Sep .. 1 Dec: 92 deals, the first of them the
    # 337th of the table (index 336, even, won) -> 46 won; still 30 open on 31 December)
    assert metrics.sales_velocity(opps, period="2024Q4") == pytest.approx(30 * 46 / 92 * 100
                                                                          / 30)


def test_pipeline_and_quota_by_hand(c):
    s = c.pipeline_snapshots
    # last Q1 snapshot (31 March): O3 3000 + O4 9000; weighted 3000 x 0.3 + 9000 x 0.1
    assert metrics.pipeline_value(s, period=Q1) == 12000
    assert metrics.pipeline_value(s, period=Q1, weighted=True) == pytest.approx(1800)
    assert metrics.pipeline_value(s, period=Q1, segment="SMB") == 0  # nothing open, known
    # Q1 quota: R1 2400/4 = 600, R2 4800/4 = 1200, R3 (hired 15 Feb) 9600/12 x 1 = 800
    table = metrics.rep_attainment(c.opportunities, c.reps, period=Q1)
    assert table["quota"].tolist() == [600, 1200, 800]
    # bookings: R1 won O1 960 + O5 1200
    assert table["bookings"].tolist() == [2160, 0, 0]
    assert metrics.quota_attainment(c.opportunities, c.reps, period=Q1) == \
        pytest.approx(2160 / 2600)
    assert metrics.quota_attainment(c.opportunities, c.reps, period=Q1, segment="SMB") == \
        pytest.approx(2160 / 600)
    assert metrics.reps_at_quota_share(c.opportunities, c.reps, period=Q1) == pytest.approx(1 / 3)
    # R3 joined in February: left out when only reps on board all quarter count
    assert metrics.reps_at_quota_share(c.opportunities, c.reps, period=Q1,
                                       whole_period=True) == pytest.approx(1 / 2)
    full = metrics.rep_attainment(c.opportunities, c.reps, period=Q1, whole_period=True)
    assert full["rep_id"].tolist() == ["R1", "R2"]
    # coverage: first Q1 snapshot (6 Jan) has O5 1200 due in Q1; quota 2600
    assert metrics.pipeline_coverage(s, c.reps, period=Q1) == pytest.approx(1200 / 2600)
    assert metrics.pipeline_coverage(s, c.reps, period=Q1, segment="SMB") == pytest.approx(2)
    assert metrics.pipeline_coverage(s, c.reps, period=Q1, target=600.0) == pytest.approx(2)
    assert metrics.pipeline_coverage(s, c.reps, period=Q1, per="quarter") == \
        pytest.approx(1200 / 2600)


def test_attainment_with_ramp_by_hand(c):
    # The toy's reps with a ramp: R1, R2 (hired 2020) are long ramped; R3 counts from
    # March (hired 15 Feb) with a 2-month ramp: its first month carries 1/2 of 800.
    reps = c.reps.assign(ramp_months=[3, 3, 2, 2])
    table = metrics.rep_attainment(c.opportunities, reps, period=Q1)
    assert table["quota"].tolist() == [600, 1200, 400]
    assert metrics.quota_attainment(c.opportunities, reps, period=Q1) == pytest.approx(
        2160 / 2200)
    assert metrics.quota_attainment(c.opportunities, reps, period=Q1, ramp=False) == \
        pytest.approx(2160 / 2600)
    # A rep hired on 1 January 2025 with a 3-month ramp and 1200 a year: Q1 quota
    # 100 x (1/3 + 2/3 + 1) = 200; bookings 250 -> 125 % (unramped 250 / 300 = 83 %).
    new = pd.DataFrame({"rep_id": ["R9"], "segment": ["SMB"], "ramp_months": [3],
                        "hired_on": pd.to_datetime(["2025-01-01"]), "quota_annual": [1200.0]})
    won = pd.DataFrame({"owner_rep_id": ["R9"], "is_won": [True], "segment": ["SMB"],
                        "amount": [250.0], "closed_at": pd.to_datetime(["2025-03-31"])})
    assert metrics.rep_attainment(won, new, period=Q1)["quota"].tolist() == [200]
    assert metrics.quota_attainment(won, new, period=Q1) == pytest.approx(1.25)
    assert metrics.reps_at_quota_share(won, new, period=Q1) == 1
    assert metrics.reps_at_quota_share(won, new, period=Q1, ramp=False) == 0
    # the ramp column may be named differently in a CRM export
    renamed = new.rename(columns={"ramp_months": "Ramp"})
    assert metrics.quota_attainment(won, renamed, period=Q1,
                                    columns={"ramp_months": "Ramp"}) == pytest.approx(1.25)


def test_sales_edge_cases(c):
    o = c.opportunities
    with nan_warns("no opportunity closed in 2025-01..2025-03 for segment 'ENT'"):
        assert math.isnan(metrics.sales_velocity(o, period=Q1, segment="ENT"))
    with nan_warns("no opportunity won in .* for segment 'MM'"):
        assert math.isnan(metrics.sales_cycle_days(o, period=Q1, segment="MM"))
    with nan_warns("the quota of .* is 0"):
        assert math.isnan(metrics.pipeline_coverage(c.pipeline_snapshots, c.reps,
                                                    period=Q1, target=0.0))
    without_february = c.pipeline_snapshots.iloc[[0, 2, 3]]
    with nan_warns("pipeline_value is undefined .*no pipeline snapshot in 2025-02"):
        assert math.isnan(metrics.pipeline_value(without_february, period="2025-02"))
    with nan_warns("pipeline_coverage is undefined .*no pipeline snapshot in 2025-02"):
        assert math.isnan(metrics.pipeline_coverage(without_february, c.reps,
                                                    period="2025-02"))
    # a year whose last months are not in the data would understate sums: undefined
    with nan_warns("quota_attainment is undefined .*end on 2025-03-12"):
        assert math.isnan(metrics.quota_attainment(o, c.reps, period="2025"))
    with pytest.raises(ValueError, match="per must be one of"):
        metrics.activity_volume(o, per="team")


# ------------------------------------------------------------------ customer success
def test_customer_success_by_hand(c):
    # Q1 answers: 10, 9, 9, 7, 2 -> (3 promoters - 1 detractor) / 5
    assert metrics.nps(c.nps_responses, period=Q1) == pytest.approx(40)
    # SMB answers: a1 10, a5 9, a2 7 -> (2 - 0) / 3
    assert metrics.nps(c.nps_responses, period=Q1, segment="SMB",
                       accounts=c.accounts) == pytest.approx(200 / 3)
    # resolved in Q1 and rated: 5, 3, 4 (T4 is still open)
    assert metrics.csat(c.tickets, period=Q1) == pytest.approx(2 / 3)
    assert metrics.csat(c.tickets, period=Q1, threshold=5) == pytest.approx(1 / 3)
    assert metrics.csat_mean_score(c.tickets, period=Q1) == pytest.approx((5 + 3 + 4) / 3)
    assert metrics.ticket_resolution_hours(c.tickets, period=Q1) == 10
    assert metrics.ticket_resolution_hours(c.tickets, period=Q1, statistic="mean") == \
        pytest.approx(14)
    # March health scores: 80, 50, 81
    assert metrics.customer_health_score(c.usage, period=Q1) == pytest.approx(211 / 3)
    assert metrics.customer_health_score(c.usage, period=Q1, statistic="median") == 80
    # a1 in March: 100 x (0.5 x 8/10 + 0.3 x 0.6 + 0.2 x (1 - 1/4)) = 73
    assert metrics.health_score(c.usage).tolist() == [
        round(100 * (0.5 * 0.9 + 0.3 * 0.5 + 0.2)), 73,
        round(100 * (0.5 * 0.5 + 0.3 * 0.5 + 0.2 * 0.5)), round(100 * (0.5 * 0.8 + 0.3 * 0.7
                                                                      + 0.2))]
    for fn, table in ((metrics.nps, c.nps_responses), (metrics.csat, c.tickets),
                      (metrics.csat_mean_score, c.tickets),
                      (metrics.ticket_resolution_hours, c.tickets),
                      (metrics.customer_health_score, c.usage)):
        with nan_warns(f"{fn.__name__} is undefined .*segment 'ENT'"):
            assert math.isnan(fn(table, period=Q1, segment="ENT", accounts=c.accounts))
    with pytest.raises(ValueError, match="weights must be three shares"):
        metrics.health_score(c.usage, weights=(0.5, 0.5, 0.5))


def test_health_score_recomputes_the_company_column():
    from revopslab.datasets import load_company

    usage = load_company().usage
    assert (metrics.health_score(usage).to_numpy() == usage["health_score"].to_numpy()).all()


# ------------------------------------------------------------------ marketing
def test_marketing_by_hand(c):
    # Q1 leads: L1, L2, L3, L4, L5, L6, L8
    assert metrics.lead_volume(c.leads, period=Q1) == 7
    assert metrics.lead_volume(c.leads, period=Q1, channel="web") == 3
    assert metrics.lead_volume(c.leads, period=Q1, segment="ENT") == 1
    assert metrics.lead_volume(c.leads, period=Q1, channel="product") == 0  # none, known
    # inbound Q1 leads L1, L2, L3, L4, L8; MQL: L1, L2, L3
    assert metrics.mql_rate(c.leads, period=Q1) == pytest.approx(3 / 5)
    assert metrics.mql_rate(c.leads, period=Q1, channel="web") == pytest.approx(2 / 3)
    # spend 3 x (100 + 200 + 30) = 990 over the paid channels' 6 leads
    assert metrics.cost_per_lead(c.marketing_spend, c.leads, period=Q1) == pytest.approx(165)
    assert metrics.cost_per_lead(c.marketing_spend, c.leads, period=Q1, channel="ads") == 300
    args = (c.marketing_spend, c.opportunities, c.leads)
    # won in Q1: O1 (L1 web, 960) and O5 (L9 web, 1200)
    assert metrics.channel_cac(*args, period=Q1, channel="web") == pytest.approx(300 / 2)
    assert metrics.channel_cac(*args, period=Q1) == pytest.approx(990 / 2)
    assert metrics.campaign_roi(*args, period=Q1, channel="web") == pytest.approx(
        (2160 - 300) / 300)
    assert metrics.campaign_roi(*args, period=Q1, channel="ads") == pytest.approx(-1)
    assert metrics.campaign_roi(*args, period=Q1) == pytest.approx((2160 - 990) / 990)
    assert metrics.campaign_roi(*args, period=Q1, gross_margin=0.5) == pytest.approx(
        (1080 - 990) / 990)
    # created in Q1: O1 960 (inbound), O2 2000 (inbound), O3 3000 (outbound), O4 9000 (sales)
    pipe = (c.opportunities, c.leads)
    assert metrics.marketing_sourced_pipeline(*pipe, period=Q1) == 2960
    assert metrics.marketing_sourced_pipeline(*pipe, period=Q1, share=True) == pytest.approx(
        2960 / 14960)
    assert metrics.marketing_sourced_pipeline(*pipe, period=Q1, channel="ads") == 2000


def test_marketing_edge_cases(c):
    args = (c.marketing_spend, c.opportunities, c.leads)
    with nan_warns("mql_rate is undefined .*for channel 'teleprospecting'"):
        assert math.isnan(metrics.mql_rate(c.leads, period=Q1, channel="teleprospecting"))
    with nan_warns("channel_cac is undefined .*no customer won .*channel 'ads'"):
        assert math.isnan(metrics.channel_cac(*args, period=Q1, channel="ads"))
    with nan_warns("campaign_roi is undefined .*no programme spend .*'field_prospecting'"):
        assert math.isnan(metrics.campaign_roi(*args, period=Q1, channel="field_prospecting"))
    with nan_warns("cost_per_lead is undefined .*no lead from a paid channel"):
        only_field = c.leads[c.leads["channel"] == "field_prospecting"]
        assert math.isnan(metrics.cost_per_lead(c.marketing_spend, only_field, period=Q1))
    with nan_warns("lead_volume is undefined .*outside the data"):
        assert math.isnan(metrics.lead_volume(c.leads, period="2030"))


def test_conversion_rates_by_hand(c):
    table = metrics.conversion_rates(c.leads, period=Q1, opportunities=c.opportunities)
    assert list(table.columns) == ["step", "motion", "from", "to", "n_from", "n_to", "rate"]
    got = {step: (motion, n_from, n_to) for step, motion, n_from, n_to in
           table[["step", "motion", "n_from", "n_to"]].itertuples(index=False)}
    # Q1 inquiries: inbound L1, L2, L3, L4, L8; outbound L5; sales L6
    assert got == {
        "inquiry_to_aql": ("inbound", 5, 3),        # L1, L2, L3 of the 5 inbound
        "aql_to_tal": ("inbound", 3, 2),            # L1, L3
        "tal_to_tql": ("inbound", 2, 2),
        "tql_to_sal": ("inbound", 2, 2),
        "inquiry_to_tgl": ("outbound", 1, 1),       # L5 of the 1 outbound
        "tgl_to_sal": ("outbound", 1, 1),
        "inquiry_to_sgl": ("sales", 1, 1),          # L6 of the 1 field-sales target
        "sal_to_sql": ("inbound+outbound", 3, 3),   # L1, L3, L5
        "sgl_to_sql": ("sales", 1, 1),
        "sql_to_opportunity": ("inbound+outbound+sales", 4, 4),  # L1, L3, L5, L6
        "opportunity_to_won": ("inbound+outbound+sales", 4, 1),  # only O1 (L1) won
    }
    assert table["rate"].tolist() == pytest.approx(table["n_to"] / table["n_from"])
    # one motion: its own steps only; O3 (from L5) is still open
    outbound = metrics.conversion_rates(c.leads, period=Q1, motion="outbound",
                                        opportunities=c.opportunities)
    assert dict(zip(outbound["step"], outbound["rate"], strict=True)) == {
        "inquiry_to_tgl": 1, "tgl_to_sal": 1, "sal_to_sql": 1, "sql_to_opportunity": 1,
        "opportunity_to_won": 0}
    # motions=None pools every lead (the old, mixed denominator): inquiry -> TGL 1 / 7
    pooled = metrics.conversion_rates(c.leads, period=Q1, motions=None).set_index("step")
    assert pooled.loc["inquiry_to_tgl", ["motion", "n_from", "n_to"]].tolist() == ["all", 7, 1]
    web = metrics.conversion_rates(c.leads, period=Q1, channel="web")
    assert not {"inquiry_to_tgl", "tgl_to_sal"} & set(web["step"])  # no outbound web lead
    assert web.set_index("step").loc["inquiry_to_aql", "rate"] == pytest.approx(2 / 3)
    with nan_warns("conversion_rates is undefined"):
        assert metrics.conversion_rates(c.leads, period="2030").empty
    with pytest.raises(ValueError, match=r"must have the column\(s\) \['motion'\]"):
        metrics.conversion_rates(c.leads.drop(columns="motion"), period=Q1)
    with pytest.raises(ValueError, match="motions must map a step"):
        metrics.conversion_rates(c.leads, period=Q1, motions=["inbound"])


def test_inquiry_to_tgl_is_measured_on_outbound_leads():
    # Issue 13's toy: 135 inbound inquiries and 25 outbound (teleprospecting) targets in
    # January; 8 of the outbound become TGLs. Pooled, inquiry -> TGL reads 8 / 160 = 5 %;
    # of the leads that can become TGLs, 8 / 25 = 32 %.
    n_in, n_out, n_tgl = 135, 25, 8
    tgl = [None] * n_in + ["2025-01-20"] * n_tgl + [None] * (n_out - n_tgl)
    leads = pd.DataFrame({"lead_id": [f"L{i}" for i in range(n_in + n_out)],
                          "motion": ["inbound"] * n_in + ["outbound"] * n_out,
                          "inquiry_at": pd.Timestamp("2025-01-10"),
                          "tgl_at": pd.to_datetime(tgl)})
    step = [("inquiry_to_tgl", "inquiry", "tgl")]
    per_motion = metrics.conversion_rates(leads, period="2025-01", steps=step)
    assert per_motion[["motion", "n_from", "n_to"]].iloc[0].tolist() == ["outbound", 25, 8]
    assert per_motion["rate"].iloc[0] == pytest.approx(0.32)
    pooled = metrics.conversion_rates(leads, period="2025-01", steps=step, motions=None)
    assert pooled["rate"].iloc[0] == pytest.approx(0.05)


# ------------------------------------------------------------------ CRM column names
def test_a_crm_export_with_other_column_names(c):
    names = {"amount": "Amount", "closed_at": "Close Date", "is_won": "Won",
             "segment": "Segment"}
    renamed = c.opportunities.rename(columns={k: v for k, v in names.items()})
    assert metrics.win_rate(renamed, period=Q1, columns=names) == pytest.approx(2 / 3)
    assert metrics.quota_attainment(renamed, c.reps, period=Q1, columns=names) == \
        pytest.approx(2160 / 2600)
    with pytest.raises(ValueError, match=r"must have the column\(s\) \['is_won', 'closed_at'\].*"
                                         r"columns=\{'is_won'"):
        metrics.win_rate(renamed, period=Q1)
    with pytest.raises(ValueError, match="columns must map our column names"):
        metrics.win_rate(c.opportunities, period=Q1, columns=[("amount", "Amount")])


# ------------------------------------------------------------------ kpi_table
def test_kpi_table_matches_the_metrics(c):
    # The toy's data start in 2024-12: no cohort has 24 months yet; and MRR shrank in Q1,
    # so there is no net new ARR to divide the burn by.
    with nan_warns(r"kpi_table: 2 value\(s\) undefined .*ltv_cohort_24m, burn_multiple"):
        table = metrics.kpi_table(c, period=Q1)
    assert list(table.columns) == ["metric", "value", "unit", "department", "definition", "note"]
    assert table["metric"].tolist() == [k.name for k in metrics.REGISTRY]
    assert set(table["department"]) == set(metrics.DEPARTMENTS)
    value = table.set_index("metric")["value"]
    assert value["win_rate"] == pytest.approx(2 / 3)
    assert value["net_revenue_retention"] == pytest.approx(440 / 600)
    assert value["ltv_formula"] == pytest.approx(1550 * 0.5)  # the config's gross margin
    # the default LTV caps the lifetime at 60 months; the toy's 9 months are under it
    assert value["ltv"] == pytest.approx(1550 * 0.5)
    assert value["ltv_to_cac"] == pytest.approx(1550 * 0.5 / 600)
    assert value["revenue_churn_rate"] == pytest.approx(210 / 600)
    assert value["expansion_rate"] == pytest.approx(50 / 600)
    assert value["quick_ratio"] == pytest.approx(170 / 250)
    assert value["cac_ratio"] == pytest.approx(600 / 2040)
    assert value["sales_and_marketing_share_of_revenue"] == pytest.approx(600 / 1550)
    assert value["sales_velocity"] == pytest.approx(2 * 2 / 3 * 1080 / 52.5)
    assert value["nps"] == pytest.approx(40)
    assert value["pipeline_coverage"] == pytest.approx(1200 / 2600)
    assert table.set_index("metric").loc["cac", "unit"] == "JPY/customer"
    notes = table.set_index("metric")["note"]
    assert "observed for 24 months" in notes.pop("ltv_cohort_24m")
    assert "net new ARR in 2025-01..2025-03 is -960" in notes.pop("burn_multiple")
    assert (notes == "").all()


def test_kpi_table_by_segment_and_channel(c):
    with nan_warns("kpi_table: .* undefined .*net_revenue_retention\\[ENT\\]"):
        table = metrics.kpi_table(c, period=Q1, by="segment")
    nrr = table[table["metric"] == "net_revenue_retention"].set_index("segment")
    assert nrr.index.tolist() == ["SMB", "MM", "ENT", "total"]
    assert nrr.loc["SMB", "value"] == pytest.approx(0.5)
    assert math.isnan(nrr.loc["ENT", "value"]) and "opening base is empty" in nrr.loc["ENT",
                                                                                      "note"]
    cac = table[table["metric"] == "cac"]
    assert cac["segment"].tolist() == ["total"]  # costs are not split by segment
    with pytest.warns(MetricWarning):
        by_channel = metrics.kpi_table(c, period=Q1, by="channel")
    cpl = by_channel[by_channel["metric"] == "cost_per_lead"].set_index("channel")["value"]
    assert cpl.to_dict() == pytest.approx({"web": 100, "ads": 300, "teleprospecting": 90,
                                           "field_prospecting": 0, "total": 165})
    with pytest.raises(ValueError, match="by must be one of"):
        metrics.kpi_table(c, by="rep")


@pytest.mark.parametrize("by", [None, "segment", "channel"])
def test_every_row_of_kpi_table_is_the_metric_called_directly(c, by):
    # kpi_table looks segments and lead sources up once; the values must not change.
    with pytest.warns(MetricWarning):
        table = metrics.kpi_table(c, period=Q1, by=by)
    kpis = {k.name: k for k in metrics.REGISTRY}
    for row in table.itertuples():
        kpi = kpis[row.metric]
        kwargs = dict(kpi.options, period=Q1)
        params = inspect.signature(kpi.function).parameters
        if "accounts" in params:
            kwargs["accounts"] = c.accounts
        if "gross_margin" in params and "gross_margin" not in kwargs:
            kwargs["gross_margin"] = c.config.gross_margin
        group = getattr(row, by) if by else "total"
        if group != "total":
            kwargs[by] = group
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", MetricWarning)
            direct = kpi.function(*[getattr(c, t) for t in kpi.tables], **kwargs)
        assert direct == pytest.approx(row.value, nan_ok=True), (row.metric, group)


def test_an_opportunity_own_lead_source_is_used_when_present(c):
    # A CRM export often carries the lead source on the deal itself (Salesforce's Lead Source).
    opps = c.opportunities.assign(channel=["web", "ads", "teleprospecting", "field_prospecting",
                                           "web"],
                                  motion=["inbound", "inbound", "outbound", "sales", "inbound"])
    no_leads = c.leads.iloc[:0][["lead_id"]]
    assert metrics.marketing_sourced_pipeline(opps, no_leads, period=Q1) == 2960
    assert metrics.channel_cac(c.marketing_spend, opps, no_leads, period=Q1,
                               channel="web") == pytest.approx(150)


def test_kpi_table_leaves_its_input_untouched(c):
    before = copy.deepcopy(c)
    with pytest.warns(MetricWarning):
        metrics.kpi_table(c, period=Q1, by="segment")
    for name, table in vars(before).items():
        if isinstance(table, pd.DataFrame):
            pd.testing.assert_frame_equal(getattr(c, name), table)


def test_kpi_table_on_the_default_company_is_complete_and_pure():
    from revopslab.datasets import load_company

    company = load_company()
    before = {name: df.copy(deep=True) for name, df in company}
    table = metrics.kpi_table(company, period="2025")
    for name, df in company:
        pd.testing.assert_frame_equal(df, before[name])
    assert table["value"].notna().all() and np.isfinite(table["value"]).all()
    value = table.set_index("metric")["value"]
    assert value["gross_revenue_retention"] <= min(1, value["net_revenue_retention"])
    assert value["logo_churn_rate"] + value["logo_retention_rate"] == pytest.approx(1)
    assert value["arr"] == pytest.approx(12 * value["mrr"])


def test_every_metric_documents_formula_unit_source_and_example():
    for kpi in metrics.REGISTRY:
        doc = inspect.getdoc(kpi.function)
        assert "Examples" in doc and ">>>" in doc, kpi.name
        assert "Unit" in doc or "unit" in doc, kpi.name
        assert kpi.label_ja and kpi.definition and kpi.unit, kpi.name
        params = inspect.signature(kpi.function).parameters
        assert params["period"].kind is inspect.Parameter.KEYWORD_ONLY, kpi.name
    assert set(metrics.__all__) >= {k.function.__name__ for k in metrics.REGISTRY}


def test_no_metric_returns_inf(c):
    # A metric whose denominator is zero says so; it never divides into infinity.
    calls = [
        lambda: metrics.ltv_formula(c.mrr, gross_margin=0.5, period="2025-01"),
        lambda: metrics.campaign_roi(c.marketing_spend.assign(spend=0.0), c.opportunities,
                                     c.leads, period=Q1),
        lambda: metrics.marketing_efficiency_ratio(c.costs.assign(amount=0.0), c.mrr_movements,
                                                   period=Q1),
        lambda: metrics.quota_attainment(c.opportunities, c.reps.assign(quota_annual=0.0),
                                         period=Q1),
    ]
    for call in calls:
        with pytest.warns(MetricWarning):
            value = call()
        assert not np.isinf(value)
