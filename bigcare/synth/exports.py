"""Write facility exports (CSV in CP949/UTF-8, XLSX) and the streaming benchmark file."""

import csv
import io
import random
from collections.abc import Sequence
from datetime import date, datetime
from pathlib import Path

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.utils import get_column_letter

from bigcare.synth.facilities import Facility
from bigcare.synth.layouts import Layout
from bigcare.synth.noise import NoiseProfile
from bigcare.synth.people import Person, PopulationMaker
from bigcare.synth.places import load_dongs
from bigcare.synth.render import Renderer, Row
from bigcare.synth.seeds import seeded

# openpyxl stamps the workbook with the wall clock; a fixed stamp keeps the files reproducible.
_XLSX_STAMP = datetime(2026, 1, 1)


def write_csv(
    path: Path, header: Sequence[str], rows: Sequence[Sequence[object]], encoding: str
) -> str:
    """Write a CSV the way Excel does (CRLF); fall back to utf-8-sig if CP949 cannot encode it.
    Returns the encoding used."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)
    text = buffer.getvalue()
    try:
        data = text.encode(encoding)
    except UnicodeEncodeError:
        encoding = "utf-8-sig"
        data = text.encode(encoding)
    path.write_bytes(data)
    return encoding


def write_xlsx(path: Path, header: Sequence[str], rows: Sequence[Sequence[object]]) -> None:
    """Write one sheet in openpyxl's write-only mode; dates become real Excel dates."""
    wb = Workbook(write_only=True)
    wb.properties.created = wb.properties.modified = _XLSX_STAMP
    ws = wb.create_sheet("Sheet1")
    ws.append(list(header))
    for values in rows:
        cells: list[object] = []
        for value in values:
            if isinstance(value, date):
                cell = WriteOnlyCell(ws, value=value)
                cell.number_format = "yyyy-mm-dd"
                cells.append(cell)
            else:
                cells.append(value)
        ws.append(cells)
    wb.save(path)


def _table(
    fac: Facility, items: list[tuple[date, Row, str]]
) -> tuple[list[str], list[list[object]]]:
    layout = fac.layout
    assert layout is not None
    columns = list(layout.columns)
    fields = [f for f, _ in columns]
    formula_after = None
    if fac.age_formula and fac.xlsx_dates and "birth" in fields:
        formula_after = fields.index("birth")
        columns.insert(formula_after + 1, ("age", "나이"))
    header = [h for _, h in columns]
    letter = get_column_letter(formula_after + 1) if formula_after is not None else ""
    table: list[list[object]] = []
    for i, (_, row, _) in enumerate(items, start=2):
        values: list[object] = []
        for field, _ in columns:
            if field == "age":
                birth = row.get("birth")
                values.append(
                    f'=DATEDIF({letter}{i},TODAY(),"Y")' if isinstance(birth, date) else ""
                )
            else:
                values.append(row.get(field, ""))
        table.append(values)
    return header, table


def export_facility(
    fac: Facility, clients: list[tuple[Person, int]], out_dir: Path, *, seed: int, today: date
) -> list[tuple[int, str]]:
    """Write one facility's client list; returns (row number, person id) per data row."""
    rng = seeded(seed, "export", fac.code)
    renderer = Renderer(rng, fac, today)
    items: list[tuple[date, Row, str]] = []
    for person, episodes in clients:
        items += [(day, row, person.pid) for day, row in renderer.rows(person, episodes)]
    if rng.random() < 0.5:  # half the facilities list by service date, the rest by client
        items.sort(key=lambda item: item[0])
    header, table = _table(fac, items)
    path = out_dir / fac.file_name
    if fac.export_format == "xlsx":
        write_xlsx(path, header, table)
    else:
        fac.encoding = write_csv(path, header, table, fac.encoding)
    return [(i, pid) for i, (_, _, pid) in enumerate(items, start=2)]


def export_rows(
    fac: Facility, columns: Sequence[tuple[str, str]], rows: list[tuple[Row, Person]], out_dir: Path
) -> list[tuple[int, str]]:
    """Write a fixed-layout list (the crisis agencies'); returns (row number, person id)."""
    header = [h for _, h in columns]
    table = [[row.get(field, "") for field, _ in columns] for row, _ in rows]
    fac.encoding = write_csv(out_dir / fac.file_name, header, table, fac.encoding)
    return [(i, person.pid) for i, (_, person) in enumerate(rows, start=2)]


# The benchmark's one senior-center layout.
BENCH_LAYOUT = Layout(
    columns=(
        ("client_id", "회원번호"), ("name", "성명"), ("rrn", "주민번호"), ("birth", "생년월일"),
        ("sex", "성별"), ("phone", "연락처"), ("home_phone", "집전화"), ("address", "주소"),
        ("unit", "상세주소"), ("service", "서비스명"), ("service_date", "이용일"),
        ("extra:비고", "비고"),
    ),
    rrn_mode="masked",
)  # fmt: skip


def _bench_facility(rng: random.Random) -> Facility:
    dong = next(d for d in load_dongs() if d.name == "개포1동")
    return Facility(
        code="F000001",
        name="개포노인복지관",
        type_code="SENIOR_WELFARE",
        dong=dong,
        export_format="csv",
        encoding="cp949",
        layout=BENCH_LAYOUT,
        noise=NoiseProfile.draw(rng),
        date_style="dot",
        birth_style="iso",
        sex_style=("남", "여"),
        phone_style="dash",
        road_form=True,
        city_prefix="서울특별시",
        paren_dong=0.3,
        rrn_hyphen=True,
        numeric_ids=True,
        xlsx_dates=False,
        age_formula=False,
    )


def write_bench_csv(path: Path, *, rows: int, seed: int = 1) -> None:
    """A single large facility export (CP949 CSV, one senior-center layout) of `rows` rows with
    the usual noise, written streaming (never all rows in memory) — used by
    `bigcare bench import --rows 100000`."""
    rng = seeded("bench", seed)
    today = date(2026, 11, 25)
    fac = _bench_facility(rng)
    renderer = Renderer(rng, fac, today)
    # A senior center's clients: draw only households with older people in them.
    kinds = (("elder_alone", 30), ("elder_couple", 15), ("elder_with_child", 9), ("three_gen", 3))
    maker = PopulationMaker(rng, load_dongs(), today, kinds=kinds)
    header = [h for _, h in BENCH_LAYOUT.columns]
    fields = [f for f, _ in BENCH_LAYOUT.columns]
    written = 0
    households = 0
    with path.open("w", encoding="cp949", newline="") as f:
        writer = csv.writer(f, lineterminator="\r\n")
        writer.writerow(header)
        while written < rows:
            households += 1
            hh = maker.household(households)
            for person in hh.members:
                if person.age(today) < 60:
                    continue
                for _, row in renderer.rows(person, rng.randint(1, 8)):
                    if written == rows:
                        break
                    writer.writerow([row.get(field, "") for field in fields])
                    written += 1
