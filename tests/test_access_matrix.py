"""The access matrix, generated from the app's route table: every route × every role (and an
anonymous visitor and a facility's API token) × {own scope, another dong, another gu, another
facility} → the status a user must get. The expectation is computed here from the permission
table and from where each row lives, independently of how the routes check it.

A route with no declared permission, or one this file does not know how to call, fails."""

import io
import itertools
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from fastapi.routing import RouteContext, iter_route_contexts
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlmodel import Session, SQLModel

import bigcare.models  # noqa: F401  (every table on the metadata)
from bigcare.auth import tokens as auth_tokens
from bigcare.auth.deps import permission_of
from bigcare.auth.permissions import PERMISSIONS, PUBLIC, ROLE_PERMISSIONS, Role, ScopeKind
from bigcare.auth.service import actor_for, operator_actor
from bigcare.cases.models import Case, Consent, Household, HouseholdMember, Referral
from bigcare.cases.records import notes
from bigcare.config import Settings
from bigcare.facilities import intake
from bigcare.facilities.models import SourceRecord
from bigcare.linkage.models import ReviewItem
from bigcare.outreach.models import OutreachStaff, Visit, VisitRule, VisitTarget, WeekPlan
from bigcare.privacy.crypto import Keyring
from tests.factories import make_facility, make_person, make_user, sign_in

OWN_DONG, OWN_GU = "1123068", "11230"  # 개포1동, 강남구
OTHER_DONG = "1123060"  # 대치1동, also 강남구
OTHER_GU_DONG, OTHER_GU = "1122052", "11220"  # 서초2동, 서초구
VARIANTS = ("own", "other_dong", "other_gu", "other_facility")
# Where each variant's rows live: (dong, gu). "other_facility" is another facility in the
# actor's own dong: dong staff may see it, the first facility's account may not.
PLACES = {
    "own": (OWN_DONG, OWN_GU),
    "other_dong": (OTHER_DONG, OWN_GU),
    "other_gu": (OTHER_GU_DONG, OTHER_GU),
    "other_facility": (OWN_DONG, OWN_GU),
}


@dataclass
class World:
    """Persons, facilities, tokens and accounts placed in and out of everyone's scope."""

    persons: dict[str, int] = field(default_factory=dict)
    person_names: dict[str, str] = field(default_factory=dict)
    facilities: dict[str, str] = field(default_factory=dict)
    facility_names: dict[str, str] = field(default_factory=dict)
    tokens: dict[str, int] = field(default_factory=dict)
    users: dict[str, Any] = field(default_factory=dict)
    target_user: int = 0
    facility_token: str = ""
    batches: dict[str, int] = field(default_factory=dict)
    records: dict[str, int] = field(default_factory=dict)
    reviews: dict[str, int] = field(default_factory=dict)
    households: dict[str, int] = field(default_factory=dict)
    cases: dict[str, int] = field(default_factory=dict)
    attachments: dict[str, int] = field(default_factory=dict)
    consents: dict[str, int] = field(default_factory=dict)
    referrals: dict[str, int] = field(default_factory=dict)
    staff: dict[str, int] = field(default_factory=dict)
    visits: dict[str, int] = field(default_factory=dict)
    rule_code: str = ""


