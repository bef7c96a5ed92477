"""Normalisation for record linkage: names, jamo, RRN parts, phone and address keys."""

import unicodedata
from datetime import date

import pytest

from bigcare.linkage.normalize import (
    AddressKeys,
    PhoneKey,
    RrnParts,
    address_keys,
    birth_year,
    given_name,
    initials,
    jamo,
    match_record,
    phone_key,
    rrn_parts,
    surname,
)

# 800101-123456? check digit worked in tests/privacy/test_rrn.py: 800101-1234560.
RRN_1980_M = "800101-1234560"


def levenshtein(a: str, b: str) -> int:
    """Edit distance (insert, delete, substitute all cost 1)."""
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i]
        for j, cb in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb)))
        previous = current
    return previous[-1]


NAMES = [
    # name, surname, given name, initials
    ("김민준", "김", "민준", "ㄱㅁㅈ"),
    ("김철수", "김", "철수", "ㄱㅊㅅ"),
    ("남궁옥분", "남궁", "옥분", "ㄴㄱㅇㅂ"),
    ("황보영", "황보", "영", "ㅎㅂㅇ"),
    ("제갈공명", "제갈", "공명", "ㅈㄱㄱㅁ"),
    ("선우은숙", "선우", "은숙", "ㅅㅇㅇㅅ"),
    ("독고영재", "독고", "영재", "ㄷㄱㅇㅈ"),
    ("선우", "선", "우", "ㅅㅇ"),  # two syllables: a one-syllable surname and given name
    (" 김  철수 ", "김", "철수", "ㄱㅊㅅ"),  # spaces typed inside a Hangul name
    ("김철수", "김", "철수", "ㄱㅊㅅ"),  # decomposed (NFD) input, as some macOS exports
    ("이", "이", None, "ㅇ"),
    # Latin names are read surname first, as on an alien registration card.
    ("NGUYEN Van An", "NGUYEN", "VAN AN", "NVA"),
    ("smith", "SMITH", None, "S"),
]


@pytest.mark.parametrize(("name", "family", "given", "initial"), NAMES)
def test_name_parts(name: str, family: str, given: str | None, initial: str) -> None:
    assert (surname(name), given_name(name), initials(name)) == (family, given, initial)


@pytest.mark.parametrize("name", ["", "   ", "123", "()"])
def test_name_parts_empty_or_junk(name: str) -> None:
    assert (surname(name), given_name(name), initials(name), jamo(name)) == (None, None, "", "")


def test_jamo_decomposes_to_conjoining_jamo() -> None:
    assert jamo("김민준") == "\u1100\u1175\u11b7\u1106\u1175\u11ab\u110c\u116e\u11ab"
    assert jamo("김 민준") == jamo("김민준") == jamo("김민준")
    assert all(0x1100 <= ord(c) <= 0x11FF for c in jamo("남궁옥분"))


def test_jamo_latin_name_is_casefolded_letters() -> None:
    assert jamo("John  SMITH") == "johnsmith"
    assert jamo("Nguyễn Văn An") == unicodedata.normalize("NFC", "nguyễnvănan")


TYPOS = [
    # Each pair differs in a single syllable, but in only one jamo of it.
    ("김재민", "김제민"),  # ㅐ / ㅔ
    ("김민준", "김민중"),  # final ㄴ / ㅇ
    ("이서연", "이서영"),
    ("박지훈", "박지운"),  # initial ㅎ / ㅇ
    ("최윤서", "최윤저"),  # initial ㅅ / ㅈ
    ("정하늘", "정하는"),  # final ㄹ / ㄴ
]


@pytest.mark.parametrize(("a", "b"), TYPOS)
def test_jamo_one_jamo_typo_is_edit_distance_one(a: str, b: str) -> None:
    assert levenshtein(jamo(a), jamo(b)) == 1
    assert initials(a)[0] == initials(b)[0]


def test_jamo_distance_grows_with_real_differences() -> None:
    assert levenshtein(jamo("김민준"), jamo("박서연")) > 3


