"""Vocabulary for the simulated company's Japanese account and person names."""

from __future__ import annotations

import numpy as np

__all__ = ["company_names", "person_names", "PREFECTURES", "INDUSTRIES"]

# (kanji/katakana, romaji) pairs; the romaji builds web domains and e-mail addresses.
_PLACES = [
    ("", ""), ("東京", "tokyo"), ("大阪", "osaka"), ("日本", "nihon"), ("新", "shin"),
    ("第一", "daiichi"), ("中央", "chuo"), ("北海", "hokkai"), ("九州", "kyushu"),
    ("名古屋", "nagoya"), ("横浜", "yokohama"), ("京都", "kyoto"), ("神戸", "kobe"),
    ("湘南", "shonan"), ("東洋", "toyo"), ("太平", "taihei"), ("富士", "fuji"),
    ("瀬戸", "seto"), ("信州", "shinshu"), ("大和", "yamato"), ("みらい", "mirai"),
    ("グローバル", "global"), ("ネクスト", "next"), ("アジア", "asia"), ("千葉", "chiba"),
    ("広島", "hiroshima"), ("仙台", "sendai"), ("札幌", "sapporo"), ("福岡", "fukuoka"),
    ("青葉", "aoba"),
]
_STEMS = [
    ("サクラ", "sakura"), ("アオイ", "aoi"), ("ヒカリ", "hikari"), ("ミドリ", "midori"),
    ("ツバサ", "tsubasa"), ("カエデ", "kaede"), ("アサヒ", "asahi"), ("ホシ", "hoshi"),
    ("ソラ", "sora"), ("ウミ", "umi"), ("ヤマト", "yamato"), ("ミナト", "minato"),
    ("コスモ", "cosmo"), ("アルファ", "alpha"), ("ベータ", "beta"), ("オメガ", "omega"),
    ("ノヴァ", "nova"), ("ルミナ", "lumina"), ("テラ", "terra"), ("アクア", "aqua"),
    ("フォレスト", "forest"), ("リーフ", "leaf"), ("ブリッジ", "bridge"), ("クレスト", "crest"),
    ("ハーモニー", "harmony"), ("ビジョン", "vision"), ("パイオニア", "pioneer"),
    ("スマート", "smart"), ("クラウド", "cloud"), ("データ", "data"), ("リンク", "link"),
    ("ウェーブ", "wave"), ("ピーク", "peak"), ("コア", "core"), ("エッジ", "edge"),
    ("ライト", "light"), ("ステラ", "stella"), ("オーシャン", "ocean"), ("ユニオン", "union"),
    ("フロンティア", "frontier"), ("シード", "seed"), ("ルート", "root"), ("ゲート", "gate"),
    ("プライム", "prime"), ("エコー", "echo"), ("マックス", "max"), ("ネオ", "neo"),
    ("ジェム", "gem"), ("ブルー", "blue"), ("グリーン", "green"),
]
_TRADES = [
    ("テック", "tech"), ("システムズ", "systems"), ("ソリューションズ", "solutions"),
    ("商事", "shoji"), ("工業", "kogyo"), ("製作所", "seisakusho"), ("物産", "bussan"),
    ("ラボ", "lab"), ("ネットワークス", "networks"), ("ロジスティクス", "logistics"),
    ("メディカル", "medical"), ("フーズ", "foods"), ("建設", "kensetsu"), ("不動産", "fudosan"),
    ("電機", "denki"), ("化学", "kagaku"), ("精機", "seiki"), ("通信", "tsushin"),
    ("コンサルティング", "consulting"), ("デザイン", "design"), ("パートナーズ", "partners"),
    ("ホールディングス", "holdings"), ("サービス", "service"), ("エナジー", "energy"),
    ("マテリアル", "material"), ("トラベル", "travel"), ("リテール", "retail"),
    ("ファイナンス", "finance"), ("エデュケーション", "education"), ("ワークス", "works"),
]
_FAMILY = [
    ("佐藤", "sato"), ("鈴木", "suzuki"), ("高橋", "takahashi"), ("田中", "tanaka"),
    ("伊藤", "ito"), ("渡辺", "watanabe"), ("山本", "yamamoto"), ("中村", "nakamura"),
    ("小林", "kobayashi"), ("加藤", "kato"), ("吉田", "yoshida"), ("山田", "yamada"),
    ("佐々木", "sasaki"), ("山口", "yamaguchi"), ("松本", "matsumoto"), ("井上", "inoue"),
    ("木村", "kimura"), ("林", "hayashi"), ("斎藤", "saito"), ("清水", "shimizu"),
    ("山崎", "yamazaki"), ("森", "mori"), ("池田", "ikeda"), ("橋本", "hashimoto"),
    ("阿部", "abe"), ("石川", "ishikawa"), ("山下", "yamashita"), ("中島", "nakajima"),
    ("石井", "ishii"), ("小川", "ogawa"), ("前田", "maeda"), ("岡田", "okada"),
    ("長谷川", "hasegawa"), ("藤田", "fujita"), ("後藤", "goto"), ("近藤", "kondo"),
    ("村上", "murakami"), ("遠藤", "endo"), ("青木", "aoki"), ("坂本", "sakamoto"),
]
_GIVEN = [
    ("翔太", "shota"), ("大輔", "daisuke"), ("健太", "kenta"), ("拓也", "takuya"),
    ("直樹", "naoki"), ("亮", "ryo"), ("誠", "makoto"), ("隆", "takashi"), ("浩", "hiroshi"),
    ("学", "manabu"), ("陽菜", "hina"), ("美咲", "misaki"), ("さくら", "sakura"),
    ("結衣", "yui"), ("愛", "ai"), ("彩", "aya"), ("真由美", "mayumi"), ("恵", "megumi"),
    ("由美", "yumi"), ("裕子", "yuko"), ("悠人", "yuto"), ("蓮", "ren"), ("葵", "aoi"),
    ("大翔", "hiroto"), ("陸", "riku"), ("結菜", "yuna"), ("美月", "mizuki"),
    ("千尋", "chihiro"), ("智子", "tomoko"), ("聡", "satoshi"),
]
_LEGAL_FORMS = [("株式会社", "prefix"), ("株式会社", "suffix"), ("合同会社", "suffix")]

