"""Chapter 4 as data: charter, operating model, governance, waterfall RACI, SLAs and readiness."""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
import numbers
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

import numpy as np
import pandas as pd

from ._lang import resolve_lang
from ._lang import text as _tr
from ._seeds import check_seeds
from .config import CompanyConfig
from .simulate import Company, headcount, simulate_company  # noqa: F401 (doctests)
from .style import format_yen
from .sweep import per_seed, sweep

__all__ = [
    "DEPARTMENTS",
    "WATERFALL_STAGES",
    "RACI_LETTERS",
    "PILLARS",
    "GOVERNANCE_MODELS",
    "GOVERNANCE_DOMAINS",
    "Goal",
    "Milestone",
    "Responsibility",
    "Charter",
    "build_charter",
    "Pillar",
    "OperatingModel",
    "operating_model",
    "governance_models",
    "talent_sources",
    "waterfall_stages",
    "waterfall_raci",
    "RaciError",
    "validate_raci",
    "accountable_departments",
    "handoff_sla",
    "sla_sweep",
    "ReadinessProfile",
    "LEANDATA_PROFILE",
    "CompanySize",
    "company_size",
    "Readiness",
    "readiness",
    "revops_business_case",
    "PlanStep",
    "ONBOARDING_PLAN",
    "onboarding_plan",
    "communication_plan",
    "kpi_tree",
]

#: Departments of the revenue organisation that own stages of the demand waterfall.
DEPARTMENTS: tuple[str, ...] = (
    "marketing", "inside_sales", "field_sales", "customer_success", "revops",
)

#: Stages of SiriusDecisions' rearchitected demand waterfall, as the article lists them.
WATERFALL_STAGES: tuple[str, ...] = (
    "inquiry_inbound", "inquiry_outbound", "aql", "tal", "tql", "tgl", "sal", "sgl", "sql",
    "close",
)

#: The letters of a RACI matrix: Responsible, Accountable, Consulted, Informed.
RACI_LETTERS: Mapping[str, str] = MappingProxyType({
    "R": "Responsible: does the work of the stage",
    "A": "Accountable: owns the stage's outcome and answers for it (exactly one per stage)",
    "C": "Consulted: gives input before decisions (two-way)",
    "I": "Informed: kept up to date (one-way)",
})

#: The four pillars of the revenue operating model (the GTM strategy sits above them).
PILLARS: tuple[str, ...] = (
    "operations_management", "revenue_enablement", "revtech_management",
    "data_management_and_insights",
)

GOVERNANCE_MODELS: tuple[str, ...] = ("centralised", "decentralised", "hybrid")
GOVERNANCE_DOMAINS: tuple[str, ...] = ("process", "data", "technology")


def _text(value: Any, name: str, problems: list[str], *, allow_empty: bool = False) -> None:
    if not isinstance(value, str):
        problems.append(f"{name} must be a str, got {type(value).__name__} {value!r}")
    elif not allow_empty and not value.strip():
        problems.append(f"{name} must be a non-empty str, got {value!r}")


def _date(value: Any) -> dt.date | None:
    """A date from a ``date``, a ``Timestamp`` or an ISO string; None if it is none of those."""
    if isinstance(value, pd.Timestamp):
        return None if pd.isna(value) else value.date()
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value.strip())
        except ValueError:
            return None
    return None


def _finite(value: Any) -> bool:
    return (isinstance(value, numbers.Real) and not isinstance(value, bool | np.bool_)
            and math.isfinite(float(value)))


def _raise(problems: list[str], what: str) -> None:
    if problems:
        noun = "problem" if len(problems) == 1 else "problems"
        raise ValueError(_tr(en=f"{what} has {len(problems)} {noun}:\n- ",
                             ja=f"{what}に{len(problems)}件の問題があります：\n- ")
                         + "\n- ".join(problems))


# =============================================================================== charter
@dataclass(frozen=True)
class Goal:
    """A measurable goal: a metric, a target value and the date to reach it by.

    Parameters
    ----------
    metric
        What is measured, e.g. ``"ARR"`` or ``"TQL/TGL → SAL acceptance"``.
    target
        The value to reach (a finite number).
    by
        The date to reach it by (a ``datetime.date`` or an ISO string ``"2026-12-31"``).
    baseline
        Today's value, if known (from the company's data).
    unit
        How to read the numbers: ``"yen"``, ``"share"`` (0.25 = 25%), ``"days"`` …

    Raises
    ------
    ValueError
        If the goal is not measurable: every missing or invalid part is listed.

    Examples
    --------
    >>> Goal("ARR", 3_000_000_000, "2026-12-31", unit="yen").by
    datetime.date(2026, 12, 31)
    >>> Goal("better alignment", None, "soon")
    Traceback (most recent call last):
    ...
    ValueError: goal 'better alignment' is not measurable (a metric, a target value and a date):
    - target must be a finite number, got None
    - by must be a date such as '2026-12-31', got 'soon'
    """

    metric: str
    target: float
    by: dt.date | str
    baseline: float | None = None
    unit: str = ""

    def __post_init__(self) -> None:
        problems: list[str] = []
        _text(self.metric, "metric", problems)
        if not _finite(self.target):
            problems.append(_tr(en=f"target must be a finite number, got {self.target!r}",
                                ja=f"target（目標値）は有限の数値にしてください（{self.target!r}）"))
        when = _date(self.by)
        if when is None:
            problems.append(_tr(en=f"by must be a date such as '2026-12-31', got {self.by!r}",
                                ja=f"by（期日）は'2026-12-31'のような日付にしてください"
                                   f"（{self.by!r}）"))
        else:
            object.__setattr__(self, "by", when)
        if self.baseline is not None and not _finite(self.baseline):
            problems.append(f"baseline must be None or a finite number, got {self.baseline!r}")
        _text(self.unit, "unit", problems, allow_empty=True)
        if problems:
            raise ValueError(_tr(en=f"goal {self.metric!r} is not measurable (a metric, a target "
                                    "value and a date):\n- ",
                                 ja=f"目標{self.metric!r}は測定できません（指標・目標値・期日が"
                                    "必要）：\n- ") + "\n- ".join(problems))

    def _format(self, value: float, lang: str = "en") -> str:
        if self.unit == "share":
            return f"{value:.0%}"
        if self.unit == "yen":
            return format_yen(value, lang="ja") if lang == "ja" else f"¥{value:,.0f}"
        text = f"{value:,.2f}".rstrip("0").rstrip(".")
        if lang == "ja":
            return text + _UNITS_JA.get(self.unit, self.unit)
        return f"{text} {self.unit}".rstrip()

    def describe(self, lang: str | None = None) -> str:
        """The goal in one line, in ``lang`` (default: the bound language).

        Examples
        --------
        >>> goal = Goal("win rate", 0.3, "2026-12-31", baseline=0.25, unit="share")
        >>> goal.describe("en")
        'win rate: from 25% to 30% by 2026-12-31'
        >>> goal.describe("ja")
        'win rate：2026-12-31までに25%から30%へ'
        """
        lang = resolve_lang(lang)
        target = self._format(self.target, lang)
        if lang == "ja":
            start = f"{self._format(self.baseline, lang)}から" if self.baseline is not None else ""
            return f"{self.metric}：{self.by:%Y-%m-%d}までに{start}{target}へ"
        start = f"from {self._format(self.baseline)} " if self.baseline is not None else ""
        return f"{self.metric}: {start}to {target} by {self.by:%Y-%m-%d}"

    def __str__(self) -> str:
        return self.describe("en")


#: Units of :class:`Goal` as Japanese readers write them after a number.
_UNITS_JA: Mapping[str, str] = MappingProxyType({"days": "日", "day": "日", "people": "人",
                                                 "months": "か月", "deals": "件"})


@dataclass(frozen=True)
class Milestone:
    """A dated step of the charter's schedule.

    Examples
    --------
    >>> Milestone("playbook v1 published", "2026-06-30").by
    datetime.date(2026, 6, 30)
    """

    name: str
    by: dt.date | str

    def __post_init__(self) -> None:
        problems: list[str] = []
        _text(self.name, "name", problems)
        when = _date(self.by)
        if when is None:
            problems.append(f"by must be a date such as '2026-06-30', got {self.by!r}")
        else:
            object.__setattr__(self, "by", when)
        _raise(problems, f"milestone {self.name!r}")


@dataclass(frozen=True)
class Responsibility:
    """One responsibility the charter gives RevOps: how much is done today and what it is worth.

    Parameters
    ----------
    name
        The responsibility, e.g. ``"define the handoff SLAs"``.
    pillar
        ``"gtm_strategy"`` or one of :data:`PILLARS`.
    current_state
        How much of it is done today, and by whom.
    potential_value
        What doing it well would be worth (best with a number from the data).

    Examples
    --------
    >>> Responsibility("define the handoff SLAs", "operations_management",
    ...                "no SLA; handoffs wait 3 days", "more SALs").pillar
    'operations_management'
    """

    name: str
    pillar: str
    current_state: str
    potential_value: str

    def __post_init__(self) -> None:
        problems: list[str] = []
        for name in ("name", "current_state", "potential_value"):
            _text(getattr(self, name), name, problems)
        allowed = ("gtm_strategy",) + PILLARS
        if self.pillar not in allowed:
            problems.append(f"pillar must be one of {allowed}, got {self.pillar!r}")
        _raise(problems, f"responsibility {self.name!r}")


def _as(cls: type, value: Any, name: str, problems: list[str]) -> Any:
    """Coerce a dict or a tuple into ``cls`` (collecting the error), or keep an instance."""
    if isinstance(value, cls):
        return value
    try:
        if isinstance(value, Mapping):
            return cls(**value)
        if isinstance(value, tuple | list):
            return cls(*value)
    except (TypeError, ValueError) as exc:
        message = str(exc)
        for separator, joined in ((":\n- ", ": "), ("：\n- ", "："), ("\n- ", "; ")):
            message = message.replace(separator, joined)
        problems.append(f"{name}: {message}")
        return None
    problems.append(f"{name} must be a {cls.__name__}, a dict or a tuple, got "
                    f"{type(value).__name__} {value!r}")
    return None


