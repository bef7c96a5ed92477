"""Facility upload rows: parse and normalise each field, collecting errors and warnings.

Pure functions: no database, no I/O, no settings. Messages are Korean and never contain the
value they are about (it may be an RRN or a phone number); the caller prefixes the row number
and the file's own column header.
"""

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta

from bigcare.facilities import address as address_module
from bigcare.privacy import phone as phone_module
from bigcare.privacy import rrn as rrn_module

Problem = address_module.Problem
ParsedAddress = address_module.ParsedAddress
Gazetteer = address_module.Gazetteer

TARGET_FIELDS: dict[str, str] = {
    "name": "성명",
    "rrn": "주민등록번호",
    "birth_date": "생년월일",
    "sex": "성별",
    "phone": "연락처",
    "home_phone": "집전화",
    "address": "주소",
    "address_detail": "상세주소",
    "dong": "행정동",
    "relation": "가구원 관계",
    "household_id": "가구번호",
    "client_id": "시설 관리번호",
    "service_name": "서비스명",
    "service_date": "제공일",
}

# --- messages (the complete set parse_record can produce, see MESSAGES) ---------------------
NAME_EMPTY = "성명이 비어 있습니다"
NAME_SYMBOLS = "성명에 숫자나 기호가 들어 있습니다"
NAME_GARBLED = "글자가 깨져 읽을 수 없습니다 (파일 인코딩을 확인하세요)"
NAME_TOO_LONG = "성명이 너무 깁니다 (40자 이하)"
RRN_BAD_DATE = "생년월일 부분이 올바른 날짜가 아닙니다"
RRN_FUTURE = "생년월일 부분이 오늘 이후입니다"
RRN_SEX_DIGIT = "주민등록번호 뒷자리 첫 숫자(성별)가 올바르지 않습니다"
RRN_EXCEL_RESTORED = "엑셀 숫자 형식으로 바뀐 주민등록번호를 복원했습니다"
RRN_EXCEL_LOST = "엑셀에서 숫자로 바뀌어 뒷자리가 손실되었습니다"
RRN_OR_BIRTH = "주민등록번호나 생년월일 중 하나는 있어야 합니다"
BIRTH_FUTURE = "생년월일이 오늘 이후입니다"
BIRTH_INVALID = "생년월일이 올바른 날짜가 아닙니다"
BIRTH_FORMAT = "생년월일 형식을 알 수 없습니다 (예: 1950-03-02)"
BIRTH_TOO_OLD = "생년월일이 1900년 이전입니다"
BIRTH_RRN_MISMATCH = "생년월일이 주민등록번호와 다릅니다"
SEX_RRN_MISMATCH = "성별이 주민등록번호와 다릅니다 (주민등록번호 기준으로 저장)"
SEX_UNKNOWN = "성별 값을 알 수 없어 저장하지 않았습니다"
PHONE_ZERO_RESTORED = "앞자리 0이 빠진 번호로 보고 고쳤습니다"
PHONE_INVALID = "전화번호 형식이 올바르지 않아 저장하지 않았습니다"
RELATION_UNKNOWN = "가구원 관계를 알 수 없어 저장하지 않았습니다"
SERVICE_FUTURE = "제공일이 오늘 이후라 저장하지 않았습니다"
SERVICE_INVALID = "제공일이 올바른 날짜가 아닙니다"
SERVICE_FORMAT = "제공일 형식을 알 수 없습니다 (예: 2024-03-02)"

_DATE_MESSAGES = {
    "birth_date": (BIRTH_INVALID, BIRTH_FORMAT),
    "service_date": (SERVICE_INVALID, SERVICE_FORMAT),
}

MESSAGES: frozenset[str] = frozenset(
    {
        NAME_EMPTY, NAME_SYMBOLS, NAME_GARBLED, NAME_TOO_LONG,
        RRN_BAD_DATE, RRN_FUTURE, RRN_SEX_DIGIT, RRN_EXCEL_RESTORED, RRN_EXCEL_LOST, RRN_OR_BIRTH,
        rrn_module.FORMAT_MESSAGE, rrn_module.CHECK_DIGIT_WARNING,
        BIRTH_FUTURE, BIRTH_INVALID, BIRTH_FORMAT, BIRTH_TOO_OLD, BIRTH_RRN_MISMATCH,
        SEX_RRN_MISMATCH, SEX_UNKNOWN, PHONE_ZERO_RESTORED, PHONE_INVALID, RELATION_UNKNOWN,
        SERVICE_FUTURE, SERVICE_INVALID, SERVICE_FORMAT,
    }
) | address_module.MESSAGES  # fmt: skip
"""Every message parse_record can produce."""


