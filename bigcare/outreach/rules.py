"""Visit rules: loading and checking seed_data/visit_rules.yaml, seeding them, and a
manager's edits with a preview of what they would change. The selectors that turn a rule
into the persons it must visit live in `selectors`."""

import logging
import re
from collections.abc import Collection
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import yaml
from sqlmodel import Session, col, select

from bigcare import config, db
from bigcare.auth import audit
from bigcare.auth.service import Actor
from bigcare.errors import FieldError, InvalidInput, NotFound, PermissionDenied
from bigcare.outreach import selectors
from bigcare.outreach.models import VisitRule

log = logging.getLogger(__name__)

RULES_FILE = "visit_rules.yaml"
ROLES = {"planner": "복지플래너", "nurse": "방문간호사"}
# A visit is made by a planner, a nurse, or the two together; never anyone else.
ROLE_SETS = (["planner"], ["nurse"], ["planner", "nurse"])

FIELD_LABELS = {
    "code": "코드",
    "name": "이름",
    "selector": "대상 선정 방식",
    "params": "선정 설정",
    "priority": "우선순위",
    "must_visit": "필수 방문",
    "due_days": "방문 기한(일)",
    "frequency_days": "반복 주기(일)",
    "roles": "방문 인력",
    "duration_min": "방문 시간(분)",
    "covers": "확인 항목",
    "active": "사용 여부",
}
EDITABLE = (
    "params",
    "priority",
    "due_days",
    "frequency_days",
    "roles",
    "duration_min",
    "covers",
    "must_visit",
    "active",
)
_CODE_RE = re.compile(r"[a-z][a-z0-9_]{0,29}")
_NOT_FOUND = "방문 규칙을 찾을 수 없습니다"
_NO_CHANGE = "바뀐 항목이 없습니다"
_ROLES_PROBLEM = "복지플래너(planner), 방문간호사(nurse) 또는 두 사람 함께만 고를 수 있습니다"

# Each selector's settings: key → (type, minimum, maximum, Korean label). All are required.
PARAM_SPECS: dict[str, dict[str, tuple[type, float, float, str]]] = {
    "birthday": {
        "age": (int, 1, 120, "만 나이"),
        "lookback_days": (int, 0, 365, "생일 지난 뒤 선정 기간(일)"),
        "lookahead_days": (int, 0, 365, "생일 전 선정 기간(일)"),
    },
    "newborn": {
        "months": (int, 1, 24, "출생 후 개월 수"),
        "after_days": (int, 0, 60, "출생 후 방문 시작(일)"),
    },
    "alone": {"min_age": (int, 60, 110, "최소 나이")},
    "crisis": {"threshold": (float, 0, 100, "위험도 기준 점수")},
    "case_monitoring": {"lookahead_days": (int, 0, 90, "점검일 전 선정 기간(일)")},
    "revisit": {"wait_days": (int, 0, 14, "부재 후 대기(일)")},
}
_TRUE = {"true", "1", "on", "yes", "y", "예"}
_FALSE = {"false", "0", "off", "no", "n", "아니오", ""}


# --- checking values -----------------------------------------------------------------------


class _Errors:
    """Field errors collected over a rule; the message names the rule and the field."""

    def __init__(self, rule: str | None) -> None:
        self.rule = rule
        self.items: list[FieldError] = []

    def add(self, field: str, problem: str) -> None:
        label = FIELD_LABELS.get(field.split(".")[0], field)
        where = f"방문 규칙 '{self.rule}'의 " if self.rule else ""
        self.items.append(FieldError(field=field, message=f"{where}{label}({field}): {problem}"))

    def raise_any(self) -> None:
        if self.items:
            raise InvalidInput(self.items[0].message, self.items)


def _int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and re.fullmatch(r"\s*-?[0-9]+\s*", value):
        return int(value)
    return None


def _number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value.strip())
        except ValueError:
            return None
    return None


def _bool(value: Any) -> bool | None:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in _TRUE | _FALSE:
        return value.strip().lower() in _TRUE
    return None


def _check_int(errors: _Errors, field: str, value: Any, low: int, high: int) -> int | None:
    number = _int(value)
    if number is None:
        errors.add(field, "정수를 입력하세요")
    elif not low <= number <= high:
        errors.add(field, f"{low}에서 {high} 사이여야 합니다")
    else:
        return number
    return None


def _check_params(
    errors: _Errors, selector: str, params: Any, *, partial: bool = False
) -> dict[str, Any]:
    spec = PARAM_SPECS.get(selector, {})
    if not isinstance(params, dict):
        errors.add("params", "설정값 목록이어야 합니다")
        return {}
    out: dict[str, Any] = {}
    for key in params:
        if key not in spec:
            errors.add(f"params.{key}", f"'{selector}' 방식에 없는 설정입니다")
    for key, (kind, low, high, label) in spec.items():
        if key not in params:
            if not partial:
                errors.add(f"params.{key}", f"{label} 값이 없습니다")
            continue
        value = _int(params[key]) if kind is int else _number(params[key])
        if value is None:
            errors.add(f"params.{key}", f"{label}: 숫자를 입력하세요")
        elif not low <= value <= high:
            errors.add(f"params.{key}", f"{label}: {low:g}에서 {high:g} 사이여야 합니다")
        else:
            out[key] = value
    return out


