"""The one sweep every experiment runs: arms × seeds on the simulator, common random numbers.

An experiment of the course moves one lever (or a few) of the simulated company and
compares it with the company as it was. :func:`sweep` runs every arm with every seed, from
one shared past, and returns what a measurement function reads off each run, tidy. The
experiments of :mod:`~revopslab.experiments`, :mod:`~revopslab.org`,
:mod:`~revopslab.process` and :mod:`~revopslab.claims` call it; none keeps its own loop.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping

import numpy as np
import pandas as pd

from . import _cache
from ._seeds import check_seeds
from .config import CompanyConfig
from .simulate import Company, cache_key, simulate_company

__all__ = ["sweep", "per_seed", "summarise_effect"]

Measure = Callable[[Company], "Mapping[str, float] | pd.Series"]


def sweep(arms: Mapping[str, CompanyConfig], *, seeds: Iterable[int], measure: Measure,
          history: CompanyConfig | None = None, column: str = "arm", progress: bool = False,
          desc: str = "seeds") -> pd.DataFrame:
    """Simulate every arm with every seed and collect ``measure`` of each run, tidy.

    The same seed under different arms draws the same leads and customers (common random
    numbers), and every arm shares one past (the warm-up years of ``history``, see
    :func:`revopslab.simulate.simulate_company`): the levers move on the history's first
    day, so a paired difference is what those months of the lever did.

    Parameters
    ----------
    arms
        Label -> config; the first arm is the control.
    seeds
        Integer seeds; one run of every arm per seed.
    measure
        ``Company -> mapping or Series`` of named numbers read off one run.
    history
        How the shared past was run (default: the first arm's config).
    column
        Name of the column that holds the arm label.
    progress
        Show a tqdm progress bar over seeds (on stderr).
    desc
        The progress bar's label.

    Returns
    -------
    pandas.DataFrame
        Columns ``seed``, ``column`` (categorical, in the order of ``arms``), ``measure``
        and ``value``: one row per seed, arm and measured number.

    Examples
    --------
    >>> import dataclasses
    >>> tiny = CompanyConfig(months=6, scale=0.1)
    >>> arms = {"as is": tiny, "sla 1 day": dataclasses.replace(tiny, handoff_sla_days=1)}
    >>> frame = sweep(arms, seeds=[3, 4], measure=lambda c: {"deals": len(c.opportunities)})
    >>> frame.shape, list(frame["arm"].cat.categories)
    ((4, 4), ['as is', 'sla 1 day'])
    >>> sweep({}, seeds=[1], measure=len)
    Traceback (most recent call last):
    ...
    ValueError: arms must map distinct labels to CompanyConfigs (at least one), got []
    """
    if not isinstance(arms, Mapping) or not arms:
        raise ValueError("arms must map distinct labels to CompanyConfigs (at least one), "
                         f"got {list(arms) if isinstance(arms, Mapping) else arms!r}")
    for label, config in arms.items():
        if not isinstance(config, CompanyConfig):
            raise TypeError(f"arms[{label!r}] must be a CompanyConfig, "
                            f"got {type(config).__name__}")
    if not callable(measure):
        raise TypeError(f"measure must be a function Company -> mapping of numbers, "
                        f"got {measure!r}")
    if history is not None and not isinstance(history, CompanyConfig):
        raise TypeError(f"history must be a CompanyConfig or None, got {type(history).__name__}")
    seeds = check_seeds(seeds)
    from tqdm.auto import tqdm

    past = next(iter(arms.values())) if history is None else history
    parts = []
    for seed in tqdm(seeds, desc=desc, unit="seed", disable=not progress):
        for label, config in arms.items():
            values = _measured(measure, config, seed, past)
            parts.append(pd.DataFrame({"seed": seed, column: label,
                                       "measure": values.index.astype(str),
                                       "value": values.to_numpy()}))
    frame = pd.concat(parts, ignore_index=True)
    frame[column] = pd.Categorical(frame[column], categories=list(arms))
    frame["measure"] = frame["measure"].astype("str")
    return frame


def _measured(measure: Measure, config: CompanyConfig, seed: int,
              past: CompanyConfig) -> pd.Series:
    """``measure`` of one run, read back from the cache when this run was measured before."""
    key = None
    if _cache.cache_dir() is not None:
        key = _cache.measure_key(cache_key(config, seed, past), measure)
    stored = _cache.load_measure(key)
    if stored is not None:
        return pd.Series(stored, dtype=float)
    values = pd.Series(measure(simulate_company(config, rng=seed, history=past)), dtype=float)
    _cache.store_measure(key, dict(zip(values.index.astype(str), values.to_numpy(), strict=True)))
    return values


def per_seed(frame: pd.DataFrame, *, column: str = "arm") -> pd.DataFrame:
    """A tidy :func:`sweep` frame made wide: one row per seed and arm, one column per measure.

    Examples
    --------
    >>> frame = pd.DataFrame({"seed": [1, 1, 2, 2], "arm": ["a", "b", "a", "b"],
    ...                       "measure": "deals", "value": [3.0, 4.0, 5.0, 7.0]})
    >>> per_seed(frame)  # doctest: +NORMALIZE_WHITESPACE
       seed arm  deals
    0     1   a    3.0
    1     1   b    4.0
    2     2   a    5.0
    3     2   b    7.0
    """
    missing = sorted({"seed", column, "measure", "value"} - set(frame.columns))
    if missing:
        raise ValueError(f"frame must come from sweep (columns seed, {column}, measure, value); "
                         f"missing {missing}")
    wide = frame.pivot_table(index=["seed", column], columns="measure", values="value",
                             aggfunc="first", observed=True, sort=False)
    wide = wide[list(pd.unique(frame["measure"]))]
    wide.columns.name = None
    return wide.reset_index()


def summarise_effect(effects: Iterable[float], *, direction: str,
                     interval: tuple[float, float] = (0.1, 0.9)) -> dict[str, float]:
    """Median, interval over seeds and share of seeds in the claimed direction of effects.

    Parameters
    ----------
    effects
        One effect per seed (NaN seeds are dropped).
    direction
        ``"higher"`` (the claim expects > 0) or ``"lower"`` (< 0).
    interval
        The percentiles of the interval (default the 10th and 90th).

    Examples
    --------
    >>> out = summarise_effect([-0.2, -0.1, 0.05, -0.15], direction="lower")
    >>> out["median"], out["share_in_direction"], out["seeds"]
    (-0.125, 0.75, 4)
    >>> summarise_effect([1.0], direction="up")
    Traceback (most recent call last):
    ...
    ValueError: direction must be 'higher' or 'lower', got 'up'
    """
    if direction not in ("higher", "lower"):
        raise ValueError(f"direction must be 'higher' or 'lower', got {direction!r}")
    values = pd.Series(list(effects), dtype=float).dropna()
    sign = 1.0 if direction == "higher" else -1.0
    n = len(values)
    return {
        "median": float(values.median()) if n else float("nan"),
        "low": float(values.quantile(interval[0])) if n else float("nan"),
        "high": float(values.quantile(interval[1])) if n else float("nan"),
        "share_in_direction": float((np.sign(values) == sign).mean()) if n else float("nan"),
        "seeds": n,
    }
