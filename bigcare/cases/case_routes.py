"""Case pages: open a case, the 통합사례관리 workflow forms (consultation, intake, assessment,
conference, classification, plan, monitoring, closing, reassessment), my cases."""

from collections.abc import Callable
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlmodel import Session

from bigcare.auth.deps import ActorDep
from bigcare.auth.service import Actor
from bigcare.cases import case_views, plans, stages, workflow
from bigcare.db import SessionDep, seoul_today
from bigcare.errors import FieldError, InvalidInput, by_field
from bigcare.templating import templates

router = APIRouter(tags=["cases"])

Text = Annotated[str, Form(max_length=4000)]
Short = Annotated[str, Form(max_length=100)]
# A plan form has a handful of service rows; more than this is not a person typing.
MAX_SERVICE_ROWS = 30
BLANK_SERVICE_ROWS = 3


def _date(value: str) -> date | None:
    """A typed YYYY-MM-DD date, or None (the service then says the field needs a date)."""
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        return None


def _labels() -> dict[str, Any]:
    return {
        "stages": stages.STAGES,
        "steps": stages.STEPS,
        "referral_sources": stages.REFERRAL_SOURCES,
        "domains": stages.DOMAINS,
        "scores": stages.SCORES,
        "crisis_levels": stages.CRISIS_LEVELS,
        "conference_kinds": stages.CONFERENCE_KINDS,
        "categories": stages.CATEGORIES,
        "methods": stages.MONITORING_METHODS,
        "close_reasons": stages.CLOSE_REASONS,
        "consult_outcomes": stages.CONSULT_OUTCOMES,
        "assessment_kinds": stages.ASSESSMENT_KINDS,
    }


@router.get("/cases", response_class=HTMLResponse)
def cases(
    request: Request,
    session: SessionDep,
    actor: ActorDep("case.read"),
    stage: Annotated[str | None, Query(max_length=12)] = None,
    overdue: Annotated[bool, Query()] = False,
    who: Annotated[str | None, Query(max_length=4)] = None,
) -> HTMLResponse:
    # who: "mine" or "all"; staff who carry cases start with their own.
    mine = who == "mine" or (who != "all" and actor.can("case.edit"))
    listing = case_views.list_cases(
        session,
        actor=actor,
        today=seoul_today(),
        mine=mine,
        stage=stage if stage in stages.STAGES else None,
        overdue_only=overdue,
    )
    return templates.TemplateResponse(request, "cases/list.html", {"listing": listing, **_labels()})


def _new_case_page(
    request: Request,
    session: Session,
    actor: Actor,
    person_id: int,
    *,
    form: dict[str, str],
    errors: list[FieldError] | None = None,
) -> HTMLResponse:
    view = case_views.new_case_form(session, actor=actor, person_id=person_id)
    return templates.TemplateResponse(
        request,
        "cases/new.html",
        {"view": view, "form": form, "errors": by_field(errors), **_labels()},
        status_code=422 if errors else 200,
    )


@router.get("/persons/{person_id}/cases/new", response_class=HTMLResponse)
def new_case(
    person_id: int, request: Request, session: SessionDep, actor: ActorDep("case.edit")
) -> HTMLResponse:
    form = {"identified_on": seoul_today().isoformat(), "caseworker_id": str(actor.user_id or "")}
    return _new_case_page(request, session, actor, person_id, form=form)


@router.post("/persons/{person_id}/cases", response_model=None)
def open_case(
    person_id: int,
    request: Request,
    session: SessionDep,
    actor: ActorDep("case.edit"),
    referral_source: Short = "",
    detail: Annotated[str, Form(max_length=500)] = "",
    identified_on: Short = "",
    caseworker_id: Short = "",
) -> Response:
    form = {
        "referral_source": referral_source,
        "detail": detail,
        "identified_on": identified_on,
        "caseworker_id": caseworker_id,
    }
    try:
        case = workflow.open_case(
            session,
            actor=actor,
            person_id=person_id,
            referral_source=referral_source,
            detail=detail,
            identified_on=_date(identified_on),
            today=seoul_today(),
            caseworker_id=int(caseworker_id) if caseworker_id.strip().isdigit() else None,
        )
    except InvalidInput as exc:
        return _new_case_page(request, session, actor, person_id, form=form, errors=exc.errors)
    return RedirectResponse(f"/cases/{case.id}", status_code=303)


