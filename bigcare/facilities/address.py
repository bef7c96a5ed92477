"""Korean addresses: parse road-name and lot-number forms and resolve them to Seoul's dongs."""

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, replace
from functools import lru_cache
from typing import Literal, Protocol

NO_GU = "주소에서 자치구를 찾을 수 없습니다"
OUTSIDE_SEOUL = "서울 밖 주소입니다"
GU_LEVEL = "행정동을 정할 수 없어 구 단위로 두었습니다 (담당자가 동을 지정해야 합니다)"
DONG_GU_MISMATCH = "행정동이 주소의 자치구와 맞지 않습니다"
DONG_UNKNOWN = "행정동을 찾을 수 없습니다"

MESSAGES: frozenset[str] = frozenset(
    {NO_GU, OUTSIDE_SEOUL, GU_LEVEL, DONG_GU_MISMATCH, DONG_UNKNOWN}
)

SEOUL = "서울특별시"


@dataclass(frozen=True, slots=True)
class Problem:
    """One finding about one field of a row: an error quarantines the row, a warning notes it."""

    field: str  # target key
    message: str  # Korean, never containing the value
    error: bool


@dataclass(frozen=True, slots=True)
class ParsedAddress:
    """An address split into its parts, with the administrative dong it resolves to."""

    text: str
    kind: Literal["road", "lot", "unknown"]
    sido: str | None
    gu_code: str | None
    dong_code: str | None
    dong_source: Literal["dong_column", "address", "legal_dong", "geocoder"] | None
    legal_dong: str | None
    road: str | None
    building_no: str | None
    lot_no: str | None
    unit: str | None
    candidates: tuple[str, ...] = ()


class Geocoder(Protocol):
    """Resolves an address to an administrative dong code; must return None on any failure."""

    def locate(self, address: ParsedAddress) -> str | None: ...


class NoGeocoder:
    """The geocoder used when none is configured: never resolves anything."""

    def locate(self, address: ParsedAddress) -> str | None:
        """Always None."""
        return None


# Legal dongs split across administrative dongs whose names do not derive from the legal
# name: the name heuristic alone would map e.g. 관악구 신림동 to the one admin dong still
# called 신림동, which is wrong for most of its addresses.
_LEGAL_OVERRIDES: dict[tuple[str, str], tuple[str, ...]] = {
    ("관악구", "봉천동"): (
        "보라매동", "청림동", "성현동", "행운동", "낙성대동", "청룡동", "은천동", "중앙동",
        "인헌동",
    ),
    ("관악구", "신림동"): (
        "서원동", "신원동", "서림동", "신사동", "신림동", "난향동", "조원동", "대학동",
        "삼성동", "미성동", "난곡동",
    ),
    ("강북구", "미아동"): ("삼양동", "미아동", "송중동", "송천동", "삼각산동"),
    ("중구", "신당동"): ("신당동", "다산동", "약수동", "청구동", "신당5동", "동화동", "황학동"),
}  # fmt: skip

_SEPARATORS_RE = re.compile("[.,ㆍ\u119e・･/]")
_JE_RE = re.compile("제([0-9])")
_CENTER_RE = re.compile("(?:주민센터|행정복지센터|주민자치센터|동사무소)$")
_ADMIN_NUMBERED_RE = re.compile("(.+?)(?:[0-9]+(?:·[0-9]+)*|본)동")
_ADMIN_GA_RE = re.compile("(.+?)([0-9]+(?:·[0-9]+)*)가(?:[0-9]*)동")
_LEGAL_GA_RE = re.compile("[0-9]+가$")
_ADMIN_LOOKING_RE = re.compile("(?:[0-9]동|본동|가동|·)")
_DIGITS7_RE = re.compile("[0-9]{7}")
_NAT_RE = re.compile(r"([0-9]+)")


@lru_cache(maxsize=4096)
def _dong_key(name: str) -> str:
    """Lookup key for a dong name: "개포 제1동" → "개포1동", "상계3.4동" → "상계3·4동"."""
    text = unicodedata.normalize("NFKC", name.replace("ㆍ", "·"))
    text = "".join(text.split())
    text = _SEPARATORS_RE.sub("·", text)
    return _JE_RE.sub(r"\1", text)


