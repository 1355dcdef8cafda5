"""The ``revopslab`` command line: ``data regenerate``, ``data check`` and ``data describe``."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from typer.testing import CliRunner

from revopslab.cli import app
from revopslab.datasets import DATA_DIR, load_company, save_company
from revopslab.simulate import TABLES

runner = CliRunner()


def test_data_describe_in_japanese():
    result = runner.invoke(app, ["data", "describe", "leads", "--lang", "ja"])
    assert result.exit_code == 0, result.output
    assert "リード" in result.stdout
    for column in load_company().leads.columns:
        assert column in result.stdout


def test_data_describe_in_english_by_default():
    result = runner.invoke(app, ["data", "describe", "mrr"])
    assert result.exit_code == 0, result.output
    assert "Monthly recurring revenue" in result.stdout
    assert "JPY/month" in result.stdout


def test_data_describe_rejects_an_unknown_table():
    result = runner.invoke(app, ["data", "describe", "lead"])
    assert result.exit_code == 2
    assert "name must be one of" in result.output and "got 'lead'" in result.output


def test_data_check_passes_on_the_committed_data():
    result = runner.invoke(app, ["data", "check"])
    assert result.exit_code == 0, (
        "the committed data/company/default is stale: run `make data`\n" + result.output
    )
    assert "OK" in result.stdout


def test_data_check_fails_and_names_the_differing_tables(tmp_path):
    committed = load_company()
    changed = committed.replace(reps=committed.reps.iloc[:-1],
                                costs=committed.costs.assign(amount=committed.costs["amount"] + 1))
    save_company(changed, tmp_path / "company" / "default")
    result = runner.invoke(app, ["data", "check", "--data-dir", str(tmp_path)])
    assert result.exit_code == 1
    assert "  reps:" in result.stdout and "  costs:" in result.stdout
    assert "  leads:" not in result.stdout
    assert "make data" in result.stdout


def test_data_check_without_committed_data_fails(tmp_path):
    result = runner.invoke(app, ["data", "check", "--data-dir", str(tmp_path)])
    assert result.exit_code == 1
    assert "saved companies []" in result.output


def test_data_regenerate_writes_every_table(tmp_path):
    result = runner.invoke(app, ["data", "regenerate", "--data-dir", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    folder = tmp_path / "out" / "company" / "default"
    assert str(folder) in result.stdout
    for name in TABLES:
        assert (folder / f"{name}.parquet").is_file()
        assert name in result.stdout
    meta = json.loads((folder / "meta.json").read_text(encoding="utf-8"))
    assert meta["seed"] == 2024
    assert f"{meta['tables']['leads']['rows']:,} rows" in result.stdout
    # Regenerating is deterministic: the files are the committed ones, byte for byte.
    committed = DATA_DIR / "company" / "default"
    for file in sorted(p.name for p in folder.iterdir()):
        assert (folder / file).read_bytes() == (committed / file).read_bytes(), (
            f"{file} differs from data/company/default: run `make data`"
        )


def test_the_app_has_a_data_command_group():
    result = runner.invoke(app, ["--help"])
    assert result.exit_code == 0
    assert "data" in result.stdout
    result = runner.invoke(app, ["data", "--help"])
    for command in ("regenerate", "check", "describe"):
        assert command in result.stdout


@pytest.mark.parametrize("args", [["data", "describe", "reps"]])
def test_python_dash_m_runs_the_cli(args):
    done = subprocess.run([sys.executable, "-m", "revopslab.cli", *args], capture_output=True,
                          text=True, encoding="utf-8", timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    assert "quota_annual" in done.stdout