def _case_page(
    request: Request,
    session: Session,
    actor: Actor,
    case_id: int,
    *,
    step: str | None = None,
    form: dict[str, Any] | None = None,
    errors: list[FieldError] | None = None,
) -> HTMLResponse:
    """The case page; after a refused form, that form again with its input and errors."""
    today = seoul_today()
    view = case_views.get_case_view(session, actor=actor, case_id=case_id, today=today)
    return templates.TemplateResponse(
        request,
        "cases/detail.html",
        {
            "view": view,
            "today": today.isoformat(),
            "step": step,
            "form": form or {},
            "errors": by_field(errors),
            "blank_service_rows": BLANK_SERVICE_ROWS,
            **_labels(),
        },
        status_code=422 if errors else 200,
    )


@router.get("/cases/{case_id}", response_class=HTMLResponse)
def case(
    case_id: int, request: Request, session: SessionDep, actor: ActorDep("case.read")
) -> HTMLResponse:
    return _case_page(request, session, actor, case_id)


def _step(
    request: Request,
    session: Session,
    actor: Actor,
    case_id: int,
    step: str,
    form: dict[str, Any],
    action: Callable[[], object],
) -> Response:
    """Run one workflow step; on bad input show the case page again with the form as typed."""
    try:
        action()
    except InvalidInput as exc:
        return _case_page(request, session, actor, case_id, step=step, form=form, errors=exc.errors)
    return RedirectResponse(f"/cases/{case_id}", status_code=303)


@router.post("/cases/{case_id}/consultation", response_model=None)
def consultation(
    case_id: int,
    request: Request,
    session: SessionDep,
    actor: ActorDep("case.edit"),
    consulted_on: Short = "",
    content: Annotated[str, Form(max_length=1000)] = "",
    outcome: Short = "",
    close_reason: Short = "",
) -> Response:
    form = {
        "consulted_on": consulted_on,
        "content": content,
        "outcome": outcome,
        "close_reason": close_reason,
    }
    return _step(
        request,
        session,
        actor,
        case_id,
        "consultation",
        form,
        lambda: workflow.record_consultation(
            session,
            actor=actor,
            case_id=case_id,
            consulted_on=_date(consulted_on),
            content=content,
            outcome=outcome,
            close_reason=close_reason or None,
            today=seoul_today(),
        ),
    )


@router.post("/cases/{case_id}/intake", response_model=None)
def intake(
    case_id: int,
    request: Request,
    session: SessionDep,
    actor: ActorDep("case.edit"),
    intake_on: Short = "",
) -> Response:
    settings = request.app.state.settings
    return _step(
        request,
        session,
        actor,
        case_id,
        "intake",
        {"intake_on": intake_on},
        lambda: workflow.record_intake(
            session,
            actor=actor,
            case_id=case_id,
            intake_on=_date(intake_on),
            assessment_days=settings.assessment_days,
            plan_days=settings.plan_days,
            today=seoul_today(),
        ),
    )


def _score(value: str) -> int | None:
    return int(value) if value.strip().isdigit() else None


@router.post("/cases/{case_id}/assessment", response_model=None)
def assessment(
    case_id: int,
    request: Request,
    session: SessionDep,
    actor: ActorDep("case.edit"),
    assessed_on: Short = "",
    score_health: Short = "",
    score_daily_living: Short = "",
    score_safety: Short = "",
    score_housing: Short = "",
    score_income: Short = "",
    score_employment: Short = "",
    score_education: Short = "",
    score_family: Short = "",
    score_social: Short = "",
    crisis_level: Short = "",
    summary: Text = "",
) -> Response:
    typed = {
        "health": score_health,
        "daily_living": score_daily_living,
        "safety": score_safety,
        "housing": score_housing,
        "income": score_income,
        "employment": score_employment,
        "education": score_education,
        "family": score_family,
        "social": score_social,
    }
    form = {f"score_{k}": v for k, v in typed.items()}
    form |= {"assessed_on": assessed_on, "crisis_level": crisis_level, "summary": summary}
    return _step(
        request,
        session,
        actor,
        case_id,
        "assessment",
        form,
        lambda: workflow.record_assessment(
            session,
            actor=actor,
            case_id=case_id,
            assessed_on=_date(assessed_on),
            scores={k: _score(v) for k, v in typed.items()},
            crisis_level=crisis_level,
            summary=summary,
            today=seoul_today(),
        ),
    )


@router.post("/cases/{case_id}/conference", response_model=None)
def conference(
    case_id: int,
    request: Request,
    session: SessionDep,
    actor: ActorDep("case.edit"),
    held_on: Short = "",
    kind: Short = "",
    participants: Text = "",
    decision: Text = "",
) -> Response:
    form = {"held_on": held_on, "kind": kind, "participants": participants, "decision": decision}
    return _step(
        request,
        session,
        actor,
        case_id,
        "conference",
        form,
        lambda: workflow.record_conference(
            session,
            actor=actor,
            case_id=case_id,
            held_on=_date(held_on),
            kind=kind,
            participants=participants,
            decision=decision,
            today=seoul_today(),
        ),
    )


