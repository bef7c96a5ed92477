"""Settings from BIGCARE_* environment variables, and where BigCare's files live."""

from functools import lru_cache
from pathlib import Path

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

PACKAGE_DIR = Path(__file__).resolve().parent


def _resource(name: str) -> Path:
    """A top-level folder of the repository, or its copy inside an installed wheel."""
    inside = PACKAGE_DIR / name
    return inside if inside.exists() else PACKAGE_DIR.parent / name


TEMPLATES_DIR = _resource("templates")
MIGRATIONS_DIR = _resource("migrations")
SEED_DIR = _resource("seed_data")
ALEMBIC_INI = _resource("alembic.ini")
STATIC_DIR = PACKAGE_DIR / "static"


class Settings(BaseSettings):
    """Everything that differs between the demo, a test run and production."""

    model_config = SettingsConfigDict(env_prefix="BIGCARE_", env_file=".env", extra="ignore")

    database_url: str = "sqlite:///bigcare.db"
    # Demo mode relaxes what only matters on a real network (Secure cookies, for one).
    demo: bool = False
    secret_key: SecretStr = SecretStr("change-me-outside-the-demo")
    # The data key ring that seals RRNs and TOTP secrets: "k2:<base64>,k1:<base64>", current
    # key first. Or a file holding that text; only the demo creates the file when it is missing.
    data_key: SecretStr | None = None
    data_key_file: Path = Path("bigcare.key")
    host: str = "127.0.0.1"
    port: int = 8000
    log_level: str = "INFO"
    # Facility files: refused above these (a clear message, nothing stored).
    import_max_bytes: int = 20 * 1024 * 1024
    import_max_rows: int = 200_000
    # Record linkage: at or above link_upper a record links automatically, between the two a
    # caseworker reviews the pair, below link_lower it is another person. Chosen from the
    # precision/recall curve of `bigcare bench linkage` (README, "Record linkage").
    link_upper: float = 0.99
    link_lower: float = 0.50
    # Link each import's rows as soon as they are received (otherwise `bigcare link`).
    link_after_import: bool = True
    # Case attachments: stored sealed under this folder (outside the web root), refused above
    # this size.
    attachments_dir: Path = Path("attachments")
    attachment_max_bytes: int = 10 * 1024 * 1024
    # Integrated case management deadlines, in days from intake (접수).
    assessment_days: int = 10
    plan_days: int = 30
    # Requests one worker process works on at once (0: no limit); see app.RequestLimit.
    requests_per_worker: int = Field(default=2, ge=0)
    # SQL echo is for debugging on synthetic data only: statements carry parameters.
    sql_echo: bool = False


@lru_cache
def get_settings() -> Settings:
    """The process-wide settings, read once."""
    return Settings()
