"""Small linkage worlds for page tests: a hand-set model and records received through the real
intake, so a few rows link (or go to review) without training — Splink's EM needs thousands."""

from typing import Any

from sqlmodel import Session, col, select

from bigcare.auth import tokens as auth_tokens
from bigcare.auth.service import operator_actor
from bigcare.facilities import intake
from bigcare.facilities.models import SourceRecord
from bigcare.linkage import engine
from bigcare.linkage import service as linkage_service
from bigcare.privacy.crypto import Keyring
from tests.factories import SENSITIVE_VALUES

THRESHOLDS = linkage_service.Thresholds(upper=0.99, lower=0.8)

# (m, u) of every comparison level, by its chart label: plausible values for Seoul records.
LEVELS = {
    "성명 일치": (0.9, 0.001),
    "자모 한 글자 차이": (0.05, 0.0005),
    "이름만 일치": (0.005, 0.0005),
    "성명 다름": (0.045, 0.9985),
    "번호 전체 일치": (0.7, 1e-7),
    "앞 7자리 같고 뒷자리 다름": (0.01, 0.0005),
    "앞 7자리 일치": (0.2, 0.0005),
    "번호 다름": (0.01, 0.05),
    "앞 7자리 다름": (0.08, 0.9494995),
    "생년월일 일치": (0.9, 0.0003),
    "월·일 뒤바뀜": (0.01, 0.0001),
    "한 자리 차이": (0.04, 0.003),
    "출생연도만 일치": (0.02, 0.03),
    "생년월일 다름": (0.03, 0.9666),
    "성별 일치": (0.98, 0.5),
    "성별 다름": (0.02, 0.5),
    "휴대전화 일치": (0.6, 0.0001),
    "집 전화 일치": (0.1, 0.001),
    "전화번호 다름": (0.3, 0.9989),
    "건물·호수 일치": (0.4, 0.0005),
    "같은 건물": (0.2, 0.005),
    "같은 행정동": (0.2, 0.1),
    "같은 법정동": (0.1, 0.1),
    "주소 다름": (0.2, 0.8),
    "주소 형식이 달라 비교 못 함": (0.1, 0.0945),
}
# A level added to the engine later counts as no evidence either way until it is listed.
NEUTRAL = (0.05, 0.05)


def make_link_model(session: Session) -> engine.Model:
    """Save a model with hand-set parameters as the current one. Name frequencies are not
    used: in a handful of records every name looks common."""
    spec = engine.settings().create_settings_dict(sql_dialect_str="duckdb")
    for comparison in spec["comparisons"]:
        for level in comparison["comparison_levels"]:
            if level.get("is_null_level"):
                continue
            m_u = LEVELS.get(level["label_for_charts"], NEUTRAL)
            level["m_probability"], level["u_probability"] = m_u
            level.pop("tf_adjustment_column", None)
            level.pop("tf_adjustment_weight", None)
    model = engine.Model.from_spec(spec)
    linkage_service.save_model(session, model, records=0)
    session.flush()
    return model


def receive(
    session: Session, *, keyring: Keyring, facility_code: str, records: list[dict[str, Any]]
) -> list[int]:
    """Records from a facility system through the intake's API door; their ids, in order."""
    for record in records:
        SENSITIVE_VALUES.update(str(record[k]) for k in ("name", "rrn", "phone") if record.get(k))
    operator = operator_actor("test", permissions=auth_tokens.TOKEN_PERMISSIONS)
    batch = intake.import_records(
        session,
        actor=operator,
        keyring=keyring,
        facility_code=facility_code,
        records=records,
        idempotency_key=None,
    ).batch
    query = select(SourceRecord.id).where(SourceRecord.batch_id == batch.id)
    return list(session.exec(query.order_by(col(SourceRecord.row_number))))
