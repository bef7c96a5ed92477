"""The person's consents (given, withdrawn, expired) and the case's referrals to facilities,
each of which needs a consent in force. Every change is access-logged; a case outside the
actor's scope is a 404."""

from collections.abc import Sequence
from datetime import date

from sqlmodel import Session, col, or_, select

from bigcare.auth.service import Actor
from bigcare.cases import workflow
from bigcare.cases.models import Consent, Referral
from bigcare.cases.records import common
from bigcare.errors import Conflict, FieldError, NotFound

SERVICE_MAX = 100
REASON_MAX = 2_000
GIVEN_BY_NAME_MAX = 40
WITHDRAW_REASON_MAX = 500

PURPOSES = {"collect": "개인정보 수집·이용", "share": "제3자 정보제공", "referral": "서비스 의뢰"}
GIVEN_BY = {"self": "본인", "guardian": "법정대리인", "family": "가족"}
METHODS = {"written": "서면", "verbal": "구두", "electronic": "전자"}
REFERRAL_STATUSES = {"sent": "의뢰함", "accepted": "수락", "declined": "거절", "done": "완료"}
CONSENT_STATES = {
    "in_force": "유효",
    "withdrawn": "철회됨",
    "expired": "만료됨",
    "pending": "시작 전",
}
# Where a referral may go from each status; declined and done are final.
NEXT_STATUSES = {"sent": ("accepted", "declined"), "accepted": ("done",)}
# Purposes that allow passing the person's details to a facility with a referral.
REFERRAL_PURPOSES = ("referral", "share")


def consent_state(consent: Consent, *, today: date) -> str:
    """in_force, or why not: withdrawn (on or before today), expired, pending (given later)."""
    if consent.withdrawn_on is not None and consent.withdrawn_on <= today:
        return "withdrawn"
    if consent.expires_on is not None and consent.expires_on < today:
        return "expired"
    if consent.given_on > today:
        return "pending"
    return "in_force"


def consent_in_force(consent: Consent, *, today: date) -> bool:
    """Given by today, not withdrawn (or withdrawn only after today), not expired."""
    return consent_state(consent, today=today) == "in_force"


# --- consents ------------------------------------------------------------------------------


def record_consent(
    session: Session,
    *,
    actor: Actor,
    case_id: int,
    today: date,
    purpose: str,
    facility_code: str | None,
    given_by: str,
    given_by_name: str | None,
    method: str,
    given_on: date | str | None,
    expires_on: date | str | None = None,
) -> Consent:
    """Record the case's person's consent (for one facility, or any when none is named).
    Raises NotFound, InvalidInput."""
    case = workflow.get_scoped_case(
        session, actor=actor, case_id=case_id, action="case.consent.record"
    )
    errors: list[FieldError] = []
    if purpose not in PURPOSES:
        errors.append(FieldError("purpose", "동의 내용을 고르세요"))
    facility = common.find_facility(session, facility_code, "consent_facility", errors)
    if given_by not in GIVEN_BY:
        errors.append(FieldError("given_by", "동의한 사람을 고르세요"))
    name = " ".join((given_by_name or "").split()) or None
    if given_by in ("guardian", "family") and not name:
        errors.append(FieldError("given_by_name", f"{GIVEN_BY[given_by]}의 이름을 입력하세요"))
    elif name and len(name) > GIVEN_BY_NAME_MAX:
        errors.append(FieldError("given_by_name", f"이름은 {GIVEN_BY_NAME_MAX}자까지입니다"))
    if method not in METHODS:
        errors.append(FieldError("method", "동의 방법을 고르세요"))
    given = common.parse_date(given_on, "given_on", errors)
    expires = common.parse_date(expires_on, "expires_on", errors)
    if given is None and not any(e.field == "given_on" for e in errors):
        errors.append(FieldError("given_on", "동의한 날을 입력하세요"))
    elif given is not None and given > today:
        errors.append(FieldError("given_on", f"동의한 날은 오늘({today}) 이후일 수 없습니다"))
    if given and expires and expires < given:
        errors.append(FieldError("expires_on", "만료일은 동의한 날 이후여야 합니다"))
    common.raise_errors(errors)
    assert given is not None
    consent = Consent(
        person_id=case.person_id,
        case_id=case_id,
        purpose=purpose,
        facility_code=facility.code if facility else None,
        given_by=given_by,
        given_by_name=None if given_by == "self" else name,
        method=method,
        given_on=given,
        expires_on=expires,
        recorded_by=actor.user_id,
        recorded_by_label=actor.signature,
    )
    session.add(consent)
    session.flush()
    common.log(session, actor, "case.consent.record", case, f"case:{case_id} consent:{consent.id}")
    return consent


