from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ItsmConfig(AppConfig):
    name = "itsm"
    verbose_name = _("Service management kernel")

    def ready(self):
        from . import (
            outbox,  # noqa: F401  registers the built-in "email" deliverer
            signals,  # noqa: F401
        )
        from .api import (
            schema,  # noqa: F401  OpenAPI description of token authentication
        )
