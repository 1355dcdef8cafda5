"""The simulated B2B SaaS company: every table of its revenue process, from one seed."""

from __future__ import annotations

import copy
import dataclasses
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy.special import expit, logit, ndtri, pdtr, pdtrik

from . import _cache, _names
from .config import GTM_EFFECTS, PLG_MONTHLY_SIGNUPS, CompanyConfig
from .vocabulary import CHANNELS, DEFAULT_SEED, OPPORTUNITY_STAGES, SEGMENTS, STAGES

__all__ = ["Company", "simulate_company", "DEFAULT_SEED", "TABLES", "TABLE_DESCRIPTIONS",
           "TABLE_DESCRIPTIONS_JA", "seed_sequence", "headcount"]


#: Every table of a :class:`Company`, in the order they are documented.
TABLES: tuple[str, ...] = (
    "accounts", "leads", "opportunities", "opportunity_stages", "pipeline_snapshots",
    "subscriptions", "mrr", "mrr_movements", "invoices", "usage", "tickets",
    "nps_responses", "reps", "quotas", "marketing_spend", "costs",
)

#: What one row of each table is (the data dictionary describes every column).
TABLE_DESCRIPTIONS: dict[str, str] = {
    "accounts": "a company in the market that became a lead at least once",
    "leads": "one inquiry (a person) with a timestamp per waterfall stage reached",
    "opportunities": "one deal: owner, amount, discount, dates, stage, outcome",
    "opportunity_stages": "one stage an opportunity entered, with when",
    "pipeline_snapshots": "an open opportunity as the CRM showed it one Monday",
    "subscriptions": "one product subscription of an account, from start to churn",
    "mrr": "a subscription's recurring revenue in one month",
    "mrr_movements": "an account's MRR change in a month: new, expansion, contraction, churn …",
    "invoices": "one monthly invoice of an account (billing export)",
    "usage": "an account's product usage and health score in one month",
    "tickets": "one support ticket with resolution time and CSAT",
    "nps_responses": "one answer to the quarterly NPS survey",
    "reps": "one member of the sales or customer-success teams",
    "quotas": "a field rep's annual bookings quota in one calendar year",
    "marketing_spend": "marketing programme spend of one channel in one month",
    "costs": "one cost line of a department in one month",
}

#: :data:`TABLE_DESCRIPTIONS` in Japanese (the Japanese edition's table of tables).
TABLE_DESCRIPTIONS_JA: dict[str, str] = {
    "accounts": "一度でもリードになった市場の企業1社",
    "leads": "問い合わせ1件（1人）と、到達したウォーターフォールの各ステージの日時",
    "opportunities": "商談1件：担当者、金額、値引き、日付、フェーズ、結果",
    "opportunity_stages": "商談が入ったフェーズ1つと、その日時",
    "pipeline_snapshots": "ある月曜日にCRMが示していた進行中の商談1件",
    "subscriptions": "取引先の製品契約1件（開始から解約まで）",
    "mrr": "契約1件のある月の経常収益",
    "mrr_movements": "取引先のある月のMRRの変動：新規、拡大、縮小、解約など",
    "invoices": "取引先の月次請求書1通（請求システムの出力）",
    "usage": "取引先のある月の製品利用とヘルススコア",
    "tickets": "サポートチケット1件（解決時間とCSAT付き）",
    "nps_responses": "四半期ごとのNPS調査への回答1件",
    "reps": "営業またはカスタマーサクセスのメンバー1人",
    "quotas": "フィールドセールス担当者のある暦年の年間受注ノルマ",
    "marketing_spend": "あるチャネルのある月のマーケティング施策費",
    "costs": "ある部門のある月のコスト1行",
}

#: Independent random streams, one per concern; their order is fixed forever so
#: that adding a stream at the end never reshuffles the existing ones.
_STREAMS = ("market", "reps", "leads", "customers", "tickets", "snapshots", "spend")

#: The probability a rep would write in the CRM at each open stage, before bias.
_STAGE_PROBABILITY = np.array([0.10, 0.25, 0.50, 0.75])
# Reps' forecasts (teaching assumptions, data/assumptions.csv): each rep's probability is
# the stage's historical win rate plus the rep's own bias, mean +5 points, spread 10 points
# (some reps sandbag); an expected close date is the segment's typical cycle with the
# spread of real cycles, 10% sooner per 10 points of optimism.
_REP_BIAS_MEAN, _REP_BIAS_SD = 0.05, 0.10
_CLOSE_DATE_SIGMA, _CLOSE_DATE_OPTIMISM = 0.5, 1.0
PRODUCTS: tuple[str, ...] = ("core", "analytics", "automation")

# Market: share of addressable accounts per segment, and its size at scale 1.
_MARKET_ACCOUNTS = 20000
_MARKET_SHARE = {"SMB": 0.65, "MM": 0.27, "ENT": 0.08}
_EMPLOYEES = {"SMB": (10, 99), "MM": (100, 999), "ENT": (1000, 20000)}

# Sales organisation: per field segment, the base annual bookings quota of a
# ramped rep (the first year's; quotas reset every January), ramp months and
# the open opportunities one ramped rep can work properly (past that, every deal
# of the team gets less attention and wins less often).
_FIELD = {
    "SMB": dict(quota=40_000_000, ramp=3, capacity=10),
    "MM": dict(quota=80_000_000, ramp=4, capacity=14),
    "ENT": dict(quota=140_000_000, ramp=6, capacity=10),
}
_TEAM_COST = {"inside_sales": 650_000, "field_sales": 1_000_000, "customer_success": 700_000,
              "marketing": 800_000, "general_admin": 700_000, "sales_manager": 1_500_000,
              "sales_engineer": 1_100_000, "research_development": 900_000,
              "revops": 1_000_000}
# The hiring plan, reviewed at the start of every quarter (design assumptions with
# published anchors; see data/assumptions.csv, rows engine.*).
_PLAN_UTILISATION = 0.85  # field reps are hired to carry the pipeline at 85% of capacity
_HIRING_LAG_DAYS = 60  # median days from an approved requisition to a start date
_REP_ATTRITION = 0.30  # annual voluntary + involuntary turnover of sales reps
_QUOTA_FROM_PRODUCTIVITY = 0.9  # January's quota: 90% of last year's ramped productivity
_REPS_PER_MANAGER = 7  # first-line sales managers' span of control
_HEADS_PER_REVOPS = 12  # RevOps, sales operations and enablement staff per S&M head
_AES_PER_SE = 3  # sales engineers support MM and ENT account executives
_AES_PER_SDR = 2.0  # inside-sales (SDR/BDR) headcount is planned against the field team
_ARR_PER_CSM = 300_000_000  # yen of ARR one customer-success manager covers
_PROGRAMS_PER_MARKETER = 2_000_000  # monthly programme spend one marketer runs
_TOOLS_PER_SEAT = 40_000  # CRM, MA and sales-engagement licences per S&M seat a month
_ARR_PER_ENGINEER = 40_000_000  # product and engineering staff grow with ARR
_AQLS_PER_INSIDE_REP = 28  # inbound AQLs one ramped inside-sales rep can work properly a month
_STANDARD_DISCOUNT = 0.03  # the discount every deal gets; pressure adds to it
_DISCOUNT_PULL_FORWARD = 2.0  # each 10 points of extra discount shortens the cycle by ~18%
_SEAT_PRICE = 3_000  # yen per seat-month, to turn MRR into licensed seats
_TAX_RATE = 0.10
_COMMISSION = 0.12  # AE commission, manager overrides and SDR bonuses on bookings

# Lead-level uniforms: one row of _U_COLUMNS per lead, drawn row by row so the
# n-th lead of a channel-month is the same lead whatever the volume or levers.
_U_COLUMNS = (
    "quality", "segment", "account", "time", "score_noise",
    "c_aql", "c_tal", "c_tql", "c_tgl", "c_sal", "c_sgl", "c_sql", "c_opp", "c_win",
    "d_aql", "d_tal", "d_tql", "d_tgl", "d_handoff", "d_sgl", "d_sql", "d_opp",
    "discount", "amount", "cycle", "owner", "optimism", "stage_a", "stage_b", "stage_c",
    "lost_stage", "activities", "family", "given", "onboarding",
)
_U = {name: i for i, name in enumerate(_U_COLUMNS)}

# Median delays (days) between stages before speed multipliers.
_DELAY = {"aql": 0.5, "tal": 1.0, "tql": 6.0, "tgl": 7.0, "sgl": 10.0, "sql_from_sal": 4.0,
          "sql_from_sgl": 3.0, "opp": 3.0}
_SPEED_STEP = {"aql": "inquiry_to_aql", "tal": "aql_to_tal", "tql": "tal_to_tql",
               "tgl": "inquiry_to_tgl", "sgl": "inquiry_to_sgl", "sql_from_sal": "sal_to_sql",
               "sql_from_sgl": "sgl_to_sql", "opp": "sql_to_opportunity"}
_HANDOFF_DECAY_DAYS = 10.0  # each 10 days of handoff delay cuts acceptance by a factor e
_WIN_QUALITY_REF = 1.4  # lead quality at which a deal wins at the segment's base rate
_REFERRALS_PER_PROMOTER = 0.35  # monthly referral inquiries per recent promoter
# Customer health: the reference health of a typical customer of the default
# company, and the norms that make realised churn and expansion match the
# segments' configured rates (measured over seeds; see tests/test_realism.py).
_HEALTH_REF = 1.2
_CHURN_NORM = {"SMB": 1.13, "MM": 1.22, "ENT": 1.17}  # realised / configured at norm 1
_EXPANSION_NORM = {"SMB": 1.09, "MM": 1.08, "ENT": 1.13}  # realised / configured at norm 1
_UPSELL_PER_EXPANSION = 0.28
_CROSS_PER_EXPANSION = 0.10
# NPS answers: mean and spread of a typical customer's score (0-10).
_NPS_MEAN = 8.3
_NPS_SD = 1.5
# Support CSAT answers (1-5): mean and spread of a typical ticket's score.
_CSAT_MEAN = 4.3
_CSAT_SD = 0.8


