"""The Japanese twins of notebooks 03–05 speak Japanese in what their code writes.

The twins run the English notebooks' code with ``lang = "ja"``, so every sentence, chart title,
axis label and table header a code cell composes must come out in Japanese from the same code
(``text(en=..., ja=...)``, ``format_yen(..., lang=get_lang())``, functions that read the bound
language). These tests read the committed outputs of the twins and the code of the English
notebooks, so a new English-only print or title fails here before a learner sees it.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import nbformat
import pytest

from revopslab import claims

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"
NAMES = ["03_bigops_ssot", "04_revops_org_design", "05_data_driven_decisions"]

#: An English word: ASCII letters with at most one trailing punctuation mark or an opening
#: parenthesis. Words with digits, underscores or dots (``company.leads``, ``first_come``,
#: ``F1``) are code names or numbers, not English; all-capitals words (``SFA``, ``WAPE``) are
#: acronyms.
_WORD = re.compile(r"^\(?[A-Za-z]+[,.;:!?)]?$")

#: English the twins may still print, each with the reason. Keep it short: anything composed by
#: a notebook cell belongs in ``text(en=..., ja=...)`` instead.
ALLOWED = {
    # (Splink's names of its comparison levels are translated: ssot._level_label.)
    # Reasons the resolver stores with each unresolved record (03, section 7): data, not prose.
    "possible match below the threshold",
    # The course's profile and company names typed by the learner as parameters.
    "default company",
}

#: Cells whose output is bilingual on purpose (the glossary shows each term's English and
#: Japanese definitions side by side) or is code (the SQL of the customer-360 view, comments
#: included, is the code the learner reads and edits).
BILINGUAL_CALLS = ("show_glossary(", "print(ss.CUSTOMER_360_SQL")


def english_runs(line: str) -> list[str]:
    """Every run of 3+ consecutive English words (single spaces between them) in ``line``.

    A run of capitalised words only (``Taihei Neo Lab LLC``, a company's romanised name in a
    noisy export) is a name, not a sentence: a run needs a lower-case word.

    Examples
    --------
    >>> english_runs("受注率 24.5%、NRR 106.3%")
    []
    >>> english_runs("Win rate in 2025Q4, three definitions:")
    ['Win rate in']
    >>> english_runs("Mean gap of the silos' answers")
    ['Mean gap of the']
    >>> english_runs("company.leads first_come opportunity_to_won SFA CS MA")
    []
    >>> english_runs("1  ma  companies  2832202763  Taihei Neo Lab LLC  NaN")
    []
    """
    runs, current = [], []
    for token in line.split(" ") + [""]:
        if token and _WORD.match(token) and not token.strip(",.;:!?()").isupper():
            current.append(token)
            continue
        if len(current) >= 3 and any(word.strip(",.;:!?()").islower() for word in current):
            runs.append(" ".join(current))
        current = []
    return runs


def test_english_runs_finds_sentences_and_spares_code_names():
    assert english_runs("Working the top 10% of the queue") == ["Working the top", "of the queue"]
    assert english_runs("Paying customers — truth 703: MA says 316") == []
    assert english_runs("accounts typed 'Customer' when a deal was won") == ["when a deal was won"]
    assert english_runs("  0.19  deals closed in 2025Q4 that were won") == ["deals closed in",
                                                                             "that were won"]


def _outputs(notebook):
    """(cell index, cell source, text) of every text a code cell of ``notebook`` shows."""
    for index, cell in enumerate(notebook.cells):
        if cell.cell_type != "code":
            continue
        for output in cell.get("outputs", []):
            if output.output_type == "stream":
                yield index, cell.source, output.text
            elif "data" in output:
                data = output.data
                shown = data.get("text/markdown") or data.get("text/plain", "")
                yield index, cell.source, shown


def english_sentences(notebook) -> list[tuple[int, str, str]]:
    """(cell, run, line) of every English run the outputs of ``notebook`` (or a path) show."""
    if isinstance(notebook, Path):
        notebook = nbformat.read(notebook, as_version=4)
    found = []
    for index, source, shown in _outputs(notebook):
        if any(call in source for call in BILINGUAL_CALLS):
            continue
        for line in shown.splitlines():
            if line.startswith("<Figure size") or line.startswith("<IPython.core.display"):
                continue
            if any(allowed in line for allowed in ALLOWED):
                continue
            found += [(index, run, line.strip()) for run in english_runs(line)]
    return found


@pytest.mark.parametrize("name", NAMES)
def test_the_japanese_twin_prints_no_english_sentence(name):
    found = english_sentences(NOTEBOOKS / "ja" / f"{name}.ipynb")
    assert found == [], "\n".join(f"cell {i}: {run!r} in {line[:120]!r}" for i, run, line in found)


def test_the_japanese_twin_speaks_japanese_with_other_parameters(run_notebook):
    # Sentences are computed, not typed: another noise level, curve and seed count still
    # give Japanese sentences (and a Japanese claim sentence) in every output.
    nb = run_notebook("ja/03_bigops_ssot.ipynb", noise=0.3, curve_scale=0.15,
                      curve_noises=[0.0, 0.4], claim_seeds=1)
    found = english_sentences(nb)
    assert found == [], "\n".join(f"cell {i}: {run!r} in {line[:120]!r}" for i, run, line in found)
    printed = "".join(o.get("text", "") for c in nb.cells for o in c.get("outputs", []))
    assert "ノイズ0.3での企業の名寄せ：適合率" in printed
    assert re.search(r"^主張8（.*）：.*、1シード中.*。$", printed, re.MULTILINE)
    assert "Traceback" not in printed


def test_the_scan_finds_the_english_edition_english():
    # The same scan on the English notebooks must find plenty: it is able to fail.
    for name in NAMES:
        assert len(english_sentences(NOTEBOOKS / f"{name}.ipynb")) > 20, name


# ----------------------------------------------------------------------- the code's own text
#: Calls whose text argument a learner reads on a chart or in the output.
_TEXT_CALLS = {"set_title", "set_xlabel", "set_ylabel", "suptitle", "print"}
_TEXT_KEYWORDS = {"label", "message", "title", "xlabel", "ylabel"}


def _literal_english(node: ast.AST) -> str | None:
    """The English a string literal or f-string ``node`` types, if it holds 3+ English words."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        typed = node.value
    elif isinstance(node, ast.JoinedStr):
        typed = " ".join(v.value for v in node.values
                         if isinstance(v, ast.Constant) and isinstance(v.value, str))
    elif isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        return _literal_english(node.left) or _literal_english(node.right)
    else:
        return None
    runs = english_runs(" ".join(typed.split()))
    return runs[0] if runs else None


