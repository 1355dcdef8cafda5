"""Reading a user's CRM export: templates, encodings, formats, broken files, privacy, safety."""

from __future__ import annotations

import csv
import io
import pickle
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from revopslab import crm
from revopslab.config import CompanyConfig
from revopslab.crm import (
    CRM_TEMPLATES,
    EXTRA_COLUMNS,
    OPPORTUNITY_COLUMNS,
    TEMPLATE_FILES,
    CrmExport,
    CrmExportError,
    mask_pii,
    read_crm_export,
    synthetic_export,
    write_templates,
)
from revopslab.datasets import DATA_DIR
from revopslab.simulate import simulate_company

TEMPLATES = DATA_DIR / "crm_templates"
MAPPING_OF = {"salesforce_opportunities_ja_cp932.csv": "salesforce",
              "salesforce_opportunities_en.csv": "salesforce",
              "hubspot_deals_ja_utf8bom.csv": "hubspot"}
ENCODING_OF = {"salesforce_opportunities_ja_cp932.csv": "cp932",
               "salesforce_opportunities_en.csv": "utf-8",
               "hubspot_deals_ja_utf8bom.csv": "utf-8-sig"}

EN = ["Opportunity ID", "Opportunity Name", "Stage", "Amount", "Probability (%)", "Close Date",
      "Created Date", "Won", "Closed", "Forecast Category", "Note"]
JA = ["商談 ID", "商談名", "フェーズ", "金額", "確度 (%)", "完了予定日", "作成日", "成立", "完了",
      "売上予測分類", "メモ"]
ROWS = [  # five good rows: lines 2-6 of the file
    ["006A", "Alpha", "Closed Won", "1,200,000", "100", "2025/03/01", "2025/02/01", "1", "1",
     "Closed", "first"],
    ["006B", "Beta", "Closed Lost", "800,000", "0", "2025/03/15", "2025/01/10", "0", "1",
     "Omitted", ""],
    ["006C", "Gamma", "Proposal/Price Quote", "2,500,000", "50", "2025/06/30", "2025/04/01",
     "0", "0", "Best Case", ""],
    ["006D", "Delta", "Negotiation/Review", "3,000,000", "75", "2025/05/31", "2025/03/20",
     "0", "0", "Commit", ""],
    ["006E", "Epsilon", "Qualification", "500,000", "10", "2025/07/31", "2025/05/02", "0", "0",
     "Pipeline", "last"],
]
COL = {name: i for i, name in enumerate(EN)}


def csv_text(header: list[str], rows: list[list[str]], *, footer: bool = False,
             delimiter: str = ",") -> str:
    out = io.StringIO()
    writer = csv.writer(out, quoting=csv.QUOTE_ALL, lineterminator="\r\n", delimiter=delimiter)
    writer.writerow(header)
    writer.writerows(rows)
    text = out.getvalue()
    if footer:
        text += ('\r\n"Opportunity Pipeline"\r\n"Copyright (c) 2000-2026 salesforce.com, inc. '
                 'All rights reserved."\r\n"Confidential Information - Do Not Distribute"\r\n')
    return text


def write(folder: Path, name: str, text: str | bytes, encoding: str = "utf-8") -> Path:
    path = folder / name
    path.write_bytes(text if isinstance(text, bytes) else text.encode(encoding))
    return path


def rows_with(row: int, column: str, value: str) -> list[list[str]]:
    """The good rows with one value changed (``row`` is the file's line, 2-6)."""
    rows = [list(r) for r in ROWS]
    rows[row - 2][COL[column]] = value
    return rows


@pytest.fixture(scope="module")
def company():
    return simulate_company(CompanyConfig(months=12, scale=0.1), rng=1)


# ----------------------------------------------------------------------------- templates
def test_committed_templates_equal_a_fresh_write(tmp_path):
    written = write_templates(tmp_path)
    assert [p.name for p in written] == list(TEMPLATE_FILES)
    for path in written:
        assert path.read_bytes() == (TEMPLATES / path.name).read_bytes(), (
            f"data/crm_templates/{path.name} is stale: run "
            "revopslab.crm.write_templates('data/crm_templates') and commit it")
    readme = (TEMPLATES / "README.md").read_text(encoding="utf-8")
    for name in TEMPLATE_FILES:
        assert name in readme