def _legal_names(admin_name: str) -> list[str]:
    """The legal dong names an admin dong name suggests ("개포1동" → ["개포동"])."""
    match = _ADMIN_GA_RE.fullmatch(admin_name)
    if match:
        stem, numbers = match.groups()
        # Both spellings occur: 종로구 has 종로1가, 성동구 has 금호동1가.
        names = []
        for number in numbers.split("·"):
            names += [f"{stem}{number}가", f"{stem}동{number}가"]
        return names
    match = _ADMIN_NUMBERED_RE.fullmatch(admin_name)
    if match:
        return [match.group(1) + "동"]
    return [admin_name]


def _natural(name: str) -> tuple[object, ...]:
    """Sort key putting 개포2동 before 개포10동."""
    return tuple(int(part) if part.isdigit() else part for part in _NAT_RE.split(name))


class Gazetteer:
    """Seoul's gu and administrative dongs by name, built from rows loaded from the database."""

    def __init__(self, dongs: Iterable[tuple[str, str, str, str]]) -> None:
        self._gu_by_key: dict[str, str] = {}
        self.gu_names: dict[str, str] = {}
        self.dong_names: dict[str, str] = {}
        self._gu_of: dict[str, str] = {}
        self._by_gu_key: dict[tuple[str, str], str] = {}
        self._by_key: dict[str, list[str]] = {}
        legal: dict[tuple[str, str], list[str]] = {}
        rows = sorted(dongs, key=lambda row: (row[1], _natural(row[3])))
        for dong_code, gu_code, gu_name, dong_name in rows:
            self.gu_names[gu_code] = gu_name
            self.dong_names[dong_code] = dong_name
            self._gu_of[dong_code] = gu_code
            key = _dong_key(dong_name)
            self._by_gu_key[(gu_code, key)] = dong_code
            self._by_key.setdefault(key, []).append(dong_code)
            for legal_name in _legal_names(key):
                legal.setdefault((gu_code, legal_name), []).append(dong_code)
        for gu_code, gu_name in self.gu_names.items():
            self._gu_by_key[gu_name] = gu_code
            self._gu_by_key[gu_code] = gu_code
            # "강남" for 강남구, but never the one-syllable "중" for 중구.
            if len(gu_name) > 2:
                self._gu_by_key.setdefault(gu_name[:-1], gu_code)
        for (gu_name, legal_name), admin_names in _LEGAL_OVERRIDES.items():
            gu_code = self._gu_by_key.get(gu_name)
            codes = [self._by_gu_key.get((gu_code or "", name)) for name in admin_names]
            if gu_code and all(codes):
                found = sorted(admin_names, key=_natural)
                legal[(gu_code, legal_name)] = [self._by_gu_key[(gu_code, n)] for n in found]
        self._legal = {key: tuple(codes) for key, codes in legal.items()}
        full = sorted(self.gu_names.values(), key=len, reverse=True)
        short = sorted(
            (name[:-1] for name in self.gu_names.values() if len(name) > 2), key=len, reverse=True
        )
        self.gu_full_re = re.compile("(" + "|".join(map(re.escape, full)) + r")[\s,]*")
        self.gu_short_re = re.compile("(" + "|".join(map(re.escape, short)) + r")(?:[\s,]+|$)")
        self.address_cache: dict[
            tuple[str, str, str], tuple[ParsedAddress, tuple[Problem, ...], bool]
        ] = {}

    def gu_code(self, name: str) -> str | None:
        """KOSTAT gu code for "강남구", "강남" or "11230"; None when not a Seoul gu."""
        return self._gu_by_key.get("".join(unicodedata.normalize("NFKC", name).split()))

    def gu_of(self, dong_code: str) -> str | None:
        """The gu code of a known admin dong code."""
        return self._gu_of.get(dong_code)

    def dong_code(self, gu_code: str | None, name: str) -> str | None:
        """Admin dong by name or 7-digit code inside a gu, or unique city-wide when gu is None."""
        codes = self.dong_codes(gu_code, name)
        return codes[0] if len(codes) == 1 else None

    def dong_codes(self, gu_code: str | None, name: str) -> tuple[str, ...]:
        """Every admin dong the name (or code) can denote inside the gu, or city-wide."""
        key = _dong_key(name)
        if _DIGITS7_RE.fullmatch(key):
            found = self._gu_of.get(key)
            return (key,) if found and gu_code in (None, found) else ()
        key = _CENTER_RE.sub("", key)
        if not key:
            return ()
        keys = (key,) if key.endswith("동") else (key, key + "동")
        for candidate in keys:
            if gu_code is not None:
                code = self._by_gu_key.get((gu_code, candidate))
                if code:
                    return (code,)
            elif candidate in self._by_key:
                return tuple(self._by_key[candidate])
        return ()

    def legal_to_admin(self, gu_code: str, legal_dong: str) -> tuple[str, ...]:
        """Admin dong codes a legal dong (법정동) may belong to, by name; empty when unknown."""
        key = _dong_key(legal_dong)
        codes = self._legal.get((gu_code, key))
        if codes:
            return codes
        # 을지로3가 → 을지로동, 한강로2가 → 한강로동: the admin dong named after the street.
        if _LEGAL_GA_RE.search(key):
            stem = _LEGAL_GA_RE.sub("", key)
            if not stem.endswith("동"):
                stem += "동"
            return self._legal.get((gu_code, stem), ())
        return ()


