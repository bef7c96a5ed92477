"""Person search from one box: names (partial, 초성, one jamo typo), birth dates, phone's last
four digits, the RRN's front part and address parts; always inside the actor's scope, best
match first, the list read access-logged without the typed text."""

from datetime import date

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlmodel import Session, col

from bigcare.auth.models import AccessLog
from bigcare.auth.permissions import Role
from bigcare.auth.service import Actor, actor_for
from bigcare.cases import search, service
from bigcare.errors import InvalidInput
from bigcare.linkage.models import Person
from bigcare.privacy.crypto import Keyring
from tests.factories import make_person, make_user

GAEPO1, GAEPO2, BANPO1 = "1123068", "1123080", "1122057"  # 강남구, 강남구, 서초구
GANGNAM = "11230"


@pytest.fixture(autouse=True)
def _log_starts_here(session: Session) -> None:
    # Rows other tests committed stay in the append-only log: look only at this test's.
    session.info["log_start"] = session.scalar(select(func.max(AccessLog.id))) or 0


def _actor(session: Session, role: Role = Role.CASEWORKER, scope: str | None = GAEPO1) -> Actor:
    return actor_for(make_user(session, role=role, scope_code=scope))


def _person(session: Session, keyring: Keyring, name: str, **values: object) -> Person:
    values.setdefault("dong_code", GAEPO1)
    values.setdefault("phone", "010-2000-0000")
    values.setdefault("address", "서울특별시 강남구 개포로 1")
    return make_person(session, keyring=keyring, name=name, **values)


# A dong caseworker's search filters the dong's rows; a gu manager's goes through the
# trigram indexes (FTS5 on SQLite): both must find the same persons.
BOTH_SCOPES = pytest.mark.parametrize(
    ("role", "scope"), [(Role.CASEWORKER, GAEPO1), (Role.GU_MANAGER, GANGNAM)], ids=["dong", "gu"]
)


def _find(session: Session, actor: Actor, text: str, by: str = "auto") -> list[str]:
    rows, total = service.list_persons(session, actor=actor, query=search.parse_query(text, by=by))
    assert total == len(rows)
    return [r.person.name for r in rows]


@pytest.fixture
def residents(session: Session, keyring: Keyring) -> None:
    _person(session, keyring, "김철수", rrn="500302-1234564", phone="010-3456-5678")
    _person(session, keyring, "김철민", rrn="620815-1234566")
    _person(session, keyring, "이철수", rrn="710101-1234567")
    _person(session, keyring, "박영희", address="서울특별시 강남구 개포로 310 래미안 101동 1203호")


# --- names ---------------------------------------------------------------------------------


@pytest.mark.usefixtures("residents")
@pytest.mark.parametrize(
    ("typed", "found"),
    [
        pytest.param("김철수", ["김철수"], id="full"),
        pytest.param("철수", ["김철수", "이철수"], id="given-name"),
        pytest.param("김철", ["김철민", "김철수"], id="prefix"),
        pytest.param("김철슈", ["김철수"], id="vowel-typo"),
        pytest.param("김챌수", ["김철수"], id="another-vowel-typo"),
        pytest.param("김처수", ["김철수"], id="missing-batchim"),
        pytest.param("김철숙", ["김철수"], id="extra-batchim"),
        pytest.param("ㄱㅊㅅ", ["김철수"], id="chosung"),
        pytest.param("ㄱㅊ", ["김철민", "김철수"], id="chosung-prefix"),
    ],
)
@BOTH_SCOPES
def test_name_search_finds_partial_typo_and_chosung_input(
    session: Session, role: Role, scope: str, typed: str, found: list[str]
) -> None:
    assert _find(session, _actor(session, role, scope), typed) == found


@BOTH_SCOPES
def test_name_search_ranks_exact_before_prefix_substring_and_typo(
    session: Session, keyring: Keyring, role: Role, scope: str
) -> None:
    for name in ("김철슈", "이김철수", "김철수", "김철수민"):
        _person(session, keyring, name)
    found = _find(session, _actor(session, role, scope), "김철수")
    assert found == ["김철수", "김철수민", "이김철수", "김철슈"]


def test_chosung_search_does_not_find_other_initials(session: Session, keyring: Keyring) -> None:
    for name in ("김철수", "김철민", "이철수", "김수철"):
        _person(session, keyring, name)
    assert _find(session, _actor(session), "ㄱㅊㅅ") == ["김철수"]


def test_a_two_jamo_typo_is_not_a_match_for_a_short_name(
    session: Session, keyring: Keyring
) -> None:
    _person(session, keyring, "김철수")
    assert _find(session, _actor(session), "김챌슈") == []


# --- numbers and addresses -----------------------------------------------------------------


@pytest.mark.usefixtures("residents")
@pytest.mark.parametrize("typed", ["1950-03-02", "1950.3.2", "19500302", "1950. 3. 2."])
def test_birth_date_in_any_common_form(session: Session, typed: str) -> None:
    assert _find(session, _actor(session), typed) == ["김철수"]


