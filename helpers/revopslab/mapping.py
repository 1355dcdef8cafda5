"""Mapping files for CRM exports: read one you wrote, or get one suggested from the export itself.

A mapping file is YAML. ``columns`` names, for each column of the package's
opportunities table, the export's header that holds it (or a list of
candidates); the other keys are optional::

    columns:
      opportunity_id: Deal ID
      stage: Deal Stage
      amount: [Deal Value, Amount]
      created_at: Created
      expected_close_date: Expected Close
    stages:              # your stage labels -> discovery, demo, proposal, negotiation,
      Engaging: demo     #   closed_won or closed_lost (null: read as an open deal, 'unmapped')
    date_order: month/day/year   # or day/month/year; null decides it from the values
    decimal: "."                 # or ","; null decides it from the values
    currency: USD                # amounts that carry no currency mark
    close_date_required: false   # true when every row must have a close date
    sheet: 0                     # .xlsx: the sheet's name or 0-based index

``template: salesforce`` (or ``hubspot``) instead of, or with, ``columns`` starts
from a built-in template and changes only what the file says.

``revopslab mapping suggest EXPORT --out MAPPING.yaml`` writes one, with a
comment on every line saying why; ``read_crm_export(path, mapping="MAPPING.yaml")``
and ``revopslab report --mapping MAPPING.yaml`` read it.
"""

from __future__ import annotations

import dataclasses
import json
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from . import crm
from ._safe_io import atomic_write, path_problems

__all__ = ["HEADER_NAMES", "MappingSuggestion", "load_mapping", "mapping_from_spec",
           "suggest_mapping", "write_mapping", "with_sheet"]

_KEYS = ("name", "template", "columns", "stages", "date_order", "decimal", "currency",
         "close_date_required", "probability_scale", "sheet")

#: Common header names of each column in CRMs other than the built-in templates
#: (Pipedrive, Zoho, Dynamics 365, Freshsales, Close, public sample datasets,
#: Japanese SFA tools), English and Japanese. Matching ignores case, width,
#: spaces, hyphens and underscores, as the reader does.
HEADER_NAMES: Mapping[str, tuple[str, ...]] = {
    "opportunity_id": ("opportunity_id", "deal id", "id", "deal - id", "opportunity number",
                       "potential id", "案件id", "案件番号", "商談番号", "商談id", "取引id",
                       "record id"),
    "opportunity_name": ("deal name", "deal title", "title", "deal - title", "opportunity",
                         "potential name", "topic", "案件名", "商談名", "件名"),
    "account_name": ("account", "account name", "company", "company name", "organization",
                     "deal - organization", "customer", "client", "顧客名", "会社名", "企業名",
                     "取引先", "取引先名", "顧客"),
    "owner_rep_id": ("sales agent", "sales_agent", "sales rep", "rep", "salesperson", "owner",
                     "deal owner", "deal - owner", "assigned to", "owner name", "担当者",
                     "営業担当", "担当営業", "営業担当者"),
    "stage": ("deal stage", "deal_stage", "stage", "pipeline stage", "sales stage", "phase",
              "deal - stage", "stage name", "ステージ", "フェーズ", "商談ステージ",
              "案件ステージ", "進捗", "進捗状況"),
    "amount": ("amount", "close value", "close_value", "deal value", "value", "deal - value",
               "revenue", "est. revenue", "estimated revenue", "expected revenue",
               "deal amount", "opportunity amount", "金額", "受注金額", "見込金額", "案件金額",
               "見積金額", "売上"),
    "expected_close_date": ("close date", "close_date", "closing date", "expected close date",
                            "expected close", "est. close date", "estimated close date",
                            "deal - expected close date", "完了予定日", "受注予定日",
                            "クローズ予定日", "クローズ日", "成約予定日"),
    "created_at": ("created", "created date", "create date", "created on", "created time",
                   "created at", "date created", "engage date", "engage_date",
                   "deal - deal created", "作成日", "登録日", "作成日時", "登録日時", "起票日"),
    "closed_at": ("actual close date", "won date", "won time", "deal - won time", "受注日",
                  "成約日"),
    "rep_probability": ("probability", "win probability", "deal probability", "probability (%)",
                        "確度", "受注確度", "確度 (%)"),
    "forecast_category": ("forecast category", "forecast", "売上予測分類", "ヨミ"),
    "opportunity_type": ("type", "deal type", "opportunity type", "種別", "案件種別"),
    "lead_source": ("lead source", "source", "original source", "リードソース", "流入元"),
    "currency": ("currency", "deal currency", "通貨"),
    "segment": ("segment", "セグメント"),
    "pipeline": ("pipeline", "パイプライン"),
    "deal_status": ("deal - status", "deal status", "status"),
    "is_won": ("won", "is won", "成立"),
    "is_closed": ("closed", "is closed", "完了"),
}
_SAMPLE_ROWS = 5000


