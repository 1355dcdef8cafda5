"""Normalisers, matchers, the SSOT database and the chapter-3 experiments.

The F1 floor is tested on companies of ``CompanyConfig(scale=0.3)`` (about 5,700
account records) to keep the run short; the full-size default company scores
higher (see ``f1_by_noise`` in the module and the benchmark).
"""

from __future__ import annotations

import math

import duckdb
import numpy as np
import pandas as pd
import pytest

from revopslab import ssot
from revopslab.config import CompanyConfig
from revopslab.silos import ENTITY_TABLES, export_silos
from revopslab.simulate import simulate_company
from revopslab.ssot import (
    Matcher,
    RulesMatcher,
    SplinkMatcher,
    build_ssot,
    evaluate,
    normalise_company_name,
    normalise_domain,
    normalise_email,
    normalise_person_name,
    normalise_prefecture,
    parse_dates,
)

SEEDS = (1, 2, 3)
F1_FLOOR = 0.95


@pytest.fixture(scope="module")
def company():
    return simulate_company(CompanyConfig(scale=0.3), rng=2024)


@pytest.fixture(scope="module")
def silos(company):
    return export_silos(company)


@pytest.fixture(scope="module")
def splink_ssot(silos):
    db = build_ssot(silos)
    yield db
    db.close()


@pytest.fixture(scope="module")
def rules_ssot(silos):
    db = build_ssot(silos, matcher="rules")
    yield db
    db.close()


# ------------------------------------------------------------------ normalisers
@pytest.mark.parametrize("written", [
    "(株)ＡＢＣ商事", "ABC商事 株式会社", "㈱ABC商事", "ＡＢＣ商事（株）", "株式会社　ＡＢＣ商事",
    "abc商事", "ABC 商事 様", "ABC商事 御中", "ABC商事合同会社", "(同)ABC商事", "ABC商事 Co., Ltd.",
    "ABC商事 Inc.", "ABC商事 Corp.", "ABC商事 K.K.", "有限会社ABC商事",
])
def test_company_name_variants_normalise_equal(written):
    assert normalise_company_name(written) == "abc商事"


def test_company_name_width_dashes_and_missing():
    assert normalise_company_name("ｽﾏｰﾄ物産") == normalise_company_name("スマート物産")
    assert normalise_company_name("スマ-ト物産") == "スマート物産"  # a hyphen typed for ー
    assert normalise_company_name("Smart Bussan Co., Ltd.") == "smartbussan"
    for empty in (None, float("nan"), pd.NA, "", "株式会社", "  "):
        assert normalise_company_name(empty) is None
    # a typo is not a legal form: it survives normalisation
    assert normalise_company_name("スマート物参") != normalise_company_name("スマート物産")


def test_other_normalisers():
    assert normalise_domain("HTTPS://WWW.abc.co.jp/") == "abc.co.jp"
    assert normalise_domain("http://abc.co.jp") == "abc.co.jp"
    assert normalise_domain("Taro@ABC.co.jp") == "abc.co.jp"
    assert normalise_domain(None) is None
    assert normalise_email("TARO.Yamada@ABC.CO.JP") == "taro.yamada@abc.co.jp"
    assert normalise_email("not-an-email") is None
    assert normalise_person_name("山崎", "学") == normalise_person_name("山﨑 学") == "山崎学"
    assert normalise_person_name(None, None) is None
    assert [normalise_prefecture(p) for p in ("東京都", "東京", "Tokyo", "tokyo", "大阪")] == [
        "東京都", "東京都", "東京都", "東京都", "大阪府"]
    assert normalise_prefecture("Narnia") is None


def test_parse_dates_reads_every_systems_format():
    values = pd.Series(["2025-03-01 14:22", "2025/03/01 14:22", "03/01/2025 14:22",
                        "2025-03-01", "2025/3/1", "03/01/2025", None, "yesterday"],
                       index=list("abcdefgh"))
    parsed = parse_dates(values)
    assert list(parsed.index) == list("abcdefgh")
    assert (parsed.iloc[:3] == pd.Timestamp("2025-03-01 14:22")).all()
    assert (parsed.iloc[3:6] == pd.Timestamp("2025-03-01")).all()
    assert parsed.iloc[6:].isna().all()


