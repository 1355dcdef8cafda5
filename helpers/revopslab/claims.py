"""The book's 15 claims as experiments, and the scorecard of how each fares here.

Every claim of ``CLAIMS.md`` is one experiment on the simulated company, run over seeds
with :func:`revopslab.sweep.sweep` (common random numbers). Its *evidence* is one or more
effects per seed, each with the direction the claim expects; the first is the headline.
:func:`row` turns a claim's evidence into one scorecard row: the headline's median effect,
its 10th-90th percentile interval over seeds, the share of seeds in the claimed direction,
and a verdict from one rule (:func:`verdict`). The chapters run the same experiments with
the same seeds and call :func:`row` on their own results, so a notebook and the scorecard
cannot state different verdicts; :func:`scorecard` runs them all (``revopslab claims``).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
import pandas as pd

from . import _cache
from . import experiments as ex
from ._lang import resolve_lang
from ._seeds import check_seeds
from .config import ORG_PRESETS, CompanyConfig, company_profile
from .sweep import summarise_effect, sweep
from .vocabulary import DEFAULT_SEED

__all__ = ["CLAIM_NUMBERS", "COLUMNS", "VERDICTS", "Evidence", "Claim", "CLAIMS", "seeds",
           "run", "evidence", "row", "verdict", "scorecard", "committed", "parts_table",
           "SCORECARD_FILE", "sentence", "describe", "VERDICTS_JA", "PARTS_JA",
           "part_label", "course_map"]

#: The verdicts, strongest first.
VERDICTS: tuple[str, ...] = ("holds", "holds partly", "does not hold here")

#: A part of a claim holds when at least this share of seeds goes its way.
HOLDS_SHARE = 0.8

#: The scorecard's columns.
COLUMNS: tuple[str, ...] = ("claim", "chapter", "statement", "measure", "unit", "effect_median",
                            "effect_low", "effect_high", "share_in_direction", "seeds",
                            "parts", "verdict")

#: Where the committed scorecard lives (written by ``revopslab claims --output``).
SCORECARD_FILE = Path(__file__).resolve().parents[2] / "data" / "claims_scorecard.csv"


class Evidence(NamedTuple):
    """What one claim's experiment found: named per-seed effects with their directions.

    ``parts`` maps a label to ``(direction, per-seed effects)``; the first part is the
    headline. ``unit`` describes the headline's effect (e.g. "relative change").
    """

    parts: Mapping[str, tuple[str, pd.Series]]
    unit: str


@dataclass(frozen=True)
class Claim:
    """One claim: where the book makes it, what it says, and how it is tested here."""

    number: int
    chapter: str
    statement: str
    experiment: str
    n_seeds: int
    run: Callable[[list[int], bool], Any]
    evidence: Callable[[Any], Evidence]
    #: Whether the headline effect reads as a percentage (else a plain number).
    percent: bool = True
    #: The statement in Japanese (the Japanese edition's sentences and course map).
    statement_ja: str = ""


# ---------------------------------------------------------------- helpers
def _paired(frame: pd.DataFrame, measure: str, *, relative: bool) -> pd.Series:
    """Per seed, treatment − control (or treatment / control − 1) of one measure."""
    if relative:
        return ex.relative_per_seed(frame)[measure]
    return ex.paired_differences(frame).per_seed[measure]


def _parts(frame: pd.DataFrame, spec: Iterable[tuple[str, str, bool]]) -> dict:
    """``(measure, direction, relative)`` rows of a two-arm frame as evidence parts."""
    out = {}
    for measure, direction, relative in spec:
        label = f"{measure} {direction}"
        out[label] = (direction, _paired(frame, measure, relative=relative))
    return out


def _aligned(profile: str = "default", **overrides) -> CompanyConfig:
    return dataclasses.replace(company_profile(profile, **overrides), org_model="aligned")


# ---------------------------------------------------------------- the claims
def _run_1(seeds, progress):
    return ex.compare_org_models(seeds=seeds, base=_aligned(), progress=progress)


def _ev_1(frame):
    return Evidence(_parts(frame, [("revenue", "lower", True), ("gross_profit", "lower", True),
                                   ("cac_payback_months", "higher", True)]),
                    "relative change of 3-year revenue, siloed vs aligned")


def _run_2(seeds, progress):
    base = dataclasses.replace(_aligned(), lead_routing="first_come")
    return ex.lead_count_story(seeds=seeds, base=base, progress=progress)


def _ev_2(frame):
    return Evidence(_parts(frame, [("bookings", "lower", True), ("sqls", "higher", True),
                                   ("win_rate", "lower", False),
                                   ("activities_per_win", "higher", True)]),
                    "relative change of 3-year bookings, lead-count KPI vs shared goals")


def _run_3(seeds, progress):
    return ex.deal_count_story(seeds=seeds, base=_aligned(), progress=progress)


def _ev_3(frame):
    return Evidence(_parts(frame, [("ltv", "lower", True), ("deals_won", "higher", True),
                                   ("expansion_mrr", "lower", True),
                                   ("early_churn", "higher", False)]),
                    "relative change of LTV, deal-count KPI vs shared goals")


def _run_4(seeds, progress):
    return ex.handoff_context_story(seeds=seeds, base=_aligned(), progress=progress)


def _ev_4(frame):
    return Evidence(_parts(frame, [("early_churn", "higher", False),
                                   ("onboarding_csat", "lower", False),
                                   ("onboarding_nps", "lower", False)]),
                    "change of early churn (share), context lost vs kept")


def _run_5(seeds, progress):
    base = dataclasses.replace(_aligned(), mql_threshold=ORG_PRESETS["siloed"].mql_threshold)
    return ex.inside_sales_headcount(seeds=seeds, base=base, extra_reps=(0, 2, 4, 6),
                                     progress=progress)


def _ev_5(frame):
    wide = frame[frame["measure"] == "bookings"].pivot_table(
        index="seed", columns="team", values="value", observed=True)
    scored = wide["scored"]
    gap = scored / wide["first_come+0"] - 1
    last = [c for c in wide.columns if str(c).startswith("first_come+")][-1]
    return Evidence({"prioritised team books more (same headcount)": ("higher", gap),
                     f"unjoined team catches up with {str(last).split('+')[1]} extra reps":
                     ("higher", wide[last] / scored - 1)},
                    "relative bookings gain of the prioritised team over the unjoined one")


def _run_6(seeds, progress):
    return ex.cro_vs_head_of_sales(seeds=seeds, base=_aligned(), progress=progress)


def _ev_6(frame):
    # The frame's control is the CRO; head_of_sales - cro, so the CRO's 3-year revenue
    # edge is "head_of_sales lower".
    return Evidence(_parts(frame, [("revenue", "lower", True),
                                   ("bookings_first_quarter", "higher", True),
                                   ("ltv", "lower", True)]),
                    "relative change of 3-year revenue, bookings-only leader vs CRO")


def _run_7(seeds, progress):
    from .simulate import simulate_company

    company = simulate_company(company_profile("default"), rng=DEFAULT_SEED)
    growth = ex.next_year_growth(company.config, seeds=seeds, progress=progress)
    return {"growth": growth, "targets": ex.target_attainment(company, growth=growth)}


def _ev_7(result):
    growth = result["growth"] - 1
    targets = result["targets"]
    probability = targets["attainment_probability"]
    # Per seed: which stretches it attains; the claim: attainment falls with stretch,
    # and some stretch above zero is realistic yet challenging.
    stretch = [g for g in targets.index if g > 0 and targets.loc[g, "verdict"]
               == "realistic yet challenging"]
    band = pd.Series(1.0 if stretch else -1.0, index=growth.index)
    falls = pd.Series(1.0 if probability.is_monotonic_decreasing else -1.0, index=growth.index)
    return Evidence({"next-year bookings growth": ("higher", growth),
                     "attainment falls with stretch": ("higher", falls),
                     "a stretch above last year is 40-70% likely": ("higher", band)},
                    "next year's bookings growth over the last year (the spread sets "
                    "which targets are realistic)")


_NOISE_LOW, _NOISE_HIGH, _SILO_SCALE = 0.0, 0.3, 0.3


def _silo_gap(company, noise: float, rng: int) -> float:
    """Mean |silo answer / truth − 1| over every answer a silo gives (MA, SFA, CS)."""
    from .silos import export_silos
    from .ssot import build_ssot, same_question_each_silo

    silos = export_silos(company, rng=rng, noise=noise)
    with build_ssot(silos, matcher="rules") as ssot:
        answers = same_question_each_silo(silos, ssot, company=company)
    wide = answers.pivot_table(index="question", columns="source", values="answer")
    gaps = (wide[["MA", "SFA", "CS"]].div(wide["truth"], axis=0) - 1).abs()
    return float(np.nanmean(gaps.to_numpy()))


def _run_8(seeds, progress):
    from tqdm.auto import tqdm

    rows = [_cache.cached_call(_silo_gaps, seed)
            for seed in tqdm(seeds, desc="silo answers", unit="seed", disable=not progress)]
    return pd.DataFrame(rows).set_index("seed")


def _silo_gaps(seed: int) -> dict:
    """Claim 8 for one seed: the silos' mean gap to the truth at the low and high noise."""
    from .simulate import simulate_company

    company = simulate_company(company_profile("default", scale=_SILO_SCALE), rng=seed)
    return {"seed": seed, "low": _silo_gap(company, _NOISE_LOW, seed),
            "high": _silo_gap(company, _NOISE_HIGH, seed)}


