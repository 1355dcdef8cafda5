"""Safe outputs: atomic writes, spreadsheet-safe CSV cells, output paths checked before a run."""

from __future__ import annotations

import contextlib
import csv
import io
import os
import tempfile
from collections.abc import Iterator, Mapping
from pathlib import Path

import pandas as pd

__all__ = ["atomic_write", "csv_safe", "write_safe_csv", "path_problems"]

#: A cell a spreadsheet may run as a formula starts with one of these (OWASP, CSV injection).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_NAME_MAX = 255  # bytes in a file name on every common file system


@contextlib.contextmanager
def atomic_write(path: str | os.PathLike, *, mode: str = "w",
                 encoding: str | None = "utf-8", newline: str | None = None) -> Iterator[io.IOBase]:
    """Open a temporary file beside ``path``; on success it replaces ``path`` in one step.

    A reader never sees a half-written file, and a failure leaves ``path`` as
    it was (the temporary file is removed).

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     target = Path(folder) / "out.txt"
    ...     with atomic_write(target) as handle:
    ...         _ = handle.write("done")
    ...     print(target.read_text(), sorted(p.name for p in Path(folder).iterdir()))
    done ['out.txt']
    """
    target = Path(path)
    binary = "b" in mode
    handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name[:60]}.",
                                         suffix=".tmp")
    try:
        with os.fdopen(handle, mode, **({} if binary else {"encoding": encoding,
                                                           "newline": newline})) as stream:
            yield stream
        os.replace(temporary, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise


def csv_safe(value: object) -> object:
    """``value`` as a spreadsheet shows it but never runs it (OWASP's CSV-injection advice).

    A text starting with ``= + - @``, a TAB or a CR gets a leading ``'``, so
    Excel, LibreOffice and Google Sheets read it as text, not as a formula.

    Examples
    --------
    >>> [csv_safe(v) for v in ["=1+1", "@SUM(A1)", "-5", "\\tx", "plain", 3]]
    ["'=1+1", "'@SUM(A1)", "'-5", "'\\tx", 'plain', 3]
    """
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def write_safe_csv(frame: pd.DataFrame, path: str | os.PathLike, *,
                   encoding: str = "utf-8-sig") -> Path:
    """Write ``frame`` as CSV for a spreadsheet: every field quoted, no cell a formula, atomically.

    Every field is quoted (a value holding a comma, a quote, a newline or a
    bare CR stays one field), formula-like text is neutralised with
    :func:`csv_safe`, headers included, and the file replaces ``path`` only
    once complete (:func:`atomic_write`). UTF-8 with BOM by default, which
    Excel opens correctly.

    Examples
    --------
    >>> import tempfile
    >>> frame = pd.DataFrame({"row": [2], "reason": ["=HYPERLINK(\\"x\\")\\rsplit"]})
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     out = write_safe_csv(frame, Path(folder) / "q.csv")
    ...     text = out.read_bytes().decode("utf-8-sig")
    >>> text.splitlines()[0]
    '"row","reason"'
    >>> list(csv.reader(io.StringIO(text, newline="")))[1]
    ['2', '\\'=HYPERLINK("x")\\rsplit']
    """
    safe = frame.copy()
    safe.columns = [csv_safe(str(c)) for c in frame.columns]
    for column in safe.columns:
        if safe[column].dtype == object or pd.api.types.is_string_dtype(safe[column]):
            safe[column] = safe[column].map(csv_safe, na_action="ignore")
    with atomic_write(path, encoding=encoding, newline="") as handle:
        safe.to_csv(handle, index=False, quoting=csv.QUOTE_ALL, lineterminator="\r\n")
    return Path(path)


def path_problems(outputs: Mapping[str, str | os.PathLike | None],
                  inputs: Mapping[str, str | os.PathLike | None]) -> list[str]:
    """Why output paths are unsafe: equal to an input or another output, too long, unwritable.

    Parameters
    ----------
    outputs, inputs
        Argument name -> path (``None`` entries are ignored).

    Returns
    -------
    list of str
        One sentence per problem, naming the arguments and the path; empty when safe.

    Examples
    --------
    >>> path_problems({"out": "deals.csv"}, {"source": "./deals.csv"})
    ["out must not be the same file as source ('deals.csv'): it would overwrite your input"]
    """
    problems = []
    seen: dict[object, str] = {}
    for name, path in inputs.items():
        if path is not None:
            seen.setdefault(_identity(path), name)
    inputs_seen = dict(seen)
    for name, path in outputs.items():
        if path is None:
            continue
        key = _identity(path)
        if key in seen:
            other = seen[key]
            harm = "it would overwrite your input" if other in inputs_seen.values() else \
                "one would overwrite the other"
            problems.append(f"{name} must not be the same file as {other} ({str(path)!r}): "
                            f"{harm}")
            continue
        seen[key] = name
        target = Path(path)
        if len(os.fsencode(target.name)) > _NAME_MAX:
            size = len(os.fsencode(target.name))
            problems.append(f"{name} has a file name of {size} bytes, more than the "
                            f"{_NAME_MAX} a file system allows: {str(path)[:80]!r}...")
        elif target.is_dir():
            problems.append(f"{name} must be a file, got the folder {str(path)!r}")
        elif target.parent.is_dir() and not os.access(target.parent, os.W_OK | os.X_OK):
            problems.append(f"{name} cannot be written: no permission to write in the folder "
                            f"{str(target.parent)!r}")
    return problems


def _identity(path: str | os.PathLike) -> object:
    """The file a path names: its device and inode when it exists (hard links, symlinks,
    ``..`` and case-insensitive folders all name one file), else its resolved path."""
    target = Path(path).expanduser()
    with contextlib.suppress(OSError, ValueError):
        info = target.stat()
        return (info.st_dev, info.st_ino)
    try:
        return target.resolve()
    except (OSError, RuntimeError):
        return target.absolute()
