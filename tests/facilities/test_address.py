"""Addresses: road and lot forms, units, and resolution to Seoul's administrative dongs."""

import csv
from pathlib import Path

import pytest

from bigcare.facilities import address
from bigcare.facilities.address import (
    DONG_GU_MISMATCH,
    DONG_UNKNOWN,
    GU_LEVEL,
    NO_GU,
    OUTSIDE_SEOUL,
    Gazetteer,
    NoGeocoder,
    ParsedAddress,
    parse_address,
)

# The admin dongs of two legal dongs renamed in 2008 (관악구).
SILLIM = [
    "난곡동",
    "난향동",
    "대학동",
    "미성동",
    "삼성동",
    "서림동",
    "서원동",
    "신림동",
    "신사동",
    "신원동",
    "조원동",
]
BONGCHEON = [
    "낙성대동",
    "보라매동",
    "성현동",
    "은천동",
    "인헌동",
    "중앙동",
    "청룡동",
    "청림동",
    "행운동",
]

DONGS_CSV = Path(__file__).resolve().parents[2] / "seed_data" / "seoul_dongs_2016.csv"

GANGNAM = "11230"
GAEPO_1, GAEPO_2, GAEPO_4 = "1123068", "1123080", "1123071"


def load_gazetteer() -> Gazetteer:
    """The real 424-dong table, as the importer builds it from the database."""
    with DONGS_CSV.open(encoding="utf-8") as file:
        rows = [(r["adm_cd"], r["adm_cd"][:5], r["gu"], r["dong"]) for r in csv.DictReader(file)]
    return Gazetteer(rows)


@pytest.fixture(scope="module")
def gazetteer() -> Gazetteer:
    return load_gazetteer()


def names(gazetteer: Gazetteer, codes: tuple[str, ...]) -> list[str]:
    return [gazetteer.dong_names[code] for code in codes]


def messages(problems: list[address.Problem]) -> list[str]:
    return [problem.message for problem in problems]


# --- the gazetteer ---------------------------------------------------------------------------


def test_gazetteer_holds_all_424_dongs_in_25_gus(gazetteer: Gazetteer) -> None:
    assert len(gazetteer.dong_names) == 424
    assert len(gazetteer.gu_names) == 25


def test_every_dong_resolves_by_its_own_name_and_its_base_name(gazetteer: Gazetteer) -> None:
    for code, name in gazetteer.dong_names.items():
        gu = gazetteer.gu_of(code)
        assert gu == code[:5]
        assert gazetteer.dong_code(gu, name) == code
        assert gazetteer.dong_code(gu, code) == code
        legal = address._legal_names(address._dong_key(name))
        assert any(code in gazetteer.legal_to_admin(gu, base) for base in legal), name


@pytest.mark.parametrize(
    ("name", "code"),
    [
        ("강남구", GANGNAM),
        ("강남", GANGNAM),
        (" 강남 구 ", GANGNAM),
        ("11230", GANGNAM),
        ("중구", "11020"),
        ("중", None),  # one syllable is too ambiguous to be a gu
        ("분당구", None),
        ("", None),
    ],
)
def test_gu_code(gazetteer: Gazetteer, name: str, code: str | None) -> None:
    assert gazetteer.gu_code(name) == code


@pytest.mark.parametrize(
    ("gu", "name", "code"),
    [
        (GANGNAM, "개포1동", GAEPO_1),
        (GANGNAM, "개포 1동", GAEPO_1),
        (GANGNAM, "개포제1동", GAEPO_1),
        (GANGNAM, "개포 제1동", GAEPO_1),
        (GANGNAM, "개포1", GAEPO_1),
        (GANGNAM, "개포1동 주민센터", GAEPO_1),
        (GANGNAM, "개포1동행정복지센터", GAEPO_1),
        (GANGNAM, GAEPO_1, GAEPO_1),
        (GANGNAM, "개포동", None),  # a legal dong, not an administrative one
        (GANGNAM, "신림동", None),  # in 관악구
        ("11210", GAEPO_1, None),  # the code of another gu
        (None, "개포1동", GAEPO_1),  # unique city-wide
        (None, "신사동", None),  # 강남구 and 관악구
        ("11010", "종로1·2·3·4가동", "1101061"),
        ("11010", "종로1.2.3.4가동", "1101061"),
        ("11010", "종로1ㆍ2ㆍ3ㆍ4가동", "1101061"),
        ("11110", "상계3.4동", "1111076"),
        ("11110", "상계3,4동", "1111076"),
        (GANGNAM, "", None),
    ],
)
def test_dong_code(gazetteer: Gazetteer, gu: str | None, name: str, code: str | None) -> None:
    assert gazetteer.dong_code(gu, name) == code