def _ev_8(gaps):
    return Evidence({f"silo gap grows from noise {_NOISE_LOW:g} to {_NOISE_HIGH:g}":
                     ("higher", gaps["high"] - gaps["low"]),
                     f"silos disagree with the truth even at noise {_NOISE_LOW:g} "
                     "(gap over 5%)": ("higher", gaps["low"] - 0.05)},
                    "change of the silos' mean gap to the truth (share)")


_SLA_STEPS = (None, 8.0, 4.0, 2.0, 1.0, 0.5, 0.25, 0.125)


def _run_9(seeds, progress):
    from .org import sla_sweep

    return sla_sweep(company_profile("siloed"), sla_days=list(_SLA_STEPS), seeds=seeds)


def _ev_9(frame):
    rate = frame.pivot(index="seed", columns="sla_days", values="sal_rate")
    order = sorted(rate.columns, reverse=True)  # loosest (inf) first
    rate = rate[order]
    rise = rate[order[-1]] - rate[order[0]]
    steps = rate.diff(axis=1).iloc[:, 1:]
    # Rises, then flattens: the last tightening adds less than the step that added most.
    flattening = steps.iloc[:, -1] - steps.max(axis=1)
    return Evidence({"SAL rate rises with a tighter SLA": ("higher", rise),
                     "the last tightening adds less than the best step": ("lower", flattening)},
                    "change of the TQL/TGL -> SAL rate, no SLA to the tightest (share)")


