"""House chart theme: colour-blind-safe colours, bilingual labels and yen formatting."""

from __future__ import annotations

import difflib
import math
import numbers
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

from matplotlib.ticker import FuncFormatter

from ._lang import get_lang, language, set_lang, text
from .vocabulary import LANGUAGES

__all__ = [
    "LANGS",
    "OKABE_ITO",
    "DEPARTMENT_COLORS",
    "STAGE_PALETTE",
    "SEGMENT_COLORS",
    "JAPANESE_FONT",
    "LABELS",
    "set_theme",
    "get_lang",
    "language",
    "text",
    "label",
    "format_yen",
    "yen_formatter",
]

#: Languages the theme and the labels support (the course's languages).
LANGS: tuple[str, ...] = LANGUAGES

#: The Okabe–Ito palette (Okabe & Ito 2008), distinguishable under the common
#: colour-vision deficiencies; yellow and black come last as they suit lines poorly.
OKABE_ITO: tuple[str, ...] = (
    "#0072B2",  # blue
    "#E69F00",  # orange
    "#009E73",  # bluish green
    "#D55E00",  # vermillion
    "#CC79A7",  # reddish purple
    "#56B4E9",  # sky blue
    "#F0E442",  # yellow
    "#000000",  # black
)

#: One Okabe–Ito colour per department; a plain dict so seaborn accepts it as ``palette``.
DEPARTMENT_COLORS: dict[str, str] = {
    "marketing": "#E69F00",
    "inside_sales": "#56B4E9",
    "sales": "#0072B2",
    "customer_success": "#009E73",
    "revops": "#CC79A7",
    "finance": "#D55E00",
}

#: Waterfall stages light → dark blue in funnel order, then won (green) and lost (grey).
STAGE_PALETTE: dict[str, str] = {
    "inquiry": "#B4D3E9",
    "aql": "#9AC8E0",
    "tal": "#7AB6D9",
    "tql": "#5FA6D1",
    "tgl": "#4594C7",
    "sal": "#3080BD",
    "sgl": "#1D6CB1",
    "sql": "#0E58A2",
    "opportunity": "#084488",
    "won": "#009E73",
    "lost": "#999999",
}

#: One colour per customer segment (keys as in ``revopslab.config.SEGMENTS``).
SEGMENT_COLORS: dict[str, str] = {
    "SMB": "#56B4E9",
    "MM": "#0072B2",
    "ENT": "#CC79A7",
}

#: Family name of the Japanese font bundled with ``matplotlib-fontja``.
JAPANESE_FONT = "IPAexGothic"
_LATIN_FONT = "DejaVu Sans"

_RC: dict[str, Any] = {
    "figure.figsize": (8.0, 4.5),
    "figure.facecolor": "white",
    "axes.facecolor": "white",
    "axes.edgecolor": "#4D4D4D",
    "axes.linewidth": 0.8,
    "axes.grid": True,
    "axes.axisbelow": True,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.titlelocation": "left",
    "axes.titleweight": "normal",  # IPAexGothic has no bold face: bold would log font fallbacks
    "grid.color": "#E6E6E6",
    "grid.linewidth": 0.8,
    "legend.frameon": False,
    "axes.unicode_minus": True,
    "pdf.fonttype": 42,
    "ps.fonttype": 42,
    "savefig.bbox": "tight",
    "savefig.facecolor": "white",
}


def _check_lang(lang: Any) -> str:
    if lang not in LANGS:
        raise ValueError(f"lang must be one of {LANGS!r}; got {lang!r}")
    return lang


def _ensure_japanese_font() -> None:
    """Register the bundled IPAexGothic font with matplotlib once."""
    # Importing matplotlib_fontja registers the font (and sets font.family,
    # which set_theme overrides right after).
    import matplotlib_fontja
    from matplotlib import font_manager

    if not any(f.name == JAPANESE_FONT for f in font_manager.fontManager.ttflist):
        font_manager.fontManager.addfont(matplotlib_fontja.get_font_ttf_path())