def withdraw_consent(
    session: Session,
    *,
    actor: Actor,
    case_id: int,
    consent_id: int,
    withdrawn_on: date | str | None,
    reason: str = "",
) -> Consent:
    """Record that the person withdrew a consent (from withdrawn_on on).
    Raises NotFound, InvalidInput, Conflict (already withdrawn)."""
    action = "case.consent.withdraw"
    case = workflow.get_scoped_case(session, actor=actor, case_id=case_id, action=action)
    consent = session.get(Consent, consent_id)
    if consent is None or consent.person_id != case.person_id:
        raise NotFound("동의 기록을 찾을 수 없습니다")
    if consent.withdrawn_on is not None:
        raise Conflict(f"이 동의는 이미 {consent.withdrawn_on}에 철회되었습니다")
    errors: list[FieldError] = []
    on = common.parse_date(withdrawn_on, "withdrawn_on", errors)
    if on is None and not errors:
        errors.append(FieldError("withdrawn_on", "철회한 날을 입력하세요"))
    elif on is not None and on < consent.given_on:
        errors.append(FieldError("withdrawn_on", "철회한 날은 동의한 날 이후여야 합니다"))
    reason = " ".join(reason.split())
    if len(reason) > WITHDRAW_REASON_MAX:
        errors.append(
            FieldError("withdrawn_reason", f"사유는 {WITHDRAW_REASON_MAX}자까지 쓸 수 있습니다")
        )
    common.raise_errors(errors)
    consent.withdrawn_on, consent.withdrawn_reason = on, reason or None
    session.add(consent)
    session.flush()
    common.log(session, actor, action, case, f"case:{case_id} consent:{consent_id}")
    return consent


# --- referrals -----------------------------------------------------------------------------


def find_referral_consent(
    session: Session, *, person_id: int, facility_code: str, today: date
) -> Consent | None:
    """A consent in force that lets the person be referred to this facility: purpose
    referral or share, naming this facility or any. Prefers referral, then the named one."""
    found = session.exec(
        select(Consent).where(
            Consent.person_id == person_id,
            col(Consent.purpose).in_(REFERRAL_PURPOSES),
            or_(col(Consent.facility_code).is_(None), Consent.facility_code == facility_code),
        )
    ).all()
    usable = [c for c in found if consent_in_force(c, today=today)]
    usable.sort(key=lambda c: (c.purpose != "referral", c.facility_code is None, -(c.id or 0)))
    return usable[0] if usable else None


def refer(
    session: Session,
    *,
    actor: Actor,
    case_id: int,
    today: date,
    facility_code: str,
    service: str,
    reason: str,
) -> Referral:
    """Refer the case's person to a facility for a service, under a consent in force.
    Raises NotFound, InvalidInput, Conflict (no consent covers the facility)."""
    case = workflow.get_scoped_case(
        session, actor=actor, case_id=case_id, action="case.referral.create"
    )
    errors: list[FieldError] = []
    facility = common.find_facility(session, facility_code, "referral_facility", errors)
    if not facility_code.strip():
        errors.append(FieldError("referral_facility", "의뢰할 기관을 고르세요"))
    service = " ".join(service.split())
    if not service:
        errors.append(FieldError("service", "의뢰할 서비스를 입력하세요"))
    elif len(service) > SERVICE_MAX:
        errors.append(FieldError("service", f"서비스는 {SERVICE_MAX}자까지입니다"))
    reason = common.clean_text(reason)
    if not reason:
        errors.append(FieldError("reason", "의뢰 사유를 입력하세요"))
    elif len(reason) > REASON_MAX:
        errors.append(FieldError("reason", f"사유는 {REASON_MAX:,}자까지 쓸 수 있습니다"))
    common.raise_errors(errors)
    assert facility is not None
    consent = find_referral_consent(
        session, person_id=case.person_id, facility_code=facility.code, today=today
    )
    if consent is None:
        raise Conflict(
            f"{facility.name}에 의뢰하려면 대상자의 서비스 의뢰(또는 제3자 정보제공) 동의가 "
            "필요합니다. 동의를 먼저 기록하세요."
        )
    referral = Referral(
        case_id=case_id,
        facility_code=facility.code,
        service=service,
        reason=reason,
        consent_id=consent.id or 0,
        actor_id=actor.user_id,
        actor_label=actor.signature,
    )
    session.add(referral)
    session.flush()
    common.log(
        session, actor, "case.referral.create", case, f"case:{case_id} referral:{referral.id}"
    )
    return referral


def update_referral_status(
    session: Session, *, actor: Actor, case_id: int, referral_id: int, status: str
) -> Referral:
    """Move a referral on: sent → accepted or declined, accepted → done.
    Raises NotFound, InvalidInput (a move that is not allowed)."""
    action = "case.referral.status"
    case = workflow.get_scoped_case(session, actor=actor, case_id=case_id, action=action)
    referral = session.get(Referral, referral_id)
    if referral is None or referral.case_id != case_id:
        raise NotFound("의뢰 기록을 찾을 수 없습니다")
    allowed: Sequence[str] = NEXT_STATUSES.get(referral.status, ())
    if status not in allowed:
        now = REFERRAL_STATUSES.get(referral.status, referral.status)
        choices = ", ".join(REFERRAL_STATUSES[s] for s in allowed)
        message = (
            f"'{now}' 상태에서는 {choices}(으)로만 바꿀 수 있습니다"
            if allowed
            else f"'{now}' 상태의 의뢰는 더 바꿀 수 없습니다"
        )
        common.raise_errors([FieldError("status", message)])
    referral.status = status
    session.add(referral)
    session.flush()
    target = f"case:{case_id} referral:{referral_id} {status}"
    common.log(session, actor, action, case, target)
    return referral
