"""Speed and memory of the report on a synthetic 1,000,000-opportunity CRM export.

Run with ``make bench`` (``pytest tests/benchmarks -q -s --benchmarks``); without
``--benchmarks`` every test here is skipped (see ``conftest.py``). Each measure runs
in a fresh subprocess started by a thin launcher, so its peak memory (ru_maxrss) is its
own and not pytest's. Figures are printed, not stored; times are wall-clock seconds.

* the report's sections (read the export, the opportunity summary, the performance
  breakdowns, the forecast learned from the export with its backtest, the KPI table) end
  to end, each a call of ``metrics``/``forecast``: goal under 60 s and 4 GB;
* the whole report (``run_report``: papermill, the kernel, the HTML) on the same file.
"""

from __future__ import annotations

import sys
import textwrap
from pathlib import Path

import pytest

from revopslab.crm import synthetic_export

from ._measure import run_measured

ROWS = 1_000_000
GOAL_SECONDS = 60.0
GOAL_MB = 4 * 1024
REPO = Path(__file__).resolve().parents[2]

_AGGREGATIONS = textwrap.dedent("""
    import json, resource, sys, time
    import pandas as pd
    from revopslab import report

    def maxrss_mb():
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        return rss / 2**20 if sys.platform == "darwin" else rss / 2**10

    out = {"baseline_rss_mb": maxrss_mb()}
    t0 = time.perf_counter()
    data = report.load_source(sys.argv[1], quarantine=sys.argv[2])
    out["read_s"] = time.perf_counter() - t0
    out["rows_kept"] = len(data.opportunities)
    out["after_read_rss_mb"] = maxrss_mb()
    first, last = report.resolve_period(None, as_of=data.as_of)
    t = time.perf_counter()
    summary = report.opportunity_summary(data.opportunities, first=first, last=last,
                                         as_of=data.as_of)
    out["summary_s"] = time.perf_counter() - t
    t = time.perf_counter()
    tables = report.performance(data.opportunities, first=first, last=last)
    out["performance_s"] = time.perf_counter() - t
    t = time.perf_counter()
    deals, history, score = report.pipeline_forecast(data, first=first, last=last)
    out["forecast_s"] = time.perf_counter() - t
    t = time.perf_counter()
    table = report.kpis(data, first=first, last=last)
    out["kpis_s"] = time.perf_counter() - t
    out["end_to_end_s"] = time.perf_counter() - t0
    out["peak_rss_mb"] = maxrss_mb()
    out["win_rate"] = summary.totals["win_rate"]
    out["kpis"] = int(table["value"].notna().sum())
    print(json.dumps(out))
""")

_REPORT = textwrap.dedent("""
    import json, resource, sys, time
    from revopslab import report

    t0 = time.perf_counter()
    result = report.run_report({"source": sys.argv[1], "quarantine": sys.argv[2]},
                               out=sys.argv[3])
    out = {"seconds": time.perf_counter() - t0,
           "html_mb": result.html.stat().st_size / 2**20}
    rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss  # the kernel
    out["kernel_maxrss_mb"] = rss / 2**20 if sys.platform == "darwin" else rss / 2**10
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    out["runner_maxrss_mb"] = rss / 2**20 if sys.platform == "darwin" else rss / 2**10
    print(json.dumps(out))
""")

def _measure(script: str, *args: str) -> dict:
    return run_measured(script, *args, timeout=1800)


@pytest.fixture(scope="module")
def big_export(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("big") / "opportunities_1m.csv"
    synthetic_export(ROWS, path, rng=2024)
    return path


@pytest.mark.skipif(sys.platform == "win32", reason="needs the resource module")
def test_report_aggregations_on_a_million_opportunities(big_export, tmp_path):
    m = _measure(_AGGREGATIONS, str(big_export), str(tmp_path / "q.csv"))
    size = big_export.stat().st_size / 2**20
    print(f"\n[report aggregations, {ROWS:,}-opportunity export ({size:.0f} MB), fresh "
          "subprocess]")
    print(f"  read the export (read_crm_export):      {m['read_s']:7.2f} s "
          f"({m['rows_kept']:,} rows kept)")
    print(f"  opportunity summary (metrics):          {m['summary_s']:7.2f} s")
    print(f"  performance by segment/owner/source/type: {m['performance_s']:5.2f} s")
    print(f"  forecast from the export + backtest:    {m['forecast_s']:7.2f} s")
    print(f"  KPI table:                              {m['kpis_s']:7.2f} s")
    print(f"  end to end:                             {m['end_to_end_s']:7.2f} s "
          f"(goal < {GOAL_SECONDS:.0f} s)")
    print(f"  peak RSS: {m['peak_rss_mb']:.0f} MB (after imports {m['baseline_rss_mb']:.0f} MB,"
          f" after reading {m['after_read_rss_mb']:.0f} MB; launcher's view "
          f"{m['children_maxrss_mb']:.0f} MB; goal < {GOAL_MB} MB)")
    assert m["rows_kept"] == ROWS
    assert m["end_to_end_s"] < GOAL_SECONDS
    assert m["peak_rss_mb"] < GOAL_MB


@pytest.mark.skipif(sys.platform == "win32", reason="needs the resource module")
def test_whole_report_on_a_million_opportunities(big_export, tmp_path):
    m = _measure(_REPORT, str(big_export), str(tmp_path / "q.csv"), str(tmp_path / "r.html"))
    print(f"\n[whole report, run_report on the {ROWS:,}-opportunity export] "
          f"{m['seconds']:.1f} s (papermill, kernel start, every cell, HTML of "
          f"{m['html_mb']:.1f} MB); kernel peak RSS {m['kernel_maxrss_mb']:.0f} MB, runner "
          f"{m['runner_maxrss_mb']:.0f} MB")
    assert m["seconds"] < GOAL_SECONDS
    assert m["kernel_maxrss_mb"] < GOAL_MB
