"""The report's parameters: one spec drives validation, the CLI, grid keys and the notebook."""

from __future__ import annotations

import ast
import dataclasses
import os
from collections.abc import Callable, Mapping, Sequence
from types import MappingProxyType
from typing import Any

import numpy as np
import pandas as pd

from .. import metrics
from ..vocabulary import DEFAULT_SEED, LANGUAGES, SEGMENTS

__all__ = ["Parameter", "SPEC", "DEFAULT_PARAMETERS", "PROFILES", "MAPPINGS",
           "ReportParameterError", "check_parameters", "injected_parameters",
           "parameters_cell", "month_pair"]

#: Company profiles a simulated report can use (``revopslab.config.PROFILES``).
PROFILES: tuple[str, ...] = ("default", "siloed", "startup", "enterprise", "plg", "mlg")
#: Column mappings of a CRM export (``revopslab.crm.CRM_TEMPLATES``).
MAPPINGS: tuple[str, ...] = ("salesforce", "hubspot")


class ReportParameterError(ValueError):
    """Parameters the report cannot run with; lists every problem at once.

    Attributes
    ----------
    problems : tuple of str
        One sentence per problem, each naming the parameter, what was expected
        and what was passed.

    Examples
    --------
    >>> print(ReportParameterError(["lang must be 'en' or 'ja', got 'fr'"]))
    1 problem with the report's parameters:
    - lang must be 'en' or 'ja', got 'fr'
    """

    def __init__(self, problems: Sequence[str]) -> None:
        self.problems = tuple(problems)
        count = len(self.problems)
        super().__init__(f"{count} problem{'s' if count != 1 else ''} with the report's "
                         "parameters:\n" + "\n".join(f"- {p}" for p in self.problems))

    def __reduce__(self):
        return (type(self), (self.problems,))


# ============================================================================ checks
def _is_int(value: Any) -> bool:
    return isinstance(value, int | np.integer) and not isinstance(value, bool | np.bool_)


def _is_number(value: Any) -> bool:
    return _is_int(value) or (isinstance(value, float | np.floating) and np.isfinite(value))


def _plain(value: Any) -> Any:
    """``value`` as the plain Python type papermill translates safely (str, int, float ...)."""
    if isinstance(value, os.PathLike):
        return os.fspath(value)
    if isinstance(value, np.bool_):
        return bool(value)
    if _is_int(value):
        return int(value)
    if isinstance(value, np.floating):
        return float(value)
    if isinstance(value, np.str_):
        return str(value)
    if isinstance(value, tuple | list):
        return [_plain(v) for v in value]
    if isinstance(value, Mapping):
        return {str(k) if isinstance(k, np.str_) else k: _plain(v) for k, v in value.items()}
    return value


def _is_mapping_file(value: Any) -> bool:
    from ..crm import MAPPING_SUFFIXES

    return (isinstance(value, str) and "\x00" not in value
            and value.casefold().endswith(MAPPING_SUFFIXES))


def _path_ok(value: Any) -> bool:
    return isinstance(value, str) and bool(value.strip()) and "\x00" not in value


def _check_source(v: Any, p: Mapping[str, Any]) -> str | None:
    if not _path_ok(v):
        return f"source must be 'simulated' or the path of a CRM export (CSV or .xlsx), got {v!r}"
    return None


def _check_mapping(v: Any, p: Mapping[str, Any]) -> str | None:
    if isinstance(v, Mapping):
        bad = [k for k, h in v.items() if not isinstance(k, str) or not (
            isinstance(h, str) or (isinstance(h, list) and all(isinstance(x, str) for x in h)))]
        if bad:
            return ("mapping as a dict must map column names (str) to a header (str) or a list "
                    f"of headers, got bad entries for {bad!r}")
        return None
    if v in MAPPINGS or _is_mapping_file(v):
        return None
    return (f"mapping must be one of {', '.join(map(repr, MAPPINGS))}, the path of a mapping "
            "file (.yaml, see `revopslab mapping suggest`) or a dict {our column: your header}, "
            f"got {v!r}")


def _check_related(name: str, what: str) -> Callable[[Any, Mapping[str, Any]], str | None]:
    def check(v: Any, p: Mapping[str, Any]) -> str | None:
        if v is None:
            return None
        if not _path_ok(v):
            return f"{name} must be None or the path of a {what} export (CSV or .xlsx), got {v!r}"
        if p.get("source") == "simulated":
            return (f"{name} must be None when source is 'simulated' (the simulated company has "
                    f"its own {what} data); pass your opportunity export as source, got {v!r}")
        return None
    return check


