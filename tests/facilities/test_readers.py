"""Reading facility files: encodings, delimiters, limits, refusals, Excel cells, fuzzing.

`data/readers_sample.xls` was generated once with xlwt 1.3.0 (Python cannot write BIFF8
otherwise); `data/make_readers_sample_xls.py` regenerates it. `data/readers_xls_*.xls` are
byte-mutated copies of it that crash calamine (see `_read_xls_isolated`).
"""

import codecs
import csv
import datetime as dt
import hashlib
import io
import itertools
import os
import time
import tracemalloc
import unicodedata
import zipfile
from pathlib import Path

import openpyxl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl.styles import Font
from openpyxl.worksheet.formula import ArrayFormula

from bigcare.facilities import readers
from bigcare.facilities.readers import FileRefused, Limits, open_table

DATA = Path(__file__).parent / "data"
SAMPLE_XLS = DATA / "readers_sample.xls"
NAMES = ["김철수", "박영희", "똠방각하"]


def write(tmp_path: Path, data: bytes | str, name: str = "upload.csv", encoding="utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes(data.encode(encoding) if isinstance(data, str) else data)
    return path


def read_all(path: Path, **kwargs) -> tuple[readers.Table, list[readers.Row]]:
    with open_table(path, **kwargs) as table:
        return table, list(table.rows())


def refusal(path: Path, **kwargs) -> str:
    """The message a file is refused with, whether at open or while streaming rows."""
    with pytest.raises(FileRefused) as caught:
        read_all(path, **kwargs)
    error = caught.value
    assert error.errors == [readers.FieldError("file", error.message)]
    return error.message


def make_xlsx(path: Path, sheets: dict[str, list[list[object]]]) -> Path:
    workbook = openpyxl.Workbook()
    workbook.remove(workbook.active)
    for title, rows in sheets.items():
        sheet = workbook.create_sheet(title)
        for row in rows:
            sheet.append(row)
    workbook.save(path)
    return path


# --- CSV: encodings and delimiters -----------------------------------------------------------


@pytest.mark.parametrize(
    ("encoding", "expected", "label"),
    [
        ("utf-8", "utf-8", "UTF-8"),
        ("utf-8-sig", "utf-8-sig", "UTF-8 (BOM)"),
        ("cp949", "cp949", "CP949 (EUC-KR)"),
        ("euc-kr", "cp949", "CP949 (EUC-KR)"),
        ("utf-16", "utf-16", "UTF-16"),
    ],
)
def test_csv_encodings_decode_korean_names(tmp_path, encoding, expected, label):
    names = ["김철수", "박영희"] if encoding == "euc-kr" else NAMES
    text = "이름,전화\r\n" + "".join(f"{n},010-1234-567{i}\r\n" for i, n in enumerate(names))
    table, rows = read_all(write(tmp_path, text, encoding=encoding))

    assert (table.info.format, table.info.encoding) == ("csv", expected)
    assert table.info.encoding_label == label
    assert table.header == ["이름", "전화"]
    assert [r.cells[0] for r in rows] == names
    assert [r.number for r in rows] == list(range(2, 2 + len(names)))
    assert not any(r.decode_error for r in rows)


def test_csv_fixture_names_use_a_cp949_extension_syllable():
    # 똠 is outside KS X 1001: CP949 has it as two bytes in its extension area, while Python's
    # EUC-KR can only spell it as an 8-byte jamo make-up sequence.
    assert len("똠".encode("cp949")) == 2
    assert len("똠".encode("euc-kr")) == 8


def test_csv_short_cp949_that_is_also_valid_utf8_reads_as_korean(tmp_path):
    data = "처치\n책\n".encode("cp949")
    data.decode("utf-8")  # these bytes are valid UTF-8 (Latin letters) as well

    table, rows = read_all(write(tmp_path, data))

    assert table.info.encoding == "cp949"
    assert table.header == ["처치"]
    assert rows[0].cells == ["책"]


@pytest.mark.parametrize("delimiter", ["\t", ";", ","])
def test_csv_delimiter_is_sniffed_from_the_header(tmp_path, delimiter):
    lines = [["이름", "주소", "전화"], ["김철수", "서울, 종로구", "02-123-4567"]]
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=delimiter).writerows(lines)

    table, rows = read_all(write(tmp_path, buffer.getvalue()))

    assert table.header == lines[0]
    assert rows[0].cells == lines[1]