@pytest.mark.parametrize(
    ("gu_name", "legal", "admin"),
    [
        ("강남구", "개포동", ["개포1동", "개포2동", "개포4동"]),
        ("강남구", "역삼동", ["역삼1동", "역삼2동"]),
        ("강남구", "일원동", ["일원1동", "일원2동", "일원본동"]),
        ("강남구", "압구정동", ["압구정동"]),
        ("강남구", "신사동", ["신사동"]),
        ("종로구", "종로1가", ["종로1·2·3·4가동"]),
        ("종로구", "종로4가", ["종로1·2·3·4가동"]),
        ("종로구", "종로6가", ["종로5·6가동"]),
        ("노원구", "상계동", [f"상계{n}동" for n in ("1", "2", "3·4", "5", "6·7", "8", "9", "10")]),
        ("성동구", "금호동2가", ["금호2·3가동"]),
        ("성동구", "성수동1가", ["성수1가1동", "성수1가2동"]),
        ("중구", "을지로3가", ["을지로동"]),  # street-named admin dong
        ("용산구", "원효로1가", ["원효로1동", "원효로2동"]),
        # Legal dongs whose admin dongs were renamed: listed by hand, never one wrong guess.
        (
            "관악구",
            "신림동",
            SILLIM,
        ),
        (
            "관악구",
            "봉천동",
            BONGCHEON,
        ),
        ("강북구", "미아동", ["미아동", "삼각산동", "삼양동", "송중동", "송천동"]),
        ("강남구", "없는동", []),
    ],
)
def test_legal_to_admin(gazetteer: Gazetteer, gu_name: str, legal: str, admin: list[str]) -> None:
    gu = gazetteer.gu_code(gu_name)
    assert gu is not None
    assert names(gazetteer, gazetteer.legal_to_admin(gu, legal)) == admin


# --- parsing the forms -----------------------------------------------------------------------

ROAD = [
    # text, detail, expected (text, road, building_no, unit, legal_dong)
    (
        "서울특별시 강남구 개포로 123",
        None,
        ("서울특별시 강남구 개포로 123", "개포로", "123", None, None),
    ),
    (
        "서울 강남구 개포로22길 5-3, 101동 1203호 (개포동, 래미안)",
        None,
        (
            "서울특별시 강남구 개포로22길 5-3, 101동 1203호 (개포동, 래미안)",
            "개포로22길",
            "5-3",
            "101동 1203호",
            "개포동",
        ),
    ),
    (
        "강남구 개포로 123 101동 1203호",
        None,
        ("서울특별시 강남구 개포로 123 101동 1203호", "개포로", "123", "101동 1203호", None),
    ),
    (
        "서울시  강남구   개포로 22길  5 - 3",
        None,
        ("서울특별시 강남구 개포로 22길 5-3", "개포로22길", "5-3", None, None),
    ),
    (
        "서울강남구개포로123",
        None,
        ("서울특별시 강남구 개포로123", "개포로", "123", None, None),
    ),
    (
        "서울 강남 개포로 123",
        "101동 1203호",
        ("서울특별시 강남구 개포로 123", "개포로", "123", "101동 1203호", None),
    ),
    (
        "서울특별시 송파구 올림픽로35가길 10 (잠실동)",
        None,
        ("서울특별시 송파구 올림픽로35가길 10 (잠실동)", "올림픽로35가길", "10", None, "잠실동"),
    ),
    (
        "서울특별시 종로구 세종대로 175(세종로)",
        None,
        ("서울특별시 종로구 세종대로 175 (세종로)", "세종대로", "175", None, "세종로"),
    ),
    (
        "서울특별시 강남구 개포로 123 2층",
        "2층 201호",
        ("서울특별시 강남구 개포로 123 2층", "개포로", "123", "2층 201호", None),
    ),
    (
        "서울 강남구 개포로 123, 101동",
        "1203호",
        ("서울특별시 강남구 개포로 123, 101동", "개포로", "123", "101동 1203호", None),
    ),
    (
        "서울 강남구 개포로 １２３－４",  # full-width digits and hyphen from a Korean IME
        None,
        ("서울특별시 강남구 개포로 123-4", "개포로", "123-4", None, None),
    ),
    (
        "서울특별시, 강남구, 개포로 123",
        None,
        ("서울특별시 강남구 개포로 123", "개포로", "123", None, None),
    ),
]


