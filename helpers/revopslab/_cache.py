"""A bounded, content-addressed disk cache of simulated companies.

The simulation is deterministic: the same configuration, seed and simulator code give the
same tables. The notebooks, their solutions and the tests simulate the same companies again
and again in separate processes (every notebook simulates the default company, nbval and
papermill re-run them), so :func:`revopslab.simulate.simulate_company` asks this cache first.

What is stored, and how much
    * Only companies simulated from an int seed (a Generator or a SeedSequence is never
      cached).
    * Only what is reused: the first simulation of a company leaves a zero-byte marker; a
      company is stored when it is simulated a second time (in any process). Experiments
      that run many arms over many seeds once each leave markers, not tables.
    * Tables are pickled and zlib-compressed at level 1 (the default company: 3.8 MB; level 6
      saves 15 % of the bytes for seven times the time).
    * The folder is capped (:data:`DEFAULT_MAX_MB`, or ``REVOPSLAB_CACHE_MAX_MB``): after
      each store the least recently used entries are deleted until it fits.

Measurements of experiment runs
    :func:`revopslab.sweep.sweep` reads a few numbers off each simulated run (a *measure*).
    When the measure is a function of the package (not a lambda or a closure, whose code the
    key cannot see), those numbers are stored the first time, as a small JSON file keyed on
    the company's key, the measure's name and arguments, and the source of every module of
    the package. The two editions of a notebook, and a test that reruns a chapter's claim,
    then read an experiment back instead of simulating every arm again.

Results of slow analyses
    :func:`cached_call` runs a deterministic function of the package (a backtest, a curve of
    F1 by noise, a bottleneck hunt) once and stores what it returns, keyed on the function,
    its arguments (a company by the content of its tables) and the source of every module of
    the package. Stored the first time, like a measurement: the Japanese twin of a notebook,
    and a test that reruns a notebook with the same parameters, read the answer back.

The key
    A SHA-256 of the package version, the source of every revopslab module the simulator
    imports, the Python, numpy, pandas and scipy versions, the seed, and the configuration and
    history written out field by field. Editing the simulator changes the key, so a stale
    company is never returned.

Where
    ``REVOPSLAB_CACHE_DIR`` if set (the repository's ``conftest.py`` and the Makefile set it
    to ``.cache/companies`` in the checkout, which git ignores); otherwise the cache is off.
    ``REVOPSLAB_CACHE=off`` turns it off whatever the folder (the simulator's own
    determinism tests run that way). ``rm -rf .cache`` empties it.
"""

from __future__ import annotations

import ast
import contextlib
import dataclasses
import functools
import hashlib
import json
import math
import os
import pickle
import sys
import tempfile
import zlib
from collections.abc import Iterator, Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any

__all__ = [
    "DEFAULT_MAX_MB",
    "cache_dir",
    "cached_call",
    "company_key",
    "disabled",
    "load",
    "load_measure",
    "measure_key",
    "store",
    "store_measure",
    "switched_off",
    "usage",
]

#: Size cap of the cache folder in megabytes when ``REVOPSLAB_CACHE_MAX_MB`` is not set.
DEFAULT_MAX_MB = 300
#: Markers (companies simulated once) kept at most; the oldest go first.
MAX_MARKERS = 20_000
#: Measurements of experiment runs kept at most (a few hundred bytes each); oldest go first.
MAX_MEASURES = 50_000
_SUFFIX = ".pkl.z"
_MARKER = ".seen"
_MEASURE = ".measure.json"
_RESULT = ".result.z"
#: Arguments that change how a function reports its work, never what it returns.
_NOT_IN_KEY = frozenset({"progress"})
_FORMAT = 1  # bump when the stored layout changes
_PACKAGE = Path(__file__).resolve().parent


def switched_off() -> bool:
    """True when ``REVOPSLAB_CACHE`` turns every cache off (the disk cache, the warm-ups).

    Examples
    --------
    >>> with disabled():
    ...     switched_off()
    True
    """
    return os.environ.get("REVOPSLAB_CACHE", "").strip().lower() in {"0", "off", "false", "no"}


def cache_dir() -> Path | None:
    """The cache folder, or None when the cache is off.

    Examples
    --------
    >>> with disabled():
    ...     cache_dir() is None
    True
    """
    if switched_off():
        return None
    folder = os.environ.get("REVOPSLAB_CACHE_DIR", "").strip()
    return Path(folder) if folder else None


