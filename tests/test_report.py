"""The RevOps report: parameters as data, sections, recommendations, HTML, papermill runs, CLI."""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path

import nbformat
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from revopslab import metrics, report
from revopslab.cli import _period_option, app
from revopslab.crm import read_crm_export, write_templates
from revopslab.report import (
    DEFAULT_PARAMETERS,
    Findings,
    ReportParameterError,
    check_parameters,
    injected_parameters,
    recommendations,
)

runner = CliRunner()
NOTEBOOK = report.NOTEBOOK
PII = ("sato.hanako@example.co.jp", "03-1234-5678", "tanaka@example.com", "090-1234-5678")
# Quotes, a newline, code, markup and a maths delimiter, all in one (legal) file name.
HOSTILE_NAME = 'we"ird <i>x $a$ \n\'); import os; os.system("touch PWNED") #.csv'


# ----------------------------------------------------------------------------- fixtures
def _pii_export(folder: Path, name: str) -> Path:
    """The Japanese CP932 Salesforce template plus a deal and two bad rows holding PII."""
    write_templates(folder)
    lines = (folder / "salesforce_opportunities_ja_cp932.csv").read_bytes().decode(
        "cp932").split("\r\n")
    tail = '"新規ビジネス","Web","0","0"'
    extra = [
        '"佐藤 花子","テスト株式会社","sato.hanako@example.co.jp 03-1234-5678 大型案件",'
        '"提案/見積","最善達成予測","￥990,000,000","60","2024/02/20","2023/12/20",'
        f'{tail},"0065g9999999001AAQ"',
        '"佐藤 花子","テスト株式会社","不正な金額","提案/見積","最善達成予測","tanaka@example.com",'
        f'"60","2024/02/20","2023/12/20",{tail},"0065g9999999002AAQ"',
        '"佐藤 花子","テスト株式会社","不正な金額2","提案/見積","最善達成予測","090-1234-5678",'
        f'"60","2024/02/20","2023/12/20",{tail},"0065g9999999003AAQ"',
    ]
    target = folder / name
    target.write_bytes("\r\n".join(lines[:1] + extra + lines[1:]).encode("cp932"))
    return target


@pytest.fixture(scope="module")
def export_path(tmp_path_factory) -> Path:
    return _pii_export(tmp_path_factory.mktemp("export"), HOSTILE_NAME)


@pytest.fixture(scope="module")
def default_data():
    return report.load_source("simulated")


def _html_text(html: str) -> str:
    """The report's text: images and tags removed (nothing else is volatile)."""
    html = re.sub(r"data:image/png;base64,[A-Za-z0-9+/=]+", "IMAGE", html)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def _assert_no_code(html: str) -> None:
    assert not re.search(r'class="[^"]*jp-InputArea', html)
    assert not re.search(r'class="[^"]*jp-InputPrompt', html)
    assert not re.search(r'class="[^"]*jp-OutputPrompt', html)
    for code in ("report.load_source", "import matplotlib", "check_parameters(", "plt.show()",
                 "display(heading"):
        assert code not in html


# ----------------------------------------------------------------------------- parameters
def test_the_notebook_parameters_cell_is_written_from_the_spec():
    nb = nbformat.read(NOTEBOOK, as_version=4)
    cell = next(c for c in nb.cells if "parameters" in c.metadata.get("tags", []))
    assert cell.source == report.parameters_cell()
    tree = ast.parse(cell.source)
    values = {node.targets[0].id: ast.literal_eval(node.value) for node in tree.body}
    assert values == dict(DEFAULT_PARAMETERS)
    import papermill as pm

    assert list(pm.inspect_notebook(str(NOTEBOOK))) == list(DEFAULT_PARAMETERS)