@dataclass(frozen=True)
class Charter:
    """A RevOps charter: the team's founding document, written before any org chart.

    It answers what the team is for (purpose), what it must achieve (measurable
    goals), what it covers (scope), with what (budget) and when (schedule);
    and, for each responsibility, how much is done today and what it is worth.
    Build one with :func:`build_charter`, which also accepts plain dicts.

    Parameters
    ----------
    name
        The title, e.g. ``"RevOps charter 2026"``.
    purpose
        Why the team exists, in a sentence or two.
    goals
        At least one measurable :class:`Goal`.
    scope
        What the team covers (departments, processes, systems).
    budget_yen
        Yearly budget in yen (people and tools), >= 0.
    headcount
        People in the team, >= 1.
    schedule
        Dated :class:`Milestone` steps, in any order (kept sorted by date).
    responsibilities
        :class:`Responsibility` items.
    sponsor
        The executive the team reports to (usually the CRO, sometimes the CEO).

    Raises
    ------
    ValueError
        Listing every problem at once; a charter without a measurable goal is refused.

    Examples
    --------
    >>> charter = build_charter(
    ...     name="RevOps charter", purpose="One revenue process from inquiry to renewal.",
    ...     goals=[{"metric": "ARR", "target": 3e9, "by": "2026-12-31", "unit": "yen"}],
    ...     scope=["marketing", "sales"], budget_yen=40_000_000, headcount=3,
    ...     schedule=[("playbook v1", "2026-06-30")],
    ...     responsibilities=[("handoff SLAs", "operations_management", "none", "more SALs")])
    >>> print(charter.goals[0])
    ARR: to ¥3,000,000,000 by 2026-12-31
    >>> build_charter(name="RevOps", purpose="Align teams.", goals=[], scope=["sales"],
    ...               budget_yen=1, headcount=1, schedule=[], responsibilities=[])
    Traceback (most recent call last):
    ...
    ValueError: charter 'RevOps' has 1 problem:
    - goals must hold at least one measurable goal (a metric, a target value and a date), got none
    """

    name: str
    purpose: str
    goals: tuple[Goal, ...]
    scope: tuple[str, ...]
    budget_yen: float
    headcount: int
    schedule: tuple[Milestone, ...] = ()
    responsibilities: tuple[Responsibility, ...] = ()
    sponsor: str = "CRO"

    def __post_init__(self) -> None:
        problems: list[str] = []
        _text(self.name, "name", problems)
        _text(self.purpose, "purpose", problems)
        _text(self.sponsor, "sponsor", problems)
        given = problems.copy()
        goals = _items(self.goals, "goals", Goal, problems)
        if goals is not None and not goals and problems == given:
            problems.append(_tr(en="goals must hold at least one measurable goal (a metric, a "
                                   "target value and a date), got none",
                                ja="goalsには測定できる目標（指標・目標値・期日）が少なくとも1つ"
                                   "必要ですが、ありません"))
        scope = self.scope
        if isinstance(scope, str) or not isinstance(scope, Iterable):
            problems.append(f"scope must be a list of str, got {type(scope).__name__} {scope!r}")
            scope = ()
        else:
            scope = tuple(scope)
            if not scope:
                problems.append("scope must name at least one area, got none")
            for i, item in enumerate(scope):
                _text(item, f"scope[{i}]", problems)
        if not _finite(self.budget_yen) or self.budget_yen < 0:
            problems.append(f"budget_yen must be a number >= 0, got {self.budget_yen!r}")
        if (isinstance(self.headcount, bool) or not isinstance(self.headcount, numbers.Integral)
                or self.headcount < 1):
            problems.append(f"headcount must be an int >= 1, got {self.headcount!r}")
        schedule = _items(self.schedule, "schedule", Milestone, problems)
        duties = _items(self.responsibilities, "responsibilities", Responsibility, problems)
        _raise(problems, _tr(en=f"charter {self.name!r}", ja=f"チャーター{self.name!r}"))
        object.__setattr__(self, "goals", goals)
        object.__setattr__(self, "scope", scope)
        object.__setattr__(self, "schedule", tuple(sorted(schedule, key=lambda m: m.by)))
        object.__setattr__(self, "responsibilities", duties)

    def responsibilities_frame(self) -> pd.DataFrame:
        """The responsibilities as a table (one row each), for sorting and filtering."""
        columns = ["name", "pillar", "current_state", "potential_value"]
        return pd.DataFrame([dataclasses.asdict(r) for r in self.responsibilities],
                            columns=columns)

    def to_markdown(self, lang: str | None = None) -> str:
        """The charter as a Markdown document (show it with ``IPython.display.Markdown``).

        Its headings are written in ``lang`` (default: the bound language); the charter's own
        text is shown as given.

        Examples
        --------
        >>> charter = build_charter(
        ...     name="RevOps charter", purpose="One process.",
        ...     goals=[("win rate", 0.3, "2026-12-31", 0.25, "share")], scope=["sales"],
        ...     budget_yen=1e7, headcount=1)
        >>> print(charter.to_markdown().splitlines()[0])
        ## RevOps charter
        >>> "- win rate: from 25% to 30% by 2026-12-31" in charter.to_markdown()
        True
        >>> print(charter.to_markdown("ja").splitlines()[2])
        **目的** One process.
        """
        if resolve_lang(lang) == "ja":
            return self._markdown_ja()
        lines = [f"## {self.name}", "", f"**Purpose.** {self.purpose}", "",
                 f"**Sponsor.** Reports to the {self.sponsor}.", "", "**Goals (measurable).**",
                 ""]
        lines += [f"- {goal}" for goal in self.goals]
        lines += ["", "**Scope.** " + ", ".join(self.scope) + ".", "",
                  f"**Budget.** ¥{self.budget_yen:,.0f} a year; {self.headcount} "
                  f"{'person' if self.headcount == 1 else 'people'}.", ""]
        if self.schedule:
            lines += ["**Schedule.**", ""]
            lines += [f"- {m.by:%Y-%m-%d}: {m.name}" for m in self.schedule]
            lines += [""]
        if self.responsibilities:
            lines += ["**Responsibilities, today and their potential value.**", "",
                      "| responsibility | pillar | done today | potential value |",
                      "|---|---|---|---|"]
            lines += [f"| {r.name} | {r.pillar.replace('_', ' ')} | {r.current_state} | "
                      f"{r.potential_value} |" for r in self.responsibilities]
        return "\n".join(lines).rstrip() + "\n"

    def _markdown_ja(self) -> str:
        pillars = {p.key: p.name_ja for p in operating_model().parts}
        lines = [f"## {self.name}", "", f"**目的** {self.purpose}", "",
                 f"**スポンサー** {self.sponsor}の直属。", "", "**目標（測定可能なもの）**", ""]
        lines += [f"- {goal.describe('ja')}" for goal in self.goals]
        lines += ["", "**範囲** " + "、".join(self.scope) + "。", "",
                  f"**予算** 年間{format_yen(self.budget_yen, lang='ja')}、"
                  f"{self.headcount}人。", ""]
        if self.schedule:
            lines += ["**スケジュール**", ""]
            lines += [f"- {m.by:%Y-%m-%d}：{m.name}" for m in self.schedule]
            lines += [""]
        if self.responsibilities:
            lines += ["**担う責任：現状と、うまく果たせたときの価値**", "",
                      "| 責任 | 柱 | 現状 | 期待される価値 |", "|---|---|---|---|"]
            lines += [f"| {r.name} | {pillars.get(r.pillar, r.pillar)} | {r.current_state} | "
                      f"{r.potential_value} |" for r in self.responsibilities]
        return "\n".join(lines).rstrip() + "\n"


def _items(values: Any, name: str, cls: type, problems: list[str]) -> tuple | None:
    if isinstance(values, str | Mapping) or not isinstance(values, Iterable):
        problems.append(f"{name} must be a list of {cls.__name__} (or dicts), got "
                        f"{type(values).__name__} {values!r}")
        return None
    out = []
    for i, value in enumerate(values):
        item = _as(cls, value, f"{name}[{i}]", problems)
        if item is not None:
            out.append(item)
    return tuple(out)


def build_charter(*, name: str, purpose: str, goals: Iterable, scope: Iterable[str],
                  budget_yen: float, headcount: int, schedule: Iterable = (),
                  responsibilities: Iterable = (), sponsor: str = "CRO") -> Charter:
    """Build a :class:`Charter` from plain Python values, refusing it with every problem listed.

    ``goals``, ``schedule`` and ``responsibilities`` take instances, dicts of
    their fields or tuples in field order: ``("ARR", 3e9, "2026-12-31")``.

    Raises
    ------
    ValueError
        If any part is missing or invalid; a charter needs at least one
        measurable goal (a metric, a target value and a date).

    Examples
    --------
    >>> build_charter(name="RevOps", purpose="Align teams.",
    ...               goals=[{"metric": "alignment", "target": None, "by": None}],
    ...               scope=["sales"], budget_yen=-5, headcount=0)
    ... # doctest: +NORMALIZE_WHITESPACE
    Traceback (most recent call last):
    ...
    ValueError: charter 'RevOps' has 3 problems:
    - goals[0]: goal 'alignment' is not measurable (a metric, a target value and a date):
      target must be a finite number, got None; by must be a date such as '2026-12-31', got None
    - budget_yen must be a number >= 0, got -5
    - headcount must be an int >= 1, got 0
    """
    return Charter(name=name, purpose=purpose, goals=goals, scope=scope, budget_yen=budget_yen,
                   headcount=headcount, schedule=schedule, responsibilities=responsibilities,
                   sponsor=sponsor)


# ======================================================================= operating model
@dataclass(frozen=True)
class Pillar:
    """One part of the revenue operating model and its responsibilities.

    Examples
    --------
    >>> Pillar("revenue_enablement", "Revenue enablement", "レベニューイネーブルメント",
    ...        "Help the field teams execute.", ("training",)).responsibilities
    ('training',)
    """

    key: str
    name_en: str
    name_ja: str
    purpose: str
    responsibilities: tuple[str, ...]

    def __post_init__(self) -> None:
        problems: list[str] = []
        for name in ("key", "name_en", "name_ja", "purpose"):
            _text(getattr(self, name), name, problems)
        duties = self.responsibilities
        if isinstance(duties, str) or not isinstance(duties, Iterable):
            problems.append(f"responsibilities must be a list of str, got {duties!r}")
        else:
            duties = tuple(duties)
            for i, duty in enumerate(duties):
                _text(duty, f"responsibilities[{i}]", problems)
            object.__setattr__(self, "responsibilities", duties)
        _raise(problems, f"pillar {self.key!r}")


