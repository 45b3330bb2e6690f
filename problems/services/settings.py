"""What administrators manage for problem management: the root-cause categories."""

from django.db import transaction

from itsm.permissions import ADMIN_ROLES, require
from itsm.validation import refuse_unknown

from ..models import RootCauseCategory

CATEGORY_FIELDS = ("name", "description", "is_active")


@transaction.atomic
def root_cause_category_create(*, actor, data: dict) -> RootCauseCategory:
    require(actor, ADMIN_ROLES)
    refuse_unknown(data, CATEGORY_FIELDS)
    category = RootCauseCategory(**data)
    category.full_clean()
    category.save()
    return category


@transaction.atomic
def root_cause_category_update(*, actor, category: RootCauseCategory, data: dict) -> RootCauseCategory:
    """Rename or retire a category (a retired one stays on the problems that have it)."""
    require(actor, ADMIN_ROLES)
    refuse_unknown(data, CATEGORY_FIELDS)
    locked = RootCauseCategory.objects.select_for_update().get(pk=category.pk)
    for name, value in data.items():
        setattr(locked, name, value)
    locked.full_clean()
    locked.save()
    return locked
