"""Reading facility export files (CSV, XLSX, XLS) safely and one row at a time.

Pure I/O over a local path: no database, no settings (limits are passed in). Every problem
with the file itself becomes `FileRefused` with a specific Korean message that never quotes
a cell value; other exceptions mean a bug here, not a bad file.
"""

import codecs
import contextlib
import csv
import datetime as dt
import hashlib
import io
import itertools
import json
import logging
import os
import re
import resource
import subprocess
import sys
import unicodedata
import warnings
import zipfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import BinaryIO, Literal, Self

import charset_normalizer
import openpyxl

from bigcare.errors import FieldError, InvalidInput

log = logging.getLogger(__name__)
# openpyxl warns about damaged cells quoting their values ("the serial value 452975296 is outside
# the limits for dates"); cell values must not reach logs, and the damage is handled here.
warnings.filterwarnings("ignore", category=UserWarning, module=r"openpyxl\.")

Format = Literal["csv", "xlsx", "xls"]

# --- user-facing messages (Korean; never quote a cell value) ---------------------------------
SAVE_AS = "CSV 또는 엑셀 파일로 저장해 올려 주세요"
MSG_TOO_BIG = "파일이 너무 큽니다: 최대 {limit} (이 파일 {size})"
MSG_EMPTY = "빈 파일입니다"
MSG_EMPTY_SHEET = "빈 시트입니다: '{sheet}'"
MSG_HEADER_ONLY = "머리글만 있고 자료 행이 없습니다"
MSG_TOO_MANY_ROWS = "행이 너무 많습니다: 최대 {limit:,}행"
MSG_TOO_MANY_COLUMNS = "열이 너무 많습니다: 최대 {limit:,}열"
MSG_TOO_MANY_COLUMNS_ROW = "열이 너무 많습니다: 최대 {limit:,}열 ({row}행)"
MSG_CELL_TOO_LONG = "셀 하나가 너무 깁니다 ({row}행): 최대 {limit:,}자"
MSG_UNCLOSED_QUOTE = ' (닫히지 않은 큰따옴표(")가 있는지 확인하세요)'
MSG_CSV_UNREADABLE = "CSV 파일을 읽을 수 없습니다 ({row}행)"
MSG_DUPLICATE_HEADER = "머리글이 중복됩니다: '{name}' ({first}열, {second}열)"
MSG_NOT_TABLE = "CSV 또는 엑셀 파일이 아닙니다 (파일 내용을 확인하세요)"
MSG_NAME_MISMATCH = ". 파일 이름은 {ext}이지만 내용이 그 형식이 아닙니다"
MSG_NOT_XLSX = "엑셀(XLSX) 파일이 아닙니다"
MSG_ZIP_BOMB = "압축을 풀면 너무 커지는 엑셀 파일입니다"
MSG_XLSX_CORRUPT = "엑셀 파일이 손상되었거나 잘렸습니다"
MSG_XLS_CORRUPT = "엑셀(XLS) 파일이 손상되었습니다"
MSG_NOT_XLS = "엑셀(XLS) 파일이 아닙니다: {what}"
MSG_ENCRYPTED = "암호가 걸린 엑셀 파일은 읽을 수 없습니다. 암호를 해제하고 저장해 올려 주세요"
MSG_SHEET_MISSING = "시트 '{sheet}'가 없습니다. 있는 시트: {names}"
MSG_NO_SHEETS = "엑셀 파일에 읽을 수 있는 시트가 없습니다"
MSG_HTML = (
    "웹 페이지(HTML) 형식의 파일입니다. 엑셀에서 열어 'Excel 통합 문서(*.xlsx)'로 "
    "다시 저장해 올려 주세요"
)
MSG_XML_SPREADSHEET = (
    "엑셀 2003 XML 형식은 읽을 수 없습니다. 'Excel 통합 문서(*.xlsx)'로 다시 저장해 올려 주세요"
)
MSG_CANNOT_UPLOAD = "{what} 파일은 올릴 수 없습니다. " + SAVE_AS

ENCODING_LABELS = {
    "utf-8": "UTF-8",
    "utf-8-sig": "UTF-8 (BOM)",
    "cp949": "CP949 (EUC-KR)",
    "utf-16": "UTF-16",
}
FORMAT_LABELS = {"xlsx": "엑셀 (XLSX)", "xls": "엑셀 97-2003 (XLS)"}

