"""Facilities that send their records to BigCare (the intake itself arrives with batches)."""

from datetime import datetime

from sqlalchemy import DateTime
from sqlmodel import Field, SQLModel

from bigcare import db


class Facility(SQLModel, table=True):
    """A welfare facility (복지관, 재가센터, 보건소 ...) located in one dong."""

    __tablename__ = "facility"

    code: str = Field(primary_key=True, max_length=20)
    name: str = Field(max_length=80)
    kind: str = Field(max_length=40)
    dong_code: str = Field(foreign_key="dong.code", index=True, max_length=7)
    created_at: datetime = Field(
        default_factory=db.utcnow, sa_type=DateTime(timezone=True), nullable=False
    )
