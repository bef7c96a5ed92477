"""Login, lockout, server-side sessions and the second factor, at the service level."""

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pyotp
import pytest
import time_machine
from sqlmodel import Session, col, select

from bigcare.auth import service, sessions
from bigcare.auth.models import AccessLog, User, UserSession
from bigcare.auth.permissions import Role
from bigcare.errors import InvalidInput
from bigcare.privacy.crypto import Keyring
from tests.factories import PASSWORD, make_user

LOCKED_MESSAGE = "비밀번호를 5회 잘못 입력하여 계정이 30분 동안 잠겼습니다"


@pytest.fixture
def clock() -> Iterator[time_machine.Traveller]:
    """The clock stands still at the start of the test; tests move it with `shift`."""
    with time_machine.travel(datetime.now(UTC), tick=False) as traveller:
        yield traveller


def _login(session: Session, user: User, password: str = PASSWORD) -> sessions.LoginOutcome:
    return sessions.login(
        session, username=user.username, password=password, ip="10.0.0.1", user_agent="pytest"
    )


def _log_rows(session: Session, user: User) -> list[tuple[str, str]]:
    rows = session.exec(
        select(AccessLog).where(AccessLog.actor == user.username).order_by(col(AccessLog.id))
    ).all()
    return [(row.action, row.outcome) for row in rows]


def _wrong_code(secret: str) -> str:
    """A six-digit code that none of the accepted 30-second windows would take."""
    totp = pyotp.TOTP(secret)
    now = datetime.now(UTC)
    accepted = {totp.at(now + timedelta(seconds=30 * drift)) for drift in (-1, 0, 1)}
    return next(c for c in (f"{n:06d}" for n in range(100_000, 1_000_000)) if c not in accepted)


def _pending_login(session: Session, user: User) -> tuple[str, UserSession]:
    outcome = _login(session, user)
    assert outcome.ok and outcome.needs_second_factor
    assert outcome.token is not None and outcome.login_session is not None
    return outcome.token, outcome.login_session


def _second_factor(
    session: Session, user: User, pending: UserSession, code: str, keyring: Keyring
) -> sessions.SecondFactorResult:
    return sessions.complete_second_factor(
        session, user=user, pending=pending, code=code, keyring=keyring
    )


# --- password policy --------------------------------------------------------------------


def test_password_policy_refuses_nine_characters_and_accepts_ten() -> None:
    assert service.password_problems("abcdefghi", username="kim") == [
        "비밀번호는 10자 이상이어야 합니다"
    ]
    assert service.password_problems("tern-basil", username="kim") == []


def test_password_policy_refuses_more_than_64_characters() -> None:
    assert service.password_problems("quiet river " * 5 + "stone", username="kim") == [
        "비밀번호는 64자 이하여야 합니다"
    ]
    assert service.password_problems(("quiet river " * 6)[:64], username="kim") == []


def test_password_policy_refuses_a_common_password_in_any_case() -> None:
    problems = service.password_problems("Password123", username="kim")
    assert any("널리 알려졌거나 유출된 비밀번호" in p for p in problems)


def test_password_policy_refuses_the_username_inside_the_password() -> None:
    problems = service.password_problems("my name is Parkjisu really", username="parkjisu")
    assert problems == ["비밀번호에 아이디를 넣을 수 없습니다"]


def test_password_policy_accepts_a_long_lowercase_passphrase_without_digits_or_symbols() -> None:
    assert service.password_problems("the orange bicycle sleeps", username="kim") == []


def test_password_policy_accepts_a_korean_passphrase() -> None:
    assert service.password_problems("우리 집 강아지는 복슬강아지", username="kim") == []


def test_password_policy_refuses_easily_guessed_patterns() -> None:
    for guessable in ("a" * 12, "qwertyuiopas", "sarang12345"):
        problems = service.password_problems(guessable, username="kim")
        assert len(problems) == 1 and problems[0].startswith("추측하기 쉬운 비밀번호"), guessable


def test_create_user_with_a_short_password_raises_invalid_input(session: Session) -> None:
    with pytest.raises(InvalidInput) as error:
        make_user(session, password="short")
    assert error.value.errors[0].field == "password"


# --- login and lockout ------------------------------------------------------------------


def test_login_with_the_right_password_starts_a_live_session(session: Session) -> None:
    user = make_user(session, role=Role.WELFARE_PLANNER)
    outcome = _login(session, user)
    assert outcome.ok and not outcome.needs_second_factor
    assert outcome.token is not None
    found = sessions.resolve_session(session, outcome.token)
    assert found is not None and found[1].id == user.id
    assert user.last_login_at is not None
    assert ("auth.login", "ok") in _log_rows(session, user)


