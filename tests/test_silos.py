"""Departmental exports: deterministic, noisier with ``noise``, truth apart, company untouched."""

from __future__ import annotations

import copy
import re

import numpy as np
import pandas as pd
import pytest

from revopslab.config import CompanyConfig
from revopslab.silos import (
    ENTITY_TABLES,
    ID_COLUMNS,
    SILO_TABLES,
    TRUTH_COLUMNS,
    Silos,
    export_silos,
    noise_rates,
    salesforce_id,
)
from revopslab.simulate import simulate_company
from revopslab.ssot import normalise_company_name, parse_dates


@pytest.fixture(scope="module")
def company():
    return simulate_company(CompanyConfig(months=24, scale=0.2), rng=11)


@pytest.fixture(scope="module")
def silos(company):
    return export_silos(company, rng=5)


def _frames_equal(a: Silos, b: Silos) -> bool:
    for (_, _, x), (_, _, y) in zip(a.tables(), b.tables(), strict=True):
        if not x.equals(y):
            return False
    return a.truth.equals(b.truth)


def test_every_system_exports_its_tables(silos):
    assert list(silos.ma) == list(SILO_TABLES["ma"])
    assert list(silos.sfa) == list(SILO_TABLES["sfa"])
    assert list(silos.cs) == list(SILO_TABLES["cs"])
    for system, table, frame in silos.tables():
        assert len(frame) > 0, (system, table)
        id_column = ID_COLUMNS[(system, table)]
        assert frame[id_column].is_unique, (system, table)
        assert frame[id_column].notna().all(), (system, table)
    sizes = silos.sizes()
    assert sizes["rows"].sum() == len(silos.truth)
    assert "Silos(noise=" in repr(silos)


def test_same_seed_same_exports_other_seed_other_noise(company, silos):
    assert _frames_equal(silos, export_silos(company, rng=5))
    other = export_silos(company, rng=6)
    assert not other.ma["companies"]["Company name"].equals(silos.ma["companies"]["Company name"])


def test_default_noise_and_seed_come_from_the_company(company):
    silos = export_silos(company)
    assert silos.noise == company.config.data_noise
    assert silos.seed == company.seed
    assert _frames_equal(silos, export_silos(company, rng=company.seed))


def test_the_company_is_untouched(company):
    before = copy.deepcopy(company.tables())
    export_silos(company, rng=1, noise=0.5)
    for name, frame in company.tables().items():
        pd.testing.assert_frame_equal(frame, before[name], obj=name)


def test_truth_covers_every_record_and_nothing_else(silos, company):
    assert tuple(silos.truth.columns) == TRUTH_COLUMNS
    for system, table, frame in silos.tables():
        truth = silos.truth[(silos.truth["system"] == system) & (silos.truth["table"] == table)]
        ids = frame[ID_COLUMNS[(system, table)]].astype("str")
        assert sorted(truth["record_id"]) == sorted(ids), (system, table)
    assert silos.truth["account_id"].notna().all()
    assert set(silos.truth["account_id"]) <= set(company.accounts["account_id"])
    for system, table in ENTITY_TABLES["person"]:
        rows = silos.truth[(silos.truth["system"] == system) & (silos.truth["table"] == table)]
        assert rows["lead_id"].notna().all(), (system, table)
        assert set(rows["lead_id"]) <= set(company.leads["lead_id"])


def test_the_simulator_keys_never_leak_into_an_export(silos):
    pattern = re.compile(r"^(A\d{6}|L\d{7}|O\d{6}|S\d{6}|T\d{7}|N\d{6})$")
    for system, table, frame in silos.tables():
        assert not {"account_id", "lead_id"} & set(frame.columns), (system, table)
        for column in frame.columns:
            values = frame[column].dropna().astype("str")
            assert not values.str.match(pattern).any(), (system, table, column)


def test_each_system_has_its_own_ids(silos):
    for table in SILO_TABLES["sfa"]:
        ids = silos.sfa[table]["Id"]
        assert ids.str.len().eq(18).all()
        assert all(salesforce_id(i[:15]) == i for i in ids)
    assert silos.sfa["accounts"]["Id"].str.startswith("001").all()
    assert silos.sfa["leads"]["Id"].str.startswith("00Q").all()
    assert silos.ma["contacts"]["Record ID"].dtype == np.int64
    assert silos.cs["customers"]["customer_id"].str.match(r"^CUS-\d{5}$").all()
    with pytest.raises(ValueError, match="15-character"):
        salesforce_id("001")


