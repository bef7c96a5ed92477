"""JSON shapes of the facilities API."""

from pydantic import BaseModel


class FacilityRead(BaseModel):
    """A facility and where it is."""

    code: str
    name: str
    kind: str
    dong_code: str
    dong_name: str
    gu_code: str
    gu_name: str
