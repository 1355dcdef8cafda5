"""environment.yml, requirements.lock and pyproject.toml agree on every dependency."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest
import yaml

from revopslab._lock import (
    SUPPORTED_PYTHONS,
    diff_pins,
    normalise_name,
    parse_environment_pins,
    pin_name,
    pins_for,
    read_environment_pins,
    read_lock_pins,
    render_environment,
    sync_environment,
)

REPO = Path(__file__).resolve().parents[1]
LOCK = REPO / "requirements.lock"
ENVIRONMENT = REPO / "environment.yml"
PYPROJECT = REPO / "pyproject.toml"
MAKEFILE = REPO / "Makefile"
#: The interpreters the universal lock is checked for (the newest patch releases matter
#: little: a marker that splits a pin names a minor version, or 3.11.5 at most).
PYTHONS = [f"{version}.{patch}" for version in SUPPORTED_PYTHONS for patch in (0, 9)]

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
            current = pin_name(normalise_name(line.split("==")[0]))
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


def test_environment_yml_installs_a_supported_python_pip_and_the_package():
    document = yaml.safe_load(ENVIRONMENT.read_text(encoding="utf-8"))
    dependencies = document["dependencies"]
    assert f"python={SUPPORTED_PYTHONS[0]}" in dependencies
    assert "pip" in dependencies
    pip_section = next(entry["pip"] for entry in dependencies if isinstance(entry, dict))
    assert pip_section[-1] == "-e .", "the package itself must be installed last, from the repo"


def test_pyproject_and_makefile_support_the_same_pythons_as_the_lock():
    requires_python = tomllib.loads(PYPROJECT.read_text(encoding="utf-8"))["project"][
        "requires-python"
    ]
    major, last = SUPPORTED_PYTHONS[-1].split(".")
    expected = f">={SUPPORTED_PYTHONS[0]},<{major}.{int(last) + 1}"
    assert requires_python == expected, (
        f"pyproject.toml requires Python {requires_python}, revopslab._lock.SUPPORTED_PYTHONS "
        f"says {expected}: update both, the Makefile's SUPPORTED_PYTHONS and the README"
    )
    line = next(line for line in MAKEFILE.read_text(encoding="utf-8").splitlines()
                if line.startswith("SUPPORTED_PYTHONS :="))
    assert line.split(":=")[1].split() == list(SUPPORTED_PYTHONS), line


def test_the_lock_is_universal():
    header = LOCK.read_text(encoding="utf-8").splitlines()[1]
    assert "--universal" in header and f"--python-version {SUPPORTED_PYTHONS[0]}" in header, (
        f"requirements.lock was not compiled for every supported Python: {header.strip()}"
    )


@pytest.mark.parametrize("platform", ["linux", "darwin", "win32"])
@pytest.mark.parametrize("python", PYTHONS)
def test_every_declared_dependency_is_pinned_once_for_each_supported_python(python, platform):
    pins = pins_for(read_lock_pins(LOCK), python, sys_platform=platform)  # raises if ambiguous
    missing = sorted(name for name in _declared_dependencies() if name not in pins)
    assert not missing, f"nothing pinned for Python {python} on {platform}: {missing}"


def test_a_pin_that_applies_twice_is_refused():
    pins = {"numpy ; python_full_version < '3.13'": "2.4.6",
            "numpy ; python_full_version >= '3.12'": "2.5.5"}
    assert pins_for(pins, "3.11.7") == {"numpy": "2.4.6"}
    assert pins_for(pins, "3.13.0") == {"numpy": "2.5.5"}
    with pytest.raises(ValueError, match="numpy is pinned twice for Python 3.12.1"):
        pins_for(pins, "3.12.1")


def test_every_declared_dependency_is_pinned_in_the_lock():
    pinned = {pin_name(key) for key in read_lock_pins(LOCK)}
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
    ["numpy>=2", "numpy==2.4.6 ;", "-e .", "--hash=sha256:abc", "numpy==2.4.6"],
)
def test_a_lock_line_that_is_not_a_plain_pin_is_an_error(tmp_path, bad_line):
    lock = tmp_path / "requirements.lock"
    lock.write_text(f"# header\nnumpy==2.4.6\n{bad_line}\n", encoding="utf-8")
    with pytest.raises(ValueError, match="line 3"):
        read_lock_pins(lock)


def test_a_marked_pin_is_kept_with_its_marker_through_environment_yml(tmp_path):
    lock = "numpy==2.4.6\npywinpty==3.1.2 ; os_name == 'nt'\n"
    pins = {"numpy": "2.4.6", "pywinpty ; os_name == 'nt'": "3.1.2"}
    assert read_lock_pins(_write(tmp_path, lock)) == pins
    assert parse_environment_pins(render_environment(pins)) == pins
    assert diff_pins(pins, {"numpy": "2.4.6", "pywinpty": "3.1.2"}) == [
        "pywinpty: environment.yml pins 3.1.2, requirements.lock does not list it",
        "pywinpty ; os_name == 'nt': requirements.lock pins 3.1.2, environment.yml does not "
        "list it",
    ]


def _write(folder: Path, text: str) -> Path:
    path = folder / "requirements.lock"
    path.write_text(text, encoding="utf-8")
    return path


def test_sync_environment_writes_the_rendered_lock(tmp_path):
    (tmp_path / "requirements.lock").write_text(
        "# header\nnumpy==2.4.6\n    # via revopslab (pyproject.toml)\ntqdm==4.70.1\n",
        encoding="utf-8",
    )
    written = sync_environment(tmp_path)
    assert written == tmp_path / "environment.yml"
    assert read_environment_pins(written) == {"numpy": "2.4.6", "tqdm": "4.70.1"}
    assert written.read_text(encoding="utf-8").endswith("      - -e .\n")