@pytest.mark.parametrize("name", list(TEMPLATE_FILES))
def test_template_reads_back_the_simulated_opportunities(name, company):
    export = read_crm_export(TEMPLATES / name, mapping=MAPPING_OF[name])
    truth = company.opportunities.sort_values(["created_at", "opportunity_id"]).reset_index(
        drop=True)
    o = export.opportunities
    assert export.source.encoding == ENCODING_OF[name] == TEMPLATE_FILES[name]
    assert export.source.rows_read == export.source.rows_kept == len(truth) == 58
    assert export.quarantined.empty and export.source.unused_columns == ()
    assert o["opportunity_id"].is_unique
    np.testing.assert_array_equal(o["amount"], truth["amount"])
    assert o["stage"].tolist() == truth["stage"].tolist()
    assert o["status"].tolist() == truth["status"].tolist()
    assert o["is_won"].tolist() == truth["is_won"].tolist()
    np.testing.assert_array_equal(o["created_at"].dt.normalize(),
                                  truth["created_at"].dt.normalize())
    closed = truth["is_closed"].to_numpy()
    np.testing.assert_array_equal(o["closed_at"][closed].dt.normalize(),
                                  truth["closed_at"][closed].dt.normalize())
    assert o["closed_at"][~closed].isna().all()
    assert o["source_row"].tolist() == list(range(2, 60))  # 58 rows after the header
    if name.startswith("salesforce"):
        assert export.source.footer[1].startswith("Copyright (c)")
        np.testing.assert_allclose(o["rep_probability"], truth["rep_probability"], atol=0.005)
        assert o["forecast_category"].tolist() == truth["forecast_category"].tolist()
        assert o["owner_rep_id"].notna().all() and o["lead_source"].notna().all()
    else:  # HubSpot: no probability column, empty close dates on some open deals
        assert export.source.footer == ()
        assert o["rep_probability"][o["status"] == "won"].eq(1.0).all()
        assert o["expected_close_date"][o["status"] == "open"].isna().any()
        assert "default stage probabilities" in export.source.notes[0]
        np.testing.assert_array_equal(o["created_at"], truth["created_at"])


def test_output_has_the_package_dtypes_and_order(company):
    export = read_crm_export(TEMPLATES / "salesforce_opportunities_en.csv")
    o = export.opportunities
    package = [c for c in OPPORTUNITY_COLUMNS if c in o.columns]
    extras = [c for c in EXTRA_COLUMNS if c in o.columns]
    assert list(o.columns) == package + extras
    assert list(company.opportunities.columns) == list(OPPORTUNITY_COLUMNS)
    for col in package:
        assert o[col].dtype == company.opportunities[col].dtype, col


def test_english_template_dates_are_month_first():
    export = read_crm_export(TEMPLATES / "salesforce_opportunities_en.csv")
    assert export.source.date_order == "month/day/year"
    assert repr(export).startswith("<CrmExport salesforce_opportunities_en.csv: 58 rows read")


# ----------------------------------------------------------------------------- encodings
@pytest.mark.parametrize("encoding, header, delimiter, detected", [
    ("utf-8", EN, ",", "utf-8"),
    ("utf-8-sig", JA, ",", "utf-8-sig"),
    ("cp932", JA, ",", "cp932"),
    ("utf-16", JA, "\t", "utf-16"),  # Excel's "Unicode text": UTF-16 with BOM, tab-separated
    ("utf-8", JA, ";", "utf-8"),
])
def test_encodings_and_delimiters_are_detected(tmp_path, encoding, header, delimiter, detected):
    text = csv_text(header, ROWS, footer=True, delimiter=delimiter)
    export = read_crm_export(write(tmp_path, "x.csv", text, encoding))
    assert export.source.encoding == detected
    assert export.source.delimiter == delimiter
    assert export.source.rows_kept == 5 and export.quarantined.empty
    assert export.opportunities["amount"].tolist() == [1.2e6, 8e5, 2.5e6, 3e6, 5e5]
    assert export.opportunities["status"].tolist() == ["won", "lost", "open", "open", "open"]


def test_explicit_encoding_is_used_and_a_wrong_one_is_reported(tmp_path):
    path = write(tmp_path, "x.csv", csv_text(JA, ROWS), "cp932")
    assert read_crm_export(path, encoding="shift_jis").source.encoding == "shift_jis"
    with pytest.raises(CrmExportError, match=r"not utf-8 \(byte 0x8f on line 1"):
        read_crm_export(path, encoding="utf-8")


# ----------------------------------------------------------------------------- values
@pytest.mark.parametrize("text, expected", [
    ("2025/03/01", "2025-03-01 00:00"),
    ("2025-03-01", "2025-03-01 00:00"),
    ("2025/3/1", "2025-03-01 00:00"),
    ("2025.3.1", "2025-03-01 00:00"),
    ("2025年3月1日", "2025-03-01 00:00"),
    ("２０２５/０３/０１", "2025-03-01 00:00"),
    ("03/01/2025", "2025-03-01 00:00"),
    ("3/1/2025 9:05 PM", "2025-03-01 21:05"),
    ("3/1/2025 12:30 AM", "2025-03-01 00:30"),
    ("2025/03/01 21:05", "2025-03-01 21:05"),
    ("2025/3/1 9:05:30", "2025-03-01 09:05:30"),
    ("2025-03-01T21:05:00", "2025-03-01 21:05"),
    ("2025-03-01 21:05:00.000", "2025-03-01 21:05"),
    ("2025/3/1 午後9:05", "2025-03-01 21:05"),
    ("2025/3/1　9:05", "2025-03-01 09:05"),  # a full-width space
])
def test_date_formats(tmp_path, text, expected):
    path = write(tmp_path, "x.csv", csv_text(EN, rows_with(2, "Created Date", text)))
    export = read_crm_export(path)
    assert export.quarantined.empty, export.quarantined["reason"].tolist()
    assert export.opportunities.loc[0, "created_at"] == pd.Timestamp(expected)


