"""Pages: the clerical review queue, one candidate pair and its decision, and merging or
splitting persons by hand from the person page."""

from typing import Annotated

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlmodel import Session

from bigcare.auth import deps
from bigcare.auth.deps import ActorDep
from bigcare.auth.service import Actor
from bigcare.db import SessionDep
from bigcare.errors import FieldError, InvalidInput, by_field
from bigcare.linkage import decisions
from bigcare.linkage import review as queue
from bigcare.templating import templates

router = APIRouter(tags=["linkage"])

# The queue's tabs; "resolved" items (made moot by another decision) are not listed.
QUEUE_STATUSES = ("open", "deferred", "same", "different")


def review_badge(request: Request, session: SessionDep) -> None:
    """The menu's count of open review items (one indexed count), for staff who review.
    The app runs it before every request; the permission check that follows reuses the actor."""
    if request.url.path.startswith("/api/"):
        return
    actor = deps.resolve_actor(request, session)
    if actor is not None and actor.can("linkage.review"):
        request.state.review_open = queue.count_open(session, actor=actor)


@router.get("/linkage/reviews", response_class=HTMLResponse)
def reviews(
    request: Request,
    session: SessionDep,
    actor: ActorDep("linkage.review"),
    status: Annotated[str, Query(max_length=10)] = "open",
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
    done: Annotated[int | None, Query(ge=1)] = None,
    decision: Annotated[str | None, Query(max_length=10)] = None,
    person: Annotated[int | None, Query(ge=1)] = None,
) -> HTMLResponse:
    # done / decision / person: the item just decided, for the notice.
    status = status if status in QUEUE_STATUSES else "open"
    rows, total = queue.list_reviews(session, actor=actor, status=status, page=page)
    return templates.TemplateResponse(
        request,
        "linkage/reviews.html",
        {
            "rows": rows,
            "total": total,
            "page": page,
            "per_page": queue.PER_PAGE,
            "status": status,
            "statuses": {s: queue.STATUS_LABELS[s] for s in QUEUE_STATUSES},
            "done": done,
            "done_decision": decision if decision in queue.DECISIONS else None,
            "done_person": person,
        },
    )


def _review_page(
    request: Request,
    session: Session,
    actor: Actor,
    item_id: int,
    *,
    form: dict[str, str] | None = None,
    errors: list[FieldError] | None = None,
    notice: dict[str, object] | None = None,
) -> HTMLResponse:
    view = queue.get_review(session, actor=actor, item_id=item_id)
    return templates.TemplateResponse(
        request,
        "linkage/review.html",
        {
            "view": view,
            "fields": queue.SIDE_FIELDS,
            "choices": queue.DECISIONS,
            "form": form or {},
            "errors": by_field(errors),
            **(notice or {}),
        },
        status_code=422 if errors else 200,
    )


@router.get("/linkage/reviews/{item_id}", response_class=HTMLResponse)
def review(
    item_id: int,
    request: Request,
    session: SessionDep,
    actor: ActorDep("linkage.review"),
    done: Annotated[int | None, Query(ge=1)] = None,
    decision: Annotated[str | None, Query(max_length=10)] = None,
    person: Annotated[int | None, Query(ge=1)] = None,
) -> HTMLResponse:
    notice = {
        "done": done,
        "done_decision": decision if decision in queue.DECISIONS else None,
        "done_person": person,
    }
    return _review_page(request, session, actor, item_id, notice=notice)


@router.post("/linkage/reviews/{item_id}/decision", response_model=None)
def decide(
    item_id: int,
    request: Request,
    session: SessionDep,
    actor: ActorDep("linkage.review"),
    decision: Annotated[str, Form(max_length=10)] = "",
    note: Annotated[str, Form(max_length=1000)] = "",
) -> Response:
    try:
        decided = queue.decide_and_continue(
            session, actor=actor, item_id=item_id, decision=decision, note=note
        )
    except InvalidInput as exc:
        form = {"decision": decision, "note": note}
        return _review_page(request, session, actor, item_id, form=form, errors=exc.errors)
    query = f"done={item_id}&decision={decision}"
    if decided.person_id:
        query += f"&person={decided.person_id}"
    if decided.next_id:
        return RedirectResponse(f"/linkage/reviews/{decided.next_id}?{query}", status_code=303)
    return RedirectResponse(f"/linkage/reviews?{query}", status_code=303)


def _change_page(
    request: Request,
    session: Session,
    actor: Actor,
    person_id: int,
    *,
    form: dict[str, object],
    errors: list[FieldError],
) -> HTMLResponse:
    """The merge and split forms again, with the input error beside the field."""
    person, sources = decisions.get_person_sources(session, actor=actor, person_id=person_id)
    return templates.TemplateResponse(
        request,
        "linkage/person_change.html",
        {"person": person, "sources": sources, "form": form, "errors": by_field(errors)},
        status_code=422,
    )


@router.post("/persons/{person_id}/merge", response_model=None)
def merge(
    person_id: int,
    request: Request,
    session: SessionDep,
    actor: ActorDep("linkage.review"),
    other_id: Annotated[str, Form(max_length=20)] = "",
    reason: Annotated[str, Form(max_length=500)] = "",
) -> Response:
    form: dict[str, object] = {"action": "merge", "other_id": other_id, "reason": reason}
    other = other_id.strip().lstrip("#")
    if not other.isdigit():
        error = FieldError(field="other_id", message="합칠 대상자의 번호를 숫자로 입력하세요")
        return _change_page(request, session, actor, person_id, form=form, errors=[error])
    try:
        kept = decisions.merge_persons(
            session, actor=actor, person_id=person_id, other_id=int(other), reason=reason
        )
    except InvalidInput as exc:
        return _change_page(request, session, actor, person_id, form=form, errors=exc.errors)
    gone = int(other) if kept.id == person_id else person_id
    return RedirectResponse(f"/persons/{kept.id}?merged={gone}", status_code=303)


@router.post("/persons/{person_id}/split", response_model=None)
def split(
    person_id: int,
    request: Request,
    session: SessionDep,
    actor: ActorDep("linkage.review"),
    record_ids: Annotated[list[int], Form()] = [],  # noqa: B006 (FastAPI copies defaults)
    reason: Annotated[str, Form(max_length=500)] = "",
) -> Response:
    try:
        moved = decisions.split_person(
            session, actor=actor, person_id=person_id, record_ids=record_ids, reason=reason
        )
    except InvalidInput as exc:
        form = {"action": "split", "record_ids": record_ids, "reason": reason}
        return _change_page(request, session, actor, person_id, form=form, errors=exc.errors)
    return RedirectResponse(f"/persons/{moved.id}?split_from={person_id}", status_code=303)
