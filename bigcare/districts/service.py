"""Seoul's districts: seeding from reference data, lookups, and map geometry for pages."""

import csv
import math
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import func
from sqlmodel import Session, select

from bigcare.districts.models import Center, Dong, Gu
from bigcare.errors import FieldError, InvalidInput, NotFound

DONGS_CSV = "seoul_dongs_2016.csv"
CSV_COLUMNS = ("adm_cd", "gu", "dong", "lat", "lon")
# Seoul's bounding box with a margin: a point outside is a typo, not a dong.
SEOUL_LAT = (37.40, 37.73)
SEOUL_LON = (126.75, 127.20)


@dataclass
class DongRow:
    """One validated line of the reference CSV."""

    code: str
    gu_name: str
    name: str
    lat: float
    lon: float

    @property
    def gu_code(self) -> str:
        return self.code[:5]


@dataclass
class SeedResult:
    """What a seeding run changed; all zeros when the database already matched the file."""

    created: dict[str, int] = field(default_factory=lambda: {"gu": 0, "dong": 0, "center": 0})
    updated: dict[str, int] = field(default_factory=lambda: {"gu": 0, "dong": 0, "center": 0})

    @property
    def changed(self) -> bool:
        return any(self.created.values()) or any(self.updated.values())


def read_dongs_csv(path: Path) -> list[DongRow]:
    """Parse and check the dong reference file. Raises InvalidInput naming row and field."""
    errors: list[FieldError] = []
    rows: list[DongRow] = []
    with path.open(encoding="utf-8-sig", newline="") as f:
        reader = csv.DictReader(f)
        missing = [c for c in CSV_COLUMNS if c not in (reader.fieldnames or [])]
        if missing:
            raise InvalidInput(
                f"{path.name}: 필수 열이 없습니다: {', '.join(missing)}",
                [FieldError(field=c, message="필수 열이 없습니다", row=1) for c in missing],
            )
        for line_no, raw in enumerate(reader, start=2):
            row = _parse_dong_row(raw, line_no, errors)
            if row is not None:
                rows.append(row)
    codes = [r.code for r in rows]
    errors += [
        FieldError(field="adm_cd", message=f"행정동 코드 {c}가 중복되었습니다")
        for c in sorted({c for c in codes if codes.count(c) > 1})
    ]
    if errors:
        raise InvalidInput(f"{path.name}: {len(errors)}개 항목에 오류가 있습니다", errors)
    return rows


def _parse_dong_row(raw: dict[str, str], line_no: int, errors: list[FieldError]) -> DongRow | None:
    code, gu_name, name = (raw.get(k, "").strip() for k in ("adm_cd", "gu", "dong"))
    before = len(errors)
    if not (len(code) == 7 and code.isdigit() and code.startswith("11")):
        message = "서울 행정동 코드(11로 시작하는 7자리)가 아닙니다"
        errors.append(FieldError("adm_cd", message, line_no))
    if not gu_name.endswith("구"):
        errors.append(FieldError("gu", "구 이름이 올바르지 않습니다", line_no))
    if not name:
        errors.append(FieldError("dong", "동 이름이 비어 있습니다", line_no))
    lat = _coordinate(raw.get("lat", ""), SEOUL_LAT, "lat", "위도", line_no, errors)
    lon = _coordinate(raw.get("lon", ""), SEOUL_LON, "lon", "경도", line_no, errors)
    if len(errors) > before or lat is None or lon is None:
        return None
    return DongRow(code=code, gu_name=gu_name, name=name, lat=lat, lon=lon)


def _coordinate(
    text: str,
    bounds: tuple[float, float],
    column: str,
    label: str,
    line_no: int,
    errors: list[FieldError],
) -> float | None:
    try:
        value = float(text)
    except ValueError:
        errors.append(FieldError(column, f"{label}가 숫자가 아닙니다", line_no))
        return None
    if not (math.isfinite(value) and bounds[0] <= value <= bounds[1]):
        errors.append(FieldError(column, f"{label} {value}는 서울 범위를 벗어납니다", line_no))
        return None
    return value


def seed_districts(session: Session, *, csv_path: Path) -> SeedResult:
    """Bring gu, dongs and centers in line with the reference file; safe to run again."""
    rows = read_dongs_csv(csv_path)
    result = SeedResult()
    by_gu: dict[str, list[DongRow]] = defaultdict(list)
    for row in rows:
        by_gu[row.gu_code].append(row)

    existing_gu = {g.code: g for g in session.exec(select(Gu))}
    for gu_code, dongs in by_gu.items():
        names = {d.gu_name for d in dongs}
        if len(names) != 1:
            raise InvalidInput(f"구 코드 {gu_code}에 여러 구 이름이 있습니다: {sorted(names)}")
        values = {
            "name": names.pop(),
            "lat": round(sum(d.lat for d in dongs) / len(dongs), 6),
            "lon": round(sum(d.lon for d in dongs) / len(dongs), 6),
        }
        _upsert(session, Gu, existing_gu.get(gu_code), {"code": gu_code, **values}, "gu", result)
    session.flush()

    existing_dong = {d.code: d for d in session.exec(select(Dong))}
    for row in rows:
        values = {"gu_code": row.gu_code, "name": row.name, "lat": row.lat, "lon": row.lon}
        _upsert(
            session, Dong, existing_dong.get(row.code), {"code": row.code, **values}, "dong", result
        )
    session.flush()

    # A center is created once per dong; later edits to it (address, position) are kept.
    has_center = set(session.exec(select(Center.dong_code)))
    for row in rows:
        if row.code not in has_center:
            session.add(
                Center(dong_code=row.code, name=f"{row.name} 주민센터", lat=row.lat, lon=row.lon)
            )
            result.created["center"] += 1
    session.flush()
    return result


