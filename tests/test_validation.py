"""Data contracts: simulated companies validate clean, and every kind of broken table is named."""

from __future__ import annotations

import pickle
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from revopslab.config import CompanyConfig, company_profile
from revopslab.simulate import TABLES, simulate_company
from revopslab.validation import (
    PROBLEM_COLUMNS,
    SCHEMAS,
    CompanyValidationError,
    find_problems,
    validate,
    validate_table,
)

SMALL = CompanyConfig(months=6, scale=0.1)
CLEAN_CASES = {
    "default": (None, None),
    "siloed": (company_profile("siloed", months=24, scale=0.3), 1),
    "plg": (company_profile("plg", months=24, scale=0.3), 2),
    "scale_0.3": (CompanyConfig(scale=0.3), 3),
}


@pytest.fixture(scope="module")
def base():
    """A tiny valid company: the start of each break."""
    company = simulate_company(SMALL, rng=3)
    assert find_problems(company).empty
    return company


def problems_of(company_or_tables) -> tuple[pd.DataFrame, str]:
    with pytest.raises(CompanyValidationError) as info:
        validate(company_or_tables)
    return info.value.problems, str(info.value)


def only(problems: pd.DataFrame, table: str, check: str) -> pd.Series:
    found = problems[(problems["table"] == table) & (problems["check"] == check)]
    assert len(found) == 1, problems[["table", "column", "check"]].to_string()
    return found.iloc[0]


# ----------------------------------------------------------------------------- clean companies
@pytest.mark.parametrize("case", list(CLEAN_CASES))
def test_simulated_companies_validate_clean(case):
    config, seed = CLEAN_CASES[case]
    company = simulate_company(config, rng=seed)
    # one pass of the checks (validate runs find_problems); its error lists every problem
    try:
        checked = validate(company)
    except CompanyValidationError as error:
        pytest.fail(str(error))
    assert checked is company


def test_valid_company_is_returned_unchanged(base):
    before = {name: df.copy() for name, df in base}
    assert validate(base) is base
    for name, df in base:
        pd.testing.assert_frame_equal(df, before[name])


def test_every_table_has_a_strict_schema_matching_the_simulator(base):
    assert set(SCHEMAS) == set(TABLES)
    for name, df in base:
        schema = SCHEMAS[name]
        assert schema.strict is True, name
        assert list(schema.columns) == list(df.columns), name
        assert validate_table(name, df) is df


def test_schemas_agree_with_the_data_dictionary():
    path = Path(__file__).resolve().parents[1] / "data" / "dictionary.csv"
    if not path.is_file():
        pytest.skip("data/dictionary.csv is not in this checkout")
    dictionary = pd.read_csv(path)
    documented = set(zip(dictionary["table"], dictionary["column"], strict=True))
    in_schemas = {(t, c) for t, schema in SCHEMAS.items() for c in schema.columns}
    assert documented == in_schemas
    for row in dictionary.itertuples():
        dtype = str(SCHEMAS[row.table].columns[row.column].dtype)
        expected = {"str": "str"}.get(row.dtype, row.dtype)
        assert dtype == expected or (row.dtype == "str" and "str" in dtype.lower()), (
            row.table, row.column, dtype, row.dtype)


# ----------------------------------------------------------------------------- broken tables
def test_a_discount_out_of_range_is_listed_with_rows_ids_and_values(base):
    opps = base.opportunities.copy()
    opps.loc[3, "discount"] = 1.4
    opps.loc[17, "discount"] = -0.2
    problems, message = problems_of(base.replace(opportunities=opps))
    row = only(problems, "opportunities", "in_range")
    assert row["column"] == "discount"
    assert row["rows"] == [3, 17]
    assert row["ids"] == list(opps.loc[[3, 17], "opportunity_id"])
    assert row["expected"] == "values in [0, 1]"
    assert row["found"] == "1.4, -0.2"
    ids = ", ".join(row["ids"])
    assert (f"opportunities.discount [in_range]: rows [3, 17] (opportunity_id {ids}): "
            "expected values in [0, 1], found 1.4, -0.2") in message
    assert isinstance(CompanyValidationError(problems), ValueError)


