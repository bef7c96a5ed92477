"""Synthetic facilities: how many of each type per gu, their names, codes and export habits."""

import random
from dataclasses import dataclass

from bigcare.synth.layouts import TYPE_SPECS, Layout, choose_layout
from bigcare.synth.noise import DATE_STYLES, PHONE_STYLES, SEX_STYLES, NoiseProfile
from bigcare.synth.places import Dong, dong_stem

# Shares of the facilities left after the fixed ones (2 crisis agencies, one 보건소 per gu).
_SHARES = (
    ("SENIOR_WELFARE", 0.22),
    ("COMMUNITY_WELFARE", 0.18),
    ("HOME_CARE", 0.22),
    ("DISABLED_WELFARE", 0.10),
    ("FOOD_BANK", 0.10),
    ("DONG_CENTER", 0.18),
)
_ADJECTIVES = (
    "은빛",
    "행복한",
    "사랑",
    "늘푸른",
    "한마음",
    "소망",
    "참사랑",
    "효",
    "나눔",
    "새봄",
    "햇살",
    "온누리",
    "다사랑",
    "실버",
    "동행",
    "우리",
)
UTILITY_AGENCY = "한국전력공사 서울본부"
INSURANCE_AGENCY = "국민건강보험공단 서울지역본부"


@dataclass
class Facility:
    """A facility and the habits its exports show."""

    code: str
    name: str
    type_code: str
    dong: Dong
    export_format: str
    encoding: str
    layout: Layout | None
    noise: NoiseProfile
    date_style: str
    birth_style: str
    sex_style: tuple[str, str]
    phone_style: str
    road_form: bool  # writes road-name addresses (else lot-number ones) when the header says 주소
    city_prefix: str
    paren_dong: float  # share of road addresses carrying "(개포동)" / "(개포동, OO아파트)"
    rrn_hyphen: bool
    numeric_ids: bool
    xlsx_dates: bool
    age_formula: bool

    @property
    def file_name(self) -> str:
        return f"{self.code}.{self.export_format}"


def _name(rng: random.Random, type_code: str, dong: Dong, taken: set[str]) -> str:
    gu_short = dong.gu[:-1] if len(dong.gu) > 2 else dong.gu
    stem = dong_stem(dong.name)
    options = {
        "SENIOR_WELFARE": (
            f"{gu_short}노인종합복지관",
            f"{stem}노인복지관",
            "{adj}노인복지관",
            f"{gu_short}구립{stem}노인복지관",
        ),
        "COMMUNITY_WELFARE": (
            f"{stem}종합사회복지관",
            "{adj}종합사회복지관",
            f"{gu_short}종합사회복지관",
            f"{stem}사회복지관",
        ),
        "DISABLED_WELFARE": (
            f"{gu_short}장애인종합복지관",
            f"{stem}장애인복지관",
            "{adj}장애인주간보호센터",
            f"{gu_short}구립장애인보호작업장",
        ),
        "FOOD_BANK": (
            f"{gu_short}푸드마켓",
            f"{gu_short}푸드뱅크",
            f"{stem}푸드마켓",
            "{adj}푸드마켓",
        ),
        "HOME_CARE": (
            "{adj}재가노인복지센터",
            f"{stem}방문요양센터",
            "{adj}재가복지센터",
            "{adj}주야간보호센터",
        ),
    }[type_code]
    for _ in range(40):
        name = rng.choice(options).format(adj=rng.choice(_ADJECTIVES))
        if name not in taken:
            return name
    n = 2
    while f"{name} 제{n}센터" in taken:
        n += 1
    return f"{name} 제{n}센터"


