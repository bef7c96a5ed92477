"""Visit rules select the right people (birthdays, newborns, 75+ living alone, crisis signals,
case checks), refreshing adds each target once and closes what no longer applies, a refusal
holds off new visits, and a manager's edit is validated, previewed, saved and logged."""

import random
from datetime import date
from pathlib import Path

import pytest
from sqlmodel import Session, col, select

from bigcare.auth import service as auth_service
from bigcare.auth.models import AccessLog
from bigcare.auth.permissions import Role
from bigcare.cases.models import (
    Case,
    Household,
    HouseholdMember,
    Monitoring,
    ServicePlan,
)
from bigcare.config import SEED_DIR
from bigcare.errors import InvalidInput, PermissionDenied
from bigcare.linkage.models import Person
from bigcare.outreach import crisis, rules, targets
from bigcare.outreach.models import (
    CrisisSignal,
    HouseholdPreference,
    OutreachStaff,
    VisitRule,
    VisitTarget,
)
from bigcare.privacy import rrn as rrns
from bigcare.privacy.crypto import Keyring
from tests.factories import make_dong, make_facility, make_person, make_user
from tests.linkage.pairs import receive

GAEPO1 = "1123068"
TODAY = date(2026, 12, 1)  # a Tuesday in ISO week 2026-W49
_rng = random.Random(65)


# --- local helpers -------------------------------------------------------------------------


def born(session: Session, keyring: Keyring, birth: date, *, dong_code: str = GAEPO1) -> int:
    """A resident born on `birth` (the RRN carries the date); their id."""
    person = make_person(
        session,
        keyring=keyring,
        dong_code=dong_code,
        rrn=rrns.make_rrn(birth, _rng.choice(["M", "F"]), rng=_rng),
    )
    assert person.id is not None
    return person.id


def household(session: Session, *person_ids: int, dong_code: str = GAEPO1) -> Household:
    """A household of these persons, the first one its head."""
    home = Household(dong_code=dong_code, head_person_id=person_ids[0])
    session.add(home)
    session.flush()
    assert home.id is not None
    for i, person_id in enumerate(person_ids):
        relation = "본인" if i == 0 else "배우자"
        session.add(HouseholdMember(person_id=person_id, household_id=home.id, relation=relation))
    session.flush()
    return home


def signal(
    session: Session, keyring: Keyring, person_id: int, *, kind: str, months: int, amount: int
) -> CrisisSignal:
    """A crisis signal for the person, on a real (unlinked) row received from an agency."""
    agency = make_facility(session, type_code="CRISIS_AGENCY")
    [record_id] = receive(
        session,
        keyring=keyring,
        facility_code=agency.code,
        records=[{"name": "차위기", "rrn": "", "dong": "개포1동", "구분": kind}],
    )
    row = CrisisSignal(
        record_id=record_id,
        person_id=person_id,
        kind=kind,
        months=months,
        amount=amount,
        reported_on=TODAY,
        score=crisis.signal_score(kind=kind, months=months, amount=amount, cut=False),
    )
    session.add(row)
    session.flush()
    return row


def of_rule(session: Session, code: str) -> list[VisitTarget]:
    """The rule's targets, oldest first, read afresh."""
    session.expire_all()
    return list(
        session.exec(
            select(VisitTarget).where(VisitTarget.rule_code == code).order_by(col(VisitTarget.id))
        )
    )


def refresh(
    session: Session, code: str, today: date = TODAY, **kw: object
) -> targets.RefreshResult:
    return targets.refresh_targets(session, today=today, rule_codes=[code], **kw)  # type: ignore[arg-type]


@pytest.fixture
def seeded(session: Session) -> Session:
    """The session with the rules of seed_data/visit_rules.yaml."""
    assert rules.seed_rules(session) == 7
    return session


# --- the rule file -------------------------------------------------------------------------


def test_rule_file_loads_with_every_rule_and_seeding_keeps_edits(seeded: Session) -> None:
    loaded = {r["code"]: r for r in rules.load_rule_file()}
    assert set(loaded) == {
        "age65", "age70", "birth", "alone75", "crisis", "case_monitoring", "revisit"
    }  # fmt: skip
    assert loaded["age65"]["roles"] == ["planner", "nurse"]
    assert all(4 <= len(r["covers"]) <= 8 for r in loaded.values())
    rule = rules.get_rule(seeded, "alone75")
    rule.duration_min = 45
    assert rules.seed_rules(seeded) == 0
    assert rules.get_rule(seeded, "alone75").duration_min == 45