def test_day_first_is_inferred_only_from_evidence(tmp_path):
    rows = [list(r) for r in ROWS]
    for r, (close, created) in zip(rows, [("25/03/2025", "01/02/2025"),
                                          ("15/03/2025", "10/01/2025"),
                                          ("30/06/2025", "01/04/2025"),
                                          ("31/05/2025", "20/03/2025"),
                                          ("31/07/2025", "02/05/2025")], strict=True):
        r[COL["Close Date"]], r[COL["Created Date"]] = close, created
    export = read_crm_export(write(tmp_path, "uk.csv", csv_text(EN, rows)))
    assert export.source.date_order == "day/month/year"
    assert export.opportunities.loc[0, "expected_close_date"] == pd.Timestamp("2025-03-25")
    assert export.opportunities.loc[0, "created_at"] == pd.Timestamp("2025-02-01")


@pytest.mark.parametrize("text, value, currency", [
    ("1200000", 1.2e6, None),
    ("1,200,000", 1.2e6, None),
    ("¥1,200,000", 1.2e6, "JPY"),
    ("￥１，２００，０００", 1.2e6, "JPY"),
    ("JPY 1,200,000", 1.2e6, "JPY"),
    ("1,200,000円", 1.2e6, "JPY"),
    ("\\1,200,000", 1.2e6, "JPY"),  # the yen sign of a Shift_JIS file read as CP932
    ("1200000.50", 1200000.5, None),
    (" 1,200,000 ", 1.2e6, None),
    ("USD 1,500.25", 1500.25, "USD"),
])
def test_amount_formats(tmp_path, text, value, currency):
    rows = [list(r) for r in ROWS]
    for r in rows:
        r[COL["Amount"]] = text
        r[COL["Probability (%)"]] = ""  # keep rows valid whatever the stage
    export = read_crm_export(write(tmp_path, "x.csv", csv_text(EN, rows)))
    assert export.quarantined.empty, export.quarantined["reason"].tolist()
    assert export.opportunities["amount"].eq(value).all()
    if currency is None:
        assert "currency" not in export.opportunities
    else:
        assert export.opportunities["currency"].eq(currency).all()


@pytest.mark.parametrize("text, reason", [
    ("-1,000", "is negative"), ("JPY -1,000", "is negative"), ("(1,000)", "is negative"),
    ("△1,000", "is negative"), ("1,20,000", "is not an amount"), ("1.2.3", "is not an amount"),
    ("abc", "is not an amount"), ("(1,000", "is not an amount"), ("5.", "is not an amount"),
    ("¥1,000円", "is not an amount"), ("1,000 2,000", "is not an amount"),
])
def test_unreadable_and_negative_amounts(tmp_path, text, reason):
    export = read_crm_export(write(tmp_path, "x.csv", _en(rows_with(4, "Amount", text))))
    assert export.quarantined["row"].tolist() == [4]
    assert f"Amount {reason}" in export.quarantined.loc[0, "reason"]
    assert export.source.rows_kept == 4


def test_probability_scales(tmp_path):
    rows = rows_with(4, "Probability (%)", "50%")
    export = read_crm_export(write(tmp_path, "x.csv", csv_text(EN, rows)))
    assert export.opportunities["rep_probability"].tolist() == [1.0, 0.0, 0.5, 0.75, 0.1]
    mapping = {**CRM_TEMPLATES["salesforce"].columns, "rep_probability": "Share"}
    header = [h if h != "Probability (%)" else "Share" for h in EN]
    shares = [list(r) for r in ROWS]
    for r, p in zip(shares, ["1", "0", "0.5", "0.75", "0.1"], strict=True):
        r[COL["Probability (%)"]] = p
    export = read_crm_export(write(tmp_path, "y.csv", csv_text(header, shares)), mapping=mapping)
    assert export.opportunities["rep_probability"].tolist() == [1.0, 0.0, 0.5, 0.75, 0.1]
    assert "read as shares" in export.source.notes[0]