PREFECTURES = (
    "東京都", "大阪府", "神奈川県", "愛知県", "福岡県", "北海道", "埼玉県", "千葉県",
    "兵庫県", "京都府", "広島県", "宮城県",
)
INDUSTRIES = (
    "manufacturing", "it_services", "retail", "finance", "healthcare", "logistics",
    "construction", "education", "media", "professional_services",
)


def company_names(count: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Return ``count`` distinct Japanese company names and their web domains.

    Names combine a place, a stem and a trade word with a legal form
    (株式会社 before or after the name, or 合同会社). Past the number of
    distinct combinations a branch number keeps names unique.
    """
    n_p, n_s, n_t = len(_PLACES), len(_STEMS), len(_TRADES)
    combos = n_p * n_s * n_t
    order = rng.permutation(combos)
    index = order[np.arange(count) % combos]
    branch = np.arange(count) // combos
    p, rest = np.divmod(index, n_s * n_t)
    s, t = np.divmod(rest, n_t)
    legal = rng.integers(0, len(_LEGAL_FORMS), size=count)
    kanji = [np.array([w[0] for w in words], dtype=object) for words in (_PLACES, _STEMS, _TRADES)]
    roman = [np.array([w[1] for w in words], dtype=object) for words in (_PLACES, _STEMS, _TRADES)]
    number = np.char.mod("%d", branch + 1).astype(object)
    core = kanji[0][p] + kanji[1][s] + kanji[2][t] + np.where(branch > 0, "第" + number, "")
    form = np.array([f for f, _ in _LEGAL_FORMS], dtype=object)[legal]
    prefix = np.array([pos == "prefix" for _, pos in _LEGAL_FORMS])[legal]
    names = np.where(prefix, form + core, core + form)
    stem = _join_nonempty(_join_nonempty(roman[0][p], roman[1][s]), roman[2][t])
    domains = stem + np.where(branch > 0, number, "") + ".co.jp"
    return names, domains


def _join_nonempty(left: np.ndarray, right: np.ndarray) -> np.ndarray:
    """Elementwise ``"-".join`` of the non-empty parts of two object arrays of text."""
    both = (left != "") & (right != "")
    return np.where(both, left + "-" + right, left + right).astype(object)


def person_names(u_family: np.ndarray, u_given: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Map uniforms to person names (kanji, "family given") and e-mail local parts."""
    fam = (np.asarray(u_family) * len(_FAMILY)).astype(int).clip(0, len(_FAMILY) - 1)
    giv = (np.asarray(u_given) * len(_GIVEN)).astype(int).clip(0, len(_GIVEN) - 1)
    fam_k = np.array([f[0] for f in _FAMILY], dtype=object)
    fam_r = np.array([f[1] for f in _FAMILY], dtype=object)
    giv_k = np.array([g[0] for g in _GIVEN], dtype=object)
    giv_r = np.array([g[1] for g in _GIVEN], dtype=object)
    names = fam_k[fam] + " " + giv_k[giv]
    local = giv_r[giv] + "." + fam_r[fam]
    return names, local