def _build_world(session: Session, keyring: Keyring, attachments_dir: Path) -> World:
    world = World()
    admin = make_user(session, role=Role.ADMIN)
    operator = operator_actor("matrix", permissions=auth_tokens.TOKEN_PERMISSIONS)
    for variant in VARIANTS:
        dong, _ = PLACES[variant]
        name = f"매트릭스{variant.replace('_', '')}{secrets.token_hex(2)}"
        world.persons[variant] = make_person(session, keyring=keyring, dong_code=dong, name=name).id
        world.person_names[variant] = name
        facility = make_facility(
            session, dong_code=dong, name=f"시설{variant}{secrets.token_hex(2)}"
        )
        world.facilities[variant], world.facility_names[variant] = facility.code, facility.name
        _, token = auth_tokens.create_token(
            session, actor=actor_for(admin), facility_code=facility.code, name="matrix"
        )
        world.tokens[variant] = token.id or 0
        # A batch with a gu-level row (row 1, waiting for a dong) and a quarantined row (2).
        gu_name = "강남구" if PLACES[variant][1] == OWN_GU else "서초구"
        batch = intake.import_records(
            session,
            actor=operator,
            keyring=keyring,
            facility_code=facility.code,
            records=[
                {
                    "name": "김매트",
                    "birth_date": "1950-03-02",
                    "address": f"서울 {gu_name} 없는로 1",
                },
                {
                    "name": "이매트",
                    "birth_date": "1950-13-45",
                    "address": f"서울 {gu_name} 없는로 2",
                },
            ],
            idempotency_key=None,
        ).batch
        world.batches[variant] = batch.id or 0
        world.records[variant] = session.exec(
            select(SourceRecord.id).where(
                SourceRecord.batch_id == batch.id, SourceRecord.row_number == 1
            )
        ).one()[0]
        # A review item about the batch's two rows, in the variant's dong.
        other_row = session.exec(
            select(SourceRecord.id).where(
                SourceRecord.batch_id == batch.id, SourceRecord.row_number == 2
            )
        ).one()[0]
        review = ReviewItem(
            record_id=world.records[variant],
            other_record_id=other_row,
            dong_code=dong,
            probability=0.9,
            match_weight=3.2,
            evidence=[
                {"comparison": "name", "label": "성명", "level": "성명 다름", "weight": -4.5}
            ],
            model_version="matrix",
        )
        session.add(review)
        session.flush()
        world.reviews[variant] = review.id or 0
        intake.save_mapping(
            session, actor=operator, facility_code=facility.code, columns=MAPPING_COLUMNS
        )
        _add_case(session, world, keyring, variant, facility.code, attachments_dir)
    scopes = {
        ScopeKind.DONG: OWN_DONG,
        ScopeKind.GU: OWN_GU,
        ScopeKind.CITY: None,
        ScopeKind.FACILITY: world.facilities["own"],
    }
    for role in Role:
        world.users[role.value] = make_user(session, role=role, scope_code=scopes[role.scope_kind])
    world.target_user = make_user(session, role=Role.WELFARE_PLANNER).id or 0
    _add_outreach(session, world)
    world.facility_token, _ = auth_tokens.create_token(
        session,
        actor=actor_for(admin),
        facility_code=world.facilities["own"],
        name="matrix facility system",
    )
    return world


def _add_case(
    session: Session,
    world: World,
    keyring: Keyring,
    variant: str,
    facility_code: str,
    attachments_dir: Path,
) -> None:
    """The variant's person in a two-person household (not its head), with an open case in
    monitoring, a consent, a referral, a note and an attachment."""
    dong, _ = PLACES[variant]
    person_id = world.persons[variant]
    head = make_person(session, keyring=keyring, dong_code=dong, name=f"가구주{variant[:3]}")
    household = Household(dong_code=dong, head_person_id=head.id)
    session.add(household)
    session.flush()
    session.add(
        HouseholdMember(person_id=head.id or 0, household_id=household.id or 0, relation="본인")
    )
    session.add(
        HouseholdMember(person_id=person_id, household_id=household.id or 0, relation="자녀")
    )
    day = date(2026, 11, 2)
    case = Case(
        person_id=person_id,
        household_id=household.id,
        dong_code=dong,
        stage="monitoring",
        referral_source="자체발굴",
        identified_on=day,
        intake_on=day,
        assessed_on=day,
        planned_on=day,
    )
    session.add(case)
    session.flush()
    consent = Consent(
        person_id=person_id,
        case_id=case.id,
        purpose="referral",
        given_by="self",
        method="written",
        given_on=day,
        recorded_by_label="matrix",
    )
    session.add(consent)
    session.flush()
    referral = Referral(
        case_id=case.id or 0,
        facility_code=facility_code,
        service="밑반찬",
        consent_id=consent.id or 0,
        actor_label="matrix",
    )
    session.add(referral)
    session.flush()
    operator = operator_actor("matrix", permissions=frozenset({"case.read", "case.edit"}))
    attachment = notes.add_attachment(
        session,
        actor=operator,
        keyring=keyring,
        store=notes.AttachmentStore(folder=attachments_dir, max_bytes=1024 * 1024),
        case_id=case.id or 0,
        filename="확인서.pdf",
        stream=io.BytesIO(b"%PDF-1.4\n%matrix\n%%EOF\n"),
    )
    world.households[variant] = household.id or 0
    world.cases[variant] = case.id or 0
    world.consents[variant] = consent.id or 0
    world.referrals[variant] = referral.id or 0
    world.attachments[variant] = attachment.id or 0


