"""Linking on a small labelled set with a known right answer: twins stay apart, a jamo typo
with a masked RRN links, ids are stable on re-run and across batches, manual decisions hold,
unmerge restores and merge puts back, and the golden record says where each value came from."""

import random
from datetime import date

import pytest
from sqlmodel import Session, col, select

from bigcare.auth.service import operator_actor
from bigcare.linkage import decisions, golden, review
from bigcare.linkage import service as linkage_service
from bigcare.linkage.models import LinkConstraint, LinkEvent, Person, PersonField, RecordLink
from bigcare.privacy import rrn as rrns
from bigcare.privacy.crypto import Keyring
from tests.factories import make_facility
from tests.linkage.pairs import THRESHOLDS, make_link_model, receive

GAEPO1 = "1123068"
_rng = random.Random(5)
TWINS_BORN = date(1990, 1, 1)
MANAGER = operator_actor("test", permissions=frozenset({"linkage.review", "person.read"}))


def _persons(session: Session, record_ids: list[int]) -> list[int]:
    links = {
        link.record_id: link.person_id
        for link in session.exec(
            select(RecordLink).where(col(RecordLink.record_id).in_(record_ids))
        )
    }
    return [links.get(r, 0) for r in record_ids]


def _family(session: Session, keyring: Keyring) -> dict[str, int]:
    """A family at one address with one home phone: twin sons born the same day, their
    mother, and the first son again at a second facility with a jamo typo and a masked RRN."""
    center = make_facility(session, dong_code=GAEPO1, type_code="DONG_CENTER")
    senior = make_facility(session, dong_code=GAEPO1, type_code="SENIOR_WELFARE")
    minjun = rrns.make_rrn(TWINS_BORN, "M", rng=_rng)
    minjae = rrns.make_rrn(TWINS_BORN, "M", rng=_rng)
    mother = rrns.make_rrn(date(1962, 5, 7), "F", rng=_rng)
    home = {"address": "서울특별시 강남구 개포로22길 5", "unit": "101동 1203호", "dong": "개포1동"}
    ids = receive(
        session,
        keyring=keyring,
        facility_code=center.code,
        records=[
            {"name": "김민준", "rrn": minjun, "home_phone": "02-571-3344", **home},
            {"name": "김민재", "rrn": minjae, "home_phone": "02-571-3344", **home},
            {"name": "박순자", "rrn": mother, "home_phone": "02-571-3344", **home},
        ],
    )
    typo = receive(
        session,
        keyring=keyring,
        facility_code=senior.code,
        records=[
            {
                "name": "김민쥰",  # ㅜ typed as ㅠ
                "rrn": minjun[:8] + "******",
                "home_phone": "02-571-3344",
                **home,
            }
        ],
    )
    return {"민준": ids[0], "민재": ids[1], "순자": ids[2], "민쥰": typo[0]}


def test_twins_stay_apart_and_a_typo_with_a_masked_rrn_links(
    session: Session, keyring: Keyring
) -> None:
    make_link_model(session)
    family = _family(session, keyring)
    report = linkage_service.link_pending(session, thresholds=THRESHOLDS)
    minjun, minjae, mother, typo = _persons(
        session, [family["민준"], family["민재"], family["순자"], family["민쥰"]]
    )
    assert report.records_linked == 4
    assert minjun == typo, "one jamo off with the same RRN front should link"
    assert len({minjun, minjae, mother}) == 3, "twins and mother are three persons"
    # The golden record of the son keeps the full number (verified source) and its masked form.
    son = session.get(Person, minjun)
    assert son is not None and son.rrn_index is not None
    assert son.rrn_masked == "900101-1******"
    event = session.exec(select(LinkEvent).where(LinkEvent.person_id == minjun)).first()
    assert event is not None and event.model_version and event.actor_label == "linker"


def test_ids_are_stable_on_a_rerun_and_a_new_batch_renumbers_no_one(
    session: Session, keyring: Keyring
) -> None:
    make_link_model(session)
    family = _family(session, keyring)
    linkage_service.link_pending(session, thresholds=THRESHOLDS)
    before = _persons(session, list(family.values()))

    again = linkage_service.rebuild(session, thresholds=THRESHOLDS)
    assert _persons(session, list(family.values())) == before
    assert again.records_linked == 0 and again.persons_created == 0

    # A new batch: the mother again (another facility, birth date only), and a new person.
    food = make_facility(session, dong_code=GAEPO1, type_code="FOOD_BANK")
    new_ids = receive(
        session,
        keyring=keyring,
        facility_code=food.code,
        records=[
            {
                "name": "박순자",
                "birth_date": "1962-05-07",
                "home_phone": "025713344",
                "address": "서울 강남구 개포로22길 5, 101동 1203호",
                "dong": "개포1동",
            },
            {"name": "이옥분", "birth_date": "1938.11.02", "dong": "개포1동"},
        ],
    )
    report = linkage_service.link_pending(session, thresholds=THRESHOLDS)
    assert report.records_linked == 2 and report.persons_created == 1
    assert _persons(session, list(family.values())) == before
    mother_again, newcomer = _persons(session, new_ids)
    assert mother_again == before[2]
    assert newcomer > max(before)


