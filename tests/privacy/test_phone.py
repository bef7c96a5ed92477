"""Korean phone numbers: the canonical form people are looked up by, masking, mobile or not."""

import pytest

from bigcare.privacy.phone import MASKED_UNKNOWN, is_mobile, mask_phone, normalize_phone

NORMALIZED = [
    # 010 mobile numbers in every form people type them
    ("010-1234-5678", "010-1234-5678"),
    ("010 1234 5678", "010-1234-5678"),
    ("010.1234.5678", "010-1234-5678"),
    ("01012345678", "010-1234-5678"),
    ("  010-1234-5678 ", "010-1234-5678"),
    ("010 - 1234 - 5678", "010-1234-5678"),
    ("(010) 1234-5678", "010-1234-5678"),
    ("+82 10-1234-5678", "010-1234-5678"),
    ("+821012345678", "010-1234-5678"),
    ("+82 (0)10 1234 5678", "010-1234-5678"),
    ("+82 010-1234-5678", "010-1234-5678"),
    ("０１０－１２３４－５６７８", "010-1234-5678"),  # full-width, as a Korean IME types it
    ("010‐1234‐5678", "010-1234-5678"),  # U+2010 hyphen from a word processor
    # legacy mobile prefixes keep 7-digit subscriber numbers
    ("011-123-4567", "011-123-4567"),
    ("016-1234-5678", "016-1234-5678"),
    # Seoul: the only 2-digit area code
    ("02-123-4567", "02-123-4567"),
    ("02-1234-5678", "02-1234-5678"),
    ("021234567", "02-123-4567"),
    ("(02) 123-4567", "02-123-4567"),
    ("+82 2-123-4567", "02-123-4567"),
    # Gyeonggi and the other regions
    ("031-123-4567", "031-123-4567"),
    ("031-1234-5678", "031-1234-5678"),
    ("0311234567", "031-123-4567"),
    ("064 123 4567", "064-123-4567"),
    # internet phones, free-call and personal numbers
    ("070-1234-5678", "070-1234-5678"),
    ("080-123-4567", "080-123-4567"),
    ("0505-123-4567", "0505-123-4567"),
    # representative numbers (대표번호): eight digits, no area code
    ("1588-1234", "1588-1234"),
    ("15881234", "1588-1234"),
    ("1644-1234", "1644-1234"),
    ("1899.1234", "1899-1234"),
]


@pytest.mark.parametrize(("typed", "canonical"), NORMALIZED)
def test_normalize_phone_gives_the_canonical_form(typed: str, canonical: str) -> None:
    assert normalize_phone(typed) == canonical


@pytest.mark.parametrize(
    "garbage",
    [
        "",
        "   ",
        "전화 없음",
        "abc",
        "12345",
        "010-1234-567",  # 010 numbers have 8 subscriber digits
        "010-1234-56789",
        "010-0234-5678",  # a subscriber number never starts with 0
        "02-12-3456",
        "02-12345-6789",
        "1234-5678",  # not a representative-number prefix
        "1588-12345",
        "+1 415 555 1234",  # a foreign number is not ours to normalise
        "+82",
        "010-1234-5678 내선 12",
        "010-1234-5678ext",
        "010_1234_5678",
        "010-1234-5678, 02-123-4567",
        "800101-1234560",  # an RRN is not a phone number
    ],
)
def test_normalize_phone_rejects_garbage(garbage: str) -> None:
    assert normalize_phone(garbage) is None
    assert mask_phone(garbage) == MASKED_UNKNOWN
    assert not is_mobile(garbage)


@pytest.mark.parametrize(
    ("typed", "masked"),
    [
        ("010-1234-5678", "010-****-5678"),
        ("01012345678", "010-****-5678"),
        ("+82 10 1234 5678", "010-****-5678"),
        ("011-123-4567", "011-***-4567"),
        ("02-123-4567", "02-***-4567"),
        ("031-1234-5678", "031-****-5678"),
        ("1588-1234", "1588-****"),
    ],
)
def test_mask_phone_hides_the_middle_group(typed: str, masked: str) -> None:
    assert mask_phone(typed) == masked


@pytest.mark.parametrize(
    ("typed", "mobile"),
    [
        ("010-1234-5678", True),
        ("+82 10-1234-5678", True),
        ("011-123-4567", True),
        ("019-1234-5678", True),
        ("02-123-4567", False),
        ("031-123-4567", False),
        ("070-1234-5678", False),
        ("0505-123-4567", False),
        ("1588-1234", False),
    ],
)
def test_is_mobile(typed: str, mobile: bool) -> None:
    assert is_mobile(typed) is mobile
