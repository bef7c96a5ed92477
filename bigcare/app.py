"""The FastAPI application factory: settings, database, routers, static files, error pages."""

import logging
from collections.abc import Awaitable, Callable

from fastapi import FastAPI, Request
from fastapi.middleware.gzip import GZipMiddleware
from fastapi.responses import HTMLResponse, JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from sqlalchemy import Engine, text

from bigcare import handlers
from bigcare.config import STATIC_DIR, Settings, get_settings
from bigcare.db import SessionDep, make_engine
from bigcare.districts import api as districts_api
from bigcare.districts import routes as districts_routes
from bigcare.districts import service as districts_service
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


def create_app(settings: Settings | None = None, *, engine: Engine | None = None) -> FastAPI:
    """Build the web application; tests pass their own settings and engine."""
    settings = settings or get_settings()
    app = FastAPI(
        title="BigCare 서울 통합사례관리",
        version="0.1.0",
        docs_url="/api/docs",
        redoc_url=None,
        openapi_url="/api/openapi.json",
    )
    app.state.settings = settings
    app.state.engine = engine or make_engine(settings.database_url, echo=settings.sql_echo)

    @app.middleware("http")
    async def security_headers(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        response = await call_next(request)
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        return response

    # KRDS's stylesheet is 580 KB as shipped and about 52 KB compressed.
    app.add_middleware(GZipMiddleware, minimum_size=1000)
    handlers.register(app)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    app.include_router(districts_routes.router)
    app.include_router(districts_api.router)
    _add_home(app)
    return app


def _add_home(app: FastAPI) -> None:
    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    def home(request: Request, session: SessionDep) -> HTMLResponse:
        counts = districts_service.count_districts(session)
        return templates.TemplateResponse(request, "home.html", {"counts": counts})

    @app.get("/healthz", include_in_schema=False)
    def healthz(session: SessionDep) -> JSONResponse:
        session.exec(text("SELECT 1"))  # type: ignore[call-overload]
        return JSONResponse({"status": "ok"})
