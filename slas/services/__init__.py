"""Every write of service level management: calendars and their versions, agreements,
targets (versioned), and the timers the engine keeps for registered records.

Calendars, agreements and targets are the administrators'. Timers are written only here:
`timers_sync` in the transaction of the record change that affects them, `timers_sweep` by
the periodic escalation task, `timers_recompute` by an explicit administrator action.

One module per part (calendars, agreements and targets, the choice of target, timers, the
sweep); callers import from `slas.services`, which re-exports them. Module settings that tests
change (`sweep.SWEEP_CHUNK`, `targets.TARGETS`) are changed on their own module.
"""

from .agreements import (
    AGREEMENT_FIELDS,
    TARGET_FIELDS,
    agreement_create,
    agreement_update,
    clean_escalations,
    default_escalations,
    report_generated,
    target_create,
    target_update,
)
from .calendars import (
    CALENDAR_FIELDS,
    calendar_create,
    calendar_day_delete,
    calendar_day_set,
    calendar_import_ics,
    calendar_publish,
    calendar_update,
    calendars_republish,
    current_version,
)
from .sweep import SWEEP_BATCH, SweepResult, timers_sweep
from .targets import select_target, select_targets, select_targets_by_kind
from .timers import (
    engine_between,
    live_timers_of,
    outdated_timers,
    running_intervals,
    timers_recompute,
    timers_recompute_outdated,
    timers_sync,
)

__all__ = [
    "AGREEMENT_FIELDS", "CALENDAR_FIELDS", "SWEEP_BATCH", "TARGET_FIELDS", "SweepResult", "agreement_create",
    "agreement_update", "calendar_create", "calendar_day_delete", "calendar_day_set", "calendar_import_ics",
    "calendar_publish", "calendar_update", "calendars_republish", "clean_escalations", "current_version", "default_escalations", "engine_between",
    "live_timers_of", "outdated_timers", "report_generated", "running_intervals", "select_target",
    "select_targets", "select_targets_by_kind", "target_create", "target_update", "timers_recompute", "timers_recompute_outdated",
    "timers_sweep", "timers_sync",
]