_LARGE_SCALE, _REVOPS_HEADCOUNT = 2.5, 3


def _run_10(seeds, progress):
    from .org import revops_business_case
    from .simulate import simulate_company

    config = company_profile("siloed")
    company = simulate_company(config, rng=DEFAULT_SEED)
    cost = float(company.reps.loc[company.reps["team"] == "field_sales", "monthly_cost"].median())
    configs = {"startup": company_profile("startup"), "our company": config,
               "large company": company_profile("enterprise", scale=_LARGE_SCALE)}
    return revops_business_case(configs, seeds=seeds, headcount=_REVOPS_HEADCOUNT,
                                monthly_cost=cost)


def _ev_10(case):
    net = case.pivot(index="seed", columns="company", values="net_gain")
    cost = case.pivot(index="seed", columns="company", values="team_cost")
    large = net["large company"] / cost["large company"]
    return Evidence({"large company: net gain positive": ("higher", large),
                     "startup: net gain negative": ("lower", net["startup"] / cost["startup"])},
                    "net gain of a RevOps team in the large company, in multiples of the "
                    "team's cost")


def _run_11(seeds, progress):
    from tqdm.auto import tqdm

    from .process import bottleneck_shift

    return {s: bottleneck_shift(company_profile("default"), rng=s, rounds=2)
            for s in tqdm(seeds, desc="bottlenecks", unit="seed", disable=not progress)}


def _ev_11(shifts):
    moved = pd.Series({s: 1.0 if r.sequence[1] != r.sequence[0] else -1.0
                       for s, r in shifts.items()})
    drop = pd.Series({s: r.table.loc[r.sequence[0], "gain_after"]
                      / r.table.loc[r.sequence[0], "gain_before"] - 1 for s, r in shifts.items()})
    return Evidence({"another step becomes the bottleneck": ("higher", moved),
                     "the lifted step is worth less afterwards": ("lower", drop)},
                    "+1 when another step is the bottleneck after the lift, -1 when not")


_ONE_PERCENT_TOLERANCE = 0.25  # |simulated / arithmetic - 1| that still "matches"


def _run_12(seeds, progress):
    from .process import one_percent_rule

    return one_percent_rule(company_profile("default"), seeds=seeds, years=(1, 2, 3),
                            progress=progress)


def _ev_12(rule):
    year3 = rule[rule["year"] == rule["year"].max()].set_index("seed")
    ratio = year3["simulated_gain"] / year3["arithmetic_gain"] - 1
    return Evidence({"3-year gain positive": ("higher", year3["simulated_gain"]),
                     "simulated gain within 25% of the arithmetic":
                         ("higher", _ONE_PERCENT_TOLERANCE - ratio.abs())},
                    "simulated 3-year bookings gain of +1% a year at every step (share)")


CONTEST_METHODS = ("judgment", "calibrated", "weighted", "predictive", "commit",
                   "last_period", "last_year")


