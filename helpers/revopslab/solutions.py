"""Solutions notebooks: every exercise of a chapter solved and checked, built from its module."""

from __future__ import annotations

import ast
import builtins
import importlib
import inspect
import pkgutil
import re
import sys
from collections.abc import Iterable, Sequence
from pathlib import Path
from types import MappingProxyType, ModuleType

import nbformat

from ._kernel import KERNELSPEC as _KERNELSPEC  # the kernel `make lab` registers
from .exercises import Exercise
from .vocabulary import DEFAULT_SEED

__all__ = [
    "SEED",
    "PROFILES",
    "chapters",
    "chapter_profile",
    "solutions_filename",
    "build_solutions_notebook",
    "write_solutions",
]

#: The seed every chapter notebook simulates its company with (its ``seed`` parameter).
SEED = DEFAULT_SEED

#: The company profile a chapter notebook binds, where it is not ``"default"``: notebook 04
#: studies the company *before* RevOps. A test reads each notebook's parameters cell to keep
#: this table true.
PROFILES = MappingProxyType({"04": "siloed"})

_CHAPTER_MODULE = re.compile(r"ch(\d{2})")
_CHAPTER = re.compile(r"\d{2}")
_TOPIC = re.compile(r"notebook \d{2} \(([^)]+)\)")
#: Names a solution may use without importing them, and the import that provides each.
_ALIASES = MappingProxyType({
    "pd": ("pandas", "import pandas as pd"),
    "np": ("numpy", "import numpy as np"),
    "dataclasses": ("dataclasses", "import dataclasses"),
})
#: Names the setup cell defines itself.
_SETUP_NAMES = frozenset({"company", "seed", "check"})
_MISSING = object()


def chapters() -> tuple[str, ...]:
    """Return the chapters that have an exercise module ``revopslab.chapters.chNN``, in order.

    Returns
    -------
    tuple of str
        Two-digit chapter numbers such as ``"00"``; a module counts when it
        defines a non-empty ``EXERCISES`` tuple.

    Examples
    --------
    >>> {"00", "01", "02", "04"} <= set(chapters())
    True
    """
    from . import chapters as package

    found = []
    for info in pkgutil.iter_modules(package.__path__):
        match = _CHAPTER_MODULE.fullmatch(info.name)
        if match and getattr(_module(match.group(1)), "EXERCISES", ()):
            found.append(match.group(1))
    return tuple(sorted(found))


_all_chapters = chapters  # write_solutions' argument shadows the name


def chapter_profile(chapter: str) -> str:
    """Return the company profile chapter ``chapter``'s notebook binds its exercises to.

    Examples
    --------
    >>> chapter_profile("00"), chapter_profile("04")
    ('default', 'siloed')
    """
    _require_chapter(chapter)
    return PROFILES.get(chapter, "default")


def solutions_filename(chapter: str) -> str:
    """Return the file name of a chapter's solutions notebook.

    Examples
    --------
    >>> solutions_filename("01")
    '01_solutions.ipynb'
    """
    _require_chapter(chapter)
    return f"{chapter}_solutions.ipynb"


def build_solutions_notebook(chapter: str, *, seed: int = SEED) -> nbformat.NotebookNode:
    """Build the solutions notebook of a chapter from its module's ``EXERCISES``.

    The notebook holds a title, a setup cell that binds the chapter's
    exercises to the same company as the chapter notebook
    (``chNN.bind(simulate_company(company_profile(profile), rng=seed))``,
    with the profile of `chapter_profile`) and imports every name the
    solutions use, then for each exercise a Markdown cell with its prompt and
    a code cell with its solution followed by
    ``check("NN.k", answer, show_expected=True)``, which prints the expected
    value or choice next to "Correct" for the notebook's seed. The
    cells have fixed ids, so building twice gives the same notebook.

    Parameters
    ----------
    chapter
        Two-digit chapter number, such as ``"01"``.
    seed
        Seed of the company (the chapter notebook's ``seed`` parameter).

    Returns
    -------
    nbformat.NotebookNode
        An nbformat 4 notebook without outputs, for the ``python3`` kernel.

    Raises
    ------
    ValueError
        If ``chapter`` is not two digits, has no exercises, or a solution
        uses a name that neither its own code nor the chapter module
        defines (a solution that could not run in a notebook).
    ModuleNotFoundError
        If ``revopslab.chapters.ch<chapter>`` does not exist.

    Examples
    --------
    >>> nb = build_solutions_notebook("00")
    >>> [cell.cell_type for cell in nb.cells][:4]
    ['markdown', 'code', 'markdown', 'code']
    >>> print(nb.cells[1].source.splitlines()[-1])
    company = ch00.bind(simulate_company(company_profile("default"), rng=seed))
    >>> print(nb.cells[-1].source.splitlines()[-1])
    check("00.6", answer, show_expected=True)
    """
    _require_chapter(chapter)
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise TypeError(f"seed must be an int; got {type(seed).__name__} {seed!r}")
    module = _module(chapter)
    exercises = tuple(e for e in getattr(module, "EXERCISES", ()) if isinstance(e, Exercise))
    if not exercises:
        raise ValueError(f"chapter {chapter!r}: revopslab.chapters.ch{chapter} lists no "
                         "EXERCISES")
    return _notebook(chapter, module, exercises, profile=chapter_profile(chapter), seed=seed)


