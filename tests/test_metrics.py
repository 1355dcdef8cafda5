"""KPI functions against values computed by hand on small frames."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from revopslab import metrics


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
    assert math.isnan(metrics.win_rate(_opps(), period="2023"))
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


def test_retention_needs_an_opening_month():
    with pytest.raises(ValueError, match="month before the period"):
        metrics.net_revenue_retention(_mrr(), period="2024")


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
    assert math.isnan(metrics.cac_payback_months(costs, moves.iloc[2:], gross_margin=0.75,
                                                 period="2025"))


@pytest.mark.parametrize("bad", ["last year", ("2025-05", "2025-01"), 2025])
def test_bad_period_says_what_is_expected(bad):
    with pytest.raises(ValueError, match="period must"):
        metrics.month_range(bad)
