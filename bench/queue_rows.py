#!/usr/bin/env python3
"""CPU time of the 50 rows of the incident queue, written three ways, side by side in one run.

The question (issue 12): may the queue's rows be an autoescaped template fragment instead of
HTML written in Python? The page's rows are the one part of it that grows with its length, so
they are measured alone, in-process, with production settings and no database: 50 incidents
built in memory as incidents.views.queue.prepare_rows leaves them (labels, instants, SLA
clocks of every kind: none, running with a live countdown, paused, breached; a third with a
service, every seventh major). Each way renders the same rows:

- fill: one format string per row filled by an escaping str.format (what the product used
  until 2026-12-05; its code is kept below as the reference);
- django: the same markup as a Django template (the engine of the pages);
- jinja2: the product's fragment templates/incidents/_queue_rows.jinja through
  itsm.fragments (Jinja2, autoescape on).

The three outputs are checked to be the same markup (exits non-zero otherwise). Then rounds of
each way in turn (interleaved, so a busy neighbour slows all three alike): CPU time per 50 rows
(process time), median and best of the rounds, with the CPU model. No database, no server.

Then the other markup the product writes in Python, itsm.renderers' <select> (a filter of
--options options), against Django's form templates, the same way: the reason it stays.

    .venv/bin/python bench/queue_rows.py [--rounds 30] [--repeat 20] [--rows 50]
"""

import argparse
import html
import os
import secrets
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

os.environ.update({
    "DJANGO_SETTINGS_MODULE": "itsm.settings",
    "DJANGO_DEBUG": "0",
    "SECRET_KEY": secrets.token_urlsafe(50),
    "ALLOWED_HOSTS": "127.0.0.1",
    "ITSM_VAR_DIR": tempfile.mkdtemp(prefix="itsm-bench-"),
    "LOG_LEVEL": "WARNING",
})

import django  # noqa: E402

django.setup()

from api_list import git, machine  # noqa: E402
from django.template import engines  # noqa: E402
from django.test.html import parse_html  # noqa: E402
from django.urls import reverse  # noqa: E402
from django.utils import timezone, translation  # noqa: E402
from django.utils.safestring import mark_safe  # noqa: E402

from config_items.models import ConfigurationItem  # noqa: E402
from incidents.models import Incident  # noqa: E402
from incidents.views.queue import queue_texts  # noqa: E402
from itsm.fragments import render_fragment  # noqa: E402
from itsm.models import Team, User  # noqa: E402
from itsm.renderers import escape  # noqa: E402

DASH = "—"


# The rows as the product wrote them in Python until 2026-12-05 (incidents/views/rows.py) -----------

def fill(template, /, **values):
    return mark_safe(template.format(**{name: escape(value) for name, value in values.items()}))


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


def fill_row(incident, *, tick_box, texts):
    major = incident.is_major
    return fill(
        ROW, number=incident.number,
        major_class=mark_safe(' class="incident-major-row"') if major else "",
        tick_box=fill('<td><input type="checkbox" class="form-check-input m-0" name="incidents" value="{pk}" '
                      'form="bulk-form" data-bulk-row aria-label="{label}"></td>', pk=incident.pk,
                      label=texts["select"] % {"number": incident.number}) if tick_box else "",
        url=incident.url, priority_colour=incident.priority_colour, priority_label=incident.priority_label,
        priority=incident.priority,
        major_badge=fill(' <span class="badge bg-red">{major}</span>', major=texts["major"]) if major else "",
        short_description=incident.short_description,
        service=(fill('<div class="text-secondary small">{name}</div>', name=incident.service.name)
                 if incident.service_id else ""),
        caller=incident.caller_display or DASH, state_colour=incident.state_colour,
        state_label=incident.state_label,
        group=incident.assignment_group.name if incident.assignment_group_id else DASH,
        assignee=str(incident.assignee) if incident.assignee_id else DASH,
        opened_at=incident.opened_at.isoformat(), opened_label=incident.opened_label,
        updated_at=incident.updated_at.isoformat(), updated_label=incident.updated_label,
        clock=fill_clock(incident.sla_clock, texts))


def fill_clock(clock, texts):
    if not clock:
        return mark_safe(f'<span class="text-secondary">{DASH}</span>')
    text = clock["text"]
    if clock["ticking"]:
        text = fill('<span class="sla-countdown" data-sla-clock data-sla-state="running" data-sla-paused="false" '
                    'data-sla-due="{due}" data-sla-interval="30" data-sla-left="{left}" data-sla-over="{over}" '
                    'title="{wall}">{text}</span>', due=clock["due_at"].isoformat(), left=texts["sla_left"],
                    over=texts["sla_over"], wall=texts["sla_wall"] % {"business": clock["business_left"]}, text=text)
    return fill('<span class="badge {css}" data-sla-badge="{badge}" title="{title}">{text}</span>',
                css=clock["css"], badge=clock["badge"], title=clock["title"], text=text)


def render_fill(rows, texts):
    return mark_safe("\n".join(fill_row(row, tick_box=True, texts=texts) for row in rows))