@contextlib.contextmanager
def disabled() -> Iterator[None]:
    """Turn the cache off inside a ``with`` block (this process and the kernels it starts)."""
    before = os.environ.get("REVOPSLAB_CACHE")
    os.environ["REVOPSLAB_CACHE"] = "off"
    try:
        yield
    finally:
        if before is None:
            del os.environ["REVOPSLAB_CACHE"]
        else:
            os.environ["REVOPSLAB_CACHE"] = before


def _max_bytes() -> int:
    raw = os.environ.get("REVOPSLAB_CACHE_MAX_MB", "").strip()
    if not raw:
        return DEFAULT_MAX_MB * 1_000_000
    try:
        megabytes = float(raw)
    except ValueError:
        raise ValueError(
            f"REVOPSLAB_CACHE_MAX_MB must be a number of megabytes, got {raw!r}") from None
    if megabytes < 0:
        raise ValueError(f"REVOPSLAB_CACHE_MAX_MB must be >= 0, got {raw!r}")
    return int(megabytes * 1_000_000)


def _canonical(value: Any) -> Any:
    """A JSON-ready form of a configuration that two equal configurations share.

    Examples
    --------
    >>> from types import MappingProxyType
    >>> _canonical(MappingProxyType({"b": 1.0, "a": (2, None)}))
    {'a': [2, None], 'b': 'f1.0'}
    """
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        fields = {f.name: _canonical(getattr(value, f.name)) for f in dataclasses.fields(value)}
        return {"__class__": type(value).__qualname__, **fields}
    if isinstance(value, Mapping):
        return {str(k): _canonical(v) for k, v in sorted(value.items(), key=lambda kv: str(kv[0]))}
    if isinstance(value, (list, tuple)):
        return [_canonical(v) for v in value]
    if isinstance(value, float):
        return "f" + repr(value)  # 1 and 1.0 are one config, but keep the type visible
    if value is None or isinstance(value, (bool, int, str)):
        return value
    raise TypeError(f"cannot key a configuration field of type {type(value).__name__}")


def _module_imports(path: Path) -> set[str]:
    """The revopslab modules a module imports relatively (``from .x import ...``)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.level == 1:
            if node.module:
                names.add(node.module.split(".")[0])
            else:
                names.update(alias.name for alias in node.names)
    return names


@lru_cache(maxsize=1)
def _code_digest() -> str:
    """Digest of the simulator's code: simulate.py and every revopslab module it reaches."""
    import numpy
    import pandas
    import scipy

    from . import __version__

    seen: set[str] = set()
    todo = ["simulate"]
    while todo:
        name = todo.pop()
        if name in seen or not (_PACKAGE / f"{name}.py").is_file():
            continue
        seen.add(name)
        todo.extend(_module_imports(_PACKAGE / f"{name}.py"))
    digest = hashlib.sha256()
    for part in (f"format={_FORMAT}", __version__, numpy.__version__, pandas.__version__,
                 scipy.__version__, f"python={sys.version_info.major}.{sys.version_info.minor}"):
        digest.update(part.encode() + b"\0")
    for name in sorted(seen):
        digest.update(name.encode() + b"\0" + (_PACKAGE / f"{name}.py").read_bytes() + b"\0")
    return digest.hexdigest()


