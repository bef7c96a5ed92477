"""Upload rows: field-by-field parsing, normalisation, problems and column mapping."""

import unicodedata
from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bigcare.facilities import normalize
from bigcare.facilities.address import GU_LEVEL, Gazetteer
from bigcare.facilities.normalize import (
    BIRTH_FORMAT,
    BIRTH_FUTURE,
    BIRTH_INVALID,
    BIRTH_RRN_MISMATCH,
    BIRTH_TOO_OLD,
    MESSAGES,
    NAME_EMPTY,
    NAME_GARBLED,
    NAME_SYMBOLS,
    NAME_TOO_LONG,
    PHONE_INVALID,
    PHONE_ZERO_RESTORED,
    RELATION_UNKNOWN,
    RRN_BAD_DATE,
    RRN_EXCEL_LOST,
    RRN_EXCEL_RESTORED,
    RRN_FUTURE,
    RRN_OR_BIRTH,
    SERVICE_FORMAT,
    SERVICE_FUTURE,
    SERVICE_INVALID,
    SEX_RRN_MISMATCH,
    SEX_UNKNOWN,
    TARGET_FIELDS,
    FieldProblem,
    ParsedRecord,
    Problem,
    normalize_name,
    parse_date,
    parse_record,
    parse_relation,
    parse_sex,
    suggest_mapping,
)
from bigcare.privacy.rrn import CHECK_DIGIT_WARNING, FORMAT_MESSAGE
from tests.facilities.test_address import load_gazetteer

TODAY = date(2025, 6, 1)
MARCH_2_1950 = date(1950, 3, 2)
# Valid check digits (worked as in tests/privacy/test_rrn.py).
RRN_1980 = "800101-1234560"
RRN_2005 = "050101-3234566"
RRN_2000 = "000101-3123451"
RRN_FOREIGNER = "900101-5123450"
NOTHING = (None, None, None, None, None)


@pytest.fixture(scope="module")
def gazetteer() -> Gazetteer:
    return load_gazetteer()


def parse(gazetteer: Gazetteer, **values: str) -> ParsedRecord:
    """A row with a valid name and birth date unless the test gives its own."""
    row = {"name": "홍길동", "birth_date": "1950-03-02"} | values
    return parse_record(
        {k: v for k, v in row.items() if v is not None}, gazetteer=gazetteer, today=TODAY
    )


def found(record: ParsedRecord, field: str | None = None) -> list[tuple[str, bool]]:
    return [(p.message, p.error) for p in record.problems if field in (None, p.field)]


def test_target_fields_in_display_order() -> None:
    assert list(TARGET_FIELDS.items()) == [
        ("name", "성명"),
        ("rrn", "주민등록번호"),
        ("birth_date", "생년월일"),
        ("sex", "성별"),
        ("phone", "연락처"),
        ("home_phone", "집전화"),
        ("address", "주소"),
        ("address_detail", "상세주소"),
        ("dong", "행정동"),
        ("relation", "가구원 관계"),
        ("household_id", "가구번호"),
        ("client_id", "시설 관리번호"),
        ("service_name", "서비스명"),
        ("service_date", "제공일"),
    ]
    assert set(normalize.HEADER_SYNONYMS) == set(TARGET_FIELDS)


