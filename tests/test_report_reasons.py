"""Every reason a metric gives for being undefined reads in Japanese (issue 16).

The reasons are f-strings in :mod:`revopslab.metrics` (``_Undefined(...)`` and the third
argument of ``_ratio``). The test reads them from the module's source, fills each value
with a sample of the form the metric writes (a period, a month, a segment ...), and checks
that :func:`revopslab.report.text.reason` turns it into Japanese without English words:
a new reason in ``metrics`` fails here until ``report.text.REASONS`` has its template.
"""

from __future__ import annotations

import ast
import inspect
import re

import pandas as pd
import pytest

from revopslab import metrics
from revopslab.report import text

#: Latin words a Japanese sentence keeps as they are: the acronyms of the book and its tables.
ACRONYMS = {"KPI", "MRR", "ARR", "NRR", "GRR", "CAC", "LTV", "ARPA", "NPS", "SQL", "MQL",
            "AQL", "SMB", "MM", "ENT", "ID"}

# A sample for each value of a reason, by the text of its expression (two forms each:
# optional parts present, and absent).
_FULL = {"_span": "2025-01..2025-06", "_where": " for segment 'SMB'", "%Y-%m-%d": "2025-03-31",
         "%Y-%m": "2025-03", ",.0f": "-1,200", "what": "sales and marketing",
         "have": "starts in 2025-04", "extra": " (the mrr table starts in 2024-01)",
         "which": " (departments ('marketing', 'inside_sales', 'field_sales'))",
         "span": "2025-01..2025-06",
         "horizon_months": "24", "n": "6", "tuple(motions)": "('inbound', 'outbound')",
         "why": None}
_BARE = {**_FULL, "_span": "2025-01", "_where": "", "have": "is empty", "extra": "",
         "which": "", "span": "2025-02", "what": "the closed opportunities"}


def _render(node: ast.AST, samples: dict) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        out = []
        for part in node.values:
            if isinstance(part, ast.Constant):
                out.append(part.value)
                continue
            source = ast.unparse(part.value)
            spec = ast.unparse(part.format_spec)[2:-1] if part.format_spec else ""
            key = next((k for k in (spec, source.split("(")[0], source) if k in samples), None)
            assert key is not None, f"no sample for {{{source}:{spec}}} in a metrics reason"
            out.append(samples[key])
        return "".join(out)
    if isinstance(node, ast.Name) and node.id == "why":
        return None  # a reason built above (assigned to ``why``), rendered there
    raise AssertionError(f"a metrics reason of an unexpected form: {ast.unparse(node)}")


def _reasons(samples: dict) -> list[str]:
    """Every reason text of metrics, rendered with ``samples``."""
    tree = ast.parse(inspect.getsource(metrics))
    nodes = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
            if node.func.id == "_Undefined" and node.args:
                nodes.append(node.args[0])
            elif node.func.id == "_ratio" and len(node.args) == 3:
                nodes.append(node.args[2])
        elif (isinstance(node, ast.Assign) and len(node.targets) == 1
              and isinstance(node.targets[0], ast.Name) and node.targets[0].id == "why"):
            nodes.append(node.value)
    rendered = [_render(n, samples) for n in nodes]
    return [r for r in rendered if r is not None]


def _english(text_ja: str) -> set[str]:
    return set(re.findall(r"[A-Za-z]{2,}", text_ja)) - ACRONYMS


def test_the_reasons_are_found_in_metrics():
    found = _reasons(_FULL)
    # the count of reason texts in metrics today; a new one is checked by the test below
    assert len(found) >= 45
    assert "no opportunity closed in 2025-01..2025-06 for segment 'SMB'" in found


@pytest.mark.parametrize("samples", [_FULL, _BARE], ids=["with-optional-parts", "without"])
def test_every_metrics_reason_has_a_japanese_text_without_english(samples):
    untranslated = {}
    for en in _reasons(samples):
        ja = text.reason(en, lang="ja")
        if ja == en or _english(ja):
            untranslated[en] = ja
    assert untranslated == {}


def _constants(call: str, position: int, keyword: str) -> set[str]:
    """The string constants metrics passes to ``call`` at ``position`` or as ``keyword``."""
    out = set()
    for node in ast.walk(ast.parse(inspect.getsource(metrics))):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and \
                node.func.id == call:
            args = [*node.args[position:position + 1],
                    *(k.value for k in node.keywords if k.arg == keyword)]
            out |= {a.value for a in args if isinstance(a, ast.Constant)
                    and isinstance(a.value, str)}
    return out


def test_every_cost_department_has_a_japanese_name():
    from revopslab.validation import DEPARTMENTS

    assert set(DEPARTMENTS) <= set(text._DEPARTMENTS_JA)


