"""Errors become Korean pages (or JSON under /api); a crash shows a reference, never a traceback."""

import logging

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlmodel import Session

from bigcare.app import create_app
from bigcare.config import Settings
from bigcare.db import get_session
from bigcare.errors import Conflict, FieldError, InvalidInput, PermissionDenied
from tests.conftest import TestDatabase


@pytest.fixture
def app(database: TestDatabase, session: Session, app_settings: Settings) -> FastAPI:
    app = create_app(app_settings, engine=database.engine)
    app.dependency_overrides[get_session] = lambda: session

    @app.get("/boom")
    def boom() -> None:
        raise RuntimeError("secret internals: 주민번호 800101-1234567")

    @app.get("/api/v1/boom")
    def api_boom() -> None:
        raise RuntimeError("secret internals")

    @app.get("/conflict")
    def conflict() -> None:
        raise Conflict("이미 종결된 사례입니다")

    @app.get("/api/v1/forbidden")
    def forbidden() -> None:
        raise PermissionDenied()

    @app.get("/invalid")
    def invalid() -> None:
        raise InvalidInput(
            "파일에 오류가 있습니다", [FieldError("생년월일", "날짜가 아닙니다", row=7)]
        )

    @app.get("/api/v1/number")
    def number(n: int) -> int:
        return n

    return app


@pytest.fixture
def crash_client(app: FastAPI) -> TestClient:
    return TestClient(app, raise_server_exceptions=False)


def test_unknown_page_is_a_korean_404(client: TestClient) -> None:
    response = client.get("/no/such/page")
    assert response.status_code == 404
    assert "페이지를 찾을 수 없습니다" in response.text
    assert "Not Found" not in response.text


def test_unknown_api_path_is_json(client: TestClient) -> None:
    response = client.get("/api/v1/no-such-thing")
    assert response.status_code == 404
    assert response.json() == {"error": "not_found", "detail": response.json()["detail"]}


def test_crash_shows_a_reference_and_no_traceback(
    crash_client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.ERROR, logger="bigcare.handlers"):
        response = crash_client.get("/boom")
    assert response.status_code == 500
    assert "일시적인 오류가 발생했습니다" in response.text
    assert "Traceback" not in response.text and "secret internals" not in response.text
    [record] = [r for r in caplog.records if r.name == "bigcare.handlers"]
    reference = record.getMessage().split("ref=")[1].split()[0]
    assert f"오류 참조번호: {reference}" in response.text or reference in response.text


def test_api_crash_is_json_with_a_reference(crash_client: TestClient) -> None:
    response = crash_client.get("/api/v1/boom")
    assert response.status_code == 500
    body = response.json()
    assert body["error"] == "server_error"
    assert len(body["reference"]) == 8
    assert "secret" not in response.text


def test_domain_errors_carry_their_status(crash_client: TestClient) -> None:
    page = crash_client.get("/conflict")
    assert page.status_code == 409
    assert "이미 종결된 사례입니다" in page.text
    api = crash_client.get("/api/v1/forbidden")
    assert api.status_code == 403
    assert api.json() == {"error": "permission_denied", "detail": "권한이 없습니다"}


def test_invalid_input_page_names_the_row_and_field(crash_client: TestClient) -> None:
    page = crash_client.get("/invalid")
    assert page.status_code == 422
    assert "7행" in page.text and "생년월일" in page.text and "날짜가 아닙니다" in page.text


def test_api_validation_errors_name_the_field_in_korean(crash_client: TestClient) -> None:
    response = crash_client.get("/api/v1/number", params={"n": "열"})
    assert response.status_code == 422
    body = response.json()
    assert body["error"] == "invalid_input"
    assert body["errors"] == [{"field": "n", "message": "숫자를 입력해 주세요", "row": None}]
