"""Chapters 1 and 2 claims as experiments over seeds; outcomes() against hand-computed data."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pandas as pd
import pytest

from revopslab import claims
from revopslab import experiments as ex
from revopslab.config import CompanyConfig
from revopslab.simulate import simulate_company

# The claims run the default company (36 months, scale 1): one simulation takes well under
# a second, and at scale 0.5 the siloed-vs-aligned win-rate gap (about 1 point) drowns in
# noise (12 of 20 seeds), so the scale is not reduced.
BASE = CompanyConfig()
# The claim tests below run each claim's experiment exactly as the scorecard and its chapter
# do (claims.run: the same company and seeds), and assert what notebook 01 and 02 say of it.
# Those runs' measurements are cached (revopslab._cache), so after the notebooks ran, these
# tests read them back instead of simulating every arm again.
ORG_SEEDS = claims.seeds(1)
STORY_SEEDS = claims.seeds(2)


# ------------------------------------------------------------ hand-built company
def _ts(*values):
    return pd.to_datetime(list(values))


@pytest.fixture(scope="module")
def tiny():
    """Three customers over 14 months (2024-01 … 2025-02), every number chosen by hand.

    a pays 100 from 2024-01, 150 from 2024-10 (one expansion); b pays 50 from 2024-02 to
    2024-06 and churns; c pays 200 from 2024-06.
    """
    months = pd.date_range("2024-01-01", "2025-02-01", freq="MS")
    rows = [("a", m, 100.0 if m < pd.Timestamp("2024-10-01") else 150.0) for m in months]
    rows += [("b", m, 50.0) for m in months if pd.Timestamp("2024-02-01") <= m
             <= pd.Timestamp("2024-06-01")]
    rows += [("c", m, 200.0) for m in months if m >= pd.Timestamp("2024-06-01")]
    mrr = pd.DataFrame(rows, columns=["account_id", "month", "mrr"])
    mrr.insert(0, "subscription_id", "S" + mrr["account_id"])
    mrr.insert(2, "product", "core")
    movements = pd.DataFrame({
        "account_id": ["a", "b", "c", "b", "a"],
        "month": _ts("2024-01-01", "2024-02-01", "2024-06-01", "2024-07-01", "2024-10-01"),
        "movement": ["new", "new", "new", "churn", "expansion"],
        "mrr_change": [100.0, 50.0, 200.0, -50.0, 50.0],
        "detail": ["", "", "", "", "upsell"],
    })
    opportunities = pd.DataFrame({
        "opportunity_id": ["o1", "o2", "o3", "o4", "o5"],
        "account_id": ["a", "b", "c", "d", "e"],
        "segment": ["SMB"] * 5,
        "created_at": _ts("2023-12-01", "2024-01-10", "2024-05-01", "2024-02-01", "2025-01-01"),
        "closed_at": _ts("2024-01-10", "2024-02-05", "2024-06-15", "2024-03-01", None),
        "is_closed": [True, True, True, True, False],
        "is_won": [True, True, True, False, False],
        "amount": [1200.0, 600.0, 2400.0, 1000.0, 800.0],
        "discount": [0.1, 0.3, 0.0, 0.05, 0.2],
        "activities": [10, 6, 20, 4, 2],
    })
    costs = pd.DataFrame({
        "month": _ts("2023-12-01", "2024-06-01", "2024-12-01", "2025-02-01"),
        "department": ["marketing", "marketing", "field_sales", "cost_of_revenue"],
        "cost_type": ["programs", "programs", "people", "hosting_and_support"],
        "amount": [9999.0, 1000.0, 500.0, 700.0],
    })
    # First paid months: a 2024-01, b 2024-02, c 2024-06 (CSAT window 3 months, NPS 6).
    tickets = pd.DataFrame({
        "account_id": ["a", "a", "b", "c", "c"],
        "opened_at": _ts("2024-02-10", "2024-06-01", "2024-03-15", "2024-07-01", "2024-08-20"),
        "csat": pd.array([4, 1, 2, None, 5], dtype="Int64"),  # a's 2nd is late; c's 1st open
    })
    nps = pd.DataFrame({
        "account_id": ["a", "a", "b", "c", "c"],
        "surveyed_at": _ts("2024-03-15", "2024-09-15", "2024-03-15", "2024-09-15",
                           "2024-12-15"),
        "score": [10, 3, 5, 8, 9],  # in window: a 10, b 5, c 8; a's 3 and c's 9 are late
    })
    leads = pd.DataFrame({"lead_id": list("vwxyz"),
                          "aql_at": _ts("2023-12-20", "2024-01-03", "2024-01-20", None,
                                        "2024-04-25"),
                          "sql_at": _ts("2024-01-01", None, "2024-02-01", None, "2024-05-01")})
    shell = simulate_company(CompanyConfig(months=6, scale=0.05), rng=0)
    company = shell.replace(mrr=mrr, mrr_movements=movements, opportunities=opportunities,
                            costs=costs, leads=leads, tickets=tickets, nps_responses=nps)
    config = CompanyConfig(months=14, start="2024-01-01", gross_margin=0.8)
    return dataclasses.replace(company, config=config)


EXPECTED = {
    "revenue": 9 * 100 + 5 * 150 + 5 * 50 + 9 * 200,           # 3700
    "gross_profit": 3700 - 700,
    "operating_profit": 3700 - (1000 + 500 + 700),              # the 2023-12 cost is outside
    "ending_arr": 12 * (150 + 200),
    "bookings": 1200 + 600 + 2400,
    "bookings_first_quarter": 1200 + 600,
    "bookings_first_year": 4200,
    "deals_won": 3,
    "deals_won_first_quarter": 2,
    "deals_won_first_year": 3,
    "win_rate": 3 / 4,
    "avg_discount": (0.1 + 0.3 + 0.0) / 3,
    "early_churn": 1 / 2,          # a and b are observed 12 months; b stops; c is too recent
    "logo_churn": 1 / 2,           # opening base (2024-02): a, b
    "nrr": 150 / 150,              # (a 150 + b 0) / (a 100 + b 50)
    "grr": 100 / 150,
    "cac_payback_months": 1500 / (200 * 0.8),  # one new customer (c) in the last 12 months
    # ARPA over 2024-03 … 2025-02 = (7*100 + 5*150 + 4*50 + 9*200) / 25 = 138;
    # monthly churn = 1 lost (b) / 25 account-months paying in the month before = 0.04:
    # a lifetime of 25 months, under the 60-month cap.
    "ltv": 138 * 0.8 / 0.04,
    "expansion_mrr": 50,
    # opening base 2024-02 (a 100, b 50); in 2025-02 a pays 150 (+50), b 0: 50 / 150,
    # = NRR 150/150 - GRR 100/150
    "expansion_rate": 50 / 150,
    "onboarding_csat": 2 / 3,      # ratings in window 4, 2, 5: two of three are 4 or 5
    "onboarding_nps": 100 * (1 / 3 - 1 / 3),  # one promoter (a), one detractor (b), c passive
    "aqls": 4,                     # v, w, x, z
    "sqls": 3,
    "opportunities_per_win": 4 / 3,
    "activities_per_win": (10 + 6 + 20 + 4) / 3,  # the lost deal's activities count too
}


def test_outcomes_lists_every_measure_in_order(tiny):
    assert list(ex.outcomes(tiny).index) == list(ex.MEASURES)
    assert set(EXPECTED) == set(ex.MEASURES)


@pytest.mark.parametrize("measure", list(EXPECTED))
def test_outcomes_match_hand_computed_values(tiny, measure):
    assert ex.outcomes(tiny)[measure] == pytest.approx(EXPECTED[measure], rel=1e-12)


def test_outcomes_leave_the_company_untouched(tiny):
    before = {name: df.copy() for name, df in tiny}
    ex.outcomes(tiny)
    for name, df in tiny:
        pd.testing.assert_frame_equal(df, before[name])


def test_outcomes_is_nan_where_the_data_cannot_tell(tiny):
    short = tiny.mrr[tiny.mrr["month"] <= pd.Timestamp("2024-06-01")]
    values = ex.outcomes(tiny.replace(mrr=short))
    assert math.isnan(values["early_churn"])  # nobody observed for 12 months yet
    nobody_churns = tiny.mrr[tiny.mrr["account_id"] != "b"]
    # no churn: the lifetime is the 60-month cap, not infinite; ARPA over 2024-03 … 2025-02
    # = (7*100 + 5*150 + 9*200) / (12 + 9) account-months
    assert ex.outcomes(tiny.replace(mrr=nobody_churns))["ltv"] == pytest.approx(
        3250 / 21 * 0.8 * 60)


def test_outcomes_rejects_a_frame():
    with pytest.raises(TypeError, match="company must be a revopslab Company"):
        ex.outcomes(pd.DataFrame())


# ------------------------------------------------------------ paired differences
def _frame(values, arms=("aligned", "siloed"), column="org_model"):
    rows = [(seed, arm, measure, v) for (seed, arm, measure), v in values.items()]
    frame = pd.DataFrame(rows, columns=["seed", column, "measure", "value"])
    frame[column] = pd.Categorical(frame[column], categories=list(arms))
    return frame


def test_paired_differences_counts_the_claimed_direction():
    frame = _frame({
        (0, "aligned", "revenue"): 100.0, (0, "siloed", "revenue"): 80.0,
        (1, "aligned", "revenue"): 100.0, (1, "siloed", "revenue"): 100.0,  # a tie
        (2, "aligned", "revenue"): 90.0, (2, "siloed", "revenue"): 99.0,
        (0, "aligned", "avg_discount"): 0.1, (0, "siloed", "avg_discount"): 0.2,
        (1, "aligned", "avg_discount"): 0.1, (1, "siloed", "avg_discount"): 0.3,
        (2, "aligned", "avg_discount"): 0.1, (2, "siloed", "avg_discount"): np.nan,
        (0, "aligned", "sqls"): 5.0, (0, "siloed", "sqls"): 6.0,
        (1, "aligned", "sqls"): 5.0, (1, "siloed", "sqls"): 6.0,
        (2, "aligned", "sqls"): 5.0, (2, "siloed", "sqls"): 6.0,
    })
    result = ex.paired_differences(frame)
    assert result.per_seed["revenue"].tolist() == [-20.0, 0.0, 9.0]
    summary = result.summary
    assert list(summary.index) == ["revenue", "avg_discount", "sqls"]  # claimed first
    assert summary.loc["revenue", "in_direction"] == 1
    assert summary.loc["revenue", "median_relative_difference"] == pytest.approx(0.0)
    assert summary.loc["avg_discount", "seeds"] == 2
    assert summary.loc["avg_discount", "in_direction"] == 2
    assert summary.loc["avg_discount", "share_in_direction"] == 1.0
    assert summary.loc["sqls", "claim"] == "" and pd.isna(summary.loc["sqls", "in_direction"])


def test_paired_differences_takes_explicit_arms_and_claims():
    frame = _frame({(0, "a", "x"): 1.0, (0, "b", "x"): 3.0, (0, "c", "x"): 0.0},
                   arms=("a", "b", "c"), column="arm")
    with pytest.raises(ValueError, match="control and treatment must be given"):
        ex.paired_differences(frame)
    result = ex.paired_differences(frame, control="b", treatment="c", claims={"x": "lower"})
    assert result.per_seed.loc[0, "x"] == -3.0
    assert result.summary.loc["x", "in_direction"] == 1
    with pytest.raises(ValueError, match="treatment must be one of the arms"):
        ex.paired_differences(frame, control="a", treatment="z")
    with pytest.raises(ValueError, match="claims must map measures to 'higher' or 'lower'"):
        ex.paired_differences(frame, control="a", treatment="b", claims={"x": "up"})
    with pytest.raises(ValueError, match="exactly one arm column"):
        ex.paired_differences(frame.drop(columns="arm"))


def test_run_arms_checks_its_arguments():
    with pytest.raises(ValueError, match="seeds must be distinct non-negative ints"):
        ex.run_arms({"a": BASE}, seeds=[1, 1])
    with pytest.raises(TypeError, match=r"arms\['a'\] must be a CompanyConfig"):
        ex.run_arms({"a": "aligned"}, seeds=[1])
    with pytest.raises(TypeError, match="base must be a CompanyConfig or None"):
        ex.compare_org_models(base="siloed", seeds=[1])


def test_run_arms_pairs_seeds_with_common_random_numbers():
    tiny = CompanyConfig(months=12, scale=0.2)
    frame = ex.run_arms({"one": tiny, "same": tiny}, seeds=[4, 9], progress=False)
    diffs = ex.paired_differences(frame).per_seed
    assert list(diffs.index) == [4, 9]
    assert (diffs.fillna(0) == 0).all().all()  # the same config and seed: the same company


# ------------------------------------------------------------ claim 1
@pytest.fixture(scope="module")
def org_models():
    return ex.paired_differences(claims.run(1, seeds=ORG_SEEDS)).summary


@pytest.mark.slow
@pytest.mark.parametrize("measure", list(ex.CLAIMS[("org_model", "aligned", "siloed")]))
def test_claim_1_siloed_loses_on_every_claimed_measure(org_models, measure):
    row = org_models.loc[measure]
    assert row["seeds"] == len(ORG_SEEDS)
    if measure == "nrr":
        # Notebook 01 reads NRR as slow to move: the last year's opening customers were
        # mostly won in the past both arms share, so it is lower in most seeds, not all.
        assert len(ORG_SEEDS) // 2 < row["in_direction"] < len(ORG_SEEDS), row
    else:
        assert row["in_direction"] >= 18, row


# ------------------------------------------------------------ claim 2
@pytest.fixture(scope="module")
def lead_count():
    return ex.paired_differences(claims.run(2, seeds=STORY_SEEDS))  # MA and SFA unjoined


@pytest.mark.slow
@pytest.mark.parametrize("measure", list(ex.CLAIMS[("marketing_kpi", "shared_goals",
                                                     "lead_count")]))
def test_claim_2_lead_count_kpi_brings_more_weaker_leads(lead_count, measure):
    assert lead_count.summary.loc[measure, "in_direction"] >= 7, lead_count.summary.loc[measure]


# ------------------------------------------------------------ claim 3
@pytest.fixture(scope="module")
def deal_count():
    return ex.paired_differences(claims.run(3, seeds=STORY_SEEDS)).summary


@pytest.mark.slow
@pytest.mark.parametrize("measure", list(ex.CLAIMS[("sales_kpi", "shared_goals",
                                                     "deal_count")]))
def test_claim_3_deal_count_kpi_wins_deals_that_do_not_last(deal_count, measure):
    if measure == "expansion_rate":
        # Notebook 01 reads it: the last year's opening customers were mostly won before
        # the discounting began, so their expansion rate barely moves (expansion MRR falls).
        assert abs(deal_count.loc[measure, "median_difference"]) < 0.01, deal_count.loc[measure]
    else:
        assert deal_count.loc[measure, "in_direction"] >= 7, deal_count.loc[measure]


# ------------------------------------------------------------ claim 6
@pytest.fixture(scope="module")
def cro():
    return ex.paired_differences(claims.run(6, seeds=STORY_SEEDS)).per_seed


@pytest.mark.slow
def test_claim_6_discounting_wins_more_deals_now_but_less_revenue_in_3_years(cro):
    holds = (cro["deals_won_first_year"] > 0) & (cro["revenue"] < 0)
    assert holds.sum() >= 7, cro[["deals_won_first_year", "revenue"]]
    assert (cro["ltv"] < 0).sum() >= 7


# ------------------------------------------------------------ claim 7
@pytest.fixture(scope="module")
def attainment():
    targets = claims.run(7)["targets"]  # growth targets 0%, 10% ... 50% over 20 seeds
    assert list(targets.index) == [0.0, 0.1, 0.2, 0.3, 0.4, 0.5]
    return targets


@pytest.mark.slow
def test_claim_7_attainment_falls_with_the_stretch(attainment):
    p = attainment["attainment_probability"]
    assert p.is_monotonic_decreasing
    assert p.iloc[0] - p.iloc[-1] >= 0.3, p
    assert attainment["target"].is_monotonic_increasing


@pytest.mark.slow
def test_claim_7_some_target_is_realistic_yet_challenging(attainment):
    assert (attainment["verdict"] == "realistic yet challenging").any(), attainment


def test_target_attainment_checks_its_arguments():
    history = simulate_company(CompanyConfig(months=24, scale=0.05), rng=1)
    with pytest.raises(ValueError, match="growth_targets must be numbers > -1"):
        ex.target_attainment(history, growth_targets=[-1.0], seeds=[1])
    with pytest.raises(ValueError, match="band must be"):
        ex.target_attainment(history, band=(0.8, 0.2), seeds=[1])
    with pytest.raises(TypeError, match="history_company must be a revopslab Company"):
        ex.target_attainment(BASE)
    with pytest.raises(ValueError, match="config.months must be from 24 to 108"):
        ex.next_year_growth(CompanyConfig(months=6), seeds=[1])
    # The history's first year books only deals created inside it: no base for growth.
    with pytest.raises(ValueError, match="a full year of history after the first"):
        ex.next_year_growth(CompanyConfig(months=12), seeds=[1])


# ------------------------------------------------------------ claim 4
@pytest.fixture(scope="module")
def context():
    return ex.paired_differences(claims.run(4, seeds=STORY_SEEDS)).summary


@pytest.mark.slow
@pytest.mark.parametrize("measure", list(ex.CLAIMS[("handoff", "context_kept",
                                                     "context_lost")]))
def test_claim_4_lost_context_hurts_onboarding_and_retention(context, measure):
    assert context.loc[measure, "in_direction"] >= 7, context.loc[measure]


# ------------------------------------------------------------ claim 5
@pytest.fixture(scope="module")
def headcount():
    return claims.run(5)  # 4 seeds; extra reps 0, 2, 4, 6 for the unjoined team


@pytest.mark.slow
def test_claim_5_prioritised_team_books_more_with_the_same_headcount(headcount):
    wide = headcount[headcount["measure"] == "bookings"].pivot_table(
        index="seed", columns="team", values="value", observed=True)
    assert (wide["scored"] > wide["first_come+0"]).all(), wide  # in every seed (4 of 4)


@pytest.mark.slow
def test_claim_5_the_unjoined_team_needs_more_reps_to_catch_up(headcount):
    table = ex.headcount_to_match(headcount)
    assert not table.loc[table["extra_reps"] == 0, "matched"].item(), table
    # More reps help (the gap narrows) and enough of them close it.
    assert table["median_gap"].is_monotonic_increasing, table
    assert table["matched"].any(), table


def test_headcount_arguments_are_checked():
    with pytest.raises(ValueError, match="extra_reps must be distinct counts"):
        ex.inside_sales_headcount(extra_reps=(2, 4), progress=False)
    with pytest.raises(ValueError, match="no 'scored' arm"):
        ex.headcount_to_match(pd.DataFrame({"seed": [0], "team": ["first_come+0"],
                                            "measure": ["bookings"], "value": [1.0]}))
