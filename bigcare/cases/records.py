"""A case's records: notes (Markdown, immutable), attachments (sealed files judged by their
content), the person's consents and the case's referrals, which need a consent in force.
Every read and change is access-logged; a case outside the actor's scope is a 404."""

import base64
import contextlib
import hashlib
import io
import os
import re
import secrets
import unicodedata
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import BinaryIO, NoReturn

from sqlmodel import Session, col, or_, select

from bigcare.auth import audit
from bigcare.auth.permissions import ScopeKind
from bigcare.auth.service import Actor
from bigcare.cases.models import Attachment, Case, CaseNote, Consent, Referral
from bigcare.districts.models import Dong, Gu
from bigcare.errors import Conflict, FieldError, InvalidInput, NotFound
from bigcare.facilities import readers
from bigcare.facilities.models import Facility
from bigcare.privacy.crypto import DataKeyError, Keyring

CASE_NOT_FOUND = "사례를 찾을 수 없습니다"
NOTE_MAX_CHARS = 10_000
FILENAME_MAX = 200
SERVICE_MAX = 100
REASON_MAX = 2_000
GIVEN_BY_NAME_MAX = 40
WITHDRAW_REASON_MAX = 500

PURPOSES = {"collect": "개인정보 수집·이용", "share": "제3자 정보제공", "referral": "서비스 의뢰"}
GIVEN_BY = {"self": "본인", "guardian": "법정대리인", "family": "가족"}
METHODS = {"written": "서면", "verbal": "구두", "electronic": "전자"}
REFERRAL_STATUSES = {"sent": "의뢰함", "accepted": "수락", "declined": "거절", "done": "완료"}
CONSENT_STATES = {
    "in_force": "유효",
    "withdrawn": "철회됨",
    "expired": "만료됨",
    "pending": "시작 전",
}
# Where a referral may go from each status; declined and done are final.
NEXT_STATUSES = {"sent": ("accepted", "declined"), "accepted": ("done",)}
# Purposes that allow passing the person's details to a facility with a referral.
REFERRAL_PURPOSES = ("referral", "share")


# --- the case, in scope --------------------------------------------------------------------


def get_scoped_case(session: Session, *, actor: Actor, case_id: int, action: str) -> Case:
    """The case if its dong is in the actor's scope. Raises NotFound (out of scope too), and
    logs the attempt so the monthly review sees it."""
    query = select(Case).where(Case.id == case_id, actor.dong_clause(col(Case.dong_code)))
    case = session.exec(query).first()
    if case is None:
        existing = session.get(Case, case_id)
        audit.record_unseen(
            session,
            actor=actor,
            action=action,
            model=Case,
            key=case_id,
            target=f"case:{case_id}",
            subject=existing.person_id if existing else None,
        )
        raise NotFound(CASE_NOT_FOUND)
    return case


def _log(session: Session, actor: Actor, action: str, case: Case, target: str) -> None:
    audit.record(session, actor=actor, action=action, subject=case.person_id, target=target)


# --- what the records page shows -----------------------------------------------------------


@dataclass
class FacilityChoice:
    """A facility offered in the consent and referral forms."""

    code: str
    name: str
    gu_name: str
    dong_name: str
    near: bool  # in the actor's gu: offered first


@dataclass
class ConsentRow:
    """A consent with the facility it names and whether it is in force today."""

    consent: Consent
    facility_name: str | None
    state: str  # in_force, withdrawn, expired, pending (given_on after today)

    @property
    def in_force(self) -> bool:
        return self.state == "in_force"

    @property
    def state_label(self) -> str:
        return CONSENT_STATES[self.state]

    @property
    def purpose_label(self) -> str:
        return PURPOSES.get(self.consent.purpose, self.consent.purpose)

    @property
    def given_by_label(self) -> str:
        return GIVEN_BY.get(self.consent.given_by, self.consent.given_by)

    @property
    def method_label(self) -> str:
        return METHODS.get(self.consent.method, self.consent.method)