def untranslated_literals(source: str) -> list[str]:
    """English typed straight into a chart text or a print of ``source`` (not through text()).

    Examples
    --------
    >>> untranslated_literals('ax.set_title(f"Deals are won early: {x:.0%}")')
    ['Deals are won early:']
    >>> untranslated_literals('ax.set_title(text(en=f"Deals are won early", ja="早い"))')
    []
    >>> untranslated_literals('plt.plot(x, y, label="the period view of it")')
    ['the period view of it']
    """
    found = []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
        arguments = list(node.args) if name in _TEXT_CALLS else []
        arguments += [k.value for k in node.keywords if k.arg in _TEXT_KEYWORDS]
        for argument in arguments:
            english = _literal_english(argument)
            if english:
                found.append(english)
    return found


def _code(name: str) -> list[tuple[str, str]]:
    notebook = nbformat.read(NOTEBOOKS / f"{name}.ipynb", as_version=4)
    return [(cell.id, cell.source) for cell in notebook.cells if cell.cell_type == "code"]


@pytest.mark.parametrize("name", NAMES)
def test_chart_text_and_prints_go_through_text(name):
    found = [(cell, english) for cell, source in _code(name)
             for english in untranslated_literals(source)]
    assert found == [], found


def _text_calls(source: str):
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Call) and getattr(node.func, "id", "") == "text":
            keywords = {k.arg: k.value for k in node.keywords}
            if {"en", "ja"} <= set(keywords):
                yield keywords["en"], keywords["ja"]


def _typed(node: ast.AST) -> str:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        return "".join(_typed(v) for v in node.values)
    if isinstance(node, ast.BinOp):
        return _typed(node.left) + _typed(node.right)
    return ""


@pytest.mark.parametrize("name", NAMES)
def test_every_japanese_text_is_japanese(name):
    # ja= is not a copy of en=: it holds Japanese script (or, for a short label, at least
    # differs from the English).
    calls = [(en, ja) for _, source in _code(name) for en, ja in _text_calls(source)]
    assert len(calls) >= 15, name
    for en, ja in calls:
        typed_en, typed_ja = _typed(en), _typed(ja)
        if not typed_ja:  # a dict or list: checked by the output scan
            continue
        assert typed_ja != typed_en, ast.unparse(ja)
        if re.search(r"[A-Za-z]{3,}", typed_en.replace("SLA", "")):
            assert re.search(r"[\u3040-\u30ff\u3400-\u9fff]", typed_ja), ast.unparse(ja)


# ------------------------------------------------------------------- claims in Japanese
_CLAIM_JA = re.compile(r"^主張(\d+)（.*）：.*：(" + "|".join(claims.VERDICTS_JA.values())
                       + r")。$", re.MULTILINE)


def _claims_stated_in_japanese() -> list[tuple[str, int, str]]:
    found = []
    for name in NAMES:
        notebook = nbformat.read(NOTEBOOKS / "ja" / f"{name}.ipynb", as_version=4)
        for cell in notebook.cells:
            if cell.cell_type != "code" or "claims.describe(" not in cell.source:
                continue
            printed = "".join(o.get("text", "") for o in cell.get("outputs", []))
            sentences = list(_CLAIM_JA.finditer(printed))
            assert sentences, (name, printed[:200])
            found += [(name, int(m[1]), m[0]) for m in sentences]
    return found


def test_each_claim_the_twins_state_is_the_scorecards_sentence_in_japanese():
    card = claims.committed()
    stated = _claims_stated_in_japanese()
    assert sorted(n for _, n, _ in stated) == [8, 9, 10, 11, 12, 13]
    for name, number, sentence in stated:
        assert sentence == claims.sentence(card.loc[[number]], lang="ja"), (name, sentence)