def _run_13(seeds, progress):
    from tqdm.auto import tqdm

    from .forecast import accuracy, backtest
    from .simulate import simulate_company

    config = company_profile("default")
    scores = {}
    for s in tqdm(seeds, desc="forecast contest", unit="seed", disable=not progress):
        scores[s] = accuracy(backtest(simulate_company(config, rng=s), methods=CONTEST_METHODS,
                                      progress=False))
    return scores


def _ev_13(scores):
    wape = pd.DataFrame({s: sc["wape"] for s, sc in scores.items()}).T
    bias = pd.Series({s: sc.loc["judgment", "bias"] for s, sc in scores.items()})
    return Evidence({"predictive WAPE below judgment's": ("lower",
                                                         wape["predictive"] - wape["judgment"]),
                     "weighted WAPE below judgment's": ("lower",
                                                       wape["weighted"] - wape["judgment"]),
                     "predictive WAPE below weighted's": ("lower",
                                                         wape["predictive"] - wape["weighted"]),
                     "judgment optimistic": ("higher", bias),
                     "predictive WAPE below the naive last quarter's": (
                         "lower", wape["predictive"] - wape["last_period"])},
                    "WAPE of the model minus WAPE of the reps' judgment")


def _mrr_curve(company):
    """MRR after 12 months and in the last month (claim 14's measure)."""
    mrr = company.mrr.groupby("month")["mrr"].sum()
    return {"month_12": float(mrr.iloc[11]), "end": float(mrr.iloc[-1])}


def _run_14(seeds, progress):
    config = company_profile("default")
    return sweep({"funnel only": dataclasses.replace(config, flywheel=False), "flywheel": config},
                 seeds=seeds, measure=_mrr_curve, progress=progress, desc="flywheel")


def _ev_14(frame):
    wide = frame.pivot_table(index="seed", columns=["arm", "measure"], values="value",
                             observed=True)
    end = wide[("flywheel", "end")] / wide[("funnel only", "end")] - 1
    first = wide[("flywheel", "month_12")] / wide[("funnel only", "month_12")] - 1
    return Evidence({"MRR gap at the end": ("higher", end),
                     "gap wider at the end than after 12 months": ("higher", end - first)},
                    "relative MRR gap in the last month, flywheel vs funnel only")


_RETENTION_CHANGE = 0.2


def retention_arms(config: CompanyConfig, change: float = _RETENTION_CHANGE
                   ) -> dict[str, CompanyConfig]:
    """Claim 15's arms: the company; 20% less churn and 20% more expansion; 20% more wins.

    The retention arm scales every segment's ``monthly_churn`` by ``1 - change`` and its
    ``annual_expansion`` by ``1 + change``, leaving acquisition alone (the same gross new
    bookings, up to the seeds' noise). The new-logo arm raises the win probability of every
    opportunity by ``1 + change`` (``conversion_multipliers["opportunity_to_won"]``).

    Examples
    --------
    >>> arms = retention_arms(CompanyConfig())
    >>> list(arms)
    ['as is', 'retention +20%', 'new logos +20%']
    >>> round(arms["retention +20%"].segments[0].monthly_churn, 5)
    0.0068
    """
    segments = tuple(dataclasses.replace(s, monthly_churn=s.monthly_churn * (1 - change),
                                         annual_expansion=s.annual_expansion * (1 + change))
                     for s in config.segments)
    wins = {**config.conversion_multipliers, "opportunity_to_won":
            config.conversion_multipliers.get("opportunity_to_won", 1.0) * (1 + change)}
    return {"as is": config,
            f"retention +{change:.0%}": dataclasses.replace(config, segments=segments),
            f"new logos +{change:.0%}": dataclasses.replace(config,
                                                            conversion_multipliers=wins)}


def _arr_and_bookings(company) -> dict[str, float]:
    mrr = company.mrr.groupby("month")["mrr"].sum()
    won = company.opportunities[company.opportunities["is_won"]]
    return {"ending_arr": 12 * float(mrr.iloc[-1]), "new_bookings": float(won["amount"].sum())}


def _run_15(seeds, progress):
    return sweep(retention_arms(company_profile("default")), seeds=seeds,
                 measure=_arr_and_bookings, progress=progress, desc="retention vs new logos")


def _ev_15(frame):
    wide = frame.pivot_table(index="seed", columns=["arm", "measure"], values="value",
                             observed=True)
    arms = list(frame["arm"].cat.categories)
    base, keep, logos = arms
    arr = {a: wide[(a, "ending_arr")] for a in arms}
    bookings = {a: wide[(a, "new_bookings")] for a in arms}
    edge = (arr[keep] - arr[logos]) / arr[base]
    same = (bookings[keep] / bookings[base] - 1).abs()
    return Evidence({"retention lifts 3-year ARR more than as many more new logos":
                     ("higher", edge),
                     "retention arm's gross new bookings within 2% of the company's":
                     ("higher", 0.02 - same)},
                    "ending ARR of the retention arm minus the new-logo arm, over the "
                    "company's ending ARR")


