"""Survivorship: which source record's value each golden field takes, and why.

A verified source wins (the dong center keeps the resident registry's values); then the
most recent record; then the value most records agree on. For the address the dong
center's own record outranks every other, since it is where the resident is registered.
"""

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from bigcare.privacy import phone as phones

VERIFIED_TYPES = frozenset({"DONG_CENTER"})

RULE_LABELS = {
    "verified": "검증된 출처(동 주민센터) 기록",
    "dong_center": "동 주민센터 기록이 주소에 우선",
    "recent": "가장 최근 기록",
    "frequent": "가장 많은 기록이 같은 값",
    "earliest": "조건이 같아 먼저 받은 기록",
    "agreed": "모든 기록이 같은 값",
}

FIELD_LABELS = {
    "name": "성명",
    "rrn": "주민등록번호",
    "birth_date": "생년월일",
    "sex": "성별",
    "phone": "전화번호",
    "address": "주소",
}


@dataclass(frozen=True)
class Source:
    """What survivorship needs to know about one source record."""

    record_id: int
    facility_code: str
    facility_type: str
    seen: date  # the service date, or the day it was received
    fields: dict[str, Any]  # the record's parsed columns

    @property
    def verified(self) -> bool:
        return self.facility_type in VERIFIED_TYPES


@dataclass(frozen=True)
class Choice:
    field: str
    value: Any  # the value (for the RRN: the sealed token and its index and masked form)
    shown: str  # what the person page shows (masked where it must be)
    source: Source
    rule: str
    support: int


def _rrn(s: Source) -> Any:
    f = s.fields
    if f.get("rrn_index"):
        return (f["rrn_sealed"], f["rrn_index"], f.get("rrn_masked"))
    if f.get("rrn_masked"):
        return (None, None, f["rrn_masked"])
    return None


def _phone(s: Source) -> str | None:
    return s.fields.get("phone") or s.fields.get("home_phone")


def _address(s: Source) -> Any:
    f = s.fields
    return (f["dong_code"], f.get("address")) if f.get("dong_code") else None


# field → (value getter, equality key, shown)
_FIELDS: dict[str, tuple[Callable[[Source], Any], Callable[[Any], Any], Callable[[Any], str]]] = {
    "name": (lambda s: s.fields.get("name"), lambda v: v.replace(" ", ""), str),
    # Full numbers (compared by index) beat masked ones, whatever else is said.
    "rrn": (_rrn, lambda v: v[1] or v[2], lambda v: v[2] or ""),
    "birth_date": (lambda s: s.fields.get("birth_date"), lambda v: v, lambda v: v.isoformat()),
    "sex": (lambda s: s.fields.get("sex"), lambda v: v, lambda v: {"M": "남", "F": "여"}[v]),
    "phone": (_phone, lambda v: v, phones.mask_phone),
    "address": (_address, lambda v: v, lambda v: v[1] or ""),
}


def choose(sources: Sequence[Source]) -> dict[str, Choice]:
    """The golden value of every field some source has, with the rule that chose it."""
    out: dict[str, Choice] = {}
    for name, (get, key, shown) in _FIELDS.items():
        candidates = [(s, v) for s in sources if (v := get(s)) is not None and v != ""]
        if not candidates:
            continue
        if name == "rrn" and any(v[1] for _, v in candidates):
            candidates = [(s, v) for s, v in candidates if v[1]]
        counts = Counter(key(v) for _, v in candidates)

        ordered = sorted(
            candidates,
            key=lambda item: (
                item[0].verified,
                item[0].seen,
                counts[key(item[1])],
                -item[0].record_id,
            ),
            reverse=True,
        )
        winner, value = ordered[0]
        rivals = [(s, v) for s, v in ordered[1:] if key(v) != key(value)]
        if not rivals:
            rule = "agreed"
        else:
            best_rival = rivals[0][0]
            if winner.verified and not best_rival.verified:
                rule = "dong_center" if name == "address" else "verified"
            elif winner.seen > best_rival.seen:
                rule = "recent"
            elif counts[key(value)] > counts[key(rivals[0][1])]:
                rule = "frequent"
            else:
                rule = "earliest"
        out[name] = Choice(name, value, shown(value), winner, rule, counts[key(value)])
    return out
