"""Resident registration numbers (주민등록번호): parse, validate, mask, detect and synthesise."""

import random
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date
from typing import Literal

from bigcare.errors import FieldError

Sex = Literal["M", "F"]

# Numbers issued from this day on (every birth, and every number change) end in six random
# digits, so the check digit means nothing for them.
CHECK_DIGIT_CUTOFF = date(2020, 10, 1)

FORMAT_MESSAGE = "주민등록번호는 13자리 숫자(YYMMDD-SXXXXXX)여야 합니다"
CHECK_DIGIT_WARNING = (
    "검증번호가 맞지 않습니다. 입력 오류이거나 2020년 10월 이후 부여·변경된 번호일 수 있습니다"
)

_WEIGHTS = (2, 3, 4, 5, 6, 7, 8, 9, 2, 3, 4, 5)
_MASK_CHARS = "*xX#"

# Digit 7 → (century, sex, foreigner). Every digit 0-9 is defined; the lookup still goes
# through .get() so an unknown digit has an explicit error path rather than a KeyError.
_SEX_DIGITS: dict[str, tuple[int, Sex, bool]] = {
    "9": (1800, "M", False),
    "0": (1800, "F", False),
    "1": (1900, "M", False),
    "2": (1900, "F", False),
    "3": (2000, "M", False),
    "4": (2000, "F", False),
    "5": (1900, "M", True),
    "6": (1900, "F", True),
    "7": (2000, "M", True),
    "8": (2000, "F", True),
}

# Hyphen look-alikes that survive NFKC (word processors and IMEs produce them); NFKC already
# folds the full-width and small hyphen-minus into "-".
_DASH = "[-\u2010-\u2015\u2212]"
# After NFKC: front, optional separator, sex digit, then six digits or a mask of any length.
_INPUT_RE = re.compile(
    rf"([0-9]{{6}})\s*{_DASH}?\s*([0-9])(?:([0-9]{{6}})|([{re.escape(_MASK_CHARS)}]*))"
)


def _digit_class(low: str, high: str) -> str:
    """Regex class for ASCII digits low..high plus their full-width forms (U+FF10…)."""
    # The log scanner matches raw text, so full-width digits must match without NFKC
    # (which would shift the match offsets a redactor relies on).
    offset = 0xFEE0
    return f"[{low}-{high}{chr(ord(low) + offset)}-{chr(ord(high) + offset)}]"


_D = _digit_class("0", "9")
_MONTH = (
    f"(?:{_digit_class('0', '0')}{_digit_class('1', '9')}"
    f"|{_digit_class('1', '1')}{_digit_class('0', '2')})"
)
_DAY = (
    f"(?:{_digit_class('0', '0')}{_digit_class('1', '9')}"
    f"|{_digit_class('1', '2')}{_D}"
    f"|{_digit_class('3', '3')}{_digit_class('0', '1')})"
)
_SEPARATOR = "[ \t]?[-\u2010-\u2015\u2212\ufe63\uff0d]?[ \t]?"

# An RRN-shaped run inside longer text: YYMMDD with a plausible month and day, an optional
# hyphen (spaces allowed around it), then 7 digits, not glued to further digits. It does not
# check the date against the century or the check digit: numbers issued since 2020-10 carry no
# valid check digit, and a log scanner may raise false positives but never miss a real number.
# So a 13-digit id like "1710123456789" (a millisecond timestamp) matches, while
# "1732512345678" (month 32) does not.
RRN_PATTERN: re.Pattern[str] = re.compile(
    f"(?<!{_D}){_D}{{2}}{_MONTH}{_DAY}{_SEPARATOR}{_D}{{7}}(?!{_D})"
)


class InvalidRRN(ValueError):
    """A string that cannot be a resident registration number; `message` is Korean."""

    def __init__(self, message: str) -> None:
        self.message = message
        super().__init__(message)

    def to_field_error(self, field: str, row: int | None = None) -> FieldError:
        """This error as a FieldError for InvalidInput."""
        return FieldError(field=field, message=self.message, row=row)


@dataclass(frozen=True)
class RRN:
    """A parsed resident registration number, full or masked (800101-1******)."""

    front: str
    sex_digit: str
    # The seven digits after the hyphen (sex digit included), None when masked. Kept out of
    # repr so a logged or printed RRN object never shows them.
    back: str | None = field(repr=False)
    birth_date: date
    sex: Sex
    foreigner: bool
    masked: bool
    check_digit_ok: bool | None
    warnings: tuple[str, ...] = ()

    @property
    def formatted(self) -> str:
        """Canonical "800101-1234567"; ValueError for a masked number."""
        if self.back is None:
            raise ValueError("a masked RRN has no full form")
        return f"{self.front}-{self.back}"

    @property
    def masked_form(self) -> str:
        """Display form "800101-1******"."""
        return f"{self.front}-{self.sex_digit}******"


def check_digit(first12: str, *, foreigner: bool = False) -> int:
    """Check digit over the first 12 digits; foreigner=True uses the pre-2020 foreigner formula."""
    if len(first12) != 12 or not all(c in "0123456789" for c in first12):
        raise ValueError("first12 must be 12 ASCII digits")
    total = sum(int(c) * w for c, w in zip(first12, _WEIGHTS, strict=True))
    return ((13 if foreigner else 11) - total % 11) % 10


