"""The committed dataset equals a fresh simulation; save/load round-trips; the data dictionary."""

from __future__ import annotations

import json
import re

import pandas as pd
import pytest

from revopslab import datasets
from revopslab.config import CompanyConfig, company_profile
from revopslab.datasets import (
    DATA_DIR,
    DATA_DIR_ENV,
    DICTIONARY_COLUMNS,
    available_companies,
    data_dictionary,
    describe_table,
    load_company,
    read_company,
    resolve_data_dir,
    save_company,
)
from revopslab.simulate import TABLES, simulate_company

REGENERATE = "the committed data/company/default is stale: run `make data` and commit data/"
JAPANESE = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff]")
UNITS = {
    "id", "text", "category", "flag", "count", "timestamp", "date", "month", "days", "hours",
    "months", "year", "JPY", "JPY/month", "JPY/year", "share 0–1", "probability 0–1", "score 0–10",
    "score 0–100", "score 1–5",
}
# A small company that moves non-default levers, so the config round trip is exercised.
SMALL = CompanyConfig(
    months=8, scale=0.1, org_model="siloed", segment_mix={"SMB": 0.5, "MM": 0.3, "ENT": 0.2},
    conversion_multipliers={"sal_to_sql": 1.2}, speed_multipliers={"all": 1.5},
    handoff_sla_days=2.0,
)


@pytest.fixture(scope="module")
def fresh_default():
    return simulate_company()


@pytest.fixture(scope="module")
def committed_default():
    return load_company("default")


@pytest.fixture(scope="module")
def small_company():
    return simulate_company(SMALL, rng=11)


@pytest.fixture(scope="module")
def dictionary():
    return data_dictionary()


def assert_same_company(left, right) -> None:
    assert left.config == right.config
    assert left.seed == right.seed
    assert left.as_of == right.as_of
    for name in TABLES:
        pd.testing.assert_frame_equal(getattr(left, name), getattr(right, name),
                                      check_exact=True, obj=name)


# --- the committed default company ------------------------------------------------------------


def test_committed_default_lists_every_table(committed_default):
    meta = json.loads((DATA_DIR / "company/default/meta.json").read_text(encoding="utf-8"))
    assert list(meta["tables"]) == list(TABLES)
    assert meta["seed"] == 2024
    assert meta["config"] == CompanyConfig().to_dict()
    for name in TABLES:
        assert (DATA_DIR / "company/default" / f"{name}.parquet").is_file()
        assert meta["tables"][name]["rows"] == len(getattr(committed_default, name))


@pytest.mark.parametrize("name", TABLES)
def test_committed_default_table_equals_a_fresh_simulation(name, committed_default,
                                                           fresh_default):
    try:
        pd.testing.assert_frame_equal(getattr(committed_default, name),
                                      getattr(fresh_default, name), check_exact=True, obj=name)
    except AssertionError as error:
        raise AssertionError(f"{REGENERATE}\n{error}") from None


def test_committed_default_config_seed_and_as_of_equal_a_fresh_simulation(committed_default,
                                                                          fresh_default):
    assert committed_default.config == fresh_default.config == CompanyConfig(), REGENERATE
    assert committed_default.seed == fresh_default.seed == 2024
    assert committed_default.as_of == fresh_default.as_of, REGENERATE


def test_committed_default_is_a_few_megabytes():
    size = sum(p.stat().st_size for p in (DATA_DIR / "company/default").iterdir())
    assert 100_000 < size < 10_000_000


def test_load_company_reads_files_and_never_simulates(monkeypatch):
    def forbidden(*args, **kwargs):
        raise AssertionError("load_company must read data/, not simulate")

    monkeypatch.setattr(datasets, "simulate_company", forbidden)
    assert len(load_company().leads) > 0


# --- save / load ------------------------------------------------------------------------------


def test_save_and_load_round_trip_exactly(tmp_path, small_company):
    rows = save_company(small_company, tmp_path / "company" / "small")
    assert rows == {name: len(df) for name, df in small_company}
    back = load_company("small", data_dir=tmp_path)
    assert_same_company(back, small_company)
    assert back.config.segment_mix == {"SMB": 0.5, "MM": 0.3, "ENT": 0.2}
    assert isinstance(back.config.segments, tuple) and isinstance(back.config.channels, tuple)