# ----------------------------------------------------------------------------- reading
def load_mapping(path: str | os.PathLike) -> tuple[crm.CrmTemplate | None, list[str]]:
    """A mapping file as a :class:`~revopslab.crm.CrmTemplate`, and every problem found in it.

    Returns ``(None, problems)`` when the file cannot be used; ``problems`` name
    the key, what was expected and what the file has.

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     file = Path(folder) / "m.yaml"
    ...     _ = file.write_text("columns:\\n  opportunity_id: ID\\n  stage: Phase\\n"
    ...                         "  amount: Value\\n  created_at: Created\\n"
    ...                         "  expected_close_date: Due\\nstages:\\n  Engaging: demo\\n"
    ...                         "  Odd: null\\ndate_order: day/month/year\\n")
    ...     template, problems = load_mapping(file)
    >>> template.name, dict(template.stages), template.date_order, problems
    ('m.yaml', {'Engaging': 'demo'}, 'day/month/year', [])
    """
    import yaml

    file = Path(path)
    if not file.is_file():
        return None, [f"mapping must be 'salesforce', 'hubspot', a dict or an existing mapping "
                      f"file (.yaml), got {str(path)!r} (no such file)"]
    try:
        spec = yaml.safe_load(file.read_text(encoding="utf-8-sig"))
    except (yaml.YAMLError, UnicodeDecodeError) as error:
        return None, [f"mapping file {str(path)!r} is not valid YAML (UTF-8): "
                      f"{str(error).splitlines()[0]}"]
    return mapping_from_spec(spec, name=file.name, where=f"mapping file {str(path)!r}")


