"""Entity resolution of the silo exports and the single source of truth (SSOT), DuckDB or Spark."""

from __future__ import annotations

import contextlib
import logging
import os
import re
import unicodedata
import warnings
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Protocol, runtime_checkable

import duckdb
import numpy as np
import pandas as pd
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components
from tqdm.auto import tqdm

from . import _cache
from ._lang import check_lang, resolve_lang, text
from .metrics import logo_churn_rate
from .silos import (
    ENTITY_TABLES,
    INDUSTRY_LABELS,
    LEAD_SOURCE_LABELS,
    MARKETING_SOURCES,
    PREFECTURE_ROMAJI,
    SILO_TABLES,
    Silos,
    export_silos,
)
from .simulate import Company

__all__ = [
    "normalise_company_name",
    "normalise_domain",
    "normalise_email",
    "normalise_person_name",
    "normalise_prefecture",
    "parse_dates",
    "account_records",
    "person_records",
    "Matcher",
    "SplinkMatcher",
    "RulesMatcher",
    "SSOT",
    "build_ssot",
    "local_spark",
    "ENGINES",
    "evaluate",
    "f1_by_noise",
    "same_question_each_silo",
    "prioritise_leads",
    "CUSTOMER_360_SQL",
    "SSOT_TABLES",
    "ENTITIES",
    "FREE_MAIL_DOMAINS",
    "ACCOUNT_RECORD_COLUMNS",
    "PERSON_RECORD_COLUMNS",
    "RESOLUTION_COLUMNS",
]

#: Private e-mail providers: their domain says nothing about a person's company.
FREE_MAIL_DOMAINS: frozenset[str] = frozenset({
    "gmail.com", "yahoo.co.jp", "yahoo.com", "ymail.ne.jp", "outlook.jp", "outlook.com",
    "hotmail.com", "hotmail.co.jp", "live.jp", "icloud.com", "me.com", "docomo.ne.jp",
    "ezweb.ne.jp", "au.com", "softbank.ne.jp", "i.softbank.jp", "nifty.com", "biglobe.ne.jp",
})

#: The two kinds of entity the SSOT resolves.
ENTITIES: tuple[str, ...] = ("account", "person")

#: Where Splink runs the linkage: DuckDB in this process, or Spark (local or a cluster).
ENGINES: tuple[str, ...] = ("duckdb", "spark")

# ------------------------------------------------------------------------ normalisers
_LEGAL_FORMS = re.compile(
    r"株式会社|有限会社|合同会社|合資会社|合名会社|一般社団法人|\((?:株|有|同|資|名)\)"
    r"|\b(?:co\s*\.?\s*,?\s*ltd|inc|corp(?:oration)?|k\s*\.?\s*k|g\s*\.?\s*k|llc|ltd|limited)"
    r"\b\.?"
)
_HONORIFICS = re.compile(r"(?:様|御中|殿)\s*$")
_KATAKANA_DASH = re.compile(r"(?<=[\u30a1-\u30fa\u30fc])[-\u2010-\u2015\u2212\uff70]")
_PUNCTUATION = re.compile(r"[\s\u3000・･,.、。'\"&()\[\]{}/\\:;!?+*#-]+")
_ITAIJI = str.maketrans({"髙": "高", "﨑": "崎", "邊": "辺", "邉": "辺", "齋": "斎", "澤": "沢",
                         "濱": "浜"})

_PREFECTURES = (
    ("北海道", "hokkaido"), ("青森県", "aomori"), ("岩手県", "iwate"), ("宮城県", "miyagi"),
    ("秋田県", "akita"), ("山形県", "yamagata"), ("福島県", "fukushima"), ("茨城県", "ibaraki"),
    ("栃木県", "tochigi"), ("群馬県", "gunma"), ("埼玉県", "saitama"), ("千葉県", "chiba"),
    ("東京都", "tokyo"), ("神奈川県", "kanagawa"), ("新潟県", "niigata"), ("富山県", "toyama"),
    ("石川県", "ishikawa"), ("福井県", "fukui"), ("山梨県", "yamanashi"), ("長野県", "nagano"),
    ("岐阜県", "gifu"), ("静岡県", "shizuoka"), ("愛知県", "aichi"), ("三重県", "mie"),
    ("滋賀県", "shiga"), ("京都府", "kyoto"), ("大阪府", "osaka"), ("兵庫県", "hyogo"),
    ("奈良県", "nara"), ("和歌山県", "wakayama"), ("鳥取県", "tottori"), ("島根県", "shimane"),
    ("岡山県", "okayama"), ("広島県", "hiroshima"), ("山口県", "yamaguchi"),
    ("徳島県", "tokushima"), ("香川県", "kagawa"), ("愛媛県", "ehime"), ("高知県", "kochi"),
    ("福岡県", "fukuoka"), ("佐賀県", "saga"), ("長崎県", "nagasaki"), ("熊本県", "kumamoto"),
    ("大分県", "oita"), ("宮崎県", "miyazaki"), ("鹿児島県", "kagoshima"), ("沖縄県", "okinawa"),
)
_PREFECTURE_LOOKUP: dict[str, str] = {}
for _kanji, _romaji in _PREFECTURES:
    _PREFECTURE_LOOKUP[_kanji] = _kanji
    _PREFECTURE_LOOKUP[_romaji] = _kanji
    _PREFECTURE_LOOKUP[_kanji if _kanji == "北海道" else _kanji[:-1]] = _kanji
for _kanji, _romaji in PREFECTURE_ROMAJI.items():
    _PREFECTURE_LOOKUP[_romaji.casefold()] = _kanji


def _missing(value) -> bool:
    return value is None or (isinstance(value, float) and value != value) or value is pd.NA


def normalise_company_name(name: str | None) -> str | None:
    """A matching key for a company name, however each system wrote it.

    NFKC (full-width Latin letters and digits become ASCII, half-width
    katakana become full-width, ㈱ becomes (株)), then legal forms are removed
    (株式会社, (株), 有限会社, 合同会社, Co., Ltd., Inc., Corp., K.K., LLC …),
    honorifics (様, 御中), case, spaces and punctuation; dashes after katakana
    become the long-vowel mark ー. Missing or empty names give ``None``.

    Examples
    --------
    >>> normalise_company_name("(株)ＡＢＣ商事")
    'abc商事'
    >>> normalise_company_name("ABC商事 株式会社")
    'abc商事'
    >>> normalise_company_name("ｽﾏｰﾄ物産㈱")
    'スマート物産'
    >>> normalise_company_name("株式会社 神戸フォレスト 様")
    '神戸フォレスト'
    >>> normalise_company_name("Smart Bussan Co., Ltd.")
    'smartbussan'
    >>> normalise_company_name("株式会社") is None
    True
    """
    if _missing(name):
        return None
    text = unicodedata.normalize("NFKC", str(name)).casefold()
    text = _HONORIFICS.sub("", text.strip())
    text = _LEGAL_FORMS.sub(" ", text)
    text = _KATAKANA_DASH.sub("ー", text)
    text = _PUNCTUATION.sub("", text)
    return text or None


def normalise_domain(value: str | None) -> str | None:
    """The bare web domain of a URL, a domain or an e-mail address.

    Examples
    --------
    >>> normalise_domain("https://www.Smart-Bussan.co.jp/about")
    'smart-bussan.co.jp'
    >>> normalise_domain("taro.yamada@SMART-BUSSAN.CO.JP")
    'smart-bussan.co.jp'
    >>> normalise_domain("") is None
    True
    """
    if _missing(value):
        return None
    text = unicodedata.normalize("NFKC", str(value)).strip().casefold()
    text = text.rsplit("@", 1)[-1]
    text = re.sub(r"^[a-z]+://", "", text).split("/")[0].split("?")[0]
    text = re.sub(r"^www\d*\.", "", text).strip(".")
    return text or None


def normalise_email(value: str | None) -> str | None:
    """An e-mail address in one form: NFKC, trimmed, lower case (``None`` if not an address).

    Examples
    --------
    >>> normalise_email(" Manabu.Yamazaki0＠Example.CO.JP ")
    'manabu.yamazaki0@example.co.jp'
    >>> normalise_email("mailto:a@b.jp")
    'a@b.jp'
    >>> normalise_email("no address") is None
    True
    """
    if _missing(value):
        return None
    text = unicodedata.normalize("NFKC", str(value)).strip().casefold()
    text = re.sub(r"^mailto:", "", text)
    return text if re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", text) else None


def normalise_person_name(family: str | None, given: str | None = None) -> str | None:
    """A matching key for a person's name: family then given name, no spaces, common kanji.

    Variant kanji that systems mix up (髙/高, 﨑/崎, 邊/辺, 齋/斎 …) become the
    common form; Latin letters are case-folded.

    Examples
    --------
    >>> normalise_person_name("髙橋", "学")
    '高橋学'
    >>> normalise_person_name("高橋\\u3000学")
    '高橋学'
    >>> normalise_person_name("Yamazaki", "Manabu")
    'yamazakimanabu'
    """
    parts = [p for p in (family, given) if not _missing(p)]
    if not parts:
        return None
    text = unicodedata.normalize("NFKC", "".join(str(p) for p in parts)).casefold()
    text = _PUNCTUATION.sub("", text.translate(_ITAIJI))
    return text or None


def normalise_prefecture(value: str | None) -> str | None:
    """The prefecture in kanji with its suffix, from kanji with or without 都/府/県, or romaji.

    Examples
    --------
    >>> normalise_prefecture("東京"), normalise_prefecture("Osaka"), normalise_prefecture("北海道")
    ('東京都', '大阪府', '北海道')
    >>> normalise_prefecture("Atlantis") is None
    True
    """
    if _missing(value):
        return None
    text = unicodedata.normalize("NFKC", str(value)).strip().casefold()
    text = re.sub(r"[\s-]*(prefecture|pref\.?|-ken|-fu|-to)$", "", text)
    return _PREFECTURE_LOOKUP.get(text)


def parse_dates(values: pd.Series | Iterable) -> pd.Series:
    """Parse dates written ``2025-03-01``, ``2025/03/01`` or ``03/01/2025``, with a time or not.

    A year written last means the US order month/day/year. Text in no known
    format becomes ``NaT``.

    Examples
    --------
    >>> parse_dates(["2025-03-01 14:22", "2025/03/01", "03/01/2025", "soon"]).tolist()
    [Timestamp('2025-03-01 14:22:00'), Timestamp('2025-03-01 00:00:00'), \
Timestamp('2025-03-01 00:00:00'), NaT]
    """
    index = values.index if isinstance(values, pd.Series) else None
    text = pd.Series(values, dtype=object, index=index).astype("str").str.strip()
    out = pd.Series(pd.NaT, index=text.index, dtype="datetime64[ns]")
    for pattern, fmt in ((r"^\d{4}-\d{1,2}-\d{1,2}([ T]|$)", "ISO8601"),
                         (r"^\d{4}/\d{1,2}/\d{1,2} \d{1,2}:\d{2}$", "%Y/%m/%d %H:%M"),
                         (r"^\d{4}/\d{1,2}/\d{1,2}$", "%Y/%m/%d"),
                         (r"^\d{1,2}/\d{1,2}/\d{4} \d{1,2}:\d{2}$", "%m/%d/%Y %H:%M"),
                         (r"^\d{1,2}/\d{1,2}/\d{4}$", "%m/%d/%Y")):
        mask = text.str.match(pattern).fillna(False).astype(bool)
        if mask.any():
            out[mask] = pd.to_datetime(text[mask], format=fmt, errors="coerce").astype(
                "datetime64[ns]")
    return out


