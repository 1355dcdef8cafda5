"""The ``revopslab`` command: ``report``, ``claims``, ``mapping suggest``, ``data ...``."""

from __future__ import annotations

import contextlib
import inspect
import json
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated

import pandas as pd
import typer

from . import datasets
from .simulate import DEFAULT_SEED, TABLES, Company, simulate_company

__all__ = ["app", "data_app", "mapping_app", "compare_companies", "report_command",
           "suggest_command", "claims_command"]

app = typer.Typer(
    name="revopslab",
    help="RevOps Lab: the simulated company's data and reports.",
    no_args_is_help=True,
    add_completion=False,
)
data_app = typer.Typer(
    help="The committed dataset in data/: regenerate it, check it, describe its tables.",
    no_args_is_help=True,
)
app.add_typer(data_app, name="data")
mapping_app = typer.Typer(
    help="Mapping files for CRM exports whose headers match no template.",
    no_args_is_help=True,
)
app.add_typer(mapping_app, name="mapping")

DataDirOption = Annotated[
    Path | None,
    typer.Option(
        "--data-dir",
        help="Data folder (default: $REVOPSLAB_DATA_DIR, else the repository's data/).",
        file_okay=False,
    ),
]


def compare_companies(committed: Company, fresh: Company) -> dict[str, str]:
    """What differs between two companies: ``{table or attribute: first line of the reason}``.

    Tables are compared exactly (values, dtypes, column order) with
    :func:`pandas.testing.assert_frame_equal`; ``config``, ``seed`` and
    ``as_of`` are compared too.

    Examples
    --------
    >>> from revopslab.config import CompanyConfig
    >>> small = simulate_company(CompanyConfig(months=6, scale=0.2), rng=2)
    >>> compare_companies(small, small)
    {}
    >>> changed = small.replace(reps=small.reps.iloc[:-1])
    >>> list(compare_companies(changed, small))
    ['reps']
    """
    differences: dict[str, str] = {}
    for attribute in ("config", "seed", "as_of"):
        if getattr(committed, attribute) != getattr(fresh, attribute):
            differences[attribute] = (
                f"{getattr(committed, attribute)!r} != {getattr(fresh, attribute)!r}"
            )
    for name in TABLES:
        try:
            pd.testing.assert_frame_equal(getattr(committed, name), getattr(fresh, name),
                                          check_exact=True)
        except AssertionError as error:
            lines = [line.strip() for line in str(error).splitlines() if line.strip()]
            differences[name] = "; ".join(lines[:3])
    return differences


@data_app.command("regenerate")
def regenerate(data_dir: DataDirOption = None) -> None:
    """Simulate the default company (seed 2024) and write it to <data-dir>/company/default/."""
    typer.echo(f"Simulating the default company (seed {DEFAULT_SEED}) ...", err=True)
    started = time.perf_counter()
    folder = datasets.regenerate_default(data_dir=data_dir, progress=True)
    elapsed = time.perf_counter() - started
    meta = json.loads((folder / "meta.json").read_text(encoding="utf-8"))
    size = sum(p.stat().st_size for p in folder.iterdir() if p.is_file())
    typer.echo(f"Wrote {folder} in {elapsed:.1f} s ({size / 1e6:.2f} MB):")
    width = max(len(name) for name in meta["tables"])
    for name, info in meta["tables"].items():
        typer.echo(f"  {name:<{width}}  {info['rows']:>8,} rows")


@data_app.command("check")
def check(data_dir: DataDirOption = None) -> None:
    """Check that the committed default company equals a fresh simulation (exit 1 if not)."""
    try:
        committed = datasets.load_company("default", data_dir=data_dir)
    except (FileNotFoundError, ValueError) as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(code=1) from error
    typer.echo(f"Simulating the default company (seed {DEFAULT_SEED}) to compare ...", err=True)
    differences = compare_companies(committed, simulate_company())
    if differences:
        typer.echo(f"The committed default company differs from a fresh simulation in "
                   f"{len(differences)} of {len(TABLES)} tables/attributes:")
        for name, reason in differences.items():
            typer.echo(f"  {name}: {reason}")
        typer.echo("Run `make data` (revopslab data regenerate) to update data/.")
        raise typer.Exit(code=1)
    typer.echo(f"OK: all {len(TABLES)} tables of the committed default company equal a fresh "
               "simulation.")


@data_app.command("describe")
def describe(
    table: Annotated[str, typer.Argument(help=f"One of: {', '.join(TABLES)}.")],
    lang: Annotated[str, typer.Option("--lang", help="Language: en or ja.")] = "en",
    data_dir: DataDirOption = None,
) -> None:
    """Print the data dictionary of one table: column, dtype, unit, description."""
    try:
        rows = datasets.describe_table(table, lang=lang, data_dir=data_dir)
    except (FileNotFoundError, ValueError) as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(code=2) from error
    typer.echo(f"{table} ({len(rows)} columns)")
    widths = {key: max(len(key), *(len(v) for v in rows[key])) for key in ("column", "dtype",
                                                                           "unit")}
    header = {"column": "column", "dtype": "dtype", "unit": "unit", "description": "description"}
    for row in [header, *rows.to_dict("records")]:
        cells = [str(row[key]).ljust(width) for key, width in widths.items()]
        typer.echo("  ".join([*cells, str(row["description"])]).rstrip())


