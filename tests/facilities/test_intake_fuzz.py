"""Hypothesis over the whole intake: whatever bytes arrive (random, text in mixed encodings,
CSV-shaped, cut-off XLSX), the import never fails unexpectedly, and a file it takes balances:
accepted + warned + quarantined = rows read, with every stored row accounted for."""

import io
from datetime import date
from pathlib import Path

import openpyxl
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func
from sqlmodel import Session, select

from bigcare.auth.permissions import Role
from bigcare.auth.service import actor_for
from bigcare.facilities import batches, intake
from bigcare.facilities.models import SourceRecord
from bigcare.privacy.crypto import Keyring
from tests.factories import make_facility, make_user

FUZZ = settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
HEADERS = ["성명", "주민번호", "생년월일", "연락처", "주소", "행정동", "비고", "name", ""]
cells = st.one_of(
    st.text(max_size=20),
    st.sampled_from(["500302-1234560", "501345-2234567", "1950.03.02", "01012345678", "김철수"]),
)


# What a spreadsheet cell can hold (no control characters, no lone surrogates).
sheet_cells = st.one_of(
    st.text(alphabet=st.characters(blacklist_categories=("Cc", "Cs")), max_size=20),
    st.sampled_from(["500302-1234560", "=SUM(A1:A2)", "1950.03.02", "김철수"]),
)


def _cut(data: bytes, share: float) -> bytes:
    """The first share of the file: an upload cut off on the way."""
    return data[: max(1, int(len(data) * share))]


def _xlsx(rows: list[list[str]]) -> bytes:
    workbook = openpyxl.Workbook()
    for row in rows:
        workbook.active.append(row)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


csv_text = st.lists(st.lists(cells, min_size=1, max_size=8), min_size=1, max_size=12).map(
    lambda rows: "\r\n".join(",".join(c.replace(",", " ") for c in row) for row in rows)
)
payloads = st.one_of(
    st.binary(max_size=2000),
    st.tuples(csv_text, st.sampled_from(["utf-8", "utf-8-sig", "cp949", "utf-16"])).map(
        lambda t: t[0].encode(t[1], errors="replace")
    ),
    st.tuples(
        st.lists(st.lists(sheet_cells, min_size=1, max_size=6), min_size=1, max_size=8),
        st.floats(min_value=0.1, max_value=1.0),
    ).map(lambda t: _cut(_xlsx([HEADERS[:6], *t[0]]), t[1])),
)


@FUZZ
@given(payload=payloads)
def test_any_file_is_refused_cleanly_or_taken_whole_and_balanced(
    payload: bytes, session: Session, keyring: Keyring, tmp_path: Path
) -> None:
    facility = make_facility(session)
    actor = actor_for(make_user(session, role=Role.FACILITY_UPLOADER, scope_code=facility.code))
    path = tmp_path / "upload.bin"
    path.write_bytes(payload)

    batch = intake.import_file(
        session,
        actor=actor,
        keyring=keyring,
        facility_code=facility.code,
        path=path,
        door=intake.Door(source="web", filename="upload.csv"),
        accept_suggested=True,
        today=date(2026, 11, 25),
    ).batch

    stored = session.exec(
        select(func.count()).select_from(SourceRecord).where(SourceRecord.batch_id == batch.id)
    ).one()
    if batch.status == batches.REFUSED:
        assert batch.error and stored == 0
        return
    assert batch.rows_read == stored
    assert batch.rows_read == (
        batch.rows_accepted + batch.rows_warned + batch.rows_quarantined + batch.rows_pending
    )
    # A file whose columns cannot be mapped waits for a person; nothing is parsed or lost.
    assert batch.status in (batches.DONE, batches.MAPPING)
