"""The repository keeps the design's layout, its documented commands, and stays self-contained."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
THIS_FILE = Path(__file__).resolve()

LAYOUT_DIRECTORIES = ["notebooks", "helpers/revopslab", "data", "tests"]
LAYOUT_FILES = ["environment.yml", "README.md", "pyproject.toml", "Makefile", ".ci/run"]

# Reading the design folder beside the repository: "../shared/...", "/work/shared/x",
# Path("..") / "shared".
SHARED_PATH_USE = re.compile(r"""\bshared[/\\]|/\s*["']shared["']""")
SELF_CONTAINED_ROOTS = ["helpers", "tests"]
SKIPPED_DIRECTORIES = {"__pycache__", ".ipynb_checkpoints", ".pytest_cache", ".hypothesis"}


def _non_comment_lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if not line.lstrip().startswith("#")]


# --- layout -----------------------------------------------------------------------------------


@pytest.mark.parametrize("directory", LAYOUT_DIRECTORIES)
def test_layout_directory_exists(directory):
    assert (REPO / directory).is_dir(), f"the design's layout needs {directory}/ at the top level"


@pytest.mark.parametrize("name", LAYOUT_FILES)
def test_layout_file_exists(name):
    assert (REPO / name).is_file(), f"the design's layout needs {name}"


def test_helpers_is_a_src_layout_root_not_a_package():
    """`import revopslab`, never `import helpers` (a top-level `helpers` would collide)."""
    assert (REPO / "helpers/revopslab/__init__.py").is_file()
    assert not (REPO / "helpers/__init__.py").exists()


# --- commands ---------------------------------------------------------------------------------


def test_ci_runs_the_readme_test_command():
    run = REPO / ".ci/run"
    text = run.read_text(encoding="utf-8")
    assert text.startswith("#!"), ".ci/run needs a shebang line"
    assert os.access(run, os.X_OK), ".ci/run must be executable"
    commands = _non_comment_lines(text)
    assert any(re.fullmatch(r"\s*(exec\s+)?make test\s*", line) for line in commands), (
        ".ci/run must call `make test`, the README's test command"
    )


def test_readme_gives_both_setup_commands_early():
    head = "\n".join((REPO / "README.md").read_text(encoding="utf-8").splitlines()[:40])
    assert "make lab" in head, "README.md must show `make lab` within its first 40 lines"
    assert "make test" in head, "README.md must show `make test` within its first 40 lines"


def _makefile_targets() -> set[str]:
    text = (REPO / "Makefile").read_text(encoding="utf-8")
    return set(re.findall(r"^([A-Za-z][\w.-]*)\s*:(?!=)", text, flags=re.MULTILINE))


def test_every_make_command_in_the_readme_exists():
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    mentioned = set(re.findall(r"`?\bmake ([a-z][\w-]*)", readme))
    unknown = sorted(mentioned - _makefile_targets())
    assert not unknown, f"README.md mentions make targets the Makefile lacks: {unknown}"


# --- self-contained: nothing reads ../shared ----------------------------------------------------


def _text_files(root: Path):
    for directory, subdirectories, files in os.walk(root):
        subdirectories[:] = [
            name
            for name in subdirectories
            if name not in SKIPPED_DIRECTORIES and not name.endswith(".egg-info")
        ]
        for name in files:
            path = Path(directory, name)
            if path.resolve() == THIS_FILE:
                continue
            try:
                yield path, path.read_text(encoding="utf-8")
            except (UnicodeDecodeError, OSError):
                continue  # binary data is not source


def _shared_path_uses(root: Path) -> list[str]:
    found = []
    for path, text in _text_files(root):
        for number, line in enumerate(text.splitlines(), start=1):
            if SHARED_PATH_USE.search(line):
                found.append(f"{path.relative_to(root.parent)}:{number}: {line.strip()}")
    return found


@pytest.mark.parametrize("root", SELF_CONTAINED_ROOTS)
def test_nothing_reads_the_shared_design_folder(root):
    found = _shared_path_uses(REPO / root)
    assert not found, (
        "the project must be self-contained (copy what it needs into data/):\n  "
        + "\n  ".join(found)
    )


@pytest.mark.parametrize(
    "line",
    [
        'GLOSSARY = Path(__file__).parents[2] / "../shared/GLOSSARY.md"',
        'open("/work/shared/DESIGN.md")',
        'terms = Path("..") / "shared" / "glossary.csv"',
    ],
)
def test_the_shared_folder_check_can_fail(tmp_path, line):
    package = tmp_path / "helpers"
    package.mkdir()
    (package / "leak.py").write_text(f"{line}\n", encoding="utf-8")
    assert _shared_path_uses(package) == [f"helpers/leak.py:1: {line}"]


def test_the_shared_folder_check_ignores_other_words():
    assert not SHARED_PATH_USE.search("shared_state = {}  # a shared cache, sharedmem")


# --- test configuration the Makefile relies on ------------------------------------------------


def test_nbval_sanitiser_is_read_by_nbval_and_sanitises_only_volatile_text():
    from nbval.plugin import get_sanitize_patterns

    config = REPO / "tests/nbval_sanitize.cfg"
    assert "tests/nbval_sanitize.cfg" in (REPO / "Makefile").read_text(encoding="utf-8")
    text = config.read_text(encoding="utf-8")
    patterns = get_sanitize_patterns(text)
    # A malformed section is silently skipped by nbval, so count them.
    assert len(patterns) == text.count("\nregex: ") == len(re.findall(r"^\[", text, re.M))

    def sanitise(output: str) -> str:
        for regex, replace in patterns:
            output = re.sub(regex, replace, output)
        return output

    # The figure's pixel size depends on the backend's dpi: sanitised; its Axes count is kept.
    assert sanitise("<Figure size 640x480 with 1 Axes>") == sanitise(
        "<Figure size 460.8x345.6 with 1 Axes>"
    )
    assert sanitise("<Figure size 640x480 with 1 Axes>") != sanitise(
        "<Figure size 640x480 with 2 Axes>"
    )
    # Memory addresses change every run, in text and in HTML.
    assert sanitise("<function f at 0x7f3a2c1b5e40>") == sanitise("<function f at 0x55d0c2a1>")
    assert sanitise("[&lt;Line2D at 0x7f00ab&gt;]") == sanitise("[&lt;Line2D at 0x7fffff&gt;]")
    # Everything else, results above all, is compared as it is.
    for stable in [
        "MRR bridge: 1,234,567 JPY; churn 2.35% in 2024-03",
        "offset at 0x1F in the header",
        "<revopslab.config.CompanyConfig object>",
    ]:
        assert sanitise(stable) == stable
