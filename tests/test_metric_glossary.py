"""The glossary (data/glossary.csv) and the KPI code say the same thing for each metric term."""

from __future__ import annotations

import inspect

import pytest

from revopslab import metrics
from revopslab.glossary import glossary
from revopslab.process import PATHS

#: KPI of the catalogue -> its glossary term.
KPI_TERMS = {
    "ltv": "LTV",
    "revenue_churn_rate": "churn rate",
    "expansion_rate": "expansion rate",
    "sales_velocity": "sales velocity",
    "quota_attainment": "quota attainment",
    "quick_ratio": "SaaS quick ratio",
    "burn_multiple": "burn multiple",
    "rule_of_40": "Rule of 40",
    "cac_ratio": "CAC ratio",
    "sales_and_marketing_share_of_revenue": "S&M share of revenue",
    "csat": "CSAT",
    "mql_rate": "MQL",
}
REGISTRY = {k.name: k for k in metrics.REGISTRY}


@pytest.mark.parametrize(("kpi", "term"), list(KPI_TERMS.items()))
def test_each_kpi_term_is_in_the_glossary_in_both_languages(kpi, term):
    assert kpi in REGISTRY
    row = glossary(term)
    assert row["definition_en"] and row["definition_ja"] and "05" in row["chapters"].split()
    assert glossary(row["term_ja"])["term_en"] == row["term_en"]


def test_retention_terms_match_the_opening_cohort_identities():
    # the code: revenue churn = 1 - GRR, expansion = NRR - GRR (tests/test_metrics.py)
    assert "1 − GRR" in glossary("churn rate")["definition_en"]
    assert "1 − GRR" in glossary("churn rate")["definition_ja"]
    assert "NRR − GRR" in glossary("expansion rate")["definition_en"]
    assert "NRR − GRR" in glossary("expansion rate")["definition_ja"]
    assert REGISTRY["revenue_churn_rate"].definition.endswith("1 − GRR")
    assert REGISTRY["expansion_rate"].definition.endswith("NRR − GRR")


def test_ltv_term_is_the_capped_default():
    assert REGISTRY["ltv"].function is metrics.ltv_capped
    cap = inspect.signature(metrics.ltv_capped).parameters["max_lifetime_months"].default
    assert cap == 60 and "capped at 5 years" in glossary("LTV")["definition_en"]
    assert "5年を上限" in glossary("LTV")["definition_ja"]
    method = inspect.signature(metrics.ltv_to_cac).parameters["method"].default
    assert method == "capped"


def test_csat_term_is_the_top_two_box_share():
    assert metrics.CSAT_SATISFIED == 4
    assert "4 or 5 on a 1–5 scale" in glossary("CSAT")["definition_en"]
    assert REGISTRY["csat"].function is metrics.csat and REGISTRY["csat"].unit == "share"
    assert "threshold" in inspect.signature(metrics.csat).parameters
    assert "statistic" not in inspect.signature(metrics.csat).parameters  # one meaning


def test_mql_is_the_aql_in_the_glossary_and_in_the_code():
    row = glossary("MQL")
    assert row["term_en"].startswith("AQL (MQL)")
    assert "this project's MQL" in row["definition_en"] and "本教材のMQL" in row["definition_ja"]
    assert inspect.signature(metrics.mql_rate).parameters["mql_col"].default == "aql_at"
    assert "AQL" in REGISTRY["mql_rate"].definition


def test_sql_is_sal_plus_sgl_in_the_glossary_the_waterfall_and_the_data():
    from revopslab.datasets import load_company

    definition = glossary("SQL")["definition_en"]
    assert "SQL = SAL + SGL" in definition and "qualification check" in definition
    # SALs (inbound, outbound) and SGLs (sales) are the only ways into SQL
    into_sql = {step for path in PATHS.values() for step in path if step.endswith("_to_sql")}
    assert into_sql == {"sal_to_sql", "sgl_to_sql"}
    assert "sal_to_sql" in PATHS["inbound"] and "sal_to_sql" in PATHS["outbound"]
    assert "sgl_to_sql" in PATHS["sales"]
    leads = load_company().leads
    sql = leads[leads["sql_at"].notna()]
    assert len(sql) > 0 and (sql["sal_at"].notna() | sql["sgl_at"].notna()).all()


def test_conversion_term_and_the_waterfall_denominators_agree():
    definition = glossary("conversion rate")["definition_en"]
    for step, motion in (("inquiry_to_aql", "inbound"), ("inquiry_to_tgl", "outbound"),
                         ("inquiry_to_sgl", "sales")):
        assert metrics.WATERFALL_MOTIONS[step] == (motion,)
    assert "inquiry → TGL on outbound" in definition and "inquiry → AQL on inbound" in definition


#: Acronyms a Japanese definition may keep: the book and Japanese RevOps teams write them so.
JA_ACRONYMS = {"MRR", "ARR", "NRR", "GRR", "CAC", "LTV", "ARPA", "MQL", "AQL", "NPS"}


@pytest.mark.parametrize("kpi", metrics.REGISTRY, ids=lambda k: k.name)
def test_each_kpi_has_a_japanese_definition_without_english_words(kpi):
    import re

    text = kpi.definition_ja
    assert re.search(r"[\u3040-\u30ff\u4e00-\u9fff]", text), (kpi.name, text)
    words = set(re.findall(r"[A-Za-z]{2,}", text))
    assert words <= JA_ACRONYMS, (kpi.name, words - JA_ACRONYMS)
    # the formula's acronyms are the same in both languages
    assert {w for w in re.findall(r"[A-Z]{2,}", kpi.definition) if w in JA_ACRONYMS} <= words, \
        kpi.name
