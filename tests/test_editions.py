"""The Japanese edition (notebooks/ja) stays in step with the English notebooks."""

from __future__ import annotations

import re
import shutil

import nbformat
import pytest

from revopslab import _editions as ed

NOTEBOOKS = ed.NOTEBOOKS
TWINS = sorted((NOTEBOOKS / "ja").glob(ed.PATTERN))


def test_the_committed_edition_is_in_step():
    assert ed.problems() == []


def test_every_english_notebook_has_a_twin():
    assert [p.name for p in TWINS] == [p.name for p in ed.english_notebooks()]
    assert len(TWINS) == 7


@pytest.mark.parametrize("path", TWINS, ids=lambda p: p.name)
def test_twin_code_is_the_english_code_but_for_lang(path):
    en = nbformat.read(NOTEBOOKS / path.name, as_version=4)
    ja = nbformat.read(path, as_version=4)
    pairs = [(e, j) for e, j in zip(en.cells, ja.cells, strict=True) if e.cell_type == "code"]
    differing = [(e, j) for e, j in pairs if e.source != j.source]
    assert len(differing) == 1, [e.id for e, _ in differing]
    english, japanese = differing[0]
    assert "parameters" in english.metadata["tags"]
    assert re.search(r'^lang = "en"', english.source, re.MULTILINE)
    assert japanese.source == english.source.replace('lang = "en"', 'lang = "ja"', 1)


@pytest.mark.parametrize("path", TWINS, ids=lambda p: p.name)
def test_twin_prose_is_mostly_japanese(path):
    prose = "".join(c.source for c in nbformat.read(path, as_version=4).cells
                    if c.cell_type == "markdown")
    letters = [ch for ch in prose if ch.isalpha()]
    japanese = [ch for ch in letters if re.match(r"[\u3040-\u30ff\u3400-\u9fff]", ch)]
    assert len(japanese) / len(letters) > 0.5


@pytest.mark.parametrize("path", TWINS, ids=lambda p: p.name)
def test_twin_is_freshly_executed(path):
    notebook = nbformat.read(path, as_version=4)
    code = [c for c in notebook.cells if c.cell_type == "code"]
    assert [c.execution_count for c in code] == list(range(1, len(code) + 1)), \
        f"ja/{path.name} is not freshly executed: run `make execute`"
    assert not any("execution" in c.metadata for c in notebook.cells)


@pytest.fixture
def copy_of_notebooks(tmp_path):
    """English notebooks 00 and 06 with their twins and translations, in a scratch folder."""
    for name in ["00_orientation", "06_revops_report"]:
        shutil.copy(NOTEBOOKS / f"{name}.ipynb", tmp_path / f"{name}.ipynb")
        (tmp_path / "ja" / "_text").mkdir(parents=True, exist_ok=True)
        shutil.copy(NOTEBOOKS / "ja" / f"{name}.ipynb", tmp_path / "ja" / f"{name}.ipynb")
        shutil.copy(NOTEBOOKS / "ja" / "_text" / f"{name}.md",
                    tmp_path / "ja" / "_text" / f"{name}.md")
    assert ed.problems(tmp_path) == []
    return tmp_path


def _edit_english(folder, predicate, change):
    path = folder / "00_orientation.ipynb"
    nb = nbformat.read(path, as_version=4)
    cell = next(c for c in nb.cells if predicate(c))
    cell.source = change(cell.source)
    nbformat.write(nb, path)
    return cell


def test_a_changed_english_code_cell_fails_until_synced(copy_of_notebooks):
    folder = copy_of_notebooks
    cell = _edit_english(folder, lambda c: c.cell_type == "code" and "plots.funnel" in c.source,
                         lambda s: s + "\nprint('new line')")
    found = ed.problems(folder)
    assert found == [f"00_orientation.ipynb: code cell {cell.id!r} differs from the English one "
                     "(run sync, then re-execute the Japanese notebook)"]
    assert ed.sync(folder) == [folder / "ja" / "00_orientation.ipynb"]
    assert ed.problems(folder) == []
    synced = {c.id: c for c in nbformat.read(folder / "ja" / "00_orientation.ipynb",
                                             as_version=4).cells}
    # the changed cell lost its outputs (nbval fails until re-executed); the others kept theirs
    assert synced[cell.id].outputs == [] and synced[cell.id].execution_count is None
    kept = [c for c in synced.values() if c.cell_type == "code" and c.outputs]
    assert kept