# A past week, approved, whose one visit per variant is done: every form is then refused the
# same way each time (or changes nothing), and no planning run starts.
OUTREACH_WEEK, OUTREACH_DAY = "2025-W50", date(2025, 12, 9)


def _add_outreach(session: Session, world: World) -> None:
    """A visit rule; per dong an approved week plan and a staff member; per variant a done
    visit to the variant's person."""
    rule = VisitRule(
        code="matrix_alone",
        name="매트릭스 규칙",
        selector="alone",
        params={"min_age": 75},
        priority=4,
        due_days=14,
        frequency_days=30,
        roles=["planner"],
        duration_min=40,
        covers=["안부 확인"],
    )
    session.add(rule)
    world.rule_code = rule.code
    plans: dict[str, tuple[int, int]] = {}
    for seq, variant in enumerate(VARIANTS, start=1):
        dong, _ = PLACES[variant]
        if dong not in plans:
            plan = WeekPlan(dong_code=dong, week=OUTREACH_WEEK, status="approved", revision=1)
            staff = OutreachStaff(dong_code=dong, name="매트릭스", role="planner")
            session.add_all([plan, staff])
            session.flush()
            plans[dong] = (plan.id or 0, staff.id or 0)
        plan_id, staff_id = plans[dong]
        target = VisitTarget(
            rule_code=rule.code,
            person_id=world.persons[variant],
            household_id=world.households[variant],
            dong_code=dong,
            cycle="matrix",
            priority=4,
            due_on=OUTREACH_DAY,
            earliest_on=OUTREACH_DAY,
            status="done",
        )
        session.add(target)
        session.flush()
        visit = Visit(
            plan_id=plan_id,
            target_id=target.id or 0,
            household_id=world.households[variant],
            staff_id=staff_id,
            day=OUTREACH_DAY,
            start_min=540 + 60 * seq,
            end_min=580 + 60 * seq,
            seq=seq,
            status="done",
            outcome_note="매트릭스",
        )
        session.add(visit)
        session.flush()
        world.staff[variant], world.visits[variant] = staff_id, visit.id or 0


# --- how to call each route ----------------------------------------------------------------

Form = Callable[[World], dict[str, str]]


def _no_form(_: World) -> dict[str, str]:
    return {}


FIXES = itertools.count()  # each fix sends a name not sent before (an unchanged fix is refused)
MAPPING_COLUMNS = {"name": "name", "birth_date": "birth_date", "address": "address"}
CSV_UPLOAD = "성명,생년월일\r\n김업로드,1950-03-02\r\n".encode("cp949")


