"""Normalisation of source records into flat, comparable fields for probabilistic linkage."""

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from bigcare.privacy.phone import is_mobile, normalize_phone
from bigcare.privacy.rrn import Sex, parse_rrn

# Surnames written with two syllables. A three-syllable name starting with one of these is
# read as surname + one syllable ("황보영" → 황보 + 영) even where 황 + 보영 is possible: the
# split only has to be the same for every record of a person, and the full name still
# takes part in the comparison through name_jamo.
TWO_SYLLABLE_SURNAMES = frozenset(
    {"남궁", "황보", "제갈", "선우", "독고", "사공", "서문", "동방", "어금", "망절", "장곡"}
)

_SYLLABLE_FIRST, _SYLLABLE_LAST = 0xAC00, 0xD7A3
# Each leading consonant (초성) spans 21 vowels × 28 finals = 588 syllables.
_SYLLABLES_PER_INITIAL = 588
_CHOSEONG = "ㄱㄲㄴㄷㄸㄹㅁㅂㅃㅅㅆㅇㅈㅉㅊㅋㅌㅍㅎ"
_INITIAL_OF: dict[str, str] = {
    chr(code): _CHOSEONG[(code - _SYLLABLE_FIRST) // _SYLLABLES_PER_INITIAL]
    for code in range(_SYLLABLE_FIRST, _SYLLABLE_LAST + 1)
}
# A consonant typed on its own (an unfinished IME syllable) is already an initial.
_INITIAL_OF.update({c: c for c in "ㄱㄲㄴㄷㄸㄹㅁㅂㅃㅅㅆㅇㅈㅉㅊㅋㅌㅍㅎ"})


class _DropOthers(dict[int, str]):
    """A str.translate table that drops every character it does not map."""

    def __missing__(self, key: int) -> None:
        return None


_INITIAL_TABLE = _DropOthers({ord(c): initial for c, initial in _INITIAL_OF.items()})

_HANGUL_RE = re.compile("[\uac00-\ud7a3\u1100-\u11ff\u3131-\u318e]")
_LETTERS_RE = re.compile(r"[^\W\d_]+")
_DASHES_RE = re.compile("[\u2010-\u2015\u2212]")
_SPACE_RE = re.compile(r"\s+")
# A unit's numbers: "101동 1203호" → 101, 1203; "지하1층"/"B1" mark a basement number.
_UNIT_NUMBER_RE = re.compile(r"(?:(지하|(?<![A-Z])B)\s*)?([0-9]+)")


@dataclass(frozen=True, slots=True)
class RrnParts:
    """What a resident registration number says; every field None when it says nothing."""

    # "800101-1234567"; kept out of repr (like RRN.back) and out of every match record.
    full: str | None = field(default=None, repr=False)
    front7: str | None = None  # "8001011": birth date and sex digit, also known when masked
    birth: date | None = None
    sex: Sex | None = None
    foreigner: bool | None = None


@dataclass(frozen=True, slots=True)
class PhoneKey:
    """The last 8 digits of a phone number and whether it is a mobile."""

    last8: str | None = None
    mobile: bool | None = None


@dataclass(frozen=True, slots=True)
class AddressKeys:
    """Address fields reduced to exact-match keys."""

    dong: str | None = None
    road_building: str | None = None  # "개포로22길|5-3"
    lot: str | None = None  # "개포동|산12-3"
    unit: str | None = None  # "101-1203"; "B1" for a basement


def _clean(name: object) -> tuple[str, bool]:
    """The name in NFC with spaces removed (Hangul) or single-spaced (other), and is-Hangul."""
    if not isinstance(name, str):
        return "", False
    text = unicodedata.normalize("NFC", name)
    compact = "".join(text.split())
    # Checking the first syllable spares the regex for nearly every Korean name.
    if compact and ("\uac00" <= compact[0] <= "\ud7a3" or _HANGUL_RE.search(compact) is not None):
        return compact, True
    return " ".join(text.split()), False


def clean_name(name: str | None) -> str | None:
    """The name as compared: NFC, no spaces if Hangul, else single-spaced upper case."""
    text, hangul = _clean(name)
    if not hangul:
        text = text.upper()
    return text or None


def jamo(name: str) -> str:
    """Hangul names as conjoining jamo ("김" → "ᄀ" "ᅵ" "ᆷ"); others as casefolded letters."""
    text, hangul = _clean(name)
    if hangul:
        return unicodedata.normalize("NFD", text)
    return "".join(_LETTERS_RE.findall(text.casefold()))


def initials(name: str) -> str:
    """초성 as compatibility jamo ("김철수" → "ㄱㅊㅅ"); others as upper-case word initials."""
    text, hangul = _clean(name)
    if hangul:
        return text.translate(_INITIAL_TABLE)
    return "".join([word[0] for word in _LETTERS_RE.findall(text)]).upper()


def _split_name(name: object) -> tuple[str | None, str | None]:
    """(surname, given name); a Latin name is read surname first, as on an alien card."""
    text, hangul = _clean(name)
    if not hangul:
        words = _LETTERS_RE.findall(text.upper())
        if not words:
            return None, None
        return words[0], " ".join(words[1:]) or None
    if not text or not _SYLLABLE_FIRST <= ord(text[0]) <= _SYLLABLE_LAST:
        return None, None
    size = 2 if len(text) >= 3 and text[:2] in TWO_SYLLABLE_SURNAMES else 1
    return text[:size], text[size:] or None


def surname(name: str) -> str | None:
    """Two-syllable surnames first ("남궁옥분" → "남궁"), else the first syllable."""
    return _split_name(name)[0]


def given_name(name: str) -> str | None:
    """The name after the surname ("남궁옥분" → "옥분"), or None."""
    return _split_name(name)[1]


def rrn_parts(rrn: str | None, masked: str | None) -> RrnParts:
    """Parts of the full number, else of the masked one (front7 only); empty for junk."""
    for value in (rrn, masked):
        if not isinstance(value, str) or not value.strip():
            continue
        try:
            parsed = parse_rrn(value)
        except ValueError:
            continue
        return RrnParts(
            full=None if parsed.masked else parsed.formatted,
            front7=parsed.front + parsed.sex_digit,
            birth=parsed.birth_date,
            sex=parsed.sex,
            foreigner=parsed.foreigner,
        )
    return RrnParts()


def birth_year(birth: date | None) -> int | None:
    """The year of a birth date, or None."""
    return birth.year if isinstance(birth, date) else None


def phone_key(phone: str | None) -> PhoneKey:
    """Last 8 digits of the normalised number and its mobile flag.

    For a 9-digit Seoul landline ("02-123-4567") the last 8 digits include the final digit of
    the area code ("21234567"); what matters is that the same number always gives the same key.
    """
    if not isinstance(phone, str):
        return PhoneKey()
    canonical = normalize_phone(phone)
    if canonical is None:
        return PhoneKey()
    return PhoneKey(last8=canonical.replace("-", "")[-8:], mobile=is_mobile(canonical))


def _compact(value: object) -> str | None:
    """NFKC text with canonical hyphens and no spaces, or None when empty or not text."""
    if not isinstance(value, str):
        return None
    text = _SPACE_RE.sub("", _DASHES_RE.sub("-", unicodedata.normalize("NFKC", value)))
    return text or None


def normalize_unit(unit: str | None) -> str | None:
    """The unit's numbers joined by "-" ("101동 1203호" → "101-1203", "지하1층" → "B1")."""
    if not isinstance(unit, str):
        return None
    text = unicodedata.normalize("NFKC", unit).upper()
    numbers = [
        ("B" if basement else "") + str(int(digits))
        for basement, digits in _UNIT_NUMBER_RE.findall(text)
    ]
    return "-".join(numbers) or None


def address_keys(
    *,
    dong_code: str | None = None,
    road: str | None = None,
    building_no: str | None = None,
    lot_no: str | None = None,
    legal_dong: str | None = None,
    unit: str | None = None,
) -> AddressKeys:
    """Exact-match keys for the dong, road + building number, legal dong + lot, and unit."""
    road_, building = _compact(road), _compact(building_no)
    lot = _compact(lot_no)
    if lot is not None:
        lot = lot.removesuffix("번지").removesuffix("번") or None
    dong_name = _compact(legal_dong)
    return AddressKeys(
        dong=_compact(dong_code),
        road_building=f"{road_}|{building}" if road_ and building else None,
        lot=f"{dong_name}|{lot}" if dong_name and lot else None,
        unit=normalize_unit(unit),
    )


def _as_date(value: object) -> date | None:
    """A date from a date, datetime or ISO string; None otherwise."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            return None
    return None


def _as_sex(value: object) -> Sex | None:
    """'M' or 'F' from a recorded sex, else None."""
    if not isinstance(value, str):
        return None
    text = value.strip().upper()
    if text == "M":
        return "M"
    if text == "F":
        return "F"
    return None


def match_record(
    *,
    name: str | None = None,
    rrn: str | None = None,
    rrn_masked: str | None = None,
    birth_date: date | None = None,
    sex: str | None = None,
    phone: str | None = None,
    home_phone: str | None = None,
    gu_code: str | None = None,
    dong_code: str | None = None,
    road: str | None = None,
    building_no: str | None = None,
    lot_no: str | None = None,
    legal_dong: str | None = None,
    unit: str | None = None,
) -> dict[str, object]:
    """One flat record for Splink. `rrn` is the decrypted number; it never appears in the
    output (the caller adds a keyed hash), only its front seven digits."""
    rrn_ = rrn_parts(rrn, rrn_masked)
    birth = _as_date(birth_date) or rrn_.birth
    mobile, home = phone_key(phone), phone_key(home_phone)
    address = address_keys(
        dong_code=dong_code,
        road=road,
        building_no=building_no,
        lot_no=lot_no,
        legal_dong=legal_dong,
        unit=unit,
    )
    family, given = _split_name(name)
    return {
        "name": clean_name(name),
        "name_jamo": jamo(name) or None,
        "name_initials": initials(name) or None,
        "surname": family,
        "given_name": given,
        "rrn_front7": rrn_.front7,
        "birth_date": birth.isoformat() if birth else None,
        "birth_year": birth_year(birth),
        # The RRN is issued from the registry, so it beats what a facility typed.
        "sex": rrn_.sex or _as_sex(sex),
        "phone_last8": mobile.last8,
        "phone_mobile": mobile.mobile,
        "home_last8": home.last8,
        "gu": _compact(gu_code),
        "dong": address.dong,
        "road_building": address.road_building,
        "lot": address.lot,
        "unit": address.unit,
    }


def node_keys(fields: Mapping[str, Any]) -> dict[str, object]:
    """engine.KEY_COLUMNS from a source record's parsed fields (the row's columns). The full
    RRN is not needed: its blind index compares, the masked form gives the front 7."""
    keys = match_record(
        name=fields.get("name"),
        rrn_masked=fields.get("rrn_masked"),
        birth_date=fields.get("birth_date"),
        sex=fields.get("sex"),
        phone=fields.get("phone"),
        home_phone=fields.get("home_phone"),
        gu_code=fields.get("gu_code"),
        dong_code=fields.get("dong_code"),
        road=fields.get("road"),
        building_no=fields.get("building_no"),
        lot_no=fields.get("lot_no"),
        legal_dong=fields.get("legal_dong"),
        unit=fields.get("unit"),
    )
    return {
        "name_jamo": keys["name_jamo"],
        "surname": keys["surname"],
        "rrn_index": fields.get("rrn_index"),
        "rrn_front7": keys["rrn_front7"],
        "birth_date": keys["birth_date"],
        "birth_year": keys["birth_year"],
        "sex": keys["sex"],
        "phone_last8": keys["phone_last8"],
        "home_last8": keys["home_last8"],
        "dong": keys["dong"],
        "road_building": keys["road_building"],
        "lot": keys["lot"],
        "unit": keys["unit"],
        "area": _area(fields.get("gu_code"), fields.get("legal_dong")),
        "gu": keys["gu"],
    }


def _area(gu_code: object, legal_dong: object) -> str | None:
    """Gu and legal dong ("11230|개포동"): what a lot-number address and a road address with
    its dong in brackets share even when neither resolved to an administrative dong."""
    gu, dong = _compact(gu_code), _compact(legal_dong)
    return f"{gu}|{dong}" if gu and dong else None
