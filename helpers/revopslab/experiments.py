"""The book's claims of chapters 1 and 2 as paired, seeded experiments on the simulated company."""

from __future__ import annotations

import dataclasses
import functools
import warnings
from collections.abc import Iterable, Mapping
from types import MappingProxyType
from typing import NamedTuple

import numpy as np
import pandas as pd

from ._lang import resolve_lang
from ._seeds import check_seeds
from .config import ORG_PRESETS, CompanyConfig
from .metrics import (
    CSAT_SATISFIED,
    MetricWarning,
    cac_payback_months,
    expansion_rate,
    gross_revenue_retention,
    logo_churn_rate,
    ltv_capped,
    net_revenue_retention,
    win_rate,
)
from .simulate import Company
from .style import format_yen
from .sweep import per_seed, sweep

__all__ = [
    "MEASURES",
    "CLAIMS",
    "DEFAULT_SEEDS",
    "STORY_SEEDS",
    "PairedDifferences",
    "outcomes",
    "run_arms",
    "compare_org_models",
    "paired_differences",
    "relative_per_seed",
    "claim_table",
    "lead_count_story",
    "deal_count_story",
    "cro_vs_head_of_sales",
    "inside_sales_headcount",
    "INSIDE_SALES_TEAM",
    "inside_sales_team",
    "INTERVAL",
    "ORG_LEVERS",
    "org_lever_shares",
    "handoff_context_story",
    "headcount_to_match",
    "next_year_growth",
    "target_attainment",
    "TERMS_JA",
    "term",
    "localize",
]

#: Seeds of the siloed-vs-aligned comparison (claim 1) and of the smaller experiments.
DEFAULT_SEEDS: tuple[int, ...] = tuple(range(20))
STORY_SEEDS: tuple[int, ...] = tuple(range(8))

#: Every measure :func:`outcomes` returns, with its definition and unit.
MEASURES: Mapping[str, str] = MappingProxyType({
    "revenue": "subscription revenue over the whole horizon (sum of MRR; 3 years by default), yen",
    "gross_profit": "revenue minus the cost-of-revenue lines over the horizon, yen",
    "operating_profit": "revenue minus every cost line over the horizon, yen",
    "ending_arr": "12 x the MRR of the last month, yen",
    "bookings": "ACV after discount of every deal won over the horizon, yen",
    "bookings_first_quarter": "ACV after discount of the deals won in the first 3 months, yen",
    "bookings_first_year": "ACV after discount of the deals won in the first 12 months, yen",
    "deals_won": "deals won over the horizon, count",
    "deals_won_first_quarter": "deals won in the first 3 months, count",
    "deals_won_first_year": "deals won in the first 12 months, count",
    "win_rate": "won / closed deals, over every deal closed in the horizon, share",
    "avg_discount": "mean discount of the deals won over the horizon, share of list price",
    "early_churn": "share of new customers who stop paying within 12 months of their first "
                   "paid month (customers whose first 12 months are observed), share",
    "logo_churn": "share of the customers paying 12 months before the end who pay nothing in "
                  "the last month, share",
    "nrr": "net revenue retention over the last 12 months, ratio",
    "grr": "gross revenue retention over the last 12 months, ratio",
    "cac_payback_months": "sales and marketing cost / new MRR x gross margin, last 12 months, "
                          "months",
    "ltv": "ARPA x gross margin x min(1 / monthly logo churn, 60 months), last 12 months "
           "(the catalogue's LTV, metrics.ltv_capped), yen",
    "expansion_mrr": "MRR added by expansion movements (up-sell, cross-sell) over the horizon, "
                     "yen per month",
    "expansion_rate": "MRR the customers paying 12 months before the end added by the last "
                      "month, over their MRR then (NRR - GRR, metrics.expansion_rate), share",
    "onboarding_csat": "CSAT (share of ratings of 4 or 5, metrics.csat) of the tickets opened "
                       "in a customer's first 3 paid months, share",
    "onboarding_nps": "NPS of the survey answers given in a customer's first 6 paid months, "
                      "points (-100 to 100)",
    "aqls": "leads marketing passed as AQLs (marketing's lead-count KPI), count",
    "sqls": "leads that reached the SQL stage, count",
    "opportunities_per_win": "deals closed (won or lost) per deal won, deals per win",
    "activities_per_win": "sales activities logged on every closed deal per deal won (the "
                          "simulator's measure of sales time), count",
})

_HIGHER, _LOWER = "higher", "lower"

#: The direction each experiment's claim expects for ``treatment - control``, keyed by
#: ``(arm column, control, treatment)``. Only the measures the book claims are listed.
CLAIMS: Mapping[tuple[str, str, str], Mapping[str, str]] = MappingProxyType({
    # Claim 1: siloed goals lose revenue (SiriusDecisions: aligned grow faster, more profit).
    ("org_model", "aligned", "siloed"): {
        "revenue": _LOWER, "gross_profit": _LOWER, "operating_profit": _LOWER,
        "win_rate": _LOWER, "avg_discount": _HIGHER, "early_churn": _HIGHER,
        "nrr": _LOWER, "cac_payback_months": _HIGHER,
    },
    # Claim 2: marketing measured on lead count passes weak leads; wins stall. (With MA and
    # SFA unjoined, inside sales works leads first come, first served: weak leads crowd out
    # good ones, so SQLs need not rise: that is measured, not claimed.)
    ("marketing_kpi", "shared_goals", "lead_count"): {
        "aqls": _HIGHER, "win_rate": _LOWER, "opportunities_per_win": _HIGHER,
        "activities_per_win": _HIGHER, "bookings": _LOWER,
    },
    # Claim 3: sales measured on deal count discounts; CS cannot up-sell or keep them.
    ("sales_kpi", "shared_goals", "deal_count"): {
        "deals_won": _HIGHER, "avg_discount": _HIGHER, "ltv": _LOWER,
        "expansion_rate": _LOWER, "expansion_mrr": _LOWER, "early_churn": _HIGHER,
    },
    # Claim 4: context lost at the sales -> CS handoff hurts the experience and retention.
    ("handoff", "context_kept", "context_lost"): {
        "onboarding_csat": _LOWER, "onboarding_nps": _LOWER, "early_churn": _HIGHER,
    },
    # Claim 6: bookings-only leadership closes more now and earns less later. (Yen bookings
    # in the first quarter and year are measured, not claimed: they rise in only some seeds.)
    ("strategy", "cro", "head_of_sales"): {
        "deals_won_first_year": _HIGHER, "revenue": _LOWER, "ltv": _LOWER,
    },
})


# ----------------------------------------------------------------- helpers
def _months(company: Company) -> pd.DatetimeIndex:
    """Month starts of the company's simulated horizon."""
    return pd.date_range(company.config.start, periods=company.config.months, freq="MS")