# The same markup as a Django template -------------------------------------------------------------

DJANGO_ROWS = (
    '{% for row in rows %}<tr data-incident="{{ row.number }}"{% if row.is_major %} class="incident-major-row"'
    '{% endif %}>{% if tick_boxes %}<td><input type="checkbox" class="form-check-input m-0" name="incidents" '
    'value="{{ row.pk }}" form="bulk-form" data-bulk-row aria-label="{{ row.select_label }}"></td>{% endif %}'
    '<td class="text-nowrap"><a href="{{ row.url }}">{{ row.number }}</a></td>'
    '<td><span class="badge bg-{{ row.priority_colour }}-lt" title="{{ row.priority_label }}">P{{ row.priority }}'
    '</span>{% if row.is_major %} <span class="badge bg-red">{{ texts.major }}</span>{% endif %}</td>'
    '<td><a href="{{ row.url }}" class="text-reset">{{ row.short_description }}</a>{% if row.service_id %}'
    '<div class="text-secondary small">{{ row.service.name }}</div>{% endif %}</td>'
    "<td>{{ row.caller_display|default:dash }}</td>"
    '<td><span class="badge bg-{{ row.state_colour }}-lt">{{ row.state_label }}</span></td>'
    "<td>{% if row.assignment_group_id %}{{ row.assignment_group.name }}{% else %}{{ dash }}{% endif %}</td>"
    "<td>{% if row.assignee_id %}{{ row.assignee }}{% else %}{{ dash }}{% endif %}</td>"
    '<td class="text-secondary text-nowrap"><time datetime="{{ row.opened_iso }}">{{ row.opened_label }}</time></td>'
    '<td class="text-secondary text-nowrap"><time datetime="{{ row.updated_iso }}">{{ row.updated_label }}</time>'
    '</td><td class="text-nowrap sla-cell">{% with clock=row.sla_clock %}{% if not clock %}'
    '<span class="text-secondary">{{ dash }}</span>{% else %}<span class="badge {{ clock.css }}" '
    'data-sla-badge="{{ clock.badge }}" title="{{ clock.title }}">{% if clock.ticking %}<span class="sla-countdown" '
    'data-sla-clock data-sla-state="running" data-sla-paused="false" data-sla-due="{{ clock.due_iso }}" '
    'data-sla-interval="30" data-sla-left="{{ texts.sla_left }}" data-sla-over="{{ texts.sla_over }}" '
    'title="{{ clock.wall_title }}">{{ clock.text }}</span>{% else %}{{ clock.text }}{% endif %}</span>{% endif %}'
    "{% endwith %}</td></tr>\n{% endfor %}"
)


def render_django(template, rows, texts):
    # A Django template cannot call isoformat() or use %: prepared per row, as a view would,
    # and counted in its time.
    for row in rows:
        row.select_label = texts["select"] % {"number": row.number}
        row.opened_iso, row.updated_iso = row.opened_at.isoformat(), row.updated_at.isoformat()
        if row.sla_clock:
            row.sla_clock["due_iso"] = row.sla_clock["due_at"].isoformat() if row.sla_clock["due_at"] else ""
            row.sla_clock["wall_title"] = texts["sla_wall"] % {"business": row.sla_clock["business_left"]}
    return template.render({"rows": rows, "texts": texts, "tick_boxes": True, "dash": DASH})


def render_jinja(rows, texts):
    return render_fragment("incidents/_queue_rows.jinja", {"rows": rows, "texts": texts, "tick_boxes": True,
                                                           "dash": DASH})


# Rows as prepare_rows leaves them --------------------------------------------------------------------

def make_rows(count):
    now = timezone.now()
    groups = [Team(pk=i, name=name) for i, name in enumerate(["Service desk", "Network & Security", "Apps <EU>"], 1)]
    people = [User(pk=i, username=f"agent{i}", first_name="Ann" if i % 2 else "", last_name="O'Neil")
              for i in range(1, 6)]
    services = [ConfigurationItem(pk=i, name=f"Payments {i} \"prod\"") for i in range(1, 4)]
    clocks = [
        None,
        {"badge": "running", "css": "bg-green-lt", "title": "Resolution · 12 %", "text": "3 h 10 min left",
         "ticking": True, "due_at": now + timedelta(hours=3), "business_left": "2 h 40 min"},
        {"badge": "paused", "css": "bg-secondary-lt", "title": "Response", "text": "Paused", "ticking": False,
         "due_at": None, "business_left": "1 h"},
        {"badge": "breached", "css": "bg-red text-red-fg", "title": "Resolution", "text": "Breached",
         "ticking": False, "due_at": now - timedelta(hours=1), "business_left": "0 min"},
    ]
    rows = []
    for i in range(count):
        incident = Incident(pk=1000 + i, number=f"INC{1000 + i:07d}", priority=1 + i % 5, state="in_progress",
                            impact=2, urgency=2, is_major=i % 7 == 0,
                            short_description=f"VPN drops every {i} minutes <b>for</b> Ann & Bob",
                            contact_name="Maria <maria@example.com>" if i % 3 else "",
                            opened_at=now - timedelta(days=i), updated_at=now - timedelta(hours=i))
        if i % 3 == 0:
            incident.service = services[i % 3]
        if i % 4:
            incident.assignment_group = groups[i % 3]
        if i % 2:
            incident.assignee = people[i % 5]
        incident.state_label, incident.priority_label = "In progress", f"{incident.priority} - High"
        incident.opened_label = incident.updated_label = "2026-12-05 09:30"
        incident.url = reverse("incident_detail", args=[incident.pk])
        clock = clocks[i % 4]
        incident.sla_clock = dict(clock) if clock else None
        rows.append(incident)
    return rows