def test_login_with_a_wrong_password_fails_with_the_attempts_left(session: Session) -> None:
    user = make_user(session, role=Role.WELFARE_PLANNER)
    outcome = _login(session, user, "not the password at all")
    assert not outcome.ok and outcome.token is None
    assert outcome.message == (
        "아이디 또는 비밀번호가 올바르지 않습니다. 4회 더 틀리면 계정이 30분 동안 잠깁니다."
    )
    assert _log_rows(session, user) == [("auth.login", "failed")]


def test_login_with_an_unknown_username_fails_like_a_wrong_password(session: Session) -> None:
    outcome = sessions.login(
        session, username="nobody.here", password=PASSWORD, ip=None, user_agent=None
    )
    assert not outcome.ok
    assert outcome.message == sessions.LOGIN_FAILED
    row = session.exec(select(AccessLog).where(AccessLog.actor == "nobody.here")).one()
    assert (row.action, row.outcome) == ("auth.login", "failed")


def test_login_of_a_disabled_user_fails(session: Session) -> None:
    user = make_user(session, role=Role.WELFARE_PLANNER)
    service.disable_user(session, by="test", user=user)
    outcome = _login(session, user)
    assert not outcome.ok and outcome.message == sessions.LOGIN_FAILED


def test_lockout_after_exactly_five_failures_refuses_the_right_password(
    session: Session, clock: time_machine.Traveller
) -> None:
    user = make_user(session, role=Role.WELFARE_PLANNER)
    for attempt in range(1, 5):
        outcome = _login(session, user, f"wrong password {attempt}")
        assert not outcome.ok and "잠겼습니다" not in outcome.message
    fifth = _login(session, user, "wrong password 5")
    assert not fifth.ok and LOCKED_MESSAGE in fifth.message

    while_locked = _login(session, user)
    assert not while_locked.ok and LOCKED_MESSAGE in while_locked.message
    assert while_locked.token is None


def test_lockout_ends_after_thirty_minutes(session: Session, clock: time_machine.Traveller) -> None:
    user = make_user(session, role=Role.WELFARE_PLANNER)
    for attempt in range(5):
        _login(session, user, f"wrong password {attempt}")
    clock.shift(timedelta(minutes=29))
    assert not _login(session, user).ok
    clock.shift(timedelta(minutes=1, seconds=1))
    assert _login(session, user).ok


def test_lockout_message_tells_the_time_in_seoul(
    session: Session, clock: time_machine.Traveller
) -> None:
    user = make_user(session, role=Role.WELFARE_PLANNER)
    for attempt in range(5):
        outcome = _login(session, user, f"wrong password {attempt}")
    until = (datetime.now(UTC) + timedelta(minutes=30)).astimezone(sessions.audit.KST)
    assert f"{until:%H:%M} 이후에 다시 시도" in outcome.message


def test_lockout_every_failure_and_the_lock_are_in_the_access_log(
    session: Session, clock: time_machine.Traveller
) -> None:
    user = make_user(session, role=Role.WELFARE_PLANNER)
    for attempt in range(5):
        _login(session, user, f"wrong password {attempt}")
    _login(session, user)
    assert _log_rows(session, user) == [
        ("auth.login", "failed"),
        ("auth.login", "failed"),
        ("auth.login", "failed"),
        ("auth.login", "failed"),
        ("auth.lockout", "locked"),
        ("auth.login", "locked"),
    ]


def test_lockout_count_starts_again_after_a_successful_login(session: Session) -> None:
    user = make_user(session, role=Role.WELFARE_PLANNER)
    for attempt in range(4):
        _login(session, user, f"wrong password {attempt}")
    assert _login(session, user).ok
    for attempt in range(4):
        outcome = _login(session, user, f"wrong password {attempt}")
    assert "잠겼습니다" not in outcome.message
    assert _login(session, user).ok


def test_unlock_user_lets_a_locked_user_in_at_once(
    session: Session, clock: time_machine.Traveller
) -> None:
    user = make_user(session, role=Role.WELFARE_PLANNER)
    for attempt in range(5):
        _login(session, user, f"wrong password {attempt}")
    service.unlock_user(session, by="test", user=user)
    assert _login(session, user).ok


# --- session lifetime -------------------------------------------------------------------


def test_session_idle_for_29_minutes_is_still_alive(
    session: Session, clock: time_machine.Traveller
) -> None:
    token = _login(session, make_user(session, role=Role.WELFARE_PLANNER)).token
    assert token is not None
    clock.shift(timedelta(minutes=29))
    assert sessions.resolve_session(session, token) is not None


