"""The cache of simulated companies: exact, keyed on everything that matters, and bounded."""

from __future__ import annotations

import dataclasses
import os
import time
from types import MappingProxyType

import numpy as np
import pandas as pd
import pytest

from revopslab import _cache
from revopslab import simulate as simulate_module
from revopslab.config import CompanyConfig
from revopslab.simulate import TABLES, simulate_company

TINY = CompanyConfig(months=6, scale=0.1)


@pytest.fixture
def folder(tmp_path, monkeypatch):
    """An empty cache folder of this test's own, the cache on."""
    monkeypatch.delenv("REVOPSLAB_CACHE", raising=False)
    monkeypatch.delenv("REVOPSLAB_CACHE_MAX_MB", raising=False)
    monkeypatch.setenv("REVOPSLAB_CACHE_DIR", str(tmp_path / "companies"))
    return tmp_path / "companies"


@pytest.fixture
def no_simulation(monkeypatch):
    """Calling this makes any further simulation fail: what follows must come from the cache."""

    def forbid():
        def refuse(self):
            raise AssertionError("simulated although the company is in the cache")

        monkeypatch.setattr(simulate_module._Simulation, "run", refuse)

    return forbid


def _assert_same_company(cached, fresh):
    assert cached.config == fresh.config
    assert cached.seed == fresh.seed
    assert cached.as_of == fresh.as_of
    for name in TABLES:
        pd.testing.assert_frame_equal(getattr(cached, name), getattr(fresh, name),
                                      check_exact=True)


def test_a_company_is_stored_on_its_second_simulation_and_read_back_exactly(
        folder, no_simulation):
    first = simulate_company(TINY, rng=3)
    assert _cache.usage(folder) == {"companies": 0, "markers": 1, "measures": 0, "results": 0,
                                     "bytes": 0}
    second = simulate_company(TINY, rng=3)
    assert _cache.usage(folder)["companies"] == 1
    no_simulation()
    third = simulate_company(TINY, rng=3)
    _assert_same_company(third, first)
    _assert_same_company(second, first)
    # Each read is a fresh copy: changing one does not change the next.
    third.leads.loc[:, "channel"] = "changed"
    assert (simulate_company(TINY, rng=3).leads["channel"] != "changed").all()


def test_the_cached_company_equals_a_simulation_without_the_cache(folder):
    for _ in range(2):
        simulate_company(TINY, rng=5, history=dataclasses.replace(TINY, org_model="siloed"))
    cached = simulate_company(TINY, rng=5, history=dataclasses.replace(TINY, org_model="siloed"))
    with _cache.disabled():
        fresh = simulate_company(TINY, rng=5,
                                 history=dataclasses.replace(TINY, org_model="siloed"))
    _assert_same_company(cached, fresh)


def test_seed_config_and_history_each_change_the_key():
    base = _cache.company_key(TINY, 3)
    others = [
        _cache.company_key(TINY, 4),
        _cache.company_key(dataclasses.replace(TINY, flywheel=False), 3),
        _cache.company_key(dataclasses.replace(TINY, handoff_sla_days=1.0), 3),
        _cache.company_key(dataclasses.replace(TINY, conversion_multipliers={"sal_to_sql": 1.1}),
                           3),
        _cache.company_key(TINY, 3, history=dataclasses.replace(TINY, org_model="siloed")),
    ]
    assert len({base, *others}) == len(others) + 1


def test_equal_configs_share_a_key_whatever_the_mapping_type_or_order():
    one = dataclasses.replace(
        TINY, speed_multipliers=MappingProxyType({"aql_to_tal": 1.5, "tal_to_tql": 2.0}))
    two = dataclasses.replace(TINY, speed_multipliers={"tal_to_tql": 2.0, "aql_to_tal": 1.5})
    assert _cache.company_key(one, 3) == _cache.company_key(two, 3)