@dataclass
class ReferralRow:
    """A referral with its facility's name and the statuses it may move to."""

    referral: Referral
    facility_name: str

    @property
    def status_label(self) -> str:
        return REFERRAL_STATUSES.get(self.referral.status, self.referral.status)

    @property
    def next_statuses(self) -> dict[str, str]:
        return {s: REFERRAL_STATUSES[s] for s in NEXT_STATUSES.get(self.referral.status, ())}


@dataclass
class CaseRecords:
    """Notes (newest first), attachments, the person's consents and the case's referrals."""

    case: Case
    today: date
    notes: list[CaseNote]
    attachments: list[Attachment]
    consents: list[ConsentRow]
    referrals: list[ReferralRow]
    facilities: list[FacilityChoice] = field(default_factory=list)
    # The forms' choices, so a page that includes the records partial needs nothing else.
    purposes: dict[str, str] = field(default_factory=lambda: dict(PURPOSES))
    given_by: dict[str, str] = field(default_factory=lambda: dict(GIVEN_BY))
    methods: dict[str, str] = field(default_factory=lambda: dict(METHODS))


def consent_state(consent: Consent, *, today: date) -> str:
    """in_force, or why not: withdrawn (on or before today), expired, pending (given later)."""
    if consent.withdrawn_on is not None and consent.withdrawn_on <= today:
        return "withdrawn"
    if consent.expires_on is not None and consent.expires_on < today:
        return "expired"
    if consent.given_on > today:
        return "pending"
    return "in_force"


def consent_in_force(consent: Consent, *, today: date) -> bool:
    """Given by today, not withdrawn (or withdrawn only after today), not expired."""
    return consent_state(consent, today=today) == "in_force"


def _actor_gu(session: Session, actor: Actor) -> str | None:
    if actor.scope_kind is ScopeKind.GU:
        return actor.scope_code
    if actor.scope_kind is ScopeKind.DONG and actor.scope_code:
        dong = session.get(Dong, actor.scope_code)
        return dong.gu_code if dong else None
    return None


def facility_choices(session: Session, *, actor: Actor | None) -> list[FacilityChoice]:
    """Every facility, those in the actor's gu first (a referral may go anywhere in Seoul)."""
    gu_code = _actor_gu(session, actor) if actor else None
    rows = session.exec(
        select(Facility, Dong, Gu)
        .join(Dong, col(Dong.code) == Facility.dong_code)
        .join(Gu, col(Gu.code) == Dong.gu_code)
        .order_by(Gu.name, Facility.name, Facility.code)
    ).all()
    choices = [
        FacilityChoice(f.code, f.name, g.name, d.name, near=g.code == gu_code) for f, d, g in rows
    ]
    return sorted(choices, key=lambda c: not c.near)  # stable: keeps the name order


def case_records(
    session: Session, *, case_id: int, today: date, actor: Actor | None = None
) -> CaseRecords:
    """The records of a case the caller has already read in scope (and logged); with an
    actor, also the facilities for the forms (the actor's gu first)."""
    case = session.get(Case, case_id)
    if case is None:
        raise NotFound(CASE_NOT_FOUND)
    notes = session.exec(
        select(CaseNote)
        .where(CaseNote.case_id == case_id)
        .order_by(col(CaseNote.created_at).desc(), col(CaseNote.id).desc())
    ).all()
    attachments = session.exec(
        select(Attachment).where(Attachment.case_id == case_id).order_by(col(Attachment.id))
    ).all()
    consents = session.exec(
        select(Consent, Facility.name)
        .outerjoin(Facility, col(Facility.code) == Consent.facility_code)
        .where(Consent.person_id == case.person_id)
        .order_by(col(Consent.given_on).desc(), col(Consent.id).desc())
    ).all()
    referrals = session.exec(
        select(Referral, Facility.name)
        .join(Facility, col(Facility.code) == Referral.facility_code)
        .where(Referral.case_id == case_id)
        .order_by(col(Referral.id).desc())
    ).all()
    return CaseRecords(
        case=case,
        today=today,
        notes=list(notes),
        attachments=list(attachments),
        consents=[ConsentRow(c, name, consent_state(c, today=today)) for c, name in consents],
        referrals=[ReferralRow(r, name) for r, name in referrals],
        facilities=facility_choices(session, actor=actor) if actor else [],
    )


