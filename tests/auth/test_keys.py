"""Key rotation: every sealed column is re-encrypted and re-indexed under the current key."""

import pyotp
import pytest
from sqlalchemy import select, update
from sqlmodel import Session, SQLModel

from bigcare import models  # noqa: F401  (every sealed column on the metadata)
from bigcare.auth import keys as auth_keys
from bigcare.auth import sessions as auth_sessions
from bigcare.auth.models import User
from bigcare.auth.permissions import Role
from bigcare.cases import service as cases_service
from bigcare.linkage.models import Person
from bigcare.privacy.crypto import DataKeyError, Keyring
from tests.factories import make_person, make_user

RRNS = ("800101-1234560", "851231-2345673", "900101-5123450")
COLUMNS = {"person.rrn_sealed", "app_user.totp_secret_sealed"}


def _tokens(session: Session) -> list[str]:
    """Every sealed value in the database (expiring first: reseal_all updates in SQL)."""
    session.expire_all()
    persons = session.scalars(select(Person.rrn_sealed).where(Person.rrn_sealed.is_not(None)))
    users = session.scalars(
        select(User.totp_secret_sealed).where(User.totp_secret_sealed.is_not(None))
    )
    return [*persons, *users]


def _seal_everything(session: Session, keyring: Keyring) -> tuple[list[Person], str]:
    """Three persons with full RRNs, one with only a masked one, and an enrolled TOTP user."""
    persons = [make_person(session, keyring=keyring, rrn=rrn) for rrn in RRNS]
    make_person(session, keyring=keyring, rrn="760704-2******")
    user = make_user(session, role=Role.CASEWORKER)
    secret, _ = auth_sessions.enrol_totp_directly(session, user=user, keyring=keyring)
    return persons, secret


def test_sealed_columns_finds_rrns_and_totp_secrets() -> None:
    found = auth_keys.sealed_columns(SQLModel.metadata)
    assert set(found) == {
        ("person", "rrn_sealed", "rrn", "rrn_index"),
        ("app_user", "totp_secret_sealed", "totp", None),
        ("source_record", "rrn_sealed", "rrn", "rrn_index"),
        ("source_record", "raw_sealed", "source_row", None),
        ("source_record_revision", "raw_sealed", "source_row", None),
    }


@pytest.mark.parametrize("batch_size", [1000, 2])
def test_reseal_all_moves_every_value_to_the_new_key(session: Session, batch_size: int) -> None:
    k1 = Keyring.generate("k1")
    persons, secret = _seal_everything(session, k1)
    before = {p.id: (p.rrn_sealed, p.rrn_index) for p in persons}
    keyring2 = k1.with_new_key("k2")

    changed = auth_keys.reseal_all(
        session, metadata=SQLModel.metadata, keyring=keyring2, batch_size=batch_size
    )

    assert {k: n for k, n in changed.items() if n} == {
        "person.rrn_sealed": 3,
        "app_user.totp_secret_sealed": 1,
    }
    tokens = _tokens(session)
    assert len(tokens) == 4 and all(t.startswith("v1:k2:") for t in tokens)
    only_k2 = keyring2.without_retired()
    assert only_k2.key_ids == ("k2",)
    for person, rrn in zip(persons, RRNS, strict=True):
        assert (person.rrn_sealed, person.rrn_index) != before[person.id]
        assert only_k2.open(person.rrn_sealed or "", context="rrn") == rrn
        assert person.rrn_index == only_k2.blind_index(rrn, context="rrn")
        assert cases_service.find_person_by_rrn(session, keyring=only_k2, rrn=rrn) == person
    user = session.scalars(select(User).where(User.totp_secret_sealed.is_not(None))).one()
    assert only_k2.open(user.totp_secret_sealed or "", context="totp") == secret
    # The second factor still works with the re-sealed secret.
    assert pyotp.TOTP(only_k2.open(user.totp_secret_sealed or "", context="totp")).now() == (
        pyotp.TOTP(secret).now()
    )
    # The masked-only person has nothing to re-seal.
    assert (
        session.scalars(select(Person).where(Person.rrn_sealed.is_(None))).one().rrn_index is None
    )


def test_reseal_all_again_changes_nothing(session: Session) -> None:
    k1 = Keyring.generate("k1")
    _seal_everything(session, k1)
    keyring2 = k1.with_new_key("k2")
    auth_keys.reseal_all(session, metadata=SQLModel.metadata, keyring=keyring2)
    tokens = _tokens(session)

    again = auth_keys.reseal_all(session, metadata=SQLModel.metadata, keyring=keyring2)

    assert set(again.values()) == {0}
    assert _tokens(session) == tokens


def test_reseal_all_finishes_an_interrupted_rotation(session: Session) -> None:
    k1 = Keyring.generate("k1")
    persons, _ = _seal_everything(session, k1)
    keyring2 = k1.with_new_key("k2")
    # One value was already moved before the interruption.
    done = persons[0]
    session.execute(
        update(Person)
        .where(Person.id == done.id)
        .values(
            rrn_sealed=keyring2.seal(RRNS[0], context="rrn"),
            rrn_index=keyring2.blind_index(RRNS[0], context="rrn"),
        )
    )

    changed = auth_keys.reseal_all(session, metadata=SQLModel.metadata, keyring=keyring2)

    assert {k: n for k, n in changed.items() if n} == {
        "person.rrn_sealed": 2,
        "app_user.totp_secret_sealed": 1,
    }
    assert all(t.startswith("v1:k2:") for t in _tokens(session))


def test_reseal_all_without_the_old_key_fails_and_changes_nothing_readable(
    session: Session,
) -> None:
    k1 = Keyring.generate("k1")
    _seal_everything(session, k1)
    stranger = Keyring.generate("k2")
    with pytest.raises(DataKeyError):
        auth_keys.reseal_all(session, metadata=SQLModel.metadata, keyring=stranger)


@pytest.mark.parametrize(
    ("old_id", "new_id"),
    [
        pytest.param("k1a", "k1_", id="underscore-is-not-a-wildcard"),
        pytest.param("k1", "K1", id="key-ids-are-case-sensitive"),
    ],
)
def test_reseal_all_treats_the_new_key_id_literally(
    session: Session, old_id: str, new_id: str
) -> None:
    old = Keyring.generate(old_id)
    persons, _ = _seal_everything(session, old)
    rotated = old.with_new_key(new_id)

    changed = auth_keys.reseal_all(session, metadata=SQLModel.metadata, keyring=rotated)

    assert {k: n for k, n in changed.items() if n} == {
        "person.rrn_sealed": 3,
        "app_user.totp_secret_sealed": 1,
    }
    assert all(t.startswith(f"v1:{new_id}:") for t in _tokens(session))
    only_new = rotated.without_retired()
    for person, rrn in zip(persons, RRNS, strict=True):
        assert only_new.open(person.rrn_sealed or "", context="rrn") == rrn
