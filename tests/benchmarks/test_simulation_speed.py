"""Speed and memory benchmarks of :func:`revopslab.simulate.simulate_company`.

Run with ``make bench`` (``pytest tests/benchmarks -q -s --benchmarks``); without
``--benchmarks`` every test here is skipped (see ``conftest.py``). Figures are
printed, not stored: times are wall-clock ``time.perf_counter`` seconds, best of
several runs after a warm-up.
"""

from __future__ import annotations

import datetime as dt
import math
import random
import sys
import textwrap
from collections import Counter

import numpy as np
import pandas as pd
import pytest

from revopslab import simulate as engine_module
from revopslab.config import SEGMENTS, CompanyConfig
from revopslab.simulate import TABLES, simulate_company

from ._measure import best_of, run_measured

SEED = 2024
REPEATS = 3
DEFAULT_GOAL_SECONDS = 2.0  # the goal for the default company
SCALES = (1, 3, 10)
SPEEDUP_GOAL = 20.0  # package vs the naive row-by-row generator (printed, not asserted)
# Asserted floors of naive-walk time / package time (about half of what was measured).
LIKE_FOR_LIKE_FLOOR = {"funnel": 4.0, "draw_funnel": 2.5, "table": 2.5}


def simulate(scale: float = 1.0):
    return simulate_company(CompanyConfig(scale=scale), rng=SEED)


@pytest.fixture(scope="module")
def default_run():
    """The default company (scale 1): best of 3 runs after one warm-up."""
    seconds, company = best_of(simulate)
    return seconds, company


# --------------------------------------------------------------------- speed
def test_default_company_speed(default_run):
    seconds, company = default_run
    tables = company.tables()
    assert tuple(tables) == TABLES
    rows = sum(len(df) for df in tables.values())
    print(f"\n[default company, scale 1] best of {REPEATS} after 1 warm-up: {seconds:.3f} s "
          f"({len(company.leads):,} leads, {len(company.opportunities):,} opportunities, "
          f"{rows:,} rows in {len(tables)} tables; goal < {DEFAULT_GOAL_SECONDS:.0f} s)")
    assert seconds < DEFAULT_GOAL_SECONDS


def test_scaling_curve():
    simulate(1)  # warm-up
    curve = {}
    for scale in SCALES:
        seconds, company = best_of(lambda s=scale: simulate(s), warmup=0)
        curve[scale] = (seconds, len(company.leads), len(company.opportunities))
    print(f"\n[scaling curve] best of {REPEATS} per scale")
    print(f"{'scale':>5} {'leads':>9} {'opps':>7} {'seconds':>8} {'s/10k leads':>11} "
          f"{'vs 1x':>6}")
    base = curve[1][0]
    for scale, (seconds, leads, opps) in curve.items():
        print(f"{scale:>5} {leads:>9,} {opps:>7,} {seconds:>8.3f} "
              f"{seconds / leads * 10_000:>11.3f} {seconds / base:>5.2f}x")
    # Linear or better: ten times the volume must cost less than ten times the time.
    assert curve[10][0] < 10 * curve[1][0]


# -------------------------------------------------------------------- memory
_MEMORY_SCRIPT = textwrap.dedent("""
    import json, resource, sys, time, tracemalloc
    from revopslab.config import CompanyConfig
    from revopslab.simulate import simulate_company

    def maxrss_mb():
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        return rss / 2**20 if sys.platform == "darwin" else rss / 2**10  # bytes on macOS

    def vmhwm_mb():  # Linux: the address space's own high-water mark
        try:
            with open("/proc/self/status") as f:
                return int(f.read().split("VmHWM:")[1].split()[0]) / 2**10
        except (OSError, IndexError):
            return None

    trace = sys.argv[1] == "tracemalloc"
    out = {"baseline_rss_mb": maxrss_mb()}  # after importing numpy, pandas, scipy
    if trace:
        tracemalloc.start()
    t0 = time.perf_counter()
    company = simulate_company(CompanyConfig(scale=float(sys.argv[2])), rng=int(sys.argv[3]))
    out["seconds"] = time.perf_counter() - t0
    if trace:
        out["tracemalloc_peak_mb"] = tracemalloc.get_traced_memory()[1] / 2**20
        tracemalloc.stop()
    out["peak_rss_mb"] = maxrss_mb()
    out["vmhwm_mb"] = vmhwm_mb()
    out["leads"] = len(company.leads)
    out["tables_mb"] = sum(df.memory_usage(deep=True).sum() for _, df in company) / 2**20
    print(json.dumps(out))
""")