def test_csv_quoted_newlines_keep_record_numbers(tmp_path):
    text = '이름,비고\n김철수,"첫 줄\n둘째 줄"\n박영희,"a\r\nb\r\nc"\n똠방각하,끝\n'

    _, rows = read_all(write(tmp_path, text))

    assert [(r.number, r.cells[1]) for r in rows] == [
        (2, "첫 줄\n둘째 줄"),
        (3, "a\r\nb\r\nc"),
        (4, "끝"),
    ]


def test_csv_blank_lines_before_header_count_as_records(tmp_path):
    text = "\n , \n이름,나이\n김철수,30\n\n박영희,40\n\n\n"

    table, rows = read_all(write(tmp_path, text))

    assert table.header == ["이름", "나이"]
    # Blank rows between data rows are yielded (the caller counts them); trailing ones are not.
    assert [(r.number, r.cells) for r in rows] == [
        (4, ["김철수", "30"]),
        (5, []),
        (6, ["박영희", "40"]),
    ]


def test_csv_ragged_rows_keep_their_length(tmp_path):
    _, rows = read_all(write(tmp_path, "a,b,c\n1\n1,2,3,4,5\n1,2,\n"))

    assert [r.cells for r in rows] == [["1"], ["1", "2", "3", "4", "5"], ["1", "2", ""]]


def test_csv_cells_are_not_trimmed_but_headers_are(tmp_path):
    nfd_name = unicodedata.normalize("NFD", "이름")
    table, rows = read_all(write(tmp_path, f"\ufeff {nfd_name} ,\t나이\n  김철수 ,30\n"))

    assert table.header == ["이름", "나이"]
    assert rows[0].cells == ["  김철수 ", "30"]


# --- CSV: damaged text -----------------------------------------------------------------------


def test_csv_undecodable_bytes_flag_only_their_row(tmp_path):
    data = "이름,비고\n김철수,정상\n".encode() + b"\xff\xfe\xfa,x\n" + "박영희,정상\n".encode()

    table, rows = read_all(write(tmp_path, data))

    assert table.info.encoding == "utf-8"
    assert [r.decode_error for r in rows] == [False, True, False]
    assert "\ufffd" in rows[1].cells[0]
    assert rows[2].cells == ["박영희", "정상"]


def test_csv_undecodable_bytes_after_the_sample_are_flagged(tmp_path):
    body = "".join(f"김철수{i},서울\n" for i in range(30_000)).encode("cp949")
    assert len(body) > readers.SAMPLE_BYTES
    data = "이름,주소\n".encode("cp949") + body + b"\x80\x80,x\n" + "박영희,부산\n".encode("cp949")

    table, rows = read_all(write(tmp_path, data))

    assert table.info.encoding == "cp949"
    assert [r.number for r in rows if r.decode_error] == [30_002]
    assert rows[-1].cells == ["박영희", "부산"]


def test_csv_nul_bytes_after_the_probe_are_replaced_and_flagged(tmp_path):
    body = "".join(f"이름{i},1\n" for i in range(10_000)).encode()
    assert len(body) > readers.NUL_PROBE_BYTES
    data = "이름,값\n".encode() + body + b"\x00\x00bad,1\n" + b"ok,2\n"

    _, rows = read_all(write(tmp_path, data))

    assert rows[-2].decode_error
    assert rows[-2].cells == ["\ufffd\ufffdbad", "1"]
    assert rows[-1].cells == ["ok", "2"] and not rows[-1].decode_error


def test_csv_with_nul_bytes_up_front_is_not_a_table(tmp_path):
    path = write(tmp_path, b"\x00\x01\x02 binary" * 100, name="report.xlsx")

    message = refusal(path)

    assert message.startswith("CSV 또는 엑셀 파일이 아닙니다 (파일 내용을 확인하세요)")
    assert ".xlsx" in message


def test_csv_mostly_undecodable_text_is_not_a_table(tmp_path):
    assert refusal(write(tmp_path, bytes(range(1, 0x20)) * 20 + "이름".encode() * 10)).startswith(
        "CSV 또는 엑셀 파일이 아닙니다"
    )


@pytest.mark.parametrize("data", [b"", b"   \r\n\t\n", codecs.BOM_UTF8, codecs.BOM_UTF8 + b"\n\n"])
def test_empty_file_is_refused(tmp_path, data):
    assert refusal(write(tmp_path, data)) == "빈 파일입니다"