@dataclass(frozen=True, repr=False)
class Company:
    """One simulated company: its configuration, seed and every table.

    Tables are pandas DataFrames; see ``data/dictionary.csv`` (or
    :func:`revopslab.datasets.data_dictionary`) for every column.
    ``as_of`` is the extraction date: nothing after it is known.
    """

    config: CompanyConfig
    seed: int | None
    as_of: pd.Timestamp
    accounts: pd.DataFrame
    leads: pd.DataFrame
    opportunities: pd.DataFrame
    opportunity_stages: pd.DataFrame
    pipeline_snapshots: pd.DataFrame
    subscriptions: pd.DataFrame
    mrr: pd.DataFrame
    mrr_movements: pd.DataFrame
    invoices: pd.DataFrame
    usage: pd.DataFrame
    tickets: pd.DataFrame
    nps_responses: pd.DataFrame
    reps: pd.DataFrame
    quotas: pd.DataFrame
    marketing_spend: pd.DataFrame
    costs: pd.DataFrame

    def tables(self) -> dict[str, pd.DataFrame]:
        """Every table by name, in :data:`TABLES` order."""
        return {name: getattr(self, name) for name in TABLES}

    def __iter__(self) -> Iterator[tuple[str, pd.DataFrame]]:
        return iter(self.tables().items())

    def replace(self, **tables: pd.DataFrame) -> Company:
        """A copy with some tables replaced (the original is untouched)."""
        unknown = sorted(set(tables) - set(TABLES))
        if unknown:
            raise ValueError(f"tables must be among {TABLES}, got {unknown}")
        return dataclasses.replace(self, **tables)

    def __repr__(self) -> str:
        sizes = ", ".join(f"{name}={len(df):,}" for name, df in self)
        return (f"Company(org_model={self.config.org_model!r}, gtm_motion="
                f"{self.config.gtm_motion!r}, months={self.config.months}, seed={self.seed}, "
                f"as_of={self.as_of.date()}; {sizes})")


def seed_sequence(rng: int | np.random.Generator | np.random.SeedSequence | None
                  ) -> tuple[np.random.SeedSequence, int | None]:
    """Turn ``rng`` into a fresh SeedSequence (and the int seed, when there is one)."""
    if rng is None:
        rng = DEFAULT_SEED
    if isinstance(rng, (int, np.integer)) and not isinstance(rng, bool):
        if rng < 0:
            raise ValueError(f"rng must be a non-negative int seed, got {rng!r}")
        return np.random.SeedSequence(int(rng)), int(rng)
    if isinstance(rng, np.random.SeedSequence):
        return np.random.SeedSequence(rng.entropy, spawn_key=rng.spawn_key), None
    if isinstance(rng, np.random.Generator):
        return np.random.SeedSequence(rng.integers(0, 2**63, size=4)), None
    raise TypeError(
        "rng must be an int seed, a numpy Generator, a SeedSequence or None, "
        f"got {type(rng).__name__}"
    )


#: Every payroll line of ``costs``, (cost type, department) -> the role whose loaded
#: monthly cost (``_TEAM_COST``) each person on it costs: the simulator books each line as
#: headcount × that cost, and :func:`headcount` reads it back.
_PAYROLL = {("people", "inside_sales"): "inside_sales", ("people", "field_sales"): "field_sales",
            ("people", "customer_success"): "customer_success",
            ("management", "field_sales"): "sales_manager",
            ("sales_engineering", "field_sales"): "sales_engineer",
            ("operations", "field_sales"): "revops",
            ("people", "marketing"): "marketing",
            ("people", "research_development"): "research_development",
            ("people", "general_admin"): "general_admin"}


def headcount(company: Company) -> pd.DataFrame:
    """People on the payroll each month, by department and cost line.

    The simulator books every payroll line of ``costs`` as headcount × a loaded
    monthly cost per person, so the headcount is read back exactly.

    Examples
    --------
    >>> from revopslab.config import CompanyConfig
    >>> company = simulate_company(CompanyConfig(months=12, scale=0.2), rng=3)
    >>> heads = headcount(company)
    >>> sorted(heads.columns)
    ['cost_type', 'department', 'headcount', 'month']
    >>> bool((heads["headcount"] >= 0).all())
    True
    """
    costs = company.costs
    keys = list(zip(costs["cost_type"], costs["department"], strict=True))
    unit = np.array([_TEAM_COST.get(_PAYROLL.get(k, ""), np.nan) for k in keys])
    rows = costs.assign(headcount=np.round(costs["amount"].to_numpy() / unit))[~np.isnan(unit)]
    rows = rows.astype({"headcount": "int64"})
    return rows[["month", "department", "cost_type", "headcount"]].reset_index(drop=True)


def _child(seq: np.random.SeedSequence, *key: int) -> np.random.Generator:
    """A generator addressed by ``key`` under ``seq`` (what ``spawn`` does, by index)."""
    return np.random.Generator(
        np.random.PCG64(np.random.SeedSequence(seq.entropy, spawn_key=seq.spawn_key + key))
    )


def _lognormal(u: np.ndarray, median, sigma: float) -> np.ndarray:
    return median * np.exp(sigma * ndtri(np.clip(u, 1e-9, 1 - 1e-9)))


_FUNNEL_NORMALS = ("quality", "score_noise", "d_aql", "d_tal", "d_tql", "d_tgl", "d_handoff",
                   "d_sgl", "d_sql", "d_opp")  # lead draws _funnel uses as normal scores
_Z_COLUMNS = [0, 3, 5, 7]  # account-month draws used as normal scores in _customer_month


def _poisson_ppf(u, mean):
    """``scipy.stats.poisson.ppf(u, mean)`` for ``0 < u < 1`` and ``mean > 0``, without
    the per-call overhead of the distribution machinery (same algorithm, same values).

    Examples
    --------
    >>> from scipy.stats import poisson
    >>> u, mean = np.array([0.01, 0.5, 0.99]), np.array([0.3, 4.0, 250.0])
    >>> bool(np.array_equal(_poisson_ppf(u, mean), poisson.ppf(u, mean)))
    True
    """
    upper = np.ceil(pdtrik(u, mean))
    lower = np.maximum(upper - 1, 0)
    return np.where(pdtr(lower, mean) >= u, lower, upper)


def _ids(prefix: str, count: int, width: int) -> np.ndarray:
    """Identifiers like ``A000001`` as an object array (text even when empty).

    Examples
    --------
    >>> _ids("A", 3, 6).tolist()
    ['A000001', 'A000002', 'A000003']
    """
    if count == 0:
        return np.array([], dtype=object)
    numbers = np.char.zfill(np.arange(1, count + 1).astype(str), width)
    return np.char.add(prefix, numbers).astype(object)


def _text_as_str(df: pd.DataFrame) -> pd.DataFrame:
    """Give every text column pandas' string dtype, whatever numpy array it was built from."""
    for column in df.columns:
        if df[column].dtype == object and pd.api.types.infer_dtype(
                df[column], skipna=True) in ("string", "empty"):
            df[column] = df[column].astype("str")
    return df


def simulate_company(
    config: CompanyConfig | None = None,
    *,
    rng: int | np.random.Generator | np.random.SeedSequence | None = None,
    history: CompanyConfig | None = None,
) -> Company:
    """Simulate one B2B SaaS company over ``config.months`` months.

    Every lever of ``config`` acts through a mechanism: marketing's lead-score
    threshold decides who becomes an AQL; the handoff delay lowers the chance
    that sales accepts a lead; discounting wins poor-fit buyers who churn at
    renewal; context lost at the sales → CS handoff lowers onboarding
    satisfaction and raises early churn; promoters refer new inquiries.
    Randomness is drawn per entity (each lead, account-month, rep) from
    streams addressed by ``SeedSequence`` keys, so moving one lever leaves
    every other draw as it was (common random numbers).

    Parameters
    ----------
    config
        The company's parameters (default: ``CompanyConfig()``).
    rng
        An int seed, a ``numpy.random.Generator`` or a ``SeedSequence``;
        ``None`` means the curriculum's default seed ``2024``.
    history
        How the company was run in the years before the history starts (its
        warm-up; ``config.founded_years_before_start``). ``None``: as
        ``config``. Only the levers are taken from it (org model and its
        overrides, SLA, inside-sales headcount, multipliers, flywheel, GTM
        motion, inquiry growth, segment mix); size, segments, channels, dates
        and age come from ``config``. An experiment that moves a lever passes
        the unmoved config here, so both arms share one past and differ only
        from the first day of the history (a larger fixed inside-sales team is
        hired that day and starts after the hiring lag; a smaller one is cut
        that day).

    Returns
    -------
    Company
        A frozen container of DataFrames (see :data:`TABLES`).

    Examples
    --------
    >>> from revopslab.config import CompanyConfig
    >>> company = simulate_company(CompanyConfig(months=12, scale=0.2), rng=7)
    >>> sorted(company.leads.columns)[:3]
    ['account_id', 'aql_at', 'channel']
    >>> bool((company.opportunities["is_won"] <= company.opportunities["is_closed"]).all())
    True

    Two arms that share their past differ only from the history's first day:

    >>> siloed = dataclasses.replace(CompanyConfig(months=12, scale=0.2), org_model="siloed")
    >>> turned = simulate_company(siloed, rng=7, history=CompanyConfig(months=12, scale=0.2))
    >>> opening = lambda c: c.mrr.loc[c.mrr["month"] == c.mrr["month"].min(), "mrr"].sum()
    >>> bool(opening(turned) == opening(company))
    True
    """
    if config is None:
        config = CompanyConfig()
    if not isinstance(config, CompanyConfig):
        raise TypeError(f"config must be a CompanyConfig or None, got {type(config).__name__}")
    if history is not None and not isinstance(history, CompanyConfig):
        raise TypeError(f"history must be a CompanyConfig or None, got {type(history).__name__}")
    root, seed = seed_sequence(rng)
    past = _past(config, history)
    # A company simulated before is read back (revopslab._cache; int seeds only).
    key = None if seed is None or _cache.cache_dir() is None else cache_key(config, seed, history)
    stored = None if key is None else _cache.load(key)
    if stored is not None:
        return Company(config=config, seed=seed, **stored)
    streams = dict(zip(_STREAMS, root.spawn(len(_STREAMS)), strict=True))
    company = _Simulation(config, streams, seed, past=past, shared=history is not None).run()
    if key is not None:
        _cache.store(key, {"as_of": company.as_of, **company.tables()})
    return company


def _past(config: CompanyConfig, history: CompanyConfig | None) -> CompanyConfig:
    """How the warm-up years run: ``history``'s levers on ``config``'s structure."""
    return config if history is None else dataclasses.replace(
        history, **{name: getattr(config, name) for name in _STRUCTURE})


def cache_key(config: CompanyConfig, seed: int, history: CompanyConfig | None = None) -> str:
    """The cache address of ``simulate_company(config, rng=seed, history=history)``."""
    past = _past(config, history)
    return _cache.company_key(config, seed, None if past == config else past)


#: What a company *is* (taken from ``config`` even when ``history`` is given); every
#: other field of :class:`CompanyConfig` is a lever, taken from ``history`` for the warm-up.
_STRUCTURE = ("months", "start", "scale", "currency", "segments", "channels",
              "founded_years_before_start", "employees_other", "gross_margin", "data_noise")


