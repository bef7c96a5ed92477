"""Resident registration numbers: parsing, check digits, masking, log scanning, synthesis."""

import random
from datetime import date, timedelta
from typing import NamedTuple

import pytest

from bigcare.errors import FieldError
from bigcare.privacy import rrn
from bigcare.privacy.rrn import CHECK_DIGIT_WARNING, InvalidRRN, parse_rrn

TODAY = date(2025, 6, 1)

# Worked example for the check digit of 800101-123456?:
#   digits  8  0  0  1  0  1  1  2  3  4  5  6
#   weights 2  3  4  5  6  7  8  9  2  3  4  5
#   16 + 0 + 0 + 5 + 0 + 7 + 8 + 18 + 6 + 12 + 20 + 30 = 122
#   122 % 11 = 1, (11 - 1) % 10 = 0  →  800101-1234560
# And the foreigner 900101-512345?:
#   18 + 0 + 0 + 5 + 0 + 7 + 40 + 9 + 4 + 9 + 16 + 25 = 133, 133 % 11 = 1
#   citizens' formula (11 - 1) % 10 = 0  →  900101-5123450
#   pre-2020 foreigner formula (13 - 1) % 10 = 2  →  900101-5123452
# The other check digits below were worked the same way.


class Expect(NamedTuple):
    front: str
    back: str | None
    birth_date: date
    sex: str
    foreigner: bool
    check_digit_ok: bool | None
    warned: bool = False


VALID = [
    pytest.param(
        "800101-1234560",
        Expect("800101", "1234560", date(1980, 1, 1), "M", False, True),
        id="1900s-male",
    ),
    pytest.param(
        "851231-2345673",
        Expect("851231", "2345673", date(1985, 12, 31), "F", False, True),
        id="1900s-female",
    ),
    pytest.param(
        "8001011234560",
        Expect("800101", "1234560", date(1980, 1, 1), "M", False, True),
        id="no-hyphen",
    ),
    pytest.param(
        "991231-9123451",
        Expect("991231", "9123451", date(1899, 12, 31), "M", False, True),
        id="1800s-male-9",
    ),
    pytest.param(
        "850315-0543213",
        Expect("850315", "0543213", date(1885, 3, 15), "F", False, True),
        id="1800s-female-0",
    ),
    pytest.param(
        "050505-3111110",
        Expect("050505", "3111110", date(2005, 5, 5), "M", False, True),
        id="2000s-male-3",
    ),
    pytest.param(
        "200229-4222229",
        Expect("200229", "4222229", date(2020, 2, 29), "F", False, True),
        id="2000s-female-4-leap-day",
    ),
    pytest.param(
        "000229-3121215",
        Expect("000229", "3121215", date(2000, 2, 29), "M", False, True),
        id="feb-29-2000-with-digit-3",
    ),
    pytest.param(
        "900101-5123450",
        Expect("900101", "5123450", date(1990, 1, 1), "M", True, True),
        id="foreigner-5-citizen-formula",
    ),
    pytest.param(
        "900101-5123452",
        Expect("900101", "5123452", date(1990, 1, 1), "M", True, True),
        id="foreigner-5-foreigner-formula",
    ),
    pytest.param(
        "900101-6123454",
        Expect("900101", "6123454", date(1990, 1, 1), "F", True, True),
        id="foreigner-6-foreigner-formula",
    ),
    pytest.param(
        "030303-7246800",
        Expect("030303", "7246800", date(2003, 3, 3), "M", True, True),
        id="foreigner-7-citizen-formula",
    ),
    pytest.param(
        "100101-8135798",
        Expect("100101", "8135798", date(2010, 1, 1), "F", True, True),
        id="foreigner-8-foreigner-formula",
    ),
    pytest.param(
        "800101-1234561",
        Expect("800101", "1234561", date(1980, 1, 1), "M", False, False, warned=True),
        id="pre-2020-wrong-check-digit-warns",
    ),
    pytest.param(
        "200930-3987650",
        Expect("200930", "3987650", date(2020, 9, 30), "M", False, False, warned=True),
        id="last-day-before-reform-wrong-check-digit-warns",
    ),
    pytest.param(
        "100101-8135791",
        Expect("100101", "8135791", date(2010, 1, 1), "F", True, False, warned=True),
        id="foreigner-wrong-under-both-formulas-warns",
    ),
    pytest.param(
        "201001-3123456",
        Expect("201001", "3123456", date(2020, 10, 1), "M", False, None),
        id="reform-day-random-digits-no-check",
    ),
    pytest.param(
        "230615-4000001",
        Expect("230615", "4000001", date(2023, 6, 15), "F", False, None),
        id="post-2020-random-digits-no-check",
    ),
    pytest.param(
        "240101-7999999",
        Expect("240101", "7999999", date(2024, 1, 1), "M", True, None),
        id="post-2020-foreigner-no-check",
    ),
    pytest.param(
        "８００１０１－１２３４５６０",
        Expect("800101", "1234560", date(1980, 1, 1), "M", False, True),
        id="full-width-digits-and-hyphen",
    ),
    pytest.param(
        "  800101-1234560\t",
        Expect("800101", "1234560", date(1980, 1, 1), "M", False, True),
        id="surrounding-whitespace",
    ),
    pytest.param(
        "800101 - 1234560",
        Expect("800101", "1234560", date(1980, 1, 1), "M", False, True),
        id="spaces-around-hyphen",
    ),
    pytest.param(
        "800101 1234560",
        Expect("800101", "1234560", date(1980, 1, 1), "M", False, True),
        id="space-instead-of-hyphen",
    ),
    pytest.param(
        "800101–1234560",
        Expect("800101", "1234560", date(1980, 1, 1), "M", False, True),
        id="en-dash",
    ),
]