def _map_unique(values: pd.Series, fn) -> pd.Series:
    """Apply a scalar normaliser once per distinct value."""
    values = values.astype(object)
    uniques = pd.unique(values[values.notna()])
    table = {v: fn(v) for v in uniques}
    return pd.Series([None if _missing(v) else table[v] for v in values.tolist()],
                     index=values.index, dtype=object)


# --------------------------------------------------------------------- staging records
def _uid(system: str, table: str, record_ids: pd.Series) -> pd.Series:
    return f"{system}:{table}:" + record_ids.astype("str")


def _industry(values: pd.Series, system: str) -> pd.Series:
    reverse = {label: key for key, label in INDUSTRY_LABELS[system].items()}
    return values.astype(object).map(reverse)


#: Columns of the standardised account records every matcher receives.
ACCOUNT_RECORD_COLUMNS = ("unique_id", "system", "table", "record_id", "name", "name_norm",
                          "domain", "prefecture", "industry")
#: Columns of the standardised person records every matcher receives.
PERSON_RECORD_COLUMNS = ("unique_id", "system", "table", "record_id", "name", "name_norm",
                         "email", "email_local", "email_domain", "company_norm", "same_as",
                         "account_ref")


def account_records(silos: Silos) -> pd.DataFrame:
    """Every account-level record of the three exports in one layout, normalised for matching.

    One row per MA company, SFA account and CS customer: ``unique_id``
    (``system:table:record id``), the raw ``name`` and the matching keys
    ``name_norm``, ``domain``, ``prefecture`` (kanji) and ``industry``
    (one vocabulary), plus ``employees`` (not used for matching). This is
    where each system's field names and habits are mapped onto one schema.

    Examples
    --------
    >>> from revopslab.config import CompanyConfig
    >>> from revopslab.simulate import simulate_company
    >>> from revopslab.silos import export_silos
    >>> silos = export_silos(simulate_company(CompanyConfig(months=12, scale=0.1), rng=3))
    >>> records = account_records(silos)
    >>> records["system"].unique().tolist()
    ['ma', 'sfa', 'cs']
    """
    ma, sfa, cs = silos.ma["companies"], silos.sfa["accounts"], silos.cs["customers"]
    frames = [
        pd.DataFrame({"system": "ma", "table": "companies", "record_id": ma["Record ID"],
                      "name": ma["Company name"], "domain": ma["Company Domain Name"],
                      "prefecture": ma["State/Region"],
                      "industry": _industry(ma["Industry"], "ma"),
                      "employees": ma["Number of Employees"]}),
        pd.DataFrame({"system": "sfa", "table": "accounts", "record_id": sfa["Id"],
                      "name": sfa["Name"], "domain": sfa["Website"],
                      "prefecture": sfa["BillingState"],
                      "industry": _industry(sfa["Industry"], "sfa"),
                      "employees": sfa["NumberOfEmployees"]}),
        pd.DataFrame({"system": "cs", "table": "customers", "record_id": cs["customer_id"],
                      "name": cs["company"], "domain": cs["domain"],
                      "prefecture": cs["prefecture"], "industry": None, "employees": None}),
    ]
    out = pd.concat([f.astype(object) for f in frames], ignore_index=True)
    out["record_id"] = out["record_id"].astype("str").astype(object)
    out.insert(0, "unique_id", (out["system"] + ":" + out["table"] + ":" + out["record_id"]))
    out["name_norm"] = _map_unique(out["name"], normalise_company_name)
    out["domain"] = _map_unique(out["domain"], normalise_domain)
    out["prefecture"] = _map_unique(out["prefecture"], normalise_prefecture)
    out["industry"] = out["industry"].where(out["industry"].notna(), None)
    out["employees"] = pd.to_numeric(out["employees"], errors="coerce")
    return out[[*ACCOUNT_RECORD_COLUMNS, "employees"]]


def person_records(silos: Silos) -> pd.DataFrame:
    """Every person-level record (MA contacts, SFA leads, SFA contacts) normalised for matching.

    ``same_as`` holds another record the system itself says is the same
    person (a converted SFA lead points at its contact); ``account_ref`` the
    account-level record the person hangs off in its own system (an MA
    contact's associated company, an SFA contact's account), if any.

    Examples
    --------
    >>> from revopslab.config import CompanyConfig
    >>> from revopslab.simulate import simulate_company
    >>> from revopslab.silos import export_silos
    >>> silos = export_silos(simulate_company(CompanyConfig(months=12, scale=0.1), rng=3))
    >>> people = person_records(silos)
    >>> sorted(people["table"].unique())
    ['contacts', 'leads']
    """
    mc, sl, sc = silos.ma["contacts"], silos.sfa["leads"], silos.sfa["contacts"]
    sfa_account_name = dict(zip(silos.sfa["accounts"]["Id"].tolist(),
                                silos.sfa["accounts"]["Name"].tolist(), strict=True))
    frames = [
        pd.DataFrame({
            "system": "ma", "table": "contacts", "record_id": mc["Record ID"].astype("str"),
            "family": mc["Last Name"], "given": mc["First Name"], "email": mc["Email"],
            "company": mc["Company Name"], "same_as": None,
            "account_ref": ("ma:companies:" + mc["Associated Company ID"].astype("str"))
            .where(mc["Associated Company ID"].notna(), None)}),
        pd.DataFrame({
            "system": "sfa", "table": "leads", "record_id": sl["Id"], "family": sl["LastName"],
            "given": sl["FirstName"], "email": sl["Email"], "company": sl["Company"],
            "same_as": ("sfa:contacts:" + sl["ConvertedContactId"]).where(
                sl["ConvertedContactId"].notna(), None),
            "account_ref": ("sfa:accounts:" + sl["ConvertedAccountId"]).where(
                sl["ConvertedAccountId"].notna(), None)}),
        pd.DataFrame({
            "system": "sfa", "table": "contacts", "record_id": sc["Id"],
            "family": sc["LastName"], "given": sc["FirstName"], "email": sc["Email"],
            "company": sc["AccountId"].map(sfa_account_name), "same_as": None,
            "account_ref": "sfa:accounts:" + sc["AccountId"]}),
    ]
    out = pd.concat([f.astype(object) for f in frames], ignore_index=True)
    out.insert(0, "unique_id", out["system"] + ":" + out["table"] + ":" + out["record_id"])
    names = list(zip(out["family"].tolist(), out["given"].tolist(), strict=True))
    out["name"] = [" ".join(str(p).strip() for p in pair if not _missing(p)) or None
                   for pair in names]
    out["name_norm"] = [normalise_person_name(f, g) for f, g in names]
    out["email"] = _map_unique(out["email"], normalise_email)
    split = out["email"].str.split("@")
    out["email_local"] = split.str[0].where(out["email"].notna(), None)
    domain = split.str[1]
    out["email_domain"] = domain.where(out["email"].notna() & ~domain.isin(FREE_MAIL_DOMAINS),
                                       None)
    out["company_norm"] = _map_unique(out["company"], normalise_company_name)
    for column in out.columns:
        out[column] = out[column].astype(object).where(out[column].notna(), None)
    return out[list(PERSON_RECORD_COLUMNS)]


# ---------------------------------------------------------------------------- matchers
#: Columns of a matcher's answer: one row per input record.
RESOLUTION_COLUMNS = ("unique_id", "cluster_id", "resolved", "reason", "match_probability",
                      "best_match")


@runtime_checkable
class Matcher(Protocol):
    """Anything that groups standardised records into entities: the seam of :func:`build_ssot`.

    ``resolve(records, entity=...)`` gets :func:`account_records` or
    :func:`person_records` (never the truth) and returns one row per record
    with the columns :data:`RESOLUTION_COLUMNS`: ``cluster_id`` (records
    with the same value are one entity), ``resolved`` (``False`` puts the
    record in the ``unresolved`` table), ``reason`` (why it is unresolved),
    ``match_probability`` (of its best link, 1.0 for rules) and
    ``best_match`` (that record's ``unique_id``).
    """

    name: str

    def resolve(self, records: pd.DataFrame, *, entity: str) -> pd.DataFrame: ...


def _check_entity(entity: str) -> str:
    if entity not in ENTITIES:
        raise ValueError(f"entity must be one of {ENTITIES}, got {entity!r}")
    return entity


def _check_records(records: pd.DataFrame, entity: str) -> None:
    expected = ACCOUNT_RECORD_COLUMNS if entity == "account" else PERSON_RECORD_COLUMNS
    if not isinstance(records, pd.DataFrame):
        raise TypeError(f"records must be a DataFrame, got {type(records).__name__}")
    missing = [c for c in expected if c not in records.columns]
    if missing:
        raise ValueError(f"{entity} records must have the columns {list(expected)}; "
                         f"missing {missing}")
    if records["unique_id"].duplicated().any():
        dup = records.loc[records["unique_id"].duplicated(), "unique_id"].head(3).tolist()
        raise ValueError(f"records must have distinct unique_id values, got duplicates {dup}")


def _no_key(records: pd.DataFrame, entity: str) -> np.ndarray:
    """Records with nothing to match on."""
    if entity == "account":
        return (records["name_norm"].isna() & records["domain"].isna()).to_numpy()
    return (records["email"].isna() & records["name_norm"].isna()).to_numpy()


def _components(unique_ids: pd.Series, left: Iterable, right: Iterable) -> np.ndarray:
    """Cluster id of every record: the smallest unique_id of its connected component."""
    ids = unique_ids.astype(object).to_numpy()
    index = pd.Index(ids)
    li = index.get_indexer(pd.Index(list(left), dtype=object))
    ri = index.get_indexer(pd.Index(list(right), dtype=object))
    keep = (li >= 0) & (ri >= 0)
    n = len(ids)
    graph = coo_matrix((np.ones(keep.sum()), (li[keep], ri[keep])), shape=(n, n))
    _, labels = connected_components(graph, directed=False)
    order = np.argsort(ids.astype(str), kind="stable")
    first = {}
    for i in order:  # visiting in unique_id order: the first seen is the smallest
        first.setdefault(labels[i], ids[i])
    return np.array([first[label] for label in labels], dtype=object)


def _same_as_edges(records: pd.DataFrame) -> tuple[list, list]:
    if "same_as" not in records.columns:
        return [], []
    known = records[records["same_as"].notna()]
    return known["unique_id"].tolist(), known["same_as"].tolist()


