"""The synthetic Seoul generator: determinism, truth consistency, realism where linkage is hard."""

import csv
import os
import re
import subprocess
import sys
from collections import Counter, defaultdict
from datetime import date, datetime
from pathlib import Path

import pytest
from openpyxl import load_workbook

from bigcare.privacy.rrn import CHECK_DIGIT_CUTOFF, InvalidRRN, parse_rrn
from bigcare.synth.dates import add_years
from bigcare.synth.layouts import EXTRAS, HEADERS
from bigcare.synth.people import make_population
from bigcare.synth.places import load_dongs
from bigcare.synth.seeds import seeded
from bigcare.synth.world import WorldSummary, generate_world

TODAY = date(2026, 11, 25)
KNOWN_HEADERS = {h for variants in HEADERS.values() for h in variants} | set(EXTRAS) | {"나이"}
CRISIS_HEADERS = {"체납개월", "체납액", "공급중단일", "구분", "체납보험료"}


def _read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def read_export(path: Path, encoding: str) -> list[list[object]]:
    """All rows of an export, header first, as the importer would see the cells."""
    if path.suffix == ".xlsx":
        wb = load_workbook(path, read_only=True)
        try:
            return [list(row) for row in wb.active.iter_rows(values_only=True)]
        finally:
            wb.close()
    with path.open(encoding=encoding, newline="") as f:
        return [list(row) for row in csv.reader(f)]


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> WorldSummary:
    calls: list[tuple[int, int]] = []
    summary = generate_world(
        tmp_path_factory.mktemp("world"),
        persons=3000,
        facilities=60,
        seed=7,
        today=TODAY,
        progress=lambda done, total: calls.append((done, total)),
    )
    assert calls and calls[-1][0] == calls[-1][1]
    return summary


@pytest.fixture(scope="module")
def facilities(world: WorldSummary) -> list[dict[str, str]]:
    return _read_csv(world.out_dir / "facilities.csv")


@pytest.fixture(scope="module")
def persons(world: WorldSummary) -> dict[str, dict[str, str]]:
    return {p["person_id"]: p for p in _read_csv(world.out_dir / "truth" / "persons.csv")}


@pytest.fixture(scope="module")
def exports(world: WorldSummary, facilities: list[dict[str, str]]) -> dict[str, list[list[object]]]:
    out = {}
    for fac in facilities:
        name = f"exports/{fac['code']}.{fac['export_format']}"
        out[name] = read_export(world.out_dir / name, fac["encoding"])
    return out


def test_generate_world_is_deterministic_for_a_seed(
    world: WorldSummary, tmp_path: Path, exports: dict[str, list[list[object]]]
) -> None:
    again = generate_world(tmp_path / "a", persons=3000, facilities=60, seed=7, today=TODAY)
    assert again.export_rows == world.export_rows and again.twins == world.twins
    for name in ("facilities.csv", "truth/persons.csv", "truth/records.csv", "README.txt"):
        assert (tmp_path / "a" / name).read_bytes() == (world.out_dir / name).read_bytes()
    for name, rows in exports.items():
        if name.endswith(".csv"):
            assert (tmp_path / "a" / name).read_bytes() == (world.out_dir / name).read_bytes()
        else:
            assert read_export(tmp_path / "a" / name, "") == rows

    def population(seed: int) -> list[str]:
        households = make_population(seeded(seed, "people"), load_dongs(), persons=200, today=TODAY)
        return [p.rrn for hh in households for p in hh.members]

    assert population(7) == population(7) != population(8)


