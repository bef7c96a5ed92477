"""Pages: Seoul's gu → a gu's dongs → a dong's community service center."""

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse

from bigcare.auth.deps import require
from bigcare.db import SessionDep
from bigcare.districts import service
from bigcare.templating import templates

# Reference data every staff account reads; facility accounts have no need for it.
router = APIRouter(
    prefix="/districts", tags=["districts"], dependencies=[Depends(require("district.read"))]
)


@router.get("", response_class=HTMLResponse)
def seoul(request: Request, session: SessionDep) -> HTMLResponse:
    view = service.get_seoul_view(session)
    return templates.TemplateResponse(request, "districts/seoul.html", {"view": view})


@router.get("/gu/{gu_code}", response_class=HTMLResponse)
def gu(gu_code: str, request: Request, session: SessionDep) -> HTMLResponse:
    view = service.get_gu_view(session, gu_code)
    return templates.TemplateResponse(request, "districts/gu.html", {"view": view})


@router.get("/centers/{dong_code}", response_class=HTMLResponse)
def center(dong_code: str, request: Request, session: SessionDep) -> HTMLResponse:
    view = service.get_dong_view(session, dong_code)
    return templates.TemplateResponse(request, "districts/center.html", {"view": view})