RRNS = [
    # full, masked, expected
    (
        RRN_1980_M,
        None,
        RrnParts(
            full=RRN_1980_M, front7="8001011", birth=date(1980, 1, 1), sex="M", foreigner=False
        ),
    ),
    (
        None,
        "800101-1******",
        RrnParts(front7="8001011", birth=date(1980, 1, 1), sex="M", foreigner=False),
    ),
    # Issued after the 2020-10 reform: random last digits, no check digit to verify.
    (
        "211015-4987654",
        None,
        RrnParts(
            full="211015-4987654",
            front7="2110154",
            birth=date(2021, 10, 15),
            sex="F",
            foreigner=False,
        ),
    ),
    # Foreigner (외국인등록번호), 1990s man; then a 2000s woman from a masked number.
    (
        "900101-5123450",
        None,
        RrnParts(
            full="900101-5123450", front7="9001015", birth=date(1990, 1, 1), sex="M", foreigner=True
        ),
    ),
    (
        None,
        "020202-8******",
        RrnParts(front7="0202028", birth=date(2002, 2, 2), sex="F", foreigner=True),
    ),
    # Unhyphenated and full-width input, and a masked value stored in the full column.
    (
        "8001011234560",
        None,
        RrnParts(
            full=RRN_1980_M, front7="8001011", birth=date(1980, 1, 1), sex="M", foreigner=False
        ),
    ),
    (
        "800101-1******",
        None,
        RrnParts(front7="8001011", birth=date(1980, 1, 1), sex="M", foreigner=False),
    ),
    # A junk full number falls back to the masked one.
    (
        "80013-1234567",
        "800101-1******",
        RrnParts(front7="8001011", birth=date(1980, 1, 1), sex="M", foreigner=False),
    ),
]


@pytest.mark.parametrize(("full", "masked", "expected"), RRNS)
def test_rrn_parts(full: str | None, masked: str | None, expected: RrnParts) -> None:
    assert rrn_parts(full, masked) == expected


def test_rrn_parts_full_and_masked_share_front7() -> None:
    assert rrn_parts(RRN_1980_M, None).front7 == rrn_parts(None, "800101-1******").front7


def test_rrn_parts_repr_hides_full_number() -> None:
    assert "1234560" not in repr(rrn_parts(RRN_1980_M, None))


@pytest.mark.parametrize(
    ("full", "masked"),
    [(None, None), ("", ""), ("abc", "xyz"), ("801301-1234567", None), (12, 3.5)],
)
def test_rrn_parts_junk_is_empty(full: object, masked: object) -> None:
    assert rrn_parts(full, masked) == RrnParts()  # type: ignore[arg-type]


def test_birth_year() -> None:
    assert birth_year(date(1948, 8, 15)) == 1948
    assert birth_year(None) is None


PHONES = [
    ("010-1234-5678", PhoneKey(last8="12345678", mobile=True)),
    ("01012345678", PhoneKey(last8="12345678", mobile=True)),
    ("+82 10-1234-5678", PhoneKey(last8="12345678", mobile=True)),
    ("011-234-5678", PhoneKey(last8="12345678", mobile=True)),  # 10 digits: "011" ends it
    # A 9-digit Seoul landline: the last 8 digits include the area code's "2".
    ("02-123-4567", PhoneKey(last8="21234567", mobile=False)),
    ("02-1234-5678", PhoneKey(last8="12345678", mobile=False)),
    ("031-123-4567", PhoneKey(last8="11234567", mobile=False)),
    ("1588-1234", PhoneKey(last8="15881234", mobile=False)),
    ("없음", PhoneKey()),
    ("", PhoneKey()),
    (None, PhoneKey()),
]


@pytest.mark.parametrize(("phone", "expected"), PHONES)
def test_phone_key(phone: str | None, expected: PhoneKey) -> None:
    assert phone_key(phone) == expected


