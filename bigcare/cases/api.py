"""JSON API: persons in the caller's scope, with masked RRN and phone."""

from typing import Annotated

from fastapi import APIRouter, Query

from bigcare.auth.deps import ActorDep
from bigcare.cases import search, service
from bigcare.cases.schemas import PersonPage, PersonRead
from bigcare.db import SessionDep

router = APIRouter(prefix="/api/v1/persons", tags=["persons"])


def _read(row: service.PersonRow) -> PersonRead:
    person = row.person
    return PersonRead(
        id=person.id or 0,
        name=person.name,
        rrn_masked=person.rrn_masked,
        birth_date=person.birth_date,
        age=row.age,
        sex=person.sex,
        phone_masked=row.masked_phone or None,
        dong_code=row.dong.code,
        dong_name=row.dong.name,
        gu_name=row.gu.name,
    )


@router.get("", response_model=PersonPage)
def list_persons(
    session: SessionDep,
    actor: ActorDep("person.read"),
    q: Annotated[str | None, Query(max_length=100)] = None,
    by: Annotated[str, Query(max_length=10)] = "auto",
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
) -> PersonPage:
    # q: a name, 초성, birth date, phone's last 4, RRN front or address part; by: search.CRITERIA
    query = search.parse_query(q, by=by)
    rows, total = service.list_persons(session, actor=actor, query=query, page=page)
    items = [_read(row) for row in rows]
    return PersonPage(total=total, page=page, per_page=service.PER_PAGE, items=items)


@router.get("/{person_id}", response_model=PersonRead)
def get_person(person_id: int, session: SessionDep, actor: ActorDep("person.read")) -> PersonRead:
    return _read(service.get_person(session, actor=actor, person_id=person_id))