def _measure_in_subprocess(mode: str, scale: float) -> dict:
    return run_measured(_MEMORY_SCRIPT, mode, str(scale), str(SEED), timeout=900)


@pytest.mark.skipif(sys.platform == "win32", reason="needs the resource module")
def test_peak_memory_10x():
    rss = _measure_in_subprocess("rss", 10)
    traced = _measure_in_subprocess("tracemalloc", 10)
    print(f"\n[peak memory, scale 10, fresh subprocess] {rss['leads']:,} leads, "
          f"run took {rss['seconds']:.2f} s")
    print(f"  RSS high-water mark, RUSAGE_CHILDREN ru_maxrss:  {rss['children_maxrss_mb']:7.0f} MB")
    print(f"  RSS high-water mark, child's own ru_maxrss:      {rss['peak_rss_mb']:7.0f} MB"
          f"  (after imports {rss['baseline_rss_mb']:.0f} MB: the simulation adds "
          f"{rss['peak_rss_mb'] - rss['baseline_rss_mb']:.0f} MB)")
    if rss["vmhwm_mb"] is not None:
        print(f"  RSS high-water mark, /proc/self/status VmHWM:    {rss['vmhwm_mb']:7.0f} MB")
    print(f"  tracemalloc peak (Python + numpy allocations):   "
          f"{traced['tracemalloc_peak_mb']:7.0f} MB  (run under tracemalloc took "
          f"{traced['seconds']:.2f} s)")
    print(f"  the 15 result tables (memory_usage deep=True):   {rss['tables_mb']:7.0f} MB")
    # The launcher keeps the measure clean: the child's high-water mark is its own.
    assert rss["baseline_rss_mb"] < rss["peak_rss_mb"] <= rss["children_maxrss_mb"] + 1
    assert traced["tracemalloc_peak_mb"] >= rss["tables_mb"] * 0.5