ADDRESSES = [
    # (dong_code, road, building_no, lot_no, legal_dong, unit), expected
    (
        ("1168064", "개포로", "123", None, None, None),
        AddressKeys(dong="1168064", road_building="개포로|123"),
    ),
    (
        ("1168064", "개포로 22길", "5 - 3", None, "개포동", "101동 1203호"),
        AddressKeys(dong="1168064", road_building="개포로22길|5-3", unit="101-1203"),
    ),
    (
        (None, None, None, "12-3번지", "개포동", "래미안 101동 1203호"),
        AddressKeys(lot="개포동|12-3", unit="101-1203"),
    ),
    ((None, None, None, "산 12-3", "개포동", "2층"), AddressKeys(lot="개포동|산12-3", unit="2")),
    ((None, None, None, "１２－３", "개포동", None), AddressKeys(lot="개포동|12-3")),
    (
        (None, "개포로", "지하 12", None, None, "지하1층"),
        AddressKeys(road_building="개포로|지하12", unit="B1"),
    ),
    ((None, None, None, None, None, "B01호"), AddressKeys(unit="B1")),
    ((None, None, None, None, None, "제101동 제1203호"), AddressKeys(unit="101-1203")),
    ((None, None, None, None, None, "101-1203"), AddressKeys(unit="101-1203")),
    ((None, None, None, None, None, "관리실"), AddressKeys()),
    # A number without its road or legal dong cannot be compared on its own.
    ((None, None, "123", "12-3", None, None), AddressKeys()),
    (("", " ", "", "", "", ""), AddressKeys()),
    ((None, None, None, None, None, None), AddressKeys()),
]


@pytest.mark.parametrize(("fields", "expected"), ADDRESSES)
def test_address_keys(fields: tuple[str | None, ...], expected: AddressKeys) -> None:
    dong_code, road, building_no, lot_no, legal_dong, unit = fields
    keys = address_keys(
        dong_code=dong_code,
        road=road,
        building_no=building_no,
        lot_no=lot_no,
        legal_dong=legal_dong,
        unit=unit,
    )
    assert keys == expected


def test_match_record_realistic() -> None:
    record = match_record(
        name="남궁 옥분",
        rrn=RRN_1980_M,
        rrn_masked="800101-1******",
        birth_date=None,
        sex="F",  # a facility's typo: the RRN says otherwise
        phone="010-1234-5678",
        home_phone="02-123-4567",
        gu_code="11680",
        dong_code="1168064",
        road="개포로22길",
        building_no="5-3",
        lot_no=None,
        legal_dong="개포동",
        unit="101동 1203호",
    )
    assert record == {
        "name": "남궁옥분",
        "name_jamo": jamo("남궁옥분"),
        "name_initials": "ㄴㄱㅇㅂ",
        "surname": "남궁",
        "given_name": "옥분",
        "rrn_front7": "8001011",
        "birth_date": "1980-01-01",
        "birth_year": 1980,
        "sex": "M",
        "phone_last8": "12345678",
        "phone_mobile": True,
        "home_last8": "21234567",
        "gu": "11680",
        "dong": "1168064",
        "road_building": "개포로22길|5-3",
        "lot": None,
        "unit": "101-1203",
    }
    assert not any("1234560" in str(value) for value in record.values())


def test_match_record_keeps_recorded_birth_date_and_sex_without_rrn() -> None:
    record = match_record(name="John Smith", birth_date=date(1975, 3, 9), sex="f")
    assert (record["name"], record["surname"], record["given_name"]) == (
        "JOHN SMITH",
        "JOHN",
        "SMITH",
    )
    assert (record["birth_date"], record["birth_year"], record["sex"]) == ("1975-03-09", 1975, "F")
    assert record["rrn_front7"] is None


def test_match_record_all_none() -> None:
    record = match_record()
    assert len(record) == 17
    assert all(value is None for value in record.values())


def test_match_record_junk_does_not_raise() -> None:
    record = match_record(
        name=123,  # type: ignore[arg-type]
        rrn="not a number",
        rrn_masked="******-*******",
        birth_date="1980-13-45",  # type: ignore[arg-type]
        sex="남",
        phone="내선 12",
        home_phone="0",
        dong_code=7,  # type: ignore[arg-type]
        road=["개포로"],  # type: ignore[arg-type]
        building_no="",
        unit="",
    )
    assert all(value is None for value in record.values())
