"""Travel times between the center and the households it visits.

Staff walk to nearby homes and take the bus or subway beyond a walking limit. Without a road
network the time comes from the straight-line distance with a detour factor. This is the one
place travel is estimated: a real matrix (e.g. from an OSRM or a transit router) replaces it
by implementing `TravelModel`."""

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np

EARTH_RADIUS_M = 6_371_000.0


class TravelModel(Protocol):
    def minutes(self, points: Sequence[tuple[float, float]]) -> np.ndarray:
        """Whole minutes from every point to every other (lat, lon), as an n × n int matrix."""
        ...


def distance_matrix(points: Sequence[tuple[float, float]]) -> np.ndarray:
    """Great-circle distances in metres between every pair of (lat, lon) points."""
    if not points:
        return np.zeros((0, 0))
    lat = np.radians(np.array([p[0] for p in points], dtype=float))
    lon = np.radians(np.array([p[1] for p in points], dtype=float))
    dlat = lat[:, None] - lat[None, :]
    dlon = lon[:, None] - lon[None, :]
    a = np.sin(dlat / 2) ** 2 + np.cos(lat[:, None]) * np.cos(lat[None, :]) * np.sin(dlon / 2) ** 2
    return 2 * EARTH_RADIUS_M * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0)))


@dataclass(frozen=True)
class WalkThenTransit:
    """Walk up to `walk_limit_m` of street distance; beyond it, wait and ride public transport.

    Street distance is the straight line × `detour` (1.3 is typical of Seoul's street grid).
    Walking at 4.2 km/h allows for stairs and hills; a bus or subway trip costs a fixed access
    and waiting time plus 18 km/h door to door."""

    detour: float = 1.3
    walk_m_per_min: float = 70.0
    walk_limit_m: float = 1_200.0
    transit_m_per_min: float = 300.0
    transit_access_min: float = 10.0

    def minutes(self, points: Sequence[tuple[float, float]]) -> np.ndarray:
        street = distance_matrix(points) * self.detour
        walk = street / self.walk_m_per_min
        transit = self.transit_access_min + street / self.transit_m_per_min
        # Never slower by transit than the walk it replaces (long walks stay walks if faster).
        minutes = np.where(street <= self.walk_limit_m, walk, np.minimum(walk, transit))
        out = np.ceil(minutes).astype(np.int64)
        np.fill_diagonal(out, 0)
        return out


DEFAULT = WalkThenTransit()