def _account_month_mrr(mrr: pd.DataFrame) -> pd.DataFrame:
    """Accounts x months of total MRR (0 where an account paid nothing)."""
    return mrr.groupby(["account_id", "month"])["mrr"].sum().unstack(fill_value=0.0)


def _bookings(opportunities: pd.DataFrame, first: pd.Timestamp, stop: pd.Timestamp
              ) -> tuple[float, int]:
    """ACV (after discount) and count of deals won with ``first <= closed_at < stop``."""
    won = opportunities[opportunities["is_won"]]
    won = won[(won["closed_at"] >= first) & (won["closed_at"] < stop)]
    return float(won["amount"].sum()), len(won)


def _average_discount(opportunities: pd.DataFrame) -> float:
    """Mean discount (share of list price) of the won deals."""
    won = opportunities.loc[opportunities["is_won"], "discount"]
    return float(won.mean()) if len(won) else float("nan")


def _early_churn(mrr: pd.DataFrame, *, window: int = 12) -> float:
    """Share of new customers who miss a payment within ``window`` months of their first one.

    A customer's first paid month ``f`` must be at least ``window`` months before the last
    month of data (its first ``window`` months after ``f`` are observed); it churned early
    when it pays nothing in some month of ``f + 1 … f + window``.
    """
    if len(mrr) == 0:
        return float("nan")
    paid = _account_month_mrr(mrr)
    months = pd.date_range(paid.columns.min(), mrr["month"].max(), freq="MS")
    paid = paid.reindex(columns=months, fill_value=0.0).to_numpy() > 0
    first = paid.argmax(axis=1)
    observed = first + window <= len(months) - 1
    if not observed.any():
        return float("nan")
    rows = np.flatnonzero(observed)
    offsets = first[rows, None] + np.arange(1, window + 1)[None, :]
    churned = ~paid[rows[:, None], offsets].all(axis=1)
    return float(churned.mean())


def _onboarding_experience(mrr: pd.DataFrame, tickets: pd.DataFrame, nps: pd.DataFrame, *,
                           csat_months: int = 3, nps_months: int = 6) -> tuple[float, float]:
    """CSAT (top-two-box share) and NPS (points) of what customers said in their first months.

    CSAT is the catalogue's definition (:func:`revopslab.metrics.csat`: ratings of 4 or 5
    over all ratings), here over the tickets opened in each customer's first paid months.
    """
    paying = mrr[mrr["mrr"] > 0]
    if len(paying) == 0:
        return float("nan"), float("nan")
    first = paying.groupby("account_id")["month"].min()

    def within(frame: pd.DataFrame, column: str, months: int) -> pd.DataFrame:
        start = frame["account_id"].map(first)
        end = start + pd.DateOffset(months=months)
        return frame[start.notna() & (frame[column] >= start) & (frame[column] < end)]

    rated = within(tickets, "opened_at", csat_months)["csat"].dropna()
    csat = float((rated.astype(float) >= CSAT_SATISFIED).mean()) if len(rated) else float("nan")
    scores = within(nps, "surveyed_at", nps_months)["score"]
    if len(scores) == 0:
        return csat, float("nan")
    return csat, float(100 * ((scores >= 9).mean() - (scores <= 6).mean()))


def _per_win(numerator: float, opportunities: pd.DataFrame) -> float:
    wins = int(opportunities["is_won"].sum())
    return float(numerator / wins) if wins else float("nan")


def _safe(function, *args, **kwargs) -> float:
    """A metric's value, or NaN when the data cannot support it (e.g. too short a history).

    The metric's own :class:`~revopslab.metrics.MetricWarning` is silenced: across many
    seeds a NaN outcome is expected, documented in :data:`MEASURES`, and counted by
    :func:`paired_differences` (its ``seeds`` column), so a warning per run adds only noise.
    """
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", MetricWarning)
            return float(function(*args, **kwargs))
    except ValueError:
        return float("nan")


# ---------------------------------------------------------------- outcomes
def outcomes(company: Company) -> pd.Series:
    """The measures every experiment compares, for one company (see :data:`MEASURES`).

    Revenue, profit and bookings are summed over the whole simulated horizon (3 years by
    default); retention, LTV and CAC payback are read over the last 12 months; early churn
    follows each customer for 12 months after its first paid month, so only customers
    won at least 12 months before the end count.

    Parameters
    ----------
    company
        A simulated (or loaded) company; its ``config`` gives the horizon and gross margin.

    Returns
    -------
    pandas.Series
        One float per measure, indexed in :data:`MEASURES` order. A measure the data
        cannot support (no wins, too short a history) is NaN.

    Examples
    --------
    >>> from revopslab.config import CompanyConfig
    >>> from revopslab.simulate import simulate_company
    >>> company = simulate_company(CompanyConfig(months=12, scale=0.2), rng=7)
    >>> values = outcomes(company)
    >>> list(values.index[:3])
    ['revenue', 'gross_profit', 'operating_profit']
    >>> bool(values[["win_rate", "avg_discount"]].between(0, 1).all())
    True
    """
    if not isinstance(company, Company):
        raise TypeError(f"company must be a revopslab Company, got {type(company).__name__}")
    cfg = company.config
    months = _months(company)
    start, stop = months[0], months[-1] + pd.DateOffset(months=1)
    opps, mrr, costs, moves = (company.opportunities, company.mrr, company.costs,
                               company.mrr_movements)
    in_horizon = mrr["month"].between(months[0], months[-1])
    revenue = float(mrr.loc[in_horizon, "mrr"].sum())
    cost_in = costs[costs["month"].between(months[0], months[-1])]
    bookings, deals = _bookings(opps, start, stop)
    q_bookings, q_deals = _bookings(opps, start, start + pd.DateOffset(months=3))
    y_bookings, y_deals = _bookings(opps, start, start + pd.DateOffset(months=12))
    closed = opps[opps["is_closed"]]
    last_mrr = mrr.loc[mrr["month"] == months[-1], "mrr"].sum()
    expansion = moves.loc[moves["movement"] == "expansion", "mrr_change"].sum()
    onboarding_csat, onboarding_nps = _onboarding_experience(mrr, company.tickets,
                                                             company.nps_responses)
    values = {
        "revenue": revenue,
        "gross_profit": revenue - float(
            cost_in.loc[cost_in["department"] == "cost_of_revenue", "amount"].sum()),
        "operating_profit": revenue - float(cost_in["amount"].sum()),
        "ending_arr": 12.0 * float(last_mrr),
        "bookings": bookings,
        "bookings_first_quarter": q_bookings,
        "bookings_first_year": y_bookings,
        "deals_won": float(deals),
        "deals_won_first_quarter": float(q_deals),
        "deals_won_first_year": float(y_deals),
        "win_rate": _safe(win_rate, opps, period=(f"{months[0]:%Y-%m}", f"{months[-1]:%Y-%m}")),
        "avg_discount": _average_discount(opps),
        "early_churn": _early_churn(mrr),
        "logo_churn": _safe(logo_churn_rate, mrr),
        "nrr": _safe(net_revenue_retention, mrr),
        "grr": _safe(gross_revenue_retention, mrr),
        "cac_payback_months": _safe(cac_payback_months, costs, moves,
                                    gross_margin=cfg.gross_margin),
        "ltv": _safe(ltv_capped, mrr, gross_margin=cfg.gross_margin),
        "expansion_mrr": float(expansion),
        "expansion_rate": _safe(expansion_rate, mrr),
        "onboarding_csat": onboarding_csat,
        "onboarding_nps": onboarding_nps,
        "aqls": float(company.leads["aql_at"].notna().sum()),
        "sqls": float(company.leads["sql_at"].notna().sum()),
        "opportunities_per_win": _per_win(len(closed), opps),
        "activities_per_win": _per_win(float(closed["activities"].sum()), opps),
    }
    return pd.Series(values, name="value", dtype=float).rename_axis("measure")


