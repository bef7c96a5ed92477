"""Person search from one box: what was typed (a name, its 초성, a birth date, a phone's last
four digits, the RRN's front part or part of an address) and the index-backed SQL condition
and rank that find it. Jamo typos are found through indexed candidates checked in Python."""

import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import ColumnElement, and_, case, column, func, literal, or_, select, table
from sqlmodel import Session, col

from bigcare.errors import FieldError, InvalidInput
from bigcare.linkage import normalize
from bigcare.linkage.models import Person

# What the "검색 기준" select offers; "auto" guesses from what was typed.
CRITERIA = {
    "auto": "자동",
    "name": "이름",
    "birth": "생년월일",
    "phone": "전화번호 뒤 4자리",
    "rrn": "주민번호 앞자리",
    "address": "주소",
}
# How a search was read, for the page and the access log (never the typed text itself).
KIND_LABELS = {
    "name": "이름",
    "chosung": "이름 초성",
    "birth": "생년월일",
    "phone": "전화번호",
    "rrn": "주민번호 앞자리",
    "address": "주소",
}
MAX_LENGTH = 60
# Typo candidates per source (초성, trigram) and in all: enough for one name, bounded work.
TYPO_CANDIDATES = 300
TYPO_SIMILARITY = 0.4
# PostgreSQL's trigram index (and SQLite's FTS5 trigram table) needs 3 characters.
TRIGRAM = 3

_CONSONANTS = frozenset("ㄱㄲㄴㄷㄸㄹㅁㅂㅃㅅㅆㅇㅈㅉㅊㅋㅌㅍㅎ")
_SYLLABLE = re.compile("[\uac00-\ud7a3]")
_NUMERIC = re.compile(r"[\d\s.\-/]+")
_DATE = re.compile(r"(\d{4})\s*[.\-/]\s*(\d{1,2})\s*[.\-/]\s*(\d{1,2})\.?")
_RRN_FRONT = re.compile(r"(\d{6})(?:\s*-?\s*(\d))?")
# Words that mark an address rather than a name ("개포로", "래미안아파트").
_ADDRESS_WORDS = re.compile(r"(로|길|아파트|빌라|맨션|타워|오피스텔|단지|마을)$")
_FTS = table("person_fts", column("rowid"), column("name_jamo"), column("address"))

BAD_BIRTH = "생년월일 형식이 아닙니다 (예: 1950-03-02)"
BAD_PHONE = "전화번호 뒤 4자리를 숫자로 입력하세요 (예: 5678)"
BAD_RRN = "주민등록번호 앞 6자리나 7자리를 입력하세요 (예: 500302 또는 500302-1)"
BAD_NAME = "이름은 글자로 입력하세요 (예: 김철수, ㄱㅊㅅ)"
SHORT_ADDRESS = "주소는 두 글자 이상 입력하세요 (예: 개포로, 래미안 101동)"
UNKNOWN = (
    "검색어를 알아볼 수 없습니다. 이름, 생년월일(1950-03-02), 전화번호 뒤 4자리(5678), "
    "주민번호 앞자리(500302), 주소 중 하나를 입력하세요"
)


@dataclass(frozen=True)
class PersonQuery:
    """What was typed, read as one kind of search, with the keys the SQL compares."""

    kind: str  # a KIND_LABELS key
    text: str  # as typed (shown back in the box; never logged)
    key: str = ""  # jamo name, 초성, phone digits, RRN front or ""
    birth_dates: tuple[date, ...] = ()
    terms: tuple[str, ...] = field(default=())  # address words

    @property
    def label(self) -> str:
        """The kind in Korean ("이름", "주소", ...)."""
        return KIND_LABELS[self.kind]


@dataclass(frozen=True)
class Match:
    """The WHERE clause for a query and its rank (lower first), None when unranked."""

    where: ColumnElement[bool]
    rank: ColumnElement[int] | None = None


def _invalid(message: str) -> InvalidInput:
    return InvalidInput(message, [FieldError(field="q", message=message)])


def parse_query(text: str | None, *, by: str = "auto") -> PersonQuery | None:
    """Read the search box (None when empty) by the chosen criterion, or guess it when
    `by` is "auto" or unknown. Raises InvalidInput with a Korean message for the box."""
    typed = " ".join(unicodedata.normalize("NFC", text or "").split())[:MAX_LENGTH]
    if not typed:
        return None
    reader = _READERS.get(by, _auto)
    return reader(typed)