def test_bad_rule_in_file_names_the_rule_and_field(tmp_path: Path) -> None:
    text = (SEED_DIR / rules.RULES_FILE).read_text(encoding="utf-8")
    bad = tmp_path / "rules.yaml"
    bad.write_text(text.replace("roles: [nurse]", "roles: [doctor]"), encoding="utf-8")
    with pytest.raises(InvalidInput) as caught:
        rules.load_rule_file(bad)
    assert "'birth'" in caught.value.message and "roles" in caught.value.message
    assert [e.field for e in caught.value.errors] == ["roles"]


def test_bad_selector_params_are_refused(tmp_path: Path) -> None:
    text = (SEED_DIR / rules.RULES_FILE).read_text(encoding="utf-8")
    bad = tmp_path / "rules.yaml"
    bad.write_text(text.replace("threshold: 50", "threshold: 150"), encoding="utf-8")
    with pytest.raises(InvalidInput) as caught:
        rules.load_rule_file(bad)
    assert "'crisis'" in caught.value.message
    assert [e.field for e in caught.value.errors] == ["params.threshold"]


def test_rule_changes_are_checked_field_by_field() -> None:
    cleaned = rules.validate_rule_changes(
        {"priority": "2", "frequency_days": "", "roles": "nurse, planner", "must_visit": "on"}
    )
    assert cleaned == {
        "priority": 2,
        "frequency_days": None,
        "roles": ["planner", "nurse"],
        "must_visit": True,
    }
    with pytest.raises(InvalidInput) as caught:
        rules.validate_rule_changes({"priority": "0", "roles": ["doctor"], "selector": "x"})
    assert {e.field for e in caught.value.errors} == {"priority", "roles", "selector"}
    assert all(e.message for e in caught.value.errors)


# --- selection -----------------------------------------------------------------------------


def test_age65_selects_a_birthday_inside_the_window_only(seeded: Session, keyring: Keyring) -> None:
    elsewhere = make_dong(seeded)
    soon = born(seeded, keyring, date(1961, 12, 20))  # 65 on 2026-12-20
    home = household(seeded, soon, dong_code=elsewhere.code)
    born(seeded, keyring, date(1962, 2, 15))  # 65 in 76 days: outside
    born(seeded, keyring, date(1961, 8, 1))  # 65 four months ago: outside
    retired = seeded.get(Person, born(seeded, keyring, date(1961, 12, 10)))
    assert retired is not None
    retired.status = "merged"
    seeded.flush()

    result = refresh(seeded, "age65")

    [target] = of_rule(seeded, "age65")
    assert result.added == 1 and result.by_rule == {"age65": 1}
    assert (target.person_id, target.household_id) == (soon, home.id)
    assert target.dong_code == elsewhere.code  # the household's dong visits
    assert target.cycle == "2026-12-20" and target.reason == "2026-12-20 만 65세 도래"
    assert target.due_on == date(2027, 1, 19) and target.priority == 4


def test_birth_selects_a_household_with_a_baby_under_three_months(
    seeded: Session, keyring: Keyring
) -> None:
    mother, baby = born(seeded, keyring, date(1993, 3, 3)), born(seeded, keyring, date(2026, 10, 1))
    family = household(seeded, mother, baby)
    older_mother = born(seeded, keyring, date(1990, 5, 5))
    household(seeded, older_mother, born(seeded, keyring, date(2026, 8, 1)))

    refresh(seeded, "birth")

    [target] = of_rule(seeded, "birth")
    assert (target.person_id, target.household_id) == (baby, family.id)
    assert target.cycle == "2026-10-01" and target.earliest_on == date(2026, 10, 8)


def test_alone75_gets_one_target_a_month_and_none_when_living_with_family(
    seeded: Session, keyring: Keyring
) -> None:
    alone = born(seeded, keyring, date(1950, 6, 1))
    household(seeded, alone)
    household(
        seeded, born(seeded, keyring, date(1950, 7, 1)), born(seeded, keyring, date(1952, 1, 1))
    )

    refresh(seeded, "alone75")
    again = refresh(seeded, "alone75", today=date(2026, 12, 20))
    next_month = refresh(seeded, "alone75", today=date(2027, 1, 4))

    december, january = of_rule(seeded, "alone75")
    assert {december.person_id, january.person_id} == {alone}
    assert (december.cycle, january.cycle) == ("2026-12", "2027-01")
    assert again.added == 0 and next_month.added == 1
    assert (december.status, december.close_reason) == ("closed", "rule")
    assert january.status == "open" and january.due_on == date(2027, 1, 31)