# POST routes: the form a permitted user sends and the status that user gets.
POSTS: dict[str, tuple[Form, int]] = {
    "/login": (lambda w: {"username": "nobody", "password": "x" * 12}, 403),  # no login cookie
    "/login/totp": (lambda w: {"code": "000000"}, 303),  # no half-finished login: back to /login
    "/logout": (_no_form, 303),
    "/account/sessions/end-others": (_no_form, 303),
    "/account/password": (
        lambda w: {"current": "not my password", "new": "a" * 12, "confirm": "a" * 12},
        422,
    ),
    "/account/totp": (lambda w: {"code": "000000"}, 409),  # no enrolment started (yet)
    "/account/totp/start": (_no_form, 303),
    "/account/recovery-codes": (lambda w: {"code": "000000"}, 409),  # no authenticator yet
    "/admin/users": (
        lambda w: {
            "username": f"new{secrets.token_hex(4)}",
            "display_name": "새 직원",
            "role": "welfare_planner",
            "scope_code": OWN_DONG,
        },
        200,
    ),
    "/admin/users/{user_id}/disable": (_no_form, 303),
    "/admin/users/{user_id}/unlock": (_no_form, 303),
    "/admin/users/{user_id}/reset-password": (_no_form, 200),
    "/facilities/{code}/tokens": (lambda w: {"name": "연계 시스템"}, 200),
    "/facilities/{code}/tokens/{token_id}/revoke": (_no_form, 303),
    "/persons/{person_id}/rrn": (lambda w: {"reason": "긴급지원 본인 확인"}, 200),
    "/imports": (lambda w: {"facility": w.facilities["own"]}, 303),
    "/imports/dongs/{record_id}": (lambda w: {"dong_code": OWN_DONG}, 303),
    "/imports/{batch_id}/mapping": (lambda w: {"column": list(MAPPING_COLUMNS)}, 303),
    # A new value each time: a fix that changes nothing is refused.
    "/imports/{batch_id}/rows/{row_number}": (
        lambda w: {
            "cell": [f"박고{chr(ord('가') + next(FIXES) % 2000)}", "1950-03-02", "서울 강남구"]
        },
        303,
    ),
    "/facilities/{code}/mapping": (lambda w: {"column": list(MAPPING_COLUMNS)}, 303),
    # Without the required note or reason: refused the same way every time (in scope).
    "/linkage/reviews/{item_id}/decision": (lambda w: {"decision": "same", "note": ""}, 422),
    "/persons/{person_id}/merge": (lambda w: {"other_id": "1", "reason": ""}, 422),
    "/persons/{person_id}/split": (lambda w: {"reason": ""}, 422),
    "/api/v1/facilities/{code}/records": (
        lambda w: {"records": [{"성명": "김연계", "생년월일": "1950-03-02"}]},
        200,
    ),
    # Households: each form is refused the same way every time (the person is not the head).
    "/households/{household_id}/members/{person_id}/relation": (
        lambda w: {"relation": "본인"},
        422,
    ),
    "/households/{household_id}/head": (lambda w: {"person_id": "", "old_head_relation": ""}, 422),
    "/households/{household_id}/members/{person_id}/move": (
        lambda w: {"to_household_id": "x", "relation": "자녀"},
        422,
    ),
    # The case workflow: the world's case is in monitoring, with an open case per person.
    "/persons/{person_id}/cases": (
        lambda w: {"referral_source": "자체발굴", "identified_on": "2026-11-01"},
        409,
    ),
    "/cases/{case_id}/consultation": (lambda w: {"outcome": "proceed"}, 409),
    "/cases/{case_id}/intake": (lambda w: {"intake_on": "2026-11-03"}, 409),
    "/cases/{case_id}/assessment": (lambda w: {"crisis_level": "high"}, 409),
    "/cases/{case_id}/conference": (lambda w: {"kind": "internal"}, 409),
    "/cases/{case_id}/classification": (lambda w: {"category": "general"}, 409),
    "/cases/{case_id}/plan": (lambda w: {"goals": ""}, 409),
    "/cases/{case_id}/monitoring": (lambda w: {"method": "visit", "checked_on": ""}, 422),
    "/cases/{case_id}/reassess": (lambda w: {"note": ""}, 422),
    "/cases/{case_id}/close": (lambda w: {"reason": "", "closed_on": ""}, 422),
    # Case records: a note is added each time; the others are refused the same way each time.
    "/cases/{case_id}/notes": (lambda w: {"body": "매트릭스 기록"}, 303),
    "/cases/{case_id}/attachments": (_no_form, 422),
    "/cases/{case_id}/consents": (lambda w: {"purpose": "referral", "given_on": ""}, 422),
    "/cases/{case_id}/consents/{consent_id}/withdraw": (lambda w: {"withdrawn_on": ""}, 422),
    "/cases/{case_id}/referrals": (
        lambda w: {"referral_facility": "", "service": "", "reason": ""},
        422,
    ),
    "/cases/{case_id}/referrals/{referral_id}/status": (lambda w: {"status": "sent"}, 422),
    # Outreach: the week is approved and every visit done (see _add_outreach).
    "/outreach/centers/{dong_code}/weeks/{week}/plan": (_no_form, 409),
    "/outreach/centers/{dong_code}/weeks/{week}/replan": (_no_form, 303),
    "/outreach/centers/{dong_code}/weeks/{week}/approve": (_no_form, 409),
    "/outreach/centers/{dong_code}/weeks/{week}/leave/{leave_id}/cancel": (_no_form, 404),
    "/outreach/centers/{dong_code}/weeks/{week}/leave": (
        lambda w: {
            "staff_id": str(w.staff["own"]),
            "starts_on": "2025-12-10",
            "ends_on": "2025-12-10",
            "kind": "annual",
        },
        303,
    ),
    "/outreach/centers/{dong_code}/days/{day}/staff/{staff_id}/outcomes": (
        lambda w: {"visit_id": str(w.visits["own"]), "outcome": "done", "note": "확인"},
        422,
    ),
    "/outreach/visits/{visit_id}/lock": (lambda w: {"locked": "1"}, 303),
    "/outreach/visits/{visit_id}/move": (
        lambda w: {"staff_id": str(w.staff["own"]), "day": "2025-12-10", "start": "10:00"},
        409,
    ),
    "/outreach/visits/{visit_id}/outcome": (lambda w: {"outcome": "done", "note": "확인"}, 409),
    "/outreach/rules/{rule_code}/preview": (
        lambda w: {
            "priority": "4",
            "due_days": "14",
            "duration_min": "40",
            "roles": "planner",
            "covers": "안부 확인",
            "active": "true",
            "params.min_age": "70",
        },
        200,
    ),
    "/outreach/rules/{rule_code}": (lambda w: {"priority": "열"}, 422),
}
# POST routes whose body is JSON or carries a file, not a plain form.
JSON_POSTS = {"/api/v1/facilities/{code}/records"}
FILE_POSTS = {"/imports": {"file": ("명단.csv", CSV_UPLOAD, "text/csv")}}
# Public GET routes whose answer depends on who asks: (anonymous, signed in).
PUBLIC_GETS = {"/login": (200, 303), "/login/totp": (303, 303)}
# GET routes that send a permitted user on to their own page.
REDIRECT_GETS = {"/outreach": 303}
# What each path parameter is filled with, per variant.
PARAMS: dict[str, Callable[[World, str], object]] = {
    "person_id": lambda w, v: w.persons[v],
    "code": lambda w, v: w.facilities[v],
    "token_id": lambda w, v: w.tokens[v],
    "dong_code": lambda w, v: PLACES[v][0],
    "gu_code": lambda w, v: PLACES[v][1],
    "user_id": lambda w, v: w.target_user,
    "batch_id": lambda w, v: w.batches[v],
    "row_number": lambda w, v: 2,
    "record_id": lambda w, v: w.records[v],
    "item_id": lambda w, v: w.reviews[v],
    "household_id": lambda w, v: w.households[v],
    "case_id": lambda w, v: w.cases[v],
    "attachment_id": lambda w, v: w.attachments[v],
    "consent_id": lambda w, v: w.consents[v],
    "referral_id": lambda w, v: w.referrals[v],
    "week": lambda w, v: OUTREACH_WEEK,
    "day": lambda w, v: OUTREACH_DAY.isoformat(),
    "staff_id": lambda w, v: w.staff[v],
    "visit_id": lambda w, v: w.visits[v],
    "rule_code": lambda w, v: w.rule_code,
    # No such leave: whoever may cancel gets 404 (a real one would be gone after one call).
    "leave_id": lambda w, v: 999_999,
}
# Parameters that name a row someone owns; dong and gu codes name reference data, which
# every staff account reads whatever its scope.
SCOPED_PARAMS = {
    "person_id",
    "code",
    "token_id",
    "batch_id",
    "record_id",
    "item_id",
    "household_id",
    "case_id",
    "attachment_id",
    "consent_id",
    "referral_id",
    "staff_id",
    "visit_id",
}
# Under /outreach a dong's or gu's code names that center's plans, not reference data.
OUTREACH_SCOPED_PARAMS = ("dong_code", "gu_code")