def _resolution(records: pd.DataFrame, left, right, prob, *, review: pd.DataFrame | None,
                entity: str) -> pd.DataFrame:
    """Assemble a matcher's answer from its accepted links (and review candidates)."""
    same_l, same_r = _same_as_edges(records)
    cluster = _components(records["unique_id"], list(left) + same_l, list(right) + same_r)
    out = pd.DataFrame({"unique_id": records["unique_id"].to_numpy(), "cluster_id": cluster})
    size = out.groupby("cluster_id")["unique_id"].transform("size")
    # best link of every record (either side of a pair)
    pairs = pd.DataFrame({"a": list(left) + list(right), "b": list(right) + list(left),
                          "p": list(prob) + list(prob)})
    if review is not None and len(review):
        pairs = pd.concat([pairs, pd.DataFrame({"a": list(review["l"]) + list(review["r"]),
                                                "b": list(review["r"]) + list(review["l"]),
                                                "p": list(review["p"]) * 2})],
                          ignore_index=True)
    pairs = pairs.sort_values(["a", "p", "b"], ascending=[True, False, True])
    best = pairs.drop_duplicates("a").set_index("a")
    out["match_probability"] = out["unique_id"].map(best["p"]).astype(float)
    out["best_match"] = out["unique_id"].map(best["b"]).astype(object)
    out["resolved"] = True
    out["reason"] = None
    nokey = _no_key(records, entity)
    out.loc[nokey & (size == 1).to_numpy(), ["resolved", "reason"]] = [
        False, "nothing to match on (no name, domain or e-mail)"]
    if review is not None and len(review):
        in_review = set(review["l"]) | set(review["r"])
        doubtful = (size == 1).to_numpy() & out["unique_id"].isin(in_review).to_numpy()
        reasons = [f"possible match below the threshold: p={p:.2f} with {b}"
                   for p, b in zip(out.loc[doubtful, "match_probability"],
                                   out.loc[doubtful, "best_match"], strict=True)]
        out.loc[doubtful, "resolved"] = False
        out.loc[doubtful, "reason"] = reasons
    out["reason"] = out["reason"].astype(object)
    return out[list(RESOLUTION_COLUMNS)]


@dataclass(frozen=True)
class RulesMatcher:
    """Deterministic matching rules: the same key means the same entity.

    Accounts: the same normalised name, or the same web domain. People: the
    same e-mail address, or the same name at the same company (normalised
    company name or e-mail domain). Links chain (A = B and B = C puts A, B, C
    together). Fast and explainable; it misses typos and over-links shared keys.

    Examples
    --------
    >>> records = pd.DataFrame({
    ...     "unique_id": ["sfa:1", "ma:2", "cs:3", "ma:4"],
    ...     "name_norm": ["abc商事", "abc商事", None, "xyz"],
    ...     "domain": [None, "abc.co.jp", "abc.co.jp", None],
    ...     "prefecture": None, "industry": None,
    ...     "system": None, "table": None, "record_id": None, "name": None})
    >>> RulesMatcher().resolve(records, entity="account")["cluster_id"].tolist()
    ['cs:3', 'cs:3', 'cs:3', 'ma:4']
    """

    name: str = "rules"

    def resolve(self, records: pd.DataFrame, *, entity: str) -> pd.DataFrame:
        _check_entity(entity)
        _check_records(records, entity)
        left, right = _rule_links(records, entity)
        return _resolution(records, left, right, [1.0] * len(left), review=None, entity=entity)


def _rule_links(records: pd.DataFrame, entity: str) -> tuple[list, list]:
    """Pairs linked by :class:`RulesMatcher`'s keys (each record to the first with its key)."""
    keys = ([("name_norm",), ("domain",)] if entity == "account" else
            [("email",), ("name_norm", "company_norm"), ("name_norm", "email_domain")])
    left, right = [], []
    for key in keys:
        sub = records.dropna(subset=list(key))
        if not len(sub):
            continue
        first = sub.groupby(list(key), sort=False)["unique_id"].transform("first")
        linked = sub["unique_id"] != first
        left += sub.loc[linked, "unique_id"].tolist()
        right += first[linked].tolist()
    return left, right


@contextlib.contextmanager
def _quiet() -> Iterator[None]:
    """Silence Splink's logging and warnings (notebook outputs stay deterministic)."""
    logger = logging.getLogger("splink")
    level, propagate = logger.level, logger.propagate
    logger.setLevel(logging.ERROR)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            yield
    finally:
        logger.setLevel(level)
        logger.propagate = propagate


def _connect(path: str = ":memory:") -> duckdb.DuckDBPyConnection:
    con = duckdb.connect(path)
    con.execute("SET enable_progress_bar = false")
    return con


def local_spark(*, cores: int | str = "*", driver_memory: str = "4g",
                shuffle_partitions: int = 8):
    """A local ``SparkSession`` set up for Splink: its similarity functions, quiet logs.

    The session is Spark's own singleton (``getOrCreate``): a second call
    returns the running one, whatever its settings. On a cluster, build the
    session your platform's way instead, with Splink's jar
    (``splink.backends.spark.similarity_jar_location()``) in ``spark.jars``,
    and pass it to :class:`SplinkMatcher` or :func:`build_ssot` as ``spark``.

    Parameters
    ----------
    cores
        Worker threads (``local[cores]``); ``"*"`` uses every core.
    driver_memory
        Heap of the driver JVM, which in local mode does all the work
        (``spark.driver.memory``; it applies only when the JVM starts).
    shuffle_partitions
        ``spark.sql.shuffle.partitions``: Spark's default of 200 suits a
        cluster, not one machine.

    Raises
    ------
    ImportError
        If ``pyspark`` is not installed (``pip install 'revopslab[spark]'``
        or ``make spark-check``), or Java is not on the ``PATH``.
    """
    try:
        from pyspark.sql import SparkSession
        from splink.backends.spark import similarity_jar_location
    except ImportError as err:  # pragma: no cover - depends on the environment
        raise ImportError("engine='spark' needs pyspark: pip install 'revopslab[spark]' "
                          f"(or make spark-check); {err}") from err
    import shutil

    if shutil.which("java") is None and not os.environ.get("JAVA_HOME"):
        raise ImportError("engine='spark' needs a Java runtime (17 or 21) on the PATH or in "
                          "JAVA_HOME; on Debian: apt-get install default-jre-headless")
    if not (isinstance(shuffle_partitions, int) and shuffle_partitions > 0):
        raise ValueError(f"shuffle_partitions must be a positive int, got {shuffle_partitions!r}")
    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")  # no warning about the host name
    session = (SparkSession.builder.master(f"local[{cores}]").appName("revopslab-ssot")
               .config("spark.jars", similarity_jar_location())
               .config("spark.driver.memory", driver_memory)
               .config("spark.sql.shuffle.partitions", str(shuffle_partitions))
               .config("spark.ui.enabled", "false")
               .config("spark.ui.showConsoleProgress", "false")
               .config("spark.sql.session.timeZone", "UTC")
               .getOrCreate())
    session.sparkContext.setLogLevel("ERROR")
    return session


#: DuckDB's memory for Splink's linkage before it spills to a temporary folder.
_SPLINK_DUCKDB_MEMORY = "1GB"

_SPLINK_VIEW = re.compile(r"^(__splink__|(account|person)_(records|distinct)$)")


@contextlib.contextmanager
def _splink_api(engine: str, spark=None) -> Iterator:
    """A Splink database API on ``engine``; its tables are dropped on the way out."""
    if engine == "duckdb":
        import tempfile

        from splink import DuckDBAPI

        with tempfile.TemporaryDirectory(prefix="revopslab-splink-") as spill:
            con = _connect()
            # Splink's candidate pairs (blocking on name prefixes grows them faster than the
            # records) took 3.5 GB at 10x in memory; capped, DuckDB spills them to disk and
            # the build peaks ~0.5 GB above its input, with the same links
            con.execute(f"SET memory_limit = '{_SPLINK_DUCKDB_MEMORY}'")
            con.execute(f"SET temp_directory = '{spill}'")
            con.execute("SET preserve_insertion_order = false")
            try:
                yield DuckDBAPI(con)
            finally:
                con.close()
        return
    from splink.backends.spark import SparkAPI

    session = local_spark() if spark is None else spark
    has_checkpoint_dir = not session.sparkContext._jsc.sc().getCheckpointDir().isEmpty()
    api = SparkAPI(spark_session=session,
                   # parquet files in the checkpoint directory where the caller set one
                   # (a cluster); otherwise cached in executor memory, spilling to disk
                   break_lineage_method="parquet" if has_checkpoint_dir else "persist")
    try:
        yield api
    finally:
        for table in session.catalog.listTables():
            if table.isTemporary and _SPLINK_VIEW.match(table.name):
                session.catalog.uncacheTable(table.name)
                session.catalog.dropTempView(table.name)


def _check_engine(engine: str) -> str:
    if engine not in ENGINES:
        raise ValueError(f"engine must be one of {ENGINES}, got {engine!r}")
    return engine