def test_crisis_signal_gives_weekly_targets_until_assessed(
    seeded: Session, keyring: Keyring
) -> None:
    arrears = born(seeded, keyring, date(1968, 4, 4))
    signal(seeded, keyring, arrears, kind="단전", months=6, amount=540_000)
    small = born(seeded, keyring, date(1970, 4, 4))
    signal(seeded, keyring, small, kind="단수", months=2, amount=40_000)

    refresh(seeded, "crisis")
    refresh(seeded, "crisis", today=date(2026, 12, 4))
    refresh(seeded, "crisis", today=date(2026, 12, 8))
    week49, week50 = of_rule(seeded, "crisis")
    assert {week49.person_id, week50.person_id} == {arrears}
    assert (week49.cycle, week50.cycle) == ("2026-W49", "2026-W50")
    assert week50.priority == 1 and week50.must_visit
    assert week50.reason.startswith("위기정보 단전")
    assert week49.status == "closed"

    assert crisis.mark_assessed(seeded, person_id=arrears, on=date(2026, 12, 9)) == 1
    after = refresh(seeded, "crisis", today=date(2026, 12, 15))
    assert after.added == 0 and after.closed == 1
    assert [t.status for t in of_rule(seeded, "crisis")] == ["closed", "closed"]


def test_two_smaller_signals_add_up_to_a_crisis(seeded: Session, keyring: Keyring) -> None:
    person = born(seeded, keyring, date(1971, 1, 1))
    first = signal(seeded, keyring, person, kind="단수", months=4, amount=80_000)
    second = signal(seeded, keyring, person, kind="건보체납", months=6, amount=120_000)
    assert max(first.score, second.score) < 50

    refresh(seeded, "crisis")

    [target] = of_rule(seeded, "crisis")
    assert target.person_id == person and "단수" in target.reason and "건보체납" in target.reason


def test_open_case_with_a_check_due_gets_a_monitoring_target(
    seeded: Session, keyring: Keyring
) -> None:
    worker = make_user(seeded, role=Role.WELFARE_PLANNER)
    staff = OutreachStaff(dong_code=GAEPO1, user_id=worker.id, name="담당플래너", role="planner")
    seeded.add(staff)
    due, later, starting = (born(seeded, keyring, date(1960 + i, 1, 1)) for i in range(3))
    home = household(seeded, due)
    seeded.add(
        HouseholdPreference(household_id=home.id or 0, windows=[[780, 1020]], avoid_days=[2])
    )
    for person_id, next_on in (
        (due, date(2026, 12, 8)),
        (later, date(2027, 1, 20)),
        (starting, None),
    ):
        case = Case(
            person_id=person_id,
            dong_code=GAEPO1,
            stage="monitoring" if next_on else "planned",
            referral_source="자체발굴",
            identified_on=date(2026, 8, 1),
            caseworker_id=worker.id,
        )
        seeded.add(case)
        seeded.flush()
        starts = date(2026, 12, 5) if next_on is None else date(2026, 10, 1)
        seeded.add(
            ServicePlan(
                case_id=case.id or 0, starts_on=starts, ends_on=date(2027, 6, 30), actor_label="t"
            )
        )
        if next_on is not None:
            seeded.add(
                Monitoring(
                    case_id=case.id or 0,
                    checked_on=date(2026, 11, 10),
                    method="visit",
                    next_on=next_on,
                    actor_label="t",
                )
            )
    seeded.flush()

    refresh(seeded, "case_monitoring")

    found = {t.person_id: t for t in of_rule(seeded, "case_monitoring")}
    assert set(found) == {due, starting}
    assert (found[due].cycle, found[due].due_on) == ("2026-12-08", date(2026, 12, 8))
    assert found[due].known_staff_id == staff.id
    assert (found[due].windows, found[due].avoid_days) == ([[780, 1020]], [2])
    assert found[starting].cycle == "2026-12-05"


# --- refreshing ----------------------------------------------------------------------------


def test_refreshing_twice_adds_nothing(seeded: Session, keyring: Keyring) -> None:
    household(seeded, born(seeded, keyring, date(1948, 3, 3)))
    born(seeded, keyring, date(1961, 12, 24))
    born(seeded, keyring, date(1956, 12, 3))  # 70 on 2026-12-03

    first = targets.refresh_targets(seeded, today=TODAY)
    second = targets.refresh_targets(seeded, today=TODAY)

    assert first.added == 3
    assert first.by_rule == {
        "crisis": 0, "case_monitoring": 0, "birth": 0, "alone75": 1, "age65": 1, "age70": 1
    }  # fmt: skip
    assert (second.added, second.closed) == (0, 0)
    assert len(seeded.exec(select(VisitTarget)).all()) == 3


