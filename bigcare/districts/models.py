"""Seoul's 25 gu, 424 administrative dongs and the community service center in each dong."""

from datetime import datetime

from sqlalchemy import DateTime, UniqueConstraint
from sqlmodel import Field, SQLModel

from bigcare import db


class Gu(SQLModel, table=True):
    """An autonomous district (자치구). `code` is the 5-digit KOSTAT code, e.g. 11230 강남구."""

    __tablename__ = "gu"

    code: str = Field(primary_key=True, max_length=5)
    name: str = Field(max_length=20, unique=True)
    # Mean of its dongs' inner points: where a city map puts the gu's label.
    lat: float
    lon: float


class Dong(SQLModel, table=True):
    """An administrative dong (행정동). `code` is the 7-digit KOSTAT code, e.g. 1123068."""

    __tablename__ = "dong"
    __table_args__ = (UniqueConstraint("gu_code", "name"),)

    code: str = Field(primary_key=True, max_length=7)
    gu_code: str = Field(foreign_key="gu.code", index=True, max_length=5)
    # Dong names repeat across gu (신사동 is in 강남구 and 관악구): unique only within a gu.
    name: str = Field(max_length=30)
    # A point guaranteed inside the dong's boundary (not the centroid, which may fall outside).
    lat: float
    lon: float


class Center(SQLModel, table=True):
    """The dong's community service center (주민센터): where staff start and end their visits."""

    __tablename__ = "center"

    id: int | None = Field(default=None, primary_key=True)
    dong_code: str = Field(foreign_key="dong.code", unique=True, max_length=7)
    name: str = Field(max_length=40)
    # Until a real address is entered, the center stands at the dong's inner point.
    lat: float
    lon: float
    updated_at: datetime = Field(
        default_factory=db.utcnow, sa_type=DateTime(timezone=True), nullable=False
    )
