"""The CI lifecycle: planned → in build → live ⇄ in maintenance → retired."""

from django.utils.translation import gettext_lazy as _

from itsm.choices import Role
from itsm.workflow import Transition, Workflow

from .choices import CIStatus as S

# Agents read the CMDB; team leads and administrators change it.
CMDB_WRITERS = (Role.TEAM_LEAD, Role.ADMINISTRATOR)


def has_owner(record, data) -> dict:
    """A CI goes live only with a team that answers for it."""
    if record.owner_team_id is None:
        return {"owner_team": str(_("Set an owner team before the CI goes live."))}
    return {}


CI_WORKFLOW = Workflow(
    [
        Transition("build", (S.PLANNED,), S.IN_BUILD, _("Start build"), CMDB_WRITERS),
        Transition("go_live", (S.PLANNED, S.IN_BUILD), S.LIVE, _("Go live"), CMDB_WRITERS,
                   guards=(has_owner,), style="success"),
        Transition("maintain", (S.LIVE,), S.IN_MAINTENANCE, _("Start maintenance"), CMDB_WRITERS,
                   style="warning"),
        Transition("end_maintenance", (S.IN_MAINTENANCE,), S.LIVE, _("End maintenance"), CMDB_WRITERS,
                   guards=(has_owner,)),
        Transition("retire", (S.PLANNED, S.IN_BUILD, S.LIVE, S.IN_MAINTENANCE), S.RETIRED, _("Retire"),
                   CMDB_WRITERS, style="danger"),
    ],
    state_field="status",
    final_states=(S.RETIRED,),
)
