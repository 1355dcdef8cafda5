"""Dev helper: keep environment.yml pinned exactly like requirements.lock."""

from __future__ import annotations

import re
import sys
from collections.abc import Mapping
from pathlib import Path

import yaml

__all__ = [
    "normalise_name",
    "parse_lock_pins",
    "read_lock_pins",
    "parse_environment_pins",
    "read_environment_pins",
    "pin_name",
    "pin_marker",
    "render_environment",
    "diff_pins",
    "sync_environment",
]

LOCK_FILE = "requirements.lock"
ENVIRONMENT_FILE = "environment.yml"
#: The Python versions the project supports, oldest first: pyproject.toml's requires-python,
#: the Makefile's search for an interpreter and the universal lock all follow this list.
SUPPORTED_PYTHONS: tuple[str, ...] = ("3.11", "3.12", "3.13")
#: The Python conda installs for environment.yml (any of SUPPORTED_PYTHONS works).
PYTHON_VERSION = SUPPORTED_PYTHONS[0]

_PIN = re.compile(
    r"^(?P<name>[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?)==(?P<version>[^\s;#]+)"
    r"(?:\s*;\s*(?P<marker>[^#]*?))?\s*$"
)

_HEADER = """\
# RevOps Lab for conda users: the same pins as requirements.lock, installed through pip.
#   conda env create -f environment.yml && conda activate revopslab
# Generated from requirements.lock by `python -m revopslab._lock`: do not edit by hand.
"""


def normalise_name(name: str) -> str:
    """Normalise a distribution name so that spellings of one package compare equal.

    Parameters
    ----------
    name : str
        A distribution name as written in a requirement, e.g. ``"PyYAML"``.

    Returns
    -------
    str
        The name lowercased, with every run of ``_``, ``.`` and ``-`` turned into one ``-``
        (PEP 503).

    Examples
    --------
    >>> normalise_name("PyYAML")
    'pyyaml'
    >>> normalise_name("scikit_learn")
    'scikit-learn'
    >>> normalise_name("zope.interface")
    'zope-interface'
    """
    return re.sub(r"[-_.]+", "-", name).lower()


def _add_pin(pins: dict[str, str], entry: str, where: str) -> None:
    """Parse one ``name==version`` entry into ``pins``, refusing a second pin of a name."""
    name, version = _parse_pin(entry, where)
    if name in pins:
        raise ValueError(f"{where}: {name} is pinned twice ({pins[name]} and {version})")
    pins[name] = version


def _parse_pin(text: str, where: str) -> tuple[str, str]:
    """``name==version[ ; marker]`` -> (key, version); the key is the normalised name, followed
    by ``" ; marker"`` when the pin only applies where the environment marker holds."""
    match = _PIN.match(text.strip())
    if match is None or (match["marker"] is not None and not match["marker"]):
        raise ValueError(
            f"{where}: expected a pin of the form 'name==version' or "
            f"'name==version ; marker', got {text.strip()!r}"
        )
    key = normalise_name(match["name"])
    if match["marker"]:
        key += f" ; {match['marker']}"
    return key, match["version"]


def _normalise_key(key: str) -> str:
    marker = pin_marker(key)
    return normalise_name(pin_name(key)) + (f" ; {marker}" if marker else "")


def pin_name(key: str) -> str:
    """The package name of a pin key (the key without its environment marker).

    Examples
    --------
    >>> pin_name("pywinpty ; os_name == 'nt'")
    'pywinpty'
    >>> pin_name("numpy")
    'numpy'
    """
    return key.split(";", 1)[0].strip()


def pin_marker(key: str) -> str | None:
    """The environment marker of a pin key, or None when the pin applies everywhere.

    Examples
    --------
    >>> pin_marker("overrides ; python_full_version < '3.12'")
    "python_full_version < '3.12'"
    >>> pin_marker("numpy") is None
    True
    """
    _, _, marker = key.partition(";")
    return marker.strip() or None