@pytest.mark.parametrize(("text", "detail", "expected"), ROAD)
def test_road_address(
    gazetteer: Gazetteer,
    text: str,
    detail: str | None,
    expected: tuple[str, str, str, str | None, str | None],
) -> None:
    parsed, _ = parse_address(text, detail=detail, gazetteer=gazetteer)
    assert parsed.kind == "road"
    assert parsed.sido == "서울특별시"
    assert parsed.gu_code == gazetteer.gu_code(expected[0].split()[1])
    assert (parsed.text, parsed.road, parsed.building_no, parsed.unit, parsed.legal_dong) == (
        expected
    )
    assert parsed.lot_no is None


LOT = [
    # text, expected (gu name, legal_dong, lot_no, unit)
    ("서울특별시 강남구 개포동 1234-5", ("강남구", "개포동", "1234-5", None)),
    ("서울 강남구 개포동 산12-3 2층", ("강남구", "개포동", "산12-3", "2층")),
    ("서울 강남구 개포동 산 12-3", ("강남구", "개포동", "산12-3", None)),
    ("강남구 개포동 12번지", ("강남구", "개포동", "12", None)),
    (
        "강남구 개포동 12-3번지 래미안 101동 1203호",
        ("강남구", "개포동", "12-3", "래미안 101동 1203호"),
    ),
    ("서울시 종로구 종로1가 12", ("종로구", "종로1가", "12", None)),
    ("서울 성동구 성수동1가 685-20", ("성동구", "성수동1가", "685-20", None)),
    ("서울 강남구 개포1동 1234", ("강남구", None, "1234", None)),  # admin name, not legal
    ("서울특별시 관악구 신림동 1630-1, 3층", ("관악구", "신림동", "1630-1", "3층")),
]


@pytest.mark.parametrize(("text", "expected"), LOT)
def test_lot_address(
    gazetteer: Gazetteer, text: str, expected: tuple[str, str | None, str, str | None]
) -> None:
    parsed, _ = parse_address(text, gazetteer=gazetteer)
    gu_name, legal_dong, lot_no, unit = expected
    assert parsed.kind == "lot"
    assert parsed.gu_code == gazetteer.gu_code(gu_name)
    assert (parsed.legal_dong, parsed.lot_no, parsed.unit) == (legal_dong, lot_no, unit)
    assert parsed.road is None and parsed.building_no is None
    assert parsed.text.startswith(f"서울특별시 {gu_name} ")


# --- resolving the dong ----------------------------------------------------------------------

