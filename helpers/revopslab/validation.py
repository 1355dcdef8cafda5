"""Data contracts for every table of a company: pandera schemas, cross-table checks, one report."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, TypeVar

import numpy as np
import pandas as pd
import pandera.pandas as pa
from pandas.api import types as ptypes
from pandera.errors import SchemaErrors

from ._names import INDUSTRIES
from .simulate import PRODUCTS, TABLES, Company
from .vocabulary import CHANNELS, CLOSED_STAGES, MOTIONS, OPPORTUNITY_STAGES, SEGMENTS, STAGES

__all__ = [
    "SCHEMAS",
    "FOREIGN_KEYS",
    "PROBLEM_COLUMNS",
    "CompanyValidationError",
    "find_problems",
    "validate",
    "validate_table",
]

# ----------------------------------------------------------------------------- vocabularies
OPPORTUNITY_TYPES = ("new_business", "win_back")
OPPORTUNITY_STATUSES = ("open", "won", "lost")
OPEN_FORECAST_CATEGORIES = ("Pipeline", "Best Case", "Commit")
FORECAST_CATEGORIES = OPEN_FORECAST_CATEGORIES + ("Closed", "Omitted")
MOVEMENTS = ("new", "expansion", "contraction", "churn", "reactivation")
MOVEMENT_DETAILS = ("", "upsell", "cross_sell")
TICKET_CATEGORIES = ("how_to", "bug", "billing", "integration", "onboarding")
TICKET_PRIORITIES = ("low", "normal", "high")
NPS_CATEGORIES = ("promoter", "passive", "detractor")
TEAMS = ("field_sales", "inside_sales", "customer_success")
DEPARTMENTS = ("inside_sales", "field_sales", "customer_success", "marketing", "general_admin",
               "research_development", "cost_of_revenue")
COST_TYPES = ("people", "programs", "hosting_and_support", "commission", "management",
              "sales_engineering", "operations", "tools")
#: Japan's 47 prefectures (the head office of an account is in one of them).
PREFECTURES = (
    "北海道", "青森県", "岩手県", "宮城県", "秋田県", "山形県", "福島県", "茨城県", "栃木県",
    "群馬県", "埼玉県", "千葉県", "東京都", "神奈川県", "新潟県", "富山県", "石川県", "福井県",
    "山梨県", "長野県", "岐阜県", "静岡県", "愛知県", "三重県", "滋賀県", "京都府", "大阪府",
    "兵庫県", "奈良県", "和歌山県", "鳥取県", "島根県", "岡山県", "広島県", "山口県", "徳島県",
    "香川県", "愛媛県", "高知県", "福岡県", "佐賀県", "長崎県", "熊本県", "大分県", "宮崎県",
    "鹿児島県", "沖縄県",
)

#: Columns of :attr:`CompanyValidationError.problems` (and of :func:`find_problems`).
PROBLEM_COLUMNS: tuple[str, ...] = ("table", "column", "check", "rows", "ids", "expected", "found")

#: The column that names a row of each table in messages (an id where the table has one).
_LABELS = {
    "accounts": "account_id", "leads": "lead_id", "opportunities": "opportunity_id",
    "opportunity_stages": "opportunity_id", "pipeline_snapshots": "opportunity_id",
    "subscriptions": "subscription_id", "mrr": "subscription_id", "mrr_movements": "account_id",
    "invoices": "invoice_id", "usage": "account_id", "tickets": "ticket_id",
    "nps_responses": "response_id", "reps": "rep_id",
}
_SHOWN = 5  # offending rows and values shown per problem in the message
_KIND_DTYPE = {"str": pa.String, "datetime": "datetime64[ns]", "float": "float64",
               "int": "int64", "Int": "Int64", "bool": "bool"}
_KIND_TEXT = {"str": "str (text)", "datetime": "datetime64 (timezone-naive timestamps)",
              "float": "float64", "int": "int64", "Int": "Int64 (nullable int)", "bool": "bool"}
_EXPECTED = "_revopslab_expected"  # attribute a check carries: what it expects, in words
_COLUMNS = "_revopslab_columns"  # attribute a table-level check carries: the columns it reads

Tables = Mapping[str, pd.DataFrame]
CompanyLike = TypeVar("CompanyLike", Company, Mapping[str, pd.DataFrame])


# ----------------------------------------------------------------------------- building blocks
@dataclasses.dataclass(frozen=True)
class _Field:
    kind: str
    column: pa.Column


@dataclasses.dataclass(frozen=True)
class _Rule:
    """A table-level rule: ``ok(df)`` is True for every row that satisfies it."""

    name: str
    expected: str
    columns: tuple[str, ...]
    ok: Callable[[pd.DataFrame], pd.Series]
    #: Rows missing a value the rule reads pass it (their own column reports the gap);
    #: False for rules about which values are set.
    skip_missing: bool = True


def _described(check: pa.Check, expected: str) -> pa.Check:
    setattr(check, _EXPECTED, expected)
    return check


def _isin(values: Sequence[str]) -> pa.Check:
    shown = ", ".join(repr(v) for v in values)
    return _described(pa.Check.isin(list(values), name="isin"), f"one of {shown}")


def _range(low: float, high: float) -> pa.Check:
    return _described(pa.Check.in_range(low, high, name="in_range"),
                      f"values in [{low:g}, {high:g}]")


def _at_least(low: float) -> pa.Check:
    return _described(pa.Check.ge(low, name="greater_than_or_equal_to"), f"values >= {low:g}")


def _nonempty() -> pa.Check:
    return _described(pa.Check.str_length(min_value=1, name="nonempty"), "non-empty text")


def _month_start() -> pa.Check:
    check = pa.Check(lambda s: s.dt.is_month_start & s.eq(s.dt.normalize()), name="month_start")
    return _described(check, "the first day of a month at 00:00")


def _field(kind: str, *checks: pa.Check, nullable: bool = False, unique: bool = False) -> _Field:
    return _Field(kind, pa.Column(_KIND_DTYPE[kind], checks=list(checks), nullable=nullable,
                                  unique=unique))


def _id() -> _Field:
    return _field("str", _nonempty(), unique=True)


def _key(nullable: bool = False) -> _Field:
    return _field("str", _nonempty(), nullable=nullable)


def _category(values: Sequence[str], nullable: bool = False) -> _Field:
    return _field("str", _isin(values), nullable=nullable)


def _time(nullable: bool = False) -> _Field:
    return _field("datetime", nullable=nullable)


def _month(nullable: bool = False) -> _Field:
    return _field("datetime", _month_start(), nullable=nullable)


def _money(nullable: bool = False) -> _Field:
    return _field("float", _at_least(0), nullable=nullable)


def _share() -> _Field:
    return _field("float", _range(0, 1))


def _count() -> _Field:
    return _field("int", _at_least(0))


def _both_set(df: pd.DataFrame, *columns: str) -> pd.Series:
    return df[list(columns)].notna().all(axis=1)


def _after(later: str, earlier: str) -> _Rule:
    return _Rule(f"{later} >= {earlier}", f"{later} >= {earlier} when both are set",
                 (later, earlier),
                 lambda df: ~_both_set(df, later, earlier) | (df[later] >= df[earlier]))


def _needs(stage: str, *before: str) -> _Rule:
    need = " or ".join(f"{b}_at" for b in before)
    return _Rule(f"{stage}_at needs {need}", f"{stage}_at set only when {need} is set",
                 (f"{stage}_at",) + tuple(f"{b}_at" for b in before),
                 lambda df: df[f"{stage}_at"].isna()
                 | df[[f"{b}_at" for b in before]].notna().any(axis=1), skip_missing=False)


def _only_for_motion(stage: str, motion: str) -> _Rule:
    return _Rule(f"{stage}_at only for {motion} leads",
                 f"{stage}_at set only for leads with motion {motion!r}",
                 (f"{stage}_at", "motion"),
                 lambda df: df[f"{stage}_at"].isna() | df["motion"].eq(motion))


# ----------------------------------------------------------------------------- table rules
def _furthest_stage_ok(df: pd.DataFrame) -> pd.Series:
    reached = df[[f"{s}_at" for s in STAGES]].notna().to_numpy()
    last = len(STAGES) - 1 - reached[:, ::-1].argmax(axis=1)
    furthest = np.where(reached.any(axis=1), np.array(STAGES, dtype=object)[last], None)
    return pd.Series(df["furthest_stage"].to_numpy(dtype=object) == furthest, index=df.index)


def _one_motion_per_channel(df: pd.DataFrame) -> pd.Series:
    return df.groupby("channel", dropna=False)["motion"].transform("nunique").le(1)


def _stages_in_order(df: pd.DataFrame) -> pd.Series:
    order = {s: i for i, s in enumerate(OPPORTUNITY_STAGES)}
    order.update({s: len(OPPORTUNITY_STAGES) for s in CLOSED_STAGES})
    frame = pd.DataFrame({"opp": df["opportunity_id"], "rank": df["stage"].map(order),
                          "at": df["entered_at"]})
    frame = frame.sort_values(["opp", "rank", "at"], kind="stable")
    previous = frame.groupby("opp", sort=False)["at"].cummax().groupby(frame["opp"]).shift()
    ok = previous.isna() | frame["at"].isna() | (frame["at"] >= previous)
    return ok.reindex(df.index)


def _no_overlap(df: pd.DataFrame) -> pd.Series:
    frame = df.sort_values(["account_id", "product", "start_month"], kind="stable")
    following = frame.groupby(["account_id", "product"], sort=False)["start_month"].shift(-1)
    ok = following.isna() | (frame["end_month"].notna() & (frame["end_month"] <= following))
    return ok.reindex(df.index)


def _unique_when_set(column: str) -> Callable[[pd.DataFrame], pd.Series]:
    return lambda df: df[column].isna() | ~df[column].duplicated(keep=False)


def _movement_sign(df: pd.DataFrame) -> pd.Series:
    up = df["movement"].isin(["new", "expansion", "reactivation"])
    down = df["movement"].isin(["contraction", "churn"])
    return (up & (df["mrr_change"] > 0)) | (down & (df["mrr_change"] < 0)) | ~(up | down)


def _nps_category(score: pd.Series) -> np.ndarray:
    return np.where(score >= 9, "promoter", np.where(score >= 7, "passive", "detractor"))


_WATERFALL_ORDER = (("aql", "inquiry"), ("tal", "aql"), ("tql", "tal"), ("sal", "tql"),
                    ("tgl", "inquiry"), ("sal", "tgl"), ("sgl", "inquiry"), ("sql", "sal"),
                    ("sql", "sgl"), ("opportunity", "sql"))
_PREREQUISITES = (("aql", ("inquiry",)), ("tal", ("aql",)), ("tql", ("tal",)),
                  ("sal", ("tql", "tgl")), ("sql", ("sal", "sgl")), ("opportunity", ("sql",)))

_SPECS: dict[str, dict[str, _Field]] = {
    "accounts": {
        "account_id": _id(),
        "account_name": _field("str", _nonempty()),
        "domain": _field("str", _nonempty()),
        "segment": _category(SEGMENTS),
        "industry": _category(INDUSTRIES),
        "employees": _field("int", _at_least(1)),
        "prefecture": _category(PREFECTURES),
        "first_seen_at": _time(),
    },
    "leads": {
        "lead_id": _id(),
        "account_id": _key(),
        "contact_name": _field("str", _nonempty()),
        "email": _field("str", _described(
            pa.Check.str_matches(r"^[^@\s]+@[^@\s]+\.[^@\s]+$", name="email"),
            "an e-mail address (name@domain.tld)")),
        "channel": _category(CHANNELS),
        "motion": _category(MOTIONS),
        "segment": _category(SEGMENTS),
        "lead_score": _field("int", _range(0, 100)),
        **{f"{s}_at": _time(nullable=s != "inquiry") for s in STAGES},
        "furthest_stage": _category(STAGES),
        "handoff_days": _field("float", _at_least(0), nullable=True),
        "routed_to_account": _field("bool"),
    },
    "opportunities": {
        "opportunity_id": _id(),
        "lead_id": _field("str", _nonempty(), unique=True),
        "account_id": _key(),
        "owner_rep_id": _key(),
        "segment": _category(SEGMENTS),
        "opportunity_type": _category(OPPORTUNITY_TYPES),
        "created_at": _time(),
        "expected_close_date": _time(),
        "closed_at": _time(nullable=True),
        "stage": _category(OPPORTUNITY_STAGES + CLOSED_STAGES),
        "is_closed": _field("bool"),
        "is_won": _field("bool"),
        "status": _category(OPPORTUNITY_STATUSES),
        "list_amount": _money(),
        "discount": _share(),
        "amount": _money(),
        "rep_probability": _share(),
        "forecast_category": _category(FORECAST_CATEGORIES),
        "activities": _count(),
    },
    "opportunity_stages": {
        "opportunity_id": _key(),
        "stage": _category(OPPORTUNITY_STAGES + CLOSED_STAGES),
        "entered_at": _time(),
    },
    "pipeline_snapshots": {
        "snapshot_date": _time(),
        "opportunity_id": _key(),
        "owner_rep_id": _key(),
        "segment": _category(SEGMENTS),
        "stage": _category(OPPORTUNITY_STAGES),
        "amount": _money(),
        "expected_close_date": _time(),
        "push_count": _count(),
        "days_open": _count(),
        "rep_probability": _share(),
        "forecast_category": _category(OPEN_FORECAST_CATEGORIES),
    },
    "subscriptions": {
        "subscription_id": _id(),
        "account_id": _key(),
        "product": _category(PRODUCTS),
        "opportunity_id": _key(nullable=True),
        "start_month": _month(),
        "end_month": _month(nullable=True),
    },
    "mrr": {
        "subscription_id": _key(),
        "account_id": _key(),
        "product": _category(PRODUCTS),
        "month": _month(),
        "mrr": _money(),
    },
    "mrr_movements": {
        "account_id": _key(),
        "month": _month(),
        "movement": _category(MOVEMENTS),
        "mrr_change": _field("float"),
        "detail": _category(MOVEMENT_DETAILS),
    },
    "invoices": {
        "invoice_id": _id(),
        "account_id": _key(),
        "issued_on": _time(),
        "period_start": _time(),
        "period_end": _time(),
        "amount_excl_tax": _money(),
        "tax": _money(),
        "total": _money(),
        "currency": _field("str", _described(pa.Check.str_matches(r"^[A-Z]{3}$", name="currency"),
                                             "an ISO 4217 code such as 'JPY'")),
    },
    "usage": {
        "account_id": _key(),
        "month": _month(),
        "seats": _count(),
        "active_users": _count(),
        "logins": _count(),
        "feature_adoption": _share(),
        "tickets": _count(),
        "health_score": _field("int", _range(0, 100)),
    },
    "tickets": {
        "ticket_id": _id(),
        "account_id": _key(),
        "opened_at": _time(),
        "category": _category(TICKET_CATEGORIES),
        "priority": _category(TICKET_PRIORITIES),
        "resolution_hours": _field("float", _at_least(0), nullable=True),
        "resolved_at": _time(nullable=True),
        "csat": _field("Int", _range(1, 5), nullable=True),
    },
    "nps_responses": {
        "response_id": _id(),
        "account_id": _key(),
        "surveyed_at": _time(),
        "score": _field("int", _range(0, 10)),
        "category": _category(NPS_CATEGORIES),
    },
    "reps": {
        "rep_id": _id(),
        "rep_name": _field("str", _nonempty()),
        "team": _category(TEAMS),
        "segment": _category(SEGMENTS, nullable=True),
        "hired_on": _time(),
        "left_on": _time(nullable=True),
        "ramp_months": _count(),
        "quota_annual": _money(nullable=True),
        "monthly_cost": _money(),
    },
    "quotas": {
        "rep_id": _key(),
        "year": _field("int", _range(1900, 2200)),
        "quota_annual": _money(),
    },
    "marketing_spend": {
        "month": _month(),
        "channel": _category(CHANNELS),
        "spend": _money(),
    },
    "costs": {
        "month": _month(),
        "department": _category(DEPARTMENTS),
        "cost_type": _category(COST_TYPES),
        "amount": _money(),
    },
}

_RULES: dict[str, list[_Rule]] = {
    "leads": [
        *(_after(f"{later}_at", f"{earlier}_at") for later, earlier in _WATERFALL_ORDER),
        *(_needs(stage, *before) for stage, before in _PREREQUISITES),
        _only_for_motion("aql", "inbound"),
        _only_for_motion("tgl", "outbound"),
        _only_for_motion("sgl", "sales"),
        _Rule("furthest_stage is the last stage reached",
              "furthest_stage = the last of inquiry … opportunity whose *_at is set",
              ("furthest_stage",) + tuple(f"{s}_at" for s in STAGES), _furthest_stage_ok,
              skip_missing=False),
        _Rule("handoff_days only once accepted", "handoff_days set only when sal_at is set",
              ("handoff_days", "sal_at"),
              lambda df: df["handoff_days"].isna() | df["sal_at"].notna(), skip_missing=False),
        _Rule("routed leads open no opportunity",
              "opportunity_at empty when routed_to_account is True",
              ("routed_to_account", "opportunity_at"),
              lambda df: ~df["routed_to_account"] | df["opportunity_at"].isna(),
              skip_missing=False),
        _Rule("one motion per channel", "every lead of a channel has the same motion",
              ("channel", "motion"), _one_motion_per_channel),
    ],
    "opportunities": [
        _after("closed_at", "created_at"),
        _Rule("expected_close_date >= created day", "expected_close_date on or after the day "
              "of created_at", ("expected_close_date", "created_at"),
              lambda df: df["expected_close_date"] >= df["created_at"].dt.normalize()),
        _Rule("is_won implies is_closed", "is_closed True wherever is_won is True",
              ("is_won", "is_closed"), lambda df: ~df["is_won"] | df["is_closed"]),
        _Rule("closed_at set iff is_closed", "closed_at set exactly when is_closed is True",
              ("closed_at", "is_closed"), lambda df: df["closed_at"].notna() == df["is_closed"],
              skip_missing=False),
        _Rule("status matches outcome", "status 'open' when not closed, 'won' when won, "
              "'lost' when closed and not won", ("status", "is_closed", "is_won"),
              lambda df: df["status"] == np.where(~df["is_closed"], "open",
                                                  np.where(df["is_won"], "won", "lost"))),
        _Rule("stage matches outcome", "stage closed_won when won, closed_lost when closed and "
              "not won, an open stage otherwise", ("stage", "is_closed", "is_won"),
              lambda df: np.where(df["is_won"], df["stage"].eq("closed_won"), np.where(
                  df["is_closed"], df["stage"].eq("closed_lost"),
                  df["stage"].isin(OPPORTUNITY_STAGES)))),
        _Rule("forecast_category matches outcome", "forecast_category 'Closed' when won, "
              "'Omitted' when lost, Pipeline/Best Case/Commit when open",
              ("forecast_category", "is_closed", "is_won"),
              lambda df: np.where(df["is_won"], df["forecast_category"].eq("Closed"), np.where(
                  df["is_closed"], df["forecast_category"].eq("Omitted"),
                  df["forecast_category"].isin(OPEN_FORECAST_CATEGORIES)))),
        _Rule("amount = list_amount x (1 - discount)",
              "amount = list_amount x (1 - discount), within 1,000 (rounding)",
              ("amount", "list_amount", "discount"),
              lambda df: (df["amount"] - df["list_amount"] * (1 - df["discount"])).abs() <= 1000),
    ],
    "opportunity_stages": [
        _Rule("stages entered in order", "entered_at never decreasing along discovery, demo, "
              "proposal, negotiation, closed_* within an opportunity",
              ("opportunity_id", "stage", "entered_at"), _stages_in_order),
    ],
    "subscriptions": [
        _after("end_month", "start_month"),
        _Rule("one active subscription per account and product",
              "at most one active subscription per account and product: each one ends by "
              "the start_month of the next", ("account_id", "product", "start_month", "end_month"),
              _no_overlap, skip_missing=False),
        _Rule("opportunity_id unique when set", "one subscription per opportunity_id",
              ("opportunity_id",), _unique_when_set("opportunity_id")),
    ],
    "mrr_movements": [
        _Rule("mrr_change sign matches movement",
              "mrr_change > 0 for new, expansion and reactivation; < 0 for contraction and churn",
              ("movement", "mrr_change"), _movement_sign),
        _Rule("detail only for expansion", "detail empty unless movement is 'expansion'",
              ("detail", "movement"),
              lambda df: df["detail"].eq("") | df["movement"].eq("expansion")),
    ],
    "invoices": [
        _Rule("total = amount_excl_tax + tax", "total = amount_excl_tax + tax (within 0.01)",
              ("total", "amount_excl_tax", "tax"),
              lambda df: (df["total"] - df["amount_excl_tax"] - df["tax"]).abs() <= 0.01),
        _after("period_end", "period_start"),
    ],
    "usage": [
        _Rule("active_users <= seats", "active_users <= seats", ("active_users", "seats"),
              lambda df: df["active_users"] <= df["seats"]),
    ],
    "tickets": [
        _after("resolved_at", "opened_at"),
        _Rule("resolution_hours = resolved_at - opened_at",
              "resolution_hours = resolved_at - opened_at in hours (within 0.1 h)",
              ("resolution_hours", "resolved_at", "opened_at"),
              lambda df: ((df["resolved_at"] - df["opened_at"]) / pd.Timedelta(hours=1)
                          - df["resolution_hours"]).abs() <= 0.1),
        _Rule("resolution_hours set iff resolved_at set",
              "resolution_hours set exactly when resolved_at is set (open tickets have neither)",
              ("resolution_hours", "resolved_at"),
              lambda df: df["resolution_hours"].isna() == df["resolved_at"].isna(),
              skip_missing=False),
        _Rule("csat only once resolved", "csat set only when resolved_at is set",
              ("csat", "resolved_at"), lambda df: df["csat"].isna() | df["resolved_at"].notna(),
              skip_missing=False),
    ],
    "nps_responses": [
        _Rule("category matches score",
              "category promoter for 9-10, passive for 7-8, detractor for 0-6",
              ("category", "score"), lambda df: df["category"] == _nps_category(df["score"])),
    ],
    "reps": [
        _Rule("field reps have a segment and quota",
              "segment and quota_annual set exactly for team 'field_sales'",
              ("team", "segment", "quota_annual"),
              lambda df: (df["segment"].notna() == df["team"].eq("field_sales"))
              & (df["quota_annual"].notna() == df["team"].eq("field_sales")),
              skip_missing=False),
    ],
}

_UNIQUE_TOGETHER: dict[str, list[str]] = {
    "opportunity_stages": ["opportunity_id", "stage"],
    "pipeline_snapshots": ["snapshot_date", "opportunity_id"],
    "mrr": ["subscription_id", "month"],
    "mrr_movements": ["account_id", "month"],
    "usage": ["account_id", "month"],
    "marketing_spend": ["month", "channel"],
    "costs": ["month", "department", "cost_type"],
    "quotas": ["rep_id", "year"],
}

_KINDS: dict[str, dict[str, str]] = {
    table: {name: f.kind for name, f in spec.items()} for table, spec in _SPECS.items()
}


def _has_kind(series: pd.Series, kind: str) -> bool:
    dtype = series.dtype
    if kind == "datetime":
        return ptypes.is_datetime64_dtype(dtype)  # timezone-naive only
    if kind in ("float", "int", "Int"):
        return ptypes.is_numeric_dtype(dtype) and not ptypes.is_bool_dtype(dtype)
    if kind == "bool":
        return ptypes.is_bool_dtype(dtype)
    return ptypes.is_string_dtype(dtype) or ptypes.is_object_dtype(dtype)


def _usable(df: pd.DataFrame, table: str, columns: Iterable[str]) -> bool:
    """Whether every column is there with its kind (else its own problem is already reported)."""
    kinds = _KINDS[table]
    return all(c in df.columns and _has_kind(df[c], kinds[c]) for c in columns)


def _rule_check(table: str, rule: _Rule) -> pa.Check:
    def ok(df: pd.DataFrame) -> pd.Series:
        if not _usable(df, table, rule.columns):
            return pd.Series(True, index=df.index)
        ok = pd.Series(np.asarray(rule.ok(df), dtype=bool), index=df.index)
        if rule.skip_missing:
            ok |= df[list(rule.columns)].isna().any(axis=1)
        return ok

    check = pa.Check(ok, name=rule.name)
    setattr(check, _EXPECTED, rule.expected)
    setattr(check, _COLUMNS, rule.columns)
    return check


def _schema(table: str) -> pa.DataFrameSchema:
    return pa.DataFrameSchema(
        {name: f.column for name, f in _SPECS[table].items()},
        checks=[_rule_check(table, rule) for rule in _RULES.get(table, [])],
        unique=_UNIQUE_TOGETHER.get(table),
        strict=True,
        name=table,
    )


#: One pandera schema per table of :data:`revopslab.simulate.TABLES`: every column with its
#: dtype, nullability, uniqueness and allowed values or range, ``strict=True`` (a column
#: outside the schema is a problem), and table-level rules across columns.
SCHEMAS: dict[str, pa.DataFrameSchema] = {table: _schema(table) for table in TABLES}


# ----------------------------------------------------------------------------- problems
@dataclasses.dataclass(frozen=True)
class _Problem:
    table: str
    column: str | None
    check: str
    rows: list[int]
    ids: list[str]
    expected: str
    found: str


def _fmt(value: Any) -> str:
    if value is None or (not isinstance(value, str) and pd.api.types.is_scalar(value)
                         and pd.isna(value)):
        return "missing"
    if isinstance(value, pd.Timestamp):
        if value == value.normalize():
            return value.strftime("%Y-%m-%d")
        return value.isoformat(sep=" ", timespec="minutes" if value.second == 0 else "seconds")
    if isinstance(value, str):
        return repr(value)
    if isinstance(value, (bool, np.bool_)):
        return str(bool(value))
    if isinstance(value, (float, np.floating)):
        return format(float(value), ".10g")
    return str(value)


def _distinct(values: Iterable[Any], limit: int = _SHOWN) -> str:
    shown: list[str] = []
    more = False
    for value in values:
        text = _fmt(value)
        if text in shown:
            continue
        if len(shown) == limit:
            more = True
            break
        shown.append(text)
    return ", ".join(shown) + (", ..." if more else "")


def _ids(df: pd.DataFrame, table: str, rows: Sequence[int]) -> list[str]:
    label = _LABELS.get(table)
    if label is None or label not in df.columns or not rows:
        return []
    return [_fmt(v).strip("'") for v in df[label].to_numpy()[np.asarray(rows, dtype=int)]]


def _problem(df: pd.DataFrame, table: str, column: str | None, check: str, rows: Iterable[int],
             expected: str, found: str) -> _Problem:
    rows = sorted({int(r) for r in rows})
    return _Problem(table, column, check, rows, _ids(df, table, rows), expected, found)


def _row_values(df: pd.DataFrame, rows: Sequence[int], columns: Sequence[str]) -> str:
    columns = [c for c in columns if c in df.columns]
    parts = []
    for row in rows[:_SHOWN]:
        values = ", ".join(f"{c}={_fmt(df[c].iloc[row])}" for c in columns)
        parts.append(f"row {row}: {values}")
    return "; ".join(parts) + ("; ..." if len(rows) > _SHOWN else "")


def _rows_of(cases: pd.DataFrame) -> list[int]:
    return [int(i) for i in cases["index"] if i is not None and not pd.isna(i)]


def _schema_problems(table: str, df: pd.DataFrame, schema: pa.DataFrameSchema) -> list[_Problem]:
    frame = df.reset_index(drop=True)  # rows are reported by position
    try:
        schema.validate(frame, lazy=True)
    except SchemaErrors as err:
        cases = err.failure_cases
    else:
        return []
    cases = cases.assign(
        _column=np.where(cases["schema_context"].eq("Column"), cases["column"], ""),
        _number=pd.to_numeric(cases["check_number"], errors="coerce").fillna(-1).astype(int),
    )
    dtype_broken = set(cases.loc[cases["check"].str.startswith("dtype("), "column"])
    kinds = _KINDS.get(table, {})
    problems: list[_Problem] = []
    column_order = {name: i for i, name in enumerate(schema.columns)}
    grouped = cases.groupby(["schema_context", "_column", "check", "_number"], sort=False,
                            dropna=False)
    for (context, column, check, number), group in grouped:
        rows = _rows_of(group)
        if check == "column_in_schema":
            for name in group["failure_case"]:
                problems.append(_problem(frame, table, str(name), "unexpected_column", [],
                                         f"only the columns of the {table} schema (strict)",
                                         f"unexpected column {str(name)!r}"))
        elif check == "column_in_dataframe":
            for name in group["failure_case"]:
                problems.append(_problem(frame, table, str(name), "missing_column", [],
                                         f"a column {str(name)!r}", "no such column"))
        elif check.startswith("dtype("):
            kind = kinds.get(column)
            expected = f"dtype {_KIND_TEXT[kind]}" if kind else check
            found = (_distinct(group["failure_case"]) if rows
                     else f"dtype {group['failure_case'].iloc[0]}")
            problems.append(_problem(frame, table, column, "dtype", rows, expected, found))
        elif check == "not_nullable":
            problems.append(_problem(frame, table, column, "not_nullable", rows,
                                     "no missing values", "missing values"))
        elif check == "field_uniqueness":
            problems.append(_problem(frame, table, column, "unique", rows, "unique values",
                                     "duplicates " + _distinct(group["failure_case"])))
        elif check == "multiple_fields_uniqueness":
            together = list(schema.unique or [])
            shown = ", ".join(together)
            found = _row_values(frame, sorted(set(rows)), together)
            problems.append(_problem(frame, table, shown, "unique_together", rows,
                                     f"unique combinations of ({shown})", "duplicates " + found))
        elif context == "Column":
            if not rows and column in dtype_broken:
                continue  # the check could not run on a column of the wrong dtype
            obj = schema.columns[column].checks[number] if number >= 0 else None
            name = getattr(obj, "name", None) or check
            expected = getattr(obj, _EXPECTED, None) or check
            found = _distinct(group["failure_case"]) if rows else str(
                group["failure_case"].iloc[0])
            problems.append(_problem(frame, table, column, name, rows, expected, found))
        else:
            obj = schema.checks[number] if number >= 0 else None
            name = getattr(obj, "name", None) or check
            expected = getattr(obj, _EXPECTED, None) or check
            columns = getattr(obj, _COLUMNS, ())
            found = (_row_values(frame, sorted(set(rows)), columns) if rows
                     else str(group["failure_case"].iloc[0]))
            problems.append(_problem(frame, table, None, name, rows, expected, found))

    def order(p: _Problem) -> tuple[int, int]:
        if p.check in ("missing_column", "unexpected_column"):
            return (0, column_order.get(p.column, len(column_order)))
        if p.column in column_order:
            return (1, column_order[p.column])
        return (2, 0)

    return sorted(problems, key=order)


# ----------------------------------------------------------------------------- cross-table
#: (table, column, referenced table, referenced column): every value must resolve.
FOREIGN_KEYS: tuple[tuple[str, str, str, str], ...] = (
    ("leads", "account_id", "accounts", "account_id"),
    ("opportunities", "account_id", "accounts", "account_id"),
    ("opportunities", "lead_id", "leads", "lead_id"),
    ("opportunities", "owner_rep_id", "reps", "rep_id"),
    ("opportunity_stages", "opportunity_id", "opportunities", "opportunity_id"),
    ("pipeline_snapshots", "opportunity_id", "opportunities", "opportunity_id"),
    ("pipeline_snapshots", "owner_rep_id", "reps", "rep_id"),
    ("quotas", "rep_id", "reps", "rep_id"),
    ("subscriptions", "account_id", "accounts", "account_id"),
    ("subscriptions", "opportunity_id", "opportunities", "opportunity_id"),
    ("mrr", "subscription_id", "subscriptions", "subscription_id"),
    ("mrr", "account_id", "accounts", "account_id"),
    ("mrr_movements", "account_id", "accounts", "account_id"),
    ("invoices", "account_id", "accounts", "account_id"),
    ("usage", "account_id", "accounts", "account_id"),
    ("tickets", "account_id", "accounts", "account_id"),
    ("nps_responses", "account_id", "accounts", "account_id"),
)

#: Dates that may lie after ``as_of``: forecasts and the end of a billed service period.
_AFTER_AS_OF_ALLOWED = frozenset({"expected_close_date", "period_end"})


def _ready(tables: Tables, *needs: tuple[str, Sequence[str]]) -> bool:
    return all(t in tables and _usable(tables[t], t, cols) for t, cols in needs)


def _foreign_key_problems(tables: Tables) -> list[_Problem]:
    problems = []
    for table, column, parent, key in FOREIGN_KEYS:
        if not _ready(tables, (table, [column]), (parent, [key])):
            continue
        child = tables[table].reset_index(drop=True)
        values = child[column]
        missing = values.notna() & ~values.isin(tables[parent][key].dropna().unique())
        if missing.any():
            rows = np.flatnonzero(missing.to_numpy())
            problems.append(_problem(child, table, column, "foreign_key", rows,
                                     f"values present in {parent}.{key}",
                                     _distinct(values.iloc[rows])))
    return problems


def _mismatch(tables: Tables, table: str, key: str, parent: str, parent_key: str,
              columns: Sequence[str], check: str) -> list[_Problem]:
    """Rows of ``table`` whose ``columns`` differ from those of the row they reference."""
    if not _ready(tables, (table, [key, *columns]), (parent, [parent_key, *columns])):
        return []
    child = tables[table].reset_index(drop=True)
    lookup = tables[parent].drop_duplicates(parent_key).set_index(parent_key)
    bad = np.zeros(len(child), dtype=bool)
    for column in columns:
        theirs = child[key].map(lookup[column])
        bad |= (theirs.notna() & (theirs.to_numpy() != child[column].to_numpy())).to_numpy()
    if not bad.any():
        return []
    rows = np.flatnonzero(bad)
    shown = " and ".join(columns)
    found = "; ".join(
        f"row {r}: " + ", ".join(f"{c}={_fmt(child[c].iloc[r])} vs "
                                 f"{_fmt(lookup[c].get(child[key].iloc[r]))}" for c in columns)
        for r in rows[:_SHOWN]) + ("; ..." if len(rows) > _SHOWN else "")
    return [_problem(child, table, key, check, rows,
                     f"the {shown} of the referenced {parent} row", found)]


def _cross_problems(tables: Tables, as_of: pd.Timestamp | None) -> list[_Problem]:
    problems = _foreign_key_problems(tables)
    problems += _mismatch(tables, "opportunities", "lead_id", "leads", "lead_id",
                          ["account_id"], "same account as its lead")
    problems += _mismatch(tables, "subscriptions", "opportunity_id", "opportunities",
                          "opportunity_id", ["account_id"], "same account as its opportunity")
    problems += _mismatch(tables, "mrr", "subscription_id", "subscriptions", "subscription_id",
                          ["account_id", "product"], "same account and product as its subscription")

    if _ready(tables, ("opportunities", ["opportunity_id", "is_won"]),
              ("subscriptions", ["opportunity_id"])):
        opps = tables["opportunities"].reset_index(drop=True)
        started = tables["subscriptions"]["opportunity_id"].dropna().unique()
        lacking = opps["is_won"].to_numpy(dtype=bool) & ~opps["opportunity_id"].isin(started)
        if lacking.any():
            rows = np.flatnonzero(lacking)
            problems.append(_problem(opps, "opportunities", "opportunity_id",
                                     "won opportunity has a subscription", rows,
                                     "a subscription whose opportunity_id is this won deal",
                                     "no subscription for " + _distinct(
                                         opps["opportunity_id"].iloc[rows])))
    if _ready(tables, ("subscriptions", ["opportunity_id"]),
              ("opportunities", ["opportunity_id", "is_won"])):
        subs = tables["subscriptions"].reset_index(drop=True)
        won = tables["opportunities"].drop_duplicates("opportunity_id").set_index(
            "opportunity_id")["is_won"]
        outcome = subs["opportunity_id"].map(won)
        lost = (outcome.notna() & outcome.eq(False)).to_numpy()
        if lost.any():
            rows = np.flatnonzero(lost)
            problems.append(_problem(subs, "subscriptions", "opportunity_id",
                                     "subscription from a won opportunity", rows,
                                     "an opportunity with is_won True",
                                     "not won: " + _distinct(subs["opportunity_id"].iloc[rows])))
    if _ready(tables, ("mrr", ["subscription_id", "month"]),
              ("subscriptions", ["subscription_id", "start_month", "end_month"])):
        mrr = tables["mrr"].reset_index(drop=True)
        subs = tables["subscriptions"].drop_duplicates("subscription_id").set_index(
            "subscription_id")
        start = mrr["subscription_id"].map(subs["start_month"])
        end = mrr["subscription_id"].map(subs["end_month"])
        outside = (start.notna() & ((mrr["month"] < start) | (end.notna() & (mrr["month"] >= end))))
        if outside.any():
            rows = np.flatnonzero(outside.to_numpy())
            found = "; ".join(f"row {r}: month={_fmt(mrr['month'].iloc[r])}, start_month="
                              f"{_fmt(start.iloc[r])}, end_month={_fmt(end.iloc[r])}"
                              for r in rows[:_SHOWN]) + ("; ..." if len(rows) > _SHOWN else "")
            problems.append(_problem(mrr, "mrr", "month", "within its subscription", rows,
                                     "start_month <= month < end_month of the subscription",
                                     found))
    if _ready(tables, ("pipeline_snapshots", ["opportunity_id", "snapshot_date"]),
              ("opportunities", ["opportunity_id", "created_at", "closed_at"])):
        snaps = tables["pipeline_snapshots"].reset_index(drop=True)
        opps = tables["opportunities"].drop_duplicates("opportunity_id").set_index(
            "opportunity_id")
        created = snaps["opportunity_id"].map(opps["created_at"])
        closed = snaps["opportunity_id"].map(opps["closed_at"])
        date = snaps["snapshot_date"]
        shut = (created.notna() & ((date < created) | (closed.notna() & (date >= closed))))
        if shut.any():
            rows = np.flatnonzero(shut.to_numpy())
            found = "; ".join(f"row {r}: snapshot_date={_fmt(date.iloc[r])}, created_at="
                              f"{_fmt(created.iloc[r])}, closed_at={_fmt(closed.iloc[r])}"
                              for r in rows[:_SHOWN]) + ("; ..." if len(rows) > _SHOWN else "")
            problems.append(_problem(snaps, "pipeline_snapshots", "snapshot_date",
                                     "snapshot while open", rows,
                                     "created_at <= snapshot_date < closed_at of the opportunity",
                                     found))
    if as_of is not None:
        for table, df in tables.items():
            for column, kind in _KINDS[table].items():
                if kind != "datetime" or column in _AFTER_AS_OF_ALLOWED or not _usable(
                        df, table, [column]):
                    continue
                frame = df.reset_index(drop=True)
                late = (frame[column] >= as_of).to_numpy()
                if late.any():
                    rows = np.flatnonzero(late)
                    problems.append(_problem(frame, table, column, "recorded by as_of", rows,
                                             f"timestamps before as_of ({_fmt(as_of)})",
                                             _distinct(frame[column].iloc[rows])))
    return problems


# ----------------------------------------------------------------------------- public API
def _frame(problems: Sequence[_Problem]) -> pd.DataFrame:
    return pd.DataFrame({
        column: pd.Series([getattr(p, column) for p in problems], dtype=object)
        for column in PROBLEM_COLUMNS
    })


def _line(problem: Mapping[str, Any]) -> str:
    column = problem["column"]
    where = problem["table"] + (f".{column}" if isinstance(column, str) and column else "")
    text = f"{where} [{problem['check']}]"
    rows = list(problem["rows"])
    if rows:
        shown = ", ".join(str(r) for r in rows[:_SHOWN])
        more = f", ... ({len(rows):,} rows)" if len(rows) > _SHOWN else ""
        text += f": rows [{shown}{more}]"
        ids = list(problem["ids"])
        label = _LABELS.get(problem["table"])
        if ids and label:
            text += f" ({label} {', '.join(ids[:_SHOWN])}{', ...' if len(ids) > _SHOWN else ''})"
    return text + f": expected {problem['expected']}, found {problem['found']}"


class CompanyValidationError(ValueError):
    """Every problem :func:`validate` found, one line each, in one error.

    Attributes
    ----------
    problems : pandas.DataFrame
        One row per problem with columns :data:`PROBLEM_COLUMNS`: the ``table``;
        the ``column`` (empty for a rule across columns); the ``check`` that
        failed; ``rows``, the positions (0-based) of every offending row;
        ``ids``, their ids; what was ``expected``; and what was ``found``.

    Examples
    --------
    >>> import pandas as pd
    >>> error = CompanyValidationError(pd.DataFrame([{
    ...     "table": "opportunities", "column": "discount", "check": "in_range",
    ...     "rows": [3, 17], "ids": ["O000004", "O000018"],
    ...     "expected": "values in [0, 1]", "found": "1.4, -0.2"}]))
    >>> print(error)
    1 problem in 1 table (opportunities):
    - opportunities.discount [in_range]: rows [3, 17] (opportunity_id O000004, O000018): expected values in [0, 1], found 1.4, -0.2
    """  # noqa: E501

    def __init__(self, problems: pd.DataFrame) -> None:
        self.problems = problems.reset_index(drop=True)
        tables = list(dict.fromkeys(self.problems["table"]))
        count = len(self.problems)
        head = (f"{count} problem{'s' if count != 1 else ''} in {len(tables)} "
                f"table{'s' if len(tables) != 1 else ''} ({', '.join(tables)}):")
        lines = [f"- {_line(row)}" for row in self.problems.to_dict("records")]
        super().__init__("\n".join([head, *lines]))

    def __reduce__(self):  # keep the error picklable (e.g. across pytest-xdist workers)
        return (type(self), (self.problems,))


def _tables_of(company: Company | Tables) -> tuple[dict[str, pd.DataFrame], pd.Timestamp | None]:
    if isinstance(company, Company):
        return company.tables(), company.as_of
    if not isinstance(company, Mapping):
        raise TypeError("company must be a Company or a mapping of table name to DataFrame, "
                        f"got {type(company).__name__}")
    unknown = sorted(set(company) - set(TABLES))
    if unknown:
        raise ValueError(f"tables must be among {TABLES}, got {unknown}")
    for name, df in company.items():
        if not isinstance(df, pd.DataFrame):
            raise TypeError(f"table {name!r} must be a pandas DataFrame, got {type(df).__name__}")
    return {name: company[name] for name in TABLES if name in company}, None


def find_problems(company: Company | Tables) -> pd.DataFrame:
    """Every problem in a company's tables, as a tidy frame (empty when all is valid).

    Runs the same checks as :func:`validate` but returns the problems
    instead of raising.

    Parameters
    ----------
    company
        A :class:`~revopslab.simulate.Company`, or a mapping of table name
        to DataFrame (only the tables given are checked).

    Returns
    -------
    pandas.DataFrame
        One row per problem, columns :data:`PROBLEM_COLUMNS`.

    Examples
    --------
    >>> from revopslab.config import CompanyConfig
    >>> from revopslab.simulate import simulate_company
    >>> company = simulate_company(CompanyConfig(months=6, scale=0.1), rng=3)
    >>> find_problems({"reps": company.reps}).empty
    True
    >>> reps = company.reps.assign(team="sales")
    >>> find_problems({"reps": reps})[["column", "check", "expected"]].iloc[0].tolist()
    ['team', 'isin', "one of 'field_sales', 'inside_sales', 'customer_success'"]
    """
    tables, as_of = _tables_of(company)
    problems: list[_Problem] = []
    for name, df in tables.items():
        problems += _schema_problems(name, df, SCHEMAS[name])
    problems += _cross_problems(tables, as_of)
    return _frame(problems)


def validate(company: CompanyLike) -> CompanyLike:
    """Check every table of a company and how the tables fit together.

    Each table is validated lazily against its schema in :data:`SCHEMAS`
    (dtypes, missing values, unique ids, allowed values, ranges, no
    unexpected or missing column, rules across columns), then the
    cross-table checks run: every foreign key resolves, every won
    opportunity has a subscription, linked rows agree on account and
    product, and, for a :class:`~revopslab.simulate.Company`, nothing is
    recorded after its ``as_of``. All problems are collected before one
    error is raised.

    Parameters
    ----------
    company
        A :class:`~revopslab.simulate.Company`, or a mapping of table name
        to DataFrame such as a user's own data: only the tables given are
        checked, and a cross-table check runs when both of its tables are
        given.

    Returns
    -------
    Company or mapping
        ``company`` itself, unchanged, when it is valid.

    Raises
    ------
    CompanyValidationError
        Listing every problem, one line each (table, column or check,
        offending rows and ids, expected and found); ``.problems`` holds
        them as a DataFrame.
    TypeError, ValueError
        If ``company`` is neither a Company nor a mapping of known table
        names to DataFrames.

    Examples
    --------
    >>> from revopslab.config import CompanyConfig
    >>> from revopslab.simulate import simulate_company
    >>> company = simulate_company(CompanyConfig(months=6, scale=0.1), rng=3)
    >>> tables = {"accounts": company.accounts, "reps": company.reps,
    ...           "opportunities": company.opportunities}
    >>> validate(tables) is tables
    True
    >>> opportunities = company.opportunities.copy()
    >>> opportunities.loc[2, "discount"] = 1.4
    >>> try:
    ...     validate({**tables, "opportunities": opportunities})
    ... except CompanyValidationError as error:
    ...     for problem in error.problems.itertuples():
    ...         print(problem.table, problem.column, problem.check, problem.rows)
    opportunities discount in_range [2]
    opportunities None amount = list_amount x (1 - discount) [2]
    """
    problems = find_problems(company)
    if len(problems):
        raise CompanyValidationError(problems)
    return company


def validate_table(name: str, df: pd.DataFrame) -> pd.DataFrame:
    """Check one table against its schema in :data:`SCHEMAS` (no cross-table checks).

    Parameters
    ----------
    name
        The table's name, one of :data:`revopslab.simulate.TABLES`.
    df
        The table.

    Returns
    -------
    pandas.DataFrame
        ``df`` itself, unchanged, when it is valid.

    Raises
    ------
    CompanyValidationError
        Listing every problem of the table.

    Examples
    --------
    >>> from revopslab.config import CompanyConfig
    >>> from revopslab.simulate import simulate_company
    >>> company = simulate_company(CompanyConfig(months=6, scale=0.1), rng=3)
    >>> validate_table("costs", company.costs) is company.costs
    True
    >>> try:
    ...     validate_table("costs", company.costs.drop(columns="amount").assign(note="x"))
    ... except CompanyValidationError as error:
    ...     print(error)
    2 problems in 1 table (costs):
    - costs.amount [missing_column]: expected a column 'amount', found no such column
    - costs.note [unexpected_column]: expected only the columns of the costs schema (strict), found unexpected column 'note'
    """  # noqa: E501
    if name not in SCHEMAS:
        raise ValueError(f"name must be one of {TABLES}, got {name!r}")
    if not isinstance(df, pd.DataFrame):
        raise TypeError(f"df must be a pandas DataFrame, got {type(df).__name__}")
    problems = _schema_problems(name, df, SCHEMAS[name])
    if problems:
        raise CompanyValidationError(_frame(problems))
    return df
