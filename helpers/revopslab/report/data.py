"""The report's data: a simulated company or a CRM export, its scope and its period."""

from __future__ import annotations

import contextlib
import dataclasses
import os
import warnings
from collections.abc import Mapping
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pandas as pd

from .. import metrics
from ..vocabulary import DEFAULT_SEED, SEGMENTS
from .params import month_pair

__all__ = ["ReportData", "prepare", "load_source", "read_quotas", "export_notes", "resolve_period",
           "period_label"]

_DAY = pd.Timedelta(days=1)


# ============================================================================ data
@dataclasses.dataclass(frozen=True)
class ReportData:
    """What the report reads: a simulated company, or a CRM export's opportunities.

    Attributes
    ----------
    kind
        ``"simulated"`` or ``"crm_export"``.
    label
        One line saying where the data came from.
    opportunities
        The opportunities table (for an export: the rows kept).
    as_of
        The extraction date: the company's, the ``as_of`` parameter, or for an
        export the day after its latest created or closed date.
    tables
        Names of the tables available (an export has ``("opportunities",)``).
    company
        The :class:`~revopslab.simulate.Company` (``None`` for an export).
    export
        The :class:`~revopslab.crm.CrmExport` (``None`` for a simulated company).
    quarantine_path
        Where the export's quarantined rows were written.
    currency
        Currency of the amounts.
    quotas
        Reps and their annual quotas (``rep_id, quota_annual``, as
        :func:`revopslab.metrics.rep_attainment` reads them): the simulated
        company's reps, or an export's quotas file; ``None`` without one.
    label_ja
        :attr:`label` in Japanese (``None``: the English one is shown).
    leads_export, billing_export
        The :class:`~revopslab.crm.TableExport` of an export's leads and
        billing files (``None`` without one).
    frames
        The tables the waterfall, bowtie and retention sections read, as
        attributes (``leads``, ``opportunities``, ``mrr``, ``mrr_movements``,
        ``nps_responses``, ``as_of``): the simulated company itself, or for an
        export the files given (an absent one is an empty table).
    """

    kind: str
    label: str
    opportunities: pd.DataFrame
    as_of: pd.Timestamp
    tables: tuple[str, ...]
    company: Any = None
    export: Any = None
    quarantine_path: Path | None = None
    currency: str = "JPY"
    quotas: pd.DataFrame | None = None
    label_ja: str | None = None
    leads_export: Any = None
    billing_export: Any = None
    frames: Any = None

    def __post_init__(self) -> None:
        if self.frames is None:
            object.__setattr__(self, "frames", self.company if self.company is not None
                               else _frames(self.opportunities, self.as_of))

    def describe(self, *, lang: str = "en") -> str:
        """Where the data came from, in ``lang``."""
        return self.label_ja if lang == "ja" and self.label_ja else self.label

    def quarantine_file(self, kind: str = "opportunities") -> Path | None:
        """The file an export's unreadable rows were written to; ``None`` when it has none.

        ``kind`` is ``"opportunities"``, ``"leads"`` or ``"billing"``. No
        file is written for an export none of whose rows was quarantined
        (:func:`revopslab.crm.read_crm_export`), nor for a simulated company.

        Examples
        --------
        >>> load_source("simulated", months=12, scale=0.1, rng=3).quarantine_file() is None
        True
        """
        exports = {"opportunities": self.export, "leads": self.leads_export,
                   "billing": self.billing_export}
        if kind not in exports:
            raise ValueError(f"kind must be one of {list(exports)}, got {kind!r}")
        export = exports[kind]
        if export is None or self.quarantine_path is None or not len(export.quarantined):
            return None
        return (self.quarantine_path if kind == "opportunities"
                else _related_quarantine(self.quarantine_path, kind))

    def has(self, *tables: str) -> bool:
        """True when every one of ``tables`` is available."""
        return all(t in self.tables for t in tables)

    def segments(self) -> list[str]:
        """The segments present in the opportunities (empty when there is no segment column)."""
        if "segment" not in self.opportunities.columns:
            return []
        values = pd.unique(self.opportunities["segment"].dropna())
        return [s for s in SEGMENTS if s in values] + sorted(set(values) - set(SEGMENTS))

    def scoped(self, segment: str | None) -> ReportData:
        """The same data restricted to one ``segment`` (every table), or itself for ``None``.

        Raises
        ------
        ValueError
            The data has no segment column, or not this segment.
        """
        if segment is None:
            return self
        segments = self.segments()
        if segment not in segments:
            if not segments:
                raise ValueError(f"segment={segment!r} needs a segment column, which the "
                                 f"{self.kind.replace('_', ' ')} ({self.label}) does not have; "
                                 "use segment=None")
            raise ValueError(f"segment must be one of {segments} (the segments in the data) "
                             f"or None, got {segment!r}")
        opps = self.opportunities[self.opportunities["segment"] == segment]
        company = self.company
        if company is not None:
            company = _scope_company(company, segment)
            opps = company.opportunities
        quotas = self.quotas
        if quotas is not None and "segment" in quotas.columns:
            quotas = quotas[quotas["segment"] == segment]
        frames = company
        if company is None:
            frames = _scope_frames(self.frames, opps, segment)
        return dataclasses.replace(self, opportunities=opps.reset_index(drop=True),
                                   company=company, quotas=quotas, frames=frames,
                                   label=f"{self.label}, segment {segment}",
                                   label_ja=None if self.label_ja is None else
                                   f"{self.label_ja}、セグメント {segment}")