@dataclass(frozen=True)
class OperatingModel:
    """The revenue operating model: a GTM strategy on top of the four pillars.

    Inspect it with :meth:`to_frame`; extend it with :meth:`with_responsibility`
    (a new model is returned, the original is untouched).

    Parameters
    ----------
    gtm_strategy
        The go-to-market strategy, shared with the revenue organisation as the RevOps playbook.
    pillars
        The pillars below it.
    reports_to
        Who the RevOps team reports to (usually the CRO, sometimes the CEO).
    """

    gtm_strategy: Pillar
    pillars: tuple[Pillar, ...]
    reports_to: str = "CRO"

    def __post_init__(self) -> None:
        problems: list[str] = []
        if not isinstance(self.gtm_strategy, Pillar):
            problems.append(f"gtm_strategy must be a Pillar, got {self.gtm_strategy!r}")
        pillars = tuple(self.pillars)
        for i, pillar in enumerate(pillars):
            if not isinstance(pillar, Pillar):
                problems.append(f"pillars[{i}] must be a Pillar, got {pillar!r}")
        keys = [p.key for p in (self.gtm_strategy, *pillars) if isinstance(p, Pillar)]
        repeated = sorted({k for k in keys if keys.count(k) > 1})
        if repeated:
            problems.append(f"pillar keys must be unique, got repeats of {repeated}")
        _text(self.reports_to, "reports_to", problems)
        _raise(problems, "operating model")
        object.__setattr__(self, "pillars", pillars)

    @property
    def parts(self) -> tuple[Pillar, ...]:
        """The GTM strategy followed by the pillars."""
        return (self.gtm_strategy, *self.pillars)

    def part(self, key: str) -> Pillar:
        """The part (GTM strategy or pillar) named ``key``.

        Raises
        ------
        KeyError
            Naming the known keys.
        """
        for part in self.parts:
            if part.key == key:
                return part
        raise KeyError(f"key must be one of {[p.key for p in self.parts]}, got {key!r}")

    def to_frame(self) -> pd.DataFrame:
        """One row per responsibility: part, its names in English and Japanese, responsibility.

        Examples
        --------
        >>> frame = operating_model().to_frame()
        >>> frame["part"].unique().tolist()[:2]
        ['gtm_strategy', 'operations_management']
        """
        rows = [{"part": p.key, "name_en": p.name_en, "name_ja": p.name_ja,
                 "responsibility": duty}
                for p in self.parts for duty in p.responsibilities]
        return pd.DataFrame(rows, columns=["part", "name_en", "name_ja", "responsibility"])

    def with_responsibility(self, key: str, responsibility: str) -> OperatingModel:
        """A copy with one more responsibility in part ``key``.

        Examples
        --------
        >>> model = operating_model()
        >>> bigger = model.with_responsibility("revenue_enablement", "run the sales kick-off")
        >>> len(bigger.to_frame()) - len(model.to_frame())
        1
        """
        part = self.part(key)
        problems: list[str] = []
        _text(responsibility, "responsibility", problems)
        _raise(problems, f"responsibility for {key!r}")
        new = dataclasses.replace(part, responsibilities=part.responsibilities
                                  + (responsibility,))
        if part is self.gtm_strategy:
            return dataclasses.replace(self, gtm_strategy=new)
        return dataclasses.replace(
            self, pillars=tuple(new if p is part else p for p in self.pillars))

    def to_markdown(self, lang: str | None = None) -> str:
        """The model as Markdown: the reporting line, the GTM strategy and each pillar.

        Written in ``lang`` (default: the bound language); a responsibility added in another
        language is shown as written.

        Examples
        --------
        >>> print(operating_model().to_markdown("ja").splitlines()[0])
        **RevOpsはCROの直属です。**
        """
        lang = resolve_lang(lang)
        if lang == "ja":
            lines = [f"**RevOpsは{self.reports_to}の直属です。**", ""]
            for part in self.parts:
                lines.append(f"- **{part.name_ja}**（{part.name_en}）：{_ja(part.purpose, lang)}")
                lines += [f"    - {_ja(duty, lang)}" for duty in part.responsibilities]
            return "\n".join(lines) + "\n"
        lines = [f"**RevOps reports to the {self.reports_to}.**", ""]
        for part in self.parts:
            lines.append(f"- **{part.name_en}** ({part.name_ja}): {part.purpose}")
            lines += [f"    - {duty}" for duty in part.responsibilities]
        return "\n".join(lines) + "\n"


def operating_model() -> OperatingModel:
    """The revenue operating model of chapter 4: GTM strategy plus four pillars.

    Examples
    --------
    >>> model = operating_model()
    >>> [p.key for p in model.pillars] == list(PILLARS)
    True
    >>> model.reports_to
    'CRO'
    """
    gtm = Pillar(
        "gtm_strategy", "Go-to-market strategy", "Go-To-Market戦略",
        "Turn the business goals into a plan every revenue team works from, shared as the "
        "RevOps playbook and updated as things change.",
        ("set revenue targets", "design the revenue organisation",
         "manage stakeholders across departments", "decide resource priorities",
         "build the revenue model", "publish and update the RevOps playbook"),
    )
    pillars = (
        Pillar("operations_management", "Operations management", "オペレーションマネジメント",
               "Design, run and answer for the whole revenue process and its workflows.",
               ("design and run the revenue process end to end",
                "define milestones: MQL/AQL, SQL, opportunity stages",
                "define and manage the handoff SLAs between departments",
                "design automated workflows (and the manual steps left)")),
        Pillar("revenue_enablement", "Revenue enablement", "レベニューイネーブルメント",
               "Help the field teams carry out the strategy productively and deliver value "
               "to customers.",
               ("train people on the process and the systems", "coach and develop the teams",
                "provide content for each stage", "design incentives with the teams",
                "ease communication between departments")),
        Pillar("revtech_management", "RevTech management", "RevTechマネジメント",
               "Make the whole revenue organisation efficient with one technology stack.",
               ("design the revenue technology stack", "build and integrate the tools",
                "administer and run the tools", "align every tool's requirements and fields")),
        Pillar("data_management_and_insights", "Data management & insights",
               "データマネジメント・インサイト",
               "Own the revenue data end to end and give every team the same unbiased analysis.",
               ("collect and process data across the revenue process",
                "set the data strategy and governance", "decide which fields are collected",
                "report the shared KPIs", "run forecast and pipeline analysis centrally")),
    )
    return OperatingModel(gtm, pillars, reports_to="CRO")


# ============================================================================ governance
_GOVERNANCE = {
    "centralised": {
        "who": "one central operations team",
        "process": ("designs and runs the whole revenue process and its definitions",
                    "one definition of every stage and handoff, end to end",
                    "every local change waits in the central team's queue"),
        "data": ("collects, processes, stores and reports all revenue data",
                 "one source of truth and unbiased reporting",
                 "departments depend on the central team for each analysis"),
        "technology": ("owns and administers the whole revenue tech stack",
                       "one integrated stack, no duplicate tools",
                       "slower to adopt a tool only one team needs"),
    },
    "decentralised": {
        "who": "each department, region or business unit",
        "process": ("designs and runs its own part of the process",
                    "fits local needs; fast local change",
                    "handoffs between departments go undefined; leads fall between stages"),
        "data": ("keeps and reports its own data",
                 "each team knows its own data well",
                 "each system tells a different 'truth'; numbers do not reconcile"),
        "technology": ("buys and runs its own tools",
                       "the best tool for each team's job",
                       "tool silos, duplicate licences, costly integration"),
    },
    "hybrid": {
        "who": "a central team for strategy and key processes; departments for the rest",
        "process": ("centre owns the waterfall stages, handoffs and SLAs; teams own the rest",
                    "consistent where departments meet, flexible inside them",
                    "the line between central and local must be negotiated and kept"),
        "data": ("centre owns definitions, governance and the shared dataset; teams analyse it",
                 "one truth with local analysis on top",
                 "needs clear data ownership, or local copies drift again"),
        "technology": ("centre owns the core platform and integration standards; teams add "
                       "tools within them",
                       "a common core with room for local tools",
                       "add-on tools multiply unless the standards are enforced"),
    },
}


def governance_models(*, lang: str | None = None) -> pd.DataFrame:
    """The three governance models over process, data and technology, with their trade-offs.

    Tidy: one row per model and domain, with who manages it, what they do,
    the strength and the weakness. RevOps defaults to ``centralised`` (the
    ``revops_default`` column): it oversees everything.

    Examples
    --------
    >>> frame = governance_models()
    >>> frame.shape
    (9, 7)
    >>> frame.loc[frame["revops_default"], "model"].unique().tolist()
    ['centralised']
    >>> governance_models(lang="ja").loc[0, "strength"]
    'すべてのステージと引き継ぎに、端から端まで一つの定義'
    """
    rows = []
    for model in GOVERNANCE_MODELS:
        info = _GOVERNANCE[model]
        for domain in GOVERNANCE_DOMAINS:
            does, strength, weakness = info[domain]
            rows.append({"model": model, "domain": domain, "who_manages": info["who"],
                         "what_they_do": does, "strength": strength, "weakness": weakness,
                         "revops_default": model == "centralised"})
    return _localise(pd.DataFrame(rows), ["who_manages", "what_they_do", "strength", "weakness"],
                     lang)


def talent_sources(*, lang: str | None = None) -> pd.DataFrame:
    """Where the book suggests finding RevOps people in Japan, by pillar.

    Examples
    --------
    >>> talent_sources()["pillar"].tolist()[0]
    'revtech_management'
    """
    rows = [
        ("revtech_management", "IT or information-systems department",
         "experience running business systems, integrations and their security"),
        ("operations_management", "project managers with marketing knowledge",
         "running cross-team projects and knowing how demand is generated"),
        ("operations_management", "sales, with deep SFA/CRM knowledge",
         "knowing the sales process and the data the CRM holds about it"),
    ]
    return _localise(pd.DataFrame(rows, columns=["pillar", "source", "what_they_bring"]),
                     ["source", "what_they_bring"], lang)


