"""접속기록 (access log): append hash-chained rows, verify the chain, purge, monthly review."""

import hashlib
import json
import logging
import secrets
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from sqlalchemy import delete, event, func, inspect, text
from sqlmodel import Session, SQLModel, col, select

from bigcare import db
from bigcare.auth.models import AccessLog
from bigcare.db import KST, keep_after_rollback, utcnow
from bigcare.errors import Conflict, InvalidInput
from bigcare.privacy.logs import redact

if TYPE_CHECKING:
    from bigcare.auth.service import Actor

log = logging.getLogger(__name__)

GENESIS = "0" * 64
# 개인정보의 안전성 확보조치 기준 제8조: keep access records at least two years.
RETENTION_DAYS = 2 * 365 + 1
# Any one PostgreSQL advisory lock number, used only to serialise appends to the chain.
_CHAIN_LOCK = 7_318_004
# session.info key: rows logged in this transaction, chained when it commits.
_UNSEALED = "bigcare_access_log_unsealed"

# Outcomes
OK, DENIED, NOT_FOUND, FAILED, LOCKED = "ok", "denied", "not_found", "failed", "locked"

ACTION_LABELS = {
    "auth.login": "로그인",
    "auth.logout": "로그아웃",
    "auth.sessions_end": "다른 세션 끝내기",
    "auth.lockout": "계정 잠금",
    "auth.totp": "2단계 인증",
    "auth.totp.enrol": "2단계 인증 등록",
    "auth.recovery_codes": "복구 코드 재발급",
    "auth.password": "비밀번호 변경",
    "access.denied": "권한 없는 접근 시도",
    "user.create": "사용자 생성",
    "user.disable": "사용자 비활성화",
    "user.reset_password": "비밀번호 초기화",
    "user.unlock": "잠금 해제",
    "token.create": "API 토큰 발급",
    "token.revoke": "API 토큰 폐기",
    "person.list": "대상자 목록 조회",
    "person.read": "대상자 조회",
    "person.update": "대상자 수정",
    "person.rrn.reveal": "주민등록번호 전체 보기",
    "person.export": "개인정보 내려받기",
    "import.upload": "시설 자료 받기",
    "import.read": "받은 자료 조회",
    "import.rows.read": "받은 행 조회 (개인정보)",
    "import.row.fix": "받은 행 고치기",
    "import.row.dong": "행정동 지정",
    "import.mapping": "열 매핑 확정",
    "linkage.run": "동일인 연계 실행",
    "linkage.review.list": "동일인 검토 목록 조회",
    "linkage.review.read": "동일인 검토 조회",
    "linkage.review.decide": "동일인 검토 결정",
    "person.merge": "대상자 병합",
    "person.split": "대상자 분리",
    "facility.read": "시설 조회",
    "household.read": "가구 조회",
    "household.relation": "가구원 관계 수정",
    "household.head": "가구주 변경",
    "household.move": "가구원 이동",
    "case.read": "사례 조회",
    "case.list": "사례 목록 조회",
    "case.open": "사례 열기",
    "case.consultation": "초기상담 기록",
    "case.intake": "사례 접수",
    "case.assessment": "욕구·위기도 조사",
    "case.conference": "사례회의 기록",
    "case.classify": "대상자 구분",
    "case.classification": "대상자 구분",
    "case.plan": "서비스 제공계획",
    "case.monitoring": "제공 및 점검",
    "case.reassess": "재사정",
    "case.close": "사례 종결",
    "case.records.read": "사례 기록 조회",
    "case.note.create": "상담 기록 작성",
    "case.attachment.upload": "첨부파일 올리기",
    "case.attachment.download": "첨부파일 내려받기",
    "case.consent.record": "동의 기록",
    "case.consent.withdraw": "동의 철회",
    "case.referral.create": "서비스 의뢰",
    "case.referral.status": "의뢰 상태 변경",
    "rule.update": "방문 규칙 수정",
    "outreach.week.read": "방문 주간 일정 조회",
    "outreach.day.read": "방문 일정(하루) 조회",
    "outreach.plan": "방문 계획 세우기",
    "outreach.replan": "방문 다시 계획",
    "outreach.approve": "방문 계획 승인",
    "outreach.lock": "방문 고정",
    "outreach.unlock": "방문 고정 풀기",
    "outreach.move": "방문 옮기기",
    "outreach.outcome": "방문 결과 입력",
    "outreach.leave": "방문 직원 휴가 기록",
    "outreach.leave.cancel": "방문 직원 휴가 취소",
    "person.move": "대상자 이사 처리",
    "sheet.print": "방문 기록지 인쇄",
    "report.export": "보고서 내려받기",
    "file.download": "파일 내려받기",
    "audit.purge": "접속기록 파기",
    "keys.rotate": "암호키 교체",
}
OUTCOME_LABELS = {OK: "정상", DENIED: "거부", NOT_FOUND: "범위 밖", FAILED: "실패", LOCKED: "잠김"}

