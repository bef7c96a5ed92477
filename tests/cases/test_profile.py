"""Person-page flags: from facility types (장애인복지관, 위기정보 기관), from raw columns no mapping
takes (수급구분, 장애유형 ...), from the household (1인 가구, 75세 이상 독거) and the open case;
each flag says where it came from."""

import random
from datetime import date, timedelta

import pytest
from sqlmodel import Session

from bigcare.auth.service import operator_actor
from bigcare.cases import profile
from bigcare.linkage import service as linkage_service
from bigcare.privacy import rrn as rrns
from bigcare.privacy.crypto import Keyring
from tests.cases.test_timeline import add_household, open_case, person_of
from tests.factories import make_facility, make_person
from tests.linkage.pairs import THRESHOLDS, make_link_model, receive

GAEPO1 = "1123068"
STAFF = operator_actor("test", permissions=frozenset({"person.read", "case.read"}))
_rng = random.Random(11)


def _flags(session: Session, keyring: Keyring, person_id: int) -> dict[str, str]:
    page = profile.get_person_page(session, actor=STAFF, keyring=keyring, person_id=person_id)
    return {f.code: f.source_text for f in page.flags}


def _received(session: Session, keyring: Keyring, type_code: str, record: dict) -> tuple:
    """One record from a new facility of this type, linked; (person id, facility)."""
    facility = make_facility(session, dong_code=GAEPO1, type_code=type_code)
    born = date(1970, 1, 1) + timedelta(days=_rng.randrange(7000))  # under 65
    row = {"rrn": rrns.make_rrn(born, "F", rng=_rng), "dong": "개포1동", **record}
    [record_id] = receive(session, keyring=keyring, facility_code=facility.code, records=[row])
    linkage_service.link_pending(session, thresholds=THRESHOLDS)
    return person_of(session, record_id), facility


def test_flags_from_facility_types_name_the_facility(session: Session, keyring: Keyring) -> None:
    make_link_model(session)
    person_id, center = _received(
        session, keyring, "DISABLED_WELFARE", {"name": "정미숙", "service_name": "주간보호"}
    )
    crisis_person, agency = _received(session, keyring, "CRISIS_AGENCY", {"name": "오민호"})

    flags = _flags(session, keyring, person_id)
    assert set(flags) == {"disabled"}
    assert center.name in flags["disabled"]
    crisis = _flags(session, keyring, crisis_person)
    assert set(crisis) == {"crisis"} and agency.name in crisis["crisis"]


def test_flags_from_raw_benefit_and_disability_columns(session: Session, keyring: Keyring) -> None:
    make_link_model(session)
    basic, welfare = _received(
        session,
        keyring,
        "COMMUNITY_WELFARE",
        {"name": "한순례", "수급구분": "생계급여, 의료급여", "장애유형": "지체"},
    )
    near_poor, _ = _received(
        session,
        keyring,
        "COMMUNITY_WELFARE",
        {"name": "유정아", "수급자격": "차상위", "한부모여부": "Y"},
    )
    nothing, _ = _received(
        session,
        keyring,
        "COMMUNITY_WELFARE",
        {"name": "배경수", "수급구분": "비수급", "장애유형": "없음"},
    )

    flags = _flags(session, keyring, basic)
    assert set(flags) == {"basic", "disabled"}
    assert welfare.name in flags["basic"] and "수급구분" in flags["basic"]
    assert "장애유형" in flags["disabled"]
    assert set(_flags(session, keyring, near_poor)) == {"near_poor", "single_parent"}
    assert _flags(session, keyring, nothing) == {}


def test_single_household_and_75_living_alone(session: Session, keyring: Keyring) -> None:
    old = make_person(session, keyring=keyring, rrn=rrns.make_rrn(date(1940, 5, 1), "F", rng=_rng))
    couple = make_person(
        session, keyring=keyring, rrn=rrns.make_rrn(date(1942, 6, 1), "M", rng=_rng)
    )
    spouse = make_person(
        session, keyring=keyring, rrn=rrns.make_rrn(date(1945, 7, 1), "F", rng=_rng)
    )
    assert old.id and couple.id and spouse.id
    alone = add_household(session, old.id)
    add_household(session, couple.id, spouse.id)

    flags = _flags(session, keyring, old.id)
    assert list(flags) == ["single", "age65", "alone75"]
    assert f"가구 #{alone.id}" in flags["alone75"]
    assert list(_flags(session, keyring, couple.id)) == ["age65"]


def test_an_open_case_is_flagged_and_shown(session: Session, keyring: Keyring) -> None:
    person = make_person(
        session, keyring=keyring, rrn=rrns.make_rrn(date(1990, 1, 1), "M", rng=_rng)
    )
    assert person.id
    case = open_case(session, person.id)
    page = profile.get_person_page(session, actor=STAFF, keyring=keyring, person_id=person.id)
    assert [f.code for f in page.flags] == ["in_case"]
    assert page.open_case is not None and page.open_case.case.id == case.id
    assert page.open_case.stage_label == "초기상담"
    assert [e.kind for e in page.timeline.entries] == ["note", "stage"]


@pytest.mark.parametrize(
    ("header", "value", "codes"),
    [
        ("수급구분", "기초생활수급자", {"basic"}),
        ("수급구분", "주거급여(차상위)", {"basic", "near_poor"}),
        ("수급자격", "한부모가족", {"single_parent"}),
        ("수급구분", "비수급", set()),
        ("수급구분", "해당없음", set()),
        ("한부모여부", "Y", {"single_parent"}),
        ("차상위여부", "N", set()),
    ],
)
def test_benefit_values(header: str, value: str, codes: set[str]) -> None:
    assert profile.benefit_codes(header, value) == codes