# ============================================================================== waterfall
_STAGE_INFO = (
    ("inquiry_inbound", "inquiry", "an inbound response: ads, web forms, events, referrals"),
    ("inquiry_outbound", "inquiry", "an outbound contact: prospecting by inside or field sales"),
    ("aql", "marketing qualification",
     "automation-qualified lead: marketing's automation thinks it is promising"),
    ("tal", "marketing qualification",
     "teleprospecting-accepted lead: inside sales agrees it is promising"),
    ("tql", "marketing qualification",
     "teleprospecting-qualified lead: ready to hand to sales"),
    ("tgl", "marketing qualification",
     "teleprospecting-generated lead: inside sales set an appointment itself"),
    ("sal", "sales qualification", "sales-accepted lead: sales accepted the handed-over lead"),
    ("sgl", "sales qualification", "sales-generated lead: sales found it itself"),
    ("sql", "sales qualification", "sales-qualified lead: SALs plus SGLs that sales qualifies"),
    ("close", "close", "the deal is won or lost"),
)


def waterfall_stages(*, lang: str | None = None) -> pd.DataFrame:
    """The rearchitected demand waterfall's stages, their phase and meaning.

    Examples
    --------
    >>> waterfall_stages().loc["tgl", "phase"]
    'marketing qualification'
    """
    frame = pd.DataFrame(list(_STAGE_INFO), columns=["stage", "phase", "meaning"])
    return _localise(frame, ["phase", "meaning"], lang).set_index("stage")


_SUGGESTED_RACI = {
    #                   marketing  inside_sales field_sales customer_success revops
    "inquiry_inbound": ("A/R", "I", "", "", "C"),
    "inquiry_outbound": ("I", "A/R", "R", "", "C"),
    "aql": ("A/R", "I", "", "", "C"),
    "tal": ("C", "A/R", "", "", "C"),
    "tql": ("C", "A/R", "I", "", "C"),
    "tgl": ("I", "A/R", "I", "", "C"),
    "sal": ("I", "C", "A/R", "", "C"),
    "sgl": ("I", "", "A/R", "", "C"),
    "sql": ("I", "C", "A/R", "", "C"),
    "close": ("I", "I", "A/R", "C", "C"),
}


def waterfall_raci() -> pd.DataFrame:
    """A suggested ownership of the demand waterfall as a RACI matrix.

    Rows are :data:`WATERFALL_STAGES`, columns :data:`DEPARTMENTS`; a cell
    holds letters of :data:`RACI_LETTERS` (``"A/R"``: accountable and doing
    the work) or ``""``. Marketing owns inbound inquiries and AQLs; inside
    sales owns outbound prospecting, TALs, TQLs and TGLs; field sales owns
    SALs, SGLs, SQLs and the close. RevOps is consulted at every stage: it
    defines the stages and their SLAs and reports on them, but the
    departments own the outcomes. It is one design, not the only one: change
    a copy and check it with :func:`validate_raci`.

    Examples
    --------
    >>> raci = waterfall_raci()
    >>> raci.loc["sal", "field_sales"], raci.loc["aql", "marketing"]
    ('A/R', 'A/R')
    >>> validate_raci(raci) is raci
    True
    """
    frame = pd.DataFrame.from_dict(_SUGGESTED_RACI, orient="index", columns=list(DEPARTMENTS))
    frame.index.name = "stage"
    return frame


class RaciError(ValueError):
    """A RACI matrix with problems; ``problems`` lists every one of them."""

    def __init__(self, problems: Sequence[str]) -> None:
        self.problems = list(problems)
        noun = "problem" if len(self.problems) == 1 else "problems"
        super().__init__(_tr(en=f"the RACI matrix has {len(self.problems)} {noun}:\n- ",
                             ja=f"RACIマトリクスに{len(self.problems)}件の問題があります：\n- ")
                         + "\n- ".join(self.problems))


def _letters(value: Any) -> frozenset[str] | None:
    """The RACI letters of a cell (empty for blank cells), or None if the cell is invalid."""
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA:
        return frozenset()
    if not isinstance(value, str):
        return None
    text = value.upper()
    for sep in "/,+ -":
        text = text.replace(sep, "")
    if any(ch not in RACI_LETTERS for ch in text):
        return None
    return frozenset(text)


def validate_raci(raci: pd.DataFrame, *, stages: Sequence[str] = WATERFALL_STAGES
                  ) -> pd.DataFrame:
    """Check a RACI matrix of the waterfall: every stage has one Accountable and a Responsible.

    Parameters
    ----------
    raci
        Stages as rows (index), departments as columns, cells of RACI letters
        such as ``"A/R"``, ``"R"``, ``"C"``, ``"I"`` or ``""`` (blank, NaN).
    stages
        The stages the matrix must cover, exactly (default :data:`WATERFALL_STAGES`).

    Returns
    -------
    pandas.DataFrame
        ``raci`` itself, unchanged, when it has no problem.

    Raises
    ------
    TypeError
        If ``raci`` is not a DataFrame.
    RaciError
        A ``ValueError`` listing every problem at once: missing or unknown
        stages, repeated rows or columns, invalid cells, a stage with no
        Accountable or several, a stage with no Responsible.

    Examples
    --------
    >>> draft = waterfall_raci()
    >>> draft.loc["tql", "marketing"] = "A"   # marketing claims TQLs too
    >>> draft.loc["sal", "field_sales"] = "R"  # nobody answers for acceptance
    >>> draft.loc["close", "revops"] = "X"
    >>> validate_raci(draft)
    Traceback (most recent call last):
    ...
    revopslab.org.RaciError: the RACI matrix has 3 problems:
    - cell ('close', 'revops') holds 'X'; expected letters from R, A, C, I such as 'A/R', or ''
    - stage 'tql' has 2 Accountables (marketing, inside_sales); keep exactly one
    - stage 'sal' has no Accountable (A); name exactly one department
    """
    if not isinstance(raci, pd.DataFrame):
        raise TypeError("raci must be a pandas DataFrame with stages as rows and departments "
                        f"as columns, got {type(raci).__name__}")
    stages = list(stages)
    problems: list[str] = []
    if raci.shape[1] == 0:
        problems.append("raci has no department columns")
    if not raci.columns.is_unique:
        repeated = sorted({str(c) for c in raci.columns[raci.columns.duplicated()]})
        problems.append(f"departments must appear once each; repeated columns: {repeated}")
    if not raci.index.is_unique:
        repeated = sorted({str(s) for s in raci.index[raci.index.duplicated()]})
        problems.append(f"stages must appear once each; repeated rows: {repeated}")
    missing = [s for s in stages if s not in raci.index]
    if missing:
        problems.append(_tr(en=f"stages missing from the rows: {missing}",
                            ja=f"行にないステージ：{missing}"))
    unknown = [str(s) for s in raci.index if s not in stages]
    if unknown:
        problems.append(_tr(en=f"rows that are not stages of the waterfall: {unknown} "
                               f"(expected stages: {stages})",
                            ja=f"ウォーターフォールのステージではない行：{unknown}"
                               f"（ステージは{stages}）"))
    letters: dict[tuple[Any, Any], frozenset[str]] = {}
    for r, stage in enumerate(raci.index):
        for c, dept in enumerate(raci.columns):
            value = raci.iat[r, c]
            parsed = _letters(value)
            if parsed is None:
                problems.append(_tr(en=f"cell ({stage!r}, {dept!r}) holds {value!r}; expected "
                                       "letters from R, A, C, I such as 'A/R', or ''",
                                    ja=f"セル({stage!r}, {dept!r})の値{value!r}は使えません。"
                                       "R・A・C・Iの文字（'A/R'など）か''にしてください"))
                parsed = frozenset()
            letters[(r, c)] = parsed
    if raci.index.is_unique:
        for stage in [s for s in stages if s in raci.index]:
            r = raci.index.get_loc(stage)
            accountable = [str(d) for c, d in enumerate(raci.columns) if "A" in letters[(r, c)]]
            responsible = [d for c, d in enumerate(raci.columns) if "R" in letters[(r, c)]]
            if not accountable:
                problems.append(_tr(en=f"stage {stage!r} has no Accountable (A); name exactly "
                                       "one department",
                                    ja=f"ステージ{stage!r}に説明責任者（A）がいません。部門を"
                                       "ちょうど1つ指名してください"))
            elif len(accountable) > 1:
                problems.append(_tr(en=f"stage {stage!r} has {len(accountable)} Accountables "
                                       f"({', '.join(accountable)}); keep exactly one",
                                    ja=f"ステージ{stage!r}に説明責任者（A）が{len(accountable)}つ"
                                       f"あります（{', '.join(accountable)}）。"
                                       "1つだけにしてください"))
            if not responsible:
                problems.append(_tr(en=f"stage {stage!r} has no Responsible (R); someone must do "
                                       "the work",
                                    ja=f"ステージ{stage!r}に実行責任者（R）がいません。誰かが"
                                       "実際に作業する必要があります"))
    if problems:
        raise RaciError(problems)
    return raci


def accountable_departments(raci: pd.DataFrame, *, stages: Sequence[str] = WATERFALL_STAGES
                            ) -> pd.Series:
    """The one Accountable department of each stage of a valid RACI matrix.

    Raises
    ------
    RaciError
        If the matrix does not pass :func:`validate_raci`.

    Examples
    --------
    >>> accountable_departments(waterfall_raci())[["aql", "tql", "close"]].tolist()
    ['marketing', 'inside_sales', 'field_sales']
    """
    validate_raci(raci, stages=stages)
    owners = {}
    for stage in stages:
        row = raci.loc[stage]
        owners[stage] = next(str(d) for d, v in row.items() if "A" in _letters(v))
    return pd.Series(owners, name="accountable").rename_axis("stage")


# =========================================================================== handoff SLA
def _days(value: Any, name: str) -> float:
    if not _finite(value) or value < 0:
        raise ValueError(f"{name} must be a number of days >= 0 (6 hours = 0.25), got {value!r}")
    return float(value)


def _require_columns(frame: pd.DataFrame, columns: Iterable[str], name: str) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ValueError(f"{name} must have the columns {missing} (pass other names with the "
                         f"column arguments), got columns {list(frame.columns)}")