@pytest.mark.parametrize("text", ["이름,나이\n", "이름,나이", "\n이름,나이\n\n,\n  \n"])
def test_header_only_is_refused(tmp_path, text):
    assert refusal(write(tmp_path, text)) == "머리글만 있고 자료 행이 없습니다"


def test_duplicate_headers_are_refused_naming_columns(tmp_path):
    nfd = unicodedata.normalize("NFD", "이름")
    message = refusal(write(tmp_path, f"이름,나이, {nfd}\n김철수,30,박영희\n"))

    assert message == "머리글이 중복됩니다: '이름' (1열, 3열)"
    assert "김철수" not in message


def test_empty_header_cells_are_named_by_column(tmp_path):
    table, _ = read_all(write(tmp_path, "이름,,전화,,\n김철수,30,010,,\n"))

    assert table.header == ["이름", "열2", "전화"]  # trailing empty header cells are dropped


def test_html_saved_as_xls_is_refused_with_advice(tmp_path):
    path = write(tmp_path, "\ufeff\n<html><body><table><tr><td>김철수</td></tr></table>", "a.xls")

    message = refusal(path)

    assert message.startswith("웹 페이지(HTML) 형식의 파일입니다")
    assert "김철수" not in message


def test_csv_content_named_xlsx_is_read_as_csv(tmp_path):
    table, rows = read_all(write(tmp_path, "이름\n김철수\n", name="명단.xlsx"))

    assert table.info.format == "csv"
    assert rows[0].cells == ["김철수"]


# --- limits ----------------------------------------------------------------------------------


def test_too_many_rows_is_refused_before_the_extra_row(tmp_path):
    path = write(tmp_path, "이름\n" + "".join(f"사람{i}\n" for i in range(6)))
    yielded = []

    with open_table(path, limits=Limits(max_rows=5)) as table, pytest.raises(FileRefused) as e:
        for row in table.rows():
            yielded.append(row.number)

    assert e.value.message == "행이 너무 많습니다: 최대 5행"
    assert yielded == [2, 3, 4, 5, 6]


def test_exactly_max_rows_with_trailing_blank_lines_is_accepted(tmp_path):
    path = write(tmp_path, "이름\n" + "".join(f"사람{i}\n" for i in range(5)) + "\n" * 20)

    _, rows = read_all(path, limits=Limits(max_rows=5))

    assert len(rows) == 5


def test_blank_rows_count_toward_max_rows_when_data_follows(tmp_path):
    path = write(tmp_path, "이름\n사람\n" + "\n" * 10 + "사람\n")

    assert refusal(path, limits=Limits(max_rows=5)) == "행이 너무 많습니다: 최대 5행"


def test_default_row_limit_message_has_thousands_separator():
    assert readers.MSG_TOO_MANY_ROWS.format(limit=Limits().max_rows) == (
        "행이 너무 많습니다: 최대 200,000행"
    )


def test_file_over_size_limit_is_refused_before_reading(tmp_path):
    path = write(tmp_path, "이름\n" + "김철수\n" * 50)

    assert refusal(path, limits=Limits(max_bytes=100)) == (
        f"파일이 너무 큽니다: 최대 100바이트 (이 파일 {path.stat().st_size}바이트)"
    )


def test_default_size_limit_is_20mb(tmp_path):
    path = tmp_path / "big.csv"
    with path.open("wb") as f:
        f.truncate(21 * 1024 * 1024)  # sparse: refused by its size alone

    assert refusal(path) == "파일이 너무 큽니다: 최대 20MB (이 파일 21MB)"


def test_too_many_columns_is_refused(tmp_path):
    header = ",".join(f"열이름{i}" for i in range(6))
    assert refusal(write(tmp_path, header + "\n1\n"), limits=Limits(max_columns=5)) == (
        "열이 너무 많습니다: 최대 5열"
    )
    ragged = write(tmp_path, "a,b\n1,2\n1,2,3,4,5,6\n", name="r.csv")
    assert refusal(ragged, limits=Limits(max_columns=5)) == "열이 너무 많습니다: 최대 5열 (3행)"


def test_long_cell_is_refused_with_its_row(tmp_path):
    path = write(tmp_path, "이름,비고\n김철수,짧음\n박영희," + "가" * 101 + "\n")

    assert refusal(path, limits=Limits(max_cell_chars=100)) == (
        "셀 하나가 너무 깁니다 (3행): 최대 100자"
    )