def test_a_negative_amount(base):
    mrr = base.mrr.copy()
    mrr.loc[1, "mrr"] = -5000.0
    problems, message = problems_of(base.replace(mrr=mrr))
    row = only(problems, "mrr", "greater_than_or_equal_to")
    assert (row["column"], row["rows"], row["found"]) == ("mrr", [1], "-5000")
    assert "mrr.mrr [greater_than_or_equal_to]: rows [1]" in message
    assert "expected values >= 0, found -5000" in message
    assert len(problems) == 1


def test_a_duplicated_opportunity_id(base):
    opps = base.opportunities.copy()
    opps.loc[5, "opportunity_id"] = opps.loc[4, "opportunity_id"]
    problems, message = problems_of(base.replace(opportunities=opps))
    row = only(problems, "opportunities", "unique")
    assert row["column"] == "opportunity_id"
    assert row["rows"] == [4, 5]
    assert row["found"] == f"duplicates {opps.loc[4, 'opportunity_id']!r}"
    assert "opportunities.opportunity_id [unique]: rows [4, 5]" in message
    assert "expected unique values" in message


def test_an_unknown_segment(base):
    accounts = base.accounts.copy()
    accounts.loc[[0, 7], "segment"] = ["XL", "Enterprise"]
    problems, message = problems_of(base.replace(accounts=accounts))
    row = only(problems, "accounts", "isin")
    assert (row["column"], row["rows"], row["found"]) == ("segment", [0, 7], "'XL', 'Enterprise'")
    assert row["expected"] == "one of 'SMB', 'MM', 'ENT'"
    assert "accounts.segment [isin]: rows [0, 7]" in message
    assert "found 'XL', 'Enterprise'" in message


def test_a_missing_column_is_named_and_rules_reading_it_stay_quiet(base):
    opps = base.opportunities.drop(columns="discount")
    problems, message = problems_of(base.replace(opportunities=opps))
    assert problems[["table", "column", "check"]].values.tolist() == [
        ["opportunities", "discount", "missing_column"]]
    assert problems.iloc[0]["rows"] == []
    assert ("opportunities.discount [missing_column]: expected a column 'discount', "
            "found no such column") in message


def test_an_extra_column_is_reported_by_the_strict_schema(base):
    leads = base.leads.assign(notes="call back")
    problems, message = problems_of(base.replace(leads=leads))
    row = only(problems, "leads", "unexpected_column")
    assert row["column"] == "notes"
    assert "leads.notes [unexpected_column]" in message
    assert "found unexpected column 'notes'" in message
    assert len(problems) == 1


def test_a_lead_whose_aql_precedes_its_inquiry(base):
    leads = base.leads.copy()
    i = int(np.flatnonzero(leads["aql_at"].notna())[0])
    leads.loc[i, "aql_at"] = leads.loc[i, "inquiry_at"] - pd.Timedelta(days=2)
    problems, message = problems_of(base.replace(leads=leads))
    row = only(problems, "leads", "aql_at >= inquiry_at")
    assert row["rows"] == [i]
    assert row["ids"] == [leads.loc[i, "lead_id"]]
    assert pd.isna(row["column"])
    assert f"leads [aql_at >= inquiry_at]: rows [{i}] (lead_id {leads.loc[i, 'lead_id']})" \
        in message
    assert "expected aql_at >= inquiry_at when both are set" in message
    assert f"row {i}: aql_at=" in row["found"] and "inquiry_at=" in row["found"]
    assert len(problems) == 1


def test_a_lead_with_sql_but_neither_sal_nor_sgl(base):
    leads = base.leads.copy()
    i = int(np.flatnonzero(leads["sql_at"].notna())[0])
    leads.loc[i, ["sal_at", "sgl_at"]] = pd.NaT
    leads.loc[i, "handoff_days"] = np.nan
    problems, message = problems_of(base.replace(leads=leads))
    row = only(problems, "leads", "sql_at needs sal_at or sgl_at")
    assert row["rows"] == [i]
    assert "expected sql_at set only when sal_at or sgl_at is set" in message
    assert "sql_at=" in row["found"] and "sal_at=missing, sgl_at=missing" in row["found"]
    assert set(problems["table"]) == {"leads"}


