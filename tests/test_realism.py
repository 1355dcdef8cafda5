"""The default company sits inside published B2B SaaS ranges, and every default has a source."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pandas as pd
import pytest

from revopslab import metrics
from revopslab import simulate as simulate_module
from revopslab.config import ORG_PRESETS, CompanyConfig
from revopslab.simulate import simulate_company

ASSUMPTIONS = Path(__file__).resolve().parents[1] / "data" / "assumptions.csv"


@pytest.fixture(scope="module")
def assumptions():
    return pd.read_csv(ASSUMPTIONS, keep_default_na=False).set_index("name")


@pytest.fixture(scope="module")
def company():
    return simulate_company()


def default_parameter_names():
    cfg = CompanyConfig()
    names = [f.name for f in dataclasses.fields(cfg) if f.name not in ("segments", "channels")]
    for seg in cfg.segments:
        names += [f"segment.{seg.name}.{f.name}" for f in dataclasses.fields(seg)
                  if f.name != "name"]
    for ch in cfg.channels:
        names += [f"channel.{ch.name}.{f.name}" for f in dataclasses.fields(ch)
                  if f.name != "name"]
    for org, levers in ORG_PRESETS.items():
        names += [f"org_model.{org}.{f.name}" for f in dataclasses.fields(levers)]
    return names


def test_every_default_parameter_has_a_row_with_a_source(assumptions):
    missing = [n for n in default_parameter_names() if n not in assumptions.index]
    assert not missing, f"assumptions.csv lacks rows for {missing}"
    unsourced = [n for n in default_parameter_names() if not assumptions.loc[n, "source"].strip()]
    assert not unsourced, f"assumptions.csv rows without a source: {unsourced}"


def test_numeric_defaults_in_the_file_match_the_code(assumptions):
    cfg = CompanyConfig()
    for seg in cfg.segments:
        for field in ("acv_median", "cycle_median_days", "monthly_churn", "win_rate_base"):
            row = assumptions.loc[f"segment.{seg.name}.{field}"]
            assert float(row["value"]) == getattr(seg, field)
            assert float(row["low"]) <= getattr(seg, field) <= float(row["high"])
    for org, levers in ORG_PRESETS.items():
        for field in dataclasses.fields(levers):
            value = getattr(levers, field.name)
            written = assumptions.loc[f"org_model.{org}.{field.name}", "value"]
            assert (written if isinstance(value, str) else float(written)) == value
    assert float(assumptions.loc["engine.aqls_per_inside_rep", "value"]) == \
        simulate_module._AQLS_PER_INSIDE_REP
    assert float(assumptions.loc["engine.discount_pull_forward", "value"]) == \
        simulate_module._DISCOUNT_PULL_FORWARD
    for segment, field in simulate_module._FIELD.items():
        assert float(assumptions.loc[f"engine.field_quota.{segment}", "value"]) == field["quota"]


def _kpis(company):
    last_year = str(pd.Timestamp(company.as_of).year - 1)
    opps = company.opportunities
    out = {
        "kpi.win_rate": metrics.win_rate(opps, period=last_year),
        "kpi.annual_logo_churn": metrics.logo_churn_rate(company.mrr, period=last_year),
        "kpi.net_revenue_retention": metrics.net_revenue_retention(company.mrr, period=last_year),
        "kpi.gross_revenue_retention": metrics.gross_revenue_retention(
            company.mrr, period=last_year),
        "kpi.cac_payback_months": metrics.cac_payback_months(
            company.costs, company.mrr_movements, gross_margin=company.config.gross_margin,
            period=last_year),
    }
    for seg in ("SMB", "MM", "ENT"):
        out[f"kpi.sales_cycle_days.{seg}"] = metrics.sales_cycle_days(
            opps, period=last_year, segment=seg)
    leads = company.leads[company.leads["motion"] == "inbound"]
    out["kpi.inquiry_to_mql"] = leads["aql_at"].notna().mean()
    # Field reps on board all year: share whose bookings that year reached the annual quota.
    year_start = pd.Timestamp(f"{last_year}-01-01")
    reps = company.reps[company.reps["team"].eq("field_sales")
                        & (company.reps["hired_on"] < year_start)].set_index("rep_id")
    won = opps[opps["is_won"] & (opps["closed_at"].dt.year == int(last_year))]
    bookings = won.groupby("owner_rep_id")["amount"].sum().reindex(reps.index, fill_value=0)
    out["kpi.reps_at_quota_share"] = float((bookings >= reps["quota_annual"]).mean())
    return out


def test_default_company_kpis_fall_inside_published_ranges(company, assumptions):
    outside = {}
    for name, value in _kpis(company).items():
        low, high = float(assumptions.loc[name, "low"]), float(assumptions.loc[name, "high"])
        if not low <= value <= high:
            outside[name] = (round(value, 3), low, high)
    assert not outside, f"KPIs outside the published ranges (value, low, high): {outside}"