def handoff_sla(leads: pd.DataFrame, *, sla_days: float, delay_column: str = "handoff_days",
                accepted_column: str = "sal_at",
                outcome_columns: Sequence[str] = ("sql_at", "opportunity_at"),
                as_of: Any = None, mature_days: float = 90.0) -> pd.DataFrame:
    """Measure a handoff SLA on the data: breach rate and conversion of met vs breached handoffs.

    A handoff *breaches* the SLA when its delay (days from the hand-over to
    sales' acceptance) is longer than ``sla_days``. For each group the
    table gives the number of handoffs, their share (the breach rate is the
    ``share`` of ``"breached"``), the median delay and the share of
    *mature* handoffs that reached each outcome column. A handoff is mature
    when it was accepted at least ``mature_days`` before ``as_of`` (later
    stages need time; without ``as_of`` every handoff counts).

    Only handoffs with a recorded delay are measured. In the simulated
    company, as in many CRMs, the delay is only known for leads sales
    accepted, so this table cannot show the leads a slow handoff lost: see
    :func:`sla_sweep` for that.

    Parameters
    ----------
    leads
        One row per lead, with the delay, the acceptance time and the outcome columns.
    sla_days
        The SLA in days (6 hours = 0.25).
    delay_column, accepted_column, outcome_columns
        Column names (change them for a CRM export that names them differently).
    as_of
        The extraction date (e.g. ``company.as_of``), for the maturity rule.
    mature_days
        Days an accepted handoff needs before it counts in the conversions.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``"met"`` and ``"breached"``: ``handoffs``, ``share``,
        ``median_delay_days``, ``mature`` and one ``to_<outcome>`` rate per
        outcome column (``sql_at`` → ``to_sql``).

    Raises
    ------
    ValueError
        If a column is missing or ``sla_days`` / ``mature_days`` is not a number >= 0.

    Examples
    --------
    >>> t = pd.Timestamp("2025-01-01")
    >>> leads = pd.DataFrame({
    ...     "handoff_days": [0.5, 1.0, 3.0, 5.0, None],
    ...     "sal_at": [t, t, t, t, pd.NaT],
    ...     "sql_at": [t, t, pd.NaT, t, pd.NaT]})
    >>> table = handoff_sla(leads, sla_days=2, outcome_columns=["sql_at"])
    >>> table.columns.tolist()
    ['handoffs', 'share', 'median_delay_days', 'mature', 'to_sql']
    >>> table.loc["breached", ["share", "median_delay_days", "to_sql"]].tolist()
    [0.5, 4.0, 0.5]
    """
    sla_days = _days(sla_days, "sla_days")
    mature_days = _days(mature_days, "mature_days")
    if not isinstance(leads, pd.DataFrame):
        raise TypeError(f"leads must be a pandas DataFrame, got {type(leads).__name__}")
    outcome_columns = [outcome_columns] if isinstance(outcome_columns, str) else list(
        outcome_columns)
    _require_columns(leads, [delay_column, accepted_column, *outcome_columns], "leads")
    timed = leads[leads[delay_column].notna()]
    delay = timed[delay_column].astype(float)
    breached = delay > sla_days
    if as_of is None:
        mature = pd.Series(True, index=timed.index)
    else:
        cutoff = pd.Timestamp(as_of) - pd.Timedelta(days=mature_days)
        mature = timed[accepted_column] < cutoff
    rows = {}
    for name, mask in (("met", ~breached), ("breached", breached)):
        ripe = timed[mask & mature]
        row = {"handoffs": int(mask.sum()),
               "share": float(mask.mean()) if len(timed) else float("nan"),
               "median_delay_days": float(delay[mask].median()) if mask.any() else float("nan"),
               "mature": len(ripe)}
        for column in outcome_columns:
            key = "to_" + (column[:-3] if column.endswith("_at") else column)
            row[key] = float(ripe[column].notna().mean()) if len(ripe) else float("nan")
        rows[name] = row
    return pd.DataFrame.from_dict(rows, orient="index").rename_axis("handoff")


def _check_config(config: Any) -> CompanyConfig:
    if not isinstance(config, CompanyConfig):
        raise TypeError(f"config must be a CompanyConfig, got {type(config).__name__}")
    return config


def sla_sweep(config: CompanyConfig, *, sla_days: Sequence[float | None],
              seeds: Iterable[int]) -> pd.DataFrame:
    """Simulate the company under each handoff SLA, with the same seeds for every SLA.

    The simulator caps the TQL/TGL → SAL handoff delay at the SLA, and sales'
    acceptance decays with the delay, so a tighter SLA turns more handed
    leads into SALs. Every SLA runs with the same seeds (common random
    numbers), so differences between SLAs are the SLA's effect, not luck.

    Parameters
    ----------
    config
        The company (its ``handoff_sla_days`` is replaced by each SLA).
    sla_days
        The SLAs in days; ``None`` (no SLA) is reported as ``inf``.
    seeds
        The seeds to run each SLA with.

    Returns
    -------
    pandas.DataFrame
        One row per seed and SLA: ``seed``, ``sla_days``, ``handed`` (TQLs and
        TGLs), ``accepted`` (SALs among them), ``sal_rate``, ``opportunities``,
        ``won``, ``revenue`` (the sum of MRR over the history).

    Examples
    --------
    >>> from revopslab.config import CompanyConfig
    >>> small = CompanyConfig(months=6, scale=0.1, org_model="siloed")
    >>> sweep = sla_sweep(small, sla_days=[None, 1.0], seeds=[1])
    >>> sweep[["seed", "sla_days"]].values.tolist()
    [[1.0, inf], [1.0, 1.0]]
    >>> bool(sweep["sal_rate"].iloc[1] >= sweep["sal_rate"].iloc[0])
    True
    """
    config = _check_config(config)
    seeds = check_seeds(seeds)
    steps = list(sla_days)
    if not steps:
        raise ValueError("sla_days must list at least one SLA (None for no SLA), got none")
    for sla in steps:
        if sla is not None:
            _days(sla, "each of sla_days")
    arms = {str(i): dataclasses.replace(config, handoff_sla_days=sla)
            for i, sla in enumerate(steps)}
    # Every SLA starts on the history's first day, from one shared past.
    wide = per_seed(sweep(arms, seeds=seeds, measure=_sla_outcomes, history=config,
                          column="sla_days"), column="sla_days")
    days = [math.inf if sla is None else float(sla) for sla in steps]
    wide["sla_days"] = [days[int(label)] for label in wide["sla_days"]]
    for name in ("handed", "accepted", "opportunities", "won"):
        wide[name] = wide[name].astype(int)
    return wide


def _sla_outcomes(company: Company) -> dict[str, float]:
    """What :func:`sla_sweep` reads off one run."""
    leads = company.leads
    handed = leads["tql_at"].notna() | leads["tgl_at"].notna()
    accepted = handed & leads["sal_at"].notna()
    return {"handed": int(handed.sum()), "accepted": int(accepted.sum()),
            "sal_rate": float(accepted.sum() / max(int(handed.sum()), 1)),
            "opportunities": len(company.opportunities),
            "won": int(company.opportunities["is_won"].sum()),
            "revenue": float(company.mrr["mrr"].sum())}


# ============================================================================= readiness
@dataclass(frozen=True)
class ReadinessProfile:
    """The size and age from which a company should adopt RevOps (a rule of thumb).

    Examples
    --------
    >>> LEANDATA_PROFILE.min_customers, LEANDATA_PROFILE.min_employees, LEANDATA_PROFILE.min_years
    (500, 140, 6.5)
    """

    min_customers: int = 500
    min_employees: int = 140
    min_years: float = 6.5
    source: str = "LeanData"


#: LeanData's profile of the companies that should run RevOps: 500+ customers,
#: 140+ employees, founded 6.5+ years ago.
LEANDATA_PROFILE = ReadinessProfile()


@dataclass(frozen=True)
class CompanySize:
    """What the readiness check reads: paying customers, employees and years since founding.

    Examples
    --------
    >>> CompanySize(customers=620, employees=180, years=8.0).employees
    180
    """

    customers: int
    employees: int
    years: float
    name: str = ""

    def __post_init__(self) -> None:
        problems = []
        for attr in ("customers", "employees", "years"):
            value = getattr(self, attr)
            if not _finite(value) or value < 0:
                problems.append(f"{attr} must be a number >= 0, got {value!r}")
        _raise(problems, f"company size {self.name!r}" if self.name else "company size")


def company_size(company: Company, *, name: str = "") -> CompanySize:
    """Read the readiness inputs off a simulated company.

    * customers: accounts paying (MRR > 0) in the last month;
    * employees: everyone on the payroll in the last month (sales, customer
      success, marketing, managers, sales engineers, RevOps, product and
      engineering, general and administrative), read off the cost table by
      :func:`revopslab.simulate.headcount`;
    * years: ``config.founded_years_before_start`` plus the simulated months.

    Examples
    --------
    >>> from revopslab.config import CompanyConfig
    >>> from revopslab.simulate import headcount
    >>> company = simulate_company(CompanyConfig(months=12, scale=0.1), rng=1)
    >>> size = company_size(company)
    >>> heads = headcount(company)
    >>> last = heads["month"] == heads["month"].max()
    >>> size.years, size.employees == int(heads.loc[last, "headcount"].sum())
    (5.0, True)
    """
    if not isinstance(company, Company):
        raise TypeError(f"company must be a revopslab Company, got {type(company).__name__}")
    cfg = company.config
    mrr = company.mrr
    if len(mrr):
        last = mrr["month"].max()
        customers = int(mrr.loc[(mrr["month"] == last) & (mrr["mrr"] > 0),
                                "account_id"].nunique())
    else:
        customers = 0
    heads = headcount(company)
    employees = int(heads.loc[heads["month"] == heads["month"].max(), "headcount"].sum())
    return CompanySize(customers=customers, employees=employees,
                       years=float(cfg.founded_years_before_start + cfg.months / 12), name=name)


