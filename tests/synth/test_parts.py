"""The generator's building blocks: jamo typos, formats, legal dongs, facilities, the bench file."""

import csv
import random
import re
from collections import Counter
from datetime import date
from pathlib import Path

import pytest

from bigcare.privacy.phone import normalize_phone
from bigcare.privacy.rrn import InvalidRRN, parse_rrn
from bigcare.synth import noise
from bigcare.synth.exports import BENCH_LAYOUT, write_bench_csv
from bigcare.synth.facilities import make_facilities
from bigcare.synth.places import dong_stem, legal_dong, load_dongs


@pytest.mark.parametrize(
    ("gu", "dong", "legal"),
    [
        ("강남구", "개포1동", "개포동"),
        ("강남구", "역삼2동", "역삼동"),
        ("강남구", "일원본동", "일원동"),
        ("노원구", "상계3·4동", "상계동"),
        ("종로구", "종로1·2·3·4가동", "종로1가"),
        ("성동구", "성수1가1동", "성수동1가"),
        ("관악구", "보라매동", "봉천동"),
        ("관악구", "신사동", "신림동"),
        ("강남구", "신사동", "신사동"),
    ],
)
def test_legal_dong_derives_the_lot_address_dong(gu: str, dong: str, legal: str) -> None:
    assert legal_dong(gu, dong) == legal


def test_every_dong_has_roads_and_a_stem() -> None:
    dongs = load_dongs()
    assert len(dongs) == 424 and len({d.gu for d in dongs}) == 25
    for dong in dongs:
        assert dong.roads and all(re.search(r"(로|길)$", r) for r in dong.roads)
        assert dong_stem(dong.name) and dong.legal.endswith(("동", "가"))


def test_jamo_typo_changes_one_syllable_at_the_jamo_level() -> None:
    rng = random.Random(1)
    seen = {noise.jamo_typo(rng, "재민") for _ in range(200)}
    assert "제민" in seen  # ㅐ → ㅔ
    assert "잼민" in seen or "재밍" in seen or "잰민" in seen  # an added or changed 받침
    assert "재미" in seen  # a dropped 받침
    for typo in seen:
        assert len(typo) == 2 and sum(a != b for a, b in zip(typo, "재민", strict=True)) == 1
    assert noise.jamo_typo(rng, "JOHN") == "JOHN"


def test_formats_are_what_offices_write() -> None:
    day = date(1950, 3, 2)
    assert [noise.format_date(day, s) for s in noise.DATE_STYLES] == [
        "1950-03-02",
        "1950.03.02",
        "19500302",
        "50.03.02",
        "1950년 3월 2일",
    ]
    for style in noise.PHONE_STYLES:
        assert normalize_phone(noise.format_phone("010-1234-5678", style)) == "010-1234-5678"
        assert normalize_phone(noise.format_phone("02-123-4567", style)) == "02-123-4567"
    assert noise.format_rrn("800101-1234567", masked=True) == "800101-1******"


def test_rrn_and_date_typos_stay_plausible() -> None:
    rng = random.Random(2)
    rrn = "800101-1234567"
    for _ in range(100):
        typo = noise.rrn_typo(rng, rrn)
        assert typo != rrn and typo[:8] == rrn[:8]
        parse_rrn(typo, today=date(2026, 11, 25))  # still parses: only the check digit breaks
        assert noise.date_typo(rng, date(1950, 3, 2)) != date(1950, 3, 2)


def test_broken_rows_are_really_unusable() -> None:
    rng = random.Random(3)
    for _ in range(50):
        row: dict[str, object] = {"rrn": "800101-1234567", "name": "김영수"}
        noise.break_row(rng, row, available={"rrn", "name"})
        if row["name"]:
            with pytest.raises(InvalidRRN):
                parse_rrn(str(row["rrn"]), today=date(2026, 11, 25))
    row = {"phone": "010-1234-5678"}
    noise.break_row(rng, row, available={"phone"})
    assert normalize_phone(str(row["phone"])) is None


def test_default_facility_mix_gives_every_gu_each_kind() -> None:
    dongs = load_dongs()
    facilities = make_facilities(random.Random(5), dongs, 300)
    assert len(facilities) == 300
    assert len({f.name for f in facilities}) == 300
    per_gu = Counter((f.type_code, f.dong.gu) for f in facilities)
    for type_code in ("SENIOR_WELFARE", "COMMUNITY_WELFARE", "HEALTH_CENTER", "DISABLED_WELFARE",
                      "FOOD_BANK", "HOME_CARE"):  # fmt: skip
        assert all(per_gu[(type_code, gu)] >= 1 for gu in {d.gu for d in dongs}), type_code
    assert 20 <= sum(f.type_code == "DONG_CENTER" for f in facilities) <= 80
    assert {f.export_format for f in facilities} == {"csv", "xlsx"}


def test_small_facility_counts_keep_the_fixed_ones() -> None:
    facilities = make_facilities(random.Random(6), load_dongs(), 10)
    kinds = Counter(f.type_code for f in facilities)
    assert kinds == {"HEALTH_CENTER": 25, "CRISIS_AGENCY": 2}


def test_write_bench_csv_writes_the_rows_in_cp949(tmp_path: Path) -> None:
    path = tmp_path / "bench.csv"
    write_bench_csv(path, rows=3000, seed=4)
    data = path.read_bytes()
    with path.open(encoding="cp949", newline="") as f:
        rows = list(csv.reader(f))
    assert rows[0] == [h for _, h in BENCH_LAYOUT.columns]
    assert len(rows) == 3001 and data.count(b"\r\n") == 3001
    assert all(len(r) == len(rows[0]) for r in rows)
    assert len({r[0] for r in rows[1:]}) < 3000  # clients come back for several services
    write_bench_csv(tmp_path / "again.csv", rows=3000, seed=4)
    assert (tmp_path / "again.csv").read_bytes() == data
