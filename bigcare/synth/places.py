"""Seoul's dongs from seed_data, with invented but stable roads, apartment complexes and lots."""

import csv
import math
import random
import re
from dataclasses import dataclass, field
from functools import cache

from bigcare.config import SEED_DIR
from bigcare.synth.seeds import seeded

CITY = "서울특별시"

# Administrative dongs whose legal dong is not just the name without its number.
_LEGAL_OVERRIDES = {
    "여의동": "여의도동", "청운효자동": "청운동", "왕십리도선동": "도선동",
    "종로1·2·3·4가동": "종로1가", "종로5·6가동": "종로5가", "을지로동": "을지로1가",
    "한강로동": "한강로1가", "명동": "명동1가", "회현동": "회현동1가", "광희동": "광희동1가",
    "필동": "필동1가", "원효로1동": "원효로1가", "원효로2동": "원효로2가", "위례동": "장지동",
    "삼각산동": "미아동", "송중동": "미아동", "송천동": "미아동", "삼양동": "미아동",
    "우장산동": "화곡동", "인수동": "수유동", "용신동": "용두동", "신촌동": "창천동",
    "다산동": "신당동", "동화동": "신당동", "청구동": "신당동", "약수동": "신당동",
    "서강동": "신정동", "충현동": "충정로2가", "가양1동": "가양동",
}  # fmt: skip
# 관악구's 2008 dong renaming: the lots still carry 봉천동 or 신림동.
_GWANAK_BONGCHEON = {
    "보라매동",
    "청림동",
    "행운동",
    "낙성대동",
    "중앙동",
    "인헌동",
    "은천동",
    "청룡동",
    "성현동",
}
_GWANAK_SILLIM = {
    "서원동",
    "신원동",
    "서림동",
    "삼성동",
    "미성동",
    "난곡동",
    "난향동",
    "조원동",
    "대학동",
    "신사동",
    "신림동",
}

_GA_RE = re.compile(r"^(.*?)(\d+)(?:·\d+)*가(?:\d+)?동$")
_NUMBERED_RE = re.compile(r"(?:\d+(?:·\d+)*|본)동$")

_ROAD_STEMS = (
    "양지",
    "새말",
    "한빛",
    "중앙",
    "시장",
    "학교",
    "동산",
    "솔밭",
    "느티",
    "샘터",
    "은행",
    "꽃마을",
    "가로공원",
    "봉화",
    "까치",
    "배나무",
    "장미",
    "무지개",
)
_APT_BRANDS = (
    "래미안",
    "현대",
    "삼성",
    "주공",
    "한신",
    "대림",
    "우성",
    "벽산",
    "극동",
    "쌍용",
    "두산위브",
    "롯데캐슬",
    "자이",
    "푸르지오",
    "아이파크",
    "e편한세상",
    "한양",
    "동아",
    "신동아",
    "금호어울림",
)
_RENTAL = ("SH", "LH", "영구임대", "국민임대", "휴먼시아")


def legal_dong(gu: str, dong: str) -> str:
    """The legal dong (법정동) a lot-number address uses for an administrative dong."""
    if gu == "관악구":
        if dong in _GWANAK_BONGCHEON:
            return "봉천동"
        if dong in _GWANAK_SILLIM:
            return "신림동"
    if dong in _LEGAL_OVERRIDES:
        return _LEGAL_OVERRIDES[dong]
    ga = _GA_RE.match(dong)
    if ga:
        return f"{ga.group(1)}동{ga.group(2)}가"
    return _NUMBERED_RE.sub("동", dong)


def dong_stem(dong: str) -> str:
    """The dong's name without number or suffix ("개포1동" → "개포")."""
    stem = re.sub(r"[\d·]+가?\d*동$|본동$|동$", "", dong)
    return stem or dong


@dataclass(frozen=True)
class Complex:
    """An apartment complex (or rental block): one road address and one lot for many units."""

    name: str
    road: str
    number: str
    lot: str
    rental: bool


@dataclass
class Dong:
    """An administrative dong with invented streets."""

    code: str
    gu: str
    name: str
    lat: float
    lon: float
    legal: str
    weight: float
    roads: list[str] = field(default_factory=list)
    complexes: list[Complex] = field(default_factory=list)

    @property
    def gu_code(self) -> str:
        return self.code[:5]