def select_ways(options):
    """A select of `options` options through Django's form templates (one template included per
    option) and through itsm.renderers.FormRenderer (written in Python); same markup checked."""
    from django import forms
    from django.forms.renderers import DjangoTemplates

    from itsm.renderers import FormRenderer

    class Filter(forms.Form):
        assignee = forms.ChoiceField(choices=[("", "Any"), *((i, f"Ann O'Neil {i} (agent{i})")
                                                              for i in range(options))], required=False)

    ours, django_s = Filter({"assignee": "3"}, renderer=FormRenderer()), Filter({"assignee": "3"},
                                                                                renderer=DjangoTemplates())
    if parse_html(str(ours["assignee"])) != parse_html(str(django_s["assignee"])):
        sys.exit("itsm.renderers.FormRenderer renders another <select> than Django's templates")
    return {"Django's templates": lambda: str(django_s["assignee"]),
            "itsm.renderers (Python)": lambda: str(ours["assignee"])}


def cpu_of(render, repeat) -> float:
    began = time.process_time()
    for _ in range(repeat):
        render()
    return (time.process_time() - began) / repeat


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=50, help="rows of a page (default %(default)s)")
    parser.add_argument("--rounds", type=int, default=30, help="rounds of each way (default %(default)s)")
    parser.add_argument("--repeat", type=int, default=20, help="pages rendered per round (default %(default)s)")
    parser.add_argument("--options", type=int, default=200, help="options of the select (default %(default)s)")
    args = parser.parse_args()
    load = os.getloadavg()[0]
    translation.activate("en")
    texts = queue_texts()
    rows = make_rows(args.rows)
    django_template = engines["django"].from_string(DJANGO_ROWS)
    ways = {
        "fill (Python, until 2026-12-05)": lambda: render_fill(rows, texts),
        "Django template": lambda: render_django(django_template, rows, texts),
        "Jinja2 fragment (autoescape)": lambda: render_jinja(rows, texts),
    }
    outputs = {name: str(render()) for name, render in ways.items()}
    reference = parse_html(outputs["fill (Python, until 2026-12-05)"])
    for name, output in outputs.items():
        if parse_html(output) != reference:
            sys.exit(f"{name} renders other markup than fill():\n{output[:2000]}")
    # Escaped alike (Django writes &quot; and &#x27;, Jinja2 &#34; and &#39;: the same characters).
    for name, output in outputs.items():
        for text in ("<b>for</b> Ann & Bob", "Apps <EU>", "O'Neil", '"prod"'):
            if text in output or text not in html.unescape(output):
                sys.exit(f"{name}: {text!r} is not escaped in its output")
    for render in ways.values():
        cpu_of(render, args.repeat)  # warm-up: compiled templates, caches
    figures = {name: [] for name in ways}
    for _ in range(args.rounds):
        for name, render in ways.items():
            figures[name].append(cpu_of(render, args.repeat))

    selects = select_ways(args.options)
    for render in selects.values():
        cpu_of(render, args.repeat)
    select_figures = {name: [] for name in selects}
    for _ in range(args.rounds):
        for name, render in selects.items():
            select_figures[name].append(cpu_of(render, args.repeat))

    print(f"machine: {machine()}")
    print(f"commit {git('rev-parse', '--short', 'HEAD') or 'unknown'}, Python {sys.version.split()[0]}, "
          f"Django {django.get_version()}, Jinja2 {__import__('jinja2').__version__}, load before {load:.2f}")
    print(f"{args.rows} rows (tick boxes on), {args.rounds} rounds × {args.repeat} renders, same markup checked; "
          f"CPU per {args.rows} rows:")
    base = statistics.median(figures["fill (Python, until 2026-12-05)"])
    for name, values in figures.items():
        median = statistics.median(values)
        print(f"  {name:34} median {1000 * median:6.2f} ms  best {1000 * min(values):6.2f} ms  "
              f"({median / base:.2f} × fill, {1000000 * median / args.rows:.0f} µs a row)")
    print(f"a <select> of {args.options} options (a queue filter's), CPU per select:")
    base = statistics.median(select_figures["Django's templates"])
    for name, values in select_figures.items():
        median = statistics.median(values)
        print(f"  {name:34} median {1000 * median:6.2f} ms  best {1000 * min(values):6.2f} ms  "
              f"({median / base:.2f} × Django's templates)")


if __name__ == "__main__":
    main()
