"""Speed and memory of building the single source of truth (:func:`revopslab.ssot.build_ssot`).

Run with ``make bench`` (``pytest tests/benchmarks -q -s --benchmarks``); without
``--benchmarks`` every test here is skipped (see ``conftest.py``). Figures are
printed, not stored: wall-clock ``time.perf_counter`` seconds. The default build
(Splink, accounts and people) must take less than 30 s; the 10x company and the
peak memory are measured in a fresh subprocess and printed.
"""

from __future__ import annotations

import sys
import textwrap
import time
from pathlib import Path

import pytest

from revopslab.config import CompanyConfig
from revopslab.silos import export_silos
from revopslab.simulate import simulate_company
from revopslab.ssot import SplinkMatcher, _resolve, build_ssot, evaluate

from ._measure import run_measured

SEED = 2024
DEFAULT_GOAL_SECONDS = 30.0  # the goal: the SSOT of the default company
REPO = Path(__file__).resolve().parents[2]


def _timed(fn):
    t0 = time.perf_counter()
    result = fn()
    return time.perf_counter() - t0, result


def test_default_ssot_speed():
    # warm-up: imports (splink, sqlglot, duckdb) and first queries on a small company
    small = export_silos(simulate_company(CompanyConfig(months=12, scale=0.1), rng=SEED))
    build_ssot(small).close()

    company = simulate_company(CompanyConfig(), rng=SEED)
    export_s, silos = _timed(lambda: export_silos(company))
    build_s, ssot = _timed(lambda: build_ssot(silos))
    with ssot:
        accounts = evaluate(ssot.links, silos.truth, entity="account")
        people = evaluate(ssot.links, silos.truth, entity="person")
        summary = ssot.summary()
    records = int(summary["resolved"].sum() + summary["unresolved"].sum())
    rules_s, _ = _timed(lambda: build_ssot(silos, matcher="rules").close())
    # the phases of the Splink build
    match_s, _ = _timed(lambda: _resolve(silos, SplinkMatcher(), people=True))
    print(f"\n[SSOT, default company, seed {SEED}] {len(company.leads):,} leads, "
          f"{records:,} entity records to resolve")
    print(f"  export_silos:                {export_s:7.2f} s")
    print(f"  build_ssot (Splink):         {build_s:7.2f} s  (goal < {DEFAULT_GOAL_SECONDS:.0f} s;"
          f" matching alone {match_s:.2f} s)")
    print(f"  build_ssot (rules):          {rules_s:7.2f} s")
    print(f"  F1 accounts {accounts['f1']:.4f} (P {accounts['precision']:.4f}, "
          f"R {accounts['recall']:.4f}); people {people['f1']:.4f} "
          f"(P {people['precision']:.4f}, R {people['recall']:.4f})")
    assert build_s < DEFAULT_GOAL_SECONDS
    assert accounts["f1"] >= 0.95


_MEMORY_SCRIPT = textwrap.dedent("""
    import json, resource, sys, time
    from revopslab.config import CompanyConfig
    from revopslab.simulate import simulate_company
    from revopslab.silos import export_silos
    from revopslab.ssot import build_ssot, evaluate

    def maxrss_mb():
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        return rss / 2**20 if sys.platform == "darwin" else rss / 2**10  # bytes on macOS

    scale, seed, matcher = float(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
    out = {"baseline_rss_mb": maxrss_mb()}
    t0 = time.perf_counter()
    company = simulate_company(CompanyConfig(scale=scale), rng=seed)
    out["simulate_s"] = time.perf_counter() - t0
    out["after_simulate_rss_mb"] = maxrss_mb()
    t0 = time.perf_counter()
    silos = export_silos(company)
    out["export_s"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    ssot = build_ssot(silos, matcher=matcher)
    out["build_s"] = time.perf_counter() - t0
    out["peak_rss_mb"] = maxrss_mb()
    out["leads"] = len(company.leads)
    out["records"] = int(ssot.sql("SELECT count(*) AS n FROM links")["n"][0]
                         + ssot.sql("SELECT count(*) AS n FROM unresolved")["n"][0])
    out["f1_account"] = float(evaluate(ssot.links, silos.truth)["f1"])
    out["f1_person"] = float(evaluate(ssot.links, silos.truth, entity="person")["f1"])
    print(json.dumps(out))
""")

def _measure(scale: float, matcher: str) -> dict:
    return run_measured(_MEMORY_SCRIPT, str(scale), str(SEED), matcher, timeout=3600)


@pytest.mark.skipif(sys.platform == "win32", reason="needs the resource module")
@pytest.mark.parametrize("scale", [1, 10])
def test_ssot_time_and_peak_memory(scale):
    m = _measure(scale, "splink")
    print(f"\n[SSOT, scale {scale}, Splink, fresh subprocess] {m['leads']:,} leads, "
          f"{m['records']:,} entity records")
    print(f"  simulate {m['simulate_s']:.1f} s, export_silos {m['export_s']:.1f} s, "
          f"build_ssot {m['build_s']:.1f} s")
    print(f"  peak RSS (RUSAGE_CHILDREN ru_maxrss) {m['children_maxrss_mb']:.0f} MB; "
          f"after imports {m['baseline_rss_mb']:.0f} MB, after simulating "
          f"{m['after_simulate_rss_mb']:.0f} MB")
    print(f"  F1 accounts {m['f1_account']:.4f}, people {m['f1_person']:.4f}")
    assert m["baseline_rss_mb"] < m["peak_rss_mb"] <= m["children_maxrss_mb"] + 1
