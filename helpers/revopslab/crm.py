"""Read a user's own CRM export (Salesforce report, HubSpot deals) into the opportunities table."""

from __future__ import annotations

import codecs
import contextlib
import csv
import dataclasses
import datetime as dt
import functools
import io
import os
import re
import unicodedata
import warnings
from collections.abc import Mapping, Sequence
from pathlib import Path
from types import MappingProxyType
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
from dateutil import parser as dateutil_parser
from pandas.tseries.api import guess_datetime_format

from ._safe_io import write_safe_csv
from .simulate import _STAGE_PROBABILITY, OPPORTUNITY_STAGES
from .vocabulary import STAGES as _WATERFALL_STAGES

__all__ = [
    "CrmExport",
    "CrmSource",
    "CrmTemplate",
    "CrmExportError",
    "CRM_TEMPLATES",
    "OPPORTUNITY_COLUMNS",
    "EXTRA_COLUMNS",
    "REQUIRED_COLUMNS",
    "STAGE_LABELS",
    "FORECAST_LABELS",
    "TEMPLATE_FILES",
    "QUARANTINE_COLUMNS",
    "read_crm_export",
    "read_table_export",
    "write_company_exports",
    "TableExport",
    "TABLE_TEMPLATES",
    "LEAD_COLUMNS",
    "MOTION_LABELS",
    "BILLING_COLUMNS",
    "mask_pii",
    "write_templates",
    "synthetic_export",
    "parse_date",
    "reason_counts",
    "UNMAPPED",
    "DATE_ORDERS",
    "MAPPING_SUFFIXES",
]

# ----------------------------------------------------------------------------- vocabulary
#: Columns of the package's ``opportunities`` table, in order: the reader returns those
#: the export has (or that follow from it), in this order.
OPPORTUNITY_COLUMNS: tuple[str, ...] = (
    "opportunity_id", "lead_id", "account_id", "owner_rep_id", "segment", "opportunity_type",
    "created_at", "expected_close_date", "closed_at", "stage", "is_closed", "is_won", "status",
    "list_amount", "discount", "amount", "rep_probability", "forecast_category", "activities",
)

#: Columns an export may add after the package's own (when it has them). ``stage_label``
#: keeps the export's own stage name; ``source_row`` is the row's line in the file.
EXTRA_COLUMNS: tuple[str, ...] = (
    "opportunity_name", "account_name", "stage_label", "pipeline", "lead_source", "currency",
    "push_count", "source_row",
)

#: File names a mapping file may have (``revopslab mapping suggest`` writes YAML).
MAPPING_SUFFIXES: tuple[str, ...] = (".yaml", ".yml")

#: Columns every mapping must find in the file.
REQUIRED_COLUMNS: tuple[str, ...] = (
    "opportunity_id", "stage", "amount", "created_at", "expected_close_date",
)
# Values a row cannot do without. An empty amount is kept (the deal counts in win rates,
# stage counts and cycle times, not in sums); the stage's emptiness is checked with it.
_REQUIRED_VALUES = ("opportunity_id",)

# What each mappable column holds, which decides how its text is parsed.
_KINDS: Mapping[str, str] = MappingProxyType({
    "opportunity_id": "text", "lead_id": "text", "account_id": "text", "owner_rep_id": "text",
    "segment": "text", "opportunity_type": "type", "created_at": "date",
    "expected_close_date": "date", "closed_at": "date", "stage": "stage", "is_closed": "flag",
    "is_won": "flag", "list_amount": "money", "discount": "share", "amount": "money",
    "rep_probability": "share", "forecast_category": "forecast", "activities": "count",
    "opportunity_name": "text", "account_name": "text", "pipeline": "text",
    "lead_source": "text", "currency": "currency", "deal_status": "outcome",
    "push_count": "count",
})
_DERIVED = ("status", "stage_label", "source_row")
_CLOSED = ("closed_won", "closed_lost")
_PACKAGE_STAGES = tuple(OPPORTUNITY_STAGES) + _CLOSED

#: Stage names of Salesforce (default sales process, English and Japanese labels and
#: API values), HubSpot (default pipeline: labels and internal values) and the package,
#: each with the package stage it stands for. Matching ignores case, width, spaces,
#: hyphens and underscores. ``read_crm_export(stages=...)`` adds your own.
STAGE_LABELS: Mapping[str, str] = MappingProxyType({
    # Salesforce, default sales process (English labels = API values).
    "Prospecting": "discovery", "Qualification": "discovery", "Needs Analysis": "demo",
    "Value Proposition": "demo", "Id. Decision Makers": "demo", "Perception Analysis": "demo",
    "Proposal/Price Quote": "proposal", "Negotiation/Review": "negotiation",
    "Closed Won": "closed_won", "Closed Lost": "closed_lost",
    # Salesforce Starter's simplified process.
    "Qualify": "discovery", "Meet & Present": "demo", "Propose": "proposal",
    "Negotiate": "negotiation",
    # Salesforce, Japanese labels.
    "見込み客": "discovery", "評価": "discovery", "ニーズ分析": "demo", "価値提案": "demo",
    "意思決定者の特定": "demo", "認識分析": "demo", "提案/見積": "proposal",
    "交渉/レビュー": "negotiation", "成立": "closed_won", "不成立": "closed_lost",
    "見極め": "discovery", "会議・説明": "demo", "提案": "proposal", "交渉": "negotiation",
    "成約": "closed_won", "受注": "closed_won", "失注": "closed_lost",
    # HubSpot default pipeline: labels and internal values.
    "Appointment Scheduled": "discovery", "Qualified to Buy": "discovery",
    "Presentation Scheduled": "demo", "Decision Maker Bought-In": "proposal",
    "Contract Sent": "negotiation", "closedwon": "closed_won", "closedlost": "closed_lost",
    "appointmentscheduled": "discovery", "qualifiedtobuy": "discovery",
    "presentationscheduled": "demo", "decisionmakerboughtin": "proposal",
    "contractsent": "negotiation",
    # HubSpot, Japanese labels.
    "アポ設定済み": "discovery", "購入見込みあり": "discovery", "プレゼン予定済み": "demo",
    "決裁者の賛同": "proposal", "契約書送付済み": "negotiation",
    # The package's own names.
    **{stage: stage for stage in _PACKAGE_STAGES},
})

#: Salesforce forecast categories (English, Japanese, API) and HubSpot's, with the
#: package's name for each.
FORECAST_LABELS: Mapping[str, str] = MappingProxyType({
    "Pipeline": "Pipeline", "Best Case": "Best Case", "Commit": "Commit", "Closed": "Closed",
    "Omitted": "Omitted", "Omit": "Omitted", "パイプライン": "Pipeline",
    "最善達成予測": "Best Case", "達成予測": "Commit", "完了": "Closed",
    "売上予測から除外": "Omitted",
})

_TYPES = {
    "New Business": "new_business", "新規ビジネス": "new_business", "新規": "new_business",
    "Existing Business": "existing_business", "既存ビジネス": "existing_business",
    "Existing Customer - Upgrade": "existing_business",
    "Existing Customer - Replacement": "existing_business",
    "Existing Customer - Downgrade": "existing_business",
    "既存顧客 - アップグレード": "existing_business", "既存顧客 - 交換": "existing_business",
    "既存顧客 - ダウングレード": "existing_business",
    "Win Back": "win_back", "再契約": "win_back", "new_business": "new_business",
    "win_back": "win_back",
}
_TRUE = ("1", "true", "yes", "y", "t", "はい", "✓", "○", "◯", "●", "on")
_FALSE = ("0", "false", "no", "n", "f", "いいえ", "×", "off")
_CURRENCY_MARKS = {"¥": "JPY", "\\": "JPY", "円": "JPY", "$": "USD", "€": "EUR", "£": "GBP"}

_SEPARATORS = re.compile(r"[\s_\-]+")


def _key(text: str) -> str:
    """Matching key of a header or a label: NFKC width-folded, case-folded, no spaces."""
    return _SEPARATORS.sub("", unicodedata.normalize("NFKC", str(text)).casefold())


_STAGE_KEYS = {_key(label): stage for label, stage in STAGE_LABELS.items()}
_FORECAST_KEYS = {_key(label): value for label, value in FORECAST_LABELS.items()}
_TYPE_KEYS = {_key(label): value for label, value in _TYPES.items()}
_FLAG_KEYS = {**{_key(v): True for v in _TRUE}, **{_key(v): False for v in _FALSE}}


# ----------------------------------------------------------------------------- templates
@dataclasses.dataclass(frozen=True)
class CrmTemplate:
    """How one CRM's export names the columns of the opportunities table.

    Attributes
    ----------
    name
        The template's name (``"custom"`` for a mapping you pass as a dict).
    columns
        Our column -> the export's headers that may hold it, in order of
        preference (English and Japanese labels, API names). Headers match
        ignoring case, width (全角/半角), spaces, hyphens and underscores.
    probability_scale
        100 when the export writes probabilities in percent (``60`` = 60 %),
        1 when as shares (``0.6``); ``None`` infers it from the values (a
        ``%`` sign or any value above 1 means percent).
    close_date_required
        True when every row must have a close date (Salesforce requires one);
        False when only closed deals need one (HubSpot leaves it empty on open deals).
    stage_probability
        Default win probability of each stage label, used when the export has
        no probability column (HubSpot's default pipeline).
    stages
        The export's own stage labels -> package stages (a mapping file's
        ``stages``); ``read_crm_export(stages=...)`` adds to them.
    date_order
        ``"month/day/year"`` or ``"day/month/year"`` for dates with the year
        last; ``None`` decides it from each column's values.
    decimal
        ``"."`` or ``","``: the decimal mark of amounts and numbers; ``None``
        decides it from each column's values.
    currency
        The currency of amounts that carry no mark (ISO code, e.g. ``"JPY"``).
    sheet
        The sheet of an ``.xlsx`` workbook to read (name or 0-based index;
        default the first).
    """

    name: str
    columns: Mapping[str, tuple[str, ...]]
    probability_scale: float | None = None
    close_date_required: bool = False
    stage_probability: Mapping[str, float] | None = None
    stages: Mapping[str, str] | None = None
    date_order: str | None = None
    decimal: str | None = None
    currency: str | None = None
    sheet: str | int | None = None


def _template(name: str, columns: Mapping[str, Sequence[str]], **options: Any) -> CrmTemplate:
    return CrmTemplate(name, MappingProxyType({k: tuple(v) for k, v in columns.items()}),
                       **options)


_SALESFORCE = _template("salesforce", {
    "opportunity_id": ("Opportunity ID", "商談 ID", "Id"),
    "opportunity_name": ("Opportunity Name", "商談名", "Name"),
    "account_id": ("Account ID", "取引先 ID", "AccountId", "Account Name", "取引先名"),
    "account_name": ("Account Name", "取引先名"),
    "owner_rep_id": ("Opportunity Owner", "商談 所有者", "所有者", "Owner", "OwnerId"),
    "stage": ("Stage", "フェーズ", "StageName"),
    "amount": ("Amount", "金額"),
    "currency": ("Opportunity Currency", "Amount Currency", "商談 通貨", "通貨",
                 "CurrencyIsoCode"),
    "expected_close_date": ("Close Date", "完了予定日"),
    "created_at": ("Created Date", "作成日"),
    "rep_probability": ("Probability (%)", "確度 (%)", "Probability"),
    "forecast_category": ("Forecast Category", "売上予測分類", "ForecastCategoryName"),
    "opportunity_type": ("Type", "種別"),
    "lead_source": ("Lead Source", "リードソース"),
    "is_won": ("Won", "成立", "IsWon"),
    "is_closed": ("Closed", "完了", "IsClosed"),
    "push_count": ("Push Count", "PushCount"),
}, probability_scale=100.0, close_date_required=True)

_HUBSPOT = _template("hubspot", {
    "opportunity_id": ("Record ID", "レコードID", "hs_object_id"),
    "opportunity_name": ("Deal Name", "取引名", "dealname"),
    "account_id": ("Associated Company IDs", "Associated Company", "関連付けられた会社"),
    "account_name": ("Associated Company", "関連付けられた会社"),
    "owner_rep_id": ("Deal owner", "取引担当者", "hubspot_owner_id"),
    "stage": ("Deal Stage", "取引ステージ", "dealstage"),
    "pipeline": ("Pipeline", "パイプライン"),
    "amount": ("Amount", "金額"),
    "currency": ("Currency", "通貨", "deal_currency_code"),
    "expected_close_date": ("Close Date", "クローズ日", "closedate"),
    "created_at": ("Create Date", "作成日", "createdate"),
    "rep_probability": ("Deal probability", "取引確度", "hs_deal_stage_probability"),
    "forecast_category": ("Forecast category", "売上予測カテゴリー",
                          "hs_manual_forecast_category"),
    "opportunity_type": ("Deal Type", "取引タイプ", "dealtype"),
    "lead_source": ("Original Source", "hs_analytics_source"),
}, probability_scale=None, close_date_required=False, stage_probability=MappingProxyType({
    _key(label): p for labels, p in (
        (("Appointment Scheduled", "appointmentscheduled", "アポ設定済み"), 0.2),
        (("Qualified to Buy", "qualifiedtobuy", "購入見込みあり"), 0.4),
        (("Presentation Scheduled", "presentationscheduled", "プレゼン予定済み"), 0.6),
        (("Decision Maker Bought-In", "decisionmakerboughtin", "決裁者の賛同"), 0.8),
        (("Contract Sent", "contractsent", "契約書送付済み"), 0.9),
        (("Closed Won", "closedwon", "成約"), 1.0),
        (("Closed Lost", "closedlost", "失注"), 0.0),
    ) for label in labels
}))

#: The built-in templates by name: ``"salesforce"`` (an opportunity report, English or
#: Japanese, or a Data Loader export by API names) and ``"hubspot"`` (a deals export).
CRM_TEMPLATES: Mapping[str, CrmTemplate] = MappingProxyType({
    "salesforce": _SALESFORCE, "hubspot": _HUBSPOT,
})

#: The sample exports :func:`write_templates` writes, with their encodings.
TEMPLATE_FILES: Mapping[str, str] = MappingProxyType({
    "salesforce_opportunities_ja_cp932.csv": "cp932",
    "salesforce_opportunities_en.csv": "utf-8",
    "hubspot_deals_ja_utf8bom.csv": "utf-8-sig",
})

#: Columns of :attr:`CrmExport.quarantined` before and after the export's own columns.
QUARANTINE_COLUMNS: tuple[str, ...] = ("row", "reason")
_RAW_LINE = "raw_line"


# ----------------------------------------------------------------------------- results
class CrmExportError(ValueError):
    """The export cannot be read at all; lists every file-level problem at once.

    Attributes
    ----------
    problems : tuple of str
        One sentence per problem (missing column, unknown mapping, unreadable
        encoding, empty file ...).
    path : str
        The file that was read.
    expected : dict or None
        Our column -> the headers the mapping looks for (when the mapping is known).
    found : tuple of str or None
        The headers the file has (when its first line could be read).

    Examples
    --------
    >>> error = CrmExportError(["no column for amount: expected one of 'Amount', '金額'"],
    ...                        path="deals.csv", mapping="salesforce",
    ...                        found=("Opportunity ID", "Stage"))
    >>> print(error)
    1 problem reading 'deals.csv' (mapping 'salesforce'):
    - no column for amount: expected one of 'Amount', '金額'
    found columns: 'Opportunity ID', 'Stage'
    """

    def __init__(self, problems: Sequence[str], path: str | None = None,
                 mapping: str | None = None, expected: Mapping[str, Sequence[str]] | None = None,
                 found: Sequence[str] | None = None) -> None:
        self.problems = tuple(problems)
        self.path = path
        self.mapping = mapping
        self.expected = None if expected is None else {k: tuple(v) for k, v in expected.items()}
        self.found = None if found is None else tuple(found)
        count = len(self.problems)
        head = f"{count} problem{'s' if count != 1 else ''} reading {path!r}"
        if mapping is not None:
            head += f" (mapping {mapping!r})"
        lines = [head + ":", *(f"- {p}" for p in self.problems)]
        if self.expected:
            shown = "; ".join(
                f"{col}{' (required)' if col in REQUIRED_COLUMNS else ''}: "
                + " or ".join(repr(h) for h in headers)
                for col, headers in self.expected.items())
            lines.append(f"expected columns: {shown}")
        if self.found is not None:
            lines.append("found columns: " + (", ".join(repr(h) for h in self.found)
                                              or "(none)"))
        super().__init__("\n".join(lines))

    def __reduce__(self):  # keep the error picklable (e.g. across pytest-xdist workers)
        return (type(self), (self.problems, self.path, self.mapping, self.expected, self.found))


