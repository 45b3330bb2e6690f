"""Global search: the header's search box over every record type an app registers.

Each app registers its searchable types in `AppConfig.ready()`:

    search.register(SearchType(
        key="incidents", label=_("Incidents"), prefix="INC", order=10,
        queryset=selectors.incident_list,           # the selector: only what the user may read
        fields=("short_description",),             # or search=<function(queryset, text)>
        hit=incident_hit,                          # a record as a SearchHit (number, title, URL...)
        list_url_name="incident_list",             # "more": the type's list filtered by ?q=text
        ordering=("-opened_at", "-id"),
    ))

A record number (`INC0001001`, `CI0000042`: a registered prefix and digits) opens the record,
if the user may read it; other text searches every type the user may read, a few hits each,
newest first. The kernel names no app: the prefixes and types come from the registry.

Speed: a number is an exact look-up of the unique `number` column. Text is a case-insensitive
substring match (`icontains`), which on PostgreSQL a trigram GIN index on `UPPER(field)` serves
(each app's migration adds it, on PostgreSQL only); shorter text than `MIN_TEXT` is not
searched (a trigram index cannot help below three characters). Each type costs one query.
"""

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import reduce
from operator import or_

from django.db.models import Q, QuerySet
from django.urls import reverse
from django.utils.http import urlencode

from .permissions import STAFF_ROLES

MIN_TEXT = 3
HITS_PER_TYPE = 5
NUMBER = re.compile(r"([A-Z]+)(\d+)")


@dataclass(frozen=True)
class SearchHit:
    number: str
    title: str
    url: str
    detail: str = ""  # a second line: type, state, group...
    badge: str = ""  # a short state label
    colour: str = "secondary"  # its Tabler colour


@dataclass(frozen=True)
class SearchType:
    key: str
    label: str
    prefix: str  # the record number prefix (Record.NUMBER_PREFIX)
    queryset: Callable  # queryset(user): the records the user may read (the app's selector)
    hit: Callable[[object], SearchHit]
    fields: tuple[str, ...] = ()  # searched with icontains, OR-ed
    search: Callable[[QuerySet, str], QuerySet] | None = None  # instead of `fields`
    list_url_name: str = ""  # a list page that filters by ?q=
    list_params: tuple[tuple[str, str], ...] = ()  # more of its query string: the hits' order
    ordering: tuple[str, ...] = ("-pk",)
    order: int = 100
    roles: tuple[str, ...] = STAFF_ROLES  # who may search this type at all
    number_field: str = "number"

    def visible_to(self, user) -> bool:
        return user.has_role(*self.roles)

    def text_search(self, queryset: QuerySet, text: str) -> QuerySet:
        if self.search is not None:
            return self.search(queryset, text)
        return queryset.filter(reduce(or_, (Q(**{f"{name}__icontains": text}) for name in self.fields)))

    def more_url(self, text: str) -> str:
        if not self.list_url_name:
            return ""
        return f"{reverse(self.list_url_name)}?{urlencode({'q': text, **dict(self.list_params)})}"


_types: dict[str, SearchType] = {}


def register(search_type: SearchType) -> None:
    clash = next((t for t in _types.values() if t.prefix == search_type.prefix and t.key != search_type.key), None)
    if clash:
        raise ValueError(f"Search types {clash.key!r} and {search_type.key!r} share the number prefix "
                         f"{search_type.prefix!r}")
    _types[search_type.key] = search_type


def types_for(user) -> list[SearchType]:
    """The types `user` may search, in their order."""
    if not (user and user.is_authenticated):
        return []
    return sorted((t for t in _types.values() if t.visible_to(user)), key=lambda t: t.order)


def may_search(user) -> bool:
    return bool(types_for(user))


def prefixes() -> list[str]:
    return sorted(t.prefix for t in _types.values())


def as_number(text: str) -> tuple[SearchType, str] | None:
    """(type, normalised number) when `text` is a record number of a registered type, else None.
    `inc0001001` and ` INC0001001 ` count; `INCX…` (an unknown prefix) does not."""
    match = NUMBER.fullmatch(text.strip().upper())
    if not match:
        return None
    search_type = next((t for t in _types.values() if t.prefix == match.group(1)), None)
    return (search_type, match.group(0)) if search_type else None


def find_record(user, text: str) -> tuple[SearchHit | None, SearchType | None]:
    """The record whose number is `text`, as a hit, if the user may read it (None also when it
    exists but is not theirs to read: the same answer as for a missing one); and the type the
    number names (None when `text` is no number)."""
    parsed = as_number(text)
    if parsed is None:
        return None, None
    search_type, number = parsed
    if not search_type.visible_to(user):
        return None, None
    record = search_type.queryset(user).filter(**{search_type.number_field: number}).first()
    return (search_type.hit(record) if record is not None else None), search_type


@dataclass
class TypeResults:
    type: SearchType
    hits: list[SearchHit] = field(default_factory=list)
    more: bool = False
    more_url: str = ""


def search(user, text: str, *, limit: int = HITS_PER_TYPE) -> list[TypeResults]:
    """Every type the user may read, each with up to `limit` hits for `text` (newest first) and
    whether there are more; types without a hit are left out. One query per type."""
    text = text.strip()
    if len(text) < MIN_TEXT:
        return []
    results = []
    for search_type in types_for(user):
        queryset = search_type.text_search(search_type.queryset(user), text).order_by(*search_type.ordering)
        records = list(queryset[: limit + 1])
        if records:
            results.append(TypeResults(search_type, [search_type.hit(r) for r in records[:limit]],
                                       more=len(records) > limit, more_url=search_type.more_url(text)))
    return results
