"""접속기록: the hash chain finds edited and deleted rows; purging keeps two years; the monthly
review points at many reveals, after-hours reads and refused attempts."""

import itertools
from datetime import date, datetime, time, timedelta

import pytest
import time_machine
from sqlalchemy import delete, func, select, text, update
from sqlmodel import Session, col

from bigcare.auth import audit
from bigcare.auth.models import AccessLog
from bigcare.db import KST, utcnow
from bigcare.errors import Conflict, InvalidInput


def _record(session: Session, actor: str = "cw.test", **values: object) -> AccessLog:
    values.setdefault("action", "person.read")
    return audit.record(session, actor=None, actor_label=actor, **values)  # type: ignore[arg-type]


def _record_at(session: Session, at: datetime, actor: str = "cw.test", **values: object) -> None:
    with time_machine.travel(at, tick=False):
        _record(session, actor, **values)


def _several(session: Session, *, sealed: bool = True) -> list[AccessLog]:
    """Five rows; sealed into the chain as their transaction's commit would."""
    rows = [
        _record(session, action="auth.login", ip="10.0.0.1"),
        _record(session, subject=1, target="대상자 1"),
        _record(session, action="person.rrn.reveal", subject=1, reason="수급 신청 서류 확인"),
        _record(session, outcome=audit.NOT_FOUND, subject=2, target="out of scope"),
        _record(session, action="auth.logout"),
    ]
    if sealed:
        audit.seal(session)
    return rows


def _verify(session: Session) -> audit.VerifyResult:
    # As `bigcare audit verify` does in a fresh session: read what is stored, not what this
    # session remembers writing.
    session.expire_all()
    return audit.verify_chain(session)


def _count(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(AccessLog)) or 0


# --- the chain ----------------------------------------------------------------------------


def test_record_links_each_row_to_the_one_before_when_sealed(session: Session) -> None:
    rows = _several(session, sealed=False)
    # Written at once, chained only when the transaction commits (the chain's lock is held
    # for the commit, not for the request).
    assert all(r.seq is None and r.prev_hash == "" for r in rows)
    audit.seal(session)
    for before, after in itertools.pairwise(rows):
        assert after.prev_hash == before.hash and after.seq == (before.seq or 0) + 1
    assert len({r.hash for r in rows}) == len(rows)


def test_rows_logged_by_two_transactions_chain_in_commit_order(session: Session) -> None:
    first = _record(session, action="auth.login")
    audit.seal(session)
    later = _record(session, action="auth.logout")
    audit.seal(session)
    assert later.prev_hash == first.hash and later.seq == (first.seq or 0) + 1


def test_verify_chain_of_untouched_rows_is_ok(session: Session) -> None:
    rows = _several(session)
    result = _verify(session)
    assert result.ok and result.problems == []
    assert result.checked == _count(session) >= len(rows)
    assert (result.head_id, result.head_hash) == (rows[-1].id, rows[-1].hash)


def test_verify_chain_in_small_batches_is_ok(session: Session) -> None:
    _several(session)
    session.expire_all()
    assert audit.verify_chain(session, batch_size=2).ok


@pytest.mark.parametrize(
    ("column", "value"),
    [
        ("reason", "다른 사유"),
        ("actor", "someone.else"),
        ("outcome", "ok"),
        ("subject_person_id", 999),
        ("at", datetime(2020, 1, 1, 12, 0)),
    ],
)
def test_verify_chain_reports_a_row_edited_with_sql(
    session: Session, column: str, value: object
) -> None:
    rows = _several(session)
    edited = rows[3] if column == "outcome" else rows[2]
    session.execute(
        text(f"UPDATE access_log SET {column} = :value WHERE id = :id"),
        {"value": value, "id": edited.id},
    )

    result = _verify(session)

    assert not result.ok
    assert result.problems == [f"{edited.id}번 기록의 내용이 기록된 뒤 바뀌었습니다"]


def test_verify_chain_reports_an_edit_whose_hash_was_recomputed(session: Session) -> None:
    rows = _several(session)
    edited, following = rows[2], rows[3]
    edited.reason = "다른 사유"
    forged = audit._row_hash(edited.prev_hash, edited)
    session.execute(
        update(AccessLog)
        .where(col(AccessLog.id) == edited.id)
        .values(reason="다른 사유", hash=forged)
    )

    result = _verify(session)

    assert result.problems == [
        f"{following.id}번 기록의 이전 해시가 앞 기록과 이어지지 않습니다 "
        "(앞 기록이 삭제되었거나 바뀌었습니다)"
    ]


def test_verify_chain_reports_a_deleted_middle_row(session: Session) -> None:
    rows = _several(session)
    session.execute(delete(AccessLog).where(col(AccessLog.id) == rows[2].id))

    result = _verify(session)

    assert result.problems == [
        f"{rows[3].id}번 기록의 이전 해시가 앞 기록과 이어지지 않습니다 "
        "(앞 기록이 삭제되었거나 바뀌었습니다)"
    ]
    assert result.checked == _count(session)


# --- purging after two years --------------------------------------------------------------


def _oldest_allowed() -> date:
    return (utcnow() - timedelta(days=audit.RETENTION_DAYS)).date()


