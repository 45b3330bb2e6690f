"""Demo data of the audit trail: step 900 of `manage.py demo_data`, after every other step, so
that what the demo wrote before is on the trail it seals.

What a new user finds under Audit: the trail sealed into the hash chain with an anchor, one
reproducible sample (25 incidents of priority 1–2 from the last 90 days, seed DEMO_SEED, drawn
by the demo auditor `auditor`) and one signed evidence bundle of the last 30 days, built here
and now (the worker is not needed to try it) and ready to download.

Everything goes through the services the pages use (`sample_draw`, `bundle_request`,
`bundle_build`, `trail_seal`, `anchor_record`), as the demo auditor. A second run adds
nothing: the step stops when the demo auditor already has a bundle.
"""

from datetime import datetime, time, timedelta

from django.utils import timezone

from itsm import evidence
from itsm.models import User

from . import bundles, sampling, services
from .models import EvidenceBundle

ORDER = 900
AUDITOR = "auditor"
DEMO_SEED = 20250101
SAMPLE_SIZE = 25
SAMPLE_DAYS = 90
BUNDLE_DAYS = 30
PRIORITIES = (1, 2)


def register() -> None:
    from itsm.demo import DemoStep, register

    register(DemoStep("audit trail, sample and evidence bundle", order=ORDER, load=demo_step))


def _days_back(days: int) -> tuple[datetime, datetime]:
    """The last `days` whole days, today included (as the audit forms count a period)."""
    today = timezone.localdate()
    start = timezone.make_aware(datetime.combine(today - timedelta(days=days - 1), time.min))
    return start, timezone.make_aware(datetime.combine(today + timedelta(days=1), time.min))


def demo_step(options: dict) -> list[str]:
    """Step 900: seal the demo's trail, draw the demo sample, build the demo bundle (once)."""
    auditor = User.objects.filter(username=AUDITOR).first()
    if auditor is None:
        return ["Demo audit: none (it needs the demo auditor)."]
    if EvidenceBundle.objects.filter(requested_by=auditor).exists():
        return ["Demo audit: already loaded."]
    lines = []
    if evidence.source("incidents") is not None:
        start, end = _days_back(SAMPLE_DAYS)
        sample = sampling.sample_draw(actor=auditor, source_key="incidents", period_start=start, period_end=end,
                                      size=SAMPLE_SIZE, seed=DEMO_SEED, priorities=PRIORITIES)
        lines.append(f"Demo audit: sample SMP{sample.pk} of {sample.items.count()} incident(s) of priority 1–2 "
                     f"(seed {sample.seed}, population {sample.population}).")
    start, end = _days_back(BUNDLE_DAYS)
    bundle = bundles.bundle_request(actor=auditor, period_start=start, period_end=end,
                                    processes=[source.key for source in evidence.sources()])
    # Sealed and anchored before the build: the bundle's trail segment then ends at the anchor.
    services.trail_seal(full=True)
    anchor = services.anchor_record()
    # Built here rather than by the worker (its outbox message stays withheld, like the rest of
    # the demo's; the bundle is no longer queued, so delivering it later would build nothing).
    state = bundles.bundle_build(bundle.pk)
    services.trail_seal(full=True)  # the build's own entry
    lines.append(f"Demo audit: trail sealed and anchored at #{anchor.seq}; evidence bundle EVB{bundle.pk} "
                 f"of the last {BUNDLE_DAYS} days {state}.")
    return lines