# --- names ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("김영수", "김영수"),
        ("  김영수 ", "김영수"),
        ("김 영수", "김영수"),  # Korean names are written without spaces
        ("김 영 수", "김영수"),
        ("남궁 민수", "남궁민수"),
        ("김\u3000영수", "김영수"),  # ideographic space
        ("김영수\u200b", "김영수"),  # zero-width space from a web form
        (unicodedata.normalize("NFD", "김영수"), "김영수"),  # decomposed jamo (macOS)
        ("독고 영재 선생", "독고 영재 선생"),  # six syllables: may not be one name
        ("NGUYEN  VAN   AN", "NGUYEN VAN AN"),
        ("Nguyen Van An", "Nguyen Van An"),
        ("O'BRIEN", "O'BRIEN"),
        ("金英洙", "金英洙"),
        ("가" * 40, "가" * 40),
    ],
)
def test_normalize_name(value: str, expected: str) -> None:
    assert normalize_name(value) == expected


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("", NAME_EMPTY),
        ("   ", NAME_EMPTY),
        ("김영수2", NAME_SYMBOLS),
        ("김@수", NAME_SYMBOLS),
        ("#홍길동", NAME_SYMBOLS),
        ("$", NAME_SYMBOLS),
        ("김*수", NAME_SYMBOLS),  # masked name
        ("김○수", NAME_SYMBOLS),
        ("홍길\ufffd", NAME_GARBLED),
        ("\ufffd\ufffd\ufffd", NAME_GARBLED),
        ("가" * 41, NAME_TOO_LONG),
    ],
)
def test_normalize_name_rejects(value: str, message: str) -> None:
    with pytest.raises(FieldProblem) as raised:
        normalize_name(value)
    assert raised.value.message == message


def test_bad_name_is_an_error_on_the_name_field(gazetteer: Gazetteer) -> None:
    record = parse(gazetteer, name="")
    assert record.name is None
    assert record.errors == [Problem("name", NAME_EMPTY, error=True)]
    assert found(parse(gazetteer, name=None)) == [(NAME_EMPTY, True)]


# --- resident registration numbers -----------------------------------------------------------

RRNS = [
    # value, (rrn, masked, birth date, sex, foreigner), problems
    ("full", RRN_1980, (RRN_1980, "800101-1******", date(1980, 1, 1), "M", False), []),
    ("no-hyphen", "8001011234560", (RRN_1980, "800101-1******", date(1980, 1, 1), "M", False), []),
    ("spaces", "800101 - 1234560", (RRN_1980, "800101-1******", date(1980, 1, 1), "M", False), []),
    (
        "full-width",
        "８００１０１－１２３４５６０",
        (RRN_1980, "800101-1******", date(1980, 1, 1), "M", False),
        [],
    ),
    (
        "excel-text-mark",
        "'8001011234560",
        (RRN_1980, "800101-1******", date(1980, 1, 1), "M", False),
        [],
    ),
    ("masked", "800101-1******", (None, "800101-1******", date(1980, 1, 1), "M", False), []),
    ("masked-x", "800101-2xxxxxx", (None, "800101-2******", date(1980, 1, 1), "F", False), []),
    (
        "excel-dot-zero",
        "8001011234560.0",
        (RRN_1980, "800101-1******", date(1980, 1, 1), "M", False),
        [(RRN_EXCEL_RESTORED, False)],
    ),
    (
        "excel-lost-leading-zero",
        "501013234566",
        (RRN_2005, "050101-3******", date(2005, 1, 1), "M", False),
        [(RRN_EXCEL_RESTORED, False)],
    ),
    (
        "excel-lost-two-zeros",
        "1013123451.0",
        (RRN_2000, "000101-3******", date(2000, 1, 1), "M", False),
        [(RRN_EXCEL_RESTORED, False)],
    ),
    (
        "excel-scientific-all-digits",
        "8.512312345673E+12",
        ("851231-2345673", "851231-2******", date(1985, 12, 31), "F", False),
        [(RRN_EXCEL_RESTORED, False)],
    ),
    # A dropped trailing zero cannot be told from rounding: the digits are lost.
    ("excel-scientific-12-digits", "8.00101123456E+12", NOTHING, [(RRN_EXCEL_LOST, True)]),
    ("excel-scientific-lost", "8.00101E+12", NOTHING, [(RRN_EXCEL_LOST, True)]),
    ("excel-scientific-lost-2000s", "5.01013E+11", NOTHING, [(RRN_EXCEL_LOST, True)]),
    ("short-number", "80010112345", NOTHING, [(FORMAT_MESSAGE, True)]),
    ("impossible-month", "801301-1234567", NOTHING, [(RRN_BAD_DATE, True)]),
    ("impossible-day", "800230-1234567", NOTHING, [(RRN_BAD_DATE, True)]),
    ("future", "250701-3234567", NOTHING, [(RRN_FUTURE, True)]),
    ("too-short", "800101-1234", NOTHING, [(FORMAT_MESSAGE, True)]),
    ("words", "모름", NOTHING, [(FORMAT_MESSAGE, True)]),
    (
        "check-digit",
        "800101-1234567",
        ("800101-1234567", "800101-1******", date(1980, 1, 1), "M", False),
        [(CHECK_DIGIT_WARNING, False)],
    ),
    (
        "foreigner",
        RRN_FOREIGNER,
        (RRN_FOREIGNER, "900101-5******", date(1990, 1, 1), "M", True),
        [],
    ),
    # Issued after October 2020: no check digit, so any last digit is accepted silently.
    (
        "post-2020",
        "210301-4123457",
        ("210301-4123457", "210301-4******", date(2021, 3, 1), "F", False),
        [],
    ),
    (
        "post-2020-other",
        "210301-4123458",
        ("210301-4123458", "210301-4******", date(2021, 3, 1), "F", False),
        [],
    ),
]


