"""JSON shapes of the persons API: masked identifiers only."""

from datetime import date

from pydantic import BaseModel


class PersonRead(BaseModel):
    """A person as the API shows them: RRN and phone masked."""

    id: int
    name: str
    rrn_masked: str | None
    birth_date: date | None
    age: int | None
    sex: str | None
    phone_masked: str | None
    dong_code: str
    dong_name: str
    gu_name: str


class PersonPage(BaseModel):
    """One page of persons and how many there are in all."""

    total: int
    page: int
    per_page: int
    items: list[PersonRead]
