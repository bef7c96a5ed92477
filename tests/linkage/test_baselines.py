"""Baseline linkers: exact keys on a hand-made set, default Splink on generated records."""

from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pa_csv
import pytest

from bigcare.linkage import baselines, metrics
from bigcare.synth.linkage_file import COLUMNS, write_linkage_csv

# r1/r2: one person, same full RRN written two ways, name spaced differently.
# r3/r4: one person, no full RRN, same name and birth date; r4 also carries a full RRN that
#        r7 shares (so r7 joins them through r4).
# r5:    another person born the same day: the same *masked* RRN is no key.
# r6:    r3's person again, birth date in another format: only the parsed date links it.
ROWS: list[dict[str, object]] = [
    {"record_id": "r1", "name": "김영희", "rrn": "450101-2345678", "birth_date": ""},
    {"record_id": "r2", "name": "김 영희", "rrn": "4501012345678", "birth_date": "1945.01.01"},
    {"record_id": "r3", "name": "박철수", "rrn": "500505-1******", "birth_date": "1950-05-05"},
    {"record_id": "r4", "name": "박철수", "rrn": "500505-1234567", "birth_date": "1950-05-05"},
    {"record_id": "r5", "name": "이민수", "rrn": "500505-1******", "birth_date": "1950-05-05"},
    {"record_id": "r6", "name": "박철수", "rrn": "", "birth_date": "50.05.05"},
    {"record_id": "r7", "name": "박철", "rrn": "500505 1234567", "birth_date": None},
]


def test_exact_key_links_full_rrn_and_name_birth_transitively():
    clusters = baselines.exact_key(ROWS)
    assert clusters == {
        "r1": "r1",
        "r2": "r1",
        "r3": "r3",
        "r4": "r3",
        "r5": "r5",
        "r6": "r6",
        "r7": "r3",
    }


def test_exact_key_uses_parsed_birth_date_when_given():
    iso = ["", "1945-01-01", "1950-05-05", "1950-05-05", "1950-05-05", "1950-05-05", None]
    table = pa.Table.from_pylist(ROWS).append_column("birth_date_iso", pa.array(iso))
    clusters = baselines.exact_key(table)
    assert clusters["r6"] == "r3"
    assert clusters["r5"] == "r5"
    # The same answer from rows as dicts.
    rows = [dict(row, birth_date_iso=b) for row, b in zip(ROWS, iso, strict=True)]
    assert baselines.exact_key(rows) == clusters


def test_exact_key_without_records_is_empty():
    assert baselines.exact_key([]) == {}


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> pa.Table:
    path: Path = tmp_path_factory.mktemp("linkage") / "records.csv"
    assert write_linkage_csv(path, records=2_000, seed=1) == 2_000
    strings = {name: pa.string() for name in COLUMNS}
    return pa_csv.read_csv(
        path,
        convert_options=pa_csv.ConvertOptions(column_types=strings, strings_can_be_null=False),
    )


def test_splink_default_links_generated_records_with_good_precision(generated: pa.Table):
    truth = dict(
        zip(
            generated.column("record_id").to_pylist(),
            generated.column("true_person_id").to_pylist(),
            strict=True,
        )
    )
    # Measured (seeds 1–3, 2,000 rows): precision 0.96–0.99, recall 0.41–0.46, pair
    # completeness 0.48–0.53. The raw text defeats blocking on name + birth date across
    # facilities; masked RRNs and shared landlines are what it gets wrong.
    result = baselines.splink_default(generated.drop_columns(["true_person_id"]))
    assert set(result.clusters) == set(truth)
    scores = metrics.pairwise(truth, result.clusters)
    assert scores.precision > 0.9
    assert scores.recall > 0.3
    assert metrics.bcubed(truth, result.clusters).f1 > 0.85
    left = result.blocked_pairs.column("record_id_l").to_pylist()
    right = result.blocked_pairs.column("record_id_r").to_pylist()
    assert 0.4 < metrics.pair_completeness(truth, zip(left, right, strict=True)) < 1.0
    assert result.review_count > 0
