"""The simulated company: determinism, identities, and levers acting only through mechanisms."""

from __future__ import annotations

import dataclasses
import hashlib

import numpy as np
import pandas as pd
import pytest

from revopslab.config import CompanyConfig, company_profile
from revopslab.simulate import TABLES, headcount, simulate_company

SMALL = CompanyConfig(months=18, scale=0.3)
SEEDS = (0, 1, 7)


def table_hash(df: pd.DataFrame) -> str:
    hashed = pd.util.hash_pandas_object(df, index=True).to_numpy()
    return hashlib.sha256(hashed.tobytes() + ",".join(df.columns).encode()).hexdigest()


@pytest.fixture(scope="module", params=SEEDS)
def company(request):
    return simulate_company(SMALL, rng=request.param)


@pytest.fixture(scope="module")
def default_company():
    return simulate_company()


def test_same_config_and_seed_give_byte_identical_tables():
    first = simulate_company(SMALL, rng=3)
    second = simulate_company(SMALL, rng=3)
    for name in TABLES:
        assert table_hash(getattr(first, name)) == table_hash(getattr(second, name)), name


def test_another_seed_gives_other_tables():
    first = simulate_company(SMALL, rng=3)
    other = simulate_company(SMALL, rng=4)
    assert table_hash(first.leads) != table_hash(other.leads)


def test_no_global_random_state_is_used_or_touched():
    state = np.random.get_state()[1].copy()  # noqa: NPY002 - the legacy global state itself
    simulate_company(SMALL, rng=3)
    assert np.array_equal(np.random.get_state()[1], state)  # noqa: NPY002


def test_generator_and_seed_sequence_are_accepted():
    a = simulate_company(SMALL, rng=np.random.SeedSequence(11))
    b = simulate_company(SMALL, rng=np.random.SeedSequence(11))
    assert table_hash(a.opportunities) == table_hash(b.opportunities)
    c = simulate_company(SMALL, rng=np.random.default_rng(5))
    assert len(c.leads) > 0
    with pytest.raises(TypeError, match="rng must be"):
        simulate_company(SMALL, rng="seven")


def test_every_table_is_present_and_nonempty(company):
    for name in TABLES:
        assert len(getattr(company, name)) > 0, name


def test_mrr_bridge_holds_exactly_every_month(company):
    total = company.mrr.groupby("month")["mrr"].sum()
    months = pd.date_range(company.config.start, periods=company.config.months, freq="MS")
    total = total.reindex(months, fill_value=0.0)
    moves = company.mrr_movements.pivot_table(
        index="month", columns="movement", values="mrr_change", aggfunc="sum", fill_value=0.0
    ).reindex(index=months, fill_value=0.0)
    opening = total.shift(1, fill_value=0.0)
    signed = {k: moves[k] if k in moves else 0.0 for k in
              ("new", "expansion", "contraction", "churn", "reactivation")}
    # contraction and churn are stored as negative changes.
    net = (signed["new"] + signed["expansion"] + signed["contraction"] + signed["churn"]
           + signed["reactivation"])
    # The history opens on a going concern: the first month's opening MRR is the
    # installed base the warm-up left (not in the table), and from then on the
    # bridge closes exactly.
    assert total.iloc[0] - net.iloc[0] > 0
    np.testing.assert_array_equal((opening + net).to_numpy()[1:], total.to_numpy()[1:])
    assert (company.mrr_movements.query("movement in ['churn', 'contraction']")["mrr_change"]
            < 0).all()
    assert (company.mrr_movements.query("movement in ['new', 'expansion', 'reactivation']")[
        "mrr_change"] > 0).all()