def test_a_changed_english_markdown_cell_makes_its_translation_stale(copy_of_notebooks):
    folder = copy_of_notebooks
    cell = _edit_english(folder, lambda c: c.cell_type == "markdown" and c.source.startswith("## 3"),
                         lambda s: s + " One more sentence.")
    found = ed.problems(folder)
    assert len(found) == 1 and f"cell {cell.id!r} is stale" in found[0]
    assert f"en:{ed.english_hash(cell.source)}" in found[0]
    assert ed.sync(folder) == []  # sync does not hide a stale translation
    assert ed.problems(folder) == found


def test_a_new_english_markdown_cell_needs_a_translation(copy_of_notebooks):
    folder = copy_of_notebooks
    path = folder / "00_orientation.ipynb"
    nb = nbformat.read(path, as_version=4)
    nb.cells.insert(3, nbformat.v4.new_markdown_cell("A new paragraph.", id="new-cell"))
    nbformat.write(nb, path)
    found = ed.problems(folder)
    assert "00_orientation.ipynb: markdown cell 'new-cell' has no Japanese text " \
           "(run `python -m revopslab._editions todo`)" in found
    ed.todo(folder)
    ed.sync(folder)
    # the placeholder is the English text marked stale: still a problem until translated
    assert [line for line in ed.problems(folder) if "new-cell" in line] == [
        "00_orientation.ipynb: the translation of cell 'new-cell' is stale: the English text "
        f"changed; update it and set en:{ed.english_hash('A new paragraph.')}"]


def test_hand_edits_to_the_twin_are_caught(copy_of_notebooks):
    folder = copy_of_notebooks
    path = folder / "ja" / "06_revops_report.ipynb"
    nb = nbformat.read(path, as_version=4)
    parameters = next(c for c in nb.cells if "parameters" in c.metadata.get("tags", []))
    parameters.source = parameters.source.replace('seed = 2024', 'seed = 7')
    markdown = next(c for c in nb.cells if c.cell_type == "markdown")
    markdown.source += "\n手で足した一文。"
    nbformat.write(nb, path)
    found = ed.problems(folder)
    assert f"06_revops_report.ipynb: code cell {parameters.id!r} differs from the English one " \
           "(run sync, then re-execute the Japanese notebook)" in found
    assert f"06_revops_report.ipynb: markdown cell {markdown.id!r} is not its translation " \
           "(run sync)" in found


def test_translations_of_removed_cells_and_orphan_twins_are_caught(copy_of_notebooks):
    folder = copy_of_notebooks
    text = folder / "ja" / "_text" / "00_orientation.md"
    text.write_text(text.read_text(encoding="utf-8") + "\n<!-- cell gone en:0 -->\n消えた\n",
                    encoding="utf-8")
    shutil.copy(folder / "ja" / "00_orientation.ipynb", folder / "ja" / "09_extra.ipynb")
    found = ed.problems(folder)
    assert "ja/09_extra.ipynb: no English notebook of that name" in found
    assert any("'gone', which the English notebook no longer has" in line for line in found)


def test_a_japanese_notebook_runs_with_another_seed(tmp_path, notebook_text):
    """papermill covers the Japanese edition too: another seed, the same sentences."""
    import papermill as pm

    out = tmp_path / "00_orientation.ipynb"
    pm.execute_notebook(str(NOTEBOOKS / "ja" / "00_orientation.ipynb"), str(out),
                        parameters={"seed": 7, "experiment_seeds": 2}, kernel_name="python3",
                        cwd=str(NOTEBOOKS / "ja"), progress_bar=False)
    nb = nbformat.read(out, as_version=4)
    injected = [i for i, c in enumerate(nb.cells)
                if "injected-parameters" in c.metadata.get("tags", [])]
    parameters = [i for i, c in enumerate(nb.cells) if "parameters" in c.metadata.get("tags", [])]
    assert injected == [parameters[0] + 1]
    assert 'lang = "ja"' in nb.cells[parameters[0]].source
    text = notebook_text(nb)
    assert "seed=7" in text and "36か月分の履歴" in text  # the sentence speaks Japanese
    assert "Traceback" not in text
    figures = [o for c in nb.cells for o in c.get("outputs", []) if "image/png" in o.get("data", {})]
    assert len(figures) >= 3
