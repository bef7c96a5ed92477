"""Alembic is the only way the schema changes: the models and the migrations must agree."""

from alembic import command as alembic_command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect
from sqlmodel import SQLModel

import bigcare.models  # noqa: F401  (every table on the metadata)
from bigcare.db import alembic_config, make_engine
from tests.conftest import ScratchDatabases, TestDatabase


def test_models_and_migrations_agree(database: TestDatabase) -> None:
    with database.engine.connect() as connection:
        context = MigrationContext.configure(
            connection, opts={"compare_type": True, "compare_server_default": True}
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
