"""Pages: persons in my scope, one person, and revealing the full RRN with a reason."""

from typing import Annotated

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse

from bigcare.auth.deps import ActorDep, KeyringDep
from bigcare.cases import service
from bigcare.db import SessionDep
from bigcare.errors import InvalidInput
from bigcare.templating import templates

router = APIRouter(prefix="/persons", tags=["persons"])


@router.get("", response_class=HTMLResponse)
def persons(
    request: Request,
    session: SessionDep,
    actor: ActorDep("person.read"),
    q: Annotated[str | None, Query(max_length=40)] = None,
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
) -> HTMLResponse:
    rows, total = service.list_persons(session, actor=actor, name=q, page=page)
    return templates.TemplateResponse(
        request,
        "persons/list.html",
        {"rows": rows, "total": total, "page": page, "q": q or "", "per_page": service.PER_PAGE},
    )


@router.get("/{person_id}", response_class=HTMLResponse)
def person(
    person_id: int,
    request: Request,
    session: SessionDep,
    actor: ActorDep("person.read"),
    merged: Annotated[int | None, Query(ge=1)] = None,
    split_from: Annotated[int | None, Query(ge=1)] = None,
) -> HTMLResponse:
    # merged / split_from: the other person of a merge or split just made (for the notice).
    detail = service.get_person_detail(session, actor=actor, person_id=person_id)
    return templates.TemplateResponse(
        request,
        "persons/detail.html",
        {"detail": detail, "row": detail.row, "merged": merged, "split_from": split_from},
    )


@router.post("/{person_id}/rrn", response_class=HTMLResponse)
def reveal_rrn(
    person_id: int,
    request: Request,
    session: SessionDep,
    keyring: KeyringDep,
    actor: ActorDep("person.rrn.reveal"),
    reason: Annotated[str, Form(max_length=500)] = "",
) -> HTMLResponse:
    # The number is shown in this response only (no redirect, never stored in the page's URL).
    try:
        row, number = service.reveal_rrn(
            session, actor=actor, keyring=keyring, person_id=person_id, reason=reason
        )
    except InvalidInput as exc:
        detail = service.get_person_detail(session, actor=actor, person_id=person_id)
        return templates.TemplateResponse(
            request,
            "persons/detail.html",
            {
                "detail": detail,
                "row": detail.row,
                "reveal_error": exc.errors[0].message,
                "reason": reason,
            },
            status_code=422,
        )
    detail = service.person_detail(session, row)
    return templates.TemplateResponse(
        request,
        "persons/detail.html",
        {"detail": detail, "row": row, "revealed": number, "reason": reason},
    )
