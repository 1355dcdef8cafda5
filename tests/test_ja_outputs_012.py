"""The Japanese twins of notebooks 00-02 speak Japanese in what their code writes.

The code cells are the English ones (``python -m revopslab._editions sync``), so every word a
cell composes goes through ``text(en=..., ja=...)``, ``claims.describe`` or
``experiments.localize``. These tests read the committed outputs of the Japanese twins and fail
on an English sentence, and read the shared code and fail on a chart title, axis label or
printed sentence typed in one language only.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import nbformat
import pytest

from revopslab import claims

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"
NAMES = ("00_orientation.ipynb", "01_silos.ipynb", "02_cro_role.ipynb")

# An English phrase: three or more consecutive words of ASCII letters, each with a lower-case
# letter (so acronyms such as MRR, CRO, SLG break a run), separated by single spaces (pandas
# separates columns by two or more). Words glued to code punctuation (company.leads,
# gtm_motion='SLG', first_come+0) are code, not prose.
_WORD = r"[A-Za-z]*[a-z][A-Za-z]*"
_EDGE = r"A-Za-z0-9_.'+=/-"
PHRASE = re.compile(rf"(?<![{_EDGE}]){_WORD}(?: {_WORD}){{2,}}(?![{_EDGE}])")

#: Cells whose output another module owns and tests in its own language rules: the glossary
#: shows each term in both languages by design (the English term beside the Japanese one).
OTHER_OWNERS = ("show_glossary(",)

#: Phrases that are names, not sentences: none needed so far. Add a phrase here only if it is
#: a proper name or code the learner types, never to let a sentence through.
ALLOWED: frozenset[str] = frozenset()


def english_phrases(text: str) -> list[str]:
    """The English phrases in ``text`` (see :data:`PHRASE`), minus :data:`ALLOWED`.

    >>> english_phrases("MRR after 12 months: ¥1M; in the last month: ¥2M")
    ['in the last month']
    >>> english_phrases("12か月後のMRR：1億円、SLG MLG PLG、company.leads、first_come+0")
    []
    """
    return [m for m in PHRASE.findall(text) if m not in ALLOWED]


def test_the_phrase_rule_flags_sentences_and_passes_code_and_acronyms():
    assert english_phrases("Paying customers in the last month: 703") == [
        "Paying customers in the last month"]
    assert english_phrases("claim seeds in that direction control (median)") == [
        "claim seeds in that direction control"]
    assert english_phrases("inquiry   aql   tal   tql") == []  # table columns, two spaces apart
    assert english_phrases("MRR gap at") == []  # two words after an acronym
    assert english_phrases("Company(org_model='aligned', gtm_motion='SLG', months=36)") == []
    assert english_phrases("最終月の有料顧客数：703社") == []


def _outputs(cell) -> str:
    texts = []
    for output in cell.get("outputs", []):
        if output.get("output_type") == "stream":
            texts.append(output.get("text", ""))
        else:
            texts.append(output.get("data", {}).get("text/plain", ""))
    return "\n".join(texts)


def _twin(name: str):
    return nbformat.read(NOTEBOOKS / "ja" / name, as_version=4)


def _english_in_outputs(name: str) -> list[tuple[str, str]]:
    found = []
    for cell in _twin(name).cells:
        if cell.cell_type != "code" or any(o in cell.source for o in OTHER_OWNERS):
            continue
        found += [(cell.id, p) for p in english_phrases(_outputs(cell))]
    return found


@pytest.mark.parametrize("name", NAMES)
def test_the_japanese_twin_prints_no_english_sentence(name):
    assert _english_in_outputs(name) == []


@pytest.mark.parametrize("name", NAMES)
def test_the_japanese_twin_has_outputs_to_scan(name):
    # A twin without outputs would pass the scan above vacuously.
    cells = [c for c in _twin(name).cells if c.cell_type == "code"]
    assert sum(bool(_outputs(c).strip()) for c in cells) >= 10


# ------------------------------------------------------------------ the shared code
_WORDS_TAKING = {"message", "ylabel", "xlabel", "title"}
_SETTERS = {"set_title", "set_xlabel", "set_ylabel", "suptitle"}


def _is_typed_text(node: ast.AST) -> bool:
    """A string literal, an f-string, or a concatenation of them (not a ``text(...)`` call)."""
    if isinstance(node, ast.Constant):
        return isinstance(node.value, str)
    if isinstance(node, ast.JoinedStr):
        return True
    if isinstance(node, ast.BinOp):
        return _is_typed_text(node.left) or _is_typed_text(node.right)
    return False


def _typed_in_one_language(source: str) -> list[str]:
    """Chart titles, axis labels and printed sentences typed as literals, not via text()."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
        args = []
        if name in _SETTERS or name == "print":
            args += node.args[:1]
        args += [k.value for k in node.keywords if k.arg in _WORDS_TAKING]
        found += [ast.get_source_segment(source, a)[:60] for a in args if _is_typed_text(a)]
    return found