def write_solutions(
    folder: str | Path,
    *,
    chapters: Sequence[str] | None = None,
    seed: int = SEED,
) -> list[Path]:
    """Write ``NN_solutions.ipynb`` for each chapter into ``folder``.

    A notebook whose cells already hold the same sources is left as it is,
    with its outputs; any other is (re)written without outputs, to be
    executed afterwards (``jupyter nbconvert --execute --inplace``).

    Parameters
    ----------
    folder
        The solutions folder, normally ``notebooks/solutions``; created if
        missing.
    chapters
        The chapters to write. None writes every chapter that has an
        exercise module (`chapters`) *and* a chapter notebook ``NN_*.ipynb``
        in the folder's parent, so a chapter's solutions appear when its
        notebook lands.
    seed
        Seed of the companies.

    Returns
    -------
    list of Path
        The notebooks written (created or changed), in chapter order.

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     first = write_solutions(Path(tmp) / "solutions", chapters=["00"])
    ...     again = write_solutions(Path(tmp) / "solutions", chapters=["00"])
    >>> [path.name for path in first], again
    (['00_solutions.ipynb'], [])
    """
    folder = Path(folder)
    if chapters is None:
        selected = [c for c in _all_chapters() if any(folder.parent.glob(f"{c}_*.ipynb"))]
    else:
        if isinstance(chapters, str):
            raise TypeError(f"chapters must be a sequence of chapter numbers such as ['01']; "
                            f"got the str {chapters!r}")
        selected = sorted(dict.fromkeys(chapters))
    notebooks = {c: build_solutions_notebook(c, seed=seed) for c in selected}
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for chapter, nb in notebooks.items():
        path = folder / solutions_filename(chapter)
        if path.exists() and _sources(nbformat.read(path, as_version=4)) == _sources(nb):
            continue
        nbformat.write(nb, path)
        written.append(path)
    return written


# --- building --------------------------------------------------------------------------------


def _require_chapter(chapter: object) -> None:
    if not isinstance(chapter, str) or not _CHAPTER.fullmatch(chapter):
        raise ValueError(f"chapter must be two digits such as '01'; got {chapter!r}")


def _module(chapter: str) -> ModuleType:
    return importlib.import_module(f"revopslab.chapters.ch{chapter}")


def _sources(nb: nbformat.NotebookNode) -> list[tuple[str, str]]:
    return [(cell.cell_type, cell.source) for cell in nb.cells]


def _notebook(chapter: str, module: ModuleType, exercises: Iterable[Exercise], *,
              profile: str, seed: int) -> nbformat.NotebookNode:
    """Assemble the notebook (the chapter module supplies the names the solutions use)."""
    exercises = tuple(exercises)
    topic = _TOPIC.search(module.__doc__ or "")
    title = f"# {chapter} · Solutions" + (f": {topic.group(1)}" if topic else "")
    intro = (
        f"{title}\n\n"
        f"Worked solutions to the exercises of notebook {chapter}, each followed by its "
        "check. They are for trainers, and for learners who have tried the exercises first: "
        "a solution read before trying teaches little.\n\n"
        "Each check prints the expected value or choice next to \"Correct\", computed for "
        "this notebook's company and seed, so a trainer can read the answer without running "
        "anything; with another seed the values change, the solutions do not.\n\n"
        f"This notebook is generated from `revopslab.chapters.ch{chapter}` by "
        "`revopslab.solutions.write_solutions`. Do not edit it: change the chapter module, "
        f"then regenerate it. Its company is the chapter notebook's: profile `\"{profile}\"`, "
        f"seed {seed}."
    )
    cells = [
        nbformat.v4.new_markdown_cell(intro, id="title"),
        nbformat.v4.new_code_cell(_setup(chapter, module, exercises, profile=profile,
                                         seed=seed), id="setup"),
    ]
    for exercise in exercises:
        slug = exercise.id.replace(".", "-")
        cells.append(nbformat.v4.new_markdown_cell(
            f"**{exercise.id}** {exercise.label} {exercise.prompt}", id=f"task-{slug}"))
        code = f'{exercise.solution.strip()}\ncheck("{exercise.id}", answer, show_expected=True)'
        cells.append(nbformat.v4.new_code_cell(code, id=f"solution-{slug}"))
    nb = nbformat.v4.new_notebook(cells=cells)
    nb.metadata = nbformat.from_dict({"kernelspec": dict(_KERNELSPEC),
                                      "language_info": {"name": "python"}})
    return nb