@router.post("/cases/{case_id}/classification", response_model=None)
def classification(
    case_id: int,
    request: Request,
    session: SessionDep,
    actor: ActorDep("case.edit"),
    category: Short = "",
    classified_on: Short = "",
) -> Response:
    return _step(
        request,
        session,
        actor,
        case_id,
        "classification",
        {"category": category, "classified_on": classified_on},
        lambda: workflow.classify(
            session,
            actor=actor,
            case_id=case_id,
            category=category,
            classified_on=_date(classified_on),
            today=seoul_today(),
        ),
    )


Rows = Annotated[list[str], Form(max_length=100)]


@router.post("/cases/{case_id}/plan", response_model=None)
def plan(
    case_id: int,
    request: Request,
    session: SessionDep,
    actor: ActorDep("case.edit"),
    planned_on: Short = "",
    goals: Text = "",
    starts_on: Short = "",
    ends_on: Short = "",
    service: Rows = [],  # noqa: B006 (FastAPI copies defaults)
    provider: Rows = [],  # noqa: B006
    frequency: Rows = [],  # noqa: B006
    service_starts_on: Rows = [],  # noqa: B006
    service_ends_on: Rows = [],  # noqa: B006
) -> Response:
    # The service table's columns arrive as parallel lists, one entry per row.
    count = min(MAX_SERVICE_ROWS, max(map(len, (service, provider, frequency))))

    def cell(values: list[str], i: int) -> str:
        return values[i] if i < len(values) else ""

    rows = [
        plans.ServiceInput(
            service=cell(service, i),
            provider=cell(provider, i),
            frequency=cell(frequency, i),
            starts_on=_date(cell(service_starts_on, i)),
            ends_on=_date(cell(service_ends_on, i)),
            starts_raw=cell(service_starts_on, i),
            ends_raw=cell(service_ends_on, i),
        )
        for i in range(count)
    ]
    form = {
        "planned_on": planned_on,
        "goals": goals,
        "starts_on": starts_on,
        "ends_on": ends_on,
        "services": rows,
    }
    return _step(
        request,
        session,
        actor,
        case_id,
        "plan",
        form,
        lambda: plans.record_plan(
            session,
            actor=actor,
            case_id=case_id,
            planned_on=_date(planned_on),
            goals=goals,
            starts_on=_date(starts_on),
            ends_on=_date(ends_on),
            services=rows,
            today=seoul_today(),
        ),
    )


@router.post("/cases/{case_id}/monitoring", response_model=None)
def monitoring(
    case_id: int,
    request: Request,
    session: SessionDep,
    actor: ActorDep("case.edit"),
    checked_on: Short = "",
    method: Short = "",
    content: Text = "",
    next_on: Short = "",
) -> Response:
    form = {"checked_on": checked_on, "method": method, "content": content, "next_on": next_on}
    return _step(
        request,
        session,
        actor,
        case_id,
        "monitoring",
        form,
        lambda: plans.record_monitoring(
            session,
            actor=actor,
            case_id=case_id,
            checked_on=_date(checked_on),
            method=method,
            content=content,
            next_on=_date(next_on),
            today=seoul_today(),
        ),
    )


@router.post("/cases/{case_id}/reassess", response_model=None)
def reassess(
    case_id: int,
    request: Request,
    session: SessionDep,
    actor: ActorDep("case.edit"),
    note: Annotated[str, Form(max_length=1000)] = "",
) -> Response:
    return _step(
        request,
        session,
        actor,
        case_id,
        "reassess",
        {"note": note},
        lambda: plans.reassess(session, actor=actor, case_id=case_id, note=note),
    )


@router.post("/cases/{case_id}/close", response_model=None)
def close(
    case_id: int,
    request: Request,
    session: SessionDep,
    actor: ActorDep("case.edit"),
    closed_on: Short = "",
    reason: Short = "",
    close_note: Annotated[str, Form(max_length=1000)] = "",
) -> Response:
    form = {"closed_on": closed_on, "reason": reason, "close_note": close_note}
    return _step(
        request,
        session,
        actor,
        case_id,
        "close",
        form,
        lambda: workflow.close_case(
            session,
            actor=actor,
            case_id=case_id,
            closed_on=_date(closed_on),
            reason=reason,
            note=close_note,
            today=seoul_today(),
        ),
    )
