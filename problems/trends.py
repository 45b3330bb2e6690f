"""Trend detection's grouping: which recent incidents recur (the reads and the arithmetic; the
proposals are written by problems.services.trends).

Incidents opened in the window and linked to no problem are read once, as plain tuples, through
the index on `opened_at` (inc_opened): the cost grows with the window, not with the table. They
are grouped three ways:

- the same CI and the same category (each CI of an incident counts);
- the same service and the same category;
- close short descriptions: first by their signature (the set of their significant words, so
  "Printer 4 jams" and "printer jams on floor 2" meet), then signatures are merged into the
  group of a similar, more frequent one: on PostgreSQL by pg_trgm similarity (the extension
  comes with incidents' trigram migration), elsewhere by the overlap of their words.

A group is proposed when it holds at least `threshold` incidents and is not contained in a group
already proposed on a more specific basis (CI before service before text) in the same run.
"""

import hashlib
import re
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime

from django.db import connection
from django.utils.translation import gettext as _

from config_items.models import ConfigurationItem
from incidents.models import Category, Incident

from .choices import ProposalBasis
from .models import ProblemIncident

# Trigram similarity from which two short descriptions count as the same complaint (pg_trgm's
# default is 0.3, too loose for titles of a few words), and the share of words two signatures
# must have in common without PostgreSQL.
TRIGRAM_SIMILARITY = 0.6
WORD_OVERLAP = 0.6
# The most frequent signatures lead text groups: every other signature is compared with them
# only (not with each other), so the cost grows with the window, not with its square.
MAX_LEADERS = 300
STOP_WORDS = frozenset("""a an and are at be but by can cannot for from has have in is it its not of on or the
this to was were when with does did doesn don isn won wont after before while again""".split())
WORD = re.compile(r"[^\W\d_]{3,}")


@dataclass
class Candidate:
    """A group of recurring incidents, before it becomes (or refreshes) a proposal."""

    key: str
    basis: str
    incident_ids: list[int]
    title: str
    explanation: str
    ci_id: int | None = None
    service_id: int | None = None
    category_id: int | None = None


@dataclass
class Window:
    """The unlinked incidents of the window, as plain values."""

    rows: list[tuple] = field(default_factory=list)  # (id, service_id, category_id, short_description)
    cis: dict[int, list[int]] = field(default_factory=dict)  # incident id -> its CI ids


def read_window(since: datetime) -> Window:
    """Two queries, both range reads: the incidents on `opened_at`, then their CIs by incident id."""
    recent = Incident.objects.filter(opened_at__gte=since)
    unlinked = recent.exclude(pk__in=ProblemIncident.objects.filter(
        incident__opened_at__gte=since).values("incident_id"))
    rows = list(unlinked.order_by().values_list("pk", "service_id", "category_id", "short_description"))
    if not rows:
        return Window()
    # The window's ids bound the read of their CIs: a range of the through table's index on
    # (incident, CI), instead of a scan of the whole table joined to the window.
    ids = [row[0] for row in rows]
    through = Incident.cis.through.objects.filter(incident_id__gte=min(ids), incident_id__lte=max(ids),
                                                  incident__opened_at__gte=since).order_by()
    cis = defaultdict(list)
    for incident_id, ci_id in through.values_list("incident_id", "configurationitem_id").iterator(chunk_size=10_000):
        cis[incident_id].append(ci_id)
    return Window(rows=rows, cis=cis)


def find_groups(window: Window, *, threshold: int, window_days: int) -> list[Candidate]:
    """Every group at or above `threshold`, the most specific basis first."""
    by_ci, by_service = defaultdict(list), defaultdict(list)
    for pk, service_id, category_id, _text in window.rows:
        if category_id is None:
            continue
        for ci_id in window.cis.get(pk, ()):
            by_ci[(ci_id, category_id)].append(pk)
        if service_id is not None:
            by_service[(service_id, category_id)].append(pk)
    big_ci = {key: ids for key, ids in by_ci.items() if len(ids) >= threshold}
    big_service = {key: ids for key, ids in by_service.items() if len(ids) >= threshold}
    names = _names(big_ci, big_service)
    candidates = [_ci_candidate(key, ids, names, window_days) for key, ids in big_ci.items()]
    candidates += [_service_candidate(key, ids, names, window_days) for key, ids in big_service.items()]
    candidates += text_groups(window.rows, threshold=threshold, window_days=window_days)
    return _without_contained(candidates)