def _check_table_mapping(name: str, kind: str) -> Callable[[Any, Mapping[str, Any]], str | None]:
    def check(v: Any, p: Mapping[str, Any]) -> str | None:
        from ..crm import TABLE_TEMPLATES

        names = tuple(TABLE_TEMPLATES[kind])
        if isinstance(v, Mapping):
            bad = [k for k, h in v.items() if not isinstance(k, str) or not (
                isinstance(h, str) or (isinstance(h, list) and all(isinstance(x, str)
                                                                   for x in h)))]
            return None if not bad else (
                f"{name} as a dict must map column names (str) to a header (str) or a list of "
                f"headers, got bad entries for {bad!r}")
        if v in names or _is_mapping_file(v):
            return None
        return (f"{name} must be one of {', '.join(map(repr, names))}, the path of a mapping "
                f"file (.yaml) or a dict {{our column: your header}}, got {v!r}")
    return check


def _check_as_of(v: Any, p: Mapping[str, Any]) -> str | None:
    if v is None:
        return None
    try:
        if not isinstance(v, str):
            raise TypeError
        pd.Timestamp(v)
    except (TypeError, ValueError):
        return f"as_of must be None or a date such as '2025-07-01', got {v!r}"
    return None


def _check_segment(v: Any, p: Mapping[str, Any]) -> str | None:
    if v is None:
        return None
    if p.get("source") == "simulated" and v not in SEGMENTS:
        return (f"segment must be one of {', '.join(map(repr, SEGMENTS))} or None for a simulated "
                f"company, got {v!r}")
    if not isinstance(v, str) or not v.strip():
        return f"segment must be None or a segment name (str), got {v!r}"
    return None


def _range(name: str, low: float, high: float, what: str, *, integer: bool
           ) -> Callable[[Any, Mapping[str, Any]], str | None]:
    def check(v: Any, p: Mapping[str, Any]) -> str | None:
        ok = (_is_int(v) if integer else _is_number(v)) and low <= v <= high
        kind = "an int" if integer else "a number"
        return None if ok else f"{name} must be {kind} from {low:g} to {high:g} ({what}), got {v!r}"
    return check


def _choice(name: str, choices: Sequence[Any]) -> Callable[[Any, Mapping[str, Any]], str | None]:
    def check(v: Any, p: Mapping[str, Any]) -> str | None:
        if v in choices and type(v) is type(choices[0]) or (v is None and None in choices):
            return None
        return f"{name} must be one of {', '.join(map(repr, choices))}, got {v!r}"
    return check


_PERIOD_EXPECTED = ("period must be None (the 12 months before the extraction date), a year "
                    "'2025', a quarter '2025Q3', a month '2025-06', a range '2025-01:2025-06' or "
                    "a list of two months, got {!r}")


def month_pair(period: Any) -> tuple[str, str] | str | None:
    """The period as :func:`revopslab.metrics.month_range` takes it; ValueError naming ``period``.

    Examples
    --------
    >>> month_pair("2025-01:2025-06"), month_pair("2025Q3"), month_pair(None)
    (('2025-01', '2025-06'), '2025Q3', None)
    """
    import re

    if period is None:
        return None
    expected = _PERIOD_EXPECTED.format(period)
    if isinstance(period, list | tuple):
        if len(period) != 2 or not all(isinstance(p, str) for p in period):
            raise ValueError(expected)
        pair: tuple[str, str] | str = (period[0], period[1])
    elif isinstance(period, str):
        match = re.match(r"^\s*(\S+?)\s*(?::|\.\.)\s*(\S+)\s*$", period)
        pair = (match[1], match[2]) if match else period.strip()
    else:
        raise ValueError(expected)
    try:
        metrics.month_range(pair)
    except ValueError:
        raise ValueError(expected) from None
    return pair


def _check_period(v: Any, p: Mapping[str, Any]) -> str | None:
    try:
        month_pair(v)
    except ValueError as error:
        return str(error)
    return None


def _check_quarantine(v: Any, p: Mapping[str, Any]) -> str | None:
    if v is None or _path_ok(v):
        return None
    return f"quarantine must be None or the path of a CSV file to write, got {v!r}"


def _check_target(v: Any, p: Mapping[str, Any]) -> str | None:
    if v is None or (_is_number(v) and v > 0):
        return None
    return (f"target must be None or the bookings target of the next quarter (a number > 0, in "
            f"the export's currency), got {v!r}")


def _check_seed(v: Any, p: Mapping[str, Any]) -> str | None:
    return None if _is_int(v) and v >= 0 else f"seed must be an int >= 0, got {v!r}"


def _check_bool(name: str) -> Callable[[Any, Mapping[str, Any]], str | None]:
    def check(v: Any, p: Mapping[str, Any]) -> str | None:
        return None if isinstance(v, bool) else f"{name} must be True or False, got {v!r}"
    return check