def test_the_spec_drives_the_cli_options_and_the_grid_keys():
    result = runner.invoke(app, ["report", "--help"], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    for spec in report.SPEC:
        flag = "--" + spec.name.replace("_", "-")
        assert (flag in result.stdout) == (spec.cli is not None), flag
    assert "--progress" not in result.stdout  # not for the command line: a report has no bars
    runs = report.read_grid({"grid": {"target": [1e8], "lang": ["ja"]}})
    assert runs[0][1]["target"] == 1e8
    with pytest.raises(ReportParameterError, match="target must be None or"):
        report.read_grid({"runs": [{"target": -1}]})


def test_check_parameters_lists_every_problem_naming_argument_expected_and_got():
    with pytest.raises(ReportParameterError) as caught:
        check_parameters(segment="SMB'; import os", lang="fr", seed=True, months=3,
                         period="last year", profile="big", colour="red")
    problems = caught.value.problems
    assert len(problems) == 7
    text = str(caught.value)
    assert "unknown parameter(s) ['colour']" in text
    assert "segment must be one of 'SMB', 'MM', 'ENT' or None" in text
    assert "got \"SMB'; import os\"" in text
    assert "lang must be 'en' or 'ja', got 'fr'" in text
    assert "seed must be an int >= 0, got True" in text
    assert "months must be an int from 12 to 120" in text and "got 3" in text
    assert "period must be None" in text and "got 'last year'" in text
    assert "profile must be one of" in text and "got 'big'" in text


def test_check_parameters_completes_defaults_and_takes_plain_values():
    p = check_parameters(seed=np.int64(7), source=Path("x.csv"), period=("2025-01", "2025-06"))
    assert list(p) == list(DEFAULT_PARAMETERS)
    assert p["seed"] == 7 and type(p["seed"]) is int
    assert p["source"] == "x.csv" and p["period"] == ["2025-01", "2025-06"]
    assert check_parameters()["lang"] == "en"
    # An export's segment is any name (checked against the data when loaded).
    assert check_parameters(source="x.csv", segment="Enterprise")["segment"] == "Enterprise"


@pytest.mark.parametrize("value", [
    'a"b', "a'b", "x\\", 'line1\nline2', '"""', "'); import os; os.system('id') #",
    'ＡＢ\u3000あ', '\\"', "\x00", "tab\there", "\\n", "\r\n", "\u2028", HOSTILE_NAME,
])
def test_a_string_parameter_reaches_the_notebook_as_the_same_literal(value):
    # papermill 2.7 writes "..." after unicode_escape and escaping '"' (not repr): check it.
    code = injected_parameters({"source": value, "segment": value})
    tree = ast.parse(code)
    assert [type(node) for node in tree.body] == [ast.Assign, ast.Assign]
    assert ast.literal_eval(tree.body[0].value) == value
    assert ast.literal_eval(tree.body[1].value) == value


@settings(max_examples=200, deadline=None)
@given(st.text())
def test_any_text_round_trips_through_papermill_injection(text):
    code = injected_parameters({"source": text})
    (node,) = ast.parse(code).body
    assert ast.literal_eval(node.value) == text


def test_values_papermill_would_inject_unescaped_are_refused():
    # papermill writes an unknown type as "{value}" without escaping, and a name as it is.
    with pytest.raises(ReportParameterError, match="would not reach the notebook"):
        injected_parameters({"source": Path('a"; import os #')})
    with pytest.raises(ReportParameterError, match="unknown parameter"):
        injected_parameters({"x = 1\nimport os\ny": 1})
    # check_parameters turns a Path into a str first, which is safe.
    assert ast.literal_eval(ast.parse(injected_parameters(
        check_parameters(source=Path('a"; import os #')))).body[0].value) == 'a"; import os #'


def test_run_report_refuses_bad_parameters_before_running(tmp_path):
    with pytest.raises(ReportParameterError, match="segment must be one of"):
        report.run_report({"segment": "SMB\nimport os"}, out=tmp_path / "r.html")
    with pytest.raises(ReportParameterError, match="no such file"):
        report.run_report({"source": str(tmp_path / "missing.csv")}, out=tmp_path / "r.html")
    with pytest.raises(ReportParameterError, match="out must be a file in an existing folder"):
        report.run_report({}, out=tmp_path / "no" / "r.html")
    assert not list(tmp_path.iterdir())


def test_periods():
    first, last = report.resolve_period("2025Q3", as_of="2026-01-01")
    assert (f"{first:%Y-%m}", f"{last:%Y-%m}") == ("2025-07", "2025-09")
    first, last = report.resolve_period(["2024-11", "2025-02"], as_of="2026-01-01")
    assert (f"{first:%Y-%m}", f"{last:%Y-%m}") == ("2024-11", "2025-02")
    assert _period_option("2025-01:2025-06") == ["2025-01", "2025-06"]
    assert _period_option("2025") == "2025" and _period_option(None) is None
    with pytest.raises(ValueError, match="period must start before the extraction date"):
        report.resolve_period("2026-03", as_of="2026-01-01")


# ----------------------------------------------------------------------------- recommendations
def _bottleneck(gains: dict[str, float], conversion: float = 0.3) -> pd.DataFrame:
    """A bottleneck table as process.bottleneck returns it (columns the rule reads)."""
    p = np.full(len(gains), conversion)
    lifted = p + 0.2 * (1 - p)
    return pd.DataFrame({"conversion": p, "entered_per_year": 1000.0, "multiplier": lifted / p,
                         "gain": list(gains.values())}, index=list(gains))


def test_the_bottleneck_rule_names_the_step_with_the_largest_gain_and_its_prize():
    table = _bottleneck({"aql_to_tal": 2e7, "tql_to_sal": 8e7, "sql_to_opportunity": 3e7})
    (rec,) = recommendations(Findings(bottleneck=table))  # not sorted: the rule finds the max
    assert rec.rule == "bottleneck" and rec.prize == 8e7
    assert "**Fix TQL → SAL first: it is the bottleneck.**" in rec.text
    assert "¥80M of bookings a year" in rec.text and "30.0% convert" in rec.text
    assert "to 44.0%" in rec.text  # 0.3 + 0.2 × 0.7
    assert "62% of what the same lift on every step would add" in rec.text  # 8 / 13
    assert "Next in line: SQL → Opportunity (¥30M a year)" in rec.text
    assert "AQL → TAL" not in rec.text
    (ja,) = recommendations(Findings(bottleneck=table), lang="ja")
    assert "ボトルネックはTQL → SALです" in ja.text and "年8,000万円" in ja.text


def test_the_bottleneck_rule_follows_the_numbers():
    a = recommendations(Findings(bottleneck=_bottleneck({"inquiry_to_aql": 5e6,
                                                         "opportunity_to_won": 4e6})))
    b = recommendations(Findings(bottleneck=_bottleneck({"inquiry_to_aql": 4e6,
                                                         "opportunity_to_won": 5e6})))
    assert "Fix Inquiry → AQL first" in a[0].text and "Fix Opportunity → Won first" in b[0].text
    assert a[0].text != b[0].text


@pytest.mark.parametrize("table", [
    None,
    _bottleneck({}),
    _bottleneck({"tql_to_sal": 0.0, "aql_to_tal": 0.0}),
    _bottleneck({"tql_to_sal": np.nan, "aql_to_tal": -1.0}),
])
def test_the_bottleneck_rule_does_not_fire_without_a_gain(table):
    assert recommendations(Findings(bottleneck=table)) == []


def test_retention_rules_fire_below_their_benchmark_with_the_prize():
    recs = recommendations(Findings(grr=0.85, nrr=0.97, opening_arr=1e9))
    assert [r.rule for r in recs] == ["gross_retention", "net_retention"]
    assert recs[0].prize == pytest.approx(5e7) and recs[1].prize == pytest.approx(3e7)
    assert "gross revenue retention is 85.0%" in recs[0].text and "¥50M of ARR" in recs[0].text
    assert "NRR is 97.0%" in recs[1].text and "¥30M of ARR" in recs[1].text
    assert recommendations(Findings(grr=0.92, nrr=1.05, opening_arr=1e9)) == []
    assert recommendations(Findings(grr=0.5, nrr=0.5, opening_arr=None)) == []


def test_win_rate_stale_pipeline_forecast_and_data_quality_rules():
    recs = recommendations(Findings(win_rate=0.10, closed_deals=100, average_won=1e6))
    assert [r.rule for r in recs] == ["win_rate"] and recs[0].prize == pytest.approx(5e6)
    assert "win rate is 10.0%** of 100 deals closed" in recs[0].text
    assert recommendations(Findings(win_rate=0.2, closed_deals=100, average_won=1e6)) == []

    recs = recommendations(Findings(open_amount=1e9, stale_deals=12, stale_amount=2e8))
    assert [r.rule for r in recs] == ["stale_pipeline"] and recs[0].prize == 2e8
    assert "12 open deals worth ¥200M (20% of the open pipeline)" in recs[0].text
    assert recommendations(Findings(open_amount=1e9, stale_deals=1, stale_amount=5e7)) == []

    accuracy = pd.DataFrame({"periods": [4, 4], "mape": [0.7, 0.3], "wape": [0.6, 0.3],
                             "bias": [0.5, -0.05]}, index=["judgment", "predictive"])
    recs = recommendations(Findings(accuracy=accuracy, quarterly_actual=1e8))
    assert [r.rule for r in recs] == ["forecast"] and recs[0].prize == pytest.approx(3e7)
    assert "overstates bookings by 50%" in recs[0].text and "predictive model" in recs[0].text
    calm = accuracy.assign(bias=[0.1, 0.0])
    assert recommendations(Findings(accuracy=calm, quarterly_actual=1e8)) == []

    recs = recommendations(Findings(rows_read=100, rows_quarantined=5,
                                    quarantine_path="/tmp/q_[1].csv"))
    assert [r.rule for r in recs] == ["data_quality"] and recs[0].prize is None
    assert "5 of 100 rows (5.0%)" in recs[0].text and r"q\_\[1\].csv" in recs[0].text
    assert "/tmp" not in recs[0].text  # the file's name, never a path of the user's machine
    assert recommendations(Findings(rows_read=1000, rows_quarantined=5)) == []


def test_recommendations_are_ordered_by_prize_with_unpriced_last():
    recs = recommendations(Findings(
        bottleneck=_bottleneck({"tql_to_sal": 1e7}), grr=0.8, opening_arr=1e9,
        rows_read=10, rows_quarantined=5))
    assert [r.rule for r in recs] == ["gross_retention", "bottleneck", "data_quality"]
    text = report.numbered(recs).markdown
    assert text.startswith("1. **Stop the leak") and "\n3. **Fix the data" in text
    assert report.numbered([], lang="ja").markdown.startswith("どのルールも")


def test_findings_from_the_default_company_fire_the_expected_rules(default_data):
    company = default_data.company
    first, last = report.resolve_period(None, as_of=default_data.as_of)
    summary = report.opportunity_summary(company.opportunities, first=first, last=last,
                                         as_of=default_data.as_of)
    table = report.bottleneck_table(company, first=first, last=last)
    retention = report.retention_summary(company, first=first, last=last)
    recs = recommendations(report.findings(summary=summary, bottleneck=table,
                                           retention=retention))
    assert recs[0].rule == "bottleneck"
    assert recs[0].prize == table["gain"].max()
    assert f"Fix {report.step_label(table.index[0])} first" in recs[0].text
    assert "gross_retention" not in [r.rule for r in recs]  # GRR 92 % is above 90 %


# ----------------------------------------------------------------------------- sections
def test_opportunity_summary_is_the_metrics(default_data):
    opps = default_data.opportunities
    first, last = report.resolve_period(None, as_of=default_data.as_of)
    s = report.opportunity_summary(opps, first=first, last=last, as_of=default_data.as_of)
    period = (f"{first:%Y-%m}", f"{last:%Y-%m}")
    assert s.totals["win_rate"] == metrics.win_rate(opps, period=period)
    assert s.totals["cycle_median_days"] == metrics.sales_cycle_days(opps, period=period)
    assert s.totals["average_won"] == metrics.average_deal_size(opps, period=period)
    assert s.totals["stale_share"] == metrics.past_due_share(opps, as_of=default_data.as_of)
    assert s.totals["bookings"] == opps.loc[
        opps["is_won"] & (opps["closed_at"] >= first)
        & (opps["closed_at"] < last + pd.DateOffset(months=1)), "amount"].sum()
    assert len(s.monthly) == 12 and s.monthly["won"].sum() == s.totals["won"]
    assert s.quarterly["bookings"].sum() == pytest.approx(s.totals["bookings"])
    live = opps[~opps["is_closed"]]
    assert s.totals["weighted_open"] == pytest.approx((live["amount"] * live[
        "rep_probability"]).sum())


def test_opportunity_summary_of_an_export_without_forecast_categories(tmp_path):
    write_templates(tmp_path)
    export = read_crm_export(tmp_path / "hubspot_deals_ja_utf8bom.csv", mapping="hubspot",
                             quarantine=tmp_path / "q.csv")
    opps = export.opportunities
    first, last = pd.Timestamp("2023-01-01"), pd.Timestamp("2023-12-01")
    s = report.opportunity_summary(opps, first=first, last=last, as_of="2024-01-01")
    assert s.categories.empty
    assert s.totals["open_deals"] == s.ages["deals"].sum() == (~opps["is_closed"]).sum()
    with pytest.raises(ValueError, match="missing \\['amount'\\]"):
        report.opportunity_summary(opps.drop(columns="amount"), first=first, last=last,
                                   as_of="2024-01-01")


def test_cohort_retention_counts_a_churned_account_as_zero():
    # x pays in the data's first month: won before the data starts, so left out (no 2024Q4)
    mrr = pd.DataFrame({"account_id": ["x", "a", "b", "a"],
                        "month": pd.to_datetime(["2024-12-01", "2025-01-01", "2025-02-01",
                                                 "2025-04-01"]),
                        "mrr": [500.0, 100.0, 300.0, 100.0]})
    table = report.cohort_retention(mrr, last=pd.Timestamp("2025-06-01"), ages=[0, 3, 6])
    assert table.index.tolist() == ["2025Q1"]
    assert table.loc["2025Q1", 0] == 1.0
    assert table.loc["2025Q1", 3] == pytest.approx(0.25)  # a kept 100, b (churned) 0, of 400
    assert np.isnan(table.loc["2025Q1", 6])  # b started in February: not 6 months old yet


def test_a_segment_scopes_every_table(default_data):
    smb = default_data.scoped("SMB")
    assert set(smb.opportunities["segment"]) == {"SMB"}
    assert set(smb.company.leads["segment"]) == {"SMB"}
    accounts = set(smb.company.accounts["account_id"])
    assert set(smb.company.mrr["account_id"]) <= accounts
    assert "segment SMB" in smb.label
    with pytest.raises(ValueError, match=r"segment must be one of \['SMB', 'MM', 'ENT'\]"):
        default_data.scoped("Enterprise")


def test_an_export_without_segments_refuses_a_segment(export_path, tmp_path):
    data = report.load_source(str(export_path), quarantine=tmp_path / "q.csv")
    assert data.kind == "crm_export" and data.tables == ("opportunities",)
    assert data.export.source.rows_quarantined == 2 and (tmp_path / "q.csv").is_file()
    assert str(data.as_of.date()) == "2023-12-29"  # the day after the latest date in the file
    with pytest.raises(ValueError, match="needs a segment column, which the crm export"):
        data.scoped("SMB")
    assert not data.has("leads") and not data.has("mrr")
    for key in ("waterfall", "conversion", "retention"):
        en, ja = report.omitted(key).markdown, report.omitted(key, lang="ja").markdown
        assert en.startswith("Left out: needs ") and ja.startswith("省略: ")
        for internal in ("mrr_movements", "pipeline_snapshots", "table"):
            assert internal not in en  # plain words, not the package's table names


def test_quarantine_default_path_is_beside_the_export(tmp_path):
    export = _pii_export(tmp_path, "deals.csv")
    data = report.load_source(str(export))
    assert data.quarantine_path == tmp_path / "deals_quarantine.csv"
    assert len(pd.read_csv(data.quarantine_path)) == 2


def test_shown_tables_mask_pii_and_escape_markup(export_path, tmp_path):
    data = report.load_source(str(export_path), quarantine=tmp_path / "q.csv")
    first, last = report.resolve_period(None, as_of=data.as_of)
    summary = report.opportunity_summary(data.opportunities, first=first, last=last,
                                         as_of=data.as_of)
    top = report.view(summary.top_open, "top_open")
    reasons, examples = report.quarantine_summary(data.export)
    shown = [top._repr_html_(), repr(top), report.view(examples, "examples")._repr_html_(),
             report.view(reasons, "reasons")._repr_html_()]
    assert "sa***@example.co.jp 03-****-5678" in repr(top)
    assert "'ta***@example.com'" in shown[2] and "'090-****-5678'" in shown[2]
    for text in shown:
        for secret in PII:
            assert secret not in text
    table = report.view(pd.DataFrame({"reason": ["<script>x</script>"], "rows": [1]}), "reasons")
    assert "<script>" not in table._repr_html_() and "&lt;script&gt;" in table._repr_html_()
    assert report.md_literal("[a](javascript:x) `b` <i>") == (
        r"\[a\](javascript:x) \`b\` &lt;i&gt;")


def test_kpis_of_an_export_are_the_opportunity_kpis(export_path, tmp_path):
    data = report.load_source(str(export_path), quarantine=tmp_path / "q.csv")
    first, last = report.resolve_period(None, as_of=data.as_of)
    table = report.kpis(data, first=first, last=last, lang="ja")
    computed = table[table["value"].notna()]
    assert list(computed["metric"]) == ["win_rate", "sales_cycle_days", "sales_velocity"]
    assert table["kpi"].iloc[0] == "受注率" and set(table["scope"]) == {"エクスポート"}
    # every other KPI of the catalogue is listed, with the data it needs in plain words
    assert sorted(table["metric"]) == sorted(k.name for k in metrics.REGISTRY)
    missing = table[table["value"].isna()].set_index("metric")
    assert (missing["status"] == "計算できず").all()
    assert missing.loc["net_revenue_retention", "note"] == "契約・請求のデータが必要"
    en = report.kpis(data, first=first, last=last).set_index("metric")
    assert en.loc["cac", "note"] == "needs cost data and subscription or billing data"


def test_kpis_of_a_segment_keep_totals_for_unsplittable_metrics(default_data):
    first, last = report.resolve_period(None, as_of=default_data.as_of)
    table = report.kpis(default_data, first=first, last=last, segment="ENT")
    scope = table.set_index("metric")["scope"]
    assert scope["win_rate"] == "ENT" and scope["cac"] == "all segments"
    assert list(table["metric"]) == [k.name for k in metrics.REGISTRY]


# ----------------------------------------------------------------------------- HTML and grids
def test_render_html_drops_code_prompts_stderr_and_hidden_cells(tmp_path):
    nb = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_markdown_cell("notes for readers", metadata={"tags": ["report-hide"]}),
        nbformat.v4.new_code_cell("secret_code = 1", metadata={"tags": ["parameters"]}),
        nbformat.v4.new_code_cell("print_result_of_code()", outputs=[
            nbformat.v4.new_output("stream", name="stdout", text="visible result\n"),
            nbformat.v4.new_output("stream", name="stderr", text="a warning\n")]),
    ])
    html = report.render_html(nb, tmp_path / "r.html", title="My report")
    assert (tmp_path / "r.html").read_text(encoding="utf-8") == html
    assert "visible result" in html and "<title>My report</title>" in html
    for hidden in ("notes for readers", "secret_code", "print_result_of_code", "a warning"):
        assert hidden not in html
    _assert_no_code(html)


