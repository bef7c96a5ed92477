"""JSON shapes of the districts API."""

from pydantic import BaseModel


class GuRead(BaseModel):
    code: str
    name: str
    dong_count: int
    lat: float
    lon: float


class CenterRead(BaseModel):
    id: int
    name: str
    dong_code: str
    lat: float
    lon: float


class DongRead(BaseModel):
    code: str
    name: str
    gu_code: str
    lat: float
    lon: float


class GuDetail(GuRead):
    dongs: list[DongRead]


class DongDetail(DongRead):
    gu_name: str
    center: CenterRead


class CenterDetail(CenterRead):
    dong_name: str
    gu_code: str
    gu_name: str
