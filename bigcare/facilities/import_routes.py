"""Pages: upload a facility file, confirm its column mapping, see a batch and its quarantined
rows, fix a row in place, place gu-level rows in a dong, edit a facility's mapping."""

import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Depends, File, Form, Query, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlmodel import Session

from bigcare.auth.deps import ActorDep, KeyringDep
from bigcare.auth.service import Actor
from bigcare.db import SessionDep
from bigcare.errors import InvalidInput
from bigcare.facilities import batches, intake, normalize, parsing, readers
from bigcare.facilities import service as facilities_service
from bigcare.privacy.crypto import Keyring
from bigcare.templating import templates

router = APIRouter(tags=["imports"])


def intake_limits(request: Request) -> readers.Limits:
    settings = request.app.state.settings
    return readers.Limits(max_bytes=settings.import_max_bytes, max_rows=settings.import_max_rows)


LimitsDep = Annotated[readers.Limits, Depends(intake_limits)]


def link_new_rows(request: Request, session: Session) -> None:
    """Hand rows that just became usable to the linker the app was built with (linkage
    sits above the intake, so the app passes it in rather than the intake importing it)."""
    hook = request.app.state.after_import
    if hook is not None:
        hook(session)


@contextmanager
def _spooled(upload: UploadFile) -> Iterator[Path]:
    """The upload as a file on disk (deleted afterwards); the intake refuses oversize files."""
    with tempfile.TemporaryDirectory(prefix="bigcare-upload-") as folder:
        path = Path(folder) / "upload"
        with path.open("wb") as out:
            shutil.copyfileobj(upload.file, out, length=1024 * 1024)
        yield path


@router.get("/imports", response_class=HTMLResponse)
def imports(
    request: Request,
    session: SessionDep,
    actor: ActorDep("import.read"),
    facility: Annotated[str | None, Query(max_length=20)] = None,
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
) -> HTMLResponse:
    rows, total = batches.list_batches(session, actor=actor, facility_code=facility, page=page)
    unassigned = batches.count_unassigned(session, actor=actor) if actor.can("import.upload") else 0
    return templates.TemplateResponse(
        request,
        "imports/list.html",
        {
            "rows": rows,
            "total": total,
            "page": page,
            "per_page": batches.PER_PAGE,
            "facility": facility or "",
            "unassigned": unassigned,
        },
    )


@router.get("/imports/new", response_class=HTMLResponse)
def new_import(
    request: Request,
    session: SessionDep,
    actor: ActorDep("import.upload"),
    facility: Annotated[str | None, Query(max_length=20)] = None,
) -> HTMLResponse:
    facilities = facilities_service.list_facilities(session, actor=actor)
    return templates.TemplateResponse(
        request, "imports/new.html", {"facilities": facilities, "chosen": facility or ""}
    )


@router.post("/imports")
def upload(
    request: Request,
    session: SessionDep,
    keyring: KeyringDep,
    limits: LimitsDep,
    actor: ActorDep("import.upload"),
    file: Annotated[UploadFile, File()],
    facility: Annotated[str, Form(max_length=20)] = "",
    sheet: Annotated[str, Form(max_length=100)] = "",
) -> Response:
    if not facility:
        facilities = facilities_service.list_facilities(session, actor=actor)
        return templates.TemplateResponse(
            request,
            "imports/new.html",
            {"facilities": facilities, "chosen": "", "error": "자료를 보낸 시설을 고르세요"},
            status_code=422,
        )
    with _spooled(file) as path:
        result = intake.import_file(
            session,
            actor=actor,
            keyring=keyring,
            facility_code=facility,
            path=path,
            door=intake.Door(source="web", filename=file.filename),
            sheet=sheet.strip() or None,
            limits=limits,
        )
    batch = result.batch
    if batch.status == batches.DONE and not result.duplicate:
        link_new_rows(request, session)
    if result.duplicate:
        return RedirectResponse(f"/imports/{batch.id}?duplicate=1", status_code=303)
    if batch.status == batches.MAPPING:
        return RedirectResponse(f"/imports/{batch.id}/mapping", status_code=303)
    return RedirectResponse(f"/imports/{batch.id}", status_code=303)