def parse_lock_pins(text: str, *, source: str = LOCK_FILE) -> dict[str, str]:
    """Read the ``name==version`` pins of a lock file written by ``uv pip compile``.

    The lock is universal (``uv pip compile --universal``): a pin that only applies on some
    platforms or Python versions carries an environment marker, ``name==version ; marker``,
    and its key is ``"name ; marker"``, so one package may be pinned to different versions
    under different markers. Comment lines (the header and the indented ``# via`` notes) and
    blank lines are skipped. Any other line (an option, a hash, an editable install) is an
    error, so a change in the lock's form cannot be silently dropped from ``environment.yml``.

    Parameters
    ----------
    text : str
        The lock file's content.
    source : str, optional
        The name used for the file in error messages.

    Returns
    -------
    dict of str to str
        Pin key (normalised package name, with ``" ; marker"`` if the pin has one) to pinned
        version, in the lock's order.

    Raises
    ------
    ValueError
        If a package is pinned twice under the same marker or a line is not a
        ``name==version[ ; marker]`` pin; the message names the line.

    Examples
    --------
    >>> lock = '''\\
    ... # This file was autogenerated by uv via the following command:
    ... #    uv pip compile pyproject.toml --extra dev -o requirements.lock
    ... numpy==2.4.6
    ...     # via revopslab (pyproject.toml)
    ... PyYAML==6.0.4
    ...     # via revopslab (pyproject.toml)
    ... pywinpty==3.1.2 ; os_name == 'nt'
    ... '''
    >>> parse_lock_pins(lock)
    {'numpy': '2.4.6', 'pyyaml': '6.0.4', "pywinpty ; os_name == 'nt'": '3.1.2'}
    >>> parse_lock_pins("numpy>=2")
    Traceback (most recent call last):
    ...
    ValueError: requirements.lock line 1: expected a pin of the form 'name==version' or \
'name==version ; marker', got 'numpy>=2'
    """
    pins: dict[str, str] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        where = f"{source} line {number}"
        _add_pin(pins, stripped, where)
    return pins


def pins_for(pins: Mapping[str, str], python: str, *, sys_platform: str = "linux"
             ) -> dict[str, str]:
    """The pins that apply to one interpreter: what ``uv pip sync`` installs there.

    Parameters
    ----------
    pins : mapping of str to str
        Pin keys to versions, as :func:`parse_lock_pins` returns them.
    python : str
        A full Python version, e.g. ``"3.12.1"``.
    sys_platform : str, optional
        The platform whose markers are evaluated (``"linux"``, ``"darwin"``, ``"win32"``);
        ``os_name`` follows it.

    Returns
    -------
    dict of str to str
        Package name to version for every pin whose marker holds there.

    Raises
    ------
    ValueError
        If two pins of one package both apply (the lock would be ambiguous).

    Examples
    --------
    >>> pins = {"numpy": "2.4.6", "overrides ; python_full_version < '3.12'": "7.7.0",
    ...         "pywinpty ; os_name == 'nt'": "3.1.2"}
    >>> pins_for(pins, "3.11.7")
    {'numpy': '2.4.6', 'overrides': '7.7.0'}
    >>> pins_for(pins, "3.13.0", sys_platform="win32")
    {'numpy': '2.4.6', 'pywinpty': '3.1.2'}
    """
    from packaging.markers import Marker

    major_minor = ".".join(python.split(".")[:2])
    environment = {"python_version": major_minor, "python_full_version": python,
                   "sys_platform": sys_platform, "os_name": "nt" if sys_platform == "win32"
                   else "posix", "platform_system": {"win32": "Windows", "darwin": "Darwin"}
                   .get(sys_platform, "Linux"), "implementation_name": "cpython",
                   "platform_python_implementation": "CPython"}
    chosen: dict[str, str] = {}
    for key, version in pins.items():
        marker = pin_marker(key)
        if marker is not None and not Marker(marker).evaluate(environment):
            continue
        name = pin_name(key)
        if name in chosen:
            raise ValueError(f"{name} is pinned twice for Python {python} on {sys_platform} "
                             f"({chosen[name]} and {version})")
        chosen[name] = version
    return chosen