@pytest.mark.parametrize(("value", "expect"), VALID)
def test_parse_rrn_accepts_real_forms(value: str, expect: Expect) -> None:
    parsed = parse_rrn(value, today=TODAY)
    assert parsed.front == expect.front
    assert parsed.back == expect.back
    assert parsed.sex_digit == expect.back[0]
    assert parsed.birth_date == expect.birth_date
    assert parsed.sex == expect.sex
    assert parsed.foreigner is expect.foreigner
    assert parsed.masked is False
    assert parsed.check_digit_ok is expect.check_digit_ok
    assert parsed.warnings == ((CHECK_DIGIT_WARNING,) if expect.warned else ())
    assert parsed.formatted == f"{expect.front}-{expect.back}"
    assert parsed.masked_form == f"{expect.front}-{expect.back[0]}******"


@pytest.mark.parametrize(
    "value",
    [
        pytest.param("800101-1******", id="hyphen-stars"),
        pytest.param("8001011******", id="no-hyphen-stars"),
        pytest.param("800101-1xxxxxx", id="lower-x"),
        pytest.param("800101-1XXXXXX", id="upper-x"),
        pytest.param("800101-1######", id="hashes"),
        pytest.param("800101-1*", id="one-star"),
        pytest.param("800101-1**********", id="many-stars"),
        pytest.param("800101-1*x#X", id="mixed-mask-chars"),
        pytest.param("800101-1", id="sex-digit-only"),
        pytest.param("８００１０１－１＊＊＊＊＊＊", id="full-width"),
    ],
)
def test_parse_rrn_accepts_masked_forms(value: str) -> None:
    parsed = parse_rrn(value, today=TODAY)
    assert parsed.masked is True
    assert parsed.back is None
    assert (parsed.front, parsed.sex_digit, parsed.sex) == ("800101", "1", "M")
    assert parsed.birth_date == date(1980, 1, 1)
    assert parsed.check_digit_ok is None
    assert parsed.warnings == ()
    assert parsed.masked_form == "800101-1******"
    with pytest.raises(ValueError, match="masked"):
        _ = parsed.formatted


def test_masked_foreigner_keeps_sex_and_century() -> None:
    parsed = parse_rrn("050505-8******", today=TODAY)
    assert (parsed.birth_date, parsed.sex, parsed.foreigner) == (date(2005, 5, 5), "F", True)


@pytest.mark.parametrize(
    ("value", "message"),
    [
        pytest.param("800101-123456", "13자리", id="12-digits"),
        pytest.param("800101-12345601", "13자리", id="14-digits"),
        pytest.param("80010l-1234560", "13자리", id="letter-l-for-1"),
        pytest.param("abcdef-ghijklm", "13자리", id="letters"),
        pytest.param("", "13자리", id="empty"),
        pytest.param("800101--1234560", "13자리", id="double-hyphen"),
        pytest.param("800101-123****", "13자리", id="partial-mask"),
        pytest.param("801301-1234560", "13월", id="month-13"),
        pytest.param("800001-1234560", "0월", id="month-0"),
        pytest.param("800230-1234560", "2월 30일", id="feb-30"),
        pytest.param("810229-1234560", "1981년 2월 29일", id="feb-29-non-leap"),
        pytest.param("000229-1234560", "1900년 2월 29일", id="feb-29-1900-with-digit-1"),
        pytest.param("250602-3123456", "오늘 이후", id="born-tomorrow"),
        pytest.param("991231-3123456", "오늘 이후", id="2099-with-digit-3"),
        pytest.param("300101-4******", "오늘 이후", id="masked-future"),
    ],
)
def test_parse_rrn_rejects_impossible_numbers(value: str, message: str) -> None:
    with pytest.raises(InvalidRRN) as caught:
        parse_rrn(value, today=TODAY)
    assert message in caught.value.message
    assert str(caught.value) == caught.value.message
    assert isinstance(caught.value, ValueError)


def test_born_today_is_accepted() -> None:
    assert parse_rrn("250601-3123456", today=TODAY).birth_date == TODAY


def test_invalid_rrn_becomes_a_field_error() -> None:
    with pytest.raises(InvalidRRN) as caught:
        parse_rrn("800101-123", today=TODAY)
    assert caught.value.to_field_error("rrn", row=3) == FieldError(
        field="rrn", message=rrn.FORMAT_MESSAGE, row=3
    )


def test_repr_of_a_parsed_rrn_hides_the_back_digits() -> None:
    assert "234560" not in repr(parse_rrn("800101-1234560", today=TODAY))