def test_cell_longer_than_the_csv_module_limit_gets_our_message(tmp_path):
    huge = "가" * (csv.field_size_limit() + 10)
    path = write(tmp_path, f"이름,비고\n김철수,{huge}\n")

    message = refusal(path, limits=Limits(max_bytes=10 * 1024 * 1024))

    assert message.startswith("셀 하나가 너무 깁니다 (2행): 최대 10,000자")


def test_unclosed_quote_swallowing_the_file_gets_a_hint(tmp_path):
    text = '이름,비고\n김철수,"열린 따옴표\n' + "".join(f"사람{i},x\n" for i in range(30_000))

    message = refusal(write(tmp_path, text), limits=Limits(max_cell_chars=1_000))

    assert message.startswith("셀 하나가 너무 깁니다 (2행)")
    assert "큰따옴표" in message


# --- refusing other kinds of files -----------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj", "PDF 파일은 올릴 수 없습니다"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "이미지(PNG) 파일은 올릴 수 없습니다"),
        (b"\xff\xd8\xff\xe0\x00\x10JFIF", "이미지(JPEG) 파일은 올릴 수 없습니다"),
        (b"HWP Document File V3.00 \x1a\x01\x02", "한글(HWP) 파일은 올릴 수 없습니다"),
    ],
)
def test_other_file_kinds_are_refused_by_magic(tmp_path, data, expected):
    message = refusal(write(tmp_path, data + b"\x00" * 100, name="명단.xlsx"))

    assert message.startswith(expected)
    assert message.endswith("CSV 또는 엑셀 파일로 저장해 올려 주세요")


def test_zip_without_workbook_is_not_xlsx(tmp_path):
    path = tmp_path / "a.xlsx"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("readme.txt", "안녕하세요")

    assert refusal(path).startswith("엑셀(XLSX) 파일이 아닙니다: 압축(ZIP) 파일입니다")


def test_docx_is_named_as_such(tmp_path):
    path = tmp_path / "a.xlsx"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("[Content_Types].xml", "<Types/>")
        zf.writestr("word/document.xml", "<w:document/>")

    assert refusal(path).startswith("엑셀(XLSX) 파일이 아닙니다: 워드(DOCX) 문서입니다")


