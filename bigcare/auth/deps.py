"""Request dependencies: who is asking, may they, and is their form really theirs (CSRF)."""

import hmac
import secrets
from collections.abc import Callable
from typing import Annotated, Any

from fastapi import Depends, Request, Response
from sqlmodel import Session

from bigcare.auth import audit, service, sessions, tokens
from bigcare.auth.permissions import PERMISSIONS, PUBLIC
from bigcare.db import SessionDep
from bigcare.errors import NotAuthenticated, PermissionDenied
from bigcare.privacy.crypto import Keyring

SESSION_COOKIE = "bigcare_session"
# Before login there is no server-side session: the login form uses a double-submit cookie.
PRELOGIN_COOKIE = "bigcare_prelogin"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# Pages a user who must change their password may still reach.
PASSWORD_CHANGE_PATHS = ("/account/password", "/logout")

CSRF_FAILED = (
    "보안 확인 값(CSRF 토큰)이 없거나 맞지 않아 요청을 처리하지 않았습니다. "
    "페이지를 새로 고친 뒤 다시 시도해 주세요."
)


def client_ip(request: Request) -> str | None:
    """The caller's address as the server sees it (a proxy must be configured to pass it)."""
    return request.client.host if request.client else None


def get_keyring(request: Request) -> Keyring:
    """The data key ring the app loaded at start."""
    keyring: Keyring = request.app.state.keyring
    return keyring


KeyringDep = Annotated[Keyring, Depends(get_keyring)]


def cookie_options(request: Request) -> dict[str, Any]:
    """HttpOnly, SameSite=Lax, and Secure everywhere but the local demo (plain http)."""
    return {
        "httponly": True,
        "samesite": "lax",
        "secure": not request.app.state.settings.demo,
        "path": "/",
    }


def set_session_cookie(request: Request, response: Response, token: str) -> None:
    """Hand the browser its (new) session id; no Max-Age, so it dies with the browser."""
    response.set_cookie(SESSION_COOKIE, token, **cookie_options(request))


def clear_session_cookie(request: Request, response: Response) -> None:
    """Tell the browser to forget the session id (the server has already ended it)."""
    response.delete_cookie(SESSION_COOKIE, **cookie_options(request))


def prelogin_value(request: Request) -> tuple[str, bool]:
    """The login form's CSRF value (the browser's cookie, or a new one) and whether it is new."""
    token = request.cookies.get(PRELOGIN_COOKIE)
    if token and len(token) >= 20:
        return token, False
    return secrets.token_urlsafe(24), True


def set_prelogin_cookie(request: Request, response: Response, token: str) -> None:
    """Give the browser the login form's CSRF value as a cookie (double-submit check)."""
    response.set_cookie(PRELOGIN_COOKIE, token, **cookie_options(request))


async def submitted_csrf(request: Request) -> str:
    """The CSRF token a state-changing request carries (header or form field); "" for GET.
    Async because reading a form is; it touches no database, so it may run on the event
    loop, while everything that does runs in the thread pool."""
    if request.method in SAFE_METHODS:
        return ""
    header = request.headers.get(CSRF_HEADER)
    if header:
        return header
    content_type = request.headers.get("content-type", "")
    if content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
        form = await request.form()  # Starlette caches it: the route's Form() fields still work
        value = form.get(CSRF_FIELD)
        return value if isinstance(value, str) else ""
    return ""


SubmittedCsrf = Annotated[str, Depends(submitted_csrf)]


def check_csrf(request: Request, submitted: str, expected: str | None) -> None:
    """Refuse a state-changing request whose token does not match (403)."""
    if request.method in SAFE_METHODS:
        return
    if not expected or not submitted or not hmac.compare_digest(submitted, expected):
        raise PermissionDenied(CSRF_FAILED)


def resolve_actor(request: Request, session: Session) -> service.Actor | None:
    """Identify the caller once per request: a bearer token (API only) or the session cookie.
    Leaves the login session, user and CSRF secret on request.state for pages and forms."""
    if hasattr(request.state, "actor"):
        actor: service.Actor | None = request.state.actor
        return actor
    actor = None
    request.state.login_session = None
    request.state.user = None
    request.state.csrf_token = None
    request.state.session_lost = False
    auth = request.headers.get("authorization", "")
    if auth.lower().startswith("bearer ") and request.url.path.startswith("/api/"):
        actor = tokens.resolve_token(session, auth[7:].strip(), ip=client_ip(request))
        if actor is None:
            raise NotAuthenticated("API 토큰이 없거나 폐기되었습니다")
    elif token := request.cookies.get(SESSION_COOKIE):
        found = sessions.resolve_session(session, token)
        if found is None:
            request.state.session_lost = True
        else:
            login_session, user = found
            request.state.login_session = login_session
            request.state.user = user
            request.state.csrf_token = login_session.csrf_secret
            if not login_session.mfa_pending:
                actor = service.actor_for(
                    user,
                    ip=client_ip(request),
                    session_id=login_session.id,
                    scope_name=service.scope_name(session, user),
                )
    request.state.actor = actor
    return actor


PermissionDependency = Callable[..., Any]


def require(permission: str) -> PermissionDependency:
    """A dependency that lets the request through only with `permission`; returns the Actor
    (or None for PUBLIC routes). Every route declares one: the access-matrix test checks."""
    if permission != PUBLIC and permission not in PERMISSIONS:
        raise ValueError(f"unknown permission {permission!r}")

    # A plain def: FastAPI runs it in the thread pool, so a database wait (SQLite queues
    # writers) never blocks the event loop that the other requests need.
    def dependency(request: Request, session: SessionDep, submitted: SubmittedCsrf) -> Any:
        actor = resolve_actor(request, session)
        if permission == PUBLIC:
            return actor
        if actor is None:
            if request.state.login_session is not None:
                raise NotAuthenticated(reason="mfa")
            raise NotAuthenticated(reason="expired" if request.state.session_lost else None)
        if actor.token_id is None:
            check_csrf(request, submitted, request.state.csrf_token)
            user = request.state.user
            if user.must_change_password and request.url.path not in PASSWORD_CHANGE_PATHS:
                raise NotAuthenticated(reason="password")
        if not actor.can(permission):
            audit.record(
                session,
                actor=actor,
                action="access.denied",
                outcome=audit.DENIED,
                target=f"{request.method} {request.url.path} ({permission})",
            )
            raise PermissionDenied(
                f"이 화면은 '{PERMISSIONS[permission]}' 권한이 있어야 쓸 수 있습니다. "
                f"({actor.role.label} 계정)"
            )
        return actor

    dependency.bigcare_permission = permission  # type: ignore[attr-defined]
    return dependency


# Routes anyone may reach (login, health check): `_: Public` in the signature.
Public = Annotated[Any, Depends(require(PUBLIC))]


def ActorDep(permission: str) -> Any:
    """`actor: ActorDep("case.read")` in a route signature: the acting user, permission checked."""
    return Annotated[service.Actor, Depends(require(permission))]


def permission_of(dependency: Callable[..., Any]) -> str | None:
    """The permission a dependency made by `require` checks (None for any other callable)."""
    return getattr(dependency, "bigcare_permission", None)