# ----------------------------------------------------------------------------- report
def _period_option(value: str | None) -> str | list[str] | None:
    if value is None:
        return None
    if ":" in value:
        first, _, last = value.partition(":")
        return [first.strip(), last.strip()]
    return value


def _report_options() -> list[inspect.Parameter]:
    """The report command's parameter options, one per entry of ``report.SPEC``."""
    from .report.params import SPEC

    options = []
    for spec in SPEC:
        if spec.cli is None:
            continue
        flag = "--" + spec.name.replace("_", "-")
        annotation = Annotated[spec.cli | None, typer.Option(flag, help=spec.help[:1].upper()
                                                                  + spec.help[1:] + ".")]
        options.append(inspect.Parameter(spec.name, inspect.Parameter.POSITIONAL_OR_KEYWORD,
                                         default=None, annotation=annotation))
    return options


def report_command(
    out: Annotated[Path, typer.Option(help="The HTML report to write.", dir_okay=False)
                   ] = Path("report.html"),
    grid: Annotated[Path | None, typer.Option(
        help="A YAML file of runs (a list of parameter dicts, or defaults/runs/grid): run them "
             "all, one HTML each in --out-dir.", dir_okay=False)] = None,
    out_dir: Annotated[Path, typer.Option(
        "--out-dir", help="With --grid: the folder for the reports.", file_okay=False)
    ] = Path("reports"),
    keep_notebook: Annotated[Path | None, typer.Option(
        "--keep-notebook", help="Also keep the executed notebook here (one run only).",
        dir_okay=False)] = None,
    timeout: Annotated[float, typer.Option(help="Longest a notebook cell may run (s).")
                       ] = 1800.0,
    sheet: Annotated[str | None, typer.Option(
        help="CRM export (.xlsx): the sheet's name or 0-based index (default: the first).")
    ] = None,
    **given: object,
) -> None:
    """Run the RevOps report notebook with papermill and write HTML with no code in it.

    The parameter options (--source, --seed ... --lang) are those of the
    report's parameter spec (``revopslab.report.SPEC``), the same names a grid
    file and the notebook's parameters cell use.

    Exit status: 0 when every report was written; 1 when a run failed (the
    failing cell, its error and the parameters are printed) or a file could
    not be written (one line naming it); 2 when the parameters or paths are
    invalid, e.g. an output that is an input or another output (nothing is
    run); 130 when a grid is interrupted (the runs that finished are listed).
    """
    from . import report  # papermill, nbconvert and matplotlib: only for this command

    if given.get("period") is not None:
        given["period"] = _period_option(given["period"])
    parameters = {k: v for k, v in given.items() if v is not None}
    mapping = parameters.get("mapping")
    if grid is not None:
        if parameters or keep_notebook is not None or sheet is not None:
            typer.echo("error: with --grid, give the parameters in the grid file (its "
                       f"'defaults'), not as options; got {sorted(parameters)}", err=True)
            raise typer.Exit(code=2)
        with _one_line_errors():
            result = report.run_grid(grid, out_dir=out_dir, progress=True, timeout=timeout)
        typer.echo(result.summary())
        for run in result.failed:
            typer.echo(f"\n{run.name}: {run.error}", err=True)
        raise typer.Exit(code=130 if result.interrupted else 1 if result.failed else 0)
    with _one_line_errors(), tempfile.TemporaryDirectory(prefix="revopslab-") as folder:
        if sheet is not None:
            from .mapping import with_sheet

            index = int(sheet) if sheet.isdigit() else sheet
            parameters["mapping"] = str(with_sheet(mapping, index, folder))
        result = report.run_report(parameters, out=out, executed=keep_notebook,
                                   timeout=timeout)
    typer.echo(f"Wrote {result.html} in {result.seconds:.1f} s")


def _with_spec_options(command):
    """``command`` with the spec's options in its signature (typer reads the signature)."""
    signature = inspect.signature(command, eval_str=True)
    fixed = [p for p in signature.parameters.values() if p.kind is not p.VAR_KEYWORD]
    options = _report_options()
    command.__signature__ = signature.replace(parameters=options + fixed)
    command.__annotations__ = {**{p.name: p.annotation for p in options},
                               **{p.name: p.annotation for p in fixed}, "return": None}
    return command


app.command("report")(_with_spec_options(report_command))