# ------------------------------------------------ naive row-by-row generator
def naive_leads(cfg: CompanyConfig, counts: dict[tuple[int, int], int],
                seed: int = SEED, table: bool = True) -> pd.DataFrame | int:
    """The leads table built one lead at a time: scalar draws, ifs and a list of dicts.

    Same waterfall and probabilities as ``_Simulation._funnel`` (formulas copied in
    scalar form): inquiry → AQL (lead score over marketing's threshold) → TAL → TQL →
    handoff → SAL for inbound, TGL → SAL for teleprospecting, SGL for field sales,
    then SQL and opportunity. ``counts[(month, channel)]`` fixes the volume.
    With ``table=False`` it only walks the waterfall and returns the number of leads
    (no names, timestamps, dicts or DataFrame).
    """
    # Private constants of the package engine, looked up when the benchmark runs.
    delays, speed_steps = engine_module._DELAY, engine_module._SPEED_STEP
    decay_days = engine_module._HANDOFF_DECAY_DAYS
    family_names, given_names = engine_module._names._FAMILY, engine_module._names._GIVEN
    market_accounts, market_share = engine_module._MARKET_ACCOUNTS, engine_module._MARKET_SHARE
    rnd = random.Random(seed)
    gauss, uniform = rnd.gauss, rnd.random
    levers = cfg.levers

    def expit(x: float) -> float:
        return 1.0 / (1.0 + math.exp(-x))

    def p(base: float, step: str) -> float:
        return min(0.98, base * cfg.conversion_multiplier(step))

    def delay(step: str, sigma: float = 0.8) -> float:
        median = delays[step] / cfg.speed_multiplier(speed_steps[step])
        return median * math.exp(sigma * gauss(0.0, 1.0))

    # The market: accounts with a segment and a latent fit.
    accounts = []
    pools = {s: [] for s in SEGMENTS}
    n_market = round(market_accounts * cfg.scale)
    for s in SEGMENTS:
        for _ in range(max(5, round(n_market * market_share[s]))):
            i = len(accounts)
            accounts.append({"account_id": f"A{i + 1:06d}", "fit": gauss(0.0, 1.0),
                             "domain": f"account{i + 1}.co.jp"})
            pools[s].append(i)

    shares = cfg.segment_shares()
    total_share = sum(shares.values())
    start = dt.datetime.fromisoformat(cfg.start)
    edges = [(pd.Timestamp(cfg.start) + pd.DateOffset(months=m) - pd.Timestamp(cfg.start)).days
             for m in range(cfg.months + 1)]
    end_day = edges[-1]
    stages = ("inquiry", "aql", "tal", "tql", "tgl", "sal", "sgl", "sql", "opportunity")

    rows, n_walked = [], 0
    for month in range(cfg.months):
        for c, channel in enumerate(cfg.channels):
            for _ in range(counts.get((month, c), 0)):
                # Who: segment, account, contact; how good a lead it is.
                r, cum, segment = uniform() * total_share, 0.0, SEGMENTS[-1]
                for s in SEGMENTS:
                    cum += shares[s]
                    if r < cum:
                        segment = s
                        break
                pool = pools[segment]
                account = accounts[pool[int(uniform() * len(pool))]]
                q = channel.quality_shift + 0.6 * account["fit"] + 0.8 * gauss(0.0, 1.0)
                score = expit(0.9 * q + 0.6 * gauss(0.0, 1.0))
                t = dict.fromkeys(stages)
                t["inquiry"] = edges[month] + uniform() * (edges[month + 1] - edges[month])
                handed, handed_step, handoff_days = None, None, None
                # Walk the waterfall one stage at a time.
                if channel.motion == "inbound":
                    if uniform() < p(expit((score - levers.mql_threshold) * 12),
                                     "inquiry_to_aql"):
                        t["aql"] = t["inquiry"] + delay("aql")
                        if uniform() < p(expit(1.0 + 0.9 * q), "aql_to_tal"):
                            t["tal"] = t["aql"] + delay("tal")
                            if uniform() < p(expit(-0.1 + 1.1 * q), "tal_to_tql"):
                                t["tql"] = t["tal"] + delay("tql")
                                handed, handed_step = t["tql"], "tql_to_sal"
                elif channel.motion == "outbound":
                    if uniform() < p(expit(-0.9 + 1.0 * q), "inquiry_to_tgl"):
                        t["tgl"] = t["inquiry"] + delay("tgl")
                        handed, handed_step = t["tgl"], "tgl_to_sal"
                elif uniform() < p(expit(0.3 + 1.0 * q), "inquiry_to_sgl"):
                    t["sgl"] = t["inquiry"] + delay("sgl")
                if handed is not None:  # the handoff: speed to lead
                    handoff = (levers.handoff_delay_days / cfg.speed_multiplier("tql_to_sal")
                               * math.exp(0.9 * gauss(0.0, 1.0)))
                    if cfg.handoff_sla_days is not None:
                        handoff = min(handoff, cfg.handoff_sla_days)
                    decay = math.exp(-handoff / decay_days)
                    if uniform() < p(expit(0.9 + 0.9 * q) * decay, handed_step):
                        t["sal"] = handed + handoff
                        handoff_days = round(handoff, 2)
                if t["sal"] is not None:
                    if uniform() < p(expit(-0.3 + 1.0 * q), "sal_to_sql"):
                        t["sql"] = t["sal"] + delay("sql_from_sal")
                elif t["sgl"] is not None and uniform() < p(expit(1.2 + 1.0 * q), "sgl_to_sql"):
                    t["sql"] = t["sgl"] + delay("sql_from_sgl")
                if t["sql"] is not None and uniform() < p(expit(0.4 + 0.8 * q),
                                                          "sql_to_opportunity"):
                    t["opportunity"] = t["sql"] + delay("opp")
                if not table:
                    n_walked += 1
                    continue
                # One row: a dict with timestamps, like a CRM export.
                family, given = rnd.choice(family_names), rnd.choice(given_names)
                row = {
                    "lead_id": f"L{len(rows) + 1:07d}",
                    "account_id": account["account_id"],
                    "contact_name": f"{family[0]} {given[0]}",
                    "email": f"{given[1]}.{family[1]}{len(rows) % 97}@{account['domain']}",
                    "channel": channel.name,
                    "motion": channel.motion,
                    "segment": segment,
                    "lead_score": round(score * 100),
                }
                furthest = "inquiry"
                for stage in stages:
                    day = t[stage]
                    if day is not None and day < end_day:
                        row[f"{stage}_at"] = start + dt.timedelta(minutes=round(day * 1440))
                        furthest = stage
                    else:
                        row[f"{stage}_at"] = None
                row["furthest_stage"] = furthest
                row["handoff_days"] = handoff_days
                rows.append(row)
    return pd.DataFrame(rows) if table else n_walked


