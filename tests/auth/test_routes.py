"""Login, the second factor, logout, CSRF, timeouts and the administrator's account pages,
through HTTP."""

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pyotp
import pytest
import time_machine
from fastapi.testclient import TestClient
from httpx2 import Response
from sqlmodel import Session, col, select

from bigcare.app import create_app
from bigcare.auth import deps, service, sessions
from bigcare.auth.models import AccessLog, User, UserSession
from bigcare.auth.permissions import Role
from bigcare.config import Settings
from bigcare.db import get_session, unit_of_work
from bigcare.privacy.crypto import Keyring
from tests.conftest import TestDatabase
from tests.factories import PASSWORD, make_user, sign_in

NEW_PASSWORD = "a brand new passphrase"


# --- helpers ----------------------------------------------------------------------------


def _browser(client: TestClient, base_url: str = "http://testserver") -> TestClient:
    """Another browser (its own cookie jar) on the same app and test transaction."""
    return TestClient(client.app, base_url=base_url)


def _cookie(response: Response, name: str) -> dict[str, str]:
    """The attributes of one Set-Cookie header, lowercased: {"": value, "httponly": "", ...}."""
    for header in response.headers.get_list("set-cookie"):
        first, *attributes = [part.strip() for part in header.split(";")]
        key, _, value = first.partition("=")
        if key == name:
            parsed = {"": value}
            for attribute in attributes:
                k, _, v = attribute.partition("=")
                parsed[k.lower()] = v.lower()
            return parsed
    raise AssertionError(f"no Set-Cookie for {name}: {response.headers.get_list('set-cookie')}")


def _prelogin(client: TestClient) -> str:
    response = client.get("/login")
    assert response.status_code == 200
    return client.cookies[deps.PRELOGIN_COOKIE]


def _log_in(
    client: TestClient, username: str, password: str = PASSWORD, next_url: str = "/"
) -> Response:
    token = client.cookies.get(deps.PRELOGIN_COOKIE) or _prelogin(client)
    return client.post(
        "/login",
        data={"username": username, "password": password, "csrf_token": token, "next": next_url},
        follow_redirects=False,
    )


