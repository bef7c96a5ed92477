"""Pages: login (password, then the second factor), logout, and the user's own account."""

import hmac
from typing import Annotated
from urllib.parse import urlencode, urlsplit

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from bigcare.auth import deps, service, sessions
from bigcare.auth.deps import ActorDep, KeyringDep, Public
from bigcare.auth.models import User, UserSession
from bigcare.auth.permissions import PERMISSIONS, requires_second_factor
from bigcare.auth.qr import qr_svg
from bigcare.db import SessionDep
from bigcare.errors import InvalidInput, PermissionDenied, by_field
from bigcare.privacy.crypto import Keyring
from bigcare.templating import templates

router = APIRouter(tags=["auth"])

# Why the login form is shown again (?reason=...), in the user's words.
REASONS = {
    "expired": "30분 동안 사용하지 않았거나 로그인한 지 10시간이 지나 로그아웃되었습니다. "
    "다시 로그인해 주세요.",
    "logout": "로그아웃했습니다.",
    "mfa": "2단계 인증을 마쳐야 이용할 수 있습니다.",
    "locked": "인증 번호를 여러 번 잘못 입력하여 계정이 30분 동안 잠겼습니다.",
}


def _safe_next(target: str | None) -> str:
    """Only a path on this site: never an open redirect to another host."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    parts = urlsplit(target)
    return "/" if parts.scheme or parts.netloc else target


def _login_page(
    request: Request,
    *,
    next_url: str,
    message: str | None,
    info: str | None,
    status: int = 200,
    username: str = "",
) -> HTMLResponse:
    # The form carries the same random value as a cookie (double-submit CSRF check).
    token, is_new = deps.prelogin_value(request)
    response = templates.TemplateResponse(
        request,
        "auth/login.html",
        {
            "next_url": next_url,
            "message": message,
            "info": info,
            "prelogin": token,
            "username": username,
            "demo": request.app.state.settings.demo,
        },
        status_code=status,
    )
    if is_new:
        deps.set_prelogin_cookie(request, response, token)
    return response


@router.get("/login", response_class=HTMLResponse)
def login_form(
    request: Request,
    _: Public,
    next_url: Annotated[str | None, Query(alias="next")] = None,
    reason: str | None = None,
) -> Response:
    if request.state.actor is not None:
        return RedirectResponse(_safe_next(next_url), status_code=303)
    return _login_page(
        request, next_url=_safe_next(next_url), message=None, info=REASONS.get(reason or "")
    )


@router.post("/login", response_class=HTMLResponse)
def login(
    request: Request,
    session: SessionDep,
    keyring: KeyringDep,
    _: Public,
    username: Annotated[str, Form(max_length=100)] = "",
    password: Annotated[str, Form(max_length=200)] = "",
    csrf_token: Annotated[str, Form()] = "",
    next_url: Annotated[str, Form(alias="next")] = "/",
) -> Response:
    cookie = request.cookies.get(deps.PRELOGIN_COOKIE, "")
    if not cookie or not csrf_token or not hmac.compare_digest(cookie, csrf_token):
        raise PermissionDenied(deps.CSRF_FAILED)
    outcome = sessions.login(
        session,
        username=username,
        password=password,
        ip=deps.client_ip(request),
        user_agent=request.headers.get("user-agent"),
        keyring=keyring,
    )
    if not outcome.ok:
        return _login_page(
            request,
            next_url=_safe_next(next_url),
            message=outcome.message,
            info=None,
            status=401,
            username=username.strip()[:40],
        )
    assert outcome.token is not None
    # A session this browser had before is ended: the new login gets a new id.
    if old := request.state.login_session:
        sessions.end_session(session, login_session=old, actor=None)
    target = _safe_next(next_url)
    if outcome.needs_second_factor:
        target = "/login/totp?" + urlencode({"next": target})
    response = RedirectResponse(target, status_code=303)
    deps.set_session_cookie(request, response, outcome.token)
    return response


def _enrolment(user: User, keyring: Keyring) -> dict[str, object] | None:
    """The authenticator secret being enrolled (set up by a POST), as text and as a QR code."""
    secret = sessions.pending_totp_secret(user, keyring=keyring)
    if secret is None:
        return None
    uri = sessions.provisioning_uri(user, secret)
    return {"secret": secret, "qr": qr_svg(uri, title="인증 앱에 등록할 QR 코드")}


def _pending(request: Request) -> tuple[UserSession, User] | None:
    login_session, user = request.state.login_session, request.state.user
    if login_session is None or not login_session.mfa_pending:
        return None
    return login_session, user


@router.get("/login/totp", response_class=HTMLResponse)
def second_factor_form(
    request: Request,
    keyring: KeyringDep,
    _: Public,
    next_url: Annotated[str | None, Query(alias="next")] = None,
) -> Response:
    pending = _pending(request)
    if pending is None:
        return RedirectResponse("/login", status_code=303)
    user = pending[1]
    return _second_factor_page(request, keyring, user, next_url=_safe_next(next_url))


def _second_factor_page(
    request: Request,
    keyring: Keyring,
    user: User,
    *,
    next_url: str,
    message: str | None = None,
    status: int = 200,
) -> HTMLResponse:
    enrolment = _enrolment(user, keyring)
    return templates.TemplateResponse(
        request,
        "auth/totp.html",
        {"user": user, "enrolment": enrolment, "next_url": next_url, "message": message},
        status_code=status,
    )


@router.post("/login/totp", response_class=HTMLResponse)
def second_factor(
    request: Request,
    session: SessionDep,
    keyring: KeyringDep,
    _: Public,
    submitted: deps.SubmittedCsrf,
    code: Annotated[str, Form(max_length=40)] = "",
    next_url: Annotated[str, Form(alias="next")] = "/",
) -> Response:
    pending = _pending(request)
    if pending is None:
        return RedirectResponse("/login", status_code=303)
    deps.check_csrf(request, submitted, request.state.csrf_token)
    login_session, user = pending
    next_url = _safe_next(next_url)
    result = sessions.complete_second_factor(
        session, user=user, pending=login_session, code=code, keyring=keyring
    )
    if result.locked:
        response = RedirectResponse("/login?reason=locked", status_code=303)
        deps.clear_session_cookie(request, response)
        return response
    if result.token is None:
        return _second_factor_page(
            request,
            keyring,
            user,
            next_url=next_url,
            message="인증 번호가 맞지 않습니다. 인증 앱의 6자리 번호나 복구 코드를 다시 입력해 "
            "주세요.",
            status=401,
        )
    if result.recovery_codes:  # just enrolled: show the codes once, then go on
        response = templates.TemplateResponse(
            request,
            "auth/recovery_codes.html",
            {"codes": result.recovery_codes, "next_url": next_url},
        )
    else:
        response = RedirectResponse(next_url, status_code=303)
    deps.set_session_cookie(request, response, result.token)
    return response


@router.post("/logout")
def logout(
    request: Request,
    session: SessionDep,
    _: Public,
    submitted: deps.SubmittedCsrf,
) -> Response:
    login_session = request.state.login_session
    if login_session is not None:
        deps.check_csrf(request, submitted, request.state.csrf_token)
        sessions.end_session(session, login_session=login_session, actor=request.state.actor)
    response = RedirectResponse("/login?reason=logout", status_code=303)
    deps.clear_session_cookie(request, response)
    return response


# --- the user's own account --------------------------------------------------------------


@router.get("/account", response_class=HTMLResponse)
def account(request: Request, session: SessionDep, actor: ActorDep("account.self")) -> HTMLResponse:
    view = sessions.get_account_view(session, actor=actor)
    return templates.TemplateResponse(
        request,
        "auth/account.html",
        {
            "view": view,
            "permissions": [(p, PERMISSIONS[p]) for p in sorted(actor.permissions)],
            "needs_second_factor": requires_second_factor(actor.role),
        },
    )


@router.post("/account/sessions/end-others")
def end_other_sessions(session: SessionDep, actor: ActorDep("account.self")) -> RedirectResponse:
    ended = sessions.end_other_sessions(session, actor=actor)
    return RedirectResponse(f"/account?ended={ended}#sessions", status_code=303)


@router.get("/account/password", response_class=HTMLResponse)
def password_form(request: Request, actor: ActorDep("account.self")) -> HTMLResponse:
    return templates.TemplateResponse(
        request,
        "auth/password.html",
        {"must_change": request.state.user.must_change_password, "errors": {}},
    )


@router.post("/account/password", response_class=HTMLResponse)
def change_password(
    request: Request,
    session: SessionDep,
    actor: ActorDep("account.self"),
    current: Annotated[str, Form(max_length=200)] = "",
    new: Annotated[str, Form(max_length=200)] = "",
    confirm: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    try:
        service.change_password(
            session, actor=actor, user=request.state.user, current=current, new=new, confirm=confirm
        )
    except InvalidInput as exc:
        errors = by_field(exc.errors) or {"new": exc.message}
        return templates.TemplateResponse(
            request,
            "auth/password.html",
            {"must_change": request.state.user.must_change_password, "errors": errors},
            status_code=422,
        )
    return RedirectResponse("/account?changed=password", status_code=303)


@router.get("/account/totp", response_class=HTMLResponse)
def totp_form(
    request: Request, session: SessionDep, keyring: KeyringDep, actor: ActorDep("account.self")
) -> HTMLResponse:
    user = request.state.user
    left = sessions.unused_recovery_codes(session, user_id=actor.user_id or 0)
    return templates.TemplateResponse(
        request,
        "auth/account_totp.html",
        {
            "enrolled": user.totp_enrolled_at is not None,
            "enrolment": _enrolment(user, keyring),
            "codes_left": left,
        },
    )


@router.post("/account/totp/start")
def start_totp(
    request: Request, session: SessionDep, keyring: KeyringDep, actor: ActorDep("account.self")
) -> RedirectResponse:
    sessions.begin_totp_enrolment(session, user=request.state.user, keyring=keyring)
    return RedirectResponse("/account/totp", status_code=303)


@router.post("/account/totp", response_class=HTMLResponse)
def confirm_totp(
    request: Request,
    session: SessionDep,
    keyring: KeyringDep,
    actor: ActorDep("account.self"),
    code: Annotated[str, Form(max_length=40)] = "",
) -> HTMLResponse:
    codes = sessions.confirm_totp_enrolment(
        session, actor=actor, user=request.state.user, code=code, keyring=keyring
    )
    return templates.TemplateResponse(
        request, "auth/recovery_codes.html", {"codes": codes, "next_url": "/account"}
    )


@router.post("/account/recovery-codes", response_class=HTMLResponse)
def new_recovery_codes(
    request: Request,
    session: SessionDep,
    keyring: KeyringDep,
    actor: ActorDep("account.self"),
    code: Annotated[str, Form(max_length=40)] = "",
) -> HTMLResponse:
    codes = sessions.regenerate_recovery_codes(
        session, actor=actor, user=request.state.user, code=code, keyring=keyring
    )
    return templates.TemplateResponse(
        request, "auth/recovery_codes.html", {"codes": codes, "next_url": "/account"}
    )