def mapping_from_spec(spec: Any, *, name: str = "custom", where: str = "mapping"
                      ) -> tuple[crm.CrmTemplate | None, list[str]]:
    """A mapping file's content (already parsed) as a template, and every problem in it.

    ``template: salesforce`` (or ``hubspot``) starts from a built-in template:
    its columns, stage probabilities and options, which the file's own keys
    extend or override; ``columns`` is then optional.

    Examples
    --------
    >>> template, problems = mapping_from_spec({"template": "hubspot", "sheet": "Deals",
    ...                                         "columns": {"segment": "Segment"}})
    >>> template.name, template.sheet, template.columns["segment"], problems
    ('custom', 'Deals', ('Segment',), [])
    """
    base = None
    if isinstance(spec, Mapping) and spec.get("template") is not None:
        base = crm.CRM_TEMPLATES.get(str(spec["template"]).casefold())
        if base is None:
            return None, [f"{where}: template must be one of {list(crm.CRM_TEMPLATES)}, got "
                          f"{spec['template']!r}"]
    own = spec.get("columns") if isinstance(spec, Mapping) else None
    if not isinstance(spec, Mapping) or not (isinstance(own, Mapping) or (
            base is not None and own is None)):
        return None, [f"{where} must be a YAML mapping with 'columns' ({{our column: your "
                      f"header}}) or 'template', got {type(spec).__name__}"]
    problems = [f"{where}: unknown key {key!r}; expected some of {list(_KEYS)}"
                for key in spec if key not in _KEYS]
    columns = {**(base.columns if base else {}),
               **{k: v for k, v in (own or {}).items() if v is not None}}
    template, column_problems = crm._mapping_of(columns)
    problems += [f"{where}: {p}" for p in column_problems]
    stages = spec.get("stages") or {}
    if not isinstance(stages, Mapping):
        problems.append(f"{where}: stages must map your labels to package stages, got "
                        f"{stages!r}")
        stages = {}
    options = {
        "stages": {str(k): v for k, v in stages.items() if v is not None},
        "date_order": _choice(spec, "date_order", (None, *crm.DATE_ORDERS), problems, where),
        "decimal": _choice(spec, "decimal", (None, ".", ","), problems, where),
        "currency": _text(spec, "currency", problems, where),
        "close_date_required": _choice(spec, "close_date_required", (False, True), problems,
                                       where, default=bool(base and base.close_date_required)),
        "probability_scale": _choice(spec, "probability_scale", (None, 1, 100), problems, where,
                                     default=base.probability_scale if base else None),
        "stage_probability": base.stage_probability if base else None,
        "sheet": _sheet(spec.get("sheet"), problems, where),
    }
    if problems:
        return None, problems
    label = str(spec.get("name") or (base.name if base and own is None else name))
    return dataclasses.replace(template, name=label, **options), []


def _choice(spec: Mapping, key: str, allowed: Sequence[Any], problems: list[str],
            where: str, default: Any = None) -> Any:
    value = spec.get(key, default)
    if value not in allowed or isinstance(value, bool) != isinstance(allowed[-1], bool):
        if not (value is None and None in allowed):
            problems.append(f"{where}: {key} must be one of {list(allowed)}, got {value!r}")
    return value


def _text(spec: Mapping, key: str, problems: list[str], where: str) -> str | None:
    value = spec.get(key)
    if value is not None and (not isinstance(value, str) or not value.strip()):
        problems.append(f"{where}: {key} must be a text such as 'JPY' or null, got {value!r}")
    return value


def _sheet(value: Any, problems: list[str], where: str) -> str | int | None:
    if value is not None and not (isinstance(value, str) or (
            isinstance(value, int) and not isinstance(value, bool) and value >= 0)):
        problems.append(f"{where}: sheet must be a sheet name or a 0-based index, got "
                        f"{value!r}")
    return value


# ----------------------------------------------------------------------------- suggesting
@dataclasses.dataclass(frozen=True)
class MappingSuggestion:
    """What ``suggest_mapping`` found: the columns, stages and formats, each with its reason.

    Attributes
    ----------
    path
        The export read.
    header
        Its headers, in order.
    columns
        Our column -> ``(header, why)``.
    missing
        Required columns no header was found for.
    stages
        Each stage label seen -> ``(package stage or None, why, rows in the sample)``.
    date_order, decimal, currency
        What the values say (``None``: nothing to decide, or not found).
    sample_rows
        Rows the suggestion was made from.
    """

    path: str
    header: tuple[str, ...]
    columns: Mapping[str, tuple[str, str]]
    missing: tuple[str, ...]
    stages: Mapping[str, tuple[str | None, str, int]]
    date_order: str | None
    decimal: str | None
    currency: str | None
    sample_rows: int
    sheet: str | int | None = None

    def to_yaml(self) -> str:
        """The mapping file, with a comment on every line saying why."""
        q = _quote
        lines = [f"# revopslab mapping, suggested from {Path(self.path).name} "
                 f"({self.sample_rows:,} rows read). Check every line, then:",
                 f"#   revopslab report --source {q(Path(self.path).name)} --mapping THIS_FILE",
                 "columns:"]
        for column, (header, why) in self.columns.items():
            lines.append(f"  {column}: {q(header)}  # {why}")
        for column in self.missing:
            lines.append(f"  {column}: null  # REQUIRED, not found: write one of the headers "
                         f"{', '.join(map(q, self.header))}")
        lines.append("stages:  # your label -> discovery, demo, proposal, negotiation, "
                     "closed_won, closed_lost")
        for label, (stage, why, rows) in self.stages.items():
            lines.append(f"  {q(label)}: {q(stage) if stage else 'null'}  # {why}; "
                         f"{rows:,} rows")
        lines += [f"date_order: {q(self.date_order) if self.date_order else 'null'}  "
                  "# month/day/year or day/month/year for dates like 3/1/2025; null: from "
                  "the values",
                  f"decimal: {q(self.decimal) if self.decimal else 'null'}  # the decimal mark "
                  "of amounts: \".\" or \",\"",
                  f"currency: {q(self.currency) if self.currency else 'null'}  # of amounts "
                  "without a currency mark (ISO code, e.g. JPY, USD)",
                  "close_date_required: false  # true: a row without a close date is "
                  "quarantined"]
        if self.sheet is not None:
            lines.append(f"sheet: {q(self.sheet)}  # the workbook's sheet")
        return "\n".join(lines) + "\n"


