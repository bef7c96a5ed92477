"""Crisis signals are read from the agencies' sealed rows once linked to a person (kind,
months, amount, cut-off date), scored, stored once, and drive the weekly crisis visits."""

import random
from datetime import date

from sqlmodel import Session, col, select

from bigcare import db
from bigcare.facilities.models import ImportBatch, SourceRecord
from bigcare.linkage import service as linkage_service
from bigcare.outreach import crisis, rules, targets
from bigcare.outreach.models import CrisisSignal, VisitTarget
from bigcare.privacy import rrn as rrns
from bigcare.privacy.crypto import Keyring
from tests.cases.test_timeline import person_of
from tests.factories import make_facility
from tests.linkage.pairs import THRESHOLDS, make_link_model, receive

TODAY = date(2026, 12, 1)
_rng = random.Random(49)


def test_score_weighs_kind_months_amount_and_cut() -> None:
    power = crisis.signal_score(kind="단전", months=8, amount=720_000, cut=True)
    water = crisis.signal_score(kind="단수", months=8, amount=720_000, cut=True)
    assert power == 40 + 12 + 14.4 + 10
    assert water < power
    assert crisis.signal_score(kind="단전", months=60, amount=10**9, cut=True) == 100
    assert crisis.combined_score([60, 40]) == 80
    assert crisis.combined_score([90, 90, 90]) == 100


def test_odd_cells_leave_their_field_at_the_default() -> None:
    header = ["성명", "구분", "체납개월", "체납액", "공급중단일"]
    values = crisis.read_signal(
        header,
        ["가나다", "수도 단수", "두 달", "12,000원", "미정"],
        received_on=date(2026, 11, 28),
        today=TODAY,
    )
    assert values == {
        "kind": "단수",
        "months": 0,
        "amount": 12_000,
        "reported_on": date(2026, 11, 28),
        "score": crisis.signal_score(kind="단수", months=0, amount=12_000, cut=False),
    }
    insurance = crisis.read_signal(
        ["성명", "생년월일", "체납개월", "체납보험료"],
        ["가나다", "1960-01-01", "14개월", "1,050,000"],
        received_on=TODAY,
        today=TODAY,
    )
    assert (insurance["kind"], insurance["months"], insurance["amount"]) == (
        "건보체납", 14, 1_050_000
    )  # fmt: skip


def test_collect_reads_linked_agency_rows_once_and_drives_crisis_visits(
    session: Session, keyring: Keyring
) -> None:
    make_link_model(session)
    rules.seed_rules(session)
    agency = make_facility(session, type_code="CRISIS_AGENCY")
    center = make_facility(session, type_code="COMMUNITY_WELFARE")
    arrears = {
        "name": "탁전기",
        "rrn": rrns.make_rrn(date(1959, 3, 14), "M", rng=_rng),
        "dong": "개포1동",
        "구분": "단전",
        "체납개월": "8",
        "체납액": "720,000",
        "공급중단일": "2026.11.20",
    }
    odd = {
        "name": "변수도",
        "rrn": rrns.make_rrn(date(1972, 7, 1), "F", rng=_rng),
        "dong": "개포1동",
        "구분": "단수",
        "체납개월": "두 달",
        "체납액": "30000",
        "공급중단일": "미정",
    }
    power_id, water_id = receive(
        session, keyring=keyring, facility_code=agency.code, records=[arrears, odd]
    )
    # A welfare center's row carries no crisis signal even with the same columns.
    [other_id] = receive(
        session,
        keyring=keyring,
        facility_code=center.code,
        records=[
            {**arrears, "name": "민복지", "rrn": rrns.make_rrn(date(1950, 1, 2), "F", rng=_rng)}
        ],
    )
    linkage_service.link_pending(session, thresholds=THRESHOLDS)

    stored = crisis.collect_crisis_signals(session, keyring=keyring, today=TODAY)
    again = crisis.collect_crisis_signals(session, keyring=keyring, today=TODAY)

    assert (stored, again) == (2, 0)
    signals = {
        s.record_id: s for s in session.exec(select(CrisisSignal).order_by(col(CrisisSignal.id)))
    }
    assert set(signals) == {power_id, water_id} and other_id not in signals
    power, water = signals[power_id], signals[water_id]
    assert power.person_id == person_of(session, power_id)
    assert (power.kind, power.months, power.amount) == ("단전", 8, 720_000)
    assert (power.reported_on, power.score) == (date(2026, 11, 20), 76.4)
    record = session.get(SourceRecord, water_id)
    batch = session.get(ImportBatch, record.batch_id if record else 0)
    assert batch is not None
    received = db.aware(batch.received_at).astimezone(db.KST).date()
    assert (water.kind, water.months, water.reported_on) == ("단수", 0, received)

    targets.refresh_targets(session, today=TODAY, rule_codes=["crisis"])
    found = session.exec(select(VisitTarget).where(VisitTarget.rule_code == "crisis")).all()
    assert [(t.person_id, t.cycle) for t in found] == [(power.person_id, "2026-W49")]

    assert crisis.mark_assessed(session, person_id=power.person_id, on=date(2026, 12, 3)) == 1
    assert crisis.mark_assessed(session, person_id=power.person_id, on=date(2026, 12, 3)) == 0
    later = targets.refresh_targets(session, today=date(2026, 12, 8), rule_codes=["crisis"])
    assert (later.added, later.closed) == (0, 1)
