"""The report's runner (host side only): papermill, nbconvert's HTML without code, batches."""

from __future__ import annotations

import contextlib
import dataclasses
import itertools
import logging
import os
import re
import tempfile
import time
import unicodedata
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from ..vocabulary import LANGUAGES
from .data import _related_quarantine
from .params import ReportParameterError, _is_mapping_file, check_parameters, injected_parameters
from .text import _TEXT, mask_text

__all__ = ["NOTEBOOK", "ReportError", "ReportResult", "GridRun", "GridResult", "render_html",
           "run_report", "read_grid", "run_grid"]

_LANGS = LANGUAGES

#: The report notebook (``notebooks/06_revops_report.ipynb`` of the repository).
NOTEBOOK: Path = Path(__file__).resolve().parents[3] / "notebooks" / "06_revops_report.ipynb"


class ReportError(RuntimeError):
    """A report run failed inside the notebook: which cell, which error, which parameters.

    Attributes
    ----------
    cell_index : int
        Position of the failing cell in the executed notebook (the injected
        parameters cell counts).
    cell_id : str
        The cell's id (the notebook names each code cell, e.g. ``"load-data"``).
    ename, evalue : str
        The exception's class name and message.
    parameters : dict
        The parameters of the run.
    executed : pathlib.Path or None
        The executed notebook, kept with its error output.
    """

    def __init__(self, *, cell_index: int, cell_id: str, ename: str, evalue: str,
                 parameters: Mapping[str, Any], executed: Path | None) -> None:
        self.cell_index = cell_index
        self.cell_id = cell_id
        self.ename = ename
        self.evalue = evalue
        self.parameters = dict(parameters)
        self.executed = executed
        message = (f"report failed in cell {cell_index} ({cell_id!r}): {ename}: {evalue}\n"
                   f"parameters: {self.parameters!r}")
        if executed is not None:
            message += f"\nthe executed notebook, with the error, is {str(executed)!r}"
        super().__init__(message)


# ============================================================================ HTML
def render_html(notebook, out: str | os.PathLike | None = None, *, title: str | None = None
                ) -> str:
    """The executed notebook as HTML with no code: no input cells, no prompts, no stderr.

    Uses nbconvert's ``HTMLExporter(exclude_input=True, exclude_input_prompt=True,
    exclude_output_prompt=True)`` (what ``jupyter nbconvert --no-input`` does),
    drops the cells tagged ``report-hide`` (notes for the notebook's readers),
    ``parameters`` and ``injected-parameters`` (code only, and the injected
    cell's id changes on every run) and the stderr streams (warnings, logs),
    and embeds the charts.

    Parameters
    ----------
    notebook
        A path to an executed ``.ipynb`` or an ``nbformat`` notebook.
    out
        Where to write the HTML (UTF-8, atomically); not written when ``None``.
    title
        The page's title (default: the notebook's file name).

    Returns
    -------
    str
        The HTML.
    """
    import nbformat
    from nbconvert import HTMLExporter
    from nbconvert.preprocessors import TagRemovePreprocessor

    if isinstance(notebook, str | os.PathLike):
        name = Path(notebook).stem
        nb = nbformat.read(notebook, as_version=4)
    else:
        name, nb = "report", nbformat.from_dict(notebook)
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs = [o for o in cell.get("outputs", [])
                            if not (o.get("output_type") == "stream" and o.get("name") == "stderr")]
    quiet = logging.getLogger("revopslab.report.nbconvert")  # not "alt text is missing"
    quiet.setLevel(logging.ERROR)
    exporter = HTMLExporter(exclude_input=True, exclude_input_prompt=True,
                            exclude_output_prompt=True, exclude_anchor_links=True, log=quiet)
    remover = TagRemovePreprocessor(enabled=True, remove_cell_tags={
        "report-hide", "parameters", "injected-parameters"})
    exporter.register_preprocessor(remover, enabled=True)
    body, _ = exporter.from_notebook_node(nb, resources={"metadata": {"name": title or name}})
    body = _alt_texts(body, nb)
    if out is not None:  # a temporary file beside ``out``, renamed once complete
        from .._safe_io import atomic_write

        with atomic_write(out) as handle:
            handle.write(body)
    return body