# ------------------------------------------------------------------- evaluation
def _truth(record_ids, accounts):
    return pd.DataFrame({"system": "sfa", "table": "accounts", "record_id": record_ids,
                         "account_id": accounts, "lead_id": None})


def test_evaluate_by_hand():
    # X = {1, 2, 3}, Y = {4, 5}; predicted {1, 2}, {3, 4, 5}.
    truth = _truth(["1", "2", "3", "4", "5"], ["X", "X", "X", "Y", "Y"])
    links = pd.DataFrame({"system": "sfa", "table": "accounts",
                          "record_id": ["1", "2", "3", "4", "5"],
                          "entity_key": ["a", "a", "b", "b", "b"]})
    scores = evaluate(links, truth)
    # true pairs 12 13 23 45 = 4; predicted 12 34 35 45 = 4; correct 12 45 = 2
    assert scores["true_pairs"] == 4 and scores["predicted_pairs"] == 4
    assert scores["correct_pairs"] == 2
    assert scores["precision"] == pytest.approx(0.5)
    assert scores["recall"] == pytest.approx(0.5)
    assert scores["f1"] == pytest.approx(0.5)


def test_evaluate_counts_unresolved_records_as_singletons():
    truth = _truth(["1", "2", "3"], ["X", "X", "X"])
    links = pd.DataFrame({"system": "sfa", "table": "accounts", "record_id": ["1", "2"],
                          "entity_key": ["a", "a"]})
    scores = evaluate(links, truth)
    assert scores["precision"] == 1.0
    assert scores["recall"] == pytest.approx(1 / 3)
    assert scores["unresolved"] == 1
    nothing = evaluate(links.iloc[:0], truth)
    assert math.isnan(nothing["precision"]) and nothing["recall"] == 0


def test_evaluate_checks_its_inputs():
    with pytest.raises(ValueError, match="links must have the columns"):
        evaluate(pd.DataFrame({"record_id": []}), _truth([], []))
    with pytest.raises(ValueError, match="entity must be one of"):
        evaluate(pd.DataFrame(), _truth([], []), entity="company")


# --------------------------------------------------------------------- matchers
def test_both_matchers_satisfy_the_protocol():
    assert isinstance(SplinkMatcher(), Matcher)
    assert isinstance(RulesMatcher(), Matcher)
    with pytest.raises(ValueError, match="0 < review <= threshold < 1"):
        SplinkMatcher(threshold=0.5, review=0.8)


def test_rules_matcher_links_chains_and_leaves_keyless_records_unresolved():
    records = pd.DataFrame({
        "unique_id": ["a", "b", "c", "d", "e"],
        "name_norm": ["abc商事", "abc商事", None, "xyz", None],
        "domain": [None, "abc.co.jp", "abc.co.jp", None, None],
        "prefecture": None, "industry": None, "system": "sfa", "table": "accounts",
        "record_id": list("abcde"), "name": None})
    out = RulesMatcher().resolve(records, entity="account")
    assert out["cluster_id"].tolist() == ["a", "a", "a", "d", "e"]
    assert out["resolved"].tolist() == [True, True, True, True, False]
    assert "nothing to match on" in out["reason"].iloc[4]


@pytest.mark.parametrize("seed", SEEDS)
def test_splink_f1_at_default_noise(seed):
    company = simulate_company(CompanyConfig(scale=0.3), rng=seed)
    silos = export_silos(company)
    resolved = ssot._resolve(silos, SplinkMatcher(), people=False)
    links, _ = ssot._links_and_unresolved(resolved.accounts, "account")
    scores = evaluate(links, silos.truth)
    assert scores["f1"] >= F1_FLOOR, scores.to_dict()
    assert scores["precision"] >= 0.99, scores.to_dict()


def test_splink_is_deterministic_and_silent(capfd):
    silos = export_silos(simulate_company(CompanyConfig(months=24, scale=0.15), rng=4))
    records = ssot.account_records(silos)
    first = SplinkMatcher().resolve(records, entity="account")
    second = SplinkMatcher().resolve(records, entity="account")
    pd.testing.assert_frame_equal(first, second)
    out, err = capfd.readouterr()
    assert out == "" and err == ""