@dataclasses.dataclass(frozen=True)
class CrmSource:
    """Where an export came from and what reading it did.

    Attributes
    ----------
    path
        The file read.
    mapping
        The template's name, or ``"custom"`` for a dict.
    encoding
        The encoding used: ``"utf-8"``, ``"utf-8-sig"`` (UTF-8 with BOM),
        ``"cp932"`` (Shift_JIS as Windows/Excel writes it), ``"utf-16"`` or
        the one passed as ``encoding=``.
    delimiter
        The field separator found in the header line.
    rows_read
        Data rows in the file (not counting the header, the footer or trailing
        blank lines); always ``rows_kept + rows_quarantined``.
    rows_kept, rows_quarantined
        Rows in :attr:`CrmExport.opportunities` and :attr:`CrmExport.quarantined`.
    columns
        Our column -> the export's header it was read from.
    unused_columns
        The export's headers no column was read from.
    footer
        Lines after the data that were recognised as a report footer (a blank
        line, then the report's title, copyright, "Confidential Information"
        lines) and not read as rows.
    date_order
        How dates with the year last were read: ``"month/day/year"`` (US, the
        default) or ``"day/month/year"`` (when some day is above 12 in the
        first place and none in the second); ``None`` when there were none.
    notes
        Anything else the reader decided, in words (decimal commas, date
        orders, deals without an amount ...).
    stages
        Every stage label of the export: ``(label, package stage, how it was
        resolved, rows)``; how is ``"built-in label"``, ``"your stage map"``,
        ``"Won/Closed columns"``, ``"probability 20%"``, ``"won/lost word"`` or
        ``"unmapped: kept as an open deal"`` (stage :data:`UNMAPPED`).
    missing_amounts
        Deals kept without an amount (left out of sums only).
    """

    path: str
    mapping: str
    encoding: str
    delimiter: str
    rows_read: int
    rows_kept: int
    rows_quarantined: int
    columns: Mapping[str, str]
    unused_columns: tuple[str, ...]
    footer: tuple[str, ...]
    date_order: str | None
    notes: tuple[str, ...] = ()
    stages: tuple[tuple[str, str, str, int], ...] = ()
    missing_amounts: int = 0


@dataclasses.dataclass(frozen=True, repr=False)
class CrmExport:
    """A CRM export read into the opportunities table, with the rows that could not be.

    Attributes
    ----------
    opportunities : pandas.DataFrame
        The good rows, with the package's opportunities columns the export has
        (or that follow from it: ``is_closed``, ``is_won``, ``status`` and
        ``closed_at`` from the stage and the close date), in
        :data:`OPPORTUNITY_COLUMNS` order and dtypes, then any of
        :data:`EXTRA_COLUMNS`.
    quarantined : pandas.DataFrame
        The rows set aside: ``row`` (the row's number in the file as a
        spreadsheet numbers rows: the header is row 1),
        ``reason`` (every problem of the row, separated by ``"; "``), the
        row's values under the export's own headers, and ``raw_line`` (the
        text of a row whose number of fields is wrong).
    source : CrmSource
        Encoding, delimiter, row counts, the columns used, footer lines.
    """

    opportunities: pd.DataFrame
    quarantined: pd.DataFrame
    source: CrmSource

    def summary(self) -> str:
        """One sentence: rows read, kept and quarantined, encoding and mapping."""
        s = self.source
        return (f"{Path(s.path).name}: {s.rows_read:,} rows read ({s.encoding}, mapping "
                f"{s.mapping!r}): {s.rows_kept:,} kept, {s.rows_quarantined:,} quarantined")

    def __repr__(self) -> str:
        return f"<CrmExport {self.summary()}>"


# ----------------------------------------------------------------------------- arguments
def _existing_file(path: Any, name: str = "path") -> Path:
    if not isinstance(path, str | os.PathLike):
        raise TypeError(f"{name} must be a str or os.PathLike naming a CSV file, "
                        f"got {type(path).__name__}")
    file = Path(path)
    if not file.is_file():
        what = "a directory" if file.is_dir() else "no such file"
        raise FileNotFoundError(f"{name} must name an existing CSV file, got {str(path)!r} "
                                f"({what})")
    return file


def _mapping_of(mapping: Any) -> tuple[CrmTemplate | None, list[str]]:
    if isinstance(mapping, CrmTemplate):
        return mapping, []
    if isinstance(mapping, os.PathLike) or (
            isinstance(mapping, str) and mapping.casefold().endswith(MAPPING_SUFFIXES)):
        from .mapping import load_mapping

        return load_mapping(mapping)
    if isinstance(mapping, str):
        template = CRM_TEMPLATES.get(mapping.casefold())
        if template is None:
            return None, [f"mapping must be one of {list(CRM_TEMPLATES)}, a mapping file "
                          f"(.yaml) or a dict {{our column: your header}}, got {mapping!r}"]
        return template, []
    if not isinstance(mapping, Mapping):
        raise TypeError("mapping must be 'salesforce', 'hubspot' or a dict {our column: your "
                        f"header(s)}}, got {type(mapping).__name__}")
    problems, columns = [], {}
    for column, headers in mapping.items():
        if column in _DERIVED:
            problems.append(f"mapping: {column!r} is computed by the reader, not read from a "
                            "column; remove it")
            continue
        if column not in _KINDS:
            problems.append(f"mapping: {column!r} is not a column the reader knows; expected "
                            f"one of {list(_KINDS)}")
            continue
        if isinstance(headers, str):
            headers = (headers,)
        if (not isinstance(headers, Sequence) or not headers
                or not all(isinstance(h, str) for h in headers)):
            problems.append(f"mapping[{column!r}] must be a header (str) or a list of headers, "
                            f"got {headers!r}")
            continue
        columns[column] = tuple(headers)
    missing = [c for c in REQUIRED_COLUMNS if c not in mapping]
    if missing:
        problems.append(f"mapping has no header for the required column(s) {missing}")
    return _template("custom", columns), problems


def _stages_of(stages: Any, *, base: Mapping[str, str] | None = None
               ) -> tuple[dict[str, str], list[str]]:
    lookup = dict(_STAGE_KEYS)
    if stages is not None and not isinstance(stages, Mapping):
        raise TypeError("stages must be a dict {your stage label: package stage}, got "
                        f"{type(stages).__name__}")
    problems = []
    for label, stage in {**(base or {}), **(stages or {})}.items():
        if not isinstance(label, str) or stage not in _PACKAGE_STAGES:
            problems.append(f"stages[{label!r}] must be one of {list(_PACKAGE_STAGES)}, "
                            f"got {stage!r}")
        else:
            lookup[_key(label)] = stage
    return lookup, problems


# ----------------------------------------------------------------------------- bytes to rows
_CHUNK = 1 << 24


def _offset_line(data: bytes, offset: int) -> int:
    return data.count(b"\n", 0, offset) + 1


def _transcode(data: bytes, encoding: str) -> pa.Buffer:
    """``data`` as UTF-8 (BOM removed); raises UnicodeDecodeError with a file offset."""
    utf8 = codecs.lookup(encoding).name in ("utf-8", "utf-8-sig")
    start = len(codecs.BOM_UTF8) if data.startswith(codecs.BOM_UTF8) and utf8 else 0
    decoder = codecs.getincrementaldecoder("utf-8" if utf8 else encoding)("strict")
    pieces = []
    view = memoryview(data)
    for at in range(start, max(len(data), start + 1), _CHUNK):
        pending = len(decoder.getstate()[0])
        try:
            text = decoder.decode(view[at:at + _CHUNK], final=at + _CHUNK >= len(data))
        except UnicodeDecodeError as error:
            raise UnicodeDecodeError(error.encoding, data, at - pending + error.start,
                                     at - pending + error.end, error.reason) from None
        if not utf8:
            pieces.append(text.encode("utf-8"))
    if utf8:
        return pa.py_buffer(data)[start:]
    return pa.py_buffer(b"".join(pieces))


_XLS = b"\xd0\xcf\x11\xe0"
_NON_ASCII_LINE = re.compile(rb"^[^\n]*[\x80-\xff][^\n]*$", re.MULTILINE)
_LINES_CHECKED = 100_000


def _mixed_utf8(data: bytes, failed_at: int) -> str | None:
    """Why ``data`` is UTF-8 with some lines in another encoding, or None if it is not.

    Only called once strict UTF-8 failed at byte ``failed_at``. Any non-ASCII
    text on the lines before it is valid UTF-8, so the file mixes encodings;
    otherwise the lines with non-ASCII bytes after it are tried one by one
    (up to 100,000 of them), and one that is valid UTF-8 means the same. A
    file that mixes encodings (two exports joined, a row pasted from another
    tool) read whole as CP932 would garble its UTF-8 text.
    """
    start = data.rfind(b"\n", 0, failed_at) + 1
    bad_line = data.count(b"\n", 0, start) + 1
    good_line = None
    found = re.search(rb"[\x80-\xff]", data[:start])
    if found:
        good_line = data.count(b"\n", 0, found.start()) + 1
    else:
        for k, match in enumerate(_NON_ASCII_LINE.finditer(data, start)):
            if k >= _LINES_CHECKED:
                break
            try:
                match.group(0).decode("utf-8")
            except UnicodeDecodeError:
                continue
            good_line = data.count(b"\n", 0, match.start()) + 1
            break
    if good_line is None:
        return None
    return (f"the file mixes encodings: line {good_line} is UTF-8 but line {bad_line} is not, "
            "so no single encoding reads it correctly; save the whole file again in one "
            "encoding (UTF-8), or pass encoding=... to read it as one")


def _decode(data: bytes, encoding: str | None) -> tuple[pa.Buffer | None, str, list[str]]:
    if data.startswith(_XLS):
        return None, "", ["the file is an old Excel workbook (.xls): save it as .xlsx or as "
                          "CSV (UTF-8 or Shift_JIS)"]
    if encoding is not None:
        if not isinstance(encoding, str):
            raise TypeError(f"encoding must be a str or None, got {type(encoding).__name__}")
        try:
            name = codecs.lookup(encoding).name
        except LookupError:
            return None, "", [f"encoding {encoding!r} is not an encoding Python knows; expected "
                              "e.g. 'utf-8', 'utf-8-sig', 'cp932' or None to detect it"]
        candidates = [name]
    elif data.startswith(codecs.BOM_UTF8):
        candidates = ["utf-8-sig"]
    elif data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        candidates = ["utf-16"]
    else:
        candidates = ["utf-8", "cp932"]
    failures = []
    for name in candidates:
        try:
            buffer = _transcode(data, name)
        except UnicodeDecodeError as error:
            failures.append(f"not {name} (byte 0x{data[error.start]:02x} on line "
                            f"{_offset_line(data, error.start)}, offset {error.start})")
            if encoding is None and codecs.lookup(name).name in ("utf-8", "utf-8-sig"):
                mixed = _mixed_utf8(data, error.start)
                if mixed:
                    return None, "", [mixed]
            continue
        if name == "utf-8" and data.startswith(codecs.BOM_UTF8):
            name = "utf-8-sig"
        if data.find(codecs.BOM_UTF8, 1) > 0:  # exports joined into one file
            buffer = pa.py_buffer(bytes(buffer).replace(codecs.BOM_UTF8, b""))
        return buffer, name, []
    return None, "", ["the file's encoding is not readable: " + "; ".join(failures)
                      + "; save it as UTF-8 or Shift_JIS (CP932), or pass encoding=..."]


_QUOTED = re.compile(r'"(?:[^"]|"")*"')


def _delimiter(line: str) -> str:
    bare = _QUOTED.sub("", line)
    counts = {d: bare.count(d) for d in (",", "\t", ";")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] > counts[","] else ","


def _header(buffer: pa.Buffer) -> tuple[list[str], str, int]:
    """Header fields, delimiter, and the byte offset where the first data row starts."""
    head = bytes(buffer[:min(len(buffer), 1 << 20)]).decode("utf-8", errors="ignore")
    first = head.split("\n", 1)[0]
    delimiter = _delimiter(first)
    reader = csv.reader(io.StringIO(head, newline=""), delimiter=delimiter)
    try:
        fields = next(reader)
    except (StopIteration, csv.Error):
        fields = []
    lines = max(reader.line_num, 1)
    raw = bytes(buffer[:min(len(buffer), 1 << 20)])
    end = 0
    for _ in range(lines):
        found = raw.find(b"\n", end)
        end = len(raw) if found < 0 else found + 1
    return [f.strip().lstrip("\ufeff") for f in fields], delimiter, end


def _single_field(line: bytes, delimiter: bytes) -> bool:
    if line.startswith(b'"'):
        return re.fullmatch(rb'"(?:[^"]|"")*"', line) is not None
    return b'"' not in line and delimiter not in line


def _footer(buffer: pa.Buffer, start: int, delimiter: str, ncols: int
            ) -> tuple[int, tuple[str, ...]]:
    """Where the data ends, and the footer lines after it (a Salesforce report's)."""
    tail_at = max(start, len(buffer) - (1 << 16))
    tail = bytes(buffer[tail_at:])
    lines = tail.split(b"\n")
    starts = np.concatenate([[0], np.cumsum([len(x) + 1 for x in lines])[:-1]]) + tail_at
    first = 0 if tail_at == start else 1  # a partial first line is never inspected
    region = []  # (offset, is_blank, text), from the end backwards
    for i in range(len(lines) - 1, first - 1, -1):
        line = lines[i].rstrip(b"\r").strip()
        if not line or line == b'""':
            region.append((int(starts[i]), True, ""))
        elif ncols > 1 and _single_field(line, delimiter.encode()):
            region.append((int(starts[i]), False, line.decode("utf-8", errors="replace")))
        else:
            break
    region.reverse()
    if not region:
        return len(buffer), ()
    blanks = [k for k, (_, blank, _) in enumerate(region) if blank]
    if not blanks:
        return len(buffer), ()
    # The footer starts at the first blank line of the trailing block; single-field
    # lines before it are data rows with too few fields (quarantined, not hidden).
    cut = blanks[0]
    footer = tuple(text.strip('"').replace('""', '"') for _, blank, text in region[cut:]
                   if not blank)
    return region[cut][0], footer


def _parse(buffer: pa.Buffer, ncols: int, delimiter: str
           ) -> tuple[pa.Table, list[tuple[int, str]], np.ndarray]:
    """All records as strings, the rows with a wrong field count, each kept row's line."""
    names = [f"f{i}" for i in range(ncols)]

    def read(threads: bool) -> tuple[pa.Table, list[tuple[int | None, str]]]:
        invalid: list[tuple[int | None, str]] = []

        def handler(row) -> str:
            invalid.append((row.number, row.text))
            return "skip"

        table = pacsv.read_csv(
            pa.BufferReader(buffer),
            read_options=pacsv.ReadOptions(column_names=names, skip_rows=1,
                                           use_threads=threads, block_size=1 << 22),
            parse_options=pacsv.ParseOptions(delimiter=delimiter, newlines_in_values=True,
                                              ignore_empty_lines=False,
                                              invalid_row_handler=handler),
            convert_options=pacsv.ConvertOptions(
                column_types={n: pa.string() for n in names}, strings_can_be_null=False,
                quoted_strings_can_be_null=False, check_utf8=False))
        return table, invalid

    table, invalid = read(True)
    if invalid:  # row numbers of invalid rows are only known to a sequential parse
        table, invalid = read(False)
    bad = np.array([number for number, _ in invalid], dtype=np.int64)
    lines = np.arange(2, table.num_rows + len(invalid) + 2, dtype=np.int64)
    if len(bad):
        lines = lines[~np.isin(lines, bad)]
    return table, [(int(n), t) for n, t in invalid], lines


# ----------------------------------------------------------------------------- parsing
# Values are parsed per distinct value, never per row: a column is dictionary-encoded
# (Arrow, in C++), each distinct text is read once, and the results are spread back
# to the rows with one numpy take. A million rows of dates hold a few thousand
# distinct days; a date-time column with too many distinct values is first split
# into its date and its time of day, which are few each.
_MANY = 100_000


def _np(array: pa.ChunkedArray | pa.Array) -> np.ndarray:
    if isinstance(array, pa.ChunkedArray):
        array = array.combine_chunks()
    return array.to_numpy(zero_copy_only=False)


def _bool(array: pa.ChunkedArray | pa.Array) -> np.ndarray:
    filled = pc.fill_null(array, False)
    if isinstance(filled, pa.ChunkedArray):
        filled = filled.combine_chunks()
    return filled.to_numpy(zero_copy_only=False).astype(bool)


def _nfkc(text: str) -> str:
    return unicodedata.normalize("NFKC", text).strip()


class _Distinct:
    """A column as codes into its distinct values (``values``, read lazily)."""

    def __init__(self, column: pa.ChunkedArray | pa.Array) -> None:
        if isinstance(column, pa.ChunkedArray):  # one dictionary for the whole column
            column = column.combine_chunks()
        encoded = pc.dictionary_encode(column)
        self.codes = encoded.indices.to_numpy(zero_copy_only=False).astype(np.intp)
        self.dictionary = encoded.dictionary
        self.size = len(self.dictionary)

    @functools.cached_property
    def values(self) -> list[str]:
        return self.dictionary.to_pylist()

    def take(self, per_value: np.ndarray) -> np.ndarray:
        """Spread per-distinct-value results to the rows."""
        return per_value[self.codes]