def test_truncated_xlsx_is_refused(tmp_path):
    full = make_xlsx(tmp_path / "full.xlsx", {"명단": [["이름"], *([n] for n in NAMES * 50)]})
    data = full.read_bytes()

    assert refusal(write(tmp_path, data[: len(data) // 2], "half.xlsx")) == (
        "엑셀 파일이 손상되었거나 잘렸습니다"
    )


@pytest.fixture(scope="module")
def zip_bomb(tmp_path_factory) -> Path:
    """One 300 MB entry of zeros (about 300 KB compressed), built without holding it in memory."""
    path = tmp_path_factory.mktemp("bomb") / "bomb.xlsx"
    chunk = bytes(1024 * 1024)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("xl/workbook.xml", "<workbook/>")
        with zf.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as entry:
            for _ in range(300):
                entry.write(chunk)
    return path


def test_zip_bomb_is_refused_fast(zip_bomb):
    assert zip_bomb.stat().st_size < 2 * 1024 * 1024
    started = time.perf_counter()

    message = refusal(zip_bomb)

    assert message == "압축을 풀면 너무 커지는 엑셀 파일입니다"
    assert time.perf_counter() - started < 1.0


def test_zip_entry_with_extreme_ratio_is_refused(tmp_path):
    path = tmp_path / "ratio.xlsx"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("xl/workbook.xml", "<workbook/>")
        zf.writestr("xl/sharedStrings.xml", bytes(20 * 1024 * 1024))  # 20 MB < 200 MB total

    assert refusal(path) == "압축을 풀면 너무 커지는 엑셀 파일입니다"


def test_zip_with_too_many_entries_is_refused(tmp_path):
    path = tmp_path / "many.xlsx"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("xl/workbook.xml", "<workbook/>")
        for i in range(20):
            zf.writestr(f"xl/media/{i}.bin", b"x")

    assert refusal(path, limits=Limits(max_zip_entries=10)) == (
        "압축을 풀면 너무 커지는 엑셀 파일입니다"
    )


def test_xml_entity_bomb_inside_xlsx_is_refused(tmp_path):
    plain = make_xlsx(tmp_path / "plain.xlsx", {"명단": [["이름"], ["김철수"]]})
    entities = '<!ENTITY a0 "ha">' + "".join(
        f'<!ENTITY a{i} "{f"&a{i - 1};" * 10}">' for i in range(1, 10)
    )
    sheet = (
        f'<?xml version="1.0"?><!DOCTYPE worksheet [{entities}]>'
        '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
        '<row r="1"><c r="A1" t="inlineStr"><is><t>&a9;</t></is></c></row></sheetData></worksheet>'
    )
    path = tmp_path / "laughs.xlsx"
    with zipfile.ZipFile(plain) as src, zipfile.ZipFile(path, "w") as out:
        for info in src.infolist():
            is_sheet = info.filename == "xl/worksheets/sheet1.xml"
            out.writestr(info, sheet if is_sheet else src.read(info))
    started = time.perf_counter()

    assert refusal(path) == "엑셀 파일이 손상되었거나 잘렸습니다"
    assert time.perf_counter() - started < 2


# --- XLSX ------------------------------------------------------------------------------------


def test_xlsx_cells_become_text(tmp_path):
    path = make_xlsx(
        tmp_path / "x.xlsx",
        {
            "명단": [
                ["이름", "번호", "주민번호", "금액", "비율", "수급", "생일", "방문", "시각"],
                [
                    "김철수",
                    42,
                    8001011234567,
                    1012345678.0,
                    3.5,
                    True,
                    dt.datetime(1980, 1, 1),
                    dt.datetime(2024, 3, 5, 14, 29, 59, 999_999),
                    dt.time(9, 30),
                ],
                ["박영희", -0.0, 8001011234567.0, 1e20, 0.1, False, dt.date(2024, 2, 29)],
            ]
        },
    )

    table, rows = read_all(path)

    assert (table.info.format, table.info.encoding) == ("xlsx", None)
    assert table.info.encoding_label == "엑셀 (XLSX)"
    assert rows[0].cells == [
        "김철수",
        "42",
        "8001011234567",
        "1012345678",
        "3.5",
        "TRUE",
        "1980-01-01",
        "2024-03-05 14:30:00",
        "09:30:00",
    ]
    assert rows[1].cells == [
        "박영희",
        "0",
        "8001011234567",
        "1e+20",
        "0.1",
        "FALSE",
        "2024-02-29",
    ]


def test_xlsx_formulas_are_kept_as_text(tmp_path):
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["값", "합계", "배열"])
    sheet.append([1, "=SUM(A2:A3)"])
    sheet.append([2, ""])
    sheet["C2"] = ArrayFormula("C2", "=MAX(A2:A3*2)")
    workbook.save(tmp_path / "f.xlsx")

    _, rows = read_all(tmp_path / "f.xlsx")

    assert rows[0].cells == ["1", "=SUM(A2:A3)", "=MAX(A2:A3*2)"]
    assert rows[1].cells == ["2", ""]  # within the header width, empty cells stay


def test_xlsx_sheet_selection(tmp_path):
    path = make_xlsx(
        tmp_path / "s.xlsx", {"안내": [["설명"], ["읽지 마세요"]], "명단": [["이름"], ["김철수"]]}
    )

    first, _ = read_all(path)
    chosen, rows = read_all(path, sheet="명단")

    assert (first.info.sheet, first.header) == ("안내", ["설명"])
    assert chosen.info.sheet == "명단"
    assert chosen.info.sheets == ("안내", "명단")
    assert rows[0].cells == ["김철수"]
    assert refusal(path, sheet="대상자") == "시트 '대상자'가 없습니다. 있는 시트: 안내, 명단"


def test_xlsx_rows_keep_worksheet_numbers_and_trim_beyond_header(tmp_path):
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet["B3"], sheet["C3"] = "이름", "나이"
    sheet["B4"], sheet["C4"] = "김철수", 30
    sheet["B6"] = "박영희"
    sheet["H6"].font = Font(bold=True)  # styled but empty: trimmed
    sheet["B7"], sheet["E7"] = "똠방각하", "머리글 밖 값"  # data beyond the header is kept
    sheet["A400"].font = Font(bold=True)  # formatted-but-empty tail: not yielded
    workbook.save(tmp_path / "n.xlsx")

    table, rows = read_all(tmp_path / "n.xlsx")

    assert table.header == ["열1", "이름", "나이"]
    assert [(r.number, r.cells) for r in rows] == [
        (4, ["", "김철수", "30"]),
        (5, []),
        (6, ["", "박영희", ""]),
        (7, ["", "똠방각하", "", "", "머리글 밖 값"]),
    ]


def test_xlsx_formatted_tail_to_the_last_excel_row_is_cheap(tmp_path):
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["이름"])
    sheet.append(["김철수"])
    sheet.cell(row=readers.EXCEL_MAX_ROW, column=1).font = Font(bold=True)
    workbook.save(tmp_path / "tail.xlsx")
    started = time.perf_counter()

    _, rows = read_all(tmp_path / "tail.xlsx")

    assert [r.cells for r in rows] == [["김철수"]]
    assert time.perf_counter() - started < 10  # ~2 s: a million empty rows, none kept