def set_theme(*, lang: str = "en") -> None:
    """Apply the house chart theme to matplotlib and seaborn.

    White background, light grid, no top or right spines, left-aligned bold
    titles, the Okabe–Ito colour cycle and seaborn's ``notebook`` sizes. The
    bundled IPAexGothic font is registered in both languages: for ``"ja"`` it
    is the primary font, for ``"en"`` DejaVu Sans is primary and IPAexGothic
    only fills in glyphs DejaVu Sans lacks, so Japanese text never renders as
    empty boxes. Safe to call any number of times; it only changes rcParams.

    Parameters
    ----------
    lang
        ``"en"`` or ``"ja"``: the language the charts' text is written in. It is also
        bound as the notebook's language (:func:`get_lang`): ``exercises.check``,
        ``claims.describe`` and :func:`text` speak it when not told otherwise.

    Raises
    ------
    ValueError
        If ``lang`` is not ``"en"`` or ``"ja"``.

    Examples
    --------
    >>> import matplotlib as mpl
    >>> with mpl.rc_context(), language("en"):  # both restored on exit
    ...     set_theme(lang="ja")
    ...     mpl.rcParams["font.family"][0], mpl.rcParams["axes.spines.top"], get_lang()
    ('IPAexGothic', False, 'ja')
    >>> set_theme(lang="fr")
    Traceback (most recent call last):
    ...
    ValueError: lang must be one of ('en', 'ja'); got 'fr'
    """
    import seaborn as sns

    _check_lang(lang)
    set_lang(lang)
    _ensure_japanese_font()
    fonts = [JAPANESE_FONT, _LATIN_FONT] if lang == "ja" else [_LATIN_FONT, JAPANESE_FONT]
    sns.set_theme(
        context="notebook",
        style="whitegrid",
        palette=list(OKABE_ITO),
        font="sans-serif",
        color_codes=False,
        rc={**_RC, "font.family": fonts},
    )


def _labels(**rows: tuple[str, str]) -> Mapping[str, Mapping[str, str]]:
    return MappingProxyType(
        {key: MappingProxyType({"en": en, "ja": ja}) for key, (en, ja) in rows.items()}
    )


#: Bilingual UI labels: ``LABELS[key][lang]``. Keys are lower case with underscores.
LABELS: Mapping[str, Mapping[str, str]] = _labels(
    # demand-waterfall stages and outcomes
    inquiry=("Inquiry", "問い合わせ"),
    aql=("AQL", "AQL"),
    tal=("TAL", "TAL"),
    tql=("TQL", "TQL"),
    tgl=("TGL", "TGL"),
    sal=("SAL", "SAL"),
    sgl=("SGL", "SGL"),
    sql=("SQL", "SQL"),
    opportunity=("Opportunity", "商談"),
    won=("Won", "受注"),
    lost=("Lost", "失注"),
    # departments
    marketing=("Marketing", "マーケティング"),
    inside_sales=("Inside sales", "インサイドセールス"),
    sales=("Sales", "営業"),
    customer_success=("Customer success", "カスタマーサクセス"),
    revops=("RevOps", "RevOps"),
    finance=("Finance", "経理・財務"),
    # segments
    smb=("SMB", "中小企業"),
    mm=("MM", "中堅企業"),
    ent=("ENT", "大企業"),
    # operating models
    siloed=("Siloed", "サイロ型"),
    aligned=("Aligned", "連携型"),
    # lead channels
    web=("Web", "Webサイト"),
    ads=("Ads", "広告"),
    events=("Events", "イベント"),
    referral=("Referral", "紹介"),
    product=("Product", "プロダクト"),
    teleprospecting=("Teleprospecting", "テレプロスペクティング"),
    field_prospecting=("Field prospecting", "フィールド開拓"),
    # common axis labels
    month=("Month", "月"),
    date=("Date", "日付"),
    days=("Days", "日数"),
    mrr=("MRR", "MRR（月次経常収益）"),
    arr=("ARR", "ARR（年次経常収益）"),
    revenue=("Revenue", "売上"),
    bookings=("Bookings", "受注額"),
    pipeline=("Pipeline", "パイプライン"),
    customers=("Customers", "顧客数"),
    leads=("Leads", "リード数"),
    count=("Count", "件数"),
    share=("Share", "割合"),
    conversion_rate=("Conversion rate", "転換率"),
    win_rate=("Win rate", "受注率"),
    churn_rate=("Churn rate", "解約率"),
    stage=("Stage", "ステージ"),
    department=("Department", "部門"),
    segment=("Segment", "セグメント"),
    channel=("Channel", "チャネル"),
    amount_yen=("Amount (¥)", "金額（円）"),
)