def _permission(route: RouteContext) -> list[str]:
    found = []
    stack = list(route.dependant.dependencies)
    while stack:
        dependant = stack.pop()
        if dependant.call is not None and (perm := permission_of(dependant.call)) is not None:
            found.append(perm)
        stack.extend(dependant.dependencies)
    return found


def _routes(client: TestClient) -> list[tuple[str, str, RouteContext]]:
    """(method, path, route) for every endpoint, included routers resolved (static files,
    a mounted folder, are no route)."""
    routes = []
    for route in iter_route_contexts(client.app.routes):  # type: ignore[attr-defined]
        if route.methods and route.path:
            routes += [(method, route.path, route) for method in sorted(route.methods)]
    assert len(routes) > 30, "the route table was not read"
    return routes


# --- the expectation, from the permission table and the rows' places ---------------------


@dataclass(frozen=True)
class Caller:
    """Who sends the request: a role, an anonymous visitor, or a facility's API token."""

    name: str
    role: Role | None = None
    token: bool = False

    @property
    def permissions(self) -> frozenset[str]:
        if self.token:
            return auth_tokens.TOKEN_PERMISSIONS
        return ROLE_PERMISSIONS[self.role] if self.role else frozenset()


CALLERS = [
    Caller("anonymous"),
    *(Caller(role.value, role=role) for role in Role),
    Caller("facility_token", role=Role.FACILITY_UPLOADER, token=True),
]