def test_session_idle_for_31_minutes_is_dead(
    session: Session, clock: time_machine.Traveller
) -> None:
    token = _login(session, make_user(session, role=Role.WELFARE_PLANNER)).token
    assert token is not None
    clock.shift(timedelta(minutes=31))
    assert sessions.resolve_session(session, token) is None
    # Coming back does not revive it.
    clock.shift(timedelta(minutes=-30))
    assert sessions.resolve_session(session, token) is None


def test_session_in_use_stays_alive_past_the_idle_timeout(
    session: Session, clock: time_machine.Traveller
) -> None:
    token = _login(session, make_user(session, role=Role.WELFARE_PLANNER)).token
    assert token is not None
    for _ in range(6):  # a request every 20 minutes for two hours
        clock.shift(timedelta(minutes=20))
        assert sessions.resolve_session(session, token) is not None


def test_session_ends_after_ten_hours_even_with_activity(
    session: Session, clock: time_machine.Traveller
) -> None:
    token = _login(session, make_user(session, role=Role.WELFARE_PLANNER)).token
    assert token is not None
    for _ in range(29):  # a request every 20 minutes up to 9 h 40 min
        clock.shift(timedelta(minutes=20))
        assert sessions.resolve_session(session, token) is not None
    clock.shift(timedelta(minutes=19))
    assert sessions.resolve_session(session, token) is not None  # 9 h 59 min
    clock.shift(timedelta(minutes=1))
    assert sessions.resolve_session(session, token) is None  # 10 h


def test_list_sessions_leaves_out_sessions_that_timed_out(
    session: Session, clock: time_machine.Traveller
) -> None:
    user = make_user(session, role=Role.WELFARE_PLANNER)
    idle = _login(session, user)
    clock.shift(timedelta(minutes=20))
    active = _login(session, user)
    clock.shift(timedelta(minutes=11))  # the first is idle for 31 minutes, never used again
    assert active.token and sessions.resolve_session(session, active.token) is not None
    live = sessions.list_sessions(session, user_id=user.id or 0)
    assert [s.id for s in live] == [active.login_session.id if active.login_session else 0]
    assert idle.login_session not in live
    assert service.get_user_view(session, user.id or 0).live_sessions == 1


def test_logout_ends_the_session_server_side(session: Session) -> None:
    user = make_user(session, role=Role.WELFARE_PLANNER)
    token = _login(session, user).token
    assert token is not None
    found = sessions.resolve_session(session, token)
    assert found is not None
    sessions.end_session(session, login_session=found[0], actor=service.actor_for(user))
    assert sessions.resolve_session(session, token) is None
    assert ("auth.logout", "ok") in _log_rows(session, user)


def test_login_gives_a_new_session_token_each_time(session: Session) -> None:
    user = make_user(session, role=Role.WELFARE_PLANNER)
    first, second = _login(session, user), _login(session, user)
    assert first.token and second.token and first.token != second.token
    assert first.login_session is not None and second.login_session is not None
    assert first.login_session.id != second.login_session.id


def test_session_cookie_token_is_not_stored_in_the_database(session: Session) -> None:
    outcome = _login(session, make_user(session, role=Role.WELFARE_PLANNER))
    assert outcome.token is not None and outcome.login_session is not None
    assert outcome.login_session.token_hash == service.sha256_hex(outcome.token)
    assert outcome.token not in outcome.login_session.token_hash


def test_disabling_a_user_ends_their_sessions(session: Session) -> None:
    user = make_user(session, role=Role.WELFARE_PLANNER)
    tokens = [_login(session, user).token for _ in range(2)]
    service.disable_user(session, by="test", user=user)
    assert all(sessions.resolve_session(session, t or "") is None for t in tokens)
    assert sessions.list_sessions(session, user_id=user.id or 0) == []


def test_change_password_ends_other_sessions_and_keeps_the_current_one(
    session: Session,
) -> None:
    user = make_user(session, role=Role.WELFARE_PLANNER)
    here, elsewhere = _login(session, user), _login(session, user)
    assert here.token and here.login_session and elsewhere.token
    actor = service.actor_for(user, session_id=here.login_session.id)
    service.change_password(
        session,
        actor=actor,
        user=user,
        current=PASSWORD,
        new="a brand new passphrase",
        confirm="a brand new passphrase",
    )
    assert sessions.resolve_session(session, here.token) is not None
    assert sessions.resolve_session(session, elsewhere.token) is None
    assert not _login(session, user).ok
    assert _login(session, user, "a brand new passphrase").ok