@dataclass(frozen=True)
class SplinkMatcher:
    """Probabilistic matching (Fellegi–Sunter) with Splink, on DuckDB or on Spark.

    Candidate pairs come from blocking rules (same normalised name, same
    domain or e-mail, same first characters of the name …). Each pair is
    scored by comparing fields at several levels: exact, one typo
    (Levenshtein ≤ 1), similar (Jaro–Winkler ≥ 0.95, then lower), different,
    missing; a romanised company name may also meet the other record's web
    domain. The weight of each level is learnt from the data, without labels:
    *u* (how often different entities agree) by random sampling, on one
    record per group of obvious duplicates (so that random pairs really are
    different entities); *m* (how often the same entity agrees with itself)
    by expectation maximisation. Pairs scoring at least ``threshold`` are
    linked; a record whose best pair lies between ``review`` and
    ``threshold`` is left unresolved, for a person to check.

    Parameters
    ----------
    threshold
        Match probability from which a pair is linked.
    review
        Lower end of the band of pairs that need a human decision.
    max_pairs
        Random pairs sampled to estimate the *u* probabilities.
    seed
        Seed of that sampling (the model is deterministic for a seed).
    engine
        Where Splink runs: ``"duckdb"`` (default, in this process) or
        ``"spark"`` (Splink's Spark backend: the same settings, blocking
        rules and training, for a company that outgrows one machine).
    spark
        The ``SparkSession`` of ``engine="spark"``: ``None`` starts a local
        one (:func:`local_spark`); pass your cluster's session to run the
        same code there.

    Examples
    --------
    >>> from revopslab.config import CompanyConfig
    >>> from revopslab.simulate import simulate_company
    >>> from revopslab.silos import export_silos
    >>> silos = export_silos(simulate_company(CompanyConfig(months=12, scale=0.1), rng=3))
    >>> records = account_records(silos)
    >>> found = SplinkMatcher().resolve(records, entity="account")
    >>> bool(found["cluster_id"].nunique() < len(records))  # duplicates were linked
    True
    >>> weights = SplinkMatcher().parameters(records, entity="account")
    >>> weights.loc[weights["comparison"] == "domain", "level"].tolist()
    ['Exact match on domain', 'All other comparisons']
    """

    threshold: float = 0.7
    review: float = 0.3
    max_pairs: float = 5e5
    seed: int = 42
    name: str = field(default="splink")
    engine: str = "duckdb"
    spark: object | None = field(default=None, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not 0 < self.review <= self.threshold < 1:
            raise ValueError("SplinkMatcher needs 0 < review <= threshold < 1, got "
                             f"review={self.review!r}, threshold={self.threshold!r}")
        _check_engine(self.engine)
        if self.spark is not None and self.engine != "spark":
            raise ValueError("spark (a SparkSession) is used only with engine='spark', got "
                             f"engine={self.engine!r}")

    def settings(self, entity: str):
        """The Splink settings (comparisons and blocking rules) for ``entity``."""
        import splink.comparison_level_library as cll
        import splink.comparison_library as cl
        from splink import SettingsCreator, block_on

        def text(column: str, jw: float, *extra) -> cl.CustomComparison:
            # Levenshtein <= 1: one character dropped, doubled or mistyped; a high
            # Jaro-Winkler also catches two characters swapped (and is fast in DuckDB).
            return cl.CustomComparison(
                comparison_levels=[
                    cll.NullLevel(column),
                    cll.ExactMatchLevel(column),
                    *extra,
                    cll.LevenshteinLevel(column, 1),
                    cll.JaroWinklerLevel(column, 0.95),
                    cll.JaroWinklerLevel(column, jw),
                    cll.ElseLevel(),
                ],
                output_column_name=column,
            )

        if entity == "account":
            # A romanised name ("Smart Bussan Co., Ltd." -> smartbussan) against the
            # other record's domain (smart-bussan.co.jp -> smartbussan).
            romanised = cll.CustomLevel(
                "domain_stem_l = name_norm_r OR domain_stem_r = name_norm_l",
                label_for_charts="romanised name = the other's domain",
            )
            comparisons = [text("name_norm", 0.88, romanised), cl.ExactMatch("domain"),
                           cl.ExactMatch("prefecture"), cl.ExactMatch("industry")]
            blocking = [block_on("name_norm"), block_on("domain"),
                        block_on("substr(name_norm, 1, 4)"),
                        block_on("substr(name_norm, -4)", "prefecture"),
                        "l.domain_stem = r.name_norm", "r.domain_stem = l.name_norm"]
        else:
            email = cl.CustomComparison(
                comparison_levels=[
                    cll.NullLevel("email"),
                    cll.ExactMatchLevel("email"),
                    cll.JaroWinklerLevel("email", 0.97),
                    cll.ElseLevel(),
                ],
                output_column_name="email",
            )
            comparisons = [email, text("name_norm", 0.9), text("company_norm", 0.88)]
            blocking = [block_on("email"), block_on("name_norm", "email_domain"),
                        block_on("name_norm", "substr(company_norm, 1, 3)")]
        return SettingsCreator(
            link_type="dedupe_only",
            unique_id_column_name="unique_id",
            comparisons=comparisons,
            blocking_rules_to_generate_predictions=blocking,
            retain_intermediate_calculation_columns=False,
            retain_matching_columns=False,
        )

    def _register(self, db, frame: pd.DataFrame, name: str):
        """``frame`` as a table of ``db`` (on Spark with an explicit all-text schema, so that
        a column with no value at all is still a string column)."""
        if self.engine == "spark":
            from pyspark.sql.types import StringType, StructField, StructType

            schema = StructType([StructField(c, StringType(), True) for c in frame.columns])
            rows = frame.astype(object).where(frame.notna(), None).itertuples(index=False,
                                                                           name=None)
            return db.register(db.spark.createDataFrame(list(rows), schema=schema),
                               table_name=name)
        return db.register(frame, table_name=name)

    def _linker(self, db, records: pd.DataFrame, entity: str):
        """A trained Splink linker over ``records`` (see the class docstring for the steps)."""
        from splink import Linker, block_on

        columns = (["unique_id", "name_norm", "domain", "prefecture", "industry"]
                   if entity == "account" else
                   ["unique_id", "name_norm", "email", "email_domain", "company_norm"])
        frame = records[columns].astype(object)
        if entity == "account":
            # the domain's first label without hyphens (smart-bussan.co.jp -> smartbussan),
            # to meet a romanised name; a column of its own, so that training on pairs
            # with the same domain still learns the name comparison
            frame["domain_stem"] = (frame["domain"].str.split(".").str[0]
                                    .str.replace("-", "", regex=False))
        frame = frame.where(frame.notna(), None)
        # 1. u: how often records of *different* entities agree. Random pairs are
        #    assumed to be non-matches, but the exports hold so many duplicates that
        #    exact agreements among random pairs are mostly true matches; so u is
        #    learnt on one record per group of obvious duplicates (the rules' keys).
        left, right = _rule_links(records, entity)
        cluster = _components(records["unique_id"], left, right)
        distinct = frame[cluster == records["unique_id"].to_numpy()]
        sampler = Linker(self._register(db, distinct, f"{entity}_distinct"),
                         self.settings(entity), log_level=None)
        sampler.training.estimate_u_using_random_sampling(
            max_pairs=self.max_pairs, seed=self.seed, min_count_per_level=None, num_chunks=1)
        model = sampler.misc.save_model_to_json()
        floor = 0.5 / self.max_pairs  # an agreement never seen in the sample: half a count
        for comparison in model["comparisons"]:
            for level in comparison["comparison_levels"]:
                if level.get("is_null_level"):
                    continue
                u = level.get("u_probability")
                level["u_probability"] = floor if u is None or u < floor else u
        table = self._register(db, frame, f"{entity}_records")
        linker = Linker(table, model, log_level=None)
        # 2. the prior: pairs a strict rule links, scaled by that rule's assumed recall.
        # 3. m: how often matches agree, by expectation maximisation on blocked pairs.
        key = "domain" if entity == "account" else "email"
        linker.training.estimate_probability_two_random_records_match([block_on(key)],
                                                                      recall=0.7)
        rules = ([block_on("name_norm"), block_on("domain")] if entity == "account" else
                 [block_on("email"), block_on("name_norm", "company_norm")])
        for rule in rules:
            before = linker.misc.save_model_to_json()
            try:
                linker.training.estimate_parameters_using_expectation_maximisation(rule)
            except ValueError:
                # Splink refuses an m of exactly 0, which very clean data can give a
                # level that no match ever reaches (e.g. at noise 0): keep the model
                # as it was before this session (its default m values).
                linker = Linker(table, before, log_level=None)
        return linker

    def parameters(self, records: pd.DataFrame, *, entity: str) -> pd.DataFrame:
        """The trained model as a table: ``m``, ``u`` and match weight of every comparison level.

        The match weight is ``log2(m / u)``: how many bits of evidence for a
        match a pair at that level adds. The prior (``probability_two_random
        _records_match``) is in ``DataFrame.attrs["prior"]``.
        """
        _check_entity(entity)
        _check_records(records, entity)
        with _splink_api(self.engine, self.spark) as db, _quiet():
            model = self._linker(db, records, entity).misc.save_model_to_json()
        rows = []
        for comparison in model["comparisons"]:
            for level in comparison["comparison_levels"]:
                if level.get("is_null_level"):
                    continue
                m, u = level.get("m_probability"), level.get("u_probability")
                m = m if isinstance(m, float) else None
                u = u if isinstance(u, float) else None
                rows.append({"comparison": comparison["output_column_name"],
                             "level": _level_label(level.get("label_for_charts")), "m": m, "u": u,
                             "match_weight": (float(np.log2(m / u)) if m and u else
                                              float("nan"))})
        out = pd.DataFrame(rows)
        out.attrs["prior"] = model["probability_two_random_records_match"]
        return out

    def resolve(self, records: pd.DataFrame, *, entity: str) -> pd.DataFrame:
        _check_entity(entity)
        _check_records(records, entity)
        with _splink_api(self.engine, self.spark) as db, _quiet():
            linker = self._linker(db, records, entity)
            pairs = linker.inference.predict(threshold_match_probability=self.review)
            pairs = pairs.as_pandas_dataframe()[["unique_id_l", "unique_id_r",
                                                 "match_probability"]]
        pairs = pairs.rename(columns={"unique_id_l": "l", "unique_id_r": "r",
                                      "match_probability": "p"})
        pairs = pairs.sort_values(["l", "r"], kind="stable")
        accept = pairs["p"] >= self.threshold
        return _resolution(records, pairs.loc[accept, "l"], pairs.loc[accept, "r"],
                           pairs.loc[accept, "p"], review=pairs[~accept], entity=entity)


_LEVEL_LABELS_JA = (
    (re.compile(r"^Exact match on (\w+)$"), "{0}が完全一致"),
    (re.compile(r"^Levenshtein distance of (\w+) <= ([\d.]+)$"),
     "{0}のレーベンシュタイン距離 ≤ {1}"),
    (re.compile(r"^Jaro-Winkler distance of (\w+) >= ([\d.]+)$"),
     "{0}のジャロ・ウィンクラー類似度 ≥ {1}"),
    (re.compile(r"^All other comparisons$"), "それ以外のすべて"),
    (re.compile(r"^romanised name = the other's domain$"), "ローマ字化した名前＝相手のドメイン"),
)


def _level_label(label: str | None, lang: str | None = None) -> str | None:
    """A Splink comparison level's label in ``lang`` (None: the bound language).

    Splink names its levels in English; the Japanese edition reads them in Japanese. A label
    with no known pattern is returned as Splink wrote it.

    Examples
    --------
    >>> _level_label("Jaro-Winkler distance of name_norm >= 0.95", lang="ja")
    'name_normのジャロ・ウィンクラー類似度 ≥ 0.95'
    >>> _level_label("Exact match on domain", lang="en")
    'Exact match on domain'
    >>> _level_label("Array intersection size >= 1", lang="ja")  # unknown: kept
    'Array intersection size >= 1'
    """
    if label is None or resolve_lang(lang) != "ja":
        return label
    for pattern, japanese in _LEVEL_LABELS_JA:
        match = pattern.match(label)
        if match:
            return japanese.format(*match.groups())
    return label


# -------------------------------------------------------------------------- evaluation
def _pairs(sizes: pd.Series) -> int:
    sizes = sizes.to_numpy(dtype=np.int64)
    return int((sizes * (sizes - 1) // 2).sum())


def evaluate(links: pd.DataFrame, truth: pd.DataFrame, *, entity: str = "account") -> pd.Series:
    """Pairwise precision, recall and F1 of resolved entities against the truth.

    Every pair of records put in the same entity is a predicted link; every
    pair of records that truly belong to the same account (or person) is a
    true link. ``precision = correct / predicted``, ``recall = correct /
    true``, ``F1 = 2PR / (P + R)`` (the usual measures of entity resolution).
    Records absent from ``links`` (unresolved) count as entities of one.

    Parameters
    ----------
    links
        ``system``, ``table``, ``record_id`` and ``entity_key`` of resolved
        records (the SSOT's ``links`` table; an ``entity`` column, if present,
        selects the rows of ``entity``).
    truth
        :attr:`revopslab.silos.Silos.truth`.
    entity
        ``"account"`` or ``"person"``.

    Examples
    --------
    Three records of account X and one of Y; the matcher put a1 with a2,
    and a3 with b1: 1 correct pair of 2 predicted and 3 true.

    >>> truth = pd.DataFrame({"system": "ma", "table": "companies",
    ...                       "record_id": ["a1", "a2", "a3", "b1"],
    ...                       "account_id": ["X", "X", "X", "Y"], "lead_id": None})
    >>> links = pd.DataFrame({"system": "ma", "table": "companies",
    ...                       "record_id": ["a1", "a2", "a3", "b1"],
    ...                       "entity_key": ["E1", "E1", "E2", "E2"]})
    >>> evaluate(links, truth)[["precision", "recall", "f1"]].round(4).tolist()
    [0.5, 0.3333, 0.4]
    """
    _check_entity(entity)
    for name, frame, needed in (("links", links, ("system", "table", "record_id", "entity_key")),
                                ("truth", truth, ("system", "table", "record_id"))):
        missing = [c for c in needed if c not in frame.columns]
        if missing:
            raise ValueError(f"{name} must have the columns {list(needed)}; missing {missing}")
    tables = set(ENTITY_TABLES[entity])
    true_key = "account_id" if entity == "account" else "lead_id"
    keys = list(zip(truth["system"].tolist(), truth["table"].tolist(), strict=True))
    t = truth.loc[[k in tables for k in keys], ["system", "table", "record_id", true_key]]
    t = t.astype({"record_id": "str"})
    if "entity" in links.columns:
        links = links[links["entity"] == entity]
    pred = links[["system", "table", "record_id", "entity_key"]].astype({"record_id": "str"})
    merged = t.merge(pred, on=["system", "table", "record_id"], how="left", validate="1:1")
    singleton = merged["entity_key"].isna()
    merged.loc[singleton, "entity_key"] = ("unresolved:" + merged.loc[singleton, "system"] + ":"
                                           + merged.loc[singleton, "record_id"])
    true_pairs = _pairs(merged.groupby(true_key).size())
    predicted = _pairs(merged.groupby("entity_key").size())
    correct = _pairs(merged.groupby(["entity_key", true_key]).size())
    precision = correct / predicted if predicted else float("nan")
    recall = correct / true_pairs if true_pairs else float("nan")
    f1 = (2 * precision * recall / (precision + recall)
          if predicted and true_pairs and precision + recall > 0 else float("nan"))
    return pd.Series({"precision": precision, "recall": recall, "f1": f1,
                      "records": len(merged), "unresolved": int(singleton.sum()),
                      "true_pairs": true_pairs, "predicted_pairs": predicted,
                      "correct_pairs": correct}, name=entity, dtype=object)


# ---------------------------------------------------------------------------- the SSOT
#: The SQL of the customer-360 view: every resolved account with its leads, deals,
#: subscriptions, tickets and NPS, joined through the ``links`` table from each
#: system's own keys. Kept readable so that a notebook can print it.
CUSTOMER_360_SQL = """
CREATE OR REPLACE VIEW customer_360 AS
WITH
account_of AS (         -- each account-level source record and the account it resolved to
    SELECT system, record_id, entity_key AS account_key
    FROM links
    WHERE entity = 'account'
),
leads AS (              -- resolved people (one per lead) attached to the account
    SELECT account_key, count(*) AS leads
    FROM people
    WHERE account_key IS NOT NULL
    GROUP BY account_key
),
deals AS (              -- the SFA's opportunities, through the SFA account they hang off
    SELECT a.account_key,
           count(*)                                 AS opportunities,
           count(*) FILTER (WHERE o.IsWon)          AS won,
           sum(o.Amount) FILTER (WHERE o.IsWon)     AS bookings_jpy,
           sum(o.Amount) FILTER (WHERE NOT o.IsClosed) AS open_pipeline_jpy
    FROM sfa_opportunities AS o
    JOIN account_of AS a ON a.system = 'sfa' AND a.record_id = o.AccountId
    GROUP BY a.account_key
),
contracts AS (          -- the CS platform's subscriptions, through its customer records
    SELECT a.account_key,
           count(*)                                        AS subscriptions,
           count(*) FILTER (WHERE s.status = 'active')     AS active_subscriptions,
           sum(s.mrr_jpy) FILTER (WHERE s.status = 'active') AS mrr_jpy
    FROM cs_subscriptions AS s
    JOIN account_of AS a ON a.system = 'cs' AND a.record_id = s.customer_id
    GROUP BY a.account_key
),
support AS (
    SELECT a.account_key, count(*) AS tickets, avg(t.csat) AS csat
    FROM cs_tickets AS t
    JOIN account_of AS a ON a.system = 'cs' AND a.record_id = t.customer_id
    GROUP BY a.account_key
),
survey AS (             -- NPS = % promoters (9-10) - % detractors (0-6)
    SELECT a.account_key,
           count(*) AS nps_responses,
           100 * (avg(CASE WHEN n.score >= 9 THEN 1 ELSE 0 END)
                  - avg(CASE WHEN n.score <= 6 THEN 1 ELSE 0 END)) AS nps
    FROM cs_nps AS n
    JOIN account_of AS a ON a.system = 'cs' AND a.record_id = n.customer_id
    GROUP BY a.account_key
)
SELECT acc.account_key, acc.name, acc.domain, acc.prefecture,
       acc.in_ma, acc.in_sfa, acc.in_cs,
       coalesce(leads.leads, 0)                 AS leads,
       coalesce(deals.opportunities, 0)         AS opportunities,
       coalesce(deals.won, 0)                   AS won,
       coalesce(deals.bookings_jpy, 0)          AS bookings_jpy,
       coalesce(deals.open_pipeline_jpy, 0)     AS open_pipeline_jpy,
       coalesce(contracts.subscriptions, 0)     AS subscriptions,
       coalesce(contracts.active_subscriptions, 0) AS active_subscriptions,
       coalesce(contracts.mrr_jpy, 0)           AS mrr_jpy,
       coalesce(support.tickets, 0)             AS tickets,
       support.csat,
       coalesce(survey.nps_responses, 0)        AS nps_responses,
       survey.nps,
       CASE WHEN contracts.active_subscriptions > 0 THEN 'customer'
            WHEN contracts.subscriptions > 0        THEN 'former customer'
            WHEN deals.open_pipeline_jpy > 0        THEN 'in pipeline'
            ELSE 'prospect' END                 AS status
FROM accounts AS acc
LEFT JOIN leads     USING (account_key)
LEFT JOIN deals     USING (account_key)
LEFT JOIN contracts USING (account_key)
LEFT JOIN support   USING (account_key)
LEFT JOIN survey    USING (account_key)
ORDER BY acc.account_key
""".strip()

#: What :func:`build_ssot` writes: the raw exports, the resolved entities, the links
#: back to every source record, the records left unresolved, and the 360 view.
SSOT_TABLES: Mapping[str, str] = MappingProxyType({
    **{f"{system}_{table}": f"raw export: {system.upper()} {table}"
       for system, tables in SILO_TABLES.items() for table in tables},
    "accounts": "one row per resolved company (golden record: name, domain, prefecture …)",
    "people": "one row per resolved person, with the account they work for",
    "links": "every resolved source record -> its account_key or person_key",
    "unresolved": "every source record the matcher could not resolve, with the reason",
    "customer_360": "view: each account's leads, deals, subscriptions, tickets and NPS",
})

_SYSTEM_PRIORITY = {"sfa": 0, "cs": 1, "ma": 2}  # whose value wins in a golden record


@dataclass(frozen=True, repr=False)
class SSOT:
    """The single source of truth: a DuckDB database of resolved accounts and people.

    Query it with :meth:`sql`; the main tables are also properties
    (``accounts``, ``people``, ``links``, ``unresolved``, ``customer_360``).
    Close it with :meth:`close` or use it in a ``with`` block.
    """

    con: duckdb.DuckDBPyConnection
    path: str
    matcher: str
    engine: str = "duckdb"

    def sql(self, query: str) -> pd.DataFrame:
        """Run SQL against the SSOT and return the result as a DataFrame."""
        return self.con.execute(query).df()

    def table(self, name: str) -> pd.DataFrame:
        """One table or view of :data:`SSOT_TABLES` as a DataFrame."""
        if name not in SSOT_TABLES:
            raise KeyError(f"name must be one of {list(SSOT_TABLES)}, got {name!r}")
        return self.sql(f'SELECT * FROM "{name}"')

    @property
    def accounts(self) -> pd.DataFrame:
        return self.table("accounts")

    @property
    def people(self) -> pd.DataFrame:
        return self.table("people")

    @property
    def links(self) -> pd.DataFrame:
        return self.table("links")

    @property
    def unresolved(self) -> pd.DataFrame:
        return self.table("unresolved")

    @property
    def customer_360(self) -> pd.DataFrame:
        return self.table("customer_360")

    def summary(self) -> pd.DataFrame:
        """Source records per system and table: how many resolved, how many unresolved."""
        return self.sql("""
            SELECT entity, system, "table", count(*) FILTER (WHERE resolved) AS resolved,
                   count(*) FILTER (WHERE NOT resolved) AS unresolved,
                   count(DISTINCT entity_key) AS entities
            FROM (SELECT entity, system, "table", entity_key, true AS resolved FROM links
                  UNION ALL
                  SELECT entity, system, "table", NULL, false FROM unresolved)
            GROUP BY ALL ORDER BY entity, system, "table"
        """)

    def close(self) -> None:
        self.con.close()

    def __enter__(self) -> SSOT:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def __repr__(self) -> str:
        counts = self.con.execute(
            "SELECT (SELECT count(*) FROM accounts), (SELECT count(*) FROM people), "
            "(SELECT count(*) FROM links), (SELECT count(*) FROM unresolved)").fetchone()
        engine = "" if self.engine == "duckdb" else f", engine={self.engine!r}"
        return (f"SSOT(path={self.path!r}, matcher={self.matcher!r}{engine}; "
                f"accounts={counts[0]:,}, "
                f"people={counts[1]:,}, links={counts[2]:,}, unresolved={counts[3]:,})")


def _as_matcher(matcher, engine: str = "duckdb", spark=None) -> Matcher:
    _check_engine(engine)
    if matcher is None or matcher == "splink":
        return SplinkMatcher(engine=engine, spark=spark)
    if engine != "duckdb" or spark is not None:
        raise ValueError("engine and spark choose where Splink runs: use them with "
                         f"matcher='splink' (or None), got matcher={matcher!r}; for other "
                         "settings pass SplinkMatcher(..., engine='spark', spark=session)")
    if matcher == "rules":
        return RulesMatcher()
    if not isinstance(matcher, Matcher):
        raise TypeError("matcher must be 'splink', 'rules', None or an object with a name and "
                        f"a resolve(records, *, entity) method, got {type(matcher).__name__}")
    return matcher


def _run_matcher(matcher: Matcher, records: pd.DataFrame, entity: str) -> pd.DataFrame:
    out = matcher.resolve(records, entity=entity)
    missing = [c for c in RESOLUTION_COLUMNS if c not in getattr(out, "columns", ())]
    if missing:
        raise ValueError(f"matcher {matcher.name!r} must return the columns "
                         f"{list(RESOLUTION_COLUMNS)}; missing {missing}")
    if len(out) != len(records) or set(out["unique_id"]) != set(records["unique_id"]):
        raise ValueError(f"matcher {matcher.name!r} must return exactly one row per input "
                         f"record ({len(records)}), got {len(out)} rows")
    return out.set_index("unique_id").loc[records["unique_id"]].reset_index()


def _keys(cluster: pd.Series, resolved: pd.Series, prefix: str) -> pd.Series:
    """Entity keys ACC-000001 … numbered in order of each entity's smallest record id."""
    clusters = sorted(set(cluster[resolved.to_numpy()]))
    number = {c: f"{prefix}-{i + 1:06d}" for i, c in enumerate(clusters)}
    return pd.Series([number[c] if r else None for c, r in
                      zip(cluster.tolist(), resolved.tolist(), strict=True)],
                     index=cluster.index, dtype=object)


def _golden(records: pd.DataFrame, columns: Iterable[str]) -> pd.DataFrame:
    """One row per entity: each column's value from the most trusted record that has one."""
    ranked = records.assign(_rank=records["system"].map(_SYSTEM_PRIORITY),
                            _ma=records["system"] == "ma", _sfa=records["system"] == "sfa",
                            _cs=records["system"] == "cs")
    ranked = ranked.sort_values(["entity_key", "_rank", "unique_id"], kind="stable")
    groups = ranked.groupby("entity_key", sort=True)
    out = pd.DataFrame({"n_records": groups.size(), "in_ma": groups["_ma"].any(),
                        "in_sfa": groups["_sfa"].any(), "in_cs": groups["_cs"].any()})
    for column in columns:  # "first" skips missing values: the most trusted value present
        out[column] = groups[column].first()
    return out


@dataclass(frozen=True)
class _Resolved:
    """Records of both entity types with their resolution (private)."""

    accounts: pd.DataFrame
    people: pd.DataFrame | None


def _resolve(silos: Silos, matcher: Matcher, *, people: bool) -> _Resolved:
    accounts = account_records(silos)
    res = _run_matcher(matcher, accounts, "account")
    accounts = accounts.assign(
        resolved=res["resolved"].to_numpy(), reason=res["reason"].to_numpy(),
        match_probability=res["match_probability"].to_numpy(),
        best_match=res["best_match"].to_numpy())
    accounts["entity_key"] = _keys(res["cluster_id"], res["resolved"], "ACC").to_numpy()
    persons = None
    if people:
        persons = person_records(silos)
        res = _run_matcher(matcher, persons, "person")
        persons = persons.assign(
            resolved=res["resolved"].to_numpy(), reason=res["reason"].to_numpy(),
            match_probability=res["match_probability"].to_numpy(),
            best_match=res["best_match"].to_numpy())
        persons["entity_key"] = _keys(res["cluster_id"], res["resolved"], "PER").to_numpy()
    return _Resolved(accounts, persons)


def _account_of_people(persons: pd.DataFrame, accounts: pd.DataFrame,
                       golden: pd.DataFrame) -> pd.Series:
    """The account each resolved person works for.

    First the account their own system hangs them under (an SFA contact's
    account before a converted lead's before an MA contact's company, which
    may be stale); failing that, the one account with their e-mail domain,
    then the one account with their company's normalised name.
    """
    account_key = dict(zip(accounts["unique_id"], accounts["entity_key"], strict=True))
    p = persons[persons["resolved"]].copy()
    p["via_ref"] = p["account_ref"].map(account_key)
    p["_rank"] = p["table"].map({"contacts": 0, "leads": 1}) + (p["system"] == "ma") * 2
    via_ref = (p.dropna(subset=["via_ref"]).sort_values(["entity_key", "_rank", "unique_id"])
               .groupby("entity_key")["via_ref"].first())
    by_domain = golden.dropna(subset=["domain"])
    by_domain = by_domain[~by_domain["domain"].duplicated(keep=False)]
    domain_key = dict(zip(by_domain["domain"], by_domain.index, strict=True))
    by_name = golden.dropna(subset=["name_norm"])
    by_name = by_name[~by_name["name_norm"].duplicated(keep=False)]
    name_key = dict(zip(by_name["name_norm"], by_name.index, strict=True))
    p["via_domain"] = p["email_domain"].map(domain_key)
    p["via_name"] = p["company_norm"].map(name_key)
    fallback = (p.sort_values(["entity_key", "_rank", "unique_id"]).groupby("entity_key")
                [["via_domain", "via_name"]].first())
    out = via_ref.reindex(fallback.index)
    out = out.fillna(fallback["via_domain"]).fillna(fallback["via_name"])
    return out


def _write(con: duckdb.DuckDBPyConnection, name: str, frame: pd.DataFrame) -> None:
    con.register("_frame", frame)
    try:
        con.execute(f'CREATE OR REPLACE TABLE "{name}" AS SELECT * FROM _frame')
    finally:
        con.unregister("_frame")


def _links_and_unresolved(records: pd.DataFrame, entity: str) -> tuple[pd.DataFrame,
                                                                          pd.DataFrame]:
    base = records.assign(entity=entity)
    links = base.loc[base["resolved"], ["system", "table", "record_id", "entity",
                                        "entity_key", "match_probability", "best_match"]]
    unresolved = base.loc[~base["resolved"], ["system", "table", "record_id", "entity",
                                              "name", "reason", "match_probability",
                                              "best_match"]]
    return links, unresolved


def build_ssot(silos: Silos, *, path: str | Path | None = None, matcher: Matcher | str | None
               = None, people: bool = True, engine: str = "duckdb", spark=None) -> SSOT:
    """Resolve the silo exports into one customer database in DuckDB.

    Steps: load every export as a raw table (``ma_contacts``, ``sfa_accounts``
    …); map each system's account records and person records onto one schema
    and normalise them (:func:`account_records`, :func:`person_records`);
    let ``matcher`` group them into entities; write the golden records
    (``accounts``, ``people``), the ``links`` from every resolved source
    record to its entity, the ``unresolved`` records with the reason, and the
    ``customer_360`` view (:data:`CUSTOMER_360_SQL`). Every entity-level
    source record ends up in exactly one of ``links`` and ``unresolved``.

    Parameters
    ----------
    silos
        The exports (:func:`revopslab.silos.export_silos`).
    path
        A DuckDB database file to write (its tables are replaced), or ``None``
        / ``":memory:"`` for an in-memory database.
    matcher
        ``"splink"`` (default), ``"rules"`` or any :class:`Matcher`.
    people
        Also resolve people (MA contacts, SFA leads and contacts).
    engine
        Where Splink links the records: ``"duckdb"`` (default) or ``"spark"``
        (Splink's Spark backend, same settings and training; see
        :class:`SplinkMatcher`). The SSOT itself is written to DuckDB either
        way, so every query downstream stays the same.
    spark
        With ``engine="spark"``: a ``SparkSession`` (a cluster's), or
        ``None`` for a local one (:func:`local_spark`).

    Returns
    -------
    SSOT
        The open database.

    Examples
    --------
    >>> from revopslab.config import CompanyConfig
    >>> from revopslab.simulate import simulate_company
    >>> from revopslab.silos import export_silos
    >>> silos = export_silos(simulate_company(CompanyConfig(months=12, scale=0.1), rng=3))
    >>> with build_ssot(silos, matcher="rules") as ssot:
    ...     total = ssot.sql("SELECT count(*) AS n FROM links WHERE entity = 'account'")
    ...     lost = ssot.sql("SELECT count(*) AS n FROM unresolved WHERE entity = 'account'")
    ...     print(int(total["n"][0] + lost["n"][0]) == len(account_records(silos)))
    True
    """
    if not isinstance(silos, Silos):
        raise TypeError(f"silos must be a revopslab Silos, got {type(silos).__name__}")
    matcher = _as_matcher(matcher, engine, spark)
    resolved = _resolve(silos, matcher, people=people)
    target = ":memory:" if path is None else str(path)
    con = _connect(target)
    try:
        for system, table, frame in silos.tables():
            _write(con, f"{system}_{table}", frame)
        acc = resolved.accounts
        golden = _golden(acc[acc["resolved"]].assign(
            name=acc["name"].astype(object).str.replace(r"\s*様\s*$", "", regex=True)),
            ["name", "name_norm", "domain", "prefecture", "industry", "employees"])
        links, unresolved = _links_and_unresolved(acc, "account")
        if resolved.people is not None:
            per = resolved.people
            people_golden = _golden(per[per["resolved"]], ["name", "email"])
            people_golden.insert(0, "account_key", _account_of_people(per, acc, golden)
                                 .reindex(people_golden.index).astype(object))
            more_links, more_unresolved = _links_and_unresolved(per, "person")
            links = pd.concat([links, more_links], ignore_index=True)
            unresolved = pd.concat([unresolved, more_unresolved], ignore_index=True)
        else:
            people_golden = pd.DataFrame(columns=["account_key", "n_records", "in_ma", "in_sfa",
                                                  "in_cs", "name", "email"],
                                         index=pd.Index([], name="entity_key"))
        golden = golden.drop(columns="name_norm").rename_axis("account_key").reset_index()
        people_golden = people_golden.drop(columns="in_cs").rename_axis(
            "person_key").reset_index()
        _write(con, "accounts", golden)
        _write(con, "people", people_golden.astype({"account_key": object}))
        _write(con, "links", links.reset_index(drop=True))
        _write(con, "unresolved", unresolved.astype({"reason": object, "name": object})
               .reset_index(drop=True))
        con.execute(CUSTOMER_360_SQL)
    except Exception:
        con.close()
        raise
    return SSOT(con=con, path=target, matcher=matcher.name,
                engine=getattr(matcher, "engine", "duckdb"))


def f1_by_noise(company: Company, *, noises: Iterable[float] = (0.0, 0.1, 0.2, 0.3, 0.5),
                matcher: Matcher | str | None = None,
                rng: int | np.random.Generator | np.random.SeedSequence | None = None,
                people: bool = True, progress: bool = True) -> pd.DataFrame:
    """Precision, recall and F1 of entity resolution at several noise levels (a curve).

    The same seed ``rng`` exports the company at each noise level, so only
    the noise changes between points.

    Parameters
    ----------
    company
        A simulated company.
    noises
        Noise levels from 0 to 1 (:func:`revopslab.silos.export_silos`).
    matcher
        ``"splink"`` (default), ``"rules"`` or any :class:`Matcher`.
    rng
        Seed of the exports (``None``: the company's seed).
    people
        Also resolve and score people.
    progress
        Show a tqdm progress bar over the noise levels (on stderr).

    Returns
    -------
    DataFrame
        One row per noise level and entity: ``noise``, ``entity``, ``matcher``,
        ``precision``, ``recall``, ``f1``, ``records``, ``unresolved``.

    Examples
    --------
    >>> from revopslab.config import CompanyConfig
    >>> from revopslab.simulate import simulate_company
    >>> company = simulate_company(CompanyConfig(months=12, scale=0.1), rng=3)
    >>> curve = f1_by_noise(company, noises=(0.0, 0.3), matcher="rules", people=False,
    ...                     progress=False)
    >>> curve[["noise", "entity"]].values.tolist()
    [[0.0, 'account'], [0.3, 'account']]
    >>> bool(curve["f1"].iloc[0] >= curve["f1"].iloc[1])
    True
    """
    # Deterministic in the company's tables and the arguments (a matcher named by a string
    # or given as a settings dataclass; an int seed): computed once, then read back.
    return _cache.cached_call(_f1_by_noise, company, noises=list(noises), matcher=matcher,
                              rng=rng, people=people, progress=progress)


def _f1_by_noise(company: Company, *, noises: list[float], matcher: Matcher | str | None,
                 rng: int | np.random.Generator | np.random.SeedSequence | None,
                 people: bool, progress: bool) -> pd.DataFrame:
    """The engine of :func:`f1_by_noise`."""
    matcher = _as_matcher(matcher)
    rows = []
    for noise in tqdm(noises, desc="noise levels", unit="level", disable=not progress):
        silos = export_silos(company, rng=rng, noise=noise)
        resolved = _resolve(silos, matcher, people=people)
        for entity, records in (("account", resolved.accounts), ("person", resolved.people)):
            if records is None:
                continue
            links, _ = _links_and_unresolved(records, entity)
            scores = evaluate(links, silos.truth, entity=entity)
            rows.append({"noise": float(noise), "entity": entity, "matcher": matcher.name,
                         "precision": float(scores["precision"]),
                         "recall": float(scores["recall"]), "f1": float(scores["f1"]),
                         "records": int(scores["records"]),
                         "unresolved": int(scores["unresolved"])})
    return pd.DataFrame(rows)


# ------------------------------------------------------------------------- experiments
def _account_links(ssot: SSOT) -> pd.DataFrame:
    return ssot.sql("SELECT system, \"table\", record_id, entity_key AS account_key "
                    "FROM links WHERE entity = 'account'")


def _diagnosis(keys: pd.Series, paying: set) -> tuple[int, int, int]:
    """(duplicates, not paying, unresolved) among records mapped to account keys."""
    resolved = keys.dropna()
    duplicates = len(resolved) - resolved.nunique()
    not_paying = int((~pd.Series(resolved.unique()).isin(paying)).sum())
    return duplicates, not_paying, int(keys.isna().sum())


def _window(as_of: pd.Timestamp) -> tuple[pd.Timestamp, pd.Timestamp, pd.Timestamp]:
    """(base month, first month, last month) of the 12 months before ``as_of``."""
    last = (as_of - pd.DateOffset(months=1)).to_period("M").to_timestamp()
    first = last - pd.DateOffset(months=11)
    return first - pd.DateOffset(months=1), first, last


def same_question_each_silo(silos: Silos, ssot: SSOT, *, company: Company | None = None,
                            lang: str = "en") -> pd.DataFrame:
    """The same four questions answered from each system's own data and from the SSOT.

    Questions: paying customers now; annual revenue per customer; logo churn
    over the last 12 months; opportunities sourced by marketing in the last
    12 months. Each system answers with what it has (and in its own way);
    ``reason`` says why its answer differs, with counts taken from the SSOT
    (duplicates, records of companies that no longer pay …). With
    ``company``, the simulator's ground truth is added as a last source.
    ``lang="ja"`` writes the questions and reasons in Japanese (same rows, same answers).

    Returns
    -------
    DataFrame
        ``question``, ``source`` (MA, SFA, CS, SSOT, truth), ``answer``, ``unit``, ``reason``.

    Examples
    --------
    >>> from revopslab.config import CompanyConfig
    >>> from revopslab.simulate import simulate_company
    >>> from revopslab.silos import export_silos
    >>> company = simulate_company(CompanyConfig(months=24, scale=0.2), rng=3)
    >>> silos = export_silos(company, rng=1)
    >>> with build_ssot(silos, matcher="rules") as ssot:
    ...     answers = same_question_each_silo(silos, ssot, company=company)
    >>> answers.groupby("question")["source"].apply(list).iloc[0]
    ['MA', 'SFA', 'CS', 'SSOT', 'truth']
    >>> with build_ssot(silos, matcher="rules") as ssot:
    ...     ja = same_question_each_silo(silos, ssot, company=company, lang="ja")
    >>> same = ja["answer"].fillna(-1) == answers["answer"].fillna(-1)
    >>> ja["question"].iloc[0], bool(same.all())
    ('有料顧客数', True)
    """
    lang = check_lang(lang)

    def t(en: str, ja: str) -> str:
        return text(en=en, ja=ja, lang=lang)

    if not isinstance(silos, Silos) or not isinstance(ssot, SSOT):
        raise TypeError("same_question_each_silo(silos, ssot) needs a Silos and an SSOT, got "
                        f"{type(silos).__name__} and {type(ssot).__name__}")
    ma, sfa, cs = silos.ma, silos.sfa, silos.cs
    links = _account_links(ssot)
    key_of = {(s, r): k for s, r, k in zip(links["system"], links["record_id"],
                                           links["account_key"], strict=True)}

    def keys(system: str, record_ids: pd.Series) -> pd.Series:
        return pd.Series([key_of.get((system, str(r))) for r in record_ids], dtype=object)

    c360 = ssot.customer_360
    paying = set(c360.loc[c360["status"] == "customer", "account_key"])
    base_month, first, last = _window(silos.as_of)
    rows: list[dict] = []

    def add(question, source, answer, unit, reason):
        rows.append({"question": question, "source": source,
                     "answer": float(answer) if answer is not None else float("nan"),
                     "unit": unit, "reason": reason})

    # 1. paying customers now
    q = t("paying customers", "有料顧客数")
    contacts = ma["contacts"]
    customer_contacts = contacts[contacts["Lifecycle Stage"] == "customer"]
    companies = customer_contacts["Associated Company ID"].dropna().astype("int64").unique()
    dup, stale, _ = _diagnosis(keys("ma", pd.Series(companies)), paying)
    add(q, "MA", len(companies), "accounts",
        t(f"companies with a contact whose lifecycle stage is 'customer'; stages never move back, "
          f"so {stale} of them no longer pay, and {dup} records duplicate another company record",
          f"ライフサイクルステージが「customer」のコンタクトを持つ企業。ステージは後戻りしないため"
          f"{stale}社はすでに支払いをやめており、{dup}件は別の企業レコードの重複です"))
    customers = sfa["accounts"][sfa["accounts"]["Type"] == "Customer"]
    dup, stale, _ = _diagnosis(keys("sfa", customers["Id"]), paying)
    add(q, "SFA", len(customers), "accounts",
        t(f"accounts typed 'Customer' when a deal was won; {stale} of them have since churned "
          f"(nobody reset the type) and {dup} are duplicate accounts",
          f"受注時に種別を「Customer」にした取引先。うち{stale}社はその後解約し（誰も種別を戻して"
          f"いない）、{dup}件は重複した取引先です"))
    active = cs["customers"][cs["customers"]["status"] == "active"]
    dup, stale, _ = _diagnosis(keys("cs", active["customer_id"]), paying)
    add(q, "CS", len(active), "accounts",
        t(f"customer records with an active subscription; {dup} of them are duplicate records "
          "of a company already counted",
          f"有効なサブスクリプションを持つ顧客レコード。うち{dup}件は、すでに数えた企業の重複"
          "レコードです"))
    unresolved = ssot.sql("SELECT record_id FROM unresolved WHERE entity = 'account' "
                          "AND system = 'cs'")["record_id"]
    waiting = int(active["customer_id"].isin(unresolved).sum())
    add(q, "SSOT", len(paying), "accounts",
        t(f"resolved companies with at least one active subscription, each counted once; "
          f"{waiting} active CS customer records wait in the unresolved list and are not counted",
          f"有効なサブスクリプションを1つ以上持つ名寄せ済みの企業を1社1回ずつ数えたもの。CSの有効な"
          f"顧客レコード{waiting}件は未解決リストで待っており、数えていません"))

    # 2. annual revenue per customer
    q = t("annual revenue per customer", "顧客1社あたりの年間売上")
    add(q, "MA", None, "JPY", t("MA holds no revenue data", "MAは売上データを持たない"))
    won = sfa["opportunities"][sfa["opportunities"]["IsWon"]]
    add(q, "SFA", won["Amount"].sum() / max(len(customers), 1), "JPY",
        t(f"bookings: the contract value of every won deal since the start ({len(won)} deals), "
          f"per account typed 'Customer', churned or not",
          f"受注額：開始以来のすべての受注（{len(won)}件）の契約金額を、解約の有無を問わず種別が"
          f"「Customer」の取引先の数で割ったもの"))
    subs = cs["subscriptions"]
    live = subs[subs["status"] == "active"]
    add(q, "CS", 12 * live["mrr_jpy"].sum() / max(len(active), 1), "JPY",
        t("current MRR x 12 per active customer record; a company split over two records "
          "counts twice with half the revenue each",
          "有効な顧客レコード1件あたりの現在のMRR×12。2件のレコードに分かれた企業は、売上が半分"
          "ずつの2社として数えられます"))
    add(q, "SSOT", 12 * c360["mrr_jpy"].where(c360["status"] == "customer", 0).sum()
        / max(len(paying), 1), "JPY",
        t("current MRR x 12 per resolved paying company",
          "名寄せ済みの有料顧客企業1社あたりの現在のMRR×12"))

    # 3. logo churn over the last 12 months
    q = t("logo churn, last 12 months", "ロゴチャーン率（直近12か月）")
    add(q, "MA", None, "share", t("MA never hears of a cancellation", "MAには解約の情報が届かない"))
    former = (sfa["accounts"]["Type"] == "Former Customer").sum()
    add(q, "SFA", former / max(former + len(customers), 1), "share",
        t(f"accounts typed 'Former Customer' among all ever won ({former}); the type is reset "
          "only when a rep remembers, and carries no date",
          f"これまでに受注した取引先のうち種別が「Former Customer」のもの（{former}社）。種別は"
          "担当者が思い出したときにしか戻されず、日付もありません"))
    cust = cs["customers"]
    onboarded, churned_on = parse_dates(cust["onboarded_on"]), parse_dates(cust["churned_on"])
    in_base = (onboarded <= base_month) & (churned_on.isna() | (churned_on > base_month))
    lost = in_base & churned_on.notna() & (churned_on <= last)
    add(q, "CS", lost.sum() / max(in_base.sum(), 1), "share",
        t(f"per customer record ({in_base.sum()} at the start); a duplicate record that held only "
          "an add-on 'churns' when the add-on ends",
          f"顧客レコード単位（期首に{in_base.sum()}件）。アドオンだけを持つ重複レコードは、アドオンが"
          "終わると「解約」になります"))
    sub_keys = keys("cs", subs["customer_id"]).to_numpy()
    start, end = parse_dates(subs["start_date"]), parse_dates(subs["end_date"])
    frame = pd.DataFrame({"key": sub_keys,
                          "at_base": ((start <= base_month) & (end.isna() | (end > base_month)))
                          .to_numpy(),
                          "at_end": ((start <= last) & (end.isna() | (end > last))).to_numpy()})
    per_account = frame.dropna(subset=["key"]).groupby("key")[["at_base", "at_end"]].any()
    base = per_account[per_account["at_base"]]
    add(q, "SSOT", (~base["at_end"]).mean() if len(base) else float("nan"), "share",
        t(f"resolved companies paying at the start ({len(base)}) with no active subscription "
          "at the end",
          f"期首に支払っていた名寄せ済みの企業（{len(base)}社）のうち、期末に有効なサブスクリプションの"
          "ないもの"))

    # 4. marketing-sourced opportunities in the last 12 months
    q = t("marketing-sourced opportunities, last 12 months",
          "マーケティング起点の商談数（直近12か月）")
    created = parse_dates(contacts["Create Date"])
    in_window = (created >= first) & (created < silos.as_of)
    at_opp = contacts["Lifecycle Stage"].isin(["opportunity", "customer"]) & in_window
    add(q, "MA", at_opp.sum(), "opportunities",
        t(f"contacts created in the period whose lifecycle stage reached 'opportunity': contacts, "
          f"not deals (every contact of a company with a deal moves), at "
          f"{contacts.loc[at_opp, 'Associated Company ID'].nunique()} companies",
          f"期間中に作成され、ライフサイクルステージが「opportunity」に達したコンタクト。数えているのは"
          f"商談ではなくコンタクトで（商談のある企業のコンタクトは全員進む）、企業数は"
          f"{contacts.loc[at_opp, 'Associated Company ID'].nunique()}社"))
    opps = sfa["opportunities"]
    opp_created = parse_dates(opps["CreatedDate"])
    recent = opps[(opp_created >= first) & (opp_created < silos.as_of)]
    marketing_labels = [LEAD_SOURCE_LABELS["sfa"][ch] for ch in MARKETING_SOURCES]
    add(q, "SFA", recent["LeadSource"].isin(marketing_labels).sum(), "opportunities",
        t(f"opportunities whose LeadSource is a marketing channel; LeadSource is empty on "
          f"{recent['LeadSource'].isna().sum()} of the {len(recent)} created in the period",
          f"LeadSourceがマーケティングのチャネルである商談。期間中に作成された{len(recent)}件のうち"
          f"{recent['LeadSource'].isna().sum()}件はLeadSourceが空です"))
    add(q, "CS", None, "opportunities",
        t("CS sees a company only after the sale", "CSが企業を知るのは受注の後"))
    person_links = ssot.sql("SELECT l.record_id, p.in_ma FROM links l JOIN people p "
                            "ON l.entity_key = p.person_key WHERE l.entity = 'person' "
                            "AND l.system = 'sfa' AND l.\"table\" = 'leads'")
    in_ma = dict(zip(person_links["record_id"], person_links["in_ma"], strict=True))
    leads = sfa["leads"].dropna(subset=["ConvertedOpportunityId"])
    from_marketing = {opp for opp, rid in zip(leads["ConvertedOpportunityId"], leads["Id"],
                                              strict=True) if in_ma.get(rid, False)}
    add(q, "SSOT", recent["Id"].isin(from_marketing).sum(), "opportunities",
        t("opportunities whose lead is a person who first came through marketing (matched to "
          "an MA contact), whatever LeadSource says",
          "LeadSourceの値にかかわらず、リードがマーケティング経由で最初に来た人物（MAのコンタクトと"
          "名寄せされた人物）である商談"))

    if company is not None:
        mrr = company.mrr
        now = mrr[(mrr["month"] == last) & (mrr["mrr"] > 0)]
        n_now = now["account_id"].nunique()
        add(t("paying customers", "有料顧客数"), "truth", n_now, "accounts",
            t("the simulator's own accounts paying in the last month",
              "シミュレーター自身の、最終月に支払っている企業"))
        add(t("annual revenue per customer", "顧客1社あたりの年間売上"), "truth",
            12 * now["mrr"].sum() / max(n_now, 1), "JPY",
            t("the simulator's MRR x 12 per paying account",
              "シミュレーターの有料顧客1社あたりのMRR×12"))
        add(t("logo churn, last 12 months", "ロゴチャーン率（直近12か月）"), "truth",
            logo_churn_rate(mrr, period=(f"{first:%Y-%m}", f"{last:%Y-%m}")), "share",
            t("the simulator's accounts paying before the period and not at its end",
              "シミュレーターの、期間前に支払っていて期末には支払っていない企業"))
        o = company.opportunities
        motion = o["lead_id"].map(dict(zip(company.leads["lead_id"], company.leads["motion"],
                                           strict=True)))
        add(t("marketing-sourced opportunities, last 12 months",
              "マーケティング起点の商談数（直近12か月）"), "truth",
            ((o["created_at"] >= first) & (o["created_at"] < silos.as_of)
             & (motion == "inbound")).sum(), "opportunities",
            t("the simulator's opportunities from inbound leads",
              "シミュレーターの、インバウンドのリードから生まれた商談"))
    order = {"MA": 0, "SFA": 1, "CS": 2, "SSOT": 3, "truth": 4}
    out = pd.DataFrame(rows)
    out["_q"] = out["question"].map({q: i for i, q in enumerate(dict.fromkeys(out["question"]))})
    out["_s"] = out["source"].map(order)
    return out.sort_values(["_q", "_s"]).drop(columns=["_q", "_s"]).reset_index(drop=True)


def _lead_features(silos: Silos, ssot: SSOT) -> pd.DataFrame:
    """One row per SFA lead: what SFA alone knows, and what joining MA and CS adds."""
    leads = silos.sfa["leads"]
    out = pd.DataFrame({"record_id": leads["Id"].astype(object),
                        "created": parse_dates(leads["CreatedDate"]),
                        "source": leads["LeadSource"].fillna("(empty)").astype(object),
                        "has_email": leads["Email"].notna().astype(float),
                        "opportunity": leads["ConvertedOpportunityId"].astype(object)})
    won = dict(zip(silos.sfa["opportunities"]["Id"], silos.sfa["opportunities"]["IsWon"],
                   strict=True))
    out["opportunity"] = out["opportunity"].where(out["opportunity"].notna(), None)
    out["won"] = out["opportunity"].map(won).fillna(False).astype(bool)
    # the person behind each record, and their MA records
    person = ssot.sql("SELECT system, \"table\", record_id, entity_key FROM links "
                      "WHERE entity = 'person'")
    sfa_person = person[(person["system"] == "sfa") & (person["table"] == "leads")]
    out["person"] = out["record_id"].map(dict(zip(sfa_person["record_id"],
                                                  sfa_person["entity_key"], strict=True)))
    ma_person = person[(person["system"] == "ma") & (person["table"] == "contacts")]
    ma_person = dict(zip(ma_person["record_id"], ma_person["entity_key"], strict=True))
    contacts = silos.ma["contacts"]
    scores = pd.DataFrame({"person": contacts["Record ID"].astype("str").map(ma_person),
                           "score": contacts["HubSpot Score"]}).dropna(subset=["person"])
    out["ma_score"] = out["person"].map(scores.groupby("person")["score"].max())
    touches = silos.ma["touches"]
    t = pd.DataFrame({"person": touches["Contact Record ID"].astype("str").map(ma_person),
                      "when": parse_dates(touches["Timestamp"]),
                      "form": touches["Touch Type"].isin(["Form submission",
                                                          "Webinar attended"])})
    t = t.dropna(subset=["person"]).merge(out[["record_id", "person", "created"]], on="person")
    recent = (t["when"] <= t["created"]) & (t["when"] > t["created"] - pd.Timedelta(days=60))
    t = t[recent]
    out["touches_60d"] = out["record_id"].map(t.groupby("record_id").size()).fillna(0)
    out["forms_60d"] = out["record_id"].map(t.groupby("record_id")["form"].sum()).fillna(0)
    # the company: size, and whether it already pays (CS)
    people = ssot.sql("SELECT person_key, account_key FROM people")
    out["account"] = out["person"].map(dict(zip(people["person_key"], people["account_key"],
                                                strict=True)))
    accounts = ssot.sql("SELECT account_key, employees FROM accounts")
    out["log_employees"] = np.log1p(out["account"].map(
        dict(zip(accounts["account_key"], accounts["employees"], strict=True))).astype(float))
    links = _account_links(ssot)
    cs_key = links[links["system"] == "cs"]
    subs = silos.cs["subscriptions"]
    s = pd.DataFrame({"account": subs["customer_id"].map(dict(zip(cs_key["record_id"],
                                                                  cs_key["account_key"],
                                                                  strict=True))),
                      "start": parse_dates(subs["start_date"])}).dropna(subset=["account"])
    first_start = s.groupby("account")["start"].min()
    out["is_customer"] = (out["account"].map(first_start) <= out["created"]).astype(float)
    # a later record of a person already in the queue: the joined team skips it
    ordered = out.sort_values(["created", "record_id"])
    repeat = ordered["person"].notna() & ordered["person"].duplicated()
    out["repeat"] = repeat.reindex(out.index)
    return out


def prioritise_leads(silos: Silos, ssot: SSOT, *, capacities: Iterable[float] = (0.1, 0.2, 0.3,
                                                                                   0.5),
                     hours_per_lead: float = 1.0, test_months: int = 12,
                     maturity_days: int = 90) -> pd.DataFrame:
    """What joined data buys inside sales: the same hours spent on better-chosen leads.

    The queue is every SFA lead created in the ``test_months`` before the last
    ``maturity_days`` (so that their outcome is known). With capacity for a
    share of them, three teams choose whom to work:

    * ``first_come``: SFA alone, in order of arrival (the unjoined default);
    * ``sfa_only``: a model scoring what SFA alone knows (lead source, e-mail);
    * ``joined``: a model that also knows, through the SSOT, the person's MA
      score and recent campaign touches, the company's size, whether it is
      already a customer (CS), and skips a second record of the same person.

    Both models are logistic regressions learnt on the leads created before
    the queue (their outcome: an opportunity). A chosen lead yields what it
    yielded in the history (an offline evaluation: the simulator worked every
    lead, so its outcome does not depend on the order).

    Returns
    -------
    DataFrame
        One row per capacity and team: ``capacity``, ``strategy``,
        ``leads_worked``, ``rep_hours``, ``opportunities``, ``wins``,
        ``opportunities_per_rep_hour``, ``wins_per_rep_hour``,
        ``lift_vs_first_come`` (opportunities per hour), and
        ``first_come_hours_to_match`` (rep-hours the first-come team needs to
        book as many opportunities).

    Examples
    --------
    >>> from revopslab.config import CompanyConfig
    >>> from revopslab.simulate import simulate_company
    >>> from revopslab.silos import export_silos
    >>> company = simulate_company(CompanyConfig(months=24, scale=0.2), rng=3)
    >>> silos = export_silos(company, rng=1)
    >>> with build_ssot(silos, matcher="rules") as ssot:
    ...     table = prioritise_leads(silos, ssot, capacities=(0.2,))
    >>> table["strategy"].tolist()
    ['first_come', 'sfa_only', 'joined']
    """
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    capacities = [float(c) for c in capacities]
    bad = [c for c in capacities if not 0 < c <= 1]
    if bad or not capacities:
        raise ValueError(f"capacities must be shares of the queue in (0, 1], got {capacities}")
    if not hours_per_lead > 0:
        raise ValueError(f"hours_per_lead must be > 0, got {hours_per_lead!r}")
    features = _lead_features(silos, ssot)
    end = silos.as_of - pd.Timedelta(days=maturity_days)
    start = end - pd.DateOffset(months=test_months)
    train = features[features["created"] < start]
    test = features[(features["created"] >= start) & (features["created"] < end)]
    if len(test) == 0 or len(train) == 0 or train["opportunity"].notna().nunique() < 2:
        raise ValueError("prioritise_leads needs SFA leads with known outcomes before and in "
                         f"the test window {start.date()}–{end.date()}; got {len(train)} "
                         f"earlier and {len(test)} in the window")
    sources = sorted(features["source"].unique())

    def matrix(frame: pd.DataFrame, joined: bool) -> np.ndarray:
        cols = [(frame["source"] == s).astype(float) for s in sources] + [frame["has_email"]]
        if joined:
            cols += [frame["ma_score"].fillna(-1.0), frame["ma_score"].isna().astype(float),
                     frame["touches_60d"], frame["forms_60d"],
                     frame["log_employees"].fillna(frame["log_employees"].median()),
                     frame["is_customer"]]
        return np.column_stack([np.asarray(c, dtype=float) for c in cols])

    y = train["opportunity"].notna().to_numpy()
    order = {"first_come": test.sort_values(["created", "record_id"]).index}
    for name, joined in (("sfa_only", False), ("joined", True)):
        model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000))
        model.fit(matrix(train, joined), y)
        score = pd.Series(model.predict_proba(matrix(test, joined))[:, 1], index=test.index)
        if joined:  # a second record of a person already queued goes to the back
            score = score - test["repeat"].astype(float) * 10.0
        ranked = pd.DataFrame({"score": score, "created": test["created"],
                               "id": test["record_id"]})
        order[name] = ranked.sort_values(["score", "created", "id"],
                                         ascending=[False, True, True]).index
    got_opp = test["opportunity"].notna()
    first_come_cum = got_opp.loc[order["first_come"]].cumsum().to_numpy()
    rows = []
    for capacity in capacities:
        k = max(1, int(round(capacity * len(test))))
        base_rate = None
        for name in ("first_come", "sfa_only", "joined"):
            chosen = test.loc[order[name][:k]]
            opps = int(chosen["opportunity"].dropna().nunique())
            wins = int(chosen.loc[chosen["won"], "opportunity"].nunique())
            hours = k * hours_per_lead
            rate = opps / hours
            base_rate = rate if base_rate is None else base_rate
            reach = np.searchsorted(first_come_cum, opps) + 1
            rows.append({"capacity": capacity, "strategy": name, "leads_worked": k,
                         "rep_hours": hours, "opportunities": opps, "wins": wins,
                         "opportunities_per_rep_hour": rate, "wins_per_rep_hour": wins / hours,
                         "lift_vs_first_come": rate / base_rate if base_rate else float("nan"),
                         "first_come_hours_to_match": (float(reach * hours_per_lead)
                                                       if reach <= len(test) else float("nan"))})
    return pd.DataFrame(rows)
