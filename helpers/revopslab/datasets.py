"""Committed datasets: save and load simulated companies as Parquet, and the data dictionary."""

from __future__ import annotations

import dataclasses
import json
import os
from collections.abc import Mapping
from pathlib import Path

import pandas as pd

from . import __version__
from .config import Channel, CompanyConfig, Segment
from .crm import CrmExport, CrmExportError, mask_pii, read_crm_export  # a user's own CRM data
from .simulate import TABLES, Company, simulate_company
from .vocabulary import LANGUAGES

__all__ = [
    "DATA_DIR",
    "DATA_DIR_ENV",
    "DICTIONARY_COLUMNS",
    "LANGUAGES",
    "resolve_data_dir",
    "available_companies",
    "save_company",
    "read_company",
    "load_company",
    "regenerate_default",
    "data_dictionary",
    "describe_table",
    "read_crm_export",
    "CrmExport",
    "CrmExportError",
    "mask_pii",
]

#: The repository's ``data/`` folder, found relative to the package
#: (``helpers/revopslab/../../data``). :data:`DATA_DIR_ENV` overrides it.
DATA_DIR: Path = Path(__file__).resolve().parents[2] / "data"

#: Environment variable that, when set, replaces :data:`DATA_DIR` (read at each call).
DATA_DIR_ENV = "REVOPSLAB_DATA_DIR"

#: Columns of ``data/dictionary.csv``, in order.
DICTIONARY_COLUMNS: tuple[str, ...] = (
    "table", "column", "dtype", "unit", "description_en", "description_ja",
)


_META = "meta.json"
_FORMAT = 1


# ----------------------------------------------------------------------------- locations
def resolve_data_dir(data_dir: str | os.PathLike | None = None, *, must_exist: bool = True
                     ) -> Path:
    """The data folder to use: ``data_dir``, else ``$REVOPSLAB_DATA_DIR``, else :data:`DATA_DIR`.

    Parameters
    ----------
    data_dir
        An explicit folder; ``None`` falls back to the environment variable
        :data:`DATA_DIR_ENV`, then to the repository's ``data/``.
    must_exist
        Raise :class:`FileNotFoundError` when the folder is not an existing
        directory (set it to false for a folder that is about to be written).

    Returns
    -------
    pathlib.Path
        The folder, as given (not resolved further).

    Examples
    --------
    >>> resolve_data_dir().name
    'data'
    >>> resolve_data_dir("/no/such/folder")
    Traceback (most recent call last):
    ...
    FileNotFoundError: data_dir must be an existing directory, got '/no/such/folder' ...
    """
    if data_dir is not None:
        path, source = Path(data_dir), "data_dir"
    elif os.environ.get(DATA_DIR_ENV):
        path, source = Path(os.environ[DATA_DIR_ENV]), f"data_dir (from ${DATA_DIR_ENV})"
    else:
        path, source = DATA_DIR, "data_dir (the package default DATA_DIR)"
    if must_exist and not path.is_dir():
        raise FileNotFoundError(
            f"{source} must be an existing directory, got {str(path)!r} (pass data_dir=..., or "
            f"set ${DATA_DIR_ENV} to the repository's data/ folder)"
        )
    return path


def available_companies(*, data_dir: str | os.PathLike | None = None) -> list[str]:
    """Names of the saved companies under ``<data_dir>/company/``, sorted.

    Examples
    --------
    >>> "default" in available_companies()
    True
    """
    root = resolve_data_dir(data_dir) / "company"
    if not root.is_dir():
        return []
    return sorted(p.name for p in root.iterdir() if (p / _META).is_file())


# ----------------------------------------------------------------------------- save / load
def _dtype_name(series: pd.Series) -> str:
    return str(series.dtype)