# -------------------------------------------------------------- experiments
def _check_base(base: CompanyConfig | None) -> CompanyConfig:
    if base is None:
        return CompanyConfig()
    if not isinstance(base, CompanyConfig):
        raise TypeError(f"base must be a CompanyConfig or None, got {type(base).__name__}")
    return base


def run_arms(arms: Mapping[str, CompanyConfig], *, seeds: Iterable[int] = STORY_SEEDS,
             column: str = "arm", progress: bool = True, desc: str = "seeds") -> pd.DataFrame:
    """Simulate every arm with every seed and collect :func:`outcomes`, tidy.

    :func:`revopslab.sweep.sweep` with :func:`outcomes` as the measurement.

    The same seed under different arms draws the same leads and customers (common random
    numbers), so the arms of one seed form a pair: only the levers that differ differ.
    Every arm shares the control's past (its warm-up years, see
    :func:`revopslab.simulate.simulate_company`'s ``history``): the levers move on the
    first day of the history, so a difference is what those months of the lever did.

    Parameters
    ----------
    arms
        Label -> config, control first, then the treatment(s).
    seeds
        Integer seeds; one paired run per seed.
    column
        Name of the column that holds the arm label.
    progress
        Show a tqdm progress bar over seeds (on stderr).
    desc
        The progress bar's label.

    Returns
    -------
    pandas.DataFrame
        Columns ``seed``, ``column`` (a categorical in the order of ``arms``), ``measure``
        and ``value``: one row per seed, arm and measure.

    Examples
    --------
    >>> tiny = CompanyConfig(months=12, scale=0.2)
    >>> frame = run_arms({"slow": tiny, "fast": dataclasses.replace(tiny, handoff_sla_days=1)},
    ...                  seeds=[3], progress=False)
    >>> list(frame.columns), list(frame["arm"].cat.categories)
    (['seed', 'arm', 'measure', 'value'], ['slow', 'fast'])
    """
    return sweep(arms, seeds=seeds, measure=outcomes, column=column, progress=progress,
                 desc=desc)


def compare_org_models(*, seeds: Iterable[int] = DEFAULT_SEEDS, base: CompanyConfig | None = None,
                       progress: bool = True) -> pd.DataFrame:
    """Claim 1: the same company run siloed and aligned, seed by seed.

    The two arms differ only in ``org_model``, which moves the four org levers together
    (marketing's MQL threshold, the lead-handoff delay, discount pressure, context lost at
    the sales -> CS handoff; see :data:`~revopslab.config.ORG_PRESETS`). Lever overrides
    set explicitly on ``base`` apply to both arms.

    Parameters
    ----------
    seeds
        Integer seeds; each gives one siloed/aligned pair.
    base
        The company to compare (default ``CompanyConfig()``, 36 months at scale 1).
    progress
        Show a tqdm progress bar over seeds.

    Returns
    -------
    pandas.DataFrame
        Tidy: ``seed``, ``org_model`` (categorical: aligned, siloed), ``measure``, ``value``.
        Read it with :func:`paired_differences`.

    Examples
    --------
    >>> frame = compare_org_models(seeds=[1], base=CompanyConfig(months=12, scale=0.2),
    ...                            progress=False)
    >>> frame.groupby("org_model", observed=True).size().to_dict() == {
    ...     "aligned": len(MEASURES), "siloed": len(MEASURES)}
    True
    """
    base = _check_base(base)
    arms = {model: dataclasses.replace(base, org_model=model) for model in ("aligned", "siloed")}
    return run_arms(arms, seeds=seeds, column="org_model", progress=progress,
                    desc="siloed vs aligned")


#: The levers ``org_model`` moves together (see :data:`~revopslab.config.ORG_PRESETS`).
ORG_LEVERS: tuple[str, ...] = ("mql_threshold", "handoff_delay_days", "discount_pressure",
                               "context_loss", "lead_routing")


def org_lever_shares(*, seeds: Iterable[int] = STORY_SEEDS, base: CompanyConfig | None = None,
                     measure: str = "revenue", progress: bool = True) -> pd.DataFrame:
    """Claim 1's gap taken apart: each org lever moved alone, then all together.

    Every arm starts from the aligned company (``base`` with ``org_model="aligned"``) and
    moves one lever of :data:`ORG_LEVERS` to its siloed value; the last arm is the siloed
    company (all five). The part of the gap no single lever explains is the levers'
    *interaction*: ``siloed − Σ single levers``.

    Returns
    -------
    pandas.DataFrame
        Indexed by arm (each lever, ``interaction``, ``siloed (all five)``): ``median``,
        ``low`` and ``high`` (10th and 90th percentile over seeds) of ``measure``'s paired
        relative change against the aligned company, and ``share_of_gap`` (the arm's
        median change over the siloed company's).

    Examples
    --------
    >>> table = org_lever_shares(seeds=[1, 2], base=CompanyConfig(months=6, scale=0.1),
    ...                          progress=False)
    >>> list(table.index)[-2:], list(table.columns)
    (['interaction', 'siloed (all five)'], ['median', 'low', 'high', 'share_of_gap'])
    """
    base = _check_base(base)
    aligned = dataclasses.replace(base, org_model="aligned")
    siloed = ORG_PRESETS["siloed"]
    arms = {"aligned": aligned}
    for lever in ORG_LEVERS:
        arms[lever] = dataclasses.replace(aligned, **{lever: getattr(siloed, lever)})
    arms["siloed (all five)"] = dataclasses.replace(base, org_model="siloed")
    frame = run_arms(arms, seeds=seeds, column="arm", progress=progress, desc="one lever at a time")
    wide = frame[frame["measure"] == measure].pivot_table(index="seed", columns="arm",
                                                          values="value", observed=True)
    change = wide.div(wide["aligned"], axis=0) - 1
    change = change.drop(columns="aligned")
    change["interaction"] = change["siloed (all five)"] - change[list(ORG_LEVERS)].sum(axis=1)
    order = [*ORG_LEVERS, "interaction", "siloed (all five)"]
    table = pd.DataFrame({"median": change[order].median(),
                          "low": change[order].quantile(INTERVAL[0]),
                          "high": change[order].quantile(INTERVAL[1])})
    table["share_of_gap"] = table["median"] / table.loc["siloed (all five)", "median"]
    table.index.name = "arm"
    return table