def _quote(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)  # a JSON string is a YAML scalar


def suggest_mapping(path: str | os.PathLike, *, sheet: str | int | None = None,
                    encoding: str | None = None, rows: int = _SAMPLE_ROWS) -> MappingSuggestion:
    """Suggest a mapping for an export from its headers and a sample of its rows.

    Headers are matched to the built-in templates and to :data:`HEADER_NAMES`
    (the common names of other CRMs, English and Japanese). A required column
    still missing is then looked for by content: an ID column (every value
    distinct), dates (the earlier one created, the later one the close),
    money (numbers, most above 100) and the stage (few distinct texts). The
    stage labels seen get the stage the reader would give them; the sample's
    dates, decimal mark and currency marks are read as the reader would.

    Parameters
    ----------
    path
        The export (CSV in any encoding the reader detects, or ``.xlsx``).
    sheet
        The workbook's sheet (default the first).
    encoding
        Force the CSV's encoding.
    rows
        How many rows to read (the first ones).

    Returns
    -------
    MappingSuggestion
        ``.to_yaml()`` is the mapping file.

    Raises
    ------
    CrmExportError
        The file cannot be read at all (encoding, empty ...).

    Examples
    --------
    >>> import tempfile
    >>> text = ("opportunity_id,sales_agent,deal_stage,engage_date,close_date,close_value\\n"
    ...         "1C1I7A6R,Moses Frase,Won,2016-10-20,2017-03-01,1054\\n"
    ...         "Z063OYW0,Darcel Schlecht,Engaging,2016-10-25,,\\n")
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     file = Path(folder) / "sales_pipeline.csv"
    ...     _ = file.write_text(text)
    ...     s = suggest_mapping(file)
    >>> {column: header for column, (header, _) in s.columns.items()}
    {'opportunity_id': 'opportunity_id', 'stage': 'deal_stage', 'amount': 'close_value', \
'created_at': 'engage_date', 'expected_close_date': 'close_date', 'owner_rep_id': 'sales_agent'}
    >>> s.stages["Won"][0], s.stages["Engaging"][0], s.missing
    ('closed_won', None, ())
    """
    header, table = _sample(path, sheet=sheet, encoding=encoding, rows=rows)
    columns = _by_header(header)
    if "deal_status" in columns:  # a status column only when it holds won / lost / open
        values = [v for v in table.column(header.index(columns["deal_status"][0])).to_pylist()
                  if v.strip()]
        if sum(crm._outcome(v) != -2 for v in values) <= 0.5 * len(values):
            del columns["deal_status"]
    _by_content(header, table, columns)
    missing = tuple(c for c in crm.REQUIRED_COLUMNS if c not in columns)
    values = {c: table.column(header.index(h)) for c, (h, _) in columns.items()}
    stages = _stage_suggestions(values.get("stage"))
    date_cols = {c: crm._DateColumn(v) for c, v in values.items()
                 if crm._KINDS[c] == "date"}
    _, date_order, _ = crm._date_orders(date_cols, {c: c for c in date_cols}, None)
    decimal = currency = None
    if "amount" in values:
        numbers = crm._Numbers(values["amount"])
        decimal = numbers.decimal
        marks = {m for m in numbers.pre.values + numbers.post.values if m}
        codes = {crm._CURRENCY_MARKS.get(m.strip(), m.strip().upper()) for m in marks}
        codes = {c for c in codes if len(c) == 3 and c.isalpha()}
        currency = codes.pop() if len(codes) == 1 else None
    return MappingSuggestion(
        path=str(path), header=tuple(header), columns=columns, missing=missing,
        stages=stages, date_order=None if date_order == "per column" else date_order,
        decimal=decimal, currency=currency, sample_rows=table.num_rows, sheet=sheet)