# Dates are read by maintained parsers, once per distinct text: the standard library's
# ISO 8601 reader (``T``, ``Z``, offsets, fractions of a second), else dateutil's
# parser (``2025/03/01``, ``3/1/2025``, ``31.03.2025``, ``Mar 1, 2025 9:05 PM`` ...).
# Japanese marks are first put in the words dateutil knows (年月日 -> /, 午後 -> PM).
# The order of a year-last date (3/1/2025) is decided per column from its values.
_YEAR_LAST = re.compile(r"^(\d{1,2})[-/.](\d{1,2})[-/.](\d{4})(?!\d)")
_JA_MARKS = str.maketrans({"年": "/", "月": "/", "日": " "})
_JA_NOON = re.compile(r"(午前|午後)\s*(\d{1,2}:\d{2}(?::\d{2})?)")
# Two defaults that differ in every date part: a text that leaves one out reads as two
# different days, so "2025", "March" or "5" are not taken for dates.
_DEFAULTS = (dt.datetime(2001, 2, 3), dt.datetime(2004, 5, 6))
# A date-time split into its date (the text before the time, removed with what follows) and
# its time of day (seconds' fractions dropped, so that the distinct times stay few).
_TIME_OF_DAY = r"(?:午前|午後)?\s*\d{1,2}:\d{2}"
_AFTER_DATE = r"[\s\x{3000}T]*" + _TIME_OF_DAY + r".*$"
_TIME_PARTS = r"(?P<t>" + _TIME_OF_DAY + r"(?::\d{2})?)(?:[.,]\d+)?(?P<z>.*)$"
_DATE_EXAMPLES = "e.g. 2025/03/01, 2025-03-01T09:30:00Z, 2025年3月1日, 3/1/2025 or Mar 1, 2025"
DATE_ORDERS: tuple[str, ...] = ("month/day/year", "day/month/year")


def parse_date(text: str, *, day_first: bool = False) -> dt.datetime | None:
    """One date (or date-time) text as a naive ``datetime``; ``None`` when it is not a date.

    ISO 8601 in any form goes to :meth:`datetime.datetime.fromisoformat`; any
    other text to ``dateutil.parser.parse`` (``day_first`` applies to a date
    with the year last, such as ``31.03.2025``). A time-zone offset is
    dropped: the date and time are kept as written, so a date HubSpot exports
    at midnight UTC stays that day. A text missing its year, month or day, or
    with a year outside 1900-2200, is not a date.

    Examples
    --------
    >>> parse_date("2024-09-25T00:00:00+09:00"), parse_date("2025年3月1日 午後9:05")
    (datetime.datetime(2024, 9, 25, 0, 0), datetime.datetime(2025, 3, 1, 21, 5))
    >>> parse_date("3/1/2025"), parse_date("3/1/2025", day_first=True)
    (datetime.datetime(2025, 3, 1, 0, 0), datetime.datetime(2025, 1, 3, 0, 0))
    >>> parse_date("March 2025") is None, parse_date("Mar 1, 2025")
    (True, datetime.datetime(2025, 3, 1, 0, 0))
    """
    t = _JA_NOON.sub(lambda m: f"{m[2]} {'AM' if m[1] == '午前' else 'PM'}",
                     _nfkc(text).translate(_JA_MARKS)).strip()
    if not t:
        return None
    try:
        value = dt.datetime.fromisoformat(t)
    except ValueError:
        first = day_first and _YEAR_LAST.match(t) is not None
        try:
            a, b = (dateutil_parser.parse(t, default=d, dayfirst=first) for d in _DEFAULTS)
        except (ValueError, OverflowError):
            return None
        if a != b:
            return None
        value = a
        order = _YEAR_LAST.match(t)
        if order and (value.month, value.day) != (
                (int(order[2]), int(order[1])) if first else (int(order[1]), int(order[2]))):
            return None  # dateutil swaps an impossible order; the column's order decides
    value = value.replace(tzinfo=None)
    return value if 1900 <= value.year <= 2200 else None


def _read_dates(texts: Sequence[str], day_first: bool) -> np.ndarray:
    """``datetime64[s]`` of each (distinct) text; NaT when empty or not a date.

    pandas guesses the format from the first text and reads every text of
    that format at once; the others are read one by one by :func:`parse_date`.
    """
    out = np.full(len(texts), np.datetime64("NaT"), dtype="datetime64[s]")
    filled = np.flatnonzero(np.array([bool(t) for t in texts], dtype=bool))
    if not len(filled):
        return out
    first = texts[filled[0]]
    fmt = guess_datetime_format(first, dayfirst=day_first and bool(_YEAR_LAST.match(first)))
    rest = filled
    if fmt and "%Y" in fmt and "%d" in fmt and ("%m" in fmt or "%b" in fmt or "%B" in fmt) \
            and "%z" not in fmt and "%Z" not in fmt:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # pandas' notes on dayfirst: the format decides
            read = pd.to_datetime(pd.Series([texts[i] for i in filled], dtype=object),
                                  format=fmt, errors="coerce")
        ok = (read.notna() & read.dt.year.between(1900, 2200)).to_numpy()
        out[filled[ok]] = read[ok].to_numpy().astype("datetime64[s]")
        rest = filled[~ok]
    if len(rest):
        out[rest] = _as_seconds([parse_date(texts[i], day_first=day_first) for i in rest])
    return out


def _as_seconds(values: list[dt.datetime | None]) -> np.ndarray:
    return np.array([np.datetime64("NaT") if v is None else np.datetime64(v, "s")
                     for v in values], dtype="datetime64[s]")


class _DateColumn:
    """A date (or date-time) column: its distinct texts, read once the order is decided."""

    def __init__(self, column: pa.ChunkedArray) -> None:
        text = pc.utf8_trim_whitespace(column)
        self.time = None
        many = pc.count_distinct(text.slice(0, 2 * _MANY)).as_py() > _MANY // 2
        whole = None if many else _Distinct(text)
        if whole is None or whole.size > _MANY:  # date-times: few dates and few times each
            parts = pc.extract_regex(text, _TIME_PARTS)
            self.time = _Distinct(pc.binary_join_element_wise(
                pc.fill_null(pc.struct_field(parts, "t"), ""),
                pc.fill_null(pc.struct_field(parts, "z"), ""), ""))
            whole = _Distinct(pc.replace_substring_regex(text, _AFTER_DATE, ""))
        self.date = whole
        self.texts = [_nfkc(v) for v in whole.values]
        found = [m for m in map(_YEAR_LAST.match, self.texts) if m]
        self.year_last = bool(found)
        self.first_over_12 = next((m[0] for m in found if int(m[1]) > 12), None)
        self.second_over_12 = next((m[0] for m in found if int(m[2]) > 12), None)

    def own_order(self) -> str | None:
        """The order this column's values prove on their own, if any."""
        if self.first_over_12 and not self.second_over_12:
            return "day/month/year"
        if self.second_over_12:
            return "month/day/year"
        return None

    def parse(self, day_first: bool) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Timestamps (NaT when empty or invalid), rows invalid, rows empty."""
        stamp = _read_dates(self.texts, day_first)
        empty = np.array([not t for t in self.texts], dtype=bool)
        if self.time is None:
            return (self.date.take(stamp).astype("datetime64[ns]"),
                    self.date.take(np.isnat(stamp) & ~empty), self.date.take(empty))
        times = [_nfkc(t) for t in self.time.values]
        clock = _read_dates([f"2001-02-03 {t}" for t in times], False)
        seconds = np.where(np.isnat(clock), -1,
                           (clock - np.datetime64("2001-02-03", "s")).astype(np.int64))
        time_empty = np.array([not t for t in times], dtype=bool)
        row_seconds = self.time.take(seconds)
        row_stamp = self.date.take(stamp) + np.maximum(row_seconds, 0).astype("timedelta64[s]")
        row_empty = self.date.take(empty) & self.time.take(time_empty)
        bad = (np.isnat(row_stamp) | (row_seconds < 0)) & ~row_empty
        row_stamp[bad | row_empty] = np.datetime64("NaT")
        return row_stamp.astype("datetime64[ns]"), bad, row_empty


def _date_orders(dates: Mapping[str, _DateColumn], labels: Mapping[str, str],
                 forced: str | None) -> tuple[dict[str, bool], str | None, list[str]]:
    """Day first or not for each date column, the order used, and notes saying why.

    A column whose first number is above 12 somewhere and its second never is
    read day first; one whose second number is above 12 month first; one
    whose values prove neither follows the export's other date columns, else
    month first (Salesforce's US locale). ``forced`` (a mapping file's
    ``date_order``) overrides all of this.
    """
    year_last = {col: d for col, d in dates.items() if d.year_last}
    if not year_last:
        return {col: False for col in dates}, None, []
    if forced is not None:
        orders = {col: forced for col in year_last}
        notes = [f"dates with the year last read as {forced} (the mapping's date_order)"]
    else:
        own = {col: d.own_order() for col, d in year_last.items()}
        proven = set(o for o in own.values() if o)
        fallback = proven.pop() if len(proven) == 1 else "month/day/year"
        orders = {col: o or fallback for col, o in own.items()}
        notes = []
        for col, order in orders.items():
            d = year_last[col]
            why = (f"a first number above 12: {d.first_over_12!r}" if own[col] == DATE_ORDERS[1]
                   else f"a second number above 12: {d.second_over_12!r}" if own[col]
                   else "as the export's other date columns" if len(proven) == 1 and
                   fallback == order else "no value says otherwise; the US order")
            notes.append(f"{labels[col]} read as {order} ({why})")
    used = set(orders.values())
    order = used.pop() if len(used) == 1 else "per column"
    return {col: orders.get(col) == DATE_ORDERS[1] for col in dates}, order, notes


# Numbers: Arrow splits each value into what comes before the digits, the digits and
# what comes after; the digits are checked and cast in C++, the few distinct prefixes
# and suffixes (currency marks, signs, %) are read once each.
_NUMERIC_SPLIT = r"^(?P<pre>[^\d]*)(?P<num>[\d,]*(?:\.\d*)?)(?P<post>[^\d]*)$"
_DIGITS = r"^(?:(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?|\.\d+)$"
_MONEY_PRE = re.compile(r"(\()?([-−▲△])?(¥|\\|\$|€|£|[A-Za-z]{3})?([-−])?")
_MONEY_POST = re.compile(r"(円|[A-Za-z]{3})?(\))?")
_NUMBER_PRE = re.compile(r"([-−])?")
_NUMBER_POST = re.compile(r"(%)?")
_AMOUNT_EXAMPLES = "e.g. 1200000, 1,200,000, ¥1,200,000, JPY 1,200,000 or 1,200,000円"


# A decimal comma shows as a comma followed by one or two digits at the end (25000,84),
# or as dots grouping thousands (1.234.567); a decimal point the other way round.
_COMMA_DECIMAL = (r"^\D*(?:\d{1,3}(?:\.\d{3})+|\d*),\d{1,2}\D*$"
                  r"|^\D*\d{1,3}(?:\.\d{3}){2,}\D*$")
_POINT_DECIMAL = (r"^\D*(?:\d{1,3}(?:,\d{3})+|\d*)\.\d{1,2}\D*$"
                  r"|^\D*\d{1,3}(?:,\d{3}){2,}\D*$|\d,\d{3}\.\d")


def _decimal_mark(text: pa.Array, forced: str | None) -> str:
    """``","`` when the column's values write a decimal comma and none a decimal point."""
    if forced is not None:
        return forced
    if not _bool(pc.match_substring(text, ",")).any():
        return "."
    comma = _bool(pc.match_substring_regex(text, _COMMA_DECIMAL)).any()
    point = comma and _bool(pc.match_substring_regex(text, _POINT_DECIMAL)).any()
    return "," if comma and not point else "."


class _Numbers:
    """A numeric column: status per row (0 empty, 1 read, -1 unreadable) and its parts.

    ``decimal`` is the decimal mark used: ``"."``, or ``","`` (detected from the
    values, or forced) when the column writes ``25000,84`` or ``1.234.567,89``.
    """

    def __init__(self, column: pa.ChunkedArray, decimal: str | None = None) -> None:
        text = pc.replace_substring(pc.utf8_trim_whitespace(pc.utf8_normalize(column, "NFKC")),
                                    " ", "")
        if isinstance(text, pa.ChunkedArray):
            text = text.combine_chunks()
        self.decimal = _decimal_mark(text, decimal)
        if self.decimal == ",":
            text = pc.replace_substring(pc.replace_substring(text, ".", ""), ",", ".")
        parts = pc.extract_regex(text, _NUMERIC_SPLIT)
        self.pre = _Distinct(pc.fill_null(pc.struct_field(parts, "pre"), ""))
        self.post = _Distinct(pc.fill_null(pc.struct_field(parts, "post"), ""))
        digits = pc.fill_null(pc.struct_field(parts, "num"), "")
        ok = _bool(pc.match_substring_regex(digits, _DIGITS)) & _bool(pc.is_valid(parts))
        digits = pc.if_else(pa.array(ok), pc.replace_substring(digits, ",", ""), "0")
        self.value = _np(pc.cast(digits, pa.float64())).astype(np.float64)
        self.value[~ok] = np.nan
        self.status = np.where(_bool(pc.equal(text, "")), 0, np.where(ok, 1, -1))
        self.status[(self.status == 1) & ~np.isfinite(self.value)] = -2  # overflowed

    def affixes(self, pre: re.Pattern, post: re.Pattern
                ) -> tuple[np.ndarray, list[re.Match | None], list[re.Match | None]]:
        """Rows whose prefix and suffix match, and the matches of each distinct one."""
        before = [pre.fullmatch(v) for v in self.pre.values]
        after = [post.fullmatch(v) for v in self.post.values]
        ok = (self.pre.take(np.array([m is not None for m in before], dtype=bool))
              & self.post.take(np.array([m is not None for m in after], dtype=bool)))
        return ok, before, after


def _flag_of(matches: list[re.Match | None], group: int) -> np.ndarray:
    return np.array([bool(m and m[group]) for m in matches], dtype=bool)


def _money(numbers: _Numbers, currency_code) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Signed amount, status (0 empty, 1 read, -1 unreadable, -2 too large) and currency code."""
    ok, before, after = numbers.affixes(_MONEY_PRE, _MONEY_POST)
    pre, post = numbers.pre, numbers.post
    opened = pre.take(_flag_of(before, 1))
    closed = post.take(_flag_of(after, 2))
    negative = pre.take(_flag_of(before, 2) | _flag_of(before, 4)) | opened
    marks = [[(m[3] if i == 0 else m[1]) if m else "" for m in matches]
             for i, matches in enumerate((before, after))]
    codes = [np.array([currency_code(_CURRENCY_MARKS.get(x, x.upper()) if x else "")
                       for x in mark], dtype=np.int64) for mark in marks]
    pre_code, post_code = pre.take(codes[0]), post.take(codes[1])
    ok &= (opened == closed) & ~((pre_code > 0) & (post_code > 0))
    status = np.where(numbers.status == 1, np.where(ok, 1, -1), numbers.status)
    value = np.where(status == 1, np.where(negative, -numbers.value, numbers.value), np.nan)
    return value, status, np.where(status == 1, np.maximum(pre_code, post_code), 0)


def _number(numbers: _Numbers) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Signed value, status (0 empty, 1 read, -1 unreadable, -2 too large), whether it had a %."""
    ok, before, after = numbers.affixes(_NUMBER_PRE, _NUMBER_POST)
    negative = numbers.pre.take(_flag_of(before, 1))
    percent = numbers.post.take(_flag_of(after, 1))
    status = np.where(numbers.status == 1, np.where(ok, 1, -1), numbers.status)
    value = np.where(status == 1, np.where(negative, -numbers.value, numbers.value), np.nan)
    return value, status, percent & (status == 1)


# ----------------------------------------------------------------------------- row checks
class _Reasons:
    """Row problems, collected column by column and joined per row at the end."""

    def __init__(self, n: int) -> None:
        self.n = n
        self.bad = np.zeros(n, dtype=bool)
        self.parts: list[tuple[np.ndarray, list[str]]] = []

    def add(self, mask: np.ndarray, message: str, values: pa.ChunkedArray | None = None
            ) -> None:
        """Flag the rows of ``mask``, each with ``message`` and, if given, its raw value."""
        rows = np.flatnonzero(mask)
        if not len(rows):
            return
        if values is None:
            self.add_texts(rows, [message] * len(rows))
        else:
            shown = values.take(pa.array(rows)).to_pylist()
            self.add_texts(rows, [f"{message} {v!r}" for v in shown])

    def add_texts(self, rows: np.ndarray, texts: list[str]) -> None:
        """Flag ``rows`` (positions), each with its own text."""
        if len(rows):
            self.bad[rows] = True
            self.parts.append((rows, texts))

    def only(self, mask: np.ndarray, message: str) -> None:
        """Flag the rows of ``mask`` with ``message`` as their one reason."""
        rows = np.flatnonzero(mask)
        if not len(rows):
            return
        drop = np.zeros(self.n, dtype=bool)
        drop[rows] = True
        self.parts = [(r[~drop[r]], [t for t, d in zip(texts, drop[r], strict=True) if not d])
                      for r, texts in self.parts]
        self.add_texts(rows, [message] * len(rows))

    def joined(self) -> pd.Series:
        if not self.parts:
            return pd.Series([], dtype="str")
        frame = pd.DataFrame({"i": np.concatenate([r for r, _ in self.parts]),
                              "t": [t for _, texts in self.parts for t in texts]})
        return frame.groupby("i", sort=True)["t"].agg("; ".join)


# ----------------------------------------------------------------------------- stages
#: The stage an open deal gets when nothing tells which one it is in.
UNMAPPED = "unmapped"
# Win probability of each open stage (the simulator's), for a label known only by its
# probability; and words that say a deal is won or lost, English and Japanese (matched
# on the label's key: case- and width-folded, no spaces). Lost words are tried first
# ("不成立" holds "成立"); a label that says it is only expected ("受注見込み") is neither.
_OPEN_PROBABILITY = np.asarray(_STAGE_PROBABILITY, dtype=np.float64)
_LOST_WORDS = re.compile(r"lost|失注|不成立|見送|辞退|破談|不採用|disqualified|nodecision")
_WON_WORDS = re.compile(r"won|受注|成約|成立|契約済|契約締結|締結済|signed")
_NOT_YET = re.compile(r"見込|予定|予測|確度|待ち|前|forecast|expected|likely")