# ----------------------------------------------------------------------------- broken files
@dataclass
class Broken:
    """One broken export: its text, encoding, and what the reader must say about it."""

    name: str
    text: str | bytes
    encoding: str = "utf-8"
    mapping: object = "salesforce"
    rows: dict[int, str | tuple[str, ...]] = field(default_factory=dict)  # row -> fragments
    error: tuple[str, ...] = ()  # fragments of the CrmExportError's message
    read: int = 5


def _ja(rows: list[list[str]], **kwargs) -> str:
    return csv_text(JA, rows, **kwargs)


def _en(rows: list[list[str]], **kwargs) -> str:
    return csv_text(EN, rows, **kwargs)


def _broken_cases() -> list[Broken]:
    good = _en(ROWS)
    lines = good.split("\r\n")
    hubspot = csv_text(["Record ID", "Deal Name", "Deal Stage", "Amount", "Close Date",
                        "Create Date"],
                       [["101", "A", "Closed Won", "100", "", "2025-01-01 10:00"],
                        ["102", "B", "Contract Sent", "100", "", "2025-01-01 10:00"]])
    return [
        # Row-level problems: quarantined with their line and reason.
        Broken("unparseable date", _en(rows_with(3, "Created Date", "yesterday")),
               rows={3: "Created Date is not a date"}),
        Broken("impossible date", _ja(rows_with(4, "Close Date", "2025/02/30")), "cp932",
               rows={4: "完了予定日 is not a date"}),
        Broken("invalid time", _en(rows_with(5, "Created Date", "2025/03/01 25:00")),
               "utf-8-sig", rows={5: "Created Date is not a date"}),
        Broken("negative amount", _en(rows_with(2, "Amount", "-1,000")), "utf-8-sig",
               rows={2: "Amount is negative: '-1,000'"}),
        Broken("negative amount, Japanese mark", _ja(rows_with(6, "Amount", "▲5,000")), "cp932",
               rows={6: "金額 is negative"}),
        Broken("unreadable amount", _en(rows_with(3, "Amount", "1,20,000")),
               rows={3: "Amount is not an amount"}),
        Broken("close before create", _ja(rows_with(3, "Close Date", "2024/12/31")), "cp932",
               rows={3: "完了予定日 2024-12-31 is before 作成日 2025-01-10"}),
        Broken("duplicate ID", _en(rows_with(5, "Opportunity ID", "006B")),
               rows={5: "duplicate Opportunity ID '006B' (first on row 3)"}),
        Broken("missing ID", _en(rows_with(2, "Opportunity ID", "  ")), "utf-8-sig",
               rows={2: "Opportunity ID is empty"}),
        Broken("overflowing amount", _ja(rows_with(4, "Amount", "9" * 400)), "cp932",
               rows={4: "金額 is too large to be an amount"}),
        Broken("missing close date", _en(rows_with(6, "Close Date", "")),
               rows={6: "Close Date is empty"}),
        Broken("empty stage", _en(rows_with(4, "Stage", " ")),
               rows={4: "Stage is empty"}),
        Broken("flag contradicts stage", _en(rows_with(5, "Won", "1")),
               rows={5: "Won '1' disagrees with Stage 'Negotiation/Review'"}),
        Broken("unreadable flag", _ja(rows_with(2, "Closed", "たぶん")), "utf-8-sig",
               rows={2: "完了 is not a yes/no value"}),
        Broken("probability above 100", _en(rows_with(3, "Probability (%)", "150")),
               rows={3: "Probability (%) is outside 0-100%"}),
        Broken("unknown forecast category", _ja(rows_with(6, "Forecast Category", "たぶん")),
               "cp932", rows={6: "売上予測分類 is not a forecast category"}),
        Broken("amount in another currency", _en(
            [[*r[:3], ("USD " if i == 2 else "JPY ") + r[3], *r[4:]] for i, r in enumerate(ROWS)]),
               rows={4: "the amount is in USD while the export's other amounts are in JPY"}),
        Broken("amount and currency column disagree", csv_text(
            [*EN, "Opportunity Currency"],
            [[*r, "JPY"] if i != 3 else [*r[:3], "USD 100", *r[4:], "JPY"]
             for i, r in enumerate(ROWS)]), "utf-8-sig",
               rows={5: "the row's amounts and currency disagree (USD, JPY)"}),
        Broken("too many values", "\r\n".join(lines[:3] + [lines[3] + ',"extra"'] + lines[4:]),
               rows={4: "the row has 12 values, the header has 11 columns"}),
        Broken("too few values", "\r\n".join(lines[:5] + ['"006D","Delta"'] + lines[6:]),
               "cp932", rows={6: "the row has 2 values"}),
        Broken("empty row", "\r\n".join(lines[:3] + [",,,,,,,,,,"] + lines[3:]), read=6,
               rows={4: "empty row"}),
        Broken("blank line", "\r\n".join(lines[:2] + [""] + lines[2:]), "utf-8-sig", read=6,
               rows={3: "empty row"}),
        Broken("a line after the data that is not a footer", good + '"Grand Totals"\r\n',
               read=6, rows={7: "the row has 1 value,"}),
        Broken("unclosed quote", "\r\n".join(lines[:3] + [lines[3][:-1]] + lines[4:]), read=4,
               rows={4: "values, the header has 11"}),
        Broken("multi-line note keeps row numbers", _en(
            [[*r[:10], "line 1\nline 2"] if i == 0 else r for i, r in enumerate(
                rows_with(3, "Amount", "-7"))]), rows={3: "Amount is negative"}),
        Broken("closed deal without close date (HubSpot)", hubspot, mapping="hubspot", read=2,
               rows={2: "Close Date is empty for a closed deal"}),
        Broken("several problems in one row", _en(
            [["", *r[1:3], "-5", *r[4:6], "soon", *r[7:]] if i == 1 else r
             for i, r in enumerate(ROWS)]),
               rows={3: ("Opportunity ID is empty; Created Date is not a date",
                         "Amount is negative: '-5'")}),
        # File-level problems: one CrmExportError listing every problem.
        Broken("missing required column", csv_text(
            [h for h in EN if h != "Amount"], [r[:3] + r[4:] for r in ROWS]),
               error=("no column for amount (required): expected one of 'Amount', '金額'",
                      "found columns: 'Opportunity ID', 'Opportunity Name', 'Stage'")),
        Broken("two missing columns in CP932", csv_text(
            [h for h in JA if h not in ("金額", "作成日")],
            [r[:3] + r[4:6] + r[7:] for r in ROWS]), "cp932",
               error=("2 problems", "no column for amount", "no column for created_at")),
        Broken("unknown mapping", good, mapping="salesfroce",
               error=("mapping must be one of ['salesforce', 'hubspot']",
                      "the headers look like mapping='salesforce'")),
        Broken("unreadable encoding", b'"Opportunity ID"\r\n"\x82\xff\xfe"\r\n',
               error=("not utf-8 (byte 0x82 on line 2", "not cp932")),
        Broken("unknown mapping and unreadable encoding", b"\x82\xff\x80\x80", mapping="sf",
               error=("2 problems", "mapping must be one of", "not utf-8", "not cp932")),
        Broken("empty file", b"", error=("the file is empty (0 bytes)",)),
        Broken("byte-order mark only", b"\xef\xbb\xbf", error=("byte-order mark only",)),
        Broken("header only", csv_text(EN, []), "cp932",
               error=("has a header but no data rows",)),
        Broken("header only, then a footer", csv_text(EN, [], footer=True),
               error=("has a header but no data rows",)),
        Broken("blank header line", "\r\n" + good, error=("the header) is blank",)),
        Broken("Excel workbook", b"PK\x03\x04\x14\x00\x06\x00" + b"\x00" * 40,
               error=("the workbook cannot be read",)),
        Broken("duplicate header", csv_text(EN + ["Amount"], [r + ["1"] for r in ROWS]),
               error=("column 'Amount' appears 2 times (columns 4, 12)",)),
        Broken("dict mapping with a typo and no ID", good,
               mapping={"stage": "Stage", "ammount": "Amount", "amount": "Amount",
                        "created_at": "Created Date", "expected_close_date": "Close Date"},
               error=("'ammount' is not a column the reader knows",
                      "no header for the required column(s) ['opportunity_id']")),
    ]


