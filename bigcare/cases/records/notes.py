"""A case's notes (Markdown, immutable: a correction is a new note) and attachments (sealed
files judged by their content, stored outside the web root). Every upload, download and note
is access-logged; a case outside the actor's scope is a 404."""

import base64
import contextlib
import hashlib
import io
import os
import re
import secrets
import unicodedata
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, NoReturn

from sqlmodel import Session

from bigcare.auth.service import Actor
from bigcare.cases import workflow
from bigcare.cases.models import Attachment, CaseNote
from bigcare.cases.records import common
from bigcare.errors import Conflict, FieldError, InvalidInput, NotFound
from bigcare.facilities import readers
from bigcare.privacy.crypto import DataKeyError, Keyring

NOTE_MAX_CHARS = 10_000
FILENAME_MAX = 200

# --- notes ---------------------------------------------------------------------------------


def add_note(session: Session, *, actor: Actor, case_id: int, body: str) -> CaseNote:
    """A new note on the case (notes are never edited: a correction is a new note).
    Raises NotFound, InvalidInput."""
    case = workflow.get_scoped_case(
        session, actor=actor, case_id=case_id, action="case.note.create"
    )
    body = common.clean_text(body)
    if not body:
        common.raise_errors([FieldError("body", "기록할 내용을 입력하세요")])
    if len(body) > NOTE_MAX_CHARS:
        message = f"기록은 {NOTE_MAX_CHARS:,}자까지 쓸 수 있습니다 (지금 {len(body):,}자)"
        common.raise_errors([FieldError("body", message)])
    note = CaseNote(
        case_id=case_id,
        person_id=case.person_id,
        body=body,
        actor_id=actor.user_id,
        actor_label=actor.signature,
    )
    session.add(note)
    session.flush()
    common.log(session, actor, "case.note.create", case, f"case:{case_id} note:{note.id}")
    return note


# --- attachments ---------------------------------------------------------------------------

ATTACHMENT_CONTEXT = "attachment"
ALLOWED_TYPES = (
    "PDF, 이미지(PNG·JPEG), 한글(HWP·HWPX), 워드·엑셀·파워포인트(DOCX·XLSX·PPTX), 텍스트(UTF-8)"
)
MSG_NO_FILE = "올릴 파일을 고르세요"
MSG_EMPTY_FILE = "빈 파일입니다"
MSG_TOO_BIG = "파일이 너무 큽니다: 최대 {limit}까지 올릴 수 있습니다"
MSG_WRONG_TYPE = "올릴 수 없는 파일 형식입니다{what}. 올릴 수 있는 형식: " + ALLOWED_TYPES
MSG_DAMAGED = "첨부파일을 열 수 없습니다 (저장된 파일이 없거나 손상되었습니다)"
_STORED_NAME = re.compile(r"[0-9a-f]{32}\.sealed")
_UNSAFE_NAME_CHARS = re.compile(r"[\x00-\x1f\x7f\"*:<>?|]")


@dataclass(frozen=True)
class FileKind:
    """A content type we accept and the file-name endings that go with it."""

    content_type: str
    extensions: tuple[str, ...]


PDF = FileKind("application/pdf", (".pdf",))
PNG = FileKind("image/png", (".png",))
JPEG = FileKind("image/jpeg", (".jpg", ".jpeg"))
HWP = FileKind("application/x-hwp", (".hwp",))
HWPX = FileKind("application/hwp+zip", (".hwpx",))
DOCX = FileKind(
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document", (".docx",)
)
XLSX = FileKind("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", (".xlsx",))
PPTX = FileKind(
    "application/vnd.openxmlformats-officedocument.presentationml.presentation", (".pptx",)
)
TEXT = FileKind("text/plain; charset=utf-8", (".txt", ".md", ".csv"))
# Zip-based documents, told apart by the part only that kind has.
_ZIP_PARTS = (
    ("word/document.xml", DOCX),
    ("xl/workbook.xml", XLSX),
    ("ppt/presentation.xml", PPTX),
    ("Contents/content.hpf", HWPX),
)
# Control characters a text file does not hold (tab, newlines and form feed are fine).
_BINARY_CHARS = re.compile("[\x00-\x08\x0b\x0e-\x1f\x7f]")


@dataclass(frozen=True)
class AttachmentStore:
    """Where sealed attachments live (outside the web root) and the largest accepted file."""

    folder: Path
    max_bytes: int


def sniff(data: bytes) -> FileKind:
    """The file's kind judged by its content, never its name. Raises InvalidInput."""
    if data.startswith(b"%PDF-"):
        return PDF
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if data.startswith(b"\xff\xd8\xff"):
        return JPEG
    if data.startswith(readers.OLE2_MAGIC):
        # The facility intake's reader of compound-file directories: HWP 5 has FileHeader.
        names = readers._ole_stream_names(io.BytesIO(data))
        if "FileHeader" in names or any(n.endswith("HwpSummaryInformation") for n in names):
            return HWP
        _refuse(" (한글 문서가 아닌 구형 오피스 파일입니다. 새 형식(DOCX·XLSX)으로 저장하세요)")
    if data.startswith(readers.ZIP_MAGIC):
        return _sniff_zip(data)
    if data.startswith(b"MZ"):
        _refuse(" (실행 파일)")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        _refuse("")
    if _BINARY_CHARS.search(text):
        _refuse("")
    return TEXT


