"""Household pages: one household with its members and their cases, and the caseworker's
edits (move a member, set the head, record a relation)."""

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlmodel import Session

from bigcare.auth.deps import ActorDep
from bigcare.auth.service import Actor
from bigcare.cases import households, stages
from bigcare.db import SessionDep
from bigcare.errors import FieldError, InvalidInput, by_field
from bigcare.templating import templates

router = APIRouter(tags=["households"])


def _page(
    request: Request,
    session: Session,
    actor: Actor,
    household_id: int,
    *,
    form: dict[str, object] | None = None,
    errors: list[FieldError] | None = None,
) -> HTMLResponse:
    page = households.get_household_page(session, actor=actor, household_id=household_id)
    return templates.TemplateResponse(
        request,
        "households/detail.html",
        {
            "page": page,
            "relations": households.RELATIONS,
            "stages": stages.STAGES,
            "categories": stages.CATEGORIES,
            "form": form or {},
            "errors": by_field(errors),
        },
        status_code=422 if errors else 200,
    )


def _back(household_id: int) -> RedirectResponse:
    return RedirectResponse(f"/households/{household_id}", status_code=303)


@router.get("/households/{household_id}", response_class=HTMLResponse)
def household(
    household_id: int, request: Request, session: SessionDep, actor: ActorDep("person.read")
) -> HTMLResponse:
    return _page(request, session, actor, household_id)


@router.post("/households/{household_id}/members/{person_id}/relation", response_model=None)
def set_relation(
    household_id: int,
    person_id: int,
    request: Request,
    session: SessionDep,
    actor: ActorDep("person.edit"),
    relation: Annotated[str, Form(max_length=8)] = "",
) -> Response:
    try:
        households.set_relation(
            session, actor=actor, household_id=household_id, person_id=person_id, relation=relation
        )
    except InvalidInput as exc:
        form = {"action": "relation", "person_id": person_id, "relation": relation}
        return _page(request, session, actor, household_id, form=form, errors=exc.errors)
    return _back(household_id)


@router.post("/households/{household_id}/head", response_model=None)
def set_head(
    household_id: int,
    request: Request,
    session: SessionDep,
    actor: ActorDep("person.edit"),
    person_id: Annotated[str, Form(max_length=20)] = "",
    old_head_relation: Annotated[str, Form(max_length=8)] = "",
) -> Response:
    form: dict[str, object] = {
        "action": "head",
        "person_id": person_id,
        "old_head_relation": old_head_relation,
    }
    if not person_id.strip().isdigit():
        error = FieldError(field="person_id", message="새 가구주를 고르세요")
        return _page(request, session, actor, household_id, form=form, errors=[error])
    try:
        households.set_head(
            session,
            actor=actor,
            household_id=household_id,
            person_id=int(person_id),
            old_head_relation=old_head_relation,
        )
    except InvalidInput as exc:
        return _page(request, session, actor, household_id, form=form, errors=exc.errors)
    return _back(household_id)


@router.post("/households/{household_id}/members/{person_id}/move", response_model=None)
def move_member(
    household_id: int,
    person_id: int,
    request: Request,
    session: SessionDep,
    actor: ActorDep("person.edit"),
    to_household_id: Annotated[str, Form(max_length=20)] = "",
    relation: Annotated[str, Form(max_length=8)] = "기타",
    new_household: Annotated[str, Form(max_length=1)] = "",
) -> Response:
    # new_household=1: the "새 가구로 분리" button; otherwise the household number typed.
    form: dict[str, object] = {
        "action": "move",
        "person_id": person_id,
        "to_household_id": to_household_id,
        "relation": relation,
    }
    target = to_household_id.strip().lstrip("#")
    if new_household != "1" and not target.isdigit():
        message = (
            "옮겨 갈 가구 번호를 숫자로 입력하세요"
            if target
            else "옮겨 갈 가구 번호를 입력하세요 (혼자 나가려면 '새 가구로 분리'를 누르세요)"
        )
        error = FieldError(field="to_household_id", message=message)
        return _page(request, session, actor, household_id, form=form, errors=[error])
    try:
        landed = households.move_member(
            session,
            actor=actor,
            household_id=household_id,
            person_id=person_id,
            to_household_id=None if new_household == "1" else int(target),
            relation=relation,
        )
    except InvalidInput as exc:
        return _page(request, session, actor, household_id, form=form, errors=exc.errors)
    return _back(landed.id or household_id)
