from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ItsmConfig(AppConfig):
    name = "itsm"
    verbose_name = _("Service management kernel")

    def ready(self):
        from . import (
            outbox,  # noqa: F401  registers the built-in "email" deliverer
            signals,  # noqa: F401
            tasks,  # noqa: F401  registers deliver_outbox_message, which the outbox publishes by name
        )
        from .api import (
            schema,  # noqa: F401  OpenAPI description of token authentication
        )

        register_menu()
        register_demo()
        # The number sequence of every record type, after each migrate (PostgreSQL).
        from django.db.models.signals import post_migrate

        from .records import create_number_sequences

        post_migrate.connect(create_number_sequences, sender=self, dispatch_uid="itsm.number_sequences")
        # A rollback that would leave journal, event, attachment or timer rows pointing at a
        # dropped table's ids is refused (itsm/migration_guard.py; `migrate --discard-references`).
        from django.db.models.signals import pre_migrate

        from .migration_guard import refuse_orphaning_rollback

        pre_migrate.connect(refuse_orphaning_rollback, sender=self, dispatch_uid="itsm.rollback_guard")


def register_menu():
    """The kernel's entries: Home first, teams, customers and the admin site in the settings group."""
    from .navigation import SETTINGS, MenuItem, register
    from .permissions import ADMIN_ROLES, STAFF_ROLES

    register(MenuItem(_("Home"), "home", icon="home", order=0))
    register(MenuItem(_("Teams"), "team_list", icon="users-group", order=900, roles=STAFF_ROLES, group=SETTINGS))
    register(MenuItem(_("Customers"), "customer_list", icon="building", order=910, roles=STAFF_ROLES,
                      group=SETTINGS))
    register(MenuItem(_("Administration"), "admin:index", icon="settings", order=1000, roles=ADMIN_ROLES,
                      group=SETTINGS))


def register_demo():
    """The first step of `manage.py demo_data`: one user per role, teams, customers."""
    from .demo import DemoStep, load_kernel, register

    register(DemoStep("users, teams and customers", order=0, load=load_kernel))