def _scope_company(company, segment: str):
    """Every table of ``company`` restricted to the accounts and deals of one segment."""
    accounts = company.accounts[company.accounts["segment"] == segment]
    ids = accounts["account_id"]
    opps = company.opportunities[company.opportunities["segment"] == segment]
    by_account = {name: getattr(company, name) for name in (
        "subscriptions", "mrr", "mrr_movements", "invoices", "usage", "tickets",
        "nps_responses")}
    return company.replace(
        accounts=accounts, opportunities=opps,
        leads=company.leads[company.leads["segment"] == segment],
        opportunity_stages=company.opportunity_stages[
            company.opportunity_stages["opportunity_id"].isin(opps["opportunity_id"])],
        pipeline_snapshots=company.pipeline_snapshots[
            company.pipeline_snapshots["segment"] == segment],
        **{name: df[df["account_id"].isin(ids)] for name, df in by_account.items()})


_EMPTY = {
    "leads": {"lead_id": "str", "inquiry_at": "datetime64[ns]", "sql_at": "datetime64[ns]",
              "opportunity_at": "datetime64[ns]"},
    "mrr": {"account_id": "str", "month": "datetime64[ns]", "mrr": "float64"},
    "mrr_movements": {"account_id": "str", "month": "datetime64[ns]", "movement": "str",
                      "mrr_change": "float64"},
    "nps_responses": {"account_id": "str", "surveyed_at": "datetime64[ns]", "score": "int64"},
}


def _empty(name: str) -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype=t) for c, t in _EMPTY[name].items()})


def _frames(opportunities: pd.DataFrame, as_of, *, leads: pd.DataFrame | None = None,
            mrr: pd.DataFrame | None = None) -> SimpleNamespace:
    """An export's tables as the sections read them; the absent ones are empty tables.

    The MRR movements are :func:`revopslab.metrics.classify_mrr_movements` of
    the billing export's MRR (an export has no movements table).
    """
    return SimpleNamespace(
        opportunities=opportunities, as_of=pd.Timestamp(as_of),
        leads=_empty("leads") if leads is None else leads,
        mrr=_empty("mrr") if mrr is None else mrr,
        mrr_movements=(_empty("mrr_movements") if mrr is None
                       else metrics.classify_mrr_movements(mrr)),
        nps_responses=_empty("nps_responses"))


def _scope_frames(frames: SimpleNamespace, opps: pd.DataFrame, segment: str
                  ) -> SimpleNamespace:
    """An export's tables restricted to one segment.

    Leads by their own ``segment`` column (else those whose opportunity is in
    the segment); MRR and its movements by the accounts of the segment's
    opportunities.
    """
    leads = frames.leads
    if "segment" in leads.columns:
        leads = leads[leads["segment"] == segment]
    elif "opportunity_id" in leads.columns:
        leads = leads[leads["opportunity_id"].isin(opps["opportunity_id"])]
    accounts = opps["account_id"] if "account_id" in opps.columns else pd.Series(dtype=str)
    mrr = frames.mrr[frames.mrr["account_id"].isin(accounts)]
    moves = frames.mrr_movements[frames.mrr_movements["account_id"].isin(accounts)]
    return SimpleNamespace(opportunities=opps, as_of=frames.as_of, leads=leads, mrr=mrr,
                           mrr_movements=moves, nps_responses=frames.nps_responses)


