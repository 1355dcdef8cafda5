"""Solutions notebooks, learner notebooks and facilitator guides stay in step with the chapters.

- every committed ``notebooks/solutions/NN_solutions.ipynb`` holds exactly the cells that
  `revopslab.solutions.build_solutions_notebook` builds from the chapter module, and its
  committed outputs read "Correct — expected …" for every exercise, the expected value or
  choice printed for the trainer (nbval re-runs them in ``make test``);
- every chapter notebook has one, bound to the same company profile and seed;
- the learner notebooks hold no solution code, and every exercise's starter cell still
  reads ``answer = ____``;
- every facilitator guide in ``guides/`` points at sections, cells and exercises that exist,
  and so does its Japanese twin in ``guides/ja/`` in the Japanese notebook, with the same
  headings, tables, sections, cells and exercises as the English guide.
"""

from __future__ import annotations

import ast
import dataclasses
import re
from pathlib import Path

import nbformat
import pytest

from revopslab import solutions
from revopslab.config import company_profile
from revopslab.exercises import Exercise

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "notebooks"
SOLUTIONS = NOTEBOOKS / "solutions"
GUIDES = ROOT / "guides"

CHAPTERS = solutions.chapters()
LEARNER = {path.name[:2]: path for path in sorted(NOTEBOOKS.glob("[0-9][0-9]_*.ipynb"))}
TAUGHT = sorted(chapter for chapter in LEARNER if chapter in CHAPTERS)
COMMITTED = sorted(SOLUTIONS.glob("*.ipynb"))
GUIDE_FILES = sorted(GUIDES.glob("[0-9][0-9]_*.md"))
JA_GUIDES = GUIDES / "ja"
JA_GUIDE_FILES = sorted(JA_GUIDES.glob("[0-9][0-9]_*.md"))


def _read(path: Path) -> nbformat.NotebookNode:
    return nbformat.read(path, as_version=4)


def _exercises(chapter: str) -> tuple[Exercise, ...]:
    return tuple(solutions._module(chapter).EXERCISES)


def _all_exercises() -> list[Exercise]:
    return [exercise for chapter in CHAPTERS for exercise in _exercises(chapter)]


def _ids(paths):
    return [path.name for path in paths]


# --- solutions notebooks ---------------------------------------------------------------------


@pytest.mark.parametrize("path", COMMITTED, ids=_ids(COMMITTED))
def test_committed_solutions_match_the_chapter_module(path):
    chapter = path.name[:2]
    assert path.name == solutions.solutions_filename(chapter), (
        f"{path.name}: solutions notebooks are named NN_solutions.ipynb")
    assert chapter in CHAPTERS, f"{path.name}: no module revopslab.chapters.ch{chapter}"
    committed = [(cell.cell_type, cell.source) for cell in _read(path).cells]
    built = [(cell.cell_type, cell.source)
             for cell in solutions.build_solutions_notebook(chapter).cells]
    stale = (f"{path.relative_to(ROOT)} is out of date with revopslab.chapters.ch{chapter}: "
             "run `make solutions` and commit the result")
    assert len(committed) == len(built), stale
    for index, (mine, theirs) in enumerate(zip(committed, built, strict=True)):
        assert mine == theirs, f"{stale} (cell {index} differs)"


@pytest.mark.parametrize("chapter", TAUGHT)
def test_every_chapter_notebook_has_a_solutions_notebook(chapter):
    path = SOLUTIONS / solutions.solutions_filename(chapter)
    assert path.exists(), (f"{LEARNER[chapter].name} has exercises but {path.relative_to(ROOT)} "
                           "does not exist: run `make solutions` and commit the result")


@pytest.mark.parametrize("path", COMMITTED, ids=_ids(COMMITTED))
def test_committed_solutions_are_executed_and_every_check_reads_correct(path):
    nb = _read(path)
    errors = [cell.id for cell in nb.cells if cell.cell_type == "code"
              for output in cell.get("outputs", []) if output.output_type == "error"]
    assert not errors, f"{path.name}: cells {errors} raised; execute it again"
    cells = {cell.get("id"): cell for cell in nb.cells}
    for exercise in _exercises(path.name[:2]):
        cell = cells.get(f"solution-{exercise.id.replace('.', '-')}")
        assert cell is not None, f"{path.name} has no solution cell for {exercise.id}"
        results = [output.get("data", {}).get("text/plain", "")
                   for output in cell.get("outputs", []) if output.output_type == "execute_result"]
        assert results, (f"{path.name}: the check of {exercise.id} has no output; execute the "
                         "notebook (make solutions) before committing it")
        assert results[-1].startswith("Correct — expected "), (
            f"{path.name}, {exercise.id}: {results[-1]!r} (a trainer reads the expected answer "
            "next to 'Correct')")