def _word_stage(key: str) -> str | None:
    if _NOT_YET.search(key):
        return None
    if _LOST_WORDS.search(key):
        return "closed_lost"
    return "closed_won" if _WON_WORDS.search(key) else None


def _nearest_open(p: float) -> str:
    return OPPORTUNITY_STAGES[int(np.abs(_OPEN_PROBABILITY - p).argmin())]


def _majority(flag: np.ndarray | None, codes: np.ndarray, size: int) -> np.ndarray:
    """Per distinct label: 1 when most of its rows' flags are yes, 0 when no, -1 unknown."""
    if flag is None:
        return np.full(size, -1)
    yes = np.bincount(codes, weights=flag == 1, minlength=size)
    no = np.bincount(codes, weights=flag == 0, minlength=size)
    return np.where(yes + no == 0, -1, (yes > no).astype(int))


_OPEN_WORDS = re.compile(r"^(?:open|opened|inprogress|active|ongoing|進行中|商談中|対応中|"
                         r"オープン|未完了)$")


def _outcome(value: str) -> int:
    """1 won, 0 lost, -1 open, -3 empty, -2 not an outcome (a status column's value)."""
    key = _key(value)
    if not key:
        return -3
    if _OPEN_WORDS.match(key):
        return -1
    stage = _STAGE_KEYS.get(key) or _word_stage(key)
    return {"closed_won": 1, "closed_lost": 0}.get(stage, -2)


def _by_outcome(status: _Distinct, codes: np.ndarray, mapped: list[str | None],
                reasons: _Reasons, name: str, raw: pa.ChunkedArray
                ) -> tuple[np.ndarray, list[str | None]]:
    """Stage codes per row where a status column (won / lost / open) overrides the label.

    A won or lost row takes ``closed_won`` / ``closed_lost`` whatever its
    stage label (Pipedrive keeps the last stage on a won deal); an open row
    keeps its label's stage, and is quarantined when that stage is closed.
    """
    outcome = status.take(np.array([_outcome(v) for v in status.values], dtype=np.int64))
    reasons.add(outcome == -2, f"{name} is not won, lost or open:", raw)
    label_closed = np.array([m in _CLOSED for m in mapped], dtype=bool)[codes]
    reasons.add((outcome == -1) & label_closed, f"{name} 'open' disagrees with a closed stage:",
                raw)
    codes = codes.copy()
    codes[outcome == 1] = len(mapped)
    codes[outcome == 0] = len(mapped) + 1
    return codes, [*mapped, "closed_won", "closed_lost"]


def _stage_resolution(stages: _Distinct, lookup: Mapping[str, str],
                      flags: Mapping[str, np.ndarray], probability: np.ndarray | None
                      ) -> tuple[list[str | None], list[str]]:
    """The package stage of each distinct label, and how it was found.

    In order: the built-in labels and the user's stage map; the export's own
    Won/Closed columns (most of the label's rows decide); its probability
    column (the label's median: 0 % lost, 100 % won, else the open stage of
    nearest probability); won/lost words; else an open deal in
    :data:`UNMAPPED`. Empty labels map to ``None``.
    """
    won = _majority(flags.get("is_won"), stages.codes, stages.size)
    closed = _majority(flags.get("is_closed"), stages.codes, stages.size)
    median = np.full(stages.size, np.nan)
    if probability is not None:
        p = pd.Series(np.where((probability >= 0) & (probability <= 1), probability, np.nan))
        median[:] = p.groupby(stages.codes).median().reindex(range(stages.size)).to_numpy()
    mapped, how = [], []
    for k, value in enumerate(stages.values):
        key, p = _key(value), median[k]
        stage = lookup.get(key)
        why = "built-in label" if _STAGE_KEYS.get(key, "") == stage else "your stage map"
        if not _nfkc(value):
            stage, why = None, "empty"
        elif stage is None and (closed[k] == 1 or (closed[k] == -1 and won[k] == 1)) \
                and won[k] >= 0:
            stage, why = ("closed_won" if won[k] else "closed_lost"), "Won/Closed columns"
        elif stage is None and closed[k] == 0:
            stage = _nearest_open(p) if np.isfinite(p) else UNMAPPED
            why = f"open per the Closed column, probability {p:.0%}" if np.isfinite(p) else \
                "open per the Closed column"
        elif stage is None and np.isfinite(p):
            stage = {0.0: "closed_lost", 1.0: "closed_won"}.get(float(p)) or _nearest_open(p)
            why = f"probability {p:.0%}"
        elif stage is None:
            stage = _word_stage(key)
            stage, why = (stage, "won/lost word") if stage else (UNMAPPED, "unmapped: kept "
                                                                  "as an open deal")
        mapped.append(stage)
        how.append(why)
    return mapped, how


# ----------------------------------------------------------------------------- the reader
def _resolve(template: CrmTemplate, header: Sequence[str]
             ) -> tuple[dict[str, int], list[str]]:
    positions: dict[str, list[int]] = {}
    for i, name in enumerate(header):
        positions.setdefault(_key(name), []).append(i)
    chosen, problems = {}, []
    for column, candidates in template.columns.items():
        for candidate in candidates:
            where = positions.get(_key(candidate))
            if not where:
                continue
            if len(where) > 1:
                problems.append(f"column {header[where[0]]!r} appears {len(where)} times "
                                f"(columns {', '.join(str(w + 1) for w in where)}); rename "
                                f"all but one so that {column} is unambiguous")
            chosen[column] = where[0]
            break
        else:
            if column in REQUIRED_COLUMNS:
                problems.append(f"no column for {column} (required): expected one of "
                                + ", ".join(repr(c) for c in candidates))
    return chosen, problems


def _guess(header: Sequence[str]) -> str:
    keys = {_key(h) for h in header}
    scores = {name: sum(any(_key(c) in keys for c in t.columns[col]) for col in REQUIRED_COLUMNS)
              for name, t in CRM_TEMPLATES.items()}
    best = max(scores, key=lambda name: scores[name])
    if scores[best] == 0:
        return ""
    return f" (the headers look like mapping={best!r})"


def _quarantine_names(header: Sequence[str]) -> list[str]:
    names, seen = [], set(QUARANTINE_COLUMNS) | {_RAW_LINE}
    for i, name in enumerate(header):
        name = name or f"column {i + 1}"
        if name in seen:
            name = f"{name} (export)"
        base, k = name, 2
        while name in seen:
            name, k = f"{base} ({k})", k + 1
        seen.add(name)
        names.append(name)
    return names


def read_crm_export(path: str | os.PathLike, *,
                    mapping: str | Mapping[str, str | Sequence[str]] | CrmTemplate = "salesforce",
                    quarantine: str | os.PathLike | None = None, encoding: str | None = None,
                    stages: Mapping[str, str] | None = None,
                    sheet: str | int | None = None) -> CrmExport:
    """Read a CRM export (CSV or .xlsx) into the opportunities table, setting bad rows aside.

    The file's encoding is detected (UTF-8 with BOM, UTF-16 with BOM, else
    UTF-8, else CP932/Shift_JIS; a file mixing UTF-8 and another encoding is
    refused) and its delimiter (comma, tab or semicolon) found in the header
    line; an ``.xlsx`` workbook is read with calamine, its cells' types kept.
    A Salesforce report's footer (a blank line, then its title, copyright and
    "Confidential Information" lines) is recognised and kept out of the data.
    Values are parsed without a loop over rows (Arrow reads the CSV and
    dictionary-encodes each column; each distinct value is read once; numpy
    spreads the results back). Dates are read by :func:`parse_date` (ISO 8601
    in any form, ``2025/03/01``, ``2025年3月1日``, ``3/1/2025``, ``31.03.2025``,
    ``Mar 1, 2025``, with an optional time), a year-last date month first
    unless its column has a first number above 12 and no second one; amounts
    with thousands separators, currency marks, full-width digits or a decimal
    comma (decided per column); probabilities in percent or as shares; stage
    names of Salesforce, HubSpot and the package (:data:`STAGE_LABELS`), your
    own (``stages=``), and any other label by the export's Won/Closed columns,
    its probability, won/lost words, else as an open deal in :data:`UNMAPPED`
    (``source.stages`` lists how each label was read).

    File-level problems (a required column missing, an unknown mapping, an
    unreadable encoding, an empty file, no row readable at all) raise one
    :class:`CrmExportError` listing all of them with the columns expected and
    found. Row-level problems never raise: the row goes to
    :attr:`CrmExport.quarantined` with its row number (as a spreadsheet
    numbers rows: the header is row 1) and every reason, and nothing is
    dropped silently (``rows_read == rows_kept + rows_quarantined``, checked
    on every call). A row is quarantined when it has a wrong number of fields
    or no value at all; its ID or stage is empty, or its created date on a
    closed deal, or its close date where the template requires one or the
    deal is closed; a date, amount, probability, yes/no flag, forecast
    category or count cannot be read; an amount is negative, too large, or in
    another currency than the export's other amounts; a probability or
    discount is outside 0-100 %; the close date is before the created date;
    the stage contradicts the export's Won/Closed flags; ``closed_at`` is set
    on an open deal; it repeats the header line; or its ID repeats an earlier
    row's (the first row with the ID stays where its own values send it). A
    deal without an amount is kept, and counted in ``source.missing_amounts``.

    Parameters
    ----------
    path
        The CSV or ``.xlsx`` file. It is only read; a path holding quotes,
        newlines or code is just a file name.
    mapping
        ``"salesforce"`` (an opportunity report: English or Japanese headers,
        or API names), ``"hubspot"`` (a deals export), the path of a mapping
        file (``.yaml``, see :mod:`revopslab.mapping`), a :class:`CrmTemplate`,
        or a dict ``{our column: your header or [headers]}`` naming at least
        :data:`REQUIRED_COLUMNS`; start from a template to add a column:
        ``{**CRM_TEMPLATES["salesforce"].columns, "segment": "Segment__c"}``.
    quarantine
        When given, also write the quarantined rows there as CSV (UTF-8 with
        BOM, which Excel opens correctly; every field quoted, formula-like
        cells neutralised, e-mails and phones masked, written atomically),
        only when a row was quarantined: with none, no file is written (and
        one left there by an earlier read is removed, so the folder never
        holds rows this read did not set aside).
    encoding
        Force an encoding (``"utf-8"``, ``"cp932"`` ...) instead of detecting it.
    stages
        Your own stage labels -> one of ``discovery``, ``demo``, ``proposal``,
        ``negotiation``, ``closed_won``, ``closed_lost``.
    sheet
        The sheet of an ``.xlsx`` workbook (name or 0-based index; default the
        first, or the mapping file's ``sheet``).

    Returns
    -------
    CrmExport
        ``.opportunities``, ``.quarantined`` and ``.source``.

    Raises
    ------
    FileNotFoundError
        ``path`` does not name a file, or ``quarantine``'s folder does not exist.
    CrmExportError
        (a ``ValueError``) listing every file-level problem.
    TypeError
        An argument of the wrong type.

    Examples
    --------
    >>> import tempfile
    >>> text = ('"Opportunity ID","Stage","Amount","Close Date","Created Date"\\n'
    ...         '"006A","Closed Won","JPY 1,200,000","3/1/2025","2/3/2025"\\n'
    ...         '"006B","Proposal/Price Quote","￥800,000","2025/04/30","2025/02/10"\\n'
    ...         '"006C","Negotiation/Review","-5","2025/04/30","2025/02/10"\\n'
    ...         '\\n"Pipeline report"\\n"Confidential Information - Do Not Distribute"\\n')
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     file = Path(folder) / "report.csv"
    ...     _ = file.write_text(text, encoding="cp932")
    ...     export = read_crm_export(file, mapping="salesforce")
    >>> export.opportunities[["opportunity_id", "stage", "status", "amount"]]
      opportunity_id       stage status     amount
    0           006A  closed_won    won  1200000.0
    1           006B    proposal   open   800000.0
    >>> export.quarantined[["row", "reason"]].to_dict("records")
    [{'row': 4, 'reason': "Amount is negative: '-5'"}]
    >>> export.source.encoding, export.source.rows_read, export.source.footer[0]
    ('cp932', 3, 'Pipeline report')
    """
    file = _existing_file(path)
    if quarantine is not None:
        if not isinstance(quarantine, str | os.PathLike):
            raise TypeError("quarantine must be None or a str / os.PathLike for a CSV file, "
                            f"got {type(quarantine).__name__}")
        out = Path(quarantine)
        if not out.parent.is_dir():
            raise FileNotFoundError(f"quarantine must be a file in an existing folder, got "
                                    f"{str(quarantine)!r} (no folder {str(out.parent)!r})")
        if out.resolve() == file.resolve():
            raise ValueError(f"quarantine must not be the export itself, got {str(quarantine)!r}")
    template, problems = _mapping_of(mapping)
    if sheet is not None and template is not None:
        template = dataclasses.replace(template, sheet=sheet)
    stage_lookup, stage_problems = _stages_of(stages, base=template.stages if template else None)
    problems += stage_problems
    name = template.name if template is not None else str(mapping)
    data = file.read_bytes()
    if data.startswith(_ZIP) and template is not None:
        del data
        return _read_workbook(file, template, problems, stage_lookup, quarantine)
    header: list[str] | None = None
    buffer = None
    used = ""
    if data.startswith(_ZIP):
        problems.append("the file is an Excel workbook (.xlsx); it is read once the mapping "
                        "is valid")
    elif not data or data.isspace():
        problems.append(f"the file is empty ({len(data)} bytes): expected a header line and "
                        "data rows")
    else:
        buffer, used, encoding_problems = _decode(data, encoding)
        problems += encoding_problems
    chosen: dict[str, int] = {}
    if buffer is not None:
        if len(buffer) == 0:
            problems.append("the file is empty (a byte-order mark only): expected a header "
                            "line and data rows")
            buffer = None
    if buffer is not None:
        header, delimiter, body = _header(buffer)
        if not any(header):
            problems.append("the first line (the header) is blank: expected column names")
        elif template is not None:
            chosen, column_problems = _resolve(template, header)
            problems += column_problems
        else:
            problems[0] += _guess(header)
        end, footer = _footer(buffer, body, delimiter, len(header))
        if any(header) and re.search(rb"\S", memoryview(buffer)[body:end]) is None:
            problems.append("the file has a header but no data rows")
    if problems:
        raise CrmExportError(problems, path=str(path), mapping=name,
                             expected=None if template is None else template.columns,
                             found=header)
    assert buffer is not None and header is not None and template is not None
    try:
        table, invalid, lines = _parse(buffer[:end], len(header), delimiter)
    except pa.ArrowInvalid as error:
        raise CrmExportError([f"the CSV structure is broken ({error}); check for an unclosed "
                              "quote"], path=str(path), mapping=name, found=header) from None
    del data, buffer  # the rows are in the table now
    return _build(file, template, header, chosen, table, invalid, lines, stage_lookup,
                  used, delimiter, footer, quarantine)


def _strings(values: Sequence[str | None], codes: np.ndarray) -> pd.Series:
    return pa.array(list(values), type=pa.string()).take(pa.array(codes)).to_pandas()


