"""Persons (the golden record caseworkers see): create with a sealed RRN, find by RRN, list and
read inside the actor's scope (with the source records and decisions the person is made of),
reveal the full RRN with a reason. Every read is access-logged."""

import unicodedata
from dataclasses import dataclass
from datetime import date

from sqlalchemy import func
from sqlmodel import Session, col, select
from sqlmodel.sql.expression import Select

from bigcare.auth import audit
from bigcare.auth.permissions import ScopeKind
from bigcare.auth.service import Actor
from bigcare.cases import search
from bigcare.db import seoul_today
from bigcare.districts import service as districts_service
from bigcare.districts.models import Dong, Gu
from bigcare.errors import Conflict, FieldError, InvalidInput, NotFound
from bigcare.facilities import service as facilities_service
from bigcare.linkage import decisions
from bigcare.linkage.models import LinkEvent, Person
from bigcare.privacy import phone as phones
from bigcare.privacy import rrn as rrns
from bigcare.privacy.crypto import Keyring

# The sealing context of RRN values: a token sealed for another column cannot be opened here.
RRN_CONTEXT = "rrn"
REVEAL_REASON_MIN = 5
NOT_FOUND = "대상자를 찾을 수 없습니다"
PER_PAGE = 50


@dataclass
class PersonRow:
    """A person with where they live, ready to show (RRN and phone masked)."""

    person: Person
    dong: Dong
    gu: Gu

    @property
    def age(self) -> int | None:
        """만 나이 today in Seoul."""
        born = self.person.birth_date
        if born is None:
            return None
        today = seoul_today()
        return today.year - born.year - ((today.month, today.day) < (born.month, born.day))

    @property
    def masked_phone(self) -> str:
        return phones.mask_phone(self.person.phone) if self.person.phone else ""


def _clean_name(name: str) -> str:
    cleaned = " ".join(unicodedata.normalize("NFC", name).split())
    if not cleaned:
        raise InvalidInput(
            "이름을 입력하세요", [FieldError(field="name", message="필수 항목입니다")]
        )
    return cleaned[:40]


def create_person(
    session: Session,
    *,
    keyring: Keyring,
    name: str,
    dong_code: str,
    rrn: str | None = None,
    birth_date: date | None = None,
    sex: str | None = None,
    phone: str | None = None,
    address: str | None = None,
) -> Person:
    """A new person. The RRN is validated (never rejecting a real number), sealed, indexed and
    masked; birth date and sex come from it when not given. Raises InvalidInput."""
    errors: list[FieldError] = []
    values: dict[str, object] = {"name": _clean_name(name), "address": address}
    if rrn:
        try:
            parsed = rrns.parse_rrn(rrn)
        except rrns.InvalidRRN as exc:
            errors.append(exc.to_field_error("rrn"))
        else:
            values["rrn_masked"] = parsed.masked_form
            if not parsed.masked:
                values["rrn_sealed"] = keyring.seal(parsed.formatted, context=RRN_CONTEXT)
                values["rrn_index"] = keyring.blind_index(parsed.formatted, context=RRN_CONTEXT)
            birth_date = birth_date or parsed.birth_date
            sex = sex or parsed.sex
    if phone:
        values["phone"] = phones.normalize_phone(phone)
        if values["phone"] is None:
            errors.append(FieldError(field="phone", message="전화번호 형식이 아닙니다"))
    if errors:
        raise InvalidInput(errors[0].message, errors)
    districts_service.get_dong(session, dong_code)
    person = Person(dong_code=dong_code, birth_date=birth_date, sex=sex, **values)
    session.add(person)
    session.flush()
    return person


def find_person_by_rrn(session: Session, *, keyring: Keyring, rrn: str) -> Person | None:
    """The person with exactly this RRN (looked up by blind index under every key), or None."""
    try:
        parsed = rrns.parse_rrn(rrn)
    except rrns.InvalidRRN:
        return None
    if parsed.masked:
        return None
    indexes = keyring.blind_indexes(parsed.formatted, context=RRN_CONTEXT)
    return session.exec(select(Person).where(col(Person.rrn_index).in_(indexes))).first()


def _scoped(actor: Actor) -> Select[tuple[Person, Dong, Gu]]:
    """Persons with dong and gu, limited to the actor's scope."""
    return (
        select(Person, Dong, Gu)
        .join(Dong, col(Dong.code) == Person.dong_code)
        .join(Gu, col(Gu.code) == Dong.gu_code)
        .where(actor.dong_clause(col(Person.dong_code)))
    )


