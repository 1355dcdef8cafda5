"""The report from more than one file (issue 16): an opportunity, a leads and a billing export.

Two kinds of check. A tiny hand-made set of three exports, whose every expected number is
worked out by hand in the comments; and a simulated company written in the CRM layouts
(``crm.write_company_exports``), whose report from the files must give the numbers the
report gives from the company itself.
"""

from __future__ import annotations

import csv
import io
import re
import warnings
from pathlib import Path

import pandas as pd
import pytest

from revopslab import report
from revopslab.config import CompanyConfig
from revopslab.crm import CrmExportError, read_table_export, write_company_exports
from revopslab.simulate import simulate_company

AS_OF, PERIOD = "2025-07-01", "2025-01:2025-06"
FIRST, LAST = pd.Timestamp("2025-01-01"), pd.Timestamp("2025-06-01")

OPPORTUNITIES = [
    ["Opportunity ID", "Account Name", "Stage", "Amount", "Close Date", "Created Date",
     "Push Count"],
    ["006A", "Alpha", "Closed Won", "JPY 1,000,000", "2/10/2025", "1/5/2025", "0"],
    ["006B", "Beta", "Closed Won", "JPY 2,000,000", "3/20/2025", "1/20/2025", "1"],
    ["006C", "Gamma", "Closed Lost", "JPY 500,000", "3/1/2025", "2/1/2025", "0"],
    ["006D", "Delta", "Proposal/Price Quote", "JPY 3,000,000", "8/30/2025", "3/1/2025", "2"],
    ["006E", "Echo", "Negotiation/Review", "JPY 1,000,000", "7/30/2025", "3/10/2025", "0"],
]
LEADS = [
    ["Lead ID", "会社名", "Motion", "Created Date", "SQL Date", "Converted Date",
     "Converted Opportunity ID"],
    ["L1", "アルファ", "Inbound", "2024-12-20", "2025-01-02", "2025-01-05", "006A"],  # December
    ["L2", "ベータ", "インバウンド", "2025-01-10", "2025-01-15", "2025-01-20", "006B"],
    ["L3", "ガンマ", "Outbound", "2025-02-01", "", "", ""],
    ["L4", "デルタ", "Inbound", "2025-03-05", "2025-03-08", "", ""],
    ["L5", "イプシロン", "Inbound", "2025-03-06", "2025-03-01", "", ""],  # SQL before created
    ["L2", "ベータ", "Inbound", "2025-04-01", "", "", ""],            # repeated ID
]
# MRR by account and month. Opening month 2024-12: Zeta 200, Omega 100 (the opening base).
# Zeta pays 200 throughout; Omega churns after March; Alpha (won in February) pays 50 from
# February and 80 from May (an expansion); Beta (won in March) pays 70 from March.
BILLING = [["Account Name", "Month", "MRR"]]
for month in pd.date_range("2024-12-01", "2025-06-01", freq="MS"):
    m = f"{month:%Y-%m}"
    BILLING.append(["Zeta", m, "200"])
    if month <= pd.Timestamp("2025-03-01"):
        BILLING.append(["Omega", m, "100"])
    if month >= pd.Timestamp("2025-02-01"):
        BILLING.append(["Alpha", m, "80" if month >= pd.Timestamp("2025-05-01") else "50"])
    if month >= pd.Timestamp("2025-03-01"):
        BILLING.append(["Beta", m, "70"])
# The same MRR as subscriptions: the end is the first month it no longer runs.
SUBSCRIPTIONS = [["Customer", "Subscription ID", "Start Date", "End Date", "MRR"],
                 ["Zeta", "S1", "2024/12/01", "", "¥200"],
                 ["Omega", "S2", "2024/12/01", "2025/04/01", "¥100"],
                 ["Alpha", "S3", "2025/02/01", "2025/05/01", "¥50"],
                 ["Alpha", "S4", "2025/05/01", "", "¥80"],
                 ["Beta", "S5", "2025/03/01", "", "¥70"]]


def write(folder: Path, name: str, rows: list[list[str]], encoding: str = "utf-8") -> Path:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerows(rows)
    path = folder / name
    path.write_bytes(buffer.getvalue().encode(encoding))
    return path