def _auto(typed: str) -> PersonQuery:
    compact = typed.replace(" ", "")
    if all(ch in _CONSONANTS for ch in compact):
        return _name(typed)
    numeric = unicodedata.normalize("NFKC", typed)
    if _NUMERIC.fullmatch(numeric):
        digits = re.sub(r"\D", "", numeric)
        if _DATE.fullmatch(numeric) or (len(digits) == 8 and digits[:2] in ("19", "20")):
            return _birth(typed)
        if len(digits) == 4 or (len(digits) >= 9 and digits[0] == "0"):
            return _phone(typed)
        if _RRN_FRONT.fullmatch(numeric):
            return _rrn(typed)
        raise _invalid(UNKNOWN)
    if any(ch.isdigit() for ch in typed) or " " in typed or _ADDRESS_WORDS.search(compact):
        return _address(typed)
    return _name(typed)


def _name(typed: str) -> PersonQuery:
    compact = typed.replace(" ", "")
    if all(ch in _CONSONANTS for ch in compact):
        return PersonQuery("chosung", typed, key=compact)
    key = normalize.jamo(typed)
    if not key or any(ch.isdigit() for ch in typed):
        raise _invalid(BAD_NAME)
    return PersonQuery("name", typed, key=key)


def _birth(typed: str) -> PersonQuery:
    numeric = unicodedata.normalize("NFKC", typed).replace(" ", "")
    found = _DATE.fullmatch(numeric)
    parts = found.groups() if found else None
    if parts is None and re.fullmatch(r"\d{8}", numeric):
        parts = (numeric[:4], numeric[4:6], numeric[6:])
    try:
        born = date(*(int(p) for p in parts)) if parts else None
    except ValueError:
        born = None
    if born is None or born.year < 1900:
        raise _invalid(BAD_BIRTH)
    return PersonQuery("birth", typed, birth_dates=(born,))


def _phone(typed: str) -> PersonQuery:
    numeric = unicodedata.normalize("NFKC", typed)
    digits = re.sub(r"\D", "", numeric)
    if not _NUMERIC.fullmatch(numeric) or not (len(digits) == 4 or len(digits) >= 9):
        raise _invalid(BAD_PHONE)
    return PersonQuery("phone", typed, key=digits)


# The RRN's sex digit gives the century of birth (9 and 0: the 1800s).
_CENTURY = {"1": 1900, "2": 1900, "5": 1900, "6": 1900, "3": 2000, "4": 2000, "7": 2000}
_CENTURY |= {"8": 2000, "9": 1800, "0": 1800}


def _rrn(typed: str) -> PersonQuery:
    numeric = unicodedata.normalize("NFKC", typed).replace(" ", "")
    found = _RRN_FRONT.fullmatch(numeric)
    if found is None:
        raise _invalid(BAD_RRN)
    front, sex_digit = found.groups()
    centuries = [_CENTURY[sex_digit]] if sex_digit else [1900, 2000]
    births = []
    for century in centuries:
        try:
            births.append(date(century + int(front[:2]), int(front[2:4]), int(front[4:])))
        except ValueError:
            continue
    # Persons without an RRN are still found by the birth date the front part spells.
    key = f"{front}-{sex_digit}" if sex_digit else front
    return PersonQuery("rrn", typed, key=key, birth_dates=tuple(births))


def _address(typed: str) -> PersonQuery:
    terms = tuple(dict.fromkeys(typed.split()))
    if max(len(t) for t in terms) < 2:
        raise _invalid(SHORT_ADDRESS)
    return PersonQuery("address", typed, terms=terms)


_READERS = {"name": _name, "birth": _birth, "phone": _phone, "rrn": _rrn, "address": _address}


# --- SQL --------------------------------------------------------------------------------


def match(
    session: Session, query: PersonQuery, *, scope: ColumnElement[bool], narrow: bool
) -> Match:
    """The condition (and rank) finding `query`; typo candidates are read within `scope`.
    `narrow`: the scope is one dong, whose few thousand rows (read by the dong index) are
    cheaper to filter than the trigram indexes, where common jamo trigrams ("영") match
    a large share of the city."""
    postgres = session.get_bind().dialect.name == "postgresql"
    if query.kind == "name":
        return _match_name(session, query.key, scope=scope, postgres=postgres, narrow=narrow)
    if query.kind == "chosung":
        chosung = col(Person.name_chosung)
        exact = chosung == query.key
        return Match(or_(exact, _prefix(chosung, query.key)), case((exact, 0), else_=1))
    if query.kind == "birth":
        return Match(col(Person.birth_date).in_(query.birth_dates))
    if query.kind == "phone":
        where = col(Person.phone_last4) == query.key[-4:]
        if len(query.key) > 4:
            # A whole number: the last 4 use the index, the full digits decide.
            digits = func.replace(col(Person.phone), "-", "")
            where = where & (digits == query.key)
        return Match(where)
    if query.kind == "rrn":
        masked = col(Person.rrn_masked)
        where = _prefix(masked, query.key)
        if query.birth_dates:
            no_rrn = masked.is_(None) & col(Person.birth_date).in_(query.birth_dates)
            where = or_(where, no_rrn)
        return Match(where)
    return Match(_match_address(query.terms, postgres=postgres, narrow=narrow))