_SIDO_ALIASES: dict[str, str] = {}
for _sido, _aliases in {
    "부산광역시": ("부산", "부산시"),
    "대구광역시": ("대구", "대구시"),
    "인천광역시": ("인천", "인천시"),
    "광주광역시": ("광주", "광주시"),
    "대전광역시": ("대전", "대전시"),
    "울산광역시": ("울산", "울산시"),
    "세종특별자치시": ("세종", "세종시"),
    "경기도": ("경기",),
    "강원특별자치도": ("강원", "강원도"),
    "충청북도": ("충북",),
    "충청남도": ("충남",),
    "전북특별자치도": ("전북", "전라북도"),
    "전라남도": ("전남",),
    "경상북도": ("경북",),
    "경상남도": ("경남",),
    "제주특별자치도": ("제주", "제주도"),
}.items():
    _SIDO_ALIASES[_sido] = _sido
    for _alias in _aliases:
        _SIDO_ALIASES[_alias] = _sido

_SEOUL_RE = re.compile(r"(?:서울특별시|서울시|서울)(?:\s*특별시)?(?:[\s,]+|$|(?=[가-힣]+구))")
_OTHER_CITY_RE = re.compile(r"[가-힣]+[시군](?:\s|$)")
_DASHES_RE = re.compile("[\u2010-\u2015\u2212]")
_NUM_DASH_RE = re.compile(r"(?<=[0-9])\s*-\s*(?=[0-9])")
_COMMA_RE = re.compile(r"\s*,\s*")
_OPEN_RE = re.compile(r"\s*\(\s*")
_CLOSE_RE = re.compile(r"\s*\)")
_PARENS_RE = re.compile(r"\(([^()]*)\)?")
_NUMBER = r"[0-9]+(?:-[0-9]+)?"
_END = r"(?:번지|번)?(?=$|[\s,])"
_DONG_TOKEN = "[가-힣0-9·]+?(?:동|가)"  # noqa: S105 (a pattern)
_ROAD_RE = re.compile(
    rf"(?:(?P<dong>{_DONG_TOKEN})\s+)?"
    r"(?P<road>[가-힣A-Za-z0-9·]*?[가-힣A-Za-z](?:대로|로|길)(?:\s*[0-9]+번?[가-힣]?길)?)"
    rf"\s*(?P<number>(?:지하\s*)?{_NUMBER}){_END}"
)
_LOT_RE = re.compile(rf"(?P<dong>{_DONG_TOKEN})\s*(?P<number>(?:산\s*)?{_NUMBER})\s*{_END}")
_DONG_ONLY_RE = re.compile(rf"(?P<dong>{_DONG_TOKEN})(?=$|[\s,])")
_PAREN_DONG_RE = re.compile("[가-힣0-9·]+(?:동|가|로)")


def clean_text(text: str) -> str:
    """NFKC, one space between words, canonical hyphens, commas and parentheses."""
    text = unicodedata.normalize("NFKC", text.replace("ㆍ", "·"))
    text = _DASHES_RE.sub("-", " ".join(text.split()))
    if "-" in text:
        text = _NUM_DASH_RE.sub("-", text)
    if "," in text:
        text = _COMMA_RE.sub(", ", text)
    if "(" in text or ")" in text:
        text = _CLOSE_RE.sub(")", _OPEN_RE.sub(" (", text)).strip()
    return text.strip(" ,")


@dataclass(slots=True)
class _Parts:
    """What the text alone says, before any dong resolution."""

    text: str
    kind: Literal["road", "lot", "unknown"] = "unknown"
    sido: str | None = None
    gu_code: str | None = None
    outside: bool = False
    named_dong: str | None = None  # the dong token written in the text (admin or legal)
    paren_dong: str | None = None
    road: str | None = None
    building_no: str | None = None
    lot_no: str | None = None
    unit: str | None = None