def read_lock_pins(path: str | Path) -> dict[str, str]:
    """Read the pins of a ``requirements.lock`` file.

    Parameters
    ----------
    path : str or pathlib.Path
        The lock file.

    Returns
    -------
    dict of str to str
        Normalised package name to pinned version, in the lock's order.

    See Also
    --------
    parse_lock_pins : the same on the file's text, with an example.
    """
    path = Path(path)
    return parse_lock_pins(path.read_text(encoding="utf-8"), source=path.name)


def parse_environment_pins(text: str, *, source: str = ENVIRONMENT_FILE) -> dict[str, str]:
    """Read the pip pins of a conda environment file.

    Parameters
    ----------
    text : str
        The environment file's content (YAML).
    source : str, optional
        The name used for the file in error messages.

    Returns
    -------
    dict of str to str
        Normalised package name to pinned version, in the file's order. Entries of the ``pip:``
        section that are options or local installs (``-e .``) are not pins and are left out.

    Raises
    ------
    ValueError
        If the file has no ``pip:`` section, pins a package twice, or holds a pip entry that is
        neither a ``name==version`` pin nor an option.

    Examples
    --------
    >>> env = '''\\
    ... name: revopslab
    ... dependencies:
    ...   - python=3.11
    ...   - pip
    ...   - pip:
    ...       - numpy==2.4.6
    ...       - pyyaml==6.0.4
    ...       - -e .
    ... '''
    >>> parse_environment_pins(env)
    {'numpy': '2.4.6', 'pyyaml': '6.0.4'}
    """
    document = yaml.safe_load(text)
    dependencies = document.get("dependencies") if isinstance(document, dict) else None
    if not isinstance(dependencies, list):
        raise ValueError(f"{source}: expected a 'dependencies:' list at the top level")
    sections = [
        entry["pip"] for entry in dependencies if isinstance(entry, dict) and "pip" in entry
    ]
    if len(sections) != 1 or not isinstance(sections[0], list):
        raise ValueError(
            f"{source}: expected exactly one 'pip:' list under 'dependencies', "
            f"found {len(sections)}"
        )
    pins: dict[str, str] = {}
    for position, entry in enumerate(sections[0], start=1):
        where = f"{source} pip entry {position}"
        if not isinstance(entry, str):
            raise ValueError(f"{where}: expected a string, got {entry!r}")
        if entry.strip().startswith("-"):
            continue
        _add_pin(pins, entry, where)
    return pins


def read_environment_pins(path: str | Path) -> dict[str, str]:
    """Read the pip pins of an ``environment.yml`` file.

    Parameters
    ----------
    path : str or pathlib.Path
        The conda environment file.

    Returns
    -------
    dict of str to str
        Normalised package name to pinned version, in the file's order.

    See Also
    --------
    parse_environment_pins : the same on the file's text, with an example.
    """
    path = Path(path)
    return parse_environment_pins(path.read_text(encoding="utf-8"), source=path.name)