# ============================================================================ the spec
@dataclasses.dataclass(frozen=True)
class Parameter:
    """One parameter of the report: its default, what it means, how it is checked and typed.

    ``help`` is the one line shown by ``revopslab report --help`` and as the
    comment of the notebook's ``parameters`` cell; ``cli`` is the option's
    Python type on the command line (``None``: not a command-line option, e.g.
    ``progress``); ``group`` says which data it describes.
    """

    name: str
    default: Any
    help: str
    check: Callable[[Any, Mapping[str, Any]], str | None]
    cli: type | None = str
    group: str = "report"


#: The report's parameters, in the order of the notebook's ``parameters`` cell. Everything
#: else is derived from it: :data:`DEFAULT_PARAMETERS`, :func:`check_parameters`, the
#: options of ``revopslab report``, the keys a grid file may use and the parameters cell.
SPEC: tuple[Parameter, ...] = (
    Parameter("source", "simulated",
              "'simulated', or the path of a CRM opportunity export (CSV or .xlsx)",
              _check_source),
    Parameter("seed", DEFAULT_SEED, "simulated company: random seed", _check_seed, int,
              "simulated"),
    Parameter("profile", "default",
              "simulated company: default, siloed, startup, enterprise, plg or mlg",
              _choice("profile", PROFILES), str, "simulated"),
    Parameter("months", 36, "simulated company: months of history",
              _range("months", 12, 120, "months of history to simulate", integer=True), int,
              "simulated"),
    Parameter("scale", 1.0, "simulated company: size (1.0 is the default company)",
              _range("scale", 0.05, 20, "size of the simulated company, 1 = default",
                     integer=False), float, "simulated"),
    Parameter("mapping", "salesforce",
              "CRM export: column mapping, salesforce, hubspot or a mapping file (.yaml)",
              _check_mapping, str, "export"),
    Parameter("leads", None,
              "CRM export: a leads export (CSV or .xlsx), optional: adds the waterfall",
              _check_related("leads", "leads"), str, "export"),
    Parameter("leads_mapping", "salesforce",
              "CRM export: leads mapping, salesforce, hubspot or a .yaml file",
              _check_table_mapping("leads_mapping", "leads"), str, "export"),
    Parameter("billing", None,
              "CRM export: a billing export of MRR (CSV or .xlsx), optional: adds retention",
              _check_related("billing", "billing"), str, "export"),
    Parameter("billing_mapping", "billing",
              "CRM export: billing mapping, billing or a .yaml file",
              _check_table_mapping("billing_mapping", "billing"), str, "export"),
    Parameter("quotas", None, "CRM export: a quotas file (CSV: owner, quota), optional",
              lambda v, p: None if v is None or _path_ok(v) else
              f"quotas must be None or the path of a quotas file (CSV with owner and quota), "
              f"got {v!r}", str, "export"),
    Parameter("target", None, "CRM export: bookings target of the next quarter (for coverage)",
              _check_target, float, "export"),
    Parameter("as_of", None, "CRM export: extraction date YYYY-MM-DD (None: from the data)",
              _check_as_of, str, "export"),
    Parameter("quarantine", None,
              "CRM export: CSV file for unreadable rows (None: beside the report)",
              _check_quarantine, str, "export"),
    Parameter("period", None,
              "None (last 12 months), '2025', '2025Q3', '2025-06' or '2025-01:2025-06'",
              _check_period, str),
    Parameter("segment", None, "None (all), or a segment: SMB, MM, ENT or the export's own",
              _check_segment, str),
    Parameter("lang", "en", "'en' or 'ja': headings, sentences and chart labels",
              lambda v, p: None if v in LANGUAGES and isinstance(v, str) else
              f"lang must be 'en' or 'ja', got {v!r}", str),
    Parameter("progress", False, "show progress bars (keep False for a report)",
              _check_bool("progress"), None),
)

#: The notebook's parameters and their defaults: the ``parameters`` cell holds exactly these.
DEFAULT_PARAMETERS: Mapping[str, Any] = MappingProxyType({p.name: p.default for p in SPEC})