def test_noise_zero_is_clean_apart_from_each_systems_habits(company):
    clean = export_silos(company, rng=3, noise=0.0)
    truth = clean.truth.set_index(["system", "table", "record_id"])["account_id"]
    names = dict(zip(company.accounts["account_id"], company.accounts["account_name"],
                     strict=True))
    sfa = clean.sfa["accounts"]
    owners = truth.loc[[("sfa", "accounts", i) for i in sfa["Id"]]].tolist()
    assert sfa["Name"].tolist() == [names[a] for a in owners]
    assert len(set(owners)) == len(owners)  # no duplicate accounts
    assert sfa["Website"].notna().all()
    # dates in each system's own format only
    assert clean.sfa["accounts"]["CreatedDate"].str.match(r"^\d{4}/\d{2}/\d{2} ").all()
    assert clean.ma["contacts"]["Create Date"].str.match(r"^\d{4}-\d{2}-\d{2} ").all()
    assert clean.cs["customers"]["onboarded_on"].str.match(r"^\d{2}/\d{2}/\d{4}$").all()


def _problems(silos: Silos) -> dict[str, float]:
    """Share of records showing each kind of problem, measured against the truth."""
    truth = silos.truth
    acc = truth[truth["table"].isin(["companies", "accounts", "customers"])]
    per_system = acc.groupby("system")["account_id"].agg(lambda s: 1 - s.nunique() / len(s))
    sfa = silos.sfa["accounts"]
    cs = silos.cs["customers"]
    return {
        "duplicates": float(per_system.mean()),
        "missing_website": float(sfa["Website"].isna().mean()),
        "odd_dates": float(1 - sfa["CreatedDate"].str.match(r"^\d{4}/\d{2}/\d{2} ").mean()),
        "name_variants": float(1 - cs["company"].map(normalise_company_name)
                               .eq(cs["company"].str.replace(r"(株式会社|合同会社)", "",
                                                             regex=True)).mean()),
    }


def test_problems_grow_with_noise(company):
    levels = [_problems(export_silos(company, rng=9, noise=n)) for n in (0.0, 0.1, 0.3)]
    for kind in levels[0]:
        shares = [level[kind] for level in levels]
        assert shares[0] == 0.0, kind
        assert shares[0] < shares[1] < shares[2], (kind, shares)


def test_dates_parse_back_to_the_truth(company, silos):
    opps = silos.sfa["opportunities"]
    truth = silos.truth[silos.truth["table"] == "opportunities"]
    created = parse_dates(opps["CreatedDate"])
    assert created.notna().all()
    by_id = dict(zip(company.opportunities["opportunity_id"], company.opportunities["created_at"],
                     strict=True))
    lead_to_opp = dict(zip(company.opportunities["lead_id"],
                           company.opportunities["opportunity_id"], strict=True))
    expected = truth["lead_id"].map(lead_to_opp).map(by_id).to_numpy()
    assert (created.to_numpy() == expected).all()


def test_noise_rates():
    assert noise_rates(0.0) == dict.fromkeys(noise_rates(0.0), 0.0)
    low, high = noise_rates(0.1), noise_rates(0.9)
    assert all(high[k] >= low[k] for k in low)
    assert max(noise_rates(1.0).values()) < 1


@pytest.mark.parametrize("noise", [-0.1, 1.5, "high", True])
def test_bad_noise_is_refused(company, noise):
    with pytest.raises(ValueError, match="noise must be a number from 0 to 1"):
        export_silos(company, noise=noise)


def test_a_company_is_required():
    with pytest.raises(TypeError, match="company must be a revopslab Company, got DataFrame"):
        export_silos(pd.DataFrame())


def test_table_lookup(silos):
    assert silos.table("cs", "nps") is silos.cs["nps"]
    with pytest.raises(KeyError, match="must be one of"):
        silos.table("crm", "accounts")
