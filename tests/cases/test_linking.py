"""After every link run the households of the persons it touched are formed: what the web,
API and CLI imports call (cases.linking)."""

import random
from datetime import date

from sqlmodel import Session, col, select

from bigcare.cases import households, linking
from bigcare.linkage.models import RecordLink
from bigcare.privacy import rrn as rrns
from bigcare.privacy.crypto import Keyring
from tests.factories import make_facility
from tests.linkage.pairs import THRESHOLDS, make_link_model, receive


def test_an_import_links_its_rows_and_places_the_household(
    session: Session, keyring: Keyring
) -> None:
    make_link_model(session)
    rng = random.Random(77)
    facility = make_facility(session, dong_code="1123068")
    common = {"address": "서울특별시 강남구 개포로 310, 101동 1203호", "dong": "개포1동"}
    records = [
        {
            "name": "한가구",
            "rrn": rrns.make_rrn(date(1948, 5, 2), "M", rng=rng),
            "relation": "본인",
            "household_id": "H-77",
            **common,
        },
        {
            "name": "윤가구",
            "rrn": rrns.make_rrn(date(1950, 9, 9), "F", rng=rng),
            "relation": "처",
            "household_id": "H-77",
            **common,
        },
    ]
    ids = receive(session, keyring=keyring, facility_code=facility.code, records=records)

    report = linking.link_after_import(session, thresholds=THRESHOLDS)

    assert report is not None and len(report.persons) == 2
    links = session.exec(select(RecordLink).where(col(RecordLink.record_id).in_(ids))).all()
    head, spouse = (next(r.person_id for r in links if r.record_id == i) for i in ids)
    view = households.household_of(session, person_id=spouse)
    assert view is not None
    assert [(m.person.id, m.relation, m.is_head) for m in view.members] == [
        (head, "본인", True),
        (spouse, "배우자", False),
    ]
