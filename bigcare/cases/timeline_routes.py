"""Pages: the service timeline of a person and of a household, filtered by kind and facility,
with "더 보기" for older entries."""

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from bigcare.auth.deps import ActorDep
from bigcare.cases import timeline
from bigcare.db import SessionDep
from bigcare.templating import templates

router = APIRouter(tags=["timeline"])

Kinds = Annotated[list[str] | None, Query()]
FacilityCode = Annotated[str | None, Query(max_length=20)]
Before = Annotated[str | None, Query(max_length=60)]


@router.get("/persons/{person_id}/timeline", response_class=HTMLResponse)
def person_timeline(
    person_id: int,
    request: Request,
    session: SessionDep,
    actor: ActorDep("person.read"),
    kind: Kinds = None,
    facility: FacilityCode = None,
    before: Before = None,
) -> HTMLResponse:
    view = timeline.get_person_timeline(
        session, actor=actor, person_id=person_id, kinds=kind, facility_code=facility, before=before
    )
    return templates.TemplateResponse(request, "persons/timeline.html", {"view": view})


@router.get("/households/{household_id}/timeline", response_class=HTMLResponse)
def household_timeline(
    household_id: int,
    request: Request,
    session: SessionDep,
    actor: ActorDep("person.read"),
    kind: Kinds = None,
    facility: FacilityCode = None,
    before: Before = None,
) -> HTMLResponse:
    view = timeline.get_household_timeline(
        session,
        actor=actor,
        household_id=household_id,
        kinds=kind,
        facility_code=facility,
        before=before,
    )
    return templates.TemplateResponse(request, "persons/household_timeline.html", {"view": view})