def test_the_key_covers_the_simulator_code_and_the_numeric_libraries():
    modules = set()
    todo = ["simulate"]
    while todo:
        name = todo.pop()
        if name not in modules and (_cache._PACKAGE / f"{name}.py").is_file():
            modules.add(name)
            todo.extend(_cache._module_imports(_cache._PACKAGE / f"{name}.py"))
    assert {"simulate", "config", "vocabulary", "_names"} <= modules
    _cache._code_digest.cache_clear()
    before = _cache._code_digest()
    original = np.__version__
    try:
        np.__version__ = original + "+other"
        _cache._code_digest.cache_clear()
        assert _cache._code_digest() != before
    finally:
        np.__version__ = original
        _cache._code_digest.cache_clear()
    assert _cache._code_digest() == before


def test_a_generator_or_seed_sequence_is_never_cached(folder):
    for _ in range(2):
        simulate_company(TINY, rng=np.random.default_rng(3))
        simulate_company(TINY, rng=np.random.SeedSequence(3))
    assert _cache.usage(folder) == {"companies": 0, "markers": 0, "measures": 0, "results": 0,
                                     "bytes": 0}


@pytest.mark.parametrize("switch", ["off", "0", "false"])
def test_the_cache_can_be_turned_off(folder, monkeypatch, switch):
    monkeypatch.setenv("REVOPSLAB_CACHE", switch)
    for _ in range(3):
        simulate_company(TINY, rng=3)
    assert not folder.exists()


def test_without_a_folder_the_cache_is_off(monkeypatch, tmp_path):
    monkeypatch.delenv("REVOPSLAB_CACHE_DIR", raising=False)
    monkeypatch.chdir(tmp_path)
    assert _cache.cache_dir() is None
    simulate_company(TINY, rng=3)
    assert list(tmp_path.iterdir()) == []


def test_the_folder_is_capped_and_the_least_recently_used_company_goes_first(folder, monkeypatch):
    for seed in (1, 2):
        for _ in range(2):
            simulate_company(TINY, rng=seed)
    sizes = sorted(path.stat().st_size for path in folder.glob("*.pkl.z"))
    assert len(sizes) == 2
    # Room for two companies, not three: storing a third evicts the least recently used.
    monkeypatch.setenv("REVOPSLAB_CACHE_MAX_MB", str((sizes[0] + sizes[1] + 1000) / 1e6))
    old = time.time() - 100
    for seed in (1, 2):
        os.utime(folder / f"{_cache.company_key(TINY, seed)}.pkl.z", (old, old + seed))
    simulate_company(TINY, rng=1)  # a hit: seed 1 is now the most recently used
    for _ in range(2):
        simulate_company(TINY, rng=3)
    kept = {path.name for path in folder.glob("*.pkl.z")}
    assert kept == {f"{_cache.company_key(TINY, s)}.pkl.z" for s in (1, 3)}
    assert _cache.usage(folder)["bytes"] <= (sizes[0] + sizes[1] + 1000)


def test_a_company_larger_than_the_cap_is_not_stored(folder, monkeypatch):
    monkeypatch.setenv("REVOPSLAB_CACHE_MAX_MB", "0.001")
    for _ in range(3):
        simulate_company(TINY, rng=3)
    assert _cache.usage(folder)["companies"] == 0


def test_a_bad_cap_names_the_variable(folder, monkeypatch):
    monkeypatch.setenv("REVOPSLAB_CACHE_MAX_MB", "lots")
    with pytest.raises(ValueError, match="REVOPSLAB_CACHE_MAX_MB must be a number"):
        _cache._max_bytes()


def test_a_damaged_entry_is_a_miss_and_is_replaced(folder):
    for _ in range(2):
        fresh = simulate_company(TINY, rng=3)
    path = folder / f"{_cache.company_key(TINY, 3)}.pkl.z"
    path.write_bytes(path.read_bytes()[:100])
    again = simulate_company(TINY, rng=3)  # simulated: the truncated entry is dropped
    _assert_same_company(again, fresh)
    assert _cache.load(_cache.company_key(TINY, 3)) is not None  # stored whole again


# ------------------------------------------------------- measurements of experiment runs

