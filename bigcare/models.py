"""Every domain's tables, imported once so Alembic sees the whole schema."""

from bigcare.auth import models as auth_models
from bigcare.cases import models as cases_models
from bigcare.districts import models as districts_models
from bigcare.facilities import models as facilities_models
from bigcare.linkage import models as linkage_models
from bigcare.outreach import models as outreach_models

__all__ = [
    "auth_models",
    "cases_models",
    "districts_models",
    "facilities_models",
    "linkage_models",
    "outreach_models",
]