def render_environment(
    pins: Mapping[str, str], *, name: str = "revopslab", python: str = PYTHON_VERSION
) -> str:
    """Write the text of a conda environment file that installs exactly these pins.

    conda provides Python and pip only; every package comes from pip at the pinned version,
    so a conda user gets the same versions as the pip lock. The last pip entry, ``-e .``,
    installs revopslab itself (conda resolves it against the directory of the file).

    Parameters
    ----------
    pins : mapping of str to str
        Package name to version, in the order to write them (usually ``read_lock_pins``).
    name : str, optional
        The conda environment's name.
    python : str, optional
        The Python version conda installs.

    Returns
    -------
    str
        The YAML text, ending with a newline.

    Examples
    --------
    >>> print(render_environment({"numpy": "2.4.6", "pywinpty ; os_name == 'nt'": "3.1.2"}),
    ...       end="")
    # RevOps Lab for conda users: the same pins as requirements.lock, installed through pip.
    #   conda env create -f environment.yml && conda activate revopslab
    # Generated from requirements.lock by `python -m revopslab._lock`: do not edit by hand.
    name: revopslab
    channels:
      - conda-forge
      - nodefaults
    dependencies:
      - python=3.11
      - pip
      - pip:
          - numpy==2.4.6
          - pywinpty==3.1.2 ; os_name == 'nt'
          - -e .
    """
    lines = [
        _HEADER.rstrip("\n"),
        f"name: {name}",
        "channels:",
        "  - conda-forge",
        "  - nodefaults",
        "dependencies:",
        f"  - python={python}",
        "  - pip",
        "  - pip:",
    ]
    for key, version in pins.items():
        marker = pin_marker(key)
        lines.append(f"      - {pin_name(key)}=={version}" + (f" ; {marker}" if marker else ""))
    lines.append("      - -e .")
    return "\n".join(lines) + "\n"


def diff_pins(lock: Mapping[str, str], environment: Mapping[str, str]) -> list[str]:
    """List every disagreement between the lock's pins and the environment file's pins.

    Parameters
    ----------
    lock : mapping of str to str
        Pins of ``requirements.lock`` (the reference).
    environment : mapping of str to str
        Pins of ``environment.yml``.

    Returns
    -------
    list of str
        One message per package that is missing, extra or pinned differently, naming the
        package and both versions; empty when the two agree. Names are compared normalised.

    Examples
    --------
    >>> diff_pins({"numpy": "2.4.6", "pandas": "3.1.1"}, {"numpy": "2.4.5", "tqdm": "4.70.1"})
    ['numpy: requirements.lock pins 2.4.6, environment.yml pins 2.4.5', \
'pandas: requirements.lock pins 3.1.1, environment.yml does not list it', \
'tqdm: environment.yml pins 4.70.1, requirements.lock does not list it']
    >>> diff_pins({"PyYAML": "6.0.4"}, {"pyyaml": "6.0.4"})
    []
    """
    locked = {_normalise_key(package): version for package, version in lock.items()}
    listed = {_normalise_key(package): version for package, version in environment.items()}
    problems = []
    for package in sorted(locked.keys() | listed.keys()):
        if package not in listed:
            problems.append(
                f"{package}: {LOCK_FILE} pins {locked[package]}, "
                f"{ENVIRONMENT_FILE} does not list it"
            )
        elif package not in locked:
            problems.append(
                f"{package}: {ENVIRONMENT_FILE} pins {listed[package]}, "
                f"{LOCK_FILE} does not list it"
            )
        elif locked[package] != listed[package]:
            problems.append(
                f"{package}: {LOCK_FILE} pins {locked[package]}, "
                f"{ENVIRONMENT_FILE} pins {listed[package]}"
            )
    return problems


def sync_environment(repo_root: str | Path = ".") -> Path:
    """Rewrite ``environment.yml`` from ``requirements.lock`` (run after ``make lock``).

    Parameters
    ----------
    repo_root : str or pathlib.Path, optional
        The directory holding ``requirements.lock``; ``environment.yml`` is written beside it.

    Returns
    -------
    pathlib.Path
        The environment file written.
    """
    root = Path(repo_root)
    target = root / ENVIRONMENT_FILE
    text = render_environment(read_lock_pins(root / LOCK_FILE))
    target.write_text(text, encoding="utf-8")
    return target


if __name__ == "__main__":
    written = sync_environment(sys.argv[1] if len(sys.argv) > 1 else ".")
    print(f"wrote {written}")