def _ja_literals(source: str) -> list[str]:
    """The literal parts of every ``text(..., ja=...)`` argument."""
    parts = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Call) and getattr(node.func, "id", "") == "text":
            for k in node.keywords:
                if k.arg == "ja":
                    parts += [n.value for n in ast.walk(k.value)
                              if isinstance(n, ast.Constant) and isinstance(n.value, str)]
    return parts


def _code(name: str) -> list:
    return [c for c in _twin(name).cells if c.cell_type == "code"]


def test_the_code_rule_flags_a_title_typed_in_english():
    typed = 'ax = plots.funnel(c, message=f"Only {x:.1%} win", lang=lang)\nax.set_xlabel("seeds")'
    assert _typed_in_one_language(typed) == ['f"Only {x:.1%} win"', '"seeds"']
    said = 'print(text(en=f"{n} won", ja=f"受注{n}件"))\nax.set_xlabel(text(en="a", ja="あ"))'
    assert _typed_in_one_language(said) == []
    assert _ja_literals(said) == ["受注", "件", "あ"]


@pytest.mark.parametrize("name", NAMES)
def test_every_title_label_and_printed_sentence_goes_through_text(name):
    typed = {c.id: _typed_in_one_language(c.source) for c in _code(name)}
    assert {k: v for k, v in typed.items() if v} == {}


@pytest.mark.parametrize("name", NAMES)
def test_the_japanese_side_of_text_is_japanese(name):
    ja = [p for c in _code(name) for p in _ja_literals(c.source)]
    assert ja, "no text(en=..., ja=...) call found"
    assert [p for p in ja if english_phrases(p)] == []
    assert any(re.search(r"[\u3040-\u30ff\u4e00-\u9fff]", p) for p in ja)


# ------------------------------------------------------------------ the claim sentences
_DESCRIBE = re.compile(r"claims\.describe\((\d+),")


@pytest.mark.parametrize("name", NAMES)
def test_each_claim_sentence_the_twin_prints_is_the_scorecards_in_japanese(name):
    card = claims.committed()
    described = 0
    for cell in _code(name):
        match = _DESCRIBE.search(cell.source)
        if not match:
            continue
        number = int(match[1])
        described += 1
        expected = claims.sentence(card.loc[[number]], lang="ja")
        printed = _outputs(cell).splitlines()
        assert expected in printed, (name, number, printed[:2])
    assert described >= 1


# ------------------------------------------------------------------ chart tick labels
def test_japanese_charts_name_measures_and_arms_in_japanese_english_ones_keep_the_keys():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import pandas as pd

    from revopslab import plots

    diffs = pd.DataFrame({"gross_profit": [0.1, 0.2], "aqls": [0.3, 0.1]})
    ticks = {lang: [t.get_text() for t in plots.paired_differences(
        diffs, message="m", lang=lang).get_yticklabels()] for lang in ("en", "ja")}
    assert ticks == {"en": ["gross_profit", "aqls"], "ja": ["粗利", "AQL数"]}
    teams = pd.Series({"scored": 3.0, "first_come+2": 2.0, "someone": 1.0})
    ticks = {lang: [t.get_text() for t in plots.bar_compare(
        teams, message="m", lang=lang).get_xticklabels()] for lang in ("en", "ja")}
    assert ticks == {"en": ["scored", "first_come+2", "someone"],
                     "ja": ["優先順位づけ", "先着順+2人", "someone"]}
    plt.close("all")