@dataclass(frozen=True, repr=False)
class Readiness:
    """The verdict of :func:`readiness`, with the check of each criterion.

    ``ready`` is True when every criterion is met; ``explain()`` (also the
    repr) says why in one paragraph; ``to_frame()`` gives one row per criterion.
    """

    size: CompanySize
    profile: ReadinessProfile

    def _checks(self) -> list[tuple[str, float, float]]:
        return [("customers", self.size.customers, self.profile.min_customers),
                ("employees", self.size.employees, self.profile.min_employees),
                ("years", self.size.years, self.profile.min_years)]

    @property
    def ready(self) -> bool:
        """Whether the company meets every criterion of the profile."""
        return all(value >= threshold for _, value, threshold in self._checks())

    def __bool__(self) -> bool:
        return self.ready

    def to_frame(self) -> pd.DataFrame:
        """One row per criterion: the company's value, the threshold, met, and the gap."""
        rows = [{"criterion": name, "value": value, "threshold": threshold,
                 "met": value >= threshold, "short_by": max(0.0, threshold - value)}
                for name, value, threshold in self._checks()]
        return pd.DataFrame(rows).set_index("criterion")

    def explain(self, lang: str | None = None) -> str:
        """The verdict and the reason for it, criterion by criterion, in ``lang``.

        ``lang`` defaults to the bound language (:func:`revopslab.style.get_lang`), so the
        repr speaks the notebook's language.

        Examples
        --------
        >>> verdict = readiness(customers=320, employees=130, years=7)
        >>> verdict, reasons = verdict.explain("ja").split("：", 1)
        >>> verdict
        'RevOpsの導入はまだ早い――LeanDataのプロファイルの条件を満たしたのは3つ中1'
        >>> reasons.split("、")[0]
        '顧客数 320（基準500'
        """
        if resolve_lang(lang) == "ja":
            return self._explain_ja()
        parts = []
        for name, value, threshold in self._checks():
            shown = f"{value:,.1f}" if name == "years" else f"{value:,.0f}"
            need = f"{threshold:g}"
            if value >= threshold:
                parts.append(f"{name} {shown} >= {need} (met)")
            else:
                gap = threshold - value
                gap_text = f"{gap:,.1f}" if name == "years" else f"{gap:,.0f}"
                parts.append(f"{name} {shown} < {need} (short by {gap_text})")
        met = sum(value >= threshold for _, value, threshold in self._checks())
        who = f"{self.size.name}: " if self.size.name else ""
        verdict = ("ready for RevOps" if self.ready else "not ready for RevOps yet")
        return (f"{who}{verdict} — {met} of 3 criteria of {self.profile.source}'s profile met: "
                + "; ".join(parts) + ".")

    def _explain_ja(self) -> str:
        names = {"customers": "顧客数", "employees": "従業員数", "years": "創業からの年数"}
        parts = []
        for name, value, threshold in self._checks():
            shown = f"{value:,.1f}" if name == "years" else f"{value:,.0f}"
            if value >= threshold:
                parts.append(f"{names[name]} {shown}（基準{threshold:g}、達成）")
            else:
                gap = threshold - value
                gap_text = f"{gap:,.1f}" if name == "years" else f"{gap:,.0f}"
                parts.append(f"{names[name]} {shown}（基準{threshold:g}、{gap_text}不足）")
        met = sum(value >= threshold for _, value, threshold in self._checks())
        who = f"{self.size.name}：" if self.size.name else ""
        verdict = "RevOpsを導入する準備ができている" if self.ready else "RevOpsの導入はまだ早い"
        return (f"{who}{verdict}――{self.profile.source}のプロファイルの条件を満たしたのは"
                f"3つ中{met}："
                + "、".join(parts) + "。")

    def __repr__(self) -> str:
        return self.explain()

    def __str__(self) -> str:
        return self.explain()


def readiness(company: Company | CompanySize | Mapping[str, Any] | None = None, *,
              customers: float | None = None, employees: float | None = None,
              years: float | None = None, profile: ReadinessProfile = LEANDATA_PROFILE
              ) -> Readiness:
    """Judge whether a company fits the profile of companies that should adopt RevOps.

    Pass a simulated :class:`~revopslab.simulate.Company` (read with
    :func:`company_size`), a :class:`CompanySize`, a dict with ``customers``,
    ``employees`` and ``years``, or those three as keyword numbers. Every
    criterion must be met (thresholds are inclusive: "500+" means >= 500).

    Raises
    ------
    TypeError
        If both a company and numbers are given, or neither, or ``company`` is of another type.

    Examples
    --------
    >>> readiness(customers=620, employees=180, years=8)  # doctest: +NORMALIZE_WHITESPACE
    ready for RevOps — 3 of 3 criteria of LeanData's profile met: customers 620 >= 500 (met);
    employees 180 >= 140 (met); years 8.0 >= 6.5 (met).
    >>> verdict = readiness({"customers": 80, "employees": 25, "years": 2})
    >>> verdict.ready, float(verdict.to_frame().loc["employees", "short_by"])
    (False, 115.0)
    """
    numbers_given = [v is not None for v in (customers, employees, years)]
    if company is not None and any(numbers_given):
        raise TypeError("pass either company or the numbers customers=, employees=, years=, "
                        "not both")
    if company is None:
        if not all(numbers_given):
            raise TypeError("pass a company, or all three of customers=, employees= and years= "
                            f"(got customers={customers!r}, employees={employees!r}, "
                            f"years={years!r})")
        size = CompanySize(customers=customers, employees=employees, years=years)
    elif isinstance(company, Company):
        size = company_size(company)
    elif isinstance(company, CompanySize):
        size = company
    elif isinstance(company, Mapping):
        missing = [k for k in ("customers", "employees", "years") if k not in company]
        if missing:
            raise TypeError(f"company as a dict must have the keys customers, employees and "
                            f"years; missing {missing}")
        size = CompanySize(**{k: company[k] for k in ("customers", "employees", "years")},
                           name=str(company.get("name", "")))
    else:
        raise TypeError("company must be a Company, a CompanySize or a dict with customers, "
                        f"employees and years; got {type(company).__name__}")
    if not isinstance(profile, ReadinessProfile):
        raise TypeError(f"profile must be a ReadinessProfile, got {type(profile).__name__}")
    return Readiness(size, profile)


def _operating_profit(company: Company) -> tuple[float, float]:
    revenue = float(company.mrr["mrr"].sum())
    return revenue, revenue - float(company.costs["amount"].sum())


def revops_business_case(configs: Mapping[str, CompanyConfig], *, seeds: Iterable[int],
                         headcount: float = 3, monthly_cost: float | None = None
                         ) -> pd.DataFrame:
    """What a RevOps team gains against what it costs, per company and seed.

    For each company the simulator runs twice per seed with the same random
    numbers: ``org_model="siloed"`` (no RevOps) and ``"aligned"`` (the
    mechanisms a RevOps team changes: lead-quality threshold, handoff speed,
    discounting, context kept at the sales → CS handoff). The *gain* is the
    difference in operating profit (revenue minus every cost in the
    company's ``costs`` table) over the simulated history. The *team cost*
    is ``headcount × monthly_cost × months``.

    Assumptions, stated: the aligned mechanisms act from the first month (no
    ramp-up, which flatters RevOps); the whole siloed → aligned difference is
    credited to the RevOps team; the team costs the same whatever the size.

    Parameters
    ----------
    configs
        Named companies, e.g. ``{"startup": company_profile("startup")}``.
    seeds
        Seeds to run each company with.
    headcount
        People in the RevOps team (> 0).
    monthly_cost
        Loaded monthly cost of one RevOps person in yen; ``None`` uses the
        median loaded cost of the company's field-sales reps.

    Returns
    -------
    pandas.DataFrame
        One row per company and seed: ``company``, ``seed``, ``months``, the
        readiness inputs of the siloed company (``customers``, ``employees``,
        ``years``) and ``ready``, ``revenue_siloed``, ``revenue_aligned``,
        ``gain`` (operating profit), ``team_cost``, ``net_gain`` and
        ``breakeven_headcount`` (the team size the gain pays for).

    Examples
    --------
    >>> from revopslab.config import CompanyConfig
    >>> case = revops_business_case({"tiny": CompanyConfig(months=6, scale=0.1)}, seeds=[1],
    ...                             headcount=1, monthly_cost=1_000_000)
    >>> float(case.loc[0, "team_cost"])
    6000000.0
    >>> bool(case.loc[0, "net_gain"] == case.loc[0, "gain"] - case.loc[0, "team_cost"])
    True
    """
    if not isinstance(configs, Mapping) or not configs:
        raise TypeError("configs must be a non-empty dict of name -> CompanyConfig, got "
                        f"{configs!r}")
    for name, config in configs.items():
        if not isinstance(config, CompanyConfig):
            raise TypeError(f"configs[{name!r}] must be a CompanyConfig, got "
                            f"{type(config).__name__}")
    seeds = check_seeds(seeds)
    if not _finite(headcount) or headcount <= 0:
        raise ValueError(f"headcount must be a number > 0, got {headcount!r}")
    if monthly_cost is not None and (not _finite(monthly_cost) or monthly_cost <= 0):
        raise ValueError(f"monthly_cost must be None or a number of yen > 0, got "
                         f"{monthly_cost!r}")
    rows = []
    for name, config in configs.items():
        # Both arms share the siloed past; the aligned arm is the company that
        # adopts RevOps on the history's first day.
        arms = {model: dataclasses.replace(config, org_model=model)
                for model in ("siloed", "aligned")}
        wide = per_seed(sweep(arms, seeds=seeds, measure=_case_outcomes, column="org_model"),
                        column="org_model")
        for seed, pair in wide.groupby("seed", sort=False):
            siloed, aligned = (pair.set_index("org_model").loc[m] for m in arms)
            size = CompanySize(customers=int(siloed["customers"]),
                               employees=int(siloed["employees"]),
                               years=float(siloed["years"]), name=str(name))
            cost = float(siloed["field_rep_cost"]) if monthly_cost is None else monthly_cost
            gain = aligned["operating_profit"] - siloed["operating_profit"]
            team_cost = float(headcount * cost * config.months)
            rows.append({
                "company": str(name), "seed": int(seed), "months": config.months,
                "customers": size.customers, "employees": size.employees, "years": size.years,
                "ready": readiness(size).ready, "revenue_siloed": float(siloed["revenue"]),
                "revenue_aligned": float(aligned["revenue"]), "gain": float(gain),
                "team_cost": team_cost, "net_gain": float(gain - team_cost),
                "breakeven_headcount": float(gain / (cost * config.months)),
            })
    return pd.DataFrame(rows)


def _case_outcomes(company: Company) -> dict[str, float]:
    """What :func:`revops_business_case` reads off one run."""
    revenue, profit = _operating_profit(company)
    size = company_size(company)
    field_reps = company.reps.loc[company.reps["team"] == "field_sales", "monthly_cost"]
    return {"revenue": revenue, "operating_profit": profit, "customers": size.customers,
            "employees": size.employees, "years": size.years,
            "field_rep_cost": float(field_reps.median())}


# ================================================================= onboarding and comms
@dataclass(frozen=True)
class PlanStep:
    """One step of the 90-day onboarding plan of a new RevOps member.

    Examples
    --------
    >>> ONBOARDING_PLAN[0].activity
    'understand the current revenue process'
    """

    first_day: int
    last_day: int
    activity: str
    what_to_do: str
    deliverable: str

    def __post_init__(self) -> None:
        problems: list[str] = []
        for attr in ("first_day", "last_day"):
            value = getattr(self, attr)
            if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 1:
                problems.append(f"{attr} must be an int day >= 1, got {value!r}")
        if not problems and self.last_day < self.first_day:
            problems.append(f"last_day must be >= first_day ({self.first_day}), got "
                            f"{self.last_day}")
        for attr in ("activity", "what_to_do", "deliverable"):
            _text(getattr(self, attr), attr, problems)
        _raise(problems, f"plan step {self.activity!r}")