class _WarmupMemory:
    """The last few warm-ups simulated in this process, to resume instead of re-simulating.

    Every arm of an experiment shares one past (``history``), so its first
    ``founded_years_before_start`` years are the same months, drawn from the same streams;
    only what follows differs. The state at the end of a warm-up (a deep copy) is kept here,
    keyed on the past's configuration and the seed, and the next arm resumes from a copy of
    it. Only for runs given a ``history`` (what an experiment's arms are); in memory only, at
    most :attr:`size` warm-ups; off when ``REVOPSLAB_CACHE=off`` (the simulator's determinism
    tests simulate every month afresh).
    """

    size = 2

    def __init__(self) -> None:
        self._entries: dict[str, Any] = {}
        self.hits = 0  # warm-ups resumed (for tests and benchmarks)

    def get(self, key: str | None) -> Any:
        if key is None or key not in self._entries:
            return None
        self._entries[key] = self._entries.pop(key)  # most recently used last
        self.hits += 1
        return self._entries[key]

    def put(self, key: str, value: Any) -> None:
        self._entries[key] = value
        while len(self._entries) > self.size:
            del self._entries[next(iter(self._entries))]

    def clear(self) -> None:
        self._entries.clear()


_WARMUPS = _WarmupMemory()
#: Attributes a warm-up does not carry over: the arm's own configuration and streams, and the
#: immutable configuration objects each simulation sets up itself (equal for one past; ``cfg``,
#: ``levers`` and ``gtm`` are set to the arm's as the history begins).
_ARM_ATTRIBUTES = frozenset({"config", "streams", "shared", "past", "cfg", "levers", "gtm",
                             "segments"})


