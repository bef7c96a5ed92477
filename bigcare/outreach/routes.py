"""Outreach pages: a center's week (plan, re-plan, approve), a staff member's day (route,
lock, move, outcomes one by one or for the whole day), plan status per gu and for the city,
and the visit rules with a preview of what a change would do."""

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlmodel import Session

from bigcare.auth.deps import ActorDep, KeyringDep
from bigcare.auth.service import Actor
from bigcare.db import SessionDep, seoul_today
from bigcare.errors import FieldError, InvalidInput, NotFound, by_field
from bigcare.outreach import calendar, jobs, outcomes, rules, schedule, staffing
from bigcare.outreach import service as outreach_service
from bigcare.templating import templates

router = APIRouter(tags=["outreach"])

Short = Annotated[str, Form(max_length=100)]
Note = Annotated[str, Form(max_length=1000)]
WeekQuery = Annotated[str | None, Query(max_length=10)]
# A day has at most a dozen visits; more rows than this is not a person typing.
MAX_BULK_ROWS = 40


def _labels() -> dict[str, Any]:
    return {
        "outcome_labels": outcomes.OUTCOME_LABELS,
        "hm": schedule.hm,
        "day_label": schedule.day_label,
        "leave_labels": calendar.LEAVE_LABELS,
        "today": seoul_today(),
    }


@router.get("/outreach", response_class=HTMLResponse)
def landing(session: SessionDep, actor: ActorDep("plan.read")) -> Response:
    url = schedule.landing_url(session, actor=actor, today=seoul_today())
    return RedirectResponse(url, status_code=303)


# --- a center's week ----------------------------------------------------------------------


@router.get("/outreach/centers/{dong_code}/weeks/{week}", response_class=HTMLResponse)
def week(
    dong_code: str, week: str, request: Request, session: SessionDep, actor: ActorDep("plan.read")
) -> HTMLResponse:
    view = schedule.week_view(
        session, actor=actor, dong_code=dong_code, week=week, today=seoul_today()
    )
    return templates.TemplateResponse(request, "outreach/week.html", {"view": view, **_labels()})


def _week_url(dong_code: str, week: str) -> str:
    return f"/outreach/centers/{dong_code}/weeks/{week}"


@router.post("/outreach/centers/{dong_code}/weeks/{week}/plan", response_model=None)
def plan(dong_code: str, week: str, session: SessionDep, actor: ActorDep("plan.edit")) -> Response:
    schedule.get_place(session, actor=actor, dong_code=dong_code, action="outreach.plan")
    week = _canonical(week)
    outreach_service.plan_week(
        session, dong_code=dong_code, week=week, actor=actor, today=seoul_today()
    )
    return RedirectResponse(_week_url(dong_code, week), status_code=303)


def _canonical(week: str) -> str:
    """ "2026-w50" → "2026-W50"; a bad week is a missing page, as for the page itself."""
    return outreach_service.week_of(schedule.week_range(week)[0])


def _plan_id(session: Session, actor: Actor, dong_code: str, week: str, action: str) -> int:
    """The week's plan in the actor's scope (NotFound when there is none)."""
    schedule.get_place(session, actor=actor, dong_code=dong_code, action=action)
    found = outreach_service.find_plan(session, dong_code=dong_code, week=_canonical(week))
    if found is None:
        raise NotFound("이 주의 방문 계획이 아직 없습니다. '계획 세우기'를 먼저 하세요")
    return found.id or 0


@router.post("/outreach/centers/{dong_code}/weeks/{week}/replan", response_model=None)
def replan(
    dong_code: str,
    week: str,
    session: SessionDep,
    keyring: KeyringDep,
    actor: ActorDep("plan.edit"),
) -> Response:
    plan_id = _plan_id(session, actor, dong_code, week, "outreach.replan")
    jobs.replan_center(session, plan_id=plan_id, actor=actor, keyring=keyring, today=seoul_today())
    return RedirectResponse(_week_url(dong_code, week), status_code=303)


@router.post(
    "/outreach/centers/{dong_code}/weeks/{week}/leave/{leave_id}/cancel", response_model=None
)
def cancel_leave(
    dong_code: str, week: str, leave_id: int, session: SessionDep, actor: ActorDep("plan.edit")
) -> Response:
    schedule.get_place(session, actor=actor, dong_code=dong_code, action="outreach.leave.cancel")
    staffing.cancel_leave(session, leave_id=leave_id, dong_code=dong_code, actor=actor)
    return RedirectResponse(_week_url(dong_code, week) + "#leave", status_code=303)


