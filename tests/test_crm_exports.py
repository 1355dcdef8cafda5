"""Exports shaped like real ones (issue 15): every row of the issue's table, built here in tmp_path.

Each test builds the file the issue describes, reads it, and compares with values
worked out by hand from the rows written.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import zipfile
from pathlib import Path
from xml.sax.saxutils import escape

import numpy as np
import pandas as pd
import pytest

from revopslab import report
from revopslab.crm import CrmExportError, mask_pii, parse_date, read_crm_export
from revopslab.mapping import load_mapping, suggest_mapping, write_mapping


def write(folder: Path, name: str, rows: list[list[str]], *, encoding: str = "utf-8",
          delimiter: str = ",") -> Path:
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n").writerows(rows)
    path = folder / name
    path.write_bytes(buffer.getvalue().encode(encoding))
    return path


# ----------------------------------------------------------------------------- dates
HUBSPOT_API = [
    ["Record ID", "Deal Name", "Deal Stage", "Amount", "Close Date", "Create Date"],
    ["1", "A", "closedwon", "1000", "2025-01-09T00:00:00.000Z", "2024-12-01T08:30:00Z"],
    ["2", "B", "closedlost", "2000", "2024-09-25T00:00:00+09:00", "2024-09-01T00:00:00+09:00"],
    ["3", "C", "contractsent", "3000", "2025-03-31T00:00:00.5-05:00", "2025-01-02T23:59:59.123Z"],
]


def test_hubspot_api_timestamps_are_read_as_written_whatever_their_offset(tmp_path):
    export = read_crm_export(write(tmp_path, "deals.csv", HUBSPOT_API), mapping="hubspot")
    o = export.opportunities
    assert export.source.rows_quarantined == 0
    assert o["expected_close_date"].dt.strftime("%Y-%m-%d %H:%M:%S").tolist() == [
        "2025-01-09 00:00:00", "2024-09-25 00:00:00", "2025-03-31 00:00:00"]
    assert o["created_at"].dt.strftime("%Y-%m-%d %H:%M").tolist() == [
        "2024-12-01 08:30", "2024-09-01 00:00", "2025-01-02 23:59"]


@pytest.mark.parametrize("text, expected", [
    ("2025-01-09T00:00:00.000Z", dt.datetime(2025, 1, 9)),
    ("2024-09-25T10:00:00+09:00", dt.datetime(2024, 9, 25, 10)),
    ("20250109", dt.datetime(2025, 1, 9)),
    ("2025/3/1 午前9:05", dt.datetime(2025, 3, 1, 9, 5)),
    ("2025年3月1日", dt.datetime(2025, 3, 1)),
    ("March 1, 2025", dt.datetime(2025, 3, 1)),
    ("1 Mar 2025 9:05 PM", dt.datetime(2025, 3, 1, 21, 5)),
    ("3/1/2025", dt.datetime(2025, 3, 1)),
    ("2025-02-30", None), ("yesterday", None), ("2025", None), ("March", None), ("12", None),
    ("1850-01-01", None),
])
def test_parse_date(text, expected):
    assert parse_date(text) == expected


def test_day_first_is_decided_per_column(tmp_path):
    rows = [["Opportunity ID", "Stage", "Amount", "Close Date", "Created Date"],
            ["1", "Closed Won", "10", "31/03/2025", "02/03/2025"],   # close: day first
            ["2", "Closed Lost", "10", "05/04/2025", "03/02/2025"]]
    export = read_crm_export(write(tmp_path, "x.csv", rows))
    o = export.opportunities
    # Created Date proves nothing on its own and follows the export's other date column.
    assert o["expected_close_date"].dt.strftime("%Y-%m-%d").tolist() == ["2025-03-31",
                                                                        "2025-04-05"]
    assert o["created_at"].dt.strftime("%Y-%m-%d").tolist() == ["2025-03-02", "2025-02-03"]
    assert export.source.date_order == "day/month/year"
    assert "Close Date read as day/month/year (a first number above 12: '31/03/2025')" in \
        export.source.notes
    rows[1][4], rows[2][4] = "1/13/2025", "1/14/2025"  # now Created Date says month first
    export = read_crm_export(write(tmp_path, "y.csv", rows))
    assert export.source.date_order == "per column"
    assert export.opportunities["created_at"].dt.day.tolist() == [13, 14]


# ----------------------------------------------------------------------------- numbers
EUROPEAN = [["Opportunity ID", "Stage", "Amount", "Probability (%)", "Close Date",
             "Created Date"],
            ["006A", "Closed Won", "25000,84", "100", "31.03.2025", "01.02.2025"],
            ["006B", "Proposal/Price Quote", "1.234.567,5", "50,5", "30.06.2025", "15.03.2025"],
            ["006C", "Closed Lost", "€ 900", "0", "15.04.2025", "02.01.2025"]]


def test_a_european_export_semicolons_decimal_commas_day_first(tmp_path):
    path = write(tmp_path, "eu.csv", EUROPEAN, delimiter=";", encoding="utf-8-sig")
    export = read_crm_export(path)
    o = export.opportunities
    assert export.source.delimiter == ";" and export.source.rows_quarantined == 0
    assert o["amount"].tolist() == [25000.84, 1234567.5, 900.0]
    assert o["rep_probability"].tolist() == [1.0, 0.505, 0.0]
    assert o["expected_close_date"].dt.strftime("%Y-%m-%d").tolist() == [
        "2025-03-31", "2025-06-30", "2025-04-15"]
    notes = " ".join(export.source.notes)
    assert "Amount read with a decimal comma" in notes and "day/month/year" in notes


def test_commas_grouping_thousands_stay_thousands(tmp_path):
    rows = [EUROPEAN[0], ["1", "Closed Won", "1,234", "10", "2025/03/01", "2025/02/01"],
            ["2", "Closed Won", "1,234,567.5", "10", "2025/03/01", "2025/02/01"]]
    o = read_crm_export(write(tmp_path, "x.csv", rows)).opportunities
    assert o["amount"].tolist() == [1234.0, 1234567.5]


def test_an_amount_too_large_for_a_number_is_quarantined(tmp_path):
    rows = [EUROPEAN[0], ["1", "Closed Won", "9" * 400, "10", "2025/03/01", "2025/02/01"],
            ["2", "Closed Won", "5", "10", "2025/03/01", "2025/02/01"]]
    export = read_crm_export(write(tmp_path, "x.csv", rows))
    assert export.quarantined["reason"].str.startswith(
        "Amount is too large to be an amount").tolist() == [True]
    assert np.isfinite(export.opportunities["amount"]).all()


# ----------------------------------------------------------------------------- stages
JA_CUSTOM = [["商談 ID", "フェーズ", "金額", "確度 (%)", "完了予定日", "作成日", "成立", "完了"]]
for k, (stage, p, won, closed) in enumerate(
        [("見込み", "10", "0", "0")] * 4 + [("要件確認", "30", "0", "0")] * 3
        + [("内示", "80", "0", "0")] + [("受注", "100", "1", "1")] * 2
        + [("失注", "0", "0", "1")] * 2 + [("検討中止", "0", "0", "1")]):
    JA_CUSTOM.append([f"006{k:03d}", stage, "￥1,000,000", p, "2025/06/30", "2025/01/15", won,
                      closed])


def test_japanese_custom_stages_are_resolved_and_listed_not_quarantined(tmp_path):
    path = write(tmp_path, "ja.csv", JA_CUSTOM, encoding="cp932")
    export = read_crm_export(path)
    o = export.opportunities
    assert export.source.rows_quarantined == 0 and len(o) == 13
    assert o.groupby("stage_label", sort=False)["stage"].first().to_dict() == {
        "見込み": "discovery", "要件確認": "demo", "内示": "negotiation", "受注": "closed_won",
        "失注": "closed_lost", "検討中止": "closed_lost"}
    assert export.source.stages == (
        ("見込み", "discovery", "open per the Closed column, probability 10%", 4),
        ("要件確認", "demo", "open per the Closed column, probability 30%", 3),
        ("内示", "negotiation", "open per the Closed column, probability 80%", 1),
        ("受注", "closed_won", "built-in label", 2),
        ("失注", "closed_lost", "built-in label", 2),
        ("検討中止", "closed_lost", "Won/Closed columns", 1))
    notes = report.export_notes(export.source)
    assert "見込み → discovery (open per the Closed column, probability 10%, 4 rows)" in notes
    assert "受注 →" not in notes  # built-in labels are not listed


def test_stages_without_flags_resolve_by_probability_then_words_then_unmapped(tmp_path):
    rows = [["Opportunity ID", "Stage", "Amount", "Probability (%)", "Close Date",
             "Created Date"],
            ["1", "Verbal", "5", "90", "2025/03/01", "2025/02/01"],      # nearest: 75 %
            ["2", "Signed", "5", "100", "2025/03/01", "2025/02/01"],
            ["3", "Dead", "5", "0", "2025/03/01", "2025/02/01"],
            ["4", "Mystery", "5", "", "2025/03/01", "2025/02/01"],
            ["5", "Deal won", "5", "", "2025/03/01", "2025/02/01"],
            ["6", "失注（価格）", "5", "", "2025/03/01", "2025/02/01"],
            ["7", "受注見込み", "5", "", "2025/03/01", "2025/02/01"]]
    export = read_crm_export(write(tmp_path, "x.csv", rows), stages={"Mystery": "demo"})
    o = export.opportunities
    assert o["stage"].tolist() == ["negotiation", "closed_won", "closed_lost", "demo",
                                   "closed_won", "closed_lost", "unmapped"]
    assert o["status"].tolist() == ["open", "won", "lost", "open", "won", "lost", "open"]
    assert [how for *_, how, _ in export.source.stages] == [
        "probability 90%", "probability 100%", "probability 0%", "your stage map",
        "won/lost word", "won/lost word", "unmapped: kept as an open deal"]


# ----------------------------------------------------------------------------- amounts
def test_open_deals_without_an_amount_are_kept_and_counted_but_not_summed(tmp_path):
    rows = [["Record ID", "Deal Stage", "Amount", "Close Date", "Create Date"],
            ["1", "closedwon", "1000", "2025-03-10", "2025-01-10"],
            ["2", "closedwon", "", "2025-03-20", "2025-01-20"],
            ["3", "closedlost", "", "2025-03-15", "2025-02-01"],
            ["4", "appointmentscheduled", "", "", "2025-03-01"],
            ["5", "contractsent", "500", "2025-05-01", "2025-03-02"]]
    export = read_crm_export(write(tmp_path, "x.csv", rows), mapping="hubspot")
    assert export.source.rows_quarantined == 0 and export.source.missing_amounts == 3
    s = report.opportunity_summary(export.opportunities, first=pd.Timestamp("2025-01-01"),
                                   last=pd.Timestamp("2025-03-01"), as_of="2025-04-01")
    t = s.totals
    assert (t["won"], t["lost"], t["win_rate"], t["bookings"]) == (2.0, 1.0, 2 / 3, 1000.0)
    assert t["cycle_median_days"] == (59 + 59) / 2  # both won deals' cycles
    assert (t["open_deals"], t["open_amount"]) == (2.0, 500.0)
    assert s.pipeline["deals"].to_dict() == {"discovery": 1, "negotiation": 1}
    assert "3 deals have no amount" in report.export_notes(export.source)


# ----------------------------------------------------------------------------- no template
UNFAMILIAR = [["opportunity_id", "sales_agent", "product", "account", "deal_stage",
               "engage_date", "close_date", "close_value"],
              ["1C1I7A6R", "Moses Frase", "GTX Plus Basic", "Cancity", "Won", "2016-10-20",
               "2017-03-01", "1054"],
              ["Z063OYW0", "Darcel Schlecht", "GTXPro", "Isdom", "Won", "2016-10-25",
               "2017-03-11", "4514"],
              ["EC4QE1BX", "Darcel Schlecht", "MG Special", "Cancity", "Lost", "2016-10-25",
               "2017-03-07", "0"],
              ["ZZY4516Q", "Moses Frase", "GTX Basic", "", "Engaging", "2016-10-26", "", ""],
              ["HAXMC4IX", "Moses Frase", "GTX Basic", "", "Prospecting", "", "", ""]]


def test_an_export_matching_no_template_goes_through_a_suggested_mapping(tmp_path):
    path = write(tmp_path, "sales_pipeline.csv", UNFAMILIAR)
    with pytest.raises(CrmExportError, match="no column for opportunity_id"):
        read_crm_export(path, mapping="hubspot")
    suggestion = suggest_mapping(path)
    assert suggestion.missing == ()
    out = write_mapping(suggestion, tmp_path / "mapping.yaml")
    text = out.read_text(encoding="utf-8")
    assert 'stage: "deal_stage"' in text and '"Engaging": null' in text
    export = read_crm_export(path, mapping=out)
    o = export.opportunities
    assert export.source.rows_quarantined == 0 and len(o) == 5
    assert export.source.mapping == "mapping.yaml"
    assert o["stage"].tolist() == ["closed_won", "closed_won", "closed_lost", "unmapped",
                                   "discovery"]
    assert o["amount"].tolist()[:3] == [1054.0, 4514.0, 0.0] and o["amount"].isna().sum() == 2


def test_a_mapping_file_by_hand_with_stages_date_order_and_decimal(tmp_path):
    rows = [["Deal", "Phase", "Value", "Due", "Opened"],
            ["D1", "Engaging", "1.500,5", "01/02/2025", "01/01/2025"],
            ["D2", "Won", "2.000", "03/04/2025", "01/02/2025"]]
    path = write(tmp_path, "x.csv", rows)
    mapping = tmp_path / "m.yml"
    mapping.write_text("columns:\n  opportunity_id: Deal\n  stage: Phase\n  amount: Value\n"
                       "  expected_close_date: Due\n  created_at: Opened\nstages:\n"
                       "  Engaging: demo\ndate_order: day/month/year\ndecimal: ','\n"
                       "currency: eur\n",
                       encoding="utf-8")
    o = read_crm_export(path, mapping=str(mapping)).opportunities
    assert o["stage"].tolist() == ["demo", "closed_won"]
    assert o["amount"].tolist() == [1500.5, 2000.0]
    assert o["currency"].tolist() == ["EUR", "EUR"]
    assert o["expected_close_date"].dt.strftime("%Y-%m-%d").tolist() == ["2025-02-01",
                                                                        "2025-04-03"]


def test_a_broken_mapping_file_names_every_problem(tmp_path):
    mapping = tmp_path / "m.yaml"
    mapping.write_text("columns:\n  stage: Phase\nstages:\n  X: won\ndate_order: ymd\n"
                       "colums: {}\n", encoding="utf-8")
    template, problems = load_mapping(mapping)
    assert template is None
    text = "\n".join(problems)
    assert "unknown key 'colums'" in text
    assert "date_order must be one of [None, 'month/day/year', 'day/month/year'], got 'ymd'" \
        in text
    assert "no header for the required column(s) ['opportunity_id', 'amount'" in text
    with pytest.raises(CrmExportError, match="stages\\['X'\\] must be one of"):
        mapping.write_text("columns:\n  opportunity_id: a\n  stage: b\n  amount: c\n"
                           "  created_at: d\n  expected_close_date: e\nstages:\n  X: won\n",
                           encoding="utf-8")
        read_crm_export(write(tmp_path, "x.csv", [["a", "b", "c", "d", "e"],
                                                  ["1", "X", "1", "2025/1/1", "2025/1/1"]]),
                        mapping=mapping)


# ----------------------------------------------------------------------------- Excel
def xlsx(path: Path, rows: list[list[object]], *, sheet: str = "Report") -> Path:
    """A minimal .xlsx (Office Open XML): strings inline, numbers, dates as styled serials."""
    def cell(ref: str, value: object) -> str:
        if value is None:
            return ""
        if isinstance(value, dt.date):
            serial = (dt.datetime.combine(value, dt.time()) - dt.datetime(1899, 12, 30)).days
            return f'<c r="{ref}" s="1"><v>{serial}</v></c>'
        if isinstance(value, int | float):
            return f'<c r="{ref}"><v>{value}</v></c>'
        return f'<c r="{ref}" t="inlineStr"><is><t>{escape(str(value))}</t></is></c>'

    body = "".join(
        f'<row r="{i + 1}">' + "".join(cell(f"{chr(65 + j)}{i + 1}", v) for j, v in
                                        enumerate(row)) + "</row>"
        for i, row in enumerate(rows))
    ns = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
    rel = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
    files = {
        "[Content_Types].xml": (
            '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
            'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>'
            '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-'
            'officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/'
            'sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.'
            'spreadsheetml.worksheet+xml"/><Override PartName="/xl/styles.xml" ContentType='
            '"application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/></Types>'),
        "_rels/.rels": (
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            f'<Relationship Id="rId1" Type="{rel}/officeDocument" Target="xl/workbook.xml"/>'
            '</Relationships>'),
        "xl/workbook.xml": (f'<workbook {ns} xmlns:r="{rel}"><sheets><sheet name="{sheet}" '
                            'sheetId="1" r:id="rId1"/></sheets></workbook>'),
        "xl/_rels/workbook.xml.rels": (
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            f'<Relationship Id="rId1" Type="{rel}/worksheet" Target="worksheets/sheet1.xml"/>'
            f'<Relationship Id="rId2" Type="{rel}/styles" Target="styles.xml"/></Relationships>'),
        "xl/styles.xml": (f'<styleSheet {ns}><cellXfs count="2"><xf numFmtId="0"/>'
                          '<xf numFmtId="14" applyNumberFormat="1"/></cellXfs></styleSheet>'),
        "xl/worksheets/sheet1.xml": f"<worksheet {ns}><sheetData>{body}</sheetData></worksheet>",
    }
    with zipfile.ZipFile(path, "w") as archive:
        for name, text in files.items():
            archive.writestr(name, '<?xml version="1.0" encoding="UTF-8"?>' + text)
    return path


def test_an_xlsx_report_is_read_with_its_cells_types(tmp_path):
    rows = [["Opportunity Pipeline"], [],  # a formatted report's title above the table
            ["Opportunity ID", "Stage", "Amount", "Close Date", "Created Date"],
            ["006A", "Closed Won", 1200000, dt.date(2025, 3, 1), dt.date(2025, 1, 2)],
            ["006B", "Proposal/Price Quote", 800000.5, dt.date(2025, 4, 30), dt.date(2025, 2, 3)],
            ["006C", "Qualification", None, dt.date(2025, 12, 1), dt.date(2025, 3, 4)],
            [], ["Confidential Information - Do Not Distribute"]]
    path = xlsx(tmp_path / "report.xlsx", rows)
    export = read_crm_export(path)
    o = export.opportunities
    assert export.source.rows_quarantined == 0 and len(o) == 3
    assert export.source.encoding == "xlsx (sheet 0, header on row 3)"
    assert o["amount"].tolist()[:2] == [1200000.0, 800000.5] and np.isnan(o["amount"][2])
    assert o["expected_close_date"].dt.strftime("%Y-%m-%d").tolist() == [
        "2025-03-01", "2025-04-30", "2025-12-01"]
    assert o["source_row"].tolist() == [4, 5, 6]
    assert export.source.footer == ("Confidential Information - Do Not Distribute",)
    assert read_crm_export(path, sheet="Report").source.rows_kept == 3
    with pytest.raises(CrmExportError, match="sheet must name a sheet of the workbook"):
        read_crm_export(path, sheet="Deals")


def test_leads_and_billing_exports_are_read_from_xlsx_as_from_csv(tmp_path):
    """A leads and a billing workbook (title rows, dates and numbers as typed cells), read by
    the same reader as a CSV; the tables checked against the rows written by hand."""
    from revopslab.crm import read_table_export

    leads = [["Leads report"], [],
             ["Lead ID", "Company", "Create Date", "SQL Date", "Converted Date",
              "Converted Opportunity ID"],
             ["L1", "Sato KK", dt.date(2025, 1, 6), dt.date(2025, 1, 20), dt.date(2025, 2, 3),
              "006A"],
             ["L2", "Kato KK", dt.date(2025, 1, 9), None, None, None],
             ["L3", "Ito KK", dt.date(2025, 2, 1), "soon", None, None],  # row 6: no date
             ["L4", "Abe KK", dt.date(2025, 2, 10), dt.date(2025, 2, 1), None, None]]  # early
    book = xlsx(tmp_path / "leads.xlsx", leads)
    out = tmp_path / "q_leads.csv"
    read = read_table_export(book, kind="leads", quarantine=out)
    t = read.table
    assert read.source.encoding == "xlsx (sheet 0, header on row 3)"
    assert (read.source.rows_read, read.source.rows_kept, read.source.rows_quarantined) == (
        4, 2, 2)
    assert t["lead_id"].tolist() == ["L1", "L2"]
    assert t["account_id"].tolist() == ["Sato KK", "Kato KK"]
    assert t["inquiry_at"].dt.strftime("%Y-%m-%d").tolist() == ["2025-01-06", "2025-01-09"]
    assert t["sql_at"].dt.strftime("%Y-%m-%d").fillna("-").tolist() == ["2025-01-20", "-"]
    assert t["opportunity_id"].fillna("-").tolist() == ["006A", "-"]
    assert read.quarantined["row"].tolist() == [6, 7]  # as the sheet numbers its rows
    assert read.quarantined["reason"].str.split(":").str[0].tolist() == [
        "SQL Date is not a date", "SQL Date is before Create Date"]
    assert pd.read_csv(out)["row"].tolist() == [6, 7]

    billing = [["Account Name", "Month", "MRR"],
               ["Sato KK", dt.date(2025, 1, 1), 100],
               ["Sato KK", dt.date(2025, 2, 1), 150.5],
               ["Kato KK", "2025年2月", 80],
               ["Kato KK", dt.date(2025, 3, 1), -5]]  # row 5: negative
    book = xlsx(tmp_path / "mrr.xlsx", billing, sheet="MRR")
    read = read_table_export(book, kind="billing", sheet="MRR",
                             quarantine=tmp_path / "q_billing.csv")
    assert read.table.assign(month=read.table["month"].dt.strftime("%Y-%m")).to_dict(
        "records") == [{"account_id": "Kato KK", "month": "2025-02", "mrr": 80.0},
                       {"account_id": "Sato KK", "month": "2025-01", "mrr": 100.0},
                       {"account_id": "Sato KK", "month": "2025-02", "mrr": 150.5}]
    assert read.quarantined[["row", "reason"]].to_dict("records") == [
        {"row": 5, "reason": "MRR is negative: '-5'"}]
    # the same rows as a CSV give the same table: one reader
    text = "Account Name,Month,MRR\nSato KK,2025-01,100\nSato KK,2025-02,150.5\n" \
           "Kato KK,2025年2月,80\nKato KK,2025-03,-5\n"
    (tmp_path / "mrr.csv").write_text(text, encoding="utf-8")
    pd.testing.assert_frame_equal(read_table_export(tmp_path / "mrr.csv", kind="billing").table,
                                  read.table)
    # nothing bad: no quarantine file
    clean = xlsx(tmp_path / "clean.xlsx", billing[:4])
    assert read_table_export(clean, kind="billing", quarantine=tmp_path / "q2.csv"
                             ).quarantined.empty
    assert not (tmp_path / "q2.csv").exists()
    with pytest.raises(CrmExportError, match="sheet must name a sheet of the workbook"):
        read_table_export(book, kind="billing", sheet="Deals")
    with pytest.raises(CrmExportError, match="no column for mrr"):
        read_table_export(xlsx(tmp_path / "x.xlsx", [["Account Name", "Month"], ["A", 1]]),
                          kind="billing")


# ----------------------------------------------------------------------------- broken files
def test_dates_that_are_never_readable_give_one_file_level_error(tmp_path):
    rows = [["Opportunity ID", "Stage", "Amount", "Close Date", "Created Date"]] + [
        [str(k), "Closed Won", "5", "soon", "later"] for k in range(4)]
    with pytest.raises(CrmExportError) as info:
        read_crm_export(write(tmp_path, "x.csv", rows))
    assert ("all 4 rows were quarantined. Top reasons: Close Date is not a date (4 rows); "
            "Created Date is not a date (4 rows)") in str(info.value)


def test_a_utf8_file_with_one_cp932_row_is_refused_not_misdecoded(tmp_path):
    good = "\r\n".join(['"Opportunity ID","Stage","Amount","Close Date","Created Date"',
                        '"1","Closed Won","5","2025/3/1","2025/2/1"',
                        '"2","Société","5","2025/3/1","2025/2/1"']).encode("utf-8")
    bad = '\r\n"3","見込み","5","2025/3/1","2025/2/1"\r\n'.encode("cp932")
    path = tmp_path / "x.csv"
    path.write_bytes(good + bad)
    with pytest.raises(CrmExportError, match="the file mixes encodings: line 3 is UTF-8 but "
                                             "line 4"):
        read_crm_export(path)
    assert read_crm_export(path, encoding="cp932").source.encoding == "cp932"  # if you insist
    first, *rest = good.split(b"\r\n")
    path.write_bytes(first + bad + b"\r\n".join(rest) + b"\r\n")  # the CP932 row first
    with pytest.raises(CrmExportError, match="line 4 is UTF-8 but line 2 is not"):
        read_crm_export(path)


def test_two_exports_joined_keep_no_bom_and_the_duplicate_is_found(tmp_path):
    one = '"Opportunity ID","Stage","Amount","Close Date","Created Date"\r\n' \
          '"006A","Closed Won","5","2025/3/1","2025/2/1"\r\n'
    path = tmp_path / "x.csv"
    path.write_bytes(b"\xef\xbb\xbf" + one.encode() + b"\xef\xbb\xbf" + one.encode())
    export = read_crm_export(path)
    assert export.opportunities["opportunity_id"].tolist() == ["006A"]
    assert export.quarantined[["row", "reason"]].to_dict("records") == [
        {"row": 3, "reason": "the header line again (two exports joined into one file?)"},
        {"row": 4, "reason": "duplicate Opportunity ID '006A' (first on row 2)"}]


# ----------------------------------------------------------------------------- quarantine file
def test_the_quarantine_csv_is_quoted_formula_safe_and_masked(tmp_path):
    rows = [["Opportunity ID", "Stage", "Amount", "Close Date", "Created Date", "Note"],
            ["1", "Closed Won", "=1+1", "2025/3/1", "2025/2/1", "@SUM(A1)"],
            ["2", "Closed Won", "-5", "2025/3/1", "2025/2/1", "a\rb"],
            ["3", "Closed Won", "+5x", "2025/3/1", "2025/2/1", "mail tanaka@example.co.jp"],
            ["4", "Closed Won", "5", "2025/3/1", "2025/2/1", "ok"]]
    out = tmp_path / "q.csv"
    read_crm_export(write(tmp_path, "x.csv", rows), quarantine=out)
    raw = out.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf") and b"tanaka@" not in raw
    records = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"), newline="")))
    assert len(records) == 4  # header + 3 rows: the CR stays inside its quoted field
    for record in records:
        for value in record:
            assert not value.startswith(("=", "+", "-", "@", "\t", "\r")), value
    assert records[1][records[0].index("Amount")] == "'=1+1"
    assert records[2][records[0].index("Note")] == "a\rb"
    assert "ta***@example.co.jp" in records[3][records[0].index("Note")]
    assert all(line.startswith('"') for line in raw.decode("utf-8-sig").split("\r\n")[:-1]
               if line and not line.startswith("b"))


def test_mask_pii_finds_full_width_and_us_forms():
    frame = pd.DataFrame({"c": ["田中 tanaka＠example.co.jp", "TEL ０３－１２３４－５６７８",
                                "(415) 555-1234", "415.555.1234", "+1 415 555 1234",
                                "2025-03-01", "1,200,000", "006A0000012345"]})
    assert mask_pii(frame)["c"].tolist() == [
        "田中 ta***@example.co.jp", "TEL 03-****-5678", "(415) ***-1234", "415.***.1234",
        "+1 *** *** 1234", "2025-03-01", "1,200,000", "006A0000012345"]


def test_a_status_column_decides_won_and_lost_whatever_the_stage_pipedrive(tmp_path):
    rows = [["Deal - ID", "Deal - Title", "Deal - Value", "Deal - Currency", "Deal - Stage",
             "Deal - Status", "Deal - Deal created", "Deal - Expected close date"],
            ["1", "A", "1000", "EUR", "Negotiations Started", "won", "2025-01-02 10:00:00",
             "2025-03-01"],
            ["2", "B", "2000", "EUR", "Negotiations Started", "lost", "2025-01-03 10:00:00",
             "2025-03-02"],
            ["3", "C", "3000", "EUR", "Negotiations Started", "open", "2025-01-04 10:00:00",
             "2025-06-30"],
            ["4", "D", "", "EUR", "Qualified", "open", "2025-02-01 10:00:00", ""],
            ["5", "E", "10", "EUR", "Qualified", "maybe", "2025-02-01 10:00:00", ""]]
    path = write(tmp_path, "deals.csv", rows)
    suggestion = suggest_mapping(path)
    assert {c: h for c, (h, _) in suggestion.columns.items() if c in (
        "opportunity_id", "amount", "stage", "deal_status", "created_at",
        "expected_close_date", "currency")} == {
        "opportunity_id": "Deal - ID", "amount": "Deal - Value", "stage": "Deal - Stage",
        "deal_status": "Deal - Status", "created_at": "Deal - Deal created",
        "expected_close_date": "Deal - Expected close date", "currency": "Deal - Currency"}
    export = read_crm_export(path, mapping=write_mapping(suggestion, tmp_path / "m.yaml"))
    o = export.opportunities
    assert o["status"].tolist() == ["won", "lost", "open", "open"]
    assert o["stage"].tolist()[:2] == ["closed_won", "closed_lost"]
    assert o["stage_label"].tolist()[:2] == ["Negotiations Started"] * 2
    assert export.quarantined[["row", "reason"]].to_dict("records") == [
        {"row": 6, "reason": "Deal - Status is not won, lost or open: 'maybe'"}]