class PairedDifferences(NamedTuple):
    """What :func:`paired_differences` returns."""

    #: ``treatment - control`` per seed (rows) and measure (columns).
    per_seed: pd.DataFrame
    #: One row per measure: the claim, how many seeds go its way, medians.
    summary: pd.DataFrame


#: The interval over seeds that every claim experiment reports: the 10th and 90th
#: percentiles of the per-seed changes (with the median and the share of seeds in the
#: claimed direction).
INTERVAL: tuple[float, float] = (0.1, 0.9)


def paired_differences(frame: pd.DataFrame, *, control: str | None = None,
                       treatment: str | None = None,
                       claims: Mapping[str, str] | None = None) -> PairedDifferences:
    """Seed-by-seed ``treatment - control`` differences and how often each claim holds.

    Parameters
    ----------
    frame
        A tidy frame from one of the experiments: ``seed``, one arm column, ``measure``,
        ``value``.
    control, treatment
        Arm labels; by default the first and second category of the arm column.
    claims
        Measure -> ``"higher"`` or ``"lower"``: the direction the claim expects for
        ``treatment - control``. By default the experiment's entry in :data:`CLAIMS`.

    Returns
    -------
    PairedDifferences
        ``per_seed`` (seed x measure) and ``summary`` indexed by measure, with columns
        ``claim`` (empty when the book claims nothing), ``seeds``, ``in_direction`` (seeds
        whose difference has the claimed sign; ties and NaN do not count),
        ``share_in_direction``, ``median_control``, ``median_treatment``,
        ``median_difference``, ``median_relative_difference``, and the interval over
        seeds ``low_difference``/``high_difference`` and ``low_relative_difference``/
        ``high_relative_difference`` (the :data:`INTERVAL` percentiles; the medians are of per-seed
        ``difference / |control|``). Claimed measures come first.

    Examples
    --------
    >>> frame = pd.DataFrame({
    ...     "seed": [0, 0, 1, 1], "org_model": pd.Categorical(
    ...         ["aligned", "siloed"] * 2, categories=["aligned", "siloed"]),
    ...     "measure": ["revenue"] * 4, "value": [100.0, 80.0, 120.0, 126.0]})
    >>> result = paired_differences(frame)
    >>> result.per_seed["revenue"].tolist()
    [-20.0, 6.0]
    >>> row = result.summary.loc["revenue"]
    >>> row["claim"], int(row["seeds"]), int(row["in_direction"])
    ('lower', 2, 1)
    """
    missing = sorted({"seed", "measure", "value"} - set(frame.columns))
    others = [c for c in frame.columns if c not in ("seed", "measure", "value")]
    if missing or len(others) != 1:
        raise ValueError("frame must have columns seed, measure, value and exactly one arm "
                         f"column, got {list(frame.columns)}")
    arm = others[0]
    labels = (list(frame[arm].cat.categories) if isinstance(frame[arm].dtype, pd.CategoricalDtype)
              else list(pd.unique(frame[arm])))
    if control is None or treatment is None:
        if len(labels) != 2:
            raise ValueError(f"control and treatment must be given when {arm!r} has "
                             f"{len(labels)} arms, got {labels}")
        control = labels[0] if control is None else control
        treatment = labels[1] if treatment is None else treatment
    for name, label in (("control", control), ("treatment", treatment)):
        if label not in labels:
            raise ValueError(f"{name} must be one of the arms {labels}, got {label!r}")
    if claims is None:
        claims = CLAIMS.get((arm, control, treatment), {})
    bad = {k: v for k, v in claims.items() if v not in (_HIGHER, _LOWER)}
    if bad:
        raise ValueError(f"claims must map measures to 'higher' or 'lower', got {bad}")
    wide = frame.pivot_table(index=["seed", "measure"], columns=arm, values="value",
                             aggfunc="first", observed=True, dropna=False)
    measures = list(pd.unique(frame["measure"]))
    ctrl = wide[control].unstack("measure").reindex(columns=measures)
    treat = wide[treatment].unstack("measure").reindex(columns=measures)
    per_seed = (treat - ctrl).rename_axis(columns="measure")
    sign = {_HIGHER: 1.0, _LOWER: -1.0}
    rows = []
    for measure in measures:
        diff = per_seed[measure]
        claim = claims.get(measure, "")
        in_direction = int((np.sign(diff) == sign[claim]).sum()) if claim else np.nan
        seeds = int(diff.notna().sum())
        with np.errstate(divide="ignore", invalid="ignore"):
            relative = (diff / ctrl[measure].abs()).replace([np.inf, -np.inf], np.nan)
        rows.append({
            "measure": measure, "claim": claim, "seeds": seeds,
            "in_direction": in_direction,
            "share_in_direction": in_direction / seeds if claim and seeds else np.nan,
            "median_control": ctrl[measure].median(), "median_treatment": treat[measure].median(),
            "median_difference": diff.median(), "median_relative_difference": relative.median(),
            "low_difference": diff.quantile(INTERVAL[0]),
            "high_difference": diff.quantile(INTERVAL[1]),
            "low_relative_difference": relative.quantile(INTERVAL[0]),
            "high_relative_difference": relative.quantile(INTERVAL[1]),
        })
    summary = pd.DataFrame(rows).set_index("measure")
    summary["in_direction"] = summary["in_direction"].astype("Int64")
    order = [m for m in measures if claims.get(m)] + [m for m in measures if not claims.get(m)]
    return PairedDifferences(per_seed=per_seed, summary=summary.loc[order])


def relative_per_seed(frame: pd.DataFrame) -> pd.DataFrame:
    """Per seed and measure, ``treatment / control - 1`` of a two-arm experiment frame.

    The arms are the two categories of the frame's arm column, control first (as
    :func:`run_arms` orders them). A measure whose control is 0 gives NaN.

    Examples
    --------
    >>> frame = pd.DataFrame({
    ...     "seed": [0, 0, 1, 1], "org_model": pd.Categorical(
    ...         ["aligned", "siloed"] * 2, categories=["aligned", "siloed"]),
    ...     "measure": ["revenue"] * 4, "value": [100.0, 80.0, 120.0, 126.0]})
    >>> relative_per_seed(frame)["revenue"].round(3).tolist()
    [-0.2, 0.05]
    """
    arm = [c for c in frame.columns if c not in ("seed", "measure", "value")]
    if len(arm) != 1 or not isinstance(frame[arm[0]].dtype, pd.CategoricalDtype) \
            or len(frame[arm[0]].cat.categories) != 2:
        raise ValueError("frame must come from a two-arm experiment (seed, measure, value and "
                         f"one categorical arm column with two arms), got {list(frame.columns)}")
    control, treatment = frame[arm[0]].cat.categories
    wide = frame.pivot_table(index="seed", columns=[arm[0], "measure"], values="value",
                             observed=True, sort=False)
    with np.errstate(divide="ignore", invalid="ignore"):
        relative = wide[treatment] / wide[control] - 1
    return relative.replace([np.inf, -np.inf], np.nan)[list(pd.unique(frame["measure"]))]


