"""Seeding Seoul's districts and looking them up."""

import shutil
from pathlib import Path

import pytest
from sqlmodel import Session, select

from bigcare.config import SEED_DIR
from bigcare.districts import service
from bigcare.districts.models import Center, Dong, Gu
from bigcare.errors import InvalidInput, NotFound
from tests.factories import make_dong

SEED_CSV = SEED_DIR / service.DONGS_CSV
HEADER = "adm_cd,gu,dong,lat,lon\n"


def _csv(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "dongs.csv"
    path.write_text(HEADER + body, encoding="utf-8")
    return path


def test_seeded_database_has_seoul_25_gu_424_dongs_and_a_center_each(session: Session) -> None:
    counts = service.count_districts(session)
    assert counts == {"gu": 25, "dong": 424, "center": 424}
    gangnam = service.get_gu(session, "11230")
    assert gangnam.name == "강남구"
    assert service.get_center(session, dong_code="1123068").name == "개포1동 주민센터"


def test_seed_districts_again_changes_nothing(session: Session) -> None:
    result = service.seed_districts(session, csv_path=SEED_CSV)
    assert not result.changed
    assert service.count_districts(session) == {"gu": 25, "dong": 424, "center": 424}


def test_seed_districts_updates_a_renamed_dong_in_place_and_keeps_its_center(
    session: Session, tmp_path: Path
) -> None:
    center = service.get_center(session, dong_code="1123068")
    center.name = "개포1동 주민센터 (임시청사)"
    session.flush()
    renamed = SEED_CSV.read_text(encoding="utf-8").replace(
        "1123068,강남구,개포1동", "1123068,강남구,개포새동"
    )
    path = tmp_path / "renamed.csv"
    path.write_text(renamed, encoding="utf-8")

    result = service.seed_districts(session, csv_path=path)

    assert result.updated["dong"] == 1
    assert result.created == {"gu": 0, "dong": 0, "center": 0}
    assert service.get_dong(session, "1123068").name == "개포새동"
    assert service.get_center(session, dong_code="1123068").name == "개포1동 주민센터 (임시청사)"


def test_seed_districts_reads_a_file_saved_with_a_bom(session: Session, tmp_path: Path) -> None:
    path = tmp_path / "bom.csv"
    path.write_bytes(b"\xef\xbb\xbf" + SEED_CSV.read_bytes())
    assert not service.seed_districts(session, csv_path=path).changed


@pytest.mark.parametrize(
    ("line", "field", "needle"),
    [
        ("2623068,부산구,어느동,37.5,127.0", "adm_cd", "서울 행정동 코드"),
        ("1123099,강남구,먼동,35.1,127.0", "lat", "서울 범위"),
        ("1123099,강남구,먼동,37.5,abc", "lon", "숫자"),
        ("1123099,강남,먼동,37.5,127.0", "gu", "구 이름"),
        ("1123099,강남구,,37.5,127.0", "dong", "비어"),
    ],
)
def test_read_dongs_csv_names_the_row_and_field_of_a_bad_line(
    tmp_path: Path, line: str, field: str, needle: str
) -> None:
    path = _csv(tmp_path, "1123068,강남구,개포1동,37.480174,127.059095\n" + line + "\n")
    with pytest.raises(InvalidInput) as caught:
        service.read_dongs_csv(path)
    [error] = caught.value.errors
    assert (error.row, error.field) == (3, field)
    assert needle in error.message


def test_read_dongs_csv_rejects_duplicate_codes_and_missing_columns(tmp_path: Path) -> None:
    row = "1123068,강남구,개포1동,37.480174,127.059095\n"
    with pytest.raises(InvalidInput, match="1개 항목"):
        service.read_dongs_csv(_csv(tmp_path, row + row))
    path = tmp_path / "short.csv"
    path.write_text("adm_cd,gu,dong\n1123068,강남구,개포1동\n", encoding="utf-8")
    with pytest.raises(InvalidInput, match="lat, lon"):
        service.read_dongs_csv(path)


def test_seed_districts_with_a_bad_file_writes_nothing(session: Session, tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    shutil.copy(SEED_CSV, path)
    with path.open("a", encoding="utf-8") as f:
        f.write("1199901,시험구,새동,99,127\n")
    with pytest.raises(InvalidInput):
        service.seed_districts(session, csv_path=path)
    assert session.exec(select(Gu).where(Gu.code == "11999")).first() is None
    assert service.count_districts(session)["dong"] == 424


def test_list_gu_is_in_ganada_order_with_dong_counts(session: Session) -> None:
    rows = service.list_gu(session)
    names = [g.name for g, _ in rows]
    assert names == sorted(names)
    assert names[0] == "강남구" and names[-1] == "중랑구"
    assert sum(n for _, n in rows) == 424
    assert {g.name: n for g, n in rows}["강남구"] == 22


def test_gu_view_lists_only_that_gus_dongs(session: Session) -> None:
    view = service.get_gu_view(session, "11230")
    assert len(view.dongs) == 22
    assert {d.gu_code for d in view.dongs} == {"11230"}
    assert "개포1동" in [d.name for d in view.dongs]


def test_dong_names_may_repeat_across_gu(session: Session) -> None:
    sinsa = session.exec(select(Dong).where(Dong.name == "신사동")).all()
    assert {service.get_gu(session, d.gu_code).name for d in sinsa} == {"강남구", "관악구"}


def test_lookups_of_unknown_codes_raise_not_found_in_korean(session: Session) -> None:
    with pytest.raises(NotFound, match="구 코드 99999"):
        service.get_gu(session, "99999")
    with pytest.raises(NotFound, match="행정동 코드"):
        service.get_dong_view(session, "0000000")


def test_every_center_starts_at_its_dongs_point(session: Session) -> None:
    pairs = session.exec(select(Center, Dong).join(Dong, Dong.code == Center.dong_code)).all()
    assert len(pairs) == 424
    assert all((c.lat, c.lon) == (d.lat, d.lon) for c, d in pairs)


def test_project_points_fits_the_box_north_up_east_right() -> None:
    places = [
        ("n", "북", 37.70, 127.00),
        ("s", "남", 37.45, 127.00),
        ("e", "동", 37.55, 127.15),
        ("w", "서", 37.55, 126.80),
    ]
    points = {p.code: p for p in service.project_points(places, width=400, height=300, pad=10)}
    assert all(10 <= p.x <= 390 and 10 <= p.y <= 290 for p in points.values())
    assert points["n"].y < points["s"].y
    assert points["w"].x < points["e"].x
    # East–west is shrunk by cos(latitude): 0.35° of longitude is narrower than 0.35° north.
    width = points["e"].x - points["w"].x
    height = points["s"].y - points["n"].y
    assert width / height == pytest.approx(0.35 * 0.7916 / 0.25, rel=0.02)


def test_a_dong_without_a_center_is_reported_not_invented(session: Session) -> None:
    dong = make_dong(session)
    with pytest.raises(NotFound, match="주민센터를 찾을 수 없습니다"):
        service.get_dong_view(session, dong.code)
