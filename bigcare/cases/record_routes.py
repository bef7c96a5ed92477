"""Case records: notes, attachments (download), consents and referrals."""

import io
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Depends, File, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlmodel import Session

from bigcare.auth.deps import ActorDep, KeyringDep
from bigcare.auth.service import Actor
from bigcare.cases.records import consents, notes
from bigcare.cases.records import view as records_view
from bigcare.db import SessionDep, seoul_today
from bigcare.errors import Conflict, InvalidInput, by_field
from bigcare.templating import templates

router = APIRouter(tags=["cases"])


def attachment_store(request: Request) -> notes.AttachmentStore:
    """Where the app keeps attachments and how big one may be (from its settings)."""
    settings = request.app.state.settings
    return notes.AttachmentStore(
        folder=settings.attachments_dir, max_bytes=settings.attachment_max_bytes
    )


StoreDep = Annotated[notes.AttachmentStore, Depends(attachment_store)]


def _back(case_id: int, section: str) -> RedirectResponse:
    return RedirectResponse(f"/cases/{case_id}/records#{section}", status_code=303)


def _page(
    request: Request,
    session: Session,
    actor: Actor,
    case_id: int,
    *,
    form: dict[str, object] | None = None,
    error: InvalidInput | Conflict | None = None,
) -> HTMLResponse:
    """The records page; after an input error, with the message beside its field (or at the
    top for a refusal) and everything that was typed."""
    data = records_view.get_case_records(session, actor=actor, case_id=case_id, today=seoul_today())
    errors = by_field(error.errors) if isinstance(error, InvalidInput) else {}
    return templates.TemplateResponse(
        request,
        "cases/records.html",
        {
            "records": data,
            "form": form or {},
            "errors": errors,
            "refusal": error.message if isinstance(error, Conflict) else None,
        },
        # A refused referral is a 422 as well: the form comes back with what was typed.
        status_code=422 if error else 200,
    )


@router.get("/cases/{case_id}/records", response_class=HTMLResponse)
def case_records(
    case_id: int, request: Request, session: SessionDep, actor: ActorDep("case.read")
) -> HTMLResponse:
    return _page(request, session, actor, case_id)


@router.post("/cases/{case_id}/notes", response_model=None)
def add_note(
    case_id: int,
    request: Request,
    session: SessionDep,
    actor: ActorDep("case.edit"),
    body: Annotated[str, Form(max_length=20_000)] = "",
) -> Response:
    try:
        notes.add_note(session, actor=actor, case_id=case_id, body=body)
    except InvalidInput as exc:
        return _page(request, session, actor, case_id, form={"body": body}, error=exc)
    return _back(case_id, "notes")


@router.post("/cases/{case_id}/attachments", response_model=None)
def add_attachment(
    case_id: int,
    request: Request,
    session: SessionDep,
    keyring: KeyringDep,
    store: StoreDep,
    actor: ActorDep("case.edit"),
    file: Annotated[UploadFile | None, File()] = None,
) -> Response:
    try:
        notes.add_attachment(
            session,
            actor=actor,
            keyring=keyring,
            store=store,
            case_id=case_id,
            filename=(file.filename or "") if file else "",
            stream=file.file if file else io.BytesIO(),
        )
    except InvalidInput as exc:
        return _page(request, session, actor, case_id, error=exc)
    return _back(case_id, "attachments")


@router.get("/cases/{case_id}/attachments/{attachment_id}")
def download_attachment(
    case_id: int,
    attachment_id: int,
    session: SessionDep,
    keyring: KeyringDep,
    store: StoreDep,
    actor: ActorDep("case.read"),
) -> Response:
    attachment, data = notes.open_attachment(
        session,
        actor=actor,
        keyring=keyring,
        store=store,
        case_id=case_id,
        attachment_id=attachment_id,
    )
    # An ASCII fallback for old clients, the real (Korean) name in RFC 5987 form.
    fallback = "".join(
        c if c.isascii() and c.isprintable() and c not in '"\\' else "_"
        for c in attachment.filename
    )
    disposition = (
        f'attachment; filename="{fallback}"; '
        f"filename*=UTF-8''{quote(attachment.filename, safe='')}"
    )
    return Response(
        content=data,
        media_type=attachment.content_type,
        headers={"Content-Disposition": disposition, "X-Content-Type-Options": "nosniff"},
    )