@pytest.mark.parametrize(
    ("value", "expected", "problems"), [pytest.param(*case[1:], id=case[0]) for case in RRNS]
)
def test_rrn(
    gazetteer: Gazetteer,
    value: str,
    expected: tuple[str | None, str | None, date | None, str | None, bool | None],
    problems: list[tuple[str, bool]],
) -> None:
    record = parse(gazetteer, rrn=value, birth_date=None)
    got = (record.rrn, record.rrn_masked, record.birth_date, record.sex, record.foreigner)
    assert got == expected
    assert found(record, "rrn") == problems
    assert found(record) == problems


def test_rrn_date_message_does_not_quote_the_date(gazetteer: Gazetteer) -> None:
    (problem,) = parse(gazetteer, rrn="801301-1234567").problems
    assert problem.message == "생년월일 부분이 올바른 날짜가 아닙니다"
    assert "13" not in problem.message


# --- dates ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    [
        "1950-03-02",
        "1950-3-2",
        "1950.03.02",
        "1950/03/02",
        "19500302",
        "19500302.0",
        "50.03.02",
        "50-3-2",
        "500302",
        "1950년 3월 2일",
        "1950년3월2일",
        "50년 3월 2일",
        "1950. 3. 2.",
        "1950. 03. 02",
        "18324",  # Excel serial date (1900 system)
        "18324.0",
        "1950-03-02 00:00:00",
        "1950-03-02T00:00:00",
        "1950-03-02 오전 12:00:00",
        "1950/3/2 0:00",
        "１９５０－０３－０２",
        " 1950-03-02 ",
    ],
)
def test_parse_date_forms(value: str) -> None:
    assert parse_date(value, today=TODAY) == MARCH_2_1950


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("25.05.31", date(2025, 5, 31)),  # this year's two digits: this century
        ("250531", date(2025, 5, 31)),
        ("26.01.01", date(1926, 1, 1)),  # a later year would be in the future: last century
        ("000101", date(2000, 1, 1)),
        ("99.12.31", date(1999, 12, 31)),
        ("1", date(1900, 1, 1)),  # Excel serial 1
        ("61", date(1900, 3, 1)),  # after Excel's phantom 1900-02-29
        ("45809", date(2025, 6, 1)),
    ],
)
def test_parse_date_century_and_serials(value: str, expected: date) -> None:
    assert parse_date(value, today=TODAY) == expected


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("1950-02-30", BIRTH_INVALID),
        ("1950-13-02", BIRTH_INVALID),
        ("19501302", BIRTH_INVALID),
        ("500230", BIRTH_INVALID),
        ("0000-01-01", BIRTH_INVALID),
        ("1950", BIRTH_FORMAT),  # a bare year, not a serial date
        ("3/2/1950", BIRTH_FORMAT),
        ("1950년", BIRTH_FORMAT),
        ("모름", BIRTH_FORMAT),
        ("60", BIRTH_FORMAT),  # Excel's phantom 1900-02-29
        ("45810", BIRTH_FORMAT),  # a serial after today
        ("1234567", BIRTH_FORMAT),
        ("1950-03-02-01", BIRTH_FORMAT),
    ],
)
def test_parse_date_rejects(value: str, message: str) -> None:
    with pytest.raises(FieldProblem) as raised:
        parse_date(value, today=TODAY)
    assert raised.value.message == message