def _setup(chapter: str, module: ModuleType, exercises: Sequence[Exercise], *, profile: str,
           seed: int) -> str:
    """The setup cell: the imports the solutions need, then the bound company."""
    name = f"ch{chapter}"
    plain: set[tuple[str, str]] = set()  # (section, "import x as y")
    froms: dict[tuple[str, str], set[str]] = {  # (section, module) -> names
        ("3", "revopslab.chapters"): {name},
        ("3", "revopslab.config"): {"company_profile"},
        ("3", "revopslab.exercises"): {"check"},
        ("3", "revopslab.simulate"): {"simulate_company"},
    }
    for exercise in exercises:
        for free in _free_names(exercise):
            if free in _SETUP_NAMES or free == name:
                continue
            section, source, what = _provider(free, module, exercise)
            if source is None:
                plain.add((section, what))
            else:
                froms.setdefault((section, source), set()).add(what)
    lines: list[str] = []
    for section in ("1", "2", "3"):
        block = sorted(statement for sec, statement in plain if sec == section)
        block += [f"from {source} import {', '.join(sorted(names))}"
                  for (sec, source), names in sorted(froms.items()) if sec == section]
        if block:
            lines += [*block, ""]
    lines += [
        f"seed = {seed}  # the chapter notebook's seed",
        f'company = {name}.bind(simulate_company(company_profile("{profile}"), rng=seed))',
    ]
    return "\n".join(lines)


def _free_names(exercise: Exercise) -> list[str]:
    """The names a solution reads without binding them itself (builtins aside)."""
    try:
        tree = ast.parse(exercise.solution)
    except SyntaxError as exc:
        raise ValueError(f"exercise {exercise.id}: its solution is not valid Python "
                         f"({exc.msg}, line {exc.lineno})") from None
    bound: set[str] = set()
    loaded: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name):
            (loaded if isinstance(node.ctx, ast.Load) else bound).add(node.id)
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            bound.add(node.name)
        elif isinstance(node, ast.arg):
            bound.add(node.arg)
        elif isinstance(node, ast.Import | ast.ImportFrom):
            bound.update((alias.asname or alias.name).split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ExceptHandler) and node.name:
            bound.add(node.name)
    return sorted(loaded - bound - set(dir(builtins)))


def _provider(name: str, module: ModuleType, exercise: Exercise) -> tuple[str, str | None, str]:
    """How the setup cell imports ``name``: (section, module, name) or (section, None, statement).

    Sections order the imports like isort: 1 standard library, 2 third party, 3 revopslab.
    """
    if name in _ALIASES:
        source, statement = _ALIASES[name]
        return _section(source), None, statement
    obj = getattr(module, name, _MISSING)
    if obj is _MISSING:
        raise ValueError(
            f"exercise {exercise.id}: its solution uses {name!r}, which neither the solution "
            f"nor {module.__name__} defines; import it in the solution or define it in the "
            "chapter module"
        )
    if inspect.ismodule(obj):
        parent, _, leaf = obj.__name__.rpartition(".")
        if leaf != name:
            return _section(obj.__name__), None, f"import {obj.__name__} as {name}"
        if parent:
            return _section(obj.__name__), parent, name
        return _section(obj.__name__), None, f"import {name}"
    home = getattr(obj, "__module__", None)
    if home and getattr(sys.modules.get(home), name, None) is obj:
        return _section(home), home, name
    return "3", module.__name__, name


def _section(module_name: str) -> str:
    top = module_name.split(".")[0]
    if top == "revopslab":
        return "3"
    return "1" if top in sys.stdlib_module_names else "2"


def main(argv: Sequence[str] | None = None) -> int:
    """Write the solutions notebooks: ``python -m revopslab.solutions [FOLDER]``.

    FOLDER defaults to ``notebooks/solutions``. Prints each notebook written.
    """
    args = list(sys.argv[1:] if argv is None else argv)
    if len(args) > 1 or any(arg.startswith("-") for arg in args):
        print("usage: python -m revopslab.solutions [FOLDER]", file=sys.stderr)
        return 2
    folder = Path(args[0] if args else "notebooks/solutions")
    written = write_solutions(folder)
    for path in written:
        print(f"wrote {path} (execute it to store its outputs)")
    if not written:
        print(f"{folder}: every solutions notebook is up to date")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