# --- detection constants ---------------------------------------------------------------------
ZIP_MAGIC = b"PK\x03\x04"
OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
SAMPLE_BYTES = 256 * 1024  # encoding and delimiter are decided on this much of a CSV
NUL_PROBE_BYTES = 64 * 1024
MAX_BAD_CHAR_RATIO = 0.3  # a larger share of undecodable/control characters: not text
BOMB_RATIO, BOMB_MIN_ENTRY = 100, 10 * 1024 * 1024
EXCEL_MAX_ROW = 1_048_576
XLS_MAX_ROW = 65_536
XLS_WORKER_TIMEOUT = 60  # seconds
XLS_WORKER_MEMORY = 2 * 1024**3  # bytes of address space for the XLS child process
XLS_WORKER_DAMAGED = 3  # the XLS child's exit status for a file it could not read
_HEADER_JUNK = "\ufeff\u200b"

_MAGIC_REFUSALS: tuple[tuple[bytes, str], ...] = (
    (b"%PDF-", "PDF"),
    (b"\x89PNG\r\n\x1a\n", "이미지(PNG)"),
    (b"\xff\xd8\xff", "이미지(JPEG)"),
    (b"GIF87a", "이미지(GIF)"),
    (b"GIF89a", "이미지(GIF)"),
    (b"II*\x00", "이미지(TIFF)"),
    (b"MM\x00*", "이미지(TIFF)"),
    (b"HWP Document File", "한글(HWP)"),
    (b"{\\rtf", "서식 있는 텍스트(RTF)"),
    (b"\x1f\x8b", "압축(GZIP)"),
    (b"7z\xbc\xaf\x27\x1c", "압축(7Z)"),
    (b"Rar!\x1a\x07", "압축(RAR)"),
)
# C0 controls other than tab, newlines, form feed and the DOS end-of-file mark, plus U+FFFD.
_BAD_CHARS = re.compile("[\x00-\x08\x0e-\x19\x1b-\x1f\x7f\ufffd]")
_HANGUL = re.compile("[\uac00-\ud7a3]")


@dataclass(frozen=True)
class Limits:
    """What a single upload may cost; the caller takes these from settings."""

    max_bytes: int = 20 * 1024 * 1024
    max_rows: int = 200_000
    max_unpacked_bytes: int = 200 * 1024 * 1024  # XLSX: total uncompressed size of all entries
    max_zip_entries: int = 1_000
    max_columns: int = 200
    max_cell_chars: int = 10_000


class FileRefused(InvalidInput):
    """The whole file is refused; `message` says why, in Korean."""

    def __init__(self, message: str) -> None:
        super().__init__(message, [FieldError("file", message)])


@dataclass(frozen=True)
class FileInfo:
    """What was read, for the batch page and the batch record."""

    format: Format
    encoding: str | None  # "utf-8", "utf-8-sig", "cp949" or "utf-16" for CSV; None for Excel
    encoding_label: str
    sheet: str | None
    sheets: tuple[str, ...]
    size: int
    sha256: str


@dataclass(slots=True)
class Row:
    """One record after the header; `number` is the row number the user sees in Excel."""

    number: int
    cells: list[str]
    decode_error: bool = False


# A source yields every record of the sheet/file: (row number, cells as text, decode error).
Record = tuple[int, list[str], bool]


class Table:
    """An open file: its header now, its rows streamed once through `rows()`."""

    def __init__(
        self, info: FileInfo, header: list[str], rows: Iterator[Row], close: Callable[[], None]
    ) -> None:
        self.info = info
        self.header = header
        self._rows: Iterator[Row] | None = rows
        self._close = close

    def rows(self) -> Iterator[Row]:
        """Stream the data rows; raises FileRefused mid-way (too many rows, a bad cell...)."""
        if self._rows is None:
            raise RuntimeError("Table.rows() can be iterated only once")
        rows, self._rows = self._rows, None
        return rows

    def close(self) -> None:
        """Release the file (read-only workbooks keep it open until closed)."""
        self._rows = None
        self._close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


# --- public functions ------------------------------------------------------------------------