def test_parse_date_messages_follow_the_field() -> None:
    with pytest.raises(FieldProblem) as raised:
        parse_date("2024-02-30", today=TODAY, field="service_date")
    assert raised.value.message == SERVICE_INVALID


BIRTH_RULES = [
    # id, rrn, birth_date, expected birth, problems
    ("birth-only", None, "1950-03-02", MARCH_2_1950, []),
    ("derived-from-rrn", RRN_1980, None, date(1980, 1, 1), []),
    ("both-agree", RRN_1980, "1980.01.01", date(1980, 1, 1), []),
    (
        "both-differ",
        RRN_1980,
        "1980-01-02",
        date(1980, 1, 1),
        [("birth_date", BIRTH_RRN_MISMATCH, True)],
    ),
    ("future", None, "2025-06-02", None, [("birth_date", BIRTH_FUTURE, True)]),
    ("today", None, "2025-06-01", TODAY, []),
    ("before-1900", None, "1899-12-31", None, [("birth_date", BIRTH_TOO_OLD, True)]),
    ("impossible", None, "1950-02-30", None, [("birth_date", BIRTH_INVALID, True)]),
    ("unknown-form", None, "3월 2일", None, [("birth_date", BIRTH_FORMAT, True)]),
    ("neither", None, None, None, [("rrn", RRN_OR_BIRTH, True)]),
    ("neither-blank", "  ", " ", None, [("rrn", RRN_OR_BIRTH, True)]),
    (
        "bad-rrn-good-birth",
        "801301-1234567",
        "1950-03-02",
        MARCH_2_1950,
        [("rrn", RRN_BAD_DATE, True)],
    ),
    ("masked-rrn", "800101-1******", "1980-01-01", date(1980, 1, 1), []),
]


@pytest.mark.parametrize(
    ("rrn", "birth", "expected", "problems"),
    [pytest.param(*case[1:], id=case[0]) for case in BIRTH_RULES],
)
def test_birth_date_rules(
    gazetteer: Gazetteer,
    rrn: str | None,
    birth: str | None,
    expected: date | None,
    problems: list[tuple[str, str, bool]],
) -> None:
    record = parse(gazetteer, rrn=rrn, birth_date=birth)
    assert record.birth_date == expected
    assert [(p.field, p.message, p.error) for p in record.problems] == problems


# --- sex -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        *[
            (v, "M")
            for v in ("남", "남자", "남성", "M", "m", "male", "MALE", "1", "3", "1.0", " 남 ")
        ],
        *[(v, "F") for v in ("여", "여자", "여성", "F", "f", "Female", "2", "4", "4.0", "여 자")],
    ],
)
def test_parse_sex(value: str, expected: str) -> None:
    assert parse_sex(value) == expected


@pytest.mark.parametrize("value", ["?", "남녀", "5", "X", "미상"])
def test_parse_sex_rejects(value: str) -> None:
    with pytest.raises(FieldProblem) as raised:
        parse_sex(value)
    assert raised.value.message == SEX_UNKNOWN