def test_refused_person_gets_no_new_target_while_snoozed(seeded: Session, keyring: Keyring) -> None:
    alone = born(seeded, keyring, date(1945, 9, 9))
    household(seeded, alone)
    refresh(seeded, "alone75")
    [december] = of_rule(seeded, "alone75")
    december.status, december.snooze_until = "refused", date(2027, 3, 1)
    seeded.flush()

    snoozed = refresh(seeded, "alone75", today=date(2027, 1, 4))
    after = refresh(seeded, "alone75", today=date(2027, 3, 2))

    assert snoozed.added == 0
    assert after.added == 1
    assert [t.cycle for t in of_rule(seeded, "alone75")] == ["2026-12", "2027-03"]


def test_moved_household_target_goes_to_the_new_center(seeded: Session, keyring: Keyring) -> None:
    alone = born(seeded, keyring, date(1944, 2, 2))
    home = household(seeded, alone)
    refresh(seeded, "alone75", dong_codes=[GAEPO1])
    new_dong = make_dong(seeded)
    home.dong_code = new_dong.code
    seeded.flush()

    left = refresh(seeded, "alone75", dong_codes=[GAEPO1])
    arrived = refresh(seeded, "alone75", dong_codes=[new_dong.code])

    [target] = of_rule(seeded, "alone75")
    assert (left.closed, left.moved, arrived.added) == (0, 1, 0)
    assert (target.status, target.dong_code) == ("open", new_dong.code)


def test_open_targets_and_counts_for_a_center(seeded: Session, keyring: Keyring) -> None:
    household(seeded, born(seeded, keyring, date(1947, 1, 1)))
    arrears = born(seeded, keyring, date(1969, 1, 1))
    signal(seeded, keyring, arrears, kind="단전", months=10, amount=900_000)
    targets.refresh_targets(seeded, today=TODAY)

    listed = targets.list_open_targets(seeded, dong_code=GAEPO1, until=date(2026, 12, 6))
    counts = targets.target_counts(seeded, dong_code=GAEPO1, today=date(2026, 12, 5))

    assert [t.rule_code for t in listed] == ["crisis", "alone75"]
    assert counts == {"open": 2, "overdue": 1, "must": 1}  # crisis was due Friday 12-04


# --- editing -------------------------------------------------------------------------------


def test_preview_of_a_wider_age65_window_counts_without_saving(
    seeded: Session, keyring: Keyring
) -> None:
    born(seeded, keyring, date(1961, 12, 20))  # +19 days
    born(seeded, keyring, date(1962, 1, 30))  # +60 days
    born(seeded, keyring, date(1962, 4, 1))  # +121 days

    preview = rules.preview_rule_change(
        seeded, rule_code="age65", changes={"params": {"lookahead_days": 90}}, today=TODAY
    )

    assert preview == rules.RulePreview(current=1, after=2, added=1, dropped=0)
    seeded.expire_all()
    rule = rules.get_rule(seeded, "age65")
    assert rule.params["lookahead_days"] == 30 and rule.version == 1
    assert of_rule(seeded, "age65") == []


def test_update_rule_bumps_version_logs_and_refreshes(seeded: Session, keyring: Keyring) -> None:
    later = born(seeded, keyring, date(1962, 1, 30))
    manager = auth_service.actor_for(make_user(seeded, role=Role.CITY_MANAGER))

    rule = rules.update_rule(
        seeded,
        rule_code="age65",
        changes={"params": {"lookahead_days": "90"}, "duration_min": "70"},
        actor=manager,
        today=TODAY,
    )

    assert rule.version == 2 and rule.params["lookahead_days"] == 90 and rule.duration_min == 70
    assert rule.params["age"] == 65  # untouched settings kept
    assert rule.updated_by_label == manager.signature
    [entry] = seeded.exec(select(AccessLog).where(AccessLog.action == "rule.update")).all()
    assert entry.target == "visit_rule:age65 v2 (duration_min, params)"
    assert [t.person_id for t in of_rule(seeded, "age65")] == [later]


def test_update_rule_refuses_a_caseworker_and_bad_values(seeded: Session) -> None:
    caseworker = auth_service.actor_for(make_user(seeded, role=Role.CASEWORKER))
    manager = auth_service.actor_for(make_user(seeded, role=Role.CITY_MANAGER))
    with pytest.raises(PermissionDenied):
        rules.update_rule(
            seeded, rule_code="age65", changes={"priority": 2}, actor=caseworker, today=TODAY
        )
    with pytest.raises(InvalidInput) as caught:
        rules.update_rule(
            seeded,
            rule_code="age65",
            changes={"params": {"age": 300, "colour": 1}},
            actor=manager,
            today=TODAY,
        )
    assert {e.field for e in caught.value.errors} == {"params.age", "params.colour"}
    assert seeded.get(VisitRule, "age65").version == 1  # type: ignore[union-attr]
