"""The report runner's bad-input probes (issue 15): outputs never overwrite inputs, one-line
errors, grid shapes and names, interruption, masking, no kernel noise, mapping files."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from test_crm_exports import UNFAMILIAR, write
from typer.testing import CliRunner

from revopslab import report
from revopslab.cli import app
from revopslab.datasets import DATA_DIR
from revopslab.report import ReportParameterError

runner = CliRunner()
TEMPLATE = DATA_DIR / "crm_templates" / "salesforce_opportunities_en.csv"


@pytest.fixture
def export(tmp_path) -> Path:
    path = tmp_path / "deals.csv"
    path.write_bytes(TEMPLATE.read_bytes())
    return path


def _refused(args: list[str], fragment: str) -> None:
    result = runner.invoke(app, ["report", *args])
    assert result.exit_code == 2, result.output
    assert fragment in result.output, result.output
    assert "Traceback" not in result.output


@pytest.mark.parametrize("option", ["--out", "--keep-notebook"])
def test_an_output_equal_to_the_export_is_refused_before_anything_runs(export, option):
    before = export.read_bytes()
    extra = [] if option == "--out" else ["--out", str(export.with_name("r.html"))]
    _refused(["--source", str(export), option, str(export), *extra],
             f"{option.lstrip('-')} must not be the same file as source")
    assert export.read_bytes() == before
    assert sorted(p.name for p in export.parent.iterdir()) == ["deals.csv"]


def test_an_output_reaching_the_export_by_another_name_is_refused(export):
    link = export.with_name("link.csv")
    os.link(export, link)  # a hard link: another name, the same file
    _refused(["--source", str(export), "--out", str(link)], "out must not be the same file")
    _refused(["--source", str(export), "--out", str(export.parent / "." / "x" / ".." /
                                                   "deals.csv")], "must not be the same file")


def test_the_quarantine_file_cannot_be_the_report(export):
    out = export.with_name("r.html")
    _refused(["--source", str(export), "--out", str(out), "--quarantine", str(out)],
             "quarantine must not be the same file as out")


def test_a_file_name_too_long_is_one_line_exit_2(export):
    _refused(["--source", str(export), "--out", str(export.parent / ("a" * 300 + ".html"))],
             "out has a file name of 305 bytes, more than the 255")


def test_an_unwritable_folder_is_refused_before_anything_runs(export, monkeypatch):
    real = os.access
    monkeypatch.setattr(os, "access", lambda path, mode: False if Path(path) == export.parent
                        else real(path, mode))
    _refused(["--source", str(export), "--out", str(export.with_name("r.html"))],
             f"out cannot be written: no permission to write in the folder '{export.parent}'")


def test_a_write_failing_during_the_run_is_one_line_exit_1(export, monkeypatch):
    def fail(*_, **__):
        raise PermissionError(13, "Permission denied", str(export.with_name("r.html")))

    monkeypatch.setattr(report, "run_report", fail)
    result = runner.invoke(app, ["report", "--source", str(export), "--out",
                                 str(export.with_name("r.html"))])
    assert result.exit_code == 1
    assert result.output == f"error: cannot write '{export.with_name('r.html')}': Permission " \
                            "denied\n"


@pytest.mark.parametrize("text, fragment", [
    ("runs: 5\n", "runs must be a list of parameter dicts, got 5"),
    ("defaults: [1]\nruns: [{}]\n", "defaults must be a dict of parameters, got [1]"),
    ("runs:\n- 3\n", "runs[0] must be a dict of parameters, got 3"),
    ("runs:\n- name: a\n- name: a\n- name: a-2\n", "run names must be unique"),
    ("grid: {seed: 3}\n", "grid must map parameter names to non-empty lists"),
    ("defaults: {source: SRC.csv, quarantine: SRC_q.csv}\nruns: [{lang: en}, {lang: ja}]\n",
     "is also written by"),
])
def test_bad_grid_shapes_are_one_line_exit_2(tmp_path, export, text, fragment):
    grid = tmp_path / "g.yaml"
    grid.write_text(text.replace("SRC", str(export.with_suffix(""))), encoding="utf-8")
    result = runner.invoke(app, ["report", "--grid", str(grid), "--out-dir",
                                 str(tmp_path / "out")])
    assert result.exit_code == 2, result.output
    assert fragment in result.output and "Traceback" not in result.output
    assert not list((tmp_path / "out").glob("*.html"))


def test_the_page_title_and_the_data_quality_advice_mask_personal_data():
    title = report.runner._title({"lang": "en", "segment": None,
                                  "source": "/x/tanaka@example.co.jp 090-1234-5678.csv"})
    assert title == "RevOps health report · ta***@example.co.jp 090-****-5678.csv"
    found = report.Findings(rows_read=100, rows_quarantined=10,
                            quarantine_path="/x/sato＠example.jp_q.csv")
    text = report.recommendations(found)[0].text
    assert "sa\\*\\*\\*@example.jp" in text and "sato" not in text


def test_a_mapping_file_is_a_valid_mapping_parameter(tmp_path, export):
    assert report.check_parameters(mapping="my map.yaml")["mapping"] == "my map.yaml"
    with pytest.raises(ReportParameterError, match="mapping must be one of 'salesforce', "
                                                   "'hubspot', the path of a mapping file"):
        report.check_parameters(mapping="my map.txt")
    _refused(["--source", str(export), "--mapping", str(tmp_path / "none.yaml"), "--out",
              str(tmp_path / "r.html")], "mapping must name an existing mapping file")


def test_mapping_suggest_cli(tmp_path):
    path = write(tmp_path, "pipeline.csv", UNFAMILIAR)
    result = runner.invoke(app, ["mapping", "suggest", str(path)])
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("# revopslab mapping, suggested from pipeline.csv")
    out = tmp_path / "m.yaml"
    result = runner.invoke(app, ["mapping", "suggest", str(path), "--out", str(out)])
    assert result.exit_code == 0 and out.read_text(encoding="utf-8") == runner.invoke(
        app, ["mapping", "suggest", str(path)]).stdout
    before = path.read_bytes()
    result = runner.invoke(app, ["mapping", "suggest", str(path), "--out", str(path)])
    assert result.exit_code == 2 and "out must not be the same file as export" in result.output
    assert path.read_bytes() == before
    headless = write(tmp_path, "odd.csv", [["a", "b"], ["x", "y"], ["z", "w"]])
    result = runner.invoke(app, ["mapping", "suggest", str(headless)])
    assert result.exit_code == 1
    assert "no column found for stage, amount, created_at, expected_close_date (required); " \
           "the export's headers are 'a', 'b'" in result.output


def test_report_with_a_suggested_mapping_has_no_kernel_noise_and_shows_the_stages(tmp_path):
    path = write(tmp_path, "pipeline.csv", UNFAMILIAR)
    mapping = tmp_path / "m.yaml"
    assert runner.invoke(app, ["mapping", "suggest", str(path), "--out",
                               str(mapping)]).exit_code == 0
    out = tmp_path / "r.html"
    done = subprocess.run([str(Path(sys.executable).with_name("revopslab")), "report",
                           "--source", str(path), "--mapping", str(mapping), "--out", str(out)],
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    assert done.stderr == "", done.stderr  # no TCP warning, no ZMQ traceback
    html = out.read_text(encoding="utf-8")
    assert "Engaging → unmapped (unmapped: kept as an open deal, 1 row)" in html
    assert "2 deals have no amount" in html


def test_report_sheet_travels_in_a_mapping_file_of_its_own(tmp_path, export, monkeypatch):
    from revopslab.mapping import load_mapping

    seen = {}

    def fake(parameters, *, out, **_):
        seen["template"], seen["problems"] = load_mapping(parameters["mapping"])
        return report.ReportResult(Path(out), None, 0.5, parameters)

    monkeypatch.setattr(report, "run_report", fake)
    args = ["report", "--source", str(export), "--out", str(tmp_path / "r.html")]
    result = runner.invoke(app, [*args, "--mapping", "hubspot", "--sheet", "Deals"])
    assert result.exit_code == 0, result.output
    template = seen["template"]
    assert (template.name, template.sheet, seen["problems"]) == ("hubspot", "Deals", [])
    assert template.stage_probability is not None  # the template's defaults come along
    mapping = tmp_path / "mine.yaml"
    mapping.write_text("template: salesforce\ncolumns: {segment: Region}\n", encoding="utf-8")
    result = runner.invoke(app, [*args, "--mapping", str(mapping), "--sheet", "1"])
    assert result.exit_code == 0, result.output
    template = seen["template"]
    assert (template.name, template.sheet, template.columns["segment"]) == ("mine.yaml", 1,
                                                                           ("Region",))
    result = runner.invoke(app, [*args, "--mapping", str(tmp_path / "none.yaml"), "--sheet", "1"])
    assert result.exit_code == 2 and "existing mapping file" in result.output


def test_an_interrupted_write_leaves_the_old_file_and_no_temporary_one(tmp_path):
    from revopslab._safe_io import atomic_write

    target = tmp_path / "report.html"
    target.write_text("the old report", encoding="utf-8")
    with pytest.raises(KeyboardInterrupt), atomic_write(target) as handle:
        handle.write("half of the new")
        raise KeyboardInterrupt
    assert target.read_text(encoding="utf-8") == "the old report"
    assert [p.name for p in tmp_path.iterdir()] == ["report.html"]