def test_manual_decisions_hold_on_every_later_run(session: Session, keyring: Keyring) -> None:
    make_link_model(session)
    family = _family(session, keyring)
    linkage_service.link_pending(session, thresholds=THRESHOLDS)
    minjun, minjae = _persons(session, [family["민준"], family["민재"]])

    # Someone who knows the family says the typo record is the other twin.
    decisions.split_person(
        session,
        actor=MANAGER,
        person_id=minjun,
        record_ids=[family["민쥰"]],
        reason="복지관 기록은 김민재 님으로 확인",
    )
    split_to = _persons(session, [family["민쥰"]])[0]
    merged = decisions.merge_persons(
        session, actor=MANAGER, person_id=minjae, other_id=split_to, reason="쌍둥이 동생 기록"
    )
    kinds = {c.kind for c in session.exec(select(LinkConstraint))}
    assert kinds == {"cannot", "must"}

    linkage_service.rebuild(session, thresholds=THRESHOLDS)
    assert _persons(session, [family["민쥰"]]) == [merged.id]
    assert _persons(session, [family["민준"]]) == [minjun]


def test_unmerge_restores_the_persons_and_merge_puts_them_back(
    session: Session, keyring: Keyring
) -> None:
    make_link_model(session)
    family = _family(session, keyring)
    linkage_service.link_pending(session, thresholds=THRESHOLDS)
    minjun, minjae = _persons(session, [family["민준"], family["민재"]])

    decisions.merge_persons(
        session, actor=MANAGER, person_id=minjun, other_id=minjae, reason="잘못 합쳐 보기"
    )
    assert _persons(session, [family["민준"], family["민재"]]) == [minjun, minjun]
    retired = session.get(Person, minjae)
    assert retired is not None and retired.status == "merged" and retired.merged_into_id == minjun

    restored = decisions.split_person(
        session, actor=MANAGER, person_id=minjun, record_ids=[family["민재"]], reason="쌍둥이 분리"
    )
    assert restored.id == minjae and restored.status == "active"
    assert _persons(session, [family["민준"], family["민재"]]) == [minjun, minjae]
    # Each person's golden record is rebuilt from its own records again.
    fields = {
        f.person_id: f for f in session.exec(select(PersonField).where(PersonField.field == "name"))
    }
    assert fields[minjun].value == "김민준" and fields[minjae].value == "김민재"

    decisions.merge_persons(
        session, actor=MANAGER, person_id=minjae, other_id=minjun, reason="다시 합침"
    )
    assert _persons(session, [family["민준"], family["민재"]]) == [minjun, minjun]
    kinds = [e.kind for e in decisions.history(session, minjun)]
    assert kinds[:3] == ["merge", "split", "merge"]


def test_the_golden_record_prefers_the_dong_center_and_says_why(
    session: Session, keyring: Keyring
) -> None:
    make_link_model(session)
    family = _family(session, keyring)
    linkage_service.link_pending(session, thresholds=THRESHOLDS)
    minjun = _persons(session, [family["민준"]])[0]
    shown = {p.field: p for p in decisions.provenance(session, minjun)}
    assert shown["name"].value == "김민준"
    assert shown["name"].rule == golden.RULE_LABELS["verified"]
    assert shown["rrn"].value.endswith("******")
    assert shown["address"].record_id == family["민준"]


@pytest.mark.parametrize("decision", ["same", "different"])
def test_a_review_decision_is_kept_as_a_constraint(
    session: Session, keyring: Keyring, decision: str
) -> None:
    make_link_model(session)
    family = _family(session, keyring)
    linkage_service.link_pending(session, thresholds=THRESHOLDS)
    items = review.list_reviews(session, actor=MANAGER)[0]
    # The twins: same birth, address and home phone, different names and numbers.
    twins = {family["민준"], family["민쥰"], family["민재"]}
    item = next(
        r.item
        for r in items
        if {r.item.record_id, r.item.other_record_id} <= twins
        and family["민재"] in (r.item.record_id, r.item.other_record_id)
    )
    review.decide_review(
        session, actor=MANAGER, item_id=item.id or 0, decision=decision, note="가족 확인 통화"
    )
    constraint = session.exec(select(LinkConstraint)).one()
    assert constraint.kind == ("must" if decision == "same" else "cannot")
    a, b = _persons(session, [item.record_id, item.other_record_id])
    assert (a == b) is (decision == "same")
    linkage_service.rebuild(session, thresholds=THRESHOLDS)
    a, b = _persons(session, [item.record_id, item.other_record_id])
    assert (a == b) is (decision == "same")