def test_xlsx_empty_sheet_is_refused(tmp_path):
    path = make_xlsx(tmp_path / "e.xlsx", {"빈": [], "명단": [["이름"], ["김철수"]]})

    assert refusal(path) == "빈 시트입니다: '빈' (있는 시트: 빈, 명단)"


def test_xlsx_header_only_is_refused(tmp_path):
    path = make_xlsx(tmp_path / "h.xlsx", {"명단": [["이름", "나이"], [None, None]]})

    assert refusal(path) == "머리글만 있고 자료 행이 없습니다"


def test_xlsx_content_under_any_name_is_read_as_xlsx(tmp_path):
    path = make_xlsx(tmp_path / "upload.tmp", {"명단": [["이름"], ["김철수"]]})

    assert readers.detect_format(path) == "xlsx"
    assert read_all(path)[1][0].cells == ["김철수"]


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (None, ""),
        (0.30000000000000004, "0.30000000000000004"),
        (2.0**53, "9007199254740992.0"),
        (dt.datetime(2024, 3, 5, 23, 59, 59, 600_000), "2024-03-06"),
        (dt.time(9, 29, 59, 999_999), "09:30:00"),
        (dt.timedelta(hours=27, minutes=5), "27:05:00"),
        (dt.timedelta(minutes=-90), "-1:30:00"),
    ],
)
def test_excel_cell_text_edge_values(value, text):
    assert readers._cell_text(value) == text


# --- XLS (legacy BIFF8) ----------------------------------------------------------------------


def test_xls_fixture_is_read(tmp_path):
    table, rows = read_all(SAMPLE_XLS)

    assert table.info.format == "xls"
    assert table.info.encoding_label == "엑셀 97-2003 (XLS)"
    assert table.info.sheets == ("명단", "기타")
    assert table.header == [
        "이름",
        "전화",
        "주민번호",
        "생년월일",
        "방문일시",
        "수급",
        "금액",
        "열8",
        "비고",
    ]
    assert rows[0].cells == [
        "김철수",
        "010-1234-5678",
        "8001011234567",
        "1980-01-01",
        "2024-03-05 14:30:00",
        "TRUE",
        "1012345678",
        "",
        "3.5",
    ]
    assert [(r.number, r.cells[0]) for r in rows] == [
        (2, "김철수"),
        (3, "똠방각하"),
        (4, ""),
        (5, "박영희"),
    ]


def test_xls_sheet_selection_keeps_worksheet_positions():
    table, rows = read_all(SAMPLE_XLS, sheet="기타")

    assert table.header == ["열1", "코드", "값"]  # the sheet starts at B3
    assert [(r.number, r.cells) for r in rows] == [(4, ["", "A1", "7"])]
    assert refusal(SAMPLE_XLS, sheet="없음") == "시트 '없음'가 없습니다. 있는 시트: 명단, 기타"


def test_xls_under_another_name_is_read_by_content(tmp_path):
    path = write(tmp_path, SAMPLE_XLS.read_bytes(), name="명단.xlsx")

    assert readers.detect_format(path) == "xls"
    assert read_all(path)[1][0].cells[0] == "김철수"


def test_damaged_xls_is_refused(tmp_path):
    data = SAMPLE_XLS.read_bytes()
    damaged = data[:512] + bytes(len(data) - 512)

    assert refusal(write(tmp_path, damaged, "a.xls")) == "엑셀(XLS) 파일이 손상되었습니다"
    assert refusal(write(tmp_path, data[:2000], "b.xls")) == "엑셀(XLS) 파일이 손상되었습니다"