def test_every_foreign_key_resolves(company):
    accounts = set(company.accounts["account_id"])
    opps = set(company.opportunities["opportunity_id"])
    subs = set(company.subscriptions["subscription_id"])
    for name in ("leads", "opportunities", "subscriptions", "mrr", "mrr_movements", "invoices",
                 "usage", "tickets", "nps_responses"):
        assert set(getattr(company, name)["account_id"]) <= accounts, name
    assert set(company.opportunities["lead_id"]) <= set(company.leads["lead_id"])
    assert set(company.opportunities["owner_rep_id"]) <= set(company.reps["rep_id"])
    assert set(company.opportunity_stages["opportunity_id"]) <= opps
    assert set(company.pipeline_snapshots["opportunity_id"]) <= opps
    assert set(company.subscriptions["opportunity_id"].dropna()) <= opps
    assert set(company.mrr["subscription_id"]) <= subs


def test_ids_are_unique(company):
    for table, key in [("accounts", "account_id"), ("leads", "lead_id"),
                       ("opportunities", "opportunity_id"), ("subscriptions", "subscription_id"),
                       ("invoices", "invoice_id"), ("tickets", "ticket_id"), ("reps", "rep_id")]:
        assert getattr(company, table)[key].is_unique, table


WATERFALL_ORDER = [("inquiry", "aql"), ("aql", "tal"), ("tal", "tql"), ("tql", "sal"),
                   ("inquiry", "tgl"), ("inquiry", "sgl"), ("sql", "opportunity")]


def test_stage_timestamps_never_go_backwards(company):
    leads = company.leads
    for earlier, later in WATERFALL_ORDER:
        both = leads[f"{earlier}_at"].notna() & leads[f"{later}_at"].notna()
        assert (leads.loc[both, f"{later}_at"] >= leads.loc[both, f"{earlier}_at"]).all()
    came_from = leads["sal_at"].combine_first(leads["sgl_at"])
    has_sql = leads["sql_at"].notna()
    assert (leads.loc[has_sql, "sql_at"] >= came_from[has_sql]).all()
    stages = company.opportunity_stages.sort_values(["opportunity_id", "entered_at"])
    assert stages.groupby("opportunity_id")["entered_at"].is_monotonic_increasing.all()
    opps = company.opportunities
    closed = opps["is_closed"]
    assert (opps.loc[closed, "closed_at"] >= opps.loc[closed, "created_at"]).all()


def test_no_lead_reaches_a_stage_without_its_prerequisite(company):
    reached = company.leads[[c for c in company.leads.columns if c.endswith("_at")]].notna()
    assert not (reached["aql_at"] & ~reached["inquiry_at"]).any()
    assert not (reached["tal_at"] & ~reached["aql_at"]).any()
    assert not (reached["tql_at"] & ~reached["tal_at"]).any()
    assert not (reached["sal_at"] & ~(reached["tql_at"] | reached["tgl_at"])).any()
    assert not (reached["sql_at"] & ~(reached["sal_at"] | reached["sgl_at"])).any()
    assert not (reached["opportunity_at"] & ~reached["sql_at"]).any()
    motion = company.leads["motion"]
    assert not (reached["aql_at"] & (motion != "inbound")).any()
    assert not (reached["tgl_at"] & (motion != "outbound")).any()
    assert not (reached["sgl_at"] & (motion != "sales")).any()


def test_every_won_opportunity_starts_a_subscription(company):
    won = company.opportunities.loc[company.opportunities["is_won"], "opportunity_id"]
    assert set(won) <= set(company.subscriptions["opportunity_id"].dropna())
    subs = company.subscriptions.dropna(subset=["opportunity_id"]).merge(
        company.opportunities, on="opportunity_id", suffixes=("", "_opp"))
    assert subs["is_won"].all()
    assert (subs["start_month"] == subs["closed_at"].dt.to_period("M").dt.to_timestamp()).all()


def test_first_mrr_of_a_new_deal_is_its_amount_over_twelve(company):
    first = company.mrr.sort_values("month").groupby("subscription_id").first()
    subs = company.subscriptions.set_index("subscription_id").join(first[["mrr"]])
    subs = subs.dropna(subset=["opportunity_id"]).merge(
        company.opportunities[["opportunity_id", "amount"]], on="opportunity_id")
    np.testing.assert_allclose(subs["mrr"], np.round(subs["amount"] / 12, -2))