@pytest.mark.usefixtures("residents")
@pytest.mark.parametrize(
    ("typed", "by", "found"),
    [
        pytest.param("5678", "auto", ["김철수"], id="phone-last4"),
        pytest.param("010-3456-5678", "auto", ["김철수"], id="whole-phone"),
        pytest.param("500302", "auto", ["김철수"], id="rrn-front"),
        pytest.param("500302-1", "auto", ["김철수"], id="rrn-front7"),
        pytest.param("500302-2", "rrn", [], id="rrn-front7-other-sex"),
        pytest.param("개포로 310", "auto", ["박영희"], id="address-road"),
        pytest.param("래미안 101동", "auto", ["박영희"], id="address-apartment"),
        pytest.param("래미안", "address", ["박영희"], id="address-chosen"),
    ],
)
@BOTH_SCOPES
def test_numbers_and_address_parts(
    session: Session, role: Role, scope: str, typed: str, by: str, found: list[str]
) -> None:
    assert _find(session, _actor(session, role, scope), typed, by) == found


def test_rrn_front_finds_a_person_without_an_rrn_by_birth_date(
    session: Session, keyring: Keyring
) -> None:
    _person(session, keyring, "정순자", rrn=None, birth_date=date(1950, 3, 2))
    assert _find(session, _actor(session), "500302") == ["정순자"]


@pytest.mark.parametrize(
    ("typed", "by", "message"),
    [
        pytest.param("1950-13-45", "birth", "생년월일 형식이 아닙니다 (예: 1950-03-02)", id="date"),
        pytest.param("김철수", "birth", "생년월일 형식이 아닙니다", id="name-as-date"),
        pytest.param("56", "phone", "전화번호 뒤 4자리", id="phone"),
        pytest.param("5003", "rrn", "주민등록번호 앞 6자리", id="rrn"),
        pytest.param("123", "auto", "검색어를 알아볼 수 없습니다", id="unknown"),
    ],
)
def test_bad_input_gets_a_korean_message(typed: str, by: str, message: str) -> None:
    with pytest.raises(InvalidInput) as raised:
        search.parse_query(typed, by=by)
    assert message in raised.value.errors[0].message and raised.value.errors[0].field == "q"


# --- scope, status, log --------------------------------------------------------------------


def test_search_stays_in_the_actors_scope(session: Session, keyring: Keyring) -> None:
    _person(session, keyring, "김철수", dong_code=GAEPO1)
    _person(session, keyring, "김철수", dong_code=GAEPO2)
    _person(session, keyring, "김철슈", dong_code=GAEPO2)
    _person(session, keyring, "김철수", dong_code=BANPO1)

    def dongs(actor: Actor, typed: str) -> list[str]:
        rows, _ = service.list_persons(session, actor=actor, query=search.parse_query(typed))
        return sorted(r.person.dong_code for r in rows)

    caseworker = _actor(session)
    assert dongs(caseworker, "김철수") == [GAEPO1]
    assert dongs(caseworker, "ㄱㅊㅅ") == [GAEPO1]
    manager = _actor(session, Role.GU_MANAGER, GANGNAM)
    assert dongs(manager, "김철수") == [GAEPO1, GAEPO2, GAEPO2]


def test_merged_persons_are_not_listed(session: Session, keyring: Keyring) -> None:
    kept = _person(session, keyring, "김철수")
    retired = _person(session, keyring, "김철수")
    retired.status, retired.merged_into_id = "merged", kept.id
    session.flush()
    rows, total = service.list_persons(
        session, actor=_actor(session), query=search.parse_query("김철수")
    )
    assert [r.person.id for r in rows] == [kept.id] and total == 1


def test_the_list_read_is_logged_with_its_kind_never_the_text(
    session: Session, keyring: Keyring
) -> None:
    _person(session, keyring, "김철수", phone="010-3456-5678")
    actor = _actor(session)
    for typed in ("김철수", "5678"):
        service.list_persons(session, actor=actor, query=search.parse_query(typed))
    query = select(AccessLog).where(
        AccessLog.action == "person.list", col(AccessLog.id) > session.info["log_start"]
    )
    logged = list(session.scalars(query.order_by(col(AccessLog.id))))
    assert [r.target for r in logged] == [
        "1명 표시 (1쪽, 이름 검색)",
        "1명 표시 (1쪽, 전화번호 검색)",
    ]
    assert all("김철수" not in (r.target or "") and "5678" not in (r.target or "") for r in logged)


# --- page and API --------------------------------------------------------------------------


def test_search_page_keeps_the_query_and_says_how_it_was_read(
    staff_client: TestClient, session: Session, keyring: Keyring
) -> None:
    _person(session, keyring, "김철수", rrn="500302-1234564", phone="010-3456-5678")
    html = staff_client.get("/persons", params={"q": "김철슈"}).text
    assert 'value="김철슈"' in html and "검색 기준: 이름" in html
    assert "김철수" in html and "500302-1******" in html and "010-****-5678" in html


def test_search_page_rejects_a_bad_birth_date_keeping_the_text(
    staff_client: TestClient, session: Session
) -> None:
    response = staff_client.get("/persons", params={"q": "1950-02-30", "by": "birth"})
    assert response.status_code == 422
    assert "생년월일 형식이 아닙니다 (예: 1950-03-02)" in response.text
    assert 'value="1950-02-30"' in response.text
    assert '<option value="birth" selected>' in response.text


def test_api_searches_with_q(staff_client: TestClient, session: Session, keyring: Keyring) -> None:
    _person(session, keyring, "김철수", phone="010-3456-5678")
    _person(session, keyring, "이영희", phone="010-3456-1111")
    body = staff_client.get("/api/v1/persons", params={"q": "5678"}).json()
    assert [item["name"] for item in body["items"]] == ["김철수"] and body["total"] == 1
    bad = staff_client.get("/api/v1/persons", params={"q": "19501345", "by": "birth"})
    assert bad.status_code == 422