def claim_table(result: PairedDifferences, *, measures: Iterable[str] | None = None,
                lang: str | None = None) -> pd.DataFrame:
    """A readable table of a paired experiment: claim, seeds that agree, medians, change.

    The change is the median over seeds of the paired change, with the interval over
    seeds beside it (the :data:`INTERVAL` percentiles of the per-seed changes).

    Parameters
    ----------
    result
        From :func:`paired_differences`.
    measures
        Rows to show (default: the claimed measures).
    lang
        ``"en"`` or ``"ja"`` (default: the notebook's bound language): the columns, the
        claim's direction and the units (yen in 万/億 in Japanese). The rows stay the
        measures' names, as :data:`MEASURES` and ``measures=`` spell them.

    Examples
    --------
    >>> frame = pd.DataFrame({
    ...     "seed": [0, 0, 1, 1], "org_model": pd.Categorical(
    ...         ["aligned", "siloed"] * 2, categories=["aligned", "siloed"]),
    ...     "measure": ["revenue"] * 4, "value": [100.0, 80.0, 120.0, 126.0]})
    >>> row = claim_table(paired_differences(frame)).loc["revenue"]
    >>> row["seeds in that direction"], row["median change"]  # median of -20% and +5%
    ('1 of 2', '-8%')
    >>> row["10th to 90th percentile"]  # -20% + 0.1 × 25 points; -20% + 0.9 × 25 points
    '-18% to +3%'
    >>> claim_table(paired_differences(frame), lang="ja").loc["revenue"].tolist()
    ['低い', '2シード中1', '110円', '103円', '-8%', '-18%〜+3%']
    """
    ja = resolve_lang(lang) == "ja"
    summary = result.summary
    if measures is None:
        measures = [m for m in summary.index if summary.loc[m, "claim"]]
    measures = list(measures)
    unknown = [m for m in measures if m not in summary.index]
    if unknown:
        raise ValueError(f"measures must come from {list(summary.index)}, got {unknown}")
    rows = summary.loc[measures]
    lang = "ja" if ja else "en"
    agree = [(f"{int(n)}シード中{int(k)}" if ja else f"{int(k)} of {int(n)}") if c else ""
             for k, n, c in zip(rows["in_direction"].fillna(0), rows["seeds"], rows["claim"],
                                strict=True)]
    units = [MEASURES.get(m, "").rsplit(", ", 1)[-1] for m in measures]
    between = "〜" if ja else " to "
    table = pd.DataFrame({
        "claim": [term(c, lang=lang) for c in rows["claim"]],
        "seeds in that direction": agree,
        "control (median)": [_format_value(v, u, lang) for v, u in
                             zip(rows["median_control"], units, strict=True)],
        "treatment (median)": [_format_value(v, u, lang) for v, u in
                               zip(rows["median_treatment"], units, strict=True)],
        "median change": [_format_change(d, r, u, lang) for d, r, u in
                          zip(rows["median_difference"], rows["median_relative_difference"],
                              units, strict=True)],
        "10th to 90th percentile": [
            f"{_format_change(lo, rlo, u, lang)}{between}{_format_change(hi, rhi, u, lang)}"
            if pd.notna(lo) else ""
            for lo, rlo, hi, rhi, u in zip(rows["low_difference"], rows["low_relative_difference"],
                                          rows["high_difference"], rows["high_relative_difference"],
                                          units, strict=True)],
    }, index=pd.Index(measures, name="measure"))
    return localize(table, lang=lang, values=False)


def _format_value(value: float, unit: str, lang: str = "en") -> str:
    """A median in its measure's unit: ¥2.8B, 25.3%, 11.9 months, 1,234."""
    if pd.isna(value):
        return ""
    if unit.startswith("yen"):
        return format_yen(value, lang=lang)
    if unit.startswith("share") or unit == "ratio":
        return f"{value:.1%}"
    if unit.startswith("points"):
        return f"{value:+.0f}"
    if unit == "count":
        return f"{value:,.0f}"
    return f"{value:,.2f}"


def _format_change(difference: float, relative: float, unit: str, lang: str = "en") -> str:
    """A median paired change: percentage points for shares, points for NPS, else relative."""
    if pd.isna(difference):
        return ""
    ja = lang == "ja"
    if unit.startswith("share") or unit == "ratio":
        return f"{100 * difference:+.1f}" + ("pt" if ja else " pp")
    if unit.startswith("points"):
        return f"{difference:+.1f}" + ("ポイント" if ja else " pts")
    if unit == "score":
        return f"{difference:+.2f}"
    return f"{relative:+.0%}" if pd.notna(relative) else ""


#: The Japanese of the words the experiments' tables are written in (column names, arm names,
#: verdicts), for :func:`term` and :func:`localize`. Measure and lever names stay as code
#: spells them: the learner types them (``measures=[...]``, the what-if sliders).
TERMS_JA: Mapping[str, str] = MappingProxyType({
    # claim_table
    "measure": "指標",
    "claim": "主張の方向",
    "higher": "高い",
    "lower": "低い",
    "seeds in that direction": "その方向のシード数",
    "control (median)": "対照群（中央値）",
    "treatment (median)": "介入群（中央値）",
    "median change": "変化（中央値）",
    "10th to 90th percentile": "10〜90パーセンタイル",
    # org_lever_shares
    "arm": "アーム",
    "median": "中央値",
    "low": "下限（10%点）",
    "high": "上限（90%点）",
    "share_of_gap": "差全体に占める割合",
    "interaction": "相互作用",
    "siloed (all five)": "サイロ型（5つすべて）",
    "aligned": "連携型",
    "siloed": "サイロ型",
    # headcount_to_match
    "extra_reps": "増員数",
    "median_bookings": "受注額（中央値）",
    "median_gap": "優先チームとの差（中央値）",
    "matched": "追いついたか",
    # target_attainment
    "growth_target": "目標成長率",
    "target": "受注目標",
    "attainment_probability": "達成確率",
    "median_next_year": "翌年の受注額（中央値）",
    "verdict": "判定",
    "easy": "容易",
    "realistic yet challenging": "現実的かつ挑戦的",
    "out of reach": "達成困難",
    "unknown": "不明",
    # metrics.kpi_table and metrics.mrr_bridge, as notebook 02 shows them
    "metric": "指標",
    "value": "値",
    "unit": "単位",
    "department": "部門",
    "period": "期間",
    "opening": "期首MRR",
    "new": "新規",
    "expansion": "拡大",
    "reactivation": "再開",
    "contraction": "縮小",
    "churn": "解約",
    "closing": "期末MRR",
    "JPY": "円",
    "JPY/year": "円／年",
    "JPY/customer": "円／顧客",
    "share": "割合",
    "ratio": "倍率",
    "months": "か月",
    "days": "日",
    "score -100..100": "スコア（-100〜100）",
    "revops-finance": "RevOps・経理財務",
    "customer_success": "カスタマーサクセス",
    "sales": "営業",
    "marketing": "マーケティング",
    # claims' arms (claim 15)
    "as is": "現状",
    "retention +20%": "継続率+20%",
    "new logos +20%": "新規顧客数+20%",
})