_NO_ALT = 'alt="No description has been provided for this image"'


def _alt_texts(body: str, nb) -> str:
    """Each image's ``alt`` from its output's metadata (:func:`revopslab.report.show`).

    nbconvert's lab template writes no ``alt`` and fills every image with a
    placeholder; the images appear in the page in the notebook's order, so
    the placeholders are replaced in that order.
    """
    import html as html_lib

    alts = [o.get("metadata", {}).get("image/png", {}).get("alt")
            for cell in nb.cells if cell.cell_type == "code"
            for o in cell.get("outputs", []) if "image/png" in o.get("data", {})]
    parts = body.split(_NO_ALT)
    if len(parts) - 1 != len(alts):
        return body
    out = [parts[0]]
    for alt, rest in zip(alts, parts[1:], strict=True):
        out.append(f'alt="{html_lib.escape(alt, quote=True)}"' if alt else _NO_ALT)
        out.append(rest)
    return "".join(out)


# ============================================================================ running
@dataclasses.dataclass(frozen=True)
class ReportResult:
    """A report written: the HTML, the executed notebook (if kept), the time and parameters."""

    html: Path
    executed: Path | None
    seconds: float
    parameters: Mapping[str, Any]


@contextlib.contextmanager
def _environment(values: Mapping[str, str]) -> Iterator[None]:
    """Set environment variables for the kernels started inside (restored after)."""
    saved = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def _prepare(parameters: Mapping[str, Any] | None, out: Path,
             executed: Path | None = None, notebook: Path | None = None) -> dict[str, Any]:
    """Check the parameters and every path before anything runs.

    Paths are made absolute; the quarantine file defaults to beside ``out``;
    an input (the export, the mapping file, the notebook) must exist, and no
    output (``out``, ``executed``, the quarantine file) may be an input or
    another output, have a file name too long for the file system, or sit in
    a folder that cannot be written.
    """
    from .._safe_io import path_problems

    p = check_parameters(dict(parameters or {}))
    problems = []
    if p["source"] != "simulated":
        source = Path(p["source"]).expanduser()
        if not source.is_file():
            what = "a directory" if source.is_dir() else "no such file"
            problems.append(f"source must be 'simulated' or the path of an existing CRM export "
                            f"(CSV or .xlsx), got {p['source']!r} ({what})")
        p["source"] = str(source.resolve())
        if p["quarantine"] is None:
            p["quarantine"] = str(out.with_name(f"{out.stem}_quarantine.csv"))
        quarantine = Path(p["quarantine"]).expanduser()
        if not quarantine.parent.is_dir():
            problems.append(f"quarantine must be a file in an existing folder, got "
                            f"{p['quarantine']!r}")
        p["quarantine"] = str(quarantine.resolve())
    mapping = None
    if _is_mapping_file(p["mapping"]):
        mapping = Path(p["mapping"]).expanduser()
        if not mapping.is_file():
            problems.append(f"mapping must name an existing mapping file, got {p['mapping']!r} "
                            "(no such file); write one with `revopslab mapping suggest EXPORT "
                            "--out MAPPING.yaml`")
        p["mapping"] = str(mapping.resolve())
    related = {}
    for name in ("leads", "billing"):
        if p[name] is None:
            continue
        file = Path(p[name]).expanduser()
        if not file.is_file():
            problems.append(f"{name} must name an existing {name} export (CSV or .xlsx), got "
                            f"{p[name]!r} (no such file)")
        p[name] = str(file.resolve())
        related[name] = file
        if _is_mapping_file(p[f"{name}_mapping"]):
            table_mapping = Path(p[f"{name}_mapping"]).expanduser()
            if not table_mapping.is_file():
                problems.append(f"{name}_mapping must name an existing mapping file, got "
                                f"{p[f'{name}_mapping']!r} (no such file)")
            p[f"{name}_mapping"] = str(table_mapping.resolve())
            related[f"{name}_mapping"] = table_mapping
    quotas = None
    if p["quotas"] is not None:
        quotas = Path(p["quotas"]).expanduser()
        if not quotas.is_file():
            problems.append(f"quotas must name an existing CSV file (owner, quota_annual), got "
                            f"{p['quotas']!r} (no such file)")
        p["quotas"] = str(quotas.resolve())
    outputs = {"out": out, "keep-notebook": executed,
               "quarantine": None if p["source"] == "simulated" else p["quarantine"]}
    for name in ("leads", "billing"):
        if name in related:
            outputs[f"{name} quarantine"] = _related_quarantine(Path(p["quarantine"]), name)
    problems += path_problems(
        outputs,
        {"source": None if p["source"] == "simulated" else p["source"], "mapping": mapping,
         "quotas": quotas, "notebook": notebook, **related})
    if problems:
        raise ReportParameterError(problems)
    injected_parameters(p)
    return p