def test_a_custom_matcher_plugs_in_and_bad_ones_are_refused(silos):
    class EveryRecordAlone:
        name = "alone"

        def resolve(self, records, *, entity):
            return pd.DataFrame({"unique_id": records["unique_id"],
                                 "cluster_id": records["unique_id"], "resolved": True,
                                 "reason": None, "match_probability": np.nan,
                                 "best_match": None})

    with build_ssot(silos, matcher=EveryRecordAlone(), people=False) as db:
        assert db.matcher == "alone"
        assert evaluate(db.links, silos.truth)["recall"] == 0

    class Forgetful(EveryRecordAlone):
        def resolve(self, records, *, entity):
            return super().resolve(records.iloc[1:], entity=entity)

    with pytest.raises(ValueError, match="exactly one row per input record"):
        build_ssot(silos, matcher=Forgetful(), people=False)
    with pytest.raises(TypeError, match="matcher must be 'splink', 'rules'"):
        build_ssot(silos, matcher=42)
    with pytest.raises(TypeError, match="silos must be a revopslab Silos"):
        build_ssot(silos.truth)


# ------------------------------------------------------------------------ SSOT
@pytest.mark.parametrize("which", ["splink_ssot", "rules_ssot"])
def test_nothing_is_lost(which, request, silos):
    db = request.getfixturevalue(which)
    placed = pd.concat([db.links[["system", "table", "record_id", "entity"]],
                        db.unresolved[["system", "table", "record_id", "entity"]]])
    assert not placed.duplicated().any()
    for entity, tables in ENTITY_TABLES.items():
        for system, table in tables:
            expected = sorted(silos.truth.loc[(silos.truth["system"] == system)
                                              & (silos.truth["table"] == table), "record_id"])
            got = placed[(placed["entity"] == entity) & (placed["system"] == system)
                         & (placed["table"] == table)]
            assert sorted(got["record_id"]) == expected, (entity, system, table)
    summary = db.summary()
    assert summary["resolved"].sum() + summary["unresolved"].sum() == len(placed)


def test_ssot_tables_and_customer_360(splink_ssot, silos):
    db = splink_ssot
    accounts, c360 = db.accounts, db.customer_360
    assert accounts["account_key"].is_unique
    assert c360["account_key"].tolist() == sorted(accounts["account_key"])
    assert set(c360["status"]) <= {"customer", "former customer", "in pipeline", "prospect"}
    # every active subscription of a resolved CS customer is in the view, once
    cs_links = db.sql("SELECT record_id FROM links WHERE entity = 'account' AND system = 'cs'")
    subs = silos.cs["subscriptions"]
    live = subs[(subs["status"] == "active") & subs["customer_id"].isin(cs_links["record_id"])]
    assert c360["mrr_jpy"].sum() == pytest.approx(live["mrr_jpy"].sum())
    assert c360["leads"].sum() == db.people["account_key"].notna().sum()
    assert "CREATE OR REPLACE VIEW customer_360" in ssot.CUSTOMER_360_SQL
    assert set(ssot.SSOT_TABLES) <= set(db.sql("SHOW TABLES")["name"])
    assert "SSOT(path=':memory:', matcher='splink'" in repr(db)
    with pytest.raises(KeyError, match="name must be one of"):
        db.table("secrets")


def test_splink_beats_or_equals_rules_at_default_noise(splink_ssot, rules_ssot, silos):
    splink = evaluate(splink_ssot.links, silos.truth)
    rules = evaluate(rules_ssot.links, silos.truth)
    assert splink["f1"] >= rules["f1"] - 0.005
    assert splink["f1"] >= F1_FLOOR


def test_file_and_memory_give_the_same_database(tmp_path, silos, rules_ssot):
    path = tmp_path / "ssot.duckdb"
    with build_ssot(silos, matcher="rules", path=path) as on_disk:
        assert on_disk.path == str(path)
    with duckdb.connect(str(path), read_only=True) as con:
        links = con.execute("SELECT * FROM links").df()
        c360 = con.execute("SELECT * FROM customer_360").df()
    pd.testing.assert_frame_equal(links, rules_ssot.links)
    pd.testing.assert_frame_equal(c360, rules_ssot.customer_360)
    with build_ssot(silos, matcher="rules", path=path, people=False) as again:  # rewritable
        assert len(again.people) == 0


