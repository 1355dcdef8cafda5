"""The three departmental exports (MA, SFA, CS platform) of one company, each in its own way."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from types import MappingProxyType

import numpy as np
import pandas as pd

from .simulate import Company, seed_sequence

__all__ = [
    "Silos",
    "export_silos",
    "SYSTEMS",
    "SYSTEMS_JA",
    "SILO_TABLES",
    "ID_COLUMNS",
    "ENTITY_TABLES",
    "TRUTH_COLUMNS",
    "MARKETING_SOURCES",
    "LEAD_SOURCE_LABELS",
    "INDUSTRY_LABELS",
    "PREFECTURE_ROMAJI",
    "noise_rates",
    "salesforce_id",
]

#: The three systems, each the "source of truth" of its own department.
SYSTEMS: Mapping[str, str] = MappingProxyType({
    "ma": "marketing automation (HubSpot-like): companies, contacts, campaign touches",
    "sfa": "sales force automation / CRM (Salesforce-like): leads, accounts, contacts, "
           "opportunities",
    "cs": "customer-success platform: customers, subscriptions, tickets, usage, NPS",
})

#: :data:`SYSTEMS` in Japanese, for the Japanese edition's tables.
SYSTEMS_JA: Mapping[str, str] = MappingProxyType({
    "ma": "マーケティングオートメーション（HubSpot型）：企業、コンタクト、キャンペーン接点",
    "sfa": "SFA／CRM（Salesforce型）：リード、取引先、取引先責任者、商談",
    "cs": "カスタマーサクセスプラットフォーム：顧客、サブスクリプション、問い合わせ、利用状況、NPS",
})

#: Every table each system exports, in order.
SILO_TABLES: Mapping[str, tuple[str, ...]] = MappingProxyType({
    "ma": ("companies", "contacts", "touches"),
    "sfa": ("accounts", "leads", "contacts", "opportunities"),
    "cs": ("customers", "subscriptions", "tickets", "usage", "nps"),
})

#: The record identifier of every exported table (each system has its own scheme:
#: HubSpot's numeric record IDs, Salesforce's 18-character IDs, the CS tool's own codes).
ID_COLUMNS: Mapping[tuple[str, str], str] = MappingProxyType({
    ("ma", "companies"): "Record ID",
    ("ma", "contacts"): "Record ID",
    ("ma", "touches"): "Event ID",
    ("sfa", "accounts"): "Id",
    ("sfa", "leads"): "Id",
    ("sfa", "contacts"): "Id",
    ("sfa", "opportunities"): "Id",
    ("cs", "customers"): "customer_id",
    ("cs", "subscriptions"): "subscription_id",
    ("cs", "tickets"): "ticket_id",
    ("cs", "usage"): "id",
    ("cs", "nps"): "response_id",
})

#: The tables whose records stand for an entity to resolve: a company (account)
#: or a person. Every other table hangs off one of these through its system's own key.
ENTITY_TABLES: Mapping[str, tuple[tuple[str, str], ...]] = MappingProxyType({
    "account": (("ma", "companies"), ("sfa", "accounts"), ("cs", "customers")),
    "person": (("ma", "contacts"), ("sfa", "leads"), ("sfa", "contacts")),
})

#: Columns of :attr:`Silos.truth`: which company account and which person (lead) each
#: exported record really belongs to. Kept apart from the exports, for evaluation only.
TRUTH_COLUMNS: tuple[str, ...] = ("system", "table", "record_id", "account_id", "lead_id")

#: Channels whose leads marketing generated (inbound).
MARKETING_SOURCES: tuple[str, ...] = ("web", "ads", "events", "referral", "product")

#: How each system writes the lead source (channel) of a record.
LEAD_SOURCE_LABELS: Mapping[str, Mapping[str, str]] = MappingProxyType({
    "ma": MappingProxyType({
        "web": "ORGANIC_SEARCH", "ads": "PAID_SEARCH", "events": "OFFLINE",
        "referral": "REFERRALS", "product": "DIRECT_TRAFFIC",
    }),
    "sfa": MappingProxyType({
        "web": "Web", "ads": "広告", "events": "展示会", "referral": "紹介",
        "product": "製品サインアップ", "teleprospecting": "テレアポ",
        "field_prospecting": "営業開拓",
    }),
})

#: How each system writes the industry of an account (the CS platform has no such field).
INDUSTRY_LABELS: Mapping[str, Mapping[str, str]] = MappingProxyType({
    "ma": MappingProxyType({
        "manufacturing": "MACHINERY", "it_services": "INFORMATION_TECHNOLOGY_AND_SERVICES",
        "retail": "RETAIL", "finance": "FINANCIAL_SERVICES", "healthcare": "HOSPITAL_HEALTH_CARE",
        "logistics": "LOGISTICS_AND_SUPPLY_CHAIN", "construction": "CONSTRUCTION",
        "education": "EDUCATION_MANAGEMENT", "media": "MEDIA_PRODUCTION",
        "professional_services": "MANAGEMENT_CONSULTING",
    }),
    "sfa": MappingProxyType({
        "manufacturing": "製造", "it_services": "情報通信", "retail": "小売",
        "finance": "金融・保険", "healthcare": "医療・福祉", "logistics": "運輸・物流",
        "construction": "建設", "education": "教育", "media": "メディア",
        "professional_services": "専門サービス",
    }),
})

#: Romanised prefecture names, as the CS platform (an English-language tool) writes them.
PREFECTURE_ROMAJI: Mapping[str, str] = MappingProxyType({
    "東京都": "Tokyo", "大阪府": "Osaka", "神奈川県": "Kanagawa", "愛知県": "Aichi",
    "福岡県": "Fukuoka", "北海道": "Hokkaido", "埼玉県": "Saitama", "千葉県": "Chiba",
    "兵庫県": "Hyogo", "京都府": "Kyoto", "広島県": "Hiroshima", "宮城県": "Miyagi",
})

# Each system's own date habit: HubSpot exports ISO, Salesforce in a Japanese locale
# writes 2025/03/01, the (American) CS tool writes 03/01/2025.
_DATE_FORMATS = {"iso": "%Y-%m-%d", "ja": "%Y/%m/%d", "us": "%m/%d/%Y"}
_HOME_FORMAT = {"ma": "iso", "sfa": "ja", "cs": "us"}

_LIFECYCLE = ("subscriber", "lead", "marketingqualifiedlead", "salesqualifiedlead",
              "opportunity", "customer")
_LEAD_STATUS = ("Open - Not Contacted", "Working - Contacted", "Closed - Converted",
                "Closed - Not Converted")
_SFA_STAGE = {"discovery": "Qualification", "demo": "Needs Analysis",
              "proposal": "Proposal/Price Quote", "negotiation": "Negotiation/Review",
              "closed_won": "Closed Won", "closed_lost": "Closed Lost"}
_TOUCH_TYPES = ("Email open", "Email click", "Page view", "Form submission",
                "Webinar attended", "Event visit")
_FREE_MAIL = ("gmail.com", "yahoo.co.jp", "outlook.jp", "icloud.com")

# Streams of randomness, one per exported table; the order is fixed forever.
_STREAMS = ("ma_companies", "ma_contacts", "ma_touches", "sfa_accounts", "sfa_leads",
            "sfa_contacts", "sfa_opportunities", "cs_customers", "cs_children", "ids")


def noise_rates(noise: float) -> dict[str, float]:
    """Per-record probabilities of each kind of data-quality problem at a ``noise`` level.

    Cosmetic problems (another legal-form spelling, width, spacing, case) grow
    fastest; damaging ones (typos, duplicates, missing fields, stale emails)
    more slowly. Every rate is 0 at ``noise=0`` and capped below 1.

    Examples
    --------
    >>> rates = noise_rates(0.1)
    >>> rates["name_style"], rates["name_typo"], rates["duplicate"]
    (0.3, 0.1, 0.05)
    >>> set(noise_rates(0.0).values())
    {0.0}
    """
    p = _check_noise(noise)
    table = {  # (rate per unit of noise, cap)
        "name_style": (3.0, 0.9),      # legal form written another way, width, spaces
        "name_typo": (1.0, 0.5),       # one character wrong, missing or doubled
        "english_name": (0.3, 0.3),    # romanised name ("Smart Bussan Co., Ltd.")
        "duplicate": (0.5, 0.5),       # the same entity entered twice in one system
        "missing": (1.5, 0.8),         # optional field left empty (domain, region …)
        "domain_style": (2.0, 0.9),    # "https://www.x.co.jp/" instead of "x.co.jp"
        "wrong_region": (0.5, 0.5),    # branch office's prefecture instead of the head office's
        "wrong_industry": (0.5, 0.5),  # another industry picked from the list
        "email_style": (2.0, 0.9),     # upper case letters in an address
        "email_typo": (0.2, 0.3),      # one character of the address wrong
        "stale_email": (0.3, 0.3),     # address at the person's previous employer
        "free_mail": (0.3, 0.3),       # a private address (gmail …)
        "person_style": (3.0, 0.9),    # full name in one field, variant kanji, spacing
        "romaji_name": (0.3, 0.3),     # name typed in Latin letters
        "date_style": (1.0, 0.5),      # a record imported with another system's date format
        "sync_miss": (3.0, 0.9),       # a status change the system never heard of
    }
    return {name: round(min(cap, rate * p), 6) for name, (rate, cap) in table.items()}


def _check_noise(noise) -> float:
    if isinstance(noise, bool) or not isinstance(noise, (int, float, np.floating)) or not (
            0 <= noise <= 1):
        raise ValueError(f"noise must be a number from 0 to 1, got {noise!r}")
    return float(noise)


# ------------------------------------------------------------------------ identifiers
_B62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
_SF_SUFFIX = "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345"


def salesforce_id(id15: str) -> str:
    """The 18-character, case-insensitive form of a 15-character Salesforce ID.

    Each 5-character chunk adds one suffix character whose bits mark the
    chunk's upper-case letters (Salesforce's own checksum).

    Examples
    --------
    >>> salesforce_id("0015g00000AbCdE")
    '0015g00000AbCdEAAV'
    """
    if not isinstance(id15, str) or len(id15) != 15:
        raise ValueError(f"id15 must be a 15-character string, got {id15!r}")
    suffix = ""
    for start in (0, 5, 10):
        bits = sum(1 << j for j, ch in enumerate(id15[start:start + 5]) if "A" <= ch <= "Z")
        suffix += _SF_SUFFIX[bits]
    return id15 + suffix


def _sf_ids(prefix: str, count: int, rng: np.random.Generator) -> np.ndarray:
    """``count`` increasing 18-character Salesforce IDs of one object (``001`` = Account …)."""
    numbers = int(rng.integers(62**4, 62**5)) + np.cumsum(rng.integers(1, 40, size=count))
    out = np.empty(count, dtype=object)
    for i, n in enumerate(numbers.tolist()):
        body = ""
        for _ in range(6):
            n, r = divmod(n, 62)
            body = _B62[r] + body
        out[i] = salesforce_id(f"{prefix}5g0000{body}")
    return out


def _hubspot_ids(count: int, rng: np.random.Generator) -> np.ndarray:
    start = int(rng.integers(10**9, 3 * 10**9))
    return start + np.cumsum(rng.integers(1, 60, size=count)).astype(np.int64)


# ------------------------------------------------------------------ text variations
def _halfwidth_table() -> dict[str, str]:
    table: dict[str, str] = {}
    half = [chr(cp) for cp in range(0xFF61, 0xFFA0)]
    for h in half:
        full = unicodedata.normalize("NFKC", h)
        if len(full) == 1 and full != h:
            table.setdefault(full, h)
    for h in half:
        for mark in ("\uff9e", "\uff9f"):
            full = unicodedata.normalize("NFKC", h + mark)
            if len(full) == 1:
                table.setdefault(full, h + mark)
    return table


_HALFWIDTH = _halfwidth_table()
_CONFUSABLE = {
    "ソ": "ン", "ン": "ソ", "シ": "ツ", "ツ": "シ", "ー": "一", "ハ": "バ", "バ": "ハ",
    "ヘ": "ベ", "ベ": "ヘ", "カ": "ガ", "ガ": "カ", "ク": "グ", "グ": "ク", "ト": "ド",
    "ド": "ト", "テ": "デ", "デ": "テ", "ス": "ズ", "ズ": "ス", "エ": "工", "工": "エ",
    "ロ": "口", "口": "ロ", "タ": "夕", "ニ": "二", "二": "ニ", "ッ": "ツ",
    "ャ": "ヤ", "ュ": "ユ", "ョ": "ヨ", "ィ": "イ", "ォ": "オ", "リ": "り",
}
_ITAIJI = {"高": "髙", "崎": "﨑", "辺": "邊", "斎": "齋", "沢": "澤", "浜": "濱"}
_LEGAL = re.compile(r"^(株式会社|合同会社)(.+)$|^(.+?)(株式会社|合同会社)$")
_LEGAL_STYLES = {
    "株式会社": ("(株)", "（株）", "㈱", "株式会社"),
    "合同会社": ("(同)", "（同）", "合同会社"),
}
_ENGLISH_FORM = {"株式会社": (" Co., Ltd.", " Inc.", " K.K.", " Corporation"),
                 "合同会社": (" LLC", " G.K.")}


def _split_legal(name: str) -> tuple[str, str, str]:
    """(legal form, "prefix"/"suffix", core) of a canonical company name."""
    m = _LEGAL.match(name)
    if m is None:
        return "", "", name
    if m.group(1):
        return m.group(1), "prefix", m.group(2)
    return m.group(4), "suffix", m.group(3)


def _to_halfwidth(text: str) -> str:
    return "".join(_HALFWIDTH.get(ch, ch) for ch in text)


def _to_fullwidth_ascii(text: str) -> str:
    return "".join(chr(ord(ch) + 0xFEE0) if "!" <= ch <= "~" else ch for ch in text)


def _typo(text: str, u: np.ndarray) -> str:
    """One plausible typing error in ``text`` (four uniforms ``u`` choose it)."""
    if len(text) < 3:
        return text + text[-1:]
    kind = int(u[0] * 4)
    spots = [i for i, ch in enumerate(text) if ch in _CONFUSABLE]
    if kind == 0 and spots:
        i = spots[int(u[1] * len(spots))]
        return text[:i] + _CONFUSABLE[text[i]] + text[i + 1:]
    i = 1 + int(u[1] * (len(text) - 2))  # never the first character
    if kind <= 1:
        return text[:i] + text[i + 1:]  # a character dropped
    if kind == 2:
        return text[:i] + text[i + 1] + text[i] + text[i + 2:] if i + 1 < len(text) else (
            text[:i] + text[i] + text[i:])
    return text[:i] + text[i] + text[i:]  # a character doubled


def _english_name(domain: str, form: str, u: float) -> str:
    stem = domain.split(".")[0]
    words = [w.capitalize() for w in re.split(r"[-]", stem) if w]
    words = [re.sub(r"(\D)(\d+)$", r"\1 \2", w) for w in words]
    choices = _ENGLISH_FORM.get(form, (" Co., Ltd.",))
    return " ".join(words) + choices[int(u * len(choices))]


def _company_name(name: str, domain: str, u: np.ndarray, rates: dict[str, float], *,
                  english: bool = True) -> str:
    """How one person or system writes a company's name (eight uniforms ``u``)."""
    form, position, core = _split_legal(name)
    if english and u[0] < rates["english_name"]:
        return _english_name(domain, form, u[1])
    if u[2] < rates["name_typo"]:
        core = _typo(core, u[3:7])
    if u[7] >= rates["name_style"]:
        return form + core if position == "prefix" else core + form
    style = int(u[1] * 6)
    forms = _LEGAL_STYLES.get(form, (form,))
    written = forms[int(u[3] * len(forms))] if form else ""
    if style == 0:  # the legal form left out
        return core
    if style == 1:  # a space between the name and its legal form
        gap = " " if u[4] < 0.5 else "\u3000"
        return written + gap + core if position == "prefix" else core + gap + written
    if style == 2:  # half-width katakana, the habit of old systems
        core = _to_halfwidth(core)
    elif style == 3:  # full-width Latin letters and digits
        core = _to_fullwidth_ascii(core)
    elif style == 4:  # the legal form on the other side
        position = "suffix" if position == "prefix" else "prefix"
    return written + core if position == "prefix" else core + written