SEX_RULES = [
    # id, rrn, sex, expected, problems
    ("sex-only", None, "여", "F", []),
    ("from-rrn", RRN_1980, None, "M", []),
    ("agrees", RRN_1980, "남", "M", []),
    ("conflicts", RRN_1980, "여", "M", [(SEX_RRN_MISMATCH, False)]),
    ("conflicts-masked", "800101-2******", "M", "F", [(SEX_RRN_MISMATCH, False)]),
    ("unknown", None, "?", None, [(SEX_UNKNOWN, False)]),
    ("unknown-with-rrn", RRN_1980, "?", "M", [(SEX_UNKNOWN, False)]),
]


@pytest.mark.parametrize(
    ("rrn", "sex", "expected", "problems"),
    [pytest.param(*case[1:], id=case[0]) for case in SEX_RULES],
)
def test_sex_rules(
    gazetteer: Gazetteer,
    rrn: str | None,
    sex: str | None,
    expected: str | None,
    problems: list[tuple[str, bool]],
) -> None:
    record = parse(gazetteer, rrn=rrn, sex=sex, birth_date=None if rrn else "1950-03-02")
    assert record.sex == expected
    assert found(record, "sex") == problems
    assert found(record) == problems


# --- phones --------------------------------------------------------------------------------

PHONES = [
    # value, canonical, problems
    ("010-1234-5678", "010-1234-5678", []),
    ("01012345678", "010-1234-5678", []),
    ("010 1234 5678", "010-1234-5678", []),
    ("010.1234.5678", "010-1234-5678", []),
    ("(010)1234-5678", "010-1234-5678", []),
    ("０１０－１２３４－５６７８", "010-1234-5678", []),
    ("+82 10-1234-5678", "010-1234-5678", []),
    ("+82-10-1234-5678", "010-1234-5678", []),
    ("+821012345678", "010-1234-5678", []),
    ("+82 (0)10 1234 5678", "010-1234-5678", []),
    ("01012345678.0", "010-1234-5678", []),
    ("011-123-4567", "011-123-4567", []),
    ("02-123-4567", "02-123-4567", []),
    ("021234567", "02-123-4567", []),
    ("02 1234 5678", "02-1234-5678", []),
    ("(02)1234-5678", "02-1234-5678", []),
    ("+82 2-1234-5678", "02-1234-5678", []),
    ("031-123-4567", "031-123-4567", []),
    ("0311234567", "031-123-4567", []),
    ("1588-1234", "1588-1234", []),
    ("1012345678", "010-1234-5678", [(PHONE_ZERO_RESTORED, False)]),  # Excel dropped the 0
    ("1012345678.0", "010-1234-5678", [(PHONE_ZERO_RESTORED, False)]),
    ("212345678", None, [(PHONE_INVALID, False)]),  # 02-1234-5678 or 021-234-5678: ambiguous
    ("1112345678", None, [(PHONE_INVALID, False)]),
    ("010-1234", None, [(PHONE_INVALID, False)]),
    ("010-1234-56789", None, [(PHONE_INVALID, False)]),
    ("없음", None, [(PHONE_INVALID, False)]),
    ("010-1234-5678 (딸)", None, [(PHONE_INVALID, False)]),
    ("+1 212 555 0100", None, [(PHONE_INVALID, False)]),
]


@pytest.mark.parametrize(("value", "expected", "problems"), PHONES)
def test_phone(
    gazetteer: Gazetteer, value: str, expected: str | None, problems: list[tuple[str, bool]]
) -> None:
    record = parse(gazetteer, phone=value)
    assert record.phone == expected
    assert found(record) == problems
    assert all(p.field == "phone" for p in record.problems)


@pytest.mark.parametrize(("value", "expected", "problems"), PHONES[:3] + PHONES[-6:])
def test_home_phone(
    gazetteer: Gazetteer, value: str, expected: str | None, problems: list[tuple[str, bool]]
) -> None:
    record = parse(gazetteer, home_phone=value)
    assert (record.home_phone, record.phone) == (expected, None)
    assert found(record, "home_phone") == problems