def test_f1_by_noise_falls_with_noise():
    company = simulate_company(CompanyConfig(months=24, scale=0.15), rng=8)
    curve = ssot.f1_by_noise(company, noises=(0.0, 0.2, 0.5), matcher="rules", progress=False)
    assert list(curve.columns) == ["noise", "entity", "matcher", "precision", "recall", "f1",
                                   "records", "unresolved"]
    for entity in ("account", "person"):
        f1 = curve.loc[curve["entity"] == entity, "f1"].tolist()
        assert f1[0] > f1[1] > f1[2], (entity, f1)
        assert f1[0] >= 0.99


# ----------------------------------------------------------------- experiments
def test_same_question_each_silo(silos, splink_ssot, company):
    table = ssot.same_question_each_silo(silos, splink_ssot, company=company)
    assert list(table.columns) == ["question", "source", "answer", "unit", "reason"]
    assert table.groupby("question").size().eq(5).all()
    answers = table.set_index(["question", "source"])["answer"]
    customers = answers["paying customers"]
    # duplicates inflate the CS count; the SSOT counts each company once
    assert customers["CS"] >= customers["SSOT"]
    assert abs(customers["SSOT"] - customers["truth"]) <= abs(customers["SFA"] - customers["truth"])
    assert math.isnan(answers["annual revenue per customer", "MA"])
    assert table["reason"].str.len().gt(10).all()


def test_same_question_at_noise_zero_matches_the_truth(company):
    clean = export_silos(company, noise=0.0)
    with build_ssot(clean, matcher="rules", people=True) as db:
        table = ssot.same_question_each_silo(clean, db, company=company)
    answers = table.set_index(["question", "source"])["answer"]
    for question in ("paying customers", "annual revenue per customer",
                     "logo churn, last 12 months"):
        assert answers[question, "SSOT"] == pytest.approx(answers[question, "truth"]), question
    assert answers["marketing-sourced opportunities, last 12 months", "SSOT"] == answers[
        "marketing-sourced opportunities, last 12 months", "truth"]


def test_prioritise_leads_joined_beats_first_come(silos, splink_ssot):
    table = ssot.prioritise_leads(silos, splink_ssot, capacities=(0.1, 0.3))
    assert table.groupby("capacity").size().eq(3).all()
    rate = table.set_index(["capacity", "strategy"])["opportunities_per_rep_hour"]
    for capacity in (0.1, 0.3):
        assert rate[capacity, "joined"] > rate[capacity, "sfa_only"] > rate[capacity,
                                                                            "first_come"]
    joined = table[table["strategy"] == "joined"]
    assert (joined["first_come_hours_to_match"] > joined["rep_hours"]).all()
    with pytest.raises(ValueError, match="capacities must be shares"):
        ssot.prioritise_leads(silos, splink_ssot, capacities=(0.0,))
    with pytest.raises(ValueError, match="hours_per_lead must be > 0"):
        ssot.prioritise_leads(silos, splink_ssot, hours_per_lead=0)


# ----------------------------------------------------------------------- engines
def test_engine_is_checked_before_any_work(silos):
    with pytest.raises(ValueError, match=r"engine must be one of \('duckdb', 'spark'\)"):
        SplinkMatcher(engine="bigquery")
    with pytest.raises(ValueError, match="engine must be one of"):
        build_ssot(silos, engine="postgres")
    with pytest.raises(ValueError, match="spark .* only with engine='spark'"):
        SplinkMatcher(spark=object())
    with pytest.raises(ValueError, match="use them with matcher='splink'"):
        build_ssot(silos, matcher="rules", engine="spark")
    assert SplinkMatcher(engine="spark") != SplinkMatcher()
    assert SplinkMatcher(engine="duckdb") == SplinkMatcher()


def test_the_default_engine_is_duckdb(splink_ssot):
    assert splink_ssot.engine == "duckdb" and SplinkMatcher().engine == "duckdb"
    assert "engine" not in repr(splink_ssot)
