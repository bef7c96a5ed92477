"""Review and person pages: the queue in my dongs only, a pair side by side with its weights,
decisions that merge or keep apart, merging and splitting by hand, every read logged."""

import random
import re
from dataclasses import dataclass
from datetime import date

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, col, select

from bigcare.auth.models import AccessLog, User
from bigcare.auth.permissions import Role
from bigcare.linkage import service as linkage_service
from bigcare.linkage.models import LinkConstraint, Person, RecordLink, ReviewItem
from bigcare.privacy import rrn as rrns
from bigcare.privacy.crypto import Keyring
from tests.factories import make_facility, make_user, sign_in
from tests.linkage.pairs import THRESHOLDS, make_link_model, receive

OWN_DONG, OTHER_DONG = "1123068", "1123060"  # 개포1동, 대치1동 (the caseworker's and not)
_rng = random.Random(20261125)


@dataclass
class Pair:
    """Two records of one person at two facilities that the model is unsure of."""

    item_id: int
    record_ids: tuple[int, int]  # (the other record, the record under review)
    facilities: tuple[str, str]  # facility names, same order


def _pair(
    session: Session,
    keyring: Keyring,
    names: tuple[str, str],
    *,
    dong: str = OWN_DONG,
    born: date = date(1944, 3, 2),
) -> tuple[list[int], list[int], tuple[str, str]]:
    """Receive one person twice: a full RRN at one facility, one jamo off in the name, birth
    date only and another phone and building at a second (match probability about 97%)."""
    dong_name, road = ("개포1동", "개포로") if dong == OWN_DONG else ("대치1동", "삼성로")
    first = make_facility(session, dong_code=dong)
    second = make_facility(session, dong_code=dong, type_code="SENIOR_WELFARE")
    a = receive(
        session,
        keyring=keyring,
        facility_code=first.code,
        records=[
            {
                "name": names[0],
                "rrn": rrns.make_rrn(born, "F", rng=_rng),
                "phone": f"010-{_rng.randint(2000, 9999)}-{_rng.randint(1000, 9999)}",
                "address": f"서울특별시 강남구 {road} {_rng.randint(1, 99)}",
                "dong": dong_name,
            }
        ],
    )
    b = receive(
        session,
        keyring=keyring,
        facility_code=second.code,
        records=[
            {
                "name": names[1],
                "birth_date": born.isoformat(),
                "sex": "여",
                "phone": f"010-{_rng.randint(2000, 9999)}-{_rng.randint(1000, 9999)}",
                "address": f"서울특별시 강남구 {road} {_rng.randint(100, 199)}",
                "dong": dong_name,
            }
        ],
    )
    return a, b, (first.name, second.name)


def _linked_pair(
    session: Session,
    keyring: Keyring,
    names: tuple[str, str],
    *,
    dong: str = OWN_DONG,
    born: date = date(1944, 3, 2),
) -> Pair:
    """A pair received and linked: two persons and an open review item between them."""
    make_link_model(session)
    a, b, facilities = _pair(session, keyring, names, dong=dong, born=born)
    report = linkage_service.link_pending(session, thresholds=THRESHOLDS)
    assert report.review_items >= 1
    item = session.exec(select(ReviewItem).where(ReviewItem.record_id == b[0])).one()
    return Pair(item.id or 0, (a[0], b[0]), facilities)


def _person_of(session: Session, record_id: int) -> int:
    session.expire_all()
    link = session.get(RecordLink, record_id)
    assert link is not None
    return link.person_id


def _logged(session: Session, action: str, user: User) -> list[AccessLog]:
    """The user's access-log rows of one kind (browser tests leave committed rows behind)."""
    query = select(AccessLog).where(AccessLog.action == action, AccessLog.user_id == user.id)
    return list(session.exec(query.order_by(col(AccessLog.id))))


def _decide(client: TestClient, item_id: int, decision: str, note: str):
    return client.post(
        f"/linkage/reviews/{item_id}/decision",
        data={"decision": decision, "note": note, "csrf_token": client.csrf},  # type: ignore[attr-defined]
        follow_redirects=False,
    )