def company_key(config, seed: int, history=None) -> str:
    """The content address of ``simulate_company(config, rng=seed, history=history)``.

    Examples
    --------
    >>> from revopslab.config import CompanyConfig
    >>> key = company_key(CompanyConfig(), 2024)
    >>> len(key), key == company_key(CompanyConfig(), 2024)
    (64, True)
    >>> key == company_key(CompanyConfig(), 2025)
    False
    >>> key == company_key(CompanyConfig(), 2024, history=CompanyConfig())
    False
    """
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise TypeError(f"seed must be an int, got {type(seed).__name__}")
    text = json.dumps({"code": _code_digest(), "seed": seed, "config": _canonical(config),
                       "history": _canonical(history)}, sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()


def _paths(folder: Path, key: str) -> tuple[Path, Path]:
    return folder / f"{key}{_SUFFIX}", folder / f"{key}{_MARKER}"


def load(key: str) -> dict[str, Any] | None:
    """The stored fields of a company (``as_of`` and every table), or None on a miss.

    A hit marks the entry as recently used. An unreadable entry (truncated, another
    format) counts as a miss and is deleted.
    """
    folder = cache_dir()
    if folder is None:
        return None
    fields = _read(_paths(folder, key)[0])
    return None if fields is _MISSING else fields


_MISSING = object()


def _read(path: Path) -> Any:
    """The object pickled at ``path``, or :data:`_MISSING`; a hit is marked recently used.

    An unreadable entry (truncated, another format) is a miss and is deleted.
    """
    try:
        payload = path.read_bytes()
    except OSError:
        return _MISSING
    try:
        value = pickle.loads(zlib.decompress(payload))
    except Exception:  # noqa: BLE001 - a damaged entry is a miss, never an error
        with contextlib.suppress(OSError):
            path.unlink()
        return _MISSING
    with contextlib.suppress(OSError):
        os.utime(path)
    return value


def _write(folder: Path, path: Path, value: Any) -> bool:
    """Pickle ``value`` to ``path`` atomically (within the size cap); True if written.

    Errors (a read-only or full disk, an object that cannot be pickled) are ignored: the
    cache only ever saves time.
    """
    try:
        payload = zlib.compress(pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL), 1)
    except Exception:  # noqa: BLE001 - what cannot be pickled is simply not stored
        return False
    max_bytes = _max_bytes()
    if len(payload) > max_bytes:
        return False
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=folder, prefix=".tmp-", delete=False) as handle:
            handle.write(payload)
        os.replace(handle.name, path)  # atomic: a reader sees the whole entry or none
        _evict(folder, max_bytes=max_bytes)
        return True
    except OSError:
        return False


def store(key: str, fields: Mapping[str, Any]) -> bool:
    """Store a company simulated a second time; mark one simulated the first time.

    Returns True if the company was written. Errors writing the cache (a read-only or full
    disk) are ignored: the cache only ever saves time.
    """
    folder = cache_dir()
    if folder is None:
        return False
    path, marker = _paths(folder, key)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        if not marker.exists():
            marker.touch()
            _evict(folder, max_bytes=_max_bytes())
            return False
    except OSError:
        return False
    return _write(folder, path, dict(fields))


def _evict(folder: Path, *, max_bytes: int) -> None:
    """Delete least recently used entries until the folder holds at most ``max_bytes``."""
    entries, markers, measures = [], [], []
    for entry in os.scandir(folder):
        try:
            info = entry.stat()
        except OSError:
            continue
        if entry.name.endswith((_SUFFIX, _RESULT)):
            entries.append((info.st_mtime, info.st_size, entry.path))
        elif entry.name.endswith(_MARKER):
            markers.append((info.st_mtime, entry.path))
        elif entry.name.endswith(_MEASURE):
            measures.append((info.st_mtime, entry.path))
    total = sum(size for _, size, _ in entries)
    for _, size, path in sorted(entries):
        if total <= max_bytes:
            break
        with contextlib.suppress(OSError):
            os.unlink(path)
            total -= size
    for _, path in (sorted(markers)[: max(0, len(markers) - MAX_MARKERS)]
                    + sorted(measures)[: max(0, len(measures) - MAX_MEASURES)]):
        with contextlib.suppress(OSError):
            os.unlink(path)


@lru_cache(maxsize=1)
def _package_digest() -> str:
    """Digest of every module of the package (what a measure may call) and the simulator's."""
    digest = hashlib.sha256(_code_digest().encode())
    for path in sorted(_PACKAGE.rglob("*.py")):
        digest.update(path.relative_to(_PACKAGE).as_posix().encode() + b"\0"
                      + path.read_bytes() + b"\0")
    return digest.hexdigest()


def _measure_identity(measure: Any) -> list | None:
    """``[module, name, args, keywords]`` of a package function (or a partial of one), else None.

    Examples
    --------
    >>> from revopslab.experiments import outcomes
    >>> _measure_identity(outcomes)
    ['revopslab.experiments', 'outcomes', [], {}]
    >>> _measure_identity(functools.partial(outcomes)) == _measure_identity(outcomes)
    True
    >>> _measure_identity(lambda company: {}) is None  # its code is not in the key
    True
    """
    func, args, keywords = measure, (), {}
    if isinstance(measure, functools.partial):
        func, args, keywords = measure.func, measure.args, measure.keywords
    module = getattr(func, "__module__", None) or ""
    name = getattr(func, "__qualname__", None) or ""
    if not module.startswith("revopslab.") or not name or "<" in name:
        return None  # a lambda, a closure or code outside the package
    try:
        return [module, name, _canonical(list(args)), _canonical(dict(keywords))]
    except TypeError:
        return None