def file_sha256(path: Path) -> str:
    """Hex SHA-256 of the file's bytes."""
    digest = hashlib.sha256()
    with Path(path).open("rb") as f:
        for chunk in iter(lambda: f.read(1024 * 1024), b""):
            digest.update(chunk)
    return digest.hexdigest()


def detect_format(path: Path) -> Format:
    """The file's format judged by its content, not its name. Raises FileRefused."""
    path = Path(path)
    if path.stat().st_size == 0:
        raise FileRefused(MSG_EMPTY)
    return _detect(path, path.name, Limits())


def open_table(
    path: Path,
    *,
    limits: Limits = Limits(),  # frozen, so one shared default is safe
    sheet: str | None = None,
    filename: str | None = None,
) -> Table:
    """Open a CSV/XLSX/XLS file, read its header and check it has data. Raises FileRefused.

    `sheet` picks an Excel sheet by name (default: the first; ignored for CSV); `filename` is
    the name the user uploaded, used only to word messages.
    """
    path = Path(path)
    size = path.stat().st_size
    if size > limits.max_bytes:
        raise FileRefused(
            MSG_TOO_BIG.format(limit=_format_bytes(limits.max_bytes), size=_format_bytes(size))
        )
    if size == 0:
        raise FileRefused(MSG_EMPTY)
    fmt = _detect(path, filename or path.name, limits)
    base = {"size": size, "sha256": file_sha256(path)}
    if fmt == "csv":
        return _open_csv(path, limits, base, filename or path.name)
    if fmt == "xlsx":
        return _open_xlsx(path, limits, sheet, base)
    return _open_xls(path, limits, sheet, base)


# --- format detection ------------------------------------------------------------------------


def _detect(path: Path, name: str, limits: Limits) -> Format:
    with path.open("rb") as f:
        head = f.read(NUL_PROBE_BYTES)
        if head.startswith(ZIP_MAGIC):
            _check_xlsx_container(f, limits)
            return "xlsx"
        if head.startswith(OLE2_MAGIC):
            _check_ole_is_xls(f)
            return "xls"
    for magic, what in _MAGIC_REFUSALS:
        if head.startswith(magic):
            raise FileRefused(MSG_CANNOT_UPLOAD.format(what=what))
    if head.startswith(b"RIFF") and head[8:12] == b"WEBP":
        raise FileRefused(MSG_CANNOT_UPLOAD.format(what="이미지(WEBP)"))
    utf16 = head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE))
    if b"\x00" in head and not utf16:
        raise FileRefused(MSG_NOT_TABLE + _name_hint(name))
    return "csv"


def _name_hint(name: str) -> str:
    ext = Path(name).suffix.lower()
    return MSG_NAME_MISMATCH.format(ext=ext) if ext in {".xlsx", ".xls", ".csv"} else ""


def _check_xlsx_container(f: BinaryIO, limits: Limits) -> None:
    """Refuse zip bombs and non-workbooks from the central directory, before inflating anything.

    zipfile stops inflating an entry at its declared size (then fails its CRC check), so the
    declared sizes checked here really bound what openpyxl can unpack later.
    """
    declared = _declared_zip_entries(f)
    if declared is not None and declared > limits.max_zip_entries:
        raise FileRefused(MSG_ZIP_BOMB)
    try:
        with zipfile.ZipFile(f) as zf:
            infos = zf.infolist()
            if len(infos) > limits.max_zip_entries:
                raise FileRefused(MSG_ZIP_BOMB)
            if sum(i.file_size for i in infos) > limits.max_unpacked_bytes:
                raise FileRefused(MSG_ZIP_BOMB)
            for i in infos:
                ratio = i.file_size / max(i.compress_size, 1)
                if i.file_size > BOMB_MIN_ENTRY and ratio > BOMB_RATIO:
                    raise FileRefused(MSG_ZIP_BOMB)
            names = {i.filename for i in infos}
            if "xl/workbook.xml" in names:
                return
            what = _zip_kind(zf, names)
    except (zipfile.BadZipFile, OSError, EOFError, ValueError, NotImplementedError) as exc:
        raise FileRefused(MSG_XLSX_CORRUPT) from exc
    raise FileRefused(f"{MSG_NOT_XLSX}: {what}")