def _failed_cell(executed: Path, error) -> str:
    """The id of the cell that raised (papermill adds a marker cell on top of the file)."""
    import nbformat

    try:
        nb = nbformat.read(executed, as_version=4)
    except (OSError, ValueError):
        return f"cell-{error.cell_index}"
    for cell in nb.cells:
        if cell.cell_type == "code" and any(o.get("output_type") == "error"
                                            for o in cell.get("outputs", [])):
            return str(cell.get("id", f"cell-{error.cell_index}"))
    return f"cell-{error.cell_index}"


def run_report(parameters: Mapping[str, Any] | None = None, *, out: str | os.PathLike,
               notebook: str | os.PathLike = NOTEBOOK, executed: str | os.PathLike | None = None,
               kernel_name: str = "python3", timeout: float = 1800,
               title: str | None = None) -> ReportResult:
    """Run the report notebook with papermill on ``parameters`` and write it as HTML, no code.

    The parameters are checked first (:func:`check_parameters`; a CRM export
    must exist), an export's path is made absolute, and the code papermill
    will inject is verified to assign exactly these literals
    (:func:`injected_parameters`). The kernel runs with ``TQDM_DISABLE=1``
    and ``progress=False`` unless asked, so no progress bar lands in the report.

    Parameters
    ----------
    parameters
        Any of :data:`DEFAULT_PARAMETERS` (the others keep their defaults).
        With an export and no ``quarantine``, the quarantined rows go to
        ``<out stem>_quarantine.csv`` beside ``out``.
    out
        The HTML file to write.
    notebook
        The report notebook (default :data:`NOTEBOOK`).
    executed
        Where to keep the executed notebook (default: not kept, unless the run
        fails: then ``<out stem>.failed.ipynb``).
    kernel_name, timeout
        The Jupyter kernel, and the longest a cell may run (seconds).
    title
        The HTML page's title.

    Returns
    -------
    ReportResult

    Raises
    ------
    ReportParameterError
        The parameters are invalid (nothing was run).
    ReportError
        A cell failed: its index and id, the error and the parameters.
    """
    try:
        import nbconvert  # noqa: F401
        import papermill as pm
        from papermill.exceptions import PapermillExecutionError
    except ImportError as error:
        raise ImportError(f"run_report needs papermill, nbconvert and ipykernel ({error}); "
                          "install them with: pip install -e '.[dev]'") from error

    out = Path(out).expanduser().resolve()
    if not out.parent.is_dir():
        raise ReportParameterError([f"out must be a file in an existing folder, got {str(out)!r}"])
    executed = None if executed is None else Path(executed).expanduser().resolve()
    p = _prepare(parameters, out, executed, Path(notebook))
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="revopslab-report-") as folder:
        target = Path(folder) / "executed.ipynb"
        env = {"TQDM_DISABLE": "0" if p["progress"] else "1",
               "MPLBACKEND": "module://matplotlib_inline.backend_inline"}
        try:
            with _environment(env), _quiet_kernel(Path(folder)) as quiet:
                pm.execute_notebook(str(notebook), str(target), parameters=p,
                                    kernel_name=kernel_name, cwd=str(Path(notebook).parent),
                                    progress_bar=False, log_output=False,
                                    execution_timeout=timeout, **quiet)
        except PapermillExecutionError as error:
            kept = executed or out.with_name(f"{out.stem}.failed.ipynb")
            _copy_atomic(target, kept)
            raise ReportError(cell_index=error.cell_index,
                              cell_id=_failed_cell(target, error),
                              ename=error.ename, evalue=error.evalue, parameters=p,
                              executed=kept) from None
        if executed is not None:
            _copy_atomic(target, executed)
        render_html(target, out, title=title or _title(p))
    return ReportResult(html=out, executed=executed,
                        seconds=time.perf_counter() - started, parameters=p)


