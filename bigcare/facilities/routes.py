"""Pages: facilities in my scope, one facility, and its API tokens."""

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from bigcare.auth.deps import ActorDep
from bigcare.db import SessionDep
from bigcare.facilities import service
from bigcare.templating import templates

router = APIRouter(prefix="/facilities", tags=["facilities"])


@router.get("", response_class=HTMLResponse)
def facilities(
    request: Request, session: SessionDep, actor: ActorDep("facility.read")
) -> HTMLResponse:
    rows = service.list_facilities(session, actor=actor)
    return templates.TemplateResponse(request, "facilities/list.html", {"rows": rows})


@router.get("/{code}", response_class=HTMLResponse)
def facility(
    code: str, request: Request, session: SessionDep, actor: ActorDep("facility.read")
) -> HTMLResponse:
    view = service.get_facility_view(session, actor=actor, code=code)
    return templates.TemplateResponse(request, "facilities/detail.html", {"view": view})


@router.post("/{code}/tokens", response_class=HTMLResponse)
def issue_token(
    code: str,
    request: Request,
    session: SessionDep,
    actor: ActorDep("token.manage"),
    name: Annotated[str, Form(max_length=60)] = "",
) -> HTMLResponse:
    row, raw, token = service.issue_token(session, actor=actor, code=code, name=name)
    return templates.TemplateResponse(
        request, "facilities/token_issued.html", {"row": row, "raw": raw, "token": token}
    )


@router.post("/{code}/tokens/{token_id}/revoke")
def revoke_token(
    code: str, token_id: int, session: SessionDep, actor: ActorDep("token.manage")
) -> RedirectResponse:
    service.revoke_token(session, actor=actor, code=code, token_id=token_id)
    return RedirectResponse(f"/facilities/{code}#tokens", status_code=303)