def _with_lead_ids(opps: pd.DataFrame, leads: pd.DataFrame) -> pd.DataFrame:
    """The opportunities with ``lead_id`` from the leads' converted opportunity ID.

    An export's own ``lead_id`` column is kept where it has a value.
    """
    if "opportunity_id" not in leads.columns:
        return opps
    source = leads.dropna(subset=["opportunity_id"]).drop_duplicates("opportunity_id")
    found = opps["opportunity_id"].map(source.set_index("opportunity_id")["lead_id"])
    if "lead_id" in opps.columns:
        found = opps["lead_id"].where(opps["lead_id"].notna(), found)
    return opps.assign(lead_id=found.astype(object))


def _related_quarantine(quarantine: Path, kind: str) -> Path:
    """Where a leads or billing export's bad rows go: beside the opportunity quarantine."""
    return quarantine.with_name(f"{quarantine.stem}_{kind}{quarantine.suffix or '.csv'}")


def load_source(source: str | os.PathLike = "simulated", *, rng: int = DEFAULT_SEED,
                profile: str = "default", months: int = 36, scale: float = 1.0,
                mapping: str | Mapping = "salesforce", quarantine: str | os.PathLike | None = None,
                as_of: str | None = None, quotas: str | os.PathLike | None = None,
                leads: str | os.PathLike | None = None, leads_mapping: str | Mapping = "salesforce",
                billing: str | os.PathLike | None = None,
                billing_mapping: str | Mapping = "billing", seed: int | None = None
                ) -> ReportData:
    """Load the report's data: a simulated company, or CRM exports (opportunities, leads, billing).

    Parameters
    ----------
    source
        ``"simulated"``, or the path of a CRM opportunity export (CSV in any
        encoding :func:`~revopslab.crm.read_crm_export` detects, or ``.xlsx``).
        A path is only a file name, whatever characters it holds.
    rng, profile, months, scale
        The simulated company: ``simulate_company(company_profile(profile,
        months=months, scale=scale), rng=rng)``; the default company (seed
        2024) is read from ``data/`` instead, which is the same and faster.
    mapping
        The opportunity export's column mapping: ``"salesforce"``,
        ``"hubspot"``, the path of a mapping file (``.yaml``,
        :mod:`revopslab.mapping`) or a dict. The data's label ends with
        :func:`export_notes` (stage labels resolved, deals without an
        amount), which the report shows.
    quarantine
        Where to write the opportunity export's unreadable rows (CSV); default
        ``<export>_quarantine.csv`` beside the export. A leads or billing
        export's go beside it, ``<name>_leads.csv`` and ``<name>_billing.csv``.
    as_of
        Extraction date of an export (default: the day after its latest created
        or closed date). Ignored for a simulated company.
    quotas
        An export's quotas file (:func:`read_quotas`); the simulated company
        has its reps' quotas.
    leads, leads_mapping
        An export's leads file and its mapping
        (:func:`revopslab.crm.read_table_export` with ``kind="leads"``): with
        it, the waterfall and conversion sections. Leads join the
        opportunities by the converted opportunity's ID.
    billing, billing_mapping
        An export's billing file (MRR by account and month, or subscriptions)
        and its mapping (``kind="billing"``): with it, the retention section
        and, with leads too, the bowtie. Accounts join the opportunities by
        the opportunity export's ``account_id`` (its Account ID, else its
        Account Name), so the billing file must name them the same way.
    seed
        Deprecated name of ``rng`` (warns).

    Returns
    -------
    ReportData

    Examples
    --------
    >>> data = load_source("simulated", months=12, scale=0.1, rng=3)
    >>> data.kind, data.tables[:3], str(data.as_of.date())
    ('simulated', ('accounts', 'leads', 'opportunities'), '2024-01-01')
    """
    if seed is not None:
        warnings.warn("load_source(seed=...) is deprecated; the package's name for "
                      "randomness is rng=", DeprecationWarning, stacklevel=2)
        rng = seed
    if source == "simulated":
        extra = [name for name, value in (("leads", leads), ("billing", billing))
                 if value is not None]
        if extra:
            raise ValueError(f"{' and '.join(extra)} must be None for source='simulated' (the "
                             "simulated company has its own); pass the path of your opportunity "
                             "export as source")
        from ..config import CompanyConfig, company_profile
        from ..simulate import DEFAULT_SEED, TABLES, simulate_company

        config = company_profile(profile, months=months, scale=float(scale))
        company = None
        if config == CompanyConfig() and rng == DEFAULT_SEED:
            from ..datasets import available_companies, load_company

            with contextlib.suppress(FileNotFoundError):
                if "default" in available_companies():
                    company = load_company("default")
        if company is None:
            company = simulate_company(config, rng=rng)
        text = (f"simulated company (profile {profile}, seed {rng}, {config.months} months, "
                f"scale {float(scale):g})")
        text_ja = (f"シミュレーションの会社（プロファイル {profile}、シード {rng}、"
                   f"{config.months}か月、規模 {float(scale):g}）")
        return ReportData(kind="simulated", label=text, label_ja=text_ja,
                          opportunities=company.opportunities,
                          as_of=pd.Timestamp(company.as_of), tables=tuple(TABLES),
                          company=company, currency=config.currency, quotas=company.reps)
    from ..crm import read_crm_export, read_table_export

    path = Path(source)
    if quarantine is None:
        quarantine = path.with_name(f"{path.stem}_quarantine.csv")
    export = read_crm_export(path, mapping=mapping, quarantine=quarantine)
    opps = export.opportunities
    if as_of is not None:
        when = pd.Timestamp(as_of).normalize()
    else:
        latest = pd.concat([opps["created_at"], opps["closed_at"]]).max()
        if pd.isna(latest):
            raise ValueError(f"source {str(path)!r} has no readable created or closed date "
                             "to take the extraction date from; pass as_of='YYYY-MM-DD'")
        when = pd.Timestamp(latest).normalize() + _DAY
    currencies = opps["currency"].dropna().unique() if "currency" in opps else []
    s = export.source
    text = f"{path.name} ({s.mapping}, {s.encoding})" + export_notes(s)
    text_ja = f"{path.name}（{s.mapping}、{s.encoding}）" + export_notes(s, lang="ja")
    tables = ["opportunities"]
    lead_export = billing_export = None
    if leads is not None:
        lead_export = read_table_export(leads, kind="leads", mapping=leads_mapping,
                                        quarantine=_related_quarantine(Path(quarantine),
                                                                       "leads"))
        opps = _with_lead_ids(opps, lead_export.table)
        tables.append("leads")
        text += f"; leads: {Path(leads).name} ({lead_export.source.rows_kept:,} leads)"
        text_ja += f"、リード: {Path(leads).name}（{lead_export.source.rows_kept:,}件）"
    if billing is not None:
        billing_export = read_table_export(billing, kind="billing", mapping=billing_mapping,
                                           quarantine=_related_quarantine(Path(quarantine),
                                                                          "billing"),
                                           through=when - _DAY)
        tables += ["mrr", "mrr_movements"]
        accounts = billing_export.table["account_id"].nunique()
        text += f"; billing: {Path(billing).name} ({accounts:,} accounts)"
        text_ja += f"、請求: {Path(billing).name}（{accounts:,}社）"
    frames = _frames(opps, when, leads=None if lead_export is None else lead_export.table,
                     mrr=None if billing_export is None else billing_export.table)
    return ReportData(kind="crm_export", label=text, label_ja=text_ja, opportunities=opps,
                      as_of=when,
                      tables=tuple(tables), export=export,
                      quarantine_path=Path(quarantine),
                      currency=str(currencies[0]) if len(currencies) == 1 else "JPY",
                      quotas=None if quotas is None else read_quotas(quotas),
                      leads_export=lead_export, billing_export=billing_export, frames=frames)