def _form_csrf(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found, "the page has no CSRF field"
    return found.group(1)


def _secret_on_page(html: str) -> str:
    found = re.search(r'class="bc-secret">([A-Z2-7]+)<', html)
    assert found, "the page shows no secret"
    return found.group(1)


def _wrong_code(secret: str) -> str:
    """A six-digit code that none of the accepted 30-second windows would take."""
    totp = pyotp.TOTP(secret)
    now = datetime.now(UTC)
    accepted = {totp.at(now + timedelta(seconds=30 * drift)) for drift in (-1, 0, 1)}
    return next(c for c in ("000000", "111111", "222222", "333333") if c not in accepted)


def _live(session: Session, token: str) -> bool:
    return sessions.resolve_session(session, token) is not None


@pytest.fixture
def clock() -> Iterator[time_machine.Traveller]:
    with time_machine.travel(datetime.now(UTC), tick=False) as traveller:
        yield traveller


# --- the login form ---------------------------------------------------------------------


def test_login_page_sets_the_prelogin_cookie_and_puts_it_in_the_form(client: TestClient) -> None:
    response = client.get("/login")
    assert response.status_code == 200
    cookie = _cookie(response, deps.PRELOGIN_COOKIE)
    assert len(cookie[""]) >= 20
    assert "httponly" in cookie and cookie["samesite"] == "lax"
    assert _form_csrf(response.text) == cookie[""]
    assert "로그인" in response.text


def test_login_without_second_factor_role_redirects_with_a_session_cookie(
    client: TestClient, session: Session
) -> None:
    user = make_user(session, role=Role.WELFARE_PLANNER)
    response = _log_in(client, user.username)
    assert response.status_code == 303
    assert response.headers["location"] == "/"
    cookie = _cookie(response, deps.SESSION_COOKIE)
    assert "httponly" in cookie and cookie["samesite"] == "lax"
    assert "secure" not in cookie  # the demo runs on plain http
    assert "max-age" not in cookie and "expires" not in cookie  # dies with the browser
    assert _live(session, cookie[""])
    assert client.get("/account").status_code == 200


def test_login_outside_the_demo_sets_secure_cookies(
    database: TestDatabase, session: Session, keyring: Keyring
) -> None:
    app = create_app(
        Settings(database_url=database.url, demo=False), engine=database.engine, keyring=keyring
    )

    def request_session() -> Iterator[Session]:
        yield from unit_of_work(session, nested=True)

    app.dependency_overrides[get_session] = request_session
    browser = TestClient(app, base_url="https://testserver")
    user = make_user(session, role=Role.WELFARE_PLANNER)

    page = browser.get("/login")
    assert "secure" in _cookie(page, deps.PRELOGIN_COOKIE)
    response = _log_in(browser, user.username)
    assert response.status_code == 303
    cookie = _cookie(response, deps.SESSION_COOKIE)
    assert "secure" in cookie and "httponly" in cookie and cookie["samesite"] == "lax"


def test_login_with_a_wrong_password_shows_a_korean_message_with_401(
    client: TestClient, session: Session
) -> None:
    user = make_user(session, role=Role.WELFARE_PLANNER)
    response = _log_in(client, user.username, "not the password at all")
    assert response.status_code == 401
    assert "아이디 또는 비밀번호가 올바르지 않습니다" in response.text
    assert "4회 더 틀리면 계정이 30분 동안 잠깁니다" in response.text
    assert deps.SESSION_COOKIE not in client.cookies


def test_login_with_an_unknown_username_shows_the_same_message(client: TestClient) -> None:
    response = _log_in(client, "nobody.here")
    assert response.status_code == 401
    assert "아이디 또는 비밀번호가 올바르지 않습니다" in response.text
    assert "회 더 틀리면" not in response.text


def test_login_fifth_wrong_password_locks_and_the_right_one_is_refused(
    client: TestClient, session: Session
) -> None:
    user = make_user(session, role=Role.WELFARE_PLANNER)
    for attempt in range(4):
        _log_in(client, user.username, f"wrong password {attempt}")
    fifth = _log_in(client, user.username, "wrong password 5")
    assert fifth.status_code == 401
    assert "비밀번호를 5회 잘못 입력하여 계정이 30분 동안 잠겼습니다" in fifth.text
    right = _log_in(client, user.username)
    assert right.status_code == 401
    assert "계정이 30분 동안 잠겼습니다" in right.text
    rows = session.exec(
        select(AccessLog).where(AccessLog.actor == user.username).order_by(col(AccessLog.id))
    ).all()
    assert [(r.action, r.outcome) for r in rows] == [("auth.login", "failed")] * 4 + [
        ("auth.lockout", "locked"),
        ("auth.login", "locked"),
    ]
    assert {r.ip for r in rows} == {"testclient"}


def test_login_without_the_prelogin_token_is_refused_with_403(
    client: TestClient, session: Session
) -> None:
    user = make_user(session, role=Role.WELFARE_PLANNER)
    _prelogin(client)
    response = client.post(
        "/login",
        data={"username": user.username, "password": PASSWORD},
        follow_redirects=False,
    )
    assert response.status_code == 403
    assert "CSRF 토큰" in response.text
    assert deps.SESSION_COOKIE not in client.cookies
    assert sessions.list_sessions(session, user_id=user.id or 0) == []


def test_login_with_a_token_that_does_not_match_the_cookie_is_refused(
    client: TestClient, session: Session
) -> None:
    user = make_user(session, role=Role.WELFARE_PLANNER)
    _prelogin(client)
    response = client.post(
        "/login",
        data={"username": user.username, "password": PASSWORD, "csrf_token": "x" * 32},
        follow_redirects=False,
    )
    assert response.status_code == 403


def test_login_again_ends_the_previous_session(client: TestClient, session: Session) -> None:
    user = make_user(session, role=Role.WELFARE_PLANNER)
    first = _cookie(_log_in(client, user.username), deps.SESSION_COOKIE)[""]
    second = _cookie(_log_in(client, user.username), deps.SESSION_COOKIE)[""]
    assert first != second
    assert not _live(session, first)
    assert _live(session, second)


@pytest.mark.parametrize(
    "target", ["//evil.example", "https://evil.example", "/\\evil.example", "http:/evil"]
)
def test_login_next_to_another_site_redirects_home(
    client: TestClient, session: Session, target: str
) -> None:
    user = make_user(session, role=Role.WELFARE_PLANNER)
    response = _log_in(client, user.username, next_url=target)
    assert response.status_code == 303
    assert response.headers["location"] == "/"


def test_login_next_to_a_page_of_this_site_goes_there(client: TestClient, session: Session) -> None:
    user = make_user(session, role=Role.WELFARE_PLANNER)
    response = _log_in(client, user.username, next_url="/persons?page=2")
    assert response.headers["location"] == "/persons?page=2"


def test_login_page_when_signed_in_does_not_redirect_to_another_site(
    staff_client: TestClient,
) -> None:
    response = staff_client.get("/login?next=//evil.example", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/"


def test_page_without_login_redirects_to_the_login_form_and_back(client: TestClient) -> None:
    response = client.get("/persons", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=%2Fpersons"


# --- the second factor through the form -------------------------------------------------


def test_caseworker_login_asks_for_the_second_factor(client: TestClient, session: Session) -> None:
    user = make_user(session, role=Role.CASEWORKER)
    response = _log_in(client, user.username, next_url="/persons")
    assert response.status_code == 303
    assert response.headers["location"] == "/login/totp?next=%2Fpersons"
    # Half logged in: no page but the second step.
    page = client.get("/account", follow_redirects=False)
    assert page.status_code == 303
    assert page.headers["location"].startswith("/login/totp")


def test_second_factor_page_for_a_new_user_shows_a_qr_code_and_the_secret(
    client: TestClient, session: Session, keyring: Keyring
) -> None:
    user = make_user(session, role=Role.CASEWORKER)
    _log_in(client, user.username)
    response = client.get("/login/totp")
    assert response.status_code == 200
    assert "<svg" in response.text
    secret = _secret_on_page(response.text)
    assert secret == sessions.pending_totp_secret(user, keyring=keyring)
    # Reloading the page keeps the same secret, so a scanned QR code stays valid.
    assert _secret_on_page(client.get("/login/totp").text) == secret


def test_second_factor_enrolment_at_first_login_shows_recovery_codes_and_signs_in(
    client: TestClient, session: Session, clock: time_machine.Traveller
) -> None:
    user = make_user(session, role=Role.CASEWORKER)
    pending = _cookie(_log_in(client, user.username), deps.SESSION_COOKIE)[""]
    page = client.get("/login/totp")
    code = pyotp.TOTP(_secret_on_page(page.text)).now()

    response = client.post(
        "/login/totp",
        data={"code": code, "csrf_token": _form_csrf(page.text), "next": "/account"},
        follow_redirects=False,
    )

    assert response.status_code == 200
    assert (
        len(re.findall(r'class="bc-secret">[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}<', response.text))
        == 10
    )
    assert 'href="/account"' in response.text
    fresh = _cookie(response, deps.SESSION_COOKIE)[""]
    assert fresh != pending and not _live(session, pending)
    assert client.get("/account").status_code == 200


def test_second_factor_enrolled_user_right_code_signs_in(
    client: TestClient, session: Session, keyring: Keyring, clock: time_machine.Traveller
) -> None:
    user = make_user(session, role=Role.CASEWORKER)
    secret, _ = sessions.enrol_totp_directly(session, user=user, keyring=keyring)
    _log_in(client, user.username, next_url="/persons")
    page = client.get("/login/totp?next=/persons")
    assert "<svg" not in page.text
    response = client.post(
        "/login/totp",
        data={
            "code": pyotp.TOTP(secret).now(),
            "csrf_token": _form_csrf(page.text),
            "next": "/persons",
        },
        follow_redirects=False,
    )
    assert response.status_code == 303
    assert response.headers["location"] == "/persons"
    assert client.get("/persons").status_code == 200


def test_second_factor_wrong_code_shows_a_korean_message(
    client: TestClient, session: Session, keyring: Keyring, clock: time_machine.Traveller
) -> None:
    user = make_user(session, role=Role.CASEWORKER)
    secret, _ = sessions.enrol_totp_directly(session, user=user, keyring=keyring)
    _log_in(client, user.username)
    csrf = _form_csrf(client.get("/login/totp").text)
    response = client.post("/login/totp", data={"code": _wrong_code(secret), "csrf_token": csrf})
    assert response.status_code == 401
    assert "인증 번호가 맞지 않습니다" in response.text


def test_second_factor_five_wrong_codes_lock_and_return_to_login(
    client: TestClient, session: Session, keyring: Keyring, clock: time_machine.Traveller
) -> None:
    user = make_user(session, role=Role.CASEWORKER)
    secret, _ = sessions.enrol_totp_directly(session, user=user, keyring=keyring)
    _log_in(client, user.username)
    csrf = _form_csrf(client.get("/login/totp").text)
    wrong = _wrong_code(secret)
    for _ in range(4):
        client.post("/login/totp", data={"code": wrong, "csrf_token": csrf})
    response = client.post(
        "/login/totp", data={"code": wrong, "csrf_token": csrf}, follow_redirects=False
    )
    assert response.status_code == 303
    assert response.headers["location"] == "/login?reason=locked"
    page = client.get("/login?reason=locked")
    assert "인증 번호를 여러 번 잘못 입력하여 계정이 30분 동안 잠겼습니다" in page.text
    assert _log_in(client, user.username).status_code == 401


def test_second_factor_post_without_csrf_token_is_refused(
    client: TestClient, session: Session, keyring: Keyring, clock: time_machine.Traveller
) -> None:
    user = make_user(session, role=Role.CASEWORKER)
    secret, _ = sessions.enrol_totp_directly(session, user=user, keyring=keyring)
    _log_in(client, user.username)
    response = client.post("/login/totp", data={"code": pyotp.TOTP(secret).now()})
    assert response.status_code == 403
    assert client.get("/account", follow_redirects=False).status_code == 303


# --- CSRF on signed-in forms ------------------------------------------------------------


def test_logout_without_csrf_token_is_refused_and_the_session_lives(
    staff_client: TestClient,
) -> None:
    response = staff_client.post("/logout", follow_redirects=False)
    assert response.status_code == 403
    assert "CSRF 토큰" in response.text
    assert staff_client.get("/account").status_code == 200


def test_logout_with_a_wrong_csrf_token_is_refused(staff_client: TestClient) -> None:
    response = staff_client.post("/logout", data={"csrf_token": "forged"})
    assert response.status_code == 403
    assert staff_client.get("/account").status_code == 200


def test_logout_with_the_csrf_token_ends_the_session_server_side(
    staff_client: TestClient, session: Session
) -> None:
    token = staff_client.cookies[deps.SESSION_COOKIE]
    response = staff_client.post(
        "/logout",
        data={"csrf_token": staff_client.csrf},
        follow_redirects=False,  # type: ignore[attr-defined]
    )
    assert response.status_code == 303
    assert response.headers["location"] == "/login?reason=logout"
    assert not _live(session, token)
    # The old cookie, kept or replayed, no longer reaches any page.
    staff_client.cookies.set(deps.SESSION_COOKIE, token)
    page = staff_client.get("/account", follow_redirects=False)
    assert page.status_code == 303
    assert page.headers["location"].startswith("/login?")


def test_logout_with_the_csrf_header_works(staff_client: TestClient, session: Session) -> None:
    token = staff_client.cookies[deps.SESSION_COOKIE]
    response = staff_client.post(
        "/logout",
        headers={deps.CSRF_HEADER: staff_client.csrf},  # type: ignore[attr-defined]
        follow_redirects=False,
    )
    assert response.status_code == 303
    assert not _live(session, token)


def test_logout_by_get_is_not_allowed(staff_client: TestClient) -> None:
    response = staff_client.get("/logout", follow_redirects=False)
    assert response.status_code == 405
    assert staff_client.get("/account").status_code == 200


def test_change_password_without_csrf_token_changes_nothing(
    staff_client: TestClient, session: Session, caseworker: User
) -> None:
    response = staff_client.post(
        "/account/password",
        data={"current": PASSWORD, "new": NEW_PASSWORD, "confirm": NEW_PASSWORD},
    )
    assert response.status_code == 403
    session.refresh(caseworker)
    service.hasher.verify(caseworker.password_hash, PASSWORD)


def test_change_password_with_the_csrf_token_changes_it(
    staff_client: TestClient, session: Session, caseworker: User
) -> None:
    response = staff_client.post(
        "/account/password",
        data={
            "current": PASSWORD,
            "new": NEW_PASSWORD,
            "confirm": NEW_PASSWORD,
            "csrf_token": staff_client.csrf,  # type: ignore[attr-defined]
        },
        follow_redirects=False,
    )
    assert response.status_code == 303
    assert response.headers["location"] == "/account?changed=password"
    session.refresh(caseworker)
    service.hasher.verify(caseworker.password_hash, NEW_PASSWORD)
    assert "비밀번호를 바꿨습니다" in staff_client.get("/account?changed=password").text


def test_change_password_with_a_wrong_current_password_shows_a_korean_error(
    staff_client: TestClient,
) -> None:
    response = staff_client.post(
        "/account/password",
        data={
            "current": "not my password",
            "new": NEW_PASSWORD,
            "confirm": NEW_PASSWORD,
            "csrf_token": staff_client.csrf,  # type: ignore[attr-defined]
        },
    )
    assert response.status_code == 422
    assert "현재 비밀번호가 맞지 않습니다" in response.text


def test_change_password_ends_the_other_browsers_session(
    staff_client: TestClient, session: Session, caseworker: User
) -> None:
    other = _browser(staff_client)
    sign_in(other, session, caseworker)
    staff_client.post(
        "/account/password",
        data={
            "current": PASSWORD,
            "new": NEW_PASSWORD,
            "confirm": NEW_PASSWORD,
            "csrf_token": staff_client.csrf,  # type: ignore[attr-defined]
        },
    )
    assert staff_client.get("/account").status_code == 200
    assert other.get("/account", follow_redirects=False).status_code == 303


# --- timeouts, forced password change, caching ------------------------------------------


def test_idle_session_redirects_to_login_with_the_expiry_message(
    staff_client: TestClient, clock: time_machine.Traveller
) -> None:
    clock.shift(timedelta(minutes=31))
    response = staff_client.get("/account", follow_redirects=False)
    assert response.status_code == 303
    location = response.headers["location"]
    assert location.startswith("/login?") and "reason=expired" in location
    assert "next=%2Faccount" in location
    page = staff_client.get(location)
    assert "30분 동안 사용하지 않았거나 로그인한 지 10시간이 지나 로그아웃되었습니다" in page.text


def test_session_used_within_the_idle_timeout_stays_signed_in(
    staff_client: TestClient, clock: time_machine.Traveller
) -> None:
    for _ in range(3):
        clock.shift(timedelta(minutes=25))
        assert staff_client.get("/account", follow_redirects=False).status_code == 200


def test_session_ten_hours_old_redirects_to_login_despite_activity(
    staff_client: TestClient, clock: time_machine.Traveller
) -> None:
    for _ in range(23):  # a page every 25 minutes, up to 9 h 35 min
        clock.shift(timedelta(minutes=25))
        assert staff_client.get("/account", follow_redirects=False).status_code == 200
    clock.shift(timedelta(minutes=26))  # 10 h 1 min after login
    response = staff_client.get("/account", follow_redirects=False)
    assert response.status_code == 303
    assert "reason=expired" in response.headers["location"]


def test_must_change_password_user_is_sent_to_the_password_form(
    client: TestClient, session: Session
) -> None:
    user = make_user(session, role=Role.WELFARE_PLANNER, must_change_password=True)
    csrf = sign_in(client, session, user)
    for path in ("/", "/persons", "/account"):
        response = client.get(path, follow_redirects=False)
        assert response.status_code == 303, path
        assert response.headers["location"] == "/account/password", path
    form = client.get("/account/password")
    assert form.status_code == 200
    assert "관리자가 발급한 임시 비밀번호로 로그인했습니다" in form.text

    client.post(
        "/account/password",
        data={
            "current": PASSWORD,
            "new": NEW_PASSWORD,
            "confirm": NEW_PASSWORD,
            "csrf_token": csrf,
        },
    )

    assert client.get("/persons", follow_redirects=False).status_code == 200


@pytest.mark.parametrize("path", ["/", "/persons", "/account", "/account/password"])
def test_pages_are_never_cached(staff_client: TestClient, path: str) -> None:
    response = staff_client.get(path)
    assert response.status_code == 200
    assert response.headers["cache-control"] == "no-store"


def test_login_page_is_never_cached(client: TestClient) -> None:
    assert client.get("/login").headers["cache-control"] == "no-store"


def test_static_stylesheet_may_be_cached(staff_client: TestClient) -> None:
    response = staff_client.get("/static/css/bigcare.css")
    assert response.status_code == 200
    assert "no-store" not in response.headers.get("cache-control", "")


# --- administrator's account pages ------------------------------------------------------


@pytest.fixture
def admin_client(client: TestClient, session: Session) -> TestClient:
    """The app signed in as a system administrator; `admin_client.csrf` holds the token."""
    admin = make_user(session, role=Role.ADMIN)
    client.csrf = sign_in(client, session, admin)  # type: ignore[attr-defined]
    return client


def test_admin_creates_a_user_who_must_change_the_temporary_password(
    admin_client: TestClient, session: Session
) -> None:
    response = admin_client.post(
        "/admin/users",
        data={
            "username": "newplanner",
            "display_name": "새 플래너",
            "role": "welfare_planner",
            "scope_code": "1123068",
            "csrf_token": admin_client.csrf,  # type: ignore[attr-defined]
        },
    )
    assert response.status_code == 200
    assert "임시 비밀번호는 지금 한 번만 보여 드립니다" in response.text
    temporary = re.search(r'class="bc-secret">([^<]+)<', response.text)
    assert temporary
    created = service.find_user(session, "newplanner")
    assert created is not None and created.must_change_password
    # Shown once: the account page does not show it again.
    assert temporary.group(1) not in admin_client.get(f"/admin/users/{created.id}").text

    newcomer = _browser(admin_client)
    assert _log_in(newcomer, "newplanner", temporary.group(1)).status_code == 303
    response = newcomer.get("/", follow_redirects=False)
    assert response.headers["location"] == "/account/password"


def test_admin_create_user_with_a_bad_username_shows_the_form_again(
    admin_client: TestClient, session: Session
) -> None:
    response = admin_client.post(
        "/admin/users",
        data={
            "username": "1bad name",
            "display_name": "잘못",
            "role": "welfare_planner",
            "scope_code": "1123068",
            "csrf_token": admin_client.csrf,  # type: ignore[attr-defined]
        },
    )
    assert response.status_code == 422
    assert "계정을 만들지 못했습니다" in response.text
    assert service.find_user(session, "1bad name") is None


def test_admin_create_user_without_csrf_token_creates_nothing(
    admin_client: TestClient, session: Session
) -> None:
    response = admin_client.post(
        "/admin/users",
        data={
            "username": "sneaky",
            "display_name": "몰래",
            "role": "admin",
            "scope_code": "",
        },
    )
    assert response.status_code == 403
    assert service.find_user(session, "sneaky") is None


def test_admin_resets_a_password(admin_client: TestClient, session: Session) -> None:
    user = make_user(session, role=Role.WELFARE_PLANNER)
    victim = _browser(admin_client)
    sign_in(victim, session, user)

    response = admin_client.post(
        f"/admin/users/{user.id}/reset-password",
        data={"csrf_token": admin_client.csrf},  # type: ignore[attr-defined]
    )

    assert response.status_code == 200
    assert "비밀번호를 초기화했습니다" in response.text
    temporary = re.search(r'class="bc-secret">([^<]+)<', response.text)
    assert temporary
    assert victim.get("/account", follow_redirects=False).status_code == 303
    fresh = _browser(admin_client)
    assert _log_in(fresh, user.username).status_code == 401
    assert _log_in(fresh, user.username, temporary.group(1)).status_code == 303
    assert fresh.get("/", follow_redirects=False).headers["location"] == "/account/password"


def test_admin_unlocks_a_locked_user(admin_client: TestClient, session: Session) -> None:
    user = make_user(session, role=Role.WELFARE_PLANNER)
    browser = _browser(admin_client)
    for attempt in range(5):
        _log_in(browser, user.username, f"wrong password {attempt}")
    assert "잠김" in admin_client.get(f"/admin/users/{user.id}").text

    response = admin_client.post(
        f"/admin/users/{user.id}/unlock",
        data={"csrf_token": admin_client.csrf},  # type: ignore[attr-defined]
        follow_redirects=False,
    )

    assert response.status_code == 303
    assert response.headers["location"] == f"/admin/users/{user.id}"
    assert _log_in(browser, user.username).status_code == 303


def test_admin_disables_a_user_whose_session_stops_working(
    admin_client: TestClient, session: Session
) -> None:
    user = make_user(session, role=Role.WELFARE_PLANNER)
    browser = _browser(admin_client)
    sign_in(browser, session, user)
    assert browser.get("/account").status_code == 200

    response = admin_client.post(
        f"/admin/users/{user.id}/disable",
        data={"csrf_token": admin_client.csrf},  # type: ignore[attr-defined]
        follow_redirects=False,
    )

    assert response.status_code == 303
    assert "비활성" in admin_client.get(f"/admin/users/{user.id}").text
    page = browser.get("/account", follow_redirects=False)
    assert page.status_code == 303 and page.headers["location"].startswith("/login")
    assert _log_in(_browser(admin_client), user.username).status_code == 401
    live = session.exec(
        select(UserSession).where(
            UserSession.user_id == user.id, col(UserSession.ended_at).is_(None)
        )
    ).all()
    assert live == []


def test_admin_cannot_disable_their_own_account(admin_client: TestClient, session: Session) -> None:
    me = sessions.resolve_session(session, admin_client.cookies[deps.SESSION_COOKIE])
    assert me is not None
    response = admin_client.post(
        f"/admin/users/{me[1].id}/disable",
        data={"csrf_token": admin_client.csrf},  # type: ignore[attr-defined]
    )
    assert response.status_code == 409
    assert admin_client.get("/admin/users").status_code == 200


def test_admin_pages_are_refused_to_a_caseworker(staff_client: TestClient) -> None:
    response = staff_client.get("/admin/users")
    assert response.status_code == 403
    assert "권한이 없습니다" in response.text
