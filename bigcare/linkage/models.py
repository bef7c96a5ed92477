"""Persons (golden records) and how they were made: which source records each person is
built from and why, the trained model, link and review decisions, manual constraints, and
the provenance of every golden field. Cases, outreach and reports build on the person."""

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Column, DateTime, Index, UniqueConstraint, event
from sqlmodel import Field, SQLModel

from bigcare import db
from bigcare.linkage import normalize


class Person(SQLModel, table=True):
    """One resident. The RRN is kept only sealed (AES-256-GCM) with a keyed blind index.
    The fields are the golden record, chosen from the person's source records (PersonField
    says which record and why); a person merged into another is kept, retired, so old links
    and access-log entries still resolve."""

    __tablename__ = "person"
    # Access-log rows and merge history name persons by id: never reuse a deleted one's.
    # Search: trigram (GIN) indexes on PostgreSQL for partial and jamo-tolerant name and
    # address search; on SQLite the migration adds an FTS5 trigram table (person_fts).
    __table_args__ = (
        Index(
            "ix_person_name_jamo_trgm",
            "name_jamo",
            postgresql_using="gin",
            postgresql_ops={"name_jamo": "gin_trgm_ops"},
        ),
        Index(
            "ix_person_address_trgm",
            "address",
            postgresql_using="gin",
            postgresql_ops={"address": "gin_trgm_ops"},
        ),
        # A dong's active persons (every list, count and search is scoped by dong) counted,
        # and their names compared for typos, from the index alone (PostgreSQL's INCLUDE).
        Index(
            "ix_person_dong_status",
            "dong_code",
            "status",
            postgresql_include=["id", "name_jamo", "name_chosung"],
        ),
        {"sqlite_autoincrement": True},
    )

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=40)
    # `info` marks the column for `bigcare keys rotate`, which finds every sealed column.
    rrn_sealed: str | None = Field(
        default=None,
        max_length=120,
        sa_column_kwargs={"info": {"sealed": "rrn", "blind_index": "rrn_index"}},
    )
    rrn_index: str | None = Field(default=None, max_length=64, index=True)
    # Front half and sex digit are kept in clear (as in 800101-1******): the masked form
    # every list shows, and what matching uses when the full number is absent.
    rrn_masked: str | None = Field(default=None, max_length=14, index=True)
    birth_date: date | None = Field(default=None, index=True)
    sex: str | None = Field(default=None, max_length=1)
    phone: str | None = Field(default=None, max_length=20)
    dong_code: str = Field(foreign_key="dong.code", max_length=7)
    # Search keys, kept in step with name and phone by the listener below: the name as
    # conjoining jamo (typo-tolerant search), its 초성 ("ㄱㅊㅅ") and the phone's last 4 digits.
    name_jamo: str | None = Field(default=None, max_length=160)
    name_chosung: str | None = Field(default=None, max_length=40, index=True)
    phone_last4: str | None = Field(default=None, max_length=4, index=True)
    address: str | None = Field(default=None, max_length=300)
    # active, or merged (retired into merged_into_id; its records moved there)
    status: str = Field(default="active", max_length=10, index=True)
    merged_into_id: int | None = Field(default=None, foreign_key="person.id")
    created_at: datetime = Field(
        default_factory=db.utcnow, sa_type=DateTime(timezone=True), nullable=False
    )
    updated_at: datetime = Field(
        default_factory=db.utcnow, sa_type=DateTime(timezone=True), nullable=False
    )


def search_keys(name: str | None, phone: str | None) -> dict[str, str | None]:
    """The person's search columns for a name and phone (also used by bulk writers)."""
    digits = "".join(ch for ch in phone or "" if ch.isdigit())
    return {
        "name_jamo": normalize.jamo(name)[:160] if name else None,
        "name_chosung": normalize.initials(name)[:40] if name else None,
        "phone_last4": digits[-4:] if len(digits) >= 4 else None,
    }


@event.listens_for(Person, "before_insert")
@event.listens_for(Person, "before_update")
def _keep_search_keys(_mapper: object, _connection: object, person: Person) -> None:
    for key, value in search_keys(person.name, person.phone).items():
        setattr(person, key, value)


class LinkModel(SQLModel, table=True):
    """A trained Splink model (its JSON), named by a version derived from its parameters."""

    __tablename__ = "link_model"

    id: int | None = Field(default=None, primary_key=True)
    version: str = Field(max_length=16, unique=True)
    spec: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    records: int  # how many nodes it was trained on
    trained_at: datetime = Field(
        default_factory=db.utcnow, sa_type=DateTime(timezone=True), nullable=False
    )