@router.post("/outreach/centers/{dong_code}/weeks/{week}/leave", response_model=None)
def leave(
    dong_code: str,
    week: str,
    request: Request,
    session: SessionDep,
    actor: ActorDep("plan.edit"),
    staff_id: Annotated[int, Form()],
    starts_on: Annotated[date, Form()],
    ends_on: Annotated[date, Form()],
    kind: Short,
    half: Short = "",
) -> Response:
    schedule.get_place(session, actor=actor, dong_code=dong_code, action="outreach.leave")
    try:
        staffing.add_leave(
            session,
            staff_id=staff_id,
            starts_on=starts_on,
            ends_on=ends_on,
            kind=kind,
            half=half or None,
            actor=actor,
            dong_code=dong_code,
        )
    except InvalidInput as exc:
        view = schedule.week_view(
            session, actor=actor, dong_code=dong_code, week=week, today=seoul_today()
        )
        typed = {
            "staff_id": staff_id,
            "starts_on": starts_on,
            "ends_on": ends_on,
            "kind": kind,
            "half": half,
        }
        return templates.TemplateResponse(
            request,
            "outreach/week.html",
            {"view": view, "leave_errors": by_field(exc.errors), "leave_typed": typed, **_labels()},
            status_code=422,
        )
    return RedirectResponse(_week_url(dong_code, week) + "#leave", status_code=303)


@router.post("/outreach/centers/{dong_code}/weeks/{week}/approve", response_model=None)
def approve(
    dong_code: str, week: str, session: SessionDep, actor: ActorDep("plan.edit")
) -> Response:
    plan_id = _plan_id(session, actor, dong_code, week, "outreach.approve")
    outreach_service.approve_week(session, plan_id=plan_id, actor=actor)
    return RedirectResponse(_week_url(dong_code, week), status_code=303)


# --- a staff member's day -----------------------------------------------------------------


def _day_page(
    request: Request,
    session: Session,
    actor: Actor,
    *,
    dong_code: str,
    day: date,
    staff_id: int,
    refused: dict[str, Any] | None = None,
) -> HTMLResponse:
    """The day page; after a refused form, that form open again with its input and errors.
    refused: {"form": "move" | "outcome" | "bulk", "visit_id", "typed", "errors", "message"}."""
    view = schedule.day_view(session, actor=actor, dong_code=dong_code, day=day, staff_id=staff_id)
    dongs = schedule.dong_choices(session) if actor.can("visit.record") else []
    return templates.TemplateResponse(
        request,
        "outreach/day.html",
        {"view": view, "refused": refused or {}, "dongs": dongs, **_labels()},
        status_code=422 if refused else 200,
    )


@router.get(
    "/outreach/centers/{dong_code}/days/{day}/staff/{staff_id}", response_class=HTMLResponse
)
def day_page(
    dong_code: str,
    day: date,
    staff_id: int,
    request: Request,
    session: SessionDep,
    actor: ActorDep("plan.read"),
) -> HTMLResponse:
    return _day_page(request, session, actor, dong_code=dong_code, day=day, staff_id=staff_id)


@router.post(
    "/outreach/centers/{dong_code}/days/{day}/staff/{staff_id}/outcomes", response_model=None
)
def record_day(
    dong_code: str,
    day: date,
    staff_id: int,
    request: Request,
    session: SessionDep,
    actor: ActorDep("visit.record"),
    visit_id: Annotated[list[str], Form(max_length=MAX_BULK_ROWS)] = [],  # noqa: B006
    outcome: Annotated[list[str], Form(max_length=MAX_BULK_ROWS)] = [],  # noqa: B006
    note: Annotated[list[str], Form(max_length=MAX_BULK_ROWS)] = [],  # noqa: B006
) -> Response:
    shown = schedule.day_visit_ids(
        session, actor=actor, dong_code=dong_code, day=day, staff_id=staff_id
    )
    entries = []
    for vid, out, text in zip(visit_id, outcome, note, strict=False):
        if vid.isdigit() and int(vid) in shown:
            entries.append((int(vid), out.strip(), text[:1000]))
    values = {
        "outcome": dict(zip(visit_id, outcome, strict=False)),
        "note": dict(zip(visit_id, note, strict=False)),
    }
    refused: dict[str, Any] = {"form": "bulk", "typed": values}
    if not any(out for _, out, _ in entries):
        refused |= {"message": "결과를 고른 방문이 없습니다", "errors": {}}
        return _day_page(
            request,
            session,
            actor,
            dong_code=dong_code,
            day=day,
            staff_id=staff_id,
            refused=refused,
        )
    try:
        # All or nothing: the service keeps no row when any is refused.
        outcomes.record_outcomes(session, entries=entries, actor=actor, today=seoul_today())
    except InvalidInput as exc:
        refused |= {"message": exc.message, "errors": _row_errors(exc, entries)}
        return _day_page(
            request,
            session,
            actor,
            dong_code=dong_code,
            day=day,
            staff_id=staff_id,
            refused=refused,
        )
    return RedirectResponse(schedule.day_url(dong_code, day, staff_id), status_code=303)