CLAIMS: Mapping[int, Claim] = {c.number: c for c in (
    Claim(1, "01", "Siloed goals lose revenue; aligned organisations grow faster and more "
          "profitably", "org_model siloed vs aligned", 20, _run_1, _ev_1,
          statement_ja="目標がサイロ化した組織は売上を失い、目標をそろえた組織ほど速く、利益を伴って成長する"),
    Claim(2, "01", "Marketing measured on lead count passes weak leads; wins stall",
          "lower MQL threshold, first-come routing", 8, _run_2, _ev_2,
          statement_ja="リード数で評価されるマーケティングは質の低いリードを渡し、受注が伸び悩む"),
    Claim(3, "01", "Sales measured on deal count discounts; CS cannot up-sell or retain",
          "deal-count quota, deeper discounts", 8, _run_3, _ev_3,
          statement_ja="商談数で評価される営業は値引きに走り、CSはアップセルも継続もできなくなる"),
    Claim(4, "01", "Context lost at handoffs hurts the experience and retention",
          "handoff context lost vs kept", 8, _run_4, _ev_4,
          statement_ja="引き継ぎで文脈が失われると、顧客体験と継続率が損なわれる"),
    Claim(5, "01", "Without joined data, the only growth lever is more inside-sales headcount",
          "scored vs first-come routing, extra reps", 4, _run_5, _ev_5,
          statement_ja="データがつながっていないと、成長の打ち手はインサイドセールスの増員しかない"),
    Claim(6, "02", "The CRO's lifecycle lens beats bookings-only leadership over time",
          "head of sales (bookings) vs CRO (LTV)", 8, _run_6, _ev_6,
          statement_ja="CROのライフサイクル視点は、受注額だけを追う統率に長期で勝る"),
    Claim(7, "02", "Targets should be realistic yet challenging",
          "next-year bookings over simulated futures", 20, _run_7, _ev_7,
          statement_ja="目標は現実的で、かつ挑戦的であるべき"),
    Claim(8, "03", "Each department's system gives a different truth; the gap grows with "
          "data noise", "silo answers vs truth at two noise levels", 3, _run_8, _ev_8,
          statement_ja="部門ごとのシステムはそれぞれ違う「真実」を返し、その差はデータのノイズとともに広がる"),
    Claim(9, "04", "Handoff SLAs raise conversion, with diminishing returns",
          "SLA tightened step by step", 6, _run_9, _ev_9,
          statement_ja="引き継ぎのSLAは転換率を高めるが、効果は逓減する"),
    Claim(10, "04", "Small companies should not adopt RevOps yet; large ones should",
          "business case: startup, our company, large company", 6, _run_10, _ev_10,
          percent=False,
          statement_ja="小さな会社はまだRevOpsを導入すべきではなく、大きな会社は導入すべき"),
    Claim(11, "05", "Fix one bottleneck and the next appears",
          "lift the bottleneck step", 6, _run_11, _ev_11, percent=False,
          statement_ja="ボトルネックを一つ解消すると、次のボトルネックが現れる"),
    Claim(12, "05", "1% better at every step each year compounds like the arithmetic",
          "+1%/year at every step vs (1.01)^(k·y)", 6, _run_12, _ev_12,
          statement_ja="毎年すべての段階を1%改善すると、算術どおりに複利で効く"),
    Claim(13, "05", "Data beats judgment (KKD) at forecasting",
          "point-in-time backtest of seven forecasts", 6, _run_13, _ev_13,
          statement_ja="予測では、データがKKD（経験・勘・努力）に勝る"),
    Claim(14, "00", "The flywheel outgrows the one-way funnel",
          "referrals from promoters on vs off", 8, _run_14, _ev_14,
          statement_ja="フライホイールは一方通行のファネルより大きく成長する"),
    Claim(15, "00, 02", "Retention and expansion drive 3-year ARR more than new-logo volume",
          "20% less churn and more expansion vs 20% more wins", 8, _run_15, _ev_15,
          statement_ja="3年後のARRには、新規獲得数よりも継続と拡大が効く"),
)}

#: Every claim's number.
CLAIM_NUMBERS: tuple[int, ...] = tuple(CLAIMS)


def _claim(number: Any) -> Claim:
    if number not in CLAIMS:
        raise ValueError(f"claim must be one of {list(CLAIMS)}, got {number!r}")
    return CLAIMS[number]