def _declared_zip_entries(f: BinaryIO) -> int | None:
    """Entry count from the end-of-central-directory record, read before zipfile parses it all."""
    f.seek(0, io.SEEK_END)
    size = f.tell()
    tail_size = min(size, 65_535 + 22)
    f.seek(size - tail_size)
    tail = f.read(tail_size)
    at = tail.rfind(b"PK\x05\x06")
    if at < 0 or at + 22 > len(tail):
        return None
    count = int.from_bytes(tail[at + 10 : at + 12], "little")
    return None if count == 0xFFFF else count  # 0xFFFF: the real count is in the zip64 record


def _zip_kind(zf: zipfile.ZipFile, names: set[str]) -> str:
    """Name a zip-based document that is not a workbook, for the refusal message."""
    if "xl/workbook.bin" in names:
        return "바이너리 통합 문서(XLSB)는 읽을 수 없으니 XLSX로 저장해 올려 주세요"
    if "word/document.xml" in names:
        return "워드(DOCX) 문서입니다. " + SAVE_AS
    if "ppt/presentation.xml" in names:
        return "파워포인트(PPTX) 문서입니다. " + SAVE_AS
    mimetype = b""
    info = zf.NameToInfo.get("mimetype")
    if info is not None and info.file_size <= 200:
        try:
            mimetype = zf.read(info)
        except (zipfile.BadZipFile, OSError, EOFError, ValueError, NotImplementedError):
            mimetype = b""
    if b"hwp" in mimetype or any(n.startswith("Contents/") for n in names):
        return "한글(HWPX) 문서입니다. " + SAVE_AS
    if mimetype.startswith(b"application/vnd.oasis.opendocument.spreadsheet"):
        return "ODS 스프레드시트는 읽을 수 없으니 XLSX로 저장해 올려 주세요"
    return "압축(ZIP) 파일입니다. 압축을 풀어 안의 파일을 올려 주세요"


def _check_ole_is_xls(f: BinaryIO) -> None:
    """Legacy Office files share one container (OLE2); tell a workbook from HWP, Word..."""
    names = _ole_stream_names(f)
    if not names or names & {"Workbook", "Book"}:
        return  # unreadable directory: let the XLS reader report the damage
    if "EncryptedPackage" in names:
        raise FileRefused(MSG_ENCRYPTED)
    if "FileHeader" in names or any(n.endswith("HwpSummaryInformation") for n in names):
        what = "한글(HWP) 문서입니다. " + SAVE_AS
    elif "WordDocument" in names:
        what = "워드(DOC) 문서입니다. " + SAVE_AS
    elif "PowerPoint Document" in names:
        what = "파워포인트(PPT) 문서입니다. " + SAVE_AS
    else:
        what = "다른 형식의 오피스 문서입니다. " + SAVE_AS
    raise FileRefused(MSG_NOT_XLS.format(what=what))


def _ole_stream_names(f: BinaryIO) -> set[str]:
    """Entry names in an OLE2 compound file's directory; empty when it cannot be followed."""
    f.seek(0)
    header = f.read(512)
    if len(header) < 512:
        return set()
    shift = int.from_bytes(header[30:32], "little")
    if shift not in (9, 12):
        return set()
    sector_size = 1 << shift
    per_fat_sector = sector_size // 4
    fat_count = int.from_bytes(header[44:48], "little")
    fat_sectors = [
        int.from_bytes(header[76 + 4 * i : 80 + 4 * i], "little")
        for i in range(min(fat_count, 109))
    ]

    def read_sector(n: int) -> bytes:
        f.seek((n + 1) * sector_size)
        return f.read(sector_size)

    names: set[str] = set()
    sector = int.from_bytes(header[48:52], "little")
    seen: set[int] = set()
    # The directory is a chain of sectors; bound the walk so a looped chain cannot hang us.
    while sector < 0xFFFFFFFA and sector not in seen and len(seen) < 4096:
        seen.add(sector)
        data = read_sector(sector)
        if len(data) < sector_size:
            break
        for offset in range(0, sector_size, 128):
            entry = data[offset : offset + 128]
            length = int.from_bytes(entry[64:66], "little")
            if entry[66] in (1, 2, 5) and 2 <= length <= 64 and length % 2 == 0:
                names.add(entry[: length - 2].decode("utf-16-le", "replace"))
        fat_index = sector // per_fat_sector
        if fat_index >= len(fat_sectors):
            break
        fat = read_sector(fat_sectors[fat_index])
        slot = (sector % per_fat_sector) * 4
        if len(fat) < slot + 4:
            break
        sector = int.from_bytes(fat[slot : slot + 4], "little")
    return names


