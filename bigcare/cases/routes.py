"""Pages: persons in my scope, one person, and revealing the full RRN with a reason."""

from typing import Annotated

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse

from bigcare.auth.deps import ActorDep, KeyringDep
from bigcare.cases import profile, search, service
from bigcare.db import SessionDep
from bigcare.errors import InvalidInput
from bigcare.templating import templates

router = APIRouter(prefix="/persons", tags=["persons"])


@router.get("", response_class=HTMLResponse)
def persons(
    request: Request,
    session: SessionDep,
    actor: ActorDep("person.read"),
    q: Annotated[str | None, Query(max_length=100)] = None,
    by: Annotated[str, Query(max_length=10)] = "auto",
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
) -> HTMLResponse:
    by = by if by in search.CRITERIA else "auto"
    context = {"q": q or "", "by": by, "criteria": search.CRITERIA, "page": page}
    context["per_page"] = service.PER_PAGE
    try:
        query = search.parse_query(q, by=by)
    except InvalidInput as exc:
        # The box keeps what was typed; the message says what was expected.
        error = {**context, "rows": [], "total": 0, "query": None, "error": exc.errors[0].message}
        return templates.TemplateResponse(request, "persons/list.html", error, status_code=422)
    rows, total = service.list_persons(session, actor=actor, query=query, page=page)
    return templates.TemplateResponse(
        request,
        "persons/list.html",
        {**context, "rows": rows, "total": total, "query": query},
    )


@router.get("/{person_id}", response_class=HTMLResponse)
def person(
    person_id: int,
    request: Request,
    session: SessionDep,
    keyring: KeyringDep,
    actor: ActorDep("person.read"),
    merged: Annotated[int | None, Query(ge=1)] = None,
    split_from: Annotated[int | None, Query(ge=1)] = None,
) -> HTMLResponse:
    # merged / split_from: the other person of a merge or split just made (for the notice).
    page = profile.get_person_page(session, actor=actor, keyring=keyring, person_id=person_id)
    return templates.TemplateResponse(
        request,
        "persons/detail.html",
        {
            "page": page,
            "detail": page.detail,
            "row": page.detail.row,
            "merged": merged,
            "split_from": split_from,
        },
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
        page = profile.get_person_page(session, actor=actor, keyring=keyring, person_id=person_id)
        return templates.TemplateResponse(
            request,
            "persons/detail.html",
            {
                "page": page,
                "detail": page.detail,
                "row": page.detail.row,
                "reveal_error": exc.errors[0].message,
                "reason": reason,
            },
            status_code=422,
        )
    detail = service.person_detail(session, row)
    page = profile.person_page(session, actor=actor, keyring=keyring, detail=detail)
    return templates.TemplateResponse(
        request,
        "persons/detail.html",
        {"page": page, "detail": detail, "row": row, "revealed": number, "reason": reason},
    )