def measure_key(company: str, measure: Any) -> str | None:
    """The address of what ``measure`` reads off the company keyed ``company``, or None.

    None when the cache is off or when ``measure`` is not a function of the package (a
    lambda or a closure: the key could not tell two versions of its code apart).

    Examples
    --------
    >>> from revopslab.config import CompanyConfig
    >>> from revopslab.experiments import outcomes
    >>> import tempfile
    >>> os.environ.setdefault("REVOPSLAB_CACHE_DIR", tempfile.mkdtemp()) and None
    >>> key = measure_key(company_key(CompanyConfig(), 2024), outcomes)
    >>> len(key), key == measure_key(company_key(CompanyConfig(), 2025), outcomes)
    (64, False)
    >>> measure_key(company_key(CompanyConfig(), 2024), lambda company: {}) is None
    True
    """
    identity = _measure_identity(measure)
    if identity is None or cache_dir() is None:
        return None
    text = json.dumps({"package": _package_digest(), "company": company, "measure": identity},
                      sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()


def load_measure(key: str | None) -> dict[str, float] | None:
    """The numbers stored under ``key`` (in their order), or None on a miss or when off."""
    folder = cache_dir()
    if key is None or folder is None:
        return None
    path = folder / f"{key}{_MEASURE}"
    try:
        values = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(values, list) or not all(
            isinstance(v, list) and len(v) == 2 and isinstance(v[0], str) for v in values):
        with contextlib.suppress(OSError):
            path.unlink()  # damaged: a miss, replaced on the next store
        return None
    with contextlib.suppress(OSError):
        os.utime(path)
    return {name: float(value) for name, value in values}


def store_measure(key: str | None, values: Mapping[str, float]) -> bool:
    """Store the numbers a measure read off one run (atomically); True if written.

    Only finite and NaN floats are stored (JSON round-trips them exactly); errors writing
    the cache are ignored, as it only ever saves time.
    """
    folder = cache_dir()
    if key is None or folder is None:
        return False
    try:
        rows = [[str(name), float(value)] for name, value in values.items()]
    except (TypeError, ValueError):
        return False
    if any(math.isinf(value) for _, value in rows):
        return False
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile("w", dir=folder, prefix=".tmp-", suffix=".json",
                                         delete=False, encoding="utf-8") as handle:
            json.dump(rows, handle)
        os.replace(handle.name, folder / f"{key}{_MEASURE}")
        _evict(folder, max_bytes=_max_bytes())
        return True
    except OSError:
        return False


def usage(folder: str | os.PathLike | None = None) -> dict[str, int]:
    """What the cache holds: ``{"companies": n, "markers": m, "bytes": total}``.

    Examples
    --------
    >>> import tempfile
    >>> usage(tempfile.mkdtemp())
    {'companies': 0, 'markers': 0, 'measures': 0, 'results': 0, 'bytes': 0}
    """
    folder = Path(folder) if folder is not None else cache_dir()
    counts = {"companies": 0, "markers": 0, "measures": 0, "results": 0, "bytes": 0}
    if folder is None or not folder.is_dir():
        return counts
    for entry in os.scandir(folder):
        if entry.name.endswith(_SUFFIX):
            counts["companies"] += 1
            counts["bytes"] += entry.stat().st_size
        elif entry.name.endswith(_MARKER):
            counts["markers"] += 1
        elif entry.name.endswith(_MEASURE):
            counts["measures"] += 1
            counts["bytes"] += entry.stat().st_size
        elif entry.name.endswith(_RESULT):
            counts["results"] += 1
            counts["bytes"] += entry.stat().st_size
    return counts


def _frame_digest(frame: Any) -> str:
    """A digest of a DataFrame's columns, dtypes, index and values (TypeError if unhashable)."""
    import pandas as pd

    digest = hashlib.sha256(repr([list(map(str, frame.columns)), list(map(str, frame.dtypes))])
                            .encode())
    try:
        digest.update(pd.util.hash_pandas_object(frame, index=True).to_numpy().tobytes())
    except (TypeError, ValueError) as error:  # a cell holds a list, a dict, ...
        raise TypeError(f"cannot key a DataFrame: {error}") from None
    return digest.hexdigest()


def _argument(value: Any) -> Any:
    """The JSON-ready form of one argument of :func:`cached_call` (TypeError if it has none).

    A company is keyed by its configuration, seed, extraction date and the content of every
    table, so a company whose tables were changed in place gets another key.

    Examples
    --------
    >>> import numpy as np
    >>> _argument(range(3)), _argument(np.int64(7)), _argument({"b": (1, 2)})
    ([0, 1, 2], 7, {'b': [1, 2]})
    """
    import numpy as np
    import pandas as pd

    if isinstance(value, pd.DataFrame):
        return {"__frame__": _frame_digest(value)}
    if hasattr(value, "tables") and hasattr(value, "config") and hasattr(value, "as_of"):
        tables = {name: _frame_digest(frame) for name, frame in value.tables().items()}
        return {"__company__": [_canonical(value.config), _argument(value.seed),
                                str(value.as_of), tables]}
    if isinstance(value, np.generic):
        return _argument(value.item())
    if isinstance(value, range):
        return list(value)
    if isinstance(value, (list, tuple)):
        return [_argument(v) for v in value]
    if isinstance(value, Mapping):
        return {str(k): _argument(v) for k, v in sorted(value.items(), key=lambda kv: str(kv[0]))}
    return _canonical(value)


def result_key(func: Any, args: tuple, kwargs: Mapping[str, Any]) -> str | None:
    """The address of ``func(*args, **kwargs)``'s result, or None when it cannot be cached.

    None when the cache is off, when ``func`` is not a function of the package, or when an
    argument has no stable form (a random Generator, an open connection, a lambda).
    ``progress`` is left out of the key: it changes what is shown, not what is returned.

    Examples
    --------
    >>> from revopslab import process
    >>> import tempfile
    >>> os.environ.setdefault("REVOPSLAB_CACHE_DIR", tempfile.mkdtemp()) and None
    >>> key = result_key(process.compound_growth, (), {"steps": 7, "progress": True})
    >>> key == result_key(process.compound_growth, (), {"steps": 7})
    True
    >>> key == result_key(process.compound_growth, (), {"steps": 6})
    False
    >>> import numpy as np
    >>> result_key(process.compound_growth, (), {"rng": np.random.default_rng(1)}) is None
    True
    """
    identity = _measure_identity(func)
    if identity is None or cache_dir() is None:
        return None
    try:
        arguments = [_argument(list(args)),
                     _argument({k: v for k, v in kwargs.items() if k not in _NOT_IN_KEY})]
    except TypeError:
        return None
    text = json.dumps({"package": _package_digest(), "function": identity[:2],
                       "arguments": arguments}, sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()


def _load_result(key: str) -> Any:
    folder = cache_dir()
    return _MISSING if folder is None else _read(folder / f"{key}{_RESULT}")


def _store_result(key: str, value: Any) -> bool:
    folder = cache_dir()
    return folder is not None and _write(folder, folder / f"{key}{_RESULT}", value)


def cached_call(func: Any, /, *args: Any, **kwargs: Any) -> Any:
    """``func(*args, **kwargs)``, read back from the cache when it was computed before.

    For deterministic functions of the package only, whose result does not depend on the
    bound language (:mod:`revopslab._lang`) or on anything else outside their arguments: the
    key (:func:`result_key`) holds the function's name, its arguments and the source of every
    module of the package, so an edit anywhere in the package recomputes. A call whose key
    cannot be formed (the cache off, a Generator as ``rng``) runs as if there were no cache;
    so does every call of a function that is not the package's. What is returned is a fresh
    copy each time it is read back, so a caller that changes it cannot change the stored
    answer.

    Examples
    --------
    >>> from revopslab import process
    >>> import tempfile
    >>> os.environ.setdefault("REVOPSLAB_CACHE_DIR", tempfile.mkdtemp()) and None
    >>> first = cached_call(process.compound_growth, steps=7, years=[3])
    >>> again = cached_call(process.compound_growth, steps=7, years=[3])
    >>> again.equals(first), again is first
    (True, False)
    """
    key = result_key(func, args, kwargs)
    if key is not None:
        found = _load_result(key)
        if found is not _MISSING:
            return found
    value = func(*args, **kwargs)
    if key is not None:
        _store_result(key, value)
    return value


if __name__ == "__main__":
    print(cache_dir(), usage())