def label(key: str, *, lang: str = "en") -> str:
    """Look up a bilingual UI label.

    Keys are matched case-insensitively, with spaces and hyphens read as
    underscores, so ``"SMB"``, ``"customer success"`` and ``"customer_success"``
    all work. See ``LABELS`` for every key.

    Parameters
    ----------
    key
        A stage (``"inquiry"`` … ``"opportunity"``, ``"won"``, ``"lost"``), a
        department, a segment, an operating model, a channel or an axis label
        such as ``"month"``, ``"mrr"`` or ``"conversion_rate"``.
    lang
        ``"en"`` or ``"ja"``.

    Returns
    -------
    str
        The label in the requested language.

    Raises
    ------
    KeyError
        If ``key`` is unknown; the message suggests close matches.
    ValueError
        If ``lang`` is not ``"en"`` or ``"ja"``.

    Examples
    --------
    >>> label("customer_success")
    'Customer success'
    >>> label("customer_success", lang="ja")
    'カスタマーサクセス'
    >>> label("SMB", lang="ja")
    '中小企業'
    >>> label("custmer_sucess")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    KeyError: "label(): unknown key 'custmer_sucess'; did you mean 'customer_success'..."
    """
    _check_lang(lang)
    if not isinstance(key, str):
        raise TypeError(f"key must be a str; got {type(key).__name__} {key!r}")
    norm = key.strip().lower().replace(" ", "_").replace("-", "_")
    if norm not in LABELS:
        close = difflib.get_close_matches(norm, list(LABELS), n=3, cutoff=0.6)
        hint = (
            "did you mean " + " or ".join(repr(c) for c in close) + "?"
            if close
            else "no close match."
        )
        raise KeyError(
            f"label(): unknown key {key!r}; {hint} "
            f"revopslab.style.LABELS lists all {len(LABELS)} keys."
        )
    return LABELS[norm][lang]


_UNITS: Mapping[str, tuple[tuple[float, str], ...]] = MappingProxyType({
    "en": ((1e12, "T"), (1e9, "B"), (1e6, "M"), (1e3, "K")),
    "ja": ((1e12, "兆"), (1e8, "億"), (1e4, "万")),
})


def format_yen(value: float, *, lang: str = "en", decimals: int = 1) -> str:
    """Format a yen amount compactly.

    English uses ``¥`` and thousands-based suffixes K, M, B, T
    (``¥1.2M``); Japanese uses 万 (10⁴), 億 (10⁸) and 兆 (10¹²) with 円
    (``120万円``). Amounts below the first unit are written in full with
    thousands separators (``9,800円``). The scaled number is rounded to
    ``decimals`` places and trailing zeros are dropped; rounding up moves to
    the next unit (999,999 → ``¥1M``, not ``¥1,000K``). NaN and infinities give ``"—"``.

    Parameters
    ----------
    value
        Amount in yen (any real number, negative allowed).
    lang
        ``"en"`` or ``"ja"``.
    decimals
        Decimal places kept on the scaled number (0 or more).

    Returns
    -------
    str
        The formatted amount.

    Raises
    ------
    TypeError
        If ``value`` is not a real number.
    ValueError
        If ``lang`` or ``decimals`` is invalid.

    Examples
    --------
    >>> format_yen(1_200_000)
    '¥1.2M'
    >>> format_yen(1_200_000, lang="ja")
    '120万円'
    >>> format_yen(350_000_000, lang="ja")
    '3.5億円'
    >>> format_yen(-4_800)
    '-¥4.8K'
    >>> format_yen(9_800, lang="ja")
    '9,800円'
    >>> format_yen(999_999)
    '¥1M'
    """
    _check_lang(lang)
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"value must be a real number of yen; got {type(value).__name__} "
                        f"{value!r}")
    if isinstance(decimals, bool) or not isinstance(decimals, int) or decimals < 0:
        raise ValueError(f"decimals must be an int >= 0; got {decimals!r}")
    value = float(value)
    if not math.isfinite(value):
        return "—"
    sign = "-" if value < 0 else ""
    magnitude = abs(value)
    units = _UNITS[lang]
    for unit, suffix in units:
        scaled = round(magnitude / unit, decimals)
        # round up into a larger unit, but never turn a full amount into the smallest one
        if scaled >= 1 and (magnitude >= unit or unit != units[-1][0]):
            text = f"{scaled:,.{decimals}f}"
            if "." in text:
                text = text.rstrip("0").rstrip(".")
            return f"{sign}{text}{suffix}円" if lang == "ja" else f"{sign}¥{text}{suffix}"
    whole = f"{round(magnitude):,}"
    if whole == "0":
        sign = ""
    return f"{sign}{whole}円" if lang == "ja" else f"{sign}¥{whole}"


def yen_formatter(*, lang: str = "en", decimals: int = 1) -> FuncFormatter:
    """Return a matplotlib tick formatter that writes ticks with `format_yen`.

    Parameters
    ----------
    lang
        ``"en"`` or ``"ja"``.
    decimals
        Decimal places kept on the scaled number.

    Returns
    -------
    matplotlib.ticker.FuncFormatter
        Pass it to ``ax.yaxis.set_major_formatter``.

    Raises
    ------
    ValueError
        If ``lang`` or ``decimals`` is invalid.

    Examples
    --------
    >>> fmt = yen_formatter(lang="ja")
    >>> fmt(50_000_000, 0)
    '5,000万円'
    >>> yen_formatter()(2_500_000, 0)
    '¥2.5M'
    """
    _check_lang(lang)
    format_yen(0, lang=lang, decimals=decimals)  # validate decimals now, not at draw time
    return FuncFormatter(lambda x, _pos: format_yen(x, lang=lang, decimals=decimals))