def test_invoices_bill_the_mrr_of_each_account_month(company):
    billed = company.invoices.groupby(["account_id", "issued_on"])["amount_excl_tax"].sum()
    mrr = company.mrr.groupby(["account_id", "month"])["mrr"].sum()
    mrr.index.names = billed.index.names
    pd.testing.assert_series_equal(billed.sort_index(), mrr.sort_index(), check_names=False)


def test_nothing_is_recorded_after_the_extraction_date(company):
    as_of = company.as_of
    for name, df in company:
        for col in df.columns:
            if pd.api.types.is_datetime64_any_dtype(df[col]) and col not in (
                    "expected_close_date", "period_end", "resolved_at", "hired_on"):
                assert (df[col].dropna() < as_of).all(), (name, col)


def test_snapshots_only_show_open_opportunities(company):
    snaps = company.pipeline_snapshots.merge(
        company.opportunities[["opportunity_id", "created_at", "closed_at"]], on="opportunity_id")
    assert (snaps["snapshot_date"] >= snaps["created_at"]).all()
    closed = snaps["closed_at"].notna()
    assert (snaps.loc[closed, "snapshot_date"] < snaps.loc[closed, "closed_at"]).all()
    assert (snaps["snapshot_date"].dt.day_of_week == 0).all()


# ---------------------------------------------------------------- levers


def _inquiries(company):
    return company.leads[["lead_id", "account_id", "channel", "inquiry_at", "email"]]


def test_data_noise_changes_nothing_in_the_company_itself():
    base = simulate_company(SMALL, rng=2)
    noisy = simulate_company(dataclasses.replace(SMALL, data_noise=0.6), rng=2)
    for name in TABLES:
        assert table_hash(getattr(base, name)) == table_hash(getattr(noisy, name)), name


def test_discount_lever_leaves_demand_untouched_and_moves_price():
    cfg = dataclasses.replace(SMALL, flywheel=False)
    low = simulate_company(dataclasses.replace(cfg, discount_pressure=0.02), rng=2)
    high = simulate_company(dataclasses.replace(cfg, discount_pressure=0.3), rng=2)
    pd.testing.assert_frame_equal(_inquiries(low), _inquiries(high))
    assert high.opportunities["discount"].mean() > low.opportunities["discount"].mean() + 0.1


def test_mql_threshold_moves_only_marketing_qualified_volume():
    cfg = dataclasses.replace(SMALL, flywheel=False)
    strict = simulate_company(dataclasses.replace(cfg, mql_threshold=0.75), rng=2)
    loose = simulate_company(dataclasses.replace(cfg, mql_threshold=0.45), rng=2)
    pd.testing.assert_frame_equal(_inquiries(strict), _inquiries(loose))
    assert loose.leads["aql_at"].notna().sum() > 1.3 * strict.leads["aql_at"].notna().sum()
    # Outbound and field-sales leads never see marketing's threshold.
    for stage in ("tgl_at", "sgl_at"):
        assert strict.leads[stage].notna().sum() == loose.leads[stage].notna().sum()


def test_handoff_sla_caps_the_delay_and_raises_acceptance():
    cfg = dataclasses.replace(SMALL, flywheel=False, org_model="siloed")
    none = simulate_company(cfg, rng=2)
    sla = simulate_company(dataclasses.replace(cfg, handoff_sla_days=1.0), rng=2)
    assert sla.leads["handoff_days"].max() <= 1.0
    assert sla.leads["sal_at"].notna().sum() > none.leads["sal_at"].notna().sum()


def test_conversion_multiplier_raises_the_step_it_names():
    cfg = dataclasses.replace(SMALL, flywheel=False)
    base = simulate_company(cfg, rng=2)
    lifted = simulate_company(
        dataclasses.replace(cfg, conversion_multipliers={"aql_to_tal": 1.1}), rng=2)
    assert lifted.leads["tal_at"].notna().sum() > base.leads["tal_at"].notna().sum()
    assert lifted.leads["aql_at"].notna().sum() == base.leads["aql_at"].notna().sum()