def _domain_style(domain: str, u: float) -> str:
    kind = int(u * 4)
    return ("www." + domain, "https://www." + domain + "/", "http://" + domain,
            domain.upper())[kind]


def _email(local: str, domain: str, u: np.ndarray, rates: dict[str, float],
           other_domain: str) -> tuple[str, str]:
    """An address as a system holds it, and what kind of address it is."""
    kind = "current"
    if u[0] < rates["stale_email"]:
        domain, kind = other_domain, "stale"
    elif u[0] < rates["stale_email"] + rates["free_mail"]:
        local = re.sub(r"\d+$", "", local) + str(int(u[1] * 90) + 10)
        domain, kind = _FREE_MAIL[int(u[2] * len(_FREE_MAIL))], "free"
    if u[3] < rates["email_typo"]:
        local = _typo(local, u[4:8])
    address = f"{local}@{domain}"
    if u[8] < rates["email_style"]:
        address = address[:1].upper() + address[1:] if u[9] < 0.5 else address.upper()
    return address, kind


def _person_name(name: str, local: str, u: np.ndarray, rates: dict[str, float]
                 ) -> tuple[str | None, str]:
    """(first/given, last/family) name fields as a person or a rep typed them."""
    family, _, given = name.partition(" ")
    if u[0] < rates["romaji_name"]:
        parts = re.sub(r"\d+$", "", local).split(".")
        if len(parts) == 2:
            return parts[0].capitalize(), parts[1].capitalize()
    if u[1] < rates["person_style"]:
        kind = int(u[2] * 3)
        if kind == 0:  # everything in the last-name field
            return None, family + ("\u3000" if u[3] < 0.5 else " ") + given
        if kind == 1:  # a variant kanji of the same character
            family = "".join(_ITAIJI.get(ch, ch) for ch in family)
        else:  # stray spaces
            family, given = family + " ", " " + given
    return given, family


