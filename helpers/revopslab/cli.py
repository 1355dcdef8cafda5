"""The ``revopslab`` command line: ``revopslab data regenerate|check|describe``."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Annotated

import pandas as pd
import typer

from . import datasets
from .simulate import DEFAULT_SEED, TABLES, Company, simulate_company

__all__ = ["app", "data_app", "compare_companies"]

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


if __name__ == "__main__":
    app()