@pytest.mark.parametrize("days_younger", [1, 30, 365])
def test_purge_before_refuses_rows_younger_than_two_years(
    session: Session, days_younger: int
) -> None:
    _record_at(session, utcnow() - timedelta(days=audit.RETENTION_DAYS + 400))
    _several(session)
    count = _count(session)

    with pytest.raises(Conflict) as caught:
        audit.purge_before(
            session, actor_label="cli:test", before=_oldest_allowed() + timedelta(days_younger)
        )

    assert "2년 이상 보관해야 합니다" in caught.value.message
    assert _count(session) == count


def test_purge_before_deletes_older_rows_and_the_rest_still_verifies(session: Session) -> None:
    three_years_ago = utcnow() - timedelta(days=3 * 365)
    for hours in range(3):
        _record_at(session, three_years_ago + timedelta(hours=hours), subject=hours)
    recent = _several(session)

    deleted = audit.purge_before(session, actor_label="cli:test", before=_oldest_allowed())

    assert deleted == 3
    remaining = session.scalars(select(AccessLog).order_by(col(AccessLog.id))).all()
    assert [r.id for r in remaining][: len(recent)] == [r.id for r in recent]
    purge = remaining[-1]
    assert (purge.action, purge.actor) == ("audit.purge", "cli:test")
    assert purge.target == f"before {_oldest_allowed().isoformat()}: 3 rows"
    result = _verify(session)
    assert result.ok, result.problems
    assert result.checked == len(remaining)


def test_purge_before_cuts_at_midnight_korean_time(session: Session) -> None:
    before = _oldest_allowed() - timedelta(days=10)
    cutoff = datetime.combine(before, time.min, tzinfo=KST)
    _record_at(session, cutoff - timedelta(minutes=1), target="old")
    _record_at(session, cutoff + timedelta(minutes=1), target="kept")

    deleted = audit.purge_before(session, actor_label="cli:test", before=before)

    assert deleted == 1
    targets = session.scalars(select(AccessLog.target).order_by(col(AccessLog.id))).all()
    assert "old" not in targets and "kept" in targets


# --- the monthly review -------------------------------------------------------------------

MARCH = date(2025, 3, 1)


def _kst(day: int, hour: int, minute: int = 0, month: int = 3) -> datetime:
    return datetime(2025, month, day, hour, minute, tzinfo=KST)


def _findings(review: audit.MonthlyReview) -> dict[tuple[str, str], int]:
    return {(f.kind, f.actor): f.count for f in review.findings}


def test_monthly_review_flags_reveals_after_hours_and_refusals(session: Session) -> None:
    tuesday_10 = _kst(11, 10)  # 2025-03-11 is a Tuesday
    for _ in range(audit.REVEALS_PER_MONTH):
        _record_at(session, tuesday_10, "heavy", action="person.rrn.reveal", subject=1)
    for _ in range(audit.REVEALS_PER_MONTH - 1):
        _record_at(session, tuesday_10, "light", action="person.rrn.reveal", subject=2)
    for at in (_kst(12, 22, 30), _kst(12, 6, 59), _kst(12, 21, 0), _kst(15, 10)):  # 15th: Sat
        _record_at(session, at, "night", subject=3)
    for at in (_kst(12, 7, 0), _kst(12, 20, 59)):  # inside working hours
        _record_at(session, at, "night", subject=3)
    _record_at(session, _kst(12, 23), "night", action="auth.login")  # no personal data read
    _record_at(session, tuesday_10, "prowler", outcome=audit.NOT_FOUND, subject=4)
    _record_at(session, tuesday_10, "prowler", action="access.denied", outcome=audit.DENIED)
    _record_at(session, tuesday_10, "locked", action="auth.lockout", outcome=audit.LOCKED)
    _record(session, "heavy", action="person.rrn.reveal", subject=1)  # today: another month

    review = audit.monthly_review(session, month=date(2025, 3, 17))

    assert review.month == MARCH
    assert review.total == 30 + 29 + 7 + 2 + 1
    assert review.by_action["person.rrn.reveal"] == 59
    assert _findings(review) == {
        ("reveals", "heavy"): 30,
        ("after_hours", "night"): 4,
        ("refused", "prowler"): 2,
        ("lockout", "locked"): 1,
    }
    night = next(f for f in review.findings if f.kind == "after_hours")
    assert "03-12 22:30" in night.detail and "03-15 10:00" in night.detail


def test_monthly_review_of_a_quiet_month_finds_nothing(session: Session) -> None:
    _record_at(session, _kst(11, 10), "cw.test", subject=1)
    review = audit.monthly_review(session, month=MARCH)
    assert (review.total, review.findings) == (1, [])


def test_monthly_review_follows_the_korean_calendar_month(session: Session) -> None:
    # 2025-03-01 02:00 in Seoul is still February in UTC; 2025-04-01 03:00 is still March.
    _record_at(session, _kst(1, 2), "early", subject=1)
    _record_at(session, _kst(1, 3, month=4), "april", subject=1)

    review = audit.monthly_review(session, month=MARCH)

    assert review.total == 1
    assert _findings(review) == {("after_hours", "early"): 1}
    assert "03-01 02:00" in review.findings[0].detail


@pytest.mark.parametrize("typed", ["2025-13", "2025", "march", "2025-03-01"])
def test_parse_month_refuses_anything_but_yyyy_mm(typed: str) -> None:
    with pytest.raises(InvalidInput):
        audit.parse_month(typed)


def test_parse_month_reads_yyyy_mm() -> None:
    assert audit.parse_month("2025-03") == MARCH