@pytest.mark.parametrize("name", ["readers_xls_abort.xls", "readers_xls_panic.xls"])
def test_xls_that_crashes_the_parser_is_refused_without_taking_us_down(name):
    # Mutants of the sample found by fuzzing: calamine aborts the process on the first
    # ("memory allocation of 96636764320 bytes failed") and panics on the second.
    assert refusal(DATA / name) == "엑셀(XLS) 파일이 손상되었습니다"


def test_xls_worker_that_cannot_start_is_our_error_not_the_users(monkeypatch):
    monkeypatch.setattr(readers.sys, "executable", "/bin/false")

    with pytest.raises(RuntimeError, match="XLS worker failed"):
        open_table(SAMPLE_XLS)


def _rename_ole_entry(data: bytes, old: str, new: str) -> bytes:
    at = data.index(old.encode("utf-16-le") + b"\x00\x00")
    name = new.encode("utf-16-le") + b"\x00\x00"
    entry = name.ljust(64, b"\x00") + len(name).to_bytes(2, "little")
    return data[:at] + entry + data[at + 66 :]


@pytest.mark.parametrize(
    ("stream", "expected"),
    [
        ("FileHeader", "엑셀(XLS) 파일이 아닙니다: 한글(HWP) 문서입니다"),
        ("WordDocument", "엑셀(XLS) 파일이 아닙니다: 워드(DOC) 문서입니다"),
        ("EncryptedPackage", "암호가 걸린 엑셀 파일은 읽을 수 없습니다"),
    ],
)
def test_other_ole2_documents_are_named(tmp_path, stream, expected):
    data = _rename_ole_entry(SAMPLE_XLS.read_bytes(), "Workbook", stream)

    assert refusal(write(tmp_path, data, "a.xls")).startswith(expected)


# --- small API promises ----------------------------------------------------------------------


def test_file_info_size_and_sha256(tmp_path):
    path = write(tmp_path, "이름\n김철수\n")

    table, _ = read_all(path)

    assert table.info.size == path.stat().st_size
    assert table.info.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
    assert readers.file_sha256(path) == table.info.sha256


def test_rows_stream_only_once(tmp_path):
    with open_table(write(tmp_path, "이름\n김철수\n")) as table:
        list(table.rows())
        with pytest.raises(RuntimeError):
            table.rows()


def test_detect_format_refuses_empty_files(tmp_path):
    with pytest.raises(FileRefused, match="빈 파일입니다"):
        readers.detect_format(write(tmp_path, b""))


# --- performance -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def big_cp949_csv(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("perf") / "big.csv"
    header = ["이름", "주민번호", "전화", "주소", "동", "구", "성별", "생년월일"]
    header += ["서비스", "시작일", "종료일", "담당자", "비고", "기관"]
    lines = [",".join(header)]
    for i in range(100_000):
        name = NAMES[i % 3] + str(i)
        row = [name, f"800101-1{i:06d}", f"010-{i % 10_000:04d}-5678", "서울특별시 종로구 세종대로"]
        row += ["청운효자동", "종로구", "남", "1980-01-01", "방문간호", "2024-01-01", "2024-12-31"]
        row += ["박영희", '"비고, 쉼표 포함"', "종로노인복지관"]
        lines.append(",".join(row))
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode("cp949"))
    return path


def test_perf_100k_rows_cp949_stream_fast_and_small(big_cp949_csv, capsys):
    started = time.perf_counter()
    with open_table(big_cp949_csv) as table:
        count = sum(1 for _ in table.rows())
    elapsed = time.perf_counter() - started

    tracemalloc.start()
    with open_table(big_cp949_csv) as table:
        for _ in table.rows():
            pass
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()

    assert count == 100_000 and table.info.encoding == "cp949"
    assert elapsed < 2.0
    assert peak < 10 * 1024 * 1024  # the file is ~12 MB; streaming keeps a few rows at a time
    with capsys.disabled():
        size = big_cp949_csv.stat().st_size / 1e6
        print(
            f"\n[readers] {count:,} rows x 14 cols CP949 ({size:.1f} MB): {elapsed:.2f} s, "
            f"peak {peak / 1e6:.1f} MB"
        )