class FieldProblem(ValueError):
    """A field value that cannot be used; `message` is Korean and free of the value."""

    def __init__(self, message: str) -> None:
        self.message = message
        super().__init__(message)


@dataclass(slots=True)
class ParsedRecord:
    """One upload row, parsed: normalised values plus the problems found."""

    # Personal values stay out of repr, so a logged or printed record never shows them.
    name: str | None = field(default=None, repr=False)
    # Canonical full form, only when complete; the caller encrypts it.
    rrn: str | None = field(default=None, repr=False)
    rrn_masked: str | None = None
    birth_date: date | None = None
    sex: str | None = None
    foreigner: bool | None = None
    phone: str | None = field(default=None, repr=False)
    home_phone: str | None = field(default=None, repr=False)
    address: ParsedAddress | None = field(default=None, repr=False)
    relation: str | None = None
    household_id: str | None = None
    client_id: str | None = None
    service_name: str | None = None
    service_date: date | None = None
    problems: list[Problem] = field(default_factory=list)

    @property
    def errors(self) -> list[Problem]:
        """Problems that quarantine the row."""
        return [problem for problem in self.problems if problem.error]

    @property
    def warnings(self) -> list[Problem]:
        """Problems noted on an accepted row."""
        return [problem for problem in self.problems if not problem.error]


# --- names ---------------------------------------------------------------------------------
_INVISIBLE_RE = re.compile("[\u200b-\u200d\u2060\ufeff]")
_HANGUL_RE = re.compile("[가-힣]+")
_NAME_PUNCTUATION = frozenset(" -'.·,")
_NAME_MAX = 40
# The common case, already clean: nothing to normalise.
_SIMPLE_NAME_RE = re.compile("[가-힣]{1,40}")


def normalize_name(value: str) -> str:
    """Trim, NFC, collapse spaces; "김 영수" → "김영수". Raises FieldProblem."""
    if "\ufffd" in value:
        raise FieldProblem(NAME_GARBLED)
    if _SIMPLE_NAME_RE.fullmatch(value):
        return value
    # NFC composes conjoining jamo (macOS NFD text) into syllables.
    text = " ".join(unicodedata.normalize("NFC", _INVISIBLE_RE.sub("", value)).split())
    if not text:
        raise FieldProblem(NAME_EMPTY)
    for char in text:
        if char in _NAME_PUNCTUATION:
            continue
        category = unicodedata.category(char)
        if category[0] in "NSPC":
            raise FieldProblem(NAME_SYMBOLS)
    if " " in text:
        parts = text.split(" ")
        # Korean names are written without spaces ("김 영수", "남궁 민수"); longer all-Hangul
        # strings may be two names or a name and a title, so they keep their spaces.
        if all(_HANGUL_RE.fullmatch(part) for part in parts) and len(text) - len(parts) + 1 <= 5:
            text = "".join(parts)
    if len(text) > _NAME_MAX:
        raise FieldProblem(NAME_TOO_LONG)
    return text


# --- dates ---------------------------------------------------------------------------------
_TIME = (
    r"(?:[ T]+(?:오전|오후|AM|PM)?\s*[0-9]{1,2}:[0-9]{2}(?::[0-9]{2}(?:\.[0-9]+)?)?\s*(?:AM|PM)?)?"
)
_SEPARATED_RE = re.compile(
    rf"([0-9]{{4}}|[0-9]{{2}})\s*[-./]\s*([0-9]{{1,2}})\s*[-./]\s*([0-9]{{1,2}})\s*\.?{_TIME}",
    re.IGNORECASE,
)
_KOREAN_DATE_RE = re.compile(r"([0-9]{4}|[0-9]{2})\s*년\s*([0-9]{1,2})\s*월\s*([0-9]{1,2})\s*일?")
_DIGITS_RE = re.compile(r"([0-9]+)(?:\.0+)?")
_ISO_DATE_RE = re.compile("[0-9]{4}-[0-9]{2}-[0-9]{2}")
_EXCEL_EPOCH = date(1899, 12, 30)
_EARLIEST = date(1900, 1, 1)


def _year(text: str, today: date) -> int:
    """Four-digit year; a two-digit one is this century unless that is in the future."""
    year = int(text)
    if len(text) == 2:
        year += 2000 if year <= today.year % 100 else 1900
    return year