def _parameters(nb: nbformat.NotebookNode) -> dict[str, object]:
    cells = [cell for cell in nb.cells if "parameters" in cell.metadata.get("tags", [])]
    assert len(cells) == 1, "a chapter notebook has exactly one cell tagged 'parameters'"
    values = {}
    for statement in ast.parse(cells[0].source).body:
        if isinstance(statement, ast.Assign) and isinstance(statement.targets[0], ast.Name):
            values[statement.targets[0].id] = ast.literal_eval(statement.value)
    return values


@pytest.mark.parametrize("chapter", TAUGHT)
def test_solutions_bind_the_same_company_as_the_chapter_notebook(chapter):
    nb = _read(LEARNER[chapter])
    params = _parameters(nb)
    profile = params.get("profile", "default")
    assert profile == solutions.chapter_profile(chapter), (
        f"{LEARNER[chapter].name} binds profile {profile!r}: set revopslab.solutions.PROFILES")
    assert params.get("seed") == solutions.SEED
    config = company_profile(profile)
    for field in dataclasses.fields(config):  # e.g. months = 36 passed to company_profile
        if field.name in params:
            assert params[field.name] == getattr(config, field.name), field.name
    assert any(f"ch{chapter}.bind(simulate_company(" in cell.source for cell in nb.cells
               if cell.cell_type == "code"), f"{LEARNER[chapter].name} binds no company"


# --- learner notebooks hold no solutions ----------------------------------------------------


def _parse(code: str) -> ast.Module | None:
    lines = [line for line in code.splitlines() if not line.lstrip().startswith(("%", "!"))]
    try:
        return ast.parse("\n".join(lines))
    except SyntaxError:
        return None


def _normal(text: str) -> str:
    return " ".join(text.split())


def _gives_answer(statement: ast.AST) -> bool:
    """An assignment to ``answer`` or to a part of it (``answer.loc[...] = ...``)."""
    if isinstance(statement, ast.Assign):
        targets = statement.targets
    elif isinstance(statement, ast.AugAssign | ast.AnnAssign):
        targets = [statement.target]
    else:
        return False
    for target in targets:
        while isinstance(target, ast.Attribute | ast.Subscript):
            target = target.value
        if isinstance(target, ast.Name) and target.id == "answer":
            return True
    return False


def _answer_lines(code: str) -> set[str]:
    tree = _parse(code)
    if tree is None:
        return set()
    return {ast.unparse(node) for node in ast.walk(tree) if _gives_answer(node)}


def _code_of(cell: nbformat.NotebookNode) -> list[str]:
    """The code in a cell: its source, or a Markdown cell's fenced blocks and inline spans."""
    if cell.cell_type == "code":
        return [cell.source]
    fenced = re.findall(r"```[^\n]*\n(.*?)```", cell.source, flags=re.S)
    rest = re.sub(r"```.*?```", " ", cell.source, flags=re.S)
    return fenced + re.findall(r"`([^`\n]+)`", rest)


@pytest.mark.parametrize("path", list(LEARNER.values()), ids=_ids(LEARNER.values()))
def test_learner_notebook_holds_no_solution_code(path):
    cells = _read(path).cells
    texts = [_normal(cell.source) for cell in cells]
    canonical = []
    given = set()
    for cell in cells:
        for code in _code_of(cell):
            tree = _parse(code)
            if tree is not None:
                canonical.append(_normal(ast.unparse(tree)))
            given |= _answer_lines(code)
    for exercise in _all_exercises():
        whole = _normal(ast.unparse(ast.parse(exercise.solution)))
        raw = _normal(exercise.solution)
        assert not any(raw in text for text in texts), f"{path.name} holds {exercise.id}'s solution"
        assert not any(whole in code for code in canonical), (
            f"{path.name} holds {exercise.id}'s solution")
        leaked = _answer_lines(exercise.solution) & given
        assert not leaked, f"{path.name} holds lines of {exercise.id}'s solution: {leaked}"