# --- CSV -------------------------------------------------------------------------------------


def _open_csv(path: Path, limits: Limits, base: dict, name: str) -> Table:
    f = path.open("rb")
    try:
        sample = f.read(SAMPLE_BYTES)
        whole = len(sample) < SAMPLE_BYTES or not f.read(1)
        encoding = _detect_encoding(sample, whole)
        text = codecs.getincrementaldecoder(encoding)(errors="replace").decode(sample, whole)
        _refuse_non_table_text(text, whole=whole, name=name)
        f.seek(0)
        info = FileInfo(
            format="csv",
            encoding=encoding,
            encoding_label=ENCODING_LABELS[encoding],
            sheet=None,
            sheets=(),
            **base,
        )
        # The csv module's own limit would raise first with an English message; ours must.
        if csv.field_size_limit() <= limits.max_cell_chars:
            csv.field_size_limit(limits.max_cell_chars + 1)
        records = _csv_records(f, encoding, _sniff_delimiter(text), limits)
        header, rows = _start(records, limits, empty_message=MSG_EMPTY)
    except BaseException:
        f.close()
        raise
    return Table(info, header, rows, f.close)


def _detect_encoding(sample: bytes, whole: bool) -> str:
    if sample.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if sample.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    decoded = {}
    for encoding in ("utf-8", "cp949"):
        try:
            decoded[encoding] = codecs.getincrementaldecoder(encoding)().decode(sample, whole)
        except UnicodeDecodeError:
            continue
    if len(decoded) == 2:
        # Short CP949 text can be valid UTF-8 too (it then reads as Latin letters, not Hangul).
        hangul = {e: len(_HANGUL.findall(text)) for e, text in decoded.items()}
        return "cp949" if hangul["cp949"] > hangul["utf-8"] else "utf-8"
    if decoded:
        return next(iter(decoded))
    # Neither decodes cleanly: a damaged file. Ask charset_normalizer, else take the closer one.
    best = charset_normalizer.from_bytes(sample, cp_isolation=["cp949", "euc_kr", "utf_8"]).best()
    if best is not None:
        return "utf-8" if best.encoding == "utf_8" else "cp949"
    return min(("cp949", "utf-8"), key=lambda e: sample.decode(e, "replace").count("\ufffd"))


def _refuse_non_table_text(text: str, *, whole: bool, name: str) -> None:
    if whole and not text.strip().strip(_HEADER_JUNK).strip():
        raise FileRefused(MSG_EMPTY)
    if text and len(_BAD_CHARS.findall(text)) > MAX_BAD_CHAR_RATIO * len(text):
        raise FileRefused(MSG_NOT_TABLE + _name_hint(name))
    start = text.lstrip().lstrip(_HEADER_JUNK).lstrip()[:2000].lower()
    if start.startswith(("<!doctype html", "<html", "<table", "<meta", "<head", "<body")):
        raise FileRefused(MSG_HTML)
    if start.startswith("<?xml") and "urn:schemas-microsoft-com:office:spreadsheet" in start:
        raise FileRefused(MSG_XML_SPREADSHEET)


def _sniff_delimiter(text: str) -> str:
    """Comma, unless the header line has none and is clearly tab- or semicolon-separated."""
    line = next((ln for ln in text.splitlines() if ln.strip()), "")
    if "," in line:
        return ","
    tabs, semicolons = line.count("\t"), line.count(";")
    if tabs or semicolons:
        return "\t" if tabs >= semicolons else ";"
    return ","


def _csv_records(f: BinaryIO, encoding: str, delimiter: str, limits: Limits) -> Iterator[Record]:
    text = io.TextIOWrapper(f, encoding=encoding, errors="replace", newline="")
    number = 0
    try:
        for number, cells in enumerate(csv.reader(text, delimiter=delimiter), start=1):
            joined = "".join(cells)
            if "\ufffd" in joined or "\x00" in joined:
                # A NUL is nothing a user typed: show it like an undecodable byte.
                yield number, [c.replace("\x00", "\ufffd") for c in cells], True
            else:
                yield number, cells, False
    except csv.Error as exc:
        if "field larger than field limit" in str(exc):
            message = MSG_CELL_TOO_LONG.format(row=number + 1, limit=limits.max_cell_chars)
            raise FileRefused(message + MSG_UNCLOSED_QUOTE) from exc
        raise FileRefused(MSG_CSV_UNREADABLE.format(row=number + 1)) from exc


