"""What every kind of case record shares: its access-log row and reading form input (text,
dates, a facility) into field errors that are raised together."""

import unicodedata
from datetime import date

from sqlmodel import Session

from bigcare.auth import audit
from bigcare.auth.service import Actor
from bigcare.cases.models import Case
from bigcare.errors import FieldError, InvalidInput
from bigcare.facilities.models import Facility


def log(session: Session, actor: Actor, action: str, case: Case, target: str) -> None:
    """The access-log row of a read or change of the case's records (its person is the subject)."""
    audit.record(session, actor=actor, action=action, subject=case.person_id, target=target)


def clean_text(value: str) -> str:
    """NFC, Unix line ends, no surrounding blank space."""
    return unicodedata.normalize("NFC", value).replace("\r\n", "\n").replace("\r", "\n").strip()


def parse_date(value: date | str | None, name: str, errors: list[FieldError]) -> date | None:
    """A typed date (blank: None); an error for the field when it is not YYYY-MM-DD."""
    if value is None or isinstance(value, date):
        return value
    value = value.strip()
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        errors.append(FieldError(name, "날짜를 YYYY-MM-DD 형식으로 입력하세요"))
        return None


def raise_errors(errors: list[FieldError]) -> None:
    """Raise the field errors, if any, together (the first one's message on top)."""
    if errors:
        raise InvalidInput(errors[0].message, errors)


def find_facility(
    session: Session, code: str | None, name: str, errors: list[FieldError]
) -> Facility | None:
    """The facility a form names (blank: None); an error for the field when there is none."""
    code = (code or "").strip()
    if not code:
        return None
    facility = session.get(Facility, code)
    if facility is None:
        errors.append(FieldError(name, "목록에 없는 기관입니다"))
    return facility