BROKEN = _broken_cases()


def test_there_are_at_least_twenty_distinct_broken_files():
    assert len(BROKEN) >= 20
    assert len({case.name for case in BROKEN}) == len(BROKEN)
    assert len({(repr(case.text), case.encoding, repr(case.mapping))
                for case in BROKEN}) == len(BROKEN)
    assert {"utf-8", "utf-8-sig", "cp932"} <= {case.encoding for case in BROKEN}


@pytest.mark.parametrize("case", BROKEN, ids=[case.name for case in BROKEN])
def test_every_problem_is_reported_or_quarantined_and_counted(tmp_path, case):
    if isinstance(case.text, bytes):
        path = write(tmp_path, "broken.csv", case.text)
    else:
        path = write(tmp_path, "broken.csv", case.text, case.encoding)
    out = tmp_path / "quarantine.csv"
    if case.error:
        with pytest.raises(CrmExportError) as info:
            read_crm_export(path, mapping=case.mapping, quarantine=out)
        message = str(info.value)
        for fragment in case.error:
            assert fragment in message, message
        assert not out.exists()
        return
    export = read_crm_export(path, mapping=case.mapping, quarantine=out)
    source, bad = export.source, export.quarantined
    assert source.rows_read == case.read
    assert source.rows_read == source.rows_kept + source.rows_quarantined
    assert len(export.opportunities) == source.rows_kept and len(bad) == source.rows_quarantined
    assert bad["row"].tolist() == sorted(case.rows), bad[["row", "reason"]].to_dict("records")
    for row, fragments in case.rows.items():
        reason = bad.set_index("row").loc[row, "reason"]
        for fragment in (fragments,) if isinstance(fragments, str) else fragments:
            assert fragment in reason, reason
    kept = set(export.opportunities["source_row"])
    assert kept.isdisjoint(case.rows) and len(kept) == source.rows_kept
    back = pd.read_csv(out, encoding="utf-8-sig", dtype=str, keep_default_na=False)
    assert back["row"].astype(int).tolist() == bad["row"].tolist()
    assert back["reason"].tolist() == bad["reason"].tolist()