def test_landline_in_phone_column_stays_there(gazetteer: Gazetteer) -> None:
    record = parse(gazetteer, phone="02-123-4567")
    assert (record.phone, record.home_phone) == ("02-123-4567", None)


# --- relation, identifiers, service ----------------------------------------------------------

RELATIONS = {
    "본인": ["본인", "세대주", "대상자", "자신", " 본 인 ", "Self"],
    "배우자": ["배우자", "처", "남편", "아내", "부인"],
    "자녀": ["자녀", "아들", "딸", "자", "녀", "장남", "차남", "장녀", "차녀", "자(子)"],
    "부모": ["부모", "부", "모", "아버지", "어머니", "부친", "모친"],
    "손자녀": ["손자", "손녀", "손자녀", "손"],
    "형제자매": ["형", "누나", "오빠", "언니", "동생", "형제", "자매", "남동생"],
    "기타": ["며느리", "사위", "동거인", "기타", "조카", "할머니"],
}


@pytest.mark.parametrize(
    ("value", "expected"),
    [(value, relation) for relation, values in RELATIONS.items() for value in values],
)
def test_parse_relation(value: str, expected: str) -> None:
    assert parse_relation(value) == expected
    assert expected in normalize.RELATIONS


@pytest.mark.parametrize("value", ["친구", "?", "2"])
def test_unknown_relation_is_a_warning(gazetteer: Gazetteer, value: str) -> None:
    with pytest.raises(FieldProblem):
        parse_relation(value)
    record = parse(gazetteer, relation=value)
    assert record.relation is None
    assert found(record) == [(RELATION_UNKNOWN, False)]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("123", "123"),
        ("123.0", "123"),
        (" A-12 ", "A-12"),
        ("'00123", "00123"),
        ("", None),
        ("12.5", "12.5"),
    ],
)
def test_identifiers(gazetteer: Gazetteer, value: str, expected: str | None) -> None:
    record = parse(gazetteer, household_id=value, client_id=value)
    assert (record.household_id, record.client_id) == (expected, expected)
    assert record.problems == []


SERVICE_DATES = [
    ("2024-03-02", date(2024, 3, 2), []),
    ("2024.3.2", date(2024, 3, 2), []),
    ("24.03.02", date(2024, 3, 2), []),
    ("45353", date(2024, 3, 2), []),
    ("2025-06-01", TODAY, []),
    ("2025-06-02", None, [(SERVICE_FUTURE, False)]),
    ("2024-02-30", None, [(SERVICE_INVALID, True)]),
    ("매주 화요일", None, [(SERVICE_FORMAT, True)]),
]


@pytest.mark.parametrize(("value", "expected", "problems"), SERVICE_DATES)
def test_service_date(
    gazetteer: Gazetteer, value: str, expected: date | None, problems: list[tuple[str, bool]]
) -> None:
    record = parse(gazetteer, service_date=value)
    assert record.service_date == expected
    assert found(record, "service_date") == problems
    assert found(record) == problems


def test_service_name_is_trimmed_nfc(gazetteer: Gazetteer) -> None:
    value = unicodedata.normalize("NFD", "  방문   목욕 ")
    assert parse(gazetteer, service_name=value).service_name == "방문 목욕"
    assert parse(gazetteer, service_name="  ").service_name is None


# --- the whole row -------------------------------------------------------------------------