def _excel_serial(serial: int) -> date | None:
    """Date of an Excel 1900-system serial number; None for the phantom 1900-02-29."""
    if serial == 60:
        return None
    # Excel counts 1900 as a leap year, so serials after the phantom day are one day ahead.
    return _EXCEL_EPOCH + timedelta(days=serial if serial > 60 else serial + 1)


def parse_date(value: str, *, today: date, field: str = "birth_date") -> date:
    """A date in any common Korean or Excel form. Raises FieldProblem (messages per field)."""
    invalid, unknown = _DATE_MESSAGES.get(field, _DATE_MESSAGES["birth_date"])
    if _ISO_DATE_RE.fullmatch(value):  # the common case, checked before any normalising
        try:
            return date(int(value[:4]), int(value[5:7]), int(value[8:]))
        except ValueError:
            raise FieldProblem(invalid) from None
    text = unicodedata.normalize("NFKC", value).strip()
    match = _SEPARATED_RE.fullmatch(text) or _KOREAN_DATE_RE.fullmatch(text)
    if match:
        year, month, day = match.groups()
    else:
        match = _DIGITS_RE.fullmatch(text)
        if match is None:
            raise FieldProblem(unknown)
        digits = match.group(1)
        if len(digits) == 8:
            year, month, day = digits[:4], digits[4:6], digits[6:]
        elif len(digits) == 6:
            year, month, day = digits[:2], digits[2:4], digits[4:]
        elif len(digits) <= 5 and not (len(digits) == 4 and 1900 <= int(digits) <= 2100):
            # An Excel serial date, accepted only when it lands on a plausible day.
            found = _excel_serial(int(digits))
            if found is None or not _EARLIEST <= found <= today:
                raise FieldProblem(unknown)
            return found
        else:
            raise FieldProblem(unknown)
    try:
        return date(_year(year, today), int(month), int(day))
    except ValueError:
        raise FieldProblem(invalid) from None


# --- sex and relation ------------------------------------------------------------------------
_SEX: dict[str, str] = {}
for _sex, _words in {
    "M": ("남", "남자", "남성", "m", "male", "man", "1", "3", "♂"),
    "F": ("여", "여자", "여성", "f", "female", "woman", "2", "4", "♀"),
}.items():
    _SEX.update(dict.fromkeys(_words, _sex))


def parse_sex(value: str) -> str:
    """'M' or 'F' from 남/여, M/F, male/female or the RRN digit 1-4. Raises FieldProblem."""
    text = "".join(unicodedata.normalize("NFKC", value).split()).lower()
    if text.endswith(".0"):
        text = text[:-2]
    sex = _SEX.get(text)
    if sex is None:
        raise FieldProblem(SEX_UNKNOWN)
    return sex


RELATIONS = ("본인", "배우자", "자녀", "부모", "손자녀", "형제자매", "기타")
_RELATION: dict[str, str] = {}
for _relation, _words in {
    "본인": ("본인", "세대주", "대상자", "자신", "당사자", "수급자", "본", "self", "head"),
    "배우자": ("배우자", "처", "남편", "아내", "부인", "妻", "夫", "spouse", "wife", "husband"),
    "자녀": (
        "자녀", "아들", "딸", "자", "녀", "자식", "장남", "차남", "삼남", "장녀", "차녀",
        "삼녀", "막내", "子", "女", "child", "son", "daughter",
    ),
    "부모": (
        "부모", "부", "모", "아버지", "어머니", "부친", "모친", "父", "母", "계부", "계모",
        "parent", "father", "mother",
    ),
    "손자녀": ("손자녀", "손자", "손녀", "손", "손주", "외손자", "외손녀", "grandchild"),
    "형제자매": (
        "형제자매", "형제", "자매", "남매", "형", "누나", "오빠", "언니", "동생", "남동생",
        "여동생", "sibling", "brother", "sister",
    ),
    "기타": (
        "기타", "며느리", "자부", "사위", "동거인", "동거", "조부", "조모", "할아버지",
        "할머니", "조부모", "시부", "시모", "장인", "장모", "조카", "친척", "손부", "other",
    ),
}.items():  # fmt: skip
    _RELATION.update(dict.fromkeys(_words, _relation))
_PARENTHESISED_RE = re.compile(r"\([^)]*\)?")