def _split_text(text: str, gazetteer: Gazetteer) -> _Parts:
    """Sido, gu, road or lot, number and unit from cleaned address text."""
    parts = _Parts(text=text)
    if not text:
        return parts
    pos = 0
    seoul = _SEOUL_RE.match(text)
    if seoul:
        parts.sido, pos = SEOUL, seoul.end()
    else:
        first = text.split(" ", 1)[0].rstrip(",")
        other = _SIDO_ALIASES.get(first)
        if other or _OTHER_CITY_RE.match(text):
            parts.sido, parts.outside = other, True
            return parts
    gu = gazetteer.gu_full_re.match(text, pos)
    if gu is None and seoul:
        gu = gazetteer.gu_short_re.match(text, pos)
    if gu is None:
        if seoul:
            parts.text = f"{SEOUL} {text[pos:]}".strip()
        return _split_rest(parts, text[pos:])
    parts.sido = SEOUL
    parts.gu_code = gu_code = gazetteer.gu_code(gu.group(1)) or ""
    gu_name = gazetteer.gu_names[gu_code]
    rest = text[gu.end() :]
    parts.text = f"{SEOUL} {gu_name} {rest}".strip()
    return _split_rest(parts, rest)


def _split_rest(parts: _Parts, rest: str) -> _Parts:
    """Road/lot, number and unit from the text after the gu."""
    if "(" in rest:
        first = _PARENS_RE.search(rest)
        if first:
            item = first.group(1).split(",", 1)[0].strip()
            if _PAREN_DONG_RE.fullmatch(item):
                parts.paren_dong = item
        rest = " ".join(_PARENS_RE.sub(" ", rest).split())
    head, _, tail = rest.partition(",")
    head, tail = head.strip(), tail.strip(" ,")
    match = _ROAD_RE.match(head)
    if match:
        parts.kind, parts.road = "road", "".join(match.group("road").split())
        parts.building_no = "".join(match.group("number").split()).replace("지하", "지하 ")
    else:
        match = _LOT_RE.match(head)
        if match:
            parts.kind = "lot"
            parts.lot_no = "".join(match.group("number").split())
        else:
            match = _DONG_ONLY_RE.match(head)
    if match is not None:
        parts.named_dong = match.group("dong")
        after = head[match.end() :].strip(" ,")
        parts.unit = f"{after} {tail}" if after and tail else (after or tail or None)
    return parts


def _merge_unit(unit: str | None, detail: str | None) -> str | None:
    """The unit from the text and the detail column, without repeating one inside the other."""
    if not detail:
        return unit
    if not unit or unit in detail:
        return detail
    if detail in unit:
        return unit
    return f"{unit} {detail}"


@dataclass(slots=True)
class _Resolution:
    code: str | None = None
    source: Literal["dong_column", "address", "legal_dong", "geocoder"] | None = None
    candidates: tuple[str, ...] = ()


def _from_dong_column(
    dong: str, gu_code: str | None, gazetteer: Gazetteer, problems: list[Problem]
) -> _Resolution:
    """Resolve the 행정동 column, inside the address's gu when known."""
    # Many systems export the column as "영등포구 당산1동" (or with 서울특별시 in front).
    tokens = dong.split()
    if len(tokens) > 1:
        named = next((c for t in tokens[:-1] if (c := gazetteer.gu_code(t))), None)
        if named is not None:
            gu_code = named if gu_code is None else gu_code
            dong = " ".join(tokens[[gazetteer.gu_code(t) for t in tokens].index(named) + 1 :])
    codes = gazetteer.dong_codes(gu_code, dong)
    if len(codes) == 1:
        return _Resolution(codes[0], "dong_column")
    if codes:  # no gu, and several gus have a dong of that name (신사동)
        return _Resolution(candidates=codes)
    # Facilities often put the legal dong (개포동) in their 동 column.
    gus = [gu_code] if gu_code else list(gazetteer.gu_names)
    legal = tuple(code for gu in gus for code in gazetteer.legal_to_admin(gu, dong))
    if len(legal) == 1:
        return _Resolution(legal[0], "dong_column")
    if legal:
        return _Resolution(candidates=legal)
    elsewhere = gu_code is not None and gazetteer.dong_codes(None, dong)
    problems.append(Problem("dong", DONG_GU_MISMATCH if elsewhere else DONG_UNKNOWN, error=False))
    return _Resolution()