def seeds(number: int, *, first: int = DEFAULT_SEED) -> list[int]:
    """The seeds the scorecard (and the claim's chapter) runs claim ``number`` with.

    Examples
    --------
    >>> seeds(1)[:3], len(seeds(1)), seeds(13, first=7)[:2]
    ([2024, 2025, 2026], 20, [7, 8])
    """
    return list(range(first, first + _claim(number).n_seeds))


def run(number: int, *, seeds: Iterable[int] | None = None, progress: bool = False) -> Any:
    """Run claim ``number``'s experiment (default: its scorecard seeds)."""
    claim = _claim(number)
    chosen = globals()["seeds"](number) if seeds is None else check_seeds(seeds)
    return claim.run(chosen, progress)


def evidence(number: int, result: Any) -> Evidence:
    """Claim ``number``'s evidence from its experiment's result (from :func:`run` or the
    chapter's own call of the same experiment)."""
    return _claim(number).evidence(result)


def verdict(shares: Iterable[float]) -> str:
    """The one verdict rule: every part in the claimed direction in at least 80% of seeds:
    ``holds``; the headline in at least half, or some part in 80%: ``holds partly``; else
    ``does not hold here``. The first share is the headline's.

    Examples
    --------
    >>> verdict([1.0, 0.9]), verdict([0.9, 0.3]), verdict([0.6, 0.1]), verdict([0.2, 0.1])
    ('holds', 'holds partly', 'holds partly', 'does not hold here')
    """
    shares = [float(s) for s in shares]
    if not shares or any(np.isnan(s) for s in shares):
        raise ValueError(f"shares must be at least one number from 0 to 1, got {shares}")
    if min(shares) >= HOLDS_SHARE:
        return VERDICTS[0]
    if shares[0] >= 0.5 or max(shares) >= HOLDS_SHARE:
        return VERDICTS[1]
    return VERDICTS[2]


def row(number: int, result: Any) -> pd.DataFrame:
    """One scorecard row for claim ``number`` from its experiment's result.

    Returns
    -------
    pandas.DataFrame
        One row indexed by ``claim`` with :data:`COLUMNS`.
    """
    claim = _claim(number)
    ev = claim.evidence(result)
    summaries = {label: summarise_effect(values, direction=direction)
                 for label, (direction, values) in ev.parts.items()}
    head = next(iter(summaries.values()))
    parts = "; ".join(f"{label}: {s['share_in_direction']:.0%} of seeds"
                      for label, s in summaries.items())
    out = pd.DataFrame([{
        "claim": claim.number, "chapter": claim.chapter, "statement": claim.statement,
        "measure": next(iter(ev.parts)), "unit": ev.unit,
        "effect_median": head["median"], "effect_low": head["low"], "effect_high": head["high"],
        "share_in_direction": head["share_in_direction"], "seeds": head["seeds"],
        "parts": parts,
        "verdict": verdict([s["share_in_direction"] for s in summaries.values()]),
    }], columns=list(COLUMNS))
    return out.set_index("claim")


def parts_table(number: int, result: Any, *, lang: str | None = None) -> pd.DataFrame:
    """Every part of claim ``number``'s evidence: direction, median, interval, share.

    Effects are rounded to 3 decimals and shares to 2; labels and columns are in ``lang``
    (default: the notebook's bound language).
    """
    ja = resolve_lang(lang) == "ja"
    ev = evidence(number, result)
    rows = []
    for label, (direction, values) in ev.parts.items():
        s = summarise_effect(values, direction=direction)
        rows.append({"part": part_label(label, lang="ja") if ja else label,
                     "expected": _DIRECTIONS_JA.get(direction, direction) if ja else direction,
                     "median": round(float(s["median"]), 3),
                     "low (10th pct)": round(float(s["low"]), 3),
                     "high (90th pct)": round(float(s["high"]), 3),
                     "share_in_direction": round(float(s["share_in_direction"]), 2),
                     "seeds": s["seeds"]})
    table = pd.DataFrame(rows).set_index("part")
    if ja:
        table = table.rename(columns=_PARTS_COLUMNS_JA).rename_axis("項目")
    return table


_DIRECTIONS_JA = {"higher": "高い", "lower": "低い"}
_PARTS_COLUMNS_JA = {"expected": "主張の方向", "median": "中央値",
                     "low (10th pct)": "下限（10%点）", "high (90th pct)": "上限（90%点）",
                     "share_in_direction": "主張の方向のシード割合",
                     "seeds": "シード数"}