# --- Excel -----------------------------------------------------------------------------------


def _open_xlsx(path: Path, limits: Limits, sheet: str | None, base: dict) -> Table:
    f = path.open("rb")
    workbook = None

    def close() -> None:
        try:
            if workbook is not None:
                workbook.close()
        finally:
            f.close()

    try:
        try:
            # Zip limits were checked by _detect. Pass a file object, not the path: openpyxl
            # refuses paths that are not named .xlsx/.xlsm.
            workbook = openpyxl.load_workbook(f, read_only=True, data_only=False, keep_links=False)
            names = tuple(ws.title for ws in workbook.worksheets)
        except Exception as exc:  # openpyxl raises anything on malformed parts
            raise _damaged_xlsx(exc) from exc
        chosen = _choose_sheet(names, sheet)
        try:
            worksheet = workbook[chosen]
            # Ignore the stored dimension: formatted-but-empty sheets claim a million rows.
            worksheet.reset_dimensions()
            values = worksheet.iter_rows(min_row=1, min_col=1, values_only=True)
        except Exception as exc:
            raise _damaged_xlsx(exc) from exc
        source = _ExcelRecords(_guard_xlsx(values), max_row=EXCEL_MAX_ROW)
        info = FileInfo("xlsx", None, FORMAT_LABELS["xlsx"], chosen, names, **base)
        header, rows = _start(source, limits, empty_message=_empty_sheet(chosen, names))
    except BaseException:
        close()
        raise
    return Table(info, header, rows, close)


def _guard_xlsx(values: Iterator[Sequence[object]]) -> Iterator[Sequence[object]]:
    """Turn openpyxl's errors on a damaged sheet part, met mid-stream, into FileRefused."""
    while True:
        try:
            row = next(values)
        except StopIteration:
            return
        except Exception as exc:
            raise _damaged_xlsx(exc) from exc
        yield row


def _damaged_xlsx(exc: Exception) -> FileRefused:
    log.info("xlsx refused: %s", type(exc).__name__)  # the type only: messages may quote cells
    return FileRefused(MSG_XLSX_CORRUPT)


def _open_xls(path: Path, limits: Limits, sheet: str | None, base: dict) -> Table:
    names, chosen, data = _read_xls_isolated(path, sheet)
    info = FileInfo("xls", None, FORMAT_LABELS["xls"], chosen, names, **base)
    source = _ExcelRecords(iter(data), max_row=XLS_MAX_ROW)
    header, rows = _start(source, limits, empty_message=_empty_sheet(chosen, names))
    return Table(info, header, rows, lambda: None)