def test_output_does_not_depend_on_string_hashing(tmp_path: Path) -> None:
    script = (
        "import sys; from datetime import date; from pathlib import Path; "
        "from bigcare.synth.world import generate_world; "
        "generate_world(Path(sys.argv[1]), persons=400, facilities=30, seed=5, "
        "today=date(2026, 11, 25))"
    )
    for hash_seed in ("1", "2"):
        env = {**os.environ, "PYTHONHASHSEED": hash_seed}
        out = str(tmp_path / hash_seed)
        subprocess.run([sys.executable, "-c", script, out], env=env, check=True)
    files = sorted(p.relative_to(tmp_path / "1") for p in (tmp_path / "1").rglob("*.*"))
    assert len(files) > 30
    for name in files:
        first, second = tmp_path / "1" / name, tmp_path / "2" / name
        if name.suffix == ".xlsx":
            assert read_export(first, "") == read_export(second, ""), name
        else:
            assert first.read_bytes() == second.read_bytes(), name


def test_summary_counts_match_the_files(
    world: WorldSummary, persons: dict[str, dict[str, str]], facilities: list[dict[str, str]]
) -> None:
    households = {p["household_id"] for p in persons.values()}
    records = _read_csv(world.out_dir / "truth" / "records.csv")
    assert world.persons == len(persons) == 3000
    assert world.households == len(households)
    assert world.facilities == len(facilities) == 60
    assert world.export_files == len(list((world.out_dir / "exports").iterdir())) == 60
    assert world.export_rows == len(records)
    assert world.export_rows > 3000  # tens of thousands for a 20k world
    assert "SYNTHETIC" in (world.out_dir / "README.txt").read_text(encoding="utf-8")


def test_truth_rrns_parse_and_pre_2020_ones_pass_the_check_digit(
    persons: dict[str, dict[str, str]],
) -> None:
    for p in persons.values():
        rrn = parse_rrn(p["rrn"], today=TODAY)
        assert rrn.birth_date.isoformat() == p["birth_date"]
        assert rrn.sex == p["sex"]
        assert rrn.foreigner == ("foreigner" in p["flags"])
        if rrn.birth_date < CHECK_DIGIT_CUTOFF and "rrn_changed" not in p["flags"]:
            assert rrn.check_digit_ok, p["person_id"]


def test_exports_never_contain_ground_truth(
    world: WorldSummary, exports: dict[str, list[list[object]]]
) -> None:
    truth_id = re.compile(r"\b[PH]\d{7}\b")
    for name, rows in exports.items():
        text = "\n".join(str(cell) for row in rows for cell in row if cell is not None)
        assert "person_id" not in text and "household_id" not in text
        assert not truth_id.search(text), name


def test_every_export_row_maps_to_a_true_person(
    world: WorldSummary,
    persons: dict[str, dict[str, str]],
    exports: dict[str, list[list[object]]],
) -> None:
    by_file: dict[str, list[int]] = defaultdict(list)
    for rec in _read_csv(world.out_dir / "truth" / "records.csv"):
        assert rec["person_id"] in persons
        by_file[rec["file"]].append(int(rec["row_number"]))
    for name, rows in exports.items():
        assert sorted(by_file[name]) == list(range(2, len(rows) + 1)), name
    assert set(by_file) <= set(exports)


def test_csv_exports_decode_in_their_declared_encoding(
    world: WorldSummary, facilities: list[dict[str, str]]
) -> None:
    encodings = Counter(f["encoding"] for f in facilities)
    assert encodings["cp949"] > 0 and encodings["utf-8-sig"] > 0 and encodings[""] > 0
    for fac in facilities:
        path = world.out_dir / "exports" / f"{fac['code']}.{fac['export_format']}"
        data = path.read_bytes()
        if fac["export_format"] == "xlsx":
            assert fac["encoding"] == "" and data[:2] == b"PK"
            continue
        data.decode(fac["encoding"])  # raises if not
        assert data.startswith(b"\xef\xbb\xbf") == (fac["encoding"] == "utf-8-sig")
        assert b"\r\n" in data


def test_headers_stay_within_the_recognised_variants(
    facilities: list[dict[str, str]], exports: dict[str, list[list[object]]]
) -> None:
    for fac in facilities:
        header = exports[f"exports/{fac['code']}.{fac['export_format']}"][0]
        assert len(header) == len(set(header))
        allowed = KNOWN_HEADERS | (CRISIS_HEADERS if fac["type_code"] == "CRISIS_AGENCY" else set())
        assert set(header) <= allowed, header