def list_persons(
    session: Session, *, actor: Actor, query: search.PersonQuery | None = None, page: int = 1
) -> tuple[list[PersonRow], int]:
    """One page of the active persons in the actor's scope matching `query` (all when None),
    best match first, and the total. The listing is access-logged with how many were shown
    and the kind of search, never the typed text (a name or a number)."""
    # A person merged into another is kept (old links resolve) but is no longer listed.
    scope = actor.dong_clause(col(Person.dong_code))
    listed = _scoped(actor).where(Person.status == "active")
    order = [col(Person.name), col(Person.id)]
    if query is not None:
        narrow = actor.scope_kind is ScopeKind.DONG
        found = search.match(session, query, scope=scope, narrow=narrow)
        listed = listed.where(found.where)
        if found.rank is not None:
            order.insert(0, found.rank)
    # The total rides along with the page (one pass over the matches, not two).
    counted = listed.add_columns(func.count().over()).order_by(*order)
    page_rows = session.exec(counted.offset((page - 1) * PER_PAGE).limit(PER_PAGE)).all()
    if page_rows:
        total = int(page_rows[0][3])
    else:
        total = int(session.exec(select(func.count()).select_from(listed.subquery())).one())
    shown = [PersonRow(p, d, g) for p, d, g, _ in page_rows]
    kind = f", {query.label} 검색" if query else ""
    audit.record(
        session, actor=actor, action="person.list", target=f"{len(shown)}명 표시 ({page}쪽{kind})"
    )
    return shown, total


def _get_scoped(session: Session, *, actor: Actor, person_id: int, action: str) -> PersonRow:
    found = session.exec(_scoped(actor).where(Person.id == person_id)).first()
    if found is None:
        audit.record_unseen(
            session,
            actor=actor,
            action=action,
            model=Person,
            key=person_id,
            target=f"person:{person_id}",
            subject=person_id,
        )
        raise NotFound(NOT_FOUND)
    return PersonRow(*found)


def get_person(session: Session, *, actor: Actor, person_id: int) -> PersonRow:
    """One person in the actor's scope; access-logged. Raises NotFound (also out of scope,
    so an id outside the scope reveals nothing)."""
    row = _get_scoped(session, actor=actor, person_id=person_id, action="person.read")
    audit.record(session, actor=actor, action="person.read", subject=person_id)
    return row


@dataclass
class PersonDetail:
    """The person page: the golden record and how it was made from facilities' rows."""

    row: PersonRow
    sources: list[decisions.SourceRow]
    fields: list[decisions.Provenance]
    events: list[LinkEvent]


def person_detail(session: Session, row: PersonRow) -> PersonDetail:
    """The linkage sections for a person already read in scope (and logged) by the caller."""
    person_id = row.person.id or 0
    return PersonDetail(
        row,
        decisions.sources(session, person_id),
        decisions.provenance(session, person_id),
        decisions.history(session, person_id),
    )


def get_person_detail(session: Session, *, actor: Actor, person_id: int) -> PersonDetail:
    """get_person with the person's source records, field provenance and link history."""
    return person_detail(session, get_person(session, actor=actor, person_id=person_id))


def reveal_rrn(
    session: Session, *, actor: Actor, keyring: Keyring, person_id: int, reason: str
) -> tuple[PersonRow, str]:
    """The full RRN, for a stated reason; the reveal and its reason are access-logged.
    Raises InvalidInput (no reason), NotFound, Conflict (only a masked number is known)."""
    reason = " ".join(reason.split())
    if len(reason) < REVEAL_REASON_MIN:
        raise InvalidInput(
            "주민등록번호를 보는 사유를 입력하세요",
            [FieldError(field="reason", message=f"사유를 {REVEAL_REASON_MIN}자 이상 입력하세요")],
        )
    row = _get_scoped(session, actor=actor, person_id=person_id, action="person.rrn.reveal")
    if row.person.rrn_sealed is None:
        raise Conflict("이 대상자는 주민등록번호 전체가 등록되어 있지 않습니다")
    number = keyring.open(row.person.rrn_sealed, context=RRN_CONTEXT)
    audit.record(session, actor=actor, action="person.rrn.reveal", subject=person_id, reason=reason)
    return row, number


@dataclass
class HomeSummary:
    """What the home page counts inside the actor's scope."""

    persons: int | None
    facilities: int | None
    districts: dict[str, int]


def get_home_summary(session: Session, *, actor: Actor) -> HomeSummary:
    """Counts for the home page; None where the actor may not see that kind of row."""
    persons = None
    if actor.can("person.read"):
        active = _scoped(actor).where(Person.status == "active")
        query = select(func.count()).select_from(active.subquery())
        persons = int(session.exec(query).one())
    facilities = None
    if actor.can("facility.read"):
        facilities = facilities_service.count_facilities(session, actor=actor)
    return HomeSummary(
        persons=persons,
        facilities=facilities,
        districts=districts_service.count_districts(session),
    )