def _copy_atomic(source: Path, target: Path) -> None:
    from .._safe_io import atomic_write

    with atomic_write(target, mode="wb") as handle:
        handle.write(source.read_bytes())


@contextlib.contextmanager
def _quiet_kernel(folder: Path) -> Iterator[dict[str, Any]]:
    """papermill options that keep the kernel's own log off the terminal.

    The kernel logs at ERROR only (no "Kernel is running over TCP without
    encryption": it listens on 127.0.0.1 for this process alone), and its
    stderr (ZMQ tracebacks at shutdown) goes to a file in ``folder``.
    Failures still reach the report runner, as the failing cell's error.
    """
    from jupyter_client.manager import AsyncKernelManager

    log = open(folder / "kernel.log", "wb")  # noqa: SIM115 - closed below

    class QuietKernelManager(AsyncKernelManager):
        async def _async_launch_kernel(self, kernel_cmd, **kw):
            kw["stderr"] = log
            return await super()._async_launch_kernel(kernel_cmd, **kw)

    try:
        yield {"kernel_manager_class": QuietKernelManager,
               "extra_arguments": ["--IPKernelApp.log_level=ERROR",
                                   "--Application.log_level=ERROR"]}
    finally:
        log.close()


def _title(p: Mapping[str, Any]) -> str:
    head = _TEXT["title"][_LANGS.index(p["lang"])]
    simulated = ("simulated", "シミュレーション")[_LANGS.index(p["lang"])]
    source = simulated if p["source"] == "simulated" else mask_text(Path(p["source"]).name)
    parts = [head, source] + [str(p[k]) for k in ("segment",) if p[k]]
    return " · ".join(parts)


# ---------------------------------------------------------------------------- batches
@dataclasses.dataclass(frozen=True)
class GridRun:
    """One run of a batch: its name, parameters, outcome, time, output or error."""

    name: str
    parameters: Mapping[str, Any]
    ok: bool = False
    seconds: float = 0.0
    html: Path | None = None
    error: str | None = None


@dataclasses.dataclass(frozen=True)
class GridResult:
    """The runs of a batch, in order."""

    runs: tuple[GridRun, ...]
    interrupted: bool = False
    planned: int | None = None

    @property
    def failed(self) -> tuple[GridRun, ...]:
        """The runs that failed."""
        return tuple(r for r in self.runs if not r.ok)

    def summary(self) -> str:
        """A table of the runs (name, status, seconds, output or first line of the error).

        Examples
        --------
        >>> print(GridResult((GridRun("a", {}, True, 2.0, Path("a.html")),
        ...                   GridRun("b", {}, False, 1.0, None, "boom\\nmore"))).summary())
        2 runs: 1 ok, 1 failed
          a  ok      2.0 s  a.html
          b  FAILED  1.0 s  boom
        """
        width = max([len(r.name) for r in self.runs] or [1])
        lines = [f"{len(self.runs)} run{'s' if len(self.runs) != 1 else ''}: "
                 f"{len(self.runs) - len(self.failed)} ok, {len(self.failed)} failed"]
        for r in self.runs:
            status = "ok" if r.ok else "FAILED"
            detail = str(r.html) if r.ok else (r.error or "").splitlines()[0]
            lines.append(f"  {r.name:<{width}}  {status:<6}  {r.seconds:.1f} s  {detail}")
        if self.interrupted:
            lines.append(f"interrupted: {len(self.runs)} of {self.planned} runs finished (listed "
                         "above); the others did not run")
        return "\n".join(lines)


_SAFE_NAME = re.compile(r"[^A-Za-z0-9._=-]+")


def _safe_name(name: str, k: int) -> str:
    name = _SAFE_NAME.sub("-", unicodedata.normalize("NFKC", name)).strip("-.")
    return name[:80] or f"run{k + 1}"