def _engine(cfg: CompanyConfig, record: bool = False):
    """The package's private engine; with ``record`` it keeps each month's lead draws."""

    class Recording(engine_module._Simulation):
        def _draw_leads(self, month, promoters):
            batch = super()._draw_leads(month, promoters)
            self.recorded.append((month, promoters, batch))
            return batch

    root, seed = engine_module.seed_sequence(SEED)
    streams = dict(zip(engine_module._STREAMS, root.spawn(len(engine_module._STREAMS)),
                       strict=True))
    sim = (Recording if record else engine_module._Simulation)(cfg, streams, seed)
    sim.recorded = []
    return sim


def test_naive_row_by_row_generator(default_run):
    cfg = CompanyConfig()
    package_seconds, company = default_run
    leads = company.leads
    start = pd.Timestamp(cfg.start)
    month = ((leads["inquiry_at"].dt.year - start.year) * 12
             + leads["inquiry_at"].dt.month - start.month)
    channel = leads["channel"].map({ch.name: i for i, ch in enumerate(cfg.channels)})
    counts = Counter(zip(month.tolist(), channel.tolist(), strict=True))

    naive_seconds, naive = best_of(lambda: naive_leads(cfg, counts), warmup=0)
    walk_seconds, walked = best_of(lambda: naive_leads(cfg, counts, table=False), warmup=0)
    assert len(naive) == walked == len(leads)  # same volume
    assert list(naive.columns) == [c for c in leads.columns if c != "routed_to_account"]

    # The package's lead-generation steps alone, on the same months and draws.
    # The history's months only (the warm-up's leads are not in the table); the replay
    # runs on the engine that recorded them, whose roster (dated hires) gives each month
    # the inside-sales capacity it had.
    sim = _engine(cfg, record=True)
    sim.run()
    recorded = [r for r in sim.recorded if r[0] >= sim.warmup]
    engine = sim
    funnel_seconds, _ = best_of(
        lambda: [engine._funnel(m, b) for m, _, b in recorded], repeats=5)
    draw_funnel_seconds, _ = best_of(
        lambda: [engine._funnel(m, engine._draw_leads(m, pr)) for m, pr, _ in recorded],
        repeats=5)
    # Like for like with the naive table: draws, waterfall and the leads DataFrame with
    # its text columns (routing to open deals is left out: the naive side has none).

    def package_leads_table():
        batches = [engine._funnel(m, engine._draw_leads(m, pr)) for m, pr, _ in recorded]
        for batch in batches:
            batch["routed_to_account"] = np.zeros(len(batch["channel"]), dtype=bool)
        return engine_module._text_as_str(engine._leads_frame(batches)[2])

    table_seconds, table = best_of(package_leads_table, repeats=5)
    assert len(table) == len(leads)
    assert sum(len(b["channel"]) for _, _, b in recorded) == len(leads)

    # Same waterfall: the stage counts agree (opportunities differ: the package keeps
    # one open deal per account and routes the other leads to it).
    print(f"\n[naive vs vectorised] {len(leads):,} leads, default company")
    print(f"  {'stage':<12} {'package':>8} {'naive':>8}")
    for stage in ("aql", "tal", "tql", "tgl", "sal", "sgl", "sql", "opportunity"):
        ours, theirs = leads[f"{stage}_at"].notna().sum(), naive[f"{stage}_at"].notna().sum()
        print(f"  {stage:<12} {ours:>8,} {theirs:>8,}")
        if stage != "opportunity":
            assert abs(theirs - ours) <= 0.1 * ours + 30, stage

    ratio_full = naive_seconds / package_seconds
    ratio_table = naive_seconds / table_seconds
    ratio_draw_funnel = walk_seconds / draw_funnel_seconds
    ratio_funnel = walk_seconds / funnel_seconds
    print(f"  naive leads table: draws, waterfall, dicts, DataFrame  {naive_seconds:8.3f} s"
          f"  (best of {REPEATS})")
    print(f"  naive waterfall walk only (draws + stage ifs)          {walk_seconds:8.3f} s"
          f"  (best of {REPEATS})")
    print(f"  package simulate_company(), all {len(TABLES)} tables           "
          f"{package_seconds:8.3f} s  naive table / package = {ratio_full:5.1f}x")
    print(f"  package leads table: draws, waterfall, DataFrame        {table_seconds:8.3f} s"
          f"  naive table / package = {ratio_table:5.1f}x")
    print(f"  package _draw_leads + _funnel, {cfg.months} months           "
          f"{draw_funnel_seconds:8.3f} s  naive walk / package  = {ratio_draw_funnel:5.1f}x")
    print(f"  package _funnel alone, {cfg.months} months                   "
          f"{funnel_seconds:8.3f} s  naive walk / package  = {ratio_funnel:5.1f}x")
    ratio_table_funnel = naive_seconds / funnel_seconds
    print(f"  naive table / package _draw_leads + _funnel = "
          f"{naive_seconds / draw_funnel_seconds:5.1f}x; naive table / package _funnel = "
          f"{ratio_table_funnel:5.1f}x (not like for like: the naive side also builds the table)")
    for what, ratio in ((f"all {len(TABLES)} tables vs the naive leads table", ratio_full),
                        ("leads table vs the naive leads table (like for like)", ratio_table),
                        ("_funnel vs the naive waterfall walk", ratio_funnel),
                        ("_funnel vs the naive leads table", ratio_table_funnel)):
        verdict = "met" if ratio >= SPEEDUP_GOAL else "NOT met"
        print(f"  goal >= {SPEEDUP_GOAL:.0f}x, {what}: {verdict} ({ratio:.1f}x)")
    # What holds, like for like: the 20x goal does not (see the printed verdicts), so
    # the asserts are regression floors at about half the ratios measured when written
    # (funnel ~9x and draws + funnel ~6x the naive walk, leads table ~5x the naive
    # table, on a 2-CPU VM).
    assert ratio_funnel >= LIKE_FOR_LIKE_FLOOR["funnel"]
    assert ratio_draw_funnel >= LIKE_FOR_LIKE_FLOOR["draw_funnel"]
    assert ratio_table >= LIKE_FOR_LIKE_FLOOR["table"]