class _Simulation:
    """The month-by-month engine behind :func:`simulate_company` (private)."""

    def __init__(self, config: CompanyConfig, streams: dict, seed: int | None, *,
                 past: CompanyConfig | None = None, shared: bool = False) -> None:
        self.config = config
        self.shared = shared  # an arm of an experiment: its warm-up may be shared
        self.past = config if past is None else past
        self.cfg = config
        self.streams = streams
        self.seed = seed
        self.levers = config.levers
        self.start = pd.Timestamp(config.start)
        # The company was founded before the observed history: its first
        # ``warmup`` months are simulated with the same engine and then
        # discarded, so the history opens on a going concern (an installed
        # base of every tenure, open pipeline, a team sized by its plan).
        # Internal month ``m`` starts on day ``month_edges[m]``, counted from
        # ``start`` (negative during the warm-up).
        self.warmup = round(12 * config.founded_years_before_start)
        self.total_months = self.warmup + config.months
        edges = pd.date_range(self.start - pd.DateOffset(months=self.warmup),
                              periods=self.total_months + 1, freq="MS")
        self.month_edges = ((edges - self.start) / pd.Timedelta(days=1)).to_numpy(float)
        self.month_years = edges[:-1].year.to_numpy()
        self.end_day = self.month_edges[-1]
        self.segments = {s.name: s for s in config.segments}
        self.gtm = GTM_EFFECTS[config.gtm_motion]

    # ------------------------------------------------------------------ set-up
    def _market(self) -> None:
        g = _child(self.streams["market"], 0)
        n = max(30, round(_MARKET_ACCOUNTS * self.cfg.scale))
        counts = {s: max(5, round(n * _MARKET_SHARE[s])) for s in SEGMENTS}
        seg = np.repeat(np.arange(len(SEGMENTS)), [counts[s] for s in SEGMENTS])
        n = len(seg)
        names, domains = _names.company_names(n, g)
        u = g.random((n, 4))
        lo = np.array([_EMPLOYEES[s][0] for s in SEGMENTS])[seg]
        hi = np.array([_EMPLOYEES[s][1] for s in SEGMENTS])[seg]
        employees = np.round(np.exp(np.log(lo) + u[:, 0] * (np.log(hi) - np.log(lo)))).astype(int)
        self.acc_segment = seg
        self.acc_fit = ndtri(np.clip(u[:, 1], 1e-9, 1 - 1e-9))
        self.acc_frame = pd.DataFrame({
            "account_id": _ids("A", n, 6),
            "account_name": names,
            "domain": domains,
            "segment": np.array(SEGMENTS, dtype=object)[seg],
            "industry": np.array(_names.INDUSTRIES, dtype=object)[
                (u[:, 2] * len(_names.INDUSTRIES)).astype(int)],
            "employees": employees,
            "prefecture": np.array(_names.PREFECTURES, dtype=object)[
                (u[:, 3] * len(_names.PREFECTURES)).astype(int)],
        })
        self.pool = {k: np.flatnonzero(seg == k) for k in range(len(SEGMENTS))}

    # ------------------------------------------------------------------ people
    #: The teams of the roster, in the order that addresses their random streams: the
    #: field team of segment ``k`` is key ``k``, then inside sales and customer success.
    _TEAM_KEYS = (("field_sales", "SMB"), ("field_sales", "MM"), ("field_sales", "ENT"),
                  ("inside_sales", None), ("customer_success", None))
    _INSIDE, _CSM = 3, 4
    #: Headcount on day one when the history has no warm-up (scale 1).
    _BASE_HEADCOUNT = (5, 5, 3, 8, 8)

    def _reps(self) -> None:
        """Open the roster with the team the company had when it was founded.

        With a warm-up the founders' team is small (a quarter of the base
        headcount) and the quarterly plan grows it; without one the company
        opens with the base headcount already ramped. The first rep of each
        team (its lead) stays; everyone else may leave.
        """
        self.roster = {k: [] for k in ("key", "hire_day", "leave_day", "ramp", "optimism",
                                       "family", "given")}
        self.hires = [0] * len(self._TEAM_KEYS)
        self.quota = {}  # (segment index, calendar year) -> annual quota of a ramped rep
        day0 = self.month_edges[0]
        for key, base in enumerate(self._BASE_HEADCOUNT):
            team = self._TEAM_KEYS[key][0]
            count = max(1, round(base * self.cfg.scale * (0.25 if self.warmup else 1.0)))
            if team == "inside_sales" and self.cfg.inside_sales_reps is not None:
                count = self.cfg.inside_sales_reps
            ramp = self._ramp_months(key)
            self._hire(key, count, day0 - 30.4 * ramp - 30, lag=False)
        self._roster_arrays()

    def _ramp_months(self, key: int) -> int:
        team, segment = self._TEAM_KEYS[key]
        return _FIELD[segment]["ramp"] if team == "field_sales" else 2

    def _hire(self, key: int, count: int, day: float, *, lag: bool = True) -> None:
        """Hire ``count`` people into team ``key``; requisitions approved on ``day``.

        Each hire has its own stream (team, hire number), so hiring one more
        person never changes who the others are or when they leave.
        """
        for _ in range(count):
            number = self.hires[key]
            self.hires[key] += 1
            u = _child(self.streams["reps"], key, number).random(4)
            z = ndtri(np.clip(u, 1e-9, 1 - 1e-9))
            start = day + (_HIRING_LAG_DAYS * np.exp(0.4 * z[0]) if lag else 0.0)
            stays = -np.log1p(-u[1] * 0.999999) / _REP_ATTRITION * 365.25
            self.roster["key"].append(key)
            self.roster["hire_day"].append(float(np.floor(start)))
            self.roster["leave_day"].append(np.inf if number == 0 else float(np.floor(
                start + stays)))
            self.roster["ramp"].append(self._ramp_months(key))
            self.roster["optimism"].append(_REP_BIAS_MEAN + _REP_BIAS_SD * z[2])
            self.roster["family"].append(u[3])
            self.roster["given"].append((u[3] * 7.31) % 1)

    def _roster_arrays(self) -> None:
        """Plain arrays of the roster for the month loop (label lookups cost more)."""
        self.rep_key = np.array(self.roster["key"], dtype=int)
        self.rep_hire_day = np.array(self.roster["hire_day"], dtype=float)
        self.rep_leave_day = np.array(self.roster["leave_day"], dtype=float)
        self.rep_ramp_months = np.array(self.roster["ramp"], dtype=float)
        self.rep_optimism = np.array(self.roster["optimism"], dtype=float)

    def _ramped(self, key: int, t: float) -> float:
        """Ramped headcount of team ``key`` on day ``t`` (a rep in ramp counts in part)."""
        mine = (self.rep_key == key) & (self.rep_hire_day <= t) & (t < self.rep_leave_day)
        tenure = (t - self.rep_hire_day[mine]) / 30.4
        return float(np.clip(tenure / self.rep_ramp_months[mine], 0, 1).sum())

    def _plan(self, month: int, state: dict) -> None:
        """The quarterly hiring plan, and January's quota reset.

        Field sales hires enough reps to carry the open pipeline that the
        segment's bookings growth brings at ``_PLAN_UTILISATION`` of capacity;
        inside sales one rep per ``_AES_PER_SDR`` field reps (its budget does
        not follow marketing's lead count, so past capacity leads go cold); customer
        success one CSM per ``_ARR_PER_CSM`` of ARR. Hires start after a lag
        and then ramp; leavers are replaced only at the next review.
        """
        t = self.month_edges[month]
        year = int(self.month_years[month])
        for k in range(len(SEGMENTS)):
            if (k, year) not in self.quota:
                self._reset_quota(k, year, month, state)
        if month % 3 and month not in (0, self.warmup):
            return  # reviewed every quarter, on the founding day and on the history's first
        needed = []
        for k, s in enumerate(SEGMENTS):
            open_now = state["open_count"][k]
            made = state["opps_made"][k]
            recent, before = made[max(0, month - 6):month].sum(), made[max(0, month - 12):
                                                                       max(0, month - 6)].sum()
            growth = np.clip(recent / before - 1, 0, 0.5) if before > 0 else 0.0
            needed.append(np.ceil(open_now * (1 + growth)
                                  / (_FIELD[s]["capacity"] * _PLAN_UTILISATION)))
        if self.cfg.inside_sales_reps is not None:
            needed.append(self.cfg.inside_sales_reps)
        else:  # inside sales is budgeted against the field team it feeds
            needed.append(np.ceil(sum(needed) / _AES_PER_SDR))
        needed.append(np.ceil(state["mrr"].sum() * 12 / _ARR_PER_CSM))
        for key, want in enumerate(needed):
            mine = np.flatnonzero((self.rep_key == key) & (self.rep_leave_day > t))
            if want > len(mine):
                self._hire(key, int(want - len(mine)), t)
            elif (key == self._INSIDE and self.cfg.inside_sales_reps is not None
                  and want < len(mine)):
                # A fixed inside-sales headcount below the team: the latest hires are let go
                # (the team lead stays), so a smaller team starts when the decision is made.
                latest = mine[np.argsort(-np.asarray(self.roster["hire_day"])[mine],
                                         kind="stable")]
                for index in [i for i in latest if self.roster["leave_day"][i] != np.inf][
                        :len(mine) - int(want)]:
                    # One not started yet is simply not hired (left the day it would start).
                    self.roster["leave_day"][index] = max(float(np.floor(t)),
                                                          self.roster["hire_day"][index])
        self._roster_arrays()

    def _reset_quota(self, k: int, year: int, month: int, state: dict) -> None:
        """January's quota of segment ``k``: 90% of last year's bookings per ramped rep.

        The first year uses the base quota; later resets move at most 20% down
        or 50% up from the year before, as plans do.
        """
        base = _FIELD[SEGMENTS[k]]["quota"]
        before = self.quota.get((k, year - 1))
        last = np.flatnonzero(self.month_years[:month] == year - 1)
        if before is None or len(last) < 12:
            self.quota[(k, year)] = before if before is not None else base
            return
        rep_years = sum(self._ramped(k, self.month_edges[m])
                        for m in last) / 12
        booked = state["bookings"][k, last].sum()
        if rep_years <= 0.5:
            self.quota[(k, year)] = before
            return
        target = _QUOTA_FROM_PRODUCTIVITY * booked / rep_years
        self.quota[(k, year)] = float(np.round(np.clip(target, 0.8 * before, 1.5 * before), -5))

    def _reps_frame(self) -> pd.DataFrame:
        """The roster as a table, with ids, names, quotas and costs."""
        keys = self.rep_key
        team = np.array([self._TEAM_KEYS[k][0] for k in keys], dtype=object)
        segment = np.array([self._TEAM_KEYS[k][1] for k in keys], dtype=object)
        reps = pd.DataFrame({"team": team, "segment": segment, "hire_day": self.rep_hire_day,
                             "leave_day": self.rep_leave_day, "optimism": self.rep_optimism,
                             "ramp_months": self.rep_ramp_months.astype(int)})
        names, _ = _names.person_names(np.array(self.roster["family"]),
                                       np.array(self.roster["given"]))
        reps["rep_id"] = _ids("R", len(reps), 4)
        reps["rep_name"] = names
        field = reps["team"].eq("field_sales")
        last_year = int(self.month_years[-1])
        reps["quota_annual"] = np.where(field, [
            self.quota.get((SEGMENTS.index(s), last_year), np.nan) if s else np.nan
            for s in segment], np.nan)
        reps["monthly_cost"] = reps["team"].map(_TEAM_COST).astype(float)
        reps["hired_on"] = self._to_time(reps["hire_day"].to_numpy()).dt.normalize()
        reps["left_on"] = self._to_time(np.where(
            reps["leave_day"].to_numpy() < self.end_day, reps["leave_day"].to_numpy(),
            np.nan)).dt.normalize()
        return reps

    # ------------------------------------------------------------------ leads
    def _channel_volume(self, channel, month: int, promoters: float) -> float:
        growth = (1 + self.cfg.monthly_inquiry_growth) ** (month - self.warmup)
        if channel.name == "product":
            base = PLG_MONTHLY_SIGNUPS * self.gtm["product"]
        else:
            base = channel.monthly_inquiries * self.gtm[channel.name]
        volume = base * growth * self.cfg.scale
        if channel.name == "referral" and self.cfg.flywheel:
            volume += _REFERRALS_PER_PROMOTER * promoters
        return volume

    def _draw_leads(self, month: int, promoters: float) -> dict[str, np.ndarray]:
        channels = self.cfg.channels
        means = np.array([self._channel_volume(ch, month, promoters) for ch in channels])
        streams = [_child(self.streams["leads"], c, month) for c in range(len(channels))]
        u_count = np.array([g.random() for g in streams])
        counts = np.where(means > 0, _poisson_ppf(u_count, np.maximum(means, 1e-12)), 0)
        parts, chan = [], []
        for c, (g, k) in enumerate(zip(streams, counts.astype(int), strict=True)):
            parts.append(g.random((k, len(_U_COLUMNS))))
            chan.append(np.full(k, c))
        u = np.concatenate(parts) if parts else np.empty((0, len(_U_COLUMNS)))
        c = np.concatenate(chan).astype(int)
        return {"u": u, "channel": c}

    def _delay(self, z: np.ndarray, step: str, sigma: float = 0.8) -> np.ndarray:
        """Lognormal delay of ``step`` in days from standard-normal scores ``z``."""
        median = _DELAY[step] / self.cfg.speed_multiplier(_SPEED_STEP[step])
        return median * np.exp(sigma * z)

    def _p(self, base: np.ndarray, step: str) -> np.ndarray:
        return np.minimum(0.98, base * self.cfg.conversion_multiplier(step))

    def _funnel(self, month: int, batch: dict) -> dict[str, np.ndarray]:
        """Push one month's inquiries through the demand waterfall (vectorised)."""
        u, c = batch["u"], batch["channel"]
        n = len(c)
        col = lambda name: u[:, _U[name]]  # noqa: E731
        # Normal scores of every column used as one, in one call (cheaper than one per step).
        normal = ndtri(np.clip(u[:, [_U[name] for name in _FUNNEL_NORMALS]], 1e-9, 1 - 1e-9))
        z = lambda name: normal[:, _FUNNEL_NORMALS.index(name)]  # noqa: E731
        channels = self.cfg.channels
        motion = np.array([ch.motion for ch in channels], dtype=object)[c]
        shift = np.array([ch.quality_shift for ch in channels])[c]
        inbound, outbound, sales = motion == "inbound", motion == "outbound", motion == "sales"

        shares = self.cfg.segment_shares()
        cum = np.cumsum([shares[s] for s in SEGMENTS])
        seg = np.minimum(np.searchsorted(cum / cum[-1], col("segment"), side="right"), 2)
        acc = np.empty(n, dtype=int)
        for k, pool in self.pool.items():
            mask = seg == k
            acc[mask] = pool[(col("account")[mask] * len(pool)).astype(int)]
        q = shift + 0.6 * self.acc_fit[acc] + 0.8 * z("quality")

        start, stop = self.month_edges[month], self.month_edges[month + 1]
        t_inq = start + col("time") * (stop - start)
        score = expit(0.9 * q + 0.6 * z("score_noise"))
        nan = np.full(n, np.nan)

        aql = inbound & (col("c_aql") < self._p(
            expit((score - self.levers.mql_threshold) * 12), "inquiry_to_aql"))
        t_aql = np.where(aql, t_inq + self._delay(z("d_aql"), "aql"), nan)
        aql_worked = aql & self._worked_by_inside_sales(month, aql, score, t_aql)
        tal = aql_worked & (col("c_tal") < self._p(expit(1.0 + 0.9 * q), "aql_to_tal"))
        t_tal = np.where(tal, t_aql + self._delay(z("d_tal"), "tal"), nan)
        tql = tal & (col("c_tql") < self._p(expit(-0.1 + 1.1 * q), "tal_to_tql"))
        t_tql = np.where(tql, t_tal + self._delay(z("d_tql"), "tql"), nan)
        tgl = outbound & (col("c_tgl") < self._p(expit(-0.9 + 1.0 * q), "inquiry_to_tgl"))
        t_tgl = np.where(tgl, t_inq + self._delay(z("d_tgl"), "tgl"), nan)

        # The handoff: delay from the qualified lead to sales' first touch, an
        # SLA caps it, and acceptance decays with it (speed to lead).
        handoff = (self.levers.handoff_delay_days / self.cfg.speed_multiplier("tql_to_sal")
                   * np.exp(0.9 * z("d_handoff")))
        if self.cfg.handoff_sla_days is not None:
            handoff = np.minimum(handoff, self.cfg.handoff_sla_days)
        decay = np.exp(-handoff / _HANDOFF_DECAY_DAYS)
        p_sal = np.where(tql, self._p(expit(0.9 + 0.9 * q) * decay, "tql_to_sal"),
                         self._p(expit(0.9 + 0.9 * q) * decay, "tgl_to_sal"))
        sal = (tql | tgl) & (col("c_sal") < p_sal)
        t_handed = np.where(tql, t_tql, t_tgl)
        t_sal = np.where(sal, t_handed + handoff, nan)
        sgl = sales & (col("c_sgl") < self._p(expit(0.3 + 1.0 * q), "inquiry_to_sgl"))
        t_sgl = np.where(sgl, t_inq + self._delay(z("d_sgl"), "sgl"), nan)
        p_sql = np.where(sal, self._p(expit(-0.3 + 1.0 * q), "sal_to_sql"),
                         self._p(expit(1.2 + 1.0 * q), "sgl_to_sql"))
        sql = (sal | sgl) & (col("c_sql") < p_sql)
        t_sql = np.where(sql & sal, t_sal + self._delay(z("d_sql"), "sql_from_sal"),
                         np.where(sql, t_sgl + self._delay(z("d_sql"), "sql_from_sgl"), nan))
        opp = sql & (col("c_opp") < self._p(expit(0.4 + 0.8 * q), "sql_to_opportunity"))
        t_opp = np.where(opp, t_sql + self._delay(z("d_opp"), "opp"), nan)
        return dict(u=u, channel=c, segment=seg, account=acc, quality=q, score=score,
                    inquiry=t_inq, aql=t_aql, tal=t_tal, tql=t_tql, tgl=t_tgl, sal=t_sal,
                    sgl=t_sgl, sql=t_sql, opportunity=t_opp, handoff_days=np.where(
                        sal, handoff, nan), month=np.full(n, month))

    def _worked_by_inside_sales(self, month: int, aql: np.ndarray, score: np.ndarray,
                                t_aql: np.ndarray) -> np.ndarray:
        """Which of the month's AQLs inside sales gets to; the rest go cold.

        Past the team's capacity the routing decides: first come, first served
        (nothing joined to rank by) or the best lead score first (joined data).
        """
        candidates = np.flatnonzero(aql)
        # The ramped team on the month's first day (hires are dated, so this reads the
        # same whether the roster has grown since or not).
        capacity = round(self._ramped(self._INSIDE, self.month_edges[month])
                         * _AQLS_PER_INSIDE_REP)
        if len(candidates) <= capacity:
            return np.ones(len(aql), dtype=bool)
        if self.levers.lead_routing == "scored":
            order = np.argsort(-score[candidates], kind="stable")
        else:
            order = np.argsort(t_aql[candidates], kind="stable")
        worked = np.zeros(len(aql), dtype=bool)
        worked[candidates[order[:capacity]]] = True
        return worked

    # ------------------------------------------------------------ opportunities
    def _open_opportunities(self, leads: dict, month: int, state: dict) -> dict:
        """Turn the month's opportunity-stage leads into deals (vectorised)."""
        t_opp = leads["opportunity"]
        cand = np.flatnonzero(~np.isnan(t_opp))
        acc = leads["account"][cand]
        busy = (state["busy_until"][acc] > t_opp[cand]) | state["active"][acc]
        # One deal per account at a time: the earliest lead in the month wins.
        order = np.lexsort((t_opp[cand], acc))
        first = np.zeros(len(cand), dtype=bool)
        first[order] = np.r_[True, acc[order][1:] != acc[order][:-1]]
        keep = cand[first & ~busy]
        routed = cand[~(first & ~busy)]
        leads["opportunity"][routed] = np.nan
        leads["routed_to_account"] = np.zeros(len(t_opp), dtype=bool)
        leads["routed_to_account"][routed] = True
        if len(keep) == 0:
            return {}
        u = leads["u"][keep]
        col = lambda name: u[:, _U[name]]  # noqa: E731
        seg = leads["segment"][keep]
        q = leads["quality"][keep]
        created = np.round(t_opp[keep] * 1440) / 1440  # the CRM stores minutes
        segs = [self.segments[s] for s in SEGMENTS]
        acv_median = np.array([s.acv_median for s in segs])[seg] * self.gtm["acv"]
        acv_sigma = np.array([s.acv_sigma for s in segs])[seg]
        list_acv = np.round(acv_median * np.exp(acv_sigma * ndtri(
            np.clip(col("amount"), 1e-9, 1 - 1e-9))), -4).clip(120_000)
        # Discount: the standard 3% plus an exponential pressure-driven part.
        discount = np.round(np.minimum(
            0.5, _STANDARD_DISCOUNT
            - self.levers.discount_pressure * np.log1p(-col("discount") * 0.999)), 3)
        amount = np.round(list_acv * (1 - discount), -3)
        cycle_median = np.array([s.cycle_median_days for s in segs])[seg] * self.gtm["cycle"]
        cycle = _lognormal(col("cycle"), cycle_median
                           / self.cfg.speed_multiplier("opportunity_to_won"), 0.5)
        # A discount is offered to close now: it pulls the decision forward.
        cycle = cycle * np.exp(-_DISCOUNT_PULL_FORWARD * (discount - _STANDARD_DISCOUNT))

        # Owner: a field rep of the segment on the team that day; ramping reps win less.
        owner = np.empty(len(keep), dtype=int)
        ramp_factor = np.ones(len(keep))
        for k in range(len(SEGMENTS)):
            mask = seg == k
            if not mask.any():
                continue
            team = np.flatnonzero(self.rep_key == k)
            t = created[mask]
            on = (self.rep_hire_day[team][None, :] <= t[:, None]) & (
                t[:, None] < self.rep_leave_day[team][None, :])
            on[:, 0] |= ~on.any(axis=1)  # the team lead covers a team with nobody on it
            count = on.sum(axis=1)
            nth = (col("owner")[mask] * count).astype(int)
            pick = team[np.argmax(np.cumsum(on, axis=1) > nth[:, None], axis=1)]
            owner[mask] = pick
            tenure = (t - self.rep_hire_day[pick]) / 30.4
            ramp = self.rep_ramp_months[pick]
            ramp_factor[mask] = np.clip(0.5 + 0.5 * tenure / ramp, 0.5, 1.0)
        # Capacity: reps overloaded with open deals give each one less attention.
        efficiency = state["efficiency"][seg]
        base = np.array([s.win_rate_base for s in segs])[seg]
        logit_win = (logit(base) + 1.1 * (q - _WIN_QUALITY_REF)
                     + 3.0 * discount * (1 - expit(q))  # price-sensitive, poor-fit buyers
                     + np.log(ramp_factor) + np.log(efficiency))
        p_win = self._p(expit(logit_win), "opportunity_to_won")
        won = col("c_win") < p_win
        cycle = np.where(won, cycle, cycle * 1.15)
        close = np.round((created + cycle) * 1440) / 1440
        closed = close < self.end_day
        # The rep's expected close date: the segment's typical cycle, guessed without
        # knowing this deal's (the realised cycle is drawn independently), earlier for
        # an optimistic rep; past it, the rep pushes it (see _snapshots).
        expected = created + _lognormal(col("optimism"), cycle_median, _CLOSE_DATE_SIGMA) \
            * np.exp(-_CLOSE_DATE_OPTIMISM * self.rep_optimism[owner])
        fractions = np.sort(u[:, [_U["stage_a"], _U["stage_b"], _U["stage_c"]]], axis=1)
        stage_times = np.round((created[:, None] + (0.1 + 0.8 * fractions) * cycle[:, None])
                               * 1440) / 1440
        lost_at = np.where(won, 3, np.floor(col("lost_stage") * 4)).astype(int)
        activities = _poisson_ppf(col("activities"), 2 + 1.5 * cycle / 7).astype(int)
        # A lost deal frees the account at close; an open or won one keeps it busy
        # (a customer is served by its account team) until it churns.
        state["busy_until"][leads["account"][keep]] = np.where(closed & ~won, close, np.inf)
        return dict(lead=keep, account=leads["account"][keep], segment=seg, quality=q,
                    created=created, close=close, closed=closed, won=won, list_acv=list_acv,
                    discount=discount, amount=amount, expected=expected, owner=owner,
                    stage_times=stage_times, lost_at=lost_at, activities=activities,
                    onboarding=col("onboarding"), p_win=p_win, month=np.full(len(keep), month),
                    winback=state["ever"][leads["account"][keep]])

    # -------------------------------------------------------------- customers
    def _customer_month(self, month: int, wins: dict, state: dict, log: dict) -> None:
        """Activate the month's wins, then evolve every active account by one month."""
        n = len(self.acc_segment)
        g = _child(self.streams["customers"], month)
        u = g.random((n, 8))
        mrr = state["mrr"]
        lv = self.levers
        if wins:
            acc = wins["account"]
            mrr[acc, :] = 0.0
            mrr[acc, 0] = np.round(wins["amount"] / 12, -2)
            state["active"][acc] = True
            state["tenure"][acc] = 0
            state["discount"][acc] = wins["discount"]
            state["fit"][acc] = wins["quality"]
            state["context_hit"][acc] = lv.context_loss * (0.5 + wins["onboarding"])
            state["health"][acc] = 0.8 * wins["quality"] - 1.0 * wins["discount"]
            for i, a in enumerate(acc):
                state["sub_of"][a, 0] = len(log["subs"])
                log["subs"].append((a, 0, month, int(wins["opp_index"][i])))
        active = state["active"].copy()
        idx = np.flatnonzero(active)
        # Normal scores of the columns used below, for active accounts only.
        z = np.full((n, 8), np.nan)
        z[np.ix_(idx, _Z_COLUMNS)] = ndtri(np.clip(u[np.ix_(idx, _Z_COLUMNS)], 1e-9, 1 - 1e-9))
        tenure = state["tenure"][idx]
        early = tenure < 6
        ctx = state["context_hit"][idx]
        base = 0.8 * state["fit"][idx] - 1.5 * state["discount"][idx] - 1.2 * ctx * early
        h = 0.8 * state["health"][idx] + 0.2 * base + 0.25 * z[idx, 0]
        state["health"][idx] = h
        seg = self.acc_segment[idx]
        churn_base = np.array([self.segments[s].monthly_churn for s in SEGMENTS])[seg]
        # Health moves the hazard around the segment's rate: a customer of the
        # reference health churns at ``monthly_churn`` / ``_CHURN_NORM`` (the norm
        # makes the default company's realised rate equal the configured one).
        norm = np.array([_CHURN_NORM[s] for s in SEGMENTS])[seg]
        hazard = (churn_base / norm * np.exp(-0.9 * (h - _HEALTH_REF))
                  * (1 + 2.5 * ctx * early))
        anniversary = (tenure > 0) & (tenure % 12 == 0)
        hazard = hazard + anniversary * 0.8 * np.maximum(0, state["discount"][idx] - 0.1)
        is_new = tenure == 0  # nobody churns in the month they sign
        churn = ~is_new & (u[idx, 1] < hazard)
        # Expansion: each segment's yearly expansion (NRR − GRR of an opening
        # cohort) split into up-sell and cross-sell chances, moved by health.
        grow = np.array([self.segments[s].annual_expansion / _EXPANSION_NORM[s]
                         for s in SEGMENTS])[seg]
        p_up = grow * _UPSELL_PER_EXPANSION * np.exp(0.6 * (h - _HEALTH_REF))
        p_cross = grow * _CROSS_PER_EXPANSION * np.exp(0.6 * (h - _HEALTH_REF))
        p_down = 0.006 * np.exp(-0.6 * (h - _HEALTH_REF))
        r = u[idx, 2]
        movable = ~is_new & ~churn
        upsell = movable & (r < p_up)
        cross = movable & ~upsell & (r < p_up + p_cross)
        down = movable & ~upsell & ~cross & (r < p_up + p_cross + p_down)
        core = mrr[idx, 0]
        mrr[idx[upsell], 0] = np.round(core[upsell] * (1.1 + 0.2 * u[idx[upsell], 3]), -2)
        mrr[idx[down], 0] = np.round(core[down] * (0.9 - 0.15 * u[idx[down], 3]), -2)
        has = mrr[idx] > 0
        free_product = np.where(~has[:, 1], 1, np.where(~has[:, 2], 2, -1))
        cross &= free_product > 0
        for a, p in zip(idx[cross], free_product[cross], strict=True):
            mrr[a, p] = np.round(mrr[a, 0] * (0.2 + 0.2 * u[a, 4]), -2)
            state["sub_of"][a, p] = len(log["subs"])
            log["subs"].append((a, p, month, -1))
        # Churn ends every subscription of the account.
        gone = idx[churn]
        for a in gone:
            for p in np.flatnonzero(mrr[a] > 0):
                log["sub_end"][state["sub_of"][a, p]] = month
        mrr[gone, :] = 0.0
        state["active"][gone] = False
        state["busy_until"][gone] = self.month_edges[month + 1]
        state["ever"][idx] = True
        state["tenure"][idx] += 1
        log["detail"].append((month, idx[upsell], idx[cross], idx[down]))

        # What the month leaves behind: MRR per product, usage, tickets, NPS.
        log["mrr"].append((month, idx.copy(), mrr[idx].copy()))
        alive = ~churn
        a_idx = idx[alive]
        h_a = h[alive]
        seats = np.maximum(1, np.round(mrr[a_idx].sum(axis=1) / _SEAT_PRICE)).astype(int)
        active_users = np.round(seats * expit(0.8 + h_a + 0.3 * z[a_idx, 5])).astype(int)
        logins = np.round(active_users * (6 + 6 * u[a_idx, 6])).astype(int)
        adoption = np.round(expit(0.2 + 0.8 * h_a + 0.3 * z[a_idx, 7]), 3)
        if month < self.warmup:  # the warm-up leaves only its state behind
            self._survey(month, a_idx, h_a, early[alive], ctx[alive], z, u, state, log=False)
            return
        log["usage"].append((month, a_idx, seats, active_users, logins, adoption))
        early_a = early[alive]
        ctx_a = ctx[alive]
        lam = 0.25 + 0.6 * (tenure[alive] < 3) + 0.25 * np.maximum(0, -h_a)
        n_tickets = _poisson_ppf(u[a_idx, 5], lam).astype(int)
        log["tickets"].append((month, a_idx, n_tickets, h_a, ctx_a * early_a))
        self._survey(month, a_idx, h_a, early_a, ctx_a, z, u, state, log=log)

    def _survey(self, month, a_idx, h_a, early_a, ctx_a, z, u, state, *, log) -> None:
        """The quarterly NPS survey; recent promoters feed the referral flywheel."""
        if month % 3 == 2:
            respond = u[a_idx, 6] < 0.35
            score = np.clip(np.round(_NPS_MEAN + 1.8 * (h_a - _HEALTH_REF)
                                     - 2.5 * ctx_a * early_a + _NPS_SD * z[a_idx, 3]),
                            0, 10).astype(int)
            if log:
                log["nps"].append((month, a_idx[respond], score[respond]))
            state["promoter_month"][a_idx[respond & (score >= 9)]] = month
            state["promoter_month"][a_idx[respond & (score < 9)]] = -99
        recent = (state["promoter_month"] > month - 12) & state["active"]
        state["promoters"] = float(recent.sum())

    # ----------------------------------------------------------------- engine
    def _run_as(self, config: CompanyConfig) -> None:
        """Run the coming months under ``config``'s levers (the warm-up's or the history's)."""
        self.cfg = config
        self.levers = config.levers
        self.gtm = GTM_EFFECTS[config.gtm_motion]

    def run(self) -> Company:
        n_seg, months = len(SEGMENTS), self.total_months
        key = self._warmup_key()
        resumed = _WARMUPS.get(key)
        if resumed is not None:
            # The warm-up depends only on the past's levers, the structure and the seed, so an
            # arm of an experiment takes over where an earlier arm's warm-up ended.
            attributes, loop = copy.deepcopy(resumed)
            self.__dict__.update(attributes)
            state, log, lead_batches, opp_batches, pending_close, opp_count = loop
            first = self.warmup
        else:
            state, log, lead_batches, opp_batches, pending_close, opp_count = self._start()
            first = 0
        for month in range(first, months):
            if month == self.warmup:
                if key is not None and resumed is None:
                    attributes = {name: value for name, value in self.__dict__.items()
                                  if name not in _ARM_ATTRIBUTES}
                    _WARMUPS.put(key, copy.deepcopy(
                        (attributes, (state, log, lead_batches, opp_batches, pending_close,
                                      opp_count))))
                self._run_as(self.config)
            self._update_capacity(month, opp_batches, state)
            self._plan(month, state)
            leads = self._funnel(month, self._draw_leads(month, state["promoters"]))
            opps = self._open_opportunities(leads, month, state)
            lead_batches.append(leads)
            if opps:
                opps["opp_index"] = opp_count + np.arange(len(opps["lead"]))
                opp_count += len(opps["lead"])
                opp_batches.append(opps)
                state["opps_made"][:, month] = np.bincount(opps["segment"], minlength=n_seg)
                close_month = np.searchsorted(self.month_edges, opps["close"], side="right") - 1
                for i in np.flatnonzero(opps["won"] & opps["closed"]):
                    pending_close[int(close_month[i])].append((len(opp_batches) - 1, i))
            wins = self._wins_closing(pending_close[month], opp_batches)
            if wins:
                state["bookings"][:, month] = np.bincount(
                    wins["segment"], weights=wins["amount"], minlength=n_seg)
            self._customer_month(month, wins, state, log)
        self.bookings = state["bookings"]
        return self._assemble(lead_batches, opp_batches, log)

    def _warmup_key(self) -> str | None:
        """What the warm-up is a function of (past, structure, seed); None: not shared."""
        if not (self.shared and self.warmup) or self.seed is None or _cache.switched_off():
            return None
        return cache_key(self.past, self.seed)

    def _start(self) -> tuple:
        """Set up the market and the team; the loop's state before the first month."""
        self._run_as(self.past if self.warmup else self.config)
        self._market()
        self._reps()
        n_acc = len(self.acc_segment)
        n_seg, months = len(SEGMENTS), self.total_months
        state = {
            "busy_until": np.full(n_acc, -np.inf), "active": np.zeros(n_acc, bool),
            "ever": np.zeros(n_acc, bool), "tenure": np.zeros(n_acc, int),
            "discount": np.zeros(n_acc), "fit": np.zeros(n_acc), "health": np.zeros(n_acc),
            "context_hit": np.zeros(n_acc), "mrr": np.zeros((n_acc, len(PRODUCTS))),
            "sub_of": np.full((n_acc, len(PRODUCTS)), -1), "promoter_month": np.full(n_acc, -99),
            "promoters": 0.0, "efficiency": np.ones(n_seg), "open_count": np.zeros(n_seg),
            "opps_made": np.zeros((n_seg, months)), "bookings": np.zeros((n_seg, months)),
        }
        log = {"subs": [], "sub_end": {}, "mrr": [], "usage": [], "tickets": [], "nps": [],
               "detail": []}
        return state, log, [], [], {m: [] for m in range(months)}, 0

    def _update_capacity(self, month: int, opp_batches: list, state: dict) -> None:
        """Open deals per segment, and how much attention each gets from the ramped team."""
        t = self.month_edges[month]
        for k, s in enumerate(SEGMENTS):
            open_count = sum(int(((b["segment"] == k) & (b["created"] <= t) & (b["close"] > t))
                                 .sum()) for b in opp_batches[-14:])
            capacity = max(self._ramped(k, t), 0.5) * _FIELD[s]["capacity"]
            state["open_count"][k] = open_count
            state["efficiency"][k] = min(1.0, capacity / max(open_count, 1))

    @staticmethod
    def _wins_closing(items: list, opp_batches: list) -> dict:
        if not items:
            return {}
        keys = ("account", "amount", "discount", "quality", "onboarding", "opp_index", "segment")
        return {k: np.array([opp_batches[b][k][i] for b, i in items]) for k in keys}

    # --------------------------------------------------------------- assembly
    def _to_time(self, days: np.ndarray) -> pd.Series:
        minutes = np.round(np.asarray(days, float) * 1440)
        values = self.start + pd.to_timedelta(minutes, unit="min")
        return pd.Series(values).astype("datetime64[ns]")

    def _month_start(self, month: np.ndarray) -> pd.Series:
        """First day of internal month ``month`` (warm-up months come first)."""
        edges = pd.date_range(self.start - pd.DateOffset(months=self.warmup),
                              periods=self.total_months, freq="MS")
        return pd.Series(edges[np.asarray(month, int)]).astype("datetime64[ns]")

    def _assemble(self, lead_batches: list, opp_batches: list, log: dict) -> Company:
        cfg = self.cfg
        as_of = self.start + pd.Timedelta(days=self.end_day)
        L, lead_ids, leads = self._leads_frame(lead_batches)
        acc_ids = self.acc_frame["account_id"].to_numpy()

        opp = {k: np.concatenate([b[k] for b in opp_batches]) for k in opp_batches[0]}
        n_opp = len(opp["lead"])
        self.reps_internal = self._reps_frame()
        rep_ids = self.reps_internal["rep_id"].to_numpy()
        created = opp["created"]
        # The CRM holds the leads of the observed history and their deals; the
        # warm-up's deals live on only as customers.
        lead_row = opp["lead"] + self._lead_offsets(lead_batches, opp_batches)
        opp_known = (created < self.end_day) & (L["inquiry"][lead_row] >= 0)
        opp_ids = np.full(n_opp, None, dtype=object)
        opp_ids[opp_known] = _ids("O", int(opp_known.sum()), 6)
        closed = opp["closed"]
        stage_t = np.where(opp["stage_times"] < np.minimum(opp["close"], self.end_day)[:, None],
                           opp["stage_times"], np.nan)
        reached = np.arange(3)[None, :] < opp["lost_at"][:, None]
        stage_t = np.where(reached, stage_t, np.nan)
        current = np.sum(~np.isnan(stage_t), axis=1)  # 0 = discovery … 3 = negotiation
        status = np.where(~closed, "open", np.where(opp["won"], "won", "lost"))
        optimism = self.rep_optimism[opp["owner"]]
        rep_prob_now = np.clip(self._stage_win_rates(opp)[current] + optimism, 0.05, 0.95)
        category = np.where(rep_prob_now >= 0.7, "Commit",
                            np.where(rep_prob_now >= 0.4, "Best Case", "Pipeline"))
        opportunities = pd.DataFrame({
            "opportunity_id": opp_ids,
            "lead_id": lead_ids[lead_row],
            "account_id": acc_ids[opp["account"]],
            "owner_rep_id": rep_ids[opp["owner"]],
            "segment": np.array(SEGMENTS, dtype=object)[opp["segment"]],
            "opportunity_type": np.where(opp["winback"], "win_back", "new_business"),
            "created_at": self._to_time(created),
            "expected_close_date": self._to_time(opp["expected"]).dt.normalize(),
            "closed_at": self._to_time(np.where(closed, opp["close"], np.nan)),
            "stage": np.where(closed, np.where(opp["won"], "closed_won", "closed_lost"),
                              np.array(OPPORTUNITY_STAGES, dtype=object)[current]),
            "is_closed": closed,
            "is_won": closed & opp["won"],
            "status": status,
            "list_amount": opp["list_acv"],
            "discount": opp["discount"],
            "amount": opp["amount"],
            "rep_probability": np.where(closed, np.where(opp["won"], 1.0, 0.0),
                                        np.round(rep_prob_now, 2)),
            "forecast_category": np.where(closed, np.where(opp["won"], "Closed", "Omitted"),
                                          category),
            # Activities logged so far: an open deal has only lived part of its cycle.
            "activities": np.where(closed, opp["activities"], np.floor(
                opp["activities"] * np.clip((self.end_day - created) / (opp["close"] - created),
                                            0, 1))).astype(int),
        })[opp_known].reset_index(drop=True)
        keep_opp = np.flatnonzero(opp_known)

        stages = self._stage_history(opp, stage_t, opp_ids, keep_opp)
        snapshots = self._snapshots(opp, stage_t, opp_ids, rep_ids, keep_opp)
        subs, mrr, movements, invoices = self._revenue(log, opp_ids, acc_ids)
        usage, tickets, nps = self._customer_tables(log, acc_ids)
        spend, costs = self._money(leads, mrr, self.bookings.sum(axis=0), log["mrr"])
        # An account exists in the CRM from its first inquiry known on the extraction date.
        first_inquiry = np.full(len(acc_ids), np.inf)
        known = L["inquiry"] < self.end_day
        np.minimum.at(first_inquiry, L["account"][known], L["inquiry"][known])
        seen = np.isfinite(first_inquiry)
        accounts = self.acc_frame[seen].reset_index(drop=True)
        accounts["first_seen_at"] = self._to_time(first_inquiry[seen])
        # The team of the observed history: everyone on it for at least a day.
        on_team = ((self.reps_internal["hire_day"] < self.end_day)
                   & (self.reps_internal["leave_day"] > 0)
                   & (self.reps_internal["leave_day"] > self.reps_internal["hire_day"]))
        reps = self.reps_internal.loc[on_team, ["rep_id", "rep_name", "team", "segment",
                                                "hired_on", "left_on", "ramp_months",
                                                "quota_annual", "monthly_cost"]]
        reps = reps.reset_index(drop=True)
        quotas = self._quotas_frame(reps)
        tables = dict(
            accounts=accounts, leads=leads, opportunities=opportunities,
            opportunity_stages=stages, pipeline_snapshots=snapshots, subscriptions=subs, mrr=mrr,
            mrr_movements=movements, invoices=invoices, usage=usage, tickets=tickets,
            nps_responses=nps, reps=reps, quotas=quotas, marketing_spend=spend, costs=costs,
        )
        return Company(config=cfg, seed=self.seed, as_of=as_of,
                       **{name: _text_as_str(df) for name, df in tables.items()})

    def _quotas_frame(self, reps: pd.DataFrame) -> pd.DataFrame:
        """Each field rep's annual quota for every calendar year of the history
        they were on the team (the quota of a ramped rep; ramp and months
        employed are applied when attainment is measured)."""
        years = sorted({y for (_, y) in self.quota if y >= self.start.year})
        field = reps[reps["team"].eq("field_sales")]
        rows = []
        for rep_id, segment, hired, left in zip(field["rep_id"], field["segment"],
                                                field["hired_on"], field["left_on"], strict=True):
            k = SEGMENTS.index(segment)
            for year in years:
                if hired.year <= year and (pd.isna(left) or left.year >= year):
                    rows.append((rep_id, year, self.quota[(k, year)]))
        return pd.DataFrame(rows, columns=["rep_id", "year", "quota_annual"]).astype(
            {"year": "int64", "quota_annual": "float64"})

    def _leads_frame(self, lead_batches: list) -> tuple[dict, np.ndarray, pd.DataFrame]:
        """The leads table of the observed history (inquiries from ``start`` to the
        extraction date), and every lead's id (``None`` for the warm-up's)."""
        cfg = self.cfg
        L = {k: np.concatenate([b[k] for b in lead_batches]) for k in lead_batches[0]
             if k != "u"}
        kept = np.flatnonzero((L["inquiry"] >= 0) & (L["inquiry"] < self.end_day))
        lead_u = np.concatenate([b["u"] for b in lead_batches])[kept]
        n_leads = len(kept)
        lead_ids = np.full(len(L["channel"]), None, dtype=object)
        lead_ids[kept] = _ids("L", n_leads, 7)
        acc_ids = self.acc_frame["account_id"].to_numpy()
        domains = self.acc_frame["domain"].to_numpy()
        names, local = _names.person_names(lead_u[:, _U["family"]], lead_u[:, _U["given"]])
        account = L["account"][kept]
        email = local + np.char.mod("%d", np.arange(n_leads) % 97).astype(object) + "@" + \
            domains[account]
        leads = pd.DataFrame({
            "lead_id": lead_ids[kept],
            "account_id": acc_ids[account],
            "contact_name": names,
            "email": email,
            "channel": np.array(CHANNELS, dtype=object)[L["channel"][kept]],
            "motion": np.array([c.motion for c in cfg.channels], dtype=object)[
                L["channel"][kept]],
            "segment": np.array(SEGMENTS, dtype=object)[L["segment"][kept]],
            "lead_score": np.round(L["score"][kept] * 100).astype(int),
        })
        stage_cols = STAGES
        for stage in stage_cols:
            t = L[stage][kept].copy()
            t[t >= self.end_day] = np.nan  # not yet reached on the extraction date
            leads[f"{stage}_at"] = self._to_time(t)
        last = leads[[f"{s}_at" for s in stage_cols]]
        furthest = last.notna().to_numpy()[:, ::-1].argmax(axis=1)
        leads["furthest_stage"] = np.array(stage_cols[::-1], dtype=object)[furthest]
        # The handoff delay is known only once sales has accepted the lead.
        leads["handoff_days"] = np.round(L["handoff_days"][kept], 2)
        leads.loc[leads["sal_at"].isna(), "handoff_days"] = np.nan
        leads["routed_to_account"] = L["routed_to_account"][kept]
        return L, lead_ids, leads

    @staticmethod
    def _lead_offsets(lead_batches: list, opp_batches: list) -> np.ndarray:
        sizes = np.cumsum([0] + [len(b["channel"]) for b in lead_batches])
        return np.concatenate([np.full(len(b["lead"]), sizes[b["month"][0]])
                               for b in opp_batches])

    def _stage_history(self, opp, stage_t, opp_ids, keep) -> pd.DataFrame:
        n = len(opp["lead"])
        times = np.column_stack([opp["created"], stage_t,
                                 np.where(opp["closed"], opp["close"], np.nan)])
        names = np.array(list(OPPORTUNITY_STAGES) + ["closed"], dtype=object)
        final = np.where(opp["won"], "closed_won", "closed_lost")
        rows, cols = np.nonzero(~np.isnan(times[keep]))
        stage = names[cols].copy()
        is_close = cols == len(OPPORTUNITY_STAGES)
        stage[is_close] = final[keep][rows[is_close]]
        del n
        return pd.DataFrame({
            "opportunity_id": opp_ids[keep][rows],
            "stage": stage,
            "entered_at": self._to_time(times[keep][rows, cols]),
        })

    def _stage_win_rates(self, opp) -> np.ndarray:
        """What reps know a stage is worth: the win rate of the deals that reached it and
        closed before the history began (the stage defaults when fewer than 30 did)."""
        before = opp["closed"] & (opp["close"] < 0)
        rates = _STAGE_PROBABILITY.copy()
        for k in range(len(rates)):
            reached = before & (opp["lost_at"] >= k)
            if reached.sum() >= 30:
                rates[k] = opp["won"][reached].mean()
        return rates

    def _snapshots(self, opp, stage_t, opp_ids, rep_ids, keep) -> pd.DataFrame:
        """What the CRM showed every Monday for every open opportunity."""
        first_monday = (7 - self.start.weekday()) % 7
        mondays = np.arange(first_monday, self.end_day, 7.0)
        created, close = opp["created"][keep], opp["close"][keep]
        end = np.minimum(close, self.end_day)
        i0 = np.searchsorted(mondays, created, side="left")
        i1 = np.searchsorted(mondays, end, side="left")
        counts = np.maximum(0, i1 - i0)
        row = np.repeat(np.arange(len(keep)), counts)
        week = np.concatenate([np.arange(a, b) for a, b in zip(i0, i1, strict=True)]) \
            if len(keep) else np.array([], int)
        t = mondays[week]
        st = stage_t[keep][row]
        stage = np.sum(st <= t[:, None], axis=1)
        g = _child(self.streams["snapshots"], 0)
        noise = 0.05 * ndtri(np.clip(g.random(len(row)), 1e-9, 1 - 1e-9))
        optimism = self.reps_internal["optimism"].to_numpy()[opp["owner"][keep][row]]
        prob = np.clip(np.round(self._stage_win_rates(opp)[stage] + optimism + noise, 2),
                       0.05, 0.95)
        expected0 = opp["expected"][keep][row]
        pushes = np.maximum(0, np.ceil((t - expected0) / 30)).astype(int)
        expected = expected0 + 30 * pushes
        category = np.where(prob >= 0.7, "Commit", np.where(prob >= 0.4, "Best Case", "Pipeline"))
        return pd.DataFrame({
            "snapshot_date": self._to_time(t),
            "opportunity_id": opp_ids[keep][row],
            "owner_rep_id": rep_ids[opp["owner"][keep][row]],
            "segment": np.array(SEGMENTS, dtype=object)[opp["segment"][keep][row]],
            "stage": np.array(OPPORTUNITY_STAGES, dtype=object)[stage],
            "amount": opp["amount"][keep][row],
            "expected_close_date": self._to_time(expected).dt.normalize(),
            "push_count": pushes,
            "days_open": np.floor(t - created[row]).astype(int),
            "rep_probability": prob,
            "forecast_category": category,
        })

    def _revenue(self, log: dict, opp_ids, acc_ids):
        W, T = self.warmup, self.total_months
        months = self._month_start(np.arange(T))
        # Subscriptions alive at some point of the observed history.
        subs_raw = np.array(log["subs"], dtype=int).reshape(-1, 4)
        end = np.array([log["sub_end"].get(i, -1) for i in range(len(subs_raw))], dtype=int)
        kept = (end < 0) | (end >= W)
        sub_ids = np.full(len(subs_raw), None, dtype=object)
        sub_ids[kept] = _ids("S", int(kept.sum()), 6)
        subs = pd.DataFrame({
            "subscription_id": sub_ids,
            "account_id": acc_ids[subs_raw[:, 0]],
            "product": np.array(PRODUCTS, dtype=object)[subs_raw[:, 1]],
            "opportunity_id": np.where(subs_raw[:, 3] >= 0,
                                       opp_ids[np.maximum(subs_raw[:, 3], 0)], None),
            "start_month": months.to_numpy()[subs_raw[:, 2]],
            "end_month": pd.Series(months.to_numpy()[np.maximum(end, 0)]).where(end >= 0),
        })[kept].reset_index(drop=True)
        subs["start_month"] = subs["start_month"].astype("datetime64[ns]")
        subs["end_month"] = subs["end_month"].astype("datetime64[ns]")
        # MRR per subscription-month of the observed history, from the account ×
        # product state log; each row belongs to the latest subscription of its
        # account and product that started by then.
        acc_l, prod_l, month_l, val_l = [], [], [], []
        for month, idx, values in log["mrr"]:
            r, p = np.nonzero(values > 0)
            acc_l.append(idx[r])
            prod_l.append(p)
            month_l.append(np.full(len(r), month))
            val_l.append(values[r, p])
        acc = np.concatenate(acc_l)
        prod = np.concatenate(prod_l)
        month = np.concatenate(month_l)
        value = np.concatenate(val_l)
        sub_key = (subs_raw[:, 0] * len(PRODUCTS) + subs_raw[:, 1]) * T + subs_raw[:, 2]
        order = np.argsort(sub_key, kind="stable")
        window = month >= W
        row_key = (acc[window] * len(PRODUCTS) + prod[window]) * T + month[window]
        sub_index = order[np.searchsorted(sub_key[order], row_key, side="right") - 1]
        mrr = pd.DataFrame({
            "subscription_id": sub_ids[sub_index],
            "account_id": acc_ids[acc[window]],
            "product": np.array(PRODUCTS, dtype=object)[prod[window]],
            "month": months.to_numpy()[month[window]],
            "mrr": value[window],
        }).sort_values(["month", "account_id", "product"], kind="stable").reset_index(drop=True)
        mrr["month"] = mrr["month"].astype("datetime64[ns]")
        # Account-level MRR over the whole life of the company (the warm-up too,
        # so that a returning customer is a reactivation, not a new one).
        owners, acc_pos = np.unique(acc, return_inverse=True)
        wide = np.zeros((len(owners), T))
        np.add.at(wide, (acc_pos, month), value)
        total = pd.DataFrame(wide, index=pd.Index(acc_ids[owners], name="account_id"),
                             columns=months)
        total = total.sort_index()
        # Movements: classify each account-month change of total MRR.
        values = total.to_numpy()
        prev = np.column_stack([np.zeros(len(values)), values[:, :-1]])
        ever = np.maximum.accumulate(prev > 0, axis=1)
        kinds = {
            "new": (prev == 0) & (values > 0) & ~ever,
            "reactivation": (prev == 0) & (values > 0) & ever,
            "expansion": (prev > 0) & (values > prev),
            "contraction": (values > 0) & (values < prev),
            "churn": (prev > 0) & (values == 0),
        }
        detail_map = {}
        for m, up, cross, _down in log["detail"]:
            for a in acc_ids[up]:
                detail_map[(a, m)] = "upsell"
            for a in acc_ids[cross]:
                detail_map[(a, m)] = "cross_sell"
        parts = []
        for kind, mask in kinds.items():
            r, c = np.nonzero(mask[:, W:])
            c = c + W
            change = values[r, c] - prev[r, c]
            parts.append(pd.DataFrame({
                "account_id": total.index.to_numpy()[r], "month": months.to_numpy()[c],
                "movement": kind, "mrr_change": change, "month_index": c,
            }))
        movements = pd.concat(parts, ignore_index=True)
        movements["detail"] = [
            detail_map.get((a, m), "") if k == "expansion" else ""
            for a, m, k in zip(movements["account_id"], movements["month_index"],
                               movements["movement"], strict=True)
        ]
        movements = movements.drop(columns="month_index").sort_values(
            ["month", "account_id"], kind="stable").reset_index(drop=True)
        movements["month"] = movements["month"].astype("datetime64[ns]")
        # Invoices: one per account-month, billed monthly in advance.
        inv = total.iloc[:, W:].stack()
        inv = inv[inv > 0].reset_index()
        inv.columns = ["account_id", "month", "amount"]
        inv = inv.sort_values(["month", "account_id"], kind="stable").reset_index(drop=True)
        invoices = pd.DataFrame({
            "invoice_id": _ids("INV-", len(inv), 7),
            "account_id": inv["account_id"],
            "issued_on": inv["month"].astype("datetime64[ns]"),
            "period_start": inv["month"].astype("datetime64[ns]"),
            "period_end": (inv["month"] + pd.offsets.MonthEnd(0)).astype("datetime64[ns]"),
            "amount_excl_tax": inv["amount"],
            "tax": np.floor(inv["amount"] * _TAX_RATE),
            "total": inv["amount"] + np.floor(inv["amount"] * _TAX_RATE),
            "currency": self.cfg.currency,
        })
        return subs, mrr, movements, invoices

    def _customer_tables(self, log: dict, acc_ids):
        months = self._month_start(np.arange(self.total_months)).to_numpy()
        cols = {k: [] for k in ("month", "acc", "seats", "users", "logins", "adoption")}
        for month, a_idx, seats, users, logins, adoption in log["usage"]:
            for k, v in zip(cols, (np.full(len(a_idx), month), a_idx, seats, users, logins,
                                   adoption), strict=True):
                cols[k].append(v)
        U = {k: np.concatenate(v) for k, v in cols.items()}
        # Tickets: explode monthly counts into rows with their own draws.
        t_acc, t_month, t_h, t_ctx = [], [], [], []
        for month, a_idx, n_t, h, ctx in log["tickets"]:
            t_acc.append(np.repeat(a_idx, n_t))
            t_month.append(np.full(int(n_t.sum()), month))
            t_h.append(np.repeat(h, n_t))
            t_ctx.append(np.repeat(ctx, n_t))
        t_acc, t_month = np.concatenate(t_acc), np.concatenate(t_month)
        t_h, t_ctx = np.concatenate(t_h), np.concatenate(t_ctx)
        g = _child(self.streams["tickets"], 0)
        u = g.random((len(t_acc), 5))
        z = ndtri(np.clip(u, 1e-9, 1 - 1e-9))
        opened = self.month_edges[t_month] + u[:, 0] * (self.month_edges[t_month + 1]
                                                         - self.month_edges[t_month])
        hours = np.round(8 * np.exp(0.5 * t_ctx + 0.2 * np.maximum(0, -t_h) + 0.9 * z[:, 1]), 1)
        csat = np.clip(np.round(_CSAT_MEAN - 0.3 * np.log(hours / 8) + 0.4 * (t_h - _HEALTH_REF)
                                - 1.2 * t_ctx + _CSAT_SD * z[:, 2]), 1, 5).astype(int)
        resolved = opened + hours / 24 < self.end_day
        categories = np.array(["how_to", "bug", "billing", "integration", "onboarding"],
                              dtype=object)
        priority = np.array(["low", "normal", "high"], dtype=object)
        tickets = pd.DataFrame({
            "ticket_id": _ids("T", len(t_acc), 7),
            "account_id": acc_ids[t_acc],
            "opened_at": self._to_time(opened),
            "category": categories[(u[:, 3] * 5).astype(int)],
            "priority": priority[np.searchsorted([0.5, 0.9], u[:, 4], side="right")],
            # A ticket still open on the extraction date has no resolution or CSAT yet.
            "resolution_hours": np.where(resolved, hours, np.nan),
            "resolved_at": self._to_time(np.where(resolved, opened + hours / 24, np.nan)),
            "csat": pd.Series(csat, dtype="Int64").where(resolved),
        }).sort_values("opened_at", kind="stable").reset_index(drop=True)
        tickets["ticket_id"] = _ids("T", len(tickets), 7)
        # Usage with the CS platform's health score (usage, adoption, support load).
        usage = pd.DataFrame({
            "account_id": acc_ids[U["acc"]],
            "month": months[U["month"]],
            "seats": U["seats"], "active_users": U["users"], "logins": U["logins"],
            "feature_adoption": U["adoption"],
        })
        usage["month"] = usage["month"].astype("datetime64[ns]")
        per_month = pd.Series(1, index=pd.MultiIndex.from_arrays(
            [acc_ids[t_acc], months[t_month]])).groupby(level=[0, 1]).sum()
        n_tick = per_month.reindex(pd.MultiIndex.from_arrays(
            [usage["account_id"], usage["month"]]), fill_value=0).to_numpy()
        usage["tickets"] = n_tick
        usage["health_score"] = np.round(100 * (
            0.5 * usage["active_users"] / usage["seats"] + 0.3 * usage["feature_adoption"]
            + 0.2 * (1 - np.minimum(n_tick, 4) / 4))).astype(int)
        # NPS responses.
        n_m, n_a, n_s = [], [], []
        for month, a_idx, score in log["nps"]:
            n_m.append(np.full(len(a_idx), month))
            n_a.append(a_idx)
            n_s.append(score)
        n_m, n_a, n_s = np.concatenate(n_m), np.concatenate(n_a), np.concatenate(n_s)
        nps = pd.DataFrame({
            "response_id": _ids("N", len(n_a), 6),
            "account_id": acc_ids[n_a],
            "surveyed_at": self._to_time(self.month_edges[n_m] + 14),
            "score": n_s,
        })
        nps["category"] = np.where(nps["score"] >= 9, "promoter",
                                   np.where(nps["score"] >= 7, "passive", "detractor"))
        return usage, tickets, nps

    def _money(self, leads: pd.DataFrame, mrr: pd.DataFrame, bookings: np.ndarray,
               mrr_log: list):
        cfg = self.cfg
        W = self.warmup
        months = self._month_start(np.arange(W, self.total_months))
        g = _child(self.streams["spend"], 0)
        month_of = leads["inquiry_at"].dt.to_period("M").dt.to_timestamp()
        counts = leads.groupby([month_of, "channel"]).size().unstack(fill_value=0)
        counts = counts.reindex(index=months, columns=list(CHANNELS), fill_value=0)
        cpi = np.array([c.cost_per_inquiry for c in cfg.channels])
        noise = np.exp(0.05 * ndtri(np.clip(g.random(counts.shape), 1e-9, 1 - 1e-9)))
        spend_values = np.round(counts.to_numpy() * cpi * noise, -3)
        spend = pd.DataFrame({
            "month": np.repeat(months.to_numpy(), len(CHANNELS)),
            "channel": np.tile(np.array(CHANNELS, dtype=object), cfg.months),
            "spend": spend_values.ravel(),
        })
        spend = spend[spend["spend"] > 0].reset_index(drop=True)
        spend["month"] = spend["month"].astype("datetime64[ns]")
        # People and other costs by department and month: the roster on the
        # first day of each month, the managers and sales engineers it needs,
        # marketers for the programmes run, and the tools every seat uses.
        t = self.month_edges[W:-1]
        on = (self.rep_hire_day[None, :] <= t[:, None]) & (t[:, None] < self.rep_leave_day[None, :])
        team = [on[:, self.rep_key == key].sum(axis=1) for key in range(len(self._TEAM_KEYS))]
        field = team[0] + team[1] + team[2]
        inside = team[self._INSIDE]
        programs = spend_values.sum(axis=1)
        heads = {"inside_sales": inside, "field_sales": field, "customer_success": team[self._CSM],
                 "sales_manager": np.ceil((field + inside) / _REPS_PER_MANAGER),
                 "sales_engineer": np.ceil((team[1] + team[2]) / _AES_PER_SE),
                 "marketing": np.maximum(1, np.ceil(programs / _PROGRAMS_PER_MARKETER))}
        heads["revops"] = np.ceil((field + inside + heads["marketing"]) / _HEADS_PER_REVOPS)
        arr = np.array([m.sum() for _, _, m in mrr_log[W:]]) * 12
        heads["research_development"] = np.maximum(1, np.ceil(arr / _ARR_PER_ENGINEER))
        heads["general_admin"] = np.full(cfg.months, max(1, round(cfg.employees_other
                                                                  * cfg.scale)))
        rows = [(kind, dept, heads[role] * _TEAM_COST[role])
                for (kind, dept), role in _PAYROLL.items()]
        seats = {"field_sales": field + heads["sales_manager"] + heads["sales_engineer"]
                 + heads["revops"], "inside_sales": inside, "marketing": heads["marketing"]}
        rows += [("programs", "marketing", programs)]
        rows += [("tools", dept, n * _TOOLS_PER_SEAT) for dept, n in seats.items()]
        revenue = mrr.groupby("month")["mrr"].sum().reindex(months, fill_value=0).to_numpy()
        rows.append(("hosting_and_support", "cost_of_revenue",
                     np.round(revenue * (1 - cfg.gross_margin), -3)))
        rows.append(("commission", "field_sales", np.round(bookings[W:] * _COMMISSION, -3)))
        costs = pd.DataFrame([
            {"month": months[m], "department": dept, "cost_type": kind, "amount": float(v[m])}
            for kind, dept, v in rows for m in range(cfg.months)
        ])
        costs["month"] = costs["month"].astype("datetime64[ns]")
        costs = costs.sort_values(["month", "department", "cost_type"], kind="stable")
        return spend, costs.reset_index(drop=True)