def _check_digit_matches(digits: str, *, foreigner: bool) -> bool:
    """Whether the 13th digit fits; foreigners may use either formula."""
    last = int(digits[12])
    if last == check_digit(digits[:12]):
        return True
    # Foreigner numbers were issued with the (13 - sum) formula before October 2020, but some
    # carry the citizens' formula; neither is wrong.
    return foreigner and last == check_digit(digits[:12], foreigner=True)


def parse_rrn(value: str, *, today: date | None = None) -> RRN:
    """Parse a full or masked RRN. Raises InvalidRRN only for impossible numbers."""
    # NFKC folds full-width digits, hyphens and asterisks typed through Korean IMEs.
    text = unicodedata.normalize("NFKC", value).strip()
    match = _INPUT_RE.fullmatch(text)
    if match is None:
        raise InvalidRRN(FORMAT_MESSAGE)
    front, sex_digit, rest, _mask = match.groups()

    meaning = _SEX_DIGITS.get(sex_digit)
    if meaning is None:
        raise InvalidRRN("주민등록번호 뒷자리 첫 숫자(성별)가 올바르지 않습니다")
    century, sex, foreigner = meaning

    year = century + int(front[:2])
    month, day = int(front[2:4]), int(front[4:6])
    try:
        birth_date = date(year, month, day)
    except ValueError:
        raise InvalidRRN(
            "주민등록번호의 생년월일이 올바르지 않습니다: "
            f"{year}년 {month}월 {day}일은 없는 날짜입니다"
        ) from None
    if birth_date > (today or date.today()):
        raise InvalidRRN("주민등록번호의 생년월일이 오늘 이후입니다")

    if rest is None:
        return RRN(
            front=front,
            sex_digit=sex_digit,
            back=None,
            birth_date=birth_date,
            sex=sex,
            foreigner=foreigner,
            masked=True,
            check_digit_ok=None,
        )

    digits = front + sex_digit + rest
    check_ok: bool | None = None
    warnings: tuple[str, ...] = ()
    # A failed check is only a warning: a number changed after 2020-10 (e.g. after identity
    # theft) is random even for an older birth date, and we must never reject a real number.
    if birth_date < CHECK_DIGIT_CUTOFF:
        check_ok = _check_digit_matches(digits, foreigner=foreigner)
        if not check_ok:
            warnings = (CHECK_DIGIT_WARNING,)
    return RRN(
        front=front,
        sex_digit=sex_digit,
        back=sex_digit + rest,
        birth_date=birth_date,
        sex=sex,
        foreigner=foreigner,
        masked=False,
        check_digit_ok=check_ok,
        warnings=warnings,
    )


def is_rrn_like(value: str) -> bool:
    """Whether the text contains an RRN-shaped run (see RRN_PATTERN); for log scanners."""
    return RRN_PATTERN.search(value) is not None


def mask_rrn(value: str) -> str:
    """Display mask "800101-1******"; "******-*******" for anything not RRN-shaped."""
    try:
        return parse_rrn(value).masked_form
    except InvalidRRN:
        pass
    # Still mask a malformed but RRN-shaped value (impossible date, future birth date) the
    # usual way, so a typo shows as much as a valid number would and never more.
    match = _INPUT_RE.fullmatch(unicodedata.normalize("NFKC", value).strip())
    if match is None:
        return "******-*******"
    return f"{match.group(1)}-{match.group(2)}******"


# Any RRN-shaped run for display masking: six digits, an optional separator, seven digits,
# whether or not the date is valid (a typo'd month still carries a real back half).
_ANY_RRN_RE = re.compile(
    r"(?<![0-9])([0-9]{6})\s*[-\u2010-\u2015\u2212]?\s*([0-9])[0-9]{6}(?![0-9])"
)


def mask_rrns_in(text: str) -> str:
    """The text with every RRN-shaped run shown as "800101-1******" (for screens, where a
    free-text column may hold a number; logs use RRN_PATTERN, which masks it whole)."""
    return _ANY_RRN_RE.sub(r"\1-\2******", unicodedata.normalize("NFKC", text))


def make_rrn(birth_date: date, sex: Sex, *, rng: random.Random, foreigner: bool = False) -> str:
    """A synthetic, structurally valid hyphenated RRN for demo and test data."""
    century = birth_date.year // 100 * 100
    candidates = [
        digit for digit, meaning in _SEX_DIGITS.items() if meaning == (century, sex, foreigner)
    ]
    if not candidates:
        raise ValueError(f"no RRN sex digit for {birth_date.year}, {sex}, foreigner={foreigner}")
    first12 = (
        f"{birth_date.year % 100:02d}{birth_date.month:02d}{birth_date.day:02d}"
        + candidates[0]
        + "".join(str(rng.randrange(10)) for _ in range(5))
    )
    # Mirror the real system: a check digit before the 2020-10 reform, a random digit after.
    if birth_date < CHECK_DIGIT_CUTOFF:
        last = check_digit(first12, foreigner=foreigner)
    else:
        last = rng.randrange(10)
    return f"{first12[:6]}-{first12[6:]}{last}"