def test_every_table_a_reason_names_has_a_japanese_name():
    names = (_constants("_window", 2, "what") | _constants("_cost", 5, "what")
             | _constants("_dated", 1, "name") | _constants("_revenue_and_cost", 5, "what"))
    assert {"opportunities", "leads", "marketing"} <= names
    assert names - set(text._WHAT_JA) == set()
    for name in names:
        ja = text.reason(f"{name} is empty", lang="ja")
        assert ja.endswith("が空です") and not _english(ja), ja


def test_a_reason_keeps_its_values_in_japanese():
    assert text.reason("period 2025-01..2025-06 is outside the data of the closed "
                       "opportunities (2023-01-01..2024-11-30)", lang="ja") == (
        "期間2025-01〜2025-06はクローズした商談のデータ（2023-01-01〜2024-11-30）の範囲外です")
    assert text.reason("no customer paid in 2024-12, the month before the period for segment "
                       "'ENT' (the mrr table starts in 2025-01): the opening base is empty",
                       lang="ja") == ("期間の前月2024-12（セグメント ENT）に支払った顧客がなく、"
                                      "期初の基準が空です（MRRのデータは2025-01から）")
    assert text.reason("no sales and marketing costs (departments ('marketing', 'field_sales')) "
                       "in 2025-03", lang="ja") == (
        "2025-03に営業・マーケティングのコスト（部門: マーケティング、フィールドセールス）"
        "がありません")
    # two reasons joined by "; " are two sentences; English stays English
    assert text.reason("CAC is 0; marketing cost is 0", lang="ja") == (
        "CACが0です。マーケティング費用が0です")
    assert text.reason("CAC is 0; marketing cost is 0") == "CAC is 0; marketing cost is 0"


def test_a_text_that_is_no_reason_is_left_as_it_is():
    assert text.reason("something new happened", lang="ja") == "something new happened"
    assert text.reason(None, lang="ja") == "" and text.reason(float("nan"), lang="ja") == ""


# ----------------------------------------------------------------------------- quarantine
def _quarantine_reasons() -> list[tuple[str, list[str]]]:
    """Every reason the readers gave on the broken files of ``test_crm`` (and a leads and a
    billing file), with the export's headers: ``[(reason, headers)]``."""
    import tempfile
    from pathlib import Path

    from test_crm import BROKEN, write
    from test_crm_exports import xlsx

    from revopslab.crm import CrmExportError, read_crm_export, read_table_export

    out = []
    with tempfile.TemporaryDirectory() as folder:
        for k, case in enumerate(BROKEN):
            path = write(Path(folder), f"b{k}.csv", case.text, *(
                () if isinstance(case.text, bytes) else (case.encoding,)))
            try:
                export = read_crm_export(path, mapping=case.mapping)
            except CrmExportError:
                continue
            headers = [c for c in export.quarantined.columns if c not in ("row", "reason")]
            out += [(r, headers) for r in export.quarantined["reason"]]
        leads = xlsx(Path(folder) / "l.xlsx", [
            ["Lead ID", "Create Date", "SQL Date", "Motion"], ["L1", "2025-01-05", "x", "?"],
            ["L1", "2025-01-05", "2025-01-01", "inbound"], ["L2", "", "", ""],
            ["L3", "2025-01-05", "", ""]])
        billing = xlsx(Path(folder) / "b.xlsx", [
            ["Account Name", "Month", "MRR"], ["A", "2025-01", "lots"], ["", "2025-02", "-1"],
            ["B", "2025-01", "10"]])
        for path, kind in ((leads, "leads"), (billing, "billing")):
            bad = read_table_export(path, kind=kind).quarantined
            headers = [c for c in bad.columns if c not in ("row", "reason")]
            out += [(r, headers) for r in bad["reason"]]
    return out


def test_every_quarantine_reason_reads_in_japanese():
    from revopslab.crm import reason_counts

    reasons = _quarantine_reasons()
    kinds = {r.split(": ")[0] for r, _ in reasons}
    assert len(kinds) >= 20  # the broken files cover the readers' reasons
    untranslated = {}
    for full, headers in reasons:
        for en in (full, *reason_counts(pd.DataFrame({"reason": [full]})).index):
            ja = text.quarantine_reason(en, lang="ja")
            rest = re.sub(r"'[^']*'|\"[^\"]*\"", " ", ja)  # the row's own values
            for header in sorted(headers, key=len, reverse=True):
                rest = rest.replace(header, " ")
            # Salesforce's forecast categories and yes/no words are the values to write
            rest = re.sub(r"Pipeline|Best Case|Commit|Closed|Omitted|JPY|USD|EUR", " ", rest)
            if ja == en or _english(rest):
                untranslated[en] = ja
    assert untranslated == {}
