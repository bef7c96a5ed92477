"""Generate a synthetic Seoul: persons, facilities, their exports, crisis lists and the truth."""

import csv
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from bigcare.synth import crisis, exports
from bigcare.synth.assign import plan_clients
from bigcare.synth.dates import add_years, months_before
from bigcare.synth.facilities import INSURANCE_AGENCY, UTILITY_AGENCY, make_facilities
from bigcare.synth.layouts import INSURANCE_COLUMNS, UTILITY_COLUMNS
from bigcare.synth.people import Household, make_population, person_flags
from bigcare.synth.places import load_dongs
from bigcare.synth.seeds import seeded

_OUR_EXPORT = re.compile(r"F\d{6}\.(csv|xlsx)")

PERSON_COLUMNS = (
    "person_id",
    "household_id",
    "name",
    "rrn",
    "birth_date",
    "sex",
    "phone",
    "home_phone",
    "dong_code",
    "road_address",
    "lot_address",
    "unit",
    "relation",
    "flags",
)

README = """BigCare synthetic Seoul — 합성 데이터 (seed {seed}, today {today})

Everything in this folder is SYNTHETIC. No person, number, phone or address is real; the
424 administrative dongs come from seed_data/seoul_dongs_2016.csv (KOSTAT SGIS via admdongkor),
the streets, buildings and facilities are invented.

facilities.csv      code,name,type_code,dong_code,export_format,encoding — {facilities} facilities
exports/<code>.*    each facility's client list as that facility would send it: its own column
                    names, date/phone/sex formats, masked or missing RRNs, typos, old addresses,
                    a few unusable rows. CSV files use CRLF and the encoding in facilities.csv
                    (cp949, utf-8-sig or utf-8); XLSX files may hold real dates and a formula.
                    The two CRISIS_AGENCY files are crisis lists (utility and insurance arrears).
truth/persons.csv   the true person behind every record ({persons} persons, {households} households)
                    flags: twin, foreigner, disabled, low_income, lives_alone, newborn,
                    rrn_changed (exports from some facilities still show the old number),
                    moved_from=<dong code> (some facilities still have the previous address)
truth/records.csv   file,row_number,person_id for every export row (the header is row 1)

The truth never appears in the exports; use it only to measure linkage.
"""


@dataclass
class WorldSummary:
    """What generate_world wrote, with the special populations counted for the demo."""

    out_dir: Path
    persons: int
    households: int
    facilities: int
    export_files: int
    export_rows: int
    # counts of the special populations, for the demo's printout
    twins: int
    births_recent: int  # born within the last 3 months of `today`
    turning_65: int  # turn 65 within 60 days after `today`
    turning_70: int
    crisis_rows: int


def _write_persons(path: Path, households: list[Household]) -> None:
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f, lineterminator="\r\n")
        writer.writerow(PERSON_COLUMNS)
        for hh in households:
            addr = hh.address
            for p in hh.members:
                writer.writerow(
                    (
                        p.pid,
                        hh.hid,
                        p.name,
                        p.rrn,
                        p.birth.isoformat(),
                        p.sex,
                        p.phone,
                        hh.home_phone,
                        addr.dong.code,
                        addr.road_address,
                        addr.lot_address,
                        addr.unit,
                        p.relation,
                        ";".join(person_flags(p)),
                    )
                )


def generate_world(
    out_dir: Path,
    *,
    persons: int = 20_000,
    facilities: int = 300,
    seed: int = 20261125,
    today: date | None = None,
    progress: Callable[[int, int], None] | None = None,
    focus: dict[str, float] | None = None,
) -> WorldSummary:
    """Write a synthetic Seoul into out_dir (see README.txt there). Deterministic per seed and
    today. `progress(done, total)` is called after the population and after every file, with
    total = number of facilities + 2; at least 27 facilities (2 crisis agencies and one 보건소
    per gu) are made whatever `facilities` says. `focus` weights some dongs up (dong code →
    factor)."""
    today = today or date.today()
    dongs = load_dongs()
    households = make_population(
        seeded(seed, "people"), dongs, persons=persons, today=today, focus=focus
    )
    facs = make_facilities(seeded(seed, "facilities"), dongs, facilities)
    total_steps = len(facs) + 2
    if progress:
        progress(1, total_steps)
    clients = plan_clients(seeded(seed, "assign"), households, facs, dongs, today)

    exports_dir = out_dir / "exports"
    truth_dir = out_dir / "truth"
    exports_dir.mkdir(parents=True, exist_ok=True)
    truth_dir.mkdir(parents=True, exist_ok=True)
    for old in exports_dir.iterdir():  # files of an earlier run into the same folder
        if _OUR_EXPORT.fullmatch(old.name):
            old.unlink()

    records: list[tuple[str, int, str]] = []
    crisis_rows = 0
    person_total = sum(len(hh.members) for hh in households)
    for step, fac in enumerate(facs, start=2):
        if fac.type_code == "CRISIS_AGENCY":
            rng = seeded(seed, "crisis", fac.code)
            if fac.name == UTILITY_AGENCY:
                rows = crisis.utility_rows(rng, fac, households, person_total, today)
                written = exports.export_rows(fac, UTILITY_COLUMNS, rows, exports_dir)
            else:
                assert fac.name == INSURANCE_AGENCY
                rows = crisis.insurance_rows(rng, fac, households, person_total, today)
                written = exports.export_rows(fac, INSURANCE_COLUMNS, rows, exports_dir)
            crisis_rows += len(written)
        else:
            written = exports.export_facility(
                fac, clients[fac.code], exports_dir, seed=seed, today=today
            )
        records += [(f"exports/{fac.file_name}", row, pid) for row, pid in written]
        if progress:
            progress(step, total_steps)

    with (out_dir / "facilities.csv").open("w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f, lineterminator="\r\n")
        writer.writerow(("code", "name", "type_code", "dong_code", "export_format", "encoding"))
        for fac in facs:
            writer.writerow(
                (fac.code, fac.name, fac.type_code, fac.dong.code, fac.export_format, fac.encoding)
            )
    _write_persons(truth_dir / "persons.csv", households)
    with (truth_dir / "records.csv").open("w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f, lineterminator="\r\n")
        writer.writerow(("file", "row_number", "person_id"))
        writer.writerows(records)
    (out_dir / "README.txt").write_text(
        README.format(
            seed=seed,
            today=today.isoformat(),
            facilities=len(facs),
            persons=person_total,
            households=len(households),
        ),
        encoding="utf-8",
    )
    if progress:
        progress(total_steps, total_steps)

    everyone = [p for hh in households for p in hh.members]
    recent = months_before(today, 3)
    soon = today + timedelta(days=60)
    return WorldSummary(
        out_dir=out_dir,
        persons=person_total,
        households=len(households),
        facilities=len(facs),
        export_files=len(facs),
        export_rows=len(records),
        twins=sum(p.twin for p in everyone),
        births_recent=sum(recent < p.birth <= today for p in everyone),
        turning_65=sum(today < add_years(p.birth, 65) <= soon for p in everyone),
        turning_70=sum(today < add_years(p.birth, 70) <= soon for p in everyone),
        crisis_rows=crisis_rows,
    )
