"""Where errors become HTTP: JSON under /api, a Korean page everywhere else, never a traceback."""

import logging
import secrets
from http import HTTPStatus
from urllib.parse import urlencode

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from bigcare.errors import BigCareError, FieldError, InvalidInput, NotAuthenticated, NotFound
from bigcare.templating import templates

log = logging.getLogger(__name__)

# Korean titles for the HTTP errors the framework raises itself (unknown URL, wrong method...).
HTTP_TITLES = {
    400: "잘못된 요청입니다",
    401: "로그인이 필요합니다",
    403: "권한이 없습니다",
    404: "페이지를 찾을 수 없습니다",
    405: "허용되지 않는 요청 방식입니다",
    409: "요청을 처리할 수 없는 상태입니다",
    413: "보낸 내용이 너무 큽니다",
    422: "입력값을 확인해 주세요",
    429: "요청이 너무 많습니다. 잠시 후 다시 시도해 주세요",
}
HTTP_MESSAGES = {
    404: "주소가 바르게 입력되었는지 확인해 주세요. 삭제되었거나 볼 수 없는 자료일 수 있습니다.",
    405: "이 주소는 해당 요청 방식을 지원하지 않습니다.",
}
SERVER_ERROR_TITLE = "일시적인 오류가 발생했습니다"
SERVER_ERROR_MESSAGE = (
    "요청을 처리하는 중 문제가 발생했습니다. 잠시 후 다시 시도해 주시고, "
    "계속되면 아래 참조번호를 시스템 관리자에게 알려 주세요."
)


def _wants_json(request: Request) -> bool:
    return request.url.path.startswith("/api/")


def _render(
    request: Request,
    *,
    status_code: int,
    code: str,
    title: str,
    message: str,
    errors: list[FieldError] | None = None,
    reference: str | None = None,
) -> Response:
    errors = errors or []
    if _wants_json(request):
        body: dict[str, object] = {"error": code, "detail": message}
        if errors:
            body["errors"] = [
                {"field": e.field, "message": e.message, "row": e.row} for e in errors
            ]
        if reference:
            body["reference"] = reference
        return JSONResponse(body, status_code=status_code)
    return templates.TemplateResponse(
        request,
        "errors/error.html",
        {
            "status_code": status_code,
            "title": title,
            "message": message,
            "errors": errors,
            "reference": reference,
        },
        status_code=status_code,
    )


async def _bigcare_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, BigCareError)
    if isinstance(exc, NotAuthenticated) and not _wants_json(request):
        # A page asked without a login goes to the login form and comes back afterwards;
        # a half-finished login to its second step; a temporary password to the change form.
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        if exc.reason == "password":
            return RedirectResponse("/account/password", status_code=303)
        if exc.reason == "mfa":
            return RedirectResponse(f"/login/totp?{urlencode({'next': target})}", status_code=303)
        query = urlencode({"next": target, **({"reason": exc.reason} if exc.reason else {})})
        return RedirectResponse(f"/login?{query}", status_code=303)
    errors = exc.errors if isinstance(exc, InvalidInput) else None
    response = _render(
        request,
        status_code=exc.status_code,
        code=exc.code,
        title=exc.title,
        message=exc.message,
        errors=errors,
    )
    if isinstance(exc, NotAuthenticated):
        # RFC 6750: tell an API client which credentials to send.
        response.headers["WWW-Authenticate"] = 'Bearer realm="bigcare"'
    return response


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    status = exc.status_code
    title = HTTP_TITLES.get(status, HTTPStatus(status).phrase)
    # FastAPI's own detail strings are English; show them only if a route chose Korean.
    detail = exc.detail if isinstance(exc.detail, str) and not exc.detail.isascii() else None
    response = _render(
        request,
        status_code=status,
        code=NotFound.code if status == 404 else f"http_{status}",
        title=title,
        message=detail or HTTP_MESSAGES.get(status, title),
    )
    if exc.headers:
        response.headers.update(exc.headers)
    return response


def _field_name(loc: tuple[object, ...]) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "form", "header")]
    return ".".join(parts) or "요청"


async def _validation_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    errors = [
        FieldError(field=_field_name(tuple(e.get("loc", ()))), message=_korean_reason(e))
        for e in exc.errors()
    ]
    return _render(
        request,
        status_code=422,
        code=InvalidInput.code,
        title=InvalidInput.title,
        message="입력값에 문제가 있습니다. 아래 항목을 확인해 주세요.",
        errors=errors,
    )


def _korean_reason(error: dict[str, object]) -> str:
    kind = str(error.get("type", ""))
    if kind == "missing":
        return "필수 항목입니다"
    if kind.startswith(("int_", "float_")):
        return "숫자를 입력해 주세요"
    if kind.startswith("string_too_long"):
        return "너무 깁니다"
    if kind.startswith("string_too_short"):
        return "너무 짧습니다"
    if kind.startswith(("date", "datetime")):
        return "날짜 형식(YYYY-MM-DD)으로 입력해 주세요"
    return "올바른 값이 아닙니다"


async def _unexpected_error(request: Request, exc: Exception) -> Response:
    # Log once, with a reference the user can quote; the page shows no internals.
    reference = secrets.token_hex(4).upper()
    log.error(
        "unhandled error ref=%s %s %s",
        reference,
        request.method,
        request.url.path,
        exc_info=exc,
    )
    return _render(
        request,
        status_code=500,
        code="server_error",
        title=SERVER_ERROR_TITLE,
        message=SERVER_ERROR_MESSAGE,
        reference=reference,
    )


def register(app: FastAPI) -> None:
    """Install every error handler on the app."""
    app.add_exception_handler(BigCareError, _bigcare_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(Exception, _unexpected_error)