def _dates(values: pd.Series, system: str, u: np.ndarray, rates: dict[str, float], *,
           time: bool = True) -> pd.Series:
    """Timestamps written as text in the system's habit; some records in another format."""
    values = pd.to_datetime(pd.Series(values).reset_index(drop=True))
    home = _HOME_FORMAT[system]
    others = [k for k in _DATE_FORMATS if k != home]
    out = pd.Series(np.full(len(values), None, dtype=object))
    rate = rates["date_style"]
    # below the rate, u / rate is again uniform: it picks one of the two other formats
    fmt_index = np.where(u < rate, 1 + (u / max(rate, 1e-12) >= 0.5), 0)
    formats = [home, *others]
    for i, key in enumerate(formats):
        mask = (fmt_index == i) & values.notna().to_numpy()
        if mask.any():
            fmt = _DATE_FORMATS[key] + (" %H:%M" if time else "")
            out[mask] = values[mask].dt.strftime(fmt).to_numpy()
    return out.astype("str")


def _objects(df: pd.DataFrame) -> pd.DataFrame:
    """A copy whose text columns hold Python objects (fast to loop over)."""
    out = df.copy()
    for column in out.columns:
        if pd.api.types.is_string_dtype(out[column]) and out[column].dtype != object:
            out[column] = out[column].astype(object)
    return out


def _aslist(values) -> list:
    return values.tolist() if hasattr(values, "tolist") else list(values)


# ----------------------------------------------------------------------------- result
@dataclass(frozen=True, repr=False)
class Silos:
    """What each department's own system exports about the same company.

    ``ma``, ``sfa`` and ``cs`` map table names (see :data:`SILO_TABLES`) to
    DataFrames in the system's own layout: its IDs, field names, spellings,
    date format, gaps and duplicates. ``truth`` says which company account
    (and, for people, which lead) every exported record really is: it is for
    evaluating a matcher and must never be one of its inputs.
    """

    ma: Mapping[str, pd.DataFrame]
    sfa: Mapping[str, pd.DataFrame]
    cs: Mapping[str, pd.DataFrame]
    truth: pd.DataFrame
    noise: float
    as_of: pd.Timestamp
    seed: int | None

    def tables(self) -> Iterator[tuple[str, str, pd.DataFrame]]:
        """Every exported table as ``(system, table, frame)``, in :data:`SILO_TABLES` order."""
        for system, names in SILO_TABLES.items():
            for name in names:
                yield system, name, getattr(self, system)[name]

    def table(self, system: str, name: str) -> pd.DataFrame:
        """One exported table, e.g. ``silos.table("sfa", "accounts")``."""
        if system not in SILO_TABLES or name not in SILO_TABLES[system]:
            raise KeyError(f"(system, table) must be one of "
                           f"{[(s, t) for s, ts in SILO_TABLES.items() for t in ts]}, "
                           f"got {(system, name)!r}")
        return getattr(self, system)[name]

    def sizes(self) -> pd.DataFrame:
        """Rows and columns of every exported table."""
        return pd.DataFrame([(s, t, len(df), df.shape[1]) for s, t, df in self.tables()],
                            columns=["system", "table", "rows", "columns"])

    def __repr__(self) -> str:
        sizes = "; ".join(f"{s}.{t}={len(df):,}" for s, t, df in self.tables())
        return f"Silos(noise={self.noise}, seed={self.seed}, as_of={self.as_of.date()}; {sizes})"