@contextlib.contextmanager
def _one_line_errors() -> Iterator[None]:
    """The report's expected failures as ``error: ...`` on stderr and an exit code, no traceback."""
    from . import report
    from .crm import CrmExportError

    try:
        yield
    except (report.ReportParameterError, CrmExportError) as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(code=2) from None
    except report.ReportError as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(code=1) from None
    except OSError as error:
        where = error.filename or ""
        typer.echo(f"error: cannot write {str(where)!r}: {error.strerror or error}", err=True)
        raise typer.Exit(code=1) from None
    except KeyboardInterrupt:
        typer.echo("error: interrupted; nothing was written", err=True)
        raise typer.Exit(code=130) from None


# ----------------------------------------------------------------------------- mapping
@mapping_app.command("suggest")
def suggest_command(
    export: Annotated[Path, typer.Argument(help="The CRM export (CSV or .xlsx).",
                                           dir_okay=False)],
    out: Annotated[Path | None, typer.Option(
        help="Write the mapping here (YAML); default: print it.", dir_okay=False)] = None,
    sheet: Annotated[str | None, typer.Option(
        help=".xlsx: the sheet's name or 0-based index (default: the first).")] = None,
) -> None:
    """Suggest a mapping file for an export: its columns, stage labels, date order, currency.

    Headers are matched to Salesforce, HubSpot and the common names of other
    CRMs (English and Japanese), then the values decide what the headers do
    not. Check every line, then run ``revopslab report --source EXPORT
    --mapping MAPPING.yaml``. Exit 2 when the export cannot be read or
    ``--out`` is the export; required columns not found are listed, exit 1.
    """
    from ._safe_io import path_problems
    from .crm import CrmExportError
    from .mapping import suggest_mapping, write_mapping

    problems = path_problems({"out": out}, {"export": export})
    if not export.is_file():
        problems.insert(0, f"export must be an existing file, got {str(export)!r}")
    if problems:
        typer.echo("error: " + "; ".join(problems), err=True)
        raise typer.Exit(code=2)
    chosen = int(sheet) if sheet is not None and sheet.isdigit() else sheet
    try:
        suggestion = suggest_mapping(export, sheet=chosen)
    except (CrmExportError, ValueError) as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(code=2) from None
    if out is None:
        typer.echo(suggestion.to_yaml(), nl=False)
    else:
        try:
            write_mapping(suggestion, out)
        except OSError as error:
            typer.echo(f"error: cannot write {str(out)!r}: {error.strerror or error}", err=True)
            raise typer.Exit(code=1) from None
        typer.echo(f"Wrote {out}: {len(suggestion.columns)} columns, "
                   f"{len(suggestion.stages)} stage labels", err=True)
    if suggestion.missing:
        found = ", ".join(repr(h) for h in suggestion.header)
        typer.echo(f"error: no column found for {', '.join(suggestion.missing)} (required); "
                   f"the export's headers are {found}: write the right one in the file",
                   err=True)
        raise typer.Exit(code=1)


# ----------------------------------------------------------------------------- claims
@app.command("claims")
def claims_command(
    claim: Annotated[list[int] | None, typer.Option(
        "--claim", help="Run only this claim (repeat for several; default: all 15).")] = None,
    seed: Annotated[int, typer.Option(help="First seed of every claim's seeds.")] = DEFAULT_SEED,
    output: Annotated[Path | None, typer.Option(
        help="Also write the scorecard as CSV here (e.g. data/claims_scorecard.csv).",
        dir_okay=False)] = None,
    progress: Annotated[bool, typer.Option(help="Show progress bars.")] = True,
) -> None:
    """Run the book's 15 claims as experiments and print the scorecard (takes minutes).

    One row per claim: the headline effect's median and 10th-90th percentile interval over
    seeds, the share of seeds in the claimed direction and the verdict (holds, holds
    partly, does not hold here).
    """
    from ._safe_io import path_problems, write_safe_csv
    from .claims import CLAIMS, scorecard

    unknown = [n for n in claim or [] if n not in CLAIMS]
    if unknown:
        typer.echo(f"error: --claim must be among {list(CLAIMS)}, got {unknown}", err=True)
        raise typer.Exit(code=2)
    problems = path_problems({"output": output}, {})
    if problems or seed < 0:
        problems += [] if seed >= 0 else [f"--seed must be an int >= 0, got {seed}"]
        typer.echo("error: " + "; ".join(problems), err=True)
        raise typer.Exit(code=2)
    card = scorecard(claims=claim or None, seeds=seed, progress=progress)
    with pd.option_context("display.width", 200, "display.max_colwidth", 60):
        typer.echo(card[["chapter", "statement", "effect_median", "effect_low", "effect_high",
                         "share_in_direction", "seeds", "verdict"]].round(3).to_string())
    if output is not None:
        write_safe_csv(card.reset_index(), output)
        typer.echo(f"Wrote {output}", err=True)


if __name__ == "__main__":
    app()
