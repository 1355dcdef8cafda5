"""The RevOps health report: its parameters, sections, recommendations, and its papermill runner."""

from __future__ import annotations

import ast
import contextlib
import dataclasses
import itertools
import logging
import os
import re
import tempfile
import time
import unicodedata
import warnings
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from types import MappingProxyType, SimpleNamespace
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.axes import Axes

from . import metrics, process
from .style import OKABE_ITO, format_yen, label, yen_formatter
from .vocabulary import DEFAULT_SEED, LANGUAGES, OPPORTUNITY_STAGES, SEGMENTS

__all__ = [
    "NOTEBOOK",
    "DEFAULT_PARAMETERS",
    "PROFILES",
    "SEGMENTS",
    "MAPPINGS",
    "BENCHMARKS",
    "ReportParameterError",
    "ReportError",
    "ReportData",
    "OpportunitySummary",
    "Findings",
    "Recommendation",
    "ReportResult",
    "GridRun",
    "GridResult",
    "Prose",
    "Table",
    "check_parameters",
    "injected_parameters",
    "load_source",
    "resolve_period",
    "period_label",
    "heading",
    "say",
    "pick",
    "numbered",
    "view",
    "relabel",
    "term",
    "translate_legend",
    "md_literal",
    "mask_text",
    "missing_tables",
    "waterfall_counts",
    "bowtie_counts",
    "conversion_table",
    "bottleneck_table",
    "retention_summary",
    "cohort_retention",
    "forecast_backtest",
    "opportunity_summary",
    "kpis",
    "quarantine_summary",
    "export_notes",
    "findings",
    "recommendations",
    "cohort_heatmap",
    "forecast_vs_actual",
    "monthly_bookings",
    "step_label",
    "format_value",
    "render_html",
    "run_report",
    "read_grid",
    "run_grid",
]

#: The report notebook (``notebooks/06_revops_report.ipynb`` of the repository).
NOTEBOOK: Path = Path(__file__).resolve().parents[2] / "notebooks" / "06_revops_report.ipynb"

#: The notebook's parameters and their defaults: the ``parameters`` cell holds exactly these.
DEFAULT_PARAMETERS: Mapping[str, Any] = MappingProxyType({
    "source": "simulated",
    "seed": DEFAULT_SEED,
    "profile": "default",
    "months": 36,
    "scale": 1.0,
    "mapping": "salesforce",
    "as_of": None,
    "quarantine": None,
    "period": None,
    "segment": None,
    "lang": "en",
    "progress": False,
})

#: Company profiles a simulated report can use (``revopslab.config.PROFILES``).
PROFILES: tuple[str, ...] = ("default", "siloed", "startup", "enterprise", "plg", "mlg")
#: Segments of the simulated company (:data:`revopslab.vocabulary.SEGMENTS`).
#: Column mappings of a CRM export (``revopslab.crm.CRM_TEMPLATES``).
MAPPINGS: tuple[str, ...] = ("salesforce", "hubspot")
_LANGS = LANGUAGES

#: Thresholds of the recommendation rules, with their sources.
#:
#: * ``gross_revenue_retention`` 0.90: SaaS Capital's 2023 median GRR (90-93 % by ACV band);
#: * ``net_revenue_retention`` 1.00: below 100 % the installed base shrinks on its own;
#: * ``win_rate`` 0.15: the low end of the published range (First Page Sage 15-30 %,
#:   Fairview 20-35 %; ``data/assumptions.csv``, ``kpi.win_rate``);
#: * ``stale_share`` 0.10: open pipeline past its own close date, share of open amount;
#: * ``forecast_bias`` 0.15 and ``forecast_gain`` 0.05: the reps' forecast misses by more than
#:   15 % on average and another method's WAPE is at least 5 points lower;
#: * ``quarantine_share`` 0.01: rows of an export that could not be read.
BENCHMARKS: Mapping[str, float] = MappingProxyType({
    "gross_revenue_retention": 0.90,
    "net_revenue_retention": 1.00,
    "win_rate": 0.15,
    "stale_share": 0.10,
    "forecast_bias": 0.15,
    "forecast_gain": 0.05,
    "quarantine_share": 0.01,
})

_OPEN_STAGES = OPPORTUNITY_STAGES
_CATEGORIES = ("Commit", "Best Case", "Pipeline", "Omitted", "Closed")
_DAY = pd.Timedelta(days=1)


# ============================================================================ errors
class ReportParameterError(ValueError):
    """Parameters the report cannot run with; lists every problem at once.

    Attributes
    ----------
    problems : tuple of str
        One sentence per problem, each naming the parameter, what was expected
        and what was passed.

    Examples
    --------
    >>> print(ReportParameterError(["lang must be 'en' or 'ja', got 'fr'"]))
    1 problem with the report's parameters:
    - lang must be 'en' or 'ja', got 'fr'
    """

    def __init__(self, problems: Sequence[str]) -> None:
        self.problems = tuple(problems)
        count = len(self.problems)
        super().__init__(f"{count} problem{'s' if count != 1 else ''} with the report's "
                         "parameters:\n" + "\n".join(f"- {p}" for p in self.problems))

    def __reduce__(self):
        return (type(self), (self.problems,))


class ReportError(RuntimeError):
    """A report run failed inside the notebook: which cell, which error, which parameters.

    Attributes
    ----------
    cell_index : int
        Position of the failing cell in the executed notebook (the injected
        parameters cell counts).
    cell_id : str
        The cell's id (the notebook names each code cell, e.g. ``"load-data"``).
    ename, evalue : str
        The exception's class name and message.
    parameters : dict
        The parameters of the run.
    executed : pathlib.Path or None
        The executed notebook, kept with its error output.
    """

    def __init__(self, *, cell_index: int, cell_id: str, ename: str, evalue: str,
                 parameters: Mapping[str, Any], executed: Path | None) -> None:
        self.cell_index = cell_index
        self.cell_id = cell_id
        self.ename = ename
        self.evalue = evalue
        self.parameters = dict(parameters)
        self.executed = executed
        message = (f"report failed in cell {cell_index} ({cell_id!r}): {ename}: {evalue}\n"
                   f"parameters: {self.parameters!r}")
        if executed is not None:
            message += f"\nthe executed notebook, with the error, is {str(executed)!r}"
        super().__init__(message)


# ============================================================================ parameters
def _is_int(value: Any) -> bool:
    return isinstance(value, int | np.integer) and not isinstance(value, bool | np.bool_)


def _is_number(value: Any) -> bool:
    return _is_int(value) or (isinstance(value, float | np.floating) and np.isfinite(value))


def _plain(value: Any) -> Any:
    """``value`` as the plain Python type papermill translates safely (str, int, float ...)."""
    if isinstance(value, os.PathLike):
        return os.fspath(value)
    if isinstance(value, np.bool_):
        return bool(value)
    if _is_int(value):
        return int(value)
    if isinstance(value, np.floating):
        return float(value)
    if isinstance(value, np.str_):
        return str(value)
    if isinstance(value, tuple | list):
        return [_plain(v) for v in value]
    if isinstance(value, Mapping):
        return {str(k) if isinstance(k, np.str_) else k: _plain(v) for k, v in value.items()}
    return value


def _is_mapping_file(value: Any) -> bool:
    from .crm import MAPPING_SUFFIXES

    return (isinstance(value, str) and "\x00" not in value
            and value.casefold().endswith(MAPPING_SUFFIXES))


def _period_problem(period: Any) -> str | None:
    try:
        _month_pair(period)
    except ValueError as error:
        return str(error)
    return None


def check_parameters(parameters: Mapping[str, Any] | None = None, /, **values: Any
                     ) -> dict[str, Any]:
    """The report's parameters, completed with defaults and checked; every problem at once.

    A parameter value is data, never code: each must be a plain literal
    (``str``, ``int``, ``float``, ``bool``, ``None``, or for ``period`` a pair
    of months, for ``mapping`` a dict of headers). Paths may hold any character
    but NUL; they are passed through as they are. Values that only make
    sense as names (``segment``, ``profile``, ``lang``, ``mapping``) must be one
    of the known names, so a value holding quotes, newlines or code is refused
    with a message saying what was expected.

    Parameters
    ----------
    parameters, **values
        Names of :data:`DEFAULT_PARAMETERS` and their values (either way).

    Returns
    -------
    dict
        Every parameter of :data:`DEFAULT_PARAMETERS`, in its order.

    Raises
    ------
    ReportParameterError
        Listing every problem: an unknown name, a value of the wrong type or
        outside its choices.

    Examples
    --------
    >>> check_parameters(segment="SMB", lang="ja")["segment"]
    'SMB'
    >>> check_parameters(segment="SMB'); import os #")
    Traceback (most recent call last):
    ...
    revopslab.report.ReportParameterError: 1 problem with the report's parameters:
    - segment must be one of 'SMB', 'MM', 'ENT' or None for a simulated company, got ...
    """
    given = {**dict(parameters or {}), **values}
    problems = []
    unknown = [name for name in given if name not in DEFAULT_PARAMETERS]
    if unknown:
        problems.append(f"unknown parameter(s) {unknown!r}: expected names among "
                        f"{list(DEFAULT_PARAMETERS)}")
    p = {name: _plain(given.get(name, default)) for name, default in DEFAULT_PARAMETERS.items()}
    source = p["source"]
    simulated = source == "simulated"
    if not isinstance(source, str) or not source.strip():
        problems.append(f"source must be 'simulated' or the path of a CRM export (CSV), got "
                        f"{source!r}")
    elif "\x00" in source:
        problems.append(f"source must be a path without NUL characters, got {source!r}")
    if not _is_int(p["seed"]) or p["seed"] < 0:
        problems.append(f"seed must be an int >= 0, got {p['seed']!r}")
    if p["profile"] not in PROFILES:
        problems.append(f"profile must be one of {', '.join(map(repr, PROFILES))}, got "
                        f"{p['profile']!r}")
    if not _is_int(p["months"]) or not 12 <= p["months"] <= 120:
        problems.append(f"months must be an int from 12 to 120 (months of history to "
                        f"simulate), got {p['months']!r}")
    if not _is_number(p["scale"]) or not 0.05 <= p["scale"] <= 20:
        problems.append(f"scale must be a number from 0.05 to 20 (size of the simulated "
                        f"company, 1 = default), got {p['scale']!r}")
    mapping = p["mapping"]
    if isinstance(mapping, Mapping):
        bad = [k for k, v in mapping.items() if not isinstance(k, str) or not (
            isinstance(v, str) or (isinstance(v, list) and all(isinstance(h, str) for h in v)))]
        if bad:
            problems.append("mapping as a dict must map column names (str) to a header (str) "
                            f"or a list of headers, got bad entries for {bad!r}")
    elif mapping not in MAPPINGS and not _is_mapping_file(mapping):
        problems.append(f"mapping must be one of {', '.join(map(repr, MAPPINGS))}, the path of "
                        "a mapping file (.yaml, see `revopslab mapping suggest`) or a dict "
                        f"{{our column: your header}}, got {mapping!r}")
    if p["as_of"] is not None:
        try:
            if not isinstance(p["as_of"], str):
                raise TypeError
            pd.Timestamp(p["as_of"])
        except (TypeError, ValueError):
            problems.append(f"as_of must be None or a date such as '2025-07-01', got "
                            f"{p['as_of']!r}")
    quarantine = p["quarantine"]
    if quarantine is not None and (not isinstance(quarantine, str) or not quarantine.strip()
                                   or "\x00" in quarantine):
        problems.append(f"quarantine must be None or the path of a CSV file to write, got "
                        f"{quarantine!r}")
    why = _period_problem(p["period"])
    if why:
        problems.append(why)
    segment = p["segment"]
    if simulated and segment is not None and segment not in SEGMENTS:
        problems.append(f"segment must be one of {', '.join(map(repr, SEGMENTS))} or None for "
                        f"a simulated company, got {segment!r}")
    elif segment is not None and (not isinstance(segment, str) or not segment.strip()):
        problems.append(f"segment must be None or a segment name (str), got {segment!r}")
    if p["lang"] not in _LANGS:
        problems.append(f"lang must be 'en' or 'ja', got {p['lang']!r}")
    if not isinstance(p["progress"], bool):
        problems.append(f"progress must be True or False, got {p['progress']!r}")
    if problems:
        raise ReportParameterError(problems)
    return p


def injected_parameters(parameters: Mapping[str, Any]) -> str:
    """The code papermill will inject for ``parameters``, checked to be literals only.

    papermill 2.7 does not use ``repr``: its Python translator writes a string
    as ``"..."`` after ``unicode_escape`` and escaping ``"``, which round-trips
    any text, but it writes a name as it is and any other object (a
    ``pathlib.Path``, a tuple, a numpy number) as ``"{value}"`` *without*
    escaping, which would let a quote in a path end the string. So this
    function translates the values as papermill does, parses the result, and
    checks that it is one assignment per parameter, each of a literal equal to
    the value passed (same type).

    Returns
    -------
    str
        The injected cell's source.

    Raises
    ------
    ReportParameterError
        A name is not a parameter, or a value would not reach the notebook as
        the same literal.

    Examples
    --------
    >>> print(injected_parameters({"source": 'a"b\\n', "seed": 7}).strip())
    # Parameters
    source = "a\\"b\\n"
    seed = 7
    """
    from papermill.translators import PythonTranslator

    problems = [f"unknown parameter {name!r}: expected one of {list(DEFAULT_PARAMETERS)}"
                for name in parameters if name not in DEFAULT_PARAMETERS]
    if problems:
        raise ReportParameterError(problems)
    code = PythonTranslator.codify(dict(parameters))
    try:
        tree = ast.parse(code)
    except SyntaxError as error:
        raise ReportParameterError([f"the parameters do not translate to Python literals "
                                    f"({error.msg}); got {dict(parameters)!r}"]) from None
    seen = {}
    for node in tree.body:
        if not (isinstance(node, ast.Assign) and len(node.targets) == 1
                and isinstance(node.targets[0], ast.Name)):
            problems.append(f"the injected code has a statement that is not an assignment: "
                            f"{ast.unparse(node)!r}")
            continue
        try:
            seen[node.targets[0].id] = ast.literal_eval(node.value)
        except ValueError:
            problems.append(f"parameter {node.targets[0].id} is not injected as a literal: "
                            f"{ast.unparse(node.value)!r}")
    for name, value in parameters.items():
        if name not in seen or not _same_literal(seen[name], value):
            problems.append(f"parameter {name} = {value!r} ({type(value).__name__}) would not "
                            "reach the notebook as the same value; pass a str, int, float, "
                            "bool, None, list or dict")
    if set(seen) - set(parameters):
        extra = sorted(set(seen) - set(parameters))
        problems.append(f"the injected code assigns unexpected names {extra}")
    if problems:
        raise ReportParameterError(problems)
    return code