@router.get("/imports/dongs", response_class=HTMLResponse)
def unassigned(
    request: Request,
    session: SessionDep,
    actor: ActorDep("import.upload"),
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
) -> HTMLResponse:
    rows, total = batches.list_unassigned(session, actor=actor, page=page)
    return templates.TemplateResponse(
        request,
        "imports/dongs.html",
        {"rows": rows, "total": total, "page": page, "per_page": batches.PER_PAGE},
    )


@router.post("/imports/dongs/{record_id}")
def assign_dong(
    record_id: int,
    request: Request,
    session: SessionDep,
    keyring: KeyringDep,
    actor: ActorDep("import.upload"),
    dong_code: Annotated[str, Form(max_length=7)] = "",
) -> RedirectResponse:
    batches.assign_dong(
        session,
        actor=actor,
        keyring=keyring,
        record_id=record_id,
        dong_code=dong_code,
        today=intake.today_in_seoul(),
    )
    link_new_rows(request, session)
    return RedirectResponse("/imports/dongs?assigned=1", status_code=303)


@router.get("/imports/{batch_id}", response_class=HTMLResponse)
def batch(
    batch_id: int,
    request: Request,
    session: SessionDep,
    actor: ActorDep("import.read"),
    duplicate: Annotated[bool, Query()] = False,
) -> HTMLResponse:
    view = batches.get_batch_view(session, actor=actor, batch_id=batch_id)
    return templates.TemplateResponse(
        request, "imports/batch.html", {"view": view, "duplicate": duplicate}
    )


def _mapping_page(
    request: Request,
    session: Session,
    actor: Actor,
    keyring: Keyring,
    batch_id: int,
    chosen: dict[str, str | None] | None = None,
    errors: list | None = None,
) -> HTMLResponse:
    row = batches.get_batch_row(session, actor=actor, batch_id=batch_id)
    suggested = chosen or intake.suggest_for(
        session, facility_code=row.batch.facility_code, header=row.batch.header
    )
    _, samples, _ = batches.list_rows(
        session, actor=actor, keyring=keyring, batch_id=batch_id, page=1
    )
    return templates.TemplateResponse(
        request,
        "imports/mapping.html",
        {
            "row": row,
            "suggested": suggested,
            "samples": samples[:3],
            "fields": normalize.TARGET_FIELDS,
            "errors": errors or [],
        },
        status_code=422 if errors else 200,
    )


@router.get("/imports/{batch_id}/mapping", response_class=HTMLResponse)
def mapping(
    batch_id: int,
    request: Request,
    session: SessionDep,
    keyring: KeyringDep,
    actor: ActorDep("import.upload"),
) -> HTMLResponse:
    return _mapping_page(request, session, actor, keyring, batch_id)


@router.post("/imports/{batch_id}/mapping", response_model=None)
def confirm_mapping(
    batch_id: int,
    request: Request,
    session: SessionDep,
    keyring: KeyringDep,
    actor: ActorDep("import.upload"),
    column: Annotated[list[str], Form()] = [],  # noqa: B006 (FastAPI copies defaults)
) -> Response:
    row = batches.get_batch_row(session, actor=actor, batch_id=batch_id)
    chosen = dict(zip(row.batch.header, [c or None for c in column], strict=False))
    try:
        intake.apply_mapping(
            session, actor=actor, keyring=keyring, batch_id=batch_id, columns=chosen
        )
    except InvalidInput as exc:
        return _mapping_page(request, session, actor, keyring, batch_id, chosen, exc.errors)
    link_new_rows(request, session)
    return RedirectResponse(f"/imports/{batch_id}", status_code=303)