def test_a_sweep_with_a_package_measure_is_read_back_without_simulating(folder, no_simulation):
    from revopslab.experiments import outcomes
    from revopslab.sweep import sweep

    arms = {"as is": TINY, "sla 1 day": dataclasses.replace(TINY, handoff_sla_days=1)}
    first = sweep(arms, seeds=[3, 4], measure=outcomes)
    assert _cache.usage(folder)["measures"] == 4  # 2 arms x 2 seeds, stored the first time
    no_simulation()
    again = sweep(arms, seeds=[3, 4], measure=outcomes)
    pd.testing.assert_frame_equal(again, first, check_exact=True)


def test_the_cached_measurements_equal_a_sweep_without_the_cache(folder):
    from revopslab.experiments import outcomes
    from revopslab.sweep import sweep

    arms = {"as is": TINY, "sla 1 day": dataclasses.replace(TINY, handoff_sla_days=1)}
    sweep(arms, seeds=[5], measure=outcomes)
    cached = sweep(arms, seeds=[5], measure=outcomes)
    with _cache.disabled():
        fresh = sweep(arms, seeds=[5], measure=outcomes)
    pd.testing.assert_frame_equal(cached, fresh, check_exact=True)


def test_a_lambda_or_closure_measure_is_never_cached(folder):
    from revopslab.sweep import sweep

    frame = sweep({"as is": TINY}, seeds=[3], measure=lambda c: {"deals": len(c.opportunities)})
    assert _cache.usage(folder)["measures"] == 0
    assert frame["value"].iloc[0] > 0


def test_the_measure_key_covers_the_company_the_function_and_its_arguments(folder):
    import functools

    from revopslab.experiments import outcomes
    from revopslab.org import _sla_outcomes

    company = _cache.company_key(TINY, 3)
    key = _cache.measure_key(company, outcomes)
    assert key == _cache.measure_key(company, outcomes)
    assert key != _cache.measure_key(_cache.company_key(TINY, 4), outcomes)
    assert key != _cache.measure_key(company, _sla_outcomes)
    # A partial is keyed on its function and its arguments.
    assert key == _cache.measure_key(company, functools.partial(outcomes))
    one = _cache.measure_key(company, functools.partial(outcomes, months=12))
    assert one not in (key, _cache.measure_key(company, functools.partial(outcomes, months=6)))
    assert one == _cache.measure_key(company, functools.partial(outcomes, months=12))


def test_a_damaged_measurement_is_a_miss_and_the_cache_off_stores_nothing(folder, monkeypatch):
    from revopslab.experiments import outcomes

    key = _cache.measure_key(_cache.company_key(TINY, 3), outcomes)
    assert _cache.store_measure(key, {"a": 1.5, "b": float("nan")})
    stored = _cache.load_measure(key)
    assert list(stored) == ["a", "b"] and stored["a"] == 1.5 and np.isnan(stored["b"])
    (folder / f"{key}.measure.json").write_text("{not json", encoding="utf-8")
    assert _cache.load_measure(key) is None
    monkeypatch.setenv("REVOPSLAB_CACHE", "off")
    assert _cache.measure_key(_cache.company_key(TINY, 3), outcomes) is None
    assert not _cache.store_measure(key, {"a": 1.0})


# ------------------------------------------------------------ results of slow analyses

def test_a_backtest_is_read_back_equal_and_recomputed_when_a_table_changes(folder):
    from revopslab import forecast

    company = simulate_company(TINY, rng=3)
    first = forecast.backtest(company, methods=("weighted", "last_period"), horizon="month",
                              progress=False)
    assert _cache.usage(folder)["results"] == 1
    key = _cache.result_key(forecast._backtest, (company,), dict(
        horizon="month", methods=("weighted", "last_period"), model="hgb", target="pipeline",
        level=None, run_rate_periods=4, progress=True))
    assert (folder / f"{key}.result.z").exists()  # progress is not part of the key
    again = forecast.backtest(company, methods=("weighted", "last_period"), horizon="month",
                              progress=False)
    pd.testing.assert_frame_equal(again, first, check_exact=True)
    assert again is not first  # a fresh copy: changing it cannot change the stored answer
    with _cache.disabled():
        fresh = forecast.backtest(company, methods=("weighted", "last_period"),
                                  horizon="month", progress=False)
    pd.testing.assert_frame_equal(again, fresh, check_exact=True)
    # A table changed in place gives another key, so the backtest is computed again.
    company.opportunities.loc[company.opportunities.index[0], "amount"] += 1_000_000
    assert _cache.result_key(forecast._backtest, (company,), dict(
        horizon="month", methods=("weighted", "last_period"), model="hgb", target="pipeline",
        level=None, run_rate_periods=4, progress=True)) != key
    forecast.backtest(company, methods=("weighted", "last_period"), horizon="month",
                      progress=False)
    assert _cache.usage(folder)["results"] == 2