def test_flywheel_feeds_referrals_from_promoters():
    on = simulate_company(SMALL, rng=2)
    off = simulate_company(dataclasses.replace(SMALL, flywheel=False), rng=2)
    assert (on.leads["channel"] == "referral").sum() > (off.leads["channel"] == "referral").sum()


def test_plg_brings_product_signups_and_smaller_deals():
    slg = simulate_company(SMALL, rng=2)
    plg = simulate_company(dataclasses.replace(SMALL, gtm_motion="PLG"), rng=2)
    assert (slg.leads["channel"] == "product").sum() == 0
    assert (plg.leads["channel"] == "product").sum() > 0
    assert plg.opportunities["list_amount"].median() < slg.opportunities["list_amount"].median()


def test_segment_mix_moves_the_lead_mix():
    ent = simulate_company(
        dataclasses.replace(SMALL, segment_mix={"SMB": 0.2, "MM": 0.3, "ENT": 0.5}), rng=2)
    assert (ent.leads["segment"] == "ENT").mean() > 0.4


def test_aligned_beats_siloed_on_revenue_for_the_default_seed(default_company):
    siloed = simulate_company(company_profile("siloed"))
    assert default_company.mrr["mrr"].sum() > siloed.mrr["mrr"].sum()


@pytest.mark.parametrize("kwargs, message", [
    ({"org_model": "matrix"}, "org_model must be one of"),
    ({"gtm_motion": "ABM"}, "gtm_motion must be one of"),
    ({"months": 3}, "months must be an int from 6 to 120"),
    ({"data_noise": 1.5}, "data_noise must be from 0 to 1"),
    ({"conversion_multipliers": {"aql_to_mql": 1.1}}, "conversion_multipliers keys"),
    ({"segment_mix": {"SMB": 0.5, "MM": 0.2}}, "segment_mix must map"),
    ({"start": "2024-01-15"}, "start must be a date"),
])
def test_bad_config_names_the_argument_and_the_value(kwargs, message):
    with pytest.raises(ValueError, match=message):
        CompanyConfig(**kwargs)


def test_bad_config_lists_every_problem_at_once():
    with pytest.raises(ValueError) as err:
        CompanyConfig(org_model="x", gtm_motion="y", data_noise=-1)
    text = str(err.value)
    assert "org_model" in text and "gtm_motion" in text and "data_noise" in text


def test_an_empty_table_keeps_text_ids():
    tiny = simulate_company(CompanyConfig(start="2020-02-01", months=7, scale=0.05,
                                          founded_years_before_start=0), rng=11)
    assert len(tiny.nps_responses) == 0
    assert pd.api.types.is_string_dtype(tiny.nps_responses["response_id"])
    assert pd.api.types.is_string_dtype(tiny.subscriptions["subscription_id"])


def test_history_shares_the_past_and_a_smaller_fixed_team_starts_on_day_one():
    base = CompanyConfig(months=24, scale=0.5)
    smaller = dataclasses.replace(base, inside_sales_reps=2)
    control = simulate_company(base, rng=5)
    turned = simulate_company(smaller, rng=5, history=base)

    def opening(company):
        return company.mrr.loc[company.mrr["month"] == company.mrr["month"].min(), "mrr"].sum()

    # One past: the same installed base on the first day of the history.
    assert opening(turned) == opening(control)
    heads = headcount(turned)
    inside = heads[(heads["department"] == "inside_sales") & (heads["cost_type"] == "people")]
    assert (inside["headcount"] == 2).all(), inside["headcount"].tolist()
    control_heads = headcount(control)
    assert control_heads.loc[(control_heads["department"] == "inside_sales")
                             & (control_heads["cost_type"] == "people"), "headcount"].iloc[0] > 2