def test_check_digit_formulas() -> None:
    assert rrn.check_digit("800101123456") == 0
    assert rrn.check_digit("900101512345") == 0
    assert rrn.check_digit("900101512345", foreigner=True) == 2
    with pytest.raises(ValueError):
        rrn.check_digit("80010112345")
    with pytest.raises(ValueError):
        rrn.check_digit("８００１０１１２３４５６")


def _random_birth_date(rng: random.Random) -> date:
    """A birth date between 1900 and the fixed today, weighted to include post-reform ones."""
    start = date(2018, 1, 1) if rng.random() < 0.3 else date(1900, 1, 1)
    return start + timedelta(days=rng.randrange((TODAY - start).days + 1))


def test_make_rrn_round_trips_through_parse_rrn() -> None:
    rng = random.Random(20241125)
    seen_post_reform = 0
    for _ in range(2000):
        birth_date = _random_birth_date(rng)
        sex = rng.choice(["M", "F"])
        foreigner = rng.random() < 0.2
        number = rrn.make_rrn(birth_date, sex, rng=rng, foreigner=foreigner)

        parsed = parse_rrn(number, today=TODAY)

        assert parsed.formatted == number
        assert (parsed.birth_date, parsed.sex, parsed.foreigner) == (birth_date, sex, foreigner)
        assert parsed.warnings == ()
        if birth_date < rrn.CHECK_DIGIT_CUTOFF:
            assert parsed.check_digit_ok is True
        else:
            assert parsed.check_digit_ok is None
            seen_post_reform += 1
    assert seen_post_reform > 100


def test_make_rrn_covers_the_1800s_and_is_reproducible() -> None:
    number = rrn.make_rrn(date(1899, 12, 31), "F", rng=random.Random(1))
    assert number.startswith("991231-0")
    assert parse_rrn(number, today=TODAY).check_digit_ok is True
    assert number == rrn.make_rrn(date(1899, 12, 31), "F", rng=random.Random(1))


def test_make_rrn_refuses_combinations_that_have_no_sex_digit() -> None:
    with pytest.raises(ValueError):
        rrn.make_rrn(date(1890, 1, 1), "M", rng=random.Random(1), foreigner=True)


@pytest.mark.parametrize(
    ("value", "masked"),
    [
        pytest.param("800101-1234560", "800101-1******", id="valid"),
        pytest.param("8001011234561", "800101-1******", id="wrong-check-digit"),
        pytest.param("800101-1******", "800101-1******", id="already-masked"),
        pytest.param("８００１０１－１２３４５６０", "800101-1******", id="full-width"),
        pytest.param("801301-2345678", "801301-2******", id="impossible-date"),
        pytest.param("991231-3123456", "991231-3******", id="future-date"),
        pytest.param("800101-123456", "******-*******", id="12-digits"),
        pytest.param("홍길동", "******-*******", id="name"),
        pytest.param("", "******-*******", id="empty"),
    ],
)
def test_mask_rrn(value: str, masked: str) -> None:
    assert rrn.mask_rrn(value) == masked


def test_mask_rrn_never_contains_the_back_digits() -> None:
    rng = random.Random(7)
    for _ in range(500):
        number = rrn.make_rrn(_random_birth_date(rng), rng.choice(["M", "F"]), rng=rng)
        masked = rrn.mask_rrn(number)
        assert masked == number[:8] + "******"
        assert number[8:] not in masked


@pytest.mark.parametrize(
    ("line", "found"),
    [
        pytest.param("2024-11-25 INFO lookup rrn=800101-1234560 ok", "800101-1234560", id="log"),
        pytest.param("주민번호:8001011234560,", "8001011234560", id="no-hyphen-korean"),
        pytest.param("payload {'rrn': '230615-4000001'}", "230615-4000001", id="post-2020"),
        pytest.param("x 800101 - 1234560 y", "800101 - 1234560", id="spaced-hyphen"),
        pytest.param(
            "값=８００１０１－１２３４５６０", "８００１０１－１２３４５６０", id="full-width"
        ),
        pytest.param("id=1710123456789", "1710123456789", id="timestamp-with-valid-month"),
    ],
)
def test_rrn_pattern_finds_rrns_in_text(line: str, found: str) -> None:
    match = rrn.RRN_PATTERN.search(line)
    assert match is not None
    assert match.group() == found
    assert rrn.is_rrn_like(line)


@pytest.mark.parametrize(
    "line",
    [
        pytest.param("ts=1732512345678", id="ms-timestamp-month-32"),
        pytest.param("800101-1******", id="masked"),
        pytest.param("801301-1234560", id="month-13"),
        pytest.param("800132-1234560", id="day-32"),
        pytest.param("order 98001011234560", id="inside-a-longer-digit-run"),
        pytest.param("800101-123456", id="12-digits"),
        pytest.param("010-1234-5678", id="phone"),
    ],
)
def test_rrn_pattern_ignores_non_rrns(line: str) -> None:
    assert rrn.RRN_PATTERN.search(line) is None
    assert not rrn.is_rrn_like(line)