# --- fuzzing: anything is read or refused, never a crash, never a lost row -------------------

# BIGCARE_FUZZ_EXAMPLES=5000 for a longer hunt; the default keeps these under ~10 s.
FUZZ = settings(
    max_examples=int(os.environ.get("BIGCARE_FUZZ_EXAMPLES", "200")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)


def _read_or_refuse(path: Path) -> tuple[readers.Table, list[readers.Row]] | None:
    try:
        return read_all(path)
    except FileRefused:
        return None


def _oracle_csv_rows(data: bytes, encoding: str) -> list[list[str]]:
    """An independent, all-in-memory reading of a CSV file the reader accepted."""
    text = data.decode(encoding, "replace").replace("\x00", "\ufffd")
    delimiter = readers._sniff_delimiter(text)
    records = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    blank = [not "".join(r).strip() for r in records]
    start = blank.index(False) + 1
    end = len(records) - blank[::-1].index(False)
    return records[start:end]


@FUZZ
@given(data=st.binary(max_size=3000))
def test_fuzz_random_bytes(tmp_path_factory, data):
    path = write(tmp_path_factory.mktemp("fuzz"), data)

    result = _read_or_refuse(path)

    if result is not None:
        table, rows = result
        assert table.info.format == "csv"
        assert [r.cells for r in rows] == _oracle_csv_rows(data, table.info.encoding)
        assert all(a.number < b.number for a, b in itertools.pairwise(rows))


_alphabet = st.sampled_from("가나다똠방각하김철수박영희좋쀏 abcXYZ019-.,;\t\"'\r\n")
_header_cell = st.text(st.sampled_from("가나다라마바사이름전화주소abc"), min_size=1, max_size=6)
_cell = st.text(st.one_of(_alphabet, st.characters(min_codepoint=0xAC00, max_codepoint=0xD7A3)))


@FUZZ
@given(
    header=st.lists(_header_cell, min_size=1, max_size=6, unique=True),
    rows=st.lists(st.lists(_cell, min_size=1, max_size=8), min_size=1, max_size=20),
    encoding=st.sampled_from(["utf-8", "utf-8-sig", "cp949", "utf-16"]),
)
def test_fuzz_written_csv_reads_back_exactly(tmp_path_factory, header, rows, encoding):
    buffer = io.StringIO(newline="")
    csv.writer(buffer).writerows([header, *rows])
    path = write(tmp_path_factory.mktemp("fuzz"), buffer.getvalue(), encoding=encoding)
    while rows and not "".join(rows[-1]).strip():
        rows.pop()  # trailing blank rows are not yielded

    try:
        table, got = read_all(path)
    except FileRefused as refused:
        assert not rows and refused.message == "머리글만 있고 자료 행이 없습니다"
        return

    assert table.header == header
    assert [r.cells for r in got] == rows
    assert not any(r.decode_error for r in got)


@pytest.fixture(scope="module")
def xlsx_bytes(tmp_path_factory) -> bytes:
    path = tmp_path_factory.mktemp("x") / "ok.xlsx"
    rows = [["이름", "번호", "날짜"]]
    rows += [[NAMES[i % 3], i * 1.5, dt.datetime(2024, 1, 1 + i % 28)] for i in range(200)]
    return make_xlsx(path, {"명단": rows, "기타": [["a"], [1]]}).read_bytes()


@FUZZ
@given(cut=st.floats(min_value=0, max_value=1, exclude_max=True))
def test_fuzz_truncated_xlsx(tmp_path_factory, xlsx_bytes, cut):
    path = write(tmp_path_factory.mktemp("fuzz"), xlsx_bytes[: int(len(xlsx_bytes) * cut)])

    assert _read_or_refuse(path) is None


@FUZZ
@given(
    flips=st.lists(st.tuples(st.floats(0, 1, exclude_max=True), st.integers(1, 255)), max_size=8)
)
def test_fuzz_corrupted_xlsx(tmp_path_factory, xlsx_bytes, flips):
    data = bytearray(xlsx_bytes)
    for where, mask in flips:
        data[int(where * len(data))] ^= mask
    path = write(tmp_path_factory.mktemp("fuzz"), bytes(data))

    result = _read_or_refuse(path)

    if result is not None:
        rows = result[1]
        assert len(rows) <= 200
        assert all(a.number < b.number for a, b in itertools.pairwise(rows))