def _build(file: Path, template: CrmTemplate, header: list[str], chosen: dict[str, int],
           table: pa.Table, invalid: list[tuple[int, str]], lines: np.ndarray,
           stage_lookup: dict[str, str], encoding: str, delimiter: str,
           footer: tuple[str, ...], quarantine: str | os.PathLike | None) -> CrmExport:
    n = table.num_rows
    reasons = _Reasons(n)
    raw = {col: table.column(f"f{i}") for col, i in chosen.items()}
    label = {col: header[i] for col, i in chosen.items()}
    notes: list[str] = []
    out: dict[str, Any] = {}
    blank: dict[str, np.ndarray] = {}

    length = np.zeros(n, dtype=np.int64)
    for i in range(len(header)):
        length += _np(pc.binary_length(table.column(i)))
    filled = length > 0
    reasons.add(~filled, "empty row")

    # Text: trimmed, empty -> missing.
    for col in [c for c in chosen if _KINDS[c] == "text"]:
        trimmed = pc.utf8_trim_whitespace(raw[col])
        values = pc.if_else(pc.equal(trimmed, ""), pa.scalar(None, pa.string()), trimmed)
        out[col] = values.to_pandas()
        blank[col] = _bool(pc.is_null(values))

    # Everything else is read per distinct value.
    distinct = {col: _Distinct(raw[col]) for col in chosen
                if _KINDS[col] in ("stage", "flag", "forecast", "type", "currency", "outcome")}
    for col, d in distinct.items():
        blank[col] = d.take(np.array([not _nfkc(v) for v in d.values], dtype=bool))
    currency_of: dict[str, int] = {"": 0}

    def currency_code(name: str) -> int:
        return currency_of.setdefault(name, len(currency_of))

    parsed = {col: _Numbers(raw[col], template.decimal) for col in chosen
              if _KINDS[col] in ("money", "share", "count")}
    for col, numbers in parsed.items():
        if numbers.decimal == "," and template.decimal is None:
            notes.append(f"{label[col]} read with a decimal comma ('25000,84' = 25000.84; "
                         "dots group thousands), as its values write it")
    money = {col: _money(numbers, currency_code) for col, numbers in parsed.items()
             if _KINDS[col] == "money"}
    numbers = {col: _number(n) for col, n in parsed.items() if _KINDS[col] != "money"}
    for col, (_, status, _) in {**money, **numbers}.items():
        blank[col] = status == 0

    # Dates: the order of year-last dates is decided per column, then every date is read.
    dates = {col: _DateColumn(raw[col]) for col in chosen if _KINDS[col] == "date"}
    day_first, date_order, date_notes = _date_orders(dates, label, template.date_order)
    notes += date_notes
    unreadable = {}
    for col, d in dates.items():
        out[col], unreadable[col], blank[col] = d.parse(day_first[col])

    for col in _REQUIRED_VALUES:
        reasons.add(blank[col] & filled, f"{label[col]} is empty")
    for col in dates:
        reasons.add(unreadable[col], f"{label[col]} is not a date ({_DATE_EXAMPLES}):", raw[col])

    # Money, and its currency.
    currencies = []
    for col, (value, status, codes) in money.items():
        reasons.add(status == -1, f"{label[col]} is not an amount ({_AMOUNT_EXAMPLES}):",
                    raw[col])
        reasons.add(status == -2, f"{label[col]} is too large to be an amount:", raw[col])
        reasons.add(value < 0, f"{label[col]} is negative:", raw[col])
        out[col] = value
        currencies.append(codes)
    if "currency" in chosen:
        codes = np.array([currency_code(_CURRENCY_MARKS.get(v, v.upper()))
                          for v in (_nfkc(v) for v in distinct["currency"].values)],
                         dtype=np.int64)
        currencies.append(distinct["currency"].take(codes))
    currency_names = list(currency_of)
    if currencies:
        per_row = np.zeros(n, dtype=np.int64)
        for codes in currencies:
            per_row = np.where(per_row == 0, codes, per_row)
        if template.currency:  # the mapping's currency: amounts that carry no mark
            per_row[per_row == 0] = currency_code(_nfkc(template.currency).upper())
            currency_names = list(currency_of)
        conflict = np.zeros(n, dtype=bool)
        for codes in currencies:
            conflict |= (codes != 0) & (codes != per_row)
        rows = np.flatnonzero(conflict)
        seen = np.stack([codes[rows] for codes in currencies], axis=1)
        reasons.add_texts(rows, [
            "the row's amounts and currency disagree ("
            + ", ".join(dict.fromkeys(currency_names[k] for k in row if k)) + ")"
            for row in seen])
        counted = np.bincount(per_row[(per_row > 0) & ~conflict & filled],
                              minlength=len(currency_names))
        if counted.sum():
            main = int(counted.argmax())
            rows = np.flatnonzero((per_row > 0) & (per_row != main) & ~conflict)
            reasons.add_texts(rows, [f"the amount is in {currency_names[k]} while the export's "
                                     f"other amounts are in {currency_names[main]}"
                                     for k in per_row[rows]])
            out["currency"] = _strings([None, *currency_names[1:]], per_row)

    # Shares (probability, discount) and counts.
    for col, (row_value, row_status, row_percent) in numbers.items():
        reasons.add(row_status == -1, f"{label[col]} is not a number:", raw[col])
        reasons.add(row_status == -2, f"{label[col]} is too large to be a number:", raw[col])
        if _KINDS[col] == "count":
            wrong = (row_status > 0) & ((row_value < 0) | (np.nan_to_num(row_value) % 1 != 0))
            reasons.add(wrong, f"{label[col]} is not a whole number >= 0:", raw[col])
            out[col] = pd.array(np.where(row_status > 0, row_value, np.nan),
                                dtype="Float64").astype("Int64")
            continue
        scale = template.probability_scale if col == "rep_probability" else None
        if scale is None:
            scale = 100.0 if row_percent.any() or (np.nan_to_num(row_value) > 1).any() else 1.0
            notes.append(f"{col} read as {'percent' if scale == 100 else 'shares'} "
                         f"(from the values of {label[col]!r})")
        row_value = np.where(row_percent, row_value / 100.0, row_value / scale)
        reasons.add((row_value < 0) | (row_value > 1), f"{label[col]} is outside 0-100%:",
                    raw[col])
        out[col] = row_value

    # Stage, outcome flags, status.
    stages = distinct["stage"]
    flags = {col: distinct[col].take(np.array(
        [-1 if not _nfkc(v) else {True: 1, False: 0}.get(_FLAG_KEYS.get(_key(v)), -2)
         for v in distinct[col].values], dtype=np.int64)) for col in ("is_won", "is_closed")
        if col in chosen}
    for col, flag in flags.items():
        reasons.add(flag == -2, f"{label[col]} is not a yes/no value (1/0, true/false, "
                    "はい/いいえ):", raw[col])
    mapped, how = _stage_resolution(stages, stage_lookup, flags, out.get("rep_probability"))
    reasons.add(blank["stage"] & filled, f"{label['stage']} is empty")
    codes, per_code = stages.codes, mapped
    if "deal_status" in chosen:  # a row's own won/lost/open (Pipedrive, Dynamics) decides
        codes, per_code = _by_outcome(distinct["deal_status"], codes, mapped, reasons,
                                      label["deal_status"], raw["deal_status"])
    won = np.array([m == "closed_won" for m in per_code], dtype=bool)[codes]
    closed = won | np.array([m == "closed_lost" for m in per_code], dtype=bool)[codes]
    for col, flag in flags.items():
        derived = won if col == "is_won" else closed
        rows = np.flatnonzero((flag >= 0) & ~blank["stage"] & (flag != derived))
        shown = raw["stage"].take(pa.array(rows)).to_pylist()
        values = raw[col].take(pa.array(rows)).to_pylist()
        reasons.add_texts(rows, [f"{label[col]} {f!r} disagrees with {label['stage']} {s!r}"
                                 for f, s in zip(values, shown, strict=True)])
    out["stage"] = _strings(per_code, codes)
    out["is_closed"], out["is_won"] = closed, won
    out["status"] = _strings(["open", "won", "lost"],
                             np.where(won, 1, np.where(closed, 2, 0)))
    out["stage_label"] = _strings([v.strip() or None for v in stages.values], stages.codes)
    counts = np.bincount(stages.codes, minlength=stages.size)
    resolved = tuple((v.strip(), m, h, int(c)) for v, m, h, c in
                     zip(stages.values, mapped, how, counts, strict=True) if m is not None)
    if "rep_probability" not in chosen and template.stage_probability:
        probability = np.array([template.stage_probability.get(_key(v), np.nan)
                                for v in stages.values], dtype=np.float64)
        out["rep_probability"] = stages.take(probability)
        notes.append(f"rep_probability filled from {template.name}'s default stage "
                     "probabilities (the export has no probability column)")

    # Close date, closed_at and their order.
    close, created = out["expected_close_date"], out["created_at"]
    close_blank = blank["expected_close_date"]
    reasons.add(blank["created_at"] & closed & filled, f"{label['created_at']} is empty for a "
                "closed deal")
    if template.close_date_required:
        reasons.add(close_blank & filled, f"{label['expected_close_date']} is empty")
    else:
        reasons.add(close_blank & closed, f"{label['expected_close_date']} is empty for a "
                    "closed deal")
    created_day = created.astype("datetime64[D]").astype("datetime64[ns]")
    rows = np.flatnonzero(~np.isnat(close) & ~np.isnat(created) & (close < created_day))
    reasons.add_texts(rows, [
        f"{label['expected_close_date']} {c} is before {label['created_at']} {d}"
        for c, d in zip(close[rows].astype("datetime64[D]").astype(str),
                        created[rows].astype("datetime64[D]").astype(str), strict=True)])
    if "closed_at" in chosen:
        closed_at = out["closed_at"]
        reasons.add(~np.isnat(closed_at) & ~closed, f"{label['closed_at']} is set on an open "
                    "deal:", raw["closed_at"])
        reasons.add(~np.isnat(closed_at) & ~np.isnat(created) & (closed_at < created),
                    f"{label['closed_at']} is before {label['created_at']}:", raw["closed_at"])
        out["closed_at"] = np.where(closed & np.isnat(closed_at), close, closed_at)
    else:
        out["closed_at"] = np.where(closed, close, np.datetime64("NaT", "ns"))

    # Categories.
    if "forecast_category" in chosen:
        d = distinct["forecast_category"]
        forecast = [_FORECAST_KEYS.get(_key(v), "?") if _nfkc(v) else None for v in d.values]
        unknown = d.take(np.array([f == "?" for f in forecast], dtype=bool))
        reasons.add(unknown, f"{label['forecast_category']} is not a forecast category "
                    "(Pipeline, Best Case, Commit, Closed, Omitted):", raw["forecast_category"])
        out["forecast_category"] = _strings([None if f == "?" else f for f in forecast],
                                            d.codes)
    if "opportunity_type" in chosen:
        d = distinct["opportunity_type"]
        out["opportunity_type"] = _strings(
            [_TYPE_KEYS.get(_key(v), v.strip()) or None for v in d.values], d.codes)

    # Duplicate IDs: the first row with an ID is kept, later ones are quarantined.
    ids = _Distinct(pc.utf8_trim_whitespace(raw["opportunity_id"]))
    if ids.size < n:
        _, first = np.unique(ids.codes, return_index=True)
        rows = np.flatnonzero((np.arange(n) != first[ids.codes]) & ~blank["opportunity_id"])
        shown = raw["opportunity_id"].take(pa.array(rows)).to_pylist()
        reasons.add_texts(rows, [
            f"duplicate {label['opportunity_id']} {v!r} (first on row {int(r)})"
            for v, r in zip(shown, lines[first[ids.codes[rows]]], strict=True)])

    # A header line repeated inside the data (two exports joined into one file): that is
    # its only reason, whatever its "values" failed above.
    repeated = _bool(pc.equal(pc.utf8_trim_whitespace(raw["opportunity_id"]),
                              label["opportunity_id"]))
    repeated &= _bool(pc.equal(pc.utf8_trim_whitespace(raw["stage"]), label["stage"]))
    reasons.only(repeated, "the header line again (two exports joined into one file?)")

    out["source_row"] = lines
    return _finish(file, template, header, chosen, table, invalid, lines, reasons, out,
                   encoding, delimiter, footer, date_order, notes, quarantine, resolved)


def _finish(file: Path, template: CrmTemplate, header: list[str], chosen: dict[str, int],
            table: pa.Table, invalid: list[tuple[int, str]], lines: np.ndarray,
            reasons: _Reasons, out: dict[str, Any], encoding: str, delimiter: str,
            footer: tuple[str, ...], date_order: str | None, notes: list[str],
            quarantine: str | os.PathLike | None,
            stages: tuple[tuple[str, str, str, int], ...]) -> CrmExport:
    keep = ~reasons.bad
    order = [c for c in OPPORTUNITY_COLUMNS + EXTRA_COLUMNS if c in out]
    frame = pd.DataFrame({c: out[c] for c in order})
    for col in ("created_at", "expected_close_date", "closed_at"):
        if col in frame:
            frame[col] = frame[col].astype("datetime64[ns]")
    opportunities = frame if keep.all() else frame.loc[keep].reset_index(drop=True)

    names = _quarantine_names(header)
    bad_rows = np.flatnonzero(reasons.bad)
    values = table.take(pa.array(bad_rows, type=pa.int64())).to_pandas()
    values.columns = names
    joined = reasons.joined()
    bad = pd.concat([
        pd.DataFrame({"row": lines[bad_rows],
                      "reason": pd.Series(joined.reindex(bad_rows).to_numpy(), dtype="str")}),
        values.astype("str")], axis=1)
    bad[_RAW_LINE] = pd.Series([None] * len(bad), dtype="str")
    width = len(header)
    malformed = pd.DataFrame({
        "row": np.array([r for r, _ in invalid], dtype=np.int64),
        "reason": pd.Series([_field_count_reason(_count_fields(t, delimiter), width)
                             for _, t in invalid], dtype="str"),
        _RAW_LINE: pd.Series([t for _, t in invalid], dtype="str"),
    })
    parts = [p for p in (bad, malformed) if len(p)]
    if parts:
        quarantined = pd.concat(parts, ignore_index=True)
    else:
        quarantined = bad.iloc[:0]
    quarantined = quarantined.reindex(columns=["row", "reason", *names, _RAW_LINE])
    quarantined = quarantined.sort_values("row", kind="stable").reset_index(drop=True)
    quarantined["row"] = quarantined["row"].astype("int64")
    for col in ["reason", *names, _RAW_LINE]:
        quarantined[col] = quarantined[col].astype("str")

    rows_read = n_total = table.num_rows + len(invalid)
    if rows_read != len(opportunities) + len(quarantined):
        raise AssertionError(f"rows read ({n_total}) != rows kept ({len(opportunities)}) + "
                             f"rows quarantined ({len(quarantined)}): a reader bug, please "
                             "report it")
    if quarantine is not None:
        _write_quarantine(quarantined, quarantine)
    if rows_read and not len(opportunities):
        raise CrmExportError([_nothing_kept(quarantined, quarantine)], path=str(file),
                             mapping=template.name, found=header)
    missing = int(opportunities["amount"].isna().sum()) if "amount" in opportunities else 0
    if missing:
        notes.append(f"{missing:,} deal{'s have' if missing != 1 else ' has'} no amount: counted "
                     "in win rates, stage counts and cycle times, left out of sums")
    unknown_created = int(opportunities["created_at"].isna().sum())
    if unknown_created:
        notes.append(f"{unknown_created:,} open deal{'s have' if unknown_created != 1 else ' has'}"
                     " no created date: counted in the open pipeline, not in created counts")
    used = {col: header[i] for col, i in chosen.items()}
    source = CrmSource(
        path=str(file), mapping=template.name, encoding=encoding,
        delimiter=delimiter, rows_read=rows_read, rows_kept=len(opportunities),
        rows_quarantined=len(quarantined), columns=MappingProxyType(used),
        unused_columns=tuple(h for i, h in enumerate(header) if i not in set(chosen.values())),
        footer=footer, date_order=date_order, notes=tuple(notes), stages=stages,
        missing_amounts=missing)
    return CrmExport(opportunities, quarantined, source)


def _write_quarantine(quarantined: pd.DataFrame, path: str | os.PathLike) -> None:
    """Write the quarantined rows (masked) to ``path``; with none, leave no file there.

    A file at ``path`` then is an earlier read's list, out of date: it is removed.
    """
    if len(quarantined):
        write_safe_csv(mask_pii(quarantined), path)
    elif Path(path).is_file():
        Path(path).unlink()


#: The reader's explanations in a reason, left out of its kind (:func:`reason_counts`).
_EXPLANATION = (r"\s*\((?:e\.g\. |first on row |1/0, |Pipeline, |two exports )[^)]*\)+"
                r"|\s*\(\S+(?:, \S+)*\)$")


def reason_counts(quarantined: pd.DataFrame) -> pd.Series:
    """How many quarantined rows have each kind of reason, most frequent first.

    A reason's kind is its text without the row's raw value (after ``": "``)
    and without the reader's explanation in brackets (examples of what it
    reads): ``"Amount is not an amount"``. A header's own brackets stay
    (``"Probability (%) is outside 0-100%"``).

    Examples
    --------
    >>> bad = pd.DataFrame({"reason": ["Amount is negative: '-5'; Stage is empty",
    ...                                "Amount is negative: '-7'"]})
    >>> reason_counts(bad).to_dict()
    {'Amount is negative': 2, 'Stage is empty': 1}
    """
    if not len(quarantined):
        return pd.Series(dtype="int64", name="rows").rename_axis("reason")
    kinds = (quarantined["reason"].str.split("; ").explode()
             .str.replace(r":(?: .*)?$", "", regex=True)
             .str.replace(_EXPLANATION, "", regex=True).str.strip())
    counts = kinds.value_counts().rename("rows").rename_axis("reason").reset_index()
    counts = counts.sort_values(["rows", "reason"], ascending=[False, True], kind="stable")
    return counts.set_index("reason")["rows"]


def _nothing_kept(quarantined: pd.DataFrame, quarantine: str | os.PathLike | None) -> str:
    counts = reason_counts(quarantined)
    top = "; ".join(f"{reason} ({rows:,} rows)" for reason, rows in counts.head(3).items())
    where = f"; every row and its reasons are in {str(quarantine)!r}" if quarantine else ""
    return (f"no row could be read: all {len(quarantined):,} rows were quarantined. Top "
            f"reasons: {top}{where}")


def _field_count_reason(count: int, width: int) -> str:
    return (f"the row has {count} value{'s' if count != 1 else ''}, the header has {width} "
            "columns")


def _count_fields(text: str, delimiter: str) -> int:
    try:
        return len(next(csv.reader(io.StringIO(text), delimiter=delimiter)))
    except (StopIteration, csv.Error):
        return 0


# ----------------------------------------------------------------------------- workbooks
_ZIP = b"PK\x03\x04"
_HEADER_SEARCH = 30  # rows at the top of a sheet where the header may be (report titles)