def test_queue_shows_only_my_dongs_items_and_another_dongs_item_is_not_found(
    staff_client: TestClient, session: Session, keyring: Keyring, caseworker: User
) -> None:
    mine = _linked_pair(session, keyring, ("김순자", "김순지"))
    other = _linked_pair(
        session, keyring, ("최옥분", "최옥순"), dong=OTHER_DONG, born=date(1938, 8, 15)
    )

    queue = staff_client.get("/linkage/reviews")
    assert queue.status_code == 200
    assert f'href="/linkage/reviews/{mine.item_id}"' in queue.text
    assert "김순자" in queue.text and "97.2%" in queue.text
    assert f"/linkage/reviews/{other.item_id}" not in queue.text and "최옥분" not in queue.text
    # The menu shows the queue with its count of open items in my dong.
    assert re.search(
        r'href="/linkage/reviews"[^>]*>동일인 검토 <span class="bc-nav-count">1<', queue.text
    )

    hidden = staff_client.get(f"/linkage/reviews/{other.item_id}")
    assert hidden.status_code == 404 and "최옥" not in hidden.text
    refused = _decide(staff_client, other.item_id, "same", "같은 사람으로 보임")
    assert refused.status_code == 404
    assert session.get(ReviewItem, other.item_id).status == "open"  # type: ignore[union-attr]

    [listed] = _logged(session, "linkage.review.list", caseworker)
    assert listed.actor == caseworker.username and listed.target.startswith("1건 표시")
    unseen = [
        r for r in _logged(session, "linkage.review.read", caseworker) if r.outcome == "not_found"
    ]
    assert [r.target for r in unseen] == [f"review:{other.item_id} (out of scope)"]


def test_menu_leaves_out_the_queue_for_roles_that_do_not_review(
    client: TestClient, session: Session
) -> None:
    planner = make_user(session, role=Role.WELFARE_PLANNER, scope_code=OWN_DONG)
    sign_in(client, session, planner)
    home = client.get("/")
    assert home.status_code == 200 and "동일인 검토" not in home.text
    assert client.get("/linkage/reviews").status_code == 403


def test_review_page_shows_the_pair_side_by_side_and_the_weight_of_each_comparison(
    staff_client: TestClient, session: Session, keyring: Keyring, caseworker: User
) -> None:
    a, b, facilities = _pair(session, keyring, ("김순자", "김순지"))
    evidence = [
        {"comparison": "name", "label": "성명", "level": "자모 한 글자 차이", "weight": 6.64},
        {"comparison": "rrn", "label": "주민등록번호", "level": "비교 안 함", "weight": 0.0},
        {"comparison": "birth", "label": "생년월일", "level": "생년월일 일치", "weight": 11.55},
        {"comparison": "phone", "label": "전화번호", "level": "전화번호 다름", "weight": -1.74},
    ]
    item = ReviewItem(
        record_id=b[0],
        other_record_id=a[0],
        dong_code=OWN_DONG,
        probability=0.9725,
        match_weight=16.45,
        evidence=evidence,
        model_version="handset00001",
    )
    session.add(item)
    session.flush()

    page = staff_client.get(f"/linkage/reviews/{item.id}")
    assert page.status_code == 200
    html = page.text
    # Both records, their facilities, masked identifiers; differing rows marked in words.
    assert "김순자" in html and "김순지" in html
    assert facilities[0] in html and facilities[1] in html
    assert re.search(r'<tr class="bc-differs">\s*<th scope="row">성명 <span[^>]*>다름</span>', html)
    assert not re.search(r'<tr class="bc-differs">\s*<th scope="row">생년월일', html)
    assert "1944-03-02" in html and "440302-2******" in html
    assert "아직 연계되지 않음" in html  # no person yet: neither record was linked
    # One bar per comparison, width ∝ |weight| / the largest (11.55 fills half the track).
    bars = re.findall(r'<span class="bc-bar-(pos|neg)" style="width: ([\d.]+)%">', html)
    assert bars == [("pos", "28.7"), ("neg", "0.0"), ("pos", "50.0"), ("neg", "7.5")]
    values = re.findall(r'<td class="bc-num bc-weight-value"[^>]*>([^<]+)</td>', html)
    assert values == ["+6.6", "0.0", "+11.6", "−1.7", "+16.4"]
    assert 'id="match-probability">97.2%<' in html

    reads = _logged(session, "linkage.review.read", caseworker)
    assert [r.target for r in reads] == [
        f"review:{item.id} record:{b[0]}",
        f"review:{item.id} record:{a[0]}",
    ]