def _sees(caller: Caller, world: World, variant: str, param: str) -> bool:
    """Whether a row of this variant lies inside the caller's scope."""
    assert caller.role is not None
    dong, gu = PLACES[variant]
    kind = caller.role.scope_kind
    if param in ("code", "token_id", "batch_id", "record_id") and kind is ScopeKind.FACILITY:
        return world.facilities[variant] == world.facilities["own"]
    if kind is ScopeKind.FACILITY:
        return False  # a facility sees no resident
    if param == "gu_code":  # a gu's plan status: its managers and the staff of its dongs
        return kind is ScopeKind.CITY or gu == OWN_GU
    if param == "record_id" and kind is ScopeKind.DONG:
        return gu == OWN_GU  # a row with no dong yet is placed by the centres of its gu
    return {
        ScopeKind.CITY: True,
        ScopeKind.GU: gu == OWN_GU,
        ScopeKind.DONG: dong == OWN_DONG,
    }[kind]


def expected_status(
    caller: Caller, method: str, path: str, permission: str, world: World, variant: str
) -> int:
    api = path.startswith("/api/")
    signed_in = caller.role is not None and (not caller.token or api)
    if permission == PUBLIC:
        if method == "POST":
            return POSTS[path][1]
        anonymous, known = PUBLIC_GETS.get(path, (200, 200))
        return known if signed_in and not caller.token else anonymous
    if not signed_in:
        return 401 if api else 303
    if permission not in caller.permissions:
        return 403
    scoped = [p for p in SCOPED_PARAMS if "{" + p + "}" in path]
    if path.startswith("/outreach/"):
        scoped += [p for p in OUTREACH_SCOPED_PARAMS if "{" + p + "}" in path]
    if scoped and not all(_sees(caller, world, variant, p) for p in scoped):
        return 404
    return POSTS[path][1] if method == "POST" else REDIRECT_GETS.get(path, 200)


# --- the tests ----------------------------------------------------------------------------


def test_every_route_declares_exactly_one_known_permission(client: TestClient) -> None:
    problems = []
    for method, path, route in _routes(client):
        declared = _permission(route)
        if len(declared) != 1:
            problems.append(f"{method} {path}: declares {declared or 'no permission'}")
        elif declared[0] != PUBLIC and declared[0] not in PERMISSIONS:
            problems.append(f"{method} {path}: unknown permission {declared[0]}")
        if method == "POST" and path not in POSTS:
            problems.append(f"{method} {path}: add it to POSTS in this file")
        unknown = set(route.param_convertors) - set(PARAMS)
        if unknown:
            problems.append(f"{method} {path}: add {unknown} to PARAMS in this file")
    assert not problems, "\n".join(problems)