def read_quotas(path: str | os.PathLike) -> pd.DataFrame:
    """A quotas file as the reps table :func:`revopslab.metrics.rep_attainment` reads.

    The file is a CSV (UTF-8 or CP932) with a column ``owner`` (the
    export's opportunity owner, as written there) and ``quota_annual`` (the
    annual quota, in the export's currency); ``segment`` is optional. Each
    quota applies from before the data (no ramp).

    Examples
    --------
    >>> import tempfile
    >>> folder = Path(tempfile.mkdtemp())
    >>> _ = (folder / "q.csv").write_text("owner,quota_annual\\nSato,1200000\\n")
    >>> read_quotas(folder / "q.csv")[["rep_id", "quota_annual"]]
      rep_id  quota_annual
    0   Sato     1200000.0
    """
    raw = Path(path).read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = raw.decode("cp932")
    import io

    frame = pd.read_csv(io.StringIO(text), dtype={"owner": str})
    missing = [c for c in ("owner", "quota_annual") if c not in frame.columns]
    if missing:
        raise ValueError(f"quotas must be a CSV with the columns owner and quota_annual; "
                         f"{str(path)!r} lacks {missing} (has {list(frame.columns)})")
    quota = pd.to_numeric(frame["quota_annual"], errors="coerce")
    if quota.isna().any() or (quota < 0).any():
        rows = (frame.index[quota.isna() | (quota < 0)] + 2).tolist()
        raise ValueError(f"quotas: quota_annual must be a number >= 0 on every row; rows {rows} "
                         f"of {str(path)!r} are not")
    out = pd.DataFrame({"rep_id": frame["owner"].str.strip(), "quota_annual": quota.astype(float),
                        "hired_on": pd.Timestamp("1900-01-01")})
    if "segment" in frame.columns:
        out["segment"] = frame["segment"]
    return out