def write_mapping(suggestion: MappingSuggestion, out: str | os.PathLike) -> Path:
    """Write ``suggestion.to_yaml()`` to ``out`` (UTF-8, atomically); never over the export."""
    target = Path(out)
    problems = path_problems({"out": target}, {"export": suggestion.path})
    if problems:
        raise ValueError("; ".join(problems))
    with atomic_write(target) as handle:
        handle.write(suggestion.to_yaml())
    return target


def _sample(path: str | os.PathLike, *, sheet: str | int | None, encoding: str | None,
            rows: int) -> tuple[list[str], pa.Table]:
    """The export's headers and its first ``rows`` rows as text, the way the reader reads them."""
    file = crm._existing_file(path)
    data = file.read_bytes()
    if data.startswith(crm._ZIP):
        header, body, _ = crm._sheet_text(file, 0 if sheet is None else sheet, rows)
        return header, crm._text_table(body)
    buffer, _, problems = crm._decode(data, encoding)
    if buffer is None or not len(buffer):
        raise crm.CrmExportError(problems or ["the file is empty"], path=str(path))
    header, delimiter, body = crm._header(buffer)
    end, _ = crm._footer(buffer, body, delimiter, len(header))
    head = bytes(buffer[:min(end, 1 << 26)])
    cut = body
    for _ in range(rows):
        found = head.find(b"\n", cut)
        cut = len(head) if found < 0 else found + 1
        if found < 0:
            break
    try:
        table, _, _ = crm._parse(buffer[:cut], len(header), delimiter)
    except pa.ArrowInvalid:  # the sample ends inside a quoted value: read the whole file
        table, _, _ = crm._parse(buffer[:end], len(header), delimiter)
    return header, table[:rows]


def _by_header(header: Sequence[str]) -> dict[str, tuple[str, str]]:
    keys = {}
    for name in header:
        keys.setdefault(crm._key(name), name)
    found: dict[str, tuple[str, str]] = {}
    taken: set[str] = set()
    sources = [(f"the {t.name} template's header", t.columns) for t in crm.CRM_TEMPLATES.values()]
    sources.append(("a common header name", HEADER_NAMES))
    for why, names in sources:
        for column, candidates in names.items():
            if column in found:
                continue
            for candidate in candidates:
                name = keys.get(crm._key(candidate))
                if name is not None and name not in taken:
                    found[column] = (name, why)
                    taken.add(name)
                    break
    order = list(crm.REQUIRED_COLUMNS) + [c for c in HEADER_NAMES if c not in crm.REQUIRED_COLUMNS]
    return {c: found[c] for c in order if c in found}