def get_case_records(session: Session, *, actor: Actor, case_id: int, today: date) -> CaseRecords:
    """case_records for a case in the actor's scope; the read is access-logged."""
    case = get_scoped_case(session, actor=actor, case_id=case_id, action="case.records.read")
    _log(session, actor, "case.records.read", case, f"case:{case_id}")
    return case_records(session, case_id=case_id, today=today, actor=actor)


# --- input helpers -------------------------------------------------------------------------


def _text(value: str) -> str:
    """NFC, Unix line ends, no surrounding blank space."""
    return unicodedata.normalize("NFC", value).replace("\r\n", "\n").replace("\r", "\n").strip()


def _date(value: date | str | None, name: str, errors: list[FieldError]) -> date | None:
    if value is None or isinstance(value, date):
        return value
    value = value.strip()
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        errors.append(FieldError(name, "날짜를 YYYY-MM-DD 형식으로 입력하세요"))
        return None


def _raise(errors: list[FieldError]) -> None:
    if errors:
        raise InvalidInput(errors[0].message, errors)


def _facility(
    session: Session, code: str | None, name: str, errors: list[FieldError]
) -> Facility | None:
    code = (code or "").strip()
    if not code:
        return None
    facility = session.get(Facility, code)
    if facility is None:
        errors.append(FieldError(name, "목록에 없는 기관입니다"))
    return facility


# --- notes ---------------------------------------------------------------------------------


def add_note(session: Session, *, actor: Actor, case_id: int, body: str) -> CaseNote:
    """A new note on the case (notes are never edited: a correction is a new note).
    Raises NotFound, InvalidInput."""
    case = get_scoped_case(session, actor=actor, case_id=case_id, action="case.note.create")
    body = _text(body)
    if not body:
        _raise([FieldError("body", "기록할 내용을 입력하세요")])
    if len(body) > NOTE_MAX_CHARS:
        message = f"기록은 {NOTE_MAX_CHARS:,}자까지 쓸 수 있습니다 (지금 {len(body):,}자)"
        _raise([FieldError("body", message)])
    note = CaseNote(
        case_id=case_id,
        person_id=case.person_id,
        body=body,
        actor_id=actor.user_id,
        actor_label=actor.label[:60],
    )
    session.add(note)
    session.flush()
    _log(session, actor, "case.note.create", case, f"case:{case_id} note:{note.id}")
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
    case = get_scoped_case(session, actor=actor, case_id=case_id, action="case.attachment.upload")
    if not filename.strip():
        _raise([FieldError("file", MSG_NO_FILE)])
    data = stream.read(store.max_bytes + 1)
    if len(data) > store.max_bytes:
        _raise([FieldError("file", MSG_TOO_BIG.format(limit=_size_label(store.max_bytes)))])
    if not data:
        _raise([FieldError("file", MSG_EMPTY_FILE)])
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
            actor_label=actor.label[:60],
        )
        session.add(attachment)
        session.flush()
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    _log(session, actor, "case.attachment.upload", case, f"case:{case_id} file:{attachment.id}")
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
    case = get_scoped_case(session, actor=actor, case_id=case_id, action=action)
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
    _log(session, actor, action, case, f"case:{case_id} file:{attachment_id}")
    return attachment, data


# --- consents ------------------------------------------------------------------------------