def test_an_opportunity_whose_account_does_not_exist(base):
    opps = base.opportunities.copy()
    opps.loc[2, "account_id"] = "A999999"
    problems, message = problems_of(base.replace(opportunities=opps))
    row = only(problems, "opportunities", "foreign_key")
    assert (row["column"], row["rows"], row["found"]) == ("account_id", [2], "'A999999'")
    assert row["expected"] == "values present in accounts.account_id"
    assert "opportunities.account_id [foreign_key]: rows [2]" in message
    assert "expected values present in accounts.account_id, found 'A999999'" in message


def test_a_won_opportunity_without_subscription(base):
    won = base.opportunities.loc[base.opportunities["is_won"], "opportunity_id"].iloc[0]
    subs = base.subscriptions.copy()
    subs.loc[subs["opportunity_id"] == won, "opportunity_id"] = None
    problems, message = problems_of(base.replace(subscriptions=subs))
    row = only(problems, "opportunities", "won opportunity has a subscription")
    position = int(np.flatnonzero(base.opportunities["opportunity_id"] == won)[0])
    assert row["rows"] == [position] and row["ids"] == [won]
    assert f"no subscription for {won!r}" in message
    assert len(problems) == 1


@pytest.mark.parametrize(("table", "column", "value"), [
    ("accounts", "domain", None),
    ("mrr", "mrr", np.nan),
    ("opportunities", "created_at", pd.NaT),
])
def test_a_missing_value_where_none_is_allowed(base, table, column, value):
    df = getattr(base, table).copy()
    df.loc[1, column] = value
    problems, message = problems_of(base.replace(**{table: df}))
    row = only(problems, table, "not_nullable")
    assert (row["column"], row["rows"]) == (column, [1])
    assert f"{table}.{column} [not_nullable]: rows [1]" in message
    assert "expected no missing values, found missing values" in message
    assert set(problems["check"]) == {"not_nullable"}


def test_three_broken_tables_are_listed_in_one_error(base):
    accounts = base.accounts.assign(segment=base.accounts["segment"].replace("SMB", "small"))
    invoices = base.invoices.copy()
    invoices.loc[0, "total"] += 1
    tickets = base.tickets.copy()
    tickets.loc[0, "csat"] = 7
    with pytest.raises(CompanyValidationError) as info:
        validate(base.replace(accounts=accounts, invoices=invoices, tickets=tickets))
    message, problems = str(info.value), info.value.problems
    assert message.startswith("3 problems in 3 tables (accounts, invoices, tickets):")
    assert len(message.splitlines()) == 4
    assert list(problems["table"]) == ["accounts", "invoices", "tickets"]
    assert list(problems["check"]) == ["isin", "total = amount_excl_tax + tax", "in_range"]
    assert "accounts.segment [isin]" in message
    assert "invoices [total = amount_excl_tax + tax]: rows [0]" in message
    assert "tickets.csat [in_range]: rows [0]" in message and "expected values in [1, 5]" in message


# ----------------------------------------------------------------------------- more contracts
def test_wrong_dtypes_are_reported_once_without_noise_from_checks(base):
    opps = base.opportunities.assign(created_at=base.opportunities["created_at"].astype(str),
                                     activities=base.opportunities["activities"].astype(float))
    problems, message = problems_of({"opportunities": opps})
    assert problems[["column", "check"]].values.tolist() == [
        ["created_at", "dtype"], ["activities", "dtype"]]
    assert "expected dtype datetime64 (timezone-naive timestamps), found dtype str" in message
    assert "expected dtype int64, found dtype float64" in message


def test_rows_are_positions_whatever_the_index(base):
    opps = base.opportunities.copy()
    opps.index = opps.index[::-1] + 1000
    opps.iloc[3, opps.columns.get_loc("discount")] = 1.4
    problems, _ = problems_of({"opportunities": opps})
    assert only(problems, "opportunities", "in_range")["rows"] == [3]