def _cell_text(value: Any) -> str:
    """A typed cell as text the column parsers read without doubt (dates in ISO 8601)."""
    if value is None or (isinstance(value, float) and not np.isfinite(value)) or (
            value is pd.NaT):
        return ""
    if isinstance(value, bool | np.bool_):
        return "1" if value else "0"
    if isinstance(value, dt.datetime | dt.date | pd.Timestamp):
        return value.isoformat()
    if isinstance(value, float | np.floating):
        return np.format_float_positional(float(value), trim="-")
    return str(value)


def _read_workbook(file: Path, template: CrmTemplate, problems: list[str],
                   stage_lookup: dict[str, str], quarantine: str | os.PathLike | None
                   ) -> CrmExport:
    """Read an ``.xlsx`` sheet: header row found, cells' own types kept, then as a CSV."""
    sheet = 0 if template.sheet is None else template.sheet
    header, body, at = _open_sheet(file, sheet, problems)
    chosen: dict[str, int] = {}
    if header is not None and any(header):
        chosen, column_problems = _resolve(template, header)
        problems += column_problems
    if problems:
        raise CrmExportError(problems, path=str(file), mapping=template.name,
                             expected=template.columns, found=header)
    table, lines, footer = _sheet_rows(body, at)
    return _build(file, template, header, chosen, table, [], lines, stage_lookup,
                  _sheet_kind(sheet, at), "", footer, quarantine)


def _open_sheet(file: Path, sheet: str | int, problems: list[str]
                ) -> tuple[list[str] | None, pd.DataFrame | None, int]:
    """A workbook's sheet as :func:`_sheet_text` reads it, or ``None`` with the problem added.

    The one way a workbook is opened, for every export the package reads
    (opportunities, leads, billing).
    """
    header = body = None
    at = 0
    try:
        header, body, at = _sheet_text(file, sheet)
    except (ValueError, KeyError, IndexError) as error:
        names = _sheet_names(file)
        problems.append(f"sheet must name a sheet of the workbook ({', '.join(map(repr, names))}"
                        f" or its 0-based index), got {sheet!r} ({error})")
    except Exception as error:  # calamine's own errors: a damaged or protected workbook
        problems.append(f"the workbook cannot be read ({type(error).__name__}: {error}); save "
                        "it again from Excel, or as CSV")
    if header is not None and not any(header):
        problems.append(f"sheet {sheet!r} is empty: expected a header row and data rows")
    return header, body, at


def _sheet_rows(body: pd.DataFrame, at: int) -> tuple[pa.Table, np.ndarray, tuple[str, ...]]:
    """A sheet's rows as the CSV parser gives them: the text table, row numbers, footer.

    The data end at the last row with two cells or more filled; single cells
    below it (a report's title or notes) are the footer. Row numbers are the
    sheet's own (the header on row ``at + 1``).
    """
    width = (body != "").sum(axis=1).to_numpy()
    last = np.flatnonzero(width > 1)
    end = int(last[-1]) + 1 if len(last) else 0
    footer = tuple(v for row in body.iloc[end:].itertuples(index=False) for v in row if v)
    body = body.iloc[:end]
    lines = np.arange(at + 2, at + 2 + len(body), dtype=np.int64)
    return _text_table(body), lines, footer


def _sheet_kind(sheet: str | int, at: int) -> str:
    """What the source's ``encoding`` says of a workbook: ``xlsx (sheet 0)``."""
    return f"xlsx (sheet {sheet!r}" + (f", header on row {at + 1})" if at else ")")


def _sheet_text(file: Path, sheet: str | int, rows: int | None = None
                ) -> tuple[list[str], pd.DataFrame, int]:
    """A sheet's header, its rows below as text (:func:`_cell_text`), and the header's index.

    The header is the first of the sheet's top rows with the most cells
    filled (a formatted report's title rows above it are skipped); empty
    columns are dropped. ``rows`` limits the rows read below the header.
    """
    cells = pd.read_excel(file, sheet_name=sheet, header=None, dtype=object, engine="calamine",
                          nrows=None if rows is None else rows + _HEADER_SEARCH)
    text = cells.map(_cell_text)
    filled = (text != "").sum(axis=1).to_numpy()
    if not len(text) or filled.max() == 0:
        return [], text.iloc[:0], 0
    top = filled[:_HEADER_SEARCH]
    at = int(np.flatnonzero(top == top.max())[0])
    text = text.iloc[:, np.flatnonzero((text.iloc[at:] != "").any(axis=0).to_numpy())]
    body = text.iloc[at + 1:] if rows is None else text.iloc[at + 1:at + 1 + rows]
    return [str(h).strip() for h in text.iloc[at].tolist()], body, at


def _text_table(body: pd.DataFrame) -> pa.Table:
    """Cells as text in the reader's column names ``f0, f1 ...``, as a parsed CSV gives them."""
    return pa.table({f"f{i}": pa.array(body.iloc[:, i].tolist(), type=pa.string())
                     for i in range(body.shape[1])})


def _sheet_names(file: Path) -> list[str]:
    with contextlib.suppress(Exception):
        return list(pd.ExcelFile(file, engine="calamine").sheet_names)
    return []


# ----------------------------------------------------------------------------- privacy
_EMAIL = re.compile(r"([A-Za-z0-9._%+\-]+)@([A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)+)")
_PHONE = re.compile(r"(?<![\w+.])(?:\+\d{1,3}[-\s.]?\(?\d|\(?0\d)[\d\-\s.()]{6,}\d(?![\w])"
                    r"|(?<![\w+.(])\(?[2-9]\d{2}\)?[-.\s]?\d{3}[-.\s]\d{4}(?![\w])")


# What a value must contain to be looked at (RE2, vectorised): an @, or a run of digits
# starting with 0 or + that is long enough to be a phone number.
_PII_HINT = (r"@|(?:^|[^\w+.])(?:\+\d|\(?0\d)[\d\-\s.()]{6,}\d(?:$|[^\w])"
             r"|\(?[2-9]\d{2}\)?[-.\s]?\d{3}[-.\s]\d{4}")


def _mask_email(match: re.Match) -> str:
    local = match.group(1)
    keep = local[:2] if len(local) > 2 else local[:1]
    return f"{keep}***@{match.group(2)}"


def _mask_phone(match: re.Match) -> str:
    text = match.group(0)
    digits = sum(ch.isdigit() for ch in text)
    if digits > 13 and re.search(r"\s", text):  # two numbers separated by a space
        return re.sub(r"\S+", lambda part: _PHONE.sub(_mask_phone, part.group(0)), text)
    if not 10 <= digits <= 13:
        return text
    pieces = re.split(r"(\D+)", text)
    groups = [k for k, piece in enumerate(pieces) if piece.isdigit()]
    if len(groups) == 1:  # no separators: keep the first 3 and the last 4 digits
        number = pieces[groups[0]]
        pieces[groups[0]] = number[:3] + "*" * (len(number) - 7) + number[-4:]
    else:
        if len(pieces[groups[0]]) < 2 and not text.startswith("+"):
            return text  # "0.123..." is a number, not a phone
        for k in groups[1:-1]:
            pieces[k] = "*" * len(pieces[k])
        if len(groups) == 2:
            last = pieces[groups[-1]]
            pieces[groups[-1]] = "*" * (len(last) - 4) + last[-4:]
    return "".join(pieces)


def mask_pii(frame: pd.DataFrame, *, columns: Sequence[str] | None = None) -> pd.DataFrame:
    """A copy of ``frame`` with e-mail addresses and phone numbers masked in text columns.

    For a report that may be shared: an address keeps the first two
    characters of its local part and its domain (``tanaka@example.co.jp`` ->
    ``ta***@example.co.jp``); a phone number (10-13 digits, starting with 0
    or +) keeps its first and last groups (``03-1234-5678`` ->
    ``03-****-5678``; ``09012345678`` -> ``090****5678``; a US number
    ``(415) 555-1234`` -> ``(415) ***-1234``). Full-width forms common in
    Japanese data (``tanaka＠example.co.jp``, ``０３－１２３４－５６７８``) are
    found too, and shown masked in half-width. Names, amounts, dates and IDs
    are left as they are (an ID does not start with 0 or +).

    Parameters
    ----------
    frame
        Any DataFrame; it is not modified.
    columns
        The columns to mask (default: every text column).

    Returns
    -------
    pandas.DataFrame

    Examples
    --------
    >>> people = pd.DataFrame({"contact": ["tanaka@example.co.jp", "Tel 03-1234-5678", None],
    ...                        "amount": [1.0, 2.0, 3.0]})
    >>> mask_pii(people)["contact"].tolist()
    ['ta***@example.co.jp', 'Tel 03-****-5678', nan]
    >>> wide = pd.DataFrame({"c": ["tanaka＠example.co.jp", "０３－１２３４－５６７８",
    ...                            "call (415) 555-1234", "2025-03-01", "JPY 1,200,000"]})
    >>> mask_pii(wide)["c"].tolist()
    ['ta***@example.co.jp', '03-****-5678', 'call (415) ***-1234', '2025-03-01', 'JPY 1,200,000']
    """
    if not isinstance(frame, pd.DataFrame):
        raise TypeError(f"frame must be a pandas DataFrame, got {type(frame).__name__}")
    if columns is None:
        columns = [c for c in frame.columns
                   if pd.api.types.is_object_dtype(frame[c]) or pd.api.types.is_string_dtype(
                       frame[c])]
    else:
        missing = [c for c in columns if c not in frame.columns]
        if missing:
            raise ValueError(f"columns must be columns of frame, got {missing} "
                             f"(frame has {list(frame.columns)})")
    masked = frame.copy()
    for col in columns:
        series = frame[col]
        text = pa.array(series if isinstance(series.dtype, pd.StringDtype)
                        else series.astype("str"), type=pa.string())
        wide = pc.utf8_normalize(text, "NFKC")  # full-width ＠ and digits as ASCII
        rows = np.flatnonzero(_bool(pc.match_substring_regex(wide, _PII_HINT)))
        if len(rows):
            values = [_mask_text(v) for v in series.iloc[rows]]
            column = series.copy()
            column.iloc[rows] = values
            masked[col] = column
    return masked


def _mask_text(value: Any) -> Any:
    if not isinstance(value, str):
        return value
    folded = _nfkc_if_wide(value)
    masked = _PHONE.sub(_mask_phone, _EMAIL.sub(_mask_email, folded))
    return value if masked == folded else masked


def _nfkc_if_wide(text: str) -> str:
    """``text`` with full-width ASCII forms (＠, ０-９, －) folded, when it has any."""
    return unicodedata.normalize("NFKC", text) if re.search("[\uff01-\uff5e]", text) else text


# ----------------------------------------------------------------------------- sample files
_SF_JA_STAGE = {"discovery": "評価", "demo": "ニーズ分析", "proposal": "提案/見積",
                "negotiation": "交渉/レビュー", "closed_won": "成立", "closed_lost": "不成立"}
_SF_EN_STAGE = {"discovery": "Qualification", "demo": "Needs Analysis",
                "proposal": "Proposal/Price Quote", "negotiation": "Negotiation/Review",
                "closed_won": "Closed Won", "closed_lost": "Closed Lost"}
_HS_JA_STAGE = {"discovery": "アポ設定済み", "demo": "プレゼン予定済み", "proposal": "決裁者の賛同",
                "negotiation": "契約書送付済み", "closed_won": "成約", "closed_lost": "失注"}
_FORECAST_JA = {"Pipeline": "パイプライン", "Best Case": "最善達成予測", "Commit": "達成予測",
                "Closed": "完了", "Omitted": "売上予測から除外"}
_SOURCE_LABELS = {
    "en": {"web": "Web", "ads": "Advertisement", "events": "Trade Show", "referral": "Referral",
           "product": "Product Sign-up", "teleprospecting": "Phone Inquiry",
           "field_prospecting": "Outbound"},
    "ja": {"web": "Web", "ads": "広告", "events": "展示会", "referral": "紹介",
           "product": "製品サインアップ", "teleprospecting": "テレアポ",
           "field_prospecting": "営業開拓"},
}


def _sf_footer(lang: str, when: pd.Timestamp) -> list[str]:
    if lang == "ja":
        return ["", '"商談パイプライン"',
                '"Copyright (c) 2000-2026 salesforce.com, inc. All rights reserved."',
                '"機密情報 - 配布禁止"', f'"作成者: 管理者 {when:%Y/%m/%d} 9:00"']
    return ["", '"Opportunity Pipeline"',
            '"Copyright (c) 2000-2026 salesforce.com, inc. All rights reserved."',
            '"Confidential Information - Do Not Distribute"',
            f'"Generated By:  Admin User  {when.month}/{when.day}/{when.year} 9:00 AM"']


def _csv_lines(frame: pd.DataFrame, quote_all: bool) -> list[str]:
    buffer = io.StringIO()
    frame.to_csv(buffer, index=False, lineterminator="\r\n",
                 quoting=csv.QUOTE_ALL if quote_all else csv.QUOTE_MINIMAL)
    return buffer.getvalue().split("\r\n")[:-1]


def _thousands(values: np.ndarray) -> list[str]:
    return [f"{int(v):,}" for v in values]


def _salesforce_id(opportunity_ids: pd.Series) -> np.ndarray:
    """A Salesforce-shaped record ID for each of the package's opportunity IDs (``O000012``)."""
    number = opportunity_ids.str[1:].astype(int).to_numpy()
    return np.array([f"0065g{k:010d}AAQ" for k in number], dtype=object)


def _opportunity_frames(company) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """A company's deals as a Japanese and an English Salesforce report and HubSpot deals."""
    o = company.opportunities.sort_values(["created_at", "opportunity_id"]).reset_index(drop=True)
    names = company.accounts.set_index("account_id")["account_name"]
    reps = company.reps.set_index("rep_id")["rep_name"]
    channel = company.leads.set_index("lead_id")["channel"]
    account = o["account_id"].map(names).to_numpy()
    owner = o["owner_rep_id"].map(reps).to_numpy()
    number = o["opportunity_id"].str[1:].astype(int).to_numpy()
    sf_id = _salesforce_id(o["opportunity_id"])
    close = o["closed_at"].where(o["is_closed"], o["expected_close_date"])
    prob = (o["rep_probability"] * 100).round().astype(int).astype(str).to_numpy()
    amount = o["amount"].to_numpy()
    won = o["is_won"].astype(int).astype(str).to_numpy()
    done = o["is_closed"].astype(int).astype(str).to_numpy()
    new = o["opportunity_type"].eq("new_business").to_numpy()
    sources = o["lead_id"].map(channel)

    ja = pd.DataFrame({
        "商談 所有者": owner, "取引先名": account,
        "商談名": [f"{a} - {'新規導入' if n else '再契約'}" for a, n in zip(account, new,
                                                                    strict=True)],
        "フェーズ": o["stage"].map(_SF_JA_STAGE).to_numpy(),
        "売上予測分類": o["forecast_category"].map(_FORECAST_JA).to_numpy(),
        "金額": ["￥" + s for s in _thousands(amount)], "確度 (%)": prob,
        "完了予定日": close.dt.strftime("%Y/%m/%d").to_numpy(),
        "作成日": o["created_at"].dt.strftime("%Y/%m/%d").to_numpy(),
        "種別": np.where(new, "新規ビジネス", "再契約"),
        "リードソース": sources.map(_SOURCE_LABELS["ja"]).to_numpy(),
        "成立": won, "完了": done, "商談 ID": sf_id,
    })
    en = pd.DataFrame({
        "Opportunity Owner": owner, "Account Name": account,
        "Opportunity Name": [f"{a} - {'New Business' if n else 'Win Back'}"
                             for a, n in zip(account, new, strict=True)],
        "Stage": o["stage"].map(_SF_EN_STAGE).to_numpy(),
        "Forecast Category": o["forecast_category"].to_numpy(),
        "Amount": ["JPY " + s for s in _thousands(amount)], "Probability (%)": prob,
        "Close Date": [f"{d.month}/{d.day}/{d.year}" for d in close],
        "Created Date": [f"{d.month}/{d.day}/{d.year}" for d in o["created_at"]],
        "Type": np.where(new, "New Business", "Win Back"),
        "Lead Source": sources.map(_SOURCE_LABELS["en"]).to_numpy(),
        "Won": won, "Closed": done, "Opportunity ID": sf_id,
    })
    hubspot = pd.DataFrame({
        "レコードID": [str(20_000_000_000 + 7919 * k) for k in number],
        "取引名": [f"{a} 新規導入" if n else f"{a} 再契約" for a, n in zip(account, new,
                                                                     strict=True)],
        "取引ステージ": o["stage"].map(_HS_JA_STAGE).to_numpy(),
        "パイプライン": "営業パイプライン",
        "金額": [str(int(v)) for v in amount],
        "クローズ日": [d.strftime("%Y-%m-%d %H:%M") if c else "" for d, c in
                   zip(close, o["is_closed"] | (np.arange(len(o)) % 3 > 0), strict=True)],
        "作成日": o["created_at"].dt.strftime("%Y-%m-%d %H:%M").to_numpy(),
        "取引担当者": owner,
        "取引タイプ": np.where(new, "新規ビジネス", "既存ビジネス"),
    })
    return ja, en, hubspot


