"""The labelled linkage benchmark file: format, exact size, determinism."""

import csv
from pathlib import Path

from bigcare.synth.linkage_file import COLUMNS, FACILITY_TYPES, write_linkage_csv


def _read(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def test_linkage_csv_has_format_columns_and_exact_size(tmp_path: Path):
    path = tmp_path / "records.csv"
    assert write_linkage_csv(path, records=1_500, seed=3) == 1_500
    rows = _read(path)
    assert tuple(rows[0]) == COLUMNS
    assert len(rows) == 1_500
    assert len({row["record_id"] for row in rows}) == 1_500
    assert {row["facility_type"] for row in rows} <= set(FACILITY_TYPES.values())
    assert all(row["name"] and row["true_person_id"] and row["address"] for row in rows)
    persons = [row["true_person_id"] for row in rows]
    assert len(set(persons)) < len(persons)  # somebody is known to two facilities
    # One record per (facility, client): a person never twice at one facility.
    assert len({(row["facility_code"], row["true_person_id"]) for row in rows}) == 1_500


def test_linkage_csv_is_deterministic_per_seed(tmp_path: Path):
    first, again, other = tmp_path / "a.csv", tmp_path / "b.csv", tmp_path / "c.csv"
    write_linkage_csv(first, records=300, seed=7)
    write_linkage_csv(again, records=300, seed=7)
    write_linkage_csv(other, records=300, seed=8)
    assert first.read_bytes() == again.read_bytes()
    assert first.read_bytes() != other.read_bytes()