# ---------------------------------------------------------------------------- exporter
def export_silos(company: Company, *, rng: int | np.random.Generator | np.random.SeedSequence
                 | None = None, noise: float | None = None) -> Silos:
    """Export the company as its marketing, sales and CS systems would, each in its own way.

    * **MA** (marketing automation, HubSpot-like): ``companies`` created from
      the e-mail domains of inbound contacts (plus manual duplicates),
      ``contacts`` (one per inbound lead: name as typed, e-mail, company name
      as typed, lifecycle stage, score) and ``touches`` (campaign touches).
    * **SFA** (Salesforce-like): ``leads`` (inbound leads marketing passed on,
      teleprospecting and field-prospecting targets), ``accounts`` and
      ``contacts`` created when a lead converted, ``opportunities``; 18-character
      IDs, Japanese picklists, dates as ``2025/03/01``.
    * **CS platform**: ``customers``, ``subscriptions``, ``tickets``, ``usage``
      and ``nps`` with its own codes, romanised prefectures and US dates.

    At ``noise=0`` the systems differ only in structure (IDs, field names,
    picklists, date formats). As ``noise`` grows, so do the problems of real
    exports (:func:`noise_rates`): legal-form variants (株式会社 / (株) / ㈱ /
    Co., Ltd.), half- and full-width characters, spacing, typos, duplicates,
    missing fields, stale and private e-mail addresses, mixed date formats and
    status changes a system never heard of.

    Parameters
    ----------
    company
        A simulated company (left untouched).
    rng
        Seed of the noise: an int, a ``numpy.random.Generator`` or a
        ``SeedSequence``; ``None`` uses the company's own seed.
    noise
        Data-quality noise from 0 to 1; ``None`` uses ``company.config.data_noise``.

    Returns
    -------
    Silos
        The exports and, apart, the ground truth of every record.

    Examples
    --------
    >>> from revopslab.config import CompanyConfig
    >>> from revopslab.simulate import simulate_company
    >>> company = simulate_company(CompanyConfig(months=12, scale=0.1), rng=3)
    >>> silos = export_silos(company, rng=1, noise=0.2)
    >>> list(silos.sfa)
    ['accounts', 'leads', 'contacts', 'opportunities']
    >>> silos.sfa["accounts"]["Id"].str.len().unique().tolist()
    [18]
    >>> len(silos.truth) == sum(len(df) for _, _, df in silos.tables())
    True
    """
    if not isinstance(company, Company):
        raise TypeError(f"company must be a revopslab Company, got {type(company).__name__}")
    p = _check_noise(company.config.data_noise if noise is None else noise)
    root, seed = seed_sequence(company.seed if rng is None else rng)
    streams = dict(zip(_STREAMS, root.spawn(len(_STREAMS)), strict=True))
    return _Exporter(company, p, streams, seed).run()