RESOLVE = [
    # id, text, dong column, expected dong, source, candidates, messages
    ("admin-in-text", "서울 강남구 개포1동 1234", None, "개포1동", "address", [], []),
    ("admin-before-road", "서울 강남구 개포1동 개포로 123", None, "개포1동", "address", [], []),
    ("legal-unique", "서울 강남구 압구정동 1", None, "압구정동", "address", [], []),
    ("legal-ga", "서울시 종로구 종로3가 12", None, "종로1·2·3·4가동", "legal_dong", [], []),
    ("legal-street", "서울 중구 을지로3가 1", None, "을지로동", "legal_dong", [], []),
    (
        "paren-legal-unique",
        "서울 강남구 압구정로 1 (압구정동)",
        None,
        "압구정동",
        "legal_dong",
        [],
        [],
    ),
    ("paren-admin-name", "서울 강남구 개포로 1 (개포1동)", None, "개포1동", "legal_dong", [], []),
    (
        "paren-legal-ambiguous",
        "서울 강남구 개포로22길 5-3 (개포동)",
        None,
        None,
        None,
        ["개포1동", "개포2동", "개포4동"],
        [GU_LEVEL],
    ),
    (
        "lot-legal-ambiguous",
        "서울 강남구 역삼동 1",
        None,
        None,
        None,
        ["역삼1동", "역삼2동"],
        [GU_LEVEL],
    ),
    (
        # 신림동 is also the name of one admin dong, but the legal 신림동 spans eleven.
        "renamed-legal",
        "서울 관악구 신림동 1630",
        None,
        None,
        None,
        SILLIM,
        [GU_LEVEL],
    ),
    ("road-only", "서울 강남구 개포로 123", None, None, None, [], [GU_LEVEL]),
    ("dong-column", "서울 강남구 개포로 123", "개포2동", "개포2동", "dong_column", [], []),
    ("dong-column-je", "서울 강남구 개포로 123", "개포 제4동", "개포4동", "dong_column", [], []),
    ("dong-column-code", "서울 강남구 개포로 123", GAEPO_4, "개포4동", "dong_column", [], []),
    (
        "dong-column-center",
        "강남구 개포로 123",
        "개포1동 주민센터",
        "개포1동",
        "dong_column",
        [],
        [],
    ),
    ("dong-column-wins", "서울 강남구 개포1동 12", "개포2동", "개포2동", "dong_column", [], []),
    ("dong-column-legal", "서울 강남구 개포로 1", "압구정동", "압구정동", "dong_column", [], []),
    (
        "dong-column-legal-ambiguous",
        "서울 강남구 개포로 1",
        "개포동",
        None,
        None,
        ["개포1동", "개포2동", "개포4동"],
        [GU_LEVEL],
    ),
    (
        "dong-column-other-gu",
        "서울 강남구 개포1동 12",
        "신림동",
        "개포1동",
        "address",
        [],
        [DONG_GU_MISMATCH],
    ),
    (
        "dong-column-other-gu-code",
        "서울 강남구 개포로 1",
        "1121068",
        None,
        None,
        [],
        [DONG_GU_MISMATCH, GU_LEVEL],
    ),
    (
        "dong-column-unknown",
        "서울 강남구 개포로 1",
        "무지개동",
        None,
        None,
        [],
        [DONG_UNKNOWN, GU_LEVEL],
    ),
    ("dong-column-alone", "", "개포1동", "개포1동", "dong_column", [], []),
    ("dong-column-alone-ambiguous", "", "신사동", None, None, ["신사동", "신사동"], [NO_GU]),
    ("no-gu", "개포로 123", None, None, None, [], [NO_GU]),
    ("no-gu-admin-name", "개포1동 1234", None, "개포1동", "address", [], []),
    ("empty", "", None, None, None, [], [NO_GU]),
    ("garbage", "모름", None, None, None, [], [NO_GU]),
    ("outside-seoul", "경기도 성남시 분당구 판교역로 235", None, None, None, [], [OUTSIDE_SEOUL]),
    ("outside-seoul-short", "부산 강서구 낙동북로 477", None, None, None, [], [OUTSIDE_SEOUL]),
    ("outside-city-only", "성남시 분당구 판교역로 235", "개포1동", None, None, [], [OUTSIDE_SEOUL]),
]