def scorecard(*, claims: Iterable[int] | None = None, seeds: int | None = None,
              progress: bool = False) -> pd.DataFrame:
    """Run every claim's experiment and return the scorecard, one row per claim.

    Parameters
    ----------
    claims
        Claim numbers to run (default: all 15).
    seeds
        First seed of every claim's seeds (default :data:`~revopslab.vocabulary.DEFAULT_SEED`,
        the seeds the chapters use).
    progress
        Show a tqdm progress bar over claims and, inside each, over seeds.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``claim``, with :data:`COLUMNS`.
    """
    from tqdm.auto import tqdm

    numbers = list(CLAIMS) if claims is None else [_claim(n).number for n in claims]
    first = DEFAULT_SEED if seeds is None else check_seeds([seeds])[0]
    rows = []
    for number in tqdm(numbers, desc="claims", unit="claim", disable=not progress):
        result = run(number, seeds=globals()["seeds"](number, first=first), progress=progress)
        rows.append(row(number, result))
    return pd.concat(rows)


#: The verdicts in Japanese.
VERDICTS_JA: Mapping[str, str] = {"holds": "成り立つ", "holds partly": "一部成り立つ",
                                  "does not hold here": "ここでは成り立たない"}

#: Each evidence part's label in Japanese (the Japanese edition's parts tables and sentences).
PARTS_JA: Mapping[str, str] = {
    "revenue lower": "3年売上が低い",
    "gross_profit lower": "粗利が低い",
    "cac_payback_months higher": "CAC回収期間が長い",
    "bookings lower": "受注額が低い",
    "sqls higher": "SQL数が多い",
    "win_rate lower": "受注率が低い",
    "activities_per_win higher": "受注1件あたりの活動数が多い",
    "ltv lower": "LTVが低い",
    "deals_won higher": "受注件数が多い",
    "expansion_mrr lower": "拡大MRRが低い",
    "early_churn higher": "早期解約が多い",
    "onboarding_csat lower": "オンボーディングCSATが低い",
    "onboarding_nps lower": "オンボーディングNPSが低い",
    "prioritised team books more (same headcount)":
        "優先順位づけしたチームの受注額が多い（同じ人数）",
    "unjoined team catches up with 6 extra reps": "データがつながらないチームは6人増員で追いつく",
    "bookings_first_quarter higher": "最初の四半期の受注額が多い",
    "next-year bookings growth": "翌年の受注額の伸び",
    "a stretch above last year is 40-70% likely": "前年超えのストレッチ目標の達成確率が40〜70%",
    "attainment falls with stretch": "ストレッチを上げるほど達成率が下がる",
    "silo gap grows from noise 0 to 0.3": "ノイズ0から0.3でサイロの差が広がる",
    "silos disagree with the truth even at noise 0 (gap over 5%)":
        "ノイズ0でもサイロの答えが真実とずれる（差が5%超）",
    "SAL rate rises with a tighter SLA": "SLAを厳しくするとSAL率が上がる",
    "the last tightening adds less than the best step":
        "最後の引き締めの効果は最良の一段より小さい",
    "large company: net gain positive": "大企業：純効果がプラス",
    "startup: net gain negative": "スタートアップ：純効果がマイナス",
    "another step becomes the bottleneck": "別の段階がボトルネックになる",
    "the lifted step is worth less afterwards": "改善した段階の価値はその後下がる",
    "3-year gain positive": "3年間の改善効果がプラス",
    "simulated gain within 25% of the arithmetic": "シミュレーションの効果が算術値の±25%以内",
    "predictive WAPE below judgment's": "予測モデルのWAPEが判断予測より低い",
    "predictive WAPE below weighted's": "予測モデルのWAPEが加重パイプラインより低い",
    "predictive WAPE below the naive last quarter's":
        "予測モデルのWAPEが前四半期の素朴な予測より低い",
    "weighted WAPE below judgment's": "加重パイプラインのWAPEが判断予測より低い",
    "judgment optimistic": "担当者の判断は楽観的",
    "MRR gap at the end": "期末のMRRの差",
    "gap wider at the end than after 12 months": "差は12か月後より期末のほうが大きい",
    "retention lifts 3-year ARR more than as many more new logos":
        "継続の改善は同規模の新規獲得増より3年後のARRを押し上げる",
    "retention arm's gross new bookings within 2% of the company's":
        "継続改善アームの新規受注総額が基準の±2%以内",
}


def part_label(label: str, *, lang: str | None = None) -> str:
    """An evidence part's label in ``lang`` (default: the bound language, see ``set_theme``).

    Examples
    --------
    >>> part_label("revenue lower", lang="en"), part_label("revenue lower", lang="ja")
    ('revenue lower', '3年売上が低い')
    """
    if resolve_lang(lang) == "en":
        return label
    if label not in PARTS_JA:
        raise KeyError(f"part {label!r} has no Japanese label; add it to claims.PARTS_JA")
    return PARTS_JA[label]


