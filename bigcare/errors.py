"""Domain errors. Each carries its HTTP status; handlers.py is the only place they become HTTP."""

from dataclasses import dataclass


@dataclass(frozen=True)
class FieldError:
    """One bad field: where (row, field) and what is wrong, in Korean."""

    field: str
    message: str
    row: int | None = None


def by_field(errors: list[FieldError] | None) -> dict[str, str]:
    """Field errors as a form shows them: message by field name ("service-2" for a field of a
    repeated row)."""
    return {e.field if e.row is None else f"{e.field}-{e.row}": e.message for e in errors or []}


class BigCareError(Exception):
    """Base of every error a user may see. `message` is Korean and safe to show."""

    status_code = 500
    code = "error"
    title = "오류가 발생했습니다"

    def __init__(self, message: str | None = None) -> None:
        self.message = message or self.title
        super().__init__(self.message)


class NotFound(BigCareError):
    status_code = 404
    code = "not_found"
    title = "찾을 수 없습니다"


class NotAuthenticated(BigCareError):
    """No valid login: pages redirect to the login form, the API answers 401."""

    status_code = 401
    code = "not_authenticated"
    title = "로그인이 필요합니다"

    def __init__(self, message: str | None = None, *, reason: str | None = None) -> None:
        super().__init__(message)
        # Why the login is missing ("expired", "mfa"), so the login page can say so.
        self.reason = reason


class PermissionDenied(BigCareError):
    status_code = 403
    code = "permission_denied"
    title = "권한이 없습니다"


class Conflict(BigCareError):
    status_code = 409
    code = "conflict"
    title = "요청을 처리할 수 없는 상태입니다"


class InvalidInput(BigCareError):
    status_code = 422
    code = "invalid_input"
    title = "입력값을 확인해 주세요"

    def __init__(self, message: str | None = None, errors: list[FieldError] | None = None) -> None:
        super().__init__(message)
        self.errors = errors or []