def test_error_lists_expected_and_found_columns_and_pickles(tmp_path):
    path = write(tmp_path, "x.csv", csv_text(["Deal", "Value"], [["1", "2"]]))
    with pytest.raises(CrmExportError) as info:
        read_crm_export(path)
    error = info.value
    assert isinstance(error, ValueError)
    assert len(error.problems) == 5  # the five required columns the file lacks
    assert error.found == ("Deal", "Value")
    assert error.expected["amount"] == ("Amount", "金額")
    assert "expected columns: opportunity_id (required): 'Opportunity ID' or '商談 ID'" \
        in str(error)
    again = pickle.loads(pickle.dumps(error))
    assert str(again) == str(error) and again.problems == error.problems


# ----------------------------------------------------------------------------- footer, rows
def test_salesforce_footer_is_recognised_not_read(tmp_path):
    export = read_crm_export(write(tmp_path, "x.csv", _en(ROWS, footer=True)))
    assert export.source.footer == (
        "Opportunity Pipeline",
        "Copyright (c) 2000-2026 salesforce.com, inc. All rights reserved.",
        "Confidential Information - Do Not Distribute")
    assert export.source.rows_read == 5 and export.quarantined.empty


def test_quarantine_keeps_the_rows_values_under_the_export_headers(tmp_path):
    header = [*EN[:-1], "reason"]  # an export column called like ours
    path = write(tmp_path, "x.csv", csv_text(header, rows_with(3, "Amount", "lots")))
    bad = read_crm_export(path).quarantined
    assert list(bad.columns) == ["row", "reason", *EN[:-1], "reason (export)", "raw_line"]
    assert bad.loc[0, "Amount"] == "lots" and bad.loc[0, "Opportunity Name"] == "Beta"


def test_no_quarantine_file_is_written_when_no_row_is_quarantined(tmp_path):
    path = write(tmp_path, "x.csv", _en(ROWS))
    out = tmp_path / "q.csv"
    assert read_crm_export(path, quarantine=out).quarantined.empty
    assert not out.exists()
    # an earlier read's list at that path is out of date: removed
    out.write_text("row,reason\n3,old\n", encoding="utf-8")
    read_crm_export(path, quarantine=out)
    assert not out.exists()
    # a bad row: the file is written (UTF-8 with BOM, which Excel opens)
    bad = write(tmp_path, "y.csv", _en([*ROWS, ["006Z", "Zeta", "Closed Won", "lots",
                                                *ROWS[0][4:]]]))
    assert len(read_crm_export(bad, quarantine=out).quarantined) == 1
    assert out.read_bytes().startswith(b"\xef\xbb\xbf")
    assert pd.read_csv(out)["row"].tolist() == [len(ROWS) + 2]


def test_custom_mapping_and_stages(tmp_path):
    header = ["Deal", "Phase", "ARR", "Expected", "Opened", "Segment__c", "Email"]
    rows = [["D1", "Demo Done", "1,000", "2025/03/01", "2025/01/01", "SMB", "ta@x.jp"],
            ["D2", "Won", "2,000", "2025/03/01", "2025/01/01", "ENT", ""]]
    path = write(tmp_path, "x.csv", csv_text(header, rows))
    mapping = {"opportunity_id": "Deal", "stage": "Phase", "amount": ["Value", "ARR"],
               "expected_close_date": "Expected", "created_at": "Opened",
               "segment": "Segment__c"}
    export = read_crm_export(path, mapping=mapping,
                             stages={"Demo Done": "demo", "Won": "closed_won"})
    o = export.opportunities
    assert o["stage"].tolist() == ["demo", "closed_won"]
    assert o["segment"].tolist() == ["SMB", "ENT"]
    assert export.source.mapping == "custom"
    assert export.source.columns["amount"] == "ARR"
    assert export.source.unused_columns == ("Email",)
    without = read_crm_export(path, mapping=mapping)  # no stage map: nothing quarantined
    assert without.source.rows_quarantined == 0
    assert without.opportunities["stage"].tolist() == ["unmapped", "closed_won"]
    assert without.opportunities["status"].tolist() == ["open", "won"]
    assert without.source.stages == (("Demo Done", "unmapped", "unmapped: kept as an open deal",
                                      1), ("Won", "closed_won", "won/lost word", 1))
    assert export.source.stages == (("Demo Done", "demo", "your stage map", 1),
                                    ("Won", "closed_won", "your stage map", 1))
    with pytest.raises(CrmExportError, match="stages\\['Won'\\] must be one of"):
        read_crm_export(path, mapping=mapping, stages={"Won": "won"})


