"""Every domain's tables, imported once so Alembic sees the whole schema."""

from bigcare.districts import models as districts_models

__all__ = ["districts_models"]
