"""The report's data: a simulated company or a CRM export, its scope and its period."""

from __future__ import annotations

import contextlib
import dataclasses
import os
from collections.abc import Mapping
from pathlib import Path
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

    def describe(self, *, lang: str = "en") -> str:
        """Where the data came from, in ``lang`` (an export's notes stay in English)."""
        return self.label_ja if lang == "ja" and self.label_ja else self.label

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
        return dataclasses.replace(self, opportunities=opps.reset_index(drop=True),
                                   company=company, quotas=quotas,
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


def load_source(source: str | os.PathLike = "simulated", *, seed: int = DEFAULT_SEED,
                profile: str = "default", months: int = 36, scale: float = 1.0,
                mapping: str | Mapping = "salesforce", quarantine: str | os.PathLike | None = None,
                as_of: str | None = None, quotas: str | os.PathLike | None = None
                ) -> ReportData:
    """Load the report's data: a simulated company, or a CRM export (opportunities only).

    Parameters
    ----------
    source
        ``"simulated"``, or the path of a CRM export (CSV in any encoding
        :func:`~revopslab.crm.read_crm_export` detects, or ``.xlsx``). A path
        is only a file name, whatever characters it holds.
    seed, profile, months, scale
        The simulated company: ``simulate_company(company_profile(profile,
        months=months, scale=scale), rng=seed)``; the default company (seed
        2024) is read from ``data/`` instead, which is the same and faster.
    mapping
        The export's column mapping: ``"salesforce"``, ``"hubspot"``, the path
        of a mapping file (``.yaml``, :mod:`revopslab.mapping`) or a dict. The
        data's label ends with :func:`export_notes` (stage labels resolved,
        deals without an amount), which the report shows.
    quarantine
        Where to write the export's unreadable rows (CSV); default
        ``<export>_quarantine.csv`` beside the export.
    as_of
        Extraction date of an export (default: the day after its latest created
        or closed date). Ignored for a simulated company.
    quotas
        An export's quotas file (:func:`read_quotas`); the simulated company
        has its reps' quotas.

    Returns
    -------
    ReportData

    Examples
    --------
    >>> data = load_source("simulated", months=12, scale=0.1, seed=3)
    >>> data.kind, data.tables[:3], str(data.as_of.date())
    ('simulated', ('accounts', 'leads', 'opportunities'), '2024-01-01')
    """
    if source == "simulated":
        from ..config import CompanyConfig, company_profile
        from ..simulate import DEFAULT_SEED, TABLES, simulate_company

        config = company_profile(profile, months=months, scale=float(scale))
        company = None
        if config == CompanyConfig() and seed == DEFAULT_SEED:
            from ..datasets import available_companies, load_company

            with contextlib.suppress(FileNotFoundError):
                if "default" in available_companies():
                    company = load_company("default")
        if company is None:
            company = simulate_company(config, rng=seed)
        text = (f"simulated company (profile {profile}, seed {seed}, {config.months} months, "
                f"scale {float(scale):g})")
        text_ja = (f"シミュレーションの会社（プロファイル {profile}、シード {seed}、"
                   f"{config.months}か月、規模 {float(scale):g}）")
        return ReportData(kind="simulated", label=text, label_ja=text_ja,
                          opportunities=company.opportunities,
                          as_of=pd.Timestamp(company.as_of), tables=tuple(TABLES),
                          company=company, currency=config.currency, quotas=company.reps)
    from ..crm import read_crm_export

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
    return ReportData(kind="crm_export", label=text, opportunities=opps, as_of=when,
                      tables=("opportunities",), export=export,
                      quarantine_path=Path(quarantine),
                      currency=str(currencies[0]) if len(currencies) == 1 else "JPY",
                      quotas=None if quotas is None else read_quotas(quotas))


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


def export_notes(source) -> str:
    """What reading an export decided that the report's reader should know, as one clause.

    The stage labels resolved other than by the built-in templates (how, and
    on how many rows), the deals kept without an amount, and the formats the
    reader assumed (decimal comma, date order). Empty when there is none.

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
    """
    parts = []
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
    data = load_source(p["source"], seed=p["seed"], profile=p["profile"], months=p["months"],
                       scale=p["scale"], mapping=p["mapping"], quarantine=p["quarantine"],
                       as_of=p["as_of"], quotas=p["quotas"]).scoped(p["segment"])
    first, last = resolve_period(p["period"], as_of=data.as_of)
    return data, first, last