class RecordLink(SQLModel, table=True):
    """Which person a source record belongs to, the decision that put it there, and the
    record's match keys (so incremental linking loads the index with one query)."""

    __tablename__ = "record_link"
    # road_building / lot: households are formed from records at the same building.
    __table_args__ = (
        Index("ix_record_link_node", "node_id"),
        Index("ix_record_link_road_building", "road_building"),
        Index("ix_record_link_lot", "lot"),
    )

    record_id: int = Field(primary_key=True, foreign_key="source_record.id")
    # Rows of one facility client with identical keys are one node (a service per row).
    node_id: int
    person_id: int = Field(foreign_key="person.id", index=True)
    # auto (above the upper threshold), new (no match), manual (a person's decision),
    # review (kept apart pending a decision)
    decision: str = Field(max_length=10)
    probability: float | None = None
    model_version: str | None = Field(default=None, max_length=16)
    linked_at: datetime = Field(
        default_factory=db.utcnow, sa_type=DateTime(timezone=True), nullable=False
    )
    name_jamo: str | None = Field(default=None, max_length=200)
    surname: str | None = Field(default=None, max_length=10)
    rrn_index: str | None = Field(default=None, max_length=64)
    rrn_front7: str | None = Field(default=None, max_length=7)
    birth_date: str | None = Field(default=None, max_length=10)
    birth_year: int | None = None
    sex: str | None = Field(default=None, max_length=1)
    phone_last8: str | None = Field(default=None, max_length=8)
    home_last8: str | None = Field(default=None, max_length=8)
    dong: str | None = Field(default=None, max_length=7)
    road_building: str | None = Field(default=None, max_length=100)
    lot: str | None = Field(default=None, max_length=100)
    unit: str | None = Field(default=None, max_length=60)
    area: str | None = Field(default=None, max_length=60)
    gu: str | None = Field(default=None, max_length=5)


class LinkEvent(SQLModel, table=True):
    """Every change to who is who: a person created, records linked, two persons merged,
    a person split; with who did it (a user, or the linker with its model version) and why."""

    __tablename__ = "link_event"

    id: int | None = Field(default=None, primary_key=True)
    # create, link, merge, split, retire, review
    kind: str = Field(max_length=10)
    person_id: int = Field(foreign_key="person.id", index=True)
    other_person_id: int | None = Field(default=None, foreign_key="person.id", index=True)
    record_ids: list[int] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    probability: float | None = None
    model_version: str | None = Field(default=None, max_length=16)
    actor_id: int | None = Field(default=None, foreign_key="app_user.id")
    actor_label: str = Field(max_length=60)
    reason: str = Field(default="", max_length=500)
    at: datetime = Field(default_factory=db.utcnow, sa_type=DateTime(timezone=True))


class ReviewItem(SQLModel, table=True):
    """A candidate pair the model was unsure of (between the thresholds, or above the upper
    one but incoherent with the rest of its cluster): a caseworker decides."""

    __tablename__ = "review_item"
    __table_args__ = (
        UniqueConstraint("record_id", "other_record_id"),
        Index("ix_review_item_status_dong", "status", "dong_code"),
    )

    id: int | None = Field(default=None, primary_key=True)
    record_id: int = Field(foreign_key="source_record.id")
    other_record_id: int = Field(foreign_key="source_record.id")
    # For scope: the dong of the record under review (a caseworker sees her dong's items).
    dong_code: str = Field(foreign_key="dong.code", max_length=7)
    probability: float
    match_weight: float
    # [{"comparison", "label", "level", "weight"}] from the model at creation
    evidence: list[dict[str, Any]] = Field(
        default_factory=list, sa_column=Column(JSON, nullable=False)
    )
    model_version: str = Field(max_length=16)
    # uncertain (between the thresholds), uncorroborated (only name and birth date agree),
    # conflict (linking it would contradict another record of the cluster)
    reason: str = Field(default="uncertain", max_length=16)
    # open, same, different, deferred, resolved (made moot by a later decision)
    status: str = Field(default="open", max_length=10)
    note: str = Field(default="", max_length=1000)
    decided_by: int | None = Field(default=None, foreign_key="app_user.id")
    decided_by_label: str = Field(default="", max_length=60)
    decided_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))
    created_at: datetime = Field(
        default_factory=db.utcnow, sa_type=DateTime(timezone=True), nullable=False
    )


class LinkConstraint(SQLModel, table=True):
    """A person's decision the linker must honour on every later run: these two source
    records are the same person (must) or are not (cannot)."""

    __tablename__ = "link_constraint"
    __table_args__ = (UniqueConstraint("record_id", "other_record_id", "kind"),)

    id: int | None = Field(default=None, primary_key=True)
    record_id: int = Field(foreign_key="source_record.id", index=True)
    other_record_id: int = Field(foreign_key="source_record.id", index=True)
    kind: str = Field(max_length=6)  # must, cannot
    reason: str = Field(default="", max_length=500)
    created_by: int | None = Field(default=None, foreign_key="app_user.id")
    created_by_label: str = Field(max_length=60)
    created_at: datetime = Field(
        default_factory=db.utcnow, sa_type=DateTime(timezone=True), nullable=False
    )


class PersonField(SQLModel, table=True):
    """Provenance of one golden field: the value shown (masked for the RRN), the source
    record and facility it came from, and the survivorship rule that chose it."""

    __tablename__ = "person_field"

    person_id: int = Field(primary_key=True, foreign_key="person.id")
    field: str = Field(primary_key=True, max_length=20)
    value: str = Field(max_length=300)
    record_id: int = Field(foreign_key="source_record.id")
    facility_code: str = Field(foreign_key="facility.code", max_length=20)
    # verified, recent, frequent, dong_center — the rule, shown in Korean on the person page
    rule: str = Field(max_length=12)
    support: int = 1  # how many of the person's records agree with the value
