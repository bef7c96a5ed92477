"""A live BigCare server on the run's database, and rows committed for it (the server runs in
its own thread with its own sessions, so it cannot see a test's rolled-back transaction)."""

import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
import uvicorn
from sqlalchemy import delete, or_, update
from sqlmodel import Session, col, select

from bigcare.app import create_app
from bigcare.auth import sessions as auth_sessions
from bigcare.auth.models import RecoveryCode, User, UserSession
from bigcare.auth.permissions import Role, requires_second_factor
from bigcare.cases.models import (
    Assessment,
    Attachment,
    Case,
    CaseEvent,
    CaseNote,
    Conference,
    Consent,
    Household,
    HouseholdMember,
    Monitoring,
    PlanService,
    Referral,
    ServicePlan,
)
from bigcare.config import Settings
from bigcare.facilities.models import ColumnMapping, ImportBatch, SourceRecord, SourceRecordRevision
from bigcare.linkage.models import (
    LinkConstraint,
    LinkEvent,
    LinkModel,
    Person,
    PersonField,
    RecordLink,
    ReviewItem,
)
from bigcare.privacy.crypto import Keyring
from tests.conftest import TestDatabase
from tests.factories import PASSWORD, make_person, make_user


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def live_server(
    database: TestDatabase, keyring: Keyring, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """BigCare served on 127.0.0.1 over the run's seeded database."""
    settings = Settings(
        database_url=database.url,
        demo=True,
        attachments_dir=tmp_path_factory.mktemp("attachments"),
    )
    app = create_app(settings, engine=database.engine, keyring=keyring)
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        if time.monotonic() > deadline:
            pytest.fail("the test server did not start within 15 s")
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


@dataclass
class Account:
    """A committed account the live server can log in with (the server has its own sessions)."""

    user: User
    password: str
    totp_secret: str | None


class World:
    """Rows a browser test commits to the run's database, deleted again afterwards (the live
    server cannot see a test's rolled-back transaction). Access-log rows stay: they are
    append-only by design."""

    def __init__(self, database: TestDatabase, keyring: Keyring) -> None:
        self.database, self.keyring = database, keyring
        self.users: list[int] = []
        self.persons: list[int] = []

    def account(self, role: Role, scope_code: str | None = "1123068") -> Account:
        with Session(self.database.engine) as session:
            user = make_user(session, role=role, scope_code=scope_code)
            secret = None
            if requires_second_factor(role):
                secret, _ = auth_sessions.enrol_totp_directly(
                    session, user=user, keyring=self.keyring
                )
            session.commit()
            session.refresh(user)
            self.users.append(user.id or 0)
            session.expunge(user)
        return Account(user=user, password=PASSWORD, totp_secret=secret)

    def person(self, dong_code: str, name: str) -> int:
        with Session(self.database.engine) as session:
            person = make_person(session, keyring=self.keyring, dong_code=dong_code, name=name)
            session.commit()
            self.persons.append(person.id or 0)
            return person.id or 0

    def clean(self) -> None:
        with Session(self.database.engine) as session:
            forget_case_rows(session, self.persons)
            session.execute(delete(Person).where(Person.id.in_(self.persons)))  # type: ignore[union-attr]
            for table in (UserSession, RecoveryCode):
                session.execute(delete(table).where(table.user_id.in_(self.users)))  # type: ignore[attr-defined]
            session.execute(delete(User).where(User.id.in_(self.users)))  # type: ignore[union-attr]
            session.commit()


def forget_case_rows(session: Session, person_ids: list[int]) -> None:
    """Delete the cases (and everything recorded on them), consents and household places of
    these committed test persons, and the households left without members."""
    cases = select(Case.id).where(col(Case.person_id).in_(person_ids))
    plans = select(ServicePlan.id).where(col(ServicePlan.case_id).in_(cases))
    session.execute(delete(PlanService).where(col(PlanService.plan_id).in_(plans)))
    session.execute(delete(Referral).where(col(Referral.case_id).in_(cases)))
    session.execute(
        delete(Consent).where(
            or_(col(Consent.person_id).in_(person_ids), col(Consent.case_id).in_(cases))
        )
    )
    for table in (ServicePlan, CaseEvent, Assessment, Conference, Monitoring, CaseNote, Attachment):
        session.execute(delete(table).where(col(table.case_id).in_(cases)))  # type: ignore[attr-defined]
    session.execute(delete(Case).where(col(Case.id).in_(cases)))
    households = list(
        session.exec(
            select(HouseholdMember.household_id).where(
                col(HouseholdMember.person_id).in_(person_ids)
            )
        ).all()
    )
    session.execute(delete(HouseholdMember).where(col(HouseholdMember.person_id).in_(person_ids)))
    emptied = select(Household.id).where(
        col(Household.id).in_(households),
        ~select(HouseholdMember.person_id)
        .where(HouseholdMember.household_id == Household.id)
        .exists(),
    )
    session.execute(
        update(Household)
        .where(col(Household.head_person_id).in_(person_ids))
        .values(head_person_id=None)
    )
    session.execute(delete(Household).where(col(Household.id).in_(emptied)))


def forget_facilities(session: Session, codes: list[str], model_version: str | None = None) -> None:
    """Delete what committed test facilities sent and every linkage row built from it:
    review items, constraints, links, the persons made of those records (and any merged into
    them), their provenance and events; then the records, batches and mappings."""
    records = select(SourceRecord.id).where(col(SourceRecord.facility_code).in_(codes))
    persons = select(RecordLink.person_id).where(col(RecordLink.record_id).in_(records))
    person_ids = list(session.exec(persons).all())
    retired = select(Person.id).where(col(Person.merged_into_id).in_(person_ids))
    person_ids += list(session.exec(retired).all())
    for left, right in (
        (ReviewItem.record_id, ReviewItem.other_record_id),
        (LinkConstraint.record_id, LinkConstraint.other_record_id),
    ):
        table = left.class_  # type: ignore[attr-defined]
        session.execute(delete(table).where(or_(col(left).in_(records), col(right).in_(records))))
    session.execute(delete(PersonField).where(col(PersonField.person_id).in_(person_ids)))
    session.execute(delete(RecordLink).where(col(RecordLink.record_id).in_(records)))
    session.execute(
        delete(LinkEvent).where(
            or_(
                col(LinkEvent.person_id).in_(person_ids),
                col(LinkEvent.other_person_id).in_(person_ids),
            )
        )
    )
    forget_case_rows(session, person_ids)
    session.execute(
        update(Person).where(col(Person.id).in_(person_ids)).values(merged_into_id=None)
    )
    session.execute(delete(Person).where(col(Person.id).in_(person_ids)))
    if model_version:
        session.execute(delete(LinkModel).where(col(LinkModel.version) == model_version))
    session.execute(
        delete(SourceRecordRevision).where(col(SourceRecordRevision.record_id).in_(records))
    )
    for table in (SourceRecord, ImportBatch, ColumnMapping):
        session.execute(delete(table).where(col(table.facility_code).in_(codes)))  # type: ignore[attr-defined]
    session.commit()


@pytest.fixture
def world(database: TestDatabase, keyring: Keyring) -> Iterator[World]:
    created = World(database, keyring)
    yield created
    created.clean()