def _clean(errors: _Errors, field: str, value: Any) -> Any:
    """One editable field's value, cleaned (form text accepted), or None after an error."""
    match field:
        case "priority":
            return _check_int(errors, field, value, 1, 9)
        case "due_days":
            return _check_int(errors, field, value, 0, 365)
        case "duration_min":
            return _check_int(errors, field, value, 10, 240)
        case "frequency_days":
            if value is None or (isinstance(value, str) and not value.strip()):
                return None
            return _check_int(errors, field, value, 1, 366)
        case "must_visit" | "active":
            flag = _bool(value)
            if flag is None:
                errors.add(field, "예/아니오(true/false)로 입력하세요")
            return flag
        case "roles":
            roles = value.replace(",", " ").split() if isinstance(value, str) else value
            if not isinstance(roles, list) or not all(isinstance(r, str) for r in roles):
                errors.add(field, "planner, nurse 중에서 고르세요")
                return None
            ordered = [r for r in ROLES if r in roles]
            if len(set(roles)) != len(roles) or set(roles) - set(ROLES) or ordered not in ROLE_SETS:
                errors.add(field, _ROLES_PROBLEM)
                return None
            return ordered
        case "covers":
            items = value.splitlines() if isinstance(value, str) else value
            if not isinstance(items, list) or not all(isinstance(i, str) for i in items):
                errors.add(field, "확인 항목을 한 줄에 하나씩 입력하세요")
                return None
            cleaned = [i.strip() for i in items if i.strip()]
            if not 1 <= len(cleaned) <= 12:
                errors.add(field, "확인 항목은 1개에서 12개까지입니다")
            elif any(len(i) > 100 for i in cleaned):
                errors.add(field, "확인 항목 하나는 100자 이하여야 합니다")
            else:
                return cleaned
            return None
    errors.add(field, "고칠 수 없는 항목입니다")
    return None


def validate_rule_changes(
    changes: dict[str, Any], *, selector: str | None = None
) -> dict[str, Any]:
    """A manager's edits, checked and cleaned (numbers and yes/no as typed in a form, roles
    and covers as lists or text). With the rule's selector, params keys and ranges are checked
    too (params may name only the keys that change). Raises InvalidInput."""
    errors = _Errors(None)
    cleaned: dict[str, Any] = {}
    for field, value in changes.items():
        if field not in EDITABLE:
            errors.add(field, "고칠 수 없는 항목입니다")
        elif field == "params":
            if selector is None:
                if isinstance(value, dict):
                    cleaned[field] = dict(value)
                else:
                    errors.add("params", "설정값 목록이어야 합니다")
            else:
                cleaned[field] = _check_params(errors, selector, value, partial=True)
        else:
            cleaned[field] = _clean(errors, field, value)
    errors.raise_any()
    return cleaned


def _check_rule(entry: Any, position: int, codes: set[str]) -> dict[str, Any]:
    """One rule of the file, checked in full. Raises InvalidInput naming the rule."""
    if not isinstance(entry, dict):
        errors = _Errors(f"{position}번째")
        errors.add("code", "규칙은 항목: 값 목록이어야 합니다")
        errors.raise_any()
    code = entry.get("code")
    errors = _Errors(code if isinstance(code, str) and code else f"{position}번째")
    required = ("code", "name", "selector", "params", *EDITABLE)
    for field in required:
        if field not in entry and field not in ("active", "frequency_days"):
            errors.add(field, "값이 없습니다")
    for field in entry:
        if field not in required:
            errors.add(field, "알 수 없는 항목입니다")
    errors.raise_any()
    values: dict[str, Any] = {}
    if not isinstance(code, str) or not _CODE_RE.fullmatch(code):
        errors.add("code", "영문 소문자·숫자·밑줄 30자 이하여야 합니다")
    elif code in codes:
        errors.add("code", "같은 코드의 규칙이 이미 있습니다")
    values["code"] = code
    name = entry["name"]
    if not isinstance(name, str) or not name.strip() or len(name.strip()) > 60:
        errors.add("name", "1자에서 60자 사이의 이름이어야 합니다")
    else:
        values["name"] = name.strip()
    selector = entry["selector"]
    if selector not in selectors.SELECTORS:
        errors.add("selector", f"{', '.join(selectors.SELECTORS)} 중 하나여야 합니다")
    else:
        values["selector"] = selector
        values["params"] = _check_params(errors, selector, entry["params"])
    for field in EDITABLE:
        if field == "params":
            continue
        if field in entry:
            values[field] = _clean(errors, field, entry[field])
    values.setdefault("active", True)
    values.setdefault("frequency_days", None)
    errors.raise_any()
    return values