def test_round_trip_keeps_every_dtype(tmp_path, small_company):
    save_company(small_company, tmp_path)
    back = read_company(tmp_path)
    for name, frame in small_company:
        assert getattr(back, name).dtypes.to_dict() == frame.dtypes.to_dict(), name
        assert list(getattr(back, name).columns) == list(frame.columns), name


def test_saving_twice_gives_byte_identical_files(tmp_path, small_company):
    save_company(small_company, tmp_path / "a")
    save_company(small_company, tmp_path / "b")
    files = sorted(p.name for p in (tmp_path / "a").iterdir())
    assert files == sorted([f"{name}.parquet" for name in TABLES] + ["meta.json"])
    for file in files:
        assert (tmp_path / "a" / file).read_bytes() == (tmp_path / "b" / file).read_bytes(), file


def test_meta_records_seed_config_version_and_rows(tmp_path, small_company):
    save_company(small_company, tmp_path)
    meta = json.loads((tmp_path / "meta.json").read_text(encoding="utf-8"))
    assert meta["seed"] == 11
    assert meta["config"] == SMALL.to_dict()
    assert meta["revopslab_version"]
    assert pd.Timestamp(meta["as_of"]) == small_company.as_of
    assert {name: info["rows"] for name, info in meta["tables"].items()} == {
        name: len(df) for name, df in small_company
    }


def test_saving_again_removes_tables_a_previous_save_listed(tmp_path, small_company):
    save_company(small_company, tmp_path)
    meta = json.loads((tmp_path / "meta.json").read_text(encoding="utf-8"))
    meta["tables"]["retired_table"] = {"rows": 0, "columns": {}}
    (tmp_path / "meta.json").write_text(json.dumps(meta), encoding="utf-8")
    (tmp_path / "retired_table.parquet").write_bytes(b"old")
    (tmp_path / "notes.txt").write_text("kept", encoding="utf-8")
    save_company(small_company, tmp_path)
    assert not (tmp_path / "retired_table.parquet").exists()
    assert (tmp_path / "notes.txt").is_file()


def test_empty_tables_round_trip(tmp_path, small_company):
    emptied = small_company.replace(**{name: df.iloc[:0] for name, df in small_company})
    save_company(emptied, tmp_path)
    assert_same_company(read_company(tmp_path), emptied)


def test_save_company_rejects_what_is_not_a_company(tmp_path):
    with pytest.raises(TypeError, match="company must be a revopslab Company, got dict"):
        save_company({}, tmp_path)


def test_read_company_needs_meta_json(tmp_path):
    with pytest.raises(FileNotFoundError, match="path must be a folder written by save_company"):
        read_company(tmp_path)


def test_read_company_rejects_a_config_from_another_version(tmp_path, small_company):
    save_company(small_company, tmp_path)
    meta = json.loads((tmp_path / "meta.json").read_text(encoding="utf-8"))
    meta["config"]["retired_lever"] = 1
    (tmp_path / "meta.json").write_text(json.dumps(meta), encoding="utf-8")
    with pytest.raises(ValueError, match=r"CompanyConfig does not know: \['retired_lever'\]"):
        read_company(tmp_path)


def test_unknown_dataset_name_lists_the_available_names():
    with pytest.raises(ValueError) as info:
        load_company("no_such_company")
    message = str(info.value)
    assert "name must be one of the saved companies ['default']" in message
    assert "got 'no_such_company'" in message


def test_data_dir_env_var_overrides_the_repository_data(tmp_path, monkeypatch, small_company):
    save_company(small_company, tmp_path / "company" / "tiny")
    monkeypatch.setenv(DATA_DIR_ENV, str(tmp_path))
    assert resolve_data_dir() == tmp_path
    assert available_companies() == ["tiny"]
    assert_same_company(load_company("tiny"), small_company)
    with pytest.raises(ValueError, match=r"saved companies \['tiny'\], got 'default'"):
        load_company()
    # The dictionary documents the simulator: without a copy there, the repository's is used.
    assert len(data_dictionary()) == len(pd.read_csv(DATA_DIR / "dictionary.csv"))


