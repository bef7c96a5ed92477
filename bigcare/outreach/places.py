"""Where households are on the map, for visit routes.

A real deployment resolves addresses to coordinates through a geocoder (the `PointGeocoder`
interface; the intake's geocoder resolves dongs the same way). Generated data has no real
addresses, so its households are placed at a stable point near their dong's inner point:
within a radius that fits Seoul's dongs (median area ~1.4 km², so about 600 m), the same
point for the same household every time."""

import hashlib
import math
from collections.abc import Iterable
from typing import Protocol

from sqlalchemy import bindparam, update
from sqlmodel import Session, col, select

from bigcare.cases.models import Household
from bigcare.districts.models import Dong

M_PER_DEG_LAT = 111_000.0
SPREAD_M = 600.0


class PointGeocoder(Protocol):
    def point(self, address: str, dong_code: str) -> tuple[float, float] | None:
        """The (lat, lon) of an address, or None when it cannot be placed."""
        ...


class NoPointGeocoder:
    """No geocoder configured: nothing is placed from its address."""

    def point(self, address: str, dong_code: str) -> tuple[float, float] | None:
        return None


def near_dong_point(household_id: int, lat: float, lon: float) -> tuple[float, float]:
    """A stable point within SPREAD_M of the dong's inner point, uniform over the disc."""
    digest = hashlib.sha256(f"household:{household_id}".encode()).digest()
    u = int.from_bytes(digest[:4], "big") / 2**32
    v = int.from_bytes(digest[4:8], "big") / 2**32
    r = SPREAD_M * math.sqrt(u)
    angle = 2 * math.pi * v
    dlat = r * math.sin(angle) / M_PER_DEG_LAT
    dlon = r * math.cos(angle) / (M_PER_DEG_LAT * math.cos(math.radians(lat)))
    return round(lat + dlat, 6), round(lon + dlon, 6)


def place_households(
    session: Session,
    *,
    dong_codes: Iterable[str] | None = None,
    geocoder: PointGeocoder | None = None,
    chunk: int = 5_000,
) -> int:
    """Give every household without coordinates a point: from its address through the
    geocoder, else near its dong's inner point. Returns how many were placed."""
    geocoder = geocoder or NoPointGeocoder()
    dongs = {d.code: (d.lat, d.lon) for d in session.exec(select(Dong)).all()}
    query = select(Household.id, Household.dong_code, Household.address).where(
        col(Household.lat).is_(None)
    )
    if dong_codes is not None:
        query = query.where(col(Household.dong_code).in_(list(dong_codes)))
    rows = session.exec(query.order_by(col(Household.id))).all()
    placed = 0
    for start in range(0, len(rows), chunk):
        values = []
        for household_id, dong_code, address in rows[start : start + chunk]:
            point = geocoder.point(address, dong_code) if address else None
            if point is None:
                point = near_dong_point(household_id, *dongs[dong_code])
            values.append({"hid": household_id, "lat": point[0], "lon": point[1]})
        table = Household.__table__  # type: ignore[attr-defined]
        session.connection().execute(
            update(table)
            .where(table.c.id == bindparam("hid"))
            .values(lat=bindparam("lat"), lon=bindparam("lon")),
            values,
        )
        placed += len(values)
    return placed