def _short(value: Any, limit: int = 120) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[:limit] + "…"


def read_grid(grid: str | os.PathLike | Mapping | Sequence) -> list[tuple[str, dict[str, Any]]]:
    """The runs of a batch file: ``[(name, parameters), ...]``, every run checked first.

    The YAML file (read with ``yaml.safe_load``) is a list of parameter dicts,
    or a mapping with any of ``defaults`` (parameters of every run), ``runs``
    (a list of dicts, each may have a ``name``) and ``grid`` (lists of values
    whose every combination is a run). A run's name (its ``name``, else its
    parameters that differ between runs, then its ``grid`` values) becomes
    its file name, reduced to ``[A-Za-z0-9._=-]``. Names you give must be unique
    (after that reduction); a generated name that repeats another gets ``-2``,
    ``-3`` ... (never a name already taken).

    Raises
    ------
    ReportParameterError
        Every problem of every run, each prefixed with the run's name.

    Examples
    --------
    >>> runs = read_grid({"defaults": {"lang": "ja"}, "grid": {"segment": ["SMB", "MM"]}})
    >>> [(name, p["segment"], p["lang"]) for name, p in runs]
    [('segment=SMB', 'SMB', 'ja'), ('segment=MM', 'MM', 'ja')]
    """
    import yaml

    if isinstance(grid, str | os.PathLike):
        path = Path(grid)
        if not path.is_file():
            raise ReportParameterError([f"grid must be an existing YAML file, got {str(grid)!r}"])
        try:
            spec = yaml.safe_load(path.read_text(encoding="utf-8"))
        except yaml.YAMLError as error:
            raise ReportParameterError([f"grid file {str(grid)!r} is not valid YAML: "
                                        f"{error}"]) from None
    else:
        spec = grid
    if isinstance(spec, list):
        spec = {"runs": spec}
    if not isinstance(spec, Mapping) or not set(spec) <= {"defaults", "runs", "grid"} or not (
            spec.get("runs") or spec.get("grid")):
        raise ReportParameterError([
            "grid must be a list of parameter dicts, or a mapping with 'defaults', 'runs' "
            f"and/or 'grid' (lists of values to combine), got {_short(spec)}"])
    problems = []
    if not isinstance(spec.get("defaults") or {}, Mapping):
        problems.append(f"defaults must be a dict of parameters, got {_short(spec['defaults'])}")
    if not isinstance(spec.get("runs") or [], list):
        problems.append(f"runs must be a list of parameter dicts, got {_short(spec['runs'])}")
    if problems:
        raise ReportParameterError(problems)
    defaults = dict(spec.get("defaults") or {})
    runs = [dict(r) if isinstance(r, Mapping) else r for r in (spec.get("runs") or [])]
    problems = [f"runs[{k}] must be a dict of parameters, got {_short(r)}"
                for k, r in enumerate(runs) if not isinstance(r, dict)]
    combos = spec.get("grid") or {}
    if not isinstance(combos, Mapping) or not all(isinstance(v, list) and v
                                                  for v in combos.values()):
        problems.append(f"grid must map parameter names to non-empty lists of values, got "
                        f"{combos!r}")
        combos = {}
    if problems:
        raise ReportParameterError(problems)
    product = [dict(zip(combos, values, strict=True))
               for values in itertools.product(*combos.values())] if combos else [{}]
    base = runs or [{}]
    varying = [k for k in dict.fromkeys(k for r in base for k in r if k != "name")
               if len({repr(r.get(k)) for r in base}) > 1]
    named = [_safe_name(str(r["name"]), k) for k, r in enumerate(base) if "name" in r]
    twice = sorted({n for n in named if named.count(n) > 1})
    if twice:
        raise ReportParameterError([
            f"run names must be unique (each is a file name, reduced to [A-Za-z0-9._=-]); "
            f"{', '.join(map(repr, twice))} name{'s' if len(twice) == 1 else ''} more than one "
            "run"])
    out, taken, k = [], set(named), 0
    for r, c in itertools.product(base, product):
        run = {**defaults, **r, **c}
        parts = [str(r["name"])] if "name" in r else [f"{key}={r[key]}" for key in varying
                                                     if key in r]
        parts += [f"{key}={c[key]}" for key in combos if len(combos[key]) > 1]
        name = _safe_name("_".join(parts), k)
        k += 1
        if "name" not in r or len(product) > 1:
            base_name, n = name, 2
            while name in taken or name in {o[0] for o in out}:
                name, n = f"{base_name}-{n}", n + 1
            taken.add(name)
        params = {key: value for key, value in run.items() if key != "name"}
        try:
            out.append((name, check_parameters(params)))
        except ReportParameterError as error:
            problems += [f"{name}: {p}" for p in error.problems]
    if problems:
        raise ReportParameterError(problems)
    return out