def test_clean_row(gazetteer: Gazetteer) -> None:
    record = parse_record(
        {
            "name": "김 영수",
            "rrn": RRN_1980,
            "birth_date": "",
            "sex": "남",
            "phone": "010.1234.5678",
            "home_phone": "02-123-4567",
            "address": "서울 강남구 개포로22길 5-3 (개포동)",
            "address_detail": "101동 1203호",
            "dong": "개포2동",
            "relation": "세대주",
            "household_id": "77.0",
            "client_id": "C-001",
            "service_name": "도시락 배달",
            "service_date": "2025-05-30",
        },
        gazetteer=gazetteer,
        today=TODAY,
    )
    assert record.problems == []
    assert record.name == "김영수"
    assert (record.rrn, record.rrn_masked) == (RRN_1980, "800101-1******")
    assert (record.birth_date, record.sex, record.foreigner) == (date(1980, 1, 1), "M", False)
    assert (record.phone, record.home_phone) == ("010-1234-5678", "02-123-4567")
    assert record.address is not None
    assert (record.address.dong_code, record.address.dong_source) == ("1123080", "dong_column")
    assert (record.address.road, record.address.unit) == ("개포로22길", "101동 1203호")
    assert (record.relation, record.household_id, record.client_id) == ("본인", "77", "C-001")
    assert (record.service_name, record.service_date) == ("도시락 배달", date(2025, 5, 30))


def test_row_without_address_has_no_address_problem(gazetteer: Gazetteer) -> None:
    record = parse(gazetteer)
    assert (record.address, record.problems) == (None, [])


def test_row_address_warnings_are_collected(gazetteer: Gazetteer) -> None:
    record = parse(gazetteer, address="서울 강남구 개포로 123")
    assert record.address is not None and record.address.gu_code == "11230"
    assert record.warnings == [Problem("address", GU_LEVEL, error=False)]
    assert record.errors == []


def test_row_with_only_a_dong_column(gazetteer: Gazetteer) -> None:
    record = parse(gazetteer, dong="개포1동")
    assert record.address is not None
    assert (record.address.dong_code, record.address.text) == ("1123068", "")


def test_errors_and_warnings_split(gazetteer: Gazetteer) -> None:
    record = parse(gazetteer, name="", phone="모름")
    assert record.errors == [Problem("name", NAME_EMPTY, error=True)]
    assert record.warnings == [Problem("phone", PHONE_INVALID, error=False)]


def test_record_repr_hides_personal_values(gazetteer: Gazetteer) -> None:
    record = parse(gazetteer, name="김영수", rrn=RRN_1980, phone="010-1234-5678", birth_date=None)
    text = repr(record)
    assert RRN_1980 not in text and "1234-5678" not in text and "김영수" not in text


SENSITIVE_ROWS = [
    {"rrn": "801301-1234567", "birth_date": "1980-13-01"},
    {"rrn": "800101-1234567", "birth_date": "1981-01-01", "sex": "여"},
    {"rrn": "8.00101E+12", "phone": "010-1234-567"},
    {"rrn": "250701-3234567", "phone": "1012345678"},
    {"name": "김영수1", "birth_date": "2030-01-01", "home_phone": "02-12-3"},
    {"name": "김\ufffd수", "birth_date": "19501302", "relation": "친구 김철수"},
    {"birth_date": "1950년 13월 2일", "sex": "남자아이", "service_date": "2099-01-01"},
    {"address": "서울 강남구 개포로 123", "dong": "신림1동"},
    {"address": "부산 해운대구 센텀로 1", "service_date": "2024-02-30"},
]


@pytest.mark.parametrize("row", SENSITIVE_ROWS)
def test_problem_messages_never_contain_the_value(
    gazetteer: Gazetteer, row: dict[str, str]
) -> None:
    record = parse_record({"name": "홍길동"} | row, gazetteer=gazetteer, today=TODAY)
    assert record.problems
    for problem in record.problems:
        assert problem.message in MESSAGES
        value = ({"name": "홍길동"} | row).get(problem.field, "").strip()
        assert not value or value not in problem.message
        digits = "".join(c for c in value if c.isdigit())
        assert len(digits) < 4 or digits not in "".join(c for c in problem.message if c.isdigit())


# --- column mapping ------------------------------------------------------------------------