def parse_relation(value: str) -> str:
    """One of RELATIONS from the many ways a household register names it. Raises FieldProblem."""
    text = unicodedata.normalize("NFKC", value)
    if "(" in text:
        text = _PARENTHESISED_RE.sub("", text)
    relation = _RELATION.get("".join(text.split()).lower())
    if relation is None:
        raise FieldProblem(RELATION_UNKNOWN)
    return relation


# --- resident registration numbers -----------------------------------------------------------
_SCIENTIFIC_RE = re.compile(r"([0-9])(?:\.([0-9]+))?[eE]\+?([0-9]{1,2})")
_NUMBER_RE = re.compile(r"([0-9]{10,13})(\.0+)?")
_FOREIGN_OR_2000S = frozenset("3478")


def _rrn_message(error: rrn_module.InvalidRRN) -> str:
    """parse_rrn's message without the value: its date messages quote the date."""
    if error.message in (rrn_module.FORMAT_MESSAGE, RRN_SEX_DIGIT):
        return error.message
    if "오늘 이후" in error.message:
        return RRN_FUTURE
    if "생년월일" in error.message:
        return RRN_BAD_DATE
    return rrn_module.FORMAT_MESSAGE


def _parse_rrn_field(value: str, today: date, problems: list[Problem]) -> rrn_module.RRN | None:
    """Parse the RRN cell, undoing what Excel does to 13-digit numbers."""
    text = unicodedata.normalize("NFKC", value).strip().lstrip("'")
    restored = False
    scientific = _SCIENTIFIC_RE.fullmatch(text)
    if scientific:
        lead, fraction, exponent = scientific.groups()
        digits, width = lead + (fraction or ""), int(exponent) + 1
        if not 10 <= width <= 13 or len(digits) > width:
            problems.append(Problem("rrn", rrn_module.FORMAT_MESSAGE, error=True))
            return None
        if len(digits) < width:
            # "8.00101E+12": Excel kept only the leading digits.
            problems.append(Problem("rrn", RRN_EXCEL_LOST, error=True))
            return None
        text, restored = digits.zfill(13), True
    else:
        number = _NUMBER_RE.fullmatch(text)
        if number:
            digits, decimals = number.groups()
            # A number cell drops the leading zero of people born 2000-2009 and may gain ".0".
            restored = bool(decimals) or len(digits) < 13
            text = digits.zfill(13)
            if len(digits) < 13 and text[6] not in _FOREIGN_OR_2000S:
                restored, text = False, digits
    try:
        parsed = rrn_module.parse_rrn(text, today=today)
    except rrn_module.InvalidRRN as error:
        problems.append(Problem("rrn", _rrn_message(error), error=True))
        return None
    if restored:
        problems.append(Problem("rrn", RRN_EXCEL_RESTORED, error=False))
    problems.extend(Problem("rrn", warning, error=False) for warning in parsed.warnings)
    return parsed


# --- phones and identifiers ----------------------------------------------------------------
_LOST_ZERO_RE = re.compile(r"(1[0-9]{9})(?:\.0+)?")


def _parse_phone(value: str, field_name: str, problems: list[Problem]) -> str | None:
    """Canonical phone, repairing the leading zero Excel drops from mobile numbers."""
    text = value.strip()
    if text.endswith(".0") and text[:-2].isascii() and text[:-2].isdigit():
        text = text[:-2]
    canonical = phone_module.normalize_phone(text)
    if canonical is not None:
        return canonical
    lost = _LOST_ZERO_RE.fullmatch(unicodedata.normalize("NFKC", text))
    if lost and lost.group(1).startswith("10"):
        canonical = phone_module.normalize_phone("0" + lost.group(1))
        if canonical is not None:
            problems.append(Problem(field_name, PHONE_ZERO_RESTORED, error=False))
            return canonical
    problems.append(Problem(field_name, PHONE_INVALID, error=False))
    return None


_EXCEL_INTEGER_RE = re.compile(r"([0-9]+)\.0+")


def _identifier(value: str) -> str | None:
    """A trimmed identifier; "123.0" (an Excel number cell) → "123"."""
    if not value:
        return None
    if value.isascii() and value.isalnum():
        return value
    text = " ".join(unicodedata.normalize("NFC", value).split()).lstrip("'")
    match = _EXCEL_INTEGER_RE.fullmatch(text)
    return (match.group(1) if match else text) or None