def sentence(card: pd.DataFrame, *, lang: str | None = None) -> str:
    """One sentence per scorecard row: the claim, its effect with the interval, the verdict.

    ``lang`` defaults to the notebook's bound language (``set_theme(lang=...)``).

    Examples
    --------
    >>> card = pd.DataFrame([{"claim": 1, "statement": "Silos lose revenue",
    ...     "measure": "revenue lower", "effect_median": -0.17, "effect_low": -0.2,
    ...     "effect_high": -0.13, "share_in_direction": 1.0, "seeds": 20,
    ...     "verdict": "holds"}]).set_index("claim")
    >>> print(sentence(card, lang="en"))  # doctest: +NORMALIZE_WHITESPACE
    Claim 1 (Silos lose revenue): revenue lower, median -17.0% (10th to 90th percentile
    -20.0% to -13.0%) over 20 seeds, 100% of them in the claimed direction: holds.
    >>> print(sentence(card, lang="ja"))  # doctest: +ELLIPSIS
    主張1（目標がサイロ化...）：3年売上が低い、中央値 -17.0%（10〜90パーセンタイル -20.0%〜-13.0%）...
    >>> print(sentence(card, lang="ja")[-23:])
    、20シード中100%が主張の方向：成り立つ。
    """
    ja = resolve_lang(lang) == "ja"
    lines = []
    for number, r in card.iterrows():
        claim = _claim(int(number))
        f = (lambda x: f"{x:+.1%}") if claim.percent else (lambda x: f"{x:+.2f}")
        if ja:
            measure = part_label(r["measure"], lang="ja")
            lines.append(f"主張{number}（{claim.statement_ja}）：{measure}、"
                         f"中央値 {f(r['effect_median'])}（10〜90パーセンタイル "
                         f"{f(r['effect_low'])}〜{f(r['effect_high'])}）、"
                         f"{int(r['seeds'])}シード中{r['share_in_direction']:.0%}が主張の方向："
                         f"{VERDICTS_JA[r['verdict']]}。")
            continue
        lines.append(f"Claim {number} ({r['statement']}): {r['measure']}, median "
                     f"{f(r['effect_median'])} (10th to 90th percentile {f(r['effect_low'])} to "
                     f"{f(r['effect_high'])}) over {int(r['seeds'])} seeds, "
                     f"{r['share_in_direction']:.0%} of them in the claimed direction: "
                     f"{r['verdict']}.")
    return "\n".join(lines)


def describe(number: int, result: Any, *, lang: str | None = None) -> pd.DataFrame:
    """Print claim ``number``'s scorecard sentence and return its parts (:func:`parts_table`).

    What a chapter shows after running a claim's experiment: the same row, computed by the
    same rule, as the scorecard, in ``lang`` (default: the notebook's bound language).
    """
    print(sentence(row(number, result), lang=lang))
    return parts_table(number, result, lang=lang)


def committed() -> pd.DataFrame:
    """The committed scorecard (``data/claims_scorecard.csv``), as :func:`scorecard` wrote it."""
    return pd.read_csv(SCORECARD_FILE, index_col="claim", encoding="utf-8-sig")


def course_map(card: pd.DataFrame | None = None, *, lang: str | None = None) -> pd.DataFrame:
    """The scorecard as the course map: chapter, statement, effect, interval, share, verdict.

    Prints how many claims hold, hold partly and do not hold, then returns the table, rounded,
    in ``lang`` (default: the notebook's bound language). ``card`` defaults to
    :func:`committed`.
    """
    card = committed() if card is None else card
    ja = resolve_lang(lang) == "ja"
    counts = card["verdict"].value_counts()
    if ja:
        parts = "、".join(f"{VERDICTS_JA[v]} {n}件" for v, n in counts.items())
        print(f"主張{len(card)}件：{parts}。")
    else:
        print(f"{len(card)} claims: " + ", ".join(f"{n} {v}" for v, n in counts.items()) + ".")
    table = card[["chapter", "statement", "effect_median", "effect_low", "effect_high",
                  "share_in_direction", "seeds", "verdict"]].round(3)
    if ja:
        table = table.assign(
            statement=[_claim(int(n)).statement_ja for n in table.index],
            verdict=table["verdict"].map(VERDICTS_JA),
        ).rename(columns={"chapter": "章", "statement": "主張", "effect_median": "効果の中央値",
                          "effect_low": "下限（10%点）", "effect_high": "上限（90%点）",
                          "share_in_direction": "主張の方向のシード割合", "seeds": "シード数",
                          "verdict": "判定"}).rename_axis("主張番号")
    return table