@pytest.mark.parametrize(
    ("text", "dong", "expected", "source", "candidates", "expected_messages"),
    [pytest.param(*case[1:], id=case[0]) for case in RESOLVE],
)
def test_dong_resolution(
    gazetteer: Gazetteer,
    text: str,
    dong: str | None,
    expected: str | None,
    source: str | None,
    candidates: list[str],
    expected_messages: list[str],
) -> None:
    parsed, problems = parse_address(text, dong=dong, gazetteer=gazetteer)
    assert (gazetteer.dong_names.get(parsed.dong_code or ""), parsed.dong_source) == (
        expected,
        source,
    )
    assert names(gazetteer, parsed.candidates) == candidates
    assert messages(problems) == expected_messages
    assert all(not problem.error for problem in problems)
    if parsed.dong_code:
        assert parsed.gu_code == parsed.dong_code[:5]


def test_outside_seoul_keeps_the_province(gazetteer: Gazetteer) -> None:
    parsed, _ = parse_address("경기 성남시 분당구 판교역로 235", gazetteer=gazetteer)
    assert parsed.sido == "경기도"
    assert parsed.gu_code is None


def test_dong_column_problem_is_on_the_dong_field(gazetteer: Gazetteer) -> None:
    _, problems = parse_address("서울 강남구 개포1동 12", dong="신림동", gazetteer=gazetteer)
    assert [problem.field for problem in problems] == ["dong"]


@pytest.mark.parametrize(
    ("address", "dong", "want"),
    [
        ("서울특별시 영등포구 당산로 1", "영등포구 당산1동", "당산1동"),
        ("서울 종로구 종로 1", "서울특별시 종로구 종로1·2·3·4가동", "종로1·2·3·4가동"),
        ("서울특별시 강서구 발산로37길 110", "강서구 발산1동", "발산1동"),
    ],
)
def test_dong_column_with_its_gu_in_front(
    gazetteer: Gazetteer, address: str, dong: str, want: str
) -> None:
    parsed, problems = parse_address(address, dong=dong, gazetteer=gazetteer)
    assert problems == []
    assert parsed.dong_code == gazetteer.dong_code(parsed.gu_code, want)


# --- the geocoder ----------------------------------------------------------------------------


class FixedGeocoder:
    def __init__(self, code: str | None) -> None:
        self.code = code
        self.calls: list[ParsedAddress] = []

    def locate(self, address: ParsedAddress) -> str | None:
        self.calls.append(address)
        return self.code


def test_geocoder_resolves_what_the_text_cannot(gazetteer: Gazetteer) -> None:
    geocoder = FixedGeocoder(GAEPO_2)
    parsed, problems = parse_address(
        "서울 강남구 개포로 123", gazetteer=gazetteer, geocoder=geocoder
    )
    assert (parsed.dong_code, parsed.dong_source, problems) == (GAEPO_2, "geocoder", [])
    assert geocoder.calls[0].road == "개포로"


def test_geocoder_answer_in_another_gu_is_ignored(gazetteer: Gazetteer) -> None:
    parsed, problems = parse_address(
        "서울 강남구 개포로 123", gazetteer=gazetteer, geocoder=FixedGeocoder("1121068")
    )
    assert parsed.dong_code is None
    assert messages(problems) == [GU_LEVEL]


def test_geocoder_not_asked_when_the_text_resolves(gazetteer: Gazetteer) -> None:
    geocoder = FixedGeocoder(GAEPO_2)
    parsed, _ = parse_address("서울 강남구 개포1동 1", gazetteer=gazetteer, geocoder=geocoder)
    assert parsed.dong_code == GAEPO_1
    assert geocoder.calls == []


def test_no_geocoder_locates_nothing(gazetteer: Gazetteer) -> None:
    parsed, _ = parse_address("서울 강남구 개포로 123", gazetteer=gazetteer, geocoder=NoGeocoder())
    assert NoGeocoder().locate(parsed) is None
    assert parsed.dong_code is None


@pytest.mark.parametrize(
    "text",
    ["서울 강남구 개포1동 1234-5", "서울 관악구 신림동 1630-1, 3층", "강남구 개포로 1 (개포동)"],
)
def test_address_problems_never_quote_the_address(gazetteer: Gazetteer, text: str) -> None:
    _, problems = parse_address(text, dong="신림동", gazetteer=gazetteer)
    for problem in problems:
        assert problem.message in address.MESSAGES
        assert not any(word in problem.message for word in text.split() if len(word) > 1)