def test_change_password_with_a_wrong_current_password_changes_nothing(
    session: Session,
) -> None:
    user = make_user(session, role=Role.WELFARE_PLANNER)
    outcome = _login(session, user)
    assert outcome.login_session is not None
    actor = service.actor_for(user, session_id=outcome.login_session.id)
    with pytest.raises(InvalidInput, match="현재 비밀번호가 맞지 않습니다"):
        service.change_password(
            session,
            actor=actor,
            user=user,
            current="not my password",
            new="a brand new passphrase",
            confirm="a brand new passphrase",
        )
    assert _login(session, user).ok


def test_reset_password_ends_sessions_and_requires_a_change(session: Session) -> None:
    user = make_user(session, role=Role.WELFARE_PLANNER)
    token = _login(session, user).token
    _, temporary = service.reset_to_temporary_password(session, by="test", user_id=user.id or 0)
    assert sessions.resolve_session(session, token or "") is None
    assert user.must_change_password
    assert _login(session, user, temporary).ok


# --- second factor ----------------------------------------------------------------------


def test_second_factor_is_required_for_a_caseworker_but_not_a_welfare_planner(
    session: Session,
) -> None:
    assert _login(session, make_user(session, role=Role.CASEWORKER)).needs_second_factor
    assert not _login(session, make_user(session, role=Role.WELFARE_PLANNER)).needs_second_factor


def test_pending_session_is_not_logged_in_until_the_second_factor(session: Session) -> None:
    user = make_user(session, role=Role.CASEWORKER)
    _pending_login(session, user)
    assert user.last_login_at is None
    assert ("auth.login", "ok") not in _log_rows(session, user)


def test_second_factor_right_code_rotates_the_session(
    session: Session, keyring: Keyring, clock: time_machine.Traveller
) -> None:
    user = make_user(session, role=Role.CASEWORKER)
    secret, _ = sessions.enrol_totp_directly(session, user=user, keyring=keyring)
    pending_token, pending = _pending_login(session, user)

    result = _second_factor(session, user, pending, pyotp.TOTP(secret).now(), keyring)

    assert result.token is not None and result.token != pending_token
    assert pending.end_reason == "rotated"
    assert sessions.resolve_session(session, pending_token) is None
    found = sessions.resolve_session(session, result.token)
    assert found is not None and not found[0].mfa_pending
    assert ("auth.login", "ok") in _log_rows(session, user)


def test_second_factor_same_code_twice_is_refused(
    session: Session, keyring: Keyring, clock: time_machine.Traveller
) -> None:
    user = make_user(session, role=Role.CASEWORKER)
    secret, _ = sessions.enrol_totp_directly(session, user=user, keyring=keyring)
    code = pyotp.TOTP(secret).now()
    _, first = _pending_login(session, user)
    assert _second_factor(session, user, first, code, keyring).token is not None

    clock.shift(timedelta(seconds=5))  # the same code is still on the phone's screen
    _, second = _pending_login(session, user)
    replay = _second_factor(session, user, second, code, keyring)
    assert replay.token is None and not replay.locked
    assert ("auth.totp", "failed") in _log_rows(session, user)


def test_second_factor_next_code_is_accepted_after_a_used_one(
    session: Session, keyring: Keyring, clock: time_machine.Traveller
) -> None:
    user = make_user(session, role=Role.CASEWORKER)
    secret, _ = sessions.enrol_totp_directly(session, user=user, keyring=keyring)
    _, first = _pending_login(session, user)
    assert _second_factor(session, user, first, pyotp.TOTP(secret).now(), keyring).token
    clock.shift(timedelta(seconds=60))
    _, second = _pending_login(session, user)
    assert _second_factor(session, user, second, pyotp.TOTP(secret).now(), keyring).token


def test_second_factor_recovery_code_works_once(
    session: Session, keyring: Keyring, clock: time_machine.Traveller
) -> None:
    user = make_user(session, role=Role.CASEWORKER)
    _, codes = sessions.enrol_totp_directly(session, user=user, keyring=keyring)
    assert len(codes) == 10
    _, first = _pending_login(session, user)
    assert _second_factor(session, user, first, codes[0].upper(), keyring).token is not None
    assert sessions.unused_recovery_codes(session, user_id=user.id or 0) == 9

    _, second = _pending_login(session, user)
    assert _second_factor(session, user, second, codes[0], keyring).token is None
    assert _second_factor(session, user, second, codes[1], keyring).token is not None