@pytest.mark.parametrize("chapter", TAUGHT)
def test_every_exercise_has_one_starter_cell_with_the_placeholder(chapter):
    cells = [cell for cell in _read(LEARNER[chapter]).cells if cell.cell_type == "code"]
    called = {match for cell in cells
              for match in re.findall(r"""check\(\s*["'](\d{2}\.\d+[a-z]?)["']""", cell.source)}
    expected = {exercise.id for exercise in _exercises(chapter)}
    assert called == expected, (f"{LEARNER[chapter].name} checks {sorted(called)}; "
                                f"revopslab.chapters.ch{chapter} defines {sorted(expected)}")
    for exercise_id in sorted(expected):
        call = rf"""check\(\s*["']{re.escape(exercise_id)}["']\s*,\s*answer\s*\)"""
        starters = [cell for cell in cells if re.search(call, cell.source)]
        assert len(starters) == 1, f"{exercise_id}: {len(starters)} starter cells"
        lines = [_normal(line) for line in starters[0].source.splitlines()]
        assert "answer = ____" in lines, (
            f"{LEARNER[chapter].name}, {exercise_id}: the starter cell must keep `answer = ____`")


def test_the_leak_check_catches_an_answer_in_any_quoting():
    exercise = next(e for e in _all_exercises() if e.id == "00.3")
    cell = nbformat.v4.new_code_cell('answer = "referrals from promoters"\ncheck("00.3", answer)')
    assert _answer_lines(exercise.solution) & _answer_lines(cell.source)
    note = nbformat.v4.new_markdown_cell("Try `answer = 'referrals from promoters'`.")
    assert _answer_lines(exercise.solution) & _answer_lines(_code_of(note)[0])
    starter = nbformat.v4.new_code_cell("answer = ____\ncheck('00.3', answer)")
    assert not _answer_lines(exercise.solution) & _answer_lines(starter.source)


# --- the module ----------------------------------------------------------------------------


def test_build_is_deterministic_and_has_one_cell_pair_per_exercise():
    first, second = (solutions.build_solutions_notebook("04") for _ in range(2))
    assert first == second
    assert [cell.id for cell in first.cells[:2]] == ["title", "setup"]
    assert len(first.cells) == 2 + 2 * len(_exercises("04"))
    assert 'company_profile("siloed")' in first.cells[1].source
    assert first.metadata.kernelspec.name == "python3"
    nbformat.validate(first)
    assert 'rng=seed' in solutions.build_solutions_notebook("00", seed=7).cells[1].source
    assert "seed = 7" in solutions.build_solutions_notebook("00", seed=7).cells[1].source


def test_setup_imports_every_name_the_solutions_use():
    setup = solutions.build_solutions_notebook("04").cells[1].source
    # 04's solutions call org functions by bare name and the chapter module as ch04.
    assert "from revopslab.chapters import ch04" in setup
    assert "from revopslab.org import readiness, validate_raci" in setup
    assert "import pandas as pd" in setup


def test_a_solution_using_an_undefined_name_is_refused():
    module = solutions._module("00")
    broken = Exercise("00.9", "p", lambda answer: None, hint="h",
                      solution="answer = undefined_helper(company)")
    with pytest.raises(ValueError, match="uses 'undefined_helper', which neither"):
        solutions._notebook("00", module, [broken], profile="default", seed=1)


@pytest.mark.parametrize(("chapter", "error"), [("1", ValueError), (1, ValueError),
                                                ("98", ModuleNotFoundError)])
def test_bad_chapters_are_refused(chapter, error):
    with pytest.raises(error):
        solutions.build_solutions_notebook(chapter)


def test_write_keeps_executed_notebooks_and_rewrites_stale_ones(tmp_path):
    folder = tmp_path / "notebooks" / "solutions"
    (written,) = solutions.write_solutions(folder, chapters=["00"])
    nb = _read(written)
    nb.cells[3].outputs = [nbformat.v4.new_output("execute_result", {"text/plain": "Correct"})]
    nbformat.write(nb, written)
    assert solutions.write_solutions(folder, chapters=["00"]) == []
    assert _read(written).cells[3].outputs  # outputs kept
    nb.cells[3].source = "answer = 1"
    nbformat.write(nb, written)
    assert solutions.write_solutions(folder, chapters=["00"]) == [written]
    assert not _read(written).cells[3].outputs
    with pytest.raises(TypeError, match="sequence of chapter numbers"):
        solutions.write_solutions(folder, chapters="00")


def test_write_by_default_follows_the_chapter_notebooks(tmp_path, capsys):
    folder = tmp_path / "notebooks" / "solutions"
    for name in ("01_silos.ipynb", "99_unknown.ipynb"):
        (tmp_path / "notebooks").mkdir(exist_ok=True)
        (tmp_path / "notebooks" / name).write_text("{}")
    assert [path.name for path in solutions.write_solutions(folder)] == ["01_solutions.ipynb"]
    assert solutions.main([str(folder)]) == 0
    assert "up to date" in capsys.readouterr().out
    assert solutions.main(["--help"]) == 2