def test_read_grid_combines_names_and_checks_every_run(tmp_path):
    file = tmp_path / "grid.yaml"
    file.write_text("defaults:\n  lang: ja\nruns:\n  - name: '../../etc/passwd'\n"
                    "  - {seed: 7}\ngrid:\n  segment: [SMB, MM]\n", encoding="utf-8")
    runs = report.read_grid(file)
    assert [name for name, _ in runs] == ["etc-passwd_segment=SMB", "etc-passwd_segment=MM",
                                          "seed=7_segment=SMB", "seed=7_segment=MM"]
    assert all(p["lang"] == "ja" for _, p in runs)
    assert [p["seed"] for _, p in runs] == [2024, 2024, 7, 7]
    with pytest.raises(ReportParameterError) as caught:
        report.read_grid([{"segment": "X"}, {"lang": "fr", "name": "b"}])
    assert len(caught.value.problems) == 2 and caught.value.problems[1].startswith("b: lang")
    with pytest.raises(ReportParameterError, match="grid must be an existing YAML file"):
        report.read_grid(tmp_path / "missing.yaml")


def test_read_grid_refuses_names_given_twice_and_makes_generated_names_unique():
    for runs in ([{"name": "a"}, {"name": "a"}, {"name": "a-2"}],  # the probe
                 [{"name": "a b"}, {"name": "a-b"}]):  # equal once reduced to a file name
        with pytest.raises(ReportParameterError, match="run names must be unique"):
            report.read_grid(runs)
    # A generated name never takes a name given to another run, nor one generated before.
    names = [name for name, _ in report.read_grid([{"name": "run2"}, {}, {}])]
    assert names == ["run2", "run2-2", "run3"]
    names = [name for name, _ in report.read_grid(
        [{"name": "seed=1"}, {"seed": 1, "lang": "ja"}, {"seed": 1, "lang": "ja"}])]
    assert names == ["seed=1", "seed=1_lang=ja", "seed=1_lang=ja-2"]