def test_missing_data_dir_is_a_clear_error(tmp_path, monkeypatch):
    missing = tmp_path / "nowhere"
    monkeypatch.setenv(DATA_DIR_ENV, str(missing))
    with pytest.raises(FileNotFoundError, match=r"data_dir \(from \$REVOPSLAB_DATA_DIR\) must"):
        load_company()
    with pytest.raises(FileNotFoundError, match="must be an existing directory, got"):
        load_company(data_dir=missing)


def test_default_data_dir_is_the_repository_data_folder():
    assert DATA_DIR == datasets.Path(datasets.__file__).resolve().parents[2] / "data"
    assert (DATA_DIR / "dictionary.csv").is_file()


# --- the data dictionary ----------------------------------------------------------------------


def _logical_dtype(series: pd.Series) -> str:
    """The dictionary's dtype: an object column holding only strings counts as ``str``."""
    if series.dtype == object and series.dropna().map(type).eq(str).all():
        return "str"
    return str(series.dtype)


def _columns(company) -> set[tuple[str, str]]:
    return {(name, column) for name, frame in company for column in frame.columns}


def test_dictionary_has_its_columns_and_unique_rows(dictionary):
    assert tuple(dictionary.columns) == DICTIONARY_COLUMNS
    assert not dictionary.duplicated(["table", "column"]).any()
    assert set(dictionary["table"]) == set(TABLES)


@pytest.mark.parametrize("profile", ["default", "plg", "siloed"])
def test_dictionary_covers_exactly_the_simulated_columns(profile, dictionary, fresh_default):
    if profile == "default":
        company = fresh_default
    else:
        company = simulate_company(company_profile(profile, months=12, scale=0.2), rng=3)
    documented = set(zip(dictionary["table"], dictionary["column"], strict=True))
    simulated = _columns(company)
    assert sorted(simulated - documented) == [], "columns missing from data/dictionary.csv"
    assert sorted(documented - simulated) == [], "dictionary rows for columns that do not exist"


def test_dictionary_lists_columns_in_table_order_with_their_dtypes(dictionary, fresh_default):
    for name, frame in fresh_default:
        rows = dictionary[dictionary["table"] == name]
        assert rows["column"].tolist() == list(frame.columns), name
        actual = {column: _logical_dtype(frame[column]) for column in frame.columns}
        assert dict(zip(rows["column"], rows["dtype"], strict=True)) == actual, name
    assert dictionary["table"].drop_duplicates().tolist() == list(TABLES)


def test_dictionary_descriptions_and_units_are_filled(dictionary):
    for column in ("description_en", "description_ja", "unit", "dtype"):
        blank = dictionary.loc[dictionary[column].str.strip() == "", ["table", "column"]]
        assert blank.empty, f"empty {column}: {blank.to_dict('records')}"
    assert set(dictionary["unit"]) <= UNITS, set(dictionary["unit"]) - UNITS
    not_japanese = dictionary.loc[~dictionary["description_ja"].str.contains(JAPANESE),
                                  "column"]
    assert not_japanese.empty, list(not_japanese)
    in_japanese = dictionary.loc[dictionary["description_en"].str.contains(JAPANESE), "column"]
    assert in_japanese.empty, list(in_japanese)


def test_dictionary_uses_the_books_vocabulary(dictionary):
    text = " ".join(dictionary["description_ja"])
    for term in ("リード", "商談", "受注", "失注", "解約", "月次経常収益 (MRR)", "ヘルススコア",
                 "顧客満足度 (CSAT)"):
        assert term in text, term


def test_describe_table_in_english_and_japanese(fresh_default):
    english = describe_table("leads")
    japanese = describe_table("leads", lang="ja")
    assert list(english.columns) == ["column", "dtype", "unit", "description"]
    assert english["column"].tolist() == list(fresh_default.leads.columns)
    assert japanese["column"].tolist() == english["column"].tolist()
    assert japanese["description"].str.contains(JAPANESE).all()
    assert english.index.tolist() == list(range(len(english)))


def test_describe_table_rejects_unknown_table_and_language():
    with pytest.raises(ValueError, match=r"name must be one of \[.*'leads'.*\], got 'lead'"):
        describe_table("lead")
    with pytest.raises(ValueError, match=r"lang must be one of \['en', 'ja'\], got 'fr'"):
        describe_table("leads", lang="fr")