def _same_literal(a: Any, b: Any) -> bool:
    if type(a) is not type(b):
        return False
    if isinstance(a, list):
        return len(a) == len(b) and all(_same_literal(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(_same_literal(a[k], b[k]) for k in a)
    return a == b


# ============================================================================ text
class Prose:
    """Markdown shown as such in the report, and as the same plain text under nbval.

    IPython displays ``_repr_markdown_`` (``text/markdown``) in the HTML report
    and stores ``repr`` as ``text/plain``, which nbval compares: every number
    in the report's sentences is checked against the committed notebook.

    Examples
    --------
    >>> Prose("**Win rate** 25.0%")
    **Win rate** 25.0%
    """

    def __init__(self, markdown: str) -> None:
        self.markdown = markdown

    def _repr_markdown_(self) -> str:
        return self.markdown

    def __repr__(self) -> str:
        return self.markdown


class Table:
    """A small table: escaped HTML in the report, fixed-width text under nbval.

    Values are shown as given (format them first); the HTML is built by
    :meth:`pandas.DataFrame.to_html` with escaping on, so no value from an
    export can inject markup.

    Examples
    --------
    >>> Table(pd.DataFrame({"stage": ["<b>demo</b>"], "deals": ["12"]}))
             stage deals
    0  <b>demo</b>    12
    >>> "&lt;b&gt;demo" in Table(pd.DataFrame({"stage": ["<b>demo</b>"]}))._repr_html_()
    True
    """

    def __init__(self, frame: pd.DataFrame, *, index: bool = True) -> None:
        self.frame = frame
        self.index = index

    def _repr_html_(self) -> str:
        return self.frame.to_html(index=self.index, escape=True, na_rep="—", border=0,
                                  classes="revopslab-table")

    def __repr__(self) -> str:
        return self.frame.to_string(index=self.index, na_rep="—")


_MD_SPECIAL = re.compile(r"([\\`*_\[\]#!|~$])")


def md_literal(value: Any) -> str:
    r"""``value`` as text that Markdown and HTML show literally (no markup can get through).

    Control characters are written as escapes (``\n``), ``<``, ``>`` and
    ``&`` as HTML entities, and the characters that start Markdown markup
    (emphasis, links, images, code, headings, tables, ``$`` maths) are
    backslash-escaped; a value shown inside a sentence cannot start a line.

    Examples
    --------
    >>> print(md_literal('<i>a</i>\n# b'))
    &lt;i&gt;a&lt;/i&gt;\\n\# b
    """
    text = "".join(repr(ch)[1:-1] if unicodedata.category(ch) == "Cc" else ch
                   for ch in str(value))
    text = _MD_SPECIAL.sub(r"\\\1", text)
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def mask_text(value: Any) -> str:
    """``value`` with e-mail addresses and phone numbers masked (see ``crm.mask_pii``).

    Examples
    --------
    >>> mask_text("call 03-1234-5678 or mail tanaka@example.co.jp")
    'call 03-****-5678 or mail ta***@example.co.jp'
    """
    from .crm import mask_pii

    return str(mask_pii(pd.DataFrame({"text": [str(value)]}))["text"].iloc[0])


_TEXT: Mapping[str, tuple[str, str]] = MappingProxyType({
    "title": ("RevOps health report", "RevOps健全性レポート"),
    "data": ("Data and scope", "データと対象範囲"),
    "waterfall": ("1. Demand waterfall and bowtie", "1. デマンドウォーターフォールとボウタイ"),
    "conversion": ("2. Conversion and velocity", "2. 転換率とベロシティ"),
    "pipeline": ("3. Open pipeline", "3. 未クローズのパイプライン"),
    "bottleneck": ("4. Bottlenecks", "4. ボトルネック"),
    "retention": ("5. Retention", "5. 顧客維持（リテンション）"),
    "forecast": ("6. Forecast vs actual", "6. 予測と実績"),
    "kpis": ("7. KPI table", "7. KPI一覧"),
    "recommendations": ("8. Recommendations", "8. 推奨アクション"),
    "quality": ("Data quality", "データ品質"),
    "missing": (
        "**Not in this export.** The export holds opportunities only; {what} needs the "
        "{tables} table(s), which it does not contain. Add an export of {tables} to see it.",
        "**このエクスポートには含まれていません。** エクスポートは商談のみです。{what}には"
        "{tables}テーブルが必要ですが、含まれていません。表示するには{tables}のエクスポートを"
        "追加してください。"),
    "none": ("No rule fired: none of the numbers in this report crosses a threshold.",
             "どのルールも該当しませんでした。このレポートの数値はいずれもしきい値を超えていません。"),
})

_WHAT: Mapping[str, tuple[str, str]] = MappingProxyType({
    "waterfall": ("the demand waterfall and the bowtie", "デマンドウォーターフォールとボウタイ"),
    "conversion": ("stage-to-stage conversion of leads", "リードのステージ間転換率"),
    "bottleneck": ("the bottleneck analysis", "ボトルネック分析"),
    "retention": ("NRR, GRR, churn and the cohort heatmap",
                  "NRR・GRR・解約率とコホートヒートマップ"),
    "forecast": ("a forecast-vs-actual backtest", "予測と実績のバックテスト"),
})

#: Tables each section needs beyond the opportunities.
_NEEDS: Mapping[str, tuple[str, ...]] = MappingProxyType({
    "waterfall": ("leads", "mrr", "mrr_movements"),
    "conversion": ("leads",),
    "bottleneck": ("leads",),
    "retention": ("mrr", "mrr_movements"),
    "forecast": ("pipeline_snapshots", "opportunity_stages"),
})


def heading(key: str, *, lang: str = "en", level: int = 2) -> Prose:
    """A section heading of the report in ``lang``.

    Examples
    --------
    >>> heading("retention", lang="ja")
    ## 5. 顧客維持（リテンション）
    """
    _check_lang(lang)
    if key not in _TEXT:
        raise ValueError(f"key must be one of {sorted(_TEXT)}, got {key!r}")
    return Prose(f"{'#' * level} {_TEXT[key][_LANGS.index(lang)]}")


def pick(*, lang: str, en: str, ja: str) -> str:
    """The text of ``lang`` (a chart's message written in both languages).

    Examples
    --------
    >>> pick(lang="en", en="Win rate 25%", ja="受注率25%")
    'Win rate 25%'
    """
    _check_lang(lang)
    return ja if lang == "ja" else en


def say(*, lang: str, en: str, ja: str) -> Prose:
    """The sentence of ``lang`` as :class:`Prose` (both are written in the notebook).

    Examples
    --------
    >>> say(lang="ja", en="Win rate 25%", ja="受注率25%")
    受注率25%
    """
    return Prose(pick(lang=lang, en=en, ja=ja))


def numbered(items: Sequence[Recommendation], *, lang: str = "en") -> Prose:
    """The recommendations as a numbered Markdown list (or a sentence when none fired).

    Examples
    --------
    >>> numbered([Recommendation("x", 1.0, "Do **this**.")])
    1. Do **this**.
    """
    _check_lang(lang)
    if not items:
        return Prose(_TEXT["none"][_LANGS.index(lang)])
    return Prose("\n".join(f"{k}. {r.text}" for k, r in enumerate(items, 1)))


def missing_tables(section: str, data: ReportData, *, lang: str = "en") -> Prose | None:
    """``None`` when ``data`` has every table ``section`` needs, else a plain sentence saying so.

    Examples
    --------
    >>> data = ReportData(kind="crm_export", label="x.csv", opportunities=pd.DataFrame(),
    ...                   as_of=pd.Timestamp("2025-01-01"), tables=("opportunities",))
    >>> print(missing_tables("retention", data))  # doctest: +NORMALIZE_WHITESPACE
    **Not in this export.** The export holds opportunities only; NRR, GRR, churn and the
    cohort heatmap needs the mrr, mrr_movements table(s), which it does not contain. Add an
    export of mrr, mrr_movements to see it.
    """
    _check_lang(lang)
    if section not in _NEEDS:
        raise ValueError(f"section must be one of {list(_NEEDS)}, got {section!r}")
    lacking = [t for t in _NEEDS[section] if t not in data.tables]
    if not lacking:
        return None
    i = _LANGS.index(lang)
    return Prose(_TEXT["missing"][i].format(what=_WHAT[section][i], tables=", ".join(lacking)))


def _check_lang(lang: Any) -> None:
    if lang not in _LANGS:
        raise ValueError(f"lang must be 'en' or 'ja', got {lang!r}")


def step_label(step: str, *, lang: str = "en") -> str:
    """``"TQL → SAL"`` for a step of ``process.STEPS`` (or any ``from_to_to`` name).

    Examples
    --------
    >>> step_label("opportunity_to_won", lang="ja")
    '商談 → 受注'
    """
    origin, target, _ = process.STEPS.get(step, (*step.split("_to_", 1), None))
    return f"{_stage(origin, lang)} → {_stage(target, lang)}"


def _stage(stage: str, lang: str) -> str:
    try:
        return label(stage, lang=lang)
    except KeyError:
        return stage


def _share(value: float) -> str:
    return "—" if value is None or not np.isfinite(value) else f"{value:.1%}"


_JA_UNITS = {"/month": "/月", "/year": "/年", "/customer": "/顧客", "/lead": "/リード",
             "/day": "/日"}


def format_value(value: float, unit: str, *, lang: str = "en") -> str:
    """A KPI value written for its unit (``share`` as %, currency with 万/億 or K/M, days ...).

    Examples
    --------
    >>> format_value(0.2649, "share"), format_value(2.2e6, "JPY/customer", lang="ja")
    ('26.5%', '220万円/顧客')
    >>> format_value(float("nan"), "days")
    '—'
    """
    if value is None or not np.isfinite(value):
        return "—"
    ja = lang == "ja"
    if ja:
        for en_suffix, ja_suffix in _JA_UNITS.items():
            unit = unit.replace(en_suffix, ja_suffix)
    if unit == "share":
        return f"{value:.1%}"
    if unit.startswith(("JPY", "¥")):
        rest = unit[3:].strip() if unit.startswith("JPY") else unit[1:].strip()
        return format_yen(value, lang=lang) + (rest if rest.startswith("/") else
                                               (" " + rest if rest else ""))
    if unit == "days":
        return f"{value:,.0f}日" if ja else f"{value:,.0f} days"
    if unit == "months":
        return f"{value:,.1f}か月" if ja else f"{value:,.1f} months"
    if unit == "hours":
        return f"{value:,.1f}時間" if ja else f"{value:,.1f} h"
    if unit == "ratio":
        return f"{value:,.2f}×"
    if unit.startswith("score"):
        return f"{value:,.1f}"
    if unit in ("leads", "activities/rep", "count"):
        return f"{value:,.0f}"
    return f"{value:,.4g}"


_EXTRA_LABELS: Mapping[str, tuple[str, str]] = MappingProxyType({
    "retained": ("Retained", "継続"), "expanded": ("Expanded", "拡大"),
    "promoter": ("Promoter", "推奨者"), "created": ("Created", "作成"),
    "closed": ("Closed", "クローズ"), "judgment": ("Judgment (reps)", "営業の判断"),
    "weighted": ("Weighted pipeline", "加重パイプライン"),
    "predictive": ("Predictive model", "予測モデル"), "commit": ("Commit", "コミット"),
    "Commit": ("Commit", "達成予測"), "Best Case": ("Best Case", "最善達成予測"),
    "Pipeline": ("Pipeline", "パイプライン"), "Omitted": ("Omitted", "売上予測から除外"),
    "discovery": ("Discovery", "見極め"), "demo": ("Demo", "デモ・ニーズ分析"),
    "proposal": ("Proposal", "提案"), "negotiation": ("Negotiation", "交渉"),
    "new": ("New", "新規"), "expansion": ("Expansion", "拡大"),
    "reactivation": ("Reactivation", "再開"), "contraction": ("Contraction", "縮小"),
    "churn": ("Churn", "解約"), "net_change": ("Net change", "純増減"),
})


def _name(key: Any, lang: str) -> str:
    key = str(key)
    if key in _EXTRA_LABELS:
        return _EXTRA_LABELS[key][_LANGS.index(lang)]
    if key in process.STEPS:
        return step_label(key, lang=lang)
    return _stage(key, lang)


def term(key: str, *, lang: str = "en") -> str:
    """The name of a stage, step, forecast method or category in ``lang``.

    Examples
    --------
    >>> term("predictive"), term("tql_to_sal", lang="ja"), term("demo", lang="ja")
    ('Predictive model', 'TQL → SAL', 'デモ・ニーズ分析')
    """
    _check_lang(lang)
    return _name(key, lang)


def translate_legend(ax: Axes, *, lang: str = "en") -> Axes:
    """Write the legend entries of ``ax`` that are keys (``net_change``, ``churn`` ...) in ``lang``.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import matplotlib.pyplot as plt
    >>> _, ax = plt.subplots()
    >>> _ = ax.plot([0, 1], label="net_change")
    >>> _ = ax.legend()
    >>> [t.get_text() for t in translate_legend(ax, lang="ja").get_legend().get_texts()]
    ['純増減']
    """
    _check_lang(lang)
    legend = ax.get_legend()
    if legend is not None:
        for text in legend.get_texts():
            text.set_text(_name(text.get_text(), lang))
    return ax


def relabel(series: pd.Series, *, lang: str = "en", keep: Sequence[str] = ()) -> pd.Series:
    """``series`` with its index written in ``lang`` (stages, steps, methods, categories).

    Keys in ``keep`` stay as they are (a chart that translates them itself).

    Examples
    --------
    >>> relabel(pd.Series({"won": 5, "retained": 4}), lang="ja", keep=["won"]).index.tolist()
    ['won', '継続']
    """
    _check_lang(lang)
    return series.rename(index=lambda k: k if k in keep else _name(k, lang))


_DAYS1, _INT, _YEN, _SHARE, _TEXTCOL, _DATE, _RATIO = (
    "days1", "int", "yen", "share", "text", "date", "ratio")

#: Columns of each table :func:`view` shows: column -> (English header, Japanese, format).
_VIEWS: Mapping[str, Mapping[str, tuple[str, str, str]]] = MappingProxyType({
    "conversion": {"entered": ("Entered", "流入", _INT), "converted": ("Converted", "転換", _INT),
                   "rate": ("Conversion", "転換率", _SHARE),
                   "median_days": ("Median days", "日数（中央値）", _DAYS1),
                   "p90_days": ("90th pct days", "日数（90%点）", _DAYS1)},
    "bottleneck": {"conversion": ("Conversion", "転換率", _SHARE),
                   "entered_per_year": ("Entrants a year", "年間流入", _INT),
                   "revenue_through": ("Bookings through it a year", "経由する年間受注", _YEN),
                   "gain": ("Gain of the lift a year", "改善による年間増分", _YEN),
                   "gain_share": ("Share of all gains", "増分の割合", _SHARE)},
    "pipeline": {"deals": ("Open deals", "商談数", _INT), "amount": ("Amount", "金額", _YEN),
                 "weighted": ("Weighted by the reps", "確度加重", _YEN),
                 "stale_deals": ("Past close date", "完了予定日超過", _INT),
                 "stale_amount": ("Amount past close date", "超過金額", _YEN)},
    "categories": {"deals": ("Open deals", "商談数", _INT), "amount": ("Amount", "金額", _YEN),
                   "due_deals": ("Due in 90 days", "90日以内予定", _INT),
                   "due_amount": ("Amount due in 90 days", "90日以内予定金額", _YEN)},
    "top_open": {"opportunity_id": ("ID", "ID", _TEXTCOL),
                 "opportunity_name": ("Opportunity", "商談名", _TEXTCOL),
                 "account_name": ("Account", "取引先", _TEXTCOL),
                 "owner_rep_id": ("Owner", "所有者", _TEXTCOL),
                 "stage": ("Stage", "フェーズ", _TEXTCOL), "amount": ("Amount", "金額", _YEN),
                 "expected_close_date": ("Close date", "完了予定日", _DATE),
                 "forecast_category": ("Category", "売上予測分類", _TEXTCOL)},
    "accuracy": {"periods": ("Quarters", "四半期数", _INT), "mape": ("MAPE", "MAPE", _SHARE),
                 "wape": ("WAPE", "WAPE", _SHARE), "bias": ("Bias", "バイアス", _SHARE)},
    "kpis": {"kpi": ("KPI", "KPI", _TEXTCOL), "shown": ("Value", "値", _TEXTCOL),
             "scope": ("Scope", "範囲", _TEXTCOL),
             "definition": ("Definition", "", _TEXTCOL), "note": ("Note", "備考", _TEXTCOL)},
    "reasons": {"reason": ("Reason", "理由", _TEXTCOL), "rows": ("Rows", "行数", _INT)},
    "examples": {"row": ("Row", "行", _INT), "reason": ("Reason", "理由", _TEXTCOL)},
})


def view(frame: pd.DataFrame, kind: str, *, lang: str = "en") -> Table:
    """One of the report's tables, formatted in ``lang``, with e-mails and phones masked.

    ``kind`` is one of ``conversion, bottleneck, pipeline, categories,
    top_open, accuracy, kpis, reasons, examples``: it chooses the columns
    shown, their headers and formats. The index (steps, stages, methods,
    categories) is written in ``lang``; text passes through
    :func:`revopslab.crm.mask_pii`.

    Examples
    --------
    >>> t = pd.DataFrame({"deals": [3], "amount": [1.5e6], "weighted": [5e5],
    ...                   "stale_deals": [1], "stale_amount": [2e5]}, index=["demo"])
    >>> view(t, "pipeline")  # doctest: +NORMALIZE_WHITESPACE
          Open deals Amount Weighted by the reps Past close date Amount past close date
    Demo           3 ¥1.5M               ¥500K               1                  ¥200K
    """
    from .crm import mask_pii

    _check_lang(lang)
    if kind not in _VIEWS:
        raise ValueError(f"kind must be one of {list(_VIEWS)}, got {kind!r}")
    spec = {c: v for c, v in _VIEWS[kind].items()
            if c in frame.columns and v[_LANGS.index(lang)]}
    i = _LANGS.index(lang)
    out = pd.DataFrame(index=frame.index)
    for column, (en, ja, how) in spec.items():
        values = frame[column]
        if how == _TEXTCOL:
            shown = values.astype("object").where(values.notna(), "—").astype(str)
            if kind == "top_open" and column in ("stage", "forecast_category"):
                shown = shown.map(lambda s: _name(s, lang))
        elif how == _DATE:
            shown = pd.Series([f"{v:%Y-%m-%d}" if pd.notna(v) else "—" for v in values],
                              index=frame.index)
        else:
            shown = pd.Series([_number(v, how, lang) for v in values], index=frame.index)
        out[(en, ja)[i]] = shown.to_numpy()
    out = mask_pii(out) if len(out.columns) else out
    index = kind not in ("top_open", "kpis", "reasons", "examples")
    if index:
        out.index = [_name(k, lang) for k in frame.index]
    return Table(out, index=index)


def _number(value: Any, how: str, lang: str) -> str:
    if value is None or not np.isfinite(value):
        return "—"
    if how == _INT:
        return f"{value:,.0f}"
    if how == _DAYS1:
        return f"{value:,.1f}"
    if how == _YEN:
        return format_yen(float(value), lang=lang)
    if how == _SHARE:
        return f"{value:.1%}"
    return f"{value:,.2f}"


# ============================================================================ data
@dataclasses.dataclass(frozen=True)
class ReportData:
    """What the report reads: a simulated company, or a CRM export's opportunities.

    Attributes
    ----------
    kind
        ``"simulated"`` or ``"crm_export"``.
    label
        One line saying where the data came from.
    opportunities
        The opportunities table (for an export: the rows kept).
    as_of
        The extraction date: the company's, the ``as_of`` parameter, or for an
        export the day after its latest created or closed date.
    tables
        Names of the tables available (an export has ``("opportunities",)``).
    company
        The :class:`~revopslab.simulate.Company` (``None`` for an export).
    export
        The :class:`~revopslab.crm.CrmExport` (``None`` for a simulated company).
    quarantine_path
        Where the export's quarantined rows were written.
    currency
        Currency of the amounts.
    """

    kind: str
    label: str
    opportunities: pd.DataFrame
    as_of: pd.Timestamp
    tables: tuple[str, ...]
    company: Any = None
    export: Any = None
    quarantine_path: Path | None = None
    currency: str = "JPY"

    def has(self, *tables: str) -> bool:
        """True when every one of ``tables`` is available."""
        return all(t in self.tables for t in tables)

    def segments(self) -> list[str]:
        """The segments present in the opportunities (empty when there is no segment column)."""
        if "segment" not in self.opportunities.columns:
            return []
        values = pd.unique(self.opportunities["segment"].dropna())
        return [s for s in SEGMENTS if s in values] + sorted(set(values) - set(SEGMENTS))

    def scoped(self, segment: str | None) -> ReportData:
        """The same data restricted to one ``segment`` (every table), or itself for ``None``.

        Raises
        ------
        ValueError
            The data has no segment column, or not this segment.
        """
        if segment is None:
            return self
        segments = self.segments()
        if segment not in segments:
            if not segments:
                raise ValueError(f"segment={segment!r} needs a segment column, which the "
                                 f"{self.kind.replace('_', ' ')} ({self.label}) does not have; "
                                 "use segment=None")
            raise ValueError(f"segment must be one of {segments} (the segments in the data) "
                             f"or None, got {segment!r}")
        opps = self.opportunities[self.opportunities["segment"] == segment]
        company = self.company
        if company is not None:
            company = _scope_company(company, segment)
            opps = company.opportunities
        return dataclasses.replace(self, opportunities=opps.reset_index(drop=True),
                                   company=company,
                                   label=f"{self.label}, segment {segment}")


def _scope_company(company, segment: str):
    """Every table of ``company`` restricted to the accounts and deals of one segment."""
    accounts = company.accounts[company.accounts["segment"] == segment]
    ids = accounts["account_id"]
    opps = company.opportunities[company.opportunities["segment"] == segment]
    by_account = {name: getattr(company, name) for name in (
        "subscriptions", "mrr", "mrr_movements", "invoices", "usage", "tickets",
        "nps_responses")}
    return company.replace(
        accounts=accounts, opportunities=opps,
        leads=company.leads[company.leads["segment"] == segment],
        opportunity_stages=company.opportunity_stages[
            company.opportunity_stages["opportunity_id"].isin(opps["opportunity_id"])],
        pipeline_snapshots=company.pipeline_snapshots[
            company.pipeline_snapshots["segment"] == segment],
        **{name: df[df["account_id"].isin(ids)] for name, df in by_account.items()})


def load_source(source: str | os.PathLike = "simulated", *, seed: int = DEFAULT_SEED,
                profile: str = "default", months: int = 36, scale: float = 1.0,
                mapping: str | Mapping = "salesforce", quarantine: str | os.PathLike | None = None,
                as_of: str | None = None) -> ReportData:
    """Load the report's data: a simulated company, or a CRM export (opportunities only).

    Parameters
    ----------
    source
        ``"simulated"``, or the path of a CRM export (CSV in any encoding
        :func:`~revopslab.crm.read_crm_export` detects, or ``.xlsx``). A path
        is only a file name, whatever characters it holds.
    seed, profile, months, scale
        The simulated company: ``simulate_company(company_profile(profile,
        months=months, scale=scale), rng=seed)``; the default company (seed
        2024) is read from ``data/`` instead, which is the same and faster.
    mapping
        The export's column mapping: ``"salesforce"``, ``"hubspot"``, the path
        of a mapping file (``.yaml``, :mod:`revopslab.mapping`) or a dict. The
        data's label ends with :func:`export_notes` (stage labels resolved,
        deals without an amount), which the report shows.
    quarantine
        Where to write the export's unreadable rows (CSV); default
        ``<export>_quarantine.csv`` beside the export.
    as_of
        Extraction date of an export (default: the day after its latest created
        or closed date). Ignored for a simulated company.

    Returns
    -------
    ReportData

    Examples
    --------
    >>> data = load_source("simulated", months=12, scale=0.1, seed=3)
    >>> data.kind, data.tables[:3], str(data.as_of.date())
    ('simulated', ('accounts', 'leads', 'opportunities'), '2024-01-01')
    """
    if source == "simulated":
        from .config import CompanyConfig, company_profile
        from .simulate import DEFAULT_SEED, TABLES, simulate_company

        config = company_profile(profile, months=months, scale=float(scale))
        company = None
        if config == CompanyConfig() and seed == DEFAULT_SEED:
            from .datasets import available_companies, load_company

            with contextlib.suppress(FileNotFoundError):
                if "default" in available_companies():
                    company = load_company("default")
        if company is None:
            company = simulate_company(config, rng=seed)
        text = (f"simulated company (profile {profile}, seed {seed}, {config.months} months, "
                f"scale {float(scale):g})")
        return ReportData(kind="simulated", label=text, opportunities=company.opportunities,
                          as_of=pd.Timestamp(company.as_of), tables=tuple(TABLES),
                          company=company, currency=config.currency)
    from .crm import read_crm_export

    path = Path(source)
    if quarantine is None:
        quarantine = path.with_name(f"{path.stem}_quarantine.csv")
    export = read_crm_export(path, mapping=mapping, quarantine=quarantine)
    opps = export.opportunities
    if as_of is not None:
        when = pd.Timestamp(as_of).normalize()
    else:
        latest = pd.concat([opps["created_at"], opps["closed_at"]]).max()
        if pd.isna(latest):
            raise ValueError(f"source {str(path)!r} has no readable created or closed date "
                             "to take the extraction date from; pass as_of='YYYY-MM-DD'")
        when = pd.Timestamp(latest).normalize() + _DAY
    currencies = opps["currency"].dropna().unique() if "currency" in opps else []
    s = export.source
    text = f"{path.name} ({s.mapping}, {s.encoding})" + export_notes(s)
    return ReportData(kind="crm_export", label=text, opportunities=opps, as_of=when,
                      tables=("opportunities",), export=export,
                      quarantine_path=Path(quarantine),
                      currency=str(currencies[0]) if len(currencies) == 1 else "JPY")


def export_notes(source) -> str:
    """What reading an export decided that the report's reader should know, as one clause.

    The stage labels resolved other than by the built-in templates (how, and
    on how many rows), the deals kept without an amount, and the formats the
    reader assumed (decimal comma, date order). Empty when there is none.

    Examples
    --------
    >>> from revopslab.crm import CrmSource
    >>> s = CrmSource(path="x.csv", mapping="m.yaml", encoding="utf-8", delimiter=",",
    ...               rows_read=9, rows_kept=9, rows_quarantined=0, columns={},
    ...               unused_columns=(), footer=(), date_order=None, missing_amounts=2,
    ...               stages=(("Won", "closed_won", "built-in label", 5),
    ...                       ("見込み", "discovery", "probability 10%", 4)))
    >>> for part in export_notes(s).split("; ")[1:]:
    ...     print(part)
    stages resolved: 見込み → discovery (probability 10%, 4 rows)
    2 deals have no amount (counted in win rates, stage counts and cycle times, left out of sums)
    """
    parts = []
    resolved = [f"{label} → {stage} ({how}, {rows:,} row{'s' if rows != 1 else ''})"
                for label, stage, how, rows in source.stages if how != "built-in label"]
    if resolved:
        parts.append("stages resolved: " + ", ".join(resolved))
    if source.missing_amounts:
        n = source.missing_amounts
        parts.append(f"{n:,} deal{'s have' if n != 1 else ' has'} no amount (counted in win "
                     "rates, stage counts and cycle times, left out of sums)")
    parts += [note for note in source.notes if "decimal comma" in note]
    return "".join(f"; {part}" for part in parts)


# ============================================================================ period
_RANGE = re.compile(r"^\s*(\S+?)\s*(?::|\.\.)\s*(\S+)\s*$")


def _month_pair(period: Any) -> tuple[str, str] | str | None:
    """The period as :func:`metrics.month_range` takes it; ValueError naming ``period``."""
    if period is None:
        return None
    expected = ("period must be None (the 12 months before the extraction date), a year "
                "'2025', a quarter '2025Q3', a month '2025-06', a range '2025-01:2025-06' or "
                f"a list of two months, got {period!r}")
    if isinstance(period, list | tuple):
        if len(period) != 2 or not all(isinstance(p, str) for p in period):
            raise ValueError(expected)
        pair: tuple[str, str] | str = (period[0], period[1])
    elif isinstance(period, str):
        match = _RANGE.match(period)
        pair = (match[1], match[2]) if match else period.strip()
    else:
        raise ValueError(expected)
    try:
        metrics.month_range(pair)
    except ValueError:
        raise ValueError(expected) from None
    return pair


def resolve_period(period: Any, *, as_of) -> tuple[pd.Timestamp, pd.Timestamp]:
    """First and last month of the report's period; ``None`` is the 12 months before ``as_of``.

    Examples
    --------
    >>> first, last = resolve_period(None, as_of="2026-01-01")
    >>> f"{first:%Y-%m} {last:%Y-%m}"
    '2025-01 2025-12'
    >>> [f"{m:%Y-%m}" for m in resolve_period("2025-01:2025-06", as_of="2026-01-01")]
    ['2025-01', '2025-06']
    >>> resolve_period("2027", as_of="2026-01-01")
    Traceback (most recent call last):
    ...
    ValueError: period must start before the extraction date 2026-01-01, got '2027'
    """
    as_of = pd.Timestamp(as_of)
    pair = _month_pair(period)
    if pair is None:
        last = (as_of - _DAY).to_period("M").to_timestamp()
        return last - pd.DateOffset(months=11), last
    first, last = metrics.month_range(pair)
    if first >= as_of:
        raise ValueError(f"period must start before the extraction date {as_of.date()}, "
                         f"got {period!r}")
    return first, last


def period_label(first: pd.Timestamp, last: pd.Timestamp) -> str:
    """``"2025-01 – 2025-12"`` (or one month).

    Examples
    --------
    >>> period_label(pd.Timestamp("2025-01-01"), pd.Timestamp("2025-12-01"))
    '2025-01 – 2025-12'
    """
    return f"{first:%Y-%m}" if first == last else f"{first:%Y-%m} – {last:%Y-%m}"


def _end(last: pd.Timestamp) -> pd.Timestamp:
    """The first day after the month ``last``."""
    return last + pd.DateOffset(months=1)


def _months(first: pd.Timestamp, last: pd.Timestamp) -> int:
    return (last.year - first.year) * 12 + last.month - first.month + 1


# ============================================================================ sections
def waterfall_counts(company, *, first: pd.Timestamp, last: pd.Timestamp) -> pd.Series:
    """How many leads entered each stage of the demand waterfall in the period (and won).

    The flow view (:func:`revopslab.process.flow` summed over the period's
    months): a stage's count is the leads whose ``<stage>_at`` falls in the
    period, whenever they entered the waterfall; ``won`` is the source leads of
    the deals won in the period. Stages nobody entered are left out.

    Examples
    --------
    >>> from revopslab.config import CompanyConfig
    >>> from revopslab.simulate import simulate_company
    >>> c = simulate_company(CompanyConfig(months=12, scale=0.1), rng=1)
    >>> counts = waterfall_counts(c, first=pd.Timestamp("2023-07-01"),
    ...                           last=pd.Timestamp("2023-12-01"))
    >>> counts.index[0], counts.index[-1], bool(counts["inquiry"] > counts["won"])
    ('inquiry', 'won', True)
    """
    leads = process.with_outcomes(company.leads, company.opportunities)
    table = process.flow(leads, freq="M", start=f"{first:%Y-%m}", end=f"{last:%Y-%m}")
    counts = table.sum().astype("int64")
    counts.name = "leads"
    return counts[counts > 0]


def bowtie_counts(company, *, first: pd.Timestamp, last: pd.Timestamp,
                  waterfall: pd.Series | None = None) -> pd.Series:
    """The bowtie of the period: :func:`revopslab.process.bowtie`, the course's one definition.

    ``waterfall`` (the period's :func:`waterfall_counts`) is accepted for the
    notebook's call and must agree with the bowtie's left side: both count the
    leads whose stage timestamp falls in the period.

    Returns
    -------
    pandas.Series
        Counts indexed ``inquiry, sql, opportunity, won, retained, expanded, promoter``.
    """
    counts = process.bowtie(company, first=first, last=last)
    if waterfall is not None:
        for stage in ("inquiry", "sql", "opportunity"):
            if int(waterfall.get(stage, 0)) != counts[stage]:
                raise ValueError(f"waterfall[{stage!r}] = {int(waterfall.get(stage, 0))} is not "
                                 f"the period's flow {counts[stage]}: pass the same period")
    return counts


def conversion_table(company, *, first: pd.Timestamp, last: pd.Timestamp) -> pd.DataFrame:
    """Each waterfall step for the leads that entered its from-stage in the period.

    ``rate = converted / entered`` (converted by the extraction date, a cohort
    view: recent entrants have had less time, so the last months understate),
    with the median and 90th-percentile days of the conversions
    (:func:`revopslab.process.transition_times`). Steps nobody entered are
    left out.

    Returns
    -------
    pandas.DataFrame
        Indexed by step: ``from_stage, to_stage, entered, converted, rate,
        median_days, p90_days``.
    """
    leads = process.with_outcomes(company.leads, company.opportunities)
    rows = []
    for step, (origin, target, _) in process.STEPS.items():
        column = f"{origin}_at"
        if column not in leads or f"{target}_at" not in leads:
            continue
        cohort = leads[(leads[column] >= first) & (leads[column] < _end(last))]
        times = process.transition_times(cohort, steps=[step]).iloc[0]
        if times["entered"] == 0:
            continue
        rows.append({"step": step, "from_stage": origin, "to_stage": target,
                     "entered": int(times["entered"]), "converted": int(times["converted"]),
                     "rate": times["converted"] / times["entered"],
                     "median_days": times["median_days"], "p90_days": times["p90_days"]})
    columns = ["step", "from_stage", "to_stage", "entered", "converted", "rate", "median_days",
               "p90_days"]
    return pd.DataFrame(rows, columns=columns).set_index("step")


def bottleneck_table(company, *, first: pd.Timestamp, last: pd.Timestamp, lift: float = 0.2
                     ) -> pd.DataFrame:
    """:func:`revopslab.process.bottleneck` measured over the report's period.

    The window is the period (its entrants and its won deals), measured at
    the end of the period or the extraction date, whichever is first; ``lift``
    closes that share of each step's gap to 100 %. The first row is the
    bottleneck; ``gain`` is bookings a year.
    """
    as_of = min(_end(last), pd.Timestamp(company.as_of))
    months = max((as_of - first) / pd.Timedelta(days=365.25 / 12), 1.0)
    leads = process.with_outcomes(company.leads, company.opportunities)
    return process.bottleneck(leads, lift=lift, as_of=as_of, months=months)


def retention_summary(company, *, first: pd.Timestamp, last: pd.Timestamp) -> dict[str, float]:
    """NRR, GRR, logo churn, revenue churn and expansion over the period, and the opening ARR.

    The metrics of :mod:`revopslab.metrics` (undefined values are NaN; the
    reason is in :func:`kpis`' note). ``opening_arr`` is 12 × the MRR of the
    month before the period, the base the retention rates apply to.

    Returns
    -------
    dict
        ``nrr, grr, logo_churn, revenue_churn, expansion, opening_arr, opening_customers``.
    """
    mrr = company.mrr
    period = (f"{first:%Y-%m}", f"{last:%Y-%m}")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", metrics.MetricWarning)
        out = {
            "nrr": metrics.net_revenue_retention(mrr, period=period),
            "grr": metrics.gross_revenue_retention(mrr, period=period),
            "logo_churn": metrics.logo_churn_rate(mrr, period=period),
            "revenue_churn": metrics.revenue_churn_rate(mrr, period=period),
            "expansion": metrics.expansion_rate(mrr, period=period),
        }
    before = mrr[(mrr["month"] == first - pd.DateOffset(months=1)) & (mrr["mrr"] > 0)]
    out["opening_arr"] = float(12 * before["mrr"].sum())
    out["opening_customers"] = int(before["account_id"].nunique())
    return out


def cohort_retention(mrr: pd.DataFrame, *, last: pd.Timestamp | None = None, freq: str = "Q",
                     ages: Sequence[int] = (0, 3, 6, 9, 12, 18, 24)) -> pd.DataFrame:
    """Net revenue retention of each cohort of customers at each age in months.

    A customer's cohort is the ``freq`` period of its first paying month ``f``;
    ``retention(cohort, k) = Σ MRR(f + k) / Σ MRR(f)`` over the cohort's
    accounts. Accounts already paying in the data's first month were acquired
    before it and are left out. An age is shown only when every account of the cohort has reached
    it by ``last`` (default: the last month of data), so no cell mixes
    customers observed for different lengths of time.

    Returns
    -------
    pandas.DataFrame
        Cohorts (``"2024Q1"`` ...) × ages in months, NaN where not yet observable.

    Examples
    --------
    >>> mrr = pd.DataFrame({"account_id": ["x", "a", "a", "a", "b", "b"],
    ...     "month": pd.to_datetime(["2024-12-01", "2025-01-01", "2025-02-01", "2025-04-01",
    ...                              "2025-02-01", "2025-05-01"]),
    ...     "mrr": [900.0, 100.0, 100.0, 150.0, 100.0, 50.0]})
    >>> cohort_retention(mrr, ages=[0, 3])  # doctest: +NORMALIZE_WHITESPACE
    age       0    3
    cohort
    2025Q1  1.0  1.0

    x already pays in the data's first month and is left out. At three months a pays
    150 and b 50: (150 + 50) / (100 + 100) = 100 %.
    """
    if len(mrr) == 0:
        return pd.DataFrame(columns=list(ages), dtype=float)
    paid = mrr[mrr["mrr"] > 0].groupby(["account_id", "month"], as_index=False)["mrr"].sum()
    if last is None:
        last = paid["month"].max()
    paid = paid[paid["month"] <= last]
    start = paid.groupby("account_id")["month"].transform("min")
    # Accounts already paying in the data's first month were won before it (left-censored):
    # their "cohort" would mix customers of every age, so they are left out.
    acquired = start > paid["month"].min()
    paid, start = paid[acquired], start[acquired]
    if len(paid) == 0:
        return pd.DataFrame(columns=list(ages), dtype=float)
    paid = paid.assign(
        age=(paid["month"].dt.year - start.dt.year) * 12 + paid["month"].dt.month
        - start.dt.month,
        cohort=start.dt.to_period(freq).astype(str), start=start)
    newest = paid.groupby("cohort")["start"].max()
    reach = (last.year - newest.dt.year) * 12 + last.month - newest.dt.month
    table = (paid[paid["age"].isin(list(ages))]
             .pivot_table(index="cohort", columns="age", values="mrr", aggfunc="sum")
             .reindex(columns=list(ages)).fillna(0.0))
    table = table.div(table[0], axis=0)
    observable = np.asarray(ages)[None, :] <= reach.reindex(table.index).to_numpy()[:, None]
    table.columns.name = "age"
    return table.where(observable)


def forecast_backtest(company, *, first: pd.Timestamp, last: pd.Timestamp,
                      progress: bool = False) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The quarterly point-in-time backtest up to the end of the period, and its accuracy.

    :func:`revopslab.forecast.backtest` of the three methods (the reps'
    judgment, the weighted pipeline, the predictive model), falling back to the
    first two when the history is too short to train the model; quarters ending
    after the period are left out.

    Returns
    -------
    (pandas.DataFrame, pandas.DataFrame)
        The backtest rows and :func:`revopslab.forecast.accuracy` of them.
    """
    from . import forecast

    results = forecast.backtest(company, progress=progress)
    if not len(results):
        results = forecast.backtest(company, methods=("judgment", "weighted"),
                                    progress=progress)
    if len(results):
        ends = pd.PeriodIndex(results["period"].astype(str), freq="Q").end_time.normalize()
        results = results[np.asarray(ends < _end(last))].reset_index(drop=True)
    return results, forecast.accuracy(results)


# ---------------------------------------------------------------------------- opportunities
@dataclasses.dataclass(frozen=True)
class OpportunitySummary:
    """The opportunity-based sections: the period's deals and today's open pipeline.

    Attributes
    ----------
    totals
        ``created, created_amount, won, lost, bookings, win_rate, average_won,
        cycle_median_days, cycle_p90_days, open_deals, open_amount,
        weighted_open, stale_deals, stale_amount`` (NaN where undefined).
    monthly
        Per month of the period: ``created, created_amount, won, lost, bookings, win_rate``.
    pipeline
        Open deals by stage: ``deals, amount, weighted, stale_deals, stale_amount``.
    categories
        Open deals by forecast category: ``deals, amount, due_deals, due_amount``
        (due: expected to close within 90 days of the extraction date);
        empty when the data has no forecast category.
    top_open
        The ten largest open deals.
    """

    totals: pd.Series
    monthly: pd.DataFrame
    pipeline: pd.DataFrame
    categories: pd.DataFrame
    top_open: pd.DataFrame


_OPP_REQUIRED = ("opportunity_id", "created_at", "closed_at", "is_closed", "is_won", "amount",
                 "stage", "expected_close_date")
_TOP_COLUMNS = ("opportunity_id", "opportunity_name", "account_name", "account_id",
                "owner_rep_id", "stage", "amount", "expected_close_date", "forecast_category")


def opportunity_summary(opportunities: pd.DataFrame, *, first: pd.Timestamp, last: pd.Timestamp,
                        as_of, engine: str = "duckdb", due_days: int = 90
                        ) -> OpportunitySummary:
    """The pipeline, win rate, cycle, bookings and forecast categories of an opportunities table.

    Works on the simulated company's table and on a CRM export alike, and on
    a million rows in seconds: ``engine="duckdb"`` aggregates in DuckDB (SQL
    with bound parameters, the frame read in place), ``engine="pandas"`` with
    vectorised pandas; both give the same numbers (tested). Deals count in the
    month they were created (``created``) or closed (``won``, ``lost``,
    ``bookings``); the win rate is ``won / (won + lost)`` of deals closed in
    the period and the cycle is over deals won in it, as
    :func:`revopslab.metrics.win_rate` and
    :func:`revopslab.metrics.sales_cycle_days` define them. The open pipeline
    is the deals open at extraction; a deal is *stale* when its expected close
    date is before ``as_of``.

    Parameters
    ----------
    opportunities
        With at least ``opportunity_id, created_at, closed_at, is_closed,
        is_won, amount, stage, expected_close_date``; ``rep_probability`` and
        ``forecast_category`` are used when present.
    first, last
        First and last month of the period.
    as_of
        Extraction date.
    engine
        ``"duckdb"`` or ``"pandas"``.
    due_days
        Window after ``as_of`` for a forecast category's ``due`` columns.

    Returns
    -------
    OpportunitySummary

    Examples
    --------
    >>> opps = pd.DataFrame({"opportunity_id": ["a", "b", "c"],
    ...     "created_at": pd.to_datetime(["2025-01-05", "2025-01-20", "2025-02-01"]),
    ...     "closed_at": pd.to_datetime(["2025-02-04", "2025-03-01", None]),
    ...     "is_closed": [True, True, False], "is_won": [True, False, False],
    ...     "amount": [100.0, 50.0, 80.0], "stage": ["closed_won", "closed_lost", "demo"],
    ...     "expected_close_date": pd.to_datetime(["2025-02-04", "2025-03-01", "2025-03-15"])})
    >>> s = opportunity_summary(opps, first=pd.Timestamp("2025-01-01"),
    ...                         last=pd.Timestamp("2025-03-01"), as_of="2025-04-01")
    >>> s.totals[["won", "lost", "bookings", "win_rate", "cycle_median_days", "stale_deals"]]
    won                    1.0
    lost                   1.0
    bookings             100.0
    win_rate               0.5
    cycle_median_days     30.0
    stale_deals            1.0
    Name: totals, dtype: float64
    """
    missing = [c for c in _OPP_REQUIRED if c not in opportunities.columns]
    if missing:
        raise ValueError(f"opportunities must have the columns {list(_OPP_REQUIRED)}; missing "
                         f"{missing} (has {list(opportunities.columns)})")
    if engine not in ("duckdb", "pandas"):
        raise ValueError(f"engine must be 'duckdb' or 'pandas', got {engine!r}")
    as_of = pd.Timestamp(as_of)
    end = _end(last)
    due = as_of + pd.Timedelta(days=due_days)
    run = _summary_duckdb if engine == "duckdb" else _summary_pandas
    parts = run(opportunities, first, end, as_of, due)
    months = pd.date_range(first, last, freq="MS", name="month")
    monthly = (parts["created"].join(parts["closed"], how="outer").reindex(months)
               .fillna(0.0))
    for column in ("created", "won", "lost"):
        monthly[column] = monthly[column].astype("int64")
    closed = monthly["won"] + monthly["lost"]
    monthly["win_rate"] = (monthly["won"] / closed.where(closed > 0)).astype(float)
    monthly = monthly[["created", "created_amount", "won", "lost", "bookings", "win_rate"]]
    pipeline = parts["pipeline"]
    order = [s for s in _OPEN_STAGES if s in pipeline.index]
    pipeline = pipeline.reindex(order + sorted(set(pipeline.index) - set(order)))
    categories = parts["categories"]
    if len(categories):
        order = [c for c in _CATEGORIES if c in categories.index]
        categories = categories.reindex(order + sorted(set(categories.index) - set(order)))
    won, lost = monthly["won"].sum(), monthly["lost"].sum()
    cycle = parts["cycle"]
    totals = pd.Series({
        "created": float(monthly["created"].sum()),
        "created_amount": float(monthly["created_amount"].sum()),
        "won": float(won), "lost": float(lost), "bookings": float(monthly["bookings"].sum()),
        "win_rate": float(won / (won + lost)) if won + lost else np.nan,
        "average_won": float(monthly["bookings"].sum() / won) if won else np.nan,
        "cycle_median_days": cycle["median"], "cycle_p90_days": cycle["p90"],
        "open_deals": float(pipeline["deals"].sum()),
        "open_amount": float(pipeline["amount"].sum()),
        "weighted_open": (float(pipeline["weighted"].sum())
                          if "rep_probability" in opportunities.columns else np.nan),
        "stale_deals": float(pipeline["stale_deals"].sum()),
        "stale_amount": float(pipeline["stale_amount"].sum()),
    }, name="totals")
    return OpportunitySummary(totals=totals, monthly=monthly, pipeline=pipeline,
                              categories=categories, top_open=parts["top_open"])


def _summary_pandas(o: pd.DataFrame, first, end, as_of, due) -> dict[str, Any]:
    """The aggregations of :func:`opportunity_summary` in plain vectorised pandas."""
    created_in = (o["created_at"] >= first) & (o["created_at"] < end)
    c = o.loc[created_in, ["created_at", "amount"]]
    created = (c.groupby(c["created_at"].dt.to_period("M").dt.to_timestamp())["amount"]
               .agg(["size", "sum"]).set_axis(["created", "created_amount"], axis=1))
    closed_in = o["is_closed"] & (o["closed_at"] >= first) & (o["closed_at"] < end)
    d = o.loc[closed_in, ["closed_at", "is_won", "amount"]]
    month = d["closed_at"].dt.to_period("M").dt.to_timestamp()
    won = d["is_won"].astype(bool)
    closed = pd.DataFrame({
        "won": won.groupby(month).sum(), "lost": (~won).groupby(month).sum(),
        "bookings": d["amount"].where(won, 0.0).groupby(month).sum()})
    w = d[won]
    days = (w["closed_at"] - o.loc[w.index, "created_at"]) / _DAY
    cycle = {"median": float(days.median()) if len(days) else np.nan,
             "p90": float(days.quantile(0.9)) if len(days) else np.nan}
    open_ = o[~o["is_closed"].astype(bool)]
    stale = open_["expected_close_date"] < as_of
    probability = open_["rep_probability"] if "rep_probability" in o.columns else np.nan
    frame = pd.DataFrame({"stage": open_["stage"], "amount": open_["amount"],
                          "weighted": open_["amount"] * probability,
                          "stale": stale, "stale_amount": open_["amount"].where(stale, 0.0)})
    g = frame.groupby("stage")
    pipeline = pd.DataFrame({"deals": g.size(), "amount": g["amount"].sum(),
                             "weighted": g["weighted"].sum(min_count=1),
                             "stale_deals": g["stale"].sum(),
                             "stale_amount": g["stale_amount"].sum()})
    pipeline["deals"] = pipeline["deals"].astype("int64")
    pipeline["stale_deals"] = pipeline["stale_deals"].astype("int64")
    pipeline["weighted"] = pipeline["weighted"].astype(float)
    if "forecast_category" in o.columns:
        in_window = (open_["expected_close_date"] >= as_of) & (open_["expected_close_date"] < due)
        f = pd.DataFrame({"category": open_["forecast_category"], "amount": open_["amount"],
                          "due": in_window, "due_amount": open_["amount"].where(in_window, 0.0)})
        g = f.dropna(subset=["category"]).groupby("category")
        categories = pd.DataFrame({"deals": g.size(), "amount": g["amount"].sum(),
                                   "due_deals": g["due"].sum(),
                                   "due_amount": g["due_amount"].sum()})
        categories["deals"] = categories["deals"].astype("int64")
        categories["due_deals"] = categories["due_deals"].astype("int64")
    else:
        categories = _empty_categories()
    columns = [c for c in _TOP_COLUMNS if c in o.columns]
    top = (open_.sort_values(["amount", "opportunity_id"], ascending=[False, True],
                             kind="stable").head(10)[columns].reset_index(drop=True))
    return {"created": created, "closed": closed, "cycle": cycle, "pipeline": pipeline,
            "categories": categories, "top_open": top}


def _empty_categories() -> pd.DataFrame:
    return pd.DataFrame({"deals": pd.Series(dtype="int64"), "amount": pd.Series(dtype=float),
                         "due_deals": pd.Series(dtype="int64"),
                         "due_amount": pd.Series(dtype=float)}).rename_axis("category")


def _summary_duckdb(o: pd.DataFrame, first, end, as_of, due) -> dict[str, Any]:
    """The aggregations of :func:`opportunity_summary` in DuckDB (bound parameters only)."""
    import duckdb

    has_probability = "rep_probability" in o.columns
    has_category = "forecast_category" in o.columns
    con = duckdb.connect()
    try:
        con.execute("SET threads TO 2")
        con.register("opps", o)
        t = (first.to_pydatetime(), end.to_pydatetime())
        created = con.execute(
            "SELECT date_trunc('month', created_at) AS month, count(*) AS created, "
            "sum(amount) AS created_amount FROM opps WHERE created_at >= ? AND created_at < ? "
            "GROUP BY 1", t).df()
        closed = con.execute(
            "SELECT date_trunc('month', closed_at) AS month, "
            "count(*) FILTER (WHERE is_won) AS won, count(*) FILTER (WHERE NOT is_won) AS lost, "
            "coalesce(sum(amount) FILTER (WHERE is_won), 0) AS bookings "
            "FROM opps WHERE is_closed AND closed_at >= ? AND closed_at < ? GROUP BY 1", t).df()
        cycle = con.execute(
            "SELECT median(d) AS median, quantile_cont(d, 0.9) AS p90 FROM (SELECT "
            "(epoch_us(closed_at) - epoch_us(created_at)) / 86400e6 AS d FROM opps "
            "WHERE is_closed AND is_won AND closed_at >= ? AND closed_at < ?)", t).df()
        weighted = "sum(amount * rep_probability)" if has_probability else "NULL::DOUBLE"
        stale = "expected_close_date < ?"
        pipeline = con.execute(
            f"SELECT stage, count(*) AS deals, sum(amount) AS amount, {weighted} AS weighted, "
            f"count(*) FILTER (WHERE {stale}) AS stale_deals, "
            f"coalesce(sum(amount) FILTER (WHERE {stale}), 0) AS stale_amount "
            "FROM opps WHERE NOT is_closed GROUP BY stage",
            (as_of.to_pydatetime(), as_of.to_pydatetime())).df()
        if has_category:
            inside = "expected_close_date >= ? AND expected_close_date < ?"
            window = (as_of.to_pydatetime(), due.to_pydatetime())
            categories = con.execute(
                "SELECT forecast_category AS category, count(*) AS deals, sum(amount) AS "
                f"amount, count(*) FILTER (WHERE {inside}) AS due_deals, "
                f"coalesce(sum(amount) FILTER (WHERE {inside}), 0) AS due_amount "
                "FROM opps WHERE NOT is_closed AND forecast_category IS NOT NULL GROUP BY 1",
                window + window).df().set_index("category")
            categories[["deals", "due_deals"]] = categories[["deals", "due_deals"]].astype(
                "int64")
            categories = categories.astype({"amount": float, "due_amount": float})
        else:
            categories = _empty_categories()
        columns = ", ".join(f'"{c}"' for c in _TOP_COLUMNS if c in o.columns)
        top = con.execute(f"SELECT {columns} FROM opps WHERE NOT is_closed "
                          "ORDER BY amount DESC, opportunity_id LIMIT 10").df()
    finally:
        con.close()
    created = created.set_index("month").astype({"created": "int64", "created_amount": float})
    closed = closed.set_index("month").astype({"won": "int64", "lost": "int64",
                                               "bookings": float})
    for frame in (created, closed):
        frame.index = pd.DatetimeIndex(frame.index).as_unit("ns").tz_localize(None)
    pipeline = pipeline.set_index("stage").astype(
        {"deals": "int64", "amount": float, "weighted": float, "stale_deals": "int64",
         "stale_amount": float})
    for column in ("expected_close_date",):
        if column in top:
            top[column] = pd.to_datetime(top[column]).astype("datetime64[ns]")
    return {"created": created, "closed": closed,
            "cycle": {"median": float(cycle["median"].iloc[0]) if cycle["median"].notna()[0]
                      else np.nan,
                      "p90": float(cycle["p90"].iloc[0]) if cycle["p90"].notna()[0] else np.nan},
            "pipeline": pipeline, "categories": categories, "top_open": top}


# ---------------------------------------------------------------------------- KPIs
def kpis(data: ReportData, *, first: pd.Timestamp, last: pd.Timestamp,
         segment: str | None = None, lang: str = "en") -> pd.DataFrame:
    """The KPI catalogue for the period (:func:`revopslab.metrics.kpi_table`), ready to show.

    A simulated company gets every KPI; with a ``segment``, each KPI that can
    be split is its value in the segment and the others (CAC, payback ...) are
    the company's total, marked ``all segments``. A CRM export gets the KPIs
    computable from opportunities alone. Undefined values are ``—`` with the
    reason in ``note``.

    Returns
    -------
    pandas.DataFrame
        ``metric, kpi`` (its name in ``lang``), ``value`` (raw), ``shown``
        (formatted), ``unit, department, scope, definition, note``.
    """
    _check_lang(lang)
    period = (f"{first:%Y-%m}", f"{last:%Y-%m}")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", metrics.MetricWarning)
        if data.company is not None:
            table = metrics.kpi_table(data.company, period=period,
                                      by="segment" if segment else None)
            if segment:
                split = table[table["segment"] == segment].assign(scope=segment)
                total = table[(table["segment"] == "total")
                              & ~table["metric"].isin(split["metric"])]
                table = pd.concat([split, total.assign(scope="all segments")])
                order = {k.name: i for i, k in enumerate(metrics.REGISTRY)}
                table = table.sort_values("metric", key=lambda s: s.map(order), kind="stable")
            else:
                table = table.assign(scope="company")
        else:
            opps = data.opportunities
            chosen = [k for k in metrics.REGISTRY if k.tables == ("opportunities",)
                      and (k.name != "activity_volume" or "activities" in opps.columns)]
            holder = SimpleNamespace(opportunities=opps, accounts=pd.DataFrame(
                {"account_id": pd.Series(dtype="str"), "segment": pd.Series(dtype="str")}))
            table = metrics.kpi_table(holder, period=period, kpis=chosen,
                                      gross_margin=1.0).assign(scope="export")
    labels = {k.name: (k.label_ja if lang == "ja" else _kpi_name(k.name))
              for k in metrics.REGISTRY}
    definitions = {k.name: k.definition for k in metrics.REGISTRY}
    table = table.reset_index(drop=True)
    table["kpi"] = table["metric"].map(labels).fillna(table["metric"])
    table["definition"] = table["metric"].map(definitions)
    table["shown"] = [format_value(v, u, lang=lang) for v, u in
                      zip(table["value"], table["unit"], strict=True)]
    return table[["metric", "kpi", "value", "shown", "unit", "department", "scope",
                  "definition", "note"]]


_ACRONYMS = {"mrr", "arr", "cac", "ltv", "roi", "nps", "csat", "mql", "nrr", "grr", "acv"}


def _kpi_name(name: str) -> str:
    words = [w.upper() if w in _ACRONYMS else w for w in name.split("_")]
    text = " ".join(words)
    return text[:1].upper() + text[1:]


# ---------------------------------------------------------------------------- data quality
def quarantine_summary(export, *, lang: str = "en", examples: int = 5
                       ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The quarantined rows of an export by reason, and a few examples, with PII masked.

    A reason's kind is its text up to the first ``:`` or ``(`` (``"Amount is not
    an amount"``), without the row's raw value. The examples show the row
    number and the full reason, masked with :func:`revopslab.crm.mask_pii`, since
    a reason quotes the raw value (which may be an e-mail address).

    Returns
    -------
    (pandas.DataFrame, pandas.DataFrame)
        Counts by reason (``reason, rows``), and up to ``examples`` rows (``row, reason``).
    """
    from .crm import mask_pii, reason_counts

    _check_lang(lang)
    bad = export.quarantined
    if not len(bad):
        return (pd.DataFrame({"reason": pd.Series(dtype="str"), "rows": pd.Series(dtype="int64")}),
                pd.DataFrame({"row": pd.Series(dtype="int64"), "reason": pd.Series(dtype="str")}))
    counts = mask_pii(reason_counts(bad).reset_index())
    sample = mask_pii(bad[["row", "reason"]].head(examples).reset_index(drop=True))
    return counts, sample


# ============================================================================ recommendations
@dataclasses.dataclass(frozen=True)
class Findings:
    """The numbers the recommendation rules read (``None`` where the data cannot tell).

    Attributes
    ----------
    bottleneck
        :func:`revopslab.process.bottleneck` output (largest gain first).
    lift
        The lift ``bottleneck`` was computed with (share of the gap closed).
    nrr, grr, opening_arr
        Net and gross revenue retention over the period, and the ARR they apply to.
    win_rate, closed_deals, average_won
        Of the deals closed in the period.
    accuracy, quarterly_actual
        :func:`revopslab.forecast.accuracy` of the backtest, and the mean
        actual bookings per quarter it was scored on.
    open_amount, stale_deals, stale_amount
        The open pipeline and its part past the expected close date.
    rows_read, rows_quarantined, quarantine_path
        Of a CRM export.
    """

    bottleneck: pd.DataFrame | None = None
    lift: float = 0.2
    nrr: float | None = None
    grr: float | None = None
    opening_arr: float | None = None
    win_rate: float | None = None
    closed_deals: int | None = None
    average_won: float | None = None
    accuracy: pd.DataFrame | None = None
    quarterly_actual: float | None = None
    open_amount: float | None = None
    stale_deals: int | None = None
    stale_amount: float | None = None
    rows_read: int | None = None
    rows_quarantined: int | None = None
    quarantine_path: str | None = None


@dataclasses.dataclass(frozen=True)
class Recommendation:
    """One recommendation: the rule that fired, the size of the prize (currency) and the text.

    ``prize`` is ``None`` when a rule has no amount (data quality).
    """

    rule: str
    prize: float | None
    text: str


def findings(*, summary: OpportunitySummary, bottleneck: pd.DataFrame | None = None,
             lift: float = 0.2, retention: Mapping[str, float] | None = None,
             backtest: pd.DataFrame | None = None, accuracy: pd.DataFrame | None = None,
             export=None, quarantine_path: str | os.PathLike | None = None) -> Findings:
    """Collect the report's numbers into :class:`Findings` for :func:`recommendations`."""
    t = summary.totals
    closed = int(t["won"] + t["lost"])
    quarterly = None
    if backtest is not None and len(backtest):
        quarterly = float(backtest.drop_duplicates("period")["actual"].mean())
    s = export.source if export is not None else None
    return Findings(
        bottleneck=bottleneck, lift=lift,
        nrr=None if retention is None else retention["nrr"],
        grr=None if retention is None else retention["grr"],
        opening_arr=None if retention is None else retention["opening_arr"],
        win_rate=t["win_rate"], closed_deals=closed, average_won=t["average_won"],
        accuracy=accuracy if accuracy is not None and len(accuracy) else None,
        quarterly_actual=quarterly, open_amount=t["open_amount"],
        stale_deals=int(t["stale_deals"]), stale_amount=t["stale_amount"],
        rows_read=None if s is None else s.rows_read,
        rows_quarantined=None if s is None else s.rows_quarantined,
        quarantine_path=None if quarantine_path is None else str(quarantine_path))


def _ok(value: Any) -> bool:
    return value is not None and isinstance(value, int | float | np.number) and bool(
        np.isfinite(value))


def _rule_bottleneck(f: Findings, lang: str, yen: Callable[[float], str]) -> Recommendation | None:
    table = f.bottleneck
    if table is None or not len(table) or "gain" not in table:
        return None
    ranked = table[np.isfinite(table["gain"].to_numpy(dtype=float))].sort_values(
        "gain", ascending=False, kind="stable")
    if not len(ranked) or not ranked["gain"].iloc[0] > 0:
        return None
    top = ranked.iloc[0]
    step = ranked.index[0]
    p, lifted = float(top["conversion"]), float(top["conversion"] * top["multiplier"])
    share = float(top["gain"] / ranked["gain"].clip(lower=0).sum())
    entered = float(top["entered_per_year"])
    name = step_label(step, lang=lang)
    nxt = ""
    if len(ranked) > 1 and ranked["gain"].iloc[1] > 0:
        second = ranked.index[1]
        nxt = (f" 次点は{step_label(second, lang=lang)}（年{yen(ranked['gain'].iloc[1])}）です。"
               if lang == "ja" else
               f" Next in line: {step_label(second, lang=lang)} "
               f"({yen(ranked['gain'].iloc[1])} a year).")
    if lang == "ja":
        text = (f"**ボトルネックは{name}です。** "
                f"年{entered:,.0f}件が入るこのステップの転換率は"
                f"{p:.1%}で、100%までの差の{f.lift:.0%}を埋めて{lifted:.1%}にすると、受注が年"
                f"{yen(top['gain'])}増える見込みです（全ステップに同じ改善をした場合の増分の"
                f"{share:.0%}）。{nxt}")
    else:
        text = (f"**Fix {name} first: it is the bottleneck.** {entered:,.0f} leads a year enter "
                f"this step and {p:.1%} convert; closing {f.lift:.0%} of its gap to 100% "
                f"(to {lifted:.1%}) would add about {yen(top['gain'])} of bookings a year, "
                f"{share:.0%} of what the same lift on every step would add.{nxt}")
    return Recommendation("bottleneck", float(top["gain"]), text)


def _rule_retention(f: Findings, lang: str, yen: Callable[[float], str]
                    ) -> list[Recommendation]:
    out = []
    if not _ok(f.opening_arr) or f.opening_arr <= 0:
        return out
    goal = BENCHMARKS["gross_revenue_retention"]
    if _ok(f.grr) and f.grr < goal:
        prize = (goal - f.grr) * f.opening_arr
        text = (f"**解約と縮小を減らす。** GRRは{f.grr:.1%}で、中央値の{goal:.0%}を下回っています。"
                f"期初ARR {yen(f.opening_arr)}に対し、GRRを{goal:.0%}に戻せば年{yen(prize)}の"
                "ARRを守れます。解約・縮小した顧客のオンボーディングと引き継ぎから確認してください。"
                if lang == "ja" else
                f"**Stop the leak: gross revenue retention is {f.grr:.1%}**, below the "
                f"{goal:.0%} median. On an opening ARR of {yen(f.opening_arr)}, bringing GRR to "
                f"{goal:.0%} would keep {yen(prize)} of ARR a year; start with the onboarding "
                "and handoff of the accounts that churned or contracted.")
        out.append(Recommendation("gross_retention", prize, text))
    goal = BENCHMARKS["net_revenue_retention"]
    if _ok(f.nrr) and f.nrr < goal:
        prize = (goal - f.nrr) * f.opening_arr
        text = (f"**既存顧客の売上が縮んでいます。** NRRは{f.nrr:.1%}で、"
                "拡大が解約を補えていません。"
                f"NRRを{goal:.0%}にすると年{yen(prize)}のARRになります。"
                if lang == "ja" else
                f"**The installed base shrinks: NRR is {f.nrr:.1%}**, so expansion does not "
                f"cover churn and contraction. Reaching {goal:.0%} is worth {yen(prize)} of ARR "
                "a year.")
        out.append(Recommendation("net_retention", prize, text))
    return out


def _rule_win_rate(f: Findings, lang: str, yen: Callable[[float], str]
                   ) -> Recommendation | None:
    low = BENCHMARKS["win_rate"]
    if not (_ok(f.win_rate) and _ok(f.average_won) and f.closed_deals) or f.win_rate >= low:
        return None
    prize = (low - f.win_rate) * f.closed_deals * f.average_won
    text = (f"**受注率を上げる。** 期間中にクローズした{f.closed_deals:,}件の受注率は"
            f"{f.win_rate:.1%}"
            f"で、公表レンジの下限{low:.0%}を下回っています。{low:.0%}まで上がれば、平均受注額"
            f"{yen(f.average_won)}で受注が{yen(prize)}増えます。"
            if lang == "ja" else
            f"**Win more of the deals you work: the win rate is {f.win_rate:.1%}** of "
            f"{f.closed_deals:,} deals closed, below the {low:.0%} low end of published ranges. "
            f"At {low:.0%} and the average won deal of {yen(f.average_won)}, the same deals "
            f"would book {yen(prize)} more.")
    return Recommendation("win_rate", prize, text)


def _rule_stale(f: Findings, lang: str, yen: Callable[[float], str]) -> Recommendation | None:
    if not (_ok(f.open_amount) and _ok(f.stale_amount)) or f.open_amount <= 0:
        return None
    share = f.stale_amount / f.open_amount
    if share <= BENCHMARKS["stale_share"]:
        return None
    text = (f"**古いパイプラインを整理する。** 未クローズ商談{f.stale_deals:,}件"
            f"（{yen(f.stale_amount)}、"
            f"パイプラインの{share:.0%}）は完了予定日を過ぎています。予測会議の前に日付を更新するか"
            "クローズしてください。"
            if lang == "ja" else
            f"**Clean the pipeline: {f.stale_deals:,} open deals worth {yen(f.stale_amount)} "
            f"({share:.0%} of the open pipeline) are past their own close date.** Re-date or "
            "close them before the next forecast call; until then the pipeline overstates what "
            "can close.")
    return Recommendation("stale_pipeline", f.stale_amount, text)


def _rule_forecast(f: Findings, lang: str, yen: Callable[[float], str]) -> Recommendation | None:
    acc = f.accuracy
    if acc is None or "judgment" not in acc.index or len(acc) < 2 or not _ok(f.quarterly_actual):
        return None
    judged = acc.loc["judgment"]
    others = acc.drop(index="judgment").sort_values("wape", kind="stable")
    best, best_name = others.iloc[0], others.index[0]
    gain = float(judged["wape"] - best["wape"])
    if abs(judged["bias"]) <= BENCHMARKS["forecast_bias"] or gain < BENCHMARKS["forecast_gain"]:
        return None
    prize = gain * f.quarterly_actual
    way = ("上振れ" if judged["bias"] > 0 else "下振れ") if lang == "ja" else (
        "over" if judged["bias"] > 0 else "under")
    methods = {"weighted": ("the weighted pipeline", "加重パイプライン"),
               "predictive": ("the predictive model", "予測モデル"),
               "commit": ("the reps' Commit deals", "コミット商談")}
    method = methods.get(best_name, (best_name, best_name))[_LANGS.index(lang)]
    text = (f"**予測の方法を変える。** 営業の判断による予測は平均{abs(judged['bias']):.0%}{way}し"
            f"（WAPE {judged['wape']:.0%}）、{method}のWAPEは{best['wape']:.0%}です。切り替えると"
            f"四半期あたりの予測誤差が約{yen(prize)}減ります。"
            if lang == "ja" else
            f"**Forecast from data, not judgment: the reps' forecast {way}states bookings by "
            f"{abs(judged['bias']):.0%}** on average (WAPE {judged['wape']:.0%}); {method} "
            f"misses by {best['wape']:.0%}. Switching cuts the forecast error by about "
            f"{yen(prize)} a quarter.")
    return Recommendation("forecast", prize, text)


def _rule_quality(f: Findings, lang: str, yen: Callable[[float], str]) -> Recommendation | None:
    if not f.rows_read or not f.rows_quarantined:
        return None
    share = f.rows_quarantined / f.rows_read
    if share <= BENCHMARKS["quarantine_share"]:
        return None
    where = md_literal(mask_text(f.quarantine_path)) if f.quarantine_path else "—"
    text = (f"**データ入力を直す。** エクスポートの{f.rows_read:,}行のうち{f.rows_quarantined:,}行"
            f"（{share:.1%}）が読めず、このレポートから除外されました。理由は隔離ファイル {where} "
            "にあります。CRM側の入力規則で直してください。"
            if lang == "ja" else
            f"**Fix the data at the source: {f.rows_quarantined:,} of {f.rows_read:,} rows "
            f"({share:.1%}) could not be read** and are left out of this report. Their reasons "
            f"are in the quarantine file {where}; add validation rules in the CRM so they "
            "cannot be entered.")
    return Recommendation("data_quality", None, text)


def recommendations(f: Findings, *, lang: str = "en") -> list[Recommendation]:
    """Rule-based recommendations from the report's numbers, the largest prize first.

    Each rule fires only when its number crosses a threshold of
    :data:`BENCHMARKS`, and its text names what to fix and the size of the
    prize, computed from the numbers:

    * ``bottleneck``: the step with the largest ``gain`` in
      :func:`revopslab.process.bottleneck` (fires when that gain is > 0):
      the step, its conversion, and the bookings a year the lift would add;
    * ``gross_retention``: GRR below 90 %: ``(0.90 − GRR) × opening ARR``;
    * ``net_retention``: NRR below 100 %: ``(1 − NRR) × opening ARR``;
    * ``win_rate``: below 15 %: ``(0.15 − win rate) × closed deals × average won``;
    * ``forecast``: the reps' judgment biased by more than 15 % and another
      method's WAPE 5+ points lower: ``ΔWAPE × mean quarterly bookings``;
    * ``stale_pipeline``: more than 10 % of the open amount past its close date;
    * ``data_quality``: more than 1 % of an export's rows quarantined (no prize).

    Examples
    --------
    >>> table = pd.DataFrame({"conversion": [0.3, 0.5], "entered_per_year": [1000.0, 500.0],
    ...                       "multiplier": [1 + 0.2 * 0.7 / 0.3, 1.2], "gain": [5e7, 1e7]},
    ...                      index=["tql_to_sal", "sql_to_opportunity"])
    >>> [r.rule for r in recommendations(Findings(bottleneck=table, grr=0.95, opening_arr=1e9))]
    ['bottleneck']
    >>> round(recommendations(Findings(grr=0.85, opening_arr=1e9))[0].prize)
    50000000
    """
    _check_lang(lang)
    if not isinstance(f, Findings):
        raise TypeError(f"f must be a Findings, got {type(f).__name__}")

    def yen(value: float) -> str:
        return format_yen(float(value), lang=lang)

    found = [_rule_bottleneck(f, lang, yen), *_rule_retention(f, lang, yen),
             _rule_win_rate(f, lang, yen), _rule_forecast(f, lang, yen),
             _rule_stale(f, lang, yen), _rule_quality(f, lang, yen)]
    fired = [r for r in found if r is not None]
    return sorted(fired, key=lambda r: (r.prize is None, -(r.prize or 0.0)))


# ============================================================================ charts
def _axes(ax: Axes | None) -> Axes:
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(8, 4.5))
    return ax


def _message(message: str) -> None:
    if not isinstance(message, str) or not message.strip():
        raise ValueError("message must be a non-empty sentence stating the chart's takeaway, "
                         f"got {message!r}")


def cohort_heatmap(table: pd.DataFrame, *, message: str, ax: Axes | None = None,
                   lang: str = "en") -> Axes:
    """Revenue retention of each cohort (rows) at each age (columns), as a labelled heatmap.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> t = pd.DataFrame({0: [1.0, 1.0], 3: [1.1, np.nan]}, index=["2025Q1", "2025Q2"])
    >>> ax = cohort_heatmap(t, message="Cohorts grow after the first quarter")
    >>> [x.get_text() for x in ax.texts]
    ['100%', '110%', '100%']
    """
    _message(message)
    _check_lang(lang)
    ax = _axes(ax)
    values = table.to_numpy(dtype=float)
    image = ax.imshow(np.ma.masked_invalid(values), cmap="RdYlGn", vmin=0.6, vmax=1.4,
                      aspect="auto")
    for (i, j), v in np.ndenumerate(values):
        if np.isfinite(v):
            ax.text(j, i, f"{v:.0%}", ha="center", va="center", fontsize=8)
    ax.set_xticks(range(table.shape[1]), [str(c) for c in table.columns])
    ax.set_yticks(range(table.shape[0]), [str(i) for i in table.index])
    ax.set_xlabel("経過月数" if lang == "ja" else "Months since the first payment")
    ax.set_ylabel("コホート（初回支払い）" if lang == "ja" else "Cohort (first payment)")
    ax.grid(False)
    ax.figure.colorbar(image, ax=ax, fraction=0.04, pad=0.02, format="{x:.0%}")
    ax.set_title(message, loc="left")
    return ax


def forecast_vs_actual(results: pd.DataFrame, *, message: str, ax: Axes | None = None,
                       lang: str = "en") -> Axes:
    """Actual bookings per period (bars) and each method's forecast (lines) of a backtest.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> r = pd.DataFrame({"period": ["2025Q1", "2025Q1", "2025Q2", "2025Q2"],
    ...                   "method": ["judgment", "weighted"] * 2,
    ...                   "forecast": [130.0, 95.0, 150.0, 110.0], "actual": [100.0] * 4})
    >>> len(forecast_vs_actual(r, message="Judgment overshoots").lines)
    2
    """
    _message(message)
    _check_lang(lang)
    ax = _axes(ax)
    periods = list(dict.fromkeys(results["period"].astype(str)))
    x = np.arange(len(periods))
    actual = results.drop_duplicates("period").set_index(results.drop_duplicates("period")[
        "period"].astype(str))["actual"].reindex(periods)
    ax.bar(x, actual.to_numpy(dtype=float), color="#DDDDDD", width=0.7,
           label="実績" if lang == "ja" else "actual")
    names = {"judgment": ("judgment (reps)", "営業の判断"), "weighted": ("weighted pipeline",
                                                                     "加重パイプライン"),
             "predictive": ("predictive model", "予測モデル"), "commit": ("commit", "コミット")}
    for k, (method, group) in enumerate(results.groupby("method", sort=False)):
        values = group.set_index(group["period"].astype(str))["forecast"].reindex(periods)
        ax.plot(x, values.to_numpy(dtype=float), marker="o", color=OKABE_ITO[k % 8],
                label=names.get(method, (method, method))[_LANGS.index(lang)])
    ax.set_xticks(x, periods)
    ax.yaxis.set_major_formatter(yen_formatter(lang=lang))
    ax.legend(frameon=False, fontsize=8, ncol=2)
    ax.set_title(message, loc="left")
    return ax


def monthly_bookings(monthly: pd.DataFrame, *, message: str, ax: Axes | None = None,
                     lang: str = "en") -> Axes:
    """Bookings per month (bars) with the month's win rate (line, right axis).

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> m = pd.DataFrame({"bookings": [100.0, 300.0], "win_rate": [0.2, 0.3]},
    ...                  index=pd.to_datetime(["2025-01-01", "2025-02-01"]))
    >>> len(monthly_bookings(m, message="February booked three times January").patches)
    2
    """
    _message(message)
    _check_lang(lang)
    ax = _axes(ax)
    x = np.arange(len(monthly))
    ax.bar(x, monthly["bookings"].to_numpy(dtype=float), color=OKABE_ITO[2], width=0.7)
    ax.yaxis.set_major_formatter(yen_formatter(lang=lang))
    ax.set_ylabel(label("bookings", lang=lang))
    step = max(1, len(monthly) // 12)
    ax.set_xticks(x[::step], [f"{m:%Y-%m}" for m in monthly.index[::step]], rotation=45,
                  ha="right")
    right = ax.twinx()
    right.plot(x, monthly["win_rate"].to_numpy(dtype=float), color=OKABE_ITO[0], marker="o")
    right.set_ylim(0, max(0.5, float(np.nanmax(monthly["win_rate"].to_numpy(dtype=float),
                                               initial=0.0)) * 1.2))
    right.yaxis.set_major_formatter("{x:.0%}")
    right.set_ylabel(label("win_rate", lang=lang), color=OKABE_ITO[0])
    right.grid(False)
    ax.set_title(message, loc="left")
    return ax


# ============================================================================ HTML
def render_html(notebook, out: str | os.PathLike | None = None, *, title: str | None = None
                ) -> str:
    """The executed notebook as HTML with no code: no input cells, no prompts, no stderr.

    Uses nbconvert's ``HTMLExporter(exclude_input=True, exclude_input_prompt=True,
    exclude_output_prompt=True)`` (what ``jupyter nbconvert --no-input`` does),
    drops the cells tagged ``report-hide`` (notes for the notebook's readers),
    ``parameters`` and ``injected-parameters`` (code only, and the injected
    cell's id changes on every run) and the stderr streams (warnings, logs),
    and embeds the charts.

    Parameters
    ----------
    notebook
        A path to an executed ``.ipynb`` or an ``nbformat`` notebook.
    out
        Where to write the HTML (UTF-8, atomically); not written when ``None``.
    title
        The page's title (default: the notebook's file name).

    Returns
    -------
    str
        The HTML.
    """
    import nbformat
    from nbconvert import HTMLExporter
    from nbconvert.preprocessors import TagRemovePreprocessor

    if isinstance(notebook, str | os.PathLike):
        name = Path(notebook).stem
        nb = nbformat.read(notebook, as_version=4)
    else:
        name, nb = "report", nbformat.from_dict(notebook)
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs = [o for o in cell.get("outputs", [])
                            if not (o.get("output_type") == "stream" and o.get("name") == "stderr")]
    quiet = logging.getLogger("revopslab.report.nbconvert")  # not "alt text is missing"
    quiet.setLevel(logging.ERROR)
    exporter = HTMLExporter(exclude_input=True, exclude_input_prompt=True,
                            exclude_output_prompt=True, exclude_anchor_links=True, log=quiet)
    remover = TagRemovePreprocessor(enabled=True, remove_cell_tags={
        "report-hide", "parameters", "injected-parameters"})
    exporter.register_preprocessor(remover, enabled=True)
    body, _ = exporter.from_notebook_node(nb, resources={"metadata": {"name": title or name}})
    if out is not None:  # a temporary file beside ``out``, renamed once complete
        from ._safe_io import atomic_write

        with atomic_write(out) as handle:
            handle.write(body)
    return body


# ============================================================================ running
@dataclasses.dataclass(frozen=True)
class ReportResult:
    """A report written: the HTML, the executed notebook (if kept), the time and parameters."""

    html: Path
    executed: Path | None
    seconds: float
    parameters: Mapping[str, Any]


@contextlib.contextmanager
def _environment(values: Mapping[str, str]) -> Iterator[None]:
    """Set environment variables for the kernels started inside (restored after)."""
    saved = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def _prepare(parameters: Mapping[str, Any] | None, out: Path,
             executed: Path | None = None, notebook: Path | None = None) -> dict[str, Any]:
    """Check the parameters and every path before anything runs.

    Paths are made absolute; the quarantine file defaults to beside ``out``;
    an input (the export, the mapping file, the notebook) must exist, and no
    output (``out``, ``executed``, the quarantine file) may be an input or
    another output, have a file name too long for the file system, or sit in
    a folder that cannot be written.
    """
    from ._safe_io import path_problems

    p = check_parameters(dict(parameters or {}))
    problems = []
    if p["source"] != "simulated":
        source = Path(p["source"]).expanduser()
        if not source.is_file():
            what = "a directory" if source.is_dir() else "no such file"
            problems.append(f"source must be 'simulated' or the path of an existing CRM export "
                            f"(CSV or .xlsx), got {p['source']!r} ({what})")
        p["source"] = str(source.resolve())
        if p["quarantine"] is None:
            p["quarantine"] = str(out.with_name(f"{out.stem}_quarantine.csv"))
        quarantine = Path(p["quarantine"]).expanduser()
        if not quarantine.parent.is_dir():
            problems.append(f"quarantine must be a file in an existing folder, got "
                            f"{p['quarantine']!r}")
        p["quarantine"] = str(quarantine.resolve())
    mapping = None
    if _is_mapping_file(p["mapping"]):
        mapping = Path(p["mapping"]).expanduser()
        if not mapping.is_file():
            problems.append(f"mapping must name an existing mapping file, got {p['mapping']!r} "
                            "(no such file); write one with `revopslab mapping suggest EXPORT "
                            "--out MAPPING.yaml`")
        p["mapping"] = str(mapping.resolve())
    problems += path_problems(
        {"out": out, "keep-notebook": executed,
         "quarantine": None if p["source"] == "simulated" else p["quarantine"]},
        {"source": None if p["source"] == "simulated" else p["source"], "mapping": mapping,
         "notebook": notebook})
    if problems:
        raise ReportParameterError(problems)
    injected_parameters(p)
    return p


def _failed_cell(executed: Path, error) -> str:
    """The id of the cell that raised (papermill adds a marker cell on top of the file)."""
    import nbformat

    try:
        nb = nbformat.read(executed, as_version=4)
    except (OSError, ValueError):
        return f"cell-{error.cell_index}"
    for cell in nb.cells:
        if cell.cell_type == "code" and any(o.get("output_type") == "error"
                                            for o in cell.get("outputs", [])):
            return str(cell.get("id", f"cell-{error.cell_index}"))
    return f"cell-{error.cell_index}"


def run_report(parameters: Mapping[str, Any] | None = None, *, out: str | os.PathLike,
               notebook: str | os.PathLike = NOTEBOOK, executed: str | os.PathLike | None = None,
               kernel_name: str = "python3", timeout: float = 1800,
               title: str | None = None) -> ReportResult:
    """Run the report notebook with papermill on ``parameters`` and write it as HTML, no code.

    The parameters are checked first (:func:`check_parameters`; a CRM export
    must exist), an export's path is made absolute, and the code papermill
    will inject is verified to assign exactly these literals
    (:func:`injected_parameters`). The kernel runs with ``TQDM_DISABLE=1``
    and ``progress=False`` unless asked, so no progress bar lands in the report.

    Parameters
    ----------
    parameters
        Any of :data:`DEFAULT_PARAMETERS` (the others keep their defaults).
        With an export and no ``quarantine``, the quarantined rows go to
        ``<out stem>_quarantine.csv`` beside ``out``.
    out
        The HTML file to write.
    notebook
        The report notebook (default :data:`NOTEBOOK`).
    executed
        Where to keep the executed notebook (default: not kept, unless the run
        fails: then ``<out stem>.failed.ipynb``).
    kernel_name, timeout
        The Jupyter kernel, and the longest a cell may run (seconds).
    title
        The HTML page's title.

    Returns
    -------
    ReportResult

    Raises
    ------
    ReportParameterError
        The parameters are invalid (nothing was run).
    ReportError
        A cell failed: its index and id, the error and the parameters.
    """
    try:
        import nbconvert  # noqa: F401
        import papermill as pm
        from papermill.exceptions import PapermillExecutionError
    except ImportError as error:
        raise ImportError(f"run_report needs papermill, nbconvert and ipykernel ({error}); "
                          "install them with: pip install -e '.[dev]'") from error

    out = Path(out).expanduser().resolve()
    if not out.parent.is_dir():
        raise ReportParameterError([f"out must be a file in an existing folder, got {str(out)!r}"])
    executed = None if executed is None else Path(executed).expanduser().resolve()
    p = _prepare(parameters, out, executed, Path(notebook))
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="revopslab-report-") as folder:
        target = Path(folder) / "executed.ipynb"
        env = {"TQDM_DISABLE": "0" if p["progress"] else "1",
               "MPLBACKEND": "module://matplotlib_inline.backend_inline"}
        try:
            with _environment(env), _quiet_kernel(Path(folder)) as quiet:
                pm.execute_notebook(str(notebook), str(target), parameters=p,
                                    kernel_name=kernel_name, cwd=str(Path(notebook).parent),
                                    progress_bar=False, log_output=False,
                                    execution_timeout=timeout, **quiet)
        except PapermillExecutionError as error:
            kept = executed or out.with_name(f"{out.stem}.failed.ipynb")
            _copy_atomic(target, kept)
            raise ReportError(cell_index=error.cell_index,
                              cell_id=_failed_cell(target, error),
                              ename=error.ename, evalue=error.evalue, parameters=p,
                              executed=kept) from None
        if executed is not None:
            _copy_atomic(target, executed)
        render_html(target, out, title=title or _title(p))
    return ReportResult(html=out, executed=executed,
                        seconds=time.perf_counter() - started, parameters=p)


def _copy_atomic(source: Path, target: Path) -> None:
    from ._safe_io import atomic_write

    with atomic_write(target, mode="wb") as handle:
        handle.write(source.read_bytes())


@contextlib.contextmanager
def _quiet_kernel(folder: Path) -> Iterator[dict[str, Any]]:
    """papermill options that keep the kernel's own log off the terminal.

    The kernel logs at ERROR only (no "Kernel is running over TCP without
    encryption": it listens on 127.0.0.1 for this process alone), and its
    stderr (ZMQ tracebacks at shutdown) goes to a file in ``folder``.
    Failures still reach the report runner, as the failing cell's error.
    """
    from jupyter_client.manager import AsyncKernelManager

    log = open(folder / "kernel.log", "wb")  # noqa: SIM115 - closed below

    class QuietKernelManager(AsyncKernelManager):
        async def _async_launch_kernel(self, kernel_cmd, **kw):
            kw["stderr"] = log
            return await super()._async_launch_kernel(kernel_cmd, **kw)

    try:
        yield {"kernel_manager_class": QuietKernelManager,
               "extra_arguments": ["--IPKernelApp.log_level=ERROR",
                                   "--Application.log_level=ERROR"]}
    finally:
        log.close()


def _title(p: Mapping[str, Any]) -> str:
    head = _TEXT["title"][_LANGS.index(p["lang"])]
    source = "simulated" if p["source"] == "simulated" else mask_text(Path(p["source"]).name)
    parts = [head, source] + [str(p[k]) for k in ("segment",) if p[k]]
    return " · ".join(parts)


# ---------------------------------------------------------------------------- batches
@dataclasses.dataclass(frozen=True)
class GridRun:
    """One run of a batch: its name, parameters, outcome, time, output or error."""

    name: str
    parameters: Mapping[str, Any]
    ok: bool = False
    seconds: float = 0.0
    html: Path | None = None
    error: str | None = None


@dataclasses.dataclass(frozen=True)
class GridResult:
    """The runs of a batch, in order."""

    runs: tuple[GridRun, ...]
    interrupted: bool = False
    planned: int | None = None

    @property
    def failed(self) -> tuple[GridRun, ...]:
        """The runs that failed."""
        return tuple(r for r in self.runs if not r.ok)

    def summary(self) -> str:
        """A table of the runs (name, status, seconds, output or first line of the error).

        Examples
        --------
        >>> print(GridResult((GridRun("a", {}, True, 2.0, Path("a.html")),
        ...                   GridRun("b", {}, False, 1.0, None, "boom\\nmore"))).summary())
        2 runs: 1 ok, 1 failed
          a  ok      2.0 s  a.html
          b  FAILED  1.0 s  boom
        """
        width = max([len(r.name) for r in self.runs] or [1])
        lines = [f"{len(self.runs)} run{'s' if len(self.runs) != 1 else ''}: "
                 f"{len(self.runs) - len(self.failed)} ok, {len(self.failed)} failed"]
        for r in self.runs:
            status = "ok" if r.ok else "FAILED"
            detail = str(r.html) if r.ok else (r.error or "").splitlines()[0]
            lines.append(f"  {r.name:<{width}}  {status:<6}  {r.seconds:.1f} s  {detail}")
        if self.interrupted:
            lines.append(f"interrupted: {len(self.runs)} of {self.planned} runs finished (listed "
                         "above); the others did not run")
        return "\n".join(lines)


_SAFE_NAME = re.compile(r"[^A-Za-z0-9._=-]+")


def _safe_name(name: str, k: int) -> str:
    name = _SAFE_NAME.sub("-", unicodedata.normalize("NFKC", name)).strip("-.")
    return name[:80] or f"run{k + 1}"


def _short(value: Any, limit: int = 120) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[:limit] + "…"


def read_grid(grid: str | os.PathLike | Mapping | Sequence) -> list[tuple[str, dict[str, Any]]]:
    """The runs of a batch file: ``[(name, parameters), ...]``, every run checked first.

    The YAML file (read with ``yaml.safe_load``) is a list of parameter dicts,
    or a mapping with any of ``defaults`` (parameters of every run), ``runs``
    (a list of dicts, each may have a ``name``) and ``grid`` (lists of values
    whose every combination is a run). A run's name (its ``name``, else its
    parameters that differ between runs, then its ``grid`` values) becomes
    its file name, reduced to ``[A-Za-z0-9._=-]``. Names you give must be unique
    (after that reduction); a generated name that repeats another gets ``-2``,
    ``-3`` ... (never a name already taken).

    Raises
    ------
    ReportParameterError
        Every problem of every run, each prefixed with the run's name.

    Examples
    --------
    >>> runs = read_grid({"defaults": {"lang": "ja"}, "grid": {"segment": ["SMB", "MM"]}})
    >>> [(name, p["segment"], p["lang"]) for name, p in runs]
    [('segment=SMB', 'SMB', 'ja'), ('segment=MM', 'MM', 'ja')]
    """
    import yaml

    if isinstance(grid, str | os.PathLike):
        path = Path(grid)
        if not path.is_file():
            raise ReportParameterError([f"grid must be an existing YAML file, got {str(grid)!r}"])
        try:
            spec = yaml.safe_load(path.read_text(encoding="utf-8"))
        except yaml.YAMLError as error:
            raise ReportParameterError([f"grid file {str(grid)!r} is not valid YAML: "
                                        f"{error}"]) from None
    else:
        spec = grid
    if isinstance(spec, list):
        spec = {"runs": spec}
    if not isinstance(spec, Mapping) or not set(spec) <= {"defaults", "runs", "grid"} or not (
            spec.get("runs") or spec.get("grid")):
        raise ReportParameterError([
            "grid must be a list of parameter dicts, or a mapping with 'defaults', 'runs' "
            f"and/or 'grid' (lists of values to combine), got {_short(spec)}"])
    problems = []
    if not isinstance(spec.get("defaults") or {}, Mapping):
        problems.append(f"defaults must be a dict of parameters, got {_short(spec['defaults'])}")
    if not isinstance(spec.get("runs") or [], list):
        problems.append(f"runs must be a list of parameter dicts, got {_short(spec['runs'])}")
    if problems:
        raise ReportParameterError(problems)
    defaults = dict(spec.get("defaults") or {})
    runs = [dict(r) if isinstance(r, Mapping) else r for r in (spec.get("runs") or [])]
    problems = [f"runs[{k}] must be a dict of parameters, got {_short(r)}"
                for k, r in enumerate(runs) if not isinstance(r, dict)]
    combos = spec.get("grid") or {}
    if not isinstance(combos, Mapping) or not all(isinstance(v, list) and v
                                                  for v in combos.values()):
        problems.append(f"grid must map parameter names to non-empty lists of values, got "
                        f"{combos!r}")
        combos = {}
    if problems:
        raise ReportParameterError(problems)
    product = [dict(zip(combos, values, strict=True))
               for values in itertools.product(*combos.values())] if combos else [{}]
    base = runs or [{}]
    varying = [k for k in dict.fromkeys(k for r in base for k in r if k != "name")
               if len({repr(r.get(k)) for r in base}) > 1]
    named = [_safe_name(str(r["name"]), k) for k, r in enumerate(base) if "name" in r]
    twice = sorted({n for n in named if named.count(n) > 1})
    if twice:
        raise ReportParameterError([
            f"run names must be unique (each is a file name, reduced to [A-Za-z0-9._=-]); "
            f"{', '.join(map(repr, twice))} name{'s' if len(twice) == 1 else ''} more than one "
            "run"])
    out, taken, k = [], set(named), 0
    for r, c in itertools.product(base, product):
        run = {**defaults, **r, **c}
        parts = [str(r["name"])] if "name" in r else [f"{key}={r[key]}" for key in varying
                                                     if key in r]
        parts += [f"{key}={c[key]}" for key in combos if len(combos[key]) > 1]
        name = _safe_name("_".join(parts), k)
        k += 1
        if "name" not in r or len(product) > 1:
            base_name, n = name, 2
            while name in taken or name in {o[0] for o in out}:
                name, n = f"{base_name}-{n}", n + 1
            taken.add(name)
        params = {key: value for key, value in run.items() if key != "name"}
        try:
            out.append((name, check_parameters(params)))
        except ReportParameterError as error:
            problems += [f"{name}: {p}" for p in error.problems]
    if problems:
        raise ReportParameterError(problems)
    return out


def run_grid(grid: str | os.PathLike | Mapping | Sequence, *, out_dir: str | os.PathLike,
             progress: bool = True, keep_going: bool = True, **options: Any) -> GridResult:
    """Run a batch of reports (:func:`read_grid`), one HTML per run, with one progress bar.

    Every run is checked before the first starts. The progress bar (tqdm, on
    stderr) counts the runs; the kernels run with ``TQDM_DISABLE=1``, so no
    inner bar appears. A failing run is recorded (its cell, error and
    parameters, see :class:`ReportError`) and the batch goes on, unless
    ``keep_going=False``.

    Parameters
    ----------
    grid
        A YAML file or the same structure as a list or dict.
    out_dir
        Folder for ``<run name>.html`` (created if missing).
    progress
        Show the batch's progress bar.
    **options
        Passed to :func:`run_report` (``notebook``, ``timeout`` ...).

    Returns
    -------
    GridResult
        Its :meth:`~GridResult.summary` is a table of the runs.
    """
    from tqdm.auto import tqdm

    runs = read_grid(grid)
    folder = Path(out_dir).expanduser()
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise ReportParameterError([f"out_dir {str(out_dir)!r} cannot be made: "
                                    f"{error.strerror or error}"]) from None
    _check_grid_paths(runs, folder.resolve(), grid, Path(options.get("notebook", NOTEBOOK)))
    done: list[GridRun] = []
    bar = tqdm(runs, desc="reports", unit="report", disable=not progress, leave=True)
    try:
        for name, params in bar:
            bar.set_postfix_str(name)
            started = time.perf_counter()
            try:
                result = run_report(params, out=folder / f"{name}.html", **options)
            except (ReportError, ReportParameterError, OSError) as error:
                done.append(GridRun(name, params, False, time.perf_counter() - started, None,
                                    str(error)))
                if not keep_going:
                    break
            else:
                done.append(GridRun(name, result.parameters, True, result.seconds,
                                    result.html))
    except KeyboardInterrupt:
        return GridResult(tuple(done), interrupted=True, planned=len(runs))
    finally:
        bar.close()
    return GridResult(tuple(done), planned=len(runs))


def _check_grid_paths(runs: Sequence[tuple[str, dict[str, Any]]], folder: Path,
                      grid: Any, notebook: Path) -> None:
    """Every run's paths checked before the first runs; no two runs write the same file."""
    from ._safe_io import _identity

    problems, written = [], {}
    grid_file = Path(grid) if isinstance(grid, str | os.PathLike) else None
    for name, params in runs:
        out = folder / f"{name}.html"
        try:
            p = _prepare(params, out, None, notebook)
        except ReportParameterError as error:
            problems += [f"{name}: {problem}" for problem in error.problems]
            continue
        outputs = {"out": out, "quarantine": None if p["source"] == "simulated"
                   else Path(p["quarantine"])}
        for what, path in outputs.items():
            if path is None:
                continue
            if grid_file is not None and _identity(path) == _identity(grid_file):
                problems.append(f"{name}: {what} must not be the grid file {str(grid)!r}")
            key = _identity(path)
            if key in written:
                problems.append(f"{name}: {what} {str(path)!r} is also written by "
                                f"{written[key]}; give each run its own file")
            written[key] = f"{name} ({what})"
    if problems:
        raise ReportParameterError(problems)