def _row_errors(exc: InvalidInput, entries: list[tuple[int, str, str]]) -> dict[str, str]:
    """Bulk errors keyed "outcome-<visit id>" (the service numbers rows from 1)."""
    out: dict[str, str] = {}
    for e in exc.errors:
        if e.row and 0 < e.row <= len(entries):
            key = "note" if e.field == "note" else "outcome"
            out.setdefault(f"{key}-{entries[e.row - 1][0]}", e.message)
    return out


def _back(staff: str) -> int | None:
    return int(staff) if staff.isdigit() else None


@router.post("/outreach/visits/{visit_id}/lock", response_model=None)
def lock(
    visit_id: int,
    session: SessionDep,
    actor: ActorDep("plan.edit"),
    locked: Short = "",
    staff: Short = "",
) -> Response:
    place = schedule.visit_place(session, actor=actor, visit_id=visit_id, action="outreach.lock")
    if locked not in ("1", "0"):
        raise InvalidInput("고정할지 풀지 고르세요", [FieldError("locked", "고정 또는 해제")])
    outreach_service.lock_visit(session, visit_id=visit_id, locked=locked == "1", actor=actor)
    return RedirectResponse(place.page(_back(staff)), status_code=303)


def _minutes(text: str) -> int | None:
    """ "14:30" → 870; "" → None. Raises ValueError."""
    text = text.strip()
    if not text:
        return None
    hours, minutes = text.split(":")[:2]
    value = int(hours) * 60 + int(minutes)
    if not (0 <= value < 24 * 60):
        raise ValueError(text)
    return value


@router.post("/outreach/visits/{visit_id}/move", response_model=None)
def move(
    visit_id: int,
    request: Request,
    session: SessionDep,
    actor: ActorDep("plan.edit"),
    staff_id: Short = "",
    day: Short = "",
    start: Short = "",
    staff: Short = "",
) -> Response:
    place = schedule.visit_place(session, actor=actor, visit_id=visit_id, action="outreach.move")
    values = {"staff_id": staff_id, "day": day, "start": start}
    errors: dict[str, str] = {}
    start_min = None
    try:
        start_min = _minutes(start)
    except ValueError:
        errors["start"] = "시각은 14:30 처럼 적어 주세요"
    try:
        new_day = date.fromisoformat(day.strip())
    except ValueError:
        errors["day"] = "옮길 날을 고르세요"
    if not staff_id.isdigit():
        errors["staff_id"] = "맡을 직원을 고르세요"
    if not errors:
        try:
            outreach_service.move_visit(
                session,
                visit_id=visit_id,
                staff_id=int(staff_id),
                day=new_day,
                start_min=start_min,
                actor=actor,
            )
        except InvalidInput as exc:
            errors = by_field(exc.errors) or {"staff_id": exc.message}
    if errors:
        back = _back(staff)
        refused = {"form": "move", "visit_id": visit_id, "typed": values, "errors": errors}
        return _day_page(
            request,
            session,
            actor,
            dong_code=place.dong_code,
            day=place.day,
            staff_id=place.who(back),
            refused=refused,
        )
    moved = schedule.visit_place(session, actor=actor, visit_id=visit_id, action="outreach.move")
    return RedirectResponse(moved.page(), status_code=303)


@router.post("/outreach/visits/{visit_id}/outcome", response_model=None)
def outcome(
    visit_id: int,
    request: Request,
    session: SessionDep,
    actor: ActorDep("visit.record"),
    outcome: Short = "",
    note: Note = "",
    new_address: Annotated[str, Form(max_length=300)] = "",
    new_dong_code: Short = "",
    staff: Short = "",
) -> Response:
    place = schedule.visit_place(session, actor=actor, visit_id=visit_id, action="outreach.outcome")
    back = _back(staff)
    try:
        outcomes.record_outcome(
            session,
            visit_id=visit_id,
            outcome=outcome,
            note=note,
            actor=actor,
            today=seoul_today(),
            new_address=new_address.strip() or None,
            new_dong_code=new_dong_code.strip() or None,
        )
    except InvalidInput as exc:
        values = {
            "outcome": outcome,
            "note": note,
            "new_address": new_address,
            "new_dong_code": new_dong_code,
        }
        refused = {
            "form": "outcome",
            "visit_id": visit_id,
            "typed": values,
            "errors": by_field(exc.errors),
            "message": exc.message,
        }
        return _day_page(
            request,
            session,
            actor,
            dong_code=place.dong_code,
            day=place.day,
            staff_id=place.who(back),
            refused=refused,
        )
    return RedirectResponse(place.page(back), status_code=303)


