"""The FastAPI application factory: settings, database, keys, routers, static files, errors."""

import functools
import logging
from collections.abc import Callable

import anyio
from fastapi import Depends, FastAPI, Request
from fastapi.middleware.gzip import GZipMiddleware
from fastapi.responses import HTMLResponse, JSONResponse, PlainTextResponse, Response
from fastapi.staticfiles import StaticFiles
from sqlalchemy import Engine, text
from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from bigcare import handlers
from bigcare.auth import admin_routes as auth_admin_routes
from bigcare.auth import routes as auth_routes
from bigcare.auth.deps import ActorDep, Public
from bigcare.cases import api as cases_api
from bigcare.cases import case_routes as cases_case_routes
from bigcare.cases import home as cases_home
from bigcare.cases import household_routes as cases_household_routes
from bigcare.cases import linking as cases_linking
from bigcare.cases import record_routes as cases_record_routes
from bigcare.cases import routes as cases_routes
from bigcare.cases import service as cases_service
from bigcare.cases import timeline_routes as cases_timeline_routes
from bigcare.config import STATIC_DIR, Settings, get_settings
from bigcare.db import SessionDep, make_engine, seoul_today
from bigcare.districts import api as districts_api
from bigcare.districts import routes as districts_routes
from bigcare.facilities import api as facilities_api
from bigcare.facilities import import_routes as facilities_import_routes
from bigcare.facilities import routes as facilities_routes
from bigcare.linkage import routes as linkage_routes
from bigcare.linkage import service as linkage_service
from bigcare.outreach import routes as outreach_routes
from bigcare.privacy.crypto import Keyring
from bigcare.privacy.keys import load_keyring
from bigcare.templating import templates

log = logging.getLogger(__name__)

# Styles and scripts come only from our own origin; KRDS sets a few inline styles from JS.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
    "script-src 'self'; font-src 'self'; frame-ancestors 'none'; form-action 'self'; "
    "base-uri 'self'"
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
}


class RequestLimit:
    """At most `limit` requests of this worker process are worked on at once; the others
    wait their turn on the event loop, holding no thread and no database connection.

    The routes are synchronous and run in the thread pool. Without a limit, every request
    that arrives starts at once, and the threads take turns at the interpreter lock: each
    returns from each of its ~20 database queries to wait for the lock again (up to 5 ms
    while another thread computes), so under load a 50 ms page took 300-500 ms. Run one or
    two at a time, a page keeps its own speed; more worker processes (`uvicorn
    --workers`) use more cores. Static files bypass the queue."""

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app = app
        self.slots = anyio.Semaphore(limit)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith("/static/"):
            await self.app(scope, receive, send)
            return
        async with self.slots:
            await self.app(scope, receive, send)


class BodyLimit:
    """Refuses (413) a request whose stated length is beyond its path's limit, before its
    body is read. (Plain ASGI, like the layers below: Starlette's BaseHTTPMiddleware costs
    a task group and two streams per request.)"""

    def __init__(self, app: ASGIApp, limit_for: Callable[[str], int]) -> None:
        self.app = app
        self.limit_for = limit_for

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            length = Headers(scope=scope).get("content-length", "")
            path = scope["path"]
            limit = self.limit_for(path)
            if length.isdigit() and int(length) > limit + 1024 * 1024:
                message = f"파일이 너무 큽니다: 최대 {limit // (1024 * 1024)}MB"
                refusal: Response = (
                    JSONResponse({"error": "too_large", "detail": message}, status_code=413)
                    if path.startswith("/api/")
                    else PlainTextResponse(message, status_code=413)
                )
                await refusal(scope, receive, send)
                return
        await self.app(scope, receive, send)


class SecurityHeaders:
    """The security headers on every answer. Pages and API answers carry personal data, so
    no browser or proxy may keep a copy; static files (CSS, fonts, scripts) are the same for
    everyone and may be cached."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        static = scope["path"].startswith("/static/")

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in SECURITY_HEADERS.items():
                    if name not in headers:
                        headers[name] = value
                if not static:
                    headers["Cache-Control"] = "no-store"
                    headers["Pragma"] = "no-cache"
            await send(message)

        await self.app(scope, receive, send_with_headers)


def create_app(
    settings: Settings | None = None,
    *,
    engine: Engine | None = None,
    keyring: Keyring | None = None,
) -> FastAPI:
    """Build the web application; tests pass their own settings, engine and key ring.
    Outside the demo it refuses to start without a data key (DataKeyError)."""
    settings = settings or get_settings()
    app = FastAPI(
        title="BigCare 서울 통합사례관리",
        version="0.1.0",
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
        # The menu's badge of open review items, counted once per page.
        dependencies=[Depends(linkage_routes.review_badge)],
    )
    app.state.settings = settings
    app.state.engine = engine or make_engine(settings.database_url, echo=settings.sql_echo)
    app.state.keyring = keyring or load_keyring(settings)[0]
    # The intake's routes call this after rows become linkable (they cannot import linkage).
    app.state.after_import = None
    if settings.link_after_import:
        thresholds = linkage_service.Thresholds(settings.link_upper, settings.link_lower)
        app.state.after_import = functools.partial(
            cases_linking.link_after_import, thresholds=thresholds
        )

    # A file beyond its limit (an import's, or a case attachment's) is refused before its body
    # is read; the services check the size again for bodies that do not state their length.
    def file_limit(path: str) -> int:
        attachment = path.startswith("/cases/") and path.endswith("/attachments")
        return settings.attachment_max_bytes if attachment else settings.import_max_bytes

    app.add_middleware(BodyLimit, limit_for=file_limit)
    app.add_middleware(SecurityHeaders)
    # KRDS's stylesheet is 580 KB as shipped and about 52 KB compressed.
    app.add_middleware(GZipMiddleware, minimum_size=1000)
    handlers.register(app)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    # Added last, so it is the outermost layer: a waiting request holds nothing.
    if settings.requests_per_worker > 0:
        app.add_middleware(RequestLimit, limit=settings.requests_per_worker)
    for module in (
        auth_routes,
        auth_admin_routes,
        districts_routes,
        districts_api,
        facilities_routes,
        facilities_import_routes,
        facilities_api,
        linkage_routes,
        cases_routes,
        cases_timeline_routes,
        cases_household_routes,
        cases_case_routes,
        cases_record_routes,
        cases_api,
        outreach_routes,
    ):
        app.include_router(module.router)
    _add_home(app)
    return app


def _add_home(app: FastAPI) -> None:
    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    def home(
        request: Request, session: SessionDep, actor: ActorDep("account.self")
    ) -> HTMLResponse:
        summary = cases_service.get_home_summary(session, actor=actor)
        # Staff who work on cases see their cases, deadlines and today's checks first.
        cases = None
        if actor.can("case.read"):
            today = seoul_today()
            cases = cases_home.caseworker_home(session, actor=actor, today=today)
        return templates.TemplateResponse(
            request, "home.html", {"summary": summary, "cases": cases}
        )

    @app.get("/healthz", include_in_schema=False)
    def healthz(session: SessionDep, _: Public) -> JSONResponse:
        session.exec(text("SELECT 1"))  # type: ignore[call-overload]
        return JSONResponse({"status": "ok"})

    @app.get("/api/openapi.json", include_in_schema=False)
    def openapi(_: Public) -> JSONResponse:
        # The API's shape is no secret; facility developers read it before they hold a token.
        return JSONResponse(app.openapi())