# Fields that go into each row's hash, in this order. `id` is left out on purpose: a
# PostgreSQL sequence can skip numbers, so the chain links rows by hash, not by id.
_HASHED = (
    "at",
    "user_id",
    "actor",
    "role",
    "ip",
    "action",
    "outcome",
    "subject_person_id",
    "target",
    "reason",
)


def _row_hash(prev_hash: str, row: AccessLog) -> str:
    values = {}
    for name in _HASHED:
        value = getattr(row, name)
        if isinstance(value, datetime):
            # SQLite hands back naive UTC, PostgreSQL aware in the server's zone: hash one
            # canonical form, naive UTC.
            if value.tzinfo is not None:
                value = value.astimezone(UTC).replace(tzinfo=None)
            value = value.isoformat(timespec="microseconds")
        values[name] = value
    payload = json.dumps(values, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(f"{prev_hash}\n{payload}".encode()).hexdigest()


def _lock_chain(session: Session) -> None:
    # Two transactions sealing at once must not both link to the same previous row.
    # PostgreSQL: an advisory lock held to commit, taken only when the rows are sealed just
    # before the commit. SQLite allows one writer at a time; a transaction whose snapshot went
    # stale fails with "database is locked" rather than forking the chain.
    if session.get_bind().dialect.name == "postgresql":
        session.exec(text(f"SELECT pg_advisory_xact_lock({_CHAIN_LOCK})"))  # type: ignore[call-overload]


def seal(session: Session) -> None:
    """Chain the rows this session logged: each gets the next `seq`, the previous row's hash
    and its own. Runs just before every commit (db.BEFORE_COMMIT and the session event)."""
    pending = [
        row
        for row in session.info.pop(_UNSEALED, [])
        if row in session and not inspect(row).deleted
    ]
    if not pending:
        return
    _lock_chain(session)
    last = session.exec(
        select(AccessLog.seq, AccessLog.hash)
        .where(col(AccessLog.seq).is_not(None))
        .order_by(col(AccessLog.seq).desc())
        .limit(1)
    ).first()
    seq, prev = last if last is not None else (0, GENESIS)
    for row in pending:
        seq += 1
        row.seq, row.prev_hash = seq, prev
        row.hash = prev = _row_hash(row.prev_hash, row)
    session.flush()


db.BEFORE_COMMIT.append(seal)


@event.listens_for(Session, "before_commit")
def _seal_on_commit(session: Session) -> None:
    # Commits outside db.unit_of_work (CLI commands, jobs) seal the same way.
    seal(session)


def record_unseen(
    session: Session,
    *,
    actor: "Actor",
    action: str,
    model: type[SQLModel],
    key: object,
    target: str,
    subject: int | None = None,
) -> None:
    """Log an attempt to read a row the actor may not see, or that does not exist: both get
    the same 404, but the log tells them apart ("person:7 (out of scope)", "... (not found)")."""
    exists = session.get(model, key) is not None
    record(
        session,
        actor=actor,
        action=action,
        outcome=NOT_FOUND,
        subject=subject if exists else None,
        target=f"{target[:160]} ({'out of scope' if exists else 'not found'})",
    )


def record(
    session: Session,
    *,
    actor: "Actor | None",
    action: str,
    subject: int | None = None,
    target: str | None = None,
    reason: str | None = None,
    outcome: str = OK,
    actor_label: str | None = None,
    ip: str | None = None,
) -> AccessLog:
    """Append one access-log row in the caller's transaction (it commits with the work).
    A refused or failed attempt is kept even when the request then fails and rolls back."""
    if outcome != OK:
        kept = {"action": action, "subject": subject, "target": target, "reason": reason}
        keep_after_rollback(
            session,
            lambda again: record(
                again, actor=actor, outcome=outcome, actor_label=actor_label, ip=ip, **kept
            ),
        )
    row = AccessLog(
        at=utcnow(),
        user_id=actor.user_id if actor else None,
        actor=(actor.label if actor else actor_label or "-")[:60],
        role=actor.role.value if actor else None,
        ip=(actor.ip if actor else ip),
        action=action,
        outcome=outcome,
        subject_person_id=subject,
        # A reason is typed by a person: an RRN or phone typed into it is masked, so the
        # access log never becomes a store of plaintext identifiers.
        target=redact(target)[:200] if target else None,
        reason=redact(reason)[:500] if reason else None,
        # Chained by seal() at commit; until then a unique placeholder.
        prev_hash="",
        hash=f"unsealed-{secrets.token_hex(24)}",
    )
    session.add(row)
    session.flush()
    session.info.setdefault(_UNSEALED, []).append(row)
    return row


@dataclass
class VerifyResult:
    """What `bigcare audit verify` found: rows checked and every broken link."""

    checked: int = 0
    problems: list[str] = field(default_factory=list)
    head_id: int | None = None
    head_hash: str | None = None

    @property
    def ok(self) -> bool:
        return not self.problems


def verify_chain(session: Session, *, batch_size: int = 5000) -> VerifyResult:
    """Recompute every row's hash in order; report edited rows and broken links."""
    result = VerifyResult()
    seal(session)  # this transaction's own rows first
    unsealed = session.exec(
        select(func.count()).select_from(AccessLog).where(col(AccessLog.seq).is_(None))
    ).one()
    if unsealed:
        result.problems.append(f"체인에 묶이지 않은 기록이 {unsealed}건 있습니다")
    prev_hash: str | None = None
    last_seq = 0
    while True:
        rows = session.exec(
            select(AccessLog)
            .where(col(AccessLog.seq) > last_seq)
            .order_by(col(AccessLog.seq))
            .limit(batch_size)
        ).all()
        if not rows:
            break
        for row in rows:
            # The first surviving row may link to rows purged after their retention period.
            if prev_hash is not None and row.prev_hash != prev_hash:
                result.problems.append(
                    f"{row.id}번 기록의 이전 해시가 앞 기록과 이어지지 않습니다 "
                    "(앞 기록이 삭제되었거나 바뀌었습니다)"
                )
            if _row_hash(row.prev_hash, row) != row.hash:
                result.problems.append(f"{row.id}번 기록의 내용이 기록된 뒤 바뀌었습니다")
            prev_hash = row.hash
            result.checked += 1
            result.head_id, result.head_hash = row.id, row.hash
        last_seq = rows[-1].seq or last_seq
        for row in rows:  # keep memory flat over millions of rows
            session.expunge(row)
    return result


def purge_before(session: Session, *, actor_label: str, before: date) -> int:
    """Delete rows older than `before`; refuses to touch rows younger than two years."""
    oldest_allowed = (utcnow() - timedelta(days=RETENTION_DAYS)).date()
    if before > oldest_allowed:
        raise Conflict(
            f"접속기록은 2년 이상 보관해야 합니다. {oldest_allowed.isoformat()} 이전 기록만 "
            "파기할 수 있습니다."
        )
    cutoff = _kst_day_start(before)
    deleted = session.execute(delete(AccessLog).where(col(AccessLog.at) < cutoff)).rowcount
    record(
        session,
        actor=None,
        actor_label=actor_label,
        action="audit.purge",
        target=f"before {before.isoformat()}: {deleted} rows",
    )
    log.info("access log purge before %s removed %d rows", before.isoformat(), deleted)
    return deleted


# --- listing and the monthly review -----------------------------------------------------


@dataclass
class LogFilter:
    """The access-log page's filters; all optional."""

    user_id: int | None = None
    actor: str | None = None
    action: str | None = None
    outcome: str | None = None
    subject_person_id: int | None = None
    date_from: date | None = None
    date_to: date | None = None


def parse_month(text: str) -> date:
    """ "2026-11" → 2026-11-01. Raises InvalidInput."""
    try:
        year, month = (int(part) for part in text.split("-"))
        return date(year, month, 1)
    except ValueError:
        raise InvalidInput("월은 YYYY-MM 형식으로 입력하세요 (예: 2026-11)") from None


def _kst_day_start(day: date) -> datetime:
    # In UTC: SQLite keeps the UTC wall time and would drop a KST offset from the bound.
    return datetime.combine(day, time.min, tzinfo=KST).astimezone(UTC)


def list_entries(
    session: Session, *, filters: LogFilter, page: int = 1, per_page: int = 50
) -> tuple[list[AccessLog], int]:
    """One page of the log, newest first, and the total matching."""
    query = select(AccessLog)
    if filters.user_id is not None:
        query = query.where(AccessLog.user_id == filters.user_id)
    if filters.actor:
        query = query.where(AccessLog.actor == filters.actor)
    if filters.action:
        query = query.where(AccessLog.action == filters.action)
    if filters.outcome:
        query = query.where(AccessLog.outcome == filters.outcome)
    if filters.subject_person_id is not None:
        query = query.where(AccessLog.subject_person_id == filters.subject_person_id)
    if filters.date_from:
        query = query.where(col(AccessLog.at) >= _kst_day_start(filters.date_from))
    if filters.date_to:
        query = query.where(col(AccessLog.at) < _kst_day_start(filters.date_to + timedelta(1)))
    if filters.date_from and filters.date_to and filters.date_from > filters.date_to:
        raise InvalidInput("시작일이 종료일보다 늦습니다")
    total = session.exec(select(func.count()).select_from(query.subquery())).one()
    rows = session.exec(
        query.order_by(col(AccessLog.id).desc()).offset((page - 1) * per_page).limit(per_page)
    ).all()
    return list(rows), total


# Thresholds of the monthly review (점검): what a reviewer should look at, not proof of misuse.
REVEALS_PER_MONTH = 30
WORK_START, WORK_END = time(7, 0), time(21, 0)


@dataclass
class ReviewFinding:
    """One pattern worth a reviewer's look, with the rows behind it."""

    kind: str
    actor: str
    count: int
    detail: str


@dataclass
class MonthlyReview:
    month: date
    total: int
    by_action: Counter[str]
    findings: list[ReviewFinding]


def monthly_review(session: Session, *, month: date) -> MonthlyReview:
    """Unusual patterns in one month: many reveals by one account, access outside working
    hours or at weekends, out-of-scope and denied attempts, lockouts."""
    start = _kst_day_start(month.replace(day=1))
    next_month = (month.replace(day=28) + timedelta(days=4)).replace(day=1)
    end = _kst_day_start(next_month)
    rows = session.exec(
        select(AccessLog)
        .where(col(AccessLog.at) >= start, col(AccessLog.at) < end)
        .order_by(col(AccessLog.id))
    ).all()
    by_action: Counter[str] = Counter(r.action for r in rows)
    reveals: Counter[str] = Counter()
    after_hours: defaultdict[str, list[datetime]] = defaultdict(list)
    refused: Counter[str] = Counter()
    lockouts: Counter[str] = Counter()
    for row in rows:
        if row.action in ("person.rrn.reveal", "person.export", "report.export"):
            reveals[row.actor] += 1
        if row.subject_person_id is not None and row.outcome == OK:
            local = row.at.replace(tzinfo=row.at.tzinfo or ZoneInfo("UTC")).astimezone(KST)
            if local.weekday() >= 5 or not WORK_START <= local.time() < WORK_END:
                after_hours[row.actor].append(local)
        if row.outcome in (DENIED, NOT_FOUND):
            refused[row.actor] += 1
        if row.action == "auth.lockout":
            lockouts[row.actor] += 1
    findings = [
        ReviewFinding(
            "reveals",
            actor,
            n,
            f"주민등록번호 전체 보기·내려받기 {n}회 (기준 {REVEALS_PER_MONTH}회)",
        )
        for actor, n in reveals.most_common()
        if n >= REVEALS_PER_MONTH
    ]
    findings += [
        ReviewFinding(
            "after_hours",
            actor,
            len(times),
            "근무시간(평일 07~21시) 밖 개인정보 조회 "
            + ", ".join(t.strftime("%m-%d %H:%M") for t in times[:5])
            + (" 외" if len(times) > 5 else ""),
        )
        for actor, times in sorted(after_hours.items(), key=lambda kv: -len(kv[1]))
    ]
    findings += [
        ReviewFinding("refused", actor, n, f"권한·범위 밖 접근 시도 {n}회")
        for actor, n in refused.most_common()
    ]
    findings += [
        ReviewFinding("lockout", actor, n, f"비밀번호 5회 오류로 계정 잠김 {n}회")
        for actor, n in lockouts.most_common()
    ]
    return MonthlyReview(
        month=month.replace(day=1), total=len(rows), by_action=by_action, findings=findings
    )