def _upsert(
    session: Session,
    model: type[Gu] | type[Dong],
    current: Gu | Dong | None,
    values: dict[str, object],
    kind: str,
    result: SeedResult,
) -> None:
    if current is None:
        session.add(model(**values))
        result.created[kind] += 1
        return
    changed = False
    for key, value in values.items():
        if getattr(current, key) != value:
            setattr(current, key, value)
            changed = True
    result.updated[kind] += changed


def list_gu(session: Session) -> list[tuple[Gu, int]]:
    """Every gu with its number of dongs, in 가나다 order."""
    counts = dict(session.exec(select(Dong.gu_code, func.count()).group_by(Dong.gu_code)).all())
    gus = session.exec(select(Gu)).all()
    return sorted(((g, counts.get(g.code, 0)) for g in gus), key=lambda pair: pair[0].name)


def get_gu(session: Session, code: str) -> Gu:
    """The gu with this KOSTAT code. Raises NotFound."""
    gu = session.get(Gu, code)
    if gu is None:
        raise NotFound(f"구 코드 {code}를 찾을 수 없습니다")
    return gu


def list_dongs(session: Session, *, gu_code: str | None = None) -> list[Dong]:
    """Dongs of one gu (or of Seoul), in 가나다 order."""
    query = select(Dong)
    if gu_code is not None:
        query = query.where(Dong.gu_code == gu_code)
    return sorted(session.exec(query).all(), key=lambda d: (d.gu_code, d.name))


def get_dong(session: Session, code: str) -> Dong:
    """The dong with this KOSTAT code. Raises NotFound."""
    dong = session.get(Dong, code)
    if dong is None:
        raise NotFound(f"행정동 코드 {code}를 찾을 수 없습니다")
    return dong


def get_center(session: Session, *, dong_code: str) -> Center:
    """The community service center of a dong. Raises NotFound."""
    center = session.exec(select(Center).where(Center.dong_code == dong_code)).first()
    if center is None:
        raise NotFound(f"행정동 {dong_code}의 주민센터를 찾을 수 없습니다")
    return center


@dataclass(frozen=True)
class MapPoint:
    """A place drawn on a page's map: SVG coordinates plus what it links to."""

    x: float
    y: float
    code: str
    label: str


def project_points(
    places: list[tuple[str, str, float, float]], *, width: int, height: int, pad: int = 16
) -> list[MapPoint]:
    """Fit (code, label, lat, lon) places into an SVG box, keeping true east–west proportions.

    Equirectangular with a cos(latitude) correction: at Seoul's size the error is far
    below a pixel, so no projection library is needed.
    """
    if not places:
        return []
    lats = [p[2] for p in places]
    lons = [p[3] for p in places]
    mid_lat = math.radians((min(lats) + max(lats)) / 2)
    span_x = max((max(lons) - min(lons)) * math.cos(mid_lat), 1e-6)
    span_y = max(max(lats) - min(lats), 1e-6)
    scale = min((width - 2 * pad) / span_x, (height - 2 * pad) / span_y)
    off_x = (width - span_x * scale) / 2
    off_y = (height - span_y * scale) / 2
    return [
        MapPoint(
            x=round(off_x + (lon - min(lons)) * math.cos(mid_lat) * scale, 1),
            y=round(off_y + (max(lats) - lat) * scale, 1),
            code=code,
            label=label,
        )
        for code, label, lat, lon in places
    ]


@dataclass
class SeoulView:
    """All gu with their dong counts, and every dong (for the city map)."""

    gus: list[tuple[Gu, int]]
    dongs: list[Dong]

    def map_points(self, *, width: int, height: int) -> list[MapPoint]:
        return project_points(_places(self.dongs), width=width, height=height)


@dataclass
class GuView:
    """A gu with its dongs, as its page and API show it."""

    gu: Gu
    dongs: list[Dong]

    def map_points(self, *, width: int, height: int) -> list[MapPoint]:
        return project_points(_places(self.dongs), width=width, height=height)


@dataclass
class DongView:
    """A dong with its gu, its center and the other dongs of the gu (for the map)."""

    dong: Dong
    gu: Gu
    center: Center
    gu_dongs: list[Dong]

    def map_points(self, *, width: int, height: int) -> list[MapPoint]:
        return project_points(_places(self.gu_dongs), width=width, height=height)


def _places(dongs: list[Dong]) -> list[tuple[str, str, float, float]]:
    return [(d.code, d.name, d.lat, d.lon) for d in dongs]


def get_seoul_view(session: Session) -> SeoulView:
    """Every gu (with dong counts) and every dong."""
    return SeoulView(gus=list_gu(session), dongs=list_dongs(session))


def get_gu_view(session: Session, code: str) -> GuView:
    """A gu and its dongs. Raises NotFound."""
    gu = get_gu(session, code)
    return GuView(gu=gu, dongs=list_dongs(session, gu_code=gu.code))


def get_dong_view(session: Session, code: str) -> DongView:
    """A dong, its gu, its center and its gu's dongs. Raises NotFound."""
    dong = get_dong(session, code)
    return DongView(
        dong=dong,
        gu=get_gu(session, dong.gu_code),
        center=get_center(session, dong_code=dong.code),
        gu_dongs=list_dongs(session, gu_code=dong.gu_code),
    )


def count_districts(session: Session) -> dict[str, int]:
    """How many gu, dongs and centers are loaded."""
    counts = [select(func.count()).select_from(t).scalar_subquery() for t in (Gu, Dong, Center)]
    gu, dong, center = session.exec(select(*counts)).one()
    return {"gu": gu, "dong": dong, "center": center}