def _names(big_ci, big_service) -> dict:
    """Names of the CIs, services and categories the groups show: two queries."""
    ci_ids = {ci for ci, _cat in big_ci} | {service for service, _cat in big_service}
    category_ids = {cat for _ci, cat in big_ci} | {cat for _s, cat in big_service}
    return {
        "ci": dict(ConfigurationItem.objects.filter(pk__in=ci_ids).values_list("pk", "name")) if ci_ids else {},
        "category": {c.pk: str(c) for c in Category.objects.filter(pk__in=category_ids).select_related("parent")}
        if category_ids else {},
    }


def _ci_candidate(key, ids, names, window_days) -> Candidate:
    ci_id, category_id = key
    ci, category = names["ci"].get(ci_id, ci_id), names["category"].get(category_id, category_id)
    return Candidate(
        key=f"ci:{ci_id}:cat:{category_id}", basis=ProposalBasis.CI_CATEGORY, incident_ids=sorted(ids),
        ci_id=ci_id, category_id=category_id,
        title=_("Recurring %(category)s incidents on %(ci)s") % {"category": category, "ci": ci},
        explanation=_("%(count)s incidents in the last %(days)s days name the CI %(ci)s and the category "
                      "%(category)s, and none is linked to a problem.") % {
            "count": len(ids), "days": window_days, "ci": ci, "category": category})


def _service_candidate(key, ids, names, window_days) -> Candidate:
    service_id, category_id = key
    service, category = names["ci"].get(service_id, service_id), names["category"].get(category_id, category_id)
    return Candidate(
        key=f"service:{service_id}:cat:{category_id}", basis=ProposalBasis.SERVICE_CATEGORY,
        incident_ids=sorted(ids), service_id=service_id, category_id=category_id,
        title=_("Recurring %(category)s incidents on %(service)s") % {"category": category, "service": service},
        explanation=_("%(count)s incidents in the last %(days)s days are on the service %(service)s with the "
                      "category %(category)s, and none is linked to a problem.") % {
            "count": len(ids), "days": window_days, "service": service, "category": category})


def _without_contained(candidates: list[Candidate]) -> list[Candidate]:
    """Drop a group whose incidents all belong to one group kept before it (a CI's group
    inside its service's, a text group inside a CI's): one proposal says it."""
    kept, groups_of = [], defaultdict(set)
    for candidate in candidates:
        ids = candidate.incident_ids
        common = set(groups_of[ids[0]])
        for pk in ids[1:]:
            if not common:
                break
            common &= groups_of[pk]
        if common:
            continue
        for pk in ids:
            groups_of[pk].add(len(kept))
        kept.append(candidate)
    return kept


# --- close short descriptions --------------------------------------------------------------------

def signature(text: str) -> tuple[str, ...]:
    """The significant words of a short description, sorted: digits, punctuation, case, order
    and small words do not tell two complaints apart."""
    return tuple(sorted({word for word in WORD.findall(text.lower()) if word not in STOP_WORDS}))