# --- facilitator guides ---------------------------------------------------------------------


def _guide_notebook(guide: Path) -> Path:
    """The notebook a guide teaches from: ``notebooks/ja/`` for a guide in ``guides/ja/``."""
    folder = NOTEBOOKS / "ja" if guide.parent == JA_GUIDES else NOTEBOOKS
    return folder / f"{guide.stem}.ipynb"


def _guide_ids(paths):
    return [path.relative_to(GUIDES).as_posix() for path in paths]


def _cells_named(text: str) -> list[str]:
    return re.findall(r"cell `([^`]+)`", text)


def _exercises_named(text: str, chapter: str) -> set[str]:
    # Not \b: in Japanese prose an id can follow a word character with no space (演習01.2).
    return set(re.findall(rf"(?<![0-9.]){chapter}\.\d+[a-z]?(?![0-9a-z])", text))


@pytest.mark.parametrize(("folder", "guides"), [(GUIDES, GUIDE_FILES), (JA_GUIDES, JA_GUIDE_FILES)],
                         ids=["en", "ja"])
def test_guides_index_lists_every_guide(folder, guides):
    index = (folder / "README.md").read_text(encoding="utf-8")
    for guide in guides:
        assert f"]({guide.name})" in index, (
            f"{(folder / 'README.md').relative_to(ROOT)} does not link {guide.name}")


@pytest.mark.parametrize("guide", GUIDE_FILES + JA_GUIDE_FILES,
                         ids=_guide_ids(GUIDE_FILES + JA_GUIDE_FILES))
def test_guide_points_at_sections_cells_and_exercises_that_exist(guide):
    notebook = _guide_notebook(guide)
    name = guide.relative_to(GUIDES).as_posix()
    assert notebook.exists(), f"{name} has no notebook {notebook.relative_to(ROOT)}"
    text = guide.read_text(encoding="utf-8")
    cells = _read(notebook).cells
    code = [_normal(cell.source) for cell in cells if cell.cell_type == "code"]
    headings = {match for cell in cells if cell.cell_type == "markdown"
                for match in re.findall(r"^#{2,3} (\d+)\.", cell.source, flags=re.M)}
    anchors = _cells_named(text)
    assert anchors, f"{name} names no cell to show"
    for anchor in anchors:
        assert any(_normal(anchor) in source for source in code), (
            f"{name}: no code cell of {notebook.name} contains `{anchor}`")
    for section in re.findall(r"§(\d+)", text):
        assert section in headings, f"{name}: {notebook.name} has no section {section}"
    chapter = guide.name[:2]
    mentioned = _exercises_named(text, chapter)
    expected = {exercise.id for exercise in _exercises(chapter)} if chapter in CHAPTERS else set()
    assert mentioned <= expected, f"{name} names unknown exercises {mentioned - expected}"
    assert expected <= mentioned, f"{name} does not cover {expected - mentioned}"


def _shape(text: str) -> dict[str, object]:
    """What a guide and its translation share: headings, tables, and everything a test checks."""
    lines = text.splitlines()
    tables, rows = [], 0
    for line in [*lines, ""]:
        if line.startswith("|"):
            rows += 1
        elif rows:
            tables.append(rows)
            rows = 0
    return {
        "headings (levels in order)": [len(line) - len(line.lstrip("#")) for line in lines
                                       if re.match(r"#{1,3} ", line)],
        "table rows": tables,
        "sections": set(re.findall(r"§(\d+)", text)),
        "cells": set(_cells_named(text)),
    }


@pytest.mark.parametrize("guide", GUIDE_FILES, ids=_ids(GUIDE_FILES))
def test_every_guide_has_a_japanese_twin_with_the_same_shape(guide):
    twin = JA_GUIDES / guide.name
    assert twin.exists(), f"{guide.name} has no Japanese twin guides/ja/{guide.name}"
    english, japanese = (path.read_text(encoding="utf-8") for path in (guide, twin))
    chapter = guide.name[:2]
    assert _exercises_named(japanese, chapter) == _exercises_named(english, chapter), (
        f"guides/ja/{guide.name} names other exercises than {guide.name}")
    mine, theirs = _shape(japanese), _shape(english)
    for what in theirs:
        assert mine[what] == theirs[what], (
            f"guides/ja/{guide.name} differs from {guide.name} in its {what}: a trainer "
            f"switching between the two must find the same structure")