def export_notes(source, *, lang: str = "en") -> str:
    """What reading an export decided that the report's reader should know, as one clause.

    The stage labels resolved other than by the built-in templates (how, and
    on how many rows), the deals kept without an amount, and the formats the
    reader assumed (decimal comma). Empty when there is none. In ``lang``:
    the export's own labels and headers stay as they are.

    Examples
    --------
    >>> from revopslab.crm import CrmSource
    >>> s = CrmSource(path="x.csv", mapping="m.yaml", encoding="utf-8", delimiter=",",
    ...               rows_read=9, rows_kept=9, rows_quarantined=0, columns={},
    ...               unused_columns=(), footer=(), date_order=None, missing_amounts=2,
    ...               stages=(("Won", "closed_won", "built-in label", 5),
    ...                       ("見込み", "discovery", "probability 10%", 4)))
    >>> for part in export_notes(s).split("; ")[1:]:
    ...     print(part)
    stages resolved: 見込み → discovery (probability 10%, 4 rows)
    2 deals have no amount (counted in win rates, stage counts and cycle times, left out of sums)
    >>> print(export_notes(s, lang="ja")[:41])
    、フェーズの読み替え: 見込み → 見極め（確度10%、4行）、金額のない商談2件
    """
    from .text import _check_lang, term

    _check_lang(lang)
    parts = []
    if lang == "ja":
        resolved = [f"{label} → {term(stage, lang='ja')}（{_how_ja(how)}、{rows:,}行）"
                    for label, stage, how, rows in source.stages if how != "built-in label"]
        if resolved:
            parts.append("フェーズの読み替え: " + "、".join(resolved))
        if source.missing_amounts:
            parts.append(f"金額のない商談{source.missing_amounts:,}件（受注率・フェーズ別件数・"
                         "商談期間には含め、合計からは除外）")
        parts += [f"{note.split(' read with a decimal comma')[0]}は小数点をカンマとして読み込み"
                  "（'25000,84' = 25000.84、ピリオドは桁区切り）"
                  for note in source.notes if "decimal comma" in note]
        return "".join(f"、{part}" for part in parts)
    resolved = [f"{label} → {stage} ({how}, {rows:,} row{'s' if rows != 1 else ''})"
                for label, stage, how, rows in source.stages if how != "built-in label"]
    if resolved:
        parts.append("stages resolved: " + ", ".join(resolved))
    if source.missing_amounts:
        n = source.missing_amounts
        parts.append(f"{n:,} deal{'s have' if n != 1 else ' has'} no amount (counted in win "
                     "rates, stage counts and cycle times, left out of sums)")
    parts += [note for note in source.notes if "decimal comma" in note]
    return "".join(f"; {part}" for part in parts)


