"""Who is served where: each person's facilities (by need, mostly in their own gu) and visits."""

import random
from datetime import date, timedelta

from bigcare.synth.dates import add_years
from bigcare.synth.facilities import Facility
from bigcare.synth.people import Household, Person
from bigcare.synth.places import Dong, distance_km

# How many rows (service episodes) a client has at a facility of each type: (min, max).
_EPISODES = {
    "SENIOR_WELFARE": (1, 8), "HOME_CARE": (2, 8), "DISABLED_WELFARE": (1, 6),
    "COMMUNITY_WELFARE": (1, 5), "FOOD_BANK": (1, 8), "HEALTH_CENTER": (1, 4),
    "DONG_CENTER": (1, 2),
}  # fmt: skip


def _needs(rng: random.Random, person: Person, today: date) -> list[str]:
    """Facility types this person uses (a type may not exist near them; that is fine)."""
    hh = person.household
    age = person.age(today)
    alone = len(hh.members) == 1
    poor = hh.low_income
    head = person is hh.head
    baby_home = any(p.newborn for p in hh.members)
    chances = {
        "SENIOR_WELFARE": 0.35 + 0.1 * alone if age >= 65 else 0.08 if age >= 60 else 0.0,
        "HOME_CARE": (0.22 if age >= 75 else 0.06 if age >= 65 else 0.0)
        + 0.15 * (age >= 65 and person.disabled),
        "HEALTH_CENTER": max(
            0.25 if age >= 65 else 0.02,
            0.15 if person.disabled else 0.0,
            0.7 if person.newborn else 0.0,
            0.5 if baby_home and person.sex == "F" and age >= 18 else 0.0,
            0.05 if age < 6 else 0.0,
        ),
        "DISABLED_WELFARE": 0.55 if person.disabled else 0.0,
        "FOOD_BANK": (0.4 if head else 0.03) if poor else 0.0,
        "COMMUNITY_WELFARE": max(
            (0.3 if head else 0.15) if poor else 0.02,
            0.25 if poor and age < 18 else 0.0,
            0.15 if alone and 40 <= age < 65 else 0.0,
        ),
        "DONG_CENTER": max(
            0.3 if poor else 0.02,
            0.5 if today < add_years(person.birth, 65) <= today + timedelta(days=90) else 0.0,
            0.5 if baby_home and head else 0.0,
            0.15 if alone and age >= 65 else 0.0,
        ),
    }
    return [t for t, p in chances.items() if rng.random() < p]


class Catchments:
    """Which facility of a type a resident of a dong goes to."""

    def __init__(self, facilities: list[Facility], dongs: tuple[Dong, ...]) -> None:
        self.by_type_gu: dict[tuple[str, str], list[Facility]] = {}
        self.dong_centers: dict[str, Facility] = {}
        for fac in facilities:
            if fac.type_code == "DONG_CENTER":
                self.dong_centers.setdefault(fac.dong.code, fac)
            elif fac.type_code != "CRISIS_AGENCY":
                self.by_type_gu.setdefault((fac.type_code, fac.dong.gu), []).append(fac)
        centers: dict[str, tuple[float, float]] = {}
        gu_dongs: dict[str, list[Dong]] = {}
        for dong in dongs:
            gu_dongs.setdefault(dong.gu, []).append(dong)
        for gu, members in gu_dongs.items():
            centers[gu] = (
                sum(d.lat for d in members) / len(members),
                sum(d.lon for d in members) / len(members),
            )

        def gap(a: str, b: str) -> float:
            (la, lo), (lb, lob) = centers[a], centers[b]
            return ((la - lb) * 111.0) ** 2 + ((lo - lob) * 88.2) ** 2

        self.neighbours = {
            gu: sorted((g for g in centers if g != gu), key=lambda g, gu=gu: gap(gu, g))
            for gu in centers
        }

    def choose(self, rng: random.Random, type_code: str, dong: Dong) -> Facility | None:
        if type_code == "DONG_CENTER":
            return self.dong_centers.get(dong.code)
        local = self.by_type_gu.get((type_code, dong.gu))
        if not local or rng.random() < 0.1:
            nearby = [
                fac
                for gu in self.neighbours[dong.gu][:3]
                for fac in self.by_type_gu.get((type_code, gu), ())
            ]
            local = nearby or local
        if not local:
            return None
        if len(local) > 1 and rng.random() < 0.6:
            return min(local, key=lambda fac: distance_km(fac.dong, dong))
        return rng.choice(local)


def plan_clients(
    rng: random.Random,
    households: list[Household],
    facilities: list[Facility],
    dongs: tuple[Dong, ...],
    today: date,
) -> dict[str, list[tuple[Person, int]]]:
    """Facility code → its clients and how many episodes (rows) each has."""
    catchments = Catchments(facilities, dongs)
    clients: dict[str, list[tuple[Person, int]]] = {fac.code: [] for fac in facilities}
    for hh in households:
        for person in hh.members:
            for type_code in _needs(rng, person, today):
                fac = catchments.choose(rng, type_code, hh.address.dong)
                if fac is not None:
                    low, high = _EPISODES[type_code]
                    clients[fac.code].append((person, rng.randint(low, high)))
    return clients
