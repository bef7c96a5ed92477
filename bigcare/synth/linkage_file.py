"""Write a labelled linkage benchmark CSV (LINKAGE_FORMAT.md) from the synthetic world."""

import csv
import math
from collections.abc import Iterator
from datetime import date
from pathlib import Path

from bigcare.synth.assign import plan_clients
from bigcare.synth.facilities import make_facilities
from bigcare.synth.people import Household, PopulationMaker
from bigcare.synth.places import load_dongs
from bigcare.synth.render import Renderer, Row
from bigcare.synth.seeds import seeded

COLUMNS = (
    "record_id",
    "facility_code",
    "facility_type",
    "name",
    "rrn",
    "birth_date",
    "sex",
    "phone",
    "address",
    "true_person_id",
)

FACILITY_TYPES = {
    "SENIOR_WELFARE": "senior_welfare_center",
    "DISABLED_WELFARE": "disability_center",
    "COMMUNITY_WELFARE": "community_welfare_center",
    "FOOD_BANK": "food_bank",
    "HOME_CARE": "home_care_agency",
    "HEALTH_CENTER": "public_health_center",
    "DONG_CENTER": "dong_community_center",
}

_FACILITIES = 300  # the world's default; rows per person hardly depend on it
# Client records per person with 300 facilities (measured: 0.537 at 100k persons, 0.540 at 20k).
_ROWS_PER_PERSON = 0.54
# Persons drawn, planned and rendered at a time, so that memory does not grow with `records`.
_CHUNK_PERSONS = 50_000


def _households(maker: PopulationMaker, persons: int, start: int) -> list[Household]:
    """Whole households holding at least `persons` persons, numbered from `start`."""
    out: list[Household] = []
    total = 0
    while total < persons:
        hh = maker.household(start + len(out))
        out.append(hh)
        total += len(hh.members)
    return out


def _fields(renderer: Renderer, row: Row) -> tuple[str, str, str, str, str, str]:
    """name, rrn, birth_date, sex, phone, address of one client row, as the file would show."""
    fields = renderer.fields
    # The renderer fills sex, dong and unit whatever the layout; keep only what is exported.
    birth = row.get("birth", "") if "birth" in fields else ""
    if isinstance(birth, date):  # an XLSX facility's real date
        birth = birth.isoformat()
    sex = row.get("sex", "") if "sex" in fields else ""
    phone = row.get("phone") or (row.get("home_phone", "") if "home_phone" in fields else "")
    if "address" in fields:
        address = str(row.get("address", ""))
        unit = row.get("unit") if "unit" in fields else ""
        if unit:
            address = f"{address}, {unit}" if address else str(unit)
    else:
        address = str(row.get("dong", "")) if "dong" in fields else ""
    return (
        str(row.get("name", "")),
        str(row.get("rrn", "")),
        str(birth),
        str(sex),
        str(phone),
        address,
    )


def _rows(seed: int, today: date, records: int) -> Iterator[tuple[str, ...]]:
    """Rows without record_id, chunk by chunk, until `records` rows have been produced."""
    dongs = load_dongs()
    facs = [
        fac
        for fac in make_facilities(seeded(seed, "linkage", "facilities"), dongs, _FACILITIES)
        if fac.layout is not None  # the crisis agencies keep no client list
    ]
    renderers = {fac.code: Renderer(seeded(seed, "linkage", fac.code), fac, today) for fac in facs}
    maker = PopulationMaker(seeded(seed, "linkage", "people"), dongs, today)
    produced = 0
    next_household = 1
    chunk = 0
    while produced < records:
        chunk += 1
        # The last chunk only as big as needed (plus margin): fewer persons cut off mid-way.
        wanted = math.ceil((records - produced) / _ROWS_PER_PERSON * 1.05) + 10
        households = _households(maker, min(wanted, _CHUNK_PERSONS), next_household)
        next_household += len(households)
        clients = plan_clients(
            seeded(seed, "linkage", "assign", chunk), households, facs, dongs, today
        )
        for fac in facs:
            renderer = renderers[fac.code]
            kind = FACILITY_TYPES[fac.type_code]
            for person, _episodes in clients[fac.code]:
                yield (fac.code, kind, *_fields(renderer, renderer.client(person)), person.pid)
                produced += 1
                if produced == records:
                    return


def write_linkage_csv(
    path: Path, *, records: int, seed: int = 1, today: date = date(2026, 11, 25)
) -> int:
    """Write `records` client records of synthetic persons, one per (facility, client), with
    each facility's noise and the true person id; streaming. Returns the rows written."""
    written = 0
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(COLUMNS)
        for row in _rows(seed, today, records):
            written += 1
            writer.writerow((f"R{written:07d}", *row))
    return written