#: How the reader resolved a stage label (:func:`revopslab.crm.read_crm_export`), in Japanese.
_HOW_JA = {"your stage map": "指定のフェーズ対応", "Won/Closed columns": "受注・クローズの列",
           "open per the Closed column": "クローズの列により未クローズ",
           "won/lost word": "受注・失注の語", "unmapped: kept as an open deal":
           "対応なし、未クローズとして保持", "empty": "空欄"}


def _how_ja(how: str) -> str:
    """``how`` of a resolved stage label in Japanese (a probability kept as a number).

    Examples
    --------
    >>> _how_ja("open per the Closed column, probability 35%"), _how_ja("probability 0%")
    ('クローズの列により未クローズ、確度35%', '確度0%')
    """
    head, _, probability = how.partition("probability ")
    words = [_HOW_JA.get(head.rstrip(", "), head.rstrip(", "))] if head.rstrip(", ") else []
    return "、".join(words + ([f"確度{probability}"] if probability else []))


# ============================================================================ period
def resolve_period(period: Any, *, as_of) -> tuple[pd.Timestamp, pd.Timestamp]:
    """First and last month of the report's period; ``None`` is the 12 months before ``as_of``.

    Examples
    --------
    >>> first, last = resolve_period(None, as_of="2026-01-01")
    >>> f"{first:%Y-%m} {last:%Y-%m}"
    '2025-01 2025-12'
    >>> [f"{m:%Y-%m}" for m in resolve_period("2025-01:2025-06", as_of="2026-01-01")]
    ['2025-01', '2025-06']
    >>> resolve_period("2027", as_of="2026-01-01")
    Traceback (most recent call last):
    ...
    ValueError: period must start before the extraction date 2026-01-01, got '2027'
    """
    as_of = pd.Timestamp(as_of)
    pair = month_pair(period)
    if pair is None:
        last = (as_of - _DAY).to_period("M").to_timestamp()
        return last - pd.DateOffset(months=11), last
    first, last = metrics.month_range(pair)
    if first >= as_of:
        raise ValueError(f"period must start before the extraction date {as_of.date()}, "
                         f"got {period!r}")
    return first, last


def period_label(first: pd.Timestamp, last: pd.Timestamp) -> str:
    """``"2025-01 – 2025-12"`` (or one month).

    Examples
    --------
    >>> period_label(pd.Timestamp("2025-01-01"), pd.Timestamp("2025-12-01"))
    '2025-01 – 2025-12'
    """
    return f"{first:%Y-%m}" if first == last else f"{first:%Y-%m} – {last:%Y-%m}"


def _end(last: pd.Timestamp) -> pd.Timestamp:
    """The first day after the month ``last``."""
    return last + pd.DateOffset(months=1)


def _months(first: pd.Timestamp, last: pd.Timestamp) -> int:
    return (last.year - first.year) * 12 + last.month - first.month + 1


def prepare(params: Mapping[str, Any]) -> tuple[ReportData, pd.Timestamp, pd.Timestamp]:
    """The report's data for checked ``params``: loaded, scoped to the segment, and its period.

    ``params`` is :func:`revopslab.report.check_parameters`' output; this is
    the notebook's one call that reads them.

    Returns
    -------
    (ReportData, pandas.Timestamp, pandas.Timestamp)
        The data, and the first and last month of the period.
    """
    p = params
    data = load_source(p["source"], rng=p["seed"], profile=p["profile"], months=p["months"],
                       scale=p["scale"], mapping=p["mapping"], quarantine=p["quarantine"],
                       as_of=p["as_of"], quotas=p["quotas"], leads=p["leads"],
                       leads_mapping=p["leads_mapping"], billing=p["billing"],
                       billing_mapping=p["billing_mapping"]).scoped(p["segment"])
    first, last = resolve_period(p["period"], as_of=data.as_of)
    return data, first, last