def _plan(rng: random.Random, total: int, gus: list[str]) -> list[tuple[str, str]]:
    """(type, gu) for every facility; 2 crisis agencies and 25 보건소 first."""
    plan = [("CRISIS_AGENCY", "중구"), ("CRISIS_AGENCY", "중구")]
    plan += [("HEALTH_CENTER", gu) for gu in gus]
    rest = max(0, total - len(plan))
    counts = {t: int(share * rest) for t, share in _SHARES}
    for t, _ in _SHARES:  # hand out the rounding remainder, biggest types first
        if sum(counts.values()) >= rest:
            break
        counts[t] += 1
    # Each type covers as many gu as its count allows before any gu gets a second one.
    for type_code, count in counts.items():
        order = gus[:]
        rng.shuffle(order)
        for i in range(count):
            plan.append((type_code, order[i % len(order)]))
    return plan[: max(total, 2 + len(gus))]


def make_facilities(rng: random.Random, dongs: tuple[Dong, ...], count: int) -> list[Facility]:
    """At least 27 facilities (2 crisis agencies and one 보건소 per gu); `count` in total."""
    by_gu: dict[str, list[Dong]] = {}
    for dong in dongs:
        by_gu.setdefault(dong.gu, []).append(dong)
    gus = sorted(by_gu)
    plan = _plan(rng, count, gus)
    codes = rng.sample(range(100_000, 1_000_000), len(plan))
    taken: set[str] = set()
    used_centers: set[str] = set()
    facilities: list[Facility] = []
    crisis_names = iter((UTILITY_AGENCY, INSURANCE_AGENCY))
    for (type_code, gu), code in zip(plan, codes, strict=True):
        dong = rng.choice(by_gu[gu])
        if type_code == "CRISIS_AGENCY":
            name = next(crisis_names)
        elif type_code == "HEALTH_CENTER":
            name = f"{gu}보건소"
        elif type_code == "DONG_CENTER":
            free = [d for d in by_gu[gu] if d.code not in used_centers] or by_gu[gu]
            dong = rng.choice(free)
            used_centers.add(dong.code)
            name = f"{dong.name} 주민센터"
        else:
            name = _name(rng, type_code, dong, taken)
        if name in taken:  # a second center in an already covered dong
            name = f"{name} 분소"
        taken.add(name)
        facilities.append(_habits(rng, f"F{code}", name, type_code, dong))
    return facilities


def _habits(rng: random.Random, code: str, name: str, type_code: str, dong: Dong) -> Facility:
    crisis = type_code == "CRISIS_AGENCY"
    layout = None if crisis else choose_layout(rng, type_code)
    xlsx_share = 0.0 if crisis else TYPE_SPECS[type_code].xlsx_share
    export_format = "xlsx" if rng.random() < xlsx_share else "csv"
    if export_format == "xlsx":
        encoding = ""
    else:
        roll = rng.random()
        encoding = "cp949" if crisis or roll < 0.6 else "utf-8-sig" if roll < 0.9 else "utf-8"
    date_style = rng.choice(DATE_STYLES[:3]) if rng.random() < 0.8 else rng.choice(DATE_STYLES)
    birth_style = date_style if rng.random() < 0.7 else rng.choice(DATE_STYLES)
    if rng.random() < 0.15:
        birth_style = "korean"
    xlsx_dates = export_format == "xlsx" and rng.random() < 0.6
    has_birth = layout is not None and "birth" in layout.fields
    return Facility(
        code=code,
        name=name,
        type_code=type_code,
        dong=dong,
        export_format=export_format,
        encoding=encoding,
        layout=layout,
        noise=NoiseProfile.draw(rng),
        date_style=date_style,
        birth_style=birth_style,
        sex_style=rng.choice(SEX_STYLES),
        phone_style="dash" if rng.random() < 0.6 else rng.choice(PHONE_STYLES),
        road_form=rng.random() < 0.7,
        city_prefix=rng.choice(("서울특별시", "서울특별시", "서울", "서울시", "")),
        paren_dong=rng.choice((0.0, 0.0, 0.3, 0.8)),
        rrn_hyphen=rng.random() < 0.9,
        numeric_ids=rng.random() < 0.5,
        xlsx_dates=xlsx_dates,
        # a 나이 column computed by an Excel formula from the birth date
        age_formula=xlsx_dates and has_birth and rng.random() < 0.5,
    )