def test_same_person_without_a_note_is_refused_and_the_input_kept(
    staff_client: TestClient, session: Session, keyring: Keyring
) -> None:
    pair = _linked_pair(session, keyring, ("김순자", "김순지"))
    refused = _decide(staff_client, pair.item_id, "same", "확인")
    assert refused.status_code == 422
    assert "사유를 5자 이상 입력하세요" in refused.text
    assert re.search(r'id="decision-same" value="same" required checked', refused.text)
    assert re.search(
        r'<textarea id="f-note"[^>]*aria-invalid="true"[^>]*>확인</textarea>', refused.text
    )
    assert _person_of(session, pair.record_ids[0]) != _person_of(session, pair.record_ids[1])
    assert session.get(ReviewItem, pair.item_id).status == "open"  # type: ignore[union-attr]


def test_same_person_merges_the_two_persons(
    staff_client: TestClient, session: Session, keyring: Keyring, caseworker: User
) -> None:
    pair = _linked_pair(session, keyring, ("김순자", "김순지"))
    before = [_person_of(session, r) for r in pair.record_ids]

    decided = _decide(staff_client, pair.item_id, "same", "주민센터 전화로 본인 확인")
    assert decided.status_code == 303
    kept, gone = min(before), max(before)
    assert decided.headers["location"] == (
        f"/linkage/reviews?done={pair.item_id}&decision=same&person={kept}"
    )
    queue = staff_client.get(decided.headers["location"]).text
    assert f"검토 #{pair.item_id}: 같은 사람으로 정했습니다." in queue
    assert f'<a href="/persons/{kept}">대상자 #{kept} 보기</a>' in queue

    assert [_person_of(session, r) for r in pair.record_ids] == [kept, kept]
    page = staff_client.get(f"/persons/{kept}").text
    assert pair.facilities[0] in page and pair.facilities[1] in page  # both source records
    assert "김순지" in page and "440302-2******" in page
    assert "직접 결정" in page and "병합" in page and "검토 결정: 주민센터 전화로 본인 확인" in page
    retired = staff_client.get(f"/persons/{gone}").text
    assert f'이 대상자는 <a href="/persons/{kept}">#{kept}</a>에 병합되었습니다' in retired
    assert 'id="merge-form"' not in retired and 'id="split-form"' not in retired
    assert f'href="/persons/{gone}"' not in staff_client.get("/persons").text
    constraint = session.exec(select(LinkConstraint)).one()
    assert constraint.kind == "must"
    [decide_log] = _logged(session, "linkage.review.decide", caseworker)
    assert decide_log.reason == "주민센터 전화로 본인 확인"
    assert session.get(Person, gone).status == "merged"  # type: ignore[union-attr]


def test_different_people_stay_apart_and_later_runs_are_told(
    staff_client: TestClient, session: Session, keyring: Keyring
) -> None:
    pair = _linked_pair(session, keyring, ("김순자", "김순지"))
    before = [_person_of(session, r) for r in pair.record_ids]

    decided = _decide(staff_client, pair.item_id, "different", "생년월일 같은 다른 이웃")
    assert decided.status_code == 303
    assert [_person_of(session, r) for r in pair.record_ids] == before
    constraint = session.exec(select(LinkConstraint)).one()
    assert (constraint.kind, constraint.record_id, constraint.other_record_id) == (
        "cannot",
        *sorted(pair.record_ids),
    )
    page = staff_client.get(f"/linkage/reviews/{pair.item_id}").text
    assert "이미 정리된 항목입니다" in page and 'id="decision-form"' not in page
    assert "생년월일 같은 다른 이웃" in page
    listed = staff_client.get("/linkage/reviews?status=different").text
    assert f'href="/linkage/reviews/{pair.item_id}"' in listed


def test_deciding_goes_on_to_the_next_open_item(
    staff_client: TestClient, session: Session, keyring: Keyring
) -> None:
    first = _linked_pair(session, keyring, ("김순자", "김순지"))
    second = _linked_pair(session, keyring, ("박말순", "박말숙"), born=date(1947, 10, 9))
    order = staff_client.get("/linkage/reviews").text
    shown = [int(i) for i in re.findall(r'href="/linkage/reviews/(\d+)"', order)]
    assert sorted(shown) == sorted([first.item_id, second.item_id])

    deferred = _decide(staff_client, shown[0], "deferred", "")
    assert deferred.status_code == 303
    assert deferred.headers["location"].startswith(
        f"/linkage/reviews/{shown[1]}?done={shown[0]}&decision=deferred"
    )
    page = staff_client.get(deferred.headers["location"]).text
    assert f"검토 #{shown[0]}: 보류했습니다." in page
    assert "보류 1건" in staff_client.get("/linkage/reviews?status=deferred").text