def term(word: str, *, lang: str | None = None) -> str:
    """``word`` in ``lang`` (default: the notebook's bound language): its :data:`TERMS_JA`
    entry in Japanese, else ``word`` unchanged.

    Examples
    --------
    >>> term("realistic yet challenging", lang="ja"), term("realistic yet challenging", lang="en")
    ('現実的かつ挑戦的', 'realistic yet challenging')
    >>> term("revenue", lang="ja")  # a measure's name stays as code spells it
    'revenue'
    """
    if resolve_lang(lang) != "ja" or not isinstance(word, str):
        return word
    return TERMS_JA.get(word, word)


def localize(frame: pd.DataFrame, *, lang: str | None = None, values: bool = True
             ) -> pd.DataFrame:
    """``frame`` for display in ``lang`` (default: the notebook's bound language).

    In English the frame is returned as it is. In Japanese the column names, the index
    name, the index labels and (with ``values``) the text cells found in :data:`TERMS_JA`
    are translated; everything else (numbers, measure and lever names) is kept.

    Examples
    --------
    >>> frame = pd.DataFrame({"verdict": ["easy", "out of reach"]},
    ...                      index=pd.Index([0.0, 0.5], name="growth_target"))
    >>> localize(frame, lang="en") is frame
    True
    >>> localize(frame, lang="ja").reset_index().to_dict("list")
    {'目標成長率': [0.0, 0.5], '判定': ['容易', '達成困難']}
    """
    if resolve_lang(lang) != "ja":
        return frame
    out = frame.copy()
    if values:
        for column in out.columns:
            if out[column].dtype == object or pd.api.types.is_string_dtype(out[column]):
                out[column] = [term(v, lang="ja") for v in out[column]]
    out.columns = [term(c, lang="ja") for c in out.columns]
    out.index = out.index.map(lambda v: term(v, lang="ja"))
    out.index.names = [term(n, lang="ja") if n else n for n in frame.index.names]
    return out


def lead_count_story(*, seeds: Iterable[int] = STORY_SEEDS, base: CompanyConfig | None = None,
                     mql_threshold: float = ORG_PRESETS["siloed"].mql_threshold,
                     progress: bool = True) -> pd.DataFrame:
    """Claim 2: marketing paid on lead count lowers its MQL threshold; only that lever moves.

    Control: ``base`` as it is (by default the aligned preset, MQL threshold 0.74, but
    with MA and SFA unjoined: inside sales works AQLs first come, first served, as in the
    article's story). Treatment: the same company with ``mql_threshold`` lowered, every
    other lever held. With ``lead_routing="scored"`` inside sales ranks the weak leads
    last and shields sales from them: try it, it is the RevOps fix.
    Sales time is measured by the simulator's logged ``activities``: activities on every
    closed deal (won or lost) per deal won; the simulator has no hours.

    Parameters
    ----------
    seeds
        Integer seeds; each gives one pair.
    base
        The company (default ``CompanyConfig(lead_routing="first_come")``).
    mql_threshold
        The lead-count marketing team's threshold (default: the siloed preset's 0.58).
    progress
        Show a tqdm progress bar over seeds.

    Returns
    -------
    pandas.DataFrame
        Tidy: ``seed``, ``marketing_kpi`` (shared_goals, lead_count), ``measure``, ``value``.

    Examples
    --------
    >>> frame = lead_count_story(seeds=[1], base=CompanyConfig(months=12, scale=0.2),
    ...                          progress=False)
    >>> list(frame["marketing_kpi"].cat.categories)
    ['shared_goals', 'lead_count']
    """
    base = _check_base(CompanyConfig(lead_routing="first_come") if base is None else base)
    arms = {"shared_goals": base,
            "lead_count": dataclasses.replace(base, mql_threshold=mql_threshold)}
    return run_arms(arms, seeds=seeds, column="marketing_kpi", progress=progress,
                    desc="lead-count KPI")


def deal_count_story(*, seeds: Iterable[int] = STORY_SEEDS, base: CompanyConfig | None = None,
                     discount_pressure: float = ORG_PRESETS["siloed"].discount_pressure,
                     progress: bool = True) -> pd.DataFrame:
    """Claim 3: sales paid on deal count discount to close; only discount pressure moves.

    Control: ``base`` as it is (the aligned preset by default, discount pressure 0.05).
    Treatment: the same company with ``discount_pressure`` raised, every other lever held.

    Parameters
    ----------
    seeds
        Integer seeds; each gives one pair.
    base
        The company (default ``CompanyConfig()``, aligned).
    discount_pressure
        The deal-count sales team's discount pressure (default: the siloed preset's 0.14).
    progress
        Show a tqdm progress bar over seeds.

    Returns
    -------
    pandas.DataFrame
        Tidy: ``seed``, ``sales_kpi`` (shared_goals, deal_count), ``measure``, ``value``.

    Examples
    --------
    >>> frame = deal_count_story(seeds=[1], base=CompanyConfig(months=12, scale=0.2),
    ...                          progress=False)
    >>> list(frame["sales_kpi"].cat.categories)
    ['shared_goals', 'deal_count']
    """
    base = _check_base(base)
    arms = {"shared_goals": base,
            "deal_count": dataclasses.replace(base, discount_pressure=discount_pressure)}
    return run_arms(arms, seeds=seeds, column="sales_kpi", progress=progress,
                    desc="deal-count KPI")