def test_facilities_cover_every_gu(facilities: list[dict[str, str]]) -> None:
    dongs = {d.code: d for d in load_dongs()}
    codes = [f["code"] for f in facilities]
    assert len(set(codes)) == len(codes) and all(re.fullmatch(r"F\d{6}", c) for c in codes)
    health = {
        dongs[f["dong_code"]].gu: f["name"] for f in facilities if f["type_code"] == "HEALTH_CENTER"
    }
    assert len(health) == 25 and all(name == f"{gu}보건소" for gu, name in health.items())
    crisis = [f for f in facilities if f["type_code"] == "CRISIS_AGENCY"]
    assert len(crisis) == 2 and all(dongs[f["dong_code"]].gu == "중구" for f in crisis)
    for f in facilities:
        if f["type_code"] == "DONG_CENTER":
            assert f["name"] == f"{dongs[f['dong_code']].name} 주민센터"


def test_twins_share_birth_date_address_and_surname(
    world: WorldSummary, persons: dict[str, dict[str, str]]
) -> None:
    twins = [p for p in persons.values() if "twin" in p["flags"].split(";")]
    assert twins and world.twins == len(twins)
    for twin in twins:
        siblings = [
            p
            for p in twins
            if p["household_id"] == twin["household_id"]
            and p["person_id"] != twin["person_id"]
            and p["birth_date"] == twin["birth_date"]
        ]
        assert siblings, twin["person_id"]
        other = siblings[0]
        assert other["road_address"] == twin["road_address"] and other["unit"] == twin["unit"]
        assert other["name"][0] == twin["name"][0] and other["name"] != twin["name"]


def test_households_share_address_and_landline(persons: dict[str, dict[str, str]]) -> None:
    households: dict[str, list[dict[str, str]]] = defaultdict(list)
    for p in persons.values():
        households[p["household_id"]].append(p)
    shared = ("dong_code", "road_address", "lot_address", "unit", "home_phone")
    for members in households.values():
        assert len({tuple(m[k] for k in shared) for m in members}) == 1
    sizes = Counter(len(m) for m in households.values())
    assert sizes[1] > sizes[2] > 0 and max(sizes) >= 4


def test_addresses_and_phones_are_well_formed(persons: dict[str, dict[str, str]]) -> None:
    dongs = {d.code: d for d in load_dongs()}
    for p in list(persons.values())[:1000]:
        dong = dongs[p["dong_code"]]
        assert p["road_address"].startswith(f"서울특별시 {dong.gu} ")
        assert re.search(r"(로|길) \d+(-\d+)?$", p["road_address"])
        assert p["lot_address"].startswith(f"서울특별시 {dong.gu} {dong.legal} ")
        assert not p["phone"] or re.fullmatch(r"010-[2-9]\d{3}-\d{4}", p["phone"])
        assert not p["home_phone"] or re.fullmatch(r"02-[2-9]\d{2,3}-\d{4}", p["home_phone"])
    assert len({p["dong_code"] for p in persons.values()}) > 400


def test_age_mix_is_a_welfare_population(persons: dict[str, dict[str, str]]) -> None:
    ages = [
        TODAY.year - int(p["birth_date"][:4]) - (p["birth_date"][5:] > TODAY.isoformat()[5:])
        for p in persons.values()
    ]
    assert sum(a >= 65 for a in ages) / len(ages) >= 0.30
    assert sum(a < 18 for a in ages) / len(ages) >= 0.10


def test_special_populations_exist(world: WorldSummary, persons: dict[str, dict[str, str]]) -> None:
    births = [date.fromisoformat(p["birth_date"]) for p in persons.values()]
    assert world.births_recent == sum(date(2026, 8, 25) < b <= TODAY for b in births) > 0
    soon = date(2027, 1, 24)
    assert world.turning_65 == sum(TODAY < add_years(b, 65) <= soon for b in births) > 0
    assert world.turning_70 == sum(TODAY < add_years(b, 70) <= soon for b in births) > 0
    flags = Counter(f.split("=")[0] for p in persons.values() for f in p["flags"].split(";") if f)
    for flag in ("foreigner", "disabled", "low_income", "lives_alone", "moved_from"):
        assert flags[flag] > 0, flag