def test_headers_match_whatever_their_width_case_and_spacing(tmp_path):
    header = ["opportunity id", "STAGE", "amount", "CloseDate", "created_date", "確度（％）"]
    rows = [["1", "closed won", "１００", "2025/3/1", "2025/2/1", "１００"]]
    export = read_crm_export(write(tmp_path, "x.csv", csv_text(header, rows)))
    assert export.source.columns["rep_probability"] == "確度（％）"
    assert export.opportunities.loc[0, "rep_probability"] == 1.0
    assert export.opportunities.loc[0, "stage"] == "closed_won"


def test_no_row_surviving_is_a_file_level_error_naming_the_top_reasons(tmp_path):
    text = _en(ROWS).split("\r\n")[0] + "\r\n" + '"1","2"\r\n"3"\r\n"4","5"\r\n'
    out = tmp_path / "q.csv"
    with pytest.raises(CrmExportError) as info:
        read_crm_export(write(tmp_path, "x.csv", text), quarantine=out)
    message = str(info.value)
    assert ("no row could be read: all 3 rows were quarantined. Top reasons: the row has 2 "
            "values, the header has 11 columns (2 rows); the row has 1 value, the header has 11 "
            "columns (1 rows)") in message
    assert str(out) in message
    assert len(pd.read_csv(out)) == 3  # the quarantine file is still written


# ----------------------------------------------------------------------------- safety
HOSTILE = [
    "it's \"quoted\".csv",
    "line\nbreak.csv",
    "__import__('os').system('touch PWNED')",
    "'; DROP TABLE deals; --",
    "{mapping}\\x00.csv",
    "nul\x00byte.csv",
]


@pytest.mark.parametrize("name", HOSTILE)
def test_hostile_path_is_only_a_file_name(tmp_path, monkeypatch, name):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(FileNotFoundError) as info:
        read_crm_export(tmp_path / name)
    assert repr(str(tmp_path / name)) in str(info.value)
    assert not (tmp_path / "PWNED").exists()


@pytest.mark.parametrize("name", HOSTILE + ["salesforce\n", "hubspot' or '1'='1", ""])
def test_hostile_mapping_name_is_only_data(tmp_path, monkeypatch, name):
    monkeypatch.chdir(tmp_path)
    path = write(tmp_path, "x.csv", _en(ROWS))
    with pytest.raises(ValueError) as info:
        read_crm_export(path, mapping=name)
    assert "['salesforce', 'hubspot']" in str(info.value) and repr(name) in str(info.value)
    assert not (tmp_path / "PWNED").exists()


def test_hostile_encoding_and_wrong_types(tmp_path):
    path = write(tmp_path, "x.csv", _en(ROWS))
    with pytest.raises(CrmExportError, match="is not an encoding Python knows"):
        read_crm_export(path, encoding="utf-8'); import os #")
    with pytest.raises(TypeError, match="path must be a str or os.PathLike"):
        read_crm_export(123)
    with pytest.raises(TypeError, match="mapping must be"):
        read_crm_export(path, mapping=["salesforce"])
    with pytest.raises(TypeError, match="encoding must be a str"):
        read_crm_export(path, encoding=8)
    with pytest.raises(FileNotFoundError, match="a directory"):
        read_crm_export(tmp_path)
    with pytest.raises(FileNotFoundError, match="quarantine must be a file in an existing"):
        read_crm_export(path, quarantine=tmp_path / "no" / "q.csv")
    with pytest.raises(ValueError, match="quarantine must not be the export itself"):
        read_crm_export(path, quarantine=path)
    with pytest.raises(CrmExportError, match="'status' is computed by the reader"):
        read_crm_export(path, mapping={**CRM_TEMPLATES["salesforce"].columns, "status": "X"})