MAPPINGS = [
    (
        "senior-center",
        ["연번", "성 명", "주민등록번호", "성별", "휴대폰", "전화번호", "주소", "상세주소",
         "관할동", "세대주와의 관계", "가구번호", "이용자번호", "제공서비스", "제공일자", "비고"],
        [None, "name", "rrn", "sex", "phone", "home_phone", "address", "address_detail", "dong",
         "relation", "household_id", "client_id", "service_name", "service_date", None],
    ),
    (
        "english",
        ["No", "full_name", "RRN", "DOB", "gender", "mobile", "phone", "address", "dong",
         "relationship", "household_id", "client_id", "service", "service_date"],
        [None, "name", "rrn", "birth_date", "sex", "phone", "home_phone", "address", "dong",
         "relation", "household_id", "client_id", "service_name", "service_date"],
    ),
    (
        "numbered",
        ["이름", "주민번호", "연락처1", "연락처2", "주소1", "주소2"],
        ["name", "rrn", "phone", None, "address", "address_detail"],
    ),
    (
        "specific-detail-wins-over-address2",
        ["이름", "주소1", "주소2", "동호수"],
        ["name", "address", None, "address_detail"],
    ),
    (
        "road-and-lot",
        ["수급자명", "생년월일", "핸드폰", "집전화", "도로명주소", "지번주소", "동호수", "행정동"],
        ["name", "birth_date", "phone", "home_phone", "address", None, "address_detail", "dong"],
    ),
    (
        "parenthesised-notes",
        ["성명(한글)", "성명(영문)", "주민 등록 번호", "생일", "연락처(휴대폰)", "거주지"],
        ["name", None, "rrn", "birth_date", "phone", "address"],
    ),
    (
        "second-generic-phone-is-not-a-landline",
        ["대상자명", "연락처", "휴대전화", "Name", "tel"],
        ["name", None, "phone", None, "home_phone"],
    ),
    (
        "mixed-case-and-noise",
        [
            "\ufeff이용자명",
            "Resident_No",
            "BIRTH_DATE",
            "Sex",
            "Home_Phone",
            "Address",
            "서비스 일자",
        ],
        ["name", "rrn", "birth_date", "sex", "home_phone", "address", "service_date"],
    ),
    (
        "unknown-headers",
        ["번호", "보호자 연락처", "메모", "등록일"],
        [None, None, None, None],
    ),
]  # fmt: skip


@pytest.mark.parametrize(
    ("headers", "expected"), [pytest.param(*case[1:], id=case[0]) for case in MAPPINGS]
)
def test_suggest_mapping(headers: list[str], expected: list[str | None]) -> None:
    mapping = suggest_mapping(headers)
    assert list(mapping) == headers
    assert list(mapping.values()) == expected
    used = [target for target in mapping.values() if target]
    assert len(used) == len(set(used))


@pytest.mark.parametrize(
    ("header", "target"),
    [(s, t) for t, synonyms in normalize.HEADER_SYNONYMS.items() for s in synonyms],
)
def test_every_synonym_maps_alone(header: str, target: str) -> None:
    assert suggest_mapping([header]) == {header: target}
    assert suggest_mapping([f" {header.upper()} "]) == {f" {header.upper()} ": target}


# --- robustness ----------------------------------------------------------------------------

_ALPHABET = st.sampled_from(
    [
        *"0123456789-./ ,()*+Ee년월일동로길가구산번지서울강남개포신림관악경기부산남여자본인\ufffd",
        *("010", "02", "+82", "서울특별시", "강남구", "개포1동", "800101", "-1", ".0", "E+12"),
    ]
)
_CELL = st.one_of(st.text(max_size=30), st.lists(_ALPHABET, max_size=12).map("".join))
_GAZETTEER = load_gazetteer()


@settings(max_examples=400, deadline=None)
@given(st.dictionaries(st.sampled_from(list(TARGET_FIELDS)), _CELL))
def test_parse_record_never_raises(row: dict[str, str]) -> None:
    record = parse_record(row, gazetteer=_GAZETTEER, today=TODAY)
    for problem in record.problems:
        assert problem.field in TARGET_FIELDS
        assert problem.message in MESSAGES
    if record.errors == []:
        assert record.name is not None
        assert record.birth_date is not None