def test_access_matrix_every_route_role_and_scope(
    client: TestClient,
    session: Session,
    keyring: Keyring,
    app_settings: Settings,
    capsys: pytest.CaptureFixture[str],
) -> None:
    world = _build_world(session, keyring, app_settings.attachments_dir)
    clients: dict[str, tuple[TestClient, dict[str, str]]] = {}
    for caller in CALLERS:
        browser = TestClient(client.app)
        headers: dict[str, str] = {}
        if caller.token:
            headers["Authorization"] = f"Bearer {world.facility_token}"
        elif caller.role is not None:
            headers["X-CSRF-Token"] = sign_in(browser, session, world.users[caller.name])
        clients[caller.name] = (browser, headers)

    failures, cases, routes = [], 0, 0
    # In path order (confirming an enrolment comes before starting one); logging out ends
    # the caller's session, so it comes last.
    ordered = sorted(_routes(client), key=lambda r: (r[1] == "/logout", r[1], r[0]))
    for method, path, route in ordered:
        routes += 1
        permission = _permission(route)[0]
        params = list(route.param_convertors)
        variants = VARIANTS if params else ("own",)
        for caller, variant in itertools.product(CALLERS, variants):
            browser, headers = clients[caller.name]
            url = path.format(**{p: PARAMS[p](world, variant) for p in params})
            body = POSTS[path][0](world) if method == "POST" else None
            json_body = body if path in JSON_POSTS else None
            form = None if path in JSON_POSTS else body
            response = browser.request(
                method,
                url,
                data=form,
                json=json_body,
                files=FILE_POSTS.get(path) if method == "POST" else None,
                headers=headers,
                follow_redirects=False,
            )
            want = expected_status(caller, method, path, permission, world, variant)
            cases += 1
            if response.status_code != want:
                failures.append(
                    f"{caller.name:18} {variant:14} {method} {url}: "
                    f"got {response.status_code}, want {want}"
                )
            elif want == 303 and permission != PUBLIC and caller.role is None:
                assert response.headers["location"].startswith("/login?next=")
    with capsys.disabled():
        print(f"\naccess matrix: {routes} routes, {len(CALLERS)} callers, {cases} cases")
    assert not failures, f"{len(failures)} of {cases} cases wrong:\n" + "\n".join(failures)


LISTS = {
    "/persons": ("person.read", "person_names"),
    "/api/v1/persons": ("person.read", "person_names"),
    "/facilities": ("facility.read", "facility_names"),
    "/api/v1/facilities": ("facility.read", "facility_names"),
    "/imports": ("import.read", "facility_names"),
}


def test_list_pages_show_no_row_outside_the_scope(
    client: TestClient, session: Session, keyring: Keyring, app_settings: Settings
) -> None:
    world = _build_world(session, keyring, app_settings.attachments_dir)
    wrong = []
    for role in Role:
        browser = TestClient(client.app)
        sign_in(browser, session, world.users[role.value])
        caller = Caller(role.value, role=role)
        for path, (permission, names_of) in LISTS.items():
            response = browser.get(path)
            if permission not in caller.permissions:
                assert response.status_code == 403, (role, path)
                continue
            assert response.status_code == 200, (role, path)
            param = "person_id" if names_of == "person_names" else "code"
            for variant, name in getattr(world, names_of).items():
                shown = name in response.text
                if shown != _sees(caller, world, variant, param):
                    wrong.append(f"{role.value} {path} {variant}: shown={shown}")
    assert not wrong, "\n".join(wrong)


def _fingerprint(session: Session) -> dict[str, list[tuple[object, ...]]]:
    """Every row of every table but the access log (which a read must grow) and the sessions'
    last-seen times (touched at most once a minute)."""
    found = {}
    for table in SQLModel.metadata.sorted_tables:
        if table.name == "access_log":
            continue
        columns = [c for c in table.columns if c.name != "last_seen_at"]
        query = select(*columns).order_by(*table.primary_key.columns)
        found[table.name] = [tuple(row) for row in session.execute(query)]
    return found


def test_get_requests_change_nothing(
    client: TestClient, session: Session, keyring: Keyring, app_settings: Settings
) -> None:
    """No state change on GET: every GET route, asked by someone allowed to, leaves every
    table as it was (apart from the access-log row a read adds)."""
    world = _build_world(session, keyring, app_settings.attachments_dir)
    browsers = {}
    for role in Role:
        browsers[role] = TestClient(client.app)
        sign_in(browsers[role], session, world.users[role.value])
    before = _fingerprint(session)
    asked = 0
    for method, path, route in _routes(client):
        if method != "GET":
            continue
        permission = _permission(route)[0]
        caller = next(
            (Caller(r.value, role=r) for r in Role if permission in ROLE_PERMISSIONS[r]),
            Caller("anonymous"),
        )
        browser = browsers[caller.role] if caller.role else TestClient(client.app)
        url = path.format(**{p: PARAMS[p](world, "own") for p in route.param_convertors})
        browser.get(url, follow_redirects=False)
        asked += 1
        session.expire_all()
        assert _fingerprint(session) == before, f"GET {url} changed the database"
    assert asked > 20