def _lot(rng: random.Random) -> str:
    bun = rng.randint(1, 980)
    if rng.random() < 0.03:
        return f"산 {bun}"
    return f"{bun}-{rng.randint(1, 40)}" if rng.random() < 0.7 else str(bun)


def _build_dong(row: dict[str, str]) -> Dong:
    # Streets depend only on the dong, not the world's seed: the same dong always has the same
    # roads, as in real life.
    rng = seeded("dong", row["adm_cd"])
    dong = Dong(
        code=row["adm_cd"],
        gu=row["gu"],
        name=row["dong"],
        lat=float(row["lat"]),
        lon=float(row["lon"]),
        legal=legal_dong(row["gu"], row["dong"]),
        weight=rng.uniform(0.5, 1.6),
    )
    stem = dong_stem(dong.name)
    # 원효로1동 → 원효로, 능동 → 능동로, 개포1동 → 개포로
    main = stem if stem.endswith("로") else f"{stem}동로" if len(stem) == 1 else f"{stem}로"
    dong.roads = [main]
    dong.roads += [f"{main}{rng.randint(1, 60)}길" for _ in range(rng.randint(2, 4))]
    other = rng.choice(_ROAD_STEMS)
    dong.roads += [f"{other}로", f"{other}길"]
    dong.roads = list(dict.fromkeys(dong.roads))
    for _ in range(rng.randint(1, 5)):
        rental = rng.random() < 0.25
        brand = rng.choice(_RENTAL if rental else _APT_BRANDS)
        suffix = rng.choice(["", "1차", "2차", "3단지", "5단지"])
        name = f"{stem}{brand}{suffix}아파트" if rng.random() < 0.5 else f"{brand}{suffix}아파트"
        dong.complexes.append(
            Complex(
                name=name,
                road=rng.choice(dong.roads[:2]),
                number=str(rng.randint(1, 400)),
                lot=str(rng.randint(1, 900)),
                rental=rental,
            )
        )
    return dong


@cache
def load_dongs() -> tuple[Dong, ...]:
    """All 424 dongs of seed_data/seoul_dongs_2016.csv, in file order."""
    with (SEED_DIR / "seoul_dongs_2016.csv").open(encoding="utf-8", newline="") as f:
        return tuple(_build_dong(row) for row in csv.DictReader(f))


def distance_km(a: Dong, b: Dong) -> float:
    """Approximate ground distance between two dongs' inner points."""
    dy = (a.lat - b.lat) * 111.0
    dx = (a.lon - b.lon) * 88.2
    return math.hypot(dx, dy)


@dataclass(frozen=True)
class Address:
    """Where a household lives: both address forms, the unit and the building name."""

    dong: Dong
    road: str
    number: str
    lot: str
    unit: str
    building: str

    @property
    def road_address(self) -> str:
        return f"{CITY} {self.dong.gu} {self.road} {self.number}"

    @property
    def lot_address(self) -> str:
        return f"{CITY} {self.dong.gu} {self.dong.legal} {self.lot}"


def make_address(rng: random.Random, dong: Dong, *, poor: bool = False) -> Address:
    """A household address in the dong: an apartment unit, a villa flat or a house."""
    kind = rng.random()
    rentals = [c for c in dong.complexes if c.rental]
    if kind < 0.45 or (poor and rentals and kind < 0.6):
        pool = rentals if poor and rentals and rng.random() < 0.6 else dong.complexes
        apt = rng.choice(pool)
        unit = f"{rng.randint(101, 115)}동 {rng.randint(1, 25)}{rng.randint(1, 8):02d}호"
        return Address(dong, apt.road, apt.number, apt.lot, unit, apt.name)
    number = str(rng.randint(1, 250))
    if rng.random() < 0.2:
        number += f"-{rng.randint(1, 30)}"
    if kind < 0.8:  # villas and multi-family houses (다세대·다가구)
        if poor and rng.random() < 0.3:
            unit = rng.choice(["지하1층", "B01호", "B02호", "반지하", "옥탑"])
        else:
            unit = f"{rng.randint(1, 5)}0{rng.randint(1, 4)}호"
        building = rng.choice(["", "", "빌라", "하이츠", "맨션", "빌"])
        if building:
            building = dong_stem(dong.name) + building
        return Address(dong, rng.choice(dong.roads), number, _lot(rng), unit, building)
    unit = rng.choice(["", "", "", "1층", "2층"])
    return Address(dong, rng.choice(dong.roads), number, _lot(rng), unit, "")