def test_crisis_lists_are_written(
    world: WorldSummary,
    facilities: list[dict[str, str]],
    exports: dict[str, list[list[object]]],
) -> None:
    crisis = [f for f in facilities if f["type_code"] == "CRISIS_AGENCY"]
    names = {f["name"] for f in crisis}
    assert names == {"한국전력공사 서울본부", "국민건강보험공단 서울지역본부"}
    total = 0
    for fac in crisis:
        rows = exports[f"exports/{fac['code']}.csv"]
        assert fac["encoding"] == "cp949" and len(rows) > 30
        assert "체납개월" in rows[0]
        total += len(rows) - 1
    assert world.crisis_rows == total


def test_surname_distribution_is_realistic() -> None:
    households = make_population(seeded(3, "people"), load_dongs(), persons=5000, today=TODAY)
    surnames = Counter(p.surname for hh in households for p in hh.members if not p.foreigner)
    total = sum(surnames.values())
    assert 0.15 <= surnames["김"] / total <= 0.27
    assert 0.10 <= surnames["이"] / total <= 0.20
    assert 0.05 <= surnames["박"] / total <= 0.12
    assert len(surnames) >= 50
    full = Counter(p.name for hh in households for p in hh.members)
    assert full.most_common(1)[0][1] >= 10  # 김영수, 김민준 … collide


def test_exports_carry_noise_and_bad_rows(
    world: WorldSummary,
    persons: dict[str, dict[str, str]],
    exports: dict[str, list[list[object]]],
) -> None:
    records = _read_csv(world.out_dir / "truth" / "records.csv")
    truth_of = {(r["file"], int(r["row_number"])): persons[r["person_id"]] for r in records}
    name_columns = set(HEADERS["name"])
    rrn_columns = set(HEADERS["rrn"])
    differs = spaced = masked = impossible = empty = 0
    phone_styles: set[str] = set()
    for name, rows in exports.items():
        header = rows[0]
        for i, row in enumerate(rows[1:], start=2):
            cells = dict(zip(header, row, strict=True))
            truth = truth_of[(name, i)]
            written = next((str(v or "") for h, v in cells.items() if h in name_columns), None)
            if written is not None:
                empty += written == ""
                spaced += " " in written and " " not in truth["name"]
                differs += written.replace(" ", "") not in ("", truth["name"].replace(" ", ""))
            rrn = next((str(v or "") for h, v in cells.items() if h in rrn_columns), "")
            masked += rrn.endswith("******")
            if rrn and not rrn.endswith("*"):
                try:
                    parse_rrn(rrn, today=TODAY)
                except InvalidRRN:
                    impossible += 1
            for h in ("연락처", "휴대폰", "핸드폰", "전화번호"):
                value = str(cells.get(h) or "")
                if value.startswith("+82"):
                    phone_styles.add("intl")
                elif re.fullmatch(r"0\d{8,10}", value):
                    phone_styles.add("plain")
                elif re.fullmatch(r"0\d{1,2}-\d{3,4}-\d{4}", value):
                    phone_styles.add("dash")
    assert differs > 10 and spaced > 0 and masked > 100
    assert impossible > 0 and empty > 0
    assert {"dash", "plain"} <= phone_styles


def test_xlsx_exports_hold_numbers_dates_and_a_formula(
    exports: dict[str, list[list[object]]],
) -> None:
    kinds: set[type] = set()
    formulas = 0
    for name, rows in exports.items():
        if name.endswith(".xlsx"):
            for row in rows[1:]:
                kinds |= {type(cell) for cell in row}
                formulas += any(str(cell).startswith("=DATEDIF(") for cell in row)
    assert {int, str, datetime} <= kinds
    assert formulas > 0
