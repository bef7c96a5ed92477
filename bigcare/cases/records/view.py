"""What a case's records page shows: notes (newest first), attachments, the person's consents
with whether each is in force, the case's referrals, and the facilities the forms offer."""

from dataclasses import dataclass, field
from datetime import date

from sqlmodel import Session, col, select

from bigcare.auth.permissions import ScopeKind
from bigcare.auth.service import Actor
from bigcare.cases import workflow
from bigcare.cases.models import Attachment, Case, CaseNote, Consent, Referral
from bigcare.cases.records import common, consents
from bigcare.districts.models import Dong, Gu
from bigcare.errors import NotFound
from bigcare.facilities.models import Facility


@dataclass
class FacilityChoice:
    """A facility offered in the consent and referral forms."""

    code: str
    name: str
    gu_name: str
    dong_name: str
    near: bool  # in the actor's gu: offered first


@dataclass
class ConsentRow:
    """A consent with the facility it names and whether it is in force today."""

    consent: Consent
    facility_name: str | None
    state: str  # in_force, withdrawn, expired, pending (given_on after today)

    @property
    def in_force(self) -> bool:
        return self.state == "in_force"

    @property
    def state_label(self) -> str:
        return consents.CONSENT_STATES[self.state]

    @property
    def purpose_label(self) -> str:
        return consents.PURPOSES.get(self.consent.purpose, self.consent.purpose)

    @property
    def given_by_label(self) -> str:
        return consents.GIVEN_BY.get(self.consent.given_by, self.consent.given_by)

    @property
    def method_label(self) -> str:
        return consents.METHODS.get(self.consent.method, self.consent.method)


@dataclass
class ReferralRow:
    """A referral with its facility's name and the statuses it may move to."""

    referral: Referral
    facility_name: str

    @property
    def status_label(self) -> str:
        return consents.REFERRAL_STATUSES.get(self.referral.status, self.referral.status)

    @property
    def next_statuses(self) -> dict[str, str]:
        return {
            s: consents.REFERRAL_STATUSES[s]
            for s in consents.NEXT_STATUSES.get(self.referral.status, ())
        }


@dataclass
class CaseRecords:
    """Notes (newest first), attachments, the person's consents and the case's referrals."""

    case: Case
    today: date
    notes: list[CaseNote]
    attachments: list[Attachment]
    consents: list[ConsentRow]
    referrals: list[ReferralRow]
    facilities: list[FacilityChoice] = field(default_factory=list)
    # The forms' choices, so a page that includes the records partial needs nothing else.
    purposes: dict[str, str] = field(default_factory=lambda: dict(consents.PURPOSES))
    given_by: dict[str, str] = field(default_factory=lambda: dict(consents.GIVEN_BY))
    methods: dict[str, str] = field(default_factory=lambda: dict(consents.METHODS))


def _actor_gu(session: Session, actor: Actor) -> str | None:
    if actor.scope_kind is ScopeKind.GU:
        return actor.scope_code
    if actor.scope_kind is ScopeKind.DONG and actor.scope_code:
        dong = session.get(Dong, actor.scope_code)
        return dong.gu_code if dong else None
    return None


def facility_choices(session: Session, *, actor: Actor | None) -> list[FacilityChoice]:
    """Every facility, those in the actor's gu first (a referral may go anywhere in Seoul)."""
    gu_code = _actor_gu(session, actor) if actor else None
    rows = session.exec(
        select(Facility, Dong, Gu)
        .join(Dong, col(Dong.code) == Facility.dong_code)
        .join(Gu, col(Gu.code) == Dong.gu_code)
        .order_by(Gu.name, Facility.name, Facility.code)
    ).all()
    choices = [
        FacilityChoice(f.code, f.name, g.name, d.name, near=g.code == gu_code) for f, d, g in rows
    ]
    return sorted(choices, key=lambda c: not c.near)  # stable: keeps the name order


def case_records(
    session: Session, *, case_id: int, today: date, actor: Actor | None = None
) -> CaseRecords:
    """The records of a case the caller has already read in scope (and logged); with an
    actor, also the facilities for the forms (the actor's gu first)."""
    case = session.get(Case, case_id)
    if case is None:
        raise NotFound(workflow.NOT_FOUND)
    notes = session.exec(
        select(CaseNote)
        .where(CaseNote.case_id == case_id)
        .order_by(col(CaseNote.created_at).desc(), col(CaseNote.id).desc())
    ).all()
    attachments = session.exec(
        select(Attachment).where(Attachment.case_id == case_id).order_by(col(Attachment.id))
    ).all()
    given = session.exec(
        select(Consent, Facility.name)
        .outerjoin(Facility, col(Facility.code) == Consent.facility_code)
        .where(Consent.person_id == case.person_id)
        .order_by(col(Consent.given_on).desc(), col(Consent.id).desc())
    ).all()
    referrals = session.exec(
        select(Referral, Facility.name)
        .join(Facility, col(Facility.code) == Referral.facility_code)
        .where(Referral.case_id == case_id)
        .order_by(col(Referral.id).desc())
    ).all()
    return CaseRecords(
        case=case,
        today=today,
        notes=list(notes),
        attachments=list(attachments),
        consents=[ConsentRow(c, name, consents.consent_state(c, today=today)) for c, name in given],
        referrals=[ReferralRow(r, name) for r, name in referrals],
        facilities=facility_choices(session, actor=actor) if actor else [],
    )


def get_case_records(session: Session, *, actor: Actor, case_id: int, today: date) -> CaseRecords:
    """case_records for a case in the actor's scope; the read is access-logged."""
    case = workflow.get_scoped_case(
        session, actor=actor, case_id=case_id, action="case.records.read"
    )
    common.log(session, actor, "case.records.read", case, f"case:{case_id}")
    return case_records(session, case_id=case_id, today=today, actor=actor)
