"""The simulated B2B SaaS company: every table of its revenue process, from one seed."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.special import expit, logit, ndtri, pdtr, pdtrik

from . import _names
from .config import CHANNELS, GTM_EFFECTS, PLG_MONTHLY_SIGNUPS, SEGMENTS, CompanyConfig

__all__ = ["Company", "simulate_company", "DEFAULT_SEED", "TABLES", "TABLE_DESCRIPTIONS",
           "seed_sequence"]

DEFAULT_SEED = 2024

#: Every table of a :class:`Company`, in the order they are documented.
TABLES: tuple[str, ...] = (
    "accounts", "leads", "opportunities", "opportunity_stages", "pipeline_snapshots",
    "subscriptions", "mrr", "mrr_movements", "invoices", "usage", "tickets",
    "nps_responses", "reps", "marketing_spend", "costs",
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
    "marketing_spend": "marketing programme spend of one channel in one month",
    "costs": "one cost line of a department in one month",
}

#: Independent random streams, one per concern; their order is fixed forever so
#: that adding a stream at the end never reshuffles the existing ones.
_STREAMS = ("market", "reps", "leads", "customers", "tickets", "snapshots", "spend")

OPPORTUNITY_STAGES: tuple[str, ...] = ("discovery", "demo", "proposal", "negotiation")
#: The probability a rep would write in the CRM at each open stage, before bias.
_STAGE_PROBABILITY = np.array([0.10, 0.25, 0.50, 0.75])
PRODUCTS: tuple[str, ...] = ("core", "analytics", "automation")

# Market: share of addressable accounts per segment, and its size at scale 1.
_MARKET_ACCOUNTS = 20000
_MARKET_SHARE = {"SMB": 0.65, "MM": 0.27, "ENT": 0.08}
_EMPLOYEES = {"SMB": (10, 99), "MM": (100, 999), "ENT": (1000, 20000)}

# Sales organisation at scale 1: headcount per team, monthly loaded cost (yen),
# annual bookings quota, ramp months and open-opportunity capacity per rep.
_FIELD = {
    "SMB": dict(headcount=5, quota=40_000_000, ramp=3, capacity=30),
    "MM": dict(headcount=5, quota=80_000_000, ramp=4, capacity=18),
    "ENT": dict(headcount=3, quota=140_000_000, ramp=6, capacity=10),
}
_TEAM_COST = {"inside_sales": 650_000, "field_sales": 1_000_000, "customer_success": 700_000,
              "marketing": 800_000, "general_admin": 700_000}
_TEAM_HEADCOUNT = {"inside_sales": 8, "customer_success": 8, "marketing": 6}
_HIRED_DURING_HISTORY = 0.3
_AQLS_PER_INSIDE_REP = 28  # inbound AQLs one ramped inside-sales rep can work properly a month
_STANDARD_DISCOUNT = 0.03  # the discount every deal gets; pressure adds to it
_DISCOUNT_PULL_FORWARD = 2.0  # each 10 points of extra discount shortens the cycle by ~18%
_SEAT_PRICE = 3_000  # yen per seat-month, to turn MRR into licensed seats
_TAX_RATE = 0.10

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
    """
    if config is None:
        config = CompanyConfig()
    if not isinstance(config, CompanyConfig):
        raise TypeError(f"config must be a CompanyConfig or None, got {type(config).__name__}")
    root, seed = seed_sequence(rng)
    streams = dict(zip(_STREAMS, root.spawn(len(_STREAMS)), strict=True))
    return _Simulation(config, streams, seed).run()