@pytest.fixture(scope="module")
def files(tmp_path_factory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("three")
    return {"folder": folder, "opportunities": write(folder, "deals.csv", OPPORTUNITIES),
            "leads": write(folder, "leads.csv", LEADS, "cp932"),
            "billing": write(folder, "mrr.csv", BILLING),
            "subscriptions": write(folder, "subscriptions.csv", SUBSCRIPTIONS, "utf-8-sig")}


@pytest.fixture(scope="module")
def data(files):
    return report.load_source(files["opportunities"], leads=files["leads"],
                              billing=files["billing"], as_of=AS_OF,
                              quarantine=files["folder"] / "q.csv")


# ----------------------------------------------------------------------------- hand numbers
def test_the_leads_export_is_read_and_its_bad_rows_quarantined(data, files):
    leads = data.leads_export
    assert leads.source.encoding == "cp932" and leads.source.rows_read == 6
    assert leads.table["lead_id"].tolist() == ["L1", "L2", "L3", "L4"]
    assert leads.table["motion"].tolist() == ["inbound", "inbound", "outbound", "inbound"]
    bad = leads.quarantined.set_index("row")["reason"]
    assert bad.loc[6] == "SQL Date is before Created Date: '2025-03-01'"
    assert bad.loc[7] == "Lead ID repeats an earlier row's: 'L2'"
    # the quarantine file is written beside the opportunity export's, rows masked
    assert (files["folder"] / "q_leads.csv").is_file()
    # leads join the deals by the converted opportunity's ID
    assert data.opportunities.set_index("opportunity_id")["lead_id"].dropna().to_dict() == {
        "006A": "L1", "006B": "L2"}


def test_the_waterfall_and_bowtie_match_the_hand_count(data):
    waterfall = report.waterfall_counts(data.frames, first=FIRST, last=LAST)
    # inquiries in the period: L2, L3, L4 (L1 came in December); SQLs: L1, L2, L4;
    # opportunities: L1, L2; won: the leads of 006A (February) and 006B (March)
    assert waterfall.to_dict() == {"inquiry": 3, "sql": 3, "opportunity": 2, "won": 2}
    bowtie = report.bowtie_counts(data.frames, first=FIRST, last=LAST, waterfall=waterfall)
    # accounts won in the period: Alpha, Beta; both pay in June; Alpha expanded in May
    assert bowtie[["inquiry", "sql", "opportunity", "won", "retained", "expanded"]].tolist() \
        == [3, 3, 2, 2, 2, 1]
    assert not data.has("nps_responses")  # the notebook leaves the promoters out


def test_retention_matches_the_hand_computation(data):
    r = report.retention_summary(data.frames, first=FIRST, last=LAST)
    # opening base (December): Zeta 200 + Omega 100 = 300; in June Zeta 200, Omega 0
    assert r["opening_customers"] == 2 and r["opening_arr"] == 12 * 300
    assert r["nrr"] == pytest.approx(200 / 300) and r["grr"] == pytest.approx(200 / 300)
    assert r["logo_churn"] == pytest.approx(0.5) and r["expansion"] == pytest.approx(0.0)
    assert r["revenue_churn"] == pytest.approx(100 / 300)


def test_subscriptions_spread_over_their_months_give_the_same_mrr(data, files):
    by_month = data.frames.mrr
    spread = read_table_export(files["subscriptions"], kind="billing", through="2025-06-30")
    assert spread.source.encoding == "utf-8-sig"
    totals = spread.table.groupby(["account_id", "month"])["mrr"].sum().reset_index()
    pd.testing.assert_frame_equal(totals, by_month.reset_index(drop=True), check_dtype=False)


def test_close_date_pushes_match_the_hand_count(data):
    pushes = report.close_date_pushes(data)
    # open on 2025-07-01: Delta (3,000,000, pushed twice) and Echo (1,000,000, never)
    assert pushes[["open_deals", "known", "pushed_deals", "pushed_twice"]].tolist() == [2, 2, 1, 1]
    assert pushes["pushed_amount"] == 3_000_000 and pushes["pushed_share"] == 0.75
    assert pushes["pushes"] == 2


def test_without_push_counts_there_is_no_push_figure(tmp_path):
    rows = [row[:-1] for row in OPPORTUNITIES]
    plain = report.load_source(write(tmp_path, "d.csv", rows), as_of=AS_OF,
                               quarantine=tmp_path / "q.csv")
    assert report.close_date_pushes(plain) is None
    assert "Push Count" in str(report.omitted("pushes"))


def test_the_kpis_of_the_three_exports_include_leads_and_retention(data):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        table = report.kpis(data, first=FIRST, last=LAST).set_index("metric")
    assert table.loc["net_revenue_retention", "value"] == pytest.approx(200 / 300)
    # L1: 2024-12-20 -> won 2025-02-10, 52 days; L2: 2025-01-10 -> 2025-03-20, 69 days
    assert table.loc["lead_to_close_days", "value"] == pytest.approx((52 + 69) / 2)
    # the leads file ends in March, before the period does: the metric says so
    assert "end on 2025-03-05" in table.loc["lead_volume", "note"]
    assert table.loc["win_rate", "value"] == pytest.approx(2 / 3)
    # what the three files cannot give is said in plain words, not table names
    assert table.loc["cac", "note"] == "needs cost data"
    assert table.loc["ltv", "note"] == "needs the gross margin"
    assert table.loc["nps", "note"] == "needs NPS survey answers"
    assert table.loc["mql_rate", "note"] == "needs an AQL date column in the leads"


def test_an_export_without_leads_keeps_its_sections_out(files, tmp_path):
    only = report.load_source(files["opportunities"], billing=files["billing"], as_of=AS_OF,
                              quarantine=tmp_path / "q.csv")
    assert only.has("mrr") and not only.has("leads")
    assert report.retention_summary(only.frames, first=FIRST, last=LAST)["opening_customers"] == 2


def test_a_segment_scopes_the_leads_and_the_mrr(tmp_path):
    deals = [OPPORTUNITIES[0] + ["Segment"]] + [r + [s] for r, s in zip(
        OPPORTUNITIES[1:], ["SMB", "ENT", "SMB", "ENT", "SMB"], strict=True)]
    mapping = {"opportunity_id": "Opportunity ID", "account_id": "Account Name",
               "stage": "Stage", "amount": "Amount", "expected_close_date": "Close Date",
               "created_at": "Created Date", "segment": "Segment"}
    full = report.load_source(write(tmp_path, "d.csv", deals), mapping=mapping, as_of=AS_OF,
                              leads=write(tmp_path, "l.csv", LEADS[:5]),
                              billing=write(tmp_path, "b.csv", BILLING),
                              quarantine=tmp_path / "q.csv")
    smb = full.scoped("SMB")  # Alpha, Gamma, Echo
    assert set(smb.frames.mrr["account_id"]) == {"Alpha"}
    assert smb.frames.leads["lead_id"].tolist() == ["L1"]  # the lead of 006A


def test_parameters_refuse_leads_or_billing_with_a_simulated_company():
    with pytest.raises(report.ReportParameterError, match="leads must be None when source"):
        report.check_parameters(leads="leads.csv")
    with pytest.raises(report.ReportParameterError, match="billing_mapping must be one of"):
        report.check_parameters(source="d.csv", billing="b.csv", billing_mapping="stripe")
    with pytest.raises(ValueError, match="leads must be None for source='simulated'"):
        report.load_source("simulated", leads="x.csv")


def test_a_bad_billing_export_names_what_it_lacks(tmp_path):
    path = write(tmp_path, "b.csv", [["Account Name", "Amount"], ["A", "1"]])
    with pytest.raises(CrmExportError) as error:
        read_table_export(path, kind="billing")
    text = str(error.value)
    assert "no column for mrr (required)" in text and "no column for month or start_month" in text


def test_billing_rows_that_cannot_be_read_are_quarantined(tmp_path):
    rows = [["Account ID", "Month", "MRR"], ["A", "2025-01", "100"], ["", "2025-01", "5"],
            ["B", "someday", "5"], ["C", "2025-02", "lots"]]
    billing = read_table_export(write(tmp_path, "b.csv", rows), kind="billing",
                                quarantine=tmp_path / "bad.csv")
    assert billing.table[["account_id", "mrr"]].values.tolist() == [["A", 100.0]]
    assert billing.quarantined["reason"].tolist() == [
        "Account ID is empty", "Month is not a date: 'someday'", "MRR is not an amount: 'lots'"]
    assert billing.source.rows_read == 4 and billing.source.rows_kept == 1


def test_load_source_seed_is_a_deprecated_name_of_rng():
    with pytest.warns(DeprecationWarning, match="rng="):
        old = report.load_source("simulated", months=12, scale=0.05, seed=3)
    new = report.load_source("simulated", months=12, scale=0.05, rng=3)
    pd.testing.assert_frame_equal(old.opportunities, new.opportunities)


# ----------------------------------------------------------------------------- simulated files
@pytest.fixture(scope="module")
def company_and_files(tmp_path_factory):
    company = simulate_company(CompanyConfig(months=24, scale=0.2), rng=5)
    folder = tmp_path_factory.mktemp("company")
    files = write_company_exports(company, folder)
    data = report.load_source(files["opportunities"], leads=files["leads"],
                              billing=files["billing"], as_of=str(company.as_of.date()),
                              quarantine=folder / "q.csv")
    return company, files, data


def test_the_company_written_as_three_exports_reads_back_whole(company_and_files):
    company, _, data = company_and_files
    assert data.export.source.rows_quarantined == 0
    assert data.leads_export.source.rows_kept == len(company.leads)
    assert data.billing_export.source.rows_quarantined == 0
    assert data.frames.mrr["mrr"].sum() == pytest.approx(company.mrr["mrr"].sum())
    linked = company.opportunities["lead_id"].notna().sum()
    assert data.opportunities["lead_id"].notna().sum() == linked


def test_the_report_from_the_files_gives_the_company_numbers(company_and_files):
    company, _, data = company_and_files
    first, last = report.resolve_period(None, as_of=data.as_of)
    pd.testing.assert_series_equal(report.waterfall_counts(data.frames, first=first, last=last),
                                   report.waterfall_counts(company, first=first, last=last))
    ours = report.bowtie_counts(data.frames, first=first, last=last)
    theirs = report.bowtie_counts(company, first=first, last=last)
    pd.testing.assert_series_equal(ours.drop("promoter"), theirs.drop("promoter"))
    assert report.retention_summary(data.frames, first=first, last=last) == pytest.approx(
        report.retention_summary(company, first=first, last=last))
    conversion = report.conversion_table(data.frames, first=first, last=last)
    expected = report.conversion_table(company, first=first, last=last)
    # the same leads convert; only days differ, the deal export's close dates having no time
    pd.testing.assert_frame_equal(conversion[["entered", "converted", "rate"]],
                                  expected[["entered", "converted", "rate"]])
    pushes = report.close_date_pushes(data)
    assert pushes["pushed_deals"] == report.close_date_pushes(
        report.load_source("simulated", months=24, scale=0.2, rng=5))["pushed_deals"]


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_the_report_of_three_files_in_japanese_shows_every_section(files, tmp_path):
    """One papermill run of notebook 06 on the three hand-made files, in Japanese."""
    result = report.run_report({"source": str(files["opportunities"]),
                                "leads": str(files["leads"]), "billing": str(files["billing"]),
                                "as_of": AS_OF, "period": PERIOD, "lang": "ja"},
                               out=tmp_path / "r.html")
    text = _text(result.html.read_text(encoding="utf-8"))
    for shown in (
            "問い合わせ3件がウォーターフォールに入り、SQL 3件、商談2件となり、2社が契約しました",
            "2社のうち2社が継続し、1社が拡大しています。",
            "NRR 66.7%、GRR 66.7%",
            "延期回数のある未クローズ商談2件のうち1件",
            "リードのエクスポート: 6行を読み込み（cp932、マッピング salesforce）、4行を使用、"):
        assert shown in text, shown
    assert "省略: リードのデータ" not in text and "省略: NRR" not in text
    assert str(files["folder"]) not in text


def test_a_grid_file_and_the_cli_take_the_leads_and_billing_exports(files, tmp_path,
                                                                      monkeypatch):
    from typer.testing import CliRunner

    from revopslab.cli import app

    seen = []

    def fake(parameters, *, out, **_):
        seen.append(dict(parameters))
        Path(out).write_text("ok", encoding="utf-8")
        return report.ReportResult(Path(out), None, 0.5, parameters)

    monkeypatch.setattr(report.runner, "run_report", fake)
    grid = tmp_path / "g.yaml"
    grid.write_text(
        f"defaults:\n  source: '{files['opportunities']}'\n  leads: '{files['leads']}'\n"
        f"  leads_mapping: salesforce\n  as_of: '{AS_OF}'\nruns:\n"
        f"  - {{name: deals-and-leads}}\n  - {{name: all, billing: '{files['billing']}'}}\n",
        encoding="utf-8")
    result = CliRunner().invoke(app, ["report", "--grid", str(grid), "--out-dir",
                                      str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    assert [p["billing"] for p in seen] == [None, str(files["billing"].resolve())]
    assert {p["leads"] for p in seen} == {str(files["leads"].resolve())}
    # the CLI has one option per new parameter, from the spec
    help_text = CliRunner().invoke(app, ["report", "--help"], env={"COLUMNS": "200"}).stdout
    for flag in ("--leads", "--leads-mapping", "--billing", "--billing-mapping"):
        assert flag in help_text, flag
    # a missing leads file is refused before anything runs (exit code 2)
    missing = CliRunner().invoke(app, ["report", "--source", str(files["opportunities"]),
                                       "--leads", str(tmp_path / "nope.csv"),
                                       "--out", str(tmp_path / "r.html")])
    assert missing.exit_code == 2 and "leads must name an existing leads export" in \
        missing.output
