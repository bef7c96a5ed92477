"""JSON API for Seoul's gu, dongs and community service centers."""

from fastapi import APIRouter, Depends

from bigcare.auth.deps import require
from bigcare.db import SessionDep
from bigcare.districts import service
from bigcare.districts.schemas import (
    CenterDetail,
    CenterRead,
    DongDetail,
    DongRead,
    GuDetail,
    GuRead,
)

router = APIRouter(
    prefix="/api/v1/districts",
    tags=["districts"],
    dependencies=[Depends(require("district.read"))],
)


@router.get("/gu", response_model=list[GuRead])
def list_gu(session: SessionDep) -> list[GuRead]:
    return [GuRead(dong_count=n, **g.model_dump()) for g, n in service.list_gu(session)]


@router.get("/gu/{gu_code}", response_model=GuDetail)
def get_gu(gu_code: str, session: SessionDep) -> GuDetail:
    view = service.get_gu_view(session, gu_code)
    dongs = [DongRead.model_validate(d, from_attributes=True) for d in view.dongs]
    return GuDetail(dong_count=len(dongs), dongs=dongs, **view.gu.model_dump())


@router.get("/dongs", response_model=list[DongRead])
def list_dongs(session: SessionDep, gu_code: str | None = None) -> list[DongRead]:
    return [
        DongRead.model_validate(d, from_attributes=True)
        for d in service.list_dongs(session, gu_code=gu_code)
    ]


@router.get("/dongs/{dong_code}", response_model=DongDetail)
def get_dong(dong_code: str, session: SessionDep) -> DongDetail:
    view = service.get_dong_view(session, dong_code)
    return DongDetail(
        gu_name=view.gu.name,
        center=CenterRead.model_validate(view.center, from_attributes=True),
        **view.dong.model_dump(),
    )


@router.get("/centers/{dong_code}", response_model=CenterDetail)
def get_center(dong_code: str, session: SessionDep) -> CenterDetail:
    view = service.get_dong_view(session, dong_code)
    return CenterDetail(
        dong_name=view.dong.name,
        gu_code=view.gu.code,
        gu_name=view.gu.name,
        **view.center.model_dump(exclude={"updated_at"}),
    )
