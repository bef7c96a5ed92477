"""Roles, scopes and named permissions: the one table that says who may do what."""

from enum import StrEnum


class Role(StrEnum):
    CASEWORKER = "caseworker"
    WELFARE_PLANNER = "welfare_planner"
    VISITING_NURSE = "visiting_nurse"
    CENTER_MANAGER = "center_manager"
    GU_MANAGER = "gu_manager"
    CITY_MANAGER = "city_manager"
    FACILITY_UPLOADER = "facility_uploader"
    ADMIN = "admin"

    @property
    def label(self) -> str:
        return ROLE_LABELS[self]

    @property
    def scope_kind(self) -> "ScopeKind":
        return ROLE_SCOPE[self]


class ScopeKind(StrEnum):
    DONG = "dong"
    GU = "gu"
    CITY = "city"
    FACILITY = "facility"

    @property
    def label(self) -> str:
        return SCOPE_LABELS[self]


ROLE_LABELS = {
    Role.CASEWORKER: "사례관리자",
    Role.WELFARE_PLANNER: "복지플래너",
    Role.VISITING_NURSE: "방문간호사",
    Role.CENTER_MANAGER: "동 센터장",
    Role.GU_MANAGER: "구 관리자",
    Role.CITY_MANAGER: "시 관리자",
    Role.FACILITY_UPLOADER: "시설 담당자",
    Role.ADMIN: "시스템 관리자",
}
SCOPE_LABELS = {
    ScopeKind.DONG: "동(주민센터)",
    ScopeKind.GU: "구",
    ScopeKind.CITY: "서울시 전체",
    ScopeKind.FACILITY: "시설",
}
# Center staff work in one dong; managers see their gu or the city; the administrator runs
# the system city-wide but holds no welfare-data permission (least privilege).
ROLE_SCOPE = {
    Role.CASEWORKER: ScopeKind.DONG,
    Role.WELFARE_PLANNER: ScopeKind.DONG,
    Role.VISITING_NURSE: ScopeKind.DONG,
    Role.CENTER_MANAGER: ScopeKind.DONG,
    Role.GU_MANAGER: ScopeKind.GU,
    Role.CITY_MANAGER: ScopeKind.CITY,
    Role.FACILITY_UPLOADER: ScopeKind.FACILITY,
    Role.ADMIN: ScopeKind.CITY,
}

# Routes that need no login declare PUBLIC; every other route names one permission below.
PUBLIC = "public"

PERMISSIONS: dict[str, str] = {
    "account.self": "내 계정 보기·비밀번호 변경·로그아웃",
    "district.read": "행정구역·주민센터 기준정보 보기",
    "center.read": "주민센터 업무 화면 보기 (범위 안의 동)",
    "person.read": "대상자 기본정보 보기 (주민등록번호·전화번호 가림)",
    "person.edit": "대상자 정보 수정",
    "person.rrn.reveal": "주민등록번호 전체 보기 (사유 입력, 기록됨)",
    "person.export": "개인정보가 담긴 자료 내려받기 (사유 입력, 기록됨)",
    "case.read": "사례 보기",
    "case.edit": "사례 등록·수정·종결",
    "facility.read": "시설 정보 보기",
    "import.upload": "시설 자료 올리기",
    "import.read": "올린 자료와 오류 행 보기",
    "linkage.review": "동일인 연계 검토·병합·분리",
    "plan.read": "방문 일정 보기",
    "plan.edit": "방문 일정 계획·수정",
    "visit.record": "방문 결과 입력",
    "sheet.print": "방문 기록지 인쇄",
    "report.read": "관리 보고서 보기",
    "report.export": "보고서 내려받기 (사유 입력, 기록됨)",
    "rule.edit": "방문 규칙 수정",
    "token.manage": "시설 API 토큰 발급·폐기",
    "user.manage": "사용자 계정 관리",
    "audit.read": "접속기록 보기·점검",
}

_STAFF = {
    "account.self",
    "district.read",
    "center.read",
    "person.read",
    "case.read",
    "facility.read",
    "import.read",
    "plan.read",
}

ROLE_PERMISSIONS: dict[Role, frozenset[str]] = {
    Role.CASEWORKER: frozenset(
        _STAFF
        | {
            "person.edit",
            "person.rrn.reveal",
            "person.export",
            "case.edit",
            "import.upload",
            "linkage.review",
        }
    ),
    Role.WELFARE_PLANNER: frozenset(
        _STAFF | {"person.edit", "case.edit", "plan.edit", "visit.record", "sheet.print"}
    ),
    Role.VISITING_NURSE: frozenset(_STAFF | {"visit.record", "sheet.print"}),
    Role.CENTER_MANAGER: frozenset(
        _STAFF
        | {
            "person.rrn.reveal",
            "person.export",
            "import.upload",
            "linkage.review",
            "plan.edit",
            "sheet.print",
            "report.read",
            "report.export",
        }
    ),
    Role.GU_MANAGER: frozenset(_STAFF | {"report.read", "report.export"}),
    Role.CITY_MANAGER: frozenset(_STAFF | {"report.read", "report.export", "rule.edit"}),
    Role.FACILITY_UPLOADER: frozenset(
        {"account.self", "facility.read", "import.upload", "import.read", "token.manage"}
    ),
    Role.ADMIN: frozenset(
        {
            "account.self",
            "district.read",
            "facility.read",
            "token.manage",
            "user.manage",
            "audit.read",
        }
    ),
}

# Permissions that expose a whole identity or let data leave the system: a password alone is
# not enough for them (개인정보의 안전성 확보조치 기준 제5조: 인증수단 강화).
SECOND_FACTOR_PERMISSIONS = frozenset({"person.rrn.reveal", "person.export", "report.export"})


def permissions_for(role: Role) -> frozenset[str]:
    """The permissions a role holds."""
    return ROLE_PERMISSIONS[role]


def requires_second_factor(role: Role) -> bool:
    """Administrators and roles that can reveal RRNs or export personal data need TOTP."""
    return role is Role.ADMIN or bool(ROLE_PERMISSIONS[role] & SECOND_FACTOR_PERMISSIONS)