def cro_vs_head_of_sales(*, seeds: Iterable[int] = STORY_SEEDS,
                         base: CompanyConfig | None = None,
                         head_of_sales_discount: float = ORG_PRESETS["siloed"].discount_pressure,
                         cro_discount: float = 0.0, progress: bool = True) -> pd.DataFrame:
    """Claim 6: a bookings-first head of sales against an LTV-first CRO.

    Both strategies run the same company from the same seed. The head of sales maximises
    this quarter's bookings by discounting to close (``discount_pressure`` =
    ``head_of_sales_discount``, the siloed preset's 0.14 by default); the CRO sells
    fit-first at list price (``discount_pressure`` = ``cro_discount``: only the standard
    3% discount) and keeps marketing's fit threshold of ``base``. Compare
    ``bookings_first_quarter``, ``bookings_first_year`` and ``deals_won_first_year`` (now)
    with ``revenue`` over the horizon and ``ltv`` (later).

    Parameters
    ----------
    seeds
        Integer seeds; each gives one pair.
    base
        The company (default ``CompanyConfig()``, aligned, 36 months).
    head_of_sales_discount, cro_discount
        Discount pressure of each strategy (0-1).
    progress
        Show a tqdm progress bar over seeds.

    Returns
    -------
    pandas.DataFrame
        Tidy: ``seed``, ``strategy`` (cro, head_of_sales), ``measure``, ``value``.

    Examples
    --------
    >>> frame = cro_vs_head_of_sales(seeds=[1], base=CompanyConfig(months=12, scale=0.2),
    ...                              progress=False)
    >>> list(frame["strategy"].cat.categories)
    ['cro', 'head_of_sales']
    """
    base = _check_base(base)
    arms = {"cro": dataclasses.replace(base, discount_pressure=cro_discount),
            "head_of_sales": dataclasses.replace(base, discount_pressure=head_of_sales_discount)}
    return run_arms(arms, seeds=seeds, column="strategy", progress=progress,
                    desc="CRO vs head of sales")


# --------------------------------------------------------- target setting
def handoff_context_story(*, seeds: Iterable[int] = STORY_SEEDS,
                          base: CompanyConfig | None = None,
                          context_loss: float = ORG_PRESETS["siloed"].context_loss,
                          progress: bool = True) -> pd.DataFrame:
    """Claim 4: customer context lost at the sales → CS handoff, everything else held.

    Control: nothing lost (``context_loss=0``); treatment: ``context_loss`` of what sales
    learnt does not reach customer success (the siloed preset's 0.5 by default). Compare
    ``onboarding_csat``, ``onboarding_nps`` and ``early_churn``.

    Examples
    --------
    >>> frame = handoff_context_story(seeds=[1], base=CompanyConfig(months=12, scale=0.2),
    ...                               progress=False)
    >>> list(frame["handoff"].cat.categories)
    ['context_kept', 'context_lost']
    """
    base = _check_base(base)
    arms = {"context_kept": dataclasses.replace(base, context_loss=0.0),
            "context_lost": dataclasses.replace(base, context_loss=context_loss)}
    return run_arms(arms, seeds=seeds, column="handoff", progress=progress,
                    desc="handoff context")


#: The prioritised inside-sales team of :func:`inside_sales_headcount` at scale 1: a fixed
#: team (the experiment holds it still while it adds reps to the first-come team).
INSIDE_SALES_TEAM = 8


def inside_sales_team(base: CompanyConfig) -> int:
    """The prioritised team of :func:`inside_sales_headcount` for ``base``.

    :data:`INSIDE_SALES_TEAM` × ``base.scale``, at least one rep.

    Examples
    --------
    >>> inside_sales_team(CompanyConfig(scale=0.5)), inside_sales_team(CompanyConfig(scale=0.05))
    (4, 1)
    """
    return max(1, round(INSIDE_SALES_TEAM * base.scale))


def inside_sales_headcount(*, seeds: Iterable[int] = STORY_SEEDS,
                           base: CompanyConfig | None = None, reps: int | None = None,
                           extra_reps: Iterable[int] = (0, 2, 4, 6),
                           progress: bool = True) -> pd.DataFrame:
    """Claim 5: without joined data, the only growth lever is more inside-sales headcount.

    Inside sales can work only so many AQLs a month; past that, the routing decides which
    ones. Arm ``scored`` ranks the month's AQLs by lead score (MA joined with SFA) and
    keeps ``reps`` reps; arms ``first_come+k`` work leads as they arrive (nothing joined
    to rank by) with ``k`` extra reps. The first pair is the claim (same team, more
    bookings when prioritised); the rest show how many reps the unjoined team must add
    to catch up (see :func:`headcount_to_match`).

    Parameters
    ----------
    seeds
        Integer seeds; each gives one set of paired runs.
    base
        The company (default: ``CompanyConfig(mql_threshold=0.58)``, marketing passing
        the siloed preset's volume of AQLs, so that the team's capacity binds).
    reps
        Inside-sales headcount of the prioritised team (default:
        :data:`INSIDE_SALES_TEAM` × ``base.scale``).
    extra_reps
        Extra reps to try for the first-come team (0 must come first).
    progress
        Show a tqdm progress bar over seeds.

    Returns
    -------
    pandas.DataFrame
        Tidy: ``seed``, ``team`` (scored, first_come+0, first_come+2 …), ``measure``,
        ``value``.

    Examples
    --------
    >>> frame = inside_sales_headcount(seeds=[1], base=CompanyConfig(months=12, scale=0.2),
    ...                                extra_reps=(0, 1), progress=False)
    >>> list(frame["team"].cat.categories)
    ['scored', 'first_come+0', 'first_come+1']
    """
    base = _check_base(CompanyConfig(mql_threshold=0.58) if base is None else base)
    extra = [int(k) for k in extra_reps]
    if not extra or extra[0] != 0 or any(k < 0 for k in extra) or len(set(extra)) != len(extra):
        raise ValueError("extra_reps must be distinct counts >= 0 starting with 0, "
                         f"got {list(extra_reps)!r}")
    team = inside_sales_team(base) if reps is None else reps
    if not isinstance(team, int) or team < 1:
        raise ValueError(f"reps must be None or an int >= 1, got {reps!r}")
    arms = {"scored": dataclasses.replace(base, lead_routing="scored", inside_sales_reps=team)}
    for k in extra:
        arms[f"first_come+{k}"] = dataclasses.replace(base, lead_routing="first_come",
                                                      inside_sales_reps=team + k)
    return run_arms(arms, seeds=seeds, column="team", progress=progress,
                    desc="inside-sales headcount")


def headcount_to_match(frame: pd.DataFrame, *, measure: str = "bookings") -> pd.DataFrame:
    """How many extra reps the first-come team needs to match the prioritised team.

    Reads a frame from :func:`inside_sales_headcount`: for each first-come arm, the median
    over seeds of ``measure`` and of its paired gap to the ``scored`` arm, and whether the
    median gap has closed.

    Examples
    --------
    >>> frame = pd.DataFrame({"seed": [0, 0, 0], "team": ["scored", "first_come+0",
    ...                       "first_come+2"], "measure": "bookings", "value": [10., 7., 11.]})
    >>> headcount_to_match(frame)[["extra_reps", "median_gap", "matched"]]
       extra_reps  median_gap  matched
    0           0        -3.0    False
    1           2         1.0     True
    """
    missing = {"seed", "team", "measure", "value"} - set(frame.columns)
    if missing:
        raise ValueError("frame must come from inside_sales_headcount (columns seed, team, "
                         f"measure, value); missing {sorted(missing)}")
    wide = frame[frame["measure"] == measure].pivot_table(
        index="seed", columns="team", values="value", observed=True)
    if "scored" not in wide:
        raise ValueError(f"frame has no 'scored' arm for measure {measure!r}")
    rows = []
    for arm in (c for c in wide.columns if str(c).startswith("first_come+")):
        gap = wide[arm] - wide["scored"]
        rows.append({"extra_reps": int(str(arm).split("+")[1]),
                     f"median_{measure}": float(wide[arm].median()),
                     "median_gap": float(gap.median()),
                     "matched": bool(gap.median() >= 0)})
    return pd.DataFrame(rows)