def run_grid(grid: str | os.PathLike | Mapping | Sequence, *, out_dir: str | os.PathLike,
             progress: bool = True, keep_going: bool = True, **options: Any) -> GridResult:
    """Run a batch of reports (:func:`read_grid`), one HTML per run, with one progress bar.

    Every run is checked before the first starts. The progress bar (tqdm, on
    stderr) counts the runs; the kernels run with ``TQDM_DISABLE=1``, so no
    inner bar appears. A failing run is recorded (its cell, error and
    parameters, see :class:`ReportError`) and the batch goes on, unless
    ``keep_going=False``.

    Parameters
    ----------
    grid
        A YAML file or the same structure as a list or dict.
    out_dir
        Folder for ``<run name>.html`` (created if missing).
    progress
        Show the batch's progress bar.
    **options
        Passed to :func:`run_report` (``notebook``, ``timeout`` ...).

    Returns
    -------
    GridResult
        Its :meth:`~GridResult.summary` is a table of the runs.
    """
    from tqdm.auto import tqdm

    runs = read_grid(grid)
    folder = Path(out_dir).expanduser()
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise ReportParameterError([f"out_dir {str(out_dir)!r} cannot be made: "
                                    f"{error.strerror or error}"]) from None
    _check_grid_paths(runs, folder.resolve(), grid, Path(options.get("notebook", NOTEBOOK)))
    done: list[GridRun] = []
    bar = tqdm(runs, desc="reports", unit="report", disable=not progress, leave=True)
    try:
        for name, params in bar:
            bar.set_postfix_str(name)
            started = time.perf_counter()
            try:
                result = run_report(params, out=folder / f"{name}.html", **options)
            except (ReportError, ReportParameterError, OSError) as error:
                done.append(GridRun(name, params, False, time.perf_counter() - started, None,
                                    str(error)))
                if not keep_going:
                    break
            else:
                done.append(GridRun(name, result.parameters, True, result.seconds,
                                    result.html))
    except KeyboardInterrupt:
        return GridResult(tuple(done), interrupted=True, planned=len(runs))
    finally:
        bar.close()
    return GridResult(tuple(done), planned=len(runs))


def _check_grid_paths(runs: Sequence[tuple[str, dict[str, Any]]], folder: Path,
                      grid: Any, notebook: Path) -> None:
    """Every run's paths checked before the first runs; no two runs write the same file."""
    from .._safe_io import _identity

    problems, written = [], {}
    grid_file = Path(grid) if isinstance(grid, str | os.PathLike) else None
    for name, params in runs:
        out = folder / f"{name}.html"
        try:
            p = _prepare(params, out, None, notebook)
        except ReportParameterError as error:
            problems += [f"{name}: {problem}" for problem in error.problems]
            continue
        outputs = {"out": out, "quarantine": None if p["source"] == "simulated"
                   else Path(p["quarantine"])}
        for kind in ("leads", "billing"):
            if p[kind] is not None:
                outputs[f"{kind} quarantine"] = _related_quarantine(Path(p["quarantine"]), kind)
        for what, path in outputs.items():
            if path is None:
                continue
            if grid_file is not None and _identity(path) == _identity(grid_file):
                problems.append(f"{name}: {what} must not be the grid file {str(grid)!r}")
            key = _identity(path)
            if key in written:
                problems.append(f"{name}: {what} {str(path)!r} is also written by "
                                f"{written[key]}; give each run its own file")
            written[key] = f"{name} ({what})"
    if problems:
        raise ReportParameterError(problems)