def _read_xls_isolated(
    path: Path, sheet: str | None
) -> tuple[tuple[str, ...], str, list[list[str]]]:
    """Read one XLS sheet as text in a child process.

    calamine's legacy-XLS (OLE2/CFB) parser aborts the whole process on crafted input: sizes
    read from the file drive allocations ("memory allocation of 96636764320 bytes failed",
    SIGABRT), and bad offsets panic (tafia/calamine#550, #684, #714). A web worker must not die
    for one upload, so the parsing runs in a child with a memory cap and a timeout.
    """
    root = str(Path(__file__).resolve().parents[2])  # the directory holding `bigcare`
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (root, env.get("PYTHONPATH")) if p)
    request = json.dumps({"path": str(path), "sheet": sheet})
    code = "from bigcare.facilities.readers import _xls_worker; _xls_worker()"
    try:
        done = subprocess.run(  # noqa: S603 - our own interpreter and code; the path goes in stdin
            [sys.executable, "-c", code],
            input=request.encode(),
            capture_output=True,
            timeout=XLS_WORKER_TIMEOUT,
            env=env,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        log.info("xls refused: worker timed out")
        raise FileRefused(MSG_XLS_CORRUPT) from exc
    if done.returncode == XLS_WORKER_DAMAGED or done.returncode < 0:  # < 0: killed by a signal
        log.info("xls refused: worker exited with %s", done.returncode)
        raise FileRefused(MSG_XLS_CORRUPT)
    if done.returncode != 0:  # the worker did not even start: our bug, not the user's file
        stderr = done.stderr.decode(errors="replace")[-2000:]
        raise RuntimeError(f"XLS worker failed ({done.returncode}): {stderr}")
    lines = done.stdout.decode("ascii").splitlines()
    reply = json.loads(lines[0])
    if "refused" in reply:
        raise FileRefused(reply["refused"])
    return tuple(reply["sheets"]), reply["sheet"], [json.loads(line) for line in lines[1:]]


def _xls_worker() -> None:
    """Child side of `_read_xls_isolated`: request on stdin, JSON lines on stdout."""
    request = json.loads(sys.stdin.read())
    resource.setrlimit(resource.RLIMIT_AS, (XLS_WORKER_MEMORY, XLS_WORKER_MEMORY))
    try:
        _xls_worker_read(request["path"], request["sheet"])
    except BaseException:  # calamine's panics are BaseException: all of it means "damaged"
        sys.exit(XLS_WORKER_DAMAGED)


def _xls_worker_read(path: str, sheet: str | None) -> None:
    import python_calamine  # only the child process needs it

    with Path(path).open("rb") as f:
        # from_filelike sniffs the content; from_path trusts the file name's extension.
        workbook = python_calamine.CalamineWorkbook.from_filelike(f)
    names = tuple(
        m.name for m in workbook.sheets_metadata if m.typ == python_calamine.SheetTypeEnum.WorkSheet
    )
    try:
        chosen = _choose_sheet(names, sheet)
    except FileRefused as refused:
        print(json.dumps({"refused": refused.message}))
        return
    # XLS holds at most 65,536 rows x 256 columns, so loading the one sheet whole is bounded.
    # skip_empty_area=False keeps row and column positions as the worksheet has them.
    data = workbook.get_sheet_by_name(chosen).to_python(skip_empty_area=False)
    # ASCII JSON, one line per row: no dependence on the child's locale or on line separators.
    out = sys.stdout
    out.write(json.dumps({"sheets": names, "sheet": chosen}) + "\n")
    for row in data:
        out.write(json.dumps([_cell_text(v) for v in row]) + "\n")
    out.flush()


def _choose_sheet(names: tuple[str, ...], sheet: str | None) -> str:
    if not names:
        raise FileRefused(MSG_NO_SHEETS)
    if sheet is None:
        return names[0]
    if sheet not in names:
        raise FileRefused(MSG_SHEET_MISSING.format(sheet=sheet, names=", ".join(names)))
    return sheet


def _empty_sheet(chosen: str, names: tuple[str, ...]) -> str:
    message = MSG_EMPTY_SHEET.format(sheet=chosen)
    if len(names) > 1:
        message += f" (있는 시트: {', '.join(names)})"
    return message


class _ExcelRecords:
    """Worksheet rows as text records; trims trailing empty cells beyond the header width.

    `width` is 0 until the header is found (so the header itself is trimmed fully), then the
    header's width.
    """

    def __init__(self, values: Iterable[Sequence[object]], *, max_row: int) -> None:
        self._values = values
        self._max_row = max_row
        self.width = 0

    def __iter__(self) -> Iterator[Record]:
        for number, row in enumerate(self._values, start=1):
            if number > self._max_row:
                raise FileRefused(MSG_XLSX_CORRUPT)
            end = len(row)
            while end > self.width and (row[end - 1] is None or row[end - 1] == ""):
                end -= 1
            yield number, [_cell_text(row[i]) for i in range(end)], False


def _cell_text(value: object) -> str:
    """An Excel cell value as the text a user would type for it."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        # Integral floats are how Excel stores IDs and phone numbers; below 2**53 they are exact.
        if value.is_integer() and abs(value) < 2**53:
            return str(int(value))
        return repr(value)
    if isinstance(value, dt.datetime):
        value = _round_to_second(value)
        if value.time() == dt.time(0):
            return value.date().isoformat()
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, dt.time):
        return _round_to_second(dt.datetime.combine(dt.date(2000, 1, 1), value)).strftime(
            "%H:%M:%S"
        )
    if isinstance(value, dt.timedelta):
        seconds = round(value.total_seconds())
        sign, seconds = ("-" if seconds < 0 else ""), abs(seconds)
        return f"{sign}{seconds // 3600}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"
    text = getattr(value, "text", None)  # openpyxl ArrayFormula keeps its "=..." in .text
    if isinstance(text, str):
        return text
    if getattr(value, "t", None) == "dataTable":  # openpyxl DataTableFormula (what-if table)
        return f"=TABLE({getattr(value, 'r1', '') or ''},{getattr(value, 'r2', '') or ''})"
    return str(value)


def _round_to_second(value: dt.datetime) -> dt.datetime:
    """Excel stores times as day fractions, so 14:30 can come back as 14:29:59.999999."""
    if value.microsecond >= 500_000:
        with contextlib.suppress(OverflowError):  # 9999-12-31 23:59:59.5 stays as it is
            value += dt.timedelta(seconds=1)
    return value.replace(microsecond=0)


# --- shared: header, data rows, limits -------------------------------------------------------


def is_blank(cells: list[str]) -> bool:
    """Whether a row holds nothing but whitespace (a blank line is no record)."""
    return not "".join(cells).strip()


def _start(
    records: Iterable[Record], limits: Limits, *, empty_message: str
) -> tuple[list[str], Iterator[Row]]:
    """Find the header (first non-blank record), then make sure a data row follows."""
    it = iter(records)
    for number, cells, _ in it:
        if not is_blank(cells):
            header = _make_header(number, cells, limits)
            break
    else:
        raise FileRefused(empty_message)
    if isinstance(records, _ExcelRecords):
        records.width = len(header)
    rows = _data_rows(it, limits)
    first = next(rows, None)
    if first is None:
        raise FileRefused(MSG_HEADER_ONLY)
    return header, itertools.chain([first], rows)


def _make_header(number: int, cells: list[str], limits: Limits) -> list[str]:
    end = len(cells)
    while end and not cells[end - 1].strip().strip(_HEADER_JUNK).strip():
        end -= 1
    if end > limits.max_columns:
        raise FileRefused(MSG_TOO_MANY_COLUMNS.format(limit=limits.max_columns))
    header: list[str] = []
    seen: dict[str, int] = {}
    for column, cell in enumerate(cells[:end], start=1):
        if len(cell) > limits.max_cell_chars:
            raise FileRefused(MSG_CELL_TOO_LONG.format(row=number, limit=limits.max_cell_chars))
        name = unicodedata.normalize("NFC", cell.strip().strip(_HEADER_JUNK).strip())
        name = name or f"열{column}"
        if name in seen:
            raise FileRefused(
                MSG_DUPLICATE_HEADER.format(name=name, first=seen[name], second=column)
            )
        seen[name] = column
        header.append(name)
    return header


def _data_rows(records: Iterator[Record], limits: Limits) -> Iterator[Row]:
    """Check each record and enforce max_rows.

    Blank rows are held back and yielded only once a non-blank row follows them, so blank
    rows at the end (trailing empty lines, formatted-but-empty Excel rows) are not yielded.
    Held rows are bounded by max_rows; a run too long to ever be yielded is only counted.
    """
    max_rows, max_columns, max_chars = limits.max_rows, limits.max_columns, limits.max_cell_chars
    count = 0
    held: list[Row] = []
    overflow = False
    for number, cells, damaged in records:
        if len(cells) > max_columns:
            raise FileRefused(MSG_TOO_MANY_COLUMNS_ROW.format(limit=max_columns, row=number))
        joined = "".join(cells)
        if len(joined) > max_chars and max(map(len, cells)) > max_chars:
            raise FileRefused(MSG_CELL_TOO_LONG.format(row=number, limit=max_chars))
        if not damaged and (not joined or joined.isspace()):
            if count + len(held) < max_rows:
                held.append(Row(number, cells))
            else:
                overflow = True
            continue
        if overflow or count + len(held) >= max_rows:
            raise FileRefused(MSG_TOO_MANY_ROWS.format(limit=max_rows))
        if held:
            yield from held
            count += len(held)
            held.clear()
        count += 1
        yield Row(number, cells, damaged)


def _format_bytes(size: int) -> str:
    for unit, scale in (("MB", 1024 * 1024), ("KB", 1024)):
        if size >= scale:
            return f"{size / scale:.1f}".removesuffix(".0") + unit
    return f"{size}바이트"