def load_rule_file(path: Path | None = None) -> list[dict[str, Any]]:
    """The rules in seed_data/visit_rules.yaml (or `path`), every field checked.
    Raises InvalidInput naming the rule and field that is wrong."""
    path = path or config.SEED_DIR / RULES_FILE
    try:
        entries = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" ({mark.line + 1}번째 줄)" if mark is not None else ""
        raise InvalidInput(f"방문 규칙 파일을 읽을 수 없습니다{where}") from None
    if not isinstance(entries, list) or not entries:
        raise InvalidInput("방문 규칙 파일은 규칙 목록이어야 합니다")
    codes: set[str] = set()
    rules = []
    for position, entry in enumerate(entries, start=1):
        values = _check_rule(entry, position, codes)
        codes.add(values["code"])
        rules.append(values)
    return rules


# --- the rules in the database -------------------------------------------------------------


def seed_rules(session: Session, *, path: Path | None = None) -> int:
    """Insert the file's rules missing from the table; returns how many. A rule already there
    is left as it is (a manager may have edited it)."""
    existing = set(session.exec(select(VisitRule.code)))
    added = 0
    for values in load_rule_file(path):
        if values["code"] in existing:
            continue
        session.add(VisitRule(**values, version=1, updated_by_label="seed"))
        added += 1
    session.flush()
    return added


def list_rules(session: Session) -> list[VisitRule]:
    """Every rule, most urgent first."""
    return list(session.exec(select(VisitRule).order_by(col(VisitRule.priority), VisitRule.code)))


def get_rule(session: Session, code: str) -> VisitRule:
    """One rule by code. Raises NotFound."""
    rule = session.get(VisitRule, code)
    if rule is None:
        raise NotFound(_NOT_FOUND)
    return rule


def _changed_values(rule: VisitRule, changes: dict[str, Any]) -> dict[str, Any]:
    """The rule's values after the changes (params merged and checked in full)."""
    cleaned = validate_rule_changes(changes, selector=rule.selector)
    values = {f: getattr(rule, f) for f in EDITABLE}
    if "params" in cleaned:
        errors = _Errors(rule.code)
        merged = {**rule.params, **changes["params"]}
        cleaned["params"] = _check_params(errors, rule.selector, merged)
        errors.raise_any()
    return values | cleaned


@dataclass(frozen=True)
class RulePreview:
    """How many targets (distinct person and cycle) a rule selects now and after an edit."""

    current: int
    after: int
    added: int
    dropped: int


def preview_rule_change(
    session: Session,
    *,
    rule_code: str,
    changes: dict[str, Any],
    today: date,
    dong_codes: Collection[str] | None = None,
) -> RulePreview:
    """What an edit would change, without saving anything. Raises NotFound, InvalidInput."""
    rule = get_rule(session, rule_code)
    after_values = _changed_values(rule, changes)
    now = {
        (s.person_id, s.cycle)
        for s in selectors.select_for_rule(session, rule=rule, today=today, dong_codes=dong_codes)
    }
    after = {
        (s.person_id, s.cycle)
        for s in selectors.run_selector(session, rule.selector, after_values, today, dong_codes)
    }
    return RulePreview(
        current=len(now), after=len(after), added=len(after - now), dropped=len(now - after)
    )


def update_rule(
    session: Session, *, rule_code: str, changes: dict[str, Any], actor: Actor, today: date
) -> VisitRule:
    """Save a manager's edit: bump the version, log it, and bring the rule's targets in line
    (new ones added, ones it no longer selects closed). Raises NotFound, InvalidInput,
    PermissionDenied."""
    # targets imports this module (selectors); imported here to keep the import one-way.
    from bigcare.outreach import targets

    if not actor.can("rule.edit"):
        raise PermissionDenied()
    rule = get_rule(session, rule_code)
    values = _changed_values(rule, changes)
    changed = sorted(f for f in EDITABLE if values[f] != getattr(rule, f))
    if not changed:
        raise InvalidInput(_NO_CHANGE)
    for field in changed:
        setattr(rule, field, values[field])
    rule.version += 1
    rule.updated_by_label = actor.signature
    rule.updated_at = db.utcnow()
    session.add(rule)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="rule.update",
        target=f"visit_rule:{rule.code} v{rule.version} ({', '.join(changed)})",
    )
    result = targets.refresh_targets(session, today=today, rule_codes=[rule.code])
    log.info(
        "visit rule %s v%d saved: %d targets added, %d closed",
        rule.code,
        rule.version,
        result.added,
        result.closed,
    )
    return rule
