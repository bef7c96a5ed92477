"""Alembic is the only way the schema changes: the models and the migrations must agree."""

from alembic import command as alembic_command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect
from sqlmodel import Session, SQLModel

import bigcare.models  # noqa: F401  (every table on the metadata)
from bigcare.db import alembic_config, include_name, make_engine
from bigcare.privacy.crypto import Keyring
from tests.conftest import ScratchDatabases, TestDatabase
from tests.factories import make_person, make_user


def test_models_and_migrations_agree(database: TestDatabase) -> None:
    with database.engine.connect() as connection:
        context = MigrationContext.configure(
            connection,
            opts={
                "compare_type": True,
                "compare_server_default": True,
                "include_name": include_name,
            },
        )
        diff = compare_metadata(context, SQLModel.metadata)
    assert diff == [], f"models differ from migrations on {database.kind}: {diff}"


def test_downgrade_to_base_and_upgrade_again(
    database: TestDatabase, scratch_databases: ScratchDatabases
) -> None:
    url = scratch_databases.new(database.kind)
    config = alembic_config(url)
    alembic_command.upgrade(config, "head")
    alembic_command.downgrade(config, "base")
    engine = make_engine(url)
    try:
        assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
        alembic_command.upgrade(config, "head")
        tables = set(inspect(engine).get_table_names())
        assert {"gu", "dong", "center"} <= tables
        head = ScriptDirectory.from_config(config).get_current_head()
        with engine.connect() as connection:
            assert MigrationContext.configure(connection).get_current_revision() == head
    finally:
        engine.dispose()


def test_every_migration_steps_down_one_at_a_time(
    database: TestDatabase, scratch_databases: ScratchDatabases
) -> None:
    url = scratch_databases.new(database.kind)
    config = alembic_config(url)
    revisions = list(ScriptDirectory.from_config(config).walk_revisions())
    alembic_command.upgrade(config, "head")
    for _ in revisions:
        alembic_command.downgrade(config, "-1")
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            assert MigrationContext.configure(connection).get_current_revision() is None
    finally:
        engine.dispose()


def test_deleted_person_and_account_ids_are_never_reused(
    session: Session, keyring: Keyring
) -> None:
    # The access log names persons and accounts by id long after a merge or a clean-up
    # removed them; a reused id would pin someone else's history on a new row.
    person = make_person(session, keyring=keyring)
    user = make_user(session)
    gone_person, gone_user = person.id or 0, user.id or 0
    session.delete(person)
    session.delete(user)
    session.flush()
    assert (make_person(session, keyring=keyring).id or 0) > gone_person
    assert (make_user(session).id or 0) > gone_user