class _Simulation:
    """The month-by-month engine behind :func:`simulate_company` (private)."""

    def __init__(self, config: CompanyConfig, streams: dict, seed: int | None) -> None:
        self.cfg = config
        self.streams = streams
        self.seed = seed
        self.levers = config.levers
        self.start = pd.Timestamp(config.start)
        edges = pd.date_range(self.start, periods=config.months + 1, freq="MS")
        self.month_edges = ((edges - self.start) / pd.Timedelta(days=1)).to_numpy(float)
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

    def _reps(self) -> None:
        rows = []
        teams = [("field_sales", s, _FIELD[s]["headcount"]) for s in SEGMENTS]
        teams += [(t, None, _TEAM_HEADCOUNT[t]) for t in ("inside_sales", "customer_success")]
        for index, (team, segment, base) in enumerate(teams):
            # One stream per team: changing one team's headcount leaves the others as they were.
            g = _child(self.streams["reps"], index)
            count = max(1, round(base * self.cfg.scale))
            if team == "inside_sales" and self.cfg.inside_sales_reps is not None:
                count = self.cfg.inside_sales_reps
            u = g.random((count, 4))
            hired_later = u[:, 0] < _HIRED_DURING_HISTORY
            hired_later[0] = False  # every team has someone on day one
            hire_day = np.where(hired_later, u[:, 1] * self.end_day * 0.9,
                                -30 - u[:, 1] * 3 * 365)
            for i in range(count):
                rows.append({
                    "team": team, "segment": segment, "hire_day": float(np.floor(hire_day[i])),
                    "optimism": 0.12 + 0.08 * ndtri(np.clip(u[i, 2], 1e-9, 1 - 1e-9)),
                    "family": u[i, 3], "given": (u[i, 3] * 7.31) % 1,
                })
        reps = pd.DataFrame(rows)
        names, local = _names.person_names(reps["family"].to_numpy(), reps["given"].to_numpy())
        reps["rep_id"] = _ids("R", len(reps), 4)
        reps["rep_name"] = names
        field = reps["team"].eq("field_sales")
        reps["quota_annual"] = np.where(
            field, reps["segment"].map({s: _FIELD[s]["quota"] for s in SEGMENTS}), np.nan)
        reps["ramp_months"] = np.where(
            field, reps["segment"].map({s: _FIELD[s]["ramp"] for s in SEGMENTS}), 2).astype(int)
        reps["monthly_cost"] = reps["team"].map(_TEAM_COST).astype(float)
        reps["hired_on"] = self._to_time(reps["hire_day"].to_numpy()).dt.normalize()
        self.reps_internal = reps
        # Plain arrays for the month loop (label lookups there cost more than the maths).
        self.rep_hire_day = reps["hire_day"].to_numpy()
        self.rep_ramp_months = reps["ramp_months"].to_numpy()
        # AQLs inside sales can work each month: ramped reps × what one rep can handle.
        inside = reps.index[reps["team"].eq("inside_sales")].to_numpy()
        tenure = (self.month_edges[:-1, None] - self.rep_hire_day[None, inside]) / 30.4
        ramped = np.clip(tenure / self.rep_ramp_months[None, inside], 0, 1).sum(axis=1)
        self.inside_sales_capacity = np.round(ramped * _AQLS_PER_INSIDE_REP).astype(int)
        self.field_reps = {
            k: reps.index[field & reps["segment"].eq(s)].to_numpy()[
                np.argsort(reps.loc[field & reps["segment"].eq(s), "hire_day"].to_numpy(),
                           kind="stable")]
            for k, s in enumerate(SEGMENTS)
        }

    # ------------------------------------------------------------------ leads
    def _channel_volume(self, channel, month: int, promoters: float) -> float:
        growth = (1 + self.cfg.monthly_inquiry_growth) ** month
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
        p_sql = np.where(sal, self._p(expit(0.1 + 1.0 * q), "sal_to_sql"),
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
        capacity = self.inside_sales_capacity[month]
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

        # Owner: a field rep of the segment already hired; ramping reps win less.
        owner = np.empty(len(keep), dtype=int)
        ramp_factor = np.ones(len(keep))
        for k in range(len(SEGMENTS)):
            mask = seg == k
            team = self.field_reps[k]
            hire = self.rep_hire_day[team]
            eligible = np.maximum(1, np.searchsorted(hire, created[mask], side="right"))
            pick = team[(col("owner")[mask] * eligible).astype(int)]
            owner[mask] = pick
            tenure = (created[mask] - self.rep_hire_day[pick]) / 30.4
            ramp = self.rep_ramp_months[pick]
            ramp_factor[mask] = np.clip(0.5 + 0.5 * tenure / ramp, 0.5, 1.0)
        # Capacity: reps overloaded with open deals give each one less attention.
        efficiency = state["efficiency"][seg]
        base = np.array([s.win_rate_base for s in segs])[seg]
        logit_win = (logit(base) + 1.1 * (q - _WIN_QUALITY_REF)
                     + 3.0 * discount * (1 - expit(q))  # price-sensitive, poor-fit buyers
                     + np.log(ramp_factor) + 0.5 * np.log(efficiency))
        p_win = self._p(expit(logit_win), "opportunity_to_won")
        won = col("c_win") < p_win
        cycle = np.where(won, cycle, cycle * 1.15)
        close = np.round((created + cycle) * 1440) / 1440
        closed = close < self.end_day
        expected = created + cycle * (0.55 + 0.4 * col("optimism"))
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
        hazard = churn_base * np.exp(-0.9 * h) * (1 + 2.5 * ctx * early)
        anniversary = (tenure > 0) & (tenure % 12 == 0)
        hazard = hazard + anniversary * 0.8 * np.maximum(0, state["discount"][idx] - 0.1)
        is_new = tenure == 0  # nobody churns in the month they sign
        churn = ~is_new & (u[idx, 1] < hazard)
        p_up = 0.018 * np.exp(0.6 * h)
        p_cross = 0.007 * np.exp(0.6 * h)
        p_down = 0.010 * np.exp(-0.6 * h)
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
        log["usage"].append((month, a_idx, seats, active_users, logins, adoption))
        early_a = early[alive]
        ctx_a = ctx[alive]
        lam = 0.25 + 0.6 * (tenure[alive] < 3) + 0.25 * np.maximum(0, -h_a)
        n_tickets = _poisson_ppf(u[a_idx, 5], lam).astype(int)
        log["tickets"].append((month, a_idx, n_tickets, h_a, ctx_a * early_a))
        if month % 3 == 2:
            respond = u[a_idx, 6] < 0.35
            score = np.clip(np.round(7.0 + 1.8 * h_a - 2.5 * ctx_a * early_a
                                     + 1.2 * z[a_idx, 3]), 0, 10).astype(int)
            log["nps"].append((month, a_idx[respond], score[respond]))
            state["promoter_month"][a_idx[respond & (score >= 9)]] = month
            state["promoter_month"][a_idx[respond & (score < 9)]] = -99
        recent = (state["promoter_month"] > month - 12) & state["active"]
        state["promoters"] = float(recent.sum())

    # ----------------------------------------------------------------- engine
    def run(self) -> Company:
        cfg = self.cfg
        self._market()
        self._reps()
        n_acc = len(self.acc_segment)
        state = {
            "busy_until": np.full(n_acc, -np.inf), "active": np.zeros(n_acc, bool),
            "ever": np.zeros(n_acc, bool), "tenure": np.zeros(n_acc, int),
            "discount": np.zeros(n_acc), "fit": np.zeros(n_acc), "health": np.zeros(n_acc),
            "context_hit": np.zeros(n_acc), "mrr": np.zeros((n_acc, len(PRODUCTS))),
            "sub_of": np.full((n_acc, len(PRODUCTS)), -1), "promoter_month": np.full(n_acc, -99),
            "promoters": 0.0, "efficiency": np.ones(len(SEGMENTS)),
        }
        log = {"subs": [], "sub_end": {}, "mrr": [], "usage": [], "tickets": [], "nps": [],
               "detail": []}
        lead_batches, opp_batches = [], []
        pending_close = {m: [] for m in range(cfg.months)}
        opp_count = 0
        for month in range(cfg.months):
            self._update_capacity(month, opp_batches, state)
            leads = self._funnel(month, self._draw_leads(month, state["promoters"]))
            opps = self._open_opportunities(leads, month, state)
            lead_batches.append(leads)
            if opps:
                opps["opp_index"] = opp_count + np.arange(len(opps["lead"]))
                opp_count += len(opps["lead"])
                opp_batches.append(opps)
                close_month = np.searchsorted(self.month_edges, opps["close"], side="right") - 1
                for i in np.flatnonzero(opps["won"] & opps["closed"]):
                    pending_close[int(close_month[i])].append((len(opp_batches) - 1, i))
            wins = self._wins_closing(pending_close[month], opp_batches)
            self._customer_month(month, wins, state, log)
        return self._assemble(lead_batches, opp_batches, log)

    def _update_capacity(self, month: int, opp_batches: list, state: dict) -> None:
        t = self.month_edges[month]
        for k, s in enumerate(SEGMENTS):
            open_count = sum(int(((b["segment"] == k) & (b["created"] <= t) & (b["close"] > t))
                                 .sum()) for b in opp_batches[-8:])
            team = self.field_reps[k]
            tenure = (t - self.rep_hire_day[team]) / 30.4
            ramped = np.clip(tenure / self.rep_ramp_months[team], 0, 1).sum()
            capacity = max(ramped, 0.5) * _FIELD[s]["capacity"]
            state["efficiency"][k] = min(1.0, capacity / max(open_count, 1))

    @staticmethod
    def _wins_closing(items: list, opp_batches: list) -> dict:
        if not items:
            return {}
        keys = ("account", "amount", "discount", "quality", "onboarding", "opp_index")
        return {k: np.array([opp_batches[b][k][i] for b, i in items]) for k in keys}

    # --------------------------------------------------------------- assembly
    def _to_time(self, days: np.ndarray) -> pd.Series:
        minutes = np.round(np.asarray(days, float) * 1440)
        values = self.start + pd.to_timedelta(minutes, unit="min")
        return pd.Series(values).astype("datetime64[ns]")

    def _month_start(self, month: np.ndarray) -> pd.Series:
        edges = pd.date_range(self.start, periods=self.cfg.months, freq="MS")
        return pd.Series(edges[np.asarray(month, int)]).astype("datetime64[ns]")

    def _assemble(self, lead_batches: list, opp_batches: list, log: dict) -> Company:
        cfg = self.cfg
        as_of = self.start + pd.Timedelta(days=self.end_day)
        L, lead_ids, leads = self._leads_frame(lead_batches)
        acc_ids = self.acc_frame["account_id"].to_numpy()

        opp = {k: np.concatenate([b[k] for b in opp_batches]) for k in opp_batches[0]}
        n_opp = len(opp["lead"])
        opp_ids = _ids("O", n_opp, 6)
        rep_ids = self.reps_internal["rep_id"].to_numpy()
        created = opp["created"]
        opp_known = created < self.end_day
        closed = opp["closed"]
        stage_t = np.where(opp["stage_times"] < np.minimum(opp["close"], self.end_day)[:, None],
                           opp["stage_times"], np.nan)
        reached = np.arange(3)[None, :] < opp["lost_at"][:, None]
        stage_t = np.where(reached, stage_t, np.nan)
        current = np.sum(~np.isnan(stage_t), axis=1)  # 0 = discovery … 3 = negotiation
        status = np.where(~closed, "open", np.where(opp["won"], "won", "lost"))
        optimism = self.reps_internal["optimism"].to_numpy()[opp["owner"]]
        rep_prob_now = np.clip(_STAGE_PROBABILITY[current] + optimism, 0.05, 0.95)
        category = np.where(rep_prob_now >= 0.7, "Commit",
                            np.where(rep_prob_now >= 0.4, "Best Case", "Pipeline"))
        opportunities = pd.DataFrame({
            "opportunity_id": opp_ids,
            "lead_id": lead_ids[opp["lead"] + self._lead_offsets(lead_batches, opp_batches)],
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
        spend, costs = self._money(leads, mrr, opportunities)
        # An account exists in the CRM from its first inquiry known on the extraction date.
        first_inquiry = np.full(len(acc_ids), np.inf)
        known = L["inquiry"] < self.end_day
        np.minimum.at(first_inquiry, L["account"][known], L["inquiry"][known])
        seen = np.isfinite(first_inquiry)
        accounts = self.acc_frame[seen].reset_index(drop=True)
        accounts["first_seen_at"] = self._to_time(first_inquiry[seen])
        reps = self.reps_internal[["rep_id", "rep_name", "team", "segment", "hired_on",
                                   "ramp_months", "quota_annual", "monthly_cost"]].copy()
        reps = reps[reps["hired_on"] < as_of].reset_index(drop=True)
        tables = dict(
            accounts=accounts, leads=leads, opportunities=opportunities,
            opportunity_stages=stages, pipeline_snapshots=snapshots, subscriptions=subs, mrr=mrr,
            mrr_movements=movements, invoices=invoices, usage=usage, tickets=tickets,
            nps_responses=nps, reps=reps, marketing_spend=spend, costs=costs,
        )
        return Company(config=cfg, seed=self.seed, as_of=as_of,
                       **{name: _text_as_str(df) for name, df in tables.items()})

    def _leads_frame(self, lead_batches: list) -> tuple[dict, np.ndarray, pd.DataFrame]:
        """The leads table from the month batches, with the columns concatenated and ids."""
        cfg = self.cfg
        L = {k: np.concatenate([b[k] for b in lead_batches]) for k in lead_batches[0]
             if k != "u"}
        lead_u = np.concatenate([b["u"] for b in lead_batches])
        n_leads = len(L["channel"])
        lead_ids = _ids("L", n_leads, 7)
        acc_ids = self.acc_frame["account_id"].to_numpy()
        domains = self.acc_frame["domain"].to_numpy()
        names, local = _names.person_names(lead_u[:, _U["family"]], lead_u[:, _U["given"]])
        email = local + np.char.mod("%d", np.arange(n_leads) % 97).astype(object) + "@" + \
            domains[L["account"]]
        leads = pd.DataFrame({
            "lead_id": lead_ids,
            "account_id": acc_ids[L["account"]],
            "contact_name": names,
            "email": email,
            "channel": np.array(CHANNELS, dtype=object)[L["channel"]],
            "motion": np.array([c.motion for c in cfg.channels], dtype=object)[L["channel"]],
            "segment": np.array(SEGMENTS, dtype=object)[L["segment"]],
            "lead_score": np.round(L["score"] * 100).astype(int),
        })
        stage_cols = ("inquiry", "aql", "tal", "tql", "tgl", "sal", "sgl", "sql", "opportunity")
        reached_any = np.zeros(n_leads, bool)
        for stage in stage_cols:
            t = L[stage].copy()
            t[t >= self.end_day] = np.nan  # not yet reached on the extraction date
            leads[f"{stage}_at"] = self._to_time(t)
            reached_any |= ~np.isnan(t)
        last = leads[[f"{s}_at" for s in stage_cols]]
        furthest = last.notna().to_numpy()[:, ::-1].argmax(axis=1)
        leads["furthest_stage"] = np.array(stage_cols[::-1], dtype=object)[furthest]
        # The handoff delay is known only once sales has accepted the lead.
        leads["handoff_days"] = np.round(L["handoff_days"], 2)
        leads.loc[leads["sal_at"].isna(), "handoff_days"] = np.nan
        leads["routed_to_account"] = L["routed_to_account"]
        leads = leads[leads["inquiry_at"].notna()].reset_index(drop=True)
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
        prob = np.clip(np.round(_STAGE_PROBABILITY[stage] + optimism + noise, 2), 0.05, 0.95)
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
        months = self._month_start(np.arange(self.cfg.months))
        # Subscriptions.
        subs_raw = np.array(log["subs"], dtype=int).reshape(-1, 4)
        end = np.array([log["sub_end"].get(i, -1) for i in range(len(subs_raw))], dtype=int)
        subs = pd.DataFrame({
            "subscription_id": _ids("S", len(subs_raw), 6),
            "account_id": acc_ids[subs_raw[:, 0]],
            "product": np.array(PRODUCTS, dtype=object)[subs_raw[:, 1]],
            "opportunity_id": np.where(subs_raw[:, 3] >= 0,
                                       opp_ids[np.maximum(subs_raw[:, 3], 0)], None),
            "start_month": months.to_numpy()[subs_raw[:, 2]],
            "end_month": pd.Series(months.to_numpy()[np.maximum(end, 0)]).where(end >= 0),
        })
        subs["start_month"] = subs["start_month"].astype("datetime64[ns]")
        subs["end_month"] = subs["end_month"].astype("datetime64[ns]")
        # MRR per subscription-month, from the account × product state log.
        latest = {}

        for i, (a, p, s, _) in enumerate(subs_raw):
            latest.setdefault((a, p), []).append((s, i))
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
        sub_index = np.empty(len(acc), dtype=int)
        for j in range(len(acc)):
            starts = latest[(acc[j], prod[j])]
            sub_index[j] = max(i for s, i in starts if s <= month[j])
        mrr = pd.DataFrame({
            "subscription_id": subs["subscription_id"].to_numpy()[sub_index],
            "account_id": acc_ids[acc],
            "product": np.array(PRODUCTS, dtype=object)[prod],
            "month": months.to_numpy()[month],
            "mrr": value,
        }).sort_values(["month", "account_id", "product"], kind="stable").reset_index(drop=True)
        mrr["month"] = mrr["month"].astype("datetime64[ns]")
        # Movements: classify each account-month change of total MRR.
        total = mrr.groupby(["account_id", "month"], sort=True)["mrr"].sum().unstack(
            fill_value=0.0).reindex(columns=months, fill_value=0.0)
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
            r, c = np.nonzero(mask)
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
        inv = total.stack()
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
        months = self._month_start(np.arange(self.cfg.months)).to_numpy()
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
        csat = np.clip(np.round(4.2 - 0.3 * np.log(hours / 8) + 0.4 * t_h - 1.2 * t_ctx
                                + 0.5 * z[:, 2]), 1, 5).astype(int)
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

    def _money(self, leads: pd.DataFrame, mrr: pd.DataFrame, opps: pd.DataFrame):
        cfg = self.cfg
        months = self._month_start(np.arange(cfg.months))
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
        # People and other costs by department and month.
        reps = self.reps_internal
        month_days = self.month_edges[:-1]
        rows = []
        for team in ("inside_sales", "field_sales", "customer_success"):
            hire = reps.loc[reps["team"] == team, "hire_day"].to_numpy()
            heads = (hire[None, :] <= month_days[:, None]).sum(axis=1)
            rows.append(("people", team, heads * _TEAM_COST[team]))
        mkt_heads = max(1, round(_TEAM_HEADCOUNT["marketing"] * cfg.scale))
        rows.append(("people", "marketing", np.full(cfg.months, mkt_heads
                                                    * _TEAM_COST["marketing"])))
        rows.append(("programs", "marketing", spend_values.sum(axis=1)))
        ga = max(1, round(cfg.employees_other * cfg.scale))
        rows.append(("people", "general_admin", np.full(cfg.months, ga
                                                        * _TEAM_COST["general_admin"])))
        revenue = mrr.groupby("month")["mrr"].sum().reindex(months, fill_value=0).to_numpy()
        rows.append(("hosting_and_support", "cost_of_revenue",
                     np.round(revenue * (1 - cfg.gross_margin), -3)))
        won = opps[opps["is_won"]]
        bookings = won.groupby(won["closed_at"].dt.to_period("M").dt.to_timestamp())[
            "amount"].sum().reindex(months, fill_value=0).to_numpy()
        rows.append(("commission", "field_sales", np.round(bookings * 0.08, -3)))
        costs = pd.DataFrame([
            {"month": months[m], "department": dept, "cost_type": kind, "amount": float(v[m])}
            for kind, dept, v in rows for m in range(cfg.months)
        ])
        costs["month"] = costs["month"].astype("datetime64[ns]")
        costs = costs.sort_values(["month", "department", "cost_type"], kind="stable")
        return spend, costs.reset_index(drop=True)