def test_a_result_is_keyed_on_every_argument_and_never_on_a_generator(folder):
    from revopslab import process

    key = _cache.result_key(process._bottleneck_shift, (TINY,),
                            dict(rng=3, lift=0.2, kind="gap", rounds=1))
    assert key is not None
    for other in (dict(rng=4, lift=0.2, kind="gap", rounds=1),
                  dict(rng=3, lift=0.3, kind="gap", rounds=1),
                  dict(rng=3, lift=0.2, kind="gap", rounds=2)):
        assert _cache.result_key(process._bottleneck_shift, (TINY,), other) != key
    assert _cache.result_key(process._bottleneck_shift, (dataclasses.replace(TINY, months=7),),
                             dict(rng=3, lift=0.2, kind="gap", rounds=1)) != key
    assert _cache.result_key(process._bottleneck_shift, (TINY,), dict(
        rng=np.random.default_rng(3), lift=0.2, kind="gap", rounds=1)) is None
    assert _cache.result_key(lambda config: config, (TINY,), {}) is None  # not the package's


def test_a_damaged_result_is_a_miss_and_is_computed_again(folder):
    from revopslab import process

    first = _cache.cached_call(process.compound_growth, steps=5, years=[1, 2])
    [entry] = folder.glob("*.result.z")
    entry.write_bytes(b"not zlib")
    again = _cache.cached_call(process.compound_growth, steps=5, years=[1, 2])
    pd.testing.assert_frame_equal(again, first, check_exact=True)
    assert _cache.usage(folder)["results"] == 1  # stored whole again


# ------------------------------------------------- warm-ups shared by the arms of an experiment

@pytest.mark.parametrize("history", [CompanyConfig(months=12, scale=0.2),
                                     CompanyConfig(months=12, scale=0.2, org_model="siloed",
                                                   founded_years_before_start=2.0)])
def test_an_arm_resumed_from_a_shared_warm_up_equals_one_simulated_afresh(folder, monkeypatch,
                                                                           history):
    from revopslab.simulate import _WARMUPS

    arms = [history, dataclasses.replace(history, org_model="aligned", handoff_sla_days=1.0),
            dataclasses.replace(history, inside_sales_reps=9),
            dataclasses.replace(history, gtm_motion="PLG", mql_threshold=0.3)]
    monkeypatch.setenv("REVOPSLAB_CACHE", "off")  # no memory, no disk: every month simulated
    fresh = [simulate_company(arm, rng=5, history=history) for arm in arms]
    monkeypatch.delenv("REVOPSLAB_CACHE")
    monkeypatch.delenv("REVOPSLAB_CACHE_DIR")  # the memory alone, not the disk cache
    _WARMUPS.clear()
    hits = _WARMUPS.hits
    resumed = [simulate_company(arm, rng=5, history=history) for arm in arms]
    assert _WARMUPS.hits - hits == len(arms) - 1  # the first arm simulated the warm-up
    for one, other in zip(resumed, fresh, strict=True):
        _assert_same_company(one, other)
    # Another seed is another warm-up, never a resumed one.
    other_seed = simulate_company(arms[1], rng=6, history=history)
    assert _WARMUPS.hits - hits == len(arms) - 1
    assert not other_seed.opportunities.equals(resumed[1].opportunities)
