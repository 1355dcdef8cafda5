"""The default company sits inside published B2B SaaS ranges, and every default has a source."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pandas as pd
import pytest

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
        assert float(assumptions.loc[f"engine.field_capacity.{segment}", "value"]) == \
            field["capacity"]
    for row, constant in [
            ("engine.plan_utilisation", "_PLAN_UTILISATION"),
            ("engine.hiring_lag_days", "_HIRING_LAG_DAYS"),
            ("engine.rep_attrition", "_REP_ATTRITION"),
            ("engine.quota_from_productivity", "_QUOTA_FROM_PRODUCTIVITY"),
            ("engine.reps_per_manager", "_REPS_PER_MANAGER"),
            ("engine.aes_per_sales_engineer", "_AES_PER_SE"),
            ("engine.heads_per_revops", "_HEADS_PER_REVOPS"),
            ("engine.arr_per_csm", "_ARR_PER_CSM"),
            ("engine.programs_per_marketer", "_PROGRAMS_PER_MARKETER"),
            ("engine.tools_per_seat", "_TOOLS_PER_SEAT"),
            ("engine.arr_per_engineer", "_ARR_PER_ENGINEER"),
            ("engine.commission_rate", "_COMMISSION"),
            ("engine.handoff_decay_days", "_HANDOFF_DECAY_DAYS"),
            ("engine.rep_bias_mean", "_REP_BIAS_MEAN"),
            ("engine.rep_bias_sd", "_REP_BIAS_SD"),
            ("engine.close_date_sigma", "_CLOSE_DATE_SIGMA")]:
        assert float(assumptions.loc[row, "value"]) == getattr(simulate_module, constant), row
    for seg in cfg.segments:
        assert float(assumptions.loc[f"segment.{seg.name}.annual_expansion", "value"]) == \
            seg.annual_expansion


# The default company and two other seeds: a range must hold for the company, not a lucky draw.
SEEDS = (2024, 7, 11)
_SM = ("marketing", "inside_sales", "field_sales")  # sales and marketing departments


def _retention(mrr: pd.DataFrame, years, accounts=None) -> tuple[float, float]:
    """GRR and NRR of the accounts paying in December before each of ``years``, pooled.

    ``mrr`` is accounts x months; GRR clips each account at its opening MRR. With
    ``accounts``, only those accounts.
    """
    kept = opened = grown = 0.0
    for y in years:
        o, e = mrr[pd.Timestamp(f"{y - 1}-12-01")], mrr[pd.Timestamp(f"{y}-12-01")]
        ids = o.index[(o > 0).to_numpy()]
        if accounts is not None:
            ids = ids[ids.isin(accounts)]
        opened += o[ids].sum()
        kept += e[ids].clip(upper=o[ids]).sum()
        grown += e[ids].sum()
    return kept / opened, grown / opened


def _raw_kpis(company) -> dict[str, float]:
    """The headline KPIs of the last full year, recomputed from the raw tables.

    Deliberately independent of :mod:`revopslab.metrics`: each figure is the
    plain arithmetic a practitioner would do on the exports, so a wrong
    definition in the package cannot hide a wrong company (and vice versa).
    """
    year = pd.Timestamp(company.as_of).year - 1
    first, last = pd.Timestamp(f"{year}-01-01"), pd.Timestamp(f"{year}-12-01")
    opening = pd.Timestamp(f"{year - 1}-12-01")
    in_year = lambda s: (s >= first) & (s < last + pd.offsets.MonthBegin(1))  # noqa: E731
    mrr = company.mrr.groupby(["account_id", "month"])["mrr"].sum().unstack(fill_value=0.0)
    total = mrr.sum()
    arr_open, arr_close = total[opening] * 12, total[last] * 12
    costs = company.costs[in_year(company.costs["month"])]
    sm = costs.loc[costs["department"].isin(_SM), "amount"].sum()
    revenue = total[(total.index >= first) & (total.index <= last)].sum()
    moves = company.mrr_movements[in_year(company.mrr_movements["month"])]
    gross_new_arr = moves.loc[moves["movement"].isin(["new", "reactivation", "expansion"]),
                              "mrr_change"].sum() * 12
    new = moves[moves["movement"].eq("new")]
    out = {
        "kpi.arr_growth": arr_close / arr_open - 1,
        "kpi.magic_number": (arr_close - arr_open) / sm,
        "kpi.blended_cac_ratio": sm / gross_new_arr,
        "kpi.sm_share_of_revenue": sm / revenue,
    }
    # Opening cohort of the year: logo churn, GRR and NRR. By segment the last two
    # years' opening cohorts are pooled (an ENT base of a few dozen accounts
    # moves NRR by points with one upsell).
    segment = company.accounts.set_index("account_id")["segment"]
    start, end = mrr[opening], mrr[last]
    out["kpi.gross_revenue_retention"], out["kpi.net_revenue_retention"] = _retention(
        mrr, [year])
    out["kpi.annual_logo_churn"] = float((end[start[start > 0].index] == 0).mean())
    for name in ("SMB", "MM", "ENT"):
        (out[f"kpi.gross_revenue_retention.{name}"],
         out[f"kpi.net_revenue_retention.{name}"]) = _retention(
            mrr, [year - 1, year], segment.index[segment.eq(name)])
    # LTV:CAC with a lifetime capped at five years; CAC payback on new MRR.
    gm = company.config.gross_margin
    life = min(1 / max(out["kpi.annual_logo_churn"], 1e-9), 5.0)
    ltv = new["mrr_change"].mean() * 12 * gm * life
    out["kpi.ltv_to_cac"] = ltv / (sm / len(new))
    out["kpi.cac_payback_months"] = sm / (new["mrr_change"].sum() * gm)
    # Deals closed in the year: win rate overall and by segment, median won cycle.
    opps = company.opportunities
    closed = opps[opps["is_closed"] & in_year(opps["closed_at"])]
    out["kpi.win_rate"] = closed["is_won"].mean()
    for name in ("SMB", "MM", "ENT"):
        seg = closed[closed["segment"].eq(name)]
        won = seg[seg["is_won"]]
        out[f"kpi.win_rate.{name}"] = seg["is_won"].mean()
        out[f"kpi.sales_cycle_days.{name}"] = float(
            (won["closed_at"] - won["created_at"]).dt.days.median())
    # The demand waterfall, each step over the leads of the motion that can take it.
    leads = company.leads[in_year(company.leads["inquiry_at"])]
    inbound = leads[leads["motion"].eq("inbound")]
    reached = lambda df, stage: df[f"{stage}_at"].notna()  # noqa: E731
    out["kpi.inquiry_to_mql"] = reached(inbound, "aql").mean()
    # The rearchitected waterfall's AQL plays the MQL (marketing's qualified lead).
    out["kpi.mql_to_sal"] = reached(inbound, "sal")[reached(inbound, "aql")].mean()
    sal = leads[reached(leads, "sal")]
    out["kpi.sal_to_sql"] = reached(sal, "sql").mean()
    sql = leads[reached(leads, "sql")]
    out["kpi.sql_to_opportunity"] = reached(sql, "opportunity").mean()
    # Field reps ramped by January and on the team all year, against that year's
    # quota; the last two full years are pooled (rep-years), since a team of
    # about ten ramped reps moves the share by ten points a rep.
    reps = company.reps[company.reps["team"].eq("field_sales")]
    hits, eligible = 0, 0
    for y in (year - 1, year):
        jan = pd.Timestamp(f"{y}-01-01")
        ramped = reps["hired_on"] + pd.to_timedelta(reps["ramp_months"] * 30.4, unit="D") <= jan
        stayed = reps["left_on"].isna() | (reps["left_on"] > pd.Timestamp(f"{y}-12-31"))
        full = reps[ramped & stayed]["rep_id"]
        quota = company.quotas[company.quotas["year"].eq(y)].set_index("rep_id")["quota_annual"]
        won = opps[opps["is_won"] & (opps["closed_at"].dt.year == y)]
        booked = won.groupby("owner_rep_id")["amount"].sum().reindex(full).fillna(0)
        hits += int((booked.to_numpy() >= quota.reindex(full).to_numpy()).sum())
        eligible += len(full)
    out["kpi.reps_at_quota_share"] = hits / eligible
    # The reps' own quarterly forecast, frozen on the last Monday before each of the last
    # eight quarters: amount x the rep's probability of the deals they expect to close in
    # the quarter, against what those deals booked in it (median absolute miss).
    snaps, by_id = company.pipeline_snapshots, opps.set_index("opportunity_id")
    misses = []
    for q0 in pd.period_range(end=pd.Period(f"{year}Q4"), periods=8, freq="Q").start_time:
        q1 = q0 + pd.DateOffset(months=3)
        frozen = snaps[snaps["snapshot_date"] == snaps.loc[snaps["snapshot_date"] <= q0,
                                                            "snapshot_date"].max()]
        due = frozen[(frozen["expected_close_date"] >= q0) & (frozen["expected_close_date"] < q1)]
        deals = by_id.loc[frozen["opportunity_id"]]
        booked = deals.loc[deals["is_won"] & (deals["closed_at"] >= q0)
                           & (deals["closed_at"] < q1), "amount"].sum()
        misses.append(abs((due["amount"] * due["rep_probability"]).sum() - booked) / booked)
    out["kpi.rep_forecast_error"] = float(pd.Series(misses).median())
    # Customer voice: NPS and support CSAT (share of 4-5 answers) of the year.
    nps = company.nps_responses[in_year(company.nps_responses["surveyed_at"])]["score"]
    out["kpi.nps"] = 100 * ((nps >= 9).mean() - (nps <= 6).mean())
    csat = company.tickets[in_year(company.tickets["opened_at"])]["csat"].dropna()
    out["kpi.csat_share_satisfied"] = float((csat >= 4).mean())
    return {k: float(v) for k, v in out.items()}


@pytest.fixture(scope="module")
def seed_kpis():
    return {seed: _raw_kpis(simulate_company(rng=seed)) for seed in SEEDS}


def test_every_kpi_range_has_a_source_and_is_measured(assumptions, seed_kpis):
    ranges = assumptions[assumptions["kind"].eq("kpi_range")]
    assert (ranges["source"].str.strip() != "").all()
    measured = set(next(iter(seed_kpis.values())))
    assert set(ranges.index) == measured, set(ranges.index) ^ measured


#: KPIs the calibrated company does not reach, with the reason the notebooks give.
#: The test holds them outside, so a recalibration that fixes one must update the text.
KNOWN_OUTSIDE = {
    "kpi.ltv_to_cac": "S&M is calibrated to the KBCM magic number and CAC ratio, and all of it "
                      "is charged to new logos; with a lifetime capped at five years LTV:CAC "
                      "lands near 2-3, under Skok's 3:1 (which uses the uncapped formula).",
    "kpi.cac_payback_months": "the same S&M, charged to new logos only, takes 20-30 months of "
                              "their gross margin to pay back: the published 11-18 months and a "
                              "magic number near 0.7-0.9 do not hold together for a company "
                              "whose expansion (NRR above 100%) costs no S&M here.",
    "kpi.rep_forecast_error": "the reps' raw probabilities (their stage's historical win rate "
                              "plus their own bias) summed over the deals they expect in the "
                              "quarter overshoot by over 100%: stale deals pushed into the "
                              "quarter are counted at their stage's eventual win rate. The "
                              "published misses are of the forecast a company submits; notebook "
                              "05's calibrated judgment and model come much closer.",
}


def test_default_company_and_two_other_seeds_fall_inside_published_ranges(
        assumptions, seed_kpis):
    rows, outside = [], []
    for name in seed_kpis[SEEDS[0]]:
        low, high = float(assumptions.loc[name, "low"]), float(assumptions.loc[name, "high"])
        values = [seed_kpis[seed][name] for seed in SEEDS]
        ok = all(low <= v <= high for v in values)
        rows.append(f"{'ok ' if ok else 'OUT'} {name:36} "
                    + " ".join(f"{v:9.3f}" for v in values)
                    + f"   [{low:g}, {high:g}]  {assumptions.loc[name, 'source'][:70]}")
        if not ok:
            outside.append(name)
    table = "\n".join([f"    {'KPI':36} " + " ".join(f"{s:>9}" for s in SEEDS)
                       + "   range  source"] + rows)
    print(table)
    assert set(outside) == set(KNOWN_OUTSIDE), f"KPIs outside their published ranges:\n{table}"


def test_realised_churn_matches_the_configured_rates():
    """Over many customer-months and seeds, the company realises the churn it was given.

    Seeds other than the ones the norms were measured on; the tolerance is three
    binomial standard errors of the pooled rate (ENT has few customers).
    """
    config = CompanyConfig()
    counts = {s.name: [0, 0] for s in config.segments}
    for seed in range(100, 108):
        company = simulate_company(config, rng=seed)
        active = company.mrr.groupby(["account_id", "month"])["mrr"].sum().unstack(
            fill_value=0.0) > 0
        segment = company.accounts.set_index("account_id")["segment"].reindex(active.index)
        before, after = active.iloc[:, :-1].to_numpy(), active.iloc[:, 1:].to_numpy()
        for name in counts:
            rows = (segment == name).to_numpy()
            counts[name][0] += int((before[rows] & ~after[rows]).sum())
            counts[name][1] += int(before[rows].sum())
    for seg in config.segments:
        churned, exposed = counts[seg.name]
        realised = churned / exposed
        se = (seg.monthly_churn * (1 - seg.monthly_churn) / exposed) ** 0.5
        assert abs(realised - seg.monthly_churn) <= 3 * se, (seg.name, realised, exposed)