@router.post("/cases/{case_id}/consents", response_model=None)
def record_consent(
    case_id: int,
    request: Request,
    session: SessionDep,
    actor: ActorDep("case.edit"),
    purpose: Annotated[str, Form(max_length=10)] = "",
    consent_facility: Annotated[str, Form(max_length=20)] = "",
    given_by: Annotated[str, Form(max_length=10)] = "",
    given_by_name: Annotated[str, Form(max_length=100)] = "",
    method: Annotated[str, Form(max_length=10)] = "",
    given_on: Annotated[str, Form(max_length=20)] = "",
    expires_on: Annotated[str, Form(max_length=20)] = "",
) -> Response:
    form: dict[str, object] = {
        "purpose": purpose,
        "consent_facility": consent_facility,
        "given_by": given_by,
        "given_by_name": given_by_name,
        "method": method,
        "given_on": given_on,
        "expires_on": expires_on,
    }
    try:
        consents.record_consent(
            session,
            actor=actor,
            case_id=case_id,
            today=seoul_today(),
            purpose=purpose,
            facility_code=consent_facility,
            given_by=given_by,
            given_by_name=given_by_name,
            method=method,
            given_on=given_on,
            expires_on=expires_on,
        )
    except InvalidInput as exc:
        return _page(request, session, actor, case_id, form=form, error=exc)
    return _back(case_id, "consents")


@router.post("/cases/{case_id}/consents/{consent_id}/withdraw", response_model=None)
def withdraw_consent(
    case_id: int,
    consent_id: int,
    request: Request,
    session: SessionDep,
    actor: ActorDep("case.edit"),
    withdrawn_on: Annotated[str, Form(max_length=20)] = "",
    withdrawn_reason: Annotated[str, Form(max_length=1000)] = "",
) -> Response:
    form: dict[str, object] = {
        "withdraw_id": consent_id,
        "withdrawn_on": withdrawn_on,
        "withdrawn_reason": withdrawn_reason,
    }
    try:
        consents.withdraw_consent(
            session,
            actor=actor,
            case_id=case_id,
            consent_id=consent_id,
            withdrawn_on=withdrawn_on,
            reason=withdrawn_reason,
        )
    except (InvalidInput, Conflict) as exc:
        return _page(request, session, actor, case_id, form=form, error=exc)
    return _back(case_id, "consents")


@router.post("/cases/{case_id}/referrals", response_model=None)
def refer(
    case_id: int,
    request: Request,
    session: SessionDep,
    actor: ActorDep("case.edit"),
    referral_facility: Annotated[str, Form(max_length=20)] = "",
    service: Annotated[str, Form(max_length=200)] = "",
    reason: Annotated[str, Form(max_length=4000)] = "",
) -> Response:
    form: dict[str, object] = {
        "referral_facility": referral_facility,
        "service": service,
        "reason": reason,
    }
    try:
        consents.refer(
            session,
            actor=actor,
            case_id=case_id,
            today=seoul_today(),
            facility_code=referral_facility,
            service=service,
            reason=reason,
        )
    except (InvalidInput, Conflict) as exc:
        return _page(request, session, actor, case_id, form=form, error=exc)
    return _back(case_id, "referrals")


@router.post("/cases/{case_id}/referrals/{referral_id}/status", response_model=None)
def referral_status(
    case_id: int,
    referral_id: int,
    request: Request,
    session: SessionDep,
    actor: ActorDep("case.edit"),
    status: Annotated[str, Form(max_length=10)] = "",
) -> Response:
    try:
        consents.update_referral_status(
            session, actor=actor, case_id=case_id, referral_id=referral_id, status=status
        )
    except InvalidInput as exc:
        form: dict[str, object] = {"status_id": referral_id, "status": status}
        return _page(request, session, actor, case_id, form=form, error=exc)
    return _back(case_id, "referrals")
