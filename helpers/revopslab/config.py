"""Parameters of the simulated company: frozen dataclasses and presets."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

__all__ = [
    "STAGES",
    "SEGMENTS",
    "LEAD_ROUTINGS",
    "CHANNELS",
    "ORG_MODELS",
    "CONVERSION_STEPS",
    "GTM_MOTIONS",
    "Segment",
    "Channel",
    "OrgLevers",
    "CompanyConfig",
    "ORG_PRESETS",
    "PROFILES",
    "company_profile",
]

from .vocabulary import CHANNELS, CONVERSION_STEPS, SEGMENTS, STAGES

ORG_MODELS: tuple[str, ...] = ("siloed", "aligned")
GTM_MOTIONS: tuple[str, ...] = ("SLG", "MLG", "PLG")
#: How inside sales orders the AQLs it works when it cannot work them all.
LEAD_ROUTINGS: tuple[str, ...] = ("first_come", "scored")

def _frozen(mapping: Mapping) -> Mapping:
    return MappingProxyType(dict(mapping))


@dataclass(frozen=True)
class Segment:
    """Assumptions for one customer segment.

    Amounts are in yen. ``acv_median`` is the median annual contract value
    before discount; ``cycle_median_days`` the median days from opportunity
    to close; ``monthly_churn`` the segment's average monthly logo churn
    (what the default company realises: healthier customers churn less,
    discounted or badly onboarded ones more); ``annual_expansion`` the
    expansion MRR of a year as a share of the opening MRR (NRR − GRR).
    """

    name: str
    lead_share: float
    acv_median: float
    acv_sigma: float
    cycle_median_days: float
    monthly_churn: float
    win_rate_base: float
    annual_expansion: float = 0.10


@dataclass(frozen=True)
class Channel:
    """Assumptions for one lead channel: monthly inquiries, cost per inquiry, lead quality."""

    name: str
    motion: str  # "inbound", "outbound" (teleprospecting) or "sales" (field prospecting)
    monthly_inquiries: float
    cost_per_inquiry: float
    quality_shift: float


@dataclass(frozen=True)
class OrgLevers:
    """The operating-model mechanisms that ``org_model`` switches together.

    Parameters
    ----------
    mql_threshold
        Lead score (0–1) marketing requires before it calls an inquiry an AQL.
        Marketing paid on lead count lowers it and passes weaker leads.
    handoff_delay_days
        Median days from TQL to sales' first touch (the lead handoff).
    discount_pressure
        Mean extra discount reps grant to close (0–1 of list price). Quotas on
        bookings alone raise it; discounting wins price-sensitive, poor-fit
        buyers who churn at renewal and rarely expand.
    context_loss
        Share (0–1) of customer context lost at the sales → CS handoff; it
        lowers onboarding satisfaction and raises churn in the first months.
    lead_routing
        The order in which inside sales works the month's AQLs when there are
        more than its reps can handle: ``"first_come"`` (MA and SFA unjoined:
        nothing to rank by, so leads are worked as they arrive) or ``"scored"``
        (joined data: the best-scored leads first). Leads left over go cold.
    """

    mql_threshold: float
    handoff_delay_days: float
    discount_pressure: float
    context_loss: float
    lead_routing: str = "scored"


ORG_PRESETS: Mapping[str, OrgLevers] = _frozen({
    "siloed": OrgLevers(
        mql_threshold=0.58, handoff_delay_days=3.0, discount_pressure=0.14, context_loss=0.5,
        lead_routing="first_come",
    ),
    "aligned": OrgLevers(
        mql_threshold=0.74, handoff_delay_days=0.5, discount_pressure=0.05, context_loss=0.1,
        lead_routing="scored",
    ),
})

_DEFAULT_SEGMENTS = (
    Segment("SMB", lead_share=0.60, acv_median=1_200_000, acv_sigma=0.45,
            cycle_median_days=24, monthly_churn=0.0085, win_rate_base=0.22,
            annual_expansion=0.10),
    Segment("MM", lead_share=0.30, acv_median=4_800_000, acv_sigma=0.50,
            cycle_median_days=60, monthly_churn=0.006, win_rate_base=0.19,
            annual_expansion=0.11),
    Segment("ENT", lead_share=0.10, acv_median=18_000_000, acv_sigma=0.55,
            cycle_median_days=120, monthly_churn=0.004, win_rate_base=0.18,
            annual_expansion=0.14),
)

_DEFAULT_CHANNELS = (
    Channel("web", "inbound", monthly_inquiries=260, cost_per_inquiry=24_000, quality_shift=0.0),
    Channel("ads", "inbound", monthly_inquiries=220, cost_per_inquiry=44_000, quality_shift=-0.4),
    Channel("events", "inbound", monthly_inquiries=90, cost_per_inquiry=90_000, quality_shift=0.2),
    Channel("referral", "inbound", monthly_inquiries=10, cost_per_inquiry=10_000,
            quality_shift=0.8),
    Channel("product", "inbound", monthly_inquiries=0, cost_per_inquiry=6_000, quality_shift=-0.2),
    Channel("teleprospecting", "outbound", monthly_inquiries=120, cost_per_inquiry=16_000,
            quality_shift=-0.1),
    Channel("field_prospecting", "sales", monthly_inquiries=14, cost_per_inquiry=0,
            quality_shift=0.3),
)

#: How each go-to-market motion reshapes the channel mix (multipliers on
#: monthly inquiries), deal size and cycle length.
GTM_EFFECTS: Mapping[str, Mapping[str, float]] = _frozen({
    "SLG": _frozen({"web": 1.0, "ads": 1.0, "events": 1.0, "referral": 1.0, "product": 0.0,
                    "teleprospecting": 1.0, "field_prospecting": 1.0,
                    "acv": 1.0, "cycle": 1.0}),
    "MLG": _frozen({"web": 1.4, "ads": 1.6, "events": 1.3, "referral": 1.0, "product": 0.0,
                    "teleprospecting": 0.6, "field_prospecting": 0.5,
                    "acv": 0.85, "cycle": 0.85}),
    "PLG": _frozen({"web": 0.8, "ads": 0.6, "events": 0.5, "referral": 1.2, "product": 1.0,
                    "teleprospecting": 0.3, "field_prospecting": 0.3,
                    "acv": 0.6, "cycle": 0.6}),
})

#: Monthly product sign-ups under PLG (the ``product`` channel's volume).
PLG_MONTHLY_SIGNUPS = 900


@dataclass(frozen=True)
class CompanyConfig:
    """Every parameter of the simulated B2B SaaS company.

    The defaults describe a Japanese sales-led SaaS vendor selling to SMB,
    mid-market and enterprise accounts, calibrated to published ranges
    (see ``data/assumptions.csv``). Change one lever with
    :func:`dataclasses.replace` and simulate again with the same seed: only
    what that lever drives changes.

    Parameters
    ----------
    months
        Length of the simulated history (months from ``start``).
    start
        First day of the history (``YYYY-MM-01``).
    scale
        Multiplier on every volume: leads, reps, accounts in the market.
    org_model
        ``"siloed"`` or ``"aligned"``: sets the :class:`OrgLevers` preset.
    gtm_motion
        ``"SLG"``, ``"MLG"`` or ``"PLG"``.
    segment_mix
        Optional share of leads per segment, e.g. ``{"SMB": .5, "MM": .3, "ENT": .2}``.
    mql_threshold, handoff_delay_days, discount_pressure, context_loss, lead_routing
        Override one lever of the org-model preset (``None`` keeps it).
    inside_sales_reps
        Inside-sales headcount (``None``: 8 × ``scale``). Each ramped rep can work
        a fixed number of AQLs a month; past that, ``lead_routing`` decides which.
    handoff_sla_days
        A service-level agreement on the TQL → SAL handoff: delays longer than
        this are escalated and worked within it (``None``: no SLA).
    conversion_multipliers
        Per-step multipliers on conversion probabilities (keys from
        ``CONVERSION_STEPS``, or ``"all"``); probabilities are capped at 0.98.
    speed_multipliers
        Per-step multipliers on the *speed* of a step (2.0 halves its delay).
    data_noise
        Data-quality noise (0–1) that the departmental silo exports carry.
    flywheel
        When true, promoters among customers (NPS 9–10) refer new inquiries.
    monthly_inquiry_growth
        Growth of the market's monthly inquiries (0.015 = 1.5% a month).
    gross_margin
        Gross margin on subscription revenue (for LTV and payback).
    founded_years_before_start
        Age of the company when the history starts. Those years are simulated
        with the same engine and discarded (a warm-up), so the history opens on
        an installed base of every tenure, with a team its plan has grown;
        ``0`` starts a new company with no customers.
    employees_other
        General and administrative staff (finance, HR, legal, IT) at scale 1.
    """

    months: int = 36
    start: str = "2023-01-01"
    scale: float = 1.0
    org_model: str = "aligned"
    gtm_motion: str = "SLG"
    segment_mix: Mapping[str, float] | None = None
    mql_threshold: float | None = None
    handoff_delay_days: float | None = None
    discount_pressure: float | None = None
    context_loss: float | None = None
    lead_routing: str | None = None
    inside_sales_reps: int | None = None
    handoff_sla_days: float | None = None
    conversion_multipliers: Mapping[str, float] = field(default_factory=lambda: _frozen({}))
    speed_multipliers: Mapping[str, float] = field(default_factory=lambda: _frozen({}))
    data_noise: float = 0.1
    monthly_inquiry_growth: float = 0.012
    flywheel: bool = True
    gross_margin: float = 0.78
    currency: str = "JPY"
    segments: tuple[Segment, ...] = _DEFAULT_SEGMENTS
    channels: tuple[Channel, ...] = _DEFAULT_CHANNELS
    founded_years_before_start: float = 4.0
    employees_other: int = 40

    def __post_init__(self) -> None:
        problems = []
        if not isinstance(self.months, int) or not 6 <= self.months <= 120:
            problems.append(f"months must be an int from 6 to 120, got {self.months!r}")
        if not (isinstance(self.scale, (int, float)) and 0.05 <= self.scale <= 100):
            problems.append(f"scale must be a number from 0.05 to 100, got {self.scale!r}")
        if self.org_model not in ORG_MODELS:
            problems.append(f"org_model must be one of {ORG_MODELS}, got {self.org_model!r}")
        if self.gtm_motion not in GTM_MOTIONS:
            problems.append(f"gtm_motion must be one of {GTM_MOTIONS}, got {self.gtm_motion!r}")
        if not (isinstance(self.founded_years_before_start, (int, float))
                and 0 <= self.founded_years_before_start <= 10):
            problems.append("founded_years_before_start must be a number of years from 0 to 10, "
                            f"got {self.founded_years_before_start!r}")
        if not 0 <= self.data_noise <= 1:
            problems.append(f"data_noise must be from 0 to 1, got {self.data_noise!r}")
        for name in ("mql_threshold", "discount_pressure", "context_loss"):
            value = getattr(self, name)
            if value is not None and not 0 <= value <= 1:
                problems.append(f"{name} must be None or from 0 to 1, got {value!r}")
        if self.lead_routing is not None and self.lead_routing not in LEAD_ROUTINGS:
            problems.append(
                f"lead_routing must be None or one of {LEAD_ROUTINGS}, got {self.lead_routing!r}")
        if self.inside_sales_reps is not None and not (
                isinstance(self.inside_sales_reps, int) and self.inside_sales_reps >= 1):
            problems.append(
                f"inside_sales_reps must be None or an int >= 1, got {self.inside_sales_reps!r}")
        for name in ("handoff_delay_days", "handoff_sla_days"):
            value = getattr(self, name)
            if value is not None and not value >= 0:
                problems.append(f"{name} must be None or >= 0 days, got {value!r}")
        for name in ("conversion_multipliers", "speed_multipliers"):
            mapping = getattr(self, name)
            unknown = sorted(set(mapping) - set(CONVERSION_STEPS) - {"all"})
            if unknown:
                problems.append(
                    f"{name} keys must come from {CONVERSION_STEPS + ('all',)}, got {unknown}"
                )
            bad = {k: v for k, v in mapping.items() if not v > 0}
            if bad:
                problems.append(f"{name} values must be > 0, got {bad}")
        if self.segment_mix is not None:
            unknown = sorted(set(self.segment_mix) - set(SEGMENTS))
            total = sum(self.segment_mix.values())
            if unknown or abs(total - 1) > 1e-6 or min(self.segment_mix.values()) < 0:
                problems.append(
                    f"segment_mix must map {SEGMENTS} to shares >= 0 summing to 1, "
                    f"got {dict(self.segment_mix)!r}"
                )
        try:
            start = _parse_month_start(self.start)
        except ValueError:
            start = None
        if start is None:
            problems.append(f"start must be a date 'YYYY-MM-01', got {self.start!r}")
        if problems:
            raise ValueError("invalid CompanyConfig:\n- " + "\n- ".join(problems))
        # Freeze mappings so that a config can be hashed into a cache key.
        object.__setattr__(self, "conversion_multipliers", _frozen(self.conversion_multipliers))
        object.__setattr__(self, "speed_multipliers", _frozen(self.speed_multipliers))
        if self.segment_mix is not None:
            object.__setattr__(self, "segment_mix", _frozen(self.segment_mix))

    @property
    def levers(self) -> OrgLevers:
        """The org-model preset with any explicit lever overrides applied."""
        preset = ORG_PRESETS[self.org_model]
        overrides = {
            f.name: getattr(self, f.name)
            for f in dataclasses.fields(OrgLevers)
            if getattr(self, f.name) is not None
        }
        return dataclasses.replace(preset, **overrides)

    def conversion_multiplier(self, step: str) -> float:
        """Multiplier on one step's conversion probability (``"all"`` applies to every step)."""
        return self.conversion_multipliers.get(step, 1.0) * self.conversion_multipliers.get(
            "all", 1.0
        )

    def speed_multiplier(self, step: str) -> float:
        """Multiplier on one step's speed (delays are divided by it)."""
        return self.speed_multipliers.get(step, 1.0) * self.speed_multipliers.get("all", 1.0)

    def segment_shares(self) -> dict[str, float]:
        """Share of leads per segment."""
        if self.segment_mix is not None:
            return {s: float(self.segment_mix.get(s, 0.0)) for s in SEGMENTS}
        return {s.name: s.lead_share for s in self.segments}

    def to_dict(self) -> dict:
        """A plain, JSON-friendly dict of the config (for reports and cache keys)."""
        out = {}
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            if isinstance(value, Mapping):
                value = dict(value)
            elif isinstance(value, tuple):
                value = [dataclasses.asdict(v) for v in value]
            out[f.name] = value
        return out


def _parse_month_start(text: str):
    import datetime as _dt

    value = _dt.date.fromisoformat(text)
    if value.day != 1:
        raise ValueError(text)
    return value


#: Named company profiles a report runner can pick by name.
PROFILES: Mapping[str, Mapping[str, object]] = _frozen({
    "default": _frozen({}),
    "siloed": _frozen({"org_model": "siloed"}),
    "startup": _frozen({"scale": 0.25, "months": 24, "founded_years_before_start": 1.0,
                        "employees_other": 8}),
    "enterprise": _frozen({"segment_mix": {"SMB": 0.3, "MM": 0.4, "ENT": 0.3}}),
    "plg": _frozen({"gtm_motion": "PLG"}),
    "mlg": _frozen({"gtm_motion": "MLG"}),
})


def company_profile(name: str = "default", **overrides) -> CompanyConfig:
    """Build the :class:`CompanyConfig` of a named profile, with overrides.

    Examples
    --------
    >>> company_profile("siloed").levers.mql_threshold
    0.58
    >>> company_profile("default", months=12).months
    12
    """
    if name not in PROFILES:
        raise ValueError(f"profile must be one of {sorted(PROFILES)}, got {name!r}")
    return CompanyConfig(**{**PROFILES[name], **overrides})