def record_consent(
    session: Session,
    *,
    actor: Actor,
    case_id: int,
    today: date,
    purpose: str,
    facility_code: str | None,
    given_by: str,
    given_by_name: str | None,
    method: str,
    given_on: date | str | None,
    expires_on: date | str | None = None,
) -> Consent:
    """Record the case's person's consent (for one facility, or any when none is named).
    Raises NotFound, InvalidInput."""
    case = get_scoped_case(session, actor=actor, case_id=case_id, action="case.consent.record")
    errors: list[FieldError] = []
    if purpose not in PURPOSES:
        errors.append(FieldError("purpose", "동의 내용을 고르세요"))
    facility = _facility(session, facility_code, "consent_facility", errors)
    if given_by not in GIVEN_BY:
        errors.append(FieldError("given_by", "동의한 사람을 고르세요"))
    name = " ".join((given_by_name or "").split()) or None
    if given_by in ("guardian", "family") and not name:
        errors.append(FieldError("given_by_name", f"{GIVEN_BY[given_by]}의 이름을 입력하세요"))
    elif name and len(name) > GIVEN_BY_NAME_MAX:
        errors.append(FieldError("given_by_name", f"이름은 {GIVEN_BY_NAME_MAX}자까지입니다"))
    if method not in METHODS:
        errors.append(FieldError("method", "동의 방법을 고르세요"))
    given = _date(given_on, "given_on", errors)
    expires = _date(expires_on, "expires_on", errors)
    if given is None and not any(e.field == "given_on" for e in errors):
        errors.append(FieldError("given_on", "동의한 날을 입력하세요"))
    elif given is not None and given > today:
        errors.append(FieldError("given_on", f"동의한 날은 오늘({today}) 이후일 수 없습니다"))
    if given and expires and expires < given:
        errors.append(FieldError("expires_on", "만료일은 동의한 날 이후여야 합니다"))
    _raise(errors)
    assert given is not None
    consent = Consent(
        person_id=case.person_id,
        case_id=case_id,
        purpose=purpose,
        facility_code=facility.code if facility else None,
        given_by=given_by,
        given_by_name=None if given_by == "self" else name,
        method=method,
        given_on=given,
        expires_on=expires,
        recorded_by=actor.user_id,
        recorded_by_label=actor.label[:60],
    )
    session.add(consent)
    session.flush()
    _log(session, actor, "case.consent.record", case, f"case:{case_id} consent:{consent.id}")
    return consent


def withdraw_consent(
    session: Session,
    *,
    actor: Actor,
    case_id: int,
    consent_id: int,
    withdrawn_on: date | str | None,
    reason: str = "",
) -> Consent:
    """Record that the person withdrew a consent (from withdrawn_on on).
    Raises NotFound, InvalidInput, Conflict (already withdrawn)."""
    action = "case.consent.withdraw"
    case = get_scoped_case(session, actor=actor, case_id=case_id, action=action)
    consent = session.get(Consent, consent_id)
    if consent is None or consent.person_id != case.person_id:
        raise NotFound("동의 기록을 찾을 수 없습니다")
    if consent.withdrawn_on is not None:
        raise Conflict(f"이 동의는 이미 {consent.withdrawn_on}에 철회되었습니다")
    errors: list[FieldError] = []
    on = _date(withdrawn_on, "withdrawn_on", errors)
    if on is None and not errors:
        errors.append(FieldError("withdrawn_on", "철회한 날을 입력하세요"))
    elif on is not None and on < consent.given_on:
        errors.append(FieldError("withdrawn_on", "철회한 날은 동의한 날 이후여야 합니다"))
    reason = " ".join(reason.split())
    if len(reason) > WITHDRAW_REASON_MAX:
        errors.append(
            FieldError("withdrawn_reason", f"사유는 {WITHDRAW_REASON_MAX}자까지 쓸 수 있습니다")
        )
    _raise(errors)
    consent.withdrawn_on, consent.withdrawn_reason = on, reason or None
    session.add(consent)
    session.flush()
    _log(session, actor, action, case, f"case:{case_id} consent:{consent_id}")
    return consent


# --- referrals -----------------------------------------------------------------------------


