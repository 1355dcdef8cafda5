"""Speed benchmarks of :func:`revopslab.metrics.kpi_table`, the whole KPI catalogue.

Run with ``make bench`` (``pytest tests/benchmarks -q -s --benchmarks``); without
``--benchmarks`` every test here is skipped (see ``conftest.py``). Figures are
printed, not stored: wall-clock ``time.perf_counter`` seconds and this process's
CPU seconds (``time.process_time``), best of several runs after a warm-up.
Goals: < 1 s on the default company and < 10 s on the 10x company, for the
whole table and for each split (``by``). The goal is checked on the smaller of
wall and CPU time: on a shared 2-CPU runner other jobs stretch wall time, while
CPU time is what the code itself costs (it exceeds wall time only when pyarrow
uses several threads, and then wall time is the honest figure).
"""

from __future__ import annotations

import time
import warnings

import pytest

from revopslab.config import CompanyConfig
from revopslab.datasets import load_company
from revopslab.metrics import REGISTRY, MetricWarning, kpi_table
from revopslab.simulate import simulate_company

from .test_simulation_speed import REPEATS, SEED

PERIOD = "2025"
GOALS = {1: 1.0, 10: 10.0}  # seconds, by company scale
SPLITS = (None, "segment", "channel")


@pytest.fixture(scope="module")
def companies():
    return {1: load_company(), 10: simulate_company(CompanyConfig(scale=10), rng=SEED)}


def best_times(fn, repeats: int = REPEATS) -> tuple[float, float, object]:
    """Best wall and best CPU seconds of ``repeats`` calls after one warm-up, and the result."""
    result = fn()
    wall = cpu = float("inf")
    for _ in range(repeats):
        w0, c0 = time.perf_counter(), time.process_time()
        result = fn()
        wall = min(wall, time.perf_counter() - w0)
        cpu = min(cpu, time.process_time() - c0)
    return wall, cpu, result


def _table(company, by):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", MetricWarning)  # NaN per channel, e.g. MQL of outbound
        return kpi_table(company, period=PERIOD, by=by)


@pytest.mark.parametrize("scale", sorted(GOALS))
def test_kpi_table_speed(companies, scale):
    company = companies[scale]
    goal = GOALS[scale]
    print(f"\n[kpi_table, scale {scale}, period {PERIOD}] {len(company.leads):,} leads, "
          f"{len(company.opportunities):,} opportunities, {len(company.mrr):,} MRR rows; "
          f"{len(REGISTRY)} KPIs; best of {REPEATS} after 1 warm-up; goal < {goal:.0f} s")
    seconds = {}
    for by in SPLITS:
        wall, cpu, table = best_times(lambda b=by: _table(company, b))
        seconds[by] = min(wall, cpu)
        print(f"  by={by!s:<8} {len(table):>4} rows  wall {wall:7.3f} s  cpu {cpu:7.3f} s")
    for by, value in seconds.items():
        assert value < goal, f"kpi_table(by={by!r}) took {value:.2f} s on scale {scale}"


def test_slowest_metrics_on_the_10x_company(companies):
    """Which metrics cost most (printed, so that a regression is easy to place)."""
    company = companies[10]
    gross_margin = company.config.gross_margin
    timings = []
    for kpi in REGISTRY:
        tables = [getattr(company, t) for t in kpi.tables]
        kwargs = dict(kpi.options, period=PERIOD)
        params = kpi.function.__wrapped__.__code__.co_varnames
        if "accounts" in params:
            kwargs["accounts"] = company.accounts
        if "gross_margin" in params and "gross_margin" not in kwargs:
            kwargs["gross_margin"] = gross_margin
        t0 = time.process_time()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", MetricWarning)
            kpi.function(*tables, **kwargs)
        timings.append((time.process_time() - t0, kpi.name))
    print("\n[slowest metrics, scale 10, one call each, CPU time]")
    for seconds, name in sorted(timings, reverse=True)[:8]:
        print(f"  {name:<34} {seconds * 1000:7.1f} ms")
    assert sum(s for s, _ in timings) < GOALS[10]