def text_groups(rows, *, threshold: int, window_days: int) -> list[Candidate]:
    by_signature = defaultdict(list)
    sample = {}
    for pk, _service, _category, text in rows:
        words = signature(text)
        if words:
            by_signature[words].append(pk)
            sample.setdefault(words, text)
    # The most frequent signatures lead: a rarer similar one joins the group of the first leader
    # it resembles (no chains: every member resembles its group's leader).
    ordered = sorted(by_signature, key=lambda words: (-len(by_signature[words]), words))
    leaders = min(MAX_LEADERS, len(ordered))
    pairs = similar_pairs([" ".join(words) for words in ordered], leaders=leaders)
    leader_of = {}
    for index in range(leaders):
        if index in leader_of:
            continue
        leader_of[index] = index
        for other in sorted(pairs.get(index, ())):
            if other > index and other not in leader_of:
                leader_of[other] = index
    members = defaultdict(list)
    for index in range(len(ordered)):
        members[leader_of.get(index, index)].append(index)
    candidates = []
    for leader, indexes in members.items():
        ids = sorted(pk for index in indexes for pk in by_signature[ordered[index]])
        if len(ids) >= threshold:
            candidates.append(_text_candidate(ordered[leader], sample[ordered[leader]], ids,
                                              [sample[ordered[i]] for i in indexes], window_days))
    return candidates


def _text_candidate(words, text, ids, texts, window_days) -> Candidate:
    digest = hashlib.sha1(" ".join(words).encode()).hexdigest()[:20]
    shown = "; ".join(f"“{t}”" for t in texts[:5]) + ("…" if len(texts) > 5 else "")
    return Candidate(
        key=f"text:{digest}", basis=ProposalBasis.SIMILAR_TEXT, incident_ids=ids,
        title=_("Recurring: %(text)s") % {"text": text[:150]},
        explanation=_("%(count)s incidents in the last %(days)s days have short descriptions close to “%(text)s” "
                      "(%(texts)s), and none is linked to a problem.") % {
            "count": len(ids), "days": window_days, "text": text, "texts": shown})


def similar_pairs(texts: list[str], *, leaders: int) -> dict[int, set[int]]:
    """{index: indexes of the texts similar to it}, both ways, for the pairs in which the first
    is one of the `leaders` first texts."""
    if len(texts) < 2 or leaders < 1:
        return {}
    if connection.vendor == "postgresql":
        found = _trigram_pairs(texts, leaders)
    else:
        found = _word_pairs(texts, leaders)
    pairs = defaultdict(set)
    for a, b in found:
        pairs[a].add(b)
        pairs[b].add(a)
    return pairs


def _trigram_pairs(texts: list[str], leaders: int):
    """pg_trgm similarity between each leader and every text, through a GIN index on a temporary
    table of this run's signatures (dropped at the end of the transaction): one index probe per
    leader."""
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS problem_trend_texts")
        cursor.execute("CREATE TEMPORARY TABLE problem_trend_texts (n integer, t text) ON COMMIT DROP")
        cursor.execute("INSERT INTO problem_trend_texts SELECT * FROM unnest(%s::integer[], %s::text[])",
                       [list(range(len(texts))), texts])
        cursor.execute("CREATE INDEX ON problem_trend_texts USING gin (t gin_trgm_ops)")
        cursor.execute("ANALYZE problem_trend_texts")
        cursor.execute("SELECT set_config('pg_trgm.similarity_threshold', %s, true)", [str(TRIGRAM_SIMILARITY)])
        cursor.execute("SELECT a.n, b.n FROM problem_trend_texts a JOIN problem_trend_texts b "
                       "ON b.t %% a.t AND a.n < b.n WHERE a.n < %s", [leaders])
        return cursor.fetchall()


def _word_pairs(texts: list[str], leaders: int):
    """Signatures sharing at least WORD_OVERLAP of their words (Jaccard), found through an
    inverted index of the words so that only texts with a word in common are compared."""
    words = [set(text.split()) for text in texts]
    having = defaultdict(list)
    for index, these in enumerate(words):
        for word in these:
            having[word].append(index)
    found = set()
    for index, these in enumerate(words[:leaders]):
        others = {other for word in these for other in having[word] if other > index}
        for other in others:
            union = len(these | words[other])
            if union and len(these & words[other]) / union >= WORD_OVERLAP:
                found.add((index, other))
    return found
