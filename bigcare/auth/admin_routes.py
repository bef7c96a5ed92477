"""Administrator pages: accounts (create, disable, unlock, reset) and the access log."""

from datetime import date
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from bigcare.auth import audit, service
from bigcare.auth.deps import ActorDep
from bigcare.auth.permissions import ROLE_LABELS, Role
from bigcare.db import SessionDep, seoul_today, utcnow
from bigcare.errors import InvalidInput, by_field
from bigcare.templating import templates

router = APIRouter(prefix="/admin", tags=["admin"])


@router.get("/users", response_class=HTMLResponse)
def users(request: Request, session: SessionDep, actor: ActorDep("user.manage")) -> HTMLResponse:
    rows = service.list_users(session)
    return templates.TemplateResponse(
        request, "auth/users.html", {"users": rows, "now": utcnow(), "roles": ROLE_LABELS}
    )


@router.get("/users/new", response_class=HTMLResponse)
def new_user_form(request: Request, actor: ActorDep("user.manage")) -> HTMLResponse:
    return templates.TemplateResponse(
        request, "auth/user_new.html", {"roles": list(Role), "values": {}, "errors": {}}
    )


@router.post("/users", response_class=HTMLResponse)
def create_user(
    request: Request,
    session: SessionDep,
    actor: ActorDep("user.manage"),
    username: Annotated[str, Form(max_length=40)] = "",
    display_name: Annotated[str, Form(max_length=40)] = "",
    role: Annotated[str, Form(max_length=20)] = "",
    scope_code: Annotated[str, Form(max_length=20)] = "",
) -> HTMLResponse:
    values = {"username": username, "display_name": display_name, "role": role}
    values["scope_code"] = scope_code
    try:
        user, password = service.create_user_with_temporary_password(
            session,
            by=actor,
            username=username,
            display_name=display_name,
            role=role,
            scope_code=scope_code.strip() or None,
        )
    except InvalidInput as exc:
        errors = by_field(exc.errors) or {"username": exc.message}
        return templates.TemplateResponse(
            request,
            "auth/user_new.html",
            {"roles": list(Role), "values": values, "errors": errors, "message": exc.message},
            status_code=422,
        )
    return templates.TemplateResponse(
        request, "auth/user_password.html", {"user": user, "password": password, "created": True}
    )


@router.get("/users/{user_id}", response_class=HTMLResponse)
def user_detail(
    user_id: int, request: Request, session: SessionDep, actor: ActorDep("user.manage")
) -> HTMLResponse:
    view = service.get_user_view(session, user_id)
    return templates.TemplateResponse(
        request, "auth/user.html", {"view": view, "now": utcnow(), "roles": ROLE_LABELS}
    )


@router.post("/users/{user_id}/disable")
def disable_user(
    user_id: int, session: SessionDep, actor: ActorDep("user.manage")
) -> RedirectResponse:
    service.disable_user_by_id(session, by=actor, user_id=user_id)
    return RedirectResponse(f"/admin/users/{user_id}", status_code=303)


@router.post("/users/{user_id}/unlock")
def unlock_user(
    user_id: int, session: SessionDep, actor: ActorDep("user.manage")
) -> RedirectResponse:
    service.unlock_user_by_id(session, by=actor, user_id=user_id)
    return RedirectResponse(f"/admin/users/{user_id}", status_code=303)


@router.post("/users/{user_id}/reset-password", response_class=HTMLResponse)
def reset_password(
    user_id: int, request: Request, session: SessionDep, actor: ActorDep("user.manage")
) -> HTMLResponse:
    user, password = service.reset_to_temporary_password(session, by=actor, user_id=user_id)
    return templates.TemplateResponse(
        request, "auth/user_password.html", {"user": user, "password": password, "created": False}
    )


# --- access log (접속기록) ----------------------------------------------------------------


@router.get("/audit", response_class=HTMLResponse)
def access_log(
    request: Request,
    session: SessionDep,
    actor: ActorDep("audit.read"),
    who: Annotated[str | None, Query(max_length=60)] = None,
    action: Annotated[str | None, Query(max_length=40)] = None,
    outcome: Annotated[str | None, Query(max_length=12)] = None,
    person: Annotated[int | None, Query(ge=1)] = None,
    date_from: Annotated[date | None, Query(alias="from")] = None,
    date_to: Annotated[date | None, Query(alias="to")] = None,
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
) -> HTMLResponse:
    filters = audit.LogFilter(
        actor=who or None,
        action=action or None,
        outcome=outcome or None,
        subject_person_id=person,
        date_from=date_from,
        date_to=date_to,
    )
    rows, total = audit.list_entries(session, filters=filters, page=page, per_page=50)
    query = {
        k: v
        for k, v in {
            "who": who,
            "action": action,
            "outcome": outcome,
            "person": person,
            "from": date_from,
            "to": date_to,
        }.items()
        if v
    }
    return templates.TemplateResponse(
        request,
        "auth/audit.html",
        {
            "rows": rows,
            "total": total,
            "page": page,
            "filters": query,
            "base_url": "/admin/audit?" + urlencode(query),
            "actions": audit.ACTION_LABELS,
            "outcomes": audit.OUTCOME_LABELS,
            "roles": ROLE_LABELS,
        },
    )


@router.get("/audit/review", response_class=HTMLResponse)
def access_log_review(
    request: Request,
    session: SessionDep,
    actor: ActorDep("audit.read"),
    month: Annotated[str | None, Query(pattern=r"^\d{4}-\d{2}$")] = None,
) -> HTMLResponse:
    first = audit.parse_month(month) if month else seoul_today().replace(day=1)
    review = audit.monthly_review(session, month=first)
    return templates.TemplateResponse(
        request, "auth/audit_review.html", {"review": review, "actions": audit.ACTION_LABELS}
    )


@router.get("/audit/verify", response_class=HTMLResponse)
def access_log_verify(
    request: Request, session: SessionDep, actor: ActorDep("audit.read")
) -> HTMLResponse:
    result = audit.verify_chain(session)
    return templates.TemplateResponse(request, "auth/audit_verify.html", {"result": result})