def _sniff_zip(data: bytes) -> FileKind:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            names = set(zf.namelist())
            mimetype = zf.read("mimetype")[:100] if "mimetype" in names else b""
    except (zipfile.BadZipFile, OSError, EOFError, ValueError, NotImplementedError, KeyError):
        _refuse(" (손상된 압축 파일)")
    if mimetype.startswith(b"application/hwp+zip"):
        return HWPX
    for part, kind in _ZIP_PARTS:
        if part in names:
            return kind
    _refuse(" (압축(ZIP) 파일)")


def _refuse(what: str) -> NoReturn:
    message = MSG_WRONG_TYPE.format(what=what)
    raise InvalidInput(message, [FieldError("file", message)])


def clean_filename(name: str, kind: FileKind) -> str:
    """The uploaded name without folders or control characters, at most 200 characters, and
    ending in an extension of the kind it really is (so a PDF named .exe opens as a PDF)."""
    name = unicodedata.normalize("NFC", name).replace("\\", "/").rsplit("/", 1)[-1]
    name = _UNSAFE_NAME_CHARS.sub("_", name).strip().lstrip(".").strip() or "첨부파일"
    stem, dot, ext = name.rpartition(".")
    if not dot or f".{ext.lower()}" not in kind.extensions:
        stem, ext = name, kind.extensions[0].lstrip(".")
    return stem[: FILENAME_MAX - len(ext) - 1].rstrip() + "." + ext


def _size_label(size: int) -> str:
    if size >= 1024 * 1024:
        return f"{size / (1024 * 1024):.1f}".removesuffix(".0") + "MB"
    if size >= 1024:
        return f"{size / 1024:.1f}".removesuffix(".0") + "KB"
    return f"{size}바이트"


def _context(stored_as: str) -> str:
    # Bound to the file's own name: a sealed file copied over another does not open.
    return f"{ATTACHMENT_CONTEXT}:{stored_as}"


def add_attachment(
    session: Session,
    *,
    actor: Actor,
    keyring: Keyring,
    store: AttachmentStore,
    case_id: int,
    filename: str,
    stream: BinaryIO,
) -> Attachment:
    """Store an uploaded file sealed under a random name. Reads at most max_bytes + 1 bytes;
    a too big, empty or disallowed file is refused before anything is written.
    Raises NotFound, InvalidInput."""
    case = workflow.get_scoped_case(
        session, actor=actor, case_id=case_id, action="case.attachment.upload"
    )
    if not filename.strip():
        common.raise_errors([FieldError("file", MSG_NO_FILE)])
    data = stream.read(store.max_bytes + 1)
    if len(data) > store.max_bytes:
        common.raise_errors(
            [FieldError("file", MSG_TOO_BIG.format(limit=_size_label(store.max_bytes)))]
        )
    if not data:
        common.raise_errors([FieldError("file", MSG_EMPTY_FILE)])
    kind = sniff(data)
    stored_as = f"{secrets.token_hex(16)}.sealed"
    sealed = keyring.seal(base64.b64encode(data).decode("ascii"), context=_context(stored_as))
    path = _write(store.folder, stored_as, sealed.encode("ascii"))
    try:
        attachment = Attachment(
            case_id=case_id,
            filename=clean_filename(filename, kind),
            content_type=kind.content_type,
            size=len(data),
            sha256=hashlib.sha256(data).hexdigest(),
            stored_as=stored_as,
            actor_id=actor.user_id,
            actor_label=actor.signature,
        )
        session.add(attachment)
        session.flush()
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    common.log(
        session, actor, "case.attachment.upload", case, f"case:{case_id} file:{attachment.id}"
    )
    return attachment


def _write(folder: Path, name: str, content: bytes) -> Path:
    """Write a new file in one step (a temporary name, then rename), readable by us only."""
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    path = folder / name
    tmp = folder / f".{name}.tmp"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(content)
            handle.flush()
            os.fsync(handle.fileno())
        tmp.replace(path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
        raise
    return path


def open_attachment(
    session: Session,
    *,
    actor: Actor,
    keyring: Keyring,
    store: AttachmentStore,
    case_id: int,
    attachment_id: int,
) -> tuple[Attachment, bytes]:
    """An attachment of a case in scope and its plain bytes; the download is access-logged.
    Raises NotFound, Conflict (the stored file is missing or damaged)."""
    action = "case.attachment.download"
    case = workflow.get_scoped_case(session, actor=actor, case_id=case_id, action=action)
    attachment = session.get(Attachment, attachment_id)
    if attachment is None or attachment.case_id != case_id:
        raise NotFound("첨부파일을 찾을 수 없습니다")
    if not _STORED_NAME.fullmatch(attachment.stored_as):
        raise Conflict(MSG_DAMAGED)
    try:
        token = (store.folder / attachment.stored_as).read_text(encoding="ascii")
        data = base64.b64decode(keyring.open(token, context=_context(attachment.stored_as)))
    except (OSError, UnicodeDecodeError, ValueError, DataKeyError) as exc:
        raise Conflict(MSG_DAMAGED) from exc
    if hashlib.sha256(data).hexdigest() != attachment.sha256:
        raise Conflict(MSG_DAMAGED)
    common.log(session, actor, action, case, f"case:{case_id} file:{attachment_id}")
    return attachment, data