#: The book's four onboarding items, spread over the first 90 days.
ONBOARDING_PLAN: tuple[PlanStep, ...] = (
    PlanStep(1, 30, "understand the current revenue process",
             "walk the waterfall from inquiry to renewal with each department; note each "
             "stage's definition, handoff and SLA as they are today; read last quarter's volumes "
             "and conversions",
             "a current-state map of the revenue process with volumes and conversions"),
    PlanStep(1, 45, "audit every system of the revenue organisation",
             "list every tool (MA, SFA/CRM, CS platform, billing, BI) with its owner, users, "
             "fields, integrations, licences and data quality",
             "a system inventory and data-quality audit"),
    PlanStep(15, 60, "interview people across the organisation",
             "interview leaders and front-line members of marketing, inside sales, field sales, "
             "customer success and finance: their goals, pains and requests",
             "an interview summary with the problems ranked by value"),
    PlanStep(45, 90, "write or update the RevOps playbook",
             "write down stage definitions, the waterfall RACI, the handoff SLAs, the shared "
             "KPIs and the reporting cadence; agree the first-year roadmap with the CRO",
             "playbook version 1, published to the revenue organisation"),
)


def onboarding_plan(*, start: dt.date | str | None = None,
                    steps: Sequence[PlanStep] = ONBOARDING_PLAN,
                    lang: str | None = None) -> pd.DataFrame:
    """The 90-day onboarding plan as a table, with dates when ``start`` is given.

    Examples
    --------
    >>> plan = onboarding_plan(start="2026-04-01")
    >>> plan.loc[3, ["activity", "due"]].tolist()
    ['write or update the RevOps playbook', Timestamp('2026-06-29 00:00:00')]
    >>> int(plan["last_day"].max())
    90
    """
    steps = list(steps)
    for i, step in enumerate(steps):
        if not isinstance(step, PlanStep):
            raise TypeError(f"steps[{i}] must be a PlanStep, got {type(step).__name__}")
    frame = pd.DataFrame([dataclasses.asdict(s) for s in steps],
                         columns=[f.name for f in dataclasses.fields(PlanStep)])
    if start is not None:
        first = _date(start)
        if first is None:
            raise ValueError(f"start must be a date such as '2026-04-01', got {start!r}")
        first = pd.Timestamp(first)
        frame["begins"] = first + pd.to_timedelta(frame["first_day"] - 1, unit="D")
        frame["due"] = first + pd.to_timedelta(frame["last_day"] - 1, unit="D")
    return _localise(frame, ["activity", "what_to_do", "deliverable"], lang)


def communication_plan(*, lang: str | None = None) -> pd.DataFrame:
    """A communication plan template built on the book's three approaches.

    One row per practice: the approach it serves (open culture, clear
    protocols, training and tools), the practice, its cadence, audience
    and owner. Edit a copy to fit your company.

    Examples
    --------
    >>> plan = communication_plan()
    >>> plan["approach"].unique().tolist()
    ['open and transparent culture', 'clear protocols', 'training and tools']
    """
    rows = [
        ("open and transparent culture", "revenue review open to every revenue team",
         "monthly", "marketing, sales, CS, finance", "RevOps lead"),
        ("open and transparent culture", "feedback survey on RevOps' service",
         "quarterly", "every revenue team", "RevOps lead"),
        ("open and transparent culture", "public RevOps backlog and roadmap",
         "always visible", "everyone", "RevOps"),
        ("clear protocols", "publish the charter, the waterfall RACI and the SLAs",
         "on every change", "every revenue team", "RevOps (operations management)"),
        ("clear protocols", "one intake channel for requests, with a response time",
         "continuous", "every revenue team", "RevOps"),
        ("clear protocols", "handoff-SLA breach report to the owning managers",
         "weekly", "marketing, inside and field sales managers", "RevOps (data & insights)"),
        ("training and tools", "process and tool training for newcomers",
         "on joining", "new members of every revenue team", "RevOps (enablement)"),
        ("training and tools", "training in concise communication: one-page memos, charts "
         "titled with their message", "quarterly", "RevOps and team leads",
         "RevOps (enablement)"),
        ("training and tools", "release notes for every process or tool change",
         "on every change", "affected users", "RevOps (RevTech)"),
    ]
    return _localise(pd.DataFrame(rows, columns=["approach", "practice", "cadence", "audience",
                                                 "owner"]),
                     ["approach", "practice", "cadence", "audience", "owner"], lang)


def kpi_tree(*, lang: str | None = None) -> pd.DataFrame:
    """KPIs tied to one shared KGI (revenue), with owners, including RevOps' outcome metrics.

    Examples
    --------
    >>> tree = kpi_tree()
    >>> tree.loc[tree["level"] == "KGI", "metric"].tolist()
    ['revenue (MRR / ARR)']
    >>> sorted(tree.loc[tree["owner"] == "revops", "metric"])
    ['LTV', 'NPS', 'churn rate']
    """
    rows = [
        ("KGI", "revenue (MRR / ARR)", "every revenue team",
         "the shared goal every KPI below is tied to"),
        ("KPI", "AQLs and AQL → SAL conversion", "marketing",
         "volume and quality of demand handed on"),
        ("KPI", "TQL/TGL → SAL acceptance and handoff SLA met", "inside_sales",
         "how much qualified demand reaches sales, and how fast"),
        ("KPI", "win rate and bookings", "field_sales", "how much pipeline becomes revenue"),
        ("KPI", "net revenue retention and expansion", "customer_success",
         "how much revenue customers keep and add"),
        ("KPI", "LTV", "revops",
         "revenue over the whole relationship: fit, retention, up-sell and cross-sell"),
        ("KPI", "NPS", "revops", "how strongly customers recommend us; surveyed regularly"),
        ("KPI", "churn rate", "revops", "high churn means the experience is not seamless"),
    ]
    return _localise(pd.DataFrame(rows, columns=["level", "metric", "owner", "why_it_matters"]),
                     ["metric", "owner", "why_it_matters"], lang)