def write_templates(folder: str | os.PathLike) -> list[Path]:
    """Write the sample exports of :data:`TEMPLATE_FILES` into ``folder`` (made if missing).

    The rows are every opportunity of a small simulated company
    (``simulate_company(CompanyConfig(months=12, scale=0.1), rng=1)``), as
    a Japanese Salesforce opportunity report saved by Excel in CP932 (with
    ``¥`` amounts, ``2025/03/01`` dates and the report footer), an English
    one (UTF-8, US ``3/1/2025`` dates, ``JPY 1,200,000`` amounts, footer)
    and a Japanese HubSpot deals export (UTF-8 with BOM, numeric record IDs,
    ``2025-03-01 09:05`` times). The same call always writes the same bytes;
    ``data/crm_templates/`` holds the committed copy.

    Returns
    -------
    list of pathlib.Path
        The files written.

    Examples
    --------
    >>> list(TEMPLATE_FILES)
    ['salesforce_opportunities_ja_cp932.csv', 'salesforce_opportunities_en.csv', \
'hubspot_deals_ja_utf8bom.csv']
    """
    from .config import CompanyConfig
    from .simulate import simulate_company

    company = simulate_company(CompanyConfig(months=12, scale=0.1), rng=1)
    ja, en, hubspot = _opportunity_frames(company)
    when = company.as_of
    target = Path(folder)
    target.mkdir(parents=True, exist_ok=True)
    files = []
    for (file, encoding), (frame, lang, quote_all) in zip(TEMPLATE_FILES.items(), (
            (ja, "ja", True), (en, "en", True), (hubspot, "", False)), strict=True):
        lines = _csv_lines(frame, quote_all)
        if lang:
            lines += _sf_footer(lang, when)
        path = target / file
        path.write_bytes(("\r\n".join(lines) + "\r\n").encode(encoding))
        files.append(path)
    return files


# ----------------------------------------------------------------------------- benchmark
def _as_text(values: np.ndarray) -> pa.Array:
    return pc.cast(pa.array(values), pa.string())


def _categorical(codes: np.ndarray, labels: Sequence[str]) -> pa.Array:
    """``labels[codes]`` as an Arrow string array, built in C++ from a dictionary."""
    dictionary = pa.DictionaryArray.from_arrays(pa.array(codes.astype(np.int32)),
                                                pa.array(list(labels), type=pa.string()))
    return dictionary.dictionary_decode()


def _formatted(values: np.ndarray, fmt) -> pa.Array:
    """``fmt(v)`` for every value, formatting each distinct value once."""
    distinct, codes = np.unique(values, return_inverse=True)
    return _categorical(codes, [fmt(v) for v in distinct.tolist()])