def _by_content(header: Sequence[str], table: pa.Table,
                columns: dict[str, tuple[str, str]]) -> None:
    """Find the required columns the headers did not name, from the values."""
    free = [i for i, h in enumerate(header) if h not in {v[0] for v in columns.values()}]
    texts = {i: [v.strip() for v in table.column(i).to_pylist()] for i in free}
    filled = {i: [v for v in values if v] for i, values in texts.items()}
    dates = {}
    for i in free:
        values = filled[i][:500]
        if values and sum(crm.parse_date(v) is not None for v in values) >= 0.8 * len(values):
            dates[i] = pd.Series([crm.parse_date(v) for v in values]).dropna().median()
    if "opportunity_id" not in columns:
        unique = [i for i in free if filled[i] and i not in dates
                  and len(set(filled[i])) == len(texts[i])]
        if unique:
            columns["opportunity_id"] = (header[unique[0]], "every value distinct")
    for column in ("created_at", "expected_close_date"):
        if column in columns or not dates:
            continue
        pick = min(dates, key=dates.get) if column == "created_at" else max(dates, key=dates.get)
        columns[column] = (header[pick], "dates; the " + ("earliest" if column == "created_at"
                                                           else "latest") + " of the date columns")
        del dates[pick]
    taken = {v[0] for v in columns.values()}
    for i in free:
        if header[i] in taken or "amount" in columns:
            continue
        numbers = crm._Numbers(table.column(i))
        read = numbers.value[numbers.status == 1]
        if len(read) and (numbers.status >= 0).all() and np.median(read) > 100 \
                and i not in dates:
            columns["amount"] = (header[i], "numbers, most above 100")
    for i in free:
        if header[i] in taken or "stage" in columns or not filled[i]:
            continue
        labels = set(filled[i])
        words = sum(crm._key(v) in crm._STAGE_KEYS or crm._word_stage(crm._key(v)) is not None
                    for v in labels)
        if 2 <= len(labels) <= 30 and words:
            columns["stage"] = (header[i], f"{len(labels)} distinct texts, {words} of them stage "
                                           "names")


def _stage_suggestions(column: pa.ChunkedArray | None
                       ) -> dict[str, tuple[str | None, str, int]]:
    if column is None:
        return {}
    counts = pd.Series([v.strip() for v in column.to_pylist()]).value_counts()
    out = {}
    for label, rows in counts.items():
        if not label:
            continue
        key = crm._key(label)
        if key in crm._STAGE_KEYS:
            out[label] = (crm._STAGE_KEYS[key], "a built-in stage name", int(rows))
        elif crm._word_stage(key):
            out[label] = (crm._word_stage(key), "a won/lost word", int(rows))
        else:
            out[label] = (None, "not recognised: write its stage, or leave null to read it as "
                                "an open deal in 'unmapped'", int(rows))
    return out


def with_sheet(mapping: str | os.PathLike | None, sheet: str | int,
               folder: str | os.PathLike) -> Path:
    """A mapping file in ``folder``: ``mapping`` (a template or a mapping file) reading ``sheet``.

    For ``revopslab report --sheet``: the report notebook takes a mapping, so
    the sheet travels in a mapping file of its own (named as the original).

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     template, _ = load_mapping(with_sheet("hubspot", "Deals", folder))
    >>> template.name, template.sheet
    ('hubspot', 'Deals')
    """
    import yaml

    name = "salesforce" if mapping is None else mapping
    if str(name).casefold() in crm.CRM_TEMPLATES:
        spec: dict[str, Any] = {"template": str(name).casefold()}
    elif not Path(name).is_file():
        raise crm.CrmExportError([f"mapping must be one of {list(crm.CRM_TEMPLATES)} or an "
                                  f"existing mapping file, got {str(name)!r}"], path=str(name))
    else:
        spec = dict(yaml.safe_load(Path(name).read_text(encoding="utf-8-sig")) or {})
        spec.setdefault("name", Path(name).name)
    spec["sheet"] = sheet
    target = Path(folder) / "mapping.yaml"
    with atomic_write(target) as handle:
        yaml.safe_dump(spec, handle, allow_unicode=True, sort_keys=False)
    return target