# --- plan status of many centers ----------------------------------------------------------


def _this_week(week: str | None) -> str:
    return week or outreach_service.week_of(seoul_today())


@router.get("/outreach/gu/{gu_code}", response_class=HTMLResponse)
def gu_status(
    gu_code: str,
    request: Request,
    session: SessionDep,
    actor: ActorDep("plan.read"),
    week: WeekQuery = None,
) -> HTMLResponse:
    view = schedule.status_view(session, actor=actor, gu_code=gu_code, week=_this_week(week))
    return templates.TemplateResponse(request, "outreach/status.html", {"view": view})


@router.get("/outreach/city", response_class=HTMLResponse)
def city_status(
    request: Request, session: SessionDep, actor: ActorDep("plan.read"), week: WeekQuery = None
) -> HTMLResponse:
    view = schedule.status_view(session, actor=actor, gu_code=None, week=_this_week(week))
    return templates.TemplateResponse(request, "outreach/status.html", {"view": view})


# --- visit rules --------------------------------------------------------------------------

RULE_FIELDS = ("priority", "due_days", "frequency_days", "duration_min", "covers")


async def form_fields(request: Request) -> dict[str, list[str]]:
    """Every field of a posted form (a rule's params differ by selector). Async because
    reading a form is; it touches no database. Starlette caches the form for the CSRF check."""
    form = await request.form()
    return {key: [v for v in form.getlist(key) if isinstance(v, str)] for key in form}


FormFields = Annotated[dict[str, list[str]], Depends(form_fields)]


def _rule_changes(fields: dict[str, list[str]]) -> dict[str, Any]:
    """The rule form as the changes rules.update_rule takes (text as typed; it checks)."""
    first = {key: values[0] if values else "" for key, values in fields.items()}
    changes: dict[str, Any] = {f: first.get(f, "")[:2000] for f in RULE_FIELDS}
    changes["roles"] = fields.get("roles", [])
    # An unticked checkbox is not sent at all.
    changes["must_visit"] = first.get("must_visit") or "false"
    changes["active"] = first.get("active") or "false"
    params = {k.removeprefix("params."): v for k, v in first.items() if k.startswith("params.")}
    if params:
        changes["params"] = params
    return changes


def _rules_page(
    request: Request,
    session: Session,
    *,
    editing: str | None = None,
    form: dict[str, Any] | None = None,
    preview: rules.RulePreview | None = None,
    errors: dict[str, str] | None = None,
    message: str | None = None,
) -> HTMLResponse:
    return templates.TemplateResponse(
        request,
        "outreach/rules.html",
        {
            "rules": rules.list_rules(session),
            "specs": rules.PARAM_SPECS,
            "role_labels": rules.ROLES,
            "editing": editing,
            "form": form or {},
            "preview": preview,
            "errors": errors or {},
            "message": message,
        },
        status_code=422 if errors is not None else 200,
    )


@router.get("/outreach/rules", response_class=HTMLResponse)
def rules_list(request: Request, session: SessionDep, _: ActorDep("plan.read")) -> HTMLResponse:
    return _rules_page(request, session)


@router.post("/outreach/rules/{rule_code}/preview", response_model=None)
def rule_preview(
    rule_code: str,
    request: Request,
    session: SessionDep,
    fields: FormFields,
    _: ActorDep("rule.edit"),
) -> Response:
    changes = _rule_changes(fields)
    try:
        preview = rules.preview_rule_change(
            session, rule_code=rule_code, changes=changes, today=seoul_today()
        )
    except InvalidInput as exc:
        return _rules_page(
            request,
            session,
            editing=rule_code,
            form=changes,
            errors=by_field(exc.errors),
            message=exc.message,
        )
    return _rules_page(request, session, editing=rule_code, form=changes, preview=preview)


@router.post("/outreach/rules/{rule_code}", response_model=None)
def rule_save(
    rule_code: str,
    request: Request,
    session: SessionDep,
    fields: FormFields,
    actor: ActorDep("rule.edit"),
) -> Response:
    changes = _rule_changes(fields)
    try:
        rules.update_rule(
            session, rule_code=rule_code, changes=changes, actor=actor, today=seoul_today()
        )
    except InvalidInput as exc:
        return _rules_page(
            request,
            session,
            editing=rule_code,
            form=changes,
            errors=by_field(exc.errors),
            message=exc.message,
        )
    return RedirectResponse(f"/outreach/rules#rule-{rule_code}", status_code=303)