def test_many_offending_rows_are_counted_and_five_are_shown(base):
    leads = base.leads.assign(lead_score=200)
    problems, message = problems_of({"leads": leads})
    row = only(problems, "leads", "in_range")
    assert row["rows"] == list(range(len(leads)))
    assert f"rows [0, 1, 2, 3, 4, ... ({len(leads):,} rows)]" in message
    assert "found 200" in message


def test_a_plain_dict_checks_only_the_tables_it_holds(base):
    opps = base.opportunities.copy()
    opps.loc[2, "account_id"] = "A999999"
    tables = {"opportunities": opps, "reps": base.reps}
    assert validate(tables) is tables  # no accounts given: the account key is not checked
    problems, _ = problems_of({**tables, "accounts": base.accounts})
    assert list(problems["check"]) == ["foreign_key"]


def test_a_subscription_overlapping_the_next_one_is_reported(base):
    subs = base.subscriptions.copy()
    second = subs.iloc[0].copy()
    second["subscription_id"] = "S999999"
    second["opportunity_id"] = None
    second["start_month"] = subs.iloc[0]["start_month"] + pd.offsets.MonthBegin(1)
    subs.loc[0, "end_month"] = pd.NaT
    subs = pd.concat([subs, second.to_frame().T], ignore_index=True).astype(subs.dtypes)
    problems, _ = problems_of({"subscriptions": subs})
    row = only(problems, "subscriptions", "one active subscription per account and product")
    assert row["rows"] == [0]


def test_events_after_as_of_are_reported_for_a_company_only(base):
    leads = base.leads.copy()
    # A lead that went no further than its inquiry, so only the inquiry is late.
    row = int(leads.index[leads["furthest_stage"].eq("inquiry")][0])
    leads.loc[row, "inquiry_at"] = base.as_of + pd.Timedelta(days=3)
    problems, _ = problems_of(base.replace(leads=leads))
    assert only(problems, "leads", "recorded by as_of")["rows"] == [row]
    assert find_problems({"leads": leads, "accounts": base.accounts}).empty


def test_bad_arguments_are_refused(base):
    with pytest.raises(ValueError, match="tables must be among"):
        validate({"deals": base.opportunities})
    with pytest.raises(TypeError, match="must be a pandas DataFrame"):
        validate({"opportunities": base.opportunities.to_dict()})
    with pytest.raises(TypeError, match="Company or a mapping"):
        validate([base.opportunities])
    with pytest.raises(ValueError, match="name must be one of"):
        validate_table("deals", base.opportunities)


def test_the_error_carries_a_tidy_problems_frame_and_pickles(base):
    accounts = base.accounts.assign(employees=0)
    with pytest.raises(CompanyValidationError) as info:
        validate_table("accounts", accounts)
    problems = info.value.problems
    assert list(problems.columns) == list(PROBLEM_COLUMNS)
    assert problems.iloc[0]["expected"] == "values >= 1"
    again = pickle.loads(pickle.dumps(info.value))
    assert str(again) == str(info.value)


def test_an_open_ticket_has_neither_resolution_nor_csat(base):
    tickets = base.tickets.copy()
    tickets.loc[0, "resolved_at"] = pd.NaT
    problems, _ = problems_of({"tickets": tickets})
    assert list(problems["check"]) == ["resolution_hours set iff resolved_at set",
                                       "csat only once resolved"]
    tickets.loc[0, ["resolution_hours", "csat"]] = [np.nan, pd.NA]
    assert validate_table("tickets", tickets) is tickets


def test_the_handoff_delay_is_known_only_once_sales_accepted(base):
    leads = base.leads.copy()
    i = int(np.flatnonzero(leads["sal_at"].notna())[0])
    leads.loc[i, ["sal_at", "sql_at", "opportunity_at"]] = pd.NaT
    leads.loc[i, "furthest_stage"] = "tql" if pd.notna(leads.loc[i, "tql_at"]) else "tgl"
    leads.loc[i, "routed_to_account"] = False
    problems, _ = problems_of({"leads": leads})
    assert only(problems, "leads", "handoff_days only once accepted")["rows"] == [i]