# --- the row -------------------------------------------------------------------------------
def _cells(values: Mapping[str, str]) -> dict[str, str]:
    """The non-empty cells, stripped."""
    return {
        key: text
        for key, value in values.items()
        if value and (text := (value if value.__class__ is str else str(value)).strip())
    }


def _birth_and_sex(cells: dict[str, str], record: ParsedRecord, today: date) -> None:
    """RRN, birth date and sex, which check one another."""
    problems = record.problems
    raw_rrn = cells.get("rrn", "")
    parsed_rrn = _parse_rrn_field(raw_rrn, today, problems) if raw_rrn else None
    if parsed_rrn is not None:
        record.rrn_masked = parsed_rrn.masked_form
        record.rrn = None if parsed_rrn.masked else parsed_rrn.formatted
        record.birth_date, record.sex = parsed_rrn.birth_date, parsed_rrn.sex
        record.foreigner = parsed_rrn.foreigner

    raw_birth = cells.get("birth_date", "")
    if raw_birth:
        try:
            birth = parse_date(raw_birth, today=today, field="birth_date")
        except FieldProblem as problem:
            problems.append(Problem("birth_date", problem.message, error=True))
        else:
            if birth > today:
                problems.append(Problem("birth_date", BIRTH_FUTURE, error=True))
            elif birth < _EARLIEST:
                problems.append(Problem("birth_date", BIRTH_TOO_OLD, error=True))
            elif parsed_rrn is None:
                record.birth_date = birth
            elif birth != parsed_rrn.birth_date:
                problems.append(Problem("birth_date", BIRTH_RRN_MISMATCH, error=True))
    elif not raw_rrn:
        problems.append(Problem("rrn", RRN_OR_BIRTH, error=True))

    raw_sex = cells.get("sex", "")
    if raw_sex:
        try:
            sex = parse_sex(raw_sex)
        except FieldProblem as problem:
            problems.append(Problem("sex", problem.message, error=False))
        else:
            if parsed_rrn is None:
                record.sex = sex
            elif sex != parsed_rrn.sex:
                problems.append(Problem("sex", SEX_RRN_MISMATCH, error=False))


def parse_record(values: Mapping[str, str], *, gazetteer: Gazetteer, today: date) -> ParsedRecord:
    """Parse one mapped row (target field → raw cell text). Never raises for any text."""
    record = ParsedRecord()
    problems = record.problems
    cells = _cells(values)

    raw_name = cells.get("name", "")
    try:
        record.name = normalize_name(raw_name)
    except FieldProblem as problem:
        problems.append(Problem("name", problem.message, error=True))

    _birth_and_sex(cells, record, today)

    for key in ("phone", "home_phone"):
        raw = cells.get(key, "")
        if raw:
            setattr(record, key, _parse_phone(raw, key, problems))

    raw_address, raw_dong = cells.get("address", ""), cells.get("dong", "")
    raw_detail = cells.get("address_detail", "")
    if raw_address or raw_dong or raw_detail:
        record.address, address_problems = address_module.parse_address(
            raw_address, detail=raw_detail, dong=raw_dong, gazetteer=gazetteer
        )
        problems.extend(address_problems)

    raw_relation = cells.get("relation", "")
    if raw_relation:
        try:
            record.relation = parse_relation(raw_relation)
        except FieldProblem as problem:
            problems.append(Problem("relation", problem.message, error=False))

    record.household_id = _identifier(cells.get("household_id", ""))
    record.client_id = _identifier(cells.get("client_id", ""))
    service_name = cells.get("service_name", "")
    if service_name:
        record.service_name = " ".join(unicodedata.normalize("NFC", service_name).split())

    raw_service_date = cells.get("service_date", "")
    if raw_service_date:
        try:
            service_date = parse_date(raw_service_date, today=today, field="service_date")
        except FieldProblem as problem:
            problems.append(Problem("service_date", problem.message, error=True))
        else:
            if service_date > today:
                problems.append(Problem("service_date", SERVICE_FUTURE, error=False))
            else:
                record.service_date = service_date
    return record