def test_second_factor_five_wrong_codes_lock_the_account(
    session: Session, keyring: Keyring, clock: time_machine.Traveller
) -> None:
    user = make_user(session, role=Role.CASEWORKER)
    secret, _ = sessions.enrol_totp_directly(session, user=user, keyring=keyring)
    pending_token, pending = _pending_login(session, user)
    wrong = _wrong_code(secret)
    for _ in range(4):
        result = _second_factor(session, user, pending, wrong, keyring)
        assert result.token is None and not result.locked
    fifth = _second_factor(session, user, pending, wrong, keyring)
    assert fifth.locked
    assert sessions.resolve_session(session, pending_token) is None

    again = _login(session, user)
    assert not again.ok and LOCKED_MESSAGE in again.message
    assert _log_rows(session, user).count(("auth.totp", "failed")) == 4
    assert ("auth.lockout", "locked") in _log_rows(session, user)


def test_second_factor_lockout_is_not_reset_by_logging_in_again_with_the_password(
    session: Session, keyring: Keyring, clock: time_machine.Traveller
) -> None:
    # Someone who knows the password must not get unlimited guesses at the six digits by
    # logging in again after every four wrong codes.
    user = make_user(session, role=Role.CASEWORKER)
    secret, _ = sessions.enrol_totp_directly(session, user=user, keyring=keyring)
    wrong = _wrong_code(secret)
    _, pending = _pending_login(session, user)
    for _ in range(4):
        _second_factor(session, user, pending, wrong, keyring)
    _, pending = _pending_login(session, user)
    assert _second_factor(session, user, pending, wrong, keyring).locked


def test_second_factor_is_refused_while_the_account_is_locked(
    session: Session, keyring: Keyring, clock: time_machine.Traveller
) -> None:
    # A second half-logged-in browser opened before the lock must not get around it.
    user = make_user(session, role=Role.CASEWORKER)
    secret, _ = sessions.enrol_totp_directly(session, user=user, keyring=keyring)
    _, spare = _pending_login(session, user)
    _, pending = _pending_login(session, user)
    wrong = _wrong_code(secret)
    for _ in range(5):
        _second_factor(session, user, pending, wrong, keyring)
    assert not _login(session, user).ok

    result = _second_factor(session, user, spare, pyotp.TOTP(secret).now(), keyring)

    assert result.token is None
    assert result.locked  # sent back to the login page that says the account is locked


def test_second_factor_enrolment_at_first_login_returns_recovery_codes(
    session: Session, keyring: Keyring, clock: time_machine.Traveller
) -> None:
    user = make_user(session, role=Role.CASEWORKER)
    pending_token, pending = _pending_login(session, user)
    secret = sessions.begin_totp_enrolment(session, user=user, keyring=keyring)
    assert sessions.begin_totp_enrolment(session, user=user, keyring=keyring) == secret

    result = _second_factor(session, user, pending, pyotp.TOTP(secret).now(), keyring)

    assert result.token is not None and result.recovery_codes is not None
    assert len(result.recovery_codes) == 10
    assert user.totp_enrolled_at is not None
    assert sessions.resolve_session(session, pending_token) is None


def test_second_factor_enrolment_with_a_wrong_code_enrols_nothing(
    session: Session, keyring: Keyring, clock: time_machine.Traveller
) -> None:
    user = make_user(session, role=Role.CASEWORKER)
    _, pending = _pending_login(session, user)
    secret = sessions.begin_totp_enrolment(session, user=user, keyring=keyring)
    result = _second_factor(session, user, pending, _wrong_code(secret), keyring)
    assert result.token is None and result.recovery_codes is None
    assert user.totp_enrolled_at is None


def test_totp_secret_is_sealed_in_the_database(session: Session, keyring: Keyring) -> None:
    user = make_user(session, role=Role.CASEWORKER)
    secret, _ = sessions.enrol_totp_directly(session, user=user, keyring=keyring)
    assert user.totp_secret_sealed and secret not in user.totp_secret_sealed


def test_regenerated_recovery_codes_replace_the_old_ones(
    session: Session, keyring: Keyring, clock: time_machine.Traveller
) -> None:
    user = make_user(session, role=Role.CASEWORKER)
    secret, old = sessions.enrol_totp_directly(session, user=user, keyring=keyring)
    new = sessions.regenerate_recovery_codes(
        session,
        actor=service.actor_for(user),
        user=user,
        code=pyotp.TOTP(secret).now(),
        keyring=keyring,
    )
    _, pending = _pending_login(session, user)
    assert _second_factor(session, user, pending, old[0], keyring).token is None
    assert _second_factor(session, user, pending, new[0], keyring).token is not None
