"""Small outreach worlds for tests: a dong with its center, staff, rules, households and
targets, built row by row so each test states exactly what the planner is given."""

from datetime import date

from sqlmodel import Session

from bigcare.auth.models import User
from bigcare.cases.models import Household, HouseholdMember
from bigcare.districts.models import Center, Dong
from bigcare.outreach import rules
from bigcare.outreach.models import OutreachStaff, VisitRule, VisitTarget
from bigcare.privacy.crypto import Keyring
from tests import factories


def make_rules(session: Session) -> None:
    """The visit rules of seed_data/visit_rules.yaml (when not seeded yet)."""
    rules.seed_rules(session)


def make_center(session: Session) -> Dong:
    """A test dong with its center at the dong's point."""
    dong = factories.make_dong(session)
    session.add(
        Center(dong_code=dong.code, name=f"{dong.name} 주민센터", lat=dong.lat, lon=dong.lon)
    )
    session.flush()
    return dong


def make_staff(
    session: Session, dong: Dong, role: str = "planner", *, user: User | None = None, **kw: object
) -> OutreachStaff:
    staff = OutreachStaff(
        dong_code=dong.code, name=f"직원{role}", role=role, user_id=user.id if user else None, **kw
    )
    session.add(staff)
    session.flush()
    return staff


def make_target(
    session: Session,
    dong: Dong,
    *,
    keyring: Keyring,
    rule: str = "alone75",
    due: date,
    earliest: date | None = None,
    offset: tuple[float, float] = (0.002, 0.002),
    **kw: object,
) -> VisitTarget:
    """A household with one member at a point near the dong's, and its target."""
    person = factories.make_person(session, keyring=keyring, dong_code=dong.code)
    household = Household(
        dong_code=dong.code, lat=dong.lat + offset[0], lon=dong.lon + offset[1], address="시험로 1"
    )
    session.add(household)
    session.flush()
    session.add(HouseholdMember(person_id=person.id or 0, household_id=household.id or 0))
    found = session.get(VisitRule, rule)
    assert found is not None, f"rule {rule} is not seeded"
    priority, must = found.priority, found.must_visit
    target = VisitTarget(
        rule_code=rule,
        person_id=person.id or 0,
        household_id=household.id,
        dong_code=dong.code,
        cycle=f"t{person.id}",
        priority=kw.pop("priority", priority),  # type: ignore[arg-type]
        must_visit=kw.pop("must_visit", must),  # type: ignore[arg-type]
        due_on=due,
        earliest_on=earliest or date(2000, 1, 1),
        **kw,
    )
    session.add(target)
    session.flush()
    return target
