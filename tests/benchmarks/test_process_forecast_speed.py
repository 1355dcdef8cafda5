"""Speed benchmarks of :mod:`revopslab.process` and :mod:`revopslab.forecast`.

Run with ``make bench`` (``pytest tests/benchmarks -q -s --benchmarks``); without
``--benchmarks`` every test here is skipped (see ``conftest.py``). Times are
wall-clock ``time.perf_counter`` seconds, best of several runs after a warm-up,
on the committed default company (seed 2024, 36 months).
"""

from __future__ import annotations

import pytest

from revopslab import forecast, process
from revopslab.datasets import load_company

from ._measure import best_of

REPEATS = 3
PROCESS_GOAL_SECONDS = 1.0  # flow + balance + conversion + transition times, together
BACKTEST_GOAL_SECONDS = 30.0  # the quarterly backtest of all three methods


@pytest.fixture(scope="module")
def company():
    return load_company()


def test_process_analytics_speed(company):
    leads = process.with_outcomes(company.leads, company.opportunities)
    steps = {
        "with_outcomes": lambda: process.with_outcomes(company.leads, company.opportunities),
        "flow (monthly)": lambda: process.flow(leads),
        "balance (at as_of)": lambda: process.balance(leads, at=company.as_of),
        "conversion (cohort)": lambda: process.conversion(leads, as_of=company.as_of),
        "conversion (period)": lambda: process.conversion(leads, view="period"),
        "transition_times": lambda: process.transition_times(leads),
    }
    extras = {
        "survival (opportunity_to_won)": lambda: process.survival(
            leads, step="opportunity_to_won", as_of=company.as_of),
        "bottleneck (from the Company)": lambda: process.bottleneck(company),
    }
    times = {name: best_of(fn)[0] for name, fn in {**steps, **extras}.items()}
    together, _ = best_of(lambda: [fn() for fn in steps.values()])
    print(f"\n[process, default company: {len(company.leads):,} leads] best of {REPEATS}")
    for name, seconds in times.items():
        print(f"  {name:<32} {seconds:7.3f} s")
    print(f"  {'the first six together':<32} {together:7.3f} s  (goal < {PROCESS_GOAL_SECONDS} s)")
    assert together < PROCESS_GOAL_SECONDS


def test_backtest_speed(company):
    seconds, results = best_of(lambda: forecast.backtest(company, progress=False),
                               repeats=1, warmup=1)
    scores = forecast.accuracy(results)
    print(f"\n[forecast backtest, default company: {len(company.pipeline_snapshots):,} snapshot "
          f"rows] {results['period'].nunique()} quarters × {len(forecast.METHODS)} methods: "
          f"{seconds:.2f} s (goal < {BACKTEST_GOAL_SECONDS:.0f} s)")
    print(scores.round(3).to_string())
    assert seconds < BACKTEST_GOAL_SECONDS