def check_parameters(parameters: Mapping[str, Any] | None = None, /, **values: Any
                     ) -> dict[str, Any]:
    """The report's parameters, completed with defaults and checked; every problem at once.

    A parameter value is data, never code: each must be a plain literal
    (``str``, ``int``, ``float``, ``bool``, ``None``, or for ``period`` a pair
    of months, for ``mapping`` a dict of headers). Paths may hold any character
    but NUL; they are passed through as they are. Values that only make
    sense as names (``segment``, ``profile``, ``lang``, ``mapping``) must be one
    of the known names, so a value holding quotes, newlines or code is refused
    with a message saying what was expected. Each check is the ``check`` of
    its :class:`Parameter` in :data:`SPEC`.

    Parameters
    ----------
    parameters, **values
        Names of :data:`DEFAULT_PARAMETERS` and their values (either way).

    Returns
    -------
    dict
        Every parameter of :data:`DEFAULT_PARAMETERS`, in its order.

    Raises
    ------
    ReportParameterError
        Listing every problem: an unknown name, a value of the wrong type or
        outside its choices.

    Examples
    --------
    >>> check_parameters(segment="SMB", lang="ja")["segment"]
    'SMB'
    >>> check_parameters(segment="SMB'); import os #")
    Traceback (most recent call last):
    ...
    revopslab.report.params.ReportParameterError: 1 problem with the report's parameters:
    - segment must be one of 'SMB', 'MM', 'ENT' or None for a simulated company, got ...
    """
    given = {**dict(parameters or {}), **values}
    problems = []
    unknown = [name for name in given if name not in DEFAULT_PARAMETERS]
    if unknown:
        problems.append(f"unknown parameter(s) {unknown!r}: expected names among "
                        f"{list(DEFAULT_PARAMETERS)}")
    p = {s.name: _plain(given.get(s.name, s.default)) for s in SPEC}
    for s in SPEC:
        why = s.check(p[s.name], p)
        if why:
            problems.append(why)
    if problems:
        raise ReportParameterError(problems)
    return p


def parameters_cell() -> str:
    """The source of the notebook's ``parameters`` cell, written from :data:`SPEC`.

    Examples
    --------
    >>> print(parameters_cell().splitlines()[0])
    source = "simulated"  # 'simulated', or the path of a CRM opportunity export (CSV or .xlsx)
    """
    lines = []
    for s in SPEC:
        value = f'"{s.default}"' if isinstance(s.default, str) else repr(s.default)
        lines.append(f"{s.name} = {value}  # {s.help}")
    return "\n".join(lines)


def injected_parameters(parameters: Mapping[str, Any]) -> str:
    """The code papermill will inject for ``parameters``, checked to be literals only.

    papermill 2.7 does not use ``repr``: its Python translator writes a string
    as ``"..."`` after ``unicode_escape`` and escaping ``"``, which round-trips
    any text, but it writes a name as it is and any other object (a
    ``pathlib.Path``, a tuple, a numpy number) as ``"{value}"`` *without*
    escaping, which would let a quote in a path end the string. So this
    function translates the values as papermill does, parses the result, and
    checks that it is one assignment per parameter, each of a literal equal to
    the value passed (same type).

    Returns
    -------
    str
        The injected cell's source.

    Raises
    ------
    ReportParameterError
        A name is not a parameter, or a value would not reach the notebook as
        the same literal.

    Examples
    --------
    >>> print(injected_parameters({"source": 'a"b\\n', "seed": 7}).strip())
    # Parameters
    source = "a\\"b\\n"
    seed = 7
    """
    from papermill.translators import PythonTranslator

    problems = [f"unknown parameter {name!r}: expected one of {list(DEFAULT_PARAMETERS)}"
                for name in parameters if name not in DEFAULT_PARAMETERS]
    if problems:
        raise ReportParameterError(problems)
    code = PythonTranslator.codify(dict(parameters))
    try:
        tree = ast.parse(code)
    except SyntaxError as error:
        raise ReportParameterError([f"the parameters do not translate to Python literals "
                                    f"({error.msg}); got {dict(parameters)!r}"]) from None
    seen = {}
    for node in tree.body:
        if not (isinstance(node, ast.Assign) and len(node.targets) == 1
                and isinstance(node.targets[0], ast.Name)):
            problems.append(f"the injected code has a statement that is not an assignment: "
                            f"{ast.unparse(node)!r}")
            continue
        try:
            seen[node.targets[0].id] = ast.literal_eval(node.value)
        except ValueError:
            problems.append(f"parameter {node.targets[0].id} is not injected as a literal: "
                            f"{ast.unparse(node.value)!r}")
    for name, value in parameters.items():
        if name not in seen or not _same_literal(seen[name], value):
            problems.append(f"parameter {name} = {value!r} ({type(value).__name__}) would not "
                            "reach the notebook as the same value; pass a str, int, float, "
                            "bool, None, list or dict")
    if set(seen) - set(parameters):
        extra = sorted(set(seen) - set(parameters))
        problems.append(f"the injected code assigns unexpected names {extra}")
    if problems:
        raise ReportParameterError(problems)
    return code


def _same_literal(a: Any, b: Any) -> bool:
    if type(a) is not type(b):
        return False
    if isinstance(a, list):
        return len(a) == len(b) and all(_same_literal(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(_same_literal(a[k], b[k]) for k in a)
    return a == b
