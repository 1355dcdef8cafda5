"""environment.yml, requirements.lock and pyproject.toml agree on every dependency."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest
import yaml

from revopslab._lock import (
    diff_pins,
    normalise_name,
    parse_environment_pins,
    read_environment_pins,
    read_lock_pins,
    render_environment,
    sync_environment,
)

REPO = Path(__file__).resolve().parents[1]
LOCK = REPO / "requirements.lock"
ENVIRONMENT = REPO / "environment.yml"
PYPROJECT = REPO / "pyproject.toml"

FIX = "regenerate it with `.venv/bin/python -m revopslab._lock`"


def _declared_dependencies() -> dict[str, str]:
    """Normalised name -> requirement as written, for [project] dependencies and the dev extra."""
    project = tomllib.loads(PYPROJECT.read_text(encoding="utf-8"))["project"]
    requirements = list(project["dependencies"]) + list(project["optional-dependencies"]["dev"])
    declared = {}
    for requirement in requirements:
        match = re.match(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)", requirement)
        assert match, f"pyproject.toml: cannot read a package name in {requirement!r}"
        declared[normalise_name(match[1])] = requirement
    return declared


def _lock_direct_dependencies() -> set[str]:
    """Packages the lock says it pinned because pyproject.toml asks for them."""
    direct, current = set(), None
    for line in LOCK.read_text(encoding="utf-8").splitlines():
        if line and not line[0].isspace() and not line.startswith("#"):
            current = normalise_name(line.split("==")[0])
        elif current and "revopslab (pyproject.toml)" in line:
            direct.add(current)
    return direct


# --- the real files ---------------------------------------------------------------------------


def test_environment_yml_pins_exactly_the_lock():
    problems = diff_pins(read_lock_pins(LOCK), read_environment_pins(ENVIRONMENT))
    assert not problems, (
        "environment.yml disagrees with requirements.lock; " + FIX + ":\n  " + "\n  ".join(problems)
    )


def test_environment_yml_is_the_rendered_lock():
    """Same pins, same order, and no hand edits (python, pip, -e . included)."""
    expected = render_environment(read_lock_pins(LOCK))
    assert ENVIRONMENT.read_text(encoding="utf-8") == expected, f"environment.yml is stale; {FIX}"


def test_environment_yml_installs_python_311_pip_and_the_package():
    document = yaml.safe_load(ENVIRONMENT.read_text(encoding="utf-8"))
    dependencies = document["dependencies"]
    assert "python=3.11" in dependencies
    assert "pip" in dependencies
    pip_section = next(entry["pip"] for entry in dependencies if isinstance(entry, dict))
    assert pip_section[-1] == "-e .", "the package itself must be installed last, from the repo"
    requires_python = tomllib.loads(PYPROJECT.read_text(encoding="utf-8"))["project"][
        "requires-python"
    ]
    assert requires_python == ">=3.11,<3.12", (
        f"pyproject.toml now requires Python {requires_python}: update PYTHON_VERSION in "
        "revopslab/_lock.py, the Makefile's PYTHON and the README"
    )


def test_every_declared_dependency_is_pinned_in_the_lock():
    pinned = read_lock_pins(LOCK)
    missing = sorted(name for name in _declared_dependencies() if name not in pinned)
    assert not missing, f"declared in pyproject.toml but not pinned (run `make lock`): {missing}"


def test_lock_pins_nothing_directly_that_pyproject_no_longer_declares():
    """A dependency removed from pyproject.toml without `make lock` leaves a stale pin."""
    declared = set(_declared_dependencies())
    direct = _lock_direct_dependencies()
    assert direct, "no 'via revopslab (pyproject.toml)' notes found: has the lock's form changed?"
    stale = sorted(direct - declared)
    assert not stale, (
        f"the lock pins these for pyproject.toml, which no longer asks for them: {stale}"
    )


# --- the comparison can fail ------------------------------------------------------------------


def _altered_copy(tmp_path: Path, old: str, new: str) -> Path:
    text = ENVIRONMENT.read_text(encoding="utf-8")
    assert text.count(old) == 1, f"fixture line {old!r} not found exactly once"
    altered = tmp_path / "environment.yml"
    altered.write_text(text.replace(old, new), encoding="utf-8")
    return altered


@pytest.mark.parametrize(
    ("package", "alteration", "expected"),
    [
        ("pandas", "different version", ["pandas", "requirements.lock pins {v}", "pins 0.0.1"]),
        ("pandas", "missing", ["pandas", "requirements.lock pins {v}", "does not list it"]),
        ("left-pad", "extra", ["left-pad", "environment.yml pins 1.0.0", "does not list it"]),
    ],
)
def test_a_disagreement_is_reported_with_the_package_and_both_versions(
    tmp_path, package, alteration, expected
):
    lock = read_lock_pins(LOCK)
    version = lock["pandas"]
    line = f"      - pandas=={version}\n"
    if alteration == "different version":
        altered = _altered_copy(tmp_path, line, "      - pandas==0.0.1\n")
    elif alteration == "missing":
        altered = _altered_copy(tmp_path, line, "")
    else:
        altered = _altered_copy(tmp_path, line, line + "      - left-pad==1.0.0\n")

    problems = diff_pins(lock, read_environment_pins(altered))

    assert len(problems) == 1, problems
    for fragment in expected:
        assert fragment.format(v=version) in problems[0]


def test_names_are_compared_normalised():
    assert (
        diff_pins(
            {"pyyaml": "6.0.4"},
            parse_environment_pins("dependencies:\n  - pip:\n      - PyYAML==6.0.4\n"),
        )
        == []
    )


@pytest.mark.parametrize(
    "bad_line",
    ["numpy>=2", "numpy==2.4.6 ; sys_platform == 'linux'", "-e .", "--hash=sha256:abc"],
)
def test_a_lock_line_that_is_not_a_plain_pin_is_an_error(tmp_path, bad_line):
    lock = tmp_path / "requirements.lock"
    lock.write_text(f"# header\nnumpy==2.4.6\n{bad_line}\n", encoding="utf-8")
    with pytest.raises(ValueError, match="line 3"):
        read_lock_pins(lock)


def test_sync_environment_writes_the_rendered_lock(tmp_path):
    (tmp_path / "requirements.lock").write_text(
        "# header\nnumpy==2.4.6\n    # via revopslab (pyproject.toml)\ntqdm==4.70.1\n",
        encoding="utf-8",
    )
    written = sync_environment(tmp_path)
    assert written == tmp_path / "environment.yml"
    assert read_environment_pins(written) == {"numpy": "2.4.6", "tqdm": "4.70.1"}
    assert written.read_text(encoding="utf-8").endswith("      - -e .\n")