class _Exporter:
    """Builds the three exports from one company (private)."""

    def __init__(self, company: Company, noise: float, streams: dict, seed: int | None):
        self.c = company
        self.p = noise
        self.rates = noise_rates(noise)
        self.streams = streams
        self.seed = seed
        self.truth: list[pd.DataFrame] = []
        self._generators: dict[str, np.random.Generator] = {}
        acc = _objects(company.accounts)
        self.name = dict(zip(acc["account_id"], acc["account_name"], strict=True))
        self.domain = dict(zip(acc["account_id"], acc["domain"], strict=True))
        self.domain_to_account = dict(zip(acc["domain"], acc["account_id"], strict=True))
        self.pref = dict(zip(acc["account_id"], acc["prefecture"], strict=True))
        self.industry = dict(zip(acc["account_id"], acc["industry"], strict=True))
        self.employees = dict(zip(acc["account_id"], acc["employees"], strict=True))
        self.all_domains = acc["domain"].to_numpy()
        self.leads = _objects(company.leads.sort_values(["inquiry_at", "lead_id"])
                              .reset_index(drop=True))
        self.opportunities = _objects(company.opportunities)
        self.won_accounts = set(company.opportunities.loc[company.opportunities["is_won"],
                                                          "account_id"])

    def rng(self, name: str) -> np.random.Generator:
        """The one generator of a stream (made once, then drawn from in a fixed order)."""
        if name not in self._generators:
            self._generators[name] = np.random.default_rng(self.streams[name])
        return self._generators[name]

    def id_rng(self, system: str, table: str) -> np.random.Generator:
        """A generator of one table's record IDs, addressed by the table (not by call order)."""
        seq = self.streams["ids"]
        key = list(ID_COLUMNS).index((system, table))
        return np.random.default_rng(
            np.random.SeedSequence(seq.entropy, spawn_key=seq.spawn_key + (key,)))

    def _truth(self, system: str, table: str, record_ids, account_ids, lead_ids=None):
        n = len(record_ids)
        self.truth.append(pd.DataFrame({
            "system": system, "table": table,
            "record_id": pd.Series(record_ids).astype("str").to_numpy(),
            "account_id": pd.Series(account_ids).astype("str").to_numpy(),
            "lead_id": (pd.Series(lead_ids).astype("str").to_numpy() if lead_ids is not None
                        else np.full(n, None, dtype=object)),
        }))

    def _names(self, account_ids, rng, *, english: bool = True) -> list[str]:
        account_ids = _aslist(account_ids)
        u = rng.random((len(account_ids), 8))
        return [_company_name(self.name[a], self.domain[a], u[i], self.rates, english=english)
                for i, a in enumerate(account_ids)]

    def _region(self, account_ids, rng, *, style: str = "kanji") -> list[str | None]:
        account_ids = _aslist(account_ids)
        u = rng.random((len(account_ids), 3))
        prefs = list(PREFECTURE_ROMAJI)
        out: list[str | None] = []
        for i, a in enumerate(account_ids):
            pref = self.pref[a]
            if u[i, 0] < self.rates["missing"]:
                out.append(None)
                continue
            if u[i, 1] < self.rates["wrong_region"]:
                pref = prefs[int(u[i, 2] * len(prefs))]
            if style == "romaji":
                out.append(PREFECTURE_ROMAJI[pref])
            elif style == "typed" and u[i, 2] < self.rates["name_style"] and pref != "北海道":
                out.append(pref[:-1])  # "東京" for "東京都"
            else:
                out.append(pref)
        return out

    def _maybe_missing(self, values, rng) -> list:
        u = rng.random(len(values))
        return [None if u[i] < self.rates["missing"] else v for i, v in enumerate(values)]

    def _industries(self, account_ids, system: str, rng) -> list[str | None]:
        """The industry picklist value a person chose (sometimes another one)."""
        labels = INDUSTRY_LABELS[system]
        keys = list(labels)
        u = rng.random((len(account_ids), 2))
        chosen = [keys[int(u[i, 1] * len(keys))] if u[i, 0] < self.rates["wrong_industry"]
                  else self.industry[a] for i, a in enumerate(_aslist(account_ids))]
        return self._maybe_missing([labels[k] for k in chosen], rng)

    # ------------------------------------------------------------------ MA
    def _ma(self) -> dict[str, pd.DataFrame]:
        r = self.rates
        inbound = self.leads[self.leads["motion"] == "inbound"].reset_index(drop=True)
        rng = self.rng("ma_contacts")
        n = len(inbound)
        u = rng.random((n, 10))
        other = self.all_domains[rng.integers(0, len(self.all_domains), size=n)]
        local = inbound["email"].str.split("@").str[0].tolist()
        home = [self.domain[a] for a in inbound["account_id"].tolist()]
        emails, assoc_domain = [], []
        for i in range(n):
            address, kind = _email(local[i], home[i], u[i], r, other[i])
            emails.append(address)
            assoc_domain.append(None if kind == "free" else
                                (other[i] if kind == "stale" else home[i]))
        # Duplicated contacts: the same person registered again, with another address.
        dup = rng.random(n) < r["duplicate"]
        du = rng.random((n, 10))
        dup_rows = np.flatnonzero(dup)
        for i in dup_rows:  # half with a private address, half the same one typed again
            style = {**r, "stale_email": 0.0, "free_mail": 1.0 if du[i, 0] < 0.5 else 0.0,
                     "email_typo": 0.0, "email_style": 1.0}
            address, kind = _email(local[i], home[i], du[i], style, other[i])
            emails.append(address)
            assoc_domain.append(None if kind == "free" else home[i])
        rows = np.r_[np.arange(n), dup_rows]
        contacts = inbound.iloc[rows].reset_index(drop=True)
        m = len(contacts)
        delay = np.r_[np.zeros(n), rng.uniform(5, 200, size=len(dup_rows))]
        created = contacts["inquiry_at"] + pd.to_timedelta(delay, unit="D")
        created = created.where(created < self.c.as_of, contacts["inquiry_at"])

        # Companies: HubSpot creates one per e-mail domain, named from its own database.
        crng = self.rng("ma_companies")
        domains = pd.Series(assoc_domain, dtype=object)
        first = (pd.DataFrame({"domain": domains, "created": created})
                 .dropna(subset=["domain"]).groupby("domain", sort=True)["created"].min())
        comp_accounts = [self.domain_to_account[d] for d in first.index]
        k = len(first)
        comp_names = self._names(comp_accounts, crng, english=False)
        comp_domains = list(first.index)
        comp_created = first.to_numpy()
        # Manual duplicates: someone typed the company in again, often without a domain.
        is_dup = crng.random(k) < r["duplicate"]
        dup_idx = np.flatnonzero(is_dup)
        dup_accounts = [comp_accounts[i] for i in dup_idx]
        dup_names = self._names(dup_accounts, crng)
        du2 = crng.random((len(dup_idx), 2))
        dup_domains = [None if du2[j, 0] < 0.6 else _domain_style(comp_domains[i], du2[j, 1])
                       for j, i in enumerate(dup_idx)]
        dup_created = [comp_created[i] + np.timedelta64(int(du2[j, 1] * 90 * 86400), "s")
                       for j, i in enumerate(dup_idx)]
        all_accounts = comp_accounts + dup_accounts
        ids = _hubspot_ids(len(all_accounts), self.id_rng("ma", "companies"))
        companies = pd.DataFrame({
            "Record ID": ids,
            "Company name": comp_names + dup_names,
            "Company Domain Name": pd.Series(comp_domains + dup_domains, dtype="str"),
            "Industry": self._industries(all_accounts, "ma", crng),
            "Number of Employees": pd.array(self._maybe_missing(
                [int(self.employees[a]) for a in all_accounts], crng), dtype="Int64"),
            "State/Region": self._region(all_accounts, crng, style="typed"),
            "Create Date": _dates(pd.Series(list(comp_created) + dup_created),
                                  "ma", crng.random(len(all_accounts)), r),
        })
        # Contacts are associated with the company of their domain; some with its duplicate.
        primary = dict(zip(comp_domains, ids[:k], strict=True))
        dup_of = {comp_domains[i]: ids[k + j] for j, i in enumerate(dup_idx)}
        au = rng.random(m)
        assoc = [None if d is None else (dup_of[d] if d in dup_of and au[i] < 0.5
                                         else primary[d]) for i, d in enumerate(assoc_domain)]
        order = np.argsort(created.to_numpy(), kind="stable")
        contacts = contacts.iloc[order].reset_index(drop=True)
        emails = [emails[i] for i in order]
        assoc = [assoc[i] for i in order]
        created = created.iloc[order].reset_index(drop=True)
        pu = rng.random((m, 4))
        names = [_person_name(nm, e.split("@")[0], pu[i], r) for i, (nm, e) in
                 enumerate(zip(contacts["contact_name"].tolist(), contacts["email"].tolist(),
                               strict=True))]
        stage = self._lifecycle(contacts, rng)
        contact_ids = _hubspot_ids(m, self.id_rng("ma", "contacts"))
        ma_contacts = pd.DataFrame({
            "Record ID": contact_ids,
            "First Name": pd.Series([g for g, _ in names], dtype="str"),
            "Last Name": [f for _, f in names],
            "Email": emails,
            "Company Name": self._maybe_missing(self._names(contacts["account_id"], rng), rng),
            "State/Region": self._region(contacts["account_id"], rng, style="typed"),
            "Associated Company ID": pd.array(assoc, dtype="Int64"),
            "Lifecycle Stage": stage,
            "Original Source": contacts["channel"].map(LEAD_SOURCE_LABELS["ma"]).to_numpy(),
            "HubSpot Score": contacts["lead_score"].to_numpy(),
            "Create Date": _dates(created, "ma", rng.random(m), r),
        })
        touches = self._touches(contacts, contact_ids, created)
        self._truth("ma", "companies", ids, all_accounts)
        self._truth("ma", "contacts", contact_ids, contacts["account_id"], contacts["lead_id"])
        return {"companies": companies, "contacts": ma_contacts, "touches": touches}

    def _lifecycle(self, contacts: pd.DataFrame, rng: np.random.Generator) -> np.ndarray:
        """HubSpot's lifecycle stage: synced from the CRM, never moved backwards."""
        furthest = contacts["furthest_stage"]
        level = np.select(
            [furthest.isin(["aql", "tal", "tql"]), furthest.isin(["sal", "sgl", "sql"]),
             furthest.eq("opportunity")], [2, 3, 4], default=1)
        level = np.where(contacts["routed_to_account"], np.maximum(level, 4), level)
        customer = contacts["account_id"].isin(self.won_accounts).to_numpy()
        level = np.where(customer & (level >= 2), 5, level)  # the company-level sync
        missed = rng.random(len(level)) < self.rates["sync_miss"]
        level = np.where(missed & (level >= 3), 2, level)
        return np.array(_LIFECYCLE, dtype=object)[level]

    def _touches(self, contacts, contact_ids, created) -> pd.DataFrame:
        """Campaign touches: more of them for the leads that scored higher."""
        rng = self.rng("ma_touches")
        score = contacts["lead_score"].to_numpy() / 100.0
        counts = rng.poisson(0.5 + 7.0 * score**2)
        owner = np.repeat(np.arange(len(contacts)), counts)
        offset = rng.uniform(-45, 20, size=len(owner))
        when = created.to_numpy()[owner] + (offset * 86400).astype("timedelta64[s]")
        keep = when < np.datetime64(self.c.as_of)
        owner, when = owner[keep], when[keep]
        kind = rng.integers(0, len(_TOUCH_TYPES), size=len(owner))
        order = np.lexsort((owner, when))
        owner, when, kind = owner[order], when[order], kind[order]
        months = pd.Series(when).dt.strftime("%Y-%m").to_numpy()
        ttype = np.array(_TOUCH_TYPES, dtype=object)[kind]
        event_ids = _hubspot_ids(len(owner), self.id_rng("ma", "touches"))
        touches = pd.DataFrame({
            "Event ID": event_ids,
            "Contact Record ID": contact_ids[owner],
            "Campaign": months + " " + np.where(np.isin(kind, [4, 5]), "Webinar/Event",
                                                "Newsletter"),
            "Touch Type": ttype,
            "Timestamp": pd.Series(when).dt.strftime("%Y-%m-%d %H:%M").to_numpy(),
        })
        self._truth("ma", "touches", event_ids, contacts["account_id"].to_numpy()[owner],
                    contacts["lead_id"].to_numpy()[owner])
        return touches

    # ------------------------------------------------------------------ SFA
    def _sfa(self) -> dict[str, pd.DataFrame]:
        r = self.rates
        L = self.leads
        in_sfa = (L["motion"] != "inbound") | L["aql_at"].notna()
        leads = L[in_sfa].copy()
        leads["created"] = leads["aql_at"].where(leads["motion"] == "inbound",
                                                 leads["inquiry_at"])
        opps = self.opportunities
        opp_of_lead = dict(zip(opps["lead_id"], opps["opportunity_id"], strict=True))

        # Accounts: created when the first lead of the company converted (SQL).
        arng = self.rng("sfa_accounts")
        converted = leads[leads["sql_at"].notna()]
        first = converted.groupby("account_id")["sql_at"].min().sort_values(kind="stable")
        acc_accounts = list(first.index)
        n_acc = len(acc_accounts)
        dup = arng.random(n_acc) < r["duplicate"]
        dup_idx = np.flatnonzero(dup)
        all_accounts = acc_accounts + [acc_accounts[i] for i in dup_idx]
        acc_created = list(first.to_numpy()) + [
            first.iloc[i] + pd.Timedelta(days=float(d))
            for i, d in zip(dup_idx, arng.uniform(10, 300, size=len(dup_idx)), strict=True)]
        acc_created = [min(t, self.c.as_of - pd.Timedelta(minutes=1)) for t in acc_created]
        acc_ids = _sf_ids("001", len(all_accounts), self.id_rng("sfa", "accounts"))
        website_u = arng.random((len(all_accounts), 3))
        websites = []
        for i, a in enumerate(all_accounts):
            missing = self.rates["missing"] if i < n_acc else max(0.5, self.rates["missing"])
            if website_u[i, 0] < missing:
                websites.append(None)
            elif website_u[i, 1] < r["domain_style"]:
                websites.append(_domain_style(self.domain[a], website_u[i, 2]))
            else:
                websites.append(self.domain[a])
        # Type: Customer once a deal is won; reset on churn only when someone remembers.
        churned = self._churned_accounts()
        type_u = arng.random(len(all_accounts))
        types = []
        for i, a in enumerate(all_accounts):
            if a not in self.won_accounts:
                types.append("Prospect")
            elif a in churned and type_u[i] >= r["sync_miss"]:
                types.append("Former Customer")
            else:
                types.append("Customer")
        rep_ids = self.c.reps["rep_id"].tolist()
        user_ids = dict(zip(rep_ids, _sf_ids("005", len(rep_ids), self.rng("sfa_accounts")),
                            strict=True))
        accounts = pd.DataFrame({
            "Id": acc_ids,
            "Name": self._names(all_accounts, arng),
            "Website": pd.Series(websites, dtype="str"),
            "BillingState": self._region(all_accounts, arng),
            "Industry": self._industries(all_accounts, "sfa", arng),
            "NumberOfEmployees": pd.array(self._maybe_missing(
                [int(self.employees[a]) for a in all_accounts], arng), dtype="Int64"),
            "Type": types,
            "CreatedDate": _dates(pd.Series(acc_created), "sfa", arng.random(len(all_accounts)),
                                  r),
        })
        self._truth("sfa", "accounts", acc_ids, all_accounts)
        primary = dict(zip(acc_accounts, acc_ids[:n_acc], strict=True))
        dup_of = {acc_accounts[i]: acc_ids[n_acc + j] for j, i in enumerate(dup_idx)}
        dup_since = {acc_accounts[i]: acc_created[n_acc + j] for j, i in enumerate(dup_idx)}

        def account_of(account_id, when, u):
            if account_id in dup_of and when >= dup_since[account_id] and u < 0.5:
                return dup_of[account_id]
            return primary[account_id]

        # Opportunities.
        orng = self.rng("sfa_opportunities")
        o = opps.sort_values(["created_at", "opportunity_id"]).reset_index(drop=True)
        opp_ids = _sf_ids("006", len(o), self.id_rng("sfa", "opportunities"))
        sf_opp = dict(zip(o["opportunity_id"], opp_ids, strict=True))
        ou = orng.random((len(o), 2))
        lead_channel = dict(zip(L["lead_id"], L["channel"], strict=True))
        close = o["closed_at"].where(o["is_closed"], o["expected_close_date"])
        opp_account = [account_of(a, t, ou[i, 0]) for i, (a, t) in
                       enumerate(zip(o["account_id"], o["created_at"], strict=True))]
        sources = [None if ou[i, 1] < r["missing"] else
                   LEAD_SOURCE_LABELS["sfa"][lead_channel[lid]]
                   for i, lid in enumerate(o["lead_id"])]
        names = [f"{self.name[a]} - {'新規' if t == 'new_business' else '再契約'}"
                 for a, t in zip(o["account_id"], o["opportunity_type"], strict=True)]
        opportunities = pd.DataFrame({
            "Id": opp_ids,
            "AccountId": opp_account,
            "Name": names,
            "StageName": o["stage"].map(_SFA_STAGE).to_numpy(),
            "Amount": o["amount"].to_numpy(),
            "Probability": (o["rep_probability"] * 100).round().astype("int64").to_numpy(),
            "CloseDate": _dates(close, "sfa", orng.random(len(o)), r, time=False),
            "CreatedDate": _dates(o["created_at"], "sfa", orng.random(len(o)), r),
            "LeadSource": pd.Series(sources, dtype="str"),
            "Type": np.where(o["opportunity_type"] == "new_business", "New Business",
                             "Win Back"),
            "OwnerId": o["owner_rep_id"].map(user_ids).to_numpy(),
            "IsClosed": o["is_closed"].to_numpy(),
            "IsWon": o["is_won"].to_numpy(),
        })
        self._truth("sfa", "opportunities", opp_ids, o["account_id"], o["lead_id"])

        # Contacts: one per converted lead, under the account (or its duplicate).
        crng = self.rng("sfa_contacts")
        conv = converted.sort_values(["sql_at", "lead_id"]).reset_index(drop=True)
        cu = crng.random((len(conv), 10))
        au = crng.random(len(conv))
        other = self.all_domains[crng.integers(0, len(self.all_domains), size=len(conv))]
        contact_ids = _sf_ids("003", len(conv), self.id_rng("sfa", "contacts"))
        contact_account = [account_of(a, t, au[i]) for i, (a, t) in
                           enumerate(zip(conv["account_id"], conv["sql_at"], strict=True))]
        nu = crng.random((len(conv), 4))
        cnames = [_person_name(n, e.split("@")[0], nu[i], r) for i, (n, e) in
                  enumerate(zip(conv["contact_name"], conv["email"], strict=True))]
        cmail = [_email(e.split("@")[0], self.domain[a], cu[i], {**r, "stale_email": 0.0},
                        other[i])[0]
                 for i, (e, a) in enumerate(zip(conv["email"], conv["account_id"], strict=True))]
        contacts = pd.DataFrame({
            "Id": contact_ids,
            "AccountId": contact_account,
            "LastName": [f for _, f in cnames],
            "FirstName": pd.Series([g for g, _ in cnames], dtype="str"),
            "Email": self._maybe_missing(cmail, crng),
            "LeadSource": conv["channel"].map(LEAD_SOURCE_LABELS["sfa"]).to_numpy(),
            "CreatedDate": _dates(conv["sql_at"], "sfa", crng.random(len(conv)), r),
        })
        self._truth("sfa", "contacts", contact_ids, conv["account_id"], conv["lead_id"])
        contact_of_lead = dict(zip(conv["lead_id"], contact_ids, strict=True))
        account_of_contact = dict(zip(contact_ids, contact_account, strict=True))

        # Leads: the queue of inside sales; some imported twice.
        lrng = self.rng("sfa_leads")
        leads = leads.sort_values(["created", "lead_id"]).reset_index(drop=True)
        nl = len(leads)
        dup = lrng.random(nl) < r["duplicate"]
        rows = np.r_[np.arange(nl), np.flatnonzero(dup)]
        is_copy = np.r_[np.zeros(nl, bool), np.ones(dup.sum(), bool)]
        ld = leads.iloc[rows].reset_index(drop=True)
        created = ld["created"] + pd.to_timedelta(
            np.where(is_copy, lrng.uniform(1, 60, size=len(ld)), 0.0), unit="D")
        created = created.where(created < self.c.as_of, ld["created"])
        order = np.argsort(created.to_numpy(), kind="stable")
        ld, created, is_copy = (ld.iloc[order].reset_index(drop=True),
                                created.iloc[order].reset_index(drop=True), is_copy[order])
        n2 = len(ld)
        lu = lrng.random((n2, 14))
        other = self.all_domains[lrng.integers(0, len(self.all_domains), size=n2)]
        lead_ids = _sf_ids("00Q", n2, self.id_rng("sfa", "leads"))
        lnames = [_person_name(n, e.split("@")[0], lu[i, :4], r) for i, (n, e) in
                  enumerate(zip(ld["contact_name"], ld["email"], strict=True))]
        lmail = [_email(e.split("@")[0], self.domain[a], lu[i, 4:14], r, other[i])[0]
                 for i, (e, a) in enumerate(zip(ld["email"], ld["account_id"], strict=True))]
        converted_flag = ld["sql_at"].notna().to_numpy() & ~is_copy
        worked = ld["tal_at"].notna() | ld["tgl_at"].notna() | ld["sgl_at"].notna() | ld[
            "sal_at"].notna()
        closed = (ld["inquiry_at"] < self.c.as_of - pd.Timedelta(days=90)).to_numpy()
        status = np.select([converted_flag, worked.to_numpy() & ~closed, closed],
                           [_LEAD_STATUS[2], _LEAD_STATUS[1], _LEAD_STATUS[3]],
                           default=_LEAD_STATUS[0])
        conv_contact = [contact_of_lead.get(lid) if converted_flag[i] else None
                        for i, lid in enumerate(ld["lead_id"])]
        sfa_leads = pd.DataFrame({
            "Id": lead_ids,
            "LastName": [f for _, f in lnames],
            "FirstName": pd.Series([g for g, _ in lnames], dtype="str"),
            "Company": self._names(ld["account_id"], lrng),
            "Email": self._maybe_missing(lmail, lrng),
            "State": self._region(ld["account_id"], lrng),
            "LeadSource": ld["channel"].map(LEAD_SOURCE_LABELS["sfa"]).to_numpy(),
            "Status": status,
            "IsConverted": converted_flag,
            "ConvertedContactId": pd.Series(conv_contact, dtype="str"),
            "ConvertedAccountId": pd.Series([account_of_contact.get(cid) for cid in
                                             conv_contact], dtype="str"),
            "ConvertedOpportunityId": pd.Series(
                [sf_opp.get(opp_of_lead.get(lid)) if converted_flag[i] else None
                 for i, lid in enumerate(ld["lead_id"])], dtype="str"),
            "CreatedDate": _dates(created, "sfa", lrng.random(n2), r),
        })
        self._truth("sfa", "leads", lead_ids, ld["account_id"], ld["lead_id"])
        return {"accounts": accounts, "leads": sfa_leads, "contacts": contacts,
                "opportunities": opportunities}

    def _churned_accounts(self) -> set[str]:
        mrr = self.c.mrr
        if len(mrr) == 0:
            return set()
        last = mrr["month"].max()
        paying_now = set(mrr.loc[(mrr["month"] == last) & (mrr["mrr"] > 0), "account_id"])
        return set(mrr["account_id"]) - paying_now

    # ------------------------------------------------------------------ CS
    def _cs(self) -> dict[str, pd.DataFrame]:
        r = self.rates
        subs = _objects(self.c.subscriptions).sort_values(["start_month", "subscription_id"])
        rng = self.rng("cs_customers")
        first = subs.groupby("account_id")["start_month"].min().sort_values(kind="stable")
        accounts = list(first.index)
        n = len(accounts)
        dup = rng.random(n) < r["duplicate"]
        dup_idx = np.flatnonzero(dup)
        all_accounts = accounts + [accounts[i] for i in dup_idx]
        codes = self.id_rng("cs", "customers").choice(np.arange(10000, 99999),
                                                      size=len(all_accounts), replace=False)
        cust_ids = np.array([f"CUS-{c}" for c in codes], dtype=object)
        primary = dict(zip(accounts, cust_ids[:n], strict=True))
        dup_of = {accounts[i]: cust_ids[n + j] for j, i in enumerate(dup_idx)}

        # Subscriptions: add-ons sold later often landed on a duplicate customer record.
        srng = self.rng("cs_children")
        s = subs.reset_index(drop=True)
        su = srng.random(len(s))
        s_customer = [dup_of[a] if a in dup_of and (p != "core" or su[i] < 0.3)
                      else primary[a] for i, (a, p) in
                      enumerate(zip(s["account_id"], s["product"], strict=True))]
        # a duplicate that received nothing still holds the core contract's copy
        held = set(s_customer)
        for a, cid in dup_of.items():
            if cid not in held:
                core = np.flatnonzero((s["account_id"] == a).to_numpy())
                s_customer[core[-1]] = cid
        last_mrr = (self.c.mrr.sort_values("month").groupby("subscription_id")["mrr"].last())
        sub_codes = self.id_rng("cs", "subscriptions").choice(np.arange(100000, 999999),
                                                              size=len(s), replace=False)
        sub_ids = np.array([f"SUB-{c}" for c in sub_codes], dtype=object)
        subscriptions = pd.DataFrame({
            "subscription_id": sub_ids,
            "customer_id": s_customer,
            "product": s["product"].str.capitalize().to_numpy(),
            "start_date": _dates(s["start_month"], "cs", srng.random(len(s)), r, time=False),
            "end_date": _dates(s["end_month"], "cs", srng.random(len(s)), r, time=False),
            "status": np.where(s["end_month"].isna(), "active", "cancelled"),
            "mrr_jpy": s["subscription_id"].map(last_mrr).fillna(0.0).to_numpy(),
        })
        self._truth("cs", "subscriptions", sub_ids, s["account_id"])

        sub_frame = pd.DataFrame({"customer_id": s_customer, "start": s["start_month"],
                                  "end": s["end_month"]})
        status = sub_frame.groupby("customer_id").agg(start=("start", "min"),
                                                      active=("end", lambda e: e.isna().any()),
                                                      end=("end", "max"))
        cust_status = status.reindex(cust_ids)
        owners = self.c.reps.loc[self.c.reps["team"] == "customer_success", "rep_name"]
        owners = owners.to_numpy() if len(owners) else np.array(["(unassigned)"], dtype=object)
        du = rng.random((len(all_accounts), 3))
        domains = []
        for i, a in enumerate(all_accounts):
            if du[i, 0] < min(0.9, 2 * r["missing"]):  # CS tools rarely ask for a domain
                domains.append(None)
            elif du[i, 1] < r["domain_style"]:
                domains.append(_domain_style(self.domain[a], du[i, 2]))
            else:
                domains.append(self.domain[a])
        names = self._names(all_accounts, rng)
        honorific = rng.random(len(all_accounts)) < r["name_style"] / 2
        customers = pd.DataFrame({
            "customer_id": cust_ids,
            "company": [nm + (" 様" if h else "") for nm, h in zip(names, honorific,
                                                                   strict=True)],
            "domain": pd.Series(domains, dtype="str"),
            "prefecture": self._region(all_accounts, rng, style="romaji"),
            "csm": owners[rng.integers(0, len(owners), size=len(all_accounts))],
            "onboarded_on": _dates(cust_status["start"], "cs", rng.random(len(all_accounts)), r,
                                   time=False),
            "status": np.where(cust_status["active"].fillna(False).astype(bool), "active",
                               "churned"),
            "churned_on": _dates(cust_status["end"].where(~cust_status["active"]
                                                          .fillna(False).astype(bool)),
                                 "cs", rng.random(len(all_accounts)), r, time=False),
        })
        self._truth("cs", "customers", cust_ids, all_accounts)

        # Tickets, usage and NPS hang off the customer record CS opened them under.
        t = _objects(self.c.tickets).sort_values(["opened_at", "ticket_id"]).reset_index(drop=True)
        tu = srng.random(len(t))
        t_customer = [dup_of[a] if a in dup_of and tu[i] < 0.3 else primary[a]
                      for i, a in enumerate(t["account_id"])]
        ticket_ids = 1001 + np.arange(len(t), dtype=np.int64)
        tickets = pd.DataFrame({
            "ticket_id": ticket_ids,
            "customer_id": t_customer,
            "created": _dates(t["opened_at"], "cs", srng.random(len(t)), r),
            "category": t["category"].to_numpy(),
            "priority": t["priority"].str.capitalize().to_numpy(),
            "resolution_hours": t["resolution_hours"].to_numpy(),
            "csat": t["csat"].array,
        })
        self._truth("cs", "tickets", ticket_ids, t["account_id"])
        us = self.c.usage.sort_values(["month", "account_id"]).reset_index(drop=True)
        usage_ids = 1 + np.arange(len(us), dtype=np.int64)
        usage = pd.DataFrame({
            "id": usage_ids,
            "customer_id": us["account_id"].map(primary).to_numpy(),
            "month": us["month"].dt.strftime("%Y-%m").to_numpy(),
            "seats": us["seats"].to_numpy(),
            "active_users": us["active_users"].to_numpy(),
            "logins": us["logins"].to_numpy(),
            "health_score": us["health_score"].to_numpy(),
        })
        self._truth("cs", "usage", usage_ids, us["account_id"])
        nps = (_objects(self.c.nps_responses).sort_values(["surveyed_at", "response_id"])
               .reset_index(drop=True))
        nu = srng.random(len(nps))
        draws = self.id_rng("cs", "nps").integers(0, 62, size=(len(nps), 15))
        resp = np.array(["R_" + "".join(_B62[int(x)] for x in row) for row in draws],
                        dtype=object)
        nps_out = pd.DataFrame({
            "response_id": resp,
            "customer_id": [dup_of[a] if a in dup_of and nu[i] < 0.3 else primary[a]
                            for i, a in enumerate(nps["account_id"])],
            "submitted": _dates(nps["surveyed_at"], "cs", srng.random(len(nps)), r, time=False),
            "score": nps["score"].to_numpy(),
        })
        self._truth("cs", "nps", resp, nps["account_id"])
        return {"customers": customers, "subscriptions": subscriptions, "tickets": tickets,
                "usage": usage, "nps": nps_out}

    def run(self) -> Silos:
        ma = self._ma()
        sfa = self._sfa()
        cs = self._cs()
        truth = pd.concat(self.truth, ignore_index=True)
        for column in ("system", "table", "record_id", "account_id", "lead_id"):
            truth[column] = truth[column].astype("str")
        order = {(s, t): i for i, (s, t) in enumerate(ID_COLUMNS)}
        truth["_order"] = [order[key] for key in zip(truth["system"].tolist(),
                                                      truth["table"].tolist(), strict=True)]
        truth = truth.sort_values("_order", kind="stable").drop(columns="_order")
        return Silos(ma=MappingProxyType(ma), sfa=MappingProxyType(sfa), cs=MappingProxyType(cs),
                     truth=truth.reset_index(drop=True), noise=self.p, as_of=self.c.as_of,
                     seed=self.seed)