def _window_bookings(opportunities: pd.DataFrame, start: str, first: int, stop: int) -> float:
    """Bookings of the deals won from month ``first`` (inclusive) to ``stop`` after ``start``."""
    origin = pd.Timestamp(start)
    return _bookings(opportunities, origin + pd.DateOffset(months=first),
                     origin + pd.DateOffset(months=stop))[0]


def next_year_growth(config: CompanyConfig | None = None, *, seeds: Iterable[int] = DEFAULT_SEEDS,
                     progress: bool = True) -> pd.Series:
    """Year-on-year growth of new bookings in the year after ``config``'s history, per seed.

    Each seed simulates the company for ``config.months + 12`` months and returns
    ``bookings(months H … H+11) / bookings(months H-12 … H-1)`` where ``H = config.months``:
    how much the year after the history books relative to the history's last year.

    Parameters
    ----------
    config
        The history's company (default ``CompanyConfig()``); ``months`` must be 24-108
        (the history's first year books only the deals created inside it, so it is no base).
    seeds
        Integer seeds, one simulated future each.
    progress
        Show a tqdm progress bar over seeds.

    Returns
    -------
    pandas.Series
        Growth ratio (1.2 = 20% more bookings) indexed by seed.

    Examples
    --------
    >>> growth = next_year_growth(CompanyConfig(months=24, scale=0.2), seeds=[1, 2],
    ...                           progress=False)
    >>> growth.index.tolist(), bool((growth > 0).all())
    ([1, 2], True)
    """
    config = _check_base(config)
    history = config.months
    if not 24 <= history <= 108:
        raise ValueError(f"config.months must be from 24 to 108 (a full year of history after "
                         f"the first, whose bookings lack the deals created before the history "
                         f"began, and room for one more), got {history}")
    seeds = check_seeds(seeds)
    future = dataclasses.replace(config, months=history + 12)
    # through sweep, with a measure of the package: each seed's two sums are cached
    runs = per_seed(sweep({"future": future}, seeds=seeds, progress=progress, desc="next year",
                          measure=functools.partial(_year_around, start=config.start,
                                                    history=history)))
    last, ahead = runs["last_year"].to_numpy(), runs["next_year"].to_numpy()
    ratios = np.divide(ahead, last, out=np.full(len(runs), np.nan), where=last > 0)
    return pd.Series(ratios, index=runs["seed"].to_numpy(), name="growth",
                     dtype=float).rename_axis("seed")


def _year_around(company: Company, *, start: str, history: int) -> dict[str, float]:
    """Bookings of the history's last year and of the year after it (:func:`next_year_growth`)."""
    opps = company.opportunities
    return {"last_year": _window_bookings(opps, start, history - 12, history),
            "next_year": _window_bookings(opps, start, history, history + 12)}


def target_attainment(history_company: Company, *,
                      growth_targets: Iterable[float] = (0.0, 0.1, 0.2, 0.3, 0.4, 0.5),
                      seeds: Iterable[int] = DEFAULT_SEEDS,
                      band: tuple[float, float] = (0.4, 0.7),
                      growth: pd.Series | None = None,
                      progress: bool = True) -> pd.DataFrame:
    """Claim 7: the chance of meeting next year's bookings target, for several stretches.

    The target is the history's last-12-month new bookings x (1 + g). The simulator cannot
    resume a company from its state, so next year is taken from the simulator itself: the
    same config run ``months + 12`` months for each seed gives the distribution of
    year-on-year bookings growth after a history of the same length
    (:func:`next_year_growth`); a target is attained when ``growth >= 1 + g``. The
    probabilities therefore fall (weakly) with ``g`` by construction; the lesson is where
    the band of "realistic yet challenging" targets lies.

    Parameters
    ----------
    history_company
        The company whose last 12 months set the baseline (at least 24 months long).
    growth_targets
        Stretch levels ``g`` (0.2 = a target 20% above last year's bookings).
    seeds
        Integer seeds of the simulated next years.
    band
        Attainment probabilities (low, high) that count as realistic yet challenging.
    growth
        :func:`next_year_growth` of the history's config, when already computed (then
        ``seeds`` is not used).
    progress
        Show a tqdm progress bar over seeds.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``growth_target``: ``target`` (yen), ``attainment_probability``,
        ``median_next_year`` (yen: baseline x median growth) and ``verdict``
        (``"easy"``, ``"realistic yet challenging"`` or ``"out of reach"``).

    Examples
    --------
    >>> from revopslab.simulate import simulate_company
    >>> history = simulate_company(CompanyConfig(months=24, scale=0.2), rng=5)
    >>> table = target_attainment(history, growth_targets=[0.0, 0.5], seeds=[1, 2, 3],
    ...                           progress=False)
    >>> list(table.columns)
    ['target', 'attainment_probability', 'median_next_year', 'verdict']
    >>> bool(table["attainment_probability"].is_monotonic_decreasing)
    True
    """
    if not isinstance(history_company, Company):
        raise TypeError("history_company must be a revopslab Company, "
                        f"got {type(history_company).__name__}")
    targets = sorted(float(g) for g in growth_targets)
    if not targets or min(targets) <= -1:
        raise ValueError(f"growth_targets must be numbers > -1 (at least one), got {targets}")
    low, high = band
    if not 0 <= low <= high <= 1:
        raise ValueError(f"band must be (low, high) with 0 <= low <= high <= 1, got {band!r}")
    config = history_company.config
    baseline = _window_bookings(history_company.opportunities, config.start,
                                config.months - 12, config.months)
    if growth is None:
        growth = next_year_growth(config, seeds=seeds, progress=progress)
    growth = growth.dropna()
    rows = []
    for g in targets:
        p = float((growth >= 1 + g).mean()) if len(growth) else float("nan")
        verdict = ("unknown" if np.isnan(p) else "easy" if p > high
                   else "out of reach" if p < low else "realistic yet challenging")
        rows.append({"growth_target": g, "target": baseline * (1 + g),
                     "attainment_probability": p,
                     "median_next_year": baseline * float(growth.median()), "verdict": verdict})
    return pd.DataFrame(rows).set_index("growth_target")