def _from_text(parts: _Parts, gazetteer: Gazetteer) -> _Resolution:
    """Resolve the dong written in the address: an admin name, else a legal dong."""
    gu_code = parts.gu_code
    candidates: tuple[str, ...] = ()
    if parts.named_dong:
        code = gazetteer.dong_code(gu_code, parts.named_dong)
        if gu_code is None:
            return _Resolution(code, "address") if code else _Resolution()
        legal = gazetteer.legal_to_admin(gu_code, parts.named_dong)
        # A name that is both an admin dong and a legal dong spanning several (관악구 신림동)
        # is read as the legal dong.
        if code and len(legal) <= 1:
            return _Resolution(code, "address")
        if len(legal) == 1:
            return _Resolution(legal[0], "legal_dong")
        candidates = legal
    if parts.paren_dong and gu_code is not None:
        legal = gazetteer.legal_to_admin(gu_code, parts.paren_dong)
        if not legal:  # "(개포1동)": an admin name where the legal dong belongs
            code = gazetteer.dong_code(gu_code, parts.paren_dong)
            legal = (code,) if code else ()
        if len(legal) == 1:
            return _Resolution(legal[0], "legal_dong")
        candidates = candidates or legal
    return _Resolution(candidates=candidates)


_CACHE_LIMIT = 10_000


def _parse_cached(
    text: str, detail: str, dong: str, gazetteer: Gazetteer
) -> tuple[ParsedAddress, tuple[Problem, ...], bool]:
    """Parse and resolve from the text alone, remembered per gazetteer: household members and
    repeated service rows share an address, and the answer depends on nothing else."""
    key = (text, detail, dong)
    cache = gazetteer.address_cache
    hit = cache.get(key)
    if hit is None:
        if len(cache) >= _CACHE_LIMIT:
            cache.clear()
        hit = cache[key] = _parse(text, detail, dong, gazetteer)
    return hit


def _parse(
    text: str, detail: str, dong: str, gazetteer: Gazetteer
) -> tuple[ParsedAddress, tuple[Problem, ...], bool]:
    """The address, its problems so far, and whether it lies outside Seoul."""
    problems: list[Problem] = []
    parts = _split_text(clean_text(text) if text else "", gazetteer)
    dong = clean_text(dong) if dong else ""
    legal_dong = parts.paren_dong
    if parts.named_dong and not _ADMIN_LOOKING_RE.search(parts.named_dong):
        legal_dong = parts.named_dong

    found = _Resolution()
    if parts.outside:
        problems.append(Problem("address", OUTSIDE_SEOUL, error=False))
    else:
        if dong:
            found = _from_dong_column(dong, parts.gu_code, gazetteer, problems)
        if found.code is None:
            by_text = _from_text(parts, gazetteer)
            if by_text.code or not found.candidates:
                found = by_text
    gu_code = parts.gu_code
    if found.code and gu_code is None:
        gu_code = gazetteer.gu_of(found.code)
    address = ParsedAddress(
        text=parts.text,
        kind=parts.kind,
        sido=parts.sido,
        gu_code=gu_code,
        dong_code=found.code,
        dong_source=found.source,
        legal_dong=legal_dong,
        road=parts.road,
        building_no=parts.building_no,
        lot_no=parts.lot_no,
        unit=_merge_unit(parts.unit, clean_text(detail) if detail else None),
        candidates=() if found.code else found.candidates,
    )
    return address, tuple(problems), parts.outside


def parse_address(
    text: str,
    *,
    detail: str | None = None,
    dong: str | None = None,
    gazetteer: Gazetteer,
    geocoder: Geocoder | None = None,
) -> tuple[ParsedAddress, list[Problem]]:
    """Parse an address and resolve its administrative dong; problems are warnings only."""
    address, found_problems, outside = _parse_cached(
        text or "", detail or "", dong or "", gazetteer
    )
    problems = list(found_problems)
    if address.dong_code is None and not outside:
        code = geocoder.locate(address) if geocoder is not None and address.text else None
        code_gu = gazetteer.gu_of(code) if code else None
        if code and code_gu and address.gu_code in (None, code_gu):
            address = replace(
                address, gu_code=code_gu, dong_code=code, dong_source="geocoder", candidates=()
            )
        else:
            problems.append(Problem("address", GU_LEVEL if address.gu_code else NO_GU, error=False))
    return address, problems