# ----------------------------------------------------------------------------- privacy
def test_mask_pii_masks_emails_and_phones_only():
    frame = pd.DataFrame({
        "contact": ["tanaka@example.co.jp", "Call 03-1234-5678 090-1234-5678", "a@b.jp",
                    "+81-3-1234-5678", "(03) 1234-5678", "09012345678", "0120-123-456", None],
        "safe": ["20000023757", "2025-03-01 09:05", "1,200,000", "0.1234567890",
                 "〒100-0001", "O000123", "v1.2.3", "ID 12345678901"],
        "amount": [1.0] * 8,
        "mixed": [1, "sato@example.com", None, 2.5, "x", "03-1111-2222", ("a@b.jp",), "y"],
    })
    before = frame.copy()
    masked = mask_pii(frame)
    pd.testing.assert_frame_equal(frame, before)  # the input is untouched
    assert masked["contact"].tolist()[:7] == [
        "ta***@example.co.jp", "Call 03-****-5678 090-****-5678", "a***@b.jp",
        "+81-*-****-5678", "(03) ****-5678", "090****5678", "0120-***-456"]
    assert pd.isna(masked.loc[7, "contact"])
    pd.testing.assert_series_equal(masked["safe"], frame["safe"])
    pd.testing.assert_series_equal(masked["amount"], frame["amount"])
    assert masked["mixed"].tolist()[:6] == [1, "sa***@example.com", None, 2.5, "x", "03-****-2222"]
    assert masked["mixed"].tolist()[6] == ("a@b.jp",)  # only text is masked
    only = mask_pii(frame, columns=["safe"])
    pd.testing.assert_series_equal(only["contact"], frame["contact"])
    with pytest.raises(ValueError, match="columns must be columns of frame"):
        mask_pii(frame, columns=["nope"])
    with pytest.raises(TypeError, match="frame must be a pandas DataFrame"):
        mask_pii(frame["contact"])


def test_mask_pii_on_an_export_with_contacts(tmp_path):
    header = [*EN, "Contact Email", "Contact Phone"]
    rows = [[*r, f"user{i}@example.com", f"03-5555-{1000 + i}"] for i, r in enumerate(ROWS)]
    export = read_crm_export(write(tmp_path, "x.csv", csv_text(header, rows), "cp932"),
                             mapping={**CRM_TEMPLATES["salesforce"].columns,
                                      "opportunity_name": "Contact Email",
                                      "account_name": "Contact Phone"})
    masked = mask_pii(export.opportunities)
    assert masked["opportunity_name"].tolist()[0] == "us***@example.com"
    assert masked["account_name"].tolist()[0] == "03-****-1000"
    assert masked["opportunity_id"].equals(export.opportunities["opportunity_id"])


# ----------------------------------------------------------------------------- benchmark helper
def test_synthetic_export_is_deterministic_and_reads_clean(tmp_path):
    a = synthetic_export(3_000, tmp_path / "a.csv", rng=7)
    b = synthetic_export(3_000, tmp_path / "b.csv", rng=np.random.default_rng(7))
    assert a.read_bytes() == b.read_bytes()
    export = read_crm_export(a)
    assert isinstance(export, CrmExport)
    assert export.source.rows_read == 3_000 == export.source.rows_kept
    o = export.opportunities
    assert o["opportunity_id"].is_unique
    assert (o["expected_close_date"] >= o["created_at"]).all()
    assert o["amount"].ge(100_000).all() and o["amount"].mod(1000).eq(0).all()
    assert set(o["status"]) == {"open", "won", "lost"}
    assert len(export.source.footer) == 4
    with pytest.raises(ValueError, match="n_rows must be an int >= 1"):
        synthetic_export(0, tmp_path / "c.csv", rng=1)


def test_large_date_time_columns_take_the_split_path(tmp_path, monkeypatch):
    monkeypatch.setattr(crm, "_MANY", 3)  # force the split into dates and times
    rows = [list(r) for r in ROWS]
    for i, r in enumerate(rows):
        r[COL["Created Date"]] = f"2025/01/0{i + 1} 1{i}:3{i}"
    rows[4][COL["Created Date"]] = "2025/01/05 99:00"
    export = read_crm_export(write(tmp_path, "x.csv", csv_text(EN, rows)))
    assert export.opportunities["created_at"].tolist() == [
        pd.Timestamp(f"2025-01-0{i + 1} 1{i}:3{i}") for i in range(4)]
    assert export.quarantined["row"].tolist() == [6]


def test_committed_exports_with_leads_and_billing_equal_a_fresh_write(company, tmp_path):
    from revopslab.crm import write_company_exports

    folder = TEMPLATES / "with_leads_and_billing"
    written = write_company_exports(company, tmp_path)
    for path in written.values():
        assert path.read_bytes() == (folder / path.name).read_bytes(), (
            f"data/crm_templates/with_leads_and_billing/{path.name} is stale: run "
            "revopslab.crm.write_company_exports(company, that folder) and commit it")
    readme = (TEMPLATES / "README.md").read_text(encoding="utf-8")
    assert all(f"`{path.name}`" in readme for path in written.values())