def save_company(company: Company, path: str | os.PathLike, *, progress: bool = False
                 ) -> dict[str, int]:
    """Write every table of ``company`` as Parquet, plus ``meta.json``, into folder ``path``.

    Files are deterministic: the same company gives byte-identical files
    (no pandas index, no pandas metadata, no timestamps, columns in table
    order, zstd compression). ``meta.json`` records the seed, the config
    (:meth:`CompanyConfig.to_dict`), ``as_of``, the package version and each
    table's row count and column dtypes, so that :func:`read_company` can
    rebuild an identical :class:`~revopslab.simulate.Company`. Parquet files
    that a previous save listed but this company lacks are removed.

    Parameters
    ----------
    company
        The company to save.
    path
        The folder to write (created if missing), e.g. ``data/company/default``.
    progress
        Show a tqdm progress bar (on stderr) while writing tables.

    Returns
    -------
    dict
        Row count per table name.

    Examples
    --------
    >>> import tempfile
    >>> from revopslab.config import CompanyConfig
    >>> small = simulate_company(CompanyConfig(months=6, scale=0.2), rng=2)
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     rows = save_company(small, tmp)
    ...     back = read_company(tmp)
    >>> rows["leads"] == len(back.leads) == len(small.leads)
    True
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    if not isinstance(company, Company):
        raise TypeError(f"company must be a revopslab Company, got {type(company).__name__}")
    folder = Path(path)
    folder.mkdir(parents=True, exist_ok=True)
    previous = _previous_tables(folder)
    tables = company.tables()
    items = tables.items()
    if progress:
        from tqdm.auto import tqdm

        items = tqdm(items, total=len(tables), desc="writing tables", unit="table")
    meta_tables = {}
    for name, frame in items:
        columns = [str(c) for c in frame.columns]
        table = pa.Table.from_pandas(frame, preserve_index=False).replace_schema_metadata(None)
        target = folder / f"{name}.parquet"
        tmp = target.with_name(target.name + ".tmp")
        pq.write_table(table, tmp, compression="zstd", compression_level=9)
        os.replace(tmp, target)
        meta_tables[name] = {
            "rows": len(frame),
            "columns": {col: _dtype_name(frame[col]) for col in columns},
        }
    for name in sorted(set(previous) - set(tables)):
        (folder / f"{name}.parquet").unlink(missing_ok=True)
    meta = {
        "format": _FORMAT,
        "revopslab_version": __version__,
        "seed": company.seed,
        "as_of": company.as_of.isoformat(),
        "as_of_unit": company.as_of.unit,
        "config": company.config.to_dict(),
        "tables": meta_tables,
    }
    text = json.dumps(meta, indent=2, ensure_ascii=False, allow_nan=False) + "\n"
    (folder / _META).write_text(text, encoding="utf-8")
    return {name: info["rows"] for name, info in meta_tables.items()}


def _previous_tables(folder: Path) -> list[str]:
    try:
        return list(json.loads((folder / _META).read_text(encoding="utf-8"))["tables"])
    except (OSError, ValueError, KeyError, TypeError):
        return []


def _config_from_dict(raw: Mapping, where: Path) -> CompanyConfig:
    known = {f.name for f in dataclasses.fields(CompanyConfig)}
    unknown = sorted(set(raw) - known)
    if unknown:
        raise ValueError(
            f"config in {where} has fields CompanyConfig does not know: {unknown}; "
            "the dataset was written by another version of revopslab (run "
            "`revopslab data regenerate`)"
        )
    values = dict(raw)
    if "segments" in values:
        values["segments"] = tuple(Segment(**s) for s in values["segments"])
    if "channels" in values:
        values["channels"] = tuple(Channel(**c) for c in values["channels"])
    return CompanyConfig(**values)


def _restore(frame: pd.DataFrame, dtypes: Mapping[str, str], where: Path) -> pd.DataFrame:
    columns = list(dtypes)
    if list(frame.columns) != columns:
        raise ValueError(
            f"columns of {where} must be {columns} as meta.json lists, got {list(frame.columns)}"
        )
    for col, dtype in dtypes.items():
        if str(frame[col].dtype) != dtype:
            frame[col] = frame[col].astype(dtype)
    return frame


def read_company(path: str | os.PathLike) -> Company:
    """Read a company that :func:`save_company` wrote into folder ``path``.

    Parameters
    ----------
    path
        The folder holding ``meta.json`` and one ``<table>.parquet`` per table.

    Returns
    -------
    Company
        Equal, table by table and dtype by dtype, to the company that was saved.

    Examples
    --------
    >>> company = read_company(resolve_data_dir() / "company" / "default")
    >>> company.seed
    2024
    """
    import pyarrow.parquet as pq

    folder = Path(path)
    meta_path = folder / _META
    if not meta_path.is_file():
        raise FileNotFoundError(
            f"path must be a folder written by save_company (with {_META}), got {str(folder)!r}"
        )
    meta = json.loads(meta_path.read_text(encoding="utf-8"))
    if meta.get("format") != _FORMAT:
        raise ValueError(
            f"{meta_path} has format {meta.get('format')!r}, expected {_FORMAT}; "
            "run `revopslab data regenerate`"
        )
    missing = sorted(set(TABLES) - set(meta["tables"]))
    if missing:
        raise ValueError(
            f"{meta_path} lacks tables {missing} that revopslab.simulate.TABLES expects; "
            "run `revopslab data regenerate`"
        )
    frames = {}
    for name in TABLES:
        file = folder / f"{name}.parquet"
        frame = pq.read_table(file).to_pandas()
        frames[name] = _restore(frame, meta["tables"][name]["columns"], file)
    as_of = pd.Timestamp(meta["as_of"])
    if meta.get("as_of_unit"):
        as_of = as_of.as_unit(meta["as_of_unit"])
    return Company(
        config=_config_from_dict(meta["config"], meta_path),
        seed=meta["seed"],
        as_of=as_of,
        **frames,
    )


def load_company(name: str = "default", *, data_dir: str | os.PathLike | None = None
                 ) -> Company:
    """Load the saved company ``name`` from ``<data_dir>/company/<name>/``.

    The committed ``default`` company equals ``simulate_company()`` (seed
    2024, ``CompanyConfig()``) table by table, and loads in a fraction of a
    second instead of simulating for several.

    Parameters
    ----------
    name
        A folder name under ``<data_dir>/company/`` (see :func:`available_companies`).
    data_dir
        The data folder (default: ``$REVOPSLAB_DATA_DIR``, else the repository's ``data/``).

    Returns
    -------
    Company

    Raises
    ------
    ValueError
        When no company called ``name`` is saved; the message lists the available names.

    Examples
    --------
    >>> company = load_company()
    >>> company.config.org_model, company.seed, str(company.as_of.date())
    ('aligned', 2024, '2026-01-01')
    >>> load_company("no_such_company")
    Traceback (most recent call last):
    ...
    ValueError: name must be one of the saved companies ['default'], got 'no_such_company' ...
    """
    root = resolve_data_dir(data_dir)
    if not isinstance(name, str):
        raise TypeError(f"name must be a str, got {type(name).__name__}")
    names = available_companies(data_dir=root)
    if name not in names:
        raise ValueError(
            f"name must be one of the saved companies {names}, got {name!r} "
            f"(in {str(root / 'company')!r})"
        )
    return read_company(root / "company" / name)


def regenerate_default(*, data_dir: str | os.PathLike | None = None, progress: bool = False
                       ) -> Path:
    """Simulate the default company and save it as ``<data_dir>/company/default/``.

    Parameters
    ----------
    data_dir
        Where to write (created if missing; default: ``$REVOPSLAB_DATA_DIR``,
        else the repository's ``data/``).
    progress
        Show a progress bar while writing tables.

    Returns
    -------
    pathlib.Path
        The folder written.
    """
    folder = resolve_data_dir(data_dir, must_exist=False) / "company" / "default"
    save_company(simulate_company(), folder, progress=progress)
    return folder


# ----------------------------------------------------------------------------- dictionary
def _dictionary_path(data_dir: str | os.PathLike | None) -> Path:
    root = resolve_data_dir(data_dir)
    path = root / "dictionary.csv"
    if not path.is_file() and data_dir is None and (DATA_DIR / "dictionary.csv").is_file():
        return DATA_DIR / "dictionary.csv"  # a data folder of companies only: use the repo's
    if not path.is_file():
        raise FileNotFoundError(f"the data dictionary must be at {str(path)!r}; it is missing")
    return path


def data_dictionary(*, data_dir: str | os.PathLike | None = None) -> pd.DataFrame:
    """Every column of every table: dtype, unit and meaning in English and Japanese.

    Reads ``data/dictionary.csv`` (UTF-8) with columns :data:`DICTIONARY_COLUMNS`.
    When ``$REVOPSLAB_DATA_DIR`` points at a folder without a dictionary,
    the repository's ``data/dictionary.csv`` is used.

    Examples
    --------
    >>> dictionary = data_dictionary()
    >>> list(dictionary.columns)
    ['table', 'column', 'dtype', 'unit', 'description_en', 'description_ja']
    >>> row = dictionary.query("table == 'mrr' and column == 'mrr'").iloc[0]
    >>> row["unit"]
    'JPY/month'
    """
    path = _dictionary_path(data_dir)
    frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")
    if tuple(frame.columns) != DICTIONARY_COLUMNS:
        raise ValueError(
            f"columns of {path} must be {list(DICTIONARY_COLUMNS)}, got {list(frame.columns)}"
        )
    return frame


def describe_table(name: str, *, lang: str = "en", data_dir: str | os.PathLike | None = None
                   ) -> pd.DataFrame:
    """The data-dictionary rows of table ``name``: column, dtype, unit and description.

    Parameters
    ----------
    name
        One of :data:`revopslab.simulate.TABLES`.
    lang
        ``"en"`` or ``"ja"``: the language of the ``description`` column.
    data_dir
        The data folder holding ``dictionary.csv`` (see :func:`data_dictionary`).

    Returns
    -------
    pandas.DataFrame
        Columns ``column``, ``dtype``, ``unit``, ``description``; one row per
        column of the table, in the table's column order.

    Examples
    --------
    >>> describe_table("nps_responses")["column"].tolist()
    ['response_id', 'account_id', 'surveyed_at', 'score', 'category']
    >>> describe_table("mrr", lang="ja").set_index("column").loc["mrr", "description"][:12]
    '月次経常収益 (MRR)'
    """
    if name not in TABLES:
        raise ValueError(f"name must be one of {list(TABLES)}, got {name!r}")
    if lang not in LANGUAGES:
        raise ValueError(f"lang must be one of {list(LANGUAGES)}, got {lang!r}")
    dictionary = data_dictionary(data_dir=data_dir)
    rows = dictionary[dictionary["table"] == name]
    out = rows[["column", "dtype", "unit", f"description_{lang}"]]
    return out.rename(columns={f"description_{lang}": "description"}).reset_index(drop=True)
