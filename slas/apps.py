from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SlasConfig(AppConfig):
    name = "slas"
    verbose_name = _("Service level management")