def _grid_with_a_bad_second_run(tmp_path, monkeypatch, fail):
    """Run a three-run grid through the CLI; run_report calls ``fail(parameters)`` on seed 2."""
    def fake(parameters, *, out, **_):
        if parameters["seed"] == 2:
            fail(parameters)
        Path(out).write_text("ok", encoding="utf-8")
        return report.ReportResult(Path(out), None, 0.5, parameters)

    monkeypatch.setattr(report.runner, "run_report", fake)  # what run_grid calls
    grid = tmp_path / "g.yaml"
    grid.write_text("runs:\n  - {seed: 1}\n  - {seed: 2}\n  - {seed: 3}\n", encoding="utf-8")
    return runner.invoke(app, ["report", "--grid", str(grid), "--out-dir",
                               str(tmp_path / "out")])


def test_a_failing_grid_run_is_recorded_and_the_batch_goes_on(tmp_path, monkeypatch):
    def fail(parameters):
        raise report.ReportError(cell_index=4, cell_id="load-data", ename="ValueError",
                                 evalue="boom", parameters=parameters, executed=None)

    result = _grid_with_a_bad_second_run(tmp_path, monkeypatch, fail)
    assert result.exit_code == 1, result.output
    assert "3 runs: 2 ok, 1 failed" in result.stdout
    assert "seed=2  FAILED" in result.stdout
    assert "report failed in cell 4 ('load-data'): ValueError: boom" in result.output
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["seed=1.html",
                                                                   "seed=3.html"]