def _prefix(column_: ColumnElement[str], prefix: str) -> ColumnElement[bool]:
    """Starts with `prefix`: a btree range (index) plus LIKE (exact under any collation)."""
    upper = prefix[:-1] + chr(ord(prefix[-1]) + 1)
    like = column_.startswith(prefix, autoescape=True)
    return (column_ >= prefix) & (column_ < upper) & like


def _fts(column_name: str, texts: list[str]) -> ColumnElement[bool]:
    """SQLite: ids whose FTS5 trigram column contains every text (each >= 3 characters)."""
    phrases = " AND ".join('"' + t.replace('"', '""') + '"' for t in texts)
    # The table's own name is FTS5's match target; "{column} : (...)" limits it to a column.
    target = column("person_fts").op("MATCH")(literal(f"{{{column_name}}} : ({phrases})"))
    return col(Person.id).in_(select(_FTS.c.rowid).where(target))


def _searched(column_: ColumnElement[str], *, narrow: bool) -> ColumnElement[str]:
    """The column itself (trigram index), or when narrow `column || ''`, which no index
    matches, so PostgreSQL filters the dong's rows instead of combining both indexes."""
    return column_.concat("") if narrow else column_


def _match_address(terms: tuple[str, ...], *, postgres: bool, narrow: bool) -> ColumnElement[bool]:
    if postgres:
        address = _searched(col(Person.address), narrow=narrow)
        return and_(*(address.icontains(term, autoescape=True) for term in terms))
    conditions = [col(Person.address).contains(term, autoescape=True) for term in terms]
    long_terms = [t for t in terms if len(t) >= TRIGRAM]
    if long_terms and not narrow:
        # FTS5 finds the rows; LIKE keeps each term's exact meaning (and the short ones).
        conditions.insert(0, _fts("address", long_terms))
    return and_(*conditions)


def _match_name(
    session: Session, key: str, *, scope: ColumnElement[bool], postgres: bool, narrow: bool
) -> Match:
    name_jamo = col(Person.name_jamo)
    contains = _searched(name_jamo, narrow=narrow).contains(key, autoescape=True)
    if not postgres and not narrow and len(key) >= TRIGRAM:
        contains = _fts("name_jamo", [key]) & contains
    typos = _typo_ids(session, key, scope=scope, postgres=postgres, narrow=narrow)
    where = or_(contains, col(Person.id).in_(typos)) if typos else contains
    rank = case(
        (name_jamo == key, 0),
        (name_jamo.startswith(key, autoescape=True), 1),
        (name_jamo.contains(key, autoescape=True), 2),
        else_=3,
    )
    return Match(where, rank)


def _typo_ids(
    session: Session, key: str, *, scope: ColumnElement[bool], postgres: bool, narrow: bool
) -> list[int]:
    """Persons whose jamo name is within the typo allowance of `key` (and does not contain
    it), checked in Python. Candidates come through an index, capped: the same 초성 (a
    vowel or 받침 typo keeps it), most similar first on PostgreSQL; inside one dong on
    PostgreSQL also any trigram-similar name (a typo in an initial consonant)."""
    syllables = len(_SYLLABLE.findall(unicodedata.normalize("NFC", key)))
    if syllables < 2:
        return []
    allowed = 2 if syllables >= 4 else 1
    name_jamo = col(Person.name_jamo)
    same_initials = col(Person.name_chosung) == normalize.initials(key)
    candidates = select(Person.id, Person.name_jamo).where(scope, Person.status == "active")
    if postgres:
        similarity = func.similarity(name_jamo, key)
        if narrow:
            same_initials = or_(same_initials, similarity >= TYPO_SIMILARITY)
        candidates = candidates.order_by(similarity.desc())
    candidates = candidates.where(same_initials).limit(TYPO_CANDIDATES)
    return [
        person_id
        for person_id, candidate in session.exec(candidates)
        if candidate and key not in candidate and within(candidate, key, allowed)
    ]


def within(a: str, b: str, limit: int) -> bool:
    """Whether the edit distance of a and b is at most `limit` (banded, stops early)."""
    if abs(len(a) - len(b)) > limit:
        return False
    previous = list(range(len(b) + 1))
    for i, ch in enumerate(a, 1):
        current = [i] + [0] * len(b)
        for j in range(1, len(b) + 1):
            current[j] = min(
                previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ch != b[j - 1])
            )
        if min(current) > limit:
            return False
        previous = current
    return previous[-1] <= limit