@router.get("/imports/{batch_id}/rows", response_class=HTMLResponse)
def batch_rows(
    batch_id: int,
    request: Request,
    session: SessionDep,
    keyring: KeyringDep,
    actor: ActorDep("import.read"),
    status: Annotated[str | None, Query(max_length=12)] = None,
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
) -> HTMLResponse:
    if status not in parsing.ROW_STATUS_LABELS:
        status = None
    row, rows, total = batches.list_rows(
        session, actor=actor, keyring=keyring, batch_id=batch_id, status=status, page=page
    )
    return templates.TemplateResponse(
        request,
        "imports/rows.html",
        {
            "row": row,
            "rows": rows,
            "total": total,
            "page": page,
            "per_page": batches.PER_PAGE,
            "status": status or "",
            "labels": parsing.ROW_STATUS_LABELS,
        },
    )


@router.get("/imports/{batch_id}/rows/{row_number}", response_class=HTMLResponse)
def batch_row(
    batch_id: int,
    row_number: int,
    request: Request,
    session: SessionDep,
    keyring: KeyringDep,
    actor: ActorDep("import.read"),
    fixed: Annotated[bool, Query()] = False,
) -> HTMLResponse:
    detail = batches.get_row(
        session, actor=actor, keyring=keyring, batch_id=batch_id, row_number=row_number
    )
    return templates.TemplateResponse(
        request, "imports/row.html", {"detail": detail, "fixed": fixed}
    )


@router.post("/imports/{batch_id}/rows/{row_number}", response_model=None)
def fix_row(
    batch_id: int,
    row_number: int,
    request: Request,
    session: SessionDep,
    keyring: KeyringDep,
    actor: ActorDep("import.upload"),
    cell: Annotated[list[str], Form()] = [],  # noqa: B006 (FastAPI copies defaults)
) -> Response:
    try:
        batches.fix_row(
            session,
            actor=actor,
            keyring=keyring,
            batch_id=batch_id,
            row_number=row_number,
            submitted=cell,
            today=intake.today_in_seoul(),
        )
    except InvalidInput as exc:
        detail = batches.get_row(
            session, actor=actor, keyring=keyring, batch_id=batch_id, row_number=row_number
        )
        return templates.TemplateResponse(
            request,
            "imports/row.html",
            {"detail": detail, "error": exc.message, "submitted": cell},
            status_code=422,
        )
    link_new_rows(request, session)
    return RedirectResponse(f"/imports/{batch_id}/rows/{row_number}?fixed=1", status_code=303)


@router.get("/facilities/{code}/mapping", response_class=HTMLResponse)
def facility_mapping(
    code: str,
    request: Request,
    session: SessionDep,
    actor: ActorDep("import.upload"),
    saved: Annotated[bool, Query()] = False,
) -> HTMLResponse:
    view = intake.get_mapping_view(session, actor=actor, facility_code=code)
    return templates.TemplateResponse(
        request,
        "imports/facility_mapping.html",
        {"view": view, "fields": normalize.TARGET_FIELDS, "saved": saved},
    )


@router.post("/facilities/{code}/mapping", response_model=None)
def save_facility_mapping(
    code: str,
    request: Request,
    session: SessionDep,
    actor: ActorDep("import.upload"),
    column: Annotated[list[str], Form()] = [],  # noqa: B006 (FastAPI copies defaults)
) -> Response:
    try:
        intake.update_facility_mapping(
            session, actor=actor, facility_code=code, targets=[c or None for c in column]
        )
    except InvalidInput as exc:
        view = intake.get_mapping_view(session, actor=actor, facility_code=code)
        return templates.TemplateResponse(
            request,
            "imports/facility_mapping.html",
            {"view": view, "fields": normalize.TARGET_FIELDS, "errors": exc.errors},
            status_code=422,
        )
    return RedirectResponse(f"/facilities/{code}/mapping?saved=1", status_code=303)