def test_an_interrupted_grid_says_which_runs_finished(tmp_path, monkeypatch):
    def interrupt(parameters):
        raise KeyboardInterrupt

    result = _grid_with_a_bad_second_run(tmp_path, monkeypatch, interrupt)
    assert result.exit_code == 130
    assert "1 run: 1 ok, 0 failed" in result.stdout and "seed=1  ok" in result.stdout
    assert "interrupted: 1 of 3 runs finished (listed above); the others did not run" in \
        result.stdout
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["seed=1.html"]


def test_cli_refuses_bad_parameters_with_exit_code_2(tmp_path):
    result = runner.invoke(app, ["report", "--segment", "SMB'); import os #", "--out",
                                 str(tmp_path / "r.html")])
    assert result.exit_code == 2
    assert "segment must be one of 'SMB', 'MM', 'ENT'" in result.output
    result = runner.invoke(app, ["report", "--grid", str(tmp_path / "g.yaml"), "--seed", "3"])
    assert result.exit_code == 2 and "give the parameters in the grid file" in result.output


# ----------------------------------------------------------------------------- papermill runs
def test_committed_notebook_is_executed_quietly():
    nb = nbformat.read(NOTEBOOK, as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert all(c.get("execution_count") for c in code)
    outputs = [o for c in code for o in c.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    assert not [o for o in outputs if o.get("name") == "stderr"]
    text = json.dumps([o.get("text", o.get("data", {}).get("text/plain", "")) for o in outputs])
    assert "it/s" not in text and "backtest (quarter)" not in text  # no progress bars
    assert "# RevOps health report" in text and "seed 2024" in text


def test_report_of_another_small_company_one_segment_in_japanese(tmp_path):
    parameters = {"seed": 7, "months": 18, "scale": 0.3, "segment": "SMB", "lang": "ja"}
    result = report.run_report(parameters, out=tmp_path / "smb.html",
                               executed=tmp_path / "smb.ipynb")
    html = result.html.read_text(encoding="utf-8")
    _assert_no_code(html)
    text = _html_text(html)
    for heading in ("RevOps健全性レポート", "1. 受注", "2. 受注率・商談期間・受注額",
                    "3. 未クローズのパイプライン", "4. 予測",
                    "5. デマンドウォーターフォールとボウタイ", "6. 転換率とボトルネック",
                    "7. 顧客維持（リテンション）", "8. KPI一覧", "9. 推奨アクション"):
        assert heading in text
    assert "シード 7、18か月、規模 0.3）、セグメント SMB" in text  # the data, in Japanese
    assert "ボトルネックは" in text and "年" in text
    assert "省略:" not in text and "Traceback" not in text
    assert html.count('src="data:image/png;base64,') == 5  # the charts (two figures hold two)
    nb = nbformat.read(tmp_path / "smb.ipynb", as_version=4)
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs]
    assert not [o for o in outputs if o.get("name") == "stderr"]  # no progress bars, warnings


@pytest.fixture(scope="module")
def cli_crm_run(export_path, tmp_path_factory):
    """``revopslab report`` on the CP932 export at a hostile path (one papermill run)."""
    folder = tmp_path_factory.mktemp("crm")
    out, quarantine = folder / "crm.html", folder / "crm_quarantine.csv"
    result = runner.invoke(app, ["report", "--source", str(export_path), "--mapping",
                                 "salesforce", "--quarantine", str(quarantine), "--out",
                                 str(out)])
    return result, out, quarantine


def test_cli_report_of_a_japanese_cp932_export_with_a_hostile_path(cli_crm_run):
    result, out, quarantine = cli_crm_run
    assert result.exit_code == 0, result.output
    assert f"Wrote {out}" in result.stdout
    html = out.read_text(encoding="utf-8")
    _assert_no_code(html)
    for secret in PII:
        assert secret not in html
    assert "<i>x" not in html and not (out.parent / "PWNED").exists()
    text = _html_text(html)
    # The file name is shown as it is (quotes, newline as \n, markup as text).
    assert "we\"ird &lt;i&gt;x $a$ \\n'); import os; os.system(\"touch PWNED\") #.csv" in text
    assert "(salesforce, cp932)" in text
    assert "61 rows read (cp932, mapping salesforce): 59 kept and 2 quarantined" in text
    assert f"Quarantine file: {quarantine.name}." in text
    assert str(quarantine.parent) not in text  # no path of the user's machine in the page
    assert len(pd.read_csv(quarantine)) == 2
    assert "sa***@example.co.jp 03-****-5678" in text
    assert text.count("Left out: needs ") == 4  # waterfall, conversion, retention, quotas
    for shown in ("Deals closed in 2023-01 – 2023-12", "3. Open pipeline", "Open deals by "
                  "forecast category", "8. KPI table", "Fix the data at the source: 2 of 61 "
                  "rows", "4. Forecast", "the quarter from 2024-01-01 should book about",
                  "By owner"):
        assert shown in text


def test_the_same_parameters_give_the_same_report_twice(cli_crm_run, export_path, tmp_path):
    _, first, quarantine = cli_crm_run
    grid = tmp_path / "grid.yaml"
    grid.write_text(json.dumps([{"name": "again", "source": str(export_path),
                                 "mapping": "salesforce", "quarantine": str(quarantine)}]),
                    encoding="utf-8")
    result = runner.invoke(app, ["report", "--grid", str(grid), "--out-dir",
                                 str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    assert "1 run: 1 ok, 0 failed" in result.stdout
    assert "reports: 100%" in result.output and "1/1" in result.output  # the batch's bar
    again = (tmp_path / "out" / "again.html").read_text(encoding="utf-8")
    assert _html_text(again) == _html_text(first.read_text(encoding="utf-8"))


def test_a_failing_run_exits_1_and_names_the_cell_and_parameters(tmp_path):
    workbook = tmp_path / "deals.csv"
    workbook.write_bytes(b"PK\x03\x04" + bytes(200))  # an .xlsx saved under a .csv name
    out = tmp_path / "r.html"
    result = runner.invoke(app, ["report", "--source", str(workbook), "--lang", "ja",
                                 "--out", str(out)])
    assert result.exit_code == 1
    assert "report failed in cell 4 ('setup'): CrmExportError:" in result.output
    assert "the workbook cannot be read" in result.output
    assert f"'source': '{workbook}'" in result.output and "'lang': 'ja'" in result.output
    assert (tmp_path / "r.failed.ipynb").is_file() and not out.exists()
