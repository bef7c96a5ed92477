"""The person (golden record) that caseworkers see; households and cases build on it."""

from datetime import date, datetime

from sqlalchemy import DateTime
from sqlmodel import Field, SQLModel

from bigcare import db


class Person(SQLModel, table=True):
    """One resident. The RRN is kept only sealed (AES-256-GCM) with a keyed blind index."""

    __tablename__ = "person"
    # Access-log rows and merge history name persons by id: never reuse a deleted one's.
    __table_args__ = ({"sqlite_autoincrement": True},)

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=40)
    # `info` marks the column for `bigcare keys rotate`, which finds every sealed column.
    rrn_sealed: str | None = Field(
        default=None,
        max_length=120,
        sa_column_kwargs={"info": {"sealed": "rrn", "blind_index": "rrn_index"}},
    )
    rrn_index: str | None = Field(default=None, max_length=64, index=True)
    # Front half and sex digit are kept in clear (as in 800101-1******): the masked form
    # every list shows, and what matching uses when the full number is absent.
    rrn_masked: str | None = Field(default=None, max_length=14)
    birth_date: date | None = None
    sex: str | None = Field(default=None, max_length=1)
    phone: str | None = Field(default=None, max_length=20)
    dong_code: str = Field(foreign_key="dong.code", index=True, max_length=7)
    address: str | None = Field(default=None, max_length=200)
    created_at: datetime = Field(
        default_factory=db.utcnow, sa_type=DateTime(timezone=True), nullable=False
    )
