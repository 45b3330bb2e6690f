"""The queue's table rows, written in Python.

A row is a dozen cells of fields the view has already prepared (prepare_rows), filled into
one format string (itsm.renderers.fill escapes every value). Through the template engine the
50 rows of a page cost 13-17 ms of CPU, a fifth of the page; here a third of that or less
(bench/results.md, 2026-12-04). The header, the empty row and everything around the rows stay
in templates/incidents/_incident_results.html; incidents.js, sla-clock.js and the tests read
the markup below (data-incident, data-bulk-row, data-sla-clock), so keep it.
"""

from dataclasses import dataclass

from django.urls import reverse
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from itsm.renderers import fill

DASH = "—"

ROW = (
    '<tr data-incident="{number}"{major_class}>{tick_box}'
    '<td class="text-nowrap"><a href="{url}">{number}</a></td>'
    '<td><span class="badge bg-{priority_colour}-lt" title="{priority_label}">P{priority}</span>{major_badge}</td>'
    '<td><a href="{url}" class="text-reset">{short_description}</a>{service}</td>'
    "<td>{caller}</td>"
    '<td><span class="badge bg-{state_colour}-lt">{state_label}</span></td>'
    "<td>{group}</td>"
    "<td>{assignee}</td>"
    '<td class="text-secondary text-nowrap"><time datetime="{opened_at}">{opened_label}</time></td>'
    '<td class="text-secondary text-nowrap"><time datetime="{updated_at}">{updated_label}</time></td>'
    '<td class="text-nowrap sla-cell">{clock}</td>'
    "</tr>"
)


@dataclass(frozen=True)
class RowTexts:
    """The translated words of every row, looked up once per page in its language."""

    select: str
    major: str
    sla_left: str
    sla_over: str
    sla_wall: str

    @classmethod
    def current(cls) -> "RowTexts":
        return cls(select=_("Select %(number)s"), major=_("Major"), sla_left=_("%(time)s left"),
                   sla_over=_("%(time)s overdue"),
                   sla_wall=_("Wall-clock time until the due instant (%(business)s of business time left)"))


def queue_row(incident, *, tick_box: bool, texts: RowTexts) -> SafeString:
    """One <tr> of the queue table; `incident` went through prepare_rows."""
    major = incident.is_major
    return fill(
        ROW,
        number=incident.number,
        major_class=mark_safe(' class="incident-major-row"') if major else "",
        tick_box=_tick_box(incident, texts) if tick_box else "",
        url=reverse("incident_detail", args=[incident.pk]),
        priority_colour=incident.priority_colour,
        priority_label=incident.priority_label,
        priority=incident.priority,
        major_badge=fill(' <span class="badge bg-red">{major}</span>', major=texts.major) if major else "",
        short_description=incident.short_description,
        service=(fill('<div class="text-secondary small">{name}</div>', name=incident.service.name)
                 if incident.service_id else ""),
        caller=incident.caller_display or DASH,
        state_colour=incident.state_colour,
        state_label=incident.state_label,
        group=incident.assignment_group.name if incident.assignment_group_id else DASH,
        assignee=str(incident.assignee) if incident.assignee_id else DASH,
        opened_at=incident.opened_at.isoformat(),
        opened_label=incident.opened_label,
        updated_at=incident.updated_at.isoformat(),
        updated_label=incident.updated_label,
        clock=_clock(incident.sla_clock, texts),
    )


def _tick_box(incident, texts: RowTexts) -> SafeString:
    return fill('<td><input type="checkbox" class="form-check-input m-0" name="incidents" value="{pk}" '
                'form="bulk-form" data-bulk-row aria-label="{label}"></td>',
                pk=incident.pk, label=texts.select % {"number": incident.number})


def _clock(clock: dict | None, texts: RowTexts) -> SafeString:
    """The SLA badge of views.agent.queue_clock; a running one counts down every 30 s in
    static/js/sla-clock.js (wall-clock time until its due instant)."""
    if not clock:
        return mark_safe(f'<span class="text-secondary">{DASH}</span>')
    text = clock["text"]
    if clock["ticking"]:
        text = fill('<span class="sla-countdown" data-sla-clock data-sla-state="running" data-sla-paused="false" '
                    'data-sla-due="{due}" data-sla-interval="30" data-sla-left="{left}" data-sla-over="{over}" '
                    'title="{wall}">{text}</span>', due=clock["due_at"].isoformat(), left=texts.sla_left,
                    over=texts.sla_over, wall=texts.sla_wall % {"business": clock["business_left"]}, text=text)
    return fill('<span class="badge {css}" data-sla-badge="{badge}" title="{title}">{text}</span>',
                css=clock["css"], badge=clock["badge"], title=clock["title"], text=text)