# --- column mapping ------------------------------------------------------------------------
# Mobile-specific names win the phone column over a generic "전화번호" or "연락처".
_MOBILE_SYNONYMS = (
    "휴대폰", "휴대전화", "핸드폰", "휴대폰번호", "휴대전화번호", "핸드폰번호", "mobile",
    "mobile_phone", "cell_phone",
)  # fmt: skip
HEADER_SYNONYMS: dict[str, tuple[str, ...]] = {
    "name": (
        "성명", "이름", "성함", "수급자명", "대상자명", "이용자명", "수급자성명", "대상자성명",
        "이용자성명", "회원명", "고객명", "name", "full_name", "client_name",
    ),
    "rrn": (
        "주민등록번호", "주민번호", "주민등록", "rrn", "resident_no", "resident_number",
        "resident_registration_number", "jumin_no",
    ),
    "birth_date": (
        "생년월일", "생일", "출생일", "출생일자", "dob", "birth_date", "date_of_birth", "birthday",
    ),
    "sex": ("성별", "남녀", "sex", "gender"),
    "phone": (
        *_MOBILE_SYNONYMS,
        "연락처", "전화번호", "전화", "phone", "phone_number", "tel", "telephone", "contact",
    ),
    "home_phone": (
        "집전화", "자택전화", "유선전화", "집전화번호", "자택전화번호", "유선전화번호",
        "home_phone", "home_tel", "landline",
    ),
    "address": (
        "주소", "도로명주소", "지번주소", "거주지", "거주지주소", "실거주지", "주소지",
        "address", "addr", "road_address",
    ),
    "address_detail": (
        "상세주소", "동호수", "나머지주소", "주소상세", "address_detail", "detail_address",
        "address2",
    ),
    "dong": ("행정동", "관할동", "동", "행정동명", "관할주민센터", "주민센터", "dong", "adm_dong"),
    "relation": (
        "가구원관계", "관계", "세대주와의관계", "세대주관계", "가족관계", "relation",
        "relationship",
    ),
    "household_id": ("가구번호", "세대번호", "household_id", "household_no"),
    "client_id": (
        "관리번호", "이용자번호", "회원번호", "대상자번호", "client_id", "client_no",
        "member_id", "member_no",
    ),
    "service_name": (
        "서비스명", "제공서비스", "서비스", "서비스내용", "사업명", "service", "service_name",
    ),
    "service_date": (
        "제공일", "서비스일자", "이용일", "제공일자", "이용일자", "서비스제공일", "방문일",
        "service_date",
    ),
}  # fmt: skip

_HEADER_NOISE_RE = re.compile(r"\([^)]*\)|\[[^\]]*\]|[\s_\-.*:·/#]")
_TRAILING_DIGITS_RE = re.compile(r"(?<=\D)[0-9]+$")
# Generic phone headers that, next to a mobile column, mean the landline.
_LANDLINE_KEYS = frozenset({"전화번호", "전화", "phone", "phonenumber", "tel", "telephone"})


def _header_key(header: str) -> str:
    """NFKC, no spaces/underscores/parenthesised notes, lower case: "성명(한글)" → "성명"."""
    text = unicodedata.normalize("NFKC", header).replace("\ufeff", "")
    return _HEADER_NOISE_RE.sub("", text).lower()


_SYNONYM_INDEX: dict[str, str] = {
    _header_key(synonym): target
    for target, synonyms in HEADER_SYNONYMS.items()
    for synonym in synonyms
}
_MOBILE_KEYS = frozenset(map(_header_key, _MOBILE_SYNONYMS))


def suggest_mapping(headers: list[str]) -> dict[str, str | None]:
    """Header → target field (or None to keep the column raw); each target used at most once."""
    found: list[tuple[int, int, str, str]] = []  # (tier, position, header key, target)
    for position, header in enumerate(headers):
        key = _header_key(header)
        target = _SYNONYM_INDEX.get(key)
        tier = 0
        if target is None:  # "연락처1", "주소2"
            target, tier = _SYNONYM_INDEX.get(_TRAILING_DIGITS_RE.sub("", key)), 2
        if target is None:
            continue
        if target == "phone" and key not in _MOBILE_KEYS:
            tier += 1
        found.append((tier, position, key, target))

    mapping: dict[str, str | None] = dict.fromkeys(headers)
    used: set[str] = set()
    leftovers: list[tuple[int, str, str]] = []
    for _tier, position, key, target in sorted(found):
        if target in used:
            leftovers.append((position, key, target))
        else:
            used.add(target)
            mapping[headers[position]] = target
    # A second phone or address column: the landline next to a mobile, "주소2" as the detail.
    for position, key, target in sorted(leftovers):
        if target == "phone" and key in _LANDLINE_KEYS:
            second = "home_phone"
        elif target == "address" and key.endswith("2"):
            second = "address_detail"
        else:
            continue
        if second not in used:
            used.add(second)
            mapping[headers[position]] = second
    return mapping