def synthetic_export(n_rows: int, path: str | os.PathLike, *,
                     rng: int | np.random.Generator) -> Path:
    """Write a large English Salesforce opportunity report (UTF-8 CSV) quickly, for benchmarks.

    Every value is quoted and the report footer follows the rows, as in a
    real export; amounts are ``JPY 1,234,000``, dates ``3/1/2025``, and the
    columns are those of ``salesforce_opportunities_en.csv``. Built with
    numpy and Arrow string kernels, no loop over rows: a million rows (190 MB)
    take about two seconds of CPU.

    Parameters
    ----------
    n_rows
        Number of opportunities (>= 1).
    path
        The CSV file to write.
    rng
        An int seed or a ``numpy.random.Generator``.

    Returns
    -------
    pathlib.Path

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     file = synthetic_export(500, Path(folder) / "big.csv", rng=1)
    ...     export = read_crm_export(file)
    >>> export.source.rows_read, export.source.rows_quarantined
    (500, 0)
    """
    if not isinstance(n_rows, int | np.integer) or n_rows < 1:
        raise ValueError(f"n_rows must be an int >= 1, got {n_rows!r}")
    gen = np.random.default_rng(rng)
    n = int(n_rows)
    stage = gen.choice(6, size=n, p=[0.08, 0.05, 0.04, 0.03, 0.25, 0.55])
    created = gen.integers(0, 3 * 365, size=n)
    close = created + gen.integers(7, 180, size=n)
    amount = gen.lognormal(np.log(1_500_000), 0.8, size=n).round(-3).clip(100_000, 5e9)
    account = gen.integers(1, max(n // 3, 2), size=n)
    owner = gen.integers(0, 200, size=n)
    new = gen.random(n) < 0.9
    source = gen.integers(0, len(_SOURCE_LABELS["en"]), size=n)
    start = pd.Timestamp("2022-01-01")

    def us_date(offset: int) -> str:
        day = start + pd.Timedelta(days=offset)
        return f"{day.month}/{day.day}/{day.year}"

    ids = _as_text(np.arange(1, n + 1))
    account_text = pc.binary_join_element_wise("Account ", pc.utf8_lpad(_as_text(account), 7,
                                                                        "0"), "")
    columns = [
        _categorical(owner, [f"Rep {k:03d}" for k in range(200)]),
        account_text,
        pc.binary_join_element_wise(account_text, " - Deal ", ids, ""),
        _categorical(stage, list(_SF_EN_STAGE.values())),
        _categorical(stage, ["Pipeline", "Pipeline", "Best Case", "Commit", "Closed", "Omitted"]),
        _formatted(amount, lambda v: f"JPY {int(v):,}"),
        _categorical(stage, ["10", "25", "50", "75", "100", "0"]),
        _formatted(close, us_date),
        _formatted(created, us_date),
        _categorical(new.astype(np.int32), ["Existing Business", "New Business"]),
        _categorical(source, list(_SOURCE_LABELS["en"].values())),
        _categorical((stage == 4).astype(np.int32), ["0", "1"]),
        _categorical((stage >= 4).astype(np.int32), ["0", "1"]),
        pc.binary_join_element_wise("006", pc.utf8_lpad(ids, 12, "0"), "AAQ", ""),
    ]
    header = ('"Opportunity Owner","Account Name","Opportunity Name","Stage","Forecast '
              'Category","Amount","Probability (%)","Close Date","Created Date","Type",'
              '"Lead Source","Won","Closed","Opportunity ID"\r\n')
    lines = pc.binary_join_element_wise('"', pc.binary_join_element_wise(*columns, '","'),
                                        '"\r\n', "")
    lines = lines.combine_chunks() if isinstance(lines, pa.ChunkedArray) else lines
    offsets = np.frombuffer(lines.buffers()[1], dtype=np.int32)[lines.offset:]
    body = lines.buffers()[2][offsets[0]:offsets[len(lines)]]
    target = Path(path)
    with open(target, "wb") as handle:
        handle.write(header.encode("utf-8"))
        handle.write(memoryview(body))
        handle.write(("\r\n".join(_sf_footer("en", pd.Timestamp("2025-01-01"))) + "\r\n")
                     .encode("utf-8"))
    return target


# ----------------------------------------------------------------------------- leads, billing
#: Columns of a leads export the report reads (the package's ``leads`` table): the
#: lead, its account, and the date it reached each stage of the waterfall
#: (``<stage>_at`` for :data:`revopslab.vocabulary.STAGES`), and the opportunity it
#: became (which joins it to the opportunity export).
LEAD_COLUMNS: tuple[str, ...] = (
    "lead_id", "account_id", "segment", "lead_source", "motion",
    *(f"{stage}_at" for stage in _WATERFALL_STAGES), "opportunity_id",
)
#: A lead's motion as an export may write it -> the package's name (which decides the
#: first step of its waterfall: inbound inquiries become AQLs, outbound targets TGLs,
#: field-sales targets SGLs). Matching ignores case, width and spaces.
MOTION_LABELS: Mapping[str, str] = MappingProxyType({
    "inbound": "inbound", "インバウンド": "inbound", "outbound": "outbound",
    "アウトバウンド": "outbound", "sales": "sales", "field sales": "sales",
    "フィールドセールス": "sales", "営業開拓": "sales",
})
_MOTION_KEYS = {_key(label): motion for label, motion in MOTION_LABELS.items()}
#: Columns of a billing export: an account's MRR by month (``month, mrr``), or its
#: subscriptions (``start_month, end_month, mrr``, spread over the months they run).
BILLING_COLUMNS: tuple[str, ...] = (
    "account_id", "subscription_id", "month", "start_month", "end_month", "mrr",
)
_TABLE_KINDS: Mapping[str, tuple[tuple[str, ...], tuple[str, ...]]] = MappingProxyType({
    # kind: (its columns, the columns every mapping must find)
    "leads": (LEAD_COLUMNS, ("lead_id", "inquiry_at")),
    "billing": (BILLING_COLUMNS, ("account_id", "mrr")),
})
_ACCOUNT_HEADERS = ("Account ID", "取引先 ID", "AccountId", "Account Name", "取引先名")


def _stage_headers(stage: str) -> tuple[str, ...]:
    name = stage.upper()
    return (f"{name} Date", f"{name} 日", f"{name}日", f"{name}_Date__c", f"{stage}_at")


_LEAD_SALESFORCE = _template("salesforce", {
    "lead_id": ("Lead ID", "リード ID", "Id"),
    "account_id": ("Converted Account ID", "ConvertedAccountId", "Company / Account",
                   "Company", "会社名", "Account Name", "取引先名"),
    "segment": ("Segment", "セグメント", "Segment__c"),
    "lead_source": ("Lead Source", "リードソース", "LeadSource"),
    "motion": ("Motion", "Lead Motion", "Motion__c", "モーション"),
    "inquiry_at": ("Create Date", "Created Date", "作成日", "CreatedDate"),
    **{f"{s}_at": _stage_headers(s) for s in _WATERFALL_STAGES[1:-1]},
    "opportunity_at": ("Converted Date", "取引開始日", "ConvertedDate", *_stage_headers(
        "opportunity")),
    "opportunity_id": ("Converted Opportunity ID", "ConvertedOpportunityId", "Opportunity ID",
                       "商談 ID"),
})
_LEAD_HUBSPOT = _template("hubspot", {
    "lead_id": ("Record ID", "レコードID", "hs_object_id"),
    "account_id": ("Associated Company IDs", "Associated Company", "関連付けられた会社",
                   "Company Name", "会社名", "company"),
    "segment": ("Segment", "セグメント"),
    "lead_source": ("Original Source", "hs_analytics_source"),
    "motion": ("Motion", "Lead Motion", "モーション"),
    "inquiry_at": ("Create Date", "作成日", "createdate"),
    **{f"{s}_at": _stage_headers(s) for s in _WATERFALL_STAGES[1:-2]},
    "sql_at": ("Became a Sales Qualified Lead Date",
               "hs_lifecyclestage_salesqualifiedlead_date", *_stage_headers("sql")),
    "opportunity_at": ("Became an Opportunity Date", "hs_lifecyclestage_opportunity_date",
                       *_stage_headers("opportunity")),
    "opportunity_id": ("Associated Deal IDs", "Associated Deal", "関連付けられた取引"),
})
_BILLING = _template("billing", {
    "account_id": ("Account ID", "Customer ID", "取引先 ID", "顧客 ID", "AccountId", "customer",
                   "Account Name", "Customer Name", "Customer", "取引先名", "顧客名"),
    "subscription_id": ("Subscription ID", "契約 ID", "サブスクリプション ID", "subscription"),
    "month": ("Month", "Billing Month", "Period", "月", "請求月", "対象月"),
    "start_month": ("Start Date", "Subscription Start", "Start", "開始日", "契約開始日",
                    "current_period_start"),
    "end_month": ("End Date", "Cancellation Date", "Canceled At", "Ended At", "終了日",
                  "契約終了日", "解約日", "ended_at"),
    "mrr": ("MRR", "Monthly Recurring Revenue", "月次経常収益", "月額", "月額料金"),
})

#: Mappings of a leads export (``"salesforce"``: a leads report with the converted
#: opportunity's ID; ``"hubspot"``: a contacts export with lifecycle-stage dates) and of a
#: billing export (``"billing"``: one row per account and month, or per subscription).
#: Stage dates other than the CRM's own are read from headers such as ``AQL Date`` or
#: ``SQL日``; a mapping file or dict names any other header.
TABLE_TEMPLATES: Mapping[str, Mapping[str, CrmTemplate]] = MappingProxyType({
    "leads": MappingProxyType({"salesforce": _LEAD_SALESFORCE, "hubspot": _LEAD_HUBSPOT}),
    "billing": MappingProxyType({"billing": _BILLING}),
})


@dataclasses.dataclass(frozen=True, repr=False)
class TableExport:
    """A leads or billing export read into the package's table, with the rows that could not be.

    Attributes
    ----------
    kind : str
        ``"leads"`` or ``"billing"``.
    table : pandas.DataFrame
        For leads, the columns of :data:`LEAD_COLUMNS` the export has; for
        billing, the package's ``mrr`` table (``account_id, month, mrr``, and
        ``subscription_id`` when the export has one), one row per account (or
        subscription) and month with MRR above 0.
    quarantined : pandas.DataFrame
        ``row`` (as a spreadsheet numbers it: the header is row 1), ``reason``,
        and the row's values under the export's headers.
    source : CrmSource
        Encoding, delimiter, row counts and the columns used.
    """

    kind: str
    table: pd.DataFrame
    quarantined: pd.DataFrame
    source: CrmSource

    def summary(self) -> str:
        """One sentence: rows read, kept and quarantined, encoding and mapping."""
        s = self.source
        return (f"{Path(s.path).name}: {s.rows_read:,} rows read ({s.encoding}, mapping "
                f"{s.mapping!r}): {s.rows_kept:,} kept, {s.rows_quarantined:,} quarantined")

    def __repr__(self) -> str:
        return f"<TableExport {self.kind} {self.summary()}>"


_MONTH_TEXT = re.compile(r"^\s*(\d{4})\s*[-/.年]\s*(\d{1,2})\s*月?\s*$")


def _table_template(kind: str, mapping: Any) -> tuple[CrmTemplate | None, list[str]]:
    columns, required = _TABLE_KINDS[kind]
    templates = TABLE_TEMPLATES[kind]
    if isinstance(mapping, CrmTemplate):
        return mapping, []
    if isinstance(mapping, os.PathLike) or (
            isinstance(mapping, str) and mapping.casefold().endswith(MAPPING_SUFFIXES)):
        return _table_mapping_file(kind, mapping)
    if isinstance(mapping, str):
        template = templates.get(mapping.casefold())
        if template is None:
            return None, [f"mapping of a {kind} export must be one of {list(templates)}, a "
                          f"mapping file (.yaml) or a dict {{our column: your header}}, got "
                          f"{mapping!r}"]
        return template, []
    if not isinstance(mapping, Mapping):
        raise TypeError(f"mapping of a {kind} export must be one of {list(templates)} or a dict "
                        f"{{our column: your header(s)}}, got {type(mapping).__name__}")
    problems, chosen = [], {}
    for column, headers in mapping.items():
        if column not in columns:
            problems.append(f"mapping: {column!r} is not a column of a {kind} export; expected "
                            f"one of {list(columns)}")
            continue
        headers = (headers,) if isinstance(headers, str) else headers
        if (not isinstance(headers, Sequence) or not headers
                or not all(isinstance(h, str) for h in headers)):
            problems.append(f"mapping[{column!r}] must be a header (str) or a list of headers, "
                            f"got {headers!r}")
            continue
        chosen[column] = tuple(headers)
    missing = [c for c in required if c not in chosen]
    if missing:
        problems.append(f"mapping has no header for the required column(s) {missing}")
    return _template("custom", chosen), problems


def _table_mapping_file(kind: str, path: str | os.PathLike
                        ) -> tuple[CrmTemplate | None, list[str]]:
    """A leads or billing mapping file: ``columns`` and optionally ``template`` (a built-in)."""
    import yaml

    file = Path(path)
    where = f"mapping file {str(path)!r}"
    if not file.is_file():
        return None, [f"{where} does not exist"]
    try:
        spec = yaml.safe_load(file.read_text(encoding="utf-8-sig"))
    except (yaml.YAMLError, UnicodeDecodeError) as error:
        return None, [f"{where} is not valid YAML (UTF-8): {str(error).splitlines()[0]}"]
    templates = TABLE_TEMPLATES[kind]
    if not isinstance(spec, Mapping) or not isinstance(spec.get("columns", {}), Mapping):
        return None, [f"{where} must be a YAML mapping with 'columns' ({{our column: your "
                      f"header}}) and optionally 'template' (one of {list(templates)})"]
    base = spec.get("template")
    if base is not None and str(base).casefold() not in templates:
        return None, [f"{where}: template must be one of {list(templates)} for a {kind} "
                      f"export, got {base!r}"]
    unknown = [k for k in spec if k not in ("columns", "template", "name")]
    if unknown:
        return None, [f"{where}: unknown key(s) {unknown}; expected columns, template, name"]
    columns = {**(templates[str(base).casefold()].columns if base is not None else {}),
               **{k: v for k, v in (spec.get("columns") or {}).items() if v is not None}}
    template, problems = _table_template(kind, columns)
    if template is None or problems:
        return None, [f"{where}: {p}" for p in problems]
    return dataclasses.replace(template, name=str(spec.get("name") or file.name)), []


def _column_dates(column: pa.ChunkedArray, *, month: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """Dates of a text column (``datetime64[s]``) and which non-empty texts are not dates.

    A year-last date is read day first when some first number of the column
    is above 12 and no second one; ``month`` also reads ``2025-03``,
    ``2025/3`` and ``2025年3月`` (as the month's first day).
    """
    distinct = _Distinct(pc.utf8_trim_whitespace(column))
    texts = distinct.values
    firsts = [m for m in (_YEAR_LAST.match(t or "") for t in texts) if m]
    day_first = (any(int(m[1]) > 12 for m in firsts)
                 and not any(int(m[2]) > 12 for m in firsts))
    values = _read_dates([t or "" for t in texts], day_first)
    if month:
        for i, text in enumerate(texts):
            found = _MONTH_TEXT.match(_nfkc(text or ""))
            if found and 1 <= int(found[2]) <= 12:
                values[i] = np.datetime64(f"{found[1]}-{int(found[2]):02d}-01", "s")
    bad = np.array([bool(t) for t in texts], dtype=bool) & np.isnat(values)
    return distinct.take(values), distinct.take(bad)


def read_table_export(path: str | os.PathLike, *, kind: str,
                      mapping: str | Mapping[str, str | Sequence[str]] | CrmTemplate | None = None,
                      quarantine: str | os.PathLike | None = None,
                      encoding: str | None = None, through=None,
                      sheet: str | int | None = None) -> TableExport:
    """Read a leads or billing export (CSV or .xlsx) into the package's table, bad rows aside.

    The file is read as :func:`read_crm_export` reads one, by the same code:
    a CSV decoded, split and its footer recognised (UTF-8 with or without
    BOM, UTF-16, CP932; comma, tab or semicolon), an ``.xlsx`` workbook's
    sheet read with calamine (its header row found below any title rows,
    dates and numbers as the cells hold them); the headers are matched the
    same way (case, width, spaces, hyphens and underscores ignored).

    *Leads* (:data:`LEAD_COLUMNS`): one row per lead, with the date it was
    created (``inquiry_at``) and, for each stage it reached, that date; a
    lead whose ID repeats an earlier row's, whose ID or created date is
    empty, or with a date that cannot be read is quarantined. A stage date
    before the created date is quarantined too.

    *Billing* (:data:`BILLING_COLUMNS`): either one row per account (or
    subscription) and month with its MRR (``month``, e.g. ``2025-03``,
    ``2025/03/01`` or ``2025年3月``), or one row per subscription with its
    ``start_month``, optional ``end_month`` (the first month it no longer
    runs; empty while it runs) and MRR, spread over the months from start to
    end (to ``through``, or the latest month of the file, when it still runs). A row with an
    empty account, an MRR that is not a number or is negative, or an
    unreadable date is quarantined. The result is the ``mrr`` table
    (``account_id, month, mrr``), months with MRR above 0 only.

    Parameters
    ----------
    path
        The CSV or ``.xlsx`` file (only read).
    kind
        ``"leads"`` or ``"billing"``.
    mapping
        A name of :data:`TABLE_TEMPLATES` for ``kind`` (default: the first,
        ``"salesforce"`` for leads, ``"billing"`` for billing), a mapping file
        (``.yaml`` with ``kind:`` matching, see :mod:`revopslab.mapping`) or a
        dict ``{our column: your header or [headers]}``.
    quarantine
        When given, write the quarantined rows there (as :func:`read_crm_export`
        does: masked, every field quoted, atomically), only when a row was
        quarantined (an earlier read's file there is removed when none is).
    encoding
        Force an encoding instead of detecting it.
    through
        Billing by subscription: the last month a running subscription is
        counted in (the extraction date's month before; default the latest
        start or end month of the file).
    sheet
        The sheet of an ``.xlsx`` workbook (name or 0-based index; default the
        first).

    Returns
    -------
    TableExport

    Raises
    ------
    CrmExportError
        A required column missing, an unknown mapping, an empty or unreadable file.

    Examples
    --------
    >>> import tempfile
    >>> text = ("Account Name,Month,MRR\\nSato Inc.,2025-01,100\\nSato Inc.,2025/02,150\\n"
    ...         "Kato KK,2025年2月,80\\nKato KK,2025-03,-5\\n")
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     file = Path(folder) / "mrr.csv"
    ...     _ = file.write_text(text, encoding="utf-8")
    ...     billing = read_table_export(file, kind="billing")
    >>> billing.table
      account_id      month    mrr
    0    Kato KK 2025-02-01   80.0
    1  Sato Inc. 2025-01-01  100.0
    2  Sato Inc. 2025-02-01  150.0
    >>> billing.quarantined[["row", "reason"]].to_dict("records")
    [{'row': 5, 'reason': "MRR is negative: '-5'"}]
    """
    if kind not in _TABLE_KINDS:
        raise ValueError(f"kind must be one of {list(_TABLE_KINDS)}, got {kind!r}")
    file = _existing_file(path)
    if quarantine is not None and Path(quarantine).resolve() == file.resolve():
        raise ValueError(f"quarantine must not be the export itself, got {str(quarantine)!r}")
    columns, required = _TABLE_KINDS[kind]
    template, problems = _table_template(kind, mapping if mapping is not None
                                         else next(iter(TABLE_TEMPLATES[kind])))
    name = template.name if template is not None else str(mapping)
    data = file.read_bytes()
    header: list[str] | None = None
    buffer = sheet_body = None
    at = 0
    if data.startswith(_ZIP):
        sheet = 0 if sheet is None else sheet
        header, sheet_body, at = _open_sheet(file, sheet, problems)
        if header is not None and any(header) and not (sheet_body != "").any(axis=None):
            problems.append(f"sheet {sheet!r} has a header but no data rows")
    elif not data or data.isspace():
        problems.append(f"the file is empty ({len(data)} bytes): expected a header line and "
                        "data rows")
    else:
        buffer, used, encoding_problems = _decode(data, encoding)
        problems += encoding_problems
    del data
    if buffer is not None:
        header, delimiter, body = _header(buffer)
        end, footer = _footer(buffer, body, delimiter, len(header))
        if not any(header):
            problems.append("the first line (the header) is blank: expected column names")
        if any(header) and re.search(rb"\S", memoryview(buffer)[body:end]) is None:
            problems.append("the file has a header but no data rows")
    chosen: dict[str, int] = {}
    if header is not None and any(header) and template is not None:
        positions: dict[str, int] = {}
        for i, h in enumerate(header):
            positions.setdefault(_key(h), i)
        for column, candidates in template.columns.items():
            found = [positions[_key(c)] for c in candidates if _key(c) in positions]
            if found:
                chosen[column] = found[0]
        missing = [c for c in required if c not in chosen]
        if kind == "billing" and not ({"month", "start_month"} & set(chosen)):
            missing.append("month or start_month")
        problems += [f"no column for {c} (required): expected one of "
                     + ", ".join(repr(h) for h in template.columns.get(c, ()))
                     if c in template.columns else f"no column for {c} (required)"
                     for c in missing]
    if problems:
        raise CrmExportError(problems, path=str(path), mapping=name,
                             expected=None if template is None else template.columns,
                             found=header)
    assert header is not None and template is not None
    if sheet_body is not None:
        table, lines, footer = _sheet_rows(sheet_body, at)
        invalid, used, delimiter = [], _sheet_kind(sheet, at), ""
    else:
        assert buffer is not None
        table, invalid, lines = _parse(buffer[:end], len(header), delimiter)
    n = table.num_rows
    reasons = _Reasons(n)
    label = {c: header[i] for c, i in chosen.items()}
    raw = {c: pc.utf8_trim_whitespace(table.column(f"f{i}")) for c, i in chosen.items()}
    empty = {c: _bool(pc.equal(v, "")) for c, v in raw.items()}
    filled = np.zeros(n, dtype=bool)
    for i in range(len(header)):
        filled |= ~_bool(pc.equal(pc.utf8_trim_whitespace(table.column(i)), ""))
    reasons.only(~filled, "the row is empty")
    out: dict[str, Any] = {}
    for c in required:
        reasons.add(filled & empty[c], f"{label[c]} is empty")
    dates = [c for c in chosen if c.endswith("_at") or c in ("month", "start_month",
                                                             "end_month")]
    for c in dates:
        values, bad = _column_dates(raw[c], month=c in ("month", "start_month", "end_month"))
        reasons.add(bad, f"{label[c]} is not a date:", raw[c])
        out[c] = values.astype("datetime64[ns]")
    for c in chosen:
        if c not in out and c != "mrr":
            out[c] = np.where(empty[c], None, _np(raw[c]).astype(object))
    if kind == "leads":
        ids = pd.Series(out["lead_id"])
        repeat = (ids.duplicated() & ids.notna()).to_numpy()
        reasons.add(repeat, f"{label['lead_id']} repeats an earlier row's:", raw["lead_id"])
        created = pd.Series(out["inquiry_at"])
        for c in dates:
            if c != "inquiry_at":
                early = (pd.Series(out[c]) < created).to_numpy()
                reasons.add(early, f"{label[c]} is before {label['inquiry_at']}:", raw[c])
        if "motion" in out:
            motions = pd.Series(out["motion"], dtype=object)
            read = motions.map(lambda v: None if v is None else _MOTION_KEYS.get(_key(v)))
            reasons.add((motions.notna() & read.isna()).to_numpy(),
                        f"{label['motion']} is not one of {sorted(set(MOTION_LABELS))}:",
                        raw["motion"])
            out["motion"] = read.to_numpy()
        if "opportunity_id" in out:  # HubSpot lists associated deals as "1;2": the first
            out["opportunity_id"] = pd.Series(out["opportunity_id"], dtype=object).str.split(
                ";").str[0].str.strip().to_numpy()
    else:
        mrr, status, _ = _money(_Numbers(table.column(f"f{chosen['mrr']}")),
                                lambda code: 0 if not code else 1)
        reasons.add(status == -1, f"{label['mrr']} is not an amount:", raw["mrr"])
        reasons.add((status == 1) & (mrr < 0), f"{label['mrr']} is negative:", raw["mrr"])
        out["mrr"] = mrr
    keep = ~reasons.bad
    frame = pd.DataFrame(out).loc[keep].reset_index(drop=True)
    if kind == "billing":
        frame = _billing_months(frame, through)
    else:
        frame = frame[[c for c in columns if c in frame.columns]]
    names = _quarantine_names(header)
    bad_rows = np.flatnonzero(reasons.bad)
    values = table.take(pa.array(bad_rows, type=pa.int64())).to_pandas()
    values.columns = names
    joined = reasons.joined()
    bad = pd.concat([
        pd.DataFrame({"row": lines[bad_rows],
                      "reason": pd.Series(joined.reindex(bad_rows).to_numpy(), dtype="str")}),
        values.astype("str")], axis=1)
    malformed = pd.DataFrame({
        "row": np.array([r for r, _ in invalid], dtype=np.int64),
        "reason": pd.Series([_field_count_reason(_count_fields(t, delimiter), len(header))
                             for _, t in invalid], dtype="str")})
    quarantined = (pd.concat([bad, malformed], ignore_index=True) if len(malformed) else bad)
    quarantined = quarantined.sort_values("row", kind="stable").reset_index(drop=True)
    quarantined["row"] = quarantined["row"].astype("int64")
    if quarantine is not None:
        _write_quarantine(quarantined, quarantine)
    rows_read = n + len(invalid)
    kept = int(keep.sum())
    if rows_read != kept + len(quarantined):
        raise AssertionError(f"rows read ({rows_read}) != rows kept ({kept}) + rows "
                             f"quarantined ({len(quarantined)}): a reader bug, please report it")
    if not kept:
        raise CrmExportError([_nothing_kept(quarantined, quarantine)], path=str(file),
                             mapping=name, found=header)
    source = CrmSource(
        path=str(file), mapping=name, encoding=used, delimiter=delimiter, rows_read=rows_read,
        rows_kept=kept, rows_quarantined=len(quarantined), columns=MappingProxyType(label),
        unused_columns=tuple(h for i, h in enumerate(header) if i not in set(chosen.values())),
        footer=footer, date_order=None)
    return TableExport(kind, frame, quarantined, source)


def _billing_months(rows: pd.DataFrame, through=None) -> pd.DataFrame:
    """Billing rows as the ``mrr`` table: by month as they are, or subscriptions spread out."""
    keys = ["account_id", *(["subscription_id"] if "subscription_id" in rows else [])]
    if "month" in rows:
        months = rows.dropna(subset=["month"]).assign(
            month=lambda f: f["month"].dt.to_period("M").dt.to_timestamp())
    else:
        start = rows["start_month"].dt.to_period("M")
        end = (rows["end_month"].dt.to_period("M") if "end_month" in rows
               else pd.Series(pd.NaT, index=rows.index).dt.to_period("M"))
        last = (pd.Timestamp(through).to_period("M") if through is not None else
                max(start.max(), end.max() - 1 if end.notna().any() else start.max()))
        stop = end.where(end.notna(), last + 1)
        spans = [pd.period_range(a, b - 1, freq="M") if b > a else pd.PeriodIndex([], freq="M")
                 for a, b in zip(start, stop, strict=True)]
        months = rows.loc[rows.index.repeat([len(s) for s in spans])].copy()
        months["month"] = (pd.PeriodIndex.from_ordinals(
            np.concatenate([s.asi8 for s in spans]), freq="M").to_timestamp()
            if spans else pd.DatetimeIndex([]))
    table = (months[months["mrr"] > 0].groupby([*keys, "month"], as_index=False, sort=True)
             ["mrr"].sum())
    return table[[*keys, "month", "mrr"]].reset_index(drop=True)


def write_company_exports(company, folder: str | os.PathLike) -> dict[str, Path]:
    """Write a simulated company as the three exports a report reads: deals, leads and billing.

    ``opportunities.csv`` is an English Salesforce opportunity report (as
    ``salesforce_opportunities_en.csv``; with a ``Push Count`` column, each
    open deal's close-date pushes on the company's last pipeline snapshot,
    when the company has snapshots); ``leads.csv`` a Salesforce leads report
    (``Lead ID``, ``Motion``, ``Created Date``, one ``<STAGE> Date`` column per later
    stage, ``Converted Date`` and ``Converted Opportunity ID``, the
    opportunity's ID as in the opportunity report); ``billing.csv`` one row per
    account and month with its MRR (``Account Name, Month, MRR``). Accounts
    are named as in the opportunity report, which is how the files join.
    Existing files are replaced atomically.

    Returns
    -------
    dict
        ``{"opportunities": path, "leads": path, "billing": path}``.

    Examples
    --------
    >>> import tempfile
    >>> from revopslab.config import CompanyConfig
    >>> from revopslab.simulate import simulate_company
    >>> company = simulate_company(CompanyConfig(months=12, scale=0.1), rng=1)
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     files = write_company_exports(company, folder)
    ...     leads = read_table_export(files["leads"], kind="leads")
    >>> leads.source.rows_read == len(company.leads), leads.source.rows_quarantined
    (True, 0)
    """
    from ._safe_io import atomic_write

    _, en, _ = _opportunity_frames(company)
    o = company.opportunities.sort_values(["created_at", "opportunity_id"]).reset_index(drop=True)
    snaps = getattr(company, "pipeline_snapshots", None)
    if snaps is not None and len(snaps) and "push_count" in snaps:
        last = snaps[snaps["snapshot_date"] == snaps["snapshot_date"].max()]
        pushes = o["opportunity_id"].map(last.set_index("opportunity_id")["push_count"])
        en["Push Count"] = [("" if pd.isna(v) else str(int(v))) for v in pushes]
    names = company.accounts.set_index("account_id")["account_name"]
    leads = company.leads.sort_values(["inquiry_at", "lead_id"]).reset_index(drop=True)
    opp_of = company.opportunities.dropna(subset=["lead_id"]).drop_duplicates("lead_id")
    opp_of = opp_of.set_index("lead_id")["opportunity_id"]

    def stamp(values: pd.Series) -> list[str]:
        return ["" if pd.isna(v) else f"{v:%Y-%m-%d %H:%M:%S}" for v in values]

    lead_frame = pd.DataFrame({
        "Lead ID": leads["lead_id"].to_numpy(),
        "Company / Account": leads["account_id"].map(names).to_numpy(),
        "Segment": leads["segment"].to_numpy(),
        "Lead Source": leads["channel"].map(_SOURCE_LABELS["en"]).to_numpy(),
        "Motion": leads["motion"].map({"inbound": "Inbound", "outbound": "Outbound",
                                       "sales": "Field Sales"}).to_numpy(),
        "Created Date": stamp(leads["inquiry_at"]),
        **{f"{s.upper()} Date": stamp(leads[f"{s}_at"]) for s in _WATERFALL_STAGES[1:-1]},
        "Converted Date": stamp(leads["opportunity_at"]),
        "Converted Opportunity ID": [
            "" if pd.isna(v) else _salesforce_id(pd.Series([v]))[0]
            for v in leads["lead_id"].map(opp_of)],
    })
    mrr = company.mrr.groupby(["account_id", "month"], as_index=False)["mrr"].sum()
    mrr = mrr[mrr["mrr"] > 0].sort_values(["month", "account_id"])
    billing = pd.DataFrame({"Account Name": mrr["account_id"].map(names).to_numpy(),
                            "Month": mrr["month"].dt.strftime("%Y-%m").to_numpy(),
                            "MRR": [str(int(round(v))) for v in mrr["mrr"]]})
    target = Path(folder)
    target.mkdir(parents=True, exist_ok=True)
    files = {}
    for kind, frame in (("opportunities", en), ("leads", lead_frame), ("billing", billing)):
        path = target / f"{kind}.csv"
        with atomic_write(path, mode="wb") as handle:
            handle.write(("\r\n".join(_csv_lines(frame, True)) + "\r\n").encode("utf-8"))
        files[kind] = path
    return files