def find_referral_consent(
    session: Session, *, person_id: int, facility_code: str, today: date
) -> Consent | None:
    """A consent in force that lets the person be referred to this facility: purpose
    referral or share, naming this facility or any. Prefers referral, then the named one."""
    found = session.exec(
        select(Consent).where(
            Consent.person_id == person_id,
            col(Consent.purpose).in_(REFERRAL_PURPOSES),
            or_(col(Consent.facility_code).is_(None), Consent.facility_code == facility_code),
        )
    ).all()
    usable = [c for c in found if consent_in_force(c, today=today)]
    usable.sort(key=lambda c: (c.purpose != "referral", c.facility_code is None, -(c.id or 0)))
    return usable[0] if usable else None


def refer(
    session: Session,
    *,
    actor: Actor,
    case_id: int,
    today: date,
    facility_code: str,
    service: str,
    reason: str,
) -> Referral:
    """Refer the case's person to a facility for a service, under a consent in force.
    Raises NotFound, InvalidInput, Conflict (no consent covers the facility)."""
    case = get_scoped_case(session, actor=actor, case_id=case_id, action="case.referral.create")
    errors: list[FieldError] = []
    facility = _facility(session, facility_code, "referral_facility", errors)
    if not facility_code.strip():
        errors.append(FieldError("referral_facility", "의뢰할 기관을 고르세요"))
    service = " ".join(service.split())
    if not service:
        errors.append(FieldError("service", "의뢰할 서비스를 입력하세요"))
    elif len(service) > SERVICE_MAX:
        errors.append(FieldError("service", f"서비스는 {SERVICE_MAX}자까지입니다"))
    reason = _text(reason)
    if not reason:
        errors.append(FieldError("reason", "의뢰 사유를 입력하세요"))
    elif len(reason) > REASON_MAX:
        errors.append(FieldError("reason", f"사유는 {REASON_MAX:,}자까지 쓸 수 있습니다"))
    _raise(errors)
    assert facility is not None
    consent = find_referral_consent(
        session, person_id=case.person_id, facility_code=facility.code, today=today
    )
    if consent is None:
        raise Conflict(
            f"{facility.name}에 의뢰하려면 대상자의 서비스 의뢰(또는 제3자 정보제공) 동의가 "
            "필요합니다. 동의를 먼저 기록하세요."
        )
    referral = Referral(
        case_id=case_id,
        facility_code=facility.code,
        service=service,
        reason=reason,
        consent_id=consent.id or 0,
        actor_id=actor.user_id,
        actor_label=actor.label[:60],
    )
    session.add(referral)
    session.flush()
    _log(session, actor, "case.referral.create", case, f"case:{case_id} referral:{referral.id}")
    return referral


def update_referral_status(
    session: Session, *, actor: Actor, case_id: int, referral_id: int, status: str
) -> Referral:
    """Move a referral on: sent → accepted or declined, accepted → done.
    Raises NotFound, InvalidInput (a move that is not allowed)."""
    action = "case.referral.status"
    case = get_scoped_case(session, actor=actor, case_id=case_id, action=action)
    referral = session.get(Referral, referral_id)
    if referral is None or referral.case_id != case_id:
        raise NotFound("의뢰 기록을 찾을 수 없습니다")
    allowed: Sequence[str] = NEXT_STATUSES.get(referral.status, ())
    if status not in allowed:
        now = REFERRAL_STATUSES.get(referral.status, referral.status)
        choices = ", ".join(REFERRAL_STATUSES[s] for s in allowed)
        message = (
            f"'{now}' 상태에서는 {choices}(으)로만 바꿀 수 있습니다"
            if allowed
            else f"'{now}' 상태의 의뢰는 더 바꿀 수 없습니다"
        )
        _raise([FieldError("status", message)])
    referral.status = status
    session.add(referral)
    session.flush()
    target = f"case:{case_id} referral:{referral_id} {status}"
    _log(session, actor, action, case, target)
    return referral