# ============================================================================ Japanese text
#: The Japanese of the English text this module's tables and documents hold (operating model,
#: governance models, talent sources, waterfall stages, onboarding and communication plans,
#: KPI tree). Keys and codes (``centralised``, ``tql`` …) are never translated.
_JA: Mapping[str, str] = MappingProxyType({
    # operating model: purposes and responsibilities
    "Turn the business goals into a plan every revenue team works from, shared as the "
    "RevOps playbook and updated as things change.":
        "事業目標を、すべてのレベニューチームが拠って立つ計画に落とし込み、RevOpsプレイブックとして"
        "共有し、状況の変化に合わせて更新する。",
    "set revenue targets": "収益目標を設定する",
    "design the revenue organisation": "レベニュー組織を設計する",
    "manage stakeholders across departments": "部門をまたいでステークホルダーを調整する",
    "decide resource priorities": "リソース配分の優先順位を決める",
    "build the revenue model": "収益モデルを構築する",
    "publish and update the RevOps playbook": "RevOpsプレイブックを公開し、更新する",
    "Design, run and answer for the whole revenue process and its workflows.":
        "レベニュープロセス全体とそのワークフローを設計・運用し、責任を持つ。",
    "design and run the revenue process end to end":
        "レベニュープロセスを端から端まで設計・運用する",
    "define milestones: MQL/AQL, SQL, opportunity stages":
        "マイルストーンを定義する：MQL/AQL、SQL、商談ステージ",
    "define and manage the handoff SLAs between departments": "部門間の引き継ぎSLAを定め、管理する",
    "design automated workflows (and the manual steps left)":
        "自動化されたワークフロー（と残る手作業）を設計する",
    "Help the field teams carry out the strategy productively and deliver value "
    "to customers.":
        "現場のチームが戦略を生産的に実行し、顧客に価値を届けられるよう支援する。",
    "train people on the process and the systems": "プロセスとシステムについて人を教育する",
    "coach and develop the teams": "チームをコーチし、育成する",
    "provide content for each stage": "ステージごとのコンテンツを用意する",
    "design incentives with the teams": "チームと一緒にインセンティブを設計する",
    "ease communication between departments": "部門間のコミュニケーションを円滑にする",
    "Make the whole revenue organisation efficient with one technology stack.":
        "一つのテクノロジースタックで、レベニュー組織全体を効率化する。",
    "design the revenue technology stack": "レベニューのテクノロジースタックを設計する",
    "build and integrate the tools": "ツールを構築し、統合する",
    "administer and run the tools": "ツールを管理・運用する",
    "align every tool's requirements and fields": "すべてのツールの要件と項目をそろえる",
    "Own the revenue data end to end and give every team the same unbiased analysis.":
        "収益データを端から端まで担い、すべてのチームに同じ偏りのない分析を届ける。",
    "collect and process data across the revenue process":
        "レベニュープロセス全体のデータを収集・加工する",
    "set the data strategy and governance": "データ戦略とガバナンスを定める",
    "decide which fields are collected": "どの項目を収集するかを決める",
    "report the shared KPIs": "共通のKPIをレポートする",
    "run forecast and pipeline analysis centrally":
        "フォーキャストとパイプライン分析を一元的に行う",
    # governance models
    "one central operations team": "一つの中央オペレーションチーム",
    "designs and runs the whole revenue process and its definitions":
        "レベニュープロセス全体とその定義を設計・運用する",
    "one definition of every stage and handoff, end to end":
        "すべてのステージと引き継ぎに、端から端まで一つの定義",
    "every local change waits in the central team's queue":
        "現場の変更はすべて中央チームの順番待ちになる",
    "collects, processes, stores and reports all revenue data":
        "すべての収益データを収集・加工・保管・レポートする",
    "one source of truth and unbiased reporting": "信頼できる唯一の情報源と偏りのないレポート",
    "departments depend on the central team for each analysis":
        "分析のたびに各部門が中央チームに頼ることになる",
    "owns and administers the whole revenue tech stack":
        "レベニューのテックスタック全体を所有・管理する",
    "one integrated stack, no duplicate tools": "統合された一つのスタック、重複するツールなし",
    "slower to adopt a tool only one team needs":
        "一つのチームだけが必要とするツールの導入が遅れる",
    "each department, region or business unit": "各部門・地域・事業部",
    "designs and runs its own part of the process": "プロセスのうち自分の担当部分を設計・運用する",
    "fits local needs; fast local change": "現場のニーズに合い、現場での変更が速い",
    "handoffs between departments go undefined; leads fall between stages":
        "部門間の引き継ぎが定義されず、リードがステージの間からこぼれ落ちる",
    "keeps and reports its own data": "自分のデータを保管し、レポートする",
    "each team knows its own data well": "各チームが自分のデータをよく知っている",
    "each system tells a different 'truth'; numbers do not reconcile":
        "システムごとに「真実」が異なり、数字が突き合わない",
    "buys and runs its own tools": "自分のツールを購入・運用する",
    "the best tool for each team's job": "チームの仕事ごとに最適なツール",
    "tool silos, duplicate licences, costly integration":
        "ツールのサイロ化、重複ライセンス、高くつく統合",
    "a central team for strategy and key processes; departments for the rest":
        "戦略と主要プロセスは中央チーム、それ以外は各部門",
    "centre owns the waterfall stages, handoffs and SLAs; teams own the rest":
        "ウォーターフォールのステージ・引き継ぎ・SLAは中央が、それ以外は各チームが担う",
    "consistent where departments meet, flexible inside them":
        "部門の接点では一貫し、部門の中では柔軟",
    "the line between central and local must be negotiated and kept":
        "中央と現場の境界を交渉して決め、守り続ける必要がある",
    "centre owns definitions, governance and the shared dataset; teams analyse it":
        "定義・ガバナンス・共有データセットは中央が担い、各チームがそれを分析する",
    "one truth with local analysis on top": "一つの真実の上に現場の分析",
    "needs clear data ownership, or local copies drift again":
        "データの責任者を明確にしないと、現場のコピーが再びずれていく",
    "centre owns the core platform and integration standards; teams add tools within them":
        "中核プラットフォームと統合の標準は中央が担い、各チームはその範囲でツールを追加する",
    "a common core with room for local tools": "共通の中核と、現場のツールのための余地",
    "add-on tools multiply unless the standards are enforced":
        "標準を守らせないと追加ツールが増え続ける",
    # talent sources
    "IT or information-systems department": "IT部門・情報システム部門",
    "experience running business systems, integrations and their security":
        "業務システムとその連携・セキュリティの運用経験",
    "project managers with marketing knowledge":
        "マーケティングの知識を持つプロジェクトマネージャー",
    "running cross-team projects and knowing how demand is generated":
        "部門横断のプロジェクト運営と、需要がどう生まれるかの知識",
    "sales, with deep SFA/CRM knowledge": "SFA/CRMに詳しい営業",
    "knowing the sales process and the data the CRM holds about it":
        "営業プロセスと、CRMが持つそのデータの知識",
    # waterfall stages
    "inquiry": "問い合わせ",
    "marketing qualification": "マーケティングによる選別",
    "sales qualification": "営業による選別",
    "close": "クローズ",
    "an inbound response: ads, web forms, events, referrals":
        "インバウンドの反応：広告、Webフォーム、イベント、紹介",
    "an outbound contact: prospecting by inside or field sales":
        "アウトバウンドの接触：インサイドセールスやフィールドセールスによる開拓",
    "automation-qualified lead: marketing's automation thinks it is promising":
        "AQL：マーケティングの自動化が有望と判定したリード",
    "teleprospecting-accepted lead: inside sales agrees it is promising":
        "TAL：インサイドセールスが有望と認めたリード",
    "teleprospecting-qualified lead: ready to hand to sales":
        "TQL：営業に引き渡せる状態になったリード",
    "teleprospecting-generated lead: inside sales set an appointment itself":
        "TGL：インサイドセールスが自らアポイントを獲得したリード",
    "sales-accepted lead: sales accepted the handed-over lead":
        "SAL：引き継がれたリードを営業が受け入れたもの",
    "sales-generated lead: sales found it itself": "SGL：営業が自ら見つけたリード",
    "sales-qualified lead: SALs plus SGLs that sales qualifies":
        "SQL：SALとSGLのうち営業が見極めたもの",
    "the deal is won or lost": "商談が受注または失注する",
    # onboarding plan
    "understand the current revenue process": "現在のレベニュープロセスを理解する",
    "walk the waterfall from inquiry to renewal with each department; note each "
    "stage's definition, handoff and SLA as they are today; read last quarter's volumes "
    "and conversions":
        "各部門と一緒に問い合わせから更新までのウォータ"
        "ーフォールをたどり、各ステージの定義・引き継ぎ・"
        "SLAを現状のまま記録し、前四半期の件数と転換率を読む",
    "a current-state map of the revenue process with volumes and conversions":
        "件数と転換率つきの、レベニュープロセスの現状マップ",
    "audit every system of the revenue organisation": "レベニュー組織のすべてのシステムを監査する",
    "list every tool (MA, SFA/CRM, CS platform, billing, BI) with its owner, users, "
    "fields, integrations, licences and data quality":
        "すべてのツール（MA、SFA/CRM、CSプラットフ"
        "ォーム、請求、BI）を、責任者・利用者・項目・連携・"
        "ライセンス・データ品質とともに一覧にする",
    "a system inventory and data-quality audit": "システムの棚卸しとデータ品質の監査結果",
    "interview people across the organisation": "組織全体の人にインタビューする",
    "interview leaders and front-line members of marketing, inside sales, field sales, "
    "customer success and finance: their goals, pains and requests":
        "マーケティング、インサイドセールス、フィールド"
        "セールス、カスタマーサクセス、経理のリーダーと"
        "現場のメンバーに、目標・悩み・要望を聞く",
    "an interview summary with the problems ranked by value":
        "課題を価値の順に並べたインタビューのまとめ",
    "write or update the RevOps playbook": "RevOpsプレイブックを書く、または更新する",
    "write down stage definitions, the waterfall RACI, the handoff SLAs, the shared "
    "KPIs and the reporting cadence; agree the first-year roadmap with the CRO":
        "ステージの定義、ウォーターフォールのRACI、引き継ぎSLA、共通KPI、レポートの頻度を書き出し、"
        "初年度のロードマップをCROと合意する",
    "playbook version 1, published to the revenue organisation":
        "レベニュー組織に公開したプレイブック第1版",
    # communication plan
    "open and transparent culture": "オープンで透明な文化",
    "clear protocols": "明確なルール",
    "training and tools": "トレーニングとツール",
    "revenue review open to every revenue team": "すべてのレベニューチームに開かれた収益レビュー",
    "feedback survey on RevOps' service": "RevOpsのサービスについてのフィードバック調査",
    "public RevOps backlog and roadmap": "RevOpsのバックログとロードマップの公開",
    "publish the charter, the waterfall RACI and the SLAs":
        "チャーター、ウォーターフォールのRACI、SLAを公開する",
    "one intake channel for requests, with a response time":
        "回答期限つきの、依頼の受付窓口を一つに",
    "handoff-SLA breach report to the owning managers":
        "引き継ぎSLA違反のレポートを担当マネージャーへ",
    "process and tool training for newcomers": "新メンバー向けのプロセスとツールのトレーニング",
    "training in concise communication: one-page memos, charts titled with their message":
        "簡潔に伝えるトレーニング：1枚のメモ、メッセージをタイトルにしたグラフ",
    "release notes for every process or tool change":
        "プロセスやツールを変えるたびのリリースノート",
    "monthly": "毎月",
    "quarterly": "四半期ごと",
    "always visible": "常時公開",
    "on every change": "変更のたび",
    "continuous": "常時",
    "weekly": "毎週",
    "on joining": "入社時",
    "marketing, sales, CS, finance": "マーケティング、営業、CS、経理",
    "every revenue team": "すべてのレベニューチーム",
    "everyone": "全員",
    "marketing, inside and field sales managers":
        "マーケティング、インサイドセールス、フィールドセールスのマネージャー",
    "new members of every revenue team": "すべてのレベニューチームの新メンバー",
    "RevOps and team leads": "RevOpsとチームリーダー",
    "affected users": "影響を受ける利用者",
    "RevOps lead": "RevOpsリーダー",
    "RevOps (operations management)": "RevOps（オペレーションマネジメント）",
    "RevOps (data & insights)": "RevOps（データ・インサイト）",
    "RevOps (enablement)": "RevOps（イネーブルメント）",
    "RevOps (RevTech)": "RevOps（RevTech）",
    # KPI tree
    "revenue (MRR / ARR)": "売上（MRR／ARR）",
    "AQLs and AQL → SAL conversion": "AQL数とAQL → SALの転換率",
    "TQL/TGL → SAL acceptance and handoff SLA met": "TQL/TGL → SALの受け入れ率と引き継ぎSLAの遵守",
    "win rate and bookings": "受注率と受注額",
    "net revenue retention and expansion": "売上維持率（NRR）と拡大",
    "churn rate": "解約率",
    "the shared goal every KPI below is tied to": "以下のすべてのKPIがつながる共通の目標",
    "volume and quality of demand handed on": "引き渡す需要の量と質",
    "how much qualified demand reaches sales, and how fast":
        "見極めた需要がどれだけ、どれほど速く営業に届くか",
    "how much pipeline becomes revenue": "パイプラインがどれだけ売上になるか",
    "how much revenue customers keep and add": "顧客がどれだけの売上を維持し、上乗せするか",
    "revenue over the whole relationship: fit, retention, up-sell and cross-sell":
        "関係全体を通じた売上：適合、継続、アップセル、クロスセル",
    "how strongly customers recommend us; surveyed regularly":
        "顧客がどれほど強く自社を薦めるか（定期的に調査）",
    "high churn means the experience is not seamless": "解約が多いのは体験が途切れている証拠",
})


def _ja(value: Any, lang: str) -> Any:
    """``value`` in Japanese when ``lang`` is ``"ja"`` and the module knows its translation."""
    return _JA.get(value, value) if lang == "ja" and isinstance(value, str) else value


def _localise(frame: pd.DataFrame, columns: Iterable[str], lang: str | None) -> pd.DataFrame:
    """``frame`` with the text of ``columns`` in ``lang`` (default: the bound language)."""
    lang = resolve_lang(lang)
    if lang == "en":
        return frame
    return frame.assign(**{c: frame[c].map(lambda v: _ja(v, lang)) for c in columns})