def test_merge_and_split_by_hand_from_the_person_page(
    staff_client: TestClient, session: Session, keyring: Keyring, caseworker: User
) -> None:
    make_link_model(session)
    facility = make_facility(session, dong_code=OWN_DONG)
    records = [
        {
            "name": name,
            "rrn": rrns.make_rrn(born, "M", rng=_rng),
            "phone": f"010-{_rng.randint(2000, 9999)}-{_rng.randint(1000, 9999)}",
            "address": f"서울특별시 강남구 개포로 {_rng.randint(1, 99)}",
            "dong": "개포1동",
        }
        for name, born in (("정병철", date(1941, 7, 1)), ("정병찰", date(1952, 2, 9)))
    ]
    first, second = receive(session, keyring=keyring, facility_code=facility.code, records=records)
    linkage_service.link_pending(session, thresholds=THRESHOLDS)
    a, b = _person_of(session, first), _person_of(session, second)
    assert a < b
    csrf = staff_client.csrf  # type: ignore[attr-defined]

    page = staff_client.get(f"/persons/{b}").text
    assert 'id="merge-form"' in page and 'id="split-form"' not in page  # one record: no split

    # A reason is required; the typed number is kept.
    refused = staff_client.post(
        f"/persons/{b}/merge", data={"other_id": str(a), "reason": "", "csrf_token": csrf}
    )
    assert refused.status_code == 422 and "사유를 5자 이상 입력하세요" in refused.text
    assert f'name="other_id" class="krds-input" value="{a}"' in refused.text
    not_a_number = staff_client.post(
        f"/persons/{b}/merge",
        data={"other_id": "정병철", "reason": "같은 사람", "csrf_token": csrf},
    )
    assert not_a_number.status_code == 422 and "숫자로 입력하세요" in not_a_number.text

    merged = staff_client.post(
        f"/persons/{b}/merge",
        data={"other_id": str(a), "reason": "주민센터 방문 확인", "csrf_token": csrf},
        follow_redirects=False,
    )
    assert merged.status_code == 303 and merged.headers["location"] == f"/persons/{a}?merged={b}"
    page = staff_client.get(merged.headers["location"]).text
    assert f"대상자 #{b}을(를) 이 대상자와 합쳤습니다" in page
    assert "정병철" in page and "정병찰" in page and 'id="split-form"' in page
    assert f'name="record_ids" value="{second}"' in page

    no_choice = staff_client.post(
        f"/persons/{a}/split", data={"reason": "다른 사람의 기록", "csrf_token": csrf}
    )
    assert no_choice.status_code == 422 and "분리할 기록을 하나 이상 고르세요" in no_choice.text
    split = staff_client.post(
        f"/persons/{a}/split",
        data={"record_ids": [str(second)], "reason": "생년월일 다른 형제", "csrf_token": csrf},
        follow_redirects=False,
    )
    # The records go back to the person they were merged from.
    assert split.status_code == 303 and split.headers["location"] == f"/persons/{b}?split_from={a}"
    assert (_person_of(session, first), _person_of(session, second)) == (a, b)
    page = staff_client.get(split.headers["location"]).text
    assert f"대상자 #{a}에서 고른 기록을 이 대상자로 분리했습니다" in page and "정병찰" in page
    history = page.split('id="history"')[1]
    assert "분리" in history and "생년월일 다른 형제" in history
    cannot = session.exec(select(LinkConstraint).where(LinkConstraint.kind == "cannot")).all()
    assert [(c.record_id, c.other_record_id) for c in cannot] == [(first, second)]

    assert [r.subject_person_id for r in _logged(session, "person.merge", caseworker)] == [a]
    assert [r.subject_person_id for r in _logged(session, "person.split", caseworker)] == [a]


@pytest.mark.parametrize("path", ["merge", "split"])
def test_merge_and_split_of_a_person_outside_my_dong_are_not_found(
    staff_client: TestClient, session: Session, keyring: Keyring, path: str
) -> None:
    pair = _linked_pair(session, keyring, ("최옥분", "최옥순"), dong=OTHER_DONG)
    person = _person_of(session, pair.record_ids[0])
    response = staff_client.post(
        f"/persons/{person}/{path}",
        data={"other_id": "1", "reason": "", "csrf_token": staff_client.csrf},  # type: ignore[attr-defined]
    )
    assert response.status_code == 404 and "최옥" not in response.text
