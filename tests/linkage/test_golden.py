"""Survivorship: which record's value the golden record takes, and the reason it gives."""

from datetime import date
from typing import Any

from bigcare.linkage.golden import Source, choose


def _source(record_id: int, kind: str, seen: date, **fields: Any) -> Source:
    return Source(record_id, f"F{record_id}", kind, seen, fields)


def test_the_dong_center_wins_over_a_more_recent_facility_record() -> None:
    center = _source(1, "DONG_CENTER", date(2026, 1, 5), name="김영희", dong_code="1123068",
                     address="서울 강남구 개포로 310")  # fmt: skip
    food = _source(2, "FOOD_BANK", date(2026, 10, 1), name="김영히", dong_code="1123080",
                   address="서울 강남구 개포로 264")  # fmt: skip
    chosen = choose([center, food])
    assert chosen["name"].value == "김영희" and chosen["name"].rule == "verified"
    assert chosen["address"].value == ("1123068", "서울 강남구 개포로 310")
    assert chosen["address"].rule == "dong_center"


def test_most_recent_then_most_frequent_then_first_received() -> None:
    old = _source(1, "SENIOR_WELFARE", date(2025, 3, 1), phone="010-1111-2222")
    new = _source(2, "HOME_CARE", date(2026, 9, 1), phone="010-3333-4444")
    assert choose([old, new])["phone"].rule == "recent"
    assert choose([old, new])["phone"].value == "010-3333-4444"

    day = date(2026, 5, 5)
    a = _source(1, "SENIOR_WELFARE", day, birth_date=date(1950, 3, 2))
    b = _source(2, "HOME_CARE", day, birth_date=date(1950, 3, 2))
    c = _source(3, "FOOD_BANK", day, birth_date=date(1950, 2, 3))
    frequent = choose([a, b, c])["birth_date"]
    assert frequent.value == date(1950, 3, 2) and frequent.rule == "frequent"
    assert frequent.support == 2

    tie = choose([c, a])["birth_date"]
    assert tie.rule == "earliest" and tie.source.record_id == 1


def test_a_full_rrn_beats_a_masked_one_and_agreement_is_said() -> None:
    masked = _source(1, "DONG_CENTER", date(2026, 9, 1), rrn_masked="500302-2******")
    full = _source(
        2,
        "FOOD_BANK",
        date(2025, 1, 1),
        rrn_sealed="v1:k:sealed",
        rrn_index="abc",
        rrn_masked="500302-2******",
    )
    rrn = choose([masked, full])["rrn"]
    assert rrn.value == ("v1:k:sealed", "abc", "500302-2******")
    assert rrn.shown == "500302-2******" and rrn.rule == "agreed"
